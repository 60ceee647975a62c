/* cmd_sheet.c: `bilan sheet ...`, a bilan's worksheets on this device
 * (docs/WORKSHEETS.md): the list of subcommands and their help, finding the
 * bilan in client.db, and the edits (new, set, resolve, delete). Reading
 * (show, conflicts, export) is cmd_sheet_show.c; what both use, sheet_cli.c.
 *
 * Everything here works offline: an edit is an operation stored on this
 * device (sheets.h) and sent at the next sync. Owns: the command line and
 * the words a person reads. Must never: talk to the network (the sync is
 * its own subcommand), or print a sheet's content anywhere but the
 * standard output the person asked it on. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "cmd_sheet_edit.h"
#include "cmd_sheet_show.h"
#include "sheet_cli.h"
#include "sheet_net.h"
#include "bp/vocab.h"
#include "i18n.h"
#include "sheet_input.h"

static const char usage[] = N_(
    "Utilisation : bilan sheet COMMANDE [ARGUMENTS] [--bilan BILAN] [--server HÔTE:PORT]\n"
    "\n"
    "Les fiches de travail d'un bilan (programme, récit de parcours, synthèse...),\n"
    "sur cet appareil. Tout marche sans réseau : une modification est enregistrée\n"
    "ici, puis envoyée aussitôt si le serveur répond, sinon à la prochaine\n"
    "synchronisation ; toujours chiffrée (le serveur ne peut pas la lire).\n"
    "\n"
    "Commandes :\n"
    "  templates              les modèles de fiche de cet appareil\n"
    "  list                   les fiches du bilan\n"
    "  new MODÈLE             crée une fiche ; affiche son identifiant\n"
    "  show ID                montre une fiche, section par section\n"
    "  set ID CHAMP VALEUR    remplit un champ (VALEUR vide : le vide)\n"
    "  edit ID                ouvre la fiche dans votre éditeur de texte\n"
    "  conflicts [ID]         les champs écrits en même temps sur deux appareils\n"
    "  resolve ID CHAMP (--keep N | --value VALEUR)\n"
    "                         choisit la version à garder (rien n'est perdu)\n"
    "  export ID --format md|pdf [--large-print] [-o FICHIER]\n"
    "                         la fiche en Markdown ou en PDF, faite sur cet appareil\n"
    "  delete ID              supprime une fiche pour tous les appareils du bilan\n"
    "  sync                   envoie vos modifications et reçoit celles des autres\n"
    "  consent FICHE...       (bénéficiaire) garder ces fiches un an après la fin du\n"
    "                         bilan, pour le suivi ; --none retire votre accord\n"
    "\n"
    "ID : l'identifiant d'une fiche (`bilan sheet list`), ou son début (4 caractères\n"
    "au moins) s'il n'y en a qu'une qui commence ainsi.\n"
    "  --bilan BILAN          quel bilan, si cet appareil en connaît plusieurs\n"
    "  --server HÔTE:PORT     quel serveur, si le bilan est connu sur plusieurs\n"
    "  --offline              (new, set, edit, resolve, delete) ne pas envoyer tout de suite\n"
    "`bilan sheet COMMANDE --help` : l'aide d'une commande.\n"
    "\n"
    "Codes de sortie : 0 réussi, 1 commande ou données incorrectes (fiche ou champ\n"
    "inconnu, valeur qui ne convient pas).\n");

static const char usage_templates[] = N_(
    "Utilisation : bilan sheet templates\n"
    "\n"
    "Liste les modèles de fiche livrés avec cet appareil : leur nom (à donner à\n"
    "`bilan sheet new`), leur titre et la phase du bilan où ils servent.\n");

static const char usage_list[] = N_(
    "Utilisation : bilan sheet list [--all] [--bilan BILAN] [--server HÔTE:PORT]\n"
    "\n"
    "Liste les fiches du bilan : identifiant, titre, ce qui distingue deux fiches du\n"
    "même modèle (le début du premier texte), date de création, modifications pas\n"
    "encore envoyées et conflits.\n"
    "  --all   montre aussi les fiches supprimées\n");

static const char usage_new[] = N_(
    "Utilisation : bilan sheet new MODÈLE [--bilan BILAN] [--server HÔTE:PORT]\n"
    "\n"
    "Crée une fiche du MODÈLE (`bilan sheet templates` les liste) et affiche son\n"
    "identifiant seul sur la sortie standard.\n");

static const char usage_show[] = N_(
    "Utilisation : bilan sheet show ID [--bilan BILAN] [--server HÔTE:PORT]\n"
    "\n"
    "Montre la fiche : son titre, ses sections et, pour chaque champ, son nom entre\n"
    "crochets (à donner à `bilan sheet set`) et sa valeur. Un champ écrit en même\n"
    "temps sur deux appareils est marqué [CONFLIT], avec ses versions.\n");

static const char usage_set[] = N_(
    "Utilisation : bilan sheet set ID CHAMP VALEUR [--bilan BILAN] [--server HÔTE:PORT]\n"
    "\n"
    "Remplit le CHAMP de la fiche. VALEUR selon le type du champ :\n"
    "  texte           tel quel (plusieurs lignes possibles)\n"
    "  choix           l'identifiant d'un choix ou son libellé\n"
    "  plusieurs choix séparés par des virgules : \"orientation, creation\"\n"
    "  note            un nombre entier, dans les bornes du champ\n"
    "  liste           éléments séparés par des retours à la ligne ou par \" | \"\n"
    "  date            jj/mm/aaaa (ou aaaa-mm-jj)\n"
    "Une VALEUR vide (\"\") vide le champ. `bilan sheet show ID` donne les champs.\n"
    "Si VALEUR commence par « - », écrivez « -- » avant : set ID CHAMP -- \"-x\".\n");

static const char usage_edit[] = N_(
    "Utilisation : bilan sheet edit ID [--bilan BILAN] [--server HÔTE:PORT]\n"
    "\n"
    "Ouvre la fiche dans votre éditeur de texte ($VISUAL, sinon $EDITOR, sinon\n"
    "editor, sinon vi), sous une forme lisible expliquée en tête du texte. À la\n"
    "fermeture, chaque champ changé est enregistré ; un champ en conflit que vous\n"
    "réécrivez est résolu. Si le texte ne se relit pas, l'éditeur se rouvre avec\n"
    "l'erreur en tête : rien de ce que vous avez écrit n'est perdu.\n");

static const char usage_conflicts[] = N_(
    "Utilisation : bilan sheet conflicts [ID] [--bilan BILAN] [--server HÔTE:PORT]\n"
    "\n"
    "Les champs de texte ou de liste écrits en même temps sur deux appareils : leurs\n"
    "versions, numérotées (la première est celle montrée pour l'instant), avec qui\n"
    "les a écrites et quand. Sans ID : toutes les fiches du bilan.\n"
    "Code de sortie 0 dans tous les cas.\n");

static const char usage_resolve[] = N_(
    "Utilisation : bilan sheet resolve ID CHAMP (--keep N | --value VALEUR)\n"
    "                                  [--bilan BILAN] [--server HÔTE:PORT]\n"
    "\n"
    "Résout un conflit : garde la version N (`bilan sheet conflicts ID`), ou\n"
    "écrit une nouvelle VALEUR (par exemple un texte fait des deux versions).\n"
    "Les autres versions restent dans l'historique de la fiche : rien n'est perdu.\n");

static const char usage_export[] = N_(
    "Utilisation : bilan sheet export ID --format md|pdf [--large-print] [-o FICHIER]\n"
    "                                 [--bilan BILAN] [--server HÔTE:PORT]\n"
    "\n"
    "Écrit la fiche en Markdown (md) ou en PDF (A4, police DejaVu Sans), sur cet\n"
    "appareil : le serveur ne la voit jamais. Le fichier n'est lisible que par vous.\n"
    "  --format md|pdf   le format\n"
    "  --large-print     PDF en gros caractères (18 points au lieu de 11)\n"
    "  -o FICHIER        où l'écrire ; sans -o : le Markdown sur la sortie\n"
    "                    standard, le PDF dans MODÈLE-ID.pdf du dossier courant\n");

static const char usage_delete[] = N_(
    "Utilisation : bilan sheet delete ID [--bilan BILAN] [--server HÔTE:PORT]\n"
    "\n"
    "Supprime la fiche pour tous les appareils du bilan (à la prochaine\n"
    "synchronisation). Ses opérations restent jusqu'à la fermeture du bilan.\n");

/* ---- finding the bilan ---- */

