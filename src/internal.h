/* SPDX-License-Identifier: MIT */
/*
 * Cross-module internals of libkmm.  Prototypes are grouped by the file
 * that defines them: this header is a map of the modules.
 */
#ifndef KMM_INTERNAL_H
#define KMM_INTERNAL_H

#include <errno.h>
#include <string.h>
#include <kmm/kmm.h>
#include "platform/platform.h"

/*
 * Everything declared from here on is the library's own: hidden, so that
 * its data is reached directly rather than through the GOT (public
 * declarations come from include/kmm/, which says "default" itself).
 */
#pragma GCC visibility push(hidden)

#define __noinline __attribute__((__noinline__))
#define min(a, b) ((a) < (b) ? (a) : (b))
#define max(a, b) ((a) > (b) ? (a) : (b))
#define clamp(v, lo, hi) min(max(v, lo), hi)
#define ALIGN(x, a) (((x) + (a) - 1) & ~((__typeof__(x))(a) - 1))
#define ALIGN_DOWN(x, a) ((x) & ~((__typeof__(x))(a) - 1))
#define IS_ALIGNED(x, a) (((x) & ((__typeof__(x))(a) - 1)) == 0)
#define barrier() __asm__ __volatile__("" ::: "memory")
/*
 * A full barrier.  ThreadSanitizer models no fences (gcc warns about them),
 * so there it is what Linux's smp_mb() is on x86: a locked add of 0 to a
 * word on the stack.
 */
#ifdef KMM_TSAN
#define smp_mb() ((void)__atomic_fetch_add(&(int){ 0 }, 0, __ATOMIC_SEQ_CST))
#else
#define smp_mb() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#endif
/*
 * A read that races with writers on purpose, as Linux's data_race(): a
 * hint re-checked under the lock, a statistic, a field that cannot change
 * but shares its word with one that does.  ThreadSanitizer ignores the
 * accesses in @expr; elsewhere it is @expr.  Each use says why it is benign.
 */
#ifdef KMM_TSAN
/* ThreadSanitizer's, not ours: default visibility, though declared here. */
__attribute__((visibility("default"))) void AnnotateIgnoreReadsBegin(const char *file, int line);
__attribute__((visibility("default"))) void AnnotateIgnoreReadsEnd(const char *file, int line);
#define data_race(expr) ({						\
	AnnotateIgnoreReadsBegin(__FILE__, __LINE__);			\
	__typeof__(({ expr; })) __dr_v = ({ expr; });			\
	AnnotateIgnoreReadsEnd(__FILE__, __LINE__);			\
	__dr_v;								\
})
#else
#define data_race(expr) (expr)
#endif
#define SZ_1K	0x400UL
#define SZ_1M	0x100000UL
#define SZ_16M	0x1000000UL
#define SZ_1G	0x40000000UL
#define SZ_4G	0x100000000UL

/* --- the machine: config.c, boot.c --- */
struct kmm_config {
	enum kmm_arch arch;
	u64 mem;			/* mem=: RAM from 0 to here */
	unsigned int cpus;
	unsigned int numa_nodes;	/* numa=fake= */
	long min_free_kbytes;		/* -1: computed */
	unsigned int watermark_scale_factor;
	int lowmem_reserve_ratio[MAX_NR_ZONES];
	int loglevel;
	bool panic_on_warn;
	u64 vmalloc_size;		/* vmalloc=, 0: the arch default */
	bool ram_anon;			/* ram=anon: the direct map is anonymous memory */
	unsigned int nr_memmap;
	struct { u64 start, size; bool reserved; } memmap[32];
};

extern struct kmm_config kmm_cfg;
extern bool kmm_machine_up;

int kmm_parse_cmdline(const char *cmdline, struct kmm_config *cfg);
int kmm_parse_size(const char *s, u64 *out);

/* --- the task: each host thread's kernel-side state (cpu.c) --- */
#define PF_MEMALLOC		0x00000800
#define PF_KSWAPD		0x00020000
#define PF_MEMALLOC_NOFS	0x00040000
#define PF_MEMALLOC_NOIO	0x00080000

