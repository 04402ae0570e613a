/* SPDX-License-Identifier: MIT */
/*
 * The page allocator's /proc views, byte for byte in Linux 6.x's formats:
 * /proc/buddyinfo, /proc/pagetypeinfo, /proc/zoneinfo, /proc/vmstat, and
 * debugfs extfrag/extfrag_index and extfrag/unusable_index.  Deferred
 * (not yet initialised) memory is shown as the free blocks it will be.
 */
#include <stdio.h>
#include "page_alloc.h"
#include <kmm/vmstat.h>

/* Linux prints every zone its config has: the arch's zones. */
#define for_each_view_zone(pgdat, zone)					\
	for (zone = (pgdat)->node_zones;				\
	     zone < (pgdat)->node_zones + MAX_NR_ZONES; zone++)		\
		if (!kmm_zone_configured((enum zone_type)zone_idx(zone)))	\
			;						\
		else

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

void show_pagetypeinfo(FILE *f)
{
	struct zone *zone;

	fprintf(f, "Page block order: %u\n", pageblock_order);
	fprintf(f, "Pages per block:  %lu\n\n", pageblock_nr_pages);
	fprintf(f, "%-43s ", "Free pages count per migrate type at order");
	for (int o = 0; o < NR_PAGE_ORDERS; o++)
		fprintf(f, "%6d ", o);
	fputc('\n', f);
	for (int nid = 0; nid < nr_online_nodes; nid++) {
		for_each_view_zone(NODE_DATA(nid), zone) {
			if (!populated_zone(zone))
				continue;
			for (int mt = 0; mt < MIGRATE_TYPES; mt++) {
				fprintf(f, "Node %4d, zone %8s, type %12s ", nid, zone->name,
					migratetype_names[mt]);
				__spin_lock(&zone->lock);
				for (unsigned int o = 0; o < NR_PAGE_ORDERS; o++) {
					unsigned long n = 0;
					struct list_head *pos, *head = &zone->free_area[o].free_list[mt];
					bool overflow = false;

					for (pos = head->next; pos != head; pos = pos->next)
						if (++n >= 100000) {
							overflow = true;
							break;
						}
					if (mt == MIGRATE_MOVABLE)
						n += zone->deferred_nr_free[o];
					fprintf(f, "%s%6lu ", overflow ? ">" : "", n);
				}
				__spin_unlock(&zone->lock);
				fputc('\n', f);
			}
		}
	}
	fputc('\n', f);
	fprintf(f, "%-23s", "Number of blocks type ");
	for (int mt = 0; mt < MIGRATE_TYPES; mt++)
		fprintf(f, "%12s ", migratetype_names[mt]);
	fputc('\n', f);
	for (int nid = 0; nid < nr_online_nodes; nid++) {
		for_each_view_zone(NODE_DATA(nid), zone) {
			unsigned long count[MIGRATE_TYPES] = { 0 };

			if (!populated_zone(zone))
				continue;
			unsigned long start = zone->zone_start_pfn, end = zone_end_pfn(zone);
			for (unsigned long pfn = start; pfn < end;
			     pfn += pageblock_nr_pages) {
				/* Deferred pageblocks are Movable, as memmap_init() makes them. */
				if (pfn >= zone->deferred_pfn)
					count[MIGRATE_MOVABLE]++;
				else
					count[get_pfnblock_migratetype(pfn_to_page(pfn), pfn)]++;
			}
			fprintf(f, "Node %d, zone %8s ", nid, zone->name);
			for (int mt = 0; mt < MIGRATE_TYPES; mt++)
				fprintf(f, "%12lu ", count[mt]);
			fputc('\n', f);
		}
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
			fprintf(f, "\n      %-12s %lu", node_stat_names[i],
				node_page_state(pgdat, (enum node_stat_item)i));
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
	for (int i = 0; i < NR_VM_NUMA_EVENT_ITEMS; i++)
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
			cpu, READ_ONCE(pcp->count), READ_ONCE(pcp->high), pcp->batch,
			pcp->high_min, pcp->high_max);
		fprintf(f, "\n  vm stats threshold: %d",
			zone->per_cpu_zonestats[cpu].stat_threshold);
	}
	fprintf(f, "\n  node_unreclaimable:  %u"
		"\n  start_pfn:           %lu",
		pgdat->kswapd_failures >= 16, zone->zone_start_pfn);
	fputc('\n', f);
}

void show_zoneinfo(FILE *f)
{
	struct zone *zone;

	for (int nid = 0; nid < nr_online_nodes; nid++)
		for_each_view_zone(NODE_DATA(nid), zone)
			zoneinfo_show_zone(f, NODE_DATA(nid), zone);
}

void show_vmstat(FILE *f)
{
	unsigned long events[NR_VM_EVENT_ITEMS];

	for (int i = 0; i < NR_VM_ZONE_STAT_ITEMS; i++)
		fprintf(f, "%s %lu\n", zone_stat_names[i], global_zone_page_state((enum zone_stat_item)i));
	for (int i = 0; i < NR_VM_NUMA_EVENT_ITEMS; i++) {
		unsigned long sum = 0;
		struct zone *zone;
		for_each_zone(zone)
			if (zone->spanned_pages)
				sum += zone_numa_event_state(zone, (enum numa_stat_item)i);
		fprintf(f, "%s %lu\n", numa_stat_names[i], sum);
	}
	for (int i = 0; i < NR_VM_NODE_STAT_ITEMS; i++)
		fprintf(f, "%s %lu\n", node_stat_names[i], global_node_page_state((enum node_stat_item)i));
	all_vm_events(events);
	for (int i = 0; i < NR_VM_EVENT_ITEMS; i++) {
		/* Zone-indexed events exist only for the zones the arch has. */
		if (i < PGFREE) {
			int zt = (i - PGALLOC_DMA) % MAX_NR_ZONES;
			if (!kmm_zone_configured((enum zone_type)zt) || zt == ZONE_DEVICE)
				continue;
		}
		fprintf(f, "%s %lu\n", vm_event_names[i], events[i]);
	}
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
	if (!free_pages)
		return 0;
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
				fprintf(f, "%s%d.%03d ", index < 0 ? "-" : "",
					(index < 0 ? -index : index) / 1000,
					(index < 0 ? -index : index) % 1000);
			}
			fputc('\n', f);
		}
	}
}

void show_unusable_index(FILE *f)
{
	struct zone *zone;

	for (int nid = 0; nid < nr_online_nodes; nid++) {
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
