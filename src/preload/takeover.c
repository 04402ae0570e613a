/* SPDX-License-Identifier: MIT */
/*
 * libkmm-malloc.so taking over a program's memory.
 *
 * Built to build/src/preload/libkmm-malloc.so (installed to libdir), where
 * `kmm exec -- PROGRAM` (tools/kmm/cmd_exec.c) finds it and sets
 * LD_PRELOAD, KMM_CMDLINE and KMM_SHOW.  By hand:
 *
 *   LD_PRELOAD=build/src/preload/libkmm-malloc.so KMM_SHOW=slabinfo,buddyinfo \
 *       KMM_CMDLINE="slub_debug=FZP" python3 script.py
 *
 * Booting on first use.  The first call of any allocation function boots
 * the machine (shim_boot()): often that call comes from the dynamic loader
 * or from libc's own start-up, before constructors and before libc is
 * fully set up, so booting calls nothing that allocates on its own
 * account: the environment is read from the block the kernel gave
 * (plat_getenv_early(), no getenv), /proc files with plain reads (no
 * fopen), no dlsym, no pthread keys; kmm's thread state is initial-exec
 * TLS.  Boot starts no thread: rcu_sched, kswapd and the vfree worker
 * start when first needed, inside a section, so the TLS pthread_create()
 * allocates for them comes back into malloc and is served by the
 * bootstrap arena, as is any allocation from inside kmm itself: stdio
 * while a report or a view is printed with a CPU held, the slot glibc allocates to remember a thread's exit handler.
 * The test is cheap: a thread inside kmm has a preemption count (every
 * section and every spinlock holds one), and only threads inside kmm do.
 *
 * The bootstrap arena is a bump allocator in a static block, then in
 * lazily backed host chunks; its frees are ignored (it serves a few
 * kilobytes a process).
 *
 * The machine: KMM_CMDLINE is appended to the defaults "mem=<max(64G,
 * host RAM)> cpus=<twice the host CPUs, 4 at least>
 * percpu_pagelist_high_fraction=1048576 kfence.sample_interval=0
 * deferred_boot_mem=2M ram=anon hugeram=512M" (x86_64), so it may override
 * any of them.  Twice the CPUs: a thread keeps its simulated CPU between
 * calls, and one that finds it taken must take another over (a
 * membarrier() and a compare-and-swap, cpu.c), where Linux's scheduler
 * hands the per-CPU caches to the next thread at no cost per allocation.
 * A program with more threads than host CPUs (the common server and
 * benchmark shape) would pay that on most calls; with twice as many
 * simulated CPUs its threads mostly keep their own, for a few more
 * per-CPU slabs and page lists.
 * RAM is backed by the host only where written; mem_map and the shadow
 * are touched only where used, so a large machine costs what the program
 * uses.  ram=anon: the direct map is anonymous memory, whose first touch
 * costs the host some 40% less than a page of the RAM file, and which a
 * forked child has copy-on-write without kmm copying anything; only pages
 * vmalloc() maps are the file's while they are mapped (platform/ram.c).
 * fork(): the host copies the page tables of anonymous memory, an entry
 * per page as for glibc's heap, until 512 MiB of RAM is in use
 * (hugeram=512M, page_alloc.c): from then on the direct map is in the
 * host's huge pages where it has them, an entry per 2 MiB, and fork +
 * exec from a heap of a GiB costs a fifth of what it did (bench_malloc's
 * forkexec: 0.59x mimalloc before, 0.10-0.11x).  A heap below that never
 * pays a huge page's RSS, nor its first fault where a VM's host has taken
 * the block back (page_alloc.c).  With KMM_CMDLINE=ram=memfd the host copies no page tables (shared
 * mappings), but a child that lives past the parent's 50 ms wait has all
 * of RAM copied for it (half a second for 512 MiB, the parent blocked
 * meanwhile), where with ram=anon it pays only for the pages it writes.
 * A bad KMM_CMDLINE is reported and the program aborts.
 *
 * Pointers we did not make.  The dynamic loader allocates with its own
 * minimal malloc until libc is relocated, then with ours; a few of its
 * early blocks may later reach free() or realloc().  At takeover the
 * anonymous writable mappings and the loader's data are recorded: a free
 * inside them is ignored, a realloc copies what lies up to the range's end.
 * Anything else that is neither ours nor theirs aborts:
 * "kmm: free(): invalid pointer 0x...".
 *
 * fork(): handlers registered at load stop the machine across the fork in
 * a fixed lock order, and the child moves to its own copy of RAM, at once
 * or, when RAM holds much, at its first call (SHIM_FORKED): a child that
 * execs copies nothing (src/fork.c and src/platform/ram_fork.c explain).
 *
 * KMM_SHOW=slabinfo,buddyinfo,... prints those views (any of kmm_show()'s)
 * when the program exits, to stderr or to the file KMM_SHOW_FILE names
 * (appended, each block headed by the process's pid and name).
 */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