struct task_struct {
	int preempt_count;
	/*
	 * The CPU run on while preempt_count > 0, and &kmm_cpus[cpu].  While
	 * the thread holds a CPU (its tag in owned->holder) they name that
	 * one, so entering a section on it need not write them.
	 */
	int cpu;
	struct kmm_cpu *kcpu;
	int bound_cpu;		/* kmm_bind_cpu(), or -1 */
	unsigned int flags;	/* PF_* */
	struct kmm_cpu *owned;	/* the CPU this thread holds, maybe idly; never NULL (cpu.c) */
	u64 tag;		/* this thread's holder tag (see cpu.c), 0 until set */
	unsigned int *active;	/* this thread's "inside a section" flag */
	/*
	 * What a restartable sequence (slab_rseq.h) compares owned->holder
	 * with: @tag while the thread may use them on that CPU, else
	 * RSEQ_NO_TAG, which is nobody's (cpu.c, task_own()).  @rseq_cs: the
	 * thread's rseq_cs word, where a sequence names itself; while it has
	 * none, a dummy (@rseq_cs_none once it has a slot) that no sequence
	 * gets past.
	 */
	u64 rseq_tag;
	u64 *rseq_cs;
	u64 rseq_cs_none;
	int pid;
	bool exited;		/* its exit handler has run (cpu.c) */
	char comm[16];
	struct kmm_thread_stack *stack;	/* a kernel thread's stack, else NULL */
	struct kthread *kthread;	/* a kernel thread's (kthread.c), else NULL */
};

extern __thread struct task_struct kmm_current_task
	__attribute__((tls_model("initial-exec")));
#define current (&kmm_current_task)

/*
 * A simulated CPU.  The thread whose tag is in @holder runs on it; @owner
 * is held for as long as anyone holds the CPU.  See cpu.c for why a holder
 * keeps its CPU between sections, and how another thread takes it over.
 */
struct kmm_cpu {
	spinlock_t owner;
	u64 holder;
	union {
		struct {
			unsigned int want;	/* threads waiting for this CPU */
			u16 contended;		/* hand the CPU back eagerly this many times */
			u16 release_always;	/* no membarrier(): hand it back after every section */
		};
		u64 handback;	/* any of the three: leaving a section goes the slow way */
	};
	int id;
	unsigned long pcpu_off;	/* __per_cpu_offset[id], in the line a section reads anyway */
	void *kmalloc_hint;	/* kfree()'s guess: a kmalloc cache's CPU part (slab_fast.h); never NULL */
	unsigned long slab_off;	/* of this CPU's part of a slab cache (slab.h's cpu_slab_of()) */
	unsigned long vm_events[NR_VM_EVENT_ITEMS];
} ____cacheline_pair_aligned;	/* kmm_cpus[]: see ____cacheline_pair_aligned */

extern struct kmm_cpu *kmm_cpus;
/*
 * Restartable sequences (cpu.c, slab_rseq.h): on x86-64, but not for
 * ThreadSanitizer, which cannot see what they guarantee.  RSEQ_NO_TAG is
 * never a holder: a tag's slot half is at most MAX_TASK_SLOTS.
 */
#if defined(__x86_64__) && !defined(KMM_TSAN)
#define KMM_RSEQ 1
#else
#define KMM_RSEQ 0
#endif
#define RSEQ_NO_TAG (~0ull)
/* kmalloc_hint of a CPU before its first kmalloc: the slab layer's "none" (slub.c). */
extern void *const kmm_cpu_hint_none;
extern bool kmm_sticky_cpus;

int kmm_cpus_init(unsigned int nr);
void kmm_cpus_exit(void);
void kmm_cpu_enter_slow(struct task_struct *t);
void kmm_cpu_leave_slow(struct task_struct *t);
void kmm_run_on_cpu(int cpu, void (*fn)(int cpu, void *arg), void *arg);
void kmm_stop_machine(void (*fn)(void *arg), void *arg);
void kmm_cpus_hold_all(void);
void kmm_cpus_release_all(void);
void kmm_cpus_fork_child(void);
void kmm_task_detach(void);
/* The stack of each thread using the machine, the caller's from its frame up (kmemleak). */
void kmm_for_each_task_stack(void (*fn)(unsigned long lo, unsigned long hi, void *arg),
			     void *arg);

/*
 * The fast path of entering a section: the thread still holds the CPU it
 * ran on last and nobody took it over, so raising our own "active" flag is
 * all it takes (no locked instruction).  Returns that CPU; t->cpu and
 * t->kcpu already name it (task_own() set them when the thread took it).
 * NULL, with the flag down again, when the thread must look for a CPU
 * (kmm_cpu_enter_slow).  A thread that wants this CPU meanwhile
 * (c->want) gets it when the section ends: leaving reads c->handback.
 */
