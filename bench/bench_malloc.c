/* SPDX-License-Identifier: MIT */
/*
 * bench_malloc: libkmm-malloc.so against glibc, jemalloc, tcmalloc and
 * mimalloc (issue 7, "Speed and size"), all in one run, as ratios.
 *
 * Each workload runs as its own process under LD_PRELOAD of each
 * allocator (glibc: no preload): the allocation workloads of
 * bench/malloc/ (malloc_workload NAME) and real programs (python3,
 * sqlite3, perl, xz, gcc, bash).  For each run the runner takes the
 * time (CPU time, user + system, of the process and everything it
 * waited for, from wait4(); --wall for elapsed time) and the peak RSS
 * (ru_maxrss, the largest of the process tree's).  Repetitions are
 * interleaved allocator by allocator, so that a burst of noise from the
 * other tenants of the machine lands on all of them alike, and each round
 * starts with the next allocator, so that none always runs first after
 * another workload.  A workload may time itself (forkexec times only its
 * fork + exec loop) by printing "bench-time SECONDS".
 *
 * Two estimates of each time.  The median is what a run typically takes
 * on this machine.  The best (the least of the runs) is the estimate of
 * what the work costs: on a shared VM whose vCPUs the host slows down at
 * will, noise only ever adds CPU time, and a workload whose allocator
 * share is small (xz, sqlite3, gcc) differs between allocators by less
 * than the medians' spread.  Peak RSS barely varies: its median is used.
 *
 * Printed: the medians, then the ratios to mimalloc and to glibc per
 * workload, and their geometric means, by median and by best; last the
 * targets for kmm, judged by the best times: time geomean <= 1.0 x
 * mimalloc, peak RSS geomean <= 1.2 x mimalloc, and no workload slower
 * than glibc.  "Slower" is a claim about the workload, not about one
 * draw of the noise: where the allocator is a few percent of a real
 * program's time, kmm's and glibc's best times land either side of each
 * other from run to run.  So a workload counts as slower when kmm's runs
 * are slower than glibc's by a one-sided Mann-Whitney test at the 5%
 * level (exact, over the runs of both; with 3 runs that takes all of
 * kmm's above all of glibc's, with 5 nearly so).  The rows whose best
 * or median time is above glibc's are printed beside it all the same,
 * with their p.  A peer
 * whose library is not installed is skipped (tools/setup.sh installs
 * them); a real program that is missing too.
 *
 *   bench_malloc [-r REPS] [-s SCALE] [-w WORKLOAD,...] [-a ALLOC,...] [-k CMDLINE] [--wall]
 *
 * SCALE multiplies the synthetic workloads' sizes (0.1 for a quick look).
 * CMDLINE is the kmm rows' KMM_CMDLINE (an A/B of a boot parameter in one
 * run against the same peers); the runner otherwise clears it, so that a
 * KMM_CMDLINE left in the shell does not change what the table measures.
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_REPS 31

struct alloc {
	const char *name;
	const char *lib;	/* NULL: glibc, no preload */
	const char *candidates[4];
	bool present;
	const char *cmdline;	/* KMM_CMDLINE for it, or NULL */
};

/*
 * kmm-memfd is kmm with RAM's direct map the RAM file (ram=memfd), not
 * the preload's default anonymous memory: only when asked for (-a).
 */
static struct alloc allocs[] = {
	{ "glibc", NULL, { NULL }, true, NULL },
	{ "kmm", PRELOAD_PATH, { PRELOAD_PATH }, false, NULL },
	{ "jemalloc", NULL, { "libjemalloc.so.2" }, false, NULL },
	{ "tcmalloc", NULL, { "libtcmalloc_minimal.so.4", "libtcmalloc.so.4" }, false, NULL },
	{ "mimalloc", NULL, { "libmimalloc.so.2", "libmimalloc.so" }, false, NULL },
	{ "kmm-memfd", PRELOAD_PATH, { PRELOAD_PATH }, false, "ram=memfd" },
};
#define NR_ALLOCS (sizeof(allocs) / sizeof(allocs[0]))
enum { A_GLIBC, A_KMM, A_JE, A_TC, A_MI, A_KMM_MEMFD };

