/* SPDX-License-Identifier: MIT */
/*
 * Basic kernel types: the integer widths, atomics and list heads that every
 * other kmm header builds on.  Named as in Linux's <linux/types.h>.
 */
#ifndef KMM_TYPES_H
#define KMM_TYPES_H

#pragma GCC visibility push(default)

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int8_t s8;
typedef int16_t s16;
typedef int32_t s32;
typedef int64_t s64;

typedef u64 phys_addr_t;
typedef unsigned long pgoff_t;
typedef unsigned int gfp_t;

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif
#define __kmm_export __attribute__((visibility("default")))
#define __printf(a, b) __attribute__((format(printf, a, b)))
#define __cacheline_aligned __attribute__((aligned(64)))
#define ____cacheline_aligned __attribute__((aligned(64)))
/*
 * A large static array of which a process touches little or nothing, as
 * Linux's __page_aligned_bss.  libkmm-malloc.so lays out its data by
 * alignment (src/preload/meson.build): these go first, and the small
 * variables boot writes pack together after them instead of sitting one
 * between each two such arrays, a page fault each.
 */
#define __page_aligned_bss __attribute__((aligned(4096)))
/*
 * Two cache lines.  Intel's L2 fetches lines in aligned 128-byte pairs
 * (the adjacent-line prefetcher), so two CPUs writing the two halves of a
 * pair trade it back and forth as if they shared one line.  Arrays with
 * one element per CPU or per thread that their owner writes on a fast path
 * are aligned to this, as Linux keeps per-CPU areas far apart.
 */
#define ____cacheline_pair_aligned __attribute__((aligned(128)))
#define KMM_CACHELINE_PAIR_BYTES 128
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define __must_check __attribute__((warn_unused_result))
#ifndef __percpu
#define __percpu
#endif
#ifndef __iomem
#define __iomem
#endif

/*
 * A load or store done in one access, of a word that another thread may
 * read or write at the same time.  As in Linux, a volatile access: the
 * compiler may still fold it into the instruction that uses it (a relaxed
 * atomic load costs the fast paths an instruction each time with gcc).
 * Under ThreadSanitizer, which takes a volatile access for a plain one and
 * reports it, the relaxed atomic that it stands for.
 */
#if defined(__SANITIZE_THREAD__)
#define KMM_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define KMM_TSAN 1
#endif
#endif
#ifdef KMM_TSAN
#define READ_ONCE(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define WRITE_ONCE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELAXED)
#else
#define READ_ONCE(x) (*(const volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, v) (*(volatile __typeof__(x) *)&(x) = (v))
#endif
/* Publishing and reading what was published, as Linux's <asm/barrier.h>. */
#define smp_store_release(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define smp_load_acquire(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)

#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define BIT(n) (1UL << (n))
#define BITS_PER_LONG 64

/*
 * What call_rcu() and kfree_rcu() queue: embedded in the object whose
 * freeing waits for a grace period (Linux's <linux/types.h>).
 */
struct callback_head {
	struct callback_head *next;
	void (*func)(struct callback_head *head);
} __attribute__((aligned(sizeof(void *))));
#define rcu_head callback_head
typedef void (*rcu_callback_t)(struct rcu_head *head);

/* Atomics: Linux's types, sequentially consistent unless named _relaxed. */
typedef struct { int counter; } atomic_t;
typedef struct { long counter; } atomic_long_t;

#define ATOMIC_INIT(i) { (i) }

static inline int atomic_read(const atomic_t *v)
{
	return __atomic_load_n(&v->counter, __ATOMIC_RELAXED);
}
static inline void atomic_set(atomic_t *v, int i)
{
	__atomic_store_n(&v->counter, i, __ATOMIC_RELAXED);
}
static inline int atomic_add_return(int i, atomic_t *v)
{
	return __atomic_add_fetch(&v->counter, i, __ATOMIC_SEQ_CST);
}
static inline int atomic_sub_return(int i, atomic_t *v)
{
	return __atomic_sub_fetch(&v->counter, i, __ATOMIC_SEQ_CST);
}
static inline void atomic_add(int i, atomic_t *v) { atomic_add_return(i, v); }
static inline void atomic_sub(int i, atomic_t *v) { atomic_sub_return(i, v); }
static inline void atomic_inc(atomic_t *v) { atomic_add_return(1, v); }
static inline void atomic_dec(atomic_t *v) { atomic_sub_return(1, v); }
static inline bool atomic_dec_and_test(atomic_t *v)
{
	return atomic_sub_return(1, v) == 0;
}
static inline int atomic_cmpxchg(atomic_t *v, int old, int new_)
{
	__atomic_compare_exchange_n(&v->counter, &old, new_, false,
				    __ATOMIC_SEQ_CST, __ATOMIC_RELAXED);
	return old;
}

static inline long atomic_long_read(const atomic_long_t *v)
{
	return __atomic_load_n(&v->counter, __ATOMIC_RELAXED);
}
static inline void atomic_long_set(atomic_long_t *v, long i)
{
	__atomic_store_n(&v->counter, i, __ATOMIC_RELAXED);
}
static inline long atomic_long_add_return(long i, atomic_long_t *v)
{
	return __atomic_add_fetch(&v->counter, i, __ATOMIC_SEQ_CST);
}
static inline void atomic_long_add(long i, atomic_long_t *v)
{
	atomic_long_add_return(i, v);
}
static inline void atomic_long_sub(long i, atomic_long_t *v)
{
	atomic_long_add_return(-i, v);
}
static inline void atomic_long_inc(atomic_long_t *v) { atomic_long_add(1, v); }
static inline void atomic_long_dec(atomic_long_t *v) { atomic_long_add(-1, v); }

#pragma GCC visibility pop

#endif /* KMM_TYPES_H */
