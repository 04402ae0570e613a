/* SPDX-License-Identifier: MIT */
/*
 * Physical RAM and host mappings.
 *
 * The machine's RAM is one memory file (memfd) of the RAM's size.  The host
 * backs a page of it only when it is first written, so a machine of a
 * terabyte costs what it touches.  Kernel virtual addresses live in one
 * reserved window of host address space; mapping a physical range at an
 * address inside it is one mmap(MAP_FIXED) of the memory file, and
 * unmapping puts an inaccessible reservation back.  Every address the
 * library hands out is a real pointer, so a stray access faults for real.
 *
 * Anonymous RAM (ram=anon).  A first touch of a page of the memory file
 * through a shared mapping is a shmem fault, some 2 us on these hosts,
 * against some 1.2 us for private anonymous memory, and a process's exit
 * tears the file down too: a program whose malloc runs on the machine
 * pays it for every page its heap touches.  So RAM may be two things at
 * once: the direct map is private anonymous memory (a private mapping
 * of /dev/zero at offsets equal to the physical addresses, which is
 * anonymous memory for the host but keeps its pieces mergeable and tells
 * them apart in /proc/self/maps), and the file holds what the direct map
 * does not: RAM above it (highmem) and the pages that have a second
 * mapping.  A page mapped a second time (vmalloc, vmap, percpu, kmap)
 * must be the same memory at both addresses, so before the alias is
 * mapped the page is "shared": what the direct map holds of it is
 * copied into the file (only the pages the host backs, found with
 * PAGEMAP_SCAN) and the file is mapped over it in the direct map.  Its
 * owner frees it to the allocator through plat_ram_unshare(), which maps
 * anonymous memory back and punches the file's copy away.
 *
 * Invariants: a bit per page of the direct map says it maps the file
 * (shared_map); the file holds zeros (a hole) at every page whose bit is
 * clear, so a page shared later needs only its backed pages copied; the
 * host mappings of the direct map are 1 + 2 * shared_runs at most (each
 * maximal run of shared pages splits the anonymous mapping once more:
 * its pieces merge with their neighbours, their offsets being
 * contiguous), and that is what is charged against vm.max_map_count.
 * Only the owner of a page unshares it, and only the owner writes it
 * through the direct map while it is being shared: a copy racing such a
 * write would lose it.  Several threads may share a page at once (two
 * vmap()s of it): the first sets its bits and enters the run as in
 * flight (share_flights) until the file holds the data and the direct
 * map maps the file; the others wait for it to land, or their alias
 * would read the file before the copy, and what they write through it
 * would be overwritten by the copy.  A fork while a share or unshare is
 * under way leaves the child that thread's half of it: the child mends
 * its bits once its RAM is its own (plat_ram_fork_mend()).
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/falloc.h>
#include "platform.h"
#include "pagemap.h"

static int ram_fd = -1;
static u64 ram_size;
static long nr_mappings;
static unsigned long nr_host_calls;

/* The direct map (see the top of the file). */
#define RAM_PAGE		4096UL
#define MAP_BITS		(8 * sizeof(unsigned long))
#define min(a, b)		((a) < (b) ? (a) : (b))
static char *direct_base;	/* RAM [0, direct_len) is mapped here */
static u64 direct_len;
static bool ram_anon;		/* ... as anonymous memory, shared page by page */
static int zero_fd = -1;	/* /dev/zero, or -1: plain MAP_ANONYMOUS */
static unsigned long *shared_map;	/* a bit per page of the direct map: it maps the file */
static size_t shared_map_bytes;
long plat_ram_nr_shared;	/* pages whose bit is set */
static long shared_runs;	/* maximal runs of set bits; 2 host mappings each */
static unsigned long shared_lo, shared_hi;	/* no bit is set outside [shared_lo, shared_hi) */
static spinlock_t shared_lock;	/* the bits and the two counts */
/* Runs whose bits are set and whose share is under way (shared_lock); see the top. */
#define SHARE_FLIGHTS		16
static struct share_flight {
	unsigned long a, b;	/* pages [a, b) of the direct map */
} share_flights[SHARE_FLIGHTS];
static int share_nr_flights;
static int share_waiters;	/* sharers waiting for a flight to land */
static unsigned int share_landed;	/* event: a flight landed */
static bool direct_huge;	/* plat_ram_huge(): every anonymous piece is advised */
static long share_busy, share_done;	/* changes under way and made: for the validator */
static bool share_torn;		/* forked with shared_lock held: the counts may not be the bits' */

int plat_ram_create(u64 size)
{
	int fd = memfd_create("kmm-ram", MFD_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)size) < 0) {
		int err = -errno;
		close(fd);
		return err;
	}
	ram_fd = fd;
	ram_size = size;
	return 0;
}

void plat_ram_destroy(void)
{
	if (ram_fd >= 0)
		close(ram_fd);
	ram_fd = -1;
	ram_size = 0;
	__atomic_store_n(&nr_mappings, 0, __ATOMIC_RELAXED);
}

u64 plat_ram_size(void)
{
	return ram_size;
}

int plat_ram_file(void)
{
	return ram_fd;
}

void plat_ram_file_replace(int fd)
{
	close(ram_fd);
	ram_fd = fd;
}

static void direct_reset(void);

/* --- which pages of the direct map are the file's --- */

static inline bool page_shared(unsigned long pfn)
{
	return __atomic_load_n(&shared_map[pfn / MAP_BITS], __ATOMIC_RELAXED) >>
	       (pfn % MAP_BITS) & 1;
}

