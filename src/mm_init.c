/* SPDX-License-Identifier: MIT */
/*
 * Memory initialisation: nodes, zones, mem_map and deferred struct page init.
 *
 * Boot runs in this order (boot.c drives it):
 *   1. the e820 map becomes memblock.memory, split into nodes for numa=fake;
 *   2. memblock places mem_map (one struct page per pfn, FLATMEM), the
 *      pageblock migratetype array, each node's pg_data_t and the per-CPU
 *      pagesets;
 *   3. each zone spans the node's memory inside the arch's zone range
 *      (x86_32: DMA < 16 MiB <= Normal < 896 MiB <= HighMem; x86_64:
 *      DMA < 16 MiB <= DMA32 < 4 GiB <= Normal);
 *   4. memblock_free_all() gives the free ranges to the buddy allocator.
 *
 * Deferred init: only the first DEFERRED_BOOT_PAGES of each zone from
 * Normal up (and of the highest zone below it) get their struct pages at
 * boot, and every zone's holes and reservations.  The rest of the zone, a
 * section (4 MiB) at a time, is initialised when the zone's free lists run short (deferred_grow_zone()),
 * as Linux's deferred struct page init does, so a machine of a terabyte
 * boots in milliseconds and its mem_map is touched only where used.  Until
 * then the deferred free memory is counted, exactly as the buddy allocator
 * will hold it, in zone->deferred_nr_free[] and in NR_FREE_PAGES.
 */
#include "kmemleak.h"
#include "internal.h"
#include <kmm/vmstat.h>
#include "param.h"

struct page *mem_map;
unsigned long max_pfn;
unsigned long max_low_pfn;
unsigned long kmm_page_offset;
void *high_memory;
pg_data_t *node_data[MAX_NUMNODES];
int nr_online_nodes = 1;
int node_distance_table[MAX_NUMNODES][MAX_NUMNODES] __page_aligned_bss;
unsigned int pageblock_order = 9;
int page_group_by_mobility_disabled;
u8 *pageblock_flags;
unsigned long totalram_pages_count;
unsigned long totalhigh_pages_count;
unsigned long zone_boundary_pfn[MAX_NR_ZONES];

const char *const zone_names[MAX_NR_ZONES] = {
	"DMA", "DMA32", "Normal", "HighMem", "Movable", "Device",
};

const char *const migratetype_names[MIGRATE_TYPES] = {
	"Unmovable", "Movable", "Reclaimable", "HighAtomic", "Isolate",
};

#define DEFERRED_BOOT_PAGES	SECTION_PAGES

/*
 * deferred_boot_mem=SIZE (kmm's own, 64K..4M, a power of two): how much of
 * a zone's free memory boot gives struct pages; the rest of that section
 * is the zone's first growth.  The preload boots with 2M: a short process
 * writes 8 pages of mem_map fewer, one that grows pays the same.
 */
static unsigned long deferred_boot_pages = DEFERRED_BOOT_PAGES;

static int setup_deferred_boot_mem(const char *val)
{
	u64 v;

	if (kmm_parse_size(val, &v) || v < 64 * SZ_1K || v > ((u64)SECTION_PAGES << PAGE_SHIFT) ||
	    (v & (v - 1)))
		return -EINVAL;
	deferred_boot_pages = (unsigned long)(v >> PAGE_SHIFT);
	return 0;
}

static void deferred_boot_mem_reset(void)
{
	deferred_boot_pages = DEFERRED_BOOT_PAGES;
}

kmm_param("deferred_boot_mem", setup_deferred_boot_mem, deferred_boot_mem_reset);

bool kmm_zone_configured(enum zone_type zt)
{
	if (kmm_cfg.arch == KMM_ARCH_X86_32)
		return zt == ZONE_DMA || zt == ZONE_NORMAL || zt == ZONE_HIGHMEM ||
		       zt == ZONE_MOVABLE;
	return zt != ZONE_HIGHMEM;
}

/* The highest pfn (exclusive) each zone type may reach on this arch. */
static void arch_zone_limits(unsigned long *limit)
{
	limit[ZONE_DMA] = SZ_16M >> PAGE_SHIFT;
	if (kmm_cfg.arch == KMM_ARCH_X86_32) {
		limit[ZONE_DMA32] = limit[ZONE_DMA];
		limit[ZONE_NORMAL] = max_low_pfn;
		limit[ZONE_HIGHMEM] = max_pfn;
	} else {
		limit[ZONE_DMA32] = SZ_4G >> PAGE_SHIFT;
		limit[ZONE_NORMAL] = max_pfn;
		limit[ZONE_HIGHMEM] = limit[ZONE_NORMAL];
	}
	limit[ZONE_MOVABLE] = limit[ZONE_HIGHMEM];
	limit[ZONE_DEVICE] = limit[ZONE_MOVABLE];
	for (int i = 1; i < MAX_NR_ZONES; i++)
		limit[i] = max(limit[i], limit[i - 1]);
	for (int i = 0; i < MAX_NR_ZONES; i++)
		limit[i] = min(limit[i], max_pfn);
}

