/* cmd_bilan.c: `bilan bilan create|invite|list`, the consultant's bilans.
 *
 * The invite secret (32 random bytes, the fragment of the invite link) is
 * drawn here, a new one for each invite, stored locally with the bilan's
 * earlier ones, and put only into the printed link: it is never sent to the
 * server (PROTOCOL.md §2.3). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "cli.h"
#include "enrol.h"
#include "i18n.h"
#include "sheet_net.h"

static const char usage[] = N_(
    "Utilisation : bilan bilan create --label LIBELLÉ [--budget DURÉE] [--invite-ttl DURÉE]\n"
    "                                 [--server HÔTE:PORT]\n"
    "              bilan bilan invite BILAN [--invite-ttl DURÉE] [--server HÔTE:PORT]\n"
    "              bilan bilan list [--local] [--server HÔTE:PORT]\n"
    "              bilan bilan close BILAN [--yes] [--server HÔTE:PORT]\n"
    "\n"
    "Commandes du consultant.\n"
    "  create   crée un bilan et affiche le lien d'invitation pour le bénéficiaire\n"
    "  invite   affiche un nouveau lien d'invitation pour un bilan existant, avec un\n"
    "           nouveau secret ; les liens précédents pas encore utilisés cessent de\n"
    "           marcher (« remplacé par un lien plus récent »)\n"
    "  list     liste les bilans que cet appareil peut rejoindre (--local : d'après cet\n"
    "           appareil seulement)\n"
    "  close    clôt le bilan à la fin de l'action : ses fiches sont effacées, sauf\n"
    "           celles que le bénéficiaire a demandé à garder (voir close --help)\n"
    "\n"
    "  --label LIBELLÉ       un libellé pseudonyme (1 à 64 octets) : jamais le nom du\n"
    "                        bénéficiaire\n"
    "  --budget DURÉE        budget de face-à-face, de 1h à 24h (16h par défaut)\n"
    "  --invite-ttl DURÉE    durée de validité du lien d'invitation, de 1m à 30d\n"
    "                        (7d par défaut)\n"
    "  --server HÔTE:PORT    le serveur, si cet appareil est inscrit sur plusieurs\n"
    "Durées : 16h, 90m, 1h30, 3600s, 7d (jours), ou un nombre de secondes.\n");

struct bilan_ctx {
    struct app *a;
    struct ks_server srv;
    uint8_t secret[BP_SECRET_LEN];
    int local;
    enum net_trust trust; /* how this connection trusted the server */
};

static void fmt_hm(long long s, char *out, size_t cap)
{
    snprintf(out, cap, "%lldh%02lld", s / 3600, s % 3600 / 60);
}

/* Prints the invite link for (token, secret) on srv, and remembers it. */
static int print_invite(struct bilan_ctx *b, const char *bilan, const json_t *m)
{
    struct ks_bilan kb;
    memset(&kb, 0, sizeof kb);
    kb.server_id = b->srv.id;
    snprintf(kb.bilan, sizeof kb.bilan, "%s", bilan);
    snprintf(kb.role, sizeof kb.role, "%s", bp_role_name(BP_ROLE_CONSULTANT));
    if (bp_b64_decode_exact(bp_str(m, "invite_token", ""), kb.token, BP_TOKEN_LEN))
        return cli_fail(EXIT_NETWORK, _("le serveur a envoyé un jeton d'invitation invalide : réessayez, ou "
                                           "prévenez l'administrateur"));
    kb.has_token = 1;
    kb.invite_expires = bp_int(m, "invite_expires", 0);
    bp_sha256(kb.token, BP_TOKEN_LEN, kb.token_hash);
    kb.has_token_hash = 1;
    memcpy(kb.secret, b->secret, BP_SECRET_LEN);
    kb.has_secret = 1;
    const char *label = bp_str(m, "label", "");
    snprintf(kb.label, sizeof kb.label, "%s", label);
    kb.budget_s = bp_int(m, "budget_s", 0);
    int rc = ks_bilan_put(b->a->ks, &kb);
    if (rc) {
        OPENSSL_cleanse(&kb, sizeof kb);
        return cli_fail(
            EXIT_USAGE,
            _("impossible d'enregistrer le bilan (le lien n'a pas été affiché : lancez "
              "`bilan bilan invite %s`) : %s"),
            bilan, ks_error(b->a->ks));
    }
    struct bp_link l;
    memset(&l, 0, sizeof l);
    l.kind = BP_LINK_INVITE;
    snprintf(l.host, sizeof l.host, "%s", b->srv.host);
    l.port = b->srv.port;
    memcpy(l.token, kb.token, BP_TOKEN_LEN);
    memcpy(l.secret, b->secret, BP_SECRET_LEN);
    l.has_secret = 1;
    /* A pin only for a server this connection trusted by its pin: one that
     * the CA store vouches for is never pinned (its renewal would lock the
     * beneficiary out), even if this device has an old pin for it. */
    l.has_pin = b->trust == NET_TRUST_PIN && b->srv.has_pin;
    if (l.has_pin)
        memcpy(l.pin, b->srv.pin, BP_FP_LEN);
    char link[1200];
    int n = bp_link_format(&l, link, sizeof link);
    OPENSSL_cleanse(&l, sizeof l);
    OPENSSL_cleanse(&kb, sizeof kb);
    if (n < 0)
        return cli_fail(EXIT_USAGE, "%s",
                        bp_host_usable(b->srv.host)
                            ? _("impossible d'écrire le lien d'invitation")
                            : _("impossible d'écrire le lien d'invitation : cet appareil connaît "
                                "le serveur par une adresse générique ; inscrivez-le à nouveau "
                                "avec un lien qui nomme le serveur"));
    printf(_("Lien d'invitation pour le bénéficiaire (envoyez-le en privé ; il sert une "
             "fois, jusqu'à son expiration) :\n%s\n"),
           link);
    fflush(stdout);
    OPENSSL_cleanse(link, sizeof link);
    return 0;
}