static __always_inline struct kmm_cpu *cpu_enter_held(struct task_struct *t)
{
	/*
	 * t->owned is always readable: a CPU of this machine or an earlier
	 * one (their holders cleared), or a sentinel that no tag matches
	 * (cpu.c), so "holds none" costs no test of its own.
	 */
	struct kmm_cpu *c = t->owned;

	WRITE_ONCE(*t->active, 1);
	barrier();
	if (likely(READ_ONCE(c->holder) == t->tag))
		return c;
	smp_store_release(t->active, 0);	/* as cpu_leave_held() */
	return NULL;
}

/*
 * Lower the flag after the outermost section; true if the CPU must go back.
 * A release: a thread that takes the CPU over once it reads the flag down
 * (cpu_grab(), an acquire) sees all that the section did.
 */
static __always_inline bool cpu_leave_flag(unsigned int *active, struct kmm_cpu *c)
{
	smp_store_release(active, 0);
	barrier();
#ifdef KMM_TSAN
	return unlikely(READ_ONCE(c->handback));
#else
	/*
	 * One fresh load all the same (the barrier() before it), which the
	 * compiler may fold into a compare with memory, as it never does
	 * with a volatile one: an instruction off every section.
	 */
	return unlikely(c->handback != 0);
#endif
}

/*
 * As cpu_leave_flag(), @t's flag read again: a fast path that keeps
 * t->active in a register from before cpu_enter_held() (which reads it
 * too, and the compiler reads it once) saves that load, which the stores
 * of the section would otherwise force.
 */
static __always_inline bool cpu_leave_held(struct task_struct *t, struct kmm_cpu *c)
{
	return cpu_leave_flag(t->active, c);
}

static __always_inline void __preempt_disable(void)
{
	struct task_struct *t = current;

	if (t->preempt_count++ == 0 && !cpu_enter_held(t))
		kmm_cpu_enter_slow(t);
	barrier();
}

static __always_inline void __preempt_enable(void)
{
	struct task_struct *t = current;

	barrier();
	if (--t->preempt_count == 0 && cpu_leave_held(t, t->kcpu))
		kmm_cpu_leave_slow(t);
}

/*
 * The same two, split for fast paths that must not spill registers around
 * a call: each fails (NULL, false) where the plain one would call its slow
 * half, leaving the caller to tail-call its own slow path (which then uses
 * the plain __preempt_disable()/__preempt_enable()).  A failed try changes
 * nothing.  A failed release has already left the section: only the slow
 * half of leaving remains (kmm_cpu_leave_slow(current)).
 */
static __always_inline struct kmm_cpu *__preempt_try_disable(void)
{
	struct task_struct *t = current;

	if (t->preempt_count == 0) {
		struct kmm_cpu *c = cpu_enter_held(t);

		if (!c)
			return NULL;
		t->preempt_count = 1;
		barrier();
		return c;
	}
	t->preempt_count++;
	barrier();
	return t->kcpu;
}

/* @c: what __preempt_try_disable() returned. */
static __always_inline bool __preempt_try_enable(struct kmm_cpu *c)
{
	struct task_struct *t = current;

	barrier();
	return --t->preempt_count != 0 || !cpu_leave_held(t, c);
}

/*
 * The section of a fast path that calls nothing which reads or raises the
 * preempt count (the page allocator's order-0 paths): outermost, it holds
 * the CPU by the active flag alone and leaves preempt_count at 0, as the
 * slab fast paths do; nested (atomic context), it is part of the caller's.
 * A way out that calls the full path, which ends the section with
 * __preempt_enable(), counts it first (t->preempt_count++).  Returns the
 * CPU (t->cpu names it), or NULL with nothing changed.
 */
static __always_inline struct kmm_cpu *page_section_enter(struct task_struct *t)
{
	if (likely(!t->preempt_count))
		return cpu_enter_held(t);
	return t->kcpu;
}

/* Leave page_section_enter()'s section; true if the CPU must go back (kmm_cpu_leave_slow()). */
static __always_inline bool page_section_leave(struct task_struct *t, struct kmm_cpu *c)
{
	return !t->preempt_count && cpu_leave_held(t, c);
}

