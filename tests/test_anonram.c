/* SPDX-License-Identifier: MIT */
/*
 * ram=anon: the direct map is private anonymous memory, and a page that
 * gets a second mapping (vmalloc, vmap, percpu, kmap) turns into the RAM
 * file's at both addresses (platform/ram.c).  Whatever is written through
 * one address is read through the other, before and after the alias, for
 * pages that held data before it too; freed pages come back zeroed when
 * asked; a forked child and its parent never see each other's writes.
 * kmm_check() == 0 after each, which compares the direct map's host
 * mappings with what ram.c counts.
 */
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "helpers.h"
#include "internal.h"
#include "platform/platform.h"
#include "preload/smaps.h"
#include <kmm/vmalloc.h>
#include <kmm/highmem.h>

#define BOOT	"mem=256M cpus=2 ram=anon"

/* Lines of /proc/self/maps inside the direct map that map the RAM file. */
static int direct_file_maps(void)
{
	char line[512];
	unsigned long lo = PAGE_OFFSET, hi = (unsigned long)high_memory, s, e;
	int n = 0;
	FILE *f = fopen("/proc/self/maps", "r");

	cr_assert(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%lx-%lx", &s, &e) == 2 && s < hi && e > lo &&
		    strstr(line, "memfd:kmm-ram"))
			n++;
	fclose(f);
	return n;
}

/*
 * fork() through kmm's handlers.  The child (0 returned) is settled, and
 * *@maps_read (if asked) says whether it walked /proc/self/maps to find
 * the RAM file's mappings instead of trusting ram.c's record of them.
 */
static pid_t fork_settled(bool *maps_read)
{
	kmm_fork_prepare();
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		unsigned long reads = plat_maps_reads();

		if (kmm_fork_child())
			kmm_fork_child_settle();
		if (maps_read)
			*maps_read = plat_maps_reads() != reads;
		return 0;
	}
	kmm_fork_parent();
	return pid;
}

/* Lines of /proc/self/maps in the kernel window (a sanitizer's own come and go elsewhere). */
static long maps_lines(void)
{
	return host_mappings_between(PAGE_OFFSET, kmm_layout.window_end);
}

Test(anonram, boots_with_an_anonymous_direct_map)
{
	boot_or_die(BOOT);
	cr_assert(plat_ram_is_anon());
	cr_assert_eq(direct_file_maps(), 0);
	unsigned long a = __get_free_page(GFP_KERNEL);
	cr_assert(a);
	memset((void *)a, 0x5a, PAGE_SIZE);
	/* Anonymous memory: written through the direct map, not the file. */
	cr_assert_eq(plat_ram_shared(__pa(a), PAGE_SIZE), false);
	unsigned char b = 0;
	cr_assert_eq(plat_ram_read(__pa(a) + 17, &b, 1), 0);
	cr_assert_eq(b, 0x5a);
	free_page(a);
	check_and_shutdown();
}

Test(anonram, ram_memfd_keeps_the_file)
{
	boot_or_die("mem=256M cpus=2 ram=memfd");
	cr_assert(!plat_ram_is_anon());
	cr_assert_geq(direct_file_maps(), 1);
	check_and_shutdown();
}

Test(anonram, bad_ram_option_fails_the_boot)
{
	cr_assert_neq(kmm_boot("mem=256M ram=swap"), 0);
	cr_assert_neq(kmm_boot("mem=256M ram"), 0);
}

/* A vmalloc area and the direct map are one memory, both ways. */
Test(anonram, vmalloc_alias_is_the_direct_map)
{
	boot_or_die(BOOT);
	size_t size = 16 * PAGE_SIZE;
	unsigned char *v = vmalloc(size);
	cr_assert(v);
	for (size_t i = 0; i < size; i += PAGE_SIZE) {
		unsigned char *d = page_address(vmalloc_to_page(v + i));
		v[i + 1] = (unsigned char)(i / PAGE_SIZE + 1);
		cr_assert_eq(d[1], (unsigned char)(i / PAGE_SIZE + 1), "page %zu", i / PAGE_SIZE);
		d[2] = 0xc3;
		cr_assert_eq(v[i + 2], 0xc3, "page %zu", i / PAGE_SIZE);
		cr_assert(plat_ram_shared(__pa(d), PAGE_SIZE));
	}
	cr_assert_gt(plat_ram_nr_shared, 0);
	cr_assert_geq(direct_file_maps(), 1);
	cr_assert_eq(kmm_check(), 0);
	vfree(v);
	vm_unmap_aliases();
	/* Freed: anonymous again, the direct map whole. */
	cr_assert_eq(plat_ram_nr_shared, 0);
	cr_assert_eq(direct_file_maps(), 0);
	check_and_shutdown();
}

