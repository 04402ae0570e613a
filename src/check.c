/* SPDX-License-Identifier: MIT */
/*
 * kmm_check(): one validator for the page allocator's structures.
 *
 * It stops the machine (owns every CPU, so no allocation or free runs),
 * folds the per-CPU statistics, and then for each zone checks:
 *  - every free list entry: a valid struct page of this zone, PageBuddy
 *    with this order, naturally aligned, on the list of its pageblock's
 *    migrate type; nr_free per order equals the list's length;
 *  - every per-CPU list: pages of this zone, not PageBuddy, count = the
 *    pages on the lists;
 *  - a walk of every initialised pfn that classifies it exactly once as
 *    free (in a buddy block), on a per-CPU list, allocated (an allocation's
 *    first page and the rest of its 2^order pages) or reserved;
 *  - conservation: free + per-CPU + deferred + allocated = managed pages,
 *    and reserved = present - managed; NR_FREE_PAGES equals the free
 *    lists plus the deferred pages; the highatomic count is exact.
 * Each problem is printed and counted; the return value is their number.
 */
#include "page_alloc.h"
#include "kfence.h"
#include "kmemleak.h"
#include <kmm/vmstat.h>

int kmm_check_problems;
#define CHECK(cond, fmt, ...) KMM_CHECK(cond, fmt, ##__VA_ARGS__)

struct zone_tally {
	unsigned long list_free, pcp, walk_buddy, walk_plain, walk_alloc, walk_reserved;
	unsigned long highatomic, blocks;
};

static bool page_in_zone(struct zone *zone, struct page *page)
{
	if (!kmm_page_ptr_valid(page))
		return false;
	unsigned long pfn = page_to_pfn(page);
	return zone_spans_pfn(zone, pfn) && page_zone(page) == zone;
}

static void check_free_lists(struct zone *zone, struct zone_tally *t)
{
	for (unsigned int o = 0; o < NR_PAGE_ORDERS; o++) {
		unsigned long n = 0;

		for (int mt = 0; mt < MIGRATE_TYPES; mt++) {
			struct list_head *head = &zone->free_area[o].free_list[mt], *pos;
			unsigned long guard = 0;

			for (pos = head->next; pos != head; pos = pos->next) {
				struct page *page = list_entry(pos, struct page, buddy_list);

				if (++guard > max_pfn) {
					CHECK(0, "%s: free list order %u type %d is circular", zone->name, o, mt);
					break;
				}
				if (!page_in_zone(zone, page)) {
					CHECK(0, "%s: free list order %u holds %p, not a page of this zone",
					      zone->name, o, page);
					break;
				}
				unsigned long pfn = page_to_pfn(page);
				CHECK(PageBuddy(page), "%s: pfn %#lx on free list order %u is not PageBuddy",
				      zone->name, pfn, o);
				CHECK(buddy_order(page) == o, "%s: pfn %#lx on order %u list has order %u",
				      zone->name, pfn, o, buddy_order(page));
				CHECK(IS_ALIGNED(pfn, 1UL << o), "%s: pfn %#lx misaligned for order %u",
				      zone->name, pfn, o);
				CHECK(get_pfnblock_migratetype(page, pfn) == mt,
				      "%s: pfn %#lx on %s list, pageblock is %s", zone->name, pfn,
				      migratetype_names[mt], migratetype_names[get_pfnblock_migratetype(page, pfn)]);
				CHECK(page_ref_count(page) == 0, "%s: free pfn %#lx has refcount %d",
				      zone->name, pfn, page_ref_count(page));
				n++;
				t->list_free += 1UL << o;
				if (mt == MIGRATE_HIGHATOMIC)
					t->highatomic += 1UL << o;
				if (o >= pageblock_order && mt != MIGRATE_ISOLATE)
					t->blocks += 1UL << o;
			}
		}
		CHECK(n == zone->free_area[o].nr_free, "%s: order %u nr_free %lu but lists hold %lu",
		      zone->name, o, zone->free_area[o].nr_free, n);
	}
}

static void check_pcp(struct zone *zone, struct zone_tally *t)
{
	for (unsigned int cpu = 0; cpu < nr_cpu_ids; cpu++) {
		struct per_cpu_pages *pcp = &zone->per_cpu_pageset[cpu];
		unsigned long pages = 0;

		for (int i = 0; i < NR_PCP_LISTS; i++) {
			struct list_head *head = &pcp->lists[i], *pos;

			if (!head->next)
				continue;
			for (pos = head->next; pos != head; pos = pos->next) {
				struct page *page = list_entry(pos, struct page, pcp_list);

				if (!page_in_zone(zone, page)) {
					CHECK(0, "%s: cpu %u pcp list %d holds %p, not a page of this zone",
					      zone->name, cpu, i, page);
					break;
				}
				CHECK(!PageBuddy(page) && page_ref_count(page) == 0,
				      "%s: cpu %u pcp page pfn %#lx is buddy or referenced",
				      zone->name, cpu, page_to_pfn(page));
				pages += 1UL << pindex_to_order((unsigned int)i);
			}
		}
		CHECK(pages == (unsigned long)pcp->count, "%s: cpu %u pcp count %d but lists hold %lu",
		      zone->name, cpu, pcp->count, pages);
		t->pcp += pages;
	}
}

