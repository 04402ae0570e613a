/* SPDX-License-Identifier: MIT */
/*
 * The pictures, drawn with cairo into PNGs held in memory (the caller
 * writes them to --draw DIR or embeds them in the report):
 *
 *  memmap.png         every page frame (or a few per pixel on a big machine)
 *                     coloured by what holds it, zone boundaries marked in
 *                     the left margin, a legend below;
 *  kernel-vm.png      the kernel's virtual address space to scale: direct
 *                     map, the VMALLOC_OFFSET hole, the vmalloc area with
 *                     each area and its guard page, PKMAP, fixmap; and the
 *                     vmalloc area again, enlarged;
 *  fragmentation.png  free pages per order over the run, stacked, with the
 *                     unusable free space index for a pageblock-sized
 *                     request (order 9) as a line.
 *
 * The map's pixels are exactly the page colours of colours.h (no
 * antialiasing reaches them), so a test can read the picture back.
 */
#include <cairo.h>
#include <fontconfig/fontconfig.h>
#include <stdlib.h>
#include <string.h>
#include "draw.h"
#include "frag.h"
#include "colours.h"

#define min(a, b) ((a) < (b) ? (a) : (b))
#define max(a, b) ((a) > (b) ? (a) : (b))

struct membuf {
	unsigned char *data;
	size_t len, cap;
};

static cairo_status_t png_write(void *closure, const unsigned char *data, unsigned int len)
{
	struct membuf *b = closure;
	if (b->len + len > b->cap) {
		size_t cap = (b->cap ? b->cap * 2 : 65536) + len;
		unsigned char *d = realloc(b->data, cap);
		if (!d)
			return CAIRO_STATUS_NO_MEMORY;
		b->data = d;
		b->cap = cap;
	}
	memcpy(b->data + b->len, data, len);
	b->len += len;
	return CAIRO_STATUS_SUCCESS;
}

static int finish(cairo_surface_t *surf, cairo_t *cr, struct picture *pic, const char *file,
		  const char *title)
{
	struct membuf b = { 0 };
	cairo_status_t st = cairo_status(cr);

	cairo_destroy(cr);
	if (st == CAIRO_STATUS_SUCCESS)
		st = cairo_surface_write_to_png_stream(surf, png_write, &b);
	cairo_surface_destroy(surf);
	if (st != CAIRO_STATUS_SUCCESS) {
		free(b.data);
		errmsg("drawing %s: %s", file, cairo_status_to_string(st));
		return -1;
	}
	snprintf(pic->file, sizeof(pic->file), "%s", file);
	snprintf(pic->title, sizeof(pic->title), "%s", title);
	pic->png = b.data;
	pic->len = b.len;
	return 0;
}

static void set_rgb(cairo_t *cr, struct rgb c)
{
	cairo_set_source_rgb(cr, c.r / 255.0, c.g / 255.0, c.b / 255.0);
}

static void text(cairo_t *cr, double x, double y, double size, const char *s)
{
	cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
	cairo_set_font_size(cr, size);
	cairo_move_to(cr, x, y);
	cairo_show_text(cr, s);
}

static void legend_box(cairo_t *cr, double x, double y, struct rgb c, const char *label)
{
	set_rgb(cr, c);
	cairo_rectangle(cr, x, y - 10, 12, 12);
	cairo_fill(cr);
	cairo_set_source_rgb(cr, 0, 0, 0);
	text(cr, x + 16, y, 11, label);
}

static void human(char *buf, size_t n, unsigned long long bytes)
{
	if (bytes >= (1ULL << 40) && !(bytes % (1ULL << 40)))
		snprintf(buf, n, "%llu TiB", bytes >> 40);
	else if (bytes >= (1ULL << 30) && !(bytes % (1ULL << 30)))
		snprintf(buf, n, "%llu GiB", bytes >> 30);
	else if (bytes >= (1ULL << 20))
		snprintf(buf, n, "%.1f MiB", (double)bytes / (1 << 20));
	else
		snprintf(buf, n, "%llu KiB", bytes >> 10);
}

/* --- the physical memory map --- */

struct cache_pages {
	unsigned int id;
	unsigned long pages;
};

