/* SPDX-License-Identifier: MIT */
/*
 * The per-CPU chunk allocator, after Linux's mm/percpu.c.
 *
 * Memory comes in chunks; a chunk has one unit per CPU, all units the same
 * size and at the same offsets from the chunk's base in every chunk, so an
 * allocation is an offset into a unit and the copy of CPU c is at
 * base + __per_cpu_offset[c] + offset:
 *
 *     chunk 0 (first)                   chunk 1                  chunk 2
 *   | u0 | u1 | u2 | u3 |   ......    | u0 | u1 | u2 | u3 |   .... | u0 | ...
 *
 * The first chunk is laid out <static | reserved | dynamic>: the static
 * per-CPU sections (percpu_static.c), the reserved region for sections of
 * modules loaded after boot (served by pcpu_reserved_chunk, which shares
 * the first chunk's memory), and the first dynamic space.  Both are made at
 * boot and never freed.  More chunks are created when no chunk has room and
 * destroyed when a second one falls wholly free.
 *
 * Inside a unit, a bitmap with a bit per PCPU_MIN_ALLOC_SIZE (4) bytes says
 * what is allocated; a second bitmap, the bound map, marks the first bit of
 * each allocation and the bit after its last, so a free needs only the
 * offset.  The bitmap is cut into blocks of a page; each block keeps hints
 * (struct pcpu_block_md: its longest free run, the free runs at its edges,
 * its first free bit) so a search skips full blocks and goes straight to a
 * block's longest run, and each chunk keeps its longest free run (runs may
 * cross blocks).  Chunks sit on lists by that run (pcpu_chunk_lists, slot
 * by the run's size in bytes, as Linux's pcpu_size_to_slot()), and a search
 * starts at the first slot whose chunks may hold the request.  A chunk of a
 * low slot that could not serve a request (its run is there but not at the
 * alignment asked) is sidelined to slot 0 until a free changes it: the
 * "one million 4-byte objects at 8-byte alignment" pattern leaves every
 * full chunk with 4-byte holes it would otherwise be searched for.
 *
 * Population: a chunk's pages are populated (backed) page by page of every
 * unit, tracked in chunk->populated.  A sleeping request populates what it
 * got; an atomic request is served only from populated pages.  The first
 * chunk lives in the direct map and is populated whole (percpu_km.c); the
 * others are vmalloc areas populated on demand (percpu_vm.c).  Kept from
 * Linux's balance work: a second wholly free chunk is destroyed (by the
 * free, or by the next sleeping request if the free was atomic).  Not kept
 * (no worker): populating ahead for atomic requests, and depopulating the
 * empty pages of busy chunks.
 *
 * Locks: pcpu_alloc_mutex (sleepable requests; chunk creation and
 * population) then pcpu_lock (the bitmaps, hints and lists).  Allocation
 * zeroes the area of every CPU after dropping pcpu_lock.
 */
#include <stdio.h>
#include <kmm/vmalloc.h>
#include "percpu_internal.h"

#define PCPU_SLOT_BASE_SHIFT		5
#define PCPU_SLOT_FAIL_THRESHOLD	3
#define PCPU_BLOCK_BITS			((int)PCPU_BITMAP_BLOCK_BITS)

spinlock_t pcpu_lock;
struct plat_mutex pcpu_alloc_mutex;	/* also held across fork (fork.c) */
struct list_head *pcpu_chunk_lists;
int pcpu_nr_slots, pcpu_sidelined_slot, pcpu_free_slot;
int pcpu_nr_empty_pop_pages;
struct pcpu_chunk *pcpu_first_chunk, *pcpu_reserved_chunk;
void *pcpu_base_addr;
int pcpu_unit_pages, pcpu_unit_size, pcpu_nr_units, pcpu_chunk_bytes;
size_t pcpu_static_size, pcpu_reserved_size, pcpu_dyn_size;
unsigned long __per_cpu_offset[NR_CPUS];
static int pcpu_nr_populated;

/* --- bitmaps --- */
void pcpu_bitmap_set(unsigned long *map, int start, int nr)
{
	for (; nr > 0 && start % BITS_PER_LONG; start++, nr--)
		pcpu_set_bit(map, start);
	for (; nr >= BITS_PER_LONG; start += BITS_PER_LONG, nr -= BITS_PER_LONG)
		map[start / BITS_PER_LONG] = ~0UL;
	for (; nr > 0; start++, nr--)
		pcpu_set_bit(map, start);
}

void pcpu_bitmap_clear(unsigned long *map, int start, int nr)
{
	for (; nr > 0 && start % BITS_PER_LONG; start++, nr--)
		pcpu_clear_bit(map, start);
	for (; nr >= BITS_PER_LONG; start += BITS_PER_LONG, nr -= BITS_PER_LONG)
		map[start / BITS_PER_LONG] = 0;
	for (; nr > 0; start++, nr--)
		pcpu_clear_bit(map, start);
}

/* The first bit in [start, end) that is @want, or end. */
static int find_next(const unsigned long *map, int end, int start, bool want)
{
	unsigned long flip = want ? 0 : ~0UL;

	if (start >= end)
		return end;
	int i = start / BITS_PER_LONG;
	unsigned long w = (map[i] ^ flip) & (~0UL << (start % BITS_PER_LONG));
	while (!w) {
		if (++i * BITS_PER_LONG >= end)
			return end;
		w = map[i] ^ flip;
	}
	int bit = i * BITS_PER_LONG + __builtin_ctzl(w);
	return bit < end ? bit : end;
}

