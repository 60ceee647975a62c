/* store.h: the server's persistent state behind const tables of operations.
 *
 * Owns the contract between the server's logic and its database, cut by
 * domain: a base (open, close, transactions, settings) and one table per
 * domain (identity, bilans, journal, receipts), reached from the base table
 * (ops->identity->device_get). A backend is one `const struct store_ops` and
 * its domain tables: store_sqlite*.c implement them on one SQLite file; a
 * PostgreSQL store later is a second set of tables, not a rewrite. Tokens are
 * only ever seen here as their SHA-256: no operation takes or returns a token.
 *
 * Opening goes through store_open(), which first checks with store_ops_check()
 * that the table is of this API version and that no operation of any domain
 * is missing: a backend without one fails at open, naming it, rather than
 * crashing on the first call. store_backend() is the one place that picks a
 * backend by name.
 *
 * Conventions: every operation returns 0 or a negative code: BP_E_* where the
 * outcome is a protocol answer (BP_E_UNKNOWN_TOKEN, BP_E_UNKNOWN_DEVICE,
 * BP_E_UNKNOWN_BILAN...), STORE_E_* for admin-side outcomes, and BP_E_INTERNAL
 * when the database failed (the store has logged why). Times are Unix seconds
 * passed in by the caller. Strings handed back are copied into the caller's
 * structs; nothing returned points into the store. Callbacks (store_*_cb) are
 * called during the operation, with structs that live only for that call; a
 * non-zero return stops the walk and is returned.
 *
 * To add a domain (as worksheets was):
 *   1. here: its structs, `struct store_X_ops { ... }` (function
 *      pointers only), and `const struct store_X_ops *X;`
 *      appended to struct store_ops; bump STORE_API_VERSION;
 *   2. store.c: its list of operation names (STORE_X_OPS) and one
 *      line in store_ops_check (the build fails until every member is listed);
 *   3. each backend: its migration (store_sqlite.c), its operations
 *      (store_sqlite_X.c), the pointer in the backend's store_ops;
 *   4. tests/unit/server/test_store.c: its part of the contract. */
#ifndef SERVER_STORE_H
#define SERVER_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "bp/bp.h"
#include "account.h"
#include "bp/record.h"
#include "bp/ws_consent.h"
#include "bp/ws_seal.h"
#include "room.h"

/* 5: operations grouped by domain (struct store_ops points to one table per
 * domain). 6: the worksheets domain. 7: worksheets' sheets and roles, key
 * wraps, consent, close and purge (PROTOCOL.md §10.1-10.4). */
#define STORE_API_VERSION 7

/* Admin-side outcomes (not wire codes). */
#define STORE_E_EXISTS (-101)    /* a consultant with that name exists */
#define STORE_E_NOTFOUND (-102)  /* no consultant / setting with that name */
#define STORE_E_NODB (-103)      /* open without create found no database */
#define STORE_E_VERSION (-104)   /* the database was made by a newer server */
#define STORE_E_BACKEND (-105)   /* the backend's table is incomplete or of another version */

#define STORE_FP_B64 (BP_B64_32 + 1)

struct store;   /* opaque, one per open database */

struct store_device {
    char fp[STORE_FP_B64];            /* fingerprint, base64url */
    uint8_t sign_pub[BP_KEY_LEN];
    uint8_t dh_pub[BP_KEY_LEN];
    enum bp_role role;
    int64_t consultant_id;            /* 0 for beneficiary devices */
    char name[BP_NAME_MAX + 1];       /* device name, may be empty */
};

enum store_token_kind { STORE_TOKEN_ENROL = 1, STORE_TOKEN_INVITE = 2 };

struct store_token {
    enum store_token_kind kind;
    int64_t consultant_id;            /* enrolment tokens */
    char bilan[BP_ID_MAX + 1];        /* invites */
    enum bp_role role;                   /* role the token grants */
    int64_t expires;
    char used_by[STORE_FP_B64];       /* "" while unused */
    int replaced;                     /* invites: a newer invite of the same bilan and role
                                       * was made while this one was valid (revoked, if
                                       * unused) */
};

