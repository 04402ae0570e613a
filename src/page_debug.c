/* SPDX-License-Identifier: MIT */
/*
 * Page debugging: page_poison= and debug_pagealloc=, as Linux's
 * mm/page_poison.c, mm/debug_page_alloc.c and x86's __kernel_map_pages().
 *
 * page_poison=1.  Every page freed to the allocator is filled with
 * PAGE_POISON (0xaa) and every page allocated is checked for it before
 * the caller gets it (and before __GFP_ZERO clears it), so a write into a
 * page after it was freed is caught at the page's next allocation:
 * "pagealloc: memory corruption" (or "single bit error" for one flipped
 * bit), the corrupted range as a hex dump, the backtrace and dump_page.
 * Each detection is counted (KMM_REPORT_PAGE_POISON); the report is rate
 * limited as Linux's (10 every 5 seconds).  A high page has no permanent
 * address: it is poisoned and checked through a kmap_local slot, or,
 * during boot before the kmap slots exist, through the RAM file.
 *
 * debug_pagealloc=on.  A free page is taken out of the direct map: the
 * host mapping of its bytes is made inaccessible, so a stale access
 * faults for real and the fault report (fault.c) names the address.  The
 * page is mapped again when it is allocated.  Both happen a whole block at
 * a time (one host call for an order-n block), as __kernel_map_pages()
 * changes the direct map for the pages of one free or one allocation.
 * A page is "free" from the moment free_pages_prepare() has passed it:
 * pages on the per-CPU lists are free too, unmapped like those in the
 * buddy lists, as in Linux.  High pages are never in the direct map, so
 * there is nothing to unmap (Linux returns early for them too).
 *
 * The host splits its mapping of the RAM file at every change of
 * protection, and a process may hold vm.max_map_count mappings.  If the
 * host refuses a change, debug_pagealloc turns itself off with a report
 * naming the sysctl, and the whole direct map is made accessible again in
 * one call (which merges the pieces): a debugging aid must not make the
 * machine fail.
 *
 * Precedence, as Linux's mem_debugging_and_hardening_init(): page
 * poisoning turns init_on_alloc and init_on_free off (the poison would be
 * zeroed away, and the check would then fail).
 *
 * Cost when off: the page allocator's fast paths test one flag,
 * kmm_page_hooks, in the branch they already had for init_on_alloc and
 * init_on_free; it is set only when one of the four options is on.
 */
#include "page_alloc.h"
#include "param.h"
#include <kmm/highmem.h>
#include <kmm/poison.h>

bool page_poisoning;
bool debug_pagealloc;
bool kmm_page_hooks;

static bool page_poison_param, debug_pagealloc_param;
/* Serialises direct-map changes with turning debug_pagealloc off. */
static spinlock_t kernel_map_lock;

static void page_debug_reset(void)
{
	page_poison_param = false;
	debug_pagealloc_param = false;
}

kmm_param_bool("page_poison", page_poison_param, page_debug_reset);
kmm_param_bool("debug_pagealloc", debug_pagealloc_param, NULL);

/* Boot, before the first page is freed to the allocator. */
void mem_debugging_init(void)
{
	page_poisoning = page_poison_param;
	debug_pagealloc = debug_pagealloc_param;
	spin_lock_init(&kernel_map_lock);
	if (page_poisoning && (init_on_alloc || init_on_free)) {
		pr_info("mem auto-init: CONFIG_PAGE_POISONING is on, will take precedence over init_on_alloc and init_on_free\n");
		init_on_alloc = false;
		init_on_free = false;
	}
	kmm_page_hooks = init_on_alloc || init_on_free || page_poisoning || debug_pagealloc;
}

/* --- page_poison --- */

/* The 0xaa page the RAM file is written from before kmap works (boot). */
static u8 poison_buf[PAGE_SIZE] __page_aligned_bss;

static void poison_page(struct page *page)
{
	if (PageHighMem(page) && !kmap_local_ready()) {
		if (poison_buf[0] != PAGE_POISON)
			memset(poison_buf, PAGE_POISON, PAGE_SIZE);
		WARN_ON_ONCE(plat_ram_write(page_to_phys(page), poison_buf, PAGE_SIZE));
		return;
	}
	void *addr = kmap_local_page(page);

	memset(addr, PAGE_POISON, PAGE_SIZE);
	kunmap_local(addr);
}

static bool single_bit_flip(u8 a, u8 b)
{
	u8 error = a ^ b;

	return error && !(error & (error - 1));
}

