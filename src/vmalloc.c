/* SPDX-License-Identifier: MIT */
/*
 * vmalloc, vmap and the vm_struct API, as Linux's mm/vmalloc.c.
 *
 * An allocation goes through these states:
 *
 *   __get_vm_area_node   descriptor (kmalloc) + address range (vmap_area.c),
 *                        VM_UNINITIALIZED: in the busy tree, not yet mapped
 *   __vmalloc_area_node  page array (kmalloc, or vmalloc itself when it is
 *                        bigger than a page: "vpages"), pages from
 *                        alloc_pages_bulk (high memory allowed), page-table
 *                        entries and host mappings; VM_UNINITIALIZED cleared
 *   vfree                entries cleared, area lazy (still host mapped),
 *                        pages and descriptor freed at once; the host
 *                        mapping goes at the next purge
 *
 * Any failure on the way unwinds through vfree(), so nothing is left half
 * made.  A vfree() that may not sleep (preemption disabled) marks the area
 * VA_DEFERRED and hands it to a worker thread, as Linux hands it to a work
 * item; the area stays busy until then, so a second free is still caught.
 *
 * Bad frees are validated before anything changes and reported in Linux's
 * words ("Trying to vfree() bad address", "... nonexistent vm area").
 */
#include "kmemleak.h"
#include "vmalloc.h"
#include <limits.h>
#include <kmm/vmstat.h>
#include "param.h"

#define IOREMAP_MAX_ORDER	(7 + PAGE_SHIFT)

/* nohugevmalloc, as Linux's: VM_ALLOW_HUGE_VMAP asks for nothing. */
static bool vmap_allow_huge = true;

static int set_nohugevmalloc(const char *val)
{
	(void)val;
	vmap_allow_huge = false;
	return 0;
}

static void reset_nohugevmalloc(void)
{
	vmap_allow_huge = true;
}
kmm_param("nohugevmalloc", set_nohugevmalloc, reset_nohugevmalloc);

/*
 * The deferred frees and the worker that does them, started by the first
 * vfree_atomic() (plat_lazy_start()): most programs never defer a free.
 */
static struct vmap_area *deferred_list;
static struct {
	struct plat_lazy_thread thread;
	struct plat_mutex mutex;
	unsigned int seq;
	bool stop;
	bool start_failed;	/* reported once */
} vfree_worker;

static void vmalloc_report(void)
{
	kmm_report_count_inc(KMM_REPORT_VMALLOC);
}

bool is_vmalloc_addr(const void *x)
{
	unsigned long a = (unsigned long)x;

	return a >= VMALLOC_START && a < VMALLOC_END;
}

unsigned long vmalloc_nr_pages(void)
{
	return (unsigned long)atomic_long_read(&kmm_meminfo.vmalloc_pages);
}

struct page *vmalloc_to_page(const void *addr)
{
	pte_t *ptep = kmm_lookup_pte((unsigned long)addr);

	if (!ptep)
		return NULL;
	pte_t pte = ptep_get(ptep);
	if (!pte_present(pte) || !pfn_valid(pte_pfn(pte)))
		return NULL;
	return pte_page(pte);
}

unsigned long vmalloc_to_pfn(const void *addr)
{
	pte_t *ptep = kmm_lookup_pte((unsigned long)addr);

	return ptep && pte_present(ptep_get(ptep)) ? pte_pfn(ptep_get(ptep)) : 0;
}

/* --- areas --- */

