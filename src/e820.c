/* SPDX-License-Identifier: MIT */
/*
 * The firmware memory map (e820), as a PC's BIOS reports it.
 *
 * The default map is a PC's: usable RAM from 0 to 0x9fc00, the EBDA and
 * the BIOS ROM area reserved below 1 MiB, then usable RAM from 1 MiB to
 * mem=.  memmap=SIZE@START paints a usable range over it and
 * memmap=SIZE$START a reserved one, in command-line order; what no range
 * covers is a hole.  As Linux does, the first page is then taken from the
 * usable RAM ("e820: update [mem 0x00000000-0x00000fff] usable ==> reserved").
 */
#include "internal.h"

struct e820_table e820_table;

static const char *e820_type_name(enum e820_type type)
{
	return type == E820_TYPE_RAM ? "usable" : "reserved";
}

/* Paint [addr, addr+size) with @type, replacing whatever overlaps it. */
static int e820_paint(struct e820_table *t, u64 addr, u64 size, enum e820_type type)
{
	struct e820_table out = { 0 };
	u64 end = addr + size;
	bool placed = false;

	for (unsigned int i = 0; i < t->nr_entries; i++) {
		struct e820_entry *e = &t->entries[i];
		u64 e_end = e->addr + e->size;

		if (out.nr_entries + 3 > E820_MAX_ENTRIES)
			return -ENOSPC;
		if (e_end <= addr || e->addr >= end) {
			if (e->addr >= end && !placed) {
				out.entries[out.nr_entries++] = (struct e820_entry){ addr, size, type };
				placed = true;
			}
			out.entries[out.nr_entries++] = *e;
			continue;
		}
		if (e->addr < addr)
			out.entries[out.nr_entries++] = (struct e820_entry){ e->addr, addr - e->addr, e->type };
		if (!placed) {
			out.entries[out.nr_entries++] = (struct e820_entry){ addr, size, type };
			placed = true;
		}
		if (e_end > end)
			out.entries[out.nr_entries++] = (struct e820_entry){ end, e_end - end, e->type };
	}
	if (!placed) {
		if (out.nr_entries >= E820_MAX_ENTRIES)
			return -ENOSPC;
		out.entries[out.nr_entries++] = (struct e820_entry){ addr, size, type };
	}
	/* Merge neighbours of one type. */
	struct e820_table merged = { 0 };
	for (unsigned int i = 0; i < out.nr_entries; i++) {
		struct e820_entry *last = merged.nr_entries ? &merged.entries[merged.nr_entries - 1] : NULL;
		if (last && last->type == out.entries[i].type &&
		    last->addr + last->size == out.entries[i].addr)
			last->size += out.entries[i].size;
		else
			merged.entries[merged.nr_entries++] = out.entries[i];
	}
	*t = merged;
	return 0;
}

void e820_print_map(const char *who)
{
	for (unsigned int i = 0; i < e820_table.nr_entries; i++) {
		struct e820_entry *e = &e820_table.entries[i];
		pr_info("%s: [mem 0x%016llx-0x%016llx] %s\n", who,
			(unsigned long long)e->addr,
			(unsigned long long)(e->addr + e->size - 1),
			e820_type_name(e->type));
	}
}

int e820_setup(const struct kmm_config *cfg)
{
	struct e820_table *t = &e820_table;
	int err = 0;

	memset(t, 0, sizeof(*t));
	err |= e820_paint(t, 0, 0x9fc00, E820_TYPE_RAM);
	err |= e820_paint(t, 0x9fc00, 0x400, E820_TYPE_RESERVED);
	err |= e820_paint(t, 0xf0000, 0x10000, E820_TYPE_RESERVED);
	if (cfg->mem > SZ_1M)
		err |= e820_paint(t, SZ_1M, cfg->mem - SZ_1M, E820_TYPE_RAM);
	for (unsigned int i = 0; i < cfg->nr_memmap; i++)
		err |= e820_paint(t, cfg->memmap[i].start, cfg->memmap[i].size,
				  cfg->memmap[i].reserved ? E820_TYPE_RESERVED : E820_TYPE_RAM);
	if (err) {
		pr_err("e820: too many memory map entries\n");
		return -EINVAL;
	}
	e820_print_map("BIOS-e820");
	pr_info("e820: update [mem 0x00000000-0x00000fff] usable ==> reserved\n");
	e820_paint(t, 0, PAGE_SIZE, E820_TYPE_RESERVED);
	return 0;
}

/* The end of the address range the RAM file must cover (RAM and reserved). */
u64 e820_end_of_ram(void)
{
	u64 end = 0;

	for (unsigned int i = 0; i < e820_table.nr_entries; i++)
		end = max(end, e820_table.entries[i].addr + e820_table.entries[i].size);
	return ALIGN(end, (u64)PAGE_SIZE);
}
