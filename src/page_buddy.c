/* SPDX-License-Identifier: MIT */
/*
 * The buddy allocator's free lists: split, merge, and mobility grouping.
 *
 * A free block of 2^order pages is naturally aligned; its first page is
 * PageBuddy with the order in page->private and sits on
 * zone->free_area[order].free_list[mt].  Its buddy is the block at
 * pfn ^ (1 << order); two free buddies of one order merge into one block
 * of the next order, up to MAX_PAGE_ORDER.  Allocation takes the smallest
 * block that fits and splits off the unused halves (expand()).
 *
 * Invariant (as in Linux 6.10 and later): a free block lives on the list of
 * its pageblock's migrate type, and a free block larger than a pageblock
 * covers pageblocks of one type.  So when a pageblock changes type, all its
 * free pages move lists with it (move_freepages_block()), and the free
 * counts per type are exact.
 *
 * When a request's own type has nothing, it falls back to other types in
 * Linux's order (fallbacks[]): first it tries to claim a whole pageblock
 * (the largest free block of another type, taken over when enough of its
 * pageblock is free or already of the right mobility), and only then
 * steals the smallest single block, so that types mix in as few pageblocks
 * as possible.  High-order atomic requests may set a pageblock aside as
 * MIGRATE_HIGHATOMIC, up to 1% of the zone.
 *
 * Everything here runs under zone->lock.
 */
#include "page_alloc.h"
#include <kmm/vmstat.h>

static const int fallbacks[MIGRATE_PCPTYPES][MIGRATE_PCPTYPES - 1] = {
	[MIGRATE_UNMOVABLE]   = { MIGRATE_RECLAIMABLE, MIGRATE_MOVABLE },
	[MIGRATE_MOVABLE]     = { MIGRATE_RECLAIMABLE, MIGRATE_UNMOVABLE },
	[MIGRATE_RECLAIMABLE] = { MIGRATE_UNMOVABLE, MIGRATE_MOVABLE },
};

void account_freepages(struct zone *zone, long nr_pages, int migratetype,
		       unsigned int order)
{
	if (migratetype == MIGRATE_ISOLATE)
		return;
	__mod_zone_freepage_state(zone, nr_pages, migratetype);
	if (order >= pageblock_order)
		__mod_zone_freepage_blocks(zone, nr_pages);
}

/*
 * The list operations come in two kinds: the plain ones account each
 * change to the free-page counters; the __ ones do not, for a split or a
 * merge that accounts its net change once at the end.
 */
static inline void __add_to_free_list(struct page *page, struct zone *zone,
				      unsigned int order, int migratetype, bool tail)
{
	struct free_area *area = &zone->free_area[order];

	if (tail)
		list_add_tail(&page->buddy_list, &area->free_list[migratetype]);
	else
		list_add(&page->buddy_list, &area->free_list[migratetype]);
	area->nr_free++;
}

static inline void __del_from_free_list(struct page *page, struct zone *zone,
					unsigned int order)
{
	list_del(&page->buddy_list);
	__ClearPageBuddy(page);
	page->private = 0;
	zone->free_area[order].nr_free--;
}

/* The pages a block of @order adds to NR_FREE_PAGES_BLOCKS. */
static inline long block_pages(unsigned int order)
{
	return order >= pageblock_order ? 1L << order : 0;
}

static inline void account_net(struct zone *zone, long nr_pages, long blocks, int migratetype)
{
	if (migratetype == MIGRATE_ISOLATE)
		return;
	__mod_zone_freepage_state(zone, nr_pages, migratetype);
	if (blocks)
		__mod_zone_freepage_blocks(zone, blocks);
}

static inline void add_to_free_list(struct page *page, struct zone *zone,
				    unsigned int order, int migratetype, bool tail)
{
	__add_to_free_list(page, zone, order, migratetype, tail);
	account_freepages(zone, 1L << order, migratetype, order);
}

void del_page_from_free_list(struct page *page, struct zone *zone,
			     unsigned int order, int migratetype)
{
	__del_from_free_list(page, zone, order);
	account_freepages(zone, -(1L << order), migratetype, order);
}

/* Move a free block to another type's list (its pageblock changed type). */
static void move_to_free_list(struct page *page, struct zone *zone,
			      unsigned int order, int old_mt, int new_mt)
{
	struct free_area *area = &zone->free_area[order];

	list_move_tail(&page->buddy_list, &area->free_list[new_mt]);
	account_freepages(zone, -(1L << order), old_mt, order);
	account_freepages(zone, 1L << order, new_mt, order);
}

static inline struct page *get_page_from_free_area(struct free_area *area, int mt)
{
	return list_first_entry_or_null(&area->free_list[mt], struct page, buddy_list);
}