/* The first pfn in [pfn, end) whose bit is @set, or @end. */
static unsigned long find_state(unsigned long pfn, unsigned long end, bool set)
{
	while (pfn < end) {
		unsigned long w = __atomic_load_n(&shared_map[pfn / MAP_BITS], __ATOMIC_RELAXED);

		w = (set ? w : ~w) & (~0UL << (pfn % MAP_BITS));
		if (w) {
			unsigned long r = pfn / MAP_BITS * MAP_BITS + (unsigned long)__builtin_ctzl(w);
			return r < end ? r : end;
		}
		pfn = (pfn / MAP_BITS + 1) * MAP_BITS;
	}
	return end;
}

/*
 * The pages [*@first, *@last) of the direct map that host addresses
 * [@start, @end) cover, a page partly covered counted.  Return: false if
 * none.
 */
static bool direct_pages_in(unsigned long start, unsigned long end, unsigned long *first,
			    unsigned long *last)
{
	unsigned long lo = (unsigned long)direct_base, hi = lo + direct_len;
	unsigned long s = start > lo ? start : lo, e = min(end, hi);

	if (s >= e)
		return false;
	*first = (s - lo) / RAM_PAGE;
	*last = (e - lo + RAM_PAGE - 1) / RAM_PAGE;
	return true;
}

/* A walk of the host's mappings in address order may stop after @m: past the direct map. */
static int past_direct_map(const struct plat_mapping *m)
{
	return m->start >= (unsigned long)direct_base + direct_len;
}

/*
 * The part of [phys, end) from @phys on that is all one thing: anonymous
 * memory of the direct map (true), or the file (false: a shared page, or
 * RAM above the direct map).  Its end is returned in *@run_end.
 */
static bool run_is_anon(phys_addr_t phys, phys_addr_t end, phys_addr_t *run_end)
{
	if (!ram_anon || phys >= direct_len) {
		*run_end = end;
		return false;
	}
	unsigned long pfn = phys / RAM_PAGE;
	unsigned long last = (min(end, direct_len) + RAM_PAGE - 1) / RAM_PAGE;
	/* One load: a count read twice could say "shared" and then "none". */
	bool any = __atomic_load_n(&plat_ram_nr_shared, __ATOMIC_RELAXED) != 0;
	bool shared = any && page_shared(pfn);
	unsigned long next = any ? find_state(pfn, last, !shared) : last;

	*run_end = min((phys_addr_t)next * RAM_PAGE, end);
	return !shared;
}

long plat_ram_alias_cost(long runs)
{
	return ram_anon ? 2 * runs : 0;
}

static void file_zero(phys_addr_t phys, size_t len)
{
	/* Punching a hole zeroes the range and gives its memory back to the host. */
	if (fallocate(ram_fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		      (off_t)phys, (off_t)len) == 0)
		return;
	static const char zeros[4096];
	for (size_t done = 0; done < len; done += sizeof(zeros))
		(void)!pwrite(ram_fd, zeros, sizeof(zeros), (off_t)(phys + done));
}

void plat_ram_zero(phys_addr_t phys, size_t len)
{
	for (phys_addr_t end = phys + len, e; phys < end; phys = e) {
		/* Private anonymous memory: dropping it zeroes it. */
		if (!run_is_anon(phys, end, &e) ||
		    madvise(direct_base + phys, e - phys, MADV_DONTNEED))
			file_zero(phys, e - phys);
	}
}

struct first_part {
	unsigned long start, end;
};

static int take_first(unsigned long s, unsigned long e, void *arg)
{
	*(struct first_part *)arg = (struct first_part){ s, e };
	return 1;
}

/* The first part of anonymous [*start, *end) the host backs (present or swapped). */
static bool anon_backed(phys_addr_t *start, phys_addr_t *end)
{
	struct first_part r;
	/* The host's zero page, mapped by a read, holds nothing. */
	int ret = pagemap_for_each_backed((unsigned long)(direct_base + *start),
					  (unsigned long)(direct_base + *end), PAGE_IS_PFNZERO,
					  1, take_first, &r);

	if (ret < 0)
		return true;	/* cannot tell: all of it */
	if (ret == 0)
		return false;
	*start = r.start - (unsigned long)direct_base;
	*end = r.end - (unsigned long)direct_base;
	return true;
}

static bool file_backed(phys_addr_t *start, phys_addr_t *end)
{
	off_t data, hole;

	data = lseek(ram_fd, (off_t)*start, SEEK_DATA);
	if (data < 0)
		return errno != ENXIO;	/* ENXIO: no data from *start to the file's end */
	if ((phys_addr_t)data >= *end)
		return false;
	hole = lseek(ram_fd, data, SEEK_HOLE);	/* the file's end is a hole */
	*start = (phys_addr_t)data;
	if (hole > data && (phys_addr_t)hole < *end)
		*end = (phys_addr_t)hole;
	return true;
}

bool plat_ram_backed(phys_addr_t *start, phys_addr_t *end)
{
	if (!plat_ram_file_is_whole())
		return true;
	for (phys_addr_t pos = *start, e; pos < *end; pos = e) {
		phys_addr_t s = pos;
		bool anon = run_is_anon(pos, *end, &e);
		phys_addr_t re = e;

		if (anon ? anon_backed(&s, &re) : file_backed(&s, &re)) {
			*start = s;
			*end = re;
			return true;
		}
	}
	return false;
}

