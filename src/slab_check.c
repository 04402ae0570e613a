/* SPDX-License-Identifier: MIT */
/*
 * kmm_check_slab(): the slab layer's part of kmm_check().
 *
 * Called with every CPU owned, so no allocation, free or list change is
 * under way (they all happen inside CPU sections), and no lock is held.
 * It checks, for every cache on slab_caches:
 *  - each CPU slab: a PageSlab slab of this cache, frozen; the CPU freelist
 *    and the slab's remote freelist are objects of it, without cycles or
 *    duplicates, and inuse = objects - (remote frees);
 *  - each CPU's deferred frees: objects of their slab, on no other list of
 *    it, as many as counted and no more than its inuse;
 *  - each CPU's sheaf and spare sheaf: objects of this cache, in use to
 *    their slabs, none twice (in either);
 *  - each CPU's partial list: slabs of this cache, frozen, not the CPU
 *    slab, freelists sound, inuse = objects - free, and each slab's count
 *    of the slabs from it to the end right;
 *  - each node's partial list: slabs of this cache and node, not frozen,
 *    with free objects, freelists sound and inuse = objects - free;
 *    nr_partial is the list's length;
 *  - with SLAB_STORE_USER, each node's full list: slabs with no free object;
 * and by a walk of every initialised pfn, each slab's first page: its
 * cache is a live cache, its tails point at it, order and object count are
 * the cache's (preferred or fallback), a slab that is neither frozen nor
 * partial is full (or emptied and waiting for RCU); per cache and node the
 * slabs and objects found equal nr_slabs and total_objects, the frozen
 * slabs equal the CPU slabs and CPU partial slabs (in a debug cache,
 * which has neither, a frozen slab is one that failed its consistency
 * checks and was taken out of use), the slabs with free objects equal
 * the partial lists.  Per node,
 * the slab pages plus the large kmalloc pages equal NR_SLAB_(UN)RECLAIMABLE_B.
 * Slab pages are allocated pages to the page allocator, which checks them
 * as such (check.c).  Returns the number of problems; each is printed.
 */
#include "slab.h"
#include "page_alloc.h"
#include <stdlib.h>
#include <kmm/vmstat.h>

#define CHECK(cond, fmt, ...) KMM_CHECK(cond, "slab: " fmt, ##__VA_ARGS__)

/* One bit per object of the slab being checked. */
static unsigned long seen[(MAX_OBJS_PER_PAGE + BITS_PER_LONG) / BITS_PER_LONG] __page_aligned_bss;

/* Walk a freelist of @slab, marking objects in seen[]; returns its length or -1. */
static long walk_freelist(struct kmem_cache *s, struct slab *slab, void *head, const char *what)
{
	char *base = slab_first_object(s, slab);
	long n = 0;

	for (void *p = head; p; p = get_freepointer(s, p)) {
		unsigned long off = (unsigned long)((char *)p - base);
		unsigned int idx = __obj_index(s, off);

		if ((char *)p < base || idx >= slab->objects || (unsigned long)idx * s->size != off) {
			CHECK(0, "%s: slab %#lx %s freelist holds %#lx, not an object of it",
			      s->name, page_to_pfn(slab_page(slab)), what, (unsigned long)p);
			return -1;
		}
		if (test_bit((int)(idx % BITS_PER_LONG), &seen[idx / BITS_PER_LONG])) {
			CHECK(0, "%s: slab %#lx %s freelist has object %u twice (a cycle or a double free)",
			      s->name, page_to_pfn(slab_page(slab)), what, idx);
			return -1;
		}
		__set_bit((int)(idx % BITS_PER_LONG), &seen[idx / BITS_PER_LONG]);
		n++;
	}
	return n;
}

/*
 * The never-used objects of the lazy CPU slab @slab of @c (from base + bump
 * to base + limit) were never allocated: none may be on a freelist walked
 * into seen[] (of the CPU, of the slab, of the deferred frees).
 */
