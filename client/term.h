/* term.h: the line a person is typing at a terminal, kept whole while the
 * room talks.
 *
 * At a terminal, `bilan join` reads keys one by one (no canonical mode, no
 * kernel echo) and echoes them itself, so that a sentence arriving from the
 * room is printed above the line being typed, which is then drawn again:
 * an incoming message never splits what the person is writing. Enter hands
 * the line over; Backspace, Ctrl-U (erase the line) and Ctrl-D (on an
 * empty line: the end of input) work as usual; Ctrl-C still interrupts
 * (the terminal's signals are kept); arrow keys and other escape sequences
 * are ignored.
 *
 * Owns: the terminal's settings (restored at exit, also after Ctrl-C) and
 * the typed line. Glue: the only client file that changes terminal modes. */
#ifndef CLIENT_TERM_H
#define CLIENT_TERM_H

#include <stddef.h>

#define TERM_LINE_MAX 8192

struct term {
    int active; /* raw keys on a terminal */
    char line[TERM_LINE_MAX];
    size_t len;
    int esc;   /* inside an escape sequence: 1 after ESC, 2 after ESC [ */
    int ended; /* Ctrl-D seen on an empty line */
};

/* Takes the keys one by one when standard input and output are both a
 * terminal; otherwise leaves everything as it is (active 0). */
void term_open(struct term *t);
/* Restores the terminal (idempotent; also done at exit). */
void term_close(struct term *t);

/* Keys typed: edits and echoes the line. Each finished line is appended to
 * out (with its '\n'), up to cap; returns the bytes written to out. Sets
 * t->ended on Ctrl-D at an empty line. */
size_t term_keys(struct term *t, const char *keys, size_t n, char *out, size_t cap);

/* Around anything printed while a line may be typed: before clears the
 * line being typed, after draws it again (room_news's before/after). */
void term_before_print(void *t);
void term_after_print(void *t);

#endif
