/* SPDX-License-Identifier: MIT */
/*
 * gfp semantics: which zone serves a request on each arch, the reserves
 * each class of request may use, and the bad inputs of issue 2, each of
 * which must be reported and leave the machine exact.
 */
#include <pthread.h>
#include "helpers.h"

static unsigned long pfn_of(struct page *p)
{
	return page_to_pfn(p);
}

Test(gfp, zone_placement_x86_64)
{
	boot_or_die("mem=8G");
	struct page *dma = alloc_pages(GFP_DMA, 0);
	struct page *dma32 = alloc_pages(GFP_DMA32, 0);
	struct page *norm = alloc_pages(GFP_KERNEL, 0);
	struct page *high = alloc_pages(GFP_HIGHUSER_MOVABLE, 0);

	cr_assert_eq(page_zonenum(dma), ZONE_DMA);
	cr_assert_lt(pfn_of(dma), (16UL << 20) >> PAGE_SHIFT);
	cr_assert_eq(page_zonenum(dma32), ZONE_DMA32);
	cr_assert_lt(pfn_of(dma32), (4UL << 30) >> PAGE_SHIFT);
	cr_assert_eq(page_zonenum(norm), ZONE_NORMAL, "GFP_KERNEL prefers Normal");
	cr_assert_eq(page_zonenum(high), ZONE_NORMAL, "no HighMem on x86_64");
	cr_assert(!PageHighMem(high));
	cr_assert_not_null(page_address(high));
	__free_page(dma);
	__free_page(dma32);
	__free_page(norm);
	__free_page(high);
	check_and_shutdown();
}

Test(gfp, zone_placement_x86_32)
{
	boot_or_die("arch=x86_32 mem=2G");
	struct page *high = alloc_pages(GFP_HIGHUSER, 0);
	struct page *low = alloc_pages(GFP_KERNEL, 0);
	struct page *dma32 = alloc_pages(GFP_DMA32, 0);

	cr_assert_eq(page_zonenum(high), ZONE_HIGHMEM);
	cr_assert(PageHighMem(high));
	cr_assert_null(page_address(high), "a high page has no address until kmapped");
	cr_assert_eq(page_zonenum(low), ZONE_NORMAL);
	cr_assert_not_null(page_address(low));
	cr_assert_eq(page_zonenum(dma32), ZONE_NORMAL, "x86_32 has no DMA32: Normal serves it");
	__free_page(high);
	__free_page(low);
	__free_page(dma32);
	check_and_shutdown();
}

Test(gfp, seeds_example_order3_is_8_contiguous_pages)
{
	boot_or_die("mem=256M");
	unsigned long before = total_free();
	unsigned long addr = __get_free_pages(GFP_KERNEL, 3);

	cr_assert_neq(addr, 0);
	cr_assert_eq(addr % (8 * PAGE_SIZE), 0, "naturally aligned");
	struct page *page = virt_to_page((void *)addr);
	for (int i = 0; i < 8; i++) {
		memset((char *)addr + i * PAGE_SIZE, i + 1, PAGE_SIZE);
		cr_assert_eq(page_address(page + i), (void *)(addr + i * PAGE_SIZE));
		cr_assert_eq(page_to_pfn(page + i), page_to_pfn(page) + i);
	}
	cr_assert_eq(__pa(addr), page_to_phys(page));
	cr_assert_eq(__va(__pa(addr)), (void *)addr);
	cr_assert_eq(total_free(), before - 8);
	free_pages(addr, 3);
	cr_assert_eq(total_free(), before);
	cr_assert_eq(page_count(page), 0, "a free page has count 0, as the seeds say");

	unsigned long z = get_zeroed_page(GFP_KERNEL);
	for (unsigned long i = 0; i < PAGE_SIZE; i++)
		cr_assert_eq(((unsigned char *)z)[i], 0);
	free_page(z);
	check_and_shutdown();
}

/* Take pages with @gfp until none come; return them on a list. */
/*
 * Take every page @gfp can get.  The watermark check counts only the
 * zone's free lists, so pages may still sit on per-CPU lists when it
 * first fails; kswapd (woken by the exhaustion) would drain them later and
 * let a following request through.  Drain them ourselves and go on until
 * a drained machine has nothing left for @gfp.
 */
