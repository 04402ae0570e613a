/* SPDX-License-Identifier: MIT */
/* Helpers shared by the tests: boot a machine, read the log, count free pages. */
#ifndef KMM_TEST_HELPERS_H
#define KMM_TEST_HELPERS_H

#include <errno.h>
#include <signal.h>
#include <criterion/criterion.h>
#include <kmm/kmm.h>

/* Boot @cmdline or fail the test; the console is silenced (the log keeps all). */
void boot_or_die(const char *cmdline);
/* Shut down after asserting kmm_check() == 0. */
void check_and_shutdown(void);
/* True if the kernel log contains @needle. */
bool dmesg_has(const char *needle);
/* Free pages of one zone (folded, exact) and of the machine. */
unsigned long zone_free(int nid, enum zone_type zt);
unsigned long total_free(void);

/*
 * Pages a test holds: hold() keeps one, free_held() gives them all back,
 * exhaust() takes order-0 pages with @gfp until none come even with the
 * CPU lists drained, and says how many it took.
 */
/*
 * Run @touch(@arg) in a forked child whose console goes to a file; return
 * what it printed (free() it) and set *@sig to the signal that ended it,
 * 0 for a normal exit, -1 for a non-zero exit.
 */
/* Pages of [@addr, @addr + @len) that the host backs (mincore()): RAM written, or read. */
unsigned long resident_pages(const void *addr, size_t len);
/* A view's text as kmm_show() prints it (malloc'd); asserts the view exists. */
char *view(const char *name);
/* A /proc/meminfo field's value in kB; asserts the field exists. */
unsigned long meminfo_kb(const char *key);
char *fault_in_child(void (*touch)(void *), void *arg, int *sig);
/* Lines of /proc/self/maps that overlap [@lo, @hi). */
long host_mappings_between(unsigned long lo, unsigned long hi);
/*
 * vmalloc() a page into @v[0], @v[1], ... until it fails at the host's
 * mapping bound (vm.max_map_count below 140000), which must come before
 * @cap areas and after 1000, with the report.  Return: the areas made.
 */
int vmalloc_to_mapping_bound(void **v, int cap);
/* Has the host's mapping of @addr the huge-page advice; its AnonHugePages in *@huge_kb. */
bool host_advised_huge(const void *addr, unsigned long *huge_kb);
/*
 * Split a block of 2^@order pages and free every @step-th of its pages,
 * from the first on, last in first out to the CPU's list: a vmalloc() then
 * takes them back.  Return: the block's first page.
 */
struct page *free_split_block(unsigned int order, unsigned int step);
void write_byte(void *p);
void read_byte(void *p);

/*
 * The host's verdict is SIGSEGV; under ASan or TSan the sanitizer's own
 * handler reports and exits instead.
 */
#if defined(__SANITIZE_ADDRESS__) || defined(KMM_TSAN)
#define KMM_SANITIZER_EXITS 1
#else
#define KMM_SANITIZER_EXITS 0
#endif
#define cr_assert_died(sig) cr_assert((sig) == SIGSEGV || (sig) == SIGABRT || \
				      (KMM_SANITIZER_EXITS && (sig) == -1), "signal %d", sig)

/*
 * What the process holds of the host: open files, lines of /proc/self/maps,
 * threads, bookkeeping memory (plat_host_bytes), mappings of the RAM file.
 * After kmm_shutdown() (or a failed kmm_boot()) it must be what it was.
 */
struct host_footprint {
	long fds, maps, tasks, host_bytes, ram_maps;
};
struct host_footprint host_footprint(void);
long host_threads(void);
long host_threads_down_to(long want);
/* Is one of this process's host threads named @name (its /proc/self/task/TID/comm)? */
bool host_thread_named(const char *name);
/* Expect @now == @base (ASan's own bookkeeping may add a mapping or two). */
void expect_same_footprint(const struct host_footprint *base, const struct host_footprint *now,
			   const char *what);

/* A small deterministic PRNG (xorshift64*) with its state in *@s: a failure can be replayed. */
static inline u64 xorshift(u64 *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
}

/*
 * From any thread: count an error, keep the first one's text.  Worker
 * threads cannot assert (Criterion's asserts end the calling thread's
 * test); the test asserts error_count() == 0 when they are done.
 */
__attribute__((format(printf, 1, 2))) void test_error(const char *fmt, ...);
unsigned long error_count(void);
const char *first_error(void);

#define MAX_HELD 32768
extern struct page *held[MAX_HELD];
extern int nr_held;
void hold(struct page *p);
void free_held(void);
int exhaust(gfp_t gfp);

#endif
