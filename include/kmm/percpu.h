/* SPDX-License-Identifier: MIT */
/*
 * Per-CPU data, as Linux's <linux/percpu.h> and <linux/percpu-defs.h>.
 *
 * A per-CPU pointer names one object that exists once per CPU.  The copy of
 * CPU c is at the pointer plus __per_cpu_offset[c]; every chunk of the
 * per-CPU allocator has the same unit layout, so one offset per CPU serves
 * every chunk (see src/percpu.c).
 *
 * Static per-CPU variables.  DEFINE_PER_CPU(type, name) puts @name into the
 * linker section "kmm_percpu" of the object file; the linker joins the
 * sections of a program or shared object into one, bounded by
 * __start_kmm_percpu and __stop_kmm_percpu.  That image is never used in
 * place: when the module loads, a constructor this header emits in each
 * file that includes it registers the section, and the machine gives it one
 * copy per CPU, initialised from the image (at boot, in the first chunk's
 * static area, as setup_per_cpu_areas(); after boot, from the reserved
 * region, as a kernel module's).  The address of a variable is translated
 * to its per-CPU pointer by the module's own delta (__kmm_percpu_delta, one
 * hidden variable per module): the accessors add it when the address lies
 * in this module's section.  Hence the one rule Linux does not have: take
 * `&var` of a static per-CPU variable with the accessors of the module that
 * defines it (per_cpu_ptr(&var, cpu), this_cpu_ptr(&var), ... turn it into
 * a plain pointer that works anywhere).  Before boot and after shutdown
 * every CPU's copy is the image itself (the offsets and deltas are 0).
 *
 * The accessors run with the caller's CPU held (preemption disabled) around
 * the operation, as Linux's generic this_cpu_*() disable interrupts; the
 * __this_cpu_*() and raw_cpu_*() forms expect the caller to hold it, and in a
 * debug build (KMM_DEBUG_VM or KMM_DEBUG_PREEMPT defined where they are
 * used) __this_cpu_*() reports a preemptible caller as Linux's
 * CONFIG_DEBUG_PREEMPT does.
 */
#ifndef KMM_PERCPU_H
#define KMM_PERCPU_H

#pragma GCC visibility push(default)

#include <kmm/types.h>
#include <kmm/gfp_types.h>
#include <kmm/mmzone.h>
#include <kmm/preempt.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Room for the static per-CPU sections of modules loaded after boot. */
#define PERCPU_MODULE_RESERVE		(8 << 10)
/* The smallest unit, and the largest allocation. */
#define PCPU_MIN_UNIT_SIZE		((32 << 10) & PAGE_MASK)
#define PCPU_MIN_ALLOC_SHIFT		2
#define PCPU_MIN_ALLOC_SIZE		(1 << PCPU_MIN_ALLOC_SHIFT)
#define PCPU_BITMAP_BLOCK_SIZE		PAGE_SIZE
#define PCPU_BITMAP_BLOCK_BITS		(PCPU_BITMAP_BLOCK_SIZE >> PCPU_MIN_ALLOC_SHIFT)
/* Free room the first chunk keeps for dynamic allocations (64-bit value). */
#define PERCPU_DYNAMIC_RESERVE		(28 << 10)

#define SMP_CACHE_BYTES			64

extern unsigned long __per_cpu_offset[NR_CPUS];
#define per_cpu_offset(cpu)		(__per_cpu_offset[(cpu)])

/* --- static per-CPU variables --- */
#define KMM_PERCPU_SECTION		"kmm_percpu"

extern char __start_kmm_percpu[] __attribute__((weak, visibility("hidden")));
extern char __stop_kmm_percpu[] __attribute__((weak, visibility("hidden")));
/* This module's delta from a variable's image to its per-CPU pointer. */
__attribute__((weak, visibility("hidden"))) unsigned long __kmm_percpu_delta;

void kmm_percpu_register(char *start, char *stop, unsigned long *delta);
void kmm_percpu_unregister(char *start);