static struct vm_struct *__get_vm_area_node(unsigned long size, unsigned long align,
					    unsigned long flags, unsigned long start,
					    unsigned long end, int node, gfp_t gfp,
					    const void *caller, struct vmap_area **vap)
{
	struct vm_struct *area;
	struct vmap_area *va;

	size = PAGE_ALIGN(size);
	if (unlikely(!size))
		return NULL;
	if (flags & VM_IOREMAP) {
		unsigned int shift = 64 - (unsigned int)__builtin_clzl(size);
		align = 1UL << clamp(shift, (unsigned int)PAGE_SHIFT, (unsigned int)IOREMAP_MAX_ORDER);
	}
	if (!(flags & VM_NO_GUARD)) {
		if (size + PAGE_SIZE < size)
			return NULL;
		size += PAGE_SIZE;
	}
	area = kzalloc_node(sizeof(*area), gfp & GFP_RECLAIM_MASK, node);
	if (unlikely(!area))
		return NULL;
	area->flags = flags;
	area->caller = caller;
	va = alloc_vmap_area(size, align, start, end, gfp, area, 0);
	if (!va) {
		kfree(area);
		return NULL;
	}
	if (vap)
		*vap = va;
	return area;
}

struct vm_struct *__get_vm_area_caller(unsigned long size, unsigned long flags,
				       unsigned long start, unsigned long end,
				       const void *caller)
{
	return __get_vm_area_node(size, 1, flags, start, end, NUMA_NO_NODE, GFP_KERNEL,
				  caller, NULL);
}

struct vm_struct *get_vm_area_caller(unsigned long size, unsigned long flags,
				     const void *caller)
{
	return __get_vm_area_caller(size, flags, VMALLOC_START, VMALLOC_END, caller);
}

struct vm_struct *get_vm_area(unsigned long size, unsigned long flags)
{
	return get_vm_area_caller(size, flags, __builtin_return_address(0));
}

struct vm_struct *find_vm_area(const void *addr)
{
	struct vm_struct *vm = NULL;

	spin_lock(&vmap_area_lock);
	struct vmap_area *va = __find_vmap_area((unsigned long)addr, false);
	if (va && !(va->flags & VA_FREEING))
		vm = va->vm;
	spin_unlock(&vmap_area_lock);
	return vm;
}

static struct vm_struct *__remove_vm_area(const void *addr, bool deferred)
{
	struct vm_struct *vm;

	if (WARN(!PAGE_ALIGNED(addr), "Trying to vfree() bad address (%p)\n", addr)) {
		vmalloc_report();
		return NULL;
	}
	if (!unmap_vmap_area((unsigned long)addr, deferred, false, &vm))
		return NULL;
	return vm;
}

struct vm_struct *remove_vm_area(const void *addr)
{
	might_sleep();
	return __remove_vm_area(addr, false);
}

void free_vm_area(struct vm_struct *area)
{
	struct vm_struct *ret = remove_vm_area(area->addr);

	if (WARN(ret != area, "free_vm_area: %p is not a live vm area\n", area->addr)) {
		vmalloc_report();
		return;
	}
	kfree(area);
}

/*
 * Map @nr pages at the area's start.  Host mappings are bounded by
 * vm.max_map_count: near it, lazy areas are purged first, and if that does
 * not make room the request fails with a report naming the sysctl.
 *
 * One purge and one retry are not enough when other threads allocate and
 * free too: between our purge and our retry they may take the room it made
 * and leave lazy areas of their own holding it (two threads on a loaded
 * host, each near the bound, did).  So we purge again as long as there were
 * lazy areas to give back; only when a purge found none is the host really
 * full of live mappings.  The first failure purges regardless: a purge by
 * another thread may hold what it took off the lazy count.
 */
static int vm_map_pages(unsigned long addr, pgprot_t prot, struct page **pages,
			unsigned long nr, phys_addr_t phys, unsigned long vm_flags)
{
	bool private = vm_flags & VM_KMM_PRIVATE, huge = vm_flags & VM_ALLOW_HUGE_VMAP;
	unsigned long end = addr + nr * PAGE_SIZE;
	bool lazy = true;
	long maps;

	for (;;) {
		maps = private ? vmap_private_pages_range(addr, end, prot, pages, huge)
			: pages ? vmap_pages_range(addr, end, prot, pages)
				: vmap_range_phys(addr, end, phys, prot);
		if (maps != -ENOSPC)
			break;
		if (!lazy) {
			pr_err("vmalloc: %ld host mappings, near vm.max_map_count (%ld): raise sysctl vm.max_map_count\n",
			       plat_nr_mappings(), plat_max_mappings(LONG_MAX));
			vmalloc_report();
			return -ENOMEM;
		}
		lazy = atomic_long_read(&vmap_lazy_nr) != 0;
		purge_vmap_area_lazy();
	}
	if (maps < 0)
		return (int)maps;
	spin_lock(&vmap_area_lock);
	struct vmap_area *va = __find_vmap_area(addr, false);
	if (!WARN_ON_ONCE(!va))
		va->host_maps += maps;
	spin_unlock(&vmap_area_lock);
	return 0;
}

