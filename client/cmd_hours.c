/* cmd_hours.c: `bilan hours` (the bilan's face-to-face report, from the
 * server), `bilan hours declare` (a beneficiary's personal work) and
 * `bilan receipt verify` (an attendance receipt, offline). PROTOCOL.md §9.
 *
 * The formatting and the verification are in hours.c (pure, unit-tested);
 * this file parses the command line, finds the bilan and its server in the
 * key store and runs one request over one connection. */
#include <getopt.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "cli.h"
#include "enrol.h"
#include "hours.h"
#include "i18n.h"

static const char usage_hours[] = N_(
    "Utilisation : bilan hours [BILAN] [--format table|tableur|csv|json] [--server HÔTE:PORT]\n"
    "              bilan hours declare DURÉE [--bilan BILAN] [--note TEXTE] [--server HÔTE:PORT]\n"
    "\n"
    "hours            demande au serveur les heures de face-à-face du bilan et les\n"
    "                 affiche : chaque séance (phase, début et fin en heure locale, temps\n"
    "                 de face-à-face, interruptions), les totaux par phase, le temps\n"
    "                 utilisé, le budget et ce qu'il en reste, le travail personnel\n"
    "                 déclaré, le total face au maximum légal de 24 h, et les alertes.\n"
    "                 Sans BILAN : le seul bilan que connaît cet appareil.\n"
    "  --format F     table (par défaut, à lire), tableur (pour un tableur ou un\n"
    "                 financeur : séparateur « ; », dates jj/mm/aaaa, durées h:mm,\n"
    "                 UTF-8 avec BOM), csv (RFC 4180, pour les scripts) ou json (le\n"
    "                 relevé du serveur tel quel)\n"
    "declare          (bénéficiaire) déclare du travail personnel fait hors des\n"
    "                 séances : DURÉE de 1m à 24h, comme 1h30, 45m, 2h\n"
    "  --bilan BILAN  quel bilan, si cet appareil en connaît plusieurs\n"
    "  --note TEXTE   une courte note (200 octets au plus) gardée avec la déclaration\n"
    "  --server H:P   quel serveur, si l'identifiant du bilan est connu sur plusieurs\n"
    "\n"
    "Codes de sortie : 0 réussi, 1 commande ou données incorrectes, 2 refusé par le\n"
    "serveur, 3 réseau, 4 délai dépassé.\n");

static const char usage_receipt[] = N_(
    "Utilisation : bilan receipt verify FICHIER\n"
    "\n"
    "Vérifie un relevé de présence sans réseau ni dossier de données : FICHIER est un\n"
    "relevé ({\"receipt\":1, \"record\":..., \"signatures\":[...]}) ou une liste JSON de\n"
    "relevés (ce qu'affiche `bilan-server receipts BILAN`). Pour chaque relevé : la\n"
    "séance (bilan, séance, phase, début et fin en UTC, temps de face-à-face), chaque\n"
    "signature (VALIDE ou INVALIDE, et pourquoi), chaque participant qui a refusé de\n"
    "signer et pourquoi (un appareil refuse un relevé qui ne correspond pas à ce qu'il\n"
    "a vu lui-même), et chaque participant qui n'a pas répondu.\n"
    "\n"
    "Codes de sortie : 0 toutes les signatures valides et tous les participants ont\n"
    "signé, 5 une signature invalide, 7 un participant a refusé de signer, 6 tout est\n"
    "valide mais il manque des signatures, 1 fichier illisible.\n");

/* ---- bilan hours ---- */

struct hours_ctx {
    struct app *a;
    long long server_id;
    enum hours_format fmt;
};

static int hours_reply(void *ctx, struct dialog *s, enum bp_type t, const json_t *m)
{
    struct hours_ctx *h = ctx;
    if (t == BP_T_WELCOME)
        return cli_store_bilans(h->a, h->server_id, json_object_get(m, "bilans"));
    if (t == BP_T_HOURS_REPORT) {
        const char *why;
        if (hours_report_print(stdout, json_object_get(m, "report"), h->fmt, 1, &why))
            return cli_fail(EXIT_NETWORK, _("le relevé envoyé par le serveur est illisible : %s"), why);
        fflush(stdout);
        return 0;
    }
    if (t == BP_T_PERSONAL_DECLARED) {
        char hm[24];
        hours_fmt_hm(bp_int(m, "seconds", 0) * 1000, hm, sizeof hm);
        printf(_("Travail personnel déclaré : %s pour bilan=%s\n"), hm,
               bp_str(m, "bilan", s->bilan));
        fflush(stdout);
        return 0;
    }
    return 0;
}

static int run_request(struct app *a, struct ks_server *srv, struct dialog *s,
                       struct hours_ctx *h)
{
    static const struct dialog_app app = {.on_reply = hours_reply};
    h->a = a;
    h->server_id = srv->id;
    s->app = &app;
    s->app_ctx = h;
    s->id = &a->id;
    struct net_cfg cfg = {.host = srv->host, .port = srv->port, .has_pin = srv->has_pin};
    memcpy(cfg.pin, srv->pin, BP_FP_LEN);
    int rc = app_run_dialog(s, &cfg);
    dialog_free(s);
    return rc;
}

