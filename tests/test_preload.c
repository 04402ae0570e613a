/* SPDX-License-Identifier: MIT */
/*
 * libkmm-malloc.so: real programs give the same output with and without
 * it, the glibc malloc contract holds under it, bad frees abort with its
 * message, threads and forks are safe, KMM_CMDLINE and KMM_SHOW work, and
 * only the C allocation API is exported.
 *
 * Each case runs a program in a child process with LD_PRELOAD set (this
 * test itself runs on glibc's malloc) and compares what it printed.  A real
 * program that is not installed is skipped, naming it (tools/setup.sh
 * installs them).  In a sanitizer build the cases that preload are skipped:
 * the sanitizer's runtime must come first in a process, before any preload.
 * Under ThreadSanitizer a preloaded allocator would mean nothing besides:
 * TSan's own malloc is how it learns that a block was freed and handed out
 * again, so that its next user starts without the last one's history; an
 * allocator slid under the program hides that, and every reuse of memory
 * would look like a race.
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include "preload/smaps.h"
#include <criterion/criterion.h>

struct run {
	int status;		/* as waitpid() gives it */
	char out[1 << 16], err[1 << 16];
};

static void read_all(int fd, char *buf, size_t size)
{
	ssize_t n = pread(fd, buf, size - 1, 0);

	buf[n > 0 ? n : 0] = '\0';
	close(fd);
}

/*
 * Run @argv (through the shell if @argv[0] is NULL and @argv[1] a command
 * line) with the preload library when @preload, @env a NULL-ended list of
 * extra "NAME=value" settings.
 */
static void run(struct run *r, bool preload, const char *const *env, const char *const *argv)
{
	int out = memfd_create("out", 0), err = memfd_create("err", 0);
	pid_t pid = fork();

	cr_assert(pid >= 0 && out >= 0 && err >= 0);
	if (pid == 0) {
		dup2(out, 1);
		dup2(err, 2);
		unsetenv("KMM_SHOW");
		unsetenv("KMM_CMDLINE");
		unsetenv("KMM_SHOW_FILE");
		if (preload)
			setenv("LD_PRELOAD", PRELOAD_PATH, 1);
		else
			unsetenv("LD_PRELOAD");
		for (; env && *env; env++)
			putenv((char *)*env);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	waitpid(pid, &r->status, 0);
	read_all(out, r->out, sizeof(r->out));
	read_all(err, r->err, sizeof(r->err));
}

static bool have(const char *prog)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", prog);
	return system(cmd) == 0;
}

static void skip_if_sanitized(void)
{
#ifdef KMM_SANITIZED
	cr_skip_test("a sanitizer build: its runtime cannot share a process with a preload"
		     " (and under TSan its malloc is the one that must see every reuse)");
#endif
}

static struct run plain, kmm;

/* The program gives the same status and output on glibc's malloc and on ours. */
static void same_output(const char *need, const char *const *argv)
{
	skip_if_sanitized();
	if (!have(need))
		cr_skip_test("%s is not installed (tools/setup.sh installs it)", need);
	run(&plain, false, NULL, argv);
	run(&kmm, true, NULL, argv);
	cr_assert(WIFEXITED(plain.status) && WEXITSTATUS(plain.status) == 0,
		  "%s fails without the preload: %#x\n%s", need, plain.status, plain.err);
	cr_expect_eq(kmm.status, plain.status, "%s: status %#x with the preload\n%s",
		     need, kmm.status, kmm.err);
	cr_expect_str_eq(kmm.out, plain.out, "%s prints something else with the preload", need);
	cr_expect_str_eq(kmm.err, plain.err, "%s complains with the preload", need);
	cr_expect(strlen(plain.out) > 0, "%s printed nothing to compare", need);
}

#define SH(cmd) ((const char *const[]){ "sh", "-c", cmd, NULL })

Test(preload, python_dicts_and_lists)
{
	same_output("python3", SH("python3 -c '\n"
		"import random\n"
		"random.seed(7)\n"
		"d = {}\n"
		"for i in range(300000):\n"
		"    d[\"k%d\" % random.randrange(10**9)] = [i] * (i % 7)\n"
		"l = sorted(d.items(), key=lambda kv: (len(kv[1]), kv[0]))\n"
		"s = sorted(str(x) for x in range(100000))\n"
		"print(len(d), l[0][0], l[-1][0], s[:3], sum(len(v) for v in d.values()))\n'"));
}

