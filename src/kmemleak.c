/* SPDX-License-Identifier: MIT */
/*
 * kmemleak's objects: what is tracked, and the API that tracks it, as
 * Linux's mm/kmemleak.c (see include/kmm/kmemleak.h for what it gives the
 * user; the scan is in kmemleak_scan.c).
 *
 * Every tracked block has a struct kmemleak_object, on one list in the
 * order of allocation and in a red-black tree by address: one tree for
 * virtual addresses (slab objects, large kmallocs, vmalloc areas, what
 * users register), one for physical ones (memblock's).  The blocks of a
 * tree never overlap; a block that would overlap one already there means a
 * free was missed, and kmemleak stops, as Linux's does.
 *
 * Where the hooks are (the allocators call them only while kmemleak runs):
 *   slab_post_alloc_hook() (slub.c)    kmemleak_slab_alloc(): the object, its
 *                                      cache's object_size (a KFENCE
 *                                      object: its own size), min_count 1
 *   slab_free_section(), the deferred  kmemleak_free(); caches kmemleak
 *   frees (slub.c)                     tracks leave the free fast path
 *   large kmalloc and its kfree        kmemleak_alloc(size asked), kmemleak_free()
 *   __vmalloc_node_range(), vfree()    kmemleak_vmalloc(), kmemleak_free()
 *   memblock allocations and frees     kmemleak_alloc_phys(min_count 0: a
 *                                      root), kmemleak_free_part_phys()
 * Caches made with SLAB_NOLEAKTRACE are not tracked.  Pages of the page
 * allocator are not tracked, as in Linux: a user who keeps pointers in
 * pages registers them with kmemleak_alloc().
 *
 * The metadata is host memory, carved from chunks and recycled on a free
 * list (Linux takes it from a slab cache of its own; here it would change
 * the counts of the allocator being watched, and the scan would find every
 * block referenced from its own metadata).
 *
 * Locking: one spinlock, kmemleak_lock, for the trees, the lists and every
 * field of every object.  It is taken inside CPU sections (by the free
 * paths), so its holder never waits for a CPU: no allocation, nothing that
 * sleeps, only the log.  The scan takes it for at most a few kilobytes of
 * memory at a time.
 */
#include <limits.h>
#include <stdlib.h>
#include "kmemleak.h"
#include "kfence.h"
#include "param.h"
#include <kmm/vmalloc.h>

#define MSECS_MIN_AGE		5000	/* minimum object age for reporting */
#define IS_ERR(p)		((unsigned long)(p) >= (unsigned long)-4095)
#define POOL_CHUNK		(1UL << 20)

bool kmemleak_enabled;
bool kmemleak_free_enabled;
bool kmemleak_verbose;
unsigned long kmemleak_min_age_ms = MSECS_MIN_AGE;
bool kmemleak_auto_scan = true;
static bool kmemleak_wanted;		/* kmemleak=on */
static bool kmemleak_error;

spinlock_t kmemleak_lock;
LIST_HEAD(kmemleak_object_list);
struct rb_root kmemleak_object_tree;
static struct rb_root object_phys_tree;
struct kmemleak_span kmemleak_span = { .min_addr = ULONG_MAX };

/* The metadata pool: chunks of host memory, each starting with the link to the previous. */
static void *pool_chunks;
static size_t pool_used = POOL_CHUNK;
static LIST_HEAD(pool_free);
static unsigned long nr_objects;

static struct kmemleak_object *mem_pool_alloc(void)
{
	struct kmemleak_object *object;

	if (!list_empty(&pool_free)) {
		object = list_first_entry(&pool_free, struct kmemleak_object, object_list);
		list_del(&object->object_list);
		memset(object, 0, sizeof(*object));
		return object;
	}
	if (pool_used + sizeof(*object) > POOL_CHUNK) {
		void **chunk = plat_host_zalloc(POOL_CHUNK);

		if (!chunk)
			return NULL;
		*chunk = pool_chunks;
		pool_chunks = chunk;
		pool_used = ALIGN(sizeof(void *), __alignof__(struct kmemleak_object));
	}
	object = (struct kmemleak_object *)((char *)pool_chunks + pool_used);
	pool_used += sizeof(*object);
	return object;
}

