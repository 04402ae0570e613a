/* SPDX-License-Identifier: MIT */
/*
 * The workbench's two speed targets, each with its peers in the same run.
 *
 * replay (target >= 2 M events/s): the real trace (linux-6.18-build, 48 MB
 * of text in one xz block) replayed as `kmm replay` does it, from opening
 * the file to the last event: reading or decoding on input.c's thread of
 * its own, the allocator calls on this one, the parse on whichever of the
 * two has time (input.c parses ahead when it would otherwise wait), and
 * the xz check.  Twice: from the .xz as stored, whose single-threaded
 * decode (liblzma) bounds it, and from the same trace as a plain text file
 * (decompressed once beforehand into /tmp).  Beside them:
 *   decode only     the same reader with nothing done per line: the floor,
 *                   liblzma's speed on one core;
 *   from memory     the lines decompressed beforehand: the replayer alone;
 *   parse only      kmm_trace_parse_line over the same lines;
 *   glibc peer      the same lines, their allocations and frees done with
 *                   malloc/free keyed by the traced address.
 * Each is the median of RUNS runs.  Wall time on a shared machine mostly
 * measures the other tenants, so the CPU time of each thread is printed
 * too: on an idle machine with two cores the whole replay takes about the
 * larger of the two threads' CPU times ("2-core estimate").
 *
 * boot (target <= 200 ms): kmm_boot("mem=16G") + /proc/meminfo + shutdown,
 * in process, against the same for a tiny machine (mem=64M), and the
 * command `kmm boot --show meminfo mem=16G` run as a process (exec, boot,
 * view, exit) against `kmm boot --show meminfo mem=64M`.
 */
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <kmm/kmm.h>
#include "bench_time.h"
#include "input.h"

#ifndef TRACE_DIR_REL
#define TRACE_DIR_REL "../shared/data/traces/linux-6.18-build"
#endif
#define MACHINE "arch=x86_64 mem=4G cpus=2"	/* kmm replay's default */
#define RUNS 5

