/* SPDX-License-Identifier: MIT */
/*
 * kmalloc and friends: size classes and ksize for every size, alignment,
 * large allocations, the DMA and reclaimable classes, krealloc and the
 * helpers, bad frees, and ksize() against Linux's bytes_alloc for every
 * kmalloc in a real Linux 6.18 trace.
 */
#if __has_include(<lzma.h>) && defined(KMM_HAVE_LZMA)
#include <lzma.h>
#define HAVE_LZMA 1
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "helpers.h"
#include "slab.h"
#include <kmm/shrinker.h>

#define TRACE_XZ "/work/shared/data/traces/linux-6.18-build/trace.txt.xz"

/* Linux's kmalloc size class of @size (x86-64). */
static size_t linux_class(size_t size)
{
	if (size <= 8)
		return 8;
	if (size <= 16)
		return 16;
	if (size <= 32)
		return 32;
	if (size <= 64)
		return 64;
	if (size <= 96)
		return 96;
	if (size <= 128)
		return 128;
	if (size <= 192)
		return 192;
	size_t c = 256;
	while (c < size)
		c <<= 1;
	return c;
}

struct dog {
	char name[20];
	int age;
	struct dog *friend;
};

Test(kmalloc, seeds_example_dog_and_kfree_null)
{
	boot_or_die(NULL);
	struct dog *d = kmalloc(sizeof(struct dog), GFP_KERNEL);
	cr_assert_not_null(d);
	strcpy(d->name, "Rex");
	d->age = 3;
	cr_assert_eq(ksize(d), linux_class(sizeof(struct dog)));
	kfree(d);
	kfree(NULL);
	cr_assert_eq(kmm_report_count(KMM_REPORT_SLAB), 0);
	check_and_shutdown();
}

Test(kmalloc, every_size_to_8k_has_linux_class_and_alignment)
{
	boot_or_die(NULL);
	for (size_t size = 1; size <= 8192; size++) {
		void *p = kmalloc(size, GFP_KERNEL);
		size_t c = linux_class(size);

		cr_assert_not_null(p, "kmalloc(%zu)", size);
		cr_assert_eq(ksize(p), c, "ksize(kmalloc(%zu)) = %zu, Linux %zu", size, ksize(p), c);
		cr_assert_eq(kmalloc_size_roundup(size), c);
		size_t align = (c & (c - 1)) ? 8 : c;
		cr_assert_eq((unsigned long)p % align, 0, "kmalloc(%zu) = %p not %zu-aligned", size, p, align);
		memset(p, 0xa5, size);
		kfree(p);
	}
	cr_assert_eq(kmm_report_count(KMM_REPORT_SLAB), 0);
	check_and_shutdown();
}

Test(kmalloc, large_sizes_are_compound_pages)
{
	size_t sizes[] = { 8193, 12288, 16384, 16385, 100000, 1 << 20, KMALLOC_MAX_SIZE };

	boot_or_die(NULL);
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		kmm_vmstat_fold_all();
		unsigned long before = global_node_page_state(NR_SLAB_UNRECLAIMABLE_B);
		void *p = kmalloc(sizes[i], GFP_KERNEL);
		size_t want = PAGE_SIZE << get_order(sizes[i]);

		cr_assert_not_null(p, "kmalloc(%zu)", sizes[i]);
		cr_assert_eq(ksize(p), want, "ksize(kmalloc(%zu)) = %zu", sizes[i], ksize(p));
		cr_assert(PageLargeKmalloc(virt_to_page(p)));
		cr_assert(PAGE_ALIGNED(p));
		memset(p, 1, sizes[i]);
		cr_assert_eq(kmm_check(), 0);
		kmm_vmstat_fold_all();
		cr_assert_eq(global_node_page_state(NR_SLAB_UNRECLAIMABLE_B) - before, want >> PAGE_SHIFT);
		kfree(p);
		kmm_vmstat_fold_all();
		cr_assert_eq(global_node_page_state(NR_SLAB_UNRECLAIMABLE_B), before);
	}
	check_and_shutdown();
}

