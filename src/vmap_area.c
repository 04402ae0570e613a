/* SPDX-License-Identifier: MIT */
/*
 * The vmalloc area's address-space allocator, as Linux's mm/vmalloc.c
 * keeps it.
 *
 * Every byte of [VMALLOC_START, VMALLOC_END) is in exactly one vmap_area
 * of one of three red-black trees, all sorted by address:
 *
 *   free  augmented with subtree_max_size, the largest block in a subtree,
 *         so the lowest-address block that fits a request is found in
 *         O(log n): go left while the left subtree has a block big enough,
 *         else take this block if it fits, else go right;
 *   busy  allocated areas, found by address for vfree() and friends;
 *   lazy  freed areas whose page-table entries are cleared but whose host
 *         mappings (the "TLB") are not yet removed.
 *
 * A busy area moves to the lazy tree on free; once lazy_max_pages() pages
 * are lazy (or an allocation finds no room, or vm_unmap_aliases() asks),
 * a purge removes the host mappings of all of them, one host call for each
 * run of adjacent areas, and merges them back into the free tree with
 * their free neighbours.  Address space is reused only after that, so no
 * stale host mapping ever covers a live area.
 *
 * Allocating a block splits a free area in one of four ways (the request
 * fits it exactly, sits at its left or right end, or in its middle); only
 * the middle case needs a second descriptor, allocated before the lock is
 * taken, as Linux preloads it.
 *
 * Locking: vmap_area_lock guards the three trees and every vmap_area's
 * flags; purge_mutex lets one purge run at a time.  Host calls are made
 * without the spinlock.
 */
#include <stdlib.h>
#include "kmemleak.h"
#include "vmalloc.h"

spinlock_t vmap_area_lock;
struct rb_root vmap_busy_root, vmap_free_root, vmap_lazy_root;
atomic_long_t vmap_lazy_nr;
struct plat_mutex purge_mutex;	/* also held across fork (fork.c) */
static unsigned long vmap_start, vmap_end;
/*
 * The lazy areas a purge has taken and not yet given back to the free
 * tree: only the purger (holding purge_mutex) changes it, under
 * vmap_area_lock.  kmm_check() may stop the machine while the purger waits
 * for the host, between the two; this is where those areas are then.
 */
static struct rb_root vmap_purging;

unsigned long lazy_max_pages(void)
{
	unsigned int log = 32 - (unsigned int)__builtin_clz(num_online_cpus());

	return log * (32UL * SZ_1M / PAGE_SIZE);
}

static struct kmem_cache *vmap_area_cachep;

static struct vmap_area *va_alloc(gfp_t gfp)
{
	struct vmap_area *va = kmem_cache_zalloc(vmap_area_cachep, gfp & GFP_RECLAIM_MASK);

	/*
	 * As Linux: kmemleak scans a vmap_area from its tree links on, so its
	 * range (va_start) is no reference to the vmalloc area it describes.
	 */
	if (va)
		kmemleak_scan_area(&va->rb_node, SIZE_MAX, gfp);
	return va;
}

static void va_free(struct vmap_area *va)
{
	if (va)
		kmem_cache_free(vmap_area_cachep, va);
}

/* --- the trees --- */

static inline unsigned long subtree_max(const struct rb_node *n)
{
	return n ? rb_entry(n, struct vmap_area, rb_node)->subtree_max_size : 0;
}

static bool free_recompute(struct rb_node *n)
{
	struct vmap_area *va = rb_entry(n, struct vmap_area, rb_node);
	unsigned long m = max(va_size(va), max(subtree_max(n->rb_left), subtree_max(n->rb_right)));

	if (va->subtree_max_size == m)
		return false;
	va->subtree_max_size = m;
	return true;
}

/* A free block changed size in place: recompute up to the root. */
static void free_update(struct vmap_area *va)
{
	for (struct rb_node *n = &va->rb_node; n; n = n->rb_parent)
		free_recompute(n);
}

