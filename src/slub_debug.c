/* SPDX-License-Identifier: MIT */
/*
 * SLUB debugging (Linux's CONFIG_SLUB_DEBUG), apart from the core in slub.c.
 *
 * A cache with any of SLAB_CONSISTENCY_CHECKS (F), SLAB_RED_ZONE (Z),
 * SLAB_POISON (P), SLAB_STORE_USER (U) or SLAB_TRACE (T), from its flags or
 * from slab_debug=, leaves the per-CPU fast path: every allocation and free
 * takes the node's list_lock and passes through here, so each object can
 * be checked whole.  The object slot then looks like this:
 *
 *   slot                object                  s->inuse
 *   | left red zone     | object_size bytes      | right red zone | free ptr |
 *   | (red_left_pad)    | 0x6b..0x6b 0xa5 if P   | 0xbb free      | (if not  |
 *   | 0xbb / 0xcc       | and free               | 0xcc in use    |  inside) |
 *
 *   ... | track alloc | track free | orig size (kmalloc) | padding 0x5a | (s->size)
 *
 * Poison (0x6b, last byte 0xa5) shows a write after free; the red zones
 * (0xbb while free, 0xcc while allocated, and for kmalloc objects also the
 * bytes between the requested size and the object size) show overflows;
 * the padding and the slab's unused bytes hold 0x5a.  Each corruption found
 * is reported in Linux's words, the bytes are restored ("FIX ...:
 * Restoring ..."), and the machine goes on; a free that fails its checks
 * is refused ("Object at 0x... not freed").
 *
 * slub_kunit's counting is reproduced: with kmm_slab_errors_capture() a
 * thread counts each error where Linux's slab_add_kunit_errors() would,
 * and prints nothing, so Linux's expected counts can be asserted as is.
 * Every report is also counted as KMM_REPORT_SLAB, captured or not.
 */
#include "slab.h"
#include "param.h"
#include <ctype.h>
#include <stdarg.h>

static slab_flags_t slub_debug;
static char slub_debug_string[256];
static bool slub_debug_has_list;

/* --- slab_debug= --- */

/*
 * Parse one ';'-separated block: letters, then optionally ",cache,cache".
 * Returns the next block or NULL; *@slabs is the start of the cache list.
 */
static const char *parse_slub_debug_flags(const char *str, slab_flags_t *flags,
					  const char **slabs, bool init)
{
	while (*str == ';')
		str++;
	if (*str == ',') {
		/* No letters, only caches: full debugging for them. */
		*flags = DEBUG_DEFAULT_FLAGS;
		goto check_slabs;
	}
	*flags = 0;
	for (; *str && *str != ',' && *str != ';'; str++) {
		switch (tolower((unsigned char)*str)) {
		case '-': *flags = 0; break;
		case 'f': *flags |= SLAB_CONSISTENCY_CHECKS; break;
		case 'z': *flags |= SLAB_RED_ZONE; break;
		case 'p': *flags |= SLAB_POISON; break;
		case 'u': *flags |= SLAB_STORE_USER; break;
		case 't': *flags |= SLAB_TRACE; break;
		case 'a': *flags |= SLAB_FAILSLAB; break;
		case 'o': break;	/* kmm never raises a cache's order for metadata */
		default:
			if (init)
				pr_err("slab_debug option '%c' unknown. skipped\n", *str);
		}
	}
check_slabs:
	*slabs = *str == ',' ? ++str : NULL;
	while (*str && *str != ';')
		str++;
	while (*str == ';')
		str++;
	return *str ? str : NULL;
}

static int setup_slub_debug(const char *str)
{
	slab_flags_t flags, global_flags = DEBUG_DEFAULT_FLAGS;
	bool global_changed = false;
	const char *slabs;

	slub_debug_string[0] = '\0';
	slub_debug_has_list = false;
	if (str && *str) {
		if (strlen(str) >= sizeof(slub_debug_string))
			return -EINVAL;
		for (const char *p = str; p; ) {
			p = parse_slub_debug_flags(p, &flags, &slabs, true);
			if (!slabs) {
				global_flags = flags;
				global_changed = true;
			} else {
				slub_debug_has_list = true;
			}
		}
		/* Flags with a list change only the listed caches, as Linux keeps it. */
		if (slub_debug_has_list) {
			if (!global_changed)
				global_flags = 0;
			snprintf(slub_debug_string, sizeof(slub_debug_string), "%s", str);
		}
	}
	slub_debug = global_flags;
	return 0;
}

