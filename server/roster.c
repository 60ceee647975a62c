/* roster.c: joining and leaving rooms, and the roster messages (see
 * roster.h; PROTOCOL.md §3.3).
 *
 * One member leaving takes one path down: roster_leave() takes it out of the
 * room (room.c), ends its flow holds (relay.c), tells the others
 * (member_left, a room event that keeps its place after the member's last
 * frames) and tells attendance (the journal line, the session's end when the
 * room empties). Whoever decided the departure (the leave handler, a
 * replacing join, the lifecycle's safe point) calls it; nothing calls back.
 *
 * Must never: close, free or unlink a connection; journal by itself. */
#include <assert.h>
#include <string.h>

#include "attendance.h"
#include "log.h"
#include "relay.h"
#include "room.h"
#include "roster.h"

/* {slot, device, role, name?, browser?, beneficiary_devices?} of the member in slot. */
static json_t *member_obj(const struct room_member *m, int slot)
{
    char dev[BP_B64_32 + 1];
    bp_b64_encode(m->device, BP_FP_LEN, dev);
    json_t *o = json_pack("{s:i, s:s, s:s}", "slot", slot, "device", dev, "role", bp_role_name(m->role));
    /* A consultant's enrolment name, so that the beneficiary sees who is
     * there in plain words (PROTOCOL.md §3.2, member object). */
    const struct conn *mc = m->conn;
    if (o && m->role == BP_ROLE_CONSULTANT && mc && mc->consultant_name[0])
        json_object_set_new(o, "name", json_string(mc->consultant_name));
    /* How many beneficiary devices the bilan has (PROTOCOL.md §3.2): more
     * than one means someone else may have used an invite. */
    if (o && mc && mc->browser)
        json_object_set_new(o, "browser", json_true());
    if (o && m->role == BP_ROLE_BENEFICIARY && m->role_devices > 0)
        json_object_set_new(o, "beneficiary_devices", json_integer(m->role_devices));
    return o;
}

void roster_leave(struct conn *c, const char *reason, struct now now)
{
    struct room *room = c->room;
    if (!room)
        return;
    conn_depart_cancel(c);     /* it leaves now, by this path */
    int slot = c->slot;
    struct room_member gone = room->m[slot];
    assert(gone.conn == c);
    room_remove(room, slot);
    relay_forget(c, room, slot, now);
    outq_purge_media(&c->q);   /* frames of a room it is no longer in */
    c->room = NULL;
    c->slot = -1;
    if (c->state == CS_IN_ROOM)
        c->state = CS_AUTHED;
    char f[9];
    log_fp8(c->fp, f);
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
            conn_send_event(m, o, slot, now);
        }
    }
    /* Journal (leave, or lost at the last sign of life) and, when the room
     * emptied, the end of its session (PROTOCOL.md §9.1). */
    attendance_member_left(c->srv, room, &gone, slot, reason, c->last_rx_wall_ms, now);
    rooms_discard_if_empty(&c->srv->rooms, room);
}

int roster_join(struct conn *c, const char *bilan, enum bp_role role, const char *ref, struct now now)
{
    struct server *srv = c->srv;
    struct room *room = rooms_get(&srv->rooms, bilan, 1);
    if (!room)
        return BP_E_INTERNAL;
    /* The same device again: the old connection gives way at once (a client
     * that crashed rejoins without waiting for the 15 s liveness timeout).
     * Its departure is a step of this join, before c takes a slot, so that
     * the others see member_left(replaced) before member_joined. */
    int old = room_find_device(room, c->fp);
    if (old >= 0) {
        struct conn *oc = room->m[old].conn;
        char f[9];
        log_fp8(c->fp, f);
        log_info("device %s rejoined bilan %s: replacing its older connection", f, bilan);
        roster_leave(oc, "replaced", now);   /* room survives: we are about to join it */
        conn_close(oc, "replaced", CC_NORMAL, now);
        room = rooms_get(&srv->rooms, bilan, 1);  /* it was discarded if oc was alone */
        if (!room)
            return BP_E_INTERNAL;
    }
    int slot = room_add(room, c, c->fp, role);
    if (slot < 0) {
        attendance_room_check_empty(srv, room, now);
        rooms_discard_if_empty(&srv->rooms, room);
        return slot;
    }
    /* The bilan's beneficiary devices, counted again at every join so that
     * the roster and member_joined carry the current number (an invite may
     * have been redeemed since the others joined). A failed count leaves
     * the field out rather than refusing the join. */
    int64_t nben = 0;
    if (srv->ops->bilans->members_count(srv->st, bilan, BP_ROLE_BENEFICIARY, &nben) == 0)
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
    memset(c->kf_forward_ms, 0, sizeof c->kf_forward_ms);
    memset(c->dropped_for, 0, sizeof c->dropped_for);
    c->media_sent = 0;
    json_t *members = json_array();
    for (int i = 0; members && i < BP_MAX_MEMBERS; i++)
        if (room->m[i].conn)
            json_array_append_new(members, member_obj(&room->m[i], i));
    json_t *o = conn_reply("joined", ref);
    if (o) {
        json_object_set_new(o, "bilan", json_string(bilan));
        json_object_set_new(o, "slot", json_integer(slot));
        json_object_set_new(o, "role", json_string(bp_role_name(role)));
        json_object_set_new(o, "members", members ? members : json_array());
    } else {
        json_decref(members);
    }
    conn_send_json(c, o, now);
    for (int i = 0; i < BP_MAX_MEMBERS; i++) {
        struct conn *m = room->m[i].conn;
        if (!m || m == c)
            continue;
        json_t *e = member_obj(&room->m[slot], slot);
        if (e)
            json_object_set_new(e, "type", json_string("member_joined"));
        conn_send_event(m, e, slot, now);
    }
    attendance_member_joined(srv, room, slot, now);
    attendance_send_unsigned(c, now);
    char f[9];
    log_fp8(c->fp, f);
    log_debug("device %s joined bilan %s slot %d as %s", f, bilan, slot, bp_role_name(role));
    return 0;
}
