/* SPDX-License-Identifier: MIT */
/*
 * The slab allocator and the kmalloc family: Linux 6.x's SLUB, with its API,
 * names and semantics (include/linux/slab.h).
 *
 * A cache hands out objects of one size.  kmalloc() picks one of the
 * kmalloc-<size> caches (8 .. 8k, with 96 and 192) by size and by the gfp
 * flags (GFP_DMA: dma-kmalloc-*, __GFP_RECLAIMABLE: kmalloc-rcl-*); above
 * 8 KiB it takes whole pages (a compound page) from the page allocator, up
 * to KMALLOC_MAX_SIZE.  A bad free (a pointer already free, inside an
 * object, into the wrong cache, or not from kmalloc at all) is reported in
 * Linux's words, counted as KMM_REPORT_SLAB, and refused or repaired, so
 * the machine stays consistent.
 *
 * Deviations from Linux, on purpose:
 *  - kmem_cache_destroy() returns 0 when the cache is gone (or was an alias
 *    whose reference was dropped), else -EBUSY with the cache intact and
 *    usable (Linux returns nothing and leaves the cache half alive).
 *  - Reports print addresses unhashed (%px, not %p) and backtraces as
 *    host symbols ("function+0xoff", or "object+0xoff" where the object
 *    exports no symbol: addr2line finds the line).
 *  - No memcg: SLAB_ACCOUNT and __GFP_ACCOUNT are accepted and ignored, so
 *    there are no kmalloc-cg-* caches.
 */
#ifndef KMM_SLAB_H
#define KMM_SLAB_H

#pragma GCC visibility push(default)

#include <kmm/types.h>
#include <kmm/gfp_types.h>
#include <kmm/mmzone.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef unsigned int slab_flags_t;

/*
 * Flag bits in Linux 6.18's order (enum _slab_flag_bits) for an x86-64
 * kernel with FAILSLAB, MEMCG and KFENCE and without DEBUG_OBJECTS, KASAN
 * or SLUB_TINY, the usual distribution configuration.
 */
#define SLAB_CONSISTENCY_CHECKS	((slab_flags_t)1U << 0)	/* DEBUG: checks on alloc/free */
#define SLAB_RED_ZONE		((slab_flags_t)1U << 1)	/* DEBUG: red zones around objects */
#define SLAB_POISON		((slab_flags_t)1U << 2)	/* DEBUG: poison objects */
#define SLAB_KMALLOC		((slab_flags_t)1U << 3)	/* a kmalloc cache */
#define SLAB_HWCACHE_ALIGN	((slab_flags_t)1U << 4)	/* align objects on cache lines */
#define SLAB_CACHE_DMA		((slab_flags_t)1U << 5)	/* slab pages from ZONE_DMA */
#define SLAB_CACHE_DMA32	((slab_flags_t)1U << 6)	/* slab pages from ZONE_DMA32 */
#define SLAB_STORE_USER		((slab_flags_t)1U << 7)	/* DEBUG: store the last owner */
#define SLAB_PANIC		((slab_flags_t)1U << 8)	/* panic if kmem_cache_create() fails */
#define SLAB_TYPESAFE_BY_RCU	((slab_flags_t)1U << 9)	/* slabs freed a grace period late */
#define SLAB_TRACE		((slab_flags_t)1U << 10)	/* DEBUG: trace allocations and frees */
#define SLAB_NOLEAKTRACE	((slab_flags_t)1U << 11)	/* avoid kmemleak tracing */
#define SLAB_NO_MERGE		((slab_flags_t)1U << 12)	/* never merge with another cache */
#define SLAB_FAILSLAB		((slab_flags_t)1U << 13)	/* fault injection mark */
#define SLAB_ACCOUNT		((slab_flags_t)1U << 14)	/* account to memcg (ignored) */
#define SLAB_NO_USER_FLAGS	((slab_flags_t)1U << 15)	/* ignore slab_debug= for it */
#define SLAB_SKIP_KFENCE	((slab_flags_t)1U << 16)	/* KFENCE skips this cache */
#define SLAB_RECLAIM_ACCOUNT	((slab_flags_t)1U << 17)	/* objects are reclaimable */
#define SLAB_OBJECT_POISON	((slab_flags_t)1U << 18)	/* internal: objects poisoned */
#define SLAB_CMPXCHG_DOUBLE	((slab_flags_t)1U << 19)	/* internal */
#define SLAB_NO_OBJ_EXT		((slab_flags_t)1U << 20)	/* internal */
#define SLAB_TEMPORARY		SLAB_RECLAIM_ACCOUNT	/* objects are short-lived */