static void slub_debug_reset(void)
{
	slub_debug = 0;
	slub_debug_string[0] = '\0';
	slub_debug_has_list = false;
}

kmm_param("slab_debug", setup_slub_debug, slub_debug_reset);

/* What Linux says at boot about debugging that meets auto-init. */
void slub_debug_boot_report(void)
{
	if ((init_on_alloc || init_on_free) && (slub_debug & SLAB_POISON))
		pr_info("mem auto-init: SLAB_POISON will take precedence over init_on_alloc/init_on_free\n");
}
static int setup_slub_debug_alias(const char *str) { return setup_slub_debug(str); }
kmm_param("slub_debug", setup_slub_debug_alias, NULL);

/**
 * kmem_cache_flags - add slab_debug='s flags for the cache @name to @flags
 * Context: cache creation.
 */
slab_flags_t kmem_cache_flags(slab_flags_t flags, const char *name)
{
	slab_flags_t local = slub_debug, block_flags;
	const char *next = slub_debug_has_list ? slub_debug_string : NULL, *iter;
	size_t len = strlen(name);

	if (flags & SLAB_NO_USER_FLAGS)
		return flags;
	if (flags & SLAB_NOLEAKTRACE)
		local &= ~SLAB_STORE_USER;
	while (next) {
		next = parse_slub_debug_flags(next, &block_flags, &iter, false);
		if (!iter)
			continue;
		while (*iter) {
			const char *end = strchrnul(iter, ',');
			if (next && next < end)
				end = next - 1;
			const char *semi = memchr(iter, ';', (size_t)(end - iter));
			if (semi)
				end = semi;
			const char *glob = memchr(iter, '*', (size_t)(end - iter));
			size_t cmplen = glob ? (size_t)(glob - iter) : max(len, (size_t)(end - iter));

			if (!strncmp(name, iter, cmplen))
				return flags | block_flags;
			if (!*end || *end == ';')
				break;
			iter = end + 1;
		}
	}
	return flags | local;
}

/* --- slub_kunit's error counting --- */

static __thread int *kunit_errors __attribute__((tls_model("initial-exec")));

void kmm_slab_errors_capture(int *counter)
{
	kunit_errors = counter;
}

/* Count an error instead of printing it, when a test asked to. */
bool slab_add_kunit_errors(void)
{
	if (!kunit_errors)
		return false;
	(*kunit_errors)++;
	return true;
}

bool slab_in_kunit_test(void)
{
	return kunit_errors != NULL;
}

/* --- printing --- */

static struct track *get_track(struct kmem_cache *s, void *object, enum track_item alloc)
{
	return (struct track *)((char *)object + get_info_end(s)) + alloc;
}

void set_track_update(struct kmem_cache *s, void *object, enum track_item alloc,
		      unsigned long addr, depot_stack_handle_t handle)
{
	struct track *t = get_track(s, object, alloc);

	t->handle = handle;
	t->addr = addr;
	t->cpu = current->preempt_count ? current->cpu : 0;
	t->pid = plat_gettid();
	t->when = kmm_jiffies();
}

void set_track(struct kmem_cache *s, void *object, enum track_item alloc, unsigned long addr)
{
	set_track_update(s, object, alloc, addr, stack_depot_save_current(0));
}

void init_tracking(struct kmem_cache *s, void *object)
{
	if (s->flags & SLAB_STORE_USER)
		memset(get_track(s, object, TRACK_ALLOC), 0, 2 * sizeof(struct track));
}

static void print_track(const char *what, struct track *t, unsigned long now)
{
	char sym[256];

	if (!t->addr)
		return;
	plat_symbolize(t->addr, sym, sizeof(sym));
	pr_err("%s in %s age=%lu cpu=%d pid=%d\n", what, sym, now - t->when, t->cpu, t->pid);
	if (t->handle)
		stack_depot_print(t->handle);
	else
		pr_err("object allocation/free stack trace missing\n");
}

void print_tracking(struct kmem_cache *s, void *object)
{
	unsigned long now = kmm_jiffies();

	if (!(s->flags & SLAB_STORE_USER))
		return;
	print_track("Allocated", get_track(s, object, TRACK_ALLOC), now);
	print_track("Freed", get_track(s, object, TRACK_FREE), now);
}