Test(kmalloc, zero_size_and_overflow)
{
	boot_or_die(NULL);
	void *z = kmalloc(0, GFP_KERNEL);
	cr_assert_eq(z, ZERO_SIZE_PTR);
	cr_assert_eq(ksize(z), 0);
	kfree(z);
	cr_assert_null(kmalloc_array(SIZE_MAX / 2, 3, GFP_KERNEL));
	cr_assert_null(kcalloc(1UL << 62, 8, GFP_KERNEL));
	int *a = kcalloc(100, sizeof(int), GFP_KERNEL);
	cr_assert_not_null(a);
	for (int i = 0; i < 100; i++)
		cr_assert_eq(a[i], 0);
	kfree(a);
	cr_assert_eq(kmm_report_count(KMM_REPORT_SLAB), 0);
	check_and_shutdown();
}

Test(kmalloc, above_max_size_fails_with_a_warning)
{
	boot_or_die(NULL);
	cr_assert_null(kmalloc(KMALLOC_MAX_SIZE + 1, GFP_KERNEL));
	cr_assert_eq(kmm_report_count(KMM_REPORT_SLAB), 1);
	cr_assert_geq(kmm_report_count(KMM_REPORT_WARN), 1);
	check_and_shutdown();
}

Test(kmalloc, zeroed_and_dma_and_reclaimable_classes)
{
	boot_or_die(NULL);
	char *p = kzalloc(200, GFP_KERNEL);
	for (int i = 0; i < 200; i++)
		cr_assert_eq(p[i], 0);
	kfree(p);

	void *d = kmalloc(100, GFP_KERNEL | GFP_DMA);
	cr_assert_not_null(d);
	cr_assert_eq(page_zonenum(virt_to_page(d)), ZONE_DMA);
	cr_assert_str_eq(virt_to_slab(d)->slab_cache->name, "dma-kmalloc-128");

	unsigned long rcl = global_node_page_state(NR_SLAB_RECLAIMABLE_B);
	void *r = kmalloc(100, GFP_KERNEL | __GFP_RECLAIMABLE);
	cr_assert_str_eq(virt_to_slab(r)->slab_cache->name, "kmalloc-rcl-128");
	kmm_vmstat_fold_all();
	cr_assert_gt(global_node_page_state(NR_SLAB_RECLAIMABLE_B), rcl);
	kfree(d);
	kfree(r);
	check_and_shutdown();
}

Test(kmalloc, krealloc_and_helpers)
{
	boot_or_die(NULL);
	char *p = krealloc(NULL, 10, GFP_KERNEL);
	cr_assert_not_null(p);
	strcpy(p, "123456789");
	cr_assert_eq(krealloc(p, 16, GFP_KERNEL), p, "still fits: same object");
	char *q = krealloc(p, 100, GFP_KERNEL);
	cr_assert_str_eq(q, "123456789");
	cr_assert_eq(ksize(q), 128);
	char *big = krealloc(q, 20000, GFP_KERNEL);
	cr_assert_str_eq(big, "123456789");
	cr_assert_eq(ksize(big), 32768);
	cr_assert_eq(krealloc(big, 0, GFP_KERNEL), ZERO_SIZE_PTR);

	char *s = kstrdup("kmm", GFP_KERNEL);
	cr_assert_str_eq(s, "kmm");
	cr_assert_eq(ksize(s), 8);
	char *n = kstrndup("abcdef", 3, GFP_KERNEL);
	cr_assert_str_eq(n, "abc");
	int v[4] = { 1, 2, 3, 4 };
	int *m = kmemdup(v, sizeof(v), GFP_KERNEL);
	cr_assert_eq(memcmp(m, v, sizeof(v)), 0);
	cr_assert_null(kstrdup(NULL, GFP_KERNEL));
	kfree(s);
	kfree(n);
	kfree_sensitive(m);
	kfree_sensitive(NULL);
	cr_assert_eq(kmm_report_count(KMM_REPORT_SLAB), 0);
	check_and_shutdown();
}

