/* SPDX-License-Identifier: MIT */
/*
 * Slab benchmarks (issue 3, "Speed and size").  Every speed figure is the
 * best of many short runs (the estimator of bench_time.h's best_short()),
 * and the peers (Debian's mimalloc, glibc's malloc) run in the same
 * invocation, interleaved with kmm run by run so that the slow windows of
 * this shared two-core host land on all of them alike.  The target is
 * printed beside each figure with "ok" or "MISSED".
 *
 *   1. kmem_cache_alloc + kmem_cache_free, hot, one thread, beside Linux
 *      SLUB's published fast path (42 cycles, 10.5 ns at 4 GHz);
 *   2. kmalloc + kfree for 16 .. 4096 bytes, hot (one pair at a time) and
 *      in batches (1000 allocations, then their 1000 frees), as ratios
 *      against mi_malloc + mi_free and malloc + free;
 *   3. memory after a churn of random sizes and random frees: the pages in
 *      slabs (NR_SLAB_*) against the live bytes rounded up to their size
 *      classes, then, everything freed, that no node keeps more empty
 *      slabs than min_partial;
 *   4. two threads on two CPUs, each allocating and freeing CPU-locally,
 *      against one thread, with the peers' scaling as the machine's ceiling.
 *
 * mimalloc is loaded with dlopen(RTLD_LOCAL), not linked: Debian's
 * libmimalloc.so also defines malloc and free, so linking it would make it
 * the malloc of the whole process and the "glibc" column would measure
 * mimalloc.  Without it (no HAVE_MIMALLOC, or no library at run time) the
 * mimalloc column says so and the rest runs.
 *
 * An optional argument divides every iteration count (e.g. "100" to run
 * the bench quickly, or under valgrind --tool=callgrind).
 */
#include <dlfcn.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>
#include "slab.h"
#include <kmm/vmstat.h>
#include "bench_time.h"
#include "bench_threads.h"

#define BATCH	1000		/* allocations per batch */

static long scale = 1;		/* argv[1]: divides every iteration count */

/* The compiler must believe @p is used, or it may drop a malloc+free pair. */
static inline void keep(const void *p)
{
	__asm__ volatile("" : : "r"(p) : "memory");
}

static const char *verdict(bool met)
{
	return met ? "ok" : "MISSED";
}

/* --- the allocators under test --- */

/* mimalloc, looked up at run time (see the top of the file). */
static void *(*mi_malloc_fn)(size_t);
static void (*mi_free_fn)(void *);
static bool (*mi_is_in_heap_region_fn)(const void *);
static const char *mi_absent = "not built with mimalloc (install libmimalloc-dev)";

static void mimalloc_load(void)
{
#ifdef HAVE_MIMALLOC
	void *h = dlopen("libmimalloc.so", RTLD_NOW | RTLD_LOCAL);

	if (!h)
		h = dlopen("libmimalloc.so.2", RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		mi_absent = "libmimalloc.so not loadable at run time";
		return;
	}
	mi_malloc_fn = (void *(*)(size_t))dlsym(h, "mi_malloc");
	mi_free_fn = (void (*)(void *))dlsym(h, "mi_free");
	mi_is_in_heap_region_fn = (bool (*)(const void *))dlsym(h, "mi_is_in_heap_region");
	if (!mi_malloc_fn || !mi_free_fn) {
		mi_malloc_fn = NULL;
		mi_absent = "libmimalloc.so lacks mi_malloc/mi_free";
	}
#endif
}

static bool have_mimalloc(void)
{
	return mi_malloc_fn != NULL;
}

#define KMALLOC(sz)	kmalloc(sz, GFP_KERNEL)
#define MI_MALLOC(sz)	mi_malloc_fn(sz)
#define MI_FREE(p)	mi_free_fn(p)

/*
 * The two loops, once per allocator, so that each calls its allocator
 * directly: hot (one pair at a time) and batched (BATCH allocations, then
 * their frees in the same order).  @n is the number of pairs.
 */
