/* SPDX-License-Identifier: MIT */
/* Host threads, CPUs, futexes and time. */

#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <linux/membarrier.h>
#include <sys/rseq.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>
#include "platform.h"
#include "../annotate.h"

int plat_host_cpu(void)
{
	int cpu = sched_getcpu();

	return cpu < 0 ? 0 : cpu;
}

int plat_host_nr_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : (int)n;
}

int plat_gettid(void)
{
	return (int)syscall(SYS_gettid);
}

bool plat_thread_asleep(int tid)
{
	char path[48], buf[512];
	int fd;

	if (tid <= 0)
		return false;
	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	/* "TID (COMM) STATE ...": the name may hold anything, ')' too. */
	const char *state = strrchr(buf, ')');
	return state && state[1] == ' ' && (state[2] == 'S' || state[2] == 'D');
}

void plat_thread_name(char *buf, size_t size)
{
	if (pthread_getname_np(pthread_self(), buf, size) != 0 && size)
		buf[0] = '\0';
}

/*
 * A started thread names itself (one prctl) before it runs @fn: naming it
 * from the parent goes through /proc/self/task/TID/comm, an open, a write
 * and a close for each thread a boot starts.
 */
struct plat_thread {
	pthread_t tid;
	void *(*fn)(void *);
	void *arg;
	char name[16];
};

static struct plat_thread thread_slots[64];
static unsigned long thread_slot_used;

static void *plat_thread_main(void *p)
{
	struct plat_thread *t = p;

	if (t->name[0])
		pthread_setname_np(pthread_self(), t->name);
	return t->fn(t->arg);
}

int plat_thread_start(struct plat_thread **t, void *(*fn)(void *), void *arg,
		      const char *name)
{
	struct plat_thread *pt;
	int slot = -1;

	for (int i = 0; i < 64; i++) {
		if (!(__atomic_fetch_or(&thread_slot_used, 1UL << i, __ATOMIC_ACQ_REL) & (1UL << i))) {
			slot = i;
			break;
		}
	}
	if (slot < 0)
		return -EAGAIN;
	pt = &thread_slots[slot];
	pt->fn = fn;
	pt->arg = arg;
	pt->name[0] = '\0';
	if (name)
		snprintf(pt->name, sizeof(pt->name), "%s", name);
	int err = pthread_create(&pt->tid, NULL, plat_thread_main, pt);
	if (err) {
		__atomic_fetch_and(&thread_slot_used, ~(1UL << slot), __ATOMIC_RELEASE);
		return -err;
	}
	*t = pt;
	return 0;
}

void plat_thread_join(struct plat_thread *t)
{
	pthread_join(t->tid, NULL);
	__atomic_fetch_and(&thread_slot_used, ~(1UL << (t - thread_slots)), __ATOMIC_RELEASE);
}

/* --- threads started on first need: see platform.h --- */

enum { PLAT_LAZY_IDLE, PLAT_LAZY_STARTING, PLAT_LAZY_RUNNING, PLAT_LAZY_FAILED, PLAT_LAZY_JOINED };

static unsigned int lazy_gen;

void plat_lazy_init(struct plat_lazy_thread *t, void *(*fn)(void *), void *arg, const char *name)
{
	memset(t, 0, sizeof(*t));
	t->fn = fn;
	t->arg = arg;
	t->gen = __atomic_load_n(&lazy_gen, __ATOMIC_RELAXED);
	if (name)
		snprintf(t->name, sizeof(t->name), "%s", name);
}

