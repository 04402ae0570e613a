/* SPDX-License-Identifier: MIT */
/*
 * Kernel stacks and kernel threads: THREAD_SIZE stacks of each size from
 * the page allocator and from vmalloc, a real host thread running on one,
 * STACK_END_MAGIC checked when the thread ends, the guard page below a
 * vmalloc'ed stack stopping a runaway recursion (in a child process),
 * KernelStack and vmallocinfo, many threads at once, and a reboot.
 */
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "helpers.h"

static unsigned long node_kstack_kb(int nid)
{
	kmm_vmstat_fold_all();
	return node_page_state(NODE_DATA(nid), NR_KERNEL_STACK_KB);
}

/* Lines of vmallocinfo that contain @needle. */
static int vmallocinfo_count(const char *needle)
{
	char *v = view("vmallocinfo");
	int n = 0;
	for (char *p = v; (p = strstr(p, needle)); p++)
		n++;
	free(v);
	return n;
}

/* What a thread saw of itself, published before it waits to be stopped. */
struct seen {
	unsigned long local;		/* the address of one of its locals */
	unsigned long stack;		/* task_stack_page(current) */
	unsigned long end;		/* *end_of_stack(current) */
	int cpu;
	int ready;
	int result;
};

static int report_and_wait(void *arg)
{
	struct seen *s = arg;
	volatile char here = 1;

	s->local = (unsigned long)&here;
	s->stack = (unsigned long)task_stack_page(get_current());
	s->end = *end_of_stack(get_current());
	s->cpu = get_cpu();
	put_cpu();
	__atomic_store_n(&s->ready, 1, __ATOMIC_RELEASE);
	while (!kthread_should_stop())
		msleep(1);
	return s->result;
}

static void wait_ready(struct seen *s)
{
	while (!__atomic_load_n(&s->ready, __ATOMIC_ACQUIRE))
		usleep(100);
}

static void one_stack(const char *cmdline, unsigned long size, bool vmap)
{
	boot_or_die(cmdline);
	cr_assert_eq(THREAD_SIZE, size, "%s: THREAD_SIZE %lu", cmdline, THREAD_SIZE);
	cr_assert_eq(kmm_vmap_stack(), vmap, "%s", cmdline);
	unsigned long base = meminfo_kb("KernelStack:");
	struct seen s = { .result = 42 };

	struct task_struct *t = kmm_kthread_run(report_and_wait, &s, "kstack-test");
	cr_assert(!IS_ERR_OR_NULL(t), "%s: kmm_kthread_run %ld", cmdline, PTR_ERR(t));
	wait_ready(&s);
	/* The thread's frames are on its kernel stack. */
	cr_assert(s.local > s.stack && s.local < s.stack + size,
		  "%s: local %#lx outside the stack %#lx+%lu", cmdline, s.local, s.stack, size);
	cr_assert_eq(s.stack % size, 0, "%s: stack %#lx not THREAD_SIZE aligned", cmdline, s.stack);
	cr_assert_eq(s.end, STACK_END_MAGIC);
	cr_assert(s.cpu >= 0 && s.cpu < (int)nr_cpu_ids);
	cr_assert_eq(is_vmalloc_addr((void *)s.stack), vmap, "%s", cmdline);
	if (!vmap)
		cr_assert(s.stack >= PAGE_OFFSET && s.stack < (unsigned long)high_memory);
	cr_assert_eq(meminfo_kb("KernelStack:"), base + (size >> 10));
	char line[96];
	snprintf(line, sizeof(line), "%7lu kmm_kthread_run+", size + PAGE_SIZE);
	cr_assert_eq(vmallocinfo_count(line), vmap ? 1 : 0, "%s", cmdline);
	snprintf(line, sizeof(line), " pages=%lu vmalloc", size / PAGE_SIZE);
	if (vmap)
		cr_assert_geq(vmallocinfo_count(line), 1);
	cr_assert_eq(kmm_check(), 0);

	cr_assert_eq(kthread_stop(t), 42);
	cr_assert_eq(meminfo_kb("KernelStack:"), base);
	cr_assert_eq(kmm_report_count(KMM_REPORT_BUG), 0);
	check_and_shutdown();
}

Test(kstack, sizes_and_sources_x86_64)
{
	one_stack("mem=512M", 16384, true);
	one_stack("mem=512M thread_size=4K", 4096, true);
	one_stack("mem=512M thread_size=8K vmap_stack=on", 8192, true);
	one_stack("mem=512M thread_size=4K vmap_stack=off", 4096, false);
	one_stack("mem=512M thread_size=8K vmap_stack=off", 8192, false);
	one_stack("mem=512M vmap_stack=off", 16384, false);
}