static double clock_s(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double now(void) { return clock_s(CLOCK_MONOTONIC); }
static double cpu(void) { return clock_s(CLOCK_THREAD_CPUTIME_ID); }

/* One measured thing: wall, this thread's CPU, the decoder's CPU. */
struct sample { double wall[RUNS], cpu[RUNS], dec[RUNS]; };

static char *read_xz(const char *path, size_t *len)
{
	char err[256];
	struct trace_input *in = trace_open(path, err, sizeof(err));
	if (!in)
		return NULL;
	size_t cap = 64 << 20, n = 0, l;
	char *out = malloc(cap);
	const char *line;
	while ((line = trace_next(in, &l))) {
		if (n + l + 1 > cap)
			out = realloc(out, cap *= 2);
		memcpy(out + n, line, l);
		out[n + l] = '\n';
		n += l + 1;
	}
	bool bad = trace_error(in);
	trace_close(in);
	*len = n;
	return bad ? (free(out), NULL) : out;
}

struct line { const char *s; size_t n; };

/* The whole replay as `kmm replay` runs it; @replay false: decode only. */
static void run_file(const char *path, bool replay, int i, struct sample *sm,
		     struct kmm_replay_stats *st)
{
	char err[256];
	struct kmm_replay *r = NULL;
	if (replay) {
		kmm_set_console(NULL);
		if (kmm_boot(MACHINE) || !(r = kmm_replay_create()))
			exit(1);
	}
	double t0 = now(), c0 = cpu();
	struct trace_input *in = trace_open(path, err, sizeof(err));
	if (!in)
		exit(1);
	const char *line;
	size_t len;
	unsigned long long lines = 0;
	int rc;
	if (replay)
		trace_preparse(in);
	while ((line = replay ? trace_replay_next(in, r, &len, &rc) : trace_next(in, &len)))
		lines++;
	sm->dec[i] = trace_decode_cpu(in);
	trace_close(in);
	sm->wall[i] = now() - t0;
	sm->cpu[i] = cpu() - c0;
	if (replay) {
		kmm_replay_get_stats(r, st);
		kmm_replay_destroy(r);
		kmm_shutdown();
	} else {
		st->events = lines;
	}
}

static void run_memory(struct line *lines, size_t nr, int i, struct sample *sm)
{
	kmm_set_console(NULL);
	struct kmm_replay *r;
	if (kmm_boot(MACHINE) || !(r = kmm_replay_create()))
		exit(1);
	double t0 = now(), c0 = cpu();
	for (size_t k = 0; k < nr; k++)
		kmm_replay_line(r, lines[k].s, lines[k].n);
	sm->wall[i] = now() - t0;
	sm->cpu[i] = cpu() - c0;
	kmm_replay_destroy(r);
	kmm_shutdown();
}

static void run_parse(struct line *lines, size_t nr, int i, struct sample *sm)
{
	struct kmm_trace_event ev;
	double t0 = now(), c0 = cpu();
	for (size_t k = 0; k < nr; k++)
		kmm_trace_parse_line(lines[k].s, lines[k].n, &ev, NULL, 0);
	sm->wall[i] = now() - t0;
	sm->cpu[i] = cpu() - c0;
}

/* The glibc peer: the same events, malloc'ed and freed by traced address. */
#define GSLOTS (1 << 20)
static struct { unsigned long long key; void *p; } gmap[GSLOTS];

static void run_glibc(struct line *lines, size_t nr, int i, struct sample *sm)
{
	struct kmm_trace_event ev;
	double t0 = now(), c0 = cpu();
	for (size_t k = 0; k < nr; k++) {
		if (kmm_trace_parse_line(lines[k].s, lines[k].n, &ev, NULL, 0) != 1)
			continue;
		unsigned long long key = ev.ptr ^ (ev.type >= KMM_TEV_PAGE_ALLOC ? 1ULL << 63 : 0);
		size_t h = (size_t)((key * 0x9E3779B97F4A7C15ULL) >> 44) & (GSLOTS - 1);
		size_t size = 0;
		bool alloc = false;
		switch (ev.type) {
		case KMM_TEV_KMALLOC: case KMM_TEV_CACHE_ALLOC:
			size = ev.bytes_alloc; alloc = true; break;
		case KMM_TEV_PAGE_ALLOC:
			size = 4096UL << ev.order; alloc = true; break;
		case KMM_TEV_PCPU_ALLOC: case KMM_TEV_VMAP_ALLOC:
			size = ev.bytes_req; alloc = true; break;
		case KMM_TEV_OTHER:
			continue;
		default:
			break;
		}
		while (gmap[h].p && gmap[h].key != key)
			h = (h + 1) & (GSLOTS - 1);
		if (alloc) {
			free(gmap[h].p);
			gmap[h].p = ev.type == KMM_TEV_PAGE_ALLOC ? aligned_alloc(4096, size) : malloc(size);
			gmap[h].key = key;
		} else if (gmap[h].p) {
			free(gmap[h].p);
			gmap[h].p = NULL;	/* keys are sparse: no tombstone needed */
			gmap[h].key = 0;
		}
	}
	sm->wall[i] = now() - t0;
	sm->cpu[i] = cpu() - c0;
	for (size_t k = 0; k < GSLOTS; k++) {
		free(gmap[k].p);
		gmap[k].p = NULL;
	}
}

static void row(const char *what, struct sample *sm, double events, bool dec)
{
	double w = median(sm->wall, RUNS), c = median(sm->cpu, RUNS);
	printf("  %-15s %7.1f ms %6.2f M/s   this thread %7.1f ms", what, w * 1e3,
	       events / w / 1e6, c * 1e3);
	if (dec) {
		double d = median(sm->dec, RUNS), est = c > d ? c : d;
		printf("  decoder %6.1f ms  2-core estimate %6.2f M/s", d * 1e3, events / est / 1e6);
	}
	printf("\n");
}

static void bench_replay(void)
{
	const char *dirs[] = { TRACE_DIR_REL, "/work/shared/data/traces/linux-6.18-build" };
	char path[512];
	char *text = NULL;
	size_t len = 0;
	for (int i = 0; i < 2 && !text; i++) {
		snprintf(path, sizeof(path), "%s/trace.txt.xz", dirs[i]);
		text = read_xz(path, &len);
	}
	if (!text) {
		printf("bench_replay: no trace found; replay skipped\n");
		return;
	}
	size_t nr = 0, cap = 1 << 19;
	struct line *lines = malloc(cap * sizeof(*lines));
	for (char *p = text, *end = text + len; p < end;) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end;
		if (nr == cap)
			lines = realloc(lines, (cap *= 2) * sizeof(*lines));
		lines[nr++] = (struct line){ p, (size_t)(nl - p) };
		p = nl + 1;
	}

	char txt[] = "/tmp/kmm-bench-trace-XXXXXX";
	int fd = mkstemp(txt);
	if (fd < 0 || write(fd, text, len) != (ssize_t)len) {
		printf("bench_replay: cannot write %s\n", txt);
		return;
	}
	close(fd);

	static struct sample whole, plain, decode, memory, parse, glibc;
	struct kmm_replay_stats st = { 0 }, pst, dst;
	for (int i = 0; i < RUNS; i++) {
		run_file(path, true, i, &whole, &st);
		run_file(txt, true, i, &plain, &pst);
		run_file(path, false, i, &decode, &dst);
		run_memory(lines, nr, i, &memory);
		run_parse(lines, nr, i, &parse);
		run_glibc(lines, nr, i, &glibc);
	}
	double ev = (double)st.events, target = 2e6;
	double w = median(whole.wall, RUNS), c = median(whole.cpu, RUNS), d = median(whole.dec, RUNS);
	double est = c > d ? c : d;
	printf("replay of %s on %s: %llu events, %llu applied, %llu unmatched frees, "
	       "%llu kmalloc ksize mismatches (median of %d)\n", path, MACHINE,
	       (unsigned long long)st.events, (unsigned long long)st.applied,
	       (unsigned long long)st.unmatched_frees,
	       (unsigned long long)st.kmalloc_ksize_mismatch, RUNS);
	if (pst.events != st.events || pst.applied != st.applied)
		printf("  the text file's replay differs: %llu events, %llu applied\n",
		       (unsigned long long)pst.events, (unsigned long long)pst.applied);
	unlink(txt);
	double pw = median(plain.wall, RUNS);
	row("whole, from .xz", &whole, ev, true);
	row("whole, from text", &plain, ev, true);
	row("decode only", &decode, ev, true);
	row("from memory", &memory, ev, false);
	row("parse only", &parse, ev, false);
	row("glibc peer", &glibc, ev, false);
	printf("  whole replay / decode only (wall): %.2f;  from memory kmm / glibc (CPU): %.2f\n",
	       w / median(decode.wall, RUNS), median(memory.cpu, RUNS) / median(glibc.cpu, RUNS));
	printf("  target >= 2.00 M events/s: from text (wall) %.2f %s; from .xz wall %.2f %s, "
	       "2-core estimate %.2f %s (decode only: %.2f)\n", ev / pw / 1e6,
	       ev / pw >= target ? "ok" : "MISSED", ev / w / 1e6, ev / w >= target ? "ok" : "MISSED",
	       ev / est / 1e6, ev / est >= target ? "ok" : "MISSED",
	       ev / median(decode.wall, RUNS) / 1e6);
	free(lines);
	free(text);
}

