/* SPDX-License-Identifier: MIT */
/*
 * KFENCE, the sampling memory-error detector of Linux's mm/kfence/core.c
 * (see include/kmm/kfence.h for what it gives the user).
 *
 * The pool is reserved from memblock at boot, in the direct map, and never
 * given back.  Its layout, in pages:
 *
 *   | guard | guard | obj 0 | guard | obj 1 | guard | ... | obj N-1 | guard |
 *
 * so object i lives on page 2i + 2 and every object page has a guard page
 * on each side.  Guard pages are made inaccessible in the host (mprotect of
 * the direct map), so a stray access really faults; a freed object's page
 * is made inaccessible too, so a use after free faults.  The fault handler
 * (fault.c) asks kfence_handle_page_fault() first: an address in the pool is
 * reported in KFENCE's words, its page is opened, and the access is
 * retried when the signal handler returns, as Linux lets the kernel go on
 * after a KFENCE report.
 *
 * Sampling.  A timer thread arms the allocation gate: the gate goes to
 * -kfence.burst and KMM_SLAB_HOOK_KFENCE is raised in kmm_slab_hooks, the
 * byte the slab fast paths already test for their rare hooks, so the fast
 * path pays nothing while the gate is shut.  The next allocations land in
 * slab_post_alloc_hook(), which calls __kfence_alloc(); each caller
 * increments the gate, and those that see it at 1 or below get a KFENCE
 * object (the slab object they had taken goes back to its cache).  The one
 * that takes the last sample wakes the timer, which lowers the hook and
 * sleeps kfence.sample_interval ms before arming the gate again: the
 * interval runs from sample to sample, as Linux's static-key mode.
 *
 * Object states: unused -> allocated -> (RCU freeing ->) freed ->
 * allocated ...  Each object has a lock for its metadata; free objects are
 * on kfence_freelist, reused least recently freed first, so a freed object
 * keeps catching uses after free as long as possible.  An object still live
 * when its cache is destroyed becomes a zombie: freed and guarded, never
 * reused.
 *
 * Lock order: meta->lock, then kfence_freelist_lock, then the report lock
 * (kfence_report.c).  None is held while calling into the slab allocator,
 * and none is taken inside a CPU section, so kmm_check() (which owns every
 * CPU) may take them.  The fault handler takes meta->lock on the faulting
 * thread, which never touches a guarded page while holding one.
 */
#include "kfence.h"
#include "param.h"
#include "slab.h"
#include <limits.h>
#include <stdlib.h>

char *__kfence_pool;
unsigned long __kfence_pool_size;
struct kfence_metadata *kfence_metadata;
u64 kfence_boot_ns;
unsigned long kfence_sample_interval = 100;	/* CONFIG_KFENCE_SAMPLE_INTERVAL */
unsigned long kfence_num_objects = CONFIG_KFENCE_NUM_OBJECTS;
unsigned int kfence_min_align = 1;
static unsigned long kfence_skip_covered_thresh = 75;
static unsigned int kfence_burst;
static bool kfence_enabled;

static LIST_HEAD(kfence_freelist);
static spinlock_t kfence_freelist_lock;
/* At or below 0 while samples are wanted; the timer sets it to -kfence_burst. */
static int kfence_allocation_gate = 1;

enum kfence_counter_id {
	KFENCE_COUNTER_ALLOCATED,
	KFENCE_COUNTER_ALLOCS,
	KFENCE_COUNTER_FREES,
	KFENCE_COUNTER_ZOMBIES,
	KFENCE_COUNTER_BUGS,
	KFENCE_COUNTER_SKIP_INCOMPAT,
	KFENCE_COUNTER_SKIP_CAPACITY,
	KFENCE_COUNTER_SKIP_COVERED,
	KFENCE_COUNTER_COUNT,
};
static long counters[KFENCE_COUNTER_COUNT];
static const char *const counter_names[] = {
	[KFENCE_COUNTER_ALLOCATED]	= "currently allocated",
	[KFENCE_COUNTER_ALLOCS]		= "total allocations",
	[KFENCE_COUNTER_FREES]		= "total frees",
	[KFENCE_COUNTER_ZOMBIES]	= "zombie allocations",
	[KFENCE_COUNTER_BUGS]		= "total bugs",
	[KFENCE_COUNTER_SKIP_INCOMPAT]	= "skipped allocations (incompatible)",
	[KFENCE_COUNTER_SKIP_CAPACITY]	= "skipped allocations (capacity)",
	[KFENCE_COUNTER_SKIP_COVERED]	= "skipped allocations (covered)",
};

