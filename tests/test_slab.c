/* SPDX-License-Identifier: MIT */
/*
 * Slab caches: creation (and its failures), layout (order, objects,
 * alignment, colour) as Linux computes it, ctors, merging, shrinking and
 * the shrinker, destroy with live objects, wrong-cache frees, slabinfo,
 * cross-CPU stress, and reboots that leave nothing behind.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "helpers.h"
#include "slab.h"
#include "slab_fast.h"

#define SLABINFO_REF "/work/shared/data/traces/linux-6.18-build/before.slabinfo"

/* The seeds' example: the task_struct cache, created at boot with SLAB_PANIC. */
struct task_struct_like {
	char data[4288];
};

Test(slab, seeds_task_struct_cache)
{
	boot_or_die("cpus=4");
	struct kmem_cache *c = kmem_cache_create("task_struct", sizeof(struct task_struct_like),
						 64, SLAB_PANIC, NULL);
	cr_assert_not_null(c);
	/* Linux 6.18 on 4 CPUs: "task_struct ... 4288 7 8" in /proc/slabinfo. */
	cr_assert_eq(c->size, 4288);
	cr_assert_eq(c->objects, 7);
	cr_assert_eq(c->order, 3);
	void *t[20];
	for (int i = 0; i < 20; i++) {
		t[i] = kmem_cache_alloc(c, GFP_KERNEL);
		cr_assert_not_null(t[i]);
		cr_assert_eq((unsigned long)t[i] % 64, 0);
		memset(t[i], i, sizeof(struct task_struct_like));
	}
	cr_assert_eq(kmm_check(), 0);
	for (int i = 0; i < 20; i++)
		kmem_cache_free(c, t[i]);
	cr_assert_eq(kmem_cache_destroy(c), 0);
	cr_assert_eq(kmm_report_count(KMM_REPORT_SLAB), 0);
	check_and_shutdown();
}

/* The kmalloc caches' layout equals Linux's on the reference machine. */
Test(slab, kmalloc_layout_matches_linux_slabinfo)
{
	FILE *ref = fopen(SLABINFO_REF, "r");
	char line[512];
	int compared = 0;

	if (!ref)
		cr_skip_test("no %s", SLABINFO_REF);
	boot_or_die("cpus=4");
	while (fgets(line, sizeof(line), ref)) {
		char name[64];
		unsigned long active, num;
		unsigned int objsize, perslab, pages;

		if (sscanf(line, "%63s %lu %lu %u %u %u", name, &active, &num, &objsize, &perslab,
			   &pages) != 6 || (strncmp(name, "kmalloc-", 8) && strncmp(name, "dma-kmalloc-", 12)) ||
		    !strncmp(name, "kmalloc-cg-", 11))
			continue;
		struct kmem_cache *s;
		bool found = false;
		list_for_each_entry(s, &slab_caches, list) {
			if (strcmp(s->name, name))
				continue;
			found = true;
			cr_assert_eq(s->size, objsize, "%s size", name);
			cr_assert_eq(s->objects, perslab, "%s objects per slab", name);
			cr_assert_eq(1u << s->order, pages, "%s pages per slab", name);
		}
		cr_assert(found, "no cache %s", name);
		compared++;
	}
	fclose(ref);
	cr_assert_eq(compared, 39);
	check_and_shutdown();
}

Test(slab, slabinfo_format_is_linux)
{
	boot_or_die(NULL);
	void *p = kmalloc(100, GFP_KERNEL);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cr_assert_eq(kmm_show("slabinfo", f), 0);
	fclose(f);
	FILE *ref = fopen("/work/shared/data/traces/linux-6.18-build/before.slabinfo", "r");
	if (ref) {
		char head[512];
		size_t n = fread(head, 1, sizeof(head) - 1, ref);
		head[n] = '\0';
		*strchr(strchr(head, '\n') + 1, '\n') = '\0';
		cr_assert(!strncmp(buf, head, strlen(head)), "header differs from Linux's");
		fclose(ref);
	}
	cr_assert(strstr(buf, "\nkmalloc-128           32     32    128   32    1 : tunables    0    0    0 : slabdata      1      1      0\n"),
		  "%s", buf);
	cr_assert(strstr(buf, "\nkmalloc-96             0      0     96   42    1 : tunables    0    0    0 : slabdata      0      0      0\n"));
	cr_assert(strstr(buf, "\nkmem_cache "));
	free(buf);
	kfree(p);
	check_and_shutdown();
}