static void *batch[BATCH];
#define DEFINE_LOOPS(name, ALLOC, FREE)					\
static void name##_hot(size_t size, long n)				\
{									\
	for (long i = 0; i < n; i++) {					\
		void *p = ALLOC(size);					\
		keep(p);						\
		FREE(p);						\
	}								\
}									\
static void name##_batch(size_t size, long n)				\
{									\
	for (long i = 0; i < n; i += BATCH) {				\
		for (int j = 0; j < BATCH; j++)				\
			batch[j] = ALLOC(size);				\
		keep(batch);						\
		for (int j = 0; j < BATCH; j++)				\
			FREE(batch[j]);					\
	}								\
}
DEFINE_LOOPS(kmm, KMALLOC, kfree)
DEFINE_LOOPS(mi, MI_MALLOC, MI_FREE)
DEFINE_LOOPS(glibc, malloc, free)

typedef void (*loop_fn)(size_t size, long n);

/*
 * The best of many short runs of each of @nfn contenders, interleaved run
 * by run so that the host's slow windows fall on all of them alike, and
 * spread over at least BEST_SPAN_NS (bench_time.h: the estimator of
 * best_short(), for several at once).  Each run is @total / 200 pairs,
 * rounded to a multiple of @unit.  @out[i]: ns per pair of @fns[i].
 */
static void best_interleaved(const loop_fn *fns, int nfn, size_t size, long total, long unit,
			     double *out)
{
	long iters = total / 200 / unit * unit;
	struct timespec gap = { 0, 1000000 };
	double start = now_ns();

	if (iters < unit)
		iters = unit;
	for (int i = 0; i < nfn; i++)
		out[i] = 1e30;
	for (int r = 0; r < 200 || now_ns() - start < BEST_SPAN_NS; r++) {
		if (r >= 200)
			nanosleep(&gap, NULL);
		for (int i = 0; i < nfn; i++) {
			double t0 = now_ns();

			fns[i](size, iters);
			double t = (now_ns() - t0) / (double)iters;
			if (t < out[i])
				out[i] = t;
		}
	}
}

/* --- 1. kmem_cache_alloc + kmem_cache_free, hot --- */

#define LINUX_SLUB_FAST_NS	10.5	/* 42 cycles at 4 GHz */

static struct kmem_cache *bench_cache;

static void cache_hot(size_t size, long n)
{
	(void)size;
	for (long i = 0; i < n; i++) {
		void *p = kmem_cache_alloc(bench_cache, GFP_KERNEL);
		keep(p);
		kmem_cache_free(bench_cache, p);
	}
}

static bool bench_cache_hot(void)
{
	const loop_fn fn = cache_hot;
	double ns;

	cache_hot(0, 100000);	/* warm: the CPU slab exists */
	best_interleaved(&fn, 1, 0, 2000000 / scale, 1, &ns);
	bool met = ns <= 8.0;

	printf("1. kmem_cache_alloc+kmem_cache_free, 64-byte cache, hot, one thread\n");
	printf("   %-40s %7.2f ns   target <= 8 ns: %s\n", "kmm", ns, verdict(met));
	printf("   %-40s %7.2f ns   (kmm/Linux %.2fx)\n",
	       "Linux SLUB fast path, published", LINUX_SLUB_FAST_NS, ns / LINUX_SLUB_FAST_NS);
	return met;
}

/* --- 2. kmalloc + kfree against mimalloc and glibc --- */

static const size_t sizes[] = { 16, 32, 64, 128, 256, 512, 1024, 2048, 4096 };

struct kmalloc_result {
	double kmm, mi, glibc;
};

static void run_sizes(const char *mode, loop_fn kmm_fn, loop_fn mi_fn, loop_fn glibc_fn,
		      long n, long unit, struct kmalloc_result *res)
{
	const loop_fn fns[] = { kmm_fn, glibc_fn, mi_fn };

	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		double best[3] = { 0, 0, 0 };
		size_t sz = sizes[i];

		/* Warm each allocator for this size first. */
		kmm_fn(sz, BATCH);
		glibc_fn(sz, BATCH);
		if (have_mimalloc())
			mi_fn(sz, BATCH);
		best_interleaved(fns, have_mimalloc() ? 3 : 2, sz, n, unit, best);
		res[i].kmm = best[0];
		res[i].glibc = best[1];
		res[i].mi = best[2];
		printf("   %-6s %5zu %9.2f", mode, sz, res[i].kmm);
		if (have_mimalloc())
			printf(" %9.2f", res[i].mi);
		else
			printf(" %9s", "-");
		printf(" %9.2f", res[i].glibc);
		if (have_mimalloc())
			printf("   %5.2f %-6s", res[i].kmm / res[i].mi,
			       verdict(res[i].kmm <= res[i].mi));
		else
			printf("   %5s %-6s", "-", "");
		printf("   %5.2f %s\n", res[i].kmm / res[i].glibc,
		       verdict(res[i].kmm <= 0.5 * res[i].glibc));
	}
}