static void print_slab_info(const struct slab *slab)
{
	char flags[160];

	kmm_format_page_flags(flags, sizeof(flags), slab->__page_flags);
	pr_err("Slab 0x%016lx objects=%u used=%u fp=0x%016lx flags=%s\n", (unsigned long)slab,
	       slab->objects, slab->inuse, (unsigned long)slab->freelist, flags);
}

static void __slab_bug(struct kmem_cache *s, const char *fmt, va_list ap)
{
	char msg[256];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	pr_err("=============================================================================\n");
	pr_err("BUG %s (%s): %s\n", s ? s->name : "<unknown>", print_tainted(), msg);
	pr_err("-----------------------------------------------------------------------------\n\n");
}

void slab_bug(struct kmem_cache *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	__slab_bug(s, fmt, ap);
	va_end(ap);
}

void slab_fix(struct kmem_cache *s, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (slab_add_kunit_errors())
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pr_err("FIX %s: %s\n", s ? s->name : "<unknown>", msg);
}

/* The offset past the metadata: tracks and the kmalloc size, if kept. */
static unsigned int metadata_end(struct kmem_cache *s)
{
	unsigned int off = get_info_end(s);

	if (s->flags & SLAB_STORE_USER) {
		off += 2 * (unsigned int)sizeof(struct track);
		if (s->flags & SLAB_KMALLOC)
			off += (unsigned int)sizeof(unsigned int);
	}
	return off;
}

static unsigned int size_from_object(struct kmem_cache *s)
{
	return (s->flags & SLAB_RED_ZONE) ? s->size - s->red_left_pad : s->size;
}

static void print_trailer(struct kmem_cache *s, struct slab *slab, u8 *p)
{
	u8 *addr = slab_address(slab);
	unsigned int off = metadata_end(s);

	print_tracking(s, p);
	print_slab_info(slab);
	pr_err("Object 0x%016lx @offset=%lu fp=0x%016lx\n\n", (unsigned long)p,
	       (unsigned long)(p - addr), (unsigned long)get_freepointer(s, p));
	if (s->flags & SLAB_RED_ZONE)
		print_hex_dump("Redzone  ", p - s->red_left_pad, s->red_left_pad);
	else if (p > addr + 16)
		print_hex_dump("Bytes b4 ", p - 16, 16);
	print_hex_dump("Object   ", p, min(s->object_size, (unsigned int)PAGE_SIZE));
	if (s->flags & SLAB_RED_ZONE)
		print_hex_dump("Redzone  ", p + s->object_size, s->inuse - s->object_size);
	if (off != size_from_object(s))
		print_hex_dump("Padding  ", p + off, size_from_object(s) - off);
}

/* One report; WARN_ON(1) as Linux, which panic_on_warn turns into a panic. */
static void slab_report_end(void)
{
	add_taint(TAINT_BAD_PAGE);
	WARN_ON(1);
}

void object_err(struct kmem_cache *s, struct slab *slab, void *object, const char *reason)
{
	kmm_report_count_inc(KMM_REPORT_SLAB);
	if (slab_add_kunit_errors())
		return;
	slab_bug(s, "%s", reason);
	if (!object || !check_valid_pointer(s, slab, object)) {
		print_slab_info(slab);
		pr_err("Invalid pointer 0x%016lx\n", (unsigned long)object);
	} else {
		print_trailer(s, slab, object);
	}
	slab_report_end();
}

void __slab_err(struct slab *slab)
{
	if (slab_in_kunit_test())
		return;
	if (slab)
		print_slab_info(slab);
	slab_report_end();
}

void slab_err(struct kmem_cache *s, struct slab *slab, const char *fmt, ...)
{
	va_list ap;

	kmm_report_count_inc(KMM_REPORT_SLAB);
	if (slab_add_kunit_errors())
		return;
	va_start(ap, fmt);
	__slab_bug(s, fmt, ap);
	va_end(ap);
	__slab_err(slab);
}

/* --- the object's bytes --- */

static unsigned int *orig_size_ptr(struct kmem_cache *s, void *object)
{
	return (unsigned int *)((char *)object + get_info_end(s) + 2 * sizeof(struct track));
}

