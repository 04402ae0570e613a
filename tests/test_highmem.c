/* SPDX-License-Identifier: MIT */
/*
 * High memory: kmap and the PKMAP pool (lazy flush, exhaustion and the
 * waiter woken by kunmap), kmap_atomic / kmap_local_page on the per-CPU
 * fixmap slots, aliasing with vmalloc, and the misuse reports.
 */
#include <pthread.h>
#include <unistd.h>
#include <string.h>
#include "helpers.h"
#include "internal.h"
#include "platform/platform.h"

static struct page *high_page(void)
{
	struct page *p = alloc_page(GFP_HIGHUSER);
	cr_assert_not_null(p);
	cr_assert(PageHighMem(p));
	return p;
}

Test(highmem, kmap_lowmem_is_the_direct_map)
{
	boot_or_die("arch=x86_32 mem=2G");
	struct page *low = alloc_page(GFP_KERNEL);
	cr_assert_eq(kmap(low), page_address(low));
	kunmap(low);
	cr_assert_eq(kmap_local_page(low), page_address(low));
	kunmap_local(page_address(low));
	cr_assert_eq(preempt_count(), 0);
	__free_page(low);
	check_and_shutdown();
}

Test(highmem, x86_64_has_nothing_high)
{
	boot_or_die("mem=1G");
	struct page *p = alloc_page(GFP_HIGHUSER);
	cr_assert(!PageHighMem(p));
	cr_assert_eq(kmap(p), page_address(p));
	void *a = kmap_atomic(p);
	cr_assert_eq(a, page_address(p));
	cr_assert_eq(preempt_count(), 1);
	kunmap_atomic(a);
	cr_assert_eq(preempt_count(), 0);
	kunmap(p);
	__free_page(p);
	check_and_shutdown();
}

Test(highmem, kmap_high_page)
{
	boot_or_die("arch=x86_32 mem=2G");
	struct page *p = high_page();
	cr_assert_null(page_address(p), "a high page has no address until kmapped");
	char *v = kmap(p);
	cr_assert_geq((unsigned long)v, PKMAP_BASE);
	cr_assert_lt((unsigned long)v, PKMAP_ADDR(LAST_PKMAP));
	cr_assert_eq(page_address(p), v);
	cr_assert_eq(kmap_to_page(v), p);
	strcpy(v, "through pkmap");
	char buf[16];
	cr_assert_eq(plat_ram_read(page_to_phys(p), buf, 14), 0);
	cr_assert_str_eq(buf, "through pkmap");
	cr_assert_eq(kmap(p), v, "a second kmap shares the slot");
	cr_assert_eq(kmm_pkmap_in_use(), 1);
	kunmap(p);
	kunmap(p);
	cr_assert_eq(kmm_pkmap_in_use(), 0);
	cr_assert_eq(page_address(p), v, "unused slots are flushed lazily");
	cr_assert_eq(kmm_check(), 0);
	unsigned long calls = plat_host_calls();
	cr_assert_eq(kmap(p), v);
	cr_assert_eq(plat_host_calls(), calls, "the slot still maps it: no host call");
	kunmap(p);
	kmap_flush_unused();
	cr_assert_null(page_address(p));
	__free_page(p);
	check_and_shutdown();
}

/* Written through the vmalloc address, read through kmap of the same page. */
Test(highmem, vmalloc_aliasing)
{
	boot_or_die("arch=x86_32 mem=2G");
	char *v = vmalloc(4 * PAGE_SIZE);
	for (int i = 0; i < 4; i++)
		snprintf(v + i * PAGE_SIZE, 32, "page %d of the area", i);
	for (int i = 0; i < 4; i++) {
		struct page *pg = vmalloc_to_page(v + i * PAGE_SIZE);
		cr_assert(PageHighMem(pg));
		char want[32];
		snprintf(want, sizeof(want), "page %d of the area", i);
		char *k = kmap(pg);
		cr_assert_str_eq(k, want);
		k[100] = 'k';
		kunmap(pg);
		char *a = kmap_local_page(pg);
		cr_assert_str_eq(a, want);
		kunmap_local(a);
		cr_assert_eq(v[i * PAGE_SIZE + 100], 'k');
	}
	vfree(v);
	check_and_shutdown();
}

static struct page *waiter_page;
static void *waiter_ptr;
static volatile int waiter_done;

static void *waiter(void *arg)
{
	(void)arg;
	waiter_ptr = kmap(waiter_page);
	waiter_done = 1;
	return NULL;
}