struct store_bilan {
    char id[BP_ID_MAX + 1];
    char label[BP_LABEL_MAX + 1];
    int64_t owner_id;
    int64_t budget_s;
    int64_t created;
    enum bp_role role;                   /* filled by bilans_for_device */
    /* The close (PROTOCOL.md §10.4): 0 while open / not purged; sheets_kept
     * is the JSON array of the sheet ids kept at the close ("" when none or
     * after the purge). */
    int64_t closed, purged;
    char sheets_kept[BP_WS_CONSENT_SHEETS * (BP_WS_SHEET_B64 + 3) + 3];
};

struct store_consultant {
    int64_t id;
    char name[BP_NAME_MAX + 1];
    int64_t created;
    int64_t devices;
};

/* A session (PROTOCOL.md §9.1). closed_ms is -1 while open; close_reason
 * "closed", "empty", "shutdown", "server_restart" or "" while open.
 *
 * Figures: once a session has ended, the server computes its line of the
 * report from that session's journal lines, once, and stores it with the
 * record it sends to be signed (has_figures). Reports and receipts then
 * read those, never the journal again: a later change of the counting rules
 * never rewrites a closed session. rules is the version of the rules that
 * made them (PROTOCOL.md §9.4): 2 today; 1 for a session closed before
 * journal format 2, whose journal_sha256 is over format 1 lines. */
struct store_session {
    char id[BP_ID_MAX + 1];
    char bilan[BP_ID_MAX + 1];
    int phase;                        /* enum bp_phase */
    int64_t opened_ms, closed_ms;
    char close_reason[16];
    int rules;                        /* 0 while unknown (open), else 1 or 2 */
    int has_figures;
    int64_t end_ms;                   /* report end: the close, or the last event */
    int closed_in_journal;            /* the journal has its session_close */
    int64_t face_to_face_ms;
    int64_t interruptions;
};

/* What session_figures_put stores. record is the session record's JSON text
 * exactly as sent to be signed (PROTOCOL.md §9.4). */
struct store_session_figures {
    char id[BP_ID_MAX + 1];
    int rules;
    int64_t end_ms;
    int closed_in_journal;
    int64_t face_to_face_ms;
    int64_t interruptions;
    const char *record;
};

/* A device's signed refusal to sign a session record (PROTOCOL.md §9.3). */
struct store_refusal {
    char session[BP_ID_MAX + 1];
    char device[STORE_FP_B64];
    char reason[BP_REASON_MAX + 1];
    uint8_t sig[BP_SIG_LEN];
    int64_t stored_ms;
};

/* One journal line (docs/JOURNAL.md) as stored: ev.session is "" for
 * personal, ev.line is unused (0); note only on personal (never logged).
 * ev.seq is the line's sequence number (set by journal_append). */
#define STORE_NOTE_MAX 200
struct store_jev {
    int64_t seq;                      /* append order, filled by the store */
    char bilan[BP_ID_MAX + 1];
    struct acc_event ev;
    char note[STORE_NOTE_MAX + 1];
};

/* A stored attendance receipt (PROTOCOL.md §9.3). */
struct store_receipt {
    char session[BP_ID_MAX + 1];
    char device[STORE_FP_B64];
    int64_t received_audio_ms;
    int sas_verified;
    uint8_t sig[BP_SIG_LEN];
    int64_t stored_ms;
};

typedef int (*store_bilan_cb)(void *arg, const struct store_bilan *b);
typedef int (*store_session_cb)(void *arg, const struct store_session *s);
typedef int (*store_jev_cb)(void *arg, const struct store_jev *e);
typedef int (*store_receipt_cb)(void *arg, const struct store_receipt *r);
typedef int (*store_refusal_cb)(void *arg, const struct store_refusal *r);
typedef int (*store_consultant_cb)(void *arg, const struct store_consultant *c);

