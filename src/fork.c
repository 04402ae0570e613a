/* SPDX-License-Identifier: MIT */
/*
 * fork() of a process with a machine in it (the preload library's case:
 * any program that forks, with its malloc on the kernel allocator).
 *
 * Two things make a plain fork() unsafe:
 *
 *  1. Locks.  The child has only the thread that forked; a lock another
 *     thread held at that moment would stay held for ever, and a structure
 *     it was changing would stay half changed.  So kmm_fork_prepare()
 *     takes, in this fixed order:
 *        the sleeping mutexes, outermost first: slab_mutex,
 *          pcpu_alloc_mutex, purge_mutex, shrinker_mutex, oom_lock
 *          (all with trylock and a back-off, so an order some other path
 *          nests them in can never deadlock against us);
 *        every CPU (kmm_cpus_hold_all(): no other thread is inside a
 *          section, so none holds a spinlock or is half way through a
 *          per-CPU update; cpu.c explains why a CPU is the outermost
 *          thing a section waits for);
 *        the log's lock (taken without a CPU by printk).
 *     kmm_fork_parent() and kmm_fork_child() let go in the reverse order.
 *
 *  2. Memory.  RAM is a shared mapping of one memory file, and shared
 *     mappings stay shared across fork(): the child would write into the
 *     parent's memory.  The child moves to a copy of RAM (platform/
 *     ram_fork.c) while the parent waits in kmm_fork_parent(): its
 *     allocator is stopped by the locks above, so the copy sees every
 *     structure whole.  When RAM holds much, the copy is deferred: the
 *     child maps RAM copy-on-write and returns from fork() with the
 *     machine still held (kmm_fork_child() returns true); an exec() or
 *     exit copies nothing, and its first call into the machine runs
 *     kmm_fork_child_settle() first, which copies and then lets go of the
 *     machine.  So fork + exec from a process with a large heap costs
 *     what it costs without kmm (bench_malloc's forkexec measures it).
 *     With ram=anon (the preload library's default) the direct map is
 *     private anonymous memory, which fork() itself makes copy-on-write:
 *     the file holds only the pages that have an alias (and highmem), so
 *     that is all the child copies.
 *
 * The machine's own threads (rcu_sched, kswapd, the vfree worker, KFENCE's
 * sample timer) do not exist in the child.  Nothing of kmalloc, the page
 * allocator or vmalloc() waits for them (KFENCE just stops sampling);
 * the child does without background reclaim and RCU callbacks, and says
 * so in its log.
 */
#include "internal.h"
#include "kfence.h"

extern struct plat_mutex slab_mutex, pcpu_alloc_mutex, purge_mutex, shrinker_mutex, oom_lock;
void kmm_log_lock(void);
void kmm_log_unlock(void);

static struct plat_mutex *const fork_mutexes[] = {
	&slab_mutex, &pcpu_alloc_mutex, &purge_mutex, &shrinker_mutex, &oom_lock,
};

static bool fork_held;

static void unlock_mutexes(unsigned int n)
{
	while (n-- > 0)
		plat_mutex_unlock(fork_mutexes[n]);
}

static void lock_mutexes(void)
{
	for (;;) {
		unsigned int i;

		for (i = 0; i < ARRAY_SIZE(fork_mutexes); i++)
			if (!plat_mutex_trylock(fork_mutexes[i]))
				break;
		if (i == ARRAY_SIZE(fork_mutexes))
			return;
		unlock_mutexes(i);
		/* Wait for the holder without holding anything. */
		plat_mutex_lock(fork_mutexes[i]);
		plat_mutex_unlock(fork_mutexes[i]);
	}
}

/* Before fork(), in the parent: stop the machine (see the top of the file). */
void kmm_fork_prepare(void)
{
	if (!kmm_machine_up || current->preempt_count)
		return;
	lock_mutexes();
	kmm_cpus_hold_all();
	/*
	 * The child says on this channel when its RAM is its own.  With
	 * ram=anon and nothing in the RAM file, there is nothing for it to
	 * copy (the file it makes is empty): no channel, and no wait.  What a
	 * thread of ours that runs meanwhile (mapping an alias outside any
	 * section) puts in the file belongs to work the child never sees.
	 */
	if (!plat_ram_file_unused())
		plat_fork_channel_open();
	kmm_log_lock();
	fork_held = true;
}

static void fork_release(void)
{
	fork_held = false;
	kmm_log_unlock();
	kmm_cpus_release_all();
	unlock_mutexes(ARRAY_SIZE(fork_mutexes));
}

/* After fork(), in the parent (also when fork() failed). */
void kmm_fork_parent(void)
{
	if (!fork_held)
		return;
	/* Until the child's RAM is its own, or it exec'd or ended. */
	plat_fork_channel_wait();
	fork_release();
}

static bool fork_pending;

/* In the child: its own thread slots, then the locks. */
static void fork_child_release(void)
{
	kmm_cpus_fork_child();
	fork_release();
	pr_info("kmm: forked child %d runs without rcu_sched, kswapd and the vfree worker\n",
		plat_gettid());
}

/*
 * After fork(), in the child.  Return: true if the child's RAM is still
 * the parent's, copy-on-write, and the machine still held: the caller
 * runs kmm_fork_child_settle() before the child's next call into it.
 */
bool kmm_fork_child(void)
{
	if (!fork_held)
		return false;
	plat_ram_maps_fork_child();
	/* The parent's threads, started or not, are not the child's to start or join. */
	plat_lazy_fork_child();
	kfence_fork_child();
	if (plat_ram_fork_worth_deferring() && !plat_ram_fork_private()) {
		plat_fork_channel_child(true);
		fork_pending = true;
		return true;
	}
	int err = plat_ram_fork_own();
	plat_fork_channel_child(false);
	if (!err)
		err = plat_ram_fork_mend();
	if (err)
		panic("kmm: fork: cannot give the child its own RAM: %d", err);
	fork_child_release();
	return false;
}

/* In a child that kmm_fork_child() left pending: its own RAM, then the machine. */
void kmm_fork_child_settle(void)
{
	if (!fork_pending)
		return;
	/* Settled here or by the parent's signal: mended here, not in a handler. */
	int err = plat_ram_fork_settle();
	if (!err)
		err = plat_ram_fork_mend();
	if (err)
		panic("kmm: fork: cannot give the child its own RAM: %d", err);
	fork_pending = false;
	fork_child_release();
}
