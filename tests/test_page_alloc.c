/* SPDX-License-Identifier: MIT */
/*
 * The page allocator: the seeds' examples, zone placement per gfp and arch,
 * merging back to the boot state, compound and split pages, reference
 * counts, bulk allocation, zeroing, cold pages, and the watermarks and
 * reserves that decide who may take the last pages.
 */
#include <stdlib.h>
#include <string.h>
#include "helpers.h"

/* The tests' PRNG (helpers.h), one stream, so a failure can be replayed. */
static u64 rng_state;

static void rng_seed(u64 seed)
{
	rng_state = seed * 0x9e3779b97f4a7c15ull + 1;
}

static u64 rng(void)
{
	return xorshift(&rng_state);
}

static struct zone *zone_of(enum zone_type zt)
{
	return &NODE_DATA(0)->node_zones[zt];
}

/* --- the seeds' examples and the address conversions --- */

Test(page_alloc, get_free_pages_order3_gives_8_contiguous_pages)
{
	boot_or_die("mem=256M");
	unsigned long before = total_free();
	unsigned long addr = __get_free_pages(GFP_KERNEL, 3);

	cr_assert_neq(addr, 0);
	cr_assert(PAGE_ALIGNED(addr));
	struct page *page = virt_to_page((void *)addr);
	cr_assert_eq(page_count(page), 1);
	cr_assert_eq(page_to_pfn(page) & 7, 0, "an order-3 block is naturally aligned");
	/* Write every byte of the 8 pages through the returned address... */
	for (int i = 0; i < 8; i++)
		memset((char *)addr + i * PAGE_SIZE, 0x10 + i, PAGE_SIZE);
	/* ...and find each page where page arithmetic says it is. */
	for (int i = 0; i < 8; i++) {
		unsigned char *p = page_address(page + i);
		cr_assert_eq(p, (unsigned char *)addr + i * PAGE_SIZE);
		for (unsigned long b = 0; b < PAGE_SIZE; b += 511)
			cr_assert_eq(p[b], 0x10 + i, "page %d byte %lu", i, b);
	}
	cr_assert_eq(total_free(), before - 8);
	free_pages(addr, 3);
	cr_assert_eq(total_free(), before);
	check_and_shutdown();
}

Test(page_alloc, get_zeroed_page_is_zeroed)
{
	boot_or_die("mem=128M");
	/* Dirty a batch of pages and give them back, so the next ones are recycled. */
	unsigned long dirty[64];
	for (int i = 0; i < 64; i++) {
		dirty[i] = __get_free_page(GFP_KERNEL);
		cr_assert_neq(dirty[i], 0);
		memset((void *)dirty[i], 0xa5, PAGE_SIZE);
	}
	for (int i = 0; i < 64; i++)
		free_page(dirty[i]);
	bool reused = false;
	for (int i = 0; i < 64; i++) {
		unsigned long z = get_zeroed_page(GFP_KERNEL);
		cr_assert_neq(z, 0);
		for (int j = 0; j < 64; j++)
			reused |= z == dirty[j];
		const unsigned long *w = (const unsigned long *)z;
		for (unsigned long k = 0; k < PAGE_SIZE / sizeof(long); k++)
			cr_assert_eq(w[k], 0, "word %lu of a zeroed page is %#lx", k, w[k]);
		dirty[i] = z;
	}
	cr_assert(reused, "the zeroed pages should include recycled dirty ones");
	for (int i = 0; i < 64; i++)
		free_page(dirty[i]);
	check_and_shutdown();
}

Test(page_alloc, alloc_page_and_free_page)
{
	boot_or_die("mem=128M");
	unsigned long before = total_free();
	struct page *page = alloc_page(GFP_KERNEL);

	cr_assert_not_null(page);
	cr_assert_eq(page_count(page), 1);
	cr_assert(!PageBuddy(page));
	cr_assert(!PageHighMem(page));
	cr_assert_eq(total_free(), before - 1);
	__free_page(page);
	cr_assert_eq(page_count(page), 0, "a free page has refcount 0");
	cr_assert_eq(total_free(), before);
	check_and_shutdown();
}

static void check_conversions(struct page *page)
{
	void *addr = page_address(page);
	unsigned long pfn = page_to_pfn(page);

	cr_assert_not_null(addr);
	cr_assert_eq(virt_to_page(addr), page);
	cr_assert_eq(pfn_to_page(pfn), page);
	cr_assert_eq(__pa(addr), PFN_PHYS(pfn));
	cr_assert_eq(__va(__pa(addr)), addr);
	cr_assert_eq(page_to_phys(page), __pa(addr));
	cr_assert_eq(phys_to_page(page_to_phys(page)), page);
	cr_assert_eq(virt_to_pfn(addr), pfn);
	cr_assert_eq(pfn_to_kaddr(pfn), addr);
	cr_assert(virt_addr_valid(addr));
	cr_assert(pfn_valid(pfn));
	/* An address inside the page maps back to the same page. */
	cr_assert_eq(virt_to_page((char *)addr + 1234), page);
}

Test(page_alloc, address_conversions_round_trip)
{
	boot_or_die("mem=256M");
	struct page *pages[5];
	for (unsigned int o = 0; o < 5; o++) {
		pages[o] = alloc_pages(GFP_KERNEL, o * 2);
		cr_assert_not_null(pages[o]);
		check_conversions(pages[o]);
		check_conversions(pages[o] + (1UL << (o * 2)) - 1);
	}
	/* The first and last pfns of RAM that the allocator manages too. */
	struct zone *z = zone_of(ZONE_DMA32);
	check_conversions(pfn_to_page(z->zone_start_pfn));
	for (unsigned int o = 0; o < 5; o++)
		__free_pages(pages[o], o * 2);
	check_and_shutdown();
}