struct bilan_pick {
    const char *want;
    int count;
    struct ks_bilan first;
    char list[512];
};

static int bilan_cb(void *arg, const struct ks_bilan *b)
{
    struct bilan_pick *p = arg;
    if (p->want && strcmp(p->want, b->bilan))
        return 0;
    if (!p->count++)
        p->first = *b;
    size_t n = strlen(p->list);
    if (n + strlen(b->bilan) + 3 < sizeof p->list)
        snprintf(p->list + n, sizeof p->list - n, "%s%s", n ? ", " : "", b->bilan);
    return 0;
}

/* Opens the key store, finds the bilan (offline: it must be in client.db)
 * and this device's role in it, and opens its sheets. */
static int open_bilan(struct sheet_cli *c, const struct sheet_opts *o)
{
    int rc = app_open(c->a);
    if (rc)
        return rc;
    long long sid = 0;
    if (o->server) {
        if ((rc = app_pick_server(c->a, o->server, BP_ROLE_NONE, &c->srv)))
            return rc;
        sid = c->srv.id;
    }
    struct bilan_pick p;
    memset(&p, 0, sizeof p);
    p.want = o->bilan;
    rc = ks_bilan_each(c->a->ks, sid, bilan_cb, &p);
    struct ks_bilan b = p.first;
    OPENSSL_cleanse(&p.first, sizeof p.first); /* holds the invite secret */
    OPENSSL_cleanse(b.secret, sizeof b.secret);
    OPENSSL_cleanse(b.token, sizeof b.token);
    if (rc)
        return cli_fail(EXIT_USAGE, "%s", ks_error(c->a->ks));
    if (p.count == 0)
        return o->bilan ? cli_fail(EXIT_USAGE,
                                   _("cet appareil ne connaît pas le bilan « %s » : rejoignez-le "
                                     "avec son lien (`bilan join LIEN`), ou voyez `bilan bilan "
                                     "list`"),
                                   o->bilan)
                        : cli_fail(EXIT_USAGE,
                                   _("cet appareil ne connaît aucun bilan : rejoignez-en un avec "
                                     "son lien d'invitation (`bilan join LIEN`)"));
    if (p.count > 1)
        return cli_fail(EXIT_USAGE,
                        o->bilan ? _("le bilan %s est connu sur plusieurs serveurs : ajoutez "
                                     "--server HÔTE:PORT")
                                 : _("cet appareil connaît plusieurs bilans (%s) : choisissez-en "
                                     "un avec --bilan BILAN"),
                        o->bilan ? o->bilan : p.list);
    if (!o->server && ks_server_by_id(c->a->ks, b.server_id, &c->srv))
        return cli_fail(EXIT_USAGE, _("le bilan %s n'a pas de serveur dans client.db : rejoignez-le à nouveau "
                                "avec son lien"),
                        b.bilan);
    snprintf(c->bilan, sizeof c->bilan, "%s", b.bilan);
    snprintf(c->label, sizeof c->label, "%s", b.label);
    c->role = bp_role_parse(b.role, strlen(b.role));
    if (!c->role)
        c->role = bp_role_parse(c->srv.role, strlen(c->srv.role));
    if (!c->role)
        return cli_fail(EXIT_USAGE,
                        _("le rôle de cet appareil dans le bilan %s est inconnu : entrez une fois "
                          "dans sa salle (`bilan join %s`)"),
                        c->bilan, c->bilan);
    uint8_t fp[BP_FP_LEN];
    char why[1024];
    if (bp_fingerprint(c->a->id.sign_pub, c->a->id.dh_pub, fp))
        return cli_fail(EXIT_USAGE, "%s", _("impossible de calculer l'empreinte de cet appareil"));
    if (sheets_open(c->a->ks, c->srv.id, c->bilan, fp, c->role, &c->s, why, sizeof why))
        return cli_fail(EXIT_USAGE, _("impossible de lire les fiches du bilan %s : %s"),
                        c->bilan, why);
    return 0;
}

