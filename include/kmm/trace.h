/* SPDX-License-Identifier: MIT */
/*
 * Replaying Linux's ftrace allocation events (kmem:*, vmalloc:*, percpu:*)
 * on the machine: kmm's own API (kmm_ prefix).  The caller reads the trace
 * (plain, or decompressed) and hands it over line by line; the replayer
 * parses each line, runs the allocation or free it names on the CPU it
 * names, and counts what happened.
 */
#ifndef KMM_TRACE_H
#define KMM_TRACE_H

#pragma GCC visibility push(default)

#include <stddef.h>
#include <kmm/types.h>
#include <kmm/gfp_types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The events the replayer acts on. */
enum kmm_trace_type {
	KMM_TEV_OTHER,			/* a well-formed event it does not replay */
	KMM_TEV_KMALLOC,		/* kmem:kmalloc (and kmalloc_node) */
	KMM_TEV_KFREE,			/* kmem:kfree */
	KMM_TEV_CACHE_ALLOC,		/* kmem:kmem_cache_alloc(_node) */
	KMM_TEV_CACHE_FREE,		/* kmem:kmem_cache_free */
	KMM_TEV_PAGE_ALLOC,		/* kmem:mm_page_alloc */
	KMM_TEV_PAGE_FREE,		/* kmem:mm_page_free */
	KMM_TEV_PAGE_FREE_BATCHED,	/* kmem:mm_page_free_batched */
	KMM_TEV_VMAP_ALLOC,		/* vmalloc:alloc_vmap_area */
	KMM_TEV_VMAP_FREE,		/* vmalloc:free_vmap_area_noflush */
	KMM_TEV_PCPU_ALLOC,		/* percpu:percpu_alloc_percpu */
	KMM_TEV_PCPU_FREE,		/* percpu:percpu_free_percpu */
	KMM_TEV_NR
};

/* One parsed event line; strings point into the line. */
struct kmm_trace_event {
	enum kmm_trace_type type;
	int cpu;
	u64 ts_ns;
	u64 ptr;			/* ptr=, or pfn= for pages, va_start for vmap */
	const char *name;		/* name= (kmem_cache_*), not NUL-terminated */
	unsigned int name_len;
	unsigned long bytes_req, bytes_alloc;	/* kmalloc, kmem_cache_alloc; percpu size */
	unsigned long align;		/* percpu, vmap */
	unsigned int order;
	int migratetype;
	gfp_t gfp;
	bool reserved;			/* percpu reserved=1 */
	bool failed;			/* vmap failed=1, or a page alloc with no page */
};

/**
 * kmm_trace_parse_line - parse one line of trace_pipe output
 * @line: the line, without its newline; need not be NUL-terminated
 * @len: its length
 * @ev: filled in for an event
 * @err: on -EINVAL, a short reason is written here (may be NULL)
 * @errlen: size of @err
 *
 * Return: 1 for an event (its type in @ev->type, KMM_TEV_OTHER for events
 * not replayed), 0 for a line that is no event (blank, a '#' comment, a
 * "[LOST n EVENTS]" note), -EINVAL for a malformed line.
 */
int kmm_trace_parse_line(const char *line, size_t len, struct kmm_trace_event *ev,
			 char *err, size_t errlen);

/* What a replay counted so far. */
struct kmm_replay_stats {
	u64 lines;
	u64 events;			/* lines that were events */
	u64 applied;			/* events carried out on the machine */
	u64 ignored;			/* events of kinds not replayed */
	u64 malformed;			/* lines that could not be parsed */
	u64 unmatched_frees;		/* frees of what the trace never allocated */
	u64 failed_allocs;		/* allocations our machine refused */
	u64 kernel_failed;		/* allocations the traced kernel had failed */
	u64 kmalloc_ksize_match;	/* ksize() == the trace's bytes_alloc */
	u64 kmalloc_ksize_mismatch;
	u64 null_frees;			/* kfree(NULL) and the like */
	u64 reallocs;			/* an allocation at an address still live: the
					   old one freed first (its free was not traced) */
	u64 batched_repeats;		/* mm_page_free_batched of a page mm_page_free
					   had just freed (Linux traces both) */
	u64 caches_created;
	u64 by_type[KMM_TEV_NR];	/* events per type */
	u64 live_objects, live_pages, live_pcpu, live_vmap;	/* held at the end */
};

struct kmm_replay;

/* Start a replay on the booted machine.  Return: NULL without memory. */
struct kmm_replay *kmm_replay_create(void);

/**
 * kmm_replay_line - parse one line and carry out its event
 * Return: 0 when the line was used or skipped as its kind requires,
 * -EINVAL for a malformed line (counted; the reason in kmm_replay_error()).
 * Context: sleepable; binds the calling thread to the event's CPU.
 */
int kmm_replay_line(struct kmm_replay *r, const char *line, size_t len);

/**
 * kmm_replay_event - carry out a line parsed already
 * @parsed: kmm_trace_parse_line()'s result for the line
 * @ev: the event it filled in
 *
 * As kmm_replay_line(), for a caller that parsed elsewhere (on another
 * thread).  A malformed line (@parsed -EINVAL) is counted; its reason is
 * the caller's, kmm_replay_error() does not have it.
 */
int kmm_replay_event(struct kmm_replay *r, int parsed, const struct kmm_trace_event *ev);

/* The reason for the last -EINVAL. */
const char *kmm_replay_error(const struct kmm_replay *r);

void kmm_replay_get_stats(const struct kmm_replay *r, struct kmm_replay_stats *st);

/* Free everything the replay still holds, destroy its caches, unbind. */
void kmm_replay_destroy(struct kmm_replay *r);

#ifdef __cplusplus
}
#endif

#pragma GCC visibility pop

#endif /* KMM_TRACE_H */
