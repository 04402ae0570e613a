/* SPDX-License-Identifier: MIT */
/*
 * What Linux keeps in mm/slab_common.c: creating and destroying caches,
 * merging compatible ones, the kmalloc caches and their size classes,
 * /proc/slabinfo, and the kmalloc helpers built on kmalloc and kfree
 * (krealloc, kfree_sensitive, kstrdup, kmemdup).  The allocation and free
 * paths themselves are in slub.c.
 *
 * Merging: a new cache with no ctor, no debugging and no SLAB_NO_MERGE is
 * an alias of the oldest existing cache whose objects are at most a
 * pointer larger, suitably aligned, with the same DMA and reclaim flags
 * (Linux's find_mergeable()).  The alias shares the cache and its
 * refcount; slabinfo shows the cache under its first name only.  The
 * slab_nomerge boot parameter turns merging off.
 *
 * The kmalloc caches are made at boot in Linux's order (per type: 96, 192,
 * then 8 .. 8k), so /proc/slabinfo lists them as Linux does: the newest
 * cache first.  kmalloc-N of a power of two is aligned to N.
 *
 * Lock order: slab_mutex, then everything in slub.c.  The cache list is
 * changed inside a CPU section too, so kmm_check() can walk it.
 */
#include "slab.h"
#include "kfence.h"
#include "kmemleak.h"
#include <limits.h>
#include <kmm/vmstat.h>
#include <kmm/vmalloc.h>

struct kmem_cache *kmalloc_caches[NR_KMALLOC_TYPES][KMALLOC_SHIFT_HIGH + 1];
struct kmem_cache_cpu *kmalloc_cpu_parts[NR_KMALLOC_TYPES][KMALLOC_SHIFT_HIGH + 1];

/*
 * Sizes 1..KMALLOC_MAX_CACHE_SIZE by (size - 1) / 8: the index of their
 * cache.  Linux's kmalloc_size_index covers 1..192 (where kmalloc-96 and
 * kmalloc-192 break the powers of two) and computes the rest with fls();
 * this one covers every size, so any kmalloc finds its class in one load
 * and no branch.
 */
const u8 kmalloc_size_index[KMALLOC_MAX_CACHE_SIZE / 8] = {
	[0] = 3,		/* 1..8 */
	[1] = 4,		/* ..16 */
	[2 ... 3] = 5,		/* ..32 */
	[4 ... 7] = 6,		/* ..64 */
	[8 ... 11] = 1,		/* ..96 */
	[12 ... 15] = 7,	/* ..128 */
	[16 ... 23] = 2,	/* ..192 */
	[24 ... 31] = 8,	/* ..256 */
	[32 ... 63] = 9,	/* ..512 */
	[64 ... 127] = 10,	/* ..1k */
	[128 ... 255] = 11,	/* ..2k */
	[256 ... 511] = 12,	/* ..4k */
	[512 ... 1023] = 13,	/* ..8k */
};
_Static_assert(KMALLOC_SHIFT_HIGH == 13, "kmalloc_size_index covers kmalloc-8 .. kmalloc-8k");

#define KMALLOC_INFO(sz, short_sz)					\
	{ { "kmalloc-" #short_sz, "kmalloc-rcl-" #short_sz, "dma-kmalloc-" #short_sz }, sz }

static const struct {
	const char *name[NR_KMALLOC_TYPES];
	unsigned int size;
} kmalloc_info[KMALLOC_SHIFT_HIGH + 1] = {
	{ { NULL, NULL, NULL }, 0 },
	KMALLOC_INFO(96, 96),
	KMALLOC_INFO(192, 192),
	KMALLOC_INFO(8, 8),
	KMALLOC_INFO(16, 16),
	KMALLOC_INFO(32, 32),
	KMALLOC_INFO(64, 64),
	KMALLOC_INFO(128, 128),
	KMALLOC_INFO(256, 256),
	KMALLOC_INFO(512, 512),
	KMALLOC_INFO(1024, 1k),
	KMALLOC_INFO(2048, 2k),
	KMALLOC_INFO(4096, 4k),
	KMALLOC_INFO(8192, 8k),
};

/* Flags that forbid merging, and flags both caches must agree on (Linux's). */
#define SLAB_NEVER_MERGE (SLAB_RED_ZONE | SLAB_POISON | SLAB_STORE_USER | SLAB_TRACE | \
			  SLAB_TYPESAFE_BY_RCU | SLAB_NOLEAKTRACE | SLAB_FAILSLAB | \
			  SLAB_NO_MERGE)
#define SLAB_MERGE_SAME (SLAB_RECLAIM_ACCOUNT | SLAB_CACHE_DMA | SLAB_CACHE_DMA32 | SLAB_ACCOUNT)

/* What a caller may pass to kmem_cache_create(). */
#define SLAB_FLAGS_PERMITTED (SLAB_CONSISTENCY_CHECKS | SLAB_RED_ZONE | SLAB_POISON | \
			      SLAB_HWCACHE_ALIGN | SLAB_CACHE_DMA | SLAB_CACHE_DMA32 | \
			      SLAB_STORE_USER | SLAB_PANIC | SLAB_TYPESAFE_BY_RCU | \
			      SLAB_TRACE | SLAB_NOLEAKTRACE | SLAB_NO_MERGE | SLAB_FAILSLAB | \
			      SLAB_ACCOUNT | SLAB_NO_USER_FLAGS | SLAB_SKIP_KFENCE | \
			      SLAB_RECLAIM_ACCOUNT | SLAB_KMALLOC)

