/* SPDX-License-Identifier: MIT */
/*
 * Per-CPU data: the seeds' three examples, static variables (the
 * program's and the library's), the accessors, more threads than CPUs
 * losing no update, the chunk allocator (test_vmalloc's pcpu_alloc_test,
 * Linux's 1 M x 4 B pattern, chunks made and destroyed, atomic requests,
 * the reserved region), bad input, percpu_counter and the views.
 */
#include <pthread.h>
#include <stdlib.h>
#include "helpers.h"
#include "percpu_internal.h"

#define BOOT "mem=1G cpus=2"

static u64 rnd_state = 0x9e3779b97f4a7c15ull;
static u32 rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return (u32)rnd_state;
}

/* Inclusive range, as get_random_u32_inclusive(). */
static u32 rnd_incl(u32 lo, u32 hi)
{
	return lo + rnd() % (hi - lo + 1);
}

/* ---------------- the seeds' examples ---------------- */

/* 2.4 style: an array indexed by the CPU get_cpu() returns. */
struct my_object { unsigned long hits; };
static struct my_object my_object[NR_CPUS];

#define SEED_THREADS 6
#define SEED_ROUNDS 20000

static void *seed_array_worker(void *arg)
{
	(void)arg;
	for (int i = 0; i < SEED_ROUNDS; i++) {
		int cpu = get_cpu();
		my_object[cpu].hits++;
		put_cpu();
	}
	return NULL;
}

Test(percpu, seed_nr_cpus_array_with_get_cpu)
{
	pthread_t t[SEED_THREADS];

	boot_or_die(BOOT);
	memset(my_object, 0, sizeof(my_object));
	for (long i = 0; i < SEED_THREADS; i++)
		pthread_create(&t[i], NULL, seed_array_worker, NULL);
	for (int i = 0; i < SEED_THREADS; i++)
		pthread_join(t[i], NULL);
	int cpu = get_cpu();
	printk("my_object on cpu-%d is %lu\n", cpu, my_object[cpu].hits);
	put_cpu();
	unsigned long sum = 0;
	for (int c = 0; c < NR_CPUS; c++) {
		if (c >= (int)nr_cpu_ids)
			cr_assert_eq(my_object[c].hits, 0);
		sum += my_object[c].hits;
	}
	cr_assert_eq(sum, (unsigned long)SEED_THREADS * SEED_ROUNDS);
	cr_assert(dmesg_has("my_object on cpu-"));
	check_and_shutdown();
}

/* 2.6 style: DEFINE_PER_CPU and get_cpu_var / put_cpu_var. */
static DEFINE_PER_CPU(unsigned long, seed_var);

static void *seed_var_worker(void *arg)
{
	(void)arg;
	for (int i = 0; i < SEED_ROUNDS; i++) {
		get_cpu_var(seed_var)++;
		put_cpu_var(seed_var);
	}
	return NULL;
}

Test(percpu, seed_define_per_cpu_with_get_cpu_var)
{
	pthread_t t[SEED_THREADS];
	int cpu;

	boot_or_die(BOOT);
	for (int i = 0; i < SEED_THREADS; i++)
		pthread_create(&t[i], NULL, seed_var_worker, NULL);
	for (int i = 0; i < SEED_THREADS; i++)
		pthread_join(t[i], NULL);
	unsigned long sum = 0;
	for_each_possible_cpu(cpu)
		sum += per_cpu(seed_var, cpu);
	cr_assert_eq(sum, (unsigned long)SEED_THREADS * SEED_ROUNDS);
	/* The image was never written: each CPU has a copy of its own. */
	cr_assert_eq(seed_var, 0);
	cr_assert_neq(&per_cpu(seed_var, 0), &per_cpu(seed_var, 1));
	check_and_shutdown();
}

