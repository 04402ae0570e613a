/* SPDX-License-Identifier: MIT */
/*
 * vmalloc and highmem benchmarks, each printed as a ratio against a peer
 * measured in the same run, with the target beside it:
 *
 *   vmalloc(PAGE_SIZE) + vfree        vs one host mmap + munmap of a page
 *                                     (target <= 1.2: lazy purging batches
 *                                     the unmaps)
 *   the same with 15000 live areas    vs without them (target <= 1.3: the
 *                                     free-space search is O(log n))
 *   kmap + kunmap of a mapped page    ns per pair (target <= 50 ns)
 *   kmap_atomic + kunmap_atomic       host calls per pair (target: 0)
 */
#include <stdio.h>
#include <stdlib.h>
#include "internal.h"
#include "bench_time.h"

static void *scratch;

static void host_pair(long n)
{
	for (long i = 0; i < n; i++) {
		plat_map(scratch, 0x100000, PAGE_SIZE, PLAT_PROT_READ | PLAT_PROT_WRITE);
		*(volatile char *)scratch = 1;
		plat_unmap(scratch, PAGE_SIZE, plat_map_cost(1));
	}
}

static void vmalloc_pair(long n)
{
	for (long i = 0; i < n; i++) {
		char *p = vmalloc(PAGE_SIZE);
		*(volatile char *)p = 1;
		vfree(p);
	}
}

static struct page *hp;

static void kmap_pair(long n)
{
	for (long i = 0; i < n; i++) {
		void *v = kmap(hp);
		*(volatile char *)v = 1;
		kunmap(hp);
	}
}

static void kmap_atomic_pair(long n)
{
	for (long i = 0; i < n; i++) {
		void *v = kmap_atomic(hp);
		*(volatile char *)v = 1;
		kunmap_atomic(v);
	}
}

static void verdict(const char *what, double ratio, double target)
{
	printf("  %-52s %6.2f  (target <= %.2f) %s\n", what, ratio, target,
	       ratio <= target ? "ok" : "MISSED");
}

int main(void)
{
	kmm_set_console(NULL);
	if (kmm_boot("mem=2G cpus=2"))
		return 1;
	struct vm_struct *area = get_vm_area(PAGE_SIZE, 0);
	scratch = area->addr;
	long n = 20000;
	double host = best(host_pair, n, 5);
	double fix = best(vmalloc_pair, n, 5);
	printf("vmalloc(PAGE_SIZE) + vfree: %.0f ns; host mmap + munmap: %.0f ns\n", fix, host);
	verdict("vmalloc+vfree / host mmap+munmap", fix / host, 1.2);

	void **live = vmalloc(15000 * sizeof(void *));
	for (int i = 0; i < 15000; i++)
		live[i] = vmalloc(PAGE_SIZE);
	double busy = best(vmalloc_pair, n, 5);
	printf("with 15000 live areas: %.0f ns per pair\n", busy);
	verdict("long_busy_list / fix_size, per operation", busy / fix, 1.3);
	for (int i = 0; i < 15000; i++)
		vfree(live[i]);
	vfree(live);
	free_vm_area(area);
	kmm_shutdown();

	if (kmm_boot("arch=x86_32 mem=2G cpus=2"))
		return 1;
	hp = alloc_page(GFP_HIGHUSER);
	kmap(hp);
	kunmap(hp);
	double km = best(kmap_pair, 1000000, 5);
	printf("kmap + kunmap of a mapped high page: %.1f ns\n", km);
	verdict("kmap+kunmap, ns", km, 50);
	unsigned long calls = plat_host_calls();
	kmap_atomic_pair(1);
	calls = plat_host_calls();
	double ka = best(kmap_atomic_pair, 1000000, 3);
	unsigned long used = plat_host_calls() - calls;
	printf("kmap_atomic + kunmap_atomic of the same page: %.1f ns, %lu host calls\n", ka, used);
	verdict("kmap_atomic+kunmap_atomic host calls", (double)used, 0);
	__free_page(hp);
	kmm_shutdown();
	return 0;
}
