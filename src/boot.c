/* SPDX-License-Identifier: MIT */
/*
 * Booting and shutting down the machine.
 *
 * kmm_boot() does what a kernel's start_kernel() does for memory: read the
 * command line and the e820 map, create the RAM and map lowmem at
 * PAGE_OFFSET, let memblock place the boot structures, build nodes, zones
 * and mem_map, free the rest into the buddy allocator, compute watermarks,
 * reserves and per-CPU batches, and ready the rcu_sched thread and kswapd
 * (each started when first needed: platform.h, plat_lazy_start()).
 * Any failure undoes what was done; kmm_shutdown() undoes all of it (after
 * running the RCU callbacks still queued), so a process can boot again.
 *
 * The kernel window, per arch (addresses are host addresses; "PAGE_OFFSET"
 * is the window's start):
 *
 *   x86_32: the 1 GiB of a 32-bit kernel's fourth gigabyte
 *           [PAGE_OFFSET, high_memory)   lowmem, at most 896 MiB
 *           [high_memory, +1 GiB)        vmalloc, pkmap, fixmap
 *   x86_64: [PAGE_OFFSET, +RAM)          the direct map of all RAM
 *           then a 1 GiB hole and the vmalloc area
 * (pgtable.c draws the whole picture).
 */
#include "kmemleak.h"
#include "internal.h"
#include "kfence.h"
#include <kmm/vmstat.h>

bool kmm_machine_up;
static void *window_base;
static size_t window_size;
static bool ram_created, cpus_created;

#define X86_32_WINDOW		SZ_1G
#define X86_32_VMALLOC_RESERVE	(128 * SZ_1M)
#define X86_32_MAX_MEM		(64ULL * SZ_1G)		/* PAE */

enum kmm_arch kmm_arch(void)
{
	return kmm_cfg.arch;
}

bool kmm_booted(void)
{
	return kmm_machine_up;
}

static u64 x86_32_lowmem_limit(void)
{
	u64 reserve = X86_32_VMALLOC_RESERVE;

	/* vmalloc=SIZE takes its size (and the 8 MiB hole) out of lowmem. */
	if (kmm_cfg.vmalloc_size)
		reserve = kmm_cfg.vmalloc_size + 8 * SZ_1M;
	if (reserve > X86_32_WINDOW - 64 * SZ_1M)
		reserve = X86_32_WINDOW - 64 * SZ_1M;
	return ALIGN_DOWN(X86_32_WINDOW - reserve, (u64)4 * SZ_1M);
}

static void teardown(void)
{
	kmemleak_exit();
	/* Kernel threads first: they may use anything below. */
	kthreads_exit();
	/* Pending callbacks free into the machine: run them while it is whole. */
	rcu_exit();
	for (int nid = 0; nid < MAX_NUMNODES; nid++)
		if (node_data[nid])
			kswapd_stop(nid);
	kfence_exit();
	kmm_machine_up = false;
	kmm_fault_exit();
	percpu_exit();
	kstack_exit();
	vmalloc_exit();
	highmem_exit();
	kmem_cache_exit();
	shrinkers_exit();
	oom_exit();
	mm_core_exit();
	stack_depot_exit();
	memblock_reset();
	pgtable_exit();
	fault_inject_exit();
	if (window_base)
		plat_window_release(window_base, window_size);
	window_base = NULL;
	window_size = 0;
	kmm_page_offset = 0;
	high_memory = NULL;
	max_pfn = max_low_pfn = 0;
	if (ram_created)
		plat_ram_destroy();
	ram_created = false;
	if (cpus_created)
		kmm_cpus_exit();
	cpus_created = false;
}

