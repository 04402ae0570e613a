/* SPDX-License-Identifier: MIT */
/*
 * KFENCE: Linux's mm/kfence/kfence_test.c re-expressed, case by case, on a
 * machine sampling every millisecond.  Each case gets a KFENCE object the
 * way Linux's test does (allocate until one comes from the pool, on the
 * side wanted), makes the bad access with a real load or store through a
 * volatile pointer (a real host fault, handled and resumed), and checks
 * the report's first two lines in the kernel log as Linux's
 * report_matches() does: the title with the test function, and the access
 * line with the address.  Then kmm-specific cases: zombies of a destroyed
 * cache, kfree_rcu, the stats view, boot options, threads faulting at
 * once, and fork.  kmm_check() == 0 after each.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "helpers.h"
#include "kfence.h"
#include "slab.h"

#define SAMPLE_BOOT "cpus=2 kfence.sample_interval=1"

static struct kmem_cache *test_cache;

static void kfence_boot(const char *cmdline)
{
	boot_or_die(cmdline);
	cr_assert_not_null(__kfence_pool, "no KFENCE pool");
	test_cache = NULL;
}

static void kfence_end(void)
{
	if (test_cache)
		cr_expect_eq(kmem_cache_destroy(test_cache), 0);
	test_cache = NULL;
	check_and_shutdown();
}

static void setup_test_cache(size_t size, slab_flags_t flags, void (*ctor)(void *))
{
	test_cache = kmem_cache_create("test", (unsigned int)size, 1,
				       flags | SLAB_NO_MERGE | SLAB_NO_USER_FLAGS, ctor);
	cr_assert_not_null(test_cache);
}

static void test_free(void *p)
{
	if (test_cache)
		kmem_cache_free(test_cache, p);
	else
		kfree(p);
}

enum allocation_policy { ALLOCATE_ANY, ALLOCATE_LEFT, ALLOCATE_RIGHT, ALLOCATE_NONE };

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * Allocate until KFENCE gives an object on the side asked for (or, for
 * ALLOCATE_NONE, until a plain slab object comes).  The timer thread arms
 * one sample a millisecond; a short sleep between tries lets it run on a
 * loaded machine.  Linux waits 100 intervals; 20 s allows for the load.
 */
static void *test_alloc(size_t size, gfp_t gfp, enum allocation_policy policy)
{
	double deadline = now_s() + 20;

	do {
		void *p = test_cache ? kmem_cache_alloc(test_cache, gfp) : kmalloc(size, gfp);

		cr_assert_not_null(p);
		if (is_kfence_address(p)) {
			cr_assert_eq(kfence_object_start(p), p);
			if (policy == ALLOCATE_ANY)
				return p;
			if (policy == ALLOCATE_LEFT && PAGE_ALIGNED(p))
				return p;
			if (policy == ALLOCATE_RIGHT && !PAGE_ALIGNED(p))
				return p;
		} else if (policy == ALLOCATE_NONE) {
			return p;
		}
		test_free(p);
		usleep(50);
	} while (now_s() < deadline);
	cr_assert_fail("failed to allocate from KFENCE");
	return NULL;
}

/* The report's two lines, as Linux's report_matches() builds them. */
enum kfence_error { OOB, UAF, CORRUPTION, INVALID, INVALID_FREE };

