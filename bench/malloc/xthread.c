/* SPDX-License-Identifier: MIT */
/*
 * Producers and consumers: objects allocated on one thread and freed on
 * another, all of them (the remote-free path of every allocator).  Batches
 * of pointers pass through a small locked queue, so the cost measured is
 * the allocator's, not the queue's.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include "workload.h"

#define PAIRS	2
#define BATCH	256
#define QLEN	16

struct batch {
	void *p[BATCH];
};

static struct {
	pthread_mutex_t lock;
	pthread_cond_t more, room;
	struct batch *q[QLEN];
	unsigned head, tail;
	int producers_left;
} xq = { .lock = PTHREAD_MUTEX_INITIALIZER, .more = PTHREAD_COND_INITIALIZER,
	 .room = PTHREAD_COND_INITIALIZER };

struct xarg {
	long batches;
	uint64_t seed;
	int bad;
};

static void push(struct batch *b)
{
	pthread_mutex_lock(&xq.lock);
	while (xq.tail - xq.head == QLEN)
		pthread_cond_wait(&xq.room, &xq.lock);
	xq.q[xq.tail++ % QLEN] = b;
	pthread_cond_signal(&xq.more);
	pthread_mutex_unlock(&xq.lock);
}

static struct batch *pop(void)
{
	struct batch *b = NULL;

	pthread_mutex_lock(&xq.lock);
	while (xq.tail == xq.head && xq.producers_left)
		pthread_cond_wait(&xq.more, &xq.lock);
	if (xq.tail != xq.head) {
		b = xq.q[xq.head++ % QLEN];
		pthread_cond_signal(&xq.room);
	}
	pthread_mutex_unlock(&xq.lock);
	return b;
}

static void *producer(void *arg)
{
	struct xarg *a = arg;

	for (long n = 0; n < a->batches; n++) {
		struct batch *b = malloc(sizeof(*b));
		for (int i = 0; i < BATCH; i++) {
			size_t sz = rnd_size_log(&a->seed, 16, 2048);
			unsigned char *p = malloc(sz);
			p[0] = 0xc3;
			p[sz - 1] = 0xa5;
			b->p[i] = p;
		}
		push(b);
	}
	pthread_mutex_lock(&xq.lock);
	xq.producers_left--;
	pthread_cond_broadcast(&xq.more);
	pthread_mutex_unlock(&xq.lock);
	return NULL;
}

static void *consumer(void *arg)
{
	struct xarg *a = arg;
	struct batch *b;

	while ((b = pop())) {
		for (int i = 0; i < BATCH; i++) {
			unsigned char *p = b->p[i];
			if (p[0] != 0xc3)
				a->bad = 1;
			p[0] = 0;
			free(p);
		}
		free(b);
	}
	return NULL;
}

static void *either(void *arg)
{
	struct xarg *a = arg;

	return a->batches ? producer(a) : consumer(a);
}

int wl_xthread(void)
{
	struct xarg a[2 * PAIRS] = { 0 };

	xq.producers_left = PAIRS;
	for (int i = 0; i < PAIRS; i++) {
		a[2 * i].batches = SCALED(3000000) / (PAIRS * BATCH);
		a[2 * i].seed = 0x2545f4914f6cdd1dULL * (i + 1);
	}
	run_threads(2 * PAIRS, either, a, sizeof(a[0]));
	for (int i = 0; i < 2 * PAIRS; i++)
		if (a[i].bad) {
			fprintf(stderr, "xthread: an object changed on its way between threads\n");
			return 1;
		}
	return 0;
}