/* kmalloc(0) returns this: not NULL, and faults when dereferenced. */
#define ZERO_SIZE_PTR ((void *)16)
#define ZERO_OR_NULL_PTR(x) ((unsigned long)(x) <= (unsigned long)ZERO_SIZE_PTR)

/* The kmalloc size classes on x86-64 (4 KiB pages). */
#define KMALLOC_MIN_SIZE	8
#define KMALLOC_SHIFT_LOW	3
#define KMALLOC_SHIFT_HIGH	(PAGE_SHIFT + 1)
#define KMALLOC_SHIFT_MAX	(MAX_PAGE_ORDER + PAGE_SHIFT)
#define KMALLOC_MAX_CACHE_SIZE	(1UL << KMALLOC_SHIFT_HIGH)
#define KMALLOC_MAX_SIZE	(1UL << KMALLOC_SHIFT_MAX)
#define KMALLOC_MAX_ORDER	(KMALLOC_SHIFT_MAX - PAGE_SHIFT)
#define ARCH_KMALLOC_MINALIGN	8
#define ARCH_SLAB_MINALIGN	8

struct kmem_cache;

/**
 * kmem_cache_create - create a cache of objects of one size
 * @name: shown in /proc/slabinfo; copied
 * @size: object size, 1..KMALLOC_MAX_SIZE
 * @align: required alignment (0 or a power of two)
 * @flags: SLAB_* flags
 * @ctor: run on each object when its slab is set up (not per allocation)
 *
 * A compatible existing cache may be returned instead (merging, as Linux's
 * find_mergeable(); off with slab_nomerge, SLAB_NO_MERGE or a ctor; never
 * into a kmalloc cache, see kmem_cache_create_usercopy()).
 * Context: sleepable.
 * Return: the cache, or NULL on bad arguments or no memory; with SLAB_PANIC
 * a failure panics ("kmem_cache_create: Failed to create slab 'NAME'. Error N").
 */
struct kmem_cache *kmem_cache_create(const char *name, unsigned int size, unsigned int align,
				     slab_flags_t flags, void (*ctor)(void *));
/**
 * kmem_cache_create_usercopy - a cache whose objects hold a user-copyable region
 * @useroffset: where the region starts in an object
 * @usersize: its length; 0 for none
 *
 * As kmem_cache_create(), with the region hardened usercopy would allow.
 * A cache with one is never merged, either way: kmm models a kernel built
 * with CONFIG_HARDENED_USERCOPY, as distributions build theirs, so the
 * kmalloc caches (wholly user-copyable) are not merge targets either.  A
 * region outside the object is a warning and no region.
 */
struct kmem_cache *kmem_cache_create_usercopy(const char *name, unsigned int size,
					      unsigned int align, slab_flags_t flags,
					      unsigned int useroffset, unsigned int usersize,
					      void (*ctor)(void *));

/**
 * kmem_cache_destroy - drop a reference to a cache; the last one frees it
 *
 * Waits first for the kfree_rcu()s in flight (kvfree_rcu_barrier), and for
 * a SLAB_TYPESAFE_BY_RCU cache, for the grace period of its last slabs.
 * Context: sleepable.
 * Return: 0 when the reference is gone; -EBUSY, with a warning, if objects
 * are still allocated (the cache stays, usable; destroy it again later).
 */
int kmem_cache_destroy(struct kmem_cache *s);

void *kmem_cache_alloc(struct kmem_cache *s, gfp_t flags);
void *kmem_cache_alloc_node(struct kmem_cache *s, gfp_t flags, int node);
static inline void *kmem_cache_zalloc(struct kmem_cache *s, gfp_t flags)
{
	return kmem_cache_alloc(s, flags | __GFP_ZERO);
}
void kmem_cache_free(struct kmem_cache *s, void *objp);

/* Allocate @size objects into @p: returns @size, or 0 with nothing allocated. */
int kmem_cache_alloc_bulk(struct kmem_cache *s, gfp_t flags, size_t size, void **p);
void kmem_cache_free_bulk(struct kmem_cache *s, size_t size, void **p);

/* Give back every empty slab; returns 0 if the cache holds no slab at all after. */
int kmem_cache_shrink(struct kmem_cache *s);
/* The object size the cache was created with (the largest, if merged). */
unsigned int kmem_cache_size(struct kmem_cache *s);

