/* handle_sheet_keys.c: the worksheets' document key and the beneficiary's
 * consent (PROTOCOL.md §10.2, §10.3): sheet_key_put stores a wrap of the
 * key from this device to another device of the bilan (the bilan's first
 * put, from a consultant device, fixes the key id) and passes it at once to
 * that device if it is in the room; sheet_key_get hands a device the wraps
 * addressed to it with their makers' enrolled keys; sheet_consent keeps the
 * beneficiary's signed statement of the sheets to keep after the close.
 *
 * The server cannot open a wrap or read a sheet: it checks who may put
 * (members, to a device of the bilan), the key id against the first, the
 * counts, and for a consent the statement's fields, its canonical form, its
 * date against the server's clock and its signature by the device's
 * enrolled key (bp/ws_consent.h).
 *
 * Must never: log a wrap or a statement's content, accept a consent from a
 * consultant's device, or let a second key id into a bilan. */
#include <stdio.h>
#include <string.h>

#include "auth.h"
#include "handle_sheet_keys.h"
#include "log.h"
#include "room.h"

#define CONSENT_SKEW_S 86400 /* a statement's `at` within 24 h of the server's clock */

/* c's role in the bilan named in msg; 0, or the refusal was sent. */
static int member_of(struct conn *c, const char *bilan, enum bp_role *role, const char *ref, struct now now)
{
    int rc = auth_join_role(c->srv->ops, c->srv->st, bilan, &c->dev, role);
    if (rc)
        conn_send_error(c, rc, NULL, ref, now);
    return rc;
}

static json_t *wrap_object(const char *from, const uint8_t sign_pub[BP_KEY_LEN], const uint8_t dh_pub[BP_KEY_LEN],
                           const uint8_t wrap[BP_WS_WRAP_LEN])
{
    char sp[BP_B64_32 + 1], dp[BP_B64_32 + 1], w[BP_WS_WRAP_LEN * 4 / 3 + 4];
    bp_b64_encode(sign_pub, BP_KEY_LEN, sp);
    bp_b64_encode(dh_pub, BP_KEY_LEN, dp);
    bp_b64_encode(wrap, BP_WS_WRAP_LEN, w);
    return json_pack("{s:s, s:s, s:s, s:s}", "from", from, "sign_pub", sp, "dh_pub", dp, "wrap", w);
}

static json_t *keys_message(const char *bilan, const char *kid, json_t *keys)
{
    json_t *m = json_pack("{s:s, s:s, s:o}", "type", "sheet_keys", "bilan", bilan, "keys", keys);
    if (m && kid && kid[0])
        json_object_set_new(m, "kid", json_string(kid));
    return m;
}

/* The new wrap, now, to its `to` device if it sits in the bilan's room
 * (not back to the device that put it: it has the key). */
static void pass_on(struct conn *c, const char *bilan, const char *kid, const uint8_t to[BP_FP_LEN],
                    const uint8_t wrap[BP_WS_WRAP_LEN], struct now now)
{
    struct room *room = rooms_get(&c->srv->rooms, bilan, 0);
    int slot = room ? room_find_device(room, to) : -1;
    struct conn *r = slot >= 0 ? room->m[slot].conn : NULL;
    if (!r || r == c || r->closing)
        return;
    json_t *keys = json_array(), *one = wrap_object(c->dev.fp, c->dev.sign_pub, c->dev.dh_pub, wrap);
    if (!keys || !one || json_array_append_new(keys, one)) {
        json_decref(keys);
        return;
    }
    conn_send_json(r, keys_message(bilan, kid, keys), now);
}

