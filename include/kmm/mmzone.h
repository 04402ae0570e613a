/* SPDX-License-Identifier: MIT */
/*
 * Nodes, zones and the buddy allocator's free areas.
 *
 * Each node (pg_data_t) has its zones; each zone has free_area[order] with
 * one free list per migrate type, a lock, its watermarks and
 * lowmem_reserve[], and a per-CPU page list per CPU.  Which zones exist
 * depends on the arch the machine boots as:
 *
 *   x86_32: DMA (< 16 MiB)  Normal (16-896 MiB)  HighMem (the rest)
 *   x86_64: DMA (< 16 MiB)  DMA32 (< 4 GiB)      Normal (the rest)
 */
#ifndef KMM_MMZONE_H
#define KMM_MMZONE_H

#pragma GCC visibility push(default)

#include <kmm/types.h>
#include <kmm/list.h>
#include <kmm/spinlock_types.h>
#include <kmm/mm_types.h>
#include <kmm/vmstat_items.h>

#define PAGE_SHIFT	12
#define PAGE_SIZE	(1UL << PAGE_SHIFT)
#define PAGE_MASK	(~(PAGE_SIZE - 1))

#define MAX_PAGE_ORDER		10
#define NR_PAGE_ORDERS		(MAX_PAGE_ORDER + 1)
/* The seeds' MAX_ORDER counts orders, as Linux did before 6.4. */
#define MAX_ORDER		NR_PAGE_ORDERS
#define MAX_ORDER_NR_PAGES	(1UL << MAX_PAGE_ORDER)
#define PAGE_ALLOC_COSTLY_ORDER	3

#define MAX_NUMNODES	64
#define NR_CPUS		256

enum migratetype {
	MIGRATE_UNMOVABLE,
	MIGRATE_MOVABLE,
	MIGRATE_RECLAIMABLE,
	MIGRATE_PCPTYPES,
	MIGRATE_HIGHATOMIC = MIGRATE_PCPTYPES,
	MIGRATE_ISOLATE,
	MIGRATE_TYPES
};

extern const char *const migratetype_names[MIGRATE_TYPES];

struct free_area {
	struct list_head free_list[MIGRATE_TYPES];
	unsigned long nr_free;
};

enum zone_type {
	ZONE_DMA,
	ZONE_DMA32,
	ZONE_NORMAL,
	ZONE_HIGHMEM,
	ZONE_MOVABLE,
	ZONE_DEVICE,
	__MAX_NR_ZONES
};
#define MAX_NR_ZONES __MAX_NR_ZONES

enum zone_watermarks {
	WMARK_MIN,
	WMARK_LOW,
	WMARK_HIGH,
	WMARK_PROMO,
	NR_WMARK
};

#define KMM_ENUM_ITEM(e, name) e,
enum zone_stat_item { KMM_ZONE_STAT_ITEMS(KMM_ENUM_ITEM) NR_VM_ZONE_STAT_ITEMS };
enum numa_stat_item { KMM_NUMA_STAT_ITEMS(KMM_ENUM_ITEM) NR_VM_NUMA_EVENT_ITEMS };
enum node_stat_item { KMM_NODE_STAT_ITEMS(KMM_ENUM_ITEM) NR_VM_NODE_STAT_ITEMS };
enum vm_event_item { KMM_VM_EVENT_ITEMS(KMM_ENUM_ITEM) NR_VM_EVENT_ITEMS };
#undef KMM_ENUM_ITEM

/* One list per migrate type for each order 0..PAGE_ALLOC_COSTLY_ORDER. */
#define NR_PCP_LISTS (MIGRATE_PCPTYPES * (PAGE_ALLOC_COSTLY_ORDER + 1))

struct per_cpu_pages {
	int count;		/* pages on the lists */
	int high;		/* drain back to the zone above this */
	int high_min;
	int high_max;
	int batch;		/* pages moved to or from the zone at a time */
	int free_count;		/* frees since the last allocation */
	u8 flags;		/* PCPF_* */
	u8 alloc_factor;	/* refills grow 2^alloc_factor batches */
	struct list_head lists[NR_PCP_LISTS];
	/*
	 * Order-0 pages the fast paths gave out and took back, counted here,
	 * in the lines those paths write anyway, instead of in the CPU's
	 * vm_events[] and the zone's NUMA events: vmstat.c adds them in when
	 * it sums pgalloc_<zone>, numa_hit and numa_local, and pgfree.
	 */
	unsigned long fast_allocs;
	unsigned long fast_frees;
} ____cacheline_pair_aligned;	/* one per CPU, side by side */

