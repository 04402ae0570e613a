/* SPDX-License-Identifier: MIT */
/*
 * Stress across threads and under memory pressure.
 *
 * pass_objects: threads allocate from every allocator (kmalloc, a cache,
 * pages, vmalloc, per-CPU memory), write a pattern of the object's tag,
 * and pass each object through queues to other threads, which check the
 * pattern, sometimes write a new one and pass it on, and finally free it.
 * An object handed out twice, freed early or written by anyone else shows
 * as a broken pattern.
 *
 * oom_soak: a 64 MiB machine is driven into its reserves with mixed gfp
 * classes over pages, kmalloc and vmalloc while a shrinker over a cache of
 * objects (the reclaimer) gives memory back.  It checks Linux's promises:
 * __GFP_NOFAIL never returns NULL (from any of the three); GFP_ATOMIC
 * succeeds where GFP_NOWAIT has just failed (it may dip below the min
 * watermark, GFP_NOWAIT may not), alone and with threads racing for the
 * last pages (every time: their atomic requests fit in the reserve), and
 * at least once in the soak if GFP_NOWAIT failed there; after GFP_NOWAIT
 * is refused, no zone is below its min watermark (nothing but a reserve
 * class took it there), and during the soak no zone's reserve is
 * emptied; every object keeps the
 * pattern its owner wrote; and the structures stay consistent throughout
 * (kmm_check() from a thread of its own while the others run).
 *
 * Workers record errors; the test's thread asserts them (Criterion's
 * assertions belong to that thread).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "helpers.h"

static void assert_no_reports(void)
{
	cr_assert_eq(error_count(), 0, "%lu errors, the first: %s", error_count(), first_error());
	cr_assert_eq(kmm_report_count(KMM_REPORT_BAD_PAGE), 0);
	cr_assert_eq(kmm_report_count(KMM_REPORT_BAD_FREE), 0);
	cr_assert_eq(kmm_report_count(KMM_REPORT_SLAB), 0);
	cr_assert_eq(kmm_report_count(KMM_REPORT_VMALLOC), 0);
	cr_assert_eq(kmm_report_count(KMM_REPORT_PERCPU), 0);
	cr_assert_eq(kmm_report_count(KMM_REPORT_MIGHT_SLEEP), 0);
	cr_assert_eq(kmm_report_count(KMM_REPORT_WARN), 0);
}

/* --- objects passed between threads --- */

enum kind { K_KMALLOC, K_CACHE, K_PAGES, K_VMALLOC, K_PERCPU, NR_KINDS };

struct item {
	enum kind kind;
	void *ptr;		/* the address, or the per-CPU pointer */
	struct page *page;
	size_t size;		/* bytes (per CPU for K_PERCPU) */
	unsigned int order;
	u64 tag;
	int hops;
};

#define NR_PASS_THREADS	4
#define PASS_OPS	1500
#define QUEUE_LEN	64

struct queue {
	pthread_mutex_t lock;
	struct item items[QUEUE_LEN];
	int head, nr;
};

static struct queue queues[NR_PASS_THREADS];
static struct kmem_cache *pass_cache;
static unsigned long pass_allocs, pass_frees;

static void item_fill_range(u8 *p, size_t size, u64 tag)
{
	for (size_t i = 0; i < size; i++)
		p[i] = (u8)(tag + i * 13 + (i >> 8));
}

static bool item_check_range(const u8 *p, size_t size, u64 tag)
{
	for (size_t i = 0; i < size; i++)
		if (p[i] != (u8)(tag + i * 13 + (i >> 8)))
			return false;
	return true;
}

static void item_fill(struct item *it)
{
	if (it->kind == K_PERCPU) {
		int cpu;

		for_each_possible_cpu(cpu)
			item_fill_range(per_cpu_ptr((u8 *)it->ptr, cpu), it->size, it->tag + (u64)cpu);
		return;
	}
	item_fill_range(it->ptr, it->size, it->tag);
}