/* --- pageblock migrate types: one byte per pageblock --- */

void set_pageblock_migratetype(struct page *page, int migratetype)
{
	if (unlikely(page_group_by_mobility_disabled && migratetype < MIGRATE_PCPTYPES))
		migratetype = MIGRATE_UNMOVABLE;
	WRITE_ONCE(pageblock_flags[page_to_pfn(page) >> pageblock_order], (u8)migratetype);
}


/* --- struct page init --- */

static void mark_sections_initialised(unsigned long start, unsigned long end);

static void init_single_page(struct page *page, unsigned long pfn,
			     enum zone_type zt, int nid)
{
	(void)pfn;
	memset(page, 0, sizeof(*page));
	page->flags = ((unsigned long)nid << NODES_PGSHIFT) |
		      ((unsigned long)zt << ZONES_PGSHIFT);
	page->page_type = UINT32_MAX;		/* _mapcount = -1 */
	init_page_count(page);
	INIT_LIST_HEAD(&page->lru);
	__SetPageReserved(page);
}

/* Give [start, end) struct pages, all reserved; free ones are freed later. */
void init_reserved_page_range(unsigned long start, unsigned long end, int nid,
			      enum zone_type zt)
{
	if (start < end)
		mark_sections_initialised(start, end);
	for (unsigned long pfn = start; pfn < end; pfn++) {
		init_single_page(pfn_to_page(pfn), pfn, zt, nid);
		if (IS_ALIGNED(pfn, pageblock_nr_pages))
			pageblock_flags[pfn >> pageblock_order] = MIGRATE_MOVABLE;
	}
}

/* Split [start, end) into naturally aligned blocks of at most MAX_PAGE_ORDER. */
static unsigned int next_block_order(unsigned long start, unsigned long end)
{
	unsigned int order = start ? min((unsigned int)__builtin_ctzl(start),
					 (unsigned int)MAX_PAGE_ORDER) : MAX_PAGE_ORDER;

	while (start + (1UL << order) > end)
		order--;
	return order;
}

static unsigned long free_range_to_buddy(unsigned long start, unsigned long end)
{
	unsigned long n = end - start;

	while (start < end) {
		unsigned int order = next_block_order(start, end);

		__free_pages_core(pfn_to_page(start), order);
		start += 1UL << order;
	}
	return n;
}

/* The free pfn ranges of memblock that fall in [lo, hi), one callback each. */
static void for_each_free_pfn_range(unsigned long lo, unsigned long hi,
				    void (*fn)(unsigned long s, unsigned long e, void *arg),
				    void *arg)
{
	unsigned long idx = 0;
	phys_addr_t s, e;

	while (memblock_next_free_range(&idx, &s, &e, NULL)) {
		unsigned long ps = max(PFN_UP(s), lo), pe = min(PFN_DOWN(e), hi);

		if (ps < pe)
			fn(ps, pe, arg);
	}
}

/*
 * The reserved pfn ranges of memblock whose struct pages boot initialises
 * (all but MEMBLOCK_RSRV_NOINIT ones) that fall in [lo, hi), in order and
 * without overlap (a page partly reserved is reserved, once).  With
 * @gaps, the ranges between them instead: free memory, holes and the
 * no-init reservations, which deferred init gives their struct pages.
 */
static void for_each_reserved_pfn_range(unsigned long lo, unsigned long hi, bool gaps,
					void (*fn)(unsigned long s, unsigned long e, void *arg),
					void *arg)
{
	unsigned long done = lo;

	for (unsigned long i = 0; i < memblock.reserved.cnt && done < hi; i++) {
		struct memblock_region *r = &memblock.reserved.regions[i];
		unsigned long ps = max(PFN_DOWN(r->base), done);
		unsigned long pe = min(PFN_UP(r->base + r->size), hi);

		if (ps >= pe || (r->flags & MEMBLOCK_RSRV_NOINIT))
			continue;
		if (gaps && done < ps)
			fn(done, ps, arg);
		else if (!gaps)
			fn(ps, pe, arg);
		done = pe;
	}
	if (gaps && done < hi)
		fn(done, hi, arg);
}