/* Run-time per-CPU data: alloc_percpu and per_cpu_ptr. */
Test(percpu, seed_alloc_percpu_with_per_cpu_ptr)
{
	int cpu;

	boot_or_die("mem=1G cpus=4");
	unsigned long __percpu *ptr = alloc_percpu(unsigned long);
	cr_assert_not_null(ptr);
	for_each_possible_cpu(cpu) {
		unsigned long *p = per_cpu_ptr(ptr, cpu);
		cr_assert_eq(*p, 0, "alloc_percpu memory is zeroed");
		if (cpu)
			cr_assert_eq((char *)p - (char *)per_cpu_ptr(ptr, cpu - 1), pcpu_unit_size);
	}
	for (int i = 0; i < 1000; i++) {
		unsigned long *foo = get_cpu_ptr(ptr);
		(*foo)++;
		put_cpu_ptr(ptr);
	}
	unsigned long sum = 0;
	for_each_possible_cpu(cpu)
		sum += *per_cpu_ptr(ptr, cpu);
	cr_assert_eq(sum, 1000);
	free_percpu(ptr);
	check_and_shutdown();
}

/* ---------------- static variables ---------------- */

static DEFINE_PER_CPU(int, answer) = 42;
static DEFINE_PER_CPU_SHARED_ALIGNED(long, shared_aligned) = -1;
static DEFINE_PER_CPU_ALIGNED(char, aligned_char) = 'x';
static DEFINE_PER_CPU_READ_MOSTLY(unsigned int, read_mostly) = 7;
static DEFINE_PER_CPU_PAGE_ALIGNED(char, page_buf[PAGE_SIZE]);
DECLARE_PER_CPU_READ_MOSTLY(int, cpu_number);
DECLARE_PER_CPU_READ_MOSTLY(unsigned long, this_cpu_off);

Test(percpu, static_copies_start_from_the_image_at_every_boot)
{
	int cpu;

	for (int round = 0; round < 2; round++) {
		boot_or_die("mem=512M cpus=3");
		for_each_possible_cpu(cpu) {
			cr_assert_eq(per_cpu(answer, cpu), 42);
			cr_assert_eq(per_cpu(shared_aligned, cpu), -1);
			cr_assert_eq(per_cpu(aligned_char, cpu), 'x');
			cr_assert_eq(per_cpu(read_mostly, cpu), 7);
			cr_assert_eq((unsigned long)&per_cpu(shared_aligned, cpu) % SMP_CACHE_BYTES, 0);
			cr_assert_eq((unsigned long)&per_cpu(page_buf, cpu) % PAGE_SIZE, 0);
			cr_assert(is_kernel_percpu_address((unsigned long)&per_cpu(answer, cpu)));
		}
		per_cpu(answer, 1) = 5;
		cr_assert_eq(per_cpu(answer, 0), 42);
		cr_assert_eq(per_cpu(answer, 2), 42);
		cr_assert_eq(answer, 42, "the image is not a CPU's copy");
		check_and_shutdown();
	}
}

Test(percpu, library_variables_set_at_boot)
{
	int cpu;

	boot_or_die("mem=512M cpus=4");
	for_each_possible_cpu(cpu) {
		cr_assert_eq(per_cpu(cpu_number, cpu), cpu);
		cr_assert_eq(per_cpu(this_cpu_off, cpu), per_cpu_offset(cpu));
	}
	kmm_bind_cpu(3);
	cr_assert_eq(this_cpu_read(cpu_number), 3);
	cr_assert_eq(*this_cpu_ptr(&cpu_number), 3 - 3 + 3);
	kmm_bind_cpu(-1);
	cr_assert(dmesg_has("percpu: Embedded "));
	check_and_shutdown();
}

static DEFINE_PER_CPU(long, ops_var);

Test(percpu, this_cpu_operations)
{
	boot_or_die(BOOT);
	kmm_bind_cpu(1);
	this_cpu_write(ops_var, 10);
	cr_assert_eq(per_cpu(ops_var, 1), 10);
	cr_assert_eq(per_cpu(ops_var, 0), 0);
	this_cpu_add(ops_var, 5);
	this_cpu_sub(ops_var, 2);
	this_cpu_inc(ops_var);
	this_cpu_dec(ops_var);
	this_cpu_dec(ops_var);
	cr_assert_eq(this_cpu_read(ops_var), 12);
	cr_assert_eq(this_cpu_add_return(ops_var, 3), 15);
	cr_assert_eq(this_cpu_cmpxchg(ops_var, 14, 100), 15, "no exchange when it differs");
	cr_assert_eq(this_cpu_read(ops_var), 15);
	cr_assert_eq(this_cpu_cmpxchg(ops_var, 15, 100), 15);
	cr_assert_eq(this_cpu_read(ops_var), 100);
	cr_assert_eq(this_cpu_xchg(ops_var, 7), 100);
	preempt_disable();
	__this_cpu_add(ops_var, 3);
	__this_cpu_inc(ops_var);
	__this_cpu_dec(ops_var);
	__this_cpu_sub(ops_var, 1);
	__this_cpu_write(ops_var, __this_cpu_read(ops_var) * 2);
	raw_cpu_inc(ops_var);
	long *p = this_cpu_ptr(&ops_var), *q = raw_cpu_ptr(&ops_var);
	preempt_enable();
	cr_assert_eq(p, q);
	cr_assert_eq(p, &per_cpu(ops_var, 1));
	cr_assert_eq(per_cpu(ops_var, 1), 19);
	cr_assert_eq(per_cpu(ops_var, 0), 0);
	kmm_bind_cpu(-1);
	cr_assert_eq(kmm_report_count(KMM_REPORT_PERCPU), 0);
	check_and_shutdown();
}

