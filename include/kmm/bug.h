/* SPDX-License-Identifier: MIT */
/*
 * WARN, BUG and panic.  A WARN prints Linux's "cut here" report with a host
 * backtrace, is counted and returns; with panic_on_warn it panics.  BUG()
 * reports and panics.  panic() prints "Kernel panic - not syncing: ..." and
 * aborts the process.  VM_BUG_ON and friends are checked only in debug
 * builds, but always compile, so they never rot.
 */
#ifndef KMM_BUG_H
#define KMM_BUG_H

#pragma GCC visibility push(default)

#include <kmm/types.h>

struct page;

__printf(4, 5) void __warn_printk(const char *file, int line, const char *func,
				  const char *fmt, ...);
__attribute__((noreturn)) __printf(1, 2) void panic(const char *fmt, ...);
__attribute__((noreturn)) void __kmm_bug(const char *file, int line, const char *func);

#define WARN(cond, fmt, ...) ({						\
	bool __ret_warn = !!(cond);					\
	if (unlikely(__ret_warn))					\
		__warn_printk(__FILE__, __LINE__, __func__, fmt, ##__VA_ARGS__); \
	unlikely(__ret_warn);						\
})
#define WARN_ON(cond) WARN(cond, NULL)
#define WARN_ONCE(cond, fmt, ...) ({					\
	static bool __warned;						\
	bool __ret_once = !!(cond);					\
	if (unlikely(__ret_once) && !__atomic_exchange_n(&__warned, true, __ATOMIC_RELAXED)) \
		__warn_printk(__FILE__, __LINE__, __func__, fmt, ##__VA_ARGS__); \
	unlikely(__ret_once);						\
})
#define WARN_ON_ONCE(cond) WARN_ONCE(cond, NULL)

#define BUG() __kmm_bug(__FILE__, __LINE__, __func__)
#define BUG_ON(cond) do { if (unlikely(cond)) BUG(); } while (0)

#ifdef KMM_DEBUG_VM
#define KMM_DEBUG_VM_ENABLED 1
#else
#define KMM_DEBUG_VM_ENABLED 0
#endif

void kmm_vm_bug_on_page(const struct page *page, const char *cond,
			const char *file, int line, const char *func);

/* Checked in debug builds; type-checked and dead code otherwise. */
#define VM_BUG_ON(cond) do {						\
	if (KMM_DEBUG_VM_ENABLED && unlikely(cond))			\
		BUG();							\
} while (0)
#define VM_BUG_ON_PAGE(cond, page) do {					\
	if (KMM_DEBUG_VM_ENABLED && unlikely(cond))			\
		kmm_vm_bug_on_page(page, #cond, __FILE__, __LINE__, __func__); \
} while (0)
#define VM_WARN_ON(cond) ((void)(KMM_DEBUG_VM_ENABLED && WARN_ON(cond)))
#define VM_WARN_ON_ONCE(cond) ((void)(KMM_DEBUG_VM_ENABLED && WARN_ON_ONCE(cond)))

#pragma GCC visibility pop

#endif /* KMM_BUG_H */
