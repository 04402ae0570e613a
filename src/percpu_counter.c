/* SPDX-License-Identifier: MIT */
/*
 * percpu_counter, as Linux's lib/percpu_counter.c: a total under a lock and
 * an s32 delta per CPU, folded into the total when it reaches the batch.
 * A CPU's delta is written only by the thread that holds that CPU; sums and
 * sets read or clear the others' with relaxed atomics, as Linux reads them
 * racily, under the counter's lock so that no fold is missed or counted
 * twice.
 */
#include "percpu_internal.h"
#include <kmm/percpu_counter.h>

int percpu_counter_batch = 32;

static s32 delta_read(s32 *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static void delta_write(s32 *p, s32 v)
{
	__atomic_store_n(p, v, __ATOMIC_RELAXED);
}

int __percpu_counter_init_many(struct percpu_counter *fbc, s64 amount, gfp_t gfp,
			       u32 nr_counters)
{
	s32 __percpu *counters = __alloc_percpu_gfp(nr_counters * sizeof(s32),
						    __alignof__(s32), gfp);

	if (!counters) {
		for (u32 i = 0; i < nr_counters; i++)
			fbc[i].counters = NULL;
		return -ENOMEM;
	}
	for (u32 i = 0; i < nr_counters; i++) {
		spin_lock_init(&fbc[i].lock);
		fbc[i].count = amount;
		fbc[i].counters = counters + i;
	}
	return 0;
}

void percpu_counter_destroy_many(struct percpu_counter *fbc, u32 nr_counters)
{
	if (!fbc[0].counters)
		return;
	free_percpu(fbc[0].counters);
	for (u32 i = 0; i < nr_counters; i++)
		fbc[i].counters = NULL;
}

void percpu_counter_set(struct percpu_counter *fbc, s64 amount)
{
	spin_lock(&fbc->lock);
	for (int cpu = 0; cpu < (int)nr_cpu_ids; cpu++)
		delta_write(per_cpu_ptr(fbc->counters, cpu), 0);
	__atomic_store_n(&fbc->count, amount, __ATOMIC_RELAXED);
	spin_unlock(&fbc->lock);
}

void percpu_counter_add_batch(struct percpu_counter *fbc, s64 amount, s32 batch)
{
	s32 *delta = per_cpu_ptr(fbc->counters, 0);
	unsigned long off = __kmm_get_cpu_off();

	delta = (s32 *)((char *)delta + off);
	s64 count = delta_read(delta) + amount;
	if (count >= batch || count <= -batch) {
		plat_lock(&fbc->lock);
		__atomic_store_n(&fbc->count, fbc->count + count, __ATOMIC_RELAXED);
		delta_write(delta, 0);
		plat_unlock(&fbc->lock);
	} else {
		delta_write(delta, (s32)count);
	}
	__kmm_put_cpu();
}

void percpu_counter_sync(struct percpu_counter *fbc)
{
	spin_lock(&fbc->lock);
	s32 *delta = (s32 *)((char *)fbc->counters + __per_cpu_offset[current->cpu]);
	__atomic_store_n(&fbc->count, fbc->count + delta_read(delta), __ATOMIC_RELAXED);
	delta_write(delta, 0);
	spin_unlock(&fbc->lock);
}

s64 __percpu_counter_sum(struct percpu_counter *fbc)
{
	spin_lock(&fbc->lock);
	s64 ret = fbc->count;
	for (int cpu = 0; cpu < (int)nr_cpu_ids; cpu++)
		ret += delta_read(per_cpu_ptr(fbc->counters, cpu));
	spin_unlock(&fbc->lock);
	return ret;
}

/* -1, 0 or 1 as the count is below, at or above @rhs; exact when it must be. */
int __percpu_counter_compare(struct percpu_counter *fbc, s64 rhs, s32 batch)
{
	s64 count = percpu_counter_read(fbc);
	s64 slack = (s64)batch * nr_cpu_ids;

	if (count - rhs > slack)
		return 1;
	if (rhs - count > slack)
		return -1;
	count = __percpu_counter_sum(fbc);
	return count > rhs ? 1 : count < rhs ? -1 : 0;
}

void percpu_counter_boot(void)
{
	percpu_counter_batch = max(32, (int)nr_cpu_ids * 2);
}
