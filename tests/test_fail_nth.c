/* SPDX-License-Identifier: MIT */
/*
 * The fail-nth sweep: every error path of the library, run.
 *
 * For each representative operation, N = 1, 2, ... fails the N-th
 * allocation-like call the operation makes (Linux's fail-nth, with both
 * attributes' filters opened as syzkaller opens them), until an N passes
 * with no failure injected.  After each run, whatever the operation got is
 * freed and the machine must be as before: the failure reached the caller
 * (unless the operation has a documented fallback), kmm_check() is 0, no
 * report was made, and the counters (free pages, slab objects in use,
 * vmalloc and per-CPU pages, vmap areas) are back at their baseline.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "helpers.h"
#include "slab.h"
#include "platform/platform.h"
#include "scenarios.h"
#include <kmm/trace.h>

#define MAX_N 2000

enum pass { SLAB_PASS, PAGE_PASS };

struct snapshot {
	unsigned long free_pages;
	unsigned long slab_objs;
	unsigned long slab_b;
	unsigned long vmalloc_pages;
	unsigned long percpu_pages;
	unsigned long vmap_areas;
	unsigned long parts[3];	/* of free_pages: managed, free, page tables */
};

/* Count lines of a view, or sum one column of /proc/slabinfo. */
static unsigned long view_sum(const char *view, int column)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	unsigned long sum = 0;

	cr_assert_eq(kmm_show(view, f), 0, "kmm_show(%s)", view);
	fclose(f);
	for (char *save, *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (column < 0) {
			sum++;
			continue;
		}
		/*
		 * vmap_area objects also make the vmalloc area's free-space
		 * tree, a node per hole: where an area lands splits or merges
		 * holes.  Busy areas are counted from vmallocinfo instead.
		 */
		if (line[0] == '#' || !strncmp(line, "slabinfo", 8) || !strncmp(line, "vmap_area ", 10))
			continue;
		char name[64];
		unsigned long v[2];
		if (sscanf(line, "%63s %lu %lu", name, &v[0], &v[1]) == 3)
			sum += v[column];
	}
	free(buf);
	return sum;
}

/* Everything lazily held goes back, so that the counters are exact. */
static void settle(void)
{
	rcu_barrier();
	kvfree_rcu_barrier();
	kstack_drain_caches();	/* which CPU caches a freed stack is timing */
	kmm_flush_deferred_vfree();
	vm_unmap_aliases();
	/* Every CPU slab and empty slab back to the page allocator. */
	struct kmem_cache *s;
	plat_mutex_lock(&slab_mutex);
	list_for_each_entry(s, &slab_caches, list)
		kmem_cache_shrink(s);
	plat_mutex_unlock(&slab_mutex);
	drain_all_pages(NULL);
	kmm_vmstat_fold_all();	/* the per-CPU differences into the counters read below */
}

static struct snapshot snap(void)
{
	struct snapshot s;

	settle();
	/*
	 * Pages in use: deferred struct-page init may add memory as it goes,
	 * and kernel page tables are never freed (as Linux), so neither counts.
	 */
	s.parts[0] = totalram_pages();
	s.parts[1] = total_free();
	s.parts[2] = global_node_page_state(NR_PAGETABLE);
	s.free_pages = s.parts[0] - s.parts[1] - s.parts[2];
	s.slab_objs = view_sum("slabinfo", 0);
	s.slab_b = global_node_page_state(NR_SLAB_UNRECLAIMABLE_B) +
		   global_node_page_state(NR_SLAB_RECLAIMABLE_B);
	s.vmalloc_pages = vmalloc_nr_pages();
	s.percpu_pages = pcpu_nr_pages();
	s.vmap_areas = view_sum("vmallocinfo", -1);
	return s;
}

