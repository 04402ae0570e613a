/* SPDX-License-Identifier: MIT */
/*
 * The C allocation API on the kernel allocator (libkmm-malloc.so).
 *
 * Where a request goes, by size (and alignment):
 *   up to 64 KiB (SHIM_CLASS_MAX)          a slab cache: kmalloc-16 ... kmalloc-8k
 *                                          and malloc's own classes between
 *                                          them and above (classes.c; 16 at
 *                                          least: malloc's alignment is 16,
 *                                          kmalloc-8's is 8)
 *   up to 4 MiB (SHIM_LARGE_MAX,           kmalloc's large path: a compound
 *     KMALLOC_MAX_SIZE)                    page of the page allocator, in
 *                                          the direct map: no host mapping
 *                                          to make (vmalloc maps each run
 *                                          of pages with a host call)
 *   above                                  vmalloc(), pages mapped in the
 *                                          vmalloc area (one guard page after),
 *                                          a private area (VM_KMM_PRIVATE):
 *                                          the host's anonymous memory, as
 *                                          glibc's mmap()ed chunks, whose
 *                                          faults cost ~60% of the RAM
 *                                          file's and which a fork shares
 *                                          copy-on-write; in huge pages
 *                                          where the host has them
 *                                          (VM_ALLOW_HUGE_VMAP: a fork
 *                                          copies one entry per 2 MiB, not
 *                                          512), unless nohugevmalloc
 *                                          or the block is calloc()'s
 * An alignment above 16 is served by a power-of-two size, which kmalloc
 * and the buddy allocator align naturally (checked, not assumed), and past
 * what they can give, by vmalloc's own alignment.  So every power-of-two
 * alignment is honoured up to the size of the vmalloc area.
 *
 * Every pointer handed out is checked when it comes back.  A shadow byte
 * per 16-byte granule of the direct map says "a slab object starts here";
 * a large allocation carries a tag (its address, scrambled) in its head
 * page's private word, which the page allocator clears on both sides of
 * an allocation.  Both are set after the allocation and cleared before
 * the free, so a second free, a pointer into the middle of an object, or
 * anything the kernel allocated for itself finds no mark.  (The tag keeps
 * the shadow away from large allocations: one shadow page covers 64 KiB,
 * so marking each large block in it cost a page of RSS per block.)  A
 * byte per page names the class of the objects malloc hands out there
 * (preload.h's page_class_of()): free() finds the cache from that table,
 * which stays in the CPU's cache, and the shadow byte, which often
 * misses, only vouches.
 * A vmalloc pointer must be the start of an area this library made (its
 * caller is malloc_huge).  Everything else is the bootstrap arena's, the
 * dynamic loader's (takeover.c), or invalid: "kmm: free(): invalid
 * pointer 0x...", and abort, as hardened allocators do.
 *
 * The glibc contract, as glibc documents and implements it:
 *   - failure: NULL and errno ENOMEM; sizes above PTRDIFF_MAX (or above
 *     the machine's RAM) fail at once, quietly;
 *   - free() keeps errno;
 *   - calloc() and reallocarray() overflow: NULL, ENOMEM;
 *   - posix_memalign(): EINVAL for an alignment that is not a power of two
 *     times sizeof(void *), ENOMEM; *memptr untouched on error, errno kept;
 *   - aligned_alloc(): EINVAL for an alignment that is not a power of two
 *     (glibc 2.38's rule); memalign() rounds it up to one, as glibc does;
 *   - malloc(0) is a unique pointer (a 16-byte object);
 *   - realloc(p, 0) with p non-NULL frees p and returns NULL, glibc's
 *     policy (REALLOC_ZERO_BYTES_FREES); realloc(NULL, 0) is malloc(0);
 *   - malloc_usable_size() is the object's size: kmalloc's class, the
 *     pages of a large allocation, the vmalloc area without its guard.
 *
 * Gfp: GFP_KERNEL | __GFP_NOWARN | __GFP_NORETRY.  A program's malloc may
 * sleep (reclaim, wait for frees) but never invokes the OOM killer, and a
 * failure is NULL, not a report.
 */
