/* SPDX-License-Identifier: MIT */
/*
 * The views: every name kmm_show() knows prints, in Linux's formats, and
 * the numbers they print are the machine's own; gfp flags print as Linux
 * prints them and parse back to the same bits.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <kmm/trace.h>
#include "helpers.h"

/* The text of a view (caller frees), or NULL with *err set. */
static char *show(const char *view, int *err)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cr_assert_not_null(f);
	*err = kmm_show(view, f);
	fclose(f);
	return buf;
}

static char *show_ok(const char *view)
{
	int err;
	char *text = show(view, &err);

	cr_assert_eq(err, 0, "kmm_show(\"%s\") = %d", view, err);
	return text;
}

/* The number after "@key" at the start of a line, or -1. */
static long line_value(const char *text, const char *key)
{
	size_t n = strlen(key);

	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (!strncmp(l, key, n))
			return strtol(l + n, NULL, 10);
	return -1;
}

static struct zone *zone_named(const char *name)
{
	for (int zt = 0; zt < MAX_NR_ZONES; zt++) {
		struct zone *z = &NODE_DATA(0)->node_zones[zt];
		if (!strcmp(z->name, name))
			return z;
	}
	return NULL;
}

Test(views, every_view_prints)
{
	boot_or_die("mem=256M kfence.sample_interval=100");	/* KFENCE's views have a pool to show */
	const char *const *names = kmm_view_names();
	int n = 0;

	cr_assert_not_null(names);
	for (; names[n]; n++) {
		char *text = show_ok(names[n]);
		cr_assert_not_null(text);
		/* A machine that has vmalloc()ed nothing has no vmalloc areas; no leaks, no kmemleak lines. */
		if ((!strcmp(names[n], "vmallocinfo") || !strcmp(names[n], "kmemleak")) && !*text) {
			free(text);
			continue;
		}
		cr_assert_gt(strlen(text), 0, "view %s is empty", names[n]);
		cr_assert_eq(text[strlen(text) - 1], '\n', "view %s does not end its line", names[n]);
		free(text);
	}
	cr_assert_geq(n, 8);
	int err;
	free(show("no_such_view", &err));
	cr_assert_eq(err, -ENOENT);
	free(show("", &err));
	cr_assert_eq(err, -ENOENT);
	free(show("buddyinfo ", &err));
	cr_assert_eq(err, -ENOENT);
	check_and_shutdown();
}

Test(views, views_need_a_machine_but_dmesg_does_not)
{
	boot_or_die("mem=64M");
	check_and_shutdown();
	int err;
	free(show("buddyinfo", &err));
	cr_assert_eq(err, -ENODEV);
	free(show("meminfo", &err));
	cr_assert_eq(err, -ENODEV);
	char *text = show("dmesg", &err);
	cr_assert_eq(err, 0);
	cr_assert(strstr(text, "Linux version"), "the log of the last boot is kept");
	free(text);
	free(show("nonsense", &err));
	cr_assert_eq(err, -ENOENT);
}

/* --- buddyinfo --- */

struct buddyinfo {
	int nr_zones;
	char name[MAX_NR_ZONES][16];
	unsigned long count[MAX_NR_ZONES][NR_PAGE_ORDERS];
};

static void parse_buddyinfo(struct buddyinfo *b)
{
	char *text = show_ok("buddyinfo");
	char *save = NULL;

	memset(b, 0, sizeof(*b));
	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		/* "Node 0, zone      DMA " then eleven "%6lu " */
		cr_assert_eq(strlen(l), 13 + 8 + 1 + 7 * NR_PAGE_ORDERS, "bad line length: \"%s\"", l);
		cr_assert(!strncmp(l, "Node 0, zone ", 13), "\"%s\"", l);
		cr_assert_eq(l[21], ' ');
		cr_assert_lt(b->nr_zones, MAX_NR_ZONES);
		int z = b->nr_zones++;
		cr_assert_eq(sscanf(l + 13, "%15s", b->name[z]), 1);
		char expect_name[16];
		snprintf(expect_name, sizeof(expect_name), "%8s", b->name[z]);
		cr_assert(!strncmp(l + 13, expect_name, 8), "zone name not right-aligned in 8: \"%s\"", l);
		for (int o = 0; o < NR_PAGE_ORDERS; o++) {
			const char *field = l + 22 + 7 * o;
			cr_assert_eq(field[6], ' ', "field %d not \"%%6lu \": \"%s\"", o, l);
			char *end;
			b->count[z][o] = strtoul(field, &end, 10);
			cr_assert_eq(end, field + 6, "field %d not right-aligned in 6: \"%s\"", o, l);
		}
	}
	free(text);
}

static void check_buddyinfo_matches_zones(const char *const *expect, int n)
{
	struct buddyinfo b;

	parse_buddyinfo(&b);
	cr_assert_eq(b.nr_zones, n);
	for (int i = 0; i < n; i++) {
		cr_assert_str_eq(b.name[i], expect[i]);
		struct zone *z = zone_named(expect[i]);
		for (int o = 0; o < NR_PAGE_ORDERS; o++)
			cr_assert_eq(b.count[i][o], z->free_area[o].nr_free + z->deferred_nr_free[o],
				     "%s order %d", expect[i], o);
	}
}

