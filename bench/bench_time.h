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
