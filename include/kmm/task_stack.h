/* SPDX-License-Identifier: MIT */
/*
 * Kernel stacks: THREAD_SIZE bytes per thread, as Linux's
 * sched/task_stack.h and kernel/fork.c give them.
 *
 * A stack comes from the page allocator (THREAD_SIZE_ORDER pages of the
 * direct map, lowmem), or from vmalloc (Linux's CONFIG_VMAP_STACK), where
 * the page below the stack is never mapped: running off the end faults
 * at once ("BUG: TASK stack guard page was hit at ...") instead of
 * overwriting the memory next to it.  The lowest word holds
 * STACK_END_MAGIC; a thread that overran its stack without a guard page
 * to stop it is caught when the stack is given back ("Thread overran
 * stack, or stack corrupted").  Live stacks count in KernelStack
 * (NR_KERNEL_STACK_KB, per node) and vmalloc'ed ones show in
 * /proc/vmallocinfo under the caller that made the thread.
 *
 * Boot parameters (kmm's own: Linux fixes both when it is built):
 *   thread_size=4K|8K|16K|32K  THREAD_SIZE.  Default 8K on x86_32 (two
 *                              pages, as i386 without CONFIG_4KSTACKS),
 *                              16K on x86_64 (Linux's since 3.15); 4K is
 *                              the old CONFIG_4KSTACKS.
 *   vmap_stack=on|off          stacks from vmalloc.  Default on for x86_64
 *                              (Linux's default) and off for x86_32, where
 *                              Linux has no CONFIG_VMAP_STACK (kmm allows it).
 */
#ifndef KMM_TASK_STACK_H
#define KMM_TASK_STACK_H

#pragma GCC visibility push(default)

#include <kmm/types.h>
#include <kmm/list.h>

#define STACK_END_MAGIC		0x57AC6E9D

/* THREAD_SIZE of the running machine (thread_size=). */
unsigned long kmm_thread_size(void);
#define THREAD_SIZE		(kmm_thread_size())
#define THREAD_SIZE_ORDER	(get_order(THREAD_SIZE))
/* True if stacks come from vmalloc (vmap_stack=; Linux's CONFIG_VMAP_STACK). */
bool kmm_vmap_stack(void);

struct vm_struct;
struct task_struct;

/* A kernel stack, as a Linux task holds one (tsk->stack, tsk->stack_vm_area). */
struct kmm_thread_stack {
	void *stack;			/* the lowest address; grows down from stack + THREAD_SIZE */
	struct vm_struct *stack_vm_area;	/* its vmalloc area; NULL for pages */
	struct list_head list;		/* kmm's: on the list of live stacks */
};

/**
 * kmm_alloc_thread_stack_node - a zeroed kernel stack, as fork() makes one
 * @ts: where to keep it (the caller's; filled in)
 * @node: NUMA node for its pages, or NUMA_NO_NODE
 *
 * The stack's end (its lowest word) holds STACK_END_MAGIC; it counts in
 * KernelStack.  A vmalloc'ed stack may be one a freed thread left in this
 * CPU's cache of two, as Linux reuses them.
 * Context: may sleep.
 * Return: 0, or -ENOMEM.
 */
int kmm_alloc_thread_stack_node(struct kmm_thread_stack *ts, int node);
/**
 * kmm_free_thread_stack - give back a kernel stack, as a task's exit does
 * @ts: a stack from kmm_alloc_thread_stack_node(); NULL or freed: nothing
 *
 * A stack whose end no longer holds STACK_END_MAGIC is reported ("Thread
 * overran stack, or stack corrupted") and freed all the same; a @ts that
 * is not a live stack is reported and left alone.
 * Context: may sleep.
 */
void kmm_free_thread_stack(struct kmm_thread_stack *ts);

/* The calling thread's task (Linux's current). */
struct task_struct *get_current(void);
/* A kernel thread's stack (its lowest address); NULL for other threads. */
void *task_stack_page(const struct task_struct *task);
/* Where STACK_END_MAGIC lives; NULL for a thread without a kernel stack. */
unsigned long *end_of_stack(const struct task_struct *task);
bool task_stack_end_corrupted(const struct task_struct *task);

#pragma GCC visibility pop

#endif /* KMM_TASK_STACK_H */
