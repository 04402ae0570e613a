/* SPDX-License-Identifier: MIT */
/*
 * Instructions per slab operation pair, counted by callgrind (timings are
 * bench_slab's job; this machine's cores are shared and noisy, instruction
 * counts are not):
 *
 *   valgrind --tool=callgrind --callgrind-out-file=/tmp/sp.%p \
 *            build/bench/slab_pairs [N]
 *   bench/slab_pairs.sh     (does both and prints a table)
 *
 * Each case runs once unmeasured, so that the CPU slab and the per-CPU
 * page lists are warm, then N pairs between a zeroing and a dump of
 * callgrind's counters: one dump file per case, named by the case.  The
 * cases are bench_slab's: a 64-byte cache hot; kmalloc + kfree hot for
 * each size 16 .. 4096; the same sizes in batches of 1000 allocations,
 * then their frees in the same order; and "mixed", four sizes allocated
 * and then freed in turn (kmalloc-16, -64, -256, -1k), so that most frees
 * are of another cache than the last allocation's.  Without valgrind's headers (or not
 * under callgrind) it just runs.
 */
#include <stdio.h>
#include <stdlib.h>
#include "slab.h"
#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#else
#define CALLGRIND_ZERO_STATS
#define CALLGRIND_DUMP_STATS_AT(name) ((void)(name))
#endif

#define BATCH 1000

static const size_t sizes[] = { 16, 32, 64, 128, 256, 512, 1024, 2048, 4096 };
static struct kmem_cache *cache;
static void *batch[BATCH];

static inline void keep(const void *p)
{
	__asm__ volatile("" : : "r"(p) : "memory");
}

__attribute__((noinline)) static void slab_pairs_cache(long n)
{
	for (long i = 0; i < n; i++) {
		void *p = kmem_cache_alloc(cache, GFP_KERNEL);
		keep(p);
		kmem_cache_free(cache, p);
	}
}

__attribute__((noinline)) static void slab_pairs_kmalloc(size_t size, long n)
{
	for (long i = 0; i < n; i++) {
		void *p = kmalloc(size, GFP_KERNEL);
		keep(p);
		kfree(p);
	}
}

__attribute__((noinline)) static void slab_pairs_mixed(long n)
{
	for (long i = 0; i < n; i += 4) {
		void *a = kmalloc(16, GFP_KERNEL), *b = kmalloc(64, GFP_KERNEL);
		void *c = kmalloc(256, GFP_KERNEL), *d = kmalloc(1024, GFP_KERNEL);
		keep(a);
		keep(b);
		keep(c);
		keep(d);
		kfree(a);
		kfree(b);
		kfree(c);
		kfree(d);
	}
}

__attribute__((noinline)) static void slab_pairs_batch(size_t size, long n)
{
	for (long i = 0; i < n; i += BATCH) {
		for (int j = 0; j < BATCH; j++)
			batch[j] = kmalloc(size, GFP_KERNEL);
		keep(batch);
		for (int j = 0; j < BATCH; j++)
			kfree(batch[j]);
	}
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 100000;

	n = (n + BATCH - 1) / BATCH * BATCH;
	kmm_set_console(NULL);
	if (kmm_boot("mem=4G cpus=2"))
		return 1;
	kmm_bind_cpu(0);
	cache = kmem_cache_create("bench-64", 64, 0, SLAB_NO_MERGE, NULL);
	if (!cache)
		return 1;
	char name[32];

	slab_pairs_cache(BATCH);
	CALLGRIND_ZERO_STATS;
	slab_pairs_cache(n);
	CALLGRIND_DUMP_STATS_AT("cache");
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		slab_pairs_kmalloc(sizes[i], BATCH);
		CALLGRIND_ZERO_STATS;
		slab_pairs_kmalloc(sizes[i], n);
		snprintf(name, sizeof(name), "hot-%zu", sizes[i]);
		CALLGRIND_DUMP_STATS_AT(name);
	}
	slab_pairs_mixed(BATCH);
	CALLGRIND_ZERO_STATS;
	slab_pairs_mixed(n);
	CALLGRIND_DUMP_STATS_AT("mixed");
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		slab_pairs_batch(sizes[i], BATCH);
		CALLGRIND_ZERO_STATS;
		slab_pairs_batch(sizes[i], n);
		snprintf(name, sizeof(name), "batch-%zu", sizes[i]);
		CALLGRIND_DUMP_STATS_AT(name);
	}
	printf("%ld pairs per case; cases: cache, mixed, kmalloc and batch of", n);
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++)
		printf(" %zu", sizes[i]);
	printf("\n");
	kmem_cache_destroy(cache);
	int bad = kmm_check();
	kmm_shutdown();
	return bad ? 1 : 0;
}
