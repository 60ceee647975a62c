/* cli.c: shared plumbing of the subcommands (see cli.h). */
#include <stdarg.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "cli.h"
#include "i18n.h"
#include "tcpinfo.h"

int cli_fail(int code, const char *fmt, ...)
{
    va_list ap;
    fputs(_("bilan : "), stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return code;
}

int cli_bad_option(char **argv, const char *usage)
{
    /* getopt's own message is glibc's English where no French locale is
     * generated: callers set opterr = 0 and say it here. optind is past
     * the offending word (or its missing value). */
    const char *word = optind > 0 ? argv[optind - 1] : "?";
    fprintf(stderr, _("bilan : option inconnue, ou sans sa valeur : « %s »\n\n"), word);
    fputs(usage, stderr);
    return EXIT_USAGE;
}

const char *cli_role_word(int role)
{
    if (role == BP_ROLE_CONSULTANT)
        return _("consultant");
    if (role == BP_ROLE_BENEFICIARY)
        return _("bénéficiaire");
    return _("sans rôle connu");
}

int app_resolve_dir(struct app *a, const char *opt_dir)
{
    const char *env;
    int n;
    if (opt_dir && *opt_dir)
        n = snprintf(a->data_dir, sizeof a->data_dir, "%s", opt_dir);
    else if ((env = getenv("BILAN_HOME")) && *env)
        n = snprintf(a->data_dir, sizeof a->data_dir, "%s", env);
    else if ((env = getenv("XDG_DATA_HOME")) && *env == '/')
        n = snprintf(a->data_dir, sizeof a->data_dir, "%s/bilan", env);
    else if ((env = getenv("HOME")) && *env)
        n = snprintf(a->data_dir, sizeof a->data_dir, "%s/.local/share/bilan", env);
    else
        return cli_fail(EXIT_USAGE, _("aucun dossier de données : définissez HOME ou BILAN_HOME, ou donnez --data DOSSIER"));
    if (n < 0 || (size_t)n >= sizeof a->data_dir - 32)
        return cli_fail(EXIT_USAGE, _("le chemin du dossier de données est trop long"));
    if (a->data_dir[0] != '/') {
        /* Absolute, so that `identity show` says where the keys really are. */
        char cwd[2048], rel[4096];
        if (!getcwd(cwd, sizeof cwd))
            return cli_fail(EXIT_USAGE, _("impossible de trouver le chemin complet du dossier de données %s"), a->data_dir);
        snprintf(rel, sizeof rel, "%s", a->data_dir);
        n = snprintf(a->data_dir, sizeof a->data_dir, "%s/%s", cwd, rel);
        if (n < 0 || (size_t)n >= sizeof a->data_dir - 32)
            return cli_fail(EXIT_USAGE, _("le chemin du dossier de données est trop long"));
    }
    return 0;
}

int app_open(struct app *a)
{
    /* Opened already: a command that syncs after its edit (bilan sheet new)
     * opens through two paths; a second ks_open would leak the first. */
    if (a->ks)
        return 0;
    char why[600];
    if (ks_open(a->data_dir, &a->ks, why, sizeof why))
        return cli_fail(EXIT_USAGE, "%s", why);
    int rc = ks_identity(a->ks, 1, &a->id, &a->id_created);
    if (rc)
        return cli_fail(EXIT_USAGE, _("impossible de lire l'identité de cet appareil : %s"), ks_error(a->ks));
    return 0;
}

void app_close(struct app *a)
{
    bp_identity_wipe(&a->id);
    ks_close(a->ks);
    a->ks = NULL;
}

struct pick {
    int role; /* enum bp_role; BP_ROLE_NONE: any */
    int count;
    struct ks_server found;
};

static int pick_cb(void *arg, const struct ks_server *s)
{
    struct pick *p = arg;
    if (p->role && bp_role_parse(s->role, strlen(s->role)) != p->role)
        return 0;
    if (!p->count++)
        p->found = *s;
    return 0;
}

int app_pick_server(struct app *a, const char *opt_server, int role, struct ks_server *out)
{
    if (opt_server) {
        char host[BP_HOST_MAX + 1];
        uint16_t port;
        const char *why;
        if (cli_parse_hostport(opt_server, host, &port, &why))
            return cli_fail(EXIT_USAGE, "--server %s : %s", opt_server, why);
        int rc = ks_server_get(a->ks, host, port, out);
        if (rc == KS_NOT_FOUND)
            return cli_fail(EXIT_USAGE,
                            _("cet appareil n'est pas inscrit sur %s : lancez d'abord `bilan enrol LIEN`"),
                            opt_server);
        if (rc)
            return cli_fail(EXIT_USAGE, "%s", ks_error(a->ks));
        if (role && bp_role_parse(out->role, strlen(out->role)) != role)
            return cli_fail(EXIT_USAGE, _("cet appareil est %s sur %s, pas %s"),
                            cli_role_word(bp_role_parse(out->role, strlen(out->role))),
                            opt_server, cli_role_word(role));
        return 0;
    }
    struct pick p = {.role = role};
    if (ks_server_each(a->ks, pick_cb, &p))
        return cli_fail(EXIT_USAGE, "%s", ks_error(a->ks));
    if (p.count == 0)
        return cli_fail(
            EXIT_USAGE,
            role ? _("cet appareil n'est inscrit comme %s sur aucun serveur : lancez d'abord "
                     "`bilan enrol LIEN`")
                 : _("cet appareil n'est inscrit sur aucun serveur%s : lancez d'abord "
                     "`bilan enrol LIEN` (ou `bilan join LIEN` avec un lien d'invitation)"),
            role ? cli_role_word(role) : "");
    if (p.count > 1)
        return cli_fail(
            EXIT_USAGE,
            _("cet appareil est inscrit sur plusieurs serveurs : choisissez-en un avec "
              "--server HÔTE:PORT (voir `bilan identity show`)"));
    *out = p.found;
    return 0;
}

/* The transport of a dialog: this connection. */
static int tp_send(void *ctx, const char *buf, size_t len)
{
    return net_send_text(ctx, buf, len);
}

static void tp_want_write(void *ctx)
{
    net_want_write(ctx);
}

static void tp_close(void *ctx)
{
    net_close(ctx);
}

static void tp_tcp_info(void *ctx, struct tcpinfo *t)
{
    net_tcp_info(ctx, t);
}

static const struct dialog_transport net_transport = {
    .send_text = tp_send,
    .want_write = tp_want_write,
    .close = tp_close,
    .tcp_info = tp_tcp_info,
};

/* The events of the connection, to the dialog. */
static void h_established(void *ctx, uint64_t now)
{
    dialog_start(ctx, now);
}

static void h_text(void *ctx, const char *buf, size_t len, uint64_t now)
{
    dialog_on_text(ctx, buf, len, now);
}

static void h_binary(void *ctx, const uint8_t *buf, size_t len, uint64_t now)
{
    dialog_on_binary(ctx, buf, len, now);
}

static int h_next(void *ctx, uint8_t *buf, size_t cap, uint64_t now)
{
    return dialog_writable(ctx, buf, cap, now);
}

static void h_tick(void *ctx, uint64_t now)
{
    dialog_tick(ctx, now);
}

static void h_interrupt(void *ctx, uint64_t now)
{
    dialog_interrupt(ctx, now);
}

static void h_input(void *ctx, const char *buf, size_t len, uint64_t now)
{
    dialog_on_input(ctx, buf, len, now);
}

static void h_wake(void *ctx, uint64_t now)
{
    dialog_on_wake(ctx, now);
}

static void h_closed(void *ctx)
{
    struct dialog *d = ctx;
    dialog_link_closed(d, d->tp_ctx ? net_close_status(d->tp_ctx) : 0, cli_now_ms());
}

/* What the mux's sources on other threads call (through mux_wake). */
static void wake_net(void *ctx)
{
    net_wake(ctx);
}

int app_run_dialog(struct dialog *d, const struct net_cfg *cfg)
{
    struct net_handlers nh = {
        .ctx = d,
        .established = h_established,
        .text = h_text,
        .binary = h_binary,
        .next_frame = h_next,
        .tick = h_tick,
        .interrupt = h_interrupt,
        .closed = h_closed,
        .input = d->app && d->app->on_input ? h_input : NULL,
        .wake = h_wake,
    };
    char why[300], last_err[1100];
    last_err[0] = '\0';
    /* One connection, or, for a join that loses its connection, one after
     * another until it is back in the room or its window is over
     * (dialog_link_closed, dialog_reconnect_delay). */
    for (;;) {
        struct net *n = net_new(cfg, &nh, why, sizeof why);
        if (!n && !d->link.reconnecting)
            return cli_fail(EXIT_NETWORK, "%s:%u: %s", cfg->host, cfg->port, why);
        if (n) {
            d->tp = &net_transport;
            d->tp_ctx = n;
            mux_set_waker(&d->mux, wake_net, n);
            net_run(n);
            /* No wake may reach n once it is freed: producers still running
             * find nobody to wake from here on. */
            mux_set_waker(&d->mux, NULL, NULL);
            d->tp = NULL;
            d->tp_ctx = NULL;
            snprintf(last_err, sizeof last_err, "%s", net_error(n));
            net_free(n);
        }
        if (d->finished || !d->link.reconnecting)
            break;
        uint32_t rnd = 0;
        (void)bp_random((uint8_t *)&rnd, sizeof rnd);
        int64_t ms = dialog_reconnect_delay(d, cli_now_ms(), rnd);
        if (ms < 0)
            break;
        if (net_pause((uint64_t)ms)) {
            dialog_interrupt(d, cli_now_ms()); /* Ctrl-C while waiting: we stop here */
            break;
        }
    }
    int code = d->finished ? d->exit_code : EXIT_NETWORK;
    if ((d->lost || !d->finished) && last_err[0])
        cli_fail(EXIT_NETWORK, "%s:%u: %s", cfg->host, cfg->port, last_err);
    return code;
}

/* ---- which bilan ---- */

struct bilans {
    long long server_id; /* 0: any */
    const char *want;    /* NULL: any */
    int count;
    struct ks_bilan first;
    char list[1024];
};

static int bilans_cb(void *arg, const struct ks_bilan *b)
{
    struct bilans *l = arg;
    if (l->want && strcmp(l->want, b->bilan))
        return 0;
    if (!l->count)
        l->first = *b;
    size_t n = strlen(l->list);
    if (n + strlen(b->bilan) + 3 < sizeof l->list)
        snprintf(l->list + n, sizeof l->list - n, "%s%s", n ? ", " : "", b->bilan);
    l->count++;
    return 0;
}

int cli_pick_bilan(struct app *a, const char *bilan, const char *opt_server,
                      struct ks_server *srv, char *out_bilan)
{
    int rc;
    struct bilans l;
    memset(&l, 0, sizeof l);
    if (bilan && !bp_id_ok(bilan))
        return cli_fail(EXIT_USAGE,
                        _("« %s » n'est pas un identifiant de bilan (1 à 64 caractères parmi "
                          "A-Z a-z 0-9 _ -)"),
                        bilan);
    if (opt_server) {
        if ((rc = app_pick_server(a, opt_server, BP_ROLE_NONE, srv)))
            return rc;
        l.server_id = srv->id;
    }
    l.want = bilan;
    rc = ks_bilan_each(a->ks, l.server_id, bilans_cb, &l);
    OPENSSL_cleanse(l.first.secret, sizeof l.first.secret);
    OPENSSL_cleanse(l.first.token, sizeof l.first.token);
    if (rc)
        return cli_fail(EXIT_USAGE, "%s", ks_error(a->ks));
    if (bilan && l.count == 0) {
        /* Not in the local list (e.g. created on another device): ask the
         * server this device is enrolled with. */
        if (!opt_server && (rc = app_pick_server(a, NULL, BP_ROLE_NONE, srv)))
            return rc;
        snprintf(out_bilan, BP_ID_MAX + 1, "%s", bilan);
        return 0;
    }
    if (l.count == 0)
        return cli_fail(EXIT_USAGE,
                        opt_server ? _("cet appareil ne connaît aucun bilan sur ce serveur : "
                                       "rejoignez-en un avec son lien d'invitation (`bilan join "
                                       "LIEN`), ou nommez-le")
                                   : _("cet appareil ne connaît aucun bilan : rejoignez-en un "
                                       "avec son lien d'invitation (`bilan join LIEN`), ou "
                                       "nommez-le"));
    if (l.count > 1)
        return cli_fail(EXIT_USAGE,
                        bilan ? _("le bilan %s est connu sur plusieurs serveurs : ajoutez "
                                  "--server HÔTE:PORT")
                              : _("cet appareil connaît plusieurs bilans (%s) : nommez celui "
                                  "que vous voulez"),
                        bilan ? bilan : l.list);
    snprintf(out_bilan, BP_ID_MAX + 1, "%s", l.first.bilan);
    if (!opt_server && ks_server_by_id(a->ks, l.first.server_id, srv))
        return cli_fail(EXIT_USAGE, _("le bilan %s n'a pas de serveur dans client.db : rejoignez-le à nouveau "
                                "avec son lien"),
                        l.first.bilan);
    OPENSSL_cleanse(&l.first, sizeof l.first); /* holds the invite secret */
    return 0;
}
