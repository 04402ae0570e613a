/* SPDX-License-Identifier: MIT */
/*
 * Telling ASan and Valgrind about slab objects, in one place (as mimalloc
 * keeps its annotations in one header).
 *
 * The slab layer carves objects out of pages the tools know nothing about,
 * so without help a user's overflow past an object, or a use after free,
 * reads and writes memory the tools consider valid.  With these hooks:
 *  - a new slab is inaccessible as a whole;
 *  - an allocated object is accessible for the size asked (a kmalloc of 20
 *    bytes is 20 bytes to the tools, not 32; ksize() widens it);
 *  - a freed object is inaccessible again, until it is allocated again;
 *  - a slab given back to the page allocator is plain memory again.
 * Valgrind sees each cache as a memory pool (VALGRIND_CREATE_MEMPOOL), so
 * its objects are allocations with their own backtraces, and destroying
 * the cache (or the machine) drops them all at once.
 *
 * The allocator's own accesses to a free object (its free pointer) go
 * around the tools: an uninstrumented load or store for ASan, a moment of
 * "defined" for Valgrind.  Debug caches (slab_debug) are not annotated:
 * SLUB debugging checks their bytes itself.  SLAB_TYPESAFE_BY_RCU objects
 * stay accessible while free, since RCU readers may still look at them.
 *
 * The hooks are compiled in only for those tools: ASan builds
 * (-fsanitize=address) and -Dvalgrind=true builds.  Elsewhere they are
 * empty inlines and the fast path pays nothing.
 */
#ifndef KMM_ANNOTATE_H
#define KMM_ANNOTATE_H

#include <stdbool.h>
#include <stddef.h>

/* GCC says __SANITIZE_ADDRESS__; clang 14 (the fuzzer's) only answers __has_feature. */
#if defined(__SANITIZE_ADDRESS__)
#define KMM_ANNOTATE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define KMM_ANNOTATE_ASAN 1
#endif
#endif
#ifdef KMM_ANNOTATE_ASAN
#include <sanitizer/asan_interface.h>
#endif
#if defined(KMM_VALGRIND)
#define KMM_ANNOTATE_VALGRIND 1
#include <valgrind/memcheck.h>
#endif
#if defined(KMM_ANNOTATE_ASAN) || defined(KMM_ANNOTATE_VALGRIND)
#define KMM_ANNOTATE 1
#define KMM_ANNOTATE_ON 1
#else
#define KMM_ANNOTATE_ON 0
#endif

#ifdef KMM_ANNOTATE
/* A word of a free object, read or written by the allocator itself. */
static inline unsigned long annot_load_word(const unsigned long *addr)
{
	unsigned long v;
#ifdef KMM_ANNOTATE_VALGRIND
	VALGRIND_MAKE_MEM_DEFINED(addr, sizeof(*addr));
#endif
#if defined(KMM_ANNOTATE_ASAN) && defined(__x86_64__)
	__asm__ __volatile__("movq (%1), %0" : "=r"(v) : "r"(addr) : "memory");
#else
	v = *(volatile const unsigned long *)addr;
#endif
#ifdef KMM_ANNOTATE_VALGRIND
	VALGRIND_MAKE_MEM_NOACCESS(addr, sizeof(*addr));
#endif
	return v;
}

static inline void annot_store_word(unsigned long *addr, unsigned long v)
{
#ifdef KMM_ANNOTATE_VALGRIND
	VALGRIND_MAKE_MEM_UNDEFINED(addr, sizeof(*addr));
#endif
#if defined(KMM_ANNOTATE_ASAN) && defined(__x86_64__)
	__asm__ __volatile__("movq %1, (%0)" : : "r"(addr), "r"(v) : "memory");
#else
	*(volatile unsigned long *)addr = v;
#endif
#ifdef KMM_ANNOTATE_VALGRIND
	VALGRIND_MAKE_MEM_NOACCESS(addr, sizeof(*addr));
#endif
}

static inline void annot_pool_create(const void *pool)
{
#ifdef KMM_ANNOTATE_VALGRIND
	VALGRIND_CREATE_MEMPOOL(pool, 0, 0);
#endif
	(void)pool;
}