/* vmap() of pages that held data: the alias shows it, and writes go both ways. */
Test(anonram, vmap_keeps_what_the_pages_held)
{
	boot_or_die(BOOT);
	struct page *pages[4];
	for (int i = 0; i < 4; i++) {
		pages[i] = alloc_page(GFP_KERNEL);
		cr_assert(pages[i]);
		memset(page_address(pages[i]), 0x10 + i, PAGE_SIZE);
	}
	/* A page written before, and one only read (the host's zero page). */
	unsigned char *v = vmap(pages, 4, VM_MAP, PAGE_KERNEL);
	cr_assert(v);
	for (int i = 0; i < 4; i++) {
		unsigned char *d = page_address(pages[i]);
		cr_assert_eq(v[i * PAGE_SIZE + 100], 0x10 + i, "page %d", i);
		cr_assert_eq(v[i * PAGE_SIZE + PAGE_SIZE - 1], 0x10 + i, "page %d", i);
		v[i * PAGE_SIZE + 5] = 0xee;
		cr_assert_eq(d[5], 0xee);
		d[6] = 0x77;
		cr_assert_eq(v[i * PAGE_SIZE + 6], 0x77);
	}
	cr_assert_eq(kmm_check(), 0);
	vunmap(v);
	vm_unmap_aliases();
	/* Still the caller's pages, still their data, until they are freed. */
	cr_assert_eq(((unsigned char *)page_address(pages[2]))[6], 0x77);
	for (int i = 0; i < 4; i++)
		__free_page(pages[i]);
	cr_assert_eq(plat_ram_nr_shared, 0);
	check_and_shutdown();
}

/*
 * A page shared and freed comes back anonymous; zeroed allocations of it
 * read zero, through the direct map and through a new alias.
 */
Test(anonram, freed_alias_pages_come_back_zeroed)
{
	boot_or_die(BOOT);
	for (int round = 0; round < 3; round++) {
		unsigned char *v = vmalloc(64 * PAGE_SIZE);
		cr_assert(v);
		memset(v, 0xab, 64 * PAGE_SIZE);
		vfree(v);
		vm_unmap_aliases();
		drain_all_pages(NULL);
		/* The same pages, most likely, as zeroed pages. */
		for (int i = 0; i < 64; i++) {
			unsigned long a = get_zeroed_page(GFP_KERNEL);
			cr_assert(a);
			cr_assert_null(memchr_inv((const u8 *)a, 0, PAGE_SIZE), "round %d page %d", round, i);
			free_page(a);
		}
		unsigned char *z = vzalloc(64 * PAGE_SIZE);
		cr_assert(z);
		cr_assert_null(memchr_inv((const u8 *)z, 0, 64 * PAGE_SIZE), "round %d", round);
		for (int i = 0; i < 64; i++)
			cr_assert_null(memchr_inv((const u8 *)page_address(vmalloc_to_page(z + i * PAGE_SIZE)), 0,
						  PAGE_SIZE));
		vfree(z);
		cr_assert_eq(kmm_check(), 0);
	}
	cr_assert_eq(plat_ram_nr_shared, 0);
	check_and_shutdown();
}

/*
 * A zeroed block whose pages the host does not back is not written
 * (meminit.c's zero_backed()): the file must hold zeros there too, or a
 * later alias of the block would show what an earlier one left.
 */
Test(anonram, a_zeroed_block_shows_zeros_through_a_new_alias)
{
	boot_or_die(BOOT);
	struct page *pages[64];
	struct page *block = alloc_pages(GFP_KERNEL, 6);
	cr_assert(block);
	for (int i = 0; i < 64; i++)
		pages[i] = block + i;
	unsigned char *v = vmap(pages, 64, VM_MAP, PAGE_KERNEL);
	cr_assert(v);
	memset(v, 0xab, 64 * PAGE_SIZE);
	vunmap(v);
	vm_unmap_aliases();
	__free_pages(block, 6);
	struct page *again = alloc_pages(GFP_KERNEL | __GFP_ZERO, 6);
	cr_assert_eq(again, block, "the allocator handed out another block");
	cr_assert_null(memchr_inv((const u8 *)page_address(again), 0, 64 * PAGE_SIZE));
	v = vmap(pages, 64, VM_MAP, PAGE_KERNEL);
	cr_assert(v);
	cr_assert_null(memchr_inv((const u8 *)v, 0, 64 * PAGE_SIZE));
	vunmap(v);
	__free_pages(again, 6);
	check_and_shutdown();
}

/* Pages freed one at a time (after vunmap) or in a block turn back too. */
Test(anonram, a_block_freed_whole_turns_back)
{
	boot_or_die(BOOT);
	struct page *block = alloc_pages(GFP_KERNEL, 3);
	cr_assert(block);
	struct page *pages[8];
	for (int i = 0; i < 8; i++)
		pages[i] = block + i;
	/* Every other page: four runs of the direct map become the file's. */
	struct page *odd[4] = { pages[1], pages[3], pages[5], pages[7] };
	long counted = plat_nr_mappings(), lines = maps_lines();
	void *v = vmap(odd, 4, VM_MAP, PAGE_KERNEL);
	cr_assert(v);
	cr_assert_eq(plat_ram_nr_shared, 4);
	cr_assert_eq(direct_file_maps(), 4);
	/*
	 * The alias: 4 runs and the split reservation; the direct map: two
	 * more pieces a shared run.  The host holds no more than is counted.
	 */
	cr_assert_eq(plat_nr_mappings() - counted, 4 + 1 + 2 * 4);
	cr_assert_leq(maps_lines() - lines, plat_nr_mappings() - counted);
	cr_assert_eq(kmm_check(), 0);
	vunmap(v);
	vm_unmap_aliases();
	__free_pages(block, 3);
	cr_assert_eq(plat_ram_nr_shared, 0);
	cr_assert_eq(direct_file_maps(), 0);
	/* All given back, and the direct map one piece again. */
	cr_assert_eq(plat_nr_mappings(), counted);
	cr_assert_eq(maps_lines(), lines);
	check_and_shutdown();
}

