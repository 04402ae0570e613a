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

/* Does this host have PAGEMAP_SCAN?  Asked once (pagemap.c). */
bool ram_have_pagemap_scan(void);

#define PAGEMAP_BATCH_MAX	64
/*
 * pagemap_for_each_backed - call @fn for each part of [@start, @end) of
 * this process's address space that the host backs (present or swapped),
 * leaving out pages of the PAGE_IS_* categories in @except, in address
 * order, until @fn returns non-zero.  @batch: parts asked of the host per
 * call (1..PAGEMAP_BATCH_MAX; 1 when only the first part is wanted: the
 * host stops looking after it).
 * Context: any, also a signal handler: no allocation, no lock.
 * Return: 0, @fn's non-zero return, -EOPNOTSUPP if the host cannot tell
 * (no PAGEMAP_SCAN, or no pagemap to ask), or another -errno.
 */
int pagemap_for_each_backed(unsigned long start, unsigned long end, u64 except,
			    unsigned int batch,
			    int (*fn)(unsigned long s, unsigned long e, void *arg), void *arg);
/* The machine goes: close the descriptor kept open. */
void pagemap_close(void);
/* In a child forked through kmm's handlers: close the parent's descriptor. */
void pagemap_fork_child(void);

#endif
