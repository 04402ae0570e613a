/* SPDX-License-Identifier: MIT */
/*
 * /proc/meminfo in Linux's format.  Lines for what kmm has no notion of
 * (page cache, swap, anonymous memory, huge pages) print 0, as on a kernel
 * with nothing of that kind in use.  Layers above the page allocator add
 * their figures through kmm_meminfo (vmalloc, per-CPU).
 */
#include <stdio.h>
#include "internal.h"
#include <kmm/vmstat.h>

struct kmm_meminfo kmm_meminfo;

static void show_val_kb(FILE *f, const char *name, unsigned long pages)
{
	fprintf(f, "%-16s%8lu kB\n", name, pages << (PAGE_SHIFT - 10));
}

static void show_kb(FILE *f, const char *name, unsigned long kb)
{
	fprintf(f, "%-16s%8lu kB\n", name, kb);
}

/* Linux's si_mem_available(): what could be had without swapping. */
static long si_mem_available(void)
{
	unsigned long wmark_low = 0;
	struct zone *zone;

	for_each_zone(zone)
		wmark_low += low_wmark_pages(zone);
	long available = (long)global_zone_page_state(NR_FREE_PAGES) - (long)totalreserve_pages;
	/* Page cache: half of it, or all but the low watermarks, is reclaimable. */
	long pagecache = (long)(global_node_page_state(NR_ACTIVE_FILE) +
				global_node_page_state(NR_INACTIVE_FILE));
	pagecache -= min(pagecache / 2, (long)wmark_low);
	available += pagecache;
	long reclaimable = (long)(global_node_page_state(NR_SLAB_RECLAIMABLE_B) +
				  global_node_page_state(NR_KERNEL_MISC_RECLAIMABLE));
	reclaimable -= min(reclaimable / 2, (long)wmark_low);
	available += reclaimable;
	return available < 0 ? 0 : available;
}

/* Linux's vm_commit_limit(): vm.overcommit_ratio 50 of RAM, no hugetlb, no swap. */
static unsigned long vm_commit_limit(void)
{
	return totalram_pages() * 50 / 100;
}

/*
 * Linux 6.18's meminfo_proc_show() for x86 with ZSWAP, TRANSPARENT_HUGEPAGE
 * and HUGETLB_PAGE, without CMA, MEMORY_FAILURE, UNACCEPTED_MEMORY or
 * SHADOW_CALL_STACK, as the reference machine prints it; HIGHMEM on x86_32.
 * Every label is 16 columns wide and every figure at least 8.
 */
