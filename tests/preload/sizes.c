/* SPDX-License-Identifier: MIT */
/*
 * For test_preload: the usable size of a block of each of a few request
 * sizes, which under libkmm-malloc.so is its size class (classes.c).
 * Prints "sizes: N N ..." in the order of the requests.
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>

int main(void)
{
	static const size_t req[] = { 0, 20, 40, 300, 1100, 4200, 6000, 9000, 20000, 40000, 70000 };

	printf("sizes:");
	for (size_t i = 0; i < sizeof(req) / sizeof(req[0]); i++) {
		void *p = malloc(req[i]);
		printf(" %zu", malloc_usable_size(p));
		free(p);
	}
	printf("\n");
	return 0;
}
