/* SPDX-License-Identifier: MIT */
/*
 * After fork(): the child's own RAM, and the parent's wait for it.
 *
 * RAM is a shared mapping of one memory file, and a shared mapping stays
 * shared across fork(): without more, the child's writes would land in
 * the parent's memory and the reverse.  So the child moves to a file of
 * its own (plat_ram_fork_own()): a copy of RAM, mapped over every mapping
 * of the old one at the same offsets with the same protections, so every
 * address and every alias (direct map, vmalloc) stays what it was.  The
 * parent does not write RAM meanwhile: it waits in its fork handler with
 * the allocator stopped, so the copy sees every structure whole.  With
 * ram=anon the direct map is anonymous memory, copy-on-write across fork
 * by itself, and left alone here (its inode is /dev/zero's, or none):
 * only the file's mappings move, and the file holds only the pages
 * shared with an alias (ram.c) and highmem.
 *
 * The copy costs what the host has backed of RAM: for a program with a
 * gigabyte of heap, a gigabyte copied at every fork, most often followed
 * by exec(), which throws it away.  So when RAM holds more than a little
 * (FORK_EAGER_BYTES), the child defers the copy:
 *
 *   1. in its fork handler it maps RAM copy-on-write (MAP_PRIVATE of the
 *      same file, plat_ram_fork_private()): what it writes stays its own,
 *      what it reads is the file, which the waiting parent leaves alone;
 *   2. it tells the parent "deferred, pid N" on the channel (a pipe,
 *      close-on-exec) and returns from fork();
 *   3. the parent waits on the channel.  The child's exec() or exit
 *      closes it: nothing was copied, and the parent goes on.  The
 *      child's first call of the allocator settles first
 *      (plat_ram_fork_settle(): the copy, with the pages it wrote since
 *      fork laid over it, found with the PAGEMAP_SCAN ioctl as the
 *      anonymous pages of its private mappings); then it says "done".
 *   4. A child that does neither within FORK_WAIT_MS (it may be waiting
 *      for its parent) is asked to settle by a signal (SIGURG with a
 *      sigqueue() value, so that a stray one reaching an exec'd program
 *      is ignored by default).  The handler, installed and unblocked in
 *      the child until it settles, settles and chains other SIGURGs to
 *      the program's own disposition.  Everything on that path is a
 *      system call: safe in a signal handler.
 *
 * Caveats.  Data another thread of the parent writes while the parent
 * waits may reach the child (that thread does not exist in the child, as
 * with any fork of a threaded program).  A child that blocks SIGURG again
 * before it settles, never allocates, execs or exits, and waits for its
 * parent, waits for ever.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <ucontext.h>
#include <unistd.h>
#include "platform.h"
#include "pagemap.h"

#define FORK_EAGER_BYTES	(16UL << 20)
#define FORK_WAIT_MS		50
#define FORK_SIGNAL		SIGURG
#define FORK_MAGIC		0x6b6d6d66	/* "kmmf" */


enum { RAMF_SHARED, RAMF_PRIVATE, RAMF_SETTLING };
static int ramf_state;
static int fork_pipe[2] = { -1, -1 };
static struct sigaction ramf_old_action;
static bool ramf_was_blocked;

struct fork_msg {
	char kind;		/* 'L': deferred (then pid), 'D': done */
	int pid;
};

/* --- copying RAM --- */

