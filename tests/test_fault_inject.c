/* SPDX-License-Identifier: MIT */
/*
 * failslab, fail_page_alloc and fail-nth: each knob with the behaviour
 * Linux's Documentation/fault-injection gives it, set at boot and at run
 * time, and the report verbose prints.  Every test has a control (the same
 * call let through) so that a hook that never fires fails the test.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "helpers.h"

static void set(const char *attr, const char *knob, long val)
{
	cr_assert_eq(kmm_fault_attr_set(attr, knob, val), 0, "%s/%s=%ld", attr, knob, val);
}

static long get(const char *attr, const char *knob)
{
	long v = -12345;

	cr_assert_eq(kmm_fault_attr_get(attr, knob, &v), 0, "%s/%s", attr, knob);
	return v;
}

static unsigned long count_dmesg(const char *needle)
{
	size_t n = kmm_dmesg(NULL, 0);
	char *buf = malloc(n + 1);
	unsigned long c = 0;

	kmm_dmesg(buf, n + 1);
	for (char *p = buf; (p = strstr(p, needle)); p++)
		c++;
	free(buf);
	return c;
}

Test(fault_inject, defaults_are_linux)
{
	boot_or_die("mem=256M");
	cr_expect_eq(get("failslab", "probability"), 0);
	cr_expect_eq(get("failslab", "interval"), 1);
	cr_expect_eq(get("failslab", "times"), 1);
	cr_expect_eq(get("failslab", "space"), 0);
	cr_expect_eq(get("failslab", "verbose"), 2);
	cr_expect_eq(get("failslab", "ignore-gfp-wait"), 1);
	cr_expect_eq(get("failslab", "cache-filter"), 0);
	cr_expect_eq(get("fail_page_alloc", "ignore-gfp-wait"), 1);
	cr_expect_eq(get("fail_page_alloc", "ignore-gfp-highmem"), 1);
	cr_expect_eq(get("fail_page_alloc", "min-order"), 1);
	check_and_shutdown();
}

Test(fault_inject, failslab_at_boot)
{
	boot_or_die("mem=256M failslab=1,100,0,1");
	cr_expect_eq(get("failslab", "probability"), 100);
	/* ignore-gfp-wait: a request that may reclaim is spared. */
	void *k = kmalloc(64, GFP_KERNEL);
	cr_assert_not_null(k);
	void *a = kmalloc(64, GFP_ATOMIC);
	cr_expect_null(a, "GFP_ATOMIC kmalloc should have been failed");
	cr_expect(dmesg_has("FAULT_INJECTION: forcing a failure."));
	cr_expect(dmesg_has("name failslab, interval 1, probability 100, space 0, times 1"));
	/* times=1 is spent. */
	cr_expect_eq(get("failslab", "times"), 0);
	a = kmalloc(64, GFP_ATOMIC);
	cr_expect_not_null(a);
	kfree(a);
	kfree(k);
	check_and_shutdown();
}

Test(fault_inject, fail_page_alloc_at_boot_filters)
{
	/*
	 * Boot itself may spend failures, silently (__GFP_NOWARN): a slab of
	 * the boot caches first tries its preferred order that way, as Linux's
	 * allocate_slab() does, when that order is above the least that fits.
	 * So count from what boot left.
	 */
	boot_or_die("mem=256M fail_page_alloc=1,100,0,10");
	long left = get("fail_page_alloc", "times");
	cr_assert_geq(left, 2, "boot spent %ld of 10 failures", 10 - left);
	/* min-order 1, ignore-gfp-wait, ignore-gfp-highmem, __GFP_NOFAIL: spared. */
	struct page *p0 = alloc_pages(GFP_ATOMIC, 0);
	struct page *pk = alloc_pages(GFP_KERNEL, 2);
	struct page *ph = alloc_pages(GFP_ATOMIC | __GFP_HIGHMEM, 1);
	struct page *pn = alloc_pages(GFP_ATOMIC | __GFP_NOFAIL, 1);
	cr_assert(p0 && pk && ph && pn);
	cr_expect_eq(get("fail_page_alloc", "times"), left, "a spared call spent a failure");
	set("fail_page_alloc", "times", 2);
	cr_expect_null(alloc_pages(GFP_ATOMIC, 1));
	cr_expect_null(alloc_pages(GFP_ATOMIC | __GFP_NOWARN, 3));
	struct page *p1 = alloc_pages(GFP_ATOMIC, 1);
	cr_expect_not_null(p1, "times=2 should allow the third");
	cr_expect_eq(count_dmesg("FAULT_INJECTION: forcing a failure."), 1,
		     "__GFP_NOWARN must fail silently");
	cr_expect(dmesg_has("name fail_page_alloc, interval 1, probability 100, space 0, times 2"));
	__free_pages(p0, 0);
	__free_pages(pk, 2);
	__free_pages(ph, 1);
	__free_pages(pn, 1);
	if (p1)
		__free_pages(p1, 1);
	check_and_shutdown();
}

