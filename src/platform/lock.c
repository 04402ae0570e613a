/* SPDX-License-Identifier: MIT */
/*
 * Locks.  The kernel's spinlocks become a spin-then-sleep lock: a waiter
 * spins briefly (the holder is usually running on the other core), then
 * sleeps on a futex, because the holder's host thread may be descheduled
 * and spinning would only keep it from running.  Sleepers use a short
 * timeout, which covers the one wake-up the cheap unlock can miss (see
 * plat_unlock()).
 */

#include "platform.h"

#define SPIN_TRIES 128
#define SLEEP_TIMEOUT_US 1000

void plat_lock_slow(spinlock_t *lock)
{
	for (int i = 0; i < SPIN_TRIES; i++) {
		if (__atomic_load_n(&lock->locked, __ATOMIC_RELAXED) == 0 &&
		    plat_trylock(lock))
			return;
		plat_cpu_relax();
	}
	__atomic_add_fetch(&lock->sleepers, 1, __ATOMIC_SEQ_CST);
	while (!plat_trylock(lock))
		plat_futex_wait(&lock->locked, 1, SLEEP_TIMEOUT_US);
	__atomic_sub_fetch(&lock->sleepers, 1, __ATOMIC_RELAXED);
}

/* A sleeping mutex: 0 free, 1 locked, 2 locked with waiters. */
void plat_mutex_lock(struct plat_mutex *m)
{
	unsigned int c = 0;

	if (__atomic_compare_exchange_n(&m->state, &c, 1, false,
					__ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return;
	if (c != 2)
		c = __atomic_exchange_n(&m->state, 2, __ATOMIC_ACQUIRE);
	while (c != 0) {
		plat_futex_wait(&m->state, 2, 0);
		c = __atomic_exchange_n(&m->state, 2, __ATOMIC_ACQUIRE);
	}
}

bool plat_mutex_trylock(struct plat_mutex *m)
{
	unsigned int c = 0;

	return __atomic_compare_exchange_n(&m->state, &c, 1, false,
					   __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

void plat_mutex_unlock(struct plat_mutex *m)
{
	if (__atomic_exchange_n(&m->state, 0, __ATOMIC_RELEASE) == 2)
		plat_futex_wake(&m->state, 1);
}

void plat_event_wait(unsigned int *seq, unsigned int seen, unsigned int timeout_us)
{
	plat_futex_wait(seq, seen, timeout_us);
}

void plat_event_signal(unsigned int *seq)
{
	__atomic_add_fetch(seq, 1, __ATOMIC_SEQ_CST);
	plat_futex_wake(seq, 1 << 30);
}