static inline void counter_add(enum kfence_counter_id id, long v)
{
	__atomic_add_fetch(&counters[id], v, __ATOMIC_RELAXED);
}

/*
 * A counting Bloom filter of the allocation stacks now in the pool: when
 * the pool is mostly full, an allocation from a stack already covered is
 * skipped, so one long-lived call site cannot fill the pool.  Its size
 * follows the pool's: 4 counters per object, rounded to a power of two.
 */
#define ALLOC_COVERED_HNUM	2
#define UNIQUE_ALLOC_STACK_DEPTH 8U
static int *alloc_covered;
static unsigned int alloc_covered_order;
static u32 stack_hash_seed;

static u32 hash_next(u32 h)
{
	return (h * 0x61C88647U) >> (32 - alloc_covered_order);
}

static u32 get_alloc_stack_hash(const unsigned long *entries, unsigned int nr)
{
	u64 h = stack_hash_seed ^ 0xcbf29ce484222325ULL;

	nr = min(nr, UNIQUE_ALLOC_STACK_DEPTH);
	for (unsigned int i = 0; i < nr; i++)
		h = (h ^ entries[i]) * 0x100000001b3ULL;
	return (u32)(h ^ (h >> 32));
}

static void alloc_covered_add(u32 hash, int val)
{
	const u32 mask = (1U << alloc_covered_order) - 1;

	for (int i = 0; i < ALLOC_COVERED_HNUM; i++) {
		__atomic_add_fetch(&alloc_covered[hash & mask], val, __ATOMIC_RELAXED);
		hash = hash_next(hash);
	}
}

static bool alloc_covered_contains(u32 hash)
{
	const u32 mask = (1U << alloc_covered_order) - 1;

	for (int i = 0; i < ALLOC_COVERED_HNUM; i++) {
		if (!__atomic_load_n(&alloc_covered[hash & mask], __ATOMIC_RELAXED))
			return false;
		hash = hash_next(hash);
	}
	return true;
}

static bool should_skip_covered(void)
{
	unsigned long thresh = kfence_num_objects * kfence_skip_covered_thresh / 100;

	return (unsigned long)READ_ONCE(counters[KFENCE_COUNTER_ALLOCATED]) > thresh;
}

/* A coin for the object's side of its page: xorshift, per thread. */
static bool random_bool(void)
{
	static __thread u64 x;

	if (!x)
		x = plat_now_ns() ^ ((u64)plat_gettid() << 32) ^ 0x9e3779b97f4a7c15ULL;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return x & 1;
}

/* --- page protection --- */

static bool kfence_protect_page(unsigned long addr, bool protect)
{
	int err = plat_protect((void *)ALIGN_DOWN(addr, PAGE_SIZE), PAGE_SIZE,
			       protect ? 0 : PLAT_PROT_READ | PLAT_PROT_WRITE);

	if (WARN_ON_ONCE(err)) {
		/* KFENCE cannot guard anything any more: stop sampling. */
		WRITE_ONCE(kfence_enabled, false);
		return false;
	}
	return true;
}

static bool kfence_protect(unsigned long addr)
{
	return kfence_protect_page(addr, true);
}

bool kfence_unprotect(unsigned long addr)
{
	return kfence_protect_page(addr, false);
}

static unsigned long metadata_to_pageaddr(const struct kfence_metadata *meta)
{
	return (unsigned long)__kfence_pool +
	       (unsigned long)(meta - kfence_metadata + 1) * 2 * PAGE_SIZE;
}

static bool kfence_obj_allocated(const struct kfence_metadata *meta)
{
	enum kfence_object_state state = READ_ONCE(meta->state);

	return state == KFENCE_OBJECT_ALLOCATED || state == KFENCE_OBJECT_RCU_FREEING;
}

/* The simulated CPU the caller runs on, as far as it holds one. */
static int kfence_cpu(void)
{
	const struct task_struct *t = current;

	return t->preempt_count ? t->cpu : t->owned->id;
}

/* Where the allocator's frames end in @entries: just after @inner, or 0 if absent. */
static unsigned int frames_after(const unsigned long *entries, unsigned int nr,
				 unsigned long inner)
{
	unsigned int i = kfence_first_frame(entries, nr, inner);

	return i && i + 1 < nr ? i + 1 : 0;
}

/*
 * Record who moves @meta to @next: the stack given (an allocation's, saved
 * before the gate), or the caller's, which starts at the frame @caller
 * (the free's return address into the user) when it is found.
 */
