/* SPDX-License-Identifier: MIT */
/*
 * Reading one line of Linux's ftrace text (trace_pipe) into an event.
 *
 * A line is
 *
 *     <comm>-<pid> [<cpu>] <irq flags> <seconds>.<micro>: <event>: <fields>
 *
 * where the comm may hold spaces or dashes (so the CPU is found as the
 * first "[digits]" and not by counting columns), the irq-flags column is
 * missing when the tracer's irq-info option is off, and the fields are
 * "key=value" words, except vmalloc:alloc_vmap_area, which prints
 * "va_start: <decimal>" with a colon.  Numbers are as TP_printk prints
 * them: pointers and pfns in hex (pfn with 0x, ptr without), sizes in
 * decimal, gfp flags by name (gfp_names.c reads them back).
 *
 * The replayer runs millions of these a second, so the parse is one pass
 * over the bytes with no copies: the ends of keys and values are found
 * sixteen bytes at a time with SSE2 (eight at a time by word arithmetic
 * where there is none), numbers are read in place by inlined loops (a
 * kernel pointer's sixteen hex digits in one SSE2 step), keys are compared
 * as constants, event names are looked up by their length; the gfp
 * strings, of which a trace has a few dozen, are memoised in a small hash
 * table read without a lock.  tests/test_views.c holds the parse to its
 * results at every offset from those steps.
 */
#include <stdio.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include "internal.h"
#include <kmm/trace.h>

struct event_name {
	const char *name;
	unsigned int len;
	enum kmm_trace_type type;
	unsigned int need;	/* FIELD_* bits that must be present */
};

enum {
	F_PTR = 1 << 0, F_NAME = 1 << 1, F_REQ = 1 << 2, F_ALLOC = 1 << 3, F_GFP = 1 << 4,
	F_PFN = 1 << 5, F_ORDER = 1 << 6, F_MT = 1 << 7, F_VA = 1 << 8, F_SIZE = 1 << 9,
	F_ALIGN = 1 << 10,
};

static const struct event_name event_names[] = {
	{ "kmalloc", sizeof("kmalloc") - 1, KMM_TEV_KMALLOC, F_PTR | F_REQ | F_ALLOC | F_GFP },
	{ "kmalloc_node", sizeof("kmalloc_node") - 1, KMM_TEV_KMALLOC, F_PTR | F_REQ | F_ALLOC | F_GFP },
	{ "kfree", sizeof("kfree") - 1, KMM_TEV_KFREE, F_PTR },
	{ "kmem_cache_alloc", sizeof("kmem_cache_alloc") - 1, KMM_TEV_CACHE_ALLOC, F_PTR | F_NAME | F_ALLOC | F_GFP },
	{ "kmem_cache_alloc_node", sizeof("kmem_cache_alloc_node") - 1, KMM_TEV_CACHE_ALLOC, F_PTR | F_NAME | F_ALLOC | F_GFP },
	{ "kmem_cache_free", sizeof("kmem_cache_free") - 1, KMM_TEV_CACHE_FREE, F_PTR },
	{ "mm_page_alloc", sizeof("mm_page_alloc") - 1, KMM_TEV_PAGE_ALLOC, F_PFN | F_ORDER | F_GFP },
	{ "mm_page_free", sizeof("mm_page_free") - 1, KMM_TEV_PAGE_FREE, F_PFN | F_ORDER },
	{ "mm_page_free_batched", sizeof("mm_page_free_batched") - 1, KMM_TEV_PAGE_FREE_BATCHED, F_PFN },
	{ "alloc_vmap_area", sizeof("alloc_vmap_area") - 1, KMM_TEV_VMAP_ALLOC, F_VA | F_SIZE },
	{ "free_vmap_area_noflush", sizeof("free_vmap_area_noflush") - 1, KMM_TEV_VMAP_FREE, F_VA },
	{ "percpu_alloc_percpu", sizeof("percpu_alloc_percpu") - 1, KMM_TEV_PCPU_ALLOC, F_PTR | F_SIZE | F_ALIGN },
	{ "percpu_free_percpu", sizeof("percpu_free_percpu") - 1, KMM_TEV_PCPU_FREE, F_PTR },
};