/*
 * @buddy, and from buddy_merge_likely() @page too, may be another thread's
 * page, its type and flags changing under us: but never to or from Buddy
 * without zone->lock, which we hold, and its zone and node bits never.
 */
static inline bool page_is_buddy(const struct page *page, const struct page *buddy,
				 unsigned int order)
{
	if (!data_race(PageBuddy(buddy)) || buddy_order(buddy) != order)
		return false;
	/* Same zone and node: the top bits of flags agree. */
	return data_race(page->flags >> ZONES_PGSHIFT) == (buddy->flags >> ZONES_PGSHIFT);
}

/*
 * If the next-larger buddy is free, this block is likely to merge soon:
 * keep it at the tail so it is not handed out first.
 */
static bool buddy_merge_likely(unsigned long pfn, unsigned long buddy_pfn,
			       struct page *page, unsigned int order)
{
	if (order >= MAX_PAGE_ORDER - 1)
		return false;
	unsigned long higher_pfn = buddy_pfn & pfn;
	/* Signed steps: the higher block and its buddy may lie below @page. */
	struct page *higher = page - (pfn - higher_pfn);
	struct page *higher_buddy = higher + ((long)(higher_pfn ^ (1UL << (order + 1))) -
					      (long)higher_pfn);

	if (!pfn_valid(higher_pfn ^ (1UL << (order + 1))) || pfn_is_deferred(page_to_pfn(higher_buddy)))
		return false;
	return page_is_buddy(higher, higher_buddy, order + 1);
}

static void change_pageblock_range(struct page *page, unsigned int order, int mt)
{
	unsigned long nr = order >= pageblock_order ? 1UL << (order - pageblock_order) : 1;

	for (unsigned long i = 0; i < nr; i++)
		set_pageblock_migratetype(page + i * pageblock_nr_pages, mt);
}

void __free_one_page(struct page *page, unsigned long pfn, struct zone *zone,
		     unsigned int order, int migratetype, bool to_tail)
{
	unsigned long buddy_pfn = 0;
	/* Buddies of our own type leave the counters as the merged block enters. */
	long nr_same = 0, blocks_same = 0;

	while (order < MAX_PAGE_ORDER) {
		buddy_pfn = pfn ^ (1UL << order);
		struct page *buddy = page + ((long)buddy_pfn - (long)pfn);

		if (!zone_spans_pfn(zone, buddy_pfn) || buddy_pfn >= zone->deferred_pfn ||
		    !page_is_buddy(page, buddy, order))
			break;
		/* Below a pageblock the buddy shares our pageblock, so our type. */
		int buddy_mt = migratetype;
		if (unlikely(order >= pageblock_order)) {
			buddy_mt = get_pfnblock_migratetype(buddy, buddy_pfn);
			if (migratetype != buddy_mt &&
			    (!migratetype_is_mergeable(migratetype) ||
			     !migratetype_is_mergeable(buddy_mt)))
				break;
		}
		if (likely(buddy_mt == migratetype)) {
			__del_from_free_list(buddy, zone, order);
			nr_same += 1L << order;
			blocks_same += block_pages(order);
		} else {
			del_page_from_free_list(buddy, zone, order, buddy_mt);
			change_pageblock_range(buddy, order, migratetype);
		}
		unsigned long combined = buddy_pfn & pfn;
		page = page + ((long)combined - (long)pfn);
		pfn = combined;
		order++;
	}
	set_buddy_order(page, order);
	if (!to_tail && buddy_pfn)
		to_tail = buddy_merge_likely(pfn, pfn ^ (1UL << order), page, order);
	__add_to_free_list(page, zone, order, migratetype, to_tail);
	account_net(zone, (1L << order) - nr_same, block_pages(order) - blocks_same, migratetype);
}

/* Split a 2^high block down to 2^low, putting the unused halves back. */
static void expand(struct zone *zone, struct page *page, unsigned int low,
		   unsigned int high, int migratetype)
{
	unsigned long size = 1UL << high;

	while (high > low) {
		high--;
		size >>= 1;
		set_buddy_order(&page[size], high);
		add_to_free_list(&page[size], zone, high, migratetype, false);
	}
}

/* Take a free block and split it down to @low: net, 2^low pages leave the counters. */
static void page_del_and_expand(struct zone *zone, struct page *page, unsigned int low,
				unsigned int high, int migratetype)
{
	unsigned long size = 1UL << high;
	long blocks = -block_pages(high);

	__del_from_free_list(page, zone, high);
	while (high > low) {
		high--;
		size >>= 1;
		set_buddy_order(&page[size], high);
		__add_to_free_list(&page[size], zone, high, migratetype, false);
		blocks += block_pages(high);
	}
	account_net(zone, -(1L << low), blocks, migratetype);
}