Test(slab, alignment_rules)
{
	boot_or_die(NULL);
	struct { unsigned int size, align; slab_flags_t flags; unsigned int want_align, want_size; } c[] = {
		{ 20, 0, SLAB_HWCACHE_ALIGN, 32, 32 },	/* a line halved while the object fits in half */
		{ 100, 0, SLAB_HWCACHE_ALIGN, 64, 128 },
		{ 10, 0, SLAB_HWCACHE_ALIGN, 16, 16 },
		{ 24, 256, SLAB_NO_MERGE, 256, 256 },
		{ 24, 0, SLAB_NO_MERGE, 8, 24 },
		{ 3, 0, SLAB_NO_MERGE, 8, 8 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(c); i++) {
		char name[32];
		snprintf(name, sizeof(name), "align%zu", i);
		struct kmem_cache *s = kmem_cache_create(name, c[i].size, c[i].align,
							 c[i].flags | SLAB_NO_MERGE, NULL);
		cr_assert_not_null(s);
		cr_assert_eq(s->align, c[i].want_align, "%s align %u", name, s->align);
		cr_assert_eq(s->size, c[i].want_size, "%s size %u", name, s->size);
		void *objs[300];
		for (int j = 0; j < 300; j++) {
			objs[j] = kmem_cache_alloc(s, GFP_KERNEL);
			cr_assert_eq((unsigned long)objs[j] % c[i].want_align, 0);
		}
		for (int j = 0; j < 300; j++)
			kmem_cache_free(s, objs[j]);
		cr_assert_eq(kmem_cache_destroy(s), 0);
	}
	check_and_shutdown();
}

Test(slab, bad_arguments_return_null)
{
	boot_or_die(NULL);
	cr_assert_null(kmem_cache_create(NULL, 32, 0, 0, NULL));
	cr_assert_null(kmem_cache_create("zero", 0, 0, 0, NULL));
	cr_assert_null(kmem_cache_create("huge", KMALLOC_MAX_SIZE + 1, 0, 0, NULL));
	cr_assert_null(kmem_cache_create("align3", 32, 3, 0, NULL));
	cr_assert_null(kmem_cache_create("flags", 32, 0, SLAB_OBJECT_POISON, NULL));
	cr_assert(dmesg_has("kmem_cache_create(zero) failed with error -22"));
	check_and_shutdown();
}

Test(slab, panic_flag_panics_on_failure, .signal = SIGABRT)
{
	boot_or_die(NULL);
	kmm_set_console(stderr);
	kmem_cache_create("broken", 0, 0, SLAB_PANIC, NULL);
}

static atomic_t ctor_calls;

static void count_ctor(void *obj)
{
	atomic_inc(&ctor_calls);
	memset(obj, 0x5a, 40);
}

Test(slab, ctor_runs_once_per_object_per_slab)
{
	boot_or_die(NULL);
	struct kmem_cache *s = kmem_cache_create("ctor40", 40, 0, 0, count_ctor);
	cr_assert_not_null(s);
	cr_assert_eq(s->offset, 40, "the free pointer stays out of a ctor'ed object");
	int n = (int)s->objects * 3;
	void **objs = calloc((size_t)n, sizeof(void *));
	for (int i = 0; i < n; i++) {
		objs[i] = kmem_cache_alloc(s, GFP_KERNEL);
		cr_assert_eq(((unsigned char *)objs[i])[39], 0x5a);
	}
	cr_assert_eq(atomic_read(&ctor_calls), n, "3 slabs: %d ctor calls", atomic_read(&ctor_calls));
	for (int i = 0; i < n; i++)
		kmem_cache_free(s, objs[i]);
	for (int i = 0; i < n; i++)
		objs[i] = kmem_cache_alloc(s, GFP_KERNEL);
	cr_assert_eq(atomic_read(&ctor_calls), n, "no ctor on reuse");
	for (int i = 0; i < n; i++)
		kmem_cache_free(s, objs[i]);
	free(objs);
	cr_assert_eq(kmem_cache_destroy(s), 0);
	check_and_shutdown();
}

/*
 * A new slab's objects are not linked when it is made (slub.c, "Lazy
 * slabs"): the CPU hands its never-used objects out in address order once
 * its freelist is empty, frees come back first, kmm_check() validates the
 * never-used range, and a flush links what was never used.  In a build
 * whose tools watch every object (annotated caches, free hooks) the slab
 * is linked at once, and the same allocations come out.
 */
Test(slab, lazy_slab_hands_out_never_used_objects_in_order)
{
	boot_or_die(NULL);
	cr_assert_eq(kmm_bind_cpu(0), 0);
	struct kmem_cache *s = kmem_cache_create("lazy96", 96, 0, SLAB_NO_MERGE, NULL);
	cr_assert_not_null(s);
	struct kmem_cache_cpu *c = cpu_slab(s, 0);
	int per = (int)s->objects, half = per / 2;
	void **o = calloc((size_t)per + 1, sizeof(void *));

	cr_assert_gt(per, 8);
	o[0] = kmem_cache_alloc(s, GFP_KERNEL);
	struct slab *slab = c->slab;
	bool lazy = c->bump < c->limit;
	cr_assert_eq(lazy, c->limit != 0, "lazy exactly when the frees have a fast path");
	cr_assert_eq(o[0], slab_first_object(s, slab));
	for (int i = 1; i < half; i++) {
		o[i] = kmem_cache_alloc(s, GFP_KERNEL);
		cr_assert_eq(o[i], (char *)o[0] + (size_t)i * s->size, "address order");
	}
	if (lazy) {
		cr_assert_null(c->freelist, "nothing linked");
		cr_assert_eq(c->bump, (unsigned int)half * s->size);
	} else {
		cr_assert_eq(c->bump, c->limit, "linked at once: no never-used range");
	}
	cr_assert_eq(slab->inuse, slab->objects, "all the CPU's, as ever");
	cr_assert_eq(kmm_check(), 0);

	/* A half-used lazy slab: its frees come back before its never-used objects. */
	kmem_cache_free(s, o[3]);
	kmem_cache_free(s, o[1]);
	cr_assert_eq(kmm_check(), 0);
	cr_assert_eq(kmem_cache_alloc(s, GFP_KERNEL), o[1]);
	cr_assert_eq(kmem_cache_alloc(s, GFP_KERNEL), o[3]);
	cr_assert_eq(kmem_cache_alloc(s, GFP_KERNEL), (char *)o[0] + (size_t)half * s->size);
	o[half] = (char *)o[0] + (size_t)half * s->size;
	kmem_cache_free(s, o[half]);
	kmem_cache_free(s, o[0]);
	cr_assert_eq(kmm_check(), 0);

	/*
	 * A flush: the never-used objects are linked onto the slab's freelist
	 * with the CPU's; the slab is partial with all of them free but the
	 * ones still allocated.
	 */
	flush_all(s);
	cr_assert_null(c->slab);
	cr_assert_eq(c->bump, 0);
	cr_assert_eq(slab->inuse, (unsigned int)half - 1, "o[1] .. o[half - 1] allocated");
	cr_assert_eq(kmm_check(), 0);
	struct slabinfo si;
	get_slabinfo(s, &si);
	cr_assert_eq(si.active_objs, (unsigned long)half - 1);
	cr_assert_eq(si.num_objs, (unsigned long)per);

	/* The slab again, from the partial list: every object once, none twice. */
	void **again = calloc((size_t)per, sizeof(void *));
	for (int i = 0; i < per - (half - 1); i++) {
		again[i] = kmem_cache_alloc(s, GFP_KERNEL);
		cr_assert_eq(virt_to_slab(again[i]), slab);
		for (int j = 1; j < half; j++)
			cr_assert_neq(again[i], o[j], "object %d handed out twice", j);
		for (int j = 0; j < i; j++)
			cr_assert_neq(again[i], again[j]);
	}
	cr_assert_eq(c->bump, c->limit, "a slab from a list has no never-used range");
	cr_assert_eq(kmm_check(), 0);
	for (int i = 0; i < per - (half - 1); i++)
		kmem_cache_free(s, again[i]);
	for (int j = 1; j < half; j++)
		kmem_cache_free(s, o[j]);
	cr_assert_eq(kmm_check(), 0);
	cr_assert_eq(kmem_cache_destroy(s), 0);
	free(again);
	free(o);
	check_and_shutdown();
}

/* kmm_check() finds a never-used object of a lazy slab on a freelist. */
Test(slab, check_finds_a_never_used_object_on_a_freelist)
{
	boot_or_die(NULL);
	cr_assert_eq(kmm_bind_cpu(0), 0);
	struct kmem_cache *s = kmem_cache_create("lazy64", 64, 0, SLAB_NO_MERGE, NULL);
	struct kmem_cache_cpu *c = cpu_slab(s, 0);
	void *a = kmem_cache_alloc(s, GFP_KERNEL);

	if (c->bump >= c->limit)
		cr_skip_test("slabs are linked at once in this build (its tools watch the frees)");
	void *never = (char *)a + 4 * s->size;
	preempt_disable();
	cpu_freelist_push(s, c, never);
	preempt_enable();
	cr_assert_gt(kmm_check(), 0);
	preempt_disable();
	c->freelist = NULL;
	/* The never-used range out of the slab's end: found too. */
	c->bump = c->limit + s->size;
	preempt_enable();
	cr_assert_gt(kmm_check(), 0);
	preempt_disable();
	c->bump = s->size;
	preempt_enable();
	cr_assert_eq(kmm_check(), 0);
	kmem_cache_free(s, a);
	cr_assert_eq(kmem_cache_destroy(s), 0);
	check_and_shutdown();
}

/*
 * Each CPU's part of a cache names the cache and its reciprocal size,
 * which kfree() reads through the part its guess names: kmm_check() finds
 * a part that names another cache, and the free fast path then finds no
 * object of it by address, so a free goes the full way and stays correct.
 */
Test(slab, cpu_part_names_its_cache)
{
	boot_or_die(NULL);
	cr_assert_eq(kmm_bind_cpu(0), 0);
	struct kmem_cache *s = kmem_cache_create("part64", 64, 0, SLAB_NO_MERGE, NULL);
	struct kmem_cache *t = kmem_cache_create("part128", 128, 0, SLAB_NO_MERGE, NULL);
	struct kmem_cache_cpu *c = cpu_slab(s, 0);

	cr_assert_eq(c->cache, s);
	cr_assert_eq(c->reciprocal_size, s->reciprocal_size);
	cr_assert_eq(cpu_slab(t, 0)->cache, t);
	void *a = kmem_cache_alloc(s, GFP_KERNEL);
	cr_assert_eq(kmm_check(), 0);
	preempt_disable();
	c->cache = t;
	preempt_enable();
	cr_assert_gt(kmm_check(), 0);
	preempt_disable();
	c->cache = s;
	c->reciprocal_size = 0;		/* no offset passes: every free goes the full way */
	preempt_enable();
	cr_assert_gt(kmm_check(), 0);
	kmem_cache_free(s, a);
	cr_assert_eq(kmm_report_count(KMM_REPORT_SLAB), 0);
	preempt_disable();
	c->reciprocal_size = s->reciprocal_size;
	preempt_enable();
	cr_assert_eq(kmm_check(), 0);
	cr_assert_eq(kmem_cache_destroy(s), 0);
	cr_assert_eq(kmem_cache_destroy(t), 0);
	check_and_shutdown();
}

/*
 * A free goes on the CPU's sheaf, and an allocation for a node takes the
 * sheaf's top when that object is of the node: a cache allocated only for
 * a node (as kmem_cache_node is) gets back what it freed, and its sheaf
 * does not fill with objects that nothing takes.
 */
Test(slab, node_allocations_take_from_the_sheaf)
{
	boot_or_die(NULL);
	cr_assert_eq(kmm_bind_cpu(0), 0);
	struct kmem_cache *s = kmem_cache_create("node96", 96, 0, SLAB_NO_MERGE, NULL);
	struct kmem_cache_cpu *c = cpu_slab(s, 0);
	void *keep = kmem_cache_alloc_node(s, GFP_KERNEL, 0);

	for (int i = 0; i < 100; i++) {
		void *a = kmem_cache_alloc_node(s, GFP_KERNEL, 0);

		cr_assert_not_null(a);
		kmem_cache_free(s, a);
		cr_assert_leq(c->sheaf.size, 1, "round %d: %u objects on the sheaf", i,
			      c->sheaf.size);
		cr_assert_eq(kmem_cache_alloc_node(s, GFP_KERNEL, 0), a, "round %d", i);
		kmem_cache_free(s, a);
	}
	cr_assert_eq(kmm_check(), 0);
	kmem_cache_free(s, keep);
	cr_assert_eq(kmem_cache_destroy(s), 0);
	check_and_shutdown();
}

/*
 * A cache whose frees all take the full path (init_on_free here; the
 * sanitizer builds' annotated caches alike) has no never-used range in its
 * CPU slab (limit 0).  An object on the sheaf from a slab that then becomes
 * the CPU slab is an object in use like any other: kmm_check() once took it
 * for a never-used one (the fuzzer's "never used in its lazy CPU slab").
 * An allocation for a node whose sheaf top is of another node skips the
 * sheaf and takes the node's partial slab, the slab of an object below it.
 */
Test(slab, sheaf_object_of_a_cpu_slab_taken_from_a_partial_list)
{
	boot_or_die("mem=512M numa=fake=2 init_on_free=1");
	cr_assert_eq(kmm_bind_cpu(0), 0);
	struct kmem_cache *s = kmem_cache_create("nodes128", 128, 0, SLAB_NO_MERGE, NULL);
	cr_assert_not_null(s);
	cr_assert_eq(slub_set_cpu_partial(s, 0), 0);	/* slabs that get a free go on the node's list */
	struct kmem_cache_cpu *c = cpu_slab(s, 0);
	unsigned int per = s->objects;
	void **on0 = calloc(per, sizeof(void *)), **on1 = calloc(per + 1, sizeof(void *));

	/* A full slab on each node, and a CPU slab on node 1. */
	for (unsigned int i = 0; i < per; i++)
		on0[i] = kmem_cache_alloc_node(s, GFP_KERNEL, 0);
	for (unsigned int i = 0; i <= per; i++)
		on1[i] = kmem_cache_alloc_node(s, GFP_KERNEL, 1);
	struct slab *full0 = virt_to_slab(on0[0]);

	cr_assert_neq(virt_to_slab(on1[0]), c->slab);
	cr_assert_eq(c->limit, 0, "init_on_free: every free on the full path");
	/* One free each, taking turns: each goes on the sheaf when the next comes. */
	kmem_cache_free(s, on0[0]);
	kmem_cache_free(s, on1[0]);
	kmem_cache_free(s, on0[1]);
	kmem_cache_free(s, on0[2]);
	cr_assert_eq(c->sheaf.size, 2);
	cr_assert_eq(c->sheaf.objects[0], on0[0]);
	cr_assert_eq(kmm_check(), 0);

	void *x = kmem_cache_alloc_node(s, GFP_KERNEL, 0);
	cr_assert_eq(c->slab, full0, "node 0's partial slab is the CPU slab");
	cr_assert_eq(c->sheaf.size, 2, "with its object on the sheaf");
	cr_assert_eq(kmm_check(), 0);

	kmem_cache_free(s, x);
	for (unsigned int i = 3; i < per; i++)
		kmem_cache_free(s, on0[i]);
	for (unsigned int i = 1; i <= per; i++)
		kmem_cache_free(s, on1[i]);
	free(on0);
	free(on1);
	cr_assert_eq(kmem_cache_destroy(s), 0);
	check_and_shutdown();
}

/* The ctor runs on every object of a lazy slab when the slab is made, once. */
Test(slab, ctor_runs_on_a_lazy_slab_when_it_is_made)
{
	boot_or_die(NULL);
	cr_assert_eq(kmm_bind_cpu(0), 0);
	atomic_set(&ctor_calls, 0);
	struct kmem_cache *s = kmem_cache_create("ctorlazy", 40, 0, SLAB_NO_MERGE, count_ctor);
	cr_assert_not_null(s);
	int per = (int)s->objects;
	void **o = calloc((size_t)per, sizeof(void *));

	o[0] = kmem_cache_alloc(s, GFP_KERNEL);
	cr_assert_eq(atomic_read(&ctor_calls), per, "every object's ctor with the slab");
	for (int i = 1; i < per; i++) {
		o[i] = kmem_cache_alloc(s, GFP_KERNEL);
		cr_assert_eq(((unsigned char *)o[i])[39], 0x5a);
	}
	cr_assert_eq(atomic_read(&ctor_calls), per, "none as the never-used objects go out");
	cr_assert_eq(kmm_check(), 0);
	for (int i = 0; i < per; i++)
		kmem_cache_free(s, o[i]);
	free(o);
	cr_assert_eq(kmem_cache_destroy(s), 0);
	check_and_shutdown();
}

/*
 * A cache merged into one whose slabs are coloured in steps of 64 bytes
 * would get objects aligned to 64, not the 128 it asked for (the fuzzer
 * found it): the alias is refused, and every object is aligned.
 */
Test(slab, merging_keeps_a_larger_alignment)
{
	boot_or_die(NULL);
	struct kmem_cache *a = kmem_cache_create("align64", 2688, 64, 0, NULL);
	struct kmem_cache *b = kmem_cache_create("align128", 2592, 128, 0, NULL);
	void *o[64];

	cr_assert_not_null(a);
	cr_assert_not_null(b);
	for (int i = 0; i < 64; i++) {
		o[i] = kmem_cache_alloc(b, GFP_KERNEL);
		cr_assert_not_null(o[i]);
		cr_assert_eq((unsigned long)o[i] % 128, 0, "object %d at %p", i, o[i]);
	}
	for (int i = 0; i < 64; i++)
		kmem_cache_free(b, o[i]);
	cr_assert_eq(kmem_cache_destroy(b), 0);
	cr_assert_eq(kmem_cache_destroy(a), 0);
	check_and_shutdown();
}

Test(slab, compatible_caches_merge)
{
	boot_or_die(NULL);
	struct kmem_cache *dog = kmem_cache_create("dog", 60, 0, 0, NULL);
	/* kmalloc caches are wholly user-copyable: never merge targets (HARDENED_USERCOPY). */
	cr_assert_neq(dog, kmalloc_caches[KMALLOC_NORMAL][6]);
	cr_assert_eq(kmem_cache_size(dog), 60);
	struct kmem_cache *wolf = kmem_cache_create("wolf", 64, 0, 0, NULL);
	cr_assert_eq(wolf, dog, "wolf is an alias of dog");
	cr_assert_eq(kmem_cache_size(dog), 64, "the alias widened the object");
	void *p = kmem_cache_alloc(wolf, GFP_KERNEL);
	kmem_cache_free(dog, p);	/* the same cache: no report */
	struct kmem_cache *cat = kmem_cache_create("cat", 60, 0, SLAB_NO_MERGE, NULL);
	cr_assert_neq(cat, dog);
	struct kmem_cache *rcl = kmem_cache_create("rcl", 60, 0, SLAB_RECLAIM_ACCOUNT, NULL);
	cr_assert_neq(rcl, dog, "SLAB_RECLAIM_ACCOUNT is one of the flags that must match");
	cr_assert_neq(rcl, kmalloc_caches[KMALLOC_RECLAIM][6]);
	struct kmem_cache *odd = kmem_cache_create("odd", 56, 0, 0, NULL);
	cr_assert_neq(odd, dog, "a pointer's worth smaller does not merge");
	struct kmem_cache *usr = kmem_cache_create_usercopy("usr", 64, 0, 0, 8, 16, NULL);
	cr_assert_neq(usr, dog, "a cache with a usercopy region never merges");
	cr_assert_eq(kmem_cache_create("usr2", 64, 0, 0, NULL), dog, "nor is it merged into");
	cr_assert_eq(kmem_cache_destroy(dog), 0);
	cr_assert_eq(kmem_cache_destroy(dog), 0);
	cr_assert_eq(kmem_cache_destroy(wolf), 0);
	cr_assert_eq(kmem_cache_destroy(usr), 0);
	cr_assert_eq(kmem_cache_destroy(rcl), 0);
	cr_assert_eq(kmem_cache_destroy(cat), 0);
	cr_assert_eq(kmem_cache_destroy(odd), 0);
	cr_assert_eq(kmm_report_count(KMM_REPORT_SLAB), 0);
	check_and_shutdown();
}

Test(slab, usercopy_region_outside_the_object_is_a_warning)
{
	boot_or_die(NULL);
	unsigned long warns = kmm_report_count(KMM_REPORT_WARN);
	struct kmem_cache *s = kmem_cache_create_usercopy("bad_usercopy", 64, 0, 0, 60, 8, NULL);
	cr_assert_not_null(s, "the cache is made, with no region");
	cr_assert_eq(kmm_report_count(KMM_REPORT_WARN), warns + 1);
	cr_assert_eq(kmem_cache_create("plain64", 64, 0, 0, NULL), s,
		     "without its region it merges as any cache");
	cr_assert_eq(kmem_cache_destroy(s), 0);
	cr_assert_eq(kmem_cache_destroy(s), 0);
	check_and_shutdown();
}

Test(slab, slab_nomerge_parameter)
{
	boot_or_die("slab_nomerge");
	struct kmem_cache *dog = kmem_cache_create("dog", 64, 0, 0, NULL);
	cr_assert_neq(dog, kmalloc_caches[KMALLOC_NORMAL][6]);
	cr_assert_eq(kmem_cache_destroy(dog), 0);
	check_and_shutdown();
}

Test(slab, order_parameters)
{
	boot_or_die("slub_min_objects=4 slub_max_order=1");
	struct kmem_cache *k8 = kmalloc_caches[KMALLOC_NORMAL][13];
	cr_assert_eq(k8->order, 1);
	cr_assert_eq(k8->objects, 1);
	check_and_shutdown();
	boot_or_die("slub_min_order=2");
	cr_assert_eq(kmalloc_caches[KMALLOC_NORMAL][3]->order, 2);
	cr_assert_eq(kmalloc_caches[KMALLOC_NORMAL][3]->objects, 2048);
	check_and_shutdown();
	kmm_set_console(NULL);
	cr_assert_eq(kmm_boot("slub_min_order=11"), -EINVAL);
	boot_or_die(NULL);
	cr_assert_eq(kmalloc_caches[KMALLOC_NORMAL][3]->order, 0, "parameters reset at boot");
	check_and_shutdown();
}

Test(slab, dma_and_reclaimable_caches)
{
	boot_or_die(NULL);
	struct kmem_cache *d = kmem_cache_create("dmabuf", 300, 0, SLAB_CACHE_DMA, NULL);
	void *p = kmem_cache_alloc(d, GFP_KERNEL);
	cr_assert_eq(page_zonenum(virt_to_page(p)), ZONE_DMA);
	struct kmem_cache *d32 = kmem_cache_create("dma32buf", 300, 0, SLAB_CACHE_DMA32, NULL);
	void *q = kmem_cache_alloc(d32, GFP_KERNEL);
	cr_assert_leq(page_zonenum(virt_to_page(q)), ZONE_DMA32);
	kmm_vmstat_fold_all();
	unsigned long rcl = global_node_page_state(NR_SLAB_RECLAIMABLE_B);
	struct kmem_cache *r = kmem_cache_create("dentry_like", 192, 0,
						 SLAB_RECLAIM_ACCOUNT | SLAB_NO_MERGE, NULL);
	void *o = kmem_cache_alloc(r, GFP_KERNEL);
	kmm_vmstat_fold_all();
	cr_assert_eq(global_node_page_state(NR_SLAB_RECLAIMABLE_B), rcl + (1UL << r->order));
	kmem_cache_free(d, p);
	kmem_cache_free(d32, q);
	kmem_cache_free(r, o);
	cr_assert_eq(kmem_cache_destroy(d), 0);
	cr_assert_eq(kmem_cache_destroy(d32), 0);
	cr_assert_eq(kmem_cache_destroy(r), 0);
	kmm_vmstat_fold_all();
	cr_assert_eq(global_node_page_state(NR_SLAB_RECLAIMABLE_B), rcl);
	check_and_shutdown();
}

Test(slab, new_slabs_cycle_their_colour)
{
	boot_or_die(NULL);
	struct kmem_cache *s = kmem_cache_create("coloured", 1000, 0, SLAB_NO_MERGE, NULL);
	unsigned int leftover = (unsigned int)(PAGE_SIZE << s->order) - s->objects * s->size;
	cr_assert_gt(leftover, 64);
	int n = (int)s->objects * 4;
	void **objs = calloc((size_t)n, sizeof(void *));
	unsigned int colours = 0;
	for (int i = 0; i < n; i++) {
		objs[i] = kmem_cache_alloc(s, GFP_KERNEL);
		struct slab *slab = virt_to_slab(objs[i]);
		cr_assert_eq(slab->colour % 64, 0);
		cr_assert_leq(slab->colour, leftover);
		colours |= 1u << (slab->colour / 64);
	}
	cr_assert_gt(__builtin_popcount(colours), 1, "slabs all start at the same offset");
	for (int i = 0; i < n; i++)
		kmem_cache_free(s, objs[i]);
	free(objs);
	cr_assert_eq(kmem_cache_destroy(s), 0);
	check_and_shutdown();
}

Test(slab, shrink_and_shrinker_give_back_empty_slabs)
{
	boot_or_die(NULL);
	/*
	 * A first cache warms up kmalloc-16 (its name) and kmem_cache on this
	 * CPU; stay on it, or the second create may start another CPU's slab.
	 */
	kmm_bind_cpu(0);
	cr_assert_eq(kmem_cache_destroy(kmem_cache_create("shrinkme", 512, 0, SLAB_NO_MERGE, NULL)), 0);
	unsigned long free0 = total_free();
	struct kmem_cache *s = kmem_cache_create("shrinkme", 512, 0, SLAB_NO_MERGE, NULL);
	int n = (int)s->objects * 40;
	void **objs = calloc((size_t)n, sizeof(void *));
	for (int i = 0; i < n; i++)
		objs[i] = kmem_cache_alloc(s, GFP_KERNEL);
	cr_assert_lt(total_free(), free0);
	for (int i = 0; i < n; i++)
		kmem_cache_free(s, objs[i]);
	struct slabinfo si;
	get_slabinfo(s, &si);
	/* As Linux: min_partial on the node, and what the CPU partial list holds. */
	cr_assert_leq(si.num_slabs, s->min_partial + 1 + s->cpu_partial_slabs,
		      "empty slabs beyond min_partial and cpu_partial are freed");
	cr_assert_gt(s->cpu_partial_slabs, 0);
	cr_assert_leq(si.nr_cpu_partial, s->cpu_partial_slabs);
	cr_assert_eq(kmm_check(), 0);
	drop_slab();
	get_slabinfo(s, &si);
	cr_assert_leq(si.nr_empty, 0, "the shrinker took the empty partial slabs");
	cr_assert_eq(kmem_cache_shrink(s), 0, "no slab left after shrinking");
	get_slabinfo(s, &si);
	cr_assert_eq(si.num_slabs, 0);
	free(objs);
	cr_assert_eq(kmem_cache_destroy(s), 0);
	cr_assert_eq(total_free(), free0);
	check_and_shutdown();
}

Test(slab, destroy_with_objects_warns_and_keeps_the_cache)
{
	boot_or_die(NULL);
	struct kmem_cache *s = kmem_cache_create("leaky", 128, 0, SLAB_NO_MERGE, NULL);
	void *a = kmem_cache_alloc(s, GFP_KERNEL), *b = kmem_cache_alloc(s, GFP_KERNEL);
	cr_assert_neq(kmem_cache_destroy(s), 0);
	cr_assert(dmesg_has("kmem_cache_destroy leaky: Slab cache still has objects when called from"));
	cr_assert_eq(kmm_report_count(KMM_REPORT_SLAB), 1);
	cr_assert_eq(kmm_check(), 0);
	void *c = kmem_cache_alloc(s, GFP_KERNEL);
	cr_assert_not_null(c);
	kmem_cache_free(s, a);
	kmem_cache_free(s, b);
	kmem_cache_free(s, c);
	cr_assert_eq(kmem_cache_destroy(s), 0);
	check_and_shutdown();
}

Test(slab, free_into_the_wrong_cache)
{
	boot_or_die(NULL);
	struct kmem_cache *a = kmem_cache_create("cache_a", 100, 0, SLAB_NO_MERGE, NULL);
	struct kmem_cache *b = kmem_cache_create("cache_b", 100, 0, SLAB_NO_MERGE, NULL);
	void *o = kmem_cache_alloc(b, GFP_KERNEL);
	kmem_cache_free(a, o);
	cr_assert(dmesg_has("cache_from_obj: Wrong slab cache. cache_a but object is from cache_b"));
	cr_assert_eq(kmm_report_count(KMM_REPORT_SLAB), 1);
	cr_assert_eq(kmm_check(), 0);
	/* As Linux, the object went back to its own cache: both are empty now. */
	cr_assert_eq(kmem_cache_destroy(b), 0);
	cr_assert_eq(kmem_cache_destroy(a), 0);
	check_and_shutdown();
}

/*
 * The free fast path knows an object of the CPU slab by its address alone
 * (offset from the first object, in range and a multiple of the stride):
 * every other address in that slab must still be refused with Linux's
 * report, and the object it points into stays allocated.
 */
Test(slab, fast_free_takes_only_object_starts)
{
	boot_or_die(NULL);
	cr_assert_eq(kmm_bind_cpu(0), 0);
	struct kmem_cache *s = kmem_cache_create("stride_40", 40, 8, SLAB_NO_MERGE, NULL);
	cr_assert_not_null(s);
	cr_assert_eq(s->size, 40);
	char *o = kmem_cache_alloc(s, GFP_KERNEL);
	struct slab *slab = virt_to_slab(o);
	char *first = slab_first_object(s, slab), *end = first + slab->objects * s->size;
	cr_assert_eq(cpu_slab(s, 0)->slab, slab, "the object is not of the CPU slab");
	cr_assert_lt(end, (char *)slab_address(slab) + slab_size(slab), "no leftover to aim at");

	char *bad[] = { o + 1, o + 8, o + 20, o + 39, end, end + 8,
			(char *)slab_address(slab) + slab_size(slab) - 1 };
	unsigned long reports = 0;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		kmem_cache_free(s, bad[i]);
		cr_assert_eq(kmm_report_count(KMM_REPORT_SLAB), ++reports,
			     "free of %p (object at %p) not refused", bad[i], o);
		cr_assert_eq(kmm_check(), 0);
	}
	if (first > (char *)slab_address(slab)) {	/* a coloured slab: before its first object */
		kmem_cache_free(s, first - 8);
		cr_assert_eq(kmm_report_count(KMM_REPORT_SLAB), ++reports);
	}
	cr_assert(dmesg_has("Invalid object pointer 0x"));
	cr_assert_eq(slab->inuse, slab->objects, "a refused free changed the slab");
	/* Every object start frees, and the slab empties. */
	char *more[8];
	for (int i = 0; i < 8; i++)
		more[i] = kmem_cache_alloc(s, GFP_KERNEL);
	for (int i = 0; i < 8; i++)
		kmem_cache_free(s, more[i]);
	kmem_cache_free(s, o);
	cr_assert_eq(kmm_report_count(KMM_REPORT_SLAB), reports);
	cr_assert_eq(kmem_cache_destroy(s), 0);

	/* kfree takes the same way: an interior pointer of a kmalloc-96 object. */
	char *k = kmalloc(96, GFP_KERNEL);
	kfree(k + 48);
	kfree(k + 32);
	cr_assert_eq(kmm_report_count(KMM_REPORT_SLAB), reports + 2);
	kfree(k);
	cr_assert_eq(kmm_report_count(KMM_REPORT_SLAB), reports + 2);
	check_and_shutdown();
}

