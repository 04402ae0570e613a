/* SPDX-License-Identifier: MIT */
/*
 * The page allocator's /proc views, byte for byte in Linux 6.18's formats:
 * /proc/buddyinfo, /proc/pagetypeinfo, /proc/zoneinfo, /proc/vmstat, and
 * debugfs extfrag/extfrag_index and extfrag/unusable_index.  Deferred
 * (not yet initialised) memory is shown as the free blocks it will be.
 *
 * Where Linux's output depends on its config, these views print what a
 * kernel for the running arch prints (see <kmm/vmstat_items.h>): 6.18 has
 * NUMA on x86_64 only, so a one-node x86_32 machine shows no numa_* lines.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include "page_alloc.h"
#include <kmm/vmstat.h>

/* Linux prints every zone its config has: the arch's zones. */
#define for_each_view_zone(pgdat, zone)					\
	for (zone = (pgdat)->node_zones;				\
	     zone < (pgdat)->node_zones + MAX_NR_ZONES; zone++)		\
		if (!kmm_zone_configured((enum zone_type)zone_idx(zone)))	\
			;						\
		else

/* CONFIG_NUMA: x86_64, or an x86_32 machine booted with several nodes. */
static bool view_numa(void)
{
	return kmm_cfg.arch != KMM_ARCH_X86_32 || nr_online_nodes > 1;
}

/* HPAGE_PMD_NR: 2 MiB pages on x86_64, 4 MiB on two-level x86_32. */
static unsigned long view_hpage_pmd_nr(void)
{
	return kmm_cfg.arch == KMM_ARCH_X86_32 ? 1024 : 512;
}

/* Linux's vmstat_item_print_in_thp(): these count pages, shown in THPs. */
static bool node_item_in_thp(enum node_stat_item item)
{
	return item == NR_ANON_THPS || item == NR_FILE_THPS || item == NR_SHMEM_THPS ||
	       item == NR_SHMEM_PMDMAPPED || item == NR_FILE_PMDMAPPED;
}

/* pgpromote_* exist with CONFIG_NUMA_BALANCING, which needs NUMA. */
static bool node_item_shown(enum node_stat_item item)
{
	if (item == PGPROMOTE_SUCCESS || item == PGPROMOTE_CANDIDATE ||
	    item == PGPROMOTE_CANDIDATE_NRL)
		return view_numa();
	return true;
}

static unsigned long node_item_value(pg_data_t *pgdat, enum node_stat_item item)
{
	unsigned long v = pgdat ? node_page_state(pgdat, item) : global_node_page_state(item);

	return node_item_in_thp(item) ? v / view_hpage_pmd_nr() : v;
}

/* The zone-indexed events are three blocks of MAX_NR_ZONES. */
_Static_assert(ALLOCSTALL_DMA - PGALLOC_DMA == MAX_NR_ZONES &&
	       PGSCAN_SKIP_DMA - ALLOCSTALL_DMA == MAX_NR_ZONES &&
	       PGFREE - PGSCAN_SKIP_DMA == MAX_NR_ZONES,
	       "zone-indexed vm events must come in blocks of MAX_NR_ZONES");

static bool vm_event_shown(enum vm_event_item item)
{
	if (item >= PGALLOC_DMA && item < PGFREE)
		return kmm_zone_configured((enum zone_type)((item - PGALLOC_DMA) % MAX_NR_ZONES));
	switch (item) {
	case PGSCAN_ZONE_RECLAIM_SUCCESS:
	case PGSCAN_ZONE_RECLAIM_FAILED:
	case NUMA_PTE_UPDATES:
	case NUMA_HUGE_PTE_UPDATES:
	case NUMA_HINT_FAULTS:
	case NUMA_HINT_FAULTS_LOCAL:
	case NUMA_PAGE_MIGRATE:
		return view_numa();
	case THP_SPLIT_PUD:
		/* HAVE_ARCH_TRANSPARENT_HUGEPAGE_PUD: x86_64 only. */
		return kmm_cfg.arch != KMM_ARCH_X86_32;
	default:
		/* kmm's own events have no /proc/vmstat line in Linux. */
		return strncmp(vm_event_names[item], "kmm_", 4) != 0;
	}
}