struct widths {
	u8 b;
	s8 sb;
	u16 h;
	int i;
	unsigned int u;
	u64 q;
	u8 guard;
};
static DEFINE_PER_CPU(struct widths, width_var);

/* A program's this_cpu_add() goes through one adder per width: each wraps at its own width. */
Test(percpu, this_cpu_add_at_every_width)
{
	boot_or_die(BOOT);
	kmm_bind_cpu(0);
	this_cpu_add(width_var.b, 250);
	this_cpu_add(width_var.b, 10);		/* 260 wraps to 4 */
	this_cpu_sub(width_var.sb, 3);
	this_cpu_add(width_var.h, 0xfffe);
	this_cpu_inc(width_var.h);
	this_cpu_inc(width_var.h);		/* wraps to 0 */
	this_cpu_sub(width_var.i, 7);
	this_cpu_dec(width_var.u);
	this_cpu_add(width_var.q, 1ull << 40);
	preempt_disable();			/* inside a section too */
	this_cpu_add(width_var.q, 5);
	preempt_enable();
	struct widths *w = &per_cpu(width_var, 0);
	cr_assert_eq(w->b, 4);
	cr_assert_eq(w->sb, -3);
	cr_assert_eq(w->h, 0);
	cr_assert_eq(w->i, -7);
	cr_assert_eq(w->u, 0xffffffffu);
	cr_assert_eq(w->q, (1ull << 40) + 5);
	cr_assert_eq(w->guard, 0, "a narrow add spilled into its neighbour");
	cr_assert_eq(per_cpu(width_var, 1).q, 0);
	kmm_bind_cpu(-1);
	check_and_shutdown();
}

Test(percpu, this_cpu_add_from_preemptible_code_is_reported_in_debug_builds)
{
	boot_or_die(BOOT);
	__this_cpu_add(ops_var, 1);
	if (KMM_DEBUG_PREEMPT_ON) {
		cr_assert_eq(kmm_report_count(KMM_REPORT_PERCPU), 1);
		cr_assert(dmesg_has("BUG: using __this_cpu_add() in preemptible [00000000] code: "));
		cr_assert(dmesg_has("caller is "));
	} else {
		cr_assert_eq(kmm_report_count(KMM_REPORT_PERCPU), 0);
	}
	/* A thread bound to its CPU cannot migrate: nothing to report. */
	kmm_bind_cpu(0);
	__this_cpu_inc(ops_var);
	kmm_bind_cpu(-1);
	cr_assert_eq(kmm_report_count(KMM_REPORT_PERCPU), KMM_DEBUG_PREEMPT_ON ? 1 : 0);
	long sum = per_cpu(ops_var, 0) + per_cpu(ops_var, 1);
	cr_assert_eq(sum, 2);
	check_and_shutdown();
}

/* ---------------- more threads than CPUs ---------------- */

#define HAMMER_THREADS 8
#define HAMMER_ROUNDS 50000

static DEFINE_PER_CPU(unsigned long, hammer_static);
static unsigned long __percpu *hammer_dyn;
static struct percpu_counter hammer_counter;