Test(views, buddyinfo_format_x86_64)
{
	static const char *const zones[] = { "DMA", "DMA32", "Normal" };

	boot_or_die("mem=8G");
	drain_all_pages(NULL);
	check_buddyinfo_matches_zones(zones, 3);
	check_and_shutdown();
	/* Only the populated zones are shown. */
	boot_or_die("mem=1G");
	drain_all_pages(NULL);
	check_buddyinfo_matches_zones(zones, 2);
	check_and_shutdown();
}

Test(views, buddyinfo_format_x86_32)
{
	static const char *const zones[] = { "DMA", "Normal", "HighMem" };

	boot_or_die("arch=x86_32 mem=2G");
	drain_all_pages(NULL);
	check_buddyinfo_matches_zones(zones, 3);
	check_and_shutdown();
}

/* An order-5 allocation splits one block of order k >= 5: k loses one, 5..k-1 gain one. */
static void buddyinfo_follows_an_allocation(const char *cmdline, gfp_t gfp)
{
	struct buddyinfo before, after, back;

	boot_or_die(cmdline);
	drain_all_pages(NULL);
	parse_buddyinfo(&before);
	struct page *p = alloc_pages(gfp, 5);
	cr_assert_not_null(p);
	parse_buddyinfo(&after);
	cr_assert_eq(after.nr_zones, before.nr_zones);

	int changed = -1;
	for (int z = 0; z < before.nr_zones; z++)
		if (memcmp(before.count[z], after.count[z], sizeof(before.count[z]))) {
			cr_assert_eq(changed, -1, "two zones changed");
			changed = z;
		}
	cr_assert_neq(changed, -1, "buddyinfo did not change");
	cr_assert_str_eq(before.name[changed], page_zone(p)->name);
	const unsigned long *b = before.count[changed], *a = after.count[changed];
	int k = 5;
	while (k < NR_PAGE_ORDERS && a[k] == b[k] + 1)
		k++;
	cr_assert_lt(k, NR_PAGE_ORDERS);
	cr_assert_eq(a[k], b[k] - 1, "order %d: %lu -> %lu", k, b[k], a[k]);
	for (int o = 0; o < NR_PAGE_ORDERS; o++)
		if (o < 5 || o > k)
			cr_assert_eq(a[o], b[o], "order %d changed: %lu -> %lu (split from %d)", o,
				     b[o], a[o], k);
	__free_pages(p, 5);
	drain_all_pages(NULL);
	parse_buddyinfo(&back);
	cr_assert_eq(memcmp(back.count, before.count, sizeof(back.count)), 0,
		     "buddyinfo not back after the free");
	check_and_shutdown();
}

Test(views, buddyinfo_follows_an_order5_allocation)
{
	buddyinfo_follows_an_allocation("mem=512M", GFP_KERNEL);
}

Test(views, buddyinfo_follows_an_order5_movable_allocation)
{
	buddyinfo_follows_an_allocation("mem=512M", GFP_HIGHUSER_MOVABLE);
}

Test(views, buddyinfo_follows_an_order5_allocation_x86_32)
{
	buddyinfo_follows_an_allocation("arch=x86_32 mem=2G", GFP_HIGHUSER);
}

/* --- zoneinfo --- */

static void check_zoneinfo(void)
{
	char *text = show_ok("zoneinfo");
	int zones = 0;

	cr_assert(strstr(text, "pages free"));
	cr_assert(strstr(text, "protection: ("));
	cr_assert(strstr(text, "start_pfn:"));
	cr_assert(strstr(text, "per-node stats"));
	for (char *h = strstr(text, "Node 0, zone "); h; h = strstr(h + 1, "Node 0, zone ")) {
		char name[16];
		cr_assert_eq(sscanf(h + 13, "%15s", name), 1);
		struct zone *z = zone_named(name);
		cr_assert_not_null(z, "zoneinfo shows an unknown zone %s", name);
		char *next = strstr(h + 1, "Node 0, zone ");
		char *pf = strstr(h, "\n  pages free     ");
		cr_assert(pf && (!next || pf < next), "zone %s has no pages free line", name);
		cr_assert_eq(strtoul(pf + 18, NULL, 10), zone_page_state(z, NR_FREE_PAGES), "%s", name);
		char *managed = strstr(h, "\n        managed  ");
		cr_assert_eq(strtoul(managed + 18, NULL, 10), zone_managed_pages(z), "%s", name);
		char *mn = strstr(h, "\n        min      ");
		cr_assert_eq(strtoul(mn + 18, NULL, 10), min_wmark_pages(z), "%s", name);
		char *hi = strstr(h, "\n        high     ");
		cr_assert_eq(strtoul(hi + 18, NULL, 10), high_wmark_pages(z), "%s", name);
		/* protection: one figure per zone the arch has, lowmem_reserve[] */
		char *prot = strstr(h, "protection: (");
		cr_assert(prot && (!next || prot < next));
		char *s = prot + 13;
		for (int zt = 0; zt < MAX_NR_ZONES; zt++) {
			if (kmm_arch() == KMM_ARCH_X86_32 ? (zt == ZONE_DMA32 || zt == ZONE_DEVICE)
							  : zt == ZONE_HIGHMEM)
				continue;
			char *end;
			long v = strtol(s, &end, 10);
			cr_assert_neq(end, s, "%s: protection too short", name);
			cr_assert_eq(v, z->lowmem_reserve[zt], "%s protection[%d]", name, zt);
			s = end;
			if (*s == ',')
				s += 2;
		}
		cr_assert_eq(*s, ')', "%s: protection too long", name);
		if (populated_zone(z)) {
			char *sp = strstr(h, "start_pfn:");
			cr_assert(sp && (!next || sp < next));
			cr_assert_eq(strtoul(sp + 10, NULL, 10), z->zone_start_pfn, "%s", name);
		}
		zones++;
	}
	cr_assert_geq(zones, 3);
	free(text);
}

