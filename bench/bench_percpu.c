/* SPDX-License-Identifier: MIT */
/*
 * Per-CPU benchmarks.  Each figure is printed beside the peers measured in
 * the same run and beside the target, as ratios:
 *
 *   get_cpu_var(x)++; put_cpu_var(x);   target <= 5 ns
 *   this_cpu_inc(x)                     target <= 3 ns
 *     each as a program compiles it (the library's exported calls) and as
 *     code inside libkmm does (inline); peers: a thread-local increment
 *     (what a user-space program would use instead) and an uncontended
 *     atomic increment of one shared counter.
 *   1 M x 4-byte __alloc_percpu(4, 8), then free_percpu in the worst order
 *     (every other one, then the rest backwards); Linux's bitmap allocator
 *     published 490 ms and 70 ms (percpu: replace area map allocator with
 *     bitmap, 2017); peers: glibc malloc/free of 4 bytes, same orders.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "percpu_internal.h"
#include "bench_time.h"

DEFINE_PER_CPU(unsigned long, bench_var);
void run_inline_get_cpu_var(long n);
void run_inline_this_cpu_inc(long n);

static __thread unsigned long tls_var;
static unsigned long shared_var;


static void run_get_cpu_var(long n)
{
	for (long i = 0; i < n; i++) {
		get_cpu_var(bench_var)++;
		put_cpu_var(bench_var);
	}
}

static void run_this_cpu_inc(long n)
{
	for (long i = 0; i < n; i++)
		this_cpu_inc(bench_var);
}

static void run_tls(long n)
{
	for (long i = 0; i < n; i++) {
		tls_var++;
		__asm__ __volatile__("" ::: "memory");
	}
}

static void run_atomic(long n)
{
	for (long i = 0; i < n; i++)
		__atomic_fetch_add(&shared_var, 1, __ATOMIC_RELAXED);
}

enum { NR_OBJ = 1 << 20 };
static void *objs[NR_OBJ];

/* Allocate NR_OBJ with @alloc, free them in the worst order; ms of each. */
static void time_million(void *(*alloc)(void), void (*release)(void *), double *a_ms, double *f_ms)
{
	double t0 = now_ns();
	for (int i = 0; i < NR_OBJ; i++)
		objs[i] = alloc();
	double t1 = now_ns();
	for (int i = 0; i < NR_OBJ; i += 2)
		release(objs[i]);
	for (int i = NR_OBJ - 1; i >= 1; i -= 2)
		release(objs[i]);
	double t2 = now_ns();
	*a_ms = (t1 - t0) / 1e6;
	*f_ms = (t2 - t1) / 1e6;
}

static void *pcpu_4(void) { return __alloc_percpu(4, 8); }
static void pcpu_free(void *p) { free_percpu(p); }
static void *malloc_4(void) { return malloc(4); }

int main(void)
{
	kmm_set_console(NULL);
	if (kmm_boot("mem=1G cpus=2")) {
		fprintf(stderr, "boot failed\n");
		return 1;
	}
	kmm_bind_cpu(0);
	const long n = 20000000;
	double tls = best_short(run_tls, n), atom = best_short(run_atomic, n);
	double gcv = best_short(run_get_cpu_var, n), gcv_in = best_short(run_inline_get_cpu_var, n);
	double tci = best_short(run_this_cpu_inc, n), tci_in = best_short(run_inline_this_cpu_inc, n);
	kmm_bind_cpu(-1);

	printf("kmm per-CPU benchmarks (best of 200 short runs; ns per operation)\n\n");
	printf("%-44s %6.2f ns\n", "peer: thread-local increment", tls);
	printf("%-44s %6.2f ns\n", "peer: uncontended atomic increment", atom);
	printf("%-44s %6.2f ns   (target <= 5: %.2fx; %.1fx TLS, %.2fx atomic)\n",
	       "get_cpu_var(x)++; put_cpu_var(x), in libkmm", gcv_in, gcv_in / 5, gcv_in / tls,
	       gcv_in / atom);
	printf("%-44s %6.2f ns   (target <= 5: %.2fx; %.1fx TLS, %.2fx atomic)\n",
	       "get_cpu_var(x)++; put_cpu_var(x), a program", gcv, gcv / 5, gcv / tls, gcv / atom);
	printf("%-44s %6.2f ns   (target <= 3: %.2fx; %.1fx TLS, %.2fx atomic)\n",
	       "this_cpu_inc(x), in libkmm", tci_in, tci_in / 3, tci_in / tls, tci_in / atom);
	printf("%-44s %6.2f ns   (target <= 3: %.2fx; %.1fx TLS, %.2fx atomic)\n",
	       "this_cpu_inc(x), a program", tci, tci / 3, tci / tls, tci / atom);

	double pa, pf, ma, mf, best_pa = 1e30, best_pf = 1e30;
	for (int r = 0; r < 3; r++) {
		time_million(pcpu_4, pcpu_free, &pa, &pf);
		best_pa = min(best_pa, pa);
		best_pf = min(best_pf, pf);
		if (kmm_check()) {
			fprintf(stderr, "kmm_check failed\n");
			return 1;
		}
	}
	time_million(malloc_4, free, &ma, &mf);
	printf("\n1 M x __alloc_percpu(4, 8), best of 3:\n");
	printf("%-44s %6.1f ms   (Linux 490 ms: %.2fx; %.1fx glibc malloc's %.1f ms)\n",
	       "  allocate", best_pa, best_pa / 490, best_pa / ma, ma);
	printf("%-44s %6.1f ms   (Linux 70 ms: %.2fx; %.1fx glibc free's %.1f ms)\n",
	       "  free, worst order", best_pf, best_pf / 70, best_pf / mf, mf);
	kmm_shutdown();
	return 0;
}
