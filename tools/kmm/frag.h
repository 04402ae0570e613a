/* SPDX-License-Identifier: MIT */
/* The samples behind the fragmentation picture (frag.c). */
#ifndef KMM_TOOL_FRAG_H
#define KMM_TOOL_FRAG_H

#include <stddef.h>

#define FRAG_ZONES 8
#define FRAG_ORDERS 11

struct frag_point {
	double t;
	unsigned long free[FRAG_ZONES][FRAG_ORDERS];	/* free blocks per zone, order */
};

struct frag_series {
	struct frag_point *samples;
	size_t nr, cap;
	int nr_zones;
	char zone[FRAG_ZONES][16];
};

/* Linux's unusable free space index for @order over all zones (0..1). */
double frag_unusable(const struct frag_point *pt, int nr_zones, int order);

#endif /* KMM_TOOL_FRAG_H */
