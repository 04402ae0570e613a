/* SPDX-License-Identifier: MIT */
/*
 * The vm statistics, each listed once with the name /proc prints for it.
 * The enums in vmstat.h and the name tables in vmstat.c are generated from
 * these lists, so a counter and its name cannot drift apart.  The names and
 * their order are Linux 6.18's, which /proc prints in enum order, for the
 * config described above KMM_VM_EVENT_ITEMS: ZSMALLOC (nr_zspages), no
 * UNACCEPTED_MEMORY (no nr_unaccepted), no SHADOW_CALL_STACK, IOMMU_SUPPORT,
 * SWAP and HUGETLB_PAGE; numa_* and pgpromote_* need NUMA, which Linux 6.18
 * offers on x86_64 only, so the views leave them out on a one-node x86_32.
 */
#ifndef KMM_VMSTAT_ITEMS_H
#define KMM_VMSTAT_ITEMS_H

#pragma GCC visibility push(default)

/* Per zone. */
#define KMM_ZONE_STAT_ITEMS(X)					\
	X(NR_FREE_PAGES, "nr_free_pages")			\
	X(NR_FREE_PAGES_BLOCKS, "nr_free_pages_blocks")		\
	X(NR_ZONE_INACTIVE_ANON, "nr_zone_inactive_anon")	\
	X(NR_ZONE_ACTIVE_ANON, "nr_zone_active_anon")		\
	X(NR_ZONE_INACTIVE_FILE, "nr_zone_inactive_file")	\
	X(NR_ZONE_ACTIVE_FILE, "nr_zone_active_file")		\
	X(NR_ZONE_UNEVICTABLE, "nr_zone_unevictable")		\
	X(NR_ZONE_WRITE_PENDING, "nr_zone_write_pending")	\
	X(NR_MLOCK, "nr_mlock")					\
	X(NR_ZSPAGES, "nr_zspages")				\
	X(NR_FREE_CMA_PAGES, "nr_free_cma")

/* NUMA placement events, per zone. */
#define KMM_NUMA_STAT_ITEMS(X)					\
	X(NUMA_HIT, "numa_hit")					\
	X(NUMA_MISS, "numa_miss")				\
	X(NUMA_FOREIGN, "numa_foreign")				\
	X(NUMA_INTERLEAVE_HIT, "numa_interleave")		\
	X(NUMA_LOCAL, "numa_local")				\
	X(NUMA_OTHER, "numa_other")