static void mem_pool_free_all(void)
{
	while (pool_chunks) {
		void *next = *(void **)pool_chunks;

		plat_host_free(pool_chunks, POOL_CHUNK);
		pool_chunks = next;
	}
	pool_used = POOL_CHUNK;
	INIT_LIST_HEAD(&pool_free);
}

void kmemleak_get(struct kmemleak_object *object)
{
	object->use_count++;
}

/* The last reference gone (the object left the trees and every scan list): recycle it. */
void kmemleak_put(struct kmemleak_object *object)
{
	if (--object->use_count)
		return;
	WARN_ON(object->flags & OBJECT_ALLOCATED);
	nr_objects--;
	list_add(&object->object_list, &pool_free);
}

static struct rb_root *object_tree(bool phys)
{
	return phys ? &object_phys_tree : &kmemleak_object_tree;
}

void kmemleak_dump_object_info(struct kmemleak_object *object)
{
	pr_notice("Object%s 0x%08lx (size %zu):\n", object->flags & OBJECT_PHYS ? " (phys)" : "",
		  object->pointer, object->size);
	pr_notice("  comm \"%s\", pid %d, jiffies %lu\n", object->comm, object->pid,
		  object->jiffies);
	pr_notice("  min_count = %d\n", object->min_count);
	pr_notice("  count = %d\n", object->count);
	pr_notice("  flags = 0x%x\n", object->flags);
	pr_notice("  checksum = %u\n", object->checksum);
	pr_notice("  backtrace:\n");
	if (object->trace_handle)
		stack_depot_print(object->trace_handle);
}

struct kmemleak_object *kmemleak_lookup(unsigned long ptr, bool alias, bool phys)
{
	struct rb_node *rb = object_tree(phys)->rb_node;

	while (rb) {
		struct kmemleak_object *object = rb_entry(rb, struct kmemleak_object, rb_node);

		if (ptr < object->pointer)
			rb = rb->rb_left;
		else if (object->pointer + object->size <= ptr)
			rb = rb->rb_right;
		else if (object->pointer == ptr || alias)
			return object;
		else {
			pr_warn("kmemleak: Found object by alias at 0x%08lx\n", ptr);
			dump_stack();
			kmemleak_dump_object_info(object);
			break;
		}
	}
	return NULL;
}

/* Take @object out of its tree and the object list.  Under kmemleak_lock. */
static void remove_object(struct kmemleak_object *object)
{
	rb_erase(&object->rb_node, object_tree(object->flags & OBJECT_PHYS));
	list_del_init(&object->object_list);
	object->flags &= ~OBJECT_ALLOCATED;
	kmemleak_put(object);
}

void kmemleak_forget(struct kmemleak_object *object)
{
	remove_object(object);
}

/*
 * The allocation backtrace: from the frame @ret when @from_ret (a caller
 * of the API), else from the frame after @ret (an allocator's hook, @ret
 * being its return address into the allocator).  What is left of the
 * allocator's entry points (kmalloc's frame in a build without tail calls)
 * is skipped by name when the report is printed, not here: naming frames
 * costs more than an allocation should.
 */
static __noinline depot_stack_handle_t set_track_prepare(unsigned long ret, bool from_ret)
{
	unsigned long entries[64];
	unsigned int nr = plat_stack_save(entries, ARRAY_SIZE(entries), 1), start = 0;

	for (unsigned int i = 0; i < nr; i++) {
		if (entries[i] == ret) {
			start = from_ret ? i : i + 1;
			break;
		}
	}
	if (start >= nr)
		start = 0;
	return stack_depot_save(entries + start, nr - start);
}

/* Link @object into its tree.  Under kmemleak_lock.  Return: 0, or -EEXIST on an overlap. */
static int link_object(struct kmemleak_object *object)
{
	struct rb_root *root = object_tree(object->flags & OBJECT_PHYS);
	struct rb_node **link = &root->rb_node, *parent = NULL;
	unsigned long ptr = object->pointer;

	while (*link) {
		struct kmemleak_object *other = rb_entry(*link, struct kmemleak_object, rb_node);

		parent = *link;
		if (ptr + object->size <= other->pointer) {
			link = &parent->rb_left;
		} else if (other->pointer + other->size <= ptr) {
			link = &parent->rb_right;
		} else {
			pr_warn("kmemleak: Cannot insert 0x%lx into the object search tree (overlaps existing)\n",
				ptr);
			dump_stack();
			kmemleak_dump_object_info(other);
			return -EEXIST;
		}
	}
	rb_link_node(&object->rb_node, parent, link);
	rb_insert_color(&object->rb_node, root);
	list_add_tail(&object->object_list, &kmemleak_object_list);
	if (!(object->flags & OBJECT_PHYS)) {
		kmemleak_span.min_addr = min(kmemleak_span.min_addr, ptr);
		kmemleak_span.max_addr = max(kmemleak_span.max_addr, ptr + object->size);
	}
	return 0;
}