/* ---- templates, list ---- */

static int cmd_templates(struct sheet_cli *c, const struct sheet_opts *o, int nargs, char **args)
{
    (void)c, (void)o, (void)nargs, (void)args;
    struct ws_templates ts;
    char why[1024];
    if (ws_templates_load_all(&ts, why, sizeof why))
        return cli_fail(EXIT_USAGE, "%s", why);
    for (size_t i = 0; i < ts.n; i++)
        printf("%-20s %s (%s)\n", ts.t[i]->id, ts.t[i]->title,
               bp_phase_label(ts.t[i]->phase, i18n_english()));
    ws_templates_free(&ts);
    return 0;
}

static int list_cb(void *arg, const struct sheets_info *i)
{
    int *n = arg;
    char when[64];
    sheet_cli_when(i->created_ms, when, sizeof when);
    printf("%s  %s", i->id, i->title);
    if (i->label[0])
        printf(_(" — « %s »"), i->label);
    if (i->deleted)
        printf("  %s", _("(supprimée)"));
    printf(_("  créée le %s"), when);
    if (i->pending)
        printf(_("  à envoyer : %zu"), i->pending);
    if (i->conflicts)
        printf(_("  conflits : %zu"), i->conflicts);
    putchar('\n');
    (*n)++;
    return 0;
}

