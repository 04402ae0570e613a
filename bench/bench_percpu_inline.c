/* SPDX-License-Identifier: MIT */
/*
 * The accessors as code inside libkmm compiles them (the fast path of
 * preempt_disable() inline), for bench_percpu.c to time beside a program's.
 */
#define KMM_PERCPU_INLINE
#include "percpu_internal.h"

DECLARE_PER_CPU(unsigned long, bench_var);
void run_inline_get_cpu_var(long n);
void run_inline_this_cpu_inc(long n);

void run_inline_get_cpu_var(long n)
{
	for (long i = 0; i < n; i++) {
		get_cpu_var(bench_var)++;
		put_cpu_var(bench_var);
	}
}

void run_inline_this_cpu_inc(long n)
{
	for (long i = 0; i < n; i++)
		this_cpu_inc(bench_var);
}