static void metadata_update_state(struct kfence_metadata *meta, enum kfence_object_state next,
				  const unsigned long *entries, unsigned int nr,
				  unsigned int skip, unsigned long caller)
{
	struct kfence_track *track = next == KFENCE_OBJECT_ALLOCATED ? &meta->alloc_track
								      : &meta->free_track;

	/* An RCU-deferred free recorded its stack when it was asked for. */
	if (READ_ONCE(meta->state) == KFENCE_OBJECT_RCU_FREEING)
		goto out;
	if (entries) {
		memcpy(track->entries, entries, nr * sizeof(entries[0]));
		track->nr = nr;
		track->skip = skip;
	} else {
		track->nr = plat_stack_save(track->entries, KFENCE_STACK_DEPTH, 1);
		track->skip = kfence_first_frame(track->entries, track->nr, caller);
	}
	track->pid = plat_gettid();
	track->cpu = kfence_cpu();
	track->ts_nsec = plat_now_ns() - kfence_boot_ns;
out:
	WRITE_ONCE(meta->state, next);
}

/* --- canaries --- */

static bool check_canary_byte(u8 *addr, unsigned long caller)
{
	struct kfence_metadata *meta;

	if (likely(*addr == KFENCE_CANARY_PATTERN_U8(addr)))
		return true;
	counter_add(KFENCE_COUNTER_BUGS, 1);
	meta = addr_to_metadata((unsigned long)addr);
	plat_lock(&meta->lock);
	kfence_report_error((unsigned long)addr, false, caller, meta, KFENCE_ERROR_CORRUPTION);
	plat_unlock(&meta->lock);
	return false;
}

/* The page around the object gets the pattern; the object itself is the user's. */
static void set_canary(const struct kfence_metadata *meta)
{
	const unsigned long pageaddr = ALIGN_DOWN(meta->addr, PAGE_SIZE);
	unsigned long addr;

	for (addr = pageaddr; addr < meta->addr; addr += sizeof(u64))
		*(u64 *)addr = KFENCE_CANARY_PATTERN_U64;
	for (addr = ALIGN_DOWN(meta->addr + meta->size, sizeof(u64));
	     addr - pageaddr < PAGE_SIZE; addr += sizeof(u64))
		*(u64 *)addr = KFENCE_CANARY_PATTERN_U64;
}

/*
 * Compare both sides a word at a time, going byte by byte only around a
 * word that differs; the first bad byte of each side is reported, so one
 * stray write gives one report, and writes on both sides give two.
 */
static void check_canary(const struct kfence_metadata *meta, unsigned long caller)
{
	const unsigned long pageaddr = ALIGN_DOWN(meta->addr, PAGE_SIZE);
	unsigned long addr = pageaddr;

	while (meta->addr - addr >= sizeof(u64) && *(u64 *)addr == KFENCE_CANARY_PATTERN_U64)
		addr += sizeof(u64);
	for (; addr < meta->addr; addr++)
		if (unlikely(!check_canary_byte((u8 *)addr, caller)))
			break;
	for (addr = meta->addr + meta->size; addr % sizeof(u64); addr++)
		if (unlikely(!check_canary_byte((u8 *)addr, caller)))
			return;
	for (; addr - pageaddr < PAGE_SIZE; addr += sizeof(u64)) {
		if (likely(*(u64 *)addr == KFENCE_CANARY_PATTERN_U64))
			continue;
		for (; addr - pageaddr < PAGE_SIZE; addr++)
			if (!check_canary_byte((u8 *)addr, caller))
				return;
	}
}

/* --- allocation and free --- */

static void *kfence_guarded_alloc(struct kmem_cache *cache, size_t size, gfp_t gfp,
				  const unsigned long *entries, unsigned int nr,
				  unsigned int skip, u32 hash)
{
	struct kfence_metadata *meta = NULL;
	void *addr;

	plat_lock(&kfence_freelist_lock);
	if (!list_empty(&kfence_freelist)) {
		meta = list_first_entry(&kfence_freelist, struct kfence_metadata, list);
		list_del_init(&meta->list);
	}
	plat_unlock(&kfence_freelist_lock);
	if (!meta) {
		counter_add(KFENCE_COUNTER_SKIP_CAPACITY, 1);
		return NULL;
	}
	if (unlikely(!plat_trylock(&meta->lock))) {
		/* A report on this very object is being printed: leave it be this time. */
		plat_lock(&kfence_freelist_lock);
		list_add_tail(&meta->list, &kfence_freelist);
		plat_unlock(&kfence_freelist_lock);
		return NULL;
	}
	meta->addr = metadata_to_pageaddr(meta);
	if (meta->state == KFENCE_OBJECT_FREED)
		kfence_unprotect(meta->addr);
	if (random_bool()) {
		/* Right-aligned: an overflow hits the guard page after it at once. */
		meta->addr += PAGE_SIZE - size;
		meta->addr = ALIGN_DOWN(meta->addr, max(cache->align, kfence_min_align));
	}
	addr = (void *)meta->addr;
	metadata_update_state(meta, KFENCE_OBJECT_ALLOCATED, entries, nr, skip, 0);
	WRITE_ONCE(meta->cache, cache);
	meta->size = size;
	meta->alloc_stack_hash = hash;
	plat_unlock(&meta->lock);

	alloc_covered_add(hash, 1);
	set_canary(meta);
	/* The slab's own zeroing would clear the canary too: zero just the object. */
	if (unlikely(slab_want_init_on_alloc(gfp, cache)))
		memset(addr, 0, size);
	if (cache->ctor)
		cache->ctor(addr);
	counter_add(KFENCE_COUNTER_ALLOCATED, 1);
	counter_add(KFENCE_COUNTER_ALLOCS, 1);
	return addr;
}

