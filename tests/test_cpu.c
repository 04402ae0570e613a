/* SPDX-License-Identifier: MIT */
/*
 * Simulated CPUs: a thread inside get_cpu()/put_cpu() has its CPU to itself,
 * however many threads there are, bound or not; binding is honoured.
 */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>
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

/*
 * Restartable sequences (cpu.c, slab_rseq.h).  With the host's rseq, a
 * thread that holds a CPU runs the slab fast paths with no section: its
 * rseq_tag is its tag.  Without (GLIBC_TUNABLES=glibc.pthread.rseq=0,
 * which meson runs this suite under too, Valgrind, ThreadSanitizer), it
 * is nobody's, and every fast path goes the flag's way.
 */
static bool rseq_expected(void)
{
	const char *tun = getenv("GLIBC_TUNABLES");

	if (tun && strstr(tun, "glibc.pthread.rseq=0")) {
		/* The C library was told: it registered nothing. */
		cr_assert_null(plat_rseq_cs_word());
		return false;
	}
	return KMM_RSEQ && plat_rseq_cs_word();
}

Test(cpu, rseq_is_used_when_the_host_has_it)
{
	bool want = rseq_expected();

	boot_or_die("mem=128M cpus=2");
	void *p = kmalloc(64, GFP_KERNEL);	/* takes a CPU */
	cr_assert_not_null(p);
	kfree(p);
	if (want)
		cr_assert_eq(current->rseq_tag, current->tag);
	else
		cr_assert_eq(current->rseq_tag, RSEQ_NO_TAG);
	/* Either way, the fast paths still recycle the CPU's objects. */
	for (int i = 0; i < 1000; i++) {
		void *q = kmalloc(64, GFP_KERNEL);
		cr_assert_eq(q, p, "round %d: kmalloc gave %p, not the object just freed %p",
			     i, q, p);
		kfree(q);
	}
	check_and_shutdown();
}

/*
 * Single-stepped (the x86 trap flag), a thread gets a signal after every
 * instruction, and the host kernel aborts any sequence the signal comes
 * in: each fast path's sequence is aborted at its first instruction, its
 * abort handler runs (the handler sees it, in section __kmm_rseq_abort),
 * and the flag's way does the work, once: every object comes back once,
 * the batch frees them all, and kmm_check() finds the sheaves consistent.
 */
extern const char __start___kmm_rseq_abort[] __attribute__((weak));
extern const char __stop___kmm_rseq_abort[] __attribute__((weak));
static volatile long steps, aborts;
static volatile bool stepping;

static void on_trap(int sig, siginfo_t *si, void *uc_)
{
	ucontext_t *uc = uc_;
	const char *ip = (const char *)uc->uc_mcontext.gregs[REG_RIP];

	(void)sig, (void)si;
	steps++;
	if (ip >= __start___kmm_rseq_abort && ip < __stop___kmm_rseq_abort)
		aborts++;
	if (!stepping)
		uc->uc_mcontext.gregs[REG_EFL] &= ~0x100L;
}

#define STEPPED_OBJECTS 24

Test(cpu, a_sequence_a_signal_interrupts_is_aborted_and_done_once)
{
#ifdef KMM_TSAN
	/*
	 * A build with no sequences; and stepped, ThreadSanitizer's own code
	 * takes the trap too, inside its runtime's locks, where the handler's
	 * instrumented code may wait for them for ever (a CI run hung here).
	 */
	cr_skip_test("ThreadSanitizer: no sequences, and its runtime cannot be single-stepped");
#endif
#if defined(__x86_64__)
	struct sigaction sa = { .sa_sigaction = on_trap, .sa_flags = SA_SIGINFO };
	void *objs[STEPPED_OBJECTS];
	bool want = rseq_expected();

	boot_or_die("mem=128M cpus=2");
	sigaction(SIGTRAP, &sa, NULL);
	/* Warm: a CPU held, its sheaf and spare filled, then emptied by a batch. */
	for (int i = 0; i < STEPPED_OBJECTS; i++)
		objs[i] = kmalloc(32, GFP_KERNEL);
	for (int i = 0; i < STEPPED_OBJECTS; i++)
		kfree(objs[i]);
	stepping = true;
	__asm__ __volatile__("pushfq; orq $0x100, (%%rsp); popfq" ::: "memory", "cc");
	for (int i = 0; i < STEPPED_OBJECTS; i++)
		objs[i] = kmalloc(32, GFP_KERNEL);
	for (int i = 0; i < STEPPED_OBJECTS; i++)
		kfree(objs[i]);
	stepping = false;
	__asm__ __volatile__("nop" ::: "memory");
	cr_assert(steps > 0 || !want, "single-stepping gave no trap");
	for (int i = 0; i < STEPPED_OBJECTS; i++)
		for (int j = 0; j < i; j++)
			cr_assert_neq(objs[i], objs[j], "objects %d and %d are one", j, i);
	/*
	 * Every free runs a sequence; so does every allocation but where
	 * objects are annotated for ASan, whose allocations go the slow way.
	 */
	if (want)
		cr_assert_geq(aborts, STEPPED_OBJECTS,
			      "%ld sequences aborted in %d allocations and frees", aborts,
			      2 * STEPPED_OBJECTS);
	else
		cr_assert_eq(aborts, 0);
	/* What the flag's way put back, the sequences take again. */
	for (int i = 0; i < STEPPED_OBJECTS; i++)
		objs[i] = kmalloc(32, GFP_KERNEL);
	for (int i = 0; i < STEPPED_OBJECTS; i++)
		kfree(objs[i]);
	check_and_shutdown();
#endif
}