static unsigned long exhaust_list(gfp_t gfp, struct list_head *list)
{
	unsigned long n = 0, last;
	struct page *p;

	do {
		last = n;
		while ((p = alloc_pages(gfp | __GFP_NOWARN, 0))) {
			list_add(&p->lru, list);
			n++;
		}
		drain_all_pages(NULL);
	} while (n != last);
	return n;
}

Test(gfp, atomic_dips_below_min_nowait_does_not)
{
	LIST_HEAD(held);

	boot_or_die("mem=64M");
	struct zone *z = &NODE_DATA(0)->node_zones[ZONE_DMA32];
	unsigned long got = exhaust_list(GFP_NOWAIT, &held);
	cr_assert_gt(got, 1000);
	unsigned long free_now = zone_page_state_snapshot(z, NR_FREE_PAGES);
	cr_assert_geq(free_now, min_wmark_pages(z) - 64,
		      "GFP_NOWAIT must stop near the min watermark (free %lu, min %lu)",
		      free_now, min_wmark_pages(z));
	cr_assert_null(alloc_page(GFP_NOWAIT));
	/* GFP_ATOMIC may use part of the reserve below min. */
	struct page *a = alloc_page(GFP_ATOMIC | __GFP_NOWARN);
	cr_assert_not_null(a, "GFP_ATOMIC must succeed where GFP_NOWAIT fails");
	list_add(&a->lru, &held);
	free_pages_bulk_list(&held);
	check_and_shutdown();
}

Test(gfp, lowmem_reserve_protects_dma)
{
	boot_or_die("arch=x86_32 mem=2G");
	pg_data_t *pgdat = NODE_DATA(0);
	struct zone *dma = &pgdat->node_zones[ZONE_DMA];
	struct zone *normal = &pgdat->node_zones[ZONE_NORMAL];
	struct zone *high = &pgdat->node_zones[ZONE_HIGHMEM];

	cr_assert_eq(dma->lowmem_reserve[ZONE_NORMAL], (long)(zone_managed_pages(normal) / 256));
	cr_assert_eq(dma->lowmem_reserve[ZONE_HIGHMEM],
		     (long)((zone_managed_pages(normal) + zone_managed_pages(high)) / 256));
	cr_assert_eq(normal->lowmem_reserve[ZONE_HIGHMEM], (long)(zone_managed_pages(high) / 32));
	cr_assert_eq(normal->lowmem_reserve[ZONE_DMA], 0);
	check_and_shutdown();
}

Test(gfp, watermarks_follow_min_free_kbytes)
{
	boot_or_die("mem=1G");
	struct zone *z = &NODE_DATA(0)->node_zones[ZONE_DMA32];
	unsigned long min1 = min_wmark_pages(z);
	cr_assert_lt(min_wmark_pages(z), low_wmark_pages(z));
	cr_assert_lt(low_wmark_pages(z), high_wmark_pages(z));
	kmm_shutdown();

	boot_or_die("mem=1G min_free_kbytes=65536 watermark_scale_factor=100");
	z = &NODE_DATA(0)->node_zones[ZONE_DMA32];
	cr_assert_gt(min_wmark_pages(z), 3 * min1);
	/* The gap grows with watermark_scale_factor: 1% of the zone. */
	cr_assert_geq(low_wmark_pages(z) - min_wmark_pages(z), zone_managed_pages(z) / 100);
	check_and_shutdown();
}

Test(gfp, dma_request_never_falls_into_other_zones)
{
	LIST_HEAD(held);

	boot_or_die("mem=512M");
	unsigned long n = exhaust_list(GFP_DMA | GFP_ATOMIC, &held);
	cr_assert_gt(n, 3000);
	struct page *p;
	list_for_each_entry(p, &held, lru)
		cr_assert_eq(page_zonenum(p), ZONE_DMA);
	cr_assert_null(alloc_page(GFP_DMA | GFP_ATOMIC | __GFP_NOWARN));
	/* Other zones are untouched and still serve ordinary requests. */
	struct page *k = alloc_page(GFP_KERNEL);
	cr_assert_not_null(k);
	__free_page(k);
	free_pages_bulk_list(&held);
	check_and_shutdown();
}

