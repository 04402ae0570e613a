/* SPDX-License-Identifier: MIT */
/*
 * False sharing, in the two shapes of Berger et al.'s Hoard benchmarks.
 *
 * cache-thrash (active): each thread allocates a small object, writes it
 * many times and frees it, over and over.  An allocator that hands
 * neighbouring objects of one cache line to different threads makes the
 * line bounce between CPUs.
 *
 * cache-scratch (passive): the main thread allocates one small object per
 * thread, so they are neighbours; each thread frees the one it was given
 * and then does the same loop.  An allocator that gives the freed object
 * back to the thread that freed it reuses the shared line for ever.
 */
#include <stdio.h>
#include <stdlib.h>
#include "workload.h"

#define THREADS	4
#define OBJ	8
#define WRITES	2000

struct fs {
	char *given;		/* cache-scratch: freed first */
	long iters;
	long sum;
};

static void *fs_thread(void *arg)
{
	struct fs *f = arg;

	free(f->given);
	for (long i = 0; i < f->iters; i++) {
		volatile char *p = malloc(OBJ);
		for (int w = 0; w < WRITES; w++) {
			p[w % OBJ] = (char)w;
			f->sum += p[(w + 1) % OBJ];
		}
		free((void *)p);
	}
	return NULL;
}

static int false_sharing(int passive)
{
	struct fs f[THREADS] = { 0 };

	for (int t = 0; t < THREADS; t++) {
		f[t].iters = SCALED(60000) / THREADS;
		f[t].given = passive ? malloc(OBJ) : NULL;
	}
	run_threads(THREADS, fs_thread, f, sizeof(f[0]));
	return 0;
}

int wl_cache_thrash(void)
{
	return false_sharing(0);
}

int wl_cache_scratch(void)
{
	return false_sharing(1);
}
