/* SPDX-License-Identifier: MIT */
/*
 * A fixed count of hot order-0 alloc_pages + __free_pages pairs, for
 * instruction counts under callgrind (timings are bench_page_alloc's job):
 *
 *   valgrind --tool=callgrind --toggle-collect=order0_pairs build/bench/order0_pairs
 *
 * then divide the collected Ir by the pair count printed.  With -t it
 * times instead: the best of many short runs (a loaded machine is seldom
 * quiet for long), beside glibc's malloc+free of 4 KiB in the same run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "internal.h"

__attribute__((noinline)) static void order0_pairs(long n)
{
	for (long i = 0; i < n; i++) {
		struct page *p = alloc_pages(GFP_KERNEL, 0);
		__free_pages(p, 0);
	}
}

__attribute__((noinline)) static void malloc_pairs(long n)
{
	for (long i = 0; i < n; i++) {
		void *volatile p = malloc(4096);
		free(p);
	}
}

static double best_ns(void (*fn)(long), long n, int reps)
{
	double b = 1e30;

	for (int r = 0; r < reps; r++) {
		struct timespec t0, t1;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		fn(n);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		double t = ((double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec)) / (double)n;
		if (t < b)
			b = t;
	}
	return b;
}

int main(int argc, char **argv)
{
	bool timed = argc > 1 && !strcmp(argv[1], "-t");
	long n = argc > 1 + timed ? atol(argv[1 + timed]) : 100000;

	kmm_set_console(NULL);
	if (kmm_boot("mem=4G cpus=2"))
		return 1;
	kmm_bind_cpu(0);
	order0_pairs(1000);	/* warm: the per-CPU list is filled */
	if (timed) {
		double o0 = best_ns(order0_pairs, n, 200), m = best_ns(malloc_pairs, n, 200);
		printf("order-0 pair %.1f ns, glibc malloc+free(4096) %.1f ns: %.2fx glibc, %.2fx Linux's 40 ns\n",
		       o0, m, o0 / m, o0 / 40.0);
	} else {
		order0_pairs(n);
		printf("%ld pairs\n", n);
	}
	int bad = kmm_check();
	kmm_shutdown();
	return bad ? 1 : 0;
}
