/* SPDX-License-Identifier: MIT */
/*
 * The kernel address space: its layout, the kernel page table and the
 * host MMU that mirrors it.
 *
 * Layout.  The window is the kernel half of the arch's address space (host
 * addresses; PAGE_OFFSET is the window's start):
 *
 *   x86_32 (1 GiB, the fourth gigabyte of a 32-bit machine)
 *     PAGE_OFFSET                  direct map of lowmem
 *     high_memory                  8 MiB VMALLOC_OFFSET hole
 *     VMALLOC_START                vmalloc area, a guard page after each area
 *     VMALLOC_END                  2 pages of hole
 *     PKMAP_BASE                   LAST_PKMAP (1024) kmap slots, PMD aligned
 *     FIXADDR_START                fixmap: KM_MAX_IDX kmap_atomic slots per CPU
 *     FIXADDR_TOP                  the last page, unused as in Linux
 *
 *   lowmem ends where the vmalloc reservation (128 MiB, or vmalloc= plus the
 *   hole) begins: 896 MiB by default, less with a bigger vmalloc=.
 *
 *   x86_64
 *     PAGE_OFFSET                  direct map of all RAM (to a GiB boundary)
 *     + 1 GiB hole
 *     VMALLOC_START                vmalloc area: vmalloc=, or Linux's 32 TiB
 *     VMALLOC_END                  of 4-level paging (see below)
 *
 *   The window is one PROT_NONE reservation, so 32 TiB cost one host
 *   mapping and no memory; page tables exist only where something is
 *   mapped, and walks over the area skip the empty levels.  Two hosts
 *   refuse such a reservation: ThreadSanitizer ends a process whose mmap()
 *   lands outside its application ranges (a few TiB), so its builds
 *   default to 32 GiB; Valgrind's address space manager (and a ulimit -v)
 *   fails the mmap(), and boot falls back to 32 GiB, saying so.
 *
 * The page table.  swapper_pg_dir is host memory, as Linux's is part of the
 * kernel image; the tables below it are pages from the page allocator
 * (lowmem, zeroed, PageTable, counted in NR_PAGETABLE) and are never freed,
 * as Linux keeps the kernel's.  A table is installed under pgtable_lock
 * after it was allocated outside it; entries themselves are written only by
 * the owner of the address range they describe, so they need no lock.
 *
 * The host MMU.  A present entry means the RAM page is mapped at the
 * address by the host (the memory file at the page's offset); the host
 * mapping is the TLB entry.  vmap_pages_range() writes the entries and then
 * maps each run of contiguous pfns with one host call.  Clearing entries
 * (vunmap_range_noflush) leaves the host mapping in place, as a cleared PTE
 * leaves stale TLB entries; kmm_flush_kernel_range() removes them, and the
 * vmalloc layer calls it lazily, for many areas at once (lazy purge).  So
 * between the two a stale host mapping exists; the owners of such ranges
 * register a predicate that says so, and kmm_check() accepts exactly those.
 */
#include "internal.h"
#include <kmm/pgtable.h>
#include <kmm/vmstat.h>

struct kmm_layout kmm_layout;
unsigned int kmm_pgtable_levels;
unsigned int PTRS_PER_PGD;
pgd_t *swapper_pg_dir;
static size_t swapper_size;
static spinlock_t pgtable_lock;
static atomic_long_t nr_pgtable_pages;
/*
 * vmap_pfns() and vunmap_range_noflush() run preemptible, so kmm_check()
 * may stop the machine while one has written part of the entries and not
 * yet mapped them (or unmapped the host first), or even let it run on
 * meanwhile.  The checker compares the entries with the host's mappings
 * only when no such writer was at work from its start to its end: none
 * running (vmap_in_flight) and none finished in between (vmap_done).
 */
static atomic_long_t vmap_in_flight, vmap_done;

static void vmap_writer_enter(void)
{
	atomic_long_inc(&vmap_in_flight);
}

static void vmap_writer_exit(void)
{
	atomic_long_inc(&vmap_done);
	atomic_long_dec(&vmap_in_flight);
}