Test(gfp, order_above_max_warns_unless_nowarn)
{
	boot_or_die("mem=256M");
	cr_assert_null(alloc_pages(GFP_KERNEL | __GFP_NOWARN, MAX_PAGE_ORDER + 1));
	cr_assert_eq(kmm_report_count(KMM_REPORT_WARN), 0);
	cr_assert_null(alloc_pages(GFP_KERNEL, MAX_PAGE_ORDER + 1));
	cr_assert_eq(kmm_report_count(KMM_REPORT_WARN), 1);
	check_and_shutdown();
}

Test(gfp, bad_frees_are_reported_and_change_nothing)
{
	boot_or_die("mem=256M");
	unsigned long before = total_free();
	struct page *p = alloc_pages(GFP_KERNEL, 2);
	int local;

	__free_pages(p, 2);
	cr_assert_eq(total_free(), before);
	__free_pages(p, 2);				/* double free */
	cr_assert(dmesg_has("BUG: Bad page state"));
	free_pages((unsigned long)&local, 0);		/* not a page of the machine */
	free_pages(page_to_pfn(p) ? (unsigned long)page_address(p) + 1 : 1, 0); /* unaligned */
	__free_pages((struct page *)((char *)mem_map + 3), 0);	/* not a struct page */
	cr_assert_geq(kmm_report_count(KMM_REPORT_BAD_FREE), 4);
	cr_assert_eq(total_free(), before, "a bad free changed the free count");

	/* The wrong order: reported, and the allocation freed whole. */
	p = alloc_pages(GFP_KERNEL, 3);
	__free_pages(p, 1);
	cr_assert(dmesg_has("allocated with order 3"));
	cr_assert_eq(total_free(), before);

	/* put_page at zero. */
	p = alloc_page(GFP_KERNEL);
	put_page(p);
	unsigned long bad = kmm_report_count(KMM_REPORT_BAD_PAGE);
	put_page(p);
	cr_assert_eq(kmm_report_count(KMM_REPORT_BAD_PAGE), bad + 1);
	cr_assert_eq(total_free(), before);

	/* A page left in a bad state stays allocated; fixed, it frees. */
	p = alloc_page(GFP_KERNEL);
	SetPageLRU(p);
	__free_page(p);
	cr_assert(dmesg_has("PAGE_FLAGS_CHECK_AT_FREE flag(s) set"));
	cr_assert_eq(page_count(p), 1);
	cr_assert_eq(total_free(), before - 1);
	ClearPageLRU(p);
	__free_page(p);
	cr_assert_eq(total_free(), before);
	check_and_shutdown();
}

Test(gfp, nofail_without_reclaim_warns_and_fails)
{
	LIST_HEAD(held);

	boot_or_die("mem=64M");
	exhaust_list(GFP_ATOMIC, &held);
	unsigned long warns = kmm_report_count(KMM_REPORT_WARN);
	struct page *p = alloc_page(GFP_ATOMIC | __GFP_NOFAIL);
	cr_assert_null(p, "NOFAIL without direct reclaim cannot wait: NULL");
	cr_assert_eq(kmm_report_count(KMM_REPORT_WARN), warns + 1);
	free_pages_bulk_list(&held);
	check_and_shutdown();
}

Test(gfp, compound_pages_free_whole)
{
	boot_or_die("mem=256M");
	unsigned long before = total_free();
	struct page *p = alloc_pages(GFP_KERNEL | __GFP_COMP, 4);

	cr_assert(PageHead(p));
	cr_assert_eq(compound_order(p), 4);
	cr_assert(PageTail(p + 5));
	cr_assert_eq(compound_head(p + 5), p);
	get_page(p + 3);
	cr_assert_eq(page_count(p), 2);
	put_page(p + 7);
	cr_assert_eq(total_free(), before - 16);
	put_page(p + 1);
	cr_assert_eq(total_free(), before);

	p = alloc_pages(GFP_KERNEL, 2);
	split_page(p, 2);
	for (int i = 3; i >= 0; i--)
		__free_page(p + i);
	cr_assert_eq(total_free(), before);
	check_and_shutdown();
}