static void *hammer(void *arg)
{
	long me = (long)arg;

	if (me % 4 == 3)
		kmm_bind_cpu((int)(me % nr_cpu_ids));
	for (int i = 0; i < HAMMER_ROUNDS; i++) {
		this_cpu_inc(hammer_static);
		this_cpu_add(*hammer_dyn, 2);
		percpu_counter_inc(&hammer_counter);
		int cpu = get_cpu();
		__this_cpu_add(*hammer_dyn, 1);
		per_cpu(hammer_static, cpu) += 1;
		put_cpu();
		if (i % 4096 == 0)
			sched_yield();
	}
	return NULL;
}

Test(percpu, more_threads_than_cpus_lose_no_update)
{
	pthread_t t[HAMMER_THREADS];
	int cpu;

	boot_or_die("mem=512M cpus=3");
	hammer_dyn = alloc_percpu(unsigned long);
	cr_assert_not_null(hammer_dyn);
	cr_assert_eq(percpu_counter_init(&hammer_counter, 0, GFP_KERNEL), 0);
	for (long i = 0; i < HAMMER_THREADS; i++)
		pthread_create(&t[i], NULL, hammer, (void *)i);
	for (int i = 0; i < HAMMER_THREADS; i++)
		pthread_join(t[i], NULL);
	unsigned long s = 0, d = 0;
	for_each_possible_cpu(cpu) {
		s += per_cpu(hammer_static, cpu);
		d += *per_cpu_ptr(hammer_dyn, cpu);
	}
	cr_assert_eq(s, 2UL * HAMMER_THREADS * HAMMER_ROUNDS);
	cr_assert_eq(d, 3UL * HAMMER_THREADS * HAMMER_ROUNDS);
	cr_assert_eq(percpu_counter_sum(&hammer_counter), (s64)HAMMER_THREADS * HAMMER_ROUNDS);
	s64 approx = percpu_counter_read(&hammer_counter);
	s64 slack = (s64)percpu_counter_batch * nr_cpu_ids;
	cr_assert(approx <= (s64)HAMMER_THREADS * HAMMER_ROUNDS + slack &&
		  approx >= (s64)HAMMER_THREADS * HAMMER_ROUNDS - slack);
	percpu_counter_destroy(&hammer_counter);
	free_percpu(hammer_dyn);
	cr_assert_eq(kmm_report_count(KMM_REPORT_PERCPU), 0);
	check_and_shutdown();
}

/* ---------------- the allocator ---------------- */

static bool areas_disjoint_and_zeroed(void __percpu **p, size_t *size, int n)
{
	/* Write each area's index into every CPU's copy, then read all back. */
	int cpu;

	for (int i = 0; i < n; i++)
		for_each_possible_cpu(cpu) {
			unsigned char *a = per_cpu_ptr((unsigned char *)p[i], cpu);
			for (size_t b = 0; b < size[i]; b++)
				if (a[b])
					return false;
			memset(a, (i * 7 + cpu + 1) & 0xff ? (i * 7 + cpu + 1) & 0xff : 1, size[i]);
		}
	for (int i = 0; i < n; i++)
		for_each_possible_cpu(cpu) {
			unsigned char *a = per_cpu_ptr((unsigned char *)p[i], cpu);
			unsigned char want = (i * 7 + cpu + 1) & 0xff ? (i * 7 + cpu + 1) & 0xff : 1;
			for (size_t b = 0; b < size[i]; b++)
				if (a[b] != want)
					return false;
		}
	return true;
}

/* test_vmalloc's pcpu_alloc_test: 35000 of random size and alignment, then all freed. */
Test(percpu, pcpu_alloc_test_35000, .timeout = 240)
{
	enum { N = 35000 };
	void __percpu **pcpu = calloc(N, sizeof(*pcpu));
	size_t *size = calloc(N, sizeof(*size));
	int failed = 0;

	boot_or_die("mem=2G cpus=2");
	unsigned long pages_before = pcpu_nr_pages();
	for (int i = 0; i < N; i++) {
		size[i] = rnd_incl(1, PAGE_SIZE / 4);
		size_t align = 1UL << rnd_incl(1, 11);
		pcpu[i] = __alloc_percpu(size[i], align);
		if (!pcpu[i])
			failed++;
		else
			cr_assert_eq((unsigned long)pcpu[i] % align, 0, "alignment %zu", align);
	}
	cr_assert_eq(failed, 0);
	cr_assert_gt(pcpu_stats.nr_chunks, 100, "chunks are created on demand");
	cr_assert_eq(kmm_check(), 0);
	cr_assert(areas_disjoint_and_zeroed(pcpu, size, N));
	for (int i = 0; i < N; i++)
		free_percpu(pcpu[i]);
	cr_assert_leq(pcpu_stats.nr_chunks, 2, "free chunks are destroyed, one spare kept");
	cr_assert_leq(pcpu_nr_pages(), pages_before + (unsigned long)pcpu_chunk_bytes / PAGE_SIZE);
	cr_assert_eq(pcpu_stats.nr_cur_alloc, 0);
	cr_assert_eq(kmm_report_count(KMM_REPORT_PERCPU), 0);
	free(pcpu);
	free(size);
	check_and_shutdown();
}