/* N_MEMORY: a node with a populated zone. */
static bool node_has_memory(pg_data_t *pgdat)
{
	for (int i = 0; i < MAX_NR_ZONES; i++)
		if (populated_zone(&pgdat->node_zones[i]))
			return true;
	return false;
}

void show_buddyinfo(FILE *f)
{
	struct zone *zone;

	for (int nid = 0; nid < nr_online_nodes; nid++) {
		for_each_view_zone(NODE_DATA(nid), zone) {
			if (!populated_zone(zone))
				continue;
			__spin_lock(&zone->lock);
			fprintf(f, "Node %d, zone %8s ", nid, zone->name);
			for (unsigned int o = 0; o < NR_PAGE_ORDERS; o++)
				fprintf(f, "%6lu ", kmm_zone_nr_free(zone, o));
			fputc('\n', f);
			__spin_unlock(&zone->lock);
		}
	}
}

static void pagetypeinfo_showfree(FILE *f, pg_data_t *pgdat)
{
	struct zone *zone;

	fprintf(f, "%-43s ", "Free pages count per migrate type at order");
	for (int o = 0; o < NR_PAGE_ORDERS; o++)
		fprintf(f, "%6d ", o);
	fputc('\n', f);
	for_each_view_zone(pgdat, zone) {
		if (!populated_zone(zone))
			continue;
		for (int mt = 0; mt < MIGRATE_TYPES; mt++) {
			fprintf(f, "Node %4d, zone %8s, type %12s ", pgdat->node_id,
				zone->name, migratetype_names[mt]);
			__spin_lock(&zone->lock);
			for (unsigned int o = 0; o < NR_PAGE_ORDERS; o++) {
				unsigned long n = 0;
				struct list_head *pos, *head = &zone->free_area[o].free_list[mt];
				bool overflow = false;

				/* Linux stops counting at 100000 and prints ">100000". */
				for (pos = head->next; pos != head; pos = pos->next)
					if (++n >= 100000) {
						overflow = true;
						break;
					}
				if (mt == MIGRATE_MOVABLE && !overflow) {
					n += zone->deferred_nr_free[o];
					if (n >= 100000) {
						n = 100000;
						overflow = true;
					}
				}
				fprintf(f, "%s%6lu ", overflow ? ">" : "", n);
			}
			__spin_unlock(&zone->lock);
			fputc('\n', f);
		}
	}
}

static void pagetypeinfo_showblockcount(FILE *f, pg_data_t *pgdat)
{
	struct zone *zone;

	fprintf(f, "\n%-23s", "Number of blocks type ");
	for (int mt = 0; mt < MIGRATE_TYPES; mt++)
		fprintf(f, "%12s ", migratetype_names[mt]);
	fputc('\n', f);
	for_each_view_zone(pgdat, zone) {
		unsigned long count[MIGRATE_TYPES] = { 0 };

		if (!populated_zone(zone))
			continue;
		unsigned long start = zone->zone_start_pfn, end = zone_end_pfn(zone);
		for (unsigned long pfn = start; pfn < end; pfn += pageblock_nr_pages) {
			/* Deferred pageblocks are Movable, as memmap_init() makes them. */
			if (pfn >= zone->deferred_pfn)
				count[MIGRATE_MOVABLE]++;
			else
				count[get_pfnblock_migratetype(pfn_to_page(pfn), pfn)]++;
		}
		fprintf(f, "Node %d, zone %8s ", pgdat->node_id, zone->name);
		for (int mt = 0; mt < MIGRATE_TYPES; mt++)
			fprintf(f, "%12lu ", count[mt]);
		fputc('\n', f);
	}
}

/*
 * Linux prints the whole file once per node with memory, headers included;
 * there is no page_owner, so no "Number of mixed blocks" section.
 */