/* Map @nr pages at @addr, inside a live area (how per-CPU chunks are populated). */
int vmap_pages_in_area(unsigned long addr, struct page **pages, unsigned long nr, pgprot_t prot)
{
	return vm_map_pages(addr, prot, pages, nr, 0, 0);
}

/*
 * Undo vmap_pages_in_area() of the same @pages at @addr, host mappings
 * included at once: the pages are about to be freed, and a stale host
 * mapping would alias their next user (a per-CPU populate that failed).
 */
void vunmap_pages_in_area(unsigned long addr, struct page **pages, unsigned long nr)
{
	long runs = 0;

	for (unsigned long i = 1; i <= nr; i++)
		if (i == nr || page_to_pfn(pages[i]) != page_to_pfn(pages[i - 1]) + 1)
			runs++;
	/* The same pages were one stretch, charged so. */
	long maps = plat_map_cost(runs);
	vunmap_range_noflush(addr, addr + nr * PAGE_SIZE);
	kmm_flush_kernel_range(addr, addr + nr * PAGE_SIZE, maps);
	spin_lock(&vmap_area_lock);
	struct vmap_area *va = __find_vmap_area(addr, false);
	if (!WARN_ON_ONCE(!va))
		va->host_maps -= (int)maps;
	spin_unlock(&vmap_area_lock);
}

int map_vm_area(struct vm_struct *area, pgprot_t prot)
{
	return vm_map_pages((unsigned long)area->addr, prot, area->pages, area->nr_pages, 0, 0);
}

/* --- vmalloc --- */

/*
 * Zero the pages of an area by runs of contiguous memory, not page by
 * page: a long run is zeroed only where the host backs it
 * (kernel_init_pages()), so a vzalloc() of megabytes that the caller
 * fills sparsely costs the host only what is used.
 */
static int zero_run(struct page *first, unsigned long n, void *arg)
{
	(void)arg;
	kernel_init_pages(first, n);
	return 0;
}

static void zero_area_pages(struct page **pages, unsigned long nr)
{
	for_each_page_run(pages, nr, zero_run, NULL);
}

/*
 * Turn each run of pages whose pfns descend one by one around, so that it
 * ascends: the host then maps it with one call, not one per page.  A
 * per-CPU list hands pages out last freed first, so the pages of a block
 * freed in order come back in descending order.
 */
static void ascend_page_runs(struct page **pages, unsigned long nr)
{
	for (unsigned long i = 0, j; i < nr; i = j) {
		for (j = i + 1; j < nr && page_to_pfn(pages[j]) + 1 == page_to_pfn(pages[j - 1]); j++)
			;
		for (unsigned long a = i, b = j - 1; a < b; a++, b--) {
			struct page *t = pages[a];

			pages[a] = pages[b];
			pages[b] = t;
		}
	}
}

