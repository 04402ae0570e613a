/* SPDX-License-Identifier: MIT */
/*
 * SLUB: the slab allocator of Linux 6.x (mm/slub.c).  Its debugging
 * (slab_debug=, red zones, poisoning, tracking, validation) is in
 * slub_debug.c; a cache with debug flags never uses the per-CPU fast path.
 *
 * A cache cuts slabs (one page, or a compound page of 2^order pages, the
 * order chosen as Linux's calculate_order() with slub_min_order=,
 * slub_max_order= and slub_min_objects=) into objects of s->size bytes.
 * A free object holds the pointer to the next free one at s->offset (the
 * middle of the object, or just past it when a ctor, RCU or poisoning
 * needs the object intact), stored hardened (see slab.h).
 *
 *   slab (2^order pages)
 *   +--------+----------+----------+-- ... --+----------+-----------+
 *   | colour | object 0 | object 1 |         | object N | leftover  |
 *   +--------+----------+----------+-- ... --+----------+-----------+
 *
 * Colouring is SLAB's idea, not SLUB's: each new slab of a cache starts its
 * objects one cache line (or one alignment unit, if larger) further than
 * the previous slab did, cycling within the slab's leftover space, so that
 * the first objects of different slabs do not all compete for the same
 * cache sets.  The offset is slab->colour; a slab with no leftover has none.
 *
 * The life of a slab (struct slab overlays its first struct page):
 *   - new: pages from the page allocator, objects laid out and their ctor
 *     run, all outside any lock and before the pages are marked PageSlab;
 *   - frozen: it becomes one CPU's slab (c->slab).  That CPU allocates from
 *     c->freelist and frees to it with preemption disabled and no lock at
 *     all.  Frees from other CPUs go to slab->freelist with no lock
 *     (deferred, below); the owner takes them over when its own list runs
 *     dry;
 *   - CPU partial: a full slab that gets objects back from a free is
 *     frozen by that free's exchange and goes on the freeing CPU's partial
 *     list (c->partial, Linux's CONFIG_SLUB_CPU_PARTIAL), which the CPU's
 *     refills take first (the oldest slab, which has had longest to gather
 *     frees), with no lock; a refill from the node takes up to half of
 *     cpu_partial_slabs more for it in the same hold of the lock.  A list
 *     at cpu_partial_slabs (Linux's cpu_partial objects counted as half-
 *     free slabs) goes to the node's list whole, empty slabs beyond
 *     min_partial to the page allocator; so does a flush;
 *   - partial: when the CPU moves on, a slab with free objects goes on its
 *     node's partial list, where the next CPU that needs a slab finds it;
 *   - full: no free object; on no list, found again by its first free;
 *   - empty: all objects free; kept on the partial list while the node has
 *     fewer than min_partial partial slabs (Linux's ilog2(size)/2 in
 *     [5, 10]), else given back to the page allocator.  The shrinker and
 *     kmem_cache_shrink() give back the empty ones that were kept.
 * The node keeps nr_slabs and total_objects; slabinfo and kmm_check() get
 * full/partial/empty from them and the lists.
 *
 * Frees to a slab that is not this CPU's slab change its freelist and
 * counters together, lock-free, by one 16-byte compare-and-swap
 * (slab_update_freelist(), as Linux's __slab_free()).  The node's
 * list_lock is taken only when the slab moves between lists: a full slab
 * gets its first free back (onto the partial list), or an unfrozen slab
 * empties (maybe back to the page allocator).  Whoever lists, unlists or
 * freezes a slab holds the lock across its exchange, so under the lock a
 * slab that is neither frozen nor full is on its node's partial list.
 * The owner takes its frozen slab's remote frees with one exchange and no
 * lock (get_freelist()); with none, the slab is full and on no list.
 *
 * Deferred frees.  Even lock-free, a free to another slab is an atomic
 * exchange on a shared line.  Frees come in runs (a batch of objects
 * allocated together is freed together, and they share slabs), so each
 * CPU gathers its frees to one such slab (defer_slab()) in a chain of
 * their own, with no lock, found by address as the CPU slab's objects
 * are, and hands the chain to the slab in one exchange when a free to
 * another slab comes, or when its CPU's slabs are flushed (flush_all()).
 * Until then the objects count as allocated (the slab's inuse), so the
 * slab cannot empty under them; the chain holds one slab per CPU and
 * cache at most.
 *
 * The sheaf.  Frees that come one per slab (a server's churn: objects
 * live long and die in random order) make no runs: a chain of one object
 * is handed over when the next free goes elsewhere.  Such an object goes
 * instead into the CPU's sheaf (after Linux 6.18's per-CPU sheaves, here
 * for every cache without debugging), an array of up to SHEAF_CAPACITY
 * objects still counted in use by their slabs.  Allocations take from it
 * first, last in, first out, before the CPU freelist, as Linux's
 * alloc_from_pcs() comes before the slab: the object a program freed last
 * is the line it gets back, warm.  A free of an object of the CPU slab
 * goes there too while it has room, found by its address alone.  The
 * preload shim, whose shadow byte vouches for each pointer, puts every
 * free on the sheaf while it has room (as Linux's free_to_pcs()),
 * touching neither the object nor its slab; a free and an allocation in
 * turn thus touch no slab at all, as a thread cache does, and take the
 * same branches whatever slab the object is in.  A full sheaf that must
 * take one more object gives its older half back (sheaf_make_room()), so
 * frees and allocations that take turns at the brim do not empty it
 * whole each time; a flush gives back all.
 * Either way the objects of one slab go back chained, in one exchange, as
 * Linux's bulk free builds a detached freelist per slab.
 *
 * The spare sheaf.  A batch (a thousand objects allocated, then freed)
 * overflows the sheaf at once, and its frees and allocations then go slab
 * by slab: a free pointer written into each object and read back, a
 * chain handed back per slab, a refill per slab, and beyond the CPU
 * partial list, slabs back to the page allocator and new ones from it.
 * So each CPU of a kmalloc cache of normal memory up to 4 KiB (as Linux
 * 6.18 gives sheaves to the caches that ask, with a capacity per cache)
 * has a second, larger array (struct slab_spare, up to SPARE_SHEAF_MAX
 * objects, a batch of two thousand: glibc's simple benchmark recycles
 * runs of 1600), an order-2 page made with the cache
 * (spares_create()).  It takes runs of frees to one slab, as a batch
 * frees them, and the frees of the CPU slab's objects that find the sheaf
 * full (before the CPU freelist: the CPU slab cannot empty while it is
 * the CPU's, so they need no range to vouch for them), and allocations
 * pop it right after the sheaf (cpu_pop()): a batch of frees is array
 * stores that write into no object, a batch of allocations array loads
 * that read none.  Lone frees still go to the sheaf: there a thousand
 * frees to a thousand slabs would keep a thousand slabs.
 *
 * A run's first free (validated through its struct page) goes on the
 * spare, and its slab's range becomes the deferred frees' range, with no
 * chain (defer_inuse 0, defer_tail the spare, defer_count the object's
 * index on the spare): while that object is on the spare, the slab cannot
 * empty, so the frees after it that fall in the range go on the spare by
 * address alone (above it, between them, may come the CPU slab's).  Once allocations have taken it (the spare holds no
 * more than its index) the range vouches for nothing, and the next free
 * there is a run's first again.  A full spare (SHEAF_FULL) sends the free
 * to sheaf_spill_push(), which makes room: all but the newest half of its
 * capacity goes back to the slabs, the objects of one slab in one
 * exchange, as the sheaf does; a flush gives back all.
 *
 * Objects on the spare count as in use to their slabs, so a spare keeps
 * its objects' slabs.  Its capacity follows what the CPU recycles (see
 * spare_refill_seen()): 0 at first, grown by the first refill after frees
 * handed runs back to their slabs (a batch it could have kept), halved by
 * refills after frees that never filled it a quarter (churn), and by frees
 * that overflow it twice over with no refill between (a CPU freeing what
 * others allocate, a program freeing all it has).  The spares of one CPU
 * hold at most SPARE_CPU_BYTES together (spares_budget()), and before a
 * CPU takes new pages for a slab, the other caches' spares of that CPU
 * give their objects back (spares_give_back_others()).  kmem_cache_shrink(),
 * flush_all() and kmem_cache_destroy() give back every spare's objects;
 * the slab shrinker, under memory pressure, does and puts the spares out
 * of use until they grow again.
 *
 * Lazy slabs.  A new slab's objects are not linked into a freelist when
 * it is made, a store into every object that the allocations then read
 * back one by one.  The slab becomes the CPU slab with all its objects the
 * CPU's, as ever, and the CPU hands out its never-used ones in address
 * order from a bump offset (kmem_cache_cpu.bump, cpu_bump_pop()) once its
 * freelist and sheaf are empty: objects freed meanwhile come back first.
 * Only when the slab stops being the CPU slab (deactivate_slab()) are the
 * objects still never used linked, onto the freelist it hands back, so
 * that everywhere else a slab's free objects are on freelists as before.
 * Ctors still run on every object when the slab is made.  Debug caches
 * and annotated ones link at once, and so does a cache whose frees take
 * the slow path (limit 0), whose CPU slab has no range to bump in.  The
 * freelist of a slab is an implementation choice: Linux's semantics do
 * not see it.
 *
 * Slab pages are counted in NR_SLAB_RECLAIMABLE_B (SLAB_RECLAIM_ACCOUNT
 * caches) or NR_SLAB_UNRECLAIMABLE_B, in pages, as is every large kmalloc
 * (above 8 KiB: a compound page of the page allocator, PageLargeKmalloc).
 *
 * Bad frees are checked before anything changes (slab_validate_object):
 * a pointer that is no slab object start, an object of another cache, or
 * the head of the freelist it would be pushed on (a double free; found
 * anywhere on the slab's freelist in caches with SLAB_CONSISTENCY_CHECKS)
 * is reported in Linux's words, counted as KMM_REPORT_SLAB and not freed.
 *
 * Debug caches (slub_debug.c) allocate one object at a time from the
 * partial list, under the node's list_lock, as Linux's
 * alloc_single_from_partial(), and free to it (free_to_partial_list()):
 * every object passes alloc_debug_processing() and free_debug_processing().
 * With SLAB_STORE_USER their full slabs are on the node's full list.
 *
 * Lock order: slab_mutex (sleeping; cache list, create and destroy)
 *   -> CPU (preemption disabled) -> n->list_lock -> zone->lock.
 * A slab changes state, and the node counts change, within one CPU
 * section, so kmm_check(), which owns every CPU, never sees it half done.
 */
#include "kmemleak.h"
#include "slab.h"
#include "slab_fast.h"
#include "kfence.h"
#include "page_alloc.h"
#include "param.h"
#include <stdarg.h>
#include <stdlib.h>
#include <kmm/vmstat.h>

LIST_HEAD(slab_caches);
struct plat_mutex slab_mutex;
struct kmem_cache *kmem_cache;
struct kmem_cache *kmem_cache_node;
bool slab_nomerge;
bool slab_is_up;

#define MIN_PARTIAL 5
#define MAX_PARTIAL 10

/* --- boot parameters: slub_min_order=, slub_max_order=, slub_min_objects= --- */

static unsigned int slub_min_order;
static unsigned int slub_max_order = PAGE_ALLOC_COSTLY_ORDER;
static unsigned int slub_min_objects;

static int parse_uint(const char *val, unsigned long max, unsigned int *out)
{
	char *end;

	if (!val || !*val)
		return -EINVAL;
	unsigned long v = strtoul(val, &end, 0);
	if (*end || v > max)
		return -EINVAL;
	*out = (unsigned int)v;
	return 0;
}

static int setup_slub_min_order(const char *val)
{
	if (parse_uint(val, MAX_PAGE_ORDER, &slub_min_order))
		return -EINVAL;
	if (slub_min_order > slub_max_order)
		slub_max_order = slub_min_order;
	return 0;
}

static int setup_slub_max_order(const char *val)
{
	if (parse_uint(val, 1UL << 30, &slub_max_order))
		return -EINVAL;
	slub_max_order = min(slub_max_order, (unsigned int)MAX_PAGE_ORDER);
	if (slub_min_order > slub_max_order)
		slub_min_order = slub_max_order;
	return 0;
}

static int setup_slub_min_objects(const char *val)
{
	return parse_uint(val, MAX_OBJS_PER_PAGE, &slub_min_objects);
}

static int setup_slab_nomerge(const char *val)
{
	(void)val;
	slab_nomerge = true;
	return 0;
}

static int setup_slab_merge(const char *val)
{
	(void)val;
	slab_nomerge = false;
	return 0;
}

static void slub_params_reset(void)
{
	slub_min_order = 0;
	slub_max_order = PAGE_ALLOC_COSTLY_ORDER;
	slub_min_objects = 0;
	slab_nomerge = false;	/* CONFIG_SLAB_MERGE_DEFAULT=y */
}

/* Linux 6.x's names, and the slub_ ones it keeps as aliases. */
static int setup_slab_min_order(const char *v) { return setup_slub_min_order(v); }
static int setup_slab_max_order(const char *v) { return setup_slub_max_order(v); }
static int setup_slab_min_objects(const char *v) { return setup_slub_min_objects(v); }
static int setup_slub_nomerge(const char *v) { return setup_slab_nomerge(v); }
kmm_param("slub_min_order", setup_slub_min_order, slub_params_reset);
kmm_param("slub_max_order", setup_slub_max_order, NULL);
kmm_param("slub_min_objects", setup_slub_min_objects, NULL);
kmm_param("slab_min_order", setup_slab_min_order, NULL);
kmm_param("slab_max_order", setup_slab_max_order, NULL);
kmm_param("slab_min_objects", setup_slab_min_objects, NULL);
kmm_param("slab_nomerge", setup_slab_nomerge, NULL);
kmm_param("slub_nomerge", setup_slub_nomerge, NULL);
kmm_param("slab_merge", setup_slab_merge, NULL);

/* --- sizes and orders --- */

static inline unsigned int fls32(unsigned int x)
{
	return x ? 32 - (unsigned int)__builtin_clz(x) : 0;
}

static inline unsigned int order_objects(unsigned int order, unsigned int size)
{
	return (unsigned int)((PAGE_SIZE << order) / size);
}

/* The lowest order in [min_order, max_order] wasting at most 1/fract of the slab. */
static unsigned int calc_slab_order(unsigned int size, unsigned int min_order,
				    unsigned int max_order, unsigned int fract_leftover)
{
	unsigned int order;

	for (order = min_order; order <= max_order; order++) {
		unsigned int slab_size = (unsigned int)PAGE_SIZE << order;

		if (slab_size % size <= slab_size / fract_leftover)
			break;
	}
	return order;
}