int pcpu_find_next_bit(const unsigned long *map, int end, int start)
{
	return find_next(map, end, start, true);
}

int pcpu_find_next_zero_bit(const unsigned long *map, int end, int start)
{
	return find_next(map, end, start, false);
}

int pcpu_find_last_bit(const unsigned long *map, int start, int end)
{
	if (end <= start)
		return start - 1;
	int i = (end - 1) / BITS_PER_LONG;
	int top = (end - 1) % BITS_PER_LONG;
	unsigned long w = map[i] & (top == BITS_PER_LONG - 1 ? ~0UL : (2UL << top) - 1);
	while (!w) {
		if (--i < 0 || (i + 1) * BITS_PER_LONG <= start)
			return start - 1;
		w = map[i];
	}
	int bit = i * BITS_PER_LONG + BITS_PER_LONG - 1 - __builtin_clzl(w);
	return bit >= start ? bit : start - 1;
}

/* --- slots --- */
static int __pcpu_size_to_slot(int size)
{
	int highbit = size ? 32 - __builtin_clz((unsigned int)size) : 0;

	return max(highbit - PCPU_SLOT_BASE_SHIFT + 2, 1);
}

static int pcpu_size_to_slot(int size)
{
	if (size == pcpu_unit_size)
		return pcpu_free_slot;
	return __pcpu_size_to_slot(size);
}

int pcpu_chunk_slot(const struct pcpu_chunk *chunk)
{
	if (chunk->free_bytes < PCPU_MIN_ALLOC_SIZE || chunk->contig_bits == 0)
		return 0;
	return pcpu_size_to_slot(chunk->contig_bits * PCPU_MIN_ALLOC_SIZE);
}

/* Put @chunk on the list of its slot (the reserved chunk is on none). */
static void pcpu_chunk_relocate(struct pcpu_chunk *chunk, int oslot)
{
	int nslot = pcpu_chunk_slot(chunk);

	if (chunk == pcpu_reserved_chunk)
		return;
	if (oslot < 0)
		list_add(&chunk->list, &pcpu_chunk_lists[nslot]);
	else if (oslot < nslot)
		list_move(&chunk->list, &pcpu_chunk_lists[nslot]);
	else if (oslot > nslot)
		list_move_tail(&chunk->list, &pcpu_chunk_lists[nslot]);
	chunk->slot = nslot;
}

/* --- block hints --- */
static void pcpu_block_init(struct pcpu_block_md *b)
{
	*b = (struct pcpu_block_md){ .contig_hint = PCPU_BLOCK_BITS, .left_free = PCPU_BLOCK_BITS,
				     .right_free = PCPU_BLOCK_BITS, .nr_bits = PCPU_BLOCK_BITS };
}

/* Recompute block @i's hints from the bitmap. */
void pcpu_block_refresh(struct pcpu_chunk *chunk, int i)
{
	struct pcpu_block_md *b = &chunk->md_blocks[i];
	const unsigned long *map = chunk->alloc_map;
	int bs = i * PCPU_BLOCK_BITS, be = bs + PCPU_BLOCK_BITS;
	int pos = pcpu_find_next_zero_bit(map, be, bs);

	b->first_free = pos - bs;
	b->contig_hint = b->contig_hint_start = b->scan_hint = 0;
	b->left_free = pcpu_find_next_bit(map, be, bs) - bs;
	b->right_free = be - 1 - pcpu_find_last_bit(map, bs, be);
	while (pos < be) {
		int end = pcpu_find_next_bit(map, be, pos), len = end - pos;

		if (len > b->contig_hint) {
			b->scan_hint = max(b->scan_hint, b->contig_hint);
			b->contig_hint = len;
			b->contig_hint_start = pos - bs;
		} else {
			b->scan_hint = max(b->scan_hint, len);
		}
		pos = pcpu_find_next_zero_bit(map, be, end);
	}
}

static bool pcpu_page_populated(struct pcpu_chunk *chunk, int page)
{
	return pcpu_test_bit(chunk->populated, page);
}

static void pcpu_update_empty_pages(struct pcpu_chunk *chunk, int nr)
{
	chunk->nr_empty_pop_pages += nr;
	if (chunk != pcpu_reserved_chunk)
		pcpu_nr_empty_pop_pages += nr;
}

/* Bits [ls, le) of block @i were just allocated. */
static void pcpu_block_update_alloc(struct pcpu_chunk *chunk, int i, int ls, int le)
{
	struct pcpu_block_md *b = &chunk->md_blocks[i];
	int bs = i * PCPU_BLOCK_BITS, chs = b->contig_hint_start, che = chs + b->contig_hint;

	if (b->contig_hint == PCPU_BLOCK_BITS && pcpu_page_populated(chunk, i))
		pcpu_update_empty_pages(chunk, -1);
	if (b->first_free >= ls && b->first_free < le)
		b->first_free = pcpu_find_next_zero_bit(chunk->alloc_map, bs + PCPU_BLOCK_BITS,
							bs + le) - bs;
	if (ls < b->left_free)
		b->left_free = ls;
	if (le > PCPU_BLOCK_BITS - b->right_free)
		b->right_free = PCPU_BLOCK_BITS - le;
	if (le <= chs || ls >= che)
		return;		/* other runs only shrink: scan_hint still bounds them */
	int r1 = ls > chs ? ls - chs : 0, r2 = le < che ? che - le : 0;
	if (max(r1, r2) < b->scan_hint) {
		pcpu_block_refresh(chunk, i);
		return;
	}
	b->scan_hint = max(b->scan_hint, min(r1, r2));
	if (r1 >= r2) {
		b->contig_hint = r1;
	} else {
		b->contig_hint = r2;
		b->contig_hint_start = le;
	}
}

