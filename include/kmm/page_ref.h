/* SPDX-License-Identifier: MIT */
/* Page reference counts: _refcount is 0 for a free page, as the seeds say. */
#ifndef KMM_PAGE_REF_H
#define KMM_PAGE_REF_H

#pragma GCC visibility push(default)

#include <kmm/mm_types.h>

static inline int page_ref_count(const struct page *page)
{
	return atomic_read(&page->_refcount);
}
static inline void set_page_count(struct page *page, int v)
{
	atomic_set(&page->_refcount, v);
}
static inline void init_page_count(struct page *page) { set_page_count(page, 1); }
static inline void page_ref_add(struct page *page, int nr) { atomic_add(nr, &page->_refcount); }
static inline void page_ref_sub(struct page *page, int nr) { atomic_sub(nr, &page->_refcount); }
static inline void page_ref_inc(struct page *page) { atomic_inc(&page->_refcount); }
static inline void page_ref_dec(struct page *page) { atomic_dec(&page->_refcount); }
static inline int page_ref_inc_return(struct page *page)
{
	return atomic_add_return(1, &page->_refcount);
}
static inline int page_ref_dec_return(struct page *page)
{
	return atomic_sub_return(1, &page->_refcount);
}
static inline bool page_ref_sub_and_test(struct page *page, int nr)
{
	return atomic_sub_return(nr, &page->_refcount) == 0;
}
static inline bool page_ref_dec_and_test(struct page *page)
{
	return page_ref_sub_and_test(page, 1);
}
/* Take a reference unless the count is @u; true if taken. */
static inline bool page_ref_add_unless(struct page *page, int nr, int u)
{
	int c = atomic_read(&page->_refcount);

	while (c != u) {
		int old = atomic_cmpxchg(&page->_refcount, c, c + nr);
		if (old == c)
			return true;
		c = old;
	}
	return false;
}
static inline bool get_page_unless_zero(struct page *page)
{
	return page_ref_add_unless(page, 1, 0);
}
static inline int page_ref_freeze(struct page *page, int count)
{
	return atomic_cmpxchg(&page->_refcount, count, 0) == count;
}
static inline void page_ref_unfreeze(struct page *page, int count)
{
	atomic_set(&page->_refcount, count);
}

#pragma GCC visibility pop

#endif /* KMM_PAGE_REF_H */