#include "preload.h"
#include "slab.h"
#include "kfence.h"

int shim_state;
struct shim_layout shim;

static char env_cmdline[2048], env_show[512], env_show_file[512];
/*
 * The views go to a copy of stderr taken at boot, high in the descriptor
 * table: many programs close stderr on their way out (coreutils'
 * close_stdout()).
 */
static int show_fd = -1;

/* --- the bootstrap arena --- */

#define ARENA_STATIC	(256 * 1024)
#define ARENA_CHUNK	(64UL << 20)
#define ARENA_MAX_CHUNKS 64
#define ARENA_HDR	16

static char arena_static[ARENA_STATIC] __attribute__((aligned(4096)));
static struct { char *base; size_t size; } arena_chunks[ARENA_MAX_CHUNKS] = {
	{ arena_static, ARENA_STATIC },
};
static unsigned int arena_nr = 1;
static size_t arena_used;	/* in the last chunk */
static spinlock_t arena_lock;

void *arena_alloc(size_t size, size_t align)
{
	void *p = NULL;

	if (align < ARENA_HDR)
		align = ARENA_HDR;
	if (size > ARENA_CHUNK / 2 || align > PAGE_SIZE)
		return NULL;
	plat_lock(&arena_lock);
	for (;;) {
		char *base = arena_chunks[arena_nr - 1].base;
		size_t start = ALIGN(arena_used + ARENA_HDR, align);
		if (start + size <= arena_chunks[arena_nr - 1].size) {
			p = base + start;
			*(size_t *)((char *)p - ARENA_HDR) = size;
			arena_used = start + size;
			break;
		}
		if (arena_nr == ARENA_MAX_CHUNKS)
			break;
		char *chunk = plat_host_zalloc_lazy(ARENA_CHUNK);
		if (!chunk)
			break;
		arena_chunks[arena_nr].base = chunk;
		arena_chunks[arena_nr].size = ARENA_CHUNK;
		__atomic_store_n(&arena_nr, arena_nr + 1, __ATOMIC_RELEASE);
		arena_used = 0;
	}
	plat_unlock(&arena_lock);
	return p;
}

bool arena_owns(const void *p)
{
	unsigned int nr = __atomic_load_n(&arena_nr, __ATOMIC_ACQUIRE);

	for (unsigned int i = 0; i < nr; i++)
		if ((const char *)p >= arena_chunks[i].base &&
		    (const char *)p < arena_chunks[i].base + arena_chunks[i].size)
			return true;
	return false;
}

size_t arena_usable(const void *p)
{
	return *(const size_t *)((const char *)p - ARENA_HDR);
}

/* --- the loader's memory from before the takeover --- */

#define LOADER_MAX_RANGES 64
static struct { unsigned long start, end; } loader_ranges[LOADER_MAX_RANGES];
static unsigned int loader_nr;

static int loader_record(const struct plat_mapping *m, void *arg)
{
	(void)arg;
	if (m->shared || !(m->prot & PLAT_PROT_WRITE))
		return 0;
	/* Anonymous memory (its minimal malloc's pages) and the loader's own data. */
	if (m->path[0] && !strstr(m->path, "/ld-linux") && !strstr(m->path, "/ld-2."))
		return 0;
	if (loader_nr == LOADER_MAX_RANGES)
		return 1;
	loader_ranges[loader_nr].start = m->start;
	loader_ranges[loader_nr].end = m->end;
	loader_nr++;
	return 0;
}