int plat_ram_read(phys_addr_t phys, void *buf, size_t len)
{
	for (phys_addr_t end = phys + len, e; phys < end; buf = (char *)buf + (e - phys), phys = e) {
		if (run_is_anon(phys, end, &e))
			memcpy(buf, direct_base + phys, e - phys);
		else if (pread(ram_fd, buf, e - phys, (off_t)phys) != (ssize_t)(e - phys))
			return -EIO;
	}
	return 0;
}

int plat_ram_write(phys_addr_t phys, const void *buf, size_t len)
{
	for (phys_addr_t end = phys + len, e; phys < end;
	     buf = (const char *)buf + (e - phys), phys = e) {
		if (run_is_anon(phys, end, &e))
			memcpy(direct_base + phys, buf, e - phys);
		else if (pwrite(ram_fd, buf, e - phys, (off_t)phys) != (ssize_t)(e - phys))
			return -EIO;
	}
	return 0;
}

/*
 * The RAM file's mappings, as this file makes them: a forked child maps
 * its own copy of RAM at the same places (ram_fork.c), and a walk of
 * /proc/self/maps to find them cost every fork of a shell some 30 us.
 * With ram=anon, the direct map's pieces that map the file are its runs
 * of shared pages, read-write, at offsets equal to their physical
 * addresses: they are listed from the bits, however many and however
 * split.  The others (the direct map of ram=memfd, vmalloc runs, kmaps)
 * are entered in a table, of a size that a program with a few hundred
 * huge blocks or threads' stacks at once still fits: in the BSS, its
 * pages backed as they are first used, its entries unsorted (scanned
 * at each unmap, a few hundred loads beside a system call).  Past its
 * size, or after a change it cannot follow exactly (a part of a mapping
 * unmapped, remapped or protected, a shared piece of the direct map
 * protected), it is given up until the window goes, no longer kept, and
 * the child reads /proc/self/maps.
 *
 * A change is entered in the table before the host call and counted in
 * ram_maps_busy until the call is done, a share or unshare in share_busy
 * from before its bits change to after its host call: a fork that comes
 * in between (another thread's vmalloc) finds a count raised, and the walk.
 */
#define RAM_MAPS_MAX	512
/*
 * The addresses are kept scrambled: a conservative scan (kmemleak) reads
 * this file's data for pointers, and a vmalloc area's address here would
 * keep a leaked area from being reported.
 */
#define RAM_MAPS_HIDE	0x6b6d6d2d6d617073UL	/* "kmm-maps" */
static struct ram_map {
	unsigned long hstart, hend;	/* start and end ^ RAM_MAPS_HIDE */
	u64 phys;
	int prot;
} ram_maps[RAM_MAPS_MAX];
static int ram_maps_nr;
static bool ram_maps_lost;
static int ram_maps_busy;
static spinlock_t ram_maps_lock;

static void ram_maps_begin(void)
{
	__atomic_add_fetch(&ram_maps_busy, 1, __ATOMIC_ACQ_REL);
	plat_lock(&ram_maps_lock);
}

static void ram_maps_end(void)
{
	plat_unlock(&ram_maps_lock);
}

/* A host call failed: what is mapped there is not known, so the table is given up. */
static void ram_maps_give_up(void)
{
	plat_lock(&ram_maps_lock);
	ram_maps_lost = true;
	plat_unlock(&ram_maps_lock);
}

static void ram_maps_done(void)
{
	__atomic_sub_fetch(&ram_maps_busy, 1, __ATOMIC_ACQ_REL);
}

static void ram_maps_add(unsigned long start, size_t len, u64 phys, int prot)
{
	if (ram_maps_lost)
		return;
	if (ram_maps_nr == RAM_MAPS_MAX) {
		ram_maps_lost = true;
		return;
	}
	ram_maps[ram_maps_nr++] = (struct ram_map){ start ^ RAM_MAPS_HIDE,
						     (start + len) ^ RAM_MAPS_HIDE, phys, prot };
}

/* Forget the mappings inside [start, start+len); one only partly inside loses the table. */
static void ram_maps_remove(unsigned long start, size_t len)
{
	unsigned long end = start + len;

	if (ram_maps_lost)
		return;
	for (int i = 0; i < ram_maps_nr;) {
		struct ram_map *m = &ram_maps[i];
		unsigned long ms = m->hstart ^ RAM_MAPS_HIDE, me = m->hend ^ RAM_MAPS_HIDE;

		if (me <= start || ms >= end) {
			i++;
			continue;
		}
		if (ms < start || me > end)
			ram_maps_lost = true;
		*m = ram_maps[--ram_maps_nr];
	}
}

static void ram_maps_reset(void)
{
	ram_maps_nr = 0;
	ram_maps_lost = false;
}

void plat_ram_maps_fork_child(void)
{
	pagemap_fork_child();
	/* A change another thread of the parent was making is lost with it. */
	if (__atomic_load_n(&ram_maps_busy, __ATOMIC_RELAXED))
		ram_maps_lost = true;
	ram_maps_busy = 0;
	ram_maps_lock = (spinlock_t){ 0 };
	/*
	 * A share or unshare another thread was making is lost with it: its
	 * pages leak, as its vmalloc.  But its bits may not say what the
	 * direct map holds: share_busy stays raised (the bits are not a
	 * record yet) until plat_ram_fork_mend() has made them say it.
	 */
	share_torn = __atomic_load_n(&shared_lock.locked, __ATOMIC_RELAXED) != 0;
	shared_lock = (spinlock_t){ 0 };
	share_nr_flights = 0;
	share_waiters = 0;
}

