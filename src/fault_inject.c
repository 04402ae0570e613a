/* SPDX-License-Identifier: MIT */
/*
 * Fault injection: Linux's lib/fault-inject.c, mm/failslab.c and
 * mm/fail_page_alloc.c (see include/kmm/fault-inject.h for the knobs).
 *
 * A call is first filtered by its attribute (__GFP_NOFAIL, ignore-gfp-wait,
 * ignore-gfp-highmem, min-order, cache-filter, the bootstrap cache); what
 * passes goes to should_fail_ex(), which decides in Linux's order:
 *
 *   1. the thread's fail-nth, if armed, counts the call down and fails the
 *      one that reaches zero, whatever the attribute's probability;
 *   2. probability 0 never fails; times 0 (spent) never fails;
 *   3. space absorbs the call's size while it lasts;
 *   4. interval lets only every interval-th call on;
 *   5. a draw below probability fails it.
 * A failure is reported with verbose and spends one of times.
 *
 * The cost when nothing is armed: the allocators' fast paths test one
 * global, kmm_fault_armed, and go the slow way only while it is non-zero.
 * It counts the attributes with a non-zero probability plus the threads
 * with fail-nth armed, so a thread's countdown reaching zero or a knob set
 * back to 0 takes the fast paths back.  A thread that exits with fail-nth
 * still armed leaves the count raised until kmm_shutdown() (slower, never
 * wrong: the slow paths decide).
 */
#include <stdio.h>
#include <kmm/fault-inject.h>
#include "internal.h"
#include "param.h"
#include "slab.h"

/* kmm_fault_armed, and kmm_slab_hooks beside it (internal.h). */
union kmm_slow_paths kmm_slow_paths;

struct fault_attr {
	const char *name;
	unsigned long probability;
	unsigned long interval;
	int times;		/* atomic */
	int space;		/* atomic */
	unsigned long verbose;
	unsigned long count;	/* atomic: calls that reached the interval test */
	bool ignore_gfp_reclaim;
	bool ignore_gfp_highmem;	/* fail_page_alloc */
	bool cache_filter;		/* failslab */
	unsigned int min_order;		/* fail_page_alloc */
};

/* Linux's FAULT_ATTR_INITIALIZER and the two files' own defaults. */
#define FAILSLAB_DEFAULT {						\
	.name = "failslab", .interval = 1, .times = 1, .verbose = 2,		\
	.ignore_gfp_reclaim = true,						\
}
#define FAIL_PAGE_ALLOC_DEFAULT {						\
	.name = "fail_page_alloc", .interval = 1, .times = 1, .verbose = 2,	\
	.ignore_gfp_reclaim = true, .ignore_gfp_highmem = true, .min_order = 1,	\
}
static const struct fault_attr failslab_default = FAILSLAB_DEFAULT;
static const struct fault_attr fail_page_alloc_default = FAIL_PAGE_ALLOC_DEFAULT;
static struct fault_attr failslab = FAILSLAB_DEFAULT;
static struct fault_attr fail_page_alloc = FAIL_PAGE_ALLOC_DEFAULT;

static __thread unsigned int fail_nth __attribute__((tls_model("initial-exec")));
static __thread u64 fault_rnd __attribute__((tls_model("initial-exec")));

/* Take one from @v unless it is 0; Linux's atomic_dec_not_zero. */
static void dec_not_zero(int *v)
{
	int old = __atomic_load_n(v, __ATOMIC_RELAXED);

	while (old != 0 &&
	       !__atomic_compare_exchange_n(v, &old, old - 1, false, __ATOMIC_RELAXED,
					    __ATOMIC_RELAXED))
		;
}

/* The attribute's share of kmm_fault_armed follows its probability. */
static void attr_set_probability(struct fault_attr *attr, unsigned long p)
{
	bool was = attr->probability != 0;

	attr->probability = p;
	if (!was && p)
		__atomic_add_fetch(&kmm_fault_armed, 1, __ATOMIC_RELAXED);
	else if (was && !p)
		dec_not_zero(&kmm_fault_armed);
}

/* A per-thread xorshift: fault decisions need spread, not secrecy. */
static unsigned int fault_random_below_100(void)
{
	u64 x = fault_rnd;

	if (!x)
		x = plat_now_ns() ^ ((u64)plat_gettid() << 32) ^ 0x9e3779b97f4a7c15ULL;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	fault_rnd = x;
	return (unsigned int)(x % 100);
}

static void fail_dump(const struct fault_attr *attr)
{
	if (!attr->verbose)
		return;
	pr_notice("FAULT_INJECTION: forcing a failure.\n");
	pr_notice("name %s, interval %lu, probability %lu, space %d, times %d\n", attr->name,
		  attr->interval, attr->probability, __atomic_load_n(&attr->space, __ATOMIC_RELAXED),
		  __atomic_load_n(&attr->times, __ATOMIC_RELAXED));
	if (attr->verbose > 1)
		dump_stack();
}

