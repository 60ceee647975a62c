/* handle_sheets.c: the worksheets' sealed operations (PROTOCOL.md §10.1):
 * sheet_push stores one in the bilan's order, with its sheet and its
 * author's role, and passes it on at once to the bilan's other members in
 * its room; sheet_pull hands a device what it has not seen, in order, a
 * message at a time (also after the close: the kept sheets). The key
 * wraps and the consent are handle_sheet_keys.c's, the close
 * handle_close.c's.
 *
 * The server cannot read an operation (it holds no document key): it checks
 * who may write to the bilan (its members), the sizes, the quotas, and that
 * an op id is not reused with other bytes; the rest is the clients' (the
 * seal binds bilan, op id and author: docs/WORKSHEETS.md).
 *
 * Must never: log or print the sealed bytes, or store an operation for a
 * device that is not a member of the bilan. */
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "handle_sheets.h"
#include "log.h"
#include "room.h"

/* A bilan's worksheets hold at most this much (a whole bilan of typing is
 * a few thousand operations of a few hundred bytes). */
#define SHEET_OPS_MAX 200000
#define SHEET_BYTES_MAX (512LL * 1024 * 1024)
/* A sheet_ops message stays under BP_MAX_CTRL (64 KiB): each operation
 * costs its base64url plus SHEET_OP_ENVELOPE (its seq, id, sheet, author,
 * role and keys take at most 170 bytes), and a page takes operations while
 * they fit in the budget, which leaves room for the message around them
 * (its bilan and ref: under 200 bytes); the first always goes, and alone it
 * fits (BP_WS_SEALED_B64_MAX). 256 of the smallest seals fit in a page. */
#define SHEET_REPLY_BUDGET (60 * 1024)
#define SHEET_OP_ENVELOPE 180

/* The bilan named in msg, if c's device is one of its members (its role
 * there in *role). */
static const char *member_bilan(struct conn *c, const json_t *msg, const char *ref, struct now now,
                                enum bp_role *role)
{
    const char *bilan = bp_str(msg, "bilan", "");
    int rc = auth_join_role(c->srv->ops, c->srv->st, bilan, &c->dev, role);
    if (rc) {
        conn_send_error(c, rc, NULL, ref, now);
        return NULL;
    }
    return bilan;
}

static json_t *op_object(const struct store_sheet_op *o)
{
    char id[BP_B64_32 + 1];
    char *sealed = malloc(bp_b64_len(o->sealed_len) + 1);
    if (!sealed)
        return NULL;
    bp_b64_encode(o->op, BP_WS_OPID_RAW, id);
    bp_b64_encode(o->sealed, o->sealed_len, sealed);
    const char *role = bp_role_name(o->role);
    json_t *j = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s}", "seq", (json_int_t)o->seq, "op", id, "sheet",
                          o->sheet, "author", o->author, "role", role ? role : "", "sealed", sealed);
    free(sealed);
    return j;
}

/* The new operation to the bilan's other members in its room, now. */
static void pass_on(struct conn *c, const struct store_sheet_op *o, struct now now)
{
    struct room *room = rooms_get(&c->srv->rooms, o->bilan, 0);
    for (int i = 0; room && i < BP_MAX_MEMBERS; i++) {
        struct conn *r = room->m[i].conn;
        if (!r || r == c || r->closing)
            continue;
        json_t *one = op_object(o), *ops = json_array();
        json_t *m = one && ops ? json_pack("{s:s, s:s, s:o, s:b}", "type", "sheet_ops", "bilan", o->bilan, "ops", ops,
                                           "more", 0)
                               : NULL;
        if (!m) {
            json_decref(one);
            json_decref(ops);
            continue;
        }
        json_array_append_new(ops, one);
        conn_send_json(r, m, now);
    }
}

