/* SPDX-License-Identifier: MIT */
/*
 * kmm replay: a real Linux ftrace trace of kmem, vmalloc and percpu events
 * carried out on a machine (the library's trace module does the work), and
 * what came of it: a summary for people or one JSON object for programs,
 * the views, the kernel's own after.* views beside ours (--compare-proc),
 * pictures and a report.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "kmm.h"
#include "draw.h"

#define DEFAULT_MACHINE "arch=x86_64 mem=4G cpus=2"
#define MAX_NAMED_ERRORS 20
#define SAMPLE_EVERY 2048

static void usage(FILE *f)
{
	fprintf(f, "usage: kmm replay [OPTIONS] TRACE [PARAM=VALUE...]\n\n"
		   "Replay a Linux ftrace trace (trace_pipe text of kmem:*, vmalloc:* and\n"
		   "percpu:* events; plain, .xz or .gz; '-' for stdin) on a machine\n"
		   "(default: " DEFAULT_MACHINE ", the traced kernel's CPUs).\n\n"
		   "  -j, --json              one JSON object: events, applied, unmatched_frees,\n"
		   "                          failed_allocs, kmalloc_ksize_match/mismatch, seconds,\n"
		   "                          fragmentation indices, ...\n"
		   "      --strict            stop at the first malformed line, print nothing\n"
		   "  -c, --compare-proc DIR  set our views beside the kernel's DIR/after.* files\n"
		   "  -s, --show VIEWS        print these views at the end (comma-separated)\n"
		   "  -d, --draw DIR          write PNG pictures into DIR\n"
		   "  -r, --report FILE.html  write a self-contained HTML report\n"
		   "      --progress          a progress bar even when stderr is not a terminal\n"
		   "      --no-progress       no progress bar\n"
		   "  -h, --help              this help\n\n"
		   "Malformed lines are named with their line numbers on stderr and skipped.\n");
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void progress(struct trace_input *in, unsigned long long events, bool done)
{
	long long at, total;
	trace_progress(in, &at, &total);
	if (total > 0) {
		int pct = (int)(at * 100 / total), w = pct * 40 / 100;
		fprintf(stderr, "\rreplay [%.*s%*s] %3d%% %llu events", w,
			"########################################", 40 - w, "", pct, events);
	} else {
		fprintf(stderr, "\rreplay %llu events", events);
	}
	if (done)
		fputs("\n", stderr);
}

/* --- --compare-proc: the kernel's after.* beside ours --- */
struct slabrow {
	char name[64];
	long active, num, objsize, perslab, pages;
};

static int parse_slabinfo(const char *text, struct slabrow **rows)
{
	int n = 0, cap = 0;
	*rows = NULL;
	for (const char *l = text; l && *l;) {
		const char *nl = strchr(l, '\n');
		struct slabrow r;
		if (*l != '#' && strncmp(l, "slabinfo", 8) &&
		    sscanf(l, "%63s %ld %ld %ld %ld %ld", r.name, &r.active, &r.num, &r.objsize,
			   &r.perslab, &r.pages) == 6) {
			if (n == cap) {
				cap = cap ? cap * 2 : 256;
				struct slabrow *nr = realloc(*rows, (size_t)cap * sizeof(r));
				if (!nr)
					break;
				*rows = nr;
			}
			(*rows)[n++] = r;
		}
		l = nl ? nl + 1 : NULL;
	}
	return n;
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0;
	if (!f)
		return NULL;
	FILE *m = open_memstream(&buf, &len);
	char chunk[8192];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), f)))
		fwrite(chunk, 1, n, m);
	fclose(f);
	fclose(m);
	return buf;
}

static const struct slabrow *find_row(const struct slabrow *rows, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(rows[i].name, name))
			return &rows[i];
	return NULL;
}

