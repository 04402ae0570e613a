/* SPDX-License-Identifier: MIT */
#ifndef KMM_SPINLOCK_H
#define KMM_SPINLOCK_H

#pragma GCC visibility push(default)

#include <kmm/spinlock_types.h>

static inline void spin_lock_init(spinlock_t *lock)
{
	lock->locked = 0;
	lock->sleepers = 0;
}
void spin_lock(spinlock_t *lock);
void spin_unlock(spinlock_t *lock);
bool spin_trylock(spinlock_t *lock);
#define spin_lock_irqsave(lock, flags) do { (flags) = 0; spin_lock(lock); } while (0)
#define spin_unlock_irqrestore(lock, flags) do { (void)(flags); spin_unlock(lock); } while (0)
#define spin_lock_irq(lock) spin_lock(lock)
#define spin_unlock_irq(lock) spin_unlock(lock)
bool spin_is_locked(spinlock_t *lock);

#pragma GCC visibility pop

#endif /* KMM_SPINLOCK_H */
