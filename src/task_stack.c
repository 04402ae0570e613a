/* SPDX-License-Identifier: MIT */
/*
 * Kernel stacks, as Linux's kernel/fork.c allocates, accounts and frees
 * them (alloc_thread_stack_node, account_kernel_stack, free_thread_stack).
 *
 * Two sources, chosen at boot (vmap_stack=, see task_stack.h):
 *
 *   pages    THREAD_SIZE_ORDER pages of lowmem, used through the direct
 *            map.  What lies below the stack is some other page: a thread
 *            that runs off the end silently overwrites it, and only the
 *            STACK_END_MAGIC word at the stack's end may tell afterwards.
 *
 *   vmalloc  a THREAD_SIZE area aligned to THREAD_SIZE (THREAD_ALIGN).  The
 *            area below ends in its guard page, or is free address space:
 *            either way no page is mapped right below the stack, so an
 *            overflow faults on its first access, and handle_stack_overflow()
 *            reports it as Linux's x86 does before the task dies.  A freed
 *            stack goes to a cache of two per CPU (still vmalloc'ed, no
 *            longer KernelStack), and the next stack on that CPU reuses it,
 *            zeroed: vmalloc and vfree cost host mappings.
 *
 *             stack + THREAD_SIZE  +--------------------------+
 *                                  | frames, growing down     |
 *                                  |            ...           |
 *             stack                | STACK_END_MAGIC          |
 *                                  +--------------------------+
 *             stack - PAGE_SIZE    | never mapped (vmalloc)   |
 *
 * KernelStack counts THREAD_SIZE / 1024 kB per live stack on the node of
 * its pages (a vmalloc'ed stack's pages may lie on several), as
 * NR_KERNEL_STACK_KB.  Every live stack is on kstack_list, which the
 * checker, the memory-map view and shutdown walk.
 *
 * Linux frees a stack through RCU (a reader may still look at a dead
 * task); kmm has no readers of other tasks' stacks and frees it at once.
 *
 * Lock order: kstack_lock is innermost; nothing is allocated under it.
 */
#include "vmalloc.h"
#include "param.h"
#include "annotate.h"
#include <kmm/vmstat.h>

#define NR_CACHED_STACKS 2

static unsigned long thread_size_param;	/* thread_size=, 0: the arch's */
static int vmap_stack_param = -1;	/* vmap_stack=, -1: the arch's */
static unsigned long thread_size = 16384;
static unsigned int thread_order = 2;
static bool vmap_stack = true;

static LIST_HEAD(kstack_list);
static spinlock_t kstack_lock;
/* cached_stacks[cpu * NR_CACHED_STACKS + i]: touched by @cpu's holder only. */
static struct vm_struct **cached_stacks;
static size_t cached_stacks_size;

static int setup_thread_size(const char *val)
{
	u64 v;

	if (kmm_parse_size(val, &v) || v < 4096 || v > 32768 || (v & (v - 1)))
		return -EINVAL;
	thread_size_param = (unsigned long)v;
	return 0;
}

static int setup_vmap_stack(const char *val)
{
	if (!val || !strcmp(val, "on") || !strcmp(val, "1"))
		vmap_stack_param = 1;
	else if (!strcmp(val, "off") || !strcmp(val, "0"))
		vmap_stack_param = 0;
	else
		return -EINVAL;
	return 0;
}

static void kstack_param_reset(void)
{
	thread_size_param = 0;
	vmap_stack_param = -1;
}

kmm_param("thread_size", setup_thread_size, kstack_param_reset);
kmm_param("vmap_stack", setup_vmap_stack, NULL);

unsigned long kmm_thread_size(void)
{
	return thread_size;
}

bool kmm_vmap_stack(void)
{
	return vmap_stack;
}

