/* SPDX-License-Identifier: MIT */
/*
 * kmemleak: what is reported and what is not.  A machine boots with
 * kmemleak=on, no minimum age and no scan thread; a "scan" is two scans,
 * as with Linux's (the first sees new objects' contents change).  A leak
 * is made in a function of its own whose frame is then overwritten, so no
 * stale copy of the pointer stays on the stack the scan reads.  The
 * reports are read from the "kmemleak" view in Linux's words.
 * kmm_check() == 0 after each.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "helpers.h"
#include "slab.h"
#include <kmm/kfence.h>
#include <kmm/kmemleak.h>
#include <kmm/vmalloc.h>

#define LEAK_BOOT "cpus=2 kmemleak=on kmemleak.min_age=0 kmemleak.auto_scan=0"

/* Roots the scan must find: this program's data and bss. */
void *kmemleak_test_global;
void *kmemleak_test_data = (void *)1;

static void leak_boot(const char *extra)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), LEAK_BOOT " %s", extra ? extra : "");
	boot_or_die(cmd);
	kmemleak_test_global = NULL;
	kmemleak_test_data = (void *)1;
}

/*
 * Overwrite the stack below the caller's frame, where dead frames keep old
 * pointers.  Not instrumented: ASan may put an instrumented function's
 * array on a stack of its own, and wipe nothing here.
 */
__attribute__((noinline, no_sanitize_address)) void wipe_stack(void)
{
	volatile char junk[64 * 1024];

	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = 0;
}

/*
 * Two scans; the objects newly reported by both.  The stack is wiped from
 * the test's own frame down first: in a build without optimisation the
 * frames of the scan would otherwise keep what dead frames left there.
 */
#define scan() (wipe_stack(), scan_twice())

static int scan_twice(void)
{
	int a, b;

	a = kmm_kmemleak_scan();
	b = kmm_kmemleak_scan();
	cr_assert_geq(a, 0);
	cr_assert_geq(b, 0);
	return a + b;
}

/* The address of a leaked object, kept only as a number the scan cannot take for a pointer. */
static unsigned long hidden(const void *p)
{
	return ~(unsigned long)p;
}

static void *unhide(unsigned long h)
{
	return (void *)~h;
}

/*
 * Is the object hidden in @h in the view?  Its first line names it.  The
 * address is taken out of hiding here, in a frame the next scan's
 * wipe_stack() overwrites, never in the test's own frame, which is a root.
 */
static __attribute__((noinline)) bool reported(unsigned long h)
{
	char line[64], *v = view("kmemleak");
	bool found;

	snprintf(line, sizeof(line), "unreferenced object 0x%08lx (size ", (unsigned long)unhide(h));
	found = strstr(v, line) != NULL;
	free(v);
	return found;
}

__attribute__((noinline)) unsigned long leak_one(size_t size, char fill)
{
	char *p = kmalloc(size, GFP_KERNEL);

	cr_assert_not_null(p);
	memset(p, fill, size);
	return hidden(p);
}

Test(kmemleak, boot_reports_nothing)
{
	leak_boot(NULL);
	cr_expect_eq(scan(), 0, "the machine's own objects are referenced:\n%s", view("kmemleak"));
	cr_expect_eq(kmm_report_count(KMM_REPORT_KMEMLEAK), 0);
	check_and_shutdown();
}

