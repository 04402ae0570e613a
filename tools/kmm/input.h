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
/*
 * Let the decoding thread parse lines ahead when it would otherwise wait
 * (kmm_trace_parse_line, on lines the reader has not reached).
 */
void trace_preparse(struct trace_input *in);
struct kmm_trace_event;
/*
 * trace_next, and the line's parse when it was made ahead: then *ev points
 * at the event (valid as the line is) and *ret is kmm_trace_parse_line's
 * result; else *ev is NULL (parse it yourself; a malformed line always is).
 */
const char *trace_next_parsed(struct trace_input *in, size_t *len,
			      const struct kmm_trace_event **ev, int *ret);
struct kmm_replay;
/*
 * trace_next, carried out on @r: through the parse made ahead when there
 * is one, else parsed here.  *@rc is the replay's result for the line.
 */
const char *trace_replay_next(struct trace_input *in, struct kmm_replay *r, size_t *len,
			      int *rc);
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
