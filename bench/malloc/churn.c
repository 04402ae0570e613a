/* SPDX-License-Identifier: MIT */
/*
 * Many sizes at random: two threads each keep a table of live blocks and
 * replace a random one with a block of a random size, log-uniform from 8
 * bytes to 64 KiB and, one time in a hundred, up to 2 MiB: every size
 * class, the page-sized and the huge paths, in a fragmenting order.
 * Each block's first word holds its size and is checked when it is freed.
 */
#include <stdio.h>
#include <stdlib.h>
#include "workload.h"

#define THREADS	2
#define SLOTS	6000

struct churn {
	size_t **slot;
	uint64_t seed;
	long ops;
	int bad;
};

static void *churn_thread(void *arg)
{
	struct churn *c = arg;

	c->slot = calloc(SLOTS, sizeof(*c->slot));
	for (long n = 0; n < c->ops + SLOTS; n++) {
		unsigned i = n < SLOTS ? (unsigned)n : (unsigned)(rnd(&c->seed) % SLOTS);
		size_t sz = rnd(&c->seed) % 100 ? rnd_size_log(&c->seed, 8, 65536) :
						    rnd_size_log(&c->seed, 65536, 2 << 20);
		if (c->slot[i]) {
			if (c->slot[i][0] > (2 << 20))
				c->bad = 1;
			free(c->slot[i]);
		}
		c->slot[i] = malloc(sz);
		touch(c->slot[i], sz);
		c->slot[i][0] = sz;
	}
	for (int i = 0; i < SLOTS; i++)
		free(c->slot[i]);
	free(c->slot);
	return NULL;
}

int wl_churn(void)
{
	struct churn c[THREADS] = { 0 };

	for (int t = 0; t < THREADS; t++) {
		c[t].seed = 0xda942042e4dd58b5ULL * (t + 3);
		c[t].ops = SCALED(1200000) / THREADS;
	}
	run_threads(THREADS, churn_thread, c, sizeof(c[0]));
	for (int t = 0; t < THREADS; t++)
		if (c[t].bad) {
			fprintf(stderr, "churn: a block lost its size\n");
			return 1;
		}
	return 0;
}
