/* SPDX-License-Identifier: MIT */
/*
 * RCU: read-copy update for the simulated machine (see <kmm/rcupdate.h>).
 *
 * What it mirrors.  Linux without PREEMPT_RCU: rcu_read_lock() disables
 * preemption, and a CPU that is seen outside a preemption-disabled stretch
 * has passed a quiescent state.  kmm's CPUs give that for free: a thread
 * inside a section owns its simulated CPU (cpu.c), no other thread can run
 * on it until the section ends, and a section never moves to another CPU.
 * So a grace period is simply "run on every CPU once": kmm_run_on_cpu()
 * returns only after it owned the CPU, which it can do only between its
 * holder's sections, so every reader that was inside a section when the
 * grace period began has left it.  A reader that takes a CPU after the
 * visit to it follows that visit (the CPU handover is a lock release and
 * acquire, or for an idle holder a membarrier() and a compare-and-swap,
 * see cpu.c), and the visit follows the updater's unpublishing store and
 * a full fence: such a reader finds the new pointer.  Likewise a reader's
 * loads inside its section happen before the visit, hence before the free.
 *
 * Callbacks.  call_rcu() and kfree_rcu() append to one of two queues under
 * rcu.lock (a leaf lock: callers may be inside sections, slab list locks or
 * reader sections).  One host thread per machine, "rcu_sched", started by
 * the first enqueue, takes everything queued so far as a batch, waits one
 * grace period and runs the batch in order, each callback with preemption
 * disabled as Linux runs them in softirq context (so a callback that
 * sleeps is reported, and kmm_check(), which owns every CPU, never sees a
 * callback half done).  Callbacks queued meanwhile form the next batch, so
 * under load one grace period serves many callbacks.
 *
 *   queued --(the thread takes the batch)--> waiting --(grace period)--> run
 *
 * kfree_rcu(ptr, field) stores @ptr in the rcu_head's func word (as Linux's
 * batched kvfree_call_rcu does) on the second queue; the thread kvfree()s it.
 * The head-less kfree_rcu_mightsleep(ptr) waits for a grace period in the
 * caller and frees there (Linux's fallback when it cannot queue).
 *
 * Barriers.  rcu.queued counts every enqueue, rcu.done the enqueues whose
 * callbacks have run (a futex word).  rcu_barrier() waits until done
 * reaches what queued was when it was called.
 *
 * Shutdown.  rcu_exit() asks the thread to stop; it drains the queues
 * (callbacks may queue more) and exits when they are empty, before any of
 * the machine goes away.
 *
 * Lock order: CPU (section) -> slab list_lock -> rcu.lock.  The thread
 * holds no lock while it waits for CPUs or runs callbacks.
 */
#include "internal.h"
#include <kmm/rcupdate.h>

static struct {
	spinlock_t lock;
	struct rcu_head *cbs, **cbs_tail;	/* call_rcu(), in order */
	struct rcu_head *frees, **frees_tail;	/* kfree_rcu(): func holds the pointer */
	unsigned int queued;			/* enqueues so far */
	unsigned int done;			/* of those, run: a futex word */
	unsigned int wake_seq;			/* the thread sleeps on it */
	bool sleeping;				/* under lock: the thread wants waking */
	bool stop;
	bool start_failed;			/* reported once */
	struct plat_lazy_thread thread;		/* rcu_sched, started by the first enqueue */
	unsigned long gp_count;			/* grace periods completed */
} rcu = { .cbs_tail = &rcu.cbs, .frees_tail = &rcu.frees };

/* The calling thread's reader-section depth. */
static __thread int rcu_nesting;

void rcu_read_lock(void)
{
	__preempt_disable();
	rcu_nesting++;
}

void rcu_read_unlock(void)
{
	if (WARN_ONCE(rcu_nesting <= 0, "rcu_read_unlock() without rcu_read_lock()\n"))
		return;
	rcu_nesting--;
	__preempt_enable();
}

bool rcu_read_lock_held(void)
{
	return rcu_nesting > 0;
}

/* --- grace periods --- */

static void rcu_note_qs(int cpu, void *arg)
{
	(void)cpu;
	(void)arg;
}

/* Wait until every CPU has been outside a section once.  Preemptible. */
static void rcu_wait_gp(void)
{
	smp_mb();
	for (unsigned int cpu = 0; cpu < nr_cpu_ids; cpu++)
		kmm_run_on_cpu((int)cpu, rcu_note_qs, NULL);
	smp_mb();
	__atomic_add_fetch(&rcu.gp_count, 1, __ATOMIC_RELAXED);
}

