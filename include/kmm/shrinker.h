/* SPDX-License-Identifier: MIT */
/*
 * Shrinkers: callbacks that free memory held by caches when the page
 * allocator is short.  count_objects says how much could be freed,
 * scan_objects frees up to nr_to_scan and returns how many it freed (or
 * SHRINK_STOP).  A shrinker must honour sc->gfp_mask: without __GFP_FS it
 * may not recurse into the file system, without __GFP_IO it may not start
 * I/O, as in Linux.
 */
#ifndef KMM_SHRINKER_H
#define KMM_SHRINKER_H

#pragma GCC visibility push(default)

#include <kmm/types.h>
#include <kmm/list.h>

struct shrink_control {
	gfp_t gfp_mask;
	int nid;
	unsigned long nr_to_scan;
	unsigned long nr_scanned;
};

#define SHRINK_STOP (~0UL)
#define SHRINK_EMPTY (~0UL - 1)
#define DEFAULT_SEEKS 2

struct shrinker {
	unsigned long (*count_objects)(struct shrinker *, struct shrink_control *sc);
	unsigned long (*scan_objects)(struct shrinker *, struct shrink_control *sc);
	long batch;
	int seeks;
	unsigned int flags;
	void *private_data;
	/* private */
	struct list_head list;
	long nr_deferred;
	char name[32];
	bool registered;
};

#define SHRINKER_REGISTERED	(1 << 0)
#define SHRINKER_NUMA_AWARE	(1 << 2)

/**
 * shrinker_alloc - allocate a shrinker named by a printf format
 * Return: the shrinker (not yet registered) or NULL.
 */
__printf(2, 3) struct shrinker *shrinker_alloc(unsigned int flags, const char *fmt, ...);
void shrinker_register(struct shrinker *shrinker);
void shrinker_free(struct shrinker *shrinker);

/* Run every shrinker once as reclaim does; returns the objects freed. */
unsigned long shrink_slab(gfp_t gfp_mask, int nid, int priority);
/* Write "2" to /proc/sys/vm/drop_caches: shrink everything until nothing is freed. */
void drop_slab(void);

#pragma GCC visibility pop

#endif /* KMM_SHRINKER_H */
