/* SPDX-License-Identifier: MIT */
/*
 * KFENCE, the sampling memory-error detector of Linux's mm/kfence/core.c
 * (see include/kmm/kfence.h for what it gives the user).
 *
 * The pool is reserved from memblock at boot, in the direct map, and never
 * given back.  Its layout, in pages:
 *
 *   | guard | guard | obj 0 | guard | obj 1 | guard | ... | obj 254 | guard |
 *
 * so object i lives on page 2i + 2 and every object page has a guard page
 * on each side.  Guard pages are made inaccessible in the host (mprotect of
 * the direct map), so a stray access really faults; a freed object's page
 * is made inaccessible too, so a use after free faults.  The fault handler
 * (fault.c) asks kfence_handle_page_fault() first: an address in the pool is
 * reported in KFENCE's words, its page is opened, and the access is
 * retried, as Linux lets the kernel go on after a KFENCE report.
 *
 * Sampling.  A timer thread arms the allocation gate every
 * kfence.sample_interval ms: the gate goes to 0 and KMM_SLAB_HOOK_KFENCE is
 * raised in kmm_slab_hooks, the byte the slab fast paths already test for
 * their rare hooks, so the fast path pays nothing while the gate is shut.
 * The next allocation lands in slab_post_alloc_hook(), which calls
 * __kfence_alloc(); the first caller to increment the gate to 1 gets a
 * KFENCE object and the slab object it had taken goes back to its cache.
 * Everyone else sees the gate above 1 and lowers the hook bit.
 *
 * Object states: unused -> allocated -> (RCU freeing ->) freed ->
 * allocated ...  Each object has a lock for its metadata; free objects are
 * on kfence_freelist, reused least recently freed first (the tail), so a
 * freed object keeps catching uses after free as long as possible.
 *
 * Lock order: meta->lock, then kfence_freelist_lock; neither is held while
 * calling into the slab allocator.  The fault handler takes meta->lock on
 * the faulting thread, which never faults while holding one.
 */
#include "kfence.h"
#include "param.h"
#include "slab.h"
#include <stdlib.h>

char *__kfence_pool;
struct kfence_metadata *kfence_metadata;
u64 kfence_boot_ns;
unsigned long kfence_sample_interval = 100;	/* CONFIG_KFENCE_SAMPLE_INTERVAL */
static unsigned long kfence_skip_covered_thresh = 75;
static bool kfence_enabled;

static LIST_HEAD(kfence_freelist);
static spinlock_t kfence_freelist_lock;
/* Above 0 while no allocation may be sampled; the timer sets it to 0. */
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
 * skipped, so one long-lived call site cannot fill the pool.
 */
#define ALLOC_COVERED_HNUM	2
#define ALLOC_COVERED_ORDER	10	/* ilog2(255) + 2 */
#define ALLOC_COVERED_SIZE	(1U << ALLOC_COVERED_ORDER)
#define ALLOC_COVERED_MASK	(ALLOC_COVERED_SIZE - 1)
#define UNIQUE_ALLOC_STACK_DEPTH 8U
static int alloc_covered[ALLOC_COVERED_SIZE];
static u32 stack_hash_seed;

static u32 hash_next(u32 h)
{
	return (h * 0x61C88647U) >> (32 - ALLOC_COVERED_ORDER);
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
	for (int i = 0; i < ALLOC_COVERED_HNUM; i++) {
		__atomic_add_fetch(&alloc_covered[hash & ALLOC_COVERED_MASK], val,
				   __ATOMIC_RELAXED);
		hash = hash_next(hash);
	}
}

static bool alloc_covered_contains(u32 hash)
{
	for (int i = 0; i < ALLOC_COVERED_HNUM; i++) {
		if (!__atomic_load_n(&alloc_covered[hash & ALLOC_COVERED_MASK], __ATOMIC_RELAXED))
			return false;
		hash = hash_next(hash);
	}
	return true;
}

static bool should_skip_covered(void)
{
	unsigned long thresh = CONFIG_KFENCE_NUM_OBJECTS * kfence_skip_covered_thresh / 100;

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
	return (unsigned long)__kfence_pool + (unsigned long)(meta - kfence_metadata + 1) * 2 * PAGE_SIZE;
}