static int print_bilan(void *arg, const struct ks_bilan *kb)
{
    char label[BP_LABEL_MAX + 1], budget[32];
    cli_printable((const uint8_t *)kb->label, strlen(kb->label), label, sizeof label);
    fmt_hm(kb->budget_s, budget, sizeof budget);
    /* The id last: scripts take the last word of the line. */
    printf("role=%s budget=%s label=%s bilan=%s\n", kb->role[0] ? kb->role : "?", budget, label,
           kb->bilan);
    (*(int *)arg)++;
    return 0;
}

static int bilan_reply(void *ctx, struct dialog *s, enum bp_type t, const json_t *m)
{
    struct bilan_ctx *b = ctx;
    if (t == BP_T_WELCOME) {
        /* Keep the role and bilan list fresh, and forget a pin the CA made
         * useless. */
        cli_trust_seen(b->a, &b->srv, b->trust);
        return cli_store_bilans(b->a, b->srv.id, json_object_get(m, "bilans"));
    }
    if (t == BP_T_BILAN_CREATED) {
        char label[BP_LABEL_MAX + 1], budget[32];
        const char *lb = bp_str(m, "label", "");
        cli_printable((const uint8_t *)lb, strlen(lb), label, sizeof label);
        fmt_hm(bp_int(m, "budget_s", 0), budget, sizeof budget);
        printf(_("Bilan créé : bilan=%s label=%s budget=%s\n"), bp_str(m, "bilan", ""), label,
               budget);
        return print_invite(b, bp_str(m, "bilan", ""), m);
    }
    if (t == BP_T_INVITE_CREATED)
        return print_invite(b, s->bilan, m);
    if (t == BP_T_BILANS) {
        int rc = cli_store_bilans(b->a, b->srv.id, json_object_get(m, "bilans"));
        if (rc)
            return rc;
        int count = 0;
        ks_bilan_each(b->a->ks, b->srv.id, print_bilan, &count);
        if (!count)
            printf(_("(aucun bilan)\n"));
        fflush(stdout);
    }
    return 0;
}

static int parse_dur(const char *opt, const char *v, long long min, long long max, long long *out)
{
    const char *why;
    if (cli_parse_duration(v, out, &why))
        return cli_fail(EXIT_USAGE, "%s %s : %s", opt, v, why);
    if (*out < min || *out > max)
        return cli_fail(EXIT_USAGE, _("%s %s : la durée doit être comprise entre %llds et %llds"), opt, v, min,
                        max);
    return 0;
}