Test(kstack, sizes_and_sources_x86_32)
{
	one_stack("arch=x86_32 mem=1G", 8192, false);
	one_stack("arch=x86_32 mem=1G thread_size=4K", 4096, false);
	one_stack("arch=x86_32 mem=1G vmap_stack=on", 8192, true);
	one_stack("arch=x86_32 mem=1G thread_size=4K vmap_stack=on", 4096, true);
}

Test(kstack, bad_parameters)
{
	kmm_set_console(NULL);
	cr_assert_eq(kmm_boot("thread_size=12K"), -EINVAL);
	cr_assert_eq(kmm_boot("thread_size=64K"), -EINVAL);
	cr_assert_eq(kmm_boot("thread_size=2K"), -EINVAL);
	cr_assert_eq(kmm_boot("vmap_stack=maybe"), -EINVAL);
	cr_assert(dmesg_has("Malformed kernel command line parameter \"vmap_stack=maybe\""));
	/* Nothing is left of a boot that failed: the next one works. */
	boot_or_die("thread_size=8K");
	cr_assert_eq(THREAD_SIZE, 8192);
	check_and_shutdown();
}

/* --- STACK_END_MAGIC --- */

static int overwrite_end(void *arg)
{
	*end_of_stack(get_current()) = 0xdead;
	return (int)(long)arg;
}

static void end_magic(const char *cmdline)
{
	boot_or_die(cmdline);
	unsigned long base = meminfo_kb("KernelStack:");
	struct task_struct *t = kmm_kthread_run(overwrite_end, (void *)7L, "overrun");
	cr_assert(!IS_ERR_OR_NULL(t));
	cr_assert_eq(kthread_stop(t), 7);
	cr_assert_eq(kmm_report_count(KMM_REPORT_BUG), 1, "%s", cmdline);
	cr_assert(dmesg_has("Thread overran stack, or stack corrupted\n"));
	cr_assert(dmesg_has(" of overrun ends in 0xdead, not STACK_END_MAGIC"));
	/* Freed all the same. */
	cr_assert_eq(meminfo_kb("KernelStack:"), base);

	/* A well-behaved thread afterwards: no second report. */
	struct seen s = { .result = 3 };
	t = kmm_kthread_run(report_and_wait, &s, "fine");
	wait_ready(&s);
	cr_assert_eq(kthread_stop(t), 3);
	cr_assert_eq(kmm_report_count(KMM_REPORT_BUG), 1);
	check_and_shutdown();
}

Test(kstack, end_magic_checked_when_the_thread_ends)
{
	end_magic("mem=512M");
	end_magic("mem=512M vmap_stack=off thread_size=8K");
	end_magic("arch=x86_32 mem=1G");
}

Test(kstack, stack_api_and_bad_input)
{
	boot_or_die("mem=512M numa=fake=2");
	struct kmm_thread_stack ts[2], bogus = { 0 };
	unsigned long n0 = node_kstack_kb(0);
	unsigned long n1 = node_kstack_kb(1);

	cr_assert_eq(kmm_alloc_thread_stack_node(&ts[0], 0), 0);
	cr_assert_eq(kmm_alloc_thread_stack_node(&ts[1], 1), 0);
	cr_assert_eq(*(unsigned long *)ts[0].stack, STACK_END_MAGIC);
	cr_assert_not_null(ts[1].stack_vm_area);
	cr_assert_eq(page_to_nid(vmalloc_to_page(ts[1].stack)), 1);
	/* Zeroed above the magic, as Linux's stacks. */
	for (unsigned long i = sizeof(long); i < THREAD_SIZE; i++)
		cr_assert_eq(((char *)ts[0].stack)[i], 0);
	/* Per node, as NR_KERNEL_STACK_KB is a node counter. */
	cr_assert_eq(node_kstack_kb(0), n0 + 16);
	cr_assert_eq(node_kstack_kb(1), n1 + 16);
	char *zi = view("zoneinfo");
	cr_assert_not_null(strstr(zi, "nr_kernel_stack"));
	free(zi);
	cr_assert_eq(kmm_check(), 0);

	/* Not a stack: reported, nothing changes. */
	bogus.stack = ts[0].stack;
	kmm_free_thread_stack(&bogus);
	cr_assert_eq(kmm_report_count(KMM_REPORT_WARN), 1);
	cr_assert(dmesg_has("is not a live kernel stack"));
	cr_assert_eq(kmm_check(), 0);
	/* Not a kthread's task. */
	cr_assert_eq(kthread_stop(get_current()), -EINVAL);
	cr_assert_eq(kmm_report_count(KMM_REPORT_WARN), 2);
	cr_assert_null(task_stack_page(get_current()));
	cr_assert_null(end_of_stack(get_current()));
	cr_assert(!task_stack_end_corrupted(get_current()));

	/* A corrupted end, found when the stack is given back. */
	*(unsigned long *)ts[1].stack = 0;
	kmm_free_thread_stack(&ts[1]);
	cr_assert_eq(kmm_report_count(KMM_REPORT_BUG), 1);
	cr_assert_null(ts[1].stack);
	kmm_free_thread_stack(&ts[1]);		/* freed already: nothing */
	kmm_free_thread_stack(NULL);
	kmm_free_thread_stack(&ts[0]);
	cr_assert_eq(node_kstack_kb(0), n0);
	cr_assert_eq(node_kstack_kb(1), n1);
	cr_assert_eq(kmm_report_count(KMM_REPORT_BUG), 1);
	cr_assert_eq(kmm_report_count(KMM_REPORT_WARN), 2);
	check_and_shutdown();
}