static const char *const lib_dirs[] = {
	"/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib",
};

struct workload {
	const char *name;
	const char *need;	/* the program it needs; NULL: malloc_workload */
	const char *cmd;	/* a shell command line, run in the scratch directory */
	bool present;
};

/* The real programs do what tests/test_preload.c has them do, a little longer. */
static struct workload workloads[] = {
	{ "larson", NULL, NULL, true },
	{ "xthread", NULL, NULL, true },
	{ "cache-scratch", NULL, NULL, true },
	{ "cache-thrash", NULL, NULL, true },
	{ "churn", NULL, NULL, true },
	{ "bignum", NULL, NULL, true },
	{ "glibc-simple", NULL, NULL, true },
	{ "glibc-thread", NULL, NULL, true },
	{ "forkexec", NULL, NULL, true },
	{ "python3", "python3",
	  "python3 -c 'import random\n"
	  "random.seed(7)\n"
	  "d = {}\n"
	  "for i in range(200000):\n"
	  "    d[\"k%d\" % random.randrange(10**9)] = [i] * (i % 7)\n"
	  "l = sorted(d.items(), key=lambda kv: (len(kv[1]), kv[0]))\n"
	  "s = sorted(str(x) for x in range(100000))\n"
	  "print(len(d), l[0][0], s[:3])'", false },
	{ "sqlite3", "sqlite3",
	  "sqlite3 :memory: 'create table t(a integer, b text);"
	  "with recursive c(x) as (select 1 union all select x + 1 from c where x < 100000) "
	  "insert into t select x, printf(\"%08d-%s\", (x * 7919) % 100003, hex(x * x)) from c;"
	  "create index tb on t(b);"
	  "select count(*), sum(a), min(b), max(b) from t;"
	  "select a, b from t where b like \"0001%\" order by b limit 5;"
	  "delete from t where a % 3 = 0;"
	  "select count(*) from (select a from t order by b desc limit 10);'", false },
	{ "perl", "perl",
	  "perl -e 'my %h; for my $i (1..200000) { "
	  "$h{\"k\" . ($i * 7919 % 1000003)} = [$i, \"x\" x ($i % 50)]; } "
	  "my @k = sort keys %h; my $s = 0; $s += length($h{$_}[1]) for @k; "
	  "print scalar(@k), \" $s\\n\";'",
	  false },
	{ "xz", "xz", "xz -6 -c xz.in | xz -d | cksum", false },
	{ "gcc", "gcc", "gcc -O2 -c -o gcc.o gcc.c", false },
	{ "bash", "bash",
	  "bash -c 's=0; declare -A m; for i in $(seq 1 30000); do m[k$i]=$((i * i)); s=$((s + i)); done; "
	  "t=; for i in $(seq 1 3000); do t=$t${m[k$i]}; done; echo $s ${#m[@]} ${#t}'", false },
};
#define NR_WORKLOADS (sizeof(workloads) / sizeof(workloads[0]))

struct sample {
	double time[MAX_REPS], rss[MAX_REPS];
	int n;
	bool failed;
};

static struct sample samples[NR_WORKLOADS][NR_ALLOCS];
static int reps = 3;
static const char *scale = "1";
static bool wall;
static const char *kmm_cmdline;	/* -k */
static char scratch[] = "/tmp/bench-malloc-XXXXXX";

static bool find_lib(struct alloc *a)
{
	static char path[NR_ALLOCS][512];
	size_t i = (size_t)(a - allocs);

	for (int c = 0; c < 4 && a->candidates[c]; c++) {
		if (a->candidates[c][0] == '/') {
			if (!access(a->candidates[c], R_OK)) {
				a->lib = a->candidates[c];
				return true;
			}
			continue;
		}
		for (size_t d = 0; d < sizeof(lib_dirs) / sizeof(lib_dirs[0]); d++) {
			snprintf(path[i], sizeof(path[i]), "%s/%s", lib_dirs[d], a->candidates[c]);
			if (!access(path[i], R_OK)) {
				a->lib = path[i];
				return true;
			}
		}
	}
	return false;
}

