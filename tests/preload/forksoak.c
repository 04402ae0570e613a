/* SPDX-License-Identifier: MIT */
/*
 * A fork soak for test_preload.  The parent keeps a heap of small, large
 * and huge blocks with a known pattern and a thread that allocates all the
 * time; it forks over and over.  Each child checks it sees the parent's
 * pattern, overwrites all of it, allocates and frees, forks a grandchild
 * and sometimes execs; the parent checks after each child that none of the
 * child's writes reached it.  Exit 0 when parent and children agree.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define BLOCKS 600
static unsigned char *blk[BLOCKS];
static size_t len[BLOCKS];
static volatile int stop;

static size_t size_of(int i)
{
	return i % 100 == 0 ? (3 << 20) + i : i % 10 == 0 ? 20000 + i : 16 + i % 300;
}

static int check(unsigned char v)
{
	for (int i = 0; i < BLOCKS; i++)
		for (size_t j = 0; j < len[i]; j += 97)
			if (blk[i][j] != (unsigned char)(v + i))
				return 0;
	return 1;
}

static void fill(unsigned char v)
{
	for (int i = 0; i < BLOCKS; i++)
		memset(blk[i], (unsigned char)(v + i), len[i]);
}

static void *churn(void *arg)
{
	void *keep[64] = { 0 };
	unsigned n = 0;

	(void)arg;
	while (!stop) {
		unsigned k = n++ % 64;
		free(keep[k]);
		keep[k] = malloc(1 + (n * 2654435761u) % 5000);
	}
	for (int k = 0; k < 64; k++)
		free(keep[k]);
	return NULL;
}

static int child(int round)
{
	if (!check(1))
		return 10;
	fill(7);
	for (int i = 0; i < 2000; i++)
		free(malloc(1 + (size_t)i * 37 % 70000));
	char *s = malloc(100);
	snprintf(s, 100, "child %d", round);
	if (round % 5 == 0) {
		pid_t g = fork();
		if (g == 0)
			_exit(check(7) ? 0 : 11);
		int st;
		waitpid(g, &st, 0);
		if (!WIFEXITED(st) || WEXITSTATUS(st))
			return 12;
	}
	if (round % 7 == 0) {
		execl("/bin/true", "true", (char *)NULL);
		return 13;
	}
	return check(7) ? 0 : 14;
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 40;
	pthread_t t;

	for (int i = 0; i < BLOCKS; i++) {
		len[i] = size_of(i);
		blk[i] = malloc(len[i]);
	}
	fill(1);
	pthread_create(&t, NULL, churn, NULL);
	for (int r = 0; r < rounds; r++) {
		pid_t pid = fork();
		if (pid < 0)
			return 2;
		if (pid == 0)
			_exit(child(r));
		/* The parent writes too while the child runs. */
		for (int i = 0; i < BLOCKS; i += 3)
			free(malloc(len[i]));
		int st;
		waitpid(pid, &st, 0);
		if (!WIFEXITED(st) || WEXITSTATUS(st)) {
			fprintf(stderr, "forksoak: child %d failed: status %#x\n", r, st);
			return 3;
		}
		if (!check(1)) {
			fprintf(stderr, "forksoak: the child's writes reached the parent (round %d)\n", r);
			return 4;
		}
	}
	stop = 1;
	pthread_join(t, NULL);
	for (int i = 0; i < BLOCKS; i++)
		free(blk[i]);
	printf("forksoak: %d forks ok\n", rounds);
	return 0;
}
