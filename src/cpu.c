/* SPDX-License-Identifier: MIT */
/*
 * Simulated CPUs and preemption.
 *
 * Each host thread has a task_struct (thread-local).  While its preempt
 * count is non-zero the thread owns one simulated CPU: it holds that CPU's
 * owner lock, so no other thread can run on the CPU and touch its per-CPU
 * state meanwhile, which is what "preemption disabled" guarantees in
 * Linux.  Taking a spinlock disables preemption too, so a spinlock holder
 * always owns a CPU, and CPU ownership is always the outermost lock: a
 * thread that owns a CPU never waits for another CPU (drain_all_pages()
 * visits the CPUs one at a time from preemptible context).
 *
 * Which CPU: the one the host runs the thread on (sched_getcpu, a read of
 * the thread's rseq area in glibc), folded into nr_cpu_ids, unless the
 * thread has been bound with kmm_bind_cpu().
 */

#include "internal.h"

__thread struct task_struct kmm_current_task
	__attribute__((tls_model("initial-exec"))) = { .bound_cpu = -1 };

struct kmm_cpu *kmm_cpus;
unsigned int nr_cpu_ids = 1;
static size_t kmm_cpus_size;
/* A CPU table for threads that disable preemption before any boot. */
static struct kmm_cpu early_cpu;

int kmm_cpus_init(unsigned int nr)
{
	kmm_cpus_size = ALIGN(sizeof(struct kmm_cpu) * nr, PAGE_SIZE);
	struct kmm_cpu *cpus = plat_host_zalloc(kmm_cpus_size);

	if (!cpus)
		return -ENOMEM;
	for (unsigned int i = 0; i < nr; i++)
		cpus[i].id = (int)i;
	nr_cpu_ids = nr;
	kmm_cpus = cpus;
	return 0;
}

void kmm_cpus_exit(void)
{
	struct kmm_cpu *cpus = kmm_cpus;

	kmm_cpus = &early_cpu;
	nr_cpu_ids = 1;
	plat_host_free(cpus, kmm_cpus_size);
}

__attribute__((constructor)) static void kmm_cpus_early(void)
{
	if (!kmm_cpus)
		kmm_cpus = &early_cpu;
}

void kmm_cpu_enter(struct task_struct *t)
{
	int cpu = t->bound_cpu;

	if (cpu < 0 || cpu >= (int)nr_cpu_ids)
		cpu = plat_host_cpu() % (int)nr_cpu_ids;
	plat_lock(&kmm_cpus[cpu].owner);
	t->cpu = cpu;
}

void preempt_disable(void)
{
	__preempt_disable();
}

void preempt_enable(void)
{
	if (WARN_ON_ONCE(current->preempt_count <= 0))
		return;
	__preempt_enable();
}

int preempt_count(void)
{
	return current->preempt_count;
}

bool in_atomic(void)
{
	return current->preempt_count != 0;
}

int smp_processor_id(void)
{
	struct task_struct *t = current;

	if (t->preempt_count)
		return t->cpu;
	if (t->bound_cpu >= 0 && t->bound_cpu < (int)nr_cpu_ids)
		return t->bound_cpu;
	return plat_host_cpu() % (int)nr_cpu_ids;
}

int get_cpu(void)
{
	__preempt_disable();
	return current->cpu;
}

void put_cpu(void)
{
	preempt_enable();
}

int kmm_bind_cpu(int cpu)
{
	if (cpu < -1 || cpu >= (int)nr_cpu_ids)
		return -EINVAL;
	if (current->preempt_count)
		return -EBUSY;
	current->bound_cpu = cpu;
	return 0;
}

void __might_sleep(const char *file, int line)
{
	struct task_struct *t = current;

	if (!t->preempt_count)
		return;
	kmm_report_count_inc(KMM_REPORT_MIGHT_SLEEP);
	printk(KERN_ERR "BUG: sleeping function called from invalid context at %s:%d\n",
	       file, line);
	printk(KERN_ERR "in_atomic(): %d, irqs_disabled(): %d, non_block: %d, pid: %d, name: %s\n",
	       1, 0, 0, plat_gettid(), kmm_comm());
	printk(KERN_ERR "preempt_count: %x, expected: %x\n", t->preempt_count, 0);
	dump_stack();
}

void msleep(unsigned int ms)
{
	might_sleep();
	plat_sleep_us(ms * 1000u);
}

void cond_resched(void)
{
	might_sleep();
	plat_yield();
}

void spin_lock(spinlock_t *lock)
{
	__spin_lock(lock);
}

void spin_unlock(spinlock_t *lock)
{
	__spin_unlock(lock);
}

bool spin_trylock(spinlock_t *lock)
{
	__preempt_disable();
	if (plat_trylock(lock))
		return true;
	__preempt_enable();
	return false;
}

bool spin_is_locked(spinlock_t *lock)
{
	return __atomic_load_n(&lock->locked, __ATOMIC_RELAXED) != 0;
}

/* Scoped gfp restrictions, as Linux's memalloc_*_save(). */
static unsigned int memalloc_flags_save(unsigned int flags)
{
	unsigned int old = current->flags & flags;

	current->flags |= flags;
	return old;
}

static void memalloc_flags_restore(unsigned int mask, unsigned int old)
{
	current->flags = (current->flags & ~mask) | old;
}

unsigned int memalloc_noio_save(void) { return memalloc_flags_save(PF_MEMALLOC_NOIO); }
void memalloc_noio_restore(unsigned int f) { memalloc_flags_restore(PF_MEMALLOC_NOIO, f); }
unsigned int memalloc_nofs_save(void) { return memalloc_flags_save(PF_MEMALLOC_NOFS); }
void memalloc_nofs_restore(unsigned int f) { memalloc_flags_restore(PF_MEMALLOC_NOFS, f); }
unsigned int memalloc_noreclaim_save(void) { return memalloc_flags_save(PF_MEMALLOC); }
void memalloc_noreclaim_restore(unsigned int f) { memalloc_flags_restore(PF_MEMALLOC, f); }

gfp_t current_gfp_context(gfp_t flags)
{
	unsigned int pf = current->flags;

	if (pf & PF_MEMALLOC_NOIO)
		flags &= ~(__GFP_IO | __GFP_FS);
	else if (pf & PF_MEMALLOC_NOFS)
		flags &= ~__GFP_FS;
	return flags;
}
