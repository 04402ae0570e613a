/* SPDX-License-Identifier: MIT */
/*
 * The workbench end to end: the kmm binary run as a person would run it,
 * its output read back (the JSON parsed, the PNGs decoded, the report
 * opened in headless Chromium when Debian's chromium is installed).
 */
#include <errno.h>
#include <fcntl.h>
#include <png.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>
#include <lzma.h>
#include <criterion/criterion.h>
#include <kmm/trace.h>
#include "../tools/kmm/colours.h"
#include "../tools/kmm/input.h"

/* ../shared beside the clone (CI), else the workplace's copy. */
static const char *trace_dir(void)
{
	static const char *const dirs[] = { TRACE_DIR_REL, "/work/shared/data/traces/linux-6.18-build" };
	for (int i = 0; i < 2; i++)
		if (!access(dirs[i], R_OK))
			return dirs[i];
	return dirs[0];
}

extern char **environ;

struct result {
	int status;		/* exit code, or 128 + signal */
	char *out, *err;
};

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *buf = malloc((size_t)n + 1);
	size_t got = fread(buf, 1, (size_t)n, f);
	buf[got] = '\0';
	fclose(f);
	return buf;
}

/* Run argv (argv[0] "kmm" means the built kmm); stdout and stderr captured. */
static struct result run(const char *const *argv)
{
	char out[] = "/tmp/kmm-test-outXXXXXX", err[] = "/tmp/kmm-test-errXXXXXX";
	int fo = mkstemp(out), fe = mkstemp(err);
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fo, 1);
	posix_spawn_file_actions_adddup2(&fa, fe, 2);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	const char *args[64];
	int n = 0;
	for (; argv[n] && n < 63; n++)
		args[n] = argv[n];
	args[n] = NULL;
	if (!strcmp(args[0], "kmm"))
		args[0] = KMM_BIN;
	pid_t pid;
	int rc = posix_spawnp(&pid, args[0], &fa, NULL, (char *const *)args, environ);
	cr_assert_eq(rc, 0, "spawn %s: %s", args[0], strerror(rc));
	int st;
	waitpid(pid, &st, 0);
	posix_spawn_file_actions_destroy(&fa);
	close(fo);
	close(fe);
	struct result r = { WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st), slurp(out), slurp(err) };
	/* The previous run's output goes; this one's stays reachable for the test. */
	static char *last_out, *last_err;
	free(last_out);
	free(last_err);
	last_out = r.out;
	last_err = r.err;
	unlink(out);
	unlink(err);
	return r;
}

#define RUN(...) run((const char *const[]){ __VA_ARGS__, NULL })

