/* SPDX-License-Identifier: MIT */
/*
 * page_poison=1 and debug_pagealloc=on: a write into a freed page is found
 * when the page is allocated again, in Linux's words; a read of a freed
 * page faults for real, with the kernel's page-fault report.  Across
 * orders, zones (HighMem on x86_32), alloc_pages_bulk and the per-CPU
 * lists, with control runs that show the checks can fail.
 */
#include <stdio.h>
#include <string.h>
#include <kmm/highmem.h>
#include <kmm/poison.h>
#include "helpers.h"
#include "internal.h"

static unsigned long poison_reports(void)
{
	return kmm_report_count(KMM_REPORT_PAGE_POISON);
}

static bool all_bytes(const void *p, unsigned char v, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i] != v)
			return false;
	return true;
}

/* The host's protection of the page holding @addr: PLAT_PROT_* bits, -1 if unmapped. */
struct prot_query { unsigned long addr; int prot; };

static int prot_of(const struct plat_mapping *m, void *arg)
{
	struct prot_query *q = arg;

	if (q->addr < m->start || q->addr >= m->end)
		return 0;
	q->prot = m->prot;
	return 1;
}

static int host_prot(const void *addr)
{
	struct prot_query q = { (unsigned long)addr, -1 };

	cr_assert_eq(plat_for_each_mapping(prot_of, &q) < 0, false);
	return q.prot;
}

#define RW (PLAT_PROT_READ | PLAT_PROT_WRITE)

/*
 * Allocate blocks of @order with @gfp (held, then freed) until one of them
 * is the block holding @victim, or memory runs out; true if it was found.
 */
static bool alloc_until(struct page *victim, unsigned int order, gfp_t gfp)
{
	static struct page *got[4096];
	int n = 0;
	bool found = false;

	while (!found && n < 4096) {
		struct page *p = alloc_pages(gfp | __GFP_NOWARN, order);
		if (!p)
			break;
		got[n++] = p;
		found = victim >= p && victim < p + (1UL << order);
	}
	while (n)
		__free_pages(got[--n], order);
	return found;
}

/* --- page_poison --- */

Test(page_poison, freed_page_holds_poison_and_a_stale_write_is_reported)
{
	boot_or_die("page_poison=1 mem=128M");
	cr_assert(page_poisoning);
	struct page *page = alloc_page(GFP_KERNEL);
	unsigned char *p = page_address(page);

	cr_assert_eq(poison_reports(), 0, "boot memory must be poisoned before its first use");
	memset(p, 0x11, PAGE_SIZE);
	__free_page(page);
	cr_assert(all_bytes(p, PAGE_POISON, PAGE_SIZE), "a free page holds 0xaa");

	/* One flipped bit: 0xaa ^ 0x01. */
	p[100] = PAGE_POISON ^ 0x01;
	cr_assert_eq(alloc_page(GFP_KERNEL), page, "the per-CPU list gives the page back");
	cr_assert_eq(poison_reports(), 1);
	cr_assert(dmesg_has("pagealloc: single bit error\n"));
	char line[128];
	snprintf(line, sizeof(line), "%016lx: ab  ", (unsigned long)(p + 100));
	cr_assert(dmesg_has(line), "hex dump of the bad byte: %s", line);
	cr_assert(dmesg_has("page dumped because: pagealloc: corrupted page details"));
	__free_page(page);

	/* A longer overwrite: the range from its first to its last bad byte. */
	memcpy(p + 0x200, "stale write", 11);
	cr_assert_eq(alloc_page(GFP_KERNEL), page);
	cr_assert_eq(poison_reports(), 2);
	cr_assert(dmesg_has("pagealloc: memory corruption\n"));
	snprintf(line, sizeof(line), "%016lx: 73 74 61 6c 65 20 77 72 69 74 65", (unsigned long)(p + 0x200));
	cr_assert(dmesg_has(line), "%s", line);
	cr_assert(dmesg_has("  stale write\n"));
	cr_assert_eq(kmm_check(), 0);
	__free_page(page);
	check_and_shutdown();
}

