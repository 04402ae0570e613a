/* SPDX-License-Identifier: MIT */
/*
 * init_on_alloc= / init_on_free=: Linux's lib/test_meminit.c re-expressed.
 * Memory is filled with garbage, freed, allocated again, and must read as
 * zero; caches with a constructor keep what it wrote; SLAB_TYPESAFE_BY_RCU
 * objects are never wiped.  A control run with both off shows the garbage
 * comes back, so the checks can fail.
 */
#include <stdio.h>
#include <string.h>
#include "helpers.h"
#include "slab.h"

#define GARBAGE_INT	0x09A7BA9E
#define GARBAGE_BYTE	0x9E

static int count_nonzero_bytes(const void *ptr, size_t size)
{
	const unsigned char *p = ptr;
	int n = 0;

	for (size_t i = 0; i < size; i++)
		n += p[i] != 0;
	return n;
}

static void fill_with_garbage_skip(void *ptr, size_t size, size_t skip)
{
	unsigned int *p = (unsigned int *)((char *)ptr + skip);
	size_t i = 0;

	size -= skip;
	for (; size >= sizeof(*p); size -= sizeof(*p))
		p[i++] = GARBAGE_INT;
	if (size)
		memset(&p[i], GARBAGE_BYTE, size);
}

static void fill_with_garbage(void *ptr, size_t size)
{
	fill_with_garbage_skip(ptr, size, 0);
}

/* Pages of every order: garbage, free, allocate again. */
static int test_pages(int *failures)
{
	int n = 0;

	for (unsigned int order = 0; order < NR_PAGE_ORDERS; order++, n++) {
		struct page *page = alloc_pages(GFP_KERNEL, order);
		size_t size = PAGE_SIZE << order;

		if (!page) {
			(*failures)++;
			continue;
		}
		fill_with_garbage(page_address(page), size);
		__free_pages(page, order);
		page = alloc_pages(GFP_KERNEL, order);
		if (!page || count_nonzero_bytes(page_address(page), size))
			(*failures)++;
		if (page) {
			fill_with_garbage(page_address(page), size);
			__free_pages(page, order);
		}
	}
	return n;
}

/* vmalloc of @size: garbage, free, allocate again. */
static void do_vmalloc_size(size_t size, int *failures)
{
	void *buf = vmalloc(size);

	if (!buf) {
		(*failures)++;
		return;
	}
	fill_with_garbage(buf, size);
	vfree(buf);
	buf = vmalloc(size);
	if (!buf || count_nonzero_bytes(buf, size))
		(*failures)++;
	if (buf) {
		fill_with_garbage(buf, size);
		vfree(buf);
	}
}

/* kmalloc (and vmalloc) of 2^0 .. 2^19 bytes. */
static int test_kmalloc(int *failures)
{
	int n = 0;

	for (int i = 0; i < 20; i++, n++) {
		size_t size = 1UL << i;
		void *buf = kmalloc(size, GFP_KERNEL);

		if (!buf) {
			(*failures)++;
			continue;
		}
		fill_with_garbage(buf, size);
		kfree(buf);
		buf = kmalloc(size, GFP_KERNEL);
		if (!buf || count_nonzero_bytes(buf, size))
			(*failures)++;
		if (buf) {
			fill_with_garbage(buf, size);
			kfree(buf);
		}
		do_vmalloc_size(size, failures);
		n++;
	}
	return n;
}

#define CTOR_BYTES	sizeof(unsigned int)
#define CTOR_PATTERN	0x41414141U

static void test_ctor(void *obj)
{
	*(unsigned int *)obj = CTOR_PATTERN;
}

/* Linux's check_buf(): true if @buf is not as it must be. */
static bool check_buf(void *buf, size_t size, bool want_ctor, bool want_rcu, bool want_zero)
{
	int bytes = count_nonzero_bytes(buf, size);

	if (want_zero)
		return bytes;
	if (want_ctor)
		return *(unsigned int *)buf != CTOR_PATTERN;
	return bytes && !want_rcu;
}

#define BULK_SIZE 100
static void *bulk_array[BULK_SIZE];

static bool do_kmem_cache_size(size_t size, bool want_ctor, bool want_rcu, bool want_zero)
{
	gfp_t gfp = GFP_KERNEL | (want_zero ? __GFP_ZERO : 0);
	struct kmem_cache *c = kmem_cache_create("test_cache", (unsigned int)size, 1,
						 want_rcu ? SLAB_TYPESAFE_BY_RCU : 0,
						 want_ctor ? test_ctor : NULL);
	bool fail = false;

	cr_assert_not_null(c);
	for (int iter = 0; iter < 10; iter++) {
		if (!want_rcu && !want_ctor) {
			int ret = kmem_cache_alloc_bulk(c, gfp, BULK_SIZE, bulk_array);

			fail |= !ret;
			for (int i = 0; i < ret; i++)
				fail |= check_buf(bulk_array[i], size, want_ctor, want_rcu, want_zero);
			if (ret)
				kmem_cache_free_bulk(c, (size_t)ret, bulk_array);
		}
		void *buf = kmem_cache_alloc(c, gfp);
		cr_assert_not_null(buf);
		fail |= check_buf(buf, size, want_ctor, want_rcu, want_zero);
		fill_with_garbage_skip(buf, size, want_ctor ? CTOR_BYTES : 0);
		if (!want_rcu) {
			kmem_cache_free(c, buf);
			continue;
		}
		/* A TYPESAFE_BY_RCU object is not wiped by its free: readers may still look. */
		rcu_read_lock();
		void *copy = kmalloc(size, GFP_ATOMIC);
		if (copy)
			memcpy(copy, buf, size);
		kmem_cache_free(c, buf);
		fail |= check_buf(buf, size, want_ctor, want_rcu, false);
		if (copy) {
			fail |= memcmp(buf, copy, size) != 0;
			kfree(copy);
		}
		rcu_read_unlock();
	}
	cr_assert_eq(kmem_cache_destroy(c), 0);
	return fail;
}

