/* SPDX-License-Identifier: MIT */
/*
 * A trace file as a stream of lines, whatever it is stored as: plain text,
 * xz (liblzma) or gzip (zlib), told apart by their magic bytes rather than
 * by the name, and "-" for standard input.
 *
 * Decoding runs on a thread of its own, pipelined with the replay: the
 * real trace is 48 MB of text in one xz block, which liblzma decodes at
 * about the speed the replayer consumes it, so doing both on one core
 * would take the sum of the two and doing them on two takes the larger.
 * The decoder starts at the first trace_next and fills blocks of whole
 * lines into a small ring; the reader walks a block's lines in place (no
 * copy) and hands the block back when it has read its last line.  A line
 * cut by the end of a block is carried to the start of the next, so no
 * line straddles two blocks, and a block is also the longest line there
 * can be.
 *
 *   decoder:  wait for a free block; carry + decode up to BLOCK bytes;
 *             cut after the last '\n' (the rest is the next carry);
 *             publish it (filled++), or say done at the end or an error.
 *   reader:   wait for a filled block; return its lines one by one;
 *             give it back (taken++).
 *
 * The xz decoder keeps its whole dictionary (64 MiB for the real trace)
 * and copies long matches around in it; backed by 2 MiB pages it takes a
 * quarter less time than with 4 KiB ones (fewer TLB misses and faults), so
 * the allocator liblzma gets asks the host for transparent huge pages.
 * Bytes are decoded in the order of the file, so the lines, their numbers
 * and the error at the end are what a plain loop would give.
 *
 * Parsing goes to whichever thread has time for it.  When the ring is full
 * the decoder would only wait (plain text is read far faster than it is
 * replayed), so instead it parses the lines of a filled block the reader
 * has not reached, newest first, into an array beside the block; the
 * reader then gets each line with its event and does only the replay.
 * When the decoder is the slower (xz), the ring is never full and every
 * line is parsed by the reader as before.  A block is claimed under the
 * lock, by the decoder to parse it or by the reader on taking it, so no
 * block is parsed twice or read half-parsed.
 *
 * The integrity check of an xz block (a CRC64 of 48 MB for the real trace,
 * a twentieth of the decoding) is computed by liblzma on the decoder's
 * thread, the longer of the two.  When the file is one xz stream of one
 * block with a CRC32 or CRC64 check (the real trace, and what xz writes
 * single-threaded), trace_open reads the stored check from the file's
 * tail (footer, then index, then the check that ends the block before
 * it), liblzma is told to ignore checks, and the reader computes the CRC
 * of each block of lines as it takes it, before it cuts the lines apart,
 * and compares at the end: a mismatch is liblzma's own error.  Any other
 * file (several blocks or streams, SHA-256, a pipe) keeps liblzma's check.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <lzma.h>
#include <zlib.h>
#include <kmm/trace.h>
#include "input.h"

#define IN_BUF	(1 << 18)	/* compressed bytes read at a time */
#define BLOCK	(1 << 20)	/* decoded bytes handed over at a time */
#define NBLOCKS	4
#define HUGE_SIZE (2UL << 20)

enum codec { RAW, XZ, GZ };

#define PLINES	(BLOCK / 64)	/* lines parsed ahead per block, at most */

/* A line parsed ahead: where it is in its block, and what it says. */
struct pline {
	unsigned int off, len;
	int ret;			/* kmm_trace_parse_line's */
	struct kmm_trace_event ev;
};

enum parse_state { P_NONE, P_BUSY, P_DONE, P_READER };

struct block {
	char *buf;		/* BLOCK + 1 bytes: room for a last line's NUL */
	size_t len;
	enum parse_state parse;	/* under the lock */
	struct pline *pl;	/* PLINES, allocated when first parsed ahead */
	size_t npl;		/* its first lines, parsed ahead */
};

