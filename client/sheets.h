/* sheets.h: one bilan's worksheets on this device (docs/WORKSHEETS.md,
 * PROTOCOL.md §10.5): the replica of its operations kept in client.db
 * (ks_sheets.h), loaded into a bp_ws_replica with the real rules (the
 * built-in templates, each author's role), the local edits made into
 * operations, the operations that came from the server, and what the CLI
 * and the window read (sheets, values, conflicts).
 *
 * Owns: turning an edit into an operation (a fresh op id, the field's heads
 * as parents, the bilan's hybrid clock, this device as author), the check of
 * an edit before it is stored (French sentences for people), the roles the
 * rules answer for each author, and the sheets' index (which sheets the
 * replica holds, what is pending).
 * Must never: talk to the network, seal or open anything (the caller does:
 * it hands plaintext it already opened and checked), or drop an operation it
 * stored (a refused remote operation is kept, not applied, as the merge
 * says). An operation is in client.db before it is in the replica: a crash
 * between the two loses nothing.
 *
 * Several processes may share client.db (the room and a `bilan sheet`
 * command): each sheets object sees what was stored when it was opened,
 * plus its own changes; an edit made on a stale view only adds a head (a
 * conflict kept, never a value lost).
 *
 * One thread at a time: a sheets object is not locked.
 *
 * Return convention: 0 on success, a negative BP_E_* on failure with a
 * French sentence in why (cap bytes); functions without why report through
 * ks_error of the key store. */
#ifndef CLIENT_SHEETS_H
#define CLIENT_SHEETS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "bp/bp.h"
#include "bp/ws_merge.h"
#include "bp/ws_op.h"
#include "bp/ws_template.h"
#include "keystore.h"
#include "ws_templates.h"

#define SHEETS_ID_LEN BP_WS_OPID_LEN /* a sheet or op id in base64url: 22 characters */
#define SHEETS_HELD 1          /* sheets_apply_remote: stored, but the rules do not apply it */
#define SHEETS_DEVICES_MAX 256 /* distinct authors one replica knows the role of */

struct sheets;

/* Loads every stored operation of (server_id, bilan) into a replica with the
 * real rules (the bilan need not be in the bilans table: the rows are keyed
 * by (server_id, bilan) alone). self_role: enum bp_role of this device in the bilan
 * (BP_ROLE_CONSULTANT or BP_ROLE_BENEFICIARY). ks is borrowed and must
 * outlive *out. 0 and *out, or a negative BP_E_* with why. */
int sheets_open(struct keystore *ks, long long server_id, const char *bilan,
                const uint8_t self_fp[BP_FP_LEN], int self_role, struct sheets **out, char *why,
                size_t cap);
void sheets_close(struct sheets *s);

/* ---- local edits ----
 * Each makes one operation (hybrid clock persisted per bilan, parents = the
 * field's current heads, device = self), checks it with the real rules
 * (templates and this device's role), stores it PENDING (no seq yet) and
 * applies it to the replica. French error in why ("le champ « x » n'existe
 * pas dans « Récit de parcours » : les champs sont ..."). */
/* A new sheet's id never starts with '-' (people type it on command lines). */
int sheets_new(struct sheets *s, const char *template_id, char sheet_id_out[SHEETS_ID_LEN + 1],
               char *why, size_t cap);
/* value: JSON null (empty), or what the field's kind takes (not taken).
 * Resolving a conflict is this call: its parents are all the heads. */
int sheets_set(struct sheets *s, const char *sheet_id, const char *field, const json_t *value,
               char *why, size_t cap);
int sheets_delete(struct sheets *s, const char *sheet_id, char *why, size_t cap);

/* ---- sync (the caller seals, pushes, pulls and opens) ---- */

/* Calls cb for each pending operation in the order it was made, with its
 * op id (16 raw bytes), its sheet (base64url) and its canonical JSON (the
 * plaintext to seal; valid during the call). Stops when cb returns non-zero
 * and returns that value; else 0, or a negative BP_E_*. cb must not change
 * s (mark the pushes after the walk, as their replies come). */
int sheets_pending_each(struct sheets *s,
                        int (*cb)(void *arg, const uint8_t op[16],
                                  const char sheet_b64[SHEETS_ID_LEN + 1], const char *json,
                                  size_t len),
                        void *arg);
/* The server stored op as seq (sheet_pushed): it is no longer pending.
 * 0 (also when op was already marked, or is unknown), or a negative BP_E_*. */
int sheets_mark_pushed(struct sheets *s, const uint8_t op[16], long long seq);
/* The highest seq applied from the server (0: none), persisted per bilan. */
long long sheets_after(const struct sheets *s);
/* Sets it (never lowers it: a smaller seq is ignored). 0 or a negative BP_E_*. */
int sheets_set_after(struct sheets *s, long long seq);