Test(gfp, bulk_takes_smallest_blocks_first)
{
	boot_or_die("mem=1G");
	struct page *pages[600] = { NULL };
	struct zone *z = &NODE_DATA(0)->node_zones[ZONE_DMA32];
	unsigned long big = z->free_area[MAX_PAGE_ORDER].nr_free + z->deferred_nr_free[MAX_PAGE_ORDER];

	pages[7] = alloc_page(GFP_KERNEL);
	struct page *kept = pages[7];
	unsigned long got = alloc_pages_bulk(GFP_KERNEL, 600, pages);
	cr_assert_eq(got, 600);
	cr_assert_eq(pages[7], kept, "entries already set are kept");
	for (int i = 0; i < 600; i++)
		for (int j = i + 1; j < 600; j++)
			cr_assert_neq(pages[i], pages[j]);
	unsigned long big_after = z->free_area[MAX_PAGE_ORDER].nr_free + z->deferred_nr_free[MAX_PAGE_ORDER];
	cr_assert_leq(big - big_after, 1, "600 pages should split at most one max-order block");
	for (int i = 0; i < 600; i++)
		__free_page(pages[i]);
	check_and_shutdown();
}

/* A cache that holds pages and gives them back when asked. */
/* kswapd runs shrinkers on its own thread: the cache needs its own lock. */
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static LIST_HEAD(cache_pages);
static unsigned long cache_count, scans, fs_refusals;

/* The counters change under cache_lock; kswapd and the test read them without. */
static unsigned long cache_read(unsigned long *counter)
{
	return __atomic_load_n(counter, __ATOMIC_RELAXED);
}

static void cache_add(unsigned long *counter, long delta)
{
	__atomic_store_n(counter, *counter + (unsigned long)delta, __ATOMIC_RELAXED);
}

static unsigned long cache_count_objects(struct shrinker *s, struct shrink_control *sc)
{
	(void)s;
	(void)sc;
	return cache_read(&cache_count);
}

static unsigned long cache_scan_objects(struct shrinker *s, struct shrink_control *sc)
{
	unsigned long freed = 0;

	(void)s;
	pthread_mutex_lock(&cache_lock);
	cache_add(&scans, 1);
	if (!(sc->gfp_mask & __GFP_FS)) {
		cache_add(&fs_refusals, 1);
		pthread_mutex_unlock(&cache_lock);
		return SHRINK_STOP;
	}
	while (freed < sc->nr_to_scan && !list_empty(&cache_pages)) {
		struct page *p = list_first_entry(&cache_pages, struct page, lru);
		list_del(&p->lru);
		__free_page(p);
		freed++;
		cache_add(&cache_count, -1);
	}
	pthread_mutex_unlock(&cache_lock);
	return freed;
}

Test(reclaim, shrinker_gives_memory_to_gfp_kernel)
{
	LIST_HEAD(held);

	boot_or_die("mem=64M");
	struct shrinker *s = shrinker_alloc(0, "test-cache");
	s->count_objects = cache_count_objects;
	s->scan_objects = cache_scan_objects;
	shrinker_register(s);

	/* Fill memory with cache pages, then ask for more with GFP_KERNEL. */
	struct page *p;
	while ((p = alloc_page(GFP_NOWAIT))) {
		pthread_mutex_lock(&cache_lock);
		list_add(&p->lru, &cache_pages);
		cache_add(&cache_count, 1);
		pthread_mutex_unlock(&cache_lock);
	}
	unsigned long cached = cache_read(&cache_count);
	for (int i = 0; i < 64; i++) {
		p = alloc_page(GFP_KERNEL);
		cr_assert_not_null(p, "GFP_KERNEL must reclaim from the shrinker");
		list_add(&p->lru, &held);
	}
	cr_assert_gt(cache_read(&scans), 0);
	cr_assert_lt(cache_read(&cache_count), cached);

	/* Without __GFP_FS the shrinker refuses, and the scopes say so too. */
	unsigned int nofs = memalloc_nofs_save();
	cr_assert_eq(current_gfp_context(GFP_KERNEL) & __GFP_FS, 0);
	memalloc_nofs_restore(nofs);
	cr_assert_neq(current_gfp_context(GFP_KERNEL) & __GFP_FS, 0);
	unsigned int noio = memalloc_noio_save();
	cr_assert_eq(current_gfp_context(GFP_KERNEL) & (__GFP_FS | __GFP_IO), 0);
	memalloc_noio_restore(noio);
	shrink_slab(GFP_NOFS, 0, 0);
	cr_assert_gt(cache_read(&fs_refusals), 0);

	shrinker_free(s);
	free_pages_bulk_list(&held);
	free_pages_bulk_list(&cache_pages);
	cache_count = 0;
	check_and_shutdown();
}