static bool kfence_obj_allocated(const struct kfence_metadata *meta)
{
	enum kfence_object_state state = READ_ONCE(meta->state);

	return state == KFENCE_OBJECT_ALLOCATED || state == KFENCE_OBJECT_RCU_FREEING;
}

/* Record who moves @meta to @next (the stack given, or the caller's). */
static __noinline void metadata_update_state(struct kfence_metadata *meta,
					     enum kfence_object_state next,
					     const unsigned long *entries, unsigned int nr)
{
	struct kfence_track *track = next == KFENCE_OBJECT_ALLOCATED ? &meta->alloc_track
								      : &meta->free_track;

	/* An RCU-deferred free recorded its stack when it was asked for. */
	if (READ_ONCE(meta->state) == KFENCE_OBJECT_RCU_FREEING)
		goto out;
	if (entries) {
		memcpy(track->entries, entries, nr * sizeof(entries[0]));
		track->nr = nr;
	} else {
		track->nr = plat_stack_save(track->entries, KFENCE_STACK_DEPTH, 1);
	}
	track->pid = current->pid ? current->pid : plat_gettid();
	track->cpu = current->preempt_count ? current->cpu : plat_host_cpu();
	track->ts_nsec = plat_now_ns() - kfence_boot_ns;
out:
	WRITE_ONCE(meta->state, next);
}

/* --- canaries --- */

static bool check_canary_byte(u8 *addr)
{
	struct kfence_metadata *meta;

	if (likely(*addr == KFENCE_CANARY_PATTERN_U8(addr)))
		return true;
	counter_add(KFENCE_COUNTER_BUGS, 1);
	meta = addr_to_metadata((unsigned long)addr);
	plat_lock(&meta->lock);
	kfence_report_error((unsigned long)addr, false, 0, meta, KFENCE_ERROR_CORRUPTION);
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
 * Check both sides word by word, then byte by byte from the first bad
 * word; the first bad byte of a side is reported.  Both sides are checked,
 * so a report shows what was overwritten where.
 */
static void check_canary(const struct kfence_metadata *meta)
{
	const unsigned long pageaddr = ALIGN_DOWN(meta->addr, PAGE_SIZE);
	unsigned long addr = pageaddr;

	for (; meta->addr - addr >= sizeof(u64); addr += sizeof(u64))
		if (unlikely(*(u64 *)addr != KFENCE_CANARY_PATTERN_U64))
			break;
	for (; addr < meta->addr; addr++)
		if (unlikely(!check_canary_byte((u8 *)addr)))
			break;
	for (addr = meta->addr + meta->size; addr % sizeof(u64); addr++)
		if (unlikely(!check_canary_byte((u8 *)addr)))
			return;
	for (; addr - pageaddr < PAGE_SIZE; addr += sizeof(u64)) {
		if (likely(*(u64 *)addr == KFENCE_CANARY_PATTERN_U64))
			continue;
		for (; addr - pageaddr < PAGE_SIZE; addr++)
			if (!check_canary_byte((u8 *)addr))
				return;
	}
}

/* --- allocation and free --- */

static void *kfence_guarded_alloc(struct kmem_cache *cache, size_t size, gfp_t gfp,
				  const unsigned long *entries, unsigned int nr, u32 hash)
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
		/* A report on this very object is printing (and allocating): take another time. */
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
		meta->addr = ALIGN_DOWN(meta->addr, max(cache->align, 1U));
	}
	addr = (void *)meta->addr;
	metadata_update_state(meta, KFENCE_OBJECT_ALLOCATED, entries, nr);
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

