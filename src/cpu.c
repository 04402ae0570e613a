/* SPDX-License-Identifier: MIT */
/*
 * Simulated CPUs and preemption.
 *
 * Each host thread has a task_struct (thread-local).  While its preempt
 * count is non-zero the thread runs on one simulated CPU and no other
 * thread can: that is what "preemption disabled" guarantees in Linux, and
 * what makes per-CPU state safe to touch.  Taking a spinlock disables
 * preemption too, so a spinlock holder always has a CPU, and a CPU is
 * always the outermost thing a thread waits for: a thread inside a section
 * never waits for another CPU (drain_all_pages() and kmm_check() visit the
 * CPUs from preemptible context).
 *
 * Holding a CPU between sections.  A thread keeps the CPU it last ran on
 * after its section ends (its tag stays in cpu->holder, cpu->owner stays
 * locked), so entering the next section is a store to its own "active"
 * flag and a load of cpu->holder: no locked instruction, as Linux's
 * preempt_disable() is a per-CPU increment.  Another thread that wants the CPU:
 *   - raises cpu->want; a holder that sees it hands the CPU back when its
 *     section ends (and a few hundred times after, cpu->contended);
 *     leaving a section reads want, contended and release_always as one
 *     word, cpu->handback;
 *   - if the holder is idle (not inside a section) it takes the CPU over:
 *     it swaps its own tag, marked "taking", into cpu->holder with a
 *     compare-and-swap, issues membarrier(), which orders the holder's
 *     plain stores and loads against ours (an asymmetric Dekker
 *     handshake), and reads the holder's active flag: clear, the CPU is
 *     its own; set, the holder may have entered a section just before the
 *     swap, and the taker puts the holder's tag back.  (Reading the flag
 *     before the swap would leave a holder room to enter in between.)  The
 *     old holder notices on its next entry (cpu->holder is no longer its
 *     tag) and looks for a CPU.
 *     The holder lowers its flag with a release and the taker reads it
 *     with an acquire (both plain moves on x86), so what the holder's
 *     sections did to the per-CPU data happens before the taker's own
 *     sections, for the memory model as for ThreadSanitizer.
 *
 * Restartable sequences.  The slab fast paths' pops and pushes of a CPU's
 * sheaf, spare sheaf and freelist (slab_rseq.h) raise no flag at all: each
 * is an rseq critical section of the host kernel (on x86-64, when the C
 * library registered rseq for the thread and membarrier() can abort
 * sequences).  The thread names the sequence in its rseq area, loads
 * cpu->holder and goes the flag's way unless it holds its tag
 * (t->rseq_tag), does its loads, then commits with one store, the
 * sequence's last instruction (the new size of the sheaf, or the new head
 * of the freelist; what it stores before, the object pushed, a free
 * pointer in the object freed, kfree()'s hint, is harmless if the
 * sequence goes no further).  The host kernel aborts a sequence that is
 * preempted, migrated or signalled before its commit, and membarrier(),
 * registered for rseq, aborts every sequence of the process running or
 * preempted when it is called: the IPI's full barrier comes first, and
 * the sequence resumes at its abort handler, which takes the flag's way
 * (where cpu_enter_held() fails if the CPU was taken, and the thread
 * looks for one).  So with a taker's swap of cpu->holder before its
 * membarrier(), a holder's sequence either
 *   - committed before the IPI (or before the host switched the holder
 *     out): everything it stored is visible to the taker once
 *     membarrier() returns, as a flag section's stores are;
 *   - was inside, and is aborted: none of its stores is a commit, and
 *     those it made are ordered before membarrier()'s return; or
 *   - starts after it: the IPI's barrier, or the host's switch, orders
 *     the swap before its load of cpu->holder, which fails.
 * The taker still reads the flag for the holder's flag sections, which
 * the rest of the library uses unchanged.  A sequence reads no handback:
 * a thread that wants the CPU of a holder in no flag section takes it
 * over at once, as it takes over any idle holder's.  Then, while
 * cpu->contended counts the releases that keep the two threads taking
 * turns cheaply, the new holder's rseq_tag stays RSEQ_NO_TAG (task_own()),
 * so its every section is a flag section that hands the CPU back.  Under
 * ThreadSanitizer, on other hosts, or without rseq (Valgrind,
 * GLIBC_TUNABLES=glibc.pthread.rseq=0), rseq_tag is always RSEQ_NO_TAG:
 * every sequence fails its first compare and goes the flag's way.
 *
 * Tags carry a generation, so a tag read before its thread exited can never
 * match a later thread using the same slot (no ABA).  Without membarrier
 * (an old kernel), every section takes and releases the CPU's lock.
 *
 * Which CPU: the one of the host CPU the thread is running on when it has
 * none (sched_getcpu, folded into nr_cpu_ids), else any free one, unless the
 * thread is bound with kmm_bind_cpu().
 */
