/* SPDX-License-Identifier: MIT */
/*
 * For test_preload: what a program's small allocations cost beside their
 * RAM.  Allocates 32 MiB in 1 KiB blocks, each written, and prints
 * "ram pages: R anon pages: A": the pages of the machine's RAM written
 * meanwhile (ram_pages.h) and the growth of the process's anonymous
 * memory (RssAnon) beside RAM's own anonymous pages (ram=anon), where the
 * allocator's own host memory is (the shadow of the direct map).  The
 * blocks are chained through themselves: the program holds no array of
 * its own.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ram_pages.h"

#define BLOCK	1024
#define NR	(32 * 1024)

static long anon_pages(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "RssAnon: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb < 0 ? -1 : kb / 4;
}

int main(void)
{
	void **head = NULL;

	free(malloc(BLOCK));	/* boot, and the class's first slab */
	/* The count's own vector is made and written by the first count, before anon0. */
	long ram_anon0 = 0, ram_anon1 = 0;
	long ram0 = ram_pages_anon(&ram_anon0), anon0 = anon_pages();
	for (int i = 0; i < NR; i++) {
		void **p = malloc(BLOCK);
		if (!p)
			return 2;
		memset(p, 1, BLOCK);
		*p = head;
		head = p;
	}
	long ram1 = ram_pages_anon(&ram_anon1), anon1 = anon_pages();
	if (ram0 < 0 || anon0 < 0 || ram1 < 0 || anon1 < 0)
		return 3;
	/* With ram=anon, RAM's anonymous pages are not what the allocator costs beside them. */
	printf("ram pages: %ld anon pages: %ld\n", ram1 - ram0,
	       (anon1 - anon0) - (ram_anon1 - ram_anon0));
	while (head) {
		void **next = *head;
		free(head);
		head = next;
	}
	return 0;
}