static int by_pages(const void *a, const void *b)
{
	const struct cache_pages *x = a, *y = b;
	return x->pages < y->pages ? 1 : x->pages > y->pages ? -1 : 0;
}

static int draw_memmap(struct picture *pic)
{
	unsigned long nr = max_pfn, ppp = MAP_PPP(nr);
	unsigned long px = (nr + ppp - 1) / ppp, rows = (px + MAP_W - 1) / MAP_W;
	struct kmm_page_info *info = malloc(nr * sizeof(*info));
	if (!info || kmm_describe_pages(0, nr, info)) {
		free(info);
		errmsg("memmap: cannot describe the pages");
		return -1;
	}
	int width = MAP_X0 + MAP_W + 20, height = MAP_Y0 + (int)rows + 200;
	cairo_surface_t *surf = cairo_image_surface_create(CAIRO_FORMAT_RGB24, width, height);
	cairo_t *cr = cairo_create(surf);
	cairo_set_source_rgb(cr, 1, 1, 1);
	cairo_paint(cr);

	char title[160], sz[32];
	human(sz, sizeof(sz), (unsigned long long)nr << PAGE_SHIFT);
	snprintf(title, sizeof(title), "Physical memory: %lu page frames (%s), %lu per pixel", nr,
		 sz, ppp);
	cairo_set_source_rgb(cr, 0, 0, 0);
	text(cr, 10, 24, 15, title);

	/* The map itself, straight into the pixels. */
	cairo_surface_flush(surf);
	unsigned char *data = cairo_image_surface_get_data(surf);
	int stride = cairo_image_surface_get_stride(surf);
	unsigned long counts[NR_KMM_PAGE_USES];
	struct cache_pages *cp = calloc(65536, sizeof(*cp));
	for (unsigned long p = 0; p < px; p++) {
		unsigned long first = p * ppp, last = min(first + ppp, nr);
		memset(counts, 0, sizeof(counts));
		for (unsigned long f = first; f < last; f++) {
			counts[info[f].use]++;
			if (info[f].use == KMM_PAGE_SLAB && cp) {
				cp[info[f].cache].id = info[f].cache;
				cp[info[f].cache].pages++;
			}
		}
		unsigned int best = 0;
		for (unsigned int u = 1; u < NR_KMM_PAGE_USES; u++)
			if (counts[u] > counts[best])
				best = u;
		unsigned long rep = first;	/* a frame of the winning kind, for its colour */
		while (rep < last && info[rep].use != best)
			rep++;
		struct rgb c = colour_use(best, info[rep].order, info[rep].cache);
		int x = MAP_X0 + (int)(p % MAP_W), y = MAP_Y0 + (int)(p / MAP_W);
		uint32_t *pixel = (uint32_t *)(data + (size_t)y * (size_t)stride) + x;
		*pixel = (uint32_t)c.r << 16 | (uint32_t)c.g << 8 | c.b;
	}
	cairo_surface_mark_dirty(surf);

	/* Zone boundaries, in the left margin, on the row each zone begins. */
	for (int nid = 0; nid < nr_online_nodes; nid++) {
		pg_data_t *pgdat = NODE_DATA(nid);
		for (int z = 0; z < MAX_NR_ZONES; z++) {
			struct zone *zone = &pgdat->node_zones[z];
			if (!zone->spanned_pages)
				continue;
			unsigned long p = zone->zone_start_pfn / ppp;
			double y = MAP_Y0 + (double)(p / MAP_W);
			cairo_set_source_rgb(cr, 0, 0, 0);
			cairo_set_line_width(cr, 1);
			cairo_move_to(cr, 2, y + 0.5);
			cairo_line_to(cr, MAP_X0 - 2, y + 0.5);
			cairo_stroke(cr);
			char label[48];
			snprintf(label, sizeof(label), nr_online_nodes > 1 ? "%d:%s" : "%.0d%s",
				 nid, zone->name);
			text(cr, 2, y + 11, 10, label);
		}
	}

	/* The legend. */
	double ly = MAP_Y0 + (double)rows + 24, lx = 10;
	static const unsigned int shown[] = { KMM_PAGE_UNINIT, KMM_PAGE_SLAB, KMM_PAGE_PGTABLE,
		KMM_PAGE_VMALLOC, KMM_PAGE_KSTACK, KMM_PAGE_PERCPU, KMM_PAGE_OTHER,
		KMM_PAGE_RESERVED, KMM_PAGE_HOLE };
	for (size_t i = 0; i < sizeof(shown) / sizeof(shown[0]); i++) {
		legend_box(cr, lx, ly, colour_use(shown[i], 0, 0), kmm_page_use_name(shown[i]));
		lx += 180;
		if (lx > width - 180) {
			lx = 10;
			ly += 18;
		}
	}
	ly += 22;
	cairo_set_source_rgb(cr, 0, 0, 0);
	text(cr, 10, ly, 11, "free, by order:");
	for (unsigned int o = 0; o < 11; o++) {
		char l[8];
		snprintf(l, sizeof(l), "%u", o);
		legend_box(cr, 100 + o * 48, ly, colour_free(o), l);
	}
	ly += 22;
	if (cp) {
		qsort(cp, 65536, sizeof(*cp), by_pages);
		text(cr, 10, ly, 11, "slab pages, by cache (the largest):");
		ly += 18;
		lx = 10;
		for (int i = 0; i < 12 && cp[i].pages; i++) {
			char l[80];
			const char *name = kmm_describe_cache_name(cp[i].id);
			snprintf(l, sizeof(l), "%s (%lu)", name ? name : "?", cp[i].pages);
			legend_box(cr, lx, ly, colour_slab(cp[i].id), l);
			lx += 260;
			if (lx > width - 260) {
				lx = 10;
				ly += 18;
			}
		}
	}
	free(cp);
	free(info);
	return finish(surf, cr, pic, "memmap.png", "Physical memory map");
}

