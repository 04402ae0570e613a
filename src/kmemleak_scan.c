/* SPDX-License-Identifier: MIT */
/*
 * kmemleak's scan, its reports, its view and its thread, as Linux's
 * kmemleak_scan() and /sys/kernel/debug/kmemleak.
 *
 * A scan, under scan_mutex (one at a time):
 *   1. every object turns white (count 0); those with min_count 0 (never a
 *      leak: roots registered by users, memblock's blocks) are grey at
 *      once and go on the gray list; phys blocks outside lowmem turn black;
 *   2. the roots are read word by word: the writable segments (data, bss)
 *      of the program and of every shared object, libkmm's among them, and
 *      the stacks of the threads that used the machine ("stack=off" skips
 *      them);
 *   3. each word that points into a tracked block counts one reference
 *      to it (a block that is grey already passes the reference on to its
 *      excess_ref: a vm_struct to its vmalloc area); a block whose count
 *      reaches its min_count turns grey and is scanned in turn, up to 4
 *      KiB at a time (the gray list);
 *   4. a white block whose checksum (crc32 of its contents) changed since
 *      the last scan is being written to: it turns grey for this scan and
 *      the gray list runs again;
 *   5. a block still white, allocated, and older than the minimum age is
 *      reported, once: counted as KMM_REPORT_KMEMLEAK, printed with
 *      kmemleak.verbose=1, and listed in the view until "clear".
 *
 * The readers of other threads' memory (roots, stacks, blocks) are not
 * instrumented by ASan or TSan, as Linux builds kmemleak without KASAN and
 * KCSAN: they read redzones and freed stack frames on purpose, and words
 * that their owners write meanwhile without any lock kmemleak could take.
 * Each aligned word is read once, whole (volatile): a stale value at worst
 * misses a pointer that moved during the scan, as Linux's scan may; the
 * checksum pass rescans the blocks that changed.
 */
#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include "kmemleak.h"
#include "kfence.h"

#define SECS_FIRST_SCAN		60	/* delay before the first automatic scan */
#define SECS_SCAN_WAIT		600	/* between automatic scans */
#define MAX_SCAN_SIZE		4096	/* scanned under the lock at a time */
#define HEX_ROW_SIZE		16
#define HEX_MAX_LINES		2
#define MAX_ROOTS		512

#define scan_access __attribute__((no_sanitize("address", "thread")))

static struct plat_mutex scan_mutex;
static LIST_HEAD(gray_list);
static bool scanning;			/* a scan has objects on the gray list */
static bool stack_scan = true;
static bool found_leaks;
static unsigned long jiffies_last_scan;
static unsigned long scan_wait_secs = SECS_SCAN_WAIT;

/* --- colours, as Linux's --- */

static bool color_white(const struct kmemleak_object *object)
{
	return object->count != KMEMLEAK_BLACK && object->count < object->min_count;
}

static bool color_gray(const struct kmemleak_object *object)
{
	return object->min_count != KMEMLEAK_BLACK && object->count >= object->min_count;
}

static bool unreferenced_object(const struct kmemleak_object *object)
{
	unsigned long min_age = kmemleak_min_age_ms * HZ / 1000;

	return color_white(object) && (object->flags & OBJECT_ALLOCATED) &&
	       (long)(jiffies_last_scan - (object->jiffies + min_age)) >= 0;
}

/* --- crc32 (Linux's crc32_le: reflected, polynomial 0xedb88320, no inversion) --- */

static u32 crc32_table[256];

static void crc32_init(void)
{
	for (u32 i = 0; i < 256; i++) {
		u32 c = i;

		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xedb88320U & -(c & 1));
		crc32_table[i] = c;
	}
}

static scan_access u32 crc32_le(u32 crc, const u8 *p, size_t len)
{
	while (len--)
		crc = (crc >> 8) ^ crc32_table[(crc ^ *p++) & 0xff];
	return crc;
}