/* On a mismatch, the lines of @view that changed, to read in the log. */
static void log_view_diff(const char *view, const char *before, const char *after)
{
	char *a = strdup(after), *b = malloc(strlen(before) + 2);

	b[0] = '\n';
	strcpy(b + 1, before);
	before = b;
	for (char *save, *line = strtok_r(a, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char needle[512];
		snprintf(needle, sizeof(needle), "\n%s\n", line);
		if (!strstr(before, needle))
			cr_log_warn("%s now: %s", view, line);
	}
	free(a);
	free(b);
}

static char *base_slabinfo, *base_vmallocinfo, *base_meminfo;

static void expect_same(const struct snapshot *a, const struct snapshot *b, const char *op, int n)
{
	if (a->free_pages != b->free_pages) {
		char *mi = view("meminfo");
		log_view_diff("meminfo", base_meminfo, mi);
		free(mi);
	}
	if (a->slab_objs != b->slab_objs || a->vmap_areas != b->vmap_areas) {
		char *si = view("slabinfo"), *vi = view("vmallocinfo");
		log_view_diff("slabinfo", base_slabinfo, si);
		log_view_diff("vmallocinfo", base_vmallocinfo, vi);
		free(si);
		free(vi);
	}
	cr_expect_eq(a->free_pages, b->free_pages,
		     "%s n=%d: pages in use %lu -> %lu (managed %lu/%lu free %lu/%lu tables %lu/%lu)",
		     op, n, a->free_pages, b->free_pages, a->parts[0], b->parts[0], a->parts[1],
		     b->parts[1], a->parts[2], b->parts[2]);
	cr_expect_eq(a->slab_objs, b->slab_objs, "%s n=%d: slab objects %lu -> %lu", op, n,
		     a->slab_objs, b->slab_objs);
	cr_expect_eq(a->slab_b, b->slab_b, "%s n=%d: slab pages", op, n);
	cr_expect_eq(a->vmalloc_pages, b->vmalloc_pages, "%s n=%d: vmalloc pages", op, n);
	cr_expect_eq(a->percpu_pages, b->percpu_pages, "%s n=%d: percpu pages", op, n);
	cr_expect_eq(a->vmap_areas, b->vmap_areas, "%s n=%d: vmap areas %lu -> %lu", op, n,
		     a->vmap_areas, b->vmap_areas);
}

/*
 * The slab pass counts slab allocations only (the page allocator's filters
 * keep all but GFP_ATOMIC order-10 requests out); the page pass counts
 * everything, as syzkaller's setup does.
 */
static void open_filters(enum pass pass)
{
	bool page = pass == PAGE_PASS;

	kmm_fault_attr_reset();
	cr_assert_eq(kmm_fault_attr_set("failslab", "ignore-gfp-wait", 0), 0);
	cr_assert_eq(kmm_fault_attr_set("failslab", "verbose", 0), 0);
	cr_assert_eq(kmm_fault_attr_set("fail_page_alloc", "verbose", 0), 0);
	cr_assert_eq(kmm_fault_attr_set("fail_page_alloc", "ignore-gfp-wait", !page), 0);
	cr_assert_eq(kmm_fault_attr_set("fail_page_alloc", "ignore-gfp-highmem", !page), 0);
	cr_assert_eq(kmm_fault_attr_set("fail_page_alloc", "min-order", page ? 0 : MAX_PAGE_ORDER), 0);
}

static unsigned long bad_reports(void)
{
	static const enum kmm_report_kind kinds[] = {
		KMM_REPORT_WARN, KMM_REPORT_BUG, KMM_REPORT_BAD_PAGE, KMM_REPORT_BAD_FREE,
		KMM_REPORT_CHECK, KMM_REPORT_SLAB, KMM_REPORT_VMALLOC, KMM_REPORT_PERCPU,
	};
	unsigned long n = 0;

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		n += kmm_report_count(kinds[i]);
	return n;
}

/*
 * An operation: true if it got all it asked for.  Either way it frees what
 * it got before returning.
 */
struct op {
	const char *name;
	bool (*run)(void);
	/*
	 * The injected failure must reach the caller: in the slab pass
	 * (failslab only), in the page pass (both attributes).  Where not, a
	 * fallback absorbs it, as in Linux: kvmalloc's kmalloc falls back to
	 * vmalloc, a slab's high-order page to the minimum order, vmalloc's
	 * bulk page allocation to one page at a time.
	 */
	bool slab_strict, page_strict;
};

static void sweep(const struct op *op, enum pass pass)
{
	bool strict = pass == SLAB_PASS ? op->slab_strict : op->page_strict;

	op->run();		/* caches and chunks made once, as a first user would */
	struct snapshot base = snap();
	int n;

	free(base_slabinfo);
	free(base_vmallocinfo);
	free(base_meminfo);
	base_meminfo = view("meminfo");
	base_slabinfo = view("slabinfo");
	base_vmallocinfo = view("vmallocinfo");

	for (n = 1; n <= MAX_N; n++) {
		cr_assert_eq(kmm_fail_nth_write(n), 0);
		bool ok = op->run();
		bool injected = kmm_fail_nth_read() == 0;
		kmm_fail_nth_write(0);
		int problems = kmm_check();
		unsigned long reports = bad_reports();

		/*
		 * One clean run before the counters are read: caches the
		 * allocators keep by choice (the per-CPU allocator's one spare
		 * free chunk, which of two it keeps) settle as after the first
		 * run, while anything leaked stays leaked.
		 */
		if (injected)
			cr_expect(op->run(), "%s n=%d: the clean run after failed", op->name, n);
		struct snapshot now = snap();

		cr_expect_eq(problems, 0, "%s n=%d: kmm_check", op->name, n);
		cr_expect_eq(reports, 0, "%s n=%d: a report was made", op->name, n);
		expect_same(&base, &now, op->name, n);
		if (!injected) {
			cr_expect(ok, "%s n=%d: failed with nothing injected", op->name, n);
			break;
		}
		if (strict)
			cr_expect_not(ok, "%s n=%d (%s pass): an injected failure did not reach the caller",
				      op->name, n, pass == SLAB_PASS ? "slab" : "page");
		if (problems || reports)
			break;	/* one broken state is enough to read */
	}
	cr_expect_lt(n, MAX_N, "%s: no end to the calls", op->name);
	cr_log_info("%s (%s pass): %d injection points", op->name,
		    pass == SLAB_PASS ? "slab" : "page", n - 1);
}

/* --- the operations --- */

static bool op_cache_create(void)
{
	struct kmem_cache *s = kmem_cache_create("sweep_cache", 200, 0, SLAB_NO_MERGE, NULL);

	if (!s)
		return false;
	void *o = kmem_cache_alloc(s, GFP_KERNEL);
	if (o)
		kmem_cache_free(s, o);
	kmem_cache_destroy(s);
	return o != NULL;
}

static bool op_kmalloc_classes(void)
{
	static const size_t sizes[] = { 8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048,
					4096, 8192, 3 * 8192, 5 * 4096 * 16 };
	static const gfp_t gfps[] = { GFP_KERNEL, GFP_KERNEL | __GFP_RECLAIMABLE,
				      GFP_KERNEL | __GFP_DMA, GFP_ATOMIC };
	void *p[4][sizeof(sizes) / sizeof(sizes[0])] = { 0 };
	bool ok = true;

	for (size_t g = 0; g < 4; g++)
		for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]) && ok; i++)
			ok = (p[g][i] = kmalloc(sizes[i], gfps[g])) != NULL;
	for (size_t g = 0; g < 4; g++)
		for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
			kfree(p[g][i]);
	return ok;
}