static void check_bump_unseen(struct kmem_cache *s, unsigned int cpu, struct kmem_cache_cpu *c,
			      struct slab *slab, const char *what)
{
	if (slab != c->slab || c->bump >= c->limit)
		return;
	for (unsigned int idx = c->bump / s->size; idx < slab->objects; idx++)
		if (test_bit((int)(idx % BITS_PER_LONG), &seen[idx / BITS_PER_LONG])) {
			CHECK(0, "%s: cpu %u slab %#lx never used object %u is on a %s freelist",
			      s->name, cpu, page_to_pfn(slab_page(slab)), idx, what);
			return;
		}
}

static bool slab_sane(struct kmem_cache *s, struct slab *slab, int nid, const char *where)
{
	struct page *page = slab_page(slab);

	if (!kmm_page_ptr_valid(page) || !PageSlab(page) || slab->slab_cache != s) {
		CHECK(0, "%s: %s holds %p, not a slab of this cache", s->name, where, slab);
		return false;
	}
	if (nid >= 0)
		CHECK(slab_nid(slab) == nid, "%s: slab %#lx of node %d on node %d's %s",
		      s->name, page_to_pfn(page), slab_nid(slab), nid, where);
	return true;
}

/*
 * The slab of @c's deferred frees' range (of a chain, or vouching for the
 * spare sheaf, @what): a sane slab of @s, the range its objects (limit 0:
 * every free takes the full path).  NULL, reported, if not.
 */
static struct slab *defer_range_slab(struct kmem_cache *s, unsigned int cpu,
				     struct kmem_cache_cpu *c, const char *what)
{
	struct slab *slab;

	if (!virt_addr_valid((void *)c->defer_base) ||
	    !(slab = virt_to_slab((void *)c->defer_base))) {
		CHECK(0, "%s: cpu %u %s at %#lx, in no slab", s->name, cpu, what, c->defer_base);
		return NULL;
	}
	if (!slab_sane(s, slab, -1, what))
		return NULL;
	CHECK(c->defer_base == (unsigned long)slab_first_object(s, slab) &&
	      (c->defer_limit == slab->objects * s->size || !c->defer_limit),
	      "%s: cpu %u %s %#lx+%#x is not its slab's objects", s->name, cpu, what,
	      c->defer_base, c->defer_limit);
	return slab;
}

/*
 * A CPU's deferred frees with no chain, whose range vouches for the spare
 * sheaf (defer_tail): the CPU's spare, and a range (unless cleared, limit
 * 0) of a slab of this cache with at least one object on the spare, which
 * keeps it from emptying.
 */
static void check_spare_range(struct kmem_cache *s, unsigned int cpu, struct kmem_cache_cpu *c)
{
	struct slab_spare *sp = cpu_spare(s, (int)cpu);
	struct slab *slab;

	CHECK(sp && c->defer_tail == sp && !c->defer_inuse,
	      "%s: cpu %u has a range for its spare sheaf %p, which is %p", s->name, cpu,
	      c->defer_tail, sp);
	/* The object that vouches for it gone (allocated), or no range: it vouches for none. */
	if (!sp || !c->defer_limit || sp->size <= c->defer_count)
		return;
	if (!(slab = defer_range_slab(s, cpu, c, "the spare sheaf's range")))
		return;
	/*
	 * Its object at defer_count: of this slab; every one after it too, or
	 * of the CPU slab (frees of it that found the sheaf full).
	 */
	CHECK((unsigned long)sp->objects[c->defer_count] - c->defer_base < c->defer_limit,
	      "%s: cpu %u spare sheaf holds %p at %u, out of the range it vouches for, slab %#lx",
	      s->name, cpu, sp->objects[c->defer_count], c->defer_count,
	      page_to_pfn(slab_page(slab)));
	for (unsigned int i = c->defer_count + 1; i < sp->size; i++)
		CHECK((unsigned long)sp->objects[i] - c->defer_base < c->defer_limit ||
		      virt_to_slab(sp->objects[i]) == c->slab,
		      "%s: cpu %u spare sheaf holds %p at %u, above the range of slab %#lx from %u",
		      s->name, cpu, sp->objects[i], i, page_to_pfn(slab_page(slab)), c->defer_count);
}

