/* SPDX-License-Identifier: MIT */
/*
 * Multithreaded stress: more threads than CPUs allocate random orders with
 * random gfp flags, write a pattern into every page they own and verify it
 * before freeing, free in random order, and hand allocations to each other
 * to be freed on another thread (and so on another CPU).  Any page handed
 * out twice, freed early or corrupted shows as a broken pattern; in the end
 * every page is back and kmm_check() finds the structures consistent.
 *
 * Errors in the worker threads are recorded and asserted by the main thread
 * (Criterion's assertions belong to the test's own thread).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "helpers.h"

#define NR_THREADS	4
#define OPS		2500
#define MAX_LIVE	48
#define MAILBOX		64

struct alloc {
	struct page *page;
	unsigned int order;
	u64 tag;		/* 0 when the pages have no address (HighMem) */
};

static pthread_mutex_t mailbox_lock = PTHREAD_MUTEX_INITIALIZER;
static struct alloc mailbox[MAILBOX];
static int mailbox_nr;
static unsigned long handed_over, freed_foreign;

static const gfp_t stress_gfps[] = {
	GFP_KERNEL,
	GFP_KERNEL | __GFP_MOVABLE,
	GFP_KERNEL | __GFP_RECLAIMABLE,
	GFP_KERNEL | __GFP_ZERO,
	GFP_KERNEL | __GFP_COMP,
	GFP_KERNEL | __GFP_COLD,
	GFP_KERNEL | GFP_DMA32,
	GFP_ATOMIC | __GFP_NOWARN,
	GFP_NOWAIT,
	GFP_HIGHUSER_MOVABLE,
	GFP_HIGHUSER | __GFP_COMP,
	GFP_NOFS | __GFP_RECLAIMABLE,
};

static void fill(struct alloc *a)
{
	unsigned long words = (PAGE_SIZE << a->order) / sizeof(u64);
	u64 *w = page_address(a->page);

	for (unsigned long i = 0; i < words; i++)
		w[i] = a->tag + i;
}

static void verify(const struct alloc *a, const char *when)
{
	if (!a->tag)
		return;
	unsigned long words = (PAGE_SIZE << a->order) / sizeof(u64);
	const u64 *w = page_address(a->page);

	if (!w) {
		test_error("%s: pfn %#lx lost its address", when, page_to_pfn(a->page));
		return;
	}
	for (unsigned long i = 0; i < words; i++) {
		if (w[i] != a->tag + i) {
			test_error("%s: pfn %#lx order %u word %lu is %#llx, expected %#llx", when,
			      page_to_pfn(a->page), a->order, i, (unsigned long long)w[i],
			      (unsigned long long)(a->tag + i));
			return;
		}
	}
}

static void release(struct alloc *a, const char *who)
{
	verify(a, who);
	if (page_count(a->page) != 1)
		test_error("%s: pfn %#lx has count %d before its free", who, page_to_pfn(a->page),
		      page_count(a->page));
	if ((a->order & 1) && PageHead(a->page))
		put_page(a->page + (1UL << a->order) - 1);	/* through a tail */
	else
		__free_pages(a->page, a->order);
}

struct worker {
	int id;
	int bind;		/* CPU to bind to, or -1 */
	u64 seed;
	unsigned long allocs, failures, frees;
	struct alloc live[MAX_LIVE];
	int nr_live;
};

static void check_bound_cpu(struct worker *w)
{
	int cpu = get_cpu();

	if (cpu != w->bind || smp_processor_id() != w->bind || !in_atomic())
		test_error("thread %d bound to CPU %d runs on %d (smp_processor_id %d)", w->id,
		      w->bind, cpu, smp_processor_id());
	/* An atomic allocation inside the section stays on this CPU. */
	struct page *p = alloc_page(GFP_ATOMIC | __GFP_NOWARN);
	if (smp_processor_id() != cpu)
		test_error("thread %d changed CPU inside get_cpu()", w->id);
	put_cpu();
	if (p)
		__free_page(p);
}

static void do_alloc(struct worker *w)
{
	unsigned int order = (unsigned)(xorshift(&w->seed) % 6);
	gfp_t gfp = stress_gfps[xorshift(&w->seed) % ARRAY_SIZE(stress_gfps)];
	struct page *page = alloc_pages(gfp, order);

	if (!page) {
		w->failures++;
		if (!(gfp & (__GFP_NOWARN)))
			test_error("thread %d: order %u gfp %#x failed", w->id, order, gfp);
		return;
	}
	w->allocs++;
	struct alloc *a = &w->live[w->nr_live++];
	a->page = page;
	a->order = order;
	a->tag = 0;
	if (page_count(page) != 1 || PageBuddy(page))
		test_error("thread %d: new pfn %#lx count %d buddy %d", w->id, page_to_pfn(page),
		      page_count(page), PageBuddy(page));
	if ((gfp & __GFP_COMP) && order && compound_order(page) != order)
		test_error("thread %d: compound order %u, asked %u", w->id, compound_order(page), order);
	if (PageHighMem(page))
		return;		/* no address to write through */
	if (gfp & __GFP_ZERO) {
		const u64 *z = page_address(page);
		for (unsigned long i = 0; i < (PAGE_SIZE << order) / sizeof(u64); i++)
			if (z[i]) {
				test_error("thread %d: __GFP_ZERO pfn %#lx word %lu is %#llx", w->id,
				      page_to_pfn(page), i, (unsigned long long)z[i]);
				break;
			}
	}
	a->tag = ((u64)(w->id + 1) << 56) | (w->allocs << 20);
	fill(a);
}