/* Without the option nothing is poisoned, so nothing can be reported. */
Test(page_poison, control_without_the_option)
{
	boot_or_die("mem=128M");
	struct page *page = alloc_page(GFP_KERNEL);
	unsigned char *p = page_address(page);

	memset(p, 0x11, PAGE_SIZE);
	__free_page(page);
	cr_assert(!all_bytes(p, PAGE_POISON, PAGE_SIZE));
	p[100] = 0x55;
	cr_assert_eq(alloc_page(GFP_KERNEL), page);
	cr_assert_eq(poison_reports(), 0);
	cr_assert(!dmesg_has("pagealloc:"));
	__free_page(page);
	check_and_shutdown();
}

/* __GFP_ZERO: the poison is checked first, then the page is zeroed. */
Test(page_poison, gfp_zero_checks_then_zeroes)
{
	boot_or_die("page_poison=1 mem=128M");
	unsigned long a = __get_free_page(GFP_KERNEL);
	unsigned char *p = (unsigned char *)a;

	free_page(a);
	p[4095] = 0;
	cr_assert_eq(get_zeroed_page(GFP_KERNEL), a);
	cr_assert_eq(poison_reports(), 1);
	cr_assert(dmesg_has("pagealloc: memory corruption\n"));
	cr_assert(all_bytes(p, 0, PAGE_SIZE));
	free_page(a);
	check_and_shutdown();
}

/* As Linux: poisoning takes precedence over init_on_alloc and init_on_free. */
Test(page_poison, takes_precedence_over_init_on_free)
{
	boot_or_die("init_on_alloc=1 init_on_free=1 page_poison=1 mem=128M");
	cr_assert(dmesg_has("mem auto-init: CONFIG_PAGE_POISONING is on, will take precedence over init_on_alloc and init_on_free\n"));
	cr_assert(dmesg_has("mem auto-init: stack:off, heap alloc:off, heap free:off\n"));
	cr_assert(!init_on_alloc && !init_on_free);
	struct page *page = alloc_page(GFP_KERNEL);
	unsigned char *p = page_address(page);

	cr_assert(all_bytes(p, PAGE_POISON, PAGE_SIZE), "init_on_alloc is off: the poison stays");
	__free_page(page);
	cr_assert(all_bytes(p, PAGE_POISON, PAGE_SIZE), "init_on_free is off: poison, not zeroes");
	/* Slab objects are not wiped either. */
	char *o = kmalloc(64, GFP_KERNEL);
	memset(o, 0x77, 64);
	kfree(o);
	char *o2 = kmalloc(64, GFP_KERNEL);
	cr_assert_eq(o2, o);
	cr_assert_eq(o2[8], 0x77);
	kfree(o2);
	cr_assert_eq(poison_reports(), 0);
	check_and_shutdown();
}

/* Every order, each zone: a stale write into the last byte of a free block. */
static void stale_write_every_order(gfp_t gfp, enum zone_type zt)
{
	for (unsigned int order = 0; order <= MAX_PAGE_ORDER; order++) {
		struct page *page = alloc_pages(gfp, order);

		cr_assert_not_null(page, "order %u", order);
		cr_assert_eq(page_zonenum(page), zt, "order %u", order);
		struct page *last = page + (1UL << order) - 1;
		__free_pages(page, order);
		unsigned long before = poison_reports();
		unsigned char *v = kmap_local_page(last);
		cr_assert(all_bytes(v, PAGE_POISON, PAGE_SIZE), "order %u: the free block is poisoned", order);
		v[PAGE_SIZE - 1] = 0;
		kunmap_local(v);
		cr_assert(alloc_until(last, order, gfp), "order %u: the block came back", order);
		cr_assert_eq(poison_reports(), before + 1, "order %u", order);
	}
	cr_assert_eq(kmm_check(), 0);
}