void show_meminfo(FILE *f)
{
	unsigned long totalram = totalram_pages(), freeram = global_zone_page_state(NR_FREE_PAGES);
	unsigned long sreclaimable = global_node_page_state(NR_SLAB_RECLAIMABLE_B);
	unsigned long sunreclaim = global_node_page_state(NR_SLAB_UNRECLAIMABLE_B);
	unsigned long active_anon = global_node_page_state(NR_ACTIVE_ANON);
	unsigned long inactive_anon = global_node_page_state(NR_INACTIVE_ANON);
	unsigned long active_file = global_node_page_state(NR_ACTIVE_FILE);
	unsigned long inactive_file = global_node_page_state(NR_INACTIVE_FILE);
	/* No block devices and no swap: no buffers, no swap cache. */
	unsigned long bufferram = 0, swapcache = 0;
	long cached = (long)global_node_page_state(NR_FILE_PAGES) - (long)swapcache -
		      (long)bufferram;
	unsigned long highfree = 0;
	struct zone *zone;

	/* nr_free_highpages() */
	for_each_populated_zone(zone)
		if (is_highmem(zone))
			highfree += zone_page_state(zone, NR_FREE_PAGES);

	show_val_kb(f, "MemTotal:", totalram);
	show_val_kb(f, "MemFree:", freeram);
	show_val_kb(f, "MemAvailable:", (unsigned long)si_mem_available());
	show_val_kb(f, "Buffers:", bufferram);
	show_val_kb(f, "Cached:", cached < 0 ? 0 : (unsigned long)cached);
	show_val_kb(f, "SwapCached:", swapcache);
	show_val_kb(f, "Active:", active_anon + active_file);
	show_val_kb(f, "Inactive:", inactive_anon + inactive_file);
	show_val_kb(f, "Active(anon):", active_anon);
	show_val_kb(f, "Inactive(anon):", inactive_anon);
	show_val_kb(f, "Active(file):", active_file);
	show_val_kb(f, "Inactive(file):", inactive_file);
	show_val_kb(f, "Unevictable:", global_node_page_state(NR_UNEVICTABLE));
	show_val_kb(f, "Mlocked:", global_zone_page_state(NR_MLOCK));
	if (kmm_cfg.arch == KMM_ARCH_X86_32) {
		show_val_kb(f, "HighTotal:", totalhigh_pages());
		show_val_kb(f, "HighFree:", highfree);
		show_val_kb(f, "LowTotal:", totalram - totalhigh_pages());
		show_val_kb(f, "LowFree:", freeram - highfree);
	}
	show_val_kb(f, "SwapTotal:", 0);
	show_val_kb(f, "SwapFree:", 0);
	show_val_kb(f, "Zswap:", 0);
	show_val_kb(f, "Zswapped:", 0);
	show_val_kb(f, "Dirty:", global_node_page_state(NR_FILE_DIRTY));
	show_val_kb(f, "Writeback:", global_node_page_state(NR_WRITEBACK));
	show_val_kb(f, "AnonPages:", global_node_page_state(NR_ANON_MAPPED));
	show_val_kb(f, "Mapped:", global_node_page_state(NR_FILE_MAPPED));
	show_val_kb(f, "Shmem:", global_node_page_state(NR_SHMEM));
	show_val_kb(f, "KReclaimable:", sreclaimable +
		    global_node_page_state(NR_KERNEL_MISC_RECLAIMABLE));
	show_val_kb(f, "Slab:", sreclaimable + sunreclaim);
	show_val_kb(f, "SReclaimable:", sreclaimable);
	show_val_kb(f, "SUnreclaim:", sunreclaim);
	show_kb(f, "KernelStack:", global_node_page_state(NR_KERNEL_STACK_KB));
	show_val_kb(f, "PageTables:", global_node_page_state(NR_PAGETABLE));
	show_val_kb(f, "SecPageTables:", global_node_page_state(NR_SECONDARY_PAGETABLE));
	show_val_kb(f, "NFS_Unstable:", 0);
	show_val_kb(f, "Bounce:", 0);
	show_val_kb(f, "WritebackTmp:", 0);
	show_val_kb(f, "CommitLimit:", vm_commit_limit());
	show_val_kb(f, "Committed_AS:", 0);
	show_kb(f, "VmallocTotal:", (unsigned long)(kmm_meminfo.vmalloc_total >> 10));
	show_val_kb(f, "VmallocUsed:", (unsigned long)atomic_long_read(&kmm_meminfo.vmalloc_pages));
	show_val_kb(f, "VmallocChunk:", 0);
	show_val_kb(f, "Percpu:", (unsigned long)atomic_long_read(&kmm_meminfo.percpu_pages));
	show_val_kb(f, "AnonHugePages:", global_node_page_state(NR_ANON_THPS));
	show_val_kb(f, "ShmemHugePages:", global_node_page_state(NR_SHMEM_THPS));
	show_val_kb(f, "ShmemPmdMapped:", global_node_page_state(NR_SHMEM_PMDMAPPED));
	show_val_kb(f, "FileHugePages:", global_node_page_state(NR_FILE_THPS));
	show_val_kb(f, "FilePmdMapped:", global_node_page_state(NR_FILE_PMDMAPPED));
	show_val_kb(f, "Balloon:", global_node_page_state(NR_BALLOON_PAGES));
	/* hugetlb_report_meminfo(): the default hstate, then all hstates' total. */
	fprintf(f, "HugePages_Total:   %5lu\n", 0UL);
	fprintf(f, "HugePages_Free:    %5lu\n", 0UL);
	fprintf(f, "HugePages_Rsvd:    %5lu\n", 0UL);
	fprintf(f, "HugePages_Surp:    %5lu\n", 0UL);
	show_kb(f, "Hugepagesize:", kmm_cfg.arch == KMM_ARCH_X86_32 ? 4096 : 2048);
	show_kb(f, "Hugetlb:", 0);
	/* arch_report_meminfo(): two-level x86_32 maps 4M pages; x86_64 has gbpages. */
	show_kb(f, "DirectMap4k:", (unsigned long)(PFN_PHYS(max_low_pfn) >> 10));
	if (kmm_cfg.arch == KMM_ARCH_X86_32)
		show_kb(f, "DirectMap4M:", 0);
	else {
		show_kb(f, "DirectMap2M:", 0);
		show_kb(f, "DirectMap1G:", 0);
	}
}
