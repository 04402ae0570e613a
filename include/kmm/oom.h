/* SPDX-License-Identifier: MIT */
/*
 * The out-of-memory path.  kmm has no processes to kill: when reclaim
 * cannot help, the OOM notifiers are called (each may free memory and add
 * what it freed to *(unsigned long *)data); if none freed anything the OOM
 * report is printed and the allocation fails.
 */
#ifndef KMM_OOM_H
#define KMM_OOM_H

#pragma GCC visibility push(default)

#include <kmm/types.h>

struct notifier_block {
	int (*notifier_call)(struct notifier_block *nb, unsigned long action, void *data);
	struct notifier_block *next;
	int priority;
};

#define NOTIFY_DONE	0x0000
#define NOTIFY_OK	0x0001

int register_oom_notifier(struct notifier_block *nb);
int unregister_oom_notifier(struct notifier_block *nb);

#pragma GCC visibility pop

#endif /* KMM_OOM_H */
