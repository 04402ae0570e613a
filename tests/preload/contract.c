/* SPDX-License-Identifier: MIT */
/*
 * The glibc malloc contract, run under LD_PRELOAD=libkmm-malloc.so by
 * test_preload (it also passes on glibc's malloc: the cases are glibc's).
 * Prints each failed case and exits 1 if any failed.
 */
#include <errno.h>
#include <malloc.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static int failures;
#define CHECK(cond) do { if (!(cond)) { failures++; \
	fprintf(stderr, "contract.c:%d: %s\n", __LINE__, #cond); } } while (0)

/* Keep the compiler from reasoning about our calls (it knows malloc). */
static void *(*volatile p_malloc)(size_t) = malloc;
static void *(*volatile p_calloc)(size_t, size_t) = calloc;
static void *(*volatile p_realloc)(void *, size_t) = realloc;
static void *(*volatile p_reallocarray)(void *, size_t, size_t) = reallocarray;
static void *(*volatile p_aligned_alloc)(size_t, size_t) = aligned_alloc;
static void *(*volatile p_memalign)(size_t, size_t) = memalign;
static void *(*volatile p_valloc)(size_t) = valloc;
static void *(*volatile p_pvalloc)(size_t) = pvalloc;

static void too_large(void)
{
	const size_t sizes[] = { SIZE_MAX, SIZE_MAX - 4096, (size_t)PTRDIFF_MAX + 1,
				 (size_t)PTRDIFF_MAX, (size_t)1 << 62, (size_t)1 << 50 };
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t n = sizes[i];
		void *q = (void *)1;
		errno = 0; CHECK(!p_malloc(n) && errno == ENOMEM);
		errno = 0; CHECK(!p_calloc(n, 1) && errno == ENOMEM);
		errno = 0; CHECK(!p_calloc(1, n) && errno == ENOMEM);
		errno = 0; CHECK(!p_aligned_alloc(64, n) && errno == ENOMEM);
		errno = 0; CHECK(!p_memalign(4096, n) && errno == ENOMEM);
		errno = 0; CHECK(!p_valloc(n) && errno == ENOMEM);
		errno = 0; CHECK(!p_pvalloc(n) && errno == ENOMEM);
		errno = 0; CHECK(posix_memalign(&q, 64, n) == ENOMEM && q == (void *)1);
		char *p = p_malloc(16);
		strcpy(p, "kept");
		errno = 0; CHECK(!p_realloc(p, n) && errno == ENOMEM && !strcmp(p, "kept"));
		errno = 0; CHECK(!p_reallocarray(p, n, 1) && errno == ENOMEM && !strcmp(p, "kept"));
		free(p);
	}
}

static void overflow(void)
{
	char *p = p_malloc(8);
	strcpy(p, "abc");
	errno = 0; CHECK(!p_calloc(SIZE_MAX / 2 + 2, 2) && errno == ENOMEM);
	errno = 0; CHECK(!p_calloc((size_t)1 << 33, (size_t)1 << 32) && errno == ENOMEM);
	errno = 0; CHECK(!p_reallocarray(p, SIZE_MAX / 2 + 2, 2) && errno == ENOMEM);
	CHECK(!strcmp(p, "abc"));
	p = p_reallocarray(p, 100, 10);
	CHECK(p && !strcmp(p, "abc") && malloc_usable_size(p) >= 1000);
	free(p);
}

static void alignment_errors(void)
{
	void *q = (void *)1;
	int e = errno = 1234;
	CHECK(posix_memalign(&q, 0, 8) == EINVAL && q == (void *)1);
	CHECK(posix_memalign(&q, 3, 8) == EINVAL && q == (void *)1);
	CHECK(posix_memalign(&q, 4, 8) == EINVAL && q == (void *)1);	/* < sizeof(void *) */
	CHECK(posix_memalign(&q, 24, 8) == EINVAL && q == (void *)1);
	CHECK(posix_memalign(&q, SIZE_MAX / 2 + 2, 8) == EINVAL && q == (void *)1);
	CHECK(errno == e);
	errno = 0; CHECK(!p_aligned_alloc(3, 8) && errno == EINVAL);
	errno = 0; CHECK(!p_aligned_alloc(0, 8) && errno == EINVAL);
	errno = 0; CHECK(!p_memalign(SIZE_MAX / 2 + 2, 8) && errno == EINVAL);
	/* memalign rounds a non-power of two up */
	void *p = p_memalign(48, 8);
	CHECK(p && !((uintptr_t)p & 63));
	free(p);
}

