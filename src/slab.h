/* SPDX-License-Identifier: MIT */
/*
 * Private to the slab layer (slub.c, slab_common.c, slab_check.c): the
 * cache, its per-CPU and per-node parts, and struct slab, which overlays
 * the struct page of a slab's first page as Linux's mm/slab.h does.
 */
#ifndef KMM_SLAB_PRIV_H
#define KMM_SLAB_PRIV_H

#include "internal.h"
#include <kmm/slab.h>
#include <kmm/poison.h>
#include "annotate.h"

#pragma GCC visibility push(hidden)	/* as internal.h */

#define cache_line_size()	64
#define MAX_OBJS_PER_PAGE	32767	/* slab->objects is 15 bits */
#define SHEAF_CAPACITY		19	/* kmem_cache_cpu: four cache lines */
/*
 * A CPU's spare sheaf (see "The spare sheaf" in slub.c): its most objects
 * (one order-2 page with its header: a batch of two thousand), the largest
 * objects it is for, the fewest it holds while it holds any, and the run
 * frees handed back between two refills that make it grow.
 */
#define SPARE_SHEAF_MAX		2045
#define SPARE_SHEAF_MAX_SIZE	4096
#define SPARE_SHEAF_MIN		(2 * SHEAF_CAPACITY)
#define SPARE_SHEAF_GROW	64
/* The bytes of objects the spare sheaves of one CPU may hold, all caches together. */
#ifndef SPARE_CPU_BYTES
#define SPARE_CPU_BYTES		(4096 * 1024)
#endif

/*
 * A slab: one or more pages (a compound page when more) cut into objects.
 * The fields overlay struct page word for word (asserted below): slab_list
 * on lru, slab_cache on mapping, freelist on index, the counters on
 * private, and page_type says PGTY_slab so PageSlab() is true.  Tail pages
 * keep their compound_head.
 *
 * States (see slub.c):
 *   frozen   the slab of one CPU, or on one CPU's partial list (chained
 *            by @next, @slabs counting it and those after it): on no
 *            node list.  The CPU slab's free objects are the
 *            CPU's lockless freelist plus slab->freelist (frees from other
 *            CPUs, pushed by slab_update_freelist() with no lock); inuse
 *            counts every object not on slab->freelist.
 *   partial  on its node's partial list, some or all objects free.
 *   full     no free object, on no list (as SLUB without debugging).
 *   RCU      emptied slab of a SLAB_TYPESAFE_BY_RCU cache, waiting for a
 *            grace period in call_rcu() (rcu_head.func is rcu_free_slab):
 *            still PageSlab of its cache and in NR_SLAB_*, no longer in
 *            the node's counts, its objects as they were.
 */
struct slab {
	unsigned long __page_flags;
	union {
		struct list_head slab_list;
		struct rcu_head rcu_head;	/* emptied, waiting for a grace period */
		struct {			/* frozen on a CPU's partial list */
			struct slab *next;	/* never odd: compound_head's word */
			int slabs;		/* this one and those after it */
		};
	};
	struct kmem_cache *slab_cache;
	void *freelist;			/* first free object (not CPU-owned) */
	union {
		unsigned long counters;
		struct {
			unsigned int inuse:16;
			unsigned int objects:15;
			unsigned int frozen:1;
			unsigned int colour;	/* byte offset of the first object */
		};
	};
	unsigned int __page_type;
	atomic_t __page_refcount;
	unsigned long __page_virtual;	/* page->virtual: unused, lowmem only */
};

