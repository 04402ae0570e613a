/* SPDX-License-Identifier: MIT */
/*
 * memblock: the boot-time allocator (Linux's semantics).
 *
 * Two sorted arrays of disjoint ranges: memblock.memory, the RAM the e820
 * map reports (page-trimmed), and memblock.reserved, what boot has taken.
 * Allocation looks for free space (memory minus reserved) from the top
 * down, below memblock.current_limit (the end of lowmem), and reserves it.
 * After memblock_free_all() has handed the free ranges to the buddy
 * allocator, memblock allocations warn and fail, as in Linux.
 */
#include "kmemleak.h"
#include "internal.h"

struct memblock memblock;
bool memblock_done;
/*
 * Nothing handed out so far was ever written before: RAM is new at boot
 * (it reads zero until written, plat_ram_create()), and memblock hands a
 * range out once unless it is freed.  So memblock_alloc() need not clear
 * it; clearing would make the host back every page of a large array that
 * boot fills only in part (the pageblock flags and section counts of a
 * 64 GiB machine, 18 pages of which boot writes 2).  A free ends it.
 */
static bool memblock_ram_zeroed;

void memblock_set_ram_zeroed(void)
{
	memblock_ram_zeroed = true;
}

void memblock_reset(void)
{
	memblock_ram_zeroed = false;
	memset(&memblock, 0, sizeof(memblock));
	memblock.memory.max = INIT_MEMBLOCK_REGIONS;
	memblock.memory.name = "memory";
	memblock.reserved.max = INIT_MEMBLOCK_REGIONS;
	memblock.reserved.name = "reserved";
	memblock.current_limit = MEMBLOCK_ALLOC_ANYWHERE;
	memblock_done = false;
}

static void memblock_recount(struct memblock_type *type)
{
	type->total_size = 0;
	for (unsigned long i = 0; i < type->cnt; i++)
		type->total_size += type->regions[i].size;
}

/* Remove [base, base+size) from @type, splitting regions it cuts. */
static int memblock_remove_range(struct memblock_type *type, phys_addr_t base,
				 phys_addr_t size)
{
	struct memblock_region out[INIT_MEMBLOCK_REGIONS];
	unsigned long n = 0;
	phys_addr_t end = base + size;

	for (unsigned long i = 0; i < type->cnt; i++) {
		struct memblock_region *r = &type->regions[i];
		phys_addr_t r_end = r->base + r->size;

		if (r_end <= base || r->base >= end) {
			if (n >= type->max)
				return -ENOSPC;
			out[n++] = *r;
			continue;
		}
		if (r->base < base) {
			if (n >= type->max)
				return -ENOSPC;
			out[n++] = (struct memblock_region){ r->base, base - r->base, r->nid, r->flags };
		}
		if (r_end > end) {
			if (n >= type->max)
				return -ENOSPC;
			out[n++] = (struct memblock_region){ end, r_end - end, r->nid, r->flags };
		}
	}
	memcpy(type->regions, out, n * sizeof(out[0]));
	type->cnt = n;
	memblock_recount(type);
	return 0;
}

/* Add [base, base+size), merging with neighbours of the same node and flags. */
static int memblock_add_range(struct memblock_type *type, phys_addr_t base,
			      phys_addr_t size, int nid, enum memblock_flags flags)
{
	struct memblock_region out[INIT_MEMBLOCK_REGIONS];
	unsigned long n = 0;
	struct memblock_region nr = { base, size, nid, flags };
	bool placed = false;

	if (!size)
		return 0;
	/* Overlaps are first cut out, so the arrays stay disjoint. */
	if (memblock_remove_range(type, base, size))
		return -ENOSPC;
	for (unsigned long i = 0; i <= type->cnt; i++) {
		struct memblock_region *r;

		if (!placed && (i == type->cnt || type->regions[i].base > base)) {
			r = &nr;
			placed = true;
			i--;
		} else if (i == type->cnt) {
			break;
		} else {
			r = &type->regions[i];
		}
		if (n && out[n - 1].base + out[n - 1].size == r->base && out[n - 1].nid == r->nid &&
		    out[n - 1].flags == r->flags) {
			out[n - 1].size += r->size;
			continue;
		}
		if (n >= type->max)
			return -ENOSPC;
		out[n++] = *r;
	}
	memcpy(type->regions, out, n * sizeof(out[0]));
	type->cnt = n;
	memblock_recount(type);
	return 0;
}

