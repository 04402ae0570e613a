/* SPDX-License-Identifier: MIT */
/* The built-in workloads of kmm run (scenarios.c). */
#ifndef KMM_TOOL_SCENARIOS_H
#define KMM_TOOL_SCENARIOS_H

#include <stdbool.h>

/* One thread's run of a workload: counters it keeps. */
struct worker {
	int id, cpu;
	unsigned long long ops, bytes;		/* bytes: copied (highmem-copy) */
	unsigned long long failed;		/* allocations refused */
	unsigned long long hi_tries, hi_ok;	/* fragment: high-order attempts */
	unsigned long long max_ops;		/* 0: until told to stop */
	const bool *stop;			/* set by the main thread: read it atomically */
	double share;				/* fragment: of free memory to fill */
	/* Called with the workload's state still held, before it is freed,
	 * so the views and pictures show the machine under load. */
	void (*hold)(struct worker *w);
};

struct workload {
	const char *name;
	const char *unit;			/* what one op is */
	const char *what;
	void (*run)(struct worker *w);		/* until *stop or max_ops */
};

extern const struct workload workloads[];
extern const int nr_workloads;
const struct workload *find_workload(const char *name);

#endif /* KMM_TOOL_SCENARIOS_H */
