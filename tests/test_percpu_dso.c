/* SPDX-License-Identifier: MIT */
/*
 * Static per-CPU variables in a program linked with the shared libkmm and
 * in a shared object loaded with dlopen(): each module's section is
 * registered when it loads and gets a copy per CPU initialised from its
 * image; one loaded after boot is served from the reserved region and
 * gives it back when unloaded.
 */
#include <dlfcn.h>
#include <criterion/criterion.h>
#include <kmm/kmm.h>

static DEFINE_PER_CPU(long, prog_var) = 5;

struct module {
	void *handle;
	int *(*var_ptr)(int cpu);
	void (*inc)(void);
	long (*sum)(void);
};

static void module_load(struct module *m)
{
	m->handle = dlopen(PERCPU_MODULE_PATH, RTLD_NOW | RTLD_LOCAL);
	cr_assert_not_null(m->handle, "dlopen: %s", dlerror());
	m->var_ptr = (int *(*)(int))dlsym(m->handle, "mod_var_ptr");
	m->inc = (void (*)(void))dlsym(m->handle, "mod_inc");
	m->sum = (long (*)(void))dlsym(m->handle, "mod_sum");
	cr_assert(m->var_ptr && m->inc && m->sum);
}

static void boot(const char *cmdline)
{
	kmm_set_console(NULL);
	cr_assert_eq(kmm_boot(cmdline), 0);
}

static void check_module(struct module *m)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		cr_assert_eq(*m->var_ptr(cpu), 77, "cpu %d", cpu);
		cr_assert(is_kernel_percpu_address((unsigned long)m->var_ptr(cpu)));
	}
	for (int i = 0; i < 1000; i++)
		m->inc();
	cr_assert_eq(m->sum(), 1000);
	long bumped = 0;
	for_each_possible_cpu(cpu)
		bumped += *m->var_ptr(cpu) - 77;
	cr_assert_eq(bumped, 1000);
}

Test(percpu_dso, program_variables_with_the_shared_library)
{
	int cpu;

	boot("mem=256M cpus=3");
	for_each_possible_cpu(cpu) {
		cr_assert_eq(per_cpu(prog_var, cpu), 5);
		cr_assert(is_kernel_percpu_address((unsigned long)&per_cpu(prog_var, cpu)));
	}
	this_cpu_add(prog_var, 10);
	long sum = 0;
	for_each_possible_cpu(cpu)
		sum += per_cpu(prog_var, cpu);
	cr_assert_eq(sum, 3 * 5 + 10);
	cr_assert_eq(prog_var, 5, "the image stays as it was");
	cr_assert_eq(kmm_check(), 0);
	kmm_shutdown();
}

Test(percpu_dso, object_loaded_after_boot_uses_the_reserved_region)
{
	struct module m;

	boot("mem=256M cpus=2");
	void __percpu *probe = __alloc_reserved_percpu(PERCPU_MODULE_RESERVE, 4);
	cr_assert_not_null(probe, "the reserved region starts empty");
	free_percpu(probe);
	module_load(&m);
	check_module(&m);
	cr_assert_null(__alloc_reserved_percpu(PERCPU_MODULE_RESERVE, 4),
		       "the object's section holds part of the reserved region");
	cr_assert_eq(kmm_check(), 0);
	dlclose(m.handle);
	probe = __alloc_reserved_percpu(PERCPU_MODULE_RESERVE, 4);
	cr_assert_not_null(probe, "unloading gave the reserved area back");
	free_percpu(probe);
	cr_assert_eq(kmm_check(), 0);
	kmm_shutdown();
}

Test(percpu_dso, object_loaded_before_boot_lives_in_the_static_area)
{
	struct module m;

	module_load(&m);
	for (int round = 0; round < 2; round++) {
		boot("mem=256M cpus=4");
		void __percpu *probe = __alloc_reserved_percpu(PERCPU_MODULE_RESERVE, 4);
		cr_assert_not_null(probe, "a section registered before boot is static");
		free_percpu(probe);
		check_module(&m);
		cr_assert_eq(kmm_check(), 0);
		kmm_shutdown();
	}
	dlclose(m.handle);
}