#define X86_32_VIRT_BASE	0xC0000000UL	/* __PAGE_OFFSET of a 3G/1G split */
#define X86_32_PGDIR_SHIFT	21		/* PAE's pmd level is the top here */
#ifdef KMM_TSAN
#define X86_64_DEFAULT_VMALLOC	X86_64_FALLBACK_VMALLOC
#else
#define X86_64_DEFAULT_VMALLOC	(32UL << 40)	/* Linux's VMALLOC_SIZE_TB, 4 levels */
#endif
/* Host mappings kept free for the program the library runs in. */
#define HOST_MAP_SLACK		1024

static inline bool arch_is_32(void)
{
	return kmm_cfg.arch == KMM_ARCH_X86_32;
}

u64 kmm_vmalloc_default_size(void)
{
	return arch_is_32() ? 128 * SZ_1M : X86_64_DEFAULT_VMALLOC;
}

/*
 * The window's size for the arch, given RAM's end and the vmalloc area's
 * size on x86_64 (0: vmalloc= or the default).  boot.c reserves it.
 */
u64 kmm_window_size(u64 ram_end, u64 vmalloc_size)
{
	if (arch_is_32())
		return SZ_1G;
	u64 vsize = vmalloc_size ? vmalloc_size
		  : kmm_cfg.vmalloc_size ? kmm_cfg.vmalloc_size : X86_64_DEFAULT_VMALLOC;
	return ALIGN(ram_end, (u64)SZ_1G) + SZ_1G + ALIGN(vsize, (u64)PMD_SIZE);
}

/* The layout of a window at @base of @size; high_memory is set. */
static void layout_init(unsigned long base, u64 size, u64 ram_end)
{
	struct kmm_layout *l = &kmm_layout;
	unsigned long lowmem = (unsigned long)high_memory - base;

	memset(l, 0, sizeof(*l));
	l->window_end = base + size;
	if (arch_is_32()) {
		l->fixaddr_top = l->window_end - PAGE_SIZE;
		l->fixaddr_start = l->fixaddr_top - ((unsigned long)__end_of_fixed_addresses << PAGE_SHIFT);
		/* PMD alignment is taken in the 32-bit address: the window is 8 MiB aligned. */
		l->pkmap_base = (l->fixaddr_start - PAGE_SIZE * (LAST_PKMAP + 1)) & PMD_MASK;
		l->vmalloc_end = l->pkmap_base - 2 * PAGE_SIZE;
		l->vmalloc_start = base + ((lowmem + VMALLOC_OFFSET) & ~(VMALLOC_OFFSET - 1));
	} else {
		u64 vsize = size - ALIGN(ram_end, (u64)SZ_1G) - SZ_1G;
		l->vmalloc_start = base + (unsigned long)(size - vsize);
		/* Linux's VMALLOC_END is the area's last byte, so is ours. */
		l->vmalloc_end = l->vmalloc_start + vsize - 1;
	}
}

/* The address @addr would have on the arch: the 32-bit one on x86_32. */
static inline unsigned long arch_vaddr(unsigned long addr)
{
	if (arch_is_32())
		return addr - PAGE_OFFSET + X86_32_VIRT_BASE;
	return addr;
}

static inline unsigned long pgd_index(unsigned long addr)
{
	if (arch_is_32())
		return (arch_vaddr(addr) >> X86_32_PGDIR_SHIFT) & (PTRS_PER_PGD - 1);
	return (addr >> PGDIR_SHIFT_X86_64) & (PTRS_PER_PGD - 1);
}

static inline void *entry_table(pteval_t e)
{
	return __va(e & PTE_PFN_MASK);
}

pgd_t *pgd_offset_k(unsigned long addr)
{
	return swapper_pg_dir + pgd_index(addr);
}

pud_t *pud_offset(pgd_t *pgd, unsigned long addr)
{
	if (kmm_pgtable_levels == 2)
		return (pud_t *)pgd;
	return (pud_t *)entry_table(pgdp_get(pgd).pgd) + ((addr >> PUD_SHIFT) & (PTRS_PER_PUD - 1));
}

pmd_t *pmd_offset(pud_t *pud, unsigned long addr)
{
	if (kmm_pgtable_levels == 2)
		return (pmd_t *)pud;
	return (pmd_t *)entry_table(pudp_get(pud).pud) + ((addr >> PMD_SHIFT) & (PTRS_PER_PMD - 1));
}

