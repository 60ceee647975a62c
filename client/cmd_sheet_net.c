/* cmd_sheet_net.c: what `bilan sheet` does over the network (PROTOCOL.md
 * §10): `sync` (the catch-up of sheet_sync.c over one connection),
 * `consent` (the beneficiary's signed statement, §10.3), and the sync a
 * local edit tries at once (sheet_net_try_sync). Also `bilan bilan close`
 * (§10.4), which ends a bilan and shreds its worksheets here.
 *
 * The offline commands are cmd_sheet.c's; this file finds the bilan, opens
 * one connection and runs one dialog. Must never: print a key, a value or
 * the statement's signature. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "bp/b64.h"
#include "bp/ident.h"
#include "bp/ws_consent.h"
#include "cli.h"
#include "enrol.h"
#include "i18n.h"
#include "sheet_net.h"
#include "sheet_sync.h"
#include "sheets.h"

/* The bilan's server and this device's role in it. 0 or an exit code. */
static int find_bilan(struct app *a, const char *bilan, const char *opt_server, struct ks_server *srv,
                      char id[BP_ID_MAX + 1], int *role)
{
    int rc;
    if ((rc = app_open(a)) || (rc = cli_pick_bilan(a, bilan, opt_server, srv, id)))
        return rc;
    struct ks_bilan kb;
    *role = BP_ROLE_NONE;
    if (ks_bilan_get(a->ks, srv->id, id, &kb) == 0)
        *role = bp_role_parse(kb.role, strlen(kb.role));
    OPENSSL_cleanse(&kb, sizeof kb);
    if (*role == BP_ROLE_NONE)
        *role = !strcmp(srv->role, "consultant") ? BP_ROLE_CONSULTANT : BP_ROLE_BENEFICIARY;
    return 0;
}

static int net_reply(void *ctx, struct dialog *d, enum bp_type t, const json_t *m);

struct net_ctx {
    struct app *a;
    struct ks_server srv;
    int quiet; /* a sync after a local edit: only what went wrong */
};

static int run(struct net_ctx *c, struct dialog *d)
{
    static const struct dialog_app app = {.on_reply = net_reply};
    d->app = &app;
    d->app_ctx = c;
    d->id = &c->a->id;
    struct net_cfg cfg = {.host = c->srv.host, .port = c->srv.port, .has_pin = c->srv.has_pin};
    memcpy(cfg.pin, c->srv.pin, BP_FP_LEN);
    return app_run_dialog(d, &cfg);
}

static int net_reply(void *ctx, struct dialog *d, enum bp_type t, const json_t *m)
{
    struct net_ctx *c = ctx;
    if (t == BP_T_WELCOME)
        return cli_store_bilans(c->a, c->srv.id, json_object_get(m, "bilans"));
    if (t == BP_T_SHEET_CONSENTED) {
        size_t n = json_array_size(json_object_get(m, "sheets"));
        if (n)
            printf(_("Votre accord est enregistré : %zu fiche(s) de ce bilan seront gardées un an après sa "
                     "fin, pour l'entretien de suivi. Les autres seront effacées à la fin du bilan.\n"),
                   n);
        else
            printf("%s\n", _("Votre accord est retiré : à la fin du bilan, toutes ses fiches seront "
                             "effacées."));
        fflush(stdout);
        return 0;
    }
    if (t == BP_T_BILAN_CLOSED) {
        const json_t *kept = json_object_get(m, "kept_sheets");
        printf(_("Bilan %s clos. Sur le serveur : %lld modification(s) de fiches effacée(s) (%lld octets "
                 "chiffrés) ; %zu fiche(s) gardée(s) un an avec l'accord du bénéficiaire (%lld "
                 "modification(s)). Les heures et les relevés de présence restent.\n"),
               d->bilan, bp_int(m, "deleted_ops", 0), bp_int(m, "deleted_bytes", 0), json_array_size(kept),
               bp_int(m, "kept_ops", 0));
        fflush(stdout);
        if (sheet_sync_shred(c->a->ks, c->srv.id, d->bilan, kept, 0, stderr))
            return EXIT_USAGE;
        printf("%s\n", json_array_size(kept)
                           ? _("Sur cet appareil, les autres fiches et leurs modifications sont effacées.")
                           : _("Sur cet appareil, les fiches et leur clé sont effacées."));
        return 0;
    }
    return 0;
}