Test(kmalloc, double_free_is_reported_and_refused)
{
	boot_or_die(NULL);
	void *keep = kmalloc(64, GFP_KERNEL);
	void *p = kmalloc(64, GFP_KERNEL);
	kfree(p);
	kfree(p);
	cr_assert(dmesg_has("BUG kmalloc-64 (Not tainted): Object already free"));
	cr_assert_eq(kmm_report_count(KMM_REPORT_SLAB), 1);
	cr_assert_eq(kmm_check(), 0);
	/* The object is handed out once, not twice. */
	void *a = kmalloc(64, GFP_KERNEL), *b = kmalloc(64, GFP_KERNEL);
	cr_assert_neq(a, b);
	kfree(a);
	kfree(b);
	kfree(keep);
	check_and_shutdown();
}

Test(kmalloc, double_free_on_another_cpu_is_reported)
{
	boot_or_die("cpus=2");
	cr_assert_eq(kmm_bind_cpu(0), 0);
	void *p = kmalloc(64, GFP_KERNEL);
	cr_assert_eq(kmm_bind_cpu(1), 0);
	kfree(p);		/* remote: the head of the slab's freelist */
	kfree(p);
	cr_assert(dmesg_has("Object already free"));
	cr_assert_eq(kmm_report_count(KMM_REPORT_SLAB), 1);
	check_and_shutdown();
}

Test(kmalloc, interior_and_foreign_pointers_are_refused)
{
	boot_or_die(NULL);
	char *p = kmalloc(64, GFP_KERNEL);
	kfree(p + 8);
	cr_assert(dmesg_has("Invalid object pointer 0x"));
	cr_assert_eq(kmm_report_count(KMM_REPORT_SLAB), 1);
	cr_assert_eq(kmm_check(), 0);

	struct page *page = alloc_page(GFP_KERNEL);
	kfree(page_address(page));
	cr_assert(dmesg_has("Not a kmalloc allocation"));
	cr_assert_eq(kmm_report_count(KMM_REPORT_SLAB), 2);
	__free_page(page);

	int on_stack;
	kfree(&on_stack);
	cr_assert_eq(kmm_report_count(KMM_REPORT_SLAB), 3);

	char *big = kmalloc(20000, GFP_KERNEL);
	kfree(big + 64);
	cr_assert_eq(kmm_report_count(KMM_REPORT_SLAB), 4);
	cr_assert_eq(kmm_check(), 0);
	kfree(big);
	kfree(p);
	check_and_shutdown();
}

/*
 * Every "kmalloc:" event of the Linux 6.18 trace: ksize(kmalloc(bytes_req))
 * must be the bytes_alloc Linux reported.
 */
/* --- kvmalloc: kmalloc first, vmalloc when that fails above a page --- */

Test(kvmalloc, small_is_kmalloc_big_is_vmalloc)
{
	boot_or_die("cpus=2 mem=256M");
	char *s = kvmalloc(100, GFP_KERNEL);
	cr_assert_not_null(s);
	cr_assert(!is_vmalloc_addr(s));
	cr_assert_eq(ksize(s), 128);
	kvfree(s);

	size_t big = 16UL << 20;	/* above KMALLOC_MAX_SIZE: only vmalloc can */
	char *b = kvzalloc(big, GFP_KERNEL);
	cr_assert_not_null(b);
	cr_assert(is_vmalloc_addr(b));
	for (size_t i = 0; i < big; i += 4096)
		cr_assert_eq(b[i], 0);
	memset(b, 0x5c, big);
	cr_assert_eq(kmm_check(), 0);
	kvfree(b);
	kvfree(NULL);
	cr_assert_eq(kmm_report_count(KMM_REPORT_WARN), 0, "the failed kmalloc attempt is quiet");
	check_and_shutdown();
}

Test(kvmalloc, atomic_gets_no_vmalloc_fallback)
{
	boot_or_die("cpus=2 mem=256M");
	cr_assert_null(kvmalloc(16UL << 20, GFP_ATOMIC));
	void *p = kvmalloc(8192, GFP_ATOMIC);
	cr_assert_not_null(p);
	cr_assert(!is_vmalloc_addr(p));
	kvfree(p);
	check_and_shutdown();
}