pte_t *pte_offset_kernel(pmd_t *pmd, unsigned long addr)
{
	return (pte_t *)entry_table(pmdp_get(pmd).pmd) + ((addr >> PAGE_SHIFT) & (PTRS_PER_PTE - 1));
}

/*
 * The PTE table that maps the PMD-sized span at @addr, or NULL; *@next is
 * where the next table may begin: the next span, or past the whole span of
 * a missing upper table, so a walk over a sparse range skips it.
 */
pte_t *kmm_lookup_pte_table(unsigned long addr, unsigned long *next)
{
	unsigned long span = PMD_SIZE;
	pte_t *table = NULL;

	addr &= PMD_MASK;
	if (swapper_pg_dir) {
		pgd_t *pgd = pgd_offset_k(addr);
		bool four = kmm_pgtable_levels == 4;
		if (pgd_none(pgdp_get(pgd))) {
			if (four)
				span = 1UL << PGDIR_SHIFT_X86_64;
		} else {
			pud_t *pud = pud_offset(pgd, addr);
			if (pud_none(pudp_get(pud))) {
				if (four)
					span = 1UL << PUD_SHIFT;
			} else {
				pmd_t *pmd = pmd_offset(pud, addr);
				if (!pmd_none(pmdp_get(pmd)))
					table = pte_offset_kernel(pmd, addr);
			}
		}
	}
	*next = (addr & ~(span - 1)) + span;
	return table;
}

pte_t *kmm_lookup_pte(unsigned long addr)
{
	if (!swapper_pg_dir)
		return NULL;
	pgd_t *pgd = pgd_offset_k(addr);
	if (pgd_none(pgdp_get(pgd)))
		return NULL;
	pud_t *pud = pud_offset(pgd, addr);
	if (pud_none(pudp_get(pud)))
		return NULL;
	pmd_t *pmd = pmd_offset(pud, addr);
	if (pmd_none(pmdp_get(pmd)))
		return NULL;
	return pte_offset_kernel(pmd, addr);
}

/* --- allocating tables --- */

static struct page *pgtable_page_alloc(int level)
{
	struct page *page = alloc_page(GFP_KERNEL | __GFP_ZERO);

	if (!page)
		return NULL;
	__SetPageTable(page);
	page->pt_owner = &swapper_pg_dir;
	page->pt_level = (unsigned long)level;
	return page;
}

/* A table that lost the race to install: never counted, never seen. */
static void pgtable_page_free(struct page *page)
{
	page->pt_owner = NULL;
	page->pt_level = 0;
	__ClearPageTable(page);
	__free_page(page);
}

/*
 * Make *@entry point to a table, allocating one if it is empty.  The page
 * is allocated unlocked (it may sleep); if another thread installed a table
 * meanwhile, ours goes back.  Return: 0 or -ENOMEM.
 */
static int entry_populate(pteval_t *entry, int level)
{
	if (__atomic_load_n(entry, __ATOMIC_ACQUIRE))
		return 0;
	struct page *page = pgtable_page_alloc(level);
	if (!page)
		return -ENOMEM;
	spin_lock(&pgtable_lock);
	if (!*entry) {
		/*
		 * Counted as it is installed, in one hold of the lock, so that
		 * kmm_check() (which counts under it) sees the two agree.
		 */
		mod_node_page_state(page_pgdat(page), NR_PAGETABLE, 1);
		atomic_long_inc(&nr_pgtable_pages);
		__atomic_store_n(entry, (pteval_t)page_to_phys(page) | _KERNPG_TABLE,
				 __ATOMIC_RELEASE);
		page = NULL;
	}
	spin_unlock(&pgtable_lock);
	if (page)
		pgtable_page_free(page);
	return 0;
}

/* The entry for @addr, building the tables down to it.  NULL: no memory. */
static pte_t *pte_alloc_kernel(unsigned long addr)
{
	pgd_t *pgd = pgd_offset_k(addr);

	if (kmm_pgtable_levels == 4) {
		if (entry_populate(&pgd->pgd, 3))
			return NULL;
		pud_t *pud = pud_offset(pgd, addr);
		if (entry_populate(&pud->pud, 2))
			return NULL;
		pmd_t *pmd = pmd_offset(pud, addr);
		if (entry_populate(&pmd->pmd, 1))
			return NULL;
		return pte_offset_kernel(pmd, addr);
	}
	if (entry_populate(&pgd->pgd, 1))
		return NULL;
	return pte_offset_kernel((pmd_t *)pgd, addr);
}