#define SLAB_MATCH(pg, sl)						\
	_Static_assert(offsetof(struct page, pg) == offsetof(struct slab, sl), \
		       "struct slab must overlay struct page: " #sl)
SLAB_MATCH(flags, __page_flags);
SLAB_MATCH(lru, slab_list);
SLAB_MATCH(mapping, slab_cache);
SLAB_MATCH(index, freelist);
SLAB_MATCH(private, counters);
SLAB_MATCH(page_type, __page_type);
SLAB_MATCH(_refcount, __page_refcount);
SLAB_MATCH(virtual, __page_virtual);
_Static_assert(sizeof(struct slab) == sizeof(struct page), "struct slab is a struct page");
/* freelist and counters are one 16-byte unit for slab_update_freelist(). */
_Static_assert(offsetof(struct slab, counters) == offsetof(struct slab, freelist) + 8 &&
	       offsetof(struct slab, freelist) % 16 == 0 && sizeof(struct page) % 16 == 0,
	       "freelist and counters must be an aligned double word");
#undef SLAB_MATCH

/*
 * The counters word as a number, for the exchanges that compute a new
 * one from the old: bit-field stores into a local copy of it go through
 * the stack, and the whole word read back over them waits for the stores
 * to retire (no store forwarding from several stores), a stall per
 * exchange.  The x86-64 ABI lays bit-fields out from bit 0 up: inuse in
 * bits 0-15, objects 16-30, frozen 31, the colour in the upper half
 * (checked at boot, kmem_cache_init()).
 */
#define SLAB_INUSE_MASK		0xffffUL
#define SLAB_OBJECTS_SHIFT	16
#define SLAB_FROZEN		(1UL << 31)
#define SLAB_COLOUR_SHIFT	32

static __always_inline unsigned int counters_inuse(unsigned long counters)
{
	return (unsigned int)(counters & SLAB_INUSE_MASK);
}

static __always_inline unsigned int counters_objects(unsigned long counters)
{
	return (unsigned int)(counters >> SLAB_OBJECTS_SHIFT) & 0x7fff;
}

static __always_inline bool counters_frozen(unsigned long counters)
{
	return counters & SLAB_FROZEN;
}

/* @counters with inuse set to @inuse (at most objects). */
static __always_inline unsigned long counters_set_inuse(unsigned long counters,
							unsigned int inuse)
{
	return (counters & ~SLAB_INUSE_MASK) | inuse;
}

/* @counters with @frozen. */
static __always_inline unsigned long counters_set_frozen(unsigned long counters, bool frozen)
{
	return frozen ? counters | SLAB_FROZEN : counters & ~SLAB_FROZEN;
}

/*
 * Replace @slab's freelist and counters together if both are still
 * @fl_old and @c_old, as Linux's slab_update_freelist(): one cmpxchg16b,
 * a full barrier, so the free pointers written into the objects before it
 * are seen by whoever takes the freelist after it.  Frees from any CPU and
 * the owner's refill race on these two words with no lock between them.
 */
static __always_inline bool slab_update_freelist(struct slab *slab, void *fl_old,
						 unsigned long c_old, void *fl_new,
						 unsigned long c_new)
{
	typedef unsigned __int128 dword;
	dword old = (dword)c_old << 64 | (unsigned long)fl_old;
	dword new = (dword)c_new << 64 | (unsigned long)fl_new;

	return __sync_bool_compare_and_swap((dword *)&slab->freelist, old, new);
}

/*
 * The per-CPU part: touched only by the CPU that owns it (preemption off).
 * @base and @limit let the free fast path recognise an object of @slab
 * from its address alone, without the slab's struct page: the first
 * object's address, and the bytes its objects span (0 when there is no
 * slab, or when every free of the cache must take the slow path for its
 * hooks; a slab is at most 4 MiB).  Set together with @slab by
 * cpu_slab_set().
 *
 * The defer_ fields gather this CPU's frees to one other slab, to hand
 * them to it in one go (see "deferred frees" in slub.c): a chain of its
 * objects linked by their free pointers, newest first, still counted in
 * the slab's inuse; its first and last object, their count, the slab's
 * object range as for @slab (its slab is the one of defer_base), and the
 * slab's inuse when the chain began.  No chain: all NULL and 0.  No chain
 * but defer_tail: the range vouches for frees to the spare sheaf, which
 * defer_tail is, while the spare holds more objects than defer_count
 * (defer_inuse 0; see "The spare sheaf" in slub.c).  One cache line: the
 * part is the tail of a struct kmem_cache object, once per CPU.
 *
 * @partial, on a second line that only the slow paths touch, is the CPU's
 * partial list (Linux's CONFIG_SLUB_CPU_PARTIAL): slabs frozen for this
 * CPU that the allocation slow path takes before the node's partial list,
 * with no lock.  A free that gives a full slab its first object back puts
 * the slab here, not on the node list.
 *
 * @sheaf (after Linux 6.18's per-CPU sheaves) holds objects freed on this
 * CPU to other slabs one at a time, not in runs, and every free of the
 * preload shim while it has room (see "sheaf" in slub.c): still in use
 * to their slabs, given to the next allocations before the CPU freelist,
 * or to their slabs, the older half when it is full, all when flushed.
 *
 * @bump: a new slab's objects are not linked when it is made (see "lazy
 * slabs" in slub.c); the CPU hands them out in address order once its
 * freelist is empty.  The objects from @base + @bump to @base + @limit have
 * never been allocated since the slab was made: free objects of the CPU,
 * as those on its freelist.  @bump == @limit: none (a slab from a partial
 * list, no slab, or a cache whose frees take the slow path, limit 0).
 *
 * @spare: the CPU's spare sheaf (see "The spare sheaf" in slub.c), which
 * allocations pop after the sheaf, before the CPU freelist; an empty one
 * of capacity 0 for caches without, so the fast path tests no pointer.
 */
struct kmem_cache_cpu {
	void *freelist;			/* next free object of @slab */
	struct slab *slab;		/* the frozen CPU slab, or NULL */
	unsigned long base;
	unsigned int limit;
	unsigned int defer_count;
	void *defer_head;
	unsigned long defer_base;
	unsigned int defer_limit;
	unsigned int defer_inuse;
	void *defer_tail;
	struct slab *partial ____cacheline_aligned;	/* the CPU's partial list */
	/*
	 * The cache, and its reciprocal_size for slab_range_holds(): kfree()
	 * finds both from the CPU part that the kmalloc fast path left as its
	 * hint (kmm_cpu.kmalloc_hint), a load fewer than through the cache.
	 */
	struct kmem_cache *cache;
	u64 reciprocal_size;
	union {
		struct {
			unsigned int size;
			void *objects[SHEAF_CAPACITY];
		} sheaf;
		struct {
			unsigned int __sheaf_size;
			unsigned int bump;	/* in the sheaf's padding, on its line */
		};
	};
	struct slab_spare *spare;	/* never NULL: &slab_no_spare for none */
} ____cacheline_aligned;
_Static_assert((sizeof(struct kmem_cache_cpu) & (sizeof(struct kmem_cache_cpu) - 1)) == 0,
	       "kmem_cache_cpu is a power of two long (cpu_slab() indexes by a shift)");
_Static_assert(sizeof(struct kmem_cache_cpu) == 256, "kmem_cache_cpu: four cache lines");
_Static_assert(offsetof(struct kmem_cache_cpu, partial) == 64,
	       "the fast paths' part of kmem_cache_cpu is one cache line");
_Static_assert(offsetof(struct kmem_cache_cpu, bump) + sizeof(unsigned int) <=
	       offsetof(struct kmem_cache_cpu, sheaf.objects),
	       "bump lies in the sheaf's padding, after its size");

/*
 * A CPU's spare sheaf (after Linux 6.18's spare sheaf, see slub.c): runs
 * of frees to one slab and frees of the CPU slab's objects past the sheaf,
 * oldest first, each still in use to its slab; an
 * order-2 page of its own, made with the cache.  @bottom, always NULL, is
 * objects[-1]: the fast path's double-free test of the top object needs
 * no test for an empty spare.  Touched only by the CPU that owns it
 * (flush_all() and the shrinker read @size and @capacity without).
 */
struct slab_spare {
	unsigned int size;
	unsigned short capacity;	/* now, at most SPARE_SHEAF_MAX; 0: not in use */
	unsigned short high;		/* the most it held at a run's start since the last refill */
	unsigned int given;		/* run frees handed to slabs since the last refill */
	bool refilled;			/* a refill came since the last free's slow path */
	void *bottom;
	void *objects[];
};
/* The object on top of @sp, or NULL when it is empty (@bottom). */
static __always_inline void *spare_top(const struct slab_spare *sp)
{
	return sp->objects[(long)sp->size - 1];
}
/* Of caches without: empty, capacity 0, never written (kmem_cache_cpu.spare). */
extern struct slab_spare slab_no_spare;

static inline unsigned long spare_bytes(unsigned int capacity)
{
	return sizeof(struct slab_spare) + (unsigned long)capacity * sizeof(void *);
}
_Static_assert(sizeof(struct slab_spare) + SPARE_SHEAF_MAX * sizeof(void *) <= 4 * 4096,
	       "a spare sheaf is an order-2 page");

/*
 * The per-node part: the partial list and the slab counts, under list_lock.
 * Caches with SLAB_STORE_USER also keep their full slabs listed, so that
 * validation and leak reports can reach every object.
 */
struct kmem_cache_node {
	spinlock_t list_lock;
	unsigned long nr_partial;
	struct list_head partial;
	struct list_head full;
	atomic_long_t nr_slabs;		/* every slab of this node */
	atomic_long_t total_objects;	/* and the objects in them */
};

struct kmem_cache {
	struct kmem_cache_cpu *cpu_slab;
	slab_flags_t flags;
	unsigned long min_partial;
	unsigned int cpu_partial;	/* objects kept on CPU partial lists, Linux's knob */
	unsigned int cpu_partial_slabs;	/* what it means in slabs per CPU; 0: none */
	unsigned int size;		/* object stride: object + metadata, aligned */
	unsigned int object_size;	/* what the user asked for */
	unsigned int offset;		/* of the free pointer in an object */
	unsigned int order;		/* preferred slab order and its objects */
	unsigned int objects;
	unsigned int min_order;		/* fallback when that order is not to be had */
	unsigned int min_objects;
	gfp_t allocflags;		/* added to every slab page allocation */
	int refcount;			/* aliases; -1: never merge, never destroy */
	void (*ctor)(void *);
	unsigned int useroffset;	/* the part copy_to/from_user may touch */
	unsigned int usersize;
	unsigned int inuse;		/* offset to the metadata */
	unsigned int align;
	unsigned int red_left_pad;	/* SLAB_RED_ZONE: bytes of red zone before each object */
	bool annotated;			/* ASan/Valgrind see its objects (annotate.h) */
	unsigned long random;		/* freelist pointer hardening */
	u64 reciprocal_size;		/* 2^64 / size, rounded up: obj index */
	unsigned int colour_next;	/* the colour (offset) of the next new slab */
	bool spares;			/* its CPUs have spare sheaves (kmem_cache_cpu.spare) */
	struct slab_spare **spare_pages;	/* per CPU, after the CPU parts: its spare's page */
	const char *name;
	struct list_head list;		/* slab_caches */
	struct kmem_cache_node *node[MAX_NUMNODES];
};

/* What SLAB_STORE_USER keeps per object, twice: where it was last allocated and freed. */
struct track {
	unsigned long addr;		/* the caller of the allocator */
	depot_stack_handle_t handle;	/* its whole backtrace */
	int cpu;
	int pid;
	unsigned long when;		/* jiffies */
};
enum track_item { TRACK_ALLOC, TRACK_FREE };

/* Flags that take a cache off the per-CPU fast path (Linux's SLAB_DEBUG_FLAGS). */
#define SLAB_DEBUG_FLAGS (SLAB_RED_ZONE | SLAB_POISON | SLAB_STORE_USER | SLAB_TRACE | \
			  SLAB_CONSISTENCY_CHECKS)