/* Linux's calculate_order(): enough objects per slab, little waste, low order. */
static int calculate_order(unsigned int size)
{
	unsigned int min_objects = slub_min_objects, max_objects, min_order, order;

	if (!min_objects)
		min_objects = 4 * (fls32(nr_cpu_ids) + 1);
	max_objects = max(order_objects(slub_max_order, size), 1U);
	min_objects = min(min_objects, max_objects);
	min_order = max(slub_min_order, get_order((unsigned long)min_objects * size));
	if (order_objects(min_order, size) > MAX_OBJS_PER_PAGE)
		return (int)get_order((unsigned long)size * MAX_OBJS_PER_PAGE) - 1;
	for (unsigned int fraction = 16; fraction > 1; fraction /= 2) {
		order = calc_slab_order(size, min_order, slub_max_order, fraction);
		if (order <= slub_max_order)
			return (int)order;
	}
	order = get_order(size);
	if (order <= MAX_PAGE_ORDER)
		return (int)order;
	return -ENOSYS;
}

unsigned int calculate_alignment(slab_flags_t flags, unsigned int align, unsigned int size)
{
	if (flags & SLAB_HWCACHE_ALIGN) {
		unsigned int ralign = cache_line_size();

		while (size <= ralign / 2)
			ralign /= 2;
		align = max(align, ralign);
	}
	align = max(align, (unsigned int)ARCH_SLAB_MINALIGN);
	return ALIGN(align, (unsigned int)sizeof(void *));
}

/* Where the free pointer goes, the stride, and the slab order: Linux's calculate_sizes(). */
static bool calculate_sizes(struct kmem_cache *s)
{
	slab_flags_t flags = s->flags;
	unsigned int size = ALIGN(s->object_size, (unsigned int)sizeof(void *));
	int order;

	/* Poison the object itself only if nobody may touch it while free. */
	if ((flags & SLAB_POISON) && !(flags & SLAB_TYPESAFE_BY_RCU) && !s->ctor)
		s->flags |= __OBJECT_POISON;
	else
		s->flags &= ~__OBJECT_POISON;
	/* A right red zone needs at least a word past the object. */
	if ((flags & SLAB_RED_ZONE) && size == s->object_size)
		size += sizeof(void *);
	s->inuse = size;
	if ((flags & (SLAB_TYPESAFE_BY_RCU | SLAB_POISON)) || s->ctor ||
	    ((flags & SLAB_RED_ZONE) &&
	     (s->object_size < sizeof(void *) || slub_debug_orig_size(s)))) {
		/* The object must stay intact while free: the pointer goes after it. */
		s->offset = size;
		size += sizeof(void *);
	} else {
		/* In the middle, where an overflow from the previous object rarely reaches. */
		s->offset = ALIGN_DOWN(s->object_size / 2, (unsigned int)sizeof(void *));
	}
	if (flags & SLAB_STORE_USER) {
		size += 2 * sizeof(struct track);
		if (flags & SLAB_KMALLOC)
			size += sizeof(unsigned int);	/* the requested size */
	}
	s->red_left_pad = 0;
	if (flags & SLAB_RED_ZONE) {
		/* A word of padding after the metadata, and a left red zone. */
		size += sizeof(void *);
		s->red_left_pad = ALIGN((unsigned int)sizeof(void *), s->align);
		size += s->red_left_pad;
	}
	size = ALIGN(size, s->align);
	s->size = size;
	s->reciprocal_size = ~0ULL / size + 1;
	order = calculate_order(size);
	if (order < 0)
		return false;
	s->allocflags = 0;
	if (order)
		s->allocflags |= __GFP_COMP;
	if (flags & SLAB_CACHE_DMA)
		s->allocflags |= GFP_DMA;
	if (flags & SLAB_CACHE_DMA32)
		s->allocflags |= GFP_DMA32;
	if (flags & SLAB_RECLAIM_ACCOUNT)
		s->allocflags |= __GFP_RECLAIMABLE;
	s->order = (unsigned int)order;
	s->objects = order_objects(s->order, size);
	s->min_order = get_order(size);
	s->min_objects = order_objects(s->min_order, size);
	if (s->min_order > s->order) {
		s->min_order = s->order;
		s->min_objects = s->objects;
	}
	return s->objects != 0;
}

static void set_min_partial(struct kmem_cache *s, unsigned long min)
{
	s->min_partial = clamp(min, (unsigned long)MIN_PARTIAL, (unsigned long)MAX_PARTIAL);
}

/*
 * How many objects a CPU keeps on its partial list: Linux's cpu_partial,
 * by object size, none for a debug cache (which allocates from the node's
 * list, one object at a time).  The limit applies in slabs, counting each
 * as half free: @nr_objects * 2 / objects per slab, rounded up.  Set with
 * no CPU's list changed; a smaller limit applies as lists refill.
 * Return: 0, or -EINVAL for objects on a cache that keeps none.
 */
int slub_set_cpu_partial(struct kmem_cache *s, unsigned int nr_objects)
{
	if (nr_objects && kmem_cache_debug(s))
		return -EINVAL;
	WRITE_ONCE(s->cpu_partial, nr_objects);
	WRITE_ONCE(s->cpu_partial_slabs, (nr_objects * 2 + s->objects - 1) / s->objects);
	return 0;
}

static void set_cpu_partial(struct kmem_cache *s)
{
	unsigned int nr_objects;

	if (kmem_cache_debug(s))
		nr_objects = 0;
	else if (s->size >= PAGE_SIZE)
		nr_objects = 6;
	else if (s->size >= 1024)
		nr_objects = 24;
	else if (s->size >= 256)
		nr_objects = 52;
	else
		nr_objects = 120;
	slub_set_cpu_partial(s, nr_objects);
}

/* A per-cache secret for the freelist hardening (not cryptographic). */
static unsigned long get_random_long(void)
{
	static unsigned long seq;
	u64 z = plat_now_ns() ^ (__atomic_add_fetch(&seq, 0x9e3779b97f4a7c15ULL, __ATOMIC_RELAXED));

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return (unsigned long)(z ^ (z >> 31));
}

static void init_kmem_cache_node(struct kmem_cache_node *n)
{
	spin_lock_init(&n->list_lock);
	n->nr_partial = 0;
	INIT_LIST_HEAD(&n->partial);
	INIT_LIST_HEAD(&n->full);
	atomic_long_set(&n->nr_slabs, 0);
	atomic_long_set(&n->total_objects, 0);
}

static void free_kmem_cache_nodes(struct kmem_cache *s)
{
	for (int nid = 0; nid < nr_online_nodes; nid++) {
		if (s->node[nid] && kmem_cache_node)
			kmem_cache_free(kmem_cache_node, s->node[nid]);
		s->node[nid] = NULL;
	}
}

static int init_kmem_cache_nodes(struct kmem_cache *s)
{
	for (int nid = 0; nid < nr_online_nodes; nid++) {
		struct kmem_cache_node *n = kmem_cache_alloc_node(kmem_cache_node, GFP_KERNEL, nid);

		if (!n) {
			free_kmem_cache_nodes(s);
			return -ENOMEM;
		}
		init_kmem_cache_node(n);
		s->node[nid] = n;
	}
	return 0;
}

/* The spare sheaf of caches without: empty, capacity 0, never written. */
struct slab_spare slab_no_spare;

/*
 * Spare sheaves (see "The spare sheaf") for the kmalloc caches of normal
 * memory up to SPARE_SHEAF_MAX_SIZE, as Linux 6.18 gives sheaves to the
 * caches that ask (kmem_cache_args.sheaf_capacity): made with the cache,
 * every CPU's, so that no free or allocation ever has to make one (a page
 * allocation inside them would take injected failures meant for their
 * callers, and hold pages that a later call, not the first, made).  Not
 * written until its CPU first hands a run of frees back to a slab
 * (spare_activate()): a short process writes no page for a spare it never
 * uses.  Each starts at capacity 0, unused until its CPU recycles runs.
 * A CPU whose pages cannot be had goes without.
 */
static void spares_create(struct kmem_cache *s)
{
	for (unsigned int cpu = 0; cpu < nr_cpu_ids; cpu++)
		cpu_slab(s, (int)cpu)->spare = &slab_no_spare;
	s->spares = false;
	if (!s->spare_pages || !(s->flags & SLAB_KMALLOC) || kmem_cache_debug(s) ||
	    s->size > SPARE_SHEAF_MAX_SIZE ||
	    (s->flags & (SLAB_RECLAIM_ACCOUNT | SLAB_CACHE_DMA | SLAB_CACHE_DMA32)))
		return;
	s->spares = true;
	for (unsigned int cpu = 0; cpu < nr_cpu_ids; cpu++) {
		/* __GFP_NOFAIL: no injected failure is spent here (it still may fail). */
		struct slab_spare *sp = (struct slab_spare *)__get_free_pages(
			GFP_NOWAIT | __GFP_NOFAIL | __GFP_NOWARN, get_order(spare_bytes(SPARE_SHEAF_MAX)));

		s->spare_pages[cpu] = sp;
	}
}

/* @c, a CPU part of @s, starts to use its spare sheaf, if it has one. */
static void spare_activate(struct kmem_cache *s, struct kmem_cache_cpu *c)
{
	struct slab_spare *sp;

	if (likely(c->spare != &slab_no_spare) || !s->spares ||
	    !(sp = s->spare_pages[c - s->cpu_slab]))
		return;
	memset(sp, 0, sizeof(*sp));
	c->spare = sp;
}

/* Lay out @s for its flags and size; nodes come from kmem_cache_node unless set. */
int __kmem_cache_create(struct kmem_cache *s, slab_flags_t flags)
{
	s->flags = kmem_cache_flags(flags, s->name);
	s->random = get_random_long();
	if (!calculate_sizes(s))
		return -EINVAL;
	/* Debug caches check their own bytes; RCU readers may read free objects. */
	s->annotated = KMM_ANNOTATE_ON && !kmem_cache_debug(s) &&
		       !(s->flags & SLAB_TYPESAFE_BY_RCU);
	if (s->annotated)
		annot_pool_create(s);
	set_min_partial(s, (unsigned long)(fls32(s->size) - 1) / 2);
	set_cpu_partial(s);
	spares_create(s);
	for (unsigned int cpu = 0; cpu < nr_cpu_ids; cpu++) {
		cpu_slab(s, (int)cpu)->cache = s;
		cpu_slab(s, (int)cpu)->reciprocal_size = s->reciprocal_size;
	}
	if (!s->node[0] && init_kmem_cache_nodes(s)) {
		if (s->annotated)
			annot_pool_destroy(s);
		return -ENOMEM;
	}
	return 0;
}

void __kmem_cache_release(struct kmem_cache *s)
{
	for (unsigned int cpu = 0; s->spares && cpu < nr_cpu_ids; cpu++) {
		struct slab_spare *sp = s->spare_pages[cpu];

		if (sp)
			free_pages((unsigned long)sp, get_order(spare_bytes(SPARE_SHEAF_MAX)));
		s->spare_pages[cpu] = NULL;
		cpu_slab(s, (int)cpu)->spare = &slab_no_spare;
	}
	if (s->annotated)
		annot_pool_destroy(s);
	free_kmem_cache_nodes(s);
}

/*
 * init_on_free: zero what the user had (the requested size of a kmalloc
 * object that keeps it) and the metadata after the object, not the red
 * zone before it.  Before the object goes on a freelist.
 */
static void slab_init_on_free(struct kmem_cache *s, void *x)
{
	unsigned int inuse = get_info_end(s), orig_size = get_orig_size(s, x);
	unsigned int rsize = (s->flags & SLAB_RED_ZONE) ? s->red_left_pad : 0;

	if (s->annotated)	/* all of it is zeroed, past a kmalloc request too */
		annot_obj_grow(s, x, slab_object_size(s));
	memset(x, 0, orig_size);
	memset((char *)x + inuse, 0, s->size - inuse - rsize);
	set_orig_size(s, x, orig_size);
}

/* --- reports --- */

/* A free of an object already free: refused. */
static void report_double_free(struct kmem_cache *s, struct slab *slab, void *object)
{
	object_err(s, slab, object, "Object already free");
	slab_fix(s, "Object at 0x%016lx not freed", (unsigned long)object);
}

/*
 * Is @x the start of an object of @slab?  Returns the cache to free it
 * into, or NULL after a report.  @s is the cache the caller named (NULL for
 * kfree); another cache is reported as Linux's cache_from_obj() does, and
 * the object goes back to the cache it came from.
 */
__noinline struct kmem_cache *slab_validate_object(struct kmem_cache *s, struct slab *slab,
						 const void *x)
{
	struct kmem_cache *cachep = READ_ONCE(slab->slab_cache);

	if (unlikely(s && cachep != s)) {
		kmm_report_count_inc(KMM_REPORT_SLAB);
		WARN(1, "cache_from_obj: Wrong slab cache. %s but object is from %s\n",
		     s->name, cachep ? cachep->name : "(null)");
	}
	if (unlikely(!cachep))
		return NULL;
	if (unlikely(!check_valid_pointer(cachep, slab, x))) {
		slab_err(cachep, slab, "Invalid object pointer 0x%016lx", (unsigned long)x);
		slab_fix(cachep, "Object at 0x%016lx not freed", (unsigned long)x);
		return NULL;
	}
	return cachep;
}

/* --- slabs: allocating, committing, discarding --- */

static inline enum node_stat_item cache_vmstat_idx(const struct kmem_cache *s)
{
	return (s->flags & SLAB_RECLAIM_ACCOUNT) ? NR_SLAB_RECLAIMABLE_B : NR_SLAB_UNRECLAIMABLE_B;
}

#define GFP_SLAB_BUG_MASK (__GFP_DMA32 | __GFP_HIGHMEM | ~__GFP_BITS_MASK)
#define GFP_RECLAIM_MASK (__GFP_RECLAIM | __GFP_HIGH | __GFP_IO | __GFP_FS | \
			  __GFP_NOWARN | __GFP_RETRY_MAYFAIL | __GFP_NOFAIL | \
			  __GFP_NORETRY | __GFP_MEMALLOC | __GFP_NOMEMALLOC)
#define GFP_CONSTRAINT_MASK (__GFP_HARDWALL | __GFP_THISNODE)