#include <stdint.h>
#include <stdlib.h>
#include <malloc.h>
#include "preload.h"
#include "slab_fast.h"
#include "slab.h"
#include "kfence.h"

#define SHIM_GFP	(GFP_KERNEL | __GFP_NOWARN | __GFP_NORETRY)
#define SHIM_MIN	16UL
#define SHIM_SMALL_MAX	KMALLOC_MAX_CACHE_SIZE
#define SHIM_LARGE_MAX	KMALLOC_MAX_SIZE

#define EXPORT __attribute__((visibility("default")))

/*
 * A thread that already ran its exit handlers hands its slot back after
 * each call that may have taken one (and a CPU with it).  So such a
 * thread holds no CPU between calls (task_exit() gave its CPU back), and
 * the inline fast paths of malloc() and free(), which need one held,
 * never run for it: they need no test of their own.
 */
static __always_inline void shim_done(void)
{
	if (unlikely(current->exited))
		kmm_task_detach();
}

static __always_inline bool in_direct_map(unsigned long a)
{
	return a - shim.dm_start < shim.dm_size;
}

static __always_inline bool in_vmalloc(unsigned long a)
{
	return a - shim.vm_start < shim.vm_size;
}

/* A large allocation's tag in its head page: ours, for this address. */
static __always_inline unsigned long large_tag(const void *p)
{
	return 0x6b6d6d2d6c617267UL ^ (unsigned long)p;	/* "kmm-larg" */
}

/* @zero: __GFP_ZERO for calloc(), which then need not write pages the host never backed. */
static void *large_alloc(size_t size, gfp_t zero)
{
	void *p = kmalloc(size, SHIM_GFP | zero);

	if (p)
		virt_to_page(p)->private = large_tag(p);
	return p;
}

/* @p, an object of @class just allocated: its page's byte and its shadow byte say so. */
static __always_inline void mark_object(void *p, unsigned int class)
{
	page_class_set((unsigned long)p, class);
	*shadow_of((unsigned long)p) = (u8)(SH_CLASS + class);
}

/*
 * An object of malloc's class for @size: the slab fast path inline (a pop
 * of the CPU freelist), its shadow byte naming the class for free().
 */
static __always_inline void *small_alloc(size_t size, unsigned long caller)
{
	unsigned int class = shim_class(size);
	struct kmem_cache *s = __atomic_load_n(&shim_classes[class], __ATOMIC_ACQUIRE);

	if (unlikely(!s) && !(s = shim_class_make(class)))
		return NULL;
	void *p = do_slab_alloc(s, SHIM_GFP, NUMA_NO_NODE, caller, s->object_size);

	if (likely(p))
		mark_object(p, class);
	return p;
}

/* How class_free() went, when not all the way. */
enum class_free_rest { CF_MISSED, CF_MISSED_IN_SECTION, CF_EMPTIED, CF_SPILL, CF_HANDBACK };

/*
 * The rest of class_free(), out of line, keeping errno (these may make
 * host calls): the full checks of kmem_cache_free(), the hand-over of
 * emptied deferred frees, room made on a full spare sheaf, or the
 * hand-over of a wanted CPU.
 */
static __noinline void class_free_rest(struct kmem_cache *s, void *p, enum class_free_rest how,
				       unsigned long caller)
{
	int *errp = &errno, err = *errp;

	switch (how) {
	case CF_MISSED:
		__kmem_cache_free(s, p, caller);
		break;
	case CF_MISSED_IN_SECTION:
		kmem_cache_free_miss(s, p, caller);
		break;
	case CF_EMPTIED:
		flush_deferred_emptied(s);
		break;
	case CF_SPILL:
		sheaf_spill_push(p, cpu_slab_of(s, current->kcpu));
		break;
	case CF_HANDBACK:
		slab_free_handback();
		break;
	}
	shim_done();
	*errp = err;
}

/*
 * Free @p, an object of @s by its shadow byte: a push on the CPU's sheaf
 * while it has room, whatever slab @p is in (one branch that goes the
 * same way whichever object a program frees); with the sheaf full,
 * kmem_cache_free()'s fast path inline, a push on the CPU freelist (or
 * the deferred frees) found by address alone; no struct page and no errno
 * to keep either way.
 */
