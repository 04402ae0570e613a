/* SPDX-License-Identifier: MIT */
/*
 * The reference-model fuzzer (libFuzzer).
 *
 * One machine is booted per process (booting costs tens of milliseconds,
 * far more than an input), chosen by KMM_FUZZ_BOOT (default: an x86_32
 * machine with DMA, Normal and HighMem zones, made small with a memmap=
 * hole so kmm_check() stays cheap).  Each input is decoded into a sequence
 * of operations over the whole API: pages of every order and gfp class,
 * __get_free_pages, bulk pages, caches with flags and constructors, the
 * kmalloc and kvmalloc families, vmalloc, vmap, kmap, per-CPU areas and
 * the this_cpu operations, CPU changes and drains.  The shadow model
 * (model.c) fills each object with a pattern of its id and verifies it
 * before the free; a new object is checked for overlap with every live one,
 * alignment, zone and zeroing.  kmm_check() runs every KMM_FUZZ_CHECK_EVERY
 * operations (default 32) and at the end of each input, after everything
 * is freed and every cache destroyed, so each input starts from a machine
 * holding nothing of the previous one.  Any report of misuse from the
 * library is a mismatch too: the fuzzer never misuses the API, so the
 * library has nothing to complain about.
 *
 * A mismatch aborts, and libFuzzer saves the input.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <kmm/kfence.h>
#include "model.h"

#define MAX_LIVE	96
#define MAX_OPS		400
#define NR_CACHES	6
#define BUDGET		(6UL << 20)	/* bytes live at once */
#define DMA_BUDGET	(1UL << 20)

struct reader {
	const u8 *p;
	size_t n;
};

static unsigned int get8(struct reader *r)
{
	if (!r->n)
		return 0;
	r->n--;
	return *r->p++;
}

static unsigned int get16(struct reader *r)
{
	return get8(r) | get8(r) << 8;
}

static struct obj live[MAX_LIVE];
static int nr_live;
static unsigned int next_id = 1;
static size_t live_bytes, dma_bytes;
static int check_every = 32;
static unsigned long report_base[NR_KMM_REPORT_KINDS];

/* --- caches --- */

#define CTOR_BYTE 0xc7
static void ctor_16(void *p) { memset(p, CTOR_BYTE, 16); }
static void ctor_64(void *p) { memset(p, CTOR_BYTE, 64); }
static void ctor_200(void *p) { memset(p, CTOR_BYTE, 200); }
static const struct { unsigned int size; void (*fn)(void *); } ctors[] = {
	{ 16, ctor_16 }, { 64, ctor_64 }, { 200, ctor_200 },
};

struct cache_slot {
	struct kmem_cache *s;
	unsigned int size, align;
	slab_flags_t flags;
	bool ctor;
	int nr_live;
	char name[32];
};
static struct cache_slot caches[NR_CACHES];

static const slab_flags_t cache_flags[] = {
	0, SLAB_HWCACHE_ALIGN, SLAB_CACHE_DMA, SLAB_CACHE_DMA32, SLAB_RECLAIM_ACCOUNT,
	SLAB_TYPESAFE_BY_RCU, SLAB_NO_MERGE, SLAB_ACCOUNT, SLAB_POISON | SLAB_RED_ZONE,
	SLAB_STORE_USER | SLAB_CONSISTENCY_CHECKS, SLAB_HWCACHE_ALIGN | SLAB_NO_MERGE,
};

/* --- gfp classes --- */

