/* SPDX-License-Identifier: MIT */
/*
 * RCU: synchronize_rcu() waits for readers; call_rcu() and kfree_rcu() never
 * free what a reader still holds (real threads); rcu_barrier(); callbacks
 * run in atomic context, in order; might_sleep() in a reader section is
 * reported; SLAB_TYPESAFE_BY_RCU memory stays an object of its cache until
 * a grace period after its slab was emptied (with and without SLUB
 * debugging); the slub_kunit cases test_kfree_rcu and
 * test_kfree_rcu_wq_destroy, and a deterministic form of them (a reader
 * holds the grace period while the cache is destroyed); shutdown drains
 * and reboots leave nothing behind.
 */
#include <dirent.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>
#include "helpers.h"
#include "slab.h"

static void wait_flag(volatile int *flag)
{
	while (!__atomic_load_n(flag, __ATOMIC_ACQUIRE))
		usleep(100);
}

/* --- synchronize_rcu --- */

static volatile int reader_in, reader_out;

static void *slow_reader(void *arg)
{
	(void)arg;
	rcu_read_lock();
	__atomic_store_n(&reader_in, 1, __ATOMIC_RELEASE);
	usleep(100 * 1000);	/* host sleep: the CPU stays held */
	__atomic_store_n(&reader_out, 1, __ATOMIC_RELEASE);
	rcu_read_unlock();
	return NULL;
}

Test(rcu, synchronize_rcu_waits_for_readers)
{
	pthread_t t;

	boot_or_die("cpus=4");
	unsigned long gp = kmm_rcu_gp_count();
	synchronize_rcu();	/* no reader: returns */
	cr_assert_gt(kmm_rcu_gp_count(), gp);
	reader_in = reader_out = 0;
	pthread_create(&t, NULL, slow_reader, NULL);
	wait_flag(&reader_in);
	synchronize_rcu();
	cr_assert_eq(__atomic_load_n(&reader_out, __ATOMIC_ACQUIRE), 1,
		     "synchronize_rcu() returned while a reader was inside its section");
	pthread_join(t, NULL);
	cr_assert_eq(kmm_report_count(KMM_REPORT_MIGHT_SLEEP), 0);
	check_and_shutdown();
}

/* --- readers against call_rcu() / kfree_rcu() frees --- */

#define WORDS 6

struct robj {
	u64 w[WORDS];		/* every word = the object's generation */
	struct rcu_head rh;
};

static struct robj *gp_obj;
static volatile int stop_readers;
static unsigned long bad_reads, good_reads;