static void create_object(unsigned long ptr, size_t size, int min_count, unsigned int flags,
			  depot_stack_handle_t trace)
{
	struct kmemleak_object *object;
	bool failed = false;

	plat_lock(&kmemleak_lock);
	object = mem_pool_alloc();
	if (!object) {
		plat_unlock(&kmemleak_lock);
		pr_warn("kmemleak: Cannot allocate a kmemleak_object structure\n");
		kmemleak_disable();
		return;
	}
	INIT_LIST_HEAD(&object->object_list);
	INIT_LIST_HEAD(&object->gray_list);
	object->use_count = 1;
	object->flags = OBJECT_ALLOCATED | flags;
	object->pointer = ptr;
	object->size = size;
	object->min_count = min_count;
	object->trace_handle = trace;
	object->jiffies = kmm_jiffies();
	object->pid = plat_gettid();
	strncpy(object->comm, kmm_comm(), sizeof(object->comm) - 1);
	nr_objects++;
	if (link_object(object)) {
		object->flags &= ~OBJECT_ALLOCATED;
		kmemleak_put(object);
		failed = true;
	}
	plat_unlock(&kmemleak_lock);
	if (failed)
		kmemleak_disable();
}

static void __kmemleak_alloc(const void *ptr, size_t size, int min_count,
			     unsigned long ret, bool from_ret)
{
	if (!READ_ONCE(kmemleak_enabled) || ZERO_OR_NULL_PTR(ptr) || IS_ERR(ptr))
		return;
	create_object((unsigned long)ptr, kfence_ksize(ptr) ?: size, min_count,
		      from_ret ? OBJECT_TRACE_EXACT : 0, set_track_prepare(ret, from_ret));
}

void kmemleak_alloc(const void *ptr, size_t size, int min_count, gfp_t gfp)
{
	(void)gfp;
	__kmemleak_alloc(ptr, size, min_count, (unsigned long)__builtin_return_address(0), true);
}

/* See kmemleak.h.  Called by slab_post_alloc_hook() and the large kmalloc. */
__noinline void kmemleak_slab_alloc(struct kmem_cache *s, void *object, size_t size, gfp_t gfp)
{
	(void)gfp;
	if (s && (s->flags & SLAB_NOLEAKTRACE))
		return;
	__kmemleak_alloc(object, size, 1, (unsigned long)__builtin_return_address(0), false);
}

void kmemleak_vmalloc(const struct vm_struct *area, size_t size, gfp_t gfp)
{
	struct kmemleak_object *object;

	(void)gfp;
	if (!READ_ONCE(kmemleak_enabled))
		return;
	/* Two references: the vm_struct's own, and the user's. */
	create_object((unsigned long)area->addr, size, 2, 0,
		      set_track_prepare((unsigned long)__builtin_return_address(0), false));
	/* References to the vm_struct beyond its own one count for the area (get_vm_area users). */
	plat_lock(&kmemleak_lock);
	object = kmemleak_lookup((unsigned long)area, false, false);
	if (object)
		object->excess_ref = (unsigned long)area->addr;
	plat_unlock(&kmemleak_lock);
}

static void delete_object_full(unsigned long ptr, bool phys)
{
	struct kmemleak_object *object;

	plat_lock(&kmemleak_lock);
	object = kmemleak_lookup(ptr, false, phys);
	if (object)
		remove_object(object);
	plat_unlock(&kmemleak_lock);
}

void kmemleak_free(const void *ptr)
{
	if (READ_ONCE(kmemleak_free_enabled) && !ZERO_OR_NULL_PTR(ptr) && !IS_ERR(ptr))
		delete_object_full((unsigned long)ptr, false);
}

