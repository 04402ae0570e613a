/* SPDX-License-Identifier: MIT */
/*
 * Linux's lib/test_vmalloc.c re-expressed: the same cases in the same
 * order (so a mask selects what Linux's run_test_mask selects), the same
 * "Summary:" line, one thread per CPU.
 *
 * Two differences, both because every area here is host mappings,
 * bounded by vm.max_map_count, where a kernel's vmalloc space is only
 * address space:
 *
 * The threads start each case together.  Linux lets them drift apart,
 * so a thread that drifted into the next case while the other still
 * filled the host would fail there through no fault of its own
 * (long_busy_list_alloc_test did, when a loaded machine delayed one
 * thread).
 *
 * full_fit_alloc_test's junk list is sized to the host's mapping budget.
 * Linux asks for lazy_max_pages() pairs of one-page areas per thread:
 * with two CPUs that is about 131k areas per thread, each costing the host
 * mappings, several times vm.max_map_count.  The fill then failed (as the
 * case allows), but its loop could fail too: a thread whose vmalloc found
 * the host full purged the lazy areas and tried again, and the other
 * thread, still filling, could take the room in between.  The driver
 * measures the budget before the threads start and splits it between
 * them, so the fill fits and the loop still has to fit each area into the
 * one-page holes the freed half left.
 */
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include "vmalloc_cases.h"
#include "internal.h"
#include "platform/platform.h"

static __thread unsigned int rnd_state;

static unsigned int rnd(void)
{
	return (unsigned int)rand_r(&rnd_state);
}

static int fix_size_alloc_test(int loops)
{
	for (int i = 0; i < loops; i++) {
		char *p = vmalloc(PAGE_SIZE);
		if (!p)
			return -1;
		*p = 0;
		vfree(p);
	}
	return 0;
}

/* Pairs of one-page areas each thread's full_fit_alloc_test makes (set by the driver). */
static int full_fit_junk;

static int full_fit_alloc_test(int loops)
{
	int junk = full_fit_junk;
	void **ptr = vmalloc(sizeof(void *) * (unsigned long)junk);
	void **junk_ptr = vmalloc(sizeof(void *) * (unsigned long)junk);
	int rv = -1;

	if (!ptr || !junk_ptr)
		goto out;
	for (int i = 0; i < junk; i++) {
		ptr[i] = vmalloc(PAGE_SIZE);
		junk_ptr[i] = vmalloc(PAGE_SIZE);
	}
	for (int i = 0; i < junk; i++)
		vfree(junk_ptr[i]);
	for (int i = 0; i < loops; i++) {
		char *tmp = vmalloc(PAGE_SIZE);
		if (!tmp)
			goto fail;
		*tmp = 1;
		vfree(tmp);
	}
	rv = 0;
fail:
	for (int i = 0; i < junk; i++)
		vfree(ptr[i]);
out:
	vfree(ptr);
	vfree(junk_ptr);
	return rv;
}

static int long_busy_list_alloc_test(int loops)
{
	void **ptr = vmalloc(sizeof(void *) * 15000);
	int rv = -1;

	if (!ptr)
		return -1;
	for (int i = 0; i < 15000; i++)
		ptr[i] = vmalloc(PAGE_SIZE);
	for (int i = 0; i < loops; i++) {
		char *p1 = vmalloc(100 * PAGE_SIZE), *p2;
		if (!p1)
			goto leave;
		p2 = vmalloc(PAGE_SIZE);
		if (!p2) {
			vfree(p1);
			goto leave;
		}
		*p1 = 0;
		*p2 = 1;
		vfree(p1);
		vfree(p2);
	}
	rv = 0;
leave:
	for (int i = 0; i < 15000; i++)
		vfree(ptr[i]);
	vfree(ptr);
	return rv;
}

static int random_size_alloc_test(int loops)
{
	for (int i = 0; i < loops; i++) {
		char *p = vmalloc((1 + rnd() % 100) * PAGE_SIZE);
		if (!p)
			return -1;
		*p = 1;
		vfree(p);
	}
	return 0;
}

static int fix_align_alloc_test(int loops)
{
	/* THREAD_ALIGN << 1: 16 KiB stacks aligned to 32 KiB. */
	for (int i = 0; i < loops; i++) {
		void *p = __vmalloc_node(5 * PAGE_SIZE, 32768, GFP_KERNEL | __GFP_ZERO, 0, NULL);
		if (!p)
			return -1;
		vfree(p);
	}
	return 0;
}