Test(page_alloc, address_conversions_x86_32_lowmem_and_highmem)
{
	boot_or_die("arch=x86_32 mem=1G");
	struct page *low = alloc_page(GFP_KERNEL);
	cr_assert_not_null(low);
	check_conversions(low);
	cr_assert_lt(__pa(page_address(low)), 896UL << 20);
	struct page *high = alloc_page(GFP_HIGHUSER);
	cr_assert_not_null(high);
	cr_assert(PageHighMem(high));
	cr_assert_null(page_address(high), "an unmapped high page has no address");
	cr_assert_geq(page_to_phys(high), 896UL << 20);
	cr_assert_eq(pfn_to_page(page_to_pfn(high)), high);
	__free_page(low);
	__free_page(high);
	check_and_shutdown();
}

/* --- zone placement --- */

static void assert_dma(struct page *page)
{
	cr_assert_not_null(page);
	cr_assert_eq(page_zonenum(page), ZONE_DMA, "GFP_DMA page in zone %d", page_zonenum(page));
	cr_assert_lt(page_to_phys(page), 16UL << 20);
}

static void gfp_dma_below_16M(void)
{
	struct page *p[40];
	for (int i = 0; i < 40; i++) {
		p[i] = alloc_pages(GFP_KERNEL | GFP_DMA, (unsigned)(i % 4));
		assert_dma(p[i]);
		cr_assert_leq(page_to_phys(p[i]) + (PAGE_SIZE << (i % 4)), 16UL << 20);
	}
	for (int i = 0; i < 40; i++)
		__free_pages(p[i], (unsigned)(i % 4));
	/* The plain GFP_DMA (no reclaim) as well. */
	struct page *q = alloc_page(GFP_DMA);
	assert_dma(q);
	__free_page(q);
}

Test(page_alloc, gfp_dma_below_16M_x86_64)
{
	boot_or_die("mem=1G");
	gfp_dma_below_16M();
	check_and_shutdown();
}

Test(page_alloc, gfp_dma_below_16M_x86_32)
{
	boot_or_die("arch=x86_32 mem=2G");
	gfp_dma_below_16M();
	check_and_shutdown();
}

Test(page_alloc, gfp_dma32_below_4G_on_x86_64)
{
	boot_or_die("mem=8G");
	cr_assert(populated_zone(zone_of(ZONE_NORMAL)));
	struct page *p[64];
	for (int i = 0; i < 64; i++) {
		unsigned int order = (unsigned)(i % 11);
		p[i] = alloc_pages(GFP_KERNEL | GFP_DMA32, order);
		cr_assert_not_null(p[i]);
		cr_assert_leq(page_zonenum(p[i]), ZONE_DMA32);
		cr_assert_leq(page_to_phys(p[i]) + (PAGE_SIZE << order), 4UL << 30);
	}
	for (int i = 0; i < 64; i++)
		__free_pages(p[i], (unsigned)(i % 11));
	check_and_shutdown();
}

Test(page_alloc, gfp_kernel_prefers_normal_on_x86_64)
{
	boot_or_die("mem=8G");
	struct page *p[32];
	for (int i = 0; i < 32; i++) {
		unsigned int order = (unsigned)(i % 11);
		p[i] = alloc_pages(GFP_KERNEL, order);
		cr_assert_not_null(p[i]);
		cr_assert_eq(page_zonenum(p[i]), ZONE_NORMAL, "order %u from zone %d",
			     order, page_zonenum(p[i]));
		cr_assert_geq(page_to_phys(p[i]), 4UL << 30);
	}
	for (int i = 0; i < 32; i++)
		__free_pages(p[i], (unsigned)(i % 11));
	check_and_shutdown();
}

Test(page_alloc, gfp_highuser_gets_highmem_on_x86_32)
{
	boot_or_die("arch=x86_32 mem=2G");
	unsigned long high_before = zone_free(0, ZONE_HIGHMEM);
	struct page *p[16];
	for (int i = 0; i < 16; i++) {
		p[i] = alloc_pages(GFP_HIGHUSER, (unsigned)(i % 3));
		cr_assert_not_null(p[i]);
		cr_assert(PageHighMem(p[i]));
		cr_assert_eq(page_zonenum(p[i]), ZONE_HIGHMEM);
		cr_assert_null(page_address(p[i]));
	}
	/* HighMem pages are zeroed through the RAM file, having no address. */
	struct page *z = alloc_pages(GFP_HIGHUSER | __GFP_ZERO, 2);
	cr_assert_not_null(z);
	cr_assert(PageHighMem(z));
	__free_pages(z, 2);
	cr_assert_lt(zone_free(0, ZONE_HIGHMEM), high_before);
	for (int i = 0; i < 16; i++)
		__free_pages(p[i], (unsigned)(i % 3));
	cr_assert_eq(zone_free(0, ZONE_HIGHMEM), high_before);
	check_and_shutdown();
}

/* held[] (tests/helpers.c) with an order for each entry. */
static unsigned int held_order[MAX_HELD];

static void free_held_orders(void)
{
	while (nr_held > 0) {
		nr_held--;
		__free_pages(held[nr_held], held_order[nr_held]);
	}
}