int kstack_init(void)
{
	bool x86_32 = kmm_arch() == KMM_ARCH_X86_32;

	thread_size = thread_size_param ? thread_size_param : x86_32 ? 8192 : 16384;
	thread_order = get_order(thread_size);
	vmap_stack = vmap_stack_param >= 0 ? vmap_stack_param : !x86_32;
	cached_stacks_size = PAGE_ALIGN(nr_cpu_ids * NR_CACHED_STACKS * sizeof(*cached_stacks));
	cached_stacks = plat_host_zalloc(cached_stacks_size);
	if (!cached_stacks)
		return -ENOMEM;
	INIT_LIST_HEAD(&kstack_list);
	pr_info("kmm: kernel stacks: THREAD_SIZE %lu KiB from %s\n", thread_size >> 10,
		vmap_stack ? "vmalloc, with a guard page" : "the page allocator");
	return 0;
}

/* Before vmalloc goes: the cached stacks are vmalloc areas. */
void kstack_exit(void)
{
	if (!cached_stacks)
		return;
	for (unsigned int i = 0; i < nr_cpu_ids * NR_CACHED_STACKS; i++)
		if (cached_stacks[i])
			vfree(cached_stacks[i]->addr);
	plat_host_free(cached_stacks, cached_stacks_size);
	cached_stacks = NULL;
	WARN(!list_empty(&kstack_list), "kmm: kernel stacks still allocated at shutdown\n");
	INIT_LIST_HEAD(&kstack_list);
}

static void take_cpu_stacks(int cpu, void *arg)
{
	struct vm_struct **out = arg;

	for (int i = 0; i < NR_CACHED_STACKS; i++) {
		out[i] = cached_stacks[cpu * NR_CACHED_STACKS + i];
		cached_stacks[cpu * NR_CACHED_STACKS + i] = NULL;
	}
}

/*
 * Free every CPU's cached stacks, as Linux's free_vm_stack_cache() does for
 * a CPU going offline: for whoever needs the counters exact (the fail-nth
 * sweeps), since which CPU's cache a freed stack lands in is up to timing.
 * Called preemptible.
 */
void kstack_drain_caches(void)
{
	if (!cached_stacks)
		return;
	for (unsigned int cpu = 0; cpu < nr_cpu_ids; cpu++) {
		struct vm_struct *vm[NR_CACHED_STACKS];

		kmm_run_on_cpu((int)cpu, take_cpu_stacks, vm);
		for (int i = 0; i < NR_CACHED_STACKS; i++)
			if (vm[i])
				vfree(vm[i]->addr);
	}
}

/* A stack this CPU's cache holds, or NULL. */
static struct vm_struct *take_cached_stack(void)
{
	struct vm_struct *vm = NULL;
	int cpu = get_cpu();

	for (int i = 0; i < NR_CACHED_STACKS && !vm; i++) {
		vm = cached_stacks[cpu * NR_CACHED_STACKS + i];
		cached_stacks[cpu * NR_CACHED_STACKS + i] = NULL;
	}
	put_cpu();
	return vm;
}

static bool cache_stack(struct vm_struct *vm)
{
	int cpu = get_cpu();

	for (int i = 0; i < NR_CACHED_STACKS; i++) {
		if (!cached_stacks[cpu * NR_CACHED_STACKS + i]) {
			cached_stacks[cpu * NR_CACHED_STACKS + i] = vm;
			put_cpu();
			return true;
		}
	}
	put_cpu();
	return false;
}

static int alloc_vmap_stack(struct kmm_thread_stack *ts, int node, const void *caller)
{
	struct vm_struct *vm = take_cached_stack();
	void *stack;

	if (vm) {
		annot_plain(vm->addr, thread_size);
		/* No stale frames of the last thread for the next one. */
		memset(vm->addr, 0, thread_size);
		ts->stack = vm->addr;
		ts->stack_vm_area = vm;
		return 0;
	}
	/* THREAD_ALIGN is THREAD_SIZE, as on x86. */
	stack = __vmalloc_node(thread_size, thread_size, GFP_KERNEL | __GFP_ZERO, node, caller);
	if (!stack)
		return -ENOMEM;
	ts->stack = stack;
	ts->stack_vm_area = find_vm_area(stack);
	return 0;
}

