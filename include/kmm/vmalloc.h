/* SPDX-License-Identifier: MIT */
/*
 * vmalloc: virtually contiguous kernel memory from scattered pages.
 *
 * An area of the vmalloc range (struct vm_struct, with its struct
 * vmap_area) is mapped through the kernel page table onto pages of any
 * zone, high memory included.  Sizes round up to whole pages; each area is
 * followed by an unmapped guard page unless VM_NO_GUARD.  Freed areas are
 * unmapped from the host lazily, many at once (vm_unmap_aliases() forces
 * it); until then a use after vfree() does not fault.
 *
 * kmm's deviations: vfree() of an address inside an area but not at its
 * start is refused as a nonexistent area (Linux frees the area); vfree()
 * with preemption disabled is deferred, as Linux defers it from interrupts.
 */
#ifndef KMM_VMALLOC_H
#define KMM_VMALLOC_H

#pragma GCC visibility push(default)

#include <kmm/types.h>
#include <kmm/gfp_types.h>
#include <kmm/pgtable.h>

#define VM_IOREMAP		0x00000001	/* ioremap() and friends */
#define VM_ALLOC		0x00000002	/* vmalloc() */
#define VM_MAP			0x00000004	/* vmap()ed pages */
#define VM_USERMAP		0x00000008	/* suitable for remap_vmalloc_range */
#define VM_DMA_COHERENT		0x00000010
#define VM_UNINITIALIZED	0x00000020	/* not fully set up yet */
#define VM_NO_GUARD		0x00000040	/* no guard page after the area */
#define VM_KASAN		0x00000080
#define VM_FLUSH_RESET_PERMS	0x00000100
#define VM_MAP_PUT_PAGES	0x00000200	/* vfree() puts the vmap()ed pages */
#define VM_ALLOW_HUGE_VMAP	0x00000400
#define VM_SPARSE		0x00001000
/*
 * kmm's own: the area's memory is the host's private anonymous memory,
 * not its pages' RAM.  Its pages still come from the page allocator and
 * its entries still name them (vmalloc_to_page() works), but while the
 * area lives they are out of the direct map, as Linux takes secretmem's
 * pages out with set_direct_map_invalid_noflush(): page_address() of one
 * faults, and their RAM is given back to the host.  What that buys is
 * the host's cheapest memory: an anonymous page fault costs about 60% of
 * a fault of the RAM file (shmem), and fork() shares it copy-on-write
 * with no copy to make.  For memory nothing reads through another alias:
 * the preload library's huge blocks.  No vmap() of its pages, no
 * remap_vmalloc_range().  With VM_ALLOW_HUGE_VMAP too, the host's huge
 * pages where it has them (see vmalloc_huge()).
 */
#define VM_KMM_PRIVATE		0x00100000

/* Bits in vmap_area.flags. */
#define VMAP_RAM		0x1	/* a vm_map_ram() area */

struct page;
struct vmap_area;

struct vm_struct {
	struct vm_struct *next;		/* Linux's early vmlist; kmm has none: NULL */
	void *addr;
	unsigned long size;		/* the guard page included */
	unsigned long flags;
	struct page **pages;
	unsigned int page_order;
	unsigned int nr_pages;
	phys_addr_t phys_addr;
	const void *caller;
};

static inline size_t get_vm_area_size(const struct vm_struct *area)
{
	return area->size - ((area->flags & VM_NO_GUARD) ? 0 : PAGE_SIZE);
}

void *vmalloc(unsigned long size);
/*
 * Linux maps these with PMD-sized pages where it can (VM_ALLOW_HUGE_VMAP,
 * unless booted with nohugevmalloc).  kmm's host mappings of the RAM file
 * have small pages only, so in kmm the flag changes an area only with
 * VM_KMM_PRIVATE: from PMD_SIZE up it is PMD-aligned and the host is asked
 * for huge pages there.  Else these are vmalloc() and vmalloc_node().
 */