static gfp_t kmalloc_fix_flags(gfp_t flags)
{
	gfp_t invalid = flags & GFP_SLAB_BUG_MASK;
	char a[128], b[128];

	flags &= ~GFP_SLAB_BUG_MASK;
	kmm_format_gfp(a, sizeof(a), invalid);
	kmm_format_gfp(b, sizeof(b), flags);
	pr_warn("Unexpected gfp: %#x (%s). Fixing up to gfp: %#x (%s). Fix your code!\n",
		invalid, a, flags, b);
	dump_stack();
	return flags;
}

static struct page *alloc_slab_page(gfp_t flags, int node, unsigned int order)
{
	return __alloc_pages(flags, order, node < 0 ? 0 : node, NULL);
}

/*
 * Are the objects of @s's new slabs left unlinked (see "Lazy slabs"
 * above)?  Not in a debug cache, which allocates from its slabs' freelists
 * one object at a time, nor in one the tools watch, which annotate each
 * object as it is linked.
 */
static inline bool slab_lazy(const struct kmem_cache *s)
{
	return !kmem_cache_debug(s) && !s->annotated;
}

/*
 * Link @nr objects from @first, in address order, the last to @next, with
 * what the loop needs in registers: a store through an object could alias
 * s->size or s->random for all the compiler knows.  Not for an annotated
 * cache (set_freepointer() tells the tools).  Returns @first.
 */
static void *link_objects(const struct kmem_cache *s, char *first, unsigned int nr, void *next)
{
	unsigned int size = s->size, offset = s->offset;
	unsigned long random = s->random;
	char *p = first, *last = first + (unsigned long)(nr - 1) * size;

	for (; p < last; p += size)
		*(unsigned long *)(p + offset) =
			freelist_link_encode(random, p + size, (unsigned long)p + offset);
	*(unsigned long *)(p + offset) = freelist_link_encode(random, next,
							      (unsigned long)p + offset);
	return first;
}

/*
 * Allocate and lay out a new slab: pages, colour, ctors, and the freelist,
 * unless the cache's slabs are lazy (slab_lazy()): then slab->freelist is
 * the first object, and no object holds a link yet.  The pages are still
 * plain allocated pages: slab_commit() makes them a slab.
 * Context: preemptible if @flags allow blocking.
 */
static struct slab *new_slab(struct kmem_cache *s, gfp_t flags, int node)
{
	unsigned int order = s->order, objects = s->objects;
	struct page *page = NULL;
	gfp_t alloc_gfp;

	if (unlikely(flags & GFP_SLAB_BUG_MASK))
		flags = kmalloc_fix_flags(flags);
	flags = (flags & (GFP_RECLAIM_MASK | GFP_CONSTRAINT_MASK)) | s->allocflags;
	/* The preferred order only if it comes easily; then the smallest that fits. */
	alloc_gfp = (flags | __GFP_NOWARN | __GFP_NORETRY) & ~__GFP_NOFAIL;
	if (order > s->min_order)
		page = alloc_slab_page(alloc_gfp, node, order);
	if (!page) {
		order = s->min_order;
		objects = s->min_objects;
		if (order)
			flags |= __GFP_COMP;
		else
			flags &= ~__GFP_COMP;
		page = alloc_slab_page(flags, node, order);
		if (!page)
			return NULL;
	}

	struct slab *slab = page_slab(page);
	unsigned int leftover = (unsigned int)((PAGE_SIZE << order) - (unsigned long)objects * s->size);
	unsigned int step = max((unsigned int)cache_line_size(), s->align);

	/*
	 * The next colour of the cycle, 0, step, 2 * step, ... up to the
	 * leftover, then 0 again: colour_next holds the next offset, so no
	 * division is needed (two per slab were a fair part of its making).
	 * Not a locked update: two CPUs that race here just give two slabs
	 * the same colour, as SLAB's per-node colour_next could; a locked
	 * instruction per slab costs more.
	 */
	unsigned int colour = 0;

	if (leftover >= step) {
		colour = __atomic_load_n(&s->colour_next, __ATOMIC_RELAXED);
		if (colour > leftover)
			colour = 0;
		__atomic_store_n(&s->colour_next, colour + step, __ATOMIC_RELAXED);
	}
	/* One store: no object in use, not frozen (see SLAB_INUSE_MASK). */
	slab->counters = (unsigned long)colour << SLAB_COLOUR_SHIFT |
			 (unsigned long)objects << SLAB_OBJECTS_SHIFT;

	if (kmem_cache_debug(s))
		setup_slab_debug(s, slab);
	char *start = slab_first_object(s, slab), *p = start;
	if (likely(slab_lazy(s))) {
		/* The ctors run now, as Linux runs them when it sets a slab up. */
		for (unsigned int i = 0; s->ctor && i < objects; i++, p += s->size)
			s->ctor(p);
	} else {
		for (unsigned int i = 0; i < objects; i++, p += s->size) {
			if (kmem_cache_debug(s))
				setup_object_debug(s, p);
			if (s->ctor)
				s->ctor(p);
			set_freepointer(s, p, i + 1 < objects ? p + s->size : NULL);
		}
	}
	slab->freelist = start;
	if (s->annotated)
		annot_noaccess(slab_address(slab), slab_size(slab));
	return slab;
}

/*
 * Make the laid-out @slab a slab of @s, on no list, its counters
 * @counters (new_slab()'s with inuse and frozen set).  In a section.
 */
static void slab_account(struct kmem_cache *s, struct slab *slab, unsigned long counters)
{
	struct page *page = slab_page(slab);
	struct kmem_cache_node *n = get_node(s, page_to_nid(page));

	slab->slab_cache = s;
	slab->counters = counters;
	__SetPageSlab(page);
	atomic_long_inc(&n->nr_slabs);
	atomic_long_add(counters_objects(counters), &n->total_objects);
	__mod_node_page_state(page_pgdat(page), cache_vmstat_idx(s), 1L << slab_order(slab));
}

/* ... and frozen for the calling CPU: returns its freelist.  In a section. */
static void *slab_commit(struct kmem_cache *s, struct slab *slab)
{
	void *freelist = slab->freelist;
	unsigned long counters = slab->counters;

	slab_account(s, slab, counters_set_frozen(counters_set_inuse(counters,
						counters_objects(counters)), true));
	slab->freelist = NULL;
	return freelist;
}

/* Give a slab's pages back to the page allocator.  In a section. */
static void free_slab(struct kmem_cache *s, struct slab *slab)
{
	struct page *page = slab_page(slab);
	unsigned int order = slab_order(slab);

	__mod_node_page_state(page_pgdat(page), cache_vmstat_idx(s), -(1L << order));
	slab->slab_cache = NULL;
	slab->freelist = NULL;
	slab->counters = 0;
	INIT_LIST_HEAD(&slab->slab_list);
	__ClearPageSlab(page);
	if (s->annotated)
		annot_plain(slab_address(slab), PAGE_SIZE << order);
	/*
	 * Our own allocation, known good: the last reference straight to the
	 * free, without the checks of a free that may be bad (as Linux frees
	 * its slabs with free_frozen_pages()); the free still checks the page.
	 */
	if (page_ref_dec_and_test(page))
		__free_frozen_pages(page, order);
}

/* A SLAB_TYPESAFE_BY_RCU slab's grace period is over.  Callbacks run in a section. */
void rcu_free_slab(struct rcu_head *head)
{
	struct slab *slab = container_of(head, struct slab, rcu_head);

	free_slab(slab->slab_cache, slab);
}

/*
 * Discard an empty slab, on no list.  A SLAB_TYPESAFE_BY_RCU slab stays a
 * slab of its cache until a grace period has passed, for readers that may
 * still look at its objects.  In a section.
 */
static void discard_slab(struct kmem_cache *s, struct slab *slab)
{
	struct kmem_cache_node *n = get_node(s, slab_nid(slab));

	atomic_long_dec(&n->nr_slabs);
	atomic_long_sub(slab->objects, &n->total_objects);
	if (unlikely(s->flags & SLAB_TYPESAFE_BY_RCU))
		call_rcu(&slab->rcu_head, rcu_free_slab);
	else
		free_slab(s, slab);
}

static inline void add_partial(struct kmem_cache_node *n, struct slab *slab, bool tail)
{
	n->nr_partial++;
	if (tail)
		list_add_tail(&slab->slab_list, &n->partial);
	else
		list_add(&slab->slab_list, &n->partial);
}

static inline void remove_partial(struct kmem_cache_node *n, struct slab *slab)
{
	list_del(&slab->slab_list);
	n->nr_partial--;
}

/* Full slabs are listed only where leak reports and validation need them. */
static inline void add_full(struct kmem_cache *s, struct kmem_cache_node *n, struct slab *slab)
{
	if (s->flags & SLAB_STORE_USER)
		list_add(&slab->slab_list, &n->full);
}

static inline void remove_full(struct kmem_cache *s, struct slab *slab)
{
	if (s->flags & SLAB_STORE_USER)
		list_del_init(&slab->slab_list);
}

/* --- debug caches: one object at a time, under the list lock --- */

static void slab_out_of_memory(struct kmem_cache *s, gfp_t gfp, int node);

/* Take one object from partial @slab; moves it to full when that was the last. */
static void *alloc_single_from_partial(struct kmem_cache *s, struct kmem_cache_node *n,
				       struct slab *slab, unsigned int orig_size)
{
	void *object = slab->freelist;

	if ((s->flags & SLAB_CONSISTENCY_CHECKS) && !PageSlab(slab_page(slab))) {
		slab_err(s, slab, "Not a valid slab page");
		return NULL;
	}
	slab->freelist = get_freepointer(s, object);
	slab->inuse++;
	if (!alloc_debug_processing(s, slab, object, orig_size)) {
		remove_partial(n, slab);
		return NULL;
	}
	if (slab->inuse == slab->objects) {
		remove_partial(n, slab);
		add_full(s, n, slab);
	}
	return object;
}

/* Take the first object of a new @slab and list the slab.  In a section. */
static void *alloc_single_from_new_slab(struct kmem_cache *s, struct slab *slab,
					unsigned int orig_size)
{
	struct kmem_cache_node *n = get_node(s, slab_nid(slab));
	void *object;

	slab_account(s, slab, slab->counters);
	__spin_lock(&n->list_lock);
	object = slab->freelist;
	slab->freelist = get_freepointer(s, object);
	slab->inuse = 1;
	if (!alloc_debug_processing(s, slab, object, orig_size)) {
		/* Corrupted already (by a stray writer?): the slab stays out of use. */
		__spin_unlock(&n->list_lock);
		return NULL;
	}
	if (slab->inuse == slab->objects)
		add_full(s, n, slab);
	else
		add_partial(n, slab, false);
	__spin_unlock(&n->list_lock);
	return object;
}

static void *alloc_debug_from_partial(struct kmem_cache *s, int node, unsigned int orig_size)
{
	int first = node < 0 ? 0 : node;

	for (int i = 0; i < nr_online_nodes; i++) {
		int nid = (first + i) % nr_online_nodes;
		struct kmem_cache_node *n = get_node(s, nid);
		struct slab *slab, *next;
		void *object = NULL;

		if (i && node != NUMA_NO_NODE)
			break;
		if (!n || !data_race(READ_ONCE(n->nr_partial)))	/* a hint, as below */
			continue;
		__spin_lock(&n->list_lock);
		list_for_each_entry_safe(slab, next, &n->partial, slab_list) {
			object = alloc_single_from_partial(s, n, slab, orig_size);
			if (object)
				break;
		}
		__spin_unlock(&n->list_lock);
		if (object)
			return object;
	}
	return NULL;
}

/*
 * The allocation path of a debug cache.  Called and returns with
 * preemption disabled; drops it to allocate pages.
 */
static void *debug_slab_alloc(struct kmem_cache *s, gfp_t gfpflags, int node,
			      unsigned long addr, unsigned int orig_size)
{
	void *object = alloc_debug_from_partial(s, node, orig_size);

	if (!object) {
		struct slab *slab;

		__preempt_enable();
		slab = new_slab(s, gfpflags, node);
		__preempt_disable();
		if (unlikely(!slab)) {
			slab_out_of_memory(s, gfpflags, node);
			return NULL;
		}
		object = alloc_single_from_new_slab(s, slab, orig_size);
	}
	if (object && (s->flags & SLAB_STORE_USER))
		set_track(s, object, TRACK_ALLOC, addr);
	return object;
}

/* The free path of a debug cache.  In a section. */
static void free_to_partial_list(struct kmem_cache *s, struct slab *slab, void *object,
				 unsigned long addr)
{
	struct kmem_cache_node *n = get_node(s, slab_nid(slab));
	depot_stack_handle_t handle = 0;
	struct slab *slab_free = NULL;
	void *prior;

	if (s->flags & SLAB_STORE_USER)
		handle = stack_depot_save_current(0);
	__spin_lock(&n->list_lock);
	prior = slab->freelist;
	if (unlikely(object == prior)) {
		__spin_unlock(&n->list_lock);
		report_double_free(s, slab, object);
		return;
	}
	if (!free_debug_processing(s, slab, object, addr, handle))
		goto out;
	if (unlikely(slab_want_init_on_free(s)))
		slab_init_on_free(s, object);
	set_freepointer(s, object, prior);
	slab->freelist = object;
	slab->inuse--;
	if (!slab->inuse && n->nr_partial >= s->min_partial) {
		slab_free = slab;
		if (prior)
			remove_partial(n, slab);
		else
			remove_full(s, slab);
	} else if (!prior) {
		/* It was full. */
		remove_full(s, slab);
		add_partial(n, slab, true);
	}
out:
	__spin_unlock(&n->list_lock);
	if (slab_free)
		discard_slab(s, slab_free);
}

/* --- the CPU slab --- */

/*
 * kfree()'s guesses (kmm_cpu.kmalloc_hint, set by the kmalloc fast path:
 * the CPU's part of a kmalloc cache): from the CPUs' creation until the
 * first kmalloc, and again once the caches are gone, the part of a cache
 * of nothing, so that kfree() need not test for none: it is empty (no CPU
 * slab, no deferred frees: limit 0), so no address is ever found in it,
 * and nothing ever writes it.
 */
static struct kmem_cache no_hint = { .name = "(no hint)" };
static struct kmem_cache_cpu no_hint_cpu_slab = { .cache = &no_hint, .spare = &slab_no_spare };
void *const kmm_cpu_hint_none = &no_hint_cpu_slab;

