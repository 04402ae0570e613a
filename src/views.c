/* SPDX-License-Identifier: MIT */
/*
 * kmm_show(): the views by name, each in Linux's format where Linux has one.
 * Later layers add their views (slabinfo, vmallocinfo, ...) to the table.
 */
#include <stdlib.h>
#include "internal.h"
#include "kfence.h"

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
};

static const struct kmm_view views[] = {
	{ "buddyinfo", show_buddyinfo, true },
	{ "pagetypeinfo", show_pagetypeinfo, true },
	{ "zoneinfo", show_zoneinfo, true },
	{ "meminfo", show_meminfo, true },
	{ "vmstat", show_vmstat, true },
	{ "extfrag_index", show_extfrag_index, true },
	{ "unusable_index", show_unusable_index, true },
	{ "slabinfo", show_slabinfo, true },
	{ "vmallocinfo", show_vmallocinfo, true },
	{ "percpu_stats", show_percpu_stats, true },
	{ "kfence", show_kfence_stats, true },
	{ "kfence_objects", show_kfence_objects, true },
	{ "dmesg", show_dmesg, false },
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
