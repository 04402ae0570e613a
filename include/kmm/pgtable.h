/* SPDX-License-Identifier: MIT */
/*
 * The kernel address space: its layout and the kernel page table.
 *
 * The window of host address space that is the kernel's is laid out as the
 * arch lays out its kernel half (see src/pgtable.c for the pictures).  The
 * names are Linux's; they are variables here because the machine's layout
 * is chosen at boot (arch=, mem=, vmalloc=, cpus=), not at compile time.
 *
 * The kernel page table, swapper_pg_dir, records every mapping outside the
 * direct map: two levels on x86_32, four on x86_64.  Entries are 64 bits on
 * both, as with x86_32's PAE, because a 32-bit machine here may have up to
 * 64 GiB of RAM; x86_32's two levels are PAE's page-middle directory (2 MiB
 * per entry) and its page tables, with PAE's four-entry top level folded
 * away.  Every change of an entry is mirrored into the host MMU by the
 * mapping functions of src/pgtable.c, never by set_pte() itself: set_pte()
 * writes the table, as on a CPU whose TLB is flushed separately.
 */
#ifndef KMM_PGTABLE_H
#define KMM_PGTABLE_H

#pragma GCC visibility push(default)

#include <kmm/types.h>
#include <kmm/mm.h>

/* --- the layout, set at boot --- */
struct kmm_layout {
	unsigned long vmalloc_start, vmalloc_end;
	unsigned long pkmap_base;		/* x86_32 only, else 0 */
	unsigned long fixaddr_start, fixaddr_top;	/* x86_32 only, else 0 */
	unsigned long window_end;
};
extern struct kmm_layout kmm_layout;

#define VMALLOC_OFFSET	(8UL << 20)
#define VMALLOC_START	(kmm_layout.vmalloc_start)
#define VMALLOC_END	(kmm_layout.vmalloc_end)
#define VMALLOC_TOTAL	(VMALLOC_END - VMALLOC_START)
#define LAST_PKMAP	1024
#define LAST_PKMAP_MASK	(LAST_PKMAP - 1)
#define PKMAP_BASE	(kmm_layout.pkmap_base)
#define PKMAP_NR(virt)	(((unsigned long)(virt) - PKMAP_BASE) >> PAGE_SHIFT)
#define PKMAP_ADDR(nr)	(PKMAP_BASE + ((unsigned long)(nr) << PAGE_SHIFT))
#define FIXADDR_TOP	(kmm_layout.fixaddr_top)
#define FIXADDR_START	(kmm_layout.fixaddr_start)

/* The fixmap: slot 0 is a hole, then KM_MAX_IDX kmap_atomic slots per CPU. */
#define KM_MAX_IDX	16
enum fixed_addresses {
	FIX_HOLE,
	FIX_KMAP_BEGIN,
	/* FIX_KMAP_END = FIX_KMAP_BEGIN + KM_MAX_IDX * nr_cpu_ids - 1 */
};
#define FIX_KMAP_END		(FIX_KMAP_BEGIN + KM_MAX_IDX * nr_cpu_ids - 1)
#define __end_of_fixed_addresses (FIX_KMAP_END + 1)
#define __fix_to_virt(x)	(FIXADDR_TOP - ((unsigned long)(x) << PAGE_SHIFT))
#define __virt_to_fix(x)	((FIXADDR_TOP - ((x) & PAGE_MASK)) >> PAGE_SHIFT)
#define fix_to_virt(x)		__fix_to_virt(x)

/* --- entries --- */
typedef u64 pteval_t;
typedef struct { pteval_t pte; } pte_t;
typedef struct { pteval_t pmd; } pmd_t;
typedef struct { pteval_t pud; } pud_t;
typedef struct { pteval_t pgd; } pgd_t;
typedef struct { pteval_t pgprot; } pgprot_t;

#define _PAGE_PRESENT	0x001ULL
#define _PAGE_RW	0x002ULL
#define _PAGE_USER	0x004ULL
#define _PAGE_PWT	0x008ULL
#define _PAGE_PCD	0x010ULL
#define _PAGE_ACCESSED	0x020ULL
#define _PAGE_DIRTY	0x040ULL
#define _PAGE_GLOBAL	0x100ULL
/*
 * kmm's own, in a bit x86 leaves to software (_PAGE_SOFTW1): the host
 * maps private anonymous memory at the entry's address, not the RAM of its
 * pfn (an area of VM_KMM_PRIVATE, vmalloc.h).
 */
#define _PAGE_KMM_PRIVATE 0x200ULL
#define _PAGE_NX	(1ULL << 63)
#define PTE_PFN_MASK	0x000ffffffffff000ULL