static void kfence_guarded_free(void *addr, struct kfence_metadata *meta, bool zombie,
				unsigned long caller)
{
	bool init;

	plat_lock(&meta->lock);
	if (!kfence_obj_allocated(meta) || meta->addr != (unsigned long)addr) {
		/* A double free, or a pointer into the object: report, free nothing. */
		counter_add(KFENCE_COUNTER_BUGS, 1);
		kfence_report_error((unsigned long)addr, false, caller, meta,
				    KFENCE_ERROR_INVALID_FREE);
		plat_unlock(&meta->lock);
		return;
	}
	/*
	 * A guard page a report opened: wipe it and close it again.  The
	 * neighbour on its other side may have closed it already (two reports
	 * on one shared guard page): open it first, or the wipe faults into
	 * the handler, which wants the lock we hold.
	 */
	if (meta->unprotected_page) {
		kfence_unprotect(meta->unprotected_page);
		memset((void *)ALIGN_DOWN(meta->unprotected_page, PAGE_SIZE), 0, PAGE_SIZE);
		kfence_protect(meta->unprotected_page);
		meta->unprotected_page = 0;
	}
	metadata_update_state(meta, KFENCE_OBJECT_FREED, NULL, 0, 0, caller);
	init = meta->cache && slab_want_init_on_free(meta->cache);
	plat_unlock(&meta->lock);

	alloc_covered_add(meta->alloc_stack_hash, -1);
	check_canary(meta, caller);
	/* Guarded or not, the data stays: wipe it if asked, for a report may open the page. */
	if (!zombie && unlikely(init))
		memset(addr, 0, meta->size);
	kfence_protect((unsigned long)addr);
	if (zombie) {
		counter_add(KFENCE_COUNTER_ZOMBIES, 1);
		return;
	}
	plat_lock(&kfence_freelist_lock);
	WARN_ON_ONCE(!list_empty(&meta->list));
	list_add_tail(&meta->list, &kfence_freelist);
	plat_unlock(&kfence_freelist_lock);
	counter_add(KFENCE_COUNTER_ALLOCATED, -1);
	counter_add(KFENCE_COUNTER_FREES, 1);
}

static void rcu_guarded_free(struct rcu_head *h)
{
	struct kfence_metadata *meta = container_of(h, struct kfence_metadata, rcu_head);

	kfence_guarded_free((void *)meta->addr, meta, false, 0);
}

/*
 * The sample timer.  Its event word is the gate's too: the last sample of
 * a round wakes it (plat_worker_wake()) to start the next interval.
 */
static struct plat_worker kfence_timer;

/* Lower the hook, unless the timer armed the gate again meanwhile. */
static void lower_hook(void)
{
	__atomic_and_fetch(&kmm_slab_hooks, (u8)~KMM_SLAB_HOOK_KFENCE, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&kfence_allocation_gate, __ATOMIC_SEQ_CST) <= 0)
		__atomic_or_fetch(&kmm_slab_hooks, KMM_SLAB_HOOK_KFENCE, __ATOMIC_SEQ_CST);
}

