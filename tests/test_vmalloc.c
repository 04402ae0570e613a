/* SPDX-License-Identifier: MIT */
/*
 * The kernel address space: the layouts, the page table and its host
 * mirror, vmalloc/vfree/vmap/vunmap, the vm_struct API, guard pages, lazy
 * purging, /proc/vmallocinfo and meminfo, and the bad-input cases.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include "helpers.h"
#include "vmalloc.h"
#include "platform/platform.h"
#include <setjmp.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

Test(vmalloc, layout_x86_32)
{
	boot_or_die("arch=x86_32 mem=2G cpus=2");
	unsigned long lowmem = (unsigned long)high_memory - PAGE_OFFSET;
	cr_assert_eq(lowmem, 896UL << 20);
	cr_assert_eq(VMALLOC_START, PAGE_OFFSET + (904UL << 20));
	cr_assert_lt(VMALLOC_END, PKMAP_BASE);
	cr_assert_eq(VMALLOC_END, PKMAP_BASE - 2 * PAGE_SIZE);
	cr_assert_eq((PKMAP_BASE - PAGE_OFFSET) % PMD_SIZE, 0);
	cr_assert_leq(PKMAP_ADDR(LAST_PKMAP), FIXADDR_START);
	cr_assert_eq(FIXADDR_TOP, PAGE_OFFSET + (1UL << 30) - PAGE_SIZE);
	cr_assert_eq(fix_to_virt(FIX_KMAP_END), FIXADDR_START + PAGE_SIZE);
	cr_assert_eq(kmm_pgtable_levels, 2);
	cr_assert_eq(meminfo_kb("VmallocTotal:"), (VMALLOC_END - VMALLOC_START) >> 10);
	/* The kmap slots' tables exist from boot, counted as PageTables. */
	cr_assert_geq(meminfo_kb("PageTables:"), 3 * 4);
	cr_assert(dmesg_has("virtual kernel memory layout:"));
	cr_assert(dmesg_has("    vmalloc : 0xf8800000 - "));
	check_and_shutdown();
}

/* vmalloc= sizes the area and lowmem shrinks to make room, as Linux's MAXMEM. */
Test(vmalloc, vmalloc_option_shrinks_lowmem)
{
	boot_or_die("arch=x86_32 mem=2G vmalloc=256M");
	cr_assert_eq((unsigned long)high_memory - PAGE_OFFSET, 760UL << 20);
	cr_assert_eq(VMALLOC_START, PAGE_OFFSET + (768UL << 20));
	cr_assert_geq(VMALLOC_END - VMALLOC_START, 240UL << 20);
	void *p = vmalloc(200UL << 20);
	cr_assert_not_null(p);
	vfree(p);
	check_and_shutdown();
}

Test(vmalloc, layout_x86_64)
{
	boot_or_die("mem=1G");
	cr_assert_eq(kmm_pgtable_levels, 4);
	cr_assert_eq(VMALLOC_START, PAGE_OFFSET + (2UL << 30));
#ifdef KMM_TSAN
	unsigned long size = 32UL << 30;	/* pgtable.c: TSan's address space */
#else
	unsigned long size = 32UL << 40;	/* Linux's, of 4-level paging */
#endif
	cr_assert_eq(VMALLOC_END - VMALLOC_START, size - 1);
	cr_assert_eq(meminfo_kb("VmallocTotal:"), (size - 1) >> 10);
	cr_assert(!dmesg_has("virtual kernel memory layout"));
	check_and_shutdown();
}

/* A host that refuses 32 TiB of address space gets the 32 GiB fallback. */
Test(vmalloc, layout_x86_64_fallback)
{
#ifdef KMM_TSAN
	cr_skip_test("ThreadSanitizer builds default to 32 GiB");
#endif
	unsigned long pages = 0;
	FILE *f = fopen("/proc/self/statm", "r");
	cr_assert(f && fscanf(f, "%lu", &pages) == 1);
	fclose(f);
	/* What the process holds now, and 16 TiB more: not the window's 32. */
	struct rlimit lim = { .rlim_cur = pages * 4096 + (16UL << 40), .rlim_max = RLIM_INFINITY };
	cr_assert_eq(setrlimit(RLIMIT_AS, &lim), 0);
	boot_or_die("mem=1G");
	cr_assert_eq(VMALLOC_END - VMALLOC_START, (32UL << 30) - 1);
	cr_assert(dmesg_has("the host refused 32770 GiB of address space for the kernel window: "
			    "vmalloc area of 32 GiB"));
	void *p = vmalloc(1 << 20);
	cr_assert_not_null(p);
	vfree(p);
	check_and_shutdown();
}