/* Per node. */
#define KMM_NODE_STAT_ITEMS(X)					\
	X(NR_INACTIVE_ANON, "nr_inactive_anon")			\
	X(NR_ACTIVE_ANON, "nr_active_anon")			\
	X(NR_INACTIVE_FILE, "nr_inactive_file")			\
	X(NR_ACTIVE_FILE, "nr_active_file")			\
	X(NR_UNEVICTABLE, "nr_unevictable")			\
	X(NR_SLAB_RECLAIMABLE_B, "nr_slab_reclaimable")		\
	X(NR_SLAB_UNRECLAIMABLE_B, "nr_slab_unreclaimable")	\
	X(NR_ISOLATED_ANON, "nr_isolated_anon")			\
	X(NR_ISOLATED_FILE, "nr_isolated_file")			\
	X(WORKINGSET_NODES, "workingset_nodes")			\
	X(WORKINGSET_REFAULT_ANON, "workingset_refault_anon")	\
	X(WORKINGSET_REFAULT_FILE, "workingset_refault_file")	\
	X(WORKINGSET_ACTIVATE_ANON, "workingset_activate_anon")	\
	X(WORKINGSET_ACTIVATE_FILE, "workingset_activate_file")	\
	X(WORKINGSET_RESTORE_ANON, "workingset_restore_anon")	\
	X(WORKINGSET_RESTORE_FILE, "workingset_restore_file")	\
	X(WORKINGSET_NODERECLAIM, "workingset_nodereclaim")	\
	X(NR_ANON_MAPPED, "nr_anon_pages")			\
	X(NR_FILE_MAPPED, "nr_mapped")				\
	X(NR_FILE_PAGES, "nr_file_pages")			\
	X(NR_FILE_DIRTY, "nr_dirty")				\
	X(NR_WRITEBACK, "nr_writeback")				\
	X(NR_SHMEM, "nr_shmem")					\
	X(NR_SHMEM_THPS, "nr_shmem_hugepages")			\
	X(NR_SHMEM_PMDMAPPED, "nr_shmem_pmdmapped")		\
	X(NR_FILE_THPS, "nr_file_hugepages")			\
	X(NR_FILE_PMDMAPPED, "nr_file_pmdmapped")		\
	X(NR_ANON_THPS, "nr_anon_transparent_hugepages")	\
	X(NR_VMSCAN_WRITE, "nr_vmscan_write")			\
	X(NR_VMSCAN_IMMEDIATE, "nr_vmscan_immediate_reclaim")	\
	X(NR_DIRTIED, "nr_dirtied")				\
	X(NR_WRITTEN, "nr_written")				\
	X(NR_THROTTLED_WRITTEN, "nr_throttled_written")		\
	X(NR_KERNEL_MISC_RECLAIMABLE, "nr_kernel_misc_reclaimable") \
	X(NR_FOLL_PIN_ACQUIRED, "nr_foll_pin_acquired")		\
	X(NR_FOLL_PIN_RELEASED, "nr_foll_pin_released")		\
	X(NR_KERNEL_STACK_KB, "nr_kernel_stack")		\
	X(NR_PAGETABLE, "nr_page_table_pages")			\
	X(NR_SECONDARY_PAGETABLE, "nr_sec_page_table_pages")	\
	X(NR_IOMMU_PAGES, "nr_iommu_pages")			\
	X(NR_SWAPCACHE, "nr_swapcached")			\
	X(PGPROMOTE_SUCCESS, "pgpromote_success")		\
	X(PGPROMOTE_CANDIDATE, "pgpromote_candidate")		\
	X(PGPROMOTE_CANDIDATE_NRL, "pgpromote_candidate_nrl")	\
	X(PGDEMOTE_KSWAPD, "pgdemote_kswapd")			\
	X(PGDEMOTE_DIRECT, "pgdemote_direct")			\
	X(PGDEMOTE_KHUGEPAGED, "pgdemote_khugepaged")		\
	X(PGDEMOTE_PROACTIVE, "pgdemote_proactive")		\
	X(NR_HUGETLB, "nr_hugetlb")				\
	X(NR_BALLOON_PAGES, "nr_balloon_pages")			\
	X(NR_KERNEL_FILE_PAGES, "nr_kernel_file_pages")

/*
 * System-wide figures that are not counters: computed when /proc/vmstat is
 * read (enum vm_stat_item in Linux).
 */
#define KMM_VM_STAT_ITEMS(X)					\
	X(NR_DIRTY_THRESHOLD, "nr_dirty_threshold")		\
	X(NR_DIRTY_BG_THRESHOLD, "nr_dirty_background_threshold") \
	X(NR_MEMMAP_PAGES, "nr_memmap_pages")			\
	X(NR_MEMMAP_BOOT_PAGES, "nr_memmap_boot_pages")

/*
 * Events, per CPU, summed when read.  The zone-indexed ones come in blocks
 * of MAX_NR_ZONES in zone order (pgalloc_dma, pgalloc_dma32, ...); /proc/vmstat
 * prints only the entries of the zones the arch configures.
 *
 * The list is Linux 6.18's enum vm_event_item, in its order, for the config
 * kmm models (x86 with ZONE_DMA, ZONE_DMA32 and ZONE_DEVICE on x86_64,
 * HIGHMEM on x86_32; NUMA, NUMA_BALANCING and a PUD-sized THP on x86_64 only;
 * MIGRATION, COMPACTION, HUGETLB_PAGE, TRANSPARENT_HUGEPAGE, MEMORY_BALLOON
 * with BALLOON_COMPACTION, SWAP, KSM, ZSWAP; no CMA, DEBUG_TLBFLUSH,
 * PER_VMA_LOCK_STATS or DEBUG_STACK_USAGE).  The view leaves out what the
 * running arch does not configure (see vm_event_shown() in proc.c).
 * Events kmm does not simulate stay 0, as on an idle kernel.
 *
 * kmm's own events come last and are named "kmm_*": /proc/vmstat does not
 * print them (Linux has no such lines); read them with vm_event_total().
 */