static void item_check(const struct item *it, const char *who)
{
	bool ok = true;

	if (it->kind == K_PERCPU) {
		int cpu;

		for_each_possible_cpu(cpu)
			ok = ok && item_check_range(per_cpu_ptr((u8 *)it->ptr, cpu), it->size,
						    it->tag + (u64)cpu);
	} else {
		ok = item_check_range(it->ptr, it->size, it->tag);
	}
	if (!ok)
		test_error("%s: kind %d object %p (%zu bytes, tag %#llx, %d hops) lost its pattern", who,
		      it->kind, it->ptr, it->size, (unsigned long long)it->tag, it->hops);
}

static bool item_alloc(struct item *it, u64 *seed)
{
	memset(it, 0, sizeof(*it));
	it->kind = (enum kind)(xorshift(seed) % NR_KINDS);
	switch (it->kind) {
	case K_KMALLOC:
		it->size = 1 + xorshift(seed) % 3000;
		it->ptr = kmalloc(it->size, GFP_KERNEL);
		break;
	case K_CACHE:
		it->size = 192;
		it->ptr = kmem_cache_alloc(pass_cache, GFP_KERNEL);
		break;
	case K_PAGES:
		it->order = (unsigned int)(xorshift(seed) % 3);
		it->size = PAGE_SIZE << it->order;
		it->page = alloc_pages(GFP_KERNEL, it->order);
		it->ptr = it->page ? page_address(it->page) : NULL;
		break;
	case K_VMALLOC:
		it->size = 1 + xorshift(seed) % (24 << 10);
		it->ptr = vmalloc(it->size);
		break;
	default:
		it->size = 8 + xorshift(seed) % 120;
		it->ptr = __alloc_percpu(it->size, 8);
		break;
	}
	if (!it->ptr)
		return false;
	it->tag = xorshift(seed);
	item_fill(it);
	return true;
}

static void item_free(struct item *it, const char *who)
{
	item_check(it, who);
	switch (it->kind) {
	case K_KMALLOC:
		kfree(it->ptr);
		break;
	case K_CACHE:
		kmem_cache_free(pass_cache, it->ptr);
		break;
	case K_PAGES:
		__free_pages(it->page, it->order);
		break;
	case K_VMALLOC:
		vfree(it->ptr);
		break;
	default:
		free_percpu(it->ptr);
		break;
	}
}

static bool queue_push(struct queue *q, const struct item *it)
{
	bool ok;

	pthread_mutex_lock(&q->lock);
	ok = q->nr < QUEUE_LEN;
	if (ok)
		q->items[(q->head + q->nr++) % QUEUE_LEN] = *it;
	pthread_mutex_unlock(&q->lock);
	return ok;
}

static bool queue_pop(struct queue *q, struct item *it)
{
	bool ok;

	pthread_mutex_lock(&q->lock);
	ok = q->nr > 0;
	if (ok) {
		*it = q->items[q->head];
		q->head = (q->head + 1) % QUEUE_LEN;
		q->nr--;
	}
	pthread_mutex_unlock(&q->lock);
	return ok;
}

struct pass_worker {
	int id;
	u64 seed;
	unsigned long allocs, frees;
};

static void *pass_thread(void *arg)
{
	struct pass_worker *w = arg;
	struct item it;

	for (int op = 0; op < PASS_OPS; op++) {
		int to = (int)(xorshift(&w->seed) % NR_PASS_THREADS);

		if (xorshift(&w->seed) % 2 && item_alloc(&it, &w->seed)) {
			w->allocs++;
			if (!queue_push(&queues[to], &it)) {
				item_free(&it, "own free");
				w->frees++;
			}
		}
		if (!queue_pop(&queues[w->id], &it))
			continue;
		item_check(&it, "received");
		/* Keep it moving for a few hops, rewritten by each receiver. */
		if (it.hops < 3 && xorshift(&w->seed) % 2) {
			it.hops++;
			it.tag = xorshift(&w->seed);
			item_fill(&it);
			if (queue_push(&queues[to], &it))
				continue;
		}
		item_free(&it, "receiver free");
		w->frees++;
	}
	return NULL;
}