#define PCPF_PREV_FREE_HIGH_ORDER	0x01	/* the last free was of a high order */
#define PCPF_FREE_HIGH_BATCH		0x02	/* the CPU's cache holds > 3 batches */
#define PCP_BATCH_SCALE_MAX		5

struct per_cpu_zonestat {
	s8 vm_stat_diff[NR_VM_ZONE_STAT_ITEMS];
	s8 stat_threshold;
	unsigned long vm_numa_event[NR_VM_NUMA_EVENT_ITEMS];
} ____cacheline_pair_aligned;	/* one per CPU, side by side */

struct per_cpu_nodestat {
	s8 stat_threshold;
	s8 vm_node_stat_diff[NR_VM_NODE_STAT_ITEMS];
} ____cacheline_pair_aligned;	/* one per CPU, side by side */

struct pglist_data;

struct zone {
	/* Read-mostly: the allocator's fast path reads these. */
	unsigned long _watermark[NR_WMARK];
	unsigned long watermark_boost;
	unsigned long nr_reserved_highatomic;
	long lowmem_reserve[MAX_NR_ZONES];
	int node;
	struct pglist_data *zone_pgdat;
	struct per_cpu_pages *per_cpu_pageset;		/* [nr_cpu_ids] */
	struct per_cpu_zonestat *per_cpu_zonestats;	/* [nr_cpu_ids] */
	int pageset_high_min;
	int pageset_high_max;
	int pageset_batch;
	unsigned long zone_start_pfn;
	atomic_long_t managed_pages;
	unsigned long spanned_pages;
	unsigned long present_pages;
	const char *name;

	/*
	 * Deferred struct page init (kmm): pages from deferred_pfn to the
	 * zone's end have no initialised struct page yet.  Their free blocks
	 * are counted in deferred_nr_free[] and in NR_FREE_PAGES, and join the
	 * free lists a section at a time when the lists run short.
	 */
	unsigned long deferred_pfn;
	unsigned long deferred_nr_free[NR_PAGE_ORDERS];
	unsigned long deferred_free_pages;

	/* Written under the lock. */
	spinlock_t lock ____cacheline_aligned;
	struct free_area free_area[NR_PAGE_ORDERS];
	atomic_long_t nr_free_highatomic;
	unsigned long flags;

	atomic_long_t vm_stat[NR_VM_ZONE_STAT_ITEMS] ____cacheline_aligned;
	atomic_long_t vm_numa_event[NR_VM_NUMA_EVENT_ITEMS];
} ____cacheline_aligned;

enum zone_flags {
	ZONE_BOOSTED_WATERMARK,
	ZONE_RECLAIM_ACTIVE,
	ZONE_BELOW_HIGH,
};

struct zoneref {
	struct zone *zone;
	int zone_idx;
};

#define MAX_ZONES_PER_ZONELIST (MAX_NUMNODES * MAX_NR_ZONES)

struct zonelist {
	struct zoneref _zonerefs[MAX_ZONES_PER_ZONELIST + 1];
};

enum {
	ZONELIST_FALLBACK,	/* this node's zones, then other nodes' */
	ZONELIST_NOFALLBACK,	/* this node only: __GFP_THISNODE */
	MAX_ZONELISTS
};

struct kmm_kswapd;

typedef struct pglist_data {
	struct zone node_zones[MAX_NR_ZONES];
	struct zonelist node_zonelists[MAX_ZONELISTS];
	int nr_zones;			/* highest populated zone + 1 */
	unsigned long node_start_pfn;
	unsigned long node_present_pages;
	unsigned long node_spanned_pages;
	int node_id;
	unsigned long totalreserve_pages;

	/* kswapd: one real thread per node. */
	struct kmm_kswapd *kswapd;
	int kswapd_order;
	enum zone_type kswapd_highest_zoneidx;
	int kswapd_failures;

	struct per_cpu_nodestat *per_cpu_nodestats;	/* [nr_cpu_ids] */
	atomic_long_t vm_stat[NR_VM_NODE_STAT_ITEMS];
} pg_data_t;