typedef int (*store_bilan_cb)(void *arg, const struct store_bilan *b);
typedef int (*store_session_cb)(void *arg, const struct store_session *s);
typedef int (*store_jev_cb)(void *arg, const struct store_jev *e);
typedef int (*store_receipt_cb)(void *arg, const struct store_receipt *r);
typedef int (*store_refusal_cb)(void *arg, const struct store_refusal *r);
typedef int (*store_consultant_cb)(void *arg, const struct store_consultant *c);

/* Identity: who is who, and the tokens that make a device someone.
 * Consultants, their devices and beneficiaries' devices, enrolment tokens and
 * invites. Invites live here with enrolment tokens, not with bilans, because
 * they are credentials: token_get finds either kind by its hash, and a
 * redemption (auth.c) is one transaction over these tables. */
struct store_identity_ops {
    int (*consultant_add)(struct store *s, const char *name, int64_t now, int64_t *id); /* or STORE_E_EXISTS */
    int (*consultant_find)(struct store *s, const char *name, int64_t *id);         /* or STORE_E_NOTFOUND */
    int (*consultant_name)(struct store *s, int64_t id, char name[BP_NAME_MAX + 1]);
    int (*consultant_count)(struct store *s, int64_t *n);
    /* Calls cb for each consultant by name. */
    int (*consultant_list)(struct store *s, store_consultant_cb cb, void *arg);

    int (*enrol_token_add)(struct store *s, int64_t consultant_id, const uint8_t hash[32],
                           int64_t now, int64_t expires);
    int (*invite_add)(struct store *s, const char *bilan, enum bp_role role, const uint8_t hash[32],
                      int64_t now, int64_t expires);
    /* Revokes the unused, unexpired invites of bilan for role (their expiry
     * becomes now): called before invite_add in the same transaction, so that
     * reprinting an invite leaves one link that works. *n = how many. */
    int (*invites_revoke)(struct store *s, const char *bilan, enum bp_role role, int64_t now,
                          int64_t *n);
    /* Looks a token hash up in both tables; BP_E_UNKNOWN_TOKEN if in neither. */
    int (*token_get)(struct store *s, const uint8_t hash[32], struct store_token *out);
    /* BP_E_TOKEN_USED if someone else marked it first. */
    int (*token_mark_used)(struct store *s, enum store_token_kind kind, const uint8_t hash[32],
                           const char *fp, int64_t now);

    /* fp may point into *out. */
    int (*device_get)(struct store *s, const char *fp, struct store_device *out); /* or BP_E_UNKNOWN_DEVICE */
    int (*device_add)(struct store *s, const struct store_device *d, int64_t now);
};

/* Bilans: what a device may join. The bilans, their owners and their
 * members, read on every join and every welcome. */
struct store_bilan_ops {
    int (*bilan_add)(struct store *s, const struct store_bilan *b, int64_t now); /* STORE_E_EXISTS on id clash */
    int (*bilan_get)(struct store *s, const char *id, struct store_bilan *out);  /* or BP_E_UNKNOWN_BILAN */
    /* Bilans the device may join (owned by its consultant, or where it is a
     * member), newest first, at most max; role set per bilan. */
    int (*bilans_for_device)(struct store *s, const struct store_device *d, int max,
                             store_bilan_cb cb, void *arg);
    /* Bilans owned by a consultant, by id. */
    int (*bilans_of_consultant)(struct store *s, int64_t consultant_id, store_bilan_cb cb, void *arg);
    /* Adding an existing member again changes nothing. */
    int (*member_add)(struct store *s, const char *bilan, const char *fp, enum bp_role role, int64_t now);
    /* The device's role in that bilan as a member, or BP_E_NOT_MEMBER. */
    int (*member_role)(struct store *s, const char *bilan, const char *fp, enum bp_role *role);
    /* How many devices are members of bilan with role (PROTOCOL.md §3.2:
     * beneficiary_devices). */
    int (*members_count)(struct store *s, const char *bilan, enum bp_role role, int64_t *n);
};