/* --- a small strict JSON checker, and a reader of top-level numbers --- */
static const char *jvalue(const char *p);
static const char *jws(const char *p) { while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r') p++; return p; }
static const char *jstring(const char *p)
{
	if (*p != '"')
		return NULL;
	for (p++; *p && *p != '"'; p++) {
		if ((unsigned char)*p < 0x20)
			return NULL;
		if (*p == '\\' && !*++p)
			return NULL;
	}
	return *p == '"' ? p + 1 : NULL;
}
static const char *jvalue(const char *p)
{
	p = jws(p);
	if (*p == '{' || *p == '[') {
		char close = *p == '{' ? '}' : ']';
		bool obj = *p == '{';
		p = jws(p + 1);
		if (*p == close)
			return p + 1;
		for (;;) {
			if (obj) {
				if (!(p = jstring(jws(p))))
					return NULL;
				p = jws(p);
				if (*p++ != ':')
					return NULL;
			}
			if (!(p = jvalue(p)))
				return NULL;
			p = jws(p);
			if (*p == ',') {
				p++;
				continue;
			}
			return *p == close ? p + 1 : NULL;
		}
	}
	if (*p == '"')
		return jstring(p);
	if (!strncmp(p, "true", 4) || !strncmp(p, "null", 4))
		return p + 4;
	if (!strncmp(p, "false", 5))
		return p + 5;
	char *end;
	strtod(p, &end);
	return end > p ? end : NULL;
}
static bool json_valid(const char *s)
{
	const char *e = s ? jvalue(s) : NULL;
	return e && !*jws(e);
}
static double json_num(const char *s, const char *key)
{
	char k[64];
	snprintf(k, sizeof(k), "\"%s\": ", key);
	const char *p = strstr(s, k);
	cr_assert_not_null(p, "no \"%s\" in the JSON", key);
	return strtod(p + strlen(k), NULL);
}

/* --- boot, show --- */

Test(workbench, boot_prints_linux_boot_log)
{
	struct result r = RUN("kmm", "boot", "arch=x86_32", "mem=2G", "cpus=2");
	cr_assert_eq(r.status, 0, "%s", r.err);
	static const char *const want[] = {
		"BIOS-e820: [mem 0x0000000000100000-0x000000007fffffff] usable", "Zone ranges:",
		"  HighMem  [mem 0x0000000038000000-0x000000007fffffff]", "Early memory node ranges",
		"Memory: ", "K available", "SLUB: HWalign=64, Order=0-3, MinObjects=0, CPUs=2, Nodes=1",
		"virtual kernel memory layout:", "    fixmap  : 0x", "    pkmap   : 0x", "    vmalloc : 0x",
		"    lowmem  : 0xc0000000 - 0xf8000000   ( 896 MB)" };
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		cr_assert_not_null(strstr(r.out, want[i]), "no '%s' in:\n%s", want[i], r.out);
}

Test(workbench, show_json_and_errors)
{
	struct result r = RUN("kmm", "show", "--json", "buddyinfo", "meminfo", "slabinfo", "zoneinfo",
			      "vmallocinfo", "mem=512M");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(json_valid(r.out), "invalid JSON:\n%s", r.out);
	cr_assert_gt(json_num(r.out, "MemTotal"), 500000);
	cr_assert_not_null(strstr(r.out, "\"zone\": \"DMA32\""));

	/* The rest of the views the spec names, percpu by its short name too. */
	r = RUN("kmm", "show", "pagetypeinfo", "vmstat", "percpu", "mem=512M");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_not_null(strstr(r.out, "Page block order: "), "%.2000s", r.out);
	cr_assert_not_null(strstr(r.out, "\nnr_free_pages "), "%.2000s", r.out);
	cr_assert_not_null(strstr(r.out, "Percpu Memory Statistics"), "%.2000s", r.out);

	r = RUN("kmm", "show", "nosuchview");
	cr_assert_eq(r.status, 2);
	cr_assert_str_empty(r.out);
	cr_assert_not_null(strstr(r.err, "unknown view 'nosuchview'"), "%s", r.err);

	r = RUN("kmm", "boot", "mem=lots");
	cr_assert_eq(r.status, 1);
	cr_assert_str_empty(r.out);
	cr_assert_not_null(strstr(r.err, "Malformed kernel command line parameter \"mem=lots\""), "%s", r.err);

	r = RUN("kmm", "frobnicate");
	cr_assert_eq(r.status, 2);
	r = RUN("kmm", "run", "nosuchscenario");
	cr_assert_eq(r.status, 2);
	cr_assert_not_null(strstr(r.err, "unknown scenario 'nosuchscenario'"));
	for (const char *const *c = (const char *const[]){ "boot", "show", "run", "replay", "exec", NULL }; *c; c++) {
		r = RUN("kmm", *c, "--help");
		cr_assert_eq(r.status, 0, "kmm %s --help", *c);
		cr_assert_not_null(strstr(r.out, "usage: kmm"), "kmm %s --help", *c);
	}
}

/* --- replay --- */

/*
 * What replaying the real trace (and its first 50,000 lines) gives, counted
 * once and pinned here, so that making the replayer faster can never change
 * what it does without a test saying so.
 */
struct replay_pins {
	unsigned long lines;	/* of the trace's head; 0 for the whole trace */
	double events, applied, unmatched_frees, failed_allocs, kernel_failed_allocs,
	       kmalloc_ksize_match, kmalloc_ksize_mismatch, malformed, ignored, null_frees,
	       batched_repeats, reallocs, caches_created;
};

static const struct replay_pins whole_trace = {
	0, 286522, 244301, 292, 0, 0, 4343, 0, 0, 0, 9348, 32581, 5395, 39,
};
static const struct replay_pins trace_head = {
	50000, 50000, 43791, 154, 0, 0, 1214, 0, 0, 0, 3645, 2410, 1593, 32,
};

static void assert_pinned(const char *json, const struct replay_pins *p, const char *what)
{
	cr_assert(json_valid(json), "invalid JSON from %s:\n%.2000s", what, json);
#define PIN(f) cr_assert_eq(json_num(json, #f), p->f, "%s: " #f " %.0f, pinned %.0f", what, \
			    json_num(json, #f), p->f)
	PIN(events); PIN(applied); PIN(unmatched_frees); PIN(failed_allocs);
	PIN(kernel_failed_allocs); PIN(kmalloc_ksize_match); PIN(kmalloc_ksize_mismatch);
	PIN(malformed); PIN(ignored); PIN(null_frees); PIN(batched_repeats); PIN(reallocs);
	PIN(caches_created);
#undef PIN
}

Test(workbench, replay_real_trace_json, .timeout = 240)
{
	char xz[512];
	snprintf(xz, sizeof(xz), "%s/trace.txt.xz", trace_dir());
	if (access(xz, R_OK))
		cr_skip_test("no trace at %s", xz);
	struct result r = RUN("kmm", "replay", "--json", "--compare-proc", trace_dir(), xz);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(json_valid(r.out), "invalid JSON:\n%.2000s", r.out);
	assert_pinned(r.out, &whole_trace, xz);
	cr_assert_gt(json_num(r.out, "seconds"), 0);
	cr_assert_not_null(strstr(r.out, "\"unusable_index\": [{\"node\": 0"));
	cr_assert_gt(json_num(r.out, "in_both"), 30);
	/* Every cache but kmm's own kmem_cache and kmem_cache_node (our structs). */
	cr_assert_geq(json_num(r.out, "same_objsize"), json_num(r.out, "in_both") - 2);
	cr_assert_str_empty(r.err, "no progress bar when stderr is no terminal: %s", r.err);
}

/* The first @lines lines of the real trace, decompressed; NULL if it is absent. */
static char *trace_head_text(unsigned long lines, size_t *len)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/trace.txt.xz", trace_dir());
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	lzma_stream s = LZMA_STREAM_INIT;
	cr_assert_eq(lzma_stream_decoder(&s, UINT64_MAX, 0), LZMA_OK);
	size_t cap = 32 << 20, n = 0;
	char *out = malloc(cap);
	static unsigned char in[1 << 16];
	unsigned long seen = 0;
	lzma_ret r = LZMA_OK;
	while (r == LZMA_OK && seen < lines && n < cap) {
		if (!s.avail_in) {
			s.next_in = in;
			s.avail_in = fread(in, 1, sizeof(in), f);
		}
		s.next_out = (unsigned char *)out + n;
		s.avail_out = cap - n;
		r = lzma_code(&s, s.avail_in ? LZMA_RUN : LZMA_FINISH);
		for (; n < cap - s.avail_out; n++)
			if (out[n] == '\n' && ++seen == lines) {
				n++;
				break;
			}
	}
	lzma_end(&s);
	fclose(f);
	cr_assert_eq(seen, lines, "the trace has fewer than %lu lines", lines);
	*len = n;
	return out;
}

/* The head of the real trace as plain text, gzip and xz, each longer than
 * the reader's blocks, so lines straddle blocks in all three. */
Test(workbench, replay_trace_head_counts_pinned, .timeout = 240)
{
	size_t len;
	char *text = trace_head_text(trace_head.lines, &len);
	if (!text)
		cr_skip_test("no trace at %s", trace_dir());
	/* A directory of its own: another build's suite may run this test at the same time. */
	char dir[] = "/tmp/kmm-head-XXXXXX", names[3][64];
	cr_assert_not_null(mkdtemp(dir));
	for (int i = 0; i < 3; i++)
		snprintf(names[i], sizeof(names[i]), "%s/head.%s", dir, (const char *[]){ "txt", "gz", "xz" }[i]);
	FILE *f = fopen(names[0], "wb");
	cr_assert_eq(fwrite(text, 1, len, f), len);
	fclose(f);
	gzFile g = gzopen(names[1], "wb1");
	cr_assert_eq(gzwrite(g, text, (unsigned int)len), (int)len);
	gzclose(g);
	size_t xcap = len, xlen = 0;
	unsigned char *xz = malloc(xcap);
	cr_assert_eq(lzma_easy_buffer_encode(1, LZMA_CHECK_CRC64, NULL, (const uint8_t *)text, len,
					     xz, &xlen, xcap), LZMA_OK);
	f = fopen(names[2], "wb");
	cr_assert_eq(fwrite(xz, 1, xlen, f), xlen);
	fclose(f);
	for (int i = 0; i < 3; i++) {
		struct result r = RUN("kmm", "replay", "--json", names[i]);
		cr_assert_eq(r.status, 0, "%s: %s", names[i], r.err);
		assert_pinned(r.out, &trace_head, names[i]);
		unlink(names[i]);
	}
	rmdir(dir);
	free(xz);
	free(text);
}

static const char small_trace[] =
	"# tracer: nop\n"
	"   cat-1  [000] .....  1.000001: kmalloc: call_site=x+0x1/0x2 ptr=ffff888100000100 bytes_req=100 bytes_alloc=128 gfp_flags=GFP_KERNEL node=-1 accounted=false\n"
	"   cat-1  [001] .....  1.000002: this line is broken\n"
	"   cat-1  [001] .....  1.000003: kmem_cache_alloc: call_site=y+0x1/0x2 ptr=ffff888100000200 name=my_cache bytes_req=40 bytes_alloc=48 gfp_flags=GFP_KERNEL|__GFP_ZERO node=-1 accounted=false\n"
	"   cat-1  [001] .....  1.000004: kfree: call_site=z+0x1/0x2 ptr=ffff888100000100\n"
	"   cat-1  [000] .....  1.000005: kmem_cache_free: call_site=z+0x1/0x2 ptr=ffff888100000999 name=my_cache\n"
	"   cat-1  [000] .....  1.000006: mm_page_alloc: page=ffffea0000000040 pfn=0x1001 order=2 migratetype=0 gfp_flags=GFP_KERNEL|__GFP_COMP\n"
	"   cat-1  [000] .....  1.000007: mm_page_free: page=ffffea0000000040 pfn=0x1001 order=2\n"
	"   cat-1  [000] ...2.  1.000008: mm_page_free_batched: page=ffffea0000000040 pfn=0x1001 order=0\n"
	"   cat-1  [000] .....  1.000009: mm_page_alloc: page=ffffea0000000080 pfn=0x1002 order=0 migratetype=0 gfp_flags=GFP_BOGUS\n"
	"   cat-1  [000] .....  1.000010: alloc_vmap_area: va_start: 18446683600629776384 size=20480 align=16384 vstart=0xffffc90000000000 vend=0xffffe8ffffffffff failed=0\n"
	"   cat-1  [000] .....  1.000011: free_vmap_area_noflush: va_start=0xffffc900038fc000 nr_lazy=1 nr_lazy_max=16384\n"
	"   cat-1  [000] .....  1.000012: percpu_alloc_percpu: call_site=mm_init+0x2bf/0x4d0 reserved=0 is_atomic=0 size=16 align=8 base_addr=ffffe8ffffc00000 off=43040 ptr=000060795bb03820 bytes_alloc=64 gfp_flags=GFP_KERNEL\n"
	"   cat-1  [000] .....  1.000013: sched_switch: prev_comm=a\n";

static void write_small_trace(const char *path, bool gz)
{
	if (gz) {
		gzFile g = gzopen(path, "wb");
		gzwrite(g, small_trace, sizeof(small_trace) - 1);
		gzclose(g);
	} else {
		FILE *f = fopen(path, "w");
		fputs(small_trace, f);
		fclose(f);
	}
}

Test(workbench, replay_counts_names_bad_lines_and_reads_gzip)
{
	char path[] = "/tmp/kmm-trace-XXXXXX";
	close(mkstemp(path));
	for (int gz = 0; gz < 2; gz++) {
		write_small_trace(path, gz);
		struct result r = RUN("kmm", "replay", "--json", path);
		/* It goes on past the bad lines and prints it all, then says so by its status. */
		cr_assert_eq(r.status, 1, "%s", r.err);
		cr_assert(json_valid(r.out), "%s", r.out);
		cr_assert_eq(json_num(r.out, "events"), 11);
		cr_assert_eq(json_num(r.out, "malformed"), 2);
		cr_assert_eq(json_num(r.out, "unmatched_frees"), 1);
		cr_assert_eq(json_num(r.out, "batched_repeats"), 1);
		cr_assert_eq(json_num(r.out, "kmalloc_ksize_match"), 1);
		cr_assert_eq(json_num(r.out, "ignored"), 1);
		/* kmalloc, cache alloc, kfree, page alloc+free, vmap alloc+free, percpu */
		cr_assert_eq(json_num(r.out, "applied"), 8);
		cr_assert_not_null(strstr(r.err, ":3: malformed line"), "%s", r.err);
		cr_assert_not_null(strstr(r.err, ":10: malformed line (unknown gfp_flags 'GFP_BOGUS')"),
				   "%s", r.err);
	}
	/* --strict: the first bad line ends it, nothing on stdout, no report. */
	write_small_trace(path, false);
	char report[64];
	snprintf(report, sizeof(report), "%s.html", path);
	struct result r = RUN("kmm", "replay", "--strict", "--report", report, path);
	cr_assert_eq(r.status, 1);
	cr_assert_str_empty(r.out);
	cr_assert_not_null(strstr(r.err, ":3: malformed line"));
	cr_assert(access(report, F_OK), "a report was written");
	unlink(path);

	r = RUN("kmm", "replay", "/nonexistent/trace.xz");
	cr_assert_eq(r.status, 1);
	cr_assert_not_null(strstr(r.err, "No such file"), "%s", r.err);
}

/*
 * A plain-text trace of @pairs cache alloc/free pairs, several of input.c's
 * blocks long, with one malformed line (an unknown gfp name) at @bad_line.
 */
static void write_long_trace(const char *path, unsigned long pairs, unsigned long bad_line)
{
	FILE *f = fopen(path, "w");
	unsigned long line = 0;

	cr_assert_not_null(f);
	for (unsigned long i = 0; i < pairs; i++) {
		unsigned long ptr = 0xffff888100000000UL + (i % 4096) * 256;
		for (int free = 0; free < 2; free++) {
			if (++line == bad_line)
				fprintf(f, "  cc1-42 [000] .....  1.000000: kmem_cache_alloc: "
					"call_site=x+0x1/0x2 ptr=%lx name=dentry bytes_req=192 "
					"bytes_alloc=192 gfp_flags=GFP_BOGUS node=-1 accounted=false\n",
					ptr);
			else if (!free)
				fprintf(f, "  cc1-%lu [%03lu] .....  %lu.%06lu: kmem_cache_alloc: "
					"call_site=d_alloc+0x2c/0xa0 ptr=%lx name=dentry bytes_req=192 "
					"bytes_alloc=192 gfp_flags=GFP_KERNEL|__GFP_ZERO node=-1 "
					"accounted=false\n", i, i % 2, 100 + i / 1000000, i % 1000000, ptr);
			else
				fprintf(f, "  cc1-%lu [%03lu] .....  %lu.%06lu: kmem_cache_free: "
					"call_site=__dentry_kill+0x1/0x2 ptr=%lx name=dentry\n",
					i, i % 2, 100 + i / 1000000, i % 1000000, ptr);
		}
	}
	cr_assert_eq(fclose(f), 0);
}

/*
 * Plain text is read faster than it is replayed, so input.c's thread
 * parses lines ahead: each line it hands over with an event must carry
 * exactly what parsing the line gives, the malformed one must come without
 * one (the reader parses it for its reason), and the count of lines must
 * be whole.  Then kmm replay on it: the same counts as the trace says.
 */
Test(workbench, replay_parses_ahead_on_the_reading_thread, .timeout = 120)
{
	char path[] = "/tmp/kmm-trace-long-XXXXXX";
	const unsigned long pairs = 20000, bad = 2 * 17000 + 1;	/* ~7 MB of text */
	close(mkstemp(path));
	write_long_trace(path, pairs, bad);

	char err[256];
	struct trace_input *in = trace_open(path, err, sizeof(err));
	cr_assert_not_null(in, "%s", err);
	trace_preparse(in);
	const struct kmm_trace_event *ev;
	int ret;
	size_t len;
	const char *line = trace_next_parsed(in, &len, &ev, &ret);
	usleep(300 * 1000);	/* the ring fills and the decoder parses ahead */
	unsigned long n = 0, ahead = 0;
	for (; line; line = trace_next_parsed(in, &len, &ev, &ret)) {
		struct kmm_trace_event mine;
		int my_ret = kmm_trace_parse_line(line, len, &mine, NULL, 0);
		n++;
		cr_assert_eq(strlen(line), len);
		if (n == bad) {
			cr_assert_eq(my_ret, -EINVAL);
			cr_assert_null(ev, "a malformed line came parsed");
			continue;
		}
		cr_assert_eq(my_ret, 1, "line %lu: %s", n, line);
		if (!ev)
			continue;
		ahead++;
		cr_assert_eq(ret, my_ret);
		cr_assert(ev->type == mine.type && ev->cpu == mine.cpu && ev->ts_ns == mine.ts_ns &&
			  ev->ptr == mine.ptr && ev->gfp == mine.gfp &&
			  ev->bytes_alloc == mine.bytes_alloc && ev->name_len == mine.name_len &&
			  !memcmp(ev->name, mine.name, mine.name_len),
			  "line %lu parsed ahead differs: %s", n, line);
	}
	cr_assert_null(trace_error(in));
	trace_close(in);
	cr_assert_eq(n, 2 * pairs);
	cr_assert_gt(ahead, 2 * pairs / 4, "only %lu of %lu lines parsed ahead", ahead, n);

	struct result r = RUN("kmm", "replay", "--json", path);
	cr_assert_eq(r.status, 1, "%s", r.err);
	cr_assert_eq(json_num(r.out, "events"), 2 * pairs - 1);
	cr_assert_eq(json_num(r.out, "malformed"), 1);
	cr_assert_eq(json_num(r.out, "applied"), 2 * pairs - 2);	/* the bad one's free: unmatched */
	cr_assert_eq(json_num(r.out, "unmatched_frees"), 1);
	char want[64];
	snprintf(want, sizeof(want), ":%lu: malformed line (unknown gfp_flags", bad);
	cr_assert_not_null(strstr(r.err, want), "%s", r.err);
	unlink(path);
}

/*
 * The progress bar goes to a terminal: kmm replay with its stderr on a
 * pseudo-terminal draws one (and stdout, a file, stays clean), while
 * with --no-progress the terminal gets nothing.
 */
Test(workbench, replay_progress_bar_on_a_terminal_only)
{
	char path[] = "/tmp/kmm-trace-XXXXXX";
	close(mkstemp(path));
	write_small_trace(path, false);
	for (int quiet = 0; quiet < 2; quiet++) {
		int master = posix_openpt(O_RDWR | O_NOCTTY);
		cr_assert_geq(master, 0);
		cr_assert_eq(grantpt(master), 0);
		cr_assert_eq(unlockpt(master), 0);
		posix_spawn_file_actions_t fa;
		posix_spawn_file_actions_init(&fa);
		posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
		posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
		posix_spawn_file_actions_addopen(&fa, 2, ptsname(master), O_RDWR | O_NOCTTY, 0);
		char *argv[] = { KMM_BIN, "replay", quiet ? "--no-progress" : "--json", path, NULL };
		pid_t pid;
		cr_assert_eq(posix_spawn(&pid, KMM_BIN, &fa, NULL, argv, environ), 0);
		posix_spawn_file_actions_destroy(&fa);
		char tty[8192];
		size_t got = 0;
		ssize_t n;
		/* Until the child closes the terminal (EIO), so nothing is left unread. */
		while (got < sizeof(tty) - 1 && (n = read(master, tty + got, sizeof(tty) - 1 - got)) > 0)
			got += (size_t)n;
		tty[got] = '\0';
		int st;
		waitpid(pid, &st, 0);
		close(master);
		cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 1, "the small trace has malformed lines");
		if (quiet) {
			cr_assert_null(strstr(tty, "replay ["), "%s", tty);
		} else {
			cr_assert_not_null(strstr(tty, "replay ["), "no bar on the terminal: '%s'", tty);
			cr_assert_not_null(strstr(tty, "100%"), "%s", tty);
		}
		cr_assert_not_null(strstr(tty, "malformed line"), "%s", tty);
	}
	unlink(path);
}

