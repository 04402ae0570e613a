/* SPDX-License-Identifier: MIT */
/*
 * The zoned page allocator: Linux's mm/page_alloc.c semantics.
 *
 * A request names a gfp mask and an order.  gfp_zone() gives the highest
 * zone it may use and the node's zonelist gives the fallback order below
 * it (HighMem -> Normal -> DMA32 -> DMA, then other nodes by distance).
 * The fast path walks the zonelist and takes the first zone whose free
 * pages stay above its low watermark plus lowmem_reserve[] for the
 * request's highest zone; orders up to PAGE_ALLOC_COSTLY_ORDER come from
 * the CPU's per-CPU list, refilled from the buddy lists a batch at a time.
 * When the fast path fails, the slow path wakes kswapd, retries at the min
 * watermark with the reserves the gfp flags allow (GFP_ATOMIC below min,
 * __GFP_MEMALLOC without watermarks), reclaims directly by running the
 * shrinkers, waits for other threads' frees and retries as
 * __GFP_NORETRY / __GFP_RETRY_MAYFAIL / __GFP_NOFAIL say, and finally
 * calls the OOM path.  A failure is reported as "page allocation failure"
 * with the memory dump, unless __GFP_NOWARN.
 *
 * Locking: per-CPU lists are owned by the CPU (preemption disabled);
 * zone->lock guards the buddy lists.  CPU before zone lock, always.
 */
#include "page_alloc.h"
#include "param.h"
#include <stdarg.h>
#include <limits.h>
#include <stdlib.h>
#include <kmm/vmstat.h>

int min_free_kbytes = 1024;
int user_min_free_kbytes = -1;
int watermark_scale_factor = 10;
int sysctl_lowmem_reserve_ratio[MAX_NR_ZONES];
unsigned long totalreserve_pages;
unsigned int kmm_free_waiters;

#define MAX_RECLAIM_RETRIES 16

/* gfp_zone() for every combination of the four zone bits, set at boot per arch. */
static u8 gfp_zone_table[16];

static enum zone_type gfp_zone_compute(gfp_t flags)
{
	bool x86_32 = kmm_cfg.arch == KMM_ARCH_X86_32;

	if (flags & __GFP_DMA)
		return ZONE_DMA;
	if (flags & __GFP_DMA32)
		return x86_32 ? ZONE_NORMAL : ZONE_DMA32;
	if (flags & __GFP_HIGHMEM) {
		enum zone_type z = x86_32 ? ZONE_HIGHMEM : ZONE_NORMAL;
		/* ZONE_MOVABLE is empty (no kernelcore=), so this falls through. */
		return (flags & __GFP_MOVABLE) ? ZONE_MOVABLE : z;
	}
	return ZONE_NORMAL;
}

void gfp_zone_init(void)
{
	for (gfp_t f = 0; f < 16; f++)
		gfp_zone_table[f] = (u8)gfp_zone_compute(f);
}

static inline enum zone_type __gfp_zone(gfp_t flags)
{
	return (enum zone_type)gfp_zone_table[flags & GFP_ZONEMASK];
}

enum zone_type gfp_zone(gfp_t flags)
{
	return __gfp_zone(flags);
}

/* --- watermarks --- */

static unsigned long nr_free_zone_pages(int offset)
{
	unsigned long sum = 0;
	struct zoneref *z;
	struct zone *zone;

	for_each_zone_zonelist(zone, z, &NODE_DATA(0)->node_zonelists[ZONELIST_FALLBACK], offset) {
		unsigned long size = zone_managed_pages(zone);
		unsigned long high = high_wmark_pages(zone);
		if (size > high)
			sum += size - high;
	}
	return sum;
}

unsigned long nr_free_pagecache_pages(void)
{
	return nr_free_zone_pages(gfp_zone(GFP_HIGHUSER_MOVABLE));
}

void kmm_calculate_min_free_kbytes(void)
{
	unsigned long lowmem_kbytes = 0;
	struct zone *zone;

	for_each_zone(zone)
		if (!is_highmem(zone))
			lowmem_kbytes += zone_managed_pages(zone) * (PAGE_SIZE >> 10);
	long v = 128;
	/* int_sqrt(lowmem_kbytes * 16), clamped to [128, 262144]. */
	unsigned long x = lowmem_kbytes * 16, r = 0, b = 1UL << 62;
	while (b > x)
		b >>= 2;
	while (b) {
		if (x >= r + b) {
			x -= r + b;
			r = (r >> 1) + b;
		} else {
			r >>= 1;
		}
		b >>= 2;
	}
	v = (long)clamp(r, 128UL, 262144UL);
	min_free_kbytes = user_min_free_kbytes >= 0 ? user_min_free_kbytes : (int)v;
}

void setup_per_zone_wmarks(void)
{
	unsigned long pages_min = (unsigned long)min_free_kbytes >> (PAGE_SHIFT - 10);
	unsigned long lowmem_pages = 0;
	struct zone *zone;

	for_each_zone(zone)
		if (!is_highmem(zone))
			lowmem_pages += zone_managed_pages(zone);
	for_each_zone(zone) {
		unsigned long managed = zone_managed_pages(zone);
		unsigned long tmp;

		__spin_lock(&zone->lock);
		tmp = lowmem_pages ? pages_min * managed / lowmem_pages : 0;
		if (is_highmem(zone) || zone_idx(zone) == ZONE_MOVABLE)
			/* Atomic reserves are never taken from here: a small fixed min. */
			zone->_watermark[WMARK_MIN] = clamp(managed / 1024, 32UL, 128UL);
		else
			zone->_watermark[WMARK_MIN] = tmp;
		tmp = max(tmp >> 2, managed * (unsigned long)watermark_scale_factor / 10000);
		zone->watermark_boost = 0;
		zone->_watermark[WMARK_LOW] = zone->_watermark[WMARK_MIN] + tmp;
		zone->_watermark[WMARK_HIGH] = zone->_watermark[WMARK_LOW] + tmp;
		zone->_watermark[WMARK_PROMO] = zone->_watermark[WMARK_HIGH] + tmp;
		__spin_unlock(&zone->lock);
	}
	calculate_totalreserve_pages();
}

void setup_per_zone_lowmem_reserve(void)
{
	for (int nid = 0; nid < nr_online_nodes; nid++) {
		pg_data_t *pgdat = NODE_DATA(nid);

		for (int i = 0; i < MAX_NR_ZONES; i++) {
			struct zone *zone = &pgdat->node_zones[i];
			int ratio = sysctl_lowmem_reserve_ratio[i];
			bool clear = !ratio || !zone_managed_pages(zone);
			unsigned long managed = 0;

			for (int j = i + 1; j < MAX_NR_ZONES; j++) {
				managed += zone_managed_pages(&pgdat->node_zones[j]);
				zone->lowmem_reserve[j] = clear ? 0 : (long)(managed / (unsigned long)ratio);
			}
		}
	}
	calculate_totalreserve_pages();
}

