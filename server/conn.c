/* conn.c: the per-connection state machine, control-message handlers and
 * binary relay (PROTOCOL.md §2.2, §3, §4).
 *
 * Every refusal is an `error` message built in one place (send_error): code
 * from bp_err_code(), a message (the validation detail when there is one),
 * the request's ref, and fatal from bp_err_is_fatal(). Replies and errors go
 * through the connection's own outbound queue, control messages first.
 *
 * Strangers (connections not yet welcomed) get little: text messages of at
 * most BP_MAX_CTRL_PREAUTH bytes, no binary message at all (refused on its
 * first chunk, nothing buffered), and BP_AUTH_TIMEOUT_S to be welcomed
 * (conn_sweep). When an address or the whole server is limited, enrol is
 * refused before its token is looked up, while auth is still verified: only a
 * valid signature of a known device gets through (§2.2).
 *
 * e2e messages (§8.1) are relayed as room events without reading or logging
 * their body, which is only measured against its 8 KiB cap.
 *
 * Relay reads only the 16-byte header: each receiver gets its own copy of the
 * frame with only the sender-slot byte rewritten. The frame's kind gives its
 * queue class through one explicit mapping (queue_class_of_kind, queue.h),
 * never a cast. Congestion is decided per
 * receiver by queue_decide(): video dropped past the soft budget (and a
 * keyframe_request to the sender, at most one per receiver per second),
 * audio never dropped, and a receiver whose audio and control messages would
 * take it past the hard cap (data is not counted there) is cut with too_slow
 * so that it never holds up the room.
 *
 * Data flow control (PROTOCOL.md §4 "Queues") is a message, never a socket
 * we stop reading: a sender's socket carries its audio and control messages
 * too, and those must not wait for someone else's slow link. A data frame
 * that takes a receiver past the soft budget is queued, and its sender gets
 * flow hold (once per hold: hold_mask goes from empty to not empty); it gets
 * flow go when every receiver in its hold_mask is back under half the budget
 * or gone. Data it sends while held is accepted up to its allowance (what
 * may have been in flight, queue_allowance()), then refused with
 * flow_violation until go: a sender that ignores hold only loses its own
 * frames, never grows anyone's queue further. A connection whose peer
 * acknowledges nothing of what it owes for QUEUE_STALL_MS is cut with
 * too_slow (conn_sweep, queue.h txwatch), which also releases the senders it
 * held; a peer that keeps taking what it owes is alive even when its pongs
 * wait behind that backlog.
 *
 * Must never: log or echo tokens, keys or payload bytes; free another
 * connection (it is told to close and closes from its own callback). */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "conn.h"
#include "log.h"
#include "attendance.h"

#define LOST_MS (BP_HANGUP_S * 1000 - 500)   /* silent this long before close = "lost" */
#define KF_INTERVAL_MS 1000
#define RX_KEEP 16384                         /* reassembly buffer kept between messages */
#define CLOSE_GRACE_S 5                       /* time a closing connection gets to flush */

static const char *const state_names[] = {"new", "challenged", "authenticated", "in_room"};

/* ---- Small helpers ---- */

static void fp8(const struct conn *c, char out[9])
{
    log_fp8(c->fp, out);
}

/* Replaces bytes that are not valid UTF-8 with '?', in place: error details
 * quote the client's own input (a JSON parse error, a type name cut at 32
 * bytes) and jansson refuses invalid UTF-8 strings. */
static void utf8_sanitize(char *s)
{
    unsigned char *p = (unsigned char *)s;
    while (*p) {
        int n = *p < 0x80 ? 1 : (*p & 0xe0) == 0xc0 ? 2 : (*p & 0xf0) == 0xe0 ? 3 : (*p & 0xf8) == 0xf0 ? 4 : 0;
        int ok = n > 0;
        for (int i = 1; ok && i < n; i++)
            ok = (p[i] & 0xc0) == 0x80;
        if (ok && n == 2 && *p < 0xc2)
            ok = 0;
        if (ok && n == 3 && ((*p == 0xe0 && p[1] < 0xa0) || (*p == 0xed && p[1] >= 0xa0)))
            ok = 0;
        if (ok && n == 4 && ((*p == 0xf0 && p[1] < 0x90) || *p > 0xf4 || (*p == 0xf4 && p[1] >= 0x90)))
            ok = 0;
        if (!ok) {
            *p++ = '?';
            continue;
        }
        p += n;
    }
}

static void begin_close(struct conn *c, const char *room_reason, enum conn_close status, struct now now);

/* Queues a control message; takes obj. A receiver whose queue would pass the
 * hard cap even for control messages is cut (too_slow); force bypasses the
 * cap for the one fatal error that announces a close. */
static void push_json_slot(struct conn *c, json_t *obj, int force, enum qkind kind, int slot, struct now now)
{
    if (!obj) {
        log_err("conn: cannot build a message (out of memory)");
        return;
    }
#ifndef NDEBUG
    struct bp_verr ve;
    if (bp_msg_validate(obj, BP_TO_CLIENT, NULL, &ve)) {
        log_err("conn: outgoing message fails its schema: %s", ve.detail);
        assert(!"outgoing message fails its schema");
    }
#endif
    (void)now;
    size_t len = json_dumpb(obj, NULL, 0, JSON_COMPACT);
    if (!force &&
        queue_decide(c->q.bytes, c->q.data_bytes, len, kind, c->srv->soft_budget) == QV_TOO_SLOW) {
        /* Deferred: we may be iterating c's room on another member's behalf;
         * cutting c here would change the roster under our feet. */
        json_decref(obj);
        c->doomed = 1;
        c->srv->transport->wake(c);
        return;
    }
    struct qmsg *m = len ? qmsg_new(len, kind) : NULL;
    if (!m || json_dumpb(obj, (char *)qmsg_data(m), len, JSON_COMPACT) != len) {
        log_err("conn: cannot queue a control message (out of memory)");
        free(m);
        json_decref(obj);
        return;
    }
    json_decref(obj);
    m->slot = (uint8_t)slot;
    outq_push(&c->q, m);
    c->srv->transport->wake(c);
}

static void push_json(struct conn *c, json_t *obj, int force, enum qkind kind, struct now now)
{
    push_json_slot(c, obj, force, kind, QUEUE_NO_SLOT, now);
}

static void send_json(struct conn *c, json_t *obj, struct now now)
{
    if (c->closing) {
        json_decref(obj);
        return;
    }
    push_json(c, obj, 0, QK_CTRL, now);
}

/* Room events keep their place among the frames of the member they concern
 * (slot; see queue.h, "The write order"). */
static void send_event(struct conn *c, json_t *obj, int slot, struct now now)
{
    if (c->closing) {
        json_decref(obj);
        return;
    }
    push_json_slot(c, obj, 0, QK_EVENT, slot, now);
}