static bool report_matches(enum kfence_error type, const char *fn, const void *addr,
			   bool is_write)
{
	const char *access = is_write ? "write" : "read";
	char title[256], line[256];
	size_t n = kmm_dmesg(NULL, 0);
	char *log = malloc(n + 1);
	bool ok;

	switch (type) {
	case OOB:
		snprintf(title, sizeof(title), "BUG: KFENCE: out-of-bounds %s in %s+", access, fn);
		snprintf(line, sizeof(line), "Out-of-bounds %s at 0x%016lx", access,
			 (unsigned long)addr);
		break;
	case UAF:
		snprintf(title, sizeof(title), "BUG: KFENCE: use-after-free %s in %s+", access, fn);
		snprintf(line, sizeof(line), "Use-after-free %s at 0x%016lx", access,
			 (unsigned long)addr);
		break;
	case CORRUPTION:
		snprintf(title, sizeof(title), "BUG: KFENCE: memory corruption in %s+", fn);
		snprintf(line, sizeof(line), "Corrupted memory at 0x%016lx", (unsigned long)addr);
		break;
	case INVALID:
		snprintf(title, sizeof(title), "BUG: KFENCE: invalid %s in %s+", access, fn);
		snprintf(line, sizeof(line), "Invalid %s at 0x%016lx", access, (unsigned long)addr);
		break;
	case INVALID_FREE:
		snprintf(title, sizeof(title), "BUG: KFENCE: invalid free in %s+", fn);
		snprintf(line, sizeof(line), "Invalid free of 0x%016lx", (unsigned long)addr);
		break;
	}
	kmm_dmesg(log, n + 1);
	const char *t = strstr(log, title);
	ok = t && strstr(t, line);
	if (!ok)
		cr_log_error("wanted \"%s\" then \"%s\" in:\n%s", title, line, log);
	free(log);
	return ok;
}

static bool report_available(void)
{
	return dmesg_has("BUG: KFENCE: ");
}

static long stat_of(const char *name)
{
	char *buf = view("kfence"), *p = strstr(buf, name);
	long v;

	cr_assert_not_null(p, "no \"%s\" in:\n%s", name, buf);
	v = strtol(p + strlen(name) + 2, NULL, 10);
	free(buf);
	return v;
}

static size_t kmalloc_cache_alignment(size_t size)
{
	return kmalloc_caches[KMALLOC_NORMAL][kmalloc_index(size)]->align;
}

/*
 * The cases.  Each is a function of its own, exported (the tests link
 * with -rdynamic), so that the report can name it as Linux's names the
 * KUnit case; each runs once with kmalloc and, where Linux's has a
 * "-memcache" twin, once with a cache of its own.
 */

__attribute__((noinline)) void test_out_of_bounds_read(bool memcache)
{
	size_t size = 32;
	char *buf;
	volatile char *addr;

	if (memcache)
		setup_test_cache(size, 0, NULL);
	else
		size = kmalloc_cache_alignment(size);
	buf = test_alloc(size, GFP_KERNEL, ALLOCATE_LEFT);
	addr = buf - 1;
	(void)*addr;
	cr_expect(report_matches(OOB, "test_out_of_bounds_read", (void *)addr, false));
	test_free(buf);

	kmm_dmesg_clear();
	buf = test_alloc(size, GFP_KERNEL, ALLOCATE_RIGHT);
	addr = buf + size;
	(void)*addr;
	cr_expect(report_matches(OOB, "test_out_of_bounds_read", (void *)addr, false));
	test_free(buf);
}

__attribute__((noinline)) void test_out_of_bounds_write(bool memcache)
{
	size_t size = 32;
	char *buf;
	volatile char *addr;

	if (memcache)
		setup_test_cache(size, 0, NULL);
	buf = test_alloc(size, GFP_KERNEL, ALLOCATE_LEFT);
	addr = buf - 1;
	*addr = 42;
	cr_expect(report_matches(OOB, "test_out_of_bounds_write", (void *)addr, true));
	test_free(buf);

	/* kmm's addition: the right side, a write past the end into the guard page. */
	kmm_dmesg_clear();
	if (!memcache)
		size = kmalloc_cache_alignment(size);
	buf = test_alloc(size, GFP_KERNEL, ALLOCATE_RIGHT);
	addr = buf + size;
	*addr = 42;
	cr_expect(report_matches(OOB, "test_out_of_bounds_write", (void *)addr, true));
	cr_expect(dmesg_has("(0B right of kfence-#") || dmesg_has("B right of kfence-#"));
	test_free(buf);
}