/**
 * kmalloc - allocate @size bytes
 * Return: an object of the smallest size class that fits, aligned to its
 * size if that is a power of two (at least 8); ZERO_SIZE_PTR for 0; NULL
 * on failure or above KMALLOC_MAX_SIZE (with a warning unless __GFP_NOWARN).
 */
void *kmalloc(size_t size, gfp_t flags);
void *kmalloc_node(size_t size, gfp_t flags, int node);
static inline void *kzalloc(size_t size, gfp_t flags)
{
	return kmalloc(size, flags | __GFP_ZERO);
}
static inline void *kzalloc_node(size_t size, gfp_t flags, int node)
{
	return kmalloc_node(size, flags | __GFP_ZERO, node);
}
/* n * size bytes, or NULL if that overflows. */
static inline void *kmalloc_array(size_t n, size_t size, gfp_t flags)
{
	size_t bytes;

	if (__builtin_mul_overflow(n, size, &bytes))
		return NULL;
	return kmalloc(bytes, flags);
}
static inline void *kcalloc(size_t n, size_t size, gfp_t flags)
{
	return kmalloc_array(n, size, flags | __GFP_ZERO);
}
/* Resize: the same object if it still fits (ksize), else a copy; 0 frees. */
void *krealloc(const void *p, size_t new_size, gfp_t flags);
void kfree(const void *objp);
/* Zero the whole object (ksize bytes) before freeing it. */
void kfree_sensitive(const void *objp);
/* The usable size of a kmalloc'ed object: its cache's size, or its pages'. */
size_t ksize(const void *objp);
/* The size kmalloc(@size) really allocates. */
size_t kmalloc_size_roundup(size_t size);
/**
 * kvmalloc - kmalloc, or vmalloc when that fails for a size above a page
 * The kmalloc attempt does not retry hard or warn; the vmalloc fallback
 * needs a blocking @flags.  Free with kvfree().
 */
void *kvmalloc(size_t size, gfp_t flags);
void *kvmalloc_node(size_t size, gfp_t flags, int node);
static inline void *kvzalloc(size_t size, gfp_t flags)
{
	return kvmalloc(size, flags | __GFP_ZERO);
}
static inline void *kvzalloc_node(size_t size, gfp_t flags, int node)
{
	return kvmalloc_node(size, flags | __GFP_ZERO, node);
}
static inline void *kvmalloc_array(size_t n, size_t size, gfp_t flags)
{
	size_t bytes;

	if (__builtin_mul_overflow(n, size, &bytes))
		return NULL;
	return kvmalloc(bytes, flags);
}
static inline void *kvcalloc(size_t n, size_t size, gfp_t flags)
{
	return kvmalloc_array(n, size, flags | __GFP_ZERO);
}
/* Resize a kvmalloc'ed object: contents kept up to the smaller size. */
void *kvrealloc(const void *p, size_t size, gfp_t flags);
/* Free what kvmalloc (or kmalloc, or vmalloc) gave; NULL is fine. */
void kvfree(const void *addr);
/* Zero @len bytes first. */
void kvfree_sensitive(const void *addr, size_t len);

/* kmalloc from a given kmalloc-like cache, @size bytes of it (Linux's kmalloc_trace). */
void *__kmalloc_cache_noprof(struct kmem_cache *s, gfp_t flags, size_t size);
/* kmalloc_node, with @caller recorded as the allocating site (SLAB_STORE_USER). */
void *kmalloc_node_track_caller(size_t size, gfp_t flags, int node, unsigned long caller);
char *kstrdup(const char *s, gfp_t gfp);
char *kstrndup(const char *s, size_t max, gfp_t gfp);
void *kmemdup(const void *src, size_t len, gfp_t gfp);

/*
 * Debugging (slab_debug=, or the SLAB_* debug flags on a cache).
 *
 * validate_slab_cache - check every listed slab of @s and each object in it
 * (red zones, poison, padding, free pointers, object counts), reporting and
 * repairing what is wrong.  Full slabs are listed only with SLAB_STORE_USER.
 * Return: the number of slabs checked.
 */
long validate_slab_cache(struct kmem_cache *s);

/*
 * kmm_slab_errors_capture - count this thread's slab errors into *@counter
 * instead of printing them, as Linux's slub_kunit does (each place Linux
 * calls slab_add_kunit_errors() adds one); NULL stops.  For tests.
 */
void kmm_slab_errors_capture(int *counter);

#ifdef __cplusplus
}
#endif

#pragma GCC visibility pop

#endif /* KMM_SLAB_H */