/* The cache list changes inside a section, so kmm_check() sees it whole. */
static void slab_caches_add(struct kmem_cache *s)
{
	__preempt_disable();
	list_add(&s->list, &slab_caches);
	__preempt_enable();
}

static void slab_caches_del(struct kmem_cache *s)
{
	__preempt_disable();
	list_del(&s->list);
	__preempt_enable();
}

static int slab_unmergeable(struct kmem_cache *s)
{
	if (slab_nomerge || (s->flags & SLAB_NEVER_MERGE))
		return 1;
	if (s->ctor)
		return 1;
	if (s->usersize)	/* CONFIG_HARDENED_USERCOPY */
		return 1;
	if (s->refcount < 0)
		return 1;
	return 0;
}

struct kmem_cache *find_mergeable(unsigned int size, unsigned int align,
				  slab_flags_t flags, const char *name, void (*ctor)(void *))
{
	struct kmem_cache *s;

	if (slab_nomerge || ctor)
		return NULL;
	size = ALIGN(size, (unsigned int)sizeof(void *));
	align = calculate_alignment(flags, align, size);
	size = ALIGN(size, align);
	flags = kmem_cache_flags(flags, name);
	if (flags & SLAB_NEVER_MERGE)
		return NULL;
	/* The oldest first: the list has the newest at its head. */
	for (s = list_last_entry(&slab_caches, struct kmem_cache, list);
	     &s->list != &slab_caches; s = list_entry(s->list.prev, struct kmem_cache, list)) {
		if (slab_unmergeable(s))
			continue;
		if (size > s->size)
			continue;
		if ((flags & SLAB_MERGE_SAME) != (s->flags & SLAB_MERGE_SAME))
			continue;
		if ((s->size & ~(align - 1)) != s->size)
			continue;
		/*
		 * Linux's test above suffices where slabs have no colour; here
		 * a slab's first object is offset by a multiple of its cache's
		 * colour step (new_slab()), which must be one of @align too.
		 */
		if (align > max((unsigned int)cache_line_size(), s->align))
			continue;
		if (s->size - size >= sizeof(void *))
			continue;
		return s;
	}
	return NULL;
}

static struct kmem_cache *__kmem_cache_alias(const char *name, unsigned int size,
					     unsigned int align, slab_flags_t flags,
					     void (*ctor)(void *))
{
	struct kmem_cache *s = find_mergeable(size, align, flags, name, ctor);

	if (s) {
		s->refcount++;
		/* Others allocate from @s meanwhile: see slab_object_size(). */
		WRITE_ONCE(s->object_size, max(s->object_size, size));
		WRITE_ONCE(s->inuse, max(s->inuse, ALIGN(size, (unsigned int)sizeof(void *))));
	}
	return s;
}

/* A new cache object: its per-CPU parts are its tail (see slub.c). */
static struct kmem_cache *kmem_cache_new(gfp_t gfp)
{
	struct kmem_cache *s = kmem_cache_zalloc(kmem_cache, gfp);

