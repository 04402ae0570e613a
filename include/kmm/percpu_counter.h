/* SPDX-License-Identifier: MIT */
/*
 * percpu_counter: a 64-bit count kept as a shared total plus a small s32
 * delta per CPU, as Linux's <linux/percpu_counter.h>.  An update touches
 * only its CPU's delta until that reaches the batch, then folds it into the
 * total under the counter's lock; percpu_counter_read() is the total alone
 * (off by at most batch * CPUs), percpu_counter_sum() adds every delta.
 */
#ifndef KMM_PERCPU_COUNTER_H
#define KMM_PERCPU_COUNTER_H

#pragma GCC visibility push(default)

#include <kmm/types.h>
#include <kmm/spinlock_types.h>
#include <kmm/percpu.h>

#ifdef __cplusplus
extern "C" {
#endif

struct percpu_counter {
	spinlock_t lock;
	s64 count;
	s32 __percpu *counters;
};

/* max(32, 2 * CPUs), computed at boot as Linux's compute_batch_value(). */
extern int percpu_counter_batch;

int __percpu_counter_init_many(struct percpu_counter *fbc, s64 amount, gfp_t gfp,
			       u32 nr_counters);
#define percpu_counter_init_many(fbc, value, gfp, nr)	__percpu_counter_init_many(fbc, value, gfp, nr)
#define percpu_counter_init(fbc, value, gfp)		__percpu_counter_init_many(fbc, value, gfp, 1)
void percpu_counter_destroy_many(struct percpu_counter *fbc, u32 nr_counters);
static inline void percpu_counter_destroy(struct percpu_counter *fbc)
{
	percpu_counter_destroy_many(fbc, 1);
}
void percpu_counter_set(struct percpu_counter *fbc, s64 amount);
void percpu_counter_add_batch(struct percpu_counter *fbc, s64 amount, s32 batch);
s64 __percpu_counter_sum(struct percpu_counter *fbc);
int __percpu_counter_compare(struct percpu_counter *fbc, s64 rhs, s32 batch);
void percpu_counter_sync(struct percpu_counter *fbc);

static inline int percpu_counter_compare(struct percpu_counter *fbc, s64 rhs)
{
	return __percpu_counter_compare(fbc, rhs, percpu_counter_batch);
}
static inline void percpu_counter_add(struct percpu_counter *fbc, s64 amount)
{
	percpu_counter_add_batch(fbc, amount, percpu_counter_batch);
}
/* Never folds: for counters read only with percpu_counter_sum(). */
static inline void percpu_counter_add_local(struct percpu_counter *fbc, s64 amount)
{
	percpu_counter_add_batch(fbc, amount, 0x7fffffff);
}
static inline s64 percpu_counter_sum(struct percpu_counter *fbc)
{
	return __percpu_counter_sum(fbc);
}
static inline s64 percpu_counter_sum_positive(struct percpu_counter *fbc)
{
	s64 ret = __percpu_counter_sum(fbc);
	return ret < 0 ? 0 : ret;
}
static inline s64 percpu_counter_read(struct percpu_counter *fbc)
{
	return __atomic_load_n(&fbc->count, __ATOMIC_RELAXED);
}
/* The total can go negative for a while; a count that cannot reads as 0. */
static inline s64 percpu_counter_read_positive(struct percpu_counter *fbc)
{
	s64 ret = percpu_counter_read(fbc);
	return ret >= 0 ? ret : 0;
}
static inline bool percpu_counter_initialized(struct percpu_counter *fbc)
{
	return fbc->counters != NULL;
}
static inline void percpu_counter_inc(struct percpu_counter *fbc) { percpu_counter_add(fbc, 1); }
static inline void percpu_counter_dec(struct percpu_counter *fbc) { percpu_counter_add(fbc, -1); }
static inline void percpu_counter_sub(struct percpu_counter *fbc, s64 amount)
{
	percpu_counter_add(fbc, -amount);
}

#ifdef __cplusplus
}
#endif

#pragma GCC visibility pop

#endif /* KMM_PERCPU_COUNTER_H */