extern pg_data_t *node_data[MAX_NUMNODES];
#define NODE_DATA(nid)	(node_data[nid])

extern int nr_online_nodes;
extern int node_distance_table[MAX_NUMNODES][MAX_NUMNODES];
#define node_distance(a, b) (node_distance_table[a][b])
#define for_each_online_node(nid) for ((nid) = 0; (nid) < nr_online_nodes; (nid)++)

/* The pageblock: the unit of mobility grouping. */
extern unsigned int pageblock_order;
#define pageblock_nr_pages (1UL << pageblock_order)
extern int page_group_by_mobility_disabled;

static inline unsigned long zone_managed_pages(const struct zone *zone)
{
	return (unsigned long)atomic_long_read(&zone->managed_pages);
}

static inline unsigned long zone_end_pfn(const struct zone *zone)
{
	return zone->zone_start_pfn + zone->spanned_pages;
}

static inline bool zone_spans_pfn(const struct zone *zone, unsigned long pfn)
{
	return zone->zone_start_pfn <= pfn && pfn < zone_end_pfn(zone);
}

static inline bool populated_zone(const struct zone *zone)
{
	return zone->present_pages != 0;
}

static inline bool managed_zone(const struct zone *zone)
{
	return zone_managed_pages(zone) != 0;
}

static inline int zone_idx(const struct zone *zone)
{
	return (int)(zone - zone->zone_pgdat->node_zones);
}

static inline int zone_to_nid(const struct zone *zone)
{
	return zone->node;
}

static inline bool is_highmem_idx(enum zone_type idx)
{
	return idx == ZONE_HIGHMEM;
}

static inline bool is_highmem(const struct zone *zone)
{
	return is_highmem_idx((enum zone_type)zone_idx(zone));
}

static inline unsigned long wmark_pages(const struct zone *z, enum zone_watermarks w)
{
	return z->_watermark[w] + z->watermark_boost;
}
#define min_wmark_pages(z)	wmark_pages(z, WMARK_MIN)
#define low_wmark_pages(z)	wmark_pages(z, WMARK_LOW)
#define high_wmark_pages(z)	wmark_pages(z, WMARK_HIGH)
#define promo_wmark_pages(z)	wmark_pages(z, WMARK_PROMO)

/* Iterate the zones of a zonelist up to @highidx. */
static inline struct zoneref *next_zones_zonelist(struct zoneref *z, int highidx)
{
	while (z->zone && z->zone_idx > highidx)
		z++;
	return z;
}

#define for_each_zone_zonelist(zone, z, zlist, highidx)			\
	for (z = next_zones_zonelist((zlist)->_zonerefs, highidx),	\
	     zone = z->zone;						\
	     zone;							\
	     z = next_zones_zonelist(z + 1, highidx), zone = z->zone)

/* Every zone of every online node, populated or not. */
#define for_each_zone(zone)						\
	for (int __nid = 0; __nid < nr_online_nodes; __nid++)		\
		for (zone = NODE_DATA(__nid)->node_zones;		\
		     zone < NODE_DATA(__nid)->node_zones + MAX_NR_ZONES;	\
		     zone++)

#define for_each_populated_zone(zone)					\
	for_each_zone(zone)						\
		if (!populated_zone(zone))				\
			; /* skip */					\
		else

bool zone_watermark_ok(struct zone *z, unsigned int order, unsigned long mark,
		       int highest_zoneidx, unsigned int alloc_flags);
bool zone_watermark_ok_safe(struct zone *z, unsigned int order,
			    unsigned long mark, int highest_zoneidx);

extern unsigned long totalram_pages_count;
extern unsigned long totalhigh_pages_count;
static inline unsigned long totalram_pages(void) { return READ_ONCE(totalram_pages_count); }
static inline unsigned long totalhigh_pages(void) { return READ_ONCE(totalhigh_pages_count); }

#pragma GCC visibility pop

#endif /* KMM_MMZONE_H */