static void kfence_guarded_free(void *addr, struct kfence_metadata *meta, bool zombie)
{
	bool init;

	plat_lock(&meta->lock);
	if (!kfence_obj_allocated(meta) || meta->addr != (unsigned long)addr) {
		/* A double free, or a pointer into the object: report, free nothing. */
		counter_add(KFENCE_COUNTER_BUGS, 1);
		kfence_report_error((unsigned long)addr, false, 0, meta,
				    KFENCE_ERROR_INVALID_FREE);
		plat_unlock(&meta->lock);
		return;
	}
	/* A guard page a report opened: wipe it and close it again. */
	if (meta->unprotected_page) {
		memset((void *)ALIGN_DOWN(meta->unprotected_page, PAGE_SIZE), 0, PAGE_SIZE);
		kfence_protect(meta->unprotected_page);
		meta->unprotected_page = 0;
	}
	metadata_update_state(meta, KFENCE_OBJECT_FREED, NULL, 0);
	init = meta->cache && slab_want_init_on_free(meta->cache);
	plat_unlock(&meta->lock);

	alloc_covered_add(meta->alloc_stack_hash, -1);
	check_canary(meta);
	if (!zombie && unlikely(init))
		memset(addr, 0, meta->size);
	kfence_protect((unsigned long)addr);
	if (zombie) {
		counter_add(KFENCE_COUNTER_ZOMBIES, 1);
		return;
	}
	plat_lock(&kfence_freelist_lock);
	list_add_tail(&meta->list, &kfence_freelist);
	plat_unlock(&kfence_freelist_lock);
	counter_add(KFENCE_COUNTER_ALLOCATED, -1);
	counter_add(KFENCE_COUNTER_FREES, 1);
}

static void rcu_guarded_free(struct rcu_head *h)
{
	struct kfence_metadata *meta = container_of(h, struct kfence_metadata, rcu_head);

	kfence_guarded_free((void *)meta->addr, meta, false);
}

/*
 * __kfence_alloc - sample this allocation, if the gate is open
 * @size: the size asked for (the cache's object size, or kmalloc's request)
 *
 * Called from slab_post_alloc_hook() while KMM_SLAB_HOOK_KFENCE is up.
 * Return: a KFENCE object, or NULL to keep the slab object.
 */
void *__kfence_alloc(struct kmem_cache *s, size_t size, gfp_t flags)
{
	unsigned long entries[KFENCE_STACK_DEPTH];
	unsigned int nr;
	u32 hash;

	/* Checked before the gate, so that an unfit allocation does not use up the sample. */
	if (size > PAGE_SIZE || !size) {
		counter_add(KFENCE_COUNTER_SKIP_INCOMPAT, 1);
		return NULL;
	}
	if ((flags & GFP_ZONEMASK) || ((flags & __GFP_THISNODE) && nr_online_nodes > 1) ||
	    (s->flags & (SLAB_CACHE_DMA | SLAB_CACHE_DMA32))) {
		counter_add(KFENCE_COUNTER_SKIP_INCOMPAT, 1);
		return NULL;
	}
	if (s->flags & SLAB_SKIP_KFENCE)
		return NULL;
	if (__atomic_add_fetch(&kfence_allocation_gate, 1, __ATOMIC_RELAXED) > 1) {
		/* Taken already: the fast paths may go back to ignoring KFENCE. */
		__atomic_and_fetch(&kmm_slab_hooks, (u8)~KMM_SLAB_HOOK_KFENCE, __ATOMIC_RELAXED);
		return NULL;
	}
	__atomic_and_fetch(&kmm_slab_hooks, (u8)~KMM_SLAB_HOOK_KFENCE, __ATOMIC_RELAXED);
	if (!READ_ONCE(kfence_enabled))
		return NULL;
	nr = plat_stack_save(entries, KFENCE_STACK_DEPTH, 0);
	hash = get_alloc_stack_hash(entries, nr);
	if (should_skip_covered() && alloc_covered_contains(hash)) {
		counter_add(KFENCE_COUNTER_SKIP_COVERED, 1);
		return NULL;
	}
	return kfence_guarded_alloc(s, size, flags, entries, nr, hash);
}

size_t kfence_ksize(const void *addr)
{
	const struct kfence_metadata *meta = addr_to_metadata((unsigned long)addr);

	return meta ? meta->size : 0;
}

void *kfence_object_start(const void *addr)
{
	const struct kfence_metadata *meta = addr_to_metadata((unsigned long)addr);

	return meta ? (void *)meta->addr : NULL;
}