Test(views, zoneinfo_figures_are_the_zones)
{
	boot_or_die("mem=8G");
	check_zoneinfo();
	struct page *p = alloc_pages(GFP_KERNEL, 7);
	cr_assert_not_null(p);
	check_zoneinfo();
	__free_pages(p, 7);
	check_and_shutdown();
	boot_or_die("arch=x86_32 mem=2G");
	check_zoneinfo();
	check_and_shutdown();
}

/* --- meminfo --- */

static unsigned long free_pages_now(void)
{
	unsigned long sum = 0;

	for (int zt = 0; zt < MAX_NR_ZONES; zt++)
		sum += zone_page_state(&NODE_DATA(0)->node_zones[zt], NR_FREE_PAGES);
	return sum;
}

static void check_meminfo_line_format(const char *text, const char *key)
{
	const char *l = strstr(text, key);

	cr_assert_not_null(l, "meminfo has no %s", key);
	cr_assert(l == text || l[-1] == '\n');
	const char *nl = strchr(l, '\n');
	/* "%-16s%8lu kB" */
	cr_assert_eq(nl - l, 27, "\"%.*s\"", (int)(nl - l), l);
	cr_assert(!strncmp(nl - 3, " kB", 3));
}

Test(views, meminfo_totals)
{
	boot_or_die("mem=1G");
	struct page *p = alloc_pages(GFP_KERNEL, 8);
	cr_assert_not_null(p);
	char *text = show_ok("meminfo");

	cr_assert(!strncmp(text, "MemTotal:", 9), "MemTotal comes first");
	check_meminfo_line_format(text, "MemTotal:");
	check_meminfo_line_format(text, "MemFree:");
	check_meminfo_line_format(text, "MemAvailable:");
	cr_assert_eq(line_value(text, "MemTotal:"), (long)totalram_pages() * 4);
	cr_assert_eq(line_value(text, "MemFree:"), (long)free_pages_now() * 4);
	cr_assert_eq(line_value(text, "MemFree:"), (long)global_zone_page_state(NR_FREE_PAGES) * 4);
	cr_assert_lt(line_value(text, "MemFree:"), line_value(text, "MemTotal:"));
	cr_assert_eq(line_value(text, "HighTotal:"), -1, "x86_64 has no HighTotal");
	cr_assert(strstr(text, "\nDirectMap2M:"));
	long free_before = line_value(text, "MemFree:");
	free(text);
	__free_pages(p, 8);
	drain_all_pages(NULL);
	text = show_ok("meminfo");
	cr_assert_geq(line_value(text, "MemFree:"), free_before + 1024);
	free(text);
	check_and_shutdown();
}

Test(views, meminfo_x86_32_has_high_and_low)
{
	boot_or_die("arch=x86_32 mem=2G");
	struct page *h = alloc_pages(GFP_HIGHUSER, 4);
	cr_assert_not_null(h);
	cr_assert(PageHighMem(h));
	char *text = show_ok("meminfo");
	unsigned long highfree = zone_page_state(&NODE_DATA(0)->node_zones[ZONE_HIGHMEM], NR_FREE_PAGES);

	check_meminfo_line_format(text, "HighTotal:");
	cr_assert_eq(line_value(text, "MemTotal:"), (long)totalram_pages() * 4);
	cr_assert_eq(line_value(text, "HighTotal:"), (long)totalhigh_pages() * 4);
	cr_assert_eq(totalhigh_pages(), zone_managed_pages(&NODE_DATA(0)->node_zones[ZONE_HIGHMEM]));
	cr_assert_eq(line_value(text, "HighFree:"), (long)highfree * 4);
	cr_assert_eq(line_value(text, "LowTotal:"), (long)(totalram_pages() - totalhigh_pages()) * 4);
	cr_assert_eq(line_value(text, "LowFree:"), (long)(free_pages_now() - highfree) * 4);
	cr_assert_eq(line_value(text, "MemFree:"), (long)free_pages_now() * 4);
	cr_assert(strstr(text, "\nDirectMap4M:"));
	free(text);
	__free_pages(h, 4);
	check_and_shutdown();
}

/* --- the fragmentation indexes --- */

