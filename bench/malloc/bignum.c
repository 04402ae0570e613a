/* SPDX-License-Identifier: MIT */
/*
 * Big-number arithmetic's allocation pattern (as in cfrac or a GMP
 * program): a set of numbers whose buffers grow and shrink with realloc
 * as products and quotients replace them, and a temporary for each
 * operation.  Sizes run from one limb to 32 KiB; realloc in place and the
 * copy it otherwise costs are what is measured.  The low limb of each
 * number is its tag and must survive every realloc.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "workload.h"

#define NUMS		400
#define MAX_LIMBS	4096

struct num {
	uint64_t *limb;
	size_t n;
};

int wl_bignum(void)
{
	static struct num v[NUMS];
	uint64_t seed = 0x853c49e6748fea9bULL;
	long ops = SCALED(1500000);
	int bad = 0;

	for (int i = 0; i < NUMS; i++) {
		v[i].n = 1;
		v[i].limb = malloc(sizeof(uint64_t));
		v[i].limb[0] = (uint64_t)i;
	}
	for (long k = 0; k < ops; k++) {
		struct num *a = &v[rnd(&seed) % NUMS], *b = &v[rnd(&seed) % NUMS];
		size_t n;
		if (rnd(&seed) % 2) {		/* a *= b: the sum of the lengths */
			n = a->n + b->n;
			if (n > MAX_LIMBS)
				n = MAX_LIMBS / 2;
		} else {			/* a /= something: a shorter number */
			n = a->n / (2 + rnd(&seed) % 6);
			if (!n)
				n = 1;
		}
		/* The operation's scratch, a little larger than its result. */
		uint64_t *tmp = malloc((n + 2) * sizeof(uint64_t));
		tmp[0] = a->limb[0];
		tmp[n + 1] = b->limb[0];
		size_t old = a->n;
		a->limb = realloc(a->limb, n * sizeof(uint64_t));
		for (size_t j = old; j < n; j += 8)
			a->limb[j] = tmp[n + 1] + j;
		if (n > 1)
			a->limb[n - 1] ^= 1;
		a->n = n;
		if (a->limb[0] != tmp[0])
			bad = 1;
		free(tmp);
	}
	for (int i = 0; i < NUMS; i++) {
		if (v[i].limb[0] != (uint64_t)i)
			bad = 1;
		free(v[i].limb);
	}
	if (bad)
		fprintf(stderr, "bignum: a realloc lost a number's contents\n");
	return bad;
}