static void *object_start(const struct kmemleak_object *object)
{
	return object->flags & OBJECT_PHYS ? __va((phys_addr_t)object->pointer)
					   : (void *)object->pointer;
}

/* True if the block changed since the last scan.  Under kmemleak_lock. */
static bool update_checksum(struct kmemleak_object *object)
{
	u32 old = object->checksum;

	object->checksum = crc32_le(0, object_start(object), object->size);
	return object->checksum != old;
}

/* --- reading memory for pointers --- */

/* One word that may point into a tracked block.  Under kmemleak_lock. */
static void pointer_update_refs(struct kmemleak_object *scanned, unsigned long pointer)
{
	struct kmemleak_object *object;
	unsigned long excess_ref = 0;

	if (pointer < kmemleak_span.min_addr || pointer >= kmemleak_span.max_addr)
		return;
	object = kmemleak_lookup(pointer, true, false);
	if (!object || object == scanned)
		return;
	if (color_gray(object)) {
		excess_ref = object->excess_ref;	/* only surplus references pass on */
	} else if (color_white(object)) {
		object->count++;
		if (color_gray(object)) {
			kmemleak_get(object);
			list_add_tail(&object->gray_list, &gray_list);
		}
	}
	if (!excess_ref)
		return;
	object = kmemleak_lookup(excess_ref, false, false);
	if (!object || object == scanned || !color_white(object))
		return;
	object->count++;
	if (color_gray(object)) {
		kmemleak_get(object);
		list_add_tail(&object->gray_list, &gray_list);
	}
}

static scan_access void scan_words(const unsigned long *p, const unsigned long *end,
				   struct kmemleak_object *scanned)
{
	for (; p < end; p++)
		pointer_update_refs(scanned, *(const volatile unsigned long *)p);
}

/* Scan [@start, @end) for pointers, a chunk at a time under the lock. */
static void scan_block(const void *start, const void *end, struct kmemleak_object *scanned)
{
	unsigned long s = ALIGN((unsigned long)start, sizeof(long));
	unsigned long e = (unsigned long)end;

	while (s + sizeof(long) <= e && READ_ONCE(kmemleak_enabled)) {
		unsigned long next = min(ALIGN_DOWN(s + MAX_SCAN_SIZE, MAX_SCAN_SIZE), e);

		plat_lock(&kmemleak_lock);
		scan_words((const unsigned long *)s,
			   (const unsigned long *)(s + ALIGN_DOWN(next - s, sizeof(long))), scanned);
		plat_unlock(&kmemleak_lock);
		s = next;
	}
}

/*
 * Scan a grey object's block (or its scan areas), a chunk at a time; the
 * block may be freed between chunks, which ends its scan.
 */
static void scan_object(struct kmemleak_object *object)
{
	plat_lock(&kmemleak_lock);
	if ((object->flags & OBJECT_NO_SCAN) || !(object->flags & OBJECT_ALLOCATED)) {
		plat_unlock(&kmemleak_lock);
		return;
	}
	if (object->nr_areas && !(object->flags & OBJECT_FULL_SCAN)) {
		for (unsigned int i = 0; i < object->nr_areas; i++)
			scan_words((const unsigned long *)ALIGN(object->areas[i].start, sizeof(long)),
				   (const unsigned long *)ALIGN_DOWN(object->areas[i].start +
								     object->areas[i].size,
								     sizeof(long)), object);
		plat_unlock(&kmemleak_lock);
		return;
	}
	unsigned long start = (unsigned long)object_start(object), end = start + object->size;

	for (;;) {
		unsigned long next = min(start + MAX_SCAN_SIZE, end);

		scan_words((const unsigned long *)ALIGN(start, sizeof(long)),
			   (const unsigned long *)ALIGN_DOWN(next, sizeof(long)), object);
		start = next;
		if (start >= end)
			break;
		plat_unlock(&kmemleak_lock);
		plat_lock(&kmemleak_lock);
		if (!(object->flags & OBJECT_ALLOCATED))
			break;
	}
	plat_unlock(&kmemleak_lock);
}

