/* store.h: the server's persistent state behind one table of operations.
 *
 * Owns the contract between the server's logic and its database: consultants,
 * enrolment tokens, bilans, invites, devices, bilan members and settings.
 * store_sqlite.c implements it on one SQLite file; a PostgreSQL store later is
 * a second `const struct store_ops`, not a rewrite. Tokens are only ever seen
 * here as their SHA-256: no operation takes or returns a token.
 *
 * Conventions: every operation returns 0 or a negative code: BP_E_* where the
 * outcome is a protocol answer (BP_E_UNKNOWN_TOKEN, BP_E_UNKNOWN_DEVICE,
 * BP_E_UNKNOWN_BILAN...), STORE_E_* for admin-side outcomes, and BP_E_INTERNAL
 * when the database failed (the store has logged why). Times are Unix seconds
 * passed in by the caller. Strings handed back are copied into the caller's
 * structs; nothing returned points into the store. */
#ifndef SERVER_STORE_H
#define SERVER_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "bp/bp.h"
#include "account.h"
#include "bp/record.h"
#include "room.h"

#define STORE_API_VERSION 4

/* Admin-side outcomes (not wire codes). */
#define STORE_E_EXISTS (-101)    /* a consultant with that name exists */
#define STORE_E_NOTFOUND (-102)  /* no consultant / setting with that name */
#define STORE_E_NODB (-103)      /* open without create found no database */
#define STORE_E_VERSION (-104)   /* the database was made by a newer server */

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

struct store_ops {
    int api_version;                  /* STORE_API_VERSION */
    const char *name;

    /* Opens (with create: creates) the database at path and brings its schema
     * up to date. *out is set only on success; the caller closes it. why gets
     * a human reason on failure. */
    int (*open)(const char *path, int create, struct store **out, char *why, size_t why_len);
    /* Closes and frees s; NULL is fine. */
    void (*close)(struct store *s);
    /* Schema version of the open database (tests, diagnostics). */
    int (*schema_version)(struct store *s);

    /* Transactions group the read-check-write of a redemption so that two
     * processes (server and admin command) cannot both redeem one token.
     * begin takes the write lock at once. */
    int (*begin)(struct store *s);
    int (*commit)(struct store *s);
    void (*rollback)(struct store *s);

    int (*setting_get)(struct store *s, const char *key, char *out, size_t cap); /* or STORE_E_NOTFOUND */
    int (*setting_set)(struct store *s, const char *key, const char *value);

    int (*consultant_add)(struct store *s, const char *name, int64_t now, int64_t *id); /* or STORE_E_EXISTS */
    int (*consultant_find)(struct store *s, const char *name, int64_t *id);         /* or STORE_E_NOTFOUND */
    int (*consultant_name)(struct store *s, int64_t id, char name[BP_NAME_MAX + 1]);
    int (*consultant_count)(struct store *s, int64_t *n);
    /* Calls cb for each consultant by name; a non-zero cb return stops and is returned. */
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
    int (*token_mark_used)(struct store *s, enum store_token_kind kind, const uint8_t hash[32],
                           const char *fp, int64_t now);

    int (*device_get)(struct store *s, const char *fp, struct store_device *out); /* or BP_E_UNKNOWN_DEVICE */
    int (*device_add)(struct store *s, const struct store_device *d, int64_t now);

    int (*bilan_add)(struct store *s, const struct store_bilan *b, int64_t now); /* STORE_E_EXISTS on id clash */
    int (*bilan_get)(struct store *s, const char *id, struct store_bilan *out);  /* or BP_E_UNKNOWN_BILAN */
    /* Bilans the device may join (owned by its consultant, or where it is a
     * member), newest first, at most max; role set per bilan. */
    int (*bilans_for_device)(struct store *s, const struct store_device *d, int max,
                             store_bilan_cb cb, void *arg);
    int (*member_add)(struct store *s, const char *bilan, const char *fp, enum bp_role role, int64_t now);
    /* The device's role in that bilan as a member, or BP_E_NOT_MEMBER. */
    int (*member_role)(struct store *s, const char *bilan, const char *fp, enum bp_role *role);
    /* How many devices are members of bilan with role (PROTOCOL.md §3.2:
     * beneficiary_devices). */
    int (*members_count)(struct store *s, const char *bilan, enum bp_role role, int64_t *n);

    /* ---- Sessions, journal, receipts, budget warnings (schema 2) ---- */
    /* Bilans owned by a consultant, by id. */
    int (*bilans_of_consultant)(struct store *s, int64_t consultant_id, store_bilan_cb cb, void *arg);
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
    /* Appends one journal line (the journal is append-only: the schema
     * refuses UPDATE and DELETE on it); e->seq and e->ev.seq are set. A
     * `personal` line also adds its seconds to the bilan's personal total,
     * atomically. Autocommit unless inside begin/commit. */
    int (*journal_append)(struct store *s, struct store_jev *e);
    /* A bilan's journal lines in append order; with session non-NULL only
     * that session's. */
    int (*journal_of_bilan)(struct store *s, const char *bilan, const char *session, store_jev_cb cb,
                            void *arg);
    /* Inserts or replaces the device's receipt for the session. */
    int (*receipt_put)(struct store *s, const struct store_receipt *r);
    int (*receipts_of_session)(struct store *s, const char *session, store_receipt_cb cb, void *arg);
    /* Closed sessions of bilan (closed_ms set: closed, emptied, shutdown or
     * server_restart) with a `join` line of device (fingerprint, base64url)
     * and neither a receipt nor a refusal from it: the max most recently
     * opened, handed to cb oldest first. */
    int (*sessions_unsigned)(struct store *s, const char *bilan, const char *device, int max,
                             store_session_cb cb, void *arg);
    /* Records that bilan reached level % of its budget: 0 the first time,
     * STORE_E_EXISTS afterwards. */
    int (*budget_warning_add)(struct store *s, const char *bilan, int level, int64_t t_ms);

    /* ---- Frozen session figures, personal total, refusals (schema 3) ---- */
    /* Stores a session's figures and record (once: STORE_E_EXISTS if it has
     * them already, so a record is never rewritten). */
    int (*session_figures_put)(struct store *s, const struct store_session_figures *f);
    /* The stored record JSON of a session (malloc'd, the caller frees), or
     * STORE_E_NOTFOUND when it has none yet. */
    int (*session_record_get)(struct store *s, const char *id, char **json);
    /* Ended sessions without figures (a close that could not store them,
     * sessions of an older server), at most max, oldest first. */
    int (*sessions_without_figures)(struct store *s, int max, store_session_cb cb, void *arg);
    /* Sum of the bilan's personal declarations, in ms (kept by journal_append). */
    int (*bilan_personal_ms)(struct store *s, const char *bilan, int64_t *ms);
    /* Stores a refusal (STORE_E_EXISTS if that device already refused). */
    int (*refusal_put)(struct store *s, const struct store_refusal *r);
    int (*refusals_of_session)(struct store *s, const char *session, store_refusal_cb cb, void *arg);
};

extern const struct store_ops store_sqlite;

#endif
