/* SPDX-License-Identifier: MIT */
/*
 * The platform contract: the only door between kmm and the host OS.
 *
 * Everything above this layer is portable kernel-style C.  The contract is
 * narrow and uniform: sizes and addresses are page aligned; a function that
 * can fail returns 0 or -errno.  The implementation for Linux hosts is in
 * this folder (ram.c, lock.c, thread.c, host.c).
 */
#ifndef KMM_PLATFORM_H
#define KMM_PLATFORM_H

#include <kmm/types.h>
#include <kmm/spinlock_types.h>

/* --- physical RAM: one memory file, lazily backed (ram.c) --- */
/* New RAM of @size bytes, every byte zero until written.  Return: 0 or -errno. */
int plat_ram_create(u64 size);
void plat_ram_destroy(void);
u64 plat_ram_size(void);
/* Zero a physical range without needing a mapping of it. */
void plat_ram_zero(phys_addr_t phys, size_t len);
/*
 * Shrink [*start, *end) to its first part that the host backs and return
 * true, or return false if it backs none of it.  Every byte of RAM outside
 * the parts it backs reads as zero.  When the host cannot tell (or while a
 * fork child's RAM is still a private mapping of its parent's, whose file
 * does not show the child's writes), the whole range counts as backed.
 */
bool plat_ram_backed(phys_addr_t *start, phys_addr_t *end);
/*
 * Copy to or from physical memory without a mapping of one's own: the
 * file (pread/pwrite), or the direct map where it is anonymous memory
 * (which must then be accessible: not a page debug_pagealloc unmapped).
 */
int plat_ram_read(phys_addr_t phys, void *buf, size_t len);
int plat_ram_write(phys_addr_t phys, const void *buf, size_t len);

/*
 * --- anonymous RAM (ram=anon; ram.c explains) ---
 * The direct map is private anonymous memory; a page of it that gets a
 * second mapping (plat_map_run(), plat_remap() of RAM outside the direct
 * map) is "shared" first: the direct map maps the file there too, until
 * its owner frees it with plat_ram_unshare().
 */
/* Map RAM [0, len) at @addr, the direct map: the file, or (@anon) anonymous memory. */
int plat_map_direct(void *addr, u64 len, int prot, bool anon);
bool plat_ram_is_anon(void);
/* Pages of the direct map that map the file now: 0 in the common case. */
extern long plat_ram_nr_shared;
/* Is any page of [phys, phys+len) shared? */
bool plat_ram_shared(phys_addr_t phys, size_t len);
/*
 * The owner of RAM [phys, phys+len) gives it back to the allocator: its
 * shared pages become anonymous again, their contents zero.
 */
void plat_ram_unshare(phys_addr_t phys, size_t len);
/*
 * From now on the host may back the anonymous direct map with huge pages
 * (transparent huge pages, advised): 2 MiB regions first touched later
 * fault in whole, and a fork copies one entry for each.  Nothing with the
 * file (ram=memfd).  Returns true if the host took the advice.
 */
bool plat_ram_huge(void);
/* Host mappings that sharing the pages of @runs aliases may add (0 for the file). */
long plat_ram_alias_cost(long runs);
/*
 * The validator: the direct map's host mappings against its bits, and
 * the counts.  @report gets each problem.  Return: the problems, 0 if
 * consistent (or if a share ran meanwhile), or -errno.
 */
int plat_ram_check_direct(void (*report)(const char *msg, void *arg), void *arg);

/* --- the kernel window and host mappings (ram.c) --- */
/* Reserve @size bytes of inaccessible host address space aligned to @align. */
void *plat_window_reserve(size_t size, size_t align);
void plat_window_release(void *base, size_t size);

#define PLAT_PROT_READ	1
#define PLAT_PROT_WRITE	2
/*
 * Host mappings are counted against vm.max_map_count in what they may cost
 * the host.  Runs of RAM mapped one after another into one stretch of the
 * reservation cost one mapping each, and the reservation splits once more
 * around the stretch (measured: k runs in the middle of the reservation
 * add k + 1 lines to /proc/self/maps; fewer when the stretch borders a
 * mapping, or when the host merges a run with a neighbour of contiguous
 * file offsets).  So a stretch of k runs is charged k + 1, the most it can
 * cost, and the count never falls below the host's own.
 */
