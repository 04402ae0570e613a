/* SPDX-License-Identifier: MIT */
/*
 * The memory dump Linux prints after an allocation failure or an OOM
 * (__show_mem / show_free_areas), line for line as Linux 6.18 prints it:
 * the global counters, each node's counters, each zone's free memory
 * against its watermarks and its lowmem_reserve[], each zone's free blocks
 * by size with the migrate types present, the huge pages, the page and swap
 * caches, and the RAM totals.  Figures for what kmm does not simulate (page
 * cache, anon, swap, huge pages) come from counters that stay 0.
 *
 * The config is the one the /proc views model (see <kmm/vmstat_items.h>):
 * TRANSPARENT_HUGEPAGE, ZSMALLOC, HUGETLB_PAGE, MEMORY_ISOLATION, no CMA,
 * MEMORY_FAILURE or MEM_ALLOC_PROFILING; NUMA on x86_64 only, so on a
 * one-node x86_32 the zone lines carry no "Node %d " prefix.
 */
#include <stdio.h>
#include "page_alloc.h"
#include <kmm/vmstat.h>

#define K(x) ((x) << (PAGE_SHIFT - 10))

/* CONFIG_NUMA: x86_64, or an x86_32 machine booted with several nodes. */
static bool show_mem_numa(void)
{
	return kmm_cfg.arch != KMM_ARCH_X86_32 || nr_online_nodes > 1;
}

/* show_node(): the "Node %d " a NUMA kernel puts before a zone's lines. */
static const char *node_prefix(char *buf, size_t size, const struct zone *zone)
{
	if (show_mem_numa())
		snprintf(buf, size, "Node %d ", zone->node);
	else
		buf[0] = '\0';
	return buf;
}

/* The letters of the migrate types with free blocks: "(UMEHI) " at most. */
static void show_migration_types(char *buf, unsigned int types)
{
	static const char letters[MIGRATE_TYPES] = {
		[MIGRATE_UNMOVABLE] = 'U',
		[MIGRATE_MOVABLE] = 'M',
		[MIGRATE_RECLAIMABLE] = 'E',
		[MIGRATE_HIGHATOMIC] = 'H',
		[MIGRATE_ISOLATE] = 'I',
	};
	char *p = buf;

	*p++ = '(';
	for (int i = 0; i < MIGRATE_TYPES; i++)
		if (types & (1U << i))
			*p++ = letters[i];
	*p++ = ')';
	*p = '\0';
}

/* Other CPUs' counts, read without owning the CPUs, as Linux's show_mem(). */
static unsigned long zone_free_pcp(struct zone *zone)
{
	unsigned long pcp = 0;

	for (unsigned int cpu = 0; cpu < nr_cpu_ids; cpu++)
		pcp += (unsigned long)data_race(READ_ONCE(zone->per_cpu_pageset[cpu].count));
	return pcp;
}

static bool node_has_managed_zones(pg_data_t *pgdat)
{
	for (int i = 0; i < MAX_NR_ZONES; i++)
		if (zone_managed_pages(&pgdat->node_zones[i]))
			return true;
	return false;
}

/*
 * hugetlb_show_meminfo_node(): one line per huge page size, in hstate
 * order.  x86_64 registers 1 GiB pages (gbpages) before the default 2 MiB;
 * two-level x86_32 has 4 MiB pages only.  kmm has no huge pages.
 */
static void hugetlb_show_meminfo_node(int nid)
{
	static const unsigned long sizes_64[] = { 1048576, 2048 }, sizes_32[] = { 4096 };
	bool x86_32 = kmm_cfg.arch == KMM_ARCH_X86_32;
	const unsigned long *sizes = x86_32 ? sizes_32 : sizes_64;
	size_t n = x86_32 ? ARRAY_SIZE(sizes_32) : ARRAY_SIZE(sizes_64);

	for (size_t i = 0; i < n; i++)
		printk("Node %d hugepages_total=%u hugepages_free=%u hugepages_surp=%u hugepages_size=%lukB\n",
		       nid, 0U, 0U, 0U, sizes[i]);
}

