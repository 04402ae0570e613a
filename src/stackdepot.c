/* SPDX-License-Identifier: MIT */
/*
 * The stack depot: each distinct host backtrace stored once, named by a
 * 32-bit handle, as Linux's lib/stackdepot.c.  SLAB_STORE_USER keeps two
 * handles per object (allocated and freed where), so a cache of a million
 * objects costs a few bytes each, not a backtrace each.
 *
 * Records live in pools of host memory (not the machine's RAM: a debugging
 * aid must not change what the allocator it watches sees), appended and
 * never freed until kmm_shutdown().  A handle is the pool number and the
 * record's offset in it, in 16-byte units, plus one so that 0 means "no
 * stack".  A hash table finds an existing record; saving takes one lock.
 */
#include "internal.h"

#define DEPOT_POOL_SIZE		(1UL << 20)
#define DEPOT_MAX_POOLS		4096
#define DEPOT_ALIGN		16
#define DEPOT_OFFSET_BITS	16	/* 1 MiB / 16 */
#define DEPOT_HASH_BITS		14
#define DEPOT_MAX_FRAMES	16

struct depot_record {
	struct depot_record *next;	/* in its hash bucket */
	u32 hash;
	u32 nr;
	depot_stack_handle_t handle;
	unsigned long entries[];
};

static spinlock_t depot_lock;
static char *pools[DEPOT_MAX_POOLS] __page_aligned_bss;
static unsigned int nr_pools;
static size_t pool_used;
static struct depot_record **buckets;

static u32 hash_entries(const unsigned long *entries, unsigned int nr)
{
	u64 h = 0xcbf29ce484222325ULL;

	for (unsigned int i = 0; i < nr; i++) {
		h ^= entries[i];
		h *= 0x100000001b3ULL;
	}
	return (u32)(h ^ (h >> 32));
}

/* Room for @size bytes; NULL when the depot is full.  Under depot_lock. */
static void *depot_reserve(size_t size, depot_stack_handle_t *handle)
{
	if (!buckets) {
		buckets = plat_host_zalloc(sizeof(*buckets) << DEPOT_HASH_BITS);
		if (!buckets)
			return NULL;
	}
	if (!nr_pools || pool_used + size > DEPOT_POOL_SIZE) {
		if (nr_pools == DEPOT_MAX_POOLS)
			return NULL;
		pools[nr_pools] = plat_host_zalloc(DEPOT_POOL_SIZE);
		if (!pools[nr_pools])
			return NULL;
		nr_pools++;
		pool_used = 0;
	}
	void *p = pools[nr_pools - 1] + pool_used;
	*handle = (((nr_pools - 1) << DEPOT_OFFSET_BITS) | (u32)(pool_used / DEPOT_ALIGN)) + 1;
	pool_used += ALIGN(size, (size_t)DEPOT_ALIGN);
	return p;
}

static struct depot_record *depot_record(depot_stack_handle_t handle)
{
	u32 h = handle - 1, pool = h >> DEPOT_OFFSET_BITS;

	if (!handle || pool >= nr_pools)
		return NULL;
	return (struct depot_record *)(pools[pool] +
				       (size_t)(h & ((1U << DEPOT_OFFSET_BITS) - 1)) * DEPOT_ALIGN);
}

/**
 * stack_depot_save - store a backtrace once
 * Return: its handle, or 0 if the depot is full (the caller loses the trace, not the object).
 * Context: any; takes a spinlock.
 */
depot_stack_handle_t stack_depot_save(const unsigned long *entries, unsigned int nr)
{
	depot_stack_handle_t handle = 0;
	u32 hash;

	if (!nr)
		return 0;
	nr = min(nr, (unsigned int)DEPOT_MAX_FRAMES);
	hash = hash_entries(entries, nr);
	spin_lock(&depot_lock);
	if (buckets) {
		for (struct depot_record *r = buckets[hash & ((1U << DEPOT_HASH_BITS) - 1)]; r;
		     r = r->next) {
			if (r->hash == hash && r->nr == nr &&
			    !memcmp(r->entries, entries, nr * sizeof(*entries))) {
				handle = r->handle;
				goto out;
			}
		}
	}
	struct depot_record *r = depot_reserve(sizeof(*r) + nr * sizeof(*entries), &handle);
	if (r) {
		r->hash = hash;
		r->nr = nr;
		r->handle = handle;
		memcpy(r->entries, entries, nr * sizeof(*entries));
		r->next = buckets[hash & ((1U << DEPOT_HASH_BITS) - 1)];
		buckets[hash & ((1U << DEPOT_HASH_BITS) - 1)] = r;
	}
out:
	spin_unlock(&depot_lock);
	return handle;
}

/* The backtrace of the calling thread, minus @skip of its innermost callers, saved. */
depot_stack_handle_t stack_depot_save_current(unsigned int skip)
{
	unsigned long entries[DEPOT_MAX_FRAMES];
	unsigned int nr = plat_stack_save(entries, DEPOT_MAX_FRAMES, skip + 1);

	return stack_depot_save(entries, nr);
}

unsigned int stack_depot_fetch(depot_stack_handle_t handle, const unsigned long **entries)
{
	struct depot_record *r = depot_record(handle);

	*entries = r ? r->entries : NULL;
	return r ? r->nr : 0;
}

/* Print a saved backtrace as Linux does: one " symbol+0xoff" line a frame. */
void stack_depot_print(depot_stack_handle_t handle)
{
	const unsigned long *entries;
	unsigned int nr = stack_depot_fetch(handle, &entries);

	for (unsigned int i = 0; i < nr; i++) {
		char sym[256];

		plat_symbolize(entries[i], sym, sizeof(sym));
		pr_err(" %s\n", sym);
	}
}

void stack_depot_exit(void)
{
	for (unsigned int i = 0; i < nr_pools; i++)
		plat_host_free(pools[i], DEPOT_POOL_SIZE);
	if (buckets)
		plat_host_free(buckets, sizeof(*buckets) << DEPOT_HASH_BITS);
	buckets = NULL;
	nr_pools = 0;
	pool_used = 0;
}

static bool names_allocator_entry(unsigned long addr)
{
	static const char *const entry_points[] = {
		"kfree", "kmem_cache_free", "__kmalloc", "kmem_cache_alloc", "kmalloc",
		"krealloc", "kzalloc", "kcalloc", "kmalloc_array", "kstrdup", "kstrndup",
		"kmemdup", "kvmalloc", "kvfree", "kvrealloc", "__vmalloc", "vmalloc", "vzalloc",
		"vfree",
	};
	char buf[128];

	plat_symbolize(addr, buf, sizeof(buf));
	for (size_t k = 0; k < ARRAY_SIZE(entry_points); k++)
		if (!strncmp(buf, entry_points[k], strlen(entry_points[k])))
			return true;
	return false;
}

/*
 * Where a saved stack leaves the allocator, found by name as Linux's
 * KFENCE and kmemleak reports find it: past the first run of frames, from
 * @from on, named after an exported entry point (kmalloc, kfree,
 * kmem_cache_alloc, vmalloc, ...; a run, as vmalloc may call __vmalloc_node
 * in a build without tail calls).  kmm's internal functions have no names
 * a backtrace can see: with no entry point found, the stack starts at @from.
 */
unsigned int stack_skip_allocator(const unsigned long *entries, unsigned int nr,
				  unsigned int from)
{
	for (unsigned int i = from; i < nr; i++) {
		if (!names_allocator_entry(entries[i]))
			continue;
		while (i + 1 < nr && names_allocator_entry(entries[i + 1]))
			i++;
		return i + 1 < nr ? i + 1 : from;
	}
	return from;
}
