/* SPDX-License-Identifier: MIT */
/*
 * Simulated CPUs: a thread inside get_cpu()/put_cpu() has its CPU to itself,
 * however many threads there are, bound or not; binding is honoured.
 */
#include <pthread.h>
#include "helpers.h"

#define ROUNDS 20000

static volatile long cpu_user[NR_CPUS];
static volatile long overlaps;

static void *hammer(void *arg)
{
	long me = (long)arg + 1;

	if (me % 3 == 0)
		kmm_bind_cpu((int)(me % nr_cpu_ids));
	for (int i = 0; i < ROUNDS; i++) {
		int cpu = get_cpu();
		if (cpu_user[cpu])
			__atomic_add_fetch(&overlaps, 1, __ATOMIC_RELAXED);
		cpu_user[cpu] = me;
		for (int spin = 0; spin < 20; spin++)
			__asm__ __volatile__("" ::: "memory");
		if (cpu_user[cpu] != me)
			__atomic_add_fetch(&overlaps, 1, __ATOMIC_RELAXED);
		cpu_user[cpu] = 0;
		put_cpu();
		if (i % 1000 == 0)
			sched_yield();
	}
	return NULL;
}

Test(cpu, one_thread_per_cpu_at_a_time)
{
	pthread_t t[8];

	boot_or_die("mem=128M cpus=3");
	for (long i = 0; i < 8; i++)
		pthread_create(&t[i], NULL, hammer, (void *)i);
	for (int i = 0; i < 8; i++)
		pthread_join(t[i], NULL);
	cr_assert_eq(overlaps, 0, "%ld times two threads ran on one CPU", overlaps);
	check_and_shutdown();
}

Test(cpu, binding_is_honoured)
{
	boot_or_die("mem=128M cpus=4");
	for (int c = 0; c < 4; c++) {
		cr_assert_eq(kmm_bind_cpu(c), 0);
		cr_assert_eq(get_cpu(), c);
		cr_assert(in_atomic());
		put_cpu();
		cr_assert(!in_atomic());
	}
	cr_assert_eq(kmm_bind_cpu(4), -EINVAL);
	cr_assert_eq(kmm_bind_cpu(-1), 0);
	check_and_shutdown();
}

static void *alloc_free_loop(void *arg)
{
	(void)arg;
	for (int i = 0; i < 20000; i++) {
		struct page *p = alloc_pages(GFP_KERNEL, (unsigned)(i % 3));
		cr_assert_not_null(p);
		__free_pages(p, (unsigned)(i % 3));
	}
	return NULL;
}

/* More threads than CPUs: CPUs change hands (taken over from idle holders). */
Test(cpu, oversubscribed_allocations_stay_consistent)
{
	pthread_t t[6];

	boot_or_die("mem=256M cpus=2");
	unsigned long before = total_free();
	for (long i = 0; i < 6; i++)
		pthread_create(&t[i], NULL, alloc_free_loop, NULL);
	for (int i = 0; i < 6; i++)
		pthread_join(t[i], NULL);
	cr_assert_eq(total_free(), before);
	check_and_shutdown();
}