void calculate_totalreserve_pages(void)
{
	unsigned long total = 0;

	for (int nid = 0; nid < nr_online_nodes; nid++) {
		pg_data_t *pgdat = NODE_DATA(nid);
		pgdat->totalreserve_pages = 0;
		for (int i = 0; i < MAX_NR_ZONES; i++) {
			struct zone *zone = &pgdat->node_zones[i];
			long max_r = 0;
			for (int j = i; j < MAX_NR_ZONES; j++)
				max_r = max(max_r, zone->lowmem_reserve[j]);
			unsigned long r = (unsigned long)max_r + high_wmark_pages(zone);
			r = min(r, zone_managed_pages(zone));
			pgdat->totalreserve_pages += r;
			total += r;
		}
	}
	totalreserve_pages = total;
}

/* --- per-CPU pagesets --- */

static int zone_batchsize(struct zone *zone)
{
	int batch = (int)min(zone_managed_pages(zone) >> 10, SZ_1M / PAGE_SIZE);

	batch /= 4;
	if (batch < 1)
		batch = 1;
	/* Round to 2^n - 1, so batches do not alias power-of-two list sizes. */
	int r = 1;
	while (r * 2 <= batch + batch / 2)
		r *= 2;
	return max(r - 1, 1);
}

/*
 * vm.percpu_pagelist_high_fraction, as a boot parameter: 0 (the default)
 * lets each list's high mark tune itself between the low watermark and an
 * eighth of the zone; N (at least 8) fixes it at 1/N of the zone, shared
 * among the CPUs (and never under four batches), as Linux's sysctl does.
 * libkmm-malloc.so sets it: a CPU that frees more than it allocates would
 * otherwise hold up to an eighth of RAM on its list, pages the process has
 * touched and that no other CPU reuses.
 */
#define MIN_PERCPU_PAGELIST_HIGH_FRACTION 8
int percpu_pagelist_high_fraction;

static int setup_pcp_high_fraction(const char *val)
{
	char *end;
	long v = val ? strtol(val, &end, 10) : -1;

	if (!val || *end || v < 0 || v > INT_MAX ||
	    (v && v < MIN_PERCPU_PAGELIST_HIGH_FRACTION))
		return -EINVAL;
	percpu_pagelist_high_fraction = (int)v;
	return 0;
}

static void pcp_high_fraction_reset(void)
{
	percpu_pagelist_high_fraction = 0;
}

kmm_param("percpu_pagelist_high_fraction", setup_pcp_high_fraction, pcp_high_fraction_reset);

/*
 * hugeram=SIZE (kmm's own; 0, the default, for never): once SIZE of RAM
 * is allocated, the direct map asks the host for huge pages
 * (plat_ram_huge(), ram=anon only).  A process with a large heap then
 * faults it in 2 MiB at a time, and a fork copies one entry per 2 MiB
 * where it copied 512: bench_malloc's forkexec (a GiB, half of it in
 * blocks of 4 to 64 KiB) went from 0.59x mimalloc to 0.10-0.11x.  A small process
 * never gets there, and pays nothing: with huge pages from boot, the
 * pages boot writes (at the bottom of ZONE_NORMAL and at the top of RAM,
 * memblock's) cost `ls` 10 MiB of RSS where it had 3, and the time to
 * zero it.  What a large heap pays: a virtual machine whose host takes
 * back free blocks of 2 MiB and up (free page reporting, as this
 * project's VMs' balloon does) faults such a block back in when a huge
 * page lands on it.  Small pages mostly come from the smaller free lists,
 * which are not reported.  churn (360 MiB, 144 huge faults) measured
 * alone: 0.13 s run back to back, with huge pages; 0.42-0.45 s after a
 * 3 s pause (system time 0.66-0.73 s), where small pages take
 * 0.19-0.22 s either way.  In bench_malloc's rotation the huge pages won
 * or lost by whether the memory had gone cold: churn's best 0.56-0.76x
 * mimalloc, its median 1.22x glibc's.  Per MiB, a cold huge fault costs
 * some 0.7 ms more than small pages, a fork of small pages 0.04 ms more
 * than of huge ones: the switch pays for a heap that forks some sixteen
 * times, which a heap of hundreds of MiB that forks at all (a server's
 * workers, a build's jobs) is likelier to do than one of tens.  So the
 * preload boots with hugeram=512M: churn (360 MiB) never switches, its
 * median 0.46 s against glibc's 0.73; forkexec (a GiB) does, 0.09x
 * mimalloc's time (bench_malloc -k hugeram=512M, -r 5).  Checked where
 * pages leave the free lists in bulk (a per-CPU list's refill, the
 * buddy's own allocations), not on the fast path.
 */
static unsigned long hugeram_pages;	/* 0: off, or done */

static int setup_hugeram(const char *val)
{
	u64 v;

	if (kmm_parse_size(val, &v) || (v && v < PAGE_SIZE))
		return -EINVAL;
	hugeram_pages = (unsigned long)(v >> PAGE_SHIFT);	/* 0: off */
	return 0;
}

static void hugeram_reset(void)
{
	hugeram_pages = 0;
}

kmm_param("hugeram", setup_hugeram, hugeram_reset);

static __always_inline void hugeram_check(void)
{
	unsigned long want = READ_ONCE(hugeram_pages);

	if (likely(!want) ||
	    totalram_pages() - global_zone_page_state(NR_FREE_PAGES) < want)
		return;
	if (__atomic_exchange_n(&hugeram_pages, 0, __ATOMIC_RELAXED))
		plat_ram_huge();
}

/* @fraction 0: the low watermark; else 1/@fraction of the zone. */
static int zone_highsize(struct zone *zone, int batch, int fraction)
{
	unsigned long total = fraction ? zone_managed_pages(zone) / (unsigned long)fraction
				       : low_wmark_pages(zone);
	unsigned long high = total / nr_cpu_ids;

	return (int)max(high, (unsigned long)batch << 2);
}

