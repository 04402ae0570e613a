/* SPDX-License-Identifier: MIT */
/*
 * The PAGEMAP_SCAN ioctl of /proc/PID/pagemap (Linux 6.7), for older
 * headers: which pages of a range the host backs, in one call.  Private
 * to the platform (ram.c, ram_fork.c).
 */
#ifndef KMM_PLATFORM_PAGEMAP_H
#define KMM_PLATFORM_PAGEMAP_H

#include <linux/types.h>
#include <sys/ioctl.h>

#ifndef PAGEMAP_SCAN
struct page_region {
	__u64 start, end, categories;
};
struct pm_scan_arg {
	__u64 size, flags, start, end, walk_end, vec, vec_len, max_pages;
	__u64 category_inverted, category_mask, category_anyof_mask, return_mask;
};
#define PAGEMAP_SCAN		_IOWR('f', 16, struct pm_scan_arg)
#define PAGE_IS_FILE		(1 << 2)
#define PAGE_IS_PRESENT		(1 << 3)
#define PAGE_IS_SWAPPED		(1 << 4)
#define PAGE_IS_PFNZERO		(1 << 5)
#endif

/* Does this host have PAGEMAP_SCAN?  Asked once (ram.c). */
bool ram_have_pagemap_scan(void);

#endif