	if (s) {
		s->cpu_slab = (struct kmem_cache_cpu *)((char *)s + kmem_cache_cpu_offset());
		s->spare_pages = (struct slab_spare **)(s->cpu_slab + nr_cpu_ids);
		/*
		 * The per-CPU parts hold where a slab's objects start and the
		 * objects just freed: no references, to kmemleak.
		 */
		kmemleak_scan_area(s, kmem_cache_cpu_offset(), gfp);
	}
	return s;
}

static struct kmem_cache *create_cache(const char *name, unsigned int object_size,
				       unsigned int align, slab_flags_t flags,
				       unsigned int useroffset, unsigned int usersize,
				       void (*ctor)(void *), int *errp)
{
	char *cache_name = kstrdup(name, GFP_KERNEL);
	struct kmem_cache *s = NULL;
	int err = -ENOMEM;

	if (!cache_name)
		goto out;
	s = kmem_cache_new(GFP_KERNEL);
	if (!s)
		goto out_free_name;
	s->name = cache_name;
	s->size = s->object_size = object_size;
	s->align = align;
	s->ctor = ctor;
	s->useroffset = useroffset;
	s->usersize = usersize;
	err = __kmem_cache_create(s, flags);
	if (err)
		goto out_free_cache;
	s->refcount = 1;
	slab_caches_add(s);
	return s;

out_free_cache:
	kmem_cache_free(kmem_cache, s);
	s = NULL;
out_free_name:
	kfree(cache_name);
out:
	*errp = err;
	return NULL;
}

struct kmem_cache *kmem_cache_create_usercopy(const char *name, unsigned int size,
					      unsigned int align, slab_flags_t flags,
					      unsigned int useroffset, unsigned int usersize,
					      void (*ctor)(void *))
{
	struct kmem_cache *s = NULL;
	int err = 0;

	might_sleep();
	plat_mutex_lock(&slab_mutex);
	if (!slab_is_up)
		err = -ENODEV;
	else if (!name || !*name || !size || size > KMALLOC_MAX_SIZE || (align & (align - 1)))
		err = -EINVAL;
	else if (flags & ~SLAB_FLAGS_PERMITTED)
		err = -EINVAL;
	if (!err && (WARN_ON(!usersize && useroffset) ||
		     WARN_ON(size < usersize || size - usersize < useroffset)))
		usersize = useroffset = 0;
	if (!err) {
		if (!usersize)
			s = __kmem_cache_alias(name, size, align, flags, ctor);
		if (!s)
			s = create_cache(name, size, calculate_alignment(flags, align, size),
					 flags, useroffset, usersize, ctor, &err);
	}
	plat_mutex_unlock(&slab_mutex);
	if (err) {
		if (flags & SLAB_PANIC)
			panic("kmem_cache_create: Failed to create slab '%s'. Error %d\n",
			      name ? name : "(null)", err);
		pr_warn("kmem_cache_create(%s) failed with error %d\n", name ? name : "(null)", err);
		dump_stack();
		return NULL;
	}
	return s;
}

struct kmem_cache *kmem_cache_create(const char *name, unsigned int size, unsigned int align,
				     slab_flags_t flags, void (*ctor)(void *))
{
	return kmem_cache_create_usercopy(name, size, align, flags, 0, 0, ctor);
}

/* One of the machine's own kmalloc caches (a user may make kmalloc-like ones). */
static bool is_kmalloc_cache(struct kmem_cache *s)
{
	unsigned int i = (s->flags & SLAB_KMALLOC) ? kmalloc_index(s->object_size) : 0;

	if (!(s->flags & SLAB_KMALLOC) || s->object_size > KMALLOC_MAX_CACHE_SIZE)
		return false;
	for (int type = 0; type < NR_KMALLOC_TYPES; type++)
		if (kmalloc_caches[type][i] == s)
			return true;
	return false;
}

