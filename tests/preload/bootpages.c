/* SPDX-License-Identifier: MIT */
/*
 * For test_preload: what a process that makes one small allocation costs.
 * With no argument, how many pages of the machine's RAM it has written
 * (ram_pages.h): prints "ram pages: N".  With "faults", its minor page
 * faults so far (the machine's boot included): prints "faults: N", under
 * any malloc.
 */
#include <string.h>
#include <stdlib.h>
#include <sys/resource.h>
#include "ram_pages.h"

int main(int argc, char **argv)
{
	/* volatile: the compiler may drop a malloc() whose block is only freed. */
	void *volatile p = malloc(24);

	free(p);
	if (argc > 1 && !strcmp(argv[1], "anon")) {
		char line[256];
		long kb = -1;
		FILE *f = fopen("/proc/self/status", "r");

		while (f && fgets(line, sizeof(line), f))
			if (sscanf(line, "RssAnon: %ld kB", &kb) == 1)
				break;
		if (f)
			fclose(f);
		long ram_anon = 0;
		if (kb < 0)
			return 2;
		if (ram_pages_anon(&ram_anon) < 0)	/* no machine: glibc's malloc */
			ram_anon = 0;
		/* RAM's own pages are anonymous memory with ram=anon: the rest is what it costs. */
		printf("anon pages: %ld\n", kb / 4 - ram_anon);
		return 0;
	}
	long pages = ram_pages();
	if (pages < 0)
		return 2;
	printf("ram pages: %ld\n", pages);
	return 0;
}