static void basic(const char *cmdline, bool expect_high)
{
	boot_or_die(cmdline);
	unsigned long pt0 = meminfo_kb("PageTables:");
	char *p = vmalloc(3 * PAGE_SIZE + 1);
	cr_assert_not_null(p);
	cr_assert(is_vmalloc_addr(p));
	cr_assert(!is_vmalloc_addr(page_address(alloc_page(GFP_KERNEL))));
	struct vm_struct *vm = find_vm_area(p + PAGE_SIZE);
	cr_assert_not_null(vm);
	cr_assert_eq(vm->addr, p);
	cr_assert_eq(vm->size, 5 * PAGE_SIZE, "4 pages and the guard page");
	cr_assert_eq(vm->nr_pages, 4);
	cr_assert(vm->flags & VM_ALLOC);
	memset(p, 0x5a, 4 * PAGE_SIZE);
	for (int i = 0; i < 4; i++) {
		struct page *pg = vmalloc_to_page(p + i * PAGE_SIZE);
		cr_assert_eq(pg, vm->pages[i]);
		cr_assert_eq(vmalloc_to_pfn(p + i * PAGE_SIZE), page_to_pfn(pg));
		cr_assert_eq(PageHighMem(pg), expect_high);
		/* The same bytes through the other mapping of the page. */
		unsigned char b;
		cr_assert_eq(plat_ram_read(page_to_phys(pg), &b, 1), 0);
		cr_assert_eq(b, 0x5a);
	}
	cr_assert_null(vmalloc_to_page(p + 4 * PAGE_SIZE), "the guard page is not mapped");
	cr_assert_eq(meminfo_kb("VmallocUsed:"), 16);
	cr_assert_gt(meminfo_kb("PageTables:"), pt0);
	cr_assert_eq(kmm_check(), 0);
	vfree(p);
	cr_assert_eq(meminfo_kb("VmallocUsed:"), 0);
	cr_assert_null(find_vm_area(p));
	check_and_shutdown();
}

Test(vmalloc, basic_x86_64) { basic("mem=1G", false); }
Test(vmalloc, basic_x86_32_pages_are_high) { basic("arch=x86_32 mem=2G", true); }

Test(vmalloc, vmalloc_32_stays_low)
{
	boot_or_die("arch=x86_32 mem=2G");
	char *p = vmalloc_32(8 * PAGE_SIZE);
	cr_assert_not_null(p);
	for (int i = 0; i < 8; i++)
		cr_assert(!PageHighMem(vmalloc_to_page(p + i * PAGE_SIZE)));
	vfree(p);
	kmm_shutdown();
	boot_or_die("mem=8G");
	p = vmalloc_32(8 * PAGE_SIZE);
	cr_assert_not_null(p);
	for (int i = 0; i < 8; i++)
		cr_assert_lt(vmalloc_to_pfn(p + i * PAGE_SIZE), (4UL << 30) >> PAGE_SHIFT);
	vfree(p);
	check_and_shutdown();
}

Test(vmalloc, vzalloc_zeroes_reused_pages)
{
	boot_or_die("arch=x86_32 mem=1G");
	for (int round = 0; round < 3; round++) {
		unsigned char *p = vmalloc(64 * PAGE_SIZE);
		cr_assert_not_null(p);
		memset(p, 0xff, 64 * PAGE_SIZE);
		vfree(p);
		p = vzalloc(64 * PAGE_SIZE);
		cr_assert_not_null(p);
		for (unsigned long i = 0; i < 64 * PAGE_SIZE; i++)
			if (p[i])
				cr_assert_fail("byte %lu is %#x", i, p[i]);
		vfree(p);
	}
	check_and_shutdown();
}