static void do_free(struct worker *w, int k)
{
	struct alloc a = w->live[k];

	w->live[k] = w->live[--w->nr_live];
	/* Now and then another thread frees it. */
	if (xorshift(&w->seed) % 4 == 0) {
		pthread_mutex_lock(&mailbox_lock);
		if (mailbox_nr < MAILBOX) {
			mailbox[mailbox_nr++] = a;
			handed_over++;
			pthread_mutex_unlock(&mailbox_lock);
			return;
		}
		pthread_mutex_unlock(&mailbox_lock);
	}
	release(&a, "own free");
	w->frees++;
}

static void take_from_mailbox(struct worker *w)
{
	struct alloc a;

	pthread_mutex_lock(&mailbox_lock);
	if (!mailbox_nr) {
		pthread_mutex_unlock(&mailbox_lock);
		return;
	}
	int k = (int)(xorshift(&w->seed) % (u64)mailbox_nr);
	a = mailbox[k];
	mailbox[k] = mailbox[--mailbox_nr];
	freed_foreign++;
	pthread_mutex_unlock(&mailbox_lock);
	release(&a, "foreign free");
	w->frees++;
}

static void *stress_thread(void *arg)
{
	struct worker *w = arg;

	if (w->bind >= 0 && kmm_bind_cpu(w->bind))
		test_error("thread %d: kmm_bind_cpu(%d) failed", w->id, w->bind);
	for (int op = 0; op < OPS; op++) {
		u64 r = xorshift(&w->seed) % 16;

		if (r < 2)
			take_from_mailbox(w);
		else if (r < 10 && w->nr_live < MAX_LIVE)
			do_alloc(w);
		else if (w->nr_live == MAX_LIVE) {
			/* Full: free half of them, at random. */
			for (int i = 0; i < MAX_LIVE / 2; i++)
				do_free(w, (int)(xorshift(&w->seed) % (u64)w->nr_live));
		} else if (w->nr_live)
			do_free(w, (int)(xorshift(&w->seed) % (u64)w->nr_live));
		if (w->bind >= 0 && op % 64 == 0)
			check_bound_cpu(w);
	}
	while (w->nr_live)
		do_free(w, w->nr_live - 1);
	return NULL;
}

static void run_stress(const char *cmdline, u64 seed)
{
	struct worker w[NR_THREADS];
	pthread_t t[NR_THREADS];

	boot_or_die(cmdline);
	unsigned long before = total_free();
	mailbox_nr = 0;
	memset(w, 0, sizeof(w));
	for (int i = 0; i < NR_THREADS; i++) {
		w[i].id = i;
		w[i].bind = i < 2 ? i : -1;	/* two bound, two free to roam */
		w[i].seed = seed * 1000 + (u64)i + 1;
		pthread_create(&t[i], NULL, stress_thread, &w[i]);
	}
	unsigned long allocs = 0, frees = 0;
	for (int i = 0; i < NR_THREADS; i++) {
		pthread_join(t[i], NULL);
		allocs += w[i].allocs;
		frees += w[i].frees;
	}
	/* What is left in the mailbox, this thread frees. */
	while (mailbox_nr) {
		release(&mailbox[--mailbox_nr], "final free");
		frees++;
	}
	cr_assert_eq(error_count(), 0, "%lu errors, the first: %s", error_count(), first_error());
	cr_assert_eq(frees, allocs, "%lu allocations, %lu frees", allocs, frees);
	cr_assert_gt(allocs, NR_THREADS * OPS / 4, "only %lu allocations", allocs);
	cr_assert_gt(freed_foreign, 0, "no allocation was freed by another thread");
	cr_assert_eq(kmm_report_count(KMM_REPORT_BAD_PAGE), 0);
	cr_assert_eq(kmm_report_count(KMM_REPORT_BAD_FREE), 0);
	cr_assert_eq(kmm_report_count(KMM_REPORT_WARN), 0);
	cr_assert_eq(kmm_report_count(KMM_REPORT_MIGHT_SLEEP), 0);
	cr_assert_eq(kmm_check(), 0);
	cr_assert_eq(total_free(), before, "pages lost or gained under stress");
	check_and_shutdown();
}

Test(stress, four_threads_two_cpus_x86_64)
{
	run_stress("mem=256M cpus=2", 1);
}