Test(page_alloc, gfp_kernel_never_highmem_on_x86_32)
{
	boot_or_die("arch=x86_32 mem=2G");
	unsigned long high_before = zone_free(0, ZONE_HIGHMEM);
	unsigned long total_before = total_free();

	/* Take all of lowmem the watermarks allow: not one page comes from HighMem. */
	for (nr_held = 0; nr_held < MAX_HELD; nr_held++) {
		struct page *p = alloc_pages(GFP_NOWAIT, 4);
		if (!p)
			break;
		cr_assert(!PageHighMem(p), "GFP_NOWAIT got a HighMem page");
		cr_assert_not_null(page_address(p));
		held[nr_held] = p;
		held_order[nr_held] = 4;
	}
	cr_assert_lt(nr_held, MAX_HELD);
	cr_assert_gt(nr_held, 10000, "only %d order-4 blocks of 850 MiB lowmem", nr_held);
	/* Lowmem is gone; GFP_KERNEL (which may reclaim) still never falls to HighMem. */
	for (int i = 0; i < 16; i++) {
		struct page *p = alloc_page(GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN);
		if (!p)
			break;
		cr_assert(!PageHighMem(p));
		held[nr_held] = p;
		held_order[nr_held++] = 0;
	}
	cr_assert_eq(zone_free(0, ZONE_HIGHMEM), high_before, "HighMem was touched");
	free_held_orders();
	cr_assert_eq(total_free(), total_before);
	check_and_shutdown();
}

/* --- merging back: any sequence, freed in any order, restores the boot state --- */

struct buddy_snapshot {
	unsigned long nr_free[MAX_NR_ZONES][NR_PAGE_ORDERS];
	unsigned long free_pages[MAX_NR_ZONES];
};

static void take_snapshot(struct buddy_snapshot *s)
{
	drain_all_pages(NULL);
	for (int zt = 0; zt < MAX_NR_ZONES; zt++) {
		struct zone *z = zone_of((enum zone_type)zt);
		for (int o = 0; o < NR_PAGE_ORDERS; o++)
			s->nr_free[zt][o] = READ_ONCE(z->free_area[o].nr_free) +
					    READ_ONCE(z->deferred_nr_free[o]);
		s->free_pages[zt] = zone_page_state_snapshot(z, NR_FREE_PAGES);
	}
}

static void assert_same_snapshot(const struct buddy_snapshot *a, const struct buddy_snapshot *b,
				 u64 seed)
{
	for (int zt = 0; zt < MAX_NR_ZONES; zt++) {
		cr_assert_eq(a->free_pages[zt], b->free_pages[zt],
			     "seed %llu: zone %s free %lu, boot %lu", (unsigned long long)seed,
			     zone_of((enum zone_type)zt)->name, b->free_pages[zt], a->free_pages[zt]);
		for (int o = 0; o < NR_PAGE_ORDERS; o++)
			cr_assert_eq(a->nr_free[zt][o], b->nr_free[zt][o],
				     "seed %llu: zone %s order %d: %lu free blocks, boot %lu",
				     (unsigned long long)seed, zone_of((enum zone_type)zt)->name, o,
				     b->nr_free[zt][o], a->nr_free[zt][o]);
	}
}

static const gfp_t merge_gfps[] = {
	GFP_KERNEL,
	GFP_KERNEL | __GFP_MOVABLE,
	GFP_KERNEL | __GFP_RECLAIMABLE,
	GFP_HIGHUSER_MOVABLE,
	GFP_KERNEL | __GFP_COMP,
	GFP_KERNEL | __GFP_RECLAIMABLE | __GFP_COMP,
	GFP_KERNEL | __GFP_ZERO,
	GFP_KERNEL | GFP_DMA32,
};

static void random_alloc_free_round(u64 seed, int ops, int max_live)
{
	rng_seed(seed);
	nr_held = 0;
	for (int i = 0; i < ops; i++) {
		if (nr_held < max_live && (nr_held == 0 || rng() % 3)) {
			unsigned int order = (unsigned)(rng() % NR_PAGE_ORDERS);
			gfp_t gfp = merge_gfps[rng() % ARRAY_SIZE(merge_gfps)];
			struct page *p = alloc_pages(gfp | __GFP_NOWARN, order);
			if (!p)
				continue;
			held[nr_held] = p;
			held_order[nr_held++] = order;
		} else {
			/* Free a random one: frees come in any order. */
			int k = (int)(rng() % (u64)nr_held);
			__free_pages(held[k], held_order[k]);
			held[k] = held[--nr_held];
			held_order[k] = held_order[nr_held];
		}
	}
	/* And the rest in random order. */
	while (nr_held) {
		int k = (int)(rng() % (u64)nr_held);
		__free_pages(held[k], held_order[k]);
		held[k] = held[--nr_held];
		held_order[k] = held_order[nr_held];
	}
}

static void merge_back(const char *cmdline, int max_live, bool deferred)
{
	struct buddy_snapshot boot, now;

	boot_or_die(cmdline);
	struct zone *normal = zone_of(ZONE_NORMAL);
	unsigned long deferred_pfn = normal->deferred_pfn;
	take_snapshot(&boot);
	for (u64 seed = 1; seed <= 6; seed++) {
		random_alloc_free_round(seed, 3000, max_live);
		take_snapshot(&now);
		assert_same_snapshot(&boot, &now, seed);
	}
	/* The deferred memory was really brought in on the way. */
	if (deferred)
		cr_assert_gt(normal->deferred_pfn, deferred_pfn);
	check_and_shutdown();
}

Test(page_alloc, random_sequences_merge_back_x86_64)
{
	merge_back("mem=512M", 200, false);
}

Test(page_alloc, random_sequences_merge_back_x86_32)
{
	merge_back("arch=x86_32 mem=1G", 200, false);
}

