/* roster.h: who is in which room (PROTOCOL.md §3.3): a connection joining
 * its bilan's room, leaving it, or being replaced by the same device on a
 * new connection, and the roster messages this causes (joined,
 * member_joined, member_left).
 *
 * Owns room membership as seen from the connections (c->room, c->slot, the
 * in_room state) and the one path by which a member leaves: roster_leave().
 * Tells attendance about joins and leaves by calling down into it.
 *
 * Must never: close or free a connection's transport (the lifecycle does, at
 * its safe point); be called by attendance, the relay or conn.c (they only
 * mark connections closing); send anything but through conn.h. */
#ifndef SERVER_ROSTER_H
#define SERVER_ROSTER_H

#include "conn.h"

/* c (authenticated, in no room) joins bilan's room as role (already checked
 * against the store). The same device on an older connection gives way
 * first (member_left "replaced"; the old connection is told to close). Sends
 * c `joined` (ref), the others member_joined, then attendance's join (the
 * journal line, hours_update, records c has left to sign). 0, or a BP_E_*
 * code for the caller to answer (room_full, internal); nothing sent then. */
int roster_join(struct conn *c, const char *bilan, enum bp_role role, const char *ref, struct now now);
/* c leaves its room (no-op if in none): its flow holds end, the others see
 * member_left(reason), attendance journals the departure (leave, or lost at
 * c's last sign of life) and ends the session if the room emptied, and the
 * room is freed if nothing holds it. c stays open (state authenticated).
 * Called by the leave handler, by a join that replaces c, and by the
 * lifecycle at the end of the event that closed c. */
void roster_leave(struct conn *c, const char *reason, struct now now);

#endif
