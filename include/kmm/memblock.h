/* SPDX-License-Identifier: MIT */
/*
 * memblock: the boot-time allocator, as Linux's.  It knows the memory
 * (memblock.memory) and what boot has taken of it (memblock.reserved);
 * memblock_alloc() finds free space top-down.  At the end of boot
 * memblock_free_all() hands every free range to the buddy allocator, and
 * memblock allocations stop.
 */
#ifndef KMM_MEMBLOCK_H
#define KMM_MEMBLOCK_H

#pragma GCC visibility push(default)

#include <kmm/types.h>

#define INIT_MEMBLOCK_REGIONS	128
#define NUMA_NO_NODE		(-1)
#define MEMBLOCK_ALLOC_ANYWHERE	(~(phys_addr_t)0)
#define MEMBLOCK_ALLOC_ACCESSIBLE 0

/* Region flags, Linux's names. */
enum memblock_flags {
	MEMBLOCK_NONE		= 0,
	/* Reserved, but its struct pages are left to deferred init (mem_map's own pages). */
	MEMBLOCK_RSRV_NOINIT	= 0x20,
};

struct memblock_region {
	phys_addr_t base;
	phys_addr_t size;
	int nid;
	enum memblock_flags flags;
};

struct memblock_type {
	unsigned long cnt;
	unsigned long max;
	phys_addr_t total_size;
	struct memblock_region regions[INIT_MEMBLOCK_REGIONS];
	const char *name;
};

struct memblock {
	bool bottom_up;
	phys_addr_t current_limit;
	struct memblock_type memory;
	struct memblock_type reserved;
};

extern struct memblock memblock;

int memblock_add(phys_addr_t base, phys_addr_t size);
int memblock_add_node(phys_addr_t base, phys_addr_t size, int nid);
int memblock_remove(phys_addr_t base, phys_addr_t size);
int memblock_reserve(phys_addr_t base, phys_addr_t size);
int memblock_phys_free(phys_addr_t base, phys_addr_t size);
void memblock_free(void *ptr, size_t size);
phys_addr_t memblock_phys_alloc_range(phys_addr_t size, phys_addr_t align,
				      phys_addr_t start, phys_addr_t end);
phys_addr_t memblock_phys_alloc_try_nid(phys_addr_t size, phys_addr_t align, int nid);
static inline phys_addr_t memblock_phys_alloc(phys_addr_t size, phys_addr_t align)
{
	return memblock_phys_alloc_range(size, align, 0, MEMBLOCK_ALLOC_ACCESSIBLE);
}
/* Zeroed memory from lowmem, as a kernel virtual address; NULL on failure. */
void *memblock_alloc(phys_addr_t size, phys_addr_t align);
/* The same, not zeroed: for memory the caller initialises as it uses it. */
void *memblock_alloc_raw(phys_addr_t size, phys_addr_t align);
void *memblock_alloc_try_nid(phys_addr_t size, phys_addr_t align,
			     phys_addr_t min_addr, phys_addr_t max_addr, int nid);
void memblock_set_current_limit(phys_addr_t limit);
phys_addr_t memblock_phys_mem_size(void);
phys_addr_t memblock_reserved_size(void);
phys_addr_t memblock_start_of_DRAM(void);
phys_addr_t memblock_end_of_DRAM(void);
bool memblock_is_memory(phys_addr_t addr);
bool memblock_is_reserved(phys_addr_t addr);
bool memblock_is_region_reserved(phys_addr_t base, phys_addr_t size);
/* Leave the struct pages of reserved [base, base+size) uninitialised at boot. */
int memblock_reserved_mark_noinit(phys_addr_t base, phys_addr_t size);
void memblock_set_bottom_up(bool enable);

/* Hand every free range to the buddy allocator; returns the pages freed. */
unsigned long memblock_free_all(void);
/*
 * After memblock_free_all(), give the whole pages of a boot reservation in
 * [base, base+size) to the buddy allocator.  The add, remove, reserve and
 * free calls above are for boot only: later they warn and return -EBUSY.
 */
void memblock_free_late(phys_addr_t base, phys_addr_t size);

/*
 * Iterate the free ranges (memory minus reserved) as pfn ranges, lowest
 * first: @idx starts at 0 and is advanced; returns false when done.
 */
bool memblock_next_free_range(unsigned long *idx, phys_addr_t *start,
			      phys_addr_t *end, int *nid);

#pragma GCC visibility pop

#endif /* KMM_MEMBLOCK_H */