Test(page_alloc, random_sequences_merge_back_deferred_memory)
{
	/* Large enough that most of Normal has deferred struct pages. */
	merge_back("mem=6G", 800, true);
}

/* --- compound pages, split_page, reference counts --- */

Test(page_alloc, compound_pages)
{
	boot_or_die("mem=256M");
	unsigned long before = total_free();

	for (unsigned int order = 1; order <= MAX_PAGE_ORDER; order += 3) {
		unsigned long nr = 1UL << order;
		struct page *head = alloc_pages(GFP_KERNEL | __GFP_COMP, order);

		cr_assert_not_null(head);
		cr_assert(PageHead(head));
		cr_assert(!PageTail(head));
		cr_assert(PageCompound(head));
		cr_assert_eq(compound_order(head), order);
		cr_assert_eq(compound_nr(head), nr);
		for (unsigned long i = 1; i < nr; i++) {
			cr_assert(PageTail(head + i), "page %lu of order %u is not a tail", i, order);
			cr_assert(!PageHead(head + i));
			cr_assert_eq(compound_head(head + i), head);
		}
		cr_assert_eq(page_count(head + nr - 1), 1, "a tail's count is its head's");
		/* References through tails land on the head... */
		get_page(head + nr / 2);
		get_page(head + nr - 1);
		cr_assert_eq(page_count(head), 3);
		cr_assert_eq(page_ref_count(head + 1), 0, "tails hold no count of their own");
		put_page(head + nr - 1);
		put_page(head);
		cr_assert_eq(page_count(head), 1);
		cr_assert_eq(total_free(), before - nr);
		/* ...and the last put, through a tail, frees the whole. */
		put_page(head + nr / 2);
		cr_assert_eq(page_count(head), 0);
		cr_assert_eq(total_free(), before, "order %u compound not freed whole", order);
		cr_assert(!PageTail(head + nr - 1), "freed tail keeps its compound_head");
	}
	/* __free_pages of a compound page with its order works too. */
	struct page *c = alloc_pages(GFP_KERNEL | __GFP_COMP | __GFP_ZERO, 4);
	cr_assert_not_null(c);
	__free_pages(c, 4);
	cr_assert_eq(total_free(), before);
	/* Order 0 with __GFP_COMP is an ordinary page. */
	struct page *p0 = alloc_pages(GFP_KERNEL | __GFP_COMP, 0);
	cr_assert_not_null(p0);
	cr_assert(!PageTail(p0));
	cr_assert_eq(compound_order(p0), 0);
	put_page(p0);
	cr_assert_eq(total_free(), before);
	cr_assert_eq(kmm_report_count(KMM_REPORT_BAD_PAGE), 0);
	check_and_shutdown();
}

Test(page_alloc, split_page_then_free_each)
{
	boot_or_die("mem=256M");
	unsigned long before = total_free();

	for (unsigned int order = 1; order <= 6; order++) {
		unsigned long nr = 1UL << order;
		struct page *page = alloc_pages(GFP_KERNEL, order);

		cr_assert_not_null(page);
		split_page(page, order);
		for (unsigned long i = 0; i < nr; i++)
			cr_assert_eq(page_count(page + i), 1, "page %lu after split", i);
		cr_assert_eq(kmm_check(), 0);
		/* Free them in a scattered order, one page at a time. */
		for (unsigned long i = 0; i < nr; i += 2)
			__free_page(page + i);
		cr_assert_eq(total_free(), before - nr / 2);
		for (unsigned long i = 1; i < nr; i += 2)
			put_page(page + i);
		cr_assert_eq(total_free(), before, "order %u split block not all freed", order);
	}
	cr_assert_eq(kmm_report_count(KMM_REPORT_BAD_PAGE), 0);
	cr_assert_eq(kmm_report_count(KMM_REPORT_BAD_FREE), 0);
	check_and_shutdown();
}

Test(page_alloc, get_page_put_page_and_page_count)
{
	boot_or_die("mem=128M");
	unsigned long before = total_free();
	struct page *page = alloc_pages(GFP_KERNEL, 2);

	cr_assert_not_null(page);
	cr_assert_eq(page_count(page), 1);
	get_page(page);
	get_page(page);
	cr_assert_eq(page_count(page), 3);
	put_page(page);
	put_page(page);
	cr_assert_eq(page_count(page), 1);
	cr_assert_eq(total_free(), before - 4, "the page was freed while referenced");
	/* __free_pages drops a reference too: the page survives while one is held. */
	get_page(page);
	__free_pages(page, 2);
	cr_assert_eq(page_count(page), 1);
	cr_assert_eq(total_free(), before - 4);
	put_page(page);
	cr_assert_eq(page_count(page), 0, "a free page has count 0");
	cr_assert_eq(total_free(), before);
	cr_assert_eq(kmm_report_count(KMM_REPORT_WARN), 0);
	check_and_shutdown();
}

/* --- alloc_pages_bulk --- */

static int cmp_ptr(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)*(struct page *const *)a, y = (uintptr_t)*(struct page *const *)b;
	return x < y ? -1 : x > y;
}

