/* SPDX-License-Identifier: MIT */
/*
 * kmm exec: run a program with its malloc on the kernel allocator.  The
 * preload library (libkmm-malloc.so) boots its own machine inside the
 * program from KMM_CMDLINE and prints the views named in KMM_SHOW when the
 * program exits; this command sets both and executes the program.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "kmm.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: kmm exec [--show VIEW,...] [--preload PATH] [PARAM=VALUE...] -- PROGRAM [ARGS...]\n\n"
		   "Run PROGRAM with LD_PRELOAD=libkmm-malloc.so, so its malloc runs on the\n"
		   "kernel allocator of a machine booted inside it (KMM_CMDLINE=PARAMS), and\n"
		   "print the views when it exits (KMM_SHOW=VIEWS, default slabinfo,buddyinfo).\n\n"
		   "  -s, --show VIEWS    views to print at exit (comma-separated)\n"
		   "  -p, --preload PATH  the preload library (default: found beside kmm,\n"
		   "                      or $KMM_PRELOAD)\n"
		   "  -h, --help          this help\n");
}

/* Where the build and an install put libkmm-malloc.so, relative to kmm. */
static const char *const candidates[] = {
	"../../src/preload/libkmm-malloc.so",	/* build/tools/kmm/kmm */
	"../preload/libkmm-malloc.so",		/* build/tools/preload */
	"../../tools/preload/libkmm-malloc.so",
	"../../preload/libkmm-malloc.so",
	"../../src/libkmm-malloc.so",
	"../lib/libkmm-malloc.so",		/* PREFIX/bin/kmm */
	"../lib/x86_64-linux-gnu/libkmm-malloc.so",
	"../lib64/libkmm-malloc.so",
	NULL
};

static bool find_preload(char *out, size_t size)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n <= 0)
		return false;
	self[n] = '\0';
	char *slash = strrchr(self, '/');
	if (!slash)
		return false;
	*slash = '\0';
	for (int i = 0; candidates[i]; i++) {
		char path[PATH_MAX + 64];
		snprintf(path, sizeof(path), "%s/%s", self, candidates[i]);
		if (!access(path, R_OK) && realpath(path, out) && strlen(out) < size)
			return true;
	}
	return false;
}

int cmd_exec(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "show", required_argument, NULL, 's' },
		{ "preload", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct session s = { .cmd = "exec" };
	const char *show = "slabinfo,buddyinfo", *preload = getenv("KMM_PRELOAD");
	int c;

	optind = 1;
	/* '+': stop at the program's name, so its own options stay its own. */
	while ((c = getopt_long(argc, argv, "+s:p:h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (session_set_views(&s, optarg))
				return EXIT_USAGE;
			show = optarg;
			break;
		case 'p':
			preload = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	int i = optind;
	for (; i < argc && looks_like_param(argv[i]); i++)
		if (session_add_param(&s, argv[i]))
			die_usage(s.cmd, "the command line is too long");
	if (i < argc && !strcmp(argv[i], "--"))
		i++;
	if (i >= argc)
		die_usage(s.cmd, "no program to run");

	char found[PATH_MAX];
	if (!preload) {
		if (!find_preload(found, sizeof(found))) {
			errmsg("exec: libkmm-malloc.so not found beside kmm (build it, or give "
			       "--preload PATH or KMM_PRELOAD)");
			return EXIT_WORK;
		}
		preload = found;
	} else if (access(preload, R_OK)) {
		errmsg("exec: %s: %s", preload, strerror(errno));
		return EXIT_WORK;
	}
	/* Ours first; a program's own LD_PRELOAD stays after it. */
	const char *old = getenv("LD_PRELOAD");
	char *ld = malloc(strlen(preload) + (old ? strlen(old) : 0) + 2);
	if (!ld)
		return EXIT_WORK;
	sprintf(ld, "%s%s%s", preload, old && *old ? ":" : "", old && *old ? old : "");
	if (setenv("LD_PRELOAD", ld, 1) || setenv("KMM_SHOW", show, 1) ||
	    (s.cmdline[0] && setenv("KMM_CMDLINE", s.cmdline, 1))) {
		errmsg("exec: %s", strerror(errno));
		return EXIT_WORK;
	}
	execvp(argv[i], argv + i);
	errmsg("exec: %s: %s", argv[i], strerror(errno));
	return errno == ENOENT ? 127 : 126;
}