/*
 * A CPU's deferred frees: objects of the slab of defer_base, counted, still
 * in the slab's inuse, and on neither of its freelists nor the CPU freelist
 * (when it is also the CPU slab).
 */
static void check_deferred(struct kmem_cache *s, unsigned int cpu, struct kmem_cache_cpu *c)
{
	struct slab *slab;

	if (!c->defer_head && c->defer_tail) {
		check_spare_range(s, cpu, c);
		return;
	}
	if (!c->defer_head) {
		CHECK(!c->defer_tail && !c->defer_count && !c->defer_limit && !c->defer_base,
		      "%s: cpu %u has deferred frees but no chain of them", s->name, cpu);
		return;
	}
	if (!(slab = defer_range_slab(s, cpu, c, "the deferred frees")))
		return;
	CHECK(c->defer_inuse, "%s: cpu %u defers frees to a slab it found none in use in",
	      s->name, cpu);
	memset(seen, 0, sizeof(seen));
	if (walk_freelist(s, slab, slab->freelist, "remote") < 0 ||
	    (slab == c->slab && walk_freelist(s, slab, c->freelist, "CPU") < 0))
		return;
	long nr = walk_freelist(s, slab, c->defer_head, "deferred");
	if (nr < 0)
		return;
	check_bump_unseen(s, cpu, c, slab, "deferred or CPU or remote");
	CHECK(nr == c->defer_count && nr > 0, "%s: cpu %u defers %ld frees but counts %u",
	      s->name, cpu, nr, c->defer_count);
	CHECK(slab->inuse >= nr, "%s: cpu %u defers %ld frees to slab %#lx, which has %u in use",
	      s->name, cpu, nr, page_to_pfn(slab_page(slab)), slab->inuse);
	void *last = c->defer_head;
	while (last && get_freepointer(s, last))
		last = get_freepointer(s, last);
	CHECK(last == c->defer_tail, "%s: cpu %u deferred frees end at %p, not at their tail %p",
	      s->name, cpu, last, c->defer_tail);
}

/*
 * A CPU's partial list: slabs of this cache, frozen, with free objects on
 * their freelists (taken by no CPU yet) and inuse to match, each counting
 * itself and those after it in @slabs, none in a debug cache.
 */
static void check_cpu_partial(struct kmem_cache *s, unsigned int cpu, struct kmem_cache_cpu *c,
			      unsigned long *nr_cpu_slabs)
{
	unsigned long count = 0, len = 0;
	struct slab *slab;

	for (slab = c->partial; slab; slab = slab->next)
		if (++len > max_pfn) {
			CHECK(0, "%s: cpu %u partial list is circular", s->name, cpu);
			return;
		}
	CHECK(!len || s->cpu_partial_slabs, "%s: cpu %u keeps %lu partial slabs, cpu_partial_slabs 0",
	      s->name, cpu, len);
	for (slab = c->partial; slab; slab = slab->next, count++) {
		if (!slab_sane(s, slab, -1, "a CPU partial list"))
			return;
		nr_cpu_slabs[slab_nid(slab)]++;
		CHECK(slab != c->slab, "%s: cpu %u slab %#lx is also on its partial list", s->name,
		      cpu, page_to_pfn(slab_page(slab)));
		CHECK(slab->frozen, "%s: cpu %u partial slab %#lx is not frozen", s->name, cpu,
		      page_to_pfn(slab_page(slab)));
		CHECK(slab->slabs == (int)(len - count),
		      "%s: cpu %u partial slab %#lx counts %d slabs from it, %lu are", s->name, cpu,
		      page_to_pfn(slab_page(slab)), slab->slabs, len - count);
		memset(seen, 0, sizeof(seen));
		long nr_free = walk_freelist(s, slab, slab->freelist, "CPU partial");
		if (nr_free < 0)
			continue;
		CHECK(nr_free > 0, "%s: cpu %u partial slab %#lx has no free object", s->name, cpu,
		      page_to_pfn(slab_page(slab)));
		CHECK(slab->inuse == slab->objects - nr_free,
		      "%s: cpu %u partial slab %#lx inuse %u, objects %u, free %ld", s->name, cpu,
		      page_to_pfn(slab_page(slab)), slab->inuse, slab->objects, nr_free);
	}
}