/*
 * After memblock_free_all() the regions are the record that deferred
 * struct page init reads: which reserved pages boot gave struct pages and
 * which free ranges are still to be handed out.  A change then would make
 * it initialise or free pages twice, or never.  In Linux these functions
 * are __init and gone by then; here a late call is refused and reported.
 * Giving a boot reservation to the buddy allocator after boot is
 * memblock_free_late()'s job.
 */
static bool memblock_frozen(const char *fn)
{
	if (!memblock_done)
		return false;
	WARN(1, "memblock: %s() after memblock_free_all()\n", fn);
	return true;
}

int memblock_add_node(phys_addr_t base, phys_addr_t size, int nid)
{
	if (memblock_frozen(__func__))
		return -EBUSY;
	return memblock_add_range(&memblock.memory, base, size, nid, MEMBLOCK_NONE);
}

int memblock_add(phys_addr_t base, phys_addr_t size)
{
	return memblock_add_node(base, size, 0);
}

int memblock_remove(phys_addr_t base, phys_addr_t size)
{
	if (memblock_frozen(__func__))
		return -EBUSY;
	return memblock_remove_range(&memblock.memory, base, size);
}

int memblock_reserve(phys_addr_t base, phys_addr_t size)
{
	if (memblock_frozen(__func__))
		return -EBUSY;
	return memblock_add_range(&memblock.reserved, base, size, NUMA_NO_NODE, MEMBLOCK_NONE);
}

int memblock_phys_free(phys_addr_t base, phys_addr_t size)
{
	if (memblock_frozen(__func__))
		return -EBUSY;
	memblock_ram_zeroed = false;	/* the range may have been written */
	kmemleak_free_part_phys(base, size);
	return memblock_remove_range(&memblock.reserved, base, size);
}

void memblock_free(void *ptr, size_t size)
{
	if (ptr)
		memblock_phys_free(__pa(ptr), size);
}

/*
 * The free ranges in address order: each memory region minus the reserved
 * regions.  @idx encodes (memory region, reserved index) to resume from.
 */
bool memblock_next_free_range(unsigned long *idx, phys_addr_t *out_start,
			      phys_addr_t *out_end, int *out_nid)
{
	unsigned long mi = *idx >> 32, ri = *idx & 0xffffffff;

	for (; mi < memblock.memory.cnt; mi++, ri = 0) {
		struct memblock_region *m = &memblock.memory.regions[mi];
		phys_addr_t m_end = m->base + m->size;

		/* ri counts gaps: gap k lies before reserved region k. */
		for (; ri <= memblock.reserved.cnt; ri++) {
			phys_addr_t gap_start = ri ? memblock.reserved.regions[ri - 1].base +
						memblock.reserved.regions[ri - 1].size : 0;
			phys_addr_t gap_end = ri < memblock.reserved.cnt ?
					      memblock.reserved.regions[ri].base : ~(phys_addr_t)0;
			phys_addr_t s = max(gap_start, m->base), e = min(gap_end, m_end);

			if (gap_start >= m_end)
				break;
			if (s < e) {
				*out_start = s;
				*out_end = e;
				if (out_nid)
					*out_nid = m->nid;
				*idx = (mi << 32) | (ri + 1);
				return true;
			}
		}
	}
	*idx = ~0UL;
	return false;
}

static phys_addr_t memblock_find_in_range(phys_addr_t size, phys_addr_t align,
					  phys_addr_t start, phys_addr_t end, int nid)
{
	phys_addr_t best = 0;
	bool found = false;
	unsigned long idx = 0;
	phys_addr_t s, e;
	int rnid;

	/* Walk all free ranges and keep the highest fit (top-down) or the lowest. */
	while (memblock_next_free_range(&idx, &s, &e, &rnid)) {
		if (nid != NUMA_NO_NODE && rnid != nid)
			continue;
		s = max(s, start);
		e = min(e, end);
		if (e <= s || e - s < size)
			continue;
		phys_addr_t cand = ALIGN_DOWN(e - size, align);
		if (cand < s)
			continue;
		if (memblock.bottom_up)
			cand = ALIGN(s, align);
		if (cand + size > e)
			continue;
		if (!found || (memblock.bottom_up ? cand < best : cand > best)) {
			best = cand;
			found = true;
		}
	}
	return found ? best : 0;
}