void *vmalloc_huge(unsigned long size, gfp_t gfp_mask);
void *vmalloc_huge_node(unsigned long size, gfp_t gfp_mask, int node);
void *vzalloc(unsigned long size);
void *vmalloc_node(unsigned long size, int node);
void *vzalloc_node(unsigned long size, int node);
/* Pages from ZONE_NORMAL or below on x86_32, ZONE_DMA32 on x86_64. */
void *vmalloc_32(unsigned long size);
void *__vmalloc(unsigned long size, gfp_t gfp_mask);
void *__vmalloc_node(unsigned long size, unsigned long align, gfp_t gfp_mask, int node,
		     const void *caller);
/**
 * __vmalloc_node_range - allocate virtually contiguous memory
 * @size: bytes (rounded up to pages); @align: a power of two
 * @start, @end: the range of addresses the area must lie in
 * @gfp_mask: GFP_KERNEL, GFP_NOFS or GFP_NOIO, with __GFP_ZERO,
 *            __GFP_NOWARN, __GFP_NOFAIL; zone modifiers are for vmalloc_32
 * @prot: PAGE_KERNEL, PAGE_KERNEL_RO, ...
 * @vm_flags: extra VM_* flags (VM_NO_GUARD)
 * @node: NUMA node for the pages, or NUMA_NO_NODE
 * @caller: shown in /proc/vmallocinfo
 * Context: may sleep.
 * Return: the area's address, or NULL (reported as "vmalloc error: ...").
 */
void *__vmalloc_node_range(unsigned long size, unsigned long align, unsigned long start,
			   unsigned long end, gfp_t gfp_mask, pgprot_t prot,
			   unsigned long vm_flags, int node, const void *caller);
/**
 * vfree - free memory from vmalloc()
 * @addr: the address vmalloc() returned, or NULL
 *
 * Context: any.  With preemption disabled the work is deferred to a worker
 * thread, as Linux defers it from interrupt context.
 */
void vfree(const void *addr);
void vfree_atomic(const void *addr);

/* Map @count pages at a new area; vunmap() removes it, the pages stay. */
void *vmap(struct page **pages, unsigned int count, unsigned long flags, pgprot_t prot);
void vunmap(const void *addr);
void *vm_map_ram(struct page **pages, unsigned int count, int node);
void vm_unmap_ram(const void *mem, unsigned int count);
/* Unmap now every lazily freed area (Linux: flush stale TLB entries). */
void vm_unmap_aliases(void);

struct vm_struct *get_vm_area(unsigned long size, unsigned long flags);
struct vm_struct *get_vm_area_caller(unsigned long size, unsigned long flags,
				     const void *caller);
struct vm_struct *__get_vm_area_caller(unsigned long size, unsigned long flags,
				       unsigned long start, unsigned long end,
				       const void *caller);
void free_vm_area(struct vm_struct *area);
struct vm_struct *find_vm_area(const void *addr);
struct vm_struct *remove_vm_area(const void *addr);
/* Map the area's pages (area->pages, area->nr_pages) with @prot. */
int map_vm_area(struct vm_struct *area, pgprot_t prot);

struct page *vmalloc_to_page(const void *addr);
unsigned long vmalloc_to_pfn(const void *addr);
bool is_vmalloc_addr(const void *x);
/* A vmalloc address or a direct-map one (Linux's is_vmalloc_or_module_addr). */
static inline bool is_vmalloc_or_module_addr(const void *x) { return is_vmalloc_addr(x); }

void __iomem *ioremap(phys_addr_t phys_addr, unsigned long size);
void iounmap(volatile void __iomem *addr);

/* Lazily freed pages after which a purge unmaps them all. */
unsigned long lazy_max_pages(void);
/* Pages vmalloc holds (VmallocUsed). */
unsigned long vmalloc_nr_pages(void);

#pragma GCC visibility pop

#endif /* KMM_VMALLOC_H */