bool plat_ram_file_unused(void)
{
	struct stat st;
	bool unused;

	if (!ram_anon)
		return false;
	plat_lock(&ram_maps_lock);
	unused = !__atomic_load_n(&ram_maps_busy, __ATOMIC_ACQUIRE) && !ram_maps_lost &&
		 !ram_maps_nr && !__atomic_load_n(&share_busy, __ATOMIC_ACQUIRE) &&
		 !__atomic_load_n(&plat_ram_nr_shared, __ATOMIC_RELAXED);
	plat_unlock(&ram_maps_lock);
	return unused && !fstat(ram_fd, &st) && st.st_blocks == 0;
}

/* The direct map's pieces that map the file: its runs of shared pages (see above). */
static int for_each_shared_piece(int (*fn)(const struct plat_mapping *m, void *arg), void *arg)
{
	unsigned long pfn = shared_lo, end = min(shared_hi, direct_len / RAM_PAGE);

	if (!ram_anon || !__atomic_load_n(&plat_ram_nr_shared, __ATOMIC_RELAXED))
		return 0;
	while (pfn < end) {
		unsigned long a = find_state(pfn, end, true), b = find_state(a, end, false);
		if (a >= b)
			break;
		struct plat_mapping m = {
			.start = (unsigned long)direct_base + a * RAM_PAGE,
			.end = (unsigned long)direct_base + b * RAM_PAGE,
			.offset = a * RAM_PAGE, .inode = 0, .prot = PLAT_PROT_READ | PLAT_PROT_WRITE,
			.shared = true, .path = "",
		};
		int ret = fn(&m, arg);

		if (ret)
			return ret;
		pfn = b;
	}
	return 0;
}

int plat_for_each_ram_mapping(int (*fn)(const struct plat_mapping *m, void *arg), void *arg)
{
	if (__atomic_load_n(&ram_maps_busy, __ATOMIC_ACQUIRE) || ram_maps_lost ||
	    __atomic_load_n(&share_busy, __ATOMIC_ACQUIRE))
		return -ENOENT;
	int ret = for_each_shared_piece(fn, arg);

	if (ret)
		return ret < 0 ? ret : 0;
	for (int i = 0; i < ram_maps_nr; i++) {
		struct plat_mapping m = {
			.start = ram_maps[i].hstart ^ RAM_MAPS_HIDE,
			.end = ram_maps[i].hend ^ RAM_MAPS_HIDE,
			.offset = ram_maps[i].phys, .inode = 0, .prot = ram_maps[i].prot,
			.shared = true, .path = "",
		};
		int ret = fn(&m, arg);

		if (ret)
			return ret < 0 ? ret : 0;
	}
	return 0;
}

/*
 * The reservation made for the window, alignment slack included: the
 * slack stays reserved (inaccessible, no memory) until the window goes,
 * two munmap() calls fewer at every boot.
 */
static void *window_span;
static size_t window_span_size;