static void va_insert(struct vmap_area *va, struct rb_root *root, rb_recompute_fn fn)
{
	struct rb_node **link = &root->rb_node, *parent = NULL;

	while (*link) {
		struct vmap_area *t = rb_entry(*link, struct vmap_area, rb_node);

		parent = *link;
		if (va->va_end <= t->va_start)
			link = &parent->rb_left;
		else if (va->va_start >= t->va_end)
			link = &parent->rb_right;
		else {
			WARN(1, "vmalloc bug: 0x%lx-0x%lx overlaps with 0x%lx-0x%lx\n",
			     va->va_start, va->va_end, t->va_start, t->va_end);
			return;
		}
	}
	if (fn)
		va->subtree_max_size = 0;
	rb_link_node(&va->rb_node, parent, link);
	rb_insert_augmented(&va->rb_node, root, fn);
}

struct vmap_area *__find_vmap_area(unsigned long addr, bool exact)
{
	struct rb_node *n = vmap_busy_root.rb_node;

	while (n) {
		struct vmap_area *va = rb_entry(n, struct vmap_area, rb_node);

		if (addr < va->va_start)
			n = n->rb_left;
		else if (addr >= va->va_end)
			n = n->rb_right;
		else
			return !exact || addr == va->va_start ? va : NULL;
	}
	return NULL;
}

static bool tree_covers(const struct rb_root *root, unsigned long addr)
{
	const struct rb_node *n = root->rb_node;

	while (n) {
		const struct vmap_area *va = rb_entry(n, struct vmap_area, rb_node);

		if (addr < va->va_start)
			n = n->rb_left;
		else if (addr >= va->va_end)
			n = n->rb_right;
		else
			return true;
	}
	return false;
}

/* Is @addr in an area freed but whose host mappings may remain (lazy, or being purged)? */
bool vmap_lazy_covers(unsigned long addr)
{
	return tree_covers(&vmap_lazy_root, addr) || tree_covers(&vmap_purging, addr);
}

/* Where @va fits a request, or 0. */
static unsigned long va_fit(const struct vmap_area *va, unsigned long size,
			    unsigned long align, unsigned long vstart, unsigned long vend)
{
	unsigned long lo = max(va->va_start, vstart);
	unsigned long start = ALIGN(lo, align);

	if (start < lo || start + size < start)
		return 0;
	if (start + size > va->va_end || start + size > vend)
		return 0;
	return start;
}

/*
 * The lowest-address free block under @n that has room for the request.
 * A subtree whose largest block is smaller than @size is skipped whole, and
 * with page alignment the first subtree that is big enough always has a
 * fit, so the search walks one path: O(log n).
 */
static struct vmap_area *find_lowest_fit(struct rb_node *n, unsigned long size,
					 unsigned long align, unsigned long vstart,
					 unsigned long vend, unsigned long *addr)
{
	while (n && subtree_max(n) >= size) {
		struct vmap_area *va = rb_entry(n, struct vmap_area, rb_node);

		if (va->va_start > vstart && subtree_max(n->rb_left) >= size) {
			struct vmap_area *left = find_lowest_fit(n->rb_left, size, align,
								 vstart, vend, addr);
			if (left)
				return left;
		}
		if ((*addr = va_fit(va, size, align, vstart, vend)))
			return va;
		if (va->va_end >= vend)
			return NULL;
		n = n->rb_right;
	}
	return NULL;
}

/* Carve [start, start+size) out of the free block @va. */
static void clip_free_area(struct vmap_area *va, unsigned long start, unsigned long size,
			   struct vmap_area **spare)
{
	unsigned long end = start + size;

	if (va->va_start == start && va->va_end == end) {
		rb_erase_augmented(&va->rb_node, &vmap_free_root, free_recompute);
		va_free(va);
	} else if (va->va_start == start) {
		va->va_start = end;
		free_update(va);
	} else if (va->va_end == end) {
		va->va_end = start;
		free_update(va);
	} else {
		struct vmap_area *lva = *spare;

		*spare = NULL;
		lva->va_start = va->va_start;
		lva->va_end = start;
		va->va_start = end;
		free_update(va);
		va_insert(lva, &vmap_free_root, free_recompute);
	}
}