Test(page_poison, every_order_and_zone_x86_64, .timeout = 120)
{
	boot_or_die("page_poison=1 mem=4608M");
	stale_write_every_order(GFP_KERNEL | __GFP_DMA, ZONE_DMA);
	stale_write_every_order(GFP_KERNEL | __GFP_DMA32, ZONE_DMA32);
	stale_write_every_order(GFP_KERNEL, ZONE_NORMAL);
	check_and_shutdown();
}

/* HighMem: poisoned at boot through the RAM file, later through kmap slots. */
Test(page_poison, every_order_and_zone_x86_32_highmem, .timeout = 120)
{
	boot_or_die("page_poison=1 arch=x86_32 mem=1100M");
	stale_write_every_order(GFP_KERNEL | __GFP_DMA, ZONE_DMA);
	stale_write_every_order(GFP_KERNEL, ZONE_NORMAL);
	stale_write_every_order(GFP_HIGHUSER, ZONE_HIGHMEM);
	/* A high page never allocated since boot: poisoned before kmap existed. */
	cr_assert_eq(poison_reports(), MAX_PAGE_ORDER * 3 + 3);
	struct page *pages[64] = { 0 };
	cr_assert_eq(alloc_pages_bulk(GFP_HIGHUSER, 64, pages), 64);
	for (int i = 0; i < 64; i++) {
		cr_assert(PageHighMem(pages[i]));
		__free_page(pages[i]);
	}
	cr_assert_eq(poison_reports(), MAX_PAGE_ORDER * 3 + 3);
	check_and_shutdown();
}

/* alloc_pages_bulk checks every page it hands out, from the lists or the buddy. */
Test(page_poison, bulk_alloc)
{
	boot_or_die("page_poison=1 mem=256M");
	struct page *pages[256] = { 0 };

	cr_assert_eq(alloc_pages_bulk(GFP_KERNEL, 256, pages), 256);
	struct page *victim = pages[77], *victim2 = pages[200];
	for (int i = 0; i < 256; i++) {
		__free_page(pages[i]);
		pages[i] = NULL;
	}
	((char *)page_address(victim))[1] = 1;
	drain_all_pages(NULL);		/* the second from the buddy lists */
	((char *)page_address(victim2))[2] = 2;
	cr_assert_eq(alloc_pages_bulk(GFP_KERNEL, 256, pages), 256);
	bool seen = false, seen2 = false;
	for (int i = 0; i < 256; i++) {
		seen |= pages[i] == victim;
		seen2 |= pages[i] == victim2;
		__free_page(pages[i]);
	}
	cr_assert(seen && seen2);
	cr_assert_eq(poison_reports(), 2);
	check_and_shutdown();
}

/* A page on a per-CPU list is free: poisoned there, checked when it leaves. */
Test(page_poison, per_cpu_list)
{
	boot_or_die("page_poison=1 mem=128M cpus=2");
	kmm_bind_cpu(0);
	struct page *page = alloc_page(GFP_KERNEL);
	struct zone *zone = page_zone(page);
	int before = zone->per_cpu_pageset[0].count;

	__free_page(page);
	cr_assert_eq(zone->per_cpu_pageset[0].count, before + 1, "on CPU 0's list");
	cr_assert(!PageBuddy(page));
	cr_assert(all_bytes(page_address(page), PAGE_POISON, PAGE_SIZE));
	((char *)page_address(page))[9] = 9;
	cr_assert_eq(alloc_page(GFP_KERNEL), page);
	cr_assert_eq(poison_reports(), 1);
	__free_page(page);
	check_and_shutdown();
}

/* --- debug_pagealloc --- */

