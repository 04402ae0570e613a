/* SPDX-License-Identifier: MIT */
/*
 * vmalloc areas of VM_KMM_PRIVATE (vmalloc.h): the host's private
 * anonymous memory, their pages out of the direct map while they live.
 */
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "helpers.h"
#include "vmalloc.h"
#include "platform/platform.h"

#define NR 64

static void *private_alloc(unsigned long size, gfp_t gfp)
{
	return __vmalloc_node_range(size, 1, VMALLOC_START, VMALLOC_END, gfp, PAGE_KERNEL,
				    VM_KMM_PRIVATE, NUMA_NO_NODE, NULL);
}

/* The host mapping at @addr, found in /proc/self/maps. */
struct find_mapping {
	unsigned long addr;
	struct plat_mapping m;
	bool found;
};

static int find_one(const struct plat_mapping *m, void *arg)
{
	struct find_mapping *f = arg;

	if (m->start <= f->addr && f->addr < m->end) {
		f->m = *m;
		f->found = true;
		return 1;
	}
	return 0;
}

static bool ram_backs(struct page *page)
{
	phys_addr_t start = page_to_phys(page), end = start + PAGE_SIZE;

	return plat_ram_backed(&start, &end);
}

/*
 * Pages that held data come back zeroed, as anonymous memory; the RAM file
 * holds none of their bytes (given back to the host, not held twice), and
 * the host maps the area privately.  After vfree() the pages are in the
 * direct map again.
 */
static void anonymous_memory(const char *cmdline, bool high)
{
	boot_or_die(cmdline);
	struct page *used[NR];

	/* Fill pages and free them: the per-CPU lists hand them out again first. */
	for (int i = 0; i < NR; i++) {
		used[i] = alloc_page(GFP_KERNEL | (high ? __GFP_HIGHMEM : 0));
		cr_assert_not_null(used[i]);
		void *v = kmap(used[i]);
		memset(v, 0xee, PAGE_SIZE);
		kunmap(used[i]);
	}
	for (int i = NR - 1; i >= 0; i--)
		__free_page(used[i]);

	unsigned long calls = plat_host_calls();
	unsigned char *p = private_alloc(NR * PAGE_SIZE, GFP_KERNEL | __GFP_ZERO);
	cr_assert_not_null(p);
	/*
	 * One host call maps the area, one per run of contiguous pages takes
	 * them out of the direct map: the pages freed above come back in
	 * descending order, a run or two.
	 */
	calls = plat_host_calls() - calls;
	cr_assert_leq(calls, 4, "%lu host calls", calls);
	struct vm_struct *vm = find_vm_area(p);
	cr_assert(vm && (vm->flags & VM_KMM_PRIVATE) && vm->nr_pages == NR);
	int reused = 0;
	for (int i = 0; i < NR; i++) {
		for (int j = 0; j < NR; j++)
			reused += vm->pages[i] == used[j];
		cr_assert_eq(vmalloc_to_page(p + i * PAGE_SIZE), vm->pages[i]);
		cr_assert_eq(PageHighMem(vm->pages[i]), high);
		cr_assert(!ram_backs(vm->pages[i]), "page %d: its RAM is still backed", i);
	}
	cr_assert_gt(reused, NR / 2, "the area should take the pages just written");
	for (unsigned long i = 0; i < NR * PAGE_SIZE; i++)
		if (p[i])
			cr_assert_fail("byte %lu is %#x", i, p[i]);
	memset(p, 0x5a, NR * PAGE_SIZE);
	for (int i = 0; i < NR; i++)
		cr_assert(!ram_backs(vm->pages[i]), "page %d: the area's bytes went to RAM", i);

	struct find_mapping f = { .addr = (unsigned long)p };
	cr_assert_eq(plat_for_each_mapping(find_one, &f), 0);
	cr_assert(f.found && f.m.inode == 0 && !f.m.shared &&
		  f.m.prot == (PLAT_PROT_READ | PLAT_PROT_WRITE));
	cr_assert_geq(f.m.end - f.m.start, NR * PAGE_SIZE);
	cr_assert_eq(meminfo_kb("VmallocUsed:"), NR * PAGE_SIZE / 1024);
	cr_assert_eq(kmm_check(), 0);

	struct page *pages[NR];
	memcpy(pages, vm->pages, sizeof(pages));
	vfree(p);
	cr_assert_eq(kmm_check(), 0);
	/* In the direct map again: a read here would fault if not. */
	for (int i = 0; i < NR; i++)
		if (!high)
			read_byte(page_address(pages[i]));
	vm_unmap_aliases();
	cr_assert_eq(kmm_check(), 0);
	check_and_shutdown();
}

Test(vmalloc_private, anonymous_memory_x86_64) { anonymous_memory("mem=1G", false); }
Test(vmalloc_private, anonymous_memory_high_pages_x86_32) { anonymous_memory("arch=x86_32 mem=2G", true); }