/* --- the kernel's virtual address space --- */

struct varea {
	unsigned long start, end;	/* end includes the guard page */
	int kind;			/* 0 vmalloc, 1 vmap, 2 ioremap, 3 other, 4 kernel stack */
	bool guard;
};

static int read_vareas(struct varea **out)
{
	char *t = view_text("vmallocinfo");
	int n = 0, cap = 0;
	*out = NULL;
	for (char *save, *l = t ? strtok_r(t, "\n", &save) : NULL; l; l = strtok_r(NULL, "\n", &save)) {
		struct varea a = { 0 };
		if (sscanf(l, "0x%lx-0x%lx", &a.start, &a.end) != 2)
			continue;
		a.kind = strstr(l, " vmalloc") ? 0 : strstr(l, " vmap") ? 1 : strstr(l, " ioremap") ? 2 : 3;
		/* Kernel stacks: named by the functions that make them. */
		if (strstr(l, " kmm_alloc_thread_stack_node+") || strstr(l, " kmm_kthread_run"))
			a.kind = 4;
		a.guard = !strstr(l, "vm_map_ram");
		if (n == cap) {
			cap = cap ? cap * 2 : 128;
			struct varea *na = realloc(*out, (size_t)cap * sizeof(a));
			if (!na)
				break;
			*out = na;
		}
		(*out)[n++] = a;
	}
	free(t);
	return n;
}

static const struct rgb area_colours[5] = {
	{ 40, 110, 220 }, { 30, 170, 160 }, { 200, 120, 30 }, { 150, 150, 150 }, { 20, 180, 200 } };

/* A segment [a, b) of the bar spanning [lo, hi) at x0..x0+w. */
static void seg(cairo_t *cr, double x0, double w, double y, double h, unsigned long lo,
		unsigned long hi, unsigned long a, unsigned long b, struct rgb c, double min_w)
{
	if (b <= lo || a >= hi || b <= a)
		return;
	a = max(a, lo);
	b = min(b, hi);
	double xa = x0 + w * (double)(a - lo) / (double)(hi - lo);
	double xb = x0 + w * (double)(b - lo) / (double)(hi - lo);
	if (xb - xa < min_w)
		xb = xa + min_w;
	set_rgb(cr, c);
	cairo_rectangle(cr, xa, y, xb - xa, h);
	cairo_fill(cr);
}

