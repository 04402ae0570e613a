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
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/falloc.h>
#include "platform.h"

static int ram_fd = -1;
static u64 ram_size;
static long nr_mappings;
static unsigned long nr_host_calls;

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

void plat_ram_zero(phys_addr_t phys, size_t len)
{
	/* Punching a hole zeroes the range and gives its memory back to the host. */
	if (fallocate(ram_fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		      (off_t)phys, (off_t)len) == 0)
		return;
	static const char zeros[4096];
	for (size_t done = 0; done < len; done += sizeof(zeros))
		(void)!pwrite(ram_fd, zeros, sizeof(zeros), (off_t)(phys + done));
}

bool plat_ram_backed(phys_addr_t *start, phys_addr_t *end)
{
	off_t data, hole;

	if (!plat_ram_file_is_whole())
		return true;
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

int plat_ram_read(phys_addr_t phys, void *buf, size_t len)
{
	return pread(ram_fd, buf, len, (off_t)phys) == (ssize_t)len ? 0 : -EIO;
}

int plat_ram_write(phys_addr_t phys, const void *buf, size_t len)
{
	return pwrite(ram_fd, buf, len, (off_t)phys) == (ssize_t)len ? 0 : -EIO;
}

/*
 * The RAM file's mappings, as this file makes them: a forked child maps
 * its own copy of RAM at the same places (ram_fork.c), and a walk of
 * /proc/self/maps to find them cost every fork of a shell some 30 us.
 * The common case is a few (the direct map, some vmalloc runs): a small
 * table.  Past its size, or after a change it cannot follow exactly (a
 * part of a mapping unmapped, remapped or protected), it is given up
 * until the window goes, and the child reads /proc/self/maps.
 *
 * A change is entered in the table before the host call and counted in
 * ram_maps_busy until the call is done: a fork that comes in between
 * (another thread's vmalloc) finds the count raised, and the walk.
 */
#define RAM_MAPS_MAX	32
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
	/* A change another thread of the parent was making is lost with it. */
	if (__atomic_load_n(&ram_maps_busy, __ATOMIC_RELAXED))
		ram_maps_lost = true;
	ram_maps_busy = 0;
	ram_maps_lock = (spinlock_t){ 0 };
}