void show_pagetypeinfo(FILE *f)
{
	for (int nid = 0; nid < nr_online_nodes; nid++) {
		pg_data_t *pgdat = NODE_DATA(nid);

		if (!node_has_memory(pgdat))
			continue;
		fprintf(f, "Page block order: %u\n", pageblock_order);
		fprintf(f, "Pages per block:  %lu\n", pageblock_nr_pages);
		fputc('\n', f);
		pagetypeinfo_showfree(f, pgdat);
		pagetypeinfo_showblockcount(f, pgdat);
	}
}

static bool is_zone_first_populated(pg_data_t *pgdat, struct zone *zone)
{
	for (int i = 0; i < MAX_NR_ZONES; i++)
		if (populated_zone(&pgdat->node_zones[i]))
			return zone == &pgdat->node_zones[i];
	return false;
}

static void zoneinfo_show_zone(FILE *f, pg_data_t *pgdat, struct zone *zone)
{
	bool first = true;

	fprintf(f, "Node %d, zone %8s", pgdat->node_id, zone->name);
	if (is_zone_first_populated(pgdat, zone)) {
		fprintf(f, "\n  per-node stats");
		for (int i = 0; i < NR_VM_NODE_STAT_ITEMS; i++)
			if (node_item_shown((enum node_stat_item)i))
				fprintf(f, "\n      %-12s %lu", node_stat_names[i],
					node_item_value(pgdat, (enum node_stat_item)i));
	}
	fprintf(f, "\n  pages free     %lu"
		"\n        boost    %lu"
		"\n        min      %lu"
		"\n        low      %lu"
		"\n        high     %lu"
		"\n        promo    %lu"
		"\n        spanned  %lu"
		"\n        present  %lu"
		"\n        managed  %lu"
		"\n        cma      %lu",
		zone_page_state(zone, NR_FREE_PAGES), zone->watermark_boost,
		min_wmark_pages(zone), low_wmark_pages(zone), high_wmark_pages(zone),
		promo_wmark_pages(zone), zone->spanned_pages, zone->present_pages,
		zone_managed_pages(zone), 0UL);
	/* One entry per zone the config has, Device included on x86_64. */
	fprintf(f, "\n        protection: (");
	for (int i = 0; i < MAX_NR_ZONES; i++) {
		if (!kmm_zone_configured((enum zone_type)i))
			continue;
		fprintf(f, "%s%ld", first ? "" : ", ", zone->lowmem_reserve[i]);
		first = false;
	}
	fputc(')', f);
	if (!populated_zone(zone)) {
		fputc('\n', f);
		return;
	}
	for (int i = 0; i < NR_VM_ZONE_STAT_ITEMS; i++)
		fprintf(f, "\n      %-12s %lu", zone_stat_names[i],
			zone_page_state(zone, (enum zone_stat_item)i));
	for (int i = 0; view_numa() && i < NR_VM_NUMA_EVENT_ITEMS; i++)
		fprintf(f, "\n      %-12s %lu", numa_stat_names[i],
			zone_numa_event_state(zone, (enum numa_stat_item)i));
	fprintf(f, "\n  pagesets");
	for (unsigned int cpu = 0; cpu < nr_cpu_ids; cpu++) {
		struct per_cpu_pages *pcp = &zone->per_cpu_pageset[cpu];

		fprintf(f, "\n    cpu: %u"
			"\n              count:    %d"
			"\n              high:     %d"
			"\n              batch:    %d"
			"\n              high_min: %d"
			"\n              high_max: %d",
			cpu, data_race(READ_ONCE(pcp->count)), data_race(READ_ONCE(pcp->high)), pcp->batch,
			pcp->high_min, pcp->high_max);
		fprintf(f, "\n  vm stats threshold: %d",
			zone->per_cpu_zonestats[cpu].stat_threshold);
	}
	fprintf(f, "\n  node_unreclaimable:  %u"
		"\n  start_pfn:           %lu",
		READ_ONCE(pgdat->kswapd_failures) >= 16, zone->zone_start_pfn);
	fputc('\n', f);
}