#ifndef KMM_BUILDING_LIBRARY
/* Each file registers its module's section; the first one does it. */
__attribute__((constructor, used)) static void __kmm_percpu_module_load(void)
{
	char *start = __start_kmm_percpu, *stop = __stop_kmm_percpu;

	__asm__("" : "+r"(start), "+r"(stop));
	if (start != stop)
		kmm_percpu_register(start, stop, &__kmm_percpu_delta);
}

__attribute__((destructor, used)) static void __kmm_percpu_module_unload(void)
{
	char *start = __start_kmm_percpu, *stop = __stop_kmm_percpu;

	__asm__("" : "+r"(start), "+r"(stop));
	if (start != stop)
		kmm_percpu_unregister(start);
}
#endif

#define __PCPU_ATTRS(align)						\
	__attribute__((section(KMM_PERCPU_SECTION), used, aligned(align)))

/*
 * One section holds every variant; the variants differ in alignment only
 * (Linux groups read-mostly and shared-aligned variables in subsections of
 * their own to keep them off each other's cache lines).
 */
#define DECLARE_PER_CPU_SECTION(type, name, align)			\
	extern __attribute__((section(KMM_PERCPU_SECTION), aligned(align)))	\
	__typeof__(type) name
#define DEFINE_PER_CPU_SECTION(type, name, align)			\
	__PCPU_ATTRS(align) __typeof__(type) name

#define DECLARE_PER_CPU(type, name)	DECLARE_PER_CPU_SECTION(type, name, __alignof__(type))
#define DEFINE_PER_CPU(type, name)	DEFINE_PER_CPU_SECTION(type, name, __alignof__(type))
#define DECLARE_PER_CPU_FIRST(type, name)	DECLARE_PER_CPU(type, name)
#define DEFINE_PER_CPU_FIRST(type, name)	DEFINE_PER_CPU(type, name)
#define DECLARE_PER_CPU_SHARED_ALIGNED(type, name)			\
	DECLARE_PER_CPU_SECTION(type, name, SMP_CACHE_BYTES)
#define DEFINE_PER_CPU_SHARED_ALIGNED(type, name)			\
	DEFINE_PER_CPU_SECTION(type, name, SMP_CACHE_BYTES)
#define DECLARE_PER_CPU_ALIGNED(type, name)				\
	DECLARE_PER_CPU_SECTION(type, name, SMP_CACHE_BYTES)
#define DEFINE_PER_CPU_ALIGNED(type, name)				\
	DEFINE_PER_CPU_SECTION(type, name, SMP_CACHE_BYTES)
#define DECLARE_PER_CPU_PAGE_ALIGNED(type, name)			\
	DECLARE_PER_CPU_SECTION(type, name, PAGE_SIZE)
#define DEFINE_PER_CPU_PAGE_ALIGNED(type, name)				\
	DEFINE_PER_CPU_SECTION(type, name, PAGE_SIZE)
#define DECLARE_PER_CPU_READ_MOSTLY(type, name)	DECLARE_PER_CPU(type, name)
#define DEFINE_PER_CPU_READ_MOSTLY(type, name)	DEFINE_PER_CPU(type, name)

#define EXPORT_PER_CPU_SYMBOL(var)
#define EXPORT_PER_CPU_SYMBOL_GPL(var)

/*
 * A static variable's address becomes its per-CPU pointer; any other
 * pointer (from alloc_percpu(), or already translated) is left alone.
 */
static __always_inline void *__kmm_pcpu_fix(const void *ptr)
{
	unsigned long p = (unsigned long)ptr, s = (unsigned long)__start_kmm_percpu;
	unsigned long size = (unsigned long)__stop_kmm_percpu - s;

	/* Opaque, so that nothing is concluded from where the symbols lie. */
	__asm__("" : "+r"(size));
	return (void *)(p - s < size ? p + __kmm_percpu_delta : p);
}

#define per_cpu_ptr(ptr, cpu)						\
	((__typeof__(ptr))((char *)__kmm_pcpu_fix(ptr) + per_cpu_offset(cpu)))