static int random_size_align_alloc_test(int loops)
{
	for (int i = 0; i < loops; i++) {
		unsigned int r = rnd() & 0xff;
		void *p = __vmalloc_node(((r % 10) + 1) * PAGE_SIZE, 1UL << (r % 23),
					 GFP_KERNEL | __GFP_ZERO, 0, NULL);
		if (!p)
			return -1;
		vfree(p);
	}
	return 0;
}

/* Expected to fail: some alignment is bigger than the whole area. */
static int align_shift_alloc_test(int loops)
{
	(void)loops;
	for (int i = 0; i < BITS_PER_LONG; i++) {
		void *p = __vmalloc_node(PAGE_SIZE, 1UL << i, GFP_KERNEL | __GFP_ZERO | __GFP_NOWARN,
					 0, NULL);
		if (!p)
			return -1;
		vfree(p);
	}
	return 0;
}

/*
 * 35000 per-CPU areas of 1..PAGE_SIZE/4 bytes aligned to 2..2048, then all
 * freed: Linux's fixed count, whatever the loop count.
 */
static int pcpu_alloc_test(int loops)
{
	enum { NR = 35000 };
	void __percpu **pcpu = vmalloc(sizeof(*pcpu) * NR);
	int rv = 0;

	(void)loops;
	if (!pcpu)
		return -1;
	for (int i = 0; i < NR; i++) {
		size_t size = 1 + rnd() % (PAGE_SIZE / 4);
		size_t align = (size_t)1 << (1 + rnd() % 11);

		pcpu[i] = __alloc_percpu(size, align);
		if (!pcpu[i] || ((unsigned long)pcpu[i] & (align - 1)))
			rv = -1;
	}
	for (int i = 0; i < NR; i++)
		free_percpu(pcpu[i]);
	vfree(pcpu);
	return rv;
}

struct test_kvfree_rcu {
	struct rcu_head rcu;
	unsigned char array[20];
};

/* One page of vmalloc each, handed to kvfree_rcu without a head: may wait. */
static int kvfree_rcu_1_arg_vmalloc_test(int loops)
{
	for (int i = 0; i < loops; i++) {
		struct test_kvfree_rcu *p = vmalloc(PAGE_SIZE);

		if (!p)
			return -1;
		p->array[0] = 'a';
		kvfree_rcu_mightsleep(p);
	}
	return 0;
}

/* The same through the object's own rcu_head: never waits in the caller. */
static int kvfree_rcu_2_arg_vmalloc_test(int loops)
{
	for (int i = 0; i < loops; i++) {
		struct test_kvfree_rcu *p = vmalloc(PAGE_SIZE);

		if (!p)
			return -1;
		p->array[0] = 'a';
		kvfree_rcu(p, rcu);
	}
	return 0;
}

static int vm_map_ram_test(int loops)
{
	enum { MAP_NR = 16 };
	struct page *pages[MAP_NR];
	unsigned int n = 0;

	while (n < MAP_NR && (pages[n] = alloc_page(GFP_KERNEL)))
		n++;
	if (n == MAP_NR)
		for (int i = 0; i < loops; i++) {
			char *v = vm_map_ram(pages, MAP_NR, NUMA_NO_NODE);
			if (!v) {
				n--;
				break;
			}
			*v = 'a';
			vm_unmap_ram(v, MAP_NR);
		}
	for (unsigned int i = 0; i < n && i < MAP_NR; i++)
		__free_page(pages[i]);
	return n != MAP_NR;
}

const struct vmalloc_case vmalloc_cases[] = {
	{ "fix_size_alloc_test", fix_size_alloc_test, false },
	{ "full_fit_alloc_test", full_fit_alloc_test, false },
	{ "long_busy_list_alloc_test", long_busy_list_alloc_test, false },
	{ "random_size_alloc_test", random_size_alloc_test, false },
	{ "fix_align_alloc_test", fix_align_alloc_test, false },
	{ "random_size_align_alloc_test", random_size_align_alloc_test, false },
	{ "align_shift_alloc_test", align_shift_alloc_test, true },
	{ "pcpu_alloc_test", pcpu_alloc_test, false },
	{ "kvfree_rcu_1_arg_vmalloc_test", kvfree_rcu_1_arg_vmalloc_test, false },
	{ "kvfree_rcu_2_arg_vmalloc_test", kvfree_rcu_2_arg_vmalloc_test, false },
	{ "vm_map_ram_test", vm_map_ram_test, false },
};
const unsigned int nr_vmalloc_cases = sizeof(vmalloc_cases) / sizeof(vmalloc_cases[0]);