Test(debug_pagealloc, stale_read_faults_with_the_oops_report)
{
	boot_or_die("debug_pagealloc=on mem=128M");
	struct page *page = alloc_page(GFP_KERNEL);
	char *p = page_address(page);

	memset(p, 1, PAGE_SIZE);
	cr_assert_eq(host_prot(p), RW);
	__free_page(page);
	cr_assert_eq(host_prot(p), 0, "a free page is out of the direct map");

	int sig;
	char *r = fault_in_child(read_byte, p + 123, &sig);
	cr_assert_died(sig);
	char want[160];
	snprintf(want, sizeof(want), "BUG: unable to handle page fault for address: %016lx\n",
		 (unsigned long)p + 123);
	cr_assert(strstr(r, want), "%s", r);
	cr_assert(strstr(r, "#PF: supervisor read access in kernel mode\n"), "%s", r);
	cr_assert(strstr(r, "#PF: error_code(0x0000) - not-present page\n"), "%s", r);
	snprintf(want, sizeof(want), "The address is in the direct map, pfn %#lx, a free page (debug_pagealloc unmapped it)\n",
		 page_to_pfn(page));
	cr_assert(strstr(r, want), "%s", r);
	cr_assert(strstr(r, "Oops: 0000 [#1]"), "%s", r);
	free(r);

	/* Allocated again, it is mapped again. */
	cr_assert_eq(alloc_page(GFP_KERNEL), page);
	cr_assert_eq(host_prot(p), RW);
	memset(p, 2, PAGE_SIZE);
	r = fault_in_child(read_byte, p + 123, &sig);
	cr_assert_eq(sig, 0, "%s", r);
	free(r);
	__free_page(page);
	check_and_shutdown();
}

/* Without the option the same read is harmless: the test can fail. */
Test(debug_pagealloc, control_without_the_option)
{
	boot_or_die("mem=128M");
	struct page *page = alloc_page(GFP_KERNEL);
	char *p = page_address(page);

	__free_page(page);
	cr_assert_eq(host_prot(p), RW);
	int sig;
	char *r = fault_in_child(read_byte, p, &sig);
	cr_assert_eq(sig, 0, "%s", r);
	free(r);
	check_and_shutdown();
}

/* A write faults too, and says so. */
Test(debug_pagealloc, stale_write_faults)
{
	boot_or_die("debug_pagealloc=on mem=128M");
	unsigned long a = __get_free_pages(GFP_KERNEL, 2);

	free_pages(a, 2);
	int sig;
	char *r = fault_in_child(write_byte, (char *)a + 3 * PAGE_SIZE + 5, &sig);
	cr_assert_died(sig);
	cr_assert(strstr(r, "#PF: supervisor write access in kernel mode\n"), "%s", r);
	cr_assert(strstr(r, "#PF: error_code(0x0002) - not-present page\n"), "%s", r);
	free(r);
	check_and_shutdown();
}

/* Whole blocks in and out of the direct map, in each zone. */
static void map_unmap_every_order(gfp_t gfp, enum zone_type zt)
{
	for (unsigned int order = 0; order <= MAX_PAGE_ORDER; order++) {
		struct page *page = alloc_pages(gfp, order);

		cr_assert_not_null(page, "order %u", order);
		cr_assert_eq(page_zonenum(page), zt);
		char *first = page_address(page), *last = first + (PAGE_SIZE << order) - 1;
		cr_assert_eq(host_prot(first), RW, "order %u", order);
		cr_assert_eq(host_prot(last), RW, "order %u", order);
		memset(first, 3, PAGE_SIZE << order);
		__free_pages(page, order);
		cr_assert_eq(host_prot(first), 0, "order %u", order);
		cr_assert_eq(host_prot(last), 0, "order %u", order);
	}
}

Test(debug_pagealloc, every_order_and_zone_x86_64, .timeout = 120)
{
	boot_or_die("debug_pagealloc=on mem=4608M");
	map_unmap_every_order(GFP_KERNEL | __GFP_DMA, ZONE_DMA);
	map_unmap_every_order(GFP_KERNEL | __GFP_DMA32, ZONE_DMA32);
	map_unmap_every_order(GFP_KERNEL, ZONE_NORMAL);
	check_and_shutdown();
}