/* Scan every object on the gray list; scanning adds more at the tail. */
static void scan_gray_list(void)
{
	plat_lock(&kmemleak_lock);
	while (!list_empty(&gray_list)) {
		struct kmemleak_object *object =
			list_first_entry(&gray_list, struct kmemleak_object, gray_list);

		plat_unlock(&kmemleak_lock);
		if (READ_ONCE(kmemleak_enabled))
			scan_object(object);
		plat_lock(&kmemleak_lock);
		list_del_init(&object->gray_list);
		kmemleak_put(object);
	}
	plat_unlock(&kmemleak_lock);
}

/* --- roots --- */

/* Every writable segment loaded, but kmemleak's own span of addresses. */
static void scan_data_segments(void)
{
	static struct plat_range roots[MAX_ROOTS] __page_aligned_bss;	/* under scan_mutex */
	unsigned long skip = (unsigned long)&kmemleak_span;
	unsigned long skip_end = skip + sizeof(kmemleak_span);
	int n = plat_data_segments(roots, MAX_ROOTS);

	for (int i = 0; i < n; i++) {
		unsigned long start = roots[i].start, end = roots[i].end;

		if (start < skip_end && skip < end) {
			scan_block((void *)start, (void *)skip, NULL);
			start = skip_end;
		}
		scan_block((void *)start, (void *)end, NULL);
	}
}

static void scan_stack(unsigned long lo, unsigned long hi, void *arg)
{
	(void)arg;
	scan_block((void *)lo, (void *)hi, NULL);
}

/* --- reports --- */

/*
 * What a report shows of an object, copied under kmemleak_lock and
 * printed after it: printing may symbolize (the loader's lock) and write
 * to stdio (which may allocate, from the machine under libkmm-malloc.so),
 * neither of which may happen while allocations wait for the lock.
 */
struct leak_snap {
	unsigned long pointer;
	size_t size;
	unsigned long jiffies;
	int pid;
	u32 checksum;
	depot_stack_handle_t trace;
	bool trace_exact;
	char comm[16];
	unsigned int nbytes;
	u8 bytes[HEX_ROW_SIZE * HEX_MAX_LINES];
};

struct snaps {
	struct leak_snap *v;
	size_t n, cap;
};

static scan_access void copy_bytes(u8 *dst, const u8 *src, size_t n)
{
	for (size_t i = 0; i < n; i++)
		dst[i] = src[i];
}

/* Under kmemleak_lock: host memory only, never the machine's. */
static void snap_add(struct snaps *sn, const struct kmemleak_object *object)
{
	struct leak_snap *s;

	if (sn->n == sn->cap) {
		size_t cap = sn->cap ? sn->cap * 2 : 64;
		struct leak_snap *v = plat_host_zalloc(cap * sizeof(*v));

		if (!v)
			return;
		if (sn->v) {
			memcpy(v, sn->v, sn->n * sizeof(*v));
			plat_host_free(sn->v, sn->cap * sizeof(*v));
		}
		sn->v = v;
		sn->cap = cap;
	}
	s = &sn->v[sn->n++];
	s->pointer = object->pointer;
	s->size = object->size;
	s->jiffies = object->jiffies;
	s->pid = object->pid;
	s->checksum = object->checksum;
	s->trace = object->trace_handle;
	s->trace_exact = object->flags & OBJECT_TRACE_EXACT;
	memcpy(s->comm, object->comm, sizeof(s->comm));
	s->nbytes = (unsigned int)min(object->size, sizeof(s->bytes));
	copy_bytes(s->bytes, object_start(object), s->nbytes);
}

static void snaps_free(struct snaps *sn)
{
	if (sn->v)
		plat_host_free(sn->v, sn->cap * sizeof(*sn->v));
	sn->v = NULL;
	sn->n = sn->cap = 0;
}

