/* SPDX-License-Identifier: MIT */
/*
 * The vm statistics, each listed once with the name /proc prints for it.
 * The enums in vmstat.h and the name tables in vmstat.c are generated from
 * these lists, so a counter and its name cannot drift apart.  The names and
 * their order are Linux 6.x's.
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
 * Events, per CPU, summed when read.  The zone-indexed ones come in blocks
 * of MAX_NR_ZONES in zone order (pgalloc_dma, pgalloc_dma32, ...).
 */
#define KMM_ZONE_EVENT(X, base, name)				\
	X(base##_DMA, name "_dma")				\
	X(base##_DMA32, name "_dma32")				\
	X(base##_NORMAL, name "_normal")			\
	X(base##_HIGH, name "_high")				\
	X(base##_MOVABLE, name "_movable")			\
	X(base##_DEVICE, name "_device")

#define KMM_VM_EVENT_ITEMS(X)					\
	KMM_ZONE_EVENT(X, PGALLOC, "pgalloc")			\
	KMM_ZONE_EVENT(X, ALLOCSTALL, "allocstall")		\
	X(PGFREE, "pgfree")					\
	X(PGSTEAL_KSWAPD, "pgsteal_kswapd")			\
	X(PGSTEAL_DIRECT, "pgsteal_direct")			\
	X(PGSCAN_KSWAPD, "pgscan_kswapd")			\
	X(PGSCAN_DIRECT, "pgscan_direct")			\
	X(SLABS_SCANNED, "slabs_scanned")			\
	X(KSWAPD_LOW_WMARK_HIT_QUICKLY, "kswapd_low_wmark_hit_quickly") \
	X(KSWAPD_HIGH_WMARK_HIT_QUICKLY, "kswapd_high_wmark_hit_quickly") \
	X(PAGEOUTRUN, "pageoutrun")				\
	X(DROP_SLAB, "drop_slab")				\
	X(OOM_KILL, "oom_kill")					\
	X(PGALLOC_FAIL, "kmm_pgalloc_fail")			\
	X(PGALLOC_BULK, "kmm_pgalloc_bulk")			\
	X(PGDEFERRED_INIT, "kmm_deferred_init_pages")

#pragma GCC visibility pop

#endif /* KMM_VMSTAT_ITEMS_H */