static bool do_kmem_cache_size_bulk(size_t size)
{
	struct kmem_cache *c = kmem_cache_create("test_cache", (unsigned int)size,
						 (unsigned int)size, 0, NULL);
	void *objects[10];
	bool fail = false;

	for (int iter = 0; iter < 1024 && !fail; iter++) {
		int num = kmem_cache_alloc_bulk(c, GFP_KERNEL, 10, objects);

		for (int i = 0; i < num; i++) {
			fail |= count_nonzero_bytes(objects[i], size) != 0;
			fill_with_garbage(objects[i], size);
		}
		if (num)
			kmem_cache_free_bulk(c, (size_t)num, objects);
	}
	cr_assert_eq(kmem_cache_destroy(c), 0);
	return fail;
}

/* Caches of 8 << i bytes, with and without ctor, RCU and __GFP_ZERO. */
static int test_kmemcache(int *failures)
{
	int n = 0;

	for (int i = 0; i < 10; i++) {
		size_t size = 8UL << i;

		for (int flags = 0; flags < 8; flags++) {
			bool ctor = flags & 1, rcu = flags & 2, zero = flags & 4;

			if (ctor && zero)
				continue;
			*failures += do_kmem_cache_size(size, ctor, rcu, zero);
			n++;
		}
		*failures += do_kmem_cache_size_bulk(size);
		n++;
	}
	return n;
}

/* Data written to a TYPESAFE_BY_RCU object survives its free and reallocation. */
static int test_rcu_persistent(int *failures)
{
	for (int i = 0; i < 10; i++) {
		size_t size = 8UL << i;
		struct kmem_cache *c = kmem_cache_create("test_cache", (unsigned int)size,
							 (unsigned int)size, SLAB_TYPESAFE_BY_RCU, NULL);
		void *buf = kmem_cache_alloc(c, GFP_KERNEL), *saved = buf;
		void *contents = kmalloc(size, GFP_KERNEL);
		void **used = kmalloc_array(1024, sizeof(void *), GFP_KERNEL);
		int iter, last = 1023;

		fill_with_garbage(buf, size);
		memcpy(contents, buf, size);
		kmem_cache_free(c, buf);
		for (iter = 0; iter < 1024; iter++) {
			used[iter] = kmem_cache_alloc(c, GFP_KERNEL);
			if (used[iter] == saved) {
				*failures += memcmp(contents, used[iter], size) != 0;
				last = iter;
				break;
			}
		}
		for (int k = 0; k <= last; k++)
			kmem_cache_free(c, used[k]);
		kfree(contents);
		kfree(used);
		cr_assert_eq(kmem_cache_destroy(c), 0);
	}
	return 10;
}

static void run_all(const char *cmdline)
{
	int failures = 0, n = 0;

	boot_or_die(cmdline);
	n += test_pages(&failures);
	n += test_kmalloc(&failures);
	n += test_kmemcache(&failures);
	n += test_rcu_persistent(&failures);
	cr_expect_eq(failures, 0, "%s: failures: %d out of %d", cmdline, failures, n);
	cr_assert_eq(kmm_report_count(KMM_REPORT_SLAB), 0);
	check_and_shutdown();
}

Test(meminit, init_on_alloc)
{
	run_all("cpus=2 init_on_alloc=1");
	cr_assert(dmesg_has("mem auto-init: stack:off, heap alloc:on, heap free:off"));
}

Test(meminit, init_on_free)
{
	run_all("cpus=2 init_on_free=1");
}

Test(meminit, both)
{
	run_all("cpus=2 init_on_alloc=on init_on_free=y");
}

/* The same steps with both off find the garbage again: the checks can fail. */
Test(meminit, control_without_auto_init_sees_garbage)
{
	int failures = 0;

	boot_or_die("cpus=2");
	cr_assert(dmesg_has("mem auto-init: stack:off, heap alloc:off, heap free:off"));
	test_pages(&failures);
	test_kmalloc(&failures);
	cr_assert_gt(failures, 10, "only %d reused buffers held garbage", failures);
	check_and_shutdown();
}

Test(meminit, bad_value_is_refused)
{
	cr_assert_eq(kmm_boot("init_on_alloc=maybe"), -EINVAL);
	kmm_shutdown();
}

Test(meminit, poison_takes_precedence)
{
	boot_or_die("cpus=2 init_on_alloc=1 slab_debug=P");
	cr_assert(dmesg_has("mem auto-init: SLAB_POISON will take precedence over init_on_alloc/init_on_free"));
	void *p = kmalloc(64, GFP_KERNEL);
	cr_assert_eq(((unsigned char *)p)[0], POISON_FREE);
	kfree(p);
	check_and_shutdown();
}