#define DEBUG_DEFAULT_FLAGS (SLAB_CONSISTENCY_CHECKS | SLAB_RED_ZONE | SLAB_POISON | \
			     SLAB_STORE_USER)
#define __OBJECT_POISON SLAB_OBJECT_POISON

/* --- slub.c --- */
extern struct list_head slab_caches;
extern struct plat_mutex slab_mutex;
extern struct kmem_cache *kmem_cache;		/* the cache of struct kmem_cache */
extern struct kmem_cache *kmem_cache_node;	/* the cache of struct kmem_cache_node */
extern bool slab_nomerge;
extern bool slab_is_up;
/*
 * kmm_slab_hooks (internal.h, beside kmm_fault_armed): init_on_alloc,
 * init_on_free or the tools leave the fast path.  Read with READ_ONCE():
 * KFENCE's timer and kmemleak raise and lower their bits (with atomics)
 * while allocations run, as Linux flips its static keys.
 */

int __kmem_cache_create(struct kmem_cache *s, slab_flags_t flags);
int __kmem_cache_shutdown(struct kmem_cache *s);
void __kmem_cache_release(struct kmem_cache *s);
unsigned int calculate_alignment(slab_flags_t flags, unsigned int align, unsigned int size);
void *slab_alloc_node(struct kmem_cache *s, gfp_t gfpflags, int node, unsigned long addr,
		      unsigned int orig_size);
