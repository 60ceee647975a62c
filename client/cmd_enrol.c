/* cmd_enrol.c: `bilan enrol LINK-OR-TOKEN`: redeems a consultant enrolment
 * token (PROTOCOL.md §2.2) and remembers the server, its pin (only when the
 * connection trusted the server by it, not by CA), this device's role and
 * the bilans the welcome lists. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "cli.h"
#include "enrol.h"
#include "i18n.h"
#include "sheet_shred.h"
#include "proto_words.h"

static const char usage[] = N_(
    "Utilisation : bilan enrol LIEN-OU-JETON [--server HÔTE:PORT] [--pin EMPREINTE]\n"
    "                         [--name NOM_APPAREIL]\n"
    "\n"
    "Inscrit cet appareil sur un serveur de bilans, avec le lien d'inscription\n"
    "qu'un administrateur vous a donné : https://HÔTE:PORT/e/<jeton>#<empreinte>.\n"
    "\n"
    "  LIEN-OU-JETON        le lien entier (entre guillemets), ou le jeton seul\n"
    "                       (43 caractères)\n"
    "  --server HÔTE:PORT   le serveur, nécessaire avec un jeton seul\n"
    "  --pin EMPREINTE      SHA-256 du certificat du serveur (43 caractères base64url) ;\n"
    "                       sans empreinte, le certificat doit être reconnu par le système\n"
    "  --name NOM_APPAREIL  le nom de cet appareil sur le serveur (par défaut : le nom\n"
    "                       de la machine)\n");

int cli_server_from_link(const char *arg, const char *opt_server, const char *opt_pin,
                         struct bp_link *l, struct net_cfg *cfg)
{
    const char *why;
    if (bp_link_parse(arg, l, &why))
        return cli_fail(EXIT_USAGE, _("lien illisible : %s ; copiez le lien entier, entre guillemets"),
                        proto_words(why));
    if (l->kind == BP_LINK_TOKEN) {
        if (!opt_server)
            return cli_fail(EXIT_USAGE,
                            _("un jeton seul demande --server HÔTE:PORT (ou donnez le lien "
                              "entier)"));
        if (cli_parse_hostport(opt_server, l->host, &l->port, &why))
            return cli_fail(EXIT_USAGE, "--server %s : %s", opt_server, why);
    } else if (opt_server) {
        char host[BP_HOST_MAX + 1];
        uint16_t port;
        if (cli_parse_hostport(opt_server, host, &port, &why))
            return cli_fail(EXIT_USAGE, "--server %s : %s", opt_server, why);
        if (strcmp(host, l->host) || port != l->port)
            return cli_fail(EXIT_USAGE, _("--server %s n'est pas le serveur du lien : retirez --server"),
                            opt_server);
    }
    if (opt_pin) {
        uint8_t pin[BP_FP_LEN];
        if (bp_b64_decode_exact(opt_pin, pin, sizeof pin))
            return cli_fail(EXIT_USAGE,
                            _("--pin attend 43 caractères base64url (le SHA-256 du "
                              "certificat)"));
        if (l->has_pin && memcmp(pin, l->pin, sizeof pin))
            return cli_fail(EXIT_USAGE, _("--pin n'est pas l'empreinte du lien : retirez --pin"));
        memcpy(l->pin, pin, sizeof pin);
        l->has_pin = 1;
    }
    memset(cfg, 0, sizeof *cfg);
    cfg->host = l->host;
    cfg->port = l->port;
    cfg->has_pin = l->has_pin;
    memcpy(cfg->pin, l->pin, BP_FP_LEN);
    return 0;
}

void cli_default_device_name(char *out, size_t cap)
{
    char host[256];
    if (gethostname(host, sizeof host))
        host[0] = '\0';
    host[sizeof host - 1] = '\0';
    /* Keep it printable and within the protocol's 64 bytes. */
    cli_printable((const uint8_t *)host, strlen(host), out,
                  cap < BP_NAME_MAX + 1 ? cap : BP_NAME_MAX + 1);
}

int cli_store_welcome(struct app *a, const struct net_cfg *cfg, const char *device_name,
                      const json_t *m, long long *server_id)
{
    struct ks_server srv;
    memset(&srv, 0, sizeof srv);
    snprintf(srv.host, sizeof srv.host, "%s", cfg->host);
    srv.port = cfg->port;
    /* Without trusted_by, keep what the link said (the caller did not ask). */
    srv.has_pin = cfg->has_pin && (!cfg->trusted_by || *cfg->trusted_by == NET_TRUST_PIN);
    if (srv.has_pin)
        memcpy(srv.pin, cfg->pin, BP_FP_LEN);
    snprintf(srv.role, sizeof srv.role, "%s", bp_str(m, "role", ""));
    snprintf(srv.name, sizeof srv.name, "%s", bp_str(m, "name", ""));
    snprintf(srv.device_name, sizeof srv.device_name, "%s", device_name ? device_name : "");
    if (ks_server_put(a->ks, &srv))
        return cli_fail(EXIT_USAGE, _("impossible d'enregistrer le serveur : %s"), ks_error(a->ks));
    *server_id = srv.id;
    return cli_store_bilans(a, srv.id, json_object_get(m, "bilans"));
}

void cli_trust_seen(struct app *a, const struct ks_server *srv, enum net_trust t)
{
    if (t != NET_TRUST_CA || !srv->has_pin)
        return;
    struct ks_server s = *srv;
    s.has_pin = 0;
    memset(s.pin, 0, sizeof s.pin);
    if (ks_server_put(a->ks, &s))
        fprintf(stderr, _("bilan : attention : l'ancienne empreinte du serveur n'a pas pu "
                          "être oubliée : %s\n"),
                ks_error(a->ks));
}