static const gfp_t page_gfps[] = {
	GFP_KERNEL, GFP_KERNEL | __GFP_ZERO, GFP_ATOMIC, GFP_NOWAIT, GFP_NOFS, GFP_NOIO,
	GFP_KERNEL | __GFP_DMA, GFP_KERNEL | __GFP_DMA32, GFP_HIGHUSER,
	GFP_HIGHUSER_MOVABLE | __GFP_ZERO, GFP_KERNEL | __GFP_RECLAIMABLE | __GFP_COMP,
	GFP_ATOMIC | __GFP_DMA, GFP_KERNEL | __GFP_NORETRY, GFP_KERNEL | __GFP_RETRY_MAYFAIL,
	GFP_NOWAIT | __GFP_HIGHMEM, GFP_KERNEL | __GFP_COMP | __GFP_ZERO,
	GFP_ATOMIC | __GFP_DMA32 | __GFP_ZERO, GFP_KERNEL | __GFP_MOVABLE,
};

/* Slab requests may not ask for HighMem or DMA32 (Linux's GFP_SLAB_BUG_MASK). */
static const gfp_t slab_gfps[] = {
	GFP_KERNEL, GFP_KERNEL | __GFP_ZERO, GFP_ATOMIC, GFP_NOWAIT, GFP_NOFS, GFP_NOIO,
	GFP_KERNEL | __GFP_DMA, GFP_KERNEL | __GFP_RECLAIMABLE, GFP_ATOMIC | __GFP_ZERO,
	GFP_KERNEL | __GFP_ACCOUNT, GFP_KERNEL | __GFP_DMA | __GFP_ZERO,
};

static gfp_t pick(struct reader *r, const gfp_t *v, size_t n)
{
	return v[get8(r) % n] | __GFP_NOWARN;
}
#define PICK(r, v) pick(r, v, ARRAY_SIZE(v))

static bool may_block(gfp_t gfp)
{
	return gfp & __GFP_DIRECT_RECLAIM;
}

/* Room for @bytes more under the budgets?  Charges them if so. */
static bool charge(size_t bytes, gfp_t gfp)
{
	if (nr_live >= MAX_LIVE || live_bytes + bytes > BUDGET)
		return false;
	if ((gfp & __GFP_DMA) && dma_bytes + bytes > DMA_BUDGET)
		return false;
	live_bytes += bytes;
	if (gfp & __GFP_DMA)
		dma_bytes += bytes;
	return true;
}

static void uncharge(size_t bytes, gfp_t gfp)
{
	live_bytes -= bytes;
	if (gfp & __GFP_DMA)
		dma_bytes -= bytes;
}

static size_t obj_bytes(const struct obj *o)
{
	switch (o->kind) {
	case OBJ_PAGES:
	case OBJ_ADDR_PAGES:
		return PAGE_SIZE << o->order;
	case OBJ_VMAP:
		return o->count * PAGE_SIZE;
	case OBJ_PERCPU:
	case OBJ_PCPU_COUNTER:
		return o->size * nr_cpu_ids;
	default:
		return o->size;
	}
}

/* The zone rules of whatever page backs a slab/kmalloc object. */
static void check_obj_page(const void *p, gfp_t gfp, const char *what)
{
	struct page *page = virt_to_page(p);

	check_page_zone(page, 0, gfp, what);
}

/* Enters a new object into the model: overlap, fill. */
static struct obj *add(struct obj *o)
{
	o->id = next_id++;
	live[nr_live] = *o;
	o = &live[nr_live++];
	obj_check_overlap(o, live, nr_live);
	obj_fill(o);
	return o;
}

/* Runs @alloc in atomic context now and then, when its gfp allows it. */
#define MAYBE_ATOMIC(r, gfp, expr) ({					\
	bool __atomic = !may_block(gfp) && (get8(r) & 1);		\
	if (__atomic)							\
		preempt_disable();					\
	__typeof__(expr) __v = (expr);					\
	if (__atomic)							\
		preempt_enable();					\
	__v;								\
})

/* --- allocations --- */