/* Linux's bitmap-allocator pattern: 1 M x 4 bytes at 8-byte alignment. */
Test(percpu, one_million_4_byte_objects, .timeout = 240)
{
	enum { N = 1 << 20 };
	void __percpu **p = malloc(N * sizeof(*p));

	boot_or_die("mem=1G cpus=2");
	for (int i = 0; i < N; i++) {
		p[i] = __alloc_percpu(4, 8);
		cr_assert_not_null(p[i]);
	}
	cr_assert_eq(pcpu_stats.nr_cur_alloc, N);
	/* Each takes 8 bytes of every unit: N * 8 / unit_size chunks at least. */
	cr_assert_geq(pcpu_stats.nr_chunks, (u32)(N * 8UL / (unsigned long)pcpu_unit_size));
	cr_assert_eq(kmm_check(), 0);
	/* The worst order for coalescing: every other one, then the rest backwards. */
	for (int i = 0; i < N; i += 2)
		free_percpu(p[i]);
	cr_assert_eq(kmm_check(), 0);
	for (int i = N - 1; i >= 1; i -= 2)
		free_percpu(p[i]);
	cr_assert_eq(pcpu_stats.nr_cur_alloc, 0);
	cr_assert_leq(pcpu_stats.nr_chunks, 2);
	free(p);
	check_and_shutdown();
}

Test(percpu, sizes_and_alignments_are_honoured)
{
	boot_or_die(BOOT);
	void __percpu *big = __alloc_percpu(PCPU_MIN_UNIT_SIZE, PAGE_SIZE);
	cr_assert_not_null(big, "PCPU_MIN_UNIT_SIZE is the largest allocation");
	cr_assert_eq((unsigned long)big % PAGE_SIZE, 0);
	void __percpu *one = __alloc_percpu(1, 1);
	cr_assert_not_null(one);
	cr_assert_eq((unsigned long)one % PCPU_MIN_ALLOC_SIZE, 0);
	/* 1..4 bytes share one 4-byte bit: the next one is 4 bytes on. */
	void __percpu *two = __alloc_percpu(1, 1);
	cr_assert_eq((char *)two - (char *)one, PCPU_MIN_ALLOC_SIZE);
	free_percpu(big);
	free_percpu(one);
	free_percpu(two);
	check_and_shutdown();
}

Test(percpu, bad_sizes_and_alignments)
{
	static const struct { size_t size, align; const char *msg; } bad[] = {
		{ 0, 4, "illegal size (0) or align (4) for percpu allocation" },
		{ PCPU_MIN_UNIT_SIZE + 1, 4, "illegal size (32772) or align (4) for percpu allocation" },
		{ 16, 12, "illegal size (16) or align (12) for percpu allocation" },
		{ 16, 2 * PAGE_SIZE, "illegal size (16) or align (8192) for percpu allocation" },
		{ (size_t)1 << 40, 8, "illegal size (1099511627776) or align (8) for percpu allocation" },
	};

	boot_or_die(BOOT);
	u64 allocs = pcpu_stats.nr_alloc;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		cr_assert_null(__alloc_percpu(bad[i].size, bad[i].align));
		cr_assert(dmesg_has(bad[i].msg), "missing: %s", bad[i].msg);
	}
	cr_assert_eq(kmm_report_count(KMM_REPORT_PERCPU), ARRAY_SIZE(bad));
	kmm_dmesg_clear();
	cr_assert_null(__alloc_percpu_gfp(0, 4, GFP_KERNEL | __GFP_NOWARN));
	cr_assert(!dmesg_has("illegal size"), "__GFP_NOWARN silences it");
	cr_assert_eq(pcpu_stats.nr_alloc, allocs);
	check_and_shutdown();
}

