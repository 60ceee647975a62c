/* store_sqlite_int.h: what the store_sqlite*.c files share, private to them.
 *
 * Owns struct store (one SQLite connection), the helpers every query uses
 * (sq_*, in store_sqlite_int.c: report a failure, prepare, run, step, copy a
 * column, read a sessions row, which the journal and receipts files both
 * read), and the names of the domain tables that store_sqlite.c assembles
 * into store_sqlite.
 *
 * Must never: be included outside server/store_sqlite*.c (the rest of the
 * server sees only store.h). */
#ifndef SERVER_STORE_SQLITE_INT_H
#define SERVER_STORE_SQLITE_INT_H

#include <stddef.h>

#include <sqlite3.h>

#include "store.h"

struct store {
    sqlite3 *db;
};

/* Logs what failed with SQLite's message; returns BP_E_INTERNAL. */
int sq_fail(struct store *s, const char *what);
/* Prepares sql into *st (NULL on failure): 0 or BP_E_INTERNAL, logged. */
int sq_prep(struct store *s, const char *sql, sqlite3_stmt **st);
/* Runs sql without rows: 0 or BP_E_INTERNAL, logged. */
int sq_exec(struct store *s, const char *sql);
/* Steps a statement expected to finish without rows and finalizes it: 0,
 * STORE_E_EXISTS on a unique or primary key clash, or BP_E_INTERNAL. */
int sq_done(struct store *s, sqlite3_stmt *st, const char *what);
/* Copies a text column into out (cap bytes, always terminated, cut if longer;
 * "" for NULL). */
void sq_copy_text(sqlite3_stmt *st, int col, char *out, size_t cap);

/* The columns of a sessions row in the order sq_read_session reads them. */
#define SQ_SESSION_COLS "id, bilan, phase, opened_ms, closed_ms, ifnull(close_reason, ''), ifnull(rules, 0), " \
                        "end_ms, ifnull(closed_in_journal, 0), ifnull(face_to_face_ms, 0), ifnull(interruptions, 0)"
void sq_read_session(sqlite3_stmt *st, struct store_session *o);
/* Hands each row of st (a prepared and bound SELECT of SQ_SESSION_COLS) to
 * cb; a non-zero cb return stops and is returned. Finalizes st; a failed
 * step is logged under what and is BP_E_INTERNAL. */
int sq_each_session(struct store *s, sqlite3_stmt *st, store_session_cb cb, void *arg, const char *what);

/* The domains, one file each. */
extern const struct store_identity_ops store_sqlite_identity;
extern const struct store_bilan_ops store_sqlite_bilans;
extern const struct store_journal_ops store_sqlite_journal;
extern const struct store_receipt_ops store_sqlite_receipts;
extern const struct store_worksheet_ops store_sqlite_worksheets;

#endif
