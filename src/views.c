/* SPDX-License-Identifier: MIT */
/*
 * kmm_show(): the views by name, each in Linux's format where Linux has one.
 * Later layers add their views (slabinfo, vmallocinfo, ...) to the table.
 */
#include <stdlib.h>
#include "internal.h"
#include "kfence.h"
#include "kmemleak.h"

static void show_dmesg(FILE *f)
{
	size_t n = kmm_dmesg(NULL, 0);
	char *buf = malloc(n + 1);

	if (!buf)
		return;
	kmm_dmesg(buf, n + 1);
	fputs(buf, f);
	free(buf);
}

struct kmm_view {
	const char *name;
	void (*show)(FILE *f);
	bool needs_machine;
	int (*write)(const char *buf);	/* a debugfs file that takes commands, or NULL */
};

static const struct kmm_view views[] = {
	{ "buddyinfo", show_buddyinfo, true, NULL },
	{ "pagetypeinfo", show_pagetypeinfo, true, NULL },
	{ "zoneinfo", show_zoneinfo, true, NULL },
	{ "meminfo", show_meminfo, true, NULL },
	{ "vmstat", show_vmstat, true, NULL },
	{ "extfrag_index", show_extfrag_index, true, NULL },
	{ "unusable_index", show_unusable_index, true, NULL },
	{ "slabinfo", show_slabinfo, true, NULL },
	{ "slab_cpu_partial", show_slab_cpu_partial, true, NULL },
	{ "vmallocinfo", show_vmallocinfo, true, NULL },
	{ "percpu_stats", show_percpu_stats, true, NULL },
	{ "kfence", show_kfence_stats, true, NULL },
	{ "kfence_objects", show_kfence_objects, true, NULL },
	{ "kmemleak", show_kmemleak, true, kmemleak_write },
	{ "dmesg", show_dmesg, false, NULL },
};

static const char *view_names[ARRAY_SIZE(views) + 1];

const char *const *kmm_view_names(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(views); i++)
		view_names[i] = views[i].name;
	return view_names;
}

int kmm_show(const char *view, FILE *out)
{
	for (size_t i = 0; i < ARRAY_SIZE(views); i++) {
		if (strcmp(view, views[i].name))
			continue;
		if (views[i].needs_machine && !kmm_machine_up)
			return -ENODEV;
		if (views[i].needs_machine)
			kmm_vmstat_fold_all();
		views[i].show(out);
		return 0;
	}
	return -ENOENT;
}

int kmm_view_write(const char *view, const char *buf)
{
	for (size_t i = 0; i < ARRAY_SIZE(views); i++) {
		if (strcmp(view, views[i].name))
			continue;
		if (!views[i].write)
			return -EACCES;
		if (views[i].needs_machine && !kmm_machine_up)
			return -ENODEV;
		return views[i].write(buf);
	}
	return -ENOENT;
}
