/* ws_merge.h: a worksheet replica in memory (docs/WORKSHEETS.md, "Merge"):
 * the set of operations it holds and the state they give: sheets (created,
 * template, deleted), and per field the heads, the winner, its value and
 * the versions kept in a conflict; the operations held but not applied,
 * and why.
 *
 * Owns: the merge rules. The state is a function of the set of operations
 * held only: any delivery order, repeats, parents that come after their
 * children give the same state (bp_ws_replica_digest compares replicas).
 * Must never: drop an operation it was given (every one stays, applied or
 * not), read a template itself (the rules below answer for the templates
 * and the devices' roles), or cost more than the operation's own parents,
 * children and heads per add (hash tables by op id, sheet and field); the
 * one exception is a sheet's create, which applies the sets that waited
 * for it (or, from a hostile device, re-applies the sheet's sets). */
#ifndef BP_WS_MERGE_H
#define BP_WS_MERGE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "bp/err.h"
#include "bp/ws_op.h"

/* Why a held operation is not applied (0: applied). */
enum bp_ws_skip {
    BP_WS_APPLIED = 0,
    BP_WS_NO_CREATE = 1,        /* a set whose sheet has no create (yet) */
    BP_WS_UNKNOWN_TEMPLATE = 2, /* the create names a template this device does not ship */
    BP_WS_UNKNOWN_FIELD = 3,    /* the template has no such field */
    BP_WS_BAD_VALUE = 4,        /* the value does not fit the field's kind */
    BP_WS_ROLE = 5,             /* the author's role is not among the field's editors */
};

/* What the merge asks about templates and devices. Both answers must
 * depend on their arguments only (never on time or on what was received
 * before), or replicas would disagree. */
struct bp_ws_rules {
    void *ctx;
    /* The role of a device (BP_WS_CONSULTANT or BP_WS_BENEFICIARY of
     * bp/ws_template.h), or 0 when it is not known. */
    int (*device_role)(void *ctx, const char *device);
    /* Whether a set applies: 0, or an enum bp_ws_skip with a sentence in
     * why (why_cap bytes; may stay ""). field NULL: only whether the
     * template is known. *keeps_versions: 1 for a field whose concurrent
     * values are all kept (text, list), 0 for the others. */
    int (*field_check)(void *ctx, const char *template_id, const char *field, const json_t *value,
                       int author_role, int *keeps_versions, char *why, size_t why_cap);
};

struct bp_ws_replica;

/* A replica holding nothing; rules is copied. NULL when memory ran out. */
struct bp_ws_replica *bp_ws_replica_new(const struct bp_ws_rules *rules);
void bp_ws_replica_free(struct bp_ws_replica *r);

/* Adds a copy of op (op is not taken; it comes from bp_ws_op_parse, or is
 * one bp_ws_op_encode accepts). 1 when it was new, 0 when the replica
 * already held that op id (the same operation: ignored),
 * BP_E_INVALID_FIELD when it held that id with other content (the first
 * stays: two honest devices never draw the same 16 random bytes) or when
 * op's ids or names are malformed, or BP_E_NOMEM (the replica may then be
 * half-way through the add: free it and load it again). */
int bp_ws_replica_add(struct bp_ws_replica *r, const struct bp_ws_op *op);
/* Parses json (bp_ws_op_parse) and adds it; e says why it was refused. */
int bp_ws_replica_add_json(struct bp_ws_replica *r, const char *json, size_t len,
                           struct bp_verr *e);

/* Operations held. */
size_t bp_ws_replica_count(const struct bp_ws_replica *r);
/* The held operation with this id, or NULL. */
const struct bp_ws_op *bp_ws_replica_get(const struct bp_ws_replica *r, const char *op_id);
/* -1 when op_id is not held, else its enum bp_ws_skip; *why (may be NULL)
 * gets the rules' sentence, or "" (valid until the next add). */
int bp_ws_replica_status(const struct bp_ws_replica *r, const char *op_id, const char **why);
/* Held operations not applied. */
size_t bp_ws_replica_skipped(const struct bp_ws_replica *r);

/* Whether the sheet is known (a create or a delete held): 1 and its
 * template (the create with the smallest (hlc, device, op id); "" when only
 * a delete is held) and whether it is deleted; 0 when unknown. */
int bp_ws_replica_sheet(const struct bp_ws_replica *r, const char *sheet, const char **tmpl,
                        int *deleted);

/* The field's heads, winner first then by (hlc, device, op id) falling:
 * writes min(n, cap) operations into heads (may be NULL with cap 0) and
 * returns n, the number of heads (0: the field was never set). *conflict
 * (may be NULL) is 1 when n > 1 and the field keeps versions (heads[1..]
 * are then the versions to choose from). Pointers valid until the next
 * add. A new local set lists these ids as its parents. */
size_t bp_ws_replica_heads(struct bp_ws_replica *r, const char *sheet, const char *field,
                           const struct bp_ws_op **heads, size_t cap, int *conflict);

/* SHA-256 of the whole state (sheets, every held operation's canonical
 * bytes, whether it is applied, a head, the winner): two replicas with the
 * same digest show the same thing. 0 or BP_E_NOMEM / BP_E_CRYPTO. */
int bp_ws_replica_digest(struct bp_ws_replica *r, uint8_t out[32]);

#endif
