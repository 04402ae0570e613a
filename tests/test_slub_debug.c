/* SPDX-License-Identifier: MIT */
/*
 * SLUB debugging: Linux's slub_kunit cases with their exact error counts,
 * then the reports in Linux's words (red zones, poison, free pointers,
 * double and invalid frees, tracking), slab_debug= parsing, and whole
 * machines run with debugging on.  kmm_check() == 0 after each.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "helpers.h"
#include "slab.h"

static int slab_errors;

static void kunit_boot(void)
{
	boot_or_die("cpus=2");
	slab_errors = 0;
	kmm_slab_errors_capture(&slab_errors);
}

static void kunit_end(void)
{
	kmm_slab_errors_capture(NULL);
	check_and_shutdown();
}

static struct kmem_cache *test_cache(const char *name, unsigned int size, slab_flags_t flags)
{
	struct kmem_cache *s = kmem_cache_create(name, size, 0, flags | SLAB_NO_USER_FLAGS, NULL);

	cr_assert_not_null(s);
	return s;
}

/* --- lib/tests/slub_kunit.c, case by case --- */

Test(slub_kunit, test_clobber_zone)
{
	kunit_boot();
	struct kmem_cache *s = test_cache("TestSlub_RZ_alloc", 64, SLAB_RED_ZONE);
	u8 *p = kmem_cache_alloc(s, GFP_KERNEL);

	p[64] = 0x12;
	validate_slab_cache(s);
	cr_expect_eq(slab_errors, 2);
	kmem_cache_free(s, p);
	cr_assert_eq(kmem_cache_destroy(s), 0);
	kunit_end();
}

Test(slub_kunit, test_next_pointer)
{
	kunit_boot();
	struct kmem_cache *s = test_cache("TestSlub_next_ptr_free", 64, SLAB_POISON);
	u8 *p = kmem_cache_alloc(s, GFP_KERNEL);
	unsigned long tmp, *ptr_addr;

	kmem_cache_free(s, p);
	ptr_addr = (unsigned long *)(p + s->offset);
	tmp = *ptr_addr;
	p[s->offset] = (u8)~p[s->offset];
	/* The corrupt chain, the wrong count, and the fix of the count. */
	validate_slab_cache(s);
	cr_expect_eq(slab_errors, 3);
	/* The chain repaired by hand: the count (fixed for the cut chain) is wrong again. */
	*ptr_addr = tmp;
	slab_errors = 0;
	validate_slab_cache(s);
	cr_expect_eq(slab_errors, 2);
	slab_errors = 0;
	validate_slab_cache(s);
	cr_expect_eq(slab_errors, 0);
	cr_assert_eq(kmem_cache_destroy(s), 0);
	kunit_end();
}

Test(slub_kunit, test_first_word)
{
	kunit_boot();
	struct kmem_cache *s = test_cache("TestSlub_1th_word_free", 64, SLAB_POISON);
	u8 *p = kmem_cache_alloc(s, GFP_KERNEL);

	kmem_cache_free(s, p);
	*p = 0x78;
	validate_slab_cache(s);
	cr_expect_eq(slab_errors, 2);
	cr_assert_eq(kmem_cache_destroy(s), 0);
	kunit_end();
}

Test(slub_kunit, test_clobber_50th_byte)
{
	kunit_boot();
	struct kmem_cache *s = test_cache("TestSlub_50th_word_free", 64, SLAB_POISON);
	u8 *p = kmem_cache_alloc(s, GFP_KERNEL);

	kmem_cache_free(s, p);
	p[50] = 0x9a;
	validate_slab_cache(s);
	cr_expect_eq(slab_errors, 2);
	cr_assert_eq(kmem_cache_destroy(s), 0);
	kunit_end();
}

Test(slub_kunit, test_clobber_redzone_free)
{
	kunit_boot();
	struct kmem_cache *s = test_cache("TestSlub_RZ_free", 64, SLAB_RED_ZONE);
	u8 *p = kmem_cache_alloc(s, GFP_KERNEL);

	kmem_cache_free(s, p);
	p[64] = 0xab;
	validate_slab_cache(s);
	cr_expect_eq(slab_errors, 2);
	cr_assert_eq(kmem_cache_destroy(s), 0);
	kunit_end();
}