/* A vzalloc() of megabytes backs only the pages the caller uses, as calloc() does on fresh memory. */
Test(vmalloc, vzalloc_backs_only_what_is_used)
{
	const unsigned long bytes = 16UL << 20;

	boot_or_die("mem=1G");
	unsigned char *p = vzalloc(bytes);
	cr_assert_not_null(p);
	unsigned long backed = resident_pages(p, bytes);
	cr_assert_lt(backed, bytes / PAGE_SIZE / 16, "%lu of %lu pages backed", backed,
		     bytes / PAGE_SIZE);
	memset(p + bytes / 2, 0x77, 3 * PAGE_SIZE);
	cr_assert_leq(resident_pages(p, bytes), backed + 3);
	for (unsigned long i = 0; i < bytes; i += 64)
		if (p[i] != (i >= bytes / 2 && i < bytes / 2 + 3 * PAGE_SIZE ? 0x77 : 0))
			cr_assert_fail("byte %lu is %#x", i, p[i]);
	vfree(p);
	check_and_shutdown();
}

/* Runs of contiguous pfns of an area, as the host maps them: one call each. */
static long vmalloc_runs(const char *p, unsigned long nr)
{
	long runs = 1;

	for (unsigned long i = 1; i < nr; i++)
		if (vmalloc_to_pfn(p + i * PAGE_SIZE) != vmalloc_to_pfn(p + (i - 1) * PAGE_SIZE) + 1)
			runs++;
	return runs;
}

/* A run is one host mapping; the area's runs together split the reservation once more. */
Test(vmalloc, host_maps_runs_of_contiguous_pfns)
{
	/* ram=anon charges the direct map's pieces too: test_anonram counts those. */
	boot_or_die("mem=1G ram=memfd");
	long before = plat_nr_mappings();
	char *p = vmalloc(64 * PAGE_SIZE);
	cr_assert_not_null(p);
	long runs = vmalloc_runs(p, 64);
	cr_assert_lt(runs, 64, "the bulk allocator hands out runs");
	cr_assert_eq(plat_nr_mappings() - before, runs + 1);
	spin_lock(&vmap_area_lock);
	int area_maps = __find_vmap_area((unsigned long)p, true)->host_maps;
	spin_unlock(&vmap_area_lock);
	cr_assert_eq(area_maps, runs + 1, "the area keeps its charge for the purge");
	vfree(p);
	vm_unmap_aliases();
	cr_assert_eq(plat_nr_mappings(), before);
	check_and_shutdown();
}

/*
 * The pages of a block freed in order come back from the per-CPU list in
 * descending order; the area takes each such run the other way round, one
 * host call for all of it.
 */
Test(vmalloc, host_maps_pages_freed_in_order_as_one_run)
{
	boot_or_die("mem=1G");
	enum { NR = 32 };
	free_split_block(5, 1);
	unsigned long calls = plat_host_calls();
	char *p = vmalloc(NR * PAGE_SIZE);
	cr_assert_not_null(p);
	calls = plat_host_calls() - calls;
	cr_assert_eq(vmalloc_runs(p, NR), 1);
	/* With ram=anon, one more: the run's direct map turns into the RAM file's. */
	cr_assert_eq(calls, plat_ram_is_anon() ? 2 : 1, "%lu host calls", calls);
	vfree(p);
	check_and_shutdown();
}

/*
 * Lines of /proc/self/maps above the direct map to the window's end: the
 * reservation there splits where an area is mapped (at VMALLOC_START for
 * the first area), and debug_pagealloc's changes below do not show.
 */
static long window_host_mappings(void)
{
	return host_mappings_between((unsigned long)high_memory, kmm_layout.window_end);
}

/*
 * The count against vm.max_map_count is what the host really holds: a
 * vmalloc of scattered pages (every other page of a block held back, so
 * each of its pages is a run of its own) grows /proc/self/maps by one line
 * a run and one for the split reservation, and the count by as much.
 */
Test(vmalloc, host_maps_count_matches_proc_maps)
{
	boot_or_die("mem=1G ram=memfd");
	enum { NR = 16 };
	struct page *block = free_split_block(5, 2);
	long host = window_host_mappings(), counted = plat_nr_mappings();
	char *p = vmalloc(NR * PAGE_SIZE);
	cr_assert_not_null(p);
	long runs = vmalloc_runs(p, NR);
	cr_assert_geq(runs, 4, "the area is %ld runs, too few for the test", runs);
	long grown = window_host_mappings() - host;
	cr_assert_eq(grown, runs + 1, "%ld runs grew /proc/self/maps by %ld", runs, grown);
	cr_assert_eq(plat_nr_mappings() - counted, grown);
	memset(p, 0x5a, NR * PAGE_SIZE);
	vfree(p);
	vm_unmap_aliases();
	cr_assert_eq(window_host_mappings(), host);
	cr_assert_eq(plat_nr_mappings(), counted);
	for (int i = 1; i < 2 * NR; i += 2)
		__free_page(block + i);
	check_and_shutdown();
}

