/* SPDX-License-Identifier: MIT */
/*
 * printk and the kernel log.
 *
 * Every message goes into a ring buffer (what dmesg shows, readable with
 * kmm_dmesg()); messages whose level is below loglevel= also go to the
 * console.  A message's level is its KERN_* prefix; KERN_CONT continues the
 * previous line.  Writers are serialised by one lock, taken without
 * disabling preemption so that printk works from any context, including
 * before a machine is booted.
 */

#include <stdarg.h>
#include <stdio.h>
#include "internal.h"

#define LOG_BUF_SIZE (1UL << 20)

/*
 * In the library's zero-filled data: the host backs only the pages
 * written, and a process's boot makes no mapping for it.
 */
static char log_buf[LOG_BUF_SIZE] __page_aligned_bss;
static size_t log_len;		/* bytes in the buffer */
static size_t log_total;	/* bytes ever written, for the wrap */
static spinlock_t log_lock;
static FILE *console = NULL;
static bool console_set;
int kmm_loglevel = 4;
static int last_level = 4;

void kmm_set_console(FILE *out)
{
	console = out;
	console_set = true;
}

void kmm_log_init(int loglevel)
{
	kmm_loglevel = loglevel;
}

static void log_store(const char *s, size_t len)
{
	/* In at most two pieces: the ring's tail, then its head. */
	for (size_t done = 0; done < len;) {
		size_t at = (log_total + done) % LOG_BUF_SIZE;
		size_t n = min(len - done, LOG_BUF_SIZE - at);

		memcpy(log_buf + at, s + done, n);
		done += n;
	}
	log_total += len;
	log_len = min(log_total, LOG_BUF_SIZE);
}

size_t kmm_dmesg(char *buf, size_t size)
{
	plat_lock(&log_lock);
	size_t start = log_total - log_len;
	for (size_t i = 0; size && i < log_len && i < size - 1; i++)
		buf[i] = log_buf[(start + i) % LOG_BUF_SIZE];
	if (size)
		buf[min(log_len, size - 1)] = '\0';
	size_t n = log_len;
	plat_unlock(&log_lock);
	return n;
}

void kmm_dmesg_clear(void)
{
	plat_lock(&log_lock);
	log_total = 0;
	log_len = 0;
	plat_unlock(&log_lock);
}

/* The log's lock, held across fork() (fork.c) so a child never inherits it taken. */
void kmm_log_lock(void)
{
	plat_lock(&log_lock);
}

void kmm_log_unlock(void)
{
	plat_unlock(&log_lock);
}

static int vprintk(const char *fmt, va_list ap)
{
	int level = -1;
	bool cont = false;
	char msg[2048];

	while (fmt[0] == KERN_SOH[0] && fmt[1]) {
		if (fmt[1] == 'c')
			cont = true;
		else if (fmt[1] >= '0' && fmt[1] <= '7')
			level = fmt[1] - '0';
		fmt += 2;
	}
	int n = vsnprintf(msg, sizeof(msg), fmt, ap);
	if (n < 0)
		return n;
	size_t len = min((size_t)n, sizeof(msg) - 1);

	plat_lock(&log_lock);
	/* A continuation keeps the level of the line it continues (read under the lock). */
	if (level < 0)
		level = cont ? last_level : 4;	/* 4: the default message level */
	last_level = level;
	log_store(msg, len);
	if (level < kmm_loglevel) {
		if (console)
			fwrite(msg, 1, len, console);
		else if (!console_set)
			plat_console_write(msg, len);
	}
	plat_unlock(&log_lock);
	return (int)len;
}

bool __ratelimit(struct ratelimit_state *rs)
{
	if (!plat_trylock(&rs->lock))
		return false;
	u64 now = plat_now_ns();
	if (!rs->begin || now - rs->begin > rs->interval_ns) {
		rs->begin = now;
		rs->printed = 0;
	}
	bool ok = rs->printed < rs->burst;
	if (ok)
		rs->printed++;
	plat_unlock(&rs->lock);
	return ok;
}

int printk(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	int n = vprintk(fmt, ap);
	va_end(ap);
	return n;
}

