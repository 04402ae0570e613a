/* SPDX-License-Identifier: MIT */
/*
 * ioremap: map a physical range that is not RAM the kernel manages (here:
 * a range reserved with memmap=SIZE$START) into the vmalloc area, uncached
 * (PAGE_KERNEL_IO), as one run: one host call.  RAM in use is refused with
 * Linux's "ioremap on RAM" warning.
 */
#include "vmalloc.h"

static bool range_is_reserved(phys_addr_t start, phys_addr_t end)
{
	for (unsigned int i = 0; i < e820_table.nr_entries; i++) {
		const struct e820_entry *e = &e820_table.entries[i];
		if (e->type == E820_TYPE_RESERVED && e->addr <= start && end <= e->addr + e->size)
			return true;
	}
	return false;
}

void __iomem *ioremap(phys_addr_t phys_addr, unsigned long size)
{
	phys_addr_t last = phys_addr + size - 1;
	unsigned long offset = phys_addr & ~PAGE_MASK;
	phys_addr_t base = phys_addr & PAGE_MASK;
	struct vm_struct *area;

	if (!size || last < phys_addr)
		return NULL;
	size = PAGE_ALIGN(size + offset);
	if (base + size > plat_ram_size() || !range_is_reserved(base, base + size)) {
		WARN_ONCE(1, "ioremap on RAM at 0x%016llx - 0x%016llx\n",
			  (unsigned long long)base, (unsigned long long)(base + size - 1));
		kmm_report_count_inc(KMM_REPORT_VMALLOC);
		return NULL;
	}
	area = get_vm_area_caller(size, VM_IOREMAP, __builtin_return_address(0));
	if (!area)
		return NULL;
	area->phys_addr = base;
	long maps = vmap_range_phys((unsigned long)area->addr, (unsigned long)area->addr + size,
				    base, PAGE_KERNEL_IO);
	if (maps < 0) {
		free_vm_area(area);
		return NULL;
	}
	spin_lock(&vmap_area_lock);
	__find_vmap_area((unsigned long)area->addr, true)->host_maps = (int)maps;
	spin_unlock(&vmap_area_lock);
	return (char *)area->addr + offset;
}

void iounmap(volatile void __iomem *addr)
{
	void *p = (void *)((unsigned long)addr & PAGE_MASK);
	struct vm_struct *vm = find_vm_area(p);

	if (!vm || !(vm->flags & VM_IOREMAP) || vm->addr != p) {
		pr_err("iounmap: bad address %p\n", (void *)addr);
		dump_stack();
		kmm_report_count_inc(KMM_REPORT_VMALLOC);
		return;
	}
	vm = remove_vm_area(p);
	kfree(vm);
}