void slab_free(struct kmem_cache *s, struct slab *slab, void *object, unsigned long addr);
struct kmem_cache *slab_validate_object(struct kmem_cache *s, struct slab *slab,
					const void *x);
void flush_all(struct kmem_cache *s);
int slub_set_cpu_partial(struct kmem_cache *s, unsigned int nr_objects);
size_t kmem_cache_cpu_offset(void);
int kmem_cache_init(void);
void kmem_cache_exit(void);

struct slabinfo {
	unsigned long active_objs, num_objs, active_slabs, num_slabs;
	unsigned long nr_partial, nr_empty, nr_full, nr_cpu, nr_cpu_partial, nr_free;
	unsigned int objects_per_slab, cache_order;
};
void get_slabinfo(struct kmem_cache *s, struct slabinfo *sinfo);

void rcu_free_slab(struct rcu_head *head);

static inline bool slab_rcu_pending(const struct slab *slab)
{
	return slab->rcu_head.func == rcu_free_slab;
}

/* --- slub_debug.c: SLUB's debugging, apart from the core --- */
slab_flags_t kmem_cache_flags(slab_flags_t flags, const char *name);
void slub_debug_boot_report(void);
bool slab_add_kunit_errors(void);
bool slab_in_kunit_test(void);
void slab_bug(struct kmem_cache *s, const char *fmt, ...) __printf(2, 3);
void slab_fix(struct kmem_cache *s, const char *fmt, ...) __printf(2, 3);
void slab_err(struct kmem_cache *s, struct slab *slab, const char *fmt, ...) __printf(3, 4);
void object_err(struct kmem_cache *s, struct slab *slab, void *object, const char *reason);
void __slab_err(struct slab *slab);
void print_tracking(struct kmem_cache *s, void *object);
void setup_slab_debug(struct kmem_cache *s, struct slab *slab);
void setup_object_debug(struct kmem_cache *s, void *object);
bool alloc_debug_processing(struct kmem_cache *s, struct slab *slab, void *object,
			    unsigned int orig_size);
