/* SPDX-License-Identifier: MIT */
/*
 * Replaying a real Linux allocation trace on the machine.
 *
 * Each event of a captured kernel is carried out here by the same call the
 * kernel made: kmalloc for kmem:kmalloc, kmem_cache_alloc on a cache of the
 * traced name for kmem:kmem_cache_alloc, alloc_pages with the traced gfp
 * flags and order for kmem:mm_page_alloc, a vmap area of the traced size
 * for vmalloc:alloc_vmap_area, __alloc_percpu_gfp for percpu_alloc_percpu.
 * The traced kernel's addresses (ptr=, pfn=, va_start=) are only names: a
 * table per address space maps each to what our machine returned, so the
 * matching free finds it.
 *
 * What a real trace holds that a replayer must not trip on:
 *  - frees of what was allocated before the capture began: counted as
 *    unmatched and skipped;
 *  - an allocation at an address our table still holds live: the kernel
 *    freed it by a path with no event (kfree_bulk, a lost event), so we
 *    free ours first and count it;
 *  - mm_page_free_batched: Linux 6.18's batched free traces mm_page_free
 *    for each page and then mm_page_free_batched for the same page, so a
 *    batched event whose page mm_page_free already freed is a repeat; the
 *    table keeps a marker for a page freed that way until its repeat (or
 *    its reallocation) consumes it;
 *  - caches the kernel created before the capture: made on first sight
 *    with the object size the trace reports (bytes_alloc, Linux's s->size),
 *    unmergeable so each keeps its name in /proc/slabinfo;
 *  - the CPU each event ran on: the replaying thread binds itself to that
 *    CPU (modulo our CPU count) before acting, so per-CPU caches and lists
 *    see the traced pattern.
 *
 * vmap areas are replayed as address space only (get_vm_area): the pages
 * of a vmalloc appear in the trace as their own mm_page_alloc events.
 * The alignment of a traced vmap area is not honoured (get_vm_area has no
 * alignment argument), which changes no page counts.
 *
 * Not thread-safe: one replay is driven by one thread.
 */
#include <stdlib.h>
#include "internal.h"
#include <kmm/kfence.h>
#include <kmm/trace.h>

/* An open-addressed table from a traced address to ours (linear probing,
 * deletion by backward shift, so there are no tombstones to sweep). */
struct rmap_ent {
	u64 key;
	void *obj;		/* ours; never NULL in a used slot */
	void *aux;		/* the cache, or the page order */
};

struct rmap {
	struct rmap_ent *ents;
	size_t mask;		/* slots - 1 */
	size_t used;
};

#define PAGE_FREED_MARK ((void *)1)	/* a page mm_page_free freed: see above */

static inline size_t rmap_hash(u64 key, size_t mask)
{
	return (size_t)((key * 0x9E3779B97F4A7C15ULL) >> 20) & mask;
}

static int rmap_init(struct rmap *m, size_t slots)
{
	m->ents = calloc(slots, sizeof(*m->ents));
	m->mask = slots - 1;
	m->used = 0;
	return m->ents ? 0 : -ENOMEM;
}

static struct rmap_ent *rmap_find(struct rmap *m, u64 key)
{
	for (size_t i = rmap_hash(key, m->mask);; i = (i + 1) & m->mask) {
		struct rmap_ent *e = &m->ents[i];
		if (!e->obj)
			return NULL;
		if (e->key == key)
			return e;
	}
}

static int rmap_grow(struct rmap *m)
{
	struct rmap old = *m;

	if (rmap_init(m, (old.mask + 1) * 2))
		return *m = old, -ENOMEM;
	for (size_t i = 0; i <= old.mask; i++) {
		struct rmap_ent *e = &old.ents[i];
		if (!e->obj)
			continue;
		size_t j = rmap_hash(e->key, m->mask);
		while (m->ents[j].obj)
			j = (j + 1) & m->mask;
		m->ents[j] = *e;
		m->used++;
	}
	free(old.ents);
	return 0;
}

/* Insert @key (not present). */
static int rmap_insert(struct rmap *m, u64 key, void *obj, void *aux)
{
	if ((m->used + 1) * 2 > m->mask + 1 && rmap_grow(m))
		return -ENOMEM;
	size_t i = rmap_hash(key, m->mask);
	while (m->ents[i].obj)
		i = (i + 1) & m->mask;
	m->ents[i] = (struct rmap_ent){ key, obj, aux };
	m->used++;
	return 0;
}