static void op_alloc_pages(struct reader *r)
{
	gfp_t gfp = PICK(r, page_gfps);
	unsigned int order = get8(r) % 6;

	if (!charge(PAGE_SIZE << order, gfp))
		return;
	struct page *page = MAYBE_ATOMIC(r, gfp, alloc_pages(gfp, order));
	if (!page) {
		uncharge(PAGE_SIZE << order, gfp);
		return;
	}
	check_page_zone(page, order, gfp, "alloc_pages");
	if (page_count(page) != 1)
		mismatch("alloc_pages: pfn %#lx count %d", page_to_pfn(page), page_count(page));
	if ((gfp & __GFP_COMP) && order && compound_order(page) != order)
		mismatch("alloc_pages: __GFP_COMP order %u gave compound order %u", order,
			 compound_order(page));
	if (gfp & __GFP_ZERO)
		for (unsigned long i = 0; i < 1UL << order; i++)
			if (!page_is_zero(page + i))
				mismatch("alloc_pages: __GFP_ZERO page %lu of pfn %#lx not zero", i,
					 page_to_pfn(page));
	add(&(struct obj){ .kind = OBJ_PAGES, .page = page, .order = order, .gfp = gfp });
}

static void op_get_free_pages(struct reader *r)
{
	gfp_t gfp = PICK(r, slab_gfps);
	unsigned int order = get8(r) % 4;
	bool zeroed = !order && (get8(r) & 1);
	unsigned long addr;

	if (!charge(PAGE_SIZE << order, gfp))
		return;
	addr = zeroed ? get_zeroed_page(gfp) : __get_free_pages(gfp, order);
	if (!addr) {
		uncharge(PAGE_SIZE << order, gfp);
		return;
	}
	if (addr & ((PAGE_SIZE << order) - 1))
		mismatch("__get_free_pages: order %u at %#lx misaligned", order, addr);
	check_page_zone(virt_to_page((void *)addr), order, gfp, "__get_free_pages");
	if (zeroed || (gfp & __GFP_ZERO))
		verify_zero((u8 *)addr, PAGE_SIZE << order, "get_zeroed_page");
	add(&(struct obj){ .kind = OBJ_ADDR_PAGES, .ptr = (void *)addr, .order = order,
			   .size = PAGE_SIZE << order, .gfp = gfp });
}

static void op_alloc_bulk(struct reader *r)
{
	gfp_t gfp = PICK(r, page_gfps) & ~__GFP_COMP;
	unsigned long n = 1 + get8(r) % 16;
	struct page *pages[16] = { 0 };

	if (nr_live + (int)n > MAX_LIVE || !charge(n * PAGE_SIZE, gfp))
		return;
	uncharge(n * PAGE_SIZE, gfp);
	unsigned long got = MAYBE_ATOMIC(r, gfp, alloc_pages_bulk(gfp, n, pages));
	unsigned long set = 0;

	for (unsigned long i = 0; i < n; i++) {
		if (!pages[i])
			continue;
		set++;
		check_page_zone(pages[i], 0, gfp, "alloc_pages_bulk");
		if ((gfp & __GFP_ZERO) && !page_is_zero(pages[i]))
			mismatch("alloc_pages_bulk: __GFP_ZERO page not zero");
		charge(PAGE_SIZE, gfp);
		add(&(struct obj){ .kind = OBJ_PAGES, .page = pages[i], .gfp = gfp });
	}
	if (set != got)
		mismatch("alloc_pages_bulk returned %lu but set %lu entries", got, set);
}

static void check_kmalloc_align(const void *p, size_t size, const char *what)
{
	unsigned long a = (unsigned long)p;

	if (a & (ARCH_KMALLOC_MINALIGN - 1))
		mismatch("%s(%zu) = %p below the minimum alignment", what, size, p);
	if (size >= 8 && !(size & (size - 1)) && (a & (size - 1)))
		mismatch("%s(%zu) = %p not naturally aligned", what, size, p);
}

static size_t pick_kmalloc_size(struct reader *r)
{
	unsigned int k = get8(r);

	switch (k % 4) {
	case 0:
		return 1 + get8(r) % 64;
	case 1:
		return (size_t)1 << (k / 4 % 14);	/* 1 .. 8 KiB, powers of two */
	case 2:
		return 1 + get16(r) % 8192;
	default:
		return 8192 + get16(r) * 2UL;		/* large: pages */
	}
}