/* Bits [ls, le) of block @i were just freed. */
static void pcpu_block_update_free(struct pcpu_chunk *chunk, int i, int ls, int le)
{
	struct pcpu_block_md *b = &chunk->md_blocks[i];
	int bs = i * PCPU_BLOCK_BITS, be = bs + PCPU_BLOCK_BITS;
	int rs = pcpu_find_last_bit(chunk->alloc_map, bs, bs + ls) + 1 - bs;
	int re = pcpu_find_next_bit(chunk->alloc_map, be, bs + le) - bs;
	int len = re - rs;

	b->first_free = min(b->first_free, rs);
	if (rs == 0)
		b->left_free = re;
	if (re == PCPU_BLOCK_BITS)
		b->right_free = PCPU_BLOCK_BITS - rs;
	if (len == PCPU_BLOCK_BITS) {
		pcpu_block_init(b);
		if (pcpu_page_populated(chunk, i))
			pcpu_update_empty_pages(chunk, 1);
		return;
	}
	if (len > b->contig_hint) {
		bool merged = b->contig_hint && b->contig_hint_start >= rs &&
			      b->contig_hint_start < re;
		if (!merged)
			b->scan_hint = max(b->scan_hint, b->contig_hint);
		b->contig_hint = len;
		b->contig_hint_start = rs;
	} else {
		b->scan_hint = max(b->scan_hint, len);
	}
}

/* The chunk's longest free run (crossing blocks) and first free bit. */
static void pcpu_chunk_refresh_hint(struct pcpu_chunk *chunk)
{
	int nr = pcpu_chunk_nr_blocks(chunk), run = 0, best = 0, first = -1;

	for (int i = 0; i < nr; i++) {
		struct pcpu_block_md *b = &chunk->md_blocks[i];

		if (first < 0 && b->first_free < PCPU_BLOCK_BITS)
			first = i * PCPU_BLOCK_BITS + b->first_free;
		if (b->contig_hint == PCPU_BLOCK_BITS) {
			run += PCPU_BLOCK_BITS;
			continue;
		}
		best = max(best, max(run + b->left_free, b->contig_hint));
		run = b->right_free;
	}
	chunk->contig_bits = max(best, run);
	chunk->first_free = first < 0 ? pcpu_chunk_map_bits(chunk) : first;
}

/* --- finding and taking an area --- */
static bool pcpu_range_populated(struct pcpu_chunk *chunk, int bit, int bits)
{
	int ps = bit * PCPU_MIN_ALLOC_SIZE / (int)PAGE_SIZE;
	int pe = (int)PFN_UP((unsigned long)(bit + bits) * PCPU_MIN_ALLOC_SIZE);

	return pcpu_find_next_zero_bit(chunk->populated, pe, ps) == pe;
}

/* Where in the free run [rs, rs + len) @bits at @align fit, or -1. */
static int pcpu_fit(struct pcpu_chunk *chunk, int rs, int len, int bits, int align,
		    bool pop_only)
{
	int pos = ALIGN(rs, align);

	if (pos + bits > rs + len)
		return -1;
	if (pop_only && !pcpu_range_populated(chunk, pos, bits))
		return -1;
	return pos;
}

/*
 * The bit where @bits at @align fit in @chunk, or -1.  Runs that cross
 * blocks are followed through the blocks' edge hints; inside a block only
 * the longest run is tried (as Linux: a block whose longest run does not
 * fit at @align is passed over even if a shorter run would, so a search
 * never walks a block's small holes).
 */
static int pcpu_find_block_fit(struct pcpu_chunk *chunk, int bits, int align, bool pop_only)
{
	int nr = pcpu_chunk_nr_blocks(chunk), carry_start = 0, carry = 0, fit;

	if (chunk->contig_bits < bits)
		return -1;
	for (int i = chunk->first_free / PCPU_BLOCK_BITS; i < nr; i++) {
		struct pcpu_block_md *b = &chunk->md_blocks[i];
		int bs = i * PCPU_BLOCK_BITS;

		if (b->contig_hint == PCPU_BLOCK_BITS) {
			if (!carry)
				carry_start = bs;
			carry += PCPU_BLOCK_BITS;
			if ((fit = pcpu_fit(chunk, carry_start, carry, bits, align, pop_only)) >= 0)
				return fit;
			continue;
		}
		if (carry + b->left_free >= bits) {
			int start = carry ? carry_start : bs;
			if ((fit = pcpu_fit(chunk, start, carry + b->left_free, bits, align,
					    pop_only)) >= 0)
				return fit;
		}
		carry = 0;
		if (b->contig_hint >= bits) {
			fit = pcpu_fit(chunk, bs + b->contig_hint_start, b->contig_hint, bits, align,
				       pop_only);
			if (fit >= 0)
				return fit;
		}
		if (b->right_free) {
			carry_start = bs + PCPU_BLOCK_BITS - b->right_free;
			carry = b->right_free;
		}
	}
	return -1;
}