static __noinline void class_free_flag(struct kmem_cache *s, void *p, unsigned long caller)
{
	struct task_struct *t = current;
	unsigned int *active = t->active;	/* kept for cpu_leave_flag() */
	struct kmem_cache_cpu *c;
	struct kmm_cpu *cpu;

	/* free() has seen preempt_count at 0 (shim_ready()). */
	if (unlikely(!(cpu = cpu_enter_held(t))))
		return class_free_rest(s, p, CF_MISSED, caller);
	c = cpu_slab_of(s, cpu);
	/* The shadow vouched for @p: onto the sheaf, touching neither @p nor its slab. */
	if (unlikely(!sheaf_push(s, c, p))) {
		switch (cpu_free_push(c, p)) {
		case PUSHED:
			break;
		case PUSHED_EMPTIED:
			return class_free_rest(s, p, CF_EMPTIED, caller);
		case SHEAF_FULL:
			return class_free_rest(s, p, CF_SPILL, caller);
		case NOT_OURS:
		case CPU_SLAB_DOUBLE:
			return class_free_rest(s, p, CF_MISSED_IN_SECTION, caller);
		}
	}
	if (unlikely(cpu_leave_flag(active, cpu)))
		return class_free_rest(s, p, CF_HANDBACK, caller);
}

/*
 * Free @p, an object of @class.  The pushes first as restartable
 * sequences (slab_rseq.h): the sheaf while it has room, else the spare
 * sheaf or the CPU freelist; anything else, and a debug cache's every
 * free (shim_parts[] NULL), the flag's way, class_free_flag().  The CPU's
 * part of the cache comes from shim_parts[], not through the cache: one
 * load fewer before the sheaf's address is known, and none of the flags.
 */
static __always_inline void class_free(unsigned int class, void *p, unsigned long caller)
{
	struct task_struct *t = current;
	struct kmm_cpu *cpu = t->owned;
	struct kmem_cache_cpu *parts = shim_parts[class];

	/* free() has seen preempt_count at 0 (shim_ready()). */
	if (unlikely(!parts) || unlikely(kmm_slab_hooks) ||
	    unlikely(!slab_rseq_free_push_any(t, cpu, cpu_part_of(parts, cpu), p)))
		return class_free_flag(shim_classes[class], p, caller);
}

/*
 * Huge pages only for what malloc() and realloc() hand out, not calloc():
 * a calloc()ed block reads as zeros before it is written, so programs
 * keep sparse tables in them (xz's match finder: a 16 MiB hash table of
 * which 2 MiB of pages are touched), where each touch would cost a 2 MiB
 * page.  Memory from malloc() must be written before it is read, and
 * programs mostly fill it from the front: a huge page wastes at most the
 * last 2 MiB, and makes a fork of a large heap cheap.
 */
static void *malloc_huge(size_t size, size_t align, gfp_t zero)
{
	unsigned long flags = VM_KMM_PRIVATE | (zero ? 0 : VM_ALLOW_HUGE_VMAP);
	void *p = __vmalloc_node_range(size, align, VMALLOC_START, VMALLOC_END,
				       GFP_KERNEL | __GFP_NOWARN | zero, PAGE_KERNEL,
				       flags, NUMA_NO_NODE, (const void *)malloc_huge);

	if (p && ((unsigned long)p & (align - 1))) {
		vfree(p);
		p = NULL;
	}
	return p;
}

/*
 * The slow path of every allocation: boot, nested calls, large, huge,
 * aligned.  @zero (__GFP_ZERO or 0), from calloc() of more than
 * SHIM_CLASS_MAX bytes only: the block comes zeroed, by the allocator
 * (which writes only the pages the host backs) or, from the bootstrap
 * arena, here.
 */