size_t loader_usable(const void *p)
{
	unsigned long a = (unsigned long)p;

	for (unsigned int i = 0; i < loader_nr; i++)
		if (a >= loader_ranges[i].start && a < loader_ranges[i].end && !arena_owns(p))
			return loader_ranges[i].end - a;
	return 0;
}

/* --- reports --- */

void shim_invalid(const char *fn, const void *p)
{
	char msg[96];
	int n = snprintf(msg, sizeof(msg), "kmm: %s(): invalid pointer %p\n", fn, p);

	plat_console_write(msg, (size_t)n);
	plat_abort();
}

static void shim_die(const char *what, int err)
{
	char msg[2300];
	int n = snprintf(msg, sizeof(msg), "kmm: %s (KMM_CMDLINE=\"%s\"): error %d\n",
			 what, env_cmdline, err);

	plat_console_write(msg, (size_t)n);
	plat_abort();
}

/* --- boot --- */

/* May an object of one of these caches start at 8 mod 16? */
static bool any_unaligned(struct kmem_cache *const *caches, unsigned int nr)
{
	for (unsigned int i = 0; i < nr; i++)
		if (caches[i] && (kmem_cache_debug(caches[i]) || caches[i]->size % 16))
			return true;
	return false;
}

static void shim_layout_init(void)
{
	shim.dm_start = PAGE_OFFSET;
	shim.dm_size = (unsigned long)high_memory - PAGE_OFFSET;
	shim.vm_start = VMALLOC_START;
	shim.vm_size = VMALLOC_END - VMALLOC_START;
	shim.ram_bytes = (u64)totalram_pages() << PAGE_SHIFT;
	/*
	 * Granules of 16 bytes, malloc's alignment; with slab debugging an
	 * object may start at 8 mod 16 (Linux's kmalloc alignment), so 8.
	 * Only the caches malloc serves from count: they include every
	 * kmalloc cache the aligned path uses (32 bytes and up), and a
	 * granule of 8 for kmalloc-8, which malloc never uses, doubled the
	 * shadow, a byte per 8 bytes of a program's memory (an eighth of
	 * its RSS once its objects fill the pages the shadow covers).
	 */
	shim.shift = 4;
	if (any_unaligned(shim_classes, SHIM_NR_CLASSES))
		shim.shift = 3;
	shim.shadow = plat_host_zalloc_lazy(shim.dm_size >> shim.shift);
	if (!shim.shadow)
		shim_die("cannot map the shadow of the direct map", -ENOMEM);
	shim.granule_mask = (1UL << shim.shift) - 1;
	u8 *pc = plat_host_zalloc_lazy(shim.dm_size >> PAGE_SHIFT);
	if (!pc)
		shim_die("cannot map the page classes of the direct map", -ENOMEM);
	shim.page_class_bias = (unsigned long)pc - (shim.dm_start >> PAGE_SHIFT);
	shim.shadow_bias = (unsigned long)shim.shadow - (shim.dm_start >> shim.shift);
}