/* What is left of the block around [@ptr, @ptr + @size) stays tracked, in one or two parts. */
static void delete_object_part(unsigned long ptr, size_t size, bool phys)
{
	struct kmemleak_object *object, *part[2] = { NULL, NULL };
	unsigned long start, end;
	bool failed = false;

	plat_lock(&kmemleak_lock);
	object = kmemleak_lookup(ptr, true, phys);
	if (!object)
		goto out;
	start = object->pointer;
	end = object->pointer + object->size;
	remove_object(object);
	for (int i = 0; i < 2; i++) {
		unsigned long s = i ? ptr + size : start, e = i ? end : ptr;

		if (s >= e)
			continue;
		part[i] = mem_pool_alloc();
		if (!part[i]) {
			failed = true;
			break;
		}
		*part[i] = *object;
		INIT_LIST_HEAD(&part[i]->object_list);
		INIT_LIST_HEAD(&part[i]->gray_list);
		part[i]->use_count = 1;
		part[i]->flags = (object->flags | OBJECT_ALLOCATED) & ~OBJECT_REPORTED;
		part[i]->pointer = s;
		part[i]->size = e - s;
		part[i]->nr_areas = 0;
		nr_objects++;
		if (link_object(part[i])) {
			part[i]->flags &= ~OBJECT_ALLOCATED;
			kmemleak_put(part[i]);
			failed = true;
			break;
		}
	}
out:
	plat_unlock(&kmemleak_lock);
	if (failed)
		kmemleak_disable();
}

void kmemleak_free_part(const void *ptr, size_t size)
{
	if (READ_ONCE(kmemleak_enabled) && !ZERO_OR_NULL_PTR(ptr) && !IS_ERR(ptr))
		delete_object_part((unsigned long)ptr, size, false);
}

/*
 * Find the object at @ptr (its start) and apply @fn to it, or warn in
 * Linux's words (@what) that it is unknown.
 */
static void with_object(unsigned long ptr, bool phys, bool alias, const char *what,
			void (*fn)(struct kmemleak_object *object, unsigned long arg),
			unsigned long arg)
{
	struct kmemleak_object *object;

	plat_lock(&kmemleak_lock);
	object = kmemleak_lookup(ptr, alias, phys);
	if (object)
		fn(object, arg);
	plat_unlock(&kmemleak_lock);
	if (!object && what) {
		pr_warn("kmemleak: %s 0x%08lx\n", what, ptr);
		dump_stack();
	}
}

static void paint(struct kmemleak_object *object, unsigned long color)
{
	object->min_count = (int)color;
	if ((int)color == KMEMLEAK_BLACK)
		object->flags |= OBJECT_NO_SCAN;
}

static void reset_checksum(struct kmemleak_object *object, unsigned long unused)
{
	(void)unused;
	object->checksum = 0;
}

static void set_no_scan(struct kmemleak_object *object, unsigned long unused)
{
	(void)unused;
	object->flags |= OBJECT_NO_SCAN;
}

static void set_trace(struct kmemleak_object *object, unsigned long handle)
{
	object->trace_handle = (depot_stack_handle_t)handle;
	object->flags |= OBJECT_TRACE_EXACT;
}

void kmemleak_not_leak(const void *ptr)
{
	if (READ_ONCE(kmemleak_enabled) && !ZERO_OR_NULL_PTR(ptr) && !IS_ERR(ptr))
		with_object((unsigned long)ptr, false, false,
			    "Trying to color unknown object at", paint, KMEMLEAK_GREY);
}

void kmemleak_ignore(const void *ptr)
{
	if (READ_ONCE(kmemleak_enabled) && !ZERO_OR_NULL_PTR(ptr) && !IS_ERR(ptr))
		with_object((unsigned long)ptr, false, false,
			    "Trying to color unknown object at", paint,
			    (unsigned long)(long)KMEMLEAK_BLACK);
}

void kmemleak_transient_leak(const void *ptr)
{
	if (READ_ONCE(kmemleak_enabled) && !ZERO_OR_NULL_PTR(ptr) && !IS_ERR(ptr))
		with_object((unsigned long)ptr, false, false,
			    "Not resetting the checksum of an unknown object at", reset_checksum, 0);
}

