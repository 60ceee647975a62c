/* relay.c: binary frames between room members and the flow control of data
 * (PROTOCOL.md §4). See relay.h.
 *
 * Relay reads only the 16-byte header: each receiver gets its own copy of the
 * frame with only the sender-slot byte rewritten. The frame's kind gives its
 * queue class through one explicit mapping (queue_class_of_kind, queue.h),
 * never a cast. Congestion is decided per receiver by queue_decide(): video
 * dropped past the soft budget or when the receiver's oldest audio or video
 * has waited more than the video delay (queue_decide_frame; and a
 * keyframe_request to the sender, at most one per receiver per second,
 * and a count per sender and receiver for the sender's media_report,
 * media_report.c), audio never dropped, and a receiver whose
 * audio and control messages would take it past the hard cap (data is not
 * counted there) is cut with too_slow so that it never holds up the room.
 * A cut receiver stays in the room until the end of the event (lifecycle.c):
 * the loop over the members never sees the roster change, and skips closing
 * receivers.
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
 * acknowledges nothing of what it owes is cut by the lifecycle's sweep
 * (queue.h txwatch), which also releases the senders it held. */
#include <string.h>

#include "log.h"
#include "media_report.h"
#include "relay.h"
#include "room.h"

#define KF_INTERVAL_MS 1000

/* flow {kind: "data", state, slot?, allowance?} to sender s (PROTOCOL.md §4). */
static void flow_send(struct conn *s, const char *state, int slot, struct now now)
{
    json_t *o = conn_reply("flow", NULL);
    if (o) {
        json_object_set_new(o, "kind", json_string("data"));
        json_object_set_new(o, "state", json_string(state));
        if (slot >= 0) {
            json_object_set_new(o, "slot", json_integer(slot));
            json_object_set_new(o, "allowance", json_integer((json_int_t)s->allowance));
        }
    }
    conn_send_json(s, o, now);
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

void relay_drained(struct conn *c, struct now now)
{
    if (c->blocking && c->room && queue_may_resume(c->q.bytes, c->srv->soft_budget)) {
        c->blocking = 0;
        release_blocked(c->room, c->slot, now);
    }
}

void relay_forget(struct conn *c, struct room *room, int slot, struct now now)
{
    release_blocked(room, slot, now);
    /* The next member in that slot is someone else: its drops start at 0. */
    for (int i = 0; i < BP_MAX_MEMBERS; i++) {
        struct conn *m = room->m[i].conn;
        if (m && m != c)
            m->dropped_for[slot] = 0;
    }
    c->blocking = 0;
    c->hold_mask = 0;          /* a hold ends with the membership (PROTOCOL.md §4) */
    c->held_bytes = 0;
    c->refusing = 0;
}

static void keyframe_request(struct conn *sender, struct conn *r, struct now now)
{
    if (now.ms - r->last_kf_ms < KF_INTERVAL_MS && r->last_kf_ms)
        return;
    r->last_kf_ms = now.ms;
    json_t *o = conn_reply("keyframe_request", NULL);
    if (o) {
        json_object_set_new(o, "slot", json_integer(r->slot));
        json_object_set_new(o, "reason", json_string("congestion"));
    }
    conn_send_json(sender, o, now);
}

/* Receiver r cannot take what it is sent: it is told to close, and from now
 * on holds nobody back (as if gone: a sender it held may get go, then a hold
 * from the next receiver of this very frame). It leaves the room at the end
 * of the event. */
static void cut(struct conn *r, int code, const char *message, struct now now)
{
    conn_kill(r, code, message, now);
    relay_forget(r, r->room, r->slot, now);
}

void relay_frame(struct conn *s, const uint8_t *buf, size_t len, struct now now)
{
    if (s->state != CS_IN_ROOM) {
        conn_send_error(s, BP_E_WRONG_STATE, "binary frames are only relayed after join", NULL, now);
        return;
    }
    struct bp_hdr h;
    const char *why = NULL;
    int rc = bp_hdr_decode(buf, len, &h, &why);
    if (rc) {
        conn_send_error(s, rc, why, NULL, now);
        return;
    }
    /* The header check knows the same table of kinds: a kind without a
     * class cannot pass it, but if the two tables ever disagree the frame is
     * refused here, before any queue. */
    enum qkind cls = queue_class_of_kind(h.kind);
    if (cls == QK_NONE) {
        conn_send_error(s, BP_E_BAD_FRAME, "binary frame kind has no queue class on this server", NULL, now);
        return;
    }
    struct server *srv = s->srv;
    struct room *room = s->room;
    if (cls == QK_DATA && s->hold_mask) {
        /* Held: what was in flight is welcome, more is refused (to the
         * sender alone: nobody's queue grows and no receiver is blamed).
         * Once refusing, everything until go: a smaller frame slipping in
         * after a refused one would only leave a hole in a transfer. */
        if (s->refusing || !queue_allowance_ok(s->held_bytes, len, s->allowance)) {
            s->data_refused++;
            if (!s->refusing) {
                char f[9];
                log_fp8(s->fp, f);
                log_info("device %s in bilan %s: data past its flow allowance refused until go", f, room->bilan);
                s->refusing = 1;
                conn_send_error(s, BP_E_FLOW, NULL, NULL, now);
            }
            return;
        }
        s->held_bytes += len;
    }
    s->frames_in++;
    if (cls == QK_AUDIO || cls == QK_VIDEO)
        s->media_sent = 1;   /* s gets a media_report at the next sweep */
    int urgent = 0; /* s's video waits long for someone, or was dropped: report now */
    /* No member leaves the room during this loop (a cut receiver only gets
     * marked closing), so the room is walked as it is. */
    for (int i = 0; i < BP_MAX_MEMBERS && !s->closing; i++) {
        struct conn *r = room->m[i].conn;
        if (!r || r == s || r->closing)
            continue;
        int64_t wait = cls == QK_VIDEO ? outq_media_wait_ms(&r->q, now.ms) : 0;
        urgent |= wait >= MEDIA_REPORT_URGENT_MS;
        enum qverdict v = queue_decide_frame(r->q.bytes, r->q.data_bytes, len, cls, srv->soft_budget, wait,
                                             srv->video_delay_ms ? srv->video_delay_ms
                                                                 : QUEUE_VIDEO_DELAY_MS_DEFAULT);
        if (v == QV_DROP_VIDEO) {
            r->dropped_video++;
            srv->video_dropped++;
            s->dropped_for[i]++;   /* for s's next media_report */
            urgent = 1;
            keyframe_request(s, r, now);
            continue;
        }
        if (v == QV_TOO_SLOW) {
            char f[9];
            log_fp8(r->fp, f);
            log_warn("device %s in bilan %s: queue past its hard cap (%zu bytes), cutting it", f, room->bilan,
                     r->q.bytes);
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
        m->queued_ms = now.ms;
        conn_push(r, m);
        srv->frames_relayed++;
        if (v == QV_QUEUE_HOLD)
            flow_hold(s, r, now);
    }
    if (urgent && !s->closing)
        media_report_urgent(s, now);
}
