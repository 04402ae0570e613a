/* SPDX-License-Identifier: MIT */
/*
 * The slab fast paths (slub.c), inline here so that a caller in the
 * library may fold them into its own fast path: the preload shim's
 * malloc() and free() pop and push a CPU freelist with no call between
 * the program and the freelist.  Everything off the fast path (a CPU to
 * get, a slab to find, debugging, zeroing, the tools, bad frees) is a
 * tail call to the out-of-line functions declared here, all in slub.c.
 * These are "the flag's way": kmalloc(), kfree(), kmem_cache_alloc(),
 * kmem_cache_free() and the shim's malloc() and free() first try their
 * pops and pushes as restartable sequences (slab_rseq.h), with no section,
 * and come here for everything else.
 */
#ifndef KMM_SLAB_FAST_H
#define KMM_SLAB_FAST_H

#include "slab.h"
#include "slab_rseq.h"

#pragma GCC visibility push(hidden)	/* as internal.h */

#define _RET_IP_ ((unsigned long)__builtin_return_address(0))

/*
 * The entry points whose fast paths bench/ measures start on a cache
 * line: their speed then does not depend on what the linker put before
 * them (a change elsewhere in the library that moved kmalloc() and kfree()
 * by 32 bytes once cost the hot pair 0.25 ns, 6%).
 */
#define __fast_path_aligned __attribute__((aligned(64)))

/*
 * @orig_size 0, for a cache allocation: the cache's object size, read by
 * the slow half that needs it (slab_orig_size()).  The fast path then has
 * no volatile read of it to do up front, and no register to keep it in.
 */
static __always_inline unsigned int slab_orig_size(const struct kmem_cache *s,
						   unsigned int orig_size)
{
	return orig_size ? orig_size : slab_object_size(s);
}

/* The slow halves, out of line in slub.c; each takes @orig_size 0 as above. */
void *slab_post_alloc_hook(struct kmem_cache *s, gfp_t gfpflags, void *object,
			   unsigned int orig_size);
void *slab_alloc_slow(struct kmem_cache *s, gfp_t gfpflags, int node, unsigned long addr,
		      unsigned int orig_size);
void *slab_alloc_refill(struct kmem_cache *s, gfp_t gfpflags, unsigned long addr,
			unsigned int orig_size);
void *slab_alloc_leave_slow(struct kmem_cache *s, gfp_t gfpflags, void *object,
			    unsigned int orig_size);
void flush_deferred_emptied(struct kmem_cache *s);
void slab_free_handback(void);
void __kmem_cache_free(struct kmem_cache *s, void *x, unsigned long addr);
void kmem_cache_free_miss(struct kmem_cache *s, void *x, unsigned long addr);

/* Push @object on this CPU's freelist.  In a section. */
static __always_inline void cpu_freelist_push(struct kmem_cache *s, struct kmem_cache_cpu *c,
					      void *object)
{
	set_freepointer(s, object, c->freelist);
	c->freelist = object;
}

/*
 * Is @x an object of the slab whose objects start at @base and span
 * @limit bytes (the CPU slab, the deferred frees' slab)?  Its offset from
 * the first object must be below @limit and a multiple of s->size.  The
 * multiple is tested without a division: with r = reciprocal_size
 * = ceil(2^64 / size), size divides off exactly when (off * r) mod 2^64
 * < r, for off and size below 2^32 (Lemire, Kaser and Kurz, "Faster
 * remainder by direct computation", 2019); a slab is at most 4 MiB.  An
 * address below the first object wraps to a huge offset, out of range.
 */
static __always_inline bool slab_range_holds(const struct kmem_cache_cpu *c, unsigned long base,
					     unsigned long limit, const void *x)
{
	unsigned long off = (unsigned long)x - base;

	return off < limit && off * c->reciprocal_size < c->reciprocal_size;
}

/*
 * Put @x, an object of @s that the caller knows to be a valid allocated
 * object start (the preload shim's shadow byte, cleared as it frees), on
 * the CPU sheaf of @c without touching it or its slab's struct page, in
 * the fast path's section: the first place such a free goes, as Linux
 * 6.18's free_to_pcs() puts every free of a cache with sheaves on the CPU's
 * main sheaf while it has room.  The next allocations take it back (last
 * in, first out: the line a program just freed is the line it gets).
 * Not for a debug cache or with free hooks, nor when the sheaf is full.
 * Return: whether @x went on the sheaf.
 */
static __always_inline bool sheaf_push(struct kmem_cache *s, struct kmem_cache_cpu *c, void *x)
{
	unsigned int n = c->sheaf.size;

	/* Two tests, never taken, are fewer instructions than their or. */
	if (unlikely(n == SHEAF_CAPACITY) || unlikely(kmem_cache_debug(s)) ||
	    unlikely(kmm_slab_hooks))
		return false;
	c->sheaf.objects[n] = x;
	c->sheaf.size = n + 1;
	return true;
}

/*
 * Is @x the object on top of @c's sheaf, the last one freed there?  Then
 * freeing it again is a double free, as Linux's hardened freelist refuses
 * its head.
 */