/* @text as a one-block xz file at @path with @check; Return: the offset of the
 * block's stored check (it ends the block, just before the index). */
static size_t write_xz(const char *path, const char *text, size_t len, lzma_check check)
{
	size_t cap = len + 4096, xlen = 0;
	uint8_t *xz = malloc(cap);
	cr_assert_eq(lzma_easy_buffer_encode(6, check, NULL, (const uint8_t *)text, len, xz, &xlen,
					     cap), LZMA_OK);
	lzma_stream_flags ff;
	cr_assert_eq(lzma_stream_footer_decode(&ff, xz + xlen - LZMA_STREAM_HEADER_SIZE), LZMA_OK);
	size_t at = xlen - LZMA_STREAM_HEADER_SIZE - (size_t)ff.backward_size - lzma_check_size(check);
	FILE *f = fopen(path, "wb");
	cr_assert_eq(fwrite(xz, 1, xlen, f), xlen);
	fclose(f);
	free(xz);
	return at;
}

/*
 * kmm replay checks a one-block xz file's CRC on its reading thread and
 * tells liblzma not to: a CRC32 file replays as a CRC64 one does, and a
 * stored check that does not match is still corrupt data (exit 1, no output).
 */
Test(workbench, replay_xz_check_verified)
{
	char path[] = "/tmp/kmm-check-XXXXXX";
	close(mkstemp(path));
	write_xz(path, small_trace, sizeof(small_trace) - 1, LZMA_CHECK_CRC32);
	struct result r = RUN("kmm", "replay", "--json", path);
	cr_assert_eq(r.status, 1, "only for the small trace's malformed lines: %s", r.err);
	cr_assert_eq(json_num(r.out, "events"), 11);

	for (int i = 0; i < 2; i++) {
		lzma_check check = i ? LZMA_CHECK_CRC32 : LZMA_CHECK_CRC64;
		size_t at = write_xz(path, small_trace, sizeof(small_trace) - 1, check);
		FILE *f = fopen(path, "r+b");
		unsigned char c;
		cr_assert_eq(fseek(f, (long)at + i, SEEK_SET), 0);
		cr_assert_eq(fread(&c, 1, 1, f), 1);
		c ^= 0x40;
		cr_assert_eq(fseek(f, (long)at + i, SEEK_SET), 0);
		cr_assert_eq(fwrite(&c, 1, 1, f), 1);
		fclose(f);
		r = RUN("kmm", "replay", "--json", path);
		cr_assert_eq(r.status, 1, "check %d: a wrong check went unnoticed", check);
		cr_assert_not_null(strstr(r.err, "xz data is corrupt"), "%s", r.err);
		cr_assert_str_empty(r.out);
	}
	unlink(path);
}