Test(kmemleak, dropped_pointer_is_reported)
{
	leak_boot(NULL);
	unsigned long h = leak_one(64, 'a');

	cr_expect_eq(scan(), 1);
	cr_expect(reported(h));
	char *v = view("kmemleak");

	cr_expect(strstr(v, "(size 64):\n  comm \""), "%s", v);
	cr_expect(strstr(v, "\", pid "), "%s", v);
	cr_expect(strstr(v, ", jiffies "), "%s", v);
	cr_expect(strstr(v, "  hex dump (first 32 bytes):\n"
			    "    61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61  aaaaaaaaaaaaaaaa\n"
			    "    61 61 61 61 61 61 61 61 61 61 61 61 61 61 61 61  aaaaaaaaaaaaaaaa\n"
			    "  backtrace (crc "), "%s", v);
	/* The backtrace starts at the allocating function, past kmalloc. */
	cr_expect(strstr(v, "):\n    leak_one+0x"), "%s", v);
	free(v);
	cr_expect_eq(kmm_report_count(KMM_REPORT_KMEMLEAK), 1);
	cr_expect(dmesg_has("kmemleak: 1 new suspected memory leaks (see /sys/kernel/debug/kmemleak)"));
	/* Reported once: the next scans say nothing new, the view still lists it. */
	cr_expect_eq(scan(), 0);
	cr_expect(reported(h));
	/* Freed: gone from the view. */
	kfree(unhide(h));
	cr_expect(!reported(h));
	check_and_shutdown();
}

/* With kmemleak.verbose=1 the report goes to the log too, each line prefixed. */
Test(kmemleak, verbose_prints_to_the_log)
{
	leak_boot("kmemleak.verbose=1");
	unsigned long h = leak_one(24, 'b');
	char line[80];

	cr_expect_eq(scan(), 1);
	snprintf(line, sizeof(line), "kmemleak: unreferenced object 0x%08lx (size 32):",
		 (unsigned long)unhide(h));
	cr_expect(dmesg_has(line), "no \"%s\"", line);
	cr_expect(dmesg_has("kmemleak:   backtrace (crc "));
	kfree(unhide(h));
	check_and_shutdown();
}

Test(kmemleak, referenced_from_a_global)
{
	leak_boot(NULL);
	kmemleak_test_global = unhide(leak_one(128, 'g'));
	kmemleak_test_data = unhide(leak_one(40, 'd'));	/* an initialised global: .data */
	cr_expect_eq(scan(), 0, "%s", view("kmemleak"));
	kfree(kmemleak_test_global);
	kfree(kmemleak_test_data);
	check_and_shutdown();
}

struct node {
	struct node *next;
	long payload[3];
};

/* A chain: referenced objects are scanned, and what they reference is not leaked. */
__attribute__((noinline)) void build_chain(int nr)
{
	struct node *head = NULL;

	for (int i = 0; i < nr; i++) {
		struct node *n = kmalloc(sizeof(*n), GFP_KERNEL);

		cr_assert_not_null(n);
		n->next = head;
		head = n;
	}
	kmemleak_test_global = head;
}

/* Take the global's pointer into hiding, out of the test's frame. */
__attribute__((noinline)) unsigned long drop_global(void)
{
	unsigned long h = hidden(kmemleak_test_global);

	kmemleak_test_global = NULL;
	return h;
}

Test(kmemleak, referenced_from_a_referenced_object)
{
	leak_boot(NULL);
	build_chain(2000);
	cr_expect_eq(scan(), 0, "%s", view("kmemleak"));
	/* The head dropped: the whole chain is unreferenced. */
	unsigned long h = drop_global();

	cr_expect_eq(scan(), 2000);
	for (struct node *n = unhide(h), *next; n; n = next) {
		next = n->next;
		kfree(n);
	}
	check_and_shutdown();
}

/* A pointer into an object's middle is a reference too. */
Test(kmemleak, interior_pointer_is_a_reference)
{
	leak_boot(NULL);
	char *p = unhide(leak_one(256, 'i'));

	kmemleak_test_global = p + 100;
	p = NULL;
	cr_expect_eq(scan(), 0, "%s", view("kmemleak"));
	kfree((char *)kmemleak_test_global - 100);
	check_and_shutdown();
}

/*
 * Leak an object whose address only *@slot holds.  Out of the test's
 * frame: there, the address could stay in a callee-saved register that
 * the scan's own frames save on the stack (ThreadSanitizer's calls around
 * the store keep it live), a reference the wipe cannot reach.
 */