/* Put @va into the free tree, merged with the free blocks it touches. */
static void merge_or_add_vmap_area(struct vmap_area *va)
{
	struct rb_node *n = vmap_free_root.rb_node;
	struct vmap_area *prev = NULL, *next = NULL;

	while (n) {
		struct vmap_area *t = rb_entry(n, struct vmap_area, rb_node);

		if (va->va_start < t->va_start) {
			next = t;
			n = n->rb_left;
		} else {
			prev = t;
			n = n->rb_right;
		}
	}
	if (next && next->va_start == va->va_end) {
		next->va_start = va->va_start;
		if (prev && prev->va_end == va->va_start) {
			next->va_start = prev->va_start;
			rb_erase_augmented(&prev->rb_node, &vmap_free_root, free_recompute);
			va_free(prev);
		}
		free_update(next);
		va_free(va);
		return;
	}
	if (prev && prev->va_end == va->va_start) {
		prev->va_end = va->va_end;
		free_update(prev);
		va_free(va);
		return;
	}
	va->flags = 0;
	va_insert(va, &vmap_free_root, free_recompute);
}

/* --- allocating and freeing areas --- */

struct vmap_area *alloc_vmap_area(unsigned long size, unsigned long align,
				  unsigned long vstart, unsigned long vend, gfp_t gfp,
				  struct vm_struct *vm, unsigned int va_flags)
{
	struct vmap_area *va, *spare = NULL, *free;
	unsigned long addr = 0;
	bool purged = false;

	if (WARN_ON_ONCE(!size || !PAGE_ALIGNED(size) || !align || (align & (align - 1))))
		return NULL;
	if (WARN_ON_ONCE(!kmm_layout.vmalloc_start))
		return NULL;
	align = max(align, PAGE_SIZE);
	vstart = max(vstart, vmap_start);
	vend = min(vend, vmap_end);
	va = va_alloc(gfp);
	if (!va)
		return NULL;
retry:
	if (!spare)
		spare = va_alloc(gfp);
	if (!spare) {
		va_free(va);
		return NULL;
	}
	spin_lock(&vmap_area_lock);
	free = find_lowest_fit(vmap_free_root.rb_node, size, align, vstart, vend, &addr);
	if (free) {
		clip_free_area(free, addr, size, &spare);
		va->va_start = addr;
		va->va_end = addr + size;
		va->vm = vm;
		va->flags = va_flags;
		if (vm) {
			vm->addr = (void *)addr;
			vm->size = size;
		}
		va_insert(va, &vmap_busy_root, NULL);
	}
	spin_unlock(&vmap_area_lock);
	if (free) {
		va_free(spare);	/* NULL when the split used it */
		return va;
	}
	if (!purged && atomic_long_read(&vmap_lazy_nr)) {
		purge_vmap_area_lazy();
		purged = true;
		goto retry;
	}
	va_free(spare);
	va_free(va);
	if (!(gfp & __GFP_NOWARN))
		pr_warn("vmalloc_node_range for size %lu failed: Address range restricted to %#lx - %#lx\n",
			size, vstart, vend);
	return NULL;
}

void free_vmap_area(struct vmap_area *va)
{
	spin_lock(&vmap_area_lock);
	rb_erase(&va->rb_node, &vmap_busy_root);
	merge_or_add_vmap_area(va);
	spin_unlock(&vmap_area_lock);
}

bool unmap_vmap_area(unsigned long addr, bool deferred, bool ram, struct vm_struct **vmp)
{
	struct vmap_area *va;

	spin_lock(&vmap_area_lock);
	va = __find_vmap_area(addr, true);
	if (va && ((va->flags & VA_FREEING) || !(va->flags & VA_DEFERRED) == deferred ||
		   (ram ? !(va->flags & VMAP_RAM) : !va->vm)))
		va = NULL;
	if (va)
		va->flags |= VA_FREEING;
	spin_unlock(&vmap_area_lock);
	if (!va)
		return false;
	/* The area is ours now: nobody else finds a VA_FREEING one. */
	vunmap_range_noflush(va->va_start, va->va_end);
	/* As Linux flushes the TLB at once: a stale access faults right away. */
	if (unlikely(debug_pagealloc)) {
		kmm_flush_kernel_range(va->va_start, va->va_end, va->host_maps);
		va->host_maps = 0;
	}
	spin_lock(&vmap_area_lock);
	*vmp = va->vm;
	va->vm = NULL;
	rb_erase(&va->rb_node, &vmap_busy_root);
	/*
	 * VmallocUsed drops with the area's leaving the busy tree, under the
	 * same lock, so kmm_check() (which counts the busy areas' pages) never
	 * sees one without the other, whichever thread frees.
	 */
	if (*vmp && ((*vmp)->flags & VM_ALLOC))
		atomic_long_sub((*vmp)->nr_pages, &kmm_meminfo.vmalloc_pages);
	va_insert(va, &vmap_lazy_root, NULL);
	long lazy = atomic_long_add_return((long)(va_size(va) >> PAGE_SHIFT), &vmap_lazy_nr);
	spin_unlock(&vmap_area_lock);
	if ((unsigned long)lazy > lazy_max_pages() && !in_atomic())
		purge_vmap_area_lazy();
	return true;
}