static void *__vmalloc_area_node(struct vm_struct *area, gfp_t gfp, pgprot_t prot, int node)
{
	unsigned long nr = get_vm_area_size(area) >> PAGE_SHIFT;
	unsigned long array_size = nr * sizeof(struct page *);
	gfp_t nested_gfp = (gfp & GFP_RECLAIM_MASK) | __GFP_ZERO;
	bool private = area->flags & VM_KMM_PRIVATE;
	bool zero = gfp & __GFP_ZERO;
	unsigned long got = 0;
	gfp_t page_gfp;

	if (!(gfp & (__GFP_DMA | __GFP_DMA32)))
		gfp |= __GFP_HIGHMEM;
	page_gfp = (gfp & ~__GFP_ZERO) | __GFP_NOWARN;	/* zero_area_pages() below */
	/* The recursion stops: each level's array is 512 times smaller. */
	if (array_size > PAGE_SIZE)
		area->pages = __vmalloc_node(array_size, 1, nested_gfp, node, area->caller);
	else
		area->pages = kmalloc_node(array_size, nested_gfp, node);
	if (!area->pages) {
		warn_alloc(gfp, "vmalloc error: size %lu, failed to allocated page array size %lu",
			   nr * PAGE_SIZE, array_size);
		free_vm_area(area);
		return NULL;
	}
	got = node == NUMA_NO_NODE ? alloc_pages_bulk(page_gfp, nr, area->pages)
				   : alloc_pages_bulk_node(page_gfp, node, nr, area->pages);
	while (got < nr) {
		struct page *page = node == NUMA_NO_NODE ? alloc_pages(page_gfp, 0)
							 : alloc_pages_node(node, page_gfp, 0);
		if (!page)
			break;
		area->pages[got++] = page;
	}
	/* Under the lock kmm_check() also takes: the pages and the count as one. */
	spin_lock(&vmap_area_lock);
	area->nr_pages = (unsigned int)got;
	atomic_long_add((long)got, &kmm_meminfo.vmalloc_pages);
	spin_unlock(&vmap_area_lock);
	if (got != nr) {
		warn_alloc(gfp, "vmalloc error: size %lu, failed to allocate pages", got * PAGE_SIZE);
		goto fail;
	}
	if (!private)
		ascend_page_runs(area->pages, nr);
	/* A private area's memory is the host's fresh anonymous memory: zeroes. */
	if (zero && !private)
		zero_area_pages(area->pages, nr);
	if (vm_map_pages((unsigned long)area->addr, prot, area->pages, nr, 0,
			 area->flags & (VM_KMM_PRIVATE | VM_ALLOW_HUGE_VMAP))) {
		warn_alloc(gfp, "vmalloc error: size %lu, failed to map pages", nr * PAGE_SIZE);
		goto fail;
	}
	return area->addr;
fail:
	vfree(area->addr);
	return NULL;
}

void *__vmalloc_node_range(unsigned long size, unsigned long align, unsigned long start,
			   unsigned long end, gfp_t gfp_mask, pgprot_t prot,
			   unsigned long vm_flags, int node, const void *caller)
{
	struct vm_struct *area;
	void *addr;

	if (WARN_ON_ONCE(!size))
		return NULL;
	if ((size >> PAGE_SHIFT) > totalram_pages()) {
		warn_alloc(gfp_mask, "vmalloc error: size %lu, exceeds total pages", size);
		return NULL;
	}
	if (!align || (align & (align - 1))) {
		WARN(1, "vmalloc: alignment %#lx is not a power of two\n", align);
		vmalloc_report();
		return NULL;
	}
	/*
	 * Huge pages where the host can give them: only a private area's
	 * memory is the host's to choose (the RAM file's pages are small), and
	 * only on a PMD boundary.
	 */
	if (!vmap_allow_huge || size < PMD_SIZE || !(vm_flags & VM_KMM_PRIVATE))
		vm_flags &= ~VM_ALLOW_HUGE_VMAP;
	if (vm_flags & VM_ALLOW_HUGE_VMAP)
		align = max(align, PMD_SIZE);
	might_sleep();
	for (;;) {
		area = __get_vm_area_node(size, align, VM_ALLOC | VM_UNINITIALIZED | vm_flags,
					  start, end, node, gfp_mask, caller, NULL);
		if (area)
			break;
		bool nofail = gfp_mask & __GFP_NOFAIL;
		warn_alloc(gfp_mask, "vmalloc error: size %lu, vm_struct allocation failed%s",
			   size, nofail ? ". Retrying." : "");
		if (!nofail)
			return NULL;
		msleep(1);
	}
	addr = __vmalloc_area_node(area, gfp_mask, prot, node);
	if (!addr)
		return NULL;
	/* Published: vmallocinfo and kmm_check may look at it now. */
	__atomic_and_fetch(&area->flags, ~(unsigned long)VM_UNINITIALIZED, __ATOMIC_RELEASE);
	kmemleak_vmalloc(area, PAGE_ALIGN(size), gfp_mask);
	return addr;
}

