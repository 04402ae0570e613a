/* SPDX-License-Identifier: MIT */
/*
 * Reclaim: shrinkers, kswapd and direct reclaim.
 *
 * kmm has no page cache or anonymous memory to reclaim; what can be
 * reclaimed is what registered shrinkers hold (slab caches, a user's own
 * caches).  shrink_slab() asks each shrinker how much it could free and
 * scans a share of it that grows as the priority drops from DEF_PRIORITY
 * to 0, as Linux's do_shrink_slab().
 *
 * kswapd is a real thread per node.  An allocation that finds a zone below
 * its low watermark wakes it; it shrinks until every zone is above its high
 * watermark, or until MAX_RECLAIM_RETRIES rounds free nothing, then sleeps.
 * Direct reclaim runs the same shrinking in the allocating thread.
 *
 * Threads that wait for memory sleep on one event counter that the free
 * path bumps while anyone waits (kmm_free_waiters), so the free fast path
 * pays one load when nobody waits.
 */
#include "page_alloc.h"
#include <stdarg.h>
#include <stdio.h>
#include <kmm/shrinker.h>
#include <kmm/vmstat.h>

#define DEF_PRIORITY 12
#define SHRINK_BATCH 128
#define MAX_RECLAIM_RETRIES 16

static LIST_HEAD(shrinker_list);
struct plat_mutex shrinker_mutex;	/* also held across fork (fork.c) */
static unsigned int free_event;

/* --- waiting for frees --- */

void kmm_pages_freed(void)
{
	plat_event_signal(&free_event);
}

void kmm_wait_for_free_pages(unsigned int timeout_us)
{
	unsigned int seen = __atomic_load_n(&free_event, __ATOMIC_ACQUIRE);

	might_sleep();
	__atomic_add_fetch(&kmm_free_waiters, 1, __ATOMIC_SEQ_CST);
	plat_event_wait(&free_event, seen, timeout_us);
	__atomic_sub_fetch(&kmm_free_waiters, 1, __ATOMIC_SEQ_CST);
	/* Frees may sit on other CPUs' lists: bring them back to the zones. */
	drain_all_pages(NULL);
}

/* --- shrinkers --- */

struct shrinker *shrinker_alloc(unsigned int flags, const char *fmt, ...)
{
	struct shrinker *s = plat_host_zalloc(sizeof(*s));
	va_list ap;

	if (!s)
		return NULL;
	s->flags = flags;
	s->seeks = DEFAULT_SEEKS;
	INIT_LIST_HEAD(&s->list);
	va_start(ap, fmt);
	vsnprintf(s->name, sizeof(s->name), fmt, ap);
	va_end(ap);
	return s;
}

void shrinker_register(struct shrinker *s)
{
	if (WARN_ON_ONCE(!s || s->registered || !s->count_objects || !s->scan_objects))
		return;
	plat_mutex_lock(&shrinker_mutex);
	list_add_tail(&s->list, &shrinker_list);
	s->registered = true;
	s->flags |= SHRINKER_REGISTERED;
	plat_mutex_unlock(&shrinker_mutex);
}

void shrinker_free(struct shrinker *s)
{
	if (!s)
		return;
	plat_mutex_lock(&shrinker_mutex);
	if (s->registered)
		list_del(&s->list);
	plat_mutex_unlock(&shrinker_mutex);
	plat_host_free(s, sizeof(*s));
}

void shrinkers_exit(void)
{
	struct shrinker *s, *n;

	plat_mutex_lock(&shrinker_mutex);
	list_for_each_entry_safe(s, n, &shrinker_list, list) {
		list_del_init(&s->list);
		s->registered = false;
	}
	plat_mutex_unlock(&shrinker_mutex);
}

static unsigned long do_shrink_slab(struct shrink_control *sc, struct shrinker *s,
				    int priority)
{
	unsigned long freed = 0;
	unsigned long freeable = s->count_objects(s, sc);
	long batch = s->batch ? s->batch : SHRINK_BATCH;

	if (freeable == 0 || freeable == SHRINK_EMPTY)
		return 0;
	unsigned long delta = (freeable >> priority) * 4 / (unsigned long)(s->seeks ? s->seeks : 1);
	unsigned long total_scan = (unsigned long)s->nr_deferred + delta;

	s->nr_deferred = 0;
	total_scan = min(total_scan, freeable * 2);
	while (total_scan >= (unsigned long)batch || total_scan >= freeable) {
		unsigned long nr = min((unsigned long)batch, total_scan);

		sc->nr_to_scan = nr;
		sc->nr_scanned = nr;
		unsigned long ret = s->scan_objects(s, sc);
		if (ret == SHRINK_STOP)
			break;
		freed += ret;
		count_vm_events(SLABS_SCANNED, (long)sc->nr_scanned);
		total_scan -= min(total_scan, sc->nr_scanned);
		if (!sc->nr_scanned)
			break;
	}
	/* What was not scanned now is owed to the next pass. */
	s->nr_deferred = (long)min(total_scan, freeable);
	return freed;
}