/* Lowest address first; one guard page apart. */
Test(vmalloc, areas_are_packed_lowest_first)
{
	boot_or_die("mem=1G");
	char *a = vmalloc(PAGE_SIZE), *b = vmalloc(2 * PAGE_SIZE), *c = vmalloc(PAGE_SIZE);
	cr_assert_eq((unsigned long)a, VMALLOC_START);
	cr_assert_eq(b, a + 2 * PAGE_SIZE);
	cr_assert_eq(c, b + 3 * PAGE_SIZE);
	vfree(b);
	vm_unmap_aliases();
	char *d = vmalloc(PAGE_SIZE);
	cr_assert_eq(d, b, "the freed hole is the lowest fit");
	char *e = __vmalloc_node(PAGE_SIZE, 1UL << 20, GFP_KERNEL, NUMA_NO_NODE, NULL);
	cr_assert_not_null(e);
	cr_assert_eq((unsigned long)e % (1UL << 20), 0);
	vfree(a); vfree(c); vfree(d); vfree(e);
	check_and_shutdown();
}

Test(vmalloc, lazy_purge_and_vmallocinfo)
{
	boot_or_die("mem=1G cpus=2");
	cr_assert_eq(lazy_max_pages(), 2 * (32UL << 20) / PAGE_SIZE);
	void *p = vmalloc(5 * PAGE_SIZE);
	char *info = view("vmallocinfo");
	char want[128];
	snprintf(want, sizeof(want), "0x%016lx-0x%016lx   24576 ", (unsigned long)p,
		 (unsigned long)p + 6 * PAGE_SIZE);
	cr_assert(strstr(info, want), "%s", info);
	cr_assert(strstr(info, " pages=5 vmalloc N0=5\n"), "%s", info);
	free(info);
	vfree(p);
	info = view("vmallocinfo");
	cr_assert(strstr(info, "   24576 unpurged vm_area\n"), "%s", info);
	free(info);
	cr_assert_eq(kmm_check(), 0, "a lazy area's host mapping is a known stale one");
	vm_unmap_aliases();
	info = view("vmallocinfo");
	cr_assert_eq(strlen(info), 0, "%s", info);
	free(info);
	/* Past lazy_max_pages, a free purges by itself. */
	void *big = vmalloc((lazy_max_pages() + 1) * PAGE_SIZE);
	cr_assert_not_null(big);
	vfree(big);
	/* Only the big area's page array (itself vmalloc()ed, 33 pages) is left lazy. */
	cr_assert_lt(atomic_long_read(&vmap_lazy_nr), 64);
	check_and_shutdown();
}

Test(vmalloc, vmap_keeps_the_pages)
{
	boot_or_die("arch=x86_32 mem=2G");
	struct page *pages[3];
	for (int i = 0; i < 3; i++) {
		pages[i] = alloc_page(i == 1 ? GFP_HIGHUSER : GFP_KERNEL);
		cr_assert_not_null(pages[i]);
	}
	struct page *order[3] = { pages[2], pages[0], pages[1] };
	char *v = vmap(order, 3, VM_MAP, PAGE_KERNEL);
	cr_assert_not_null(v);
	strcpy(v, "first");
	strcpy(v + PAGE_SIZE, "second");
	cr_assert_str_eq((char *)page_address(pages[2]), "first");
	cr_assert_str_eq((char *)page_address(pages[0]), "second");
	char *info = view("vmallocinfo");
	cr_assert(strstr(info, "   16384 ") && strstr(info, " vmap\n"), "%s", info);
	free(info);
	vunmap(v);
	for (int i = 0; i < 3; i++) {
		cr_assert_eq(page_count(pages[i]), 1, "vunmap leaves the pages allocated");
		__free_page(pages[i]);
	}
	check_and_shutdown();
}

