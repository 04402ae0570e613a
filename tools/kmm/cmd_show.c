/* SPDX-License-Identifier: MIT */
/*
 * kmm boot: the boot log, as Linux's dmesg shows it after boot.
 * kmm show: the views of a freshly booted machine.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include "kmm.h"

static void boot_usage(FILE *f)
{
	fprintf(f, "usage: kmm boot [--show VIEW,...] [--json] [PARAM=VALUE...]\n\n"
		   "Boot a machine from a kernel command line and print its boot log: the\n"
		   "BIOS-e820 map, Zone ranges, Early memory node ranges, the Memory: line,\n"
		   "the SLUB: line, and on x86_32 the virtual kernel memory layout.\n\n"
		   "  -s, --show VIEWS  also print these views (comma-separated)\n"
		   "  -j, --json        print {\"cmdline\", \"log\", \"views\"} as JSON\n"
		   "  -h, --help        this help\n\n"
		   "Example: kmm boot arch=x86_32 mem=2G cpus=2\n");
}

static void show_usage(FILE *f)
{
	fprintf(f, "usage: kmm show [--json] VIEW... [PARAM=VALUE...]\n\n"
		   "Boot a machine and print views in Linux's formats.  Views:\n ");
	for (const char *const *v = kmm_view_names(); *v; v++)
		fprintf(f, " %s", *v);
	fprintf(f, "\n  (percpu names percpu_stats)\n\n  -j, --json   one JSON object, a member per view\n"
		   "  -h, --help   this help\n\n"
		   "Views after a workload: kmm run SCENARIO --show VIEWS, kmm replay TRACE --show VIEWS.\n");
}

static void print_log_json(FILE *f, const char *log)
{
	fputs("[", f);
	for (const char *l = log; l && *l;) {
		const char *nl = strchr(l, '\n');
		size_t n = nl ? (size_t)(nl - l) : strlen(l);
		char *line = strndup(l, n);
		fputs(l == log ? "\n    " : ",\n    ", f);
		json_str(f, line);
		free(line);
		l += n + (nl != NULL);
	}
	fputs("]", f);
}

static int boot_or_show(int argc, char **argv, bool show)
{
	static const struct option opts[] = {
		{ "show", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct session s = { .cmd = show ? "show" : "boot" };
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, show ? "jh" : "s:jh", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (show)
				die_usage(s.cmd, "unknown option --show");
			if (session_set_views(&s, optarg))
				return EXIT_USAGE;
			break;
		case 'j':
			s.json = true;
			break;
		case 'h':
			(show ? show_usage : boot_usage)(stdout);
			return 0;
		default:
			(show ? show_usage : boot_usage)(stderr);
			return EXIT_USAGE;
		}
	}
	for (int i = optind; i < argc; i++) {
		if (looks_like_param(argv[i])) {
			if (session_add_param(&s, argv[i]))
				die_usage(s.cmd, "the command line is too long");
		} else if (show && view_name(argv[i])) {
			if (s.nr_views < 32)
				s.views[s.nr_views++] = view_name(argv[i]);
		} else if (show) {
			die_usage(s.cmd, "unknown view '%s'", argv[i]);
		} else {
			die_usage(s.cmd, "'%s' is not a PARAM=VALUE", argv[i]);
		}
	}
	if (show && !s.nr_views)
		die_usage(s.cmd, "name at least one view");

	int ret = session_boot(&s);
	if (ret)
		return ret;
	if (s.json) {
		printf("{\n  \"cmdline\": ");
		json_str(stdout, s.cmdline);
		if (!show) {
			printf(",\n  \"log\": ");
			print_log_json(stdout, s.bootlog);
		}
		printf(",\n  \"views\": {\n    ");
		print_views(&s, stdout);
		printf("\n  }\n}\n");
	} else {
		if (!show)
			fputs(s.bootlog, stdout);
		print_views(&s, stdout);
	}
	session_end(&s);
	return fflush(stdout) ? EXIT_WORK : 0;
}

int cmd_boot(int argc, char **argv)
{
	return boot_or_show(argc, argv, false);
}

int cmd_show(int argc, char **argv)
{
	return boot_or_show(argc, argv, true);
}
