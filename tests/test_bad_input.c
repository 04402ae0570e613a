/* SPDX-License-Identifier: MIT */
/*
 * Bad input never corrupts state: each misuse of the page allocator is
 * reported in Linux's words and counted, and afterwards kmm_check() finds
 * nothing wrong and the free counts are exactly what the good calls left.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "helpers.h"

static unsigned long bad_reports(void)
{
	return kmm_report_count(KMM_REPORT_BAD_PAGE) + kmm_report_count(KMM_REPORT_BAD_FREE);
}

/* --- freeing what is already free --- */

Test(bad_input, double_free_order0_on_cpu_list_and_in_buddy)
{
	boot_or_die("mem=128M");
	unsigned long before = total_free();
	struct page *p = alloc_page(GFP_KERNEL);

	cr_assert_not_null(p);
	__free_page(p);
	/* Freed again while it sits on the CPU's list... */
	__free_page(p);
	cr_assert(dmesg_has("BUG: Bad page state"));
	cr_assert_eq(kmm_report_count(KMM_REPORT_BAD_PAGE), 1);
	cr_assert_eq(kmm_report_count(KMM_REPORT_BAD_FREE), 1);
	cr_assert_eq(kmm_check(), 0);
	cr_assert_eq(total_free(), before);
	/* ...and again once it is back in the buddy lists. */
	cr_assert(PageBuddy(p) || page_count(p) == 0);
	__free_page(p);
	cr_assert_eq(kmm_report_count(KMM_REPORT_BAD_FREE), 2);
	cr_assert_eq(total_free(), before);
	cr_assert_eq(page_count(p), 0);
	/* The page is still good: allocating everything finds it once. */
	check_and_shutdown();
}

Test(bad_input, double_free_high_order)
{
	boot_or_die("mem=128M");
	unsigned long before = total_free();

	for (unsigned int order = 1; order <= MAX_PAGE_ORDER; order += 3) {
		struct page *p = alloc_pages(GFP_KERNEL, order);
		cr_assert_not_null(p);
		__free_pages(p, order);
		unsigned long reports = bad_reports();
		__free_pages(p, order);
		cr_assert_gt(bad_reports(), reports, "double free of order %u not reported", order);
		cr_assert_eq(total_free(), before, "order %u double free changed the free count", order);
		cr_assert_eq(kmm_check(), 0);
	}
	cr_assert(dmesg_has("BUG: Bad page state"));
	check_and_shutdown();
}

Test(bad_input, freeing_a_page_inside_a_free_block)
{
	boot_or_die("mem=128M");
	unsigned long before = total_free();
	struct page *p = alloc_pages(GFP_KERNEL, 5);

	cr_assert_not_null(p);
	__free_pages(p, 5);
	cr_assert_eq(total_free(), before);
	/* Pages of a free block that were never handed out on their own. */
	__free_page(p + 3);
	__free_pages(p + 8, 3);
	put_page(p + 31);
	cr_assert_eq(kmm_report_count(KMM_REPORT_BAD_FREE), 3);
	cr_assert_eq(kmm_report_count(KMM_REPORT_BAD_PAGE), 3);
	cr_assert_eq(total_free(), before);
	check_and_shutdown();
}

Test(bad_input, put_page_at_refcount_zero)
{
	boot_or_die("mem=128M");
	unsigned long before = total_free();
	struct page *p = alloc_page(GFP_KERNEL);

	cr_assert_not_null(p);
	put_page(p);
	cr_assert_eq(page_count(p), 0);
	cr_assert_eq(total_free(), before);
	put_page(p);
	cr_assert(dmesg_has("BUG: Bad page state"));
	cr_assert_eq(kmm_report_count(KMM_REPORT_BAD_FREE), 1);
	cr_assert_eq(page_count(p), 0, "put_page at zero went negative");
	cr_assert_eq(total_free(), before);
	/* get_page on a free page warns and takes nothing. */
	get_page(p);
	cr_assert_eq(kmm_report_count(KMM_REPORT_WARN), 1);
	cr_assert_eq(page_count(p), 0);
	cr_assert_eq(kmm_check(), 0);
	/* A compound page put once too often. */
	struct page *c = alloc_pages(GFP_KERNEL | __GFP_COMP, 3);
	cr_assert_not_null(c);
	put_page(c + 2);
	cr_assert_eq(total_free(), before);
	put_page(c + 5);
	cr_assert_eq(kmm_report_count(KMM_REPORT_BAD_FREE), 2);
	cr_assert_eq(total_free(), before);
	check_and_shutdown();
}