struct init_range_arg {
	int nid;
	enum zone_type zt;
};

static void init_range_cb(unsigned long s, unsigned long e, void *arg)
{
	struct init_range_arg *a = arg;

	init_reserved_page_range(s, e, a->nid, a->zt);
}

/* Count [s, e) as free blocks of the orders next_block_order() splits it into. */
static void count_blocks(struct zone *zone, unsigned long s, unsigned long e)
{
	while (s < e) {
		unsigned int order = next_block_order(s, e);

		zone->deferred_nr_free[order]++;
		s += 1UL << order;
	}
}

static void count_deferred(unsigned long s, unsigned long e, void *arg)
{
	struct zone *zone = arg;
	unsigned long max_block = 1UL << MAX_PAGE_ORDER;
	unsigned long ms = ALIGN(s, max_block), me = ALIGN_DOWN(e, max_block);

	zone->deferred_free_pages += e - s;
	if (ms >= me) {
		count_blocks(zone, s, e);
		return;
	}
	/* The whole MAX_PAGE_ORDER blocks at once: a 64G machine has 16K of them. */
	count_blocks(zone, s, ms);
	zone->deferred_nr_free[MAX_PAGE_ORDER] += (me - ms) >> MAX_PAGE_ORDER;
	count_blocks(zone, me, e);
}

/* The deferred free pages in blocks of pageblock_order and up. */
static unsigned long deferred_block_pages(const struct zone *zone)
{
	unsigned long n = 0;

	for (unsigned int o = pageblock_order; o < NR_PAGE_ORDERS; o++)
		n += zone->deferred_nr_free[o] << o;
	return n;
}

static void free_boot_range(unsigned long s, unsigned long e, void *arg)
{
	*(unsigned long *)arg += free_range_to_buddy(s, e);
}

/*
 * Which sections have struct pages: two bits per section, "ready" (all of
 * it initialised) and "mixed" (part of it: a section where a deferred range
 * meets a node boundary), so the common question costs one bit test.
 */
unsigned long *section_ready;
static unsigned long *section_mixed;
/* Pages initialised, per mixed section; u16 keeps the zeroed array small. */
static u16 *section_inited;
_Static_assert(SECTION_PAGES <= UINT16_MAX, "section_inited counts in u16");
static size_t section_bitmap_bytes;

static void set_sbit(unsigned long *map, unsigned long sec)
{
	map[sec / BITS_PER_LONG] |= 1UL << (sec % BITS_PER_LONG);
}

static bool test_sbit(const unsigned long *map, unsigned long sec)
{
	return map[sec / BITS_PER_LONG] & (1UL << (sec % BITS_PER_LONG));
}

/* Ranges initialised never overlap, so counting pages tells when a section is whole. */
static void mark_sections_initialised(unsigned long start, unsigned long end)
{
	for (unsigned long sec = start / SECTION_PAGES; sec * SECTION_PAGES < end; sec++) {
		unsigned long s = sec * SECTION_PAGES, e = min(s + SECTION_PAGES, max_pfn);
		unsigned long n = min(e, end) - max(s, start);

		section_inited[sec] += (u16)n;
		if (section_inited[sec] >= e - s)
			set_sbit(section_ready, sec);
		else
			set_sbit(section_mixed, sec);
	}
}

static void note_range(unsigned long s, unsigned long e, void *arg)
{
	(void)s;
	(void)e;
	*(bool *)arg = true;
}

/* Is @pfn in a reservation that boot gave its struct pages?  The same rule as boot's. */
static bool pfn_reserved_initialised(unsigned long pfn)
{
	bool found = false;

	for_each_reserved_pfn_range(pfn, pfn + 1, false, note_range, &found);
	return found;
}

bool pfn_is_deferred_slow(unsigned long pfn)
{
	if (pfn >= max_pfn)
		return false;
	if (!test_sbit(section_mixed, pfn / SECTION_PAGES))
		return true;
	for (int nid = 0; nid < nr_online_nodes; nid++) {
		for (int zt = 0; zt < MAX_NR_ZONES; zt++) {
			struct zone *z = &NODE_DATA(nid)->node_zones[zt];

			if (z->spanned_pages && zone_spans_pfn(z, pfn))
				return pfn >= z->deferred_pfn && !pfn_reserved_initialised(pfn);
		}
	}
	return false;
}