/* Zeroing RAM without a mapping (plat_ram_zero) zeroes anonymous pages too. */
Test(anonram, plat_ram_zero_zeroes_the_direct_map)
{
	boot_or_die(BOOT);
	struct page *p = alloc_pages(GFP_KERNEL, 2);
	cr_assert(p);
	memset(page_address(p), 0x99, 4 * PAGE_SIZE);
	void *v = vmap(&p, 1, VM_MAP, PAGE_KERNEL);	/* the first page shared, the rest not */
	cr_assert(v);
	plat_ram_zero(page_to_phys(p), 4 * PAGE_SIZE);
	cr_assert_null(memchr_inv((const u8 *)page_address(p), 0, 4 * PAGE_SIZE));
	cr_assert_null(memchr_inv((const u8 *)v, 0, PAGE_SIZE));
	unsigned char b = 1;
	cr_assert_eq(plat_ram_read(page_to_phys(p) + 3 * PAGE_SIZE, &b, 1), 0);
	cr_assert_eq(b, 0);
	vunmap(v);
	__free_pages(p, 2);
	check_and_shutdown();
}

/*
 * fork: the child's writes through the direct map and through a vmalloc
 * area never reach the parent, nor the parent's the child.  (What the
 * preload library's fork handlers do, by hand.)
 */
Test(anonram, fork_isolates_direct_map_and_vmalloc)
{
	boot_or_die(BOOT);
	unsigned char *d = (unsigned char *)__get_free_page(GFP_KERNEL);
	unsigned char *v = vmalloc(4 * PAGE_SIZE);
	cr_assert(d && v);
	unsigned char *vd = page_address(vmalloc_to_page(v + PAGE_SIZE));
	memset(d, 1, PAGE_SIZE);
	memset(v, 1, 4 * PAGE_SIZE);
	int to_child[2], to_parent[2];
	cr_assert_eq(pipe(to_child), 0);
	cr_assert_eq(pipe(to_parent), 0);

	pid_t pid = fork_settled(NULL);
	if (pid == 0) {
		int bad = 0;
		char c;

		/* The child writes first, through each address. */
		d[0] = 2;
		v[0] = 2;
		vd[1] = 2;	/* v + PAGE_SIZE + 1, through the direct map */
		if (v[PAGE_SIZE + 1] != 2)
			bad |= 1;
		if (write(to_parent[1], "w", 1) != 1 || read(to_child[0], &c, 1) != 1)
			bad |= 2;
		/* The parent wrote 3s meanwhile: none of them is seen here. */
		if (d[0] != 2 || v[0] != 2 || vd[1] != 2 || d[9] != 1 || v[2 * PAGE_SIZE] != 1)
			bad |= 4;
		if (kmm_check())
			bad |= 8;
		_exit(bad);
	}
	cr_assert_gt(pid, 0);
	char c;
	cr_assert_eq(read(to_parent[0], &c, 1), 1);
	/* The child has written: nothing of it here. */
	cr_expect_eq(d[0], 1);
	cr_expect_eq(v[0], 1);
	cr_expect_eq(v[PAGE_SIZE + 1], 1);
	d[9] = 3;
	v[2 * PAGE_SIZE] = 3;
	d[0] = 3;
	v[0] = 3;
	cr_assert_eq(write(to_child[1], "p", 1), 1);
	int status;
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %#x", status);
	cr_expect_eq(d[0], 3);
	cr_expect_eq(vd[1], 1);
	vfree(v);
	free_page((unsigned long)d);
	check_and_shutdown();
}

/* x86_32: lowmem shares, highmem has no direct map and stays the file's. */
Test(anonram, x86_32_highmem_and_lowmem_aliases)
{
	boot_or_die("arch=x86_32 mem=2G cpus=2 ram=anon");
	struct page *low = alloc_page(GFP_KERNEL), *high = alloc_page(GFP_HIGHUSER);
	cr_assert(low && high && PageHighMem(high));
	memset(page_address(low), 0x42, PAGE_SIZE);
	struct page *both[2] = { low, high };
	unsigned char *v = vmap(both, 2, VM_MAP, PAGE_KERNEL);
	cr_assert(v);
	cr_assert_eq(v[7], 0x42);
	v[PAGE_SIZE + 3] = 0x24;
	unsigned char *k = kmap_local_page(high);
	cr_assert_eq(k[3], 0x24);
	kunmap_local(k);
	cr_assert_eq(plat_ram_nr_shared, 1);
	cr_assert_eq(kmm_check(), 0);
	vunmap(v);
	__free_page(low);
	__free_page(high);
	cr_assert_eq(plat_ram_nr_shared, 0);
	check_and_shutdown();
}

/*
 * At the host's mapping bound every alias splits the direct map twice
 * more: vmalloc fails cleanly (its pages freed, none left shared), and
 * once all is freed the count and the host's mappings are what they
 * were at boot.
 */
