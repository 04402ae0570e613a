/* SPDX-License-Identifier: MIT */
/*
 * malloc_workload NAME [SCALE]: one allocation workload of bench_malloc,
 * written for this project in the shapes the allocator literature uses
 * (bench/README.md lists them).  The runner (bench/bench_malloc.c) starts
 * it under each allocator and measures time and peak RSS from outside.
 * Exit status 0 when the workload checked its own results.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "workload.h"

double wl_scale = 1.0;

size_t rnd_size_log(uint64_t *s, size_t lo, size_t hi)
{
	/* Pick a power-of-two band by a uniform draw, then a size inside it. */
	unsigned lb = 63 - __builtin_clzl(lo), hb = 63 - __builtin_clzl(hi);
	unsigned b = lb + (unsigned)(rnd(s) % (hb - lb + 1));
	size_t base = 1UL << b, n = base + rnd(s) % base;
	return n < lo ? lo : n > hi ? hi : n;
}

void touch(void *p, size_t n)
{
	volatile char *c = p;

	if (!n)
		return;
	for (size_t i = 0; i < n; i += 4096)
		c[i] = (char)i;
	c[n - 1] = 1;
}

void run_threads(int n, void *(*fn)(void *), void *args, size_t arg_size)
{
	pthread_t t[64];

	for (int i = 0; i < n; i++)
		if (pthread_create(&t[i], NULL, fn, (char *)args + i * arg_size)) {
			perror("pthread_create");
			exit(2);
		}
	for (int i = 0; i < n; i++)
		pthread_join(t[i], NULL);
}

static const struct {
	const char *name;
	int (*run)(void);
} workloads[] = {
	{ "larson", wl_larson },
	{ "xthread", wl_xthread },
	{ "cache-scratch", wl_cache_scratch },
	{ "cache-thrash", wl_cache_thrash },
	{ "churn", wl_churn },
	{ "bignum", wl_bignum },
	{ "glibc-simple", wl_glibc_simple },
	{ "glibc-thread", wl_glibc_thread },
	{ "forkexec", wl_forkexec },
};

int main(int argc, char **argv)
{
	if (argc > 2)
		wl_scale = atof(argv[2]);
	for (size_t i = 0; argc > 1 && i < sizeof(workloads) / sizeof(workloads[0]); i++)
		if (!strcmp(argv[1], workloads[i].name))
			return workloads[i].run();
	fprintf(stderr, "usage: malloc_workload NAME [SCALE]; NAME one of:");
	for (size_t i = 0; i < sizeof(workloads) / sizeof(workloads[0]); i++)
		fprintf(stderr, " %s", workloads[i].name);
	fprintf(stderr, "\n");
	return 2;
}