unsigned long shrink_slab(gfp_t gfp_mask, int nid, int priority)
{
	struct shrinker *s;
	unsigned long freed = 0;

	plat_mutex_lock(&shrinker_mutex);
	list_for_each_entry(s, &shrinker_list, list) {
		struct shrink_control sc = {
			.gfp_mask = gfp_mask,
			.nid = (s->flags & SHRINKER_NUMA_AWARE) ? nid : 0,
		};
		freed += do_shrink_slab(&sc, s, priority);
	}
	plat_mutex_unlock(&shrinker_mutex);
	return freed;
}

void drop_slab(void)
{
	unsigned long freed;
	int shift = 0;

	count_vm_event(DROP_SLAB);
	do {
		freed = 0;
		for (int nid = 0; nid < nr_online_nodes; nid++)
			freed += shrink_slab(GFP_KERNEL, nid, 0);
	} while ((freed >> shift++) > 1);
}

/* Direct reclaim: shrink at rising pressure until something comes back. */
unsigned long try_to_free_pages(struct zonelist *zonelist, int order, gfp_t gfp_mask, int nid)
{
	unsigned long freed = 0;

	(void)zonelist;
	(void)order;
	for (int priority = DEF_PRIORITY; priority >= 0 && !freed; priority -= 2)
		freed += shrink_slab(gfp_mask, nid, priority);
	/* As Linux's shrink_node(): progress puts a node kswapd gave up on back in its care. */
	if (freed && READ_ONCE(NODE_DATA(nid)->kswapd_failures))
		WRITE_ONCE(NODE_DATA(nid)->kswapd_failures, 0);
	count_vm_events(PGSCAN_DIRECT, (long)freed);
	count_vm_events(PGSTEAL_DIRECT, (long)freed);
	return freed;
}

/* --- kswapd --- */

struct kmm_kswapd {
	struct plat_lazy_thread thread;	/* started by the first wake-up that needs it */
	unsigned int wait_seq;
	unsigned int slept;	/* futex word: 1 once the thread first slept */
	bool stop;
	bool sleeping;		/* true too before the thread is started */
	bool start_failed;	/* reported once */
};

static bool pgdat_balanced(pg_data_t *pgdat, int order, int highest_zoneidx)
{
	for (int i = 0; i <= highest_zoneidx; i++) {
		struct zone *zone = &pgdat->node_zones[i];

		if (!managed_zone(zone))
			continue;
		if (zone_watermark_ok_safe(zone, (unsigned int)order, high_wmark_pages(zone),
					   highest_zoneidx))
			return true;
	}
	return false;
}

static void __balance_pgdat(pg_data_t *pgdat, int order, int highest_zoneidx);

static void set_reclaim_active(pg_data_t *pgdat, int highest_zoneidx, bool on)
{
	for (int i = 0; i <= highest_zoneidx; i++) {
		struct zone *zone = &pgdat->node_zones[i];

		if (!managed_zone(zone))
			continue;
		if (on)
			set_bit(ZONE_RECLAIM_ACTIVE, &zone->flags);
		else
			clear_bit(ZONE_RECLAIM_ACTIVE, &zone->flags);
	}
}

static void balance_pgdat(pg_data_t *pgdat, int order, int highest_zoneidx)
{
	count_vm_event(PAGEOUTRUN);
	/* While kswapd works, frees give back to the zones instead of keeping. */
	set_reclaim_active(pgdat, highest_zoneidx, true);
	__balance_pgdat(pgdat, order, highest_zoneidx);
	set_reclaim_active(pgdat, highest_zoneidx, false);
}

static void __balance_pgdat(pg_data_t *pgdat, int order, int highest_zoneidx)
{
	for (int priority = DEF_PRIORITY; priority >= 0; priority--) {
		if (pgdat_balanced(pgdat, order, highest_zoneidx)) {
			WRITE_ONCE(pgdat->kswapd_failures, 0);
			return;
		}
		unsigned long freed = shrink_slab(GFP_KERNEL, pgdat->node_id, priority);
		count_vm_events(PGSCAN_KSWAPD, (long)freed);
		count_vm_events(PGSTEAL_KSWAPD, (long)freed);
		drain_all_pages(NULL);
	}
	/* Direct reclaim resets it, wakeups and views read it, without a lock. */
	if (!pgdat_balanced(pgdat, order, highest_zoneidx))
		WRITE_ONCE(pgdat->kswapd_failures, READ_ONCE(pgdat->kswapd_failures) + 1);
}