bool free_debug_processing(struct kmem_cache *s, struct slab *slab, void *object,
			   unsigned long addr, depot_stack_handle_t handle);
void set_track(struct kmem_cache *s, void *object, enum track_item alloc, unsigned long addr);
void set_track_update(struct kmem_cache *s, void *object, enum track_item alloc,
		      unsigned long addr, depot_stack_handle_t handle);
void init_tracking(struct kmem_cache *s, void *object);
void list_slab_objects(struct kmem_cache *s, struct slab *slab);
unsigned int get_orig_size(struct kmem_cache *s, void *object);
void set_orig_size(struct kmem_cache *s, void *object, unsigned int orig_size);
void init_object(struct kmem_cache *s, void *object, u8 val);

/* --- slab_common.c --- */
int create_kmalloc_caches(void);
void kmalloc_caches_exit(void);
void show_slabinfo(FILE *f);
struct kmem_cache *find_mergeable(unsigned int size, unsigned int align,
				  slab_flags_t flags, const char *name, void (*ctor)(void *));

/* --- slab_check.c: called by kmm_check() with every CPU owned --- */
int kmm_check_slab(void);

/* --- the kmalloc caches (slab_common.c makes them, slub.c uses them) --- */
enum kmalloc_cache_type {
	KMALLOC_NORMAL,
	KMALLOC_RECLAIM,
	KMALLOC_DMA,
	NR_KMALLOC_TYPES
};
extern struct kmem_cache *kmalloc_caches[NR_KMALLOC_TYPES][KMALLOC_SHIFT_HIGH + 1];
/* Their cpu_slab arrays, for kmalloc()'s fast path: a load fewer (slab_fast.h). */
extern struct kmem_cache_cpu *kmalloc_cpu_parts[NR_KMALLOC_TYPES][KMALLOC_SHIFT_HIGH + 1];
extern const u8 kmalloc_size_index[KMALLOC_MAX_CACHE_SIZE / 8];

