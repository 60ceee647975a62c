/* dialog_auth.h: the opening of a dialog (PROTOCOL.md §2): hello, the
 * signed answer to the challenge (auth, or enrol with an invite or
 * enrolment token), the welcome that must name this device, then the one
 * request the command came for (create, invite, list, hours, declare, or
 * join) and its reply, handed to the command (dialog_app.on_reply).
 *
 * Owns nothing but the request's fields of struct dialog. Updates state and
 * sends; ends the dialog when the command's request is answered. */
#ifndef CLIENT_DIALOG_AUTH_H
#define CLIENT_DIALOG_AUTH_H

#include "dialog_core.h"

/* The connection is up: hello goes out. */
void dialog_auth_hello(struct dialog *d, uint64_t now);
void dialog_auth_challenge(struct dialog *d, const json_t *m, uint64_t now);
void dialog_auth_welcome(struct dialog *d, const json_t *m, uint64_t now);
/* A reply to the request (bilan_created, invite_created, bilans,
 * hours_report or personal_declared while the request is out). */
void dialog_auth_reply(struct dialog *d, enum bp_type t, const json_t *m);

#endif