int plat_lazy_start(struct plat_lazy_thread *t)
{
	int state = __atomic_load_n(&t->state, __ATOMIC_ACQUIRE);

	if (t->gen != __atomic_load_n(&lazy_gen, __ATOMIC_RELAXED))
		return -ECHILD;
	if (state == PLAT_LAZY_IDLE &&
	    __atomic_compare_exchange_n(&t->state, &state, PLAT_LAZY_STARTING, false,
					__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		int err = plat_thread_start(&t->thread, t->fn, t->arg, t->name);

		__atomic_store_n(&t->state, err ? PLAT_LAZY_FAILED : PLAT_LAZY_RUNNING,
				 __ATOMIC_RELEASE);
		return err;
	}
	if (state == PLAT_LAZY_FAILED)
		return -EAGAIN;
	return state == PLAT_LAZY_JOINED ? -ESRCH : 0;
}

bool plat_lazy_started(const struct plat_lazy_thread *t)
{
	int state = __atomic_load_n(&t->state, __ATOMIC_ACQUIRE);

	return (state == PLAT_LAZY_STARTING || state == PLAT_LAZY_RUNNING) &&
	       t->gen == __atomic_load_n(&lazy_gen, __ATOMIC_RELAXED);
}

void plat_lazy_join(struct plat_lazy_thread *t)
{
	int state;

	/* A start under way on another thread finishes first. */
	while ((state = __atomic_load_n(&t->state, __ATOMIC_ACQUIRE)) == PLAT_LAZY_STARTING)
		sched_yield();
	if (state == PLAT_LAZY_RUNNING && t->gen == __atomic_load_n(&lazy_gen, __ATOMIC_RELAXED))
		plat_thread_join(t->thread);
	t->thread = NULL;
	__atomic_store_n(&t->state, PLAT_LAZY_JOINED, __ATOMIC_RELEASE);
}

void plat_lazy_fork_child(void)
{
	__atomic_add_fetch(&lazy_gen, 1, __ATOMIC_RELAXED);
}

/* --- workers: see platform.h --- */

int plat_worker_start(struct plat_worker *w, void *(*fn)(void *), void *arg, const char *name)
{
	int err;

	if (w->thread)
		return 0;
	__atomic_store_n(&w->stop, false, __ATOMIC_RELAXED);
	err = plat_thread_start(&w->thread, fn, arg, name);
	if (err)
		w->thread = NULL;
	return err;
}

void plat_worker_stop(struct plat_worker *w)
{
	if (!w->thread)
		return;
	__atomic_store_n(&w->stop, true, __ATOMIC_RELAXED);
	plat_event_signal(&w->seq);
	plat_thread_join(w->thread);
	w->thread = NULL;
}

void plat_worker_wake(struct plat_worker *w)
{
	plat_event_signal(&w->seq);
}

bool plat_worker_should_stop(struct plat_worker *w)
{
	return __atomic_load_n(&w->stop, __ATOMIC_RELAXED);
}

unsigned int plat_worker_events(struct plat_worker *w)
{
	return __atomic_load_n(&w->seq, __ATOMIC_ACQUIRE);
}

bool plat_worker_wait(struct plat_worker *w, unsigned int seen, unsigned int timeout_us)
{
	if (plat_worker_should_stop(w))
		return false;
	plat_event_wait(&w->seq, seen, timeout_us);
	return !plat_worker_should_stop(w);
}

bool plat_worker_sleep(struct plat_worker *w, u64 ns)
{
	u64 deadline = plat_now_ns() + ns;

	for (;;) {
		unsigned int seen = plat_worker_events(w);
		u64 now = plat_now_ns(), us;

		if (plat_worker_should_stop(w))
			return false;
		if (now >= deadline)
			return true;
		/* A second at most at a time, in the µs plat_event_wait() counts. */
		us = (deadline - now) / 1000 + 1;
		plat_event_wait(&w->seq, seen, us < 1000000 ? (unsigned int)us : 1000000);
	}
}

int plat_getpid(void)
{
	return (int)getpid();
}

/*
 * Kernel threads.  Each has one host mapping: its descriptor, then its
 * signal stack (a fault report prints, symbolises and unwinds, so the
 * stack is generous).  The host stack is small: the thread's work runs on
 * its kernel stack; only starting, ending and the exit handlers run here.
 */
#define KTHREAD_SIGSTACK	(128UL << 10)
#define KTHREAD_HOST_STACK	(256UL << 10)
#define KTHREAD_HDR		4096UL

struct plat_kthread {
	pthread_t tid;
	void (*fn)(void *);
	void *arg;
	char name[16];
};

static void *kthread_host_main(void *p)
{
	struct plat_kthread *t = p;
	stack_t ss = { .ss_sp = (char *)t + KTHREAD_HDR, .ss_size = KTHREAD_SIGSTACK }, old;

	if (t->name[0])
		pthread_setname_np(pthread_self(), t->name);
	/*
	 * Ours replaces any signal stack the thread has (ASan gives threads
	 * one), and the old one is back before the thread ends: whoever
	 * installed it frees it then.
	 */
	bool alt = sigaltstack(&ss, &old) == 0;
	t->fn(t->arg);
	if (alt)
		sigaltstack(&old, NULL);
	return NULL;
}

int plat_kthread_start(struct plat_kthread **tp, void (*fn)(void *), void *arg,
		       const char *name)
{
	struct plat_kthread *t = plat_host_zalloc(KTHREAD_HDR + KTHREAD_SIGSTACK);
	pthread_attr_t attr;
	int err;

	if (!t)
		return -ENOMEM;
	t->fn = fn;
	t->arg = arg;
	if (name)
		strncpy(t->name, name, sizeof(t->name) - 1);
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, KTHREAD_HOST_STACK);
	err = pthread_create(&t->tid, &attr, kthread_host_main, t);
	pthread_attr_destroy(&attr);
	if (err) {
		plat_host_free(t, KTHREAD_HDR + KTHREAD_SIGSTACK);
		return -err;
	}
	*tp = t;
	return 0;
}