static void *reader(void *arg)
{
	(void)arg;
	while (!__atomic_load_n(&stop_readers, __ATOMIC_ACQUIRE)) {
		rcu_read_lock();
		struct robj *p = rcu_dereference(gp_obj);
		u64 gen = p->w[0];
		bool bad = false;
		/* Look long enough for a premature free to land meanwhile. */
		for (int round = 0; round < 200 && !bad; round++)
			for (int i = 0; i < WORDS; i++)
				if (READ_ONCE(p->w[i]) != gen)
					bad = true;
		rcu_read_unlock();
		__atomic_add_fetch(bad ? &bad_reads : &good_reads, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

static struct robj *new_robj(u64 gen)
{
	struct robj *p = kmalloc(sizeof(*p), GFP_KERNEL);

	cr_assert_not_null(p);
	for (int i = 0; i < WORDS; i++)
		p->w[i] = gen;
	return p;
}

static unsigned long cb_freed;

/* Scribble before freeing: a reader still looking would see it. */
static void robj_free_cb(struct rcu_head *h)
{
	struct robj *p = container_of(h, struct robj, rh);

	for (int i = 0; i < WORDS; i++)
		p->w[i] = ~0ULL;
	kfree(p);
	cb_freed++;
}

static void readers_vs_frees(bool use_kfree_rcu)
{
	enum { NR_READERS = 3, UPDATES = 20000 };
	pthread_t t[NR_READERS];

	boot_or_die("cpus=4");
	stop_readers = 0;
	bad_reads = good_reads = cb_freed = 0;
	gp_obj = new_robj(1);
	for (int i = 0; i < NR_READERS; i++)
		pthread_create(&t[i], NULL, reader, NULL);
	for (u64 gen = 2; gen < UPDATES || __atomic_load_n(&good_reads, __ATOMIC_RELAXED) < 20000;
	     gen++) {
		struct robj *old = gp_obj;

		rcu_assign_pointer(gp_obj, new_robj(gen));
		if (use_kfree_rcu)
			kfree_rcu(old, rh);
		else
			call_rcu(&old->rh, robj_free_cb);
	}
	__atomic_store_n(&stop_readers, 1, __ATOMIC_RELEASE);
	for (int i = 0; i < NR_READERS; i++)
		pthread_join(t[i], NULL);
	rcu_barrier();
	if (!use_kfree_rcu)
		cr_assert_eq(cb_freed, gp_obj->w[0] - 1);
	cr_assert_gt(good_reads, 100);
	cr_assert_eq(bad_reads, 0, "%lu reads saw a freed object (%lu good)", bad_reads,
		     good_reads);
	kfree(gp_obj);
	cr_assert_eq(kmm_report_count(KMM_REPORT_SLAB), 0);
	check_and_shutdown();
}

Test(rcu, readers_never_see_call_rcu_frees, .timeout = 120)
{
	readers_vs_frees(false);
}

Test(rcu, readers_never_see_kfree_rcu_frees, .timeout = 120)
{
	readers_vs_frees(true);
}

/* --- callbacks: atomic context, order, rcu_barrier --- */

static int order_log[64], nr_logged;
static struct { struct rcu_head rh; int id; } heads[64];
static int atomic_in_cb;

static void log_cb(struct rcu_head *h)
{
	int id = container_of(h, __typeof__(heads[0]), rh)->id;

	if (in_atomic())
		atomic_in_cb++;
	order_log[nr_logged++] = id;
}

Test(rcu, callbacks_run_in_order_atomic_after_barrier)
{
	boot_or_die("cpus=2");
	nr_logged = atomic_in_cb = 0;
	rcu_read_lock();	/* queueing from inside a reader is fine */
	for (int i = 0; i < 64; i++) {
		heads[i].id = i;
		call_rcu(&heads[i].rh, log_cb);
	}
	rcu_read_unlock();
	rcu_barrier();
	cr_assert_eq(nr_logged, 64);
	cr_assert_eq(atomic_in_cb, 64, "callbacks must run with preemption disabled");
	for (int i = 0; i < 64; i++)
		cr_assert_eq(order_log[i], i);
	cr_assert_eq(kmm_report_count(KMM_REPORT_MIGHT_SLEEP), 0);
	check_and_shutdown();
}

/*
 * rcu_sched is started by the first callback queued, not at boot: a
 * program that never frees through RCU runs without the thread.  (It
 * names itself as it starts: look until it has.)
 */
Test(rcu, first_callback_starts_rcu_sched)
{
	boot_or_die("cpus=2");
	cr_assert_not(host_thread_named("rcu_sched"), "boot started rcu_sched");
	synchronize_rcu();
	cr_assert_not(host_thread_named("rcu_sched"), "a grace period needs no thread");
	nr_logged = 0;
	heads[0].id = 0;
	call_rcu(&heads[0].rh, log_cb);
	rcu_barrier();
	cr_assert_eq(nr_logged, 1);
	bool named = false;
	for (int i = 0; !named && i < 2000; i++, usleep(1000))
		named = host_thread_named("rcu_sched");
	cr_assert(named, "no rcu_sched thread ran the callback");
	check_and_shutdown();
	/* A joined thread may linger in /proc/self/task for a moment (helpers.c). */
	for (int i = 0; named && i < 2000; i++, usleep(1000))
		named = host_thread_named("rcu_sched");
	cr_assert_not(named, "rcu_sched outlived its machine");
}

/* --- sleeping inside a reader --- */

Test(rcu, might_sleep_in_reader_is_reported)
{
	boot_or_die("cpus=2");
	rcu_read_lock();
	cr_assert(rcu_read_lock_held());
	might_sleep();
	rcu_read_unlock();
	cr_assert(!rcu_read_lock_held());
	cr_assert_eq(kmm_report_count(KMM_REPORT_MIGHT_SLEEP), 1);
	cr_assert(dmesg_has("BUG: sleeping function called from invalid context"));
	/* synchronize_rcu() inside a reader: reported, and no deadlock. */
	rcu_read_lock();
	synchronize_rcu();
	rcu_read_unlock();
	cr_assert_eq(kmm_report_count(KMM_REPORT_MIGHT_SLEEP), 2);
	/* The head-less kfree_rcu sleeps: fine outside, and the object goes. */
	void *p = kmalloc(100, GFP_KERNEL);
	kfree_rcu_mightsleep(p);
	cr_assert_eq(kmm_report_count(KMM_REPORT_MIGHT_SLEEP), 2);
	check_and_shutdown();
}

/* --- SLAB_TYPESAFE_BY_RCU --- */

#define TYPE_MAGIC 0x7e57ab1e5afe0000ULL

struct tobj {
	u64 type;		/* set by the ctor, never changed: "still a tobj" */
	u64 key;
	u64 pad[6];
};

static void tobj_ctor(void *p)
{
	((struct tobj *)p)->type = TYPE_MAGIC;
}

static struct kmem_cache *tcache;
static struct tobj *held_obj;
static volatile int hold_in, hold_release;

static void *hold_reader(void *arg)
{
	(void)arg;
	rcu_read_lock();
	__atomic_store_n(&hold_in, 1, __ATOMIC_RELEASE);
	wait_flag(&hold_release);
	rcu_read_unlock();
	return NULL;
}

/*
 * Slab pages, exactly.  Folding from inside a section does not wait for
 * the other CPUs, one of which a test reader may hold; nothing else runs.
 */
static unsigned long slab_pages(void)
{
	preempt_disable();
	kmm_vmstat_fold_all();
	unsigned long n = global_node_page_state(NR_SLAB_UNRECLAIMABLE_B);
	preempt_enable();
	return n;
}

static void typesafe_object_stays(const char *cmdline)
{
	enum { N = 512 };
	struct tobj *objs[N];
	pthread_t t;

	boot_or_die(cmdline);
	tcache = kmem_cache_create("tobj", sizeof(struct tobj), 0, SLAB_TYPESAFE_BY_RCU, tobj_ctor);
	cr_assert_not_null(tcache);
	unsigned long base = slab_pages();
	for (int i = 0; i < N; i++) {
		objs[i] = kmem_cache_alloc(tcache, GFP_KERNEL);
		objs[i]->key = 1000 + (u64)i;
	}
	held_obj = objs[N / 2];
	hold_in = hold_release = 0;
	pthread_create(&t, NULL, hold_reader, NULL);
	wait_flag(&hold_in);

	/* Free everything and make the cache give its slabs back. */
	for (int i = 0; i < N; i++)
		kmem_cache_free(tcache, objs[i]);
	kmem_cache_shrink(tcache);
	usleep(20 * 1000);	/* time for a wrong grace period to end */
	struct tobj *p = held_obj;
	struct slab *slab = virt_to_slab(p);
	cr_assert_not_null(slab, "the held object's page stopped being a slab");
	cr_assert_eq(slab->slab_cache, tcache);
	cr_assert(slab_rcu_pending(slab), "the emptied slab should wait for its grace period");
	cr_assert_eq(p->type, TYPE_MAGIC);
	cr_assert_eq(p->key, 1000 + N / 2, "contents changed under the reader");
	cr_assert_gt(slab_pages(), base, "slab pages were given back too early");
	/*
	 * The validators accept slabs in this state.  kmm_check() would wait
	 * for the reader's CPU; nothing else runs now, so call them directly
	 * (from a section, so they do not wait for CPUs either).
	 */
	preempt_disable();
	kmm_check_problems = 0;
	kmm_check_pages();
	int problems = kmm_check_slab();
	preempt_enable();
	cr_assert_eq(problems, 0);

	__atomic_store_n(&hold_release, 1, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	rcu_barrier();
	struct page *page = virt_to_page(p);
	cr_assert(!PageSlab(compound_head(page)), "the slab is still there after the grace period");
	cr_assert_eq(slab_pages(), base);
	cr_assert_eq(kmm_check(), 0);
	cr_assert_eq(kmem_cache_destroy(tcache), 0);
	cr_assert_eq(kmm_report_count(KMM_REPORT_SLAB), 0);
	check_and_shutdown();
}

Test(rcu, typesafe_object_stays_until_grace_period)
{
	typesafe_object_stays("cpus=4");
}

/* With SLUB debugging on the cache (no poisoning: the objects must stay intact). */
Test(rcu, typesafe_object_stays_with_slub_debug)
{
	typesafe_object_stays("cpus=4 slub_debug=FZPU");
}

/* The destroy of a TYPESAFE_BY_RCU cache waits for its slabs' grace period. */
static void typesafe_destroy_waits(const char *cmdline)
{
	boot_or_die(cmdline);
	kmm_bind_cpu(0);	/* the caches of caches and names keep one CPU slab each */
	unsigned long base = 0;
	for (int round = 0; round < 6; round++) {
		/* After a first round the caches of caches and names are warm. */
		if (round == 1)
			base = slab_pages();
		struct kmem_cache *c = kmem_cache_create("tobj_d", 200, 0, SLAB_TYPESAFE_BY_RCU, NULL);
		void *o[100];

		for (int i = 0; i < 100; i++)
			o[i] = kmem_cache_alloc(c, GFP_KERNEL);
		for (int i = 0; i < 100; i++)
			kmem_cache_free(c, o[i]);
		cr_assert_eq(kmem_cache_destroy(c), 0);
		cr_assert_eq(kmm_check(), 0);
	}
	cr_assert_eq(slab_pages(), base);
	cr_assert_eq(kmm_report_count(KMM_REPORT_SLAB), 0);
	check_and_shutdown();
}

Test(rcu, typesafe_destroy_waits)
{
	typesafe_destroy_waits("cpus=2");
}

Test(rcu, typesafe_destroy_waits_with_slub_debug)
{
	typesafe_destroy_waits("cpus=2 slub_debug=FZPU");
}

/*
 * Readers look objects up and check they are still of the type while a
 * writer frees them (no RCU on the free itself), shrinks the cache and
 * scribbles over whatever pages it can get: only the deferral of the slab
 * frees keeps the readers' objects typed.
 */
#define SLOTS 64
static struct tobj *slots[SLOTS];
static unsigned long type_bad, type_good;

static void *type_reader(void *arg)
{
	unsigned int seed = (unsigned int)(long)arg;

	while (!__atomic_load_n(&stop_readers, __ATOMIC_ACQUIRE)) {
		rcu_read_lock();
		struct tobj *p = rcu_dereference(slots[rand_r(&seed) % SLOTS]);
		bool bad = false;

		for (int round = 0; p && round < 2000 && !bad; round++) {
			struct slab *slab = virt_to_slab(p);
			if (READ_ONCE(p->type) != TYPE_MAGIC || !slab || slab->slab_cache != tcache)
				bad = true;
		}
		rcu_read_unlock();
		if (p)
			__atomic_add_fetch(bad ? &type_bad : &type_good, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

Test(rcu, typesafe_readers_against_frees, .timeout = 120)
{
	enum { NR_READERS = 3, ROUNDS = 20000 };
	pthread_t t[NR_READERS];
	unsigned int seed = 1;

	boot_or_die("cpus=4 mem=256M");
	tcache = kmem_cache_create("tobj", sizeof(struct tobj), 0, SLAB_TYPESAFE_BY_RCU, tobj_ctor);
	memset(slots, 0, sizeof(slots));
	stop_readers = 0;
	type_bad = type_good = 0;
	for (int i = 0; i < NR_READERS; i++)
		pthread_create(&t[i], NULL, type_reader, (void *)(long)(i + 1));
	/* At least ROUNDS updates, and until the readers have looked a while. */
	for (int r = 0; r < ROUNDS || __atomic_load_n(&type_good, __ATOMIC_RELAXED) < 20000; r++) {
		int i = rand_r(&seed) % SLOTS;
		struct tobj *old = slots[i];
		struct tobj *o = kmem_cache_alloc(tcache, GFP_KERNEL);

		o->key = (u64)r;
		rcu_assign_pointer(slots[i], o);
		if (old)
			kmem_cache_free(tcache, old);
		if (r % 64 == 0) {
			/* Empty everything, give slabs back, reuse and scribble on pages. */
			for (int j = 0; j < SLOTS; j++) {
				struct tobj *q = slots[j];
				RCU_INIT_POINTER(slots[j], NULL);
				if (q)
					kmem_cache_free(tcache, q);
			}
			kmem_cache_shrink(tcache);
			struct page *pg[16];
			for (int k = 0; k < 16; k++) {
				pg[k] = alloc_pages(GFP_KERNEL, 0);
				if (pg[k])
					memset(page_address(pg[k]), 0, PAGE_SIZE);
			}
			for (int k = 0; k < 16; k++)
				if (pg[k])
					__free_pages(pg[k], 0);
		}
	}
	__atomic_store_n(&stop_readers, 1, __ATOMIC_RELEASE);
	for (int i = 0; i < NR_READERS; i++)
		pthread_join(t[i], NULL);
	for (int j = 0; j < SLOTS; j++)
		if (slots[j])
			kmem_cache_free(tcache, slots[j]);
	cr_assert_gt(type_good, 100);
	cr_assert_eq(type_bad, 0, "%lu lookups saw memory that was no longer a tobj", type_bad);
	cr_assert_eq(kmem_cache_destroy(tcache), 0);
	cr_assert_eq(kmm_report_count(KMM_REPORT_SLAB), 0);
	check_and_shutdown();
}

/* --- lib/tests/slub_kunit.c (6.18): test_kfree_rcu, test_kfree_rcu_wq_destroy --- */

struct test_kfree_rcu_struct {
	struct rcu_head rcu;
};

static struct kmem_cache *test_kmem_cache_create(const char *name, unsigned int size,
						 slab_flags_t flags)
{
	struct kmem_cache *s = kmem_cache_create(name, size, 0, flags | SLAB_NO_USER_FLAGS, NULL);

	s->flags |= SLAB_SKIP_KFENCE;
	return s;
}

static int slab_errors;

Test(rcu, kunit_test_kfree_rcu)
{
	boot_or_die("cpus=4");
	slab_errors = 0;
	kmm_slab_errors_capture(&slab_errors);
	struct kmem_cache *s = test_kmem_cache_create("TestSlub_kfree_rcu",
						      sizeof(struct test_kfree_rcu_struct),
						      SLAB_NO_MERGE);
	struct test_kfree_rcu_struct *p = kmem_cache_alloc(s, GFP_KERNEL);

	kfree_rcu(p, rcu);
	cr_assert_eq(kmem_cache_destroy(s), 0);
	kmm_slab_errors_capture(NULL);
	cr_assert_eq(slab_errors, 0);
	cr_assert_eq(kmm_report_count(KMM_REPORT_SLAB), 0);
	cr_assert(!dmesg_has("Slab cache still has objects"));
	check_and_shutdown();
}

struct cache_destroy_work {
	struct kmem_cache *s;
	int ret;
};

static void *cache_destroy_workfn(void *arg)
{
	struct cache_destroy_work *cdw = arg;

	/* Stricter than kunit, which counts the test thread's errors only. */
	kmm_slab_errors_capture(&slab_errors);
	cdw->ret = kmem_cache_destroy(cdw->s);
	kmm_slab_errors_capture(NULL);
	return NULL;
}

#define KMEM_CACHE_DESTROY_NR 10

Test(rcu, kunit_test_kfree_rcu_wq_destroy, .timeout = 60)
{
	struct cache_destroy_work cdw;
	unsigned int seed = 18;

	boot_or_die("cpus=4");
	slab_errors = 0;
	kmm_slab_errors_capture(&slab_errors);
	for (int i = 0; i < KMEM_CACHE_DESTROY_NR; i++) {
		struct kmem_cache *s = test_kmem_cache_create("TestSlub_kfree_rcu_wq_destroy",
							      sizeof(struct test_kfree_rcu_struct),
							      SLAB_NO_MERGE);
		cr_assert_not_null(s);
		unsigned int delay = (unsigned int)rand_r(&seed) & 0xff;	/* get_random_u8() */
		struct test_kfree_rcu_struct *p = kmem_cache_alloc(s, GFP_KERNEL);
		pthread_t worker;

		kfree_rcu(p, rcu);
		cdw.s = s;
		cdw.ret = -1;
		msleep(delay);
		/* queue_work() + flush_work() on an unbound workqueue: another thread, joined. */
		pthread_create(&worker, NULL, cache_destroy_workfn, &cdw);
		pthread_join(worker, NULL);
		cr_assert_eq(cdw.ret, 0);
	}
	kmm_slab_errors_capture(NULL);
	cr_assert_eq(slab_errors, 0);
	cr_assert_eq(kmm_report_count(KMM_REPORT_SLAB), 0);
	check_and_shutdown();
}

/*
 * Deterministically: while a reader holds the grace period up, the destroy
 * of a cache with a kfree_rcu() in flight waits, then succeeds cleanly.
 */
static volatile int destroy_done;

static void *destroy_worker(void *arg)
{
	struct cache_destroy_work *cdw = arg;

	cdw->ret = kmem_cache_destroy(cdw->s);
	__atomic_store_n(&destroy_done, 1, __ATOMIC_RELEASE);
	return NULL;
}

Test(rcu, destroy_waits_for_kfree_rcu_behind_a_reader)
{
	struct cache_destroy_work cdw = { .ret = -1 };
	pthread_t reader_t, worker;

	boot_or_die("cpus=4");
	cdw.s = test_kmem_cache_create("TestSlub_kfree_rcu", sizeof(struct test_kfree_rcu_struct),
				       SLAB_NO_MERGE);
	struct test_kfree_rcu_struct *p = kmem_cache_alloc(cdw.s, GFP_KERNEL);
	hold_in = hold_release = 0;
	destroy_done = 0;
	pthread_create(&reader_t, NULL, hold_reader, NULL);
	wait_flag(&hold_in);
	kfree_rcu(p, rcu);
	pthread_create(&worker, NULL, destroy_worker, &cdw);
	usleep(50 * 1000);
	cr_assert_eq(__atomic_load_n(&destroy_done, __ATOMIC_ACQUIRE), 0,
		     "kmem_cache_destroy() did not wait for the kfree_rcu() in flight");
	__atomic_store_n(&hold_release, 1, __ATOMIC_RELEASE);
	pthread_join(reader_t, NULL);
	pthread_join(worker, NULL);
	cr_assert_eq(cdw.ret, 0);
	cr_assert_eq(kmm_report_count(KMM_REPORT_SLAB), 0);
	check_and_shutdown();
}

/* --- shutdown drains; reboots leave no thread and no memory behind --- */

static int nr_threads(void)
{
	DIR *d = opendir("/proc/self/task");
	int n = 0;

	cr_assert_not_null(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n - 2;	/* . and .. */
}

static unsigned long drained;

static void count_cb(struct rcu_head *h)
{
	drained++;
	kfree(h);
}

Test(rcu, shutdown_drains_and_reboot_leaks_nothing)
{
	int threads = nr_threads();

	for (int boot = 0; boot < 3; boot++) {
		boot_or_die(boot & 1 ? "cpus=3" : "cpus=2 numa=fake=2");
		drained = 0;
		for (int i = 0; i < 200; i++) {
			struct rcu_head *h = kmalloc(sizeof(*h) + 24, GFP_KERNEL);
			call_rcu(h, count_cb);
			struct robj *o = new_robj((u64)i);
			kfree_rcu(o, rh);
		}
		struct kmem_cache *c = kmem_cache_create("tobj_r", 64, 0, SLAB_TYPESAFE_BY_RCU, NULL);
		void *o = kmem_cache_alloc(c, GFP_KERNEL);
		kmem_cache_free(c, o);
		kmem_cache_shrink(c);	/* a slab waits for RCU at shutdown */
		cr_assert_eq(kmm_check(), 0);
		kmm_shutdown();
		cr_assert_eq(drained, 200, "shutdown ran %lu of 200 callbacks", drained);
		cr_assert_eq(nr_threads(), threads, "a kernel thread outlived its machine");
	}
}
