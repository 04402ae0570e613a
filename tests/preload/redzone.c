/* SPDX-License-Identifier: MIT */
/*
 * For test_preload, run with KMM_CMDLINE=slab_debug=FZ: a block of one of
 * malloc's own classes (40 bytes, malloc-48) and one of a kmalloc class
 * (60 bytes, kmalloc-64) each written one byte past its object, then
 * freed.  Under slab debugging every free is checked (no fast path), and
 * each finds its right red zone overwritten.  Prints "freed".
 */
#include <stdio.h>
#include <stdlib.h>

/* Out of the compiler's sight: it drops a store it can prove out of bounds, and the block. */
static char *volatile block;
static volatile size_t past;

static void overrun(size_t request, size_t object)
{
	block = malloc(request);
	past = object;
	block[past] = 'x';	/* the first byte of the red zone */
	free(block);
}

int main(void)
{
	overrun(40, 48);
	overrun(60, 64);
	printf("freed\n");
	return 0;
}
