/* SPDX-License-Identifier: MIT */
/*
 * For test_preload: which huge blocks get the host's huge pages.  A
 * malloc()ed block of 16 MiB, and a calloc()ed one used as a sparse table
 * (a byte written in each of eight 2 MiB stretches).  Prints, for each,
 * "NAME: hg" or "NAME: no hg" (the huge-page advice in its mapping's
 * VmFlags) and the KiB of the mapping the host backs: "NAME: hg 0 KiB".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "smaps.h"

#define SIZE	(16UL << 20)
#define STRETCH	(2UL << 20)

static void show(const char *name, const void *addr)
{
	struct smaps_entry m;

	if (smaps_of(addr, &m))
		exit(2);
	printf("%s: %s %lu KiB\n", name, m.hg ? "hg" : "no hg", m.rss_kb);
}

int main(void)
{
	unsigned char *m = malloc(SIZE), *c = calloc(SIZE, 1);

	if (!m || !c)
		return 1;
	for (unsigned long off = 0; off < SIZE; off += STRETCH)
		c[off + 4096 * 3] = 1;
	show("malloc", m);
	show("calloc", c);
	free(m);
	free(c);
	return 0;
}
