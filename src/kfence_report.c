/* SPDX-License-Identifier: MIT */
/*
 * KFENCE's reports, in the words and shape of Linux's mm/kfence/report.c:
 *
 *   ==================================================================
 *   BUG: KFENCE: out-of-bounds read in test_oob+0x3c
 *
 *   Out-of-bounds read at 0x... (1B right of kfence-#7):
 *    test_oob+0x3c
 *    ...
 *
 *   kfence-#7: 0x...-0x..., size=32, cache=kmalloc-32
 *
 *   allocated by task 1234 on cpu 0 at 1.000123s (0.000456s ago):
 *    ...
 *
 *   CPU: 0 UID: 0 PID: 1234 Comm: test Tainted: G    B
 *   ==================================================================
 *
 * A stack starts at the first frame outside the allocator: a fault's at
 * the faulting instruction, a free's at its return address into the
 * caller, an allocation's after slab_post_alloc_hook().  Where that is not
 * known (or an entry point such as kmalloc left a frame of its own, as in
 * an unoptimised build), the allocator's entry points are skipped by name
 * as Linux does; kmm's internal functions have no exported names, so only
 * the exported entry points can be recognised that way.
 *
 * Reports are printed under one lock, so that two threads' reports do not
 * interleave line by line; a report from the same thread while it prints
 * one (a fault inside a report) goes ahead without it.
 */
#include <stdarg.h>
#include "kfence.h"
#include "slab.h"

static spinlock_t report_lock;
static int report_owner;	/* the tid printing a report, or 0 */

/* Print to @f, or to the kernel log when @f is NULL. */
static __printf(2, 3) void seq_con_printf(FILE *f, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	if (f) {
		vfprintf(f, fmt, ap);
	} else {
		vsnprintf(buf, sizeof(buf), fmt, ap);
		printk(KERN_ERR "%s", buf);
	}
	va_end(ap);
}

unsigned int kfence_first_frame(const unsigned long *entries, unsigned int nr,
				unsigned long first)
{
	for (unsigned int i = 0; first && i < nr; i++)
		if (entries[i] == first)
			return i;
	return 0;
}

static void print_stack_entries(FILE *f, const unsigned long *entries, unsigned int nr)
{
	char buf[256];

	for (unsigned int i = 0; i < nr; i++) {
		plat_symbolize(entries[i], buf, sizeof(buf));
		seq_con_printf(f, " %s\n", buf);
	}
}

static void kfence_print_stack(FILE *f, const struct kfence_metadata *meta, bool show_alloc)
{
	const struct kfence_track *track = show_alloc ? &meta->alloc_track : &meta->free_track;
	u64 now = plat_now_ns() - kfence_boot_ns;
	u64 ago = now > track->ts_nsec ? now - track->ts_nsec : 0;

	seq_con_printf(f, "%s by task %d on cpu %d at %lu.%06lus (%lu.%06lus ago):\n",
		       show_alloc ? "allocated" :
		       meta->state == KFENCE_OBJECT_RCU_FREEING ? "rcu freeing" : "freed",
		       track->pid, track->cpu, (unsigned long)(track->ts_nsec / 1000000000ULL),
		       (unsigned long)(track->ts_nsec % 1000000000ULL / 1000),
		       (unsigned long)(ago / 1000000000ULL),
		       (unsigned long)(ago % 1000000000ULL / 1000));
	if (track->nr) {
		unsigned int skip = stack_skip_allocator(track->entries, track->nr, track->skip);

		print_stack_entries(f, track->entries + skip, track->nr - skip);
	} else {
		seq_con_printf(f, " no %s stack\n", show_alloc ? "allocation" : "deallocation");
	}
}

/* The object's line and its stacks.  Context: meta->lock held. */
void kfence_print_object(FILE *f, const struct kfence_metadata *meta)
{
	const long index = meta - kfence_metadata;
	const struct kmem_cache *cache = meta->cache;

	if (meta->state == KFENCE_OBJECT_UNUSED) {
		seq_con_printf(f, "kfence-#%ld unused\n", index);
		return;
	}
	seq_con_printf(f, "kfence-#%ld: 0x%016lx-0x%016lx, size=%zu, cache=%s\n\n", index,
		       meta->addr, meta->addr + meta->size - 1, meta->size,
		       cache && cache->name ? cache->name : "<destroyed>");
	kfence_print_stack(f, meta, true);
	if (meta->state == KFENCE_OBJECT_FREED || meta->state == KFENCE_OBJECT_RCU_FREEING) {
		seq_con_printf(f, "\n");
		kfence_print_stack(f, meta, false);
	}
}

