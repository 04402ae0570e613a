/* SPDX-License-Identifier: MIT */
/*
 * For test_preload: how many pages of the machine's RAM a process that
 * makes one small allocation has written, counted with mincore() over the
 * RAM file's mapping ("memfd:kmm-ram" in /proc/self/maps).  Prints
 * "ram pages: N".  The count's vector is a host mapping of its own, so
 * the count adds nothing to RAM.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define CHUNK	(1UL << 30)		/* counted a GiB at a time */

int main(void)
{
	void *p = malloc(24);
	char line[512];
	unsigned long start = 0, end = 0, pages = 0;
	FILE *f;

	free(p);
	f = fopen("/proc/self/maps", "r");
	if (!f)
		return 2;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "memfd:kmm-ram") && sscanf(line, "%lx-%lx", &start, &end) == 2)
			break;
	fclose(f);
	if (!end)
		return 3;
	unsigned char *vec = mmap(NULL, CHUNK >> 12, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (vec == MAP_FAILED)
		return 4;
	for (unsigned long a = start; a < end; a += CHUNK) {
		unsigned long len = end - a < CHUNK ? end - a : CHUNK;

		if (mincore((void *)a, len, vec))
			return 5;
		for (unsigned long i = 0; i < len >> 12; i++)
			pages += vec[i] & 1;
	}
	printf("ram pages: %lu\n", pages);
	return 0;
}