static void *kswapd_main(void *arg)
{
	pg_data_t *pgdat = arg;
	struct kmm_kswapd *k = pgdat->kswapd;

	current->flags |= PF_MEMALLOC | PF_KSWAPD;
	/* Started by a wake-up (or at boot for a node short of memory): look first. */
	__atomic_store_n(&k->sleeping, false, __ATOMIC_RELEASE);
	for (;;) {
		unsigned int seen = __atomic_load_n(&k->wait_seq, __ATOMIC_ACQUIRE);

		if (__atomic_load_n(&k->stop, __ATOMIC_ACQUIRE))
			break;
		int order = READ_ONCE(pgdat->kswapd_order);
		int highest = (int)READ_ONCE(pgdat->kswapd_highest_zoneidx);
		if (!pgdat_balanced(pgdat, order, highest) &&
		    READ_ONCE(pgdat->kswapd_failures) < MAX_RECLAIM_RETRIES) {
			balance_pgdat(pgdat, order, highest);
			continue;
		}
		if (order)
			count_vm_event(KSWAPD_HIGH_WMARK_HIT_QUICKLY);
		WRITE_ONCE(pgdat->kswapd_order, 0);
		__atomic_store_n(&k->sleeping, true, __ATOMIC_RELEASE);
		if (!k->slept) {
			__atomic_store_n(&k->slept, 1, __ATOMIC_RELEASE);
			plat_futex_wake(&k->slept, 1);
		}
		plat_event_wait(&k->wait_seq, seen, 0);
		__atomic_store_n(&k->sleeping, false, __ATOMIC_RELEASE);
	}
	return NULL;
}

/*
 * kswapd looks at its node when it starts, as at Linux's boot.  A node
 * that is balanced at boot would send it straight to sleep, so its thread
 * is not started then but by the first wake-up that finds the node below
 * its watermarks (plat_lazy_start()): until then it counts as asleep.  A
 * program that never runs short of memory runs without it; a node short
 * of memory at boot has its kswapd started and looked at before boot goes
 * on.
 */
int kswapd_run(int nid)
{
	pg_data_t *pgdat = NODE_DATA(nid);
	struct kmm_kswapd *k = plat_host_zalloc(sizeof(*k));
	char name[16];

	if (!k)
		return -ENOMEM;
	pgdat->kswapd = k;
	pgdat->kswapd_highest_zoneidx = ZONE_NORMAL;
	snprintf(name, sizeof(name), "kswapd%d", nid);
	plat_lazy_init(&k->thread, kswapd_main, pgdat, name);
	k->sleeping = true;
	if (pgdat_balanced(pgdat, 0, (int)pgdat->kswapd_highest_zoneidx))
		return 0;
	int err = plat_lazy_start(&k->thread);
	if (err) {
		pgdat->kswapd = NULL;
		plat_host_free(k, sizeof(*k));
		pr_err("Failed to start kswapd on node %d\n", nid);
		return err;
	}
	while (!__atomic_load_n(&k->slept, __ATOMIC_ACQUIRE))
		plat_futex_wait(&k->slept, 0, 0);
	return 0;
}

void kswapd_stop(int nid)
{
	pg_data_t *pgdat = NODE_DATA(nid);
	struct kmm_kswapd *k = pgdat ? pgdat->kswapd : NULL;

	if (!k)
		return;
	__atomic_store_n(&k->stop, true, __ATOMIC_RELEASE);
	plat_event_signal(&k->wait_seq);
	plat_lazy_join(&k->thread);
	pgdat->kswapd = NULL;
	plat_host_free(k, sizeof(*k));
}

void wakeup_kswapd(struct zone *zone, gfp_t gfp_flags, int order,
		   enum zone_type highest_zoneidx)
{
	pg_data_t *pgdat = zone->zone_pgdat;
	struct kmm_kswapd *k = pgdat->kswapd;

	(void)gfp_flags;
	if (!k || !managed_zone(zone))
		return;
	if (READ_ONCE(pgdat->kswapd_highest_zoneidx) < highest_zoneidx)
		WRITE_ONCE(pgdat->kswapd_highest_zoneidx, highest_zoneidx);
	if (READ_ONCE(pgdat->kswapd_order) < order)
		WRITE_ONCE(pgdat->kswapd_order, order);
	if (!__atomic_load_n(&k->sleeping, __ATOMIC_ACQUIRE))
		return;
	if (READ_ONCE(pgdat->kswapd_failures) >= MAX_RECLAIM_RETRIES)
		return;
	if (pgdat_balanced(pgdat, order, (int)highest_zoneidx))
		return;
	if (plat_lazy_started(&k->thread)) {
		plat_event_signal(&k->wait_seq);
		return;
	}
	/* A forked child runs without kswapd (fork.c). */
	kmm_lazy_thread_start(&k->thread, &k->start_failed, "Failed to start kswapd on node %d",
			      pgdat->node_id);
}