/* --- boot --- */

static double boot_in_process(const char *cmdline)
{
	FILE *null = fopen("/dev/null", "w");
	double t0 = now();
	kmm_set_console(NULL);
	if (kmm_boot(cmdline))
		exit(1);
	kmm_show("meminfo", null);
	kmm_shutdown();
	double t = now() - t0;
	fclose(null);
	return t;
}

extern char **environ;

static double boot_command(const char *mem)
{
#ifdef KMM_BIN
	char *argv[] = { KMM_BIN, "boot", "--show", "meminfo", (char *)mem, NULL };
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	pid_t pid;
	int st;
	double t0 = now();
	if (posix_spawn(&pid, argv[0], &fa, NULL, argv, environ))
		return -1;
	waitpid(pid, &st, 0);
	double t = now() - t0;
	posix_spawn_file_actions_destroy(&fa);
	return WIFEXITED(st) && !WEXITSTATUS(st) ? t : -1;
#else
	(void)mem;
	return -1;
#endif
}

static void bench_boot(void)
{
	double big[RUNS], tiny[RUNS], cbig[RUNS], ctiny[RUNS];
	for (int i = 0; i < RUNS; i++) {
		big[i] = boot_in_process("mem=16G");
		tiny[i] = boot_in_process("mem=64M");
		cbig[i] = boot_command("mem=16G");
		ctiny[i] = boot_command("mem=64M");
	}
	double b = median(big, RUNS), t = median(tiny, RUNS);
	double cb = median(cbig, RUNS), ct = median(ctiny, RUNS);
	printf("boot + /proc/meminfo + shutdown, median of %d (target <= 200 ms for mem=16G):\n", RUNS);
	printf("  in process      mem=16G %6.1f ms   mem=64M %6.1f ms   ratio %.2f  %s\n", b * 1e3,
	       t * 1e3, b / t, b <= 0.2 ? "ok" : "MISSED");
	if (cb > 0 && ct > 0)
		printf("  kmm boot --show meminfo (a process)  mem=16G %6.1f ms   mem=64M %6.1f ms   "
		       "ratio %.2f  %s\n", cb * 1e3, ct * 1e3, cb / ct, cb <= 0.2 ? "ok" : "MISSED");
}

int main(void)
{
	double load[3] = { 0 };
	if (getloadavg(load, 3) > 0)
		printf("load average %.2f %.2f %.2f (timings on a loaded machine are long)\n",
		       load[0], load[1], load[2]);
	bench_replay();
	bench_boot();
	return 0;
}
