/* dialog_room.h: the room of a dialog (PROTOCOL.md §3-4): the roster from
 * joined, member_joined and member_left with their "[room]" lines and the
 * warning about a second beneficiary device, the server's flow hold of our
 * data, our leave, and what the person in the room asks of it (say a chat
 * line, who is here).
 *
 * Owns d->room and d->flow. Updates state and prints; never decides to
 * leave or to write (dialog.c settles that). */
#ifndef CLIENT_DIALOG_ROOM_H
#define CLIENT_DIALOG_ROOM_H

#include "dialog_core.h"

/* joined: the roster (validated member by member) and the room lines.
 * Returns 0, or -1 when the dialog failed (an invalid member). */
int dialog_room_joined(struct dialog *d, const json_t *m, uint64_t now);
/* member_joined / member_left: the slot concerned, or -1 when the message
 * is not for the roster (not in the room, or about us). */
int dialog_room_member_joined(struct dialog *d, const json_t *m);
int dialog_room_member_left(struct dialog *d, const json_t *m);
/* flow {kind, state, slot?}: holds or lets go of our data. */
void dialog_room_flow(struct dialog *d, const json_t *m);
/* Sends our leave: state LEAVING until "left" or DIALOG_LEAVE_WAIT_MS. */
void dialog_room_leave(struct dialog *d, int code, uint64_t now);

/* ---- what the person in the room asks for (bilan join's console) ---- */

#define DIALOG_SAY_QUEUE 64 /* typed lines waiting to go out, at most */

enum dialog_say_result {
    SAY_SENDING = 0, /* goes out now */
    SAY_WAIT_E2E,    /* queued until end-to-end encryption allows sending */
    SAY_WAIT_PEER,   /* queued until someone else is in the room */
    SAY_WAIT_FLOW,   /* queued until the server says go (a member receives slowly) */
};
/* Queues a typed chat line (text, len bytes, not NUL-terminated: copied).
 * Returns a dialog_say_result, or a negative code with *why (static): not
 * UTF-8 or over 4096 bytes, DIALOG_SAY_QUEUE lines already waiting, or the
 * dialog is leaving. The write is asked for when the event settles. */
int dialog_say(struct dialog *d, const char *text, size_t len, const char **why);
/* Prints the room's members as "[room] ..." lines on out. */
void dialog_print_members(struct dialog *d);

#endif
