/* SPDX-License-Identifier: MIT */
/*
 * The first chunk's memory: pages from the page allocator, as Linux's
 * mm/percpu-km.c (and as its embedding first chunk lives in the direct
 * map).  The units are one physically contiguous run of nr_units *
 * unit_pages pages, addressed through the direct map and populated whole
 * when the chunk is made.  The run is allocated at the next power of two
 * and its tail given back (split_page), so no page is wasted.  Later
 * chunks are vmalloc-backed and populated on demand (percpu_vm.c).
 *
 * Also here: finding the chunk of an address.  Chunks are kept in an array
 * sorted by base address (under pcpu_lock), searched by bisection.
 */
#include "percpu_internal.h"

static struct pcpu_chunk **chunk_index;
static int chunk_index_nr, chunk_index_cap;

static unsigned int order_base_2(unsigned long n)
{
	return n <= 1 ? 0 : (unsigned int)(BITS_PER_LONG - __builtin_clzl(n - 1));
}

/* Room for one more chunk in the index; sleepable, before pcpu_lock. */
int pcpu_chunk_index_reserve(gfp_t gfp)
{
	if (chunk_index_nr < chunk_index_cap)
		return 0;
	int cap = chunk_index_cap ? chunk_index_cap * 2 : 64;
	struct pcpu_chunk **n = kcalloc((size_t)cap, sizeof(*n), gfp), **old;
	if (!n)
		return -ENOMEM;
	spin_lock(&pcpu_lock);
	if (chunk_index_nr)
		memcpy(n, chunk_index, sizeof(*n) * (size_t)chunk_index_nr);
	old = chunk_index;
	chunk_index = n;
	chunk_index_cap = cap;
	spin_unlock(&pcpu_lock);
	kfree(old);
	return 0;
}

/* pcpu_lock held; room reserved. */
void pcpu_chunk_register(struct pcpu_chunk *chunk)
{
	int i = chunk_index_nr;

	while (i > 0 && (char *)chunk_index[i - 1]->base_addr > (char *)chunk->base_addr) {
		chunk_index[i] = chunk_index[i - 1];
		i--;
	}
	chunk_index[i] = chunk;
	chunk_index_nr++;
}

/* pcpu_lock held. */
void pcpu_chunk_unregister(struct pcpu_chunk *chunk)
{
	for (int i = 0; i < chunk_index_nr; i++) {
		if (chunk_index[i] != chunk)
			continue;
		memmove(&chunk_index[i], &chunk_index[i + 1],
			sizeof(*chunk_index) * (size_t)(chunk_index_nr - i - 1));
		chunk_index_nr--;
		return;
	}
}

struct pcpu_chunk *pcpu_chunk_addr_search(const void *addr)
{
	const char *a = addr;
	int lo = 0, hi = chunk_index_nr - 1;

	while (lo <= hi) {
		int mid = (lo + hi) / 2;
		struct pcpu_chunk *c = chunk_index[mid];
		const char *base = c->base_addr;

		if (a < base) {
			hi = mid - 1;
		} else if (a >= base + pcpu_chunk_bytes) {
			lo = mid + 1;
		} else {
			long off = (a - base) % pcpu_unit_size;
			/* The first chunk's reserved region is the reserved chunk's. */
			if (c == pcpu_first_chunk && pcpu_reserved_chunk &&
			    off >= (long)pcpu_static_size &&
			    off < (long)(pcpu_static_size + pcpu_reserved_size))
				return pcpu_reserved_chunk;
			return c;
		}
	}
	return NULL;
}

struct pcpu_chunk *pcpu_km_create_chunk(gfp_t gfp)
{
	unsigned long nr_pages = (unsigned long)pcpu_chunk_bytes >> PAGE_SHIFT;
	unsigned int order = order_base_2(nr_pages);
	gfp_t page_gfp = GFP_KERNEL | (gfp & (__GFP_NORETRY | __GFP_NOWARN));

	if (order > MAX_PAGE_ORDER) {
		pr_err("percpu: a chunk of %lu pages (%d units of %d KiB) is more than one page allocation can hold\n",
		       nr_pages, pcpu_nr_units, pcpu_unit_size >> 10);
		return NULL;
	}
	if (pcpu_chunk_index_reserve(gfp))
		return NULL;
	struct pcpu_chunk *chunk = pcpu_alloc_chunk(gfp);
	if (!chunk)
		return NULL;
	struct page *pages = alloc_pages(page_gfp, order);
	if (!pages) {
		pcpu_free_chunk(chunk);
		return NULL;
	}
	if (nr_pages < (1UL << order)) {
		split_page(pages, order);
		for (unsigned long i = nr_pages; i < (1UL << order); i++)
			__free_pages(pages + i, 0);
	}
	chunk->data = pages;
	chunk->km = true;
	chunk->base_addr = page_address(pages);
	spin_lock(&pcpu_lock);
	pcpu_chunk_register(chunk);
	pcpu_chunk_populated(chunk, 0, chunk->nr_pages);
	pcpu_stats.nr_chunks++;
	pcpu_stats.nr_max_chunks = max(pcpu_stats.nr_max_chunks, pcpu_stats.nr_chunks);
	spin_unlock(&pcpu_lock);
	return chunk;
}

/* @chunk is on no list and not in the index any more. */
void pcpu_km_destroy_chunk(struct pcpu_chunk *chunk)
{
	unsigned long nr_pages = (unsigned long)pcpu_chunk_bytes >> PAGE_SHIFT;
	struct page *pages = chunk->data;

	spin_lock(&pcpu_lock);
	pcpu_chunk_depopulated(chunk, 0, chunk->nr_pages);
	pcpu_stats.nr_chunks--;
	spin_unlock(&pcpu_lock);
	if (nr_pages < (1UL << order_base_2(nr_pages))) {
		for (unsigned long i = 0; i < nr_pages; i++)
			__free_pages(pages + i, 0);
	} else {
		__free_pages(pages, order_base_2(nr_pages));
	}
	pcpu_free_chunk(chunk);
}

void pcpu_km_exit(void)
{
	kfree(chunk_index);
	chunk_index = NULL;
	chunk_index_nr = chunk_index_cap = 0;
}