unsigned int get_orig_size(struct kmem_cache *s, void *object)
{
	return slub_debug_orig_size(s) ? *orig_size_ptr(s, object) : s->object_size;
}

void set_orig_size(struct kmem_cache *s, void *object, unsigned int orig_size)
{
	if (slub_debug_orig_size(s))
		*orig_size_ptr(s, object) = orig_size;
}

void init_object(struct kmem_cache *s, void *object, u8 val)
{
	u8 *p = object;
	unsigned int poison_size = s->object_size;

	if (s->flags & SLAB_RED_ZONE) {
		memset(p - s->red_left_pad, val, s->red_left_pad);
		/* A kmalloc object's bytes past the request are red zone too. */
		if (slub_debug_orig_size(s) && val == SLUB_RED_ACTIVE)
			poison_size = get_orig_size(s, object);
	}
	if (s->flags & __OBJECT_POISON) {
		memset(p, POISON_FREE, poison_size - 1);
		p[poison_size - 1] = POISON_END;
	}
	if (s->flags & SLAB_RED_ZONE)
		memset(p + poison_size, val, s->inuse - poison_size);
}

static void restore_bytes(struct kmem_cache *s, const char *what, u8 data, u8 *from, u8 *to)
{
	slab_fix(s, "Restoring %s 0x%016lx-0x%016lx=0x%x", what, (unsigned long)from,
		 (unsigned long)(to - 1), data);
	memset(from, data, (size_t)(to - from));
}

/*
 * Are the @bytes at @start all @value?  If not: report the range that is
 * not (trimmed of trailing good bytes), restore it, and return false.
 */
static bool check_bytes_and_report(struct kmem_cache *s, struct slab *slab, u8 *object,
				   const char *what, u8 *start, u8 value, unsigned int bytes,
				   bool print_object)
{
	u8 *fault = (u8 *)memchr_inv(start, value, bytes), *end = start + bytes;

	if (!fault)
		return true;
	while (end > fault && end[-1] == value)
		end--;
	kmm_report_count_inc(KMM_REPORT_SLAB);
	if (slab_add_kunit_errors())
		goto restore;
	pr_err("[%s overwritten] 0x%016lx-0x%016lx @offset=%lu. First byte 0x%x instead of 0x%x\n",
	       what, (unsigned long)fault, (unsigned long)(end - 1),
	       (unsigned long)(fault - (u8 *)slab_address(slab)), fault[0], value);
	if (print_object)
		object_err(s, slab, object, "Object corrupt");
restore:
	restore_bytes(s, what, value, fault, end);
	return false;
}

static bool check_pad_bytes(struct kmem_cache *s, struct slab *slab, u8 *p)
{
	unsigned int off = metadata_end(s);

	if (size_from_object(s) == off)
		return true;
	return check_bytes_and_report(s, slab, p, "Object padding", p + off, POISON_INUSE,
				      size_from_object(s) - off, true);
}

/* The slab's bytes outside every object slot: the colour and the tail. */
static void slab_pad_check(struct kmem_cache *s, struct slab *slab)
{
	u8 *start = slab_address(slab), *end = start + slab_size(slab);
	u8 *objs = slab_objects(slab), *tail = objs + (size_t)slab->objects * s->size;
	struct { u8 *from, *to; } pads[2] = { { start, objs }, { tail, end } };

	if (!(s->flags & SLAB_POISON))
		return;
	for (int i = 0; i < 2; i++) {
		u8 *fault = (u8 *)memchr_inv(pads[i].from, POISON_INUSE,
					     (size_t)(pads[i].to - pads[i].from));
		u8 *last = pads[i].to;

		if (!fault)
			continue;
		while (last > fault && last[-1] == POISON_INUSE)
			last--;
		kmm_report_count_inc(KMM_REPORT_SLAB);
		if (!slab_in_kunit_test()) {
			slab_bug(s, "Padding overwritten. 0x%016lx-0x%016lx @offset=%lu",
				 (unsigned long)fault, (unsigned long)(last - 1),
				 (unsigned long)(fault - start));
			print_hex_dump("Padding ", pads[i].from, (unsigned int)(pads[i].to - pads[i].from));
		}
		__slab_err(slab);
		restore_bytes(s, "slab padding", POISON_INUSE, fault, last);
	}
}