/* x86_32: lowmem as above; a high page has no direct-map address to take away. */
Test(debug_pagealloc, every_order_and_zone_x86_32_highmem, .timeout = 120)
{
	boot_or_die("debug_pagealloc=on arch=x86_32 mem=1100M");
	map_unmap_every_order(GFP_KERNEL | __GFP_DMA, ZONE_DMA);
	map_unmap_every_order(GFP_KERNEL, ZONE_NORMAL);
	for (unsigned int order = 0; order <= MAX_PAGE_ORDER; order++) {
		struct page *page = alloc_pages(GFP_HIGHUSER, order);

		cr_assert(PageHighMem(page));
		for (unsigned long i = 0; i < (1UL << order); i += 7) {
			char *v = kmap(page + i);
			v[0] = 1;
			kunmap(page + i);
		}
		__free_pages(page, order);
	}
	check_and_shutdown();
}

Test(debug_pagealloc, bulk_alloc_and_per_cpu_lists)
{
	boot_or_die("debug_pagealloc=on mem=256M cpus=2");
	kmm_bind_cpu(0);
	struct page *pages[200] = { 0 };

	drain_all_pages(NULL);
	cr_assert_eq(alloc_pages_bulk(GFP_KERNEL, 200, pages), 200);
	for (int i = 0; i < 200; i++) {
		cr_assert_eq(host_prot(page_address(pages[i])), RW, "page %d", i);
		memset(page_address(pages[i]), 4, PAGE_SIZE);
	}
	struct zone *zone = page_zone(pages[0]);
	for (int i = 0; i < 200; i++)
		__free_page(pages[i]);
	cr_assert_gt(zone->per_cpu_pageset[0].count, 0, "some pages wait on CPU 0's list");
	for (int i = 0; i < 200; i++)
		cr_assert_eq(host_prot(page_address(pages[i])), 0, "page %d", i);
	/* On the per-CPU list, freed: a read faults. */
	int sig;
	char *r = fault_in_child(read_byte, page_address(pages[199]), &sig);
	cr_assert_died(sig);
	cr_assert(strstr(r, "a free page (debug_pagealloc unmapped it)"), "%s", r);
	free(r);
	drain_all_pages(NULL);
	cr_assert_eq(zone->per_cpu_pageset[0].count, 0);
	for (int i = 0; i < 200; i++)
		cr_assert_eq(host_prot(page_address(pages[i])), 0, "page %d after the drain", i);
	check_and_shutdown();
}

/* A large kmalloc is pages: a use after kfree faults. */
Test(debug_pagealloc, large_kmalloc_use_after_free)
{
	boot_or_die("debug_pagealloc=on mem=128M");
	char *p = kmalloc(5 * PAGE_SIZE, GFP_KERNEL);

	memset(p, 5, 5 * PAGE_SIZE);
	kfree(p);
	int sig;
	char *r = fault_in_child(read_byte, p + 4 * PAGE_SIZE, &sig);
	cr_assert_died(sig);
	cr_assert(strstr(r, "BUG: unable to handle page fault"), "%s", r);
	free(r);
	check_and_shutdown();
}

/*
 * Every other page of a long run freed: each free splits the host's mapping
 * of the RAM file, until the host's bound on mappings (vm.max_map_count)
 * refuses.  debug_pagealloc then turns itself off, says why, and maps the
 * whole direct map again; the machine goes on.
 */