#include "internal.h"

#define MAX_TASK_SLOTS	4096
#define WAIT_US		200
#define CONTENDED_RELEASES 256

/* In cpu->holder beside a tag: its thread is taking the CPU over (cpu_take_over()). */
#define TAG_TAKING	(1ull << 31)

/*
 * Until a thread takes a CPU it "holds" no_cpu, whose holder is no
 * thread's tag, and raises early_active, nobody's flag: cpu_enter_held()
 * fails on it with no test of its own.
 */
static unsigned int early_active;
static struct kmm_cpu no_cpu = { .holder = TAG_TAKING };
/* The rseq_cs word of threads without a slot yet: written, never read. */
static u64 rseq_cs_none;

__thread struct task_struct kmm_current_task __attribute__((tls_model("initial-exec"))) = {
	.bound_cpu = -1,
	.owned = &no_cpu,
	.active = &early_active,
	.rseq_tag = RSEQ_NO_TAG,
	.rseq_cs = &rseq_cs_none,
};

/* Its thread writes @active on every section: a line pair of its own. */
struct task_slot {
	unsigned int active;
	unsigned int gen;
	unsigned int used;
	unsigned int stack_busy;	/* kmm_for_each_task_stack() reads the stack */
	unsigned long host_thread;	/* the host's name of the thread, 0 while none */
	int host_tid;			/* the host kernel's, for cpu_asleep_holder() */
} ____cacheline_pair_aligned;

static struct task_slot task_slots[MAX_TASK_SLOTS];
/*
 * One past the highest slot ever taken: the scans of every slot stop
 * there.  The table is 512 KiB of zeroes that a process mostly never
 * touches, and a fork child that read it all (kmm_cpus_fork_child())
 * took a page fault on each of its 128 pages; a shell forks often.
 */
static unsigned int task_slots_used_max;

static void task_slots_note_used(unsigned int i)
{
	unsigned int max = __atomic_load_n(&task_slots_used_max, __ATOMIC_RELAXED);

	while (max < i + 1 &&
	       !__atomic_compare_exchange_n(&task_slots_used_max, &max, i + 1, false,
					    __ATOMIC_SEQ_CST, __ATOMIC_RELAXED))
		;
}

static unsigned int task_slots_scan_end(void)
{
	return __atomic_load_n(&task_slots_used_max, __ATOMIC_SEQ_CST);
}

/*
 * The CPUs of every machine this process boots: never freed, so a thread
 * that held one in an earlier machine may still read its holder word (no
 * longer its tag: kmm_cpus_exit() clears them) and needs no generation
 * to tell.  Only the pages of the CPUs booted are ever touched.
 */
static struct kmm_cpu cpu_table[NR_CPUS];

struct kmm_cpu *kmm_cpus;
unsigned int nr_cpu_ids = 1;
bool kmm_sticky_cpus;
/* This machine's fast paths may run as restartable sequences (see above). */
static bool kmm_rseq;
/* A CPU table for threads that disable preemption before any boot. */
static struct kmm_cpu early_cpu;

extern int __cxa_thread_atexit_impl(void (*dtor)(void *), void *obj, void *dso)
	__attribute__((weak));
extern void *__dso_handle __attribute__((weak));

__attribute__((constructor)) static void kmm_cpus_early(void)
{
	if (!kmm_cpus)
		kmm_cpus = &early_cpu;
}

/* @t holds no CPU any more. */
static void task_own_none(struct task_struct *t)
{
	t->owned = &no_cpu;
}

static bool task_owns_cpu(const struct task_struct *t)
{
	return t->owned != &no_cpu;
}

/*
 * @t holds @c from now on.  Its restartable sequences may run on @c unless
 * @c is contended: then each section must read cpu->handback as it ends,
 * which only the flag's sections do.
 */