/* --- run --- */

/*
 * Under ThreadSanitizer the workbench runs ten times slower, and fragment
 * fills and drains the whole machine between its high-order tries: there
 * the scenarios run on a smaller machine.
 */
#if defined(__SANITIZE_THREAD__)
#define SCENARIO_MACHINE "mem=128M"
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define SCENARIO_MACHINE "mem=128M"
#endif
#endif

Test(workbench, run_each_scenario, .timeout = 240)
{
	static const char *const sc[] = { "fork-storm", "module-load", "highmem-copy", "fragment", "mixed" };
	for (size_t i = 0; i < 5; i++) {
#ifdef SCENARIO_MACHINE
		struct result r = RUN("kmm", "run", "--json", "--ops", "200", sc[i], SCENARIO_MACHINE);
#else
		struct result r = RUN("kmm", "run", "--json", "--ops", "200", sc[i]);
#endif
		cr_assert_eq(r.status, 0, "%s: %s", sc[i], r.err);
		cr_assert(json_valid(r.out), "%s: invalid JSON:\n%.3000s", sc[i], r.out);
		cr_assert_not_null(strstr(r.out, "\"per_second\": "), "%s", sc[i]);
		cr_assert_gt(json_num(r.out, "ops"), 0, "%s", sc[i]);
		cr_assert_eq(json_num(r.out, "failed_allocs"), 0, "%s", sc[i]);
	}
	/* The text form names the throughput and prints the views. */
	struct result r = RUN("kmm", "run", "--seconds", "0.2", "fork-storm", "mem=512M");
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_not_null(strstr(r.out, "forks/s") ?: strstr(r.out, "/s"));
	cr_assert_not_null(strstr(r.out, "==> /proc/slabinfo <=="));
	cr_assert_not_null(strstr(r.out, "task_struct"));
}

