/* SPDX-License-Identifier: MIT */
/*
 * The session every command shares: the machine's command line, booting
 * it, the views to print at the end, and the outputs (--draw, --report)
 * written when the work is done.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "kmm.h"
#include "draw.h"

int session_add_param(struct session *s, const char *word)
{
	size_t have = strlen(s->cmdline), n = strlen(word);

	if (have + n + 2 > sizeof(s->cmdline))
		return -E2BIG;
	if (have)
		s->cmdline[have++] = ' ';
	memcpy(s->cmdline + have, word, n + 1);
	return 0;
}

const char *session_args(struct session *s, int argc, char **argv, int first, const char *what)
{
	const char *arg = NULL;

	for (int i = first; i < argc; i++) {
		if (looks_like_param(argv[i])) {
			if (session_add_param(s, argv[i]))
				die_usage(s->cmd, "the command line is too long");
		} else if (!arg) {
			arg = argv[i];
		} else {
			die_usage(s->cmd, "one %s at a time ('%s' and '%s')", what, arg, argv[i]);
		}
	}
	if (!arg)
		die_usage(s->cmd, "no %s given", what);
	return arg;
}

const char *view_name(const char *name)
{
	if (!strcmp(name, "percpu"))	/* the short name the workbench's spec uses */
		name = "percpu_stats";
	for (const char *const *v = kmm_view_names(); *v; v++)
		if (!strcmp(*v, name))
			return *v;
	return NULL;
}

/* Machine parameters are key=value words, and the few bare flags Linux has. */
bool looks_like_param(const char *word)
{
	static const char *const bare[] = { "panic_on_warn", "slab_nomerge", "slub_nomerge",
					    "init_on_alloc", "init_on_free", NULL };

	if (strchr(word, '='))
		return true;
	for (int i = 0; bare[i]; i++)
		if (!strcmp(word, bare[i]))
			return true;
	return false;
}

int session_set_views(struct session *s, const char *list)
{
	char buf[1024];

	if (strlen(list) >= sizeof(buf))
		return -E2BIG;
	strcpy(buf, list);
	s->nr_views = 0;
	for (char *save, *v = strtok_r(buf, ",", &save); v; v = strtok_r(NULL, ",", &save)) {
		if (!strcmp(v, "none"))
			continue;
		const char *name = view_name(v);
		if (!name) {
			errmsg("%s: unknown view '%s' (known: see 'kmm show --help')", s->cmd, v);
			return -ENOENT;
		}
		if (s->nr_views < (int)(sizeof(s->views) / sizeof(s->views[0])))
			s->views[s->nr_views++] = name;
	}
	return 0;
}

static char *dmesg_text(void)
{
	size_t n = kmm_dmesg(NULL, 0);
	char *buf = malloc(n + 1);

	if (buf)
		kmm_dmesg(buf, n + 1);
	return buf;
}

int session_boot(struct session *s)
{
	kmm_set_console(NULL);
	int err = kmm_boot(s->cmdline);
	if (err) {
		char *log = dmesg_text();
		bool named = false;

		/* The parameter errors name themselves; else show the whole log. */
		for (char *l = log; l && *l;) {
			char *nl = strchr(l, '\n');
			size_t len = nl ? (size_t)(nl - l) : strlen(l);
			if (!strncmp(l, "kmm: ", 5)) {
				fprintf(stderr, "%.*s\n", (int)len, l);
				named = true;
			}
			l += len + (nl != NULL);
		}
		if (!named && log)
			fputs(log, stderr);
		free(log);
		errmsg("%s: boot failed (%s): %s", s->cmd, s->cmdline, strerror(-err));
		return EXIT_WORK;
	}
	s->bootlog = dmesg_text();
	return 0;
}

char *view_text(const char *view)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	int err = kmm_show(view, f);
	fclose(f);
	if (err) {
		free(buf);
		return NULL;
	}
	return buf;
}

void print_views(struct session *s, FILE *f)
{
	for (int i = 0; i < s->nr_views; i++) {
		char *t = view_text(s->views[i]);
		if (!t)
			continue;
		if (s->json) {
			fprintf(f, "%s", i ? ",\n    " : "");
			json_str(f, s->views[i]);
			fputs(": ", f);
			json_view(f, s->views[i], t);
		} else {
			if (strcmp(s->views[i], "dmesg"))
				fprintf(f, "\n==> /proc/%s <==\n", s->views[i]);
			fputs(t, f);
		}
		free(t);
	}
}

int session_outputs(struct session *s)
{
	struct picture pics[MAX_PICTURES];
	int n = 0, ret = 0;

	if (!s->draw_dir && !s->report)
		return 0;
	n = draw_pictures(s, pics, MAX_PICTURES);
	if (n < 0)
		return EXIT_WORK;
	if (s->draw_dir) {
		if (ensure_dir(s->draw_dir)) {
			errmsg("%s: --draw %s: %s", s->cmd, s->draw_dir, strerror(errno));
			ret = EXIT_WORK;
		}
		/* Write each whole to a temporary, then rename them all. */
		char *tmp[MAX_PICTURES] = { 0 }, path[MAX_PICTURES][4096];
		FILE *fs[MAX_PICTURES] = { 0 };
		for (int i = 0; i < n && !ret; i++) {
			snprintf(path[i], sizeof(path[i]), "%s/%s", s->draw_dir, pics[i].file);
			fs[i] = out_open(path[i], &tmp[i]);
			if (!fs[i] || fwrite(pics[i].png, 1, pics[i].len, fs[i]) != pics[i].len ||
			    fflush(fs[i])) {
				errmsg("%s: %s: %s", s->cmd, path[i], strerror(errno));
				ret = EXIT_WORK;
			}
		}
		for (int i = 0; i < n; i++) {
			if (!fs[i])
				continue;
			if (ret)
				out_abort(fs[i], tmp[i]);
			else if (out_commit(fs[i], tmp[i], path[i]))
				ret = EXIT_WORK;
		}
	}
	if (!ret && s->report && write_report(s, s->report, pics, n))
		ret = EXIT_WORK;
	for (int i = 0; i < n; i++)
		free(pics[i].png);
	return ret;
}

void session_end(struct session *s)
{
	free(s->bootlog);
	free(s->summary);
	frag_series_free(s->series);
	if (kmm_booted())
		kmm_shutdown();
}