/* Freed stacks go to the CPU's cache of two and come back zeroed. */
Test(kstack, vmap_stack_cache)
{
	boot_or_die("mem=512M cpus=1");
	struct kmm_thread_stack ts[3];
	void *first[3];

	int areas0 = vmallocinfo_count(" pages=4 vmalloc");

	for (int i = 0; i < 3; i++) {
		cr_assert_eq(kmm_alloc_thread_stack_node(&ts[i], NUMA_NO_NODE), 0);
		first[i] = ts[i].stack;
		memset((char *)ts[i].stack + 64, 0xaa, 256);
	}
	for (int i = 0; i < 3; i++)
		kmm_free_thread_stack(&ts[i]);
	/* Two are cached, still vmalloc areas; the third was vfree'd. */
	cr_assert_eq(vmallocinfo_count(" pages=4 vmalloc"), areas0 + 2);
	cr_assert_eq(meminfo_kb("KernelStack:"), 0);
	cr_assert_eq(kmm_check(), 0);
	cr_assert_eq(kmm_alloc_thread_stack_node(&ts[0], NUMA_NO_NODE), 0);
	cr_assert(ts[0].stack == first[0] || ts[0].stack == first[1]);
	for (int i = 64; i < 64 + 256; i++)
		cr_assert_eq(((unsigned char *)ts[0].stack)[i], 0);
	cr_assert_eq(vmallocinfo_count(" pages=4 vmalloc"), areas0 + 2);
	kmm_free_thread_stack(&ts[0]);
	check_and_shutdown();
}

/* --- the guard page: a runaway recursion, in a child process --- */

static int deep(int n)
{
	volatile char frame[200];

	frame[0] = (char)n;
	frame[199] = (char)n;
	/* Never false: the guard page ends it first. */
	if (n < (1 << 30))
		n += deep(n + 1);
	return n + frame[0] + frame[199];
}

static int recurse(void *arg)
{
	(void)arg;
	pr_err("deep: stack %016lx\n", (unsigned long)task_stack_page(get_current()));
	return deep(0);
}

/* In fault_in_child()'s child: a machine of its own, a kthread that recurses. */
static void overflow_a_kthread(void *arg)
{
	(void)arg;
	if (kmm_boot("mem=256M"))
		_exit(3);
	struct task_struct *t = kmm_kthread_run(recurse, NULL, "deep");
	if (IS_ERR(t))
		_exit(4);
	kthread_stop(t);
	_exit(0);	/* not reached: the recursion never ends */
}

Test(kstack, guard_page_stops_an_overflow, .timeout = 60)
{
	int sig;
	char *r = fault_in_child(overflow_a_kthread, NULL, &sig);

	/* The host's verdict is SIGSEGV; ASan's or TSan's handler reports and exits instead. */
	cr_assert(sig == SIGSEGV || (KMM_SANITIZER_EXITS && (sig == SIGABRT || sig == -1)),
		  "signal %d: %s", sig, r);
	unsigned long stack = 0;
	const char *line = strstr(r, "deep: stack ");
	cr_assert(line && sscanf(line, "deep: stack %lx", &stack) == 1, "%s", r);
	char want[160];
	snprintf(want, sizeof(want), "(stack is %016lx..%016lx)\n", stack, stack + 16384);
	cr_assert_not_null(strstr(r, "BUG: TASK stack guard page was hit at "), "%s", r);
	cr_assert_not_null(strstr(r, want), "%s", r);
	/* The address is in the page below the stack. */
	unsigned long hit = strtoul(strstr(r, "was hit at ") + 11, NULL, 16);
	cr_assert(hit >= stack - PAGE_SIZE && hit < stack, "hit %#lx, stack %#lx", hit, stack);
	cr_assert_not_null(strstr(r, "kmm: kernel stack overflow in deep"), "%s", r);
	cr_assert_not_null(strstr(r, "Oops: stack guard page: 0000 [#1]"), "%s", r);
	cr_assert_null(strstr(r, "unable to handle page fault"), "%s", r);
	free(r);
}