/* Out of the direct map, as Linux's secretmem pages: page_address() faults. */
Test(vmalloc_private, page_address_of_its_page_faults)
{
	boot_or_die("mem=1G");
	char *p = private_alloc(4 * PAGE_SIZE, GFP_KERNEL);
	cr_assert_not_null(p);
	struct page *page = vmalloc_to_page(p + PAGE_SIZE);
	char *va = page_address(page);
	int sig;
	char *r = fault_in_child(read_byte, va, &sig);
	cr_assert_died(sig);
	cr_assert(strstr(r, "BUG: unable to handle page fault"), "%s", r);
	cr_assert(strstr(r, "The address is in the direct map, pfn"), "%s", r);
	free(r);
	/* The area itself is ordinary memory. */
	r = fault_in_child(write_byte, p + PAGE_SIZE, &sig);
	cr_assert_eq(sig, 0, "%s", r);
	free(r);
	vfree(p);
	read_byte(va);
	check_and_shutdown();
}

/*
 * A forked child has the area copy-on-write: neither side sees the other's
 * writes.  (The library leaves the rest of a fork to its user: the child
 * touches nothing else of the machine.  The preload library's fork is
 * whole, tests/test_preload.c.)
 */
Test(vmalloc_private, fork_child_writes_stay_its_own)
{
	boot_or_die("mem=1G");
	unsigned char *p = private_alloc(NR * PAGE_SIZE, GFP_KERNEL);
	cr_assert_not_null(p);
	memset(p, 1, NR * PAGE_SIZE);
	int pipefd[2];
	cr_assert_eq(pipe(pipefd), 0);
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		char c;
		memset(p, 2, NR * PAGE_SIZE);
		/* Wait for the parent's write, which must not show here. */
		if (read(pipefd[0], &c, 1) != 1)
			_exit(3);
		for (unsigned long i = 0; i < NR * PAGE_SIZE; i++)
			if (p[i] != 2)
				_exit(1);
		_exit(0);
	}
	memset(p, 3, NR * PAGE_SIZE / 2);
	cr_assert_eq(write(pipefd[1], "x", 1), 1);
	int status;
	waitpid(pid, &status, 0);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %#x", status);
	for (unsigned long i = 0; i < NR * PAGE_SIZE; i++)
		if (p[i] != (i < NR * PAGE_SIZE / 2 ? 3 : 1))
			cr_assert_fail("byte %lu is %#x", i, p[i]);
	close(pipefd[0]);
	close(pipefd[1]);
	vfree(p);
	check_and_shutdown();
}

/*
 * VM_ALLOW_HUGE_VMAP on a private area of PMD_SIZE or more: PMD-aligned,
 * and the host asked for huge pages there (a fork then copies one entry
 * per 2 MiB).  Not below PMD_SIZE, not with nohugevmalloc, and never for
 * an area of the RAM file (vmalloc_huge()), whose pages are small.
 */
static void *huge_alloc(unsigned long size)
{
	return __vmalloc_node_range(size, 1, VMALLOC_START, VMALLOC_END, GFP_KERNEL, PAGE_KERNEL,
				    VM_KMM_PRIVATE | VM_ALLOW_HUGE_VMAP, NUMA_NO_NODE, NULL);
}

Test(vmalloc_private, huge_pages_asked_for_from_pmd_size)
{
	boot_or_die("mem=1G");
	char *small = vmalloc(PAGE_SIZE);	/* the next area would start off a PMD boundary */
	char *p = huge_alloc(PMD_SIZE + 5 * PAGE_SIZE);
	char *below = huge_alloc(PMD_SIZE - PAGE_SIZE);
	char *file = vmalloc_huge(4 * PMD_SIZE, GFP_KERNEL);
	cr_assert(small && p && below && file);
	cr_assert_eq((unsigned long)p % PMD_SIZE, 0, "%p", p);
	cr_assert(find_vm_area(p)->flags & VM_ALLOW_HUGE_VMAP);
	cr_assert(host_advised_huge(p, NULL));
	cr_assert(!host_advised_huge(below, NULL));
	cr_assert(!(find_vm_area(file)->flags & VM_ALLOW_HUGE_VMAP));
	cr_assert(!host_advised_huge(file, NULL));
	memset(p, 0x11, PMD_SIZE + 5 * PAGE_SIZE);
	cr_assert_eq(kmm_check(), 0);
	vfree(p);
	vfree(below);
	vfree(file);
	vfree(small);
	kmm_shutdown();

	boot_or_die("mem=1G nohugevmalloc");
	p = huge_alloc(4 * PMD_SIZE);
	cr_assert_not_null(p);
	cr_assert(!(find_vm_area(p)->flags & VM_ALLOW_HUGE_VMAP));
	cr_assert(!host_advised_huge(p, NULL));
	vfree(p);
	check_and_shutdown();
}
