/* SPDX-License-Identifier: MIT */
/*
 * The built-in workloads: what parts of a kernel ask of the memory manager,
 * each on its own threads bound to the machine's CPUs.
 *
 *  fork-storm    processes coming and going: task_struct, mm_struct,
 *                signal, sighand, files, fs, cred, pid and a few VMAs from
 *                their slab caches, the kernel stack (the machine's: 16 KiB
 *                vmalloc'ed on x86_64 as CONFIG_VMAP_STACK does, 8 KiB of
 *                order-1 pages on x86_32, counted in KernelStack), the
 *                page-table pages (PageTable, counted in PageTables) and
 *                the mm's per-CPU RSS counters; each thread keeps a pool
 *                of live tasks and exits a random one when the pool is
 *                full.  Every 64th task also runs: a kernel thread on its
 *                own stack touches the task's objects and is stopped.
 *  module-load   modules loaded and unloaded: a vmalloc'ed image of 8 KiB
 *                to 1 MiB (log-uniform) written through, its struct module
 *                from kmalloc and its per-CPU section from the reserved
 *                per-CPU chunk.
 *  highmem-copy  page copies between HighMem and lowmem through kmap_local
 *                (and every 16th through kmap and kmap_atomic), as the
 *                bounce and copy paths of a 32-bit kernel do.
 *  fragment      Linux's fragmentation test shape: fill a share of free
 *                memory with order-0 pages, alternately unmovable and
 *                movable; free the movable ones; then ask for order-9
 *                blocks without retrying hard, counting how many succeed.
 *  mixed         all four at once, a thread each (or more).
 *
 * The sizes are those of a Debian 6.x kernel's slabinfo for each arch.
 */
#include <stdlib.h>
#include <string.h>
#include "scenarios.h"
#include <kmm/kmm.h>