void setup_zone_pageset(struct zone *zone)
{
	int batch = zone_batchsize(zone);
	int fraction = percpu_pagelist_high_fraction;
	int high_min = zone_highsize(zone, batch, fraction);
	/* A fraction set by hand fixes the mark: no tuning. */
	int high_max = fraction ? high_min
				: zone_highsize(zone, batch, MIN_PERCPU_PAGELIST_HIGH_FRACTION);

	if (!populated_zone(zone))
		batch = 1, high_min = high_max = 0;
	zone->pageset_batch = batch;
	zone->pageset_high_min = high_min;
	zone->pageset_high_max = high_max;
	for (unsigned int cpu = 0; cpu < nr_cpu_ids; cpu++) {
		struct per_cpu_pages *pcp = &zone->per_cpu_pageset[cpu];

		if (!pcp->lists[0].next)
			for (int i = 0; i < NR_PCP_LISTS; i++)
				INIT_LIST_HEAD(&pcp->lists[i]);
		pcp->batch = batch;
		pcp->high_min = high_min;
		pcp->high_max = high_max;
		pcp->high = high_min;
	}
}

/*
 * The per-CPU list's high mark adapts as Linux 6.x's does: it grows while
 * a CPU frees more than it allocates and shrinks under memory pressure,
 * between high_min (the low watermark shared among the CPUs) and high_max
 * (an eighth of the zone, shared likewise).  Refills grow too: each refill
 * that fits doubles the next one (alloc_factor), each free halves it.
 */

/* How many blocks one refill of an order's list takes from the zone. */
static int nr_pcp_alloc(struct per_cpu_pages *pcp, struct zone *zone, unsigned int order)
{
	int base = pcp->batch, batch;
	int high = pcp->high = clamp(pcp->high, pcp->high_min, pcp->high_max);

	if (high < base)
		return 1;
	batch = order ? base : base << pcp->alloc_factor;
	if (pcp->high_min != pcp->high_max && !test_bit(ZONE_BELOW_HIGH, &zone->flags))
		pcp->high = high = min(high + batch, pcp->high_max);
	if (!order) {
		int max_nr_alloc = max(high - pcp->count - base, base);

		if (batch <= max_nr_alloc && pcp->alloc_factor < PCP_BATCH_SCALE_MAX)
			pcp->alloc_factor++;
		batch = min(batch, max_nr_alloc);
	}
	if (batch > 1)
		batch = max(batch >> order, 2);
	return batch;
}

/* The high mark to drain against after a free (and its new value). */
int nr_pcp_high(struct per_cpu_pages *pcp, struct zone *zone, int batch, bool free_high)
{
	int high_min = pcp->high_min, high_max = pcp->high_max;
	int high = pcp->high = clamp(pcp->high, high_min, high_max);

	if (!high)
		return 0;
	if (free_high) {
		pcp->high = max(high - (batch << PCP_BATCH_SCALE_MAX), high_min);
		return 0;
	}
	if (test_bit(ZONE_RECLAIM_ACTIVE, &zone->flags)) {
		int fc = max(pcp->free_count, batch);
		pcp->high = max(high - fc, high_min);
		return min(batch << 2, pcp->high);
	}
	if (high_min == high_max)
		return high;
	if (test_bit(ZONE_BELOW_HIGH, &zone->flags)) {
		int fc = max(pcp->free_count, batch);
		pcp->high = max(high - fc, high_min);
		high = max(pcp->count, high_min);
	} else if (pcp->count >= high) {
		int need = pcp->free_count + batch;
		if (pcp->high < need)
			pcp->high = clamp(need, high_min, high_max);
	}
	return high;
}

/* How many to give back when the lists pass high. */
int nr_pcp_free(struct per_cpu_pages *pcp, int batch, int high, bool free_high)
{
	if (free_high)
		return min(pcp->count, batch << PCP_BATCH_SCALE_MAX);
	if (high < batch)
		return 1;
	return clamp(pcp->free_count, batch, high - batch);
}

static int rmqueue_bulk(struct zone *zone, unsigned int order, int count,
			struct list_head *list, int migratetype, unsigned int alloc_flags)
{
	int i;

	__spin_lock(&zone->lock);
	for (i = 0; i < count; i++) {
		struct page *page = __rmqueue(zone, order, migratetype, alloc_flags);
		if (!page)
			break;
		list_add_tail(&page->pcp_list, list);
	}
	__spin_unlock(&zone->lock);
	hugeram_check();
	return i;
}

void free_pcppages_bulk(struct zone *zone, int count, struct per_cpu_pages *pcp,
			int pindex)
{
	count = min(pcp->count, count);
	if (count <= 0)
		return;
	__spin_lock(&zone->lock);
	while (count > 0) {
		struct list_head *list;

		do {
			if (++pindex > NR_PCP_LISTS - 1)
				pindex = 0;
			list = &pcp->lists[pindex];
		} while (list_empty(list));
		unsigned int order = pindex_to_order((unsigned int)pindex);
		int nr = 1 << order;
		do {
			struct page *page = list_last_entry(list, struct page, pcp_list);
			unsigned long pfn = page_to_pfn(page);
			int mt = get_pfnblock_migratetype(page, pfn);

			list_del(&page->pcp_list);
			count -= nr;
			pcp->count -= nr;
			__free_one_page(page, pfn, zone, order, mt, false);
		} while (count > 0 && !list_empty(list));
	}
	__spin_unlock(&zone->lock);
}

/* Give one CPU's pages of @zone (all zones if NULL) back.  Owns @cpu. */
static void drain_pages_cpu(unsigned int cpu, struct zone *only)
{
	struct zone *zone;

	for_each_populated_zone(zone) {
		if (only && zone != only)
			continue;
		struct per_cpu_pages *pcp = &zone->per_cpu_pageset[cpu];
		if (pcp->count)
			free_pcppages_bulk(zone, pcp->count, pcp, 0);
	}
}

void drain_local_pages(struct zone *zone)
{
	__preempt_disable();
	drain_pages_cpu((unsigned int)current->cpu, zone);
	__preempt_enable();
}

/*
 * Visit each CPU in turn, owning it while its lists are drained, as
 * Linux's drain work runs on each CPU.  Called preemptible, so this
 * thread never holds one CPU while it waits for another.
 */
static void drain_pages_on(int cpu, void *zone)
{
	drain_pages_cpu((unsigned int)cpu, zone);
}

void drain_all_pages(struct zone *zone)
{
	struct task_struct *t = current;

	if (t->preempt_count) {
		drain_local_pages(zone);
		return;
	}
	for (unsigned int cpu = 0; cpu < nr_cpu_ids; cpu++)
		kmm_run_on_cpu((int)cpu, drain_pages_on, zone);
}

/* --- allocation --- */