static int cmd_list(struct sheet_cli *c, const struct sheet_opts *o, int nargs, char **args)
{
    (void)nargs, (void)args;
    int n = 0;
    if (sheets_list(c->s, o->all, list_cb, &n))
        return cli_fail(EXIT_USAGE, "%s", _("mémoire insuffisante"));
    if (!n)
        printf(_("Aucune fiche dans le bilan %s : `bilan sheet new MODÈLE` en crée une "
                 "(`bilan sheet templates` donne les modèles).\n"),
               c->bilan);
    return 0;
}

/* ---- edits ---- */

static int cmd_new(struct sheet_cli *c, const struct sheet_opts *o, int nargs, char **args)
{
    (void)o, (void)nargs;
    char id[SHEETS_ID_LEN + 1], why[2048];
    if (sheets_new(c->s, args[0], id, why, sizeof why))
        return cli_fail(EXIT_USAGE, "%s", why);
    printf("%s\n", id);
    fprintf(stderr, _("Fiche « %s » créée dans le bilan %s. %s\n"),
            ws_templates_find(sheets_templates(c->s), args[0])->title, c->bilan,
            _("Enregistré sur cet appareil ; envoyé à la prochaine synchronisation "
              "(bilan sheet sync)."));
    return 0;
}

/* The field of sheet id, or NULL after the reason is printed (sheets_set
 * says it: unknown field with the list, or a role that may not write). */
static const struct bp_ws_field *writable(struct sheet_cli *c, const char *id, const char *field)
{
    struct sheets_info info;
    char why[2048];
    if (sheets_info(c->s, id, &info) || !info.t) {
        json_t *null = json_null();
        sheets_set(c->s, id, field, null, why, sizeof why);
        cli_fail(EXIT_USAGE, "%s", why);
        return NULL;
    }
    const struct bp_ws_field *f = bp_ws_template_field(info.t, field);
    int ws_role = c->role == BP_ROLE_CONSULTANT ? BP_WS_CONSULTANT : BP_WS_BENEFICIARY;
    if (!f || !((int)f->editors & ws_role)) {
        sheets_set(c->s, id, field, json_null(), why, sizeof why); /* refused: says why */
        cli_fail(EXIT_USAGE, "%s", why);
        return NULL;
    }
    return f;
}

static int cmd_set(struct sheet_cli *c, const struct sheet_opts *o, int nargs, char **args)
{
    (void)o, (void)nargs;
    char id[SHEETS_ID_LEN + 1], why[2048];
    int rc = sheet_cli_find(c, args[0], id);
    if (rc)
        return rc;
    const struct bp_ws_field *f = writable(c, id, args[1]);
    if (!f)
        return EXIT_USAGE;
    json_t *v;
    if (sheet_input_parse(f, args[2], &v, why, sizeof why))
        return cli_fail(EXIT_USAGE, "%s", why);
    rc = sheets_set(c->s, id, f->id, v, why, sizeof why);
    json_decref(v);
    if (rc)
        return cli_fail(EXIT_USAGE, "%s", why);
    printf(_("« %s » mis à jour.\n"), f->label);
    sheet_cli_saved();
    return 0;
}