static void kmalloc_hints_reset(void)
{
	for (unsigned int cpu = 0; cpu < nr_cpu_ids; cpu++)
		WRITE_ONCE(kmm_cpus[cpu].kmalloc_hint, &no_hint_cpu_slab);
}

/* Frees of @s that must take the slow path for what they do per object. */
static __always_inline bool slab_free_hooks(const struct kmem_cache *s)
{
	return slab_want_init_on_free(s) || s->annotated || kmemleak_tracks(s);
}

/* Make @slab (or none) the CPU slab of @c.  Context: owns the CPU of @c. */
static void cpu_slab_set(struct kmem_cache *s, struct kmem_cache_cpu *c, struct slab *slab)
{
	WRITE_ONCE(c->slab, slab);	/* flush_all() looks without owning the CPU */
	c->base = slab ? (unsigned long)slab_first_object(s, slab) : 0;
	/* objects never changes; frees from other CPUs change inuse, in its word. */
	c->limit = slab && !slab_free_hooks(s) ?
		   (unsigned long)data_race(slab->objects) * s->size : 0;
	c->bump = c->limit;	/* no never-used objects ("Lazy slabs" above) */
}

/*
 * Unfreeze the slabs of a CPU partial list, @slab and those after it, onto
 * their nodes' partial lists, or back to the page allocator when empty and
 * the node has enough partial slabs (Linux's __put_partials()).  The list
 * is no CPU's any more.  In a section.
 */
static void __put_partials(struct kmem_cache *s, struct slab *slab)
{
	struct kmem_cache_node *n = NULL;
	struct slab *discard = NULL;

	while (slab) {
		struct kmem_cache_node *n2 = get_node(s, slab_nid(slab));
		struct slab *next = slab->next;
		unsigned long old, new;
		void *freelist;

		if (n != n2) {
			if (n)
				__spin_unlock(&n->list_lock);
			n = n2;
			__spin_lock(&n->list_lock);
		}
		do {
			freelist = READ_ONCE(slab->freelist);
			old = READ_ONCE(slab->counters);
			new = counters_set_frozen(old, false);
		} while (!slab_update_freelist(slab, freelist, old, freelist, new));
		if (!counters_inuse(new) && n->nr_partial >= s->min_partial) {
			slab->next = discard;
			discard = slab;
		} else {
			add_partial(n, slab, true);
		}
		slab = next;
	}
	if (n)
		__spin_unlock(&n->list_lock);
	while (discard) {
		struct slab *next = discard->next;

		discard_slab(s, discard);
		discard = next;
	}
}

/* Empty the partial list of @c onto the nodes.  Owns the CPU of @c. */
static void put_partials_cpu(struct kmem_cache *s, struct kmem_cache_cpu *c)
{
	struct slab *partial = c->partial;

	if (partial) {
		WRITE_ONCE(c->partial, NULL);
		__put_partials(s, partial);
	}
}

/*
 * Take the oldest slab off the partial list of @c: the one that has had
 * the longest to gather frees (a slab joins the list at its first), so a
 * refill gets more objects than from the newest.  The list is short
 * (cpu_partial_slabs); the slabs before it count one fewer.  Owns the CPU
 * of @c.
 */
static struct slab *pop_cpu_partial(struct kmem_cache_cpu *c)
{
	struct slab *slab = c->partial, **link = &c->partial;

	if (!slab)
		return NULL;
	while (slab->next) {
		slab->slabs--;
		link = &slab->next;
		slab = slab->next;
	}
	WRITE_ONCE(*link, NULL);
	return slab;
}

/*
 * Put the frozen @slab on the partial list of @c (Linux's
 * put_cpu_partial()).  With @drain, a list already at cpu_partial_slabs
 * goes to the nodes first and @slab starts a new one; without (a refill
 * taking several slabs from a node), the caller bounds the list.  Owns
 * the CPU of @c.
 */
static void put_cpu_partial(struct kmem_cache *s, struct kmem_cache_cpu *c, struct slab *slab,
			    bool drain)
{
	struct slab *old = c->partial, *full = NULL;
	int slabs = 0;

	if (old) {
		if (drain && old->slabs >= (int)READ_ONCE(s->cpu_partial_slabs)) {
			full = old;
			old = NULL;
		} else {
			slabs = old->slabs;
		}
	}
	slab->slabs = slabs + 1;
	slab->next = old;
	WRITE_ONCE(c->partial, slab);
	if (full)
		__put_partials(s, full);
}

/*
 * Give @slab a chain of @nr of its objects, @head to @tail, linked by their
 * free pointers (the CPU's deferred frees), as Linux's __slab_free(): one
 * slab_update_freelist() with no lock while the slab keeps its place (a
 * frozen slab, or a partial slab that stays partial).  A full slab that
 * gets objects back is frozen by the same exchange and goes on this CPU's
 * partial list (@c's), still with no lock; in a cache without CPU partial
 * lists it goes on the node's partial list instead, under the node's
 * list_lock, taken before the exchange, as when an unfrozen slab empties
 * (and, beyond min_partial, goes back to the page allocator).  Whoever
 * lists, unlists, freezes or unfreezes a slab with free objects holds
 * that lock across its exchange, so under the lock a slab that is neither
 * frozen nor full is on its node's partial list.  In a section, on the
 * CPU of @c; never for a debug cache (free_to_partial_list()).
 */
static void slab_free_chain(struct kmem_cache *s, struct kmem_cache_cpu *c, struct slab *slab,
			    void *head, void *tail, unsigned int nr)
{
	bool cpu_partial = READ_ONCE(s->cpu_partial_slabs) != 0;
	struct kmem_cache_node *n = NULL;
	unsigned long old, new;
	void *prior;

	do {
		prior = READ_ONCE(slab->freelist);
		old = READ_ONCE(slab->counters);
		if (unlikely(counters_inuse(old) < nr)) {
			/* More frees than objects in use: some object was freed twice. */
			if (n)
				__spin_unlock(&n->list_lock);
			report_double_free(s, slab, head);
			return;
		}
		set_freepointer(s, tail, prior);
		new = old - nr;		/* inuse, the low bits: at least @nr */
		if (!counters_frozen(old) && !prior && cpu_partial && !n) {
			new = counters_set_frozen(new, true);	/* ours now: for this CPU's partial list */
		} else if (!n && !counters_frozen(old) && (!prior || !counters_inuse(new))) {
			n = get_node(s, slab_nid(slab));
			__spin_lock(&n->list_lock);
		}
	} while (!slab_update_freelist(slab, prior, old, head, new));

	if (likely(!n)) {
		if (!counters_frozen(old) && counters_frozen(new))
			put_cpu_partial(s, c, slab, true);
		return;
	}
	if (counters_frozen(old)) {
		/* It became a CPU's slab while we took the lock: that CPU has it. */
		__spin_unlock(&n->list_lock);
		return;
	}
	if (!counters_inuse(new) && n->nr_partial >= s->min_partial) {
		if (prior)
			remove_partial(n, slab);
		__spin_unlock(&n->list_lock);
		discard_slab(s, slab);
		return;
	}
	if (!prior)
		add_partial(n, slab, true);	/* it was full */
	__spin_unlock(&n->list_lock);
}

/* The slab of @c's deferred frees, or NULL. */
static inline struct slab *defer_slab(const struct kmem_cache_cpu *c)
{
	return c->defer_head ? virt_to_slab((void *)c->defer_base) : NULL;
}

/*
 * The object range of @slab of @s for @c's deferred frees (as for the CPU
 * slab, see cpu_slab_set(): limit 0 when every free takes the full path).
 */
static inline void defer_range_of(struct kmem_cache *s, struct kmem_cache_cpu *c,
				  struct slab *slab)
{
	c->defer_base = (unsigned long)slab_first_object(s, slab);
	c->defer_limit = slab_free_hooks(s) ? 0 : data_race(slab->objects) * s->size;
}

/* Reset the deferred frees of @c to none. */
static inline void defer_clear(struct kmem_cache_cpu *c)
{
	c->defer_head = c->defer_tail = NULL;
	c->defer_count = c->defer_inuse = 0;
	c->defer_base = 0;
	c->defer_limit = 0;
}

/*
 * Give the first @nr objects of @c's sheaf to their slabs, those of one
 * slab chained and handed over in one exchange, as Linux's bulk free
 * builds a detached freelist per slab: a run freed into the sheaf (a
 * batch allocated together and freed together) goes back as the run it
 * was.  The rest of the sheaf moves down.  In a section, on the CPU of @c.
 */
static void objects_give_back(struct kmem_cache *s, struct kmem_cache_cpu *c, void **objects,
			      unsigned int nr)
{
	for (unsigned int i = 0; i < nr; i++) {
		void *head = objects[i], *tail = head;
		unsigned int cnt = 1;

		if (!head)
			continue;
		struct slab *slab = virt_to_slab(head);
		unsigned long start = (unsigned long)slab_address(slab);
		unsigned long bytes = PAGE_SIZE << slab_order(slab);
		/* As Linux's build_detached_freelist(): a few misses end the look. */
		for (unsigned int j = i + 1, misses = 0; j < nr && misses < 3; j++) {
			void *x = objects[j];

			if (!x)
				continue;
			if ((unsigned long)x - start >= bytes) {
				misses++;
				continue;
			}
			set_freepointer(s, tail, x);
			tail = x;
			objects[j] = NULL;
			cnt++;
		}
		slab_free_chain(s, c, slab, head, tail, cnt);
	}
}

static void sheaf_give_back(struct kmem_cache *s, struct kmem_cache_cpu *c, unsigned int nr)
{
	void **objects = c->sheaf.objects;
	unsigned int size = c->sheaf.size;

	objects_give_back(s, c, objects, nr);
	memmove(&objects[0], &objects[nr], (size - nr) * sizeof(objects[0]));
	c->sheaf.size = size - nr;
}

/* Give every object of @c's sheaf to its slab.  In a section, on the CPU of @c. */
static void sheaf_flush(struct kmem_cache *s, struct kmem_cache_cpu *c)
{
	sheaf_give_back(s, c, c->sheaf.size);
}

/*
 * Make room on @c's full sheaf: its older half (the bottom, the objects
 * freed longest ago, the coldest) goes to their slabs, the newer half
 * stays for the next allocations, so that frees and allocations that
 * take turns around a full sheaf do not empty and refill it whole each
 * time.  In a section, on the CPU of @c.
 */
static void sheaf_make_room(struct kmem_cache *s, struct kmem_cache_cpu *c)
{
	sheaf_give_back(s, c, c->sheaf.size / 2);
}

/* --- the spare sheaf (see "The spare sheaf" above) --- */

/*
 * Per CPU: may any spare sheaf of this CPU hold objects?  Set where a run
 * puts its first object on one (the fast path's pushes need the range
 * that this sets), cleared by spares_give_back_others(): a CPU that takes
 * new slab after new slab with no spare in use (a batch of big objects)
 * does not look at every kmalloc cache each time.  Written by its CPU.
 */
static bool spares_held[NR_CPUS];

/* Do @c's deferred frees vouch for a slab's range for the spare sheaf, with no chain? */
static inline bool spare_range(const struct kmem_cache_cpu *c)
{
	return !c->defer_head && c->defer_tail;
}

/*
 * Let @c's deferred frees' range (the caller sets it: its slab's) vouch
 * for frees to the spare sheaf, whose top object is of that slab: while that object is there (the spare
 * holds more than its index, kept in defer_count; the fast path tests
 * it), the slab cannot empty, so it stays a slab of @s.  Only a run's
 * first free (or the first after room was made) sets it, so no object
 * of another slab comes on the spare below it while the range lasts.
 */
static void spare_range_set(struct kmem_cache_cpu *c)
{
	c->defer_tail = c->spare;
	c->defer_inuse = 0;
	c->defer_count = c->spare->size - 1;
	spares_held[current->cpu] = true;
}

/* Give the oldest @nr objects of @sp, @c's spare sheaf, to their slabs.  On the CPU of @c. */
static void spare_give_back(struct kmem_cache *s, struct kmem_cache_cpu *c,
			    struct slab_spare *sp, unsigned int nr)
{
	/* The range may lose its last object on the spare: it vouches no more. */
	if (spare_range(c))
		defer_clear(c);
	objects_give_back(s, c, sp->objects, nr);
	memmove(&sp->objects[0], &sp->objects[nr], (sp->size - nr) * sizeof(sp->objects[0]));
	WRITE_ONCE(sp->size, sp->size - nr);
}

/*
 * Put @x, a validated object of @s, on @c's sheaf, its older half given
 * back first when full.  Not into the spare sheaf: lone frees (one per
 * slab) would pin a slab each there, a thousand of them.
 */
static void sheaf_add(struct kmem_cache *s, struct kmem_cache_cpu *c, void *x)
{
	if (unlikely(c->sheaf.size == SHEAF_CAPACITY))
		sheaf_make_room(s, c);
	c->sheaf.objects[c->sheaf.size++] = x;
}

/*
 * Make room on @sp, @c's full spare sheaf: all but the newest half of its
 * capacity goes back to the slabs, counted as given.  Frees that overflow
 * it twice over with no refill between (a CPU that frees what others
 * allocate, or a program that frees all it has) halve its capacity first,
 * down to none below SPARE_SHEAF_MIN: a spare nobody allocates from must
 * not keep a thousand objects' slabs.  In a section, on the CPU of @c.
 */
static void spare_make_room(struct kmem_cache *s, struct kmem_cache_cpu *c, struct slab_spare *sp)
{
	unsigned int cap = sp->capacity, nr;

	if (sp->given >= 2 * cap)
		sp->capacity = cap = cap / 2 >= SPARE_SHEAF_MIN ? cap / 2 : 0;
	nr = sp->size - min(sp->size, cap / 2);
	sp->given += nr;
	spare_give_back(s, c, sp, nr);
}

/*
 * Put @x, a validated object of @s, on @c's spare sheaf (after the run of
 * its slab's objects that the fast path put there), making room first
 * when full; on the sheaf if the spare is out of use.  In a section, on
 * the CPU of @c, which has a spare sheaf.
 */
static void spare_add(struct kmem_cache *s, struct kmem_cache_cpu *c, void *x)
{
	struct slab_spare *sp = part_spare(c);

	if (unlikely(sp->size >= sp->capacity))
		spare_make_room(s, c, sp);
	if (unlikely(!sp->capacity)) {
		sheaf_add(s, c, x);
		return;
	}
	sp->objects[sp->size] = x;
	WRITE_ONCE(sp->size, sp->size + 1);
}