/*
 * Up to @bytes_to_show canary bytes from @address, '.' for an intact one
 * and '!' for one that differs (Linux shows values only with
 * no_hash_pointers), never into the object nor past the page.
 */
static void print_diff_canary(unsigned long address, size_t bytes_to_show,
			      const struct kfence_metadata *meta)
{
	const unsigned long until = address + bytes_to_show;
	const u8 *end = (const u8 *)(address < meta->addr ? min(until, meta->addr)
							  : min(until, ALIGN(address + 1, PAGE_SIZE)));

	pr_cont("[");
	for (const u8 *cur = (const u8 *)address; cur < end; cur++)
		pr_cont("%s", *cur == KFENCE_CANARY_PATTERN_U8(cur) ? " ." : " !");
	pr_cont(" ]");
}

/* The stack of the report and where to start showing it. */
static unsigned int report_stack(unsigned long *entries, unsigned int max,
				 unsigned long first, unsigned int *skip)
{
	unsigned int nr = plat_stack_save(entries, max, 1);

	*skip = 0;
	for (unsigned int i = 0; first && i < nr; i++) {
		if (entries[i] == first) {
			*skip = i;
			return nr;
		}
	}
	*skip = stack_skip_allocator(entries, nr, 0);
	return nr;
}

static bool report_begin(void)
{
	int me = plat_gettid();

	if (READ_ONCE(report_owner) == me)
		return false;
	plat_lock(&report_lock);
	WRITE_ONCE(report_owner, me);
	return true;
}

static void report_end(bool locked)
{
	if (!locked)
		return;
	WRITE_ONCE(report_owner, 0);
	plat_unlock(&report_lock);
}

void kfence_report_error(unsigned long address, bool is_write, unsigned long first,
			 const struct kfence_metadata *meta, enum kfence_error_type type)
{
	unsigned long entries[KFENCE_STACK_DEPTH] = { 0 };
	const long index = meta ? meta - kfence_metadata : -1;
	const char *access = is_write ? "write" : "read";
	unsigned int skip, nr = report_stack(entries, KFENCE_STACK_DEPTH, first, &skip);
	char where[256];
	bool locked;

	if (WARN_ON(type != KFENCE_ERROR_INVALID && !meta))
		return;
	kmm_report_count_inc(KMM_REPORT_KFENCE);
	plat_symbolize(nr ? entries[skip] : 0, where, sizeof(where));
	locked = report_begin();
	pr_err("==================================================================\n");
	switch (type) {
	case KFENCE_ERROR_OOB: {
		const bool left = address < meta->addr;

		pr_err("BUG: KFENCE: out-of-bounds %s in %s\n\n", access, where);
		pr_err("Out-of-bounds %s at 0x%016lx (%luB %s of kfence-#%ld):\n", access, address,
		       left ? meta->addr - address : address - meta->addr,
		       left ? "left" : "right", index);
		break;
	}
	case KFENCE_ERROR_UAF:
		pr_err("BUG: KFENCE: use-after-free %s in %s\n\n", access, where);
		pr_err("Use-after-free %s at 0x%016lx (in kfence-#%ld):\n", access, address, index);
		break;
	case KFENCE_ERROR_CORRUPTION:
		pr_err("BUG: KFENCE: memory corruption in %s\n\n", where);
		pr_err("Corrupted memory at 0x%016lx ", address);
		print_diff_canary(address, 16, meta);
		pr_cont(" (in kfence-#%ld):\n", index);
		break;
	case KFENCE_ERROR_INVALID:
		pr_err("BUG: KFENCE: invalid %s in %s\n\n", access, where);
		pr_err("Invalid %s at 0x%016lx:\n", access, address);
		break;
	case KFENCE_ERROR_INVALID_FREE:
		pr_err("BUG: KFENCE: invalid free in %s\n\n", where);
		pr_err("Invalid free of 0x%016lx (in kfence-#%ld):\n", address, index);
		break;
	}
	print_stack_entries(NULL, entries + skip, nr - skip);
	if (meta) {
		pr_err("\n");
		kfence_print_object(NULL, meta);
	}
	pr_err("\n");
	/* The taint is added after the report, so this line shows the state before it. */
	pr_err("CPU: %d UID: 0 PID: %d Comm: %s %s\n",
	       current->preempt_count ? current->cpu : 0, plat_gettid(), kmm_comm(),
	       print_tainted());
	pr_err("==================================================================\n");
	report_end(locked);
	if (kmm_panic_on_warn)
		panic("KFENCE: panic_on_warn set ...\n");
	add_taint(TAINT_BAD_PAGE);
}