void handle_sheet_push(struct conn *c, const json_t *msg, const char *ref, struct now now)
{
    struct server *srv = c->srv;
    enum bp_role role;
    const char *bilan = member_bilan(c, msg, ref, now, &role);
    if (!bilan || conn_quota(c, QUOTA_SHEET_PUSH, ref, now))
        return;
    int closed = auth_bilan_open(srv->ops, srv->st, bilan);
    if (closed) { /* a closed bilan takes no change (§10.4) */
        conn_send_error(c, closed, NULL, ref, now);
        return;
    }
    struct store_sheet_op o;
    memset(&o, 0, sizeof o);
    snprintf(o.bilan, sizeof o.bilan, "%s", bilan);
    snprintf(o.author, sizeof o.author, "%s", c->dev.fp);
    snprintf(o.sheet, sizeof o.sheet, "%s", bp_str(msg, "sheet", "")); /* 16 bytes: checked by the schema */
    o.role = role;
    o.stored_ms = now_wall_ms(now);
    const char *b64 = bp_str(msg, "sealed", "");
    uint8_t *sealed = malloc(BP_WS_SEALED_MAX);
    int n = sealed ? bp_b64_decode(b64, strlen(b64), sealed, BP_WS_SEALED_MAX) : BP_E_INTERNAL;
    if (bp_b64_decode_exact(bp_str(msg, "op", ""), o.op, BP_WS_OPID_RAW) || n < BP_WS_SEALED_MIN) {
        conn_send_error(c, n == BP_E_INTERNAL ? BP_E_INTERNAL : BP_E_INVALID_FIELD,
                        n == BP_E_INTERNAL ? NULL : "field 'sealed' in 'sheet_push' is not a sealed operation",
                        ref, now);
        free(sealed);
        return;
    }
    o.sealed = sealed;
    o.sealed_len = (size_t)n;
    int64_t count, bytes;
    int rc = srv->ops->worksheets->sheet_usage(srv->st, bilan, &count, &bytes);
    if (!rc && (count >= SHEET_OPS_MAX || bytes + n > SHEET_BYTES_MAX)) {
        conn_send_error(c, BP_E_TOO_LARGE, "this bilan's worksheets are full", ref, now);
        free(sealed);
        return;
    }
    int same = 0;
    if (!rc)
        rc = srv->ops->worksheets->sheet_op_put(srv->st, &o, &same);
    if (rc == STORE_E_EXISTS && !same) {
        conn_send_error(c, BP_E_INVALID_FIELD, "field 'op' in 'sheet_push' names another operation", ref, now);
        free(sealed);
        return;
    }
    if (rc && rc != STORE_E_EXISTS) {
        conn_send_error(c, BP_E_INTERNAL, "the server could not store the operation: send it again", ref, now);
        free(sealed);
        return;
    }
    if (!rc) /* a repeat (the ack was lost) is acknowledged, not passed on again */
        pass_on(c, &o, now);
    free(sealed);
    json_t *r = conn_reply("sheet_pushed", ref);
    char id[BP_B64_32 + 1];
    bp_b64_encode(o.op, BP_WS_OPID_RAW, id);
    if (r) {
        json_object_set_new(r, "bilan", json_string(bilan));
        json_object_set_new(r, "op", json_string(id));
        json_object_set_new(r, "seq", json_integer(o.seq));
    }
    conn_send_json(c, r, now);
}

struct pull {
    json_t *ops;
    size_t budget;
    int64_t last;
    int full;
};

static int pull_one(void *arg, const struct store_sheet_op *o)
{
    struct pull *p = arg;
    size_t cost = bp_b64_len(o->sealed_len) + SHEET_OP_ENVELOPE;
    if (json_array_size(p->ops) > 0 && cost > p->budget) {
        p->full = 1;
        return 1;
    }
    json_t *j = op_object(o);
    if (!j || json_array_append_new(p->ops, j))
        return BP_E_INTERNAL;
    p->budget = cost > p->budget ? 0 : p->budget - cost;
    p->last = o->seq;
    return 0;
}

void handle_sheet_pull(struct conn *c, const json_t *msg, const char *ref, struct now now)
{
    struct server *srv = c->srv;
    enum bp_role role;
    const char *bilan = member_bilan(c, msg, ref, now, &role);
    if (!bilan || conn_quota(c, QUOTA_SHEET_PULL, ref, now))
        return;
    struct pull p = {json_array(), SHEET_REPLY_BUDGET, bp_int(msg, "after", 0), 0};
    /* One more than a message holds tells whether more remain. */
    int rc = p.ops ? srv->ops->worksheets->sheet_ops_after(srv->st, bilan, p.last, BP_WS_OPS_PER_MSG + 1, pull_one,
                                                           &p)
                   : BP_E_INTERNAL;
    if (rc < 0) {
        json_decref(p.ops);
        conn_send_error(c, BP_E_INTERNAL, NULL, ref, now);
        return;
    }
    int more = p.full;
    if (json_array_size(p.ops) > BP_WS_OPS_PER_MSG) {
        json_array_remove(p.ops, BP_WS_OPS_PER_MSG);
        more = 1;
    }
    json_t *r = conn_reply("sheet_ops", ref);
    if (!r) {
        json_decref(p.ops);
        conn_send_error(c, BP_E_INTERNAL, NULL, ref, now);
        return;
    }
    json_object_set_new(r, "bilan", json_string(bilan));
    json_object_set_new(r, "ops", p.ops);
    json_object_set_new(r, "more", json_boolean(more));
    conn_send_json(c, r, now);
}
