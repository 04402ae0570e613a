/* SPDX-License-Identifier: MIT */
/*
 * vm statistics, as Linux's vmstat: each zone and node counter is a global
 * atomic plus a small signed difference per CPU, folded into the global
 * once it passes the CPU's threshold, so the common update touches only
 * CPU-local memory.  Events are plain per-CPU counters, summed on reading.
 * The sums read other CPUs' counters without owning those CPUs, as Linux's
 * do: each word is read whole (data_race(): ThreadSanitizer is told so).
 * The names come from the lists in <kmm/vmstat_items.h>.
 */
#include "internal.h"
#include <kmm/vmstat.h>

#define KMM_NAME_ITEM(e, name) name,
const char *const zone_stat_names[NR_VM_ZONE_STAT_ITEMS] = { KMM_ZONE_STAT_ITEMS(KMM_NAME_ITEM) };
const char *const numa_stat_names[NR_VM_NUMA_EVENT_ITEMS] = { KMM_NUMA_STAT_ITEMS(KMM_NAME_ITEM) };
const char *const node_stat_names[NR_VM_NODE_STAT_ITEMS] = { KMM_NODE_STAT_ITEMS(KMM_NAME_ITEM) };
const char *const vm_event_names[NR_VM_EVENT_ITEMS] = { KMM_VM_EVENT_ITEMS(KMM_NAME_ITEM) };
#undef KMM_NAME_ITEM

atomic_long_t vm_zone_stat[NR_VM_ZONE_STAT_ITEMS];
atomic_long_t vm_node_stat[NR_VM_NODE_STAT_ITEMS];

/* Linux's calculate_normal_threshold(): grows with CPUs and zone size. */
static int calculate_normal_threshold(struct zone *zone)
{
	unsigned long mem = zone_managed_pages(zone) >> (27 - PAGE_SHIFT);
	int cpus = 32 - __builtin_clz(nr_cpu_ids);
	int fls_mem = mem ? 64 - __builtin_clzl(mem) : 0;
	int threshold = 2 * cpus * (1 + fls_mem);

	return min(threshold, 125);
}

void refresh_zone_stat_thresholds(void)
{
	struct zone *zone;

	for (int nid = 0; nid < nr_online_nodes; nid++)
		for (unsigned int cpu = 0; cpu < nr_cpu_ids; cpu++)
			NODE_DATA(nid)->per_cpu_nodestats[cpu].stat_threshold = 0;
	for_each_populated_zone(zone) {
		int threshold = calculate_normal_threshold(zone);
		struct pglist_data *pgdat = zone->zone_pgdat;

		for (unsigned int cpu = 0; cpu < nr_cpu_ids; cpu++) {
			zone->per_cpu_zonestats[cpu].stat_threshold = (s8)threshold;
			s8 *nt = &pgdat->per_cpu_nodestats[cpu].stat_threshold;
			*nt = (s8)max((int)*nt, threshold);
		}
	}
}

void vmstat_init(void)
{
	for (int i = 0; i < NR_VM_ZONE_STAT_ITEMS; i++)
		atomic_long_set(&vm_zone_stat[i], 0);
	for (int i = 0; i < NR_VM_NODE_STAT_ITEMS; i++)
		atomic_long_set(&vm_node_stat[i], 0);
}

void mod_zone_page_state(struct zone *zone, enum zone_stat_item item, long delta)
{
	__preempt_disable();
	struct per_cpu_zonestat *pcz = &zone->per_cpu_zonestats[current->cpu];
	long x = pcz->vm_stat_diff[item] + delta;
	long t = pcz->stat_threshold;

	if (unlikely(x > t || x < -t)) {
		atomic_long_add(x, &zone->vm_stat[item]);
		atomic_long_add(x, &vm_zone_stat[item]);
		x = 0;
	}
	pcz->vm_stat_diff[item] = (s8)x;
	__preempt_enable();
}

void mod_node_page_state(pg_data_t *pgdat, enum node_stat_item item, long delta)
{
	__preempt_disable();
	__mod_node_page_state(pgdat, item, delta);
	__preempt_enable();
}

static bool zone_counter_is_locked(enum zone_stat_item item)
{
	return item == NR_FREE_PAGES || item == NR_FREE_PAGES_BLOCKS;
}

static unsigned long clamp_nonneg(long x)
{
	return x < 0 ? 0 : (unsigned long)x;
}

unsigned long zone_page_state_snapshot(const struct zone *zone, enum zone_stat_item item)
{
	long x = atomic_long_read(&zone->vm_stat[item]);

	for (unsigned int cpu = 0; cpu < nr_cpu_ids; cpu++)
		x += data_race(READ_ONCE(zone->per_cpu_zonestats[cpu].vm_stat_diff[item]));
	return clamp_nonneg(x);
}

unsigned long node_page_state(const pg_data_t *pgdat, enum node_stat_item item)
{
	return clamp_nonneg(atomic_long_read(&pgdat->vm_stat[item]));
}