Test(preload, sqlite_inserts_and_queries)
{
	same_output("sqlite3", SH("sqlite3 :memory: '"
		"create table t(a integer, b text);"
		"with recursive c(x) as (select 1 union all select x + 1 from c where x < 30000) "
		"insert into t select x, printf(\"%08d-%s\", (x * 7919) % 100003, hex(x * x)) from c;"
		"create index tb on t(b);"
		"select count(*), sum(a), min(b), max(b) from t;"
		"select a, b from t where b like \"0001%\" order by b limit 5;"
		"delete from t where a % 3 = 0;"
		"select count(*), group_concat(a) from (select a from t order by b desc limit 10);'"));
}

Test(preload, perl_hashes_and_sorts)
{
	same_output("perl", SH("perl -e 'my %h; for my $i (1..200000) { $h{\"k\" . ($i * 7919 % 100003)} = [$i, \"x\" x ($i % 50)]; } "
			       "my @k = sort keys %h; my $s = 0; $s += length($h{$_}[1]) for @k; "
			       "print scalar(@k), \" $k[0] $k[-1] $s\\n\";'"));
}

Test(preload, xz_compresses_and_decompresses)
{
	same_output("xz", SH("seq 1 400000 | sed 's/$/ kmm/' > /tmp/kmm-preload-xz.$$ && "
			     "xz -6 -c /tmp/kmm-preload-xz.$$ | xz -d | cksum; "
			     "xz -6 -c /tmp/kmm-preload-xz.$$ | wc -c; rm -f /tmp/kmm-preload-xz.$$"));
}

Test(preload, gcc_compiles_a_c_file)
{
	same_output("gcc", SH("d=$(mktemp -d) && cd $d && "
			      "printf '#include <stdio.h>\\n#include <stdlib.h>\\n"
			      "static int cmp(const void *a, const void *b) { return *(int *)a - *(int *)b; }\\n"
			      "int main(void) { int v[100]; for (int i = 0; i < 100; i++) v[i] = (i * 37) %% 101;\\n"
			      "qsort(v, 100, sizeof(int), cmp); printf(\"%%d %%d\\\\n\", v[0], v[99]); return 0; }\\n' > a.c && "
			      "gcc -O2 -Wall -o a a.c && ./a && gcc -O2 -S -o - a.c | grep -c call; "
			      "cd / && rm -rf $d"));
}

Test(preload, bash_loop)
{
	same_output("bash", ((const char *const[]){ "bash", "-c",
		"s=0; declare -A m; for i in $(seq 1 3000); do m[k$i]=$((i * i)); s=$((s + i)); done; "
		"for i in 1 2 3 4 5 6 7 8 9 10; do x=$(echo $i | tr 0-9 a-j); s=$s$x; done; "
		"echo $s ${#m[@]} ${m[k2999]}", NULL }));
}

Test(preload, multithreaded_program)
{
	same_output(HELPER_DIR "/preload_threads",
		    ((const char *const[]){ HELPER_DIR "/preload_threads", NULL }));
	cr_expect_str_eq(kmm.out, "threads: ok\n");
}

Test(preload, glibc_malloc_contract)
{
	skip_if_sanitized();
	run(&kmm, true, NULL, (const char *const[]){ HELPER_DIR "/preload_contract", NULL });
	cr_expect(WIFEXITED(kmm.status) && WEXITSTATUS(kmm.status) == 0,
		  "status %#x:\n%s", kmm.status, kmm.err);
	cr_expect_str_eq(kmm.out, "contract: all cases hold\n");
}

/*
 * A realloc stays in its block while the class holds it and it fills
 * more than half: 9000 -> 10900 in malloc-10912; 5400 is less than its
 * half (to malloc-5456); 2800 fills that more than half; 2000 does not
 * (to kmalloc-2k); 40000 to malloc-65536, 33000 stays; 100 moves.
 */
#define SIZES_REALLOC "realloc: kept moved kept moved moved kept moved\n"