Test(slub_kunit, test_kmalloc_redzone_access)
{
	kunit_boot();
	struct kmem_cache *s = test_cache("TestSlub_RZ_kmalloc", 32,
					  SLAB_KMALLOC | SLAB_STORE_USER | SLAB_RED_ZONE);
	u8 *p = __kmalloc_cache_noprof(s, GFP_KERNEL, 18);
	volatile u8 *vp = p;

	vp[18] = 0xab;
	vp[19] = 0xab;
	validate_slab_cache(s);
	cr_expect_eq(slab_errors, 2);
	kmem_cache_free(s, p);
	cr_assert_eq(kmem_cache_destroy(s), 0);
	kunit_end();
}

Test(slub_kunit, test_leak_destroy)
{
	kunit_boot();
	struct kmem_cache *s = test_cache("TestSlub_leak_destroy", 64, SLAB_NO_MERGE);
	void *p = kmem_cache_alloc(s, GFP_KERNEL);

	/* kmm keeps the cache (Linux leaks it): the count is Linux's. */
	cr_assert_neq(kmem_cache_destroy(s), 0);
	cr_expect_eq(slab_errors, 2);
	kmem_cache_free(s, p);
	cr_assert_eq(kmem_cache_destroy(s), 0);
	kunit_end();
}

Test(slub_kunit, test_krealloc_redzone_zeroing)
{
	kunit_boot();
	struct kmem_cache *s = test_cache("TestSlub_krealloc", 64,
					  SLAB_KMALLOC | SLAB_STORE_USER | SLAB_RED_ZONE);
	u8 *p = __kmalloc_cache_noprof(s, GFP_KERNEL, 48);

	memset(p, 0xff, 48);
	/* Shrink: the bytes past the new size are red zone. */
	p = krealloc(p, 40, GFP_KERNEL | __GFP_ZERO);
	for (int i = 40; i < 64; i++)
		cr_expect_eq(p[i], SLUB_RED_ACTIVE, "byte %d is %#x", i, p[i]);
	/* Grow within the object: the new bytes zeroed, the rest still red. */
	p = krealloc(p, 56, GFP_KERNEL | __GFP_ZERO);
	for (int i = 40; i < 56; i++)
		cr_expect_eq(p[i], 0, "byte %d is %#x", i, p[i]);
	for (int i = 56; i < 64; i++)
		cr_expect_eq(p[i], SLUB_RED_ACTIVE, "byte %d is %#x", i, p[i]);
	validate_slab_cache(s);
	cr_expect_eq(slab_errors, 0);
	/* Grow into a new kmalloc-128 object: the old bytes copied, the rest zero. */
	memset(p, 0xff, 56);
	p = krealloc(p, 112, GFP_KERNEL | __GFP_ZERO);
	for (int i = 0; i < 56; i++)
		cr_expect_eq(p[i], 0xff, "byte %d is %#x", i, p[i]);
	for (int i = 56; i < 112; i++)
		cr_expect_eq(p[i], 0, "byte %d is %#x", i, p[i]);
	kfree(p);
	cr_assert_eq(kmem_cache_destroy(s), 0);
	kunit_end();
}

/* --- the reports, printed --- */