static void op_kmalloc(struct reader *r)
{
	gfp_t gfp = PICK(r, slab_gfps);
	size_t size = pick_kmalloc_size(r);
	bool z = get8(r) & 1;
	void *p;

	if (!charge(size, gfp))
		return;
	p = MAYBE_ATOMIC(r, gfp, z ? kzalloc(size, gfp) : kmalloc(size, gfp));
	if (!p) {
		uncharge(size, gfp);
		return;
	}
	check_kmalloc_align(p, size, "kmalloc");
	check_obj_page(p, gfp, "kmalloc");
	/* A KFENCE object's ksize() is what was asked, as Linux's kfence_ksize(). */
	size_t ks = is_kfence_address(p) ? size : kmalloc_size_roundup(size);
	if (ksize(p) != ks)
		mismatch("ksize(kmalloc(%zu)) = %zu, expected %zu%s", size, ksize(p), ks,
			 is_kfence_address(p) ? " (a KFENCE object)" : "");
	if (z || (gfp & __GFP_ZERO))
		verify_zero(p, size, "kzalloc");
	add(&(struct obj){ .kind = OBJ_KMALLOC, .ptr = p, .size = size, .gfp = gfp });
}

static void op_kvmalloc(struct reader *r)
{
	size_t size = 1 + (get16(r) << (get8(r) % 4));	/* up to 512 KiB */
	bool z = get8(r) & 1;
	gfp_t gfp = GFP_KERNEL | __GFP_NOWARN;
	void *p;

	if (!charge(size, gfp))
		return;
	p = z ? kvzalloc(size, gfp) : kvmalloc(size, gfp);
	if (!p) {
		uncharge(size, gfp);
		return;
	}
	if ((unsigned long)p & 7)
		mismatch("kvmalloc(%zu) = %p misaligned", size, p);
	if (is_vmalloc_addr(p) && ((unsigned long)p & ~PAGE_MASK))
		mismatch("kvmalloc(%zu) fell back to vmalloc at %p, not page aligned", size, p);
	if (z)
		verify_zero(p, size, "kvzalloc");
	add(&(struct obj){ .kind = OBJ_KVMALLOC, .ptr = p, .size = size, .gfp = gfp });
}

static void op_vmalloc(struct reader *r)
{
	size_t size = 1 + get16(r) % (64 << 10);
	unsigned int how = get8(r) % 4;
	gfp_t gfp = GFP_KERNEL;
	void *p;

	if (!charge(PAGE_ALIGN(size), gfp))
		return;
	switch (how) {
	case 0: p = vmalloc(size); break;
	case 1: p = vzalloc(size); break;
	case 2: p = vmalloc_32(size); gfp |= GFP_DMA32; break;
	default: p = __vmalloc(size, GFP_KERNEL | __GFP_ZERO); break;
	}
	if (!p) {
		uncharge(PAGE_ALIGN(size), GFP_KERNEL);
		return;
	}
	if (!is_vmalloc_addr(p) || ((unsigned long)p & ~PAGE_MASK))
		mismatch("vmalloc(%zu) = %p: not a page-aligned vmalloc address", size, p);
	if (how == 1 || how == 3)
		verify_zero(p, size, "vzalloc");
	for (size_t off = 0; off < size; off += PAGE_SIZE) {
		struct page *page = vmalloc_to_page((u8 *)p + off);

		if (!page)
			mismatch("vmalloc(%zu): no page at offset %zu", size, off);
		if (how == 2)
			check_page_zone(page, 0, gfp, "vmalloc_32");
	}
	add(&(struct obj){ .kind = OBJ_VMALLOC, .ptr = p, .size = PAGE_ALIGN(size),
			   .gfp = GFP_KERNEL });
}