static phys_addr_t memblock_alloc_range_nid(phys_addr_t size, phys_addr_t align,
					    phys_addr_t start, phys_addr_t end, int nid)
{
	phys_addr_t found;

	if (memblock_done) {
		WARN_ONCE(1, "memblock: allocation after memblock_free_all()\n");
		return 0;
	}
	/*
	 * Byte-granular, as Linux's: the small tables boot makes (per-CPU page
	 * lists and statistics of each zone, bitmaps) share pages, a page
	 * written each, not one apiece.  A page partly reserved is reserved.
	 */
	if (!align)
		align = SMP_CACHE_BYTES;
	if (end == MEMBLOCK_ALLOC_ACCESSIBLE || end > memblock.current_limit)
		end = memblock.current_limit;
	/* Like Linux, never hand out physical address 0. */
	start = max(start, (phys_addr_t)PAGE_SIZE);
	found = memblock_find_in_range(size, align, start, end, nid);
	if (!found && nid != NUMA_NO_NODE)
		found = memblock_find_in_range(size, align, start, end, NUMA_NO_NODE);
	if (!found || memblock_reserve(found, size))
		return 0;
	return found;
}

phys_addr_t memblock_phys_alloc_range(phys_addr_t size, phys_addr_t align,
				      phys_addr_t start, phys_addr_t end)
{
	return memblock_alloc_range_nid(size, align, start, end, NUMA_NO_NODE);
}

phys_addr_t memblock_phys_alloc_try_nid(phys_addr_t size, phys_addr_t align, int nid)
{
	return memblock_alloc_range_nid(size, align, 0, MEMBLOCK_ALLOC_ACCESSIBLE, nid);
}

void *memblock_alloc_try_nid(phys_addr_t size, phys_addr_t align,
			     phys_addr_t min_addr, phys_addr_t max_addr, int nid)
{
	phys_addr_t phys = memblock_alloc_range_nid(size, align, min_addr, max_addr, nid);

	if (!phys)
		return NULL;
	void *va = __va(phys);
	if (!memblock_ram_zeroed)
		memset(va, 0, size);
	kmemleak_alloc_phys(phys, size, 0);
	return va;
}

void *memblock_alloc_raw(phys_addr_t size, phys_addr_t align)
{
	phys_addr_t phys = memblock_alloc_range_nid(size, align, 0, MEMBLOCK_ALLOC_ACCESSIBLE,
						    NUMA_NO_NODE);

	return phys ? __va(phys) : NULL;
}

void *memblock_alloc(phys_addr_t size, phys_addr_t align)
{
	return memblock_alloc_try_nid(size, align, 0, MEMBLOCK_ALLOC_ACCESSIBLE, NUMA_NO_NODE);
}

void memblock_set_current_limit(phys_addr_t limit)
{
	memblock.current_limit = limit;
}

void memblock_set_bottom_up(bool enable)
{
	memblock.bottom_up = enable;
}

phys_addr_t memblock_phys_mem_size(void)
{
	return memblock.memory.total_size;
}

phys_addr_t memblock_reserved_size(void)
{
	return memblock.reserved.total_size;
}

phys_addr_t memblock_start_of_DRAM(void)
{
	return memblock.memory.cnt ? memblock.memory.regions[0].base : 0;
}

phys_addr_t memblock_end_of_DRAM(void)
{
	struct memblock_type *m = &memblock.memory;

	return m->cnt ? m->regions[m->cnt - 1].base + m->regions[m->cnt - 1].size : 0;
}

static bool memblock_type_has(const struct memblock_type *type, phys_addr_t addr)
{
	for (unsigned long i = 0; i < type->cnt; i++)
		if (addr >= type->regions[i].base &&
		    addr < type->regions[i].base + type->regions[i].size)
			return true;
	return false;
}

bool memblock_is_memory(phys_addr_t addr)
{
	return memblock_type_has(&memblock.memory, addr);
}

bool memblock_is_reserved(phys_addr_t addr)
{
	return memblock_type_has(&memblock.reserved, addr);
}

/* Only what is reserved, whole, may be marked. */
int memblock_reserved_mark_noinit(phys_addr_t base, phys_addr_t size)
{
	phys_addr_t covered = 0;

	for (unsigned long i = 0; i < memblock.reserved.cnt; i++) {
		struct memblock_region *r = &memblock.reserved.regions[i];
		phys_addr_t s = max(r->base, base), e = min(r->base + r->size, base + size);

		if (s < e)
			covered += e - s;
	}
	if (!size || covered != size)
		return -EINVAL;
	return memblock_add_range(&memblock.reserved, base, size, NUMA_NO_NODE,
				  MEMBLOCK_RSRV_NOINIT);
}

bool memblock_is_region_reserved(phys_addr_t base, phys_addr_t size)
{
	for (unsigned long i = 0; i < memblock.reserved.cnt; i++) {
		struct memblock_region *r = &memblock.reserved.regions[i];
		if (r->base < base + size && base < r->base + r->size)
			return true;
	}
	return false;
}
