/* cmd_open.c: `bilan open URL`: what the desktop entry runs when a person
 * clicks a link (packaging/bilan.desktop: Exec=bilan open %u), and what the
 * landing page's copied command says. It does what the person means: an
 * invite link joins that bilan's room (`bilan join`), an enrolment link
 * enrols this device (`bilan enrol`). Started from the desktop (no
 * terminal), its errors are also shown in a box (desk_errors.h).
 *
 * Accepted forms (PROTOCOL.md §2.3, "bilan: links"):
 *   bilan:https://HOST[:PORT]/j/<token>#<secret>[.<pin>]   (what the page builds)
 *   bilan://HOST[:PORT]/j/...                              (same, "https:" implied)
 *   https://HOST[:PORT]/j/...  and the /e/ enrolment forms
 * A browser or a mail program may have percent-encoded some characters on
 * the way (%23 for '#'): they are decoded here, and the result must then be
 * an ordinary link (proto/link.c checks it byte by byte).
 *
 * Must never print the link: its fragment is the invite secret (and its
 * token a credential). Errors say which kind of mistake it is, in French,
 * never the bytes. The decoded copy is wiped before returning. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "cli.h"
#include "desk_errors.h"
#include "i18n.h"
#include "join_opts.h"

/* bp_link_parse's cap plus the longest scheme we strip. */
#define OPEN_MAX 1100
#define OPEN_ARGS_MAX 64

static const char open_usage[] =
    N_("Usage : bilan open LIEN [OPTIONS]\n"
       "\n"
       "Ouvre un lien Bilan : celui de votre message (https://...) ou celui du bouton\n"
       "« Ouvrir dans l'application Bilan » de la page web (bilan:https://...).\n"
       "Un lien d'invitation vous fait entrer dans la salle du bilan (comme\n"
       "`bilan join LIEN`) ; un lien d'inscription inscrit cet appareil (comme\n"
       "`bilan enrol LIEN`). Les OPTIONS sont celles de ces commandes.\n"
       "Mettez le lien entre apostrophes : 'https://...#...'.\n");

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Copies s into out as an https link: strips "bilan:" (or "bilan://",
 * giving "https://"), decodes %XX into printable ASCII only. 0, or -1 when
 * it is not one of our forms (nothing is said here: the caller explains). */
static int to_https(const char *s, char *out, size_t cap)
{
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
        s++;
    size_t o = 0;
    if (!strncasecmp(s, "bilan:", 6)) {
        s += 6;
        if (s[0] == '/' && s[1] == '/') {
            memcpy(out, "https:", 6);
            o = 6;
        }
    }
    for (; *s; s++) {
        char c = *s;
        if (c == '%') {
            int h = hexval(s[1]), l = h < 0 ? -1 : hexval(s[2]);
            if (l < 0)
                return -1;
            c = (char)(h * 16 + l);
            if (c < 0x21 || c > 0x7e)
                return -1; /* no control byte, space or non-ASCII hides in a link */
            s += 2;
        }
        if (o + 1 >= cap)
            return -1;
        out[o++] = c;
    }
    out[o] = '\0';
    /* Trailing whitespace of a copy-paste. */
    while (o && (out[o - 1] == ' ' || out[o - 1] == '\t' || out[o - 1] == '\n' || out[o - 1] == '\r'))
        out[--o] = '\0';
    return strncasecmp(out, "https://", 8) ? -1 : 0;
}

/* Says why the link cannot be opened, in the person's words. Never the link. */
static int explain(const char *https, int form_ok)
{
    if (!form_ok)
        return cli_fail(EXIT_USAGE, "%s",
                        _("ce n'est pas un lien Bilan : il doit commencer par https:// ou par "
                          "bilan:. Ouvrez le lien tel que vous l'avez reçu dans votre message."));
    const char *j = strstr(https, "/j/");
    if (j && !strchr(j, '#'))
        return cli_fail(EXIT_USAGE, "%s",
                        _("ce lien d'invitation est incomplet : la partie après le signe # "
                          "manque. Ouvrez le lien complet depuis votre message, ou demandez un "
                          "nouveau lien à votre consultante ou à votre consultant."));
    return cli_fail(EXIT_USAGE, "%s",
                    _("ce lien Bilan est abîmé ou incomplet : vérifiez que vous l'avez copié en "
                      "entier, ou demandez un nouveau lien à votre consultante ou à votre "
                      "consultant."));
}

static int open_link(struct app *a, int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        fputs(_(open_usage), argc < 2 ? stderr : stdout);
        return argc < 2 ? EXIT_USAGE : 0;
    }
    if (argc > OPEN_ARGS_MAX)
        return cli_fail(EXIT_USAGE, "%s", _("trop d'options pour `bilan open`."));
    static char link[OPEN_MAX];
    struct bp_link l;
    const char *why;
    int rc;
    int form_ok = strnlen(argv[1], OPEN_MAX) < OPEN_MAX && !to_https(argv[1], link, sizeof link);
    if (!form_ok || bp_link_parse(link, &l, &why) || l.kind == BP_LINK_TOKEN) {
        rc = explain(link, form_ok);
        goto out;
    }
    /* The same command line with the plain link in place of URL. */
    char *sub[OPEN_ARGS_MAX + 1];
    sub[0] = l.kind == BP_LINK_INVITE ? "join" : "enrol";
    sub[1] = link;
    for (int i = 2; i < argc; i++)
        sub[i] = argv[i];
    sub[argc] = NULL;
    if (l.kind == BP_LINK_ENROL) {
        rc = cmd_enrol(a, argc, sub);
        goto out;
    }
    static struct join_opts o;
    rc = join_opts_parse(&o, argc, sub);
    if (rc) {
        rc = rc < 0 ? 0 : rc;
        goto out;
    }
    rc = join_run(a, &o);
    join_opts_free(&o);
out:
    OPENSSL_cleanse(&l, sizeof l);
    OPENSSL_cleanse(link, sizeof link);
    return rc;
}

/* A click on the desktop gives no terminal: what goes wrong is also shown
 * in a box (desk_errors.h), or the person would see nothing happen. */
int cmd_open(struct app *a, int argc, char **argv)
{
    struct desk_errors d;
    desk_errors_begin(&d, argc, argv);
    return desk_errors_end(&d, open_link(a, argc, argv));
}