#define FAULT_NOWARN 1

static bool should_fail_ex(struct fault_attr *attr, long size, int flags)
{
	if (fail_nth) {
		if (--fail_nth)
			return false;
		dec_not_zero(&kmm_fault_armed);
		goto fail;
	}
	if (!READ_ONCE(attr->probability))
		return false;
	if (!__atomic_load_n(&attr->times, __ATOMIC_RELAXED))
		return false;
	if (__atomic_load_n(&attr->space, __ATOMIC_RELAXED) > size) {
		__atomic_sub_fetch(&attr->space, (int)size, __ATOMIC_RELAXED);
		return false;
	}
	if (attr->interval > 1 &&
	    __atomic_add_fetch(&attr->count, 1, __ATOMIC_RELAXED) % attr->interval)
		return false;
	if (attr->probability <= fault_random_below_100())
		return false;
fail:
	if (!(flags & FAULT_NOWARN))
		fail_dump(attr);
	if (__atomic_load_n(&attr->times, __ATOMIC_RELAXED) != -1)
		dec_not_zero(&attr->times);
	return true;
}

/* See internal.h: the page allocator's question, before it takes a page. */
bool should_fail_alloc_page(gfp_t gfp, unsigned int order)
{
	const struct fault_attr *a = &fail_page_alloc;

	if (order < a->min_order || (gfp & __GFP_NOFAIL))
		return false;
	if (a->ignore_gfp_highmem && (gfp & __GFP_HIGHMEM))
		return false;
	if (a->ignore_gfp_reclaim && (gfp & __GFP_DIRECT_RECLAIM))
		return false;
	return should_fail_ex(&fail_page_alloc, 1L << order,
			      (gfp & __GFP_NOWARN) ? FAULT_NOWARN : 0);
}

/* See internal.h: the slab allocator's, before it takes an object. */
bool should_failslab(struct kmem_cache *s, gfp_t gfp)
{
	/* The cache of caches is how a failed kmem_cache_create() cleans up. */
	if (unlikely(s == kmem_cache) || (gfp & __GFP_NOFAIL))
		return false;
	if (failslab.ignore_gfp_reclaim && (gfp & __GFP_DIRECT_RECLAIM))
		return false;
	if (failslab.cache_filter && !(s->flags & SLAB_FAILSLAB))
		return false;
	return should_fail_ex(&failslab, (long)s->object_size,
			      (gfp & __GFP_NOWARN) ? FAULT_NOWARN : 0);
}

/* --- fail-nth --- */

int kmm_fail_nth_write(int n)
{
	if (n < 0)
		return -EINVAL;
	if (!fail_nth && n)
		__atomic_add_fetch(&kmm_fault_armed, 1, __ATOMIC_RELAXED);
	else if (fail_nth && !n)
		dec_not_zero(&kmm_fault_armed);
	fail_nth = (unsigned int)n;
	return 0;
}

unsigned int kmm_fail_nth_read(void)
{
	return fail_nth;
}

/* --- the knobs --- */

static struct fault_attr *attr_by_name(const char *name)
{
	if (!name)
		return NULL;
	if (!strcmp(name, "failslab"))
		return &failslab;
	if (!strcmp(name, "fail_page_alloc"))
		return &fail_page_alloc;
	return NULL;
}

enum knob { K_PROBABILITY, K_INTERVAL, K_TIMES, K_SPACE, K_VERBOSE, K_IGNORE_WAIT,
	    K_IGNORE_HIGHMEM, K_MIN_ORDER, K_CACHE_FILTER, NR_KNOBS };

static const struct {
	const char *name;
	long lo, hi;
	bool slab, page;	/* which attributes have it */
} knobs[NR_KNOBS] = {
	[K_PROBABILITY]    = { "probability", 0, 100, true, true },
	[K_INTERVAL]       = { "interval", 1, 1L << 30, true, true },
	[K_TIMES]          = { "times", -1, 1L << 30, true, true },
	[K_SPACE]          = { "space", 0, 1L << 30, true, true },
	[K_VERBOSE]        = { "verbose", 0, 2, true, true },
	[K_IGNORE_WAIT]    = { "ignore-gfp-wait", 0, 1, true, true },
	[K_IGNORE_HIGHMEM] = { "ignore-gfp-highmem", 0, 1, false, true },
	[K_MIN_ORDER]      = { "min-order", 0, MAX_PAGE_ORDER, false, true },
	[K_CACHE_FILTER]   = { "cache-filter", 0, 1, true, false },
};

