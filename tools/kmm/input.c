/* SPDX-License-Identifier: MIT */
/*
 * A trace file as a stream of lines, whatever it is stored as: plain text,
 * xz (liblzma) or gzip (zlib), told apart by their magic bytes rather than
 * by the name, and "-" for standard input.  Lines come out of one buffer
 * with no copy unless a line straddles two reads.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <lzma.h>
#include <zlib.h>
#include "kmm.h"

#define IN_BUF	(1 << 18)
#define OUT_BUF	(1 << 20)

enum codec { RAW, XZ, GZ };

struct trace_input {
	FILE *f;
	enum codec codec;
	lzma_stream xz;
	z_stream gz;
	bool eof_in, eof_out;
	unsigned char *in;
	char *buf;		/* decoded bytes */
	size_t start, end;	/* the unread part of buf */
	long long consumed, total;
	char err[160];
};

struct trace_input *trace_open(const char *path, char *err, size_t errlen)
{
	struct trace_input *in = calloc(1, sizeof(*in));
	unsigned char magic[6] = { 0 };
	struct stat st;

	if (!in)
		return NULL;
	in->f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	if (!in->f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		free(in);
		return NULL;
	}
	if (!fstat(fileno(in->f), &st) && S_ISREG(st.st_mode))
		in->total = st.st_size;
	in->in = malloc(IN_BUF);
	in->buf = malloc(OUT_BUF + 1);
	if (!in->in || !in->buf) {
		snprintf(err, errlen, "%s: out of memory", path);
		trace_close(in);
		return NULL;
	}
	size_t n = fread(in->in, 1, IN_BUF, in->f);
	in->consumed = (long long)n;
	memcpy(magic, in->in, n < 6 ? n : 6);
	if (!memcmp(magic, "\xfd" "7zXZ", 6)) {
		in->codec = XZ;
		lzma_stream init = LZMA_STREAM_INIT;
		in->xz = init;
		if (lzma_stream_decoder(&in->xz, UINT64_MAX, LZMA_CONCATENATED) != LZMA_OK) {
			snprintf(err, errlen, "%s: cannot start the xz decoder", path);
			trace_close(in);
			return NULL;
		}
		in->xz.next_in = in->in;
		in->xz.avail_in = n;
	} else if (magic[0] == 0x1f && magic[1] == 0x8b) {
		in->codec = GZ;
		if (inflateInit2(&in->gz, 15 + 32) != Z_OK) {
			snprintf(err, errlen, "%s: cannot start the gzip decoder", path);
			trace_close(in);
			return NULL;
		}
		in->gz.next_in = in->in;
		in->gz.avail_in = (uInt)n;
	} else {
		in->codec = RAW;
		memcpy(in->buf, in->in, n);
		in->end = n;
	}
	in->eof_in = n < IN_BUF;
	return in;
}

static bool refill_input(struct trace_input *in, const unsigned char **next, size_t *avail)
{
	if (*avail || in->eof_in)
		return true;
	size_t n = fread(in->in, 1, IN_BUF, in->f);
	if (ferror(in->f)) {
		snprintf(in->err, sizeof(in->err), "read error: %s", strerror(errno));
		return false;
	}
	in->consumed += (long long)n;
	in->eof_in = n == 0;
	*next = in->in;
	*avail = n;
	return true;
}

/* Decode more into buf[end..]; false at the end or on error. */
static bool fill(struct trace_input *in)
{
	if (in->eof_out)
		return false;
	if (in->start) {
		memmove(in->buf, in->buf + in->start, in->end - in->start);
		in->end -= in->start;
		in->start = 0;
	}
	size_t room = OUT_BUF - in->end;
	if (!room)
		return false;
	if (in->codec == RAW) {
		size_t n = fread(in->buf + in->end, 1, room, in->f);
		in->consumed += (long long)n;
		in->end += n;
		if (!n)
			in->eof_out = true;
		return n > 0;
	}
	if (in->codec == XZ) {
		const unsigned char *next = in->xz.next_in;
		size_t avail = in->xz.avail_in;
		if (!refill_input(in, &next, &avail))
			return false;
		in->xz.next_in = next;
		in->xz.avail_in = avail;
		in->xz.next_out = (unsigned char *)in->buf + in->end;
		in->xz.avail_out = room;
		lzma_ret r = lzma_code(&in->xz, in->eof_in ? LZMA_FINISH : LZMA_RUN);
		in->end = OUT_BUF - in->xz.avail_out;
		if (r == LZMA_STREAM_END)
			in->eof_out = true;
		else if (r != LZMA_OK) {
			snprintf(in->err, sizeof(in->err), "xz data is corrupt (lzma error %d)", r);
			in->eof_out = true;
			return false;
		}
		return true;
	}
	const unsigned char *next = in->gz.next_in;
	size_t avail = in->gz.avail_in;
	if (!refill_input(in, &next, &avail))
		return false;
	in->gz.next_in = (unsigned char *)next;
	in->gz.avail_in = (uInt)avail;
	in->gz.next_out = (unsigned char *)in->buf + in->end;
	in->gz.avail_out = (uInt)room;
	int r = inflate(&in->gz, Z_NO_FLUSH);
	in->end = OUT_BUF - in->gz.avail_out;
	if (r == Z_STREAM_END) {
		/* A concatenated member may follow. */
		if (in->gz.avail_in || !in->eof_in)
			inflateReset(&in->gz);
		else
			in->eof_out = true;
	} else if (r == Z_BUF_ERROR && in->eof_in && !in->gz.avail_in) {
		snprintf(in->err, sizeof(in->err), "gzip data ends early");
		in->eof_out = true;
		return false;
	} else if (r != Z_OK && r != Z_BUF_ERROR) {
		snprintf(in->err, sizeof(in->err), "gzip data is corrupt (zlib error %d)", r);
		in->eof_out = true;
		return false;
	}
	return true;
}

const char *trace_next(struct trace_input *in, size_t *len)
{
	for (;;) {
		char *s = in->buf + in->start;
		char *nl = memchr(s, '\n', in->end - in->start);
		if (nl) {
			*nl = '\0';
			*len = (size_t)(nl - s);
			in->start += *len + 1;
			return s;
		}
		if (in->err[0])
			return NULL;
		if (!fill(in)) {
			if (in->err[0])
				return NULL;
			if (in->end - in->start == OUT_BUF) {
				snprintf(in->err, sizeof(in->err), "a line longer than %d bytes", OUT_BUF);
				return NULL;
			}
			if (in->end > in->start) {	/* a last line with no newline */
				s = in->buf + in->start;
				*len = in->end - in->start;
				s[*len] = '\0';
				in->start = in->end;
				return s;
			}
			return NULL;
		}
	}
}

void trace_progress(struct trace_input *in, long long *done, long long *total)
{
	*done = in->consumed;
	*total = in->total;
}

const char *trace_error(struct trace_input *in)
{
	return in->err[0] ? in->err : NULL;
}

void trace_close(struct trace_input *in)
{
	if (!in)
		return;
	if (in->codec == XZ)
		lzma_end(&in->xz);
	else if (in->codec == GZ)
		inflateEnd(&in->gz);
	if (in->f && in->f != stdin)
		fclose(in->f);
	free(in->in);
	free(in->buf);
	free(in);
}
