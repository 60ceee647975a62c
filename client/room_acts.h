/* room_acts.h: what a person in the room asks for, done the same way
 * whether it was typed in the console (join_console.c) or clicked in the
 * window (room_cmds.c): answer the spoken code, open or close a session,
 * say a line. Each does the request and writes the sentence the person
 * should read in out, in plain French (English by the catalogue): why it
 * could not be done, what to do next, or what happens now. The caller
 * shows it in its own way (a console line, a warning in the window).
 *
 * Owns: the words of these answers, in one place for both faces of the
 * room. Must never: print, or touch the room model (the callers do). */
#ifndef CLIENT_ROOM_ACTS_H
#define CLIENT_ROOM_ACTS_H

#include <stddef.h>
#include <stdint.h>

struct dialog;
struct e2e;

/* The spoken code of slot (-1: the only one waiting) confirmed (yes) or
 * refused. 0 done; 1 nothing waited for an answer (out says so, and why
 * when the pair with that person was ended; e2e may be NULL). */
int room_act_code(struct dialog *d, const struct e2e *e2e, int slot, int yes, uint64_t now_ms, char *out,
                  size_t cap);
/* Opens a session in the phase typed (len bytes; capitals, accents and a
 * near miss are read as the person meant: words.h). 0 asked for; 1 not
 * (out: the phase suggested, the phases to choose from, or why). */
int room_act_open_session(struct dialog *d, const char *typed, size_t len, char *out, size_t cap);
/* Closes the open session. 0 asked for; 1 not (out says why). */
int room_act_close_session(struct dialog *d, char *out, size_t cap);
/* Says a line (len bytes). 0 sent now (out empty); 1 sent later (out says
 * what it waits for); -1 not sent (out says why). */
int room_act_say(struct dialog *d, const char *text, size_t len, char *out, size_t cap);

#endif
