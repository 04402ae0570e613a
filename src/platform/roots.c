/* SPDX-License-Identifier: MIT */
/*
 * The host memory a conservative scan reads for pointers (kmemleak): the
 * writable segments of every loaded object, and the threads' stacks.
 *
 * A thread's stack, as pthread_getattr_np() gives it, may be larger than
 * what is mapped: the main thread's is sized by RLIMIT_STACK and grows on
 * demand, and reading below what is mapped would make it grow.  So the
 * range is cut at the first hole or unreadable mapping below its top, as
 * /proc/self/maps shows them.
 */
#include <errno.h>
#include <link.h>
#include <pthread.h>
#include "platform.h"

struct segments {
	struct plat_range *out;
	int max, nr;
};

static int add_segments(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct segments *sg = arg;

	(void)size;
	for (int i = 0; i < info->dlpi_phnum && sg->nr < sg->max; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];

		if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_W) || !ph->p_memsz)
			continue;
		sg->out[sg->nr].start = info->dlpi_addr + ph->p_vaddr;
		sg->out[sg->nr].end = info->dlpi_addr + ph->p_vaddr + ph->p_memsz;
		sg->nr++;
	}
	return sg->nr == sg->max;
}

int plat_data_segments(struct plat_range *out, int max)
{
	struct segments sg = { .out = out, .max = max };

	dl_iterate_phdr(add_segments, &sg);
	return sg.nr;
}

unsigned long plat_thread_self(void)
{
	return (unsigned long)pthread_self();
}

/* The run of readable mappings, each adjacent to the last, that holds @top - 1. */
struct readable {
	unsigned long top, lo;
	unsigned long run_start, run_end;
};

static int find_readable(const struct plat_mapping *m, void *arg)
{
	struct readable *r = arg;

	if (m->start >= r->top)
		return 1;
	if (!(m->prot & PLAT_PROT_READ)) {
		r->run_end = 0;
		return 0;
	}
	if (m->start != r->run_end)
		r->run_start = m->start;
	r->run_end = m->end;
	if (r->top <= m->end) {
		r->lo = r->run_start;
		return 1;
	}
	return 0;
}

int plat_thread_stack(unsigned long thread, unsigned long *lo, unsigned long *hi)
{
	struct readable r = { 0 };
	pthread_attr_t attr;
	size_t size;
	void *addr;
	int err;

	if ((err = pthread_getattr_np((pthread_t)thread, &attr)))
		return -err;
	err = pthread_attr_getstack(&attr, &addr, &size);
	pthread_attr_destroy(&attr);
	if (err)
		return -err;
	r.top = (unsigned long)addr + size;
	if (plat_for_each_mapping(find_readable, &r) || !r.lo)
		return -ENOENT;
	*lo = r.lo > (unsigned long)addr ? r.lo : (unsigned long)addr;
	*hi = r.top;
	return 0;
}