#define __pgprot(x)	((pgprot_t){ (x) })
#define pgprot_val(p)	((p).pgprot)
#define __PAGE_KERNEL_RO (_PAGE_PRESENT | _PAGE_ACCESSED | _PAGE_GLOBAL | _PAGE_NX)
#define __PAGE_KERNEL	(__PAGE_KERNEL_RO | _PAGE_RW | _PAGE_DIRTY)
#define PAGE_KERNEL		__pgprot(__PAGE_KERNEL)
#define PAGE_KERNEL_RO		__pgprot(__PAGE_KERNEL_RO)
#define PAGE_KERNEL_EXEC	__pgprot(__PAGE_KERNEL & ~_PAGE_NX)
#define PAGE_KERNEL_NOCACHE	__pgprot(__PAGE_KERNEL | _PAGE_PCD | _PAGE_PWT)
#define PAGE_KERNEL_IO		PAGE_KERNEL_NOCACHE
#define PAGE_NONE		__pgprot(_PAGE_ACCESSED | _PAGE_GLOBAL)
#define _KERNPG_TABLE	(_PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED | _PAGE_DIRTY)

#define PTRS_PER_PTE	512
#define PTRS_PER_PMD	512
#define PTRS_PER_PUD	512
#define PMD_SHIFT	21
#define PMD_SIZE	(1UL << PMD_SHIFT)
#define PMD_MASK	(~(PMD_SIZE - 1))
#define PUD_SHIFT	30
#define PGDIR_SHIFT_X86_64 39

/* Levels of the machine's kernel page table (2 or 4) and its top's size. */
extern unsigned int kmm_pgtable_levels;
extern unsigned int PTRS_PER_PGD;
extern pgd_t *swapper_pg_dir;

static inline pte_t pfn_pte(unsigned long pfn, pgprot_t prot)
{
	return (pte_t){ ((pteval_t)pfn << PAGE_SHIFT) | pgprot_val(prot) };
}
static inline unsigned long pte_pfn(pte_t pte)
{
	return (unsigned long)((pte.pte & PTE_PFN_MASK) >> PAGE_SHIFT);
}
#define mk_pte(page, prot)	pfn_pte(page_to_pfn(page), prot)
#define pte_page(pte)		pfn_to_page(pte_pfn(pte))
static inline bool pte_present(pte_t pte) { return pte.pte & _PAGE_PRESENT; }
static inline bool pte_none(pte_t pte) { return pte.pte == 0; }
static inline bool pte_write(pte_t pte) { return pte.pte & _PAGE_RW; }
static inline pgprot_t pte_pgprot(pte_t pte) { return __pgprot(pte.pte & ~PTE_PFN_MASK); }
static inline pte_t ptep_get(const pte_t *ptep)
{
	return (pte_t){ __atomic_load_n(&ptep->pte, __ATOMIC_RELAXED) };
}
static inline void set_pte(pte_t *ptep, pte_t pte)
{
	__atomic_store_n(&ptep->pte, pte.pte, __ATOMIC_RELAXED);
}
#define set_pte_at(mm, addr, ptep, pte) set_pte(ptep, pte)
static inline void pte_clear(void *mm, unsigned long addr, pte_t *ptep)
{
	(void)mm; (void)addr;
	set_pte(ptep, (pte_t){ 0 });
}

/*
 * An upper-level entry, read while other threads may fill empty ones in.
 * A table is published with a release once zeroed (entry_populate()), so
 * a walk reads each entry with an acquire and sees the table's contents:
 * Linux's pXdp_get() read once and rely on the address dependency, which C
 * knows only as an acquire (a plain load on x86 all the same).
 */
static inline pgd_t pgdp_get(const pgd_t *pgdp)
{
	return (pgd_t){ __atomic_load_n(&pgdp->pgd, __ATOMIC_ACQUIRE) };
}
static inline pud_t pudp_get(const pud_t *pudp)
{
	return (pud_t){ __atomic_load_n(&pudp->pud, __ATOMIC_ACQUIRE) };
}
static inline pmd_t pmdp_get(const pmd_t *pmdp)
{
	return (pmd_t){ __atomic_load_n(&pmdp->pmd, __ATOMIC_ACQUIRE) };
}

static inline bool pgd_none(pgd_t pgd) { return pgd.pgd == 0; }
static inline bool pud_none(pud_t pud) { return pud.pud == 0; }
static inline bool pmd_none(pmd_t pmd) { return pmd.pmd == 0; }

/*
 * The walk, one function per level.  On x86_32 the pud and pmd levels are
 * folded into the pgd: pud_offset() and pmd_offset() return the entry they
 * were given, as Linux's pgtable-nopud.h / nopmd.h do.
 */
pgd_t *pgd_offset_k(unsigned long addr);
pud_t *pud_offset(pgd_t *pgd, unsigned long addr);
pmd_t *pmd_offset(pud_t *pud, unsigned long addr);
pte_t *pte_offset_kernel(pmd_t *pmd, unsigned long addr);

/* The kernel page table's entry for @addr, or NULL where no table exists. */
pte_t *kmm_lookup_pte(unsigned long addr);

#pragma GCC visibility pop

#endif /* KMM_PGTABLE_H */