/* current_gfp_context() for the allocator's own fast path. */
static __always_inline gfp_t __current_gfp_context(gfp_t flags)
{
	unsigned int pf = current->flags;

	if (unlikely(pf & (PF_MEMALLOC_NOIO | PF_MEMALLOC_NOFS))) {
		if (pf & PF_MEMALLOC_NOIO)
			flags &= ~(__GFP_IO | __GFP_FS);
		else
			flags &= ~__GFP_FS;
	}
	return flags;
}

static __always_inline void __spin_lock(spinlock_t *lock)
{
	__preempt_disable();
	plat_lock(lock);
}

static __always_inline void __spin_unlock(spinlock_t *lock)
{
	plat_unlock(lock);
	__preempt_enable();
}

/* Events on the CPU the caller owns (preemption disabled). */
static __always_inline void __count_vm_events(enum vm_event_item item, long delta)
{
	current->kcpu->vm_events[item] += (unsigned long)delta;
}
#define __count_vm_event(item) __count_vm_events(item, 1)

/* --- reports: printk.c, report.c --- */
enum { TAINT_BAD_PAGE = 5, TAINT_DIE = 7, TAINT_WARN = 9, KMM_TAINT_COUNT = 20 };
void add_taint(unsigned int flag);
const char *print_tainted(void);
void kmm_taint_reset(void);
void kmm_report_count_inc(enum kmm_report_kind kind);
void kmm_log_init(int loglevel);
const char *kmm_comm(void);
void bad_page(struct page *page, const char *reason);
/* %pGp: "0x240(workingset|head|node=0|zone=1)" (debug.c) */
void kmm_format_page_flags(char *buf, size_t size, unsigned long flags);
/*
 * debug.c: Linux's print_hex_dump(KERN_ERR, @prefix, DUMP_PREFIX_ADDRESS,
 * 16, 1, @buf, @len, true), and lib/string.c's memchr_inv (the first byte
 * that is not @value, or NULL).  Neither is checked by ASan: they read
 * bytes debugging keeps inaccessible.
 */
void print_hex_dump(const char *prefix, const void *buf, size_t len);
const u8 *memchr_inv(const u8 *p, u8 value, size_t bytes);
extern int kmm_loglevel;

/*
 * At most @burst reports every @interval_ns, as Linux's ratelimit_state; a
 * report that races with another one being counted is dropped, as Linux's
 * ___ratelimit() does when it cannot take the lock.
 */
struct ratelimit_state {
	spinlock_t lock;
	u64 interval_ns;
	int burst;
	int printed;
	u64 begin;
};
#define DEFINE_RATELIMIT_STATE(name, interval, b) \
	struct ratelimit_state name = { .interval_ns = (interval), .burst = (b) }
#define DEFAULT_RATELIMIT_INTERVAL	5000000000ull	/* 5 * HZ */
#define DEFAULT_RATELIMIT_BURST		10
bool __ratelimit(struct ratelimit_state *rs);

/* Time in jiffies, for the ages reports print (Debian's CONFIG_HZ). */
#define HZ 250
static inline unsigned long kmm_jiffies(void)
{
	return (unsigned long)(plat_now_ns() / (1000000000ULL / HZ));
}

/* --- stackdepot.c: backtraces stored once, by handle --- */
typedef u32 depot_stack_handle_t;
depot_stack_handle_t stack_depot_save(const unsigned long *entries, unsigned int nr);
depot_stack_handle_t stack_depot_save_current(unsigned int skip);
unsigned int stack_depot_fetch(depot_stack_handle_t handle, const unsigned long **entries);
void stack_depot_print(depot_stack_handle_t handle);
/* The first frame of @entries past the allocator's entry points, found by name, from @from. */
unsigned int stack_skip_allocator(const unsigned long *entries, unsigned int nr,
				  unsigned int from);
void stack_depot_exit(void);
extern bool kmm_panic_on_warn;

/* --- memblock.c --- */
void memblock_reset(void);
/* Boot: RAM is new, so what memblock hands out needs no clearing (until a free). */
void memblock_set_ram_zeroed(void);
extern bool memblock_done;

/* --- e820.c: the firmware memory map --- */
#define E820_MAX_ENTRIES 128
enum e820_type { E820_TYPE_RAM = 1, E820_TYPE_RESERVED = 2 };
struct e820_entry { u64 addr, size; enum e820_type type; };
struct e820_table { unsigned int nr_entries; struct e820_entry entries[E820_MAX_ENTRIES]; };
extern struct e820_table e820_table;
int e820_setup(const struct kmm_config *cfg);
void e820_print_map(const char *who);
u64 e820_end_of_ram(void);