static void rmap_delete(struct rmap *m, struct rmap_ent *e)
{
	size_t i = (size_t)(e - m->ents), j = i;

	for (;;) {
		j = (j + 1) & m->mask;
		if (!m->ents[j].obj)
			break;
		size_t home = rmap_hash(m->ents[j].key, m->mask);
		/* Move j back into the hole at i unless its home lies in (i, j]. */
		if (i <= j ? (home <= i || home > j) : (home <= i && home > j)) {
			m->ents[i] = m->ents[j];
			i = j;
		}
	}
	m->ents[i].obj = NULL;
	m->used--;
}

/* Caches by name. */
struct rcache {
	char name[64];
	unsigned int len;
	struct kmem_cache *s;
};

#define RCACHE_SLOTS 2048

struct kmm_replay {
	struct rmap objs, pages, pcpu, vmap;
	struct rcache *caches;
	unsigned int nr_caches;
	int cpu;			/* the CPU bound to, -1 if none */
	struct kmm_replay_stats st;
	char err[160];
};

struct kmm_replay *kmm_replay_create(void)
{
	struct kmm_replay *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->cpu = -1;
	r->caches = calloc(RCACHE_SLOTS, sizeof(*r->caches));
	if (!r->caches || rmap_init(&r->objs, 1 << 16) || rmap_init(&r->pages, 1 << 15) ||
	    rmap_init(&r->pcpu, 1 << 10) || rmap_init(&r->vmap, 1 << 8)) {
		kmm_replay_destroy(r);
		return NULL;
	}
	return r;
}

