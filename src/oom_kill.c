/* SPDX-License-Identifier: MIT */
/*
 * The out-of-memory path.  kmm runs no processes, so there is nothing to
 * kill: the OOM notifiers (register_oom_notifier()) get their chance to
 * free memory, and if none frees anything the OOM report is printed as
 * Linux prints it and the allocation fails.
 */
#include "internal.h"
#include <kmm/oom.h>

static struct notifier_block *oom_notify_list;
struct plat_mutex oom_lock;	/* also held across fork (fork.c) */

int register_oom_notifier(struct notifier_block *nb)
{
	plat_mutex_lock(&oom_lock);
	struct notifier_block **p = &oom_notify_list;
	while (*p && (*p)->priority >= nb->priority)
		p = &(*p)->next;
	nb->next = *p;
	*p = nb;
	plat_mutex_unlock(&oom_lock);
	return 0;
}

int unregister_oom_notifier(struct notifier_block *nb)
{
	plat_mutex_lock(&oom_lock);
	for (struct notifier_block **p = &oom_notify_list; *p; p = &(*p)->next) {
		if (*p == nb) {
			*p = nb->next;
			plat_mutex_unlock(&oom_lock);
			return 0;
		}
	}
	plat_mutex_unlock(&oom_lock);
	return -ENOENT;
}

void oom_exit(void)
{
	oom_notify_list = NULL;
}

bool out_of_memory(gfp_t gfp_mask, int order)
{
	unsigned long freed = 0;
	char flags[256];

	plat_mutex_lock(&oom_lock);
	for (struct notifier_block *nb = oom_notify_list; nb; nb = nb->next)
		nb->notifier_call(nb, 0, &freed);
	if (freed > 0) {
		plat_mutex_unlock(&oom_lock);
		return true;
	}
	kmm_report_count_inc(KMM_REPORT_OOM);
	kmm_format_gfp(flags, sizeof(flags), gfp_mask);
	pr_warn("%s invoked oom-killer: gfp_mask=%#x(%s), order=%d, oom_score_adj=0\n",
		kmm_comm(), gfp_mask, flags, order);
	dump_stack();
	__show_mem(gfp_zone(gfp_mask));
	pr_err("Out of memory and no killable processes...\n");
	plat_mutex_unlock(&oom_lock);
	return false;
}