int kmm_pgtable_populate(unsigned long start, unsigned long end)
{
	for (unsigned long a = start & PMD_MASK; a < end; a += PMD_SIZE)
		if (!pte_alloc_kernel(a))
			return -ENOMEM;
	return 0;
}

/* --- the host MMU --- */

static inline int host_prot(pgprot_t prot)
{
	if (!(pgprot_val(prot) & _PAGE_PRESENT))
		return 0;
	return PLAT_PROT_READ | ((pgprot_val(prot) & _PAGE_RW) ? PLAT_PROT_WRITE : 0);
}

bool kmm_host_maps_available(long nr_maps)
{
	long want = plat_nr_mappings() + nr_maps + HOST_MAP_SLACK;

	return want <= plat_max_mappings(want);
}

void kmm_flush_kernel_range(unsigned long start, unsigned long end, long nr_maps)
{
	if (start >= end)
		return;
	int err = plat_unmap((void *)start, end - start, nr_maps);
	WARN(err, "kmm: host unmap of %#lx-%#lx failed: %d\n", start, end, err);
}

void vunmap_range_noflush(unsigned long start, unsigned long end)
{
	vmap_writer_enter();
	for (unsigned long a = start; a < end; a += PAGE_SIZE) {
		pte_t *pte = kmm_lookup_pte(a);
		if (pte)
			pte_clear(NULL, a, pte);
	}
	vmap_writer_exit();
}

/*
 * Write the entries for @nr pages at @addr: @pages[i], or @pfn + i when
 * @pages is NULL.  Then map each run of contiguous pfns with one host call,
 * the runs one stretch of the host's reservation.
 * Return: the host mappings charged (plat_map_cost() of the runs, kept by
 * the caller to give back at the unmap), or -ENOMEM with nothing left
 * mapped.
 */
static long __vmap_pfns(unsigned long addr, unsigned long nr, pgprot_t prot,
			struct page **pages, unsigned long pfn)
{
	long runs = 0, charged = 0;
	unsigned long i, run_start = 0;
	int err = 0;

	for (i = 1; i <= nr; i++)
		if (i == nr || (pages && page_to_pfn(pages[i]) != page_to_pfn(pages[i - 1]) + 1))
			runs++;
	/* With ram=anon, the runs of the direct map that turn into the file's too. */
	if (!kmm_host_maps_available(plat_map_cost(runs) + plat_ram_alias_cost(runs)))
		return -ENOSPC;
	for (i = 0; i < nr; i++) {
		pte_t *pte = pte_alloc_kernel(addr + i * PAGE_SIZE);
		if (!pte) {
			vunmap_range_noflush(addr, addr + i * PAGE_SIZE);
			return -ENOMEM;
		}
		set_pte(pte, pfn_pte(pages ? page_to_pfn(pages[i]) : pfn + i, prot));
	}
	for (i = 1; i <= nr; i++) {
		unsigned long prev = pages ? page_to_pfn(pages[i - 1]) : pfn + i - 1;
		if (i < nr && (pages ? page_to_pfn(pages[i]) : pfn + i) == prev + 1)
			continue;
		unsigned long first = pages ? page_to_pfn(pages[run_start]) : pfn + run_start;
		err = plat_map_run((void *)(addr + run_start * PAGE_SIZE), PFN_PHYS(first),
				   (i - run_start) * PAGE_SIZE, host_prot(prot), &charged);
		if (err)
			break;
		run_start = i;
	}
	if (err) {
		/* The host first: no moment where it maps a page without its entry. */
		kmm_flush_kernel_range(addr, addr + run_start * PAGE_SIZE, charged);
		vunmap_range_noflush(addr, addr + nr * PAGE_SIZE);
		pr_err("kmm: host mapping of %lu pages at %#lx failed: %d\n", nr,
		       addr + run_start * PAGE_SIZE, err);
		return -ENOMEM;
	}
	return charged;
}

static long vmap_pfns(unsigned long addr, unsigned long nr, pgprot_t prot,
		      struct page **pages, unsigned long pfn)
{
	vmap_writer_enter();
	long ret = __vmap_pfns(addr, nr, prot, pages, pfn);
	vmap_writer_exit();
	return ret;
}