int kmem_cache_destroy(struct kmem_cache *s)
{
	void *caller = __builtin_return_address(0);
	int err;

	if (unlikely(!s))
		return 0;
	/* kfree_rcu()s still in flight may hold objects of this cache. */
	kvfree_rcu_barrier();
	plat_mutex_lock(&slab_mutex);
	if (WARN_ON(s->refcount < 0 || (is_kmalloc_cache(s) && s->refcount <= 1))) {
		/* The boot caches and the kmalloc caches are the machine's own. */
		plat_mutex_unlock(&slab_mutex);
		kmm_report_count_inc(KMM_REPORT_SLAB);
		return -EINVAL;
	}
	if (--s->refcount) {
		plat_mutex_unlock(&slab_mutex);
		return 0;
	}
	err = __kmem_cache_shutdown(s);
	if (!err)
		kfence_shutdown_cache(s);
	if (err) {
		s->refcount++;	/* still usable, and destroyable again */
		plat_mutex_unlock(&slab_mutex);
		kmm_report_count_inc(KMM_REPORT_SLAB);
		WARN(1, "kmem_cache_destroy %s: Slab cache still has objects when called from %p\n",
		     s->name, caller);
		return err;
	}
	/* Its last slabs wait for a grace period, and keep pointing at it till then. */
	if (s->flags & SLAB_TYPESAFE_BY_RCU)
		rcu_barrier();
	slab_caches_del(s);
	plat_mutex_unlock(&slab_mutex);
	__kmem_cache_release(s);
	kfree(s->name);
	kmem_cache_free(kmem_cache, s);
	return 0;
}

/* --- the kmalloc caches --- */

static struct kmem_cache *create_kmalloc_cache(const char *name, unsigned int size,
					       slab_flags_t flags)
{
	struct kmem_cache *s = kmem_cache_new(GFP_NOWAIT);
	unsigned int align = ARCH_KMALLOC_MINALIGN;
	int err;

	/* Linux panics here; kmm's boot fails instead, and can be tried again. */
	if (!s) {
		pr_err("Out of memory when creating slab %s\n", name);
		return NULL;
	}
	/* Power-of-two sizes are naturally aligned, whatever else is on. */
	if (!(size & (size - 1)))
		align = max(align, size);
	s->name = name;
	s->size = s->object_size = size;
	s->align = calculate_alignment(flags, align, size);
	s->usersize = size;	/* all of it may be copied to user space */
	err = __kmem_cache_create(s, flags | SLAB_KMALLOC);
	if (err) {
		pr_err("Creation of kmalloc slab %s size=%u failed. Reason %d\n", name, size, err);
		kmem_cache_free(kmem_cache, s);
		return NULL;
	}
	s->refcount = 1;
	slab_caches_add(s);
	return s;
}

static int new_kmalloc_cache(unsigned int idx, enum kmalloc_cache_type type)
{
	slab_flags_t flags = 0;

	if (type == KMALLOC_RECLAIM)
		flags |= SLAB_RECLAIM_ACCOUNT;
	else if (type == KMALLOC_DMA)
		flags |= SLAB_CACHE_DMA;
	kmalloc_caches[type][idx] = create_kmalloc_cache(kmalloc_info[idx].name[type],
							 kmalloc_info[idx].size, flags);
	if (!kmalloc_caches[type][idx])
		return -ENOMEM;
	kmalloc_cpu_parts[type][idx] = kmalloc_caches[type][idx]->cpu_slab;
	return 0;
}

/* Return: 0, or -ENOMEM with the caches made so far left to kmem_cache_exit(). */
int create_kmalloc_caches(void)
{
	for (int type = KMALLOC_NORMAL; type < NR_KMALLOC_TYPES; type++) {
		enum kmalloc_cache_type t = (enum kmalloc_cache_type)type;

		if (new_kmalloc_cache(1, t) || new_kmalloc_cache(2, t))
			return -ENOMEM;
		for (unsigned int i = KMALLOC_SHIFT_LOW; i <= KMALLOC_SHIFT_HIGH; i++)
			if (new_kmalloc_cache(i, t))
				return -ENOMEM;
	}
	return 0;
}

void kmalloc_caches_exit(void)
{
	memset(kmalloc_cpu_parts, 0, sizeof(kmalloc_cpu_parts));
	memset(kmalloc_caches, 0, sizeof(kmalloc_caches));
}

size_t kmalloc_size_roundup(size_t size)
{
	if (size && size <= KMALLOC_MAX_CACHE_SIZE)
		return kmalloc_info[kmalloc_index(size)].size;
	if (size && size <= KMALLOC_MAX_SIZE)
		return PAGE_SIZE << get_order(size);
	return size;
}

/* --- helpers on kmalloc --- */

/*
 * Resize in place while the object's size (the cache's object size, or the
 * large kmalloc's pages) holds @new_size; else a new object and a copy.
 * Where the cache keeps the requested size (kmalloc red zone), that size
 * is updated, the spare bytes are zeroed precisely, and the bytes past the
 * new size become red zone again, as Linux 6.18's __do_krealloc().
 */