/*
 * Initialise the next deferred section of @zone and free its memory into
 * the buddy allocator.  Called with zone->lock held, from the allocator
 * when the free lists cannot serve a request.
 * Return: true if pages were added.
 */
bool deferred_grow_zone(struct zone *zone, unsigned int order)
{
	unsigned long end = zone_end_pfn(zone);
	bool grown = false, fits = false;

	/*
	 * A whole section holds a block of any order; the rest of the first
	 * one after deferred_boot_mem= may not, nor a section broken by
	 * reservations: go on until a block of @order was freed (counted
	 * before merging, so at worst a section too many).
	 */
	while (zone->deferred_pfn < end && !fits) {
		unsigned long s = zone->deferred_pfn;
		unsigned long e = min(ALIGN(s + 1, SECTION_PAGES), end);
		unsigned long before = zone->deferred_free_pages;

		/* Its reserved pages got their struct pages at boot. */
		struct init_range_arg a = { zone->node, (enum zone_type)zone_idx(zone) };
		for_each_reserved_pfn_range(s, e, true, init_range_cb, &a);
		zone->deferred_pfn = e;
		/* Take the section out of the deferred count, then free it for real. */
		struct zone tmp = { 0 };
		for_each_free_pfn_range(s, e, count_deferred, &tmp);
		/* __zone_watermark_ok() reads them without the lock. */
		for (int o = 0; o < NR_PAGE_ORDERS; o++)
			WRITE_ONCE(zone->deferred_nr_free[o],
				   zone->deferred_nr_free[o] - tmp.deferred_nr_free[o]);
		zone->deferred_free_pages -= tmp.deferred_free_pages;
		__mod_zone_freepage_state(zone, -(long)tmp.deferred_free_pages, MIGRATE_MOVABLE);
		__mod_zone_freepage_blocks(zone, -(long)deferred_block_pages(&tmp));
		unsigned long freed = 0;
		for_each_free_pfn_range(s, e, free_boot_range, &freed);
		if (before != zone->deferred_free_pages)
			grown = true;
		for (unsigned int o = min(order, (unsigned int)MAX_PAGE_ORDER); o < NR_PAGE_ORDERS; o++)
			fits |= tmp.deferred_nr_free[o] != 0;
	}
	return grown;
}

/* --- nodes and zones --- */

/* numa=fake=N: split memory into N nodes of equal size, 32 MiB aligned. */
static int numa_emulate(unsigned int nodes)
{
	phys_addr_t total = memblock_phys_mem_size();
	phys_addr_t per = ALIGN_DOWN(total / nodes, (phys_addr_t)32 * SZ_1M);
	phys_addr_t start = 0;

	if (per < 32 * SZ_1M) {
		pr_err("numa=fake=%u: too many nodes for %llu MiB\n", nodes,
		       (unsigned long long)(total >> 20));
		return -EINVAL;
	}
	for (unsigned int nid = 0; nid < nodes; nid++) {
		phys_addr_t want = per, s = start, e = start;

		/* Advance e until [s, e) holds @per bytes of memory. */
		for (unsigned long i = 0; i < memblock.memory.cnt && want; i++) {
			struct memblock_region *r = &memblock.memory.regions[i];
			phys_addr_t rs = max(r->base, e), re = r->base + r->size;

			if (re <= rs)
				continue;
			phys_addr_t take = min(want, re - rs);
			e = rs + take;
			want -= take;
		}
		/* Node boundaries fall on 32 MiB, as Linux's FAKE_NODE_MIN_SIZE. */
		e = ALIGN(e, (phys_addr_t)32 * SZ_1M);
		if (nid == nodes - 1)
			e = memblock_end_of_DRAM();
		struct memblock_region saved[INIT_MEMBLOCK_REGIONS];
		unsigned long cnt = memblock.memory.cnt;
		memcpy(saved, memblock.memory.regions, sizeof(saved[0]) * cnt);
		for (unsigned long i = 0; i < cnt; i++) {
			phys_addr_t rs = max(saved[i].base, s);
			phys_addr_t re = min(saved[i].base + saved[i].size, e);
			if (rs < re && memblock_add_node(rs, re - rs, (int)nid))
				return -ENOSPC;
		}
		pr_info("Faking node %u at [mem 0x%016llx-0x%016llx] (%lluMB)\n", nid,
			(unsigned long long)s, (unsigned long long)e - 1,
			(unsigned long long)((e - s) >> 20));
		start = e;
	}
	nr_online_nodes = (int)nodes;
	return 0;
}