/* Counts the (size, mode) cases that meet each target, and prints the geometric means. */
static void tally(const char *mode, const struct kmalloc_result *res, int *mi_met,
		  int *glibc_met)
{
	double log_mi = 0, log_glibc = 0;

	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		*mi_met += have_mimalloc() && res[i].kmm <= res[i].mi;
		*glibc_met += res[i].kmm <= 0.5 * res[i].glibc;
		log_mi += have_mimalloc() ? log(res[i].kmm / res[i].mi) : 0;
		log_glibc += log(res[i].kmm / res[i].glibc);
	}
	printf("   %-6s geometric mean over the sizes:", mode);
	if (have_mimalloc())
		printf(" kmm/mimalloc %.2f,", exp(log_mi / (double)ARRAY_SIZE(sizes)));
	printf(" kmm/glibc %.2f\n", exp(log_glibc / (double)ARRAY_SIZE(sizes)));
}

static bool bench_kmalloc(void)
{
	struct kmalloc_result hot[ARRAY_SIZE(sizes)], batched[ARRAY_SIZE(sizes)];
	int mi_met = 0, glibc_met = 0, cases = 2 * (int)ARRAY_SIZE(sizes);

	printf("\n2. kmalloc+kfree vs mi_malloc+mi_free vs malloc+free, ns per pair\n");
	if (!have_mimalloc())
		printf("   mimalloc: %s; that peer is skipped\n", mi_absent);
	printf("   %-6s %5s %9s %9s %9s   %s   %s\n", "mode", "size", "kmm", "mimalloc", "glibc",
	       "kmm/mi (<=1.0)", "kmm/glibc (<=0.5)");
	run_sizes("hot", kmm_hot, mi_hot, glibc_hot, 1000000 / scale, 1, hot);
	run_sizes("batch", kmm_batch, mi_batch, glibc_batch, 500000 / scale, BATCH, batched);
	tally("hot", hot, &mi_met, &glibc_met);
	tally("batch", batched, &mi_met, &glibc_met);
	if (have_mimalloc())
		printf("   kmm <= 1.0x mimalloc in %d of %d cases: %s\n", mi_met, cases,
		       verdict(mi_met == cases));
	printf("   kmm <= 0.5x glibc in %d of %d cases: %s\n", glibc_met, cases,
	       verdict(glibc_met == cases));
	return (!have_mimalloc() || mi_met == cases) && glibc_met == cases;
}

/* --- 3. memory after churn --- */

static unsigned long slab_pages(void)
{
	return global_node_page_state(NR_SLAB_UNRECLAIMABLE_B) +
	       global_node_page_state(NR_SLAB_RECLAIMABLE_B);
}

/* A random size in 1..4096, each power-of-two range about equally likely. */
static size_t churn_size(unsigned int *seed)
{
	unsigned int cap = 16U << (rand_r(seed) % 9);

	return 1 + (size_t)rand_r(seed) % cap;
}

/* Pages and live bytes of one kmalloc cache, for the breakdown of the worst. */
struct cache_use {
	struct kmem_cache *s;
	unsigned long pages, live;
};

static int cmp_waste(const void *a, const void *b)
{
	const struct cache_use *x = a, *y = b;
	long wx = (long)(x->pages * PAGE_SIZE) - (long)x->live;
	long wy = (long)(y->pages * PAGE_SIZE) - (long)y->live;

	return (wy > wx) - (wy < wx);
}