struct trace_input {
	FILE *f;
	enum codec codec;
	lzma_stream xz;
	lzma_allocator xz_alloc;
	z_stream gz;
	bool eof_in, eof_out;	/* the decoder's, apart from the reader's */
	unsigned char *in;
	size_t in_len;		/* RAW: bytes of in[] not yet moved to a block */
	char *carry;		/* the cut line at the end of the last block */
	size_t carry_len;
	long long consumed, total;	/* file bytes read (atomic), file size */
	long long text_total;	/* decoded bytes in all, where known (else 0) */
	long long text_taken;	/* the reader's: decoded bytes of the blocks it gave back */

	pthread_t thread;
	bool started;
	pthread_mutex_t lock;
	pthread_cond_t can_fill, can_read;
	struct block blocks[NBLOCKS];
	unsigned long filled, taken;	/* blocks published, blocks given back */
	bool done, stop;	/* decoder: no more blocks; reader: quit now */
	char err[160];		/* set by the decoder before done */
	double decode_cpu;	/* the decoder's CPU seconds, set before done */

	struct block *cur;	/* the reader's block, and where it is in it */
	size_t pos;
	size_t pli;		/* the next of cur's lines parsed ahead */
	bool preparse;		/* the decoder may parse ahead */

	lzma_check check;	/* verified by the reader (CRC32/64), or NONE */
	uint8_t check_want[8];	/* the stored check, little-endian */
	uint64_t check_crc;	/* of the blocks the reader has taken */
};

/* liblzma's allocator: its dictionary on huge pages where the host has them. */
static void *xz_alloc(void *opaque, size_t nmemb, size_t size)
{
	(void)opaque;
	if (size && nmemb > SIZE_MAX / size)
		return NULL;
	size_t n = nmemb * size;
	if (n < HUGE_SIZE)
		return malloc(n);
	n = (n + HUGE_SIZE - 1) & ~(HUGE_SIZE - 1);
	void *p = aligned_alloc(HUGE_SIZE, n);
	if (p)
		madvise(p, n, MADV_HUGEPAGE);	/* a hint: refused is fine */
	return p;
}

static void xz_free(void *opaque, void *p)
{
	(void)opaque;
	free(p);
}

/* Read compressed bytes when the decoder has used them up. */
static bool refill_input(struct trace_input *in, size_t *avail)
{
	if (*avail || in->eof_in)
		return true;
	size_t n = fread(in->in, 1, IN_BUF, in->f);
	if (ferror(in->f)) {
		snprintf(in->err, sizeof(in->err), "read error: %s", strerror(errno));
		return false;
	}
	__atomic_add_fetch(&in->consumed, (long long)n, __ATOMIC_RELAXED);
	in->eof_in = n < IN_BUF;	/* fread gives short only at the end */
	*avail = n;
	return true;
}

/* Decode into @out (@room bytes); Return: bytes made.  Sets eof_out or err. */
static size_t decode_xz(struct trace_input *in, char *out, size_t room)
{
	size_t avail = in->xz.avail_in;
	if (!refill_input(in, &avail))
		return 0;
	if (avail != in->xz.avail_in)
		in->xz.next_in = in->in;
	in->xz.avail_in = avail;
	in->xz.next_out = (unsigned char *)out;
	in->xz.avail_out = room;
	lzma_ret r = lzma_code(&in->xz, in->eof_in ? LZMA_FINISH : LZMA_RUN);
	if (r == LZMA_STREAM_END)
		in->eof_out = true;
	else if (r != LZMA_OK)
		snprintf(in->err, sizeof(in->err), "xz data is corrupt (lzma error %d)", r);
	return room - in->xz.avail_out;
}