Test(anonram, fails_cleanly_at_the_host_mapping_bound)
{
	boot_or_die("mem=2G ram=anon");
	static void *v[70000];
	long max = plat_max_mappings(LONG_MAX), counted = plat_nr_mappings(), lines = maps_lines();
	int n = vmalloc_to_mapping_bound(v, 70000);

	/* The host holds no more than is counted, the bound not passed. */
	cr_assert_leq(maps_lines() - lines, plat_nr_mappings() - counted);
	cr_assert_leq(plat_nr_mappings(), max);
	cr_assert_eq(plat_ram_nr_shared, n);
	cr_assert_eq(kmm_check(), 0);
	for (int i = 0; i < n; i++)
		vfree(v[i]);
	vm_unmap_aliases();
	cr_assert_eq(plat_ram_nr_shared, 0);
	cr_assert_eq(plat_nr_mappings(), counted);
	cr_assert_eq(maps_lines(), lines);
	kmm_report_reset();
	check_and_shutdown();
}

/* How long kmm_fork_parent() waits for a child that takes 300 ms to run its fork handler. */
static double parent_wait_s(void)
{
	struct timespec a, b;

	kmm_fork_prepare();
	pid_t pid = fork();
	if (pid == 0) {
		usleep(300 * 1000);
		if (kmm_fork_child())
			kmm_fork_child_settle();
		_exit(kmm_check() ? 1 : 0);
	}
	clock_gettime(CLOCK_MONOTONIC, &a);
	kmm_fork_parent();
	clock_gettime(CLOCK_MONOTONIC, &b);
	int status;
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %#x", status);
	return (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) * 1e-9;
}

/*
 * The parent waits for its child only while the RAM file holds what the
 * child must copy: with ram=anon and nothing in the file, not at all
 * (the direct map is copy-on-write by fork() itself).
 */
Test(anonram, fork_waits_only_when_the_file_holds_something)
{
	boot_or_die(BOOT);
	cr_assert(plat_ram_file_unused());
	cr_expect_lt(parent_wait_s(), 0.2, "the parent waited with nothing in the RAM file");
	void *v = vmalloc(4 * PAGE_SIZE);
	cr_assert(v);
	memset(v, 7, 4 * PAGE_SIZE);
	cr_assert(!plat_ram_file_unused());
	cr_expect_geq(parent_wait_s(), 0.25, "the parent did not wait for the copy of shared pages");
	vfree(v);
	vm_unmap_aliases();
	cr_assert(plat_ram_file_unused());
	check_and_shutdown();
	boot_or_die("mem=256M cpus=2 ram=memfd");
	cr_assert(!plat_ram_file_unused());
	cr_expect_geq(parent_wait_s(), 0.25, "ram=memfd: the parent did not wait");
	check_and_shutdown();
}

/*
 * hugeram=8M: the direct map asks for huge pages once 8 MiB of RAM is
 * allocated, not before; a 2 MiB block first written after that is one
 * huge page; a page shared and unshared after it leaves the direct map
 * one host mapping, as counted.  With hugeram=0 (the default) it never
 * asks.
 */
Test(anonram, hugeram_asks_for_huge_pages_once_ram_is_in_use)
{
	struct page *blk[6];

	boot_or_die(BOOT " hugeram=8M");
	void *direct = (void *)PAGE_OFFSET;
	cr_assert(!host_advised_huge(direct, NULL), "huge pages asked for at boot");
	for (int i = 0; i < 6; i++) {
		blk[i] = alloc_pages(GFP_KERNEL, 9);
		cr_assert(blk[i]);
	}
	cr_assert(host_advised_huge(direct, NULL));

	unsigned long before = 0, after = 0;
	host_advised_huge(page_address(blk[5]), &before);
	memset(page_address(blk[5]), 0x3c, PMD_SIZE);
	host_advised_huge(page_address(blk[5]), &after);
	if (!strcmp(host_thp_mode(), "always") || !strcmp(host_thp_mode(), "madvise"))
		cr_expect_geq(after - before, PMD_SIZE / 1024, "AnonHugePages %lu kB, then %lu kB",
			      before, after);

	long counted = plat_nr_mappings(), lines = maps_lines();
	void *v = vmap(&blk[5], 1, VM_MAP, PAGE_KERNEL);
	cr_assert(v);
	cr_assert_eq(((unsigned char *)v)[100], 0x3c);
	cr_assert_eq(kmm_check(), 0);
	vunmap(v);
	vm_unmap_aliases();
	for (int i = 0; i < 6; i++)
		__free_pages(blk[i], 9);
	cr_assert_eq(plat_ram_nr_shared, 0);
	/* Unshared: the piece mapped anonymous again merges with its advised neighbours. */
	cr_assert_eq(plat_nr_mappings(), counted);
	cr_assert_eq(maps_lines(), lines);
	check_and_shutdown();

	boot_or_die(BOOT " hugeram=8M hugeram=0");
	for (int i = 0; i < 6; i++)
		blk[i] = alloc_pages(GFP_KERNEL, 9);
	cr_assert(!host_advised_huge(direct, NULL), "huge pages asked for with hugeram=0");
	for (int i = 0; i < 6; i++)
		__free_pages(blk[i], 9);
	check_and_shutdown();
}