/*
 * gfp strings seen so far: a trace has a few dozen distinct ones.  Open
 * addressing, never deleted; an entry is written whole and then published
 * by the release store of its length, so lookups take no lock.
 */
#define GFP_MEMO 256		/* slots; at most half are used */
static struct {
	char str[200];
	unsigned int len;	/* 0: free */
	gfp_t gfp;
} gfp_memo[GFP_MEMO] __page_aligned_bss;
static unsigned int gfp_memo_nr;
static spinlock_t gfp_memo_lock;

static unsigned int gfp_hash(const char *s, unsigned int len)
{
	u64 a = 0, b = 0;

	memcpy(&a, s, len < 8 ? len : 8);
	if (len > 8)
		memcpy(&b, s + len - 8, 8);
	return (unsigned int)(((a ^ (b * 31) ^ len) * 0x9E3779B97F4A7C15ULL) >> 56);
}

static int parse_gfp(const char *s, unsigned int len, gfp_t *out)
{
	unsigned int h = gfp_hash(s, len), i;
	char buf[sizeof(gfp_memo[0].str)];

	for (i = h;; i = (i + 1) % GFP_MEMO) {
		unsigned int l = __atomic_load_n(&gfp_memo[i].len, __ATOMIC_ACQUIRE);
		if (!l)
			break;
		if (l == len && !memcmp(gfp_memo[i].str, s, len)) {
			*out = gfp_memo[i].gfp;
			return 0;
		}
	}
	if (!len || len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (kmm_parse_gfp(buf, out))
		return -EINVAL;
	plat_lock(&gfp_memo_lock);
	if (gfp_memo_nr < GFP_MEMO / 2) {
		for (i = h; gfp_memo[i].len; i = (i + 1) % GFP_MEMO)
			if (gfp_memo[i].len == len && !memcmp(gfp_memo[i].str, s, len))
				break;
		if (!gfp_memo[i].len) {
			memcpy(gfp_memo[i].str, buf, len + 1);
			gfp_memo[i].gfp = *out;
			__atomic_store_n(&gfp_memo[i].len, len, __ATOMIC_RELEASE);
			gfp_memo_nr++;
		}
	}
	plat_unlock(&gfp_memo_lock);
	return 0;
}

/*
 * The first byte of [p, end) that is @a or @b, or end.  Sixteen bytes at a
 * time where the host has SSE2 (two byte compares and a movemask), then
 * eight at a time: in w ^ (a repeated), a byte equal to @a is zero, and
 * the lowest byte that (x - 0x01..01) & ~x & 0x80..80 flags is the first
 * zero byte (a borrow only ever marks bytes above a true zero).
 */
static inline const char *scan_to(const char *p, const char *end, unsigned char a,
				  unsigned char b)
{
#ifdef __SSE2__
	const __m128i va = _mm_set1_epi8((char)a), vb = _mm_set1_epi8((char)b);

	for (; end - p >= 16; p += 16) {
		__m128i w = _mm_loadu_si128((const __m128i *)(const void *)p);
		unsigned int m = (unsigned int)_mm_movemask_epi8(
			_mm_or_si128(_mm_cmpeq_epi8(w, va), _mm_cmpeq_epi8(w, vb)));
		if (m)
			return p + __builtin_ctz(m);
	}
#endif
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	const u64 ones = 0x0101010101010101ULL, highs = ones << 7;
	const u64 ma = ones * a, mb = ones * b;

	for (; end - p >= 8; p += 8) {
		u64 w, xa, xb;
		memcpy(&w, p, 8);
		xa = w ^ ma;
		xb = w ^ mb;
		u64 z = (((xa - ones) & ~xa) | ((xb - ones) & ~xb)) & highs;
		if (z)
			return p + (__builtin_ctzll(z) >> 3);
	}
#endif
	while (p < end && (unsigned char)*p != a && (unsigned char)*p != b)
		p++;
	return p;
}

/* The first byte of [p, end) that is no space, or end. */
static inline const char *skip_spaces(const char *p, const char *end)
{
#ifdef __SSE2__
	const __m128i sp = _mm_set1_epi8(' ');

	for (; end - p >= 16; p += 16) {
		__m128i w = _mm_loadu_si128((const __m128i *)(const void *)p);
		unsigned int m = (unsigned int)_mm_movemask_epi8(_mm_cmpeq_epi8(w, sp)) ^ 0xffff;
		if (m)
			return p + __builtin_ctz(m);
	}
#endif
	while (p < end && *p == ' ')
		p++;
	return p;
}

/* A hex digit's value with 0x10 set; 0 for anything else. */
#define HEX_DIGIT(c, v) [c] = 0x10 | (v)
static const unsigned char hex_tab[256] = {
	HEX_DIGIT('0', 0), HEX_DIGIT('1', 1), HEX_DIGIT('2', 2), HEX_DIGIT('3', 3),
	HEX_DIGIT('4', 4), HEX_DIGIT('5', 5), HEX_DIGIT('6', 6), HEX_DIGIT('7', 7),
	HEX_DIGIT('8', 8), HEX_DIGIT('9', 9),
	HEX_DIGIT('a', 10), HEX_DIGIT('b', 11), HEX_DIGIT('c', 12), HEX_DIGIT('d', 13),
	HEX_DIGIT('e', 14), HEX_DIGIT('f', 15),
	HEX_DIGIT('A', 10), HEX_DIGIT('B', 11), HEX_DIGIT('C', 12), HEX_DIGIT('D', 13),
	HEX_DIGIT('E', 14), HEX_DIGIT('F', 15),
};

#ifdef __SSE2__
/*
 * Sixteen hex digits in one go: each byte checked against the three digit
 * ranges (ASCII is positive as a signed byte), its value taken as the low
 * nibble plus 9 for a letter, pairs of nibbles merged into bytes and the
 * eight bytes, first digit first, turned into a number.
 */
static inline bool parse_hex16(const char *s, u64 *out)
{
	__m128i c = _mm_loadu_si128((const __m128i *)(const void *)s);
#define IN(lo, hi) _mm_and_si128(_mm_cmpgt_epi8(c, _mm_set1_epi8((lo) - 1)), \
				 _mm_cmplt_epi8(c, _mm_set1_epi8((hi) + 1)))
	__m128i digit = IN('0', '9'), letter = _mm_or_si128(IN('a', 'f'), IN('A', 'F'));
#undef IN
	if (_mm_movemask_epi8(_mm_or_si128(digit, letter)) != 0xffff)
		return false;
	__m128i nib = _mm_add_epi8(_mm_and_si128(c, _mm_set1_epi8(0x0f)),
				   _mm_and_si128(letter, _mm_set1_epi8(9)));
	/* little-endian 16-bit lanes: the first digit of a pair is the low byte */
	__m128i pair = _mm_or_si128(_mm_slli_epi16(_mm_and_si128(nib, _mm_set1_epi16(0x00ff)), 4),
				    _mm_srli_epi16(nib, 8));
	u64 bytes = (u64)_mm_cvtsi128_si64(_mm_packus_epi16(pair, pair));
	*out = __builtin_bswap64(bytes);
	return true;
}
#endif

