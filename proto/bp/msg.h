/* msg.h: control messages (PROTOCOL.md §3): their types in each direction,
 * the parse that validates one against its schema (msg.c), and accessors
 * for validated messages. Field kinds and their checks: bp/fields.h.
 *
 * Must never: keep a pointer to a caller's buffer, or accept a message its
 * schema refuses. */
#ifndef BP_MSG_H
#define BP_MSG_H

#include <stddef.h>

#include <jansson.h>

#include "bp/err.h"
#include "bp/limits.h"

enum bp_dir { BP_TO_SERVER = 1, BP_TO_CLIENT = 2 };

/* Types in each direction. Values are stable only inside one build. */
enum bp_type {
    BP_T_NONE = 0,
    /* client -> server */
    BP_T_HELLO, BP_T_ENROL, BP_T_AUTH, BP_T_BILAN_CREATE, BP_T_INVITE_CREATE,
    BP_T_BILAN_LIST, BP_T_JOIN, BP_T_LEAVE, BP_T_STATS, BP_T_KEYFRAME_WANT, BP_T_CLOCK,
    /* server -> client */
    BP_T_CHALLENGE, BP_T_WELCOME, BP_T_BILAN_CREATED, BP_T_INVITE_CREATED,
    BP_T_BILANS, BP_T_JOINED, BP_T_MEMBER_JOINED, BP_T_MEMBER_LEFT, BP_T_LEFT,
    BP_T_STATS_REPLY, BP_T_KEYFRAME_REQUEST, BP_T_CLOCK_REPLY, BP_T_MEDIA_REPORT, BP_T_ERROR,
    /* end-to-end relay (PROTOCOL.md §8.1): e2e {to?, body} client -> server,
     * e2e {from, device, body} server -> client */
    BP_T_E2E, BP_T_E2E_RELAY,
    /* sessions, hours and receipts (PROTOCOL.md §9) */
    BP_T_SESSION_OPEN, BP_T_SESSION_CLOSE, BP_T_HOURS, BP_T_PERSONAL_DECLARE, BP_T_RECEIPT,
    BP_T_SESSION_OPENED, BP_T_SESSION_CLOSED, BP_T_HOURS_REPORT, BP_T_PERSONAL_DECLARED,
    BP_T_HOURS_UPDATE, BP_T_BUDGET_WARNING, BP_T_SESSION_RECORD, BP_T_RECEIPT_OK,
    /* a signed refusal to sign a record (PROTOCOL.md §9.3) and its ack */
    BP_T_RECEIPT_REFUSAL, BP_T_RECEIPT_REFUSED,
    /* flow control of a sender's data (PROTOCOL.md §4 "Queues"): server -> client */
    BP_T_FLOW,
    /* worksheets' sealed operations (PROTOCOL.md §10): sheet_push, sheet_pull
     * client -> server; sheet_pushed, sheet_ops server -> client */
    BP_T_SHEET_PUSH, BP_T_SHEET_PULL, BP_T_SHEET_PUSHED, BP_T_SHEET_OPS,
    /* the document key's wraps, the consent, the close (PROTOCOL.md §10.2-10.4):
     * four requests, then their replies */
    BP_T_SHEET_KEY_PUT, BP_T_SHEET_KEY_GET, BP_T_SHEET_CONSENT, BP_T_BILAN_CLOSE,
    BP_T_SHEET_KEY_STORED, BP_T_SHEET_KEYS, BP_T_SHEET_CONSENTED, BP_T_BILAN_CLOSED,
    BP_T__COUNT
};

/* Parses a text message of len bytes and validates it against the schema of
 * its type for direction dir. On success returns 0, sets *type and *root (the
 * caller owns *root and json_decref()s it). On failure returns a negative
 * code, fills *e, sets *root = NULL; *ref_out (if not NULL, BP_REF_MAX+1
 * bytes) receives the message's "ref" when one could be read, else "".
 * Unknown fields are ignored. Duplicate keys are bad_json. */
int bp_msg_parse(const char *buf, size_t len, enum bp_dir dir, enum bp_type *type,
                 json_t **root, struct bp_verr *e, char *ref_out);
/* Wire name of a type ("hello"), or NULL. */
const char *bp_type_name(enum bp_type t);
/* Validates an already-built object (used before sending, and by tests). */
int bp_msg_validate(const json_t *obj, enum bp_dir dir, enum bp_type *type, struct bp_verr *e);

/* Field accessors for validated messages: the schema guarantees presence and
 * type of required fields, so these never fail for them. Optional fields
 * return the default given. Strings point into root; valid while it lives. */
const char *bp_str(const json_t *root, const char *key, const char *dflt);
long long bp_int(const json_t *root, const char *key, long long dflt);

#endif