/*
 * Booted, on CPU 0: a SLAB_NO_MERGE cache of @size-byte objects with
 * @slabs slabs' worth of them allocated, in order, into *@objs (calloc'd).
 * Return: the cache; its objects per slab in *@per.
 */
static struct kmem_cache *boot_fill_cache(const char *name, unsigned int size, int slabs,
					  void ***objs, int *per)
{
	boot_or_die(NULL);
	cr_assert_eq(kmm_bind_cpu(0), 0);
	struct kmem_cache *s = kmem_cache_create(name, size, 0, SLAB_NO_MERGE, NULL);
	cr_assert_not_null(s);
	*per = (int)s->objects;
	*objs = calloc((size_t)(slabs * *per), sizeof(void *));
	for (int i = 0; i < slabs * *per; i++)
		(*objs)[i] = kmem_cache_alloc(s, GFP_KERNEL);
	return s;
}

/*
 * Frees to a slab other than the CPU slab are gathered per CPU and handed
 * to their slab in one go: until then the slab counts them in use and
 * kmm_check() accounts for them; a free to another slab, a slab whose
 * objects are all freed, or a flush hands them over; a double free into
 * the gathering is refused.
 */
Test(slab, deferred_frees_are_gathered_and_handed_over)
{
	void **o;
	int per;
	struct kmem_cache *s = boot_fill_cache("defer64", 64, 3, &o, &per);
	int n = 3 * per;
	struct slab *first = virt_to_slab(o[0]), *second = virt_to_slab(o[per]);
	struct kmem_cache_cpu *c = cpu_slab(s, 0);
	cr_assert_neq(first, c->slab);
	cr_assert_neq(second, c->slab);
	cr_assert_neq(first, second);

	/* All but one object of the first slab: gathered, still in use to the slab. */
	for (int i = 1; i < per; i++)
		kmem_cache_free(s, o[i]);
	cr_assert_eq(c->defer_count, (unsigned int)per - 1);
	cr_assert_eq(first->inuse, (unsigned int)per);
	cr_assert_null(first->freelist);
	cr_assert_eq(kmm_check(), 0);

	/* A second free of the last one gathered is refused. */
	kmem_cache_free(s, o[per - 1]);
	cr_assert(dmesg_has("Object already free"));
	cr_assert_eq(kmm_report_count(KMM_REPORT_SLAB), 1);
	cr_assert_eq(c->defer_count, (unsigned int)per - 1);

	/* A free to the second slab hands the first its frees: partial now. */
	kmem_cache_free(s, o[per]);
	cr_assert_eq(first->inuse, 1);
	cr_assert_not_null(first->freelist);
	cr_assert_eq(c->defer_count, 1);
	cr_assert_eq(kmm_check(), 0);

	/* Freeing every object of the second slab hands it over at once. */
	for (int i = per + 1; i < 2 * per; i++)
		kmem_cache_free(s, o[i]);
	cr_assert_null(c->defer_head, "an emptied slab's frees stay gathered");
	cr_assert_eq(kmm_check(), 0);

	/* Gathered frees are reused before a new slab is made. */
	kmem_cache_free(s, o[0]);
	unsigned long slabs = (unsigned long)atomic_long_read(&get_node(s, 0)->nr_slabs);
	for (int i = 0; i < 2 * per; i++)
		o[i] = kmem_cache_alloc(s, GFP_KERNEL);
	cr_assert_leq((unsigned long)atomic_long_read(&get_node(s, 0)->nr_slabs), slabs);

	/* Gathered on another CPU: shrink and destroy hand them over first. */
	cr_assert_eq(kmm_bind_cpu(1), 0);
	for (int i = 0; i < n; i++)
		kmem_cache_free(s, o[i]);
	cr_assert_eq(kmm_check(), 0);
	cr_assert_eq(kmem_cache_shrink(s), 0);
	cr_assert_null(cpu_slab(s, 1)->defer_head);
	cr_assert_eq(kmem_cache_destroy(s), 0);
	cr_assert_eq(kmm_report_count(KMM_REPORT_SLAB), 1);
	free(o);
	check_and_shutdown();
}

