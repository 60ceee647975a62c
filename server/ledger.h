/* ledger.h: the hours of a bilan as the server keeps them (PROTOCOL.md §9,
 * docs/JOURNAL.md), without ever reading a bilan's whole journal.
 *
 *   - An ended session is counted once, from its own journal lines, with
 *     account_compute(); its line of the report and its record (the text
 *     participants sign) are frozen in the store (session_figures_put).
 *     Reports, receipts and exports read the frozen row: a later change of
 *     the counting rules never rewrites a closed session or a signature.
 *   - A bilan's report is assembled from those rows, the personal total kept
 *     by the store, and the open session.
 *   - The open session of a room is counted live in memory (struct
 *     ledger_live): its events but the alive checkpoints, and the bilan's
 *     totals read once when it opens. An event costs an append; a figure
 *     costs one account_compute over the session's joins and leaves.
 *
 * The cost of anything here depends on the size of one session (bounded by
 * the per-device quotas of PROTOCOL.md §9.2) and on the number of sessions,
 * never on the size of the journal. Must never: log notes or signatures. */
#ifndef SERVER_LEDGER_H
#define SERVER_LEDGER_H

#include <stdint.h>
#include <stdio.h>

#include "account.h"
#include "bp/bp.h"
#include "bp/record.h"
#include "store.h"

#define LEDGER_RULES 2 /* counting rules and line format of the records made today */

/* The open session of a room, counted in memory. */
struct ledger_live {
    char bilan[BP_ID_MAX + 1];
    char session[BP_ID_MAX + 1];
    int phase;
    int64_t start_ms;
    struct acc_event *ev; /* session_open, join, leave, lost, in journal order */
    size_t n, cap;
    /* The bilan when the session opened: ended sessions and personal work. */
    int64_t ended_ftf_ms;
    int64_t personal_ms;
    int64_t budget_ms, cap_ms;
};

/* Starts counting session (just opened at start_ms) of bilan: reads the
 * bilan's frozen session rows and personal total once. 0 or a BP_E_* code
 * (why says what). l is zeroed first; free it with ledger_live_free. */
int ledger_live_begin(struct ledger_live *l, const struct store_ops *ops, struct store *st, const char *bilan,
                      const char *session, int phase, int64_t start_ms, char *why, size_t why_cap);
void ledger_live_free(struct ledger_live *l);
/* Counts one event of the session as journaled (alive events are ignored:
 * they only matter after a crash). 0 or BP_E_NOMEM. */
int ledger_live_add(struct ledger_live *l, const struct acc_event *e);
/* Face-to-face of the open session if it ended at now_ms (every member still
 * present stays until now), as its report row; and the bilan's total. */
int ledger_live_figures(const struct ledger_live *l, int64_t now_ms, struct acc_session *row,
                        int64_t *bilan_ftf_ms);

/* The figures and record of ended session ss, from its journal lines, by
 * the counting rules `rules` (1: journal_sha256 over format 1 lines, 2:
 * format 2). On success f is filled and f->record is malloc'd JSON text (the
 * caller frees it: ledger_figures_free); rec, when not NULL, gets the record. */
int ledger_session_compute(const struct store_ops *ops, struct store *st, const struct store_session *ss,
                           int rules, struct store_session_figures *f, struct bp_record *rec, char *why,
                           size_t why_cap);
void ledger_figures_free(struct store_session_figures *f);

/* The stored record of an ended session; computed and frozen now when it
 * has none yet (an older server's session, or a close whose freeze failed).
 * *json is malloc'd; the caller frees it. */
int ledger_record_json(const struct store_ops *ops, struct store *st, const struct store_session *ss, char **json,
                       char *why, size_t why_cap);
/* The same, parsed. */
int ledger_record(const struct store_ops *ops, struct store *st, const struct store_session *ss,
                  struct bp_record *rec, char *why, size_t why_cap);

/* At startup: freezes every ended session that has no figures (at most max
 * per call). *n gets how many; failures are logged and skipped. */
int ledger_backfill(const struct store_ops *ops, struct store *st, int max, int *n);

/* The bilan's report: the frozen rows of ended sessions; the open session
 * from live when it is live's (the server), else from its own lines (an
 * admin command while the server runs); the personal total. 0, or -1 with
 * why. Free out with account_report_free. */
int ledger_report(const struct store_ops *ops, struct store *st, const char *bilan, const struct ledger_live *live,
                  int64_t now_ms, struct acc_report *out, char *why, size_t why_cap);

/* Writes the export of bilan (docs/JOURNAL.md, format 2) to f, streaming:
 * any size. 0, or -1 with why. */
int ledger_export(const struct store_ops *ops, struct store *st, const char *bilan, FILE *f, char *why,
                  size_t why_cap);

#endif
