/* dialog.h: the client's side of the protocol over one connection
 * (PROTOCOL.md §2-4, §8-9), from hello to the close, as a state machine
 * driven by plain calls: one per event (connected, text message, binary
 * message, writable, tick, interrupt, input, wake, closed). It never
 * touches a socket or the key store: it sends through its transport
 * (struct dialog_transport) and hands what a command cares about to its
 * application (struct dialog_app). That is what lets
 * tests/unit/client/test_dialog.c drive it with fake server messages.
 *
 * Why "dialog": "session" is the counted meeting of PROTOCOL.md §9 (the
 * server's attendance.c, the "[hours] session=..." lines); this is the
 * exchange of one connection, which may never enter a room (enrol, create,
 * list), as in SIP's "dialog" (RFC 3261 §12).
 *
 * States: CONNECTING -> HELLO (hello sent) -> AUTH (enrol/auth sent) ->
 * then per goal: DONE (enrol), REQUEST (create/invite/list/hours/declare)
 * -> DONE, or JOINING -> IN_ROOM -> LEAVING (leave sent) -> DONE. A join
 * whose connection drops goes back to CONNECTING and starts again on the
 * next connection (d->link, dialog_link_closed).
 *
 * Each event updates the state through the job it concerns (dialog_auth,
 * dialog_room, dialog_e2e, dialog_hours, the mux), then dialog.c settles,
 * in one function, what happens next: end, leave (now, or once the hours
 * waits are over), close the session before leaving, open one
 * (--open-session), ask the relay's stats, ask for a write.
 *
 * In a room it prints the "[room]", "[chat]", "[file]", "[e2e]", "[hours]",
 * "[receipt]" and "[error]" lines of `bilan join` on out, one flushed line
 * per event. Leaving waits (at most DIALOG_HOURS_WAIT_MS) for our close, the
 * record and receipt_ok; a scripted leave also waits while a session is
 * open and another consultant, who may close it, is in the room, so that
 * this device is there to sign.
 *
 * The person's requests (say, codes, who, hours) are declared by the jobs'
 * headers included below; the command calls them from its hooks, inside an
 * event, and the event settles what follows. */
#ifndef CLIENT_DIALOG_H
#define CLIENT_DIALOG_H

#include "dialog_core.h"
#include "dialog_e2e.h"
#include "dialog_hours.h"
#include "dialog_room.h"

/* Defaults: out=stdout, err=stderr, GOAL_WELCOME, DIALOG_AUTH, no
 * transport, no application, an empty mux. Media sources and sinks may be
 * added to d->mux after this and before dialog_start. */
void dialog_init(struct dialog *d);
/* Lets go of what dialog_init took (the mux's buffers). */
void dialog_free(struct dialog *d);

/* ---- events (the loop thread) ---- */

void dialog_start(struct dialog *d, uint64_t now_ms); /* connection up: sends hello */
void dialog_on_text(struct dialog *d, const char *buf, size_t len, uint64_t now_ms);
void dialog_on_binary(struct dialog *d, const uint8_t *buf, size_t len, uint64_t now_ms);
/* WRITEABLE: the next binary frame to send (header + sealed payload) into
 * buf; its length, or 0 if none. */
int dialog_writable(struct dialog *d, uint8_t *buf, size_t cap, uint64_t now_ms);
void dialog_tick(struct dialog *d, uint64_t now_ms);
/* SIGINT/SIGTERM, or the person's /quit: leave the room, or end. */
void dialog_interrupt(struct dialog *d, uint64_t now_ms);
/* Bytes typed on standard input (NULL, 0 at its end): to the application. */
void dialog_on_input(struct dialog *d, const char *buf, size_t len, uint64_t now_ms);
/* Another thread pushed frames into a source and woke the loop (mux.h). */
void dialog_on_wake(struct dialog *d, uint64_t now_ms);
/* The connection is gone. Unfinished receives are deleted. */
void dialog_closed(struct dialog *d);
/* The same, with the WebSocket close code the server sent (0: none) and
 * the time: a GOAL_JOIN dialog that had joined and did not leave (and was
 * not replaced, close 1000, nor refused) is not over then but waits to
 * reconnect (d->link.reconnecting). */
void dialog_link_closed(struct dialog *d, int close_status, uint64_t now_ms);
/* Between connections of a reconnecting dialog: the delay before the next
 * attempt (ms), said on out ("[room] reconnecting in_s=... left_s=...")
 * and to the application (on_link); or -1 once the window is over: the
 * dialog is then finished (EXIT_NETWORK) with a message on err. rnd: any
 * random number (the delays' spread). */
int64_t dialog_reconnect_delay(struct dialog *d, uint64_t now_ms, uint32_t rnd);

/* ---- for the command ---- */

/* Ends the dialog with code (the connection is closed). */
void dialog_finish(struct dialog *d, int code);
/* The person asked to leave: like SIGINT. */
void dialog_quit(struct dialog *d, uint64_t now_ms);

#endif