/* --- pictures --- */

struct image {
	int w, h;
	unsigned char **rows;	/* RGB */
};

static struct image read_png(const char *path)
{
	struct image im = { 0 };
	FILE *f = fopen(path, "rb");
	cr_assert_not_null(f, "%s", path);
	png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	png_infop info = png_create_info_struct(png);
	cr_assert(!setjmp(png_jmpbuf(png)), "%s does not decode", path);
	png_init_io(png, f);
	png_read_png(png, info, PNG_TRANSFORM_STRIP_ALPHA | PNG_TRANSFORM_STRIP_16 | PNG_TRANSFORM_PACKING, NULL);
	im.w = (int)png_get_image_width(png, info);
	im.h = (int)png_get_image_height(png, info);
	cr_assert_eq(png_get_color_type(png, info), PNG_COLOR_TYPE_RGB);
	png_bytepp rows = png_get_rows(png, info);
	im.rows = malloc(sizeof(*im.rows) * (size_t)im.h);
	for (int y = 0; y < im.h; y++) {
		im.rows[y] = malloc((size_t)im.w * 3);
		memcpy(im.rows[y], rows[y], (size_t)im.w * 3);
	}
	png_destroy_read_struct(&png, &info, NULL);
	fclose(f);
	return im;
}

static bool is_slab(const unsigned char *p)
{
	for (unsigned int c = 0; c < 8; c++) {
		struct rgb s = colour_slab(c);
		if (p[0] == s.r && p[1] == s.g && p[2] == s.b)
			return true;
	}
	return false;
}

