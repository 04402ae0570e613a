/* SPDX-License-Identifier: MIT */
/*
 * A thread soak for test_preload: worker threads allocate, hand objects to
 * each other (frees on another thread's CPU), and check their contents;
 * then many short-lived threads, each freeing from a pthread key
 * destructor after its exit handlers ran, which must leave nothing behind
 * (more than the machine's 4096 thread slots are started, one at a time).
 * The destructor also asks the size of a vmalloc block (a lock, so a CPU
 * taken) and then allocates and frees small objects, whose fast paths
 * cannot see the thread's end: the size query itself must give it back.
 * Prints "threads: ok" when every object came back as it was written.
 */
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WORKERS 6
#define ROUNDS 20000
#define SLOTS 256

static void *mailbox[WORKERS][SLOTS];
static pthread_mutex_t box_lock[WORKERS];
static unsigned long sums[WORKERS];

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13; *s ^= *s >> 7; *s ^= *s << 17;
	return *s;
}

static void *worker(void *arg)
{
	int me = (int)(intptr_t)arg;
	uint64_t seed = 88172645463325252ULL + (uint64_t)me;
	unsigned long sum = 0;

	for (int i = 0; i < ROUNDS; i++) {
		size_t n = 17 + rnd(&seed) % (rnd(&seed) % 16 == 0 ? 200000 : 600);
		unsigned char *p = malloc(n);
		if (!p)
			abort();
		p[0] = (unsigned char)n;
		p[n - 1] = (unsigned char)(n >> 3);
		memcpy(p + 8, &n, sizeof(n));
		int to = (int)(rnd(&seed) % WORKERS), slot = (int)(rnd(&seed) % SLOTS);
		pthread_mutex_lock(&box_lock[to]);
		unsigned char *old = mailbox[to][slot];
		mailbox[to][slot] = p;
		pthread_mutex_unlock(&box_lock[to]);
		if (old) {
			size_t m;
			memcpy(&m, old + 8, sizeof(m));
			if ((old[0] != (unsigned char)m || old[m - 1] != (unsigned char)(m >> 3)))
				abort();
			sum += m;
			free(old);
		}
	}
	sums[me] = sum;
	return NULL;
}

static pthread_key_t key;

static void *huge;	/* above KMALLOC_MAX_SIZE: vmalloc */
#define HUGE_SIZE (8UL << 20)

static void key_dtor(void *p)
{
	free(p);		/* after the thread's TLS exit handlers */
	if (malloc_usable_size(huge) < HUGE_SIZE)
		abort();
	free(malloc(24));
}

static void *short_lived(void *arg)
{
	char *p = malloc(64 + (size_t)(intptr_t)arg % 5000);
	pthread_setspecific(key, malloc(32));
	snprintf(p, 64, "%ld", (long)(intptr_t)arg);
	free(p);
	return NULL;
}

int main(void)
{
	pthread_t t[WORKERS];

	for (int i = 0; i < WORKERS; i++)
		pthread_mutex_init(&box_lock[i], NULL);
	for (int i = 0; i < WORKERS; i++)
		pthread_create(&t[i], NULL, worker, (void *)(intptr_t)i);
	for (int i = 0; i < WORKERS; i++)
		pthread_join(t[i], NULL);
	for (int i = 0; i < WORKERS; i++)
		for (int j = 0; j < SLOTS; j++)
			free(mailbox[i][j]);
	huge = malloc(HUGE_SIZE);
	pthread_key_create(&key, key_dtor);
	for (int i = 0; i < 6000; i++) {
		pthread_t s;
		if (pthread_create(&s, NULL, short_lived, (void *)(intptr_t)i))
			abort();
		pthread_join(s, NULL);
	}
	unsigned long total = 0;
	for (int i = 0; i < WORKERS; i++)
		total += sums[i];
	free(huge);
	printf("threads: %s\n", total ? "ok" : "nothing passed");
	return 0;
}
