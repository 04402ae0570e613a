/* SPDX-License-Identifier: MIT */
/* Reports to the host: backtraces, the console, abort. */

#include <execinfo.h>
#include <stdio.h>
#include <stdlib.h>
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

void plat_abort(void)
{
	abort();
}

void plat_console_write(const char *s, size_t len)
{
	(void)!write(STDERR_FILENO, s, len);
}