Test(stress, four_threads_two_cpus_x86_32_with_highmem)
{
	run_stress("arch=x86_32 mem=1G cpus=2", 2);
}

Test(stress, four_threads_on_a_small_machine)
{
	/* Little room: the pcp lists, watermarks and atomic reserves all come into play. */
	run_stress("mem=32M cpus=2", 3);
}

/* kmm_check() stops every CPU: it is consistent even while threads allocate. */
static volatile bool stop_checking;

static void *check_loop(void *arg)
{
	unsigned long *problems = arg;

	while (!__atomic_load_n(&stop_checking, __ATOMIC_ACQUIRE)) {
		*problems += (unsigned long)kmm_check();
		usleep(2000);
	}
	return NULL;
}

Test(stress, kmm_check_while_threads_allocate)
{
	struct worker w[NR_THREADS];
	pthread_t t[NR_THREADS], checker;
	unsigned long problems = 0;

	boot_or_die("mem=256M cpus=2");
	unsigned long before = total_free();
	memset(w, 0, sizeof(w));
	pthread_create(&checker, NULL, check_loop, &problems);
	for (int i = 0; i < NR_THREADS; i++) {
		w[i].id = i;
		w[i].bind = -1;
		w[i].seed = 77 + (u64)i;
		pthread_create(&t[i], NULL, stress_thread, &w[i]);
	}
	for (int i = 0; i < NR_THREADS; i++)
		pthread_join(t[i], NULL);
	__atomic_store_n(&stop_checking, true, __ATOMIC_RELEASE);
	pthread_join(checker, NULL);
	while (mailbox_nr)
		release(&mailbox[--mailbox_nr], "final free");
	cr_assert_eq(error_count(), 0, "%lu errors, the first: %s", error_count(), first_error());
	cr_assert_eq(problems, 0, "kmm_check() found %lu problems while threads ran", problems);
	cr_assert_eq(total_free(), before);
	check_and_shutdown();
}

/* --- CPUs --- */

Test(stress, bind_cpu_and_get_cpu_basics)
{
	boot_or_die("mem=64M cpus=3");
	cr_assert_eq(nr_cpu_ids, 3);
	cr_assert(!in_atomic());
	cr_assert_eq(preempt_count(), 0);
	for (int c = 0; c < 3; c++) {
		cr_assert_eq(kmm_bind_cpu(c), 0);
		cr_assert_eq(smp_processor_id(), c, "bound, preemptible");
		int cpu = get_cpu();
		cr_assert_eq(cpu, c);
		cr_assert_eq(smp_processor_id(), c);
		cr_assert(in_atomic());
		cr_assert_eq(preempt_count(), 1);
		/* Nested sections stay on the CPU. */
		cr_assert_eq(get_cpu(), c);
		cr_assert_eq(preempt_count(), 2);
		cr_assert_eq(kmm_bind_cpu((c + 1) % 3), -EBUSY, "rebinding inside a section");
		put_cpu();
		cr_assert_eq(smp_processor_id(), c);
		put_cpu();
		cr_assert(!in_atomic());
	}
	cr_assert_eq(kmm_bind_cpu(3), -EINVAL);
	cr_assert_eq(kmm_bind_cpu(-2), -EINVAL);
	cr_assert_eq(kmm_bind_cpu(-1), 0);
	int cpu = get_cpu();
	cr_assert(cpu >= 0 && cpu < 3);
	cr_assert_eq(smp_processor_id(), cpu);
	put_cpu();
	/* An unbalanced put warns and leaves the count at zero. */
	put_cpu();
	cr_assert_eq(preempt_count(), 0);
	cr_assert_eq(kmm_report_count(KMM_REPORT_WARN), 1);
	check_and_shutdown();
}

struct bound_arg {
	int cpu;
	unsigned long wrong;
};

static void *bound_worker(void *arg)
{
	struct bound_arg *b = arg;

	kmm_bind_cpu(b->cpu);
	for (int i = 0; i < 2000; i++) {
		int cpu = get_cpu();
		if (cpu != b->cpu || smp_processor_id() != b->cpu)
			b->wrong++;
		struct page *p = alloc_page(GFP_ATOMIC);
		put_cpu();
		if (p)
			__free_page(p);
	}
	return NULL;
}

Test(stress, bound_threads_share_a_cpu_in_turn)
{
	boot_or_die("mem=128M cpus=2");
	struct bound_arg a[4] = { { 0, 0 }, { 0, 0 }, { 1, 0 }, { 1, 0 } };
	pthread_t t[4];
	unsigned long before = total_free();

	for (int i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, bound_worker, &a[i]);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	for (int i = 0; i < 4; i++)
		cr_assert_eq(a[i].wrong, 0, "thread %d ran %lu times off its CPU", i, a[i].wrong);
	cr_assert_eq(total_free(), before);
	check_and_shutdown();
}