Test(fault_inject, runtime_knobs_page_alloc)
{
	boot_or_die("mem=256M");
	set("fail_page_alloc", "ignore-gfp-wait", 0);
	set("fail_page_alloc", "min-order", 0);
	set("fail_page_alloc", "times", -1);
	set("fail_page_alloc", "verbose", 0);
	set("fail_page_alloc", "probability", 100);
	cr_expect_null(alloc_pages(GFP_KERNEL, 0), "order-0 GFP_KERNEL should fail");
	cr_expect_eq(__get_free_pages(GFP_KERNEL, 0), 0);
	struct page *nf = alloc_pages(GFP_KERNEL | __GFP_NOFAIL, 0);
	cr_expect_not_null(nf, "__GFP_NOFAIL must never fail");
	cr_expect_eq(get("fail_page_alloc", "times"), -1);
	cr_expect_not(dmesg_has("FAULT_INJECTION"), "verbose=0 prints nothing");
	set("fail_page_alloc", "probability", 0);
	struct page *p = alloc_pages(GFP_KERNEL, 0);
	cr_expect_not_null(p);
	__free_pages(p, 0);
	__free_pages(nf, 0);
	check_and_shutdown();
}

Test(fault_inject, interval_and_space)
{
	boot_or_die("mem=256M");
	struct kmem_cache *s = kmem_cache_create("fi_obj", 128, 0, 0, NULL);
	cr_assert_not_null(s);
	set("failslab", "ignore-gfp-wait", 0);
	set("failslab", "times", -1);
	set("failslab", "verbose", 0);
	set("failslab", "interval", 3);
	set("failslab", "probability", 100);
	void *obj[9];
	for (int i = 0; i < 9; i++) {
		obj[i] = kmem_cache_alloc(s, GFP_KERNEL);
		cr_expect_eq(obj[i] == NULL, (i + 1) % 3 == 0, "call %d", i + 1);
	}
	for (int i = 0; i < 9; i++)
		if (obj[i])
			kmem_cache_free(s, obj[i]);
	/*
	 * space: calls go through while the budget exceeds their size, so a
	 * budget of four objects lets three through (Linux's comparison).
	 */
	set("failslab", "interval", 1);
	set("failslab", "space", 4 * 128);
	for (int i = 0; i < 6; i++) {
		obj[i] = kmem_cache_alloc(s, GFP_KERNEL);
		cr_expect_eq(obj[i] == NULL, i >= 3, "call %d with space", i + 1);
	}
	set("failslab", "probability", 0);
	for (int i = 0; i < 6; i++)
		if (obj[i])
			kmem_cache_free(s, obj[i]);
	kmem_cache_destroy(s);
	check_and_shutdown();
}

