/* SPDX-License-Identifier: MIT */
/*
 * vmalloc-backed per-CPU chunks, as Linux's mm/percpu-vm.c.
 *
 * A chunk is one vmalloc area of nr_units * unit_size bytes (and a guard
 * page): unit u at base + u * unit_size, the layout of every chunk, so the
 * per-CPU offsets hold for it.  Nothing is mapped when the chunk is made.
 * pcpu_populate_chunk() backs pages [start, end) of every unit with fresh
 * pages, mapped into the page table and the host, so a chunk costs memory
 * only for what has been allocated from it: a sleeping allocation
 * populates what it got, an atomic one uses populated pages only.  The
 * pages stay until the chunk is destroyed (Linux's balance work also
 * depopulates empty pages of busy chunks; kmm has no such worker yet).
 *
 * The chunk keeps its pages in a table, unit-major, for kmm_check() and
 * for freeing them.  Destroying sleeps (the area's unmapping may purge
 * lazily freed vmalloc areas); free_percpu() leaves a chunk it cannot
 * destroy for the next sleeping caller.
 */
#include <kmm/vmalloc.h>
#include "percpu_internal.h"

struct pcpu_vm {
	struct vm_struct *vm;
	struct page *pages[];	/* [unit * nr_pages + page] */
};

struct pcpu_chunk *pcpu_create_chunk(gfp_t gfp)
{
	size_t nr = (size_t)pcpu_nr_units * (size_t)pcpu_unit_pages;
	struct pcpu_vm *v;

	if (pcpu_chunk_index_reserve(gfp))
		return NULL;
	struct pcpu_chunk *chunk = pcpu_alloc_chunk(gfp);
	if (!chunk)
		return NULL;
	v = kzalloc(sizeof(*v) + nr * sizeof(struct page *), gfp);
	if (v)
		v->vm = get_vm_area_caller((unsigned long)pcpu_chunk_bytes, VM_SPARSE,
					   __builtin_return_address(0));
	if (!v || !v->vm) {
		kfree(v);
		pcpu_free_chunk(chunk);
		return NULL;
	}
	chunk->data = v;
	chunk->base_addr = v->vm->addr;
	spin_lock(&pcpu_lock);
	pcpu_chunk_register(chunk);
	pcpu_stats.nr_chunks++;
	pcpu_stats.nr_max_chunks = max(pcpu_stats.nr_max_chunks, pcpu_stats.nr_chunks);
	spin_unlock(&pcpu_lock);
	return chunk;
}

/* Free the pages of [start, end) of units [0, nr_units). */
static void pcpu_free_pages(struct pcpu_vm *v, int nr_units, int start, int end)
{
	for (int u = 0; u < nr_units; u++)
		for (int p = start; p < end; p++) {
			struct page **pp = &v->pages[u * pcpu_unit_pages + p];
			if (*pp)
				__free_page(*pp);
			*pp = NULL;
		}
}

int pcpu_populate_chunk(struct pcpu_chunk *chunk, int page_start, int page_end, gfp_t gfp)
{
	struct pcpu_vm *v = chunk->data;
	int nr = page_end - page_start;
	gfp_t page_gfp = GFP_KERNEL | __GFP_HIGHMEM | (gfp & (__GFP_NORETRY | __GFP_NOWARN));

	if (chunk->km)
		return 0;
	for (int u = 0; u < pcpu_nr_units; u++) {
		struct page **pages = &v->pages[u * pcpu_unit_pages + page_start];
		unsigned long addr = (unsigned long)pcpu_chunk_addr(chunk, u, page_start * (int)PAGE_SIZE);

		for (int p = 0; p < nr; p++) {
			pages[p] = alloc_page(page_gfp);
			if (!pages[p])
				goto fail;
		}
		if (vmap_pages_in_area(addr, pages, (unsigned long)nr, PAGE_KERNEL))
			goto fail;
		continue;
fail:
		/*
		 * Units before @u are mapped: unmap them from the host too, now,
		 * since their pages go back to the buddy allocator and the chunk
		 * stays (a stale mapping would alias the pages' next user).
		 */
		for (int w = 0; w < u; w++) {
			unsigned long a = (unsigned long)pcpu_chunk_addr(chunk, w, page_start * (int)PAGE_SIZE);
			vunmap_pages_in_area(a, &v->pages[w * pcpu_unit_pages + page_start],
					     (unsigned long)nr);
		}
		pcpu_free_pages(v, u + 1, page_start, page_end);
		return -ENOMEM;
	}
	return 0;
}

struct page *pcpu_chunk_page(struct pcpu_chunk *chunk, int cpu, int page)
{
	if (chunk->km)
		return virt_to_page(pcpu_chunk_addr(chunk, cpu, page * (int)PAGE_SIZE));
	return ((struct pcpu_vm *)chunk->data)->pages[cpu * pcpu_unit_pages + page];
}

/* @chunk is on no list and not in the index any more.  Context: sleepable. */
void pcpu_destroy_chunk(struct pcpu_chunk *chunk)
{
	struct pcpu_vm *v = chunk->data;

	if (chunk->km) {
		pcpu_km_destroy_chunk(chunk);
		return;
	}
	spin_lock(&pcpu_lock);
	for (int p = 0; p < chunk->nr_pages; p++)
		if (pcpu_test_bit(chunk->populated, p))
			pcpu_chunk_depopulated(chunk, p, p + 1);
	pcpu_stats.nr_chunks--;
	spin_unlock(&pcpu_lock);
	free_vm_area(v->vm);
	pcpu_free_pages(v, pcpu_nr_units, 0, chunk->nr_pages);
	kfree(v);
	pcpu_free_chunk(chunk);
}