/* Linux's hex_dump_to_buffer() for 16 bytes a row, 1 byte a group, with the ASCII column. */
static void hex_row(const u8 *p, unsigned int len, char *line)
{
	static const char hex[] = "0123456789abcdef";
	unsigned int lx = 0;

	for (unsigned int j = 0; j < len; j++) {
		line[lx++] = hex[p[j] >> 4];
		line[lx++] = hex[p[j] & 0xf];
		line[lx++] = ' ';
	}
	if (len)
		lx--;
	while (lx < HEX_ROW_SIZE * 2 + HEX_ROW_SIZE + 1)
		line[lx++] = ' ';
	for (unsigned int j = 0; j < len; j++)
		line[lx++] = isascii(p[j]) && isprint(p[j]) ? (char)p[j] : '.';
	line[lx] = '\0';
}

typedef void (*emit_fn)(const char *line, void *arg);

static void emit_log(const char *line, void *arg)
{
	(void)arg;
	pr_warn("kmemleak: %s\n", line);
}

static void emit_file(const char *line, void *arg)
{
	fprintf(arg, "%s\n", line);
}

/* Linux's print_unreferenced(), one line at a time. */
static void print_unreferenced(const struct leak_snap *s, emit_fn emit, void *arg)
{
	const unsigned long *entries;
	unsigned int nr = stack_depot_fetch(s->trace, &entries);
	unsigned int first = s->trace_exact ? 0 : stack_skip_allocator(entries, nr, 0);
	char line[256], sym[200];

	snprintf(line, sizeof(line), "unreferenced object 0x%08lx (size %zu):", s->pointer, s->size);
	emit(line, arg);
	snprintf(line, sizeof(line), "  comm \"%s\", pid %d, jiffies %lu", s->comm, s->pid, s->jiffies);
	emit(line, arg);
	snprintf(line, sizeof(line), "  hex dump (first %u bytes):", s->nbytes);
	emit(line, arg);
	for (unsigned int off = 0; off < s->nbytes; off += HEX_ROW_SIZE) {
		char row[80];

		hex_row(s->bytes + off, min(s->nbytes - off, (unsigned int)HEX_ROW_SIZE), row);
		snprintf(line, sizeof(line), "    %s", row);
		emit(line, arg);
	}
	snprintf(line, sizeof(line), "  backtrace (crc %x):", s->checksum);
	emit(line, arg);
	for (unsigned int i = first; i < nr; i++) {
		plat_symbolize(entries[i], sym, sizeof(sym));
		snprintf(line, sizeof(line), "    %s", sym);
		emit(line, arg);
	}
}

static void snaps_emit(const struct snaps *sn, emit_fn emit, void *arg)
{
	for (size_t i = 0; i < sn->n; i++)
		print_unreferenced(&sn->v[i], emit, arg);
}

/* --- the scan --- */