/*
 * A full slab that gets an object back goes, frozen, on the freeing CPU's
 * partial list (Linux's put_cpu_partial()), no lock and no node list; the
 * allocation slow path takes it from there before the node's list; a list
 * at cpu_partial_slabs goes to the node, and a flush empties it.
 */
Test(slab, cpu_partial_list_takes_full_slabs_given_frees)
{
	boot_or_die(NULL);
	cr_assert_eq(kmm_bind_cpu(0), 0);
	struct kmem_cache *s = kmem_cache_create("cpupart", 256, 0, SLAB_NO_MERGE, NULL);
	cr_assert_eq(s->cpu_partial, 52, "Linux's cpu_partial for 256..1023 bytes");
	cr_assert_eq(s->cpu_partial_slabs, (52 * 2 + s->objects - 1) / s->objects);
	int per = (int)s->objects, nslabs = (int)s->cpu_partial_slabs + 3, n = nslabs * per;
	void **o = calloc((size_t)n, sizeof(void *));
	for (int i = 0; i < n; i++)
		o[i] = kmem_cache_alloc(s, GFP_KERNEL);
	struct kmem_cache_cpu *c = cpu_slab(s, 0);
	struct slab *first = virt_to_slab(o[0]);

	/*
	 * Two objects of each of L full slabs (runs: the deferred frees hand
	 * them over, where a lone free would go to the sheaf).
	 */
	int L = (int)s->cpu_partial_slabs;
	for (int k = 0; k < L; k++) {
		kmem_cache_free(s, o[k * per]);
		kmem_cache_free(s, o[k * per + 1]);
	}
	kmem_cache_free(s, o[2]);	/* hands the last run over */
	struct slabinfo si;
	get_slabinfo(s, &si);
	cr_assert_eq(si.nr_partial, 0, "no slab went to the node's partial list");
	cr_assert_eq(si.nr_cpu_partial, (unsigned long)L);
	cr_assert_not_null(c->partial);
	cr_assert(c->partial->frozen && first->frozen);
	cr_assert_eq(kmm_check(), 0);
	char *v = view("slab_cpu_partial"), want[96];
	snprintf(want, sizeof(want), "cpupart                    52 %17u : %u(%d) C0=%u(%d)\n",
		 s->cpu_partial_slabs, L * s->objects / 2, L, L * s->objects / 2, L);
	cr_assert(strstr(v, want), "slab_cpu_partial shows the list:\n%s", v);
	free(v);

	/* One more: the full list goes to the node, the new slab starts a list. */
	kmem_cache_free(s, o[L * per]);
	kmem_cache_free(s, o[L * per + 1]);
	kmem_cache_free(s, o[3]);	/* hands it over; o[2] goes to the sheaf */
	cr_assert_eq(c->sheaf.size, 1);
	cr_assert_eq(c->sheaf.objects[0], o[2]);
	get_slabinfo(s, &si);
	cr_assert_eq(si.nr_partial, (unsigned long)L);
	cr_assert_eq(si.nr_cpu_partial, 1);
	cr_assert(!first->frozen);
	cr_assert_eq(c->partial, virt_to_slab(o[L * per]));
	cr_assert_eq(kmm_check(), 0);

	/* Allocations take the freed objects back before any new slab. */
	unsigned long slabs = (unsigned long)atomic_long_read(&get_node(s, 0)->nr_slabs);
	cr_assert_eq(kmem_cache_alloc(s, GFP_KERNEL), o[2], "the sheaf's object first");
	cr_assert_eq(c->sheaf.size, 0);
	o[3] = kmem_cache_alloc(s, GFP_KERNEL);
	for (int k = 0; k <= L; k++) {
		o[k * per] = kmem_cache_alloc(s, GFP_KERNEL);
		o[k * per + 1] = kmem_cache_alloc(s, GFP_KERNEL);
	}
	cr_assert_eq((unsigned long)atomic_long_read(&get_node(s, 0)->nr_slabs), slabs);
	cr_assert_eq(kmm_check(), 0);
	/* Everything freed, then a flush: nothing left frozen, nothing on the CPU lists. */
	for (int i = 0; i < n; i++)
		kmem_cache_free(s, o[i]);
	cr_assert_eq(kmm_check(), 0);
	cr_assert_eq(kmem_cache_shrink(s), 0);
	cr_assert_null(c->partial);
	get_slabinfo(s, &si);
	cr_assert_eq(si.num_slabs, 0);
	cr_assert_eq(kmem_cache_destroy(s), 0);
	free(o);
	check_and_shutdown();
}