static bool op_krealloc(void)
{
	char *p = kmalloc(16, GFP_KERNEL), *q;
	bool ok = false;

	if (!p)
		return false;
	memset(p, 0x5a, 16);
	static const size_t steps[] = { 1000, 5000, 100000, 64 };
	for (size_t i = 0; i < 4; i++) {
		q = krealloc(p, steps[i], GFP_KERNEL);
		if (!q)
			goto out;	/* p is still ours, untouched */
		p = q;
		cr_assert_eq(p[15], 0x5a, "krealloc lost the contents");
	}
	ok = true;
out:
	cr_assert_eq(p[0], 0x5a);
	kfree(p);
	return ok;
}

static bool op_kvmalloc(void)
{
	void *a = kvmalloc(1 << 20, GFP_KERNEL);
	void *b = kvzalloc(3 * PAGE_SIZE, GFP_KERNEL);
	void *c = kvrealloc(NULL, 200, GFP_KERNEL);

	kvfree(a);
	kvfree(b);
	kvfree(c);
	return a && b && c;
}

static bool op_vmalloc(void)
{
	void *a = vmalloc(16 * PAGE_SIZE);
	void *b = vzalloc(3 * PAGE_SIZE);
	void *c = vmalloc(600 * PAGE_SIZE);	/* a page array too big for kmalloc's small classes */

	vfree(a);
	vfree(b);
	vfree(c);
	return a && b && c;
}

static bool op_vmap(void)
{
	struct page *pages[8] = { 0 };
	bool ok = true;
	void *v = NULL, *r = NULL;

	for (int i = 0; i < 8 && ok; i++)
		ok = (pages[i] = alloc_page(GFP_KERNEL | __GFP_HIGHMEM)) != NULL;
	if (ok)
		ok = (v = vmap(pages, 8, VM_MAP, PAGE_KERNEL)) != NULL;
	if (ok)
		ok = (r = vm_map_ram(pages, 4, NUMA_NO_NODE)) != NULL;
	if (r)
		vm_unmap_ram(r, 4);
	if (v)
		vunmap(v);
	for (int i = 0; i < 8; i++)
		if (pages[i])
			__free_page(pages[i]);
	return ok;
}