static void node_pfn_range(int nid, unsigned long *start, unsigned long *end)
{
	*start = ~0UL;
	*end = 0;
	for (unsigned long i = 0; i < memblock.memory.cnt; i++) {
		struct memblock_region *r = &memblock.memory.regions[i];

		if (r->nid != nid)
			continue;
		*start = min(*start, PFN_UP(r->base));
		*end = max(*end, PFN_DOWN(r->base + r->size));
	}
	if (*start > *end)
		*start = *end = 0;
}

static unsigned long present_pages_in(int nid, unsigned long s, unsigned long e)
{
	unsigned long n = 0;

	for (unsigned long i = 0; i < memblock.memory.cnt; i++) {
		struct memblock_region *r = &memblock.memory.regions[i];
		unsigned long rs = max(PFN_UP(r->base), s);
		unsigned long re = min(PFN_DOWN(r->base + r->size), e);

		if (r->nid == nid && rs < re)
			n += re - rs;
	}
	return n;
}

/* Does boot give [s, e) its struct pages as reserved memory (no gap in the reservations)? */
static bool range_initialised_at_boot(unsigned long s, unsigned long e)
{
	bool gap = false;

	for_each_reserved_pfn_range(s, e, true, note_range, &gap);
	return !gap;
}

static int zone_init(pg_data_t *pgdat, enum zone_type zt, const unsigned long *limit)
{
	struct zone *zone = &pgdat->node_zones[zt];
	unsigned long lo = zt ? limit[zt - 1] : 0, hi = limit[zt];
	unsigned long ns = pgdat->node_start_pfn, ne = ns + pgdat->node_spanned_pages;

	spin_lock_init(&zone->lock);
	zone->name = zone_names[zt];
	zone->node = pgdat->node_id;
	zone->zone_pgdat = pgdat;
	for (int o = 0; o < NR_PAGE_ORDERS; o++)
		for (int t = 0; t < MIGRATE_TYPES; t++)
			INIT_LIST_HEAD(&zone->free_area[o].free_list[t]);
	zone->per_cpu_pageset = memblock_alloc_try_nid(sizeof(struct per_cpu_pages) * nr_cpu_ids,
						       KMM_CACHELINE_PAIR_BYTES, 0, MEMBLOCK_ALLOC_ACCESSIBLE,
						       pgdat->node_id);
	zone->per_cpu_zonestats = memblock_alloc_try_nid(sizeof(struct per_cpu_zonestat) * nr_cpu_ids,
							 KMM_CACHELINE_PAIR_BYTES, 0, MEMBLOCK_ALLOC_ACCESSIBLE,
							 pgdat->node_id);
	if (!zone->per_cpu_pageset || !zone->per_cpu_zonestats)
		return -ENOMEM;

	unsigned long s = max(lo, ns), e = min(hi, ne);
	if (!kmm_zone_configured(zt) || zt == ZONE_MOVABLE || zt == ZONE_DEVICE || s >= e) {
		zone->zone_start_pfn = s < e ? s : 0;
		zone->deferred_pfn = zone->zone_start_pfn;
		return 0;
	}
	/*
	 * A zone spans from its first to its last page of memory.  The holes
	 * inside it get their (reserved) struct pages at boot, as Linux's
	 * init_unavailable_range(): deferral starts after the last one, at a
	 * section.  A hole inside a reservation that boot initialises anyway
	 * (the firmware's below 1 MiB) holds it back only to the hole's end:
	 * what memblock_free_late() may free there stays below it.
	 */
	unsigned long first = e, last = s, hole_end = 0, covered_end = 0;
	for (unsigned long i = 0; i < memblock.memory.cnt; i++) {
		struct memblock_region *r = &memblock.memory.regions[i];
		unsigned long rs = max(PFN_UP(r->base), s), re = min(PFN_DOWN(r->base + r->size), e);

		if (r->nid == pgdat->node_id && rs < re) {
			if (first < rs && range_initialised_at_boot(last, rs))
				covered_end = max(covered_end, rs);
			else if (first < rs)
				hole_end = max(hole_end, rs);
			first = min(first, rs);
			last = max(last, re);
		}
	}
	if (first >= last) {
		zone->zone_start_pfn = 0;
		return 0;
	}
	zone->zone_start_pfn = first;
	zone->spanned_pages = last - first;
	zone->present_pages = present_pages_in(pgdat->node_id, first, last);
	zone->deferred_pfn = last;
	/*
	 * Boot's own allocations and the first ones after it come from Normal
	 * (or the highest zone below it): only those zones get a section of
	 * free memory at boot.  DMA and DMA32 under Normal start with their
	 * holes only and grow when a request for them finds their lists
	 * empty, so a 64G machine's boot writes 32 pages of mem_map fewer.
	 */
	unsigned long boot_pages = zt < ZONE_NORMAL && ne > hi ? 0 : deferred_boot_pages;
	unsigned long boot_end = max(max(first + boot_pages, covered_end),
				     hole_end ? ALIGN(hole_end, SECTION_PAGES) : 0);
	if (boot_pages == SECTION_PAGES)
		boot_end = ALIGN(boot_end, SECTION_PAGES);
	if (zone->spanned_pages > DEFERRED_BOOT_PAGES + SECTION_PAGES)
		zone->deferred_pfn = min(boot_end, last);
	pgdat->nr_zones = zt + 1;
	return 0;
}

