/* SPDX-License-Identifier: MIT */
/*
 * kmm: the workbench.  For now it boots a machine from a kernel command
 * line and prints its boot log and views; run, replay and pictures come
 * with the workbench's own issue.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <kmm/kmm.h>

static void usage(FILE *f)
{
	fprintf(f, "usage: kmm boot [PARAM=VALUE...]\n"
		   "       kmm show VIEW... [-- PARAM=VALUE...]\n"
		   "Boot a simulated machine and show it the way Linux does.\n");
}

int main(int argc, char **argv)
{
	char cmdline[4096] = "";
	const char *views[32];
	int nviews = 0, i = 2;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	bool show = !strcmp(argv[1], "show");
	if (!show && strcmp(argv[1], "boot")) {
		fprintf(stderr, "kmm: unknown command '%s'\n", argv[1]);
		usage(stderr);
		return 2;
	}
	for (; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			continue;
		if (strchr(argv[i], '=') || !show) {
			strncat(cmdline, argv[i], sizeof(cmdline) - strlen(cmdline) - 2);
			strcat(cmdline, " ");
		} else if (nviews < 32) {
			views[nviews++] = argv[i];
		}
	}
	kmm_set_console(NULL);
	int err = kmm_boot(cmdline);
	if (err) {
		char log[8192];
		kmm_dmesg(log, sizeof(log));
		fputs(log, stderr);
		fprintf(stderr, "kmm: boot failed: %s\n", strerror(-err));
		return 1;
	}
	if (!show) {
		kmm_show("dmesg", stdout);
		const char *def[] = { "buddyinfo", "zoneinfo", "meminfo" };
		for (size_t v = 0; v < 3; v++) {
			printf("\n==> /proc/%s <==\n", def[v]);
			kmm_show(def[v], stdout);
		}
	}
	for (int v = 0; v < nviews; v++) {
		if (kmm_show(views[v], stdout)) {
			fprintf(stderr, "kmm: unknown view '%s'\n", views[v]);
			kmm_shutdown();
			return 2;
		}
	}
	kmm_shutdown();
	return 0;
}