/* Text for people, or a JSON member for programs. */
static int compare_proc(const char *dir, bool json, FILE *out)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/after.slabinfo", dir);
	char *theirs_text = read_file(path);
	if (!theirs_text) {
		errmsg("replay: --compare-proc: %s: %s", path, strerror(errno));
		return -1;
	}
	char *ours_text = view_text("slabinfo");
	struct slabrow *theirs, *ours;
	int nt = parse_slabinfo(theirs_text, &theirs), no = parse_slabinfo(ours_text, &ours);
	int both = 0, only_kernel = 0, only_ours = 0, size_same = 0, layout_same = 0;

	if (json)
		fputs(",\n  \"compare_proc\": {\"caches\": [", out);
	else
		fprintf(out, "\n==> slabinfo: the kernel's %s beside the replay's <==\n"
			     "%-24s %10s %10s  %7s %7s  %5s %5s  %4s %4s\n", path, "# name",
			"k:active", "r:active", "k:size", "r:size", "k:per", "r:per", "k:pg", "r:pg");
	for (int i = 0; i < nt; i++) {
		const struct slabrow *k = &theirs[i], *r = find_row(ours, no, k->name);
		if (!r) {
			only_kernel++;
			continue;
		}
		bool sz = k->objsize == r->objsize, lay = k->perslab == r->perslab && k->pages == r->pages;
		both++;
		size_same += sz;
		layout_same += lay;
		if (json)
			fprintf(out, "%s\n    {\"name\": \"%s\", \"kernel\": {\"active_objs\": %ld, \"objsize\": %ld, "
				     "\"objperslab\": %ld, \"pagesperslab\": %ld}, \"replay\": {\"active_objs\": %ld, "
				     "\"objsize\": %ld, \"objperslab\": %ld, \"pagesperslab\": %ld}}",
				both > 1 ? "," : "", k->name, k->active, k->objsize, k->perslab, k->pages,
				r->active, r->objsize, r->perslab, r->pages);
		else
			fprintf(out, "%-24s %10ld %10ld  %7ld %7ld%s %5ld %5ld%s %4ld %4ld\n", k->name,
				k->active, r->active, k->objsize, r->objsize, sz ? " " : "*", k->perslab,
				r->perslab, lay ? " " : "*", k->pages, r->pages);
	}
	for (int i = 0; i < no; i++)
		if (!find_row(theirs, nt, ours[i].name))
			only_ours++;
	if (json)
		fprintf(out, "],\n    \"in_both\": %d, \"only_kernel\": %d, \"only_replay\": %d, "
			     "\"same_objsize\": %d, \"same_layout\": %d}", both, only_kernel, only_ours,
			size_same, layout_same);
	else
		fprintf(out, "caches in both: %d (same object size: %d, same objects and pages per slab: %d); "
			     "only in the kernel: %d (not in the trace); only in the replay: %d\n"
			     "(* marks a difference; our caches are made from the trace, unmerged)\n",
			both, size_same, layout_same, only_kernel, only_ours);
	free(theirs);
	free(ours);
	free(theirs_text);
	free(ours_text);
	return 0;
}

