/* SPDX-License-Identifier: MIT */
/*
 * Page flags and page types, with Linux's PageX / SetPageX / ClearPageX
 * accessors.  The flags are Linux 6.x's in Linux's order (dump_page prints
 * them by name).  A free page in the buddy allocator, a page-table page or a
 * slab page is told apart by its page_type, not by a flag, as in Linux 6.x.
 */
#ifndef KMM_PAGE_FLAGS_H
#define KMM_PAGE_FLAGS_H

#pragma GCC visibility push(default)

#include <kmm/mm_types.h>

enum pageflags {
	PG_locked,
	PG_writeback,
	PG_referenced,
	PG_uptodate,
	PG_dirty,
	PG_lru,
	PG_head,
	PG_waiters,
	PG_active,
	PG_workingset,
	PG_owner_priv_1,
	PG_owner_2,
	PG_arch_1,
	PG_reserved,
	PG_private,
	PG_private_2,
	PG_reclaim,
	PG_swapbacked,
	PG_unevictable,
	PG_dropbehind,
	PG_mlocked,
	PG_hwpoison,
	__NR_PAGEFLAGS,
};

/* The zone and node of a page live in the top bits of page->flags. */
#define NODES_SHIFT	6
#define ZONES_SHIFT	3
#define NODES_PGSHIFT	(BITS_PER_LONG - NODES_SHIFT)
#define ZONES_PGSHIFT	(NODES_PGSHIFT - ZONES_SHIFT)
#define NODES_MASK	((1UL << NODES_SHIFT) - 1)
#define ZONES_MASK	((1UL << ZONES_SHIFT) - 1)

static inline bool test_bit(int nr, const unsigned long *addr)
{
	return (__atomic_load_n(addr, __ATOMIC_RELAXED) >> nr) & 1;
}
static inline void set_bit(int nr, unsigned long *addr)
{
	__atomic_fetch_or(addr, 1UL << nr, __ATOMIC_RELAXED);
}
static inline void clear_bit(int nr, unsigned long *addr)
{
	__atomic_fetch_and(addr, ~(1UL << nr), __ATOMIC_RELAXED);
}
static inline void __set_bit(int nr, unsigned long *addr) { *addr |= 1UL << nr; }
static inline void __clear_bit(int nr, unsigned long *addr) { *addr &= ~(1UL << nr); }
static inline bool test_and_set_bit(int nr, unsigned long *addr)
{
	return (__atomic_fetch_or(addr, 1UL << nr, __ATOMIC_SEQ_CST) >> nr) & 1;
}
static inline bool test_and_clear_bit(int nr, unsigned long *addr)
{
	return (__atomic_fetch_and(addr, ~(1UL << nr), __ATOMIC_SEQ_CST) >> nr) & 1;
}