/* Check one object against what it should hold as free (0xbb) or allocated (0xcc). */
static bool check_object(struct kmem_cache *s, struct slab *slab, void *object, u8 val)
{
	u8 *p = object, *endobject = p + s->object_size;
	bool ok = true;

	if (s->flags & SLAB_RED_ZONE) {
		if (!check_bytes_and_report(s, slab, p, "Left Redzone", p - s->red_left_pad, val,
					    s->red_left_pad, ok))
			ok = false;
		if (!check_bytes_and_report(s, slab, p, "Right Redzone", endobject, val,
					    s->inuse - s->object_size, ok))
			ok = false;
		if (slub_debug_orig_size(s) && val == SLUB_RED_ACTIVE) {
			unsigned int orig = get_orig_size(s, object);

			if (s->object_size > orig &&
			    !check_bytes_and_report(s, slab, p, "kmalloc Redzone", p + orig, val,
						    s->object_size - orig, ok))
				ok = false;
		}
	} else if ((s->flags & SLAB_POISON) && s->object_size < s->inuse) {
		if (!check_bytes_and_report(s, slab, p, "Alignment padding", endobject,
					    POISON_INUSE, s->inuse - s->object_size, ok))
			ok = false;
	}
	if (s->flags & SLAB_POISON) {
		if (val != SLUB_RED_ACTIVE && (s->flags & __OBJECT_POISON)) {
			if (!check_bytes_and_report(s, slab, p, "Poison", p, POISON_FREE,
						    s->object_size - 1, ok))
				ok = false;
			if (!check_bytes_and_report(s, slab, p, "End Poison", p + s->object_size - 1,
						    POISON_END, 1, ok))
				ok = false;
		}
		if (!check_pad_bytes(s, slab, p))
			ok = false;
	}
	/* An allocated object may use the words its free pointer lives in. */
	if ((freeptr_outside_object(s) || val != SLUB_RED_ACTIVE) &&
	    !check_valid_pointer(s, slab, get_freepointer(s, p))) {
		object_err(s, slab, p, "Freepointer corrupt");
		/* The rest of the chain is lost; the object count will say so. */
		set_freepointer(s, p, NULL);
		ok = false;
	}
	return ok;
}

static unsigned int max_slab_objects(struct kmem_cache *s, struct slab *slab)
{
	return (unsigned int)min((slab_size(slab) - slab->colour) / s->size,
				 (unsigned long)MAX_OBJS_PER_PAGE);
}

static bool check_slab(struct kmem_cache *s, struct slab *slab)
{
	unsigned int maxobj = max_slab_objects(s, slab);

	if (slab->objects > maxobj) {
		slab_err(s, slab, "objects %u > max %u", slab->objects, maxobj);
		return false;
	}
	if (slab->inuse > slab->objects) {
		slab_err(s, slab, "inuse %u > max %u", slab->inuse, slab->objects);
		return false;
	}
	if (slab->frozen) {
		slab_err(s, slab, "Slab disabled since SLUB metadata consistency check failed");
		return false;
	}
	slab_pad_check(s, slab);
	return true;
}

/*
 * Walk @slab's freelist: is @search on it?  With @search NULL, check the
 * chain and the object count, repairing what is wrong.  Under list_lock.
 */
static bool on_freelist(struct kmem_cache *s, struct slab *slab, void *search)
{
	void *fp = slab->freelist, *object = NULL;
	unsigned int nr = 0, max_objects;

	while (fp && nr <= slab->objects) {
		if (fp == search)
			return true;
		if (!check_valid_pointer(s, slab, fp)) {
			if (object) {
				object_err(s, slab, object, "Freechain corrupt");
				set_freepointer(s, object, NULL);
				break;
			}
			slab_err(s, slab, "Freepointer corrupt");
			slab->freelist = NULL;
			slab->inuse = slab->objects;
			slab_fix(s, "Freelist cleared");
			return false;
		}
		object = fp;
		fp = get_freepointer(s, object);
		nr++;
	}
	if (nr > slab->objects) {
		slab_err(s, slab, "Freelist cycle detected");
		slab->freelist = NULL;
		slab->inuse = slab->objects;
		slab_fix(s, "Freelist cleared");
		return false;
	}
	max_objects = max_slab_objects(s, slab);
	if (slab->objects != max_objects) {
		slab_err(s, slab, "Wrong number of objects. Found %u but should be %u",
			 slab->objects, max_objects);
		slab->objects = max_objects;
		slab_fix(s, "Number of objects adjusted");
	}
	if (slab->inuse != slab->objects - nr) {
		slab_err(s, slab, "Wrong object count. Counter is %u but counted were %u",
			 slab->inuse, slab->objects - nr);
		slab->inuse = slab->objects - nr;
		slab_fix(s, "Object count adjusted");
	}
	return search == NULL;
}