__attribute__((noinline)) void test_use_after_free_read(bool memcache)
{
	const size_t size = 32;
	volatile char *addr;

	if (memcache)
		setup_test_cache(size, 0, NULL);
	addr = test_alloc(size, GFP_KERNEL, ALLOCATE_ANY);
	test_free((void *)addr);
	(void)*addr;
	cr_expect(report_matches(UAF, "test_use_after_free_read", (void *)addr, false));
}

__attribute__((noinline)) void test_use_after_free_write(bool memcache)
{
	const size_t size = 32;
	volatile char *addr;

	if (memcache)
		setup_test_cache(size, 0, NULL);
	addr = test_alloc(size, GFP_KERNEL, ALLOCATE_ANY);
	test_free((void *)addr);
	addr[3] = 7;
	cr_expect(report_matches(UAF, "test_use_after_free_write", (void *)(addr + 3), true));
	/* The page stays open after the report: the next access goes through unreported. */
	kmm_dmesg_clear();
	cr_expect_eq(addr[3], 7);
	cr_expect(!report_available());
}

__attribute__((noinline)) void test_double_free(bool memcache)
{
	const size_t size = 32;
	void *addr;

	if (memcache)
		setup_test_cache(size, 0, NULL);
	addr = test_alloc(size, GFP_KERNEL, ALLOCATE_ANY);
	test_free(addr);
	test_free(addr);
	cr_expect(report_matches(INVALID_FREE, "test_double_free", addr, false));
}

__attribute__((noinline)) void test_invalid_addr_free(bool memcache)
{
	const size_t size = 32;
	char *buf;

	if (memcache)
		setup_test_cache(size, 0, NULL);
	buf = test_alloc(size, GFP_KERNEL, ALLOCATE_ANY);
	test_free(buf + 1);
	test_free(buf);	/* no error */
	cr_expect(report_matches(INVALID_FREE, "test_invalid_addr_free", buf + 1, false));
	cr_expect_eq(kmm_report_count(KMM_REPORT_KFENCE), 1);
}

__attribute__((noinline)) void test_corruption(bool memcache)
{
	const size_t size = 32;
	volatile char *addr;
	char *buf;

	if (memcache)
		setup_test_cache(size, 0, NULL);
	buf = test_alloc(size, GFP_KERNEL, ALLOCATE_LEFT);
	addr = buf + size;
	*addr = 42;
	test_free(buf);
	cr_expect(report_matches(CORRUPTION, "test_corruption", (void *)addr, false));
	/* The byte dump: 16 bytes from the first bad one, '!' for it, '.' for good ones. */
	cr_expect(dmesg_has("[ ! . . . . . . . . . . . . . . . ] (in kfence-#"));

	kmm_dmesg_clear();
	buf = test_alloc(size, GFP_KERNEL, ALLOCATE_RIGHT);
	addr = buf - 1;
	*addr = 42;
	test_free(buf);
	cr_expect(report_matches(CORRUPTION, "test_corruption", (void *)addr, false));
	/* Left of the object: up to the object only. */
	cr_expect(dmesg_has("[ ! ] (in kfence-#"));
}

/*
 * An object of 73 bytes sits 8-aligned at the right: the gap before the
 * guard page is canary, so an access in it faults not; one at align bytes
 * past it does.
 */
__attribute__((noinline)) void test_kmalloc_aligned_oob_read(void)
{
	const size_t size = 73;
	const size_t align = kmalloc_cache_alignment(size);
	volatile char *buf;

	buf = test_alloc(size, GFP_KERNEL, ALLOCATE_RIGHT);
	(void)buf[-1];
	cr_expect(!report_available());
	(void)buf[size];
	cr_expect(!report_available());
	(void)buf[size + align];
	cr_expect(report_matches(OOB, "test_kmalloc_aligned_oob_read", (void *)(buf + size + align),
				 false));
	test_free((void *)buf);
}

__attribute__((noinline)) void test_kmalloc_aligned_oob_write(void)
{
	const size_t size = 73;
	volatile char *buf;

	buf = test_alloc(size, GFP_KERNEL, ALLOCATE_RIGHT);
	buf[size] = (char)(buf[size] + 1);
	cr_expect(!report_available());
	test_free((void *)buf);
	cr_expect(report_matches(CORRUPTION, "test_kmalloc_aligned_oob_write",
				 (void *)(buf + size), false));
}