/* A reply object {"type": type, "ref": ref?}. */
static json_t *reply(const char *type, const char *ref)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    json_object_set_new(o, "type", json_string(type));
    if (ref && *ref)
        json_object_set_new(o, "ref", json_string(ref));
    return o;
}

static void send_error(struct conn *c, int code, const char *message, const char *ref, struct now now)
{
    if (c->closing)
        return;
    char msg[513];
    snprintf(msg, sizeof msg, "%s", message && *message ? message : bp_err_message(code));
    utf8_sanitize(msg);
    int fatal = bp_err_is_fatal(code);
    json_t *o = reply("error", ref);
    if (o) {
        json_object_set_new(o, "code", json_string(bp_err_code(code)));
        json_object_set_new(o, "message", json_string(msg));
        json_object_set_new(o, "fatal", json_boolean(fatal));
    }
    if (fatal) {
        push_json(c, o, 1, QK_CTRL, now);
        begin_close(c, "disconnected", code == BP_E_SHUTDOWN ? CC_GOING_AWAY
                                       : code == BP_E_TOO_LARGE ? CC_TOO_BIG : CC_POLICY, now);
    } else {
        push_json(c, o, 0, QK_CTRL, now);
    }
}

void conn_send_json(struct conn *c, json_t *obj, struct now now)
{
    send_json(c, obj, now);
}

void conn_send_error(struct conn *c, int code, const char *message, const char *ref, struct now now)
{
    send_error(c, code, message, ref, now);
}

void conn_send_error_soft(struct conn *c, int code, const char *message, const char *ref, struct now now)
{
    if (c->closing)
        return;
    char msg[513];
    snprintf(msg, sizeof msg, "%s", message && *message ? message : bp_err_message(code));
    utf8_sanitize(msg);
    json_t *o = reply("error", ref);
    if (o) {
        json_object_set_new(o, "code", json_string(bp_err_code(code)));
        json_object_set_new(o, "message", json_string(msg));
        json_object_set_new(o, "fatal", json_false());
    }
    push_json(c, o, 0, QK_CTRL, now);
}

json_t *conn_reply(const char *type, const char *ref)
{
    return reply(type, ref);
}

static json_t *member_obj(const struct room_member *m, int slot)
{
    char dev[BP_B64_32 + 1];
    bp_b64_encode(m->device, BP_FP_LEN, dev);
    json_t *o =
        json_pack("{s:i, s:s, s:s}", "slot", slot, "device", dev, "role", bp_role_name(m->role));
    /* How many beneficiary devices the bilan has (PROTOCOL.md §3.2): more
     * than one means someone else may have used an invite. */
    if (o && m->role == BP_ROLE_BENEFICIARY && m->role_devices > 0)
        json_object_set_new(o, "beneficiary_devices", json_integer(m->role_devices));
    return o;
}

/* ---- Rooms and data flow control ---- */

/* flow {kind: "data", state, slot?, allowance?} to sender s (PROTOCOL.md §4). */
static void flow_send(struct conn *s, const char *state, int slot, struct now now)
{
    json_t *o = reply("flow", NULL);
    if (o) {
        json_object_set_new(o, "kind", json_string("data"));
        json_object_set_new(o, "state", json_string(state));
        if (slot >= 0) {
            json_object_set_new(o, "slot", json_integer(slot));
            json_object_set_new(o, "allowance", json_integer((json_int_t)s->allowance));
        }
    }
    send_json(s, o, now);
}

/* Receiver r, past the soft budget, holds back sender s's data. */
static void flow_hold(struct conn *s, struct conn *r, struct now now)
{
    uint8_t bit = (uint8_t)(1u << r->slot);
    r->blocking = 1;
    if (s->hold_mask & bit)
        return;
    int first = !s->hold_mask;
    s->hold_mask |= bit;
    if (first) {
        s->held_bytes = 0;
        s->refusing = 0;
        /* What s already sent and we have not read is in flight for sure. */
        s->allowance = queue_allowance(s->srv->soft_budget, s->srv->transport->rx_pending(s));
        flow_send(s, "hold", r->slot, now);
    }
}

/* Receiver `slot` no longer holds anyone back (drained, or gone): clear its
 * bit everywhere; a sender left with no receiver holding it gets go. */
static void release_blocked(struct room *room, int slot, struct now now)
{
    uint8_t bit = (uint8_t)(1u << slot);
    for (int i = 0; i < BP_MAX_MEMBERS; i++) {
        struct conn *m = room->m[i].conn;
        if (m && (m->hold_mask & bit)) {
            m->hold_mask &= (uint8_t)~bit;
            if (!m->hold_mask) {
                m->held_bytes = 0;
                m->refusing = 0;
                flow_send(m, "go", -1, now);
            }
        }
    }
}

/* c (in slot of room, or just removed from it) holds nobody back any more:
 * the senders it held and nobody else holds get go; its own hold ends with
 * its membership. */
static void flow_forget(struct conn *c, struct room *room, int slot, struct now now)
{
    release_blocked(room, slot, now);
    c->blocking = 0;
    c->hold_mask = 0;          /* a hold ends with the membership (PROTOCOL.md §4) */
    c->held_bytes = 0;
    c->refusing = 0;
}

/* ---- Departures at one safe point ---- */

/* c leaves its room at the end of the event (settle). */
static void depart_queue(struct conn *c, const char *reason)
{
    struct server *srv = c->srv;
    if (!c->room || c->depart_due)
        return;
    c->depart_due = 1;
    c->depart_reason = reason;
    c->depart_next = NULL;
    if (srv->departing_tail)
        srv->departing_tail->depart_next = c;
    else
        srv->departing = c;
    srv->departing_tail = c;
}

static struct conn *depart_next(struct server *srv)
{
    struct conn *c = srv->departing;
    if (!c)
        return NULL;
    srv->departing = c->depart_next;
    if (!srv->departing)
        srv->departing_tail = NULL;
    c->depart_next = NULL;
    c->depart_due = 0;
    return c;
}

static void depart_cancel(struct conn *c)
{
    if (!c->depart_due)
        return;
    struct server *srv = c->srv;
    struct conn *prev = NULL;
    for (struct conn *p = srv->departing; p; prev = p, p = p->depart_next) {
        if (p != c)
            continue;
        if (prev)
            prev->depart_next = c->depart_next;
        else
            srv->departing = c->depart_next;
        if (srv->departing_tail == c)
            srv->departing_tail = prev;
        break;
    }
    c->depart_next = NULL;
    c->depart_due = 0;
}

