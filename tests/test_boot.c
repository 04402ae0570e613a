/* SPDX-License-Identifier: MIT */
/* Booting: parameters, zones per arch, reboot, failures that leave nothing. */
#include <stdio.h>
#include <unistd.h>
#include "helpers.h"
#include <kmm/kfence.h>
#include "internal.h"
#include "page_alloc.h"

Test(boot, default_machine_is_x86_64_1G)
{
	boot_or_die(NULL);
	cr_assert_eq(kmm_arch(), KMM_ARCH_X86_64);
	cr_assert(populated_zone(&NODE_DATA(0)->node_zones[ZONE_DMA]));
	cr_assert(populated_zone(&NODE_DATA(0)->node_zones[ZONE_DMA32]));
	cr_assert(!populated_zone(&NODE_DATA(0)->node_zones[ZONE_HIGHMEM]));
	cr_assert_eq(max_pfn, (1UL << 30) >> PAGE_SHIFT);
	check_and_shutdown();
}

Test(boot, x86_32_has_dma_normal_highmem)
{
	boot_or_die("arch=x86_32 mem=2G");
	pg_data_t *pgdat = NODE_DATA(0);
	struct zone *dma = &pgdat->node_zones[ZONE_DMA];
	struct zone *normal = &pgdat->node_zones[ZONE_NORMAL];
	struct zone *high = &pgdat->node_zones[ZONE_HIGHMEM];

	cr_assert_str_eq(dma->name, "DMA");
	cr_assert_str_eq(normal->name, "Normal");
	cr_assert_str_eq(high->name, "HighMem");
	cr_assert_eq(zone_end_pfn(dma), (16UL << 20) >> PAGE_SHIFT);
	cr_assert_eq(normal->zone_start_pfn, (16UL << 20) >> PAGE_SHIFT);
	cr_assert_eq(zone_end_pfn(normal), (896UL << 20) >> PAGE_SHIFT);
	cr_assert_eq(high->zone_start_pfn, (896UL << 20) >> PAGE_SHIFT);
	cr_assert_eq((unsigned long)high_memory - PAGE_OFFSET, 896UL << 20);
	cr_assert(!populated_zone(&pgdat->node_zones[ZONE_DMA32]));
	check_and_shutdown();
}

Test(boot, reboot_in_one_process)
{
	for (int i = 0; i < 3; i++) {
		boot_or_die(i & 1 ? "arch=x86_32 mem=256M cpus=3" : "mem=512M cpus=2");
		cr_assert_eq(nr_cpu_ids, (unsigned)(i & 1 ? 3 : 2));
		struct page *p = alloc_pages(GFP_KERNEL, 2);
		cr_assert_not_null(p);
		__free_pages(p, 2);
		check_and_shutdown();
	}
}

Test(boot, bad_parameters_fail_cleanly)
{
	const char *bad[] = { "foo=1", "mem=abc", "arch=sparc", "cpus=0", "numa=fake=x",
			      "memmap=1M", "watermark_scale_factor=0", "loglevel=99",
			      "percpu_pagelist_high_fraction=7", "percpu_pagelist_high_fraction=x" };

	kmm_set_console(NULL);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		kmm_dmesg_clear();
		cr_assert_eq(kmm_boot(bad[i]), -EINVAL, "%s should fail", bad[i]);
		cr_assert(!kmm_booted());
		cr_assert(dmesg_has("kernel command line parameter"), "%s not named", bad[i]);
	}
	boot_or_die("mem=64M");
	check_and_shutdown();
}

Test(boot, percpu_pagelist_high_fraction_fixes_the_high_mark)
{
	boot_or_die("mem=2G cpus=2");
	struct per_cpu_pages *pcp = &NODE_DATA(0)->node_zones[ZONE_DMA32].per_cpu_pageset[1];
	/* Self-tuning by default: up to an eighth of the zone, shared by the CPUs. */
	cr_assert_lt(pcp->high_min, pcp->high_max);
	cr_assert_eq((unsigned long)pcp->high_max,
		     zone_managed_pages(&NODE_DATA(0)->node_zones[ZONE_DMA32]) / 8 / 2);
	check_and_shutdown();

	boot_or_die("mem=2G cpus=2 percpu_pagelist_high_fraction=64");
	struct zone *z = &NODE_DATA(0)->node_zones[ZONE_DMA32];
	pcp = &z->per_cpu_pageset[1];
	cr_assert_eq(pcp->high_min, pcp->high_max);
	cr_assert_eq((unsigned long)pcp->high_max, zone_managed_pages(z) / 64 / 2);
	check_and_shutdown();

	/* Never under four batches. */
	boot_or_die("mem=2G cpus=2 percpu_pagelist_high_fraction=1000000000");
	pcp = &NODE_DATA(0)->node_zones[ZONE_DMA32].per_cpu_pageset[0];
	cr_assert_eq(pcp->high_max, pcp->batch << 2);
	check_and_shutdown();
}