/* ---- sync ---- */

static int sync_run(struct app *a, const char *bilan, const char *opt_server, int quiet, int machine)
{
    struct net_ctx c = {.a = a, .quiet = quiet};
    char id[BP_ID_MAX + 1];
    int role, rc;
    if ((rc = find_bilan(a, bilan, opt_server, &c.srv, id, &role)))
        return rc;
    struct sheet_sync *sync;
    struct sheet_sync_cfg sc = {.ks = a->ks, .server_id = c.srv.id, .id = &a->id, .role = role,
                                .end_when_done = 1, .err = stderr};
    if (sheet_sync_new(&sc, &sync))
        return cli_fail(EXIT_USAGE, "%s", _("mémoire insuffisante"));
    static struct dialog d;
    dialog_init(&d);
    snprintf(d.bilan, sizeof d.bilan, "%s", id);
    d.req.goal = GOAL_SHEETS;
    d.sheets = &sheet_sync_hooks;
    d.sheets_ctx = sync;
    d.machine = machine; /* the "[sheets] ..." lines, for scripts and tests */
    rc = run(&c, &d);
    const struct sheet_sync_counts *n = sheet_sync_counts(sync);
    if (n->closed) {
        printf("%s\n", _("Ce bilan est clos : ses fiches ont été effacées de cet appareil, sauf celles que le "
                         "bénéficiaire a demandé à garder."));
    } else if (n->done && (!quiet || n->refused)) {
        printf(_("Fiches synchronisées : %ld modification(s) envoyée(s), %ld reçue(s)"), n->pushed, n->received);
        if (n->refused)
            printf(_(", %ld refusée(s) (illisibles ou non autorisées, voir ci-dessus)"), n->refused);
        if (n->pending_left)
            printf(_(", %ld encore en attente"), n->pending_left);
        printf(".\n");
    }
    if (rc == EXIT_NETWORK || rc == EXIT_TIMEOUT)
        fprintf(stderr, "%s\n", _("bilan : pas de connexion au serveur pour l'instant : les modifications sont "
                                  "enregistrées sur cet appareil et partiront à la prochaine synchronisation "
                                  "(bilan sheet sync)."));
    fflush(stdout);
    dialog_free(&d);
    sheet_sync_free(sync);
    return rc;
}

int sheet_net_try_sync(struct app *a, const char *bilan, const char *opt_server)
{
    return sync_run(a, bilan, opt_server, 1, 0);
}

static const char usage_sync[] = N_(
    "Utilisation : bilan sheet sync [--bilan BILAN] [--server HÔTE:PORT] [--machine]\n"
    "\n"
    "Envoie au serveur les modifications faites sur cet appareil (chiffrées : le serveur ne\n"
    "peut pas les lire) et reçoit celles des autres appareils du bilan. Les fiches restent\n"
    "utilisables sans réseau ; cette commande les met en commun.\n"
    "  --machine   ajoute les lignes « [sheets] ... » pour les scripts (comptes, octets)\n"
    "\n"
    "Codes de sortie : 0 réussi, 1 commande ou données incorrectes, 2 refusé par le\n"
    "serveur (ou fiches pas encore partagées avec cet appareil), 3 réseau, 4 délai dépassé.\n");

