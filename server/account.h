/* account.h: time accounting of a bilan as a pure function of its presence
 * journal (docs/JOURNAL.md). No I/O, no clock, no global state: the same events
 * always give the same report, so `bilan-server hours --replay FILE` and the
 * unit tests recompute exactly what the server would.
 *
 * Times are integer milliseconds since the Unix epoch (UTC); every duration
 * in the report is exact milliseconds. Only display rounds (report.c).
 *
 * DEFINITIONS (the contract; docs/JOURNAL.md says the same in plain words)
 *
 * Identity. Every event the server writes has its own sequence number
 *   `seq` (>= 1, the journal's append order; exported since journal format
 *   2). Either every event of a computation has a seq or none has (a format
 *   1 file): a mix is an error. Two events are the same event only when they
 *   have the same seq: the later copies (a retried export, a concatenated
 *   file) are ignored and counted in `duplicates_ignored`; two different
 *   events with one seq are an error (the journal contradicts itself). Two
 *   events are never merged because their contents are equal: two
 *   declarations or two joins in the same millisecond are two events.
 *
 * Order. Events are sorted by t before anything else: at equal t,
 *   session_open comes first, session_close last, the others by seq (by
 *   input order in a format 1 file). So a journal whose lines are shuffled
 *   gives the same report as the sorted one. A `lost` event's t IS the
 *   member's last sign of life (the server writes it when it detects the
 *   silence, 15 s later), so lost events may come after events with a larger
 *   t in the input: that is normal. An `alive` at exactly the t where that
 *   member's presence ended (often the lost t) is accepted in either order
 *   and changes nothing; so is an `alive` dated after a `lost` of that member
 *   and before its next join (a checkpoint written between the last sign of
 *   life and the detection). In a format 1 file, other same-millisecond
 *   events of one device (join and leave) keep their input order: if a
 *   shuffled file puts them in an impossible order, that is an error.
 *
 * Presence. A member is a (session, device) pair. It is present from `join`
 *   until the first of: its `leave`, its `lost` (at the lost t), the
 *   `session_close` of its session, or, when the journal ends with it still
 *   in (crash), its last `alive` in that presence (or its join when none).
 *   A device may rejoin: each join opens a new presence interval, with the
 *   role of that join.
 *
 * Face-to-face (FtF). Per session, the FtF set is the set of instants where
 *   the session is open, at least one consultant is present and at least one
 *   beneficiary is present; face_to_face_ms is its measure (sum of lengths).
 *   Intervals are half-open [start, end): a leave and a rejoin at the same
 *   millisecond leave no gap, and a zero-length presence counts for nothing.
 *
 * Interruptions. (number of maximal FtF intervals of the session) - 1 when
 *   there is at least one, else 0. Maximal intervals that touch (end == start)
 *   are one interval.
 *
 * Session bounds. start = session_open t; end = session_close t, or, for a
 *   session never closed (crash), the largest t among that session's events.
 *
 * Totals. by_phase_ms[p] = sum of FtF of the sessions of phase p;
 *   face_to_face_ms = their sum; remaining_ms = max(0, budget - FtF);
 *   over_budget = FtF > budget; personal_ms = sum of `personal` seconds;
 *   total_ms = FtF + personal; over_cap = total > cap. budget_reached_ms is
 *   the instant the cumulative FtF (sessions taken in report order) reached
 *   the budget, or -1 when it did not (or when the budget is 0).
 *
 * ERRORS (the journal is corrupt: no report rather than a wrong one)
 *   - unknown event kind, role or phase; missing session / device / role /
 *     phase where the kind needs one; t or seconds out of range;
 *   - an event of a session before its session_open (or a session with no
 *     session_open), or after its session_close; a session opened twice;
 *   - a join of a device already present in that session; a leave or lost of
 *     a device not present; an alive of a device never joined or after its
 *     leave;
 *   - more than ACC_MAX_SESSIONS sessions;
 *   - two different events with the same seq; some events with a seq and
 *     others without.
 * The error names the event (its input line when ev[i].line is set, else its
 * index) and says what to do.
 */
#ifndef BILAN_ACCOUNT_H
#define BILAN_ACCOUNT_H

#include <stddef.h>
#include <stdint.h>

#include "bp/vocab.h"

