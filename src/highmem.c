/* SPDX-License-Identifier: MIT */
/*
 * High memory: kmap's PKMAP pool and the per-CPU kmap_atomic/kmap_local
 * fixmap slots, as Linux's mm/highmem.c.
 *
 * PKMAP.  pkmap_count[i] is 0 for a free slot, 1 for a slot still mapping
 * a page nobody uses (its entry and host mapping stay, so a kmap of that
 * page again costs no host call), and 1 + users otherwise; page->virtual
 * is the slot's address while the page is mapped there.  New mappings
 * take slots round-robin; when the search wraps, every slot at 1 is
 * cleared and its host mapping removed, runs of neighbouring slots in one
 * host call (Linux's flush_all_zero_pkmaps and its TLB flush).  With every
 * slot in use, kmap() sleeps until a kunmap() brings one to 1.
 * kmap_lock guards all of it.
 *
 * Fixmap slots.  Each CPU has KM_MAX_IDX slots used as a stack.  Unmapping
 * clears the entry but leaves the host mapping (a stale TLB entry, which
 * the slot remembers); mapping the same page into the slot again is then
 * no host call, and another page is one mmap over the old one.  The owner
 * of a slot is the thread holding the CPU (preemption off), so the slots
 * need no lock.
 */
#include "internal.h"
#include <kmm/highmem.h>

static spinlock_t kmap_lock;
static int pkmap_count[LAST_PKMAP];
static unsigned int last_pkmap_nr;
static unsigned int pkmap_wait_seq, pkmap_waiters;

struct kmap_ctrl {
	int idx;
};
static struct kmap_ctrl *kmap_ctrl;
static unsigned long *fix_host_pfn;	/* what the host maps at each fixmap slot */
static size_t fix_host_size, kmap_ctrl_size;

static inline bool highmem_on(void)
{
	return kmm_arch() == KMM_ARCH_X86_32;
}

#define kmap_report(fmt, ...) do {					\
	pr_err("BUG: " fmt, ##__VA_ARGS__);				\
	dump_stack();							\
	add_taint(TAINT_WARN);						\
	kmm_report_count_inc(KMM_REPORT_KMAP);				\
} while (0)

/* --- PKMAP --- */

static void flush_all_zero_pkmaps(void)
{
	unsigned int run_start = 0, run = 0;

	for (unsigned int i = 0; i <= LAST_PKMAP; i++) {
		if (i < LAST_PKMAP && pkmap_count[i] == 1) {
			unsigned long addr = PKMAP_ADDR(i);
			pte_t *ptep = kmm_lookup_pte(addr);

			pkmap_count[i] = 0;
			WRITE_ONCE(pte_page(ptep_get(ptep))->virtual, NULL);
			pte_clear(NULL, addr, ptep);
			if (!run++)
				run_start = i;
			continue;
		}
		if (run)
			kmm_flush_kernel_range(PKMAP_ADDR(run_start), PKMAP_ADDR(run_start + run),
					       run * plat_map_cost(1));
		run = 0;
	}
}

void kmap_flush_unused(void)
{
	spin_lock(&kmap_lock);
	flush_all_zero_pkmaps();
	spin_unlock(&kmap_lock);
}

/* A free slot for @page; may drop the lock to wait.  Called locked. */
static void *map_new_virtual(struct page *page)
{
	unsigned int count = LAST_PKMAP;

	for (;;) {
		last_pkmap_nr = (last_pkmap_nr + 1) & LAST_PKMAP_MASK;
		if (!last_pkmap_nr) {
			flush_all_zero_pkmaps();
			count = LAST_PKMAP;
		}
		if (!pkmap_count[last_pkmap_nr])
			break;
		if (--count)
			continue;
		/* Every slot is in use: sleep until a kunmap() frees one. */
		unsigned int seen = pkmap_wait_seq;
		pkmap_waiters++;
		spin_unlock(&kmap_lock);
		plat_event_wait(&pkmap_wait_seq, seen, 0);
		spin_lock(&kmap_lock);
		pkmap_waiters--;
		if (page->virtual)	/* somebody mapped it meanwhile */
			return page->virtual;
		count = LAST_PKMAP;
	}
	unsigned long vaddr = PKMAP_ADDR(last_pkmap_nr);
	if (kmm_map_one(vaddr, page_to_pfn(page), PAGE_KERNEL, ~0UL))
		panic("kmap: cannot map pfn %#lx at %#lx in the host", page_to_pfn(page), vaddr);
	pkmap_count[last_pkmap_nr] = 1;
	WRITE_ONCE(page->virtual, (void *)vaddr);
	return (void *)vaddr;
}