static void pcpu_for_each_block(struct pcpu_chunk *chunk, int bit, int bits,
				void (*fn)(struct pcpu_chunk *, int, int, int))
{
	int end = bit + bits;

	for (int i = bit / PCPU_BLOCK_BITS; i * PCPU_BLOCK_BITS < end; i++) {
		int bs = i * PCPU_BLOCK_BITS;

		fn(chunk, i, max(bit, bs) - bs, min(end, bs + PCPU_BLOCK_BITS) - bs);
	}
}

/* Take @bits at @bit (found free); returns the byte offset.  pcpu_lock held. */
static int pcpu_alloc_area(struct pcpu_chunk *chunk, int bit, int bits)
{
	int oslot = chunk->slot;

	pcpu_bitmap_set(chunk->alloc_map, bit, bits);
	pcpu_set_bit(chunk->bound_map, bit);
	if (bits > 1)
		pcpu_bitmap_clear(chunk->bound_map, bit + 1, bits - 1);
	pcpu_set_bit(chunk->bound_map, bit + bits);
	chunk->free_bytes -= bits * PCPU_MIN_ALLOC_SIZE;
	pcpu_for_each_block(chunk, bit, bits, pcpu_block_update_alloc);
	pcpu_chunk_refresh_hint(chunk);
	pcpu_chunk_relocate(chunk, oslot);
	return bit * PCPU_MIN_ALLOC_SIZE;
}

/*
 * Is @off the start of a live allocation of @chunk?  An allocated bit with
 * its bound bit set always is (an allocation clears the bound bits inside
 * it), so a freed offset, one inside an allocation, or one in the hidden
 * parts of the chunk is not.
 */
static bool pcpu_area_valid(struct pcpu_chunk *chunk, long off)
{
	if (off < chunk->start_offset || off % PCPU_MIN_ALLOC_SIZE ||
	    off >= (long)pcpu_chunk_map_bits(chunk) * PCPU_MIN_ALLOC_SIZE - chunk->end_offset)
		return false;
	int bit = (int)(off / PCPU_MIN_ALLOC_SIZE);
	return pcpu_test_bit(chunk->alloc_map, bit) && pcpu_test_bit(chunk->bound_map, bit);
}

/*
 * The free run around the just freed [bit, end): the bitmap inside the
 * blocks at its ends, the blocks' edge hints beyond (a free in the worst
 * order would otherwise scan most of the chunk each time).
 */
static void pcpu_chunk_free_run(struct pcpu_chunk *chunk, int bit, int end, int *rsp, int *rep)
{
	int i = bit / PCPU_BLOCK_BITS, bs = i * PCPU_BLOCK_BITS;
	int rs = pcpu_find_last_bit(chunk->alloc_map, bs, bit) + 1;

	if (rs == bs) {
		for (int j = i - 1; j >= 0; j--) {
			struct pcpu_block_md *b = &chunk->md_blocks[j];

			rs -= b->contig_hint == PCPU_BLOCK_BITS ? PCPU_BLOCK_BITS : b->right_free;
			if (b->contig_hint != PCPU_BLOCK_BITS)
				break;
		}
	}
	int ie = (end - 1) / PCPU_BLOCK_BITS, be = (ie + 1) * PCPU_BLOCK_BITS;
	int re = pcpu_find_next_bit(chunk->alloc_map, be, end);

	if (re == be) {
		for (int j = ie + 1; j < pcpu_chunk_nr_blocks(chunk); j++) {
			struct pcpu_block_md *b = &chunk->md_blocks[j];

			re += b->contig_hint == PCPU_BLOCK_BITS ? PCPU_BLOCK_BITS : b->left_free;
			if (b->contig_hint != PCPU_BLOCK_BITS)
				break;
		}
	}
	*rsp = rs;
	*rep = re;
}

/* Free the allocation at @off; returns its size.  pcpu_lock held. */
static int pcpu_free_area(struct pcpu_chunk *chunk, int off)
{
	int oslot = chunk->slot, bit = off / PCPU_MIN_ALLOC_SIZE;
	int end = pcpu_find_next_bit(chunk->bound_map, pcpu_chunk_map_bits(chunk) + 1, bit + 1);
	int bits = end - bit;

	pcpu_stats.nr_dealloc++;
	pcpu_stats.nr_cur_alloc--;
	chunk->nr_alloc--;
	pcpu_bitmap_clear(chunk->alloc_map, bit, bits);
	chunk->free_bytes += bits * PCPU_MIN_ALLOC_SIZE;
	pcpu_for_each_block(chunk, bit, bits, pcpu_block_update_free);
	/* A free only merges one run: the chunk's hints follow without a scan. */
	int rs, re;
	pcpu_chunk_free_run(chunk, bit, end, &rs, &re);
	chunk->contig_bits = max(chunk->contig_bits, re - rs);
	chunk->first_free = min(chunk->first_free, rs);
	pcpu_chunk_relocate(chunk, oslot);
	return bits * PCPU_MIN_ALLOC_SIZE;
}

