/* SPDX-License-Identifier: MIT */
/*
 * Kernel threads: a host thread per kthread, its work on a kernel stack.
 *
 * A kthread goes through these states:
 *
 *   created   struct kthread (kmalloc) and its stack (task_stack.c), on
 *             the kthreads list; the host thread is started
 *   running   the host thread has published its task (current, which
 *             lives in its thread-local storage and so stays valid until
 *             the thread is joined), taken a CPU once, and switched to
 *             the kernel stack (plat_call_on_stack) to run threadfn
 *   ended     threadfn returned: back on the host stack the thread checks
 *             STACK_END_MAGIC and frees its stack itself, as Linux frees a
 *             dead task's stack; the host thread ends
 *   stopped   kthread_stop() joined the host thread and freed the kthread
 *
 * The thread runs on its kernel stack with a signal stack of its own
 * (platform), so a fault in the stack's guard page still runs the fault
 * handler, which reports the overflow (handle_stack_overflow()) before
 * the process dies.  Before it switches, the thread enters and leaves a
 * section once: that gives it its task slot and a CPU (cpu.c) while it is
 * still on the roomy host stack.
 *
 * kthread_stop() finds the task on the kthreads list before it touches
 * it: a task that is not a live kthread (never one, or stopped already)
 * is reported, not dereferenced.
 *
 * Lock order: kthreads_lock is innermost.
 */
#include <stdarg.h>
#include "internal.h"

struct kthread {
	int (*threadfn)(void *data);
	void *data;
	int result;
	unsigned int seq;		/* bumped when task is set (futex word) */
	bool should_stop;
	int pid;			/* the process the host thread runs in */
	struct task_struct *task;	/* the thread's own, once it runs */
	struct plat_kthread *host;
	struct kmm_thread_stack stack;
	struct list_head list;		/* on kthreads */
	char comm[16];
};

static LIST_HEAD(kthreads);
static spinlock_t kthreads_lock;

/* On the kernel stack. */
static void kthread_body(void *arg)
{
	struct kthread *k = arg;

	k->result = k->threadfn(k->data);
}

/* On the host stack: start, run on the kernel stack, end. */
static void kthread_main(void *arg)
{
	struct kthread *k = arg;
	struct task_struct *t = current;

	t->kthread = k;
	t->stack = &k->stack;
	memcpy(t->comm, k->comm, sizeof(t->comm));
	preempt_disable();
	preempt_enable();
	__atomic_store_n(&k->task, t, __ATOMIC_RELEASE);
	plat_event_signal(&k->seq);

	plat_call_on_stack(k->stack.stack, THREAD_SIZE, kthread_body, k);

	/* The end of the thread: the stack's end checked, the stack freed. */
	__free_thread_stack(&k->stack);
	t->stack = NULL;
}

/* Not inlined: its return address, in kmm_kthread_run*, names the stack's maker. */
static __noinline struct task_struct *kthread_create(int (*threadfn)(void *), void *data,
						     int node, const char *name)
{
	const void *caller = __builtin_return_address(0);
	struct kthread *k;
	int err;

	might_sleep();
	if (!kmm_machine_up)
		return ERR_PTR(-ENODEV);
	k = kzalloc(sizeof(*k), GFP_KERNEL);
	if (!k)
		return ERR_PTR(-ENOMEM);
	k->threadfn = threadfn;
	k->data = data;
	k->pid = plat_getpid();
	snprintf(k->comm, sizeof(k->comm), "%s", name ? name : "kthread");
	err = __alloc_thread_stack_node(&k->stack, node, caller);
	if (err)
		goto out_free;
	spin_lock(&kthreads_lock);
	list_add_tail(&k->list, &kthreads);
	spin_unlock(&kthreads_lock);
	err = plat_kthread_start(&k->host, kthread_main, k, k->comm);
	if (err)
		goto out_unlist;
	for (;;) {
		unsigned int seen = __atomic_load_n(&k->seq, __ATOMIC_ACQUIRE);
		struct task_struct *t = __atomic_load_n(&k->task, __ATOMIC_ACQUIRE);
		if (t)
			return t;
		plat_event_wait(&k->seq, seen, 10000);
	}
out_unlist:
	spin_lock(&kthreads_lock);
	list_del(&k->list);
	spin_unlock(&kthreads_lock);
	__free_thread_stack(&k->stack);
out_free:
	kfree(k);
	return ERR_PTR(err);
}