static void run_pass(const char *cmdline)
{
	struct pass_worker w[NR_PASS_THREADS];
	pthread_t t[NR_PASS_THREADS];
	struct item it;

	boot_or_die(cmdline);
	pass_cache = kmem_cache_create("xthread", 192, 0, SLAB_HWCACHE_ALIGN, NULL);
	cr_assert_not_null(pass_cache);
	for (int i = 0; i < NR_PASS_THREADS; i++) {
		pthread_mutex_init(&queues[i].lock, NULL);
		queues[i].head = queues[i].nr = 0;
		w[i] = (struct pass_worker){ .id = i, .seed = 0x1234567ull * (u64)(i + 1) };
	}
	for (int i = 0; i < NR_PASS_THREADS; i++)
		pthread_create(&t[i], NULL, pass_thread, &w[i]);
	pass_allocs = pass_frees = 0;
	for (int i = 0; i < NR_PASS_THREADS; i++) {
		pthread_join(t[i], NULL);
		pass_allocs += w[i].allocs;
		pass_frees += w[i].frees;
	}
	for (int i = 0; i < NR_PASS_THREADS; i++)
		while (queue_pop(&queues[i], &it)) {
			item_free(&it, "final free");
			pass_frees++;
		}
	cr_assert_eq(pass_allocs, pass_frees);
	cr_assert_gt(pass_allocs, NR_PASS_THREADS * PASS_OPS / 4, "only %lu objects", pass_allocs);
	cr_assert_eq(kmem_cache_destroy(pass_cache), 0);
	kmm_flush_deferred_vfree();
	cr_assert_eq(vmalloc_nr_pages(), 0);
	assert_no_reports();
	check_and_shutdown();
}

Test(xthread, pass_objects_between_threads_x86_64)
{
	run_pass("mem=256M cpus=2");
}

Test(xthread, pass_objects_between_threads_x86_32_with_highmem)
{
	/* vmalloc takes HighMem pages, kmalloc and the cache lowmem. */
	run_pass("arch=x86_32 mem=1G memmap=880M$48M cpus=3");
}

/* --- the out-of-memory soak --- */

/* The reclaimable cache: objects on a list, freed by the shrinker. */
#define RECLAIM_OBJ	512
static struct {
	pthread_mutex_t lock;
	void **objs;
	long nr, max;
	unsigned long shrunk;
	bool frozen;		/* offers nothing to reclaim meanwhile */
} rc;
/* nr and shrunk change under the lock; kswapd and the test read them without. */
#define rc_nr()		__atomic_load_n(&rc.nr, __ATOMIC_RELAXED)
#define rc_shrunk()	__atomic_load_n(&rc.shrunk, __ATOMIC_RELAXED)
static struct kmem_cache *rc_cache;

static unsigned long rc_count(struct shrinker *s, struct shrink_control *sc)
{
	(void)s;
	(void)sc;
	if (__atomic_load_n(&rc.frozen, __ATOMIC_RELAXED))
		return 0;
	return (unsigned long)rc_nr();
}

static unsigned long rc_scan(struct shrinker *s, struct shrink_control *sc)
{
	unsigned long freed = 0;

	(void)s;
	pthread_mutex_lock(&rc.lock);
	while (freed < sc->nr_to_scan && rc.nr > 0) {
		__atomic_store_n(&rc.nr, rc.nr - 1, __ATOMIC_RELAXED);
		kmem_cache_free(rc_cache, rc.objs[rc.nr]);
		freed++;
	}
	__atomic_store_n(&rc.shrunk, rc.shrunk + freed, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&rc.lock);
	/* Empty slabs go back to the page allocator now, as a reclaimer wants. */
	kmem_cache_shrink(rc_cache);
	return freed;
}