static void draw_areas(cairo_t *cr, double x0, double w, double y, double h, unsigned long lo,
		       unsigned long hi, const struct varea *va, int n, double min_w)
{
	for (int i = 0; i < n; i++) {
		unsigned long body_end = va[i].guard ? va[i].end - PAGE_SIZE : va[i].end;
		seg(cr, x0, w, y, h, lo, hi, va[i].start, body_end, area_colours[va[i].kind], min_w);
		if (va[i].guard)
			seg(cr, x0, w, y, h, lo, hi, body_end, va[i].end, (struct rgb){ 220, 30, 30 },
			    min_w > 0 ? 1 : 0);
	}
}

static void mark(cairo_t *cr, double x, double y, const char *label, unsigned long addr)
{
	char l[96];
	/* On x86_32, Linux's address (PAGE_OFFSET 0xc0000000) beside the host's. */
	if (kmm_arch() == KMM_ARCH_X86_32)
		snprintf(l, sizeof(l), "%s 0x%08lx (host 0x%lx)", label,
			 0xc0000000UL + (addr - PAGE_OFFSET), addr);
	else
		snprintf(l, sizeof(l), "%s 0x%lx", label, addr);
	cairo_set_source_rgb(cr, 0, 0, 0);
	cairo_set_line_width(cr, 1);
	cairo_move_to(cr, x + 0.5, y);
	cairo_line_to(cr, x + 0.5, y + 8);
	cairo_stroke(cr);
	/* Right of the tick, or left of it where the picture would cut it off. */
	cairo_text_extents_t ext;
	cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
	cairo_set_font_size(cr, 9);
	cairo_text_extents(cr, l, &ext);
	double tx = x + 2, right = cairo_image_surface_get_width(cairo_get_target(cr)) - 4;
	if (tx + ext.x_advance > right)
		tx = x - 2 - ext.x_advance;
	text(cr, tx, y + 18, 9, l);
}