__attribute__((noinline)) void leak_into(void **slot, size_t size, char fill)
{
	*slot = unhide(leak_one(size, fill));
}

/*
 * Memory kmemleak does not scan (the C library's heap) hides nothing: an
 * object referenced only from there is reported, until the holder is
 * registered as a root (min_count 0).
 */
Test(kmemleak, registered_root)
{
	leak_boot(NULL);
	void **holder = malloc(4 * sizeof(void *));

	memset(holder, 0, 4 * sizeof(void *));
	leak_into(&holder[2], 48, 'r');
	cr_expect_eq(scan(), 1);
	cr_expect(reported(hidden(holder[2])));
	kmm_view_write("kmemleak", "clear");
	kfree(holder[2]);

	leak_into(&holder[1], 48, 's');
	kmemleak_alloc(holder, 4 * sizeof(void *), 0, GFP_KERNEL);
	cr_expect_eq(scan(), 0, "%s", view("kmemleak"));
	kmemleak_free(holder);
	cr_expect_eq(scan(), 1);
	kfree(holder[1]);
	free(holder);
	check_and_shutdown();
}

Test(kmemleak, not_leak_and_ignore_suppress)
{
	leak_boot(NULL);
	unsigned long a = leak_one(32, 'n'), b = leak_one(32, 'i'), c = leak_one(32, 'x');
	char **inner = kmalloc(sizeof(char *), GFP_KERNEL);

	/* not_leak: never reported, and scanned (what it references is not leaked). */
	*inner = unhide(c);
	kmemleak_not_leak(inner);
	kmemleak_not_leak(unhide(a));
	kmemleak_ignore(unhide(b));
	cr_expect_eq(scan(), 0, "%s", view("kmemleak"));
	kfree(unhide(a));
	kfree(unhide(b));
	kfree(unhide(c));
	kfree(inner);
	check_and_shutdown();
}

__attribute__((noinline)) void poke(unsigned long h, size_t off, char c)
{
	((volatile char *)unhide(h))[off] = c;
}

/* A block whose contents keep changing is not reported while they do (its checksum). */
Test(kmemleak, changing_contents_defer_the_report)
{
	leak_boot(NULL);
	unsigned long h = leak_one(64, 'c');

	wipe_stack();
	cr_expect_eq(kmm_kmemleak_scan(), 0);	/* new: its checksum changed */
	poke(h, 5, 'z');
	wipe_stack();
	cr_expect_eq(kmm_kmemleak_scan(), 0);	/* written to since */
	wipe_stack();
	cr_expect_eq(kmm_kmemleak_scan(), 1);	/* still now: a leak */
	kfree(unhide(h));
	check_and_shutdown();
}

__attribute__((noinline)) unsigned long leak_vmalloc(void)
{
	char *p = vmalloc(3 * PAGE_SIZE);

	cr_assert_not_null(p);
	memset(p, 'v', 3 * PAGE_SIZE);
	return hidden(p);
}

__attribute__((noinline)) unsigned long leak_large(void)
{
	char *p = kmalloc(5 * PAGE_SIZE, GFP_KERNEL);

	cr_assert_not_null(p);
	memset(p, 'L', 64);
	return hidden(p);
}

/* vmalloc areas (min_count 2: the vm_struct holds one) and large kmallocs are tracked. */
Test(kmemleak, vmalloc_and_large_kmalloc)
{
	leak_boot(NULL);
	/*
	 * The first area starts at VMALLOC_START, a word the scan reads as a
	 * reference (as Linux's would): keep it, so the leaks come after it.
	 */
	void *first = vmalloc(PAGE_SIZE);

	kmemleak_not_leak(first);
	unsigned long v = leak_vmalloc(), l = leak_large();

	cr_expect_eq(scan(), 2, "%s", view("kmemleak"));
	cr_expect(reported(v));
	cr_expect(reported(l));
	char *text = view("kmemleak");

	cr_expect(strstr(text, "):\n    leak_vmalloc+0x"), "%s", text);
	cr_expect(strstr(text, "):\n    leak_large+0x"), "%s", text);
	free(text);
	kmm_view_write("kmemleak", "clear");
	vfree(unhide(v));
	kfree(unhide(l));

	/* Referenced from a global: neither is a leak, and a kmalloc pointer inside the area counts. */
	char **area = unhide(leak_vmalloc());

	kmemleak_test_global = area;
	area[100] = unhide(leak_one(16, 'k'));
	kmemleak_test_data = unhide(leak_large());
	cr_expect_eq(scan(), 0, "%s", view("kmemleak"));
	kfree(area[100]);
	vfree(area);
	kfree(kmemleak_test_data);
	kmemleak_test_global = NULL;
	vfree(first);
	check_and_shutdown();
}