void *__vmalloc_node(unsigned long size, unsigned long align, gfp_t gfp_mask, int node,
		     const void *caller)
{
	return __vmalloc_node_range(size, align, VMALLOC_START, VMALLOC_END, gfp_mask,
				    PAGE_KERNEL, 0, node, caller);
}

void *__vmalloc(unsigned long size, gfp_t gfp_mask)
{
	return __vmalloc_node(size, 1, gfp_mask, NUMA_NO_NODE, __builtin_return_address(0));
}

void *vmalloc_huge_node(unsigned long size, gfp_t gfp_mask, int node)
{
	return __vmalloc_node_range(size, 1, VMALLOC_START, VMALLOC_END, gfp_mask, PAGE_KERNEL,
				    VM_ALLOW_HUGE_VMAP, node, __builtin_return_address(0));
}

void *vmalloc_huge(unsigned long size, gfp_t gfp_mask)
{
	return __vmalloc_node_range(size, 1, VMALLOC_START, VMALLOC_END, gfp_mask, PAGE_KERNEL,
				    VM_ALLOW_HUGE_VMAP, NUMA_NO_NODE, __builtin_return_address(0));
}

void *vmalloc(unsigned long size)
{
	return __vmalloc_node(size, 1, GFP_KERNEL, NUMA_NO_NODE, __builtin_return_address(0));
}

void *vzalloc(unsigned long size)
{
	return __vmalloc_node(size, 1, GFP_KERNEL | __GFP_ZERO, NUMA_NO_NODE,
			      __builtin_return_address(0));
}

void *vmalloc_node(unsigned long size, int node)
{
	return __vmalloc_node(size, 1, GFP_KERNEL, node, __builtin_return_address(0));
}

void *vzalloc_node(unsigned long size, int node)
{
	return __vmalloc_node(size, 1, GFP_KERNEL | __GFP_ZERO, node,
			      __builtin_return_address(0));
}

void *vmalloc_32(unsigned long size)
{
	/* Linux's GFP_VMALLOC32: below 4 GiB on x86_64, lowmem on x86_32. */
	return __vmalloc_node(size, 1, GFP_KERNEL | __GFP_DMA32, NUMA_NO_NODE,
			      __builtin_return_address(0));
}

/* --- freeing --- */

/*
 * ram=anon: the area's pages are anonymous memory again (platform/ram.c),
 * a run of contiguous pfns at a time, before the page allocator has
 * them: freed one by one, each would cost its own host calls.
 */
static int unshare_run(struct page *first, unsigned long n, void *arg)
{
	(void)arg;
	plat_ram_unshare(page_to_phys(first), n << PAGE_SHIFT);
	return 0;
}

static void vfree_unshare(struct vm_struct *vm)
{
	if (unlikely(READ_ONCE(plat_ram_nr_shared)))
		for_each_page_run(vm->pages, vm->nr_pages, unshare_run, NULL);
}

