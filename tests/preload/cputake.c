/* SPDX-License-Identifier: MIT */
/*
 * For test_preload, run with KMM_CMDLINE=cpus=2: a thread that finds
 * every simulated CPU held takes over the one whose holder sleeps, not
 * the one of a thread that runs between its allocations.
 *
 * The main thread holds a CPU (it allocated), starts a "runner" that
 * allocates a small block (taking the other CPU) and then writes it in a
 * loop, and a "late" thread that allocates its own block once the runner
 * runs and the main thread sleeps in pthread_join().  Taking the runner's
 * CPU would give the late thread a block of the runner's CPU slab, the
 * neighbour of the runner's own, in its cache line.  Prints "same page:
 * yes" if the two blocks share a page, else "same page: no".  One round
 * per process: a CPU taken over hands itself back for a while after
 * (cpu.c), and a second round would start from that.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *volatile runner_block, *volatile late_block;
static volatile int running, stop;

static void *runner(void *arg)
{
	volatile char *p = malloc(16);

	(void)arg;
	runner_block = (char *)p;
	running = 1;
	for (unsigned long i = 0; !stop; i++)
		p[i % 16] = (char)i;
	free((void *)p);
	return NULL;
}

/*
 * Is the main thread asleep (in pthread_join())?  Read with open() and
 * read(): stdio would allocate, and the allocation would take the CPU
 * before the one measured.
 */
static int main_asleep(void)
{
	char path[64], buf[512];
	int fd, n;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", (int)getpid());
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return 0;
	n = (int)read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	const char *state = strrchr(buf, ')');
	return state && state[1] == ' ' && state[2] == 'S';
}

static void *late(void *arg)
{
	(void)arg;
	while (!running)
		;
	/* A loaded machine may run the main thread late: up to 5 s. */
	for (int i = 0; i < 5000 && !main_asleep(); i++)
		usleep(1000);
	late_block = malloc(16);
	stop = 1;
	return NULL;
}

int main(void)
{
	pthread_t a, b;

	free(malloc(16));	/* the main thread holds a CPU */
	if (pthread_create(&a, NULL, runner, NULL) || pthread_create(&b, NULL, late, NULL))
		return 2;
	pthread_join(b, NULL);
	pthread_join(a, NULL);
	printf("same page: %s\n",
	       ((unsigned long)runner_block ^ (unsigned long)late_block) < 4096 ? "yes" : "no");
	free(late_block);
	return 0;
}