static int node_init(int nid, const unsigned long *limit)
{
	pg_data_t *pgdat = memblock_alloc_try_nid(sizeof(*pgdat), 64, 0,
						  MEMBLOCK_ALLOC_ACCESSIBLE, nid);
	unsigned long s, e;

	if (!pgdat)
		return -ENOMEM;
	node_data[nid] = pgdat;
	pgdat->node_id = nid;
	node_pfn_range(nid, &s, &e);
	pgdat->node_start_pfn = s;
	pgdat->node_spanned_pages = e - s;
	pgdat->node_present_pages = present_pages_in(nid, s, e);
	pgdat->per_cpu_nodestats = memblock_alloc_try_nid(sizeof(struct per_cpu_nodestat) * nr_cpu_ids,
							  KMM_CACHELINE_PAIR_BYTES, 0, MEMBLOCK_ALLOC_ACCESSIBLE, nid);
	if (!pgdat->per_cpu_nodestats)
		return -ENOMEM;
	pr_info("Initmem setup node %d [mem 0x%016llx-0x%016llx]\n", nid,
		(unsigned long long)PFN_PHYS(s), (unsigned long long)PFN_PHYS(e) - 1);
	for (int zt = 0; zt < MAX_NR_ZONES; zt++)
		if (zone_init(pgdat, (enum zone_type)zt, limit))
			return -ENOMEM;
	return 0;
}

static void print_zone_ranges(const unsigned long *limit)
{
	pr_info("Zone ranges:\n");
	for (int zt = 0; zt < MAX_NR_ZONES; zt++) {
		if (!kmm_zone_configured((enum zone_type)zt) || zt >= ZONE_MOVABLE)
			continue;
		unsigned long lo = zt ? limit[zt - 1] : 0, hi = limit[zt];
		lo = max(lo, PFN_DOWN(memblock_start_of_DRAM()));
		if (lo >= hi)
			pr_info("  %-8s empty\n", zone_names[zt]);
		else
			pr_info("  %-8s [mem 0x%016llx-0x%016llx]\n", zone_names[zt],
				(unsigned long long)PFN_PHYS(lo),
				(unsigned long long)PFN_PHYS(hi) - 1);
	}
	pr_info("Movable zone start for each node\n");
	pr_info("Early memory node ranges\n");
	for (unsigned long i = 0; i < memblock.memory.cnt; i++) {
		struct memblock_region *r = &memblock.memory.regions[i];
		pr_info("  node %3d: [mem 0x%016llx-0x%016llx]\n", r->nid,
			(unsigned long long)r->base,
			(unsigned long long)(r->base + r->size - 1));
	}
}

/*
 * Lay out nodes, zones and mem_map from memblock; the machine's RAM must be
 * mapped (direct map) and memblock filled from e820 before this runs.
 */
