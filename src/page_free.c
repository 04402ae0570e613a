/* SPDX-License-Identifier: MIT */
/*
 * Freeing pages, and every check a free makes before it touches anything.
 *
 * A free is validated first and only then applied, so a bad free leaves
 * the machine as it was: a pointer that is no struct page, a tail page, a
 * page whose count is already zero (a double free, or put_page at zero), a
 * page in a bad state (flags, mapping or mapcount left set), and a free
 * with another order than the allocation's are each reported in Linux's
 * words and counted.  A wrong order is repaired: the allocation is freed
 * whole, with the order it was allocated with (kept in page->flags).
 *
 * Orders up to PAGE_ALLOC_COSTLY_ORDER go to the CPU's per-CPU list and
 * back to the zone a batch at a time once the list passes pcp->high;
 * larger ones go straight to the buddy lists.
 */
#include <limits.h>
#include "page_alloc.h"
#include <kmm/vmstat.h>

/*
 * The pfn of @page if it points at a struct page in mem_map, else
 * ULONG_MAX.  A pointer below mem_map wraps to an offset far above max_pfn
 * pages, so one unsigned comparison bounds it on both sides.
 */
static __always_inline unsigned long page_ptr_pfn(const struct page *page)
{
	unsigned long off = (unsigned long)page - (unsigned long)mem_map;
	unsigned long pfn = off / sizeof(struct page);

	if (unlikely(off % sizeof(struct page)) || unlikely(pfn >= max_pfn))
		return ULONG_MAX;
	return pfn;
}

bool kmm_page_ptr_valid(const struct page *page)
{
	unsigned long pfn = page_ptr_pfn(page);

	return pfn != ULONG_MAX && !pfn_is_deferred(pfn);
}

static void report_bad_free(const char *what, const void *ptr)
{
	kmm_report_count_inc(KMM_REPORT_BAD_FREE);
	pr_err("BUG: %s: invalid page %p\n", what, ptr);
	dump_stack();
}

/* The checks of Linux's free_page_is_bad(); returns the reason or NULL. */
static const char *page_bad_reason_at_free(const struct page *page)
{
	if (unlikely(page->page_type != UINT32_MAX))
		return "nonzero mapcount";
	if (unlikely(page->mapping != NULL))
		return "non-NULL mapping";
	if (unlikely(page_ref_count(page) != 0))
		return "nonzero _refcount";
	if (unlikely(page->flags & PAGE_FLAGS_CHECK_AT_FREE))
		return "PAGE_FLAGS_CHECK_AT_FREE flag(s) set";
	return NULL;
}

/*
 * Check and clean @page before it returns to the allocator.  Everything is
 * checked before anything changes: a page that fails stays allocated, with
 * its reference restored, so the machine stays consistent (Linux leaks it).
 */
static bool free_pages_prepare(struct page *page, unsigned int order)
{
	bool compound = PageHead(page);
	const char *reason = NULL;
	struct page *bad = page;

	if (compound) {
		if (unlikely(compound_order(page) != order))
			reason = "compound order mismatch";
		for (unsigned long i = 1; !reason && i < (1UL << order); i++) {
			if (unlikely(compound_head(page + i) != page)) {
				reason = "compound_head not consistent";
				bad = page + i;
			}
		}
	}
	if (!reason)
		reason = page_bad_reason_at_free(page);
	if (unlikely(reason)) {
		bad_page(bad, reason);
		set_page_count(page, 1);
		return false;
	}
	if (compound) {
		for (unsigned long i = 1; i < (1UL << order); i++) {
			page[i].compound_head = 0;
			page[i].mapping = NULL;
		}
		page[1].compound_order = 0;
		__ClearPageHead(page);
	}
	page_clear_alloc(page);
	page->flags &= ~((1UL << __NR_PAGEFLAGS) - 1);
	page->private = 0;
	/* ram=anon: a page that had an alias is anonymous again before anyone reuses it. */
	if (unlikely(READ_ONCE(plat_ram_nr_shared)))
		plat_ram_unshare(page_to_phys(page), PAGE_SIZE << order);
	if (unlikely(kmm_page_hooks))
		kmm_free_pages_hooks(page, 1UL << order);
	return true;
}

