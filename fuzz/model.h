/* SPDX-License-Identifier: MIT */
/*
 * The fuzzer's shadow model: what the program believes it holds.
 *
 * Every live allocation is an entry here with an id.  Its bytes are filled
 * with a pattern derived from that id and the offset, so a byte written by
 * anyone else (an overlapping object, a page handed out twice, a stale
 * mapping) shows when the entry is verified, which happens before every
 * free and at random points.  New entries are checked against the live ones
 * for overlap, in kernel virtual addresses and in page frames.
 */
#ifndef KMM_FUZZ_MODEL_H
#define KMM_FUZZ_MODEL_H

#include <kmm/kmm.h>

enum obj_kind {
	OBJ_PAGES,		/* alloc_pages / alloc_pages_bulk: page, order */
	OBJ_ADDR_PAGES,		/* __get_free_pages / get_zeroed_page: ptr, order */
	OBJ_KMALLOC,		/* kmalloc family: ptr, size */
	OBJ_KVMALLOC,		/* kvmalloc: ptr, size */
	OBJ_CACHE,		/* kmem_cache_alloc: ptr, cache slot */
	OBJ_VMALLOC,		/* vmalloc family: ptr, size */
	OBJ_VMAP,		/* vmap of @count own pages */
	OBJ_PERCPU,		/* alloc_percpu: a copy of @size bytes per CPU */
	OBJ_PCPU_COUNTER,	/* a u64 per CPU driven by this_cpu ops; @sum is the total */
};

#define VMAP_MAX 8

struct obj {
	enum obj_kind kind;
	unsigned int id;
	void *ptr;
	struct page *page;
	struct page *pages[VMAP_MAX];
	size_t size;
	unsigned int order, count;
	int cache;
	gfp_t gfp;
	u64 sum;
};

/* The pattern byte at @off of the object with @id. */
static inline u8 pattern_byte(unsigned int id, size_t off)
{
	return (u8)(id * 0x9dU + off * 7U + (off >> 8) + 1);
}

/* Reports a mismatch between the model and the allocator, then aborts. */
__attribute__((format(printf, 1, 2), noreturn))
void mismatch(const char *fmt, ...);

/* Fill and verify a range of kernel addresses, and one page of any zone. */
void fill_bytes(u8 *p, size_t len, unsigned int id, size_t base);
void verify_bytes(const u8 *p, size_t len, unsigned int id, size_t base, const char *what);
void verify_zero(const u8 *p, size_t len, const char *what);
void fill_page(struct page *page, unsigned int id, size_t base);
void verify_page(struct page *page, unsigned int id, size_t base, const char *what);
bool page_is_zero(struct page *page);

/* Whole objects. */
void obj_fill(struct obj *o);
void obj_verify(const struct obj *o, const char *when);

/* Overlap of @o with every live object; @live holds @nr of them. */
void obj_check_overlap(const struct obj *o, const struct obj *live, int nr);

/* The highest zone a request with @gfp may be served from, on this arch. */
enum zone_type model_max_zone(gfp_t gfp);
/* Checks the pages [page, page + 2^order) against @gfp's zone rules. */
void check_page_zone(struct page *page, unsigned int order, gfp_t gfp, const char *what);

#endif