/*
 * Lone frees to other slabs (no run for the deferred frees to gather) go
 * to the CPU's sheaf, still in use to their slabs, and come back from it
 * to the next allocations, before the CPU freelist; a full sheaf (its
 * older half) and a flush give its objects to their slabs.
 */
Test(slab, lone_frees_go_to_the_sheaf_and_back)
{
	void **o;
	int per;
	struct kmem_cache *s = boot_fill_cache("sheaf", 128, 4, &o, &per);
	int n = 4 * per;
	struct kmem_cache_cpu *c = cpu_slab(s, 0);

	kmem_cache_free(s, o[0]);
	kmem_cache_free(s, o[per]);
	kmem_cache_free(s, o[2 * per]);
	cr_assert_eq(c->sheaf.size, 2);
	cr_assert_eq(c->sheaf.objects[0], o[0]);
	cr_assert_eq(c->sheaf.objects[1], o[per]);
	cr_assert_eq(c->defer_head, o[2 * per]);
	cr_assert_eq(virt_to_slab(o[0])->inuse, (unsigned int)per, "still in use to its slab");
	cr_assert_eq(kmm_check(), 0);

	/* A second free of the sheaf's last object is refused. */
	kmem_cache_free(s, o[per]);
	cr_assert(dmesg_has("Object already free"));
	cr_assert_eq(kmm_report_count(KMM_REPORT_SLAB), 1);
	cr_assert_eq(c->sheaf.size, 2);

	/* Lone frees alternating between two slabs: the sheaf fills and empties. */
	unsigned int most = 0;
	for (int j = 1; j < per; j++) {
		kmem_cache_free(s, o[j]);
		kmem_cache_free(s, o[per + j]);
		cr_assert_leq(c->sheaf.size, SHEAF_CAPACITY);
		most = max(most, c->sheaf.size);
	}
	if (per > SHEAF_CAPACITY)
		cr_assert_eq(most, SHEAF_CAPACITY);
	cr_assert_eq(kmm_check(), 0);

	/* The CPU slab is full: the next allocation is the sheaf's last object. */
	unsigned int size = c->sheaf.size;
	cr_assert_gt(size, 0);
	void *top = c->sheaf.objects[size - 1];
	cr_assert_eq(kmem_cache_alloc(s, GFP_KERNEL), top);
	cr_assert_eq(c->sheaf.size, size - 1);
	kmem_cache_free(s, top);

	/* Everything freed, a flush: the sheaf is empty, every slab given back. */
	for (int i = 2 * per + 1; i < n; i++)
		kmem_cache_free(s, o[i]);
	cr_assert_eq(kmm_check(), 0);
	cr_assert_eq(kmem_cache_shrink(s), 0);
	cr_assert_eq(c->sheaf.size, 0);
	cr_assert_eq(kmem_cache_destroy(s), 0);
	cr_assert_eq(kmm_report_count(KMM_REPORT_SLAB), 1);
	free(o);
	check_and_shutdown();
}

