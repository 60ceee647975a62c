/* handle_e2e.c: the handler of e2e (PROTOCOL.md §8.1): an end-to-end
 * message from one member to the others (or to one of them).
 *
 * The body is opaque to the server: measured against its 8 KiB cap, never
 * read nor logged, and forwarded as a room event so that it keeps its place
 * among the frames and roster events the receiver sees (a sender key must
 * not overtake the member_left that made it necessary). The dispatch table
 * has checked the state (in a room) and the schema (body an object, to an
 * integer slot).
 *
 * Must never: read, log or keep the body; change the room. */
#include "handle_e2e.h"
#include "room.h"

#define E2E_BODY_MAX 8192

void handle_e2e(struct conn *c, const json_t *msg, const char *ref, struct now now)
{
    json_t *body = json_object_get(msg, "body");   /* the schema made it an object */
    if (json_dumpb(body, NULL, 0, JSON_COMPACT) > E2E_BODY_MAX) {
        conn_send_error(c, BP_E_INVALID_FIELD, "body larger than 8 KiB", ref, now);
        return;
    }
    struct room *room = c->room;
    long long to = bp_int(msg, "to", -1);
    if (to >= 0 && (to == c->slot || !room->m[to].conn)) {
        conn_send_error(c, BP_E_INVALID_FIELD,
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
        json_t *o = json_pack("{s:s, s:i, s:s, s:O}", "type", "e2e", "from", c->slot, "device", dev, "body", body);
        conn_send_event(r, o, c->slot, now);
    }
}