static void *kmap_high(struct page *page)
{
	void *vaddr;

	spin_lock(&kmap_lock);
	vaddr = page->virtual;
	if (!vaddr)
		vaddr = map_new_virtual(page);
	pkmap_count[PKMAP_NR(vaddr)]++;
	spin_unlock(&kmap_lock);
	return vaddr;
}

static void kunmap_high(struct page *page)
{
	bool wake = false;

	spin_lock(&kmap_lock);
	void *vaddr = page->virtual;
	if (!vaddr || pkmap_count[PKMAP_NR(vaddr)] < 2) {
		spin_unlock(&kmap_lock);
		kmap_report("kunmap() of page pfn %#lx that is not kmapped\n", page_to_pfn(page));
		return;
	}
	if (--pkmap_count[PKMAP_NR(vaddr)] == 1)
		wake = pkmap_waiters != 0;
	spin_unlock(&kmap_lock);
	if (wake)
		plat_event_signal(&pkmap_wait_seq);
}

void *kmap(struct page *page)
{
	might_sleep();
	if (!PageHighMem(page))
		return page_address(page);
	return kmap_high(page);
}

void kunmap(struct page *page)
{
	if (!PageHighMem(page))
		return;
	kunmap_high(page);
}

unsigned int kmm_pkmap_in_use(void)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < LAST_PKMAP; i++)
		n += READ_ONCE(pkmap_count[i]) > 1;
	return n;
}

/* --- fixmap slots --- */

static inline bool in_fixmap(unsigned long a)
{
	return highmem_on() && a >= FIXADDR_START && a <= FIXADDR_TOP;
}

static inline unsigned int kmap_slot(int cpu, int idx)
{
	return FIX_KMAP_BEGIN + (unsigned int)idx + KM_MAX_IDX * (unsigned int)cpu;
}

/* Preemption is off: the CPU's slots are ours. */
static void *__kmap_local(struct page *page)
{
	int cpu = smp_processor_id();
	struct kmap_ctrl *c = &kmap_ctrl[cpu];

	if (c->idx >= KM_MAX_IDX) {
		kmap_report("kmap_local: more than %d nested mappings on CPU %d\n", KM_MAX_IDX, cpu);
		return NULL;
	}
	unsigned int slot = kmap_slot(cpu, c->idx);
	unsigned long vaddr = __fix_to_virt(slot), pfn = page_to_pfn(page);
	if (kmm_map_one(vaddr, pfn, PAGE_KERNEL, fix_host_pfn[slot]))
		panic("kmap_local: cannot map pfn %#lx at %#lx in the host", pfn, vaddr);
	fix_host_pfn[slot] = pfn;
	c->idx++;
	return (void *)vaddr;
}

/* Pop the CPU's last slot if it is @addr; else report and change nothing. */
static bool __kunmap_local(unsigned long addr)
{
	int cpu = smp_processor_id();
	struct kmap_ctrl *c = &kmap_ctrl[cpu];

	if (!c->idx || addr != __fix_to_virt(kmap_slot(cpu, c->idx - 1))) {
		kmap_report("kunmap_local: %#lx is not the last kmap_local mapping of CPU %d\n",
			    addr, cpu);
		return false;
	}
	c->idx--;
	pte_clear(NULL, addr, kmm_lookup_pte(addr));
	return true;
}

void *kmap_local_page(struct page *page)
{
	if (!PageHighMem(page))
		return page_address(page);
	preempt_disable();
	void *p = __kmap_local(page);
	if (!p)
		preempt_enable();
	return p;
}

void kunmap_local(const void *addr)
{
	unsigned long a = (unsigned long)addr & PAGE_MASK;

	if (!in_fixmap(a))
		return;
	if (__kunmap_local(a))
		preempt_enable();
}