/* --- mm_init.c: mem_map, nodes, zones, deferred init --- */
extern u8 *pageblock_flags;
extern unsigned long arch_zone_lowest_possible_pfn[MAX_NR_ZONES];
extern unsigned long arch_zone_highest_possible_pfn[MAX_NR_ZONES];
extern unsigned long zone_boundary_pfn[MAX_NR_ZONES];
bool kmm_zone_configured(enum zone_type zt);
int mm_core_init(void);
void mm_core_exit(void);
void build_all_zonelists(void);
bool deferred_grow_zone(struct zone *zone, unsigned int order);
void set_pageblock_migratetype(struct page *page, int migratetype);
extern const char *const zone_names[MAX_NR_ZONES];
void init_reserved_page_range(unsigned long start, unsigned long end, int nid,
			      enum zone_type zt);

/* --- meminit.c: init_on_alloc= / init_on_free= --- */
extern bool init_on_alloc;
extern bool init_on_free;
static inline bool want_init_on_alloc(gfp_t flags)
{
	return unlikely(init_on_alloc) || (flags & __GFP_ZERO);
}
static inline bool want_init_on_free(void)
{
	return unlikely(init_on_free);
}
void report_meminit(void);
void kernel_init_pages(struct page *page, unsigned long nr);
int kstrtobool(const char *s, bool *res);

/* --- page_debug.c: page_poison=, debug_pagealloc= --- */
extern bool page_poisoning;
extern bool debug_pagealloc;
/*
 * init_on_alloc, init_on_free, page_poisoning or debug_pagealloc: the one
 * flag the page allocator's fast paths test before taking the slow way.
 */
extern bool kmm_page_hooks;
void mem_debugging_init(void);
void kmm_alloc_pages_hooks(struct page *page, unsigned long nr);
void kmm_free_pages_hooks(struct page *page, unsigned long nr);
void kmm_free_boot_pages_hooks(struct page *page, unsigned long nr);
/* True if @addr is in the direct map and its page is free and unmapped. */
bool kmm_page_in_direct_map_free(unsigned long addr);

/* --- fault_inject.c: failslab, fail_page_alloc, fail-nth --- */
/*
 * What sends the allocation fast paths to their full paths, in one word so
 * that the slab fast path tests all of it with one load (@any):
 * @fault_armed, non-zero while any fault is armed (fault_inject.c; the page
 * allocator's fast paths test only this), and @slab_hooks, the slab hooks
 * (init_on_alloc, init_on_free, the tools: slab.h).  Each is known by its
 * old name, as a variable of its own.
 */
union kmm_slow_paths {
	struct {
		int fault_armed;
		u8 slab_hooks;
	};
	u64 any;
};
extern union kmm_slow_paths kmm_slow_paths;
#define kmm_fault_armed (kmm_slow_paths.fault_armed)
#define kmm_slab_hooks (kmm_slow_paths.slab_hooks)
bool should_fail_alloc_page(gfp_t gfp, unsigned int order);
bool should_failslab(struct kmem_cache *s, gfp_t gfp);
void fault_inject_exit(void);

/* --- page_alloc.c --- */
void kmm_calculate_min_free_kbytes(void);
void gfp_zone_init(void);
void setup_per_zone_wmarks(void);
void setup_per_zone_lowmem_reserve(void);
void calculate_totalreserve_pages(void);
void setup_zone_pageset(struct zone *zone);
void __free_pages_core(struct page *page, unsigned int order);
unsigned long nr_free_pagecache_pages(void);
extern int watermark_scale_factor;
extern int min_free_kbytes;
extern int user_min_free_kbytes;
extern int sysctl_lowmem_reserve_ratio[MAX_NR_ZONES];
extern unsigned long totalreserve_pages;

/* Allocation flags, derived from gfp as Linux's gfp_to_alloc_flags. */
#define ALLOC_WMARK_MIN		WMARK_MIN
#define ALLOC_WMARK_LOW		WMARK_LOW
#define ALLOC_WMARK_HIGH	WMARK_HIGH
#define ALLOC_NO_WATERMARKS	0x04
#define ALLOC_WMARK_MASK	(ALLOC_NO_WATERMARKS - 1)
#define ALLOC_OOM		0x08
#define ALLOC_NON_BLOCK		0x10
#define ALLOC_MIN_RESERVE	0x20
#define ALLOC_CPUSET		0x40
#define ALLOC_CMA		0x80
#define ALLOC_NOFRAGMENT	0x100
#define ALLOC_HIGHATOMIC	0x200
#define ALLOC_KSWAPD		0x800
#define ALLOC_RESERVES (ALLOC_NON_BLOCK | ALLOC_MIN_RESERVE | ALLOC_HIGHATOMIC | ALLOC_OOM)

