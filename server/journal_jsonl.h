/* journal_jsonl.h: the exported presence journal of one bilan as JSON Lines
 * (docs/JOURNAL.md is the reference). Pure: text in, events out, and events
 * in, text out. No files, no clock; the caller does the reading and writing.
 *
 *   line 1:  {"bilan":"B-2024-017","budget_s":57600,"cap_s":86400,"format":2}
 *   then:    {"seq":17,"t":1709542800.25,"event":"join","session":"S1",
 *             "device":"FP","role":"consultant"}
 *
 * t is Unix time in seconds with at most 3 decimals (milliseconds, kept
 * exact). Blank lines are skipped; unknown keys are ignored (newer writers);
 * duplicate keys in one line, a line over JL_LINE_MAX bytes, more than
 * ACC_MAX_EVENTS events are errors. */
#ifndef BILAN_JOURNAL_JSONL_H
#define BILAN_JOURNAL_JSONL_H

#include <stddef.h>

#include "account.h"

#define JL_LINE_MAX 4096 /* bytes of one line, without its newline */
#define JL_FORMAT 2      /* format written: 2 = every event carries its "seq" */

struct jl_journal {
    struct acc_bilan meta;
    int format;           /* the header's "format": 1 when absent */
    struct acc_event *ev; /* owned; ev[i].line is the input line */
    size_t n;
};

/* Parses len bytes of buf (need not be NUL-terminated). Returns 0, or -1
 * with why = "line N: what is wrong; what to do" (and out holds nothing to
 * free). On success free out with journal_jsonl_free(). */
int journal_jsonl_parse(const char *buf, size_t len, struct jl_journal *out, char *why, size_t why_cap);
void journal_jsonl_free(struct jl_journal *j);

/* Writers: one line each, with its '\n', NUL-terminated, into out[cap].
 * Return the length written (without the NUL), or -1 when it does not fit
 * (cap JL_LINE_MAX + 2 always fits) or the event is not writable (unknown
 * kind, bad ranges). A lost event is written with its t, the member's last
 * sign of life, wherever it sits in the file. "seq" is written when e->seq
 * is set (format 2); with e->seq = 0 the line is as format 1 wrote it (the
 * journal_sha256 of records made before format 2, PROTOCOL.md §9.4). */
/* format: 1 (no "format" key; events without seq) or JL_FORMAT. */
int journal_jsonl_write_header(const struct acc_bilan *meta, int format, char *out, size_t cap);
int journal_jsonl_write_event(const struct acc_event *e, char *out, size_t cap);

/* Milliseconds as JSON seconds: "7200", "7200.5", "1709542800.123" (at most 3
 * decimals, no trailing zeros). Returns the length or -1 if cap is short.
 * Shared with report.c so both formats write numbers the same way. */
int journal_fmt_seconds(int64_t ms, char *out, size_t cap);
/* s as a quoted JSON string (", \\ and control characters escaped; other
 * bytes as they are: ids come from valid JSON). Length or -1. */
int journal_fmt_string(const char *s, char *out, size_t cap);

#endif