void shim_boot(void)
{
	int expected = SHIM_DOWN;
	char cmdline[sizeof(env_cmdline) + 192];

	if (!__atomic_compare_exchange_n(&shim_state, &expected, SHIM_BOOTING, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		return;		/* another thread boots: the arena serves meanwhile */
	plat_getenv_early("KMM_CMDLINE", env_cmdline, sizeof(env_cmdline));
	plat_getenv_early("KMM_SHOW", env_show, sizeof(env_show));
	plat_getenv_early("KMM_SHOW_FILE", env_show_file, sizeof(env_show_file));
	plat_for_each_mapping(loader_record, NULL);
	if (env_show[0] && !env_show_file[0])
		show_fd = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 100);

	u64 mem = max(plat_host_ram_bytes(), 64ULL << 30);
	/*
	 * Per-CPU page lists of a few batches: a program's freed pages stay
	 * with the CPU that freed them, and a list as long as Linux's
	 * self-tuned one (up to an eighth of RAM) is that much RSS no other
	 * CPU reuses.
	 */
	/*
	 * KFENCE only if KMM_CMDLINE asks for it: its guard pages fault, and a
	 * program with a SIGSEGV handler of its own would take those faults.
	 * Its objects keep malloc's 16-byte alignment at the end of a page.
	 */
	kfence_min_align = 16;
	/*
	 * 2 MiB of free memory with struct pages at boot, not a section: most
	 * processes (a shell's children, a compiler's driver) need less.
	 */
	int host_cpus = plat_host_nr_cpus();	/* a read of /sys: once */
	snprintf(cmdline, sizeof(cmdline),
		 "mem=%lluM cpus=%d percpu_pagelist_high_fraction=%d kfence.sample_interval=0 "
		 "deferred_boot_mem=2M ram=anon hugeram=512M %s",
		 (unsigned long long)(mem >> 20), min(max(2 * host_cpus, 4), NR_CPUS), 1 << 20,
		 env_cmdline);
	int err = kmm_boot(cmdline);
	if (err)
		shim_die("cannot boot the machine", err);
	if ((err = shim_classes_init()))
		shim_die("cannot create malloc's slab caches", err);
	shim_layout_init();
	__atomic_store_n(&shim_state, SHIM_UP, __ATOMIC_RELEASE);
}

void shim_wake(void)
{
	switch (__atomic_load_n(&shim_state, __ATOMIC_ACQUIRE)) {
	case SHIM_DOWN:
		shim_boot();
		break;
	case SHIM_FORKED:
		kmm_fork_child_settle();
		__atomic_store_n(&shim_state, SHIM_UP, __ATOMIC_RELEASE);
		break;
	}
}

/* --- fork --- */

static void shim_fork_prepare(void)
{
	if (__atomic_load_n(&shim_state, __ATOMIC_ACQUIRE) == SHIM_FORKED)
		shim_wake();	/* a child forking before it settled */
	if (__atomic_load_n(&shim_state, __ATOMIC_ACQUIRE) != SHIM_UP)
		return;
	kmm_fork_prepare();
	plat_lock(&arena_lock);
}

static void shim_fork_parent(void)
{
	if (__atomic_load_n(&shim_state, __ATOMIC_ACQUIRE) != SHIM_UP)
		return;
	plat_unlock(&arena_lock);
	kmm_fork_parent();
}

static void shim_fork_child(void)
{
	if (__atomic_load_n(&shim_state, __ATOMIC_ACQUIRE) != SHIM_UP)
		return;
	plat_unlock(&arena_lock);
	if (kmm_fork_child())
		__atomic_store_n(&shim_state, SHIM_FORKED, __ATOMIC_RELEASE);
}

/*
 * Registered when the library is loaded, before the program's own
 * handlers: prepare handlers run in reverse order of registration, so ours
 * runs last (after theirs, which may allocate), and our child and parent
 * handlers run first (before theirs, which may allocate).
 */
__attribute__((constructor)) static void shim_init(void)
{
	if (plat_atfork(shim_fork_prepare, shim_fork_parent, shim_fork_child))
		shim_die("cannot register the fork handlers", -ENOMEM);
}

/* --- the views at exit --- */

static void show_views(FILE *f)
{
	char list[sizeof(env_show)], comm[16];

	snprintf(list, sizeof(list), "%s", env_show);
	plat_thread_name(comm, sizeof(comm));
	for (char *save, *v = strtok_r(list, ",: ", &save); v; v = strtok_r(NULL, ",: ", &save)) {
		fprintf(f, "==> %s (kmm, pid %d, %s) <==\n", v, (int)getpid(), comm);
		int err = kmm_show(v, f);
		if (err == -ENOENT)
			fprintf(f, "kmm: KMM_SHOW: no view \"%s\"\n", v);
		fflush(f);
	}
}

__attribute__((destructor)) static void shim_exit(void)
{
	int fd = show_fd;

	if (env_show[0] && __atomic_load_n(&shim_state, __ATOMIC_ACQUIRE) == SHIM_FORKED)
		shim_wake();
	if (!env_show[0] || __atomic_load_n(&shim_state, __ATOMIC_ACQUIRE) != SHIM_UP)
		return;
	if (env_show_file[0])
		fd = open(env_show_file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	FILE *f = fd >= 0 ? fdopen(fd, "a") : NULL;
	if (!f) {
		char msg[600];
		int n = snprintf(msg, sizeof(msg), "kmm: KMM_SHOW: cannot write to %s\n",
				 env_show_file[0] ? env_show_file : "stderr");
		plat_console_write(msg, (size_t)n);
		if (fd >= 0)
			close(fd);
		return;
	}
	show_views(f);
	fclose(f);
}