/* See kfence.h.  Context: not in a CPU section; may print a report. */
__noinline void *__kfence_alloc(struct kmem_cache *s, size_t size, gfp_t flags)
{
	unsigned long entries[KFENCE_STACK_DEPTH];
	unsigned int nr, skip;
	int gate;
	u32 hash;

	/* Checked before the gate, so that an unfit allocation does not use up the sample. */
	if (size > PAGE_SIZE || !size) {
		counter_add(KFENCE_COUNTER_SKIP_INCOMPAT, 1);
		return NULL;
	}
	/* The pool is plain memory of the normal zone: no zone or node may be asked for. */
	if ((flags & GFP_ZONEMASK) || ((flags & __GFP_THISNODE) && nr_online_nodes > 1) ||
	    (s->flags & (SLAB_CACHE_DMA | SLAB_CACHE_DMA32))) {
		counter_add(KFENCE_COUNTER_SKIP_INCOMPAT, 1);
		return NULL;
	}
	if (s->flags & SLAB_SKIP_KFENCE)
		return NULL;
	gate = __atomic_add_fetch(&kfence_allocation_gate, 1, __ATOMIC_SEQ_CST);
	if (gate > 1) {
		/* Taken already: the fast paths may go back to ignoring KFENCE. */
		lower_hook();
		return NULL;
	}
	if (gate == 1) {
		/* The last sample of this round: the timer may start the interval. */
		lower_hook();
		plat_worker_wake(&kfence_timer);
	}
	if (!READ_ONCE(kfence_enabled))
		return NULL;
	nr = plat_stack_save(entries, KFENCE_STACK_DEPTH, 0);
	/* The caller's frames begin after slab_post_alloc_hook()'s. */
	skip = frames_after(entries, nr, (unsigned long)__builtin_return_address(0));
	hash = get_alloc_stack_hash(entries + skip, nr - skip);
	if (should_skip_covered() && alloc_covered_contains(hash)) {
		counter_add(KFENCE_COUNTER_SKIP_COVERED, 1);
		return NULL;
	}
	return kfence_guarded_alloc(s, size, flags, entries, nr, skip, hash);
}

size_t kfence_ksize(const void *addr)
{
	const struct kfence_metadata *meta = addr_to_metadata((unsigned long)addr);

	return meta ? READ_ONCE(meta->size) : 0;
}

void *kfence_object_start(const void *addr)
{
	const struct kfence_metadata *meta = addr_to_metadata((unsigned long)addr);

	return meta ? (void *)READ_ONCE(meta->addr) : NULL;
}

/*
 * kfree()/kmem_cache_free() of an address in the pool.  @caller is the
 * free's return address into its caller: the free stack starts there.
 */
void __kfence_free(void *addr, unsigned long caller)
{
	struct kfence_metadata *meta = addr_to_metadata((unsigned long)addr);

	if (unlikely(!meta)) {
		/* A guard page, or the pool's first pages: no object at all. */
		counter_add(KFENCE_COUNTER_BUGS, 1);
		kfence_report_error((unsigned long)addr, false, caller, NULL, KFENCE_ERROR_INVALID);
		return;
	}
	/* The page may be reused for another type once free: wait for readers first. */
	plat_lock(&meta->lock);
	if (unlikely(meta->cache && (meta->cache->flags & SLAB_TYPESAFE_BY_RCU) &&
		     meta->state == KFENCE_OBJECT_ALLOCATED && meta->addr == (unsigned long)addr)) {
		metadata_update_state(meta, KFENCE_OBJECT_RCU_FREEING, NULL, 0, 0, caller);
		plat_unlock(&meta->lock);
		call_rcu(&meta->rcu_head, rcu_guarded_free);
		return;
	}
	plat_unlock(&meta->lock);
	kfence_guarded_free(addr, meta, false, caller);
}

/*
 * A cache is destroyed: its live KFENCE objects become zombies (freed, so
 * a later use is reported with the destroyer's stack, and never reused),
 * and its freed ones forget it.
 */
void kfence_shutdown_cache(struct kmem_cache *s)
{
	struct kfence_metadata *meta;
	bool in_use;

	if (!kfence_metadata)
		return;
	for (unsigned long i = 0; i < kfence_num_objects; i++) {
		meta = &kfence_metadata[i];
		if (READ_ONCE(meta->cache) != s || !kfence_obj_allocated(meta))
			continue;
		plat_lock(&meta->lock);
		in_use = meta->cache == s && kfence_obj_allocated(meta);
		plat_unlock(&meta->lock);
		if (in_use)
			kfence_guarded_free((void *)meta->addr, meta, true, 0);
	}
	for (unsigned long i = 0; i < kfence_num_objects; i++) {
		meta = &kfence_metadata[i];
		plat_lock(&meta->lock);
		if (meta->cache == s && meta->state == KFENCE_OBJECT_FREED)
			WRITE_ONCE(meta->cache, NULL);
		plat_unlock(&meta->lock);
	}
}

/*
 * A fault in the pool: a guard page is an out-of-bounds access of the
 * nearer live neighbour, an object page a use after free.  Either way the
 * page is opened and the access goes on.  Runs in the faulting thread's
 * SIGSEGV handler: only the metadata lock and the log are taken, both
 * free of anything a thread could hold while it touches a guarded page.
 */