static int draw_kernel_vm(struct picture *pic)
{
	struct varea *va;
	int n = read_vareas(&va);
	const int width = 1100, x0 = 40, w = 1024;
	cairo_surface_t *surf = cairo_image_surface_create(CAIRO_FORMAT_RGB24, width, 420);
	cairo_t *cr = cairo_create(surf);
	cairo_set_source_rgb(cr, 1, 1, 1);
	cairo_paint(cr);

	unsigned long lo = PAGE_OFFSET, hi = kmm_layout.window_end, hm = (unsigned long)high_memory;
	bool x86_32 = kmm_arch() == KMM_ARCH_X86_32;
	char title[200], sz[32];
	human(sz, sizeof(sz), hi - lo);
	snprintf(title, sizeof(title), "Kernel virtual address space, to scale: %s from PAGE_OFFSET "
		 "(%s)", sz, x86_32 ? "the fourth gigabyte of x86_32" : "x86_64's window");
	cairo_set_source_rgb(cr, 0, 0, 0);
	text(cr, 10, 24, 15, title);

	/* Row 1: the whole window. */
	double y = 50, h = 40;
	seg(cr, x0, w, y, h, lo, hi, lo, hi, (struct rgb){ 240, 240, 240 }, 0);
	seg(cr, x0, w, y, h, lo, hi, lo, hm, (struct rgb){ 120, 170, 230 }, 0);
	seg(cr, x0, w, y, h, lo, hi, hm, VMALLOC_START, (struct rgb){ 200, 200, 200 }, 0);
	seg(cr, x0, w, y, h, lo, hi, VMALLOC_START, VMALLOC_END, (struct rgb){ 225, 235, 250 }, 0);
	draw_areas(cr, x0, w, y, h, lo, hi, va, n, 0.5);
	if (x86_32) {
		seg(cr, x0, w, y, h, lo, hi, PKMAP_BASE, PKMAP_BASE + LAST_PKMAP * PAGE_SIZE,
		    (struct rgb){ 250, 200, 60 }, 1);
		seg(cr, x0, w, y, h, lo, hi, FIXADDR_START, FIXADDR_TOP, (struct rgb){ 200, 60, 200 }, 1);
	}
	cairo_set_source_rgb(cr, 0, 0, 0);
	cairo_set_line_width(cr, 1);
	cairo_rectangle(cr, x0 + 0.5, y + 0.5, w, h);
	cairo_stroke(cr);
	double sx = (double)w / (double)(hi - lo);
	mark(cr, x0, y + h, "PAGE_OFFSET", lo);
	mark(cr, x0 + sx * (double)(hm - lo), y + h + 20, "high_memory", hm);
	mark(cr, x0 + sx * (double)(VMALLOC_START - lo), y + h + 40, "VMALLOC_START", VMALLOC_START);
	if (x86_32)
		mark(cr, x0 + sx * (double)(PKMAP_BASE - lo), y + h + 60, "PKMAP_BASE", PKMAP_BASE);

	/*
	 * Row 2: the vmalloc area, enlarged.  Areas are placed lowest address
	 * first, so on x86_64 they all sit near its start, each a hairline in
	 * 32 TiB: show the smallest power-of-two start that holds them all.
	 */
	double y2 = 200;
	unsigned long vs = VMALLOC_START, total = VMALLOC_END - VMALLOC_START + 1, used = 0;
	for (int i = 0; i < n; i++)
		used = max(used, va[i].end - vs);
	unsigned long shown = total;
	if (!x86_32) {
		unsigned long s = 16UL << 20;
		while (s < used)
			s <<= 1;
		shown = min(s, total);
	}
	char l2[240], of[80] = "";
	human(sz, sizeof(sz), shown);
	if (shown < total) {
		char all[32];
		human(all, sizeof(all), total);
		snprintf(of, sizeof(of), "'s first %s of %s", sz, all);
	} else {
		snprintf(of, sizeof(of), " (%s)", sz);
	}
	snprintf(l2, sizeof(l2), "The vmalloc area%s, enlarged: from 0x%lx, %d areas; each "
		 "area's guard page in red", of, vs, n);
	cairo_set_source_rgb(cr, 0, 0, 0);
	text(cr, 10, y2 - 10, 12, l2);
	seg(cr, x0, w, y2, h, vs, vs + shown, vs, vs + shown, (struct rgb){ 225, 235, 250 }, 0);
	draw_areas(cr, x0, w, y2, h, vs, vs + shown, va, n, 1);
	cairo_set_source_rgb(cr, 0, 0, 0);
	cairo_rectangle(cr, x0 + 0.5, y2 + 0.5, w, h);
	cairo_stroke(cr);

	/* Legend. */
	double ly = 300;
	legend_box(cr, 10, ly, (struct rgb){ 120, 170, 230 }, "direct map (lowmem)");
	legend_box(cr, 190, ly, (struct rgb){ 200, 200, 200 }, "VMALLOC_OFFSET hole");
	legend_box(cr, 370, ly, (struct rgb){ 225, 235, 250 }, "vmalloc space, free");
	legend_box(cr, 550, ly, (struct rgb){ 220, 30, 30 }, "guard page");
	if (x86_32) {
		legend_box(cr, 690, ly, (struct rgb){ 250, 200, 60 }, "PKMAP (kmap)");
		legend_box(cr, 830, ly, (struct rgb){ 200, 60, 200 }, "fixmap");
	}
	ly += 20;
	static const char *const kinds[5] = { "vmalloc", "vmap", "ioremap", "reserved (get_vm_area)",
					      "kernel stack" };
	for (int k = 0; k < 5; k++)
		legend_box(cr, 10 + k * 180, ly, area_colours[k], kinds[k]);
	free(va);
	return finish(surf, cr, pic, "kernel-vm.png", "Kernel virtual address space");
}

/* --- fragmentation over time --- */