static bool is_kstack(const unsigned char *p)
{
	struct rgb k = colour_use(KMM_PAGE_KSTACK, 0, 0);
	return p[0] == k.r && p[1] == k.g && p[2] == k.b;
}

static bool is_free_or_uninit(const unsigned char *p)
{
	struct rgb u = colour_use(KMM_PAGE_UNINIT, 0, 0);
	if (p[0] == u.r && p[1] == u.g && p[2] == u.b)
		return true;
	for (unsigned int o = 0; o < 11; o++) {
		struct rgb f = colour_free(o);
		if (p[0] == f.r && p[1] == f.g && p[2] == f.b)
			return true;
	}
	return false;
}

Test(workbench, pictures_show_slab_below_highmem_only, .timeout = 120)
{
	char dir[] = "/tmp/kmm-draw-XXXXXX";
	cr_assert_not_null(mkdtemp(dir));
	struct result r = RUN("kmm", "run", "--ops", "2000", "--show", "none", "--draw", dir,
			      "fork-storm", "arch=x86_32", "mem=2G", "cpus=2");
	cr_assert_eq(r.status, 0, "%s", r.err);
	char path[256];
	snprintf(path, sizeof(path), "%s/memmap.png", dir);
	struct image im = read_png(path);
	/* 2 GiB: 524288 frames, one a pixel; HighMem begins at pfn 0x38000. */
	unsigned long ppp = MAP_PPP(524288UL), boundary = 0x38000 / ppp;
	unsigned long slab_low = 0, slab_high = 0, free_high = 0, kstack_low = 0, kstack_high = 0;
	for (unsigned long p = 0; p < 524288UL / ppp; p++) {
		const unsigned char *px = im.rows[MAP_Y0 + p / MAP_W] + 3 * (MAP_X0 + p % MAP_W);
		if (p < boundary) {
			slab_low += is_slab(px);
			kstack_low += is_kstack(px);
		} else {
			slab_high += is_slab(px);
			kstack_high += is_kstack(px);
			free_high += is_free_or_uninit(px);
		}
	}
	cr_assert_gt(slab_low, 10, "no slab pages drawn below HighMem");
	cr_assert_eq(slab_high, 0, "%lu slab pages drawn in HighMem", slab_high);
	/* The live tasks' kernel stacks: 8 KiB of lowmem each (x86_32 has no VMAP_STACK). */
	cr_assert_geq(kstack_low, 2 * 8, "%lu kernel-stack pages drawn below HighMem", kstack_low);
	cr_assert_eq(kstack_high, 0, "%lu kernel-stack pages drawn in HighMem", kstack_high);
	cr_assert_gt(free_high, 200000, "HighMem is not drawn free: %lu", free_high);
	for (int y = 0; y < im.h; y++)
		free(im.rows[y]);
	free(im.rows);
	for (const char *const *f = (const char *const[]){ "kernel-vm.png", "fragmentation.png", NULL }; *f; f++) {
		snprintf(path, sizeof(path), "%s/%s", dir, *f);
		struct image o = read_png(path);
		cr_assert_gt(o.w, 1000);
		for (int y = 0; y < o.h; y++)
			free(o.rows[y]);
		free(o.rows);
		unlink(path);
	}
	snprintf(path, sizeof(path), "%s/memmap.png", dir);
	unlink(path);
	rmdir(dir);
}