Test(vmalloc, read_only_mapping_faults_on_write)
{
	boot_or_die("mem=1G");
	char *p = __vmalloc_node_range(PAGE_SIZE, 1, VMALLOC_START, VMALLOC_END, GFP_KERNEL | __GFP_ZERO,
				       PAGE_KERNEL_RO, 0, NUMA_NO_NODE, NULL);
	cr_assert_not_null(p);
	cr_assert_eq(p[10], 0);
	cr_assert_eq(kmm_check(), 0);
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		signal(SIGSEGV, SIG_DFL);	/* not ASan's: the host's own verdict */
		p[10] = 1;
		_exit(0);
	}
	int status;
	waitpid(pid, &status, 0);
	cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV);
	vfree(p);
	check_and_shutdown();
}

Test(vmalloc, vm_area_api)
{
	boot_or_die("mem=1G");
	struct vm_struct *area = get_vm_area(3 * PAGE_SIZE, VM_IOREMAP);
	cr_assert_not_null(area);
	cr_assert_eq(area->size, 4 * PAGE_SIZE);
	cr_assert_eq(get_vm_area_size(area), 3 * PAGE_SIZE);
	cr_assert_eq(find_vm_area((char *)area->addr + 2 * PAGE_SIZE), area);
	cr_assert_null(vmalloc_to_page(area->addr), "get_vm_area maps nothing");
	struct page *pages[3];
	for (int i = 0; i < 3; i++)
		pages[i] = alloc_page(GFP_KERNEL);
	area->pages = pages;
	area->nr_pages = 3;
	cr_assert_eq(map_vm_area(area, PAGE_KERNEL), 0);
	cr_assert_eq(vmalloc_to_page((char *)area->addr + PAGE_SIZE), pages[1]);
	cr_assert_eq(kmm_check(), 0);
	area->pages = NULL;
	area->nr_pages = 0;
	free_vm_area(area);
	for (int i = 0; i < 3; i++)
		__free_page(pages[i]);
	struct vm_struct *b = get_vm_area(PAGE_SIZE, VM_NO_GUARD);
	cr_assert_eq(b->size, PAGE_SIZE);
	struct vm_struct *r = remove_vm_area(b->addr);
	cr_assert_eq(r, b);
	cr_assert_null(find_vm_area(b->addr));
	kfree(r);
	check_and_shutdown();
}

/* --- bad input --- */

Test(vmalloc_bad, vfree_bad_and_nonexistent_and_double)
{
	boot_or_die("mem=1G");
	char *p = vmalloc(2 * PAGE_SIZE);
	char msg[128];

	vfree(p + 1);
	snprintf(msg, sizeof(msg), "Trying to vfree() bad address (%p)", p + 1);
	cr_assert(dmesg_has(msg));
	cr_assert_eq(kmm_report_count(KMM_REPORT_VMALLOC), 1);
	vfree(p + PAGE_SIZE);
	snprintf(msg, sizeof(msg), "Trying to vfree() nonexistent vm area (%p)", p + PAGE_SIZE);
	cr_assert(dmesg_has(msg));
	void *k = kmalloc(PAGE_SIZE, GFP_KERNEL);
	vfree(k);
	cr_assert_eq(kmm_report_count(KMM_REPORT_VMALLOC), 3);
	cr_assert_eq(kmm_check(), 0);
	cr_assert_eq(vmalloc_nr_pages(), 2, "the area survived the bad frees");
	vfree(p);
	vfree(p);
	snprintf(msg, sizeof(msg), "Trying to vfree() nonexistent vm area (%p)", p);
	cr_assert(dmesg_has(msg));
	cr_assert_eq(kmm_report_count(KMM_REPORT_VMALLOC), 4);
	vfree(NULL);
	vunmap(p);
	cr_assert(dmesg_has("Trying to vunmap() nonexistent vm area"));
	kfree(k);
	check_and_shutdown();
}