int cmd_bilan(struct app *a, int argc, char **argv)
{
    static const struct option opts[] = {
        {"label", required_argument, NULL, 'l'},
        {"budget", required_argument, NULL, 'b'},
        {"invite-ttl", required_argument, NULL, 't'},
        {"server", required_argument, NULL, 's'},
        {"local", no_argument, NULL, 'L'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        fputs(_(usage), argc < 2 ? stderr : stdout);
        return argc < 2 ? EXIT_USAGE : 0;
    }
    const char *sub = argv[1];
    enum dialog_goal goal;
    if (!strcmp(sub, "close"))
        return sheet_net_close_cmd(a, argc - 1, argv + 1);
    if (!strcmp(sub, "create"))
        goal = GOAL_CREATE;
    else if (!strcmp(sub, "invite"))
        goal = GOAL_INVITE;
    else if (!strcmp(sub, "list"))
        goal = GOAL_LIST;
    else
        return cli_fail(EXIT_USAGE,
                        _("commande `bilan bilan` inconnue « %s » : create, invite, list ou close "
                          "(voir --help)"),
                        sub);
    const char *label = NULL, *opt_server = NULL;
    long long budget = 0, ttl = 0;
    int local = 0, c, rc;
    optind = 0; /* 0, not 1: glibc then resets its state and permutes (options after operands) */
    argc--, argv++;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "l:b:t:s:Lh", opts, NULL)) != -1) {
        switch (c) {
        case 'l':
            label = optarg;
            break;
        case 'b':
            if ((rc = parse_dur("--budget", optarg, 3600, BP_CAP_S, &budget)))
                return rc;
            break;
        case 't':
            if ((rc = parse_dur("--invite-ttl", optarg, 60, 30 * 86400, &ttl)))
                return rc;
            break;
        case 's':
            opt_server = optarg;
            break;
        case 'L':
            local = 1;
            break;
        case 'h':
            fputs(_(usage), stdout);
            return 0;
        default:
            return cli_bad_option(argv, _(usage));
        }
    }
    const char *bilan = NULL;
    if (goal == GOAL_INVITE) {
        if (argc - optind != 1)
            return cli_fail(EXIT_USAGE,
                            _("`bilan bilan invite` demande l'identifiant du bilan (voir "
                              "`bilan bilan list`)"));
        bilan = argv[optind];
        if (!bp_id_ok(bilan))
            return cli_fail(EXIT_USAGE, _("« %s » n'est pas un identifiant de bilan (1 à 64 caractères parmi "
                              "A-Z a-z 0-9 _ -)"),
                            bilan);
    } else if (argc != optind) {
        return cli_fail(EXIT_USAGE, _("argument en trop : « %s » (voir --help)"), argv[optind]);
    }
    if (goal == GOAL_CREATE) {
        if (!label)
            return cli_fail(EXIT_USAGE,
                            _("`bilan bilan create` demande --label LIBELLÉ (un pseudonyme, "
                              "pas un nom)"));
        size_t n = strlen(label);
        if (n < 1 || n > BP_LABEL_MAX)
            return cli_fail(EXIT_USAGE, _("--label doit faire de 1 à 64 octets"));
    } else if (label || budget) {
        return cli_fail(EXIT_USAGE, _("--label et --budget ne servent qu'à `bilan bilan create`"));
    }
    if (local && goal != GOAL_LIST)
        return cli_fail(EXIT_USAGE, _("--local ne sert qu'à `bilan bilan list`"));
    if ((rc = app_open(a)))
        return rc;
    struct bilan_ctx b;
    memset(&b, 0, sizeof b);
    b.a = a;
    if (local) {
        long long sid = 0;
        if (opt_server) {
            if ((rc = app_pick_server(a, opt_server, BP_ROLE_NONE, &b.srv)))
                return rc;
            sid = b.srv.id;
        }
        int count = 0;
        ks_bilan_each(a->ks, sid, print_bilan, &count);
        if (!count)
            printf(_("(aucun bilan sur cet appareil)\n"));
        return 0;
    }
    if ((rc = app_pick_server(a, opt_server, goal == GOAL_LIST ? BP_ROLE_NONE : BP_ROLE_CONSULTANT, &b.srv)))
        return rc;
    /* A new secret for every invite: a link that leaked before it was
     * replaced then proves nothing about the new one, and another device of
     * the consultant could not know an earlier secret anyway. This device
     * keeps all of them (keystore bilan_secrets) and proves itself with each,
     * so a beneficiary who joined with an earlier link is still recognised. */
    if ((goal == GOAL_CREATE || goal == GOAL_INVITE) && bp_random(b.secret, sizeof b.secret))
        return cli_fail(EXIT_USAGE, _("impossible de tirer des octets aléatoires (OpenSSL)"));
    static const struct dialog_app app = {.on_reply = bilan_reply};
    struct dialog s;
    dialog_init(&s);
    s.app = &app;
    s.app_ctx = &b;
    s.id = &a->id;
    s.req.goal = goal;
    if (label)
        snprintf(s.req.label, sizeof s.req.label, "%s", label);
    if (bilan)
        snprintf(s.bilan, sizeof s.bilan, "%s", bilan);
    s.req.budget_s = budget;
    s.req.invite_ttl_s = ttl;
    struct net_cfg cfg = {
        .host = b.srv.host, .port = b.srv.port, .has_pin = b.srv.has_pin, .trusted_by = &b.trust};
    memcpy(cfg.pin, b.srv.pin, BP_FP_LEN);
    rc = app_run_dialog(&s, &cfg);
    dialog_free(&s);
    OPENSSL_cleanse(b.secret, sizeof b.secret);
    return rc;
}
