/* SPDX-License-Identifier: MIT */
/*
 * The colours and geometry of the pictures, shared with the tests that
 * decode the PNGs and check what is where.
 */
#ifndef KMM_TOOL_COLOURS_H
#define KMM_TOOL_COLOURS_H

#include <kmm/kmm.h>

/* memmap.png: the map is MAP_W pixels wide from (MAP_X0, MAP_Y0), row by row,
 * each pixel MAP_PPP(max_pfn) page frames. */
#define MAP_X0 70
#define MAP_Y0 40
#define MAP_W 1024
#define MAP_MAX_ROWS 512
#define MAP_PPP(nr_pfns) (((nr_pfns) + (unsigned long)MAP_W * MAP_MAX_ROWS - 1) / \
			  ((unsigned long)MAP_W * MAP_MAX_ROWS))

struct rgb { unsigned char r, g, b; };

/* Free blocks: greens, darker for higher orders. */
static inline struct rgb colour_free(unsigned int order)
{
	return (struct rgb){ (unsigned char)(190 - 15 * order), (unsigned char)(235 - 8 * order),
			     (unsigned char)(190 - 15 * order) };
}

/* Slab pages: reds to yellows by cache (never green, never blue). */
static inline struct rgb colour_slab(unsigned int cache)
{
	static const struct rgb pal[8] = {
		{ 230, 60, 40 }, { 240, 120, 30 }, { 250, 180, 40 }, { 200, 40, 90 },
		{ 250, 150, 110 }, { 180, 80, 20 }, { 240, 90, 140 }, { 230, 200, 60 },
	};
	return pal[cache % 8];
}

static inline struct rgb colour_use(unsigned int use, unsigned int order, unsigned int cache)
{
	switch (use) {
	case KMM_PAGE_FREE: return colour_free(order);
	case KMM_PAGE_UNINIT: return (struct rgb){ 225, 245, 225 };
	case KMM_PAGE_SLAB: return colour_slab(cache);
	case KMM_PAGE_PGTABLE: return (struct rgb){ 130, 60, 180 };
	case KMM_PAGE_VMALLOC: return (struct rgb){ 40, 110, 220 };
	case KMM_PAGE_KSTACK: return (struct rgb){ 20, 180, 200 };
	case KMM_PAGE_PERCPU: return (struct rgb){ 200, 60, 200 };
	case KMM_PAGE_OTHER: return (struct rgb){ 120, 140, 170 };
	case KMM_PAGE_RESERVED: return (struct rgb){ 60, 60, 60 };
	default: return (struct rgb){ 255, 255, 255 };	/* hole */
	}
}

#endif /* KMM_TOOL_COLOURS_H */
