/* SPDX-License-Identifier: MIT */
/*
 * Simulated CPUs: a thread inside get_cpu()/put_cpu() has its CPU to itself,
 * however many threads there are, bound or not; binding is honoured.
 */
#include <pthread.h>
#include "helpers.h"
#include "internal.h"

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

/*
 * A thread holds CPU 0 between short sections while another visits CPU 0
 * again and again with kmm_run_on_cpu(), which takes the CPU over whenever
 * its holder is idle (cpu.c).  A holder that enters its next section just
 * as the visitor takes its CPU over must not share the CPU with it.  (The
 * window is a few instructions wide: on a quiet machine this seldom hits
 * it, but under ThreadSanitizer, which sees visit_user change hands, a
 * takeover that orders nothing is a report.)
 */
#define VISITS 2000

static volatile long visit_user;
static volatile long visit_overlaps;
static bool visits_done;
static long holder_sections;

static void occupy(long me)
{
	if (visit_user)
		__atomic_add_fetch(&visit_overlaps, 1, __ATOMIC_RELAXED);
	visit_user = me;
	for (int spin = 0; spin < 30; spin++)
		__asm__ __volatile__("" ::: "memory");
	if (visit_user != me)
		__atomic_add_fetch(&visit_overlaps, 1, __ATOMIC_RELAXED);
	visit_user = 0;
}

static void *cpu0_holder(void *arg)
{
	(void)arg;
	kmm_bind_cpu(0);
	while (!__atomic_load_n(&visits_done, __ATOMIC_RELAXED)) {
		get_cpu();
		occupy(1);
		put_cpu();
		__atomic_add_fetch(&holder_sections, 1, __ATOMIC_RELAXED);
		for (int spin = 0; spin < 30; spin++)
			__asm__ __volatile__("" ::: "memory");
	}
	return NULL;
}

static void visit(int cpu, void *arg)
{
	(void)cpu;
	(void)arg;
	occupy(2);
}

Test(cpu, taking_over_an_idle_holder_never_shares_the_cpu)
{
	pthread_t t;

	boot_or_die("mem=128M cpus=2");
	pthread_create(&t, NULL, cpu0_holder, NULL);
	while (!__atomic_load_n(&holder_sections, __ATOMIC_RELAXED))
		sched_yield();
	for (int i = 0; i < VISITS; i++) {
		/* Let the holder take CPU 0 back first, so that the visit takes it over. */
		long seen = __atomic_load_n(&holder_sections, __ATOMIC_RELAXED);
		while (__atomic_load_n(&holder_sections, __ATOMIC_RELAXED) < seen + 2)
			sched_yield();
		kmm_run_on_cpu(0, visit, NULL);
		/* A takeover makes the CPU change hands eagerly for a while: not here. */
		WRITE_ONCE(kmm_cpus[0].contended, 0);
	}
	__atomic_store_n(&visits_done, true, __ATOMIC_RELAXED);
	pthread_join(t, NULL);
	cr_assert_eq(visit_overlaps, 0, "%ld times two threads ran on one CPU", visit_overlaps);
	check_and_shutdown();
}

static int reboot_phase;
static int cpu_after_reboot = -1;

static void wait_phase(int phase)
{
	while (__atomic_load_n(&reboot_phase, __ATOMIC_ACQUIRE) < phase)
		sched_yield();
}

/* Holds CPU 3 idly across a reboot, then runs on the next machine. */
static void *held_across_reboot(void *arg)
{
	(void)arg;
	kmm_bind_cpu(3);
	cr_assert_eq(get_cpu(), 3);
	put_cpu();
	__atomic_store_n(&reboot_phase, 1, __ATOMIC_RELEASE);
	wait_phase(2);
	cpu_after_reboot = get_cpu();
	put_cpu();
	kfree(kmalloc(64, GFP_KERNEL));
	kmm_bind_cpu(-1);
	return NULL;
}

/*
 * A thread that still names a CPU of the machine before (the CPU table
 * outlives machines) finds it gone: it runs on a CPU of the new machine.
 */
Test(cpu, a_cpu_held_before_a_reboot_is_gone_after_it)
{
	pthread_t t;

	boot_or_die("mem=128M cpus=4");
	pthread_create(&t, NULL, held_across_reboot, NULL);
	wait_phase(1);
	check_and_shutdown();
	boot_or_die("mem=128M cpus=2");
	cr_assert_eq(kmm_bind_cpu(1), 0);
	cr_assert_eq(get_cpu(), 1);
	put_cpu();
	__atomic_store_n(&reboot_phase, 2, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	cr_assert(cpu_after_reboot >= 0 && cpu_after_reboot < 2, "ran on CPU %d of 2",
		  cpu_after_reboot);
	kmm_bind_cpu(-1);
	check_and_shutdown();
}