/* Is @x the last object put on @c's sheaf or spare sheaf (a double free)? */
static bool sheaves_top(struct kmem_cache_cpu *c, void *x)
{
	struct slab_spare *sp = c->spare;

	return sheaf_top_is(c, x) || x == spare_top(sp);
}

/* Give every object of @c's spare sheaf to its slab.  On the CPU of @c. */
static void spare_flush(struct kmem_cache *s, struct kmem_cache_cpu *c)
{
	struct slab_spare *sp = part_spare(c);

	if (sp && sp->size)
		spare_give_back(s, c, sp, sp->size);
}

/* ... and put it out of use, capacity 0, until its CPU recycles runs again. */
static void spare_stop(struct kmem_cache *s, struct kmem_cache_cpu *c)
{
	struct slab_spare *sp = part_spare(c);

	if (!sp)
		return;
	spare_flush(s, c);
	sp->capacity = 0;
	sp->given = 0;
	sp->high = 0;
}

/*
 * Make room for @bytes more of spare sheaves on this CPU, @s's growing:
 * the other kmalloc caches' spares of this CPU are given back and put out
 * of use, the largest first, until all of them hold at most
 * SPARE_CPU_BYTES.  A program that moves on from one size to the next
 * thus keeps the batch of the size it is at, not of every size it used.
 * In a section.
 */
static void spares_budget(struct kmem_cache *s, unsigned long bytes)
{
	int cpu = current->cpu;

	for (;;) {
		struct kmem_cache *big = NULL;
		unsigned long total = bytes, most = 0;

		for (int i = 0; i <= KMALLOC_SHIFT_HIGH; i++) {
			struct kmem_cache *t = kmalloc_caches[KMALLOC_NORMAL][i];
			struct slab_spare *sp;
			unsigned long held;

			if (!t || t == s || !(sp = cpu_spare(t, cpu)))
				continue;
			held = (unsigned long)sp->capacity * t->size;
			total += held;
			if (held > most) {
				most = held;
				big = t;
			}
		}
		if (total <= SPARE_CPU_BYTES || !big)
			return;
		spare_stop(big, cpu_slab(big, cpu));
	}
}

/*
 * This CPU is to take new pages for a slab of @s: first the objects that
 * the other kmalloc caches' spare sheaves of this CPU hold go back to
 * their slabs, which may give their pages back, so that a program that
 * moved on from a size does not keep its last batch while it asks for
 * more memory.  Their capacity stays.  In a section.
 */
static void spares_give_back_others(struct kmem_cache *s)
{
	int cpu = current->cpu;
	struct kmem_cache_cpu *c = cpu_slab(s, cpu);

	if (likely(!spares_held[cpu]))
		return;
	for (int i = 0; i <= KMALLOC_SHIFT_HIGH; i++) {
		struct kmem_cache *t = kmalloc_caches[KMALLOC_NORMAL][i];

		if (t && t != s && cpu_slab(t, cpu)->spare->size)
			spare_flush(t, cpu_slab(t, cpu));
	}
	/* Only @s's own may hold any now, or take a run's pushes. */
	spares_held[cpu] = c->spare->size || spare_range(c);
}

/*
 * An allocation found @c's sheaf and spare sheaf empty and goes to the
 * slabs: the spare's capacity follows what the CPU recycles.  The first
 * refill after frees grows it to hold the runs of frees handed to their
 * slabs since the last refill (a batch it could have kept), if at least
 * SPARE_SHEAF_GROW, within SPARE_CPU_BYTES (spares_budget()); halves it
 * (none below SPARE_SHEAF_MIN) if it held less than a quarter of its
 * capacity at any run's start since (it is kept, not used); else leaves
 * it.  The spare is empty: nothing to give back.  In a section, on the
 * CPU of @c, a part of @s.
 */
static void spare_refill_seen(struct kmem_cache *s, struct kmem_cache_cpu *c)
{
	struct slab_spare *sp = part_spare(c);
	unsigned int cap;

	if (!sp || sp->refilled || sp->size)
		return;
	cap = sp->capacity;
	if (sp->given >= SPARE_SHEAF_GROW) {
		cap = min(1U << fls32(cap + sp->given - 1), (unsigned int)SPARE_SHEAF_MAX);
		cap = min(cap, SPARE_CPU_BYTES / s->size);
		cap = max(cap, (unsigned int)SPARE_SHEAF_MIN);
		if (cap > sp->capacity)
			spares_budget(s, (unsigned long)cap * s->size);
	} else if (sp->high < cap / 4) {
		cap = cap / 2 >= SPARE_SHEAF_MIN ? cap / 2 : 0;
	}
	sp->capacity = (unsigned short)cap;
	sp->given = 0;
	sp->high = 0;
	sp->refilled = true;
}

/*
 * The free fast path's cpu_free_push() found @x in the range of @c's
 * deferred frees' slab, with the spare sheaf full (SHEAF_FULL): room is
 * made, @x goes on it.  In the fast path's section, which it counts and
 * leaves.
 */
__noinline void sheaf_spill_push(void *x, struct kmem_cache_cpu *c)
{
	unsigned long base = c->defer_base;
	unsigned int limit = c->defer_limit;
	struct slab_spare *sp = c->spare;

	current->preempt_count = 1;
	spare_add(c->cache, c, x);
	/* Making room cleared the range; @x, on the spare now, vouches for it again. */
	if (sp->capacity && spare_top(sp) == x) {
		spare_range_set(c);
		c->defer_base = base;
		c->defer_limit = limit;
	}
	__preempt_enable();
}

/*
 * Hand the deferred frees of @c to their slab.  A run (two or more) counts
 * as given for the spare sheaf's growth.  In a section, on the CPU of @c.
 */
static __noinline void __flush_deferred(struct kmem_cache *s, struct kmem_cache_cpu *c)
{
	struct slab_spare *sp;

	if (c->defer_count > 1) {
		spare_activate(s, c);
		if ((sp = part_spare(c)))
			sp->given += c->defer_count;
	}
	slab_free_chain(s, c, virt_to_slab((void *)c->defer_base), c->defer_head, c->defer_tail,
			c->defer_count);
	defer_clear(c);
}

/* ... if there are any: inline, as most callers find none (a refill after an emptied slab). */
static __always_inline void flush_deferred(struct kmem_cache *s, struct kmem_cache_cpu *c)
{
	if (c->defer_head)
		__flush_deferred(s, c);
}

/*
 * Hand the CPU slab back to its node: its CPU freelist joins the slab's,
 * and the slab goes on the partial list, or nowhere when full, or back to
 * the page allocator when empty and the node has enough partial slabs.
 * Context: owns the CPU of @c.
 */
static void deactivate_slab(struct kmem_cache *s, struct kmem_cache_cpu *c)
{
	struct slab *slab = c->slab;
	void *freelist = c->freelist, *tail = NULL;
	unsigned int nr_free = 0;

	/* The never-used objects of a lazy slab are linked now, before the CPU's. */
	if (c->bump < c->limit)
		freelist = link_objects(s, (char *)c->base + c->bump,
					(c->limit - c->bump) / s->size, freelist);
	cpu_slab_set(s, c, NULL);
	c->freelist = NULL;
	if (!slab)
		return;
	/* Before the lock: objects never changes, inuse in its word does (frees). */
	unsigned int objects = data_race(slab->objects);
	for (void *p = freelist; p; p = get_freepointer(s, p)) {
		if (unlikely(nr_free >= objects)) {
			/* A cycle: some object was freed twice.  Keep what was counted. */
			slab_err(s, slab, "Freelist cycle detected");
			set_freepointer(s, tail, NULL);
			break;
		}
		tail = p;
		nr_free++;
	}

	/* Unfrozen and listed in one hold of the lock: see slab_free_chain(). */
	struct kmem_cache_node *n = get_node(s, slab_nid(slab));
	unsigned long old, new;
	void *prior;

	__spin_lock(&n->list_lock);
	do {
		prior = READ_ONCE(slab->freelist);
		old = READ_ONCE(slab->counters);
		if (tail)
			set_freepointer(s, tail, prior);
		new = counters_set_frozen(old - nr_free, false);
	} while (!slab_update_freelist(slab, prior, old, tail ? freelist : prior, new));
	if (!counters_inuse(new) && n->nr_partial >= s->min_partial) {
		__spin_unlock(&n->list_lock);
		discard_slab(s, slab);
		return;
	}
	if (tail || prior)
		add_partial(n, slab, tail != NULL);
	__spin_unlock(&n->list_lock);
}

/*
 * Take @slab's whole freelist with no lock, leaving it frozen if @freeze,
 * or else frozen only if it had objects: a slab with none is full, on no
 * list, and the next free lists it.
 */
static void *take_freelist(struct slab *slab, bool freeze)
{
	unsigned long old, new;
	void *freelist;

	do {
		freelist = READ_ONCE(slab->freelist);
		old = READ_ONCE(slab->counters);
		new = counters_set_frozen(counters_set_inuse(old, counters_objects(old)),
					  freeze || freelist != NULL);
	} while (!slab_update_freelist(slab, freelist, old, NULL, new));
	return freelist;
}

/* The frees other CPUs made to our CPU slab. */
static void *get_freelist(struct slab *slab)
{
	return take_freelist(slab, false);
}

/*
 * Freeze @slab, off every list, for a CPU's partial list: its objects stay
 * on slab->freelist until it becomes the CPU slab.  Under list_lock.
 */
static void freeze_slab_partial(struct slab *slab)
{
	unsigned long old;
	void *freelist;

	do {
		freelist = READ_ONCE(slab->freelist);
		old = READ_ONCE(slab->counters);
	} while (!slab_update_freelist(slab, freelist, old, freelist,
				       counters_set_frozen(old, true)));
}

/* Freeze @slab, off every list, for this CPU: returns its freelist.  Under list_lock. */
static void *freeze_slab(struct slab *slab)
{
	return take_freelist(slab, true);
}

/*
 * Take a slab off @n's partial list and freeze it for this CPU, and, as
 * Linux does, up to half of cpu_partial_slabs more for the CPU's partial
 * list of @c, all in one hold of the lock.
 */
static struct slab *get_partial_node(struct kmem_cache *s, struct kmem_cache_cpu *c,
				     struct kmem_cache_node *n, void **freelist)
{
	unsigned int more = READ_ONCE(s->cpu_partial_slabs) / 2, taken = 0;
	struct slab *slab = NULL, *next, *first = NULL;

	/* Without the lock, as Linux: an empty list is seen again under it. */
	if (!n || !data_race(READ_ONCE(n->nr_partial)))
		return NULL;
	__spin_lock(&n->list_lock);
	list_for_each_entry_safe(slab, next, &n->partial, slab_list) {
		remove_partial(n, slab);
		if (!first) {
			first = slab;
			*freelist = freeze_slab(slab);
			if (!more)
				break;
			continue;
		}
		freeze_slab_partial(slab);
		put_cpu_partial(s, c, slab, false);
		if (++taken >= more)
			break;
	}
	__spin_unlock(&n->list_lock);
	return first;
}

static struct slab *get_partial(struct kmem_cache *s, struct kmem_cache_cpu *c, int node,
				void **freelist)
{
	int searchnode = node < 0 ? 0 : node;
	struct slab *slab = get_partial_node(s, c, get_node(s, searchnode), freelist);

	if (slab || node != NUMA_NO_NODE)
		return slab;
	for (int nid = 0; nid < nr_online_nodes; nid++) {
		if (nid == searchnode)
			continue;
		if ((slab = get_partial_node(s, c, get_node(s, nid), freelist)))
			return slab;
	}
	return NULL;
}

static void slab_out_of_memory(struct kmem_cache *s, gfp_t gfp, int node)
{
	if (gfp & __GFP_NOWARN)
		return;
	char buf[128];
	kmm_format_gfp(buf, sizeof(buf), gfp);
	pr_warn("SLUB: Unable to allocate memory on node %d, gfp=%#x(%s)\n", node, gfp, buf);
	pr_warn("  cache: %s, object size: %u, buffer size: %u, default order: %u, min order: %u\n",
		s->name, s->object_size, s->size, s->order, s->min_order);
}

/*
 * The slow path: the CPU freelist is empty (or on the wrong node).  Take
 * the remote frees of the CPU slab, else a partial slab, else a new one.
 * Called and returns with preemption disabled; drops it to allocate pages.
 */
/* May @x, a slab object, serve an allocation for @node (or any)? */
static inline bool of_node(const void *x, int node)
{
	return node == NUMA_NO_NODE || slab_nid(virt_to_slab(x)) == node;
}

static __noinline void *___slab_alloc(struct kmem_cache *s, gfp_t gfpflags, int node, unsigned long addr,
			   unsigned int orig_size)
{
	struct kmem_cache_cpu *c = cpu_slab(s, current->cpu);
	struct slab *slab = c->slab;
	void *freelist;

	if (kmem_cache_debug(s))
		return debug_slab_alloc(s, gfpflags, node, addr, orig_size);
	/*
	 * An object from the sheaf: no slab to touch (see "The sheaf" above).
	 * For a node, its top if it is of that node, as Linux's
	 * alloc_from_pcs() looks: a cache allocated only for a node (the
	 * nodes of the caches, kmem_cache_node) reuses what it frees there.
	 */
	if (likely(c->sheaf.size) && of_node(c->sheaf.objects[c->sheaf.size - 1], node))
		return c->sheaf.objects[--c->sheaf.size];
	/* Then the spare sheaf's (see "The spare sheaf"), as cpu_pop() takes them. */
	if (c->spare->size && of_node(spare_top(c->spare), node)) {
		WRITE_ONCE(c->spare->size, c->spare->size - 1);
		return c->spare->objects[c->spare->size];
	}
	spare_refill_seen(s, c);
	/* Our own deferred frees first: their objects may be what we need. */
	flush_deferred(s, c);

	if (slab) {
		if (unlikely(node != NUMA_NO_NODE && slab_nid(slab) != node)) {
			deactivate_slab(s, c);
			goto new_slab;
		}
		freelist = c->freelist;
		if (freelist)
			goto load_freelist;
		freelist = cpu_bump_pop(s, c);
		if (freelist)
			return freelist;
		freelist = get_freelist(slab);
		if (freelist)
			goto load_freelist;
		cpu_slab_set(s, c, NULL);	/* full now: on no list */
	}
new_slab:
	/* The CPU's partial list: frozen already, its frees taken with no lock. */
	while (node == NUMA_NO_NODE && (slab = pop_cpu_partial(c))) {
		freelist = get_freelist(slab);
		if (likely(freelist)) {
			cpu_slab_set(s, c, slab);
			goto load_freelist;
		}
	}
	slab = get_partial(s, c, node, &freelist);
	if (slab) {
		cpu_slab_set(s, c, slab);
		goto load_freelist;
	}
	spares_give_back_others(s);
	__preempt_enable();
	slab = new_slab(s, gfpflags, node);
	__preempt_disable();
	if (unlikely(!slab)) {
		slab_out_of_memory(s, gfpflags, node);
		return NULL;
	}
	/* We may run on another CPU now, and it may have a slab meanwhile. */
	c = cpu_slab(s, current->cpu);
	freelist = slab_commit(s, slab);
	if (c->slab)
		deactivate_slab(s, c);
	cpu_slab_set(s, c, slab);
	if (slab_lazy(s)) {
		if (likely(c->limit)) {
			/* The first object now, the others by cpu_bump_pop(). */
			c->bump = s->size;
			return freelist;
		}
		/* Every free takes the slow path (its hooks): a freelist, as ever. */
		link_objects(s, freelist, slab->objects, NULL);
	}
load_freelist:
	c->freelist = get_freepointer(s, freelist);
	return freelist;
}

