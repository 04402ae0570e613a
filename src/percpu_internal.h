/* SPDX-License-Identifier: MIT */
/*
 * The per-CPU allocator's private types, shared by percpu.c (the chunk
 * allocator), percpu_km.c (what backs a chunk), percpu_static.c (static
 * sections, setup_per_cpu_areas, the accessors' calls), percpu_stats.c
 * (the view and kmm_check) and percpu_counter.c.
 */
#ifndef KMM_PERCPU_INTERNAL_H
#define KMM_PERCPU_INTERNAL_H

#include "internal.h"
#include <kmm/percpu.h>

/* --- the accessors' fast path inside the library (see <kmm/percpu.h>) --- */
#if defined(KMM_BUILDING_LIBRARY) || defined(KMM_PERCPU_INLINE)
static __always_inline unsigned long __kmm_get_cpu_off(void)
{
	__preempt_disable();
	return __per_cpu_offset[current->cpu];
}
#define __kmm_put_cpu()	__preempt_enable()
/*
 * One this_cpu_*() operation.  Outside any section the thread only raises
 * its active flag around the operation and leaves preempt_count alone: an
 * increment and a decrement of it would chain every operation to the one
 * before through store forwarding, which costs more than the operation.
 * Nothing that runs inside can look at preempt_count (the operation is one
 * access to per-CPU memory), and a thread that wants the CPU looks at the
 * active flag only.  Inside a section, the CPU is already held.  (A signal
 * handler that used the allocator in the middle of the operation would
 * lower the flag early; signal handlers must not allocate, as in Linux an
 * NMI must not.)
 */
struct kmm_cpu *__kmm_this_cpu_enter_slow(void);
static __always_inline unsigned long __kmm_this_cpu_off(void **held)
{
	struct task_struct *t = current;

	*held = NULL;
	if (unlikely(t->preempt_count))
		return __per_cpu_offset[t->cpu];
	/*
	 * As a section's entry: a thread waiting for the CPU is seen when the
	 * operation ends (cpu_leave_held() reads handback).  The offset is
	 * read from the CPU's first line, which the entry has just read.
	 */
	struct kmm_cpu *c = cpu_enter_held(t);

	if (unlikely(!c))
		c = __kmm_this_cpu_enter_slow();
	*held = c;
	return c->pcpu_off;
}
/* @held: what __kmm_this_cpu_off() left there. */
static __always_inline void __kmm_this_cpu_end(void *held)
{
	struct task_struct *t = current;

	if (held && unlikely(cpu_leave_held(t, held)))
		kmm_cpu_leave_slow(t);
}
static __always_inline unsigned long __kmm_raw_cpu_off(void)
{
	struct task_struct *t = current;

	return __per_cpu_offset[t->preempt_count ? t->cpu : smp_processor_id()];
}
#endif

/* --- bitmaps, a bit per PCPU_MIN_ALLOC_SIZE bytes --- */
#define BITS_TO_LONGS(n)	(((n) + BITS_PER_LONG - 1) / BITS_PER_LONG)

static inline bool pcpu_test_bit(const unsigned long *map, int bit)
{
	return (map[bit / BITS_PER_LONG] >> (bit % BITS_PER_LONG)) & 1;
}
static inline void pcpu_set_bit(unsigned long *map, int bit)
{
	map[bit / BITS_PER_LONG] |= 1UL << (bit % BITS_PER_LONG);
}
static inline void pcpu_clear_bit(unsigned long *map, int bit)
{
	map[bit / BITS_PER_LONG] &= ~(1UL << (bit % BITS_PER_LONG));
}
void pcpu_bitmap_set(unsigned long *map, int start, int nr);
void pcpu_bitmap_clear(unsigned long *map, int start, int nr);
/* The first set (or clear) bit in [start, end), or end. */
int pcpu_find_next_bit(const unsigned long *map, int end, int start);
int pcpu_find_next_zero_bit(const unsigned long *map, int end, int start);
/* The last set bit in [start, end), or start - 1. */
int pcpu_find_last_bit(const unsigned long *map, int start, int end);

/*
 * What the allocator knows of one bitmap block (a page of every unit), in
 * bits from the block's start.  contig_hint is exact: the longest free run
 * inside the block, starting at contig_hint_start (the first one, if
 * several).  scan_hint is an upper bound of every other free run; when an
 * allocation eats into the contig hint and what is left of it may be
 * shorter than scan_hint, the block is scanned again.  left_free and
 * right_free are the free runs touching the block's edges (runs may cross
 * blocks); first_free the block's first free bit (nr_bits if none).
 */
struct pcpu_block_md {
	int contig_hint;
	int contig_hint_start;
	int scan_hint;
	int left_free;
	int right_free;
	int first_free;
	int nr_bits;
};

/*
 * A chunk: nr_pages per unit, one unit per CPU at base_addr + unit offset.
 * The bitmaps cover one unit; bits below start_offset and from
 * map_bits - end_offset on are not the chunk's (the first chunk's static
 * area, the reserved region) and stay allocated.  The bound map marks the
 * first bit of each allocation and the bit after its end.
 */