static __always_inline bool sheaf_top_is(const struct kmem_cache_cpu *c, const void *x)
{
	unsigned int n = c->sheaf.size;

	return n && x == c->sheaf.objects[n - 1];
}

/*
 * The next never-used object of the CPU slab of @c (a lazy slab, see
 * slub.c), or NULL.  An address and an add: no object to read.
 */
static __always_inline void *cpu_bump_pop(const struct kmem_cache *s, struct kmem_cache_cpu *c)
{
	unsigned int off = c->bump;

	if (off >= c->limit)
		return NULL;
	c->bump = off + s->size;
	return (void *)(c->base + off);
}

/*
 * The allocation fast path's pop, in a section on the CPU of @c: the
 * sheaf's last object first (see "The sheaf" in slub.c), else the spare
 * sheaf's last (see "The spare sheaf"), else the CPU freelist's first,
 * else the CPU slab's next never-used object; NULL when all are empty,
 * for a refill.  @s NULL: the cache of @c, read off the sheaf's way (see
 * __do_slab_alloc()).
 */
static __always_inline void *cpu_pop(struct kmem_cache *s, struct kmem_cache_cpu *c)
{
	unsigned int n = c->sheaf.size;
	struct slab_spare *sp;
	void *object;

	if (likely(n)) {
		c->sheaf.size = n - 1;
		return c->sheaf.objects[n - 1];
	}
	sp = c->spare;
	n = sp->size;
	if (n) {
		sp->size = n - 1;
		return sp->objects[n - 1];
	}
	s = s ?: READ_ONCE(c->cache);
	object = c->freelist;
	if (likely(object)) {
		c->freelist = get_freepointer(s, object);
		return object;
	}
	return cpu_bump_pop(s, c);
}

/* What the free fast path did; on a miss the caller's full path follows. */
enum fast_free { FREED, MISSED, MISSED_IN_SECTION };

/* What cpu_free_push() did. */
enum cpu_push { PUSHED, PUSHED_EMPTIED, NOT_OURS, CPU_SLAB_DOUBLE, SHEAF_FULL };

void sheaf_spill_push(void *x, struct kmem_cache_cpu *c);

/*
 * The free fast path's work, in a section held by the active flag alone:
 * if @x is an object of the CPU slab (found by its address alone,
 * slab_range_holds()), push it on the sheaf, or when the sheaf is full on
 * the spare sheaf while it has room, or else on the CPU freelist: the
 * sheaves are arrays, so a free and an allocation in turn pass no pointer
 * through the object, and none to encode.  Else, if
 * it is an object of the deferred frees' slab, on their chain.  Each push
 * refuses the object on top of what it pushes on, a double free, as
 * Linux's hardened freelist refuses its head: CPU_SLAB_DOUBLE, for the
 * full path's report (as NOT_OURS, but a caller may know the slab at once).
 * PUSHED_EMPTIED: pushed, and the caller must hand the deferred frees over
 * (flush_deferred_emptied()).  A CPU whose spare sheaf is in use keeps no
 * chain: its deferred frees' range (defer_inuse 0, no defer_head) only
 * vouches for @x while the spare still holds the object of its slab at
 * defer_count, and @x goes on the spare sheaf (defer_tail); SHEAF_FULL:
 * not pushed, the spare is full, for sheaf_spill_push() (see "The spare
 * sheaf" in slub.c).
 * The cache is read only off the sheaf's way (c->cache), so a kfree()
 * that guesses @c needs no more.
 */
static __always_inline enum cpu_push cpu_free_push(struct kmem_cache_cpu *c, void *x)
{
	if (likely(slab_range_holds(c, c->base, c->limit, x))) {
		unsigned int n = c->sheaf.size;

		if (likely(n < SHEAF_CAPACITY)) {
			if (unlikely(sheaf_top_is(c, x)))
				return CPU_SLAB_DOUBLE;
			c->sheaf.objects[n] = x;
			c->sheaf.size = n + 1;
			return PUSHED;
		}
		/*
		 * Then the spare sheaf while it has room: the CPU slab needs no
		 * range.  But not at or below the index of the object that
		 * vouched for the spare's range (defer_count), gone: there an
		 * object would seem to vouch again for a slab free to empty.
		 */
		struct slab_spare *sp = c->spare;
		n = sp->size;
		if (n < sp->capacity && (c->defer_tail != sp || n > c->defer_count)) {
			if (unlikely(x == spare_top(sp)))
				return CPU_SLAB_DOUBLE;
			sp->objects[n] = x;
			sp->size = n + 1;
			return PUSHED;
		}
		if (unlikely(x == c->freelist))
			return CPU_SLAB_DOUBLE;
		cpu_freelist_push(c->cache, c, x);
		return PUSHED;
	}
	if (slab_range_holds(c, c->defer_base, c->defer_limit, x)) {
		if (!c->defer_inuse) {
			struct slab_spare *sp = c->defer_tail;	/* see slub.c */
			unsigned int n = sp->size;

			if (unlikely(x == spare_top(sp)))
				return CPU_SLAB_DOUBLE;
			/* Allocations took the object that vouches for the range. */
			if (unlikely(n <= c->defer_count))
				return NOT_OURS;
			if (unlikely(n == sp->capacity))
				return SHEAF_FULL;
			sp->objects[n] = x;
			sp->size = n + 1;
			return PUSHED;
		}
		if (unlikely(x == c->defer_head))
			return NOT_OURS;
		set_freepointer(c->cache, x, c->defer_head);
		c->defer_head = x;
		return unlikely(++c->defer_count == c->defer_inuse) ? PUSHED_EMPTIED : PUSHED;
	}
	return NOT_OURS;
}