Test(kvmalloc, array_overflow_and_realloc_keep_contents)
{
	boot_or_die("cpus=2 mem=256M");
	cr_assert_null(kvcalloc(SIZE_MAX / 2, 4, GFP_KERNEL));
	cr_assert_null(kvmalloc_array(SIZE_MAX, 2, GFP_KERNEL));
	unsigned int *a = kvcalloc(1000, sizeof(*a), GFP_KERNEL);
	for (unsigned int i = 0; i < 1000; i++) {
		cr_assert_eq(a[i], 0);
		a[i] = i;
	}
	a = kvrealloc(a, 8UL << 20, GFP_KERNEL);	/* into vmalloc */
	cr_assert(is_vmalloc_addr(a));
	for (unsigned int i = 0; i < 1000; i++)
		cr_assert_eq(a[i], i);
	a = kvrealloc(a, 2000, GFP_KERNEL);
	for (unsigned int i = 0; i < 500; i++)
		cr_assert_eq(a[i], i);
	kvfree_sensitive(a, 2000);
	check_and_shutdown();
}

#ifdef HAVE_LZMA
Test(kmalloc, ksize_matches_linux_trace)
{
	FILE *f = fopen(TRACE_XZ, "rb");
	if (!f)
		cr_skip_test("no trace at %s", TRACE_XZ);
	boot_or_die(NULL);

	lzma_stream strm = LZMA_STREAM_INIT;
	cr_assert_eq(lzma_stream_decoder(&strm, UINT64_MAX, 0), LZMA_OK);
	static uint8_t in[1 << 16], out[1 << 16];
	char line[4096];
	size_t used = 0;
	unsigned long events = 0;
	lzma_ret ret = LZMA_OK;

	strm.next_in = NULL;
	strm.avail_in = 0;
	while (ret == LZMA_OK) {
		if (!strm.avail_in && !feof(f)) {
			strm.next_in = in;
			strm.avail_in = fread(in, 1, sizeof(in), f);
		}
		strm.next_out = out;
		strm.avail_out = sizeof(out);
		ret = lzma_code(&strm, feof(f) && !strm.avail_in ? LZMA_FINISH : LZMA_RUN);
		cr_assert(ret == LZMA_OK || ret == LZMA_STREAM_END, "xz: %d", ret);
		for (size_t i = 0; i < sizeof(out) - strm.avail_out; i++) {
			char ch = (char)out[i];
			if (ch != '\n') {
				if (used < sizeof(line) - 1)
					line[used++] = ch;
				continue;
			}
			line[used] = '\0';
			used = 0;
			if (!strstr(line, " kmalloc: "))
				continue;
			const char *r = strstr(line, "bytes_req="), *a = strstr(line, "bytes_alloc=");
			cr_assert(r && a, "unparsed: %s", line);
			size_t req = strtoul(r + 10, NULL, 10), alloc = strtoul(a + 12, NULL, 10);
			void *p = kmalloc(req, GFP_KERNEL);
			cr_assert_not_null(p);
			cr_assert_eq(ksize(p), alloc, "kmalloc(%zu): ksize %zu, Linux %zu", req, ksize(p),
				     alloc);
			kfree(p);
			events++;
		}
	}
	lzma_end(&strm);
	fclose(f);
	cr_assert_gt(events, 1000, "only %lu kmalloc events", events);
	check_and_shutdown();
}
#endif

static unsigned long cache_slabs(struct kmem_cache *s)
{
	return (unsigned long)atomic_long_read(&get_node(s, 0)->nr_slabs);
}

/* A batch of @n kmallocs of @size into @o, then with @free their kfrees in the same order. */
static void batch(void **o, int n, size_t size, bool free)
{
	for (int i = 0; i < n; i++)
		cr_assert_not_null(o[i] = kmalloc(size, GFP_KERNEL));
	for (int i = 0; free && i < n; i++)
		kfree(o[i]);
}

/*
 * Boot one CPU and run two batches of @n kmallocs of @size, each freed:
 * the first hands runs back to their slabs, the second finds the spare
 * sheaf of kmalloc-@size grown and leaves it holding its frees.  Returns
 * the cache; *@spp its CPU's spare sheaf.
 */
static struct kmem_cache *recycled_batches(void **o, int n, size_t size, struct slab_spare **spp)
{
	boot_or_die("cpus=1");
	struct kmem_cache *s = kmalloc_caches[KMALLOC_NORMAL][kmalloc_index(size)];