/*
 * Unmap every lazy area from the host, a run of adjacent areas in one call,
 * then give their space back to the free tree.  The lazy tree is taken
 * whole, so frees that come meanwhile wait for the next purge.
 */
void purge_vmap_area_lazy(void)
{
	struct rb_node *n;

	plat_mutex_lock(&purge_mutex);
	spin_lock(&vmap_area_lock);
	vmap_purging = vmap_lazy_root;
	vmap_lazy_root = RB_ROOT;
	atomic_long_set(&vmap_lazy_nr, 0);
	spin_unlock(&vmap_area_lock);

	unsigned long start = 0, end = 0;
	long maps = 0;
	for (n = rb_first(&vmap_purging); n; n = rb_next(n)) {
		struct vmap_area *va = rb_entry(n, struct vmap_area, rb_node);

		if (va->va_start != end) {
			kmm_flush_kernel_range(start, end, maps);
			start = va->va_start;
			maps = 0;
		}
		end = va->va_end;
		maps += va->host_maps;
	}
	kmm_flush_kernel_range(start, end, maps);

	/*
	 * The host no longer maps any of it: back to the free tree.  No one
	 * walks the batch while the lock is held, so its nodes are taken
	 * leftmost first without rebalancing it.
	 */
	spin_lock(&vmap_area_lock);
	while ((n = rb_first(&vmap_purging))) {
		struct vmap_area *va = rb_entry(n, struct vmap_area, rb_node);

		if (n->rb_right)
			n->rb_right->rb_parent = n->rb_parent;
		if (n->rb_parent)
			n->rb_parent->rb_left = n->rb_right;
		else
			vmap_purging.rb_node = n->rb_right;
		va->vm = NULL;
		va->host_maps = 0;
		merge_or_add_vmap_area(va);
	}
	spin_unlock(&vmap_area_lock);
	plat_mutex_unlock(&purge_mutex);
}

void vm_unmap_aliases(void)
{
	might_sleep();
	purge_vmap_area_lazy();
}

/* --- boot, shutdown, checks --- */

int vmap_init(unsigned long start, unsigned long end)
{
	if (!vmap_area_cachep)
		vmap_area_cachep = kmem_cache_create("vmap_area", sizeof(struct vmap_area), 0,
						     0, NULL);
	if (!vmap_area_cachep)
		return -ENOMEM;
	struct vmap_area *va = va_alloc(GFP_KERNEL);

	if (!va)
		return -ENOMEM;
	spin_lock_init(&vmap_area_lock);
	vmap_busy_root = vmap_free_root = vmap_lazy_root = RB_ROOT;
	atomic_long_set(&vmap_lazy_nr, 0);
	vmap_start = start;
	vmap_end = end;
	va->va_start = start;
	va->va_end = end;
	va_insert(va, &vmap_free_root, free_recompute);
	return 0;
}

static void free_tree(struct rb_node *n)
{
	if (!n)
		return;
	free_tree(n->rb_left);
	free_tree(n->rb_right);
	va_free(rb_entry(n, struct vmap_area, rb_node));
}

/* At shutdown: the descriptors go; the slab layer goes right after. */
void vmap_exit(void)
{
	free_tree(vmap_free_root.rb_node);
	free_tree(vmap_lazy_root.rb_node);
	vmap_free_root = vmap_lazy_root = vmap_purging = RB_ROOT;
	vmap_area_cachep = NULL;	/* the slab layer goes down next */
}