static size_t decode_gz(struct trace_input *in, char *out, size_t room)
{
	size_t avail = in->gz.avail_in;
	if (!refill_input(in, &avail))
		return 0;
	if (avail != in->gz.avail_in)
		in->gz.next_in = in->in;
	in->gz.avail_in = (uInt)avail;
	in->gz.next_out = (unsigned char *)out;
	in->gz.avail_out = (uInt)room;
	int r = inflate(&in->gz, Z_NO_FLUSH);
	size_t made = room - in->gz.avail_out;
	if (r == Z_STREAM_END) {
		/* A concatenated member may follow: look before deciding. */
		avail = in->gz.avail_in;
		if (!refill_input(in, &avail))
			return made;
		if (avail != in->gz.avail_in)
			in->gz.next_in = in->in;
		in->gz.avail_in = (uInt)avail;
		if (avail)
			inflateReset(&in->gz);
		else
			in->eof_out = true;
	} else if (r == Z_BUF_ERROR && in->eof_in && !in->gz.avail_in) {
		snprintf(in->err, sizeof(in->err), "gzip data ends early");
	} else if (r != Z_OK && r != Z_BUF_ERROR) {
		snprintf(in->err, sizeof(in->err), "gzip data is corrupt (zlib error %d)", r);
	}
	return made;
}

static size_t decode_raw(struct trace_input *in, char *out, size_t room)
{
	if (in->in_len) {	/* what trace_open read to look at the magic */
		size_t n = in->in_len < room ? in->in_len : room;
		memcpy(out, in->in, n);
		memmove(in->in, in->in + n, in->in_len - n);
		in->in_len -= n;
		return n;
	}
	if (in->eof_in) {
		in->eof_out = true;
		return 0;
	}
	size_t n = fread(out, 1, room, in->f);
	if (ferror(in->f)) {
		snprintf(in->err, sizeof(in->err), "read error: %s", strerror(errno));
		return 0;
	}
	__atomic_add_fetch(&in->consumed, (long long)n, __ATOMIC_RELAXED);
	if (n < room)
		in->eof_in = in->eof_out = true;
	return n;
}

static size_t decode(struct trace_input *in, char *out, size_t room)
{
	switch (in->codec) {
	case XZ: return decode_xz(in, out, room);
	case GZ: return decode_gz(in, out, room);
	default: return decode_raw(in, out, room);
	}
}

/* Fill @b with the carried line and whole lines after it; Return: false at the end. */
static bool fill_block(struct trace_input *in, struct block *b)
{
	size_t len = in->carry_len;

	memcpy(b->buf, in->carry, len);
	while (len < BLOCK && !in->eof_out && !in->err[0])
		len += decode(in, b->buf + len, BLOCK - len);
	in->carry_len = 0;
	if (in->eof_out && !in->err[0]) {
		b->len = len;		/* a last line may have no newline */
		return false;
	}
	char *nl = memrchr(b->buf, '\n', len);
	b->len = nl ? (size_t)(nl + 1 - b->buf) : 0;
	if (in->err[0])
		return false;		/* the lines before the error, not the cut one */
	if (!nl) {
		snprintf(in->err, sizeof(in->err), "a line longer than %d bytes", BLOCK);
		return false;
	}
	in->carry_len = len - b->len;
	memcpy(in->carry, b->buf + b->len, in->carry_len);
	return true;
}

/* Parse @b's lines (the first PLINES) into b->pl; without the lock. */
static void parse_block(struct block *b)
{
	size_t pos = 0, n = 0;

	while (pos < b->len && n < PLINES) {
		const char *s = b->buf + pos;
		const char *nl = memchr(s, '\n', b->len - pos);
		size_t len = nl ? (size_t)(nl - s) : b->len - pos;
		struct pline *pl = &b->pl[n++];

		pl->off = (unsigned int)pos;
		pl->len = (unsigned int)len;
		pl->ret = kmm_trace_parse_line(s, len, &pl->ev, NULL, 0);
		pos += len + 1;
	}
	b->npl = n;
}

/*
 * With the ring full, parse the newest filled block nobody has claimed.
 * Called and returns with the lock held.  Return: false if there was none.
 */
static bool parse_ahead(struct trace_input *in)
{
	for (unsigned long k = in->filled; in->preparse && k-- > in->taken;) {
		struct block *b = &in->blocks[k % NBLOCKS];

		if (b->parse != P_NONE)
			continue;
		if (!b->pl && !(b->pl = malloc(PLINES * sizeof(*b->pl))))
			return false;
		b->parse = P_BUSY;
		pthread_mutex_unlock(&in->lock);
		parse_block(b);
		pthread_mutex_lock(&in->lock);
		b->parse = P_DONE;
		pthread_cond_signal(&in->can_read);
		return true;
	}
	return false;
}