Test(anonram, bad_hugeram_fails_the_boot)
{
	cr_assert_neq(kmm_boot("mem=256M hugeram=lots"), 0);
	cr_assert_neq(kmm_boot("mem=256M hugeram=100"), 0);
}

/*
 * Threads that vmap() the same pages at once, pages written through the
 * direct map just before: the first to share a run copies what the
 * direct map holds into the file and then maps the file there.  The
 * others must wait for that: an alias mapped before the copy reads the
 * file's zeros, and what is written through it is overwritten by the
 * copy.  Each thread checks the data through its alias, then leaves a
 * mark in every page, which the direct map must show afterwards.
 */
#define RACE_ORDER	8
#define RACE_PAGES	(1 << RACE_ORDER)
#define RACE_THREADS	3
#define RACE_ROUNDS	40

struct vmap_racer {
	struct page **pages;
	pthread_barrier_t *start;
	int id, round;
};

static void *vmap_racer(void *arg)
{
	struct vmap_racer *r = arg;

	pthread_barrier_wait(r->start);
	unsigned char *v = vmap(r->pages, RACE_PAGES, VM_MAP, PAGE_KERNEL);
	if (!v) {
		test_error("round %d thread %d: vmap failed", r->round, r->id);
		return NULL;
	}
	for (int i = 0; i < RACE_PAGES; i++) {
		unsigned char *p = v + i * PAGE_SIZE, want = (unsigned char)(r->round + i);
		if (p[PAGE_SIZE - 1] != want || p[PAGE_SIZE / 2] != want) {
			test_error("round %d thread %d: page %d reads %#x through the alias, not %#x",
				   r->round, r->id, i, p[PAGE_SIZE - 1], want);
			break;
		}
		p[r->id] = (unsigned char)(0xf0 + r->id);
	}
	vunmap(v);
	return NULL;
}

Test(anonram, racing_vmaps_of_written_pages_see_the_data)
{
	boot_or_die(BOOT);
	static struct page *pages[RACE_PAGES];
	for (int round = 0; round < RACE_ROUNDS && !error_count(); round++) {
		struct page *block = alloc_pages(GFP_KERNEL, RACE_ORDER);
		cr_assert(block);
		for (int i = 0; i < RACE_PAGES; i++) {
			pages[i] = block + i;
			memset(page_address(pages[i]), round + i, PAGE_SIZE);
		}
		pthread_barrier_t start;
		pthread_t t[RACE_THREADS];
		struct vmap_racer r[RACE_THREADS];
		pthread_barrier_init(&start, NULL, RACE_THREADS);
		for (int k = 0; k < RACE_THREADS; k++) {
			r[k] = (struct vmap_racer){ pages, &start, k, round };
			cr_assert_eq(pthread_create(&t[k], NULL, vmap_racer, &r[k]), 0);
		}
		for (int k = 0; k < RACE_THREADS; k++)
			pthread_join(t[k], NULL);
		pthread_barrier_destroy(&start);
		for (int i = 0; i < RACE_PAGES && !error_count(); i++) {
			unsigned char *d = page_address(pages[i]);
			for (int k = 0; k < RACE_THREADS; k++)
				if (d[k] != 0xf0 + k)
					test_error("round %d: page %d lost thread %d's mark (%#x)",
						   round, i, k, d[k]);
		}
		cr_assert_eq(kmm_check(), 0);
		vm_unmap_aliases();
		__free_pages(block, RACE_ORDER);
	}
	cr_assert_eq(error_count(), 0, "%lu errors, the first: %s", error_count(), first_error());
	cr_assert_eq(plat_ram_nr_shared, 0);
	check_and_shutdown();
}

/*
 * A fork finds the RAM file's mappings in ram.c's record, without reading
 * /proc/self/maps, however many runs of the direct map are shared (more
 * than the 32 entries the record had when it held them) and however
 * unsharing split them: the direct map's shared pieces are listed from
 * their bits.  The child's
 * copy is still its own at every piece.
 */
#define PIECES	40