static void print_worst_caches(void)
{
	struct cache_use use[KMALLOC_SHIFT_HIGH + 1];
	int n = 0;

	for (int i = 0; i <= KMALLOC_SHIFT_HIGH; i++) {
		struct kmem_cache *s = kmalloc_caches[KMALLOC_NORMAL][i];
		struct slabinfo si;

		if (!s)
			continue;
		get_slabinfo(s, &si);
		use[n].s = s;
		use[n].pages = si.num_slabs << si.cache_order;
		use[n].live = si.active_objs * s->size;
		n++;
	}
	qsort(use, (size_t)n, sizeof(use[0]), cmp_waste);
	printf("     most pages beyond their objects:");
	for (int i = 0; i < 3 && i < n; i++)
		printf(" %s %lu pages %.2fx;", use[i].s->name, use[i].pages,
		       use[i].live ? (double)(use[i].pages * PAGE_SIZE) / (double)use[i].live : 0);
	printf("\n");
}

/* Each node of each kmalloc cache keeps at most min_partial empty slabs. */
static bool empties_within_min_partial(unsigned long *kept_pages, unsigned long *bound_pages)
{
	bool ok = true;

	*kept_pages = *bound_pages = 0;
	for (int i = 0; i <= KMALLOC_SHIFT_HIGH; i++) {
		struct kmem_cache *s = kmalloc_caches[KMALLOC_NORMAL][i];
		struct slabinfo si;

		if (!s)
			continue;
		get_slabinfo(s, &si);
		if (si.nr_empty > s->min_partial * (unsigned long)nr_online_nodes) {
			printf("   %s keeps %lu empty slabs, min_partial is %lu\n", s->name,
			       si.nr_empty, s->min_partial);
			ok = false;
		}
		*kept_pages += si.num_slabs << si.cache_order;
		/*
		 * Per CPU: its slab, its partial list (Linux's cpu_partial_slabs,
		 * empty slabs too) and a slab for each object its sheaves hold.
		 */
		unsigned long per_cpu = 0;
		for (unsigned int cpu = 0; cpu < nr_cpu_ids; cpu++) {
			struct slab_spare *sp = cpu_spare(s, (int)cpu);

			per_cpu += 1 + s->cpu_partial_slabs + cpu_slab(s, (int)cpu)->sheaf.size +
				   (sp ? sp->size : 0);
		}
		*bound_pages += (s->min_partial * (unsigned long)nr_online_nodes + per_cpu) << s->order;
	}
	return ok;
}

/* An allocator under the churn: kmm's kmalloc, or a peer's malloc. */
struct churn_ops {
	const char *name;
	void *(*alloc)(size_t size);
	void (*free)(void *p);
};

static void *kmm_alloc_one(size_t size)
{
	return kmalloc(size, GFP_KERNEL);
}

static void *mi_alloc_one(size_t size)
{
	return mi_malloc_fn(size);
}

static void mi_free_one(void *p)
{
	mi_free_fn(p);
}

static void kmm_free_one(void *p)
{
	kfree(p);
}

static const struct churn_ops kmm_ops = { "kmm", kmm_alloc_one, kmm_free_one };
static const struct churn_ops glibc_ops = { "glibc", malloc, free };
static const struct churn_ops mi_ops = { "mimalloc", mi_alloc_one, mi_free_one };

struct churn {
	const struct churn_ops *ops;
	void **obj;
	size_t *size;		/* requested */
	long slots, nr_live, live_target, ops_count;
	unsigned int seed;
};

static void churn_alloc(struct churn *c, long j)
{
	c->size[j] = churn_size(&c->seed);
	c->obj[j] = c->ops->alloc(c->size[j]);
	c->nr_live++;
}

static void churn_free(struct churn *c, long j)
{
	c->ops->free(c->obj[j]);
	c->obj[j] = NULL;
	c->nr_live--;
}

/* The live objects' bytes, requested and rounded up to kmalloc's size classes. */
static unsigned long churn_live(const struct churn *c, unsigned long *requested)
{
	unsigned long live = 0;

	*requested = 0;
	for (long j = 0; j < c->slots; j++) {
		if (!c->obj[j])
			continue;
		*requested += c->size[j];
		live += kmalloc_size_roundup(c->size[j]);
	}
	return live;
}

/*
 * Steady churn: half the slots filled, then at random slots a free (if
 * live) or an allocation, so the live set stays near live_target.
 */
static void churn_steady(struct churn *c)
{
	for (long j = 0; j < c->slots; j += 2)
		churn_alloc(c, j);
	for (long i = 0; i < c->ops_count; i++) {
		long j = rand_r(&c->seed) % c->slots;

		if (c->obj[j])
			churn_free(c, j);
		else
			churn_alloc(c, j);
	}
}

