/* SPDX-License-Identifier: MIT */
/*
 * Kernel threads, as Linux's kthread.h: a function run by a thread of its
 * own on a kernel stack (task_stack.h).
 *
 * Each is a real host thread whose work runs on its THREAD_SIZE stack:
 * a deep recursion overflows it exactly as in a kernel, into the guard
 * page with vmap_stack= (reported, then the process dies of SIGSEGV, as
 * an oops ends the task), or past STACK_END_MAGIC without it (reported
 * when the thread ends).  The thread is a kmm task like any other: it
 * runs on a simulated CPU while it is in the allocator.
 *
 * kmm's deviation: a thread whose function returns ends at once (its
 * stack is freed then); its task stays valid for kthread_stop(), which
 * every thread needs, as in Linux a kthread that may exit on its own must
 * still be reaped.  kmm_shutdown() stops the threads left running, with a
 * warning; a function that never looks at kthread_should_stop() then
 * keeps shutdown waiting, as it would keep Linux's kthread_stop().  A
 * child process after fork() has none of its parent's kernel threads.
 */
#ifndef KMM_KTHREAD_H
#define KMM_KTHREAD_H

#pragma GCC visibility push(default)

#include <kmm/types.h>
#include <kmm/err.h>

struct task_struct;

/**
 * kmm_kthread_run - create a kernel thread and start it
 * @threadfn: the thread's work; its return value is kthread_stop()'s
 * @data: @threadfn's argument
 * @name: the thread's name (comm), at most 15 characters kept
 *
 * The stack is allocated on the calling CPU's node.
 * Context: may sleep; returns once the thread runs.
 * Return: the new task, or ERR_PTR(-ENOMEM), ERR_PTR(-EAGAIN) (no host
 * thread), ERR_PTR(-ENODEV) (no machine).
 */
struct task_struct *kmm_kthread_run(int (*threadfn)(void *data), void *data, const char *name);
/* The same with the stack's pages from NUMA node @node. */
struct task_struct *kmm_kthread_run_on_node(int (*threadfn)(void *data), void *data, int node,
					    const char *name);
/**
 * kthread_stop - ask a kernel thread to stop and wait until it has
 * @k: a task from kmm_kthread_run()
 *
 * Sets kthread_should_stop() for the thread, waits for its function to
 * return and frees what is left of it; @k is invalid afterwards.
 * Return: the thread function's result; -EINVAL for a task that is not a
 * live kernel thread (reported); -ESRCH in a child after fork().
 */
int kthread_stop(struct task_struct *k);
/* True once kthread_stop() was called for the calling kernel thread. */
bool kthread_should_stop(void);

#pragma GCC visibility pop

#endif /* KMM_KTHREAD_H */