/* kfree()/kmem_cache_free() of an address in the pool. */
void __kfence_free(void *addr)
{
	struct kfence_metadata *meta = addr_to_metadata((unsigned long)addr);

	if (unlikely(!meta)) {
		/* A guard page, or the pool's first pages: no object at all. */
		counter_add(KFENCE_COUNTER_BUGS, 1);
		kfence_report_error((unsigned long)addr, false, 0, NULL, KFENCE_ERROR_INVALID);
		return;
	}
	/* The page may be reused for another type once free: wait for readers first. */
	if (unlikely(meta->cache && (meta->cache->flags & SLAB_TYPESAFE_BY_RCU) &&
		     kfence_obj_allocated(meta) && meta->addr == (unsigned long)addr &&
		     meta->state != KFENCE_OBJECT_RCU_FREEING)) {
		plat_lock(&meta->lock);
		metadata_update_state(meta, KFENCE_OBJECT_RCU_FREEING, NULL, 0);
		plat_unlock(&meta->lock);
		call_rcu(&meta->rcu_head, rcu_guarded_free);
		return;
	}
	kfence_guarded_free(addr, meta, false);
}

/*
 * A cache is destroyed: its live KFENCE objects become zombies (freed, so
 * a later use is reported with the destroyer's stack), and its freed ones
 * forget it.
 */
void kfence_shutdown_cache(struct kmem_cache *s)
{
	struct kfence_metadata *meta;

	if (!kfence_metadata)
		return;
	for (int i = 0; i < CONFIG_KFENCE_NUM_OBJECTS; i++) {
		meta = &kfence_metadata[i];
		if (READ_ONCE(meta->cache) == s && kfence_obj_allocated(meta))
			kfence_guarded_free((void *)meta->addr, meta, true);
	}
	for (int i = 0; i < CONFIG_KFENCE_NUM_OBJECTS; i++) {
		meta = &kfence_metadata[i];
		plat_lock(&meta->lock);
		if (meta->cache == s && meta->state == KFENCE_OBJECT_FREED)
			meta->cache = NULL;
		plat_unlock(&meta->lock);
	}
}

/*
 * A fault in the pool: a guard page is an out-of-bounds access of the
 * nearer neighbour, an object page a use after free.  Either way the page
 * is opened and the access goes on.
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
			distance = (long)(addr - (meta->addr + meta->size));
		}
		meta = addr_to_metadata(addr + PAGE_SIZE);
		if (meta && kfence_obj_allocated(meta) &&
		    (!to_report || distance > (long)(meta->addr - addr)))
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

static struct plat_thread *kfence_timer;
static unsigned int kfence_timer_seq;
static bool kfence_timer_stop;

/* Open the gate for one allocation, and raise the hook that routes it here. */
static void toggle_allocation_gate(void)
{
	if (!READ_ONCE(kfence_enabled))
		return;
	__atomic_store_n(&kfence_allocation_gate, 0, __ATOMIC_RELEASE);
	__atomic_or_fetch(&kmm_slab_hooks, KMM_SLAB_HOOK_KFENCE, __ATOMIC_RELEASE);
}

static void *kfence_timer_fn(void *arg)
{
	(void)arg;
	while (!READ_ONCE(kfence_timer_stop)) {
		unsigned int seen = READ_ONCE(kfence_timer_seq);
		unsigned long ms = READ_ONCE(kfence_sample_interval);

		toggle_allocation_gate();
		plat_event_wait(&kfence_timer_seq, seen, ms ? (unsigned int)min(ms * 1000, 600000000UL)
							    : 100000);
	}
	return NULL;
}

/* --- boot --- */

static int setup_kfence_sample_interval(const char *val)
{
	char *end;
	unsigned long v;

	if (!val || !*val)
		return -EINVAL;
	v = strtoul(val, &end, 0);
	if (*end)
		return -EINVAL;
	kfence_sample_interval = v;
	return 0;
}

static void kfence_params_reset(void)
{
	kfence_sample_interval = 100;
}