void handle_sheet_key_put(struct conn *c, const json_t *msg, const char *ref, struct now now)
{
    struct server *srv = c->srv;
    const struct store_ops *ops = srv->ops;
    const char *bilan = bp_str(msg, "bilan", "");
    const char *kid = bp_str(msg, "kid", "");
    enum bp_role role, to_role;
    if (member_of(c, bilan, &role, ref, now) || conn_quota(c, QUOTA_SHEET_KEY, ref, now))
        return;
    int rc = auth_bilan_open(ops, srv->st, bilan);
    if (rc) {
        conn_send_error(c, rc, NULL, ref, now);
        return;
    }
    struct store_sheet_wrap w;
    struct store_device to;
    uint8_t to_fp[BP_FP_LEN];
    memset(&w, 0, sizeof w);
    snprintf(w.bilan, sizeof w.bilan, "%s", bilan);
    snprintf(w.from, sizeof w.from, "%s", c->dev.fp);
    snprintf(w.to, sizeof w.to, "%s", bp_str(msg, "to", ""));
    w.stored_ms = now_wall_ms(now);
    if (bp_b64_decode_exact(w.to, to_fp, BP_FP_LEN) || bp_b64_decode_exact(bp_str(msg, "wrap", ""), w.wrap,
                                                                            BP_WS_WRAP_LEN)) {
        conn_send_error(c, BP_E_INVALID_FIELD, NULL, ref, now); /* the schema let it through: cannot happen */
        return;
    }
    /* `to` must be a device of this bilan: its consultant's or a member. */
    rc = ops->identity->device_get(srv->st, w.to, &to);
    if (!rc)
        rc = auth_join_role(ops, srv->st, bilan, &to, &to_role);
    if (rc == BP_E_UNKNOWN_DEVICE || rc == BP_E_NOT_MEMBER) {
        conn_send_error(c, BP_E_INVALID_FIELD, "field 'to' in 'sheet_key_put' is not a device of this bilan", ref,
                        now);
        return;
    }
    char have[BP_WS_SHEET_B64 + 1];
    if (!rc)
        rc = ops->begin(srv->st);
    if (rc) {
        conn_send_error(c, BP_E_INTERNAL, NULL, ref, now);
        return;
    }
    /* The first key wins, and only a consultant device makes it. */
    rc = ops->worksheets->sheet_kid_get(srv->st, bilan, have);
    const char *why = NULL;
    if (rc == STORE_E_NOTFOUND) {
        if (role != BP_ROLE_CONSULTANT) {
            rc = BP_E_FORBIDDEN;
            why = "only a consultant device makes a bilan's document key";
        } else {
            rc = ops->worksheets->sheet_kid_set(srv->st, bilan, kid);
        }
    } else if (!rc && strcmp(have, kid)) {
        rc = BP_E_INVALID_FIELD;
        why = "field 'kid' in 'sheet_key_put': this bilan has another document key";
    }
    if (!rc)
        rc = ops->worksheets->sheet_wrap_put(srv->st, &w, BP_WS_WRAPS_MAX);
    if (rc == BP_E_TOO_LARGE)
        why = "this bilan holds 64 key wraps already";
    if (!rc)
        rc = ops->commit(srv->st);
    else
        ops->rollback(srv->st);
    if (rc) {
        conn_send_error(c, rc == STORE_E_EXISTS ? BP_E_INTERNAL : rc, why, ref, now);
        return;
    }
    char f[9], t[9];
    log_fp8(c->fp, f);
    log_fp8(to_fp, t);
    log_info("device %s stored a key wrap for device %s in bilan %s", f, t, bilan);
    pass_on(c, bilan, kid, to_fp, w.wrap, now);
    json_t *r = conn_reply("sheet_key_stored", ref);
    if (r) {
        json_object_set_new(r, "bilan", json_string(bilan));
        json_object_set_new(r, "to", json_string(w.to));
    }
    conn_send_json(c, r, now);
}

static int collect_wrap(void *arg, const struct store_sheet_wrap *w)
{
    json_t *j = wrap_object(w->from, w->from_sign_pub, w->from_dh_pub, w->wrap);
    return j && !json_array_append_new(arg, j) ? 0 : BP_E_INTERNAL;
}

void handle_sheet_key_get(struct conn *c, const json_t *msg, const char *ref, struct now now)
{
    struct server *srv = c->srv;
    const char *bilan = bp_str(msg, "bilan", "");
    enum bp_role role;
    if (member_of(c, bilan, &role, ref, now) || conn_quota(c, QUOTA_SHEET_KEY, ref, now))
        return;
    char kid[BP_WS_SHEET_B64 + 1];
    json_t *keys = json_array();
    int rc = keys ? srv->ops->worksheets->sheet_kid_get(srv->st, bilan, kid) : BP_E_INTERNAL;
    if (rc == STORE_E_NOTFOUND) {
        kid[0] = '\0';
        rc = 0;
    }
    if (!rc)
        rc = srv->ops->worksheets->sheet_wraps_to(srv->st, bilan, c->dev.fp, collect_wrap, keys);
    if (rc) {
        json_decref(keys);
        conn_send_error(c, BP_E_INTERNAL, NULL, ref, now);
        return;
    }
    json_t *r = conn_reply("sheet_keys", ref);
    if (!r) {
        json_decref(keys);
        conn_send_error(c, BP_E_INTERNAL, NULL, ref, now);
        return;
    }
    json_object_set_new(r, "bilan", json_string(bilan));
    if (kid[0])
        json_object_set_new(r, "kid", json_string(kid));
    json_object_set_new(r, "keys", keys);
    conn_send_json(c, r, now);
}

