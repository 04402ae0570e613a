/* SPDX-License-Identifier: MIT */
/* Timing for the benchmarks: a monotonic clock and best-of-N runs. */
#ifndef KMM_BENCH_TIME_H
#define KMM_BENCH_TIME_H

#include <stdlib.h>
#include <time.h>

static inline double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* Best of @reps runs of @fn(@iters), in ns per iteration. */
static inline double best(void (*fn)(long), long iters, int reps)
{
	double b = 1e30;
	for (int r = 0; r < reps; r++) {
		double t0 = now_ns();
		fn(iters);
		double t = (now_ns() - t0) / (double)iters;
		if (t < b)
			b = t;
	}
	return b;
}

/*
 * Best of many short runs, @total iterations in all: the estimator for a
 * hot path's cost on a host shared with other tenants, where a run of
 * tens of milliseconds is seldom left alone but one of a fraction of a
 * millisecond often is.  Used for kmm and its peers alike.
 *
 * The runs are also spread over at least BEST_SPAN_NS: this VM's vCPUs
 * go through windows of a few hundred milliseconds in which everything
 * runs about 1.6 times slower (seen within one process, the same code
 * and state: order-0 pairs 16.8 ns then 26-31 ns, glibc's malloc+free
 * 35 ns then 50 ns, then back), and 200 back-to-back short runs can fall
 * wholly inside one.  So after the 200 runs, more follow, a millisecond
 * apart, until the span has passed.
 */
#define BEST_SPAN_NS 400e6

static inline double best_short(void (*fn)(long), long total)
{
	long iters = total / 200 ? total / 200 : 1;
	double start = now_ns(), b = best(fn, iters, 200);
	struct timespec gap = { 0, 1000000 };

	while (now_ns() - start < BEST_SPAN_NS) {
		nanosleep(&gap, NULL);
		double t = best(fn, iters, 2);
		if (t < b)
			b = t;
	}
	return b;
}

/*
 * The host's clock in GHz, as this process finds it: a chain of dependent
 * adds runs one a cycle, so adds per ns is cycles per ns.  It turns ns
 * into cycles, the unit of Linux's published fast-path figures.
 */
#if defined(__x86_64__) || defined(__i386__)
static inline void add_chain(long n)
{
	unsigned long x = 0;

	for (long i = 0; i < n; i++)
		__asm__ volatile("add $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\t"
				 "add $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0"
				 : "+r"(x));
}

static inline double host_ghz(void)
{
	return 8.0 / best_short(add_chain, 2000000);
}
#else
static inline double host_ghz(void)
{
	return 0;	/* unknown: the figures print without cycles */
}
#endif

static inline int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The median of @n samples (sorts @v in place). */
static inline double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), bench_cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

#endif