/* --- the wrong order --- */

Test(bad_input, free_with_smaller_order_frees_the_whole_allocation)
{
	boot_or_die("mem=128M");
	unsigned long before = total_free();
	struct page *p = alloc_pages(GFP_KERNEL, 4);

	cr_assert_not_null(p);
	__free_pages(p, 1);
	cr_assert(dmesg_has("BUG: Bad page"));
	cr_assert_eq(kmm_report_count(KMM_REPORT_BAD_FREE), 1);
	cr_assert_eq(total_free(), before, "the rest of the order-4 block leaked");
	cr_assert_eq(kmm_check(), 0);
	/* free_pages by address, and a compound page, likewise. */
	unsigned long a = __get_free_pages(GFP_KERNEL, 3);
	cr_assert_neq(a, 0);
	free_pages(a, 0);
	cr_assert_eq(total_free(), before);
	struct page *c = alloc_pages(GFP_KERNEL | __GFP_COMP, 6);
	cr_assert_not_null(c);
	__free_pages(c, 2);
	cr_assert_eq(total_free(), before);
	cr_assert(!PageTail(c + 1));
	cr_assert_eq(kmm_report_count(KMM_REPORT_BAD_FREE), 3);
	check_and_shutdown();
}

Test(bad_input, free_with_larger_order_spares_the_neighbours)
{
	boot_or_die("mem=128M");
	unsigned long before = total_free();
	struct page *p = alloc_pages(GFP_KERNEL, 2);

	cr_assert_not_null(p);
	/* Four separately owned pages that happen to be neighbours. */
	split_page(p, 2);
	for (int i = 1; i < 4; i++)
		memset(page_address(p + i), 0x40 + i, PAGE_SIZE);
	__free_pages(p, 2);
	cr_assert_eq(kmm_report_count(KMM_REPORT_BAD_FREE), 1);
	cr_assert_eq(total_free(), before - 3, "a free with too large an order took the neighbours");
	for (int i = 1; i < 4; i++) {
		cr_assert_eq(page_count(p + i), 1);
		cr_assert_eq(*(unsigned char *)page_address(p + i), 0x40 + i);
	}
	/* An order beyond MAX_PAGE_ORDER is no worse. */
	__free_pages(p + 1, MAX_PAGE_ORDER + 1);
	cr_assert_eq(kmm_report_count(KMM_REPORT_BAD_FREE), 2);
	cr_assert_eq(total_free(), before - 2);
	__free_page(p + 2);
	__free_page(p + 3);
	cr_assert_eq(total_free(), before);
	check_and_shutdown();
}

/* --- pointers that are no pages --- */

Test(bad_input, free_pages_of_addresses_that_are_no_pages)
{
	boot_or_die("mem=128M");
	unsigned long before = total_free();
	int on_stack = 0;
	void *heap = malloc(8192);
	unsigned long good = __get_free_pages(GFP_KERNEL, 1);
	unsigned long n = 0;

	cr_assert_neq(good, 0);
	free_pages((unsigned long)&on_stack, 0);
	cr_assert_eq(kmm_report_count(KMM_REPORT_BAD_FREE), ++n);
	free_pages((unsigned long)heap, 0);
	cr_assert_eq(kmm_report_count(KMM_REPORT_BAD_FREE), ++n);
	free_pages(((unsigned long)heap + PAGE_SIZE) & PAGE_MASK, 0);
	cr_assert_eq(kmm_report_count(KMM_REPORT_BAD_FREE), ++n);
	/* Unaligned, inside a real allocation. */
	free_pages(good + 100, 1);
	cr_assert_eq(kmm_report_count(KMM_REPORT_BAD_FREE), ++n);
	free_pages(good + PAGE_SIZE, 0);	/* the second page: not an allocation */
	cr_assert_eq(kmm_report_count(KMM_REPORT_BAD_FREE), ++n);
	/* Past the end of the direct map, and below it. */
	free_pages((unsigned long)high_memory, 0);
	cr_assert_eq(kmm_report_count(KMM_REPORT_BAD_FREE), ++n);
	free_pages(PAGE_OFFSET - PAGE_SIZE, 0);
	cr_assert_eq(kmm_report_count(KMM_REPORT_BAD_FREE), ++n);
	free_pages(1, 0);
	cr_assert_eq(kmm_report_count(KMM_REPORT_BAD_FREE), ++n);
	cr_assert(dmesg_has("free_pages"));
	/* free_pages(0) is a no-op, as in Linux. */
	free_pages(0, 3);
	cr_assert_eq(kmm_report_count(KMM_REPORT_BAD_FREE), n);

	cr_assert_eq(page_count(virt_to_page((void *)good)), 1, "the real allocation was touched");
	cr_assert_eq(total_free(), before - 2);
	cr_assert_eq(kmm_check(), 0);
	free_pages(good, 1);
	cr_assert_eq(total_free(), before);
	free(heap);
	check_and_shutdown();
}