static void *__shim_alloc(size_t size, size_t align, gfp_t zero)
{
	void *p = NULL;

	if (unlikely(__atomic_load_n(&shim_state, __ATOMIC_ACQUIRE) != SHIM_UP)) {
		shim_wake();
		if (__atomic_load_n(&shim_state, __ATOMIC_ACQUIRE) != SHIM_UP)
			goto arena;
	}
	if (unlikely(current->preempt_count))
		goto arena;		/* called from inside kmm */
	if (unlikely(size > PTRDIFF_MAX || size > shim.ram_bytes))
		goto nomem;
	if (!size)
		size = 1;
	if (align <= SHIM_MIN) {
		if (size <= SHIM_CLASS_MAX)
			p = small_alloc(size, _RET_IP_);
		else if (size <= SHIM_LARGE_MAX)
			p = large_alloc(size, zero);
		else
			p = malloc_huge(size, PAGE_SIZE, zero);
		goto out;
	}
	/* Aligned: a power of two at least @align is naturally aligned by kmalloc and buddy. */
	size_t pow = size < align ? align : size;
	if (pow <= SHIM_LARGE_MAX) {
		pow = 1UL << (64 - __builtin_clzl(pow - 1));
		if (pow > SHIM_SMALL_MAX) {
			p = large_alloc(pow, zero);	/* page aligned, naturally aligned to its size */
			goto out;
		}
		p = kmalloc(pow, SHIM_GFP);
		if (p && !((unsigned long)p & (align - 1))) {
			*shadow_of((unsigned long)p) = SH_SLAB;
			goto out;
		}
		kfree(p);	/* misaligned (slab debugging): vmalloc aligns */
	}
	p = malloc_huge(size, align < PAGE_SIZE ? PAGE_SIZE : align, zero);
out:
	shim_done();
	if (likely(p))
		return p;
nomem:
	errno = ENOMEM;
	return NULL;
arena:
	p = arena_alloc(size ? size : 1, align);
	if (!p)
		goto nomem;
	if (zero)
		memset(p, 0, size);
	return p;
}

static void *shim_alloc(size_t size, size_t align)
{
	return __shim_alloc(size, align, 0);
}

/*
 * What malloc() of a small size leaves out of line, having left its
 * section: the CPU to hand back if it is wanted (@handback), then the
 * shadow byte of @p, or, with no object popped (@p NULL) or no section
 * entered, the whole allocation (small_alloc(): a refill, a CPU to get,
 * the slab hooks).
 */
static __noinline void *malloc_rest(size_t size, void *p, bool handback, unsigned long caller)
{
	if (handback)
		slab_free_handback();
	if (p)
		mark_object(p, shim_class(size));
	else
		p = small_alloc(size, caller);
	shim_done();
	if (likely(p))
		return p;
	return shim_alloc(size, 0);
}

/* malloc() of a small size the flag's way: @s its class's cache, maybe NULL. */
static __noinline void *malloc_flag(size_t size, struct kmem_cache *s, unsigned long caller)
{
	struct task_struct *t = current;
	unsigned int *active = t->active;	/* kept for cpu_leave_flag() */
	unsigned int class = shim_class(size);
	struct kmm_cpu *cpu;
	bool handback;
	void *p;

	if (unlikely(READ_ONCE(kmm_slow_paths.any)) || unlikely(!s) ||
	    unlikely(!(cpu = cpu_enter_held(t))))
		return malloc_rest(size, NULL, false, caller);
	p = cpu_pop(s, cpu_slab_of(s, cpu));
	/*
	 * No instruction: the compiler forgets which of cpu_pop()'s ways @p
	 * came by, so it tests @p once where they meet rather than keep a
	 * flag per way, which would cost this leaf a register to save.
	 */
	__asm__("" : "+r"(p));
	handback = cpu_leave_flag(active, cpu);
	if (unlikely(handback | !p))
		return malloc_rest(size, p, handback, caller);
	mark_object(p, class);
	return p;
}

/*
 * A small size: kmem_cache_alloc()'s pops inline as restartable
 * sequences (the sheaf, the spare sheaf, the CPU freelist: slab_rseq.h)
 * and the shadow byte, every other case a tail call (the flag's way,
 * malloc_flag()), so that malloc() is a leaf that saves no register.
 */