Test(preload, size_classes_between_kmallocs)
{
	skip_if_sanitized();
	run(&kmm, true, (const char *const[]){ "KMM_SHOW=slabinfo", NULL },
	    (const char *const[]){ HELPER_DIR "/preload_sizes", NULL });
	cr_assert(WIFEXITED(kmm.status) && WEXITSTATUS(kmm.status) == 0, "%s", kmm.err);
	/* kmalloc's classes where they fit, malloc's own between and up to 64 KiB, pages above. */
	cr_expect_str_eq(kmm.out, "sizes: 16 32 48 320 1168 4672 6544 10912 32768 65536 131072\n"
				  SIZES_REALLOC);
	cr_expect(strstr(kmm.err, "\nmalloc-320 "), "%s", kmm.err);
	/* Above 1 KiB a class is as large as its count of objects per slab allows. */
	const char *const slabs[] = { "malloc-1168", "malloc-4672", "malloc-6544", "malloc-10912",
				      "malloc-32768", "malloc-65536" };
	const unsigned int objs[] = { 28, 7, 5, 3, 1, 1 }, npages[] = { 8, 8, 8, 8, 8, 16 };
	for (int i = 0; i < 6; i++) {
		const char *line = strstr(kmm.err, slabs[i]);
		unsigned int active, num, size, per, pages;
		cr_assert(line, "no %s in\n%s", slabs[i], kmm.err);
		cr_assert_eq(sscanf(line + strlen(slabs[i]), "%u %u %u %u %u", &active, &num, &size,
				    &per, &pages), 5, "%s", line);
		cr_expect_eq(per, objs[i], "%s: %u objects per slab", slabs[i], per);
		cr_expect_eq(pages, npages[i], "%s: %u pages per slab", slabs[i], pages);
	}
	/* malloc's own caches are made when first asked for: no size, no cache. */
	cr_expect(!strstr(kmm.err, "\nmalloc-2720 "), "%s", kmm.err);
	/* With slab debugging they are all made at boot, the shadow's granule known. */
	run(&kmm, true, (const char *const[]){ "KMM_SHOW=slabinfo", "KMM_CMDLINE=slab_debug=F", NULL },
	    (const char *const[]){ HELPER_DIR "/preload_sizes", NULL });
	cr_assert(WIFEXITED(kmm.status) && WEXITSTATUS(kmm.status) == 0, "%s", kmm.err);
	cr_expect_str_eq(kmm.out, "sizes: 16 32 48 320 1168 4672 6544 10912 32768 65536 131072\n"
				  SIZES_REALLOC);
	cr_expect(strstr(kmm.err, "\nmalloc-2720 "), "%s", kmm.err);
}

/*
 * Pages that change class (a slab freed, another cache's slab in its
 * pages) keep their objects apart: every block comes back to its own
 * cache, whichever class its page held before.
 */
Test(preload, objects_go_back_to_their_class_when_pages_change_class)
{
	skip_if_sanitized();
	run(&kmm, true, NULL, (const char *const[]){ HELPER_DIR "/preload_pageclass", NULL });
	cr_assert(WIFEXITED(kmm.status) && WEXITSTATUS(kmm.status) == 0, "status %#x:\n%s",
		  kmm.status, kmm.err);
	cr_expect_str_eq(kmm.out, "reused: yes, wrong sizes: 0\n");
}

/*
 * With slab debugging, free() checks every block of malloc's classes, its
 * own caches' and kmalloc's: an overrun into the red zone is reported
 * when the block is freed (the fast path, which checks nothing, is not
 * taken for a debug cache).
 */
Test(preload, slab_debugging_checks_each_free)
{
	skip_if_sanitized();
	run(&kmm, true, (const char *const[]){ "KMM_CMDLINE=slab_debug=FZ", NULL },
	    (const char *const[]){ HELPER_DIR "/preload_redzone", NULL });
	cr_assert(WIFEXITED(kmm.status) && WEXITSTATUS(kmm.status) == 0, "status %#x:\n%s",
		  kmm.status, kmm.err);
	cr_expect_str_eq(kmm.out, "freed\n");
	cr_expect(strstr(kmm.err, "BUG malloc-48 "), "%s", kmm.err);
	cr_expect(strstr(kmm.err, "BUG kmalloc-64 "), "%s", kmm.err);
	int n = 0;
	for (const char *e = kmm.err; (e = strstr(e, "Right Redzone overwritten")); e++)
		n++;
	cr_expect_eq(n, 2, "%d overruns reported:\n%s", n, kmm.err);
}

