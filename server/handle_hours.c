/* handle_hours.c: the handlers of the requests about a bilan's hours and
 * records (PROTOCOL.md §9.2, §9.3): hours (the report, live figures of the
 * open session included), personal_declare (a journal line of personal
 * work), receipt and receipt_refusal (a participant's signature, or signed
 * refusal, of a closed session's record).
 *
 * Owns nothing: reads the store and the open sessions' live figures
 * (attendance.h), writes through the store, answers through conn.h. The
 * dispatch table (dispatch.c) has checked the connection's state and the
 * message's schema before any of these runs.
 *
 * Must never: log notes, signatures or keys; change a room or a session. */
#include <stdlib.h>
#include <string.h>

#include "attendance.h"
#include "auth.h"
#include "handle_hours.h"
#include "log.h"
#include "report.h"
#include "room.h"

/* The open session's live figures, when bilan's room has one. */
static const struct ledger_live *live_of(struct server *srv, const char *bilan)
{
    struct room *room = rooms_get(&srv->rooms, bilan, 0);
    return room && room->session ? &room->session->live : NULL;
}

void handle_hours(struct conn *c, const json_t *msg, const char *ref, struct now now)
{
    struct server *srv = c->srv;
    const char *bilan = bp_str(msg, "bilan", "");
    enum bp_role role;
    int rc = auth_join_role(srv->ops, srv->st, bilan, &c->dev, &role);
    if (rc) {
        conn_send_error(c, rc, NULL, ref, now);
        return;
    }
    if (conn_quota(c, QUOTA_HOURS, ref, now))
        return;
    struct acc_report r;
    char why[320], *text = NULL;
    size_t len = 0;
    if (ledger_report(srv->ops, srv->st, bilan, live_of(srv, bilan), now_wall_ms(now), &r, why, sizeof why)) {
        log_err("session: %s", why);
        conn_send_error(c, BP_E_INTERNAL, "the server cannot compute this bilan's hours (see its log)", ref, now);
        return;
    }
    rc = report_format(&r, REPORT_JSON, &text, &len);
    account_report_free(&r);
    json_t *rep = rc ? NULL : json_loadb(text, len, 0, NULL);
    free(text);
    json_t *o = rep ? conn_reply("hours_report", ref) : NULL;
    if (!o) {
        json_decref(rep);
        conn_send_error(c, BP_E_INTERNAL, NULL, ref, now);
        return;
    }
    json_object_set_new(o, "bilan", json_string(bilan));
    json_object_set_new(o, "report", rep);
    if (json_dumpb(o, NULL, 0, JSON_COMPACT) > BP_MAX_CTRL) {
        json_decref(o);
        conn_send_error(c, BP_E_INTERNAL, "this bilan's report exceeds 64 KiB: ask for `bilan-server hours`",
                        ref, now);
        return;
    }
    conn_send_json(c, o, now);
}