Test(bad_input, free_pages_outside_the_direct_map_on_x86_32)
{
	boot_or_die("arch=x86_32 mem=1G");
	unsigned long before = total_free();

	/* Above high_memory is the vmalloc area, never a direct-map page. */
	free_pages((unsigned long)high_memory + (16UL << 20), 0);
	free_pages((unsigned long)high_memory - 1, 0);
	cr_assert_eq(kmm_report_count(KMM_REPORT_BAD_FREE), 2);
	cr_assert_eq(total_free(), before);
	check_and_shutdown();
}

Test(bad_input, free_of_bogus_struct_page_pointers)
{
	boot_or_die("mem=128M");
	unsigned long before = total_free();
	struct page *p = alloc_page(GFP_KERNEL);
	struct page local;
	struct page *bogus[] = {
		(struct page *)0x1000,
		(struct page *)((char *)p + 8),		/* inside a struct page */
		(struct page *)((char *)p + 1),
		mem_map - 1,
		mem_map + max_pfn,
		mem_map + max_pfn + 1000,
		&local,
		(struct page *)(uintptr_t)-64,
	};

	cr_assert_not_null(p);
	memset(&local, 0, sizeof(local));
	local._refcount.counter = 1;
	for (size_t i = 0; i < ARRAY_SIZE(bogus); i++) {
		__free_pages(bogus[i], 0);
		cr_assert_eq(kmm_report_count(KMM_REPORT_BAD_FREE), 2 * i + 1, "__free_pages(bogus[%zu])", i);
		put_page(bogus[i]);
		cr_assert_eq(kmm_report_count(KMM_REPORT_BAD_FREE), 2 * i + 2, "put_page(bogus[%zu])", i);
	}
	cr_assert(dmesg_has("invalid page"));
	cr_assert_eq(local._refcount.counter, 1, "a foreign struct page was written");
	cr_assert_eq(page_count(p), 1);
	cr_assert_eq(total_free(), before - 1);
	cr_assert_eq(kmm_check(), 0);
	__free_page(p);
	cr_assert_eq(total_free(), before);
	check_and_shutdown();
}

Test(bad_input, free_of_a_tail_page)
{
	boot_or_die("mem=128M");
	unsigned long before = total_free();
	struct page *c = alloc_pages(GFP_KERNEL | __GFP_COMP, 3);

	cr_assert_not_null(c);
	__free_pages(c + 1, 0);
	__free_pages(c + 4, 2);
	cr_assert_eq(kmm_report_count(KMM_REPORT_BAD_FREE), 2);
	cr_assert(dmesg_has("BUG: Bad page state"));
	cr_assert_eq(page_count(c), 1);
	cr_assert_eq(total_free(), before - 8);
	cr_assert_eq(kmm_check(), 0);
	__free_pages(c, 3);
	cr_assert_eq(total_free(), before);
	check_and_shutdown();
}

Test(bad_input, free_of_a_reserved_page)
{
	boot_or_die("mem=128M");
	unsigned long before = total_free();
	unsigned long pfn;

	for (pfn = 0; pfn < max_pfn; pfn++)
		if (PageReserved(pfn_to_page(pfn)))
			break;
	cr_assert_lt(pfn, max_pfn, "no reserved page on the machine");
	struct page *r = pfn_to_page(pfn);
	int count = page_count(r);
	__free_page(r);
	put_page(r);
	cr_assert_eq(kmm_report_count(KMM_REPORT_BAD_FREE), 2);
	cr_assert(PageReserved(r));
	cr_assert_eq(page_count(r), count);
	cr_assert_eq(total_free(), before);
	check_and_shutdown();
}

/* --- pages freed in a bad state --- */