static __always_inline enum kmalloc_cache_type kmalloc_type(gfp_t flags)
{
	if (likely(!(flags & (__GFP_DMA | __GFP_RECLAIMABLE))))
		return KMALLOC_NORMAL;
	return (flags & __GFP_DMA) ? KMALLOC_DMA : KMALLOC_RECLAIM;
}

/* The index in kmalloc_caches[] of the class for @size, 1..KMALLOC_MAX_CACHE_SIZE. */
static __always_inline unsigned int kmalloc_index(size_t size)
{
	return kmalloc_size_index[(size - 1) / 8];
}

/* --- inline helpers --- */
static inline struct kmem_cache_cpu *cpu_slab(struct kmem_cache *s, int cpu)
{
	return &s->cpu_slab[cpu];
}

/*
 * The part of @s of the CPU @cpu that a fast path holds: cpu_slab(s,
 * cpu->id) with the index already scaled (kmm_cpu.slab_off, set for each
 * CPU before the first cache is made), one instruction fewer.  From the
 * cache's array of parts (@parts, its cpu_slab), for the fast paths that
 * keep those arrays in tables of their own (kmalloc_cpu_parts[],
 * shim_parts[]) and so skip the cache.
 */
static __always_inline struct kmem_cache_cpu *cpu_part_of(struct kmem_cache_cpu *parts,
							  const struct kmm_cpu *cpu)
{
	return (struct kmem_cache_cpu *)((char *)parts + cpu->slab_off);
}

static __always_inline struct kmem_cache_cpu *cpu_slab_of(struct kmem_cache *s,
							  const struct kmm_cpu *cpu)
{
	return cpu_part_of(s->cpu_slab, cpu);
}

/* The spare sheaf of the CPU part @c, or NULL (none for its cache, or not in use yet). */
static inline struct slab_spare *part_spare(const struct kmem_cache_cpu *c)
{
	return likely(c->spare == &slab_no_spare) ? NULL : c->spare;
}

/* ... of @cpu for @s. */
static inline struct slab_spare *cpu_spare(const struct kmem_cache *s, int cpu)
{
	return part_spare(&s->cpu_slab[cpu]);
}

static inline struct kmem_cache_node *get_node(struct kmem_cache *s, int node)
{
	return s->node[node];
}

static inline struct page *slab_page(const struct slab *slab)
{
	return (struct page *)slab;
}

static inline struct slab *page_slab(const struct page *page)
{
	return (struct slab *)page;
}

/* slab->inuse, read once: for a hint where others may change it under list_lock. */
static inline unsigned int slab_inuse(const struct slab *slab)
{
	return counters_inuse(data_race(READ_ONCE(slab->counters)));
}

static inline int slab_nid(const struct slab *slab)
{
	return page_to_nid(slab_page(slab));
}

static inline void *slab_address(const struct slab *slab)
{
	return lowmem_page_address(slab_page(slab));
}