/* Enough to need new chunks beyond the first, whose creation can fail. */
#define PCPU_BIG 12

static bool op_percpu(void)
{
	int __percpu *a = alloc_percpu(int);
	void __percpu *big[PCPU_BIG];
	void __percpu *c = __alloc_percpu_gfp(16, 8, GFP_ATOMIC);
	bool ok = a && c;

	for (int i = 0; i < PCPU_BIG; i++)
		ok &= (big[i] = __alloc_percpu(16384, 64)) != NULL;
	free_percpu(a);
	for (int i = 0; i < PCPU_BIG; i++)
		free_percpu(big[i]);
	free_percpu(c);
	return ok;
}

static bool op_cache_bulk(void)
{
	static struct kmem_cache *s;
	void *p[100];

	if (!s)
		s = kmem_cache_create("sweep_bulk", 96, 0, SLAB_NO_MERGE, NULL);
	cr_assert_not_null(s);
	int got = kmem_cache_alloc_bulk(s, GFP_KERNEL, 100, p);
	cr_assert(got == 0 || got == 100, "bulk gave %d", got);
	if (got)
		kmem_cache_free_bulk(s, (size_t)got, p);
	return got == 100;
}

static bool op_pages_bulk(void)
{
	struct page *arr[64] = { 0 };
	unsigned long got = alloc_pages_bulk(GFP_KERNEL, 64, arr);
	unsigned long seen = 0;

	for (int i = 0; i < 64; i++)
		if (arr[i]) {
			seen++;
			__free_page(arr[i]);
		}
	cr_assert_eq(seen, got, "alloc_pages_bulk said %lu, filled %lu", got, seen);
	return got == 64;
}

static bool op_pages(void)
{
	struct page *a = alloc_pages(GFP_KERNEL, 3);
	unsigned long b = __get_free_pages(GFP_KERNEL, 1);
	unsigned long c = get_zeroed_page(GFP_ATOMIC);
	struct page *d = alloc_pages(GFP_HIGHUSER, 0);

	if (a)
		__free_pages(a, 3);
	if (b)
		free_pages(b, 1);
	if (c)
		free_page(c);
	if (d)
		__free_page(d);
	return a && b && c && d;
}

/* The node-aware and the typed forms of kmalloc and the caches. */
static bool op_kmalloc_node(void)
{
	static struct kmem_cache *s;
	int last = nr_online_nodes - 1;

	if (!s)
		s = kmem_cache_create("sweep_node", 72, 0, SLAB_NO_MERGE, NULL);
	cr_assert_not_null(s);
	void *p[8] = {
		kmalloc_node(100, GFP_KERNEL, 0),
		kzalloc_node(700, GFP_KERNEL, last),
		kmalloc_array(10, 48, GFP_KERNEL),
		kcalloc(3, 1000, GFP_KERNEL),
		kzalloc(5000, GFP_KERNEL),
		kmalloc_node_track_caller(300, GFP_KERNEL, last, (unsigned long)__builtin_return_address(0)),
	};
	void *o1 = kmem_cache_alloc_node(s, GFP_KERNEL, last);
	void *o2 = kmem_cache_zalloc(s, GFP_KERNEL);
	bool ok = o1 && o2;

	for (int i = 0; i < 6; i++) {
		ok &= p[i] != NULL;
		kfree(p[i]);
	}
	if (o1)
		kmem_cache_free(s, o1);
	if (o2)
		kmem_cache_free(s, o2);
	return ok;
}

static bool op_kstrdup(void)
{
	static const char text[] = "the quick brown fox jumps over the lazy dog";
	char *a = kstrdup(text, GFP_KERNEL);
	char *b = kstrndup(text, 9, GFP_KERNEL);
	char *c = kmemdup(text, sizeof(text), GFP_KERNEL);
	bool ok = a && b && c;

	if (a)
		cr_assert_str_eq(a, text);
	if (b)
		cr_assert_str_eq(b, "the quick");
	if (c)
		cr_assert_eq(memcmp(c, text, sizeof(text)), 0);
	kfree(a);
	kfree(b);
	kfree(c);
	return ok;
}

static int ctor_calls;
static void sweep_ctor(void *obj) { memset(obj, 0x3c, 40); ctor_calls++; }