#define per_cpu(var, cpu)	(*per_cpu_ptr(&(var), cpu))

/* --- this CPU: the offset of the CPU the caller runs on --- */
/*
 * Inside libkmm these are inline (internal.h provides them); a program
 * calls the library.  Each returns the offset of the caller's CPU:
 *   __kmm_get_cpu_off()   disables preemption first (get_cpu_var, this_cpu_*);
 *   __kmm_raw_cpu_off()   the caller holds its CPU (raw_cpu_*, __this_cpu_*);
 *   __kmm_put_cpu()       enables preemption again.
 */
unsigned long __kmm_get_cpu_off_call(void);
unsigned long __kmm_raw_cpu_off_call(void);
void __this_cpu_preempt_check(const char *op);

#if !defined(KMM_BUILDING_LIBRARY) && !defined(KMM_PERCPU_INLINE)
#define __kmm_get_cpu_off()	__kmm_get_cpu_off_call()
#define __kmm_raw_cpu_off()	__kmm_raw_cpu_off_call()
#define __kmm_put_cpu()		preempt_enable()
#endif

#if defined(KMM_DEBUG_VM) || defined(KMM_DEBUG_PREEMPT)
#define KMM_DEBUG_PREEMPT_ON 1
#else
#define KMM_DEBUG_PREEMPT_ON 0
#endif

/* Checked, and compiled even when not (so it never rots). */
#define __kmm_preempt_check(op) do {					\
	if (KMM_DEBUG_PREEMPT_ON)					\
		__this_cpu_preempt_check(op);				\
} while (0)

#define __kmm_pcpu_at(ptr, off)						\
	((__typeof__(ptr))((char *)__kmm_pcpu_fix(ptr) + (off)))

#define raw_cpu_ptr(ptr)	__kmm_pcpu_at(ptr, __kmm_raw_cpu_off())
#define this_cpu_ptr(ptr) ({						\
	__kmm_preempt_check("smp_processor_id");			\
	raw_cpu_ptr(ptr);						\
})

#define get_cpu_var(var) (*__kmm_pcpu_at(&(var), __kmm_get_cpu_off()))
#define put_cpu_var(var) do {						\
	(void)&(var);							\
	__kmm_put_cpu();						\
} while (0)
#define get_cpu_ptr(var)	__kmm_pcpu_at(var, __kmm_get_cpu_off())
#define put_cpu_ptr(var) do {						\
	(void)(var);							\
	__kmm_put_cpu();						\
} while (0)

/* The operations, on the copy at @p, the caller's CPU held. */
#define __pcpu_op_rw(p, op, val)	(*(p) op (val))
#define __pcpu_cmpxchg(p, oval, nval) ({				\
	__typeof__(*(p)) __old = *(p);					\
	if (__old == (oval))						\
		*(p) = (nval);						\
	__old;								\
})
#define __pcpu_xchg(p, nval) ({						\
	__typeof__(*(p)) __old = *(p);					\
	*(p) = (nval);							\
	__old;								\
})

/* raw_cpu_*(): the caller holds its CPU; nothing is checked. */
#define raw_cpu_read(pcp)		(*raw_cpu_ptr(&(pcp)))
#define raw_cpu_write(pcp, val)		((void)(*raw_cpu_ptr(&(pcp)) = (val)))
#define raw_cpu_add(pcp, val)		((void)(*raw_cpu_ptr(&(pcp)) += (val)))
#define raw_cpu_sub(pcp, val)		((void)(*raw_cpu_ptr(&(pcp)) -= (val)))
#define raw_cpu_and(pcp, val)		((void)(*raw_cpu_ptr(&(pcp)) &= (val)))
#define raw_cpu_or(pcp, val)		((void)(*raw_cpu_ptr(&(pcp)) |= (val)))
#define raw_cpu_inc(pcp)		raw_cpu_add(pcp, 1)
#define raw_cpu_dec(pcp)		raw_cpu_sub(pcp, 1)
#define raw_cpu_add_return(pcp, val)	(*raw_cpu_ptr(&(pcp)) += (val))
#define raw_cpu_xchg(pcp, nval)		__pcpu_xchg(raw_cpu_ptr(&(pcp)), nval)
#define raw_cpu_cmpxchg(pcp, oval, nval) __pcpu_cmpxchg(raw_cpu_ptr(&(pcp)), oval, nval)