Test(vmalloc_bad, zero_and_too_big)
{
	boot_or_die("mem=512M");
	cr_assert_null(vmalloc(0));
	long maps = plat_nr_mappings();
	cr_assert_null(vmalloc(1UL << 30));
	cr_assert(dmesg_has("vmalloc error: size 1073741824, exceeds total pages"));
	/* Below RAM's size but above what is free: the partial work is undone. */
	cr_assert_null(vmalloc(totalram_pages() * PAGE_SIZE - PAGE_SIZE));
	cr_assert(dmesg_has("vmalloc error: size "));
	cr_assert_eq(vmalloc_nr_pages(), 0);
	vm_unmap_aliases();
	cr_assert_eq(plat_nr_mappings(), maps, "no host mapping left behind");
	cr_assert_eq(kmm_check(), 0);
	char *info = view("vmallocinfo");
	cr_assert_eq(strlen(info), 0, "%s", info);
	free(info);
	check_and_shutdown();
}

Test(vmalloc_bad, absurd_alignments_fail_cleanly)
{
	boot_or_die("mem=1G");
	int failed_at = -1;
	for (int i = 0; i < BITS_PER_LONG; i++) {
		void *p = __vmalloc_node(PAGE_SIZE, 1UL << i, GFP_KERNEL | __GFP_ZERO, 0, NULL);
		if (!p) {
			failed_at = i;
			break;
		}
		vfree(p);
	}
	cr_assert_gt(failed_at, 30, "alignments the area can hold succeed");
	cr_assert_eq(vmalloc_nr_pages(), 0);
	cr_assert_null(__vmalloc_node(PAGE_SIZE, 3 * PAGE_SIZE, GFP_KERNEL, 0, NULL));
	check_and_shutdown();
}

/* Random allocations and frees: the trees stay valid and tile the range. */
Test(vmalloc, random_alloc_free_keeps_trees_valid)
{
	boot_or_die("mem=1G");
	enum { N = 512 };
	void *live[N] = { 0 };
	unsigned int seed = 12345;

	for (int step = 0; step < 6000; step++) {
		int i = rand_r(&seed) % N;
		if (live[i]) {
			vfree(live[i]);
			live[i] = NULL;
		} else {
			unsigned long size = (1 + rand_r(&seed) % 16) * PAGE_SIZE;
			unsigned long align = 1UL << (rand_r(&seed) % 20);
			live[i] = __vmalloc_node(size, align, GFP_KERNEL, NUMA_NO_NODE, NULL);
			cr_assert_not_null(live[i]);
			cr_assert_eq((unsigned long)live[i] % max(align, PAGE_SIZE), 0);
		}
		if (step % 1000 == 999) {
			if (step % 2000 == 1999)
				vm_unmap_aliases();
			cr_assert_eq(kmm_check(), 0, "step %d", step);
		}
	}
	for (int i = 0; i < N; i++)
		vfree(live[i]);
	vm_unmap_aliases();
	/* Everything merged back: one free block, the whole range. */
	cr_assert_eq(rb_validate(&vmap_free_root), 1);
	check_and_shutdown();
}

/* --- faults: each in a child process, its console captured --- */

Test(vmalloc_fault, guard_page)
{
	boot_or_die("mem=1G");
	char *p = vmalloc(2 * PAGE_SIZE);
	int sig;
	char *r = fault_in_child(write_byte, p + 2 * PAGE_SIZE, &sig);
	cr_assert_died(sig);
	char want[96];
	snprintf(want, sizeof(want), "BUG: unable to handle page fault for address: %016lx\n",
		 (unsigned long)p + 2 * PAGE_SIZE);
	cr_assert(strstr(r, want), "%s", r);
	cr_assert(strstr(r, "#PF: supervisor write access in kernel mode\n"), "%s", r);
	cr_assert(strstr(r, "#PF: error_code(0x0002) - not-present page\n"), "%s", r);
	cr_assert(strstr(r, "The address is in the guard page of vm area"), "%s", r);
	cr_assert(strstr(r, "Oops: 0002 [#1]"), "%s", r);
	free(r);
	vfree(p);
	check_and_shutdown();
}