void kmemleak_no_scan(const void *ptr)
{
	if (READ_ONCE(kmemleak_enabled) && !ZERO_OR_NULL_PTR(ptr) && !IS_ERR(ptr))
		with_object((unsigned long)ptr, false, false,
			    "Not scanning unknown object at", set_no_scan, 0);
}

void kmemleak_update_trace(const void *ptr)
{
	depot_stack_handle_t handle;

	if (!READ_ONCE(kmemleak_enabled) || ZERO_OR_NULL_PTR(ptr) || IS_ERR(ptr))
		return;
	handle = set_track_prepare((unsigned long)__builtin_return_address(0), true);
	with_object((unsigned long)ptr, false, true, NULL, set_trace, handle);
}

void kmemleak_scan_area(const void *ptr, size_t size, gfp_t gfp)
{
	unsigned long start = (unsigned long)ptr;
	struct kmemleak_object *object;

	(void)gfp;
	if (!READ_ONCE(kmemleak_enabled) || ZERO_OR_NULL_PTR(ptr) || !size || IS_ERR(ptr))
		return;
	plat_lock(&kmemleak_lock);
	object = kmemleak_lookup(start, true, false);
	if (!object) {
		plat_unlock(&kmemleak_lock);
		pr_warn("kmemleak: Adding scan area to unknown object at 0x%08lx\n", start);
		dump_stack();
		return;
	}
	if (size == SIZE_MAX)
		size = object->pointer + object->size - start;
	if (start + size > object->pointer + object->size) {
		pr_warn("kmemleak: Scan area larger than object 0x%08lx\n", start);
		dump_stack();
		kmemleak_dump_object_info(object);
	} else if (object->nr_areas == KMEMLEAK_MAX_AREAS) {
		object->flags |= OBJECT_FULL_SCAN;	/* Linux's fallback when an area cannot be had */
	} else {
		object->areas[object->nr_areas].start = start;
		object->areas[object->nr_areas++].size = size;
	}
	plat_unlock(&kmemleak_lock);
}

void kmemleak_alloc_phys(phys_addr_t phys, size_t size, gfp_t gfp)
{
	(void)gfp;
	if (READ_ONCE(kmemleak_enabled))
		create_object((unsigned long)phys, size, 0, OBJECT_PHYS | OBJECT_TRACE_EXACT,
			      set_track_prepare((unsigned long)__builtin_return_address(0), true));
}

void kmemleak_free_part_phys(phys_addr_t phys, size_t size)
{
	if (READ_ONCE(kmemleak_enabled))
		delete_object_part((unsigned long)phys, size, true);
}

void kmemleak_ignore_phys(phys_addr_t phys)
{
	if (READ_ONCE(kmemleak_enabled))
		with_object((unsigned long)phys, true, false,
			    "Trying to color unknown object at", paint,
			    (unsigned long)(long)KMEMLEAK_BLACK);
}

/* --- on and off --- */

/* Stop tracking for good (until the next boot); what was found stays readable. */
void kmemleak_disable(void)
{
	if (__atomic_exchange_n(&kmemleak_error, true, __ATOMIC_SEQ_CST))
		return;
	WRITE_ONCE(kmemleak_enabled, false);
	WRITE_ONCE(kmemleak_free_enabled, false);
	__atomic_and_fetch(&kmm_slab_hooks, (u8)~KMM_SLAB_HOOK_KMEMLEAK, __ATOMIC_SEQ_CST);
	pr_info("kmemleak: Kernel memory leak detector disabled\n");
}

static int setup_kmemleak(const char *val)
{
	if (!val)
		return -EINVAL;
	if (!strcmp(val, "on"))
		kmemleak_wanted = true;
	else if (!strcmp(val, "off"))
		kmemleak_wanted = false;
	else
		return -EINVAL;
	return 0;
}

static void reset_kmemleak(void)
{
	kmemleak_wanted = false;
	kmemleak_verbose = false;
	kmemleak_min_age_ms = MSECS_MIN_AGE;
	kmemleak_auto_scan = true;
}

static int setup_min_age(const char *val)
{
	char *end;
	unsigned long v;

	if (!val || !*val)
		return -EINVAL;
	v = strtoul(val, &end, 0);
	if (*end || v > 3600UL * 1000)
		return -EINVAL;
	kmemleak_min_age_ms = v;
	return 0;
}