struct page *__rmqueue_smallest(struct zone *zone, unsigned int order, int migratetype)
{
	for (unsigned int o = order; o < NR_PAGE_ORDERS; o++) {
		struct page *page = get_page_from_free_area(&zone->free_area[o], migratetype);

		if (!page)
			continue;
		page_del_and_expand(zone, page, order, o, migratetype);
		return page;
	}
	return NULL;
}

static bool should_try_claim_block(unsigned int order, int start_mt)
{
	if (order >= pageblock_order / 2)
		return true;
	if (start_mt == MIGRATE_RECLAIMABLE || start_mt == MIGRATE_UNMOVABLE)
		return true;
	return page_group_by_mobility_disabled;
}

static int find_suitable_fallback(struct free_area *area, unsigned int order,
				  int migratetype, bool *claim_block)
{
	if (!area->nr_free)
		return -1;
	*claim_block = should_try_claim_block(order, migratetype);
	for (int i = 0; i < MIGRATE_PCPTYPES - 1; i++) {
		int fmt = fallbacks[migratetype][i];
		if (!list_empty(&area->free_list[fmt]))
			return fmt;
	}
	return -1;
}

/*
 * Move the free pages of the pageblock holding @page from @old_mt to
 * @new_mt; count the free pages, and the allocated ones whose mobility is
 * @new_mt's ("alike").
 */
static unsigned long move_freepages_block(struct zone *zone, struct page *page,
					  int old_mt, int new_mt, unsigned long *alike,
					  bool do_move)
{
	unsigned long start = ALIGN_DOWN(page_to_pfn(page), pageblock_nr_pages);
	unsigned long end = start + pageblock_nr_pages, pfn = start, nfree = 0;

	*alike = 0;
	start = max(start, zone->zone_start_pfn);
	end = min(end, min(zone_end_pfn(zone), zone->deferred_pfn));
	for (pfn = start; pfn < end;) {
		struct page *p = pfn_to_page(pfn);

		/*
		 * A page off the free lists may be another thread's, its type
		 * and flags changing under us (never to or from Buddy: we hold
		 * zone->lock).  What they say of its allocation is a hint for
		 * @alike, and a skip past pages none of which can be free.
		 */
		if (data_race(PageBuddy(p))) {
			unsigned int o = buddy_order(p);
			if (do_move)
				move_to_free_list(p, zone, o, old_mt, new_mt);
			nfree += 1UL << o;
			pfn += 1UL << o;
			continue;
		}
		unsigned long flags = data_race(READ_ONCE(p->flags));	/* one snapshot */
		if (flags & KMM_ALLOC_HEAD) {
			unsigned long n = 1UL << alloc_flags_order(flags);
			if (alloc_flags_mt(flags) == new_mt)
				*alike += n;
			pfn += n;
			continue;
		}
		pfn++;
	}
	return nfree;
}

/* Take over the whole pageblock if enough of it is free or alike. */
static struct page *try_to_claim_block(struct zone *zone, struct page *page,
				       unsigned int current_order, unsigned int order,
				       int start_type, int block_type)
{
	unsigned long alike, nfree;

	if (current_order >= pageblock_order) {
		del_page_from_free_list(page, zone, current_order, block_type);
		change_pageblock_range(page, current_order, start_type);
		expand(zone, page, order, current_order, start_type);
		return page;
	}
	nfree = move_freepages_block(zone, page, block_type, start_type, &alike, false);
	if (start_type != MIGRATE_MOVABLE && block_type != MIGRATE_MOVABLE)
		alike = 0;
	if (nfree + alike >= (1UL << (pageblock_order - 1)) || page_group_by_mobility_disabled) {
		move_freepages_block(zone, page, block_type, start_type, &alike, true);
		set_pageblock_migratetype(page, start_type);
		return __rmqueue_smallest(zone, order, start_type);
	}
	return NULL;
}

static struct page *__rmqueue_claim(struct zone *zone, unsigned int order,
				    int start_mt, unsigned int alloc_flags)
{
	unsigned int min_order = order;
	bool claim;

	/* Whole pageblocks only; never below the request's order (a block that small is no block for it). */
	if ((alloc_flags & ALLOC_NOFRAGMENT) && order < pageblock_order)
		min_order = pageblock_order;
	for (int o = MAX_PAGE_ORDER; o >= (int)min_order; o--) {
		struct free_area *area = &zone->free_area[o];
		int fmt = find_suitable_fallback(area, (unsigned int)o, start_mt, &claim);

		if (fmt < 0)
			continue;
		if (!claim)
			break;
		struct page *page = get_page_from_free_area(area, fmt);
		page = try_to_claim_block(zone, page, (unsigned int)o, order, start_mt, fmt);
		if (page)
			return page;
	}
	return NULL;
}

