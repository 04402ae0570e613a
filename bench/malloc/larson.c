/* SPDX-License-Identifier: MIT */
/*
 * A server's churn, after Larson and Krishnan's benchmark: threads keep a
 * table of live objects of random sizes and replace one at random, over
 * and over; at the end of each round a thread's table passes to a thread
 * of the next round, which frees what the previous one allocated (objects
 * outlive the thread that made them, as a request outlives its worker).
 */
#include <stdio.h>
#include <stdlib.h>
#include "workload.h"

#define THREADS	4
#define SLOTS	2000
#define ROUNDS	10
#define MIN_SZ	8
#define MAX_SZ	1000

struct larson {
	size_t **slot;		/* each object starts with its own size */
	uint64_t seed;
	long ops;
	int bad;
};

static void *larson_thread(void *arg)
{
	struct larson *l = arg;

	for (long n = 0; n < l->ops; n++) {
		unsigned i = (unsigned)(rnd(&l->seed) % SLOTS);
		size_t sz = MIN_SZ + rnd(&l->seed) % (MAX_SZ - MIN_SZ + 1);
		if (l->slot[i] && (l->slot[i][0] < MIN_SZ || l->slot[i][0] > MAX_SZ))
			l->bad = 1;
		free(l->slot[i]);
		l->slot[i] = malloc(sz);
		l->slot[i][0] = sz;
		if (sz > sizeof(size_t))
			((char *)l->slot[i])[sz - 1] = 1;
	}
	return NULL;
}

int wl_larson(void)
{
	struct larson l[THREADS];
	long ops = SCALED(6000000) / (THREADS * ROUNDS);

	for (int t = 0; t < THREADS; t++) {
		l[t].slot = calloc(SLOTS, sizeof(*l[t].slot));
		l[t].seed = 0x9e3779b97f4a7c15ULL * (t + 1);
		l[t].ops = ops;
		l[t].bad = 0;
	}
	for (int r = 0; r < ROUNDS; r++) {
		run_threads(THREADS, larson_thread, l, sizeof(l[0]));
		/* Hand each table over to the next round's neighbour. */
		size_t **first = l[0].slot;
		for (int t = 0; t < THREADS - 1; t++)
			l[t].slot = l[t + 1].slot;
		l[THREADS - 1].slot = first;
	}
	int bad = 0;
	for (int t = 0; t < THREADS; t++) {
		bad |= l[t].bad;
		for (int i = 0; i < SLOTS; i++)
			free(l[t].slot[i]);
		free(l[t].slot);
	}
	if (bad)
		fprintf(stderr, "larson: an object lost its contents\n");
	return bad;
}