static void free_one_page(struct zone *zone, struct page *page, unsigned long pfn,
			  unsigned int order)
{
	__spin_lock(&zone->lock);
	__free_one_page(page, pfn, zone, order, get_pfnblock_migratetype(page, pfn), false);
	__spin_unlock(&zone->lock);
	__preempt_disable();
	__count_vm_events(PGFREE, 1L << order);
	__preempt_enable();
	if (unlikely(READ_ONCE(kmm_free_waiters)))
		kmm_pages_freed();
}

/* Past high, or the zone short or reclaiming: maybe give a batch back. */
static void free_unref_page_drain(struct zone *zone, struct per_cpu_pages *pcp, int batch,
				  bool free_high, int pindex)
{
	int high = nr_pcp_high(pcp, zone, batch, free_high);

	if (pcp->count >= high) {
		free_pcppages_bulk(zone, nr_pcp_free(pcp, batch, high, free_high), pcp, pindex);
		if (test_bit(ZONE_BELOW_HIGH, &zone->flags) &&
		    zone_watermark_ok(zone, 0, high_wmark_pages(zone), ZONE_MOVABLE, 0))
			clear_bit(ZONE_BELOW_HIGH, &zone->flags);
	}
}

/*
 * Put @page on the CPU's list and keep the list's adaptive marks.  Returns
 * true when the list may have to give a batch back: the caller then calls
 * free_unref_page_drain() with *@free_high.
 */
static __always_inline bool __free_unref_page_commit(struct zone *zone, struct per_cpu_pages *pcp,
						     struct page *page, int migratetype,
						     unsigned int order, bool *free_high)
{
	int pindex = (int)order_to_pindex(migratetype, order);
	int batch = pcp->batch;

	*free_high = false;
	pcp->alloc_factor >>= 1;
	if (order)
		__count_vm_events(PGFREE, 1L << order);
	else
		pcp->fast_frees++;	/* pgfree: see struct per_cpu_pages */
	list_add(&page->pcp_list, &pcp->lists[pindex]);
	pcp->count += 1 << order;
	/*
	 * Freeing high orders in a row (a producer CPU) drains them eagerly so
	 * they do not pile up on this CPU while others need them.
	 */
	if (order) {
		*free_high = pcp->free_count >= batch + pcp->high_min / 2 &&
			     (pcp->flags & PCPF_PREV_FREE_HIGH_ORDER) &&
			     (!(pcp->flags & PCPF_FREE_HIGH_BATCH) || pcp->count >= batch);
		pcp->flags |= PCPF_PREV_FREE_HIGH_ORDER;
	} else {
		pcp->flags &= (u8)~PCPF_PREV_FREE_HIGH_ORDER;
	}
	if (pcp->free_count < (batch << PCP_BATCH_SCALE_MAX))
		pcp->free_count += 1 << order;
	/*
	 * Below high, with the zone neither short nor reclaiming, nr_pcp_high()
	 * would change nothing and return high: skip it on this common path.
	 */
	return unlikely(*free_high || pcp->count >= pcp->high ||
			(READ_ONCE(zone->flags) & (BIT(ZONE_BELOW_HIGH) | BIT(ZONE_RECLAIM_ACTIVE))));
}

static void free_unref_page_commit(struct zone *zone, struct per_cpu_pages *pcp,
				   struct page *page, int migratetype, unsigned int order)
{
	bool free_high;

	if (__free_unref_page_commit(zone, pcp, page, migratetype, order, &free_high))
		free_unref_page_drain(zone, pcp, pcp->batch, free_high,
				      (int)order_to_pindex(migratetype, order));
}

/*
 * The page's count is zero and it passed the checks: give it back.
 * Context: preemption disabled, since the last reference was dropped, so
 * that kmm_check(), which owns every CPU, never sees a free half done.
 */
static void free_frozen_pages_cpu(struct page *page, unsigned int order)
{
	unsigned long pfn = page_to_pfn(page);
	struct zone *zone = page_zone(page);

	if (!free_pages_prepare(page, order))
		return;
	if (!pcp_allowed_order(order)) {
		free_one_page(zone, page, pfn, order);
		return;
	}
	int mt = get_pfnblock_migratetype(page, pfn);
	if (unlikely(mt >= MIGRATE_PCPTYPES)) {
		if (mt == MIGRATE_ISOLATE) {
			free_one_page(zone, page, pfn, order);
			return;
		}
		/* HighAtomic pages ride the movable list; they go home on drain. */
		mt = MIGRATE_MOVABLE;
	}
	free_unref_page_commit(zone, &zone->per_cpu_pageset[current->cpu], page, mt, order);
	if (unlikely(READ_ONCE(kmm_free_waiters)))
		kmm_pages_freed();
}