static struct page *__rmqueue_steal(struct zone *zone, unsigned int order, int start_mt)
{
	bool claim;

	for (unsigned int o = order; o < NR_PAGE_ORDERS; o++) {
		struct free_area *area = &zone->free_area[o];
		int fmt = find_suitable_fallback(area, o, start_mt, &claim);

		if (fmt < 0)
			continue;
		struct page *page = get_page_from_free_area(area, fmt);
		page_del_and_expand(zone, page, order, o, fmt);
		return page;
	}
	return NULL;
}

struct page *__rmqueue(struct zone *zone, unsigned int order, int migratetype,
		       unsigned int alloc_flags)
{
	struct page *page = __rmqueue_smallest(zone, order, migratetype);

	if (page)
		return page;
	/*
	 * The deferred memory is free MOVABLE memory that has no struct pages
	 * yet; in Linux it would be initialised by now, and a request of
	 * another type would claim a whole free block of it, the largest
	 * first.  So such a request claims a whole free block of what is
	 * initialised first, and grows the zone (a section, 512 KiB of
	 * mem_map touched) only when there is none: growing at every
	 * exhausted unmovable block made a small program's machine touch a
	 * section of mem_map per 2 MiB of slab.
	 */
	if (migratetype != MIGRATE_MOVABLE) {
		page = __rmqueue_claim(zone, order, migratetype, alloc_flags | ALLOC_NOFRAGMENT);
		if (page)
			return page;
	}
	if (zone->deferred_free_pages && deferred_grow_zone(zone, order)) {
		page = __rmqueue_smallest(zone, order, migratetype);
		if (page)
			return page;
	}
	page = __rmqueue_claim(zone, order, migratetype, alloc_flags);
	if (page)
		return page;
	if (!(alloc_flags & ALLOC_NOFRAGMENT))
		page = __rmqueue_steal(zone, order, migratetype);
	return page;
}

/* Set a pageblock aside for high-order atomic requests, up to 1% of the zone. */
void reserve_highatomic_pageblock(struct page *page, unsigned int order, struct zone *zone)
{
	unsigned long max_managed = ALIGN(zone_managed_pages(zone) / 100, pageblock_nr_pages);
	unsigned long alike;

	if (zone->nr_reserved_highatomic >= max_managed)
		return;
	__spin_lock(&zone->lock);
	if (zone->nr_reserved_highatomic >= max_managed)
		goto out;
	int mt = get_pageblock_migratetype(page);
	if (!migratetype_is_mergeable(mt))
		goto out;
	if (order >= pageblock_order) {
		change_pageblock_range(page, order, MIGRATE_HIGHATOMIC);
		zone->nr_reserved_highatomic += 1UL << order;
	} else {
		move_freepages_block(zone, page, mt, MIGRATE_HIGHATOMIC, &alike, true);
		set_pageblock_migratetype(page, MIGRATE_HIGHATOMIC);
		zone->nr_reserved_highatomic += pageblock_nr_pages;
	}
out:
	__spin_unlock(&zone->lock);
}

/* Give a highatomic pageblock back to ordinary use when memory is short. */
bool unreserve_highatomic_pageblock(const struct alloc_context *ac, bool force)
{
	struct zoneref *z;
	struct zone *zone;
	unsigned long alike;

	for_each_zone_zonelist(zone, z, ac->zonelist, (int)ac->highest_zoneidx) {
		if (!force && zone->nr_reserved_highatomic <= pageblock_nr_pages)
			continue;
		__spin_lock(&zone->lock);
		for (unsigned int o = 0; o < NR_PAGE_ORDERS; o++) {
			struct page *page = get_page_from_free_area(&zone->free_area[o],
								    MIGRATE_HIGHATOMIC);
			if (!page)
				continue;
			zone->nr_reserved_highatomic -= min(pageblock_nr_pages,
							    zone->nr_reserved_highatomic);
			if (o >= pageblock_order) {
				change_pageblock_range(page, o, ac->migratetype);
				move_to_free_list(page, zone, o, MIGRATE_HIGHATOMIC, ac->migratetype);
			} else {
				move_freepages_block(zone, page, MIGRATE_HIGHATOMIC,
						     ac->migratetype, &alike, true);
				set_pageblock_migratetype(page, ac->migratetype);
			}
			__spin_unlock(&zone->lock);
			return true;
		}
		__spin_unlock(&zone->lock);
	}
	return false;
}
