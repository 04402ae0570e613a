/* SPDX-License-Identifier: MIT */
/*
 * The page allocator's API.  Every function here behaves as Linux 6.x's
 * does; where kmm differs, the comment says so.
 */
#ifndef KMM_GFP_H
#define KMM_GFP_H

#pragma GCC visibility push(default)

#include <kmm/gfp_types.h>
#include <kmm/mmzone.h>
#include <kmm/mm_types.h>

struct page;

/**
 * gfp_zone - the highest zone a request may be served from
 * @flags: the request's gfp flags
 *
 * __GFP_DMA is mandatory (only ZONE_DMA), __GFP_DMA32 likewise below 4 GiB
 * (ZONE_NORMAL on x86_32, which has no DMA32), __GFP_HIGHMEM a preference
 * that allows HighMem; __GFP_MOVABLE with __GFP_HIGHMEM allows ZONE_MOVABLE.
 */
enum zone_type gfp_zone(gfp_t flags);

/* The migrate type a request's pages are grouped with. */
static inline int gfp_migratetype(gfp_t flags)
{
	if (flags & __GFP_MOVABLE)
		return MIGRATE_MOVABLE;
	if (flags & __GFP_RECLAIMABLE)
		return MIGRATE_RECLAIMABLE;
	return MIGRATE_UNMOVABLE;
}

static inline bool gfpflags_allow_blocking(gfp_t gfp)
{
	return !!(gfp & __GFP_DIRECT_RECLAIM);
}

/**
 * __alloc_pages - allocate 2^@order contiguous pages
 * @gfp: what kind of memory and how hard to try
 * @order: log2 of the number of pages, 0..MAX_PAGE_ORDER
 * @preferred_nid: the node to try first
 * @nodemask: unused (kmm has no cpusets); pass NULL
 *
 * Context: any context if @gfp has no __GFP_DIRECT_RECLAIM, else sleepable.
 * Return: the first page, or NULL.  An order above MAX_PAGE_ORDER returns
 * NULL and warns unless __GFP_NOWARN.
 */
struct page *__alloc_pages(gfp_t gfp, unsigned int order, int preferred_nid,
			   void *nodemask);
struct page *alloc_pages(gfp_t gfp, unsigned int order);
struct page *alloc_pages_node(int nid, gfp_t gfp, unsigned int order);
#define alloc_page(gfp) alloc_pages(gfp, 0)
#define alloc_page_node(nid, gfp) alloc_pages_node(nid, gfp, 0)

/**
 * alloc_pages_bulk - allocate up to @nr_pages order-0 pages
 * @gfp: the request's flags
 * @nr_pages: the length of @page_array
 * @page_array: filled where NULL; entries already set are kept
 *
 * The seeds' non-contiguous multi-page request: the pages need not be
 * contiguous, and are taken from the per-CPU list and the smallest free
 * blocks first, so the large blocks stay whole.
 * Return: the number of entries of @page_array now set.
 */
unsigned long alloc_pages_bulk(gfp_t gfp, unsigned long nr_pages,
			       struct page **page_array);
unsigned long alloc_pages_bulk_node(gfp_t gfp, int nid, unsigned long nr_pages,
				    struct page **page_array);

/**
 * __get_free_pages - allocate pages and return their kernel address
 * Return: the address of the first page, or 0.  __GFP_HIGHMEM is refused
 * (a high page has no address), as in Linux.
 */
unsigned long __get_free_pages(gfp_t gfp, unsigned int order);
#define __get_free_page(gfp) __get_free_pages(gfp, 0)
unsigned long get_zeroed_page(gfp_t gfp);

void __free_pages(struct page *page, unsigned int order);
#define __free_page(page) __free_pages(page, 0)
void free_pages(unsigned long addr, unsigned int order);
#define free_page(addr) free_pages(addr, 0)

/* Free a list of order-0 pages linked through page->lru (refcount 0 is taken). */
void free_pages_bulk_list(struct list_head *list);

/* Give back every CPU's per-CPU pages to the zones (or one zone's). */
void drain_all_pages(struct zone *zone);
void drain_local_pages(struct zone *zone);

/* Scoped restrictions: every allocation inside the scope loses __GFP_IO/__GFP_FS. */
unsigned int memalloc_noio_save(void);
void memalloc_noio_restore(unsigned int flags);
unsigned int memalloc_nofs_save(void);
void memalloc_nofs_restore(unsigned int flags);
unsigned int memalloc_noreclaim_save(void);
void memalloc_noreclaim_restore(unsigned int flags);
gfp_t current_gfp_context(gfp_t flags);

/* Format @gfp as Linux's %pGg does ("GFP_KERNEL|__GFP_ZERO"). */
int kmm_format_gfp(char *buf, size_t size, gfp_t gfp);
/* Parse that format back; -EINVAL on an unknown name. */
int kmm_parse_gfp(const char *s, gfp_t *gfp);

#pragma GCC visibility pop

#endif /* KMM_GFP_H */