void *plat_window_reserve(size_t size, size_t align)
{
	size_t span = size + align;
	char *p = mmap(NULL, span, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	window_span = p;
	window_span_size = span;
	__atomic_add_fetch(&nr_mappings, 1, __ATOMIC_RELAXED);
	return (char *)(((unsigned long)p + align - 1) & ~(align - 1));
}

void plat_window_release(void *base, size_t size)
{
	if (window_span && (char *)base >= (char *)window_span &&
	    (char *)base + size <= (char *)window_span + window_span_size)
		munmap(window_span, window_span_size);
	else
		munmap(base, size);
	window_span = NULL;
	window_span_size = 0;
	ram_maps_reset();
	direct_reset();
	__atomic_store_n(&nr_mappings, 0, __ATOMIC_RELAXED);
}

static int host_prot(int prot)
{
	int p = PROT_NONE;

	if (prot & PLAT_PROT_READ)
		p |= PROT_READ;
	if (prot & PLAT_PROT_WRITE)
		p |= PROT_WRITE;
	return p;
}

/* --- the direct map, and pages shared with the file --- */

static void direct_reset(void)
{
	pagemap_close();
	if (zero_fd >= 0)
		close(zero_fd);
	zero_fd = -1;
	plat_host_free(shared_map, shared_map_bytes);
	shared_map = NULL;
	shared_map_bytes = 0;
	direct_base = NULL;
	direct_len = 0;
	ram_anon = false;
	direct_huge = false;
	plat_ram_nr_shared = shared_runs = 0;
	shared_lo = shared_hi = 0;
}

int plat_map_direct(void *addr, u64 len, int prot, bool anon)
{
	long charged = 0;

	direct_base = addr;
	direct_len = len;
	if (!anon)
		return plat_map_run(addr, 0, len, prot, &charged);
	shared_map_bytes = (len / RAM_PAGE + MAP_BITS - 1) / MAP_BITS * sizeof(unsigned long);
	shared_map = plat_host_zalloc_lazy(shared_map_bytes);
	if (!shared_map) {
		direct_reset();
		return -ENOMEM;
	}
	zero_fd = open("/dev/zero", O_RDWR | O_CLOEXEC);
	__atomic_add_fetch(&nr_host_calls, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&nr_mappings, plat_map_cost(1), __ATOMIC_RELAXED);
	void *p = mmap(addr, len, host_prot(prot),
		       MAP_PRIVATE | MAP_FIXED | MAP_NORESERVE | (zero_fd < 0 ? MAP_ANONYMOUS : 0),
		       zero_fd, 0);
	if (p == MAP_FAILED) {
		int err = -errno;
		__atomic_sub_fetch(&nr_mappings, plat_map_cost(1), __ATOMIC_RELAXED);
		direct_reset();
		return err;
	}
	ram_anon = true;
	return 0;
}

bool plat_ram_is_anon(void)
{
	return ram_anon;
}

/*
 * A piece of the direct map mapped anew (shared or unshared) gets the
 * advice its neighbours have, or it would not merge with them: a host
 * mapping more than counted.  The flag is set before the whole map is
 * advised, and read after a piece is mapped: a piece is advised by one
 * or the other, or both.
 */
static void advise_piece(void *addr, size_t len)
{
	if (__atomic_load_n(&direct_huge, __ATOMIC_SEQ_CST))
		(void)madvise(addr, len, MADV_HUGEPAGE);
}

bool plat_ram_huge(void)
{
	if (!ram_anon)
		return false;
	__atomic_store_n(&direct_huge, true, __ATOMIC_SEQ_CST);
	__atomic_add_fetch(&nr_host_calls, 1, __ATOMIC_RELAXED);
	return madvise(direct_base, direct_len, MADV_HUGEPAGE) == 0;
}

/*
 * Set (@set) or clear the bits of [a, b), all of them the other way now,
 * and charge or give back the host mappings the change makes or merges.
 * shared_lock held.
 */
static void flip_bits_locked(unsigned long a, unsigned long b, bool set)
{
	unsigned long npages = direct_len / RAM_PAGE;
	long joins = (a > 0 && page_shared(a - 1)) + (b < npages && page_shared(b));
	long runs = set ? 1 - joins : joins - 1;

	if (set && (!plat_ram_nr_shared || a < shared_lo))
		shared_lo = a;
	if (set && (!plat_ram_nr_shared || b > shared_hi))
		shared_hi = b;
	for (unsigned long pfn = a; pfn < b; pfn++) {
		unsigned long bit = 1UL << (pfn % MAP_BITS);
		if (set)
			__atomic_or_fetch(&shared_map[pfn / MAP_BITS], bit, __ATOMIC_RELAXED);
		else
			__atomic_and_fetch(&shared_map[pfn / MAP_BITS], ~bit, __ATOMIC_RELAXED);
	}
	__atomic_add_fetch(&plat_ram_nr_shared, set ? (long)(b - a) : -(long)(b - a),
			   __ATOMIC_RELAXED);
	/* Charged in the same store (plat_nr_mappings()): a fork cannot tear the two apart. */
	__atomic_store_n(&shared_runs, shared_runs + runs, __ATOMIC_RELAXED);
}

/* Copy part [s, e) of the direct map into the file, at its offset. */
static int copy_part(unsigned long s, unsigned long e, void *arg)
{
	off_t at = (off_t)(s - (unsigned long)direct_base);

	(void)arg;
	return pwrite(ram_fd, (void *)s, e - s, at) == (ssize_t)(e - s) ? 0 : -EIO;
}

/* Copy what the host backs of direct-map pages [a, b) into the file. */
static int copy_to_file(unsigned long a, unsigned long b)
{
	unsigned long start = (unsigned long)direct_base + a * RAM_PAGE;
	unsigned long end = (unsigned long)direct_base + b * RAM_PAGE;
	int err = pagemap_for_each_backed(start, end, PAGE_IS_PFNZERO, 32, copy_part, NULL);

	/* Cannot tell which are backed: all of them. */
	return err == -EOPNOTSUPP ? copy_part(start, end, NULL) : err;
}

/* Pages [a, b) of the direct map, their bits just set: copy them and map the file there. */
static int share_host(unsigned long a, unsigned long b, int prot)
{
	void *addr = direct_base + a * RAM_PAGE;
	size_t len = (b - a) * RAM_PAGE;
	int err = copy_to_file(a, b);

	if (!err) {
		/* Its record is its bits (plat_for_each_ram_mapping()). */
		__atomic_add_fetch(&nr_host_calls, 1, __ATOMIC_RELAXED);
		if (mmap(addr, len, host_prot(prot), MAP_SHARED | MAP_FIXED, ram_fd,
			 (off_t)(a * RAM_PAGE)) == MAP_FAILED)
			err = -errno;
		else
			advise_piece(addr, len);
	}
	if (err) {
		/* The direct map still holds the pages; the file's copy goes. */
		file_zero(a * RAM_PAGE, len);
		plat_lock(&shared_lock);
		flip_bits_locked(a, b, false);
		plat_unlock(&shared_lock);
	}
	return err;
}

/*
 * Must a share of [a, b) wait: a run of it still in flight, or no room for
 * one more when it has one to make (a page of it not shared yet)?
 */
static bool share_must_wait_locked(unsigned long a, unsigned long b)
{
	for (int i = 0; i < share_nr_flights; i++)
		if (share_flights[i].a < b && share_flights[i].b > a)
			return true;
	return share_nr_flights == SHARE_FLIGHTS && find_state(a, b, false) < b;
}

/* Wait for a flight to land.  shared_lock held; dropped. */
static void share_wait_unlock(void)
{
	unsigned int seen = __atomic_load_n(&share_landed, __ATOMIC_ACQUIRE);

	__atomic_add_fetch(&share_waiters, 1, __ATOMIC_RELAXED);
	plat_unlock(&shared_lock);
	/* A second, a safety net only: the lander signals after dropping the lock. */
	plat_event_wait(&share_landed, seen, 1000000);
	__atomic_sub_fetch(&share_waiters, 1, __ATOMIC_RELAXED);
}

/* The share of [a, b) is done (or undone): its waiters may look again. */
static void share_land(unsigned long a, unsigned long b)
{
	bool waiters;

	plat_lock(&shared_lock);
	for (int i = 0; i < share_nr_flights; i++) {
		if (share_flights[i].a == a && share_flights[i].b == b) {
			share_flights[i] = share_flights[--share_nr_flights];
			break;
		}
	}
	waiters = __atomic_load_n(&share_waiters, __ATOMIC_RELAXED);
	plat_unlock(&shared_lock);
	if (waiters)
		plat_event_signal(&share_landed);
}

/*
 * Before RAM [phys, phys+len) gets a mapping outside the direct map: the
 * part of it in the direct map maps the file, so both are the same memory.
 * Returns once every page of it is, by this thread or by another.
 */
static int ram_share(phys_addr_t phys, size_t len)
{
	unsigned long pfn = phys / RAM_PAGE;
	unsigned long end = min(phys + len, direct_len) / RAM_PAGE;
	int err = 0;

	if (!ram_anon || phys >= direct_len)
		return 0;
	__atomic_add_fetch(&share_busy, 1, __ATOMIC_ACQ_REL);
	while (!err && pfn < end) {
		plat_lock(&shared_lock);
		if (share_must_wait_locked(pfn, end)) {
			share_wait_unlock();
			continue;
		}
		unsigned long a = find_state(pfn, end, false);
		unsigned long b = find_state(a, end, true);
		if (a < b) {
			flip_bits_locked(a, b, true);	/* charged before the host maps */
			share_flights[share_nr_flights++] = (struct share_flight){ a, b };
		}
		plat_unlock(&shared_lock);
		if (a < b) {
			err = share_host(a, b, PLAT_PROT_READ | PLAT_PROT_WRITE);
			share_land(a, b);
		}
		pfn = b;
	}
	__atomic_add_fetch(&share_done, 1, __ATOMIC_RELAXED);
	__atomic_sub_fetch(&share_busy, 1, __ATOMIC_ACQ_REL);
	return err;
}

void plat_ram_unshare(phys_addr_t phys, size_t len)
{
	unsigned long pfn = phys / RAM_PAGE;
	unsigned long end;

	if (!ram_anon || phys >= direct_len || !__atomic_load_n(&plat_ram_nr_shared, __ATOMIC_RELAXED))
		return;
	end = min(phys + len, direct_len) / RAM_PAGE;
	__atomic_add_fetch(&share_busy, 1, __ATOMIC_ACQ_REL);
	while (pfn < end) {
		/* The caller owns these pages: their bits change under nobody else. */
		unsigned long a = find_state(pfn, end, true);
		unsigned long b = find_state(a, end, false);
		if (a >= b)
			break;
		void *addr = direct_base + a * RAM_PAGE;
		size_t bytes = (b - a) * RAM_PAGE;

		__atomic_add_fetch(&nr_host_calls, 1, __ATOMIC_RELAXED);
		void *p = mmap(addr, bytes, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_FIXED | MAP_NORESERVE |
			       (zero_fd < 0 ? MAP_ANONYMOUS : 0), zero_fd, (off_t)(a * RAM_PAGE));
		if (p == MAP_FAILED) {
			/*
			 * Still the file's (a failed MAP_FIXED leaves it): still
			 * shared, and correct, its bits the record.
			 */
			pfn = b;
			continue;
		}
		advise_piece(addr, bytes);
		file_zero(a * RAM_PAGE, bytes);
		plat_lock(&shared_lock);
		flip_bits_locked(a, b, false);
		plat_unlock(&shared_lock);
		pfn = b;
	}
	__atomic_add_fetch(&share_done, 1, __ATOMIC_RELAXED);
	__atomic_sub_fetch(&share_busy, 1, __ATOMIC_ACQ_REL);
}

/* The maximal runs of set bits, their pages in *@pages, from *@lo to *@hi. */
static long count_shared_runs(long *pages, unsigned long *lo, unsigned long *hi)
{
	unsigned long n = direct_len / RAM_PAGE;
	long runs = 0;

	*pages = 0;
	*lo = *hi = 0;
	for (unsigned long pfn = 0; pfn < n;) {
		unsigned long a = find_state(pfn, n, true), b = find_state(a, n, false);
		if (a >= b)
			break;
		if (!runs)
			*lo = a;
		*hi = b;
		runs++;
		*pages += (long)(b - a);
		pfn = b;
	}
	return runs;
}

struct mend_walk {
	unsigned long inode;	/* the RAM file's */
	unsigned long a, b;	/* a run of set bits over anonymous memory, or a >= b */
};

static int find_anon_shared(const struct plat_mapping *m, void *arg)
{
	struct mend_walk *w = arg;
	unsigned long first, last;

	if (!direct_pages_in(m->start, m->end, &first, &last))
		return past_direct_map(m);
	if (m->inode == w->inode && m->shared)
		return 0;
	w->a = find_state(first, last, true);
	if (w->a == last)
		return 0;
	w->b = find_state(w->a, last, false);
	return 1;
}

/*
 * A forked child, its RAM its own: the shares and unshares the parent's
 * other threads had under way at fork stopped with them, each on one side
 * or the other of its mmap().  A share before it (bits set, the copy
 * perhaps half done) and an unshare after it (the direct map anonymous
 * again, the bits not yet cleared) leave set bits over anonymous memory;
 * there the anonymous memory is what the page holds (a share has not
 * moved it yet, an unshare has zeroed it for its owner, who was freeing
 * it), so those bits are cleared and the file's copy punched away: the
 * pages are not shared, and a new alias shares them anew.  A share after
 * its mmap() or an unshare before it left the file mapped and the bits
 * set: shared, and consistent.  Which side each was on is read in
 * /proc/self/maps; only a fork during a share or unshare pays for it.
 */
int plat_ram_fork_mend(void)
{
	struct stat st;

	if (!ram_anon || (!__atomic_load_n(&share_busy, __ATOMIC_RELAXED) && !share_torn))
		return 0;
	if (fstat(ram_fd, &st))
		return -errno;
	for (;;) {
		struct mend_walk w = { (unsigned long)st.st_ino, 0, 0 };
		int err = plat_for_each_mapping(find_anon_shared, &w);

		if (err)
			return err;
		if (w.a >= w.b)
			break;
		file_zero(w.a * RAM_PAGE, (w.b - w.a) * RAM_PAGE);
		/* An unshare stopped before its advice: the piece would not merge. */
		advise_piece(direct_base + w.a * RAM_PAGE, (w.b - w.a) * RAM_PAGE);
		plat_lock(&shared_lock);
		flip_bits_locked(w.a, w.b, false);
		plat_unlock(&shared_lock);
	}
	if (share_torn) {
		/* A thread stopped inside flip_bits_locked(): the counts are the bits' again. */
		long pages;

		plat_lock(&shared_lock);
		shared_runs = count_shared_runs(&pages, &shared_lo, &shared_hi);
		plat_ram_nr_shared = pages;
		plat_unlock(&shared_lock);
		share_torn = false;
	}
	__atomic_store_n(&share_busy, 0, __ATOMIC_RELEASE);
	return 0;
}

bool plat_ram_shared(phys_addr_t phys, size_t len)
{
	if (!ram_anon || phys >= direct_len)
		return false;
	unsigned long pfn = phys / RAM_PAGE, end = min(phys + len, direct_len) / RAM_PAGE;

	return find_state(pfn, end, true) < end;
}

/* Does a mapping of RAM at @addr need its pages shared first? */
static inline bool alias_of_direct(void *addr, phys_addr_t phys)
{
	return ram_anon && phys < direct_len &&
	       ((char *)addr < direct_base || (char *)addr >= direct_base + direct_len);
}

int plat_map_run(void *addr, phys_addr_t phys, size_t len, int prot, long *charged)
{
	/* The first run of a stretch also pays for the split of the reservation. */
	long charge = *charged ? 1 : plat_map_cost(1);

	if (alias_of_direct(addr, phys)) {
		int err = ram_share(phys, len);
		if (err)
			return err;
	}
	__atomic_add_fetch(&nr_host_calls, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&nr_mappings, charge, __ATOMIC_RELAXED);
	ram_maps_begin();
	ram_maps_add((unsigned long)addr, len, phys, prot);
	ram_maps_end();
	void *p = mmap(addr, len, host_prot(prot), MAP_SHARED | MAP_FIXED,
		       ram_fd, (off_t)phys);

	if (p == MAP_FAILED) {
		int err = -errno;
		plat_lock(&ram_maps_lock);
		ram_maps_remove((unsigned long)addr, len);
		plat_unlock(&ram_maps_lock);
		ram_maps_done();
		__atomic_sub_fetch(&nr_mappings, charge, __ATOMIC_RELAXED);
		return err;
	}
	ram_maps_done();
	*charged += charge;
	return 0;
}

int plat_map(void *addr, phys_addr_t phys, size_t len, int prot)
{
	long charged = 0;

	return plat_map_run(addr, phys, len, prot, &charged);
}

int plat_map_anon(void *addr, size_t len, int prot, bool huge, long *charged)
{
	long charge = plat_map_cost(1);

	__atomic_add_fetch(&nr_host_calls, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&nr_mappings, charge, __ATOMIC_RELAXED);
	if (mmap(addr, len, host_prot(prot), MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED,
		 -1, 0) == MAP_FAILED) {
		int err = -errno;

		__atomic_sub_fetch(&nr_mappings, charge, __ATOMIC_RELAXED);
		return err;
	}
	/* Advice only: a host without huge pages refuses it, and small pages serve. */
	if (huge)
		(void)madvise(addr, len, MADV_HUGEPAGE);
	*charged += charge;
	return 0;
}

int plat_remap(void *addr, phys_addr_t phys, size_t len, int prot)
{
	if (alias_of_direct(addr, phys)) {
		int err = ram_share(phys, len);
		if (err)
			return err;
	}
	__atomic_add_fetch(&nr_host_calls, 1, __ATOMIC_RELAXED);
	ram_maps_begin();
	ram_maps_remove((unsigned long)addr, len);
	ram_maps_add((unsigned long)addr, len, phys, prot);
	ram_maps_end();
	void *p = mmap(addr, len, host_prot(prot), MAP_SHARED | MAP_FIXED,
		       ram_fd, (off_t)phys);
	int err = p == MAP_FAILED ? -errno : 0;

	if (err)
		ram_maps_give_up();
	ram_maps_done();
	return err;
}

int plat_unmap(void *addr, size_t len, long charged)
{
	__atomic_add_fetch(&nr_host_calls, 1, __ATOMIC_RELAXED);
	ram_maps_begin();
	ram_maps_remove((unsigned long)addr, len);
	ram_maps_end();
	void *p = mmap(addr, len, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);

	if (p == MAP_FAILED) {
		int err = -errno;

		ram_maps_give_up();	/* still mapped, and no longer in the table */
		ram_maps_done();
		return err;
	}
	ram_maps_done();
	__atomic_sub_fetch(&nr_mappings, charged, __ATOMIC_RELAXED);
	return 0;
}

int plat_protect(void *addr, size_t len, int prot)
{
	unsigned long start = (unsigned long)addr, end = start + len;

	__atomic_add_fetch(&nr_host_calls, 1, __ATOMIC_RELAXED);
	ram_maps_begin();
	for (int i = 0; !ram_maps_lost && i < ram_maps_nr; i++) {
		struct ram_map *m = &ram_maps[i];
		unsigned long ms = m->hstart ^ RAM_MAPS_HIDE, me = m->hend ^ RAM_MAPS_HIDE;

		if (me <= start || ms >= end)
			continue;
		if (ms == start && me == end)
			m->prot = prot;
		else
			ram_maps_lost = true;	/* a mapping split in two by its protection */
	}
	/* The direct map's shared pieces are listed read-write. */
	if (ram_anon && prot != (PLAT_PROT_READ | PLAT_PROT_WRITE)) {
		unsigned long first, last;

		if (direct_pages_in(start, end, &first, &last) &&
		    __atomic_load_n(&plat_ram_nr_shared, __ATOMIC_RELAXED) &&
		    find_state(first, last, true) < last)
			ram_maps_lost = true;
	}
	ram_maps_end();
	int err = mprotect(addr, len, host_prot(prot)) ? -errno : 0;

	if (err)
		ram_maps_give_up();
	ram_maps_done();
	return err;
}

long plat_nr_mappings(void)
{
	return __atomic_load_n(&nr_mappings, __ATOMIC_RELAXED) +
	       2 * __atomic_load_n(&shared_runs, __ATOMIC_RELAXED);
}

unsigned long plat_host_calls(void)
{
	return __atomic_load_n(&nr_host_calls, __ATOMIC_RELAXED);
}

#define DIRECT_CHECK_MSGS	8
struct direct_check {
	unsigned long inode;	/* the RAM file's */
	int problems;
	char msgs[DIRECT_CHECK_MSGS][160];	/* told only if nothing changed meanwhile */
};

static void direct_problem(struct direct_check *c, const char *fmt, unsigned long a,
			   unsigned long b)
{
	if (c->problems < DIRECT_CHECK_MSGS)
		snprintf(c->msgs[c->problems], sizeof(c->msgs[0]), fmt, a, b);
	c->problems++;
}

static int check_direct_one(const struct plat_mapping *m, void *arg)
{
	struct direct_check *c = arg;
	unsigned long first, last;

	if (!direct_pages_in(m->start, m->end, &first, &last))
		return past_direct_map(m);
	bool file = m->inode == c->inode && m->shared;
	unsigned long s = (unsigned long)direct_base + first * RAM_PAGE;
	unsigned long odd = find_state(first, last, !file);

	if (odd < last)
		direct_problem(c, file ? "direct map at %#lx maps the RAM file, page %#lx is not shared"
				       : "direct map at %#lx is anonymous, page %#lx is shared",
			       s, odd);
	if (file && m->offset + (s - m->start) != first * RAM_PAGE)
		direct_problem(c, "direct map at %#lx maps the RAM file at offset %#lx",
			       s, m->offset + (s - m->start));
	return 0;
}

int plat_ram_check_direct(void (*report)(const char *msg, void *arg), void *arg)
{
	struct direct_check c;
	struct stat st;
	long busy, done, runs, pages;
	unsigned long lo, hi;

	if (!ram_anon || fstat(ram_fd, &st))
		return 0;
	c.inode = (unsigned long)st.st_ino;
	c.problems = 0;
	busy = __atomic_load_n(&share_busy, __ATOMIC_ACQUIRE);
	done = __atomic_load_n(&share_done, __ATOMIC_ACQUIRE);
	int err = plat_for_each_mapping(check_direct_one, &c);
	if (err || busy || __atomic_load_n(&share_busy, __ATOMIC_ACQUIRE) ||
	    __atomic_load_n(&share_done, __ATOMIC_ACQUIRE) != done)
		return err;	/* changed meanwhile: nothing to say */
	plat_lock(&shared_lock);
	runs = count_shared_runs(&pages, &lo, &hi);
	if (runs != shared_runs || pages != plat_ram_nr_shared)
		direct_problem(&c, "the direct map has %#lx shared pages in %#lx runs, not as counted",
			       (unsigned long)pages, (unsigned long)runs);
	if (runs && (lo < shared_lo || hi > shared_hi))
		direct_problem(&c, "shared pages from %#lx to %#lx, outside their bounds",
			       lo, hi);
	plat_unlock(&shared_lock);
	for (int i = 0; i < c.problems && i < DIRECT_CHECK_MSGS; i++)
		report(c.msgs[i], arg);
	return c.problems;
}

/* Bytes of host memory held for bookkeeping, in whole pages: leaks show here. */
static long host_bytes;

static void *host_zalloc(size_t size, int extra_flags)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | extra_flags, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	__atomic_add_fetch(&host_bytes, (long)((size + 4095) & ~4095UL), __ATOMIC_RELAXED);
	return p;
}

void *plat_host_zalloc(size_t size)
{
	return host_zalloc(size, 0);
}

void *plat_host_zalloc_lazy(size_t size)
{
	return host_zalloc(size, MAP_NORESERVE);
}

void plat_host_free(void *p, size_t size)
{
	if (!p)
		return;
	munmap(p, size);
	__atomic_sub_fetch(&host_bytes, (long)((size + 4095) & ~4095UL), __ATOMIC_RELAXED);
}

long plat_host_bytes(void)
{
	return __atomic_load_n(&host_bytes, __ATOMIC_RELAXED);
}