Test(anonram, fork_lists_shared_pieces_without_reading_the_maps)
{
	boot_or_die(BOOT);
	static struct page *block[PIECES];
	/* 40 runs: the first page of each two-page block shared, its second not. */
	for (int i = 0; i < PIECES; i++) {
		block[i] = alloc_pages(GFP_KERNEL, 1);
		cr_assert(block[i]);
		memset(page_address(block[i]), i + 1, PAGE_SIZE);
		void *v = vmap(&block[i], 1, VM_MAP, PAGE_KERNEL);
		cr_assert(v);
		vunmap(v);
		vm_unmap_aliases();	/* the alias is gone (not the record's): the page stays shared */
	}
	/* A run of four, its middle pages freed one at a time: two runs of one. */
	struct page *four = alloc_pages(GFP_KERNEL, 2), *quad[4];
	cr_assert(four);
	split_page(four, 2);
	for (int i = 0; i < 4; i++) {
		quad[i] = four + i;
		memset(page_address(quad[i]), 0x80 + i, PAGE_SIZE);
	}
	void *v = vmap(quad, 4, VM_MAP, PAGE_KERNEL);
	cr_assert(v);
	vunmap(v);
	vm_unmap_aliases();
	__free_page(quad[1]);
	__free_page(quad[2]);
	cr_assert_eq(plat_ram_nr_shared, PIECES + 2);
	cr_assert_eq(kmm_check(), 0);

	int to_child[2], to_parent[2];
	cr_assert_eq(pipe(to_child), 0);
	cr_assert_eq(pipe(to_parent), 0);
	bool maps_read;
	pid_t pid = fork_settled(&maps_read);
	if (pid == 0) {
		int bad = maps_read;	/* 1: the record was not trusted */
		char c;

		for (int i = 0; i < PIECES; i++)
			((unsigned char *)page_address(block[i]))[0] = 0xcc;
		((unsigned char *)page_address(quad[3]))[0] = 0xcc;
		if (write(to_parent[1], "w", 1) != 1 || read(to_child[0], &c, 1) != 1)
			bad |= 2;
		/* The parent wrote 0xdd at byte 1 of each meanwhile: none is seen here. */
		for (int i = 0; i < PIECES; i++) {
			unsigned char *d = page_address(block[i]);
			if (d[0] != 0xcc || d[1] != i + 1)
				bad |= 4;
		}
		unsigned char *d = page_address(quad[3]);
		if (d[0] != 0xcc || d[1] != 0x83)
			bad |= 8;
		if (kmm_check())
			bad |= 16;
		_exit(bad);
	}
	cr_assert_gt(pid, 0);
	char c;
	cr_assert_eq(read(to_parent[0], &c, 1), 1);
	/* The child has written: nothing of it here. */
	for (int i = 0; i < PIECES; i++) {
		unsigned char *d = page_address(block[i]);
		cr_expect_eq(d[0], i + 1, "piece %d", i);
		d[1] = 0xdd;
	}
	unsigned char *d = page_address(quad[3]);
	cr_expect_eq(d[0], 0x83);
	d[1] = 0xdd;
	cr_assert_eq(write(to_child[1], "p", 1), 1);
	int status;
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %#x", status);
	for (int i = 0; i < PIECES; i++)
		__free_pages(block[i], 1);
	__free_page(quad[0]);
	__free_page(quad[3]);
	cr_assert_eq(plat_ram_nr_shared, 0);
	check_and_shutdown();
}

/*
 * A zeroed allocation of many pages zeroes only the parts the host backs,
 * found with PAGEMAP_SCAN: /proc/self/pagemap is opened once for all of
 * them, not once per part (some 32 times for a block written page by page).
 */
Test(anonram, zeroing_opens_pagemap_once)
{
	boot_or_die(BOOT);
	for (int round = 0; round < 4; round++) {
		struct page *p = alloc_pages(GFP_KERNEL, 7);
		cr_assert(p);
		unsigned char *d = page_address(p);
		for (int i = 0; i < 128; i += 2)	/* 64 backed parts */
			d[i * PAGE_SIZE + 9] = 0x5a;
		__free_pages(p, 7);
		unsigned long opens = plat_pagemap_opens();
		p = alloc_pages(GFP_KERNEL | __GFP_ZERO, 7);
		cr_assert(p);
		cr_assert_leq(plat_pagemap_opens() - opens, round ? 0 : 1, "round %d: %lu opens",
			      round, plat_pagemap_opens() - opens);
		d = page_address(p);
		for (int i = 0; i < 128; i++)
			cr_assert_eq(d[i * PAGE_SIZE + 9], 0, "page %d", i);
		__free_pages(p, 7);
	}
	check_and_shutdown();
}

/* The descriptor kmm holds of /proc/PID/pagemap for this process, or -1. */
static int held_pagemap_fd(void)
{
	char want[64], path[64], link[64];
	int found = -1;

	snprintf(want, sizeof(want), "/proc/%d/pagemap", (int)getpid());
	for (int fd = 0; fd < 1024 && found < 0; fd++) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		ssize_t n = readlink(path, link, sizeof(link) - 1);
		if (n > 0) {
			link[n] = '\0';
			if (!strcmp(link, want))
				found = fd;
		}
	}
	return found;
}

/*
 * The program may close kmm's pagemap descriptor and get its number back
 * for a file of its own: kmm then opens another and leaves the program's
 * alone, whether it zeroes or shares pages, forks or shuts down.
 */
