/* SPDX-License-Identifier: MIT */
/*
 * kmm: the Linux kernel's memory manager in user space.
 *
 * The umbrella header: it includes the whole Linux-named API and declares
 * what is kmm's own (kmm_ prefix): booting and shutting down the machine,
 * the consistency checker, the views, the log and the report counters.
 */
#ifndef KMM_KMM_H
#define KMM_KMM_H

#pragma GCC visibility push(default)

#include <stdio.h>
#include <kmm/types.h>
#include <kmm/list.h>
#include <kmm/gfp_types.h>
#include <kmm/gfp.h>
#include <kmm/mm_types.h>
#include <kmm/page-flags.h>
#include <kmm/page_ref.h>
#include <kmm/mmzone.h>
#include <kmm/mm.h>
#include <kmm/memblock.h>
#include <kmm/preempt.h>
#include <kmm/spinlock.h>
#include <kmm/printk.h>
#include <kmm/bug.h>
#include <kmm/shrinker.h>
#include <kmm/oom.h>
#include <kmm/vmstat.h>
#include <kmm/slab.h>
#include <kmm/poison.h>
#include <kmm/rcupdate.h>
#include <kmm/pgtable.h>
#include <kmm/vmalloc.h>
#include <kmm/highmem.h>
#include <kmm/percpu.h>
#include <kmm/percpu_counter.h>
#include <kmm/trace.h>
#include <kmm/fault-inject.h>
#include <kmm/err.h>
#include <kmm/task_stack.h>
#include <kmm/kthread.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * kmm_boot - boot the machine described by a kernel command line
 * @cmdline: e.g. "mem=2G arch=x86_32 cpus=4"; NULL or "" for the defaults
 *           (x86_64, mem=1G, cpus=2)
 *
 * One machine per process.  Parameters, with Linux's names: arch=, mem=,
 * memmap=SIZE@START / SIZE$START, cpus=, numa=fake=N, min_free_kbytes=,
 * watermark_scale_factor=, lowmem_reserve_ratio=, loglevel=, panic_on_warn;
 * thread_size= and vmap_stack= (kernel stacks, see task_stack.h).
 *
 * Return: 0, or -errno (-EINVAL for a bad parameter, which is named in the
 * log; -EBUSY if a machine is running; -ENOMEM).  A failed boot leaves
 * nothing behind.
 */
int kmm_boot(const char *cmdline);

/* Tear the machine down; kmm_boot() may be called again afterwards. */
void kmm_shutdown(void);

/* True while a machine is booted. */
bool kmm_booted(void);

/**
 * kmm_check - validate every structure of the machine
 *
 * Buddy lists against PageBuddy and their order, nr_free per order, per-CPU
 * list counts, zone free counts, reference counts, and conservation: free +
 * allocated + reserved = present pages.  Each problem found is reported.
 * Context: sleepable; it stops the allocator while it looks.
 * Return: the number of problems (0 when consistent).
 */
int kmm_check(void);

/**
 * kmm_show - print a view, in Linux's format, to @out
 * @view: "buddyinfo", "pagetypeinfo", "zoneinfo", "meminfo", "vmstat",
 *        "extfrag_index", "unusable_index", "dmesg", ...
 * Return: 0, or -ENOENT for an unknown view name.
 */
int kmm_show(const char *view, FILE *out);

/*
 * Wait until every vfree() deferred from atomic context is done (Linux's
 * flush of the free work).  Context: may sleep.
 */
void kmm_flush_deferred_vfree(void);

/**
 * kmm_view_write - write to a view, as to its debugfs file ("kmemleak" takes
 * "scan", "clear", "scan=<secs>", ...)
 * Return: what the view's write returns (0 or -errno), -EACCES for a view
 * that takes no writes, -ENOENT for an unknown name, -ENODEV with no machine.
 */
int kmm_view_write(const char *view, const char *buf);