long vmap_pages_range(unsigned long addr, unsigned long end, pgprot_t prot,
		      struct page **pages)
{
	return vmap_pfns(addr, (end - addr) >> PAGE_SHIFT, prot, pages, 0);
}

long vmap_range_phys(unsigned long addr, unsigned long end, phys_addr_t phys, pgprot_t prot)
{
	return vmap_pfns(addr, (end - addr) >> PAGE_SHIFT, prot, NULL, PHYS_PFN(phys));
}

int set_direct_map_valid_noflush(struct page *page, unsigned int nr, bool valid)
{
	if (PageHighMem(page))
		return 0;	/* never in the direct map */
	return plat_protect(lowmem_page_address(page), (size_t)nr << PAGE_SHIFT,
			    valid ? PLAT_PROT_READ | PLAT_PROT_WRITE : 0);
}

int for_each_page_run(struct page **pages, unsigned long nr,
			     int (*fn)(struct page *first, unsigned long n, void *arg), void *arg)
{
	for (unsigned long i = 0, j; i < nr; i = j) {
		unsigned long lo = page_to_pfn(pages[i]), hi = lo;
		int dir = 0;

		for (j = i + 1; j < nr && PageHighMem(pages[j]) == PageHighMem(pages[i]); j++) {
			unsigned long pfn = page_to_pfn(pages[j]);

			if (pfn == hi + 1 && dir >= 0)
				hi = pfn, dir = 1;
			else if (pfn == lo - 1 && dir <= 0)
				lo = pfn, dir = -1;
			else
				break;
		}
		int err = fn(pfn_to_page(lo), hi - lo + 1, arg);
		if (err)
			return err;
	}
	return 0;
}

/*
 * Out of the direct map, and the RAM behind given back to the host: its
 * bytes are never read (the area's memory is elsewhere), and kept they
 * would be held twice.  A direct map the host refuses to split (its
 * mapping bound) stays as it is: the area works all the same, its pages
 * only keep an alias that nothing uses.
 */
static int private_run_take(struct page *first, unsigned long n, void *arg)
{
	(void)arg;
	(void)set_direct_map_valid_noflush(first, (unsigned int)n, false);
	plat_ram_zero(page_to_phys(first), n << PAGE_SHIFT);
	return 0;
}

static int private_run_give(struct page *first, unsigned long n, void *arg)
{
	(void)arg;
	return set_direct_map_valid_noflush(first, (unsigned int)n, true);
}

long vmap_private_pages_range(unsigned long addr, unsigned long end, pgprot_t prot,
			      struct page **pages, bool huge)
{
	unsigned long nr = (end - addr) >> PAGE_SHIFT;
	pgprot_t pprot = __pgprot(pgprot_val(prot) | _PAGE_KMM_PRIVATE);
	long charged = 0;
	int err;

	if (!kmm_host_maps_available(plat_map_cost(1)))
		return -ENOSPC;
	vmap_writer_enter();
	for (unsigned long i = 0; i < nr; i++) {
		pte_t *pte = pte_alloc_kernel(addr + i * PAGE_SIZE);
		if (!pte) {
			vunmap_range_noflush(addr, addr + i * PAGE_SIZE);
			vmap_writer_exit();
			return -ENOMEM;
		}
		set_pte(pte, mk_pte(pages[i], pprot));
	}
	err = plat_map_anon((void *)addr, nr * PAGE_SIZE, host_prot(prot), huge, &charged);
	if (err) {
		vunmap_range_noflush(addr, end);
		vmap_writer_exit();
		pr_err("kmm: host mapping of %lu pages at %#lx failed: %d\n", nr, addr, err);
		return -ENOMEM;
	}
	for_each_page_run(pages, nr, private_run_take, NULL);
	vmap_writer_exit();
	return charged;
}

int vmap_private_pages_release(struct page **pages, unsigned long nr)
{
	return for_each_page_run(pages, nr, private_run_give, NULL);
}

/*
 * One page, for the kmap slots: write the entry and map the page unless the
 * host still maps this very page there (@host_pfn, the slot's stale TLB
 * entry, ~0UL if none).  A slot mapped afresh is charged plat_map_cost(1),
 * given back when it is flushed.  Return: 0, or -errno.
 */
