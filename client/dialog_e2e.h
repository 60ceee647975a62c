/* dialog_e2e.h: the dialog's glue to end-to-end encryption (e2e_room.h,
 * PROTOCOL.md §8): it gives the room's state its io (bodies out as "e2e"
 * messages, "[e2e]" lines on out, opened frames to the mux), tells it who
 * joined and left, hands it the relayed bodies, and carries the person's
 * answer to the codes shown.
 *
 * Owns nothing: the e2e state is the command's (d->e2e, borrowed), the
 * work is e2e_room.c's. */
#ifndef CLIENT_DIALOG_E2E_H
#define CLIENT_DIALOG_E2E_H

#include "dialog_core.h"

/* dialog_start: d->e2e's io goes to this dialog. */
void dialog_e2e_attach(struct dialog *d);
/* Our join (after the roster of joined m is in d->room): fresh keys, and
 * every member of the roster. Returns 0, or -1 when the dialog failed. */
int dialog_e2e_joined(struct dialog *d, const json_t *m, uint64_t now);
/* member_joined m of slot; member_left of slot. */
void dialog_e2e_member_joined(struct dialog *d, int slot, const json_t *m, uint64_t now);
void dialog_e2e_member_left(struct dialog *d, int slot, uint64_t now);
/* e2e {from, device, body}: a peer's handshake or key. */
void dialog_e2e_body(struct dialog *d, const json_t *m, uint64_t now);
/* Time passes for held frames, pending erasures and unanswered pairs. */
void dialog_e2e_tick(struct dialog *d, uint64_t now);
/* The visit is over: the ephemeral, pair and media keys go now. */
void dialog_e2e_leave(struct dialog *d);

/* The user's answer to the codes shown: slot, or -1 for every code shown
 * and not decided yet. Returns how many codes it decided (0: none pending). */
int dialog_sas_answer(struct dialog *d, int slot, int confirmed, uint64_t now_ms);

#endif