static void *decoder_thread(void *arg)
{
	struct trace_input *in = arg;
	bool more = true;

	pthread_mutex_lock(&in->lock);
	while (more) {
		while (in->filled - in->taken == NBLOCKS && !in->stop)
			if (!parse_ahead(in))
				pthread_cond_wait(&in->can_fill, &in->lock);
		if (in->stop)
			break;
		struct block *b = &in->blocks[in->filled % NBLOCKS];
		pthread_mutex_unlock(&in->lock);
		more = fill_block(in, b);
		if (!more) {
			struct timespec ts;
			clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
			in->decode_cpu = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
		}
		pthread_mutex_lock(&in->lock);
		b->parse = P_NONE;
		b->npl = 0;
		in->filled++;
		in->done = !more;
		pthread_cond_signal(&in->can_read);
	}
	pthread_mutex_unlock(&in->lock);
	return NULL;
}

/*
 * If @in is one xz stream (no padding, nothing after it), its index gives
 * the decoded size for the progress bar; if that stream is one block with
 * a CRC32 or CRC64 check, read the check from the file's tail into
 * in->check_want and set in->check: the reader will verify it.  Anything
 * unexpected leaves the check to liblzma.
 */
static void xz_check_from_tail(struct trace_input *in)
{
	const long long size = in->total, foot_at = size - LZMA_STREAM_HEADER_SIZE;
	int fd = fileno(in->f);
	uint8_t foot[LZMA_STREAM_HEADER_SIZE];
	lzma_stream_flags ff;

	if (size < 2 * LZMA_STREAM_HEADER_SIZE ||
	    pread(fd, foot, sizeof(foot), foot_at) != (ssize_t)sizeof(foot) ||
	    lzma_stream_footer_decode(&ff, foot) != LZMA_OK ||
	    ff.backward_size > (1 << 20) ||
	    (long long)ff.backward_size + 2 * LZMA_STREAM_HEADER_SIZE + 8 > size)
		return;
	size_t isize = (size_t)ff.backward_size, pos = 0;
	long long index_at = foot_at - (long long)isize;
	uint8_t *ib = malloc(isize);
	lzma_index *idx = NULL;
	uint64_t memlimit = UINT64_MAX;
	if (ib && pread(fd, ib, isize, index_at) == (ssize_t)isize &&
	    lzma_index_buffer_decode(&idx, &memlimit, NULL, ib, &pos, isize) == LZMA_OK) {
		uint32_t csize = lzma_check_size(ff.check);
		bool one_stream = lzma_index_file_size(idx) == (lzma_vli)size;
		if (one_stream)		/* the progress bar's measure */
			in->text_total = (long long)lzma_index_uncompressed_size(idx);
		if (one_stream && lzma_index_block_count(idx) == 1 &&
		    (ff.check == LZMA_CHECK_CRC32 || ff.check == LZMA_CHECK_CRC64) &&
		    pread(fd, in->check_want, csize, index_at - csize) == (ssize_t)csize)
			in->check = ff.check;
		lzma_index_end(idx, NULL);
	}
	free(ib);
}

/* The reader's side of the check: each block as it is taken, then the end. */
static void check_block(struct trace_input *in, const struct block *b)
{
	if (in->check == LZMA_CHECK_CRC64)
		in->check_crc = lzma_crc64((const uint8_t *)b->buf, b->len, in->check_crc);
	else if (in->check == LZMA_CHECK_CRC32)
		in->check_crc = lzma_crc32((const uint8_t *)b->buf, b->len, (uint32_t)in->check_crc);
}

static bool check_matches(const struct trace_input *in)
{
	uint32_t csize = lzma_check_size(in->check);
	for (uint32_t i = 0; i < csize; i++)
		if (in->check_want[i] != (uint8_t)(in->check_crc >> (8 * i)))
			return false;
	return true;
}

