/* join_console.c: the console of `bilan join` (see join_console.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "e2e_room.h"
#include "i18n.h"
#include "join_console.h"
#include "room_acts.h"
#include "util.h"
#include "words.h"

/* An answer to what the person typed: a sentence (or "[info] sentence"
 * among the machine lines). */
static void info(struct dialog *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void info(struct dialog *s, const char *fmt, ...)
{
    char text[ROOM_LINE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    if (s->machine) {
        fprintf(s->out, "[info] %s\n", text);
        fflush(s->out);
    } else {
        room_news_say(&s->news, ROOM_LINE_NOTICE, "%s", text);
    }
}

static const char help_text[] = N_(
    "Tapez une ligne puis Entrée pour l'envoyer à la salle (chiffrée de bout en bout).\n"
    "/oui [N]       l'autre personne lit le même code : le confirmer\n"
    "/non [N]       les codes sont différents : le refuser\n"
    "/qui           qui est dans la salle\n"
    "/seance PHASE  (consultant) ouvrir une séance : preliminaire, investigation,\n"
    "               conclusion ou suivi\n"
    "/fin           (consultant) terminer la séance\n"
    "/heures        les heures en face à face utilisées et restantes\n"
    "/envoyer CHEMIN  envoyer un fichier aux autres\n"
    "/accepter      enregistrer les fichiers qu'on vous envoie\n"
    "/refuser       les refuser\n"
    "/quitter       quitter la salle (comme Ctrl-D)\n"
    "/aide          cette liste\n"
    "//texte        envoyer une ligne qui commence par « / »\n");

static void print_help(struct dialog *s)
{
    const char *h = _(help_text);
    if (!s->machine) {
        room_news_say(&s->news, ROOM_LINE_NOTICE, "%s", h);
        return;
    }
    /* Machine lines: one "[help] " line per line of the text. */
    for (const char *p = h; *p;) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        fprintf(s->out, "[help] %.*s\n", (int)n, p);
        p += n + (nl != NULL);
    }
    fflush(s->out);
}

void join_console_init(struct join_console *j, struct e2e *e2e)
{
    console_lines_init(&j->con);
    j->e2e = e2e;
    j->tty = 0;
}

int join_console_send_file(struct join_console *j, struct dialog *s, const char *typed)
{
    /* As a person gives a path: "~/..." is the home folder; a terminal's
     * drag and drop quotes it. */
    char path[4096];
    size_t n = strlen(typed);
    if (n >= 2 && (typed[0] == '\'' || typed[0] == '"') && typed[n - 1] == typed[0]) {
        typed++;
        n -= 2;
    }
    const char *home = getenv("HOME");
    if (n >= 2 && typed[0] == '~' && typed[1] == '/' && home)
        snprintf(path, sizeof path, "%s/%.*s", home, (int)(n - 2), typed + 2);
    else
        snprintf(path, sizeof path, "%.*s", (int)n, typed);
    char why[600];
    if (!s->tx) {
        info(s, "%s", _("Cette salle n'envoie pas de fichiers."));
        return -1;
    }
    if (filehash_start(&j->hash, path, why, sizeof why)) {
        info(s, _("Fichier non envoyé : %s"), why);
        return -1;
    }
    return 0;
}

void join_console_tick(struct join_console *j, struct dialog *s, uint64_t now)
{
    char path[4096], why[600];
    uint64_t size;
    uint8_t sha[32];
    int ok;
    (void)now;
    while (filehash_take(&j->hash, path, sizeof path, &size, sha, &ok, why, sizeof why)) {
        if (!ok || datatx_add_hashed(s->tx, path, size, sha, why, sizeof why)) {
            info(s, _("Fichier non envoyé : %s"), why);
            continue;
        }
        const struct datatx_item *it = &s->tx->items[s->tx->n - 1];
        room_news_file_sending(&s->news, it->name, (unsigned long long)it->size);
        if (dialog_in_room(s) && !dialog_others(s))
            info(s, "%s", _("(il partira dès qu'une autre personne sera dans la salle)"));
        mux_poke(&s->mux);
    }
}

void join_console_files(struct join_console *j, struct dialog *s, int yes)
{
    (void)j;
    int stored = 0;
    int n = s->rx ? datarx_decide(s->rx, yes, &stored) : 0;
    if (!n)
        info(s, "%s", _("Aucun fichier n'attend votre réponse."));
    else if (!yes)
        info(s, n > 1 ? _("%d fichiers refusés.") : _("%d fichier refusé."), n);
    if (s->rx)
        room_news_files_decided(&s->news, datarx_waiting(s->rx));
    if (stored)
        s->script.progress = 1;
}

void join_console_free(struct join_console *j)
{
    filehash_free(&j->hash);
}

static void console_command(struct join_console *j, struct dialog *s, const char *line, size_t len,
                            uint64_t now)
{
    struct console_cmd c;
    console_parse(line, len, BP_MAX_MEMBERS - 1, &c);
    char word[40], said[ROOM_LINE_MAX];
    cli_printable((const uint8_t *)c.arg, c.arg_len, word, sizeof word);
    switch (c.kind) {
    case CMD_EMPTY:
        return;
    case CMD_CHAT: {
        int rc = room_act_say(s, c.arg, c.arg_len, said, sizeof said);
        if (rc >= 0) {
            char text[BP_CHAT_MAX + 1];
            cli_printable((const uint8_t *)c.arg, c.arg_len, text, sizeof text);
            room_news_chat_mine(&s->news, text);
        }
        if (said[0])
            info(s, "%s", said);
        return;
    }
    case CMD_YES:
    case CMD_NO:
        if (room_act_code(s, j->e2e, c.slot, c.kind == CMD_YES, now, said, sizeof said))
            info(s, "%s", said);
        return;
    case CMD_WHO:
        dialog_print_members(s);
        return;
    case CMD_QUIT:
        info(s, "%s", _("Vous quittez la salle."));
        dialog_quit(s, now);
        return;
    case CMD_HELP:
        print_help(s);
        return;
    case CMD_SESSION:
        if (room_act_open_session(s, c.arg, c.arg_len, said, sizeof said))
            info(s, "%s", said);
        return;
    case CMD_CLOSE:
        if (room_act_close_session(s, said, sizeof said))
            info(s, "%s", said);
        return;
    case CMD_SEND: {
        char path[4096];
        snprintf(path, sizeof path, "%.*s", (int)c.arg_len, c.arg);
        join_console_send_file(j, s, path);
        return;
    }
    case CMD_ACCEPT:
    case CMD_REFUSE:
        join_console_files(j, s, c.kind == CMD_ACCEPT);
        return;
    case CMD_HOURS: {
        const char *why = NULL;
        if (dialog_hours_report(s, &why))
            info(s, _("Impossible de demander les heures : %s"), why);
        return;
    }
    case CMD_UNKNOWN: {
        /* Both languages: the suggestion is the command nearest to what was typed. */
        static const char *const known[] = {
            "/oui",  "/non",   "/qui",     "/seance",  "/fin",    "/heures", "/envoyer", "/accepter",
            "/refuser", "/quitter", "/aide", "/yes", "/no", "/who", "/session", "/close", "/hours",
            "/send", "/accept", "/refuse", "/quit", "/help"};
        int near;
        words_lookup(c.arg, c.arg_len, known, (int)(sizeof known / sizeof known[0]), &near);
        if (near >= 0)
            info(s, _("Commande inconnue %s. Vouliez-vous dire %s ? (/aide pour la liste)"), word,
                 known[near]);
        else
            info(s, _("Commande inconnue %s : tapez /aide pour la liste."), word);
        return;
    }
    case CMD_BAD_ARG:
        if (!strcmp(word, "/oui") || !strcmp(word, "/yes") || !strcmp(word, "/non") ||
            !strcmp(word, "/no"))
            info(s, _("%s s'emploie seul, ou suivi d'un numéro de 0 à %d"), word,
                 BP_MAX_MEMBERS - 1);
        else if (!strcmp(word, "/seance") || !strcmp(word, "/session"))
            info(s, _("%s demande une phase : %s"), word, BP_PHASE_LIST);
        else if (!strcmp(word, "/envoyer") || !strcmp(word, "/send"))
            info(s, _("%s demande le chemin du fichier, par exemple : /envoyer ~/Documents/cv.pdf"),
                 word);
        else
            info(s, _("%s s'emploie seul"), word);
        return;
    }
}

static void console_event(struct join_console *j, struct dialog *s, enum console_ev ev,
                          const char *line, size_t len, uint64_t now)
{
    if (ev == CONSOLE_TOO_LONG)
        info(s, _("Ligne trop longue (plus de %d octets) : elle n'a pas été envoyée."),
             CONSOLE_LINE_MAX);
    else if (ev == CONSOLE_BAD_UTF8)
        info(s, "%s", _("Cette ligne n'est pas du texte UTF-8 : elle n'a pas été envoyée."));
    else if (ev == CONSOLE_LINE)
        console_command(j, s, line, len, now);
}

void join_console_input(struct join_console *j, struct dialog *s, const char *buf, size_t len,
                        uint64_t now)
{
    const char *line = NULL;
    size_t ll = 0;
    enum console_ev ev;
    if (!buf) {
        j->e2e->interactive = 0;
        ev = console_lines_end(&j->con, &line, &ll);
        console_event(j, s, ev, line, ll, now);
        /* Ctrl-D at a terminal means "I am done": leave as /quitter does. A
         * script's input (a pipe, /dev/null) ending only stops the reading. */
        if (j->tty && !s->finished) {
            info(s, "%s", _("Fin de la saisie (Ctrl-D) : vous quittez la salle."));
            dialog_quit(s, now);
        }
        return;
    }
    static char lines[TERM_LINE_MAX + 1];
    if (j->term.active) { /* keys one by one: the editor makes the lines */
        len = term_keys(&j->term, buf, len, lines, sizeof lines);
        buf = lines;
    }
    while (!s->finished &&
           (ev = console_lines_feed(&j->con, &buf, &len, &line, &ll)) != CONSOLE_NONE)
        console_event(j, s, ev, line, ll, now);
    if (j->term.ended && !s->finished) {
        j->term.ended = 0;
        join_console_input(j, s, NULL, 0, now);
    }
}
