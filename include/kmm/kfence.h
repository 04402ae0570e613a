/* SPDX-License-Identifier: MIT */
/*
 * KFENCE: the Kernel Electric-Fence, a sampling detector of memory errors
 * in slab objects, as Linux's mm/kfence.
 *
 * Every kfence.sample_interval milliseconds (100 by default; 0 disables it)
 * the next slab allocation is served from the KFENCE pool instead of its
 * cache: a page of its own, between inaccessible guard pages, the object at
 * the page's start or end (chosen at random) and the rest of the page a
 * canary pattern.  An access to a guard page, or to a freed object's page,
 * faults and is reported ("BUG: KFENCE: out-of-bounds read in ..."); the
 * canary is checked when the object is freed.  After a report the page is
 * made accessible and the program goes on, as in Linux.
 *
 * kmm's deviations: the pool's object pages are not PageSlab (every entry
 * point recognises KFENCE objects by address instead), and the metadata is
 * host memory, outside the machine.
 */
#ifndef KMM_KFENCE_H
#define KMM_KFENCE_H

#pragma GCC visibility push(default)

#include <kmm/types.h>
#include <kmm/mmzone.h>

#define CONFIG_KFENCE_NUM_OBJECTS	255
/* A guard page first, then each object's page followed by its guard page. */
#define KFENCE_POOL_SIZE	((CONFIG_KFENCE_NUM_OBJECTS + 1) * 2 * PAGE_SIZE)

/* The pool, in the direct map; NULL when KFENCE is off. */
extern char *__kfence_pool;

/**
 * is_kfence_address - is @addr in the KFENCE pool?
 * Return: true for any address of the pool, guard pages included.
 */
static inline bool is_kfence_address(const void *addr)
{
	return __builtin_expect((unsigned long)((const char *)addr - __kfence_pool) <
				KFENCE_POOL_SIZE && __kfence_pool, 0);
}

/* The size of the KFENCE object at @addr, or 0 if @addr is no KFENCE object. */
size_t kfence_ksize(const void *addr);
/* The start of the KFENCE object that contains @addr, or NULL. */
void *kfence_object_start(const void *addr);

#pragma GCC visibility pop

#endif /* KMM_KFENCE_H */