static u32 name_hash(const char *s, unsigned int n)
{
	u32 h = 2166136261u;

	for (unsigned int i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h;
}

/* The cache of that name, created on first sight with @size-byte objects. */
static struct kmem_cache *replay_cache(struct kmm_replay *r, const char *name, unsigned int n,
				       unsigned long size)
{
	for (u32 i = name_hash(name, n);; i++) {
		struct rcache *c = &r->caches[i & (RCACHE_SLOTS - 1)];
		if (c->len == n && !memcmp(c->name, name, n))
			return c->s;
		if (c->len)
			continue;
		if (r->nr_caches >= RCACHE_SLOTS / 2 || !size || size > KMALLOC_MAX_SIZE)
			return NULL;
		memcpy(c->name, name, n);
		c->name[n] = '\0';
		c->s = kmem_cache_create(c->name, (unsigned int)size, 0, SLAB_NO_MERGE, NULL);
		if (!c->s) {
			c->name[0] = '\0';
			return NULL;
		}
		c->len = n;
		r->nr_caches++;
		r->st.caches_created++;
		return c->s;
	}
}

static void free_obj(struct rmap_ent *e)
{
	if (e->aux)
		kmem_cache_free(e->aux, e->obj);
	else
		kfree(e->obj);
}

static void free_page_ent(struct rmap_ent *e)
{
	if (e->obj != PAGE_FREED_MARK)
		__free_pages(e->obj, (unsigned int)(uintptr_t)e->aux);
}

/* An allocation's traced address must be free in our table: free what is there. */
static void clear_slot(struct kmm_replay *r, struct rmap *m, u64 key,
		       void (*release)(struct rmap_ent *e))
{
	struct rmap_ent *e = rmap_find(m, key);

	if (!e)
		return;
	if (m != &r->pages || e->obj != PAGE_FREED_MARK)
		r->st.reallocs++;
	release(e);
	rmap_delete(m, e);
}

static void free_vmap_ent(struct rmap_ent *e)
{
	free_vm_area(e->obj);
}

static void free_pcpu_ent(struct rmap_ent *e)
{
	free_percpu(e->obj);
}

/* Record ours under the traced key; Return: 0, or -ENOMEM (ours freed). */
static int remember(struct kmm_replay *r, struct rmap *m, u64 key, void *obj, void *aux,
		    void (*release)(struct rmap_ent *e))
{
	if (!rmap_insert(m, key, obj, aux))
		return 0;
	struct rmap_ent tmp = { key, obj, aux };
	release(&tmp);
	snprintf(r->err, sizeof(r->err), "out of host memory for the address table");
	return -ENOMEM;
}

static int replay_kmalloc(struct kmm_replay *r, const struct kmm_trace_event *ev)
{
	if (!ev->ptr) {
		r->st.kernel_failed++;
		return 0;
	}
	clear_slot(r, &r->objs, ev->ptr, free_obj);
	void *p = kmalloc(ev->bytes_req, ev->gfp | __GFP_NOWARN);
	if (!p) {
		r->st.failed_allocs++;
		return 0;
	}
	if (ZERO_OR_NULL_PTR(p)) {
		r->st.applied++;
		return 0;
	}
	/* A KFENCE object's ksize() is the request; the trace shows the sampled cache's size. */
	size_t ks = is_kfence_address(p) ? kmalloc_size_roundup(ev->bytes_req) : ksize(p);

	if (ks == ev->bytes_alloc)
		r->st.kmalloc_ksize_match++;
	else
		r->st.kmalloc_ksize_mismatch++;
	r->st.applied++;
	return remember(r, &r->objs, ev->ptr, p, NULL, free_obj);
}

static int replay_cache_alloc(struct kmm_replay *r, const struct kmm_trace_event *ev)
{
	if (!ev->ptr) {
		r->st.kernel_failed++;
		return 0;
	}
	struct kmem_cache *s = replay_cache(r, ev->name, ev->name_len, ev->bytes_alloc);
	if (!s) {
		r->st.failed_allocs++;
		return 0;
	}
	clear_slot(r, &r->objs, ev->ptr, free_obj);
	void *p = kmem_cache_alloc(s, ev->gfp | __GFP_NOWARN);
	if (!p) {
		r->st.failed_allocs++;
		return 0;
	}
	r->st.applied++;
	return remember(r, &r->objs, ev->ptr, p, s, free_obj);
}

static void replay_obj_free(struct kmm_replay *r, const struct kmm_trace_event *ev)
{
	if (ZERO_OR_NULL_PTR((void *)(uintptr_t)ev->ptr)) {
		r->st.null_frees++;
		return;
	}
	struct rmap_ent *e = rmap_find(&r->objs, ev->ptr);
	if (!e) {
		r->st.unmatched_frees++;
		return;
	}
	free_obj(e);
	rmap_delete(&r->objs, e);
	r->st.applied++;
}

static int replay_page_alloc(struct kmm_replay *r, const struct kmm_trace_event *ev)
{
	if (ev->failed) {
		r->st.kernel_failed++;
		return 0;
	}
	clear_slot(r, &r->pages, ev->ptr, free_page_ent);
	struct page *page = alloc_pages(ev->gfp | __GFP_NOWARN, ev->order);
	if (!page) {
		r->st.failed_allocs++;
		return 0;
	}
	r->st.applied++;
	return remember(r, &r->pages, ev->ptr, page, (void *)(uintptr_t)ev->order, free_page_ent);
}

static int replay_page_free(struct kmm_replay *r, const struct kmm_trace_event *ev, bool batched)
{
	struct rmap_ent *e = rmap_find(&r->pages, ev->ptr);

	if (e && e->obj == PAGE_FREED_MARK) {
		rmap_delete(&r->pages, e);
		if (batched) {
			r->st.batched_repeats++;
			return 0;
		}
		e = NULL;
	}
	if (!e) {
		r->st.unmatched_frees++;
		/* Its batched repeat, if one follows, is the same free. */
		return batched ? 0 : rmap_insert(&r->pages, ev->ptr, PAGE_FREED_MARK, NULL);
	}
	free_page_ent(e);
	rmap_delete(&r->pages, e);
	r->st.applied++;
	return batched ? 0 : rmap_insert(&r->pages, ev->ptr, PAGE_FREED_MARK, NULL);
}

static int replay_vmap_alloc(struct kmm_replay *r, const struct kmm_trace_event *ev)
{
	if (ev->failed) {
		r->st.kernel_failed++;
		return 0;
	}
	clear_slot(r, &r->vmap, ev->ptr, free_vmap_ent);
	unsigned long size = ev->bytes_req > PAGE_SIZE ? ev->bytes_req - PAGE_SIZE : PAGE_SIZE;
	/* Address space only (no VM_ALLOC: its pages are traced apart). */
	struct vm_struct *area = get_vm_area_caller(size, 0, __builtin_return_address(0));
	if (!area) {
		r->st.failed_allocs++;
		return 0;
	}
	r->st.applied++;
	return remember(r, &r->vmap, ev->ptr, area, NULL, free_vmap_ent);
}

static void replay_keyed_free(struct kmm_replay *r, struct rmap *m, u64 key,
			      void (*release)(struct rmap_ent *e))
{
	struct rmap_ent *e = rmap_find(m, key);

	if (!e) {
		r->st.unmatched_frees++;
		return;
	}
	release(e);
	rmap_delete(m, e);
	r->st.applied++;
}

static int replay_pcpu_alloc(struct kmm_replay *r, const struct kmm_trace_event *ev)
{
	if (!ev->ptr) {
		r->st.kernel_failed++;
		return 0;
	}
	clear_slot(r, &r->pcpu, ev->ptr, free_pcpu_ent);
	size_t align = ev->align ? ev->align : 1;
	void __percpu *p = ev->reserved ? __alloc_reserved_percpu(ev->bytes_req, align)
					: __alloc_percpu_gfp(ev->bytes_req, align,
							     ev->gfp ? ev->gfp : GFP_KERNEL);
	if (!p) {
		r->st.failed_allocs++;
		return 0;
	}
	r->st.applied++;
	return remember(r, &r->pcpu, ev->ptr, (void *)p, NULL, free_pcpu_ent);
}

static void bind_to(struct kmm_replay *r, int cpu)
{
	cpu %= (int)nr_cpu_ids;
	if (cpu != r->cpu && !kmm_bind_cpu(cpu))
		r->cpu = cpu;
}

int kmm_replay_event(struct kmm_replay *r, int parsed, const struct kmm_trace_event *ev)
{
	r->st.lines++;
	if (parsed <= 0) {
		if (parsed) {
			r->st.malformed++;
			return -EINVAL;
		}
		return 0;
	}
	r->st.events++;
	r->st.by_type[ev->type]++;
	if (ev->type == KMM_TEV_OTHER) {
		r->st.ignored++;
		return 0;
	}
	bind_to(r, ev->cpu);
	switch (ev->type) {
	case KMM_TEV_KMALLOC:
		return replay_kmalloc(r, ev);
	case KMM_TEV_CACHE_ALLOC:
		return replay_cache_alloc(r, ev);
	case KMM_TEV_KFREE:
	case KMM_TEV_CACHE_FREE:
		replay_obj_free(r, ev);
		return 0;
	case KMM_TEV_PAGE_ALLOC:
		return replay_page_alloc(r, ev);
	case KMM_TEV_PAGE_FREE:
	case KMM_TEV_PAGE_FREE_BATCHED:
		return replay_page_free(r, ev, ev->type == KMM_TEV_PAGE_FREE_BATCHED);
	case KMM_TEV_VMAP_ALLOC:
		return replay_vmap_alloc(r, ev);
	case KMM_TEV_VMAP_FREE:
		replay_keyed_free(r, &r->vmap, ev->ptr, free_vmap_ent);
		return 0;
	case KMM_TEV_PCPU_ALLOC:
		return replay_pcpu_alloc(r, ev);
	case KMM_TEV_PCPU_FREE:
		replay_keyed_free(r, &r->pcpu, ev->ptr, free_pcpu_ent);
		return 0;
	default:
		return 0;
	}
}

int kmm_replay_line(struct kmm_replay *r, const char *line, size_t len)
{
	struct kmm_trace_event ev;

	return kmm_replay_event(r, kmm_trace_parse_line(line, len, &ev, r->err, sizeof(r->err)),
				&ev);
}

const char *kmm_replay_error(const struct kmm_replay *r)
{
	return r->err;
}

static size_t live_pages(const struct rmap *m)
{
	size_t n = 0;

	for (size_t i = 0; m->ents && i <= m->mask; i++)
		if (m->ents[i].obj && m->ents[i].obj != PAGE_FREED_MARK)
			n++;
	return n;
}

void kmm_replay_get_stats(const struct kmm_replay *r, struct kmm_replay_stats *st)
{
	*st = r->st;
	st->live_objects = r->objs.used;
	st->live_pages = live_pages(&r->pages);
	st->live_pcpu = r->pcpu.used;
	st->live_vmap = r->vmap.used;
}

static void rmap_release_all(struct rmap *m, void (*release)(struct rmap_ent *e))
{
	if (!m->ents)
		return;
	for (size_t i = 0; i <= m->mask; i++)
		if (m->ents[i].obj)
			release(&m->ents[i]);
	free(m->ents);
	m->ents = NULL;
}

void kmm_replay_destroy(struct kmm_replay *r)
{
	if (!r)
		return;
	rmap_release_all(&r->objs, free_obj);
	rmap_release_all(&r->pages, free_page_ent);
	rmap_release_all(&r->pcpu, free_pcpu_ent);
	rmap_release_all(&r->vmap, free_vmap_ent);
	for (unsigned int i = 0; r->caches && i < RCACHE_SLOTS; i++)
		if (r->caches[i].len)
			kmem_cache_destroy(r->caches[i].s);
	free(r->caches);
	if (r->cpu >= 0)
		kmm_bind_cpu(-1);
	free(r);
}