static int cmd_resolve(struct sheet_cli *c, const struct sheet_opts *o, int nargs, char **args)
{
    (void)nargs;
    char id[SHEETS_ID_LEN + 1], why[2048];
    if ((o->keep > 0) == (o->value != NULL))
        return cli_fail(EXIT_USAGE, "%s",
                        _("donnez soit --keep N (la version à garder), soit --value VALEUR"));
    int rc = sheet_cli_find(c, args[0], id);
    if (rc)
        return rc;
    const struct bp_ws_field *f = writable(c, id, args[1]);
    if (!f)
        return EXIT_USAGE;
    int conflict = 0;
    size_t n = sheets_heads(c->s, id, f->id, NULL, 0, &conflict);
    json_t *v = NULL;
    if (o->keep) {
        if (!conflict)
            return cli_fail(EXIT_USAGE,
                            _("le champ « %s » n'a qu'une version : rien à choisir (`bilan sheet "
                              "set` le modifie)"),
                            f->id);
        if ((size_t)o->keep > n)
            return cli_fail(EXIT_USAGE,
                            _("le champ « %s » a %zu versions : --keep va de 1 à %zu"), f->id, n,
                            n);
        const struct bp_ws_op **h = calloc(n, sizeof *h);
        if (!h)
            return cli_fail(EXIT_USAGE, "%s", _("mémoire insuffisante"));
        sheets_heads(c->s, id, f->id, h, n, NULL);
        v = json_deep_copy(h[o->keep - 1]->value ? h[o->keep - 1]->value : json_null());
        free(h);
    } else if (sheet_input_parse(f, o->value, &v, why, sizeof why)) {
        return cli_fail(EXIT_USAGE, "%s", why);
    }
    rc = sheets_set(c->s, id, f->id, v, why, sizeof why);
    json_decref(v);
    if (rc)
        return cli_fail(EXIT_USAGE, "%s", why);
    if (conflict)
        printf(_("Conflit de « %s » résolu : les %zu versions restent dans l'historique.\n"),
               f->label, n);
    else
        printf(_("« %s » mis à jour.\n"), f->label);
    sheet_cli_saved();
    return 0;
}

static int cmd_delete(struct sheet_cli *c, const struct sheet_opts *o, int nargs, char **args)
{
    (void)o, (void)nargs;
    char id[SHEETS_ID_LEN + 1], why[1024];
    int rc = sheet_cli_find(c, args[0], id);
    if (rc)
        return rc;
    if (sheets_delete(c->s, id, why, sizeof why))
        return cli_fail(EXIT_USAGE, "%s", why);
    printf(_("Fiche %s supprimée.\n"), id);
    sheet_cli_saved();
    return 0;
}

/* ---- dispatch ---- */

static const struct sheet_sub subs[] = {
    {"templates", cmd_templates, usage_templates, 0, 0, 0},
    {"list", cmd_list, usage_list, 0, 0, 1},
    {"new", cmd_new, usage_new, 1, 1, 1},
    {"show", sheet_cmd_show, usage_show, 1, 1, 1},
    {"set", cmd_set, usage_set, 3, 3, 1},
    {"edit", sheet_cmd_edit, usage_edit, 1, 1, 1},
    {"conflicts", sheet_cmd_conflicts, usage_conflicts, 0, 1, 1},
    {"resolve", cmd_resolve, usage_resolve, 2, 2, 1},
    {"export", sheet_cmd_export, usage_export, 1, 1, 1},
    {"delete", cmd_delete, usage_delete, 1, 1, 1},
};