static unsigned long check_free_node(const struct rb_node *n)
{
	if (!n)
		return 0;
	const struct vmap_area *va = rb_entry(n, struct vmap_area, rb_node);
	unsigned long m = max(va_size(va), max(check_free_node(n->rb_left),
					       check_free_node(n->rb_right)));
	KMM_CHECK(va->subtree_max_size == m, "free vmap area 0x%lx-0x%lx: subtree_max_size %lu, should be %lu",
		  va->va_start, va->va_end, va->subtree_max_size, m);
	return m;
}

/*
 * The trees tile the vmalloc range: each is a valid red-black tree sorted
 * by address, the free tree's maxima are exact, no two free blocks touch
 * (they would have been merged), and free + busy + lazy (+ a purge's
 * batch in flight) cover [VMALLOC_START, VMALLOC_END) exactly once.
 */
void vmap_check(void)
{
	struct rb_root *roots[] = { &vmap_free_root, &vmap_busy_root, &vmap_lazy_root, &vmap_purging };
	const char *names[] = { "free", "busy", "lazy", "purging" };
	unsigned long total = 0, lazy_pages = 0;

	for (int i = 0; i < 4; i++) {
		long nodes = rb_validate(roots[i]);
		KMM_CHECK(nodes >= 0, "vmap %s tree breaks the red-black rules", names[i]);
		if (nodes < 0)
			return;
		unsigned long prev_end = 0;
		for (struct rb_node *n = rb_first(roots[i]); n; n = rb_next(n)) {
			struct vmap_area *va = rb_entry(n, struct vmap_area, rb_node);

			KMM_CHECK(va->va_start < va->va_end && va->va_start >= prev_end &&
				  va->va_start >= vmap_start && va->va_end <= vmap_end,
				  "vmap %s area 0x%lx-0x%lx out of order or out of range",
				  names[i], va->va_start, va->va_end);
			if (i == 0)
				KMM_CHECK(va->va_start != prev_end || prev_end == 0,
					  "free vmap areas touch at 0x%lx unmerged", prev_end);
			if (i == 2)
				lazy_pages += va_size(va) >> PAGE_SHIFT;
			prev_end = va->va_end;
			total += va_size(va);
		}
	}
	check_free_node(vmap_free_root.rb_node);
	KMM_CHECK(total == vmap_end - vmap_start, "vmap trees cover %lu bytes of %lu", total,
		  vmap_end - vmap_start);
	KMM_CHECK(lazy_pages == (unsigned long)atomic_long_read(&vmap_lazy_nr),
		  "lazy vmap areas hold %lu pages, counted %ld", lazy_pages,
		  atomic_long_read(&vmap_lazy_nr));
	/* Overlaps across trees: a walk of all three merged by address. */
	struct rb_node *it[4];
	for (int i = 0; i < 4; i++)
		it[i] = rb_first(roots[i]);
	unsigned long at = vmap_start;
	for (;;) {
		int best = -1;
		for (int i = 0; i < 4; i++)
			if (it[i] && (best < 0 || rb_entry(it[i], struct vmap_area, rb_node)->va_start <
						  rb_entry(it[best], struct vmap_area, rb_node)->va_start))
				best = i;
		if (best < 0)
			break;
		struct vmap_area *va = rb_entry(it[best], struct vmap_area, rb_node);
		KMM_CHECK(va->va_start == at, "vmap %s area 0x%lx-0x%lx: gap or overlap at 0x%lx",
			  names[best], va->va_start, va->va_end, at);
		at = va->va_end;
		it[best] = rb_next(it[best]);
	}
}

void show_vmap_lazy(FILE *f)
{
	spin_lock(&vmap_area_lock);
	for (struct rb_node *n = rb_first(&vmap_lazy_root); n; n = rb_next(n)) {
		struct vmap_area *va = rb_entry(n, struct vmap_area, rb_node);
		fprintf(f, "0x%016lx-0x%016lx %7ld unpurged vm_area\n", va->va_start, va->va_end,
			(long)va_size(va));
	}
	spin_unlock(&vmap_area_lock);
}