/* A cache with a constructor, a user-copy window, RCU-typed slabs; destroyed while empty. */
static bool op_cache_create_variants(void)
{
	struct kmem_cache *a = kmem_cache_create_usercopy("sweep_usercopy", 120, 8, SLAB_HWCACHE_ALIGN,
							  16, 64, sweep_ctor);
	struct kmem_cache *b = kmem_cache_create("sweep_rcu", 256, 0, SLAB_TYPESAFE_BY_RCU, NULL);
	void *x = a ? kmem_cache_alloc(a, GFP_KERNEL) : NULL;
	void *y = b ? kmem_cache_alloc(b, GFP_KERNEL) : NULL;
	bool ok = x && y;

	if (x) {
		cr_assert_eq(((unsigned char *)x)[39], 0x3c, "the constructor did not run");
		kmem_cache_free(a, x);
	}
	if (y)
		kmem_cache_free(b, y);
	if (a)
		cr_assert_eq(kmem_cache_destroy(a), 0);
	if (b)
		cr_assert_eq(kmem_cache_destroy(b), 0);
	return ok;
}

static bool op_kvmalloc_variants(void)
{
	int last = nr_online_nodes - 1;
	void *p[4] = {
		kvmalloc_node(200 * 1024, GFP_KERNEL, last),
		kvzalloc_node(64, GFP_KERNEL, 0),
		kvmalloc_array(1000, 100, GFP_KERNEL),
		kvcalloc(20000, 8, GFP_KERNEL),
	};
	bool ok = true;

	for (int i = 0; i < 4; i++) {
		ok &= p[i] != NULL;
		kvfree(p[i]);
	}
	return ok;
}

/* The other ways into vmalloc: node, lowmem, a gfp, an alignment and range, vfree_atomic. */
static bool op_vmalloc_variants(void)
{
	void *p[6] = {
		vmalloc_node(5 * PAGE_SIZE, nr_online_nodes - 1),
		vzalloc_node(PAGE_SIZE, 0),
		vmalloc_32(9 * PAGE_SIZE),
		__vmalloc(2 * PAGE_SIZE, GFP_NOFS | __GFP_ZERO),
		__vmalloc_node_range(4 * PAGE_SIZE, 16 * PAGE_SIZE, VMALLOC_START, VMALLOC_END,
				     GFP_KERNEL, PAGE_KERNEL, VM_NO_GUARD, NUMA_NO_NODE, NULL),
		vmalloc(3 * PAGE_SIZE),
	};
	bool ok = true;

	for (int i = 0; i < 6; i++)
		ok &= p[i] != NULL;
	if (p[4])
		cr_assert_eq((unsigned long)p[4] & (16 * PAGE_SIZE - 1), 0, "alignment not kept");
	for (int i = 0; i < 5; i++)
		vfree(p[i]);
	vfree_atomic(p[5]);	/* settle() runs the deferred free */
	return ok;
}

/*
 * get_vm_area + map_vm_area + free_vm_area, as a driver builds a mapping
 * of its own pages; and vmap(VM_MAP_PUT_PAGES), whose vfree() gives the
 * pages and their array back.
 */
static bool op_vm_area(void)
{
	struct page *pages[4] = { 0 };
	struct vm_struct *area = get_vm_area(4 * PAGE_SIZE, VM_MAP);
	bool ok = area != NULL;

	for (int i = 0; i < 4 && ok; i++)
		ok = (pages[i] = alloc_page(GFP_KERNEL)) != NULL;
	if (ok) {
		area->pages = pages;
		area->nr_pages = 4;
		ok = map_vm_area(area, PAGE_KERNEL) == 0;
		if (ok)
			*(volatile char *)((char *)area->addr + 3 * PAGE_SIZE) = 1;
		area->pages = NULL;
		area->nr_pages = 0;
	}
	if (area)
		free_vm_area(area);
	for (int i = 0; i < 4; i++)
		if (pages[i])
			__free_page(pages[i]);
	if (!ok)
		return false;

	struct page **arr = kmalloc_array(3, sizeof(*arr), GFP_KERNEL);
	int got = 0;

	if (!arr)
		return false;
	while (got < 3 && (arr[got] = alloc_page(GFP_KERNEL)))
		got++;
	void *v = got == 3 ? vmap(arr, 3, VM_MAP_PUT_PAGES, PAGE_KERNEL) : NULL;
	if (v) {
		vfree(v);	/* the pages and the array with it */
		return true;
	}
	while (got--)
		__free_page(arr[got]);
	kfree(arr);
	return false;
}

/* A range reserved with memmap= on the sweep's command line (IO_BASE). */
#define IO_BASE 0x4000000UL