static int setup_window(u64 ram_end)
{
	u64 direct = kmm_cfg.arch == KMM_ARCH_X86_32 ? PFN_PHYS(max_low_pfn) : ram_end;

	window_size = kmm_window_size(ram_end, 0);
	/* VMALLOC_OFFSET alignment keeps the arch's alignments of the layout. */
	window_base = plat_window_reserve(window_size, VMALLOC_OFFSET);
	if (!window_base && kmm_cfg.arch == KMM_ARCH_X86_64 && !kmm_cfg.vmalloc_size &&
	    kmm_vmalloc_default_size() > X86_64_FALLBACK_VMALLOC) {
		/* Valgrind, or a ulimit -v: no room for Linux's size (pgtable.c). */
		u64 want = window_size;
		window_size = kmm_window_size(ram_end, X86_64_FALLBACK_VMALLOC);
		window_base = plat_window_reserve(window_size, VMALLOC_OFFSET);
		if (window_base)
			pr_info("kmm: the host refused %llu GiB of address space for the kernel window: "
				"vmalloc area of %llu GiB (vmalloc= sets it)\n",
				(unsigned long long)(want >> 30),
				(unsigned long long)(X86_64_FALLBACK_VMALLOC >> 30));
	}
	if (!window_base) {
		pr_err("kmm: cannot reserve %zu MiB of address space for the kernel window\n",
		       window_size >> 20);
		return -ENOMEM;
	}
	kmm_page_offset = (unsigned long)window_base;
	int err = plat_map_direct(window_base, direct, PLAT_PROT_READ | PLAT_PROT_WRITE,
				  kmm_cfg.ram_anon);
	if (err && kmm_cfg.ram_anon) {
		/* A private mapping is charged to the host's commit limit (vm.overcommit_memory=2). */
		pr_info("kmm: ram=anon: the host refused %llu MiB of private memory (%d): "
			"the direct map is the RAM file\n", (unsigned long long)(direct >> 20), err);
		kmm_cfg.ram_anon = false;
		err = plat_map_direct(window_base, direct, PLAT_PROT_READ | PLAT_PROT_WRITE, false);
	}
	if (err) {
		pr_err("kmm: cannot map lowmem: %d\n", err);
		return err;
	}
	high_memory = (char *)window_base + PFN_PHYS(max_low_pfn);
	return pgtable_init((unsigned long)window_base, window_size, ram_end);
}

/* Linux's mem_init_print_info() layout lines, in 32-bit addresses. */
static void print_x86_32_layout(void)
{
	unsigned long base = PAGE_OFFSET, va = 0xC0000000UL;
#define V(x) ((unsigned long)(x) - base + va)
#define LINE(name, s, e, unit, sh) pr_info("    " name " : 0x%08lx - 0x%08lx   (%4ld " unit ")\n", \
				       V(s), V(e), (long)(((e) - (s)) >> (sh)))
	pr_info("virtual kernel memory layout:\n");
	LINE("fixmap ", FIXADDR_START, FIXADDR_TOP, "kB", 10);
	LINE("pkmap  ", PKMAP_BASE, PKMAP_ADDR(LAST_PKMAP), "kB", 10);
	LINE("vmalloc", VMALLOC_START, VMALLOC_END, "MB", 20);
	LINE("lowmem ", base, (unsigned long)high_memory, "MB", 20);
#undef LINE
#undef V
}

static void print_memory_line(void)
{
	unsigned long physpages = 0;
	struct zone *zone;

	for_each_zone(zone)
		physpages += zone->present_pages;
	unsigned long avail = totalram_pages();
	pr_info("Memory: %luK/%luK available (0K kernel code, 0K rwdata, 0K rodata, 0K init, 0K bss, %luK reserved, 0K cma-reserved%s",
		avail << (PAGE_SHIFT - 10), physpages << (PAGE_SHIFT - 10),
		(physpages - avail) << (PAGE_SHIFT - 10),
		kmm_cfg.arch == KMM_ARCH_X86_32 ? "" : ")\n");
	if (kmm_cfg.arch == KMM_ARCH_X86_32)
		pr_cont(", %luK highmem)\n", totalhigh_pages() << (PAGE_SHIFT - 10));
}

