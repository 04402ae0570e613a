/* SPDX-License-Identifier: MIT */
/*
 * KFENCE: the Kernel Electric-Fence, a sampling detector of memory errors
 * in slab objects, as Linux's mm/kfence.
 *
 * Every kfence.sample_interval milliseconds (100 by default, as Linux's
 * CONFIG_KFENCE_SAMPLE_INTERVAL; 0 turns KFENCE off) the next slab
 * allocation is served from the KFENCE pool instead of its cache: a page of
 * its own between two inaccessible guard pages, the object at the page's
 * start or end (a coin decides) and the rest of the page a canary pattern.
 * A read or write of a guard page, or of a freed object's page, faults in
 * the host and is reported ("BUG: KFENCE: out-of-bounds read in ...");
 * the canary is checked when the object is freed.  After a report the page
 * is left accessible and the program goes on, as the kernel does.
 *
 * Boot options: kfence.sample_interval=<ms>, kfence.skip_covered_thresh=<%>,
 * kfence.burst=<n> (Linux's), and kmm's own kfence.num_objects=<n> (Linux
 * fixes it at build time with CONFIG_KFENCE_NUM_OBJECTS, 255 by default).
 * The views "kfence" and "kfence_objects" are /sys/kernel/debug/kfence/stats
 * and .../objects.
 *
 * kmm's deviations: the pool's object pages are not PageSlab (every entry
 * point of the slab allocator recognises a KFENCE object by its address
 * instead), and the metadata is host memory, outside the machine.
 */
#ifndef KMM_KFENCE_H
#define KMM_KFENCE_H

#pragma GCC visibility push(default)

#include <kmm/types.h>

#define CONFIG_KFENCE_NUM_OBJECTS	255	/* the default of kfence.num_objects= */

/*
 * The pool, in the direct map, and its size: a guard page first, then each
 * object's page followed by its guard page.  NULL and 0 when KFENCE is off.
 */
extern char *__kfence_pool;
extern unsigned long __kfence_pool_size;

/**
 * is_kfence_address - is @addr in the KFENCE pool?
 * Return: true for any address of the pool, guard pages included; always
 * false with KFENCE off (the size is 0 then: one comparison either way).
 */
static inline bool is_kfence_address(const void *addr)
{
	return __builtin_expect((unsigned long)((const char *)addr - __kfence_pool) <
				__kfence_pool_size, 0);
}

/* The size of the KFENCE object at @addr (as asked for), or 0 if none is there. */
size_t kfence_ksize(const void *addr);
/* The start of the KFENCE object that contains @addr, or NULL. */
void *kfence_object_start(const void *addr);

#pragma GCC visibility pop

#endif /* KMM_KFENCE_H */