/* The first figure after the zone name on each line of @view. */
static int first_figures(const char *view, char figs[][16], int max)
{
	char *text = show_ok(view), *save = NULL;
	int n = 0;

	for (char *l = strtok_r(text, "\n", &save); l && n < max; l = strtok_r(NULL, "\n", &save)) {
		cr_assert(!strncmp(l, "Node 0, zone ", 13), "\"%s\"", l);
		cr_assert_eq(sscanf(l + 22, "%15s", figs[n]), 1, "\"%s\"", l);
		/* eleven figures a line */
		int fields = 0;
		for (char *s = l + 22; *s; s++)
			fields += *s == ' ';
		cr_assert_eq(fields, NR_PAGE_ORDERS, "\"%s\"", l);
		n++;
	}
	free(text);
	return n;
}

Test(views, extfrag_index_fresh_machine)
{
	char figs[MAX_NR_ZONES][16];

	boot_or_die("mem=1G");
	int n = first_figures("extfrag_index", figs, MAX_NR_ZONES);
	cr_assert_eq(n, 2);
	for (int i = 0; i < n; i++)
		cr_assert_str_eq(figs[i], "-1.000", "a fresh zone has free pages of order 0");
	n = first_figures("unusable_index", figs, MAX_NR_ZONES);
	for (int i = 0; i < n; i++)
		cr_assert_str_eq(figs[i], "0.000", "every free page is usable at order 0");
	check_and_shutdown();

	boot_or_die("arch=x86_32 mem=2G");
	cr_assert_eq(first_figures("extfrag_index", figs, MAX_NR_ZONES), 3);
	for (int i = 0; i < 3; i++)
		cr_assert_str_eq(figs[i], "-1.000");
	check_and_shutdown();
}

/* --- vmstat and pagetypeinfo --- */

/*
 * The order-0 fast path counts its pages once, in the per-CPU list; vmstat
 * must still show each as pgalloc_<zone>, numa_hit and numa_local, on the
 * node asked for, and the full path's counts beside them.
 */
Test(views, vmstat_numa_events_count_fast_path_allocations)
{
	boot_or_die("mem=2G numa=fake=2 cpus=2");
	char *text = show_ok("vmstat");
	long hit0 = line_value(text, "numa_hit "), local0 = line_value(text, "numa_local ");
	long miss0 = line_value(text, "numa_miss "), alloc0 = line_value(text, "pgalloc_dma32 ");
	struct page *p[200];

	free(text);
	cr_assert_geq(hit0, 0);
	cr_assert_geq(local0, 0);
	for (int i = 0; i < 200; i++) {
		p[i] = alloc_pages_node(i % 2, GFP_KERNEL, i % 4 ? 0 : 1);
		cr_assert_not_null(p[i]);
		cr_assert_eq(page_to_nid(p[i]), i % 2);
	}
	text = show_ok("vmstat");
	cr_assert_eq(line_value(text, "numa_hit "), hit0 + 200);
	cr_assert_eq(line_value(text, "numa_local "), local0 + 200);
	cr_assert_eq(line_value(text, "numa_miss "), miss0);
	/* Counted in pages: the order-1 ones count twice. */
	cr_assert_eq(line_value(text, "pgalloc_dma32 "), alloc0 + 250);
	free(text);
	for (int i = 0; i < 200; i++)
		__free_pages(p[i], i % 4 ? 0 : 1);
	check_and_shutdown();
}

/*
 * Orders 1 to PAGE_ALLOC_COSTLY_ORDER (the slabs of kmalloc-512 up) come
 * from the per-CPU lists by the fast path as order 0 does: a page freed at
 * its order is the next one handed out at that order, made compound when
 * asked, counted in pages in pgalloc_<zone> and once in numa_hit and
 * numa_local, as the full path's rmqueue_pcplist() counts it.
 */
Test(views, vmstat_counts_per_cpu_list_orders_in_pages)
{
	boot_or_die("mem=1G");
	for (unsigned int order = 1; order <= PAGE_ALLOC_COSTLY_ORDER; order++) {
		/* vmstat before and after only: nothing between the free and the allocation. */
		char *text = show_ok("vmstat");
		long alloc0 = line_value(text, "pgalloc_dma32 ");
		long hit0 = line_value(text, "numa_hit "), local0 = line_value(text, "numa_local ");

		free(text);
		struct page *warm = alloc_pages(GFP_KERNEL | __GFP_COMP, order);
		cr_assert_not_null(warm);
		__free_pages(warm, order);
		struct page *p = alloc_pages(GFP_KERNEL | __GFP_COMP, order);
		cr_assert_eq(p, warm, "order %u: the page just freed to the CPU's list", order);
		cr_assert(PageHead(p));
		cr_assert_eq(compound_order(p), order);
		for (unsigned long i = 1; i < (1UL << order); i++)
			cr_assert_eq(compound_head(p + i), p);
		text = show_ok("vmstat");
		cr_assert_eq(line_value(text, "pgalloc_dma32 "), alloc0 + (2L << order));
		cr_assert_eq(line_value(text, "numa_hit "), hit0 + 2);
		cr_assert_eq(line_value(text, "numa_local "), local0 + 2);
		free(text);
		__free_pages(p, order);
	}
	check_and_shutdown();
}

