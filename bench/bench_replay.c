/* SPDX-License-Identifier: MIT */
/*
 * The workbench's two speed targets, with their peers in the same run:
 *
 *  replay   the real trace (linux-6.18-build), decompressed into memory
 *           first so the figure is the replayer's own: events per second
 *           replayed on the machine, beside the parse alone and beside
 *           the same lines whose allocations go to glibc malloc instead
 *           (parse + malloc/free keyed by the traced address).
 *           Target: >= 2 M events/s.
 *  boot     kmm_boot("mem=16G") + /proc/buddyinfo + shutdown, in process.
 *           Target: <= 200 ms.
 */
#include <lzma.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <kmm/kmm.h>

#ifndef TRACE_DIR_REL
#define TRACE_DIR_REL "../shared/data/traces/linux-6.18-build"
#endif

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *read_xz(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	lzma_stream s = LZMA_STREAM_INIT;
	if (lzma_stream_decoder(&s, UINT64_MAX, 0) != LZMA_OK)
		return NULL;
	size_t cap = 64 << 20, n = 0;
	char *out = malloc(cap);
	static unsigned char in[1 << 16];
	lzma_ret r = LZMA_OK;
	while (r == LZMA_OK) {
		if (!s.avail_in && !feof(f)) {
			s.next_in = in;
			s.avail_in = fread(in, 1, sizeof(in), f);
		}
		if (n == cap)
			out = realloc(out, cap *= 2);
		s.next_out = (unsigned char *)out + n;
		s.avail_out = cap - n;
		r = lzma_code(&s, feof(f) && !s.avail_in ? LZMA_FINISH : LZMA_RUN);
		n = cap - s.avail_out;
	}
	lzma_end(&s);
	fclose(f);
	*len = n;
	return r == LZMA_STREAM_END ? out : NULL;
}

/* Split into lines once; every run below walks the same array. */
struct line { const char *s; size_t n; };

static double replay_kmm(struct line *lines, size_t nr, unsigned long long *events,
			 unsigned long long *mismatch)
{
	kmm_set_console(NULL);
	if (kmm_boot("arch=x86_64 mem=4G cpus=2"))
		return -1;
	struct kmm_replay *r = kmm_replay_create();
	double t0 = now();
	for (size_t i = 0; i < nr; i++)
		kmm_replay_line(r, lines[i].s, lines[i].n);
	double t = now() - t0;
	struct kmm_replay_stats st;
	kmm_replay_get_stats(r, &st);
	*events = st.events;
	*mismatch = st.kmalloc_ksize_mismatch;
	kmm_replay_destroy(r);
	kmm_shutdown();
	return t;
}

static double parse_only(struct line *lines, size_t nr)
{
	struct kmm_trace_event ev;
	double t0 = now();
	for (size_t i = 0; i < nr; i++)
		kmm_trace_parse_line(lines[i].s, lines[i].n, &ev, NULL, 0);
	return now() - t0;
}

/* The glibc peer: the same events, malloc'ed and freed by traced address. */
#define GSLOTS (1 << 20)
static struct { unsigned long long key; void *p; } gmap[GSLOTS];

static double replay_glibc(struct line *lines, size_t nr)
{
	struct kmm_trace_event ev;
	double t0 = now();
	for (size_t i = 0; i < nr; i++) {
		if (kmm_trace_parse_line(lines[i].s, lines[i].n, &ev, NULL, 0) != 1)
			continue;
		unsigned long long key = ev.ptr ^ ((unsigned long long)ev.type >= KMM_TEV_PAGE_ALLOC ? 1ULL << 63 : 0);
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
			gmap[h].p = NULL;	/* a leak-free tombstone is not needed: keys are sparse */
			gmap[h].key = 0;
		}
	}
	return now() - t0;
}

int main(void)
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
		printf("bench_replay: no trace found; skipped\n");
		return 77;
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

	unsigned long long events = 0, mismatch = 0;
	double best = 1e9, parse = 1e9, glibc = 1e9;
	for (int rep = 0; rep < 3; rep++) {
		double t = replay_kmm(lines, nr, &events, &mismatch);
		if (t > 0 && t < best)
			best = t;
		t = parse_only(lines, nr);
		if (t < parse)
			parse = t;
		t = replay_glibc(lines, nr);
		if (t < glibc)
			glibc = t;
	}
	double rate = (double)events / best;
	printf("replay of %s: %llu events (best of 3)\n", path, events);
	printf("  kmm replay      %8.3f s  %6.2f M events/s  (target >= 2.00)  %s\n", best, rate / 1e6,
	       rate >= 2e6 ? "ok" : "MISSED");
	printf("  parse only      %8.3f s  %6.2f M events/s\n", parse, (double)events / parse / 1e6);
	printf("  glibc peer      %8.3f s  %6.2f M events/s  (kmm/glibc time %.2f)\n", glibc,
	       (double)events / glibc / 1e6, best / glibc);
	printf("  kmalloc ksize mismatches: %llu\n", mismatch);

	double boot = 1e9;
	for (int rep = 0; rep < 5; rep++) {
		FILE *null = fopen("/dev/null", "w");
		double t0 = now();
		kmm_set_console(NULL);
		if (kmm_boot("mem=16G"))
			return 1;
		kmm_show("buddyinfo", null);
		kmm_shutdown();
		double t = now() - t0;
		fclose(null);
		if (t < boot)
			boot = t;
	}
	printf("boot mem=16G + /proc/buddyinfo + shutdown: %.1f ms (target <= 200)  %s\n", boot * 1e3,
	       boot <= 0.2 ? "ok" : "MISSED");
	free(lines);
	free(text);
	return 0;
}