int plat_for_each_ram_mapping(int (*fn)(const struct plat_mapping *m, void *arg), void *arg)
{
	if (__atomic_load_n(&ram_maps_busy, __ATOMIC_ACQUIRE) || ram_maps_lost)
		return -ENOENT;
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

int plat_map_run(void *addr, phys_addr_t phys, size_t len, int prot, long *charged)
{
	/* The first run of a stretch also pays for the split of the reservation. */
	long charge = *charged ? 1 : plat_map_cost(1);

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

int plat_map_anon(void *addr, size_t len, int prot, long *charged)
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
	*charged += charge;
	return 0;
}

int plat_remap(void *addr, phys_addr_t phys, size_t len, int prot)
{
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
	for (int i = 0; i < ram_maps_nr; i++) {
		struct ram_map *m = &ram_maps[i];
		unsigned long ms = m->hstart ^ RAM_MAPS_HIDE, me = m->hend ^ RAM_MAPS_HIDE;

		if (me <= start || ms >= end)
			continue;
		if (ms == start && me == end)
			m->prot = prot;
		else
			ram_maps_lost = true;	/* a mapping split in two by its protection */
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
	return __atomic_load_n(&nr_mappings, __ATOMIC_RELAXED);
}

unsigned long plat_host_calls(void)
{
	return __atomic_load_n(&nr_host_calls, __ATOMIC_RELAXED);
}

/*
 * /proc files are read with plain system calls into the caller's buffer:
 * stdio would allocate, and under the preload library (libkmm-malloc.so)
 * an allocation here can be a recursion into the allocator being set up or
 * a fork in progress.
 */
static long read_small_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t len = 0;

	if (fd < 0)
		return -errno;
	while (len + 1 < size) {
		ssize_t n = read(fd, buf + len, size - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	return (long)len;
}

static long read_max_mappings(void)
{
	char buf[32];
	long max = 0;

	if (read_small_file("/proc/sys/vm/max_map_count", buf, sizeof(buf)) <= 0)
		return 65530;
	for (char *p = buf; *p >= '0' && *p <= '9'; p++)
		max = max * 10 + (*p - '0');
	return max > 0 ? max : 65530;
}

/*
 * vmalloc asks before every mapping: reading /proc each time cost three
 * system calls per vmalloc.  The figure is kept and read again only when
 * an answer would be near it (an administrator may have raised it).
 */
static long max_mappings_cached;

long plat_max_mappings(long want)
{
	long max = __atomic_load_n(&max_mappings_cached, __ATOMIC_RELAXED);

	if (!max || want > max - max / 8) {
		max = read_max_mappings();
		__atomic_store_n(&max_mappings_cached, max, __ATOMIC_RELAXED);
	}
	return max;
}

static unsigned long parse_hex(const char **sp)
{
	const char *s = *sp;
	unsigned long v = 0;

	for (;; s++) {
		int d = *s >= '0' && *s <= '9' ? *s - '0' :
			*s >= 'a' && *s <= 'f' ? *s - 'a' + 10 : -1;
		if (d < 0)
			break;
		v = v << 4 | (unsigned long)d;
	}
	*sp = s;
	return v;
}

static const char *skip_field(const char *s)
{
	while (*s && *s != ' ')
		s++;
	while (*s == ' ')
		s++;
	return s;
}

/* One line of /proc/self/maps: "start-end perms offset dev inode   path". */
static void parse_maps_line(const char *line, struct plat_mapping *m)
{
	const char *s = line;

	m->start = parse_hex(&s);
	s++;
	m->end = parse_hex(&s);
	s++;
	m->prot = (s[0] == 'r' ? PLAT_PROT_READ : 0) | (s[1] == 'w' ? PLAT_PROT_WRITE : 0);
	m->shared = s[3] == 's';
	s = skip_field(s);
	m->offset = parse_hex(&s);
	s = skip_field(s);		/* offset's trailing blanks */
	s = skip_field(s);		/* dev */
	m->inode = 0;
	for (; *s >= '0' && *s <= '9'; s++)
		m->inode = m->inode * 10 + (unsigned long)(*s - '0');
	while (*s == ' ')
		s++;
	m->path = s;
}

/*
 * Walk /proc/self/maps line by line through a buffer on the stack (no
 * allocation, see read_small_file()).  A line longer than the buffer is
 * cut; only its path can be lost.
 */
int plat_for_each_mapping(int (*fn)(const struct plat_mapping *m, void *arg), void *arg)
{
	char buf[8192];
	size_t have = 0, off = 0;	/* unread text: buf[off, have) */
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC), ret = 0;
	bool eof = false;

	if (fd < 0)
		return -errno;
	while (!ret) {
		char *line = buf + off;
		char *nl = memchr(line, '\n', have - off);

		if (!nl && !eof) {
			/* A partial line: move it to the front once, then read more. */
			memmove(buf, line, have - off);
			have -= off;
			off = 0;
			if (have < sizeof(buf) - 1) {
				ssize_t n = read(fd, buf + have, sizeof(buf) - 1 - have);
				if (n < 0 && errno == EINTR)
					continue;
				if (n <= 0)
					eof = true;
				else
					have += (size_t)n;
				continue;
			}
			nl = buf + have;	/* longer than the buffer: cut */
		}
		if (off == have)
			break;
		size_t len = nl ? (size_t)(nl - line) : have - off;
		line[len] = '\0';
		struct plat_mapping m;
		parse_maps_line(line, &m);
		ret = fn(&m, arg);
		off = nl && nl < buf + have ? off + len + 1 : have;
	}
	close(fd);
	return ret < 0 ? ret : 0;
}

struct walk_args {
	unsigned long lo, hi;
	void (*fn)(unsigned long start, unsigned long end, s64 phys, int prot, void *arg);
	void *arg;
};

static int walk_one(const struct plat_mapping *m, void *arg)
{
	struct walk_args *w = arg;

	if (m->end <= w->lo || m->start >= w->hi)
		return 0;
	s64 phys = strstr(m->path, "/memfd:kmm-ram") ? (s64)m->offset : -1;
	w->fn(m->start, m->end, phys, m->prot, w->arg);
	return 0;
}

/*
 * /proc/self/maps is the host's own account of what is mapped where: the
 * validators compare it with the kernel page table.  The RAM file shows as
 * "/memfd:kmm-ram (deleted)"; its offset column is the physical address.
 */
int plat_walk_mappings(unsigned long lo, unsigned long hi,
		       void (*fn)(unsigned long start, unsigned long end, s64 phys,
				  int prot, void *arg), void *arg)
{
	struct walk_args w = { lo, hi, fn, arg };

	return plat_for_each_mapping(walk_one, &w);
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