Test(highmem, kmap_waits_for_a_free_slot)
{
	boot_or_die("arch=x86_32 mem=2G");
	static struct page *pages[LAST_PKMAP];
	for (int i = 0; i < LAST_PKMAP; i++) {
		pages[i] = high_page();
		cr_assert_not_null(kmap(pages[i]));
	}
	cr_assert_eq(kmm_pkmap_in_use(), LAST_PKMAP);
	waiter_page = high_page();
	pthread_t t;
	pthread_create(&t, NULL, waiter, NULL);
	usleep(50000);
	cr_assert_eq(waiter_done, 0, "every slot is taken: kmap sleeps");
	kunmap(pages[7]);
	pthread_join(t, NULL);
	cr_assert_eq(waiter_done, 1);
	cr_assert_eq(page_address(waiter_page), waiter_ptr);
	cr_assert_null(page_address(pages[7]), "the woken kmap took the freed slot");
	kunmap(waiter_page);
	for (int i = 0; i < LAST_PKMAP; i++)
		if (i != 7)
			kunmap(pages[i]);
	cr_assert_eq(kmm_check(), 0);
	for (int i = 0; i < LAST_PKMAP; i++)
		__free_page(pages[i]);
	__free_page(waiter_page);
	check_and_shutdown();
}

Test(highmem, kmap_atomic_slots_nest_and_reuse)
{
	boot_or_die("arch=x86_32 mem=2G cpus=2");
	struct page *a = high_page(), *b = high_page();
	/*
	 * Stay on one CPU for the whole test: slots are per CPU, and between
	 * two atomic sections this thread may be handed another CPU when the
	 * runner has more threads than the machine has CPUs.
	 */
	int cpu = get_cpu();
	char *va = kmap_atomic(a);
	cr_assert_eq(preempt_count(), 2);
	cr_assert(in_atomic());
	cr_assert_geq((unsigned long)va, FIXADDR_START);
	char *vb = kmap_atomic(b);
	cr_assert_eq((unsigned long)vb, (unsigned long)va - PAGE_SIZE, "the next slot down");
	strcpy(va, "A");
	strcpy(vb, "B");
	cr_assert_eq(kmap_to_page(vb), b);
	kunmap_atomic(vb);
	kunmap_atomic(va);
	cr_assert_eq(preempt_count(), 1);
	/* The same page into a slot that still maps it: no host call. */
	unsigned long calls = plat_host_calls();
	char *again = kmap_atomic(a);
	cr_assert_eq(again, va);
	cr_assert_str_eq(again, "A");
	kunmap_atomic(again);
	cr_assert_eq(plat_host_calls(), calls);
	char *other = kmap_atomic(b);
	cr_assert_eq(plat_host_calls(), calls + 1, "another page: one host call");
	cr_assert_str_eq(other, "B");
	kunmap_atomic(other);
	put_cpu();
	(void)cpu;
	cr_assert_eq(kmm_check(), 0, "the slots' stale host mappings are known ones");
	__free_page(a);
	__free_page(b);
	check_and_shutdown();
}

Test(highmem_bad, kunmap_of_a_page_never_kmapped)
{
	boot_or_die("arch=x86_32 mem=2G");
	struct page *p = high_page();
	kunmap(p);
	cr_assert_eq(kmm_report_count(KMM_REPORT_KMAP), 1);
	cr_assert(dmesg_has("BUG: kunmap() of page pfn"));
	kmap(p);
	kunmap(p);
	kunmap(p);
	cr_assert_eq(kmm_report_count(KMM_REPORT_KMAP), 2, "one kmap, two kunmaps");
	__free_page(p);
	check_and_shutdown();
}

Test(highmem_bad, kunmap_local_out_of_order_and_too_deep)
{
	boot_or_die("arch=x86_32 mem=2G");
	struct page *p[KM_MAX_IDX + 1];
	for (int i = 0; i <= KM_MAX_IDX; i++)
		p[i] = high_page();
	void *a = kmap_local_page(p[0]), *b = kmap_local_page(p[1]);
	kunmap_local(a);
	cr_assert_eq(kmm_report_count(KMM_REPORT_KMAP), 1);
	cr_assert(dmesg_has("is not the last kmap_local mapping"));
	cr_assert_eq(preempt_count(), 2, "the refused unmap changed nothing");
	kunmap_local(b);
	kunmap_local(a);
	cr_assert_eq(preempt_count(), 0);
	void *v[KM_MAX_IDX];
	for (int i = 0; i < KM_MAX_IDX; i++)
		cr_assert_not_null(v[i] = kmap_local_page(p[i]));
	cr_assert_null(kmap_local_page(p[KM_MAX_IDX]));
	cr_assert(dmesg_has("more than 16 nested mappings"));
	cr_assert_eq(preempt_count(), KM_MAX_IDX);
	for (int i = KM_MAX_IDX - 1; i >= 0; i--)
		kunmap_local(v[i]);
	cr_assert_eq(preempt_count(), 0);
	for (int i = 0; i <= KM_MAX_IDX; i++)
		__free_page(p[i]);
	check_and_shutdown();
}

Test(highmem_bad, sleeping_under_kmap_atomic)
{
	boot_or_die("arch=x86_32 mem=2G");
	struct page *p = high_page();
	void *a = kmap_atomic(p);
	msleep(1);
	cr_assert_eq(kmm_report_count(KMM_REPORT_MIGHT_SLEEP), 1);
	cr_assert(dmesg_has("BUG: sleeping function called from invalid context"));
	kunmap_atomic(a);
	__free_page(p);
	check_and_shutdown();
}