/* --- chunks --- */
/* A chunk's metadata, all free; the backend adds the memory. */
struct pcpu_chunk *pcpu_alloc_chunk(gfp_t gfp)
{
	int nr_pages = pcpu_unit_pages, bits = nr_pages * PCPU_BLOCK_BITS;
	struct pcpu_chunk *chunk = kzalloc(sizeof(*chunk), gfp);

	if (!chunk)
		return NULL;
	INIT_LIST_HEAD(&chunk->list);
	chunk->nr_pages = nr_pages;
	chunk->alloc_map = kcalloc(BITS_TO_LONGS(bits), sizeof(long), gfp);
	chunk->bound_map = kcalloc(BITS_TO_LONGS(bits + 1), sizeof(long), gfp);
	chunk->md_blocks = kcalloc((size_t)nr_pages, sizeof(struct pcpu_block_md), gfp);
	chunk->populated = kcalloc(BITS_TO_LONGS(nr_pages), sizeof(long), gfp);
	if (!chunk->alloc_map || !chunk->bound_map || !chunk->md_blocks || !chunk->populated) {
		pcpu_free_chunk(chunk);
		return NULL;
	}
	for (int i = 0; i < nr_pages; i++)
		pcpu_block_init(&chunk->md_blocks[i]);
	chunk->free_bytes = pcpu_unit_size;
	chunk->contig_bits = bits;
	chunk->slot = -1;
	return chunk;
}

void pcpu_free_chunk(struct pcpu_chunk *chunk)
{
	if (!chunk)
		return;
	kfree(chunk->populated);
	kfree(chunk->md_blocks);
	kfree(chunk->bound_map);
	kfree(chunk->alloc_map);
	kfree(chunk);
}

/* Pages [start, end) of every unit are now backed.  pcpu_lock held. */
void pcpu_chunk_populated(struct pcpu_chunk *chunk, int start, int end)
{
	int nr = end - start;

	pcpu_bitmap_set(chunk->populated, start, nr);
	chunk->nr_populated += nr;
	pcpu_nr_populated += nr;
	for (int i = start; i < end; i++)
		if (chunk->md_blocks[i].contig_hint == PCPU_BLOCK_BITS)
			pcpu_update_empty_pages(chunk, 1);
	atomic_long_add((long)nr * pcpu_nr_units, &kmm_meminfo.percpu_pages);
}

/* Pages [start, end) of every unit are no longer backed.  pcpu_lock held. */
void pcpu_chunk_depopulated(struct pcpu_chunk *chunk, int start, int end)
{
	int nr = end - start;

	pcpu_bitmap_clear(chunk->populated, start, nr);
	chunk->nr_populated -= nr;
	pcpu_nr_populated -= nr;
	for (int i = start; i < end; i++)
		if (chunk->md_blocks[i].contig_hint == PCPU_BLOCK_BITS)
			pcpu_update_empty_pages(chunk, -1);
	atomic_long_sub((long)nr * pcpu_nr_units, &kmm_meminfo.percpu_pages);
}

unsigned long pcpu_nr_pages(void)
{
	return (unsigned long)atomic_long_read(&kmm_meminfo.percpu_pages);
}

/* Mark [0, start) and the last @end bytes of @chunk's map as not its own. */
static void pcpu_chunk_hide(struct pcpu_chunk *chunk, int start, int end)
{
	int bits = pcpu_chunk_map_bits(chunk);

	chunk->start_offset = start;
	chunk->end_offset = end;
	if (start) {
		pcpu_bitmap_set(chunk->alloc_map, 0, start / PCPU_MIN_ALLOC_SIZE);
		pcpu_set_bit(chunk->bound_map, 0);
		pcpu_set_bit(chunk->bound_map, start / PCPU_MIN_ALLOC_SIZE);
	}
	if (end) {
		int first = bits - end / PCPU_MIN_ALLOC_SIZE;
		pcpu_bitmap_set(chunk->alloc_map, first, end / PCPU_MIN_ALLOC_SIZE);
		pcpu_set_bit(chunk->bound_map, first);
	}
	pcpu_set_bit(chunk->bound_map, bits);
	chunk->free_bytes = pcpu_chunk_map_bits(chunk) * PCPU_MIN_ALLOC_SIZE - start - end;
	for (int i = 0; i < pcpu_chunk_nr_blocks(chunk); i++)
		pcpu_block_refresh(chunk, i);
	pcpu_chunk_refresh_hint(chunk);
}

/* Count the wholly free populated pages of @chunk afresh. */
void pcpu_count_empty_pages(struct pcpu_chunk *chunk)
{
	chunk->nr_empty_pop_pages = 0;
	for (int i = 0; i < chunk->nr_pages; i++)
		if (chunk->md_blocks[i].contig_hint == PCPU_BLOCK_BITS && pcpu_page_populated(chunk, i))
			chunk->nr_empty_pop_pages++;
}

static bool pcpu_is_power_of_2(size_t n)
{
	return n && !(n & (n - 1));
}