/* Takes c out of its room; the others see member_left(reason). */
static void room_leave(struct conn *c, const char *reason, struct now now)
{
    struct room *room = c->room;
    if (!room)
        return;
    depart_cancel(c);          /* it leaves now, by this path */
    int slot = c->slot;
    struct room_member gone = room->m[slot];
    assert(gone.conn == c);
    room_remove(room, slot);
    flow_forget(c, room, slot, now);
    outq_purge_media(&c->q);   /* frames of a room it is no longer in */
    c->room = NULL;
    c->slot = -1;
    if (c->state == CS_IN_ROOM)
        c->state = CS_AUTHED;
    char f[9];
    fp8(c, f);
    log_debug("conn %s: left bilan %s slot %d (%s)", f, room->bilan, slot, reason);
    if (!c->srv->stopping) {
        for (int i = 0; i < BP_MAX_MEMBERS; i++) {
            struct conn *m = room->m[i].conn;
            if (!m)
                continue;
            json_t *o = member_obj(&gone, slot);
            if (o) {
                json_object_del(o, "beneficiary_devices"); /* joined, member_joined only */
                json_object_set_new(o, "type", json_string("member_left"));
                json_object_set_new(o, "reason", json_string(reason));
            }
            send_event(m, o, slot, now);
        }
    }
    /* Journal (leave, or lost at the last sign of life) and, when the room
     * emptied, the end of its session (PROTOCOL.md §9.1). */
    attendance_member_left(c->srv, room, &gone, slot, reason, c->last_rx_wall_ms, now);
    rooms_discard_if_empty(&c->srv->rooms, room);
}

/* Marks c closing; its departure from its room waits for the end of the
 * event (settle): no room changes under a loop over its members. */
static void begin_close(struct conn *c, const char *room_reason, enum conn_close status, struct now now)
{
    (void)now;
    if (c->closing)
        return;
    c->closing = 1;
    c->close_status = (uint16_t)status;
    depart_queue(c, room_reason);
    outq_purge_media(&c->q);
    c->srv->transport->wake(c);
    c->srv->transport->close_soon(c, CLOSE_GRACE_S);
}

/* The end of an event: the departures it decided, oldest first. */
static void settle(struct server *srv, struct now now)
{
    struct conn *c;
    while ((c = depart_next(srv)))
        room_leave(c, c->depart_reason, now);
}

void conn_kill(struct conn *c, int code, const char *message, struct now now)
{
    if (c->closing)
        return;
    char f[9];
    fp8(c, f);
    if (code != BP_E_SHUTDOWN)
        log_info("conn %s from %s: closing with %s", c->state >= CS_AUTHED ? f : "-", c->ip,
                 bp_err_code(code));
    if (bp_err_is_fatal(code)) {
        send_error(c, code, message, NULL, now);
        return;
    }
    /* A non-fatal code used to close (out of memory in the relay): still say why. */
    json_t *o = reply("error", NULL);
    if (o) {
        json_object_set_new(o, "code", json_string(bp_err_code(code)));
        json_object_set_new(o, "message", json_string(message ? message : bp_err_message(code)));
        json_object_set_new(o, "fatal", json_true());
    }
    push_json(c, o, 1, QK_CTRL, now);
    begin_close(c, "disconnected", CC_POLICY, now);
}

/* ---- Handshake handlers ---- */

static void send_bilans_array(struct conn *c, json_t *o);

static int collect_bilan(void *arg, const struct store_bilan *b)
{
    json_t *arr = arg;
    json_t *e = json_pack("{s:s, s:s, s:s, s:I}", "bilan", b->id, "label", b->label, "role",
                          bp_role_name(b->role), "budget_s", (json_int_t)b->budget_s);
    if (!e || json_array_append_new(arr, e))
        return BP_E_NOMEM;
    return 0;
}

/* Adds "bilans": [...] to o. On a store failure the list is empty and the
 * failure logged: a welcome is still worth more than an error. */
static void send_bilans_array(struct conn *c, json_t *o)
{
    json_t *arr = json_array();
    if (!arr || !o) {
        json_decref(arr);
        return;
    }
    if (c->srv->ops->bilans_for_device(c->srv->st, &c->dev, BILANS_LIST_MAX, collect_bilan, arr))
        json_array_clear(arr);
    json_object_set_new(o, "bilans", arr);
}

/* opened: the bilan an invite just opened to this device (enrolment by
 * invite), so that a device with several bilans knows which one; or NULL. */
static void welcome(struct conn *c, const char *ref, const char *opened, struct now now)
{
    c->state = CS_AUTHED;
    c->srv->transport->authenticated(c);
    memset(c->nonce, 0, sizeof c->nonce);
    c->consultant_name[0] = '\0';
    if (c->dev.role == BP_ROLE_CONSULTANT &&
        c->srv->ops->consultant_name(c->srv->st, c->dev.consultant_id, c->consultant_name))
        c->consultant_name[0] = '\0';
    json_t *o = reply("welcome", ref);
    if (o) {
        json_object_set_new(o, "role", json_string(bp_role_name(c->dev.role)));
        json_object_set_new(o, "device", json_string(c->dev.fp));
        if (c->consultant_name[0])
            json_object_set_new(o, "name", json_string(c->consultant_name));
        if (opened && *opened)
            json_object_set_new(o, "bilan", json_string(opened));
        send_bilans_array(c, o);
    }
    c->srv->auth_ok++;
    send_json(c, o, now);
}

/* Rate-limit clock: monotonic seconds, so that a wall-clock step neither
 * opens nor extends a window. */
static int64_t rl_now(struct now now)
{
    return now.ms / 1000;
}

/* Whether code is a failure §2.2 counts (it tells a guesser something). */
static int counted_failure(int code)
{
    switch (code) {
    case BP_E_BAD_SIGNATURE:
    case BP_E_UNKNOWN_TOKEN:
    case BP_E_TOKEN_USED:
    case BP_E_TOKEN_EXPIRED:
    case BP_E_TOKEN_REVOKED:
    case BP_E_UNKNOWN_DEVICE:
        return 1;
    default:
        return 0;
    }
}

/* A failed attempt. limited: the address, the overflow it shares or the
 * global ceiling was already used up when the attempt began; then the failure
 * is answered rate_limited, whatever it was, and counted for the address only:
 * the global ceiling counts only the failures answered with their own code,
 * which are the ones that tell a guesser something (PROTOCOL.md §2.2). */
static void auth_failed(struct conn *c, int code, int limited, const char *ref, struct now now)
{
    if (counted_failure(code)) {
        ratelimit_fail(&c->srv->rl, c->ip, rl_now(now), !limited);
        c->srv->auth_failed++;
    }
    if (limited) {
        log_warn("auth from %s refused: rate limited (%s)", c->ip, bp_err_code(code));
        send_error(c, BP_E_RATE_LIMITED, NULL, ref, now);
        return;
    }
    log_info("auth from %s refused: %s", c->ip, bp_err_code(code));
    send_error(c, code, NULL, ref, now);
}

