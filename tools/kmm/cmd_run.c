/* SPDX-License-Identifier: MIT */
/*
 * kmm run SCENARIO: a built-in workload (scenarios.c) on threads bound to
 * the machine's CPUs, for a time or a number of operations; then, with the
 * workload's state still held, its throughput, the views, the pictures and
 * the report; then the workload frees what it held and kmm_check() must
 * find the machine consistent.
 */
#include <getopt.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "kmm.h"
#include "draw.h"
#include "scenarios.h"

#define DEFAULT_MACHINE "arch=x86_32 mem=2G cpus=2"
#define DEFAULT_VIEWS "buddyinfo,meminfo,slabinfo,vmallocinfo"

static void usage(FILE *f)
{
	fprintf(f, "usage: kmm run [OPTIONS] SCENARIO [PARAM=VALUE...]\n\n"
		   "Run a built-in workload on a machine (default: " DEFAULT_MACHINE "),\n"
		   "multithreaded over its CPUs, and print its throughput and the views.\n\n"
		   "Scenarios:\n");
	for (int i = 0; i < nr_workloads; i++)
		fprintf(f, "  %-13s %s\n", workloads[i].name, workloads[i].what);
	fprintf(f, "  %-13s all of them at once, a thread each at least\n\n", "mixed");
	fprintf(f, "  -t, --seconds S         run for S seconds (default 1)\n"
		   "  -n, --ops N             or until each thread has done N operations\n"
		   "  -T, --threads N         threads (default: the CPUs; mixed: at least 4)\n"
		   "  -j, --json              one JSON object: throughput, fragmentation, views\n"
		   "  -s, --show VIEWS        views to print (default " DEFAULT_VIEWS ")\n"
		   "  -d, --draw DIR          write PNG pictures into DIR\n"
		   "  -r, --report FILE.html  write a self-contained HTML report\n"
		   "  -h, --help              this help\n");
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Workers wait here, state held, until the views are taken. */
static pthread_mutex_t hold_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t hold_cond = PTHREAD_COND_INITIALIZER;
static int nr_held;
static bool released;

struct thread {
	pthread_t tid;
	struct worker w;
	const struct workload *wl;
	bool held;
};

static void hold(struct worker *w)
{
	struct thread *t = (struct thread *)((char *)w - offsetof(struct thread, w));
	if (t->held)
		return;
	t->held = true;
	pthread_mutex_lock(&hold_lock);
	nr_held++;
	pthread_cond_broadcast(&hold_cond);
	while (!released)
		pthread_cond_wait(&hold_cond, &hold_lock);
	pthread_mutex_unlock(&hold_lock);
}

static void *thread_main(void *arg)
{
	struct thread *t = arg;
	kmm_bind_cpu(t->w.cpu);
	t->wl->run(&t->w);
	hold(&t->w);
	kmm_bind_cpu(-1);
	return NULL;
}

static void results(FILE *f, struct session *s, const char *scenario, struct thread *th,
		    int n, double secs)
{
	bool json = s->json;
	if (json) {
		fprintf(f, "{\n  \"scenario\": \"%s\",\n  \"machine\": ", scenario);
		json_str(f, s->cmdline);
		fprintf(f, ",\n  \"threads\": %d,\n  \"seconds\": %.6f,\n  \"workloads\": [", n, secs);
	} else {
		fprintf(f, "kmm run %s: %d threads on %u CPUs for %.2f s (%s)\n", scenario, n,
			nr_cpu_ids, secs, s->cmdline);
	}
	int shown = 0;
	for (int i = 0; i < nr_workloads; i++) {
		unsigned long long ops = 0, bytes = 0, failed = 0, tries = 0, ok = 0;
		int threads = 0;
		for (int k = 0; k < n; k++) {
			if (th[k].wl != &workloads[i])
				continue;
			threads++;
			ops += th[k].w.ops;
			bytes += th[k].w.bytes;
			failed += th[k].w.failed;
			tries += th[k].w.hi_tries;
			ok += th[k].w.hi_ok;
		}
		if (!threads)
			continue;
		double rate = secs > 0 ? (double)ops / secs : 0;
		if (json) {
			fprintf(f, "%s\n    {\"name\": \"%s\", \"threads\": %d, \"ops\": %llu, \"unit\": \"%s\", "
				   "\"per_second\": %.1f, \"bytes\": %llu, \"failed_allocs\": %llu",
				shown++ ? "," : "", workloads[i].name, threads, ops, workloads[i].unit, rate,
				bytes, failed);
			if (tries)
				fprintf(f, ", \"high_order_tries\": %llu, \"high_order_success\": %llu", tries, ok);
			fputs("}", f);
			continue;
		}
		fprintf(f, "  %-13s %2d thread%s %10llu %s  %12.0f/s", workloads[i].name, threads,
			threads > 1 ? "s" : " ", ops, workloads[i].unit, rate);
		if (!strcmp(workloads[i].name, "highmem-copy"))
			fprintf(f, "  %.1f MiB/s copied", secs > 0 ? (double)bytes / secs / (1 << 20) : 0);
		if (!strcmp(workloads[i].name, "module-load"))
			fprintf(f, "  %.1f MiB/s vmalloc'ed", secs > 0 ? (double)bytes / secs / (1 << 20) : 0);
		if (tries)
			fprintf(f, "  order-9 success %llu/%llu (%.0f%%)", ok, tries,
				100.0 * (double)ok / (double)tries);
		if (failed)
			fprintf(f, "  (%llu allocations refused)", failed);
		fputs("\n", f);
	}
	if (json) {
		fputs("\n  ],\n  \"fragmentation\": ", f);
		json_frag_indices(f);
		fputs(",\n  \"views\": {\n    ", f);
		print_views(s, f);
		fputs("\n  }\n}\n", f);
	} else {
		print_views(s, f);
	}
}

int cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "seconds", required_argument, NULL, 't' },
		{ "ops", required_argument, NULL, 'n' },
		{ "threads", required_argument, NULL, 'T' },
		{ "json", no_argument, NULL, 'j' },
		{ "show", required_argument, NULL, 's' },
		{ "draw", required_argument, NULL, 'd' },
		{ "report", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct session s = { .cmd = "run" };
	const char *scenario = NULL;
	double seconds = 1;
	unsigned long long max_ops = 0;
	int threads = 0, c;
	char *end;

	session_add_param(&s, DEFAULT_MACHINE);
	session_set_views(&s, DEFAULT_VIEWS);
	optind = 1;
	while ((c = getopt_long(argc, argv, "t:n:T:js:d:r:h", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			seconds = strtod(optarg, &end);
			if (*end || seconds <= 0 || seconds > 86400)
				die_usage(s.cmd, "--seconds wants a positive number, not '%s'", optarg);
			break;
		case 'n':
			max_ops = strtoull(optarg, &end, 10);
			if (*end || !max_ops)
				die_usage(s.cmd, "--ops wants a positive count, not '%s'", optarg);
			break;
		case 'T':
			threads = (int)strtol(optarg, &end, 10);
			if (*end || threads < 1 || threads > 256)
				die_usage(s.cmd, "--threads wants 1..256, not '%s'", optarg);
			break;
		case 'j': s.json = true; break;
		case 's':
			if (session_set_views(&s, optarg))
				return EXIT_USAGE;
			break;
		case 'd': s.draw_dir = optarg; break;
		case 'r': s.report = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	scenario = session_args(&s, argc, argv, optind, "scenario");
	bool mixed = !strcmp(scenario, "mixed");
	const struct workload *wl = mixed ? NULL : find_workload(scenario);
	if (!mixed && !wl)
		die_usage(s.cmd, "unknown scenario '%s'", scenario);

	int ret = session_boot(&s);
	if (ret)
		return ret;
	if (!threads)
		threads = mixed ? (nr_cpu_ids > 4 ? (int)nr_cpu_ids : 4) : (int)nr_cpu_ids;
	struct thread *th = calloc((size_t)threads, sizeof(*th));
	bool stop = false;	/* the workers read it while it changes */
	int fragmenters = 0;
	for (int i = 0; i < threads; i++)
		fragmenters += (mixed ? &workloads[i % nr_workloads] : wl) == find_workload("fragment");
	if (s.draw_dir || s.report) {
		s.series = frag_series_new();
		frag_sample(s.series, 0);
	}
	double t0 = now();
	int started = 0;
	for (int i = 0; th && i < threads; i++) {
		struct thread *t = &th[i];
		t->wl = mixed ? &workloads[i % nr_workloads] : wl;
		t->w.id = i;
		t->w.cpu = i % (int)nr_cpu_ids;
		t->w.stop = &stop;
		t->w.max_ops = max_ops;
		t->w.hold = hold;
		/* Fragmenters fill most of memory alone, a share of it when mixed. */
		t->w.share = (mixed ? 0.5 : 0.85) / (fragmenters ? fragmenters : 1);
		if (pthread_create(&t->tid, NULL, thread_main, t))
			break;
		started++;
	}
	if (!th || started < threads) {
		errmsg("run: cannot start %d threads", threads);
		__atomic_store_n(&stop, true, __ATOMIC_RELAXED);
		ret = EXIT_WORK;
	}
	/* Wait: sample fragmentation meanwhile, stop on time or when all are done. */
	for (;;) {
		pthread_mutex_lock(&hold_lock);
		int held = nr_held;
		pthread_mutex_unlock(&hold_lock);
		if (held >= started)
			break;
		if (!max_ops && now() - t0 >= seconds)
			__atomic_store_n(&stop, true, __ATOMIC_RELAXED);
		usleep(10000);
		if (s.series)
			frag_sample(s.series, now() - t0);
	}
	double secs = now() - t0;
	if (s.series)
		frag_sample(s.series, secs);

	/* The machine under load: results, views, pictures, report. */
	char *buf = NULL;
	size_t blen = 0;
	FILE *out = open_memstream(&buf, &blen);
	if (!ret)
		results(out, &s, scenario, th, started, secs);
	fclose(out);
	if (!ret) {
		s.summary = strdup(buf);
		ret = session_outputs(&s);
	}

	pthread_mutex_lock(&hold_lock);
	released = true;
	pthread_cond_broadcast(&hold_cond);
	pthread_mutex_unlock(&hold_lock);
	for (int i = 0; i < started; i++)
		pthread_join(th[i].tid, NULL);
	free(th);

	int problems = kmm_check();
	if (problems) {
		errmsg("run: kmm_check found %d problems after the run", problems);
		ret = EXIT_WORK;
	}
	if (!ret)
		fputs(buf, stdout);
	free(buf);
	session_end(&s);
	if (!ret && fflush(stdout))
		ret = EXIT_WORK;
	return ret;
}
