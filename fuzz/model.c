/* SPDX-License-Identifier: MIT */
/*
 * The shadow model's checks: patterns, overlap and zone rules.  The rules
 * are restated here from Linux's documentation (gfp_types.h, the x86 zone
 * layout), not taken from the library, so a library bug cannot agree with
 * itself.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "model.h"

void mismatch(const char *fmt, ...)
{
	va_list ap;

	fputs("MODEL MISMATCH: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

/*
 * Within a 256-byte block the pattern steps by 7 from a start that depends
 * on the id and the block, so there are only 256 different blocks: built
 * once, filling is memcpy and verifying is memcmp.
 */
static u8 blocks[256][256];

static const u8 *block_at(unsigned int id, size_t off)
{
	static bool built;

	if (!built) {
		for (int c = 0; c < 256; c++)
			for (int j = 0; j < 256; j++)
				blocks[c][j] = (u8)(c + 7 * j);
		built = true;
	}
	return &blocks[pattern_byte(id, off & ~(size_t)255)][off & 255];
}

void fill_bytes(u8 *p, size_t len, unsigned int id, size_t base)
{
	for (size_t i = 0; i < len;) {
		size_t n = 256 - ((base + i) & 255);

		n = n < len - i ? n : len - i;
		memcpy(p + i, block_at(id, base + i), n);
		i += n;
	}
}

void verify_bytes(const u8 *p, size_t len, unsigned int id, size_t base, const char *what)
{
	for (size_t i = 0; i < len;) {
		size_t n = 256 - ((base + i) & 255);

		n = n < len - i ? n : len - i;
		if (memcmp(p + i, block_at(id, base + i), n)) {
			for (size_t j = i; j < i + n; j++)
				if (p[j] != pattern_byte(id, base + j))
					mismatch("%s: object %u byte %zu at %p is %#x, expected %#x", what,
						 id, base + j, (const void *)(p + j), p[j],
						 pattern_byte(id, base + j));
		}
		i += n;
	}
}

void verify_zero(const u8 *p, size_t len, const char *what)
{
	static const u8 zeros[256];

	for (size_t i = 0; i < len; i += 256)
		if (memcmp(p + i, zeros, len - i < 256 ? len - i : 256))
			break;
	for (size_t i = 0; i < len; i++)
		if (p[i])
			mismatch("%s: promised zeroed, byte %zu at %p is %#x", what, i,
				 (const void *)(p + i), p[i]);
}

void fill_page(struct page *page, unsigned int id, size_t base)
{
	u8 *p = kmap_local_page(page);

	fill_bytes(p, PAGE_SIZE, id, base);
	kunmap_local(p);
}

void verify_page(struct page *page, unsigned int id, size_t base, const char *what)
{
	/* Through the persistent kmap now and then, so both kinds are exercised. */
	bool persistent = (id & 3) == 0;
	u8 *p = persistent ? kmap(page) : kmap_local_page(page);

	if (!p)
		mismatch("%s: no mapping for pfn %#lx", what, page_to_pfn(page));
	verify_bytes(p, PAGE_SIZE, id, base, what);
	if (persistent)
		kunmap(page);
	else
		kunmap_local(p);
}

bool page_is_zero(struct page *page)
{
	static const u8 zeros[PAGE_SIZE];
	const u8 *p = kmap_local_page(page);
	bool zero = !memcmp(p, zeros, PAGE_SIZE);

	kunmap_local(p);
	return zero;
}

static size_t pcpu_base(int cpu)
{
	return (size_t)cpu << 20;
}

void obj_fill(struct obj *o)
{
	switch (o->kind) {
	case OBJ_PAGES:
		for (unsigned long i = 0; i < 1UL << o->order; i++)
			fill_page(o->page + i, o->id, i * PAGE_SIZE);
		break;
	case OBJ_VMAP:
	case OBJ_ADDR_PAGES:
	case OBJ_KMALLOC:
	case OBJ_KVMALLOC:
	case OBJ_CACHE:
	case OBJ_VMALLOC:
		fill_bytes(o->ptr, o->size, o->id, 0);
		break;
	case OBJ_PERCPU:
		for (int cpu = 0; cpu < (int)nr_cpu_ids; cpu++)
			fill_bytes(per_cpu_ptr((u8 *)o->ptr, cpu), o->size, o->id, pcpu_base(cpu));
		break;
	case OBJ_PCPU_COUNTER:
		break;
	}
}

void obj_verify(const struct obj *o, const char *when)
{
	switch (o->kind) {
	case OBJ_PAGES:
		for (unsigned long i = 0; i < 1UL << o->order; i++)
			verify_page(o->page + i, o->id, i * PAGE_SIZE, when);
		break;
	case OBJ_VMAP:
		verify_bytes(o->ptr, o->size, o->id, 0, when);
		/* The same bytes through each page's own mapping. */
		for (unsigned int i = 0; i < o->count; i++) {
			if (vmalloc_to_page((u8 *)o->ptr + i * PAGE_SIZE) != o->pages[i])
				mismatch("%s: vmap page %u is not the page mapped", when, i);
			verify_page(o->pages[i], o->id, i * PAGE_SIZE, when);
		}
		break;
	case OBJ_ADDR_PAGES:
	case OBJ_KMALLOC:
	case OBJ_KVMALLOC:
	case OBJ_CACHE:
	case OBJ_VMALLOC:
		verify_bytes(o->ptr, o->size, o->id, 0, when);
		break;
	case OBJ_PERCPU:
		for (int cpu = 0; cpu < (int)nr_cpu_ids; cpu++)
			verify_bytes(per_cpu_ptr((u8 *)o->ptr, cpu), o->size, o->id,
				     pcpu_base(cpu), when);
		break;
	case OBJ_PCPU_COUNTER: {
		u64 sum = 0;

		for (int cpu = 0; cpu < (int)nr_cpu_ids; cpu++)
			sum += *per_cpu_ptr((u64 *)o->ptr, cpu);
		if (sum != o->sum)
			mismatch("%s: per-CPU counter %u sums to %llu, the model says %llu", when,
				 o->id, (unsigned long long)sum, (unsigned long long)o->sum);
		break;
	}
	}
}

