/* SPDX-License-Identifier: MIT */
/*
 * For test_preload: a page of the direct map holds objects of one class,
 * then, its slab freed, of another (malloc.c's byte per page, which free()
 * reads for the cache and the shadow byte confirms).  Objects of 48 bytes
 * fill some ten MiB and are freed; objects of 320 bytes then take most of
 * those pages.  A thousand 48-byte blocks empty what the CPU keeps of that
 * class (its sheaf, which the first frees of a class fill), the 320-byte
 * objects are freed, and blocks of 48 bytes are asked for again, each of
 * which must be a 48-byte object: a free that put a 320-byte object back
 * as a 48-byte one would hand it out here, with its usable size.  Prints
 * "reused: yes" if the 320-byte objects took pages the 48-byte ones had,
 * and how many blocks came out the wrong size.
 */
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define NR	200000
#define NR_KEPT	1000
#define SMALL	48
#define LARGE	320

static void *blocks[NR], *kept[NR_KEPT];
static uintptr_t pages[NR];

static int cmp_page(const void *a, const void *b)
{
	uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;

	return x < y ? -1 : x > y;
}

int main(void)
{
	int nr_large = NR * SMALL / LARGE, reused = 0, bad = 0;

	for (int i = 0; i < NR; i++) {
		blocks[i] = malloc(SMALL);
		pages[i] = (uintptr_t)blocks[i] >> 12;
	}
	qsort(pages, NR, sizeof(pages[0]), cmp_page);
	for (int i = 0; i < NR; i++)
		free(blocks[i]);
	for (int i = 0; i < nr_large; i++) {
		uintptr_t page = (uintptr_t)(blocks[i] = malloc(LARGE)) >> 12;
		reused += bsearch(&page, pages, NR, sizeof(pages[0]), cmp_page) != NULL;
		bad += malloc_usable_size(blocks[i]) != LARGE;
	}
	for (int i = 0; i < NR_KEPT; i++)
		kept[i] = malloc(SMALL);
	for (int i = 0; i < nr_large; i++)
		free(blocks[i]);
	for (int i = 0; i < NR; i++)
		bad += malloc_usable_size(blocks[i] = malloc(SMALL - 8)) != SMALL;
	for (int i = 0; i < NR; i++)
		free(blocks[i]);
	for (int i = 0; i < NR_KEPT; i++)
		free(kept[i]);
	printf("reused: %s, wrong sizes: %d\n", reused > nr_large / 2 ? "yes" : "no", bad);
	return 0;
}
