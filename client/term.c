/* term.c: the line a person is typing, kept whole while the room talks
 * (see term.h). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "term.h"

#define PROMPT "> "

static struct termios saved;
static int saved_valid;

static void restore(void)
{
    if (saved_valid) {
        tcsetattr(STDIN_FILENO, TCSANOW, &saved);
        saved_valid = 0;
    }
}

void term_open(struct term *t)
{
    memset(t, 0, sizeof *t);
    if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
        return;
    struct termios raw;
    if (tcgetattr(STDIN_FILENO, &saved))
        return;
    raw = saved;
    raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO); /* ISIG stays: Ctrl-C interrupts */
    raw.c_cc[VMIN] = 1;
    raw.c_cc[VTIME] = 0;
    if (tcsetattr(STDIN_FILENO, TCSANOW, &raw))
        return;
    saved_valid = 1;
    atexit(restore);
    t->active = 1;
    fputs(PROMPT, stdout);
    fflush(stdout);
}

void term_close(struct term *t)
{
    if (t->active) {
        fputs("\r\033[K", stdout);
        fflush(stdout);
    }
    t->active = 0;
    restore();
}

static void redraw(const struct term *t)
{
    fputs("\r\033[K" PROMPT, stdout);
    fwrite(t->line, 1, t->len, stdout);
    fflush(stdout);
}

void term_before_print(void *ctx)
{
    const struct term *t = ctx;
    if (t->active) {
        fputs("\r\033[K", stdout);
        fflush(stdout);
    }
}

void term_after_print(void *ctx)
{
    const struct term *t = ctx;
    if (t->active)
        redraw(t);
}

size_t term_keys(struct term *t, const char *keys, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)keys[i];
        if (t->esc == 1) { /* ESC then '[' or 'O' starts a sequence; anything else ends it */
            t->esc = (c == '[' || c == 'O') ? 2 : 0;
            continue;
        }
        if (t->esc == 2) { /* parameters until a final byte 0x40..0x7e */
            if (c >= 0x40 && c <= 0x7e)
                t->esc = 0;
            continue;
        }
        if (c == 0x1b) {
            t->esc = 1;
        } else if (c == '\r' || c == '\n') {
            if (o + t->len + 1 <= cap) {
                memcpy(out + o, t->line, t->len);
                o += t->len;
                out[o++] = '\n';
            }
            t->len = 0;
            fputs("\r\033[K" PROMPT, stdout); /* the line goes; the room prints it */
        } else if (c == 0x7f || c == 0x08) { /* Backspace: one UTF-8 character */
            while (t->len && ((unsigned char)t->line[t->len - 1] & 0xc0) == 0x80)
                t->len--;
            if (t->len)
                t->len--;
            redraw(t);
        } else if (c == 0x15) { /* Ctrl-U */
            t->len = 0;
            redraw(t);
        } else if (c == 0x04) { /* Ctrl-D: the end of input on an empty line */
            if (!t->len)
                t->ended = 1;
        } else if (c >= 0x20 || c == '\t') {
            if (t->len < sizeof t->line) {
                t->line[t->len++] = (char)c;
                fputc(c, stdout);
            }
        }
    }
    fflush(stdout);
    return o;
}