struct case_data {
	int passed, failed, xfailed;
	unsigned long long usec;
};

struct driver {
	unsigned int mask;
	int loops;
	struct case_data data[16];
	pthread_t tid;
	pthread_barrier_t *step;	/* shared: where each case starts */
};

static void *case_thread(void *arg)
{
	struct driver *d = arg;

	rnd_state = (unsigned int)(unsigned long)d;
	for (unsigned int j = 0; j < nr_vmalloc_cases; j++) {
		if (!(d->mask & (1U << j)))
			continue;
		pthread_barrier_wait(d->step);
		struct timespec t0, t1;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		int ret = vmalloc_cases[j].fn(d->loops);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		d->data[j].usec = (unsigned long long)((t1.tv_sec - t0.tv_sec) * 1000000LL +
						       (t1.tv_nsec - t0.tv_nsec) / 1000);
		if (!ret)
			d->data[j].passed++;
		else if (vmalloc_cases[j].xfail)
			d->data[j].xfailed++;
		else
			d->data[j].failed++;
	}
	return NULL;
}

/*
 * The pairs of one-page areas full_fit_alloc_test may make per thread:
 * Linux's lazy_max_pages(), or fewer if that many would not fit in the
 * host mappings kmm may still take.  What the threads hold at once is
 * their junk lists (two areas a pair) and the arrays pointing at them,
 * plus what each thread's loop may leave lazily freed while another
 * thread, between its purge and its retry, waits for the CPU.  Only half
 * of the room is planned for, leaving the rest to whatever else holds
 * mappings at the time (lazy areas of the cases before, which a purge
 * gives back, and the host's own count growing past kmm's charge).
 */
static int full_fit_budget(int threads, int loops)
{
	/* With ram=anon a live area's pages split the direct map too (plat_ram_alias_cost()). */
	long per_pair = 2 * (plat_map_cost(1) + plat_ram_alias_cost(1));
	long lo = 0, hi = (long)lazy_max_pages();
	long array_pages = (long)(hi * sizeof(void *) / PAGE_SIZE + 1);
	long arrays = 2 * (plat_map_cost(array_pages) + plat_ram_alias_cost(array_pages));
	long loop = (long)loops * plat_map_cost(1);

	while (lo < hi) {
		long mid = (lo + hi + 1) / 2;
		long need = threads * (mid * per_pair + arrays + loop);

		if (kmm_host_maps_available(2 * need))
			lo = mid;
		else
			hi = mid - 1;
	}
	return (int)lo;
}

int run_vmalloc_cases(unsigned int mask, int threads, int loops)
{
	struct driver *d = calloc((size_t)threads, sizeof(*d));
	pthread_barrier_t step;
	int bad = 0;

	vm_unmap_aliases();	/* lazy areas of earlier work are not the budget's */
	full_fit_junk = full_fit_budget(threads, loops);
	if (mask & 2)
		printk(KERN_INFO "full_fit_alloc_test: %d of lazy_max_pages() %lu pairs per thread fit the host's mappings\n",
		       full_fit_junk, lazy_max_pages());
	pthread_barrier_init(&step, NULL, (unsigned int)threads);
	for (int t = 0; t < threads; t++) {
		d[t].mask = mask;
		d[t].loops = loops;
		d[t].step = &step;
		pthread_create(&d[t].tid, NULL, case_thread, &d[t]);
	}
	for (int t = 0; t < threads; t++)
		pthread_join(d[t].tid, NULL);
	pthread_barrier_destroy(&step);
	for (int t = 0; t < threads; t++)
		for (unsigned int j = 0; j < nr_vmalloc_cases; j++) {
			if (!(mask & (1U << j)))
				continue;
			struct case_data *c = &d[t].data[j];
			printk(KERN_INFO "Summary: %s passed: %d failed: %d xfailed: %d repeat: %d loops: %d avg: %llu usec\n",
			       vmalloc_cases[j].name, c->passed, c->failed, c->xfailed, 1, loops, c->usec);
			bad += c->failed + (vmalloc_cases[j].xfail ? c->passed : 0);
		}
	free(d);
	return bad;
}