static void task_own(struct task_struct *t, struct kmm_cpu *c)
{
	t->owned = c;
	t->cpu = c->id;
	t->kcpu = c;
	t->rseq_tag = kmm_rseq && t->rseq_cs != &t->rseq_cs_none && !READ_ONCE(c->contended) ?
		      t->tag : RSEQ_NO_TAG;
}

int kmm_cpus_init(unsigned int nr)
{
	struct kmm_cpu *cpus = cpu_table;

	if (nr > NR_CPUS)
		return -EINVAL;
	memset(cpus, 0, sizeof(*cpus) * nr);
	kmm_sticky_cpus = plat_membarrier_register();
	kmm_rseq = KMM_RSEQ && kmm_sticky_cpus && plat_rseq_register();
	for (unsigned int i = 0; i < nr; i++) {
		cpus[i].id = (int)i;
		cpus[i].kmalloc_hint = kmm_cpu_hint_none;
		/* Without membarrier() nobody could take an idle CPU over. */
		cpus[i].release_always = !kmm_sticky_cpus;
	}
	nr_cpu_ids = nr;
	kmm_cpus = cpus;
	return 0;
}

/*
 * Threads may still name these CPUs as theirs, idly (t->owned): with
 * every holder word cleared, each finds on its next section that it holds
 * none, and a later machine's CPU is never taken for one of these.
 */
void kmm_cpus_exit(void)
{
	struct kmm_cpu *cpus = kmm_cpus;

	task_own_none(current);
	kmm_cpus = &early_cpu;
	memset(cpus, 0, sizeof(*cpus) * nr_cpu_ids);
	nr_cpu_ids = 1;
}

static void task_exit(void *arg)
{
	struct task_struct *t = arg;

	t->exited = true;
	if (task_owns_cpu(t) && kmm_cpus != &early_cpu)
		kmm_cpu_leave_slow(t);
	if (t->tag) {
		struct task_slot *slot = &task_slots[(t->tag & 0xffffffff) - 1];
		__atomic_add_fetch(&slot->gen, 1, __ATOMIC_SEQ_CST);
		__atomic_store_n(&slot->host_thread, 0, __ATOMIC_SEQ_CST);
		__atomic_store_n(&slot->host_tid, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&slot->used, 0, __ATOMIC_SEQ_CST);
		/* A scan reading this stack finishes before the stack may go. */
		while (__atomic_load_n(&slot->stack_busy, __ATOMIC_SEQ_CST))
			plat_yield();
		t->tag = 0;
	}
}

/* Give the thread a slot: its tag and active flag live there, never freed. */
static void task_attach(struct task_struct *t)
{
	for (unsigned int i = 0; i < MAX_TASK_SLOTS; i++) {
		if (__atomic_load_n(&task_slots[i].used, __ATOMIC_RELAXED) ||
		    __atomic_exchange_n(&task_slots[i].used, 1, __ATOMIC_ACQ_REL))
			continue;
		task_slots_note_used(i);
		t->active = &task_slots[i].active;
		__atomic_store_n(&task_slots[i].host_thread, plat_thread_self(), __ATOMIC_SEQ_CST);
		__atomic_store_n(&task_slots[i].host_tid, plat_gettid(), __ATOMIC_RELAXED);
		t->tag = (u64)(i + 1) | ((u64)__atomic_load_n(&task_slots[i].gen, __ATOMIC_ACQUIRE) << 32);
		/*
		 * Past its exit handlers, the C library may have unregistered
		 * the thread's rseq area already: no sequences then.
		 */
		u64 *cs = t->exited ? NULL : plat_rseq_cs_word();
		t->rseq_cs = cs ? cs : &t->rseq_cs_none;
		/*
		 * A thread past its exit handlers (one whose pthread key
		 * destructors free memory) gets no second handler: it would
		 * never run.  Such a thread gives its slot back itself
		 * (kmm_task_detach()).
		 */
		if (__cxa_thread_atexit_impl && !t->exited)
			__cxa_thread_atexit_impl(task_exit, t, &__dso_handle);
		return;
	}
	panic("kmm: more than %d threads use kmm at once", MAX_TASK_SLOTS);
}

/*
 * Call @fn with the stack of each thread that uses the machine, the
 * caller's own from its current frame up (kmemleak's roots).  A thread
 * that exits meanwhile waits in task_exit() until its stack has been read:
 * the reader raises stack_busy before it looks at used, the exiting thread
 * drops used before it looks at stack_busy, so one of them sees the other.
 */
