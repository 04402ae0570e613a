/* SPDX-License-Identifier: MIT */
/*
 * init_on_alloc= and init_on_free=: zero every page and slab object as it
 * is allocated, or as it is freed, as Linux's memory auto-initialisation.
 * Both are off by default (Linux's Kconfig default; distributions that turn
 * CONFIG_INIT_ON_ALLOC_DEFAULT_ON on get "init_on_alloc=1").  Caches whose
 * objects must stay intact while free (a constructor, SLAB_TYPESAFE_BY_RCU,
 * SLAB_POISON) are exempt, as in Linux; see slab.h.
 */
#include "internal.h"
#include "param.h"
#include <strings.h>

bool init_on_alloc;
bool init_on_free;

/* Linux's kstrtobool: 1/0, y/n, on/off. */
int kstrtobool(const char *val, bool *out)
{
	if (!val)
		return -EINVAL;
	if (!strcmp(val, "1") || !strcasecmp(val, "y") || !strcasecmp(val, "yes") ||
	    !strcasecmp(val, "on"))
		*out = true;
	else if (!strcmp(val, "0") || !strcasecmp(val, "n") || !strcasecmp(val, "no") ||
		 !strcasecmp(val, "off"))
		*out = false;
	else
		return -EINVAL;
	return 0;
}

static void meminit_reset(void)
{
	init_on_alloc = false;
	init_on_free = false;
}

kmm_param_bool("init_on_alloc", init_on_alloc, meminit_reset);
kmm_param_bool("init_on_free", init_on_free, NULL);

/* The boot line Linux's report_meminit() prints. */
void report_meminit(void)
{
	pr_info("mem auto-init: stack:off, heap alloc:%s, heap free:%s\n",
		want_init_on_alloc(GFP_KERNEL) ? "on" : "off", want_init_on_free() ? "on" : "off");
	if (want_init_on_free())
		pr_info("mem auto-init: clearing system memory may take some time...\n");
}

/*
 * Runs of at least this many pages are zeroed where the host backs them
 * only: two host calls per backed part, against a memset that would back
 * every page of a block that was never written (a program's calloc() of
 * megabytes uses a few pages of it, as with glibc's fresh mmap()).
 */
#define BACKED_ZERO_MIN_PAGES	64
/* Past this many backed parts the rest is zeroed whole: a bound on host calls. */
#define BACKED_ZERO_MAX_PARTS	32

static void zero_backed(struct page *page, unsigned long nr)
{
	phys_addr_t pos = page_to_phys(page), end = pos + PAGE_SIZE * nr;

	for (int parts = 0; pos < end; parts++) {
		phys_addr_t e = end;

		if (parts < BACKED_ZERO_MAX_PARTS && !plat_ram_backed(&pos, &e))
			return;
		memset(__va(pos), 0, e - pos);
		pos = e;
	}
}

/* Zero @nr pages from @page on, high or low. */
void kernel_init_pages(struct page *page, unsigned long nr)
{
	if (PageHighMem(page))
		plat_ram_zero(page_to_phys(page), PAGE_SIZE * nr);
	else if (nr >= BACKED_ZERO_MIN_PAGES)
		zero_backed(page, nr);
	else
		memset(lowmem_page_address(page), 0, PAGE_SIZE * nr);
}
