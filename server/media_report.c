/* media_report.c: the media_report (PROTOCOL.md §4.3). See media_report.h.
 *
 * Why the server says it: a sender sees its own link (the kernel's counters
 * of its socket) but not the receivers' links behind the server. Only the
 * server sees a receiver fall behind: its queue grows, then its video is
 * dropped (queue.h, queue_decide_frame). Told once a second which receiver
 * is how far behind, a sender can lower its rate for everyone (one encoding
 * goes to all) before the drops start, and knows the drops were the
 * receiver's link when its own is fine.
 *
 * The wait is the oldest audio or video frame's (data is not counted: a
 * file on its way is held by flow control, not a sign of a slow link for
 * media), measured at the time of the report. With it, while media waits
 * for a receiver, the rate its link takes our bytes at (the kernel's
 * delivery rate of its socket, when not app-limited): a sender can then go
 * under that receiver's link at once. Members that sent nothing get
 * nothing: a pure receiver has no rate to adapt. */
#include <string.h>

#include "media_report.h"
#include "room.h"

json_t *media_report_build(const struct media_rx rx[BP_MAX_MEMBERS])
{
    json_t *arr = json_array();
    if (!arr)
        return NULL;
    for (int i = 0; i < BP_MAX_MEMBERS; i++) {
        if (!rx[i].present)
            continue;
        json_t *o = json_pack("{s:i, s:I, s:I, s:I}", "slot", i, "dropped_video", (json_int_t)rx[i].dropped_video,
                              "queue_ms", (json_int_t)(rx[i].queue_ms > 0 ? rx[i].queue_ms : 0),
                              "queued_bytes", (json_int_t)rx[i].queued_bytes);
        if (o && rx[i].rate_kbps)
            json_object_set_new(o, "rate_kbps", json_integer(rx[i].rate_kbps));
        if (!o || json_array_append_new(arr, o)) {
            json_decref(arr);
            return NULL;
        }
    }
    json_t *msg = json_array_size(arr) ? conn_reply("media_report", NULL) : NULL;
    if (!msg || json_object_set_new(msg, "receivers", arr)) {
        json_decref(msg);
        if (!msg)
            json_decref(arr);
        return NULL;
    }
    return msg;
}

/* The report to sender s, or NULL when it has nobody to report on. */
static json_t *report_of(const struct conn *s, struct now now)
{
    struct media_rx rx[BP_MAX_MEMBERS] = {{0}};
    for (int i = 0; i < BP_MAX_MEMBERS; i++) {
        const struct conn *r = s->room->m[i].conn;
        if (!r || r == s || r->closing)
            continue;
        rx[i].present = 1;
        rx[i].dropped_video = s->dropped_for[i];
        rx[i].queue_ms = outq_media_wait_ms(&r->q, now.ms);
        rx[i].queued_bytes = r->q.bytes;
        /* The receiver's link rate, said only while it is the limit: media
         * waits for it and the kernel measured a busy link (else the rate
         * is only what we had to send it). */
        uint64_t rate = 0;
        int app_limited = 1;
        if (rx[i].queue_ms > 0 && s->srv->transport->tx_rate &&
            s->srv->transport->tx_rate((struct conn *)r, &rate, &app_limited) == 0 && !app_limited)
            rx[i].rate_kbps = (uint32_t)(rate * 8 / 1000 > UINT32_MAX ? UINT32_MAX : rate * 8 / 1000);
    }
    return media_report_build(rx);
}

/* Sends c its report and starts its counters over. */
static void report_now(struct conn *c, struct now now)
{
    json_t *o = report_of(c, now);
    if (o)
        conn_send_json(c, o, now);
    c->media_sent = 0;
    c->last_report_ms = now.ms;
    memset(c->dropped_for, 0, sizeof c->dropped_for);
}

void media_report_sweep(struct server *srv, struct now now)
{
    for (struct conn *c = srv->conns; c; c = c->next) {
        if (c->state != CS_IN_ROOM || !c->room || c->closing || !c->media_sent)
            continue;
        report_now(c, now);
    }
}

void media_report_urgent(struct conn *s, struct now now)
{
    if (s->state != CS_IN_ROOM || !s->room || s->closing)
        return;
    if (s->last_report_ms && now.ms - s->last_report_ms < MEDIA_REPORT_URGENT_GAP_MS)
        return;
    report_now(s, now);
}
