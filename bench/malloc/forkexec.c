/* SPDX-License-Identifier: MIT */
/*
 * fork + exec from a process with a large heap (issue 7: "stays cheap —
 * measure it").  The process fills 1 GiB of heap, half in blocks of 4 to
 * 64 KiB and half in 32 MiB blocks, then forks and execs /bin/true and
 * waits for it, over and over.  Only that loop is timed: the workload
 * prints "bench-time SECONDS" and the runner takes it instead of the
 * process's whole time (filling the heap costs every allocator the same
 * and would hide the difference).  The heap is checked after each child.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "workload.h"

#define HEAP		(1UL << 30)
#define BIG		(32UL << 20)

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int wl_forkexec(void)
{
	size_t nbig = HEAP / 2 / BIG, nsmall = 0, have = 0;
	uint64_t seed = 0xbf58476d1ce4e5b9ULL;
	static unsigned char *blk[1 << 16];
	static size_t len[1 << 16];

	for (size_t i = 0; i < nbig; i++, nsmall++) {
		len[nsmall] = BIG;
		have += BIG;
		blk[nsmall] = malloc(BIG);
	}
	while (have < HEAP && nsmall < (1 << 16)) {
		len[nsmall] = rnd_size_log(&seed, 4096, 65536);
		have += len[nsmall];
		blk[nsmall] = malloc(len[nsmall]);
		nsmall++;
	}
	for (size_t i = 0; i < nsmall; i++)
		memset(blk[i], (int)(i & 0xff), len[i]);

	long forks = SCALED(20);
	double t0 = now_s();
	for (long f = 0; f < forks; f++) {
		pid_t pid = fork();
		if (pid < 0)
			return 2;
		if (pid == 0) {
			execl("/bin/true", "true", (char *)NULL);
			_exit(127);
		}
		int st;
		if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st))
			return 3;
	}
	double t = now_s() - t0;
	for (size_t i = 0; i < nsmall; i++)
		if (blk[i][0] != (unsigned char)i || blk[i][len[i] - 1] != (unsigned char)i) {
			fprintf(stderr, "forkexec: the heap changed across fork\n");
			return 4;
		}
	printf("bench-time %.6f\n", t);
	for (size_t i = 0; i < nsmall; i++)
		free(blk[i]);
	return 0;
}