struct pcpu_chunk {
	struct list_head list;		/* on pcpu_chunk_lists[slot] */
	int slot;			/* the list it is on, -1 if none */
	int free_bytes;
	int contig_bits;		/* longest free run, bits (crossing blocks) */
	int first_free;			/* first free bit */
	unsigned long *alloc_map;
	unsigned long *bound_map;
	struct pcpu_block_md *md_blocks;
	void *base_addr;		/* unit 0 */
	void *data;			/* the backend's */
	bool immutable;			/* the first and the reserved chunk */
	bool km;			/* backed by percpu_km.c */
	int start_offset, end_offset;	/* bytes not the chunk's at each end */
	int nr_pages;			/* per unit */
	int nr_populated;
	int nr_empty_pop_pages;
	int nr_alloc;			/* live allocations */
	int max_alloc_size;
	unsigned long *populated;	/* a bit per page of a unit */
};

extern spinlock_t pcpu_lock;
extern struct list_head *pcpu_chunk_lists;
extern int pcpu_nr_slots, pcpu_sidelined_slot, pcpu_free_slot;
extern int pcpu_nr_empty_pop_pages;
extern struct pcpu_chunk *pcpu_first_chunk, *pcpu_reserved_chunk;
extern void *pcpu_base_addr;
extern int pcpu_unit_pages, pcpu_unit_size, pcpu_nr_units, pcpu_chunk_bytes;
extern size_t pcpu_static_size, pcpu_reserved_size, pcpu_dyn_size;

static inline int pcpu_chunk_map_bits(const struct pcpu_chunk *chunk)
{
	return chunk->nr_pages * (int)(PAGE_SIZE / PCPU_MIN_ALLOC_SIZE);
}

static inline int pcpu_chunk_nr_blocks(const struct pcpu_chunk *chunk)
{
	return chunk->nr_pages;
}

static inline void *pcpu_chunk_addr(const struct pcpu_chunk *chunk, int cpu, int off)
{
	return (char *)chunk->base_addr + per_cpu_offset(cpu) + off;
}

/* --- percpu.c --- */
struct pcpu_chunk *pcpu_alloc_chunk(gfp_t gfp);
void pcpu_free_chunk(struct pcpu_chunk *chunk);
void pcpu_chunk_populated(struct pcpu_chunk *chunk, int start, int end);
void pcpu_chunk_depopulated(struct pcpu_chunk *chunk, int start, int end);
void __percpu *pcpu_alloc(size_t size, size_t align, bool reserved, gfp_t gfp);
int pcpu_setup_first_chunk(size_t static_size, gfp_t gfp);
void pcpu_teardown(void);
void pcpu_count_empty_pages(struct pcpu_chunk *chunk);
int pcpu_chunk_slot(const struct pcpu_chunk *chunk);
void pcpu_block_refresh(struct pcpu_chunk *chunk, int i);

/*
 * --- what backs a chunk ---
 * percpu_vm.c: a chunk is a vmalloc area of nr_units * unit_size, its
 * pages mapped on demand (populate), as Linux's percpu-vm; destroying it
 * unmaps and frees them.  percpu_km.c: the first chunk, pages of the page
 * allocator in the direct map, populated whole, as Linux's percpu-km.
 * pcpu_destroy_chunk() takes either.
 */
struct pcpu_chunk *pcpu_create_chunk(gfp_t gfp);
void pcpu_destroy_chunk(struct pcpu_chunk *chunk);
int pcpu_populate_chunk(struct pcpu_chunk *chunk, int page_start, int page_end, gfp_t gfp);
/* The page behind page @page of @cpu's unit, NULL if not populated (kmm_check). */
struct page *pcpu_chunk_page(struct pcpu_chunk *chunk, int cpu, int page);
struct pcpu_chunk *pcpu_km_create_chunk(gfp_t gfp);
void pcpu_km_destroy_chunk(struct pcpu_chunk *chunk);
/* The chunk that holds @addr (an address in any unit), or NULL. */
struct pcpu_chunk *pcpu_chunk_addr_search(const void *addr);
int pcpu_chunk_index_reserve(gfp_t gfp);
void pcpu_chunk_register(struct pcpu_chunk *chunk);
void pcpu_chunk_unregister(struct pcpu_chunk *chunk);

/* --- percpu_stats.c --- */
struct percpu_stats {
	u64 nr_alloc, nr_dealloc, nr_cur_alloc, nr_max_alloc;
	u32 nr_chunks, nr_max_chunks;
	size_t min_alloc_size, max_alloc_size;
};
extern struct percpu_stats pcpu_stats;
void show_percpu_stats(FILE *f);
int kmm_check_percpu(void);

/* --- percpu_static.c --- */
int setup_per_cpu_areas(void);
void percpu_exit(void);

/* --- percpu_km.c, percpu_counter.c: boot and shutdown --- */
void pcpu_km_exit(void);
void percpu_counter_boot(void);

#endif /* KMM_PERCPU_INTERNAL_H */