void kmm_for_each_task_stack(void (*fn)(unsigned long lo, unsigned long hi, void *arg),
			     void *arg)
{
	unsigned long here = (unsigned long)__builtin_frame_address(0), lo, hi;
	unsigned long self = plat_thread_self();
	bool seen_self = false;
	unsigned int end = task_slots_scan_end();

	for (unsigned int i = 0; i < end; i++) {
		struct task_slot *slot = &task_slots[i];
		unsigned long thread;

		if (!__atomic_load_n(&slot->used, __ATOMIC_RELAXED))
			continue;
		__atomic_store_n(&slot->stack_busy, 1, __ATOMIC_SEQ_CST);
		if (__atomic_load_n(&slot->used, __ATOMIC_SEQ_CST) &&
		    (thread = __atomic_load_n(&slot->host_thread, __ATOMIC_SEQ_CST)) &&
		    !plat_thread_stack(thread, &lo, &hi)) {
			if (thread == self) {
				lo = max(lo, here);
				seen_self = true;
			}
			if (lo < hi)
				fn(lo, hi, arg);
		}
		__atomic_store_n(&slot->stack_busy, 0, __ATOMIC_SEQ_CST);
	}
	if (!seen_self && !plat_thread_stack(self, &lo, &hi) && max(lo, here) < hi)
		fn(max(lo, here), hi, arg);
}

static unsigned int *tag_active(u64 tag)
{
	return &task_slots[(tag & 0xffffffff) - 1].active;
}

/* We hold @c's lock word and nobody's tag is in it: make it ours. */
static void cpu_take(struct task_struct *t, struct kmm_cpu *c)
{
	WRITE_ONCE(*t->active, 1);
	__atomic_store_n(&c->holder, t->tag, __ATOMIC_SEQ_CST);
	task_own(t, c);
}

/* Hand @t's CPU back: clear our tag (unless it was taken over), unlock. */
static void cpu_release(struct task_struct *t)
{
	struct kmm_cpu *c = t->owned;
	u64 mine = t->tag;

	if (__atomic_compare_exchange_n(&c->holder, &mine, 0, false,
					__ATOMIC_SEQ_CST, __ATOMIC_RELAXED))
		plat_unlock(&c->owner);
	u16 n = READ_ONCE(c->contended);
	if (n)
		WRITE_ONCE(c->contended, n - 1);
	task_own_none(t);
}

/*
 * Take @c over from @h, the holder's tag, while @h looks idle.  Our tag
 * goes in first, marked TAG_TAKING so that it is nobody's: from then on @h
 * fails to enter a section on @c, and no third thread takes @c over from
 * us.  membarrier() then settles the race with an @h that was entering a
 * section just then: either its flag store is visible to us now, or its
 * load of cpu->holder comes after our swap and fails.  With @h's flag down
 * (an acquire, paired with the release that ended its last section) the
 * CPU is ours; with it up, @h may be inside a section on @c, and we put
 * its tag back.  Never wait for the flag to drop: it is the thread's, not
 * the CPU's, and @h may have gone to hold another CPU (or, in
 * kmm_cpus_hold_all(), be waiting for this one).
 */
static bool cpu_take_over(struct task_struct *t, struct kmm_cpu *c, u64 h)
{
	u64 taking = t->tag | TAG_TAKING;

	if (READ_ONCE(*tag_active(h)) ||
	    !__atomic_compare_exchange_n(&c->holder, &h, taking, false,
					 __ATOMIC_SEQ_CST, __ATOMIC_RELAXED))
		return false;
	plat_membarrier();
	if (smp_load_acquire(tag_active(h))) {
		/* Nobody swaps a TAG_TAKING holder but its taker: this cannot fail. */
		__atomic_compare_exchange_n(&c->holder, &taking, h, false,
					    __ATOMIC_SEQ_CST, __ATOMIC_RELAXED);
		return false;
	}
	WRITE_ONCE(*t->active, 1);
	WRITE_ONCE(c->contended, CONTENDED_RELEASES);
	__atomic_store_n(&c->holder, t->tag, __ATOMIC_SEQ_CST);
	task_own(t, c);
	return true;
}

