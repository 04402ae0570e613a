/* SPDX-License-Identifier: MIT */
/*
 * input.c: a trace file as lines, plain or .xz or .gz, decoded on a thread
 * of its own ahead of the reader.  Used by the tool and by bench_replay.
 */
#ifndef KMM_TOOL_INPUT_H
#define KMM_TOOL_INPUT_H

#include <stddef.h>

struct trace_input;
struct trace_input *trace_open(const char *path, char *err, size_t errlen);
/* The next line (NUL-terminated, without '\n'), or NULL at the end or on error.
 * It stays valid until the next call. */
const char *trace_next(struct trace_input *in, size_t *len);
/* How far the reader is, out of how much (0 if unknown: a pipe): in the
 * decoded text where its size is known (plain files, one-stream xz), else
 * in the file's compressed bytes read. */
void trace_progress(struct trace_input *in, long long *done, long long *total);
/* Non-NULL after trace_next returned NULL because of an error. */
const char *trace_error(struct trace_input *in);
/* CPU seconds the decoding thread used, once trace_next has returned NULL. */
double trace_decode_cpu(struct trace_input *in);
void trace_close(struct trace_input *in);

#endif
