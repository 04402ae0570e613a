/* SPDX-License-Identifier: MIT */
/*
 * Read-copy update for the simulated machine, with Linux's names
 * (include/linux/rcupdate.h) and the semantics of a kernel without
 * PREEMPT_RCU: a reader section is a stretch with preemption disabled, so
 * a reader owns its simulated CPU until rcu_read_unlock(), and a grace
 * period has passed once every CPU has been seen outside a section.
 *
 *   reader                              updater
 *   rcu_read_lock();                    old = p; rcu_assign_pointer(p, new);
 *   q = rcu_dereference(p);             synchronize_rcu();  (or call_rcu,
 *   ... use *q ...                      kfree(old);          kfree_rcu)
 *   rcu_read_unlock();
 *
 * Deviations from Linux, on purpose:
 *  - rcu_read_lock_bh()/_sched() are rcu_read_lock(): the machine has no
 *    softirqs, and non-preemptible RCU has one flavour since Linux 4.20.
 *  - synchronize_rcu() called inside a reader section (or with preemption
 *    off) reports as might_sleep() does and returns without waiting:
 *    waiting would deadlock on the caller's own CPU.
 *  - kvfree_rcu_barrier() waits for every callback queued before it, not
 *    only for kfree_rcu()'s (a superset: one queue serves both).
 */
#ifndef KMM_RCUPDATE_H
#define KMM_RCUPDATE_H

#pragma GCC visibility push(default)

#include <kmm/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * rcu_read_lock - enter an RCU read-side critical section
 *
 * Sections nest.  Inside one, nothing may sleep (might_sleep() reports), and
 * an object reached through rcu_dereference() stays allocated (or, in a
 * SLAB_TYPESAFE_BY_RCU cache, an object of that type) until the outermost
 * rcu_read_unlock().
 */
void rcu_read_lock(void);
void rcu_read_unlock(void);
/* True inside a reader section of the calling thread. */
bool rcu_read_lock_held(void);

#define rcu_read_lock_bh()	rcu_read_lock()
#define rcu_read_unlock_bh()	rcu_read_unlock()
#define rcu_read_lock_sched()	rcu_read_lock()
#define rcu_read_unlock_sched()	rcu_read_unlock()

/**
 * synchronize_rcu - wait for a grace period
 *
 * Returns after every reader section that had begun when it was called has
 * ended: each simulated CPU has been run on once, and a CPU is only to be
 * had between its holder's sections.
 * Context: sleepable, outside any reader section.
 */
void synchronize_rcu(void);
#define synchronize_rcu_expedited() synchronize_rcu()
#define synchronize_rcu_mult(...) synchronize_rcu()

/**
 * call_rcu - run @func(@head) after a grace period
 * @head: embedded in the object @func is for; untouched by the caller until then
 * @func: called by the machine's RCU thread with preemption disabled, so it
 *        must not sleep (as Linux's callbacks, which run in softirq context)
 *
 * Context: any, including inside a reader section.
 */
void call_rcu(struct rcu_head *head, rcu_callback_t func);
#define call_rcu_hurry(head, func) call_rcu(head, func)

/* Grace periods completed since the process started (kmm's own). */
unsigned long kmm_rcu_gp_count(void);

/**
 * rcu_barrier - wait until every callback queued by call_rcu() so far has run
 * Context: sleepable.
 */
void rcu_barrier(void);

/* Free @ptr (kfree_rcu: @head is its rcu_head; NULL: wait here) after a grace period. */
void kvfree_call_rcu(struct rcu_head *head, void *ptr);

/**
 * kvfree_rcu_barrier - wait until every kfree_rcu() queued so far has freed
 * Context: sleepable.
 */
void kvfree_rcu_barrier(void);

/*
 * kfree_rcu(ptr, rhf) - kfree @ptr after a grace period; @rhf names the
 * struct rcu_head inside *@ptr, at most 4095 bytes in, as Linux requires.
 */
#define kvfree_rcu_arg_2(ptr, rhf)					\
do {									\
	__typeof__(ptr) ___p = (ptr);					\
									\
	_Static_assert(offsetof(__typeof__(*(ptr)), rhf) < 4096,	\
		       "kfree_rcu: rcu_head more than 4095 bytes in");	\
	if (___p)							\
		kvfree_call_rcu(&___p->rhf, (void *)___p);		\
} while (0)

/* The head-less form: may wait for a grace period right here, so might_sleep. */
#define kvfree_rcu_arg_1(ptr)						\
do {									\
	__typeof__(ptr) ___p = (ptr);					\
									\
	if (___p)							\
		kvfree_call_rcu(NULL, (void *)___p);			\
} while (0)

#define kfree_rcu(ptr, rhf)		kvfree_rcu_arg_2(ptr, rhf)
#define kvfree_rcu(ptr, rhf)		kvfree_rcu_arg_2(ptr, rhf)
#define kfree_rcu_mightsleep(ptr)	kvfree_rcu_arg_1(ptr)
#define kvfree_rcu_mightsleep(ptr)	kvfree_rcu_arg_1(ptr)

/*
 * Publishing and reading RCU-protected pointers.  The release store of
 * rcu_assign_pointer() pairs with the dependent (consume, i.e. acquire)
 * load of rcu_dereference(): a reader that sees the new pointer sees the
 * object initialised.  RCU_INIT_POINTER() is a plain store, for NULL or for
 * a pointer no reader can reach yet.
 */
#define rcu_dereference_raw(p)		__atomic_load_n(&(p), __ATOMIC_CONSUME)
#define rcu_dereference(p)		rcu_dereference_raw(p)
#define rcu_dereference_check(p, c)	rcu_dereference_raw(p)
#define rcu_dereference_protected(p, c)	READ_ONCE(p)
#define rcu_dereference_bh(p)		rcu_dereference_raw(p)
#define rcu_dereference_sched(p)	rcu_dereference_raw(p)
#define rcu_access_pointer(p)		READ_ONCE(p)
#define rcu_assign_pointer(p, v)	__atomic_store_n(&(p), (v), __ATOMIC_RELEASE)
#define RCU_INIT_POINTER(p, v)		WRITE_ONCE(p, v)
#define RCU_INITIALIZER(v)		(v)
#define rcu_replace_pointer(p, v, c)	__atomic_exchange_n(&(p), (v), __ATOMIC_ACQ_REL)

#ifdef __cplusplus
}
#endif

#pragma GCC visibility pop

#endif /* KMM_RCUPDATE_H */
