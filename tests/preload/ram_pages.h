/* SPDX-License-Identifier: MIT */
/*
 * For the preload's test programs: how many pages of the machine's RAM
 * the host backs, counted with mincore() over the RAM file's mapping
 * ("memfd:kmm-ram" in /proc/self/maps), a GiB at a time.  The count's
 * vector is a host mapping of its own, made at the first count and
 * reused: it adds nothing to RAM, and nothing to the process's anonymous
 * memory after the first count.  Return: the pages, or -1.
 */
#ifndef KMM_TEST_RAM_PAGES_H
#define KMM_TEST_RAM_PAGES_H

#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#define RAM_PAGES_CHUNK	(1UL << 30)

static long ram_pages(void)
{
	static unsigned char *vec;
	char line[512];
	unsigned long start = 0, end = 0;
	long pages = 0;
	FILE *f = fopen("/proc/self/maps", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "memfd:kmm-ram") && sscanf(line, "%lx-%lx", &start, &end) == 2)
			break;
	fclose(f);
	if (!end)
		return -1;
	if (!vec) {
		vec = mmap(NULL, RAM_PAGES_CHUNK >> 12, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (vec == MAP_FAILED) {
			vec = NULL;
			return -1;
		}
	}
	for (unsigned long a = start; a < end; a += RAM_PAGES_CHUNK) {
		unsigned long len = end - a < RAM_PAGES_CHUNK ? end - a : RAM_PAGES_CHUNK;

		if (mincore((void *)a, len, vec))
			return -1;
		for (unsigned long i = 0; i < len >> 12; i++)
			pages += vec[i] & 1;
	}
	return pages;
}

#endif