int kmemleak_scan(void)
{
	struct kmemleak_object *object;
	struct snaps snaps = { 0 };
	int new_leaks = 0;

	plat_lock(&kmemleak_lock);
	jiffies_last_scan = kmm_jiffies();
	scanning = true;
	list_for_each_entry(object, &kmemleak_object_list, object_list) {
		/* Blocks outside lowmem have no address to read them by. */
		if ((object->flags & OBJECT_PHYS) && !(object->flags & OBJECT_NO_SCAN) &&
		    PHYS_PFN(object->pointer + object->size - 1) >= max_low_pfn) {
			object->min_count = KMEMLEAK_BLACK;
			object->flags |= OBJECT_NO_SCAN;
		}
		object->count = 0;
		if (color_gray(object)) {
			kmemleak_get(object);
			list_add_tail(&object->gray_list, &gray_list);
		}
	}
	plat_unlock(&kmemleak_lock);

	scan_data_segments();
	if (READ_ONCE(stack_scan))
		kmm_for_each_task_stack(scan_stack, NULL);
	scan_gray_list();

	/* White objects being written to: grey for this scan, and scanned. */
	plat_lock(&kmemleak_lock);
	list_for_each_entry(object, &kmemleak_object_list, object_list) {
		if (color_white(object) && (object->flags & OBJECT_ALLOCATED) &&
		    update_checksum(object)) {
			object->count = object->min_count;
			kmemleak_get(object);
			list_add_tail(&object->gray_list, &gray_list);
		}
	}
	plat_unlock(&kmemleak_lock);
	scan_gray_list();

	plat_lock(&kmemleak_lock);
	scanning = false;
	if (!READ_ONCE(kmemleak_enabled)) {
		plat_unlock(&kmemleak_lock);
		return 0;
	}
	list_for_each_entry(object, &kmemleak_object_list, object_list) {
		if (!unreferenced_object(object) || (object->flags & OBJECT_REPORTED))
			continue;
		object->flags |= OBJECT_REPORTED;
		kmm_report_count_inc(KMM_REPORT_KMEMLEAK);
		if (kmemleak_verbose)
			snap_add(&snaps, object);
		new_leaks++;
	}
	plat_unlock(&kmemleak_lock);
	snaps_emit(&snaps, emit_log, NULL);
	snaps_free(&snaps);
	if (new_leaks) {
		found_leaks = true;
		pr_info("kmemleak: %d new suspected memory leaks (see /sys/kernel/debug/kmemleak)\n",
			new_leaks);
	}
	return new_leaks;
}

int kmm_kmemleak_scan(void)
{
	int n;

	if (!READ_ONCE(kmemleak_enabled))
		return -EPERM;
	plat_mutex_lock(&scan_mutex);
	n = kmemleak_scan();
	plat_mutex_unlock(&scan_mutex);
	return n;
}

bool kmemleak_scan_in_progress(void)
{
	return READ_ONCE(scanning);
}

/* --- the view: /sys/kernel/debug/kmemleak --- */

/* The objects reported so far that are still unreferenced. */
void show_kmemleak(FILE *f)
{
	struct kmemleak_object *object;
	struct snaps snaps = { 0 };

	plat_mutex_lock(&scan_mutex);
	plat_lock(&kmemleak_lock);
	list_for_each_entry(object, &kmemleak_object_list, object_list)
		if ((object->flags & OBJECT_REPORTED) && unreferenced_object(object))
			snap_add(&snaps, object);
	plat_unlock(&kmemleak_lock);
	plat_mutex_unlock(&scan_mutex);
	snaps_emit(&snaps, emit_file, f);
	snaps_free(&snaps);
}

/* "clear": what was reported is grey from now on (scanned, never reported); all of it when off. */
static void kmemleak_clear(void)
{
	struct kmemleak_object *object, *next;

	plat_lock(&kmemleak_lock);
	list_for_each_entry_safe(object, next, &kmemleak_object_list, object_list) {
		if (!READ_ONCE(kmemleak_enabled))
			kmemleak_forget(object);
		else if ((object->flags & OBJECT_REPORTED) && unreferenced_object(object))
			object->min_count = KMEMLEAK_GREY;
	}
	plat_unlock(&kmemleak_lock);
	found_leaks = false;
}

static int dump_str_object_info(const char *str)
{
	struct kmemleak_object *object;
	unsigned long addr;
	bool found = false;
	char *end;

	addr = strtoul(str, &end, 0);
	if (end == str || (*end && *end != '\n'))
		return -EINVAL;
	plat_lock(&kmemleak_lock);
	for (int phys = 0; phys < 2; phys++) {
		object = kmemleak_lookup(addr, true, phys);
		if (object) {
			kmemleak_dump_object_info(object);
			found = true;
		}
	}
	plat_unlock(&kmemleak_lock);
	if (!found) {
		pr_info("kmemleak: Unknown object at 0x%08lx\n", addr);
		return -EINVAL;
	}
	return 0;
}