Test(slub_debug, right_redzone_report_and_fix)
{
	boot_or_die("cpus=2");
	struct kmem_cache *s = test_cache("rz64", 64, SLAB_RED_ZONE | SLAB_CONSISTENCY_CHECKS);
	u8 *p = kmem_cache_alloc(s, GFP_KERNEL);

	p[64] = 0x12;
	kmem_cache_free(s, p);	/* refused: the object is corrupt */
	cr_expect(dmesg_has("[Right Redzone overwritten] 0x"));
	cr_expect(dmesg_has("First byte 0x12 instead of 0xcc"));
	cr_expect(dmesg_has("BUG rz64 (Not tainted): Object corrupt"));
	cr_expect(dmesg_has("FIX rz64: Restoring Right Redzone 0x"));
	cr_expect(dmesg_has("FIX rz64: Object at 0x"));
	cr_expect(dmesg_has("Redzone  "));
	cr_expect(dmesg_has("Object   "));
	cr_expect_geq(kmm_report_count(KMM_REPORT_SLAB), 1);
	/* Restored, so the next free passes. */
	cr_assert_eq(p[64], SLUB_RED_ACTIVE);
	unsigned long before = kmm_report_count(KMM_REPORT_SLAB);
	kmem_cache_free(s, p);
	cr_assert_eq(kmm_report_count(KMM_REPORT_SLAB), before);
	cr_assert_eq(validate_slab_cache(s) >= 0, 1);
	cr_assert_eq(kmm_report_count(KMM_REPORT_SLAB), before);
	cr_assert_eq(kmem_cache_destroy(s), 0);
	check_and_shutdown();
}

Test(slub_debug, left_redzone_underflow)
{
	boot_or_die("cpus=2");
	struct kmem_cache *s = test_cache("rzl", 40, SLAB_RED_ZONE | SLAB_CONSISTENCY_CHECKS);
	u8 *p = kmem_cache_alloc(s, GFP_KERNEL);

	p[-1] = 0x77;
	kmem_cache_free(s, p);
	cr_expect(dmesg_has("[Left Redzone overwritten]"));
	cr_expect(dmesg_has("First byte 0x77 instead of 0xcc"));
	kmem_cache_free(s, p);
	cr_assert_eq(kmem_cache_destroy(s), 0);
	check_and_shutdown();
}

Test(slub_debug, use_after_free_poison_found_at_next_alloc)
{
	boot_or_die("cpus=2");
	struct kmem_cache *s = test_cache("uaf", 128, SLAB_POISON | SLAB_CONSISTENCY_CHECKS);
	u8 *p = kmem_cache_alloc(s, GFP_KERNEL);

	/* An allocated object of a poisoned cache shows the poison until written. */
	cr_assert_eq(p[0], POISON_FREE);
	cr_assert_eq(p[127], POISON_END);
	kmem_cache_free(s, p);
	p[5] = 0;	/* a write after free */
	u8 *q = kmem_cache_alloc(s, GFP_KERNEL);
	cr_assert_not_null(q, "the allocation goes on elsewhere");
	cr_expect(dmesg_has("[Poison overwritten] 0x"));
	cr_expect(dmesg_has("First byte 0x0 instead of 0x6b"));
	cr_expect(dmesg_has("FIX uaf: Marking all objects used"));
	cr_assert_eq(kmm_check(), 0, "the slab is out of use, consistently");
	kmem_cache_free(s, q);
	cr_assert_neq(kmem_cache_destroy(s), 0, "the disabled slab keeps the cache");
	check_and_shutdown();
}

Test(slub_debug, double_free_anywhere_on_the_freelist)
{
	boot_or_die("cpus=2");
	struct kmem_cache *s = test_cache("df", 64, SLAB_CONSISTENCY_CHECKS | SLAB_NO_MERGE);
	void *a = kmem_cache_alloc(s, GFP_KERNEL), *b = kmem_cache_alloc(s, GFP_KERNEL);
	void *c = kmem_cache_alloc(s, GFP_KERNEL);

	kmem_cache_free(s, a);
	kmem_cache_free(s, b);
	kmem_cache_free(s, a);	/* not the head of the freelist: only F finds it */
	cr_expect(dmesg_has("BUG df (Not tainted): Object already free"));
	cr_expect(dmesg_has("FIX df: Object at 0x"));
	cr_assert_eq(kmm_check(), 0);
	kmem_cache_free(s, c);
	cr_assert_eq(kmem_cache_destroy(s), 0);
	check_and_shutdown();
}