/* x86_64's fork-storm: vmalloc'ed kernel stacks, in the views and in the picture. */
Test(workbench, fork_storm_kernel_stacks_x86_64, .timeout = 120)
{
	char dir[] = "/tmp/kmm-draw-XXXXXX";
	cr_assert_not_null(mkdtemp(dir));
	struct result r = RUN("kmm", "run", "--ops", "1000", "--show", "meminfo,vmallocinfo",
			      "--draw", dir, "fork-storm", "arch=x86_64", "mem=512M", "cpus=2");
	cr_assert_eq(r.status, 0, "%s", r.err);
	/* As Linux shows them: 16 KiB, a guard page, the function that forked. */
	cr_assert_not_null(strstr(r.out, "   20480 kmm_alloc_thread_stack_node+"), "%.3000s", r.out);
	cr_assert_not_null(strstr(r.out, " pages=4 vmalloc N0=4\n"));
	const char *ks = strstr(r.out, "KernelStack:");
	cr_assert_not_null(ks);
	cr_assert_geq(strtoul(ks + strlen("KernelStack:"), NULL, 10), 2 * 16);
	char path[256];
	snprintf(path, sizeof(path), "%s/memmap.png", dir);
	struct image im = read_png(path);
	unsigned long nr = (512UL << 20) / 4096, ppp = MAP_PPP(nr), kstack = 0;
	for (unsigned long p = 0; p < nr / ppp; p++)
		kstack += is_kstack(im.rows[MAP_Y0 + p / MAP_W] + 3 * (MAP_X0 + p % MAP_W));
	cr_assert_geq(kstack, 2 * 4, "%lu kernel-stack pages drawn", kstack);
	for (int y = 0; y < im.h; y++)
		free(im.rows[y]);
	free(im.rows);
	for (const char *const *f = (const char *const[]){ "memmap.png", "kernel-vm.png",
							     "fragmentation.png", NULL }; *f; f++) {
		snprintf(path, sizeof(path), "%s/%s", dir, *f);
		unlink(path);
	}
	rmdir(dir);
}