static inline unsigned int slab_order(const struct slab *slab)
{
	return compound_order(slab_page(slab));
}

static inline size_t slab_size(const struct slab *slab)
{
	return PAGE_SIZE << slab_order(slab);
}

/* The first object slot of @slab: after its colour. */
static inline void *slab_objects(const struct slab *slab)
{
	return (char *)slab_address(slab) + slab->colour;
}

static inline bool kmem_cache_debug(const struct kmem_cache *s)
{
	return unlikely(s->flags & SLAB_DEBUG_FLAGS);
}

/* An object starts after its left red zone; its slot starts at the red zone. */
static inline void *fixup_red_left(const struct kmem_cache *s, void *p)
{
	return (s->flags & SLAB_RED_ZONE) ? (char *)p + s->red_left_pad : p;
}

static inline void *restore_red_left(const struct kmem_cache *s, void *p)
{
	return (s->flags & SLAB_RED_ZONE) ? (char *)p - s->red_left_pad : p;
}

/* The first object of @slab. */
static inline void *slab_first_object(const struct kmem_cache *s, const struct slab *slab)
{
	return fixup_red_left(s, slab_objects(slab));
}

#define for_each_object(p, s, slab)					\
	for (p = slab_first_object(s, slab);				\
	     (char *)p < (char *)slab_first_object(s, slab) + (slab)->objects * (s)->size; \
	     p = (char *)p + (s)->size)

/*
 * The object size, read once: creating a cache that merges into @s
 * (__kmem_cache_alias()) may raise it while other threads allocate from
 * @s.  The slot (s->size) never changes, so either value fits the object.
 */
static inline unsigned int slab_object_size(const struct kmem_cache *s)
{
	return READ_ONCE(s->object_size);
}

static inline bool freeptr_outside_object(const struct kmem_cache *s)
{
	return s->offset >= READ_ONCE(s->inuse);
}

/* Where the metadata after an object (tracks, original size) begins. */
static inline unsigned int get_info_end(const struct kmem_cache *s)
{
	unsigned int inuse = READ_ONCE(s->inuse);

	return freeptr_outside_object(s) ? inuse + (unsigned int)sizeof(void *) : inuse;
}

/*
 * init_on_alloc / init_on_free for slab objects: not for caches whose free
 * objects must stay intact (a ctor's state, RCU readers, the poison).
 */
static inline bool slab_want_init_on_alloc(gfp_t flags, const struct kmem_cache *c)
{
	if (unlikely(init_on_alloc)) {
		if (c->ctor)
			return false;
		if (c->flags & (SLAB_TYPESAFE_BY_RCU | SLAB_POISON))
			return flags & __GFP_ZERO;
		return true;
	}
	return flags & __GFP_ZERO;
}

static inline bool slab_want_init_on_free(const struct kmem_cache *c)
{
	if (unlikely(init_on_free))
		return !(c->ctor || (c->flags & (SLAB_TYPESAFE_BY_RCU | SLAB_POISON)));
	return false;
}

/* kmalloc caches that keep each object's requested size (for the kmalloc red zone). */
static inline bool slub_debug_orig_size(const struct kmem_cache *s)
{
	return (s->flags & SLAB_STORE_USER) && (s->flags & SLAB_KMALLOC);
}

/*
 * The head page of @x's page, as Linux's virt_to_head_page(), read without
 * a lock: a slab's first page keeps its slab_list in compound_head's word,
 * which frees on other CPUs relink under the node's list_lock, and a list
 * pointer never has bit 0 (the tail mark) set, so the answer holds.
 */
static __always_inline struct page *virt_to_head_page(const void *x)
{
	return data_race(compound_head(virt_to_page(x)));
}

/*
 * The slab that holds @x, a direct-map address, or NULL if its page is no
 * slab (only the first page of a slab has the slab type).
 */
static inline struct slab *virt_to_slab(const void *x)
{
	struct page *page = virt_to_head_page(x);

	return PageSlab(page) ? page_slab(page) : NULL;
}

