/* SPDX-License-Identifier: MIT */
/*
 * A shared object with static per-CPU variables of its own, as a kernel
 * module defines them; test_percpu_dso loads it before and after boot.
 */
#include <kmm/kmm.h>

static DEFINE_PER_CPU(int, mod_var) = 77;
DEFINE_PER_CPU_SHARED_ALIGNED(long, mod_counter);

int *mod_var_ptr(int cpu);
void mod_inc(void);
long mod_sum(void);

int *mod_var_ptr(int cpu)
{
	return &per_cpu(mod_var, cpu);
}

void mod_inc(void)
{
	this_cpu_inc(mod_counter);
	get_cpu_var(mod_var)++;
	put_cpu_var(mod_var);
}

long mod_sum(void)
{
	long sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += per_cpu(mod_counter, cpu);
	return sum;
}