__attribute__((noinline)) unsigned long cache_leak(struct kmem_cache *s)
{
	void *p = kmem_cache_alloc(s, GFP_KERNEL);

	cr_assert_not_null(p);
	return hidden(p);
}

/* A cache's objects are tracked as kmalloc's; the cache itself is referenced. */
Test(kmemleak, cache_objects)
{
	leak_boot(NULL);
	struct kmem_cache *s = kmem_cache_create("leaky", 72, 0, SLAB_NO_MERGE, NULL);
	struct kmem_cache *q = kmem_cache_create("quiet", 72, 0, SLAB_NO_MERGE | SLAB_NOLEAKTRACE,
						 NULL);
	unsigned long h = cache_leak(s);
	unsigned long g = cache_leak(q);

	cr_expect_eq(scan(), 1, "%s", view("kmemleak"));
	cr_expect(reported(h));
	cr_expect(!reported(g));
	kmem_cache_free(s, unhide(h));
	kmem_cache_free(q, unhide(g));
	cr_expect_eq(kmem_cache_destroy(s), 0);
	cr_expect_eq(kmem_cache_destroy(q), 0);
	check_and_shutdown();
}

/* Another thread's stack is a root: a pointer it holds in a local is no leak. */
static pthread_barrier_t barrier;

static void *holder_thread(void *arg)
{
	void *volatile mine = kmalloc(80, GFP_KERNEL);

	*(unsigned long *)arg = hidden(mine);
	pthread_barrier_wait(&barrier);	/* scanned now */
	pthread_barrier_wait(&barrier);
	kfree(mine);
	return NULL;
}

Test(kmemleak, other_thread_stack_is_a_root)
{
	leak_boot(NULL);
	pthread_t th;
	unsigned long h = 0;

	pthread_barrier_init(&barrier, NULL, 2);
	cr_assert_eq(pthread_create(&th, NULL, holder_thread, &h), 0);
	pthread_barrier_wait(&barrier);
	cr_expect_eq(scan(), 0, "%s", view("kmemleak"));
	/* stack=off: the thread's stack is not read, and its object looks leaked. */
	cr_expect_eq(kmm_view_write("kmemleak", "stack=off"), 0);
	cr_expect_eq(scan(), 1);
	cr_expect(reported(h));
	cr_expect_eq(kmm_view_write("kmemleak", "stack=on"), 0);
	pthread_barrier_wait(&barrier);
	pthread_join(th, NULL);
	pthread_barrier_destroy(&barrier);
	check_and_shutdown();
}

/* Objects younger than the minimum age (Linux's 5 s) are never reported. */
Test(kmemleak, minimum_age)
{
	boot_or_die("cpus=2 kmemleak=on kmemleak.auto_scan=0");
	unsigned long h = leak_one(64, 'y');

	cr_expect_eq(scan(), 0);
	cr_expect(!reported(h));
	kfree(unhide(h));
	check_and_shutdown();
}