struct alloc_context {
	struct zonelist *zonelist;
	struct zoneref *preferred_zoneref;
	int migratetype;
	enum zone_type highest_zoneidx;
	bool spread_dirty_pages;
};

/* --- vmscan.c: kswapd, shrinkers, direct reclaim; oom_kill.c --- */
int kswapd_run(int nid);
void kswapd_stop(int nid);
void wakeup_kswapd(struct zone *zone, gfp_t gfp_flags, int order,
		   enum zone_type highest_zoneidx);
unsigned long try_to_free_pages(struct zonelist *zonelist, int order,
				gfp_t gfp_mask, int nid);
void shrinkers_exit(void);
/* Woken when pages return to a zone: allocators waiting for frees sleep here. */
void kmm_wait_for_free_pages(unsigned int timeout_us);
void kmm_pages_freed(void);
bool out_of_memory(gfp_t gfp_mask, int order);
void oom_exit(void);

/* --- rcu.c: grace periods and the rcu_sched thread --- */
int rcu_init(void);
void rcu_exit(void);

/* --- vmstat.c --- */
void vmstat_init(void);
/*
 * The free-page counters change on every free-list operation, always under
 * zone->lock: the lock holder is their only writer, so a plain store does
 * (readers see a whole value), and the machine-wide value is the sum over
 * the zones rather than a second, shared counter.
 */
static inline void zone_counter_add_locked(atomic_long_t *c, long delta)
{
	__atomic_store_n(&c->counter, __atomic_load_n(&c->counter, __ATOMIC_RELAXED) + delta,
			 __ATOMIC_RELAXED);
}

static inline void __mod_zone_freepage_state(struct zone *zone, long nr_pages, int migratetype)
{
	zone_counter_add_locked(&zone->vm_stat[NR_FREE_PAGES], nr_pages);
	if (migratetype == MIGRATE_HIGHATOMIC)
		zone_counter_add_locked(&zone->nr_free_highatomic, nr_pages);
}

static inline void __mod_zone_freepage_blocks(struct zone *zone, long nr_pages)
{
	zone_counter_add_locked(&zone->vm_stat[NR_FREE_PAGES_BLOCKS], nr_pages);
}

/*
 * mod_node_page_state() for a caller already in a section (Linux's
 * __mod_node_page_state(), preemption disabled): this CPU's difference,
 * folded into the node and global counts past the threshold.  Inline, for
 * the slab layer, which counts every slab it makes and gives back.
 */
static __always_inline void __mod_node_page_state(pg_data_t *pgdat, enum node_stat_item item,
						  long delta)
{
	struct per_cpu_nodestat *pcn = &pgdat->per_cpu_nodestats[current->cpu];
	long x = pcn->vm_node_stat_diff[item] + delta;
	long t = pcn->stat_threshold;

	if (unlikely(x > t || x < -t)) {
		atomic_long_add(x, &pgdat->vm_stat[item]);
		atomic_long_add(x, &vm_node_stat[item]);
		x = 0;
	}
	pcn->vm_node_stat_diff[item] = (s8)x;
}
void fill_contig_page_info(struct zone *zone, unsigned int suitable_order,
			   unsigned long *free_pages, unsigned long *free_blocks_total,
			   unsigned long *free_blocks_suitable);
int fragmentation_index(struct zone *zone, unsigned int order);
unsigned long kmm_zone_nr_free(struct zone *zone, unsigned int order);

/* --- show_mem.c: the memory dump after an allocation failure --- */
void __show_mem(int max_zone_idx);
void warn_alloc(gfp_t gfp_mask, const char *fmt, ...) __printf(2, 3);

/* --- check.c --- */
/* The validators' report: each failed condition is printed and counted. */
extern int kmm_check_problems;
#define KMM_CHECK(cond, fmt, ...) do {					\
	if (unlikely(!(cond))) {					\
		kmm_check_problems++;					\
		pr_err("kmm_check: " fmt "\n", ##__VA_ARGS__);		\
	}								\
} while (0)
int kmm_check_pages(void);

