/* join_console.h: the console of `bilan join`: what the person types in
 * the room (standard input, read inside the event loop by net.c, cut and
 * parsed by console.c) sent as chat lines or run as commands (/oui, /non,
 * /qui, /quitter, /aide, /seance, /fin, /heures), and the sentences that
 * answer them ("[info] ..." among the machine lines).
 *
 * Owns the line being typed. The end of standard input at a terminal
 * (Ctrl-D) leaves the room as /quitter does, and says so; the end of a
 * script's input (/dev/null, a closed pipe) only stops the reading. */
#ifndef CLIENT_JOIN_CONSOLE_H
#define CLIENT_JOIN_CONSOLE_H

#include <stddef.h>
#include <stdint.h>

#include "console.h"
#include "dialog.h"
#include "filehash.h"
#include "term.h"

struct join_console {
    struct console_lines con; /* what is typed, until a newline */
    struct e2e *e2e;          /* borrowed: codes to answer, pairs ended */
    int tty;                  /* standard input is a terminal (a person) */
    struct term term;         /* at a terminal: the line being typed, kept whole */
    struct filehash hash;     /* files given to /envoyer, hashed off the loop */
};

void join_console_init(struct join_console *j, struct e2e *e2e);
/* Bytes typed (buf NULL, len 0: the end of input), as the dialog's
 * on_input hands them over. */
void join_console_input(struct join_console *j, struct dialog *s, const char *buf, size_t len,
                        uint64_t now);
/* On the dialog's ticks: files hashed for /envoyer join the send list. */
void join_console_tick(struct join_console *j, struct dialog *s, uint64_t now);
/* A file to send from the room (/envoyer, the window): checked and hashed
 * off the loop, then sent. 0, or -1 with the reason said to the person. */
int join_console_send_file(struct join_console *j, struct dialog *s, const char *path);
/* The person's answer to the files sent to it (/accepter, /refuser, the window). */
void join_console_files(struct join_console *j, struct dialog *s, int yes);
/* Waits for the hashing threads (at the end of the visit). */
void join_console_free(struct join_console *j);

#endif