kmm_param("kmemleak", setup_kmemleak, reset_kmemleak);
/* Module parameters in Linux, bools as param_set_bool() takes them (kstrtobool()). */
kmm_param_bool("kmemleak.verbose", kmemleak_verbose, NULL);
kmm_param_bool("kmemleak.auto_scan", kmemleak_auto_scan, NULL);
kmm_param("kmemleak.min_age", setup_min_age, NULL);

/* At boot, before memblock hands anything out, so that every allocation is seen. */
void kmemleak_init(void)
{
	kmemleak_error = false;
	if (!kmemleak_wanted)
		return;
	kmemleak_scan_init();
	WRITE_ONCE(kmemleak_enabled, true);
	WRITE_ONCE(kmemleak_free_enabled, true);
	__atomic_or_fetch(&kmm_slab_hooks, KMM_SLAB_HOOK_KMEMLEAK, __ATOMIC_SEQ_CST);
}

/* With threads up: Linux's late_initcall. */
void kmemleak_late_init(void)
{
	if (!READ_ONCE(kmemleak_enabled))
		return;
	if (kmemleak_auto_scan)
		kmemleak_scan_thread_start(true);
	pr_info("kmemleak: Kernel memory leak detector initialized (mem pool available: %lu)\n",
		(unsigned long)((POOL_CHUNK - pool_used) / sizeof(struct kmemleak_object)));
}

void kmemleak_exit(void)
{
	kmemleak_scan_exit();
	WRITE_ONCE(kmemleak_enabled, false);
	WRITE_ONCE(kmemleak_free_enabled, false);
	__atomic_and_fetch(&kmm_slab_hooks, (u8)~KMM_SLAB_HOOK_KMEMLEAK, __ATOMIC_SEQ_CST);
	plat_lock(&kmemleak_lock);
	mem_pool_free_all();
	INIT_LIST_HEAD(&kmemleak_object_list);
	kmemleak_object_tree = RB_ROOT;
	object_phys_tree = RB_ROOT;
	kmemleak_span.min_addr = ULONG_MAX;
	kmemleak_span.max_addr = 0;
	nr_objects = 0;
	plat_unlock(&kmemleak_lock);
}

/*
 * kmm_check(): the trees are red-black trees of disjoint blocks in address
 * order, the list holds exactly what they hold, every object is
 * allocated, and no scan list is left over.  Skipped while a scan holds
 * the lock.
 */
int kmm_check_kmemleak(void)
{
	unsigned long listed = 0, in_trees = 0;

	if (kmemleak_scan_in_progress() || !plat_trylock(&kmemleak_lock))
		return 0;
	for (int phys = 0; phys < 2; phys++) {
		long n = rb_validate(object_tree(phys));
		unsigned long last_end = 0;

		KMM_CHECK(n >= 0, "kmemleak: the %s object tree breaks the red-black rules",
			  phys ? "phys" : "virtual");
		if (n < 0)
			continue;
		in_trees += (unsigned long)n;
		for (struct rb_node *rb = rb_first(object_tree(phys)); rb; rb = rb_next(rb)) {
			struct kmemleak_object *object = rb_entry(rb, struct kmemleak_object, rb_node);

			KMM_CHECK(object->pointer >= last_end,
				  "kmemleak: object 0x%lx overlaps the one before it", object->pointer);
			KMM_CHECK(object->flags & OBJECT_ALLOCATED,
				  "kmemleak: object 0x%lx in the tree but not allocated", object->pointer);
			KMM_CHECK(!(object->flags & OBJECT_PHYS) == !phys,
				  "kmemleak: object 0x%lx in the wrong tree", object->pointer);
			KMM_CHECK(object->use_count >= 1 && list_empty(&object->gray_list),
				  "kmemleak: object 0x%lx: use_count %d, %s the gray list",
				  object->pointer, object->use_count,
				  list_empty(&object->gray_list) ? "off" : "on");
			last_end = object->pointer + object->size;
		}
	}
	for (struct list_head *pos = kmemleak_object_list.next; pos != &kmemleak_object_list;
	     pos = pos->next) {
		if (++listed > nr_objects + 1)
			break;
	}
	KMM_CHECK(listed == in_trees && listed == nr_objects,
		  "kmemleak: %lu objects listed, %lu in the trees, %lu counted", listed, in_trees,
		  nr_objects);
	plat_unlock(&kmemleak_lock);
	return 0;
}