static bool op_ioremap(void)
{
	char *a = ioremap(IO_BASE + 0x10, 100);
	char *b = ioremap(IO_BASE + 5 * PAGE_SIZE, 3 * PAGE_SIZE);

	/* iounmap(NULL) is a misuse Linux warns about, so only what was mapped. */
	if (a) {
		a[0] = 'x';
		iounmap(a);
	}
	if (b)
		iounmap(b);
	return a && b;
}

/*
 * Counters in groups big enough that the per-CPU allocator must make new
 * chunks for them, as op_percpu does: percpu_counter's own error path.
 */
#define NR_COUNTER_GROUPS 8
#define COUNTERS_PER_GROUP 4000

static bool op_percpu_counter(void)
{
	static struct percpu_counter c[NR_COUNTER_GROUPS][COUNTERS_PER_GROUP];
	void __percpu *r = __alloc_reserved_percpu(64, 8);
	bool ok = r != NULL;

	for (int g = 0; g < NR_COUNTER_GROUPS; g++) {
		int err = percpu_counter_init_many(c[g], 5, GFP_KERNEL, COUNTERS_PER_GROUP);

		if (err) {
			cr_assert_eq(err, -ENOMEM);
			cr_assert_null(c[g][0].counters, "a failed init leaves the counters unset");
			ok = false;
			continue;
		}
		percpu_counter_add_batch(&c[g][g], 7, 32);
		cr_assert_eq(__percpu_counter_sum(&c[g][g]), 12);
	}
	for (int g = 0; g < NR_COUNTER_GROUPS; g++)
		percpu_counter_destroy_many(c[g], COUNTERS_PER_GROUP);
	free_percpu(r);
	return ok;
}

/* The node forms of the page allocator. */
static bool op_pages_node(void)
{
	int last = nr_online_nodes - 1;
	struct page *arr[16] = { 0 };
	struct page *a = alloc_pages_node(last, GFP_KERNEL, 2);
	struct page *b = __alloc_pages(GFP_KERNEL | __GFP_ZERO, 0, 0, NULL);
	unsigned long got = alloc_pages_bulk_node(GFP_KERNEL, last, 16, arr);

	if (a)
		__free_pages(a, 2);
	if (b)
		__free_page(b);
	for (int i = 0; i < 16; i++)
		if (arr[i])
			__free_page(arr[i]);
	return a && b && got == 16;
}

/*
 * The workbench's own error paths (tools/kmm): its built-in workloads,
 * run here in the sweeping thread for a fixed number of operations (as
 * "kmm run -n"), and a replay of a small trace (as "kmm replay").
 */
static void no_hold(struct worker *w) { (void)w; }

static bool run_workload(const char *name, unsigned long long ops, double share)
{
	static const bool stop;
	struct worker w = { .id = 0, .max_ops = ops, .stop = &stop, .share = share,
			    .hold = no_hold };

	find_workload(name)->run(&w);
	return w.failed == 0;
}

static bool op_fork_storm(void) { return run_workload("fork-storm", 3, 0); }
static bool op_module_load(void) { return run_workload("module-load", 6, 0); }
static bool op_highmem_copy(void) { return run_workload("highmem-copy", 20, 0); }
static bool op_fragment(void) { return run_workload("fragment", 64, 0.0002); }

/* One event of each kind the replay carries out, and their frees. */
static const char *const replay_lines[] = {
	" t-1 [000] ..... 1.000001: kmalloc: call_site=f+0x1/0x2 ptr=ffff888115fc3a00 bytes_req=408 bytes_alloc=512 gfp_flags=GFP_KERNEL|__GFP_ZERO node=-1 accounted=false",
	" t-1 [000] ..... 1.000002: kmem_cache_alloc: call_site=f+0x1/0x2 ptr=ffff88810086a000 name=names_cache bytes_req=4096 bytes_alloc=4096 gfp_flags=GFP_KERNEL node=-1 accounted=false",
	" t-1 [000] ..... 1.000003: mm_page_alloc: page=ffffea000434dd40 pfn=0x10d375 order=2 migratetype=0 gfp_flags=GFP_KERNEL_ACCOUNT|__GFP_ZERO|__GFP_COMP",
	" t-1 [001] ..... 1.000004: alloc_vmap_area: va_start: 18446683600629776384 size=20480 align=16384 vstart=0xffffc90000000000 vend=0xffffe8ffffffffff failed=0",
	" t-1 [001] ..... 1.000005: percpu_alloc_percpu: call_site=f+0x1/0x2 reserved=0 is_atomic=0 size=16 align=8 base_addr=ffffe8ffffc00000 off=43040 ptr=000060795bb03820 bytes_alloc=64 gfp_flags=GFP_KERNEL",
	" t-1 [001] ..... 1.000006: kfree: call_site=f+0x1/0x2 ptr=ffff888115fc3a00",
	" t-1 [001] ..... 1.000007: kmem_cache_free: call_site=f+0x1/0x2 ptr=ffff88810086a000 name=names_cache",
	" t-1 [000] ..... 1.000008: mm_page_free: page=ffffea000434dd40 pfn=0x10d375 order=2",
	" t-1 [000] ..... 1.000009: free_vmap_area_noflush: va_start=0xffffc900038fc000 nr_lazy=1 nr_lazy_max=16384",
	" t-1 [000] ..... 1.000010: percpu_free_percpu: base_addr=ffffe8ffffc00000 off=43040 ptr=000060795bb03820",
};

