/* SPDX-License-Identifier: MIT */
/*
 * JSON for programs: the views are read back from their Linux text (the
 * same text a script reading /proc would see) and given structure, so the
 * JSON can never say something the view does not.  Formats not known here
 * come out as their lines.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include "kmm.h"

void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c == '\t')
			fputs("\\t", f);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

/* A number as the view printed it, or a string if it is not one. */
static void json_num(FILE *f, const char *tok)
{
	char *end;
	strtod(tok, &end);
	if (*tok && !*end && strcmp(tok, "-") && !isalpha((unsigned char)tok[0]))
		fputs(tok, f);
	else
		json_str(f, tok);
}

/* Split a line into words in place; Return: how many (at most @max). */
static int words(char *line, char **w, int max)
{
	int n = 0;
	for (char *save, *t = strtok_r(line, " \t", &save); t && n < max;
	     t = strtok_r(NULL, " \t", &save))
		w[n++] = t;
	return n;
}

typedef void (*line_fn)(FILE *f, char *line, int *count);

static void each_line(FILE *f, const char *text, line_fn fn, int *count)
{
	char *copy = strdup(text);
	for (char *save, *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
		fn(f, l, count);
	free(copy);
}

static void sep(FILE *f, int *count)
{
	if ((*count)++)
		fputs(", ", f);
}

/* "Key:   123 kB" */
static void meminfo_line(FILE *f, char *l, int *count)
{
	char *colon = strchr(l, ':'), *w[4];
	if (!colon)
		return;
	*colon = '\0';
	if (words(colon + 1, w, 4) < 1)
		return;
	sep(f, count);
	json_str(f, l);
	fputs(": ", f);
	json_num(f, w[0]);
}

/* "name value" */
static void kv_line(FILE *f, char *l, int *count)
{
	char *w[3];
	if (words(l, w, 3) != 2)
		return;
	sep(f, count);
	json_str(f, w[0]);
	fputs(": ", f);
	json_num(f, w[1]);
}

/* "Node 0, zone   Normal  a b c ..." (buddyinfo, the fragmentation indices) */
static void zone_row_line(FILE *f, char *l, int *count)
{
	char *w[40];
	int n = words(l, w, 40);
	if (n < 4 || strcmp(w[0], "Node") || strcmp(w[2], "zone"))
		return;
	sep(f, count);
	fprintf(f, "{\"node\": %d, \"zone\": ", atoi(w[1]));
	json_str(f, w[3]);
	fputs(", \"orders\": [", f);
	for (int i = 4; i < n; i++) {
		fputs(i > 4 ? ", " : "", f);
		json_num(f, w[i]);
	}
	fputs("]}", f);
}

/* slabinfo 2.1 */
static void slab_line(FILE *f, char *l, int *count)
{
	char *w[20];
	if (l[0] == '#' || !strncmp(l, "slabinfo", 8))
		return;
	int n = words(l, w, 20);
	if (n < 16)
		return;
	sep(f, count);
	fputs("{\"name\": ", f);
	json_str(f, w[0]);
	fprintf(f, ", \"active_objs\": %s, \"num_objs\": %s, \"objsize\": %s, \"objperslab\": %s, "
		   "\"pagesperslab\": %s, \"active_slabs\": %s, \"num_slabs\": %s}",
		w[1], w[2], w[3], w[4], w[5], w[13], w[14]);
}

/* "0xstart-0xend size caller pages=N vmalloc ..." */
static void vmalloc_line(FILE *f, char *l, int *count)
{
	char *w[16];
	int n = words(l, w, 16);
	char *dash = n ? strchr(w[0], '-') : NULL;
	if (n < 2 || !dash)
		return;
	*dash = '\0';
	sep(f, count);
	fputs("{\"start\": ", f);
	json_str(f, w[0]);
	fputs(", \"end\": ", f);
	json_str(f, dash + 1);
	fprintf(f, ", \"size\": %s", w[1]);
	fputs(", \"flags\": [", f);
	int flags = 0;
	for (int i = 2; i < n; i++) {
		char *eq = strchr(w[i], '=');
		if (eq)
			continue;
		if (i == 2 && strchr(w[i], '+'))
			continue;	/* the caller, below */
		fputs(flags++ ? ", " : "", f);
		json_str(f, w[i]);
	}
	fputs("]", f);
	for (int i = 2; i < n; i++) {
		char *eq = strchr(w[i], '=');
		if (i == 2 && !eq && strchr(w[i], '+')) {
			fputs(", \"caller\": ", f);
			json_str(f, w[i]);
		} else if (eq) {
			*eq = '\0';
			fputs(", ", f);
			json_str(f, w[i]);
			fputs(": ", f);
			json_num(f, eq + 1);
		}
	}
	fputs("}", f);
}

static void text_line(FILE *f, char *l, int *count)
{
	sep(f, count);
	json_str(f, l);
}

/* zoneinfo: one object per zone, "key value" lines as fields. */
static void json_zoneinfo(FILE *f, const char *text)
{
	char *copy = strdup(text);
	int zones = 0, fields = 0;
	bool in_pagesets = false;

	fputs("[", f);
	for (char *save, *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char *w[40];
		char *prot = strstr(l, "protection: (");
		if (!strncmp(l, "Node ", 5)) {
			int n = words(l, w, 40);
			if (n < 4)
				continue;
			fprintf(f, "%s{\"node\": %d, \"zone\": ", zones++ ? "}, " : "", atoi(w[1]));
			json_str(f, w[3]);
			fields = 1;
			in_pagesets = false;
			continue;
		}
		if (!zones)
			continue;
		if (prot) {
			fputs(", \"protection\": [", f);
			char *p = prot + 13;
			for (int i = 0; *p && *p != ')'; i++) {
				fprintf(f, "%s%ld", i ? ", " : "", strtol(p, &p, 10));
				while (*p == ',' || *p == ' ')
					p++;
			}
			fputs("]", f);
			continue;
		}
		int n = words(l, w, 40);
		if (n == 1 && !strcmp(w[0], "pagesets"))
			in_pagesets = true;
		if (in_pagesets || n < 2 || n > 3)
			continue;
		char key[128];
		if (n == 3)
			snprintf(key, sizeof(key), "%s_%s", w[0], w[1]);
		else
			snprintf(key, sizeof(key), "%s", w[0]);
		size_t kl = strlen(key);
		if (kl && key[kl - 1] == ':')
			key[kl - 1] = '\0';
		fputs(fields ? ", " : "", f);
		json_str(f, key);
		fputs(": ", f);
		json_num(f, w[n - 1]);
	}
	fputs(zones ? "}]" : "]", f);
	free(copy);
}

void json_view(FILE *f, const char *view, const char *text)
{
	int count = 0;

	if (!strcmp(view, "meminfo")) {
		fputs("{", f);
		each_line(f, text, meminfo_line, &count);
		fputs("}", f);
	} else if (!strcmp(view, "vmstat")) {
		fputs("{", f);
		each_line(f, text, kv_line, &count);
		fputs("}", f);
	} else if (!strcmp(view, "buddyinfo") || !strcmp(view, "unusable_index") ||
		   !strcmp(view, "extfrag_index")) {
		fputs("[", f);
		each_line(f, text, zone_row_line, &count);
		fputs("]", f);
	} else if (!strcmp(view, "slabinfo")) {
		fputs("[", f);
		each_line(f, text, slab_line, &count);
		fputs("]", f);
	} else if (!strcmp(view, "vmallocinfo")) {
		fputs("[", f);
		each_line(f, text, vmalloc_line, &count);
		fputs("]", f);
	} else if (!strcmp(view, "zoneinfo")) {
		json_zoneinfo(f, text);
	} else {
		fputs("{\"lines\": [", f);
		each_line(f, text, text_line, &count);
		fputs("]}", f);
	}
}

void json_frag_indices(FILE *f)
{
	static const char *const names[] = { "unusable_index", "extfrag_index" };

	fputs("{", f);
	for (int i = 0; i < 2; i++) {
		char *t = view_text(names[i]);
		fprintf(f, "%s", i ? ", " : "");
		json_str(f, names[i]);
		fputs(": ", f);
		if (t)
			json_view(f, names[i], t);
		else
			fputs("null", f);
		free(t);
	}
	fputs("}", f);
}