static int start_codec(struct trace_input *in, const char *path, char *err, size_t errlen)
{
	unsigned char magic[6] = { 0 };
	size_t n = fread(in->in, 1, IN_BUF, in->f);

	in->consumed = (long long)n;
	in->eof_in = n < IN_BUF;
	memcpy(magic, in->in, n < 6 ? n : 6);
	if (!memcmp(magic, "\xfd" "7zXZ", 6)) {
		in->codec = XZ;
		lzma_stream init = LZMA_STREAM_INIT;
		in->xz = init;
		in->xz_alloc = (lzma_allocator){ xz_alloc, xz_free, NULL };
		in->xz.allocator = &in->xz_alloc;
		if (in->total)
			xz_check_from_tail(in);
		uint32_t flags = LZMA_CONCATENATED;
		if (in->check != LZMA_CHECK_NONE)
			flags |= LZMA_IGNORE_CHECK;
		if (lzma_stream_decoder(&in->xz, UINT64_MAX, flags) != LZMA_OK) {
			snprintf(err, errlen, "%s: cannot start the xz decoder", path);
			return -1;
		}
		in->xz.next_in = in->in;
		in->xz.avail_in = n;
	} else if (magic[0] == 0x1f && magic[1] == 0x8b) {
		in->codec = GZ;
		if (inflateInit2(&in->gz, 15 + 32) != Z_OK) {
			snprintf(err, errlen, "%s: cannot start the gzip decoder", path);
			return -1;
		}
		in->gz.next_in = in->in;
		in->gz.avail_in = (uInt)n;
	} else {
		in->codec = RAW;
		in->in_len = n;
		in->text_total = in->total;
	}
	return 0;
}

struct trace_input *trace_open(const char *path, char *err, size_t errlen)
{
	struct trace_input *in = calloc(1, sizeof(*in));
	struct stat st;

	if (!in)
		return NULL;
	in->codec = RAW;
	pthread_mutex_init(&in->lock, NULL);
	pthread_cond_init(&in->can_fill, NULL);
	pthread_cond_init(&in->can_read, NULL);
	in->f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	if (!in->f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		trace_close(in);
		return NULL;
	}
	if (!fstat(fileno(in->f), &st) && S_ISREG(st.st_mode))
		in->total = st.st_size;
	in->in = malloc(IN_BUF);
	in->carry = malloc(BLOCK);
	bool ok = in->in && in->carry;
	for (int i = 0; i < NBLOCKS; i++)
		ok = ok && (in->blocks[i].buf = malloc(BLOCK + 1));
	if (!ok) {
		snprintf(err, errlen, "%s: out of memory", path);
		trace_close(in);
		return NULL;
	}
	if (start_codec(in, path, err, errlen)) {
		trace_close(in);
		return NULL;
	}
	return in;
}

/*
 * The decoder starts with the first line asked for, not at trace_open, so
 * that a caller timing its loop over trace_next times all of the decoding
 * (kmm replay opens the trace, then boots, then starts its clock).
 */
static bool start_decoder(struct trace_input *in)
{
	int e = pthread_create(&in->thread, NULL, decoder_thread, in);
	if (e) {
		snprintf(in->err, sizeof(in->err), "cannot start the decoding thread: %s",
			 strerror(e));
		in->done = true;
		return false;
	}
	pthread_setname_np(in->thread, "kmm-decode");
	in->started = true;
	return true;
}

/* The next filled block, the current one given back; NULL at the end. */
static struct block *next_block(struct trace_input *in)
{
	pthread_mutex_lock(&in->lock);
	if (in->cur) {
		in->text_taken += (long long)in->cur->len;
		in->taken++;
		in->cur = NULL;
		pthread_cond_signal(&in->can_fill);
	}
	while (in->filled == in->taken && !in->done)
		pthread_cond_wait(&in->can_read, &in->lock);
	if (in->filled != in->taken) {
		in->cur = &in->blocks[in->taken % NBLOCKS];
		in->pos = 0;
		in->pli = 0;
		while (in->cur->parse == P_BUSY)
			pthread_cond_wait(&in->can_read, &in->lock);
		if (in->cur->parse == P_NONE)
			in->cur->parse = P_READER;
	} else if (in->check != LZMA_CHECK_NONE && !in->err[0] && !check_matches(in)) {
		/* the decoder is done and writes no more: the error is ours to set */
		snprintf(in->err, sizeof(in->err), "xz data is corrupt (lzma error %d)",
			 LZMA_DATA_ERROR);
	}
	pthread_mutex_unlock(&in->lock);
	if (in->cur && in->check != LZMA_CHECK_NONE)
		check_block(in, in->cur);
	return in->cur;
}