Test(slub_debug, invalid_and_foreign_pointers)
{
	boot_or_die("cpus=2");
	struct kmem_cache *a = test_cache("cache-a", 64, SLAB_NO_MERGE);
	struct kmem_cache *b = test_cache("cache-b", 64, SLAB_NO_MERGE);
	char *p = kmem_cache_alloc(a, GFP_KERNEL);

	kmem_cache_free(a, p + 8);
	cr_expect(dmesg_has("Invalid object pointer 0x"));
	kmem_cache_free(b, p);	/* freed, into the cache it came from */
	cr_expect(dmesg_has("cache_from_obj: Wrong slab cache. cache-b but object is from cache-a"));
	cr_assert_eq(kmm_check(), 0);
	cr_assert_eq(kmem_cache_destroy(a), 0);
	cr_assert_eq(kmem_cache_destroy(b), 0);
	check_and_shutdown();
}

Test(slub_debug, freechain_and_count_reports)
{
	boot_or_die("cpus=2");
	struct kmem_cache *s = test_cache("fc", 64, SLAB_POISON);
	u8 *p = kmem_cache_alloc(s, GFP_KERNEL);

	kmem_cache_free(s, p);
	p[s->offset] ^= 0xff;
	validate_slab_cache(s);
	cr_expect(dmesg_has("BUG fc (Not tainted): Freechain corrupt"));
	cr_expect(dmesg_has("Wrong object count. Counter is 0 but counted were"));
	cr_expect(dmesg_has("FIX fc: Object count adjusted"));
	/* Repaired: the checker agrees, the lost objects count as used. */
	cr_assert_eq(kmm_check(), 0);
	cr_assert_neq(kmem_cache_destroy(s), 0);
	check_and_shutdown();
}

__attribute__((noinline)) void *alloc_here(struct kmem_cache *s);
__attribute__((noinline)) void *alloc_here(struct kmem_cache *s)
{
	void *p = kmem_cache_alloc(s, GFP_KERNEL);

	__asm__ __volatile__("" : : "r"(p) : "memory");	/* no tail call: keep this frame */
	return p;
}

Test(slub_debug, store_user_shows_alloc_and_free_sites)
{
	boot_or_die("cpus=2");
	struct kmem_cache *s = test_cache("tracked", 96,
					  SLAB_STORE_USER | SLAB_RED_ZONE | SLAB_CONSISTENCY_CHECKS);
	u8 *p = alloc_here(s);

	kmem_cache_free(s, p);
	kmem_cache_free(s, p);
	cr_expect(dmesg_has("Object already free"));
	cr_expect(dmesg_has("Allocated in "));
	cr_expect(dmesg_has("Freed in "));
	cr_expect(dmesg_has(" age="));
	cr_expect(dmesg_has("Allocated in alloc_here+0x"), "the report names the caller");
	cr_expect(dmesg_has(" alloc_here+0x"), "and the backtrace has it");
	cr_assert_eq(kmem_cache_destroy(s), 0);
	check_and_shutdown();
}

Test(slub_debug, leak_report_lists_the_objects)
{
	boot_or_die("cpus=2");
	struct kmem_cache *s = test_cache("leaky", 200, SLAB_STORE_USER);
	void *p = alloc_here(s);

	cr_assert_neq(kmem_cache_destroy(s), 0);
	cr_expect(dmesg_has("BUG leaky (Not tainted): Objects remaining on __kmem_cache_shutdown()"));
	cr_expect(dmesg_has("kmem_cache_destroy leaky: Slab cache still has objects when called from"));
	cr_expect(dmesg_has("Allocated in "));
	kmem_cache_free(s, p);
	cr_assert_eq(kmem_cache_destroy(s), 0);
	check_and_shutdown();
}

Test(slub_debug, trace_flag_prints_each_event)
{
	boot_or_die("cpus=2");
	struct kmem_cache *s = test_cache("traced", 32, SLAB_TRACE);
	void *p = kmem_cache_alloc(s, GFP_KERNEL);

	kmem_cache_free(s, p);
	cr_expect(dmesg_has("TRACE traced alloc 0x"));
	cr_expect(dmesg_has("TRACE traced free 0x"));
	cr_assert_eq(kmem_cache_destroy(s), 0);
	check_and_shutdown();
}