static void op_vmap(struct reader *r)
{
	unsigned int count = 1 + get8(r) % VMAP_MAX;
	gfp_t gfp = (get8(r) & 1) ? GFP_HIGHUSER : GFP_KERNEL;
	struct obj o = { .kind = OBJ_VMAP, .count = count, .size = count * PAGE_SIZE, .gfp = gfp };
	unsigned int i;

	if (!charge(o.size, gfp))
		return;
	for (i = 0; i < count; i++)
		if (!(o.pages[i] = alloc_page(gfp | __GFP_NOWARN)))
			goto out_free;
	o.ptr = vmap(o.pages, count, VM_MAP, PAGE_KERNEL);
	if (!o.ptr)
		goto out_free;
	if (!is_vmalloc_addr(o.ptr) || ((unsigned long)o.ptr & ~PAGE_MASK))
		mismatch("vmap = %p: not a page-aligned vmalloc address", o.ptr);
	add(&o);
	return;
out_free:
	while (i--)
		__free_page(o.pages[i]);
	uncharge(o.size, gfp);
}

static void op_cache_create(struct reader *r)
{
	int k = (int)(get8(r) % NR_CACHES);
	struct cache_slot *c = &caches[k];
	unsigned int ci = get8(r);

	if (c->s)
		return;
	memset(c, 0, sizeof(*c));
	c->ctor = ci % 4 == 3;
	c->size = c->ctor ? ctors[ci / 4 % ARRAY_SIZE(ctors)].size : 1 + get16(r) % 3000;
	c->align = (get8(r) & 1) ? 1U << (get8(r) % 8) : 0;
	c->flags = cache_flags[get8(r) % ARRAY_SIZE(cache_flags)];
	if (kmm_arch() == KMM_ARCH_X86_32)
		c->flags &= ~SLAB_CACHE_DMA32;
	snprintf(c->name, sizeof(c->name), "fuzz-%d", k);
	c->s = kmem_cache_create(c->name, c->size, c->align, c->flags,
				 c->ctor ? ctors[ci / 4 % ARRAY_SIZE(ctors)].fn : NULL);
	if (!c->s)
		mismatch("kmem_cache_create(%u, align %u, flags %#x) failed", c->size, c->align,
			 c->flags);
	if (kmem_cache_size(c->s) < c->size)
		mismatch("kmem_cache_size %u < %u", kmem_cache_size(c->s), c->size);
}

/* The alignment Linux promises for a cache (calculate_alignment()). */
static unsigned long cache_align(const struct cache_slot *c)
{
	unsigned long a = c->align;

	if (c->flags & SLAB_HWCACHE_ALIGN) {
		unsigned long ralign = 64;

		while (c->size <= ralign / 2)
			ralign /= 2;
		a = a > ralign ? a : ralign;
	}
	return a > ARCH_SLAB_MINALIGN ? a : ARCH_SLAB_MINALIGN;
}

static void op_cache_alloc(struct reader *r)
{
	struct cache_slot *c = &caches[get8(r) % NR_CACHES];
	gfp_t gfp = PICK(r, slab_gfps) & ~__GFP_DMA;
	int k = (int)(c - caches);

	if (!c->s)
		return;
	if (c->ctor)
		gfp &= ~__GFP_ZERO;
	if (!charge(c->size, gfp))
		return;
	void *p = MAYBE_ATOMIC(r, gfp, kmem_cache_alloc(c->s, gfp));
	if (!p) {
		uncharge(c->size, gfp);
		return;
	}
	if ((unsigned long)p & (cache_align(c) - 1))
		mismatch("cache %d (size %u align %u flags %#x): object %p misaligned to %lu", k,
			 c->size, c->align, c->flags, p, cache_align(c));
	if (c->flags & (SLAB_CACHE_DMA | SLAB_CACHE_DMA32))
		check_obj_page(p, c->flags & SLAB_CACHE_DMA ? GFP_DMA : GFP_DMA32, "cache");
	if (c->ctor)
		for (unsigned int i = 0; i < c->size; i++)
			if (((u8 *)p)[i] != CTOR_BYTE)
				mismatch("cache %d: object %p byte %u is %#x, not as constructed", k, p,
					 i, ((u8 *)p)[i]);
	if (gfp & __GFP_ZERO)
		verify_zero(p, c->size, "kmem_cache_zalloc");
	c->nr_live++;
	add(&(struct obj){ .kind = OBJ_CACHE, .ptr = p, .size = c->size, .cache = k, .gfp = gfp });
}