	batch(o, n, size, true);
	struct slab_spare *sp = cpu_spare(s, 0);
	cr_assert_not_null(sp);
	batch(o, n, size, true);
	cr_assert_geq(sp->capacity, n * 3 / 4, "the spare grew to %u", sp->capacity);
	*spp = sp;
	return s;
}

/* How many of @o[0..n) no longer hold @n bytes of @byte each. */
static int changed(void **o, int n, size_t size, int byte)
{
	int nr = 0;

	for (int i = 0; i < n; i++)
		for (size_t j = 0; j < size; j++)
			if (((unsigned char *)o[i])[j] != byte) {
				nr++;
				break;
			}
	return nr;
}

/*
 * A batch (a thousand kmallocs, then their kfrees in the same order) that
 * the CPU recycles grows its spare sheaf: the next batch's frees go there,
 * array stores that write into no object (those of the CPU slab too, once
 * the sheaf is full), still in use to their slabs, and the
 * next batch comes back from it with no slab given back or made.  A
 * double free of the spare's last object is refused; a shrink gives back
 * all, and keeps the capacity.
 */
Test(kmalloc, a_recycled_batch_goes_to_the_spare_sheaf_and_back)
{
	enum { N = 1000 };
	static void *o[N];

	boot_or_die("cpus=1");
	struct kmem_cache *s = kmalloc_caches[KMALLOC_NORMAL][kmalloc_index(64)];
	struct kmem_cache_cpu *c = cpu_slab(s, 0);

	cr_assert(s->spares, "kmalloc-64 has spare sheaves");
	cr_assert_null(cpu_spare(s, 0), "not in use (its page not written) before a run");
	cr_assert(!kmalloc_caches[KMALLOC_NORMAL][kmalloc_index(8192)]->spares,
		  "none for big objects");
	/* The first batch is handed back to its slabs in runs, which the next refill sees. */
	batch(o, N, 64, true);
	struct slab_spare *sp = cpu_spare(s, 0);
	cr_assert_not_null(sp, "a run handed back puts the spare in use");
	cr_assert_eq(sp->size, 0);
	cr_assert_eq(sp->capacity, 0, "out of use until the CPU recycles");
	batch(o, N, 64, false);
	cr_assert_geq(sp->capacity, N * 3 / 4, "the spare grew to %u", sp->capacity);
	unsigned long slabs = cache_slabs(s);
	for (int i = 0; i < N; i++)
		memset(o[i], 0x5a, 64);
	for (int i = 0; i < N; i++)
		kfree(o[i]);
	cr_assert_eq(cache_slabs(s), slabs, "no slab emptied: the sheaves hold the batch");
	cr_assert_gt(sp->size, N * 3 / 4, "the spare holds %u", sp->size);
	/*
	 * None: the CPU slab's objects past the sheaf go on the spare too, not
	 * on its freelist (which wrote a free pointer into some 20 of them).
	 * (Not where ASan or Valgrind see the objects freed.)
	 */
	if (!s->annotated)
		cr_assert_eq(changed(o, N, 64, 0x5a), 0, "the frees wrote into %d objects",
			     changed(o, N, 64, 0x5a));
	cr_assert_eq(kmm_check(), 0);

	/* A second free of the last object freed (the spare's top) is refused. */
	void *top = sp->objects[sp->size - 1];
	kfree(top);
	cr_assert(dmesg_has("Object already free"));
	cr_assert_eq(kmm_report_count(KMM_REPORT_SLAB), 1);
	cr_assert_eq(kmm_check(), 0);

	/* The next batch: from the sheaves, no slab made. */
	unsigned int held = sp->size;
	batch(o, N, 64, false);
	cr_assert_eq(cache_slabs(s), slabs);
	cr_assert_lt(sp->size, held);
	for (int i = 0; i < N; i++)
		kfree(o[i]);
	cr_assert_eq(kmm_check(), 0);

	/* A shrink gives every held object back to its slab. */
	unsigned int cap = sp->capacity;
	kmem_cache_shrink(s);
	cr_assert_eq(sp->size, 0);
	cr_assert_eq(c->sheaf.size, 0);
	cr_assert_null(c->defer_head);
	cr_assert_lt(cache_slabs(s), slabs, "emptied slabs went back");
	cr_assert_eq(sp->capacity, cap);
	cr_assert_eq(kmm_report_count(KMM_REPORT_SLAB), 1);
	check_and_shutdown();
}