/* The scan thread: "scan=1" scans every second, and finds the leak by itself. */
Test(kmemleak, periodic_scan)
{
	leak_boot(NULL);
	unsigned long h = leak_one(64, 'p');

	wipe_stack();
	cr_expect_eq(kmm_view_write("kmemleak", "scan=1"), 0);
	for (int i = 0; i < 200 && !kmm_report_count(KMM_REPORT_KMEMLEAK); i++)
		usleep(50 * 1000);
	cr_expect_eq(kmm_report_count(KMM_REPORT_KMEMLEAK), 1);
	cr_expect(reported(h));
	cr_expect_eq(kmm_view_write("kmemleak", "scan=off"), 0);
	cr_expect(dmesg_has("kmemleak: Automatic memory scanning thread ended"));
	kfree(unhide(h));
	check_and_shutdown();
}

Test(kmemleak, clear_dump_and_off)
{
	leak_boot(NULL);
	unsigned long h = leak_one(64, 'q');
	char cmd[64];

	cr_expect_eq(scan(), 1);
	snprintf(cmd, sizeof(cmd), "dump=0x%lx", (unsigned long)unhide(h) + 8);
	cr_expect_eq(kmm_view_write("kmemleak", cmd), 0);
	snprintf(cmd, sizeof(cmd), "Object 0x%08lx (size 64):", (unsigned long)unhide(h));
	cr_expect(dmesg_has(cmd));
	cr_expect(dmesg_has("  min_count = 1"));
	cr_expect_eq(kmm_view_write("kmemleak", "dump=0x10"), -EINVAL);
	cr_expect(dmesg_has("kmemleak: Unknown object at 0x00000010"));
	/* clear: grey from now on, never reported again. */
	cr_expect_eq(kmm_view_write("kmemleak", "clear"), 0);
	cr_expect(!reported(h));
	cr_expect_eq(scan(), 0);
	cr_expect_eq(kmm_view_write("kmemleak", "bogus"), -EINVAL);
	cr_expect_eq(kmm_view_write("kmemleak", "off"), 0);
	cr_expect(dmesg_has("kmemleak: Kernel memory leak detector disabled"));
	cr_expect_eq(kmm_kmemleak_scan(), -EPERM);
	cr_expect_eq(kmm_view_write("kmemleak", "scan"), -EPERM);
	kfree(unhide(h));
	check_and_shutdown();
}

/* Off by default: nothing tracked, the hook never raised. */
Test(kmemleak, off_by_default)
{
	boot_or_die("cpus=2");
	cr_expect_eq(kmm_kmemleak_scan(), -EPERM);
	cr_expect_eq(kmm_slab_hooks & 0x40, 0);
	kfree(kmalloc(32, GFP_KERNEL));
	char *v = view("kmemleak");

	cr_expect_eq(v[0], 0);
	free(v);
	check_and_shutdown();
	cr_expect_neq(kmm_boot("kmemleak=maybe"), 0);
}

/*
 * Up to @max leaked objects that KFENCE sampled, hidden in @held; the
 * others freed.  Out of the test's frame, as leak_into().
 */
__attribute__((noinline)) int leak_kfence_samples(unsigned long *held, int max)
{
	int n = 0;

	for (int i = 0; i < 20000 && n < max; i++) {
		held[n] = leak_one(40, 'f');
		if (is_kfence_address(unhide(held[n])))
			n++;
		else
			kfree(unhide(held[n]));
		if (i % 64 == 0)
			usleep(1000);
	}
	return n;
}

/* With KFENCE sampling too: KFENCE objects are tracked with their own size. */
Test(kmemleak, with_kfence)
{
	leak_boot("kfence.sample_interval=1");
	unsigned long held[64];
	int n = leak_kfence_samples(held, 64);

	cr_assert_gt(n, 0);
	int found = scan();

	cr_expect_eq(found, n);
	char line[80];

	snprintf(line, sizeof(line), "unreferenced object 0x%08lx (size 40):",
		 (unsigned long)unhide(held[0]));
	char *v = view("kmemleak");

	cr_expect(strstr(v, line), "%s", v);
	free(v);
	while (n)
		kfree(unhide(held[--n]));
	check_and_shutdown();
}
