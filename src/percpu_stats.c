/* SPDX-License-Identifier: MIT */
/*
 * The per-CPU allocator seen from outside: the percpu_stats view (Linux's
 * debugfs percpu_stats, line for line) and kmm_check_percpu(), which
 * recomputes every hint of every chunk from its bitmaps.
 */
#include <stdio.h>
#include <stdlib.h>
#include <kmm/vmalloc.h>
#include "percpu_internal.h"

struct percpu_stats pcpu_stats;

#define P(m, X, Y) fprintf(m, "  %-20s: %12lld\n", X, (long long)(Y))

static int cmpint(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

/* Sizes of a chunk's allocations (positive) and free fragments (negative). */
static int chunk_fragments(struct pcpu_chunk *chunk, int *out)
{
	int bits = pcpu_chunk_map_bits(chunk);
	int last = pcpu_find_last_bit(chunk->alloc_map, 0,
				      bits - chunk->end_offset / PCPU_MIN_ALLOC_SIZE);
	int start = chunk->start_offset / PCPU_MIN_ALLOC_SIZE, n = 0;

	last = last >= start ? last + 1 : 0;
	while (start < last) {
		int end;

		if (pcpu_test_bit(chunk->alloc_map, start)) {
			end = pcpu_find_next_bit(chunk->bound_map, last, start + 1);
			out[n++] = (end - start) * PCPU_MIN_ALLOC_SIZE;
		} else {
			end = pcpu_find_next_bit(chunk->alloc_map, last, start + 1);
			out[n++] = -(end - start) * PCPU_MIN_ALLOC_SIZE;
		}
		start = end;
	}
	return n;
}

static void chunk_map_stats(FILE *m, struct pcpu_chunk *chunk, int *buf)
{
	int n = chunk_fragments(chunk, buf), i = 0;
	int sum_frag = 0, max_frag = 0, cur_min = 0, cur_med = 0, cur_max = 0;

	if (n > 0) {
		qsort(buf, (size_t)n, sizeof(int), cmpint);
		for (; i < n && buf[i] < 0; i++) {
			sum_frag -= buf[i];
			max_frag = max(max_frag, -buf[i]);
		}
		if (i < n) {
			cur_min = buf[i];
			cur_med = buf[(i + n - 1) / 2];
			cur_max = buf[n - 1];
		}
	}
	P(m, "nr_alloc", chunk->nr_alloc);
	P(m, "max_alloc_size", chunk->max_alloc_size);
	P(m, "empty_pop_pages", chunk->nr_empty_pop_pages);
	P(m, "first_bit", chunk->first_free);
	P(m, "free_bytes", chunk->free_bytes);
	P(m, "contig_bytes", chunk->contig_bits * PCPU_MIN_ALLOC_SIZE);
	P(m, "sum_frag", sum_frag);
	P(m, "max_frag", max_frag);
	P(m, "cur_min_alloc", cur_min);
	P(m, "cur_med_alloc", cur_med);
	P(m, "cur_max_alloc", cur_max);
	fputc('\n', m);
}

void show_percpu_stats(FILE *m)
{
	struct pcpu_chunk *chunk;
	/* At most one fragment per bit, plus one. */
	int *buf = malloc(sizeof(int) * (size_t)(pcpu_unit_size / PCPU_MIN_ALLOC_SIZE + 1));

	if (!buf || !pcpu_first_chunk) {
		free(buf);
		return;
	}
	spin_lock(&pcpu_lock);
	fprintf(m, "Percpu Memory Statistics\nAllocation Info:\n"
		   "----------------------------------------\n");
	P(m, "unit_size", pcpu_unit_size);
	P(m, "static_size", pcpu_static_size);
	P(m, "reserved_size", pcpu_reserved_size);
	P(m, "dyn_size", pcpu_dyn_size);
	P(m, "atom_size", PAGE_SIZE);
	P(m, "alloc_size", pcpu_unit_size);
	fputc('\n', m);
	fprintf(m, "Global Stats:\n----------------------------------------\n");
	fprintf(m, "  %-20s: %12llu\n", "nr_alloc", (unsigned long long)pcpu_stats.nr_alloc);
	fprintf(m, "  %-20s: %12llu\n", "nr_dealloc", (unsigned long long)pcpu_stats.nr_dealloc);
	fprintf(m, "  %-20s: %12llu\n", "nr_cur_alloc", (unsigned long long)pcpu_stats.nr_cur_alloc);
	fprintf(m, "  %-20s: %12llu\n", "nr_max_alloc", (unsigned long long)pcpu_stats.nr_max_alloc);
	fprintf(m, "  %-20s: %12llu\n", "nr_chunks", (unsigned long long)pcpu_stats.nr_chunks);
	fprintf(m, "  %-20s: %12llu\n", "nr_max_chunks", (unsigned long long)pcpu_stats.nr_max_chunks);
	fprintf(m, "  %-20s: %12llu\n", "min_alloc_size", (unsigned long long)pcpu_stats.min_alloc_size);
	fprintf(m, "  %-20s: %12llu\n", "max_alloc_size", (unsigned long long)pcpu_stats.max_alloc_size);
	P(m, "empty_pop_pages", pcpu_nr_empty_pop_pages);
	fputc('\n', m);
	fprintf(m, "Per Chunk Stats:\n----------------------------------------\n");
	if (pcpu_reserved_chunk) {
		fputs("Chunk: <- Reserved Chunk\n", m);
		chunk_map_stats(m, pcpu_reserved_chunk, buf);
	}
	for (int slot = 0; slot < pcpu_nr_slots; slot++) {
		list_for_each_entry(chunk, &pcpu_chunk_lists[slot], list) {
			if (chunk == pcpu_first_chunk)
				fputs("Chunk: <- First Chunk\n", m);
			else if (slot == pcpu_sidelined_slot)
				fputs("Chunk (sidelined):\n", m);
			else
				fputs("Chunk:\n", m);
			chunk_map_stats(m, chunk, buf);
		}
	}
	spin_unlock(&pcpu_lock);
	free(buf);
}

/* --- kmm_check() --- */
#define CHECK(cond, fmt, ...) KMM_CHECK(cond, "percpu: " fmt, ##__VA_ARGS__)

static void check_chunk(struct pcpu_chunk *chunk, int *nr_alloc, int *empty)
{
	int bits = pcpu_chunk_map_bits(chunk), free_bits = 0, allocs = 0, pop = 0, empties = 0;
	struct pcpu_block_md saved;

	/* Every allocated run is cut into allocations by the bound map. */
	for (int bit = chunk->start_offset / PCPU_MIN_ALLOC_SIZE;
	     bit < bits - chunk->end_offset / PCPU_MIN_ALLOC_SIZE;) {
		if (!pcpu_test_bit(chunk->alloc_map, bit)) {
			free_bits++;
			bit++;
			continue;
		}
		if (!pcpu_test_bit(chunk->bound_map, bit)) {
			CHECK(0, "chunk %p: allocated bit %d starts no allocation", chunk->base_addr, bit);
			break;
		}
		int end = pcpu_find_next_bit(chunk->bound_map, bits + 1, bit + 1);
		int hole = pcpu_find_next_zero_bit(chunk->alloc_map, end, bit);
		CHECK(hole == end, "chunk %p: allocation at bit %d has a free bit at %d",
		      chunk->base_addr, bit, hole);
		allocs++;
		bit = end;
	}
	CHECK(free_bits * PCPU_MIN_ALLOC_SIZE == chunk->free_bytes,
	      "chunk %p: free_bytes %d but the bitmap has %d", chunk->base_addr,
	      chunk->free_bytes, free_bits * PCPU_MIN_ALLOC_SIZE);
	CHECK(allocs == chunk->nr_alloc, "chunk %p: nr_alloc %d but the bitmap has %d",
	      chunk->base_addr, chunk->nr_alloc, allocs);
	for (int i = 0; i < pcpu_chunk_nr_blocks(chunk); i++) {
		struct pcpu_block_md *b = &chunk->md_blocks[i];

		saved = *b;
		pcpu_block_refresh(chunk, i);
		CHECK(saved.contig_hint == b->contig_hint && saved.first_free == b->first_free &&
		      saved.left_free == b->left_free && saved.right_free == b->right_free,
		      "chunk %p block %d: hints contig %d first %d left %d right %d, bitmap says %d %d %d %d",
		      chunk->base_addr, i, saved.contig_hint, saved.first_free, saved.left_free,
		      saved.right_free, b->contig_hint, b->first_free, b->left_free, b->right_free);
		CHECK(saved.scan_hint >= b->scan_hint || saved.contig_hint != b->contig_hint,
		      "chunk %p block %d: scan hint %d below a free run of %d", chunk->base_addr, i,
		      saved.scan_hint, b->scan_hint);
		if (saved.contig_hint) {
			int cs = i * (int)PCPU_BITMAP_BLOCK_BITS + saved.contig_hint_start;
			CHECK(pcpu_find_next_bit(chunk->alloc_map, cs + saved.contig_hint, cs) ==
			      cs + saved.contig_hint, "chunk %p block %d: contig hint at %d is not free",
			      chunk->base_addr, i, saved.contig_hint_start);
		}
		/* The kept hints may be bounds looser than a fresh scan's. */
		b->scan_hint = max(saved.scan_hint, b->scan_hint);
		b->contig_hint_start = saved.contig_hint == b->contig_hint ?
				       saved.contig_hint_start : b->contig_hint_start;
		if (pcpu_test_bit(chunk->populated, i)) {
			pop++;
			if (b->contig_hint == (int)PCPU_BITMAP_BLOCK_BITS)
				empties++;
		}
	}
	/* What the chunk calls populated is backed, and mapped where it says. */
	for (int cpu = 0; chunk != pcpu_reserved_chunk && cpu < pcpu_nr_units; cpu++) {
		for (int p = 0; p < chunk->nr_pages; p++) {
			void *addr = pcpu_chunk_addr(chunk, cpu, p * (int)PAGE_SIZE);
			struct page *page = pcpu_chunk_page(chunk, cpu, p);
			struct page *mapped = chunk->km ? virt_to_page(addr) : vmalloc_to_page(addr);

			if (pcpu_test_bit(chunk->populated, p))
				CHECK(page && page == mapped && page_ref_count(page) > 0,
				      "chunk %p cpu %d page %d: populated but not mapped to its page",
				      chunk->base_addr, cpu, p);
			else
				CHECK(!page && !mapped, "chunk %p cpu %d page %d: not populated but backed",
				      chunk->base_addr, cpu, p);
		}
	}
	CHECK(pop == chunk->nr_populated, "chunk %p: nr_populated %d but %d pages are",
	      chunk->base_addr, chunk->nr_populated, pop);
	CHECK(empties == chunk->nr_empty_pop_pages, "chunk %p: %d empty populated pages counted, %d found",
	      chunk->base_addr, chunk->nr_empty_pop_pages, empties);
	int contig = chunk->contig_bits, first = chunk->first_free;
	int c_first = pcpu_find_next_zero_bit(chunk->alloc_map, bits, 0);
	CHECK(first == c_first, "chunk %p: first free bit %d, bitmap says %d", chunk->base_addr,
	      first, c_first);
	int best = 0;
	for (int pos = c_first; pos < bits;) {
		int end = pcpu_find_next_bit(chunk->alloc_map, bits, pos);
		best = max(best, end - pos);
		pos = pcpu_find_next_zero_bit(chunk->alloc_map, bits, end);
	}
	CHECK(contig == best, "chunk %p: contig hint %d bits, bitmap says %d", chunk->base_addr,
	      contig, best);
	*nr_alloc += allocs;
	*empty += empties;
}

int kmm_check_percpu(void)
{
	struct pcpu_chunk *chunk;
	int nr_alloc = 0, empty = 0, chunks = 0;
	long populated = 0;

	if (!pcpu_first_chunk)
		return 0;
	spin_lock(&pcpu_lock);
	for (int slot = 0; slot < pcpu_nr_slots; slot++) {
		list_for_each_entry(chunk, &pcpu_chunk_lists[slot], list) {
			CHECK(chunk->slot == slot, "chunk %p on slot %d list, thinks %d",
			      chunk->base_addr, slot, chunk->slot);
			CHECK(slot == 0 || slot == pcpu_chunk_slot(chunk),
			      "chunk %p on slot %d, belongs on %d", chunk->base_addr, slot,
			      pcpu_chunk_slot(chunk));
			CHECK(pcpu_chunk_addr_search(chunk->base_addr) == chunk,
			      "chunk %p is not found by its address", chunk->base_addr);
			check_chunk(chunk, &nr_alloc, &empty);
			populated += chunk->nr_populated;
			chunks++;
		}
	}
	int reserved_allocs = 0, reserved_empty = 0;
	check_chunk(pcpu_reserved_chunk, &reserved_allocs, &reserved_empty);
	nr_alloc += reserved_allocs;
	CHECK((u64)nr_alloc == pcpu_stats.nr_cur_alloc, "%d allocations in the chunks, %llu counted",
	      nr_alloc, (unsigned long long)pcpu_stats.nr_cur_alloc);
	CHECK(empty == pcpu_nr_empty_pop_pages, "%d empty populated pages, %d counted",
	      empty, pcpu_nr_empty_pop_pages);
	CHECK(chunks == (int)pcpu_stats.nr_chunks, "%d chunks on the lists, %u counted",
	      chunks, pcpu_stats.nr_chunks);
	CHECK(populated * pcpu_nr_units == atomic_long_read(&kmm_meminfo.percpu_pages),
	      "%ld pages populated, Percpu says %ld", populated * pcpu_nr_units,
	      atomic_long_read(&kmm_meminfo.percpu_pages));
	spin_unlock(&pcpu_lock);
	return 0;
}