static void pcpu_alloc_fail(size_t size, size_t align, bool is_atomic, const char *err,
			    bool do_warn)
{
	static int warn_limit = 10;

	if (!do_warn)
		return;
	int remaining = __atomic_sub_fetch(&warn_limit, 1, __ATOMIC_RELAXED);
	if (remaining < 0)
		return;
	pr_warn("percpu: allocation failed, size=%zu align=%zu atomic=%d, %s\n",
		size, align, is_atomic, err);
	if (!is_atomic)
		dump_stack();
	if (remaining == 0)
		pr_info("percpu: limit reached, disable warning\n");
}

/* Back the pages of [off, off + size) that are not yet.  Under the mutex. */
static int pcpu_populate_area(struct pcpu_chunk *chunk, int off, int size, gfp_t gfp)
{
	int rs = off / (int)PAGE_SIZE, end = (int)PFN_UP((unsigned long)(off + size));

	while (rs < end) {
		rs = pcpu_find_next_zero_bit(chunk->populated, end, rs);
		if (rs >= end)
			break;
		int re = pcpu_find_next_bit(chunk->populated, end, rs);
		int ret = pcpu_populate_chunk(chunk, rs, re, gfp);
		if (ret)
			return ret;
		spin_lock(&pcpu_lock);
		pcpu_chunk_populated(chunk, rs, re);
		spin_unlock(&pcpu_lock);
		rs = re;
	}
	return 0;
}

/* Take @chunk off its list and out of the index.  pcpu_lock held. */
static void pcpu_chunk_unlink(struct pcpu_chunk *chunk)
{
	list_del_init(&chunk->list);
	chunk->slot = -1;
	pcpu_chunk_unregister(chunk);
}

static void pcpu_balance_free(void);

/* More than one wholly free chunk (a free in atomic context left it). */
static bool pcpu_free_slot_crowded(void)
{
	struct list_head *head = &pcpu_chunk_lists[pcpu_free_slot];

	__spin_lock(&pcpu_lock);
	bool crowded = !list_empty(head) && head->next->next != head;
	__spin_unlock(&pcpu_lock);
	return crowded;
}

/*
 * The allocator.  @reserved asks for the reserved region.  Without
 * __GFP_DIRECT_RECLAIM the request is atomic: no chunk is created and only
 * populated pages are used.
 */
void __percpu *pcpu_alloc(size_t size, size_t align, bool reserved, gfp_t gfp)
{
	bool is_atomic, do_warn;
	struct pcpu_chunk *chunk, *next;
	const char *err;
	int slot, bit, off;

	gfp = current_gfp_context(gfp);
	is_atomic = !(gfp & __GFP_DIRECT_RECLAIM);
	do_warn = !(gfp & __GFP_NOWARN);
	if (align < PCPU_MIN_ALLOC_SIZE)
		align = PCPU_MIN_ALLOC_SIZE;
	size = ALIGN(size, (size_t)PCPU_MIN_ALLOC_SIZE);
	if (unlikely(!size || size > PCPU_MIN_UNIT_SIZE || align > PAGE_SIZE ||
		     !pcpu_is_power_of_2(align))) {
		WARN(do_warn, "illegal size (%zu) or align (%zu) for percpu allocation\n",
		     size, align);
		kmm_report_count_inc(KMM_REPORT_PERCPU);
		return NULL;
	}
	if (unlikely(!pcpu_first_chunk)) {
		err = "no machine";
		goto fail;
	}
	int bits = (int)(size / PCPU_MIN_ALLOC_SIZE), bit_align = (int)(align / PCPU_MIN_ALLOC_SIZE);

	if (!is_atomic) {
		might_sleep();
		plat_mutex_lock(&pcpu_alloc_mutex);
		if (unlikely(pcpu_free_slot_crowded()))
			pcpu_balance_free();
	}
	__spin_lock(&pcpu_lock);
	if (reserved && pcpu_reserved_chunk) {
		chunk = pcpu_reserved_chunk;
		bit = pcpu_find_block_fit(chunk, bits, bit_align, is_atomic);
		if (bit < 0) {
			err = "alloc from reserved chunk failed";
			goto fail_unlock;
		}
		goto area_found;
	}
restart:
	for (slot = pcpu_size_to_slot((int)size); slot <= pcpu_free_slot; slot++) {
		list_for_each_entry_safe(chunk, next, &pcpu_chunk_lists[slot], list) {
			bit = pcpu_find_block_fit(chunk, bits, bit_align, is_atomic);
			if (bit >= 0)
				goto area_found;
			if (slot < PCPU_SLOT_FAIL_THRESHOLD) {
				list_move(&chunk->list, &pcpu_chunk_lists[0]);
				chunk->slot = 0;
			}
		}
	}
	__spin_unlock(&pcpu_lock);
	if (is_atomic) {
		err = "atomic alloc failed, no space left";
		goto fail;
	}
	if (list_empty(&pcpu_chunk_lists[pcpu_free_slot])) {
		chunk = pcpu_create_chunk(gfp);
		if (!chunk) {
			err = "failed to allocate new chunk";
			goto fail;
		}
		__spin_lock(&pcpu_lock);
		pcpu_chunk_relocate(chunk, -1);
	} else {
		__spin_lock(&pcpu_lock);
	}
	goto restart;

area_found:
	off = pcpu_alloc_area(chunk, bit, bits);
	pcpu_stats.nr_alloc++;
	pcpu_stats.nr_cur_alloc++;
	pcpu_stats.nr_max_alloc = max(pcpu_stats.nr_max_alloc, pcpu_stats.nr_cur_alloc);
	pcpu_stats.min_alloc_size = min(pcpu_stats.min_alloc_size, size);
	pcpu_stats.max_alloc_size = max(pcpu_stats.max_alloc_size, size);
	chunk->nr_alloc++;
	chunk->max_alloc_size = max(chunk->max_alloc_size, (int)size);
	__spin_unlock(&pcpu_lock);
	if (!is_atomic) {
		if (pcpu_populate_area(chunk, off, (int)size, gfp)) {
			__spin_lock(&pcpu_lock);
			pcpu_free_area(chunk, off);
			err = "failed to populate";
			goto fail_unlock;
		}
		plat_mutex_unlock(&pcpu_alloc_mutex);
	}
	for (int cpu = 0; cpu < (int)nr_cpu_ids; cpu++)
		memset(pcpu_chunk_addr(chunk, cpu, off), 0, size);
	return (char *)chunk->base_addr + off;

fail_unlock:
	__spin_unlock(&pcpu_lock);
fail:
	if (!is_atomic && pcpu_first_chunk)
		plat_mutex_unlock(&pcpu_alloc_mutex);
	pcpu_alloc_fail(size, align, is_atomic, err, do_warn);
	return NULL;
}

