/* SPDX-License-Identifier: MIT */
/*
 * kmm: the workbench.  One subcommand per job (boot, show, run, replay,
 * exec), each with getopt_long options and --help; the machine is given
 * to every one of them as a kernel command line (mem=2G arch=x86_32 ...).
 *
 * Output is produced at the end of the work, so a failure never leaves a
 * half-written report, picture or JSON document: files are written beside
 * their destination and renamed into place (out.c), stdout is printed once
 * the work has succeeded.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "kmm.h"

const char *kmm_prog = "kmm";

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *what;
} commands[] = {
	{ "boot", cmd_boot, "boot a machine and print its boot log" },
	{ "show", cmd_show, "boot a machine and print views (/proc files)" },
	{ "run", cmd_run, "run a built-in workload: fork-storm, module-load, highmem-copy, fragment, mixed" },
	{ "replay", cmd_replay, "replay a Linux ftrace kmem/vmalloc/percpu trace" },
	{ "exec", cmd_exec, "run a program with its malloc on the kernel allocator (LD_PRELOAD)" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: kmm [--help] [--version] COMMAND [OPTIONS] [PARAM=VALUE...]\n\n"
		   "The Linux kernel's memory manager in user space: boot a machine, run work\n"
		   "on it, replay real traces, and show what happened as Linux does.\n\n"
		   "Commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].what);
	fprintf(f, "\nThe machine is a kernel command line: arch=x86_32|x86_64 mem=SIZE cpus=N\n"
		   "numa=fake=N memmap=... min_free_kbytes=N vmalloc=SIZE ram=memfd|anon hugeram=SIZE loglevel=N panic_on_warn.\n"
		   "'kmm COMMAND --help' describes a command; see also kmm(1).\n");
}

void errmsg(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", kmm_prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void die_usage(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s %s: ", kmm_prog, cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'kmm %s --help'.\n", cmd);
	exit(EXIT_USAGE);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("kmm 0.1.0\n");
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	errmsg("unknown command '%s'", argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}