void show_zoneinfo(FILE *f)
{
	struct zone *zone;

	for (int nid = 0; nid < nr_online_nodes; nid++)
		for_each_view_zone(NODE_DATA(nid), zone)
			zoneinfo_show_zone(f, NODE_DATA(nid), zone);
}

#define VM_STAT_ENUM(e, name) e,
#define VM_STAT_NAME(e, name) name,
enum vm_stat_item { KMM_VM_STAT_ITEMS(VM_STAT_ENUM) NR_VM_STAT_ITEMS };
static const char *const vm_stat_names[NR_VM_STAT_ITEMS] = { KMM_VM_STAT_ITEMS(VM_STAT_NAME) };
#undef VM_STAT_ENUM
#undef VM_STAT_NAME

/* Linux's highmem_dirtyable_memory(): free highmem above high, and its file pages. */
static unsigned long highmem_dirtyable_memory(unsigned long total)
{
	unsigned long x = 0;
	struct zone *zone;

	for_each_populated_zone(zone) {
		unsigned long nr;

		if (!is_highmem(zone))
			continue;
		nr = zone_page_state(zone, NR_FREE_PAGES);
		nr -= min(nr, high_wmark_pages(zone));
		nr += zone_page_state(zone, NR_ZONE_INACTIVE_FILE);
		nr += zone_page_state(zone, NR_ZONE_ACTIVE_FILE);
		x += nr;
	}
	return min(x, total);
}

/*
 * Linux's global_dirty_limits() with the default sysctls: vm.dirty_ratio 20,
 * vm.dirty_background_ratio 10 (scaled to per-PAGE_SIZE as Linux does),
 * no dirty_bytes, vm.highmem_is_dirtyable 0, read by a normal task.
 */
static void global_dirty_limits(unsigned long *bg_thresh, unsigned long *thresh)
{
	unsigned long avail = global_zone_page_state(NR_FREE_PAGES);
	unsigned long ratio = 20 * PAGE_SIZE / 100, bg_ratio = 10 * PAGE_SIZE / 100;

	avail -= min(avail, totalreserve_pages);
	avail += global_node_page_state(NR_INACTIVE_FILE);
	avail += global_node_page_state(NR_ACTIVE_FILE);
	avail -= highmem_dirtyable_memory(avail);
	avail += 1;
	*thresh = ratio * avail / PAGE_SIZE;
	*bg_thresh = bg_ratio * avail / PAGE_SIZE;
	if (*thresh > UINT_MAX)
		*thresh = UINT_MAX;
	if (*bg_thresh >= *thresh)
		*bg_thresh = *thresh / 2;
}

/*
 * /proc/vmstat: "name value" for the zone, NUMA, node and system-wide items
 * and the events, then the deprecated "nr_unstable 0" Linux keeps appending.
 */
void show_vmstat(FILE *f)
{
	unsigned long events[NR_VM_EVENT_ITEMS];
	unsigned long stat[NR_VM_STAT_ITEMS];

	for (int i = 0; i < NR_VM_ZONE_STAT_ITEMS; i++)
		fprintf(f, "%s %lu\n", zone_stat_names[i], global_zone_page_state((enum zone_stat_item)i));
	for (int i = 0; view_numa() && i < NR_VM_NUMA_EVENT_ITEMS; i++) {
		unsigned long sum = 0;
		struct zone *zone;

		for_each_zone(zone)
			sum += zone_numa_event_state(zone, (enum numa_stat_item)i);
		fprintf(f, "%s %lu\n", numa_stat_names[i], sum);
	}
	for (int i = 0; i < NR_VM_NODE_STAT_ITEMS; i++)
		if (node_item_shown((enum node_stat_item)i))
			fprintf(f, "%s %lu\n", node_stat_names[i],
				node_item_value(NULL, (enum node_stat_item)i));

	global_dirty_limits(&stat[NR_DIRTY_BG_THRESHOLD], &stat[NR_DIRTY_THRESHOLD]);
	/* mem_map came from memblock at boot; nothing is hot-added later. */
	stat[NR_MEMMAP_PAGES] = 0;
	stat[NR_MEMMAP_BOOT_PAGES] = PAGE_ALIGN(max_pfn * sizeof(struct page)) >> PAGE_SHIFT;
	for (int i = 0; i < NR_VM_STAT_ITEMS; i++)
		fprintf(f, "%s %lu\n", vm_stat_names[i], stat[i]);

	all_vm_events(events);
	events[PGPGIN] /= 2;	/* sectors -> kB */
	events[PGPGOUT] /= 2;
	for (int i = 0; i < NR_VM_EVENT_ITEMS; i++)
		if (vm_event_shown((enum vm_event_item)i))
			fprintf(f, "%s %lu\n", vm_event_names[i], events[i]);
	fputs("nr_unstable 0\n", f);
}

