/* SPDX-License-Identifier: MIT */
/*
 * The memory dump Linux prints after an allocation failure or an OOM
 * (__show_mem / show_free_areas): the global counters, each zone's free
 * memory against its watermarks, lowmem_reserve[], and each zone's free
 * blocks by size with the migrate types present.
 */
#include <stdio.h>
#include "page_alloc.h"
#include <kmm/vmstat.h>

#define K(x) ((x) << (PAGE_SHIFT - 10))

static void show_migration_types(char *buf, unsigned int types)
{
	static const char letters[MIGRATE_TYPES] = { 'U', 'M', 'E', 'H', 'I' };
	char *p = buf;

	*p++ = '(';
	for (int i = 0; i < MIGRATE_TYPES; i++)
		if (types & (1U << i))
			*p++ = letters[i];
	*p++ = ')';
	*p = '\0';
}

void __show_mem(void)
{
	struct zone *zone;

	printk("Mem-Info:\n");
	printk("active_anon:0 inactive_anon:0 isolated_anon:0\n"
	       " active_file:0 inactive_file:0 isolated_file:0\n"
	       " unevictable:0 dirty:0 writeback:0\n"
	       " slab_reclaimable:%lu slab_unreclaimable:%lu\n"
	       " mapped:0 shmem:0 pagetables:%lu\n"
	       " sec_pagetables:0 bounce:0\n"
	       " kernel_misc_reclaimable:0\n"
	       " free:%lu free_pcp:%lu free_cma:0\n",
	       global_node_page_state(NR_SLAB_RECLAIMABLE_B),
	       global_node_page_state(NR_SLAB_UNRECLAIMABLE_B),
	       global_node_page_state(NR_PAGETABLE),
	       global_zone_page_state(NR_FREE_PAGES), 0UL);
	for_each_populated_zone(zone) {
		unsigned long pcp = 0;
		for (unsigned int cpu = 0; cpu < nr_cpu_ids; cpu++)
			pcp += (unsigned long)READ_ONCE(zone->per_cpu_pageset[cpu].count);
		printk("Node %d %s free:%lukB boost:%lukB min:%lukB low:%lukB high:%lukB "
		       "reserved_highatomic:%luKB free_highatomic:%luKB active_anon:0kB "
		       "inactive_anon:0kB active_file:0kB inactive_file:0kB unevictable:0kB "
		       "writepending:0kB zspages:0kB present:%lukB managed:%lukB mlocked:0kB "
		       "bounce:0kB free_pcp:%lukB local_pcp:0kB free_cma:0kB\n",
		       zone->node, zone->name, K(zone_page_state(zone, NR_FREE_PAGES)),
		       K(zone->watermark_boost), K(min_wmark_pages(zone)),
		       K(low_wmark_pages(zone)), K(high_wmark_pages(zone)),
		       K(zone->nr_reserved_highatomic),
		       K((unsigned long)atomic_long_read(&zone->nr_free_highatomic)),
		       K(zone->present_pages), K(zone_managed_pages(zone)), K(pcp));
		printk("lowmem_reserve[]:");
		for (int i = 0; i < MAX_NR_ZONES; i++)
			if (kmm_zone_configured((enum zone_type)i))
				pr_cont(" %ld", zone->lowmem_reserve[i]);
		pr_cont("\n");
	}
	for_each_populated_zone(zone) {
		char line[1024], types[8];
		size_t len = 0;
		unsigned long total = 0;

		len += (size_t)snprintf(line + len, sizeof(line) - len, "Node %d %s: ",
					zone->node, zone->name);
		__spin_lock(&zone->lock);
		for (unsigned int o = 0; o < NR_PAGE_ORDERS; o++) {
			unsigned long n = kmm_zone_nr_free(zone, o);
			unsigned int mts = 0;

			for (int mt = 0; mt < MIGRATE_TYPES; mt++)
				if (!list_empty(&zone->free_area[o].free_list[mt]))
					mts |= 1U << mt;
			if (zone->deferred_nr_free[o])
				mts |= 1U << MIGRATE_MOVABLE;
			total += n << o;
			len += (size_t)snprintf(line + len, sizeof(line) - len, "%lu*%lukB ", n,
						K(1UL << o));
			if (n) {
				show_migration_types(types, mts);
				len += (size_t)snprintf(line + len, sizeof(line) - len, "%s ", types);
			}
		}
		__spin_unlock(&zone->lock);
		printk("%s= %lukB\n", line, K(total));
	}
	printk("0 total pagecache pages\n");
	printk("0 pages in swap cache\n");
	printk("Free swap  = 0kB\n");
	printk("Total swap = 0kB\n");
	unsigned long present = 0, high = 0, reserved = 0;
	for_each_zone(zone) {
		present += zone->present_pages;
		if (is_highmem(zone))
			high += zone->present_pages;
		reserved += zone->present_pages - zone_managed_pages(zone);
	}
	printk("%lu pages RAM\n", present);
	printk("%lu pages HighMem/MovableOnly\n", high);
	printk("%lu pages reserved\n", reserved);
}
