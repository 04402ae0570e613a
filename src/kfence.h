/* SPDX-License-Identifier: MIT */
/*
 * Private to KFENCE (kfence.c, kfence_report.c) and the places that call
 * into it: the slab allocator's hooks, the fault handler, boot and views.
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

struct kfence_track {
	int pid;
	int cpu;
	u64 ts_nsec;			/* since boot */
	unsigned int nr;
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
extern u64 kfence_boot_ns;
extern unsigned long kfence_sample_interval;

/* The metadata of the object page that holds @addr, or NULL (a guard page, outside). */
static inline struct kfence_metadata *addr_to_metadata(unsigned long addr)
{
	long index;

	if (!is_kfence_address((void *)addr) || !kfence_metadata)
		return NULL;
	/* Pages 0 and 1 are guards; object i has page 2i + 2, its guard 2i + 3. */
	index = (long)((addr - (unsigned long)__kfence_pool) / (PAGE_SIZE * 2)) - 1;
	if (index < 0 || index >= CONFIG_KFENCE_NUM_OBJECTS)
		return NULL;
	return &kfence_metadata[index];
}

void kfence_alloc_pool(void);		/* before memblock hands over: reserve the pool */
int kfence_init(void);			/* with the slab layer and threads up */
void kfence_exit(void);
void *__kfence_alloc(struct kmem_cache *s, size_t size, gfp_t flags);
void __kfence_free(void *addr);
void kfence_shutdown_cache(struct kmem_cache *s);
/* A fault at @addr: true if it was KFENCE's, reported, and the access may be retried. */
bool kfence_handle_page_fault(unsigned long addr, bool is_write, void *uctx);
void show_kfence_stats(FILE *f);
void show_kfence_objects(FILE *f);
bool kfence_unprotect(unsigned long addr);

/* --- kfence_report.c --- */
void kfence_report_error(unsigned long address, bool is_write, unsigned long fault_pc,
			 const struct kfence_metadata *meta, enum kfence_error_type type);
void kfence_print_object(FILE *f, const struct kfence_metadata *meta);

#endif /* KMM_KFENCE_PRIV_H */
