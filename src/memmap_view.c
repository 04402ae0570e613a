/* SPDX-License-Identifier: MIT */
/*
 * The physical memory map as a view: what holds each page frame.  This is
 * what the workbench's picture of RAM is drawn from (and what Linux's
 * /proc/kpageflags plus page-types would tell about a real machine).
 *
 * Each pfn is classified from its struct page: a buddy block (with its
 * order) or a page on a per-CPU list is free; PageSlab pages belong to
 * their cache (numbered, so a picture can colour by cache); PageTable pages
 * are page tables; reserved pages and frames beyond the RAM are what they
 * are.  Pages a vmalloc area holds carry no flag of their own (neither in
 * Linux), so the busy vmap areas are walked and their pages marked; so are
 * the pages of live kernel stacks (task_stack.c), from the page allocator
 * or from vmalloc.  Struct
 * pages of sections not yet initialised (deferred init) are never touched:
 * those frames are reported as not yet initialised, which is free memory.
 *
 * The machine is stopped while it is looked at, so the picture is of one
 * instant.
 */
#include "internal.h"
#include "page_alloc.h"
#include "slab.h"
#include "vmalloc.h"

#define MAX_NAMED_CACHES 4096

static const char *cache_names[MAX_NAMED_CACHES] __page_aligned_bss;
static char cache_name_buf[MAX_NAMED_CACHES][32] __page_aligned_bss;
static unsigned int nr_cache_names;

static const char *const use_names[NR_KMM_PAGE_USES] = {
	[KMM_PAGE_HOLE] = "hole",
	[KMM_PAGE_RESERVED] = "reserved",
	[KMM_PAGE_FREE] = "free",
	[KMM_PAGE_UNINIT] = "free (not yet initialised)",
	[KMM_PAGE_SLAB] = "slab",
	[KMM_PAGE_PGTABLE] = "page table",
	[KMM_PAGE_VMALLOC] = "vmalloc",
	[KMM_PAGE_KSTACK] = "kernel stack",
	[KMM_PAGE_PERCPU] = "per-CPU",
	[KMM_PAGE_OTHER] = "allocated",
};

const char *kmm_page_use_name(enum kmm_page_use use)
{
	return use < NR_KMM_PAGE_USES ? use_names[use] : "?";
}

const char *kmm_describe_cache_name(unsigned int id)
{
	return id < nr_cache_names ? cache_names[id] : NULL;
}

static unsigned int cache_id(const struct kmem_cache *s)
{
	unsigned int i = 0;
	struct kmem_cache *s2;

	list_for_each_entry(s2, &slab_caches, list) {
		if (s2 == s)
			return i;
		i++;
	}
	return 0;
}

struct describe {
	unsigned long start, nr;
	struct kmm_page_info *out;
};

static void set_range(struct describe *d, unsigned long pfn, unsigned long n,
		      struct kmm_page_info info)
{
	unsigned long end = pfn + n;

	if (end <= d->start || pfn >= d->start + d->nr)
		return;
	pfn = max(pfn, d->start);
	end = min(end, d->start + d->nr);
	for (; pfn < end; pfn++)
		d->out[pfn - d->start] = info;
}

static void mark_kstack(unsigned long pfn, unsigned long nr, void *arg)
{
	set_range(arg, pfn, nr, (struct kmm_page_info){ KMM_PAGE_KSTACK, 0, 0 });
}

static void describe_locked(void *arg)
{
	struct describe *d = arg;
	unsigned long end = d->start + d->nr, pfn = d->start;

	/* Name the caches in list order; a slab page carries its index. */
	struct kmem_cache *s;

	nr_cache_names = 0;
	list_for_each_entry(s, &slab_caches, list) {
		if (nr_cache_names == MAX_NAMED_CACHES)
			break;
		snprintf(cache_name_buf[nr_cache_names], sizeof(cache_name_buf[0]), "%s", s->name);
		cache_names[nr_cache_names] = cache_name_buf[nr_cache_names];
		nr_cache_names++;
	}

	while (pfn < end) {
		struct kmm_page_info info = { KMM_PAGE_OTHER, 0, 0 };
		unsigned long n = 1;

		if (pfn >= max_pfn) {
			info.use = KMM_PAGE_HOLE;
			n = end - pfn;
		} else if (pfn_is_deferred(pfn)) {
			info.use = KMM_PAGE_UNINIT;
		} else {
			struct page *page = pfn_to_page(pfn);

			if (PageBuddy(page)) {
				info.use = KMM_PAGE_FREE;
				info.order = (unsigned char)buddy_order(page);
				n = 1UL << info.order;
			} else if (PageTail(page)) {
				/* A compound page seen from its middle: its head says. */
				struct page *head = compound_head(page);
				unsigned long hpfn = page_to_pfn(head);
				if (PageSlab(head)) {
					info.use = KMM_PAGE_SLAB;
					info.cache = (unsigned short)cache_id(((struct slab *)head)->slab_cache);
				}
				n = hpfn + compound_nr(head) - pfn;
			} else if (PageSlab(page)) {
				info.use = KMM_PAGE_SLAB;
				info.cache = (unsigned short)cache_id(((struct slab *)page)->slab_cache);
				n = PageHead(page) ? compound_nr(page) : 1;
			} else if (PageTable(page)) {
				info.use = KMM_PAGE_PGTABLE;
			} else if (PageReserved(page)) {
				info.use = KMM_PAGE_RESERVED;
			} else if (!page_ref_count(page)) {
				info.use = KMM_PAGE_FREE;	/* on a per-CPU list */
			} else if (PageHead(page)) {
				n = compound_nr(page);
			}
		}
		set_range(d, pfn, n, info);
		pfn += n;
	}

	/* vmalloc'ed pages: only the areas know them. */
	spin_lock(&vmap_area_lock);
	for (struct rb_node *rb = rb_first(&vmap_busy_root); rb; rb = rb_next(rb)) {
		struct vmap_area *va = rb_entry(rb, struct vmap_area, rb_node);
		struct vm_struct *vm = va->vm;

		if (!vm || !vm->pages || (vm->flags & VM_UNINITIALIZED))
			continue;
		for (unsigned int i = 0; i < vm->nr_pages; i++) {
			struct kmm_page_info info = { KMM_PAGE_VMALLOC, 0, 0 };
			set_range(d, page_to_pfn(vm->pages[i]), 1, info);
		}
	}
	spin_unlock(&vmap_area_lock);

	/* Kernel stacks, vmalloc'ed or not: the list of live ones knows them. */
	kstack_for_each_range(mark_kstack, d);
}

int kmm_describe_pages(unsigned long start, unsigned long nr, struct kmm_page_info *out)
{
	struct describe d = { start, nr, out };

	if (!kmm_machine_up)
		return -ENODEV;
	plat_mutex_lock(&slab_mutex);
	kmm_stop_machine(describe_locked, &d);
	plat_mutex_unlock(&slab_mutex);
	return 0;
}