static void on_hello(struct conn *c, const json_t *msg, const char *ref, struct now now)
{
    if (c->state != CS_NEW && c->state != CS_CHALLENGED) {
        send_error(c, BP_E_WRONG_STATE, "hello is only allowed before authentication", ref, now);
        return;
    }
    long long v = bp_int(msg, "v", -1);
    if (v != BP_PROTOCOL_VERSION) {
        char why[160];
        snprintf(why, sizeof why,
                 "This server speaks protocol version %d, your client version %lld. Update the bilan client.",
                 BP_PROTOCOL_VERSION, v);
        send_error(c, BP_E_VERSION, why, ref, now);
        return;
    }
    if (bp_random(c->nonce, sizeof c->nonce)) {
        send_error(c, BP_E_INTERNAL, NULL, ref, now);
        return;
    }
    char nonce[BP_B64_32 + 1];
    bp_b64_encode(c->nonce, sizeof c->nonce, nonce);
    c->state = CS_CHALLENGED;
    json_t *o = reply("challenge", ref);
    if (o) {
        json_object_set_new(o, "v", json_integer(BP_PROTOCOL_VERSION));
        json_object_set_new(o, "nonce", json_string(nonce));
        json_object_set_new(o, "server", json_string(SERVER_NAME));
    }
    send_json(c, o, now);
}

/* enrol/auth common entry: state, then rate limit. Consumes the challenge.
 * *limited: whether this attempt may only succeed (see auth_failed()). */
static int attempt_begin(struct conn *c, const char *ref, uint8_t nonce[BP_NONCE_LEN], int *limited,
                         struct now now)
{
    if (c->state != CS_CHALLENGED) {
        send_error(c, BP_E_WRONG_STATE,
                   c->state == CS_NEW ? "send hello first, then sign the challenge"
                                      : "this connection is already authenticated", ref, now);
        return -1;
    }
    /* One attempt per challenge: a failure needs a new hello. */
    memcpy(nonce, c->nonce, BP_NONCE_LEN);
    memset(c->nonce, 0, sizeof c->nonce);
    c->state = CS_NEW;
    *limited = ratelimit_blocked(&c->srv->rl, c->ip, rl_now(now)) ||
               ratelimit_global_blocked(&c->srv->rl, rl_now(now));
    return 0;
}

static void on_enrol(struct conn *c, const json_t *msg, const char *ref, struct now now)
{
    uint8_t nonce[BP_NONCE_LEN], token[BP_TOKEN_LEN], hash[32], sig[BP_SIG_LEN];
    struct store_device d, out;
    int limited;
    if (attempt_begin(c, ref, nonce, &limited, now))
        return;
    if (limited) {
        /* Before the token is decoded or looked up: a guess gets no answer. */
        log_warn("enrol from %s refused: rate limited", c->ip);
        send_error(c, BP_E_RATE_LIMITED, NULL, ref, now);
        return;
    }
    memset(&d, 0, sizeof d);
    /* The schema guarantees these decode. */
    if (bp_b64_decode_exact(bp_str(msg, "token", ""), token, sizeof token) ||
        bp_b64_decode_exact(bp_str(msg, "sign_pub", ""), d.sign_pub, BP_KEY_LEN) ||
        bp_b64_decode_exact(bp_str(msg, "dh_pub", ""), d.dh_pub, BP_KEY_LEN) ||
        bp_b64_decode_exact(bp_str(msg, "sig", ""), sig, sizeof sig) ||
        bp_fingerprint(d.sign_pub, d.dh_pub, c->fp) || bp_sha256(token, sizeof token, hash)) {
        memset(token, 0, sizeof token);
        send_error(c, BP_E_INTERNAL, NULL, ref, now);
        return;
    }
    bp_b64_encode(c->fp, BP_FP_LEN, d.fp);
    snprintf(d.name, sizeof d.name, "%s", bp_str(msg, "device_name", ""));
    int rc = auth_check_enrol_sig(nonce, d.sign_pub, d.dh_pub, token, sig);
    memset(token, 0, sizeof token);
    if (!rc)
        rc = auth_redeem(c->srv->ops, c->srv->st, hash, &d, now.s, &out);
    if (rc == BP_E_FORBIDDEN) {
        log_info("enrol from %s refused: forbidden for this device's role", c->ip);
        send_error(c, rc, "A device keeps its role: a consultant device cannot redeem a beneficiary "
                   "invite, and a beneficiary device cannot take a consultant enrolment token. "
                   "Use another device.", ref, now);
        return;
    }
    if (rc) {
        auth_failed(c, rc, 0, ref, now);
        return;
    }
    c->dev = out;
    char f[9];
    fp8(c, f);
    log_info("device %s enrolled from %s as %s", f, c->ip, bp_role_name(out.role));
    struct store_token t;
    const char *opened = NULL;
    if (!c->srv->ops->token_get(c->srv->st, hash, &t) && t.kind == STORE_TOKEN_INVITE)
        opened = t.bilan;
    welcome(c, ref, opened, now);
}

static void on_auth(struct conn *c, const json_t *msg, const char *ref, struct now now)
{
    uint8_t nonce[BP_NONCE_LEN], sig[BP_SIG_LEN];
    struct store_device d;
    int limited;
    if (attempt_begin(c, ref, nonce, &limited, now))
        return;
    const char *dev = bp_str(msg, "device", "");
    if (bp_b64_decode_exact(dev, c->fp, BP_FP_LEN) ||
        bp_b64_decode_exact(bp_str(msg, "sig", ""), sig, sizeof sig)) {
        send_error(c, BP_E_INTERNAL, NULL, ref, now);
        return;
    }
    int rc = c->srv->ops->device_get(c->srv->st, dev, &d);
    if (!rc)
        rc = auth_check_auth_sig(nonce, &d, sig);
    if (rc) {
        /* Checked even when limited: a valid signature of a known device is
         * not a guess, so an attack cannot lock members out. */
        memset(c->fp, 0, sizeof c->fp);
        auth_failed(c, rc, limited, ref, now);
        return;
    }
    c->dev = d;
    char f[9];
    fp8(c, f);
    log_info("device %s authenticated from %s as %s", f, c->ip, bp_role_name(d.role));
    welcome(c, ref, NULL, now);
}

/* ---- Authenticated handlers ---- */

static int need_authed(struct conn *c, const char *ref, struct now now)
{
    if (c->state == CS_AUTHED || c->state == CS_IN_ROOM)
        return 0;
    send_error(c, BP_E_WRONG_STATE, "authenticate first (hello, then enrol or auth)", ref, now);
    return -1;
}