Test(percpu, free_null_double_free_and_foreign_pointers)
{
	boot_or_die(BOOT);
	free_percpu(NULL);
	cr_assert_eq(kmm_report_count(KMM_REPORT_PERCPU), 0);
	int __percpu *a = alloc_percpu(int);
	u64 *b = (u64 *)alloc_percpu(u64[4]);
	free_percpu(a);
	free_percpu(a);
	cr_assert_eq(kmm_report_count(KMM_REPORT_PERCPU), 1);
	cr_assert(dmesg_has("double free or not the start of an allocation"));
	free_percpu(b + 1);	/* inside an allocation */
	cr_assert_eq(kmm_report_count(KMM_REPORT_PERCPU), 2);
	free_percpu(per_cpu_ptr(b, 1));	/* another CPU's copy */
	cr_assert_eq(kmm_report_count(KMM_REPORT_PERCPU), 3);
	void *k = kmalloc(32, GFP_KERNEL);
	free_percpu(k);
	cr_assert_eq(kmm_report_count(KMM_REPORT_PERCPU), 4);
	cr_assert(dmesg_has("not a per-CPU pointer"));
	cr_assert_eq(pcpu_stats.nr_cur_alloc, 1);
	free_percpu(b);
	kfree(k);
	check_and_shutdown();
}

Test(percpu, atomic_requests_use_populated_chunks_only)
{
	boot_or_die(BOOT);
	preempt_disable();
	int __percpu *a = alloc_percpu_gfp(int, GFP_ATOMIC);
	preempt_enable();
	cr_assert_not_null(a);
	cr_assert_eq(kmm_report_count(KMM_REPORT_MIGHT_SLEEP), 0);
	/* Fill every chunk there is; an atomic request then fails without making one. */
	void __percpu *held_areas[64];
	int n = 0;
	u32 chunks = pcpu_stats.nr_chunks;
	void __percpu *x;
	while (n < 64 && (x = __alloc_percpu_gfp(2048, 4, GFP_ATOMIC | __GFP_NOWARN)))
		held_areas[n++] = x;
	cr_assert_lt(n, 64);
	cr_assert_eq(pcpu_stats.nr_chunks, chunks, "atomic requests create no chunk");
	cr_assert_null(__alloc_percpu_gfp(2048, 4, GFP_ATOMIC));
	cr_assert(dmesg_has("percpu: allocation failed, size=2048 align=4 atomic=1, atomic alloc failed, no space left"));
	/* A sleeping request makes a chunk. */
	x = __alloc_percpu(2048, 4);
	cr_assert_not_null(x);
	cr_assert_eq(pcpu_stats.nr_chunks, chunks + 1);
	for (int i = 0; i < n; i++)
		free_percpu(held_areas[i]);
	free_percpu(x);
	free_percpu(a);
	check_and_shutdown();
}

Test(percpu, reserved_region)
{
	boot_or_die(BOOT);
	void __percpu *r = __alloc_reserved_percpu(64, 8);
	cr_assert_not_null(r);
	long off = (char *)r - (char *)pcpu_base_addr;
	cr_assert(off >= (long)pcpu_static_size && off < (long)(pcpu_static_size + pcpu_reserved_size));
	cr_assert_null(__alloc_reserved_percpu(PERCPU_MODULE_RESERVE, 4));
	cr_assert(dmesg_has("alloc from reserved chunk failed"));
	free_percpu(r);
	r = __alloc_reserved_percpu(PERCPU_MODULE_RESERVE, 4);
	cr_assert_not_null(r, "the whole reserved region is free again");
	free_percpu(r);
	check_and_shutdown();
}