/*
 * glibc's simple benchmark recycles runs of up to 1600 blocks of one size:
 * the spare sheaf grows to hold such a batch whole, so that its frees and
 * the next batch's allocations touch no slab.
 */
Test(kmalloc, a_batch_of_1600_is_held_whole_by_the_spare_sheaf)
{
	enum { N = 1600 };
	static void *o[N];
	struct slab_spare *sp;
	struct kmem_cache *s = recycled_batches(o, N, 256, &sp);
	struct kmem_cache_cpu *c = cpu_slab(s, 0);

	batch(o, N, 256, false);
	unsigned long slabs = cache_slabs(s);
	for (int i = 0; i < N; i++)
		kfree(o[i]);
	/* (One fewer under ASan, whose annotated caches allocate the slow way.) */
	cr_assert_geq(sp->size + c->sheaf.size, N - 1, "the sheaves hold %u of %d",
		      sp->size + c->sheaf.size, N);
	cr_assert_eq(cache_slabs(s), slabs, "no slab emptied");
	batch(o, N, 256, false);
	cr_assert_eq(cache_slabs(s), slabs, "no slab made");
	for (int i = 0; i < N; i++)
		kfree(o[i]);
	check_and_shutdown();
}

/*
 * The object that vouches for the spare sheaf's range (a run's first free
 * to another slab) allocated again, the CPU slab's frees that find the
 * sheaf full must not take its index: there one would seem to vouch for a
 * slab that may empty and go to another cache (kmm_check() says so).
 */
Test(kmalloc, the_cpu_slab_never_vouches_for_the_spare_range)
{
	enum { N = 400, MAX = 4000 };
	static void *o[N], *held[MAX];
	int n = 0, of_cpu = 0;
	void *run[2];

	boot_or_die("mem=256M cpus=1");
	struct kmem_cache *s = kmalloc_caches[KMALLOC_NORMAL][kmalloc_index(64)];
	struct kmem_cache_cpu *c = cpu_slab(s, 0);
	if (s->annotated) {	/* ASan, Valgrind: frees the full way, no spare range */
		check_and_shutdown();
		cr_skip_test("kmalloc-64 is annotated: no spare range to vouch for");
	}
	for (int r = 0; r < 2; r++) {
		for (int i = 0; i < N; i++)
			o[i] = kmalloc(64, GFP_KERNEL);
		for (int i = 0; i < N; i++)
			kfree(o[i]);
	}
	/* Both sheaves empty, and enough of the CPU slab held to fill the sheaf again. */
	while (n < MAX && (c->sheaf.size || c->spare->size))
		held[n++] = kmalloc(64, GFP_KERNEL);
	while (n < MAX && of_cpu <= SHEAF_CAPACITY) {
		held[n] = kmalloc(64, GFP_KERNEL);
		of_cpu += virt_to_slab(held[n++]) == c->slab;
	}
	cr_assert_gt(of_cpu, SHEAF_CAPACITY);
	/* A run of two frees to another slab: the spare's range, its first free vouching. */
	int got = 0;
	for (int i = 0; i < n && got < 2; i++)
		if (virt_to_slab(held[i]) != c->slab &&
		    (!got || virt_to_slab(held[i]) == virt_to_slab(run[0]))) {
			run[got++] = held[i];
			held[i] = NULL;
		}
	cr_assert_eq(got, 2);
	kfree(run[0]);
	kfree(run[1]);
	cr_assert(c->defer_limit && c->defer_tail == c->spare, "the run set the spare's range");
	run[0] = kmalloc(64, GFP_KERNEL);
	run[1] = kmalloc(64, GFP_KERNEL);
	cr_assert_leq(c->spare->size, c->defer_count, "the vouching object allocated again");
	for (int i = 0, freed = 0; i < n && freed <= SHEAF_CAPACITY; i++)
		if (held[i] && virt_to_slab(held[i]) == c->slab) {
			kfree(held[i]);
			held[i] = NULL;
			freed++;
		}
	cr_assert_eq(kmm_check(), 0);
	for (int i = 0; i < n; i++)
		kfree(held[i]);
	kfree(run[0]);
	kfree(run[1]);
	check_and_shutdown();
}