void synchronize_rcu(void)
{
	might_sleep();
	/* Inside a section the caller's own CPU can never be visited: reported, no wait. */
	if (current->preempt_count || !kmm_machine_up)
		return;
	rcu_wait_gp();
}

unsigned long kmm_rcu_gp_count(void)
{
	return __atomic_load_n(&rcu.gp_count, __ATOMIC_RELAXED);
}

/* --- queueing callbacks --- */

static void *rcu_gp_kthread(void *arg);

/*
 * The first enqueue starts rcu_sched (kmm_lazy_thread_start()): a program that
 * never frees through RCU runs without it.  Until the thread first sleeps,
 * rcu.sleeping is false, so enqueues do not wake it, and it finds what was
 * queued meanwhile when it first looks.
 */
static void rcu_enqueue(struct rcu_head ***tail, struct rcu_head *head)
{
	bool wake;

	head->next = NULL;
	plat_lock(&rcu.lock);
	**tail = head;
	*tail = &head->next;
	rcu.queued++;
	wake = rcu.sleeping;
	rcu.sleeping = false;
	plat_unlock(&rcu.lock);
	if (wake)
		plat_event_signal(&rcu.wake_seq);
	else if (!plat_lazy_started(&rcu.thread))
		kmm_lazy_thread_start(&rcu.thread, &rcu.start_failed,
				      "rcu: failed to start the rcu_sched thread");
}

void call_rcu(struct rcu_head *head, rcu_callback_t func)
{
	if (WARN_ON_ONCE(!head || !func))
		return;
	head->func = func;
	rcu_enqueue(&rcu.cbs_tail, head);
}

void kvfree_call_rcu(struct rcu_head *head, void *ptr)
{
	if (!head) {
		/* Nowhere to queue it: wait here, so only where sleeping is allowed. */
		might_sleep();
		synchronize_rcu();
		kvfree(ptr);
		return;
	}
	head->func = (rcu_callback_t)ptr;
	rcu_enqueue(&rcu.frees_tail, head);
}

/* --- the thread --- */

static void rcu_do_batch(struct rcu_head *cbs, struct rcu_head *frees)
{
	while (cbs) {
		struct rcu_head *next = cbs->next;

		__preempt_disable();
		cbs->func(cbs);
		__preempt_enable();
		cbs = next;
	}
	while (frees) {
		struct rcu_head *next = frees->next;

		__preempt_disable();
		kvfree((void *)frees->func);
		__preempt_enable();
		frees = next;
	}
}

static void *rcu_gp_kthread(void *arg)
{
	(void)arg;
	for (;;) {
		unsigned int seen = __atomic_load_n(&rcu.wake_seq, __ATOMIC_ACQUIRE);

		plat_lock(&rcu.lock);
		if (!rcu.cbs && !rcu.frees) {
			bool stop = rcu.stop;

			rcu.sleeping = !stop;
			plat_unlock(&rcu.lock);
			if (stop)
				break;
			plat_event_wait(&rcu.wake_seq, seen, 0);
			continue;
		}
		struct rcu_head *cbs = rcu.cbs, *frees = rcu.frees;
		unsigned int batch_end = rcu.queued;

		rcu.cbs = rcu.frees = NULL;
		rcu.cbs_tail = &rcu.cbs;
		rcu.frees_tail = &rcu.frees;
		plat_unlock(&rcu.lock);

		rcu_wait_gp();
		rcu_do_batch(cbs, frees);
		__atomic_store_n(&rcu.done, batch_end, __ATOMIC_RELEASE);
		plat_futex_wake(&rcu.done, 1 << 30);
	}
	return NULL;
}

void rcu_barrier(void)
{
	might_sleep();
	/* Not started: nothing was ever queued (or it cannot run, and said so). */
	if (current->preempt_count || !plat_lazy_started(&rcu.thread))
		return;
	unsigned int target = __atomic_load_n(&rcu.queued, __ATOMIC_SEQ_CST);

	for (;;) {
		unsigned int done = __atomic_load_n(&rcu.done, __ATOMIC_ACQUIRE);

		if ((int)(done - target) >= 0)
			return;
		plat_futex_wait(&rcu.done, done, 0);
	}
}

void kvfree_rcu_barrier(void)
{
	rcu_barrier();
}

int rcu_init(void)
{
	rcu.stop = false;
	rcu.sleeping = false;
	rcu.start_failed = false;
	plat_lazy_init(&rcu.thread, rcu_gp_kthread, NULL, "rcu_sched");
	return 0;
}

void rcu_exit(void)
{
	plat_lock(&rcu.lock);
	rcu.stop = true;
	rcu.sleeping = false;
	plat_unlock(&rcu.lock);
	plat_event_signal(&rcu.wake_seq);
	plat_lazy_join(&rcu.thread);
}