/* Wait for CPU @c, taking it over from an idle holder. */
static void cpu_grab(struct task_struct *t, struct kmm_cpu *c)
{
	__atomic_add_fetch(&c->want, 1, __ATOMIC_SEQ_CST);
	for (int tries = 0;; tries++) {
		if (plat_trylock(&c->owner)) {
			cpu_take(t, c);
			break;
		}
		u64 h = __atomic_load_n(&c->holder, __ATOMIC_SEQ_CST);
		if (h == t->tag) {
			/*
			 * Still in our name: a taker that found our flag up put
			 * our tag back after we had let the CPU go.  Nobody else
			 * can have entered it since, but a taker may be swapping
			 * its tag in now: raise the flag, then look again, in the
			 * order cpu_enter_held() does, for cpu_take_over()'s
			 * membarrier() to settle.  (Up already, in
			 * kmm_cpus_hold_all(), it guards the CPUs held so far.)
			 */
			unsigned int was = READ_ONCE(*t->active);
			WRITE_ONCE(*t->active, 1);
			barrier();
			if (READ_ONCE(c->holder) == t->tag) {
				task_own(t, c);
				break;
			}
			if (!was)
				smp_store_release(t->active, 0);
		} else if (h && !(h & TAG_TAKING) && kmm_sticky_cpus && cpu_take_over(t, c, h)) {
			break;
		}
		if (tries < 4) {
			plat_cpu_relax();
			continue;
		}
		__atomic_add_fetch(&c->owner.sleepers, 1, __ATOMIC_SEQ_CST);
		plat_futex_wait(&c->owner.locked, 1, WAIT_US);
		__atomic_sub_fetch(&c->owner.sleepers, 1, __ATOMIC_RELAXED);
	}
	__atomic_sub_fetch(&c->want, 1, __ATOMIC_SEQ_CST);
}

/* Let go of the CPU this thread holds (if any) before looking for one. */
static void cpu_drop_held(struct task_struct *t)
{
	if (!t->tag)
		task_attach(t);
	if (task_owns_cpu(t)) {
		smp_store_release(t->active, 0);	/* as cpu_leave_held() */
		cpu_release(t);
	}
}

/*
 * Every CPU is held: which to take over?  One whose holder is out of its
 * sections and asleep in the host (a main thread joining its workers, a
 * thread waiting for I/O), as Linux's scheduler runs another task on the
 * CPU of one that blocked.  Taking the CPU of a holder that is running
 * between two sections instead makes it take another over at its next
 * allocation, and while they share a CPU their objects come from the same
 * slabs: neighbours, often in one cache line, that each keeps reusing
 * (its frees go to its CPU's sheaf, last in first out), so the line
 * bounces between the two for as long as they run.  Looking costs a read
 * of /proc per idle holder, on a path that already costs a membarrier().
 * Return: the CPU, from @pref on, or -1 if no holder is asleep.
 */
static int cpu_asleep_holder(int pref)
{
	int n = (int)nr_cpu_ids;

	for (int i = 0; i < n; i++) {
		int cpu = (pref + i) % n;
		u64 h = __atomic_load_n(&kmm_cpus[cpu].holder, __ATOMIC_RELAXED);

		if (!h || (h & TAG_TAKING) || READ_ONCE(*tag_active(h)))
			continue;
		struct task_slot *slot = &task_slots[(h & 0xffffffff) - 1];
		if (plat_thread_asleep(__atomic_load_n(&slot->host_tid, __ATOMIC_RELAXED)))
			return cpu;
	}
	return -1;
}

void kmm_cpu_enter_slow(struct task_struct *t)
{
	if (unlikely(kmm_cpus == &early_cpu)) {
		/* No machine: one CPU, and nothing per-CPU to protect but the log. */
		t->cpu = 0;
		t->kcpu = &early_cpu;
		return;
	}
	cpu_drop_held(t);
	int n = (int)nr_cpu_ids, cpu = t->bound_cpu;
	if (cpu < 0 || cpu >= n) {
		int pref = plat_host_cpu() % n;
		for (int i = 0; i < n; i++) {
			struct kmm_cpu *c = &kmm_cpus[(pref + i) % n];
			if (plat_trylock(&c->owner)) {
				cpu_take(t, c);
				return;
			}
		}
		cpu = kmm_sticky_cpus ? cpu_asleep_holder(pref) : -1;
		if (cpu < 0)
			cpu = pref;
	}
	cpu_grab(t, &kmm_cpus[cpu]);
}