/*
 * A short process writes few pages of the machine's RAM: what boot and one
 * malloc need, per-CPU parts growing with the CPUs (twice the host's):
 * 50 with 4 CPUs, 74 with 8, 110 with 16, 199 with 32.  Boot once wrote
 * 130 on a 2-CPU host, and spare sheaves whose headers were written for
 * every CPU when their caches were made, 90 (146 with 8 CPUs), which the
 * bound of the time (64 + 8 per CPU) let pass: now it is what boot needs
 * and a tenth more, so that a boot that writes eagerly again is caught.
 */
Test(preload, a_short_process_writes_few_ram_pages)
{
	skip_if_sanitized();
	run(&kmm, true, NULL, (const char *const[]){ HELPER_DIR "/preload_bootpages", NULL });
	cr_assert(WIFEXITED(kmm.status) && WEXITSTATUS(kmm.status) == 0, "status %#x:\n%s",
		  kmm.status, kmm.err);
	unsigned long pages = 0;
	cr_assert_eq(sscanf(kmm.out, "ram pages: %lu", &pages), 1, "%s", kmm.out);
	long cpus = sysconf(_SC_NPROCESSORS_ONLN) * 2;
	if (cpus < 4)
		cpus = 4;
	cr_expect_leq(pages, 44 + 11 * (unsigned long)cpus / 2, "%lu pages of RAM written, %ld CPUs",
		      pages, cpus);
}

/*
 * What else boot writes is the process's own memory: the library's data
 * and bss, the shadow, a few host allocations.  Its small variables sat
 * between big arrays, a page each; laid out so that they share pages
 * (__page_aligned_bss), a process that mallocs once has some 28 anonymous
 * pages more than without the preload, where it had 36.  Resident
 * anonymous pages, beside the same program on glibc's malloc; a few more
 * with many CPUs (their slots).
 */
Test(preload, a_short_process_has_few_anonymous_pages)
{
	skip_if_sanitized();
	const char *const argv[] = { HELPER_DIR "/preload_bootpages", "anon", NULL };
	long with = 0, without = 0;

	run(&kmm, true, NULL, argv);
	run(&plain, false, NULL, argv);
	cr_assert(WIFEXITED(kmm.status) && WEXITSTATUS(kmm.status) == 0, "status %#x:\n%s",
		  kmm.status, kmm.err);
	cr_assert_eq(sscanf(kmm.out, "anon pages: %ld", &with), 1, "%s", kmm.out);
	cr_assert_eq(sscanf(plain.out, "anon pages: %ld", &without), 1, "%s", plain.out);
	long cpus = sysconf(_SC_NPROCESSORS_ONLN) * 2;
	if (cpus < 4)
		cpus = 4;
	cr_expect_leq(with - without, 30 + cpus / 2, "%ld anonymous pages with the preload, %ld without",
		      with, without);
}

/*
 * A forked child that allocates (a shell's command substitution) starts
 * with its parent's machine and frees the other threads' slots of it.
 * Scanning the whole slot table read 128 pages the process had never
 * touched, a page fault each: a subshell took 199 faults where glibc's
 * took 48.  The minor faults of one subshell, read from its own
 * /proc/self/stat by bash builtins, beside the same without the preload.
 */
Test(preload, a_forked_child_takes_few_page_faults)
{
	skip_if_sanitized();
	if (!have("bash"))
		cr_skip_test("no bash");
	const char *const argv[] = { "bash", "-c",
		"x=$(read -a s < /proc/self/stat; echo ${s[9]}); echo $x", NULL };
	unsigned long with = 0, without = 0;

	run(&kmm, true, NULL, argv);
	run(&plain, false, NULL, argv);
	cr_assert_eq(sscanf(kmm.out, "%lu", &with), 1, "%s%s", kmm.out, kmm.err);
	cr_assert_eq(sscanf(plain.out, "%lu", &without), 1, "%s", plain.out);
	cr_expect_leq(with, without + 64, "%lu faults in the subshell, %lu without kmm",
		      with, without);
}