/*
 * The index of the object at byte @offset from the first object, without a
 * division: offset * ceil(2^64 / size) / 2^64 is exact while
 * offset * size < 2^64, true of any slab.
 */
static inline unsigned int __obj_index(const struct kmem_cache *s, unsigned long offset)
{
	return (unsigned int)(((unsigned __int128)offset * s->reciprocal_size) >> 64);
}

static inline unsigned int obj_to_index(const struct kmem_cache *s, const struct slab *slab,
					const void *obj)
{
	return __obj_index(s, (unsigned long)((const char *)obj -
					      (const char *)slab_first_object(s, slab)));
}

/* Is @object (or NULL) an object of @slab?  Linux's check_valid_pointer(). */
static inline bool check_valid_pointer(const struct kmem_cache *s, const struct slab *slab,
				       const void *object)
{
	const char *base = slab_first_object(s, slab);
	/* Below the first object, off wraps to a huge value: its index is out of range. */
	unsigned long off = (unsigned long)((const char *)object - base);
	unsigned long idx = (unsigned long)(((unsigned __int128)off * s->reciprocal_size) >> 64);

	if (!object)
		return true;
	/* Without the list lock: objects never changes, inuse in its word does. */
	return idx < data_race(slab->objects) && idx * s->size == off;
}

/*
 * Free pointers are stored hardened, as CONFIG_SLAB_FREELIST_HARDENED: the
 * pointer XOR the cache's random XOR the byte-swapped address it is stored
 * at, so an overwrite by a stray user write decodes to garbage, not to an
 * address of the attacker's choosing.
 */
#ifndef KMM_NO_FREELIST_HARDENED
/* The stored word of a free pointer to @ptr at @ptr_addr, with the cache's @random. */
static __always_inline unsigned long freelist_link_encode(unsigned long random, void *ptr,
							  unsigned long ptr_addr)
{
	return (unsigned long)ptr ^ random ^ __builtin_bswap64(ptr_addr);
}

static __always_inline unsigned long freelist_ptr_encode(const struct kmem_cache *s,
							 void *ptr, unsigned long ptr_addr)
{
	return freelist_link_encode(s->random, ptr, ptr_addr);
}

static __always_inline void *freelist_ptr_decode(const struct kmem_cache *s,
						 unsigned long val, unsigned long ptr_addr)
{
	return (void *)(val ^ s->random ^ __builtin_bswap64(ptr_addr));
}
#else
/* -Dfreelist_hardened=false: plain pointers, for measuring what hardening costs. */
static __always_inline unsigned long freelist_link_encode(unsigned long random, void *ptr,
							  unsigned long ptr_addr)
{
	(void)random, (void)ptr_addr;
	return (unsigned long)ptr;
}

static __always_inline unsigned long freelist_ptr_encode(const struct kmem_cache *s,
							 void *ptr, unsigned long ptr_addr)
{
	(void)s, (void)ptr_addr;
	return (unsigned long)ptr;
}

static __always_inline void *freelist_ptr_decode(const struct kmem_cache *s,
						 unsigned long val, unsigned long ptr_addr)
{
	(void)s, (void)ptr_addr;
	return (void *)val;
}
#endif

static __always_inline void *get_freepointer(const struct kmem_cache *s, void *object)
{
	unsigned long addr = (unsigned long)object + s->offset;
	unsigned long val;

	if (KMM_ANNOTATE_ON && s->annotated)
		val = annot_load_word((const unsigned long *)addr);
	else
		val = *(unsigned long *)addr;
	return freelist_ptr_decode(s, val, addr);
}

static __always_inline void set_freepointer(const struct kmem_cache *s, void *object, void *fp)
{
	unsigned long addr = (unsigned long)object + s->offset;
	unsigned long val = freelist_ptr_encode(s, fp, addr);

	if (KMM_ANNOTATE_ON && s->annotated)
		annot_store_word((unsigned long *)addr, val);
	else
		*(unsigned long *)addr = val;
}

#pragma GCC visibility pop

#endif /* KMM_SLAB_PRIV_H */
