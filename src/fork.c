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
 *     parent's memory.  The child moves to a copy of RAM
 *     (plat_ram_fork_child()) before it returns from fork(), while the
 *     parent waits: its allocator is stopped by the locks above, so the
 *     copy sees every structure whole.  The copy costs what the host has
 *     backed of RAM (bench/bench_preload measures fork + exec with a large
 *     heap).  Data another thread of the parent writes during the copy
 *     may reach the child half written: that thread does not exist in the
 *     child, as with any fork of a threaded program.
 *
 * The machine's own threads (rcu_sched, kswapd, the vfree worker) do not
 * exist in the child.  Nothing of kmalloc, the page allocator or
 * vmalloc() waits for them; the child does without background reclaim and
 * RCU callbacks, and says so in its log.
 */
#include <fcntl.h>
#include <unistd.h>
#include "internal.h"

extern struct plat_mutex slab_mutex, pcpu_alloc_mutex, purge_mutex, shrinker_mutex, oom_lock;
void kmm_log_lock(void);
void kmm_log_unlock(void);

static struct plat_mutex *const fork_mutexes[] = {
	&slab_mutex, &pcpu_alloc_mutex, &purge_mutex, &shrinker_mutex, &oom_lock,
};

static int fork_pipe[2] = { -1, -1 };
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
	/* The child says on this pipe when its copy of RAM is made. */
	if (pipe2(fork_pipe, O_CLOEXEC))
		fork_pipe[0] = fork_pipe[1] = -1;
	lock_mutexes();
	kmm_cpus_hold_all();
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
	char c;

	if (!fork_held)
		return;
	if (fork_pipe[1] >= 0) {
		close(fork_pipe[1]);
		/* One byte when the child's copy is made; end of file if it died or never was. */
		while (read(fork_pipe[0], &c, 1) < 0 && errno == EINTR)
			;
		close(fork_pipe[0]);
	}
	fork_pipe[0] = fork_pipe[1] = -1;
	fork_release();
}

/* After fork(), in the child: its own RAM, its own thread slots, then the locks. */
void kmm_fork_child(void)
{
	if (!fork_held)
		return;
	int err = plat_ram_fork_child();
	if (fork_pipe[0] >= 0) {
		close(fork_pipe[0]);
		(void)!write(fork_pipe[1], "", 1);
		close(fork_pipe[1]);
	}
	fork_pipe[0] = fork_pipe[1] = -1;
	if (err)
		panic("kmm: fork: cannot give the child its own RAM: %d", err);
	kmm_cpus_fork_child();
	fork_release();
	pr_info("kmm: forked child %d runs without rcu_sched, kswapd and the vfree worker\n",
		plat_gettid());
}