/* xorshift: each thread its own, no locks. */
static unsigned long rnd(unsigned long *s)
{
	unsigned long x = *s;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

static bool stop_asked(const struct worker *w)
{
	return __atomic_load_n(w->stop, __ATOMIC_RELAXED);
}

static bool stopped(const struct worker *w)
{
	return stop_asked(w) || (w->max_ops && w->ops >= w->max_ops);
}

/* --- fork-storm --- */

enum { TASK, MM, SIGNAL, SIGHAND, FILES, FS, CRED, PID, VMA, NR_TASK_CACHES };

static const struct {
	const char *name;
	unsigned int size64, size32;
} task_caches[NR_TASK_CACHES] = {
	[TASK] = { "task_struct", 9536, 3392 },
	[MM] = { "mm_struct", 1408, 704 },
	[SIGNAL] = { "signal_cache", 1152, 768 },
	[SIGHAND] = { "sighand_cache", 2112, 1344 },
	[FILES] = { "files_cache", 704, 320 },
	[FS] = { "fs_cache", 104, 64 },
	[CRED] = { "cred_jar", 184, 128 },
	[PID] = { "pid", 128, 64 },
	[VMA] = { "vm_area_struct", 176, 96 },
};

#define VMAS_PER_TASK 12
#define PTE_PAGES 3
#define TASK_POOL 48

static struct kmem_cache *tcache[NR_TASK_CACHES];
static spinlock_t tcache_lock;

struct task {
	void *obj[NR_TASK_CACHES - 1];
	void *vma[VMAS_PER_TASK];
	struct kmm_thread_stack kstack;	/* a task that does not run */
	struct task_struct *kthread;	/* a task that runs, on its own stack */
	struct page *pgtables[1 + PTE_PAGES];
	void __percpu *rss;
	bool live;
};

static bool task_caches_ready(void)
{
	bool ok = true;

	spin_lock(&tcache_lock);
	for (int i = 0; i < NR_TASK_CACHES && ok; i++) {
		if (tcache[i])
			continue;
		spin_unlock(&tcache_lock);
		unsigned int size = kmm_arch() == KMM_ARCH_X86_32 ? task_caches[i].size32
								 : task_caches[i].size64;
		struct kmem_cache *s = kmem_cache_create(task_caches[i].name, size, 0,
							 SLAB_HWCACHE_ALIGN | SLAB_ACCOUNT, NULL);
		spin_lock(&tcache_lock);
		if (!s)
			ok = false;
		else if (tcache[i])
			kmem_cache_destroy(s);	/* another thread was first */
		else
			tcache[i] = s;
	}
	spin_unlock(&tcache_lock);
	return ok;
}

/* A task that runs: its first steps touch its objects, then it waits to exit. */
static int task_run(void *arg)
{
	struct task *t = arg;

	memset(t->obj[PID], 0, 64);
	memset(t->obj[CRED], 0, 64);
	while (!kthread_should_stop())
		msleep(1);
	return 0;
}

static void task_exit(struct task *t)
{
	if (t->kthread)
		kthread_stop(t->kthread);
	for (int i = 0; i < NR_TASK_CACHES - 1; i++)
		kmem_cache_free(tcache[i], t->obj[i]);
	for (int i = 0; i < VMAS_PER_TASK; i++)
		kmem_cache_free(tcache[VMA], t->vma[i]);
	kmm_free_thread_stack(&t->kstack);
	for (int i = 0; i < 1 + PTE_PAGES; i++) {
		struct page *p = t->pgtables[i];
		__ClearPageTable(p);
		mod_node_page_state(page_pgdat(p), NR_PAGETABLE, -1);
		__free_pages(p, 0);
	}
	free_percpu(t->rss);
	t->live = false;
}

/* Return: true if the whole task was set up (else nothing is left). */
static bool task_fork(struct task *t, bool run)
{
	int i = 0, v = 0, p = 0;

	memset(t, 0, sizeof(*t));
	for (; i < NR_TASK_CACHES - 1; i++)
		if (!(t->obj[i] = kmem_cache_alloc(tcache[i], GFP_KERNEL)))
			goto fail;
	for (; v < VMAS_PER_TASK; v++)
		if (!(t->vma[v] = kmem_cache_alloc(tcache[VMA], GFP_KERNEL)))
			goto fail;
	if (run) {
		t->kthread = kmm_kthread_run(task_run, t, "fork-storm");
		if (IS_ERR(t->kthread)) {
			t->kthread = NULL;
			goto fail;
		}
	} else if (kmm_alloc_thread_stack_node(&t->kstack, NUMA_NO_NODE)) {
		goto fail;
	}
	for (; p < 1 + PTE_PAGES; p++) {
		struct page *pg = alloc_pages(GFP_KERNEL_ACCOUNT | __GFP_ZERO, 0);
		if (!pg)
			goto fail;
		__SetPageTable(pg);
		mod_node_page_state(page_pgdat(pg), NR_PAGETABLE, 1);
		t->pgtables[p] = pg;
	}
	t->rss = __alloc_percpu_gfp(4 * sizeof(long), sizeof(long), GFP_KERNEL_ACCOUNT);
	if (!t->rss)
		goto fail;
	t->live = true;
	return true;
fail:
	while (p-- > 0) {
		__ClearPageTable(t->pgtables[p]);
		mod_node_page_state(page_pgdat(t->pgtables[p]), NR_PAGETABLE, -1);
		__free_pages(t->pgtables[p], 0);
	}
	if (t->kthread)
		kthread_stop(t->kthread);
	kmm_free_thread_stack(&t->kstack);
	while (v-- > 0)
		kmem_cache_free(tcache[VMA], t->vma[v]);
	while (i-- > 0)
		kmem_cache_free(tcache[i], t->obj[i]);
	return false;
}

static void run_fork_storm(struct worker *w)
{
	struct task *pool = calloc(TASK_POOL, sizeof(*pool));
	unsigned long seed = 0x9e3779b9UL * (unsigned long)(w->id + 1);

	if (!pool || !task_caches_ready()) {
		free(pool);
		w->failed++;
		w->hold(w);
		return;
	}
	while (!stopped(w)) {
		struct task *t = &pool[rnd(&seed) % TASK_POOL];
		if (t->live)
			task_exit(t);
		if (task_fork(t, rnd(&seed) % 64 == 0))
			w->ops++;
		else
			w->failed++;
	}
	w->hold(w);
	for (int i = 0; i < TASK_POOL; i++)
		if (pool[i].live)
			task_exit(&pool[i]);
	free(pool);
}

/* --- module-load --- */

#define MODULE_POOL 24
#define STRUCT_MODULE_SIZE 1344

struct module {
	void *mod;			/* struct module */
	void *image;			/* vmalloc'ed core */
	unsigned long size;
	void __percpu *percpu;
};

static void module_unload(struct module *m)
{
	vfree(m->image);
	kfree(m->mod);
	if (m->percpu)
		free_percpu(m->percpu);
	m->image = NULL;
}

static void run_module_load(struct worker *w)
{
	struct module pool[MODULE_POOL] = { 0 };
	unsigned long seed = 0x51ed270bUL * (unsigned long)(w->id + 7);

	while (!stopped(w)) {
		struct module *m = &pool[rnd(&seed) % MODULE_POOL];
		if (m->image)
			module_unload(m);
		/* 8 KiB .. 1 MiB, log-uniform: most modules are small. */
		unsigned long size = 8192UL << (rnd(&seed) % 8);
		size += (rnd(&seed) % size) & ~4095UL;
		m->mod = kzalloc(STRUCT_MODULE_SIZE, GFP_KERNEL);
		m->image = vmalloc(size);
		if (!m->mod || !m->image) {
			kfree(m->mod);
			vfree(m->image);
			m->image = NULL;
			w->failed++;
			continue;
		}
		m->size = size;
		memset(m->image, 0xcc, size);	/* "copy the sections in" */
		/* A quarter of modules have per-CPU data (its own reserved chunk). */
		m->percpu = rnd(&seed) % 4 ? NULL : __alloc_reserved_percpu(64 + rnd(&seed) % 192, 8);
		w->ops++;
		w->bytes += size;
	}
	w->hold(w);
	for (int i = 0; i < MODULE_POOL; i++)
		if (pool[i].image)
			module_unload(&pool[i]);
}

/* --- highmem-copy --- */

#define COPY_PAGES 64

static void run_highmem_copy(struct worker *w)
{
	struct page *high[COPY_PAGES] = { 0 }, *low[COPY_PAGES] = { 0 };
	unsigned long seed = 0xdeadbeefUL * (unsigned long)(w->id + 3);
	int n = 0;

	for (; n < COPY_PAGES; n++) {
		high[n] = alloc_pages(GFP_HIGHUSER, 0);
		low[n] = alloc_pages(GFP_KERNEL, 0);
		if (!high[n] || !low[n])
			break;
	}
	if (n < COPY_PAGES) {
		w->failed++;
		goto out;
	}
	while (!stopped(w)) {
		unsigned long r = rnd(&seed);
		struct page *h = high[r % COPY_PAGES];
		void *l = page_address(low[(r >> 8) % COPY_PAGES]);
		bool to_high = r & (1UL << 20);

		if ((w->ops & 15) == 15) {
			/* The sleeping kmap, and the atomic one inside it. */
			void *a = kmap(h);
			void *b = kmap_atomic(low[(r >> 16) % COPY_PAGES]);
			memcpy(to_high ? a : b, to_high ? b : a, PAGE_SIZE);
			kunmap_atomic(b);
			kunmap(h);
		} else {
			void *a = kmap_local_page(h);
			memcpy(to_high ? a : l, to_high ? l : a, PAGE_SIZE);
			kunmap_local(a);
		}
		w->ops++;
		w->bytes += PAGE_SIZE;
	}
out:
	w->hold(w);
	for (int i = 0; i < COPY_PAGES; i++) {
		if (high[i])
			__free_pages(high[i], 0);
		if (low[i])
			__free_pages(low[i], 0);
	}
}

/* --- fragment --- */

#define HIGH_ORDER 9
#define HIGH_TRIES 64

static void run_fragment(struct worker *w)
{
	unsigned long free_pages = global_zone_page_state(NR_FREE_PAGES);
	unsigned long budget = (unsigned long)((double)free_pages * w->share);
	struct page **pages = calloc(budget + 1, sizeof(*pages));
	struct page *hi[HIGH_TRIES];

	if (!pages) {
		w->failed++;
		w->hold(w);
		return;
	}
	while (!stopped(w)) {
		unsigned long n = 0;
		/* Fill: unmovable and movable interleaved, as a busy system's are. */
		for (; n < budget && !stop_asked(w); n++) {
			gfp_t gfp = (n & 1) ? (GFP_USER | __GFP_MOVABLE) : GFP_KERNEL;
			pages[n] = alloc_pages(gfp | __GFP_NOWARN | __GFP_NORETRY, 0);
			if (!pages[n])
				break;
		}
		/* Free the movable half: holes everywhere, no big block. */
		for (unsigned long i = 1; i < n; i += 2) {
			__free_pages(pages[i], 0);
			pages[i] = NULL;
		}
		int got = 0;
		for (int i = 0; i < HIGH_TRIES && !stopped(w); i++) {
			hi[got] = alloc_pages(GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN, HIGH_ORDER);
			w->hi_tries++;
			w->ops++;
			if (hi[got]) {
				w->hi_ok++;
				got++;
			}
		}
		if (stopped(w))
			w->hold(w);	/* fragmented, the high-order blocks held */
		while (got-- > 0)
			__free_pages(hi[got], HIGH_ORDER);
		for (unsigned long i = 0; i < n; i += 2)
			if (pages[i])
				__free_pages(pages[i], 0);
	}
	free(pages);
	w->hold(w);	/* no-op if already held */
}

const struct workload workloads[] = {
	{ "fork-storm", "forks", "tasks forked and exited: slab objects, kernel stacks, page tables, per-CPU counters", run_fork_storm },
	{ "module-load", "loads", "modules loaded and unloaded: vmalloc'ed images, their page tables, per-CPU sections", run_module_load },
	{ "highmem-copy", "page copies", "pages copied between HighMem and lowmem through kmap", run_highmem_copy },
	{ "fragment", "order-9 attempts", "memory fragmented by interleaved unmovable/movable pages, then order-9 requests", run_fragment },
};
const int nr_workloads = sizeof(workloads) / sizeof(workloads[0]);

const struct workload *find_workload(const char *name)
{
	for (int i = 0; i < nr_workloads; i++)
		if (!strcmp(workloads[i].name, name))
			return &workloads[i];
	return NULL;
}

/* The caches fork-storm made stay until the machine goes: views show them. */