#define ACC_ID_MAX 64                      /* bytes of a session id, device or bilan id */
#define ACC_MAX_EVENTS 1000000             /* per computation (and per journal file) */
#define ACC_MAX_SESSIONS 10000
#define ACC_T_MAX_MS (8000000000LL * 1000) /* year 2223: keeps every sum far from overflow */
#define ACC_PERSONAL_MAX_MS (86400LL * 1000)   /* one declaration: at most a day */
#define ACC_DURATION_MAX_MS (1000000LL * 1000) /* budget_s and cap_s: at most 10^6 s */

enum acc_kind {
    ACC_SESSION_OPEN,
    ACC_SESSION_CLOSE,
    ACC_JOIN,
    ACC_LEAVE,
    ACC_LOST,
    ACC_ALIVE,
    ACC_PERSONAL,
    ACC_KIND_COUNT
};

/* Roles and phases: enum bp_role and enum bp_phase of bp/vocab.h. */

/* One journal event. Strings are NUL-terminated inside their arrays; unused
 * ones are "". role is read on join only, phase on session_open only,
 * personal_ms on personal only (session is ignored there; device, the
 * declaring device, is carried for the export but not counted). */
struct acc_event {
    int64_t seq;     /* the server's sequence number (>= 1), or 0 when unknown (format 1) */
    int64_t t_ms;
    int kind;        /* enum acc_kind */
    int role;        /* enum bp_role */
    int phase;       /* enum bp_phase */
    int64_t personal_ms;
    char session[ACC_ID_MAX + 1];
    char device[ACC_ID_MAX + 1];
    uint32_t line;   /* input line (1-based) for error messages, 0 = unknown */
};

struct acc_bilan {
    char bilan[ACC_ID_MAX + 1];
    int64_t budget_ms; /* face-to-face budget; BP_BUDGET_DEFAULT_S by default */
    int64_t cap_ms;    /* legal cap, BP_CAP_S */
};

struct acc_session {
    char id[ACC_ID_MAX + 1];
    int phase;               /* enum bp_phase */
    int64_t start_ms, end_ms;
    int closed;              /* 0: the journal ended with the session open */
    int64_t face_to_face_ms;
    uint32_t interruptions;
};

struct acc_report {
    char bilan[ACC_ID_MAX + 1];
    struct acc_session *sessions; /* owned; sorted by start, then id */
    size_t n_sessions;
    int64_t by_phase_ms[BP_PHASE_COUNT];
    int64_t face_to_face_ms, budget_ms, remaining_ms;
    int64_t personal_ms, total_ms, cap_ms;
    int over_budget, over_cap;
    int64_t budget_reached_ms; /* -1: not reached */
    size_t duplicates_ignored;
};

struct acc_err {
    size_t index;  /* index in ev[] of the offending event, or (size_t)-1 */
    uint32_t line; /* its ev[].line, 0 if unknown */
    char msg[320]; /* one sentence: what is wrong and what to do */
};

/* Computes the report of n events (any order). Returns 0, or -1 with err
 * filled (out then holds nothing to free). On success out->sessions is
 * allocated: release with account_report_free(). ev is only read. */
int account_compute(const struct acc_event *ev, size_t n, const struct acc_bilan *meta,
                    struct acc_report *out, struct acc_err *err);
void account_report_free(struct acc_report *r);

/* Names on the wire and in reports: "session_open", "consultant", "preliminaire"...
 * _parse returns the enum value or -1 for an unknown name (len bytes of s). */
const char *account_kind_name(int kind);
int account_kind_parse(const char *s, size_t len);
/* Roles and phases by name: bp_role_name(), bp_phase_parse()... (bp/vocab.h). */

/* Month filter (for monthly reports): [from, to) in ms of UTC month
 * year-month (month 1..12). Returns -1 for a month out of 1970..9999. */
int account_month_range(int year, int month, int64_t *from_ms, int64_t *to_ms);
/* Fills idx[] with the indexes of r's sessions whose start falls in that UTC
 * month, at most cap of them; returns how many match (may exceed cap), or -1
 * for a bad month. */
long account_sessions_in_month(const struct acc_report *r, int year, int month, size_t *idx, size_t cap);

/* Pure UTC calendar: ms since the epoch to fields, and back (no TZ, no libc). */
struct acc_utc {
    int year, month, day, hour, min, sec, ms;
};
void account_utc_from_ms(int64_t t_ms, struct acc_utc *u);

#endif
