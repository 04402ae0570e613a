/* SPDX-License-Identifier: MIT */
/*
 * The workbench's own internals, grouped by the file that defines them.
 * The tool uses only libkmm's public API: what it shows of the machine it
 * reads from the views, as any program reading /proc would.
 */
#ifndef KMM_TOOL_H
#define KMM_TOOL_H

#include <stdbool.h>
#include <stdio.h>
#include <kmm/kmm.h>
#include "input.h"

/* Exit codes: 0 fine, 1 the work failed, 2 the command line was wrong. */
enum { EXIT_WORK = 1, EXIT_USAGE = 2 };

/* --- main.c --- */
extern const char *kmm_prog;
void die_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));
void errmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* --- machine.c: the machine, its views, the options every command shares --- */
struct session {
	const char *cmd;		/* "boot", "run", ... */
	char cmdline[4096];		/* the machine: kernel command line */
	const char *views[32];		/* --show, or the command's defaults */
	int nr_views;
	bool json;
	const char *draw_dir;		/* --draw DIR */
	const char *report;		/* --report FILE.html */
	char *bootlog;			/* the log as boot left it */
	struct frag_series *series;	/* fragmentation samples (draw.c) */
	char *summary;			/* the command's own text, for the report */
};

/* Add a word of the machine's command line. Return: 0, or -E2BIG. */
int session_add_param(struct session *s, const char *word);
/* Set the views from a comma list; Return: 0, or -ENOENT naming the bad one. */
int session_set_views(struct session *s, const char *list);
/* The view @name names (percpu is percpu_stats), or NULL. */
const char *view_name(const char *name);
bool looks_like_param(const char *word);
/*
 * The words from @first on: machine parameters go to the command line, and
 * the one other word (the @what: "trace", "scenario") is returned; none, or
 * two, is a usage error.
 */
const char *session_args(struct session *s, int argc, char **argv, int first, const char *what);
/* Boot, printing the log on failure.  Return: 0 or an exit code. */
int session_boot(struct session *s);
/* A view as text (malloc'ed), or NULL for an unknown one. */
char *view_text(const char *view);
/* Print the session's views (text or JSON) to @f. */
void print_views(struct session *s, FILE *f);
/* Write what --draw and --report ask for.  Return: 0 or an exit code. */
int session_outputs(struct session *s);
void session_end(struct session *s);

/* --- out.c: files written whole or not at all --- */
/* Open a temporary beside @path; commit renames it over @path. */
FILE *out_open(const char *path, char **tmp);
int out_commit(FILE *f, char *tmp, const char *path);
void out_abort(FILE *f, char *tmp);
int ensure_dir(const char *dir);

/* --- json.c --- */
void json_str(FILE *f, const char *s);
/* A view in JSON: objects and arrays for the formats it knows, else lines. */
void json_view(FILE *f, const char *view, const char *text);
/* {"zone":..., "unusable":[...], "extfrag":[...]} for each zone. */
void json_frag_indices(FILE *f);

/* --- the commands --- */
int cmd_boot(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_exec(int argc, char **argv);

#endif /* KMM_TOOL_H */