int kmm_map_one(unsigned long addr, unsigned long pfn, pgprot_t prot, unsigned long host_pfn)
{
	pte_t *pte = kmm_lookup_pte(addr);
	int err = 0;

	if (WARN_ON_ONCE(!pte))
		return -EFAULT;
	set_pte(pte, pfn_pte(pfn, prot));
	if (host_pfn == pfn)
		return 0;
	if (host_pfn == ~0UL)
		err = plat_map((void *)addr, PFN_PHYS(pfn), PAGE_SIZE, host_prot(prot));
	else
		err = plat_remap((void *)addr, PFN_PHYS(pfn), PAGE_SIZE, host_prot(prot));
	return err;
}

/* --- boot and shutdown --- */

int pgtable_init(unsigned long base, u64 size, u64 ram_end)
{
	layout_init(base, size, ram_end);
	kmm_pgtable_levels = arch_is_32() ? 2 : 4;
	PTRS_PER_PGD = arch_is_32() ? (1U << (32 - X86_32_PGDIR_SHIFT)) : 512;
	swapper_size = PTRS_PER_PGD * sizeof(pgd_t);
	swapper_pg_dir = plat_host_zalloc(swapper_size);
	if (!swapper_pg_dir)
		return -ENOMEM;
	spin_lock_init(&pgtable_lock);
	atomic_long_set(&nr_pgtable_pages, 0);
	return 0;
}

/* After the page allocator is up: the kmap slots' tables, as Linux's kmap_init(). */
int pgtable_late_init(void)
{
	if (!arch_is_32())
		return 0;
	if (kmm_pgtable_populate(PKMAP_BASE, PKMAP_ADDR(LAST_PKMAP)))
		return -ENOMEM;
	return kmm_pgtable_populate(FIXADDR_START, FIXADDR_TOP + PAGE_SIZE);
}

void pgtable_exit(void)
{
	plat_host_free(swapper_pg_dir, swapper_size);
	swapper_pg_dir = NULL;
	memset(&kmm_layout, 0, sizeof(kmm_layout));
}

/* --- kmm_check --- */

static bool (*stale_ok_fns[4])(unsigned long addr, unsigned long pfn);

void kmm_pgtable_register_stale(bool (*fn)(unsigned long addr, unsigned long pfn))
{
	for (size_t i = 0; i < ARRAY_SIZE(stale_ok_fns); i++)
		if (!stale_ok_fns[i] || stale_ok_fns[i] == fn) {
			stale_ok_fns[i] = fn;
			return;
		}
	WARN_ON_ONCE(1);
}

static bool stale_ok(unsigned long addr, unsigned long pfn)
{
	for (size_t i = 0; i < ARRAY_SIZE(stale_ok_fns) && stale_ok_fns[i]; i++)
		if (stale_ok_fns[i](addr, pfn))
			return true;
	return false;
}

struct host_tally {
	unsigned long matched;		/* present entries the host maps alike */
	unsigned long problems;
	unsigned long regions;		/* the host's mappings, reservation pieces too */
};

static void check_host_region(unsigned long start, unsigned long end, s64 phys, int prot,
			      void *arg)
{
	struct host_tally *t = arg;

	t->regions++;
	start = max(start, VMALLOC_START & PAGE_MASK);
	if (phys < 0 && prot == 0)
		return;		/* the reservation */
	for (unsigned long a = start; a < end && t->problems < 8; a += PAGE_SIZE) {
		unsigned long pfn = phys < 0 ? ~0UL : PHYS_PFN((u64)phys) + ((a - start) >> PAGE_SHIFT);
		pte_t *ptep = kmm_lookup_pte(a);
		pte_t pte = ptep ? ptep_get(ptep) : (pte_t){ 0 };
		bool private = pte.pte & _PAGE_KMM_PRIVATE;

		/* Private memory where the entry says so, the entry's RAM elsewhere. */
		if (pte_present(pte) && (phys < 0 ? private : !private && pte_pfn(pte) == pfn)) {
			bool w = pte_write(pte), hw = prot & PLAT_PROT_WRITE;
			if (w != hw) {
				t->problems++;
				KMM_CHECK(0, "host maps %#lx %s, its entry says %s", a,
					  hw ? "writable" : "read-only", w ? "writable" : "read-only");
			}
			t->matched++;
		} else if (!stale_ok(a, pfn)) {
			t->problems++;
			if (phys < 0)
				KMM_CHECK(0, "host maps anonymous memory at %#lx without a private page-table entry",
					  a);
			else
				KMM_CHECK(0, "host maps pfn %#lx at %#lx without a page-table entry (%s)",
					  pfn, a, !pte_present(pte) ? "no entry" :
					  private ? "entry is private" : "entry maps another pfn");
		}
	}
}