static int setup_kfence_skip_covered_thresh(const char *val)
{
	char *end;
	unsigned long v;

	if (!val || !*val)
		return -EINVAL;
	v = strtoul(val, &end, 0);
	if (*end || v > 100)
		return -EINVAL;
	kfence_skip_covered_thresh = v;
	return 0;
}

static void kfence_thresh_reset(void)
{
	kfence_skip_covered_thresh = 75;
}

kmm_param("kfence.sample_interval", setup_kfence_sample_interval, kfence_params_reset);
kmm_param("kfence.skip_covered_thresh", setup_kfence_skip_covered_thresh, kfence_thresh_reset);

/* Reserve the pool while memblock still hands out memory (Linux's mm_core_init()). */
void kfence_alloc_pool(void)
{
	__kfence_pool = NULL;
	if (!kfence_sample_interval)
		return;
	__kfence_pool = memblock_alloc_raw(KFENCE_POOL_SIZE, PAGE_SIZE);
	if (!__kfence_pool)
		pr_err("kfence: failed to allocate pool\n");
}

static void kfence_reset(void)
{
	INIT_LIST_HEAD(&kfence_freelist);
	memset(counters, 0, sizeof(counters));
	memset(alloc_covered, 0, sizeof(alloc_covered));
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
	for (int i = 0; i < CONFIG_KFENCE_NUM_OBJECTS; i++, addr += 2 * PAGE_SIZE) {
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

int kfence_init(void)
{
	struct kfence_metadata *metas;
	int err;

	kfence_reset();
	kfence_boot_ns = plat_now_ns();
	stack_hash_seed = (u32)plat_now_ns();
	if (!__kfence_pool)
		return 0;
	metas = plat_host_zalloc(sizeof(*metas) * CONFIG_KFENCE_NUM_OBJECTS);
	if (!metas || kfence_init_pool(metas)) {
		/* The pool stays reserved, as Linux keeps what it could not protect. */
		pr_err("kfence_init failed\n");
		if (metas)
			plat_host_free(metas, sizeof(*metas) * CONFIG_KFENCE_NUM_OBJECTS);
		__kfence_pool = NULL;
		INIT_LIST_HEAD(&kfence_freelist);
		return 0;
	}
	kfence_metadata = metas;
	WRITE_ONCE(kfence_enabled, true);
	kfence_timer_stop = false;
	err = plat_thread_start(&kfence_timer, kfence_timer_fn, NULL, "kfence");
	if (err) {
		kfence_timer = NULL;
		WRITE_ONCE(kfence_enabled, false);
		pr_err("kfence: cannot start the sample timer: %d\n", err);
		return 0;
	}
	pr_info("kfence: initialized - using %lu bytes for %d objects at 0x%lx-0x%lx\n",
		(unsigned long)KFENCE_POOL_SIZE, CONFIG_KFENCE_NUM_OBJECTS,
		(unsigned long)__kfence_pool, (unsigned long)__kfence_pool + KFENCE_POOL_SIZE);
	return 0;
}

void kfence_exit(void)
{
	WRITE_ONCE(kfence_enabled, false);
	if (kfence_timer) {
		WRITE_ONCE(kfence_timer_stop, true);
		plat_event_signal(&kfence_timer_seq);
		plat_thread_join(kfence_timer);
		kfence_timer = NULL;
	}
	__atomic_and_fetch(&kmm_slab_hooks, (u8)~KMM_SLAB_HOOK_KFENCE, __ATOMIC_RELAXED);
	/* The window goes with the machine, and the protections with it. */
	if (kfence_metadata)
		plat_host_free(kfence_metadata, sizeof(*kfence_metadata) * CONFIG_KFENCE_NUM_OBJECTS);
	kfence_metadata = NULL;
	__kfence_pool = NULL;
	kfence_reset();
}

/* --- views: /sys/kernel/debug/kfence/{stats,objects} --- */

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
	for (int i = 0; i < CONFIG_KFENCE_NUM_OBJECTS; i++) {
		struct kfence_metadata *meta = &kfence_metadata[i];

		plat_lock(&meta->lock);
		kfence_print_object(f, meta);
		plat_unlock(&meta->lock);
		fputs("---------------------------------\n", f);
	}
}