bool kfence_handle_page_fault(unsigned long addr, bool is_write, void *uctx)
{
	long page_index = (long)((addr - (unsigned long)__kfence_pool) / PAGE_SIZE);
	struct kfence_metadata *to_report = NULL;
	enum kfence_error_type type = KFENCE_ERROR_INVALID;
	unsigned long pc = plat_fault_pc(uctx);

	if (!is_kfence_address((void *)addr))
		return false;
	if (!READ_ONCE(kfence_enabled))
		return kfence_unprotect(addr);
	counter_add(KFENCE_COUNTER_BUGS, 1);
	if (page_index % 2) {
		struct kfence_metadata *meta = addr_to_metadata(addr - PAGE_SIZE);
		long distance = 0;

		if (meta && kfence_obj_allocated(meta)) {
			to_report = meta;
			distance = (long)(addr - (READ_ONCE(meta->addr) + READ_ONCE(meta->size)));
		}
		meta = addr_to_metadata(addr + PAGE_SIZE);
		if (meta && kfence_obj_allocated(meta) &&
		    (!to_report || distance > (long)(READ_ONCE(meta->addr) - addr)))
			to_report = meta;
		if (to_report) {
			plat_lock(&to_report->lock);
			to_report->unprotected_page = addr;
			type = KFENCE_ERROR_OOB;
		}
	} else {
		to_report = addr_to_metadata(addr);
		if (to_report) {
			plat_lock(&to_report->lock);
			type = KFENCE_ERROR_UAF;
		}
	}
	kfence_report_error(addr, is_write, pc, to_report, type);
	if (to_report)
		plat_unlock(&to_report->lock);
	return kfence_unprotect(addr);
}

/* --- the sample timer --- */

/* Open the gate for kfence.burst + 1 allocations, and raise the hook that routes them here. */
static void toggle_allocation_gate(void)
{
	__atomic_store_n(&kfence_allocation_gate, -(int)kfence_burst, __ATOMIC_SEQ_CST);
	__atomic_or_fetch(&kmm_slab_hooks, KMM_SLAB_HOOK_KFENCE, __ATOMIC_SEQ_CST);
}

static void *kfence_timer_fn(void *arg)
{
	struct plat_worker *w = arg;

	do {
		if (!READ_ONCE(kfence_enabled))
			continue;
		toggle_allocation_gate();
		/* Until the samples are taken; the hook is checked again on each wake-up. */
		for (;;) {
			unsigned int seen = plat_worker_events(w);

			if (__atomic_load_n(&kfence_allocation_gate, __ATOMIC_SEQ_CST) > 0)
				break;
			/* Whoever lowered the hook saw the gate shut: raise it again. */
			__atomic_or_fetch(&kmm_slab_hooks, KMM_SLAB_HOOK_KFENCE, __ATOMIC_SEQ_CST);
			if (!plat_worker_wait(w, seen, 100000))
				break;
		}
		lower_hook();
	} while (plat_worker_sleep(w, (u64)max(READ_ONCE(kfence_sample_interval), 1UL) * 1000000));
	return NULL;
}

static void kfence_timer_start(void)
{
	int err = plat_worker_start(&kfence_timer, kfence_timer_fn, &kfence_timer, "kfence");

	if (err) {
		WRITE_ONCE(kfence_enabled, false);
		pr_err("kfence: cannot start the sample timer: %d\n", err);
	}
}

/* --- boot --- */

static int parse_ulong(const char *val, unsigned long lo, unsigned long hi, unsigned long *out)
{
	char *end;
	unsigned long v;

	if (!val || !*val)
		return -EINVAL;
	v = strtoul(val, &end, 0);
	if (*end || v < lo || v > hi)
		return -EINVAL;
	*out = v;
	return 0;
}

static int setup_sample_interval(const char *val)
{
	return parse_ulong(val, 0, ULONG_MAX / 1000000, &kfence_sample_interval);
}

static void reset_sample_interval(void)
{
	kfence_sample_interval = 100;
}

static int setup_skip_covered_thresh(const char *val)
{
	return parse_ulong(val, 0, 100, &kfence_skip_covered_thresh);
}

static void reset_skip_covered_thresh(void)
{
	kfence_skip_covered_thresh = 75;
}

static int setup_burst(const char *val)
{
	unsigned long v;
	int err = parse_ulong(val, 0, INT_MAX - 1, &v);

	if (!err)
		kfence_burst = (unsigned int)v;
	return err;
}