static inline void zone_statistics(struct zone *preferred, struct zone *z, int cpu)
{
	struct per_cpu_zonestat *zs = &z->per_cpu_zonestats[cpu];

	if (nr_online_nodes == 1) {
		zs->vm_numa_event[NUMA_HIT]++;
		zs->vm_numa_event[NUMA_LOCAL]++;
		return;
	}
	if (zone_to_nid(z) != zone_to_nid(preferred)) {
		zs->vm_numa_event[NUMA_MISS]++;
		preferred->per_cpu_zonestats[cpu].vm_numa_event[NUMA_FOREIGN]++;
	} else {
		zs->vm_numa_event[NUMA_HIT]++;
	}
	zs->vm_numa_event[zone_to_nid(z) == zone_to_nid(preferred) ? NUMA_LOCAL : NUMA_OTHER]++;
}

static void prep_compound_page(struct page *page, unsigned int order)
{
	unsigned long nr = 1UL << order;

	__SetPageHead(page);
	for (unsigned long i = 1; i < nr; i++) {
		page[i].compound_head = (unsigned long)page | 1;
	}
	if (order)
		page[1].compound_order = (unsigned char)order;
}

/*
 * Make a page just taken off a list an allocation: its count, order and
 * compound tails.  Done in the same section that took it off, so that
 * kmm_check(), which owns every CPU, never sees an allocation half made.
 */
static inline void set_new_page(struct page *page, unsigned int order, gfp_t gfp,
				int migratetype)
{
	page->private = 0;
	INIT_LIST_HEAD(&page->lru);
	set_page_count(page, 1);
	page_set_alloc(page, order, migratetype);
	if (order && (gfp & __GFP_COMP))
		prep_compound_page(page, order);
}

/*
 * Linux's post_alloc_hook() for the page's bytes, outside any section: the
 * page is ours by now.  debug_pagealloc maps it back and page poisoning
 * checks it (page_debug.c) before it is zeroed.  With init_on_free pages
 * are zeroed as they are freed; __GFP_ZERO still zeroes, because pages that
 * never went through a free (boot memory) are not known clean.
 */
static inline void zero_new_page(struct page *page, unsigned int order, gfp_t gfp)
{
	if (unlikely(kmm_page_hooks))
		kmm_alloc_pages_hooks(page, 1UL << order);
	if ((gfp & __GFP_ZERO) || (want_init_on_alloc(gfp) && !want_init_on_free()))
		kernel_init_pages(page, 1UL << order);
}

static inline void prep_new_page(struct page *page, unsigned int order, gfp_t gfp,
				 int migratetype)
{
	set_new_page(page, order, gfp, migratetype);
	zero_new_page(page, order, gfp);
}

static struct page *rmqueue_pcplist(struct zone *preferred, struct zone *zone,
				    unsigned int order, int migratetype,
				    unsigned int alloc_flags, gfp_t gfp)
{
	struct page *page;

	__preempt_disable();
	int cpu = current->cpu;
	struct per_cpu_pages *pcp = &zone->per_cpu_pageset[cpu];
	struct list_head *list = &pcp->lists[order_to_pindex(migratetype, order)];

	pcp->free_count >>= 1;
	if (list_empty(list)) {
		int got = rmqueue_bulk(zone, order, nr_pcp_alloc(pcp, zone, order), list,
				       migratetype, alloc_flags);
		pcp->count += got << order;
		if (unlikely(list_empty(list))) {
			__preempt_enable();
			return NULL;
		}
	}
	if (unlikely(gfp & __GFP_COLD))
		page = list_last_entry(list, struct page, pcp_list);
	else
		page = list_first_entry(list, struct page, pcp_list);
	list_del(&page->pcp_list);
	pcp->count -= 1 << order;
	set_new_page(page, order, gfp, migratetype);
	__count_vm_events((enum vm_event_item)(PGALLOC_DMA + zone_idx(zone)), 1L << order);
	zone_statistics(preferred, zone, cpu);
	__preempt_enable();
	return page;
}

static struct page *rmqueue_buddy(struct zone *preferred, struct zone *zone,
				  unsigned int order, unsigned int alloc_flags,
				  int migratetype, gfp_t gfp)
{
	struct page *page = NULL;

	__spin_lock(&zone->lock);
	if (alloc_flags & ALLOC_HIGHATOMIC)
		page = __rmqueue_smallest(zone, order, MIGRATE_HIGHATOMIC);
	if (!page) {
		page = __rmqueue(zone, order, migratetype, alloc_flags);
		if (!page && (alloc_flags & (ALLOC_OOM | ALLOC_NON_BLOCK)))
			page = __rmqueue_smallest(zone, order, MIGRATE_HIGHATOMIC);
	}
	if (page) {
		set_new_page(page, order, gfp, migratetype);
		__count_vm_events((enum vm_event_item)(PGALLOC_DMA + zone_idx(zone)), 1L << order);
		zone_statistics(preferred, zone, current->cpu);
	}
	__spin_unlock(&zone->lock);
	hugeram_check();
	return page;
}

static inline long zone_watermark_unusable_free(struct zone *z, unsigned int order,
						unsigned int alloc_flags)
{
	long unusable = (1L << order) - 1;

	if (likely(!(alloc_flags & ALLOC_RESERVES)))
		unusable += atomic_long_read(&z->nr_free_highatomic);
	return unusable;
}

static bool __zone_watermark_ok(struct zone *z, unsigned int order, unsigned long mark,
				int highest_zoneidx, unsigned int alloc_flags, long free_pages)
{
	long min = (long)mark;

	free_pages -= zone_watermark_unusable_free(z, order, alloc_flags);
	if (unlikely(alloc_flags & ALLOC_RESERVES)) {
		/* __GFP_HIGH: half the min reserve; atomic callers a quarter more. */
		if (alloc_flags & ALLOC_MIN_RESERVE) {
			min -= min / 2;
			if (alloc_flags & ALLOC_NON_BLOCK)
				min -= min / 4;
		}
		if (alloc_flags & ALLOC_OOM)
			min -= min / 2;
	}
	if (free_pages <= min + z->lowmem_reserve[highest_zoneidx])
		return false;
	if (!order)
		return true;
	/* Without zone->lock, as Linux: a hint the allocation re-checks under it. */
	for (unsigned int o = order; o < NR_PAGE_ORDERS; o++) {
		struct free_area *area = &z->free_area[o];

		if (READ_ONCE(z->deferred_nr_free[o]))
			return true;
		if (!data_race(area->nr_free))
			continue;
		for (int mt = 0; mt < MIGRATE_PCPTYPES; mt++)
			if (!list_empty(&area->free_list[mt]))
				return true;
		if ((alloc_flags & (ALLOC_HIGHATOMIC | ALLOC_OOM)) &&
		    !list_empty(&area->free_list[MIGRATE_HIGHATOMIC]))
			return true;
	}
	return false;
}

