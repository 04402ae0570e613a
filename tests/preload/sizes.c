/* SPDX-License-Identifier: MIT */
/*
 * For test_preload: the usable size of a block of each of a few request
 * sizes, which under libkmm-malloc.so is its size class (classes.c).
 * Prints "sizes: N N ..." in the order of the requests; then "realloc:"
 * and, for each of a few reallocs of one block, whether it stayed where
 * it was ("kept") or moved, its contents checked each time.
 */
#include <malloc.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Keep the compiler from reasoning about our calls (it knows realloc). */
static void *(*volatile p_realloc)(void *, size_t) = realloc;

static bool holds(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != (unsigned char)i)
			return false;
	return true;
}

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

	/* 9000 bytes grow within their class, shrink below its half, and so on. */
	static const size_t to[] = { 10900, 5400, 2800, 2000, 40000, 33000, 100 };
	size_t n = 9000;
	unsigned char *p = malloc(n);
	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char)i;
	printf("realloc:");
	for (size_t i = 0; i < sizeof(to) / sizeof(to[0]); i++) {
		unsigned char *q = p_realloc(p, to[i]);
		if (!q || !holds(q, n < to[i] ? n : to[i])) {
			printf(" lost\n");
			return 1;
		}
		printf(" %s", q == p ? "kept" : "moved");
		for (size_t j = 0; j < to[i]; j++)
			q[j] = (unsigned char)j;
		p = q;
		n = to[i];
	}
	free(p);
	printf("\n");
	return 0;
}
