/* SPDX-License-Identifier: MIT */
/*
 * Fragmentation over time: samples of /proc/buddyinfo (free blocks per
 * order, per zone) taken while a run or a replay goes on, from which the
 * picture draws free pages per order and Linux's unusable free space index.
 */
#include <stdlib.h>
#include <string.h>
#include "draw.h"
#include "frag.h"

struct frag_series *frag_series_new(void)
{
	return calloc(1, sizeof(struct frag_series));
}

void frag_series_free(struct frag_series *fs)
{
	if (fs)
		free(fs->samples);
	free(fs);
}

void frag_sample(struct frag_series *fs, double t)
{
	if (!fs)
		return;
	char *text = view_text("buddyinfo");
	if (!text)
		return;
	if (fs->nr == fs->cap) {
		size_t cap = fs->cap ? fs->cap * 2 : 256;
		struct frag_point *p = realloc(fs->samples, cap * sizeof(*p));
		if (!p) {
			free(text);
			return;
		}
		fs->samples = p;
		fs->cap = cap;
	}
	struct frag_point *pt = &fs->samples[fs->nr];
	memset(pt, 0, sizeof(*pt));
	pt->t = t;
	int z = 0;
	for (char *save, *l = strtok_r(text, "\n", &save); l && z < FRAG_ZONES;
	     l = strtok_r(NULL, "\n", &save)) {
		char *zone = strstr(l, "zone");
		if (!zone)
			continue;
		char *p = zone + 4, name[16];
		int used;
		if (sscanf(p, "%15s%n", name, &used) != 1)
			continue;
		p += used;
		if (!fs->nr)
			snprintf(fs->zone[z], sizeof(fs->zone[z]), "%s", name);
		for (int o = 0; o < FRAG_ORDERS; o++)
			pt->free[z][o] = strtoul(p, &p, 10);
		z++;
	}
	if (!fs->nr)
		fs->nr_zones = z;
	fs->nr++;
	free(text);
}

double frag_unusable(const struct frag_point *pt, int nr_zones, int order)
{
	double total = 0, suitable = 0;
	for (int z = 0; z < nr_zones; z++)
		for (int o = 0; o < FRAG_ORDERS; o++) {
			double pages = (double)pt->free[z][o] * (double)(1UL << o);
			total += pages;
			if (o >= order)
				suitable += pages;
		}
	return total ? (total - suitable) / total : 0;
}
