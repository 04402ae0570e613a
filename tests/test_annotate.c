/* SPDX-License-Identifier: MIT */
/*
 * ASan and Valgrind see slab objects as allocations (src/annotate.h): a
 * user's overflow past a kmalloc request, or a use after kfree, inside
 * memory the slab layer owns, is found by the tool.  The ASan cases run in
 * ASan builds (CI's second pass), the Valgrind ones in -Dvalgrind=true
 * builds run under valgrind; elsewhere they are skipped, saying why.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "helpers.h"
#include "slab.h"

#ifdef KMM_VALGRIND
#include <valgrind/memcheck.h>
#endif

#ifdef KMM_ANNOTATE_ASAN
#define IS_ENABLED_ASAN 1
#else
#define IS_ENABLED_ASAN 0
#endif

static void require_asan(void)
{
	if (!KMM_ANNOTATE_ON || !IS_ENABLED_ASAN)
		cr_skip_test("not an ASan build");
}

/*
 * Run @fn in a child with stderr captured; true if the child died of an
 * ASan report containing @needle.
 */
static bool asan_catches(void (*fn)(void), const char *needle)
{
	int fds[2];
	char buf[16384];
	ssize_t n, len = 0;
	int status;

	cr_assert_eq(pipe(fds), 0);
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (!pid) {
		dup2(fds[1], STDERR_FILENO);
		close(fds[0]);
		fn();
		_exit(0);	/* not caught */
	}
	close(fds[1]);
	while ((n = read(fds[0], buf + len, sizeof(buf) - 1 - (size_t)len)) > 0)
		len += n;
	buf[len] = '\0';
	close(fds[0]);
	waitpid(pid, &status, 0);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return false;
	return strstr(buf, needle) != NULL;
}

static void overflow_past_request(void)
{
	boot_or_die("cpus=2");
	volatile char *p = kmalloc(20, GFP_KERNEL);

	p[19] = 1;	/* fine */
	p[20] = 1;	/* inside kmalloc-32, past the request */
}

static void use_after_free(void)
{
	boot_or_die("cpus=2");
	struct kmem_cache *s = kmem_cache_create("annot", 100, 0, SLAB_NO_MERGE, NULL);
	volatile char *p = kmem_cache_alloc(s, GFP_KERNEL);

	kmem_cache_free(s, (void *)p);
	p[50] = 1;
}

static void within_ksize_is_fine(void)
{
	boot_or_die("cpus=2");
	char *p = kmalloc(20, GFP_KERNEL);

	memset(p, 1, ksize(p));	/* ksize() gives the caller all 32 bytes */
	kfree(p);
	p = kmalloc(20, GFP_KERNEL);
	p = krealloc(p, 30, GFP_KERNEL);	/* in place, now 30 bytes long */
	memset(p, 2, 30);
	kfree(p);
	check_and_shutdown();
}

Test(annotate, asan_finds_overflow_past_a_kmalloc_request)
{
	require_asan();
	cr_assert(asan_catches(overflow_past_request, "use-after-poison"));
}

Test(annotate, asan_finds_use_after_kmem_cache_free)
{
	require_asan();
	cr_assert(asan_catches(use_after_free, "use-after-poison"));
}

Test(annotate, asan_lets_ksize_and_krealloc_widen)
{
	require_asan();
	cr_assert(!asan_catches(within_ksize_is_fine, "AddressSanitizer"));
}

Test(annotate, machine_reboots_clean_with_live_objects)
{
	/* Live slabs at shutdown leave no poisoned shadow behind for the next boot. */
	for (int i = 0; i < 3; i++) {
		boot_or_die("cpus=2 mem=128M");
		for (int k = 0; k < 1000; k++)
			cr_assert_not_null(kmalloc(64 + (size_t)k, GFP_KERNEL));
		kmm_shutdown();
	}
	char *p = malloc(1 << 20);	/* host memory, maybe where the window was */
	memset(p, 0, 1 << 20);
	free(p);
}

#ifdef KMM_VALGRIND
Test(annotate, valgrind_finds_overflow_and_use_after_free)
{
	if (!RUNNING_ON_VALGRIND)
		cr_skip_test("not running under valgrind");
	boot_or_die("cpus=2");
	volatile char *p = kmalloc(20, GFP_KERNEL);
	unsigned long before = VALGRIND_COUNT_ERRORS;

	p[20] = 1;
	cr_assert_eq(VALGRIND_COUNT_ERRORS, before + 1, "the overflow is an error");
	kfree((void *)p);
	p[0] = 1;
	cr_assert_eq(VALGRIND_COUNT_ERRORS, before + 2, "the use after free is an error");
	/* .ci/run fails a log whose error count is not what its test made on purpose. */
	VALGRIND_PRINTF("kmm: memcheck errors made on purpose: 2\n");
	check_and_shutdown();
}
#endif