static int copy_range(int from, int to, off_t pos, off_t end)
{
	static char bounce[1 << 16] __page_aligned_bss;

	while (pos < end) {
		off_t in = pos, out = pos;
		ssize_t n = copy_file_range(from, &in, to, &out, (size_t)(end - pos), 0);
		if (n > 0) {
			pos += n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		/* No in-kernel copy between these files: through a buffer. */
		size_t len = end - pos < (off_t)sizeof(bounce) ? (size_t)(end - pos) : sizeof(bounce);
		n = pread(from, bounce, len, pos);
		if (n <= 0 || pwrite(to, bounce, (size_t)n, pos) != n)
			return -EIO;
		pos += n;
	}
	return 0;
}

/* Copy what the host backs of @from (SEEK_DATA skips the holes) into @to. */
static int copy_file(int from, int to, off_t size)
{
	off_t pos = 0, data, hole;

	while ((data = lseek(from, pos, SEEK_DATA)) >= 0) {
		hole = lseek(from, data, SEEK_HOLE);
		if (hole < 0)
			hole = size;
		if (copy_range(from, to, data, hole))
			return -EIO;
		pos = hole;
	}
	return errno == ENXIO ? 0 : -errno;
}

static unsigned long file_inode(int fd)
{
	struct stat st;

	return fstat(fd, &st) ? 0 : (unsigned long)st.st_ino;
}

struct ramf_walk {
	unsigned long inode;	/* the old RAM file's */
	int fd;			/* the new one */
	bool overlay;		/* the child may have written through private mappings */
	int err;
};

static int host_prot_of(const struct plat_mapping *m)
{
	return (m->prot & PLAT_PROT_READ ? PROT_READ : 0) |
	       (m->prot & PLAT_PROT_WRITE ? PROT_WRITE : 0);
}

struct overlay {
	int to;
	const struct plat_mapping *m;
};

static int overlay_range(unsigned long s, unsigned long e, void *arg)
{
	struct overlay *o = arg;
	off_t at = (off_t)(o->m->offset + (s - o->m->start));

	return pwrite(o->to, (const void *)s, e - s, at) == (ssize_t)(e - s) ? 0 : -EIO;
}

/*
 * One mapping of the old RAM file: first, if the child has been writing
 * through it privately (settling a deferred copy), what it wrote goes
 * over the parent's pages in the new file; then it maps the new file.
 * One walk of /proc/self/maps for both: a mapping's own pages are all
 * an overlay reads, and an alias mapped later is still the old file's.
 */
static int own_one(const struct plat_mapping *m, void *arg)
{
	struct ramf_walk *w = arg;

	if (m->inode != w->inode)
		return 0;
	if (w->overlay && !m->shared && (m->prot & PLAT_PROT_WRITE)) {
		struct overlay o = { w->fd, m };

		/* What the child wrote: anonymous pages, present or swapped. */
		w->err = pagemap_for_each_backed(m->start, m->end, PAGE_IS_FILE | PAGE_IS_PFNZERO,
						 PAGEMAP_BATCH_MAX, overlay_range, &o);
		if (w->err)
			return -1;
	}
	if (mmap((void *)m->start, m->end - m->start, host_prot_of(m), MAP_SHARED | MAP_FIXED,
		 w->fd, (off_t)m->offset) == MAP_FAILED) {
		w->err = -errno;
		return -1;
	}
	return 0;
}

/* A mapping from ram.c's record: the old RAM file's by definition. */
static int own_recorded(const struct plat_mapping *m, void *arg)
{
	struct ramf_walk *w = arg;
	struct plat_mapping r = *m;

	r.inode = w->inode;
	return own_one(&r, arg) ? -EIO : 0;
}

/*
 * Runs in the single-threaded child, between fork() and its first
 * allocation, or in a signal handler: nothing here allocates or takes a lock.
 */
int plat_ram_fork_own(void)
{
	int old = plat_ram_file(), fd = memfd_create("kmm-ram", MFD_CLOEXEC), err;
	/* Private mappings the child wrote through exist only while it settles. */
	struct ramf_walk w = { file_inode(old), fd,
			       __atomic_load_n(&ramf_state, __ATOMIC_RELAXED) == RAMF_SETTLING, 0 };
	u64 size = plat_ram_size();

	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)size) < 0) {
		err = -errno;
		goto fail;
	}
	if ((err = copy_file(old, fd, (off_t)size)))
		goto fail;
	/* With nothing to overlay, ram.c's record of the mappings, if it has one. */
	err = w.overlay ? -ENOENT : plat_for_each_ram_mapping(own_recorded, &w);
	if (err == -ENOENT)
		err = plat_for_each_mapping(own_one, &w);
	if (err || w.err) {
		err = w.err ? w.err : err ? err : -EIO;
		goto fail;
	}
	plat_ram_file_replace(fd);
	return 0;
fail:
	close(fd);
	return err;
}

/* --- deferring the copy --- */

static int private_one(const struct plat_mapping *m, void *arg)
{
	struct ramf_walk *w = arg;

	if (m->inode != w->inode || !m->shared)
		return 0;
	/* No commit charge: a private mapping of all of RAM would exceed it. */
	if (mmap((void *)m->start, m->end - m->start, host_prot_of(m),
		 MAP_PRIVATE | MAP_FIXED | MAP_NORESERVE, w->fd, (off_t)m->offset) == MAP_FAILED) {
		w->err = -errno;
		return -1;
	}
	return 0;
}

bool plat_ram_fork_worth_deferring(void)
{
	struct stat st;

	if (fork_pipe[1] < 0 || fstat(plat_ram_file(), &st))
		return false;
	return (u64)st.st_blocks * 512 > FORK_EAGER_BYTES && ram_have_pagemap_scan();
}

int plat_ram_fork_private(void)
{
	struct ramf_walk w = { file_inode(plat_ram_file()), plat_ram_file(), false, 0 };

	if (plat_for_each_mapping(private_one, &w) || w.err)
		return w.err ? w.err : -EIO;	/* plat_ram_fork_own() mends a half-done job */
	__atomic_store_n(&ramf_state, RAMF_PRIVATE, __ATOMIC_RELAXED);
	return 0;
}