static void account_kernel_stack(struct kmm_thread_stack *ts, int account)
{
	struct vm_struct *vm = ts->stack_vm_area;

	if (vm) {
		for (unsigned int i = 0; i < vm->nr_pages; i++)
			mod_node_page_state(page_pgdat(vm->pages[i]), NR_KERNEL_STACK_KB,
					    account * (long)(PAGE_SIZE / 1024));
	} else {
		mod_node_page_state(page_pgdat(virt_to_page(ts->stack)), NR_KERNEL_STACK_KB,
				    account * (long)(thread_size / 1024));
	}
}

__noinline int __alloc_thread_stack_node(struct kmm_thread_stack *ts, int node,
					const void *caller)
{
	if (!caller)
		caller = __builtin_return_address(0);
	might_sleep();
	ts->stack = NULL;
	ts->stack_vm_area = NULL;
	if (!kmm_machine_up)
		return -ENODEV;
	if (vmap_stack) {
		if (alloc_vmap_stack(ts, node, caller))
			return -ENOMEM;
	} else {
		/* Linux's THREADINFO_GFP: zeroed, accounted, lowmem. */
		struct page *page = alloc_pages_node(node, GFP_KERNEL_ACCOUNT | __GFP_ZERO,
						     thread_order);
		if (!page)
			return -ENOMEM;
		ts->stack = page_address(page);
	}
	/* set_task_stack_end_magic(): the end is the lowest word. */
	*(unsigned long *)ts->stack = STACK_END_MAGIC;
	account_kernel_stack(ts, 1);
	spin_lock(&kstack_lock);
	list_add(&ts->list, &kstack_list);
	spin_unlock(&kstack_lock);
	return 0;
}

/* vmallocinfo names this function, as Linux names kernel_clone for any fork. */
int kmm_alloc_thread_stack_node(struct kmm_thread_stack *ts, int node)
{
	int err = __alloc_thread_stack_node(ts, node, NULL);

	barrier();	/* no tail call: the return address must be in here */
	return err;
}

static bool stack_end_corrupted(const struct kmm_thread_stack *ts)
{
	return *(const unsigned long *)ts->stack != STACK_END_MAGIC;
}

static void report_stack_end(const struct kmm_thread_stack *ts)
{
	kmm_report_count_inc(KMM_REPORT_BUG);
	pr_emerg("Thread overran stack, or stack corrupted\n");
	pr_emerg("kmm: the kernel stack %016lx-%016lx of %s ends in %#lx, not STACK_END_MAGIC\n",
		 (unsigned long)ts->stack, (unsigned long)ts->stack + thread_size, kmm_comm(),
		 *(const unsigned long *)ts->stack);
	add_taint(TAINT_DIE);
	dump_stack();
}

void __free_thread_stack(struct kmm_thread_stack *ts)
{
	struct vm_struct *vm = ts->stack_vm_area;

	if (stack_end_corrupted(ts))
		report_stack_end(ts);
	account_kernel_stack(ts, -1);
	spin_lock(&kstack_lock);
	list_del(&ts->list);
	spin_unlock(&kstack_lock);
	if (vm) {
		if (!cache_stack(vm))
			vfree(ts->stack);
	} else {
		__free_pages(virt_to_page(ts->stack), thread_order);
	}
	ts->stack = NULL;
	ts->stack_vm_area = NULL;
}

void kmm_free_thread_stack(struct kmm_thread_stack *ts)
{
	bool live;

	if (!ts || !ts->stack)
		return;
	might_sleep();
	/* Validate before changing anything: is @ts on the list, whole? */
	spin_lock(&kstack_lock);
	live = ts->list.next && ts->list.prev && ts->list.next->prev == &ts->list &&
	       ts->list.prev->next == &ts->list;
	spin_unlock(&kstack_lock);
	if (!live) {
		WARN(1, "kmm_free_thread_stack: %p is not a live kernel stack\n", ts->stack);
		return;
	}
	__free_thread_stack(ts);
}

/* --- current's stack --- */

struct task_struct *get_current(void)
{
	return current;
}

void *task_stack_page(const struct task_struct *task)
{
	return task->stack ? task->stack->stack : NULL;
}