Test(vmalloc_fault, hole_and_unmapped_and_read_only_x86_32)
{
	boot_or_die("arch=x86_32 mem=2G");
	int sig;
	char *r = fault_in_child(read_byte, (char *)high_memory + 4096, &sig);
	cr_assert_died(sig);
	cr_assert(strstr(r, "BUG: unable to handle page fault for address: f8001000\n"), "%s", r);
	cr_assert(strstr(r, "#PF: supervisor read access in kernel mode\n"), "%s", r);
	cr_assert(strstr(r, "between high_memory and VMALLOC_START"), "%s", r);
	free(r);

	char *p = vmalloc(PAGE_SIZE);
	r = fault_in_child(read_byte, p + 64 * PAGE_SIZE, &sig);
	cr_assert_died(sig);
	cr_assert(strstr(r, "The address is in no vm area; the one below it is vm area 0xf8800000-0xf8802000"), "%s", r);
	free(r);

	char *ro = __vmalloc_node_range(PAGE_SIZE, 1, VMALLOC_START, VMALLOC_END, GFP_KERNEL,
					PAGE_KERNEL_RO, 0, NUMA_NO_NODE, NULL);
	r = fault_in_child(write_byte, ro, &sig);
	cr_assert_died(sig);
	cr_assert(strstr(r, "#PF: error_code(0x0003) - permissions violation\n"), "%s", r);
	free(r);
	vfree(p);
	vfree(ro);
	check_and_shutdown();
}

static sigjmp_buf own_jmp;
static volatile unsigned long own_addr;
static void own_handler(int sig, siginfo_t *info, void *uc)
{
	(void)sig; (void)uc;
	own_addr = (unsigned long)info->si_addr;
	siglongjmp(own_jmp, 1);
}

static void touch_with_own_handler(void *p)
{
	if (sigsetjmp(own_jmp, 1) == 0)
		write_byte(p);
	_exit(own_addr == (unsigned long)p ? 42 : 1);
}

/* A program's own SIGSEGV handler still gets the fault, after the report. */
Test(vmalloc_fault, program_keeps_its_handler)
{
	struct sigaction sa = { .sa_sigaction = own_handler, .sa_flags = SA_SIGINFO | SA_NODEFER };
	sigaction(SIGSEGV, &sa, NULL);
	boot_or_die("mem=1G");
	char *v = vmalloc(PAGE_SIZE);
	FILE *out = tmpfile();
	setvbuf(out, NULL, _IONBF, 0);
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		kmm_set_console(out);
		touch_with_own_handler(v + PAGE_SIZE);
	}
	int status;
	waitpid(pid, &status, 0);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 42, "status %#x", status);
	char buf[4096] = "";
	rewind(out);
	cr_assert_gt(fread(buf, 1, sizeof(buf) - 1, out), 0);
	cr_assert(strstr(buf, "BUG: unable to handle page fault"), "%s", buf);
	fclose(out);
	vfree(v);
	check_and_shutdown();
}

/* --- lib/test_vmalloc.c, with threads = CPUs --- */

#include "vmalloc_cases.h"

Test(test_vmalloc, all_cases, .timeout = 240)
{
	/*
	 * ram=memfd: long_busy_list_alloc_test's 15000 live one-page areas a
	 * thread cost the host 4 mappings each with ram=anon (the direct map
	 * splits around each page), past vm.max_map_count for two threads;
	 * test_anonram tests that bound.
	 */
	boot_or_die("mem=2G cpus=2 ram=memfd");
	int bad = run_vmalloc_cases(~0U, 2, 200);
	if (bad) {
		static char log[1 << 22];
		kmm_dmesg(log, sizeof(log));
		for (char *sv, *l = strtok_r(log, "\n", &sv); l; l = strtok_r(NULL, "\n", &sv))
			if (strstr(l, "Summary:") || strstr(l, "vm.max_map_count"))
				fprintf(stderr, "%s\n", l);
	}
	cr_assert_eq(bad, 0, "%d cases failed (above)", bad);
	cr_assert(dmesg_has("Summary: fix_size_alloc_test passed: 1 failed: 0 xfailed: 0 repeat: 1 loops: 200 avg: "));
	cr_assert(dmesg_has("Summary: full_fit_alloc_test passed: 1 failed: 0 xfailed: 0"));
	/* Its junk list, sized to the host's mappings, still makes thousands of holes. */
	static char fit[1 << 22];
	kmm_dmesg(fit, sizeof(fit));
	const char *line = strstr(fit, "full_fit_alloc_test: ");
	int pairs = 0;
	cr_assert(line && sscanf(line, "full_fit_alloc_test: %d of", &pairs) == 1);
	cr_assert_geq(pairs, 2048, "only %d pairs fit the host's mappings", pairs);
	cr_assert_not(dmesg_has("near vm.max_map_count"));
	cr_assert(dmesg_has("Summary: long_busy_list_alloc_test passed: 1 failed: 0 xfailed: 0"));
	cr_assert(dmesg_has("Summary: align_shift_alloc_test passed: 0 failed: 0 xfailed: 1"));
	cr_assert(dmesg_has("Summary: vm_map_ram_test passed: 1 failed: 0"));
	cr_assert(dmesg_has("Summary: pcpu_alloc_test passed: 1 failed: 0"));
	cr_assert(dmesg_has("Summary: kvfree_rcu_1_arg_vmalloc_test passed: 1 failed: 0"));
	cr_assert(dmesg_has("Summary: kvfree_rcu_2_arg_vmalloc_test passed: 1 failed: 0"));
	kvfree_rcu_barrier();
	cr_assert_eq(vmalloc_nr_pages(), 0);
	check_and_shutdown();
}