int mm_core_init(void)
{
	unsigned long limit[MAX_NR_ZONES];
	int err;

	if (kmm_cfg.numa_nodes > 1 && (err = numa_emulate(kmm_cfg.numa_nodes)))
		return err;
	for (int a = 0; a < nr_online_nodes; a++)
		for (int b = 0; b < nr_online_nodes; b++)
			node_distance_table[a][b] = a == b ? 10 : 20;

	pageblock_order = kmm_cfg.arch == KMM_ARCH_X86_32 ? MAX_PAGE_ORDER : 9;
	arch_zone_limits(limit);
	memcpy(zone_boundary_pfn, limit, sizeof(limit));
	print_zone_ranges(limit);

	/* mem_map and the pageblock array, from lowmem, top-down. */
	/*
	 * mem_map is not cleared here: each struct page is initialised when its
	 * section is, so the host backs only the parts in use.
	 */
	mem_map = memblock_alloc_raw(PAGE_ALIGN(max_pfn * sizeof(struct page)), SZ_1M);
	/*
	 * Its own struct pages (a sixty-fourth of it) wait for deferred init
	 * like free memory's: nothing looks them up, and initialising them at
	 * boot would touch a quarter of a GiB of a terabyte machine's mem_map.
	 */
	if (mem_map)
		memblock_reserved_mark_noinit(__pa(mem_map),
					      PAGE_ALIGN(max_pfn * sizeof(struct page)));
	pageblock_flags = memblock_alloc(PAGE_ALIGN((max_pfn >> pageblock_order) + 1), PAGE_SIZE);
	section_bitmap_bytes = ALIGN(((max_pfn / SECTION_PAGES + 1) + 7) / 8, sizeof(long));
	section_ready = memblock_alloc(section_bitmap_bytes, sizeof(long));
	section_inited = memblock_alloc((max_pfn / SECTION_PAGES + 1) * sizeof(u16), sizeof(u16));
	section_mixed = memblock_alloc(section_bitmap_bytes, sizeof(long));
	if (!mem_map || !pageblock_flags || !section_ready || !section_mixed || !section_inited) {
		pr_err("kmm: cannot allocate mem_map for %lu pages\n", max_pfn);
		return -ENOMEM;
	}
	for (int nid = 0; nid < nr_online_nodes; nid++)
		if ((err = node_init(nid, limit)))
			return err;
	return 0;
}

void mm_core_exit(void)
{
	mem_map = NULL;
	pageblock_flags = NULL;
	for (int nid = 0; nid < MAX_NUMNODES; nid++)
		node_data[nid] = NULL;
	nr_online_nodes = 1;
	totalram_pages_count = 0;
	totalhigh_pages_count = 0;
}

/*
 * Pages that no zone spans (the first page, holes between nodes, reserved
 * ranges above the last RAM) still get a struct page, reserved, in the zone
 * whose range holds them, as Linux's init_unavailable_range().
 */
static void init_unspanned_pages(void)
{
	unsigned long pfn = 0;

	while (pfn < max_pfn) {
		unsigned long next = max_pfn;
		bool inside = false;
		struct zone *zone;

		for_each_zone(zone) {
			if (!zone->spanned_pages)
				continue;
			if (zone_spans_pfn(zone, pfn)) {
				next = zone_end_pfn(zone);
				inside = true;
				break;
			}
			if (zone->zone_start_pfn > pfn)
				next = min(next, zone->zone_start_pfn);
		}
		if (!inside) {
			int zt = 0;
			while (zt < MAX_NR_ZONES - 1 && pfn >= zone_boundary_pfn[zt])
				zt++;
			init_reserved_page_range(pfn, next, 0, (enum zone_type)zt);
		}
		pfn = next;
	}
}

/*
 * The end of boot: give every zone its struct pages (up to its deferred
 * point), free the free memory into the buddy allocator, count what is
 * deferred, and fix each zone's managed pages.
 */
unsigned long memblock_free_all(void)
{
	unsigned long total = 0;
	struct zone *zone;

	for_each_zone(zone) {
		if (!zone->spanned_pages)
			continue;
		unsigned long s = zone->zone_start_pfn, d = zone->deferred_pfn;

		init_reserved_page_range(s, d, zone->node, (enum zone_type)zone_idx(zone));
		/*
		 * Memory memblock handed out beyond the deferred point (the
		 * KFENCE pool, top-down boot tables) is in use now: its struct
		 * pages are needed now, as Linux's memmap_init_reserved_pages()
		 * gives them whatever is deferred.
		 */
		struct init_range_arg a = { zone->node, (enum zone_type)zone_idx(zone) };
		for_each_reserved_pfn_range(d, zone_end_pfn(zone), false, init_range_cb, &a);
	}
	init_unspanned_pages();

	for_each_zone(zone) {
		unsigned long freed = 0;

		if (!zone->spanned_pages)
			continue;
		__spin_lock(&zone->lock);
		for_each_free_pfn_range(zone->zone_start_pfn, zone->deferred_pfn,
					free_boot_range, &freed);
		for_each_free_pfn_range(zone->deferred_pfn, zone_end_pfn(zone),
					count_deferred, zone);
		__mod_zone_freepage_state(zone, (long)zone->deferred_free_pages, MIGRATE_MOVABLE);
		__mod_zone_freepage_blocks(zone, (long)deferred_block_pages(zone));
		__spin_unlock(&zone->lock);
		atomic_long_set(&zone->managed_pages, (long)(freed + zone->deferred_free_pages));
		/*
		 * Linux counts every page boot frees to the buddy allocator as
		 * pgfree, deferred ones included (its deferred init finishes
		 * during boot); so does kmm, once, here.
		 */
		count_vm_events(PGFREE, (long)(freed + zone->deferred_free_pages));
		total += freed + zone->deferred_free_pages;
		if (is_highmem(zone))
			totalhigh_pages_count += freed + zone->deferred_free_pages;
		if (zone->deferred_pfn < zone_end_pfn(zone))
			pr_info("On node %d, zone %s: %lu pages deferred\n", zone->node,
				zone->name, zone_end_pfn(zone) - zone->deferred_pfn);
	}
	totalram_pages_count = total;
	memblock_done = true;
	return total;
}