/*
 * A peak and a shrink: every slot filled, and random objects freed until
 * live_target remain, which leaves slabs partly used: no allocator that
 * does not move objects can give their pages back.
 */
static void churn_peak(struct churn *c)
{
	for (long j = 0; j < c->slots; j++)
		if (!c->obj[j])
			churn_alloc(c, j);
	while (c->nr_live > c->live_target) {
		long j = rand_r(&c->seed) % c->slots;

		if (c->obj[j])
			churn_free(c, j);
	}
}

static void churn_free_all(struct churn *c)
{
	for (long j = 0; j < c->slots; j++)
		if (c->obj[j])
			churn_free(c, j);
}

static struct churn churn_new(const struct churn_ops *ops)
{
	const long live_target = 100000;
	struct churn c = { .ops = ops, .slots = 2 * live_target, .live_target = live_target,
			   .ops_count = 2000000 / scale, .seed = 12345 };

	c.obj = calloc((size_t)c.slots, sizeof(*c.obj));
	c.size = calloc((size_t)c.slots, sizeof(*c.size));
	return c;
}

static long rss_bytes(void)
{
	long pages = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f) {
		if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
			resident = 0;
		fclose(f);
	}
	return resident * sysconf(_SC_PAGESIZE);
}

/*
 * A peer's memory after the same two phases, run in a child of its own:
 * the growth of the child's RSS over the live bytes in kmalloc's size
 * classes, after each phase (@ratio[0], @ratio[1]); false if it failed.
 * Its own bookkeeping arrays are touched whole before the first reading.
 */
static bool churn_peer(const struct churn_ops *ops, double ratio[2])
{
	int fd[2];

	if (pipe(fd))
		return false;
	pid_t pid = fork();
	if (pid < 0)
		return false;
	if (pid == 0) {
		struct churn c = churn_new(ops);
		unsigned long req;

		memset(c.obj, 0, (size_t)c.slots * sizeof(*c.obj));
		memset(c.size, 0, (size_t)c.slots * sizeof(*c.size));
		long base = rss_bytes();
		churn_steady(&c);
		ratio[0] = (double)(rss_bytes() - base) / (double)churn_live(&c, &req);
		churn_peak(&c);
		ratio[1] = (double)(rss_bytes() - base) / (double)churn_live(&c, &req);
		_exit(write(fd[1], ratio, 2 * sizeof(double)) == 2 * sizeof(double) ? 0 : 1);
	}
	close(fd[1]);
	bool ok = read(fd[0], ratio, 2 * sizeof(double)) == 2 * sizeof(double);
	close(fd[0]);
	waitpid(pid, NULL, 0);
	return ok;
}

/* Prints the slab pages held over @base against the live set; returns the ratio. */
static double churn_report(const struct churn *c, const char *what, unsigned long base)
{
	unsigned long live_req, live = churn_live(c, &live_req);
	unsigned long held = slab_pages() - base;
	double ratio = (double)(held * PAGE_SIZE) / (double)live;

	printf("   %s: %ld objects live (%lu bytes requested)\n", what, c->nr_live, live_req);
	printf("     kmm: slab pages held (NR_SLAB_*) %lu, live bytes in size classes %lu pages:"
	       " %.3fx\n", held, live / PAGE_SIZE, ratio);
	print_worst_caches();
	return ratio;
}

static void churn_print_peers(const double glibc[2], const double mi[2], int phase)
{
	printf("     peers in the same churn, RSS growth over the same live bytes:");
	if (glibc[0] > 0)
		printf(" glibc %.3fx", glibc[phase]);
	if (mi[0] > 0)
		printf(", mimalloc %.3fx", mi[phase]);
	printf("\n");
}

/*
 * Random sizes 1..4096 in 2 * live_target slots: the steady churn that the
 * target is about, then a peak and random frees, which no allocator that
 * leaves objects where they are undoes (shown beside the peers, no
 * target), then everything freed: empty slabs beyond min_partial returned.
 */
/*
 * Give back what the kmalloc caches' sheaves hold from the sections before
 * (a spare sheaf keeps its last batch, megabytes), as Linux's
 * /sys/kernel/slab/NAME/shrink does: the churn would give it back as it
 * goes, and the slabs it freed would count against the churn's own.
 */