void __free_frozen_pages(struct page *page, unsigned int order)
{
	__preempt_disable();
	free_frozen_pages_cpu(page, order);
	__preempt_enable();
}

/*
 * Validate a free of @page at @order and drop one reference.  Returns
 * the order to free at if this was the last reference, or -1.
 */
static int free_pages_check_ref(struct page *page, unsigned int order, const char *who)
{
	if (unlikely(!kmm_page_ptr_valid(page))) {
		report_bad_free(who, page);
		return -1;
	}
	if (unlikely(PageTail(page))) {
		kmm_report_count_inc(KMM_REPORT_BAD_FREE);
		bad_page(page, "freeing a tail page of a compound page");
		return -1;
	}
	if (unlikely(page_ref_count(page) <= 0 || PageBuddy(page))) {
		kmm_report_count_inc(KMM_REPORT_BAD_FREE);
		bad_page(page, "VM_BUG_ON_PAGE(page_ref_count(page) == 0)");
		return -1;
	}
	if (unlikely(!page_is_alloc_head(page))) {
		/* Reserved or otherwise never handed out by the allocator. */
		kmm_report_count_inc(KMM_REPORT_BAD_FREE);
		bad_page(page, PageReserved(page) ? "PAGE_FLAGS_CHECK_AT_FREE flag(s) set"
						  : "freeing a page the allocator did not hand out");
		return -1;
	}
	unsigned int real = page_alloc_order(page);
	if (unlikely(real != order)) {
		kmm_report_count_inc(KMM_REPORT_BAD_FREE);
		pr_err("BUG: Bad page free: order %u given for pfn:%05lx, allocated with order %u; freeing order %u\n",
		       order, page_to_pfn(page), real, real);
		dump_stack();
	}
	if (!page_ref_dec_and_test(page))
		return -1;
	return (int)real;
}

/*
 * The order-0 free fast path.  Before anything changes, two looks at the
 * page tell a plain order-0 allocation: a struct page of RAM in a ready
 * section, whose flags say "head of an order-0 allocation" and nothing
 * compound, and whose count is positive.  That is enough to tell every
 * bad free the full path reports: a tail page or a free page (on a list
 * or in the buddy) never carries the allocation mark, and a double free
 * of an order-0 page finds its count at zero.  Anything else takes the
 * full path, which reports what is wrong.  The last reference is dropped
 * inside the section; then the checks of Linux's free_page_is_bad()
 * (mapcount and page type, mapping, flags) and the pageblock's type
 * decide between the per-CPU list and the full free.  Every call the fast
 * path makes is in tail position, so it saves no registers.
 */
#define FREE_FAST_FLAGS_MASK	(KMM_ALLOC_HEAD | KMM_ALLOC_ORDER_MASK | BIT(PG_head))

/* @page's pfn if its free may take the fast path, else ULONG_MAX. */
static __always_inline unsigned long free_page_fast_pfn(const struct page *page)
{
	unsigned long pfn = page_ptr_pfn(page);

	/* A section not yet ready goes the full way, which asks pfn_is_deferred(). */
	if (unlikely(pfn == ULONG_MAX) || unlikely(!pfn_section_ready(pfn)))
		return ULONG_MAX;
	if (likely((READ_ONCE(page->flags) & FREE_FAST_FLAGS_MASK) == KMM_ALLOC_HEAD) &&
	    likely(page_ref_count(page) > 0))
		return pfn;
	return ULONG_MAX;
}

/* Every free but a plain order-0 one, and every bad one. */
static __attribute__((noinline)) void __free_pages_full(struct page *page, unsigned int order)
{
	__preempt_disable();
	int o = free_pages_check_ref(page, order, "__free_pages");

	if (o >= 0)
		free_frozen_pages_cpu(page, (unsigned int)o);
	__preempt_enable();
}

/* The fast path's ways out, all inside its section, which they end. */
static __attribute__((noinline)) void free_page_fast_bail(struct page *page)
{
	free_frozen_pages_cpu(page, 0);
	__preempt_enable();
}

static __attribute__((noinline)) void free_page_fast_drain(struct zone *zone,
							   struct per_cpu_pages *pcp, int mt)
{
	free_unref_page_drain(zone, pcp, pcp->batch, false, (int)order_to_pindex(mt, 0));
	if (unlikely(READ_ONCE(kmm_free_waiters)))
		kmm_pages_freed();
	__preempt_enable();
}