int cli_store_bilans(struct app *a, long long server_id, const json_t *arr)
{
    size_t i;
    json_t *b;
    json_array_foreach(arr, i, b)
    {
        const char *id = bp_str(b, "bilan", NULL), *label = bp_str(b, "label", ""),
                   *role = bp_str(b, "role", "");
        long long budget = bp_int(b, "budget_s", 0);
        if (!id || !bp_id_ok(id) || strlen(label) > BP_LABEL_MAX || strlen(role) >= KS_ROLE_MAX)
            continue; /* a malformed entry is skipped, not fatal */
        struct ks_bilan kb;
        memset(&kb, 0, sizeof kb);
        kb.server_id = server_id;
        snprintf(kb.bilan, sizeof kb.bilan, "%s", id);
        snprintf(kb.label, sizeof kb.label, "%s", label);
        snprintf(kb.role, sizeof kb.role, "%s", role);
        kb.budget_s = budget > 0 ? budget : 0;
        if (ks_bilan_put(a->ks, &kb))
            return cli_fail(EXIT_USAGE, _("impossible d'enregistrer un bilan : %s"), ks_error(a->ks));
    }
    cli_shred_closed(a, server_id, arr);
    return 0;
}

void cli_shred_closed(struct app *a, long long server_id, const json_t *arr)
{
    size_t i;
    json_t *b;
    json_array_foreach(arr, i, b)
    {
        const char *id = bp_str(b, "bilan", NULL);
        if (!id || !bp_id_ok(id) || !json_is_integer(json_object_get(b, "closed")))
            continue;
        sheet_sync_shred(a->ks, server_id, id, json_object_get(b, "sheets_kept"),
                         json_is_integer(json_object_get(b, "purged")), stderr);
    }
}

struct enrol_ctx {
    struct app *a;
    const struct net_cfg *cfg;
    const char *device_name;
};

static int enrol_reply(void *ctx, struct dialog *s, enum bp_type t, const json_t *m)
{
    struct enrol_ctx *e = ctx;
    (void)s;
    if (t != BP_T_WELCOME)
        return 0;
    long long sid;
    int rc = cli_store_welcome(e->a, e->cfg, e->device_name, m, &sid);
    if (rc)
        return rc;
    char name[BP_NAME_MAX + 1], dev[17];
    const char *nm = bp_str(m, "name", "");
    cli_printable((const uint8_t *)nm, strlen(nm), name, sizeof name);
    cli_device_short(bp_str(m, "device", ""), dev);
    int v6 = strchr(e->cfg->host, ':') != NULL;
    /* The key=value words stay: scripts read them after the sentence. */
    printf(_("Appareil inscrit : server=%s%s%s:%u role=%s device=%s%s%s\n"), v6 ? "[" : "",
           e->cfg->host, v6 ? "]" : "", e->cfg->port, bp_str(m, "role", "?"), dev,
           name[0] ? " name=" : "", name);
    fflush(stdout);
    return 0;
}

int cmd_enrol(struct app *a, int argc, char **argv)
{
    static const struct option opts[] = {
        {"server", required_argument, NULL, 's'},
        {"pin", required_argument, NULL, 'p'},
        {"name", required_argument, NULL, 'n'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *opt_server = NULL, *opt_pin = NULL, *opt_name = NULL;
    int c;
    optind = 0; /* 0, not 1: glibc then resets its state and permutes (options after operands) */
    opterr = 0;
    while ((c = getopt_long(argc, argv, "s:p:n:h", opts, NULL)) != -1) {
        switch (c) {
        case 's':
            opt_server = optarg;
            break;
        case 'p':
            opt_pin = optarg;
            break;
        case 'n':
            opt_name = optarg;
            break;
        case 'h':
            fputs(_(usage), stdout);
            return 0;
        default:
            return cli_bad_option(argv, _(usage));
        }
    }
    if (argc - optind != 1) {
        fputs(_(usage), stderr);
        return EXIT_USAGE;
    }
    struct bp_link l;
    struct net_cfg cfg;
    enum net_trust trust = NET_TRUST_NONE;
    int rc = cli_server_from_link(argv[optind], opt_server, opt_pin, &l, &cfg);
    if (rc)
        return rc;
    cfg.trusted_by = &trust;
    if (l.kind == BP_LINK_INVITE) {
        OPENSSL_cleanse(&l, sizeof l);
        return cli_fail(EXIT_USAGE,
                        _("ceci est un lien d'invitation à un bilan : ouvrez-le avec "
                          "`bilan join LIEN`"));
    }
    char device_name[BP_NAME_MAX + 1];
    if (opt_name) {
        if (!*opt_name || strlen(opt_name) > BP_NAME_MAX)
            return cli_fail(EXIT_USAGE, _("--name doit faire de 1 à 64 octets"));
        snprintf(device_name, sizeof device_name, "%s", opt_name);
    } else {
        cli_default_device_name(device_name, sizeof device_name);
    }
    if ((rc = app_open(a)))
        return rc;
    struct enrol_ctx ectx = {a, &cfg, device_name};
    static const struct dialog_app app = {.on_reply = enrol_reply};
    struct dialog s;
    dialog_init(&s);
    s.app = &app;
    s.app_ctx = &ectx;
    s.id = &a->id;
    s.req.mode = DIALOG_ENROL;
    memcpy(s.req.token, l.token, BP_TOKEN_LEN);
    snprintf(s.req.device_name, sizeof s.req.device_name, "%s", device_name);
    s.req.goal = GOAL_WELCOME;
    rc = app_run_dialog(&s, &cfg);
    OPENSSL_cleanse(s.req.token, sizeof s.req.token);
    dialog_free(&s);
    OPENSSL_cleanse(&l, sizeof l);
    return rc;
}