static void on_bilan_create(struct conn *c, const json_t *msg, const char *ref, struct now now)
{
    if (need_authed(c, ref, now))
        return;
    if (c->dev.role != BP_ROLE_CONSULTANT) {
        send_error(c, BP_E_FORBIDDEN, "only consultants create bilans", ref, now);
        return;
    }
    const struct store_ops *ops = c->srv->ops;
    struct store_bilan b;
    struct auth_token tok;
    memset(&b, 0, sizeof b);
    snprintf(b.label, sizeof b.label, "%s", bp_str(msg, "label", ""));
    b.owner_id = c->dev.consultant_id;
    b.budget_s = bp_int(msg, "budget_s", BP_BUDGET_DEFAULT_S);
    int64_t ttl = bp_int(msg, "invite_ttl_s", c->srv->invite_ttl_s);
    int rc = auth_token_new(&tok);
    if (!rc)
        rc = ops->begin(c->srv->st);
    if (!rc) {
        /* 96 random bits: a clash is practically impossible, but cheap to retry. */
        for (int i = 0; i < 3; i++) {
            if ((rc = auth_bilan_id_new(b.id)))
                break;
            if ((rc = ops->bilan_add(c->srv->st, &b, now.s)) != STORE_E_EXISTS)
                break;
        }
        if (!rc)
            rc = ops->invite_add(c->srv->st, b.id, BP_ROLE_BENEFICIARY, tok.hash, now.s, now.s + ttl);
        if (!rc)
            rc = ops->commit(c->srv->st);
        else
            ops->rollback(c->srv->st);
    }
    if (rc) {
        auth_token_wipe(&tok);
        send_error(c, BP_E_INTERNAL, NULL, ref, now);
        return;
    }
    char f[9];
    fp8(c, f);
    log_info("device %s created bilan %s", f, b.id);
    json_t *o = reply("bilan_created", ref);
    if (o) {
        json_object_set_new(o, "bilan", json_string(b.id));
        json_object_set_new(o, "label", json_string(b.label));
        json_object_set_new(o, "budget_s", json_integer(b.budget_s));
        json_object_set_new(o, "invite_token", json_string(tok.b64));
        json_object_set_new(o, "invite_expires", json_integer(now.s + ttl));
    }
    auth_token_wipe(&tok);
    send_json(c, o, now);
}

static void on_invite_create(struct conn *c, const json_t *msg, const char *ref, struct now now)
{
    if (need_authed(c, ref, now))
        return;
    const struct store_ops *ops = c->srv->ops;
    const char *id = bp_str(msg, "bilan", "");
    struct store_bilan b;
    int rc = ops->bilan_get(c->srv->st, id, &b);
    if (rc) {
        send_error(c, rc, NULL, ref, now);
        return;
    }
    if (c->dev.role != BP_ROLE_CONSULTANT || c->dev.consultant_id != b.owner_id) {
        send_error(c, BP_E_FORBIDDEN, "only the consultant who owns this bilan invites to it", ref, now);
        return;
    }
    int64_t ttl = bp_int(msg, "invite_ttl_s", c->srv->invite_ttl_s), revoked = 0;
    struct auth_token tok;
    rc = auth_token_new(&tok);
    if (!rc)
        rc = ops->begin(c->srv->st);
    if (!rc) {
        /* A reprint replaces the links not used yet: one link in circulation
         * at a time, and an old one says "replaced" (token_revoked). */
        rc = ops->invites_revoke(c->srv->st, b.id, BP_ROLE_BENEFICIARY, now.s, &revoked);
        if (!rc)
            rc = ops->invite_add(c->srv->st, b.id, BP_ROLE_BENEFICIARY, tok.hash, now.s, now.s + ttl);
        if (!rc)
            rc = ops->commit(c->srv->st);
        else
            ops->rollback(c->srv->st);
    }
    if (rc) {
        auth_token_wipe(&tok);
        send_error(c, BP_E_INTERNAL, NULL, ref, now);
        return;
    }
    if (revoked) {
        char f[9];
        fp8(c, f);
        log_info("device %s reprinted an invite of bilan %s: %lld unused earlier invite(s) revoked",
                 f, b.id, (long long)revoked);
    }
    json_t *o = reply("invite_created", ref);
    if (o) {
        json_object_set_new(o, "bilan", json_string(b.id));
        json_object_set_new(o, "invite_token", json_string(tok.b64));
        json_object_set_new(o, "invite_expires", json_integer(now.s + ttl));
    }
    auth_token_wipe(&tok);
    send_json(c, o, now);
}

static void on_bilan_list(struct conn *c, const char *ref, struct now now)
{
    if (need_authed(c, ref, now))
        return;
    json_t *o = reply("bilans", ref);
    send_bilans_array(c, o);
    send_json(c, o, now);
}

static void on_join(struct conn *c, const json_t *msg, const char *ref, struct now now)
{
    if (c->state != CS_AUTHED) {
        send_error(c, BP_E_WRONG_STATE,
                   c->state == CS_IN_ROOM ? "already in a room: send leave first"
                                          : "authenticate first (hello, then enrol or auth)", ref, now);
        return;
    }
    struct server *srv = c->srv;
    const char *id = bp_str(msg, "bilan", "");
    enum bp_role role;
    int rc = auth_join_role(srv->ops, srv->st, id, &c->dev, &role);
    if (rc) {
        send_error(c, rc, NULL, ref, now);
        return;
    }
    /* Each join and leave of an open session is a journal line. */
    if (attendance_quota(c, QUOTA_JOIN, ref, now))
        return;
    struct room *room = rooms_get(&srv->rooms, id, 1);
    if (!room) {
        send_error(c, BP_E_INTERNAL, NULL, ref, now);
        return;
    }
    /* The same device again: the old connection gives way at once (a client
     * that crashed rejoins without waiting for the 15 s liveness timeout). */
    int old = room_find_device(room, c->fp);
    if (old >= 0) {
        struct conn *oc = room->m[old].conn;
        char f[9];
        fp8(c, f);
        log_info("device %s rejoined bilan %s: replacing its older connection", f, id);
        room_leave(oc, "replaced", now);   /* room survives: we are about to join it */
        begin_close(oc, "replaced", CC_NORMAL, now);
        room = rooms_get(&srv->rooms, id, 1);  /* it was discarded if oc was alone */
        if (!room) {
            send_error(c, BP_E_INTERNAL, NULL, ref, now);
            return;
        }
    }
    int slot = room_add(room, c, c->fp, role);
    if (slot < 0) {
        attendance_room_check_empty(srv, room, now);
        rooms_discard_if_empty(&srv->rooms, room);
        send_error(c, slot, NULL, ref, now);
        return;
    }
    /* The bilan's beneficiary devices, counted again at every join so that
     * the roster and member_joined carry the current number (an invite may
     * have been redeemed since the others joined). A failed count leaves
     * the field out rather than refusing the join. */
    int64_t nben = 0;
    if (srv->ops->members_count(srv->st, id, BP_ROLE_BENEFICIARY, &nben) == 0)
        for (int i = 0; i < BP_MAX_MEMBERS; i++)
            if (room->m[i].conn && room->m[i].role == BP_ROLE_BENEFICIARY)
                room->m[i].role_devices = nben > 1000000 ? 1000000 : (int)nben;
    c->room = room;
    c->slot = slot;
    c->state = CS_IN_ROOM;
    c->hold_mask = 0;
    c->blocking = 0;
    c->held_bytes = 0;
    c->refusing = 0;
    json_t *members = json_array();
    for (int i = 0; members && i < BP_MAX_MEMBERS; i++)
        if (room->m[i].conn)
            json_array_append_new(members, member_obj(&room->m[i], i));
    json_t *o = reply("joined", ref);
    if (o) {
        json_object_set_new(o, "bilan", json_string(id));
        json_object_set_new(o, "slot", json_integer(slot));
        json_object_set_new(o, "role", json_string(bp_role_name(role)));
        json_object_set_new(o, "members", members ? members : json_array());
    } else {
        json_decref(members);
    }
    send_json(c, o, now);
    for (int i = 0; i < BP_MAX_MEMBERS; i++) {
        struct conn *m = room->m[i].conn;
        if (!m || m == c)
            continue;
        json_t *e = member_obj(&room->m[slot], slot);
        if (e)
            json_object_set_new(e, "type", json_string("member_joined"));
        send_event(m, e, slot, now);
    }
    attendance_member_joined(srv, room, slot, now);
    attendance_send_unsigned(c, now);
    char f[9];
    fp8(c, f);
    log_debug("device %s joined bilan %s slot %d as %s", f, id, slot, bp_role_name(role));
}

