/* ws_op.h: one worksheet operation (docs/WORKSHEETS.md, "Sheets and
 * operations"): its struct, its parse from the JSON plaintext with every
 * field checked, and its canonical encoding (the bytes that are sealed).
 *
 * Owns: the operation's fields, their bounds, and the refusal sentences
 * (English, through bp/fields.h: "field 'hlc' in operation ..."): they go
 * in machine lines and logs.
 * Must never: check a value against a template (ws_template.c does, through
 * the merge's rules), keep a pointer into the text it parsed, or accept two
 * spellings of one operation that encode differently (a value holds only
 * null, strings, integers and arrays of strings: no real numbers, whose
 * text form is not unique). */
#ifndef BP_WS_OP_H
#define BP_WS_OP_H

#include <stddef.h>

#include <jansson.h>

#include "bp/err.h"
#include "bp/ws_hlc.h"

#define BP_WS_OPID_LEN 22    /* op and sheet ids: 16 bytes in base64url */
#define BP_WS_DEVICE_LEN 43  /* device fingerprint: 32 bytes in base64url */
#define BP_WS_NAME_MAX 40    /* template and field ids: [a-z0-9_]{1,40} */
#define BP_WS_PARENTS_MAX 64 /* heads one edit may replace */
#define BP_WS_OP_MAX                                                                               \
    (1 << 20) /* bytes of one operation's JSON (a list: 100 x 2,000 bytes, escaped) */
#define BP_WS_VALUE_ITEMS 100 /* elements of an array value */

enum bp_ws_op_type { BP_WS_OP_CREATE, BP_WS_OP_SET, BP_WS_OP_DELETE };

struct bp_ws_op {
    char id[BP_WS_OPID_LEN + 1];
    char sheet[BP_WS_OPID_LEN + 1];
    enum bp_ws_op_type type;
    char tmpl[BP_WS_NAME_MAX + 1];       /* create only, else "" */
    char field[BP_WS_NAME_MAX + 1];      /* set only, else "" */
    json_t *value;                       /* set only: owned (json null: empty), else NULL */
    char (*parents)[BP_WS_OPID_LEN + 1]; /* set only: owned, n_parents ids, distinct */
    size_t n_parents;
    struct bp_ws_hlc hlc;
    char device[BP_WS_DEVICE_LEN + 1];
};

/* Parses json[0..len-1] into *out (cleared first; release it with
 * bp_ws_op_clear, also after a failure). 0, or a negative BP_E_* with e
 * (may be NULL) saying which field and why. */
int bp_ws_op_parse(const char *json, size_t len, struct bp_ws_op *out, struct bp_verr *e);
/* The same from a JSON object (not taken). */
int bp_ws_op_from_json(const json_t *o, struct bp_ws_op *out, struct bp_verr *e);

/* Canonical JSON of op: sorted keys, compact, UTF-8 as is. Returns a
 * malloc'd NUL-terminated string (the caller frees it; *len without the
 * NUL when len is not NULL), or NULL when op is not a valid operation or
 * memory ran out. parse(encode(op)) gives op back. */
char *bp_ws_op_encode(const struct bp_ws_op *op, size_t *len);

/* Deep copy of src into *dst: 0 or BP_E_NOMEM (dst is then cleared). */
int bp_ws_op_copy(struct bp_ws_op *dst, const struct bp_ws_op *src);
/* Frees what op owns and zeroes it. */
void bp_ws_op_clear(struct bp_ws_op *op);

/* Whether s (n bytes) is a template or field id: [a-z0-9_]{1,40}. */
int bp_ws_name_ok(const char *s, size_t n);

#endif
