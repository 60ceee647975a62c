/* conn.c: a connection's outbound side (see conn.h): control messages, room
 * events and errors queued on the connection, the transport woken through
 * srv->transport, and closing as a mark.
 *
 * Every refusal is an `error` message built in one place (conn_send_error):
 * code from bp_err_code(), a message (the validation detail when there is
 * one), the request's ref, and fatal from bp_err_is_fatal(). Replies and
 * errors go through the connection's own outbound queue, control messages
 * first (queue.h, "The write order").
 *
 * Closing never tears anything down here: conn_close() marks the connection
 * closing, purges its media, asks the transport to close it after a grace
 * period and, when it is in a room, queues its departure on srv->departing.
 * The lifecycle (lifecycle.c) takes the departures off that list at the end
 * of the event that decided them, so that a room never changes under a loop
 * over its members (a relay, a broadcast) and a member leaves by one path.
 *
 * Must never: call up (lifecycle, dispatch, handlers, roster, relay,
 * attendance); free a connection; log or echo tokens, keys or payload
 * bytes. */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "log.h"

#define CLOSE_GRACE_S 5   /* time a closing connection gets to flush */

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

/* Queues a text message; takes obj. A receiver whose queue would pass the
 * hard cap even for control messages is doomed (cut at the next safe point);
 * force bypasses the cap for the one fatal error that announces a close. */
static void push_json(struct conn *c, json_t *obj, int force, enum qkind kind, int slot, struct now now)
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
    m->queued_ms = now.ms;
    conn_push(c, m);
}

void conn_send_json(struct conn *c, json_t *obj, struct now now)
{
    if (c->closing) {
        json_decref(obj);
        return;
    }
    push_json(c, obj, 0, QK_CTRL, QUEUE_NO_SLOT, now);
}

void conn_send_event(struct conn *c, json_t *obj, int slot, struct now now)
{
    if (c->closing) {
        json_decref(obj);
        return;
    }
    push_json(c, obj, 0, QK_EVENT, slot, now);
}

json_t *conn_reply(const char *type, const char *ref)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    json_object_set_new(o, "type", json_string(type));
    if (ref && *ref)
        json_object_set_new(o, "ref", json_string(ref));
    return o;
}

/* {"type": "error", code, message, fatal}; message NULL or "": the code's
 * default text. */
static json_t *error_obj(int code, const char *message, const char *ref, int fatal)
{
    char msg[513];
    snprintf(msg, sizeof msg, "%s", message && *message ? message : bp_err_message(code));
    utf8_sanitize(msg);
    json_t *o = conn_reply("error", ref);
    if (o) {
        json_object_set_new(o, "code", json_string(bp_err_code(code)));
        json_object_set_new(o, "message", json_string(msg));
        json_object_set_new(o, "fatal", json_boolean(fatal));
    }
    return o;
}

void conn_send_error(struct conn *c, int code, const char *message, const char *ref, struct now now)
{
    if (c->closing)
        return;
    int fatal = bp_err_is_fatal(code);
    json_t *o = error_obj(code, message, ref, fatal);
    if (!fatal) {
        push_json(c, o, 0, QK_CTRL, QUEUE_NO_SLOT, now);
        return;
    }
    push_json(c, o, 1, QK_CTRL, QUEUE_NO_SLOT, now);
    conn_close(c, "disconnected", code == BP_E_SHUTDOWN ? CC_GOING_AWAY : code == BP_E_TOO_LARGE ? CC_TOO_BIG : CC_POLICY,
               now);
}

void conn_send_error_soft(struct conn *c, int code, const char *message, const char *ref, struct now now)
{
    if (c->closing)
        return;
    push_json(c, error_obj(code, message, ref, 0), 0, QK_CTRL, QUEUE_NO_SLOT, now);
}

int conn_quota(struct conn *c, enum quota_kind kind, const char *ref, struct now now)
{
    int retry_s = 0;
    if (!quota_take(&c->srv->quota, c->fp, kind, now.ms, &retry_s))
        return 0;
    const struct quota_limit *l = &quota_limits[kind];
    char msg[240], f[9];
    log_fp8(c->fp, f);
    log_warn("device %s: over its quota of %s", f, l->what);
    snprintf(msg, sizeof msg, "Too many %s from this device: at most %u every %lld minute(s). Try again in %d s.",
             l->what, l->max, (long long)(l->window_ms / 60000), retry_s);
    conn_send_error_soft(c, BP_E_RATE_LIMITED, msg, ref, now);
    return -1;
}

/* ---- Closing ---- */

void conn_close(struct conn *c, const char *reason, enum conn_close status, struct now now)
{
    (void)now;
    if (c->closing)
        return;
    c->closing = 1;
    c->close_status = (uint16_t)status;
    if (c->room && !c->depart_due) {
        struct server *srv = c->srv;
        c->depart_due = 1;
        c->depart_reason = reason;
        c->depart_next = NULL;
        if (srv->departing_tail)
            srv->departing_tail->depart_next = c;
        else
            srv->departing = c;
        srv->departing_tail = c;
    }
    outq_purge_media(&c->q);   /* nobody waits for frames to a closing connection */
    c->srv->transport->wake(c);
    c->srv->transport->close_soon(c, CLOSE_GRACE_S);
}

void conn_kill(struct conn *c, int code, const char *message, struct now now)
{
    if (c->closing)
        return;
    char f[9];
    log_fp8(c->fp, f);
    if (code != BP_E_SHUTDOWN)
        log_info("conn %s from %s: closing with %s", c->state >= CS_AUTHED ? f : "-", c->ip, bp_err_code(code));
    if (bp_err_is_fatal(code)) {
        conn_send_error(c, code, message, NULL, now);
        return;
    }
    /* A non-fatal code used to close (out of memory in the relay): still
     * say why. The message is ours, never the client's: no sanitizing. */
    json_t *o = conn_reply("error", NULL);
    if (o) {
        json_object_set_new(o, "code", json_string(bp_err_code(code)));
        json_object_set_new(o, "message", json_string(message ? message : bp_err_message(code)));
        json_object_set_new(o, "fatal", json_true());
    }
    push_json(c, o, 1, QK_CTRL, QUEUE_NO_SLOT, now);
    conn_close(c, "disconnected", CC_POLICY, now);
}

struct conn *conn_depart_next(struct server *srv)
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

void conn_depart_cancel(struct conn *c)
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