static void show_free_areas(int max_zone_idx)
{
	unsigned long free_pcp = 0;
	struct zone *zone;
	char prefix[24];

	for_each_populated_zone(zone)
		free_pcp += zone_free_pcp(zone);

	printk("active_anon:%lu inactive_anon:%lu isolated_anon:%lu\n"
	       " active_file:%lu inactive_file:%lu isolated_file:%lu\n"
	       " unevictable:%lu dirty:%lu writeback:%lu\n"
	       " slab_reclaimable:%lu slab_unreclaimable:%lu\n"
	       " mapped:%lu shmem:%lu pagetables:%lu\n"
	       " sec_pagetables:%lu bounce:%lu\n"
	       " kernel_misc_reclaimable:%lu\n"
	       " free:%lu free_pcp:%lu free_cma:%lu\n",
	       global_node_page_state(NR_ACTIVE_ANON),
	       global_node_page_state(NR_INACTIVE_ANON),
	       global_node_page_state(NR_ISOLATED_ANON),
	       global_node_page_state(NR_ACTIVE_FILE),
	       global_node_page_state(NR_INACTIVE_FILE),
	       global_node_page_state(NR_ISOLATED_FILE),
	       global_node_page_state(NR_UNEVICTABLE),
	       global_node_page_state(NR_FILE_DIRTY),
	       global_node_page_state(NR_WRITEBACK),
	       global_node_page_state(NR_SLAB_RECLAIMABLE_B),
	       global_node_page_state(NR_SLAB_UNRECLAIMABLE_B),
	       global_node_page_state(NR_FILE_MAPPED),
	       global_node_page_state(NR_SHMEM),
	       global_node_page_state(NR_PAGETABLE),
	       global_node_page_state(NR_SECONDARY_PAGETABLE),
	       0UL,
	       global_node_page_state(NR_KERNEL_MISC_RECLAIMABLE),
	       global_zone_page_state(NR_FREE_PAGES),
	       free_pcp,
	       global_zone_page_state(NR_FREE_CMA_PAGES));

	for (int nid = 0; nid < nr_online_nodes; nid++) {
		pg_data_t *pgdat = NODE_DATA(nid);

		if (!node_has_managed_zones(pgdat))
			continue;
		printk("Node %d active_anon:%lukB inactive_anon:%lukB active_file:%lukB "
		       "inactive_file:%lukB unevictable:%lukB isolated(anon):%lukB "
		       "isolated(file):%lukB mapped:%lukB dirty:%lukB writeback:%lukB "
		       "shmem:%lukB shmem_thp:%lukB shmem_pmdmapped:%lukB anon_thp:%lukB "
		       "kernel_stack:%lukB pagetables:%lukB sec_pagetables:%lukB "
		       "all_unreclaimable? %s Balloon:%lukB\n",
		       pgdat->node_id,
		       K(node_page_state(pgdat, NR_ACTIVE_ANON)),
		       K(node_page_state(pgdat, NR_INACTIVE_ANON)),
		       K(node_page_state(pgdat, NR_ACTIVE_FILE)),
		       K(node_page_state(pgdat, NR_INACTIVE_FILE)),
		       K(node_page_state(pgdat, NR_UNEVICTABLE)),
		       K(node_page_state(pgdat, NR_ISOLATED_ANON)),
		       K(node_page_state(pgdat, NR_ISOLATED_FILE)),
		       K(node_page_state(pgdat, NR_FILE_MAPPED)),
		       K(node_page_state(pgdat, NR_FILE_DIRTY)),
		       K(node_page_state(pgdat, NR_WRITEBACK)),
		       K(node_page_state(pgdat, NR_SHMEM)),
		       K(node_page_state(pgdat, NR_SHMEM_THPS)),
		       K(node_page_state(pgdat, NR_SHMEM_PMDMAPPED)),
		       K(node_page_state(pgdat, NR_ANON_THPS)),
		       node_page_state(pgdat, NR_KERNEL_STACK_KB),
		       K(node_page_state(pgdat, NR_PAGETABLE)),
		       K(node_page_state(pgdat, NR_SECONDARY_PAGETABLE)),
		       READ_ONCE(pgdat->kswapd_failures) >= 16 ? "yes" : "no",
		       K(node_page_state(pgdat, NR_BALLOON_PAGES)));
	}

	for_each_populated_zone(zone) {
		unsigned int cpu = (unsigned int)raw_smp_processor_id();

		if (zone_idx(zone) > max_zone_idx)
			continue;
		/* Note Linux's "KB" in the two highatomic fields. */
		printk("%s%s free:%lukB boost:%lukB min:%lukB low:%lukB high:%lukB "
		       "reserved_highatomic:%luKB free_highatomic:%luKB active_anon:%lukB "
		       "inactive_anon:%lukB active_file:%lukB inactive_file:%lukB "
		       "unevictable:%lukB writepending:%lukB zspages:%lukB present:%lukB "
		       "managed:%lukB mlocked:%lukB bounce:%lukB free_pcp:%lukB "
		       "local_pcp:%ukB free_cma:%lukB\n",
		       node_prefix(prefix, sizeof(prefix), zone), zone->name,
		       K(zone_page_state(zone, NR_FREE_PAGES)),
		       K(zone->watermark_boost), K(min_wmark_pages(zone)),
		       K(low_wmark_pages(zone)), K(high_wmark_pages(zone)),
		       K(zone->nr_reserved_highatomic),
		       K((unsigned long)atomic_long_read(&zone->nr_free_highatomic)),
		       K(zone_page_state(zone, NR_ZONE_ACTIVE_ANON)),
		       K(zone_page_state(zone, NR_ZONE_INACTIVE_ANON)),
		       K(zone_page_state(zone, NR_ZONE_ACTIVE_FILE)),
		       K(zone_page_state(zone, NR_ZONE_INACTIVE_FILE)),
		       K(zone_page_state(zone, NR_ZONE_UNEVICTABLE)),
		       K(zone_page_state(zone, NR_ZONE_WRITE_PENDING)),
		       K(zone_page_state(zone, NR_ZSPAGES)),
		       K(zone->present_pages), K(zone_managed_pages(zone)),
		       K(zone_page_state(zone, NR_MLOCK)), 0UL,
		       K(zone_free_pcp(zone)),
		       (unsigned int)K((unsigned long)data_race(READ_ONCE(zone->per_cpu_pageset[cpu].count))),
		       K(zone_page_state(zone, NR_FREE_CMA_PAGES)));
		/* One entry per zone the config has, as in /proc/zoneinfo. */
		printk("lowmem_reserve[]:");
		for (int i = 0; i < MAX_NR_ZONES; i++)
			if (kmm_zone_configured((enum zone_type)i))
				pr_cont(" %ld", zone->lowmem_reserve[i]);
		pr_cont("\n");
	}

	for_each_populated_zone(zone) {
		unsigned long nr[NR_PAGE_ORDERS], total = 0;
		unsigned int types[NR_PAGE_ORDERS];
		char line[1024], mts[MIGRATE_TYPES + 3];
		size_t len = 0;

		if (zone_idx(zone) > max_zone_idx)
			continue;
		__spin_lock(&zone->lock);
		for (unsigned int o = 0; o < NR_PAGE_ORDERS; o++) {
			nr[o] = kmm_zone_nr_free(zone, o);
			total += nr[o] << o;
			types[o] = 0;
			for (int mt = 0; mt < MIGRATE_TYPES; mt++)
				if (!list_empty(&zone->free_area[o].free_list[mt]))
					types[o] |= 1U << mt;
			/* Deferred blocks join the Movable lists when initialised. */
			if (zone->deferred_nr_free[o])
				types[o] |= 1U << MIGRATE_MOVABLE;
		}
		__spin_unlock(&zone->lock);

		len += (size_t)snprintf(line + len, sizeof(line) - len, "%s%s: ",
					node_prefix(prefix, sizeof(prefix), zone), zone->name);
		for (unsigned int o = 0; o < NR_PAGE_ORDERS; o++) {
			len += (size_t)snprintf(line + len, sizeof(line) - len, "%lu*%lukB ",
						nr[o], K(1UL) << o);
			if (nr[o]) {
				show_migration_types(mts, types[o]);
				len += (size_t)snprintf(line + len, sizeof(line) - len, "%s ", mts);
			}
		}
		printk("%s= %lukB\n", line, K(total));
	}

	for (int nid = 0; nid < nr_online_nodes; nid++)
		hugetlb_show_meminfo_node(nid);

	printk("%ld total pagecache pages\n", (long)global_node_page_state(NR_FILE_PAGES));

	/* show_swap_cache_info(): kmm has no swap. */
	printk("%lu pages in swap cache\n", 0UL);
	printk("Free swap  = %ldkB\n", 0L);
	printk("Total swap = %lukB\n", 0UL);
}

/* As Linux's: zones above @max_zone_idx (the failed request's gfp_zone()) are left out. */
void __show_mem(int max_zone_idx)
{
	unsigned long total = 0, reserved = 0, highmem = 0;
	struct zone *zone;

	printk("Mem-Info:\n");
	show_free_areas(max_zone_idx);

	for_each_populated_zone(zone) {
		total += zone->present_pages;
		reserved += zone->present_pages - zone_managed_pages(zone);
		if (is_highmem(zone))
			highmem += zone->present_pages;
	}
	printk("%lu pages RAM\n", total);
	printk("%lu pages HighMem/MovableOnly\n", highmem);
	printk("%lu pages reserved\n", reserved);
}
