/* SPDX-License-Identifier: MIT */
/* Linux's lib/test_vmalloc.c cases, shared by the test and the benchmark. */
#ifndef KMM_VMALLOC_CASES_H
#define KMM_VMALLOC_CASES_H

#include <kmm/kmm.h>

struct vmalloc_case {
	const char *name;
	int (*fn)(int loops);
	bool xfail;
};

extern const struct vmalloc_case vmalloc_cases[];
extern const unsigned int nr_vmalloc_cases;

/*
 * Run the cases selected by @mask on @threads threads, each running every
 * case once; print Linux's "Summary:" line per case to the kernel log.
 * Return: the number of unexpected results.
 */
int run_vmalloc_cases(unsigned int mask, int threads, int loops);

#endif
