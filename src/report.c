/* SPDX-License-Identifier: MIT */
/*
 * WARN, BUG, panic and the report counters.
 *
 * Each report is printed in Linux's shape with a host backtrace and counted
 * where tests can read it (kmm_report_count()).  panic_on_warn turns a
 * warning into a panic; panic aborts the process after its report.
 */

#include <stdarg.h>
#include <stdio.h>
#include "internal.h"

int kmm_vprintk(const char *fmt, va_list ap);

static unsigned long report_counts[NR_KMM_REPORT_KINDS];
bool kmm_panic_on_warn;

void kmm_report_count_inc(enum kmm_report_kind kind)
{
	__atomic_add_fetch(&report_counts[kind], 1, __ATOMIC_RELAXED);
}

unsigned long kmm_report_count(enum kmm_report_kind kind)
{
	if ((unsigned int)kind >= NR_KMM_REPORT_KINDS)
		return 0;
	return __atomic_load_n(&report_counts[kind], __ATOMIC_RELAXED);
}

void kmm_report_reset(void)
{
	for (int i = 0; i < NR_KMM_REPORT_KINDS; i++)
		__atomic_store_n(&report_counts[i], 0, __ATOMIC_RELAXED);
	kmm_taint_reset();
}

const char *kmm_comm(void)
{
	struct task_struct *t = current;

	if (!t->comm[0])
		plat_thread_name(t->comm, sizeof(t->comm));
	if (!t->comm[0])
		return "kmm";
	return t->comm;
}

void __warn_printk(const char *file, int line, const char *func, const char *fmt, ...)
{
	kmm_report_count_inc(KMM_REPORT_WARN);
	printk(KERN_WARNING "------------[ cut here ]------------\n");
	if (fmt) {
		va_list ap;
		va_start(ap, fmt);
		kmm_vprintk(fmt, ap);
		va_end(ap);
	}
	printk(KERN_WARNING "WARNING: CPU: %d PID: %d at %s:%d %s\n",
	       current->preempt_count ? current->cpu : 0, plat_gettid(), file, line, func);
	printk(KERN_WARNING "Modules linked in:\n");
	if (kmm_panic_on_warn)
		panic("kernel: panic_on_warn set ...\n");
	add_taint(TAINT_WARN);
	dump_stack();
	printk(KERN_WARNING "---[ end trace 0000000000000000 ]---\n");
}

void __kmm_bug(const char *file, int line, const char *func)
{
	kmm_report_count_inc(KMM_REPORT_BUG);
	printk(KERN_CRIT "------------[ cut here ]------------\n");
	printk(KERN_CRIT "kernel BUG at %s:%d!\n", file, line);
	printk(KERN_EMERG "Oops: invalid opcode: 0000 [#1] SMP NOPTI\n");
	add_taint(TAINT_DIE);
	dump_stack();
	printk(KERN_EMERG "RIP: %s\n", func);
	printk(KERN_EMERG "---[ end trace 0000000000000000 ]---\n");
	panic("Fatal exception");
}

void panic(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	size_t n = strlen(msg);
	if (n && msg[n - 1] == '\n')
		msg[n - 1] = '\0';
	printk(KERN_EMERG "Kernel panic - not syncing: %s\n", msg);
	printk(KERN_EMERG "---[ end Kernel panic - not syncing: %s ]---\n", msg);
	plat_abort();
}

void kmm_vm_bug_on_page(const struct page *page, const char *cond,
			const char *file, int line, const char *func)
{
	char reason[256];

	snprintf(reason, sizeof(reason), "VM_BUG_ON_PAGE(%s)", cond);
	dump_page(page, reason);
	__kmm_bug(file, line, func);
}