/* Journal: the counted hours. Sessions, the append-only journal of presence
 * lines, each ended session's figures and record frozen once, the personal
 * total kept with the journal, and budget warnings: everything the hours
 * report reads (ledger.c) and the attendance writes (attendance.c). */
struct store_journal_ops {
    int (*session_add)(struct store *s, const struct store_session *ss);
    /* Marks an open session ended (closed_ms, reason). */
    int (*session_end)(struct store *s, const char *id, int64_t closed_ms, const char *reason);
    int (*session_get)(struct store *s, const char *id, struct store_session *out); /* or STORE_E_NOTFOUND */
    /* Sessions of a bilan by opened_ms. */
    int (*sessions_of_bilan)(struct store *s, const char *bilan, store_session_cb cb, void *arg);
    /* At startup: every session still open is marked ended with reason
     * "server_restart" and closed_ms = its last journal t. Writes nothing in
     * the journal. *n = how many. */
    int (*sessions_end_open)(struct store *s, int64_t *n);
    /* Every session still open (closed_ms unset), by opened_ms: at startup,
     * the sessions the last run left open (attendance_resume_all). */
    int (*sessions_open)(struct store *s, store_session_cb cb, void *arg);
    /* Appends one journal line (the journal is append-only: no operation
     * changes or removes a line, and the SQLite schema refuses UPDATE and
     * DELETE on it); e->seq and e->ev.seq are set. A `personal` line also
     * adds its seconds to the bilan's personal total, atomically: no line
     * without its total. Autocommit unless inside begin/commit. */
    int (*journal_append)(struct store *s, struct store_jev *e);
    /* A bilan's journal lines in append order; with session non-NULL only
     * that session's. */
    int (*journal_of_bilan)(struct store *s, const char *bilan, const char *session, store_jev_cb cb,
                            void *arg);
    /* Stores a session's figures and record (once: STORE_E_EXISTS if it has
     * them already, so a record is never rewritten). */
    int (*session_figures_put)(struct store *s, const struct store_session_figures *f);
    /* The stored record JSON of a session (malloc'd, the caller frees), or
     * STORE_E_NOTFOUND when it has none yet. */
    int (*session_record_get)(struct store *s, const char *id, char **json);
    /* Ended sessions without figures (a close that could not store them,
     * sessions of an older server), at most max, oldest first. */
    int (*sessions_without_figures)(struct store *s, int max, store_session_cb cb, void *arg);
    /* Sum of the bilan's personal declarations, in ms (kept by
     * journal_append), or BP_E_UNKNOWN_BILAN. */
    int (*bilan_personal_ms)(struct store *s, const char *bilan, int64_t *ms);
    /* Records that bilan reached level % of its budget: 0 the first time,
     * STORE_E_EXISTS afterwards. */
    int (*budget_warning_add)(struct store *s, const char *bilan, int level, int64_t t_ms);
};

/* Receipts: what participants signed about a session. Attendance receipts,
 * signed refusals, and which ended sessions still wait for a device's
 * signature (asked at each join). */
struct store_receipt_ops {
    /* Inserts or replaces the device's receipt for the session. */
    int (*receipt_put)(struct store *s, const struct store_receipt *r);
    int (*receipts_of_session)(struct store *s, const char *session, store_receipt_cb cb, void *arg);
    /* Stores a refusal (STORE_E_EXISTS if that device already refused). */
    int (*refusal_put)(struct store *s, const struct store_refusal *r);
    int (*refusals_of_session)(struct store *s, const char *session, store_refusal_cb cb, void *arg);
    /* Closed sessions of bilan (closed_ms set: closed, emptied, shutdown or
     * server_restart) with a `join` line of device (fingerprint, base64url)
     * and neither a receipt nor a refusal from it: the max most recently
     * opened, handed to cb oldest first. */
    int (*sessions_unsigned)(struct store *s, const char *bilan, const char *device, int max,
                             store_session_cb cb, void *arg);
};