static int cmd_declare(struct app *a, int argc, char **argv)
{
    static const struct option opts[] = {
        {"bilan", required_argument, NULL, 'b'},
        {"note", required_argument, NULL, 'n'},
        {"server", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *bilan = NULL, *note = NULL, *opt_server = NULL;
    int c, rc;
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "b:n:s:h", opts, NULL)) != -1) {
        switch (c) {
        case 'b':
            bilan = optarg;
            break;
        case 'n':
            note = optarg;
            break;
        case 's':
            opt_server = optarg;
            break;
        case 'h':
            fputs(_(usage_hours), stdout);
            return 0;
        default:
            return cli_bad_option(argv, _(usage_hours));
        }
    }
    if (argc - optind != 1)
        return cli_fail(EXIT_USAGE,
                        _("`bilan hours declare` demande une DURÉE, comme 1h30 ou 45m (voir "
                          "--help)"));
    const char *why;
    long long secs;
    if (cli_parse_duration(argv[optind], &secs, &why))
        return cli_fail(EXIT_USAGE, "%s : %s", argv[optind], why);
    if (secs < 60 || secs > 86400)
        return cli_fail(EXIT_USAGE, _("%s : le travail personnel se déclare de 1m à 24h à la fois"),
                        argv[optind]);
    if (note && (strlen(note) > 200 || !bp_utf8_valid((const uint8_t *)note, strlen(note))))
        return cli_fail(EXIT_USAGE, _("--note : 200 octets de texte UTF-8 au plus"));
    if ((rc = app_open(a)))
        return rc;
    struct ks_server srv;
    char id[BP_ID_MAX + 1];
    if ((rc = cli_pick_bilan(a, bilan, opt_server, &srv, id)))
        return rc;
    struct dialog s;
    dialog_init(&s);
    snprintf(s.bilan, sizeof s.bilan, "%s", id);
    s.req.goal = GOAL_DECLARE;
    s.req.declare_s = secs;
    if (note)
        snprintf(s.req.note, sizeof s.req.note, "%s", note);
    struct hours_ctx h = {.fmt = HOURS_TABLE};
    return run_request(a, &srv, &s, &h);
}

int cmd_hours(struct app *a, int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "declare"))
        return cmd_declare(a, argc - 1, argv + 1);
    static const struct option opts[] = {
        {"format", required_argument, NULL, 'f'},
        {"server", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *opt_server = NULL;
    enum hours_format fmt = HOURS_TABLE;
    int c, rc;
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "f:s:h", opts, NULL)) != -1) {
        switch (c) {
        case 'f':
            fmt = hours_format_parse(optarg);
            if (!fmt)
                return cli_fail(EXIT_USAGE, _("--format %s : choisissez table, tableur, csv ou json"), optarg);
            break;
        case 's':
            opt_server = optarg;
            break;
        case 'h':
            fputs(_(usage_hours), stdout);
            return 0;
        default:
            return cli_bad_option(argv, _(usage_hours));
        }
    }
    if (argc - optind > 1)
        return cli_fail(EXIT_USAGE, _("argument en trop : « %s » (voir --help)"), argv[optind + 1]);
    if ((rc = app_open(a)))
        return rc;
    struct ks_server srv;
    char id[BP_ID_MAX + 1];
    if ((rc = cli_pick_bilan(a, argc - optind == 1 ? argv[optind] : NULL, opt_server, &srv, id)))
        return rc;
    struct dialog s;
    dialog_init(&s);
    snprintf(s.bilan, sizeof s.bilan, "%s", id);
    s.req.goal = GOAL_HOURS;
    struct hours_ctx h = {.fmt = fmt};
    return run_request(a, &srv, &s, &h);
}

/* ---- bilan receipt verify ---- */

int cmd_receipt(struct app *a, int argc, char **argv)
{
    (void)a;
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        fputs(_(usage_receipt), argc < 2 ? stderr : stdout);
        return argc < 2 ? EXIT_USAGE : 0;
    }
    if (strcmp(argv[1], "verify"))
        return cli_fail(EXIT_USAGE, _("commande `bilan receipt` inconnue « %s » : la seule est verify (voir "
                          "--help)"),
                        argv[1]);
    if (argc == 3 && (!strcmp(argv[2], "--help") || !strcmp(argv[2], "-h"))) {
        fputs(_(usage_receipt), stdout);
        return 0;
    }
    if (argc != 3)
        return cli_fail(EXIT_USAGE, _("`bilan receipt verify` demande un FICHIER (voir --help)"));
    json_error_t je;
    FILE *fp = fopen(argv[2], "rb");
    if (!fp)
        return cli_fail(EXIT_USAGE, _("%s : impossible de lire le fichier : %s"), argv[2],
                        i18n_strerror(errno));
    json_t *doc = json_loadf(fp, JSON_REJECT_DUPLICATES, &je);
    fclose(fp);
    if (!doc)
        return cli_fail(EXIT_USAGE,
                        _("%s : ce n'est pas un relevé lisible (JSON incorrect ligne %d, "
                          "colonne %d, octet %d)"),
                        argv[2], je.line, je.column, je.position);
    int rc = hours_receipt_verify(stdout, stderr, doc);
    json_decref(doc);
    return rc;
}
