/* SPDX-License-Identifier: MIT */
/*
 * Which pages of a range of this process the host backs: the PAGEMAP_SCAN
 * ioctl of /proc/self/pagemap (Linux 6.7), one walk for its three users
 * (ram.c: what a share copies into the RAM file, what a zeroing must
 * touch; ram_fork.c: what a forked child wrote through its private
 * mappings of RAM).
 *
 * The file is opened once per process and kept: a zeroed allocation of
 * megabytes asks about its parts up to 32 times, and an open() of a /proc
 * file costs more than the ioctl.  /proc/self is the process that opened
 * it, so a forked child must not use its parent's: the descriptor is kept
 * with the pid that opened it, and a process that finds another's opens
 * its own.  The child of a fork made through kmm's handlers closes the
 * parent's (plat_ram_maps_fork_child(), before the program runs again);
 * after any other fork the parent's is left open, close-on-exec.
 *
 * The program owns the descriptor table: it may close kmm's descriptor
 * (a daemon closing all it did not open) and get the number back for a
 * file of its own.  An ioctl on that file fails, or on another process's
 * pagemap would answer for the wrong pages; a close would close the
 * program's file.  So each use first checks that the descriptor is still
 * the file opened (its device and inode, the same for every open of one
 * process's pagemap, fstat() costing less than the walk), and one that is
 * not is forgotten, never closed, and another opened.
 *
 * Everything here is a system call or an atomic: usable in the child's
 * signal handler that settles a deferred fork (ram_fork.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include "platform.h"
#include "pagemap.h"

/* (pid << 32) | descriptor of /proc/self/pagemap opened by process pid; 0: none. */
static u64 pagemap_held;
static unsigned long pagemap_opens;
/* What fstat() says of it: every thread of a process that opens it stores the same. */
static u64 pagemap_dev, pagemap_ino;

/* Is @fd still the pagemap this process (or, in a child, its parent) opened? */
static bool pagemap_is(int fd)
{
	struct stat st;

	return !fstat(fd, &st) &&
	       (u64)st.st_dev == __atomic_load_n(&pagemap_dev, __ATOMIC_RELAXED) &&
	       (u64)st.st_ino == __atomic_load_n(&pagemap_ino, __ATOMIC_RELAXED);
}

static int held_pid(u64 held)
{
	return (int)(held >> 32);
}

static int held_fd(u64 held)
{
	return (int)(unsigned int)held;
}

/* This process's /proc/self/pagemap, opened at the first call.  Return: it, or -errno. */
static int pagemap_fd(void)
{
	int pid = (int)getpid();
	u64 held = __atomic_load_n(&pagemap_held, __ATOMIC_ACQUIRE);

	for (;;) {
		if (held && held_pid(held) == pid) {
			if (pagemap_is(held_fd(held)))
				return held_fd(held);
			/* The program's now: forgotten, not closed. */
			if (!__atomic_compare_exchange_n(&pagemap_held, &held, 0, false,
							 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
				continue;
			held = 0;
		}
		int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
		struct stat st;

		if (fd < 0)
			return -errno;
		if (fstat(fd, &st)) {
			int err = -errno;
			close(fd);
			return err;
		}
		__atomic_add_fetch(&pagemap_opens, 1, __ATOMIC_RELAXED);
		__atomic_store_n(&pagemap_dev, (u64)st.st_dev, __ATOMIC_RELAXED);
		__atomic_store_n(&pagemap_ino, (u64)st.st_ino, __ATOMIC_RELAXED);
		u64 mine = (u64)(unsigned int)pid << 32 | (unsigned int)fd;
		if (__atomic_compare_exchange_n(&pagemap_held, &held, mine, false,
						__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			return fd;
		close(fd);	/* another thread's came first: @held is it now */
	}
}

void pagemap_close(void)
{
	u64 held = __atomic_exchange_n(&pagemap_held, 0, __ATOMIC_ACQ_REL);

	if (held && held_pid(held) == (int)getpid() && pagemap_is(held_fd(held)))
		close(held_fd(held));
}

/* The parent's descriptor, inherited: closed, unless the program has made it its own. */
void pagemap_fork_child(void)
{
	u64 held = __atomic_exchange_n(&pagemap_held, 0, __ATOMIC_ACQ_REL);

	if (held && pagemap_is(held_fd(held)))
		close(held_fd(held));
}

unsigned long plat_pagemap_opens(void)
{
	return __atomic_load_n(&pagemap_opens, __ATOMIC_RELAXED);
}

/*
 * Asked of a page of the stack, until the host answers: a pagemap that
 * cannot be opened now (no descriptor free) says nothing of the host.
 */
bool ram_have_pagemap_scan(void)
{
	static int have = -1;
	int known = __atomic_load_n(&have, __ATOMIC_RELAXED);

	if (known < 0) {
		int pagemap = pagemap_fd();
		volatile char probe = 1;
		unsigned long page = (unsigned long)&probe & ~4095UL;
		struct page_region r;
		struct pm_scan_arg a = {
			.size = sizeof(a), .start = page, .end = page + 4096,
			.vec = (unsigned long)&r, .vec_len = 1,
			.category_anyof_mask = PAGE_IS_PRESENT, .return_mask = PAGE_IS_PRESENT,
		};
		if (pagemap < 0)
			return false;
		known = ioctl(pagemap, PAGEMAP_SCAN, &a) == 1;
		__atomic_store_n(&have, known, __ATOMIC_RELAXED);
	}
	return known;
}

int pagemap_for_each_backed(unsigned long start, unsigned long end, u64 except,
			    unsigned int batch,
			    int (*fn)(unsigned long s, unsigned long e, void *arg), void *arg)
{
	struct page_region r[PAGEMAP_BATCH_MAX];
	struct pm_scan_arg a = {
		.size = sizeof(a), .start = start, .end = end,
		.vec = (unsigned long)r,
		.vec_len = batch < 1 ? 1 : batch > PAGEMAP_BATCH_MAX ? PAGEMAP_BATCH_MAX : batch,
		.category_inverted = except, .category_mask = except,
		.category_anyof_mask = PAGE_IS_PRESENT | PAGE_IS_SWAPPED,
		.return_mask = PAGE_IS_PRESENT | PAGE_IS_SWAPPED,
	};
	/* Without a pagemap the callers take every page as backed: correct, only slower. */
	int pagemap = ram_have_pagemap_scan() ? pagemap_fd() : -EOPNOTSUPP;

	if (pagemap < 0)
		return -EOPNOTSUPP;
	while (a.start < end) {
		long n = ioctl(pagemap, PAGEMAP_SCAN, &a);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (long i = 0; i < n; i++) {
			int ret = fn(r[i].start, r[i].end, arg);
			if (ret)
				return ret;
		}
		if (a.walk_end <= a.start)
			break;
		a.start = a.walk_end;
	}
	return 0;
}