Test(page_alloc, alloc_pages_bulk_fills_only_null_entries)
{
	boot_or_die("mem=256M");
	unsigned long before = total_free();
	enum { N = 300 };
	struct page *arr[N] = { 0 }, *sorted[N];
	struct page *pre[3] = { alloc_page(GFP_KERNEL), alloc_page(GFP_KERNEL), alloc_page(GFP_KERNEL) };

	arr[0] = pre[0];
	arr[17] = pre[1];
	arr[N - 1] = pre[2];
	cr_assert_eq(alloc_pages_bulk(GFP_KERNEL, N, arr), N);
	cr_assert_eq(arr[0], pre[0]);
	cr_assert_eq(arr[17], pre[1]);
	cr_assert_eq(arr[N - 1], pre[2]);
	for (int i = 0; i < N; i++) {
		cr_assert_not_null(arr[i]);
		cr_assert_eq(page_count(arr[i]), 1, "entry %d", i);
		cr_assert(!PageBuddy(arr[i]));
		memset(page_address(arr[i]), i & 0xff, PAGE_SIZE);
	}
	memcpy(sorted, arr, sizeof(arr));
	qsort(sorted, N, sizeof(sorted[0]), cmp_ptr);
	for (int i = 1; i < N; i++)
		cr_assert_neq(sorted[i], sorted[i - 1], "a page was handed out twice");
	for (int i = 0; i < N; i++)
		cr_assert_eq(*(unsigned char *)page_address(arr[i]), i & 0xff, "entry %d overwritten", i);
	cr_assert_eq(total_free(), before - N);
	/* A full array is left alone. */
	cr_assert_eq(alloc_pages_bulk(GFP_KERNEL, N, arr), N);
	cr_assert_eq(total_free(), before - N);
	for (int i = 0; i < N; i++)
		__free_page(arr[i]);
	cr_assert_eq(total_free(), before);
	check_and_shutdown();
}

static unsigned long max_order_blocks(void)
{
	unsigned long n = 0;

	drain_all_pages(NULL);
	for (int zt = 0; zt < MAX_NR_ZONES; zt++) {
		struct zone *z = zone_of((enum zone_type)zt);
		n += z->free_area[MAX_PAGE_ORDER].nr_free + z->deferred_nr_free[MAX_PAGE_ORDER];
	}
	return n;
}

static void bulk_keeps_large_blocks(const char *cmdline, gfp_t gfp, unsigned long n)
{
	boot_or_die(cmdline);
	struct page **arr = calloc(n, sizeof(*arr));
	unsigned long before = total_free(), blocks = max_order_blocks();

	cr_assert_eq(alloc_pages_bulk(gfp, n, arr), n);
	unsigned long after = max_order_blocks();
	cr_assert_leq(blocks - after, (n + 1023) / 1024,
		      "bulk of %lu pages broke %lu order-10 blocks", n, blocks - after);
	for (unsigned long i = 0; i < n; i++)
		__free_page(arr[i]);
	free(arr);
	cr_assert_eq(total_free(), before);
	check_and_shutdown();
}

Test(page_alloc, alloc_pages_bulk_takes_small_blocks_first_movable)
{
	bulk_keeps_large_blocks("mem=1G", GFP_HIGHUSER_MOVABLE, 2000);
}

Test(page_alloc, alloc_pages_bulk_takes_small_blocks_first_unmovable)
{
	bulk_keeps_large_blocks("mem=1G", GFP_KERNEL, 1500);
}

Test(page_alloc, alloc_pages_bulk_small_request)
{
	bulk_keeps_large_blocks("arch=x86_32 mem=512M", GFP_KERNEL, 7);
}

static unsigned long list_blocks(struct zone *z, unsigned int order, int mt)
{
	unsigned long n = 0;
	struct list_head *head = &z->free_area[order].free_list[mt], *pos;

	for (pos = head->next; pos != head; pos = pos->next)
		n++;
	return n;
}

/* Exactly the blocks below pageblock size go, smallest first; the large ones stay whole. */
Test(page_alloc, alloc_pages_bulk_consumes_the_smallest_blocks_exactly)
{
	boot_or_die("mem=1G");
	struct zone *z = zone_of(ZONE_DMA32);
	unsigned long before[NR_PAGE_ORDERS], small = 0;

	/* One movable page held splits a block into buddies of every order. */
	struct page *pin = alloc_page(GFP_HIGHUSER_MOVABLE);
	cr_assert_not_null(pin);
	drain_all_pages(NULL);
	for (unsigned int o = 0; o < NR_PAGE_ORDERS; o++) {
		before[o] = list_blocks(z, o, MIGRATE_MOVABLE);
		if (o < pageblock_order)
			small += before[o] << o;
	}
	cr_assert_gt(small, 1, "no small free blocks to test with");
	struct page **arr = calloc(small, sizeof(*arr));
	cr_assert_eq(alloc_pages_bulk(GFP_HIGHUSER_MOVABLE, small, arr), small);
	for (unsigned int o = 0; o < NR_PAGE_ORDERS; o++) {
		unsigned long now = list_blocks(z, o, MIGRATE_MOVABLE);
		if (o < pageblock_order)
			cr_assert_eq(now, 0, "order %u: %lu small blocks left, %lu before", o, now, before[o]);
		else
			cr_assert_eq(now, before[o], "order %u: %lu blocks, %lu before", o, now, before[o]);
	}
	for (unsigned long i = 0; i < small; i++) {
		cr_assert_eq(page_zone(arr[i]), z);
		__free_page(arr[i]);
	}
	free(arr);
	__free_page(pin);
	check_and_shutdown();
}

/* --- __GFP_ZERO, __GFP_COLD --- */