/*
 * A program's small blocks cost it a shadow byte per 16-byte granule of
 * their pages beside the pages themselves: a sixteenth of its RAM in
 * host memory of its own.  (It was an eighth, for a granule of 8 bytes
 * chosen for kmalloc-8, which malloc never uses.)
 */
Test(preload, the_shadow_is_a_sixteenth_of_the_ram_used)
{
	skip_if_sanitized();
	run(&kmm, true, NULL, (const char *const[]){ HELPER_DIR "/preload_footprint", NULL });
	cr_assert(WIFEXITED(kmm.status) && WEXITSTATUS(kmm.status) == 0, "status %#x:\n%s",
		  kmm.status, kmm.err);
	long ram = 0, anon = 0;
	cr_assert_eq(sscanf(kmm.out, "ram pages: %ld anon pages: %ld", &ram, &anon), 2, "%s",
		     kmm.out);
	cr_expect_geq(ram, 8192, "32 MiB of blocks wrote %ld pages of RAM", ram);
	cr_expect_leq(anon, ram / 16 + 32, "%ld pages of RAM cost %ld anonymous pages", ram, anon);
}

/*
 * A thread that finds every CPU held takes over the CPU of a sleeping
 * holder (the main thread in pthread_join()), not that of a thread
 * running between allocations, whose block its own would neighbour (the
 * false sharing of Hoard's cache-thrash).  Taking the first CPU it looked
 * at picked the runner's in a quarter to a half of the runs: ten runs.
 */
Test(preload, a_cpu_is_taken_from_a_sleeping_thread)
{
	skip_if_sanitized();
	for (int i = 0; i < 10; i++) {
		run(&kmm, true, (const char *const[]){ "KMM_CMDLINE=cpus=2", NULL },
		    (const char *const[]){ HELPER_DIR "/preload_cputake", NULL });
		cr_assert(WIFEXITED(kmm.status) && WEXITSTATUS(kmm.status) == 0,
			  "status %#x:\n%s", kmm.status, kmm.err);
		cr_assert_str_eq(kmm.out, "same page: no\n", "run %d", i);
	}
}

static void expect_abort(const char *what, const char *fn)
{
	char msg[64];

	run(&kmm, true, NULL, (const char *const[]){ HELPER_DIR "/preload_badfree", what, NULL });
	cr_expect(WIFSIGNALED(kmm.status) && WTERMSIG(kmm.status) == SIGABRT,
		  "%s: status %#x, out %s", what, kmm.status, kmm.out);
	snprintf(msg, sizeof(msg), "kmm: %s(): invalid pointer 0x", fn);
	cr_expect(strstr(kmm.err, msg), "%s: the message is \"%s\"", what, kmm.err);
}

Test(preload, invalid_frees_abort)
{
	skip_if_sanitized();
	expect_abort("stack", "free");
	expect_abort("global", "free");
	expect_abort("mmap", "free");
	expect_abort("interior", "free");
	expect_abort("double", "free");
	expect_abort("double-large", "free");
	expect_abort("double-huge", "free");
	expect_abort("interior-huge", "free");
	expect_abort("realloc-interior", "realloc");
	expect_abort("usable-interior", "malloc_usable_size");
}

Test(preload, loader_blocks_are_recognised)
{
	skip_if_sanitized();
	run(&kmm, true, NULL, (const char *const[]){ HELPER_DIR "/preload_badfree", "loader", NULL });
	cr_expect(WIFEXITED(kmm.status) && WEXITSTATUS(kmm.status) == 0, "%#x: %s",
		  kmm.status, kmm.err);
	cr_expect_str_eq(kmm.out, "loader ok\n");
}

Test(preload, fork_soak)
{
	skip_if_sanitized();
	run(&kmm, true, NULL, (const char *const[]){ HELPER_DIR "/preload_forksoak", "60", NULL });
	cr_expect(WIFEXITED(kmm.status) && WEXITSTATUS(kmm.status) == 0, "%#x: %s",
		  kmm.status, kmm.err);
	cr_expect_str_eq(kmm.out, "forksoak: 60 forks ok\n");
}

