/* SPDX-License-Identifier: MIT */
/*
 * Page debugging: dump_page() and the "Bad page state" report, in the
 * shape Linux 6.x prints them.
 */
#include <stdio.h>
#include "page_alloc.h"

static const char *const pageflag_names[__NR_PAGEFLAGS] = {
	"locked", "writeback", "referenced", "uptodate", "dirty", "lru", "head",
	"waiters", "active", "workingset", "owner_priv_1", "owner_2", "arch_1",
	"reserved", "private", "private_2", "reclaim", "swapbacked",
	"unevictable", "dropbehind", "mlocked", "hwpoison",
};

static const char *page_type_name(unsigned int type)
{
	switch (type >> 24) {
	case PGTY_buddy: return "buddy";
	case PGTY_offline: return "offline";
	case PGTY_table: return "table";
	case PGTY_guard: return "guard";
	case PGTY_hugetlb: return "hugetlb";
	case PGTY_slab: return "slab";
	case PGTY_zsmalloc: return "zsmalloc";
	case PGTY_unaccepted: return "unaccepted";
	case PGTY_large_kmalloc: return "large_kmalloc";
	default: return "unknown";
	}
}

/* "0x2000000000000c0(referenced|uptodate|node=0|zone=2)" */
static void format_page_flags(char *buf, size_t size, unsigned long flags)
{
	unsigned long f = flags & ~KMM_ALLOC_BITS;
	size_t len = (size_t)snprintf(buf, size, "%#lx(", f);

	for (int i = 0; i < __NR_PAGEFLAGS && len < size; i++)
		if (f & (1UL << i))
			len += (size_t)snprintf(buf + len, size - len, "%s|", pageflag_names[i]);
	if (len < size)
		snprintf(buf + len, size - len, "node=%lu|zone=%lu)",
			 (f >> NODES_PGSHIFT) & NODES_MASK, (f >> ZONES_PGSHIFT) & ZONES_MASK);
}

void dump_page(const struct page *page, const char *reason)
{
	char flags[512];
	const unsigned long *raw = (const unsigned long *)page;
	const struct page *head = compound_head(page);

	if (!kmm_page_ptr_valid(page)) {
		pr_warn("page:%p is not a valid struct page\n", page);
		if (reason)
			pr_warn("page dumped because: %s\n", reason);
		return;
	}
	pr_warn("page: refcount:%d mapcount:%d mapping:%016lx index:%#lx pfn:%#lx\n",
		page_ref_count(head), page_mapcount(page),
		(unsigned long)page->mapping, (unsigned long)page->index,
		page_to_pfn(page));
	if (head != page)
		pr_warn("head: order:%u pfn:%#lx\n", compound_order(head), page_to_pfn(head));
	format_page_flags(flags, sizeof(flags), page->flags);
	pr_warn("flags: %s\n", flags);
	if (page_has_type(page))
		pr_warn("page_type: %x(%s)\n", page->page_type >> 24, page_type_name(page->page_type));
	pr_warn("raw: %016lx %016lx %016lx %016lx\n", raw[0], raw[1], raw[2], raw[3]);
	pr_warn("raw: %016lx %016lx %016lx %016lx\n", raw[4], raw[5], raw[6], raw[7]);
	if (reason)
		pr_warn("page dumped because: %s\n", reason);
}

void bad_page(struct page *page, const char *reason)
{
	static bool tainted;

	kmm_report_count_inc(KMM_REPORT_BAD_PAGE);
	pr_alert("BUG: Bad page state in process %s  pfn:%05lx\n", kmm_comm(),
		 kmm_page_ptr_valid(page) ? page_to_pfn(page) : 0UL);
	dump_page(page, reason);
	pr_alert("Modules linked in:\n");
	dump_stack();
	if (!tainted) {
		tainted = true;
		pr_alert("Disabling lock debugging due to kernel taint\n");
	}
	if (kmm_panic_on_warn)
		panic("bad page state");
}