int kmm_vprintk(const char *fmt, va_list ap)
{
	return vprintk(fmt, ap);
}

static void emit_line(const char *line, void *arg)
{
	(void)arg;
	printk(KERN_WARNING "%s", line);
}

/* Taint flags in print_tainted() order: each shows its letter, or ' ' ('G' for P). */
static const struct { char on, off; const char *name; } taint_table[KMM_TAINT_COUNT] = {
	{ 'P', 'G', "PROPRIETARY_MODULE" }, { 'F', ' ', "FORCED_MODULE" },
	{ 'S', ' ', "CPU_OUT_OF_SPEC" }, { 'R', ' ', "FORCED_RMMOD" },
	{ 'M', ' ', "MACHINE_CHECK" }, { 'B', ' ', "BAD_PAGE" }, { 'U', ' ', "USER" },
	{ 'D', ' ', "DIE" }, { 'A', ' ', "OVERRIDDEN_ACPI_TABLE" }, { 'W', ' ', "WARN" },
	{ 'C', ' ', "CRAP" }, { 'I', ' ', "FIRMWARE_WORKAROUND" }, { 'O', ' ', "OOT_MODULE" },
	{ 'E', ' ', "UNSIGNED_MODULE" }, { 'L', ' ', "SOFTLOCKUP" }, { 'K', ' ', "LIVEPATCH" },
	{ 'X', ' ', "AUX" }, { 'T', ' ', "RANDSTRUCT" }, { 'N', ' ', "TEST" }, { 'J', ' ', "FWCTL" },
};

static unsigned long taint_mask;

void add_taint(unsigned int flag)
{
	__atomic_fetch_or(&taint_mask, 1UL << flag, __ATOMIC_RELAXED);
}

void kmm_taint_reset(void)
{
	__atomic_store_n(&taint_mask, 0, __ATOMIC_RELAXED);
}

/* Linux's print_tainted(): "Not tainted" or "Tainted: G    B   " (one buffer per thread). */
const char *print_tainted(void)
{
	static __thread char buf[64];
	unsigned long taint = __atomic_load_n(&taint_mask, __ATOMIC_RELAXED);

	if (!taint)
		return "Not tainted";
	char *p = buf + sprintf(buf, "Tainted: ");
	for (int i = 0; i < KMM_TAINT_COUNT; i++)
		*p++ = (taint & (1UL << i)) ? taint_table[i].on : taint_table[i].off;
	*p = '\0';
	return buf;
}

/*
 * The header Linux's dump_stack() prints, then the host backtrace as the
 * call trace.  "6.18.0-kmm #1 VOLUNTARY" stands for release, version and
 * preemption model.
 */
void dump_stack(void)
{
	unsigned long taint = __atomic_load_n(&taint_mask, __ATOMIC_RELAXED);
	char tainted[64] = "Not tainted";

	if (taint) {
		char *p = tainted + sprintf(tainted, "Tainted: ");
		for (int i = 0; i < KMM_TAINT_COUNT; i++)
			*p++ = (taint & (1UL << i)) ? taint_table[i].on : taint_table[i].off;
		*p = '\0';
	}
	printk(KERN_WARNING "CPU: %d UID: 0 PID: %d Comm: %.20s %s 6.18.0-kmm #1 VOLUNTARY \n",
	       current->preempt_count ? current->cpu : 0, plat_gettid(), kmm_comm(), tainted);
	if (taint) {
		char line[512];
		size_t len = (size_t)snprintf(line, sizeof(line), "Tainted: ");
		for (int i = 0; i < KMM_TAINT_COUNT; i++)
			if (taint & (1UL << i))
				len += (size_t)snprintf(line + len, sizeof(line) - len, "%s[%c]=%s",
							line[len - 1] == ' ' ? "" : ", ",
							taint_table[i].on, taint_table[i].name);
		printk(KERN_WARNING "%s\n", line);
	}
	printk(KERN_WARNING "Call Trace:\n");
	printk(KERN_WARNING " <TASK>\n");
	plat_backtrace(emit_line, NULL, 1);
	printk(KERN_WARNING " </TASK>\n");
}