void handle_sheet_consent(struct conn *c, const json_t *msg, const char *ref, struct now now)
{
    struct server *srv = c->srv;
    const char *bilan = bp_str(msg, "bilan", "");
    enum bp_role role;
    if (member_of(c, bilan, &role, ref, now))
        return;
    if (role != BP_ROLE_BENEFICIARY) {
        conn_send_error(c, BP_E_FORBIDDEN, "only a beneficiary device of this bilan gives the consent", ref, now);
        return;
    }
    if (conn_quota(c, QUOTA_CONSENT, ref, now))
        return;
    int rc = auth_bilan_open(srv->ops, srv->st, bilan);
    if (rc) {
        conn_send_error(c, rc, NULL, ref, now);
        return;
    }
    const json_t *sj = json_object_get(msg, "statement");
    const char *stmt = json_string_value(sj);
    size_t len = json_string_length(sj);
    struct bp_ws_consent k;
    struct bp_verr e;
    memset(&e, 0, sizeof e);
    rc = bp_ws_consent_parse(stmt, len, &k, &e);
    if (rc) {
        conn_send_error(c, rc == BP_E_NOMEM ? BP_E_INTERNAL : BP_E_INVALID_FIELD, e.detail[0] ? e.detail : NULL,
                        ref, now);
        return;
    }
    int64_t clock = server_clock_s(srv, now);
    const char *why = strcmp(k.bilan, bilan) ? "field 'bilan' in consent statement is not this request's bilan"
                      : strcmp(k.device, c->dev.fp) ? "field 'device' in consent statement is not this device"
                      : (k.at > clock + CONSENT_SKEW_S || k.at < clock - CONSENT_SKEW_S)
                          ? "field 'at' in consent statement is not within 24 hours of the server's clock"
                          : NULL;
    if (why) {
        conn_send_error(c, BP_E_INVALID_FIELD, why, ref, now);
        return;
    }
    struct store_sheet_consent sc;
    memset(&sc, 0, sizeof sc);
    if (bp_b64_decode_exact(bp_str(msg, "sig", ""), sc.sig, BP_SIG_LEN) ||
        bp_ws_consent_verify(c->dev.sign_pub, stmt, len, sc.sig)) {
        conn_send_error(c, BP_E_BAD_SIGNATURE,
                        "the consent's signature does not verify with this device's enrolled key", ref, now);
        return;
    }
    snprintf(sc.bilan, sizeof sc.bilan, "%s", bilan);
    snprintf(sc.device, sizeof sc.device, "%s", c->dev.fp);
    memcpy(sc.statement, stmt, len);
    sc.at = k.at;
    sc.stored_ms = now_wall_ms(now);
    if (srv->ops->worksheets->sheet_consent_put(srv->st, &sc)) {
        conn_send_error(c, BP_E_INTERNAL, "the server could not store the consent: send it again", ref, now);
        return;
    }
    char f[9];
    log_fp8(c->fp, f);
    log_info("device %s gave its consent for bilan %s: %zu sheet(s) to keep", f, bilan, k.n_sheets);
    json_t *r = conn_reply("sheet_consented", ref), *sheets = json_array();
    for (size_t i = 0; sheets && i < k.n_sheets; i++)
        json_array_append_new(sheets, json_string(k.sheets[i]));
    if (r && sheets) {
        json_object_set_new(r, "bilan", json_string(bilan));
        json_object_set_new(r, "sheets", sheets);
        json_object_set_new(r, "at", json_integer(k.at));
    } else {
        json_decref(sheets);
    }
    conn_send_json(c, r, now);
}