static inline void annot_pool_destroy(const void *pool)
{
#ifdef KMM_ANNOTATE_VALGRIND
	VALGRIND_DESTROY_MEMPOOL(pool);
#endif
	(void)pool;
}

/* Memory that is the allocator's own until handed out. */
static inline void annot_noaccess(const void *addr, size_t size)
{
#ifdef KMM_ANNOTATE_ASAN
	ASAN_POISON_MEMORY_REGION(addr, size);
#endif
#ifdef KMM_ANNOTATE_VALGRIND
	VALGRIND_MAKE_MEM_NOACCESS(addr, size);
#endif
	(void)addr, (void)size;
}

/* Memory that is plain memory again (back to the page allocator). */
static inline void annot_plain(const void *addr, size_t size)
{
#ifdef KMM_ANNOTATE_ASAN
	ASAN_UNPOISON_MEMORY_REGION(addr, size);
#endif
#ifdef KMM_ANNOTATE_VALGRIND
	VALGRIND_MAKE_MEM_DEFINED(addr, size);
#endif
	(void)addr, (void)size;
}

/*
 * A @constructed object (its cache has a constructor) holds what the
 * constructor or its last user left, which the cache's contract says is
 * the constructed state: defined bytes, as KMSAN leaves such objects alone.
 * Any other object's bytes are undefined until written.
 */
static inline void annot_obj_alloc(const void *pool, const void *obj, size_t size,
				   bool constructed)
{
#ifdef KMM_ANNOTATE_ASAN
	ASAN_UNPOISON_MEMORY_REGION(obj, size);
#endif
#ifdef KMM_ANNOTATE_VALGRIND
	VALGRIND_MEMPOOL_ALLOC(pool, obj, size);
	if (constructed)
		VALGRIND_MAKE_MEM_DEFINED(obj, size);
#endif
	(void)pool, (void)obj, (void)size, (void)constructed;
}

/* The object (of @full bytes) stays in use, now only @size bytes long. */
static inline void annot_obj_shrink(const void *pool, const void *obj, size_t size, size_t full)
{
#ifdef KMM_ANNOTATE_ASAN
	ASAN_POISON_MEMORY_REGION((const char *)obj + size, full - size);
#endif
#ifdef KMM_ANNOTATE_VALGRIND
	VALGRIND_MEMPOOL_CHANGE(pool, obj, obj, size);
	VALGRIND_MAKE_MEM_NOACCESS((const char *)obj + size, full - size);
#endif
	(void)pool, (void)obj, (void)size, (void)full;
}

/*
 * The object stays in use, now @size bytes long (ksize, krealloc).  For
 * Valgrind the bytes gained count as defined: which of them were written
 * before the object last shrank is not known, and a false report is worse.
 */
static inline void annot_obj_grow(const void *pool, const void *obj, size_t size)
{
#ifdef KMM_ANNOTATE_ASAN
	ASAN_UNPOISON_MEMORY_REGION(obj, size);
#endif
#ifdef KMM_ANNOTATE_VALGRIND
	VALGRIND_MEMPOOL_CHANGE(pool, obj, obj, size);
	VALGRIND_MAKE_MEM_DEFINED(obj, size);
#endif
	(void)pool, (void)obj, (void)size;
}

static inline void annot_obj_free(const void *pool, const void *obj, size_t size)
{
#ifdef KMM_ANNOTATE_ASAN
	ASAN_POISON_MEMORY_REGION(obj, size);
#endif
#ifdef KMM_ANNOTATE_VALGRIND
	VALGRIND_MEMPOOL_FREE(pool, obj);
#endif
	(void)pool, (void)obj, (void)size;
}
#else
static inline unsigned long annot_load_word(const unsigned long *addr) { return *addr; }
static inline void annot_store_word(unsigned long *addr, unsigned long v) { *addr = v; }
static inline void annot_pool_create(const void *pool) { (void)pool; }
static inline void annot_pool_destroy(const void *pool) { (void)pool; }
static inline void annot_noaccess(const void *addr, size_t size) { (void)addr, (void)size; }
static inline void annot_plain(const void *addr, size_t size) { (void)addr, (void)size; }
static inline void annot_obj_alloc(const void *pool, const void *obj, size_t size,
				   bool constructed)
{
	(void)pool, (void)obj, (void)size, (void)constructed;
}
static inline void annot_obj_shrink(const void *pool, const void *obj, size_t size, size_t full)
{
	(void)pool, (void)obj, (void)size, (void)full;
}
static inline void annot_obj_grow(const void *pool, const void *obj, size_t size)
{
	(void)pool, (void)obj, (void)size;
}
static inline void annot_obj_free(const void *pool, const void *obj, size_t size)
{
	(void)pool, (void)obj, (void)size;
}
#endif