bool zone_watermark_ok(struct zone *z, unsigned int order, unsigned long mark,
		       int highest_zoneidx, unsigned int alloc_flags)
{
	return __zone_watermark_ok(z, order, mark, highest_zoneidx, alloc_flags,
				   (long)zone_page_state(z, NR_FREE_PAGES));
}

bool zone_watermark_ok_safe(struct zone *z, unsigned int order, unsigned long mark,
			    int highest_zoneidx)
{
	return __zone_watermark_ok(z, order, mark, highest_zoneidx, 0,
				   (long)zone_page_state_snapshot(z, NR_FREE_PAGES));
}

static inline bool zone_watermark_fast(struct zone *z, unsigned int order,
				       unsigned long mark, int highest_zoneidx,
				       unsigned int alloc_flags)
{
	long free_pages = (long)zone_page_state(z, NR_FREE_PAGES);

	if (!order) {
		long fast_free = free_pages;
		if (!(alloc_flags & ALLOC_RESERVES))
			fast_free -= atomic_long_read(&z->nr_free_highatomic);
		if (fast_free > (long)mark + z->lowmem_reserve[highest_zoneidx])
			return true;
	}
	return __zone_watermark_ok(z, order, mark, highest_zoneidx, alloc_flags, free_pages);
}

static unsigned int alloc_flags_nofragment(struct zone *zone)
{
	/* Prefer DMA32 to fragmenting Normal, as Linux does when both exist. */
	if (!zone || zone_idx(zone) != ZONE_NORMAL)
		return 0;
	struct zone *below = zone - 1;
	if (kmm_cfg.arch == KMM_ARCH_X86_64 && populated_zone(below))
		return ALLOC_NOFRAGMENT;
	return 0;
}

static struct page *get_page_from_freelist(gfp_t gfp, unsigned int order,
					   unsigned int alloc_flags,
					   const struct alloc_context *ac)
{
	struct zoneref *z;
	struct zone *zone;
	bool no_fallback;

retry:
	no_fallback = alloc_flags & ALLOC_NOFRAGMENT;
	for_each_zone_zonelist(zone, z, ac->zonelist, (int)ac->highest_zoneidx) {
		struct page *page;

		if (no_fallback && nr_online_nodes > 1 &&
		    zone_to_nid(zone) != zone_to_nid(ac->preferred_zoneref->zone)) {
			alloc_flags &= ~ALLOC_NOFRAGMENT;
			goto retry;
		}
		/*
		 * Note when the zone falls below its high watermark, here rather
		 * than on the free path: frees then shrink the per-CPU lists.
		 */
		if (!test_bit(ZONE_BELOW_HIGH, &zone->flags)) {
			if (zone_watermark_fast(zone, order, high_wmark_pages(zone),
						(int)ac->highest_zoneidx, alloc_flags))
				goto try_this_zone;
			set_bit(ZONE_BELOW_HIGH, &zone->flags);
		}
		unsigned long mark = wmark_pages(zone, (enum zone_watermarks)(alloc_flags & ALLOC_WMARK_MASK));
		if (!(alloc_flags & ALLOC_NO_WATERMARKS) &&
		    !zone_watermark_fast(zone, order, mark, (int)ac->highest_zoneidx, alloc_flags))
			continue;
try_this_zone:

		if (likely(pcp_allowed_order(order)))
			page = rmqueue_pcplist(ac->preferred_zoneref->zone, zone, order,
					       ac->migratetype, alloc_flags, gfp);
		else
			page = NULL;
		if (!page)
			page = rmqueue_buddy(ac->preferred_zoneref->zone, zone, order,
					     alloc_flags, ac->migratetype, gfp);
		if (page) {
			zero_new_page(page, order, gfp);
			if (unlikely(alloc_flags & ALLOC_HIGHATOMIC))
				reserve_highatomic_pageblock(page, order, zone);
			return page;
		}
	}
	if (no_fallback) {
		alloc_flags &= ~ALLOC_NOFRAGMENT;
		goto retry;
	}
	return NULL;
}

static inline unsigned int gfp_to_alloc_flags(gfp_t gfp, unsigned int order)
{
	unsigned int alloc_flags = ALLOC_WMARK_MIN | ALLOC_CPUSET;

	if (gfp & __GFP_HIGH)
		alloc_flags |= ALLOC_MIN_RESERVE;
	if (gfp & __GFP_KSWAPD_RECLAIM)
		alloc_flags |= ALLOC_KSWAPD;
	if (!(gfp & __GFP_DIRECT_RECLAIM)) {
		if (!(gfp & __GFP_NOMEMALLOC)) {
			alloc_flags |= ALLOC_NON_BLOCK;
			if (order > 0)
				alloc_flags |= ALLOC_HIGHATOMIC;
		}
		if (alloc_flags & ALLOC_MIN_RESERVE)
			alloc_flags &= ~ALLOC_CPUSET;
	}
	return alloc_flags;
}

static unsigned int gfp_pfmemalloc_flags(gfp_t gfp)
{
	if (gfp & __GFP_NOMEMALLOC)
		return 0;
	if (gfp & __GFP_MEMALLOC)
		return ALLOC_NO_WATERMARKS;
	if (current->flags & PF_MEMALLOC)
		return ALLOC_NO_WATERMARKS;
	return 0;
}

static void wake_all_kswapds(unsigned int order, gfp_t gfp, const struct alloc_context *ac)
{
	struct zoneref *z;
	struct zone *zone;
	int last = -1;

	for_each_zone_zonelist(zone, z, ac->zonelist, (int)ac->highest_zoneidx) {
		if (zone->node != last)
			wakeup_kswapd(zone, gfp, (int)order, ac->highest_zoneidx);
		last = zone->node;
	}
}

/* True if some zone of the request is above its min watermark now. */
static bool zonelist_above_min(unsigned int order, const struct alloc_context *ac,
			       unsigned int alloc_flags)
{
	struct zoneref *z;
	struct zone *zone;

	for_each_zone_zonelist(zone, z, ac->zonelist, (int)ac->highest_zoneidx)
		if (__zone_watermark_ok(zone, order, min_wmark_pages(zone), (int)ac->highest_zoneidx,
					alloc_flags, (long)zone_page_state_snapshot(zone, NR_FREE_PAGES)))
			return true;
	return false;
}