Test(views, vmstat_counts_allocations_and_frees)
{
	boot_or_die("mem=1G");
	char *text = show_ok("vmstat");
	long alloc0 = line_value(text, "pgalloc_dma32 "), free0 = line_value(text, "pgfree ");
	struct page *p[100];

	cr_assert_eq(line_value(text, "nr_free_pages "), (long)free_pages_now());
	cr_assert_eq(line_value(text, "pgalloc_high "), -1, "x86_64 has no HighMem counter");
	free(text);
	cr_assert_geq(alloc0, 0);
	for (int i = 0; i < 100; i++)
		cr_assert_not_null(p[i] = alloc_page(GFP_KERNEL));
	text = show_ok("vmstat");
	cr_assert_eq(line_value(text, "pgalloc_dma32 "), alloc0 + 100);
	cr_assert_eq(line_value(text, "nr_free_pages "), (long)free_pages_now());
	free(text);
	for (int i = 0; i < 100; i++)
		__free_page(p[i]);
	text = show_ok("vmstat");
	cr_assert_eq(line_value(text, "pgfree "), free0 + 100);
	free(text);
	check_and_shutdown();
}

Test(views, pagetypeinfo_header)
{
	boot_or_die("mem=512M");
	char *text = show_ok("pagetypeinfo");

	cr_assert_eq(line_value(text, "Page block order: "), (long)pageblock_order);
	cr_assert_eq(line_value(text, "Pages per block:  "), (long)pageblock_nr_pages);
	cr_assert(strstr(text, "Free pages count per migrate type at order"));
	cr_assert(strstr(text, "Node    0, zone    DMA32, type      Movable "));
	cr_assert(strstr(text, "Number of blocks type "));
	free(text);
	check_and_shutdown();
}

/* --- gfp flags as text --- */

static void assert_format(gfp_t gfp, const char *expect)
{
	char buf[256];
	int n = kmm_format_gfp(buf, sizeof(buf), gfp);

	cr_assert_str_eq(buf, expect);
	cr_assert_eq(n, (int)strlen(expect));
}

Test(views, format_gfp_as_linux)
{
	assert_format(GFP_KERNEL | __GFP_ZERO, "GFP_KERNEL|__GFP_ZERO");
	assert_format(GFP_KERNEL, "GFP_KERNEL");
	assert_format(GFP_ATOMIC, "GFP_ATOMIC");
	assert_format(GFP_NOWAIT, "GFP_NOWAIT");
	assert_format(GFP_NOFS, "GFP_NOFS");
	assert_format(GFP_NOIO, "GFP_NOIO");
	assert_format(GFP_HIGHUSER_MOVABLE, "GFP_HIGHUSER_MOVABLE");
	assert_format(GFP_TRANSHUGE, "GFP_TRANSHUGE");
	assert_format(GFP_KERNEL | GFP_DMA, "GFP_KERNEL|GFP_DMA");
	assert_format(GFP_KERNEL_ACCOUNT, "GFP_KERNEL_ACCOUNT");
	assert_format(__GFP_COLD, "__GFP_COLD");
	assert_format(0, "");
	assert_format(GFP_KERNEL | 0x1000000, "GFP_KERNEL|0x1000000");

	/* Like snprintf: the full length, and a terminated prefix. */
	char small[8];
	cr_assert_eq(kmm_format_gfp(small, sizeof(small), GFP_KERNEL | __GFP_ZERO), 21);
	cr_assert_str_eq(small, "GFP_KER");
	cr_assert_eq(kmm_format_gfp(small, 0, GFP_KERNEL), 0);
}