/* __this_cpu_*(): as raw_cpu_*(), but a preemptible caller is a bug. */
#define __this_cpu_read(pcp)	({ __kmm_preempt_check("__this_cpu_read"); raw_cpu_read(pcp); })
#define __this_cpu_write(pcp, val) ({ __kmm_preempt_check("__this_cpu_write"); raw_cpu_write(pcp, val); })
#define __this_cpu_add(pcp, val) ({ __kmm_preempt_check("__this_cpu_add"); raw_cpu_add(pcp, val); })
#define __this_cpu_sub(pcp, val) ({ __kmm_preempt_check("__this_cpu_sub"); raw_cpu_sub(pcp, val); })
#define __this_cpu_and(pcp, val) ({ __kmm_preempt_check("__this_cpu_and"); raw_cpu_and(pcp, val); })
#define __this_cpu_or(pcp, val)	({ __kmm_preempt_check("__this_cpu_or"); raw_cpu_or(pcp, val); })
#define __this_cpu_inc(pcp)	({ __kmm_preempt_check("__this_cpu_add"); raw_cpu_add(pcp, 1); })
#define __this_cpu_dec(pcp)	({ __kmm_preempt_check("__this_cpu_sub"); raw_cpu_sub(pcp, 1); })
#define __this_cpu_add_return(pcp, val) ({				\
	__kmm_preempt_check("__this_cpu_add_return");			\
	raw_cpu_add_return(pcp, val);					\
})
#define __this_cpu_xchg(pcp, nval) ({					\
	__kmm_preempt_check("__this_cpu_xchg");				\
	raw_cpu_xchg(pcp, nval);					\
})
#define __this_cpu_cmpxchg(pcp, oval, nval) ({				\
	__kmm_preempt_check("__this_cpu_cmpxchg");			\
	raw_cpu_cmpxchg(pcp, oval, nval);				\
})

/*
 * this_cpu_*(): safe anywhere; the CPU is held for the operation only.
 * __kmm_op_off() holds it and gives its offset, __kmm_op_end() lets it go;
 * the library has a lighter pair than get/put (percpu_internal.h).
 */
#if defined(KMM_BUILDING_LIBRARY) || defined(KMM_PERCPU_INLINE)
#define __kmm_op_off()		__kmm_this_cpu_off(&__kmm_opc)
#define __kmm_op_end()		__kmm_this_cpu_end(__kmm_opc)
#else
#define __kmm_op_off()		__kmm_get_cpu_off()
#define __kmm_op_end()		((void)__kmm_opc, __kmm_put_cpu())
#endif
#define __this_cpu_do(pcp, expr) ({					\
	void *__kmm_opc;						\
	__typeof__(&(pcp)) __p = __kmm_pcpu_at(&(pcp), __kmm_op_off());	\
	__typeof__(expr) __r = (expr);					\
	__kmm_op_end();							\
	__r;								\
})
#define this_cpu_read(pcp)		__this_cpu_do(pcp, *__p)
#define this_cpu_write(pcp, val)	((void)__this_cpu_do(pcp, *__p = (val)))
void __kmm_this_cpu_add_1(void *ptr, u64 val);
void __kmm_this_cpu_add_2(void *ptr, u64 val);
void __kmm_this_cpu_add_4(void *ptr, u64 val);
void __kmm_this_cpu_add_8(void *ptr, u64 val);
#if defined(KMM_BUILDING_LIBRARY) || defined(KMM_PERCPU_INLINE)
#define this_cpu_add(pcp, val)		((void)__this_cpu_do(pcp, *__p += (val)))
#else
/*
 * A program's commonest operation is one call: the library holds the CPU,
 * adds and lets go (two's complement makes one adder per width serve
 * signed and unsigned alike).
 */
