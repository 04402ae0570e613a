/* SPDX-License-Identifier: MIT */
#ifndef KMM_SPINLOCK_TYPES_H
#define KMM_SPINLOCK_TYPES_H

#pragma GCC visibility push(default)

#include <kmm/types.h>

/*
 * A spinlock as Linux has it: taking it disables preemption, so the holder
 * owns its CPU; a waiter spins, then sleeps on a futex (the holder's host
 * thread may have been preempted by the host).  See src/platform/lock.c.
 */
typedef struct {
	unsigned int locked;
	unsigned int sleepers;
} spinlock_t;

#define __SPIN_LOCK_UNLOCKED(name) { 0, 0 }
#define DEFINE_SPINLOCK(name) spinlock_t name = __SPIN_LOCK_UNLOCKED(name)

#pragma GCC visibility pop

#endif /* KMM_SPINLOCK_TYPES_H */