static bool op_replay(void)
{
	struct kmm_replay *r = kmm_replay_create();
	struct kmm_replay_stats st;
	size_t n = sizeof(replay_lines) / sizeof(replay_lines[0]);

	if (!r)
		return false;
	for (size_t i = 0; i < n; i++)
		cr_assert_eq(kmm_replay_line(r, replay_lines[i], strlen(replay_lines[i])), 0, "line %zu: %s",
			     i, kmm_replay_error(r));
	kmm_replay_get_stats(r, &st);
	/* A refused allocation's free finds nothing to free; every other free matches. */
	cr_assert_eq(st.unmatched_frees, st.failed_allocs, "%llu unmatched frees",
		     (unsigned long long)st.unmatched_frees);
	cr_assert_eq(st.applied + 2 * st.failed_allocs, n, "applied %llu",
		     (unsigned long long)st.applied);
	kmm_replay_destroy(r);
	return st.failed_allocs == 0;
}

static const struct op ops[] = {
	{ "kmem_cache_create", op_cache_create, true, false },
	{ "kmalloc classes", op_kmalloc_classes, true, false },
	{ "krealloc", op_krealloc, true, false },
	{ "kvmalloc", op_kvmalloc, false, false },
	{ "vmalloc", op_vmalloc, true, false },
	{ "vmap", op_vmap, true, true },
	{ "alloc_percpu", op_percpu, true, true },
	{ "kmem_cache_alloc_bulk", op_cache_bulk, true, false },
	{ "alloc_pages_bulk", op_pages_bulk, true, true },
	{ "alloc_pages", op_pages, true, true },
	{ "kmalloc_node, kcalloc, kzalloc", op_kmalloc_node, true, false },
	{ "kstrdup, kmemdup", op_kstrdup, true, false },
	{ "kmem_cache_create_usercopy", op_cache_create_variants, true, false },
	{ "kvmalloc_node, kvcalloc", op_kvmalloc_variants, false, false },
	{ "vmalloc_node, vmalloc_32, __vmalloc_node_range", op_vmalloc_variants, true, false },
	{ "get_vm_area, map_vm_area", op_vm_area, true, true },
	{ "ioremap", op_ioremap, true, true },
	{ "percpu_counter_init", op_percpu_counter, true, true },
	{ "alloc_pages_node", op_pages_node, true, true },
	/*
	 * kmm run: the workloads count what was refused (a slab's page falls
	 * back to the minimum order, as above); fragment expects refusals.
	 */
	{ "kmm run fork-storm", op_fork_storm, true, false },
	{ "kmm run module-load", op_module_load, true, false },
	{ "kmm run highmem-copy", op_highmem_copy, false, true },
	{ "kmm run fragment", op_fragment, false, false },
	{ "kmm replay", op_replay, true, false },
};

/*
 * KFENCE off: its samples are taken by a timer, so which allocation skips
 * its slab (and so how many slabs an operation leaves kept as partial or
 * empty) would depend on the clock, not on the failure injected.  KFENCE's
 * own paths are tested exactly in test_kfence.
 */
static void sweep_all(const char *machine)
{
	char cmdline[256];

	snprintf(cmdline, sizeof(cmdline), "%s kfence.sample_interval=0", machine);
	boot_or_die(cmdline);
	if (getenv("SWEEP_CONSOLE"))
		kmm_set_console(stderr);
	for (enum pass pass = SLAB_PASS; pass <= PAGE_PASS; pass++) {
		open_filters(pass);
		for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
			sweep(&ops[i], pass);
	}
	check_and_shutdown();
}

Test(fail_nth, sweep_x86_64, .timeout = 600)
{
	sweep_all("mem=256M cpus=2 numa=fake=2 memmap=1M$0x4000000");
}