/* One object of a CPU's sheaf or spare sheaf: an object of @s, in use to its slab. */
static void check_sheaf_object(struct kmem_cache *s, unsigned int cpu, struct kmem_cache_cpu *c,
			       void *x, const char *what)
{
	struct slab *slab = virt_addr_valid(x) ? virt_to_slab(x) : NULL;

	if (!slab || slab->slab_cache != s || !check_valid_pointer(s, slab, x) || !x) {
		CHECK(0, "%s: cpu %u %s holds %p, not an object of this cache", s->name, cpu, what,
		      x);
		return;
	}
	CHECK(slab->inuse > 0, "%s: cpu %u %s holds %p of slab %#lx, which has none in use",
	      s->name, cpu, what, x, page_to_pfn(slab_page(slab)));
	/* A CPU slab with no never-used range (limit 0) may hold any. */
	CHECK(slab != c->slab || (unsigned long)x - c->base < c->bump ||
	      (unsigned long)x - c->base >= c->limit,
	      "%s: cpu %u %s holds %p, never used in its lazy CPU slab", s->name, cpu, what, x);
}

static int cmp_ptr(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *)a, y = *(const unsigned long *)b;

	return (x > y) - (x < y);
}

/* The objects of a CPU's sheaf and spare sheaf, sorted to find one held twice. */
static void *held[SHEAF_CAPACITY + SPARE_SHEAF_MAX];

/*
 * A CPU's sheaf and spare sheaf: no more than they hold, each an object
 * start in a slab of this cache, still in use to it (so on no freelist:
 * the slab's counts, checked elsewhere, would not match), none twice;
 * none in a debug cache.
 */
static void check_sheaf(struct kmem_cache *s, unsigned int cpu, struct kmem_cache_cpu *c)
{
	struct slab_spare *sp = cpu_spare(s, (int)cpu);
	unsigned int size = c->sheaf.size, nr = 0;

	if (size > SHEAF_CAPACITY) {
		CHECK(0, "%s: cpu %u sheaf holds %u objects, more than %u", s->name, cpu, size,
		      SHEAF_CAPACITY);
		return;
	}
	CHECK(!size || !kmem_cache_debug(s), "%s: cpu %u debug cache has a sheaf", s->name, cpu);
	for (unsigned int i = 0; i < size; i++) {
		check_sheaf_object(s, cpu, c, c->sheaf.objects[i], "sheaf");
		held[nr++] = c->sheaf.objects[i];
	}
	if (sp) {
		CHECK(!sp->bottom, "%s: cpu %u spare sheaf's bottom is %p, not NULL", s->name, cpu,
		      sp->bottom);
		if (sp->capacity > SPARE_SHEAF_MAX || sp->size > sp->capacity) {
			CHECK(0, "%s: cpu %u spare sheaf holds %u of %u objects, at most %u",
			      s->name, cpu, sp->size, sp->capacity, SPARE_SHEAF_MAX);
			return;
		}
		for (unsigned int i = 0; i < sp->size; i++) {
			check_sheaf_object(s, cpu, c, sp->objects[i], "spare sheaf");
			held[nr++] = sp->objects[i];
		}
	}
	qsort(held, nr, sizeof(held[0]), cmp_ptr);
	for (unsigned int i = 1; i < nr; i++)
		CHECK(held[i] != held[i - 1], "%s: cpu %u sheaves hold %p twice", s->name, cpu,
		      held[i]);
}