/* preload_forkcow [@arg] on the preload (with @env): every case holds. */
static void forkcow_holds(const char *const *env, const char *arg)
{
	run(&kmm, true, env, (const char *const[]){ HELPER_DIR "/preload_forkcow", arg, NULL });
	cr_expect(WIFEXITED(kmm.status) && WEXITSTATUS(kmm.status) == 0, "%#x: %s",
		  kmm.status, kmm.err);
	cr_expect_str_eq(kmm.out, "forkcow: child-writes ok\nforkcow: parent-writes ok\n"
				  "forkcow: write-then-alloc ok\nforkcow: signals ok\n");
}

Test(preload, fork_keeps_parent_and_child_apart)
{
	skip_if_sanitized();
	forkcow_holds(NULL, NULL);
	/* The same cases hold on glibc's malloc: they test fork, not kmm. */
	run(&plain, false, NULL, (const char *const[]){ HELPER_DIR "/preload_forkcow", NULL });
	cr_expect_str_eq(plain.out, kmm.out);
}

/*
 * The same with most of the direct map in the host's huge pages
 * (hugeram= far below the heap's 48 MiB), where the host copies on write
 * a huge page at a time or splits it.
 */
Test(preload, fork_keeps_parent_and_child_apart_in_huge_pages)
{
	skip_if_sanitized();
	forkcow_holds((const char *const[]){ "KMM_CMDLINE=hugeram=8M", NULL }, "huge");
}

/*
 * The same with a small heap: the child copies RAM at once and maps its
 * copy where ram.c's record says RAM is mapped (the direct map and the
 * huge blocks' vmalloc runs), without reading /proc/self/maps.  A run it
 * missed would leave the child writing into the parent's memory.
 */
Test(preload, fork_keeps_parent_and_child_apart_with_a_small_heap)
{
	skip_if_sanitized();
	forkcow_holds(NULL, "small");
}

/*
 * A huge block gets the host's huge pages from malloc() (a fork of a
 * large heap copies one entry per 2 MiB) but not from calloc(): xz's
 * match finder keeps a sparse 16 MiB hash table in one, and each touch
 * backed a whole 2 MiB page, 16 MiB where 2 were used.  The calloc()ed
 * block, a byte written in each 2 MiB, is backed a page per byte (unless
 * the host gives every mapping huge pages).
 */
Test(preload, calloc_of_a_huge_block_gets_small_pages)
{
	skip_if_sanitized();
	run(&kmm, true, NULL, (const char *const[]){ HELPER_DIR "/preload_hugeadvice", NULL });
	cr_assert(WIFEXITED(kmm.status) && WEXITSTATUS(kmm.status) == 0, "status %#x:\n%s",
		  kmm.status, kmm.err);
	const char *c = strstr(kmm.out, "calloc: no hg ");
	unsigned long ckb = 0;
	cr_expect(strstr(kmm.out, "malloc: hg "), "%s", kmm.out);
	cr_assert(c && sscanf(c, "calloc: no hg %lu KiB", &ckb) == 1, "%s", kmm.out);

	if (strcmp(host_thp_mode(), "always"))
		cr_expect_leq(ckb, 8 * 4 * 2, "%s", kmm.out);
}