/* --- the channel --- */

void plat_fork_channel_open(void)
{
	if (pipe2(fork_pipe, O_CLOEXEC))
		fork_pipe[0] = fork_pipe[1] = -1;
}

static void channel_send(char kind)
{
	struct fork_msg m = { kind, (int)getpid() };

	if (fork_pipe[1] >= 0)
		(void)!write(fork_pipe[1], &m, sizeof(m));
}

static void channel_close_child(void)
{
	if (fork_pipe[1] >= 0)
		close(fork_pipe[1]);
	fork_pipe[1] = -1;
}

static void ramf_signal(int sig, siginfo_t *si, void *uc);

void plat_fork_channel_child(bool deferred)
{
	if (fork_pipe[0] >= 0)
		close(fork_pipe[0]);
	fork_pipe[0] = -1;
	if (!deferred) {
		channel_send('D');
		channel_close_child();
		return;
	}
	/* Ready for the parent's request before the parent can make it. */
	struct sigaction sa = { .sa_sigaction = ramf_signal, .sa_flags = SA_SIGINFO | SA_RESTART };
	sigset_t set, old;
	sigfillset(&sa.sa_mask);
	sigaction(FORK_SIGNAL, &sa, &ramf_old_action);
	sigemptyset(&set);
	sigaddset(&set, FORK_SIGNAL);
	sigprocmask(SIG_UNBLOCK, &set, &old);
	ramf_was_blocked = sigismember(&old, FORK_SIGNAL);
	channel_send('L');
}

/* The RAM part of settling; @from_signal: the mask is the handler's to restore. */
static int settle(bool from_signal)
{
	int expected = RAMF_PRIVATE;

	if (!__atomic_compare_exchange_n(&ramf_state, &expected, RAMF_SETTLING, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
		return 0;	/* never deferred, done, or being done below us */
	int err = plat_ram_fork_own();
	channel_send('D');
	channel_close_child();
	sigaction(FORK_SIGNAL, &ramf_old_action, NULL);
	if (!from_signal && ramf_was_blocked) {
		sigset_t set;
		sigemptyset(&set);
		sigaddset(&set, FORK_SIGNAL);
		sigprocmask(SIG_BLOCK, &set, NULL);
	}
	__atomic_store_n(&ramf_state, RAMF_SHARED, __ATOMIC_RELEASE);
	return err;
}

bool plat_ram_file_is_whole(void)
{
	return __atomic_load_n(&ramf_state, __ATOMIC_ACQUIRE) == RAMF_SHARED;
}

int plat_ram_fork_settle(void)
{
	return settle(false);
}

static void ramf_signal(int sig, siginfo_t *si, void *uc)
{
	int saved = errno;

	if (si->si_code == SI_QUEUE && si->si_value.sival_int == FORK_MAGIC) {
		if (settle(true))
			plat_console_write("kmm: fork: cannot give the child its own RAM\n", 46);
		if (ramf_was_blocked)
			sigaddset(&((ucontext_t *)uc)->uc_sigmask, sig);
	} else if (ramf_old_action.sa_flags & SA_SIGINFO) {
		ramf_old_action.sa_sigaction(sig, si, uc);
	} else if (ramf_old_action.sa_handler != SIG_IGN && ramf_old_action.sa_handler != SIG_DFL) {
		ramf_old_action.sa_handler(sig);
	}
	/* SIG_DFL and SIG_IGN: SIGURG is ignored either way. */
	errno = saved;
}

void plat_fork_channel_wait(void)
{
	struct fork_msg m;
	struct pollfd p = { fork_pipe[0], POLLIN, 0 };
	int n;

	if (fork_pipe[0] < 0)
		return;
	close(fork_pipe[1]);
	/* The child's first word: done, deferred, or end of file (it died). */
	while ((n = (int)read(fork_pipe[0], &m, sizeof(m))) < 0 && errno == EINTR)
		;
	if (n == (int)sizeof(m) && m.kind == 'L') {
		while ((n = poll(&p, 1, FORK_WAIT_MS)) < 0 && errno == EINTR)
			;
		if (n == 0) {
			union sigval v = { .sival_int = FORK_MAGIC };
			sigqueue(m.pid, FORK_SIGNAL, v);
		}
		/* Done, or end of file: the child exec'd or ended. */
		while (read(fork_pipe[0], &m, sizeof(m)) < 0 && errno == EINTR)
			;
	}
	close(fork_pipe[0]);
	fork_pipe[0] = fork_pipe[1] = -1;
}