static int knob_find(const struct fault_attr *attr, const char *name)
{
	if (!attr || !name)
		return -1;
	for (int k = 0; k < NR_KNOBS; k++)
		if (!strcmp(knobs[k].name, name))
			return (attr == &failslab ? knobs[k].slab : knobs[k].page) ? k : -1;
	return -1;
}

int kmm_fault_attr_set(const char *attr_name, const char *knob, long val)
{
	struct fault_attr *attr = attr_by_name(attr_name);
	int k = knob_find(attr, knob);

	if (k < 0 || val < knobs[k].lo || val > knobs[k].hi)
		return -EINVAL;
	switch (k) {
	case K_PROBABILITY:	attr_set_probability(attr, (unsigned long)val); break;
	case K_INTERVAL:	attr->interval = (unsigned long)val; break;
	case K_TIMES:		__atomic_store_n(&attr->times, (int)val, __ATOMIC_RELAXED); break;
	case K_SPACE:		__atomic_store_n(&attr->space, (int)val, __ATOMIC_RELAXED); break;
	case K_VERBOSE:		attr->verbose = (unsigned long)val; break;
	case K_IGNORE_WAIT:	attr->ignore_gfp_reclaim = val; break;
	case K_IGNORE_HIGHMEM:	attr->ignore_gfp_highmem = val; break;
	case K_MIN_ORDER:	attr->min_order = (unsigned int)val; break;
	case K_CACHE_FILTER:	attr->cache_filter = val; break;
	}
	return 0;
}

int kmm_fault_attr_get(const char *attr_name, const char *knob, long *val)
{
	struct fault_attr *attr = attr_by_name(attr_name);
	int k = knob_find(attr, knob);

	if (k < 0 || !val)
		return -EINVAL;
	switch (k) {
	case K_PROBABILITY:	*val = (long)attr->probability; break;
	case K_INTERVAL:	*val = (long)attr->interval; break;
	case K_TIMES:		*val = __atomic_load_n(&attr->times, __ATOMIC_RELAXED); break;
	case K_SPACE:		*val = __atomic_load_n(&attr->space, __ATOMIC_RELAXED); break;
	case K_VERBOSE:		*val = (long)attr->verbose; break;
	case K_IGNORE_WAIT:	*val = attr->ignore_gfp_reclaim; break;
	case K_IGNORE_HIGHMEM:	*val = attr->ignore_gfp_highmem; break;
	case K_MIN_ORDER:	*val = attr->min_order; break;
	case K_CACHE_FILTER:	*val = attr->cache_filter; break;
	}
	return 0;
}

void kmm_fault_attr_reset(void)
{
	attr_set_probability(&failslab, 0);
	attr_set_probability(&fail_page_alloc, 0);
	failslab = failslab_default;
	fail_page_alloc = fail_page_alloc_default;
}

/*
 * kmm_shutdown(): the knobs back to their defaults and this thread's
 * fail-nth disarmed.  The count of armed things starts again from zero;
 * another thread's countdown ending later cannot take it below (see
 * dec_not_zero), and until then it only keeps the fast paths off.
 */
void fault_inject_exit(void)
{
	kmm_fault_attr_reset();
	fail_nth = 0;
	__atomic_store_n(&kmm_fault_armed, 0, __ATOMIC_RELAXED);
}

/* --- boot: failslab= and fail_page_alloc= --- */

/* "<interval>,<probability>,<space>,<times>", Linux's setup_fault_attr(). */
static int setup_fault_attr(struct fault_attr *attr, const char *str)
{
	unsigned long interval, probability;
	int space, times, end = 0;

	if (!str || sscanf(str, "%lu,%lu,%d,%d%n", &interval, &probability, &space, &times,
			   &end) < 4 || str[end]) {
		pr_warn("FAULT_INJECTION: failed to parse arguments\n");
		return -EINVAL;
	}
	if (probability > 100 || times < -1 || space < 0) {
		pr_warn("FAULT_INJECTION: failed to parse arguments\n");
		return -EINVAL;
	}
	attr_set_probability(attr, probability);
	attr->interval = interval ? interval : 1;
	__atomic_store_n(&attr->space, space, __ATOMIC_RELAXED);
	__atomic_store_n(&attr->times, times, __ATOMIC_RELAXED);
	return 0;
}

static int setup_failslab(const char *val)
{
	return setup_fault_attr(&failslab, val);
}

static int setup_fail_page_alloc(const char *val)
{
	return setup_fault_attr(&fail_page_alloc, val);
}

kmm_param("failslab", setup_failslab, NULL);
kmm_param("fail_page_alloc", setup_fail_page_alloc, NULL);