static void reset_burst(void)
{
	kfence_burst = 0;
}

/* Linux's CONFIG_KFENCE_NUM_OBJECTS range. */
static int setup_num_objects(const char *val)
{
	return parse_ulong(val, 1, 65535, &kfence_num_objects);
}

static void reset_num_objects(void)
{
	kfence_num_objects = CONFIG_KFENCE_NUM_OBJECTS;
}

kmm_param("kfence.sample_interval", setup_sample_interval, reset_sample_interval);
kmm_param("kfence.skip_covered_thresh", setup_skip_covered_thresh, reset_skip_covered_thresh);
kmm_param("kfence.burst", setup_burst, reset_burst);
kmm_param("kfence.num_objects", setup_num_objects, reset_num_objects);

static unsigned long pool_size_for(unsigned long nr_objects)
{
	return (nr_objects + 1) * 2 * PAGE_SIZE;
}

/* Reserve the pool while memblock still hands out memory (Linux's mm_core_init()). */
void kfence_alloc_pool(void)
{
	__kfence_pool = NULL;
	__kfence_pool_size = 0;
	if (!kfence_sample_interval)
		return;
	__kfence_pool = memblock_alloc_raw(pool_size_for(kfence_num_objects), PAGE_SIZE);
	if (!__kfence_pool)
		pr_err("kfence: failed to allocate pool\n");
}

static void kfence_reset(void)
{
	INIT_LIST_HEAD(&kfence_freelist);
	memset(counters, 0, sizeof(counters));
	kfence_allocation_gate = 1;
	kfence_enabled = false;
}

/* Protect the two leading pages and every object's right guard page. */
static int kfence_init_pool(struct kfence_metadata *metas)
{
	unsigned long addr = (unsigned long)__kfence_pool;

	for (int i = 0; i < 2; i++, addr += PAGE_SIZE)
		if (!kfence_protect(addr))
			return -EFAULT;
	for (unsigned long i = 0; i < kfence_num_objects; i++, addr += 2 * PAGE_SIZE) {
		struct kfence_metadata *meta = &metas[i];

		INIT_LIST_HEAD(&meta->list);
		meta->state = KFENCE_OBJECT_UNUSED;
		meta->addr = addr;
		list_add_tail(&meta->list, &kfence_freelist);
		if (!kfence_protect(addr + PAGE_SIZE))
			return -EFAULT;
	}
	return 0;
}

static void kfence_free_metadata(void)
{
	if (kfence_metadata)
		plat_host_free(kfence_metadata, sizeof(*kfence_metadata) * kfence_num_objects);
	if (alloc_covered)
		plat_host_free(alloc_covered, sizeof(*alloc_covered) << alloc_covered_order);
	kfence_metadata = NULL;
	alloc_covered = NULL;
}

int kfence_init(void)
{
	struct kfence_metadata *metas;

	kfence_reset();
	kfence_boot_ns = plat_now_ns();
	stack_hash_seed = (u32)plat_now_ns();
	if (!__kfence_pool)
		return 0;
	alloc_covered_order = (unsigned int)(63 - __builtin_clzl(kfence_num_objects)) + 2;
	alloc_covered = plat_host_zalloc(sizeof(*alloc_covered) << alloc_covered_order);
	metas = plat_host_zalloc(sizeof(*metas) * kfence_num_objects);
	if (!metas || !alloc_covered || kfence_init_pool(metas)) {
		/* The pool stays reserved, as Linux keeps what it could not protect. */
		pr_err("kfence_init failed\n");
		if (metas)
			plat_host_free(metas, sizeof(*metas) * kfence_num_objects);
		kfence_free_metadata();
		__kfence_pool = NULL;
		INIT_LIST_HEAD(&kfence_freelist);
		return 0;
	}
	kfence_metadata = metas;
	/* From here on the pool's addresses are KFENCE's (guards included). */
	__kfence_pool_size = pool_size_for(kfence_num_objects);
	WRITE_ONCE(kfence_enabled, true);
	kfence_timer_start();
	if (READ_ONCE(kfence_enabled))
		pr_info("kfence: initialized - using %lu bytes for %lu objects at 0x%lx-0x%lx\n",
			__kfence_pool_size, kfence_num_objects, (unsigned long)__kfence_pool,
			(unsigned long)__kfence_pool + __kfence_pool_size);
	return 0;
}

void kfence_exit(void)
{
	WRITE_ONCE(kfence_enabled, false);
	plat_worker_stop(&kfence_timer);
	__atomic_and_fetch(&kmm_slab_hooks, (u8)~KMM_SLAB_HOOK_KFENCE, __ATOMIC_SEQ_CST);
	/* The window goes with the machine, and the protections with it. */
	kfence_free_metadata();
	__kfence_pool_size = 0;
	__kfence_pool = NULL;
	kfence_reset();
}

