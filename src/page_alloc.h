/* SPDX-License-Identifier: MIT */
/*
 * Private to the page allocator's files (page_alloc.c, page_free.c,
 * page_buddy.c, vmscan.c, check.c): the buddy helpers and the per-page
 * bookkeeping kmm keeps in the spare bits of page->flags.
 */
#ifndef KMM_PAGE_ALLOC_H
#define KMM_PAGE_ALLOC_H

#include "internal.h"

/*
 * Bits 32..39 of page->flags, between Linux's flags and the zone/node
 * fields, record what the allocator handed out: the order of the
 * allocation (on its first page) and its migrate type.  They let a free
 * with the wrong order, or a stray free of a tail page, be told apart from
 * a good one, and let kmm_check() walk allocations.
 */
#define KMM_ALLOC_SHIFT		32
#define KMM_ALLOC_ORDER_MASK	(0xfUL << KMM_ALLOC_SHIFT)
#define KMM_ALLOC_MT_SHIFT	36
#define KMM_ALLOC_MT_MASK	(0x3UL << KMM_ALLOC_MT_SHIFT)
#define KMM_ALLOC_HEAD		(1UL << 38)	/* first page of an allocation */
#define KMM_ALLOC_BITS		(KMM_ALLOC_ORDER_MASK | KMM_ALLOC_MT_MASK | KMM_ALLOC_HEAD)

static inline void page_set_alloc(struct page *page, unsigned int order, int mt)
{
	page->flags = (page->flags & ~KMM_ALLOC_BITS) | KMM_ALLOC_HEAD |
		      ((unsigned long)order << KMM_ALLOC_SHIFT) |
		      ((unsigned long)(mt & 3) << KMM_ALLOC_MT_SHIFT);
}

static inline void page_clear_alloc(struct page *page)
{
	page->flags &= ~KMM_ALLOC_BITS;
}

static inline bool page_is_alloc_head(const struct page *page)
{
	return page->flags & KMM_ALLOC_HEAD;
}

/* The order and migratetype an allocation's head page records, from its flags. */
static inline unsigned int alloc_flags_order(unsigned long flags)
{
	return (unsigned int)((flags & KMM_ALLOC_ORDER_MASK) >> KMM_ALLOC_SHIFT);
}

static inline int alloc_flags_mt(unsigned long flags)
{
	return (int)((flags & KMM_ALLOC_MT_MASK) >> KMM_ALLOC_MT_SHIFT);
}

static inline unsigned int page_alloc_order(const struct page *page)
{
	return alloc_flags_order(page->flags);
}

static inline int page_alloc_mt(const struct page *page)
{
	return alloc_flags_mt(page->flags);
}

static inline void set_buddy_order(struct page *page, unsigned int order)
{
	page->private = order;
	__SetPageBuddy(page);
}

static inline unsigned int buddy_order(const struct page *page)
{
	return (unsigned int)page->private;
}

static inline bool pcp_allowed_order(unsigned int order)
{
	return order <= PAGE_ALLOC_COSTLY_ORDER;
}

static inline unsigned int order_to_pindex(int migratetype, unsigned int order)
{
	return order * MIGRATE_PCPTYPES + (unsigned int)migratetype;
}

static inline unsigned int pindex_to_order(unsigned int pindex)
{
	return pindex / MIGRATE_PCPTYPES;
}

static inline bool migratetype_is_mergeable(int mt)
{
	return mt < MIGRATE_PCPTYPES;
}

/* page_buddy.c: the free lists, split and merge, fallback stealing. */
void __free_one_page(struct page *page, unsigned long pfn, struct zone *zone,
		     unsigned int order, int migratetype, bool to_tail);
struct page *__rmqueue(struct zone *zone, unsigned int order, int migratetype,
		       unsigned int alloc_flags);
struct page *__rmqueue_smallest(struct zone *zone, unsigned int order, int migratetype);
void reserve_highatomic_pageblock(struct page *page, unsigned int order, struct zone *zone);
bool unreserve_highatomic_pageblock(const struct alloc_context *ac, bool force);
void account_freepages(struct zone *zone, long nr_pages, int migratetype, unsigned int order);
void del_page_from_free_list(struct page *page, struct zone *zone,
			     unsigned int order, int migratetype);

/* page_alloc.c */
void free_pcppages_bulk(struct zone *zone, int count, struct per_cpu_pages *pcp,
			int pindex);
extern unsigned int kmm_free_waiters;
int nr_pcp_free(struct per_cpu_pages *pcp, int batch, int high, bool free_high);
int nr_pcp_high(struct per_cpu_pages *pcp, struct zone *zone, int batch, bool free_high);

/* page_free.c */
bool kmm_page_ptr_valid(const struct page *page);
void __free_frozen_pages(struct page *page, unsigned int order);

#endif /* KMM_PAGE_ALLOC_H */