static void print_summary(FILE *f, const char *trace, const struct kmm_replay_stats *st,
			  double secs)
{
	static const char *const tnames[KMM_TEV_NR] = {
		"other", "kmalloc", "kfree", "kmem_cache_alloc", "kmem_cache_free", "mm_page_alloc",
		"mm_page_free", "mm_page_free_batched", "alloc_vmap_area", "free_vmap_area_noflush",
		"percpu_alloc_percpu", "percpu_free_percpu" };

	fprintf(f, "replayed %s: %llu events in %.3f s (%.2f M events/s)\n", trace,
		(unsigned long long)st->events, secs, secs > 0 ? (double)st->events / secs / 1e6 : 0);
	fprintf(f, "  applied %llu, unmatched frees %llu, failed allocations %llu (the kernel's own: %llu)\n",
		(unsigned long long)st->applied, (unsigned long long)st->unmatched_frees,
		(unsigned long long)st->failed_allocs, (unsigned long long)st->kernel_failed);
	fprintf(f, "  kmalloc ksize() as Linux's bytes_alloc: %llu match, %llu differ\n",
		(unsigned long long)st->kmalloc_ksize_match,
		(unsigned long long)st->kmalloc_ksize_mismatch);
	fprintf(f, "  malformed lines %llu, events not replayed %llu, caches created %llu\n",
		(unsigned long long)st->malformed, (unsigned long long)st->ignored,
		(unsigned long long)st->caches_created);
	fprintf(f, "  frees of NULL %llu, batched repeats %llu, reallocations of a live address %llu\n",
		(unsigned long long)st->null_frees, (unsigned long long)st->batched_repeats,
		(unsigned long long)st->reallocs);
	fprintf(f, "  held at the end: %llu objects, %llu page blocks, %llu per-CPU areas, %llu vmap areas\n",
		(unsigned long long)st->live_objects, (unsigned long long)st->live_pages,
		(unsigned long long)st->live_pcpu, (unsigned long long)st->live_vmap);
	fputs("  events:", f);
	for (int i = 1; i < KMM_TEV_NR; i++)
		if (st->by_type[i])
			fprintf(f, " %s %llu", tnames[i], (unsigned long long)st->by_type[i]);
	fputs("\n", f);
	char *u = view_text("unusable_index");
	if (u) {
		fprintf(f, "\n==> /proc/buddyinfo <==\n");
		char *b = view_text("buddyinfo");
		fputs(b ? b : "", f);
		free(b);
		fprintf(f, "\n==> unusable_index (orders 0..10) <==\n%s", u);
		free(u);
	}
}

static void print_json(FILE *f, const struct kmm_replay_stats *st, double secs, struct session *s)
{
	fprintf(f, "{\n  \"events\": %llu,\n  \"applied\": %llu,\n  \"unmatched_frees\": %llu,\n"
		   "  \"failed_allocs\": %llu,\n  \"kernel_failed_allocs\": %llu,\n"
		   "  \"kmalloc_ksize_match\": %llu,\n  \"kmalloc_ksize_mismatch\": %llu,\n"
		   "  \"malformed\": %llu,\n  \"ignored\": %llu,\n  \"null_frees\": %llu,\n"
		   "  \"batched_repeats\": %llu,\n  \"reallocs\": %llu,\n  \"caches_created\": %llu,\n"
		   "  \"lines\": %llu,\n  \"seconds\": %.6f,\n  \"events_per_second\": %.0f,\n"
		   "  \"machine\": ",
		(unsigned long long)st->events, (unsigned long long)st->applied,
		(unsigned long long)st->unmatched_frees, (unsigned long long)st->failed_allocs,
		(unsigned long long)st->kernel_failed, (unsigned long long)st->kmalloc_ksize_match,
		(unsigned long long)st->kmalloc_ksize_mismatch, (unsigned long long)st->malformed,
		(unsigned long long)st->ignored, (unsigned long long)st->null_frees,
		(unsigned long long)st->batched_repeats, (unsigned long long)st->reallocs,
		(unsigned long long)st->caches_created, (unsigned long long)st->lines, secs,
		secs > 0 ? (double)st->events / secs : 0.0);
	json_str(f, s->cmdline);
	fputs(",\n  \"fragmentation\": ", f);
	json_frag_indices(f);
}