int sheet_net_sync_cmd(struct app *a, int argc, char **argv)
{
    static const struct option opts[] = {
        {"bilan", required_argument, NULL, 'b'},
        {"server", required_argument, NULL, 's'},
        {"machine", no_argument, NULL, 'm'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *bilan = NULL, *opt_server = NULL;
    int c, machine = 0;
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "b:s:mh", opts, NULL)) != -1) {
        if (c == 'm')
            machine = 1;
        else if (c == 'b')
            bilan = optarg;
        else if (c == 's')
            opt_server = optarg;
        else if (c == 'h') {
            fputs(_(usage_sync), stdout);
            return 0;
        } else
            return cli_bad_option(argv, _(usage_sync));
    }
    if (optind < argc)
        return cli_fail(EXIT_USAGE, _("argument en trop : « %s » (voir --help)"), argv[optind]);
    return sync_run(a, bilan, opt_server, 0, machine);
}

/* ---- consent ---- */

static const char usage_consent[] = N_(
    "Utilisation : bilan sheet consent FICHE... [--bilan BILAN] [--server HÔTE:PORT]\n"
    "              bilan sheet consent --none [--bilan BILAN]\n"
    "\n"
    "(Bénéficiaire) À la fin du bilan, toutes ses fiches sont effacées. Vous pouvez\n"
    "demander que la synthèse et les fiches que vous choisissez soient gardées un an,\n"
    "pour l'entretien de suivi : nommez-les (leur identifiant, ou son début, comme le\n"
    "montre `bilan sheet list`). Votre accord est signé par cet appareil et daté ; le\n"
    "nouveau remplace le précédent. --none retire votre accord : tout sera effacé.\n");

static int cmp_str(const void *x, const void *y)
{
    return strcmp((const char *)x, (const char *)y);
}

int sheet_net_consent_cmd(struct app *a, int argc, char **argv)
{
    static const struct option opts[] = {
        {"bilan", required_argument, NULL, 'b'},
        {"server", required_argument, NULL, 's'},
        {"none", no_argument, NULL, 'n'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *bilan = NULL, *opt_server = NULL;
    int none = 0, c, rc, role;
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "b:s:nh", opts, NULL)) != -1) {
        if (c == 'b')
            bilan = optarg;
        else if (c == 's')
            opt_server = optarg;
        else if (c == 'n')
            none = 1;
        else if (c == 'h') {
            fputs(_(usage_consent), stdout);
            return 0;
        } else
            return cli_bad_option(argv, _(usage_consent));
    }
    int nsheets = argc - optind;
    if (none == (nsheets > 0))
        return cli_fail(EXIT_USAGE, "%s",
                        _("nommez les fiches à garder, ou --none pour retirer votre accord (voir --help)"));
    if (nsheets > BP_WS_CONSENT_SHEETS)
        return cli_fail(EXIT_USAGE, _("%d fiches au plus"), BP_WS_CONSENT_SHEETS);
    struct net_ctx ctx = {.a = a};
    char id[BP_ID_MAX + 1];
    if ((rc = find_bilan(a, bilan, opt_server, &ctx.srv, id, &role)))
        return rc;
    if (role != BP_ROLE_BENEFICIARY)
        return cli_fail(EXIT_USAGE, "%s",
                        _("seul le bénéficiaire donne son accord, depuis son propre appareil : la loi lui "
                          "laisse ce choix"));
    struct bp_ws_consent k;
    memset(&k, 0, sizeof k);
    uint8_t fp[BP_FP_LEN];
    struct sheets *sh = NULL;
    char why[512];
    if (bp_fingerprint(a->id.sign_pub, a->id.dh_pub, fp))
        return cli_fail(EXIT_USAGE, "%s", _("votre accord n'a pas pu être préparé"));
    if (nsheets) {
        if (sheets_open(a->ks, ctx.srv.id, id, fp, role, &sh, why, sizeof why))
            return cli_fail(EXIT_USAGE, "%s", why);
        for (int i = 0; i < nsheets; i++) {
            char full[SHEETS_ID_LEN + 1];
            if (sheets_find(sh, argv[optind + i], full, why, sizeof why)) {
                sheets_close(sh);
                return cli_fail(EXIT_USAGE, "%s", why);
            }
            int dup = 0;
            for (size_t j = 0; j < k.n_sheets; j++)
                dup |= !strcmp(k.sheets[j], full);
            if (!dup)
                snprintf(k.sheets[k.n_sheets++], sizeof k.sheets[0], "%s", full);
        }
        sheets_close(sh);
        qsort(k.sheets, k.n_sheets, sizeof k.sheets[0], cmp_str);
    }
    bp_b64_encode(fp, BP_FP_LEN, k.device);
    snprintf(k.bilan, sizeof k.bilan, "%s", id);
    k.at = (int64_t)time(NULL);
    size_t len;
    char *st = bp_ws_consent_encode(&k, &len);
    uint8_t sig[BP_SIG_LEN];
    static struct dialog d;
    dialog_init(&d);
    if (!st || len >= sizeof d.req.statement || bp_ws_consent_sign(a->id.sign_priv, st, len, sig)) {
        free(st);
        return cli_fail(EXIT_USAGE, "%s", _("votre accord n'a pas pu être préparé"));
    }
    memcpy(d.req.statement, st, len + 1);
    bp_b64_encode(sig, sizeof sig, d.req.statement_sig);
    free(st);
    snprintf(d.bilan, sizeof d.bilan, "%s", id);
    d.req.goal = GOAL_CONSENT;
    rc = run(&ctx, &d);
    dialog_free(&d);
    return rc;
}