static inline long plat_map_cost(long runs)
{
	return runs ? runs + 1 : 0;
}
/*
 * Map RAM [phys, phys+len) at @addr (inside the window) with @prot as the
 * next run of a stretch: @charged is what the stretch was charged so far
 * (0 before its first run) and grows by this run's charge.  The charge is
 * taken before the host call, so the count is never below the host's.
 */
int plat_map_run(void *addr, phys_addr_t phys, size_t len, int prot, long *charged);
/* A stretch of one run: charged plat_map_cost(1). */
int plat_map(void *addr, phys_addr_t phys, size_t len, int prot);
/*
 * Map private anonymous memory, zeroed, at @addr (inside the window) as a
 * stretch of one run: @charged grows by its charge.  No RAM behind it: a
 * forked child has it copy-on-write, as any private memory.  @huge: ask
 * the host for huge pages there (MADV_HUGEPAGE), which it gives where it
 * can (transparent_hugepage "always" or "madvise").
 */
int plat_map_anon(void *addr, size_t len, int prot, bool huge, long *charged);
/* Replace a mapping made by plat_map() of the same range: no new charge. */
int plat_remap(void *addr, phys_addr_t phys, size_t len, int prot);
/*
 * Make [addr, addr+len) inaccessible again (still reserved); @charged is
 * what the stretches it undoes were charged, given back.
 */
int plat_unmap(void *addr, size_t len, long charged);
int plat_protect(void *addr, size_t len, int prot);
/*
 * Host mappings kmm holds now, and the host's bound (vm.max_map_count),
 * read again only when @want (what the caller needs) nears the last reading.
 */
long plat_nr_mappings(void);
long plat_max_mappings(long want);
/* Host mapping calls (map, remap, unmap, protect) made since the start. */
unsigned long plat_host_calls(void);
/* One line of /proc/self/maps; @path points into a buffer valid during the call. */
struct plat_mapping {
	unsigned long start, end, offset;
	unsigned long inode;	/* the mapped file's, 0 for anonymous memory */
	int prot;
	bool shared;
	const char *path;	/* "" for anonymous memory */
};
/*
 * Call @fn for each host mapping in address order until it returns
 * non-zero.  Never allocates (usable inside the preload library's boot and
 * fork).  Return: 0, or -errno if the table cannot be read.
 */
int plat_for_each_mapping(int (*fn)(const struct plat_mapping *m, void *arg), void *arg);
/* Walks of /proc/self/maps (plat_for_each_mapping()) since the start: each is slow. */
unsigned long plat_maps_reads(void);
/* Opens of /proc/self/pagemap (pagemap.c) since the start: once per process is the aim. */
unsigned long plat_pagemap_opens(void);
/*
 * The same for the host mappings of the RAM file only (their @inode 0),
 * from ram.c's own record of them, with no system call: the direct map's
 * shared pieces, then the others.  Return: 0, the first negative return
 * of @fn, or -ENOENT if the record cannot be trusted (too many mappings
 * outside the direct map, a change it could not follow, or one in
 * progress in another thread): then walk plat_for_each_mapping().
 */
int plat_for_each_ram_mapping(int (*fn)(const struct plat_mapping *m, void *arg), void *arg);
/*
 * With ram=anon: the RAM file holds no data and nothing maps it (not even
 * a stale alias), so a child forked now has nothing of it to copy: the
 * direct map is copy-on-write by fork() itself.  False with ram=memfd.
 */
bool plat_ram_file_unused(void);
/* In a forked child, first: the record as the parent's other threads left it. */
void plat_ram_maps_fork_child(void);
/*
 * In a forked child whose RAM is its own (plat_ram_fork_own()), before its
 * first use: the direct map's bits made to say what it maps where a share
 * or unshare of the parent's other threads stopped at fork (ram.c).
 * Return: 0, or -errno if /proc/self/maps cannot be read.
 */
int plat_ram_fork_mend(void);
/* The RAM file's descriptor, and its replacement by another (ram_fork.c). */
int plat_ram_file(void);
void plat_ram_file_replace(int fd);

