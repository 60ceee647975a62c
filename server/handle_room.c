/* handle_room.c: the handlers of join and leave (PROTOCOL.md §3.3).
 *
 * Owns the checks before a membership change: the device's right to the
 * bilan (auth_join_role, from the store) and the join quota (each join and
 * leave of an open session is a journal line, PROTOCOL.md §9.2). The change
 * itself and every message it causes are the roster's (roster.c). The
 * dispatch table has checked the state (join: authenticated, in no room;
 * leave: in a room).
 *
 * Must never: touch struct room directly; close a connection. */
#include <stdio.h>

#include "auth.h"
#include "handle_room.h"
#include "roster.h"

void handle_join(struct conn *c, const json_t *msg, const char *ref, struct now now)
{
    struct server *srv = c->srv;
    const char *id = bp_str(msg, "bilan", "");
    enum bp_role role;
    int rc = auth_join_role(srv->ops, srv->st, id, &c->dev, &role);
    if (!rc)
        rc = auth_bilan_open(srv->ops, srv->st, id); /* a closed bilan has no room (§10.4) */
    if (rc) {
        conn_send_error(c, rc, NULL, ref, now);
        return;
    }
    if (conn_quota(c, QUOTA_JOIN, ref, now))
        return;
    rc = roster_join(c, id, role, ref, now);
    if (rc)
        conn_send_error(c, rc, NULL, ref, now);
}

void handle_leave(struct conn *c, const json_t *msg, const char *ref, struct now now)
{
    (void)msg;
    char bilan[BP_ID_MAX + 1];
    snprintf(bilan, sizeof bilan, "%s", c->room->bilan);
    roster_leave(c, "left", now);
    json_t *o = conn_reply("left", ref);
    if (o)
        json_object_set_new(o, "bilan", json_string(bilan));
    conn_send_json(c, o, now);
}
