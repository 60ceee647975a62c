/* cmd_identity.c: `bilan identity show`: who this device is (fingerprint and
 * public keys; private keys are never printed) and where it is enrolled. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "i18n.h"

static const char usage[] = N_(
    "Utilisation : bilan identity show\n"
    "\n"
    "Montre l'identité de cet appareil : son empreinte (lisez-la à l'autre personne\n"
    "pour la comparer), ses clés publiques, sa date de création, le dossier des\n"
    "données et les serveurs où il est inscrit. Les clés privées ne sont jamais\n"
    "montrées.\n");

static void fmt_time(long long t, char *out, size_t cap)
{
    time_t tt = (time_t)t;
    struct tm tm;
    /* French dates are day/month/year; the catalogue gives the English
     * order. xgettext: a strftime() format, not printf(). */
    /* xgettext:no-c-format */
    const char *f = _("%d/%m/%Y %H:%M:%S UTC");
    if (!gmtime_r(&tt, &tm) || !strftime(out, cap, f, &tm))
        snprintf(out, cap, "%lld", t);
}

static int print_server(void *arg, const struct ks_server *s)
{
    (void)arg;
    char when[64], name[BP_NAME_MAX + 1];
    fmt_time(s->enrolled_at, when, sizeof when);
    cli_printable((const uint8_t *)s->name, strlen(s->name), name, sizeof name);
    int v6 = strchr(s->host, ':') != NULL;
    /* role= and name= stay wire words: scripts read them. */
    printf(_("  %s%s%s:%u  role=%s%s%s  confiance : %s  inscrit le %s\n"), v6 ? "[" : "",
           s->host, v6 ? "]" : "", s->port, s->role[0] ? s->role : "?",
           name[0] ? "  name=" : "", name,
           s->has_pin ? _("certificat épinglé") : _("autorités de certification du système"),
           when);
    (*(int *)arg)++;
    return 0;
}

int cmd_identity(struct app *a, int argc, char **argv)
{
    static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    int c;
    optind = 0; /* 0, not 1: glibc then resets its state and permutes (options after operands) */
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'h') {
            fputs(_(usage), stdout);
            return 0;
        }
        return cli_bad_option(argv, _(usage));
    }
    if (optind >= argc || strcmp(argv[optind], "show") || optind + 1 != argc) {
        if (optind < argc && !strcmp(argv[optind], "show"))
            return cli_fail(EXIT_USAGE, _("`identity show` ne prend pas d'argument"));
        fputs(_(usage), stderr);
        return EXIT_USAGE;
    }
    int rc = app_open(a);
    if (rc)
        return rc;
    uint8_t fp[BP_FP_LEN];
    char human[40], fp64[BP_B64_32 + 1], sp[BP_B64_32 + 1], dp[BP_B64_32 + 1], when[64];
    bp_fingerprint(a->id.sign_pub, a->id.dh_pub, fp);
    bp_fingerprint_human(fp, human);
    bp_b64_encode(fp, sizeof fp, fp64);
    bp_b64_encode(a->id.sign_pub, BP_KEY_LEN, sp);
    bp_b64_encode(a->id.dh_pub, BP_KEY_LEN, dp);
    fmt_time(a->id_created, when, sizeof when);
    printf(_("Empreinte :             %s\n"), human);
    printf(_("Identifiant :           %s\n"), fp64);
    printf(_("Clé de signature :      %s (Ed25519, publique)\n"), sp);
    printf(_("Clé d'échange :         %s (X25519, publique)\n"), dp);
    printf(_("Créée le :              %s\n"), when);
    printf(_("Dossier des données :   %s\n"), ks_dir(a->ks));
    printf(_("Serveurs :\n"));
    int count = 0;
    if (ks_server_each(a->ks, print_server, &count))
        return cli_fail(EXIT_USAGE, "%s", ks_error(a->ks));
    if (!count)
        printf(_("  (aucun pour l'instant : inscrivez cet appareil avec `bilan enrol LIEN`, ou\n"
                 "  rejoignez un bilan avec `bilan join LIEN` et un lien d'invitation)\n"));
    return 0;
}