Test(fault_inject, cache_filter)
{
	boot_or_die("mem=256M");
	struct kmem_cache *marked = kmem_cache_create("fi_marked", 64, 0, SLAB_FAILSLAB, NULL);
	struct kmem_cache *plain = kmem_cache_create("fi_plain", 64, 0, SLAB_NO_MERGE, NULL);
	cr_assert(marked && plain);
	set("failslab", "ignore-gfp-wait", 0);
	set("failslab", "times", -1);
	set("failslab", "cache-filter", 1);
	set("failslab", "probability", 100);
	void *a = kmem_cache_alloc(plain, GFP_KERNEL);
	void *b = kmem_cache_alloc(marked, GFP_KERNEL);
	cr_expect_not_null(a, "an unmarked cache is spared with cache-filter");
	cr_expect_null(b, "a SLAB_FAILSLAB cache fails");
	set("failslab", "cache-filter", 0);
	void *c = kmem_cache_alloc(plain, GFP_KERNEL);
	cr_expect_null(c, "without the filter every cache fails");
	set("failslab", "probability", 0);
	kmem_cache_free(plain, a);
	kmem_cache_destroy(marked);
	kmem_cache_destroy(plain);
	check_and_shutdown();
}

Test(fault_inject, slab_debug_A_marks_caches)
{
	boot_or_die("mem=256M slab_debug=A");
	set("failslab", "ignore-gfp-wait", 0);
	set("failslab", "cache-filter", 1);
	set("failslab", "probability", 100);
	cr_expect_null(kmalloc(32, GFP_KERNEL), "slab_debug=A marks the kmalloc caches");
	set("failslab", "probability", 0);
	check_and_shutdown();
}

Test(fault_inject, fail_nth_counts_and_disarms)
{
	boot_or_die("mem=256M");
	set("failslab", "ignore-gfp-wait", 0);
	set("fail_page_alloc", "ignore-gfp-wait", 0);
	set("fail_page_alloc", "min-order", 0);
	/* A slab to take from, so that each kmalloc below is one call. */
	kfree(kmalloc(32, GFP_KERNEL));
	cr_assert_eq(kmm_fail_nth_write(3), 0);
	cr_expect_eq(kmm_fail_nth_read(), 3);
	void *a = kmalloc(32, GFP_KERNEL);
	struct page *p = alloc_pages(GFP_KERNEL, 0);
	cr_expect_eq(kmm_fail_nth_read(), 1);
	void *c = kmalloc(32, GFP_KERNEL);
	cr_expect(a && p, "the first two go through");
	cr_expect_null(c, "the third fails, though probability is 0");
	cr_expect_eq(kmm_fail_nth_read(), 0, "0 once injected");
	cr_expect(dmesg_has("FAULT_INJECTION: forcing a failure."));
	void *d = kmalloc(32, GFP_KERNEL);
	cr_expect_not_null(d, "fail-nth fails once");
	/* __GFP_NOFAIL is not counted. */
	cr_assert_eq(kmm_fail_nth_write(1), 0);
	struct page *nf = alloc_pages(GFP_KERNEL | __GFP_NOFAIL, 0);
	cr_expect_not_null(nf);
	cr_expect_eq(kmm_fail_nth_read(), 1);
	cr_assert_eq(kmm_fail_nth_write(0), 0);
	void *e = kmalloc(32, GFP_KERNEL);
	cr_expect_not_null(e, "writing 0 disarms");
	kfree(a);
	kfree(d);
	kfree(e);
	__free_pages(p, 0);
	__free_pages(nf, 0);
	check_and_shutdown();
}

static void *other_thread(void *arg)
{
	void **out = arg;

	for (int i = 0; i < 8; i++)
		out[i] = kmalloc(32, GFP_KERNEL);
	return NULL;
}

Test(fault_inject, fail_nth_is_per_thread)
{
	boot_or_die("mem=256M");
	set("failslab", "ignore-gfp-wait", 0);
	cr_assert_eq(kmm_fail_nth_write(2), 0);
	void *theirs[8];
	pthread_t t;
	pthread_create(&t, NULL, other_thread, theirs);
	pthread_join(t, NULL);
	for (int i = 0; i < 8; i++) {
		cr_expect_not_null(theirs[i], "another thread's call %d was failed", i);
		kfree(theirs[i]);
	}
	cr_expect_eq(kmm_fail_nth_read(), 2);
	void *a = kmalloc(32, GFP_KERNEL), *b = kmalloc(32, GFP_KERNEL);
	cr_expect(a && !b);
	kfree(a);
	check_and_shutdown();
}