/*
 * Reports read the allocator's own bytes: a free object's, a redzone, the
 * bytes past a kmalloc request.  The tools consider them inaccessible or
 * undefined, rightly for everyone but the report, so the report looks at
 * them the way Linux's do between metadata_access_enable() and _disable(),
 * where KASAN and KMSAN look away: annot_peek() copies them into the
 * report's own buffer, unchecked by ASan (annot_unchecked) and with
 * Valgrind's address errors off for the range, and the copy is defined.
 * The range itself keeps its state.
 */
#ifdef KMM_ANNOTATE_ASAN
#define annot_unchecked __attribute__((no_sanitize_address))
#else
#define annot_unchecked
#endif

static inline annot_unchecked void annot_peek(void *dst, const void *src, size_t len)
{
#ifdef KMM_ANNOTATE_VALGRIND
	VALGRIND_DISABLE_ADDR_ERROR_REPORTING_IN_RANGE(src, len);
#endif
	for (size_t i = 0; i < len; i++)
		((unsigned char *)dst)[i] = ((const volatile unsigned char *)src)[i];
#ifdef KMM_ANNOTATE_VALGRIND
	VALGRIND_ENABLE_ADDR_ERROR_REPORTING_IN_RANGE(src, len);
	VALGRIND_MAKE_MEM_DEFINED(dst, len);
#endif
}

/*
 * A thread that moves to another stack and back (plat_call_on_stack(), a
 * kernel thread running on its kernel stack).  ASan is told of the switch
 * (as of a fiber's), or it would take the kernel stack's frames for
 * overflows of the thread's own stack; Valgrind is told the range is a
 * stack, and afterwards that it is plain memory again: memcheck marks the
 * frames popped on a stack inaccessible, and the pages go on to be used
 * at the same addresses as anything else.
 */
#ifdef KMM_ANNOTATE_ASAN
static inline void annot_stack_enter(void **save, const void *bottom, size_t size)
{
	__sanitizer_start_switch_fiber(save, bottom, size);
}
static inline void annot_stack_entered(const void **from_bottom, size_t *from_size)
{
	__sanitizer_finish_switch_fiber(NULL, from_bottom, from_size);
}
/* The last thing on the other stack: back to @bottom, this stack done with. */
static inline void annot_stack_leave(const void *bottom, size_t size)
{
	__sanitizer_start_switch_fiber(NULL, bottom, size);
}
static inline void annot_stack_left(void *save)
{
	__sanitizer_finish_switch_fiber(save, NULL, NULL);
}
#else
static inline void annot_stack_enter(void **save, const void *bottom, size_t size)
{
	(void)save, (void)bottom, (void)size;
}
static inline void annot_stack_entered(const void **from_bottom, size_t *from_size)
{
	(void)from_bottom, (void)from_size;
}
static inline void annot_stack_leave(const void *bottom, size_t size) { (void)bottom, (void)size; }
static inline void annot_stack_left(void *save) { (void)save; }
#endif
#ifdef KMM_ANNOTATE_VALGRIND
static inline unsigned int annot_stack_register(const void *lo, size_t size)
{
	return VALGRIND_STACK_REGISTER(lo, (const char *)lo + size);
}
static inline void annot_stack_deregister(unsigned int id, const void *lo, size_t size)
{
	VALGRIND_STACK_DEREGISTER(id);
	VALGRIND_MAKE_MEM_DEFINED(lo, size);
}
#else
static inline unsigned int annot_stack_register(const void *lo, size_t size)
{
	(void)lo, (void)size;
	return 0;
}
static inline void annot_stack_deregister(unsigned int id, const void *lo, size_t size)
{
	(void)id, (void)lo, (void)size;
}
#endif

#endif /* KMM_ANNOTATE_H */