int cmd_replay(int argc, char **argv)
{
	enum { OPT_STRICT = 256, OPT_PROGRESS, OPT_NO_PROGRESS };
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "strict", no_argument, NULL, OPT_STRICT },
		{ "compare-proc", required_argument, NULL, 'c' },
		{ "show", required_argument, NULL, 's' },
		{ "draw", required_argument, NULL, 'd' },
		{ "report", required_argument, NULL, 'r' },
		{ "progress", no_argument, NULL, OPT_PROGRESS },
		{ "no-progress", no_argument, NULL, OPT_NO_PROGRESS },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct session s = { .cmd = "replay" };
	const char *trace = NULL, *compare = NULL;
	bool strict = false;
	int bar = -1, c;

	session_add_param(&s, DEFAULT_MACHINE);
	optind = 1;
	while ((c = getopt_long(argc, argv, "jc:s:d:r:h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': s.json = true; break;
		case OPT_STRICT: strict = true; break;
		case 'c': compare = optarg; break;
		case 's':
			if (session_set_views(&s, optarg))
				return EXIT_USAGE;
			break;
		case 'd': s.draw_dir = optarg; break;
		case 'r': s.report = optarg; break;
		case OPT_PROGRESS: bar = 1; break;
		case OPT_NO_PROGRESS: bar = 0; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	trace = session_args(&s, argc, argv, optind, "trace");
	if (bar < 0)
		bar = isatty(STDERR_FILENO);

	char err[256];
	struct trace_input *in = trace_open(trace, err, sizeof(err));
	if (!in) {
		errmsg("replay: %s", err);
		return EXIT_WORK;
	}
	int ret = session_boot(&s);
	if (ret) {
		trace_close(in);
		return ret;
	}
	struct kmm_replay *r = kmm_replay_create();
	if (!r) {
		errmsg("replay: out of memory");
		trace_close(in);
		session_end(&s);
		return EXIT_WORK;
	}
	if (s.draw_dir || s.report) {
		s.series = frag_series_new();
		frag_sample(s.series, 0);
	}

	const char *line;
	size_t len;
	unsigned long long lineno = 0, named = 0, next_sample = SAMPLE_EVERY;
	double t0 = now();
	struct kmm_replay_stats st;
	int rc;
	trace_preparse(in);
	while ((line = trace_replay_next(in, r, &len, &rc))) {
		lineno++;
		if (rc == -EINVAL) {
			if (strict || named++ < MAX_NAMED_ERRORS)
				fprintf(stderr, "%skmm replay: %s:%llu: malformed line (%s): %.80s\n",
					bar ? "\n" : "", trace, lineno, kmm_replay_error(r), line);
			if (strict) {
				ret = EXIT_WORK;
				break;
			}
		}
		if ((lineno & 0xffff) == 0 && bar) {
			kmm_replay_get_stats(r, &st);
			progress(in, st.events, false);
		}
		if (s.series && lineno >= next_sample) {
			frag_sample(s.series, (double)lineno);
			next_sample += SAMPLE_EVERY;
		}
	}
	double secs = now() - t0;
	kmm_replay_get_stats(r, &st);
	if (bar)
		progress(in, st.events, true);
	if (!ret && trace_error(in)) {
		errmsg("replay: %s:%llu: %s", trace, lineno, trace_error(in));
		ret = EXIT_WORK;
	}
	trace_close(in);
	if (named > MAX_NAMED_ERRORS)
		fprintf(stderr, "kmm replay: %s: %llu more malformed lines not named\n", trace,
			named - MAX_NAMED_ERRORS);
	if (!ret && s.series)
		frag_sample(s.series, (double)lineno);

	/* The whole output is built before any of it is printed. */
	char *buf = NULL;
	size_t blen = 0;
	FILE *out = open_memstream(&buf, &blen);
	if (!ret) {
		if (s.json) {
			print_json(out, &st, secs, &s);
			if (compare && compare_proc(compare, true, out))
				ret = EXIT_WORK;
			fputs(",\n  \"views\": {\n    ", out);
			print_views(&s, out);
			fputs("\n  }\n}\n", out);
		} else {
			print_summary(out, trace, &st, secs);
			if (compare && compare_proc(compare, false, out))
				ret = EXIT_WORK;
			print_views(&s, out);
		}
	}
	fclose(out);
	if (!ret) {
		s.summary = strdup(buf);
		ret = session_outputs(&s);
	}
	if (!ret)
		fputs(buf, stdout);
	free(buf);
	kmm_replay_destroy(r);
	session_end(&s);
	if (!ret && fflush(stdout))
		ret = EXIT_WORK;
	/* Past malformed lines the replay went on and printed it all; the status says so. */
	if (!ret && named)
		ret = EXIT_WORK;
	return ret;
}
