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
 * table: for people, in French; dates dd/mm/yyyy HH:MM (UTC), h:mm, French
 *        phase labels with their ids.
 * tableur: the funders' spreadsheet, French conventions: a UTF-8 byte order
 *        mark, header "ligne;séance;phase;début (UTC);fin (UTC);durée (h:mm);
 *        secondes;interruptions", ';' separators, dd/mm/yyyy HH:MM, h:mm and
 *        seconds with a decimal comma; rows "séance" (or "séance non close"),
 *        "total de la phase", then face-à-face, budget, reste, travail
 *        personnel, total, maximum légal; then "budget dépassé;oui|non",
 *        "maximum légal dépassé;oui|non", "lignes en double ignorées;N".
 *
 * A consultant's month (`bilan-server hours --consultant NAME --month M`):
 * the sessions that started in one UTC month, over all of that consultant's
 * bilans, one section per bilan that has some, then the totals.
 * json:  one object indented by two spaces: consultant, month, bilans[]
 *        {bilan, label, sessions[] (as in a bilan's report), by_phase,
 *        face_to_face_s (the month's), budget_s, remaining_s (the bilan's,
 *        every month)}, by_phase, face_to_face_s, sessions (their number).
 *        A fractional number of seconds is written with at most 15
 *        significant digits, as jansson wrote it when this report was built
 *        with jansson.
 * csv:   header "bilan,session,phase,start_utc,end_utc,seconds,interruptions";
 *        one row per session, one "BILAN,total" row per bilan, one
 *        "total,total" row (fields as they are: ids carry no comma).
 * table: for people, in French; dd/mm/yyyy HH:MM, h:mm.
 * tableur: as a bilan's: header "bilan;libellé;séance;phase;début (UTC);
 *        fin (UTC);durée (h:mm);secondes;interruptions", one row per session,
 *        one "total du bilan" row per bilan, one "total" row.
 *
 * Never: read the store or print; the caller brings the numbers. */
#ifndef BILAN_REPORT_H
#define BILAN_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "account.h"

enum report_format { REPORT_TABLE, REPORT_CSV, REPORT_JSON, REPORT_TABLEUR };

/* "table", "csv", "json", "tableur" (or "csv-fr") -> the format, or -1. */
int report_format_parse(const char *s);

/* Formats r; *out is a NUL-terminated malloc'd string the caller frees, *len
 * its length. Returns 0, or -1 out of memory (nothing to free then). */
int report_format(const struct acc_report *r, enum report_format f, char **out, size_t *len);

/* One bilan's part of a consultant's month. */
struct report_month_bilan {
    char *bilan, *label;          /* owned */
    struct acc_session *sessions; /* owned: the month's sessions, in report order */
    size_t n_sessions;
    int64_t by_phase_ms[BP_PHASE_COUNT], face_to_face_ms; /* sums over those sessions */
    int64_t budget_ms, remaining_ms;                      /* the bilan's, every month */
};

struct report_month {
    const char *consultant, *month;    /* borrowed: must outlive the struct */
    struct report_month_bilan *bilans; /* owned */
    size_t n_bilans, cap;
    int64_t by_phase_ms[BP_PHASE_COUNT], face_to_face_ms; /* over every bilan */
    size_t n_sessions;
};

/* An empty month; consultant and month are borrowed (printed as given). */
void report_month_init(struct report_month *m, const char *consultant, const char *month);
/* Adds bilan's section: sessions idx[0..n) of r (as account_sessions_in_month
 * gives them), r's budget and remaining time. Copies what it keeps: r, bilan
 * and label stay the caller's. n = 0 adds nothing (a bilan without a session
 * that month has no section). 0, or -1 out of memory (m unchanged). */
int report_month_add(struct report_month *m, const char *bilan, const char *label, const struct acc_report *r,
                     const size_t *idx, size_t n);
/* As report_format: *out is malloc'd, NUL-terminated; 0 or -1 out of memory. */
int report_month_format(const struct report_month *m, enum report_format f, char **out, size_t *len);
void report_month_free(struct report_month *m);

/* Duration as h:mm rounded to the nearest minute (half up), for display only:
 * 7199500 ms -> "2:00", 5400000 -> "1:30". Returns the length or -1. */
int report_fmt_hmm(int64_t ms, char *out, size_t cap);

#endif