/*
 * --- fork: the child's own RAM, and the parent's wait for it (ram_fork.c) ---
 *
 * Parent, before fork():    plat_fork_channel_open()
 * Child, in its handler:    plat_ram_fork_private() and plat_fork_channel_child(true),
 *                           or plat_ram_fork_own() and plat_fork_channel_child(false),
 *                           then plat_ram_fork_mend()
 * Child, later:             plat_ram_fork_settle() (also done on the parent's request),
 *                           then plat_ram_fork_mend() (never in the signal handler)
 * Parent, after fork():     plat_fork_channel_wait()
 */
/* Whether copying RAM at once costs more than deferring the copy (and deferring works here). */
bool plat_ram_fork_worth_deferring(void);
/*
 * In the child: map RAM copy-on-write (the child's writes stay its own;
 * it reads the file, which the parent leaves alone until the child
 * settles, execs or exits).  Return: 0 or -errno.
 */
int plat_ram_fork_private(void);
/*
 * In the child: a private copy of RAM (a new memory file, mapped wherever
 * the old one was, with the pages the child wrote since fork), so parent
 * and child no longer share their memory.  Return: 0 or -errno.
 */
int plat_ram_fork_own(void);
/* The parent's side: a channel the child reports on (before fork). */
void plat_fork_channel_open(void);
/* The child's side: "my RAM is my own" (@deferred false) or "not yet, ask me". */
void plat_fork_channel_child(bool deferred);
/*
 * In a child whose RAM is still private mappings of the parent's: make it
 * its own and tell the parent.  Idempotent; also run by a signal the
 * parent sends when the child keeps it waiting.  Return: 0 or -errno.
 */
int plat_ram_fork_settle(void);
/* The parent's side, after fork(): wait until the child's RAM is its own, or it execs or ends. */
void plat_fork_channel_wait(void);
/* Whether the RAM file holds all that RAM holds (no private mapping of it since fork). */
bool plat_ram_file_is_whole(void);
/*
 * Walk the host's mappings that overlap [lo, hi), in address order, from
 * /proc/self/maps: @phys is the offset into RAM for a mapping of the RAM
 * file, -1 for anything else.  Return: 0, or -errno if the table cannot be
 * read.  For validators only: it is slow.
 */
int plat_walk_mappings(unsigned long lo, unsigned long hi,
		       void (*fn)(unsigned long start, unsigned long end, s64 phys,
				  int prot, void *arg), void *arg);

/*
 * Faults in the window (fault.c).  The handler runs on the faulting thread
 * with the address and whether it was a write (-1: unknown).  If it returns
 * true it has removed the cause and the access is retried; else the fault
 * goes on to the handler that was there before (the program's, or the
 * default action: the process dies of SIGSEGV).
 */
typedef bool (*plat_fault_fn)(unsigned long addr, int write, void *ucontext);
int plat_fault_install(plat_fault_fn fn, unsigned long lo, unsigned long hi);
/* The faulting instruction's address, from the handler's @ucontext; 0 if unknown. */
unsigned long plat_fault_pc(void *ucontext);
void plat_fault_remove(void);
/* Give the calling thread a stack for signals (a fault on a full stack). */
int plat_altstack_install(void *stack, size_t size);

/* A symbol for a code address, as %pS prints it ("name+0x1c/0x80"). */
void plat_symbol(const void *addr, char *buf, size_t size);

/* --- what a conservative scan reads (roots.c) --- */
struct plat_range {
	unsigned long start, end;
};
/* The writable segments (data, bss) of every object loaded: up to @max; their number. */
int plat_data_segments(struct plat_range *out, int max);
/* The calling thread, named for plat_thread_stack(). */
unsigned long plat_thread_self(void);
/* The mapped part of @thread's stack, which must stay alive meanwhile.  Return: 0 or -errno. */
int plat_thread_stack(unsigned long thread, unsigned long *lo, unsigned long *hi);

/* --- host memory for kmm's own bookkeeping, not part of the machine --- */
void *plat_host_zalloc(size_t size);
/* Zeroed host memory backed only where touched, not counted as committed. */
void *plat_host_zalloc_lazy(size_t size);
void plat_host_free(void *p, size_t size);
/* What the two above hold now, in bytes (whole pages): for leak checks. */
long plat_host_bytes(void);

/* --- CPUs and threads (thread.c) --- */
int plat_host_cpu(void);
int plat_host_nr_cpus(void);
int plat_gettid(void);
/*
 * Is thread @tid of this process asleep in the host kernel (waiting for a
 * lock, a join, I/O), not running nor ready to run?  From its
 * /proc/self/task/TID/stat, with no allocation; false if unknown.
 */