EXPORT void *malloc(size_t size)
{
	struct task_struct *t = current;
	struct kmm_cpu *cpu = t->owned;
	struct kmem_cache_cpu *parts;
	unsigned int class;
	void *p;

	if (unlikely(size > SHIM_CLASS_MAX) || unlikely(!shim_ready()))
		return shim_alloc(size, 0);
	class = shim_class(size);
	parts = __atomic_load_n(&shim_parts[class], __ATOMIC_ACQUIRE);	/* NULL: not made yet */
	if (unlikely(READ_ONCE(kmm_slow_paths.any)) || unlikely(!parts) ||
	    unlikely(!slab_rseq_pop(t, cpu, cpu_part_of(parts, cpu), false, &p)))
		return malloc_flag(size, __atomic_load_n(&shim_classes[class], __ATOMIC_ACQUIRE),
				   _RET_IP_);
	mark_object(p, class);
	return p;
}

/*
 * What @p is and how much of it may be used; aborts for a pointer that
 * is none of ours (named @fn in the report).  *@kind: SH_SLAB, SH_LARGE,
 * 3 for vmalloc, 4 for the arena or the loader (never freed).
 */
static size_t shim_lookup(const void *p, const char *fn, int *kind)
{
	unsigned long a = (unsigned long)p;

	if (shim.shadow && in_direct_map(a)) {
		if (a & shim.granule_mask)
			shim_invalid(fn, p);
		u8 sh = __atomic_load_n(shadow_of(a), __ATOMIC_RELAXED);
		struct page *page = virt_to_head_page(p);
		if (sh >= SH_CLASS)
			sh = SH_SLAB;
		*kind = sh;
		/* A KFENCE object (with kfence.sample_interval= in KMM_CMDLINE): its size. */
		if (sh == SH_SLAB && is_kfence_address(p) && kfence_object_start(p) == p)
			return kfence_ksize(p);
		if (sh == SH_SLAB && PageSlab(page))
			return page_slab(page)->slab_cache->object_size;
		if (sh == SH_FREE && PageLargeKmalloc(page) && p == page_address(page) &&
		    READ_ONCE(page->private) == large_tag(p)) {
			*kind = SH_LARGE;
			return PAGE_SIZE << compound_order(page);
		}
		shim_invalid(fn, p);
	}
	if (shim.shadow && in_vmalloc(a)) {
		struct vm_struct *vm = find_vm_area(p);
		if (!vm || vm->addr != p || vm->caller != (const void *)malloc_huge)
			shim_invalid(fn, p);
		*kind = 3;
		return get_vm_area_size(vm);
	}
	*kind = 4;
	if (arena_owns(p))
		return arena_usable(p);
	size_t n = loader_usable(p);
	if (!n)
		shim_invalid(fn, p);
	return n;
}

static void shim_free(void *p, const char *fn)
{
	int kind;

	if (unlikely(__atomic_load_n(&shim_state, __ATOMIC_ACQUIRE) != SHIM_UP))
		shim_wake();	/* a free first: the loader's pointers are known after boot */
	shim_lookup(p, fn, &kind);
	if (kind == 4)
		return;		/* the arena's or the loader's: kept */
	if (unlikely(current->preempt_count))
		return;		/* freed from inside kmm: kept (it cannot happen but by a bug) */
	if (kind == 3) {
		vfree(p);
	} else if (kind == SH_LARGE) {
		virt_to_page(p)->private = 0;
		kfree(p);
	} else {
		*shadow_of((unsigned long)p) = SH_FREE;
		kfree(p);
	}
	shim_done();
}

/* free() of anything but an object of malloc's classes, keeping errno. */
static __noinline void free_rest(void *p)
{
	int *errp = &errno, err = *errp;

	shim_free(p, "free");
	*errp = err;
}

/*
 * An object of malloc's classes inline (class_free()), all else a tail
 * call: a leaf.  The class comes from the page's byte (page_class_of()),
 * which the shadow byte must confirm; only the branch waits for the
 * shadow, not the addresses the free stores to.
 */
