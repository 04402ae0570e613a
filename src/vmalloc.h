/* SPDX-License-Identifier: MIT */
/*
 * Internals of the vmalloc layer: struct vmap_area and the address-space
 * allocator (vmap_area.c) that vmalloc.c, highmem and kernel stacks use.
 */
#ifndef KMM_VMALLOC_INTERNAL_H
#define KMM_VMALLOC_INTERNAL_H

#include "internal.h"
#include "rbtree.h"
#include <kmm/vmalloc.h>

/*
 * One range of the vmalloc area.  It is in exactly one of three trees:
 *  free  - unused address space; va_start..va_end is free, the augmented
 *          value subtree_max_size is the largest free block below it;
 *  busy  - an allocated area; vm is its descriptor (NULL for vm_map_ram);
 *  lazy  - freed and unmapped from the page table, still mapped by the
 *          host (a stale TLB entry) until the next purge.
 */
struct vmap_area {
	unsigned long va_start, va_end;
	struct rb_node rb_node;
	union {
		unsigned long subtree_max_size;	/* in the free tree */
		struct vm_struct *vm;		/* in the busy tree */
	};
	unsigned int flags;			/* VMAP_RAM, VA_* */
	int host_maps;				/* host mappings charged for it */
	struct vmap_area *deferred_next;	/* on the deferred-free list */
};

/* 72 bytes, as Linux's: its slab cache looks the same in /proc/slabinfo. */
_Static_assert(sizeof(struct vmap_area) == 72, "struct vmap_area is 72 bytes");

#ifndef GFP_RECLAIM_MASK
#define GFP_RECLAIM_MASK (__GFP_RECLAIM | __GFP_HIGH | __GFP_IO | __GFP_FS | \
			  __GFP_NOWARN | __GFP_RETRY_MAYFAIL | __GFP_NOFAIL | \
			  __GFP_NORETRY | __GFP_MEMALLOC | __GFP_NOMEMALLOC)
#endif

/* kmm's own flags in vmap_area.flags. */
#define VA_FREEING	0x100	/* being unmapped, on its way to the lazy tree */
#define VA_DEFERRED	0x200	/* vfree() deferred to the worker */

static inline unsigned long va_size(const struct vmap_area *va)
{
	return va->va_end - va->va_start;
}

/* Lock order: vmap_area_lock, then pgtable_lock (inside page-table code). */
extern spinlock_t vmap_area_lock;
extern struct rb_root vmap_busy_root, vmap_free_root, vmap_lazy_root;
extern atomic_long_t vmap_lazy_nr;
extern atomic_long_t nr_vmalloc_pages;

/* vmap_area.c */
int vmap_init(unsigned long start, unsigned long end);
void vmap_exit(void);
/*
 * A free range of @size bytes aligned to @align inside [vstart, vend),
 * lowest address first; in the busy tree on return, with @vm attached.
 * Return: the area, or NULL if no such range exists even after a purge.
 */
struct vmap_area *alloc_vmap_area(unsigned long size, unsigned long align,
				  unsigned long vstart, unsigned long vend, gfp_t gfp,
				  struct vm_struct *vm, unsigned int va_flags);
/* The busy area that starts at @addr, or contains it (@exact false). Locked. */
struct vmap_area *__find_vmap_area(unsigned long addr, bool exact);
/* Is @addr in a freed area whose host mappings may remain? For the checker. */
bool vmap_lazy_covers(unsigned long addr);
/*
 * Take the busy area starting at @addr out of use: clear its page-table
 * entries and put it on the lazy list.  @deferred: the area must be one a
 * deferred vfree() marked (the worker), else one not marked; @ram: a
 * vm_map_ram() area, else one with a vm_struct.
 * Return: true, with the area's vm_struct (NULL for vm_map_ram) in *@vmp,
 * or false if there is no such area.
 */
bool unmap_vmap_area(unsigned long addr, bool deferred, bool ram, struct vm_struct **vmp);
/* Free a busy area that was never mapped (a failed setup). */
void free_vmap_area(struct vmap_area *va);
void purge_vmap_area_lazy(void);
void vmap_check(void);
void show_vmap_lazy(FILE *f);


#endif /* KMM_VMALLOC_INTERNAL_H */