/* The names kmm_show() knows, NULL-terminated. */
const char *const *kmm_view_names(void);

/* What the reporting module has counted since boot. */
enum kmm_report_kind {
	KMM_REPORT_WARN,		/* WARN / WARN_ON fired */
	KMM_REPORT_BUG,			/* BUG / VM_BUG_ON */
	KMM_REPORT_BAD_PAGE,		/* "BUG: Bad page state" */
	KMM_REPORT_MIGHT_SLEEP,		/* sleeping in atomic context */
	KMM_REPORT_ALLOC_FAIL,		/* "page allocation failure" printed */
	KMM_REPORT_OOM,			/* out-of-memory reports */
	KMM_REPORT_BAD_FREE,		/* a free the allocator refused */
	KMM_REPORT_CHECK,		/* problems kmm_check() found */
	KMM_REPORT_SLAB,		/* slab debugging reports */
	KMM_REPORT_VMALLOC,		/* vmalloc misuse reports */
	KMM_REPORT_KMAP,		/* kmap misuse reports */
	KMM_REPORT_PERCPU,		/* per-CPU allocator reports */
	KMM_REPORT_PAGE_POISON,		/* page_poison=1: "pagealloc: memory corruption" */
	KMM_REPORT_KFENCE,		/* "BUG: KFENCE: ..." */
	KMM_REPORT_KMEMLEAK,		/* unreferenced objects kmemleak reported */
	NR_KMM_REPORT_KINDS
};

unsigned long kmm_report_count(enum kmm_report_kind kind);
void kmm_report_reset(void);

/**
 * kmm_dmesg - copy the kernel log (the ring buffer dmesg shows) into @buf
 * Return: the length of the whole log (may exceed @size, as snprintf).
 */
size_t kmm_dmesg(char *buf, size_t size);
void kmm_dmesg_clear(void);

/* Where console messages go (default stderr); NULL silences the console. */
void kmm_set_console(FILE *out);

/*
 * The physical memory map: what holds each page frame (memmap_view.c).
 * KMM_PAGE_PERCPU is reserved for the per-CPU allocator to mark its
 * pages; today such pages are KMM_PAGE_OTHER or KMM_PAGE_VMALLOC.
 */
enum kmm_page_use {
	KMM_PAGE_HOLE,		/* beyond the RAM */
	KMM_PAGE_RESERVED,
	KMM_PAGE_FREE,		/* a buddy block (order set) or on a per-CPU list */
	KMM_PAGE_UNINIT,	/* free, its struct page not yet initialised */
	KMM_PAGE_SLAB,		/* cache set */
	KMM_PAGE_PGTABLE,
	KMM_PAGE_VMALLOC,
	KMM_PAGE_KSTACK,
	KMM_PAGE_PERCPU,
	KMM_PAGE_OTHER,		/* allocated, by alloc_pages or kmalloc of pages */
	NR_KMM_PAGE_USES
};

struct kmm_page_info {
	unsigned char use;	/* enum kmm_page_use */
	unsigned char order;	/* of the free buddy block */
	unsigned short cache;	/* slab pages: see kmm_describe_cache_name() */
};

/**
 * kmm_describe_pages - what holds each of the page frames [@start, @start + @nr)
 * @out: @nr entries
 * Context: sleepable; the machine is stopped while it is looked at.
 * Return: 0, or -ENODEV with no machine.
 */
int kmm_describe_pages(unsigned long start, unsigned long nr, struct kmm_page_info *out);
/* The slab cache numbered @id by the last kmm_describe_pages(), or NULL. */
const char *kmm_describe_cache_name(unsigned int id);
const char *kmm_page_use_name(enum kmm_page_use use);

/* The machine as booted. */
enum kmm_arch { KMM_ARCH_X86_64, KMM_ARCH_X86_32 };
enum kmm_arch kmm_arch(void);

#ifdef __cplusplus
}
#endif

#pragma GCC visibility pop

#endif /* KMM_KMM_H */