unsigned long global_zone_page_state(enum zone_stat_item item)
{
	if (zone_counter_is_locked(item)) {
		long sum = 0;
		struct zone *zone;

		for_each_zone(zone)
			sum += atomic_long_read(&zone->vm_stat[item]);
		return clamp_nonneg(sum);
	}
	return clamp_nonneg(atomic_long_read(&vm_zone_stat[item]));
}

unsigned long global_node_page_state(enum node_stat_item item)
{
	return clamp_nonneg(atomic_long_read(&vm_node_stat[item]));
}

/* What the order-0 fast paths counted in @zone's per-CPU lists (see mmzone.h). */
static unsigned long zone_fast_events(const struct zone *zone, bool frees)
{
	unsigned long x = 0;

	for (unsigned int cpu = 0; cpu < nr_cpu_ids; cpu++) {
		const struct per_cpu_pages *pcp = &zone->per_cpu_pageset[cpu];
		x += data_race(frees ? READ_ONCE(pcp->fast_frees) : READ_ONCE(pcp->fast_allocs));
	}
	return x;
}

unsigned long zone_numa_event_state(const struct zone *zone, enum numa_stat_item item)
{
	unsigned long x = 0;

	for (unsigned int cpu = 0; cpu < nr_cpu_ids; cpu++)
		x += data_race(READ_ONCE(zone->per_cpu_zonestats[cpu].vm_numa_event[item]));
	/* A fast-path page is the preferred zone's: a hit, and local. */
	if (item == NUMA_HIT || item == NUMA_LOCAL)
		x += zone_fast_events(zone, false);
	return x;
}

void count_vm_events(enum vm_event_item item, long delta)
{
	__preempt_disable();
	__count_vm_events(item, delta);
	__preempt_enable();
}

void count_vm_event(enum vm_event_item item)
{
	count_vm_events(item, 1);
}

unsigned long vm_event_total(enum vm_event_item item)
{
	unsigned long x = 0;

	for (unsigned int cpu = 0; cpu < nr_cpu_ids; cpu++)
		x += data_race(READ_ONCE(kmm_cpus[cpu].vm_events[item]));
	if (!kmm_machine_up)
		return x;
	if (item >= PGALLOC_DMA && item < PGALLOC_DMA + MAX_NR_ZONES) {
		for (int nid = 0; nid < nr_online_nodes; nid++)
			x += zone_fast_events(&NODE_DATA(nid)->node_zones[item - PGALLOC_DMA], false);
	} else if (item == PGFREE) {
		struct zone *zone;

		for_each_zone(zone)
			x += zone_fast_events(zone, true);
	}
	return x;
}

void all_vm_events(unsigned long *ret)
{
	for (int i = 0; i < NR_VM_EVENT_ITEMS; i++)
		ret[i] = vm_event_total((enum vm_event_item)i);
}

/*
 * Fold every CPU's differences into the globals, owning each CPU in turn
 * (preemptible callers only, as drain_all_pages()).
 */
/* Fold @cpu's differences into the globals; the caller owns @cpu. */
static void vmstat_fold_cpu(int cpu, void *arg)
{
	(void)arg;
	for (int nid = 0; nid < nr_online_nodes; nid++) {
		pg_data_t *pgdat = NODE_DATA(nid);
		struct per_cpu_nodestat *pcn = &pgdat->per_cpu_nodestats[cpu];

		for (int i = 0; i < NR_VM_NODE_STAT_ITEMS; i++) {
			long x = pcn->vm_node_stat_diff[i];
			if (x) {
				pcn->vm_node_stat_diff[i] = 0;
				atomic_long_add(x, &pgdat->vm_stat[i]);
				atomic_long_add(x, &vm_node_stat[i]);
			}
		}
		for (int zt = 0; zt < MAX_NR_ZONES; zt++) {
			struct zone *zone = &pgdat->node_zones[zt];
			struct per_cpu_zonestat *pcz = &zone->per_cpu_zonestats[cpu];

			for (int i = 0; i < NR_VM_ZONE_STAT_ITEMS; i++) {
				long x = pcz->vm_stat_diff[i];
				if (x) {
					pcz->vm_stat_diff[i] = 0;
					atomic_long_add(x, &zone->vm_stat[i]);
					atomic_long_add(x, &vm_zone_stat[i]);
				}
			}
		}
	}
}

void kmm_vmstat_fold_all(void)
{
	bool own = current->preempt_count == 0;

	for (unsigned int cpu = 0; cpu < nr_cpu_ids; cpu++) {
		if (own)
			kmm_run_on_cpu((int)cpu, vmstat_fold_cpu, NULL);
		else
			vmstat_fold_cpu((int)cpu, NULL);
	}
}

/* Free blocks of @order and above, counting the deferred ones. */
unsigned long kmm_zone_nr_free(struct zone *zone, unsigned int order)
{
	return data_race(READ_ONCE(zone->free_area[order].nr_free)) +
	       READ_ONCE(zone->deferred_nr_free[order]);
}