static void check_cpu_slabs(struct kmem_cache *s, unsigned long *nr_cpu_slabs)
{
	for (unsigned int cpu = 0; cpu < nr_cpu_ids; cpu++) {
		struct kmem_cache_cpu *c = cpu_slab(s, (int)cpu);
		struct slab *slab = c->slab;

		/* What kfree() and the free fast path read of the cache through @c. */
		CHECK(c->cache == s && c->reciprocal_size == s->reciprocal_size,
		      "%s: cpu %u part names cache %p (reciprocal %#llx), not its own",
		      s->name, cpu, (void *)c->cache, (unsigned long long)c->reciprocal_size);
		check_deferred(s, cpu, c);
		check_cpu_partial(s, cpu, c, nr_cpu_slabs);
		check_sheaf(s, cpu, c);

		if (!slab) {
			CHECK(!c->freelist, "%s: cpu %u has a freelist but no slab", s->name, cpu);
			CHECK(!c->limit && !c->bump, "%s: cpu %u has no slab but a free range",
			      s->name, cpu);
			continue;
		}
		if (!slab_sane(s, slab, -1, "a CPU slab"))
			continue;
		/* The free fast path's view of the slab: its objects, or none (hooks). */
		CHECK(c->base == (unsigned long)slab_first_object(s, slab) &&
		      (c->limit == slab->objects * s->size || !c->limit),
		      "%s: cpu %u free range %#lx+%#x is not its slab's objects", s->name, cpu,
		      c->base, c->limit);
		nr_cpu_slabs[slab_nid(slab)]++;
		CHECK(slab->frozen, "%s: cpu %u slab %#lx is not frozen", s->name, cpu,
		      page_to_pfn(slab_page(slab)));
		memset(seen, 0, sizeof(seen));
		/* The never-used objects of a lazy slab: the tail of its range, whole objects. */
		CHECK(c->bump <= c->limit && c->bump % s->size == 0,
		      "%s: cpu %u never-used objects from %#x are not the end of its range %#x",
		      s->name, cpu, c->bump, c->limit);
		long local = walk_freelist(s, slab, c->freelist, "CPU");
		long remote = walk_freelist(s, slab, slab->freelist, "remote");
		if (local < 0 || remote < 0)
			continue;
		check_bump_unseen(s, cpu, c, slab, "CPU or remote");
		CHECK(slab->inuse == slab->objects - remote,
		      "%s: cpu %u slab %#lx inuse %u, objects %u, remote frees %ld", s->name, cpu,
		      page_to_pfn(slab_page(slab)), slab->inuse, slab->objects, remote);
	}
}

static void check_partial(struct kmem_cache *s, int nid, struct kmem_cache_node *n,
			  unsigned long *nr_listed)
{
	struct list_head *pos;
	unsigned long count = 0;

	for (pos = n->partial.next; pos != &n->partial; pos = pos->next) {
		struct slab *slab = list_entry(pos, struct slab, slab_list);

		if (++count > max_pfn) {
			CHECK(0, "%s: node %d partial list is circular", s->name, nid);
			break;
		}
		if (!slab_sane(s, slab, nid, "partial list"))
			break;
		CHECK(!slab->frozen, "%s: frozen slab %#lx on the partial list", s->name,
		      page_to_pfn(slab_page(slab)));
		memset(seen, 0, sizeof(seen));
		long nr_free = walk_freelist(s, slab, slab->freelist, "partial");
		if (nr_free < 0)
			continue;
		CHECK(nr_free > 0, "%s: slab %#lx on the partial list has no free object", s->name,
		      page_to_pfn(slab_page(slab)));
		CHECK(slab->inuse == slab->objects - nr_free,
		      "%s: partial slab %#lx inuse %u, objects %u, free %ld", s->name,
		      page_to_pfn(slab_page(slab)), slab->inuse, slab->objects, nr_free);
	}
	CHECK(count == n->nr_partial, "%s: node %d nr_partial %lu but the list holds %lu",
	      s->name, nid, n->nr_partial, count);
	*nr_listed = count;
}

