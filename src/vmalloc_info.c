/* SPDX-License-Identifier: MIT */
/*
 * The vmalloc layer seen from outside: /proc/vmallocinfo in Linux 6.18's
 * format, and the validator kmm_check() runs on it.
 */
#include "vmalloc.h"

static void show_numa_info(FILE *f, const struct vm_struct *v)
{
	unsigned int counters[MAX_NUMNODES] = { 0 };

	if (!v->pages || kmm_arch() == KMM_ARCH_X86_32)	/* i386 kernels: no NUMA */
		return;
	for (unsigned int i = 0; i < v->nr_pages; i++)
		counters[page_to_nid(v->pages[i])]++;
	for (int nid = 0; nid < nr_online_nodes; nid++)
		if (counters[nid])
			fprintf(f, " N%d=%u", nid, counters[nid]);
}

void show_vmallocinfo(FILE *f)
{
	spin_lock(&vmap_area_lock);
	for (struct rb_node *n = rb_first(&vmap_busy_root); n; n = rb_next(n)) {
		struct vmap_area *va = rb_entry(n, struct vmap_area, rb_node);
		struct vm_struct *v = va->vm;

		if (!v) {
			if (va->flags & VMAP_RAM)
				fprintf(f, "0x%016lx-0x%016lx %7ld vm_map_ram\n", va->va_start,
					va->va_end, (long)va_size(va));
			continue;
		}
		if (__atomic_load_n(&v->flags, __ATOMIC_ACQUIRE) & VM_UNINITIALIZED)
			continue;
		fprintf(f, "0x%016lx-0x%016lx %7ld", (unsigned long)v->addr,
			(unsigned long)v->addr + v->size, (long)v->size);
		if (v->caller) {
			char sym[256];
			plat_symbol(v->caller, sym, sizeof(sym));
			fprintf(f, " %s", sym);
		}
		if (v->nr_pages)
			fprintf(f, " pages=%u", v->nr_pages);
		if (v->phys_addr)
			fprintf(f, " phys=0x%016llx", (unsigned long long)v->phys_addr);
		if (v->flags & VM_IOREMAP)
			fputs(" ioremap", f);
		if (v->flags & VM_SPARSE)
			fputs(" sparse", f);
		if (v->flags & VM_ALLOC)
			fputs(" vmalloc", f);
		if (v->flags & VM_MAP)
			fputs(" vmap", f);
		if (v->flags & VM_USERMAP)
			fputs(" user", f);
		if (v->flags & VM_DMA_COHERENT)
			fputs(" dma-coherent", f);
		if (is_vmalloc_addr(v->pages))
			fputs(" vpages", f);
		show_numa_info(f, v);
		fputc('\n', f);
	}
	spin_unlock(&vmap_area_lock);
	show_vmap_lazy(f);
}

/* Each busy area against the page table: its pages mapped, its guard not. */
static void check_area(const struct vmap_area *va, unsigned long *alloc_pages)
{
	const struct vm_struct *vm = va->vm;
	unsigned long vm_flags;

	if (!vm) {
		KMM_CHECK(va->flags & VMAP_RAM, "busy vmap area 0x%lx-0x%lx has no vm_struct",
			  va->va_start, va->va_end);
		return;
	}
	KMM_CHECK((unsigned long)vm->addr == va->va_start && vm->size == va_size(va),
		  "vm_struct %p-%#lx does not match its vmap area 0x%lx-0x%lx", vm->addr,
		  (unsigned long)vm->addr + vm->size, va->va_start, va->va_end);
	/*
	 * One acquire load, pairing with the release that clears
	 * VM_UNINITIALIZED in __vmalloc_node_range(): a check running beside
	 * a vmalloc sees the area either unpublished or with its pages.
	 */
	vm_flags = __atomic_load_n(&vm->flags, __ATOMIC_ACQUIRE);
	if (vm_flags & VM_ALLOC)
		*alloc_pages += vm->nr_pages;
	if ((vm_flags & VM_UNINITIALIZED) || (va->flags & VA_FREEING))
		return;
	if (vm_flags & VM_ALLOC)
		KMM_CHECK(vm->nr_pages == get_vm_area_size(vm) >> PAGE_SHIFT,
			  "vmalloc area %p: %u pages for %lu bytes", vm->addr, vm->nr_pages,
			  get_vm_area_size(vm));
	for (unsigned int i = 0; vm->pages && i < vm->nr_pages; i++) {
		unsigned long a = va->va_start + (unsigned long)i * PAGE_SIZE;
		pte_t *ptep = kmm_lookup_pte(a);
		pte_t pte = ptep ? ptep_get(ptep) : (pte_t){ 0 };

		if (!pte_present(pte) || pte_pfn(pte) != page_to_pfn(vm->pages[i]) ||
		    page_ref_count(vm->pages[i]) <= 0) {
			KMM_CHECK(0, "vmalloc area %p page %u: entry %#llx, page pfn %#lx refcount %d",
				  vm->addr, i, (unsigned long long)pte.pte,
				  page_to_pfn(vm->pages[i]), page_ref_count(vm->pages[i]));
			break;
		}
	}
	if (!(vm_flags & VM_NO_GUARD)) {
		pte_t *ptep = kmm_lookup_pte(va->va_end - PAGE_SIZE);
		KMM_CHECK(!ptep || !pte_present(ptep_get(ptep)),
			  "vm area %p: its guard page at %#lx is mapped", vm->addr,
			  va->va_end - PAGE_SIZE);
	}
}

/* No present entry in the vmalloc range outside a busy area. */
static void check_no_orphan_entries(void)
{
	for (unsigned long a = VMALLOC_START & PMD_MASK, next; a < VMALLOC_END; a = next) {
		pte_t *table = kmm_lookup_pte_table(a, &next);
		if (!table)
			continue;
		for (unsigned int i = 0; i < PTRS_PER_PTE; i++) {
			unsigned long addr = a + (unsigned long)i * PAGE_SIZE;
			if (!pte_present(ptep_get(&table[i])) || !is_vmalloc_addr((void *)addr))
				continue;
			KMM_CHECK(__find_vmap_area(addr, false),
				  "page-table entry for %#lx (pfn %#lx) lies in no vmap area", addr,
				  pte_pfn(ptep_get(&table[i])));
		}
	}
}

/* Called by kmm_check() with the machine stopped. */
int kmm_check_vmalloc(void)
{
	unsigned long alloc_pages = 0;

	if (!VMALLOC_START)
		return 0;
	vmap_check();
	for (struct rb_node *n = rb_first(&vmap_busy_root); n; n = rb_next(n))
		check_area(rb_entry(n, struct vmap_area, rb_node), &alloc_pages);
	KMM_CHECK(alloc_pages == vmalloc_nr_pages(),
		  "vmalloc areas hold %lu pages, VmallocUsed counts %lu", alloc_pages,
		  vmalloc_nr_pages());
	check_no_orphan_entries();
	return 0;
}