void *krealloc(const void *p, size_t new_size, gfp_t flags)
{
	struct kmem_cache *s = NULL;
	unsigned int orig_size = 0;
	size_t ks = 0;
	void *ret;

	if (unlikely(!new_size)) {
		kfree(p);
		return ZERO_SIZE_PTR;
	}
	if (unlikely(ZERO_OR_NULL_PTR(p)))
		goto alloc_new;
	if (unlikely(!virt_addr_valid(p))) {
		kmm_report_count_inc(KMM_REPORT_SLAB);
		WARN(1, "krealloc: invalid address 0x%016lx\n", (unsigned long)p);
		return NULL;
	}
	struct page *page = virt_to_head_page(p);
	if (PageSlab(page)) {
		s = page_slab(page)->slab_cache;
		if (!s || !check_valid_pointer(s, page_slab(page), p)) {
			kfree(p);	/* reports it */
			return NULL;
		}
		orig_size = get_orig_size(s, (void *)p);
		ks = slab_object_size(s);
		if (s->annotated)
			annot_obj_grow(s, p, ks);	/* all of it is ours to read and zero */
	} else {
		ks = ksize(p);
		if (!ks)
			return NULL;
	}
	if (new_size > ks)
		goto alloc_new;
	if (flags & __GFP_ZERO) {
		if (orig_size && orig_size < new_size)
			memset((char *)p + orig_size, 0, new_size - orig_size);
		else
			memset((char *)p + new_size, 0, ks - new_size);
	}
	if (s && slub_debug_orig_size(s)) {
		set_orig_size(s, (void *)p, (unsigned int)new_size);
		if ((s->flags & SLAB_RED_ZONE) && new_size < ks)
			memset((char *)p + new_size, SLUB_RED_ACTIVE, ks - new_size);
	}
	if (s && s->annotated)
		annot_obj_shrink(s, p, new_size, ks);
	return (void *)p;

alloc_new:
	ret = kmalloc_node_track_caller(new_size, flags, NUMA_NO_NODE,
					(unsigned long)__builtin_return_address(0));
	if (ret && !ZERO_OR_NULL_PTR(p)) {
		memcpy(ret, p, orig_size ? orig_size : ks);
		kfree(p);
	}
	return ret;
}

/* --- kvmalloc: kmalloc, falling back to vmalloc for big sizes --- */

/* A big kmalloc attempt must fail fast and quietly: vmalloc is the plan B. */
static gfp_t kmalloc_gfp_adjust(gfp_t flags, size_t size)
{
	if (size > PAGE_SIZE) {
		flags |= __GFP_NOWARN;
		if (!(flags & __GFP_RETRY_MAYFAIL))
			flags |= __GFP_NORETRY;
		flags &= ~__GFP_NOFAIL;
	}
	return flags;
}

void *kvmalloc_node(size_t size, gfp_t flags, int node)
{
	void *ret = kmalloc_node_track_caller(size, kmalloc_gfp_adjust(flags, size), node,
					      (unsigned long)__builtin_return_address(0));

	if (ret || size <= PAGE_SIZE)
		return ret;
	/* vmalloc may sleep: an atomic caller gets the kmalloc result only. */
	if (!gfpflags_allow_blocking(flags))
		return NULL;
	if (unlikely(size > INT_MAX)) {
		WARN_ON_ONCE(!(flags & __GFP_NOWARN));
		return NULL;
	}
	return __vmalloc_node(size, 1, flags, node, __builtin_return_address(0));
}

void *kvmalloc(size_t size, gfp_t flags)
{
	return kvmalloc_node(size, flags, NUMA_NO_NODE);
}

void kvfree(const void *addr)
{
	if (is_vmalloc_addr(addr))
		vfree(addr);
	else
		kfree(addr);
}

void kvfree_sensitive(const void *addr, size_t len)
{
	if (likely(!ZERO_OR_NULL_PTR(addr))) {
		memset((void *)addr, 0, len);
		__asm__ __volatile__("" : : "r"(addr) : "memory");
		kvfree(addr);
	}
}