#define PAGEFLAG(uname, lname)						\
static inline bool Page##uname(const struct page *page)		\
	{ return test_bit(PG_##lname, &page->flags); }			\
static inline void SetPage##uname(struct page *page)			\
	{ set_bit(PG_##lname, &page->flags); }				\
static inline void ClearPage##uname(struct page *page)		\
	{ clear_bit(PG_##lname, &page->flags); }			\
static inline void __SetPage##uname(struct page *page)		\
	{ __set_bit(PG_##lname, &page->flags); }			\
static inline void __ClearPage##uname(struct page *page)		\
	{ __clear_bit(PG_##lname, &page->flags); }			\
static inline bool TestSetPage##uname(struct page *page)		\
	{ return test_and_set_bit(PG_##lname, &page->flags); }		\
static inline bool TestClearPage##uname(struct page *page)		\
	{ return test_and_clear_bit(PG_##lname, &page->flags); }

PAGEFLAG(Locked, locked)
PAGEFLAG(Writeback, writeback)
PAGEFLAG(Referenced, referenced)
PAGEFLAG(Uptodate, uptodate)
PAGEFLAG(Dirty, dirty)
PAGEFLAG(LRU, lru)
PAGEFLAG(Head, head)
PAGEFLAG(Waiters, waiters)
PAGEFLAG(Active, active)
PAGEFLAG(Workingset, workingset)
PAGEFLAG(OwnerPriv1, owner_priv_1)
PAGEFLAG(Owner2, owner_2)
PAGEFLAG(Arch1, arch_1)
PAGEFLAG(Reserved, reserved)
PAGEFLAG(Private, private)
PAGEFLAG(Private2, private_2)
PAGEFLAG(Reclaim, reclaim)
PAGEFLAG(SwapBacked, swapbacked)
PAGEFLAG(Unevictable, unevictable)
PAGEFLAG(Dropbehind, dropbehind)
PAGEFLAG(Mlocked, mlocked)
PAGEFLAG(HWPoison, hwpoison)

/* Flags that must be clear when a page is freed, and on a page handed out. */
#define PAGE_FLAGS_CHECK_AT_FREE					\
	(BIT(PG_lru) | BIT(PG_locked) | BIT(PG_private) |		\
	 BIT(PG_private_2) | BIT(PG_writeback) | BIT(PG_reserved) |	\
	 BIT(PG_active) | BIT(PG_unevictable) | BIT(PG_mlocked) |	\
	 BIT(PG_swapbacked))
#define PAGE_FLAGS_CHECK_AT_PREP					\
	((BIT(__NR_PAGEFLAGS) - 1) & ~BIT(PG_hwpoison))

/* Page types, in the top byte of page_type; UINT_MAX means "no type". */
enum pagetype {
	PGTY_buddy		= 0xf0,
	PGTY_offline		= 0xf1,
	PGTY_table		= 0xf2,
	PGTY_guard		= 0xf3,
	PGTY_hugetlb		= 0xf4,
	PGTY_slab		= 0xf5,
	PGTY_zsmalloc		= 0xf6,
	PGTY_unaccepted		= 0xf7,
	PGTY_large_kmalloc	= 0xf8,
	PGTY_mapcount_underflow	= 0xff,
};

static inline bool page_type_has_type(unsigned int page_type)
{
	return page_type < ((unsigned int)PGTY_mapcount_underflow << 24);
}

static inline bool page_has_type(const struct page *page)
{
	return page_type_has_type(READ_ONCE(page->page_type));
}

/*
 * The setters store once: kmm_check() walks every pfn under
 * kmm_stop_machine(), which stops sections but not a preemptible owner
 * typing its freshly allocated page (pgtable_page_alloc()).
 */
#define PAGE_TYPE_OPS(uname, lname)					\
static inline bool Page##uname(const struct page *page)		\
	{ return (READ_ONCE(page->page_type) >> 24) == (unsigned int)PGTY_##lname; }	\
static inline void __SetPage##uname(struct page *page)		\
	{ WRITE_ONCE(page->page_type, (unsigned int)PGTY_##lname << 24); }	\
static inline void __ClearPage##uname(struct page *page)		\
	{ WRITE_ONCE(page->page_type, UINT32_MAX); }

PAGE_TYPE_OPS(Buddy, buddy)
PAGE_TYPE_OPS(Offline, offline)
PAGE_TYPE_OPS(Table, table)
PAGE_TYPE_OPS(Guard, guard)
PAGE_TYPE_OPS(Slab, slab)
PAGE_TYPE_OPS(LargeKmalloc, large_kmalloc)

/* Compound pages: a head and its tails, as __GFP_COMP makes them. */
static inline bool PageTail(const struct page *page)
{
	return READ_ONCE(page->compound_head) & 1;
}

static inline bool PageCompound(const struct page *page)
{
	return PageHead(page) || PageTail(page);
}

static inline struct page *compound_head(const struct page *page)
{
	unsigned long head = READ_ONCE(page->compound_head);

	if (head & 1)
		return (struct page *)(head - 1);
	return (struct page *)page;
}

static inline unsigned int compound_order(const struct page *page)
{
	if (!PageHead(page))
		return 0;
	return page[1].compound_order;
}

static inline unsigned long compound_nr(const struct page *page)
{
	return 1UL << compound_order(page);
}

#pragma GCC visibility pop

#endif /* KMM_PAGE_FLAGS_H */
