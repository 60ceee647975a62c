/* report.h: an acc_report as text, in three formats. Pure: builds a string,
 * the caller prints it. Exact values everywhere except the table, which
 * rounds durations to the nearest minute (h:mm) for people to read.
 *
 * json:  one object. bilan, sessions[] {id, phase, start, end, start_utc,
 *        end_utc, closed, face_to_face_s, interruptions}, by_phase {phase:
 *        seconds, all four phases}, face_to_face_s, budget_s, remaining_s,
 *        personal_s, total_s, cap_s, over_budget, over_cap, budget_reached
 *        (Unix seconds or null), duplicates_ignored. start/end and every *_s
 *        are seconds with millisecond precision: an integer when whole, else
 *        up to 3 decimals.
 * csv:   header "row,id,phase,start_utc,end_utc,seconds,interruptions"; one
 *        "session" row per session (in start order), one "phase" row per
 *        phase, then one row each: face_to_face, budget, remaining, personal,
 *        total, cap (seconds column), over_budget, over_cap,
 *        duplicates_ignored (0/1 or a count in the seconds column).
 * table: for people; h:mm, French phase labels with their ids. */
#ifndef BILAN_REPORT_H
#define BILAN_REPORT_H

#include <stddef.h>

#include "account.h"

enum report_format { REPORT_TABLE, REPORT_CSV, REPORT_JSON };

/* "table", "csv", "json" -> the format, or -1. */
int report_format_parse(const char *s);

/* Formats r; *out is a NUL-terminated malloc'd string the caller frees, *len
 * its length. Returns 0, or -1 out of memory (nothing to free then). */
int report_format(const struct acc_report *r, enum report_format f, char **out, size_t *len);

/* Duration as h:mm rounded to the nearest minute (half up), for display only:
 * 7199500 ms -> "2:00", 5400000 -> "1:30". Returns the length or -1. */
int report_fmt_hmm(int64_t ms, char *out, size_t cap);

#endif