Test(fail_nth, sweep_x86_32_highmem, .timeout = 600)
{
	sweep_all("arch=x86_32 mem=1200M cpus=2 memmap=1M$0x4000000");
}

/* --- boot itself --- */

/*
 * kmm_boot() under fail-nth: every allocation boot makes (slab caches,
 * kmalloc caches, page tables, per-CPU chunks, vmap areas, ...) fails in
 * turn.  Boot returns -ENOMEM (or succeeds, where a fallback absorbs the
 * failure) and leaves nothing of the host behind: no file, mapping,
 * thread or bookkeeping memory; the next boot works.
 */
static void *idle_thread(void *arg)
{
	return arg;
}

/*
 * glibc keeps the stacks of exited threads for reuse.  A boot that fails
 * part way can have a different set of its threads (kswapd, rcu_sched,
 * the vfree worker, KFENCE's timer, ...) alive at once than a whole boot
 * had, and a stack mapped then stays in that cache: not ours to count.
 * Fill the cache with more stacks than boot ever runs threads at once.
 */
static void warm_thread_stack_cache(void)
{
	enum { NR = 16 };
	pthread_t t[NR];

	for (int i = 0; i < NR; i++)
		cr_assert_eq(pthread_create(&t[i], NULL, idle_thread, NULL), 0);
	for (int i = 0; i < NR; i++)
		pthread_join(t[i], NULL);
}

static void sweep_boot(const char *cmdline, enum pass pass)
{
	/*
	 * Warm up: glibc's cache of thread stacks, and libgcc_s, loaded for
	 * the first backtrace (a failed kmem_cache_create prints one).
	 */
	warm_thread_stack_cache();
	boot_or_die(cmdline);
	dump_stack();
	kmm_shutdown();
	if (getenv("SWEEP_CONSOLE"))
		kmm_set_console(stderr);
	struct host_footprint base = host_footprint();
	int n, failed = 0;

	for (n = 1; n <= MAX_N; n++) {
		char what[64];

		snprintf(what, sizeof(what), "boot n=%d (%s pass)", n, pass == SLAB_PASS ? "slab" : "page");
		open_filters(pass);	/* kmm_shutdown() put the knobs back */
		kmm_report_reset();
		cr_assert_eq(kmm_fail_nth_write(n), 0);
		int err = kmm_boot(cmdline);
		bool injected = kmm_fail_nth_read() == 0;
		kmm_fail_nth_write(0);

		cr_expect(err == 0 || err == -ENOMEM, "%s: kmm_boot() = %d", what, err);
		cr_expect_eq(kmm_booted(), err == 0, "%s", what);
		if (!err) {
			cr_expect_eq(kmm_check(), 0, "%s: kmm_check", what);
			cr_expect_eq(bad_reports(), 0, "%s: a report was made", what);
			kmm_shutdown();
		} else {
			failed++;
		}
		struct host_footprint now = host_footprint();
		expect_same_footprint(&base, &now, what);
		if (!injected) {
			cr_expect_eq(err, 0, "%s: failed with nothing injected", what);
			break;
		}
	}
	cr_expect_lt(n, MAX_N, "boot: no end to the calls");
	cr_expect_gt(failed, 0, "no injected failure reached kmm_boot()'s caller");
	cr_log_info("boot %s (%s pass): %d injection points, %d failed boots", cmdline,
		    pass == SLAB_PASS ? "slab" : "page", n - 1, failed);
	/* And a plain boot still works. */
	boot_or_die(cmdline);
	check_and_shutdown();
}

Test(fail_nth, boot_x86_64, .timeout = 600)
{
	sweep_boot("mem=256M cpus=2", SLAB_PASS);
	sweep_boot("mem=256M cpus=2", PAGE_PASS);
}

/* Debugging options allocate more at boot (SLUB tracking), or change the direct map. */
Test(fail_nth, boot_with_debugging_options, .timeout = 600)
{
	sweep_boot("mem=32M cpus=2 slub_debug=FZPU debug_pagealloc=on", SLAB_PASS);
	sweep_boot("mem=32M cpus=2 slub_debug=FZPU debug_pagealloc=on", PAGE_PASS);
}

Test(fail_nth, boot_x86_32_highmem_numa, .timeout = 600)
{
	sweep_boot("arch=x86_32 mem=1200M cpus=3 numa=fake=2", SLAB_PASS);
	sweep_boot("arch=x86_32 mem=1200M cpus=3 numa=fake=2", PAGE_PASS);
}
