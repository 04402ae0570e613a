/* SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <sys/mman.h>
#include "helpers.h"
#include "preload/smaps.h"
#include "platform/platform.h"
#include <kmm/vmalloc.h>

/*
 * KFENCE is on by default (Linux's kfence.sample_interval=100), and a
 * sampled allocation is a KFENCE object instead of the slab object a test
 * reasons about: the tests run without it unless their command line turns
 * it on again (a later option wins).
 */
void boot_or_die(const char *cmdline)
{
	char line[1024];

	snprintf(line, sizeof(line), "kfence.sample_interval=0 %s", cmdline ? cmdline : "");
	kmm_set_console(NULL);
	kmm_dmesg_clear();
	int err = kmm_boot(line);
	cr_assert_eq(err, 0, "kmm_boot(\"%s\") = %d", cmdline, err);
	kmm_report_reset();
}

void check_and_shutdown(void)
{
	cr_expect_eq(kmm_check(), 0, "kmm_check() found problems");
	kmm_shutdown();
}

bool dmesg_has(const char *needle)
{
	size_t n = kmm_dmesg(NULL, 0);
	char *buf = malloc(n + 1);
	kmm_dmesg(buf, n + 1);
	bool found = strstr(buf, needle) != NULL;
	free(buf);
	return found;
}

unsigned long zone_free(int nid, enum zone_type zt)
{
	drain_all_pages(NULL);
	return zone_page_state_snapshot(&NODE_DATA(nid)->node_zones[zt], NR_FREE_PAGES);
}

unsigned long total_free(void)
{
	unsigned long sum = 0;

	drain_all_pages(NULL);
	for (int nid = 0; nid < nr_online_nodes; nid++)
		for (int zt = 0; zt < MAX_NR_ZONES; zt++)
			sum += zone_page_state_snapshot(&NODE_DATA(nid)->node_zones[zt], NR_FREE_PAGES);
	return sum;
}

struct page *held[MAX_HELD];
int nr_held;

void hold(struct page *p)
{
	cr_assert_lt(nr_held, MAX_HELD);
	held[nr_held++] = p;
}

void free_held(void)
{
	while (nr_held > 0)
		__free_page(held[--nr_held]);
}

int exhaust(gfp_t gfp)
{
	int before = nr_held;

	for (;;) {
		struct page *p;

		while (nr_held < MAX_HELD && (p = alloc_page(gfp)))
			hold(p);
		drain_all_pages(NULL);
		if (!(p = alloc_page(gfp)))
			break;
		hold(p);
	}
	return nr_held - before;
}

unsigned long resident_pages(const void *addr, size_t len)
{
	size_t nr = len >> 12;
	unsigned char *vec = calloc(nr, 1);
	unsigned long n = 0;

	cr_assert_not_null(vec);
	cr_assert_eq(mincore((void *)addr, len, vec), 0, "mincore: %s", strerror(errno));
	for (size_t i = 0; i < nr; i++)
		n += vec[i] & 1;
	free(vec);
	return n;
}

char *view(const char *name)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cr_assert_eq(kmm_show(name, f), 0);
	fclose(f);
	return buf;
}

unsigned long meminfo_kb(const char *key)
{
	char *m = view("meminfo");
	char *p = strstr(m, key);
	cr_assert_not_null(p, "meminfo has no %s", key);
	unsigned long v = strtoul(p + strlen(key), NULL, 10);
	free(m);
	return v;
}

char *fault_in_child(void (*touch)(void *), void *arg, int *sig)
{
	FILE *out = tmpfile();
	setvbuf(out, NULL, _IONBF, 0);
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		kmm_set_console(out);
		touch(arg);
		_exit(0);
	}
	int status;
	waitpid(pid, &status, 0);
	*sig = WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status) ? -1 : 0;
	long n = ftell(out);
	char *text = calloc(1, (size_t)n + 1);
	rewind(out);
	cr_assert_eq(fread(text, 1, (size_t)n, out), (size_t)n);
	fclose(out);
	return text;
}

void write_byte(void *p) { *(volatile char *)p = 1; }
void read_byte(void *p) { (void)*(volatile char *)p; }

/*
 * Whether a line of /proc/self/maps can be one of the program's mappings.
 * ThreadSanitizer maps its shadow, its metadata and each thread's trace as
 * they are first touched, in ranges of its own (x86-64: below the program
 * only 0..1 TiB, PIE programs at 0x550000000000, the kernel's own choices
 * above 0x7e8000000000): only the application ranges count there.
 */
static bool maps_line_counts(const char *line)
{
#ifdef KMM_TSAN
	unsigned long start;

	if (sscanf(line, "%lx-", &start) != 1)
		return false;
	return start < 0x010000000000ul ||
	       (start >= 0x550000000000ul && start < 0x568000000000ul) ||
	       start >= 0x7e8000000000ul;
#else
	(void)line;
	return true;
#endif
}

/* Lines of @path (a maps file), and those of them that contain @needle (if not NULL). */
static long count_lines(const char *path, const char *needle, long *matching)
{
	FILE *f = fopen(path, "r");
	char line[1024];
	long n = 0;

	if (matching)
		*matching = 0;
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!maps_line_counts(line))
			continue;
		n++;
		if (needle && strstr(line, needle))
			(*matching)++;
	}
	fclose(f);
	return n;
}