/* --- the report --- */

static const char *chromium(void)
{
	static const char *const names[] = { "/usr/bin/chromium", "/usr/bin/chromium-browser", NULL };
	for (int i = 0; names[i]; i++)
		if (!access(names[i], X_OK))
			return names[i];
	return NULL;
}

Test(workbench, report_renders_in_headless_chromium, .timeout = 240)
{
	/* Per run: suites of several worktrees may run at once. */
	char dir[] = "/tmp/kmm-report-XXXXXX", html[64], profile[64];
	cr_assert_not_null(mkdtemp(dir));
	snprintf(html, sizeof(html), "%s/report.html", dir);
	snprintf(profile, sizeof(profile), "--user-data-dir=%s/chromium", dir);
	struct result r = RUN("kmm", "run", "--seconds", "0.3", "--report", html, "mixed");
	cr_assert_eq(r.status, 0, "%s", r.err);
	char *page = slurp(html);
	cr_assert_not_null(page);
	cr_assert_not_null(strstr(page, "data:image/png;base64,iVBORw0KGgo"));
	cr_assert_null(strstr(page, "src=\"http"), "the report fetches something");
	cr_assert_not_null(strstr(page, "Zone ranges:"));
	free(page);

	const char *chrome = chromium();
	char rm[128];
	snprintf(rm, sizeof(rm), "rm -rf '%s'", dir);
	if (!chrome) {
		cr_assert_eq(system(rm), 0);
		cr_skip_test("Debian's chromium is not installed (tools/setup.sh installs it)");
	}
	char url[256];
	snprintf(url, sizeof(url), "file://%s", html);
	r = RUN(chrome, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
		"--disable-dev-shm-usage", profile,
		"--enable-logging=stderr", "--v=0", "--virtual-time-budget=10000", "--dump-dom", url);
	cr_assert_eq(r.status, 0, "chromium: %s", r.err);
	cr_assert_not_null(strstr(r.out, "data-images=\"ok\""), "the pictures did not load:\n%.500s", r.out);
	cr_assert_not_null(strstr(r.out, "data-image-count=\"3\""));
	cr_assert_null(strstr(r.err, "CONSOLE"), "console messages: %s", r.err);
	cr_assert_null(strstr(r.err, "Uncaught"), "script errors: %s", r.err);
	cr_assert_eq(system(rm), 0);
}

Test(workbench, failed_output_leaves_nothing)
{
	struct result r = RUN("kmm", "run", "--ops", "10", "--report", "/nonexistent-dir/r.html", "fork-storm");
	cr_assert_neq(r.status, 0);
	cr_assert_str_empty(r.out, "output printed for a failed run");
	cr_assert(access("/nonexistent-dir/r.html", F_OK));
}

/* --- exec --- */

Test(workbench, exec_sets_preload_and_show)
{
	struct result r = RUN("kmm", "exec", "--preload", "/nonexistent/libkmm-malloc.so", "--", "true");
	cr_assert_eq(r.status, 1);
	cr_assert_not_null(strstr(r.err, "/nonexistent/libkmm-malloc.so"), "%s", r.err);

	/* Any readable file will do: the loader ignores (and names) one that is no
	 * ELF object, and the program runs with the environment kmm set. */
	char probe[] = "/tmp/kmm-exec-probeXXXXXX";
	close(mkstemp(probe));
	r = RUN("kmm", "exec", "--preload", probe, "--show", "slabinfo,meminfo", "mem=1G",
		"--", "sh", "-c", "echo \"$LD_PRELOAD|$KMM_SHOW|$KMM_CMDLINE\"");
	cr_assert_eq(r.status, 0, "%s", r.err);
	char want[512];
	snprintf(want, sizeof(want), "%s|slabinfo,meminfo|mem=1G\n", probe);
	cr_assert_str_eq(r.out, want);
	unlink(probe);
}