static void trace(struct kmem_cache *s, struct slab *slab, void *object, bool alloc)
{
	if (!(s->flags & SLAB_TRACE))
		return;
	pr_info("TRACE %s %s 0x%016lx inuse=%u fp=0x%016lx\n", s->name, alloc ? "alloc" : "free",
		(unsigned long)object, slab->inuse, (unsigned long)slab->freelist);
	if (!alloc)
		print_hex_dump("Object ", object, s->object_size);
	dump_stack();
}

/* --- the hooks slub.c calls --- */

/* A new slab of a poisoning cache: every byte 0x5a before objects are laid out. */
void setup_slab_debug(struct kmem_cache *s, struct slab *slab)
{
	if (s->flags & SLAB_POISON)
		memset(slab_address(slab), POISON_INUSE, slab_size(slab));
}

void setup_object_debug(struct kmem_cache *s, void *object)
{
	if (!(s->flags & (SLAB_STORE_USER | SLAB_RED_ZONE | __OBJECT_POISON)))
		return;
	init_object(s, object, SLUB_RED_INACTIVE);
	init_tracking(s, object);
}

/*
 * @object was just taken off @slab's freelist.  False (and the slab taken
 * out of use, all its objects marked used) if the checks failed.
 * Context: under the node's list_lock.
 */
bool alloc_debug_processing(struct kmem_cache *s, struct slab *slab, void *object,
			    unsigned int orig_size)
{
	if (s->flags & SLAB_CONSISTENCY_CHECKS) {
		if (!check_slab(s, slab))
			goto bad;
		if (!check_valid_pointer(s, slab, object)) {
			object_err(s, slab, object, "Freelist Pointer check fails");
			goto bad;
		}
		if (!check_object(s, slab, object, SLUB_RED_INACTIVE))
			goto bad;
	}
	trace(s, slab, object, true);
	set_orig_size(s, object, orig_size);
	init_object(s, object, SLUB_RED_ACTIVE);
	return true;
bad:
	/* Touch this slab no more: its objects count as used from now on. */
	slab_fix(s, "Marking all objects used");
	slab->inuse = slab->objects;
	slab->freelist = NULL;
	slab->frozen = 1;
	return false;
}

static bool free_consistency_checks(struct kmem_cache *s, struct slab *slab, void *object)
{
	if (!check_valid_pointer(s, slab, object)) {
		slab_err(s, slab, "Invalid object pointer 0x%016lx", (unsigned long)object);
		return false;
	}
	if (on_freelist(s, slab, object)) {
		object_err(s, slab, object, "Object already free");
		return false;
	}
	if (!check_object(s, slab, object, SLUB_RED_ACTIVE))
		return false;
	if (unlikely(s != slab->slab_cache)) {
		if (!slab->slab_cache)
			slab_err(NULL, slab, "No slab cache for object 0x%016lx", (unsigned long)object);
		else
			object_err(s, slab, object, "page slab pointer corrupt.");
		return false;
	}
	return true;
}

/*
 * @object is about to go back on @slab's freelist.  False, with the object
 * left allocated, if it must not.  Context: under the node's list_lock.
 */
bool free_debug_processing(struct kmem_cache *s, struct slab *slab, void *object,
			   unsigned long addr, depot_stack_handle_t handle)
{
	if (s->flags & SLAB_CONSISTENCY_CHECKS) {
		if (!check_slab(s, slab))
			goto out;
		if (slab->inuse < 1) {
			slab_err(s, slab, "Slab has %u allocated objects but %d are to be freed",
				 slab->inuse, 1);
			goto out;
		}
		if (!free_consistency_checks(s, slab, object))
			goto out;
	}
	if (s->flags & SLAB_STORE_USER)
		set_track_update(s, object, TRACK_FREE, addr, handle);
	trace(s, slab, object, false);
	init_object(s, object, SLUB_RED_INACTIVE);
	return true;
out:
	slab_fix(s, "Object at 0x%016lx not freed", (unsigned long)object);
	return false;
}

