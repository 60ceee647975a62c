/* handle_media.c: the handlers of keyframe_request and clock (PROTOCOL.md
 * §4.3).
 *
 * keyframe_request: a receiver that cannot decode a sender's video asks the
 * server to ask that sender for a keyframe. The server forwards it to the
 * member in the named slot as keyframe_request {slot: requester, reason:
 * "decode"}, at most once per MEDIA_KF_FORWARD_MS for each (requester,
 * sender) pair: a receiver that asks for every broken frame of a burst of
 * loss must not make the sender encode a keyframe for each (keyframes are
 * the largest frames, and more of them is more congestion). A request that
 * names an empty slot or the requester's own is ignored without an error:
 * the sender may have left while the request was on its way.
 *
 * clock: the server's wall clock in Unix milliseconds, with the request's
 * ref, so that clients can estimate their offset to it (and write capture
 * times in the server's clock). Like stats, one small reply per request:
 * a client that floods it and does not read its replies passes its queue's
 * hard cap and is cut (conn.c).
 *
 * Must never: read or keep media; change the room; answer with an error a
 * request that came too late to matter. */
#include "handle_media.h"
#include "room.h"

void handle_keyframe_want(struct conn *c, const json_t *msg, const char *ref, struct now now)
{
    (void)ref;
    struct server *srv = c->srv;
    long long slot = bp_int(msg, "slot", -1);   /* the schema bounds it to 0..BP_MAX_MEMBERS-1 */
    struct conn *s = slot >= 0 && slot < BP_MAX_MEMBERS ? c->room->m[slot].conn : NULL;
    if (!s || s == c || s->closing) {
        srv->kf_ignored++;
        return;
    }
    int64_t *last = &c->kf_forward_ms[slot];
    if (*last && now.ms - *last < MEDIA_KF_FORWARD_MS) {
        srv->kf_paced++;
        return;
    }
    *last = now.ms;
    json_t *o = conn_reply("keyframe_request", NULL);
    if (o) {
        json_object_set_new(o, "slot", json_integer(c->slot));
        json_object_set_new(o, "reason", json_string("decode"));
    }
    conn_send_json(s, o, now);
    srv->kf_forwarded++;
}

void handle_clock(struct conn *c, const json_t *msg, const char *ref, struct now now)
{
    (void)msg;
    json_t *o = conn_reply("clock", ref);
    if (o)
        json_object_set_new(o, "server_ms", json_integer((json_int_t)now_wall_ms(now)));
    conn_send_json(c, o, now);
}