void handle_personal_declare(struct conn *c, const json_t *msg, const char *ref, struct now now)
{
    struct server *srv = c->srv;
    const char *bilan = bp_str(msg, "bilan", "");
    long long secs = bp_int(msg, "seconds", 0);
    enum bp_role role;
    int rc = auth_join_role(srv->ops, srv->st, bilan, &c->dev, &role);
    if (rc == BP_E_UNKNOWN_BILAN || rc == BP_E_INTERNAL) {
        conn_send_error(c, rc, NULL, ref, now);
        return;
    }
    if (rc || role != BP_ROLE_BENEFICIARY) {
        conn_send_error(c, BP_E_FORBIDDEN, "only the beneficiary of this bilan declares personal work", ref, now);
        return;
    }
    if ((rc = auth_bilan_open(srv->ops, srv->st, bilan))) { /* its time is over (PROTOCOL.md §10.4) */
        conn_send_error(c, rc == BP_E_BILAN_CLOSED ? rc : BP_E_INTERNAL, NULL, ref, now);
        return;
    }
    if (conn_quota(c, QUOTA_DECLARE, ref, now))
        return;
    struct store_jev e;
    memset(&e, 0, sizeof e);
    snprintf(e.bilan, sizeof e.bilan, "%s", bilan);
    e.ev.kind = ACC_PERSONAL;
    e.ev.t_ms = now_wall_ms(now);
    e.ev.role = BP_ROLE_NONE;
    e.ev.phase = BP_PHASE_NONE;
    e.ev.personal_ms = secs * 1000;
    snprintf(e.ev.device, sizeof e.ev.device, "%s", c->dev.fp);
    snprintf(e.note, sizeof e.note, "%s", bp_str(msg, "note", ""));
    if (srv->ops->journal->journal_append(srv->st, &e)) {
        conn_send_error(c, BP_E_INTERNAL, "the server could not record the declaration: try again", ref, now);
        return;
    }
    struct room *room = rooms_get(&srv->rooms, bilan, 0);
    if (room && room->session)
        room->session->live.personal_ms += secs * 1000;
    char f[9];
    log_fp8(c->fp, f);
    log_info("bilan %s: device %s declared %lld s of personal work", bilan, f, secs);
    json_t *o = conn_reply("personal_declared", ref);
    if (o) {
        json_object_set_new(o, "bilan", json_string(bilan));
        json_object_set_new(o, "seconds", json_integer(secs));
    }
    conn_send_json(c, o, now);
}

/* The session named by msg's "session", the caller's right to it, and its
 * stored record. 0, or an error already sent. */
static int receipt_target(struct conn *c, const json_t *msg, const char *ref, struct store_session *ss,
                          struct bp_record *rec, const char *what, struct now now)
{
    struct server *srv = c->srv;
    const char *session = bp_str(msg, "session", "");
    char why[320], m[160];
    int rc = srv->ops->journal->session_get(srv->st, session, ss);
    if (rc) {
        snprintf(m, sizeof m, "field 'session' in '%s' names no known session", what);
        conn_send_error(c, rc == STORE_E_NOTFOUND ? BP_E_INVALID_FIELD : BP_E_INTERNAL,
                        rc == STORE_E_NOTFOUND ? m : NULL, ref, now);
        return -1;
    }
    enum bp_role role;
    rc = auth_join_role(srv->ops, srv->st, ss->bilan, &c->dev, &role);
    if (rc) {
        conn_send_error(c, rc, NULL, ref, now);
        return -1;
    }
    if (ss->closed_ms < 0) {
        conn_send_error(c, BP_E_WRONG_STATE, "this session is still open: its record comes when it closes", ref,
                        now);
        return -1;
    }
    rc = ledger_record(srv->ops, srv->st, ss, rec, why, sizeof why);
    if (rc) {
        log_err("session %s: %s", ss->id, why);
        conn_send_error(c, BP_E_INTERNAL, NULL, ref, now);
        return -1;
    }
    return 0;
}