/*
 * The preload shim's free (sheaf_push()): an object its shadow vouched for
 * goes on the sheaf first, whatever its slab, without its struct page,
 * while the sheaf has room.  Allocations take the sheaf's last object
 * before the CPU freelist.  A full sheaf that must take one more object
 * gives its older half back to the slabs (the objects of one slab in one
 * exchange) and keeps the newer half, in order.
 */
Test(slab, shim_frees_go_to_the_sheaf_first)
{
	void **o;
	int per;
	struct kmem_cache *s = boot_fill_cache("lone", 128, 3, &o, &per);
	int n = 3 * per;
	struct kmem_cache_cpu *c = cpu_slab(s, 0);
	struct slab *first = virt_to_slab(o[0]), *second = virt_to_slab(o[per]);
	bool *freed = calloc((size_t)n, sizeof(bool));

	if (kmm_slab_hooks) {
		/* The tools see each free (ASan, Valgrind): never without the slab. */
		preempt_disable();
		cr_assert_not(sheaf_push(s, c, o[0]));
		preempt_enable();
		for (int i = 0; i < n; i++)
			kmem_cache_free(s, o[i]);
		cr_assert_eq(kmem_cache_destroy(s), 0);
		free(o);
		free(freed);
		check_and_shutdown();
		return;
	}
	cr_assert_gt(per, SHEAF_CAPACITY + 4, "the test fills the sheaf from one slab");
	preempt_disable();
	cr_assert(sheaf_push(s, c, o[0]));
	cr_assert(sheaf_push(s, c, o[1]), "the same slab: onto the sheaf too");
	cr_assert(sheaf_push(s, c, o[per]));
	preempt_enable();
	freed[0] = freed[1] = freed[per] = true;
	cr_assert_eq(c->sheaf.size, 3);
	cr_assert_eq(first->inuse, (unsigned int)per, "still in use to its slab");
	cr_assert_eq(kmm_check(), 0);

	/* An object on the CPU freelist: the sheaf's last object comes first all the same. */
	kmem_cache_free(s, o[2 * per]);
	cr_assert_eq(c->freelist, o[2 * per]);
	cr_assert_eq(kmem_cache_alloc(s, GFP_KERNEL), o[per]);
	freed[per] = false;
	cr_assert_eq(c->freelist, o[2 * per]);
	cr_assert_eq(c->sheaf.size, 2);
	freed[2 * per] = true;

	/* Full: the rest from the second slab. */
	preempt_disable();
	for (int i = per + 1; i < per + SHEAF_CAPACITY - 1; i++) {
		cr_assert(sheaf_push(s, c, o[i]));
		freed[i] = true;
	}
	cr_assert_eq(c->sheaf.size, SHEAF_CAPACITY);
	cr_assert_not(sheaf_push(s, c, o[per + 25]), "no room");
	preempt_enable();
	cr_assert_eq(c->sheaf.objects[SHEAF_CAPACITY - 1], o[per + SHEAF_CAPACITY - 2]);

	/*
	 * A lone free to the second slab, then one to the first: the lone one
	 * goes on the sheaf, which makes room first: o[0], o[1] and the
	 * oldest of the second slab go back, in two exchanges.
	 */
	kmem_cache_free(s, o[per + 25]);
	kmem_cache_free(s, o[5]);
	freed[per + 25] = freed[5] = true;
	unsigned int kept = SHEAF_CAPACITY - SHEAF_CAPACITY / 2;
	cr_assert_eq(c->sheaf.size, kept + 1);
	cr_assert_eq(c->sheaf.objects[0], o[per + 1 + (SHEAF_CAPACITY / 2 - 2)]);
	cr_assert_eq(c->sheaf.objects[kept - 1], o[per + SHEAF_CAPACITY - 2]);
	cr_assert_eq(c->sheaf.objects[kept], o[per + 25]);
	cr_assert_eq(c->defer_head, o[5]);
	cr_assert_eq(first->inuse, (unsigned int)per - 2, "o[0] and o[1] back, o[5] deferred");
	cr_assert_eq(second->inuse, (unsigned int)per - (SHEAF_CAPACITY / 2 - 2));
	cr_assert_eq(kmm_check(), 0);

	for (int i = 0; i < n; i++)
		if (!freed[i])
			kmem_cache_free(s, o[i]);
	cr_assert_eq(kmm_check(), 0);
	cr_assert_eq(kmem_cache_shrink(s), 0, "the flush gave the sheaf's objects back too");
	cr_assert_eq(c->sheaf.size, 0);
	cr_assert_eq(kmem_cache_destroy(s), 0);
	cr_assert_eq(kmm_report_count(KMM_REPORT_SLAB), 0);
	free(o);
	free(freed);
	check_and_shutdown();
}