static void op_cache_destroy(struct reader *r)
{
	struct cache_slot *c = &caches[get8(r) % NR_CACHES];

	if (!c->s || c->nr_live)
		return;
	if (kmem_cache_destroy(c->s))
		mismatch("kmem_cache_destroy of an empty cache failed");
	c->s = NULL;
}

static void op_percpu(struct reader *r)
{
	bool counter = get8(r) & 1;
	size_t size = counter ? sizeof(u64) : 1 + get8(r) % 256;
	size_t align = counter ? sizeof(u64) : 1UL << (get8(r) % 7);
	gfp_t gfp = (get8(r) & 1) ? GFP_KERNEL : GFP_NOWAIT;
	void *p;

	if (!charge(size * nr_cpu_ids, gfp))
		return;
	p = MAYBE_ATOMIC(r, gfp, __alloc_percpu_gfp(size, align, gfp | __GFP_NOWARN));
	if (!p) {
		uncharge(size * nr_cpu_ids, gfp);
		return;
	}
	for (int cpu = 0; cpu < (int)nr_cpu_ids; cpu++) {
		u8 *c = per_cpu_ptr((u8 *)p, cpu);

		if ((unsigned long)c & (align - 1))
			mismatch("alloc_percpu(%zu, align %zu): CPU %d copy %p misaligned", size, align,
				 cpu, (void *)c);
		verify_zero(c, size, "alloc_percpu");
	}
	add(&(struct obj){ .kind = counter ? OBJ_PCPU_COUNTER : OBJ_PERCPU, .ptr = p,
			   .size = size, .gfp = gfp });
}

/* --- operations on live objects --- */

static void release(int k)
{
	struct obj o = live[k];

	obj_verify(&o, "before free");
	live[k] = live[--nr_live];
	uncharge(obj_bytes(&o), o.gfp);
	switch (o.kind) {
	case OBJ_PAGES:
		__free_pages(o.page, o.order);
		break;
	case OBJ_ADDR_PAGES:
		free_pages((unsigned long)o.ptr, o.order);
		break;
	case OBJ_KMALLOC:
		kfree(o.ptr);
		break;
	case OBJ_KVMALLOC:
		kvfree(o.ptr);
		break;
	case OBJ_CACHE: {
		struct cache_slot *c = &caches[o.cache];

		if (c->ctor)	/* objects go back as constructed */
			memset(o.ptr, CTOR_BYTE, c->size);
		kmem_cache_free(c->s, o.ptr);
		c->nr_live--;
		break;
	}
	case OBJ_VMALLOC:
		if (o.id & 1)
			vfree(o.ptr);
		else
			vfree_atomic(o.ptr);
		break;
	case OBJ_VMAP:
		vunmap(o.ptr);
		for (unsigned int i = 0; i < o.count; i++) {
			verify_page(o.pages[i], o.id, i * PAGE_SIZE, "after vunmap");
			__free_page(o.pages[i]);
		}
		break;
	case OBJ_PERCPU:
	case OBJ_PCPU_COUNTER:
		free_percpu(o.ptr);
		break;
	}
}