/* Linux's ratelimit of the report: 10 in any 5 seconds. */
static bool poison_report_ratelimit(void)
{
	static u64 window_start;
	static int in_window;
	u64 now = plat_now_ns();

	if (now - window_start > 5000000000ull) {
		window_start = now;
		in_window = 0;
	}
	return ++in_window <= 10;
}

static void check_poison_mem(struct page *page, const u8 *mem, size_t bytes)
{
	const u8 *start = memchr_inv(mem, PAGE_POISON, bytes), *end;

	if (likely(!start))
		return;
	for (end = mem + bytes - 1; end > start; end--)
		if (*end != PAGE_POISON)
			break;
	kmm_report_count_inc(KMM_REPORT_PAGE_POISON);
	if (!poison_report_ratelimit())
		return;
	if (start == end && single_bit_flip(*start, PAGE_POISON))
		pr_err("pagealloc: single bit error\n");
	else
		pr_err("pagealloc: memory corruption\n");
	print_hex_dump("", start, (size_t)(end - start + 1));
	dump_stack();
	dump_page(page, "pagealloc: corrupted page details");
}

static void unpoison_page(struct page *page)
{
	void *addr = kmap_local_page(page);

	check_poison_mem(page, addr, PAGE_SIZE);
	kunmap_local(addr);
}

/* --- debug_pagealloc: the direct map --- */

/*
 * The host refused a change (kernel_map_lock held): map the whole direct
 * map again, one call that also merges its pieces, and only then turn the
 * flag off, so that nobody skips mapping a page that is still unmapped.
 */
static void debug_pagealloc_give_up(struct page *page, unsigned long nr, int err)
{
	pr_err("debug_pagealloc: the host refused to change the direct map at pfn %#lx-%#lx (%d): "
	       "its mapping count may be at vm.max_map_count; debug_pagealloc is off\n",
	       page_to_pfn(page), page_to_pfn(page) + nr - 1, err);
	WARN_ON(plat_protect((void *)PAGE_OFFSET, (unsigned long)high_memory - PAGE_OFFSET,
			     PLAT_PROT_READ | PLAT_PROT_WRITE));
	WRITE_ONCE(debug_pagealloc, false);
	WRITE_ONCE(kmm_page_hooks, init_on_alloc || init_on_free || page_poisoning);
}

/* __kernel_map_pages(): @nr pages from @page in (@enable) or out of the direct map. */
static void kernel_map_pages(struct page *page, unsigned long nr, bool enable)
{
	if (PageHighMem(page))
		return;
	spin_lock(&kernel_map_lock);
	if (likely(debug_pagealloc)) {
		int err = plat_protect(lowmem_page_address(page), nr << PAGE_SHIFT,
				       enable ? PLAT_PROT_READ | PLAT_PROT_WRITE : 0);
		if (unlikely(err))
			debug_pagealloc_give_up(page, nr, err);
	}
	spin_unlock(&kernel_map_lock);
}

bool kmm_page_in_direct_map_free(unsigned long addr)
{
	if (!debug_pagealloc || addr < PAGE_OFFSET || addr >= (unsigned long)high_memory)
		return false;
	struct page *page = virt_to_page((void *)addr);

	return kmm_page_ptr_valid(page) && !PageReserved(page) && !page_ref_count(page);
}

/* --- the allocator's hooks --- */

/* free_pages_prepare(), once the pages passed the checks: poison, zero, unmap. */
void kmm_free_pages_hooks(struct page *page, unsigned long nr)
{
	if (page_poisoning)
		for (unsigned long i = 0; i < nr; i++)
			poison_page(page + i);
	if (want_init_on_free())
		kernel_init_pages(page, nr);
	if (debug_pagealloc)
		kernel_map_pages(page, nr, false);
}

/*
 * Boot (and deferred init) hands memory to the buddy allocator: poison it
 * and take it out of the direct map as a free would.  init_on_free has
 * nothing to do here: the RAM file starts zeroed.
 */
void kmm_free_boot_pages_hooks(struct page *page, unsigned long nr)
{
	if (page_poisoning)
		for (unsigned long i = 0; i < nr; i++)
			poison_page(page + i);
	if (debug_pagealloc)
		kernel_map_pages(page, nr, false);
}

/* post_alloc_hook(): map the pages again, then check their poison. */
void kmm_alloc_pages_hooks(struct page *page, unsigned long nr)
{
	if (debug_pagealloc)
		kernel_map_pages(page, nr, true);
	if (page_poisoning)
		for (unsigned long i = 0; i < nr; i++)
			unpoison_page(page + i);
}