/* --- the slab layer (slub.c, slab_common.c, slab_check.c; see slab.h) --- */
int kmem_cache_init(void);
void kmem_cache_exit(void);
int kmm_check_slab(void);
void show_slabinfo(FILE *f);
void show_slab_cpu_partial(FILE *f);

/* --- pgtable.c: the kernel address space's layout, page table, host MMU --- */
#include <kmm/pgtable.h>
u64 kmm_window_size(u64 ram_end, u64 vmalloc_size);
pte_t *kmm_lookup_pte_table(unsigned long addr, unsigned long *next);
/* What x86_64 boots with when the host refuses the default's reservation. */
#define X86_64_FALLBACK_VMALLOC	(32ULL << 30)
u64 kmm_vmalloc_default_size(void);
int pgtable_init(unsigned long base, u64 size, u64 ram_end);
int pgtable_late_init(void);
void pgtable_exit(void);
int kmm_pgtable_populate(unsigned long start, unsigned long end);
/*
 * Write the entries for [addr, end) and map them in the host, one call per
 * run of contiguous pfns.  Return: the host mappings charged for it (see
 * plat_map_cost()), -ENOSPC if the host's mapping bound (vm.max_map_count)
 * is near, -ENOMEM; on failure nothing is left mapped.
 */
long vmap_pages_range(unsigned long addr, unsigned long end, pgprot_t prot,
		      struct page **pages);
long vmap_range_phys(unsigned long addr, unsigned long end, phys_addr_t phys, pgprot_t prot);
/*
 * The same for an area of VM_KMM_PRIVATE (vmalloc.h): entries marked
 * _PAGE_KMM_PRIVATE, one host mapping of private anonymous memory (of huge
 * pages where the host can, with @huge), and the
 * pages out of the direct map with their RAM given back, until
 * vmap_private_pages_release() (before the pages are freed), which may be
 * called again after a failure (the host's mapping bound: putting a run
 * back can split a mapping).  Return: 0, or -errno.
 */
long vmap_private_pages_range(unsigned long addr, unsigned long end, pgprot_t prot,
			      struct page **pages, bool huge);
int vmap_private_pages_release(struct page **pages, unsigned long nr);
/*
 * Call @fn for each run of contiguous pfns of @pages[0..nr), in either
 * order (a per-CPU list hands freed pages back last in, first out: the
 * pages of one block then come in descending order), high and low pages
 * apart; @first is the run's lowest.  Stop at @fn's first error.
 * Return: 0, or that error.
 */
int for_each_page_run(struct page **pages, unsigned long nr,
		      int (*fn)(struct page *first, unsigned long n, void *arg), void *arg);
/* Linux's (set_memory.h): @nr pages from @page into (@valid) or out of the direct map. */
int set_direct_map_valid_noflush(struct page *page, unsigned int nr, bool valid);
/* Clear the entries; the host keeps its (now stale) mappings until a flush. */
void vunmap_range_noflush(unsigned long start, unsigned long end);
/* Remove the host mappings of [start, end), which were charged @nr_maps. */
void kmm_flush_kernel_range(unsigned long start, unsigned long end, long nr_maps);
int kmm_map_one(unsigned long addr, unsigned long pfn, pgprot_t prot, unsigned long host_pfn);
/* Whether @nr_maps more host mappings (a charge) fit below vm.max_map_count. */
bool kmm_host_maps_available(long nr_maps);
/*
 * Owners of stale host mappings say which they are, for kmm_check: @pfn is
 * the RAM the host maps at @addr, ~0UL for private anonymous memory.
 */
void kmm_pgtable_register_stale(bool (*fn)(unsigned long addr, unsigned long pfn));
void kmm_check_pgtable(void);

/* --- vmalloc.c, vmalloc_info.c, vmap_area.c (see vmalloc.h) --- */
int vmalloc_init(void);
void vmalloc_exit(void);
int vmap_pages_in_area(unsigned long addr, struct page **pages, unsigned long nr, pgprot_t prot);
void vunmap_pages_in_area(unsigned long addr, struct page **pages, unsigned long nr);
int kmm_check_vmalloc(void);
void show_vmallocinfo(FILE *f);
/* --- per-CPU data (percpu*.c; see percpu_internal.h) --- */
int setup_per_cpu_areas(void);
void percpu_exit(void);
int kmm_check_percpu(void);
void show_percpu_stats(FILE *f);

