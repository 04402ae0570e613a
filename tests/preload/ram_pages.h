/* SPDX-License-Identifier: MIT */
/*
 * For the preload's test programs: how many pages of the machine's RAM
 * the host backs, counted with mincore() over the direct map, a GiB at a
 * time.  The direct map is the first run of contiguous lines of
 * /proc/self/maps that map RAM: the RAM file ("memfd:kmm-ram"), or with
 * ram=anon anonymous memory that is a private mapping of /dev/zero,
 * with the file's pieces where pages are shared.  *@anon (if not NULL)
 * gets the pages among them that are anonymous memory (the process's
 * RssAnon counts them).  The count's vector is a host mapping of its own,
 * made at the first count and reused: it adds nothing to RAM, and nothing
 * to the process's anonymous memory after the first count.
 * Return: the pages, or -1.
 */
#ifndef KMM_TEST_RAM_PAGES_H
#define KMM_TEST_RAM_PAGES_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#define RAM_PAGES_CHUNK	(1UL << 30)

static long ram_pages_range(unsigned long start, unsigned long end)
{
	static unsigned char *vec;
	long pages = 0;

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

static long ram_pages_anon(long *anon)
{
	char line[512];
	unsigned long start, end, last = 0;
	long pages = 0, anon_pages = 0;
	bool found = false;
	FILE *f = fopen("/proc/self/maps", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		bool file = strstr(line, "memfd:kmm-ram"), zero = strstr(line, "/dev/zero");
		if (sscanf(line, "%lx-%lx", &start, &end) != 2)
			continue;
		if (found && (start != last || !(file || zero)))
			break;
		if (!file && !zero)
			continue;
		long n = ram_pages_range(start, end);
		if (n < 0) {
			pages = -1;
			break;
		}
		pages += n;
		if (zero)
			anon_pages += n;
		found = true;
		last = end;
	}
	fclose(f);
	if (anon)
		*anon = anon_pages;
	return found ? pages : -1;
}

static inline long ram_pages(void)
{
	return ram_pages_anon(NULL);
}

#endif