bool plat_thread_asleep(int tid);
void plat_thread_name(char *buf, size_t size);

struct plat_thread;
int plat_thread_start(struct plat_thread **t, void *(*fn)(void *), void *arg,
		      const char *name);
void plat_thread_join(struct plat_thread *t);

/*
 * A host thread started on first need rather than at boot (rcu_sched,
 * kswapd, the vfree worker): a program that never needs it stays
 * single-threaded, so glibc keeps its single-thread fast paths (unlocked
 * stdio, libstdc++'s plain reference counts), and a short-lived process
 * does not pay for starting and ending threads it never uses.
 * plat_lazy_start() may be called from any thread, at any time after
 * plat_lazy_init(); one call starts the thread, the others find it
 * started.  After fork() the child's are left behind (plat_lazy_fork_child()):
 * they neither start nor join there.
 */
struct plat_lazy_thread {
	struct plat_thread *thread;
	void *(*fn)(void *);
	void *arg;
	int state;		/* PLAT_LAZY_* (thread.c) */
	unsigned int gen;	/* the fork generation it belongs to */
	char name[16];
};
void plat_lazy_init(struct plat_lazy_thread *t, void *(*fn)(void *), void *arg, const char *name);
/* Start @t's thread unless it was.  Return: 0 if it runs (or is starting), else -errno. */
int plat_lazy_start(struct plat_lazy_thread *t);
/* Has @t's thread been started (it may not be up yet)? */
bool plat_lazy_started(const struct plat_lazy_thread *t);
/* Join @t's thread if it was started (the caller told it to end); it starts no more until init. */
void plat_lazy_join(struct plat_lazy_thread *t);
/* In a forked child: the threads of every plat_lazy_thread do not exist here. */
void plat_lazy_fork_child(void);

/*
 * A host thread that works in rounds until told to stop (KFENCE's sample
 * timer, kmemleak's scan thread).  Between rounds it sleeps on its event
 * word, which others signal to wake it early (plat_worker_wake()), and
 * plat_worker_stop() wakes it for the last time and joins it.
 */
struct plat_worker {
	struct plat_thread *thread;	/* NULL: not running (or left behind by fork) */
	unsigned int seq;		/* the event word */
	bool stop;
};
/* Start @fn(@arg) as @w's thread, unless it runs already.  Return: 0 or -errno. */
int plat_worker_start(struct plat_worker *w, void *(*fn)(void *), void *arg, const char *name);
/* Tell @w's thread to stop, wake it and wait for its end; nothing if it is not running. */
void plat_worker_stop(struct plat_worker *w);
void plat_worker_wake(struct plat_worker *w);
/* In the worker: has it been told to stop? */
bool plat_worker_should_stop(struct plat_worker *w);
/* The event word now: read it before testing what a wait is for, so no wake-up is lost. */
unsigned int plat_worker_events(struct plat_worker *w);
/* Wait for a wake-up after @seen, up to @timeout_us.  Return: false when told to stop. */
bool plat_worker_wait(struct plat_worker *w, unsigned int seen, unsigned int timeout_us);
/* Sleep @ns, through wake-ups, until the time passes.  Return: false when told to stop. */
bool plat_worker_sleep(struct plat_worker *w, u64 ns);

/*
 * A kernel thread's host thread (kthread.c).  @fn(@arg) runs on a host
 * stack of its own, with a signal stack installed for the thread's whole
 * life, so that a fault on a full kernel stack can still be handled;
 * @fn moves onto its kernel stack with plat_call_on_stack().  Threads
 * are not limited in number as plat_thread_start()'s are.
 * Return: 0 or -errno.
 */
struct plat_kthread;
int plat_kthread_start(struct plat_kthread **t, void (*fn)(void *), void *arg,
		       const char *name);
/* Wait for the thread to end and free what plat_kthread_start() made. */
void plat_kthread_join(struct plat_kthread *t);
/*
 * Call @fn(@arg) with the stack pointer at the top of [@stack, @stack +
 * @size), as Linux's call_on_stack(); back on the caller's stack when @fn
 * returns.  A backtrace taken inside @fn ends at the switch.
 */
