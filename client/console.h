/* console.h: what a person types during `bilan join`, as pure logic: bytes
 * read from standard input cut into lines, and a line read as a chat line or
 * a command (/oui, /non, /qui, /quitter, /aide, /seance, /fin, /heures and
 * their English names).
 *
 * Owns one line buffer of CONSOLE_LINE_MAX bytes; never allocates, reads,
 * prints or looks at a clock. The glue (net.c adopts the descriptor, the
 * console part of cmd_join.c acts on the commands) is elsewhere, so that
 * tests/unit/client/test_console.c drives this with plain calls. */
#ifndef CLIENT_CONSOLE_H
#define CLIENT_CONSOLE_H

#include <stddef.h>

#define CONSOLE_LINE_MAX 4096 /* bytes of one line, without its newline (= BP_CHAT_MAX) */

struct console_lines {
    char buf[CONSOLE_LINE_MAX + 1]; /* + a '\r' before the newline */
    size_t len;
    int overflow; /* the current line went over the cap: drop until its newline */
};

enum console_ev {
    CONSOLE_NONE = 0, /* every byte given was consumed: feed more */
    CONSOLE_LINE,     /* *line, *len: one line, without "\n" or "\r\n" */
    CONSOLE_TOO_LONG, /* a line over CONSOLE_LINE_MAX bytes was discarded */
    CONSOLE_BAD_UTF8, /* a line that is not valid UTF-8 was discarded */
};

void console_lines_init(struct console_lines *c);
/* Consumes (*p, *n) up to the end of the next line and says what came of it;
 * call again with the rest until CONSOLE_NONE. The line view points into c
 * and is valid until the next call. */
enum console_ev console_lines_feed(struct console_lines *c, const char **p, size_t *n,
                                   const char **line, size_t *len);
/* End of input: the last line if it had no newline (CONSOLE_NONE if none). */
enum console_ev console_lines_end(struct console_lines *c, const char **line, size_t *len);

enum console_cmd_kind {
    CMD_EMPTY = 0, /* blank line: nothing to do */
    CMD_CHAT,      /* arg/arg_len: the text to send */
    CMD_YES,       /* /oui /yes [SLOT] */
    CMD_NO,        /* /non /no [SLOT] */
    CMD_WHO,       /* /qui /who */
    CMD_QUIT,      /* /quitter /quit */
    CMD_HELP,      /* /aide /help */
    CMD_SESSION,   /* /seance /session PHASE: arg/arg_len the phase as typed */
    CMD_CLOSE,     /* /fin /close */
    CMD_HOURS,     /* /heures /hours */
    CMD_SEND,      /* /envoyer /send PATH: arg/arg_len the path (spaces kept) */
    CMD_ACCEPT,    /* /accepter /accept: the files waiting */
    CMD_REFUSE,    /* /refuser /refuse */
    CMD_UNKNOWN,   /* arg/arg_len: the command word as typed (with its '/') */
    CMD_BAD_ARG,   /* a known command with an argument it does not take (or lacks one) */
};

struct console_cmd {
    enum console_cmd_kind kind;
    int slot;        /* CMD_YES/CMD_NO: -1 = every pending code */
    const char *arg; /* view into the line */
    size_t arg_len;
};

/* Reads one line (no newline). A line starting with '/' is a command; "//"
 * at the start sends a chat line that starts with '/'. A chat line is sent as
 * typed (spaces included); a line of blanks only is CMD_EMPTY. max_slot: the
 * largest slot number accepted as an argument. */
void console_parse(const char *line, size_t len, int max_slot, struct console_cmd *out);

#endif
