/* SPDX-License-Identifier: MIT */
/*
 * The machine's configuration: the kernel command line.
 *
 * The core parameters (arch=, mem=, memmap=, cpus=, numa=, loglevel=, ...)
 * fill struct kmm_config; other modules declare their own with kmm_param().
 * An unknown parameter or a malformed value fails the boot, naming it.
 */

#include <ctype.h>
#include <stdlib.h>
#include "internal.h"
#include "param.h"

struct kmm_config kmm_cfg;

extern const struct kmm_param __start_kmm_params[];
extern const struct kmm_param __stop_kmm_params[];

/* memparse: a number with an optional K, M, G, T, P or E suffix. */
int kmm_parse_size(const char *s, u64 *out)
{
	char *end;

	if (!s || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (errno)
		return -EINVAL;
	int shift = 0;
	switch (toupper((unsigned char)*end)) {
	case 'E': shift += 10; /* fall through */
	case 'P': shift += 10; /* fall through */
	case 'T': shift += 10; /* fall through */
	case 'G': shift += 10; /* fall through */
	case 'M': shift += 10; /* fall through */
	case 'K': shift += 10; end++; break;
	default: break;
	}
	if (*end == 'B' || *end == 'b')
		end++;
	if (*end)
		return -EINVAL;
	if (shift && v > (~0ULL >> shift))
		return -EINVAL;
	*out = v << shift;
	return 0;
}

static int parse_long(const char *s, long lo, long hi, long *out)
{
	char *end;

	if (!s || !*s)
		return -EINVAL;
	errno = 0;
	long v = strtol(s, &end, 0);
	if (errno || *end || v < lo || v > hi)
		return -EINVAL;
	*out = v;
	return 0;
}

static int setup_arch(const char *val)
{
	if (!val)
		return -EINVAL;
	if (!strcmp(val, "x86_64"))
		kmm_cfg.arch = KMM_ARCH_X86_64;
	else if (!strcmp(val, "x86_32") || !strcmp(val, "i386"))
		kmm_cfg.arch = KMM_ARCH_X86_32;
	else
		return -EINVAL;
	return 0;
}

static int setup_mem(const char *val)
{
	u64 v;

	if (kmm_parse_size(val, &v) || v < 4 * SZ_1M || v > (1ULL << 46))
		return -EINVAL;
	kmm_cfg.mem = v;
	return 0;
}

/* memmap=SIZE@START (usable) or memmap=SIZE$START (reserved), as e820. */
static int setup_memmap(const char *val)
{
	char buf[64], *sep;
	u64 size, start;

	if (!val || strlen(val) >= sizeof(buf) || kmm_cfg.nr_memmap >= 32)
		return -EINVAL;
	strcpy(buf, val);
	sep = strpbrk(buf, "@$");
	if (!sep)
		return -EINVAL;
	bool reserved = *sep == '$';
	*sep = '\0';
	if (kmm_parse_size(buf, &size) || kmm_parse_size(sep + 1, &start) || !size)
		return -EINVAL;
	if ((start | size) & (PAGE_SIZE - 1) || start + size > (1ULL << 46))
		return -EINVAL;
	kmm_cfg.memmap[kmm_cfg.nr_memmap].start = start;
	kmm_cfg.memmap[kmm_cfg.nr_memmap].size = size;
	kmm_cfg.memmap[kmm_cfg.nr_memmap].reserved = reserved;
	kmm_cfg.nr_memmap++;
	return 0;
}

static int setup_cpus(const char *val)
{
	long v;

	if (parse_long(val, 1, NR_CPUS, &v))
		return -EINVAL;
	kmm_cfg.cpus = (unsigned int)v;
	return 0;
}

static int setup_numa(const char *val)
{
	long v;

	if (!val)
		return -EINVAL;
	if (!strcmp(val, "off")) {
		kmm_cfg.numa_nodes = 1;
		return 0;
	}
	if (strncmp(val, "fake=", 5) || parse_long(val + 5, 1, MAX_NUMNODES, &v))
		return -EINVAL;
	kmm_cfg.numa_nodes = (unsigned int)v;
	return 0;
}

static int setup_min_free_kbytes(const char *val)
{
	return parse_long(val, 0, 1L << 30, &kmm_cfg.min_free_kbytes);
}

static int setup_wsf(const char *val)
{
	long v;

	/* Linux's sysctl range: 1 to 3000 (30% of memory). */
	if (parse_long(val, 1, 3000, &v))
		return -EINVAL;
	kmm_cfg.watermark_scale_factor = (unsigned int)v;
	return 0;
}

/* lowmem_reserve_ratio=256,256,32: one ratio per zone, in zone order. */
static int setup_lowmem_reserve_ratio(const char *val)
{
	char buf[128];
	int i = 0;

	if (!val || strlen(val) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, val);
	for (char *tok = strtok(buf, ", "); tok; tok = strtok(NULL, ", ")) {
		long v;
		if (i >= MAX_NR_ZONES || parse_long(tok, 0, 1L << 30, &v))
			return -EINVAL;
		kmm_cfg.lowmem_reserve_ratio[i++] = (int)v;
	}
	return i ? 0 : -EINVAL;
}

static int setup_loglevel(const char *val)
{
	long v;

	if (parse_long(val, 0, 15, &v))
		return -EINVAL;
	kmm_cfg.loglevel = (int)v;
	return 0;
}

static int setup_panic_on_warn(const char *val)
{
	long v = 1;

	if (val && parse_long(val, 0, 1, &v))
		return -EINVAL;
	kmm_cfg.panic_on_warn = v;
	return 0;
}

static int setup_vmalloc(const char *val)
{
	u64 v;

	if (kmm_parse_size(val, &v) || v < SZ_16M)
		return -EINVAL;
	kmm_cfg.vmalloc_size = v;
	return 0;
}

/*
 * ram=memfd|anon (kmm's own): what the direct map of RAM is.  memfd: a
 * shared mapping of the RAM file, as every other mapping of RAM.  anon:
 * private anonymous memory, cheaper to fault in and to fork, whose pages
 * turn into the file's only while something else maps them too
 * (platform/ram.c).  The library's default is memfd unless built with
 * -Dram_default=anon; the preload library's is anon.
 */
static int setup_ram(const char *val)
{
	if (!val)
		return -EINVAL;
	if (!strcmp(val, "anon"))
		kmm_cfg.ram_anon = true;
	else if (!strcmp(val, "memfd"))
		kmm_cfg.ram_anon = false;
	else
		return -EINVAL;
	return 0;
}

#ifdef KMM_RAM_ANON_DEFAULT
#define RAM_ANON_DEFAULT	true
#else
#define RAM_ANON_DEFAULT	false
#endif

static void config_reset(void)
{
	memset(&kmm_cfg, 0, sizeof(kmm_cfg));
	kmm_cfg.arch = KMM_ARCH_X86_64;
	kmm_cfg.mem = SZ_1G;
	kmm_cfg.cpus = 2;
	kmm_cfg.numa_nodes = 1;
	kmm_cfg.min_free_kbytes = -1;
	kmm_cfg.watermark_scale_factor = 10;
	kmm_cfg.loglevel = 4;
	kmm_cfg.ram_anon = RAM_ANON_DEFAULT;
	/* Linux's defaults: DMA 256, DMA32 256, Normal 32, HighMem and later 0. */
	kmm_cfg.lowmem_reserve_ratio[ZONE_DMA] = 256;
	kmm_cfg.lowmem_reserve_ratio[ZONE_DMA32] = 256;
	kmm_cfg.lowmem_reserve_ratio[ZONE_NORMAL] = 32;
}

kmm_param("arch", setup_arch, config_reset);
kmm_param("mem", setup_mem, NULL);
kmm_param("memmap", setup_memmap, NULL);
kmm_param("cpus", setup_cpus, NULL);
kmm_param("numa", setup_numa, NULL);
kmm_param("min_free_kbytes", setup_min_free_kbytes, NULL);
kmm_param("watermark_scale_factor", setup_wsf, NULL);
kmm_param("lowmem_reserve_ratio", setup_lowmem_reserve_ratio, NULL);
kmm_param("loglevel", setup_loglevel, NULL);
kmm_param("panic_on_warn", setup_panic_on_warn, NULL);
kmm_param("vmalloc", setup_vmalloc, NULL);
kmm_param("ram", setup_ram, NULL);

static const struct kmm_param *find_param(const char *name, size_t len)
{
	for (const struct kmm_param *p = __start_kmm_params; p < __stop_kmm_params; p++)
		if (strlen(p->name) == len && !strncmp(p->name, name, len))
			return p;
	return NULL;
}

/*
 * Parse @cmdline into kmm_cfg and the modules' parameters.  Every module's
 * parameters are first reset to their defaults, so nothing of a previous
 * boot leaks into this one.
 */
int kmm_parse_cmdline(const char *cmdline, struct kmm_config *cfg)
{
	char buf[4096];
	int err = 0;

	for (const struct kmm_param *p = __start_kmm_params; p < __stop_kmm_params; p++)
		if (p->reset)
			p->reset();
	if (!cmdline)
		cmdline = "";
	if (strlen(cmdline) >= sizeof(buf)) {
		pr_err("kmm: command line too long\n");
		return -EINVAL;
	}
	strcpy(buf, cmdline);
	for (char *save, *tok = strtok_r(buf, " \t\n", &save); tok;
	     tok = strtok_r(NULL, " \t\n", &save)) {
		char *eq = strchr(tok, '=');
		size_t len = eq ? (size_t)(eq - tok) : strlen(tok);
		const struct kmm_param *p = find_param(tok, len);

		if (!p) {
			pr_err("kmm: Unknown kernel command line parameter \"%s\"\n", tok);
			err = -EINVAL;
			continue;
		}
		if (p->setup(eq ? eq + 1 : NULL)) {
			pr_err("kmm: Malformed kernel command line parameter \"%s\"\n", tok);
			err = -EINVAL;
		}
	}
	if (cfg != &kmm_cfg)
		*cfg = kmm_cfg;
	return err;
}