/*
 * A spare sheaf that frees fill and no allocation empties (a CPU that
 * frees what others allocate, a program that frees all it has) halves its
 * capacity each time it overflows twice over, down to none: after many
 * frees it keeps no more objects than its least capacity.
 */
Test(kmalloc, a_spare_sheaf_nobody_allocates_from_shrinks)
{
	enum { N = 1000, BIG = 8000 };
	static void *o[BIG];

	struct slab_spare *sp;

	recycled_batches(o, N, 128, &sp);
	cr_assert_gt(sp->size, N / 2);
	batch(o, BIG, 128, false);
	for (int i = 0; i < BIG; i++) {
		kfree(o[i]);
		cr_assert_leq(sp->size, sp->capacity);
	}
	cr_assert_lt(sp->capacity, SPARE_SHEAF_MIN, "capacity %u", sp->capacity);
	cr_assert_lt(sp->size, SPARE_SHEAF_MIN, "size %u", sp->size);
	cr_assert_eq(kmm_check(), 0);
	check_and_shutdown();
}

/*
 * Frees and allocations that take turns one at a time (a server's churn)
 * do not grow the spare, and shrink one that a batch grew: refills that
 * find it little used halve it.
 */
Test(kmalloc, churn_shrinks_the_spare_sheaf)
{
	enum { N = 1000, SLOTS = 4000 };
	static void *o[SLOTS];
	unsigned int seed = 1;
	struct slab_spare *sp;

	recycled_batches(o, N, 256, &sp);
	memset(o, 0, sizeof(o));
	for (int i = 0; i < 200000; i++) {
		int j = rand_r(&seed) % SLOTS;

		if (o[j]) {
			kfree(o[j]);
			o[j] = NULL;
		} else {
			cr_assert_not_null(o[j] = kmalloc(256, GFP_KERNEL));
		}
	}
	cr_assert_lt(sp->capacity, SPARE_SHEAF_MIN, "capacity %u", sp->capacity);
	cr_assert_eq(kmm_check(), 0);
	for (int j = 0; j < SLOTS; j++)
		kfree(o[j]);
	check_and_shutdown();
}

/* Under memory pressure the slab shrinker empties the spare sheaves and stops them. */
Test(kmalloc, the_shrinker_empties_the_spare_sheaves)
{
	enum { N = 1000 };
	static void *o[N];

	struct slab_spare *sp;
	struct kmem_cache *s = recycled_batches(o, N, 512, &sp);

	cr_assert_gt(sp->size, N / 2);
	unsigned long slabs = cache_slabs(s);
	cr_assert_gt(shrink_slab(GFP_KERNEL, 0, 0), 0);
	cr_assert_eq(sp->size, 0);
	cr_assert_eq(sp->capacity, 0);
	cr_assert_lt(cache_slabs(s), slabs / 2, "%lu slabs of %lu left", cache_slabs(s), slabs);
	cr_assert_eq(kmm_check(), 0);
	check_and_shutdown();
}

/*
 * A CPU that takes new pages for a slab first has the other caches' spare
 * sheaves of that CPU give their objects back: a program that moved on
 * from one size keeps no batch of it.  Their capacity stays.
 */
Test(kmalloc, new_slabs_take_the_other_caches_spare_objects_first)
{
	enum { N = 1000 };
	static void *o[N];

	struct slab_spare *sp;
	struct kmem_cache *s = recycled_batches(o, N, 256, &sp);

	cr_assert_gt(sp->size, N / 2);
	unsigned int cap = sp->capacity;
	unsigned long slabs = cache_slabs(s);
	batch(o, N, 2048, true);
	cr_assert_eq(sp->size, 0, "kmalloc-256's spare still holds %u", sp->size);
	cr_assert_eq(sp->capacity, cap);
	cr_assert_lt(cache_slabs(s), slabs / 2, "%lu slabs of %lu left", cache_slabs(s), slabs);
	cr_assert_eq(kmm_check(), 0);
	check_and_shutdown();
}