/* Every gfp_flags string in ../shared/data/traces (Linux 6.18 ftrace output). */
static const char *const trace_gfps[] = {
	"GFP_KERNEL",
	"GFP_HIGHUSER_MOVABLE|__GFP_ZERO|__GFP_COMP",
	"GFP_NOFS|__GFP_ZERO|__GFP_NOFAIL|__GFP_ACCOUNT",
	"GFP_HIGHUSER_MOVABLE|__GFP_WRITE|__GFP_COMP",
	"GFP_NOFS|__GFP_HIGHMEM|__GFP_MOVABLE|__GFP_NOWARN|__GFP_NORETRY|__GFP_COMP|__GFP_HARDWALL",
	"GFP_KERNEL|__GFP_ZERO",
	"GFP_HIGHUSER_MOVABLE|__GFP_COMP",
	"GFP_NOWAIT",
	"GFP_KERNEL_ACCOUNT|__GFP_ZERO|__GFP_COMP",
	"GFP_NOFS|__GFP_ZERO",
	"GFP_ATOMIC",
	"GFP_NOWAIT|__GFP_FS|__GFP_NORETRY|__GFP_NOMEMALLOC",
	"GFP_NOWAIT|__GFP_NORETRY|__GFP_NOMEMALLOC",
	"GFP_NOWAIT|__GFP_ZERO|__GFP_ACCOUNT",
	"GFP_NOWAIT|__GFP_COMP",
	"GFP_NOWAIT|__GFP_ACCOUNT",
	"GFP_NOFS",
	"GFP_KERNEL_ACCOUNT",
	"GFP_ATOMIC|__GFP_NOWARN|__GFP_NORETRY|__GFP_NOMEMALLOC",
	"GFP_NOFS|__GFP_RECLAIMABLE|__GFP_NOWARN|__GFP_NORETRY|__GFP_COMP",
	"GFP_KERNEL_ACCOUNT|__GFP_ZERO",
	"GFP_HIGHUSER_MOVABLE|__GFP_WRITE|__GFP_NOWARN|__GFP_NORETRY|__GFP_COMP",
	"GFP_NOFS|__GFP_ZERO|__GFP_NOFAIL",
	"GFP_NOFS|__GFP_ZERO|__GFP_NOFAIL|__GFP_HARDWALL|__GFP_ACCOUNT",
	"GFP_NOFS|__GFP_NOFAIL|__GFP_COMP|__GFP_HARDWALL",
	"GFP_NOWAIT|__GFP_ZERO",
	"GFP_NOWAIT|__GFP_RECLAIMABLE|__GFP_NORETRY|__GFP_COMP",
	"GFP_KERNEL_ACCOUNT|__GFP_RECLAIMABLE",
	"GFP_NOFS|__GFP_MOVABLE|__GFP_ZERO|__GFP_NOFAIL|__GFP_HARDWALL|__GFP_ACCOUNT",
	"GFP_NOFS|__GFP_MOVABLE|__GFP_NOFAIL|__GFP_COMP|__GFP_HARDWALL",
	"__GFP_RECLAIMABLE|__GFP_IO|__GFP_NOWARN|__GFP_NORETRY|__GFP_COMP|__GFP_NOMEMALLOC",
	"GFP_NOFS|__GFP_ZERO|__GFP_COMP",
	"GFP_KERNEL|__GFP_ZERO|__GFP_COMP",
	"GFP_KERNEL|__GFP_RECLAIMABLE|__GFP_NOWARN|__GFP_NORETRY|__GFP_COMP",
	"GFP_HIGHUSER|__GFP_ACCOUNT",
	"GFP_ATOMIC|__GFP_NOWARN",
	"GFP_KERNEL|__GFP_NOWARN|__GFP_NOMEMALLOC",
	"GFP_ATOMIC|__GFP_RECLAIMABLE|__GFP_NOWARN|__GFP_NORETRY|__GFP_COMP",
	"GFP_KERNEL|__GFP_NOWARN|__GFP_NORETRY|__GFP_COMP",
	"GFP_NOFS|__GFP_RECLAIMABLE|__GFP_NOWARN|__GFP_NORETRY|__GFP_COMP|__GFP_HARDWALL",
	"GFP_NOWAIT|__GFP_NORETRY|__GFP_COMP|__GFP_THISNODE",
	"GFP_NOFS|__GFP_NOWARN|__GFP_NORETRY|__GFP_COMP",
	"GFP_NOFS|__GFP_MOVABLE|__GFP_ZERO|__GFP_HARDWALL",
	"GFP_NOWAIT|__GFP_NORETRY|__GFP_COMP|__GFP_NOMEMALLOC",
	"__GFP_IO|__GFP_FS|__GFP_NOWARN|__GFP_NORETRY|__GFP_COMP|__GFP_NOMEMALLOC",
	"GFP_NOFS|__GFP_ZERO|__GFP_HARDWALL",
	"GFP_NOFS|__GFP_NOFAIL|__GFP_COMP",
};

Test(views, trace_gfp_strings_round_trip)
{
	for (size_t i = 0; i < ARRAY_SIZE(trace_gfps); i++) {
		gfp_t gfp = 0;
		char buf[256];

		cr_assert_eq(kmm_parse_gfp(trace_gfps[i], &gfp), 0, "cannot parse %s", trace_gfps[i]);
		cr_assert_neq(gfp, 0);
		kmm_format_gfp(buf, sizeof(buf), gfp);
		cr_assert_str_eq(buf, trace_gfps[i], "%s printed as %s", trace_gfps[i], buf);
	}
	/* The bits, for a few of them. */
	gfp_t gfp;
	cr_assert_eq(kmm_parse_gfp("GFP_NOFS|__GFP_HIGHMEM|__GFP_MOVABLE|__GFP_NOWARN|__GFP_NORETRY|"
				   "__GFP_COMP|__GFP_HARDWALL", &gfp), 0);
	cr_assert_eq(gfp, GFP_NOFS | __GFP_HIGHMEM | __GFP_MOVABLE | __GFP_NOWARN | __GFP_NORETRY |
			  __GFP_COMP | __GFP_HARDWALL);
	cr_assert_eq(kmm_parse_gfp("GFP_ATOMIC|__GFP_NOWARN|__GFP_NORETRY|__GFP_NOMEMALLOC", &gfp), 0);
	cr_assert_eq(gfp, GFP_ATOMIC | __GFP_NOWARN | __GFP_NORETRY | __GFP_NOMEMALLOC);
	cr_assert_eq(kmm_parse_gfp("GFP_HIGHUSER_MOVABLE|__GFP_WRITE|__GFP_COMP", &gfp), 0);
	cr_assert_eq(gfp, GFP_HIGHUSER_MOVABLE | __GFP_WRITE | __GFP_COMP);
	cr_assert_eq(gfp, 0x141cca);
}