static bool is_cmd(const char *buf, const char *cmd)
{
	return !strncmp(buf, cmd, strlen(cmd));
}

/* Linux's kmemleak_write(): one command; see include/kmm/kmemleak.h. */
int kmemleak_write(const char *buf)
{
	int ret = 0;

	plat_mutex_lock(&scan_mutex);
	if (is_cmd(buf, "clear")) {
		kmemleak_clear();
		goto out;
	}
	if (!READ_ONCE(kmemleak_enabled)) {
		ret = -EPERM;
		goto out;
	}
	if (is_cmd(buf, "off")) {
		kmemleak_disable();
	} else if (is_cmd(buf, "stack=on")) {
		WRITE_ONCE(stack_scan, true);
	} else if (is_cmd(buf, "stack=off")) {
		WRITE_ONCE(stack_scan, false);
	} else if (is_cmd(buf, "scan=on")) {
		kmemleak_scan_thread_start(false);
	} else if (is_cmd(buf, "scan=off")) {
		kmemleak_scan_thread_stop();
	} else if (is_cmd(buf, "scan=")) {
		char *end;
		unsigned long secs = strtoul(buf + 5, &end, 0);

		if (end == buf + 5 || (*end && *end != '\n') || secs > UINT_MAX) {
			ret = -EINVAL;
			goto out;
		}
		kmemleak_scan_thread_stop();
		if (secs) {
			scan_wait_secs = secs;
			kmemleak_scan_thread_start(false);
		}
	} else if (is_cmd(buf, "scan")) {
		kmemleak_scan();
	} else if (is_cmd(buf, "dump=")) {
		ret = dump_str_object_info(buf + 5);
	} else {
		ret = -EINVAL;
	}
out:
	plat_mutex_unlock(&scan_mutex);
	if (!ret && is_cmd(buf, "off"))
		kmemleak_scan_thread_stop();
	return ret;
}

/* --- the scan thread --- */

static struct plat_worker scan_thread;

static void *kmemleak_scan_thread(void *arg)
{
	struct plat_worker *w = &scan_thread;

	pr_info("kmemleak: Automatic memory scanning thread started\n");
	if (arg && !plat_worker_sleep(w, SECS_FIRST_SCAN * 1000000000ULL))
		goto out;
	do {
		/* Whoever stops this thread may hold the mutex ("scan=off"): never block on it. */
		while (!plat_mutex_trylock(&scan_mutex))
			if (!plat_worker_wait(w, plat_worker_events(w), 1000))
				goto out;
		if (READ_ONCE(kmemleak_enabled))
			kmemleak_scan();
		plat_mutex_unlock(&scan_mutex);
	} while (plat_worker_sleep(w, (u64)READ_ONCE(scan_wait_secs) * 1000000000ULL));
out:
	pr_info("kmemleak: Automatic memory scanning thread ended\n");
	return NULL;
}

/*
 * Start the thread; @first_delay: the boot's, which waits 60 s before its
 * first scan (Linux delays only the first thread ever started; here the
 * boot's start says so, so a later "scan=<secs>" never waits a minute).
 */
void kmemleak_scan_thread_start(bool first_delay)
{
	if (plat_worker_start(&scan_thread, kmemleak_scan_thread, first_delay ? (void *)1 : NULL,
			      "kmemleak"))
		pr_warn("kmemleak: Failed to create the scan thread\n");
}

void kmemleak_scan_thread_stop(void)
{
	plat_worker_stop(&scan_thread);
}

void kmemleak_scan_init(void)
{
	crc32_init();
	stack_scan = true;
	found_leaks = false;
	scan_wait_secs = SECS_SCAN_WAIT;
}

void kmemleak_scan_exit(void)
{
	kmemleak_scan_thread_stop();
}