static long count_dir(const char *path)
{
	DIR *d = opendir(path);
	long n = 0;

	if (!d)
		return -1;
	for (struct dirent *e; (e = readdir(d));)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/*
 * The host threads of this process, once they are down to @want or 2 s
 * have passed: a joined thread leaves /proc/self/task a moment after its
 * joiner wakes (the kernel clears its tid before it reaps it), and under
 * load that moment is long enough to count it.  A leaked thread stays.
 */
long host_threads(void)
{
	return count_dir("/proc/self/task");
}

long host_threads_down_to(long want)
{
	long n = count_dir("/proc/self/task");

	for (int i = 0; n > want && i < 2000; i++) {
		usleep(1000);
		n = count_dir("/proc/self/task");
	}
	return n;
}

bool host_thread_named(const char *name)
{
	DIR *d = opendir("/proc/self/task");
	bool found = false;

	if (!d)
		return false;
	for (struct dirent *e; !found && (e = readdir(d));) {
		char path[300], comm[32] = "";

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/comm", e->d_name);
		FILE *f = fopen(path, "r");
		if (!f)
			continue;	/* ended meanwhile */
		if (fgets(comm, sizeof(comm), f))
			comm[strcspn(comm, "\n")] = '\0';
		fclose(f);
		found = !strcmp(comm, name);
	}
	closedir(d);
	return found;
}

struct host_footprint host_footprint(void)
{
	struct host_footprint f;

	f.fds = count_dir("/proc/self/fd");
	f.maps = count_lines("/proc/self/maps", "memfd:kmm-ram", &f.ram_maps);
	f.tasks = count_dir("/proc/self/task");
	f.host_bytes = plat_host_bytes();
	return f;
}

void expect_same_footprint(const struct host_footprint *base, const struct host_footprint *now,
			   const char *what)
{
	/*
	 * ASan's and TSan's own bookkeeping grows with the threads ever
	 * created (kswapd, rcu_sched and KFENCE's timer each boot) and with
	 * the allocation stacks they store (a boot failing at a new point
	 * brings new ones): a page now and then, so allow a few; a leak per
	 * boot would still be one mapping a boot, dozens over a sweep.
	 */
#if defined(__SANITIZE_ADDRESS__) || defined(KMM_TSAN)
	long slack = 4;
#else
	long slack = 0;
#endif

	cr_expect_eq(now->fds, base->fds, "%s: file descriptors %ld -> %ld", what, base->fds, now->fds);
	cr_expect(now->maps >= base->maps - slack && now->maps <= base->maps + slack,
		  "%s: host mappings %ld -> %ld", what, base->maps, now->maps);
	long tasks = now->tasks > base->tasks ? host_threads_down_to(base->tasks) : now->tasks;
	cr_expect_eq(tasks, base->tasks, "%s: threads %ld -> %ld", what, base->tasks, tasks);
	cr_expect_eq(now->host_bytes, base->host_bytes, "%s: host bookkeeping memory %ld -> %ld bytes",
		     what, base->host_bytes, now->host_bytes);
	cr_expect_eq(now->ram_maps, base->ram_maps, "%s: mappings of the RAM file %ld -> %ld", what,
		     base->ram_maps, now->ram_maps);
}

static pthread_mutex_t error_lock = PTHREAD_MUTEX_INITIALIZER;
static char first_error_text[512];
static unsigned long nr_errors;

void test_error(const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&error_lock);
	if (!nr_errors++) {
		va_start(ap, fmt);
		vsnprintf(first_error_text, sizeof(first_error_text), fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&error_lock);
}

unsigned long error_count(void)
{
	pthread_mutex_lock(&error_lock);
	unsigned long n = nr_errors;
	pthread_mutex_unlock(&error_lock);
	return n;
}

const char *first_error(void)
{
	return first_error_text;
}

struct maps_range {
	unsigned long lo, hi;
	long n;
};

static int count_mapping_between(const struct plat_mapping *m, void *arg)
{
	struct maps_range *r = arg;

	r->n += m->end > r->lo && m->start < r->hi;
	return 0;
}

long host_mappings_between(unsigned long lo, unsigned long hi)
{
	struct maps_range r = { lo, hi, 0 };

	cr_assert_eq(plat_for_each_mapping(count_mapping_between, &r), 0);
	return r.n;
}

struct page *free_split_block(unsigned int order, unsigned int step)
{
	struct page *block = alloc_pages(GFP_KERNEL, order);

	cr_assert_not_null(block);
	split_page(block, order);
	for (unsigned long i = 0; i < 1UL << order; i += step)
		__free_page(block + i);
	return block;
}

/* The host's mapping of @addr (preload/smaps.h): its advice, its AnonHugePages in *@huge_kb. */
bool host_advised_huge(const void *addr, unsigned long *huge_kb)
{
	struct smaps_entry m;

	cr_assert_eq(smaps_of(addr, &m), 0);
	if (huge_kb)
		*huge_kb = m.huge_kb;
	return m.hg;
}

int vmalloc_to_mapping_bound(void **v, int cap)
{
	long max = plat_max_mappings(LONG_MAX);
	int n = 0;

	cr_assert_lt(max, 140000, "vm.max_map_count %ld is too large for this test", max);
	while (n < cap && (v[n] = vmalloc(PAGE_SIZE)))
		n++;
	cr_assert_lt(n, cap);
	cr_assert_gt(n, 1000);
	cr_assert(dmesg_has("near vm.max_map_count"));
	return n;
}