/*
 * In a child after fork(): the timer thread did not come along, so nothing
 * is sampled any more (as the child's other machine threads, see fork.c);
 * the objects already in the pool stay guarded and are checked when freed.
 */
void kfence_fork_child(void)
{
	kfence_timer.thread = NULL;
	__atomic_store_n(&kfence_allocation_gate, 1, __ATOMIC_SEQ_CST);
	__atomic_and_fetch(&kmm_slab_hooks, (u8)~KMM_SLAB_HOOK_KFENCE, __ATOMIC_SEQ_CST);
}

/* --- kmm_check() and the views: /sys/kernel/debug/kfence/{stats,objects} --- */

/*
 * The pool's metadata: every object in a known state, inside its page; the
 * free ones on the freelist exactly once (zombies never); the counters
 * equal to what the states say.  Objects whose lock is held right now are
 * skipped, and the counts with them.
 */
int kmm_check_kfence(void)
{
	unsigned long live = 0, zombies = 0, free = 0, listed = 0;
	bool complete = true;

	if (!kfence_metadata)
		return 0;
	plat_lock(&kfence_freelist_lock);
	for (unsigned long i = 0; i < kfence_num_objects; i++) {
		struct kfence_metadata *meta = &kfence_metadata[i];
		unsigned long page = metadata_to_pageaddr(meta);
		bool on_list = !list_empty(&meta->list);

		if (!plat_trylock(&meta->lock)) {
			complete = false;
			continue;
		}
		KMM_CHECK(meta->state <= KFENCE_OBJECT_FREED, "kfence-#%lu: state %d", i, meta->state);
		KMM_CHECK(meta->addr >= page && meta->addr + meta->size <= page + PAGE_SIZE,
			  "kfence-#%lu: object 0x%lx+%zu outside its page 0x%lx", i, meta->addr,
			  meta->size, page);
		if (kfence_obj_allocated(meta)) {
			live++;
			KMM_CHECK(!on_list, "kfence-#%lu: allocated and on the freelist", i);
			KMM_CHECK(meta->cache && meta->size, "kfence-#%lu: allocated without a cache or size", i);
		} else if (on_list) {
			free++;
		} else if (meta->state == KFENCE_OBJECT_FREED) {
			zombies++;
		} else {
			KMM_CHECK(0, "kfence-#%lu: unused and not on the freelist", i);
		}
		plat_unlock(&meta->lock);
	}
	for (struct list_head *pos = kfence_freelist.next; pos != &kfence_freelist; pos = pos->next) {
		struct kfence_metadata *meta = list_entry(pos, struct kfence_metadata, list);

		if (++listed > kfence_num_objects ||
		    meta < kfence_metadata || meta >= kfence_metadata + kfence_num_objects) {
			KMM_CHECK(0, "kfence: the freelist holds a stranger or loops");
			break;
		}
	}
	plat_unlock(&kfence_freelist_lock);
	if (complete) {
		KMM_CHECK(listed == free, "kfence: %lu objects free, %lu on the freelist", free, listed);
		KMM_CHECK((long)(live + zombies) == READ_ONCE(counters[KFENCE_COUNTER_ALLOCATED]),
			  "kfence: %lu live and %lu zombie objects, counter says %ld", live, zombies,
			  READ_ONCE(counters[KFENCE_COUNTER_ALLOCATED]));
		KMM_CHECK((long)zombies == READ_ONCE(counters[KFENCE_COUNTER_ZOMBIES]),
			  "kfence: %lu zombie objects, counter says %ld", zombies,
			  READ_ONCE(counters[KFENCE_COUNTER_ZOMBIES]));
	}
	return 0;
}

void show_kfence_stats(FILE *f)
{
	fprintf(f, "enabled: %i\n", READ_ONCE(kfence_enabled) ? 1 : 0);
	for (int i = 0; i < KFENCE_COUNTER_COUNT; i++)
		fprintf(f, "%s: %ld\n", counter_names[i], READ_ONCE(counters[i]));
}

void show_kfence_objects(FILE *f)
{
	if (!kfence_metadata)
		return;
	for (unsigned long i = 0; i < kfence_num_objects; i++) {
		struct kfence_metadata *meta = &kfence_metadata[i];

		plat_lock(&meta->lock);
		kfence_print_object(f, meta);
		plat_unlock(&meta->lock);
		fputs("---------------------------------\n", f);
	}
}