/* ---- worksheets (PROTOCOL.md §10): sealed operations the server cannot
 * read, kept in the order it gave them ---- */
struct store_sheet_op {
    char bilan[BP_ID_MAX + 1];
    int64_t seq;                 /* 1, 2, ... in the bilan: the server's order */
    uint8_t op[BP_WS_OPID_RAW];  /* the author's id for it */
    char author[STORE_FP_B64];   /* the pushing device's fingerprint, base64url */
    char sheet[BP_WS_SHEET_B64 + 1]; /* the sheet it belongs to (base64url), seen by the server */
    enum bp_role role;           /* the author's role in the bilan when it pushed */
    const uint8_t *sealed;       /* borrowed: valid during the call or callback */
    size_t sealed_len;
    int64_t stored_ms;
};
typedef int (*store_sheet_op_cb)(void *arg, const struct store_sheet_op *o);

/* A wrap of the bilan's document key from one device to another (§10.2).
 * sheet_wraps_to also fills the maker's enrolled public keys. */
struct store_sheet_wrap {
    char bilan[BP_ID_MAX + 1];
    char from[STORE_FP_B64], to[STORE_FP_B64];
    uint8_t wrap[BP_WS_WRAP_LEN];
    uint8_t from_sign_pub[BP_KEY_LEN], from_dh_pub[BP_KEY_LEN];
    int64_t stored_ms;
};
typedef int (*store_sheet_wrap_cb)(void *arg, const struct store_sheet_wrap *w);

/* The beneficiary's latest signed consent (§10.3), kept as it came. */
struct store_sheet_consent {
    char bilan[BP_ID_MAX + 1];
    char device[STORE_FP_B64];
    char statement[BP_WS_CONSENT_MAX + 1];
    uint8_t sig[BP_SIG_LEN];
    int64_t at;                  /* the statement's own `at` */
    int64_t stored_ms;
};

/* What a close or a purge removed and kept (§10.4). */
struct store_sheet_counts {
    int64_t deleted_ops, deleted_bytes, kept_ops, deleted_wraps, deleted_consents;
};

struct store_worksheet_ops {
    /* Appends o (bilan, op, author, sealed, stored_ms) with the next seq of
     * its bilan, written into o->seq. When the bilan already has that op id:
     * STORE_E_EXISTS, o->seq set to the stored one, *same 1 if the stored
     * author and bytes are o's (a repeat), 0 if not (a clash). */
    int (*sheet_op_put)(struct store *s, struct store_sheet_op *o, int *same);
    /* The operations of bilan with seq > after, in seq order, at most max. */
    int (*sheet_ops_after)(struct store *s, const char *bilan, int64_t after, int max, store_sheet_op_cb cb,
                           void *arg);
    /* How many operations bilan holds, and their sealed bytes. */
    int (*sheet_usage)(struct store *s, const char *bilan, int64_t *count, int64_t *bytes);

