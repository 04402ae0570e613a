/* SPDX-License-Identifier: MIT */
/*
 * Static per-CPU sections: the library's, a program's and each shared
 * object's (see <kmm/percpu.h> for how DEFINE_PER_CPU places a variable and
 * how its address becomes a per-CPU pointer).
 *
 * A module (the program, libkmm.so, a dlopen()ed object) registers its
 * "kmm_percpu" section from a constructor when it loads, whether or not a
 * machine is up; the list lives in host memory and outlives machines.
 *   - At boot, setup_per_cpu_areas() lays every registered section out in
 *     the first chunk's static area, each at its own alignment (that of its
 *     start address, at most a page), copies each image into every CPU's
 *     unit and sets the module's delta, as Linux copies .data..percpu.
 *   - A section registered while a machine is up gets an area from the
 *     reserved region and a copy of its image per CPU, as a kernel module's
 *     percpu_modalloc() and percpu_modcopy(); unregistering (dlclose) frees
 *     it.
 *   - At shutdown every delta and offset returns to 0: the accessors reach
 *     the images themselves until the next boot copies them again.
 * Lock: percpu_modules_lock (a host mutex: constructors run before boot).
 *
 * Also here: the out-of-line halves of the accessors that a program calls,
 * the debug check of __this_cpu_*(), and the library's own per-CPU
 * variables this_cpu_off and cpu_number (x86's, set at boot as Linux's
 * setup_per_cpu_areas() sets them).
 */
#include "percpu_internal.h"

#define MAX_PERCPU_MODULES 64

struct percpu_module {
	char *start, *stop;
	unsigned long *delta;
	int refs;
	size_t align;
	size_t static_off;	/* in the first chunk's static area */
	void __percpu *area;	/* from the reserved region, after boot */
	bool in_static;
};

static struct percpu_module percpu_modules[MAX_PERCPU_MODULES];
static int nr_percpu_modules;
static struct plat_mutex percpu_modules_lock;

DEFINE_PER_CPU_READ_MOSTLY(unsigned long, this_cpu_off);
DEFINE_PER_CPU_READ_MOSTLY(int, cpu_number);

static size_t section_size(const struct percpu_module *m)
{
	return (size_t)(m->stop - m->start);
}

/* Alignment of the section: that of its start, at most a page. */
static size_t section_align(const char *start)
{
	unsigned long a = (unsigned long)start;
	size_t align = a ? (size_t)1 << __builtin_ctzl(a) : PAGE_SIZE;

	return clamp(align, (size_t)PCPU_MIN_ALLOC_SIZE, (size_t)PAGE_SIZE);
}

static void percpu_copy_image(struct percpu_module *m, void __percpu *area)
{
	for (int cpu = 0; cpu < (int)nr_cpu_ids; cpu++)
		memcpy(per_cpu_ptr((char *)area, cpu), m->start, section_size(m));
	WRITE_ONCE(*m->delta, (unsigned long)area - (unsigned long)m->start);
}

/* A module loaded while the machine is up: its copies come from the reserved region. */
static void percpu_module_alloc(struct percpu_module *m)
{
	void __percpu *area = pcpu_alloc(section_size(m), m->align, true, GFP_KERNEL | __GFP_NOWARN);

	if (!area) {
		pr_warn("kmm_percpu@%p: Could not allocate %zu bytes percpu data\n",
			m->start, section_size(m));
		kmm_report_count_inc(KMM_REPORT_PERCPU);
		return;
	}
	m->area = area;
	percpu_copy_image(m, area);
}

void kmm_percpu_register(char *start, char *stop, unsigned long *delta)
{
	plat_mutex_lock(&percpu_modules_lock);
	for (int i = 0; i < nr_percpu_modules; i++) {
		if (percpu_modules[i].start == start) {
			percpu_modules[i].refs++;
			goto out;
		}
	}
	if (nr_percpu_modules == MAX_PERCPU_MODULES) {
		pr_err("kmm: more than %d modules with per-CPU sections\n", MAX_PERCPU_MODULES);
		goto out;
	}
	struct percpu_module *m = &percpu_modules[nr_percpu_modules++];
	*m = (struct percpu_module){ .start = start, .stop = stop, .delta = delta, .refs = 1,
				     .align = section_align(start) };
	if (kmm_machine_up && pcpu_first_chunk)
		percpu_module_alloc(m);
out:
	plat_mutex_unlock(&percpu_modules_lock);
}

void kmm_percpu_unregister(char *start)
{
	plat_mutex_lock(&percpu_modules_lock);
	for (int i = 0; i < nr_percpu_modules; i++) {
		struct percpu_module *m = &percpu_modules[i];

		if (m->start != start || --m->refs > 0)
			continue;
		WRITE_ONCE(*m->delta, 0);
		if (m->area && pcpu_first_chunk)
			free_percpu(m->area);
		percpu_modules[i] = percpu_modules[--nr_percpu_modules];
		break;
	}
	plat_mutex_unlock(&percpu_modules_lock);
}

/*
 * setup_per_cpu_areas - make every CPU's copy of the static sections
 *
 * Lays out the registered sections, builds the first chunk around them and
 * initialises each CPU's copy from the images.  Called by kmm_boot() once
 * the page and slab allocators are up.
 */