Test(percpu, percpu_counter)
{
	struct percpu_counter c[3];

	boot_or_die("mem=512M cpus=4");
	cr_assert_eq(percpu_counter_batch, 32);
	cr_assert_eq(percpu_counter_init_many(c, 100, GFP_KERNEL, 3), 0);
	cr_assert(percpu_counter_initialized(&c[2]));
	kmm_bind_cpu(2);
	percpu_counter_add(&c[0], 10);
	cr_assert_eq(percpu_counter_read(&c[0]), 100, "below the batch, only the CPU's delta moves");
	cr_assert_eq(percpu_counter_sum(&c[0]), 110);
	percpu_counter_add(&c[0], 30);
	cr_assert_eq(percpu_counter_read(&c[0]), 140, "at the batch, the delta is folded");
	percpu_counter_sub(&c[1], 150);
	cr_assert_eq(percpu_counter_read(&c[1]), -50);
	cr_assert_eq(percpu_counter_read_positive(&c[1]), 0);
	cr_assert_eq(percpu_counter_sum_positive(&c[1]), 0);
	percpu_counter_add_batch(&c[2], 5, 1000);
	kmm_bind_cpu(3);
	percpu_counter_add_batch(&c[2], 7, 1000);
	cr_assert_eq(percpu_counter_read(&c[2]), 100);
	cr_assert_eq(percpu_counter_sum(&c[2]), 112);
	cr_assert_eq(percpu_counter_compare(&c[2], 112), 0);
	cr_assert_eq(percpu_counter_compare(&c[2], 111), 1);
	cr_assert_eq(percpu_counter_compare(&c[2], 10000), -1);
	percpu_counter_set(&c[2], 3);
	cr_assert_eq(percpu_counter_sum(&c[2]), 3);
	kmm_bind_cpu(-1);
	percpu_counter_destroy_many(c, 3);
	cr_assert(!percpu_counter_initialized(&c[0]));
	check_and_shutdown();
}

Test(percpu, meminfo_and_percpu_stats)
{
	char buf[1 << 16];
	FILE *f;

	boot_or_die(BOOT);
	void __percpu *a = __alloc_percpu(100, 8);
	f = fmemopen(buf, sizeof(buf), "w");
	cr_assert_eq(kmm_show("meminfo", f), 0);
	fclose(f);
	char want[64];
	snprintf(want, sizeof(want), "Percpu:         %8lu kB\n", pcpu_nr_pages() * 4);
	cr_assert(strstr(buf, want), "meminfo lacks %s", want);
	cr_assert_eq(pcpu_nr_pages(), (unsigned long)pcpu_stats.nr_chunks * pcpu_chunk_bytes / PAGE_SIZE);
	f = fmemopen(buf, sizeof(buf), "w");
	cr_assert_eq(kmm_show("percpu_stats", f), 0);
	fclose(f);
	cr_assert(strstr(buf, "Percpu Memory Statistics\nAllocation Info:\n"));
	snprintf(want, sizeof(want), "  unit_size           : %12d\n", pcpu_unit_size);
	cr_assert(strstr(buf, want), "%s", buf);
	cr_assert_eq(pcpu_unit_size % PAGE_SIZE, 0);
	cr_assert_eq((size_t)pcpu_unit_size, PAGE_ALIGN(pcpu_static_size + PERCPU_MODULE_RESERVE +
							PERCPU_DYNAMIC_RESERVE));
	cr_assert(strstr(buf, "  reserved_size       :         8192\n"));
	cr_assert(strstr(buf, "  nr_cur_alloc        :            1\n"), "%s", buf);
	cr_assert(strstr(buf, "  max_alloc_size      :          100\n"));
	cr_assert(strstr(buf, "Chunk: <- Reserved Chunk\n"));
	cr_assert(strstr(buf, "Chunk: <- First Chunk\n"));
	free_percpu(a);
	check_and_shutdown();
}

/* Threads allocating and freeing at once, more of them than CPUs. */
#define STRESS_THREADS 6
#define STRESS_ROUNDS 20000

static void *alloc_stress(void *arg)
{
	u64 seed = 0x2545f4914f6cdd1dull * (u64)((long)arg + 1);
	void __percpu *live[64] = { 0 };

	for (int i = 0; i < STRESS_ROUNDS; i++) {
		seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
		int slot = (int)(seed % 64);
		if (live[slot]) {
			free_percpu(live[slot]);
			live[slot] = NULL;
		} else {
			size_t size = 1 + (seed >> 8) % 3000, align = 1UL << ((seed >> 20) % 13);
			gfp_t gfp = (seed >> 30) % 4 ? GFP_KERNEL : GFP_ATOMIC | __GFP_NOWARN;
			live[slot] = __alloc_percpu_gfp(size, align, gfp);
			if (live[slot])
				this_cpu_write(*(char *)live[slot], 1);
		}
	}
	for (int s = 0; s < 64; s++)
		free_percpu(live[s]);
	return NULL;
}