Test(boot, memmap_reserved_range_is_a_hole)
{
	boot_or_die("mem=512M memmap=64M$128M memmap=32M@1G");
	/* The reserved range is not managed: nothing is free inside it. */
	cr_assert(memblock_is_memory(1024UL << 20));
	cr_assert(!memblock_is_memory(128UL << 20));
	cr_assert_eq(max_pfn, ((1024UL + 32) << 20) >> PAGE_SHIFT);
	cr_assert(PageReserved(pfn_to_page((130UL << 20) >> PAGE_SHIFT)));
	check_and_shutdown();
}

Test(boot, fake_numa_nodes_and_zonelists)
{
	boot_or_die("mem=2G numa=fake=2 cpus=2");
	cr_assert_eq(nr_online_nodes, 2);
	cr_assert_eq(node_distance(0, 1), 20);
	cr_assert_eq(node_distance(1, 1), 10);
	/* Node 1's fallback list starts with its own zones. */
	struct zoneref *z = NODE_DATA(1)->node_zonelists[ZONELIST_FALLBACK]._zonerefs;
	cr_assert_eq(z->zone->node, 1);
	struct page *p = alloc_pages_node(1, GFP_KERNEL | __GFP_THISNODE, 0);
	cr_assert_not_null(p);
	cr_assert_eq(page_to_nid(p), 1);
	__free_pages(p, 0);
	check_and_shutdown();
}

Test(boot, large_machine_defers_struct_pages)
{
	boot_or_die("mem=64G");
	struct zone *normal = &NODE_DATA(0)->node_zones[ZONE_NORMAL];
	cr_assert(normal->deferred_pfn < zone_end_pfn(normal));
	/* Deferred memory counts as free, and is really handed out on demand. */
	cr_assert_gt(zone_page_state(normal, NR_FREE_PAGES), 15UL << (30 - PAGE_SHIFT));
	struct page *pages[2048];
	for (int i = 0; i < 2048; i++) {
		pages[i] = alloc_pages(GFP_KERNEL, MAX_PAGE_ORDER);
		cr_assert_not_null(pages[i]);
	}
	for (int i = 0; i < 2048; i++)
		__free_pages(pages[i], MAX_PAGE_ORDER);
	check_and_shutdown();
}

/*
 * What memblock handed out at boot beyond the deferred point (the KFENCE
 * pool, boot tables: allocated top-down) is in use from boot on: every
 * reserved page but mem_map's own has a struct page of the zone spanning
 * it before its section's deferred init, and one not taken for deferred.
 */
static unsigned long check_reserved_struct_pages(void)
{
	unsigned long checked_beyond = 0;

	for (unsigned long i = 0; i < memblock.reserved.cnt; i++) {
		struct memblock_region *r = &memblock.reserved.regions[i];

		if (r->flags & MEMBLOCK_RSRV_NOINIT)	/* mem_map's own pages */
			continue;
		for (unsigned long pfn = PFN_DOWN(r->base); pfn < PFN_UP(r->base + r->size) &&
		     pfn < max_pfn; pfn++) {
			struct page *page = pfn_to_page(pfn);
			struct zone *zone = NULL, *z;

			for_each_zone(z)
				if (z->spanned_pages && zone_spans_pfn(z, pfn))
					zone = z;
			if (!zone)	/* pfn 0, holes: no zone spans them */
				continue;
			if (page_zone(page) != zone)
				cr_assert_fail("reserved pfn %#lx has a struct page of zone %s, not %s",
					       pfn, page_zone(page)->name, zone->name);
			cr_assert(PageReserved(page), "reserved pfn %#lx is not PageReserved", pfn);
			cr_assert(kmm_page_ptr_valid(page), "reserved pfn %#lx taken for deferred",
				  pfn);
			checked_beyond += pfn >= zone->deferred_pfn;
		}
	}
	return checked_beyond;
}

Test(boot, reserved_pages_beyond_the_deferred_point_have_struct_pages)
{
	/* The tests' boots turn KFENCE off; this one wants its pool. */
	boot_or_die("mem=64G kfence.sample_interval=100");
	cr_assert_not_null(__kfence_pool);
	/* The case this guards: reservations past the deferred point exist. */
	cr_assert_gt(check_reserved_struct_pages(), 0);
	/* A KFENCE object's page tells its zone right, deferred section or not. */
	struct page *pool = virt_to_page(__kfence_pool);
	cr_assert(zone_spans_pfn(page_zone(pool), page_to_pfn(pool)));
	check_and_shutdown();
	boot_or_die("arch=x86_32 mem=1G memmap=880M$48M cpus=2");
	check_reserved_struct_pages();
	check_and_shutdown();
}

