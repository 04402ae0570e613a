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

int plat_ram_read(phys_addr_t phys, void *buf, size_t len)
{
	return pread(ram_fd, buf, len, (off_t)phys) == (ssize_t)len ? 0 : -EIO;
}

int plat_ram_write(phys_addr_t phys, const void *buf, size_t len)
{
	return pwrite(ram_fd, buf, len, (off_t)phys) == (ssize_t)len ? 0 : -EIO;
}

void *plat_window_reserve(size_t size, size_t align)
{
	size_t span = size + align;
	char *p = mmap(NULL, span, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	char *base = (char *)(((unsigned long)p + align - 1) & ~(align - 1));
	if (base > p)
		munmap(p, (size_t)(base - p));
	if (base + size < p + span)
		munmap(base + size, (size_t)(p + span - (base + size)));
	__atomic_add_fetch(&nr_mappings, 1, __ATOMIC_RELAXED);
	return base;
}

void plat_window_release(void *base, size_t size)
{
	munmap(base, size);
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

int plat_map(void *addr, phys_addr_t phys, size_t len, int prot)
{
	__atomic_add_fetch(&nr_host_calls, 1, __ATOMIC_RELAXED);
	void *p = mmap(addr, len, host_prot(prot), MAP_SHARED | MAP_FIXED,
		       ram_fd, (off_t)phys);

	if (p == MAP_FAILED)
		return -errno;
	__atomic_add_fetch(&nr_mappings, 2, __ATOMIC_RELAXED);
	return 0;
}

int plat_remap(void *addr, phys_addr_t phys, size_t len, int prot)
{
	__atomic_add_fetch(&nr_host_calls, 1, __ATOMIC_RELAXED);
	void *p = mmap(addr, len, host_prot(prot), MAP_SHARED | MAP_FIXED,
		       ram_fd, (off_t)phys);

	return p == MAP_FAILED ? -errno : 0;
}

int plat_unmap(void *addr, size_t len, long nr_maps)
{
	__atomic_add_fetch(&nr_host_calls, 1, __ATOMIC_RELAXED);
	void *p = mmap(addr, len, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);

	if (p == MAP_FAILED)
		return -errno;
	__atomic_sub_fetch(&nr_mappings, 2 * nr_maps, __ATOMIC_RELAXED);
	return 0;
}

int plat_protect(void *addr, size_t len, int prot)
{
	__atomic_add_fetch(&nr_host_calls, 1, __ATOMIC_RELAXED);
	return mprotect(addr, len, host_prot(prot)) ? -errno : 0;
}

long plat_nr_mappings(void)
{
	return __atomic_load_n(&nr_mappings, __ATOMIC_RELAXED);
}

unsigned long plat_host_calls(void)
{
	return __atomic_load_n(&nr_host_calls, __ATOMIC_RELAXED);
}

long plat_max_mappings(void)
{
	long max = 65530;
	FILE *f = fopen("/proc/sys/vm/max_map_count", "re");

	if (f) {
		if (fscanf(f, "%ld", &max) != 1)
			max = 65530;
		fclose(f);
	}
	return max;
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
	FILE *f = fopen("/proc/self/maps", "re");
	char line[512];

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		unsigned long start, end, off;
		char perms[8];
		int pos = 0;

		if (sscanf(line, "%lx-%lx %7s %lx %*s %*s%n", &start, &end, perms, &off, &pos) < 4)
			continue;
		if (end <= lo || start >= hi)
			continue;
		int prot = (perms[0] == 'r' ? PLAT_PROT_READ : 0) |
			   (perms[1] == 'w' ? PLAT_PROT_WRITE : 0);
		s64 phys = strstr(line + pos, "/memfd:kmm-ram") ? (s64)off : -1;
		fn(start, end, phys, prot, arg);
	}
	fclose(f);
	return 0;
}

void *plat_host_zalloc(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

void plat_host_free(void *p, size_t size)
{
	if (p)
		munmap(p, size);
}
