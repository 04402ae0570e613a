/* SPDX-License-Identifier: MIT */
/*
 * The host's account of its mappings: /proc/self/maps, read and parsed
 * with no allocation (the validators compare it with the kernel page
 * table, fork finds the RAM file's mappings in it), and the bound on how
 * many a process may hold, vm.max_map_count.
 */

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include "platform.h"

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

static unsigned long maps_reads;

unsigned long plat_maps_reads(void)
{
	return __atomic_load_n(&maps_reads, __ATOMIC_RELAXED);
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

	__atomic_add_fetch(&maps_reads, 1, __ATOMIC_RELAXED);
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