static bool should_reclaim_retry(gfp_t gfp, unsigned int order,
				 const struct alloc_context *ac, unsigned int alloc_flags,
				 bool did_some_progress, int *no_progress_loops)
{
	struct zoneref *z;
	struct zone *zone;

	(void)gfp;
	if (did_some_progress && order <= PAGE_ALLOC_COSTLY_ORDER)
		*no_progress_loops = 0;
	else
		(*no_progress_loops)++;
	if (*no_progress_loops > MAX_RECLAIM_RETRIES)
		return unreserve_highatomic_pageblock(ac, true);

	for_each_zone_zonelist(zone, z, ac->zonelist, (int)ac->highest_zoneidx) {
		long available = (long)zone_page_state_snapshot(zone, NR_FREE_PAGES);

		available -= (*no_progress_loops * available + MAX_RECLAIM_RETRIES - 1) /
			     MAX_RECLAIM_RETRIES;
		if (__zone_watermark_ok(zone, order, min_wmark_pages(zone),
					(int)ac->highest_zoneidx, alloc_flags, available)) {
			/* Memory is there but not yet usable: give frees a moment. */
			if (!did_some_progress)
				kmm_wait_for_free_pages(1000);
			return true;
		}
	}
	/*
	 * Nothing is close: give other threads 5 ms to free.  Every free wakes
	 * us, but only enough memory ends the wait early, so that a trickle of
	 * frees does not use up the retries before it adds up.
	 */
	for (u64 deadline = plat_now_ns() + 5000000, now; (now = plat_now_ns()) < deadline;) {
		kmm_wait_for_free_pages((unsigned int)((deadline - now) / 1000) + 1);
		if (zonelist_above_min(order, ac, alloc_flags))
			return true;
	}
	return *no_progress_loops <= MAX_RECLAIM_RETRIES;
}

static struct page *alloc_pages_direct_reclaim(gfp_t gfp, unsigned int order,
					       unsigned int alloc_flags,
					       const struct alloc_context *ac,
					       unsigned long *progress)
{
	unsigned int noreclaim = memalloc_noreclaim_save();
	bool drained = false;
	struct page *page;

	count_vm_event((enum vm_event_item)(ALLOCSTALL_DMA + ac->highest_zoneidx));
	*progress = try_to_free_pages(ac->zonelist, (int)order, gfp,
				      zone_to_nid(ac->preferred_zoneref->zone));
	memalloc_noreclaim_restore(noreclaim);
retry:
	page = get_page_from_freelist(gfp, order, alloc_flags, ac);
	if (!page && !drained) {
		unreserve_highatomic_pageblock(ac, false);
		drain_all_pages(NULL);
		drained = true;
		goto retry;
	}
	return page;
}

static struct page *alloc_pages_may_oom(gfp_t gfp, unsigned int order,
					const struct alloc_context *ac,
					unsigned long *progress)
{
	struct page *page;

	*progress = 0;
	/* Another thread may have freed while we reclaimed: try high first. */
	page = get_page_from_freelist((gfp | __GFP_HARDWALL) & ~__GFP_DIRECT_RECLAIM, order,
				      ALLOC_WMARK_HIGH | ALLOC_CPUSET, ac);
	if (page)
		return page;
	if (order > PAGE_ALLOC_COSTLY_ORDER)
		return NULL;
	if (gfp & (__GFP_RETRY_MAYFAIL | __GFP_THISNODE))
		return NULL;
	if (ac->highest_zoneidx < ZONE_NORMAL)
		return NULL;
	if (out_of_memory(gfp, (int)order))
		*progress = 1;
	return NULL;
}

static struct page *alloc_pages_slowpath(gfp_t gfp, unsigned int order,
					 struct alloc_context *ac)
{
	bool can_direct_reclaim = gfp & __GFP_DIRECT_RECLAIM;
	bool costly_order = order > PAGE_ALLOC_COSTLY_ORDER;
	unsigned int alloc_flags = gfp_to_alloc_flags(gfp, order);
	unsigned long progress;
	int no_progress_loops = 0;
	struct page *page;

	if (can_direct_reclaim)
		might_sleep();
	if (alloc_flags & ALLOC_KSWAPD)
		wake_all_kswapds(order, gfp, ac);
	page = get_page_from_freelist(gfp, order, alloc_flags, ac);
	if (page)
		return page;
retry:
	if (alloc_flags & ALLOC_KSWAPD)
		wake_all_kswapds(order, gfp, ac);
	unsigned int reserve = gfp_pfmemalloc_flags(gfp);
	if (reserve)
		alloc_flags = reserve | (alloc_flags & ALLOC_KSWAPD);
	page = get_page_from_freelist(gfp, order, alloc_flags, ac);
	if (page)
		return page;
	if (!can_direct_reclaim)
		goto nopage;
	if (current->flags & PF_MEMALLOC)
		goto nopage;
	page = alloc_pages_direct_reclaim(gfp, order, alloc_flags, ac, &progress);
	if (page)
		return page;
	if (gfp & __GFP_NORETRY)
		goto nopage;
	if (costly_order && !(gfp & (__GFP_RETRY_MAYFAIL | __GFP_NOFAIL)))
		goto nopage;
	if (should_reclaim_retry(gfp, order, ac, alloc_flags, progress > 0, &no_progress_loops))
		goto retry;
	page = alloc_pages_may_oom(gfp, order, ac, &progress);
	if (page)
		return page;
	if (progress) {
		no_progress_loops = 0;
		goto retry;
	}
nopage:
	if (gfp & __GFP_NOFAIL) {
		/* It cannot wait: warn (unless __GFP_NOWARN, as WARN_ON_ONCE_GFP) and fail. */
		if (!can_direct_reclaim) {
			if (!(gfp & __GFP_NOWARN))
				WARN_ON_ONCE(1);
			goto fail;
		}
		if (!(gfp & __GFP_NOWARN))
			WARN_ON_ONCE(costly_order);
		page = get_page_from_freelist(gfp, order, ALLOC_MIN_RESERVE | ALLOC_WMARK_MIN, ac);
		if (page)
			return page;
		kmm_wait_for_free_pages(10000);
		no_progress_loops = 0;
		goto retry;
	}
fail:
	count_vm_event(PGALLOC_FAIL);
	warn_alloc(gfp, "page allocation failure: order:%u", order);
	return NULL;
}

static bool prepare_alloc_pages(gfp_t gfp, unsigned int order, int preferred_nid,
				struct alloc_context *ac)
{
	(void)order;
	/* As Linux's might_alloc(): a request that may sleep is checked even when it does not. */
	if (unlikely(current->preempt_count) && gfpflags_allow_blocking(gfp))
		might_sleep();
	if (preferred_nid < 0 || preferred_nid >= nr_online_nodes)
		preferred_nid = 0;
	ac->highest_zoneidx = __gfp_zone(gfp);
	ac->zonelist = &NODE_DATA(preferred_nid)->node_zonelists[
		(gfp & __GFP_THISNODE) ? ZONELIST_NOFALLBACK : ZONELIST_FALLBACK];
	ac->migratetype = gfp_migratetype(gfp);
	ac->preferred_zoneref = next_zones_zonelist(ac->zonelist->_zonerefs,
						    (int)ac->highest_zoneidx);
	return ac->preferred_zoneref->zone != NULL;
}

