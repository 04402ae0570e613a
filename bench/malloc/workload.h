/* SPDX-License-Identifier: MIT */
/*
 * The allocation workloads of bench_malloc (see main.c).  Each is plain C
 * on the C allocation API, so it measures whichever malloc the process
 * has: the runner starts it under LD_PRELOAD of each allocator.
 */
#ifndef KMM_BENCH_MALLOC_WORKLOAD_H
#define KMM_BENCH_MALLOC_WORKLOAD_H

#include <stddef.h>
#include <stdint.h>

/* Scale factor from the command line: 1.0 is the full run (about a second on glibc). */
extern double wl_scale;
#define SCALED(n) ((long)((n) * wl_scale) > 0 ? (long)((n) * wl_scale) : 1L)

/* A small, fast generator; each thread has its own. */
static inline uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* A size between @lo and @hi, uniform in its logarithm (small sizes dominate, as in programs). */
size_t rnd_size_log(uint64_t *s, size_t lo, size_t hi);
/* Write into a block: one byte per page and its last byte, so its pages count in the RSS. */
void touch(void *p, size_t n);
/* Start @n threads running @fn(@i), wait for them all. */
void run_threads(int n, void *(*fn)(void *), void *args, size_t arg_size);

int wl_larson(void);
int wl_xthread(void);
int wl_cache_scratch(void);
int wl_cache_thrash(void);
int wl_churn(void);
int wl_bignum(void);
int wl_glibc_simple(void);
int wl_glibc_thread(void);
int wl_forkexec(void);

#endif
