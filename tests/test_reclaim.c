/* SPDX-License-Identifier: MIT */
/*
 * Reclaim: shrinkers called by direct reclaim and by kswapd, the gfp
 * context they must respect, allocations that wait for another thread's
 * frees, the OOM path and its notifiers, and might_sleep in atomic context.
 * Small machines (mem=64M) so that memory runs out quickly.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "helpers.h"

/*
 * How long a test waits for kswapd to do something before calling it a
 * failure.  The waits end as soon as it is done (milliseconds, normally);
 * the bound is for a loaded host, where kswapd's thread may wait seconds
 * for a CPU and a sanitizer slows each of its rounds many times over.
 */
#define KSWAPD_PATIENCE_MS	30000.0

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Direct reclaim rounds (Linux's allocstall), over every zone. */
static unsigned long allocstalls(void)
{
	unsigned long n = 0;

	for (int zt = 0; zt < MAX_NR_ZONES; zt++)
		n += vm_event_total((enum vm_event_item)(ALLOCSTALL_DMA + zt));
	return n;
}

/*
 * A cache of pages behind a shrinker.  It counts who asked it for what:
 * calls from the test's own thread (direct reclaim) apart from the others
 * (kswapd), and with or without __GFP_FS.
 */
struct page_cache {
	pthread_mutex_t lock;
	struct page **pages;
	int nr;
	bool needs_fs;		/* frees only with __GFP_FS, else SHRINK_STOP */
	pthread_t owner;
	unsigned long count_calls, scan_calls;
	unsigned long owner_calls, owner_calls_with_fs, owner_freed;
	unsigned long other_scans, other_freed;
	unsigned long nofs_scans, nofs_freed;
};

static struct page_cache cache;

static bool called_by_owner(void)
{
	return pthread_equal(pthread_self(), cache.owner);
}

static unsigned long cache_count(struct shrinker *s, struct shrink_control *sc)
{
	struct page_cache *c = s->private_data;

	pthread_mutex_lock(&c->lock);
	c->count_calls++;
	if (called_by_owner()) {
		c->owner_calls++;
		c->owner_calls_with_fs += !!(sc->gfp_mask & __GFP_FS);
	}
	unsigned long n = (unsigned long)c->nr;
	pthread_mutex_unlock(&c->lock);
	return n ? n : SHRINK_EMPTY;
}

static unsigned long cache_scan(struct shrinker *s, struct shrink_control *sc)
{
	struct page_cache *c = s->private_data;
	unsigned long freed = 0;

	pthread_mutex_lock(&c->lock);
	c->scan_calls++;
	if (called_by_owner()) {
		c->owner_calls++;
		c->owner_calls_with_fs += !!(sc->gfp_mask & __GFP_FS);
	} else {
		c->other_scans++;
	}
	if (!(sc->gfp_mask & __GFP_FS)) {
		c->nofs_scans++;
		if (c->needs_fs) {
			pthread_mutex_unlock(&c->lock);
			return SHRINK_STOP;
		}
	}
	while (freed < sc->nr_to_scan && c->nr > 0) {
		__free_page(c->pages[--c->nr]);
		freed++;
	}
	if (called_by_owner())
		c->owner_freed += freed;
	else
		c->other_freed += freed;
	if (!(sc->gfp_mask & __GFP_FS))
		c->nofs_freed += freed;
	pthread_mutex_unlock(&c->lock);
	return freed;
}

static struct shrinker *cache_setup(int nr_pages, bool needs_fs)
{
	memset(&cache, 0, sizeof(cache));
	pthread_mutex_init(&cache.lock, NULL);
	cache.pages = calloc((size_t)nr_pages, sizeof(*cache.pages));
	cache.needs_fs = needs_fs;
	cache.owner = pthread_self();
	for (int i = 0; i < nr_pages; i++) {
		cache.pages[i] = alloc_page(GFP_KERNEL);
		cr_assert_not_null(cache.pages[i]);
	}
	cache.nr = nr_pages;

	struct shrinker *s = shrinker_alloc(0, "test-cache-%d", nr_pages);
	cr_assert_not_null(s);
	char name[32];
	snprintf(name, sizeof(name), "test-cache-%d", nr_pages);
	cr_assert_str_eq(s->name, name);
	s->count_objects = cache_count;
	s->scan_objects = cache_scan;
	s->private_data = &cache;
	shrinker_register(s);
	return s;
}

static void cache_teardown(struct shrinker *s)
{
	shrinker_free(s);
	pthread_mutex_lock(&cache.lock);
	while (cache.nr > 0)
		__free_page(cache.pages[--cache.nr]);
	pthread_mutex_unlock(&cache.lock);
	free(cache.pages);
}

/* --- shrinkers and direct reclaim --- */

Test(reclaim, gfp_kernel_runs_the_shrinker_when_memory_is_short)
{
	boot_or_die("mem=64M");
	unsigned long boot_free = total_free();
	struct shrinker *s = cache_setup(3000, false);
	unsigned long free_now = total_free();

	/* More than is free: the cache must give back at least 1000 pages. */
	for (unsigned long i = 0; i < free_now + 1000; i++) {
		struct page *p = alloc_page(GFP_KERNEL);
		cr_assert_not_null(p, "allocation %lu of %lu failed; cache still holds %d",
				   i, free_now + 1000, cache.nr);
		hold(p);
	}
	pthread_mutex_lock(&cache.lock);
	cr_assert_gt(cache.scan_calls, 0, "the shrinker was never asked");
	cr_assert_geq(cache.owner_freed + cache.other_freed, 1000);
	cr_assert_leq(cache.nr, 2000);
	pthread_mutex_unlock(&cache.lock);
	cr_assert_eq(kmm_report_count(KMM_REPORT_OOM), 0);
	cr_assert_eq(kmm_report_count(KMM_REPORT_ALLOC_FAIL), 0);
	free_held();
	cache_teardown(s);
	cr_assert_eq(total_free(), boot_free);
	check_and_shutdown();
}

Test(reclaim, drop_slab_empties_the_shrinker)
{
	boot_or_die("mem=64M");
	unsigned long boot_free = total_free();
	struct shrinker *s = cache_setup(1000, false);

	cr_assert_eq(total_free(), boot_free - 1000);
	drop_slab();
	cr_assert_eq(cache.nr, 0);
	cr_assert_eq(total_free(), boot_free);
	/* shrink_slab at the lowest priority gives what it freed. */
	cache_teardown(s);
	s = cache_setup(500, false);
	unsigned long freed = shrink_slab(GFP_KERNEL, 0, 0);
	cr_assert_gt(freed, 0);
	cr_assert_eq((unsigned long)cache.nr, 500 - freed);
	cache_teardown(s);
	cr_assert_eq(total_free(), boot_free);
	check_and_shutdown();
}

/*
 * No kswapd (no __GFP_KSWAPD_RECLAIM) and no retries (__GFP_NORETRY): only
 * this thread's direct reclaim may call the shrinker, so what it is asked
 * and what it frees is exactly the allocator's doing.
 */
#define DIRECT_ONLY (__GFP_NORETRY | __GFP_NOWARN)

Test(reclaim, nofs_allocations_do_not_use_an_fs_shrinker)
{
	boot_or_die("mem=64M");
	unsigned long boot_free = total_free();
	struct shrinker *s = cache_setup(2000, true);

	int got = exhaust((GFP_NOFS & ~__GFP_KSWAPD_RECLAIM) | DIRECT_ONLY);
	cr_assert_gt(got, 5000);
	pthread_mutex_lock(&cache.lock);
	cr_assert_gt(cache.owner_calls, 0, "direct reclaim never asked the shrinker");
	cr_assert_eq(cache.owner_calls_with_fs, 0, "GFP_NOFS reclaim passed __GFP_FS");
	cr_assert_gt(cache.nofs_scans, 0);
	cr_assert_eq(cache.nofs_freed, 0);
	cr_assert_eq(cache.nr, 2000, "the cache gave pages to a GFP_NOFS allocation (%lu scans by another thread, %lu freed; PAGEOUTRUN %lu)", cache.other_scans, cache.other_freed, vm_event_total(PAGEOUTRUN));
	unsigned long calls = cache.owner_calls;
	pthread_mutex_unlock(&cache.lock);

	/* A memalloc_nofs_save() scope takes __GFP_FS away from GFP_KERNEL. */
	unsigned int flags = memalloc_nofs_save();
	cr_assert_eq(current_gfp_context(GFP_KERNEL), GFP_NOFS);
	cr_assert_null(alloc_page((GFP_KERNEL & ~__GFP_KSWAPD_RECLAIM) | DIRECT_ONLY));
	/* Nested scopes restore in order. */
	unsigned int inner = memalloc_nofs_save();
	memalloc_nofs_restore(inner);
	cr_assert_eq(current_gfp_context(GFP_KERNEL), GFP_NOFS);
	memalloc_nofs_restore(flags);
	cr_assert_eq(current_gfp_context(GFP_KERNEL), GFP_KERNEL);
	pthread_mutex_lock(&cache.lock);
	cr_assert_gt(cache.owner_calls, calls);
	cr_assert_eq(cache.owner_calls_with_fs, 0, "the nofs scope passed __GFP_FS");
	cr_assert_eq(cache.nr, 2000);
	pthread_mutex_unlock(&cache.lock);

	/* memalloc_noio_save() takes __GFP_IO too. */
	flags = memalloc_noio_save();
	cr_assert_eq(current_gfp_context(GFP_KERNEL), GFP_NOIO);
	cr_assert_null(alloc_page((GFP_KERNEL & ~__GFP_KSWAPD_RECLAIM) | DIRECT_ONLY));
	memalloc_noio_restore(flags);
	cr_assert_eq(cache.nr, 2000);

	/* Out of the scope, GFP_KERNEL may use it, and gets its page. */
	struct page *p = alloc_page((GFP_KERNEL & ~__GFP_KSWAPD_RECLAIM) | DIRECT_ONLY);
	cr_assert_not_null(p, "GFP_KERNEL could not reclaim from the cache");
	hold(p);
	pthread_mutex_lock(&cache.lock);
	cr_assert_gt(cache.owner_calls_with_fs, 0);
	cr_assert_lt(cache.nr, 2000);
	pthread_mutex_unlock(&cache.lock);

	free_held();
	cache_teardown(s);
	cr_assert_eq(total_free(), boot_free);
	check_and_shutdown();
}

/* --- waiting for another thread's frees --- */

struct delayed_free {
	struct page **pages;
	int nr;
	unsigned int delay_ms;
	double freed_at;
};

static void *free_later(void *arg)
{
	struct delayed_free *d = arg;

	usleep(d->delay_ms * 1000);
	d->freed_at = now_ms();
	for (int i = 0; i < d->nr; i++)
		__free_page(d->pages[i]);
	return NULL;
}

Test(reclaim, gfp_kernel_waits_for_another_thread_to_free)
{
	boot_or_die("mem=64M");
	unsigned long boot_free = total_free();

	/* Below GFP_ATOMIC's share of the reserve: GFP_KERNEL cannot have a page. */
	cr_assert_gt(exhaust(GFP_ATOMIC | __GFP_NOWARN), 10000);
	struct delayed_free d = { .pages = held + nr_held - 2000, .nr = 2000, .delay_ms = 50 };
	nr_held -= 2000;

	pthread_t t;
	double start = now_ms();
	pthread_create(&t, NULL, free_later, &d);
	struct page *p = alloc_page(GFP_KERNEL);
	double end = now_ms();
	pthread_join(t, NULL);

	if (!p && d.freed_at - start > 1.5 * d.delay_ms) {
		/*
		 * The host ran the freeing thread too late: the allocator's
		 * retries (about 85 ms of waiting) ran out first, and failing
		 * is then right.  Only an overloaded host does this.
		 */
		free_held();
		kmm_shutdown();
		cr_skip_test("the freeing thread woke after %.1f ms instead of %u",
			     d.freed_at - start, d.delay_ms);
	}
	cr_assert_not_null(p, "GFP_KERNEL failed although pages were freed after %.1f ms",
			   d.freed_at - start);
	cr_assert_geq(end, d.freed_at, "got a page before any was freed (%.1f ms)", end - start);
	cr_assert_gt(end - start, 30.0);
	cr_assert_eq(kmm_report_count(KMM_REPORT_OOM), 0);
	cr_assert_eq(kmm_report_count(KMM_REPORT_ALLOC_FAIL), 0);
	hold(p);
	free_held();
	cr_assert_eq(total_free(), boot_free);
	check_and_shutdown();
}

struct trickle {
	struct page **pages;
	int nr;
	unsigned int gap_us;
};

static void *free_trickle(void *arg)
{
	struct trickle *t = arg;

	for (int i = 0; i < t->nr; i++) {
		__free_page(t->pages[i]);
		usleep(t->gap_us);
	}
	return NULL;
}

/*
 * Memory that comes back a page at a time is progress: each free wakes the
 * waiting allocator, and those wake-ups must not use up its retries before
 * enough has come back.
 */
Test(reclaim, gfp_kernel_waits_through_a_trickle_of_frees)
{
	boot_or_die("mem=64M");
	unsigned long boot_free = total_free();

	cr_assert_gt(exhaust(GFP_ATOMIC | __GFP_NOWARN), 10000);
	struct trickle tr = { .pages = held + nr_held - 1000, .nr = 1000, .gap_us = 100 };
	nr_held -= 1000;

	pthread_t t;
	pthread_create(&t, NULL, free_trickle, &tr);
	struct page *p = alloc_page(GFP_KERNEL);
	pthread_join(t, NULL);
	cr_assert_not_null(p, "GFP_KERNEL gave up while pages were coming back");
	cr_assert_eq(kmm_report_count(KMM_REPORT_OOM), 0);
	hold(p);
	free_held();
	cr_assert_eq(total_free(), boot_free);
	check_and_shutdown();
}

/* --- out of memory --- */

Test(reclaim, oom_with_nothing_reclaimable_fails_and_reports)
{
	boot_or_die("mem=64M");
	unsigned long boot_free = total_free();

	cr_assert_gt(exhaust(GFP_NOWAIT), 10000);
	unsigned long stalls = allocstalls();
	struct page *p = alloc_page(GFP_KERNEL);
	unsigned long rounds = allocstalls() - stalls;

	cr_assert_null(p);
	/*
	 * It gives up after MAX_RECLAIM_RETRIES (16) rounds of direct reclaim
	 * without progress, one more to see that, and a few more for each
	 * highatomic pageblock given back.  Counted, not timed: a loaded host
	 * (a sanitizer, other builds on the CPUs) stretches every round.
	 */
	cr_assert_geq(rounds, 17, "the OOM path gave up after %lu reclaim rounds", rounds);
	cr_assert_leq(rounds, 17 + 17, "the OOM path took %lu reclaim rounds", rounds);
	cr_assert_geq(kmm_report_count(KMM_REPORT_OOM), 1);
	cr_assert_geq(kmm_report_count(KMM_REPORT_ALLOC_FAIL), 1);
	cr_assert(dmesg_has("invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0"));
	cr_assert(dmesg_has("Out of memory"));
	cr_assert(dmesg_has("page allocation failure: order:0, mode:0xcc0(GFP_KERNEL)"));
	/* The OOM path is not taken for costly orders: they just fail. */
	unsigned long ooms = kmm_report_count(KMM_REPORT_OOM);
	cr_assert_null(alloc_pages(GFP_KERNEL | __GFP_NOWARN, 4));
	cr_assert_eq(kmm_report_count(KMM_REPORT_OOM), ooms);
	/* Nor for __GFP_RETRY_MAYFAIL. */
	cr_assert_null(alloc_page(GFP_KERNEL | __GFP_RETRY_MAYFAIL | __GFP_NOWARN));
	cr_assert_eq(kmm_report_count(KMM_REPORT_OOM), ooms);
	cr_assert_eq(kmm_check(), 0);
	free_held();
	cr_assert_eq(total_free(), boot_free);
	/* And memory is usable again. */
	p = alloc_page(GFP_KERNEL);
	cr_assert_not_null(p);
	__free_page(p);
	check_and_shutdown();
}

static struct page *oom_reserve[512];
static int oom_reserve_nr;
static int oom_calls;

static int oom_free_reserve(struct notifier_block *nb, unsigned long action, void *data)
{
	(void)nb;
	(void)action;
	oom_calls++;
	while (oom_reserve_nr > 0) {
		__free_page(oom_reserve[--oom_reserve_nr]);
		(*(unsigned long *)data)++;
	}
	return NOTIFY_OK;
}

static int oom_nothing(struct notifier_block *nb, unsigned long action, void *data)
{
	(void)nb;
	(void)action;
	(void)data;
	oom_calls++;
	return NOTIFY_DONE;
}

Test(reclaim, oom_notifier_that_frees_makes_the_allocation_succeed)
{
	boot_or_die("mem=64M");
	unsigned long boot_free = total_free();
	struct notifier_block nb = { .notifier_call = oom_free_reserve };
	struct notifier_block idle = { .notifier_call = oom_nothing, .priority = 10 };

	for (oom_reserve_nr = 0; oom_reserve_nr < 512; oom_reserve_nr++) {
		oom_reserve[oom_reserve_nr] = alloc_page(GFP_KERNEL);
		cr_assert_not_null(oom_reserve[oom_reserve_nr]);
	}
	cr_assert_eq(register_oom_notifier(&idle), 0);
	cr_assert_eq(register_oom_notifier(&nb), 0);
	cr_assert_gt(exhaust(GFP_NOWAIT), 10000);

	struct page *p = alloc_page(GFP_KERNEL);
	cr_assert_not_null(p, "the notifier freed %d pages in vain", 512 - oom_reserve_nr);
	cr_assert_geq(oom_calls, 2, "both notifiers are called");
	cr_assert_eq(oom_reserve_nr, 0);
	cr_assert_eq(kmm_report_count(KMM_REPORT_OOM), 0, "OOM reported although a notifier freed");
	cr_assert_eq(kmm_report_count(KMM_REPORT_ALLOC_FAIL), 0);
	hold(p);

	cr_assert_eq(unregister_oom_notifier(&nb), 0);
	cr_assert_eq(unregister_oom_notifier(&nb), -ENOENT);
	cr_assert_eq(unregister_oom_notifier(&idle), 0);
	free_held();
	cr_assert_eq(total_free(), boot_free);
	check_and_shutdown();
}

/* --- kswapd --- */

static bool zone_ok(struct zone *z, unsigned long mark)
{
	return zone_watermark_ok_safe(z, 0, mark, ZONE_NORMAL);
}

static bool all_zones_below_low(void)
{
	for (int zt = 0; zt < MAX_NR_ZONES; zt++) {
		struct zone *z = &NODE_DATA(0)->node_zones[zt];
		if (managed_zone(z) && zone_ok(z, low_wmark_pages(z)))
			return false;
	}
	return true;
}

/*
 * Allocate without sleeping until every zone is below its low watermark,
 * counting the pages on the CPUs' lists as free (kswapd drains them), then
 * once more: that allocation finds no zone above low and wakes kswapd.
 */
static void go_below_low(void)
{
	for (int i = 0;; i++) {
		struct page *p = alloc_page(i & 1 ? GFP_NOWAIT : GFP_ATOMIC);
		cr_assert_not_null(p, "ran out before every zone was below low");
		hold(p);
		if (all_zones_below_low()) {
			drain_all_pages(NULL);
			if (all_zones_below_low())
				break;
		}
	}
	struct page *p = alloc_page(GFP_NOWAIT);
	if (p)
		hold(p);
}

Test(reclaim, kswapd_shrinks_until_above_the_high_watermark)
{
	boot_or_die("mem=64M");
	unsigned long boot_free = total_free();
	pg_data_t *pgdat = NODE_DATA(0);
	unsigned long steal_before = vm_event_total(PGSTEAL_KSWAPD);
	struct shrinker *s = cache_setup(4000, false);

	/* A balanced node's kswapd is started by the first wake-up, not at boot. */
	cr_assert_not(host_thread_named("kswapd0"), "boot started kswapd0 for a balanced node");
	go_below_low();

	/* kswapd, not this thread, brings a zone back above high. */
	bool balanced = false;
	for (double start = now_ms(); !balanced && now_ms() - start < KSWAPD_PATIENCE_MS;) {
		for (int zt = 0; zt < MAX_NR_ZONES; zt++) {
			struct zone *z = &pgdat->node_zones[zt];
			if (managed_zone(z) && zone_ok(z, high_wmark_pages(z)))
				balanced = true;
		}
		if (!balanced)
			usleep(1000);
	}
	cr_assert(balanced, "kswapd did not reach the high watermark (cache holds %d)", cache.nr);
	cr_assert(host_thread_named("kswapd0"));
	pthread_mutex_lock(&cache.lock);
	cr_assert_gt(cache.other_scans, 0, "the shrinker was not run by kswapd");
	cr_assert_gt(cache.other_freed, 0);
	cr_assert_eq(cache.owner_freed, 0, "this thread reclaimed: the test is void");
	pthread_mutex_unlock(&cache.lock);
	/* kswapd counts its steal after the pages are back: give it a moment. */
	for (double start = now_ms();
	     vm_event_total(PGSTEAL_KSWAPD) <= steal_before && now_ms() - start < KSWAPD_PATIENCE_MS;)
		usleep(1000);
	cr_assert_gt(vm_event_total(PGSTEAL_KSWAPD), steal_before);
	cr_assert_gt(vm_event_total(PAGEOUTRUN), 0);

	free_held();
	cache_teardown(s);
	cr_assert_eq(total_free(), boot_free);
	check_and_shutdown();
}

/*
 * A node where kswapd failed MAX_RECLAIM_RETRIES times is left to direct
 * reclaim; once direct reclaim makes progress there, kswapd is back in
 * service (Linux resets kswapd_failures when reclaim finds something).
 */
Test(reclaim, kswapd_returns_after_direct_reclaim_progress)
{
	boot_or_die("mem=64M");
	unsigned long boot_free = total_free();
	pg_data_t *pgdat = NODE_DATA(0);

	/* Nothing reclaimable: kswapd tries, fails, and gives up on the node. */
	exhaust(GFP_NOWAIT);
	for (double start = now_ms(); READ_ONCE(pgdat->kswapd_failures) < 16 &&
				      now_ms() - start < KSWAPD_PATIENCE_MS;)
		usleep(1000);
	cr_assert_geq(READ_ONCE(pgdat->kswapd_failures), 16, "kswapd did not give up (%d failures)",
		      READ_ONCE(pgdat->kswapd_failures));
	free_held();

	/* Direct reclaim that frees something. */
	struct shrinker *s = cache_setup(4000, false);
	unsigned long free_now = total_free();
	for (unsigned long i = 0; i < free_now + 500; i++) {
		struct page *p = alloc_page(GFP_KERNEL);
		cr_assert_not_null(p);
		hold(p);
	}
	cr_assert_gt(cache.owner_freed, 0, "direct reclaim did not use the cache");
	cr_assert_lt(READ_ONCE(pgdat->kswapd_failures), 16, "kswapd still out of service after progress");
	free_held();

	/* And below the low watermark again, kswapd is the one that reclaims. */
	unsigned long kswapd_freed = cache.other_freed;
	go_below_low();
	for (double start = now_ms(); now_ms() - start < KSWAPD_PATIENCE_MS; usleep(1000)) {
		pthread_mutex_lock(&cache.lock);
		bool done = cache.other_freed > kswapd_freed;
		pthread_mutex_unlock(&cache.lock);
		if (done)
			break;
	}
	cr_assert_gt(cache.other_freed, kswapd_freed, "kswapd did not come back (failures %d, cache %d, kswapd freed %lu before)", READ_ONCE(pgdat->kswapd_failures), cache.nr, kswapd_freed);
	free_held();
	cache_teardown(s);
	cr_assert_eq(total_free(), boot_free);
	check_and_shutdown();
}

/* --- might_sleep --- */

Test(reclaim, sleeping_allocation_in_atomic_context_is_reported)
{
	boot_or_die("mem=64M");

	/* Preemptible: nothing to report. */
	struct page *a = alloc_page(GFP_KERNEL);
	cr_assert_not_null(a);
	preempt_disable();
	/* Allocations that never sleep are fine in atomic context. */
	struct page *b = alloc_page(GFP_ATOMIC);
	struct page *c = alloc_page(GFP_NOWAIT);
	cr_assert_eq(kmm_report_count(KMM_REPORT_MIGHT_SLEEP), 0);
	/* GFP_KERNEL may sleep: reported even when memory is plentiful. */
	struct page *d = alloc_page(GFP_KERNEL);
	preempt_enable();
	cr_assert_not_null(b);
	cr_assert_not_null(c);
	cr_assert_not_null(d);
	cr_assert_eq(kmm_report_count(KMM_REPORT_MIGHT_SLEEP), 1);
	cr_assert(dmesg_has("BUG: sleeping function called from invalid context at"));
	cr_assert(dmesg_has("preempt_count: 1, expected: 0"));
	/* Inside a spinlock too. */
	DEFINE_SPINLOCK(lock);
	spin_lock(&lock);
	struct page *e = alloc_pages(GFP_KERNEL, 2);
	spin_unlock(&lock);
	cr_assert_not_null(e);
	cr_assert_eq(kmm_report_count(KMM_REPORT_MIGHT_SLEEP), 2);
	/* And nothing once preemptible again. */
	struct page *f = alloc_page(GFP_KERNEL);
	cr_assert_eq(kmm_report_count(KMM_REPORT_MIGHT_SLEEP), 2);
	__free_page(a);
	__free_page(b);
	__free_page(c);
	__free_page(d);
	__free_pages(e, 2);
	__free_page(f);
	check_and_shutdown();
}