EXPORT void free(void *p)
{
	unsigned long a = (unsigned long)p;

	if (!p)
		return;
	if (likely(in_direct_map(a)) && likely(shim_ready())) {
		u8 *sh = shadow_of(a);
		unsigned int class = page_class(a);
		if (likely(*sh == SH_CLASS + class) && likely(!(a & shim.granule_mask))) {
			*sh = SH_FREE;
			return class_free(class, p, _RET_IP_);
		}
	}
	free_rest(p);
}

EXPORT void *calloc(size_t n, size_t size)
{
	size_t total;

	if (unlikely(__builtin_mul_overflow(n, size, &total))) {
		errno = ENOMEM;
		return NULL;
	}
	/* Large and huge blocks come zeroed: only the pages the host backs are written. */
	if (total > SHIM_CLASS_MAX)
		return __shim_alloc(total, 0, __GFP_ZERO);
	void *p = malloc(total);
	if (likely(p))
		memset(p, 0, total);
	return p;
}

/*
 * An object of malloc's classes by its shadow byte alone, as free() finds
 * it: its size is its class's, no struct page read; it stays while the
 * request fits and wastes no more than half, else moves, freed the way
 * free() frees.  Everything else through shim_lookup().
 */
EXPORT void *realloc(void *p, size_t size)
{
	unsigned long a = (unsigned long)p;
	unsigned int class = SHIM_NR_CLASSES;
	int kind = -1;		/* an object of @class, its shadow byte checked */
	size_t have;

	if (!p)
		return malloc(size);
	if (!size) {
		free(p);
		return NULL;
	}
	if (likely(in_direct_map(a)) && likely(shim_ready()) && likely(!(a & shim.granule_mask)))
		class = (unsigned int)*shadow_of(a) - SH_CLASS;
	if (likely(class < SHIM_NR_CLASSES))
		have = shim_class_sizes[class];
	else
		have = shim_lookup(p, "realloc", &kind);
	/* In place while it fits and does not waste more than half. */
	if (kind != 4 && size <= have && (size > have / 2 || have <= SHIM_MIN))
		return p;
	void *q = malloc(size);
	if (unlikely(!q))
		return NULL;
	memcpy(q, p, size < have ? size : have);
	if (kind < 0)
		free(p);
	else if (kind != 4)
		shim_free(p, "realloc");
	return q;
}

EXPORT void *reallocarray(void *p, size_t n, size_t size)
{
	size_t total;

	if (unlikely(__builtin_mul_overflow(n, size, &total))) {
		errno = ENOMEM;
		return NULL;
	}
	return realloc(p, total);
}

static void *aligned(size_t align, size_t size)
{
	if (align <= SHIM_MIN)
		return malloc(size);
	return shim_alloc(size, align);
}

EXPORT void *memalign(size_t align, size_t size)
{
	if (align > SIZE_MAX / 2 + 1) {
		errno = EINVAL;
		return NULL;
	}
	if (align & (align - 1))	/* glibc rounds up to a power of two */
		align = 1UL << (64 - __builtin_clzl(align));
	return aligned(align, size);
}

EXPORT void *aligned_alloc(size_t align, size_t size)
{
	if (!align || (align & (align - 1))) {
		errno = EINVAL;
		return NULL;
	}
	return aligned(align, size);
}

EXPORT int posix_memalign(void **memptr, size_t align, size_t size)
{
	if (!align || (align & (align - 1)) || align % sizeof(void *))
		return EINVAL;
	int err = errno;
	void *p = aligned(align, size);
	if (!p) {
		errno = err;
		return ENOMEM;
	}
	*memptr = p;
	return 0;
}

EXPORT void *valloc(size_t size)
{
	return aligned(PAGE_SIZE, size);
}

EXPORT void *pvalloc(size_t size)
{
	if (size > SIZE_MAX - PAGE_SIZE) {
		errno = ENOMEM;
		return NULL;
	}
	return aligned(PAGE_SIZE, size ? ALIGN(size, PAGE_SIZE) : PAGE_SIZE);
}

EXPORT size_t malloc_usable_size(void *p)
{
	int kind;

	if (!p)
		return 0;
	size_t n = shim_lookup(p, "malloc_usable_size", &kind);
	shim_done();	/* find_vm_area() may have taken a CPU */
	return kind == 4 && !arena_owns(p) ? 0 : n;
}
