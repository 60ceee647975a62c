/* join_console.c: the console of `bilan join` (see join_console.h). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "e2e_room.h"
#include "hours.h"
#include "join_console.h"
#include "util.h"

static void info(struct dialog *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void info(struct dialog *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("[info] ", s->out);
    vfprintf(s->out, fmt, ap);
    fputc('\n', s->out);
    va_end(ap);
    fflush(s->out);
}

void join_console_init(struct join_console *j, struct e2e *e2e)
{
    console_lines_init(&j->con);
    j->e2e = e2e;
}

static void console_command(struct join_console *j, struct dialog *s, const char *line, size_t len,
                            uint64_t now)
{
    struct console_cmd c;
    console_parse(line, len, BP_MAX_MEMBERS - 1, &c);
    char word[40];
    cli_printable((const uint8_t *)c.arg, c.arg_len, word, sizeof word);
    switch (c.kind) {
    case CMD_EMPTY:
        return;
    case CMD_CHAT: {
        const char *why = NULL;
        int rc = dialog_say(s, c.arg, c.arg_len, &why);
        if (rc < 0)
            info(s, "%s", why);
        else if (rc == SAY_WAIT_E2E)
            info(s, "(en attente du chiffrement)");
        else if (rc == SAY_WAIT_PEER)
            info(s, "(en attente d'un autre participant)");
        else if (rc == SAY_WAIT_FLOW)
            info(s, "(en attente : un participant reçoit lentement ; votre message partira dès "
                    "que possible)");
        return;
    }
    case CMD_YES:
    case CMD_NO:
        if (!dialog_sas_answer(s, c.slot, c.kind == CMD_YES, now)) {
            if (c.slot >= 0)
                info(s, "no code waiting for an answer from slot %d", c.slot);
            else
                info(s, "no code waiting for an answer");
            /* Say why when it is because a pair was ended: the person saw a
             * code and expects to answer it. */
            for (int k = 0; k < BP_MAX_MEMBERS; k++)
                if ((c.slot < 0 || c.slot == k) && e2e_pair_ended(j->e2e, k))
                    info(s,
                         "slot=%d: la liaison chiffr\xc3\xa9"
                         "e avec cet appareil a "
                         "\xc3\xa9t\xc3\xa9 arr\xc3\xaat\xc3\xa9"
                         "e (voir la ligne [e2e] slot=%d "
                         "refused), son code ne peut plus \xc3\xaatre confirm\xc3\xa9 ; pour "
                         "recommencer, quittez (/quitter) et rejoignez la salle. (The pair with "
                         "this device was ended; its code can no longer be confirmed: leave and "
                         "join again to start over.)",
                         k, k);
        }
        return;
    case CMD_WHO:
        dialog_print_members(s);
        return;
    case CMD_QUIT:
        info(s, "leaving the room");
        dialog_quit(s, now);
        return;
    case CMD_HELP:
        fputs(console_help, s->out);
        fflush(s->out);
        return;
    case CMD_SESSION: {
        char phase[BP_PHASE_MAX + 2];
        const char *why = NULL;
        cli_printable((const uint8_t *)c.arg,
                      c.arg_len < sizeof phase - 1 ? c.arg_len : sizeof phase - 1, phase,
                      sizeof phase);
        if (c.arg_len > BP_PHASE_MAX || !hours_phase_ok(phase))
            info(s, "/seance takes a phase: %s", hours_phases);
        else if (dialog_hours_open(s, phase, &why))
            info(s, "cannot open a session: %s", why);
        return;
    }
    case CMD_CLOSE: {
        const char *why = NULL;
        if (dialog_hours_close(s, &why))
            info(s, "cannot close the session: %s", why);
        return;
    }
    case CMD_HOURS: {
        const char *why = NULL;
        if (dialog_hours_report(s, &why))
            info(s, "cannot ask for the hours: %s", why);
        return;
    }
    case CMD_UNKNOWN:
        info(s, "unknown command %s: type /aide (or /help) for the list", word);
        return;
    case CMD_BAD_ARG:
        if (!strcmp(word, "/oui") || !strcmp(word, "/yes") || !strcmp(word, "/non") ||
            !strcmp(word, "/no"))
            info(s, "%s takes nothing or a slot number from 0 to %d", word, BP_MAX_MEMBERS - 1);
        else if (!strcmp(word, "/seance") || !strcmp(word, "/session"))
            info(s, "%s takes a phase: %s", word, hours_phases);
        else
            info(s, "%s takes no argument", word);
        return;
    }
    (void)j;
}

static void console_event(struct join_console *j, struct dialog *s, enum console_ev ev,
                          const char *line, size_t len, uint64_t now)
{
    if (ev == CONSOLE_TOO_LONG)
        info(s, "line too long (over %d bytes): discarded", CONSOLE_LINE_MAX);
    else if (ev == CONSOLE_BAD_UTF8)
        info(s, "this line is not UTF-8 text: discarded");
    else if (ev == CONSOLE_LINE)
        console_command(j, s, line, len, now);
}

void join_console_input(struct join_console *j, struct dialog *s, const char *buf, size_t len,
                        uint64_t now)
{
    const char *line = NULL;
    size_t ll = 0;
    enum console_ev ev;
    if (!buf) { /* end of input: no more prompts, the room goes on */
        j->e2e->interactive = 0;
        ev = console_lines_end(&j->con, &line, &ll);
        console_event(j, s, ev, line, ll, now);
        return;
    }
    while (!s->finished &&
           (ev = console_lines_feed(&j->con, &buf, &len, &line, &ll)) != CONSOLE_NONE)
        console_event(j, s, ev, line, ll, now);
}