Test(fault_inject, vmalloc_and_percpu_fail_through_the_hooks)
{
	boot_or_die("mem=256M");
	set("failslab", "ignore-gfp-wait", 0);
	set("fail_page_alloc", "ignore-gfp-wait", 0);
	set("fail_page_alloc", "ignore-gfp-highmem", 0);
	set("fail_page_alloc", "min-order", 0);
	set("fail_page_alloc", "verbose", 0);
	set("fail_page_alloc", "times", -1);
	set("fail_page_alloc", "probability", 100);
	cr_expect_null(vmalloc(8 * PAGE_SIZE));
	set("fail_page_alloc", "probability", 0);
	void *v = vmalloc(8 * PAGE_SIZE);
	cr_expect_not_null(v);
	vfree(v);
	check_and_shutdown();
}

Test(fault_inject, bad_knobs_change_nothing)
{
	boot_or_die("mem=256M");
	long v;
	cr_expect_eq(kmm_fault_attr_set("failslab", "min-order", 0), -EINVAL);
	cr_expect_eq(kmm_fault_attr_set("fail_page_alloc", "cache-filter", 1), -EINVAL);
	cr_expect_eq(kmm_fault_attr_set("fail_foo", "probability", 1), -EINVAL);
	cr_expect_eq(kmm_fault_attr_set("failslab", "nonsense", 1), -EINVAL);
	cr_expect_eq(kmm_fault_attr_set("failslab", "probability", 101), -EINVAL);
	cr_expect_eq(kmm_fault_attr_set("failslab", "probability", -1), -EINVAL);
	cr_expect_eq(kmm_fault_attr_set("failslab", "interval", 0), -EINVAL);
	cr_expect_eq(kmm_fault_attr_set("failslab", "times", -2), -EINVAL);
	cr_expect_eq(kmm_fault_attr_set("failslab", "verbose", 3), -EINVAL);
	cr_expect_eq(kmm_fault_attr_set(NULL, "verbose", 1), -EINVAL);
	cr_expect_eq(kmm_fault_attr_get("failslab", "probability", NULL), -EINVAL);
	cr_expect_eq(kmm_fail_nth_write(-1), -EINVAL);
	cr_expect_eq(get("failslab", "probability"), 0);
	cr_expect_eq(kmm_fault_attr_get("failslab", "ignore-gfp-highmem", &v), -EINVAL);
	void *a = kmalloc(8, GFP_ATOMIC);
	cr_expect_not_null(a);
	kfree(a);
	check_and_shutdown();
}

Test(fault_inject, bad_boot_parameter)
{
	kmm_set_console(NULL);
	kmm_dmesg_clear();
	cr_expect_eq(kmm_boot("mem=256M failslab=1,100"), -EINVAL);
	cr_expect(dmesg_has("FAULT_INJECTION: failed to parse arguments"));
	cr_expect_eq(kmm_boot("mem=256M fail_page_alloc=1,200,0,1"), -EINVAL);
	cr_expect_eq(kmm_boot("mem=256M fail_page_alloc=x"), -EINVAL);
	boot_or_die("mem=256M");
	cr_expect_eq(get("failslab", "probability"), 0, "a failed parse armed nothing");
	void *a = kmalloc(8, GFP_ATOMIC);
	cr_expect_not_null(a);
	kfree(a);
	check_and_shutdown();
}

Test(fault_inject, shutdown_resets_knobs)
{
	boot_or_die("mem=256M failslab=1,100,0,-1");
	kmm_shutdown();
	boot_or_die("mem=256M");
	cr_expect_eq(get("failslab", "probability"), 0);
	cr_expect_eq(get("failslab", "times"), 1);
	void *a = kmalloc(8, GFP_ATOMIC);
	cr_expect_not_null(a);
	kfree(a);
	check_and_shutdown();
}