static LIST_HEAD(late_pages);

static void *free_later(void *arg)
{
	(void)arg;
	msleep(50);
	free_pages_bulk_list(&late_pages);
	return NULL;
}

Test(reclaim, waits_for_another_thread_to_free)
{
	pthread_t t;
	struct page *p;

	boot_or_die("mem=64M");
	while ((p = alloc_page(GFP_ATOMIC | __GFP_NOWARN)))
		list_add(&p->lru, &late_pages);
	pthread_create(&t, NULL, free_later, NULL);
	p = alloc_page(GFP_KERNEL);
	cr_assert_not_null(p, "GFP_KERNEL must wait for the other thread's frees");
	pthread_join(t, NULL);
	__free_page(p);
	check_and_shutdown();
}

static unsigned long oom_calls;
static LIST_HEAD(oom_reserve);

static int oom_give_back(struct notifier_block *nb, unsigned long action, void *data)
{
	(void)nb;
	(void)action;
	oom_calls++;
	if (!list_empty(&oom_reserve)) {
		free_pages_bulk_list(&oom_reserve);
		*(unsigned long *)data += 1;
	}
	return NOTIFY_OK;
}

/*
 * Take every page GFP_ATOMIC may have.  Its loop ends when the zone is at
 * its depth, but pages a refill had moved to a per-CPU list are left
 * there (the watermark test comes first), and reclaim's drain would hand
 * them to the next GFP_KERNEL: so drain and take again until a round
 * after a drain takes nothing.
 */
static void take_all_atomic(struct list_head *held)
{
	struct page *p;
	unsigned long n;

	do {
		drain_all_pages(NULL);
		for (n = 0; (p = alloc_page(GFP_ATOMIC | __GFP_NOWARN)); n++)
			list_add(&p->lru, held);
	} while (n);
}

Test(reclaim, oom_notifier_then_oom_report)
{
	LIST_HEAD(held);
	struct notifier_block nb = { .notifier_call = oom_give_back };
	struct page *p;

	boot_or_die("mem=64M");
	/* Enough to lift the zone from GFP_ATOMIC's depth back above min. */
	for (int i = 0; i < 512; i++)
		list_add(&alloc_page(GFP_KERNEL)->lru, &oom_reserve);
	register_oom_notifier(&nb);
	/*
	 * Leave reclaim nothing: empty slabs kept per CPU or per node and
	 * pages on per-CPU lists would otherwise serve the GFP_KERNEL below
	 * before the notifier is asked, more or fewer of them by timing.
	 */
	drop_slab();
	rcu_barrier();		/* slabs drop_slab() gave to RCU are freed now */
	take_all_atomic(&held);
	/* Nothing to reclaim: the notifier frees its reserve, and that serves us. */
	p = alloc_page(GFP_KERNEL);
	cr_assert_not_null(p);
	cr_assert_geq(oom_calls, 1);
	list_add(&p->lru, &held);
	/* Now nothing helps: the OOM report, and NULL. */
	take_all_atomic(&held);
	p = alloc_page(GFP_KERNEL);
	cr_assert_null(p);
	cr_assert_geq(kmm_report_count(KMM_REPORT_OOM), 1);
	cr_assert(dmesg_has("invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0"));
	cr_assert(dmesg_has("Out of memory and no killable processes..."));
	cr_assert(dmesg_has("page allocation failure: order:0, mode:0xcc0(GFP_KERNEL)"));
	unregister_oom_notifier(&nb);
	free_pages_bulk_list(&held);
	check_and_shutdown();
}

Test(reclaim, might_sleep_in_atomic_is_reported)
{
	boot_or_die("mem=64M");
	preempt_disable();
	struct page *p = alloc_page(GFP_ATOMIC);	/* fine */
	might_sleep();
	preempt_enable();
	cr_assert_eq(kmm_report_count(KMM_REPORT_MIGHT_SLEEP), 1);
	cr_assert(dmesg_has("BUG: sleeping function called from invalid context at"));
	__free_page(p);
	check_and_shutdown();
}