/* --- overlap --- */

struct range {
	unsigned long start, end;
};

/* The kernel virtual ranges an object covers; returns how many. */
static int obj_vranges(const struct obj *o, struct range *r)
{
	int n = 0;

	switch (o->kind) {
	case OBJ_PAGES:
		if (!PageHighMem(o->page)) {
			r[n].start = (unsigned long)page_address(o->page);
			r[n].end = r[n].start + (PAGE_SIZE << o->order);
			n++;
		}
		break;
	case OBJ_PERCPU:
	case OBJ_PCPU_COUNTER:
		for (int cpu = 0; cpu < (int)nr_cpu_ids && n < 8; cpu++, n++) {
			r[n].start = (unsigned long)per_cpu_ptr((u8 *)o->ptr, cpu);
			r[n].end = r[n].start + o->size;
		}
		break;
	default:
		r[n].start = (unsigned long)o->ptr;
		r[n].end = r[n].start + o->size;
		n++;
		break;
	}
	return n;
}

/* The page frames an object owns outright; returns how many ranges. */
static int obj_pranges(const struct obj *o, struct range *r)
{
	int n = 0;

	switch (o->kind) {
	case OBJ_PAGES:
		r[0].start = page_to_pfn(o->page);
		r[0].end = r[0].start + (1UL << o->order);
		return 1;
	case OBJ_VMAP:
		for (unsigned int i = 0; i < o->count; i++, n++) {
			r[n].start = page_to_pfn(o->pages[i]);
			r[n].end = r[n].start + 1;
		}
		return n;
	case OBJ_VMALLOC:
		for (size_t off = 0; off < o->size && n < 16; off += PAGE_SIZE, n++) {
			r[n].start = vmalloc_to_pfn((u8 *)o->ptr + off);
			r[n].end = r[n].start + 1;
		}
		return n;
	default:
		return 0;
	}
}

static bool overlaps(const struct range *a, int na, const struct range *b, int nb)
{
	for (int i = 0; i < na; i++)
		for (int j = 0; j < nb; j++)
			if (a[i].start < b[j].end && b[j].start < a[i].end)
				return true;
	return false;
}

void obj_check_overlap(const struct obj *o, const struct obj *live, int nr)
{
	struct range va[8], pa[16], vb[8], pb[16];
	int nva = obj_vranges(o, va), npa = obj_pranges(o, pa);

	for (int i = 0; i < nr; i++) {
		const struct obj *x = &live[i];

		if (x == o)
			continue;
		if (overlaps(va, nva, vb, obj_vranges(x, vb)))
			mismatch("new object %u (kind %d, %p+%zu) overlaps live object %u (kind %d, %p+%zu)",
				 o->id, o->kind, o->ptr, o->size, x->id, x->kind, x->ptr, x->size);
		if (npa && overlaps(pa, npa, pb, obj_pranges(x, pb)))
			mismatch("new object %u (kind %d) shares a page frame with live object %u (kind %d)",
				 o->id, o->kind, x->id, x->kind);
	}
}

/* --- zones --- */

enum zone_type model_max_zone(gfp_t gfp)
{
	bool x86_32 = kmm_arch() == KMM_ARCH_X86_32;

	if (gfp & __GFP_DMA)
		return ZONE_DMA;
	if (gfp & __GFP_DMA32)
		return x86_32 ? ZONE_NORMAL : ZONE_DMA32;
	if (gfp & __GFP_HIGHMEM)
		return (gfp & __GFP_MOVABLE) ? ZONE_MOVABLE : x86_32 ? ZONE_HIGHMEM : ZONE_NORMAL;
	return ZONE_NORMAL;
}

void check_page_zone(struct page *page, unsigned int order, gfp_t gfp, const char *what)
{
	enum zone_type max = model_max_zone(gfp), zt = page_zonenum(page);
	struct zone *z = page_zone(page);
	unsigned long pfn = page_to_pfn(page), last = pfn + (1UL << order) - 1;
	/* Physical limits restated: 16 MiB for DMA, 4 GiB for DMA32, 896 MiB of lowmem. */
	unsigned long limit = ~0UL;

	if (max == ZONE_DMA)
		limit = (16UL << 20) >> PAGE_SHIFT;
	else if (max == ZONE_DMA32)
		limit = (4UL << 30) >> PAGE_SHIFT;
	else if (max == ZONE_NORMAL && kmm_arch() == KMM_ARCH_X86_32)
		limit = (896UL << 20) >> PAGE_SHIFT;

	if (zt > max)
		mismatch("%s: gfp %#x may use zones up to %d, got pfn %#lx in zone %d", what, gfp,
			 max, pfn, zt);
	if (last >= limit)
		mismatch("%s: gfp %#x, pfn %#lx..%#lx beyond the zone limit %#lx", what, gfp, pfn,
			 last, limit);
	if (!zone_spans_pfn(z, pfn) || !zone_spans_pfn(z, last))
		mismatch("%s: pfn %#lx..%#lx outside its zone %s", what, pfn, last, z->name);
	if (pfn & ((1UL << order) - 1))
		mismatch("%s: order-%u block at pfn %#lx is misaligned", what, order, pfn);
}