static void op_krealloc(struct reader *r, int k)
{
	struct obj *o = &live[k];

	if (o->kind != OBJ_KMALLOC)
		return;
	size_t nsize = pick_kmalloc_size(r);
	gfp_t gfp = o->gfp & ~__GFP_ZERO;

	if (!charge(nsize, gfp))
		return;
	obj_verify(o, "before krealloc");
	void *p = krealloc(o->ptr, nsize, gfp);
	if (!p) {
		uncharge(nsize, gfp);
		obj_verify(o, "after a failed krealloc");
		return;
	}
	uncharge(o->size, o->gfp);
	o->gfp = gfp;
	size_t keep = nsize < o->size ? nsize : o->size;
	verify_bytes(p, keep, o->id, 0, "krealloc kept");
	check_kmalloc_align(p, nsize, "krealloc");
	struct obj n = *o;
	n.ptr = p;
	n.size = nsize;
	*o = n;
	obj_check_overlap(o, live, nr_live);
	fill_bytes((u8 *)p + keep, nsize - keep, o->id, keep);
}

static void op_this_cpu(struct reader *r, int k)
{
	struct obj *o = &live[k];
	u64 *c = o->ptr, v = get8(r), old;

	if (o->kind != OBJ_PCPU_COUNTER)
		return;
	switch (get8(r) % 6) {
	case 0:
		this_cpu_add(*c, v);
		o->sum += v;
		break;
	case 1:
		this_cpu_inc(*c);
		o->sum++;
		break;
	case 2:
		old = this_cpu_xchg(*c, v);
		o->sum += v - old;
		break;
	case 3:
		preempt_disable();
		old = __this_cpu_read(*c);
		__this_cpu_write(*c, old + v);
		if (*this_cpu_ptr(c) != old + v)
			mismatch("this_cpu_ptr does not see __this_cpu_write");
		preempt_enable();
		o->sum += v;
		break;
	case 4: {
		u64 *mine = get_cpu_ptr(c);

		*mine -= v;
		put_cpu_ptr(c);
		o->sum -= v;
		break;
	}
	default:
		old = this_cpu_read(*c);
		if (this_cpu_cmpxchg(*c, old, old + v) == old)
			o->sum += v;	/* we run alone: it cannot have changed */
		else
			mismatch("this_cpu_cmpxchg failed with nobody else running");
		break;
	}
	obj_verify(o, "this_cpu op");
}

static void op_kmap(int k)
{
	struct obj *o = &live[k];

	if (o->kind != OBJ_PAGES)
		return;
	/* kmap the whole block one page at a time, several at once. */
	void *maps[32];
	unsigned long n = 1UL << o->order;

	for (unsigned long i = 0; i < n && i < 32; i++) {
		maps[i] = kmap(o->page + i);
		if (!PageHighMem(o->page) && maps[i] != page_address(o->page + i))
			mismatch("kmap of a lowmem page is not its direct address");
	}
	for (unsigned long i = 0; i < n && i < 32; i++) {
		if (kmap_to_page(maps[i]) != o->page + i)
			mismatch("kmap_to_page does not give the page back");
		verify_bytes(maps[i], PAGE_SIZE, o->id, i * PAGE_SIZE, "through kmap");
	}
	for (unsigned long i = 0; i < n && i < 32; i++)
		kunmap(o->page + i);
	void *a = kmap_atomic(o->page);
	verify_bytes(a, PAGE_SIZE, o->id, 0, "through kmap_atomic");
	kunmap_atomic(a);
}

/* The end of the kernel log, which says what the library saw. */
static void print_log_tail(void)
{
	size_t n = kmm_dmesg(NULL, 0);
	char *buf = malloc(n + 1);

	kmm_dmesg(buf, n + 1);
	fprintf(stderr, "--- the end of the kernel log ---\n%s\n", n > 6000 ? buf + n - 6000 : buf);
	free(buf);
}

static void check_reports(const char *when)
{
	static const enum kmm_report_kind bad[] = {
		KMM_REPORT_WARN, KMM_REPORT_BUG, KMM_REPORT_BAD_PAGE, KMM_REPORT_MIGHT_SLEEP,
		KMM_REPORT_BAD_FREE, KMM_REPORT_CHECK, KMM_REPORT_SLAB, KMM_REPORT_VMALLOC,
		KMM_REPORT_KMAP, KMM_REPORT_PERCPU,
	};

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		if (kmm_report_count(bad[i]) == report_base[bad[i]])
			continue;
		print_log_tail();
		mismatch("%s: the library reported a problem of kind %d (the log above)", when, bad[i]);
	}
}

