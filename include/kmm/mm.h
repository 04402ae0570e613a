/* SPDX-License-Identifier: MIT */
/*
 * The memory model: mem_map, pfns, physical and kernel virtual addresses.
 *
 * Physical address 0 is the first byte of the machine's RAM file; a pfn is
 * a page number in it.  mem_map is one flat array of struct page indexed by
 * pfn (FLATMEM), placed by memblock at boot.  The kernel virtual addresses
 * are real host pointers into the machine's window: lowmem is mapped there
 * from PAGE_OFFSET up to high_memory, so __pa and __va are arithmetic.
 */
#ifndef KMM_MM_H
#define KMM_MM_H

#pragma GCC visibility push(default)

#include <kmm/types.h>
#include <kmm/mm_types.h>
#include <kmm/page-flags.h>
#include <kmm/page_ref.h>
#include <kmm/mmzone.h>

extern struct page *mem_map;
extern unsigned long max_pfn;		/* one past the last pfn of RAM */
extern unsigned long max_low_pfn;	/* one past the last lowmem pfn */
extern unsigned long kmm_page_offset;
extern void *high_memory;

#define PAGE_OFFSET	kmm_page_offset
#define PFN_UP(x)	(((x) + PAGE_SIZE - 1) >> PAGE_SHIFT)
#define PFN_DOWN(x)	((x) >> PAGE_SHIFT)
#define PFN_PHYS(x)	((phys_addr_t)(x) << PAGE_SHIFT)
#define PHYS_PFN(x)	((unsigned long)((x) >> PAGE_SHIFT))
#define PAGE_ALIGN(x)	(((x) + PAGE_SIZE - 1) & PAGE_MASK)
#define PAGE_ALIGNED(x)	((((unsigned long)(x)) & (PAGE_SIZE - 1)) == 0)
#define offset_in_page(p) ((unsigned long)(p) & ~PAGE_MASK)

static inline struct page *pfn_to_page(unsigned long pfn) { return mem_map + pfn; }
static inline unsigned long page_to_pfn(const struct page *page)
{
	return (unsigned long)(page - mem_map);
}
static inline phys_addr_t page_to_phys(const struct page *page)
{
	return PFN_PHYS(page_to_pfn(page));
}
static inline struct page *phys_to_page(phys_addr_t phys)
{
	return pfn_to_page(PHYS_PFN(phys));
}
#define nth_page(page, n) ((page) + (n))

#define __pa(x)		((phys_addr_t)((unsigned long)(x) - PAGE_OFFSET))
#define __va(x)		((void *)((unsigned long)(x) + PAGE_OFFSET))
#define __pa_symbol(x)	__pa(x)
static inline phys_addr_t virt_to_phys(const volatile void *address) { return __pa(address); }
static inline void *phys_to_virt(phys_addr_t address) { return __va(address); }
#define virt_to_pfn(kaddr)	PHYS_PFN(__pa(kaddr))
#define virt_to_page(kaddr)	pfn_to_page(virt_to_pfn(kaddr))
#define pfn_to_kaddr(pfn)	__va((phys_addr_t)(pfn) << PAGE_SHIFT)

/* True if @pfn has a struct page (inside mem_map). */
static inline bool pfn_valid(unsigned long pfn) { return pfn < max_pfn; }

/* True if @addr is in the direct map of lowmem. */
static inline bool virt_addr_valid(const volatile void *addr)
{
	unsigned long a = (unsigned long)addr;
	return a >= PAGE_OFFSET && a < (unsigned long)high_memory;
}

static inline enum zone_type page_zonenum(const struct page *page)
{
	return (enum zone_type)((page->flags >> ZONES_PGSHIFT) & ZONES_MASK);
}
static inline int page_to_nid(const struct page *page)
{
	return (int)((page->flags >> NODES_PGSHIFT) & NODES_MASK);
}
static inline struct zone *page_zone(const struct page *page)
{
	return &NODE_DATA(page_to_nid(page))->node_zones[page_zonenum(page)];
}
static inline pg_data_t *page_pgdat(const struct page *page)
{
	return NODE_DATA(page_to_nid(page));
}
static inline bool PageHighMem(const struct page *page)
{
	return is_highmem_idx(page_zonenum(page));
}

/**
 * page_address - the kernel virtual address of a page
 * @page: the page
 *
 * Return: the direct-map address of a lowmem page; for a high page, the
 * address it is kmapped at, or NULL when it is not mapped.
 */
void *page_address(const struct page *page);
#define lowmem_page_address(page) __va(page_to_phys(page))

static inline int page_count(const struct page *page)
{
	return page_ref_count(compound_head(page));
}

static inline int page_mapcount(const struct page *page)
{
	return page_has_type(page) ? 0 : atomic_read(&page->_mapcount) + 1;
}

/**
 * get_page - take a reference on a page (on its head, for a compound page)
 */
void get_page(struct page *page);

/**
 * put_page - drop a reference; the last one frees the page (a compound page
 * whole).  A put at refcount zero is reported and ignored.
 */
void put_page(struct page *page);

/**
 * split_page - turn a non-compound order-@order allocation into 2^order
 * independent order-0 pages, each with its own reference.
 */
void split_page(struct page *page, unsigned int order);

void dump_page(const struct page *page, const char *reason);

static inline unsigned int get_order(unsigned long size)
{
	if (size <= PAGE_SIZE)
		return 0;
	return (unsigned int)(64 - __builtin_clzl((size - 1) >> PAGE_SHIFT));
}

#pragma GCC visibility pop

#endif /* KMM_MM_H */
