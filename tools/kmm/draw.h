/* SPDX-License-Identifier: MIT */
/* The pictures (draw.c, frag.c) and the report that embeds them (report.c). */
#ifndef KMM_TOOL_DRAW_H
#define KMM_TOOL_DRAW_H

#include <stddef.h>
#include "kmm.h"

#define MAX_PICTURES 4

struct picture {
	char file[32];			/* memmap.png, ... */
	char title[96];
	unsigned char *png;		/* the encoded file, malloc'ed */
	size_t len;
};

/* --- frag.c: free pages per order over time --- */
struct frag_series;
struct frag_series *frag_series_new(void);
/* Take a sample now, at @t (seconds, or events: any increasing measure). */
void frag_sample(struct frag_series *fs, double t);
void frag_series_free(struct frag_series *fs);

/* --- draw.c --- */
/* Render the pictures of the machine as it is now.  Return: how many, or -1. */
int draw_pictures(struct session *s, struct picture *pics, int max);

/* --- report.c --- */
int write_report(struct session *s, const char *path, const struct picture *pics, int n);

#endif /* KMM_TOOL_DRAW_H */