/* --- layout --- */

Test(slub_debug, layout_as_linux)
{
	boot_or_die("cpus=2");
	/* 64 bytes, Z: a right red-zone word, the free pointer inside, a padding word, left pad. */
	struct kmem_cache *z = test_cache("lz", 64, SLAB_RED_ZONE);
	cr_expect_eq(z->inuse, 72);
	cr_expect_eq(z->red_left_pad, 8);
	cr_expect_eq(z->size, 88);
	/* 64 bytes, P: the free pointer after the object. */
	struct kmem_cache *p = test_cache("lp", 64, SLAB_POISON);
	cr_expect_eq(p->offset, 64);
	cr_expect_eq(p->size, 72);
	/* FZPU on a kmalloc-like cache: tracks (2 x 32) and the requested size. */
	struct kmem_cache *u = test_cache("lu", 32, SLAB_KMALLOC | DEBUG_DEFAULT_FLAGS);
	cr_expect_eq(u->inuse, 40);
	cr_expect_eq(u->offset, 40);
	cr_expect_eq(u->size, 8 + 40 + 8 + 64 + 4 + 4 + 8);
	cr_assert_eq(kmem_cache_destroy(z), 0);
	cr_assert_eq(kmem_cache_destroy(p), 0);
	cr_assert_eq(kmem_cache_destroy(u), 0);
	check_and_shutdown();
}

/* --- slab_debug= --- */

static slab_flags_t debug_flags_of(const char *name)
{
	struct kmem_cache *s;

	list_for_each_entry(s, &slab_caches, list)
		if (!strcmp(s->name, name))
			return s->flags & SLAB_DEBUG_FLAGS;
	cr_assert_fail("no cache %s", name);
	return 0;
}

Test(slab_debug_param, bare_means_everything)
{
	boot_or_die("cpus=2 slub_debug");
	cr_expect_eq(debug_flags_of("kmalloc-64"), DEBUG_DEFAULT_FLAGS);
	cr_expect_eq(debug_flags_of("kmem_cache_node"), DEBUG_DEFAULT_FLAGS);
	check_and_shutdown();
}

Test(slab_debug_param, letters_and_cache_lists)
{
	boot_or_die("cpus=2 slab_debug=FZ,kmalloc-64,kmalloc-rcl-*");
	cr_expect_eq(debug_flags_of("kmalloc-64"), SLAB_CONSISTENCY_CHECKS | SLAB_RED_ZONE);
	cr_expect_eq(debug_flags_of("kmalloc-rcl-512"), SLAB_CONSISTENCY_CHECKS | SLAB_RED_ZONE);
	cr_expect_eq(debug_flags_of("kmalloc-32"), 0, "only the listed caches");
	check_and_shutdown();
}

Test(slab_debug_param, blocks_global_and_listed)
{
	boot_or_die("cpus=2 slab_debug=P;U,kmalloc-128");
	cr_expect_eq(debug_flags_of("kmalloc-128"), SLAB_STORE_USER);
	cr_expect_eq(debug_flags_of("kmalloc-256"), SLAB_POISON);
	cr_expect(!dmesg_has("unknown"));
	check_and_shutdown();
}

Test(slab_debug_param, unknown_letter_skipped)
{
	boot_or_die("cpus=2 slab_debug=FQ");
	cr_expect(dmesg_has("slab_debug option 'Q' unknown. skipped"));
	cr_expect_eq(debug_flags_of("kmalloc-256"), SLAB_CONSISTENCY_CHECKS);
	check_and_shutdown();
}