/* Everything but the order-0 fast path: the zonelist walk, then the slow path. */
static __attribute__((noinline)) struct page *
__alloc_pages_full(gfp_t gfp, unsigned int order, int preferred_nid)
{
	struct alloc_context ac = { 0 };
	struct page *page;

	if (unlikely(order > MAX_PAGE_ORDER)) {
		if (!(gfp & __GFP_NOWARN))
			WARN_ON_ONCE(order > MAX_PAGE_ORDER);
		return NULL;
	}
	if (unlikely(!kmm_machine_up))
		return NULL;
	gfp &= __GFP_BITS_MASK;
	gfp = __current_gfp_context(gfp);
	if (unlikely(READ_ONCE(kmm_fault_armed)) && should_fail_alloc_page(gfp, order))
		return NULL;
	if (!prepare_alloc_pages(gfp, order, preferred_nid, &ac)) {
		if (!(gfp & __GFP_NOWARN))
			warn_alloc(gfp, "page allocation failure: order:%u", order);
		return NULL;
	}
	unsigned int alloc_flags = ALLOC_WMARK_LOW | alloc_flags_nofragment(ac.preferred_zoneref->zone);
	page = get_page_from_freelist(gfp, order, alloc_flags, &ac);
	if (likely(page))
		return page;
	return alloc_pages_slowpath(gfp, order, &ac);
}

/*
 * The fast path's ways out, each called in tail position so that the fast
 * path itself saves no registers.
 */
static __attribute__((noinline)) struct page *
alloc_page_fast_empty(gfp_t gfp, unsigned int order, int nid)
{
	__preempt_enable();
	return __alloc_pages_full(gfp, order, nid);
}

static __attribute__((noinline)) struct page *
alloc_page_fast_finish(struct page *page, unsigned int order, gfp_t gfp, bool leave)
{
	if (leave)
		kmm_cpu_leave_slow(current);
	zero_new_page(page, order, gfp);
	return page;
}

/*
 * The fast path, for every order the per-CPU lists keep (up to
 * PAGE_ALLOC_COSTLY_ORDER: order 0, and the slabs of the larger kmalloc
 * caches): the first zone the request may use, if it is comfortably above
 * its watermark, and this CPU's list of that zone and order, if it holds a
 * page.  Nothing else is touched: no zonelist walk, no alloc_flags, no
 * lock.  Everything else (an empty list, a zone near its watermark, a
 * blocking request made inside a section, a CPU another thread wants)
 * takes the full path, which decides as before.
 *
 * The watermark test is get_page_from_freelist()'s for the preferred zone:
 * the high mark while the zone is not flagged below it, the low mark once
 * it is; a zone that fails the high mark unflagged goes to the full path,
 * which flags it.  Above order 0 the test goes on as __zone_watermark_ok()
 * does (a free block of the order somewhere).  The page is the preferred
 * zone's, a NUMA hit and local by definition: for order 0 one count in the
 * per-CPU list stands for pgalloc_<zone>, numa_hit and numa_local (see
 * struct per_cpu_pages); a larger page counts 2^order pages in
 * pgalloc_<zone> and one allocation in the NUMA events, as
 * rmqueue_pcplist() does.
 */
static __always_inline struct page *__alloc_pages_fast(gfp_t gfp, unsigned int order, int nid)
{
	struct task_struct *t = current;

	/*
	 * A blocking request inside a section goes the full way, where
	 * might_sleep() reports it once.
	 */
	if (unlikely(!kmm_machine_up) || unlikely(READ_ONCE(kmm_fault_armed)) ||
	    unlikely(t->preempt_count && gfpflags_allow_blocking(gfp)))
		goto full;

	gfp_t g = gfp & __GFP_BITS_MASK;
	enum zone_type highidx = __gfp_zone(g);
	int pnid = likely((unsigned int)nid < (unsigned int)nr_online_nodes) ? nid : 0;
	struct zoneref *zref =
		next_zones_zonelist(NODE_DATA(pnid)->node_zonelists[ZONELIST_FALLBACK]._zonerefs,
				    (int)highidx);
	struct zone *zone = zref->zone;
	if (unlikely(!zone))
		goto full;

	unsigned long zflags = READ_ONCE(zone->flags);
	long free = atomic_long_read(&zone->vm_stat[NR_FREE_PAGES]) -
		    atomic_long_read(&zone->nr_free_highatomic);
	enum zone_watermarks w = (zflags & BIT(ZONE_BELOW_HIGH)) ? WMARK_LOW : WMARK_HIGH;
	if (unlikely(free <= (long)wmark_pages(zone, w) + zone->lowmem_reserve[highidx]))
		goto full;
	if (order && !__zone_watermark_ok(zone, order, wmark_pages(zone, w), (int)highidx,
					  ALLOC_WMARK_LOW,
					  atomic_long_read(&zone->vm_stat[NR_FREE_PAGES])))
		goto full;

	int mt = gfp_migratetype(g);
	struct kmm_cpu *cpu = page_section_enter(t);
	if (unlikely(!cpu))
		goto full;
	struct per_cpu_pages *pcp = &zone->per_cpu_pageset[t->cpu];
	struct list_head *list = &pcp->lists[order_to_pindex(mt, order)];
	if (unlikely(list_empty(list))) {
		t->preempt_count++;	/* the section, counted for __preempt_enable() */
		return alloc_page_fast_empty(gfp, order, nid);
	}

	struct page *page = unlikely(g & __GFP_COLD) ? list_last_entry(list, struct page, pcp_list)
						     : list_first_entry(list, struct page, pcp_list);
	__list_del(page->pcp_list.prev, page->pcp_list.next);
	pcp->count -= 1 << order;
	pcp->free_count >>= 1;
	set_new_page(page, order, g, mt);
	if (likely(!order)) {
		pcp->fast_allocs++;
	} else {
		/* As rmqueue_pcplist() counts, on the CPU held (t->kcpu). */
		__count_vm_events((enum vm_event_item)(PGALLOC_DMA + zone_idx(zone)), 1L << order);
		zone_statistics(zone, zone, t->cpu);
	}
	bool leave = page_section_leave(t, cpu);
	/* kmm_page_hooks covers init_on_alloc, as want_init_on_alloc() would. */
	if (unlikely(leave) || unlikely(kmm_page_hooks) || (g & __GFP_ZERO))
		return alloc_page_fast_finish(page, order, g, leave);
	return page;
full:
	return __alloc_pages_full(gfp, order, nid);
}