void handle_receipt(struct conn *c, const json_t *msg, const char *ref, struct now now)
{
    struct server *srv = c->srv;
    struct store_session ss;
    struct bp_record rec;
    struct bp_attestation a;
    if (receipt_target(c, msg, ref, &ss, &rec, "receipt", now))
        return;
    memset(&a, 0, sizeof a);
    memcpy(a.signer, c->fp, BP_FP_LEN);
    memcpy(a.sign_pub, c->dev.sign_pub, BP_KEY_LEN);
    memcpy(a.dh_pub, c->dev.dh_pub, BP_KEY_LEN);
    a.received_audio_ms = bp_int(msg, "received_audio_ms", 0);
    a.sas_verified = json_is_true(json_object_get(msg, "sas_verified"));
    if (a.received_audio_ms > rec.end_ms - rec.start_ms) {
        conn_send_error(c, BP_E_INVALID_FIELD, "field 'received_audio_ms' in 'receipt' is longer than the session",
                        ref, now);
        return;
    }
    const char *vwhy = NULL;
    if (bp_b64_decode_exact(bp_str(msg, "sig", ""), a.sig, BP_SIG_LEN) || bp_attest_verify(&rec, &a, &vwhy)) {
        char f[9], m[200];
        log_fp8(c->fp, f);
        log_info("session %s: receipt from device %s refused (%s)", ss.id, f, vwhy ? vwhy : "bad signature");
        snprintf(m, sizeof m, "the receipt's signature does not verify for this session's record and your "
                 "device key (%s): sign the record of session_record again", vwhy ? vwhy : "bad signature");
        conn_send_error(c, BP_E_BAD_SIGNATURE, m, ref, now);
        return;
    }
    struct store_receipt sr;
    memset(&sr, 0, sizeof sr);
    snprintf(sr.session, sizeof sr.session, "%s", ss.id);
    snprintf(sr.device, sizeof sr.device, "%s", c->dev.fp);
    sr.received_audio_ms = a.received_audio_ms;
    sr.sas_verified = a.sas_verified;
    memcpy(sr.sig, a.sig, BP_SIG_LEN);
    sr.stored_ms = now_wall_ms(now);
    if (srv->ops->receipts->receipt_put(srv->st, &sr)) {
        conn_send_error(c, BP_E_INTERNAL, "the server could not store the receipt: send it again", ref, now);
        return;
    }
    char f[9];
    log_fp8(c->fp, f);
    log_info("session %s: receipt from device %s stored", ss.id, f);
    json_t *o = conn_reply("receipt_ok", ref);
    if (o)
        json_object_set_new(o, "session", json_string(ss.id));
    conn_send_json(c, o, now);
}

void handle_receipt_refusal(struct conn *c, const json_t *msg, const char *ref, struct now now)
{
    struct server *srv = c->srv;
    struct store_session ss;
    struct bp_record rec;
    struct bp_refusal rf;
    if (receipt_target(c, msg, ref, &ss, &rec, "receipt_refusal", now))
        return;
    memset(&rf, 0, sizeof rf);
    memcpy(rf.signer, c->fp, BP_FP_LEN);
    memcpy(rf.sign_pub, c->dev.sign_pub, BP_KEY_LEN);
    memcpy(rf.dh_pub, c->dev.dh_pub, BP_KEY_LEN);
    snprintf(rf.reason, sizeof rf.reason, "%s", bp_str(msg, "reason", ""));
    const char *vwhy = NULL;
    if (!bp_reason_ok(rf.reason)) {
        conn_send_error(c, BP_E_INVALID_FIELD, "field 'reason' in 'receipt_refusal' must be 1 to 200 bytes of "
                        "text without control characters", ref, now);
        return;
    }
    if (bp_b64_decode_exact(bp_str(msg, "sig", ""), rf.sig, BP_SIG_LEN) || bp_refusal_verify(&rec, &rf, &vwhy)) {
        char m[200];
        snprintf(m, sizeof m, "the refusal's signature does not verify for this session's record and your device "
                 "key (%s)", vwhy ? vwhy : "bad signature");
        conn_send_error(c, BP_E_BAD_SIGNATURE, m, ref, now);
        return;
    }
    struct store_refusal sr;
    memset(&sr, 0, sizeof sr);
    snprintf(sr.session, sizeof sr.session, "%s", ss.id);
    snprintf(sr.device, sizeof sr.device, "%s", c->dev.fp);
    snprintf(sr.reason, sizeof sr.reason, "%s", rf.reason);
    memcpy(sr.sig, rf.sig, BP_SIG_LEN);
    sr.stored_ms = now_wall_ms(now);
    int rc = srv->ops->receipts->refusal_put(srv->st, &sr);
    if (rc && rc != STORE_E_EXISTS) {
        conn_send_error(c, BP_E_INTERNAL, "the server could not store the refusal: send it again", ref, now);
        return;
    }
    char f[9];
    log_fp8(c->fp, f);
    log_warn("session %s: device %s refused to sign its record", ss.id, f);
    json_t *o = conn_reply("receipt_refused", ref);
    if (o)
        json_object_set_new(o, "session", json_string(ss.id));
    conn_send_json(c, o, now);
}
