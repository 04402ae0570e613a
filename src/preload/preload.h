/* SPDX-License-Identifier: MIT */
/*
 * The preload library's private header: malloc.c (the C allocation API)
 * and takeover.c (booting on first use, the bootstrap arena, foreign
 * pointers, fork, the views at exit).
 */
#ifndef KMM_PRELOAD_H
#define KMM_PRELOAD_H

#include "internal.h"

/*
 * The library's state: malloc serves from the machine only when UP.
 * FORKED: a child whose RAM is still its parent's, copy-on-write, and the
 * machine still held (src/fork.c); its first call settles (shim_wake()).
 */
enum shim_state { SHIM_DOWN, SHIM_BOOTING, SHIM_UP, SHIM_FORKED };
extern int shim_state;

/*
 * Where the allocator's memory is, set at boot: the direct map (slab
 * objects and large allocations, with a shadow byte per granule saying
 * which granules start a live allocation) and the vmalloc area (huge ones).
 */
struct shim_layout {
	unsigned long dm_start, dm_size;	/* direct map */
	unsigned long vm_start, vm_size;	/* vmalloc area */
	u8 *shadow;				/* one byte per granule of the direct map */
	unsigned int shift;			/* log2 of the granule */
	unsigned long granule_mask;		/* the granule's bytes less one */
	/*
	 * shadow less the direct map's start in granules (both aligned), so
	 * that an address's byte is at shadow_bias + (addr >> shift): one
	 * load and one shift on the fast paths.
	 */
	unsigned long shadow_bias;
	/*
	 * One byte per page of the direct map: the class (classes.c) of the
	 * objects malloc last handed out there, page_class less the direct
	 * map's start in pages, as shadow_bias (see page_class_of()).
	 */
	unsigned long page_class_bias;
	u64 ram_bytes;				/* nothing larger can succeed */
};
extern struct shim_layout shim;

/*
 * Shadow bytes; SH_LARGE is a kind only (a large block's mark is its page's
 * tag).  An object of malloc's class i (classes.c) is marked SH_CLASS + i,
 * so free() knows its cache without its struct page; SH_SLAB marks a
 * kmalloc object (an aligned allocation), freed by kfree().
 */
enum { SH_FREE = 0, SH_SLAB = 1, SH_LARGE = 2, SH_CLASS = 3 };

static __always_inline u8 *shadow_of(unsigned long addr)
{
	return (u8 *)(shim.shadow_bias + (addr >> shim.shift));
}

/*
 * The class of a page's objects, for free() to find the CPU's part of
 * their cache from a byte that stays in the cache: a table of 4 KiB per
 * 16 MiB of heap, where the shadow is 64 KiB per MiB, and a free's store
 * addresses (the sheaf's) waited for the shadow byte's miss; the next
 * malloc's loads of the sheaf waited for them in turn (Larson 20%
 * faster).  Valid for a page while an object of malloc's classes lives
 * there, whose shadow byte names the same class: free() checks both.  A
 * page changes class only when its slab was freed and another cache's
 * slab took it, so every malloc() compares the byte and stores only a
 * change: a store on every malloc() made the next free()'s load wait for
 * it (the same byte, when objects are neighbours).  Atomic, relaxed:
 * threads allocating from one slab write the same value at once.
 */
static __always_inline u8 *page_class_of(unsigned long addr)
{
	return (u8 *)(shim.page_class_bias + (addr >> PAGE_SHIFT));
}

static __always_inline unsigned int page_class(unsigned long addr)
{
	return __atomic_load_n(page_class_of(addr), __ATOMIC_RELAXED);
}

/* @addr, an object of @class just allocated: its page's byte says so. */
static __always_inline void page_class_set(unsigned long addr, unsigned int class)
{
	u8 *pc = page_class_of(addr);

	if (unlikely(__atomic_load_n(pc, __ATOMIC_RELAXED) != class))
		__atomic_store_n(pc, (u8)class, __ATOMIC_RELAXED);
}

/* Serve from the machine: booted, and not called from inside kmm itself. */
static __always_inline bool shim_ready(void)
{
	return likely(__atomic_load_n(&shim_state, __ATOMIC_ACQUIRE) == SHIM_UP) &&
	       likely(!current->preempt_count);
}

/* classes.c: malloc's size classes, each a slab cache (kmalloc's and its own) */
#define SHIM_MIN_ALIGN		16
#define SHIM_CLASS_SHIFT	4		/* 16-byte steps ... */
#define SHIM_CLASS_MAX		65536UL		/* ... up to 64 KiB */
#define SHIM_CLASS_STEPS	(SHIM_CLASS_MAX >> SHIM_CLASS_SHIFT)
#define SHIM_NR_CLASSES		36
extern struct kmem_cache *shim_classes[SHIM_NR_CLASSES];
/*
 * Each class's cache's cpu_slab, set once the cache is: free() and
 * malloc() skip a load.  NULL for a debug cache (slab_debug=), whose
 * allocations and frees must all take the checked path: the fast paths
 * test this one pointer, not the cache's flags behind it.
 */
extern struct kmem_cache_cpu *shim_parts[SHIM_NR_CLASSES];
extern u8 shim_class_of[SHIM_CLASS_STEPS + 1];
extern const unsigned int shim_class_sizes[SHIM_NR_CLASSES];	/* each cache's object_size */
int shim_classes_init(void);
struct kmem_cache *shim_class_make(unsigned int class);

/*
 * The class (an index in shim_classes[]) for a request of @size bytes,
 * 0 .. SHIM_CLASS_MAX: one table of 16-byte steps, so that the lookup is
 * one load and no branch (a program's sizes come in any order).
 */
static __always_inline unsigned int shim_class(size_t size)
{
	return shim_class_of[(size + (1UL << SHIM_CLASS_SHIFT) - 1) >> SHIM_CLASS_SHIFT];
}

/* takeover.c */
void shim_boot(void);
/* Boot (DOWN) or settle a forked child (FORKED); nothing when UP or BOOTING. */
void shim_wake(void);
void *arena_alloc(size_t size, size_t align);
bool arena_owns(const void *p);
size_t arena_usable(const void *p);
/* 0 if @p is no allocation the loader made before the takeover, else the bytes to its range's end. */
size_t loader_usable(const void *p);
__attribute__((noreturn)) void shim_invalid(const char *fn, const void *p);

#endif /* KMM_PRELOAD_H */