Test(page_alloc, gfp_zero_on_higher_orders)
{
	boot_or_die("mem=256M");
	for (unsigned int order = 1; order <= MAX_PAGE_ORDER; order++) {
		unsigned long bytes = PAGE_SIZE << order;
		struct page *p[4];

		/* Dirty some blocks of this order and free them: they come back next. */
		for (int i = 0; i < 4; i++) {
			p[i] = alloc_pages(GFP_KERNEL, order);
			cr_assert_not_null(p[i]);
			memset(page_address(p[i]), 0x5a, bytes);
		}
		for (int i = 0; i < 4; i++)
			__free_pages(p[i], order);
		for (int i = 0; i < 4; i++) {
			p[i] = alloc_pages(GFP_KERNEL | __GFP_ZERO, order);
			cr_assert_not_null(p[i]);
			const unsigned long *w = page_address(p[i]);
			for (unsigned long k = 0; k < bytes / sizeof(long); k++)
				cr_assert_eq(w[k], 0, "order %u word %lu not zeroed", order, k);
		}
		for (int i = 0; i < 4; i++)
			__free_pages(p[i], order);
	}
	check_and_shutdown();
}

static void expect_zero(const struct page *page, unsigned long bytes, const char *what)
{
	const unsigned long *w = page_address(page);

	for (unsigned long k = 0; k < bytes / sizeof(long); k++)
		cr_assert_eq(w[k], 0, "%s: word %lu not zeroed", what, k);
}

/*
 * A large __GFP_ZERO block is zeroed where the host backs it and nowhere
 * else: the pages written before are zero again, the pages never written
 * stay unbacked (RAM the host never gave costs nothing), and a block
 * written in more places than the host calls are worth is zeroed whole.
 */
Test(page_alloc, gfp_zero_writes_only_backed_pages)
{
	const unsigned int order = MAX_PAGE_ORDER;	/* no buddy to merge with: LIFO */
	const unsigned long bytes = PAGE_SIZE << order;
	static const unsigned long dirty[] = { 0, 1, 100, 101, 102, 103, 700, 1023 };

	boot_or_die("mem=256M");
	struct page *a = alloc_pages(GFP_KERNEL, order);
	cr_assert_not_null(a);
	unsigned long before = resident_pages(page_address(a), bytes);
	for (unsigned long i = 0; i < sizeof(dirty) / sizeof(dirty[0]); i++)
		memset((char *)page_address(a + dirty[i]) + 99, 0x5a, i == 6 ? 1 : PAGE_SIZE - 99);
	__free_pages(a, order);

	struct page *b = alloc_pages(GFP_KERNEL | __GFP_ZERO, order);
	cr_assert_eq(b, a, "the block just freed comes back first");
	unsigned long after = resident_pages(page_address(b), bytes);
	cr_assert_leq(after, before + 8, "zeroing backed %lu pages (%lu before, 8 written)",
		      after, before);
	cr_assert_lt(after, 64, "%lu pages backed", after);
	expect_zero(b, bytes, "sparse");

	/* Written in every other page: more parts than worth a host call each. */
	for (unsigned long i = 0; i < (1UL << order); i += 2)
		((char *)page_address(b + i))[i % PAGE_SIZE] = 1;
	__free_pages(b, order);
	b = alloc_pages(GFP_KERNEL | __GFP_ZERO, order);
	cr_assert_eq(b, a);
	expect_zero(b, bytes, "many parts");
	__free_pages(b, order);
	check_and_shutdown();
}

Test(page_alloc, gfp_cold_takes_the_other_end_of_the_cpu_list)
{
	boot_or_die("mem=256M cpus=2");
	cr_assert_eq(kmm_bind_cpu(0), 0);
	unsigned long before = total_free();
	struct page *hot = alloc_page(GFP_KERNEL);

	cr_assert_not_null(hot);
	__free_page(hot);
	/* The page just freed is cache-hot: the next ordinary allocation gets it back... */
	struct page *again = alloc_page(GFP_KERNEL);
	cr_assert_eq(again, hot);
	__free_page(again);
	/* ...while a cold one is taken from the tail of the list, not the hot head. */
	struct page *cold = alloc_page(GFP_KERNEL | __GFP_COLD);
	cr_assert_not_null(cold);
	cr_assert_neq(cold, hot, "__GFP_COLD got the cache-hot page");
	cr_assert_eq(page_count(cold), 1);
	memset(page_address(cold), 1, PAGE_SIZE);
	struct page *cold2 = alloc_pages(GFP_KERNEL | __GFP_COLD, 2);
	cr_assert_not_null(cold2);
	__free_page(cold);
	__free_pages(cold2, 2);
	cr_assert_eq(total_free(), before);
	kmm_bind_cpu(-1);
	check_and_shutdown();
}

/* --- orders out of range --- */

Test(page_alloc, order_above_max_fails_and_warns)
{
	boot_or_die("mem=128M");
	unsigned long before = total_free();

	cr_assert_null(alloc_pages(GFP_KERNEL | __GFP_NOWARN, MAX_PAGE_ORDER + 1));
	cr_assert_eq(kmm_report_count(KMM_REPORT_WARN), 0, "__GFP_NOWARN still warned");
	cr_assert_null(alloc_pages(GFP_KERNEL, MAX_PAGE_ORDER + 1));
	cr_assert_eq(kmm_report_count(KMM_REPORT_WARN), 1);
	cr_assert(dmesg_has("WARNING: CPU:"));
	cr_assert_eq(__get_free_pages(GFP_KERNEL | __GFP_NOWARN, 20), 0);
	cr_assert_null(alloc_pages(GFP_KERNEL | __GFP_NOWARN, 63));
	/* MAX_PAGE_ORDER itself is fine. */
	struct page *p = alloc_pages(GFP_KERNEL, MAX_PAGE_ORDER);
	cr_assert_not_null(p);
	__free_pages(p, MAX_PAGE_ORDER);
	cr_assert_eq(total_free(), before);
	check_and_shutdown();
}

/* --- watermarks and reserves --- */