static void on_leave(struct conn *c, const char *ref, struct now now)
{
    if (c->state != CS_IN_ROOM) {
        send_error(c, BP_E_WRONG_STATE, "not in a room", ref, now);
        return;
    }
    char bilan[BP_ID_MAX + 1];
    snprintf(bilan, sizeof bilan, "%s", c->room->bilan);
    room_leave(c, "left", now);
    json_t *o = reply("left", ref);
    if (o)
        json_object_set_new(o, "bilan", json_string(bilan));
    send_json(c, o, now);
}

static void on_stats(struct conn *c, const char *ref, struct now now)
{
    if (c->state != CS_IN_ROOM) {
        send_error(c, BP_E_WRONG_STATE, "not in a room", ref, now);
        return;
    }
    json_t *o = reply("stats", ref);
    if (o) {
        json_object_set_new(o, "queued_bytes", json_integer((json_int_t)c->q.bytes));
        json_object_set_new(o, "dropped_video", json_integer((json_int_t)c->dropped_video));
        json_object_set_new(o, "frames_in", json_integer((json_int_t)c->frames_in));
        json_object_set_new(o, "frames_out", json_integer((json_int_t)c->frames_out));
    }
    send_json(c, o, now);
}

/* e2e (PROTOCOL.md §8.1): the body is opaque to the server; it is measured,
 * never read nor logged, and forwarded as a room event so that it keeps its
 * place among the frames and roster events the receiver sees (a sender key
 * must not overtake the member_left that made it necessary). */
#define E2E_BODY_MAX 8192

static void on_e2e(struct conn *c, const json_t *msg, const char *ref, struct now now)
{
    if (c->state != CS_IN_ROOM) {
        send_error(c, BP_E_WRONG_STATE, "e2e messages are only relayed after join", ref, now);
        return;
    }
    json_t *body = json_object_get(msg, "body");   /* the schema made it an object */
    if (json_dumpb(body, NULL, 0, JSON_COMPACT) > E2E_BODY_MAX) {
        send_error(c, BP_E_INVALID_FIELD, "body larger than 8 KiB", ref, now);
        return;
    }
    struct room *room = c->room;
    long long to = bp_int(msg, "to", -1);
    if (to >= 0 && (to == c->slot || !room->m[to].conn)) {
        send_error(c, BP_E_INVALID_FIELD,
                   to == c->slot ? "field 'to' in 'e2e' is your own slot"
                                 : "field 'to' in 'e2e' names an empty slot", ref, now);
        return;
    }
    char dev[BP_B64_32 + 1];
    bp_b64_encode(c->fp, BP_FP_LEN, dev);
    /* Sending never changes the room (a receiver past its cap is only
     * marked), so the room is walked as it is. */
    for (int i = 0; i < BP_MAX_MEMBERS; i++) {
        struct conn *r = room->m[i].conn;
        if (!r || r == c || r->closing || (to >= 0 && to != i))
            continue;
        json_t *o = json_pack("{s:s, s:i, s:s, s:O}", "type", "e2e", "from", c->slot, "device", dev,
                              "body", body);
        send_event(r, o, c->slot, now);
    }
}

static void on_text(struct conn *c, const uint8_t *buf, size_t len, struct now now)
{
    enum bp_type type = BP_T_NONE;
    json_t *msg = NULL;
    struct bp_verr e;
    char ref[BP_REF_MAX + 1];
    memset(&e, 0, sizeof e);
    int rc = bp_msg_parse((const char *)buf, len, BP_TO_SERVER, &type, &msg, &e, ref);
    if (rc) {
        send_error(c, rc, e.detail, ref, now);
        return;
    }
    switch (type) {
    case BP_T_HELLO: on_hello(c, msg, ref, now); break;
    case BP_T_ENROL: on_enrol(c, msg, ref, now); break;
    case BP_T_AUTH: on_auth(c, msg, ref, now); break;
    case BP_T_BILAN_CREATE: on_bilan_create(c, msg, ref, now); break;
    case BP_T_INVITE_CREATE: on_invite_create(c, msg, ref, now); break;
    case BP_T_BILAN_LIST: on_bilan_list(c, ref, now); break;
    case BP_T_JOIN: on_join(c, msg, ref, now); break;
    case BP_T_LEAVE: on_leave(c, ref, now); break;
    case BP_T_STATS: on_stats(c, ref, now); break;
    case BP_T_E2E: on_e2e(c, msg, ref, now); break;
    case BP_T_SESSION_OPEN: attendance_on_open(c, msg, ref, now); break;
    case BP_T_SESSION_CLOSE: attendance_on_close(c, ref, now); break;
    case BP_T_HOURS: attendance_on_hours(c, msg, ref, now); break;
    case BP_T_PERSONAL_DECLARE: attendance_on_personal(c, msg, ref, now); break;
    case BP_T_RECEIPT: attendance_on_receipt(c, msg, ref, now); break;
    case BP_T_RECEIPT_REFUSAL: attendance_on_refusal(c, msg, ref, now); break;
    default: send_error(c, BP_E_UNKNOWN_TYPE, NULL, ref, now); break;
    }
    json_decref(msg);
}

