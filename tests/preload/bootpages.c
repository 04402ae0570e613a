/* SPDX-License-Identifier: MIT */
/*
 * For test_preload: how many pages of the machine's RAM a process that
 * makes one small allocation has written (ram_pages.h).  Prints
 * "ram pages: N".
 */
#include <stdlib.h>
#include "ram_pages.h"

int main(void)
{
	free(malloc(24));
	long pages = ram_pages();
	if (pages < 0)
		return 2;
	printf("ram pages: %ld\n", pages);
	return 0;
}