#define this_cpu_add(pcp, val) do {					\
	void *__a = __kmm_pcpu_fix(&(pcp));				\
	u64 __v = (u64)(val);						\
	switch (sizeof(pcp)) {						\
	case 1: __kmm_this_cpu_add_1(__a, __v); break;			\
	case 2: __kmm_this_cpu_add_2(__a, __v); break;			\
	case 4: __kmm_this_cpu_add_4(__a, __v); break;			\
	default: __kmm_this_cpu_add_8(__a, __v); break;			\
	}								\
} while (0)
#endif
#define this_cpu_sub(pcp, val)		this_cpu_add(pcp, -(__typeof__(pcp))(val))
#define this_cpu_and(pcp, val)		((void)__this_cpu_do(pcp, *__p &= (val)))
#define this_cpu_or(pcp, val)		((void)__this_cpu_do(pcp, *__p |= (val)))
#define this_cpu_inc(pcp)		this_cpu_add(pcp, 1)
#define this_cpu_dec(pcp)		this_cpu_sub(pcp, 1)
#define this_cpu_add_return(pcp, val)	__this_cpu_do(pcp, *__p += (val))
#define this_cpu_sub_return(pcp, val)	__this_cpu_do(pcp, *__p -= (val))
#define this_cpu_inc_return(pcp)	this_cpu_add_return(pcp, 1)
#define this_cpu_dec_return(pcp)	this_cpu_sub_return(pcp, 1)
#define this_cpu_xchg(pcp, nval)	__this_cpu_do(pcp, __pcpu_xchg(__p, nval))
#define this_cpu_cmpxchg(pcp, oval, nval) __this_cpu_do(pcp, __pcpu_cmpxchg(__p, oval, nval))

/* --- the dynamic allocator --- */
/**
 * __alloc_percpu_gfp - allocate a zeroed per-CPU area
 * @size: bytes, 1..PCPU_MIN_UNIT_SIZE (rounded up to PCPU_MIN_ALLOC_SIZE)
 * @align: a power of two up to PAGE_SIZE
 * @gfp: GFP_KERNEL may create a chunk and sleep; without __GFP_DIRECT_RECLAIM
 *       the request is atomic and served from chunks already populated
 *
 * Context: any, for an atomic request; sleepable otherwise.
 * Return: the per-CPU pointer, or NULL (a bad size or alignment warns
 * "illegal size (N) or align (N) for percpu allocation" unless __GFP_NOWARN).
 */
void __percpu *__alloc_percpu_gfp(size_t size, size_t align, gfp_t gfp);
void __percpu *__alloc_percpu(size_t size, size_t align);
/* From the reserved region (what module sections use). */
void __percpu *__alloc_reserved_percpu(size_t size, size_t align);
/**
 * free_percpu - give back an area from __alloc_percpu()
 * @ptr: the per-CPU pointer; NULL does nothing
 *
 * A pointer that is no allocation's (already freed, or foreign) is reported
 * and ignored.  Context: any.
 */
void free_percpu(void __percpu *ptr);
bool is_kernel_percpu_address(unsigned long addr);
phys_addr_t per_cpu_ptr_to_phys(void *addr);
/* Pages the per-CPU allocator holds (the Percpu line of /proc/meminfo). */
unsigned long pcpu_nr_pages(void);

#define alloc_percpu_gfp(type, gfp)					\
	((__typeof__(type) __percpu *)__alloc_percpu_gfp(sizeof(type),	\
						__alignof__(type), gfp))
#define alloc_percpu(type)						\
	((__typeof__(type) __percpu *)__alloc_percpu(sizeof(type), __alignof__(type)))
#define alloc_percpu_noprof(type)	alloc_percpu(type)

#ifdef __cplusplus
}
#endif

#pragma GCC visibility pop

#endif /* KMM_PERCPU_H */