/* ---- Relay ---- */

static void keyframe_request(struct conn *sender, struct conn *r, struct now now)
{
    if (now.ms - r->last_kf_ms < KF_INTERVAL_MS && r->last_kf_ms)
        return;
    r->last_kf_ms = now.ms;
    json_t *o = reply("keyframe_request", NULL);
    if (o) {
        json_object_set_new(o, "slot", json_integer(r->slot));
        json_object_set_new(o, "reason", json_string("congestion"));
    }
    send_json(sender, o, now);
}

/* Receiver r cannot take what it is sent: it is told to close, and from now
 * on holds nobody back (as if gone). It leaves the room at the end of the
 * event. */
static void cut(struct conn *r, int code, const char *message, struct now now)
{
    conn_kill(r, code, message, now);
    flow_forget(r, r->room, r->slot, now);
}

static void on_binary(struct conn *s, const uint8_t *buf, size_t len, struct now now)
{
    if (s->state != CS_IN_ROOM) {
        send_error(s, BP_E_WRONG_STATE, "binary frames are only relayed after join", NULL, now);
        return;
    }
    struct bp_hdr h;
    const char *why = NULL;
    int rc = bp_hdr_decode(buf, len, &h, &why);
    if (rc) {
        send_error(s, rc, why, NULL, now);
        return;
    }
    /* The header check knows the same table of kinds: a kind without a
     * class cannot pass it, but if the two tables ever disagree the frame is
     * refused here, before any queue. */
    enum qkind cls = queue_class_of_kind(h.kind);
    if (cls == QK_NONE) {
        send_error(s, BP_E_BAD_FRAME, "binary frame kind has no queue class on this server", NULL, now);
        return;
    }
    struct server *srv = s->srv;
    if (cls == QK_DATA && s->hold_mask) {
        /* Held: what was in flight is welcome, more is refused (to the
         * sender alone: nobody's queue grows and no receiver is blamed).
         * Once refusing, everything until go: a smaller frame slipping in
         * after a refused one would only leave a hole in a transfer. */
        if (s->refusing || !queue_allowance_ok(s->held_bytes, len, s->allowance)) {
            s->data_refused++;
            if (!s->refusing) {
                char f[9];
                fp8(s, f);
                log_info("device %s in bilan %s: data past its flow allowance refused until go", f,
                         s->room->bilan);
                s->refusing = 1;
                send_error(s, BP_E_FLOW, NULL, NULL, now);
            }
            return;
        }
        s->held_bytes += len;
    }
    s->frames_in++;
    /* No member leaves the room during this loop (a cut receiver only gets
     * marked closing), so the room is walked as it is. */
    struct room *room = s->room;
    for (int i = 0; i < BP_MAX_MEMBERS && !s->closing; i++) {
        struct conn *r = room->m[i].conn;
        if (!r || r == s || r->closing)
            continue;
        enum qverdict v = queue_decide(r->q.bytes, r->q.data_bytes, len, cls, srv->soft_budget);
        if (v == QV_DROP_VIDEO) {
            r->dropped_video++;
            srv->video_dropped++;
            keyframe_request(s, r, now);
            continue;
        }
        if (v == QV_TOO_SLOW) {
            char f[9];
            fp8(r, f);
            log_warn("device %s in bilan %s: queue past its hard cap (%zu bytes), cutting it", f,
                     r->room->bilan, r->q.bytes);
            cut(r, BP_E_TOO_SLOW, NULL, now);
            continue;
        }
        struct qmsg *m = qmsg_new(len, cls);
        if (!m) {
            cut(r, BP_E_INTERNAL, "The server ran out of memory relaying to you.", now);
            continue;
        }
        memcpy(qmsg_data(m), buf, len);
        bp_hdr_set_slot(qmsg_data(m), (uint8_t)s->slot);
        m->slot = (uint8_t)s->slot;
        outq_push(&r->q, m);
        srv->frames_relayed++;
        r->srv->transport->wake(r);
        if (v == QV_QUEUE_HOLD)
            flow_hold(s, r, now);
    }
}

/* ---- Transport entry points ---- */

void conn_open(struct conn *c, struct server *srv, void *transport, const char *ip, struct now now)
{
    assert(srv->transport && srv->transport->api == TRANSPORT_API);
    c->srv = srv;
    c->transport = transport;
    c->state = CS_NEW;
    c->slot = -1;
    snprintf(c->ip, sizeof c->ip, "%s", ip && *ip ? ip : "?");
    c->last_rx_ms = now.ms;
    c->last_rx_wall_ms = attendance_wall_ms(now);
    c->opened_ms = now.ms;
    c->prev = NULL;
    c->next = srv->conns;
    if (srv->conns)
        srv->conns->prev = c;
    srv->conns = c;
    srv->nconns++;
    log_debug("connection from %s (%zu open)", c->ip, srv->nconns);
}

static void rx_reset(struct conn *c)
{
    c->rx_active = 0;
    c->rx_len = 0;
    if (c->rx_cap > RX_KEEP) {
        free(c->rx);
        c->rx = NULL;
        c->rx_cap = 0;
    }
}

/* Reassembly: buffers the chunk, and hands over a complete message. */
static void rx_chunk(struct conn *c, const uint8_t *in, size_t len, int binary, int final, size_t remaining,
                     struct now now)
{
    if (!c->rx_active) {
        c->rx_active = 1;
        c->rx_binary = binary ? 1 : 0;
        c->rx_len = 0;
    }
    /* Before welcome a stranger gets small text only (PROTOCOL.md §2.2):
     * the state cannot change in the middle of a message, since messages are
     * handled only once complete. */
    int authed = c->state >= CS_AUTHED;
    if (c->rx_binary && !authed) {
        /* Refused on its first chunk, whatever its size: nothing buffered. */
        rx_reset(c);
        conn_kill(c, BP_E_WRONG_STATE, "binary messages are only accepted after authentication "
                  "(hello, then enrol or auth, then join)", now);
        return;
    }
    size_t cap = c->rx_binary ? BP_MAX_FRAME : authed ? BP_MAX_CTRL : BP_MAX_CTRL_PREAUTH;
    /* Known size of what is coming: refuse before buffering any of it. */
    if (len > cap - c->rx_len || remaining > cap - c->rx_len - len) {
        rx_reset(c);
        send_error(c, BP_E_TOO_LARGE,
                   c->rx_binary ? "binary message larger than 1 MiB"
                   : authed     ? "text message larger than 64 KiB"
                                : "text message larger than 4 KiB before authentication",
                   NULL, now);
        return;
    }
    const uint8_t *msg = in;
    size_t mlen = len;
    if (!(final && c->rx_len == 0)) {
        size_t need = c->rx_len + len + remaining;
        if (need > c->rx_cap) {
            size_t ncap = c->rx_cap ? c->rx_cap : 4096;
            while (ncap < need)
                ncap *= 2;
            if (ncap > cap)
                ncap = cap;
            uint8_t *nb = realloc(c->rx, ncap);
            if (!nb) {
                rx_reset(c);
                conn_kill(c, BP_E_INTERNAL, "The server ran out of memory reading your message.", now);
                return;
            }
            c->rx = nb;
            c->rx_cap = ncap;
        }
        if (len)
            memcpy(c->rx + c->rx_len, in, len);
        c->rx_len += len;
        if (!final)
            return;
        msg = c->rx;
        mlen = c->rx_len;
    }
    int was_binary = c->rx_binary;
    c->rx_active = 0;
    if (was_binary)
        on_binary(c, msg, mlen, now);
    else
        on_text(c, msg, mlen, now);
    rx_reset(c);
}

