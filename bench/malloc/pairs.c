/* SPDX-License-Identifier: MIT */
/*
 * Instructions per malloc + free pair, counted by callgrind, for
 * libkmm-malloc.so (or any allocator given by LD_PRELOAD): run by
 * bench/slab_pairs.sh, which reads one dump per case.  The cases: hot
 * (a free right after each malloc) of sizes in kmalloc's classes and in
 * malloc's own; batches of 1000 mallocs, then their frees; "mixed", four
 * sizes of four classes allocated and then freed in turn.  Without
 * valgrind's headers (or not under callgrind) it just runs.
 */
#include <stdio.h>
#include <stdlib.h>
#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#else
#define CALLGRIND_ZERO_STATS
#define CALLGRIND_DUMP_STATS_AT(name) ((void)(name))
#endif

#define BATCH 1000

static const size_t sizes[] = { 16, 48, 64, 200, 1024, 4096 };
static void *batch[BATCH];

static inline void keep(const void *p)
{
	__asm__ volatile("" : : "r"(p) : "memory");
}

__attribute__((noinline)) static void pairs_hot(size_t size, long n)
{
	for (long i = 0; i < n; i++) {
		void *p = malloc(size);
		keep(p);
		free(p);
	}
}

__attribute__((noinline)) static void pairs_batch(size_t size, long n)
{
	for (long i = 0; i < n; i += BATCH) {
		for (int j = 0; j < BATCH; j++) {
			batch[j] = malloc(size);
			keep(batch[j]);
		}
		for (int j = 0; j < BATCH; j++)
			free(batch[j]);
	}
}

__attribute__((noinline)) static void pairs_mixed(long n)
{
	for (long i = 0; i < n; i += 4) {
		void *a = malloc(16), *b = malloc(48), *c = malloc(200), *d = malloc(1000);
		keep(a);
		keep(b);
		keep(c);
		keep(d);
		free(a);
		free(b);
		free(c);
		free(d);
	}
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 20000;
	char name[32];

	n = (n + BATCH - 1) / BATCH * BATCH;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		pairs_hot(sizes[i], BATCH);
		CALLGRIND_ZERO_STATS;
		pairs_hot(sizes[i], n);
		snprintf(name, sizeof(name), "malloc-hot-%zu", sizes[i]);
		CALLGRIND_DUMP_STATS_AT(name);
	}
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		pairs_batch(sizes[i], BATCH);
		CALLGRIND_ZERO_STATS;
		pairs_batch(sizes[i], n);
		snprintf(name, sizeof(name), "malloc-batch-%zu", sizes[i]);
		CALLGRIND_DUMP_STATS_AT(name);
	}
	pairs_mixed(BATCH);
	CALLGRIND_ZERO_STATS;
	pairs_mixed(n);
	CALLGRIND_DUMP_STATS_AT("malloc-mixed");
	printf("%ld pairs per case\n", n);
	return 0;
}