Test(anonram, a_pagemap_descriptor_taken_by_the_program_stays_its_own)
{
	boot_or_die(BOOT);
	/* A zeroing of pages some of which the host backs asks the pagemap. */
	struct page *p = alloc_pages(GFP_KERNEL, 7);
	cr_assert(p);
	for (int i = 0; i < 128; i += 2)
		((unsigned char *)page_address(p))[i * PAGE_SIZE] = 1;
	__free_pages(p, 7);
	p = alloc_pages(GFP_KERNEL | __GFP_ZERO, 7);
	cr_assert(p);
	__free_pages(p, 7);
	int fd = held_pagemap_fd();
	cr_assert_geq(fd, 0, "kmm holds no pagemap descriptor");
	int null = open("/dev/null", O_RDONLY);
	cr_assert_geq(null, 0);
	cr_assert_eq(dup2(null, fd), fd);	/* closes kmm's: the number is the program's */
	close(null);
	struct stat mine;
	cr_assert_eq(fstat(fd, &mine), 0);

	/* A share copies what the pages hold: through a pagemap, not the program's file. */
	p = alloc_pages(GFP_KERNEL, 3);
	cr_assert(p);
	struct page *pages[8];
	for (int i = 0; i < 8; i++) {
		pages[i] = p + i;
		memset(page_address(p + i), 0x30 + i, PAGE_SIZE);
	}
	split_page(p, 3);
	unsigned char *v = vmap(pages, 8, VM_MAP, PAGE_KERNEL);
	cr_assert(v, "vmap of written pages failed");
	for (int i = 0; i < 8; i++)
		cr_assert_eq(v[i * PAGE_SIZE + 5], 0x30 + i, "page %d through the alias", i);
	vunmap(v);
	for (int i = 0; i < 8; i++)
		__free_page(pages[i]);

	pid_t pid = fork_settled(NULL);
	if (pid == 0) {
		struct stat st;
		_exit(fstat(fd, &st) || st.st_ino != mine.st_ino || kmm_check() ? 1 : 0);
	}
	int status;
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %#x", status);
	check_and_shutdown();
	struct stat st;
	cr_assert_eq(fstat(fd, &st), 0, "shutdown closed the program's descriptor");
	cr_assert_eq(st.st_ino, mine.st_ino);
	close(fd);
}

/*
 * In a forked child, the pages it writes are its own, which the parent's
 * /proc/PID/pagemap does not show: a zeroing of them must ask the child's
 * own, or it skips them and hands out what the child wrote.  The block is
 * one the parent holds and the host does not back for it (plat_ram_zero()
 * gave its memory back).  Through kmm's fork handlers (@handlers) and
 * through a plain fork().
 */
static int child_zeroes_what_it_wrote(struct page *block, bool handlers)
{
	unsigned char *d = page_address(block);
	phys_addr_t start = page_to_phys(block), end = start + 128 * PAGE_SIZE;

	if (handlers && kmm_fork_child())
		kmm_fork_child_settle();
	memset(d, 0xa5, 128 * PAGE_SIZE);
	if (!plat_ram_backed(&start, &end) || start != page_to_phys(block))
		return 1;
	kernel_init_pages(block, 128);
	for (int i = 0; i < 128; i++)
		if (d[i * PAGE_SIZE] || d[i * PAGE_SIZE + PAGE_SIZE - 1])
			return 2;
	return 0;
}

static void fork_and_zero(bool handlers)
{
	struct page *block = alloc_pages(GFP_KERNEL | __GFP_ZERO, 7);
	cr_assert(block);
	/* The parent's pagemap is open, and the block holds nothing of the parent's. */
	cr_assert_geq(plat_pagemap_opens(), 1);
	plat_ram_zero(page_to_phys(block), 128 * PAGE_SIZE);
	if (handlers)
		kmm_fork_prepare();
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0)
		_exit(child_zeroes_what_it_wrote(block, handlers));
	if (handlers)
		kmm_fork_parent();
	int status;
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s: child status %#x",
		  handlers ? "kmm's handlers" : "plain fork", status);
	__free_pages(block, 7);
}

Test(anonram, a_forked_child_zeroes_what_it_wrote)
{
	boot_or_die(BOOT);
	fork_and_zero(true);
	fork_and_zero(false);
	check_and_shutdown();
}

/*
 * A shared page of the direct map taken out of it (its protection none,
 * as debug_pagealloc and secretmem do) stays out of it in a forked child:
 * the child's record of the RAM file's mappings lists the direct map's
 * shared pieces read-write from their bits, so a protected one must make
 * the child find its mappings in /proc/self/maps instead.
 */
Test(anonram, a_shared_page_out_of_the_direct_map_stays_out_in_a_child)
{
	boot_or_die(BOOT);
	struct page *page = alloc_page(GFP_KERNEL);
	cr_assert(page);
	void *v = vmap(&page, 1, VM_MAP, PAGE_KERNEL);
	cr_assert(v);
	cr_assert(plat_ram_shared(page_to_phys(page), PAGE_SIZE));
	cr_assert_eq(set_direct_map_valid_noflush(page, 1, false), 0);

	/* The child says it is settled: only the read below may end it then. */
	int settled[2];
	cr_assert_eq(pipe(settled), 0);
	pid_t pid = fork_settled(NULL);
	if (pid == 0) {
		close(settled[0]);
		(void)!write(settled[1], "s", 1);
		read_byte(page_address(page));
		_exit(0);
	}
	close(settled[1]);
	int status;
	char byte;
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert_eq(read(settled[0], &byte, 1), 1, "the child died settling (status %#x)", status);
	close(settled[0]);
	/* The host's fault; under a sanitizer, its handler's report, then abort or exit. */
	int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
	bool faulted = sig == SIGSEGV || sig == SIGBUS ||
		       (KMM_SANITIZER_EXITS &&
			(sig == SIGABRT || (WIFEXITED(status) && WEXITSTATUS(status) != 0)));
	cr_assert(faulted, "the child's read of the page out of its direct map: status %#x", status);
	cr_assert_eq(set_direct_map_valid_noflush(page, 1, true), 0);
	vunmap(v);
	__free_page(page);
	check_and_shutdown();
}

