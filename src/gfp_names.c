/* SPDX-License-Identifier: MIT */
/*
 * gfp flags as text, the way Linux 6.15+ prints them (%pGg, and ftrace's
 * gfp_flags=): the composite names first, each taken when all its bits are
 * set and then removed, then the single flags in bit order, joined by '|';
 * bits no name covers are printed in hex.  __GFP_COLD (kmm's) has a name.  Parsing accepts the same names,
 * so a real trace's flags read back to the same bits.
 */
#include <stdio.h>
#include <stdlib.h>
#include "internal.h"

struct gfp_name {
	gfp_t mask;
	const char *name;
};

#define G(x) { x, #x }
static const struct gfp_name gfp_names[] = {
	G(GFP_TRANSHUGE),
	G(GFP_TRANSHUGE_LIGHT),
	G(GFP_HIGHUSER_MOVABLE),
	G(GFP_HIGHUSER),
	G(GFP_USER),
	G(GFP_KERNEL_ACCOUNT),
	G(GFP_KERNEL),
	G(GFP_NOFS),
	G(GFP_ATOMIC),
	G(GFP_NOIO),
	G(GFP_NOWAIT),
	G(GFP_DMA),
	G(GFP_DMA32),
	G(__GFP_RECLAIM),
	/* Then every bit in bit order. */
	G(__GFP_DMA),
	G(__GFP_HIGHMEM),
	G(__GFP_DMA32),
	G(__GFP_MOVABLE),
	G(__GFP_RECLAIMABLE),
	G(__GFP_HIGH),
	G(__GFP_IO),
	G(__GFP_FS),
	G(__GFP_ZERO),
	G(__GFP_COLD),
	G(__GFP_DIRECT_RECLAIM),
	G(__GFP_KSWAPD_RECLAIM),
	G(__GFP_WRITE),
	G(__GFP_NOWARN),
	G(__GFP_RETRY_MAYFAIL),
	G(__GFP_NOFAIL),
	G(__GFP_NORETRY),
	G(__GFP_MEMALLOC),
	G(__GFP_COMP),
	G(__GFP_NOMEMALLOC),
	G(__GFP_HARDWALL),
	G(__GFP_THISNODE),
	G(__GFP_ACCOUNT),
	G(__GFP_ZEROTAGS),
};
#undef G

/* Names a trace or a user may write that the printer never emits. */
static const struct gfp_name gfp_aliases[] = {
	{ __GFP_WAIT, "__GFP_WAIT" },
	{ __GFP_REPEAT, "__GFP_REPEAT" },
	{ 0, "none" },
};

int kmm_format_gfp(char *buf, size_t size, gfp_t gfp)
{
	size_t len = 0;
	gfp_t left = gfp;

	if (!size)
		return 0;
	buf[0] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(gfp_names) && left; i++) {
		gfp_t m = gfp_names[i].mask;

		if ((left & m) != m)
			continue;
		left &= ~m;
		len += (size_t)snprintf(buf + min(len, size), size - min(len, size), "%s%s",
					len ? "|" : "", gfp_names[i].name);
	}
	if (left)
		len += (size_t)snprintf(buf + min(len, size), size - min(len, size), "%s0x%x",
					len ? "|" : "", left);
	/* As %pGg: no flags print as nothing (ftrace alone says "none"). */
	return (int)len;
}

int kmm_parse_gfp(const char *s, gfp_t *out)
{
	gfp_t gfp = 0;

	if (!s || !*s)
		return -EINVAL;
	while (*s) {
		size_t n = strcspn(s, "|");
		bool found = false;

		for (size_t i = 0; i < ARRAY_SIZE(gfp_names) && !found; i++)
			if (strlen(gfp_names[i].name) == n && !strncmp(s, gfp_names[i].name, n)) {
				gfp |= gfp_names[i].mask;
				found = true;
			}
		for (size_t i = 0; i < ARRAY_SIZE(gfp_aliases) && !found; i++)
			if (strlen(gfp_aliases[i].name) == n && !strncmp(s, gfp_aliases[i].name, n)) {
				gfp |= gfp_aliases[i].mask;
				found = true;
			}
		if (!found && n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
			char tmp[32], *end;
			if (n >= sizeof(tmp))
				return -EINVAL;
			memcpy(tmp, s, n);
			tmp[n] = '\0';
			gfp |= (gfp_t)strtoul(tmp, &end, 16);
			found = *end == '\0';
		}
		if (!found)
			return -EINVAL;
		s += n;
		if (*s == '|')
			s++;
	}
	*out = gfp;
	return 0;
}
