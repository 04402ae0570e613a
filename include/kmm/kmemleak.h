/* SPDX-License-Identifier: MIT */
/*
 * kmemleak: a conservative, tracing garbage collector that reports what
 * it cannot find, as Linux's mm/kmemleak.c.
 *
 * With kmemleak=on (Linux's CONFIG_DEBUG_KMEMLEAK_DEFAULT_OFF with the
 * option given; off by default), every slab object (kmalloc,
 * kmem_cache_alloc), large kmalloc, vmalloc area and memblock allocation is
 * recorded with its allocation backtrace.  A scan reads the roots (the
 * writable data and bss of the program and of every shared object loaded,
 * libkmm's own among them; the stacks of the threads that have used the
 * machine; memblock allocations; objects registered with min_count 0) and,
 * from them, every object found referenced, word by word: any word that
 * points into a tracked object is a reference.  An object with fewer
 * references than its min_count (1 for slab objects, 2 for a vmalloc
 * area, whose vm_struct holds one) whose contents did not change since the
 * last scan and which is older than 5 s is reported, once:
 *
 *   unreferenced object 0xffff888012345678 (size 32):
 *     comm "test", pid 1234, jiffies 4294937296
 *     hex dump (first 32 bytes):
 *       6b 6b 6b 6b 6b 6b 6b 6b 6b 6b 6b 6b 6b 6b 6b 6b  kkkkkkkkkkkkkkkk
 *       ...
 *     backtrace (crc 5f3d0c1a):
 *       my_function+0x2c
 *       ...
 *
 * in the "kmemleak" view (/sys/kernel/debug/kmemleak), and in the kernel
 * log with kmemleak.verbose=1.  Writing to the view (kmm_view_write()) takes
 * Linux's commands: "scan", "clear", "scan=on", "scan=off", "scan=<secs>",
 * "stack=on", "stack=off", "dump=<addr>", "off".  The scan thread starts
 * at boot and scans 60 s later, then every 600 s, as Linux's auto-scan.
 *
 * kmm's boot options beside Linux's kmemleak=on|off and kmemleak.verbose=:
 * kmemleak.min_age=<ms> (Linux's MSECS_MIN_AGE, 5000), and
 * kmemleak.auto_scan=0|1 (Linux's CONFIG_DEBUG_KMEMLEAK_AUTO_SCAN, on).
 * Deviations: per-CPU objects and struct pages are neither tracked nor
 * scanned; thread-local storage outside the threads' stacks and other
 * threads' registers are not scanned (the minimum age is what keeps a
 * pointer held only in a register from being reported); the metadata is
 * host memory, not a slab cache of the machine.  As with any conservative
 * scan, a word that holds an address as a number is a reference too: the
 * first vmalloc area, at VMALLOC_START, is never reported.
 */
#ifndef KMM_KMEMLEAK_H
#define KMM_KMEMLEAK_H

#pragma GCC visibility push(default)

#include <kmm/types.h>
#include <kmm/gfp.h>

struct vm_struct;

/**
 * kmemleak_alloc - track a block of memory
 * @min_count: references it needs not to be a leak: 0 never reported (and
 *	always scanned: a root), -1 ignored (neither scanned nor reported)
 * Context: any.
 */
void kmemleak_alloc(const void *ptr, size_t size, int min_count, gfp_t gfp);
/* Stop tracking the block at @ptr (kfree, vfree, ... call it). */
void kmemleak_free(const void *ptr);
/* Stop tracking [@ptr, @ptr + @size) of a block; the rest stays tracked. */
void kmemleak_free_part(const void *ptr, size_t size);
/* The allocation backtrace becomes the caller's. */
void kmemleak_update_trace(const void *ptr);
/* Never report the block, and scan it: a false positive. */
void kmemleak_not_leak(const void *ptr);
/* Not reported at the next scan (its checksum is forgotten). */
void kmemleak_transient_leak(const void *ptr);
/* Neither scan nor report the block. */
void kmemleak_ignore(const void *ptr);
/* Scan only [@ptr, @ptr + @size) of the block (SIZE_MAX: to its end); may be called again. */
void kmemleak_scan_area(const void *ptr, size_t size, gfp_t gfp);
/* Report the block if it leaks, but never scan it for references. */
void kmemleak_no_scan(const void *ptr);
/* The same for a block known by its physical address (memblock's). */
void kmemleak_alloc_phys(phys_addr_t phys, size_t size, gfp_t gfp);
void kmemleak_free_part_phys(phys_addr_t phys, size_t size);
void kmemleak_ignore_phys(phys_addr_t phys);
/* A vmalloc area: min_count 2 (@area holds one); references to @area beyond its own count for it. */
void kmemleak_vmalloc(const struct vm_struct *area, size_t size, gfp_t gfp);

/**
 * kmm_kmemleak_scan - scan now, as "echo scan > /sys/kernel/debug/kmemleak"
 * Return: the number of newly reported objects, or -EPERM if kmemleak is off.
 * Context: sleepable.
 */
int kmm_kmemleak_scan(void);

#pragma GCC visibility pop

#endif /* KMM_KMEMLEAK_H */