void __percpu *__alloc_percpu_gfp(size_t size, size_t align, gfp_t gfp)
{
	return pcpu_alloc(size, align, false, gfp);
}

void __percpu *__alloc_percpu(size_t size, size_t align)
{
	return pcpu_alloc(size, align, false, GFP_KERNEL);
}

void __percpu *__alloc_reserved_percpu(size_t size, size_t align)
{
	return pcpu_alloc(size, align, true, GFP_KERNEL);
}

/* The chunk and offset @ptr is the start of an allocation of, or report. */
static struct pcpu_chunk *pcpu_free_lookup(void *ptr, int *offp)
{
	struct pcpu_chunk *chunk = pcpu_chunk_addr_search(ptr);
	long off = chunk ? (char *)ptr - (char *)chunk->base_addr : -1;

	if (chunk && off >= pcpu_unit_size)
		chunk = NULL;	/* inside another CPU's unit: not a per-CPU pointer */
	if (chunk && pcpu_area_valid(chunk, off)) {
		*offp = (int)off;
		return chunk;
	}
	if (chunk)
		pr_err("percpu: free_percpu(%p): double free or not the start of an allocation (chunk %p offset %ld)\n",
		       ptr, chunk->base_addr, off);
	else
		pr_err("percpu: free_percpu(%p): not a per-CPU pointer\n", ptr);
	dump_stack();
	kmm_report_count_inc(KMM_REPORT_PERCPU);
	kmm_report_count_inc(KMM_REPORT_BAD_FREE);
	add_taint(TAINT_WARN);
	return NULL;
}

void free_percpu(void __percpu *ptr)
{
	struct pcpu_chunk *chunk, *pos, *spare = NULL;
	int off;

	if (!ptr)
		return;
	bool may_sleep = !current->preempt_count;
	__spin_lock(&pcpu_lock);
	chunk = pcpu_first_chunk ? pcpu_free_lookup(ptr, &off) : NULL;
	if (!chunk) {
		__spin_unlock(&pcpu_lock);
		if (!pcpu_first_chunk)
			pr_err("percpu: free_percpu(%p) without a machine\n", ptr);
		return;
	}
	pcpu_free_area(chunk, off);
	/* Keep one wholly free chunk; a second one goes, if we may sleep. */
	if (chunk->slot == pcpu_free_slot && may_sleep) {
		list_for_each_entry(pos, &pcpu_chunk_lists[pcpu_free_slot], list) {
			if (pos != chunk) {
				spare = chunk;
				pcpu_chunk_unlink(chunk);
				break;
			}
		}
	}
	__spin_unlock(&pcpu_lock);
	if (spare)
		pcpu_destroy_chunk(spare);
}

/*
 * Destroy every wholly free chunk but one: what free_percpu() could not do
 * from atomic context (Linux's pcpu_balance_free() in its balance work).
 * Called with pcpu_alloc_mutex held, sleepable.
 */
static void pcpu_balance_free(void)
{
	struct pcpu_chunk *chunk, *next;
	LIST_HEAD(to_free);

	__spin_lock(&pcpu_lock);
	list_for_each_entry_safe(chunk, next, &pcpu_chunk_lists[pcpu_free_slot], list) {
		if (chunk == list_first_entry(&pcpu_chunk_lists[pcpu_free_slot], struct pcpu_chunk, list))
			continue;
		pcpu_chunk_unlink(chunk);
		list_add(&chunk->list, &to_free);
	}
	__spin_unlock(&pcpu_lock);
	list_for_each_entry_safe(chunk, next, &to_free, list) {
		list_del_init(&chunk->list);
		pcpu_destroy_chunk(chunk);
	}
}

bool is_kernel_percpu_address(unsigned long addr)
{
	bool found;

	spin_lock(&pcpu_lock);
	found = pcpu_first_chunk && pcpu_chunk_addr_search((void *)addr);
	spin_unlock(&pcpu_lock);
	return found;
}