/* Add up to @n objects to the reclaimable cache (fewer if it is full or memory runs out). */
static void rc_fill(long n, gfp_t gfp)
{
	while (n-- > 0 && rc_nr() < rc.max) {
		void *p = kmem_cache_alloc(rc_cache, gfp | __GFP_NOWARN);

		if (!p)
			return;
		pthread_mutex_lock(&rc.lock);
		if (rc.nr < rc.max) {
			rc.objs[rc.nr] = p;
			__atomic_store_n(&rc.nr, rc.nr + 1, __ATOMIC_RELAXED);
			p = NULL;
		}
		pthread_mutex_unlock(&rc.lock);
		if (p) {
			kmem_cache_free(rc_cache, p);
			return;
		}
	}
}

static struct shrinker *rc_setup(void)
{
	pthread_mutex_init(&rc.lock, NULL);
	rc.max = (64L << 20) / RECLAIM_OBJ;	/* room for all of memory */
	rc.objs = calloc((size_t)rc.max, sizeof(void *));
	rc.nr = 0;
	rc.shrunk = 0;
	rc.frozen = false;
	rc_cache = kmem_cache_create("reclaimable", RECLAIM_OBJ, 0, SLAB_RECLAIM_ACCOUNT, NULL);
	cr_assert_not_null(rc_cache);
	struct shrinker *s = shrinker_alloc(0, "soak-reclaimer");
	cr_assert_not_null(s);
	s->count_objects = rc_count;
	s->scan_objects = rc_scan;
	shrinker_register(s);
	return s;
}

static void rc_teardown(struct shrinker *s)
{
	shrinker_free(s);
	while (rc.nr > 0)
		kmem_cache_free(rc_cache, rc.objs[--rc.nr]);
	free(rc.objs);
	cr_assert_eq(kmem_cache_destroy(rc_cache), 0);
}

/* Every populated zone at or above its min watermark (pcp lists drained). */
static void check_zones_above_min(const char *when)
{
	struct zone *z;

	drain_all_pages(NULL);
	for_each_populated_zone(z) {
		unsigned long free = zone_page_state_snapshot(z, NR_FREE_PAGES);

		if (free < min_wmark_pages(z))
			test_error("%s: zone %s has %lu free pages, below its min watermark %lu", when,
			      z->name, free, min_wmark_pages(z));
	}
}

#define SOAK_THREADS	3
#define SOAK_HELD	256

/* What a soak thread holds: pages, a kmalloc object or a vmalloc area, with a pattern. */
enum soak_kind { SOAK_PAGES, SOAK_KMALLOC, SOAK_VMALLOC };

struct soak_item {
	enum soak_kind kind;
	unsigned int order;	/* SOAK_PAGES */
	size_t size;		/* bytes the pattern covers */
	void *p;		/* struct page * for SOAK_PAGES */
	u64 tag;
};

struct soak_worker {
	int id;
	u64 seed;
	struct soak_item held[SOAK_HELD];
	int nr;
	unsigned long nofail, nowait_fail, atomic_after, atomic_after_ok;
	unsigned long got[3], refused[3];
};

static volatile bool soak_stop;

static const gfp_t soak_gfps[] = {
	GFP_KERNEL, GFP_NOWAIT, GFP_ATOMIC | __GFP_NOWARN, GFP_KERNEL | __GFP_NOFAIL,
	GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN, GFP_NOFS | __GFP_NOWARN,
	GFP_KERNEL | __GFP_DMA | __GFP_NOWARN, GFP_HIGHUSER_MOVABLE | __GFP_NOWARN,
};
/* What vmalloc takes: the sleeping classes (it maps with GFP_KERNEL page tables). */
static const gfp_t soak_vmalloc_gfps[] = {
	GFP_KERNEL | __GFP_NOWARN, GFP_KERNEL | __GFP_NOFAIL, GFP_NOFS | __GFP_NOWARN,
	GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN, GFP_KERNEL | __GFP_RETRY_MAYFAIL | __GFP_NOWARN,
};

static void *soak_bytes(const struct soak_item *it)
{
	return it->kind == SOAK_PAGES ? page_address(it->p) : it->p;
}