static __attribute__((noinline)) void free_page_fast_wake(void)
{
	kmm_pages_freed();
	__preempt_enable();
}

void __free_pages(struct page *page, unsigned int order)
{
	struct task_struct *t = current;
	unsigned long pfn;

	struct kmm_cpu *cpu;

	if (unlikely(order) || unlikely((pfn = free_page_fast_pfn(page)) == ULONG_MAX) ||
	    unlikely(!(cpu = page_section_enter(t))))
		return __free_pages_full(page, order);
	if (!page_ref_dec_and_test(page))
		goto out;

	int mt = get_pfnblock_migratetype(page, pfn);
	unsigned long flags = READ_ONCE(page->flags);
	/* free_page_is_bad(), the refcount aside: we just took it to zero. */
	if (unlikely(READ_ONCE(page->page_type) != UINT32_MAX || READ_ONCE(page->mapping) ||
		     (flags & PAGE_FLAGS_CHECK_AT_FREE) || mt >= MIGRATE_PCPTYPES ||
		     kmm_page_hooks ||
		     (READ_ONCE(plat_ram_nr_shared) && plat_ram_shared(PFN_PHYS(pfn), PAGE_SIZE)))) {
		t->preempt_count++;	/* the section, counted for the way out */
		return free_page_fast_bail(page);
	}
	page->flags = flags & ~(KMM_ALLOC_BITS | ((1UL << __NR_PAGEFLAGS) - 1));
	page->private = 0;

	struct zone *zone = page_zone(page);
	struct per_cpu_pages *pcp = &zone->per_cpu_pageset[t->cpu];
	bool free_high;
	if (unlikely(__free_unref_page_commit(zone, pcp, page, mt, 0, &free_high))) {
		t->preempt_count++;
		return free_page_fast_drain(zone, pcp, mt);
	}
	if (unlikely(READ_ONCE(kmm_free_waiters))) {
		t->preempt_count++;
		return free_page_fast_wake();
	}
out:
	if (unlikely(page_section_leave(t, cpu)))
		kmm_cpu_leave_slow(t);
}

void free_pages(unsigned long addr, unsigned int order)
{
	if (!addr)
		return;
	if (unlikely(!virt_addr_valid((void *)addr) || !PAGE_ALIGNED(addr))) {
		report_bad_free("free_pages", (void *)addr);
		return;
	}
	__free_pages(virt_to_page((void *)addr), order);
}

void get_page(struct page *page)
{
	page = compound_head(page);
	if (WARN_ON_ONCE(page_ref_count(page) <= 0))
		return;
	page_ref_inc(page);
}

void put_page(struct page *page)
{
	if (unlikely(!kmm_page_ptr_valid(page))) {
		report_bad_free("put_page", page);
		return;
	}
	page = compound_head(page);
	unsigned int order = page_is_alloc_head(page) ? page_alloc_order(page) : 0;
	__preempt_disable();
	int o = free_pages_check_ref(page, order, "put_page");

	if (o >= 0)
		free_frozen_pages_cpu(page, (unsigned int)o);
	__preempt_enable();
}

void free_pages_bulk_list(struct list_head *list)
{
	struct page *page, *next;

	list_for_each_entry_safe(page, next, list, lru) {
		list_del(&page->lru);
		put_page(page);
	}
}

void split_page(struct page *page, unsigned int order)
{
	if (WARN_ON_ONCE(PageCompound(page)) || WARN_ON_ONCE(!page_ref_count(page)))
		return;
	int mt = page_alloc_mt(page);
	for (unsigned long i = 1; i < (1UL << order); i++) {
		set_page_count(page + i, 1);
		page_set_alloc(page + i, 0, mt);
	}
	page_set_alloc(page, 0, mt);
}

/* Boot: hand a block that memblock had to the buddy allocator (zone->lock held). */
void __free_pages_core(struct page *page, unsigned int order)
{
	unsigned long nr = 1UL << order;
	unsigned long pfn = page_to_pfn(page);

	for (unsigned long i = 0; i < nr; i++) {
		__ClearPageReserved(page + i);
		set_page_count(page + i, 0);
	}
	if (unlikely(kmm_page_hooks))
		kmm_free_boot_pages_hooks(page, nr);
	__free_one_page(page, pfn, page_zone(page), order,
			get_pfnblock_migratetype(page, pfn), true);
}