static bool have_program(const char *prog)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", prog);
	return system(cmd) == 0;
}

/* The inputs of xz and gcc, made once in the scratch directory. */
static int make_inputs(void)
{
	char cmd[1024];
	FILE *f;

	snprintf(cmd, sizeof(cmd), "seq 1 150000 | sed 's/$/ kmm bench/' > %s/xz.in", scratch);
	if (system(cmd))
		return -1;
	snprintf(cmd, sizeof(cmd), "%s/gcc.c", scratch);
	f = fopen(cmd, "w");
	if (!f)
		return -1;
	fprintf(f, "#include <stdio.h>\n#include <string.h>\n");
	for (int i = 0; i < 120; i++)
		fprintf(f, "struct s%d { int a[%d]; double d; char name[16]; };\n"
			   "int f%d(struct s%d *s, int n) {\n"
			   "  int t = 0;\n"
			   "  for (int i = 0; i < n && i < %d; i++) {\n"
			   "    switch ((s->a[i] + %d) %% 5) {\n"
			   "    case 0: t += s->a[i] * %d; break;\n"
			   "    case 1: t ^= (int)(s->d * i); break;\n"
			   "    case 2: t -= (int)strlen(s->name) + i; break;\n"
			   "    default: t += i << (%d %% 7);\n"
			   "    }\n  }\n"
			   "  if (t %% %d == 0) printf(\"%%d %%s\\n\", t, s->name);\n"
			   "  return t;\n}\n", i, 4 + i % 13, i, i, 4 + i % 13, i, i * 7, i, 3 + i % 11);
	fprintf(f, "int main(void) { return 0; }\n");
	return fclose(f);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void show_output(int fd, const char *what)
{
	char buf[2048];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	buf[n > 0 ? n : 0] = '\0';
	if (buf[0])
		fprintf(stderr, "  %s: %s%s", what, buf, buf[strlen(buf) - 1] == '\n' ? "" : "\n");
}

/* One run of workload @w under allocator @a; false if it failed. */
static bool run_one(size_t w, size_t a)
{
	int out = memfd_create("out", MFD_CLOEXEC), err = memfd_create("err", MFD_CLOEXEC);
	struct rusage ru;
	int status;
	double t0 = now_s();
	pid_t pid = fork();

	if (pid < 0 || out < 0 || err < 0) {
		perror("bench_malloc: fork");
		exit(2);
	}
	if (pid == 0) {
		dup2(out, 1);
		dup2(err, 2);
		if (chdir(scratch))
			_exit(126);
		setenv("PATH", "/usr/bin:/bin:/usr/local/bin", 1);
		char cmdline[512];
		snprintf(cmdline, sizeof(cmdline), "%s%s%s",
			 allocs[a].cmdline ? allocs[a].cmdline : "",
			 allocs[a].cmdline && kmm_cmdline ? " " : "",
			 kmm_cmdline ? kmm_cmdline : "");
		if ((a == A_KMM || a == A_KMM_MEMFD) && cmdline[0])
			setenv("KMM_CMDLINE", cmdline, 1);
		else
			unsetenv("KMM_CMDLINE");
		unsetenv("KMM_SHOW");
		if (allocs[a].lib)
			setenv("LD_PRELOAD", allocs[a].lib, 1);
		else
			unsetenv("LD_PRELOAD");
		if (workloads[w].cmd)
			execl("/bin/sh", "sh", "-c", workloads[w].cmd, (char *)NULL);
		else
			execl(WORKLOAD_PATH, "malloc_workload", workloads[w].name, scale, (char *)NULL);
		_exit(127);
	}
	while (wait4(pid, &status, 0, &ru) < 0)
		if (errno != EINTR) {
			perror("bench_malloc: wait4");
			exit(2);
		}
	double t = now_s() - t0;
	struct sample *s = &samples[w][a];
	bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
	if (!ok) {
		fprintf(stderr, "bench_malloc: %s under %s failed, status %#x\n",
			workloads[w].name, allocs[a].name, status);
		show_output(err, "stderr");
		s->failed = true;
	} else {
		char buf[256];
		ssize_t n = pread(out, buf, sizeof(buf) - 1, 0);
		buf[n > 0 ? n : 0] = '\0';
		char *bt = strstr(buf, "bench-time ");
		if (bt)
			t = atof(bt + 11);
		else if (!wall)
			t = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6 +
			    ru.ru_stime.tv_sec + ru.ru_stime.tv_usec * 1e-6;
		s->time[s->n] = t;
		s->rss[s->n] = ru.ru_maxrss / 1024.0;
		s->n++;
	}
	close(out);
	close(err);
	return ok;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(const double *v, int n)
{
	double c[MAX_REPS];

	if (!n)
		return NAN;
	memcpy(c, v, n * sizeof(*c));
	qsort(c, n, sizeof(*c), cmp_double);
	return n % 2 ? c[n / 2] : (c[n / 2 - 1] + c[n / 2]) / 2;
}

static bool usable(size_t w, size_t a)
{
	return allocs[a].present && workloads[w].present && !samples[w][a].failed &&
	       samples[w][a].n > 0;
}

/* The allocators present, as a table's header row, each @width wide. */
static void print_names(int width)
{
	for (size_t a = 0; a < NR_ALLOCS; a++)
		if (allocs[a].present)
			printf(" %*s", width, allocs[a].name);
	printf("\n");
}

static double least(const double *v, int n)
{
	double m = NAN;

	for (int i = 0; i < n; i++)
		if (!(v[i] >= m))
			m = v[i];
	return m;
}

/* Workload @w's time under @a by the estimate @best (the least run) or the median. */
static double time_of(size_t w, size_t a, bool best)
{
	const struct sample *s = &samples[w][a];

	return best ? least(s->time, s->n) : median(s->time, s->n);
}

static double rss_of(size_t w, size_t a)
{
	return median(samples[w][a].rss, samples[w][a].n);
}

/* Geometric means of @a's time and RSS ratios to @base over the workloads both ran. */
static int geomeans(size_t a, size_t base, bool best, double *t, double *r)
{
	double lt = 0, lr = 0;
	int n = 0;

	for (size_t w = 0; w < NR_WORKLOADS; w++)
		if (workloads[w].present && usable(w, a) && usable(w, base)) {
			lt += log(time_of(w, a, best) / time_of(w, base, best));
			lr += log(rss_of(w, a) / rss_of(w, base));
			n++;
		}
	*t = n ? exp(lt / n) : NAN;
	*r = n ? exp(lr / n) : NAN;
	return n;
}

static void print_ratios(size_t base, bool best)
{
	printf("\nratios to %s, %s time (time  rss; below 1 is better)\n%-14s",
	       allocs[base].name, best ? "best" : "median", "");
	print_names(13);
	for (size_t w = 0; w < NR_WORKLOADS; w++) {
		if (!workloads[w].present)
			continue;
		printf("%-14s", workloads[w].name);
		for (size_t a = 0; a < NR_ALLOCS; a++) {
			if (!allocs[a].present)
				continue;
			if (!usable(w, a) || !usable(w, base)) {
				printf(" %13s", "-");
				continue;
			}
			printf("  %5.2f %5.2f", time_of(w, a, best) / time_of(w, base, best),
			       rss_of(w, a) / rss_of(w, base));
		}
		printf("\n");
	}
	printf("%-14s", "geomean");
	for (size_t a = 0; a < NR_ALLOCS; a++)
		if (allocs[a].present) {
			double t, r;
			if (geomeans(a, base, best, &t, &r))
				printf("  %5.2f %5.2f", t, r);
			else
				printf(" %13s", "-");
		}
	printf("\n");
}

/*
 * The chance, were @x and @y draws of one distribution, that @x's runs
 * would beat @y's in at least as many of the pairs (x_i, y_j) as they
 * were beaten here: the exact one-sided p of the Mann-Whitney U test that
 * @x is slower.  A tie counts half; a half is rounded up, toward calling
 * kmm slower.  The arrangements of n x's among m y's are counted by their
 * U: the last of them either an x, above all j y's before it (U + j), or
 * a y (U + 0).
 */
static double p_slower(const double *x, int n, const double *y, int m)
{
	static double count[2][MAX_REPS + 1][MAX_REPS * MAX_REPS + 1];
	double u2 = 0, total = 0, above = 0;

	for (int i = 0; i < n; i++)
		for (int j = 0; j < m; j++)
			u2 += x[i] > y[j] ? 2 : x[i] == y[j];
	int u = (int)ceil(u2 / 2);

	memset(count, 0, sizeof(count));
	for (int i = 0; i <= n; i++) {
		double (*cur)[MAX_REPS * MAX_REPS + 1] = count[i & 1];
		double (*prev)[MAX_REPS * MAX_REPS + 1] = count[(i & 1) ^ 1];
		for (int j = 0; j <= m; j++)
			for (int v = 0; v <= n * m; v++)
				cur[j][v] = !i && !j ? v == 0 :
					    (i && v >= j ? prev[j][v - j] : 0) + (j ? cur[j - 1][v] : 0);
	}
	for (int v = 0; v <= n * m; v++) {
		total += count[n & 1][m][v];
		if (v >= u)
			above += count[n & 1][m][v];
	}
	return above / total;
}

/* Issue 7's three targets for kmm, by the best times and the median RSS. */
static void print_targets(void)
{
	double t, r;

	if (!allocs[A_KMM].present)
		return;
	printf("\nkmm's targets (best of %d runs; RSS by median)\n", reps);
	if (allocs[A_MI].present && geomeans(A_KMM, A_MI, true, &t, &r)) {
		printf("  time geomean %.2f x mimalloc (<= 1.0): %s\n", t, t <= 1.0 ? "ok" : "MISSED");
		printf("  peak RSS geomean %.2f x mimalloc (<= 1.2): %s\n", r,
		       r <= 1.2 ? "ok" : "MISSED");
	}
	int slower = 0, above = 0;
	printf("  best or median time above glibc's (best, median):");
	for (size_t w = 0; w < NR_WORKLOADS; w++)
		if (workloads[w].present && usable(w, A_KMM) && usable(w, A_GLIBC) &&
		    (time_of(w, A_KMM, true) > time_of(w, A_GLIBC, true) ||
		     time_of(w, A_KMM, false) > time_of(w, A_GLIBC, false))) {
			const struct sample *k = &samples[w][A_KMM], *g = &samples[w][A_GLIBC];
			printf(" %s %.2f %.2f (p %.3f)", workloads[w].name,
			       time_of(w, A_KMM, true) / time_of(w, A_GLIBC, true),
			       time_of(w, A_KMM, false) / time_of(w, A_GLIBC, false),
			       p_slower(k->time, k->n, g->time, g->n));
			above++;
		}
	printf("%s\n  slower than glibc (one-sided Mann-Whitney, p < 0.05):", above ? "" : " none");
	for (size_t w = 0; w < NR_WORKLOADS; w++) {
		if (!workloads[w].present || !usable(w, A_KMM) || !usable(w, A_GLIBC))
			continue;
		const struct sample *k = &samples[w][A_KMM], *g = &samples[w][A_GLIBC];
		double p = p_slower(k->time, k->n, g->time, g->n);
		if (p < 0.05) {
			printf(" %s %.2f (p %.3f)", workloads[w].name,
			       time_of(w, A_KMM, false) / time_of(w, A_GLIBC, false), p);
			slower++;
		}
	}
	printf("%s: %s\n", slower ? "" : " none", slower ? "MISSED" : "ok");
}

static void print_medians(void)
{
	printf("\nmedians of %d runs (%s seconds, peak RSS MiB)\n%-14s", reps,
	       wall ? "elapsed" : "CPU", "");
	print_names(15);
	for (size_t w = 0; w < NR_WORKLOADS; w++) {
		if (!workloads[w].present)
			continue;
		printf("%-14s", workloads[w].name);
		for (size_t a = 0; a < NR_ALLOCS; a++) {
			if (!allocs[a].present)
				continue;
			struct sample *s = &samples[w][a];
			if (!usable(w, a))
				printf(" %15s", s->failed ? "FAILED" : "-");
			else
				printf("  %6.3f %7.1f", median(s->time, s->n), median(s->rss, s->n));
		}
		printf("\n");
	}
}

static bool listed(const char *list, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = list; p && *p; p += strcspn(p, ",") + (p[strcspn(p, ",")] != 0))
		if (strcspn(p, ",") == n && !strncmp(p, name, n))
			return true;
	return !list;
}

int main(int argc, char **argv)
{
	const char *only_w = NULL, *only_a = NULL;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-r") && i + 1 < argc)
			reps = atoi(argv[++i]);
		else if (!strcmp(argv[i], "-s") && i + 1 < argc)
			scale = argv[++i];
		else if (!strcmp(argv[i], "-w") && i + 1 < argc)
			only_w = argv[++i];
		else if (!strcmp(argv[i], "-a") && i + 1 < argc)
			only_a = argv[++i];
		else if (!strcmp(argv[i], "-k") && i + 1 < argc)
			kmm_cmdline = argv[++i];
		else if (!strcmp(argv[i], "--wall"))
			wall = true;
		else {
			fprintf(stderr, "usage: bench_malloc [-r REPS] [-s SCALE] [-w WORKLOAD,...] "
					"[-a ALLOC,...] [-k CMDLINE] [--wall]\n");
			return 2;
		}
	}
	if (reps < 1 || reps > MAX_REPS)
		reps = 3;
	for (size_t a = 0; a < NR_ALLOCS; a++) {
		allocs[a].present = a == A_GLIBC || find_lib(&allocs[a]);
		/* kmm-memfd only when named: the default run stays what it was. */
		if (!listed(only_a, allocs[a].name) || (a == A_KMM_MEMFD && !only_a))
			allocs[a].present = false;
		else if (!allocs[a].present)
			printf("bench_malloc: %s is not installed: skipped (tools/setup.sh installs it)\n",
			       allocs[a].name);
	}
	for (size_t w = 0; w < NR_WORKLOADS; w++) {
		workloads[w].present = listed(only_w, workloads[w].name) &&
				       (!workloads[w].need || have_program(workloads[w].need));
		if (listed(only_w, workloads[w].name) && !workloads[w].present)
			printf("bench_malloc: %s is not installed: skipped\n", workloads[w].need);
	}
	if (!mkdtemp(scratch) || make_inputs()) {
		perror("bench_malloc: the scratch directory");
		return 2;
	}

	double load[3] = { 0 };
	getloadavg(load, 3);
	printf("bench_malloc: %d repetitions, scale %s, %s time; load average %.2f %.2f %.2f\n",
	       reps, scale, wall ? "elapsed" : "CPU", load[0], load[1], load[2]);
	fflush(stdout);
	for (int r = 0; r < reps; r++)
		for (size_t w = 0; w < NR_WORKLOADS; w++)
			for (size_t i = 0; i < NR_ALLOCS && workloads[w].present; i++) {
				size_t a = (i + (size_t)r) % NR_ALLOCS;
				if (allocs[a].present && !samples[w][a].failed)
					run_one(w, a);
			}
	getloadavg(load, 3);
	printf("load average at the end: %.2f %.2f %.2f\n", load[0], load[1], load[2]);

	print_medians();
	for (int best = 0; best < 2; best++) {
		if (allocs[A_MI].present)
			print_ratios(A_MI, best);
		print_ratios(A_GLIBC, best);
	}
	print_targets();

	char cmd[64];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", scratch);
	(void)!system(cmd);
	bool failed = false;
	for (size_t w = 0; w < NR_WORKLOADS; w++)
		for (size_t a = 0; a < NR_ALLOCS; a++)
			failed |= samples[w][a].failed;
	return failed;
}