/* The object's first and last bytes (up to 256 each) from its tag. */
static void soak_span(const struct soak_item *it, size_t *head, size_t *tail)
{
	*head = it->size < 256 ? it->size : 256;
	*tail = it->size - *head > *head ? it->size - *head : *head;
}

static void soak_fill(struct soak_item *it)
{
	u8 *b = soak_bytes(it);
	size_t head, tail;

	soak_span(it, &head, &tail);
	item_fill_range(b, head, it->tag);
	item_fill_range(b + tail, it->size - tail, ~it->tag);
}

static void soak_check(const struct soak_worker *w, const struct soak_item *it)
{
	const u8 *b = soak_bytes(it);
	size_t head, tail;

	soak_span(it, &head, &tail);
	if (!item_check_range(b, head, it->tag) || !item_check_range(b + tail, it->size - tail, ~it->tag))
		test_error("thread %d: a %s of %zu bytes was written by someone else", w->id,
		      it->kind == SOAK_PAGES ? "page block" : it->kind == SOAK_KMALLOC ? "kmalloc object"
		      : "vmalloc area", it->size);
}

static bool soak_get(struct soak_worker *w, struct soak_item *it, gfp_t gfp)
{
	bool nofail = gfp & __GFP_NOFAIL;

	switch (it->kind) {
	case SOAK_PAGES:
		/* Only order 0 may be __GFP_NOFAIL (Linux warns above order 1). */
		it->order = nofail ? 0 : (unsigned int)(xorshift(&w->seed) % 3);
		it->size = PAGE_SIZE << it->order;
		it->p = alloc_pages(gfp | __GFP_NOWARN, it->order);
		break;
	case SOAK_KMALLOC:
		/* kmalloc takes no __GFP_HIGHMEM: the movable class becomes GFP_KERNEL. */
		if (gfp & __GFP_HIGHMEM)
			gfp = GFP_KERNEL;
		it->size = 8 + xorshift(&w->seed) % (xorshift(&w->seed) % 4 ? 2048 : 24576);
		it->p = kmalloc(it->size, gfp | __GFP_NOWARN);
		break;
	case SOAK_VMALLOC:
		gfp = soak_vmalloc_gfps[xorshift(&w->seed) % ARRAY_SIZE(soak_vmalloc_gfps)];
		nofail = gfp & __GFP_NOFAIL;
		it->size = (1 + xorshift(&w->seed) % 16) * PAGE_SIZE;
		it->p = __vmalloc(it->size, gfp);
		break;
	}
	if (nofail) {
		w->nofail++;
		if (!it->p)
			test_error("thread %d: __GFP_NOFAIL returned NULL (%s)", w->id,
			      it->kind == SOAK_PAGES ? "pages" : it->kind == SOAK_KMALLOC ? "kmalloc" : "vmalloc");
	}
	return it->p != NULL;
}

static void soak_alloc(struct soak_worker *w)
{
	gfp_t gfp = soak_gfps[xorshift(&w->seed) % ARRAY_SIZE(soak_gfps)];
	u64 r = xorshift(&w->seed) % 8;
	struct soak_item *it = &w->held[w->nr];

	it->kind = r < 5 ? SOAK_PAGES : r < 7 ? SOAK_KMALLOC : SOAK_VMALLOC;
	it->tag = xorshift(&w->seed);
	if (!soak_get(w, it, gfp)) {
		w->refused[it->kind]++;
		if (it->kind != SOAK_PAGES || gfp != GFP_NOWAIT || it->order)
			return;
		/* Where GFP_NOWAIT fails, the atomic reserve is still there. */
		w->nowait_fail++;
		it->p = alloc_page(GFP_ATOMIC | __GFP_NOWARN);
		w->atomic_after++;
		w->atomic_after_ok += it->p != NULL;
		if (!it->p)
			return;
	}
	w->got[it->kind]++;
	soak_fill(it);
	w->nr++;
}

static void soak_free_one(struct soak_worker *w, struct soak_item *it)
{
	soak_check(w, it);
	switch (it->kind) {
	case SOAK_PAGES:
		__free_pages(it->p, it->order);
		break;
	case SOAK_KMALLOC:
		kfree(it->p);
		break;
	case SOAK_VMALLOC:
		vfree(it->p);
		break;
	}
}