/*
 * The free fast path of @s: cpu_free_push() on this CPU, which it holds by
 * the active flag alone, as do_slab_alloc() does.  MISSED: no section was
 * entered; MISSED_IN_SECTION: the caller is still in the section, with
 * preempt_count at 0, and its out-of-line path must count the section
 * (preempt_count = 1) before it does anything else.
 */
static __always_inline enum fast_free do_slab_free(struct kmem_cache *s, void *x)
{
	struct task_struct *t = current;
	unsigned int *active = t->active;	/* kept for cpu_leave_flag() */
	struct kmm_cpu *cpu;

	if (unlikely(t->preempt_count) || unlikely(!(cpu = cpu_enter_held(t))))
		return MISSED;
	switch (cpu_free_push(cpu_slab_of(s, cpu), x)) {
	case PUSHED:
		break;
	case PUSHED_EMPTIED:
		flush_deferred_emptied(s);
		return FREED;
	case SHEAF_FULL:	/* only kmalloc caches have spare sheaves: the full path */
	case NOT_OURS:
	case CPU_SLAB_DOUBLE:
		return MISSED_IN_SECTION;
	}
	if (unlikely(cpu_leave_flag(active, cpu)))
		slab_free_handback();
	return FREED;
}

/**
 * __do_slab_alloc - the allocation fast path: pop the CPU's sheaf or freelist
 * @s: the cache, or NULL for a kmalloc cache: then read from the CPU part
 * where needed, off the sheaf's way (a volatile read, which the compiler
 * does not hoist into the common path)
 * @parts: its cpu_slab array (kmalloc_cpu_parts[]: no load of it from @s)
 * @addr: the caller, for SLAB_STORE_USER
 * @orig_size: the size asked for (kmalloc), for the kmalloc red zone
 *
 * The common case is a pop from this CPU's sheaf or freelist inside one CPU
 * section.  Everything else (a CPU to get, a slab to find, debugging,
 * zeroing, the tools) is a tail call out of line, so the fast path is a
 * leaf that saves no registers.  The section holds the CPU by the thread's
 * active flag alone (cpu_enter_held()) and leaves preempt_count at 0:
 * nothing between the enter and the leave reads it, and the ways out that
 * stay in the section count it themselves.
 * Context: any; may sleep if @gfpflags allow.
 */
static __always_inline void *__do_slab_alloc(struct kmem_cache *s, struct kmem_cache_cpu *parts,
					     gfp_t gfpflags, int node, unsigned long addr,
					     unsigned int orig_size)
{
	struct task_struct *t = current;
	unsigned int *active = t->active;	/* kept for cpu_leave_flag() */
	struct kmem_cache_cpu *c;
	struct kmm_cpu *cpu;
	void *object;

	/*
	 * Nested in a section (atomic context), for a node, faults armed, slab
	 * hooks on (slab_alloc_slow() runs them): the full path.
	 */
	if (unlikely(t->preempt_count | (node != NUMA_NO_NODE) | READ_ONCE(kmm_slow_paths.any)) ||
	    unlikely(!(cpu = cpu_enter_held(t))))
		return slab_alloc_slow(s ?: READ_ONCE(parts->cache), gfpflags, node, addr, orig_size);
	c = cpu_part_of(parts, cpu);
	object = cpu_pop(s, c);
	if (unlikely(!object))
		return slab_alloc_refill(s ?: READ_ONCE(c->cache), gfpflags, addr, orig_size);
	/*
	 * This CPU's part of the kmalloc cache it allocated from last, for
	 * kfree()'s first guess (slub.c): in the line of struct kmm_cpu that
	 * the section has just read, a store and no address to compute.
	 */
	if (!s)
		cpu->kmalloc_hint = c;
	if (unlikely(cpu_leave_flag(active, cpu)))
		return slab_alloc_leave_slow(s ?: READ_ONCE(c->cache), gfpflags, object, orig_size);
	if (unlikely(gfpflags & __GFP_ZERO))
		return slab_post_alloc_hook(s ?: READ_ONCE(c->cache), gfpflags, object, orig_size);
	return object;
}

static __always_inline void *do_slab_alloc(struct kmem_cache *s, gfp_t gfpflags, int node,
					   unsigned long addr, unsigned int orig_size)
{
	return __do_slab_alloc(s, s->cpu_slab, gfpflags, node, addr, orig_size);
}

#pragma GCC visibility pop

#endif /* KMM_SLAB_FAST_H */