static void __vfree(const void *addr, bool deferred)
{
	struct vm_struct *vm;

	kmemleak_free(addr);
	vm = __remove_vm_area(addr, deferred);

	if (unlikely(!vm)) {
		if (PAGE_ALIGNED(addr)) {
			WARN(1, KERN_ERR "Trying to vfree() nonexistent vm area (%p)\n", addr);
			vmalloc_report();
		}
		return;
	}
	/* Mapped (no longer VM_UNINITIALIZED): its pages are out of the direct map. */
	if ((vm->flags & (VM_KMM_PRIVATE | VM_UNINITIALIZED)) == VM_KMM_PRIVATE &&
	    vmap_private_pages_release(vm->pages, vm->nr_pages)) {
		/* Near the host's mapping bound: lazy areas give theirs back first. */
		purge_vmap_area_lazy();
		int err = vmap_private_pages_release(vm->pages, vm->nr_pages);
		if (err) {
			/* Freed, a page out of the direct map would fault its next user. */
			WARN(1, "vfree: %u pages of %p cannot go back into the direct map (%d): leaked\n",
			     vm->nr_pages, addr, err);
			vm->nr_pages = 0;
		}
	}
	/* VmallocUsed went down as the area left the busy tree. */
	vfree_unshare(vm);
	for (unsigned int i = 0; i < vm->nr_pages; i++)
		__free_page(vm->pages[i]);
	if (vm->pages && is_vmalloc_addr(vm->pages))
		vfree(vm->pages);
	else
		kfree(vm->pages);
	kfree(vm);
}

void vfree(const void *addr)
{
	if (!addr)
		return;
	if (in_atomic()) {
		vfree_atomic(addr);
		return;
	}
	__vfree(addr, false);
}

void vfree_atomic(const void *addr)
{
	struct vmap_area *va;

	if (!addr)
		return;
	if (WARN(!PAGE_ALIGNED(addr), "Trying to vfree() bad address (%p)\n", addr)) {
		vmalloc_report();
		return;
	}
	spin_lock(&vmap_area_lock);
	va = __find_vmap_area((unsigned long)addr, true);
	if (va && (!va->vm || (va->flags & (VA_FREEING | VA_DEFERRED))))
		va = NULL;
	if (va) {
		va->flags |= VA_DEFERRED;
		va->deferred_next = deferred_list;
		deferred_list = va;
	}
	spin_unlock(&vmap_area_lock);
	if (!va) {
		WARN(1, KERN_ERR "Trying to vfree() nonexistent vm area (%p)\n", addr);
		vmalloc_report();
		return;
	}
	if (plat_lazy_started(&vfree_worker.thread)) {
		plat_event_signal(&vfree_worker.seq);
		return;
	}
	/* A forked child runs without the worker (fork.c). */
	kmm_lazy_thread_start(&vfree_worker.thread, &vfree_worker.start_failed,
			      "vmalloc: cannot start the deferred vfree worker");
}

/*
 * Free what vfree() deferred.  The mutex makes a caller wait for a drain
 * the worker is in the middle of, so afterwards nothing deferred before
 * the call is left.
 */
static void drain_deferred(void)
{
	struct vmap_area *list;

	plat_mutex_lock(&vfree_worker.mutex);
	spin_lock(&vmap_area_lock);
	list = deferred_list;
	deferred_list = NULL;
	spin_unlock(&vmap_area_lock);
	while (list) {
		struct vmap_area *va = list;
		/* The area is busy and ours until __vfree() moves it. */
		list = va->deferred_next;
		__vfree((void *)va->va_start, true);
	}
	plat_mutex_unlock(&vfree_worker.mutex);
}

static void *vfree_worker_main(void *arg)
{
	(void)arg;
	for (;;) {
		unsigned int seen = __atomic_load_n(&vfree_worker.seq, __ATOMIC_ACQUIRE);

		drain_deferred();
		if (__atomic_load_n(&vfree_worker.stop, __ATOMIC_ACQUIRE))
			break;
		plat_event_wait(&vfree_worker.seq, seen, 0);
	}
	return NULL;
}

void kmm_flush_deferred_vfree(void)
{
	might_sleep();
	drain_deferred();
}

/* --- vmap --- */

