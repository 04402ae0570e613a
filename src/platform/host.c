/* SPDX-License-Identifier: MIT */
/* Reports to the host: backtraces, the console, abort. */

#include <dlfcn.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <pthread.h>
#include <unwind.h>
#include "platform.h"

/*
 * Backtraces walk the stack with the unwinder (_Unwind_Backtrace), as
 * glibc's backtrace() does, but called directly: glibc loads libgcc_s with
 * dlopen() (and malloc) on its first backtrace(), which a report from a
 * signal handler or from inside a preloaded allocator cannot afford, and
 * preloading it at boot cost every process a library load.
 * libkmm-malloc.so links the unwinder in statically (-static-libgcc), so a
 * process that never takes a backtrace never loads anything for one;
 * other programs get it from libgcc_s, loaded with them.
 */
struct unwind_walk {
	void **frames;
	int max, nr;		/* nr: -1 until the walker's own frame is passed */
	unsigned long cfa;	/* the last frame's */
};

static _Unwind_Reason_Code unwind_step(struct _Unwind_Context *ctx, void *arg)
{
	struct unwind_walk *w = arg;
	void *ip = (void *)_Unwind_GetIP(ctx);
	unsigned long cfa = _Unwind_GetCFA(ctx);

	if (w->nr >= 0) {
		/* An entry frame (makecontext's) has no return address: the end. */
		if (!ip)
			return _URC_END_OF_STACK;
		/* A frame that unwinds to itself would loop for ever. */
		if (w->nr > 0 && ip == w->frames[w->nr - 1] && cfa == w->cfa)
			return _URC_END_OF_STACK;
		w->frames[w->nr] = ip;
	}
	w->cfa = cfa;
	if (++w->nr == w->max)
		return _URC_END_OF_STACK;
	return _URC_NO_REASON;
}

/* Up to @max return addresses, the caller's first; their number. */
static __attribute__((noinline)) int host_backtrace(void **frames, int max)
{
	struct unwind_walk w = { .frames = frames, .max = max, .nr = -1 };

	if (max <= 0)
		return 0;
	_Unwind_Backtrace(unwind_step, &w);
	return w.nr < 0 ? 0 : w.nr;
}

/*
 * One frame a line, named as Linux's %pS does.  Not backtrace_symbols(),
 * which allocates its result: a report can come from inside the allocator
 * of a preloaded program (libkmm-malloc.so).
 */
void plat_backtrace(void (*emit)(const char *line, void *arg), void *arg, int skip)
{
	void *frames[32];
	int n = host_backtrace(frames, 32);

	for (int i = skip + 1; i < n; i++) {
		char sym[256], line[300];

		plat_symbol(frames[i], sym, sizeof(sym));
		snprintf(line, sizeof(line), " %s\n", sym);
		emit(line, arg);
	}
}

unsigned int plat_stack_save(unsigned long *entries, unsigned int max, unsigned int skip)
{
	void *frames[64];
	int n = host_backtrace(frames, 64);
	unsigned int nr = 0;

	for (int i = (int)skip + 1; i < n && nr < max; i++)
		entries[nr++] = (unsigned long)frames[i];
	return nr;
}

void plat_symbolize(unsigned long addr, char *buf, size_t size)
{
	Dl_info info;

	if (!dladdr((void *)addr, &info) || !info.dli_fname) {
		snprintf(buf, size, "0x%lx", addr);
		return;
	}
	if (info.dli_sname && info.dli_saddr) {
		snprintf(buf, size, "%s+0x%lx", info.dli_sname, addr - (unsigned long)info.dli_saddr);
		return;
	}
	const char *obj = strrchr(info.dli_fname, '/');
	snprintf(buf, size, "%s+0x%lx", obj ? obj + 1 : info.dli_fname,
		 addr - (unsigned long)info.dli_fbase);
}

void plat_abort(void)
{
	abort();
}

void plat_console_write(const char *s, size_t len)
{
	(void)!write(STDERR_FILENO, s, len);
}

void plat_symbol(const void *addr, char *buf, size_t size)
{
	Dl_info info;
	ElfW(Sym) *sym = NULL;

	if (dladdr1(addr, &info, (void **)&sym, RTLD_DL_SYMENT) && info.dli_sname && sym)
		snprintf(buf, size, "%s+0x%lx/0x%lx", info.dli_sname,
			 (unsigned long)((const char *)addr - (const char *)info.dli_saddr),
			 (unsigned long)sym->st_size);
	else
		snprintf(buf, size, "0x%lx", (unsigned long)addr);
}

extern char **__environ;

static bool env_match(const char *entry, const char *name, size_t len)
{
	return !strncmp(entry, name, len) && entry[len] == '=';
}

static bool env_copy(const char *val, char *buf, size_t size)
{
	size_t n = strlen(val);

	if (n >= size)
		n = size - 1;
	memcpy(buf, val, n);
	buf[n] = '\0';
	return true;
}

bool plat_getenv_early(const char *name, char *buf, size_t size)
{
	size_t len = strlen(name);

	if (__environ) {
		for (char **e = __environ; *e; e++)
			if (env_match(*e, name, len))
				return env_copy(*e + len + 1, buf, size);
		return false;
	}
	/* Before libc's setup: the block the kernel gave the process. */
	static char block[65536] __page_aligned_bss;
	static spinlock_t block_lock;
	bool found = false;

	plat_lock(&block_lock);
	int fd = open("/proc/self/environ", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, block, sizeof(block) - 1);
	if (fd >= 0)
		close(fd);
	for (ssize_t i = 0; n > 0 && i < n; i += (ssize_t)strlen(block + i) + 1) {
		block[n] = '\0';
		if (env_match(block + i, name, len)) {
			found = env_copy(block + i + len + 1, buf, size);
			break;
		}
	}
	plat_unlock(&block_lock);
	return found;
}

int plat_atfork(void (*prepare)(void), void (*parent)(void), void (*child)(void))
{
	return -pthread_atfork(prepare, parent, child);
}

u64 plat_host_ram_bytes(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);

	return pages > 0 && size > 0 ? (u64)pages * (u64)size : 0;
}
