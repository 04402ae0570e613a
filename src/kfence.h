/* SPDX-License-Identifier: MIT */
/*
 * Private to KFENCE (kfence.c, kfence_report.c) and the places that call
 * into it: the slab allocator's hooks, the fault handler, boot, views and
 * kmm_check().
 */
#ifndef KMM_KFENCE_PRIV_H
#define KMM_KFENCE_PRIV_H

#include "internal.h"
#include <kmm/kfence.h>
#include <kmm/slab.h>

/*
 * The bit of kmm_slab_hooks (slub.c) that the sample timer raises: it takes
 * the next allocation off the fast path into slab_post_alloc_hook(), which
 * offers it to KFENCE.  The hooks byte is KFENCE's static key.
 */
#define KMM_SLAB_HOOK_KFENCE	0x80

#define KFENCE_STACK_DEPTH	64

enum kfence_object_state {
	KFENCE_OBJECT_UNUSED,		/* never allocated */
	KFENCE_OBJECT_ALLOCATED,
	KFENCE_OBJECT_RCU_FREEING,	/* freed, waiting for a grace period */
	KFENCE_OBJECT_FREED,
};

/*
 * Who allocated or freed an object.  The stack is kept whole, as Linux's
 * (not in the stack depot: a slot is rewritten at every reuse); @skip is
 * where the allocator's own frames end, found when it was saved.
 */
struct kfence_track {
	int pid;
	int cpu;
	u64 ts_nsec;			/* since boot */
	unsigned int nr, skip;
	unsigned long entries[KFENCE_STACK_DEPTH];
};

struct kfence_metadata {
	struct list_head list;		/* on the freelist while not allocated */
	spinlock_t lock;		/* guards the fields below */
	enum kfence_object_state state;
	unsigned long addr;		/* the object (its page while unused) */
	size_t size;
	struct kmem_cache *cache;	/* NULL once the cache is destroyed */
	unsigned long unprotected_page;	/* a guard page opened by a report */
	u32 alloc_stack_hash;
	struct rcu_head rcu_head;
	struct kfence_track alloc_track, free_track;
};

enum kfence_error_type {
	KFENCE_ERROR_OOB,
	KFENCE_ERROR_UAF,
	KFENCE_ERROR_CORRUPTION,
	KFENCE_ERROR_INVALID,
	KFENCE_ERROR_INVALID_FREE,
};

/* The canary: 0xaa XOR the low three bits of each byte's address. */
#define KFENCE_CANARY_PATTERN_U8(addr)	((u8)0xaa ^ (u8)((unsigned long)(addr) & 0x7))
#define KFENCE_CANARY_PATTERN_U64	((u64)0xaaaaaaaaaaaaaaaaULL ^ (u64)0x0706050403020100ULL)

/* --- kfence.c --- */
extern struct kfence_metadata *kfence_metadata;
extern unsigned long kfence_num_objects;
extern u64 kfence_boot_ns;
extern unsigned long kfence_sample_interval;
/* The least alignment of a right-aligned object; libkmm-malloc.so asks for malloc's 16. */
extern unsigned int kfence_min_align;

/*
 * The metadata of the object whose page, or the guard page after it, holds
 * @addr; NULL in the two leading guard pages and outside the pool.
 */
static inline struct kfence_metadata *addr_to_metadata(unsigned long addr)
{
	long index;

	if (!is_kfence_address((void *)addr) || !kfence_metadata)
		return NULL;
	/* Pages 0 and 1 are guards; object i has page 2i + 2, its guard 2i + 3. */
	index = (long)((addr - (unsigned long)__kfence_pool) / (PAGE_SIZE * 2)) - 1;
	if (index < 0 || index >= (long)kfence_num_objects)
		return NULL;
	return &kfence_metadata[index];
}

void kfence_alloc_pool(void);		/* before memblock hands over: reserve the pool */
int kfence_init(void);			/* with the slab layer and threads up */
void kfence_exit(void);
void kfence_fork_child(void);		/* after fork(), in the child: no timer thread */

/*
 * __kfence_alloc - sample this allocation, if the gate is open
 * @size: the size asked for (the cache's object size, or kmalloc's request)
 * Called by slab_post_alloc_hook() only, while KMM_SLAB_HOOK_KFENCE is up;
 * the frame after that hook's is the allocator's caller.
 * Return: a KFENCE object, or NULL to keep the slab object.
 */
void *__kfence_alloc(struct kmem_cache *s, size_t size, gfp_t flags);
/*
 * kfree() or kmem_cache_free() of an address in the pool; @caller is the
 * free's return address into its caller, where the free stack starts.
 */
void __kfence_free(void *addr, unsigned long caller);
void kfence_shutdown_cache(struct kmem_cache *s);
/* A fault at @addr: true if it was KFENCE's, reported, and the access may be retried. */
bool kfence_handle_page_fault(unsigned long addr, bool is_write, void *uctx);
bool kfence_unprotect(unsigned long addr);
int kmm_check_kfence(void);
void show_kfence_stats(FILE *f);
void show_kfence_objects(FILE *f);

/* --- kfence_report.c --- */
/* The index of @first (a code address) in @entries, or 0 if it is not there. */
unsigned int kfence_first_frame(const unsigned long *entries, unsigned int nr,
				unsigned long first);
/*
 * Report an error at @address.  @first is where the stack to show starts:
 * the faulting instruction, or a free's return address into its caller;
 * with 0 (or if it is not found), the allocator's frames are skipped by
 * their names, as Linux does.
 */
void kfence_report_error(unsigned long address, bool is_write, unsigned long first,
			 const struct kfence_metadata *meta, enum kfence_error_type type);
void kfence_print_object(FILE *f, const struct kfence_metadata *meta);

#endif /* KMM_KFENCE_PRIV_H */