#define KMM_ZONE_EVENT(X, base, name)				\
	X(base##_DMA, name "_dma")				\
	X(base##_DMA32, name "_dma32")				\
	X(base##_NORMAL, name "_normal")			\
	X(base##_HIGH, name "_high")				\
	X(base##_MOVABLE, name "_movable")			\
	X(base##_DEVICE, name "_device")

#define KMM_VM_EVENT_ITEMS(X)					\
	X(PGPGIN, "pgpgin")					\
	X(PGPGOUT, "pgpgout")					\
	X(PSWPIN, "pswpin")					\
	X(PSWPOUT, "pswpout")					\
	KMM_ZONE_EVENT(X, PGALLOC, "pgalloc")			\
	KMM_ZONE_EVENT(X, ALLOCSTALL, "allocstall")		\
	KMM_ZONE_EVENT(X, PGSCAN_SKIP, "pgskip")		\
	X(PGFREE, "pgfree")					\
	X(PGACTIVATE, "pgactivate")				\
	X(PGDEACTIVATE, "pgdeactivate")				\
	X(PGLAZYFREE, "pglazyfree")				\
	X(PGFAULT, "pgfault")					\
	X(PGMAJFAULT, "pgmajfault")				\
	X(PGLAZYFREED, "pglazyfreed")				\
	X(PGREFILL, "pgrefill")					\
	X(PGREUSE, "pgreuse")					\
	X(PGSTEAL_KSWAPD, "pgsteal_kswapd")			\
	X(PGSTEAL_DIRECT, "pgsteal_direct")			\
	X(PGSTEAL_KHUGEPAGED, "pgsteal_khugepaged")		\
	X(PGSTEAL_PROACTIVE, "pgsteal_proactive")		\
	X(PGSCAN_KSWAPD, "pgscan_kswapd")			\
	X(PGSCAN_DIRECT, "pgscan_direct")			\
	X(PGSCAN_KHUGEPAGED, "pgscan_khugepaged")		\
	X(PGSCAN_PROACTIVE, "pgscan_proactive")			\
	X(PGSCAN_DIRECT_THROTTLE, "pgscan_direct_throttle")	\
	X(PGSCAN_ANON, "pgscan_anon")				\
	X(PGSCAN_FILE, "pgscan_file")				\
	X(PGSTEAL_ANON, "pgsteal_anon")				\
	X(PGSTEAL_FILE, "pgsteal_file")				\
	X(PGSCAN_ZONE_RECLAIM_SUCCESS, "zone_reclaim_success")	\
	X(PGSCAN_ZONE_RECLAIM_FAILED, "zone_reclaim_failed")	\
	X(PGINODESTEAL, "pginodesteal")				\
	X(SLABS_SCANNED, "slabs_scanned")			\
	X(KSWAPD_INODESTEAL, "kswapd_inodesteal")		\
	X(KSWAPD_LOW_WMARK_HIT_QUICKLY, "kswapd_low_wmark_hit_quickly") \
	X(KSWAPD_HIGH_WMARK_HIT_QUICKLY, "kswapd_high_wmark_hit_quickly") \
	X(PAGEOUTRUN, "pageoutrun")				\
	X(PGROTATED, "pgrotated")				\
	X(DROP_PAGECACHE, "drop_pagecache")			\
	X(DROP_SLAB, "drop_slab")				\
	X(OOM_KILL, "oom_kill")					\
	X(NUMA_PTE_UPDATES, "numa_pte_updates")			\
	X(NUMA_HUGE_PTE_UPDATES, "numa_huge_pte_updates")	\
	X(NUMA_HINT_FAULTS, "numa_hint_faults")			\
	X(NUMA_HINT_FAULTS_LOCAL, "numa_hint_faults_local")	\
	X(NUMA_PAGE_MIGRATE, "numa_pages_migrated")		\
	X(PGMIGRATE_SUCCESS, "pgmigrate_success")		\
	X(PGMIGRATE_FAIL, "pgmigrate_fail")			\
	X(THP_MIGRATION_SUCCESS, "thp_migration_success")	\
	X(THP_MIGRATION_FAIL, "thp_migration_fail")		\
	X(THP_MIGRATION_SPLIT, "thp_migration_split")		\
	X(COMPACTMIGRATE_SCANNED, "compact_migrate_scanned")	\
	X(COMPACTFREE_SCANNED, "compact_free_scanned")		\
	X(COMPACTISOLATED, "compact_isolated")			\
	X(COMPACTSTALL, "compact_stall")			\
	X(COMPACTFAIL, "compact_fail")				\
	X(COMPACTSUCCESS, "compact_success")			\
	X(KCOMPACTD_WAKE, "compact_daemon_wake")		\
	X(KCOMPACTD_MIGRATE_SCANNED, "compact_daemon_migrate_scanned") \
	X(KCOMPACTD_FREE_SCANNED, "compact_daemon_free_scanned") \
	X(HTLB_BUDDY_PGALLOC, "htlb_buddy_alloc_success")	\
	X(HTLB_BUDDY_PGALLOC_FAIL, "htlb_buddy_alloc_fail")	\
	X(UNEVICTABLE_PGCULLED, "unevictable_pgs_culled")	\
	X(UNEVICTABLE_PGSCANNED, "unevictable_pgs_scanned")	\
	X(UNEVICTABLE_PGRESCUED, "unevictable_pgs_rescued")	\
	X(UNEVICTABLE_PGMLOCKED, "unevictable_pgs_mlocked")	\
	X(UNEVICTABLE_PGMUNLOCKED, "unevictable_pgs_munlocked") \
	X(UNEVICTABLE_PGCLEARED, "unevictable_pgs_cleared")	\
	X(UNEVICTABLE_PGSTRANDED, "unevictable_pgs_stranded")	\
	X(THP_FAULT_ALLOC, "thp_fault_alloc")			\
	X(THP_FAULT_FALLBACK, "thp_fault_fallback")		\
	X(THP_FAULT_FALLBACK_CHARGE, "thp_fault_fallback_charge") \
	X(THP_COLLAPSE_ALLOC, "thp_collapse_alloc")		\
	X(THP_COLLAPSE_ALLOC_FAILED, "thp_collapse_alloc_failed") \
	X(THP_FILE_ALLOC, "thp_file_alloc")			\
	X(THP_FILE_FALLBACK, "thp_file_fallback")		\
	X(THP_FILE_FALLBACK_CHARGE, "thp_file_fallback_charge")	\
	X(THP_FILE_MAPPED, "thp_file_mapped")			\
	X(THP_SPLIT_PAGE, "thp_split_page")			\
	X(THP_SPLIT_PAGE_FAILED, "thp_split_page_failed")	\
	X(THP_DEFERRED_SPLIT_PAGE, "thp_deferred_split_page")	\
	X(THP_UNDERUSED_SPLIT_PAGE, "thp_underused_split_page")	\
	X(THP_SPLIT_PMD, "thp_split_pmd")			\
	X(THP_SCAN_EXCEED_NONE_PTE, "thp_scan_exceed_none_pte")	\
	X(THP_SCAN_EXCEED_SWAP_PTE, "thp_scan_exceed_swap_pte")	\
	X(THP_SCAN_EXCEED_SHARED_PTE, "thp_scan_exceed_share_pte") \
	X(THP_SPLIT_PUD, "thp_split_pud")			\
	X(THP_ZERO_PAGE_ALLOC, "thp_zero_page_alloc")		\
	X(THP_ZERO_PAGE_ALLOC_FAILED, "thp_zero_page_alloc_failed") \
	X(THP_SWPOUT, "thp_swpout")				\
	X(THP_SWPOUT_FALLBACK, "thp_swpout_fallback")		\
	X(BALLOON_INFLATE, "balloon_inflate")			\
	X(BALLOON_DEFLATE, "balloon_deflate")			\
	X(BALLOON_MIGRATE, "balloon_migrate")			\
	X(SWAP_RA, "swap_ra")					\
	X(SWAP_RA_HIT, "swap_ra_hit")				\
	X(SWPIN_ZERO, "swpin_zero")				\
	X(SWPOUT_ZERO, "swpout_zero")				\
	X(KSM_SWPIN_COPY, "ksm_swpin_copy")			\
	X(COW_KSM, "cow_ksm")					\
	X(ZSWPIN, "zswpin")					\
	X(ZSWPOUT, "zswpout")					\
	X(ZSWPWB, "zswpwb")					\
	X(DIRECT_MAP_LEVEL2_SPLIT, "direct_map_level2_splits")	\
	X(DIRECT_MAP_LEVEL3_SPLIT, "direct_map_level3_splits")	\
	X(DIRECT_MAP_LEVEL2_COLLAPSE, "direct_map_level2_collapses") \
	X(DIRECT_MAP_LEVEL3_COLLAPSE, "direct_map_level3_collapses") \
	X(PGALLOC_FAIL, "kmm_pgalloc_fail")			\
	X(PGALLOC_BULK, "kmm_pgalloc_bulk")			\
	X(PGDEFERRED_INIT, "kmm_deferred_init_pages")

#pragma GCC visibility pop

#endif /* KMM_VMSTAT_ITEMS_H */