static void check_full(struct kmem_cache *s, int nid, struct kmem_cache_node *n)
{
	unsigned long count = 0;
	struct slab *slab;

	if (!(s->flags & SLAB_STORE_USER)) {
		CHECK(list_empty(&n->full), "%s: node %d lists full slabs without SLAB_STORE_USER",
		      s->name, nid);
		return;
	}
	list_for_each_entry(slab, &n->full, slab_list) {
		if (++count > max_pfn) {
			CHECK(0, "%s: node %d full list is circular", s->name, nid);
			break;
		}
		if (!slab_sane(s, slab, nid, "full list"))
			break;
		CHECK(!slab->freelist && slab->inuse == slab->objects && !slab->frozen,
		      "%s: slab %#lx on the full list has inuse %u of %u, freelist %p%s", s->name,
		      page_to_pfn(slab_page(slab)), slab->inuse, slab->objects, slab->freelist,
		      slab->frozen ? ", frozen" : "");
	}
}

/* Per cache and node, what the pfn walk found. */
struct slab_tally {
	unsigned long slabs, objects, frozen, with_free;
};

static struct kmem_cache *tally_caches[4096] __page_aligned_bss;
static unsigned int nr_tally_caches;
static struct slab_tally *tally;	/* [cache][node] */
static unsigned long stat_pages[MAX_NUMNODES][2];	/* [node][reclaimable] */

static int cache_index(struct kmem_cache *s)
{
	for (unsigned int i = 0; i < nr_tally_caches; i++)
		if (tally_caches[i] == s)
			return (int)i;
	return -1;
}

static void walk_slab(struct page *page, unsigned long pfn)
{
	struct slab *slab = page_slab(page);
	struct kmem_cache *s = slab->slab_cache;
	int ci = cache_index(s);
	int nid = page_to_nid(page);

	if (ci < 0) {
		CHECK(0, "slab at pfn %#lx points at %p, which is no cache", pfn, s);
		return;
	}
	unsigned int order = compound_order(page);
	for (unsigned long i = 1; i < (1UL << order); i++)
		CHECK(compound_head(page + i) == page, "%s: slab %#lx tail %lu does not point at it",
		      s->name, pfn, i);
	CHECK((order == s->order && slab->objects == s->objects) ||
	      (order == s->min_order && slab->objects == s->min_objects),
	      "%s: slab %#lx has order %u and %u objects; the cache makes %u/%u or %u/%u",
	      s->name, pfn, order, slab->objects, s->order, s->objects, s->min_order, s->min_objects);
	CHECK(slab->inuse <= slab->objects, "%s: slab %#lx inuse %u > objects %u", s->name, pfn,
	      slab->inuse, slab->objects);
	stat_pages[nid][!!(s->flags & SLAB_RECLAIM_ACCOUNT)] += 1UL << order;
	if (slab_rcu_pending(slab)) {
		/* Emptied and waiting for its grace period: out of the node's counts. */
		CHECK(s->flags & SLAB_TYPESAFE_BY_RCU,
		      "%s: slab %#lx waits for RCU but the cache is not TYPESAFE_BY_RCU", s->name, pfn);
		CHECK(!slab->inuse && !slab->frozen,
		      "%s: slab %#lx waits for RCU with inuse %u, frozen %u", s->name, pfn,
		      slab->inuse, slab->frozen);
		return;
	}
	struct slab_tally *t = &tally[(unsigned long)ci * (unsigned long)nr_online_nodes + (unsigned long)nid];
	t->slabs++;
	t->objects += slab->objects;
	if (slab->frozen)
		t->frozen++;
	else if (slab->freelist || slab->inuse < slab->objects)
		t->with_free++;
}