/*
 * What an allocation may need after the pop, all rare: the tools' view of
 * the object, and zeroing (__GFP_ZERO, init_on_alloc, the free pointer
 * init_on_free could not wipe).
 */
__noinline void *slab_post_alloc_hook(struct kmem_cache *s, gfp_t gfpflags, void *object,
					   unsigned int orig_size)
{
	if (unlikely(!object))
		return NULL;
	orig_size = slab_orig_size(s, orig_size);
	if (s->annotated)
		annot_obj_alloc(s, object, slab_object_size(s), s->ctor != NULL);
	if (unlikely(READ_ONCE(kmm_slab_hooks) & KMM_SLAB_HOOK_KFENCE)) {
		void *kobj = __kfence_alloc(s, orig_size, gfpflags);

		/* Sampled: the KFENCE object replaces the one taken, which goes back. */
		if (kobj) {
			slab_free(s, virt_to_slab(object), object,
				  (unsigned long)__builtin_return_address(0));
			object = kobj;
			goto out;
		}
	}
	if (unlikely(slab_want_init_on_free(s)) && !freeptr_outside_object(s))
		memset((char *)object + s->offset, 0, sizeof(void *));
	if (unlikely(slab_want_init_on_alloc(gfpflags, s))) {
		/* A kmalloc red zone past the request stays red. */
		unsigned int zero_size = slab_object_size(s);

		if ((s->flags & (SLAB_STORE_USER | SLAB_RED_ZONE)) && (s->flags & SLAB_KMALLOC))
			zero_size = orig_size;
		memset(object, 0, zero_size);
	}
	/* A kmalloc object is as long as asked, to the tools. */
	if (s->annotated && orig_size < slab_object_size(s))
		annot_obj_shrink(s, object, orig_size, slab_object_size(s));
out:
	if (unlikely(READ_ONCE(kmm_slab_hooks) & KMM_SLAB_HOOK_KMEMLEAK))
		kmemleak_slab_alloc(s, object, slab_object_size(s), gfpflags);
	return object;
}

/* The whole allocation, out of line: a slab to find, or a CPU to get. */
__noinline void *slab_alloc_slow(struct kmem_cache *s, gfp_t gfpflags, int node,
				      unsigned long addr, unsigned int orig_size)
{
	struct kmem_cache_cpu *c;
	void *object;

	orig_size = slab_orig_size(s, orig_size);
	if (unlikely(current->preempt_count) && gfpflags_allow_blocking(gfpflags))
		might_sleep();
	if (unlikely(READ_ONCE(kmm_fault_armed)) && should_failslab(s, gfpflags))
		return NULL;
	__preempt_disable();
	c = cpu_slab(s, current->cpu);
	object = c->freelist;
	/* The sheaf comes first, as in the fast path (cpu_pop()). */
	if (!object || c->sheaf.size || c->spare->size ||
	    (node != NUMA_NO_NODE && slab_nid(c->slab) != node)) {
		object = ___slab_alloc(s, gfpflags, node, addr, orig_size);
	} else {
		c->freelist = get_freepointer(s, object);
	}
	__preempt_enable();
	if (unlikely((gfpflags & __GFP_ZERO) | READ_ONCE(kmm_slab_hooks)))
		object = slab_post_alloc_hook(s, gfpflags, object, orig_size);
	return object;
}

/*
 * The CPU freelist ran dry inside the fast path's section, which holds the
 * CPU by the active flag alone: count the section, refill, finish.
 */
__noinline void *slab_alloc_refill(struct kmem_cache *s, gfp_t gfpflags,
					unsigned long addr, unsigned int orig_size)
{
	void *object;

	orig_size = slab_orig_size(s, orig_size);
	current->preempt_count = 1;
	object = ___slab_alloc(s, gfpflags, NUMA_NO_NODE, addr, orig_size);

	__preempt_enable();
	if (unlikely((gfpflags & __GFP_ZERO) | READ_ONCE(kmm_slab_hooks)))
		object = slab_post_alloc_hook(s, gfpflags, object, orig_size);
	return object;
}

/* The section is left but its CPU is wanted: hand it over, then finish. */
__noinline void *slab_alloc_leave_slow(struct kmem_cache *s, gfp_t gfpflags, void *object,
					    unsigned int orig_size)
{
	kmm_cpu_leave_slow(current);
	if (unlikely((gfpflags & __GFP_ZERO) | READ_ONCE(kmm_slab_hooks)))
		object = slab_post_alloc_hook(s, gfpflags, object, orig_size);
	return object;
}

void *slab_alloc_node(struct kmem_cache *s, gfp_t gfpflags, int node, unsigned long addr,
		      unsigned int orig_size)
{
	return do_slab_alloc(s, gfpflags, node, addr, orig_size);
}

/*
 * A free to a slab that is not this CPU's: into the CPU's deferred frees,
 * which it starts anew (handing the old ones over) when @slab is not
 * theirs.  A debug cache frees each object to its slab under the list
 * lock.  Context: in a section, @c this CPU's.
 */
static __noinline void __slab_free(struct kmem_cache *s, struct kmem_cache_cpu *c,
				   struct slab *slab, void *object, unsigned long addr)
{
	struct slab_spare *sp = part_spare(c);
	bool same = slab == defer_slab(c);

	if (spare_range(c))
		defer_clear(c);		/* a range for the spare, no chain: a new one comes */
	if (kmem_cache_debug(s)) {
		free_to_partial_list(s, slab, object, addr);
		return;
	}
	if (sp) {
		/* For spare_refill_seen(): frees came, and how full the spare was. */
		sp->refilled = false;
		sp->high = (unsigned short)max((unsigned int)sp->high, sp->size);
	}
	/* The last object freed to the slab, by this CPU or (racy, a hint) by any. */
	if (unlikely(object == (same ? c->defer_head : data_race(READ_ONCE(slab->freelist)))) ||
	    unlikely(sheaves_top(c, object))) {
		report_double_free(s, slab, object);
		return;
	}
	if (unlikely(slab_want_init_on_free(s)))
		slab_init_on_free(s, object);
	if (s->annotated)
		annot_obj_free(s, object, slab_object_size(s));
	if (same) {
		set_freepointer(s, object, c->defer_head);
		c->defer_head = object;
		c->defer_count++;
	} else if (c->defer_count == 1) {
		/*
		 * The last free here started no run: into the sheaf with its
		 * object, for the next allocation, rather than an exchange on
		 * its slab's line now and a refill later.
		 */
		sheaf_add(s, c, c->defer_head);
		defer_clear(c);
	} else {
		flush_deferred(s, c);
	}
	if (!same && sp && sp->capacity) {
		/*
		 * The spare is in use: @object on it, and its slab's range
		 * vouches for the frees after it, which the fast path puts
		 * there by address alone (see "The spare sheaf" above).
		 */
		defer_clear(c);
		spare_add(s, c, object);
		if (sp->capacity) {
			spare_range_set(c);
			defer_range_of(s, c, slab);
		}
		return;
	}
	if (!same) {
		set_freepointer(s, object, NULL);
		c->defer_head = c->defer_tail = object;
		c->defer_count = 1;
		c->defer_inuse = slab_inuse(slab);
		defer_range_of(s, c, slab);
	}
	/* All its objects in use are freed: the slab goes back at once (see above). */
	if (c->defer_count == c->defer_inuse)
		flush_deferred(s, c);
}

/*
 * The free path for a validated object when the fast one does not apply:
 * a double free of the CPU freelist's head or the sheaf's top, the free
 * hooks (init_on_free, the tools), or an object of another slab.  Called
 * in a section; returns out of it.
 */
static void slab_free_section(struct kmem_cache *s, struct slab *slab, void *object,
			      unsigned long addr, struct kmem_cache_cpu *c)
{
	if (unlikely(kmemleak_tracks(s)))
		kmemleak_free(object);
	if (slab != c->slab) {
		__slab_free(s, c, slab, object, addr);
		__preempt_enable();
		return;
	}
	/* The spare's top too: the fast path puts the CPU slab's objects there. */
	if (unlikely(object == c->freelist) ||
	    unlikely(sheaves_top(c, object))) {
		__preempt_enable();
		report_double_free(s, slab, object);
		return;
	}
	if (unlikely(slab_want_init_on_free(s)))
		slab_init_on_free(s, object);
	if (s->annotated)
		annot_obj_free(s, object, slab_object_size(s));
	cpu_freelist_push(s, c, object);
	__preempt_enable();
}

/*
 * Free @object, an object of @slab of @s (checked by the caller), taking
 * this CPU first.  The fast paths come here for everything but a free to
 * the CPU slab.
 */
void slab_free(struct kmem_cache *s, struct slab *slab, void *object, unsigned long addr)
{
	__preempt_disable();
	slab_free_section(s, slab, object, addr, cpu_slab(s, current->cpu));
}

/*
 * The deferred frees the fast path just added to are all the objects their
 * slab had in use: hand them over now, so an empty slab goes back as soon
 * as it would have without deferring.  In the fast path's section.
 */
__noinline void flush_deferred_emptied(struct kmem_cache *s)
{
	struct task_struct *t = current;

	t->preempt_count = 1;
	flush_deferred(s, cpu_slab(s, t->cpu));
	__preempt_enable();
}

/* The section a fast path left found its CPU wanted: hand it over. */
__noinline void slab_free_handback(void)
{
	kmm_cpu_leave_slow(current);
}

/* --- the API of one cache --- */

/* kmem_cache_alloc() the flag's way (see slab_rseq.h). */
static __noinline void *kmem_cache_alloc_flag(struct kmem_cache *s, gfp_t flags,
					      unsigned long addr)
{
	return do_slab_alloc(s, flags, NUMA_NO_NODE, addr, 0);
}

/*
 * The pop of the sheaf or the spare sheaf as a restartable sequence, no
 * section entered; everything else the flag's way, do_slab_alloc().
 */
__fast_path_aligned void *kmem_cache_alloc(struct kmem_cache *s, gfp_t flags)
{
	struct task_struct *t = current;
	struct kmm_cpu *cpu = t->owned;
	void *object;

	if (unlikely(t->preempt_count | READ_ONCE(kmm_slow_paths.any)) ||
	    unlikely(!slab_rseq_pop(t, cpu, cpu_slab_of(s, cpu), false, &object)))
		return kmem_cache_alloc_flag(s, flags, _RET_IP_);
	if (unlikely(flags & __GFP_ZERO))
		return slab_post_alloc_hook(s, flags, object, 0);
	return object;
}

void *kmem_cache_alloc_node(struct kmem_cache *s, gfp_t flags, int node)
{
	if (node >= nr_online_nodes)
		node = NUMA_NO_NODE;
	return slab_alloc_node(s, flags, node, _RET_IP_, slab_object_size(s));
}

void *__kmalloc_cache_noprof(struct kmem_cache *s, gfp_t flags, size_t size)
{
	if (unlikely(size > slab_object_size(s)))
		return NULL;
	return slab_alloc_node(s, flags, NUMA_NO_NODE, _RET_IP_, (unsigned int)size);
}

static __noinline void report_not_slab(const char *who, const void *x)
{
	kmm_report_count_inc(KMM_REPORT_SLAB);
	WARN(1, "%s: Object is not a Slab page!\n", who);
	(void)x;
}

/* Every check, with its report: the fast path's fallback. */
__noinline void __kmem_cache_free(struct kmem_cache *s, void *x, unsigned long addr)
{
	struct slab *slab;

	if (unlikely(!x))
		return;
	if (unlikely(is_kfence_address(x))) {
		kmemleak_free(x);
		__kfence_free(x, addr);
		return;
	}
	if (unlikely(!virt_addr_valid(x) || !(slab = virt_to_slab(x)))) {
		report_not_slab("kmem_cache_free", x);
		return;
	}
	s = slab_validate_object(s, slab, x);
	if (likely(s))
		slab_free(s, slab, x, addr);
}

/*
 * kmem_cache_free() of anything but an object of the CPU slab, inside the
 * fast path's section: a valid object of @s is freed there, anything else
 * leaves the section for the checks and their reports.
 */
__noinline void kmem_cache_free_miss(struct kmem_cache *s, void *x, unsigned long addr)
{
	struct slab *slab;

	current->preempt_count = 1;
	if (likely(virt_addr_valid(x)) && likely(slab = virt_to_slab(x)) &&
	    likely(slab->slab_cache == s && check_valid_pointer(s, slab, x))) {
		slab_free_section(s, slab, x, addr, cpu_slab(s, current->cpu));
		return;
	}
	__preempt_enable();
	__kmem_cache_free(s, x, addr);
}

/*
 * An object of the CPU slab of @s goes straight back on the CPU freelist;
 * anything else (another slab, NULL, a foreign pointer, another cache)
 * takes the out-of-line paths that validate it and report what is wrong.
 */
static __noinline void kmem_cache_free_flag(struct kmem_cache *s, void *x, unsigned long addr)
{
	switch (do_slab_free(s, x)) {
	case FREED:
		return;
	case MISSED_IN_SECTION:
		return kmem_cache_free_miss(s, x, addr);
	case MISSED:
		return __kmem_cache_free(s, x, addr);
	}
}