Test(page_alloc, atomic_may_dip_below_min_where_nowait_may_not)
{
	boot_or_die("mem=64M");
	unsigned long before = total_free();

	/*
	 * Take pages until GFP_NOWAIT fails even with every CPU's list drained
	 * back to the zones (pages on a CPU's list do not count as free).
	 */
	nr_held = 0;
	for (;;) {
		struct page *p;

		while (nr_held < MAX_HELD && (p = alloc_page(GFP_NOWAIT))) {
			held[nr_held] = p;
			held_order[nr_held++] = 0;
		}
		cr_assert_lt(nr_held, MAX_HELD);
		drain_all_pages(NULL);
		if (!(p = alloc_page(GFP_NOWAIT)))
			break;
		held[nr_held] = p;
		held_order[nr_held++] = 0;
	}
	cr_assert_gt(nr_held, 10000, "GFP_NOWAIT stopped after %d pages of 64 MiB", nr_held);
	/* Every zone is at its min watermark (plus the reserve kept from others). */
	for (int zt = 0; zt < MAX_NR_ZONES; zt++) {
		struct zone *z = zone_of((enum zone_type)zt);
		if (!managed_zone(z))
			continue;
		cr_assert_leq(zone_free(0, (enum zone_type)zt),
			      min_wmark_pages(z) + (unsigned long)z->lowmem_reserve[ZONE_NORMAL],
			      "zone %s has free pages GFP_NOWAIT could not have", z->name);
	}

	/* GFP_ATOMIC (__GFP_HIGH) may use part of the reserve. */
	int atomic = 0;
	for (;;) {
		struct page *p = alloc_page(GFP_ATOMIC | __GFP_NOWARN);
		if (!p)
			break;
		cr_assert_lt(nr_held, MAX_HELD);
		held[nr_held] = p;
		held_order[nr_held++] = 0;
		atomic++;
	}
	cr_assert_gt(atomic, 0, "GFP_ATOMIC failed where it may dip below min");
	bool below_min = false;
	for (int zt = 0; zt < MAX_NR_ZONES; zt++) {
		struct zone *z = zone_of((enum zone_type)zt);
		if (managed_zone(z) && zone_free(0, (enum zone_type)zt) < min_wmark_pages(z))
			below_min = true;
	}
	cr_assert(below_min, "GFP_ATOMIC took %d pages but no zone is below min", atomic);
	cr_assert_null(alloc_page(GFP_NOWAIT));
	/* But not all of it: __GFP_MEMALLOC, which ignores watermarks, still finds some. */
	struct page *m = alloc_page(GFP_ATOMIC | __GFP_MEMALLOC);
	cr_assert_not_null(m, "nothing left below GFP_ATOMIC's share of the reserve");
	__free_page(m);

	free_held_orders();
	cr_assert_eq(total_free(), before);
	/* With memory back, GFP_NOWAIT works again. */
	struct page *p = alloc_page(GFP_NOWAIT);
	cr_assert_not_null(p);
	__free_page(p);
	check_and_shutdown();
}

Test(page_alloc, lowmem_reserve_x86_32)
{
	boot_or_die("arch=x86_32 mem=2G");
	struct zone *dma = zone_of(ZONE_DMA), *normal = zone_of(ZONE_NORMAL);
	struct zone *high = zone_of(ZONE_HIGHMEM);
	unsigned long mn = zone_managed_pages(normal), mh = zone_managed_pages(high);

	cr_assert_gt(mn, 0);
	cr_assert_gt(mh, 0);
	cr_assert_eq(dma->lowmem_reserve[ZONE_DMA], 0);
	cr_assert_eq(dma->lowmem_reserve[ZONE_NORMAL], (long)(mn / 256));
	cr_assert_eq(dma->lowmem_reserve[ZONE_HIGHMEM], (long)((mn + mh) / 256));
	cr_assert_eq(normal->lowmem_reserve[ZONE_NORMAL], 0);
	cr_assert_eq(normal->lowmem_reserve[ZONE_HIGHMEM], (long)(mh / 32));
	cr_assert_eq(high->lowmem_reserve[ZONE_HIGHMEM], 0);
	check_and_shutdown();
}

Test(page_alloc, lowmem_reserve_x86_64)
{
	boot_or_die("mem=8G");
	struct zone *dma = zone_of(ZONE_DMA), *dma32 = zone_of(ZONE_DMA32);
	unsigned long m32 = zone_managed_pages(dma32), mn = zone_managed_pages(zone_of(ZONE_NORMAL));

	cr_assert_eq(dma->lowmem_reserve[ZONE_DMA32], (long)(m32 / 256));
	cr_assert_eq(dma->lowmem_reserve[ZONE_NORMAL], (long)((m32 + mn) / 256));
	cr_assert_eq(dma32->lowmem_reserve[ZONE_NORMAL], (long)(mn / 256));
	cr_assert_eq(zone_of(ZONE_NORMAL)->lowmem_reserve[ZONE_NORMAL], 0);
	check_and_shutdown();
}

Test(page_alloc, lowmem_reserve_ratio_parameter)
{
	boot_or_die("arch=x86_32 mem=2G lowmem_reserve_ratio=128,128,64");
	struct zone *dma = zone_of(ZONE_DMA), *normal = zone_of(ZONE_NORMAL);
	unsigned long mn = zone_managed_pages(normal), mh = zone_managed_pages(zone_of(ZONE_HIGHMEM));

	cr_assert_eq(dma->lowmem_reserve[ZONE_NORMAL], (long)(mn / 128));
	cr_assert_eq(normal->lowmem_reserve[ZONE_HIGHMEM], (long)(mh / 64));
	check_and_shutdown();
}