static void soak_free_some(struct soak_worker *w, int n)
{
	while (n-- > 0 && w->nr) {
		int k = (int)(xorshift(&w->seed) % (u64)w->nr);

		soak_free_one(w, &w->held[k]);
		w->held[k] = w->held[--w->nr];
	}
}

static void *soak_thread(void *arg)
{
	struct soak_worker *w = arg;

	while (!__atomic_load_n(&soak_stop, __ATOMIC_ACQUIRE)) {
		if (w->nr < SOAK_HELD)
			soak_alloc(w);
		else
			soak_free_some(w, SOAK_HELD / 2);
		if (xorshift(&w->seed) % 8 == 0)
			rc_fill(256, GFP_NOWAIT);	/* the cache grows back */
	}
	soak_free_some(w, SOAK_HELD);
	return NULL;
}

/*
 * Together: threads take pages with GFP_NOWAIT at once, and each failure is
 * followed at once by GFP_ATOMIC, which must succeed: however the threads
 * interleave, only the atomic requests go below min, and all of them
 * together (RESERVE_THREADS * RESERVE_ROUNDS pages) take less than the part
 * of the reserve GFP_ATOMIC may use.
 */
#define RESERVE_THREADS	3
#define RESERVE_ROUNDS	12

struct reserve_worker {
	int id;
	struct page **pages;
	int nr;
	unsigned long nowait, nowait_fail, atomic_ok;
};

static pthread_barrier_t reserve_start;

static void reserve_hold(struct reserve_worker *w, struct page *p)
{
	if (w->nr == MAX_HELD) {
		test_error("thread %d: more than %d pages", w->id, MAX_HELD);
		__free_page(p);
		return;
	}
	item_fill_range(page_address(p), 64, (u64)w->id << 32 | (u64)w->nr);
	w->pages[w->nr++] = p;
}

static void *reserve_thread(void *arg)
{
	struct reserve_worker *w = arg;

	pthread_barrier_wait(&reserve_start);
	while (w->nowait_fail < RESERVE_ROUNDS) {
		struct page *p = alloc_page(GFP_NOWAIT | __GFP_NOWARN);

		if (p) {
			w->nowait++;
		} else {
			w->nowait_fail++;
			p = alloc_page(GFP_ATOMIC | __GFP_NOWARN);
			if (!p) {
				test_error("thread %d: GFP_ATOMIC failed right after GFP_NOWAIT (failure %lu)",
					   w->id, w->nowait_fail);
				continue;
			}
			w->atomic_ok++;
		}
		reserve_hold(w, p);
	}
	return NULL;
}

/* Return: the GFP_NOWAIT pages all threads got; each thread's pages are checked and freed. */
static unsigned long reserve_together(void)
{
	struct reserve_worker w[RESERVE_THREADS];
	pthread_t t[RESERVE_THREADS];
	unsigned long nowait = 0;
	struct zone *z;

	pthread_barrier_init(&reserve_start, NULL, RESERVE_THREADS);
	for (int i = 0; i < RESERVE_THREADS; i++) {
		w[i] = (struct reserve_worker){ .id = i, .pages = calloc(MAX_HELD, sizeof(struct page *)) };
		cr_assert_not_null(w[i].pages);
		pthread_create(&t[i], NULL, reserve_thread, &w[i]);
	}
	for (int i = 0; i < RESERVE_THREADS; i++)
		pthread_join(t[i], NULL);
	pthread_barrier_destroy(&reserve_start);
	drain_all_pages(NULL);
	for_each_populated_zone(z)
		cr_expect_geq(zone_page_state_snapshot(z, NR_FREE_PAGES), min_wmark_pages(z) / 4,
			      "GFP_ATOMIC took zone %s below a quarter of min", z->name);
	for (int i = 0; i < RESERVE_THREADS; i++) {
		cr_expect_eq(w[i].atomic_ok, RESERVE_ROUNDS, "thread %d: GFP_ATOMIC got %lu of %d", i,
			     w[i].atomic_ok, RESERVE_ROUNDS);
		nowait += w[i].nowait;
		for (int k = 0; k < w[i].nr; k++) {
			if (!item_check_range(page_address(w[i].pages[k]), 64, (u64)i << 32 | (u64)k))
				test_error("thread %d: page %d was written by someone else", i, k);
			__free_page(w[i].pages[k]);
		}
		free(w[i].pages);
	}
	return nowait;
}