static void bad_state_free(struct page *p, unsigned int order, const char *what)
{
	unsigned long before = total_free();
	unsigned long reports = kmm_report_count(KMM_REPORT_BAD_PAGE);

	__free_pages(p, order);
	cr_assert_eq(kmm_report_count(KMM_REPORT_BAD_PAGE), reports + 1, "%s: not reported", what);
	cr_assert_eq(page_count(p), 1, "%s: the page should stay allocated", what);
	cr_assert_eq(total_free(), before, "%s: the page was freed", what);
	cr_assert_eq(kmm_check(), 0, "%s", what);
}

Test(bad_input, page_freed_with_a_flag_set_stays_allocated)
{
	static const struct { int bit; const char *name; } flags[] = {
		{ PG_locked, "locked" }, { PG_lru, "lru" }, { PG_active, "active" },
		{ PG_writeback, "writeback" }, { PG_private, "private" },
		{ PG_private_2, "private_2" }, { PG_unevictable, "unevictable" },
		{ PG_mlocked, "mlocked" }, { PG_swapbacked, "swapbacked" },
	};

	boot_or_die("mem=128M");
	unsigned long before = total_free();

	for (size_t i = 0; i < ARRAY_SIZE(flags); i++) {
		unsigned int order = (unsigned)(i % 5);
		struct page *p = alloc_pages(GFP_KERNEL, order);

		cr_assert_not_null(p);
		set_bit(flags[i].bit, &p->flags);
		kmm_dmesg_clear();
		bad_state_free(p, order, flags[i].name);
		cr_assert(dmesg_has("BUG: Bad page state in process"), "%s", flags[i].name);
		cr_assert(dmesg_has("PAGE_FLAGS_CHECK_AT_FREE flag(s) set"), "%s", flags[i].name);
		char shown[32];
		snprintf(shown, sizeof(shown), "(%s|", flags[i].name);
		cr_assert(dmesg_has(shown), "the dump does not name %s", flags[i].name);
		/* Cleared, it frees normally. */
		clear_bit(flags[i].bit, &p->flags);
		__free_pages(p, order);
		cr_assert_eq(total_free(), before, "%s: clear and free again", flags[i].name);
	}
	check_and_shutdown();
}

Test(bad_input, page_freed_with_mapping_or_mapcount_stays_allocated)
{
	boot_or_die("mem=128M");
	unsigned long before = total_free();
	struct page *p = alloc_page(GFP_KERNEL);

	cr_assert_not_null(p);
	p->mapping = (void *)0x1234;
	bad_state_free(p, 0, "mapping");
	cr_assert(dmesg_has("non-NULL mapping"));
	p->mapping = NULL;
	atomic_set(&p->_mapcount, 0);
	bad_state_free(p, 0, "mapcount");
	cr_assert(dmesg_has("nonzero mapcount"));
	atomic_set(&p->_mapcount, -1);
	__free_page(p);
	cr_assert_eq(total_free(), before);
	/* A compound head with a flag set: the whole stays allocated. */
	struct page *c = alloc_pages(GFP_KERNEL | __GFP_COMP, 4);
	cr_assert_not_null(c);
	SetPageLocked(c);
	bad_state_free(c, 4, "compound locked");
	cr_assert(PageHead(c) && PageTail(c + 15));
	ClearPageLocked(c);
	put_page(c + 7);
	cr_assert_eq(total_free(), before);
	check_and_shutdown();
}

/*
 * PG_dirty is not among the flags a free checks (Linux's
 * PAGE_FLAGS_CHECK_AT_FREE leaves it out, in 2.6 as in 6.x): a dirty page is
 * simply cleaned as it is freed.
 */
Test(bad_input, dirty_page_is_cleaned_on_free_as_in_linux)
{
	boot_or_die("mem=128M");
	unsigned long before = total_free();
	struct page *p = alloc_page(GFP_KERNEL);

	cr_assert_not_null(p);
	SetPageDirty(p);
	SetPageReferenced(p);
	__free_page(p);
	cr_assert_eq(kmm_report_count(KMM_REPORT_BAD_PAGE), 0);
	cr_assert_eq(total_free(), before);
	cr_assert(!PageDirty(p));
	check_and_shutdown();
}

/* --- requests that cannot be met --- */