Test(slab_debug_param, user_caches_too_unless_no_user_flags)
{
	boot_or_die("cpus=2 slab_debug=Z,dog*");
	struct kmem_cache *d = kmem_cache_create("dog_cache", 40, 0, 0, NULL);
	struct kmem_cache *n = kmem_cache_create("dogma", 40, 0, SLAB_NO_USER_FLAGS, NULL);
	struct kmem_cache *c = kmem_cache_create("cat_cache", 40, 0, 0, NULL);

	cr_expect(d->flags & SLAB_RED_ZONE);
	cr_expect(!(n->flags & SLAB_RED_ZONE));
	cr_expect(!(c->flags & SLAB_RED_ZONE));
	kmem_cache_destroy(d);
	kmem_cache_destroy(n);
	kmem_cache_destroy(c);
	check_and_shutdown();
}

/* --- kmalloc with debugging --- */

Test(slub_debug, kmalloc_redzone_past_the_request)
{
	boot_or_die("cpus=2 slab_debug=FZU,kmalloc-32");
	u8 *p = kmalloc(18, GFP_KERNEL);

	cr_assert_eq(p[18], SLUB_RED_ACTIVE, "bytes past the request are red zone");
	cr_assert_eq(p[31], SLUB_RED_ACTIVE);
	((volatile u8 *)p)[20] = 0x12;
	kfree(p);
	cr_expect(dmesg_has("[kmalloc Redzone overwritten] 0x"));
	cr_expect(dmesg_has("First byte 0x12 instead of 0xcc"));
	cr_assert_eq(kmm_check(), 0);
	kfree(p);	/* restored: this free passes */
	/* ksize() hands the whole object to the caller: no red zone any more. */
	p = kmalloc(18, GFP_KERNEL | __GFP_ZERO);
	cr_assert_eq(p[17], 0);
	cr_assert_eq(ksize(p), 32);
	memset(p, 0x33, 32);
	unsigned long before = kmm_report_count(KMM_REPORT_SLAB);
	kfree(p);
	cr_assert_eq(kmm_report_count(KMM_REPORT_SLAB), before);
	check_and_shutdown();
}

/* A whole machine with full debugging, worked from several threads, validates clean. */
static struct kmem_cache *stress_cache;

static void *stress_worker(void *arg)
{
	unsigned int seed = (unsigned int)(unsigned long)arg;
	void *objs[256] = { 0 };

	for (int i = 0; i < 20000; i++) {
		int k = rand_r(&seed) % 256;
		if (objs[k]) {
			if ((uintptr_t)objs[k] & 1)
				kmem_cache_free(stress_cache, (void *)((uintptr_t)objs[k] & ~1UL));
			else
				kfree(objs[k]);
			objs[k] = NULL;
		} else if (rand_r(&seed) & 1) {
			objs[k] = kmalloc(1 + (size_t)(rand_r(&seed) % 3000), GFP_KERNEL);
		} else {
			void *o = kmem_cache_alloc(stress_cache, GFP_KERNEL);
			objs[k] = o ? (void *)((uintptr_t)o | 1) : NULL;
		}
	}
	for (int k = 0; k < 256; k++) {
		if (!objs[k])
			continue;
		if ((uintptr_t)objs[k] & 1)
			kmem_cache_free(stress_cache, (void *)((uintptr_t)objs[k] & ~1UL));
		else
			kfree(objs[k]);
	}
	return NULL;
}

Test(slub_debug, full_debug_machine_stress_validates_clean)
{
	boot_or_die("cpus=2 mem=256M slub_debug");
	stress_cache = kmem_cache_create("stress", 100, 0, 0, NULL);
	cr_assert_not_null(stress_cache);
	pthread_t t[3];
	for (long i = 0; i < 3; i++)
		pthread_create(&t[i], NULL, stress_worker, (void *)(i + 1));
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	cr_assert_eq(kmm_report_count(KMM_REPORT_SLAB), 0);
	struct kmem_cache *s;
	list_for_each_entry(s, &slab_caches, list)
		validate_slab_cache(s);
	cr_assert_eq(kmm_report_count(KMM_REPORT_SLAB), 0);
	cr_assert_eq(kmem_cache_destroy(stress_cache), 0);
	check_and_shutdown();
}