static void walk_pfns(void)
{
	struct zone *zone;

	for_each_zone(zone) {
		if (!zone->spanned_pages)
			continue;
		for (unsigned long pfn = zone->zone_start_pfn; pfn < zone->deferred_pfn;) {
			struct page *page = pfn_to_page(pfn);

			if (PageSlab(page)) {
				walk_slab(page, pfn);
				pfn += 1UL << min(compound_order(page), (unsigned int)MAX_PAGE_ORDER);
			} else if (PageLargeKmalloc(page)) {
				unsigned int order = compound_order(page);
				stat_pages[page_to_nid(page)][0] += 1UL << order;
				pfn += 1UL << order;
			} else {
				pfn++;
			}
		}
	}
}

int kmm_check_slab(void)
{
	struct kmem_cache *s;
	bool big = false;

	if (!slab_is_up)
		return 0;
	nr_tally_caches = 0;
	list_for_each_entry(s, &slab_caches, list) {
		if (nr_tally_caches == ARRAY_SIZE(tally_caches)) {
			big = true;
			break;
		}
		tally_caches[nr_tally_caches++] = s;
	}
	size_t need = sizeof(struct slab_tally) * (nr_tally_caches + 1) * (size_t)nr_online_nodes;
	tally = plat_host_zalloc(need);
	if (!tally)
		return 0;
	memset(stat_pages, 0, sizeof(stat_pages));
	walk_pfns();

	for (unsigned int ci = 0; ci < nr_tally_caches; ci++) {
		unsigned long nr_cpu[MAX_NUMNODES] = { 0 };

		s = tally_caches[ci];
		check_cpu_slabs(s, nr_cpu);
		for (int nid = 0; nid < nr_online_nodes; nid++) {
			struct kmem_cache_node *n = get_node(s, nid);
			struct slab_tally *t = &tally[(unsigned long)ci * (unsigned long)nr_online_nodes + (unsigned long)nid];
			unsigned long listed = 0;

			if (!n) {
				CHECK(0, "%s: no node %d", s->name, nid);
				continue;
			}
			check_partial(s, nid, n, &listed);
			check_full(s, nid, n);
			CHECK(t->slabs == (unsigned long)atomic_long_read(&n->nr_slabs),
			      "%s: node %d counts %ld slabs, %lu found", s->name, nid,
			      atomic_long_read(&n->nr_slabs), t->slabs);
			CHECK(t->objects == (unsigned long)atomic_long_read(&n->total_objects),
			      "%s: node %d counts %ld objects, %lu found", s->name, nid,
			      atomic_long_read(&n->total_objects), t->objects);
			CHECK(t->frozen == nr_cpu[nid] || kmem_cache_debug(s),
			      "%s: node %d has %lu frozen slabs but %lu CPU and CPU partial slabs",
			      s->name, nid, t->frozen, nr_cpu[nid]);
			CHECK(t->with_free == listed,
			      "%s: node %d has %lu unfrozen slabs with free objects, %lu on the partial list",
			      s->name, nid, t->with_free, listed);
		}
	}
	if (!big) {
		for (int nid = 0; nid < nr_online_nodes; nid++) {
			pg_data_t *pgdat = NODE_DATA(nid);
			long rcl = atomic_long_read(&pgdat->vm_stat[NR_SLAB_RECLAIMABLE_B]);
			long unrcl = atomic_long_read(&pgdat->vm_stat[NR_SLAB_UNRECLAIMABLE_B]);

			CHECK(rcl == (long)stat_pages[nid][1],
			      "node %d: NR_SLAB_RECLAIMABLE_B %ld pages, slabs hold %lu", nid, rcl,
			      stat_pages[nid][1]);
			CHECK(unrcl == (long)stat_pages[nid][0],
			      "node %d: NR_SLAB_UNRECLAIMABLE_B %ld pages, slabs and large kmallocs hold %lu",
			      nid, unrcl, stat_pages[nid][0]);
		}
	}
	plat_host_free(tally, need);
	tally = NULL;
	return kmm_check_problems;
}
