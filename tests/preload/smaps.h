/* SPDX-License-Identifier: MIT */
/*
 * For the tests and the preload's test programs: what /proc/self/smaps
 * says of the host mapping that holds an address.
 */
#ifndef KMM_TEST_SMAPS_H
#define KMM_TEST_SMAPS_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

struct smaps_entry {
	unsigned long rss_kb;	/* Rss */
	unsigned long huge_kb;	/* AnonHugePages */
	bool hg;		/* the huge-page advice ("hg" in VmFlags) */
};

/* The mapping of @addr into *@m (zeros if none holds it). Return: 0, or -1: no smaps. */
static inline int smaps_of(const void *addr, struct smaps_entry *m)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[512];
	bool in = false;
	unsigned long a = (unsigned long)addr;

	memset(m, 0, sizeof(*m));
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		unsigned long s, e, kb;

		if (sscanf(line, "%lx-%lx ", &s, &e) == 2)	/* a mapping's first line */
			in = s <= a && a < e;
		else if (!in)
			continue;
		else if (sscanf(line, "Rss: %lu kB", &kb) == 1)
			m->rss_kb = kb;
		else if (sscanf(line, "AnonHugePages: %lu kB", &kb) == 1)
			m->huge_kb = kb;
		else if (!strncmp(line, "VmFlags:", 8))
			m->hg = strstr(line, " hg") != NULL;
	}
	fclose(f);
	return 0;
}

/* The host's transparent huge pages: "always", "madvise", "never", or "" (none). */
static inline const char *host_thp_mode(void)
{
	static const char *const modes[] = { "[always]", "[madvise]", "[never]" };
	char buf[128] = "";
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");

	if (!f)
		return "";
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = 0;
	fclose(f);
	for (unsigned int i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (strstr(buf, modes[i]))
			return i == 0 ? "always" : i == 1 ? "madvise" : "never";
	return "";
}

#endif /* KMM_TEST_SMAPS_H */