static int boot_memory(void)
{
	u64 ram_end = e820_end_of_ram();
	u64 ram_top = 0;
	int err;

	for (unsigned int i = 0; i < e820_table.nr_entries; i++) {
		struct e820_entry *e = &e820_table.entries[i];
		if (e->type != E820_TYPE_RAM)
			continue;
		u64 s = PAGE_ALIGN(e->addr), end = (e->addr + e->size) & PAGE_MASK;
		if (s < end && memblock_add(s, end - s))
			return -ENOSPC;
		ram_top = max(ram_top, end);
	}
	if (kmm_cfg.arch == KMM_ARCH_X86_32 && ram_top > X86_32_MAX_MEM) {
		pr_err("kmm: x86_32 (PAE) addresses at most 64 GiB; mem= is larger\n");
		return -EINVAL;
	}
	max_pfn = PFN_DOWN(ram_top);
	max_low_pfn = max_pfn;
	if (kmm_cfg.arch == KMM_ARCH_X86_32) {
		u64 lim = x86_32_lowmem_limit();
		max_low_pfn = min(max_pfn, PFN_DOWN(lim));
		if (max_pfn > max_low_pfn)
			pr_info("%lluMB HIGHMEM available.\n",
				(unsigned long long)PFN_PHYS(max_pfn - max_low_pfn) >> 20);
		pr_info("%lluMB LOWMEM available.\n",
			(unsigned long long)PFN_PHYS(max_low_pfn) >> 20);
	}
	err = plat_ram_create(ram_end);
	if (err) {
		pr_err("kmm: cannot create %llu MiB of RAM: %d\n",
		       (unsigned long long)(ram_end >> 20), err);
		return err;
	}
	ram_created = true;
	memblock_set_ram_zeroed();
	if ((err = setup_window(ram_end)))
		return err;
	/* As Linux on x86: the first megabyte stays with the firmware. */
	memblock_reserve(0, SZ_1M);
	memblock_set_current_limit(PFN_PHYS(max_low_pfn));
	return 0;
}

int kmm_boot(const char *cmdline)
{
	struct zone *zone;
	int err;

	if (kmm_machine_up)
		return -EBUSY;
	if (current->preempt_count)
		return -EBUSY;
	err = kmm_parse_cmdline(cmdline, &kmm_cfg);
	kmm_log_init(kmm_cfg.loglevel);
	kmm_panic_on_warn = kmm_cfg.panic_on_warn;
	if (err)
		return err;
	pr_info("Linux version 6.18.0-kmm (kmm) #1 SMP\n");
	pr_info("Command line: %s\n", cmdline ? cmdline : "");
	memblock_reset();
	vmstat_init();
	if ((err = kmm_cpus_init(kmm_cfg.cpus)))
		goto fail;
	cpus_created = true;
	if ((err = e820_setup(&kmm_cfg)))
		goto fail;
	if ((err = boot_memory()))
		goto fail;
	gfp_zone_init();
	kmemleak_init();
	if ((err = mm_core_init()))
		goto fail;
	mem_debugging_init();
	kfence_alloc_pool();
	memblock_free_all();
	kmm_machine_up = true;
	build_all_zonelists();
	report_meminit();

	user_min_free_kbytes = (int)kmm_cfg.min_free_kbytes;
	watermark_scale_factor = (int)kmm_cfg.watermark_scale_factor;
	memcpy(sysctl_lowmem_reserve_ratio, kmm_cfg.lowmem_reserve_ratio,
	       sizeof(sysctl_lowmem_reserve_ratio));
	kmm_calculate_min_free_kbytes();
	setup_per_zone_wmarks();
	setup_per_zone_lowmem_reserve();
	for_each_zone(zone)
		setup_zone_pageset(zone);
	refresh_zone_stat_thresholds();
	print_memory_line();
	if ((err = kmem_cache_init()))
		goto fail;
	if ((err = rcu_init()))
		goto fail;
	if ((err = pgtable_late_init()))
		goto fail;
	if ((err = highmem_init()))
		goto fail;
	if ((err = vmalloc_init()))
		goto fail;
	if ((err = kstack_init()))
		goto fail;
	kmm_fault_init();
	kfence_init();
	if ((err = setup_per_cpu_areas()))
		goto fail;
	if (kmm_cfg.arch == KMM_ARCH_X86_32)
		print_x86_32_layout();
	for (int nid = 0; nid < nr_online_nodes; nid++)
		if ((err = kswapd_run(nid)))
			goto fail;
	kmemleak_late_init();
	return 0;
fail:
	teardown();
	return err < 0 ? err : -EINVAL;
}

void kmm_shutdown(void)
{
	if (!kmm_machine_up && !window_base && !ram_created)
		return;
	teardown();
}