Test(debug_pagealloc, gives_up_at_the_host_mapping_bound, .timeout = 120)
{
	boot_or_die("debug_pagealloc=on mem=1G");
	static struct page *pages[2 * 140000 + 4096];
	long max = plat_max_mappings(0);
	int n = 0;

	cr_assert_lt(max, 140000, "vm.max_map_count %ld is too large for this test", max);
	/* Twice as many pages as the bound, then free every other one. */
	for (n = 0; n < 2 * max + 4096; n++) {
		pages[n] = alloc_page(GFP_KERNEL);
		cr_assert_not_null(pages[n]);
	}
	for (int i = 0; i < n && debug_pagealloc; i += 2) {
		__free_page(pages[i]);
		pages[i] = NULL;
	}
	cr_assert(!debug_pagealloc, "the bound was never reached (%d pages)", n);
	cr_assert(dmesg_has("vm.max_map_count; debug_pagealloc is off"));
	for (int i = 0; i < n; i++)
		if (!pages[i]) {
			cr_assert_eq(host_prot(page_address(alloc_pages(GFP_KERNEL, 0))), RW);
			break;
		}
	for (int i = 0; i < n; i++)
		if (pages[i])
			__free_page(pages[i]);
	check_and_shutdown();
}

/*
 * vfree: Linux flushes the TLB at once under debug_pagealloc, so the
 * vmalloc address faults even before the lazy purge; without it, the stale
 * host mapping still reads until the purge.
 */
static void vfree_then_read(const char *cmdline, bool faults)
{
	boot_or_die(cmdline);
	char *v = vmalloc(4 * PAGE_SIZE);

	memset(v, 7, 4 * PAGE_SIZE);
	vfree(v);
	int sig;
	char *r = fault_in_child(read_byte, v + PAGE_SIZE, &sig);
	if (faults) {
		cr_assert_died(sig);
		cr_assert(strstr(r, "BUG: unable to handle page fault"), "%s", r);
	} else {
		cr_assert_eq(sig, 0, "%s", r);
	}
	free(r);
	check_and_shutdown();
}

Test(debug_pagealloc, vfree_flushes_at_once)
{
	vfree_then_read("debug_pagealloc=on mem=128M", true);
}

Test(debug_pagealloc, vfree_control_lazy)
{
	vfree_then_read("mem=128M", false);
}

/*
 * Both options under every allocator: slab pages, vmalloc, per-CPU chunks,
 * page tables come and go; nothing false is reported and kmm_check() holds.
 */
static void workload(void)
{
	static void *objs[3000];
	struct kmem_cache *c = kmem_cache_create("page_debug", 300, 0, 0, NULL);

	cr_assert_not_null(c);
	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < 3000; i++) {
			size_t size = 8UL << (i % 11);
			objs[i] = i % 3 ? kmalloc(size, GFP_KERNEL) : kmem_cache_alloc(c, GFP_KERNEL);
			cr_assert_not_null(objs[i]);
			memset(objs[i], i, i % 3 ? size : 300);
		}
		for (int i = 0; i < 3000; i += 2)
			i % 3 ? kfree(objs[i]) : kmem_cache_free(c, objs[i]);
		void *v = vmalloc(300 * PAGE_SIZE);
		memset(v, 6, 300 * PAGE_SIZE);
		int __percpu *pc = alloc_percpu(int);
		for (int cpu = 0; cpu < (int)nr_cpu_ids; cpu++)
			*per_cpu_ptr(pc, cpu) = cpu;
		for (int i = 1; i < 3000; i += 2)
			i % 3 ? kfree(objs[i]) : kmem_cache_free(c, objs[i]);
		vfree(v);
		free_percpu(pc);
		cr_assert_eq(kmm_check(), 0, "round %d", round);
	}
	kmem_cache_destroy(c);
	cr_assert_eq(poison_reports(), 0);
	cr_assert_eq(kmm_report_count(KMM_REPORT_BUG), 0);
}

Test(page_debug, both_options_under_every_allocator_x86_64, .timeout = 120)
{
	boot_or_die("page_poison=1 debug_pagealloc=on mem=512M cpus=2");
	workload();
	check_and_shutdown();
}

Test(page_debug, both_options_under_every_allocator_x86_32, .timeout = 120)
{
	boot_or_die("page_poison=1 debug_pagealloc=on arch=x86_32 mem=1100M cpus=2");
	workload();
	check_and_shutdown();
}
