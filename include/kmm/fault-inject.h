/* SPDX-License-Identifier: MIT */
/*
 * Fault injection: make allocations fail on purpose, to test error paths.
 *
 * Two fault attributes, as Linux's debugfs directories of the same names:
 *
 *   failslab         slab allocations (kmem_cache_alloc, kmalloc up to
 *                    KMALLOC_MAX_CACHE_SIZE), checked before the object is
 *                    taken; the bootstrap cache of struct kmem_cache is exempt
 *   fail_page_alloc  the page allocator (alloc_pages and all built on it:
 *                    large kmalloc, vmalloc's pages, per-CPU chunks)
 *
 * vmalloc and the per-CPU allocator have no attribute of their own, as in
 * Linux: they fail through the slab and page allocations they make.
 *
 * Each attribute has Linux's knobs (Documentation/fault-injection):
 *   probability         percent of the calls that may fail (0: the
 *                       attribute is off, the default)
 *   interval            only every interval-th call may fail (default 1)
 *   times               failures left to inject; -1 for no limit (default 1)
 *   space               bytes (slab) or pages (page allocator) let through
 *                       before failures may start (default 0)
 *   verbose             0 silent, 1 "FAULT_INJECTION: forcing a failure."
 *                       with the knobs, 2 that and a backtrace (default 2)
 *   ignore-gfp-wait     spare requests that may reclaim directly
 *                       (__GFP_DIRECT_RECLAIM, i.e. GFP_KERNEL); default 1
 *   ignore-gfp-highmem  fail_page_alloc: spare __GFP_HIGHMEM; default 1
 *   min-order           fail_page_alloc: spare orders below it; default 1
 *   cache-filter        failslab: only caches made with SLAB_FAILSLAB (or
 *                       slab_debug=A) may fail; default 0
 * A __GFP_NOFAIL request never fails; a __GFP_NOWARN one fails silently.
 *
 * At boot: failslab=<interval>,<probability>,<space>,<times> and
 * fail_page_alloc=<same>, as Linux.  At run time, kmm_fault_attr_set().
 * The knobs keep their values across a boot and return to the defaults at
 * kmm_shutdown(), so a test may set them before kmm_boot() to fail boot.
 *
 * fail-nth, as Linux's /proc/self/task/<tid>/fail-nth: kmm_fail_nth_write(N)
 * makes the N-th allocation-like call of this thread (a call either
 * attribute's filters let through, whatever its probability) fail, once.
 */
#ifndef KMM_FAULT_INJECT_H
#define KMM_FAULT_INJECT_H

#pragma GCC visibility push(default)

#ifdef __cplusplus
extern "C" {
#endif

/**
 * kmm_fault_attr_set - set a knob of a fault attribute
 * @attr: "failslab" or "fail_page_alloc"
 * @knob: one of the names above ("probability", "ignore-gfp-wait", ...)
 * @val: the value (booleans: 0 or 1)
 *
 * Context: any; the knobs are read without locks, as debugfs writes are.
 * Return: 0, or -EINVAL for an unknown attribute or knob or a value out
 * of range (probability 0..100, interval >= 1, times >= -1, space >= 0,
 * verbose 0..2, min-order 0..10, booleans 0 or 1); nothing is changed then.
 */
int kmm_fault_attr_set(const char *attr, const char *knob, long val);

/* Read a knob (times and space count down as faults are injected). */
int kmm_fault_attr_get(const char *attr, const char *knob, long *val);

/* Back to Linux's defaults, both attributes (as kmm_shutdown() does). */
void kmm_fault_attr_reset(void);

/**
 * kmm_fail_nth_write - fail this thread's @n-th allocation-like call
 * @n: 1 fails the next call; 0 disarms
 *
 * Return: 0, or -EINVAL for a negative @n.
 */
int kmm_fail_nth_write(int n);

/*
 * What Linux's read of fail-nth gives: 0 once the failure was injected (or
 * nothing was armed), else the calls still to go before it.
 */
unsigned int kmm_fail_nth_read(void);

#ifdef __cplusplus
}
#endif

#pragma GCC visibility pop

#endif /* KMM_FAULT_INJECT_H */