/* Orders above 0 out of line, so that the order-0 path stays as short as it was. */
static __attribute__((noinline)) struct page *alloc_pages_fast_order(gfp_t gfp, unsigned int order,
								    int nid)
{
	if (unlikely(!pcp_allowed_order(order)))
		return __alloc_pages_full(gfp, order, nid);
	return __alloc_pages_fast(gfp, order, nid);
}

static __always_inline struct page *alloc_pages_fast(gfp_t gfp, unsigned int order, int nid)
{
	if (unlikely(order))
		return alloc_pages_fast_order(gfp, order, nid);
	return __alloc_pages_fast(gfp, 0, nid);
}

struct page *__alloc_pages(gfp_t gfp, unsigned int order, int preferred_nid,
			   void *nodemask)
{
	(void)nodemask;
	return alloc_pages_fast(gfp, order, preferred_nid);
}

struct page *alloc_pages(gfp_t gfp, unsigned int order)
{
	return alloc_pages_fast(gfp, order, 0);
}

struct page *alloc_pages_node(int nid, gfp_t gfp, unsigned int order)
{
	return alloc_pages_fast(gfp, order, nid);
}

unsigned long __get_free_pages(gfp_t gfp, unsigned int order)
{
	struct page *page;

	/* A high page has no permanent address: Linux refuses the combination. */
	if (WARN_ON_ONCE(gfp & __GFP_HIGHMEM))
		gfp &= ~__GFP_HIGHMEM;
	page = alloc_pages(gfp, order);
	if (!page)
		return 0;
	return (unsigned long)page_address(page);
}

unsigned long get_zeroed_page(gfp_t gfp)
{
	return __get_free_pages(gfp | __GFP_ZERO, 0);
}

void *page_address(const struct page *page)
{
	if (!PageHighMem(page))
		return lowmem_page_address(page);
	return READ_ONCE(page->virtual);
}

/*
 * alloc_pages_bulk: order-0 pages that need not be contiguous.  The CPU's
 * list goes first; then the zone's smallest free blocks, split into single
 * pages, so that large blocks stay whole, as the seeds describe.
 */
unsigned long alloc_pages_bulk_node(gfp_t gfp, int nid, unsigned long nr_pages,
				    struct page **page_array)
{
	struct alloc_context ac = { 0 };
	unsigned long nr = 0, need = 0;

	for (unsigned long i = 0; i < nr_pages; i++)
		if (page_array[i])
			nr++;
	need = nr_pages - nr;
	if (!need || !kmm_machine_up)
		return nr;
	gfp = __current_gfp_context(gfp & __GFP_BITS_MASK);
	if (unlikely(READ_ONCE(kmm_fault_armed)) && should_fail_alloc_page(gfp, 0))
		return nr;
	if (!prepare_alloc_pages(gfp, 0, nid, &ac))
		goto fallback;

	struct zone *zone = ac.preferred_zoneref->zone;
	unsigned long mark = low_wmark_pages(zone) + need;
	if (!zone_watermark_fast(zone, 0, mark, (int)ac.highest_zoneidx, ALLOC_WMARK_LOW))
		goto fallback;

	unsigned long i = 0;
	__preempt_disable();
	int cpu = current->cpu;
	struct per_cpu_pages *pcp = &zone->per_cpu_pageset[cpu];
	struct list_head *list = &pcp->lists[order_to_pindex(ac.migratetype, 0)];
	unsigned long got = 0;

	while (nr < nr_pages && !list_empty(list)) {
		struct page *page = list_first_entry(list, struct page, pcp_list);

		while (page_array[i])
			i++;
		list_del(&page->pcp_list);
		pcp->count--;
		prep_new_page(page, 0, gfp, ac.migratetype);
		page_array[i] = page;
		nr++;
		got++;
	}
	if (nr < nr_pages) {
		__spin_lock(&zone->lock);
		for (unsigned int o = 0; o < NR_PAGE_ORDERS && nr < nr_pages; o++) {
			struct list_head *fl = &zone->free_area[o].free_list[ac.migratetype];

			while (nr < nr_pages && !list_empty(fl)) {
				struct page *block = list_first_entry(fl, struct page, buddy_list);
				unsigned long n = 1UL << o, take = min(n, nr_pages - nr);

				del_page_from_free_list(block, zone, o, ac.migratetype);
				/* Return the part not taken, as buddies, before using the rest. */
				for (unsigned long p = take; p < n;) {
					unsigned int po = (unsigned int)__builtin_ctzl(p);
					while (p + (1UL << po) > n)
						po--;
					__free_one_page(block + p, page_to_pfn(block + p), zone, po,
							ac.migratetype, false);
					p += 1UL << po;
				}
				for (unsigned long p = 0; p < take; p++) {
					while (page_array[i])
						i++;
					prep_new_page(block + p, 0, gfp, ac.migratetype);
					page_array[i] = block + p;
					nr++;
					got++;
				}
			}
		}
		__spin_unlock(&zone->lock);
	}
	__count_vm_events((enum vm_event_item)(PGALLOC_DMA + zone_idx(zone)), (long)got);
	__count_vm_events(PGALLOC_BULK, (long)got);
	__preempt_enable();

fallback:
	/* What the fast way could not give comes one page at a time. */
	for (unsigned long j = 0; j < nr_pages && nr < nr_pages; j++) {
		if (page_array[j])
			continue;
		page_array[j] = __alloc_pages(gfp, 0, nid, NULL);
		if (!page_array[j])
			break;
		nr++;
	}
	return nr;
}

unsigned long alloc_pages_bulk(gfp_t gfp, unsigned long nr_pages, struct page **page_array)
{
	return alloc_pages_bulk_node(gfp, 0, nr_pages, page_array);
}

void warn_alloc(gfp_t gfp, const char *fmt, ...)
{
	static DEFINE_RATELIMIT_STATE(nopage_rs, DEFAULT_RATELIMIT_INTERVAL,
				      DEFAULT_RATELIMIT_BURST);
	char msg[256], flags[256];
	va_list ap;

	if ((gfp & __GFP_NOWARN) || !__ratelimit(&nopage_rs))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	kmm_format_gfp(flags, sizeof(flags), gfp);
	kmm_report_count_inc(KMM_REPORT_ALLOC_FAIL);
	pr_warn("%s: %s, mode:%#x(%s), nodemask=(null)\n", kmm_comm(), msg, gfp, flags);
	dump_stack();
	__show_mem(__gfp_zone(gfp));
}