void conn_rx(struct conn *c, const uint8_t *in, size_t len, int binary, int final, size_t remaining,
             struct now now)
{
    c->last_rx_ms = now.ms;
    c->last_rx_wall_ms = attendance_wall_ms(now);
    c->srv->transport->alive(c);
    if (c->closing)
        return;
    rx_chunk(c, in, len, binary, final, remaining, now);
    settle(c->srv, now);
}

void conn_pong(struct conn *c, struct now now)
{
    c->last_rx_ms = now.ms;
    c->last_rx_wall_ms = attendance_wall_ms(now);
    c->srv->transport->alive(c);
}

struct qmsg *conn_next_write(struct conn *c, struct now now)
{
    if (c->doomed && !c->closing) {
        conn_kill(c, BP_E_TOO_SLOW, NULL, now);
        settle(c->srv, now);
    }
    struct qmsg *m = outq_pop(&c->q);
    if (m && c->blocking && c->room && queue_may_resume(c->q.bytes, c->srv->soft_budget)) {
        c->blocking = 0;
        release_blocked(c->room, c->slot, now);
    }
    return m;
}

void conn_written(struct conn *c, struct qmsg *m)
{
    if (!qkind_is_text(m->kind))
        c->frames_out++;
    c->bytes_out += m->len;
    free(m);
}

int conn_should_close(const struct conn *c)
{
    return c->closing && c->q.count == 0;
}

void conn_closed(struct conn *c, struct now now)
{
    if (!c->srv)
        return; /* never opened */
    int lost = now.ms - c->last_rx_ms >= LOST_MS;
    char f[9];
    fp8(c, f);
    log_debug("connection %s from %s closed in state %s%s", c->state >= CS_AUTHED ? f : "-", c->ip,
              state_names[c->state], lost ? " (lost)" : "");
    /* Told to close while in a room and not settled yet: it leaves as it
     * was told to; otherwise as the transport saw it go. */
    room_leave(c, c->depart_due ? c->depart_reason : lost ? "lost" : "disconnected", now);
    outq_clear(&c->q);
    free(c->rx);
    c->rx = NULL;
    c->rx_cap = c->rx_len = 0;
    if (c->prev)
        c->prev->next = c->next;
    else
        c->srv->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    c->srv->nconns--;
    c->srv = NULL;
    c->transport = NULL;
}

void conn_shutdown_all(struct server *srv, struct now now)
{
    srv->stopping = 1;
    for (struct conn *c = srv->conns; c; c = c->next) {
        conn_kill(c, BP_E_SHUTDOWN, NULL, now);
        settle(srv, now);
    }
}

void conn_evict(struct conn *c, struct now now)
{
    conn_kill(c, BP_E_TOO_MANY_CONNECTIONS, NULL, now);
    settle(c->srv, now);
}

/* What the peer took of what we sent (queue.h txwatch): the drain deadline
 * cuts c when it took nothing of what it owes for QUEUE_STALL_MS (returns
 * 1); taking QUEUE_PROGRESS_MIN more bytes is a sign of life. */
static int tx_progress(struct conn *c, struct now now)
{
    uint64_t acked, unacked;
    int tcp = !c->srv->transport->tx_progress(c, &acked, &unacked);
    if (!tcp) {
        acked = c->bytes_out;  /* coarser: a whole message handed over is progress */
        unacked = 0;
    }
    enum txw_verdict v = txwatch_sample(&c->txw, acked, unacked, c->q.count, now.ms);
    if (v == TXW_ALIVE && tcp) {
        /* Our ping may wait behind what it is still reading: its pong
         * cannot be the only proof (PROTOCOL.md §1). */
        c->last_rx_ms = now.ms;
        c->last_rx_wall_ms = attendance_wall_ms(now);
        c->srv->transport->alive(c);
    }
    if (v != TXW_STALLED)
        return 0;
    char f[9];
    fp8(c, f);
    log_warn("device %s%s%s: took nothing of what it was sent for %d s (%zu bytes queued, %llu "
             "unacknowledged), cutting it", c->state >= CS_AUTHED ? f : c->ip,
             c->room ? " in bilan " : "", c->room ? c->room->bilan : "", QUEUE_STALL_MS / 1000,
             c->q.bytes, (unsigned long long)unacked);
    _Static_assert(QUEUE_STALL_MS == 10000, "the message below says 10 s");
    conn_kill(c, BP_E_TOO_SLOW,
              "Nothing the server sent you was read for 10 s, so it closed this connection. Check "
              "your network (and that your client reads what it receives), then rejoin.", now);
    return 1;
}

/* One connection's turn in the sweep. */
static void sweep_one(struct conn *c, struct now now)
{
    if (c->doomed && !c->closing)
        conn_kill(c, BP_E_TOO_SLOW, NULL, now);
    if (c->closing)
        return;
    if (c->state < CS_AUTHED && now.ms - c->opened_ms >= BP_AUTH_TIMEOUT_S * 1000) {
        /* A stranger holds a descriptor and memory: it gets a deadline. */
        conn_kill(c, BP_E_AUTH_TIMEOUT, NULL, now);
        return;
    }
    if (tx_progress(c, now))
        return;
    int64_t silent = now.ms - c->last_rx_ms;
    if (silent >= BP_HANGUP_S * 1000) {
        log_info("connection from %s silent for %d s: closing", c->ip, BP_HANGUP_S);
        begin_close(c, "lost", CC_GOING_AWAY, now);
        c->srv->transport->close_soon(c, 0);
    } else if (silent >= (BP_PING_S - 1) * 1000 && now.ms - c->last_ping_ms >= (BP_PING_S - 1) * 1000) {
        c->last_ping_ms = now.ms;
        c->ping_due = 1;
        c->srv->transport->wake(c);
    }
}

void conn_sweep(struct server *srv, struct now now)
{
    for (struct conn *c = srv->conns; c; c = c->next) {
        sweep_one(c, now);
        settle(srv, now);
    }
    attendance_sweep(srv, now);
}
