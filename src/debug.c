/* SPDX-License-Identifier: MIT */
/*
 * Page debugging: dump_page() and the "Bad page state" report, in the
 * shape Linux 6.x prints them.
 */
#include <ctype.h>
#include <stdio.h>
#include "page_alloc.h"
#include "annotate.h"

/*
 * Reports read bytes the tools may consider inaccessible or undefined (a
 * free slab object's, or past a kmalloc request): print_hex_dump() copies
 * them out with annot_peek(), and memchr_inv() is not instrumented by ASan.
 */

/* See internal.h. */
void print_hex_dump(const char *prefix, const void *buf, size_t len)
{
	const u8 *addr = buf;

	for (size_t off = 0; off < len; off += 16) {
		char hex[16 * 3 + 1], ascii[17];
		u8 row[16];
		unsigned int n = (unsigned int)min((size_t)16, len - off), h = 0;

		annot_peek(row, addr + off, n);
		for (unsigned int i = 0; i < n; i++) {
			h += (unsigned int)snprintf(hex + h, sizeof(hex) - h, i ? " %02x" : "%02x", row[i]);
			ascii[i] = isprint(row[i]) ? (char)row[i] : '.';
		}
		ascii[n] = '\0';
		pr_err("%s%016lx: %-47s  %s\n", prefix, (unsigned long)(addr + off), hex, ascii);
	}
}

/* See internal.h. */
annot_unchecked const u8 *memchr_inv(const u8 *p, u8 value, size_t bytes)
{
	for (size_t i = 0; i < bytes; i++)
		if (p[i] != value)
			return p + i;
	return NULL;
}

/* In the order Linux prints them (%pGp), which is not the bit order. */
static const struct { int bit; const char *name; } pageflag_names[] = {
	{ PG_locked, "locked" }, { PG_waiters, "waiters" }, { PG_referenced, "referenced" },
	{ PG_uptodate, "uptodate" }, { PG_dirty, "dirty" }, { PG_lru, "lru" },
	{ PG_active, "active" }, { PG_workingset, "workingset" },
	{ PG_owner_priv_1, "owner_priv_1" }, { PG_owner_2, "owner_2" }, { PG_arch_1, "arch_1" },
	{ PG_reserved, "reserved" }, { PG_private, "private" }, { PG_private_2, "private_2" },
	{ PG_writeback, "writeback" }, { PG_head, "head" }, { PG_reclaim, "reclaim" },
	{ PG_swapbacked, "swapbacked" }, { PG_unevictable, "unevictable" },
	{ PG_dropbehind, "dropbehind" }, { PG_mlocked, "mlocked" }, { PG_hwpoison, "hwpoison" },
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
	case PGTY_zsmalloc: return "(null)";
	case PGTY_unaccepted: return "unaccepted";
	default: return "unknown";
	}
}

/* %pGp: "0x2000000000000c0(referenced|uptodate|node=0|zone=2)" */
void kmm_format_page_flags(char *buf, size_t size, unsigned long flags)
{
	unsigned long f = flags & ~KMM_ALLOC_BITS;
	size_t len = (size_t)snprintf(buf, size, "0x%lx(", f);

	for (size_t i = 0; i < ARRAY_SIZE(pageflag_names) && len < size; i++)
		if (f & (1UL << pageflag_names[i].bit))
			len += (size_t)snprintf(buf + len, size - len, "%s|", pageflag_names[i].name);
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
	pr_warn("page: refcount:%d mapcount:%d mapping:%016lx index:0x%lx pfn:0x%lx\n",
		page_ref_count(head), page_mapcount(page),
		(unsigned long)page->mapping, (unsigned long)page->index,
		page_to_pfn(page));
	if (PageHead(head))
		pr_warn("head: order:%u mapcount:0 entire_mapcount:0 nr_pages_mapped:0 pincount:0\n",
			compound_order(head));
	kmm_format_page_flags(flags, sizeof(flags), page->flags);
	pr_warn("flags: %s\n", flags);
	if (page_has_type(page))
		pr_warn("page_type: %x(%s)\n", page->page_type >> 24, page_type_name(page->page_type));
	pr_warn("raw: %016lx %016lx %016lx %016lx\n", raw[0], raw[1], raw[2], raw[3]);
	pr_warn("raw: %016lx %016lx %016lx %016lx\n", raw[4], raw[5], raw[6], raw[7]);
	if (PageHead(head)) {
		const unsigned long *h = (const unsigned long *)head;
		for (int i = 0; i < 16; i += 4)
			pr_warn("head: %016lx %016lx %016lx %016lx\n", h[i], h[i + 1], h[i + 2], h[i + 3]);
	}
	if (reason)
		pr_warn("page dumped because: %s\n", reason);
}

void bad_page(struct page *page, const char *reason)
{
	static bool tainted;
	static u64 resume;
	static unsigned long nr_shown, nr_unshown;

	kmm_report_count_inc(KMM_REPORT_BAD_PAGE);
	/* Linux's burst of 60 reports, then one burst a minute. */
	if (nr_shown == 60) {
		if (plat_now_ns() < resume) {
			nr_unshown++;
			return;
		}
		if (nr_unshown) {
			pr_alert("BUG: Bad page state: %lu messages suppressed\n", nr_unshown);
			nr_unshown = 0;
		}
		nr_shown = 0;
	}
	if (nr_shown++ == 0)
		resume = plat_now_ns() + 60000000000ull;
	pr_alert("BUG: Bad page state in process %s  pfn:%05lx\n", kmm_comm(),
		 kmm_page_ptr_valid(page) ? page_to_pfn(page) : 0UL);
	dump_page(page, reason);
	pr_alert("Modules linked in:\n");
	dump_stack();
	add_taint(TAINT_BAD_PAGE);
	if (!tainted) {
		tainted = true;
		pr_warn("Disabling lock debugging due to kernel taint\n");
	}
	if (kmm_panic_on_warn)
		panic("bad page state");
}