static void shrink_kmalloc_caches(void)
{
	for (int i = 0; i <= KMALLOC_SHIFT_HIGH; i++)
		if (kmalloc_caches[KMALLOC_NORMAL][i])
			kmem_cache_shrink(kmalloc_caches[KMALLOC_NORMAL][i]);
}

static bool bench_churn(void)
{
	shrink_kmalloc_caches();
	struct churn c = churn_new(&kmm_ops);
	unsigned long base = slab_pages();
	double glibc[2] = { 0, 0 }, mi[2] = { 0, 0 };

	churn_peer(&glibc_ops, glibc);
	if (have_mimalloc())
		churn_peer(&mi_ops, mi);
	printf("\n3. memory after churn: random sizes 1..4096, %ld slots, %lu slab pages before"
	       " (not counted)\n", c.slots, base);
	churn_steady(&c);
	double steady = churn_report(&c, "steady churn, then", base);
	bool met = steady <= 1.2;
	churn_print_peers(glibc, mi, 0);
	printf("     %-40s %s\n", "kmm target <= 1.2x:", verdict(met));

	churn_peak(&c);
	churn_report(&c, "a peak of every slot, then random frees down to the live set", base);
	churn_print_peers(glibc, mi, 1);
	printf("     (no target: partly used slabs cannot be given back without moving objects)\n");

	/*
	 * Everything freed: only min_partial empty slabs per node stay, plus
	 * what each CPU holds (its slab, partial list and sheaf).
	 */
	churn_free_all(&c);
	free(c.obj);
	free(c.size);
	unsigned long kept, bound;
	bool empties_ok = empties_within_min_partial(&kept, &bound);

	printf("   all freed: slab pages %lu (%lu before); kmalloc caches keep %lu, their"
	       " min_partial, CPU slabs, CPU partial lists and sheaves allow %lu\n", slab_pages(),
	       base, kept, bound);
	printf("   %-40s %s\n", "empty slabs beyond min_partial returned",
	       verdict(empties_ok && kept <= bound));
	return met && empties_ok && kept <= bound;
}

/* --- 4. two threads on two CPUs against one (bench_threads.h) --- */

static void cache_hot64(long n)
{
	cache_hot(64, n);
}

static void glibc_hot64(long n)
{
	glibc_hot(64, n);
}

static void mi_hot64(long n)
{
	mi_hot(64, n);
}

static bool bench_threads(void)
{
	const long n = 400000 / scale;
	struct scaling s[] = {
		{ .name = "kmm kmem_cache_alloc+free", .fn = cache_hot64, .n = n },
		{ .name = "peer: glibc malloc+free", .fn = glibc_hot64, .n = n },
		{ .name = "peer: mimalloc", .fn = mi_hot64, .n = n },
	};

	printf("\n4. two threads on two CPUs vs one, CPU-local alloc+free of 64 bytes (throughput)\n");
	return scaling_report(s, have_mimalloc() ? 3 : 2, 1.8, "   ");
}

int main(int argc, char **argv)
{
	if (argc > 1 && atol(argv[1]) > 0)
		scale = atol(argv[1]);
	mimalloc_load();
	kmm_set_console(NULL);
	if (kmm_boot("mem=4G cpus=2"))
		return 1;
	kmm_bind_cpu(0);
	bench_cache = kmem_cache_create("bench-64", 64, 0, SLAB_NO_MERGE, NULL);
	if (!bench_cache)
		return 1;

	printf("kmm slab benchmarks: the best of many short runs, peers interleaved run by run\n"
	       "in the same process (bench_time.h, bench_threads.h).  This machine has 2 shared,\n"
	       "noisy cores: expect some spread between runs.\n\n");
	if (have_mimalloc() && mi_is_in_heap_region_fn) {
		void *p = malloc(32);
		if (mi_is_in_heap_region_fn(p))
			printf("warning: malloc is mimalloc's in this process; the glibc column is not glibc\n");
		free(p);
	}

	int missed = 0;
	missed += !bench_cache_hot();
	missed += !bench_kmalloc();
	missed += !bench_churn();
	missed += !bench_threads();

	kmem_cache_destroy(bench_cache);
	if (kmm_check())
		printf("kmm_check found problems!\n");
	kmm_shutdown();
	printf("\n%d of 4 sections meet every target\n", 4 - missed);
	return 0;
}