void trace_preparse(struct trace_input *in)
{
	in->preparse = true;
}

const char *trace_next_parsed(struct trace_input *in, size_t *len,
			      const struct kmm_trace_event **ev, int *ret)
{
	struct block *b = in->cur;

	*ev = NULL;
	if (!in->started && (in->done || !start_decoder(in)))
		return NULL;

	for (;;) {
		if (b && in->pos < b->len && in->pli < b->npl && b->parse == P_DONE) {
			const struct pline *pl = &b->pl[in->pli++];
			char *s = b->buf + pl->off;

			*len = pl->len;
			s[*len] = '\0';
			in->pos = pl->off + pl->len + 1;
			/* A malformed line is parsed again, for its reason. */
			if (pl->ret != -EINVAL) {
				*ev = &pl->ev;
				*ret = pl->ret;
			}
			return s;
		}
		if (b && in->pos < b->len) {
			char *s = b->buf + in->pos;
			size_t left = b->len - in->pos;
			char *nl = memchr(s, '\n', left);
			*len = nl ? (size_t)(nl - s) : left;
			s[*len] = '\0';
			in->pos += nl ? *len + 1 : left;
			return s;
		}
		if (!(b = next_block(in)))
			return NULL;
	}
}

const char *trace_next(struct trace_input *in, size_t *len)
{
	const struct kmm_trace_event *ev;
	int ret;

	return trace_next_parsed(in, len, &ev, &ret);
}

const char *trace_replay_next(struct trace_input *in, struct kmm_replay *r, size_t *len,
			      int *rc)
{
	const struct kmm_trace_event *ev;
	int parsed;
	const char *line = trace_next_parsed(in, len, &ev, &parsed);

	if (line)
		*rc = ev ? kmm_replay_event(r, parsed, ev) : kmm_replay_line(r, line, *len);
	return line;
}

void trace_progress(struct trace_input *in, long long *done, long long *total)
{
	if (in->text_total) {	/* where the reader is, in the decoded text */
		*done = in->text_taken + (in->cur ? (long long)in->pos : 0);
		*total = in->text_total;
		return;
	}
	*done = __atomic_load_n(&in->consumed, __ATOMIC_RELAXED);	/* gzip, a pipe */
	*total = in->total;
}

const char *trace_error(struct trace_input *in)
{
	pthread_mutex_lock(&in->lock);
	bool done = in->done;
	pthread_mutex_unlock(&in->lock);
	return done && in->err[0] ? in->err : NULL;
}

double trace_decode_cpu(struct trace_input *in)
{
	pthread_mutex_lock(&in->lock);
	double t = in->done ? in->decode_cpu : 0;
	pthread_mutex_unlock(&in->lock);
	return t;
}

void trace_close(struct trace_input *in)
{
	if (!in)
		return;
	if (in->started) {
		pthread_mutex_lock(&in->lock);
		in->stop = true;
		pthread_cond_signal(&in->can_fill);
		pthread_mutex_unlock(&in->lock);
		pthread_join(in->thread, NULL);
	}
	if (in->codec == XZ)
		lzma_end(&in->xz);
	else if (in->codec == GZ)
		inflateEnd(&in->gz);
	if (in->f && in->f != stdin)
		fclose(in->f);
	for (int i = 0; i < NBLOCKS; i++) {
		free(in->blocks[i].buf);
		free(in->blocks[i].pl);
	}
	free(in->carry);
	free(in->in);
	pthread_cond_destroy(&in->can_read);
	pthread_cond_destroy(&in->can_fill);
	pthread_mutex_destroy(&in->lock);
	free(in);
}
