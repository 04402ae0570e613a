/* SPDX-License-Identifier: MIT */
/*
 * Parent and child memory stay apart across fork, for test_preload, with
 * a heap large enough that the child's copy of RAM is deferred
 * (src/platform/ram_fork.c): each case forks a parent holding 48 MiB in
 * small, large and huge (vmalloc) blocks filled with one pattern.
 *
 *   child-writes    the child overwrites the heap without allocating and
 *                   exits: the parent still sees its own pattern;
 *   parent-writes   the child waits for the parent (who gets on only by
 *                   asking it to settle), the parent overwrites the heap,
 *                   then the child checks it still sees the old pattern;
 *   write-then-alloc the child overwrites the heap, then allocates (the
 *                   copy, with its writes laid over it), while the parent
 *                   overwrites its own: each sees only its own writes;
 *   signals         the parent has SIGURG blocked and a handler for it:
 *                   after the child settled on the parent's request, its
 *                   mask and handler are the program's again.
 *
 * With the argument "small", the same cases with a heap of 10 MiB, two
 * huge blocks among small ones, so that the child copies RAM at once, and
 * finds where RAM is mapped (the direct map, the huge blocks' vmalloc
 * runs) in the record ram.c keeps, not in /proc/self/maps.
 *
 * With the argument "huge" (and KMM_CMDLINE=hugeram= below the heap), the
 * direct map must have the huge-page advice once the heap is allocated,
 * or the program fails before the cases.
 *
 * Prints "forkcow: NAME ok" per case; exit 0 when all hold.
 */
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "smaps.h"

#define MAX_BLOCKS 400
static unsigned char *blk[MAX_BLOCKS];
static size_t len[MAX_BLOCKS];
static int BLOCKS = MAX_BLOCKS;
static bool small;

static size_t size_of(int i)
{
	if (small)
		return i % 40 == 0 ? (5 << 20) + i : 24 + i % 500;
	return i % 40 == 0 ? (4 << 20) + i : i % 4 == 0 ? 30000 + i : 24 + i % 500;
}

static void fill(unsigned char v)
{
	for (int i = 0; i < BLOCKS; i++)
		memset(blk[i], (unsigned char)(v + i), len[i]);
}

/* Every block holds @v + its index, sampled every 61 bytes and at both ends. */
static int holds(unsigned char v)
{
	for (int i = 0; i < BLOCKS; i++) {
		for (size_t j = 0; j < len[i]; j += 61)
			if (blk[i][j] != (unsigned char)(v + i))
				return 0;
		if (blk[i][len[i] - 1] != (unsigned char)(v + i))
			return 0;
	}
	return 1;
}

static int wait_child(pid_t pid)
{
	int st;

	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int child_writes(void)
{
	fill(1);
	pid_t pid = fork();
	if (pid == 0) {
		fill(2);
		_exit(holds(2) ? 0 : 1);
	}
	int st = wait_child(pid);
	return st ? 10 + st : holds(1) ? 0 : 2;
}

static int parent_writes(void)
{
	int go[2];

	fill(3);
	if (pipe(go))
		return 3;
	pid_t pid = fork();
	if (pid == 0) {
		char c;
		close(go[1]);
		/* No allocation: the parent gets on by the signal alone. */
		if (read(go[0], &c, 1) != 1)
			_exit(4);
		_exit(holds(3) ? 0 : 5);
	}
	close(go[0]);
	fill(4);
	(void)!write(go[1], "x", 1);
	close(go[1]);
	int st = wait_child(pid);
	return st ? 10 + st : holds(4) ? 0 : 6;
}

static int write_then_alloc(void)
{
	fill(5);
	pid_t pid = fork();
	if (pid == 0) {
		fill(6);
		void *p = malloc(100);		/* settles: the copy, with fill(6) over it */
		if (!p || !holds(6))
			_exit(7);
		free(p);
		fill(8);			/* its own RAM now: still not the parent's */
		_exit(holds(8) ? 0 : 8);
	}
	fill(7);
	int st = wait_child(pid);
	return st ? 10 + st : holds(7) ? 0 : 9;
}

static volatile sig_atomic_t urgs;

static void on_urg(int sig)
{
	(void)sig;
	urgs++;
}

static int signals(void)
{
	sigset_t set, now;
	int go[2];

	signal(SIGURG, on_urg);
	sigemptyset(&set);
	sigaddset(&set, SIGURG);
	sigprocmask(SIG_BLOCK, &set, NULL);
	fill(9);
	if (pipe(go))
		return 3;
	pid_t pid = fork();
	if (pid == 0) {
		char c;
		close(go[1]);
		if (read(go[0], &c, 1) != 1)
			_exit(4);
		sigprocmask(SIG_BLOCK, NULL, &now);
		if (!sigismember(&now, SIGURG) || urgs)
			_exit(5);		/* the mask is the program's again */
		raise(SIGURG);
		sigprocmask(SIG_UNBLOCK, &set, NULL);
		_exit(urgs == 1 && holds(9) ? 0 : 6);	/* and so is the handler */
	}
	close(go[0]);
	fill(10);
	(void)!write(go[1], "x", 1);
	close(go[1]);
	int st = wait_child(pid);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	return st ? 10 + st : 0;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*run)(void);
	} cases[] = {
		{ "child-writes", child_writes },
		{ "parent-writes", parent_writes },
		{ "write-then-alloc", write_then_alloc },
		{ "signals", signals },
	};
	int bad = 0;

	small = argc > 1 && !strcmp(argv[1], "small");
	if (small)
		BLOCKS = 60;
	for (int i = 0; i < BLOCKS; i++) {
		len[i] = size_of(i);
		blk[i] = malloc(len[i]);
	}
	if (argc > 1 && !strcmp(argv[1], "huge")) {
		struct smaps_entry m;

		if (smaps_of(blk[BLOCKS - 1], &m) || !m.hg) {
			fprintf(stderr, "forkcow: the heap is not in huge pages\n");
			return 1;
		}
	}
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		int err = cases[c].run();
		if (err) {
			fprintf(stderr, "forkcow: %s: failed (%d)\n", cases[c].name, err);
			bad = 1;
		} else {
			printf("forkcow: %s ok\n", cases[c].name);
		}
	}
	for (int i = 0; i < BLOCKS; i++)
		free(blk[i]);
	return bad;
}