/* The lowest free count the checker saw in each zone (by zone index, node 0). */
static unsigned long soak_lowest[MAX_NR_ZONES];

static void *soak_checker(void *arg)
{
	unsigned long *problems = arg;
	struct zone *z;

	for (int i = 0; i < MAX_NR_ZONES; i++)
		soak_lowest[i] = ~0UL;
	while (!__atomic_load_n(&soak_stop, __ATOMIC_ACQUIRE)) {
		*problems += (unsigned long)kmm_check();
		for_each_populated_zone(z) {
			unsigned long free = zone_page_state_snapshot(z, NR_FREE_PAGES);
			int i = zone_idx(z);

			if (free < soak_lowest[i])
				soak_lowest[i] = free;
		}
		usleep(20000);
	}
	return NULL;
}

Test(xthread, oom_soak_on_64M)
{
	boot_or_die("mem=64M cpus=2");
	struct shrinker *s = rc_setup();

	/*
	 * First alone, so the promises can be checked exactly: the reclaimable
	 * cache takes memory until GFP_NOWAIT is refused, then GFP_NOWAIT takes
	 * pages until it is refused again.  No zone may be below min then; GFP_ATOMIC must still get
	 * pages, and even it must leave part of the reserve.  Meanwhile the cache offers nothing
	 * to reclaim: what kswapd (woken by the exhaustion) would free would go to exhaust(),
	 * the more of it the slower this thread runs, and the reclaimer is for __GFP_NOFAIL.
	 */
	rc_fill(rc.max, GFP_NOWAIT);
	cr_assert_gt(rc_nr(), 1000, "the reclaimable cache holds only %ld objects", rc_nr());
	__atomic_store_n(&rc.frozen, true, __ATOMIC_RELAXED);
	int nowait = exhaust(GFP_NOWAIT);
	check_zones_above_min("after GFP_NOWAIT was refused");
	struct page *atomic = alloc_page(GFP_ATOMIC | __GFP_NOWARN);
	cr_assert_not_null(atomic, "GFP_ATOMIC failed where GFP_NOWAIT had just failed");
	hold(atomic);
	int atomics = exhaust(GFP_ATOMIC | __GFP_NOWARN);
	struct zone *z;
	drain_all_pages(NULL);
	for_each_populated_zone(z)
		cr_assert_geq(zone_page_state_snapshot(z, NR_FREE_PAGES), min_wmark_pages(z) / 4,
			      "GFP_ATOMIC took zone %s below a quarter of min", z->name);
	/* Now only the reclaimer can help: __GFP_NOFAIL must get its pages. */
	unsigned long shrunk = rc_shrunk();
	cr_assert_gt(rc_nr(), 64 * 8, "kswapd left the reclaimer only %ld objects", rc_nr());
	__atomic_store_n(&rc.frozen, false, __ATOMIC_RELAXED);
	for (int i = 0; i < 64; i++) {
		struct page *p = alloc_page(GFP_KERNEL | __GFP_NOFAIL);
		cr_assert_not_null(p, "__GFP_NOFAIL returned NULL");
		hold(p);
	}
	cr_assert_gt(rc_shrunk(), shrunk, "the reclaimer was not asked");
	cr_log_info("alone: %d GFP_NOWAIT pages, then %d GFP_ATOMIC; the reclaimer freed %lu objects",
		    nowait, atomics + 1, rc_shrunk() - shrunk);
	free_held();
	cr_assert_eq(kmm_check(), 0);

	/* Then the same promise with threads racing for the last pages, the reclaimer still. */
	__atomic_store_n(&rc.frozen, true, __ATOMIC_RELAXED);
	unsigned long together = reserve_together();
	__atomic_store_n(&rc.frozen, false, __ATOMIC_RELAXED);
	cr_log_info("together: %d threads got %lu GFP_NOWAIT pages, then GFP_ATOMIC after each of "
		    "their %d GFP_NOWAIT failures", RESERVE_THREADS, together,
		    RESERVE_THREADS * RESERVE_ROUNDS);
	cr_assert_gt(together, 0);
	assert_no_reports();
	cr_assert_eq(kmm_check(), 0);

	/* Then the soak: threads with mixed classes, the cache refilled, checks running. */
	struct soak_worker w[SOAK_THREADS];
	pthread_t t[SOAK_THREADS], checker;
	unsigned long problems = 0, nofail = 0, nowait_fail = 0, atomic_after = 0, atomic_ok = 0;
	unsigned long got[3] = { 0 }, refused[3] = { 0 };

	soak_stop = false;
	pthread_create(&checker, NULL, soak_checker, &problems);
	for (int i = 0; i < SOAK_THREADS; i++) {
		w[i] = (struct soak_worker){ .id = i, .seed = 99 + (u64)i };
		pthread_create(&t[i], NULL, soak_thread, &w[i]);
	}
	usleep(1500 * 1000);
	__atomic_store_n(&soak_stop, true, __ATOMIC_RELEASE);
	for (int i = 0; i < SOAK_THREADS; i++) {
		pthread_join(t[i], NULL);
		nofail += w[i].nofail;
		nowait_fail += w[i].nowait_fail;
		atomic_after += w[i].atomic_after;
		atomic_ok += w[i].atomic_after_ok;
		for (int k = 0; k < 3; k++) {
			got[k] += w[i].got[k];
			refused[k] += w[i].refused[k];
		}
	}
	pthread_join(checker, NULL);
	cr_log_info("soak: got/refused pages %lu/%lu, kmalloc %lu/%lu, vmalloc %lu/%lu", got[0],
		    refused[0], got[1], refused[1], got[2], refused[2]);
	for_each_populated_zone(z) {
		unsigned long lowest = soak_lowest[zone_idx(z)];

		cr_log_info("soak: zone %s: lowest free seen %lu, min watermark %lu", z->name, lowest,
			    min_wmark_pages(z));
		/*
		 * Nothing here may empty the reserve: GFP_ATOMIC stops at 3/8 of
		 * min, __GFP_NOFAIL at half.  An eighth leaves room for the
		 * per-CPU refills taken after a watermark check passed.
		 */
		cr_expect_geq(lowest, min_wmark_pages(z) / 8,
			      "zone %s fell to %lu free pages during the soak, min watermark %lu",
			      z->name, lowest, min_wmark_pages(z));
	}
	cr_log_info("soak: %lu __GFP_NOFAIL, %lu GFP_NOWAIT failures, GFP_ATOMIC then %lu/%lu, "
		    "%lu objects reclaimed", nofail, nowait_fail, atomic_ok, atomic_after, rc_shrunk());
	if (problems) {
		static char log[1 << 20];
		kmm_dmesg(log, sizeof(log));
		for (char *sv, *l = strtok_r(log, "\n", &sv); l; l = strtok_r(NULL, "\n", &sv))
			if (strstr(l, "kmm_check"))
				cr_log_warn("%s", l);
	}
	cr_assert_eq(problems, 0, "kmm_check() found %lu problems during the soak", problems);
	cr_assert_gt(nofail, 0);
	cr_assert_gt(rc_shrunk(), shrunk, "no reclaim during the soak");
	if (atomic_after)
		cr_assert_gt(atomic_ok, 0, "GFP_ATOMIC never succeeded after a GFP_NOWAIT failure");
	rc_teardown(s);
	/* OOM reports and allocation-failure warnings are expected here; misuse reports not. */
	assert_no_reports();
	check_and_shutdown();
}