/*
 * Give the pages of a boot reservation to the buddy allocator after boot,
 * as Linux's memblock_free_late() does for firmware tables and the like:
 * whole pages only, each counted into its zone's managed pages and the
 * total.  memblock's own record stays as boot left it (memblock_frozen()).
 * Every page must be one boot reserved and gave a struct page; otherwise
 * nothing is freed and the first offender is reported.
 */
void memblock_free_late(phys_addr_t base, phys_addr_t size)
{
	unsigned long start = PFN_UP(base), end = PFN_DOWN(base + size);

	if (!memblock_done) {
		WARN(1, "memblock_free_late() before memblock_free_all(): use memblock_phys_free()\n");
		return;
	}
	for (unsigned long pfn = start; pfn < end; pfn++) {
		if (!pfn_valid(pfn) || !memblock_is_reserved(PFN_PHYS(pfn)) ||
		    pfn_is_deferred(pfn) || !PageReserved(pfn_to_page(pfn))) {
			pr_err("memblock_free_late: pfn %#lx is not a page of a boot reservation\n",
			       pfn);
			kmm_report_count_inc(KMM_REPORT_BAD_FREE);
			return;
		}
	}
	kmemleak_free_part_phys(base, size);
	for (unsigned long pfn = start; pfn < end;) {
		struct zone *zone = page_zone(pfn_to_page(pfn));
		unsigned long e = min(end, zone_end_pfn(zone));

		__spin_lock(&zone->lock);
		free_range_to_buddy(pfn, e);
		__spin_unlock(&zone->lock);
		atomic_long_add((long)(e - pfn), &zone->managed_pages);
		WRITE_ONCE(totalram_pages_count, totalram_pages_count + (e - pfn));
		if (is_highmem(zone))
			WRITE_ONCE(totalhigh_pages_count, totalhigh_pages_count + (e - pfn));
		pfn = e;
	}
}

/*
 * Zonelists: for each node, its own zones from the highest down, then the
 * other nodes' by distance; the no-fallback list holds only its own.
 */
void build_all_zonelists(void)
{
	for (int nid = 0; nid < nr_online_nodes; nid++) {
		pg_data_t *pgdat = NODE_DATA(nid);
		struct zoneref *zr = pgdat->node_zonelists[ZONELIST_FALLBACK]._zonerefs;
		struct zoneref *own = pgdat->node_zonelists[ZONELIST_NOFALLBACK]._zonerefs;
		bool used[MAX_NUMNODES] = { false };

		for (int n = 0; n < nr_online_nodes; n++) {
			int best = -1;
			for (int c = 0; c < nr_online_nodes; c++)
				if (!used[c] && (best < 0 ||
				    node_distance(nid, c) < node_distance(nid, best) ||
				    (node_distance(nid, c) == node_distance(nid, best) && c == nid)))
					best = c;
			used[best] = true;
			for (int zt = MAX_NR_ZONES - 1; zt >= 0; zt--) {
				struct zone *z = &NODE_DATA(best)->node_zones[zt];
				if (!managed_zone(z))
					continue;
				*zr++ = (struct zoneref){ z, zt };
				if (best == nid)
					*own++ = (struct zoneref){ z, zt };
			}
		}
		*zr = (struct zoneref){ NULL, 0 };
		*own = (struct zoneref){ NULL, 0 };
	}
	unsigned long vm_total = nr_free_pagecache_pages();
	page_group_by_mobility_disabled = vm_total < pageblock_nr_pages * MIGRATE_TYPES;
	pr_info("Built %d zonelists, mobility grouping %s.  Total pages: %lu\n",
		nr_online_nodes, page_group_by_mobility_disabled ? "off" : "on", vm_total);
}