/*
 * A process with many vmalloc areas at once (a program's huge blocks):
 * its fork still finds them in ram.c's record, and the child's writes
 * through each of them stay its own.
 */
#define AREAS	100

Test(anonram, fork_with_many_vmalloc_areas_reads_no_maps)
{
	boot_or_die(BOOT);
	static unsigned char *area[AREAS];
	for (int i = 0; i < AREAS; i++) {
		area[i] = vmalloc(2 * PAGE_SIZE);
		cr_assert(area[i]);
		memset(area[i], i + 1, 2 * PAGE_SIZE);
	}
	int to_parent[2];
	cr_assert_eq(pipe(to_parent), 0);
	bool maps_read;
	pid_t pid = fork_settled(&maps_read);
	if (pid == 0) {
		int bad = maps_read;
		for (int i = 0; i < AREAS; i++)
			area[i][PAGE_SIZE + 3] = 0xcc;
		for (int i = 0; i < AREAS; i++)
			if (area[i][PAGE_SIZE + 3] != 0xcc || area[i][0] != i + 1)
				bad |= 2;
		_exit(bad);
	}
	cr_assert_gt(pid, 0);
	int status;
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %#x", status);
	for (int i = 0; i < AREAS; i++) {
		cr_expect_eq(area[i][PAGE_SIZE + 3], i + 1, "area %d", i);
		vfree(area[i]);
	}
	check_and_shutdown();
}

/*
 * A fork while another thread of the parent shares pages (a vmap of
 * written pages) or unshares them (their free): that thread stops in the
 * child on one side or the other of its mmap() of the direct map, and the
 * child's bits must say what its direct map holds there all the same.  A
 * set bit over anonymous memory would fail kmm_check(), and a new alias of
 * those pages would skip their share: what the child writes through it
 * would not be in the direct map.  A fork lands in a share in about one
 * try of three here; the test stops at the first inconsistent child.
 */
#define FLIGHT_ORDER	9
#define FLIGHT_PAGES	(1 << FLIGHT_ORDER)
#define FLIGHT_FORKS	40

static int flight_stop;
static struct page *flight_block;

static void *flight_sharer(void *arg)
{
	static struct page *pages[FLIGHT_PAGES];

	(void)arg;
	while (!__atomic_load_n(&flight_stop, __ATOMIC_RELAXED)) {
		struct page *b = alloc_pages(GFP_KERNEL, FLIGHT_ORDER);
		if (!b)
			continue;
		for (int i = 0; i < FLIGHT_PAGES; i++) {
			pages[i] = b + i;
			memset(page_address(b + i), 0x77, PAGE_SIZE);
		}
		__atomic_store_n(&flight_block, b, __ATOMIC_RELAXED);
		void *v = vmap(pages, FLIGHT_PAGES, VM_MAP, PAGE_KERNEL);
		__atomic_store_n(&flight_block, NULL, __ATOMIC_RELAXED);
		if (v)
			vunmap(v);
		vm_unmap_aliases();
		__free_pages(b, FLIGHT_ORDER);
	}
	return NULL;
}

/* The child: 0 if consistent; 1 kmm_check() failed; 2 an alias's write is not in the direct map. */
static int flight_child(struct page *b)
{
	static struct page *pages[FLIGHT_PAGES];
	int r = kmm_check() ? 1 : 0;

	if (!b)
		return r;
	for (int k = 0; k < FLIGHT_PAGES; k++)
		pages[k] = b + k;
	unsigned char *v = vmap(pages, FLIGHT_PAGES, VM_MAP, PAGE_KERNEL);
	if (!v)
		return r | 4;
	for (int k = 0; k < FLIGHT_PAGES; k++) {
		v[k * PAGE_SIZE + 5] = 0x99;
		if (((unsigned char *)page_address(b + k))[5] != 0x99)
			return r | 2;
	}
	vunmap(v);
	return r;
}

Test(anonram, a_fork_during_a_share_leaves_the_child_consistent, .timeout = 60)
{
	boot_or_die(BOOT);
	pthread_t t;
	int bad = 0, forks = 0;

	cr_assert_eq(pthread_create(&t, NULL, flight_sharer, NULL), 0);
	for (int i = 0; i < FLIGHT_FORKS && !bad; i++) {
		usleep(200 + (i * 37) % 900);
		struct page *b = __atomic_load_n(&flight_block, __ATOMIC_RELAXED);
		pid_t pid = fork_settled(NULL);
		if (pid == 0) {
			kmm_set_console(stderr);
			_exit(flight_child(b));
		}
		int status;
		cr_assert_eq(waitpid(pid, &status, 0), pid);
		forks++;
		if (!WIFEXITED(status) || WEXITSTATUS(status)) {
			bad++;
			fprintf(stderr, "fork %d: child status %#x\n", i, status);
		}
	}
	__atomic_store_n(&flight_stop, 1, __ATOMIC_RELAXED);
	pthread_join(t, NULL);
	cr_assert_eq(bad, 0, "a child of %d forks was inconsistent", forks);
	check_and_shutdown();
}