void *kmap_atomic(struct page *page)
{
	preempt_disable();
	if (!PageHighMem(page))
		return page_address(page);
	void *p = __kmap_local(page);
	if (!p)
		preempt_enable();
	return p;
}

void kunmap_atomic(const void *addr)
{
	unsigned long a = (unsigned long)addr & PAGE_MASK;

	if (in_fixmap(a) && !__kunmap_local(a))
		return;
	preempt_enable();
}

struct page *kmap_to_page(void *addr)
{
	unsigned long a = (unsigned long)addr;

	if (highmem_on() && ((a >= PKMAP_BASE && a < PKMAP_ADDR(LAST_PKMAP)) || in_fixmap(a))) {
		pte_t *ptep = kmm_lookup_pte(a);
		pte_t pte = ptep ? ptep_get(ptep) : (pte_t){ 0 };
		return pte_present(pte) ? pte_page(pte) : NULL;
	}
	return virt_to_page(addr);
}

/* --- boot, shutdown, checks --- */

static bool fixmap_stale_ok(unsigned long addr, unsigned long pfn)
{
	/* ~0UL: anonymous memory, which no slot maps (and a slot's "none"). */
	return pfn != ~0UL && in_fixmap(addr) && fix_host_pfn &&
	       fix_host_pfn[__virt_to_fix(addr)] == pfn;
}

bool kmap_local_ready(void)
{
	return !highmem_on() || kmap_ctrl;
}

int highmem_init(void)
{
	spin_lock_init(&kmap_lock);
	memset(pkmap_count, 0, sizeof(pkmap_count));
	last_pkmap_nr = 0;
	pkmap_waiters = 0;
	if (!highmem_on())
		return 0;
	kmap_ctrl_size = nr_cpu_ids * sizeof(*kmap_ctrl);
	fix_host_size = (size_t)__end_of_fixed_addresses * sizeof(*fix_host_pfn);
	kmap_ctrl = plat_host_zalloc(kmap_ctrl_size);
	fix_host_pfn = plat_host_zalloc(fix_host_size);
	if (!kmap_ctrl || !fix_host_pfn)
		return -ENOMEM;
	for (unsigned int i = 0; i < __end_of_fixed_addresses; i++)
		fix_host_pfn[i] = ~0UL;
	kmm_pgtable_register_stale(fixmap_stale_ok);
	return 0;
}

void highmem_exit(void)
{
	plat_host_free(kmap_ctrl, kmap_ctrl_size);
	plat_host_free(fix_host_pfn, fix_host_size);
	kmap_ctrl = NULL;
	fix_host_pfn = NULL;
}

/* PKMAP slots against their entries and pages; fixmap slots against the stacks. */
void kmm_check_highmem(void)
{
	if (!highmem_on() || !kmap_ctrl)
		return;
	for (unsigned int i = 0; i < LAST_PKMAP; i++) {
		pte_t *ptep = kmm_lookup_pte(PKMAP_ADDR(i));
		pte_t pte = ptep ? ptep_get(ptep) : (pte_t){ 0 };

		if (!pkmap_count[i]) {
			KMM_CHECK(!pte_present(pte), "pkmap slot %u is free but mapped", i);
			continue;
		}
		KMM_CHECK(pkmap_count[i] > 0 && pte_present(pte) &&
			  pte_page(pte)->virtual == (void *)PKMAP_ADDR(i),
			  "pkmap slot %u: count %d, entry %#llx, page->virtual mismatch", i,
			  pkmap_count[i], (unsigned long long)pte.pte);
	}
	for (unsigned int cpu = 0; cpu < nr_cpu_ids; cpu++)
		for (int idx = 0; idx < KM_MAX_IDX; idx++) {
			unsigned long a = __fix_to_virt(kmap_slot((int)cpu, idx));
			bool present = pte_present(ptep_get(kmm_lookup_pte(a)));
			KMM_CHECK(present == (idx < kmap_ctrl[cpu].idx),
				  "CPU %u kmap_local slot %d is %smapped, %d in use", cpu, idx,
				  present ? "" : "not ", kmap_ctrl[cpu].idx);
		}
}
