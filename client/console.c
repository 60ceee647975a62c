/* console.c: line splitting and command parsing for what is typed during
 * `bilan join` (see console.h). Pure: bounded by CONSOLE_LINE_MAX, no
 * allocation, no I/O. */
#include <stdint.h>
#include <string.h>

#include "console.h"
#include "words.h"
#include "bp/data.h"

void console_lines_init(struct console_lines *c)
{
    memset(c, 0, sizeof *c);
}

/* A finished line (its newline consumed): what the caller gets. */
static enum console_ev finish(struct console_lines *c, const char **line, size_t *len)
{
    size_t n = c->len;
    int over = c->overflow;
    c->len = 0;
    c->overflow = 0;
    if (over)
        return CONSOLE_TOO_LONG;
    if (n && c->buf[n - 1] == '\r') /* from a terminal or file with CR LF */
        n--;
    if (n > CONSOLE_LINE_MAX)
        return CONSOLE_TOO_LONG;
    if (!bp_utf8_valid((const uint8_t *)c->buf, n))
        return CONSOLE_BAD_UTF8;
    *line = c->buf;
    *len = n;
    return CONSOLE_LINE;
}

enum console_ev console_lines_feed(struct console_lines *c, const char **p, size_t *n,
                                   const char **line, size_t *len)
{
    while (*n) {
        const char *nl = memchr(*p, '\n', *n);
        size_t take = nl ? (size_t)(nl - *p) : *n;
        if (!c->overflow) {
            if (take > sizeof c->buf - c->len) {
                c->overflow = 1;
            } else {
                memcpy(c->buf + c->len, *p, take);
                c->len += take;
            }
        }
        *p += take + (nl ? 1 : 0);
        *n -= take + (nl ? 1 : 0);
        if (nl)
            return finish(c, line, len);
    }
    return CONSOLE_NONE;
}

enum console_ev console_lines_end(struct console_lines *c, const char **line, size_t *len)
{
    if (!c->len && !c->overflow)
        return CONSOLE_NONE;
    return finish(c, line, len);
}

static int is_blank(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\v' || ch == '\f';
}

/* Is the word w (wl bytes) one of the names? */
/* Commands as a person types them: capitals and accents do not matter
 * ("/Oui" from a phone's keyboard, "/séance"). */
static int word_is(const char *w, size_t wl, const char *a, const char *b)
{
    char f[64];
    if (wl >= sizeof f / 2)
        return 0;
    words_fold(w, wl, f, sizeof f);
    return !strcmp(f, a) || !strcmp(f, b);
}

void console_parse(const char *line, size_t len, int max_slot, struct console_cmd *out)
{
    memset(out, 0, sizeof *out);
    out->slot = -1;
    size_t i = 0;
    while (i < len && is_blank(line[i]))
        i++;
    if (i == len) {
        out->kind = CMD_EMPTY;
        return;
    }
    if (line[i] != '/' || (i + 1 < len && line[i + 1] == '/')) {
        out->kind = CMD_CHAT;
        /* "//text": the first '/' escapes the second (only at the very start). */
        size_t from = line[i] == '/' ? i + 1 : 0;
        out->arg = line + from;
        out->arg_len = len - from;
        return;
    }
    const char *w = line + i;
    size_t wl = 0;
    while (i + wl < len && !is_blank(w[wl]))
        wl++;
    size_t j = i + wl;
    while (j < len && is_blank(line[j]))
        j++;
    const char *a = line + j;
    size_t al = len - j;
    while (al && is_blank(a[al - 1]))
        al--;
    out->arg = w;
    out->arg_len = wl;
    if (word_is(w, wl, "/oui", "/yes") || word_is(w, wl, "/non", "/no")) {
        out->kind = word_is(w, wl, "/oui", "/yes") ? CMD_YES : CMD_NO;
        if (!al)
            return;
        int v = 0;
        for (size_t k = 0; k < al; k++) {
            if (a[k] < '0' || a[k] > '9' || k >= 3) {
                out->kind = CMD_BAD_ARG;
                return;
            }
            v = v * 10 + (a[k] - '0');
        }
        if (v > max_slot) {
            out->kind = CMD_BAD_ARG;
            return;
        }
        out->slot = v;
        return;
    }
    if (word_is(w, wl, "/seance", "/session")) {
        /* The phase is checked by the caller (it says which ones exist). */
        if (!al || memchr(a, ' ', al) || memchr(a, '\t', al)) {
            out->kind = CMD_BAD_ARG;
            return;
        }
        out->kind = CMD_SESSION;
        out->arg = a;
        out->arg_len = al;
        return;
    }
    if (word_is(w, wl, "/envoyer", "/send")) {
        if (!al) {
            out->kind = CMD_BAD_ARG;
            return;
        }
        out->kind = CMD_SEND;
        out->arg = a;
        out->arg_len = al;
        return;
    }
    if (word_is(w, wl, "/qui", "/who"))
        out->kind = CMD_WHO;
    else if (word_is(w, wl, "/accepter", "/accept"))
        out->kind = CMD_ACCEPT;
    else if (word_is(w, wl, "/refuser", "/refuse"))
        out->kind = CMD_REFUSE;
    else if (word_is(w, wl, "/quitter", "/quit"))
        out->kind = CMD_QUIT;
    else if (word_is(w, wl, "/aide", "/help"))
        out->kind = CMD_HELP;
    else if (word_is(w, wl, "/fin", "/close"))
        out->kind = CMD_CLOSE;
    else if (word_is(w, wl, "/heures", "/hours"))
        out->kind = CMD_HOURS;
    else {
        out->kind = CMD_UNKNOWN;
        return;
    }
    if (al)
        out->kind = CMD_BAD_ARG;
}
