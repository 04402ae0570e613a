/* SPDX-License-Identifier: MIT */
/*
 * The two shapes of glibc's own malloc benchmarks (benchtests/), written
 * anew for this project.
 *
 * glibc-simple: one thread allocates a run of blocks of one size and
 * frees them all, for sizes 16 .. 4096 and runs of 25 .. 1600 blocks: the
 * fast path of each size class, hot and slightly colder.
 *
 * glibc-thread: threads each keep a working set of blocks and replace a
 * random one with a block of a random size, small sizes far more likely
 * than large (the chance falls as the size grows, up to 32 KiB), without
 * touching the memory: the allocator's own cost under threads.
 */
#include <stdio.h>
#include <stdlib.h>
#include "workload.h"

int wl_glibc_simple(void)
{
	static void *blk[1600];
	static const int runs[] = { 25, 100, 400, 1600 };
	long per = SCALED(400000);

	for (size_t size = 16; size <= 4096; size *= 2)
		for (int r = 0; r < 4; r++) {
			int n = runs[r];
			for (long it = 0; it < per / n; it++) {
				for (int i = 0; i < n; i++)
					blk[i] = malloc(size);
				for (int i = 0; i < n; i++)
					free(blk[i]);
			}
		}
	return 0;
}

#define GT_THREADS	4
#define GT_WORKING_SET	1024

struct gt {
	uint64_t seed;
	long ops;
};

/* A size up to 32 KiB, each doubling half as likely as the one below it. */
static size_t gt_size(uint64_t *s)
{
	uint64_t r = rnd(s);
	unsigned band = (unsigned)__builtin_ctzl(r | (1UL << 10));	/* 0: half the time */
	size_t base = 16UL << band;
	return base + (r >> 20) % base;
}

static void *gt_thread(void *arg)
{
	struct gt *g = arg;
	void *ws[GT_WORKING_SET] = { 0 };

	for (long n = 0; n < g->ops; n++) {
		unsigned i = (unsigned)(rnd(&g->seed) % GT_WORKING_SET);
		free(ws[i]);
		ws[i] = malloc(gt_size(&g->seed));
	}
	for (int i = 0; i < GT_WORKING_SET; i++)
		free(ws[i]);
	return NULL;
}

int wl_glibc_thread(void)
{
	struct gt g[GT_THREADS];

	for (int t = 0; t < GT_THREADS; t++) {
		g[t].seed = 0x5851f42d4c957f2dULL * (t + 1);
		g[t].ops = SCALED(6000000) / GT_THREADS;
	}
	run_threads(GT_THREADS, gt_thread, g, sizeof(g[0]));
	return 0;
}