Test(bad_input, order_above_max)
{
	boot_or_die("mem=128M");
	unsigned long before = total_free();

	cr_assert_null(alloc_pages(GFP_KERNEL | __GFP_NOWARN, MAX_PAGE_ORDER + 1));
	cr_assert_null(alloc_pages(GFP_ATOMIC | __GFP_NOWARN, 40));
	cr_assert_eq(__get_free_pages(GFP_KERNEL | __GFP_NOWARN, MAX_PAGE_ORDER + 1), 0);
	cr_assert_eq(kmm_report_count(KMM_REPORT_WARN), 0);
	cr_assert_null(alloc_pages(GFP_KERNEL, MAX_PAGE_ORDER + 1));
	cr_assert_geq(kmm_report_count(KMM_REPORT_WARN), 1);
	cr_assert(dmesg_has("------------[ cut here ]------------"));
	cr_assert_eq(total_free(), before);
	check_and_shutdown();
}

Test(bad_input, nofail_without_direct_reclaim_when_memory_is_exhausted)
{
	boot_or_die("mem=64M");
	unsigned long before = total_free();

	cr_assert_gt(exhaust(GFP_ATOMIC | __GFP_NOWARN), 10000);
	/* With __GFP_NOWARN: NULL, and silently. */
	cr_assert_null(alloc_page(GFP_NOWAIT | __GFP_NOFAIL));
	cr_assert_eq(kmm_report_count(KMM_REPORT_WARN), 0, "__GFP_NOWARN still warned");
	cr_assert_eq(kmm_report_count(KMM_REPORT_ALLOC_FAIL), 0);
	/* Without: it cannot wait, so it warns and fails. */
	cr_assert_null(alloc_page(GFP_ATOMIC | __GFP_NOFAIL));
	cr_assert_eq(kmm_report_count(KMM_REPORT_WARN), 1);
	cr_assert(dmesg_has("page allocation failure: order:0"));
	cr_assert(dmesg_has("__GFP_NOFAIL"));
	cr_assert_eq(kmm_report_count(KMM_REPORT_ALLOC_FAIL), 1);
	cr_assert_eq(kmm_check(), 0);
	free_held();
	cr_assert_eq(total_free(), before);
	check_and_shutdown();
}

static void dma_cannot_be_met(const char *cmdline)
{
	boot_or_die(cmdline);
	unsigned long before = total_free();
	struct zone *dma = &NODE_DATA(0)->node_zones[ZONE_DMA];
	unsigned long dma_managed = zone_managed_pages(dma);

	int got = exhaust(GFP_DMA);
	for (int i = 0; i < nr_held; i++) {
		cr_assert_eq(page_zonenum(held[i]), ZONE_DMA, "GFP_DMA got a page of zone %d",
			     page_zonenum(held[i]));
		cr_assert_lt(page_to_phys(held[i]), 16UL << 20);
	}
	cr_assert_gt((unsigned long)got, dma_managed / 2, "only %d of %lu DMA pages", got, dma_managed);
	cr_assert_leq(zone_free(0, ZONE_DMA), min_wmark_pages(dma));
	cr_assert_gt(kmm_report_count(KMM_REPORT_ALLOC_FAIL), 0, "the failure was not reported");
	cr_assert(dmesg_has("page allocation failure"));
	/* Other zones have plenty, but a DMA request never falls into them. */
	cr_assert_gt(total_free(), before / 2);
	cr_assert_null(alloc_page(GFP_DMA));
	cr_assert_null(alloc_pages(GFP_DMA | __GFP_NOWARN, 3));
	/* Not even when it may reclaim (and there is no OOM kill for lowmem). */
	cr_assert_null(alloc_page(GFP_KERNEL | GFP_DMA));
	cr_assert_eq(kmm_report_count(KMM_REPORT_OOM), 0);
	/* An atomic one may take a little more, all of it DMA. */
	for (struct page *p; (p = alloc_page(GFP_ATOMIC | GFP_DMA | __GFP_NOWARN));) {
		cr_assert_eq(page_zonenum(p), ZONE_DMA);
		hold(p);
	}
	cr_assert_null(alloc_page(GFP_ATOMIC | GFP_DMA | __GFP_NOWARN));
	cr_assert_eq(kmm_check(), 0);
	free_held();
	cr_assert_eq(total_free(), before);
	struct page *p = alloc_page(GFP_DMA);
	cr_assert_not_null(p);
	__free_page(p);
	check_and_shutdown();
}

Test(bad_input, dma_request_the_dma_zone_cannot_meet_x86_64)
{
	dma_cannot_be_met("mem=256M");
}

Test(bad_input, dma_request_the_dma_zone_cannot_meet_x86_32)
{
	dma_cannot_be_met("arch=x86_32 mem=1G");
}