int cmd_sheet(struct app *a, int argc, char **argv)
{
    static const struct option opts[] = {
        {"bilan", required_argument, NULL, 'b'}, {"server", required_argument, NULL, 's'},
        {"format", required_argument, NULL, 'f'}, {"output", required_argument, NULL, 'o'},
        {"keep", required_argument, NULL, 'k'},   {"value", required_argument, NULL, 'v'},
        {"large-print", no_argument, NULL, 'L'},  {"all", no_argument, NULL, 'A'},
        {"offline", no_argument, NULL, 'O'},      {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
        !strcmp(argv[1], "help")) {
        fputs(_(usage), argc < 2 ? stderr : stdout);
        return argc < 2 ? EXIT_USAGE : 0;
    }
    /* What talks to the server (cmd_sheet_net.c). */
    if (!strcmp(argv[1], "sync"))
        return sheet_net_sync_cmd(a, argc - 1, argv + 1);
    if (!strcmp(argv[1], "consent"))
        return sheet_net_consent_cmd(a, argc - 1, argv + 1);
    const struct sheet_sub *sub = NULL;
    for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++)
        if (!strcmp(argv[1], subs[i].name))
            sub = &subs[i];
    if (!sub)
        return cli_fail(EXIT_USAGE,
                        _("« %s » n'est pas une commande de bilan sheet : voyez `bilan sheet "
                          "--help`"),
                        argv[1]);
    struct sheet_opts o;
    memset(&o, 0, sizeof o);
    int c, help = 0;
    argc--, argv++; /* the subcommand's own words, its name first */
    optind = 0; /* glibc: start again, forgetting main's "+" (stop at the first word) */
    opterr = 0;
    while ((c = getopt_long(argc, argv, "b:s:f:o:k:v:h", opts, NULL)) != -1) {
        switch (c) {
        case 'b': o.bilan = optarg; break;
        case 's': o.server = optarg; break;
        case 'f': o.format = optarg; break;
        case 'o': o.output = optarg; break;
        case 'v': o.value = optarg; break;
        case 'L': o.large_print = 1; break;
        case 'A': o.all = 1; break;
        case 'O': o.offline = 1; break;
        case 'h': help = 1; break;
        case 'k': {
            char *end;
            long k = strtol(optarg, &end, 10);
            if (*end || k < 1 || k > 1000)
                return cli_fail(EXIT_USAGE, _("--keep attend le numéro d'une version (1, 2...), "
                                              "pas « %s »"),
                                optarg);
            o.keep = (int)k;
            break;
        }
        default:
            return cli_bad_option(argv, _(sub->usage));
        }
    }
    if (help) {
        fputs(_(sub->usage), stdout);
        return 0;
    }
    int nargs = argc - optind;
    if (nargs < sub->min_args || nargs > sub->max_args) {
        fprintf(stderr, "%s", nargs < sub->min_args ? _("bilan : il manque un argument\n\n")
                                                    : _("bilan : trop d'arguments\n\n"));
        fputs(_(sub->usage), stderr);
        return EXIT_USAGE;
    }
    if ((o.keep || o.value) && sub->run != cmd_resolve)
        return cli_fail(EXIT_USAGE, _("--keep et --value vont avec `bilan sheet resolve`"));
    if ((o.format || o.output || o.large_print) && sub->run != sheet_cmd_export)
        return cli_fail(EXIT_USAGE, _("--format, -o et --large-print vont avec `bilan sheet "
                                      "export`"));
    struct sheet_cli cli;
    memset(&cli, 0, sizeof cli);
    cli.a = a;
    int rc = sub->needs_bilan ? open_bilan(&cli, &o) : 0;
    if (!rc)
        rc = sub->run(&cli, &o, nargs, argv + optind);
    sheets_close(cli.s);
    cli.s = NULL;
    int edits = sub->run == cmd_new || sub->run == cmd_set || sub->run == cmd_resolve ||
                sub->run == cmd_delete || sub->run == sheet_cmd_edit;
    if (!rc && edits) {
        /* Saved here first; sent now when the server can be reached (a
         * failure to send is said, and the change waits: it is not lost). */
        FILE *say = sub->run == cmd_new ? stderr : stdout; /* `new` prints the id alone */
        if (o.offline)
            fprintf(say, "%s\n", _("Il partira à la prochaine synchronisation (bilan sheet sync)."));
        else if (sheet_net_try_sync(a, cli.bilan, o.server) == 0)
            fprintf(say, "%s\n", _("Envoyé, chiffré : les autres appareils du bilan le recevront."));
    }
    return rc;
}
