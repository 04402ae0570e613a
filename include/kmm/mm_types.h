/* SPDX-License-Identifier: MIT */
/*
 * struct page: one per page frame of the machine's RAM, in mem_map.
 *
 * It is 64 bytes, as on x86-64 Linux, and its words are reused by whoever
 * owns the page, so most fields live in a union:
 *
 *   word 0  flags: PG_* bits below, zone and node number in the top bits
 *   1..5    buddy/free: lru links on a free or per-CPU list, private = order
 *           compound tail: compound_head = head | 1, order in the first tail
 *           (the slab layer overlays its own struct slab on these words)
 *   6       page_type (PGTY_* in the top byte) or _mapcount
 *           _refcount: 0 when free, as the seeds say
 *   7       virtual: the address a kmapped high page is mapped at
 */
#ifndef KMM_MM_TYPES_H
#define KMM_MM_TYPES_H

#pragma GCC visibility push(default)

#include <kmm/types.h>
#include <kmm/list.h>

struct page {
	unsigned long flags;
	union {
		struct {
			union {
				struct list_head lru;
				struct list_head buddy_list;
				struct list_head pcp_list;
			};
			void *mapping;
			pgoff_t index;
			unsigned long private;
		};
		struct {
			unsigned long compound_head;	/* bit 0 set */
			unsigned char compound_order;	/* first tail page */
		};
		struct {
			unsigned long _pt_pad_1;
			void *pt_owner;			/* page-table pages */
			unsigned long _pt_pad_2;
			unsigned long pt_level;
			unsigned long _pt_pad_3;
		};
	};
	union {
		atomic_t _mapcount;
		unsigned int page_type;
	};
	atomic_t _refcount;
	void *virtual;
};

_Static_assert(sizeof(struct page) == 64, "struct page must stay 64 bytes");

#pragma GCC visibility pop

#endif /* KMM_MM_TYPES_H */