Test(preload, cmdline_and_views_at_exit)
{
	skip_if_sanitized();
	run(&kmm, true, (const char *const[]){ "KMM_CMDLINE=mem=2G cpus=3",
		"KMM_SHOW=meminfo,slabinfo,buddyinfo", NULL },
	    (const char *const[]){ "ls", "/", NULL });
	cr_assert(WIFEXITED(kmm.status) && WEXITSTATUS(kmm.status) == 0, "%s", kmm.err);
	/* ls closes stderr before it exits: the views still come. */
	cr_expect(strstr(kmm.err, "==> meminfo (kmm, pid "), "%s", kmm.err);
	cr_expect(strstr(kmm.err, "slabinfo - version: 2.1"));
	cr_expect(strstr(kmm.err, "kmalloc-16 "));
	cr_expect(strstr(kmm.err, "Node 0, zone    DMA32"), "mem=2G: no Normal zone");
	char *total = strstr(kmm.err, "MemTotal:");
	cr_assert(total);
	long kb = strtol(total + 9, NULL, 10);
	cr_expect(kb > 1800000 && kb <= 2 * 1024 * 1024, "MemTotal %ld kB for mem=2G", kb);

	char path[] = "/tmp/kmm-preload-show-XXXXXX", file_env[64];
	int fd = mkstemp(path);
	cr_assert(fd >= 0);
	close(fd);
	snprintf(file_env, sizeof(file_env), "KMM_SHOW_FILE=%s", path);
	run(&kmm, true, (const char *const[]){ "KMM_SHOW=vmallocinfo,nosuchview", file_env, NULL },
	    (const char *const[]){ "ls", "/", NULL });
	fd = open(path, O_RDONLY);
	read_all(fd, kmm.out, sizeof(kmm.out));
	unlink(path);
	cr_expect(strstr(kmm.out, "==> vmallocinfo (kmm, pid "), "%s", kmm.out);
	cr_expect(strstr(kmm.out, "kmm: KMM_SHOW: no view \"nosuchview\""), "%s", kmm.out);
	cr_expect_str_eq(kmm.err, "");
}

/*
 * The machine's threads start when first needed, and the unwinder for its
 * reports is linked in: a program that allocates stays single-threaded
 * (glibc's single-thread fast paths stay on) and loads no library more.
 */
Test(preload, a_program_stays_single_threaded)
{
	skip_if_sanitized();
	run(&kmm, true, NULL, (const char *const[]){ "grep", "-h", "-e", "^Threads:", "-e", "libgcc_s",
						     "/proc/self/status", "/proc/self/maps", NULL });
	cr_assert(WIFEXITED(kmm.status) && WEXITSTATUS(kmm.status) == 0, "%s", kmm.err);
	cr_expect_str_eq(kmm.out, "Threads:\t1\n");
	/* grep allocates before it reads: the machine was up. */
	run(&kmm, true, (const char *const[]){ "KMM_SHOW=meminfo", NULL },
	    (const char *const[]){ "grep", "-c", "^Threads:.1$", "/proc/self/status", NULL });
	cr_expect_str_eq(kmm.out, "1\n");
	cr_expect(strstr(kmm.err, "MemTotal:"), "%s", kmm.err);
}

Test(preload, bad_cmdline_aborts_with_the_reason)
{
	skip_if_sanitized();
	/* (true would not do: it never allocates, so nothing boots.) */
	run(&kmm, true, (const char *const[]){ "KMM_CMDLINE=mem=banana", NULL },
	    (const char *const[]){ "ls", "/", NULL });
	cr_expect(WIFSIGNALED(kmm.status) && WTERMSIG(kmm.status) == SIGABRT, "%#x", kmm.status);
	cr_expect(strstr(kmm.err, "Malformed kernel command line parameter \"mem=banana\""),
		  "%s", kmm.err);
	cr_expect(strstr(kmm.err, "kmm: cannot boot the machine (KMM_CMDLINE=\"mem=banana\")"),
		  "%s", kmm.err);
}

Test(preload, exports_only_the_allocation_api)
{
	skip_if_sanitized();
	void *h = dlopen(PRELOAD_PATH, RTLD_NOW | RTLD_LOCAL);

	cr_assert(h, "%s", dlerror());
	const char *api[] = { "malloc", "free", "calloc", "realloc", "reallocarray",
			      "posix_memalign", "aligned_alloc", "memalign", "valloc", "pvalloc",
			      "malloc_usable_size" };
	for (size_t i = 0; i < sizeof(api) / sizeof(api[0]); i++)
		cr_expect(dlsym(h, api[i]), "%s is not exported", api[i]);
	const char *hidden[] = { "kmalloc", "kfree", "kmm_boot", "alloc_pages", "vmalloc",
				 "printk", "shim_boot", "arena_alloc", "plat_map", "kmem_cache_create" };
	for (size_t i = 0; i < sizeof(hidden) / sizeof(hidden[0]); i++)
		cr_expect(!dlsym(h, hidden[i]), "%s is exported", hidden[i]);
	dlclose(h);
}