/* The reserve keeps DMA for the requests that can use nothing else. */
Test(page_alloc, lowmem_reserve_protects_dma_from_normal_requests)
{
	boot_or_die("arch=x86_32 mem=2G");
	struct zone *dma = zone_of(ZONE_DMA);
	unsigned long dma_before = zone_free(0, ZONE_DMA);

	nr_held = 0;
	while (nr_held < MAX_HELD) {
		struct page *p = alloc_pages(GFP_NOWAIT, 3);
		if (!p)
			break;
		held[nr_held] = p;
		held_order[nr_held++] = 3;
	}
	/* Normal requests left DMA at least its reserve against Normal above min. */
	unsigned long dma_free = zone_free(0, ZONE_DMA);
	cr_assert_gt(dma_free, min_wmark_pages(dma) + (unsigned long)dma->lowmem_reserve[ZONE_NORMAL] - 8,
		     "DMA free %lu of %lu at boot", dma_free, dma_before);
	/* A GFP_DMA request still finds memory there. */
	struct page *d = alloc_page(GFP_DMA);
	cr_assert_not_null(d);
	cr_assert_eq(page_zonenum(d), ZONE_DMA);
	__free_page(d);
	free_held_orders();
	check_and_shutdown();
}

static unsigned long int_sqrt_ul(unsigned long x)
{
	unsigned long r = 0;

	while ((r + 1) * (r + 1) <= x)
		r++;
	return r;
}

static unsigned long lowmem_managed(void)
{
	unsigned long n = 0;

	for (int zt = 0; zt < MAX_NR_ZONES; zt++)
		if (zt != ZONE_HIGHMEM)
			n += zone_managed_pages(zone_of((enum zone_type)zt));
	return n;
}

static void check_watermarks(unsigned long expect_min_free_kbytes, unsigned int wsf)
{
	unsigned long pages_min = expect_min_free_kbytes >> (PAGE_SHIFT - 10);
	unsigned long lowmem = lowmem_managed(), sum_min = 0;
	int nz = 0;

	for (int zt = 0; zt < MAX_NR_ZONES; zt++) {
		struct zone *z = zone_of((enum zone_type)zt);
		unsigned long managed = zone_managed_pages(z);

		if (!managed)
			continue;
		unsigned long mn = min_wmark_pages(z), lo = low_wmark_pages(z), hi = high_wmark_pages(z);
		cr_assert_lt(mn, lo, "zone %s: min %lu !< low %lu", z->name, mn, lo);
		cr_assert_lt(lo, hi, "zone %s: low %lu !< high %lu", z->name, lo, hi);
		unsigned long gap = lo - mn;
		/* Each zone's share of min_free_kbytes sets the gaps (and lowmem's min). */
		unsigned long share = pages_min * managed / lowmem;
		unsigned long by_scale = managed * wsf / 10000;
		cr_assert_eq(gap, share / 4 > by_scale ? share / 4 : by_scale,
			     "zone %s: low - min = %lu", z->name, gap);
		cr_assert_eq(hi - lo, gap);
		if (zt == ZONE_HIGHMEM) {
			/* HighMem keeps a small fixed min: atomic reserves never come from it. */
			unsigned long expect = managed / 1024;
			expect = expect < 32 ? 32 : expect > 128 ? 128 : expect;
			cr_assert_eq(mn, expect, "HighMem min %lu", mn);
			continue;
		}
		cr_assert_eq(mn, share, "zone %s min %lu, share %lu", z->name, mn, share);
		sum_min += mn;
		nz++;
	}
	cr_assert_leq(sum_min, pages_min);
	cr_assert_geq(sum_min + (unsigned long)nz, pages_min);
}

static unsigned long expected_min_free_kbytes(void)
{
	unsigned long v = int_sqrt_ul(lowmem_managed() * (PAGE_SIZE >> 10) * 16);
	return v < 128 ? 128 : v > 262144 ? 262144 : v;
}

Test(page_alloc, watermarks_follow_min_free_kbytes_formula)
{
	const char *machines[] = { "mem=64M", "mem=1G", "arch=x86_32 mem=2G", "mem=8G", "mem=16M" };

	for (size_t i = 0; i < ARRAY_SIZE(machines); i++) {
		boot_or_die(machines[i]);
		check_watermarks(expected_min_free_kbytes(), 10);
		check_and_shutdown();
	}
}

Test(page_alloc, min_free_kbytes_parameter)
{
	boot_or_die("mem=1G");
	unsigned long def_min = min_wmark_pages(zone_of(ZONE_DMA32));
	check_and_shutdown();

	boot_or_die("mem=1G min_free_kbytes=16384");
	check_watermarks(16384, 10);
	cr_assert_gt(min_wmark_pages(zone_of(ZONE_DMA32)), def_min);
	check_and_shutdown();

	/* Below the computed floor of 128 kB: taken as given. */
	boot_or_die("mem=1G min_free_kbytes=64");
	check_watermarks(64, 10);
	check_and_shutdown();
}

Test(page_alloc, watermark_scale_factor_parameter)
{
	boot_or_die("mem=1G watermark_scale_factor=200");
	check_watermarks(expected_min_free_kbytes(), 200);
	struct zone *z = zone_of(ZONE_DMA32);
	/* 2% of the zone between each mark. */
	cr_assert_eq(low_wmark_pages(z) - min_wmark_pages(z), zone_managed_pages(z) * 200 / 10000);
	check_and_shutdown();

	boot_or_die("arch=x86_32 mem=2G watermark_scale_factor=1000");
	check_watermarks(expected_min_free_kbytes(), 1000);
	check_and_shutdown();
}