/*
 * A holder bound to CPU 0 allocates and frees in a loop, its sequences
 * running with no section, while another thread takes CPU 0 over again
 * and again (kmm_run_on_cpu()) to allocate and free on it: the taker's
 * membarrier() must abort any sequence of the holder's under way, so that
 * no object is handed to both (each stamps the objects it holds, and
 * finds its stamp still there before it frees them).
 */
#define SEQ_VISITS 500

static volatile long stamp_clashes;
static bool seq_visits_done;
static long seq_holder_rounds, seq_holder_rseq_rounds;

static void stamp_and_check(void **objs, int n, long me)
{
	for (int i = 0; i < n; i++)
		((volatile long *)objs[i])[0] = me;
	for (int spin = 0; spin < 20; spin++)
		__asm__ __volatile__("" ::: "memory");
	for (int i = 0; i < n; i++)
		if (((volatile long *)objs[i])[0] != me)
			__atomic_add_fetch(&stamp_clashes, 1, __ATOMIC_RELAXED);
}

static void alloc_stamp_free(long me, gfp_t gfp, int n)
{
	void *objs[40];

	for (int i = 0; i < n; i++)
		objs[i] = kmalloc(64, gfp);
	stamp_and_check(objs, n, me);
	for (int i = 0; i < n; i++)
		kfree(objs[i]);
}

static void *seq_holder(void *arg)
{
	(void)arg;
	kmm_bind_cpu(0);
	while (!__atomic_load_n(&seq_visits_done, __ATOMIC_RELAXED)) {
		alloc_stamp_free(1, GFP_KERNEL, 1 + (int)(seq_holder_rounds % 40));
		if (current->rseq_tag == current->tag)
			seq_holder_rseq_rounds++;
		__atomic_add_fetch(&seq_holder_rounds, 1, __ATOMIC_RELAXED);
	}
	kmm_bind_cpu(-1);
	return NULL;
}

static void seq_visit(int cpu, void *arg)
{
	(void)cpu;
	alloc_stamp_free(2, GFP_ATOMIC, (int)(long)arg);
}

Test(cpu, a_takeover_aborts_the_holders_sequences)
{
	bool want = rseq_expected();
	pthread_t t;

	boot_or_die("mem=128M cpus=2");
	pthread_create(&t, NULL, seq_holder, NULL);
	for (int i = 0; i < SEQ_VISITS; i++) {
		/*
		 * After a takeover, the CPU changes hands eagerly for
		 * CONTENDED_RELEASES sections, flag sections all: wait for the
		 * holder to be back on its sequences (a round is 2 to 80).
		 */
		long seen = __atomic_load_n(&seq_holder_rounds, __ATOMIC_RELAXED);
		while (__atomic_load_n(&seq_holder_rounds, __ATOMIC_RELAXED) < seen + 16)
			sched_yield();
		kmm_run_on_cpu(0, seq_visit, (void *)(long)(1 + i % 40));
	}
	__atomic_store_n(&seq_visits_done, true, __ATOMIC_RELAXED);
	pthread_join(t, NULL);
	cr_assert_eq(stamp_clashes, 0, "%ld objects held by two threads at once", stamp_clashes);
	if (want)
		cr_assert_gt(seq_holder_rseq_rounds, seq_holder_rounds / 4,
			     "the holder used sequences in %ld rounds of %ld",
			     seq_holder_rseq_rounds, seq_holder_rounds);
	check_and_shutdown();
}
