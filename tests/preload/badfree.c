/* SPDX-License-Identifier: MIT */
/*
 * Invalid frees, one per run (argv[1] names it), for test_preload: under
 * libkmm-malloc.so each must abort with "kmm: free(): invalid pointer".
 * "loader" frees nothing invalid: it must exit 0.
 */
#include <dlfcn.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

static char global_buf[64] = "data";
static void (*volatile do_free)(void *) = free;
static void *(*volatile do_realloc)(void *, size_t) = realloc;

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "";
	char stack_buf[64];
	char *p;

	if (!strcmp(what, "stack")) {
		do_free(stack_buf);
	} else if (!strcmp(what, "global")) {
		do_free(global_buf);
	} else if (!strcmp(what, "mmap")) {
		/* The program's own anonymous mapping, made after the takeover. */
		free(malloc(16));
		p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p != MAP_FAILED)
			do_free(p + 64);
	} else if (!strcmp(what, "interior")) {
		p = malloc(100);
		do_free(p + 16);
	} else if (!strcmp(what, "double")) {
		p = malloc(100);
		do_free(p);
		do_free(p);
	} else if (!strcmp(what, "double-large")) {
		p = malloc(100000);
		do_free(p);
		do_free(p);
	} else if (!strcmp(what, "double-huge")) {
		p = malloc(10 << 20);
		do_free(p);
		do_free(p);
	} else if (!strcmp(what, "interior-huge")) {
		p = malloc(10 << 20);
		do_free(p + 4096);
	} else if (!strcmp(what, "realloc-interior")) {
		p = malloc(64);
		p = do_realloc(p + 16, 200);
	} else if (!strcmp(what, "usable-interior")) {
		p = malloc(64);
		printf("%zu\n", malloc_usable_size(p + 32));
	} else if (!strcmp(what, "loader")) {
		/* dlopen and dlclose make the loader free what it allocated, early blocks too. */
		for (int i = 0; i < 3; i++) {
			void *h = dlopen("libm.so.6", RTLD_NOW);
			if (h)
				dlclose(h);
		}
		puts("loader ok");
		return 0;
	} else {
		return 2;
	}
	puts("not caught");
	return 1;
}