void *vmap(struct page **pages, unsigned int count, unsigned long flags, pgprot_t prot)
{
	struct vm_struct *area;

	might_sleep();
	if (!count || count > totalram_pages())
		return NULL;
	area = get_vm_area_caller((unsigned long)count << PAGE_SHIFT, flags | VM_MAP,
				  __builtin_return_address(0));
	if (!area)
		return NULL;
	if (vm_map_pages((unsigned long)area->addr, prot, pages, count, 0, 0)) {
		vunmap(area->addr);
		return NULL;
	}
	if (flags & VM_MAP_PUT_PAGES) {
		area->pages = pages;
		area->nr_pages = count;
	}
	return area->addr;
}

void vunmap(const void *addr)
{
	struct vm_struct *vm;

	might_sleep();
	if (!addr)
		return;
	vm = __remove_vm_area(addr, false);
	if (unlikely(!vm)) {
		if (PAGE_ALIGNED(addr)) {
			WARN(1, KERN_ERR "Trying to vunmap() nonexistent vm area (%p)\n", addr);
			vmalloc_report();
		}
		return;
	}
	kfree(vm);
}

/* --- boot, shutdown --- */

static bool vmap_stale_ok(unsigned long addr, unsigned long pfn)
{
	(void)pfn;
	if (vmap_lazy_covers(addr))
		return true;
	struct vmap_area *va = __find_vmap_area(addr, false);
	return va && (va->flags & VA_FREEING);
}

/* Return: 0, or -errno (Linux panics; kmm's boot fails, vmalloc_exit() undoes it). */
int vmalloc_init(void)
{
	int err;

	kmm_meminfo.vmalloc_total = VMALLOC_TOTAL;
	atomic_long_set(&kmm_meminfo.vmalloc_pages, 0);
	deferred_list = NULL;
	memset(&vfree_worker, 0, sizeof(vfree_worker));
	if ((err = vmap_init(VMALLOC_START, VMALLOC_END))) {
		pr_err("vmalloc_init: no memory for the vmap area descriptors\n");
		return err;
	}
	kmm_pgtable_register_stale(vmap_stale_ok);
	plat_lazy_init(&vfree_worker.thread, vfree_worker_main, NULL, "kworker/vfree");
	return 0;
}

void vmalloc_exit(void)
{
	/* The worker drains the list before it ends; one that never ran, here. */
	__atomic_store_n(&vfree_worker.stop, true, __ATOMIC_RELEASE);
	plat_event_signal(&vfree_worker.seq);
	plat_lazy_join(&vfree_worker.thread);
	if (deferred_list)
		drain_deferred();
	vmap_exit();
	kmm_meminfo.vmalloc_total = 0;
}

/* --- vm_map_ram: a vmap without a vm_struct and without a guard page --- */

void *vm_map_ram(struct page **pages, unsigned int count, int node)
{
	unsigned long size = (unsigned long)count << PAGE_SHIFT;
	struct vmap_area *va;
	struct vm_struct *vm;

	(void)node;
	might_sleep();
	if (!count || count > totalram_pages())
		return NULL;
	va = alloc_vmap_area(size, PAGE_SIZE, VMALLOC_START, VMALLOC_END, GFP_KERNEL, NULL,
			     VMAP_RAM);
	if (!va)
		return NULL;
	unsigned long addr = va->va_start;
	if (vm_map_pages(addr, PAGE_KERNEL, pages, count, 0, 0)) {
		unmap_vmap_area(addr, false, true, &vm);
		return NULL;
	}
	return (void *)addr;
}

void vm_unmap_ram(const void *mem, unsigned int count)
{
	unsigned long addr = (unsigned long)mem;
	struct vm_struct *vm;
	bool ok;

	spin_lock(&vmap_area_lock);
	struct vmap_area *va = __find_vmap_area(addr, true);
	ok = va && (va->flags & VMAP_RAM) && va_size(va) == (unsigned long)count << PAGE_SHIFT;
	spin_unlock(&vmap_area_lock);
	if (!ok || !unmap_vmap_area(addr, false, true, &vm)) {
		WARN(1, "vm_unmap_ram: %p is not a vm_map_ram() area of %u pages\n", mem, count);
		vmalloc_report();
	}
}
