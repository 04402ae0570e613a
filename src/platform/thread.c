/* SPDX-License-Identifier: MIT */
/* Host threads, CPUs, futexes and time. */

#include <errno.h>
#include <linux/futex.h>
#include <linux/membarrier.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "platform.h"

int plat_host_cpu(void)
{
	int cpu = sched_getcpu();

	return cpu < 0 ? 0 : cpu;
}

int plat_host_nr_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : (int)n;
}

int plat_gettid(void)
{
	return (int)syscall(SYS_gettid);
}

void plat_thread_name(char *buf, size_t size)
{
	if (pthread_getname_np(pthread_self(), buf, size) != 0 && size)
		buf[0] = '\0';
}

struct plat_thread {
	pthread_t tid;
};

static struct plat_thread thread_slots[64];
static unsigned long thread_slot_used;

int plat_thread_start(struct plat_thread **t, void *(*fn)(void *), void *arg,
		      const char *name)
{
	int slot = -1;

	for (int i = 0; i < 64; i++) {
		if (!(__atomic_fetch_or(&thread_slot_used, 1UL << i, __ATOMIC_ACQ_REL) & (1UL << i))) {
			slot = i;
			break;
		}
	}
	if (slot < 0)
		return -EAGAIN;
	int err = pthread_create(&thread_slots[slot].tid, NULL, fn, arg);
	if (err) {
		__atomic_fetch_and(&thread_slot_used, ~(1UL << slot), __ATOMIC_RELEASE);
		return -err;
	}
	if (name) {
		char n[16];
		strncpy(n, name, sizeof(n) - 1);
		n[15] = '\0';
		pthread_setname_np(thread_slots[slot].tid, n);
	}
	*t = &thread_slots[slot];
	return 0;
}

void plat_thread_join(struct plat_thread *t)
{
	pthread_join(t->tid, NULL);
	__atomic_fetch_and(&thread_slot_used, ~(1UL << (t - thread_slots)), __ATOMIC_RELEASE);
}

void plat_futex_wait(unsigned int *addr, unsigned int val, unsigned int timeout_us)
{
	struct timespec ts, *tsp = NULL;

	if (timeout_us) {
		ts.tv_sec = timeout_us / 1000000;
		ts.tv_nsec = (long)(timeout_us % 1000000) * 1000;
		tsp = &ts;
	}
	syscall(SYS_futex, addr, FUTEX_WAIT_PRIVATE, val, tsp, NULL, 0);
}

void plat_futex_wake(unsigned int *addr, int nr)
{
	syscall(SYS_futex, addr, FUTEX_WAKE_PRIVATE, nr, NULL, NULL, 0);
}

void plat_cpu_relax(void)
{
	__builtin_ia32_pause();
}

void plat_yield(void)
{
	sched_yield();
}

void plat_sleep_us(unsigned int us)
{
	struct timespec ts = { us / 1000000, (long)(us % 1000000) * 1000 };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

u64 plat_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000000000ull + (u64)ts.tv_nsec;
}

bool plat_membarrier_register(void)
{
	return syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0;
}

void plat_membarrier(void)
{
	syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0);
}