unsigned long *end_of_stack(const struct task_struct *task)
{
	return task_stack_page(task);
}

bool task_stack_end_corrupted(const struct task_struct *task)
{
	return task->stack && stack_end_corrupted(task->stack);
}

/*
 * Linux's x86 handle_stack_overflow(): the fault hit the page just below
 * the running thread's stack.  Called from the fault handler, on the
 * thread's signal stack; the process dies when it returns.
 */
bool handle_stack_overflow(unsigned long addr)
{
	const struct kmm_thread_stack *ts = current->stack;
	unsigned long lo;

	if (!ts || !ts->stack_vm_area)
		return false;
	lo = (unsigned long)ts->stack;
	if (addr >= lo || addr < lo - PAGE_SIZE)
		return false;
	pr_emerg("BUG: TASK stack guard page was hit at %016lx (stack is %016lx..%016lx)\n",
		 addr, lo, lo + thread_size);
	pr_emerg("kmm: kernel stack overflow in %s: the page below its stack is its guard page\n",
		 kmm_comm());
	pr_emerg("Oops: stack guard page: 0000 [#1] SMP NOPTI\n");
	add_taint(TAINT_DIE);
	dump_stack();
	kmm_report_count_inc(KMM_REPORT_BUG);
	return true;
}

/* --- views and checks --- */

void kstack_for_each_range(void (*fn)(unsigned long pfn, unsigned long nr, void *arg), void *arg)
{
	struct kmm_thread_stack *ts;

	spin_lock(&kstack_lock);
	list_for_each_entry(ts, &kstack_list, list) {
		struct vm_struct *vm = ts->stack_vm_area;

		if (!vm) {
			fn(page_to_pfn(virt_to_page(ts->stack)), 1UL << thread_order, arg);
			continue;
		}
		for (unsigned int i = 0; i < vm->nr_pages; i++)
			fn(page_to_pfn(vm->pages[i]), 1, arg);
	}
	spin_unlock(&kstack_lock);
}

/* With the machine stopped: each live stack whole, KernelStack their sum. */
void kmm_check_kstacks(void)
{
	struct kmm_thread_stack *ts;
	unsigned long kb = 0, n = 0;

	if (!cached_stacks)
		return;
	list_for_each_entry(ts, &kstack_list, list) {
		struct vm_struct *vm = ts->stack_vm_area;

		if (++n > max_pfn) {
			KMM_CHECK(0, "the list of kernel stacks is circular");
			break;
		}
		KMM_CHECK(IS_ALIGNED((unsigned long)ts->stack, thread_size),
			  "kernel stack %p is not THREAD_SIZE aligned", ts->stack);
		KMM_CHECK(!stack_end_corrupted(ts), "kernel stack %p: its end holds %#lx, not STACK_END_MAGIC",
			  ts->stack, *(unsigned long *)ts->stack);
		if (vm) {
			KMM_CHECK(vm->addr == ts->stack && vm->nr_pages == thread_size >> PAGE_SHIFT,
				  "kernel stack %p: vm area %p with %u pages", ts->stack, vm->addr,
				  vm->nr_pages);
		} else {
			struct page *page = virt_to_page(ts->stack);
			KMM_CHECK(page_ref_count(page) > 0 && !PageBuddy(page),
				  "kernel stack %p: its pages are free", ts->stack);
		}
		kb += thread_size / 1024;
	}
	for (unsigned int i = 0; i < nr_cpu_ids * NR_CACHED_STACKS; i++) {
		struct vm_struct *vm = cached_stacks[i];
		KMM_CHECK(!vm || vm == find_vm_area(vm->addr),
			  "CPU %u's cached kernel stack %p is no vm area", i / NR_CACHED_STACKS,
			  vm ? vm->addr : NULL);
	}
	KMM_CHECK(kb == global_node_page_state(NR_KERNEL_STACK_KB),
		  "KernelStack counts %lu kB, the live kernel stacks hold %lu kB",
		  global_node_page_state(NR_KERNEL_STACK_KB), kb);
}
