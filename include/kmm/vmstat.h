/* SPDX-License-Identifier: MIT */
/*
 * vm statistics: per-zone and per-node counters kept as a global atomic and
 * a small per-CPU difference folded in past a threshold, and per-CPU event
 * counters summed when read, as Linux's vmstat.
 */
#ifndef KMM_VMSTAT_H
#define KMM_VMSTAT_H

#pragma GCC visibility push(default)

#include <kmm/mmzone.h>

extern atomic_long_t vm_zone_stat[NR_VM_ZONE_STAT_ITEMS];
extern atomic_long_t vm_node_stat[NR_VM_NODE_STAT_ITEMS];

void mod_zone_page_state(struct zone *zone, enum zone_stat_item item, long delta);
void mod_node_page_state(pg_data_t *pgdat, enum node_stat_item item, long delta);
static inline unsigned long zone_page_state(const struct zone *zone, enum zone_stat_item item)
{
	long x = atomic_long_read(&zone->vm_stat[item]);

	return x < 0 ? 0 : (unsigned long)x;
}
unsigned long zone_page_state_snapshot(const struct zone *zone, enum zone_stat_item item);
unsigned long node_page_state(const pg_data_t *pgdat, enum node_stat_item item);
unsigned long global_zone_page_state(enum zone_stat_item item);
unsigned long global_node_page_state(enum node_stat_item item);
unsigned long zone_numa_event_state(const struct zone *zone, enum numa_stat_item item);

void count_vm_event(enum vm_event_item item);
void count_vm_events(enum vm_event_item item, long delta);
/* Sum of one event over all CPUs. */
unsigned long vm_event_total(enum vm_event_item item);
void all_vm_events(unsigned long *ret);

/* Fold every CPU's differences into the global counters. */
void refresh_zone_stat_thresholds(void);
void kmm_vmstat_fold_all(void);

extern const char *const zone_stat_names[NR_VM_ZONE_STAT_ITEMS];
extern const char *const numa_stat_names[NR_VM_NUMA_EVENT_ITEMS];
extern const char *const node_stat_names[NR_VM_NODE_STAT_ITEMS];
extern const char *const vm_event_names[NR_VM_EVENT_ITEMS];

#pragma GCC visibility pop

#endif /* KMM_VMSTAT_H */