static unsigned long count_tables(pteval_t *table, int level, unsigned long *present)
{
	unsigned long n = 1;
	struct page *page = virt_to_page(table);

	KMM_CHECK(PageTable(page) && page->pt_level == (unsigned long)level &&
		  page->pt_owner == &swapper_pg_dir && page_ref_count(page) == 1,
		  "page-table page pfn %#lx (level %d) is not a live kernel table",
		  page_to_pfn(page), level);
	for (unsigned int i = 0; i < 512; i++) {
		/*
		 * Once, with an acquire: a vmap may be setting it (the tally is
		 * then discarded), or publishing a table (entry_populate()).
		 */
		pteval_t e = smp_load_acquire(&table[i]);
		if (!e)
			continue;
		if (level == 1)
			*present += (e & _PAGE_PRESENT) != 0;
		else
			n += count_tables(entry_table(e), level - 1, present);
	}
	return n;
}

static void report_direct(const char *msg, void *arg)
{
	(void)arg;
	KMM_CHECK(0, "%s", msg);
}

/*
 * The page table against its pages and the host: every table is a live
 * PageTable page and NR_PAGETABLE counts them all; every host mapping of
 * RAM above the direct map has a present entry for the same pfn with the
 * same protection, or is a stale one its owner accounts for; every present
 * entry is mapped by the host (checked while no vmap or vunmap runs); and
 * the count kept against vm.max_map_count covers what the host holds there
 * (the direct map is left out: debug_pagealloc and KFENCE split it with
 * changes of protection that are not counted).  With ram=anon, the direct
 * map's pieces that map the file are the pages ram.c has shared.
 */
void kmm_check_pgtable(void)
{
	unsigned long tables = 0, present = 0;
	int top = kmm_pgtable_levels == 4 ? 4 : 2;
	long done = atomic_long_read(&vmap_done), busy = atomic_long_read(&vmap_in_flight);
	long counted = plat_nr_mappings();

	long allocated, nr_pagetable;

	if (!swapper_pg_dir)
		return;
	/* Tables are installed and counted under the lock: count them under it. */
	spin_lock(&pgtable_lock);
	for (unsigned int i = 0; i < PTRS_PER_PGD; i++)
		if (pgdp_get(&swapper_pg_dir[i]).pgd)
			tables += count_tables(entry_table(pgdp_get(&swapper_pg_dir[i]).pgd), top - 1,
					       &present);
	allocated = atomic_long_read(&nr_pgtable_pages);
	nr_pagetable = (long)global_node_page_state(NR_PAGETABLE);
	spin_unlock(&pgtable_lock);
	KMM_CHECK(tables == (unsigned long)allocated,
		  "page table has %lu table pages, %ld were allocated", tables, allocated);
	KMM_CHECK((long)tables == nr_pagetable,
		  "page table has %lu table pages, NR_PAGETABLE is %ld", tables, nr_pagetable);

	struct host_tally t = { 0 };
	int err = plat_walk_mappings(VMALLOC_START & PAGE_MASK, kmm_layout.window_end,
				     check_host_region, &t);
	KMM_CHECK(!err, "cannot read the host's mappings: %d", err);
	busy |= atomic_long_read(&vmap_in_flight) | (atomic_long_read(&vmap_done) - done);
	if (!err && !t.problems && !busy)
		KMM_CHECK(t.matched == present, "%lu present page-table entries, the host maps %lu of them",
			  present, t.matched);
	if (!err && !busy && plat_nr_mappings() == counted)
		KMM_CHECK((long)t.regions <= counted,
			  "the host holds %lu mappings above the direct map, %ld are counted against vm.max_map_count",
			  t.regions, counted);
	err = plat_ram_check_direct(report_direct, NULL);
	KMM_CHECK(err >= 0, "cannot read the host's mappings of the direct map: %d", err);
}