/* --- many at once --- */

struct worker_arg {
	int id;
	int spins;
	long sum;
};

static int alloc_work(void *p)
{
	struct worker_arg *a = p;

	for (int i = 0; i < a->spins; i++) {
		long *obj = kmalloc(32 + (size_t)(i % 200), GFP_KERNEL);
		if (!obj)
			return -ENOMEM;
		obj[0] = a->id + i;
		a->sum += obj[0];
		kfree(obj);
		if (i % 64 == 0)
			cond_resched();
	}
	while (!kthread_should_stop())
		msleep(1);
	return a->id;
}

#define MANY 64

Test(kstack, many_kthreads_at_once, .timeout = 120)
{
	boot_or_die("mem=512M cpus=2");
	long threads0 = host_threads();
	unsigned long base = meminfo_kb("KernelStack:");
	static struct worker_arg args[MANY];
	struct task_struct *t[MANY];

	for (int i = 0; i < MANY; i++) {
		args[i] = (struct worker_arg){ .id = i, .spins = 500 };
		char name[16];
		snprintf(name, sizeof(name), "worker/%d", i);
		t[i] = kmm_kthread_run(alloc_work, &args[i], name);
		cr_assert(!IS_ERR_OR_NULL(t[i]), "thread %d: %ld", i, PTR_ERR(t[i]));
	}
	cr_assert_eq(host_threads_down_to(threads0 + MANY), threads0 + MANY);
	cr_assert_eq(meminfo_kb("KernelStack:"), base + MANY * 16);
	cr_assert_eq(vmallocinfo_count("kmm_kthread_run+"), MANY);
	for (int i = 0; i < MANY; i++) {
		cr_assert_eq(kthread_stop(t[i]), i);
		long want = 0;
		for (int k = 0; k < 500; k++)
			want += i + k;
		cr_assert_eq(args[i].sum, want);
	}
	cr_assert_eq(meminfo_kb("KernelStack:"), base);
	cr_assert_eq(host_threads_down_to(threads0), threads0);
	cr_assert_eq(kmm_report_count(KMM_REPORT_BUG) + kmm_report_count(KMM_REPORT_WARN), 0);
	check_and_shutdown();
}

/* --- shutdown and boot again --- */

Test(kstack, reboot_leaks_nothing, .timeout = 120)
{
	long threads0 = host_threads();
	unsigned long free0 = 0, vm0 = 0;

	for (int round = 0; round < 3; round++) {
		boot_or_die(round == 1 ? "mem=512M vmap_stack=off" : "mem=512M");
		if (round == 0) {
			free0 = total_free();
			vm0 = meminfo_kb("VmallocUsed:");
		} else if (round == 2) {
			/* What the first boot had: the last one left nothing. */
			cr_assert_eq(total_free(), free0);
			cr_assert_eq(meminfo_kb("VmallocUsed:"), vm0);
		}
		cr_assert_eq(meminfo_kb("KernelStack:"), 0);
		struct seen s[4] = { { .result = 1 }, { .result = 2 }, { .result = 3 }, { .result = 4 } };
		struct task_struct *t[4];
		for (int i = 0; i < 4; i++) {
			t[i] = kmm_kthread_run(report_and_wait, &s[i], "rebooter");
			cr_assert(!IS_ERR_OR_NULL(t[i]));
			wait_ready(&s[i]);
		}
		for (int i = 0; i < 2; i++)
			cr_assert_eq(kthread_stop(t[i]), i + 1);
		/* Two left running: shutdown stops them, with a warning each. */
		cr_assert_eq(kmm_check(), 0);
		kmm_shutdown();
		cr_assert_eq(kmm_report_count(KMM_REPORT_WARN), 2);
		cr_assert_eq(host_threads_down_to(threads0), threads0);
	}
	/* No machine: no thread. */
	cr_assert_eq(PTR_ERR(kmm_kthread_run(report_and_wait, NULL, "none")), -ENODEV);
}
