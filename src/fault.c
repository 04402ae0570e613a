/* SPDX-License-Identifier: MIT */
/*
 * Kernel page faults: the report Linux's page_fault_oops() prints, for an
 * access the host refused inside the kernel window (a guard page, the
 * VMALLOC_OFFSET hole, an unmapped vmalloc address, a write through a
 * read-only mapping, a free page debug_pagealloc took out of the direct
 * map).  It says where the address is: which vm area it is
 * in or next to, with the caller that made the area.  Then the fault goes
 * on to the host, which ends the process with SIGSEGV, as an oops ends the
 * task.  The handler reads the trees without locks: the faulting thread
 * may hold them, and it is about to die anyway.
 */
#include "vmalloc.h"
#include "kfence.h"

static unsigned int oops_count;

/* The address as the arch prints it: 32 bits on x86_32. */
static unsigned long arch_addr(unsigned long addr)
{
	if (kmm_arch() == KMM_ARCH_X86_32)
		return addr - PAGE_OFFSET + 0xC0000000UL;
	return addr;
}

static void describe_area(const char *how, const struct vmap_area *va)
{
	char sym[256] = "";

	if (va->vm && va->vm->caller)
		plat_symbol(va->vm->caller, sym, sizeof(sym));
	pr_alert("%s vm area 0x%lx-0x%lx (%lu bytes)%s%s\n", how, arch_addr(va->va_start),
		 arch_addr(va->va_end), va_size(va), *sym ? " allocated by " : "", sym);
}

static const struct vmap_area *busy_before(unsigned long addr)
{
	const struct vmap_area *best = NULL;
	struct rb_node *n = vmap_busy_root.rb_node;

	while (n) {
		const struct vmap_area *va = rb_entry(n, struct vmap_area, rb_node);
		if (va->va_start <= addr) {
			best = va;
			n = n->rb_right;
		} else {
			n = n->rb_left;
		}
	}
	return best;
}

static void describe_address(unsigned long addr)
{
	if (addr >= PAGE_OFFSET && addr < (unsigned long)high_memory) {
		unsigned long pfn = PHYS_PFN(__pa((void *)addr));

		if (kmm_page_in_direct_map_free(addr))
			pr_alert("The address is in the direct map, pfn %#lx, a free page (debug_pagealloc unmapped it)\n",
				 pfn);
		else
			pr_alert("The address is in the direct map, pfn %#lx\n", pfn);
		return;
	}
	if (kmm_arch() == KMM_ARCH_X86_32 && addr >= PKMAP_BASE && addr < PKMAP_ADDR(LAST_PKMAP)) {
		pr_alert("The address is in the pkmap area, slot %lu, not kmapped\n", PKMAP_NR(addr));
		return;
	}
	if (kmm_arch() == KMM_ARCH_X86_32 && addr >= FIXADDR_START && addr <= FIXADDR_TOP) {
		pr_alert("The address is in the fixmap, slot %lu, not mapped\n", __virt_to_fix(addr));
		return;
	}
	if (addr < (unsigned long)high_memory) {
		pr_alert("The address is in the direct map\n");
		return;
	}
	if (addr >= (unsigned long)high_memory && addr < VMALLOC_START) {
		pr_alert("The address is in the hole between high_memory and VMALLOC_START\n");
		return;
	}
	if (!is_vmalloc_addr((void *)addr)) {
		pr_alert("The address is outside the direct map and the vmalloc area\n");
		return;
	}
	const struct vmap_area *va = busy_before(addr);
	if (va && addr < va->va_end) {
		if (va->vm && !(va->vm->flags & VM_NO_GUARD) && addr >= va->va_end - PAGE_SIZE)
			describe_area("The address is in the guard page of", va);
		else
			describe_area("The address is in the unmapped part of", va);
		return;
	}
	if (va)
		describe_area("The address is in no vm area; the one below it is", va);
	else
		pr_alert("The address is in no vm area, below every area\n");
}

static void dump_pagetable(unsigned long addr)
{
	if (kmm_pgtable_levels == 2) {
		pgd_t *pgd = pgd_offset_k(addr);
		pte_t *pte = kmm_lookup_pte(addr);
		pr_alert("*pde = %016llx *pte = %016llx\n", (unsigned long long)pgd->pgd,
			 pte ? (unsigned long long)pte->pte : 0ULL);
		return;
	}
	pgd_t *pgd = pgd_offset_k(addr);
	printk(KERN_ALERT "PGD %llx P4D %llx ", (unsigned long long)pgd->pgd,
	       (unsigned long long)pgd->pgd);
	if (pgd_none(*pgd))
		goto out;
	pud_t *pud = pud_offset(pgd, addr);
	pr_cont("PUD %llx ", (unsigned long long)pud->pud);
	if (pud_none(*pud))
		goto out;
	pmd_t *pmd = pmd_offset(pud, addr);
	pr_cont("PMD %llx ", (unsigned long long)pmd->pmd);
	if (pmd_none(*pmd))
		goto out;
	pr_cont("PTE %llx", (unsigned long long)pte_offset_kernel(pmd, addr)->pte);
out:
	pr_cont("\n");
}

static bool kernel_fault(unsigned long addr, int write, void *uctx)
{
	/* Linux's page_fault_oops() looks for a kernel stack overflow first. */
	if (handle_stack_overflow(addr))
		return false;
	/* KFENCE reports its own pages' faults and lets the access go on. */
	if (kfence_handle_page_fault(addr, write > 0, uctx))
		return true;
	pte_t *ptep = kmm_lookup_pte(addr);
	bool present = ptep && pte_present(ptep_get(ptep));
	unsigned long error_code = (present ? 1 : 0) | (write > 0 ? 2 : 0);

	if (kmm_arch() == KMM_ARCH_X86_32)
		pr_alert("BUG: unable to handle page fault for address: %08lx\n", arch_addr(addr));
	else
		pr_alert("BUG: unable to handle page fault for address: %016lx\n", addr);
	pr_alert("#PF: supervisor %s access in kernel mode\n", write > 0 ? "write" : "read");
	pr_alert("#PF: error_code(0x%04lx) - %s\n", error_code,
		 present ? "permissions violation" : "not-present page");
	describe_address(addr);
	dump_pagetable(addr);
	if (task_stack_end_corrupted(current))
		pr_emerg("Thread overran stack, or stack corrupted\n");
	pr_emerg("Oops: %04lx [#%u] SMP NOPTI\n", error_code, ++oops_count);
	pr_emerg("CPU: %d UID: 0 PID: %d Comm: %s Tainted: %s\n", current->cpu, plat_gettid(),
		 kmm_comm(), print_tainted());
	dump_stack();
	add_taint(TAINT_DIE);
	kmm_report_count_inc(KMM_REPORT_BUG);
	return false;
}

void kmm_fault_init(void)
{
	/* The direct map too: debug_pagealloc takes free pages out of it, and the
	 * KFENCE pool's guard pages are in it. */
	plat_fault_install(kernel_fault, PAGE_OFFSET, kmm_layout.window_end);
}

void kmm_fault_exit(void)
{
	plat_fault_remove();
}