/* Hex, with or without 0x; all of [s, e) must be digits. */
static inline __attribute__((always_inline)) bool parse_hex(const char *s, const char *e, u64 *out)
{
	u64 v = 0;
	unsigned int all = 0x10;

	if (e - s > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	if (s == e || e - s > 16)
		return false;
#ifdef __SSE2__
	if (e - s == 16)	/* a kernel pointer: all sixteen at once */
		return parse_hex16(s, out);
#endif
	for (; s < e; s++) {
		unsigned int t = hex_tab[(unsigned char)*s];
		all &= t;
		v = v << 4 | (t & 15);
	}
	*out = v;
	return all;
}

static inline __attribute__((always_inline)) bool parse_dec(const char *s, const char *e, u64 *out)
{
	u64 v = 0;
	bool neg = s < e && *s == '-';

	if (neg)
		s++;
	if (s == e || e - s > 20)
		return false;
	for (; s < e; s++) {
		unsigned int d = (unsigned char)*s - '0';
		if (d > 9)
			return false;
		v = v * 10 + d;
	}
	*out = neg ? (u64)-(s64)v : v;
	return true;
}

#define bad(...) do { if (err) snprintf(err, errlen, __VA_ARGS__); return -EINVAL; } while (0)

/* Event names by length: at most two share one, so one or two memcmps
 * decide.  by_len[] indexes event_names[] and must follow its order. */
static const struct event_name *lookup_event(const char *s, size_t n)
{
	static const unsigned char by_len[23][2] = {	/* 1 + index in event_names[] */
		[5] = { 3 }, [7] = { 1 }, [12] = { 2, 8 }, [13] = { 7 }, [15] = { 6, 10 },
		[16] = { 4 }, [18] = { 13 }, [19] = { 12 }, [20] = { 9 }, [21] = { 5 },
		[22] = { 11 },
	};

	if (n >= ARRAY_SIZE(by_len))
		return NULL;
	for (int i = 0; i < 2 && by_len[n][i]; i++) {
		const struct event_name *en = &event_names[by_len[n][i] - 1];
		if (!memcmp(en->name, s, n))
			return en;
	}
	return NULL;
}

/* @k (@n bytes) is the literal @lit: a constant-length compare the compiler inlines. */
#define key_is(k, n, lit) ((n) == sizeof(lit) - 1 && !memcmp((k), (lit), sizeof(lit) - 1))

/* The "key=value" words after the event name. */
static int parse_fields(const char *p, const char *end, struct kmm_trace_event *ev,
			unsigned int *have, char *err, size_t errlen)
{
	while (p < end) {
		while (p < end && *p == ' ')
			p++;
		if (p == end)
			break;
		const char *k = p, *eq = NULL;
		p = scan_to(p, end, ' ', '=');
		if (p < end && *p == '=') {
			eq = p;
		} else if (p > k && p[-1] == ':') {
			/* "va_start: 18446683600629776384" */
			eq = p - 1;
			while (p < end && *p == ' ')
				p++;
		} else {
			continue;	/* a bare word: nothing we read */
		}
		size_t kn = (size_t)(eq - k);
		const char *v = eq == p ? p + 1 : p;
		const char *ve = scan_to(v, end, ' ', ' ');
		p = ve;
		u64 x;

		switch (k[0]) {
		case 'a':
			if (key_is(k, kn, "align")) {
				if (!parse_dec(v, ve, &x))
					bad("bad align");
				ev->align = x;
				*have |= F_ALIGN;
			}
			break;
		case 'b':
			if (key_is(k, kn, "bytes_req")) {
				if (!parse_dec(v, ve, &x))
					bad("bad bytes_req");
				ev->bytes_req = x;
				*have |= F_REQ;
			} else if (key_is(k, kn, "bytes_alloc")) {
				if (!parse_dec(v, ve, &x))
					bad("bad bytes_alloc");
				ev->bytes_alloc = x;
				*have |= F_ALLOC;
			}
			break;
		case 'f':
			if (key_is(k, kn, "failed")) {
				if (!parse_dec(v, ve, &x))
					bad("bad failed");
				ev->failed = x != 0;
			}
			break;
		case 'g':
			if (key_is(k, kn, "gfp_flags")) {
				if (parse_gfp(v, (unsigned int)(ve - v), &ev->gfp))
					bad("unknown gfp_flags '%.*s'", (int)(ve - v), v);
				*have |= F_GFP;
			}
			break;
		case 'm':
			if (key_is(k, kn, "migratetype")) {
				if (!parse_dec(v, ve, &x))
					bad("bad migratetype");
				ev->migratetype = (int)x;
				*have |= F_MT;
			}
			break;
		case 'n':
			if (key_is(k, kn, "name")) {
				ev->name = v;
				ev->name_len = (unsigned int)(ve - v);
				if (!ev->name_len || ev->name_len > 63)
					bad("bad cache name");
				*have |= F_NAME;
			}
			break;
		case 'o':
			if (key_is(k, kn, "order")) {
				if (!parse_dec(v, ve, &x) || x > 63)
					bad("bad order");
				ev->order = (unsigned int)x;
				*have |= F_ORDER;
			}
			break;
		case 'p':
			if (key_is(k, kn, "ptr")) {
				if (!parse_hex(v, ve, &x))
					bad("bad ptr");
				if (!(*have & F_PFN))
					ev->ptr = x;
				*have |= F_PTR;
			} else if (key_is(k, kn, "pfn")) {
				if (!parse_hex(v, ve, &x))
					bad("bad pfn");
				ev->ptr = x;
				*have |= F_PFN;
			} else if (key_is(k, kn, "page")) {
				/* a page allocation the kernel failed prints no page */
				if ((ve - v == 6 && !memcmp(v, "(null)", 6)) ||
				    (parse_hex(v, ve, &x) && !x))
					ev->failed = true;
			}
			break;
		case 'r':
			if (key_is(k, kn, "reserved")) {
				if (!parse_dec(v, ve, &x))
					bad("bad reserved");
				ev->reserved = x != 0;
			}
			break;
		case 's':
			if (key_is(k, kn, "size")) {
				if (!parse_dec(v, ve, &x))
					bad("bad size");
				ev->bytes_req = x;
				*have |= F_SIZE;
			}
			break;
		case 'v':
			if (key_is(k, kn, "va_start")) {
				/* decimal in alloc_vmap_area, hex with 0x in the free */
				bool ok = (ve - v > 2 && v[1] == 'x') ? parse_hex(v, ve, &x)
								     : parse_dec(v, ve, &x);
				if (!ok)
					bad("bad va_start");
				ev->ptr = x;
				*have |= F_VA;
			}
			break;
		}
	}
	return 0;
}

int kmm_trace_parse_line(const char *line, size_t len, struct kmm_trace_event *ev,
			 char *err, size_t errlen)
{
	const char *p = line, *end = line + len, *q;

	while (end > p && (end[-1] == '\r' || end[-1] == ' '))
		end--;
	p = skip_spaces(p, end);
	if (p == end || *p == '#')
		return 0;

	/* The CPU: the first "[digits]". */
	int cpu = -1;
	for (q = p; (q = memchr(q, '[', (size_t)(end - q))); q++) {
		const char *d = q + 1;
		unsigned int c = 0;
		while (d < end && (unsigned int)(*d - '0') < 10 && d - q < 6)
			c = c * 10 + (unsigned int)(*d++ - '0');
		if (d > q + 1 && d < end && *d == ']') {
			cpu = (int)c;
			p = d + 1;
			break;
		}
	}
	if (cpu < 0) {
		if (memmem(line, len, "[LOST ", 6))
			return 0;	/* "CPU:1 [LOST 23 EVENTS]" */
		bad("no [cpu] column");
	}

	/* The flags column (optional), then the timestamp "sec.usec:". */
	u64 ts = 0;
	for (int col = 0;; col++) {
		while (p < end && *p == ' ')
			p++;
		q = scan_to(p, end, ' ', ' ');
		if (q == end || col == 2)
			bad("no timestamp");
		if (q[-1] == ':' && (unsigned int)(*p - '0') < 10) {
			const char *dot = p;
			u64 sec, frac;
			while (dot < q && *dot != '.')
				dot++;
			if (dot == q || !parse_dec(p, dot, &sec) || !parse_dec(dot + 1, q - 1, &frac))
				bad("bad timestamp");
			for (long digits = q - 1 - (dot + 1); digits < 9; digits++)
				frac *= 10;
			ts = sec * 1000000000ULL + frac;
			p = q + 1;
			break;
		}
		p = q + 1;
	}

	/* "event: " */
	while (p < end && *p == ' ')
		p++;
	q = scan_to(p, end, ':', ':');
	if (q == end || q == p)
		bad("no event name");
	memset(ev, 0, sizeof(*ev));
	ev->cpu = cpu;
	ev->ts_ns = ts;
	ev->migratetype = -1;
	const struct event_name *en = lookup_event(p, (size_t)(q - p));
	if (!en) {
		ev->type = KMM_TEV_OTHER;
		return 1;
	}
	ev->type = en->type;
	unsigned int have = 0;
	if (parse_fields(q + 1, end, ev, &have, err, errlen))
		return -EINVAL;
	if ((have & en->need) != en->need) {
		static const char *const fnames[] = { "ptr", "name", "bytes_req", "bytes_alloc",
			"gfp_flags", "pfn", "order", "migratetype", "va_start", "size", "align" };
		unsigned int missing = en->need & ~have;
		bad("%s: no %s=", en->name, fnames[__builtin_ctz(missing)]);
	}
	return 1;
}