/*
 * Linux's fill_contig_page_info(): free pages, free blocks, and the free
 * blocks large enough for @suitable_order.
 */
void fill_contig_page_info(struct zone *zone, unsigned int suitable_order,
			   unsigned long *free_pages, unsigned long *free_blocks_total,
			   unsigned long *free_blocks_suitable)
{
	*free_pages = *free_blocks_total = *free_blocks_suitable = 0;
	for (unsigned int o = 0; o < NR_PAGE_ORDERS; o++) {
		unsigned long blocks = kmm_zone_nr_free(zone, o);

		*free_blocks_total += blocks;
		if (o >= suitable_order)
			*free_blocks_suitable += blocks << (o - suitable_order);
		*free_pages += blocks << o;
	}
}

/* -1000 when a block of @order is free; else 0..1000, 1000 the most fragmented. */
static int __fragmentation_index(unsigned int order, unsigned long free_pages,
				 unsigned long blocks_total, unsigned long blocks_suitable)
{
	unsigned long requested = 1UL << order;

	if (!blocks_total)
		return 0;
	if (blocks_suitable)
		return -1000;
	return (int)(1000 - ((1000 + (free_pages * 1000 / requested)) / blocks_total));
}

int fragmentation_index(struct zone *zone, unsigned int order)
{
	unsigned long fp, bt, bs;

	fill_contig_page_info(zone, order, &fp, &bt, &bs);
	return __fragmentation_index(order, fp, bt, bs);
}

static int unusable_free_index(unsigned int order, unsigned long free_pages,
			       unsigned long blocks_suitable)
{
	/* No free memory counts as all free memory being unusable. */
	if (!free_pages)
		return 1000;
	return (int)((free_pages - (blocks_suitable << order)) * 1000 / free_pages);
}

void show_extfrag_index(FILE *f)
{
	struct zone *zone;

	for (int nid = 0; nid < nr_online_nodes; nid++) {
		for_each_view_zone(NODE_DATA(nid), zone) {
			if (!populated_zone(zone))
				continue;
			fprintf(f, "Node %d, zone %8s ", nid, zone->name);
			for (unsigned int o = 0; o < NR_PAGE_ORDERS; o++) {
				int index = fragmentation_index(zone, o);

				/* C division: -1000 prints "-1.000", 0 prints " 0.000". */
				fprintf(f, "%2d.%03d ", index / 1000, index % 1000);
			}
			fputc('\n', f);
		}
	}
}

void show_unusable_index(FILE *f)
{
	struct zone *zone;

	for (int nid = 0; nid < nr_online_nodes; nid++) {
		if (!node_has_memory(NODE_DATA(nid)))
			continue;
		for_each_view_zone(NODE_DATA(nid), zone) {
			if (!populated_zone(zone))
				continue;
			fprintf(f, "Node %d, zone %8s ", nid, zone->name);
			for (unsigned int o = 0; o < NR_PAGE_ORDERS; o++) {
				unsigned long fp, bt, bs;
				fill_contig_page_info(zone, o, &fp, &bt, &bs);
				int index = unusable_free_index(o, fp, bs);
				fprintf(f, "%d.%03d ", index / 1000, index % 1000);
			}
			fputc('\n', f);
		}
	}
}