/*
 * The caller vmallocinfo shows for a stack is the function that made the
 * thread, as Linux shows kernel_clone+0x94/0x3e0 for every task's.
 */
struct task_struct *kmm_kthread_run(int (*threadfn)(void *data), void *data, const char *name)
{
	struct task_struct *t = kthread_create(threadfn, data, NUMA_NO_NODE, name);

	barrier();	/* no tail call: the return address must be in here */
	return t;
}

struct task_struct *kmm_kthread_run_on_node(int (*threadfn)(void *data), void *data, int node,
					    const char *name)
{
	if (node != NUMA_NO_NODE && (node < 0 || node >= nr_online_nodes))
		return ERR_PTR(-EINVAL);
	struct task_struct *t = kthread_create(threadfn, data, node, name);

	barrier();
	return t;
}

/* Take @task's kthread off the list, if it is a live one of ours. */
static struct kthread *kthread_take(struct task_struct *task)
{
	struct kthread *k, *found = NULL;

	spin_lock(&kthreads_lock);
	list_for_each_entry(k, &kthreads, list) {
		/*
		 * A kthread just created is listed before its thread
		 * publishes its task (kthread_main()), which it does without
		 * kthreads_lock: read the field in one access.
		 */
		if (READ_ONCE(k->task) == task) {
			list_del(&k->list);
			found = k;
			break;
		}
	}
	spin_unlock(&kthreads_lock);
	return found;
}

/* Stop @k (off the list already), wait for it, free it; its result. */
static int kthread_reap(struct kthread *k)
{
	int ret;

	__atomic_store_n(&k->should_stop, true, __ATOMIC_RELEASE);
	if (k->pid != plat_getpid()) {
		/* A child after fork(): the thread is the parent's; free what is ours. */
		if (k->stack.stack)
			__free_thread_stack(&k->stack);
		kfree(k);
		return -ESRCH;
	}
	plat_kthread_join(k->host);
	ret = k->result;
	kfree(k);
	return ret;
}

int kthread_stop(struct task_struct *task)
{
	struct kthread *k;

	might_sleep();
	k = task ? kthread_take(task) : NULL;
	if (!k) {
		WARN(1, "kthread_stop: %p is not a running kernel thread\n", task);
		return -EINVAL;
	}
	return kthread_reap(k);
}

bool kthread_should_stop(void)
{
	struct kthread *k = current->kthread;

	return k && __atomic_load_n(&k->should_stop, __ATOMIC_ACQUIRE);
}

/*
 * Inside a section: pthread_create() allocates the new thread's TLS, and
 * under libkmm-malloc.so an allocation made inside a section comes from
 * the bootstrap arena (src/preload/takeover.c), not back into the machine
 * from the middle of whatever wanted the thread.
 */
int kmm_lazy_thread_start(struct plat_lazy_thread *t, bool *reported, const char *fmt, ...)
{
	preempt_disable();
	int err = plat_lazy_start(t);
	preempt_enable();

	if (err == -ECHILD || err == -ESRCH)
		return 0;
	if (err && !__atomic_exchange_n(reported, true, __ATOMIC_RELAXED)) {
		char msg[128];
		va_list ap;

		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
		pr_err("%s: %d\n", msg, err);
	}
	return err;
}

/* At shutdown, first of all: no kthread may outlive the machine. */
void kthreads_exit(void)
{
	for (;;) {
		struct kthread *k = NULL;

		spin_lock(&kthreads_lock);
		if (!list_empty(&kthreads)) {
			k = list_first_entry(&kthreads, struct kthread, list);
			list_del(&k->list);
		}
		spin_unlock(&kthreads_lock);
		if (!k)
			return;
		WARN(k->pid == plat_getpid(), "kmm: kthread %s still running at shutdown: stopping it\n",
		     k->comm);
		kthread_reap(k);
	}
}