phys_addr_t per_cpu_ptr_to_phys(void *addr)
{
	if (is_vmalloc_addr(addr))
		return page_to_phys(vmalloc_to_page(addr)) + ((unsigned long)addr & ~PAGE_MASK);
	return __pa(addr);
}

/*
 * Build the first chunk for a static area of @static_size bytes (the
 * sections' layout is percpu_static.c's), with the reserved region and the
 * dynamic space after it, as pcpu_setup_first_chunk().
 */
int pcpu_setup_first_chunk(size_t static_size, gfp_t gfp)
{
	size_t size_sum;

	pcpu_static_size = ALIGN(static_size, (size_t)PCPU_MIN_ALLOC_SIZE);
	pcpu_reserved_size = PERCPU_MODULE_RESERVE;
	size_sum = PAGE_ALIGN(pcpu_static_size + pcpu_reserved_size + PERCPU_DYNAMIC_RESERVE);
	pcpu_dyn_size = size_sum - pcpu_static_size - pcpu_reserved_size;
	pcpu_unit_size = (int)max(size_sum, (size_t)PCPU_MIN_UNIT_SIZE);
	pcpu_unit_pages = pcpu_unit_size >> PAGE_SHIFT;
	pcpu_nr_units = (int)nr_cpu_ids;
	pcpu_chunk_bytes = pcpu_unit_size * pcpu_nr_units;
	for (int cpu = 0; cpu < NR_CPUS; cpu++)
		__per_cpu_offset[cpu] = cpu < pcpu_nr_units ? (unsigned long)cpu * pcpu_unit_size : 0;
	for (unsigned int cpu = 0; cpu < nr_cpu_ids; cpu++)
		kmm_cpus[cpu].pcpu_off = __per_cpu_offset[cpu];

	pcpu_sidelined_slot = __pcpu_size_to_slot(pcpu_unit_size) + 1;
	pcpu_free_slot = pcpu_sidelined_slot + 1;
	pcpu_nr_slots = pcpu_free_slot + 1;
	pcpu_chunk_lists = kcalloc((size_t)pcpu_nr_slots, sizeof(struct list_head), gfp);
	if (!pcpu_chunk_lists)
		return -ENOMEM;
	for (int i = 0; i < pcpu_nr_slots; i++)
		INIT_LIST_HEAD(&pcpu_chunk_lists[i]);
	pcpu_stats = (struct percpu_stats){ .min_alloc_size = (size_t)pcpu_unit_size };

	struct pcpu_chunk *chunk = pcpu_km_create_chunk(gfp);
	struct pcpu_chunk *rchunk = pcpu_alloc_chunk(gfp);
	if (!chunk || !rchunk) {
		pcpu_free_chunk(rchunk);
		if (chunk)
			pcpu_destroy_chunk(chunk);
		kfree(pcpu_chunk_lists);
		pcpu_chunk_lists = NULL;
		return -ENOMEM;
	}
	pcpu_base_addr = chunk->base_addr;
	chunk->immutable = true;
	pcpu_chunk_hide(chunk, (int)(pcpu_static_size + pcpu_reserved_size),
			pcpu_unit_size - (int)size_sum);
	/* The reserved chunk shares the first chunk's memory and pages. */
	rchunk->base_addr = chunk->base_addr;
	rchunk->data = NULL;
	rchunk->immutable = true;
	pcpu_bitmap_set(rchunk->populated, 0, rchunk->nr_pages);
	rchunk->nr_populated = rchunk->nr_pages;
	pcpu_chunk_hide(rchunk, (int)pcpu_static_size,
			pcpu_unit_size - (int)(pcpu_static_size + pcpu_reserved_size));
	spin_lock(&pcpu_lock);
	pcpu_reserved_chunk = rchunk;
	pcpu_first_chunk = chunk;
	pcpu_count_empty_pages(chunk);
	pcpu_count_empty_pages(rchunk);
	pcpu_nr_empty_pop_pages = chunk->nr_empty_pop_pages;
	pcpu_chunk_relocate(chunk, -1);
	spin_unlock(&pcpu_lock);
	return 0;
}

/* Shutdown: every chunk goes with the machine. */
void pcpu_teardown(void)
{
	struct pcpu_chunk *chunk, *next;

	if (!pcpu_chunk_lists)
		return;
	for (int slot = 0; slot < pcpu_nr_slots; slot++)
		list_for_each_entry_safe(chunk, next, &pcpu_chunk_lists[slot], list) {
			list_del_init(&chunk->list);
			pcpu_chunk_unregister(chunk);
			pcpu_destroy_chunk(chunk);
		}
	pcpu_free_chunk(pcpu_reserved_chunk);
	pcpu_first_chunk = pcpu_reserved_chunk = NULL;
	kfree(pcpu_chunk_lists);
	pcpu_chunk_lists = NULL;
	pcpu_base_addr = NULL;
	pcpu_nr_populated = 0;
	pcpu_nr_empty_pop_pages = 0;
	atomic_long_set(&kmm_meminfo.percpu_pages, 0);
	memset(__per_cpu_offset, 0, sizeof(__per_cpu_offset));
	for (unsigned int cpu = 0; cpu < nr_cpu_ids; cpu++)
		kmm_cpus[cpu].pcpu_off = 0;
}