/*
 * At the host's mapping bound, live areas make vmalloc fail with the
 * report, and lazy areas are purged to make room (as often as there are
 * some: another thread may take the room a purge made).
 */
Test(vmalloc, fails_at_the_host_mapping_bound)
{
	boot_or_die("mem=2G");
	static void *v[140000];
	int n = vmalloc_to_mapping_bound(v, 140000);

	cr_assert(dmesg_has("raise sysctl vm.max_map_count"));
	/* Half of them freed lazily: the room comes back on the next vmalloc. */
	for (int i = 0; i < n; i += 2)
		vfree(v[i]);
	for (int i = 0; i < n; i += 2) {
		v[i] = vmalloc(PAGE_SIZE);
		cr_assert_not_null(v[i], "area %d of %d: the lazy areas were not purged", i, n);
	}
	for (int i = 0; i < n; i++)
		vfree(v[i]);
	kmm_report_reset();
	check_and_shutdown();
}

Test(vmalloc, vm_map_ram_and_ioremap)
{
	boot_or_die("mem=1G memmap=1M$0x30000000");
	struct page *pages[4];
	for (int i = 0; i < 4; i++)
		pages[i] = alloc_page(GFP_KERNEL);
	char *v = vm_map_ram(pages, 4, NUMA_NO_NODE);
	cr_assert_not_null(v);
	strcpy(v + 3 * PAGE_SIZE, "ram");
	cr_assert_str_eq((char *)page_address(pages[3]), "ram");
	char *info = view("vmallocinfo");
	cr_assert(strstr(info, "   16384 vm_map_ram\n"), "%s", info);
	free(info);
	vm_unmap_ram(v, 3);
	cr_assert(dmesg_has("is not a vm_map_ram() area of 3 pages"));
	vm_unmap_ram(v, 4);
	for (int i = 0; i < 4; i++)
		__free_page(pages[i]);

	char *io = ioremap(0x30000010, 100);
	cr_assert_not_null(io);
	cr_assert_eq((unsigned long)io & ~PAGE_MASK, 0x10);
	io[0] = 'x';
	char b;
	cr_assert_eq(plat_ram_read(0x30000010, &b, 1), 0);
	cr_assert_eq(b, 'x');
	info = view("vmallocinfo");
	cr_assert(strstr(info, " phys=0x0000000030000000 ioremap\n"), "%s", info);
	free(info);
	cr_assert_eq(kmm_check(), 0);
	iounmap(io);
	cr_assert_null(ioremap(0x1000000, PAGE_SIZE), "RAM in use is refused");
	cr_assert(dmesg_has("ioremap on RAM at 0x0000000001000000"));
	check_and_shutdown();
}

Test(vmalloc, vfree_in_atomic_context_is_deferred)
{
	boot_or_die("mem=1G");
	void *p = vmalloc(8 * PAGE_SIZE);
	preempt_disable();
	vfree(p);
	vfree(p);	/* a second free is still caught while the first waits */
	preempt_enable();
	cr_assert_eq(kmm_report_count(KMM_REPORT_MIGHT_SLEEP), 0);
	cr_assert_eq(kmm_report_count(KMM_REPORT_VMALLOC), 1);
	kmm_flush_deferred_vfree();
	cr_assert_eq(vmalloc_nr_pages(), 0);
	check_and_shutdown();
}