static void alignments(void)
{
	const size_t sizes[] = { 0, 1, 15, 16, 17, 100, 4095, 4096, 5000, 9000, 70000,
				 1 << 20, (1 << 20) + 1, 3 << 20 };
	for (int shift = 3; shift <= 26; shift++) {
		size_t a = (size_t)1 << shift;
		for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			void *p = NULL;
			CHECK(posix_memalign(&p, a, sizes[i]) == 0 && p && !((uintptr_t)p & (a - 1)));
			if (p) {
				memset(p, 0x5a, sizes[i]);
				CHECK(malloc_usable_size(p) >= sizes[i]);
			}
			free(p);
			p = p_aligned_alloc(a, sizes[i]);
			CHECK(p && !((uintptr_t)p & (a - 1)));
			free(p);
			p = p_memalign(a, sizes[i]);
			CHECK(p && !((uintptr_t)p & (a - 1)));
			free(p);
		}
	}
	long page = sysconf(_SC_PAGESIZE);
	void *p = p_valloc(1);
	CHECK(p && !((uintptr_t)p & (page - 1)));
	free(p);
	p = p_pvalloc(0);
	CHECK(p && !((uintptr_t)p & (page - 1)) && malloc_usable_size(p) >= (size_t)page);
	free(p);
	p = p_pvalloc(page + 1);
	CHECK(p && malloc_usable_size(p) >= 2 * (size_t)page);
	free(p);
}

static void zero_sizes(void)
{
	void *a = p_malloc(0), *b = p_malloc(0);
	CHECK(a && b && a != b);
	free(a);
	free(b);
	a = p_calloc(0, 5);
	b = p_calloc(5, 0);
	CHECK(a && b && a != b);
	free(a);
	free(b);
	/* realloc(p, 0): glibc's policy, documented in malloc.c: p is freed, NULL back. */
	a = p_malloc(10);
	CHECK(p_realloc(a, 0) == NULL);
	a = p_realloc(NULL, 0);
	CHECK(a != NULL);
	free(a);
	CHECK(malloc_usable_size(NULL) == 0);
	free(NULL);
}

static void basics(void)
{
	/* Every size class and kind, written whole, usable size at least the request. */
	for (size_t n = 1; n < (8 << 20); n = n * 3 / 2 + 1) {
		unsigned char *p = p_malloc(n);
		CHECK(p && !((uintptr_t)p & 15));
		if (!p)
			continue;
		CHECK(malloc_usable_size(p) >= n);
		memset(p, 0xa5, n);
		unsigned char *q = p_calloc(1, n);
		CHECK(q && q[0] == 0 && q[n / 2] == 0 && q[n - 1] == 0);
		p = p_realloc(p, n * 2 + 7);
		CHECK(p && p[0] == 0xa5 && p[n - 1] == 0xa5);
		p = p_realloc(p, n / 2 + 1);
		CHECK(p && p[0] == 0xa5 && p[n / 2] == 0xa5);
		free(q);
		free(p);
	}
	/* free keeps errno */
	void *p = p_malloc(100), *big = p_malloc(1 << 22), *mid = p_malloc(20000);
	errno = 4321;
	free(p);
	free(mid);
	free(big);
	CHECK(errno == 4321);
}

static size_t resident(const void *p, size_t n)
{
	uintptr_t a = (uintptr_t)p & ~(uintptr_t)4095;
	size_t len = ((uintptr_t)p + n - a + 4095) & ~(size_t)4095, got = 0;
	unsigned char *vec = p_malloc(len / 4096);

	if (!vec || mincore((void *)a, len, vec))
		return (size_t)-1;
	for (size_t i = 0; i < len / 4096; i++)
		got += vec[i] & 1;
	free(vec);
	return got;
}

static bool all_zero(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/*
 * calloc() of megabytes: zero, and on memory never used before it writes
 * nothing (glibc's comes from a fresh mmap()); run first, while glibc's
 * mmap threshold is its initial one.
 */
static void big_calloc(void)
{
	const size_t sizes[] = { 32 << 20, 2 << 20 };

	for (size_t k = 0; k < 2; k++) {
		size_t n = sizes[k];
		unsigned char *p = p_calloc(1, n);
		CHECK(p);
		if (!p)
			continue;
		if (k == 0)
			CHECK(resident(p, n) < n / 4096 / 8);
		CHECK(all_zero(p, n));
		memset(p, 0x5a, n);
		free(p);
		p = p_calloc(n / 16, 16);
		CHECK(p && all_zero(p, n));
		free(p);
	}
}

int main(void)
{
	big_calloc();
	basics();
	zero_sizes();
	overflow();
	too_large();
	alignment_errors();
	alignments();
	if (failures)
		fprintf(stderr, "%d contract cases failed\n", failures);
	else
		printf("contract: all cases hold\n");
	return failures ? 1 : 0;
}
