/* SPDX-License-Identifier: MIT */
/*
 * Preemption and CPUs.  A host thread runs on one simulated CPU at a time:
 * while its preempt count is non-zero it owns that CPU, and no other thread
 * can touch the CPU's per-CPU state.  The CPU is the one of the host CPU the
 * thread is running on, unless kmm_bind_cpu() fixed it.
 */
#ifndef KMM_PREEMPT_H
#define KMM_PREEMPT_H

#pragma GCC visibility push(default)

#include <kmm/types.h>
#include <kmm/mmzone.h>

extern unsigned int nr_cpu_ids;

void preempt_disable(void);
void preempt_enable(void);
int preempt_count(void);
bool in_atomic(void);
#define preemptible() (!in_atomic())

int smp_processor_id(void);
#define raw_smp_processor_id() smp_processor_id()
int get_cpu(void);
void put_cpu(void);

/**
 * kmm_bind_cpu - run the calling thread on simulated CPU @cpu from now on
 * @cpu: 0..nr_cpu_ids-1, or -1 to follow the host CPU again
 * Return: 0, or -EINVAL.
 */
int kmm_bind_cpu(int cpu);

#define for_each_possible_cpu(cpu) for ((cpu) = 0; (cpu) < (int)nr_cpu_ids; (cpu)++)
#define for_each_online_cpu(cpu) for_each_possible_cpu(cpu)
#define num_online_cpus() nr_cpu_ids
#define num_possible_cpus() nr_cpu_ids

/**
 * might_sleep - note that the caller may sleep here
 *
 * In atomic context (preemption disabled, a spinlock held) it prints Linux's
 * "BUG: sleeping function called from invalid context" report, counts it
 * and goes on.
 */
#define might_sleep() __might_sleep(__FILE__, __LINE__)
void __might_sleep(const char *file, int line);

/* Sleep for @ms milliseconds (might_sleep applies). */
void msleep(unsigned int ms);
void cond_resched(void);

#pragma GCC visibility pop

#endif /* KMM_PREEMPT_H */
