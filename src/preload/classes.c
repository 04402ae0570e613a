/* SPDX-License-Identifier: MIT */
/*
 * malloc's size classes, over slab caches.
 *
 * kmalloc's classes are powers of two with 96 and 192 between: a request
 * just over one (a 4.2 KiB page of sqlite's cache, a 600-byte hash table)
 * wastes up to half its object, and the program's RSS shows it.  So
 * malloc adds caches of its own between kmalloc's, four per doubling as
 * the allocator literature does (mimalloc, jemalloc):
 *
 *   16 32 [48] 64 [80] 96 [112] 128 [160] 192 [224] 256 [320 384 448] 512
 *   [640 768 896] 1k [1168 1360 1632] 2k [2336 2720 3264] 4k [4672 5456 6544] 8k
 *
 * Above 1 KiB a slab (32 KiB, order 3) holds few objects, and what an
 * object costs is its slab over their number, not its size: 7168 bytes
 * went four to a slab as 8192 do, 5120 six as 5456 do.  So each class
 * there is the largest multiple of 16 of which 7/8, 3/4 or 5/8 as many
 * fit a slab as of the power of two below it (28, 24, 20 of 32 ...):
 * a request just over a power of two (sqlite's 4368-byte cache pages, its
 * 1032-byte row-set chunks) costs a seventh of a slab, not a sixth, or a
 * 28th, not a 25th, and no request costs more than with 1280 ... 7168.
 * Below 1 KiB each class already is the largest for its count.
 *
 * Above 8 KiB, kmalloc's largest cache, malloc has four more: 10912
 * (three to an order-3 slab), 16384 (two), 32768 and 65536 (one to a slab
 * of order 3 and 4, calculate_order() keeping to slub_max_order or the
 * object's own order).  They waste no less than the compound pages of
 * kmalloc's large path that served these sizes, but an object of them
 * comes from the CPU's sheaf and goes back to it as any small one, and
 * free() knows it by its shadow byte: a page there cost the page
 * allocator's whole way (the zone's watermark, the CPU's page list, the
 * vmstat counters, the head page's tag) on each malloc and free, a third
 * of a bignum program's calls and a quarter of a many-size churn's.
 *
 * The bracketed ones are kmem_cache_create()d as "malloc-N" (16-byte
 * aligned, no merging with other caches' objects needed) when first
 * asked for: a short process (a shell's child, a compiler's driver) uses
 * a few sizes, and twenty caches made at boot were a slab of kmem_cache
 * objects (8 pages written) and a tenth of the boot's instructions.  With
 * slab debugging on for any of them they are all made at boot, so that
 * shim_layout_init() knows the granule of the shadow before anything is
 * served.  The rest are kmalloc's own caches.  Every object is still a slab object:
 * kfree(), ksize(), slabinfo and the checks see it as any other.
 *
 * A request maps to its class by a table of 16-byte steps up to 64 KiB
 * (4 KiB, of which requests up to 8 KiB use the first 513 bytes), filled
 * at boot, and the class to its cache by shim_classes[]: two loads on the
 * fast path and no branch.  The class number is what
 * the shadow byte of an object says (SH_CLASS + class), so free() finds
 * the cache without the object's struct page.
 */
#include <stdio.h>
#include "preload.h"
#include "slab.h"

struct kmem_cache *shim_classes[SHIM_NR_CLASSES];
struct kmem_cache_cpu *shim_parts[SHIM_NR_CLASSES];
u8 shim_class_of[SHIM_CLASS_STEPS + 1];

const unsigned int shim_class_sizes[] = {
	16, 32, 48, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384, 448, 512,
	640, 768, 896, 1024, 1168, 1360, 1632, 2048, 2336, 2720, 3264, 4096,
	4672, 5456, 6544, 8192, 10912, 16384, 32768, 65536,
};
#define NR_SHIM_CLASSES ARRAY_SIZE(shim_class_sizes)
_Static_assert(NR_SHIM_CLASSES == SHIM_NR_CLASSES, "one cache per class");
_Static_assert(SH_CLASS + NR_SHIM_CLASSES <= 255, "a class fits its shadow byte");

static char shim_class_names[NR_SHIM_CLASSES][24];

static bool is_kmalloc_size(unsigned int size)
{
	if (size > KMALLOC_MAX_CACHE_SIZE)
		return false;
	return !(size & (size - 1)) || size == 96 || size == 192;
}

/* The smallest class of at least @size bytes (@size <= SHIM_CLASS_MAX), from class @i up. */
static u8 class_for(size_t size, unsigned int i)
{
	while (shim_class_sizes[i] < size)
		i++;
	return (u8)i;
}

/* "malloc-<size>", written by hand: snprintf() was most of the boot's work here. */
static const char *class_name(unsigned int class)
{
	char digits[12], *name = shim_class_names[class];
	unsigned int size = shim_class_sizes[class], n = 0;

	do
		digits[n++] = (char)('0' + size % 10);
	while ((size /= 10));
	memcpy(name, "malloc-", 7);
	for (unsigned int i = 0; i < n; i++)
		name[7 + i] = digits[n - 1 - i];
	name[7 + n] = '\0';
	return name;
}

/* The fast paths' way to @class's cache @s: none for a debug cache, whose calls take the checked way. */
static void publish_parts(unsigned int class, struct kmem_cache *s)
{
	if (!kmem_cache_debug(s))
		__atomic_store_n(&shim_parts[class], s->cpu_slab, __ATOMIC_RELEASE);
}

/*
 * Make malloc's own cache for @class.  Two threads may race to make it:
 * the loser destroys its copy (or drops its alias of the winner's).  No
 * lock, so nothing for fork to hold.  Return: the cache, or NULL.
 */
struct kmem_cache *shim_class_make(unsigned int class)
{
	struct kmem_cache *s = kmem_cache_create(shim_class_names[class], shim_class_sizes[class],
						 SHIM_MIN_ALIGN, 0, NULL), *old = NULL;

	if (!s)
		return NULL;
	if (__atomic_compare_exchange_n(&shim_classes[class], &old, s, false,
					__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		publish_parts(class, s);
		return s;
	}
	kmem_cache_destroy(s);
	return old;
}

/* At boot, before the library serves anything.  Return: 0 or -ENOMEM. */
int shim_classes_init(void)
{
	bool debug = false;

	for (unsigned int i = 0; i < NR_SHIM_CLASSES; i++) {
		unsigned int size = shim_class_sizes[i];

		if (!is_kmalloc_size(size))
			debug |= kmem_cache_flags(0, class_name(i)) != 0;
	}
	for (unsigned int i = 0; i < NR_SHIM_CLASSES; i++) {
		unsigned int size = shim_class_sizes[i];

		if (is_kmalloc_size(size))
			shim_classes[i] = kmalloc_caches[KMALLOC_NORMAL][kmalloc_index(size)];
		else if (debug)
			shim_classes[i] = shim_class_make(i);
		else
			continue;
		if (!shim_classes[i])
			return -ENOMEM;
		publish_parts(i, shim_classes[i]);
	}
	/* Sizes rise with the step: each search starts where the last ended. */
	u8 c = 0;
	for (size_t i = 0; i <= SHIM_CLASS_STEPS; i++)
		shim_class_of[i] = c = class_for(i << SHIM_CLASS_SHIFT, c);
	return 0;
}