static void walk_zone(struct zone *zone, struct zone_tally *t)
{
	unsigned long pfn = zone->zone_start_pfn, end = zone->deferred_pfn;

	while (pfn < end) {
		struct page *page = pfn_to_page(pfn);

		if (page_zone(page) != zone) {
			CHECK(0, "%s: pfn %#lx has zone/node bits of %s node %d", zone->name, pfn,
			      page_zone(page)->name, page_to_nid(page));
			pfn++;
			continue;
		}
		if (PageBuddy(page)) {
			unsigned int o = buddy_order(page);
			if (o > MAX_PAGE_ORDER || pfn + (1UL << o) > end) {
				CHECK(0, "%s: buddy pfn %#lx has bad order %u", zone->name, pfn, o);
				pfn++;
				continue;
			}
			t->walk_buddy += 1UL << o;
			pfn += 1UL << o;
		} else if (PageReserved(page)) {
			t->walk_reserved++;
			pfn++;
		} else if (page_is_alloc_head(page)) {
			unsigned int o = page_alloc_order(page);
			CHECK(page_ref_count(page) > 0, "%s: allocated pfn %#lx has refcount %d",
			      zone->name, pfn, page_ref_count(page));
			if (PageHead(page))
				CHECK(compound_order(page) == o, "%s: compound pfn %#lx order %u, allocated %u",
				      zone->name, pfn, compound_order(page), o);
			t->walk_alloc += 1UL << o;
			pfn += 1UL << o;
		} else {
			CHECK(page_ref_count(page) == 0, "%s: pfn %#lx is neither free, allocated nor reserved (refcount %d)",
			      zone->name, pfn, page_ref_count(page));
			t->walk_plain++;
			pfn++;
		}
	}
}

static void check_zone(struct zone *zone)
{
	struct zone_tally t = { 0 };
	unsigned long managed = zone_managed_pages(zone);

	check_free_lists(zone, &t);
	check_pcp(zone, &t);
	walk_zone(zone, &t);
	unsigned long deferred = zone->deferred_free_pages, dblocks = 0;
	unsigned long dsum = 0;
	for (unsigned int o = 0; o < NR_PAGE_ORDERS; o++) {
		dsum += zone->deferred_nr_free[o] << o;
		if (o >= pageblock_order)
			dblocks += zone->deferred_nr_free[o] << o;
	}

	CHECK(t.walk_buddy == t.list_free, "%s: %lu pages in buddy blocks but %lu on free lists",
	      zone->name, t.walk_buddy, t.list_free);
	CHECK(t.walk_plain == t.pcp, "%s: %lu unowned pages but %lu on per-CPU lists",
	      zone->name, t.walk_plain, t.pcp);
	CHECK(dsum == deferred, "%s: deferred blocks hold %lu pages, counted %lu",
	      zone->name, dsum, deferred);
	CHECK(atomic_long_read(&zone->vm_stat[NR_FREE_PAGES]) == (long)(t.list_free + deferred),
	      "%s: NR_FREE_PAGES %ld but free lists + deferred hold %lu", zone->name,
	      atomic_long_read(&zone->vm_stat[NR_FREE_PAGES]), t.list_free + deferred);
	CHECK(atomic_long_read(&zone->vm_stat[NR_FREE_PAGES_BLOCKS]) == (long)(t.blocks + dblocks),
	      "%s: NR_FREE_PAGES_BLOCKS %ld but counted %lu", zone->name,
	      atomic_long_read(&zone->vm_stat[NR_FREE_PAGES_BLOCKS]), t.blocks + dblocks);
	CHECK(atomic_long_read(&zone->nr_free_highatomic) == (long)t.highatomic,
	      "%s: nr_free_highatomic %ld but lists hold %lu", zone->name,
	      atomic_long_read(&zone->nr_free_highatomic), t.highatomic);
	CHECK(t.list_free + t.pcp + deferred + t.walk_alloc == managed,
	      "%s: conservation: free %lu + per-cpu %lu + deferred %lu + allocated %lu != managed %lu",
	      zone->name, t.list_free, t.pcp, deferred, t.walk_alloc, managed);
	CHECK(managed <= zone->present_pages, "%s: managed %lu > present %lu", zone->name,
	      managed, zone->present_pages);
	CHECK(min_wmark_pages(zone) <= low_wmark_pages(zone) &&
	      low_wmark_pages(zone) <= high_wmark_pages(zone),
	      "%s: watermarks out of order", zone->name);
}

int kmm_check_pages(void)
{
	struct zone *zone;

	kmm_vmstat_fold_all();
	for_each_zone(zone)
		if (zone->spanned_pages)
			check_zone(zone);
	return 0;
}

/* Other layers register their validators here as they arrive. */
static void check_all(void *arg)
{
	(void)arg;
	kmm_check_problems = 0;
	kmm_check_pages();
	kmm_check_slab();
	kmm_check_vmalloc();
	kmm_check_highmem();
	kmm_check_pgtable();
	kmm_check_percpu();
	kmm_check_kstacks();
	kmm_check_kfence();
	kmm_check_kmemleak();
}

int kmm_check(void)
{
	struct task_struct *t = current;

	if (!kmm_machine_up)
		return 0;
	if (WARN_ON_ONCE(t->preempt_count))
		return 1;
	/* Own every CPU: nothing allocates or frees while we look. */
	kmm_stop_machine(check_all, NULL);
	int found = kmm_check_problems;
	for (int i = 0; i < found; i++)
		kmm_report_count_inc(KMM_REPORT_CHECK);
	return found;
}