/* An operation from the server, already opened and checked by the caller
 * (seal, op/sheet/author match, PROTOCOL.md §10.5): parsed, its author's
 * role checked (the first role stored for a device stays its role; this
 * device is always self_role), stored with its seq, applied; the clock
 * takes its stamp and `after` moves to seq.
 * Returns 0 when applied or already held (our own op coming back is marked
 * pushed), SHEETS_HELD when it is stored but the rules hold it (unknown
 * field, a value that does not fit, a role not among the editors, no create
 * yet: why says which), or a negative BP_E_* when it is refused and not
 * stored (does not parse, ids or author differ from those given, the same
 * op id with other content, another role for a known device, the bilan's
 * bounds reached). Nothing but why is said: the caller reports, and
 * moves past a refused one with sheets_set_after (its seq is not stored). */
int sheets_apply_remote(struct sheets *s, long long seq, const uint8_t op[16],
                        const char *sheet_b64, const uint8_t author[BP_FP_LEN], int author_role,
                        const char *json, size_t len, char *why, size_t cap);

/* Crypto-shredding of the replica (PROTOCOL.md §10.5): deletes the
 * operations of every sheet of (server_id, bilan) not in keep (keep[i]:
 * base64url sheet ids), and every pending operation (a closed bilan takes
 * no push); nkeep 0: all of the bilan's worksheets data in client.db (its
 * operations and its sync state). The file's freed pages are zeroed
 * (secure_delete) and the WAL is checkpointed, so the text is gone from the
 * disk's file, not only from the tables. The document key is the caller's
 * (its own table). Close any sheets object of that bilan first (its replica
 * in memory would be stale). 0 or a negative BP_E_* (ks_error). */
int sheets_shred(struct keystore *ks, long long server_id, const char *bilan,
                 const char *const *keep, size_t nkeep);

/* ---- reading (the CLI, the window) ---- */

/* One sheet of the replica, as a list shows it. */
struct sheets_info {
    char id[SHEETS_ID_LEN + 1];
    char tmpl[BP_WS_NAME_MAX + 1];  /* "" when only a delete is held */
    const struct bp_ws_template *t; /* NULL: a template this device does not ship */
    const char *title;              /* the template's title, or its id when unknown */
    char label[128];                /* what tells two copies apart: the first line of the
                                     * first text field set, cut at 120 bytes; "" when none */
    uint64_t created_ms;            /* the create's clock (Unix ms), 0 when unknown */
    int deleted;
    size_t pending;   /* operations of the sheet not yet sent */
    size_t conflicts; /* fields with more than one version kept */
};

/* Calls cb for each sheet (deleted ones only with with_deleted), oldest
 * created first; stops when cb returns non-zero. 0, or BP_E_NOMEM. */
int sheets_list(struct sheets *s, int with_deleted,
                int (*cb)(void *arg, const struct sheets_info *i), void *arg);
/* The sheet whose id is sheet_id or starts with it (a person may type a
 * unique prefix, 4 characters or more). 0 and out; -1 with why when none,
 * several, or the sheet is deleted. */
int sheets_find(struct sheets *s, const char *prefix, char out[SHEETS_ID_LEN + 1], char *why,
                size_t cap);
/* The sheet's info. 0, or KS_NOT_FOUND. */
int sheets_info(struct sheets *s, const char *sheet_id, struct sheets_info *out);
/* A new object field id -> current value (the winner's) of each field set
 * to a non-null value, or NULL when the sheet is unknown or memory ran out.
 * The caller json_decref's it. */
json_t *sheets_values(struct sheets *s, const char *sheet_id);
/* A new object field id -> array of the versions kept in a conflict, winner
 * first: {"value": v, "op": id, "device": fingerprint (43 chars), "role":
 * "consultant"|"beneficiary"|"", "ms": clock ms, "self": true|false}; only
 * fields in conflict (an empty object: none). NULL when the sheet is unknown
 * or memory ran out. */
json_t *sheets_conflicts(struct sheets *s, const char *sheet_id);
/* The field's heads, winner first (bp_ws_replica_heads). */
size_t sheets_heads(struct sheets *s, const char *sheet_id, const char *field,
                    const struct bp_ws_op **heads, size_t cap, int *conflict);

/* What the replica holds: the templates it checks against, this device's
 * role, the merge's replica itself (read only: digest, status), and how
 * many operations are pending. */
const struct ws_templates *sheets_templates(const struct sheets *s);
int sheets_self_role(const struct sheets *s);
struct bp_ws_replica *sheets_replica(struct sheets *s);
size_t sheets_pending_count(const struct sheets *s);

#endif