#define KFENCE_CASE(name)					\
	Test(kfence, name)					\
	{							\
		kfence_boot(SAMPLE_BOOT);			\
		name(false);					\
		kfence_end();					\
	}							\
	Test(kfence, name##_memcache)				\
	{							\
		kfence_boot(SAMPLE_BOOT);			\
		name(true);					\
		kfence_end();					\
	}

KFENCE_CASE(test_out_of_bounds_read)
KFENCE_CASE(test_out_of_bounds_write)
KFENCE_CASE(test_use_after_free_read)
KFENCE_CASE(test_use_after_free_write)
KFENCE_CASE(test_double_free)
KFENCE_CASE(test_invalid_addr_free)
KFENCE_CASE(test_corruption)

Test(kfence, test_kmalloc_aligned_oob_read)
{
	kfence_boot(SAMPLE_BOOT);
	test_kmalloc_aligned_oob_read();
	kfence_end();
}

Test(kfence, test_kmalloc_aligned_oob_write)
{
	kfence_boot(SAMPLE_BOOT);
	test_kmalloc_aligned_oob_write();
	kfence_end();
}

/* Shrinking a cache with a live KFENCE object leaves the object alone. */
Test(kfence, test_shrink_memcache)
{
	kfence_boot(SAMPLE_BOOT);
	setup_test_cache(32, 0, NULL);
	char *buf = test_alloc(32, GFP_KERNEL, ALLOCATE_ANY);

	memset(buf, 0x5a, 32);
	kmem_cache_shrink(test_cache);
	cr_expect_eq(buf[31], 0x5a);
	test_free(buf);
	cr_expect(!report_available());
	kfence_end();
}

static void ctor_set_x(void *obj)
{
	memset(obj, 'x', 8);
}

/* Bulk frees mixing KFENCE and slab objects: none is touched wrongly. */
Test(kfence, test_free_bulk)
{
	kfence_boot(SAMPLE_BOOT);
	srand(1);
	for (int iter = 0; iter < 5; iter++) {
		size_t size = 8 + (size_t)(rand() % 300);

		setup_test_cache(size, 0, (iter & 1) ? ctor_set_x : NULL);
		void *objects[] = {
			test_alloc(size, GFP_KERNEL, ALLOCATE_RIGHT),
			test_alloc(size, GFP_KERNEL, ALLOCATE_NONE),
			test_alloc(size, GFP_KERNEL, ALLOCATE_LEFT),
			test_alloc(size, GFP_KERNEL, ALLOCATE_NONE),
			test_alloc(size, GFP_KERNEL, ALLOCATE_NONE),
		};
		kmem_cache_free_bulk(test_cache, ARRAY_SIZE(objects), objects);
		cr_assert(!report_available());
		cr_assert_eq(kmem_cache_destroy(test_cache), 0);
		test_cache = NULL;
	}
	kfence_end();
}

__attribute__((noinline)) void test_init_on_free(bool memcache)
{
	const size_t size = 32;
	volatile char *addr;

	if (memcache)
		setup_test_cache(size, 0, NULL);
	addr = test_alloc(size, GFP_KERNEL, ALLOCATE_ANY);
	for (size_t i = 0; i < size; i++)
		addr[i] = (char)(i + 1);
	test_free((void *)addr);
	for (size_t i = 0; i < size; i++) {
		cr_expect_eq(addr[i], 0, "byte %zu not wiped", i);
		if (!i)
			cr_expect(report_matches(UAF, "test_init_on_free", (void *)addr, false));
	}
}

Test(kfence, test_init_on_free)
{
	kfence_boot(SAMPLE_BOOT " init_on_free=1");
	test_init_on_free(false);
	kfence_end();
}

Test(kfence, test_init_on_free_memcache)
{
	kfence_boot(SAMPLE_BOOT " init_on_free=1");
	test_init_on_free(true);
	kfence_end();
}

Test(kfence, test_memcache_ctor)
{
	kfence_boot(SAMPLE_BOOT);
	setup_test_cache(32, 0, ctor_set_x);
	char *buf = test_alloc(32, GFP_KERNEL, ALLOCATE_ANY);

	for (int i = 0; i < 8; i++)
		cr_expect_eq(buf[i], 'x');
	test_free(buf);
	cr_expect(!report_available());
	kfence_end();
}

__attribute__((noinline)) void test_invalid_access(void)
{
	volatile char *p = &__kfence_pool[10];

	(void)*p;
	cr_expect(report_matches(INVALID, "test_invalid_access", (void *)p, false));
}

Test(kfence, test_invalid_access)
{
	kfence_boot(SAMPLE_BOOT);
	test_invalid_access();
	kfence_end();
}

/* __GFP_ZERO on a reused KFENCE object: all of it zero. */
Test(kfence, test_gfpzero)
{
	kfence_boot(SAMPLE_BOOT " kfence.num_objects=4");
	const size_t size = PAGE_SIZE;
	char *buf1, *buf2;
	int i;

	setup_test_cache(size, 0, NULL);
	buf1 = test_alloc(size, GFP_KERNEL, ALLOCATE_ANY);
	memset(buf1, 0x11, size);
	test_free(buf1);
	/* Four objects, reused least recently freed first: the same one comes back soon. */
	for (i = 0;; i++) {
		buf2 = test_alloc(size, GFP_KERNEL | __GFP_ZERO, ALLOCATE_ANY);
		if (buf1 == buf2)
			break;
		test_free(buf2);
		cr_assert_lt(i, 16, "cannot get the same object back");
	}
	for (size_t k = 0; k < size; k++)
		cr_assert_eq(buf2[k], 0, "byte %zu not zero", k);
	test_free(buf2);
	cr_expect(!report_available());
	kfence_end();
}

__attribute__((noinline)) void test_memcache_typesafe_by_rcu(void)
{
	volatile char *addr;

	setup_test_cache(32, SLAB_TYPESAFE_BY_RCU, NULL);
	addr = test_alloc(32, GFP_KERNEL, ALLOCATE_ANY);
	*addr = 42;
	rcu_read_lock();
	test_free((void *)addr);
	cr_expect_eq(*addr, 42);	/* not freed yet: no report */
	rcu_read_unlock();
	cr_expect(!report_available());
	rcu_barrier();
	cr_expect_eq(*addr, 42);	/* freed now, and guarded */
	cr_expect(report_matches(UAF, "test_memcache_typesafe_by_rcu", (void *)addr, false));
	cr_expect(dmesg_has("freed by task "));
}

Test(kfence, test_memcache_typesafe_by_rcu)
{
	kfence_boot(SAMPLE_BOOT);
	test_memcache_typesafe_by_rcu();
	kfence_end();
}

__attribute__((noinline)) void test_krealloc(void)
{
	const size_t size = 32;
	volatile char *addr = test_alloc(size, GFP_KERNEL, ALLOCATE_ANY);
	char *buf = (char *)addr;
	size_t i;

	cr_expect_eq(ksize(buf), size);	/* exactly the size asked for */
	for (i = 0; i < size; i++)
		buf[i] = (char)(i + 1);
	buf = krealloc(buf, size * 3, GFP_KERNEL);
	cr_assert_not_null(buf);
	cr_expect_geq(ksize(buf), size * 3);
	for (i = 0; i < size; i++)
		cr_expect_eq(buf[i], (char)(i + 1));
	for (; i < size * 3; i++)
		buf[i] = (char)(i + 1);
	buf = krealloc(buf, size * 2, GFP_KERNEL);
	cr_expect_geq(ksize(buf), size * 2);
	for (i = 0; i < size * 2; i++)
		cr_expect_eq(buf[i], (char)(i + 1));
	buf = krealloc(buf, 0, GFP_KERNEL);
	cr_expect_eq(buf, ZERO_SIZE_PTR);
	cr_assert(!report_available());
	(void)*addr;	/* krealloc() freed the first KFENCE object */
	cr_expect(report_matches(UAF, "test_krealloc", (void *)addr, false));
}

Test(kfence, test_krealloc)
{
	kfence_boot(SAMPLE_BOOT);
	test_krealloc();
	kfence_end();
}

/* Some objects of bulk allocations come from the pool. */
Test(kfence, test_memcache_alloc_bulk)
{
	kfence_boot(SAMPLE_BOOT);
	setup_test_cache(32, 0, NULL);
	bool pass = false;
	double deadline = now_s() + 20;

	do {
		void *objects[100];
		int num = kmem_cache_alloc_bulk(test_cache, GFP_ATOMIC, ARRAY_SIZE(objects), objects);

		for (int i = 0; i < num; i++)
			if (is_kfence_address(objects[i]))
				pass = true;
		kmem_cache_free_bulk(test_cache, (size_t)num, objects);
		usleep(100);
	} while (!pass && now_s() < deadline);
	cr_expect(pass);
	cr_expect(!report_available());
	kfence_end();
}

/* --- beyond Linux's cases --- */

/* ksize() of a KFENCE object is what was asked for; a right object ends at the page's end. */
Test(kfence, ksize_and_placement)
{
	kfence_boot(SAMPLE_BOOT);
	char *l = test_alloc(100, GFP_KERNEL, ALLOCATE_LEFT);
	char *r = test_alloc(128, GFP_KERNEL, ALLOCATE_RIGHT);

	cr_expect_eq(ksize(l), 100);
	cr_expect_eq(ksize(r), 128);
	cr_expect_eq(((unsigned long)r + 128) % PAGE_SIZE, 0, "kmalloc-128 is 128-aligned");
	cr_expect_eq(kfence_object_start(l + 50), l);
	cr_expect_eq(kfence_ksize(l + 50), 100);
	/* The guard pages around them: an object page sits between two. */
	cr_expect_eq(((unsigned long)l - (unsigned long)__kfence_pool) / PAGE_SIZE % 2, 0);
	kfree(l);
	kfree(r);
	cr_expect(!report_available());
	kfence_end();
}

/* A cache destroyed under live KFENCE objects: zombies, freed and guarded, never reused. */
__attribute__((noinline)) void test_memcache_destroy_live(void)
{
	volatile char *addr;

	setup_test_cache(32, 0, NULL);
	addr = test_alloc(32, GFP_KERNEL, ALLOCATE_ANY);
	cr_assert_eq(kmem_cache_destroy(test_cache), 0);	/* KFENCE objects are no slab's */
	test_cache = NULL;
	cr_expect(!report_available());
	(void)*addr;
	cr_expect(report_matches(UAF, "test_memcache_destroy_live", (void *)addr, false));
	cr_expect(dmesg_has("cache=<destroyed>"));
	cr_expect_eq(stat_of("zombie allocations"), 1);
	/* A zombie stays counted as allocated: kmm_check() compares the counter with the states. */
	cr_expect_eq(kmm_check(), 0);
}

Test(kfence, memcache_destroy_live_objects)
{
	kfence_boot(SAMPLE_BOOT);
	test_memcache_destroy_live();
	kfence_end();
}

struct rcu_obj {
	long data[3];
	struct rcu_head rcu;
};

/* kfree_rcu() of a KFENCE object: freed after the grace period, then guarded. */
__attribute__((noinline)) void test_kfree_rcu(void)
{
	struct rcu_obj *o = test_alloc(sizeof(*o), GFP_KERNEL, ALLOCATE_ANY);
	volatile long *data = o->data;

	data[0] = 1;
	kfree_rcu(o, rcu);
	kvfree_rcu_barrier();
	cr_expect(!report_available());
	(void)data[0];
	cr_expect(report_matches(UAF, "test_kfree_rcu", (void *)data, false));
}

Test(kfence, kfree_rcu)
{
	kfence_boot(SAMPLE_BOOT);
	test_kfree_rcu();
	kfence_end();
}

/* The stats view counts what happened, in Linux's lines. */
Test(kfence, stats_view)
{
	kfence_boot(SAMPLE_BOOT);
	cr_expect_eq(stat_of("enabled"), 1);
	/* Boot's own allocations may have been sampled and stay: count from here. */
	long allocs = stat_of("total allocations"), live = stat_of("currently allocated");
	long frees = stat_of("total frees");
	char *a = test_alloc(64, GFP_KERNEL, ALLOCATE_ANY);
	char *b = test_alloc(64, GFP_KERNEL, ALLOCATE_ANY);

	cr_expect_eq(stat_of("currently allocated"), live + 2);
	cr_expect_geq(stat_of("total allocations"), allocs + 2);
	kfree(a);
	kfree(a);	/* one bug */
	cr_expect_eq(stat_of("total bugs"), 1);
	cr_expect_eq(stat_of("currently allocated"), live + 1);
	kfree(b);
	cr_expect_eq(stat_of("total frees") - frees, stat_of("total allocations") - allocs);
	cr_expect_eq(stat_of("currently allocated"), live);
	cr_expect_eq(stat_of("zombie allocations"), 0);
	/* A page bigger than a page: skipped as incompatible, if it was sampled at all. */
	cr_expect_geq(stat_of("skipped allocations (incompatible)"), 0);

	char *buf = view("kfence_objects");

	cr_expect(strstr(buf, ", size=64, cache=kmalloc-64\n"), "%.2000s", buf);
	cr_expect(strstr(buf, "freed by task "));
	cr_expect(strstr(buf, " unused\n"));
	free(buf);
	kfence_end();
}

/* kfence.sample_interval=0: no pool, nothing sampled, the hook never raised. */
Test(kfence, disabled)
{
	boot_or_die("cpus=2 kfence.sample_interval=0");
	cr_expect_null(__kfence_pool);
	cr_expect_eq(__kfence_pool_size, 0);
	for (int i = 0; i < 2000; i++) {
		void *p = kmalloc(32, GFP_KERNEL);

		cr_assert(!is_kfence_address(p));
		kfree(p);
	}
	cr_expect_eq(stat_of("enabled"), 0);
	cr_expect(!dmesg_has("kfence: initialized"));
	check_and_shutdown();
}

/* Linux's default is on, every 100 ms, with 255 objects; bad values fail the boot. */
Test(kfence, defaults_and_options)
{
	kmm_set_console(NULL);
	cr_assert_eq(kmm_boot("cpus=2"), 0);
	cr_expect_eq(kfence_sample_interval, 100);
	cr_expect_eq(kfence_num_objects, 255);
	cr_expect_eq(__kfence_pool_size, 256 * 2 * PAGE_SIZE);
	cr_expect(dmesg_has("kfence: initialized - using 2097152 bytes for 255 objects"));
	check_and_shutdown();

	boot_or_die("cpus=2 kfence.sample_interval=100 kfence.num_objects=7 kfence.burst=2");
	cr_expect_eq(__kfence_pool_size, 8 * 2 * PAGE_SIZE);
	check_and_shutdown();

	cr_expect_neq(kmm_boot("kfence.num_objects=0"), 0);
	cr_expect_neq(kmm_boot("kfence.sample_interval=x"), 0);
	cr_expect_neq(kmm_boot("kfence.skip_covered_thresh=101"), 0);
}

/*
 * A full pool: allocations are skipped for capacity, and nothing breaks.
 * Boot's own sampled objects may hold some of the three slots already.
 */
Test(kfence, pool_exhaustion)
{
	kfence_boot(SAMPLE_BOOT " kfence.num_objects=3 kfence.skip_covered_thresh=100");
	void *held[3];
	int nheld = 0;
	double deadline = now_s() + 20;

	while (stat_of("skipped allocations (capacity)") == 0 && now_s() < deadline) {
		void *p = kmalloc(16, GFP_KERNEL);

		if (is_kfence_address(p) && nheld < 3)
			held[nheld++] = p;
		else
			kfree(p);
		usleep(100);
	}
	cr_expect_gt(stat_of("skipped allocations (capacity)"), 0);
	cr_expect_eq(stat_of("currently allocated"), 3);
	while (nheld)
		kfree(held[--nheld]);
	kfence_end();
}

/*
 * Threads faulting at once, each on its own KFENCE objects: every access
 * is reported and resumed, the reports come whole (one lock), and the
 * counts add up.
 */
#define NTHREADS 4
#define PER_THREAD 3

__attribute__((noinline)) void test_thread_faults(char **objs)
{
	for (int i = 0; i < PER_THREAD; i++) {
		volatile char *p = objs[i];

		(void)p[PAGE_ALIGNED(objs[i]) ? -1 : (long)ksize(objs[i]) + 64];
		p[0] = 1;	/* the object itself is fine */
	}
}

static void *fault_thread(void *arg)
{
	test_thread_faults(arg);
	return NULL;
}

Test(kfence, threads_fault_concurrently)
{
	kfence_boot(SAMPLE_BOOT " kfence.num_objects=32");
	char *objs[NTHREADS][PER_THREAD];
	pthread_t th[NTHREADS];

	for (int t = 0; t < NTHREADS; t++)
		for (int i = 0; i < PER_THREAD; i++)
			objs[t][i] = test_alloc(64, GFP_KERNEL, ALLOCATE_ANY);
	for (int t = 0; t < NTHREADS; t++)
		cr_assert_eq(pthread_create(&th[t], NULL, fault_thread, objs[t]), 0);
	for (int t = 0; t < NTHREADS; t++)
		pthread_join(th[t], NULL);
	/* Guard pages next to two objects may be shared: at least one report per page hit. */
	cr_expect_geq(kmm_report_count(KMM_REPORT_KFENCE), 1);
	cr_expect_leq(kmm_report_count(KMM_REPORT_KFENCE), NTHREADS * PER_THREAD);
	cr_expect_eq(stat_of("total bugs"), (long)kmm_report_count(KMM_REPORT_KFENCE));

	size_t n = kmm_dmesg(NULL, 0);
	char *log = malloc(n + 1);
	int titles = 0, lines = 0;

	kmm_dmesg(log, n + 1);
	for (char *p = log; (p = strstr(p, "BUG: KFENCE: out-of-bounds read in test_thread_faults+")); p++)
		titles++;
	for (char *p = log; (p = strstr(p, "\nOut-of-bounds read at 0x")); p++)
		lines++;
	cr_expect_eq(titles, (int)kmm_report_count(KMM_REPORT_KFENCE), "%s", log);
	cr_expect_eq(lines, titles);
	free(log);
	for (int t = 0; t < NTHREADS; t++)
		for (int i = 0; i < PER_THREAD; i++)
			kfree(objs[t][i]);
	kfence_end();
}

/* A forked child keeps its KFENCE objects guarded, and samples no more. */
Test(kfence, fork_child)
{
	kfence_boot(SAMPLE_BOOT);
	char *p = test_alloc(32, GFP_KERNEL, ALLOCATE_LEFT);

	/* What libkmm-malloc.so's fork handlers do around a fork. */
	kmm_fork_prepare();
	pid_t pid = fork();

	if (pid == 0) {
		if (kmm_fork_child())
			kmm_fork_child_settle();
		volatile char *q = p - 1;
		int bad = 0;

		(void)*q;
		if (!dmesg_has("BUG: KFENCE: out-of-bounds read"))
			bad |= 1;
		kfree(p);
		for (int i = 0; i < 2000; i++) {
			void *o = kmalloc(32, GFP_KERNEL);

			if (is_kfence_address(o))
				bad |= 2;
			kfree(o);
			if (i % 100 == 0)
				usleep(1000);
		}
		if (kmm_check())
			bad |= 4;
		_exit(bad);
	}
	int status;

	kmm_fork_parent();
	cr_assert_gt(pid, 0);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %#x", status);
	kfree(p);
	cr_expect(!report_available());
	kfence_end();
}