/* --- highmem.c --- */
int highmem_init(void);
void highmem_exit(void);
void kmm_check_highmem(void);
/* kmap_local_page() works (false during boot, before highmem_init()). */
bool kmap_local_ready(void);

/* --- fork.c: a machine across fork() (the preload library's handlers) --- */
void kmm_fork_prepare(void);
void kmm_fork_parent(void);
bool kmm_fork_child(void);
void kmm_fork_child_settle(void);

/* --- task_stack.c: kernel stacks; kthread.c: kernel threads --- */
int kstack_init(void);
void kstack_exit(void);
void kstack_drain_caches(void);
/* @caller: for vmallocinfo; NULL: the function that called this one. */
int __alloc_thread_stack_node(struct kmm_thread_stack *ts, int node, const void *caller);
/* Free a live @ts; a corrupted end is reported as the calling thread's. */
void __free_thread_stack(struct kmm_thread_stack *ts);
/* Call @fn for each run of page frames a live kernel stack holds. */
void kstack_for_each_range(void (*fn)(unsigned long pfn, unsigned long nr, void *arg), void *arg);
/* The oops for a fault at @addr in the calling thread's guard page; false if not one. */
bool handle_stack_overflow(unsigned long addr);
void kmm_check_kstacks(void);
void kthreads_exit(void);
/*
 * Start one of the machine's own host threads on first need (rcu_sched,
 * kswapd, the vfree worker: plat_lazy_start()).  Return: 0 if it runs, is
 * starting, or is not to run here (a forked child's, or after shutdown);
 * else -errno, reported the first time (*@reported) with @fmt.
 */
int kmm_lazy_thread_start(struct plat_lazy_thread *t, bool *reported, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* --- fault.c: kernel page faults in the window --- */
void kmm_fault_init(void);
void kmm_fault_exit(void);

/* --- views: proc.c (buddyinfo ...), meminfo.c --- */
/* Figures the layers above the page allocator report into /proc/meminfo. */
struct kmm_meminfo {
	u64 vmalloc_total;		/* bytes of vmalloc address space */
	atomic_long_t vmalloc_pages;	/* pages vmalloc holds */
	atomic_long_t percpu_pages;	/* pages the per-CPU allocator holds */
};
extern struct kmm_meminfo kmm_meminfo;
void show_buddyinfo(FILE *f);
void show_pagetypeinfo(FILE *f);
void show_zoneinfo(FILE *f);
void show_vmstat(FILE *f);
void show_meminfo(FILE *f);
void show_extfrag_index(FILE *f);
void show_unusable_index(FILE *f);

static inline int get_pfnblock_migratetype(const struct page *page, unsigned long pfn)
{
	(void)page;
	return READ_ONCE(pageblock_flags[pfn >> pageblock_order]);
}

static inline int get_pageblock_migratetype(const struct page *page)
{
	return get_pfnblock_migratetype(page, page_to_pfn(page));
}

/*
 * Sections whose struct pages are all initialised (mm_init.c).  A section
 * is the unit of deferred struct page init: one largest buddy block (4 MiB,
 * 64 KiB of mem_map).  Every process that loads libkmm-malloc.so boots a
 * machine, and each zone's first section is initialised at boot and each
 * later one as the zone runs short: with 32 MiB sections that was 1.5 MiB
 * of mem_map faulted in (and ~400 page faults) before a small program's
 * first malloc returned.
 */
#define SECTION_PAGES (1UL << MAX_PAGE_ORDER)
extern unsigned long *section_ready;
bool pfn_is_deferred_slow(unsigned long pfn);

/*
 * True if every struct page of @pfn's section is initialised.  Without
 * zone->lock: deferred init may set another section's bit in the same word
 * meanwhile, and a bit, once set, stays set.
 */
static __always_inline bool pfn_section_ready(unsigned long pfn)
{
	unsigned long sec = pfn / SECTION_PAGES;

	return data_race(section_ready[sec / BITS_PER_LONG]) & (1UL << (sec % BITS_PER_LONG));
}

/* True if @pfn has no initialised struct page yet (deferred init). */
static inline bool pfn_is_deferred(unsigned long pfn)
{
	if (likely(pfn_section_ready(pfn)))
		return false;
	return pfn_is_deferred_slow(pfn);
}

#pragma GCC visibility pop

#endif /* KMM_INTERNAL_H */