void plat_call_on_stack(void *stack, size_t size, void (*fn)(void *), void *arg);
int plat_getpid(void);

/* Wait/wake on a 32-bit word (futex); a timeout of 0 waits forever. */
void plat_futex_wait(unsigned int *addr, unsigned int val, unsigned int timeout_us);
void plat_futex_wake(unsigned int *addr, int nr);
void plat_cpu_relax(void);
/*
 * A full barrier on every thread of the process that is running now
 * (membarrier): what lets one side of a handshake use plain accesses.
 * Registering first says whether the host has it.
 */
bool plat_membarrier_register(void);
void plat_membarrier(void);
/*
 * Restartable sequences (rseq, see cpu.c): whether this process may use
 * them, checked once a boot.  True when the C library has registered rseq
 * for its threads (glibc does, unless told not to: GLIBC_TUNABLES=
 * glibc.pthread.rseq=0, or a host that lacks it, such as Valgrind's) and
 * membarrier() can abort them (MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ);
 * from then on plat_membarrier() aborts every sequence running or
 * preempted when it is called, and is still the full barrier above.
 * Called after plat_membarrier_register() succeeded.
 */
bool plat_rseq_register(void);
/*
 * The calling thread's rseq_cs word (struct rseq's, which says which
 * sequence the thread is in), or NULL if rseq is not registered for this
 * thread.
 */
u64 *plat_rseq_cs_word(void);
void plat_yield(void);
void plat_sleep_us(unsigned int us);
u64 plat_now_ns(void);

/* --- locks (lock.c) --- */
void plat_lock_slow(spinlock_t *lock);

static __always_inline bool plat_trylock(spinlock_t *lock)
{
	return __atomic_exchange_n(&lock->locked, 1, __ATOMIC_ACQUIRE) == 0;
}

static __always_inline void plat_lock(spinlock_t *lock)
{
	if (likely(plat_trylock(lock)))
		return;
	plat_lock_slow(lock);
}

/*
 * The release is a plain store.  A waiter that went to sleep just as the
 * lock was released may miss the wake-up; it sleeps with a short timeout,
 * so that costs it a millisecond, never the lock.  That keeps the
 * uncontended unlock free of a second locked instruction.
 */
static __always_inline void plat_unlock(spinlock_t *lock)
{
	__atomic_store_n(&lock->locked, 0, __ATOMIC_RELEASE);
	if (unlikely(__atomic_load_n(&lock->sleepers, __ATOMIC_RELAXED)))
		plat_futex_wake(&lock->locked, 1);
}

/* A sleeping lock and a condition, for code that may block. */
struct plat_mutex { unsigned int state; };
void plat_mutex_lock(struct plat_mutex *m);
void plat_mutex_unlock(struct plat_mutex *m);
/* Take the mutex only if it is free; true if taken. */
bool plat_mutex_trylock(struct plat_mutex *m);
/* Wait until *@seq changes from @seen or @timeout_us passes. */
void plat_event_wait(unsigned int *seq, unsigned int seen, unsigned int timeout_us);
void plat_event_signal(unsigned int *seq);

/* --- reports (host.c) --- */
/* Write the calling thread's backtrace, one frame a line, to @emit. */
void plat_backtrace(void (*emit)(const char *line, void *arg), void *arg, int skip);
/* Save up to @max return addresses of the calling thread, the first @skip dropped. */
unsigned int plat_stack_save(unsigned long *entries, unsigned int max, unsigned int skip);
/* "symbol+0xoff" or "object+0xoff" for a code address, as Linux's %pS; never allocates. */
void plat_symbolize(unsigned long addr, char *buf, size_t size);
__attribute__((noreturn)) void plat_abort(void);
/*
 * The value of environment variable @name copied into @buf, without
 * allocating: from the environment block if libc has set it up yet, else
 * from /proc/self/environ (a preloaded allocator may run before libc's own
 * initialisation).  Return: true if it is set.
 */
bool plat_getenv_early(const char *name, char *buf, size_t size);
/* Handlers around fork(), as pthread_atfork().  Return: 0 or -errno. */
int plat_atfork(void (*prepare)(void), void (*parent)(void), void (*child)(void));
/* The host's page size and physical RAM, for defaults. */
u64 plat_host_ram_bytes(void);
void plat_console_write(const char *s, size_t len);

#endif /* KMM_PLATFORM_H */