/*
 * Every process that loads libkmm-malloc.so boots a 64G machine: boot gives
 * Normal the struct pages of its first 4 MiB section only, the zones below
 * it none but the firmware's reserved first MiB, and a zone that runs
 * short grows by one section, not more.
 */
Test(boot, large_machine_inits_one_section_per_zone)
{
	boot_or_die("mem=64G");
	struct zone *zone;
	unsigned long inited = 0;

	for_each_zone(zone) {
		if (!zone->spanned_pages)
			continue;
		cr_assert_leq(zone->deferred_pfn - zone->zone_start_pfn, (8 * SZ_1M) >> PAGE_SHIFT,
			      "zone %s: %lu struct pages at boot", zone->name,
			      zone->deferred_pfn - zone->zone_start_pfn);
		inited += zone->deferred_pfn - zone->zone_start_pfn;
	}
	cr_assert_leq(inited, (32 * SZ_1M) >> PAGE_SHIFT, "%lu struct pages at boot", inited);
	/* DMA: the firmware's reserved megabyte and its hole only; DMA32: nothing. */
	struct zone *dma = &NODE_DATA(0)->node_zones[ZONE_DMA];
	cr_assert_eq(dma->deferred_pfn, SZ_1M >> PAGE_SHIFT);
	cr_assert_eq(NODE_DATA(0)->node_zones[ZONE_DMA32].deferred_pfn,
		     NODE_DATA(0)->node_zones[ZONE_DMA32].zone_start_pfn);
	/*
	 * memblock is byte-granular: the zones' per-CPU page lists and
	 * statistics (6 zones, 1.5 KiB each with 4 CPUs) share pages.
	 */
	unsigned long lo = ~0UL, hi = 0;
	for (int zt = 0; zt < MAX_NR_ZONES; zt++) {
		struct zone *z = &NODE_DATA(0)->node_zones[zt];
		unsigned long a = (unsigned long)z->per_cpu_pageset, b = (unsigned long)z->per_cpu_zonestats;

		lo = min(lo, min(a, b));
		hi = max(hi, max(a + sizeof(*z->per_cpu_pageset) * nr_cpu_ids,
				 b + sizeof(*z->per_cpu_zonestats) * nr_cpu_ids));
	}
	cr_assert_leq(hi - lo, 4 * PAGE_SIZE, "the zones' per-CPU tables span %lu bytes", hi - lo);
	/* The first request for DMA32 grows it by a section and is served from it. */
	struct zone *dma32 = &NODE_DATA(0)->node_zones[ZONE_DMA32];
	struct page *low_page = alloc_pages(GFP_DMA32, 0);
	cr_assert_not_null(low_page);
	cr_assert_eq(page_zone(low_page), dma32);
	cr_assert_eq(dma32->deferred_pfn, dma32->zone_start_pfn + ((4 * SZ_1M) >> PAGE_SHIFT));
	__free_pages(low_page, 0);

	struct zone *normal = &NODE_DATA(0)->node_zones[ZONE_NORMAL];
	unsigned long before = normal->deferred_pfn;
	struct page *pages[64];
	int n = 0;

	while (n < 64 && normal->deferred_pfn == before) {
		pages[n] = alloc_pages(GFP_KERNEL, MAX_PAGE_ORDER);
		cr_assert_not_null(pages[n]);
		cr_assert_eq(page_zone(pages[n]), normal);
		n++;
	}
	cr_assert_eq(normal->deferred_pfn, before + ((4 * SZ_1M) >> PAGE_SHIFT));
	while (n--)
		__free_pages(pages[n], MAX_PAGE_ORDER);
	check_and_shutdown();
}

/*
 * deferred_boot_mem=2M (the preload's): Normal starts with 2 MiB of struct
 * pages; its first growth completes the section, and a request of the
 * largest order still finds a block, growing on to the next section.
 */