/* Debug caches allocate from the node's list one object at a time: no CPU partial list. */
Test(slab, debug_caches_keep_no_cpu_partial_list)
{
	boot_or_die(NULL);
	struct kmem_cache *s = kmem_cache_create("cpupart-dbg", 256, 0,
						 SLAB_NO_MERGE | SLAB_RED_ZONE, NULL);
	cr_assert_eq(s->cpu_partial, 0);
	cr_assert_eq(s->cpu_partial_slabs, 0);
	cr_assert_eq(slub_set_cpu_partial(s, 10), -EINVAL);
	cr_assert_eq(kmem_cache_destroy(s), 0);
	check_and_shutdown();
}

Test(slab, bulk_alloc_and_free)
{
	boot_or_die(NULL);
	struct kmem_cache *s = kmem_cache_create("bulk", 48, 0, SLAB_NO_MERGE, NULL);
	void *objs[1000];
	cr_assert_eq(kmem_cache_alloc_bulk(s, GFP_KERNEL, 1000, objs), 1000);
	for (int i = 0; i < 1000; i++)
		memset(objs[i], i, 48);
	cr_assert_eq(kmm_check(), 0);
	kmem_cache_free_bulk(s, 1000, objs);
	cr_assert_eq(kmem_cache_destroy(s), 0);
	check_and_shutdown();
}