static int draw_fragmentation(struct picture *pic, const struct frag_series *fs)
{
	const int width = 1100, height = 420, x0 = 70, y0 = 40, w = 960, h = 300;
	cairo_surface_t *surf = cairo_image_surface_create(CAIRO_FORMAT_RGB24, width, height);
	cairo_t *cr = cairo_create(surf);
	cairo_set_source_rgb(cr, 1, 1, 1);
	cairo_paint(cr);
	cairo_set_source_rgb(cr, 0, 0, 0);
	text(cr, 10, 24, 15, "Fragmentation over time: free pages by order (stacked), "
			     "unusable index for order 9 (line)");

	size_t n = fs ? fs->nr : 0;
	double maxfree = 1;
	for (size_t i = 0; i < n; i++) {
		double total = 0;
		for (int z = 0; z < fs->nr_zones; z++)
			for (int o = 0; o < FRAG_ORDERS; o++)
				total += (double)fs->samples[i].free[z][o] * (double)(1UL << o);
		if (total > maxfree)
			maxfree = total;
	}
	double tmax = n ? fs->samples[n - 1].t : 1, tmin = n ? fs->samples[0].t : 0;
	if (tmax <= tmin)
		tmax = tmin + 1;
	/* Stacked areas, order 10 at the bottom. */
	for (int o = FRAG_ORDERS - 1; o >= 0 && n > 1; o--) {
		set_rgb(cr, colour_free((unsigned int)o));
		for (size_t i = 0; i < n; i++) {
			double below = 0, top;
			for (int z = 0; z < fs->nr_zones; z++)
				for (int k = FRAG_ORDERS - 1; k > o; k--)
					below += (double)fs->samples[i].free[z][k] * (double)(1UL << k);
			top = below;
			for (int z = 0; z < fs->nr_zones; z++)
				top += (double)fs->samples[i].free[z][o] * (double)(1UL << o);
			double x = x0 + w * (fs->samples[i].t - tmin) / (tmax - tmin);
			double yt = y0 + h - h * top / maxfree;
			if (!i)
				cairo_move_to(cr, x, yt);
			else
				cairo_line_to(cr, x, yt);
		}
		for (size_t i = n; i-- > 0;) {
			double below = 0;
			for (int z = 0; z < fs->nr_zones; z++)
				for (int k = FRAG_ORDERS - 1; k > o; k--)
					below += (double)fs->samples[i].free[z][k] * (double)(1UL << k);
			double x = x0 + w * (fs->samples[i].t - tmin) / (tmax - tmin);
			cairo_line_to(cr, x, y0 + h - h * below / maxfree);
		}
		cairo_close_path(cr);
		cairo_fill(cr);
	}
	/* The unusable index (0..1 on the right axis). */
	cairo_set_source_rgb(cr, 0.8, 0, 0);
	cairo_set_line_width(cr, 2);
	for (size_t i = 0; i < n; i++) {
		double u = frag_unusable(&fs->samples[i], fs->nr_zones, 9);
		double x = x0 + w * (fs->samples[i].t - tmin) / (tmax - tmin), y = y0 + h - h * u;
		if (!i)
			cairo_move_to(cr, x, y);
		else
			cairo_line_to(cr, x, y);
	}
	cairo_stroke(cr);
	/* Axes. */
	cairo_set_source_rgb(cr, 0, 0, 0);
	cairo_set_line_width(cr, 1);
	cairo_rectangle(cr, x0 + 0.5, y0 + 0.5, w, h);
	cairo_stroke(cr);
	char l[64];
	snprintf(l, sizeof(l), "%.0f pages", maxfree);
	text(cr, 2, y0 + 10, 10, l);
	text(cr, 2, y0 + h, 10, "0");
	text(cr, x0 + w + 4, y0 + 10, 10, "1.0");
	text(cr, x0 + w + 4, y0 + h, 10, "0.0");
	snprintf(l, sizeof(l), "%zu samples, t from %.0f to %.0f", n, tmin, tmax);
	text(cr, x0, y0 + h + 16, 10, l);
	for (unsigned int o = 0; o < FRAG_ORDERS; o++) {
		char lo[16];
		snprintf(lo, sizeof(lo), "order %u", o);
		legend_box(cr, 10 + o * 90, y0 + h + 40, colour_free(o), lo);
	}
	legend_box(cr, 10, y0 + h + 62, (struct rgb){ 204, 0, 0 }, "unusable free space index, order 9");
	return finish(surf, cr, pic, "fragmentation.png", "Fragmentation over time");
}

int draw_pictures(struct session *s, struct picture *pics, int max)
{
	int n = 0;

	if (max < 3)
		return -1;
	if (draw_memmap(&pics[n]) == 0)
		n++;
	else
		goto fail;
	if (draw_kernel_vm(&pics[n]) == 0)
		n++;
	else
		goto fail;
	if (draw_fragmentation(&pics[n], s->series) == 0)
		n++;
	else
		goto fail;
	/* Give back the font caches, so leak checkers see only our own memory. */
	cairo_debug_reset_static_data();
	FcFini();
	return n;
fail:
	while (n--)
		free(pics[n].png);
	return -1;
}
