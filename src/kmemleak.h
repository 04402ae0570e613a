/* SPDX-License-Identifier: MIT */
/*
 * Private to kmemleak (kmemleak.c: the objects and the API;
 * kmemleak_scan.c: the scan, the reports, the view and the scan thread)
 * and to the allocators' hooks.
 */
#ifndef KMM_KMEMLEAK_PRIV_H
#define KMM_KMEMLEAK_PRIV_H

#include "internal.h"
#include "rbtree.h"
#include <kmm/kmemleak.h>
#include "slab.h"

/*
 * The bit of kmm_slab_hooks (slub.c) kmemleak keeps up while it runs: every
 * allocation goes through slab_post_alloc_hook(), which records it; frees
 * leave the fast path through slab_free_hooks().
 */
#define KMM_SLAB_HOOK_KMEMLEAK	0x40

#define KMEMLEAK_GREY	0
#define KMEMLEAK_BLACK	-1
#define KMEMLEAK_MAX_AREAS	2	/* scan areas kept per object; more: scanned whole */

/* flags */
#define OBJECT_ALLOCATED	(1 << 0)
#define OBJECT_REPORTED		(1 << 1)
#define OBJECT_NO_SCAN		(1 << 2)
#define OBJECT_FULL_SCAN	(1 << 3)
#define OBJECT_PHYS		(1 << 4)
#define OBJECT_TRACE_EXACT	(1 << 5)	/* the trace starts at the API's caller: no skipping */

/*
 * One tracked block.  Every field is under kmemleak_lock; @use_count keeps
 * the metadata (not the block) alive while the scan holds it across a
 * release of the lock.  The colour is count against min_count, as Linux's:
 * white (count < min_count: unreferenced so far), grey (count >= min_count:
 * referenced, or never a leak), black (min_count -1: ignored).
 */
struct kmemleak_object {
	unsigned int flags;
	struct list_head object_list;	/* every tracked object, oldest first */
	struct list_head gray_list;	/* during a scan: to be scanned */
	struct rb_node rb_node;		/* by address, in its tree (virtual or phys) */
	int use_count;
	unsigned long pointer;
	size_t size;
	unsigned long excess_ref;	/* surplus references go to this block */
	int min_count;
	int count;
	u32 checksum;
	depot_stack_handle_t trace_handle;
	unsigned int nr_areas;
	struct { unsigned long start; size_t size; } areas[KMEMLEAK_MAX_AREAS];
	unsigned long jiffies;		/* when allocated */
	int pid;
	char comm[16];
};

/* --- kmemleak.c --- */
extern bool kmemleak_enabled;		/* tracking allocations */
extern bool kmemleak_free_enabled;	/* tracking frees (outlives the above for a moment) */
extern bool kmemleak_verbose;
extern unsigned long kmemleak_min_age_ms;
extern bool kmemleak_auto_scan;
extern spinlock_t kmemleak_lock;
extern struct list_head kmemleak_object_list;
extern struct rb_root kmemleak_object_tree;
/*
 * The span of the tracked virtual blocks, a quick test before the tree.
 * Its words hold addresses of blocks, so the scan must not read them as
 * references: the roots are read around it.
 */
struct kmemleak_span {
	unsigned long min_addr, max_addr;
};
extern struct kmemleak_span kmemleak_span;

void kmemleak_init(void);		/* at boot, before the first allocation to track */
void kmemleak_late_init(void);		/* with threads up: the scan thread */
void kmemleak_exit(void);
void kmemleak_disable(void);
/* The object holding @ptr (@alias: anywhere inside, else its start).  Under kmemleak_lock. */
struct kmemleak_object *kmemleak_lookup(unsigned long ptr, bool alias, bool phys);
void kmemleak_get(struct kmemleak_object *object);	/* under kmemleak_lock */
void kmemleak_put(struct kmemleak_object *object);	/* under kmemleak_lock */
void kmemleak_dump_object_info(struct kmemleak_object *object);
/* Stop tracking @object (a "clear" after kmemleak was turned off).  Under kmemleak_lock. */
void kmemleak_forget(struct kmemleak_object *object);
int kmm_check_kmemleak(void);

/* Hooks: the slab allocator (slab_post_alloc_hook(), the free paths) and vmalloc. */
void kmemleak_slab_alloc(struct kmem_cache *s, void *object, size_t size, gfp_t gfp);
static inline bool kmemleak_tracks(const struct kmem_cache *s)
{
	return READ_ONCE(kmemleak_free_enabled) && !(s->flags & SLAB_NOLEAKTRACE);
}

/* --- kmemleak_scan.c --- */
/* Scan now; under the scan mutex.  Return: the objects newly reported. */
int kmemleak_scan(void);
bool kmemleak_scan_in_progress(void);
void kmemleak_scan_init(void);
void kmemleak_scan_thread_start(bool first_delay);
void kmemleak_scan_thread_stop(void);
void kmemleak_scan_exit(void);
void show_kmemleak(FILE *f);
int kmemleak_write(const char *buf);

#endif /* KMM_KMEMLEAK_PRIV_H */