Test(views, parse_gfp_names_aliases_and_errors)
{
	gfp_t gfp = 0xdead;

	cr_assert_eq(kmm_parse_gfp("__GFP_WAIT|__GFP_IO", &gfp), 0, "the seeds' name");
	cr_assert_eq(gfp, __GFP_DIRECT_RECLAIM | __GFP_IO);
	cr_assert_eq(kmm_parse_gfp("__GFP_REPEAT", &gfp), 0);
	cr_assert_eq(gfp, __GFP_RETRY_MAYFAIL);
	cr_assert_eq(kmm_parse_gfp("none", &gfp), 0, "ftrace prints no flags as none");
	cr_assert_eq(gfp, 0);
	cr_assert_eq(kmm_parse_gfp("GFP_KERNEL|0x1000000", &gfp), 0);
	cr_assert_eq(gfp, GFP_KERNEL | 0x1000000);
	/* Every single flag round-trips. */
	for (unsigned int bit = 0; bit < __GFP_BITS_SHIFT; bit++) {
		char buf[128];
		kmm_format_gfp(buf, sizeof(buf), 1u << bit);
		cr_assert_eq(kmm_parse_gfp(buf, &gfp), 0, "bit %u printed as %s", bit, buf);
		cr_assert_eq(gfp, 1u << bit, "%s", buf);
	}
	/* Bad input changes nothing. */
	gfp = 0x1234;
	cr_assert_eq(kmm_parse_gfp("GFP_BOGUS", &gfp), -EINVAL);
	cr_assert_eq(kmm_parse_gfp("GFP_KERNEL||__GFP_ZERO", &gfp), -EINVAL);
	cr_assert_eq(kmm_parse_gfp("gfp_kernel", &gfp), -EINVAL);
	cr_assert_eq(kmm_parse_gfp("GFP_KERNEL |__GFP_ZERO", &gfp), -EINVAL);
	cr_assert_eq(kmm_parse_gfp("", &gfp), -EINVAL);
	cr_assert_eq(kmm_parse_gfp(NULL, &gfp), -EINVAL);
	cr_assert_eq(kmm_parse_gfp("0xzz", &gfp), -EINVAL);
	cr_assert_eq(gfp, 0x1234, "a failed parse wrote its result");
}

/* kmm_trace_parse_line on an exact-size copy, so a read past the line faults under ASan. */
static int parse_copy(const char *line, struct kmm_trace_event *ev, char *err, size_t errlen)
{
	size_t n = strlen(line);
	char *copy = malloc(n ? n : 1);
	memcpy(copy, line, n);
	memset(ev, 0x5a, sizeof(*ev));
	err[0] = '\0';
	int r = kmm_trace_parse_line(copy, n, ev, err, errlen);
	if (r == 1 && ev->name_len)
		ev->name = line + (ev->name - copy);	/* point into the caller's line */
	free(copy);
	return r;
}

/*
 * The parser reads keys and values in 16- and 8-byte steps and sixteen hex
 * digits at once: values at every offset from a step's edge, every digit
 * kind, and each way a line can be wrong.
 */