/* The two pushes as a restartable sequence first (slab_rseq.h), else the flag's way. */
__fast_path_aligned void kmem_cache_free(struct kmem_cache *s, void *x)
{
	struct task_struct *t = current;
	struct kmm_cpu *cpu = t->owned;

	if (unlikely(t->preempt_count) ||
	    unlikely(!slab_rseq_free_push(t, cpu, cpu_slab_of(s, cpu), x)))
		return kmem_cache_free_flag(s, x, _RET_IP_);
}

int kmem_cache_alloc_bulk(struct kmem_cache *s, gfp_t flags, size_t size, void **p)
{
	size_t i;

	for (i = 0; i < size; i++) {
		p[i] = slab_alloc_node(s, flags, NUMA_NO_NODE, _RET_IP_, slab_object_size(s));
		if (unlikely(!p[i])) {
			kmem_cache_free_bulk(s, i, p);
			return 0;
		}
	}
	return (int)i;
}

void kmem_cache_free_bulk(struct kmem_cache *s, size_t size, void **p)
{
	for (size_t i = 0; i < size; i++)
		__kmem_cache_free(s, p[i], _RET_IP_);
}

unsigned int kmem_cache_size(struct kmem_cache *s)
{
	return slab_object_size(s);
}

/* --- kmalloc --- */

/* Above KMALLOC_MAX_CACHE_SIZE: a compound page of the page allocator.  (And 0.) */
static __noinline void *kmalloc_large_node(size_t size, gfp_t flags, int node)
{
	unsigned int order = get_order(size);
	struct page *page;

	if (unlikely(!size))
		return ZERO_SIZE_PTR;
	if (unlikely(size > KMALLOC_MAX_SIZE))
		kmm_report_count_inc(KMM_REPORT_SLAB);	/* the page allocator warns */
	if (unlikely(flags & GFP_SLAB_BUG_MASK))
		flags = kmalloc_fix_flags(flags);
	page = __alloc_pages(flags | __GFP_COMP, order, node < 0 ? 0 : node, NULL);
	if (unlikely(!page))
		return NULL;
	__preempt_disable();
	__SetPageLargeKmalloc(page);
	mod_node_page_state(page_pgdat(page), NR_SLAB_UNRECLAIMABLE_B, 1L << order);
	__preempt_enable();
	if (unlikely(READ_ONCE(kmemleak_enabled)))
		kmemleak_slab_alloc(NULL, page_address(page), size, flags);
	return page_address(page);
}

/* The CPU parts of the kmalloc cache for @size and @flags (NULL with no machine). */
static __always_inline struct kmem_cache_cpu *kmalloc_parts(size_t size, gfp_t flags)
{
	enum kmalloc_cache_type type = KMALLOC_NORMAL;

	if (unlikely(flags & (__GFP_DMA | __GFP_RECLAIMABLE)))
		type = kmalloc_type(flags);
	return kmalloc_cpu_parts[type][kmalloc_index(size)];
}

static __always_inline void *__kmalloc_node(size_t size, gfp_t flags, int node,
					     unsigned long caller)
{
	struct kmem_cache_cpu *parts;

	/* 0 wraps around: one test for both. */
	if (unlikely(size - 1 >= KMALLOC_MAX_CACHE_SIZE))
		return kmalloc_large_node(size, flags, node);
	parts = kmalloc_parts(size, flags);
	if (unlikely(!parts))
		return NULL;	/* no machine */
	if (node >= nr_online_nodes)
		node = NUMA_NO_NODE;
	return __do_slab_alloc(NULL, parts, flags, node, caller, (unsigned int)size);
}

void *kmalloc_node(size_t size, gfp_t flags, int node)
{
	return __kmalloc_node(size, flags, node, _RET_IP_);
}

/* kmalloc() the flag's way (see slab_rseq.h). */
static __noinline void *kmalloc_flag(size_t size, gfp_t flags, unsigned long caller)
{
	return __kmalloc_node(size, flags, NUMA_NO_NODE, caller);
}

/*
 * The pop of the sheaf or the spare sheaf of a kmalloc cache of normal
 * memory as a restartable sequence, with the kfree() hint; everything
 * else the flag's way, __kmalloc_node().
 */
__fast_path_aligned void *kmalloc(size_t size, gfp_t flags)
{
	struct task_struct *t = current;
	struct kmm_cpu *cpu = t->owned;
	struct kmem_cache_cpu *parts, *c;
	void *object;

	/* 0 wraps around: one test for both. */
	if (unlikely(size - 1 >= KMALLOC_MAX_CACHE_SIZE) ||
	    unlikely(flags & (__GFP_DMA | __GFP_RECLAIMABLE)) ||
	    unlikely(t->preempt_count | READ_ONCE(kmm_slow_paths.any)) ||
	    unlikely(!(parts = kmalloc_parts(size, flags))))
		return kmalloc_flag(size, flags, _RET_IP_);
	c = cpu_part_of(parts, cpu);
	if (unlikely(!slab_rseq_pop(t, cpu, c, true, &object)))
		return kmalloc_flag(size, flags, _RET_IP_);
	if (unlikely(flags & __GFP_ZERO))
		return slab_post_alloc_hook(READ_ONCE(c->cache), flags, object, (unsigned int)size);
	return object;
}

void *kmalloc_node_track_caller(size_t size, gfp_t flags, int node, unsigned long caller)
{
	return __kmalloc_node(size, flags, node, caller);
}

static void free_large_kmalloc(struct page *page, const void *object)
{
	if (unlikely(!PageLargeKmalloc(page))) {
		kmm_report_count_inc(KMM_REPORT_SLAB);
		WARN(1, "kfree: object 0x%lx is neither a slab object nor a large kmalloc\n",
		     (unsigned long)object);
		dump_page(page, "Not a kmalloc allocation");
		return;
	}
	if (unlikely(object != page_address(page))) {
		kmm_report_count_inc(KMM_REPORT_SLAB);
		WARN(1, "kfree: invalid pointer 0x%016lx inside a large kmalloc at 0x%016lx\n",
		     (unsigned long)object, (unsigned long)page_address(page));
		return;
	}
	unsigned int order = compound_order(page);
	kmemleak_free(object);
	__preempt_disable();
	__ClearPageLargeKmalloc(page);
	mod_node_page_state(page_pgdat(page), NR_SLAB_UNRECLAIMABLE_B, -(1L << order));
	__free_pages(page, order);
	__preempt_enable();
}

static __noinline void __kfree(const void *x, unsigned long addr)
{
	struct page *page;

	if (unlikely(ZERO_OR_NULL_PTR(x)))
		return;
	if (unlikely(!virt_addr_valid(x))) {
		kmm_report_count_inc(KMM_REPORT_SLAB);
		WARN(1, "kfree: invalid address 0x%lx: not in the direct map\n", (unsigned long)x);
		return;
	}
	if (unlikely(is_kfence_address(x))) {
		kmemleak_free(x);
		__kfence_free((void *)x, addr);
		return;
	}
	page = virt_to_head_page(x);
	if (unlikely(!PageSlab(page))) {
		free_large_kmalloc(page, x);
		return;
	}
	struct slab *slab = page_slab(page);
	struct kmem_cache *s = slab_validate_object(NULL, slab, x);
	if (likely(s))
		slab_free(s, slab, (void *)x, addr);
}

/*
 * kfree() in atomic context, or of a thread that must look for a CPU: the
 * full way, each part in its own section.
 */
static __noinline void kfree_nested(const void *x, unsigned long addr)
{
	struct page *page;
	struct kmem_cache *s;

	if (unlikely(!virt_addr_valid(x)))
		return __kfree(x, addr);
	page = virt_to_head_page(x);
	if (unlikely(!PageSlab(page)))
		return __kfree(x, addr);
	s = slab_validate_object(NULL, page_slab(page), x);
	if (likely(s))
		slab_free(s, page_slab(page), (void *)x, addr);
}

/* kfree() of an address in @slab but not of its cache's CPU slab: as kmem_cache_free_miss(). */
static __noinline void kfree_slab_miss(struct slab *slab, const void *x, unsigned long addr)
{
	struct kmem_cache *s = slab->slab_cache;

	current->preempt_count = 1;
	if (likely(check_valid_pointer(s, slab, x))) {
		slab_free_section(s, slab, (void *)x, addr, cpu_slab(s, current->cpu));
		return;
	}
	__preempt_enable();
	__kfree(x, addr);
}

/*
 * kfree() of an object of a CPU slab that is free already: the full path
 * reports it.  The slab is found here, out of line, not by falling through
 * to kfree()'s own lookup: that join cost the fast path a saved register.
 */
static __noinline void kfree_double(const void *x, unsigned long addr)
{
	kfree_slab_miss(page_slab(virt_to_head_page(x)), x, addr);
}

/* kfree() left its fast path's section: hand the CPU over if wanted, then the full checks. */
static __noinline void kfree_leave_slow(const void *x, unsigned long addr, bool wanted)
{
	if (wanted)
		kmm_cpu_leave_slow(current);
	__kfree(x, addr);
}

/*
 * As kmem_cache_free(), the cache found from the object's slab.  But first
 * a guess, which saves the struct page when it is right: this CPU's part
 * of the kmalloc cache it allocated from last (kmm_cpu.kmalloc_hint), whose
 * CPU slab and deferred frees are known by address alone, as a kfree so
 * often frees a recent kmalloc of the same size.  Anything that is no
 * slab object, and frees in atomic context, go out of line (__kfree(),
 * kfree_nested()).
 */
static __noinline void kfree_flag(const void *x, unsigned long addr)
{
	struct task_struct *t = current;
	unsigned int *active = t->active;	/* kept for cpu_leave_flag() */
	struct kmem_cache_cpu *hint;
	struct kmem_cache *s;
	struct kmm_cpu *cpu;
	struct slab *slab;

	if (unlikely(t->preempt_count) || unlikely(!(cpu = cpu_enter_held(t))))
		return kfree_nested(x, addr);
	hint = cpu->kmalloc_hint;	/* never NULL (kmalloc_hints_reset()) */
	switch (cpu_free_push(hint, (void *)x)) {
	case PUSHED:
		goto out;
	case PUSHED_EMPTIED:
		return flush_deferred_emptied(hint->cache);
	case SHEAF_FULL:
		return sheaf_spill_push((void *)x, hint);
	case NOT_OURS:
		break;
	case CPU_SLAB_DOUBLE:
		return kfree_double(x, addr);
	}
	if (unlikely(!virt_addr_valid(x)))
		return kfree_leave_slow(x, addr, cpu_leave_held(t, cpu));
	slab = page_slab(virt_to_head_page(x));
	s = slab->slab_cache;
	if (unlikely(!PageSlab(slab_page(slab)) || !s))
		return kfree_leave_slow(x, addr, cpu_leave_held(t, cpu));
	if (s == hint->cache)
		return kfree_slab_miss(slab, x, addr);
	switch (cpu_free_push(cpu_slab_of(s, cpu), (void *)x)) {
	case PUSHED:
		break;
	case PUSHED_EMPTIED:
		return flush_deferred_emptied(s);
	case SHEAF_FULL:
		return sheaf_spill_push((void *)x, cpu_slab_of(s, cpu));
	case NOT_OURS:
	case CPU_SLAB_DOUBLE:
		return kfree_slab_miss(slab, x, addr);
	}
out:
	if (unlikely(cpu_leave_flag(active, cpu)))
		slab_free_handback();
}

/*
 * The two pushes, on the hint's CPU part, as a restartable sequence
 * (slab_rseq.h); everything else the flag's way, kfree_flag().
 */
__fast_path_aligned void kfree(const void *x)
{
	struct task_struct *t = current;

	if (unlikely(t->preempt_count))
		return kfree_nested(x, _RET_IP_);
	if (unlikely(!slab_rseq_free_push(t, t->owned, NULL, (void *)x)))
		return kfree_flag(x, _RET_IP_);
}

/* Linux's slab_ksize(): what of an object may be used without trampling metadata. */
static size_t slab_ksize(const struct kmem_cache *s)
{
	if (s->flags & (SLAB_RED_ZONE | SLAB_POISON))
		return slab_object_size(s);
	if (s->flags & (SLAB_TYPESAFE_BY_RCU | SLAB_STORE_USER))
		return s->inuse;
	return s->size;
}

size_t ksize(const void *x)
{
	struct page *page;

	if (unlikely(ZERO_OR_NULL_PTR(x)))
		return 0;
	if (WARN_ON(!virt_addr_valid(x)))
		return 0;
	if (unlikely(is_kfence_address(x)))
		return kfence_ksize(x);
	page = virt_to_head_page(x);
	if (likely(PageSlab(page))) {
		struct kmem_cache *s = page_slab(page)->slab_cache;

		/* The caller may now use all of it: no kmalloc red zone any more. */
		if (check_valid_pointer(s, page_slab(page), x)) {
			set_orig_size(s, (void *)x, slab_object_size(s));
			if (s->annotated)
				annot_obj_grow(s, x, slab_ksize(s));
		}
		return slab_ksize(s);
	}
	if (WARN_ON(!PageLargeKmalloc(page)))
		return 0;
	if (WARN_ON(x != page_address(page)))
		return 0;
	return PAGE_SIZE << compound_order(page);
}

/* --- flushing, shrinking, shutting down --- */

/* Flush one CPU's state of @s: its deferred frees, sheaves, slab.  Owns that CPU. */
static void flush_cpu_slab(struct kmem_cache *s, struct kmem_cache_cpu *c)
{
	flush_deferred(s, c);
	sheaf_flush(s, c);
	spare_flush(s, c);
	deactivate_slab(s, c);
	put_partials_cpu(s, c);
}

static void flush_cpu_slab_on(int cpu, void *cache)
{
	struct kmem_cache *s = cache;

	flush_cpu_slab(s, cpu_slab(s, cpu));
}

/*
 * Run @fn(cpu, @s) on each CPU whose part of @s @holds something, owning
 * that CPU in turn, or only on ours in atomic context (flush_all(), and
 * the shrinker's spares_drain()).
 */
static void on_cpus_of(struct kmem_cache *s, bool (*holds)(const struct kmem_cache_cpu *c),
		void (*fn)(int cpu, void *cache))
{
	struct task_struct *t = current;

	if (t->preempt_count) {
		fn(t->cpu, s);
		return;
	}
	for (unsigned int cpu = 0; cpu < nr_cpu_ids; cpu++)
		if (holds(cpu_slab(s, (int)cpu)))
			kmm_run_on_cpu((int)cpu, fn, s);
}

/*
 * Does @c hold anything to flush?  Read without owning its CPU: a slab or
 * deferred frees that come meanwhile are newer than the flush asked for,
 * and the fast paths store defer_head plainly.
 */