Test(boot, deferred_boot_mem_gives_part_of_a_section)
{
	boot_or_die("mem=64G deferred_boot_mem=2M");
	struct zone *normal = &NODE_DATA(0)->node_zones[ZONE_NORMAL];
	unsigned long start = normal->zone_start_pfn;

	cr_assert_eq(normal->deferred_pfn, start + ((2 * SZ_1M) >> PAGE_SHIFT));
	struct page *big = alloc_pages(GFP_KERNEL, MAX_PAGE_ORDER);
	cr_assert_not_null(big);
	cr_assert_eq(page_zone(big), normal);
	cr_assert_geq(normal->deferred_pfn, start + SECTION_PAGES);
	cr_assert_eq(normal->deferred_pfn % SECTION_PAGES, 0);
	__free_pages(big, MAX_PAGE_ORDER);
	check_and_shutdown();

	/* 64K to 4M, a power of two. */
	cr_assert_eq(kmm_boot("mem=1G deferred_boot_mem=3M"), -EINVAL);
	cr_assert_eq(kmm_boot("mem=1G deferred_boot_mem=8M"), -EINVAL);
	boot_or_die("mem=64G");
	normal = &NODE_DATA(0)->node_zones[ZONE_NORMAL];
	cr_assert_eq(normal->deferred_pfn, normal->zone_start_pfn + SECTION_PAGES,
		     "the default is back: a section");
	check_and_shutdown();
}

/* Boot and shutdown leave no file, mapping or thread behind. */
Test(boot, shutdown_leaks_nothing)
{
	/* Warm up: glibc keeps exited threads' stacks (kswapd's) for reuse. */
	boot_or_die("mem=256M arch=x86_32 cpus=3 numa=fake=2");
	check_and_shutdown();
	struct host_footprint base = host_footprint();
	for (int i = 0; i < 10; i++) {
		boot_or_die(i % 2 ? "mem=256M arch=x86_32 cpus=3 numa=fake=2" : "mem=4G cpus=2");
		struct page *p = alloc_pages(GFP_KERNEL, 3);
		cr_assert_not_null(p);
		__free_pages(p, 3);
		check_and_shutdown();
	}
	struct host_footprint now = host_footprint();
	expect_same_footprint(&base, &now, "10 boots");
}

/*
 * After boot, memblock's record is frozen (deferred init reads it) and a
 * boot reservation reaches the buddy allocator only by memblock_free_late():
 * the second half of the reserved first megabyte here, 128 pages into DMA.
 */
Test(boot, memblock_free_late_and_the_frozen_record)
{
	boot_or_die("mem=64M");
	struct zone *dma = &NODE_DATA(0)->node_zones[ZONE_DMA];
	unsigned long reserved_cnt = memblock.reserved.cnt;
	unsigned long warns = kmm_report_count(KMM_REPORT_WARN);

	cr_assert_eq(memblock_reserve(SZ_16M, PAGE_SIZE), -EBUSY);
	cr_assert_eq(memblock_phys_free(0, PAGE_SIZE), -EBUSY);
	cr_assert_eq(memblock_add(SZ_1G, SZ_1M), -EBUSY);
	cr_assert_eq(memblock_remove(SZ_16M, SZ_1M), -EBUSY);
	cr_assert_eq(kmm_report_count(KMM_REPORT_WARN), warns + 4);
	cr_assert_eq(memblock.reserved.cnt, reserved_cnt);
	cr_assert(memblock_is_reserved(0));

	drain_all_pages(NULL);
	long free = zone_page_state(dma, NR_FREE_PAGES);
	long managed = zone_managed_pages(dma);
	unsigned long total = totalram_pages();
	cr_assert(PageReserved(pfn_to_page(0x80)));
	memblock_free_late(512 * SZ_1K, 512 * SZ_1K);
	cr_assert_eq(zone_page_state(dma, NR_FREE_PAGES), free + 128);
	cr_assert_eq(zone_managed_pages(dma), managed + 128);
	cr_assert_eq(totalram_pages(), total + 128);
	cr_assert(!PageReserved(pfn_to_page(0x80)));
	cr_assert_eq(kmm_check(), 0);

	/*
	 * Refused whole: a range whose reserved start runs into the pages
	 * freed above, and a page of free RAM.
	 */
	unsigned long bad = kmm_report_count(KMM_REPORT_BAD_FREE);
	memblock_free_late(448 * SZ_1K, 128 * SZ_1K);
	memblock_free_late(SZ_1M, PAGE_SIZE);
	cr_assert_eq(kmm_report_count(KMM_REPORT_BAD_FREE), bad + 2);
	cr_assert_eq(zone_page_state(dma, NR_FREE_PAGES), free + 128);
	cr_assert(PageReserved(pfn_to_page(0x70)));

	/* The freed pages serve allocations from DMA. */
	struct page *p = alloc_pages(GFP_DMA, 7);
	cr_assert_not_null(p);
	__free_pages(p, 7);
	check_and_shutdown();
}