/* --- cross-CPU stress: each thread frees what its neighbour allocated --- */

#define STRESS_THREADS 4
#define STRESS_OBJS 2000
#define STRESS_ROUNDS 30

static struct kmem_cache *stress_cache;
static void *stress_objs[STRESS_THREADS][STRESS_OBJS];
static pthread_barrier_t stress_barrier;

static void *stress_thread(void *arg)
{
	int id = (int)(long)arg;

	kmm_bind_cpu(id % (int)nr_cpu_ids);
	for (int round = 0; round < STRESS_ROUNDS; round++) {
		for (int i = 0; i < STRESS_OBJS; i++) {
			size_t sz = (size_t)(i * 37 + round) % 700 + 1;
			void *p = (i & 1) ? kmem_cache_alloc(stress_cache, GFP_KERNEL)
					  : kmalloc(sz, GFP_KERNEL);
			if (!p)
				abort();
			memset(p, id, (i & 1) ? 200 : sz);
			stress_objs[id][i] = p;
		}
		pthread_barrier_wait(&stress_barrier);
		int victim = (id + 1 + round) % STRESS_THREADS;
		for (int i = 0; i < STRESS_OBJS; i++) {
			if (i & 1)
				kmem_cache_free(stress_cache, stress_objs[victim][i]);
			else
				kfree(stress_objs[victim][i]);
		}
		pthread_barrier_wait(&stress_barrier);
	}
	return NULL;
}

Test(slab, stress_with_frees_on_other_cpus, .timeout = 120)
{
	pthread_t th[STRESS_THREADS];

	boot_or_die("cpus=4 mem=512M");
	stress_cache = kmem_cache_create("stress", 200, 0, SLAB_NO_MERGE, NULL);
	pthread_barrier_init(&stress_barrier, NULL, STRESS_THREADS);
	for (long i = 0; i < STRESS_THREADS; i++)
		pthread_create(&th[i], NULL, stress_thread, (void *)i);
	for (int i = 0; i < 20; i++) {
		cr_assert_eq(kmm_check(), 0, "kmm_check during the stress");
		usleep(2000);
	}
	for (int i = 0; i < STRESS_THREADS; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&stress_barrier);
	cr_assert_eq(kmm_report_count(KMM_REPORT_SLAB), 0);
	cr_assert_eq(kmm_check(), 0);
	cr_assert_eq(kmem_cache_destroy(stress_cache), 0);
	check_and_shutdown();
}

Test(slab, destroy_then_reboot_leaks_nothing)
{
	unsigned long first = 0;

	for (int boot = 0; boot < 3; boot++) {
		boot_or_die("mem=256M");
		unsigned long now = total_free();
		if (!boot)
			first = now;
		cr_assert_eq(now, first, "boot %d starts with %lu free pages, the first had %lu",
			     boot, now, first);
		struct kmem_cache *s = kmem_cache_create("reboot", 333, 0, SLAB_NO_MERGE, NULL);
		void *objs[500];
		for (int i = 0; i < 500; i++) {
			objs[i] = kmem_cache_alloc(s, GFP_KERNEL);
			kfree(kmalloc((size_t)i * 17 + 1, GFP_KERNEL));
		}
		for (int i = 0; i < 500; i++)
			kmem_cache_free(s, objs[i]);
		cr_assert_eq(kmem_cache_destroy(s), 0);
		check_and_shutdown();
	}
}