/* ---- bilan bilan close ---- */

static const char usage_close[] = N_(
    "Utilisation : bilan bilan close BILAN [--yes] [--server HÔTE:PORT]\n"
    "\n"
    "(Consultant) Clôt le bilan, comme la loi le demande à la fin de l'action : le\n"
    "serveur efface toutes ses fiches, sauf celles que le bénéficiaire a demandé à garder\n"
    "pour le suivi (effacées un an plus tard) ; chaque appareil efface ses copies et la\n"
    "clé des fiches quand il l'apprend. Les heures et les relevés de présence restent.\n"
    "On ne peut plus ensuite ni rejoindre la salle ni modifier les fiches.\n"
    "  --yes   sans question (pour un script) ; sinon la commande demande confirmation\n");

int sheet_net_close_cmd(struct app *a, int argc, char **argv)
{
    static const struct option opts[] = {
        {"yes", no_argument, NULL, 'y'},
        {"server", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *opt_server = NULL;
    int yes = 0, c, rc, role;
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "ys:h", opts, NULL)) != -1) {
        if (c == 'y')
            yes = 1;
        else if (c == 's')
            opt_server = optarg;
        else if (c == 'h') {
            fputs(_(usage_close), stdout);
            return 0;
        } else
            return cli_bad_option(argv, _(usage_close));
    }
    if (argc - optind != 1)
        return cli_fail(EXIT_USAGE, "%s", _("`bilan bilan close` demande l'identifiant du BILAN (voir --help)"));
    struct net_ctx ctx = {.a = a};
    char id[BP_ID_MAX + 1];
    if ((rc = find_bilan(a, argv[optind], opt_server, &ctx.srv, id, &role)))
        return rc;
    if (!yes) {
        if (!isatty(STDIN_FILENO))
            return cli_fail(EXIT_USAGE, "%s",
                            _("clore un bilan efface ses fiches : confirmez avec --yes (voir --help)"));
        printf(_("Clore le bilan %s ? Ses fiches seront effacées, sauf celles que le bénéficiaire a demandé "
                 "à garder. Tapez « oui » pour confirmer : "),
               id);
        fflush(stdout);
        char line[32];
        if (!fgets(line, sizeof line, stdin) || strncmp(line, "oui", 3))
            return cli_fail(EXIT_USAGE, "%s", _("rien n'a été fait"));
    }
    static struct dialog d;
    dialog_init(&d);
    snprintf(d.bilan, sizeof d.bilan, "%s", id);
    d.req.goal = GOAL_CLOSE;
    rc = run(&ctx, &d);
    dialog_free(&d);
    return rc;
}