static void check_machine(const char *when)
{
	int problems = kmm_check();

	if (problems) {
		print_log_tail();
		mismatch("%s: kmm_check() found %d problems", when, problems);
	}
	check_reports(when);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const u8 *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *boot = getenv("KMM_FUZZ_BOOT");
	const char *every = getenv("KMM_FUZZ_CHECK_EVERY");

	(void)argc;
	(void)argv;
	if (!boot)
		boot = "arch=x86_32 mem=1G memmap=880M$48M cpus=2";
	if (every && atoi(every) > 0)
		check_every = atoi(every);
	kmm_set_console(NULL);
	if (kmm_boot(boot)) {
		fprintf(stderr, "fuzz_model: kmm_boot(\"%s\") failed\n", boot);
		exit(1);
	}
	for (int i = 0; i < NR_KMM_REPORT_KINDS; i++)
		report_base[i] = kmm_report_count(i);
	return 0;
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	struct reader rd = { data, size }, *r = &rd;
	unsigned long vm_pages = vmalloc_nr_pages();

	for (int step = 0; rd.n && step < MAX_OPS; step++) {
		unsigned int op = get8(r);
		int k = nr_live ? (int)(get8(r) % (unsigned)nr_live) : -1;

		switch (op % 24) {
		case 0: case 1: case 2: op_alloc_pages(r); break;
		case 3: op_get_free_pages(r); break;
		case 4: op_alloc_bulk(r); break;
		case 5: case 6: case 7: op_kmalloc(r); break;
		case 8: op_kvmalloc(r); break;
		case 9: op_vmalloc(r); break;
		case 10: op_vmap(r); break;
		case 11: op_cache_create(r); break;
		case 12: case 13: op_cache_alloc(r); break;
		case 14: op_cache_destroy(r); break;
		case 15: op_percpu(r); break;
		case 16: case 17: case 18:
			if (k >= 0)
				release(k);
			break;
		case 19:
			if (k >= 0)
				op_krealloc(r, k);
			break;
		case 20:
			if (k >= 0)
				op_this_cpu(r, k);
			break;
		case 21:
			if (k >= 0)
				op_kmap(k);
			break;
		case 22:
			kmm_bind_cpu((int)(get8(r) % (nr_cpu_ids + 1)) - 1);
			break;
		default:
			switch (get8(r) % 5) {
			case 0: drain_all_pages(NULL); break;
			case 1: {
				struct cache_slot *c = &caches[get8(r) % NR_CACHES];
				if (c->s)
					kmem_cache_shrink(c->s);
				break;
			}
			case 2: vm_unmap_aliases(); break;
			case 3: kmap_flush_unused(); break;
			default:
				for (int i = 0; i < nr_live; i++)
					obj_verify(&live[i], "verify all");
				break;
			}
		}
		if ((step + 1) % check_every == 0)
			check_machine("during the sequence");
	}
	while (nr_live)
		release(nr_live - 1);
	for (int i = 0; i < NR_CACHES; i++) {
		if (caches[i].s && kmem_cache_destroy(caches[i].s))
			mismatch("kmem_cache_destroy of empty cache %d failed", i);
		caches[i].s = NULL;
	}
	kmm_bind_cpu(-1);
	kmm_flush_deferred_vfree();
	if (live_bytes || dma_bytes)
		mismatch("model accounting: %zu bytes left", live_bytes);
	if (vmalloc_nr_pages() != vm_pages)
		mismatch("vmalloc holds %lu pages after the input, %lu before", vmalloc_nr_pages(),
			 vm_pages);
	check_machine("after the input");
	return 0;
}