static bool cpu_holds_any(const struct kmem_cache_cpu *c)
{
	return READ_ONCE(c->slab) || data_race(READ_ONCE(c->defer_head)) ||
	       READ_ONCE(c->partial) || data_race(READ_ONCE(c->sheaf.size)) ||
	       data_race(READ_ONCE(c->spare->size));
}

/* Flush every CPU's slab, sheaves and deferred frees of @s. */
void flush_all(struct kmem_cache *s)
{
	on_cpus_of(s, cpu_holds_any, flush_cpu_slab_on);
}

/*
 * Free the empty slabs on @n's partial list, at most @max pages' worth
 * (all for ~0UL).  With @report, name the slabs that still hold objects.
 * Returns the pages freed.
 */
static unsigned long free_empty_partials(struct kmem_cache *s, struct kmem_cache_node *n,
					 unsigned long max, bool report)
{
	LIST_HEAD(discard);
	struct slab *slab, *next, *busy[16];
	unsigned long pages = 0;
	unsigned int nr_busy = 0;

	__preempt_disable();
	__spin_lock(&n->list_lock);
	list_for_each_entry_safe(slab, next, &n->partial, slab_list) {
		if (slab_inuse(slab)) {
			if (nr_busy < ARRAY_SIZE(busy))
				busy[nr_busy++] = slab;
			continue;
		}
		if (pages >= max)
			continue;
		remove_partial(n, slab);
		list_add(&slab->slab_list, &discard);
		pages += 1UL << slab_order(slab);
	}
	__spin_unlock(&n->list_lock);
	list_for_each_entry_safe(slab, next, &discard, slab_list)
		discard_slab(s, slab);
	__preempt_enable();
	/* The objects kmem_cache_destroy() finds still allocated. */
	for (unsigned int i = 0; report && i < nr_busy; i++)
		list_slab_objects(s, busy[i]);
	return pages;
}

static unsigned long nr_slabs_total(struct kmem_cache *s)
{
	unsigned long nr = 0;

	for (int nid = 0; nid < nr_online_nodes; nid++)
		nr += (unsigned long)atomic_long_read(&get_node(s, nid)->nr_slabs);
	return nr;
}

int kmem_cache_shrink(struct kmem_cache *s)
{
	if (!s)
		return 0;
	flush_all(s);
	for (int nid = 0; nid < nr_online_nodes; nid++)
		free_empty_partials(s, get_node(s, nid), ~0UL, false);
	return nr_slabs_total(s) ? 1 : 0;
}

/* Free everything of @s; -EBUSY (and the cache usable) if objects remain. */
int __kmem_cache_shutdown(struct kmem_cache *s)
{
	flush_all(s);
	for (int nid = 0; nid < nr_online_nodes; nid++)
		free_empty_partials(s, get_node(s, nid), ~0UL, true);
	return nr_slabs_total(s) ? -EBUSY : 0;
}

/* --- the shrinker: empty slabs back to the page allocator under pressure --- */

static struct shrinker *slab_shrinker;

static unsigned long empty_pages(struct kmem_cache_node *n)
{
	struct slab *slab;
	unsigned long pages = 0;

	if (!data_race(READ_ONCE(n->nr_partial)))
		return 0;
	spin_lock(&n->list_lock);
	list_for_each_entry(slab, &n->partial, slab_list)
		if (!slab_inuse(slab))
			pages += 1UL << slab_order(slab);
	spin_unlock(&n->list_lock);
	return pages;
}

/*
 * The pages of the objects that the spare sheaves of @s hold, at least
 * (their slabs may hold no other): racy, a count for the shrinker.
 */
static unsigned long spare_pages(struct kmem_cache *s)
{
	unsigned long objects = 0;

	for (unsigned int cpu = 0; s->spares && cpu < nr_cpu_ids; cpu++)
		objects += data_race(READ_ONCE(cpu_slab(s, (int)cpu)->spare->size));
	return objects ? max(1UL, objects * s->size / PAGE_SIZE) : 0;
}

/* Memory is short: the spare sheaf of @cpu goes back to the slabs, out of use until it regrows. */
static void spare_drain_on(int cpu, void *cache)
{
	spare_stop(cache, cpu_slab((struct kmem_cache *)cache, cpu));
}

/* ... every CPU's that holds any (only ours in atomic context), as flush_all(). */
static bool spare_in_use(const struct kmem_cache_cpu *c)
{
	return data_race(READ_ONCE(c->spare->capacity)) != 0;
}

static void spares_drain(struct kmem_cache *s)
{
	if (s->spares)
		on_cpus_of(s, spare_in_use, spare_drain_on);
}

static unsigned long slab_shrink_count(struct shrinker *sh, struct shrink_control *sc)
{
	struct kmem_cache *s;
	unsigned long pages = 0;

	(void)sh;
	(void)sc;
	if (!plat_mutex_trylock(&slab_mutex))
		return 0;
	list_for_each_entry(s, &slab_caches, list) {
		pages += spare_pages(s);
		for (int nid = 0; nid < nr_online_nodes; nid++)
			pages += empty_pages(get_node(s, nid));
	}
	plat_mutex_unlock(&slab_mutex);
	return pages;
}

static unsigned long slab_shrink_scan(struct shrinker *sh, struct shrink_control *sc)
{
	struct kmem_cache *s;
	unsigned long freed = 0;

	(void)sh;
	if (!plat_mutex_trylock(&slab_mutex))
		return SHRINK_STOP;
	list_for_each_entry(s, &slab_caches, list) {
		spares_drain(s);
		for (int nid = 0; nid < nr_online_nodes && freed < sc->nr_to_scan; nid++)
			freed += free_empty_partials(s, get_node(s, nid), sc->nr_to_scan - freed, false);
		if (freed >= sc->nr_to_scan)
			break;
	}
	plat_mutex_unlock(&slab_mutex);
	return freed;
}

/* --- statistics --- */

void get_slabinfo(struct kmem_cache *s, struct slabinfo *sinfo)
{
	memset(sinfo, 0, sizeof(*sinfo));
	for (int nid = 0; nid < nr_online_nodes; nid++) {
		struct kmem_cache_node *n = get_node(s, nid);
		struct slab *slab;
		unsigned long nr_free = 0;

		spin_lock(&n->list_lock);
		list_for_each_entry(slab, &n->partial, slab_list) {
			unsigned int inuse = slab_inuse(slab);

			nr_free += slab->objects - inuse;
			if (!inuse)
				sinfo->nr_empty++;
		}
		sinfo->nr_partial += n->nr_partial;
		sinfo->num_slabs += (unsigned long)atomic_long_read(&n->nr_slabs);
		sinfo->num_objs += (unsigned long)atomic_long_read(&n->total_objects);
		spin_unlock(&n->list_lock);
		sinfo->nr_free += nr_free;
	}
	for (unsigned int cpu = 0; cpu < nr_cpu_ids; cpu++) {
		struct slab *partial = READ_ONCE(cpu_slab(s, (int)cpu)->partial);

		if (READ_ONCE(cpu_slab(s, (int)cpu)->slab))
			sinfo->nr_cpu++;
		/* The head's count, racy as Linux's slabs_cpu_partial. */
		if (partial)
			sinfo->nr_cpu_partial += (unsigned long)data_race(partial->slabs);
	}
	sinfo->active_objs = sinfo->num_objs - sinfo->nr_free;
	sinfo->active_slabs = sinfo->num_slabs;
	sinfo->nr_full = sinfo->num_slabs - min(sinfo->num_slabs, sinfo->nr_partial + sinfo->nr_cpu +
						       sinfo->nr_cpu_partial);
	sinfo->objects_per_slab = s->objects;
	sinfo->cache_order = s->order;
}

/* --- boot --- */

/*
 * The two caches the others are made of come first, from static storage,
 * as Linux's boot_kmem_cache and boot_kmem_cache_node: their nodes and
 * per-CPU parts are static too.  Every later cache is an object of
 * "kmem_cache" whose tail holds its per-CPU parts (kmm has no per-CPU
 * allocator yet), and its nodes are objects of "kmem_cache_node".
 */
static struct kmem_cache boot_kmem_cache, boot_kmem_cache_node;
/*
 * Indexed so that what boot writes is together: both caches' nodes of a
 * node side by side, and the two caches' CPU parts for the CPUs there are
 * (nr_cpu_ids each) one after the other: a page of each array, not two.
 */
static struct kmem_cache_node boot_nodes[MAX_NUMNODES][2];
static struct kmem_cache_cpu boot_cpu_slab[2 * NR_CPUS];

/* Where a cache object's per-CPU parts start, and the whole object's size. */
size_t kmem_cache_cpu_offset(void)
{
	return ALIGN(offsetof(struct kmem_cache, node) + sizeof(void *) * (size_t)nr_online_nodes,
		     (size_t)cache_line_size());
}

/*
 * ... with a pointer per CPU to its spare sheaf after the CPU parts, in
 * whole cache lines: the object has no padding after it (which
 * slab_init_on_free() would clear, and ASan sees poisoned).
 */
static size_t kmem_cache_object_size(void)
{
	return kmem_cache_cpu_offset() + sizeof(struct kmem_cache_cpu) * nr_cpu_ids +
	       ALIGN(sizeof(struct slab_spare *) * nr_cpu_ids, (size_t)cache_line_size());
}

static int create_boot_cache(struct kmem_cache *s, int i, const char *name, size_t size)
{
	memset(s, 0, sizeof(*s));
	s->name = name;
	s->size = s->object_size = (unsigned int)size;
	s->align = calculate_alignment(SLAB_HWCACHE_ALIGN, ARCH_KMALLOC_MINALIGN, s->size);
	s->cpu_slab = boot_cpu_slab + i * nr_cpu_ids;
	/* Only the CPUs there are: the rest of the array stays untouched, not RSS. */
	memset(s->cpu_slab, 0, sizeof(boot_cpu_slab[0]) * nr_cpu_ids);
	for (int nid = 0; nid < nr_online_nodes; nid++) {
		init_kmem_cache_node(&boot_nodes[nid][i]);
		s->node[nid] = &boot_nodes[nid][i];
	}
	int err = __kmem_cache_create(s, SLAB_HWCACHE_ALIGN);

	if (err) {
		pr_err("Creation of kmalloc slab %s size=%zu failed.\n", name, size);
		return err;
	}
	s->refcount = -1;	/* never merged, never destroyed */
	return 0;
}

/*
 * Return: 0, or -errno when a cache cannot be made (Linux panics; kmm's
 * boot fails and kmem_cache_exit() forgets what was made).
 */
int kmem_cache_init(void)
{
	int err;

	INIT_LIST_HEAD(&slab_caches);
	/* The counters' bit-fields where the exchanges' arithmetic has them (slab.h). */
	struct slab probe = { .counters = 0 };
	probe.inuse = 3;
	probe.objects = 5;
	probe.frozen = 1;
	probe.colour = 7;
	if (WARN_ON_ONCE(probe.counters != (3 | 5UL << SLAB_OBJECTS_SHIFT | SLAB_FROZEN |
					    7UL << SLAB_COLOUR_SHIFT)))
		return -EINVAL;
	for (unsigned int cpu = 0; cpu < nr_cpu_ids; cpu++)
		kmm_cpus[cpu].slab_off = cpu * sizeof(struct kmem_cache_cpu);
	/* One flag for the fast paths: some per-object work to do beyond the pop and push. */
	kmm_slab_hooks = init_on_alloc || init_on_free || KMM_ANNOTATE_ON;
	if (READ_ONCE(kmemleak_enabled))
		kmm_slab_hooks |= KMM_SLAB_HOOK_KMEMLEAK;
	slub_debug_boot_report();
	if ((err = create_boot_cache(&boot_kmem_cache, 0, "kmem_cache", kmem_cache_object_size())) ||
	    (err = create_boot_cache(&boot_kmem_cache_node, 1, "kmem_cache_node",
				     sizeof(struct kmem_cache_node))))
		return err;
	kmem_cache = &boot_kmem_cache;
	kmem_cache_node = &boot_kmem_cache_node;
	list_add(&kmem_cache->list, &slab_caches);
	list_add(&kmem_cache_node->list, &slab_caches);
	if ((err = create_kmalloc_caches()))
		return err;
	slab_is_up = true;
	pr_info("SLUB: HWalign=%d, Order=%u-%u, MinObjects=%u, CPUs=%u, Nodes=%d\n",
		cache_line_size(), slub_min_order, slub_max_order, slub_min_objects, nr_cpu_ids,
		nr_online_nodes);

	slab_shrinker = shrinker_alloc(0, "slab-empty");
	if (!slab_shrinker)
		return -ENOMEM;
	slab_shrinker->count_objects = slab_shrink_count;
	slab_shrinker->scan_objects = slab_shrink_scan;
	slab_shrinker->seeks = DEFAULT_SEEKS;
	shrinker_register(slab_shrinker);
	return 0;
}

/* The machine goes away with every slab in it: forget the caches. */
/*
 * The machine goes away with live slabs in it: make their memory plain
 * again for ASan, whose shadow outlives the mapping.  Only in annotated
 * builds; a walk of the initialised struct pages.  The caches' pools go
 * first, kmem_cache's last: the other caches are its objects, unreadable
 * to Valgrind once its pool is gone; so the walk reads no cache either,
 * and every slab turns plain (a debug cache's already is).
 */
static void annot_exit(void)
{
	struct kmem_cache *s;
	struct zone *zone;

	if (!KMM_ANNOTATE_ON)
		return;
	list_for_each_entry(s, &slab_caches, list)
		if (s->annotated && s != kmem_cache)
			annot_pool_destroy(s);
	if (kmem_cache->annotated)
		annot_pool_destroy(kmem_cache);
	for_each_zone(zone) {
		for (unsigned long pfn = zone->zone_start_pfn; pfn < zone->deferred_pfn; pfn++) {
			struct page *page = pfn_to_page(pfn);

			if (!PageSlab(page))
				continue;
			struct slab *slab = page_slab(page);
			annot_plain(slab_address(slab), slab_size(slab));
			pfn += (1UL << compound_order(page)) - 1;
		}
	}
}

void kmem_cache_exit(void)
{
	kmalloc_hints_reset();
	annot_exit();
	shrinker_free(slab_shrinker);
	slab_shrinker = NULL;
	slab_is_up = false;
	kmalloc_caches_exit();
	INIT_LIST_HEAD(&slab_caches);
	kmem_cache = NULL;
	kmem_cache_node = NULL;
}