/* Linux 6.18's kvrealloc: the contents kept up to the smaller size. */
void *kvrealloc(const void *p, size_t size, gfp_t flags)
{
	size_t old = 0;
	void *n;

	if (p && is_vmalloc_addr(p)) {
		struct vm_struct *area = find_vm_area(p);

		old = area ? get_vm_area_size(area) : 0;
	} else if (!ZERO_OR_NULL_PTR(p)) {
		n = krealloc(p, size, kmalloc_gfp_adjust(flags, size) | __GFP_NOWARN);
		if (n)
			return n;
		old = ksize(p);
	}
	if (p && old >= size && is_vmalloc_addr(p))
		return (void *)p;
	n = kvmalloc(size, flags);
	if (!n)
		return NULL;
	if (p) {
		memcpy(n, p, min(size, old));
		kvfree(p);
	}
	return n;
}

void kfree_sensitive(const void *p)
{
	size_t ks = ksize(p);

	if (ks) {
		memset((void *)p, 0, ks);
		__asm__ __volatile__("" : : "r"(p) : "memory");	/* memzero_explicit */
	}
	kfree(p);
}

void *kmemdup(const void *src, size_t len, gfp_t gfp)
{
	void *p = kmalloc(len, gfp);

	if (p && !ZERO_OR_NULL_PTR(p))
		memcpy(p, src, len);
	return p;
}

char *kstrdup(const char *s, gfp_t gfp)
{
	if (!s)
		return NULL;
	return kmemdup(s, strlen(s) + 1, gfp);
}

char *kstrndup(const char *s, size_t max, gfp_t gfp)
{
	if (!s)
		return NULL;
	size_t len = strnlen(s, max);
	char *buf = kmalloc(len + 1, gfp);

	if (buf) {
		memcpy(buf, s, len);
		buf[len] = '\0';
	}
	return buf;
}

/* --- /proc/slabinfo --- */

void show_slabinfo(FILE *f)
{
	struct kmem_cache *s;
	struct slabinfo sinfo;

	plat_mutex_lock(&slab_mutex);
	fputs("slabinfo - version: 2.1\n", f);
	fputs("# name            <active_objs> <num_objs> <objsize> <objperslab> <pagesperslab>"
	      " : tunables <limit> <batchcount> <sharedfactor>"
	      " : slabdata <active_slabs> <num_slabs> <sharedavail>\n", f);
	list_for_each_entry(s, &slab_caches, list) {
		get_slabinfo(s, &sinfo);
		fprintf(f, "%-17s %6lu %6lu %6u %4u %4d", s->name, sinfo.active_objs,
			sinfo.num_objs, s->size, sinfo.objects_per_slab, 1 << sinfo.cache_order);
		fprintf(f, " : tunables %4u %4u %4u", 0u, 0u, 0u);
		fprintf(f, " : slabdata %6lu %6lu %6lu", sinfo.active_slabs, sinfo.num_slabs, 0UL);
		fputc('\n', f);
	}
	plat_mutex_unlock(&slab_mutex);
}

/*
 * What Linux shows per cache in /sys/kernel/slab/NAME/cpu_partial and
 * slabs_cpu_partial, one line per cache: the tunable (objects), the slabs
 * it allows per CPU, and the CPU partial lists, objects(slabs) counting
 * each slab half free as Linux does, in total then per CPU that has one.
 */
void show_slab_cpu_partial(FILE *f)
{
	struct kmem_cache *s;

	plat_mutex_lock(&slab_mutex);
	fputs("# name            cpu_partial cpu_partial_slabs : slabs_cpu_partial\n", f);
	list_for_each_entry(s, &slab_caches, list) {
		char cpus[512];
		int slabs = 0, len = 0;

		cpus[0] = 0;
		for (unsigned int cpu = 0; cpu < nr_cpu_ids; cpu++) {
			struct slab *partial = READ_ONCE(cpu_slab(s, (int)cpu)->partial);
			int n = partial ? data_race(partial->slabs) : 0;

			if (!n)
				continue;
			slabs += n;
			if (len < (int)sizeof(cpus) - 32)
				len += snprintf(cpus + len, sizeof(cpus) - (size_t)len, " C%u=%u(%d)", cpu,
						(unsigned int)n * s->objects / 2, n);
		}
		fprintf(f, "%-17s %11u %17u : %u(%d)%s\n", s->name, s->cpu_partial,
			s->cpu_partial_slabs, (unsigned int)slabs * s->objects / 2, slabs, cpus);
	}
	plat_mutex_unlock(&slab_mutex);
}