/* --- shutdown and validation --- */

static unsigned long object_map[(MAX_OBJS_PER_PAGE + BITS_PER_LONG) / BITS_PER_LONG] __page_aligned_bss;
static spinlock_t object_map_lock;

static void fill_map(unsigned long *map, struct kmem_cache *s, struct slab *slab)
{
	memset(map, 0, (slab->objects + BITS_PER_LONG - 1) / BITS_PER_LONG * sizeof(long));
	for (void *p = slab->freelist; p; p = get_freepointer(s, p)) {
		unsigned int idx = obj_to_index(s, slab, p);
		if (idx < slab->objects)
			__set_bit((int)(idx % BITS_PER_LONG), &map[idx / BITS_PER_LONG]);
	}
}

static bool map_test(const unsigned long *map, unsigned int idx)
{
	return map[idx / BITS_PER_LONG] & (1UL << (idx % BITS_PER_LONG));
}

/* The objects still allocated in @slab at kmem_cache_destroy(). */
void list_slab_objects(struct kmem_cache *s, struct slab *slab)
{
	void *p;

	/* Part of kmem_cache_destroy()'s report, which counts it once. */
	if (!slab_add_kunit_errors())
		slab_bug(s, "Objects remaining on __kmem_cache_shutdown()");
	spin_lock(&object_map_lock);
	fill_map(object_map, s, slab);
	for_each_object(p, s, slab) {
		if (map_test(object_map, obj_to_index(s, slab, p)))
			continue;
		if (slab_add_kunit_errors())
			continue;
		pr_err("Object 0x%016lx @offset=%lu\n", (unsigned long)p,
		       (unsigned long)((char *)p - (char *)slab_address(slab)));
		print_tracking(s, p);
	}
	spin_unlock(&object_map_lock);
	__slab_err(slab);
}

static void validate_slab(struct kmem_cache *s, struct slab *slab)
{
	void *p;

	if (!PageSlab(slab_page(slab))) {
		slab_err(s, slab, "Not a valid slab page");
		return;
	}
	if (!check_slab(s, slab) || !on_freelist(s, slab, NULL))
		return;
	fill_map(object_map, s, slab);
	for_each_object(p, s, slab) {
		u8 val = map_test(object_map, obj_to_index(s, slab, p)) ? SLUB_RED_INACTIVE
									 : SLUB_RED_ACTIVE;
		if (!check_object(s, slab, p, val))
			break;
	}
}

static unsigned long validate_slab_node(struct kmem_cache *s, struct kmem_cache_node *n)
{
	unsigned long count = 0;
	struct slab *slab;

	spin_lock(&n->list_lock);
	list_for_each_entry(slab, &n->partial, slab_list) {
		validate_slab(s, slab);
		count++;
	}
	if (count != n->nr_partial) {
		pr_err("SLUB %s: %lu partial slabs counted but counter=%lu\n", s->name, count,
		       n->nr_partial);
		slab_add_kunit_errors();
	}
	if (s->flags & SLAB_STORE_USER) {
		list_for_each_entry(slab, &n->full, slab_list) {
			validate_slab(s, slab);
			count++;
		}
		if (count != (unsigned long)atomic_long_read(&n->nr_slabs)) {
			pr_err("SLUB: %s %lu slabs counted but counter=%ld\n", s->name, count,
			       atomic_long_read(&n->nr_slabs));
			slab_add_kunit_errors();
		}
	}
	spin_unlock(&n->list_lock);
	return count;
}

/**
 * validate_slab_cache - check every listed slab of @s and every object in them
 *
 * The CPU slabs are flushed first.  Full slabs are listed (and checked)
 * only in SLAB_STORE_USER caches, as in Linux.  Each problem is reported
 * and repaired.
 * Context: sleepable.
 * Return: the number of slabs checked.
 */
long validate_slab_cache(struct kmem_cache *s)
{
	long count = 0;

	flush_all(s);
	spin_lock(&object_map_lock);
	for (int nid = 0; nid < nr_online_nodes; nid++)
		count += (long)validate_slab_node(s, get_node(s, nid));
	spin_unlock(&object_map_lock);
	return count;
}