void kmm_cpu_leave_slow(struct task_struct *t)
{
	if (unlikely(kmm_cpus == &early_cpu) || !task_owns_cpu(t))
		return;
	cpu_release(t);
}

static void kmm_cpu_grab(struct task_struct *t, int cpu)
{
	cpu_drop_held(t);
	cpu_grab(t, &kmm_cpus[cpu]);
}

static void kmm_cpu_put(struct task_struct *t, int cpu)
{
	smp_store_release(t->active, 0);	/* as cpu_leave_held() */
	t->owned = &kmm_cpus[cpu];
	cpu_release(t);
}

/*
 * Run @fn on simulated CPU @cpu, owning it, as Linux's work queued on a
 * CPU runs there.  Called preemptible: the caller holds no CPU while it
 * waits for this one.
 */
void kmm_run_on_cpu(int cpu, void (*fn)(int cpu, void *arg), void *arg)
{
	struct task_struct *t = current;

	kmm_cpu_grab(t, cpu);
	t->preempt_count = 1;
	fn(cpu, arg);
	t->preempt_count = 0;
	kmm_cpu_put(t, cpu);
}

/*
 * Own every CPU, so nothing else in the machine runs until
 * kmm_cpus_release_all(): no other thread is inside a section or holds a
 * spinlock meanwhile.  Called preemptible.
 */
void kmm_cpus_hold_all(void)
{
	struct task_struct *t = current;

	for (unsigned int cpu = 0; cpu < nr_cpu_ids; cpu++) {
		kmm_cpu_grab(t, (int)cpu);
		task_own_none(t);	/* keep it while grabbing the next */
	}
	t->preempt_count = 1;
	t->cpu = 0;
	t->kcpu = &kmm_cpus[0];
}

void kmm_cpus_release_all(void)
{
	struct task_struct *t = current;

	t->preempt_count = 0;
	for (unsigned int cpu = nr_cpu_ids; cpu-- > 0;)
		kmm_cpu_put(t, (int)cpu);
}

/*
 * Run @fn with every CPU owned by this thread, so nothing else in the
 * machine runs meanwhile (Linux's stop_machine()).  Called preemptible.
 */
void kmm_stop_machine(void (*fn)(void *arg), void *arg)
{
	kmm_cpus_hold_all();
	fn(arg);
	kmm_cpus_release_all();
}

/*
 * In a child after fork(), which has only the thread that forked: the
 * other threads' slots are free again.  The caller holds every CPU
 * (kmm_cpus_hold_all() before the fork), so no CPU names a dead thread.
 */
void kmm_cpus_fork_child(void)
{
	struct task_struct *t = current;
	unsigned int mine = t->tag ? (unsigned int)(t->tag & 0xffffffff) - 1 : MAX_TASK_SLOTS;
	unsigned int end = task_slots_scan_end();

	for (unsigned int i = 0; i < end; i++) {
		if (i == mine || !__atomic_load_n(&task_slots[i].used, __ATOMIC_RELAXED))
			continue;
		task_slots[i].active = 0;
		task_slots[i].gen++;
		task_slots[i].used = 0;
	}
}

/*
 * Give back the CPU and the slot of a thread that has run its exit
 * handlers but still called into kmm (see task_attach()).
 */
void kmm_task_detach(void)
{
	struct task_struct *t = current;

	if (t->preempt_count)
		return;
	task_exit(t);
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
	if (task_owns_cpu(current) && current->owned->id != cpu)
		kmm_cpu_leave_slow(current);
	return 0;
}

void __might_sleep(const char *file, int line)
{
	struct task_struct *t = current;
	/* As Linux: at most one report a second. */
	static DEFINE_RATELIMIT_STATE(rs, 1000000000ull, 1);

	if (!t->preempt_count)
		return;
	kmm_report_count_inc(KMM_REPORT_MIGHT_SLEEP);
	if (!__ratelimit(&rs))
		return;
	printk(KERN_ERR "BUG: sleeping function called from invalid context at %s:%d\n",
	       file, line);
	printk(KERN_ERR "in_atomic(): %d, irqs_disabled(): %d, non_block: %d, pid: %d, name: %s\n",
	       1, 0, 0, plat_gettid(), kmm_comm());
	printk(KERN_ERR "preempt_count: %x, expected: %x\n", t->preempt_count, 0);
	dump_stack();
	add_taint(TAINT_WARN);
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