Test(percpu, concurrent_allocations_and_frees)
{
	pthread_t t[STRESS_THREADS];

	boot_or_die("mem=1G cpus=3");
	for (long i = 0; i < STRESS_THREADS; i++)
		pthread_create(&t[i], NULL, alloc_stress, (void *)i);
	for (int i = 0; i < STRESS_THREADS; i++)
		pthread_join(t[i], NULL);
	cr_assert_eq(pcpu_stats.nr_cur_alloc, 0);
	cr_assert_leq(pcpu_stats.nr_chunks, 2);
	cr_assert_eq(kmm_report_count(KMM_REPORT_PERCPU), 0);
	check_and_shutdown();
}

/* A new chunk is a vmalloc area whose pages are backed only as allocations need them. */
Test(percpu, chunks_are_populated_lazily)
{
	void __percpu *held_areas[32];
	int n = 0;

	boot_or_die(BOOT);
	u32 chunks = pcpu_stats.nr_chunks;
	while (pcpu_stats.nr_chunks == chunks) {
		cr_assert_lt(n, 32);
		held_areas[n++] = __alloc_percpu(2048, 4);
	}
	void __percpu *x = held_areas[n - 1];
	struct pcpu_chunk *chunk = pcpu_chunk_addr_search(x);
	cr_assert(chunk && !chunk->km && chunk != pcpu_first_chunk);
	cr_assert(is_vmalloc_addr(x));
	cr_assert_eq(chunk->nr_populated, 1, "only the page the allocation is in");
	cr_assert_eq(pcpu_nr_pages(), (unsigned long)(pcpu_first_chunk->nr_pages + 1) * nr_cpu_ids);
	cr_assert_not_null(vmalloc_to_page(per_cpu_ptr((char *)x, 1)));
	cr_assert_null(vmalloc_to_page((char *)chunk->base_addr + PAGE_SIZE));
	cr_assert_eq(per_cpu_ptr_to_phys(x), page_to_phys(vmalloc_to_page(x)));

	/* Atomic requests: the rest of the populated page, then nothing. */
	void __percpu *a = __alloc_percpu_gfp(2048, 4, GFP_ATOMIC);
	cr_assert_not_null(a);
	cr_assert_eq(pcpu_chunk_addr_search(a), chunk);
	cr_assert_null(__alloc_percpu_gfp(2048, 4, GFP_ATOMIC | __GFP_NOWARN),
		       "free space is there, but not populated");
	cr_assert_eq(chunk->nr_populated, 1);
	void __percpu *b = __alloc_percpu(2048, 4);
	cr_assert_eq(pcpu_chunk_addr_search(b), chunk);
	cr_assert_eq(chunk->nr_populated, 2, "a sleeping request populates");
	*per_cpu_ptr((int *)b, 1) = 7;
	cr_assert_eq(kmm_check(), 0);

	free_percpu(a);
	free_percpu(b);
	for (int i = 0; i < n; i++)
		free_percpu(held_areas[i]);
	check_and_shutdown();
}

/* A chunk emptied from atomic context waits for the next sleeping request. */
Test(percpu, chunk_freed_in_atomic_context_goes_later)
{
	enum { N = 64 };
	void __percpu *p[N];

	boot_or_die(BOOT);
	for (int i = 0; i < N; i++)
		cr_assert_not_null(p[i] = __alloc_percpu(2048, 4));
	u32 chunks = pcpu_stats.nr_chunks;
	cr_assert_geq(chunks, 4);
	preempt_disable();
	for (int i = 0; i < N; i++)
		free_percpu(p[i]);
	preempt_enable();
	cr_assert_eq(pcpu_stats.nr_chunks, chunks, "nothing destroyed in atomic context");
	cr_assert_eq(kmm_report_count(KMM_REPORT_MIGHT_SLEEP), 0);
	cr_assert_eq(kmm_check(), 0);
	void __percpu *x = __alloc_percpu(8, 8);
	cr_assert_leq(pcpu_stats.nr_chunks, 2, "the next sleeping request destroyed them");
	free_percpu(x);
	check_and_shutdown();
}