Test(views, trace_parse_line_fields)
{
	struct kmm_trace_event ev;
	char err[128], line[1024];

	cr_assert_eq(parse_copy(" capture-kmem-tr-4237    [001] .....   529.493388: kmem_cache_alloc: "
				"call_site=getname_flags.part.0+0x24/0x1f0 ptr=ffff88810086a000 name=names_cache "
				"bytes_req=4096 bytes_alloc=4096 gfp_flags=GFP_KERNEL node=-1 accounted=false",
				&ev, err, sizeof(err)), 1, "%s", err);
	cr_assert_eq(ev.type, KMM_TEV_CACHE_ALLOC);
	cr_assert_eq(ev.cpu, 1);
	cr_assert_eq(ev.ts_ns, 529493388000ULL);
	cr_assert_eq(ev.ptr, 0xffff88810086a000ULL);
	cr_assert_eq(ev.name_len, 11);
	cr_assert(!memcmp(ev.name, "names_cache", 11));
	cr_assert_eq(ev.bytes_req, 4096);
	cr_assert_eq(ev.bytes_alloc, 4096);
	cr_assert_eq(ev.gfp, GFP_KERNEL);

	/* No irq-flags column, CRLF, page by pfn with 0x. */
	cr_assert_eq(parse_copy("<...>-4245 [000] 529.493338: mm_page_alloc: page=ffffea000434dd40 "
				"pfn=0x10d375 order=3 migratetype=1 gfp_flags=GFP_KERNEL|__GFP_ZERO\r",
				&ev, err, sizeof(err)), 1, "%s", err);
	cr_assert_eq(ev.type, KMM_TEV_PAGE_ALLOC);
	cr_assert_eq(ev.ptr, 0x10d375);
	cr_assert_eq(ev.order, 3);
	cr_assert_eq(ev.migratetype, 1);
	cr_assert_eq(ev.gfp, GFP_KERNEL | __GFP_ZERO);
	cr_assert_not(ev.failed);

	/* Sixteen digits, any case, at every offset from the scanner's steps. */
	static const struct { const char *hex; unsigned long long v; bool ok; } ptrs[] = {
		{ "ffff888115f14fc0", 0xffff888115f14fc0ULL, true },
		{ "FFFF888115F14FC0", 0xffff888115f14fc0ULL, true },
		{ "0123456789abcdef", 0x0123456789abcdefULL, true },
		{ "0x00000000000000fF", 0xff, true },
		{ "7", 7, true },
		{ "ffff888115f14fg0", 0, false },
		{ "ffff888115f14f:0", 0, false },
		{ "ffff888115f14f@0", 0, false },
		{ "ffff888115f14f`0", 0, false },
		{ "ffff888115f14fc00", 0, false },
		{ "0x", 0, false },
	};
	for (size_t i = 0; i < ARRAY_SIZE(ptrs); i++) {
		for (int pad = 0; pad < 40; pad++) {
			snprintf(line, sizeof(line), "a-1 [3] 1.5: kfree: call_site=%.*s ptr=%s%s", pad,
				 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", ptrs[i].hex,
				 pad & 1 ? "" : " x=y");
			int r = parse_copy(line, &ev, err, sizeof(err));
			if (!ptrs[i].ok) {
				cr_assert_eq(r, -EINVAL, "%s", line);
				cr_assert_str_eq(err, "bad ptr");
				continue;
			}
			cr_assert_eq(r, 1, "%s: %s", line, err);
			cr_assert_eq(ev.type, KMM_TEV_KFREE);
			cr_assert_eq(ev.cpu, 3);
			cr_assert_eq(ev.ts_ns, 1500000000ULL);
			cr_assert_eq(ev.ptr, ptrs[i].v, "%s: %llx", line, (unsigned long long)ev.ptr);
		}
	}

	/* vmalloc's "va_start: decimal" and "va_start=0xhex". */
	cr_assert_eq(parse_copy("cat-1 [000] 1.0: alloc_vmap_area: va_start: 18446683600629776384 "
				"size=20480 align=16384 failed=0", &ev, err, sizeof(err)), 1, "%s", err);
	cr_assert_eq(ev.type, KMM_TEV_VMAP_ALLOC);
	cr_assert_eq(ev.ptr, 18446683600629776384ULL);
	cr_assert_eq(ev.bytes_req, 20480);
	cr_assert_eq(parse_copy("cat-1 [000] 1.0: free_vmap_area_noflush: va_start=0xffffc900038fc000 "
				"nr_lazy=1", &ev, err, sizeof(err)), 1, "%s", err);
	cr_assert_eq(ev.ptr, 0xffffc900038fc000ULL);

	/* A page the kernel failed to allocate. */
	cr_assert_eq(parse_copy("cat-1 [000] 1.0: mm_page_alloc: page=(null) pfn=0x0 order=0 "
				"migratetype=0 gfp_flags=GFP_KERNEL", &ev, err, sizeof(err)), 1);
	cr_assert(ev.failed);

	/* Lines that are no events, and others we do not replay. */
	cr_assert_eq(parse_copy("# tracer: nop", &ev, err, sizeof(err)), 0);
	cr_assert_eq(parse_copy("   ", &ev, err, sizeof(err)), 0);
	cr_assert_eq(parse_copy("CPU:1 [LOST 23 EVENTS]", &ev, err, sizeof(err)), 0);
	cr_assert_eq(parse_copy("cat-1 [000] 1.0: sched_switch: prev_comm=a", &ev, err, sizeof(err)), 1);
	cr_assert_eq(ev.type, KMM_TEV_OTHER);

	/* Each malformed line with its reason. */
	static const struct { const char *line, *why; } bad[] = {
		{ "cat-1 000 1.0: kfree: ptr=1", "no [cpu] column" },
		{ "cat-1 [000] ..... 1.0 kfree: ptr=1", "no timestamp" },
		{ "cat-1 [000] 1.x0: kfree: ptr=1", "bad timestamp" },
		{ "cat-1 [000] 1.0: ", "no timestamp" },
		{ "cat-1 [000] 1.0: kfree ptr=1", "no event name" },
		{ "cat-1 [000] 1.0: kmalloc: ptr=1 bytes_req=8 gfp_flags=GFP_KERNEL", "kmalloc: no bytes_alloc=" },
		{ "cat-1 [000] 1.0: kmalloc: ptr=1 bytes_req=8 bytes_alloc=8x gfp_flags=GFP_KERNEL", "bad bytes_alloc" },
		{ "cat-1 [000] 1.0: mm_page_alloc: pfn=0x1 order=64 gfp_flags=GFP_KERNEL", "bad order" },
		{ "cat-1 [000] 1.0: mm_page_alloc: pfn=0x1 order=0 gfp_flags=GFP_BOGUS", "unknown gfp_flags 'GFP_BOGUS'" },
		{ "cat-1 [000] 1.0: alloc_vmap_area: va_start: size=4096", "bad va_start" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		cr_assert_eq(parse_copy(bad[i].line, &ev, err, sizeof(err)), -EINVAL, "%s", bad[i].line);
		cr_assert_str_eq(err, bad[i].why, "%s", bad[i].line);
	}
}