    /* The bilan's document key id (22 characters), or STORE_E_NOTFOUND
     * while it has none. */
    int (*sheet_kid_get)(struct store *s, const char *bilan, char kid[BP_WS_SHEET_B64 + 1]);
    /* Fixes the bilan's key id: 0, or STORE_E_EXISTS when it has one. */
    int (*sheet_kid_set)(struct store *s, const char *bilan, const char *kid);
    /* Stores w (bilan, from, to, wrap, stored_ms), replacing the wrap of
     * the same (from, to). BP_E_TOO_LARGE when the pair is new and the
     * bilan holds max wraps already. */
    int (*sheet_wrap_put)(struct store *s, const struct store_sheet_wrap *w, int max);
    /* The wraps of bilan addressed to device to, by maker, with the maker's keys. */
    int (*sheet_wraps_to)(struct store *s, const char *bilan, const char *to, store_sheet_wrap_cb cb,
                          void *arg);
    /* Stores c as the bilan's consent, replacing the earlier one. */
    int (*sheet_consent_put)(struct store *s, const struct store_sheet_consent *c);
    /* The bilan's consent, or STORE_E_NOTFOUND. */
    int (*sheet_consent_get)(struct store *s, const char *bilan, struct store_sheet_consent *out);
    /* Closes bilan at closed (Unix seconds): marks it, deletes every
     * operation whose sheet is not in kept (n ids, base64url); with n == 0
     * also deletes the key wraps, the key id and the consent. *out counts.
     * BP_E_BILAN_CLOSED when it was closed already, BP_E_UNKNOWN_BILAN.
     * One transaction is the caller's (begin/commit). */
    int (*bilan_close)(struct store *s, const char *bilan, int64_t closed, const char (*kept)[BP_WS_SHEET_B64 + 1],
                       size_t n, struct store_sheet_counts *out);
    /* Bilans closed at or before closed_before and not purged yet, by id. */
    int (*bilans_to_purge)(struct store *s, int64_t closed_before, store_bilan_cb cb, void *arg);
    /* The purge of one closed bilan: deletes its operations, wraps, key id
     * and consent, and marks it purged at now. *out counts. */
    int (*bilan_purge)(struct store *s, const char *bilan, int64_t now, struct store_sheet_counts *out);
};

/* A backend: the base operations, which belong to no domain (the database's
 * life, transactions that span domains, server-wide settings), then one
 * table per domain. Every pointer is set: store_ops_check() says which is
 * not. */
struct store_ops {
    int api_version;                  /* STORE_API_VERSION */
    const char *name;                 /* "sqlite": in messages and store_backend() */

    /* Opens (with create: creates) the database at path and brings its schema
     * up to date. *out is set only on success; the caller closes it. why gets
     * a human reason on failure. Called through store_open() only. */
    int (*open)(const char *path, int create, struct store **out, char *why, size_t why_len);
    /* Closes and frees s; NULL is fine. */
    void (*close)(struct store *s);
    /* Schema version of the open database (tests, diagnostics). */
    int (*schema_version)(struct store *s);

    /* Transactions group the read-check-write of a redemption so that two
     * processes (server and admin command) cannot both redeem one token, and
     * span domains (a session's end and its journal line). begin takes the
     * write lock at once; a commit that fails has rolled back. */
    int (*begin)(struct store *s);
    int (*commit)(struct store *s);
    void (*rollback)(struct store *s);

    int (*setting_get)(struct store *s, const char *key, char *out, size_t cap); /* or STORE_E_NOTFOUND */
    int (*setting_set)(struct store *s, const char *key, const char *value);

    /* The domains: pointers only, after the base operations (store.c checks
     * this layout at build time). */
    const struct store_identity_ops *identity;
    const struct store_bilan_ops *bilans;
    const struct store_journal_ops *journal;
    const struct store_receipt_ops *receipts;
    const struct store_worksheet_ops *worksheets;
};

/* Checks that ops can be used by this server: of STORE_API_VERSION, with a
 * name, every base operation and every domain's every operation set. 0, or
 * STORE_E_BACKEND with why naming what is wrong, e.g. "store backend 'x':
 * operation journal.session_add is missing". */
int store_ops_check(const struct store_ops *ops, char *why, size_t why_len);

/* The one way to open a store: store_ops_check, then ops->open. Same
 * contract as ops->open. */
int store_open(const struct store_ops *ops, const char *path, int create, struct store **out, char *why,
               size_t why_len);

/* The backend called name, or the default one ("sqlite") when name is NULL
 * or empty. NULL for a name no backend of this build has, with why (may be
 * NULL) saying which exist. Chosen here only: store_backend.c lists the
 * backends compiled in. */
const struct store_ops *store_backend(const char *name, char *why, size_t why_len);

/* The backends compiled in. Server code picks one through store_backend();
 * tests of one backend's own format (test_store_sqlite.c) and tests that
 * wrap one name it. */
extern const struct store_ops store_sqlite;

#endif