int setup_per_cpu_areas(void)
{
	size_t off = 0;
	int err;

	kmm_percpu_register(__start_kmm_percpu, __stop_kmm_percpu, &__kmm_percpu_delta);
	plat_mutex_lock(&percpu_modules_lock);
	for (int i = 0; i < nr_percpu_modules; i++) {
		struct percpu_module *m = &percpu_modules[i];

		off = ALIGN(off, m->align);
		m->static_off = off;
		off += section_size(m);
	}
	err = pcpu_setup_first_chunk(off, GFP_KERNEL);
	if (err) {
		plat_mutex_unlock(&percpu_modules_lock);
		pr_err("percpu: cannot set up the first chunk (%d CPUs, static %zu bytes)\n",
		       (int)nr_cpu_ids, off);
		return err;
	}
	for (int i = 0; i < nr_percpu_modules; i++) {
		struct percpu_module *m = &percpu_modules[i];

		m->in_static = true;
		m->area = NULL;
		percpu_copy_image(m, (char *)pcpu_base_addr + m->static_off);
	}
	plat_mutex_unlock(&percpu_modules_lock);
	for (int cpu = 0; cpu < (int)nr_cpu_ids; cpu++) {
		per_cpu(this_cpu_off, cpu) = per_cpu_offset(cpu);
		per_cpu(cpu_number, cpu) = cpu;
	}
	percpu_counter_boot();
	pr_info("percpu: Embedded %d pages/cpu s%zu r%zu d%zu u%d\n", pcpu_unit_pages,
		pcpu_static_size, pcpu_reserved_size, pcpu_dyn_size, pcpu_unit_size);
	return 0;
}

void percpu_exit(void)
{
	plat_mutex_lock(&percpu_modules_lock);
	for (int i = 0; i < nr_percpu_modules; i++) {
		WRITE_ONCE(*percpu_modules[i].delta, 0);
		percpu_modules[i].area = NULL;
		percpu_modules[i].in_static = false;
	}
	plat_mutex_unlock(&percpu_modules_lock);
	pcpu_teardown();
	pcpu_km_exit();
}

/* --- the accessors' out-of-line halves, for programs --- */
unsigned long __kmm_get_cpu_off_call(void)
{
	return __kmm_get_cpu_off();
}

/* A this_cpu_*() operation whose thread must look for a CPU first. */
struct kmm_cpu *__kmm_this_cpu_enter_slow(void)
{
	struct task_struct *t = current;

	kmm_cpu_enter_slow(t);
	return t->kcpu;
}

/*
 * A program's this_cpu_add() of @n bytes.  The common case (no section
 * open, the CPU still held from last time) calls nothing but tail calls,
 * so it saves no registers; everything else goes to one out-of-line add.
 */
static __attribute__((noinline)) void this_cpu_add_slow(void *ptr, u64 val, int n)
{
	void *held;
	char *p = (char *)ptr + __kmm_this_cpu_off(&held);

	switch (n) {
	case 1: *(u8 *)p += (u8)val; break;
	case 2: *(u16 *)p += (u16)val; break;
	case 4: *(u32 *)p += (u32)val; break;
	default: *(u64 *)p += val; break;
	}
	__kmm_this_cpu_end(held);
}

#define DEFINE_THIS_CPU_ADD(n, type)					\
void __kmm_this_cpu_add_##n(void *ptr, u64 val)				\
{									\
	struct task_struct *t = current;				\
	struct kmm_cpu *c;						\
									\
	if (unlikely(t->preempt_count) || unlikely(!(c = cpu_enter_held(t)))) \
		return this_cpu_add_slow(ptr, val, n);			\
	*(type *)((char *)ptr + c->pcpu_off) += (type)val;		\
	if (unlikely(cpu_leave_held(t, c)))				\
		kmm_cpu_leave_slow(t);					\
}
DEFINE_THIS_CPU_ADD(1, u8)
DEFINE_THIS_CPU_ADD(2, u16)
DEFINE_THIS_CPU_ADD(4, u32)
DEFINE_THIS_CPU_ADD(8, u64)

unsigned long __kmm_raw_cpu_off_call(void)
{
	return __kmm_raw_cpu_off();
}

/*
 * A __this_cpu_*() operation from preemptible code, as Linux's
 * check_preemption_disabled(): a thread bound to one CPU cannot migrate,
 * so it is exempt, as a per-CPU kthread is.  At most ten reports in five
 * seconds (printk_ratelimit()).
 */
void __this_cpu_preempt_check(const char *op)
{
	static DEFINE_RATELIMIT_STATE(rs, DEFAULT_RATELIMIT_INTERVAL, DEFAULT_RATELIMIT_BURST);
	struct task_struct *t = current;

	if (likely(t->preempt_count) || t->bound_cpu >= 0)
		return;
	kmm_report_count_inc(KMM_REPORT_PERCPU);
	if (!__ratelimit(&rs))
		return;
	printk(KERN_ERR "BUG: using %s() in preemptible [%08x] code: %s/%d\n", op, 0,
	       kmm_comm(), plat_gettid());
	printk(KERN_ERR "caller is %p\n", __builtin_return_address(0));
	dump_stack();
}
