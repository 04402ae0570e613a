/* SPDX-License-Identifier: MIT */
/* Reports to the host: backtraces, the console, abort. */

#include <dlfcn.h>
#include <execinfo.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "platform.h"

void plat_backtrace(void (*emit)(const char *line, void *arg), void *arg, int skip)
{
	void *frames[32];
	int n = backtrace(frames, 32);
	char **names = backtrace_symbols(frames, n);

	for (int i = skip + 1; i < n; i++) {
		char line[512];
		snprintf(line, sizeof(line), " %s\n", names ? names[i] : "?");
		emit(line, arg);
	}
	free(names);
}

unsigned int plat_stack_save(unsigned long *entries, unsigned int max, unsigned int skip)
{
	void *frames[64];
	int n = backtrace(frames, 64);
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