void plat_kthread_join(struct plat_kthread *t)
{
	pthread_join(t->tid, NULL);
	plat_host_free(t, KTHREAD_HDR + KTHREAD_SIGSTACK);
}

/*
 * The switch is glibc's makecontext()/swapcontext(): its entry frame marks
 * the end of the call chain for unwinders, so a backtrace taken on the
 * other stack (a report's) stops there instead of reading past the top.
 */
struct stack_call {
	void (*fn)(void *);
	void *arg;
	ucontext_t back;
	const void *from_bottom;
	size_t from_size;
};

static __thread struct stack_call *stack_call;

static void on_stack_entry(void)
{
	struct stack_call *c = stack_call;

	annot_stack_entered(&c->from_bottom, &c->from_size);
	c->fn(c->arg);
	annot_stack_leave(c->from_bottom, c->from_size);
	/* Returning resumes c->back (uc_link): plat_call_on_stack() goes on. */
}

void plat_call_on_stack(void *stack, size_t size, void (*fn)(void *), void *arg)
{
	struct stack_call c = { .fn = fn, .arg = arg };
	ucontext_t uc;
	void *save = NULL;

	if (getcontext(&uc))
		abort();
	uc.uc_stack.ss_sp = stack;
	uc.uc_stack.ss_size = size;
	uc.uc_link = &c.back;
	makecontext(&uc, on_stack_entry, 0);
	stack_call = &c;
	unsigned int vg = annot_stack_register(stack, size);
	annot_stack_enter(&save, stack, size);
	if (swapcontext(&c.back, &uc))
		abort();
	annot_stack_left(save);
	annot_stack_deregister(vg, stack, size);
}

void plat_futex_wait(unsigned int *addr, unsigned int val, unsigned int timeout_us)
{
	struct timespec ts, *tsp = NULL;

	if (timeout_us) {
		ts.tv_sec = timeout_us / 1000000;
		ts.tv_nsec = (long)(timeout_us % 1000000) * 1000;
		tsp = &ts;
	}
	syscall(SYS_futex, addr, FUTEX_WAIT_PRIVATE, val, tsp, NULL, 0);
}

void plat_futex_wake(unsigned int *addr, int nr)
{
	syscall(SYS_futex, addr, FUTEX_WAKE_PRIVATE, nr, NULL, NULL, 0);
}

void plat_cpu_relax(void)
{
	__builtin_ia32_pause();
}

void plat_yield(void)
{
	sched_yield();
}

void plat_sleep_us(unsigned int us)
{
	struct timespec ts = { us / 1000000, (long)(us % 1000000) * 1000 };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

u64 plat_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000000000ull + (u64)ts.tv_nsec;
}

bool plat_membarrier_register(void)
{
	return syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0;
}

static int membarrier_cmd = MEMBARRIER_CMD_PRIVATE_EXPEDITED;

/*
 * Until the host has done it: a taker goes on only once every other
 * thread passed a barrier (and left any restartable sequence), and the
 * host may fail one for want of memory (-ENOMEM, its CPU mask) or a
 * signal.  A command it refuses outright was registered at boot and
 * cannot fail after: if it does, going on would be a race, so stop.
 */
void plat_membarrier(void)
{
	while (syscall(SYS_membarrier, membarrier_cmd, 0, 0)) {
		if (errno != ENOMEM && errno != EINTR && errno != EAGAIN) {
			static const char msg[] = "kmm: membarrier() failed after boot\n";

			(void)!write(2, msg, sizeof(msg) - 1);
			abort();
		}
		sched_yield();
	}
}

/* The rseq area the C library registered for this thread, or NULL. */
static struct rseq *rseq_area(void)
{
#if defined(__x86_64__) && defined(RSEQ_SIG)
	struct rseq *rs;

	/* glibc 2.35 and 2.36 say 20, the original struct rseq up to flags. */
	if (__rseq_size < offsetof(struct rseq, rseq_cs) + sizeof(rs->rseq_cs))
		return NULL;
	rs = (struct rseq *)((char *)__builtin_thread_pointer() + __rseq_offset);
	/* Negative: not registered (-1), or registering failed (-2). */
	if ((int)__atomic_load_n(&rs->cpu_id, __ATOMIC_RELAXED) < 0)
		return NULL;
	return rs;
#else
	return NULL;
#endif
}

bool plat_rseq_register(void)
{
	if (!rseq_area())
		return false;
	if (syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ, 0, 0))
		return false;
	membarrier_cmd = MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ;
	return true;
}

u64 *plat_rseq_cs_word(void)
{
	struct rseq *rs = rseq_area();

	return rs ? (u64 *)&rs->rseq_cs : NULL;
}
