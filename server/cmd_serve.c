/* cmd_serve.c: `bilan-server serve`, the relay (ws.c). Owns the serve
 * options, the data folder (created with mode 0700), the first-start setup
 * (the --dev certificate and the "dev" consultant), what the server stores
 * for the admin commands' links (public host, port, pin) and the lines
 * serve prints on stdout: the ready line, and the dev consultant's
 * enrolment link on first start. Logs go to stderr. Must never log a token
 * or a link that holds one. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "attendance.h"
#include "auth.h"
#include "cmd.h"
#include "config.h"
#include "devcert.h"
#include "ledger.h"
#include "log.h"
#include "purge.h"
#include "queue.h"
#include "server.h"
#include "ws.h"

#define DEV_CONSULTANT "dev"

const char cmd_serve_help[] =
    "Usage: bilan-server serve [OPTIONS]\n"
    "\n"
    "Runs the server: wss://HOST:PORT/ws (subprotocol bilan.v1, TLS 1.3 only), and the\n"
    "landing page for invite links on https://HOST:PORT/j/... and /e/....\n"
    "When ready it prints one line on stdout:\n"
    "  bilan-server: listening on wss://HOST:PORT/ws (pin PIN)\n"
    "\n"
    "Options:\n"
    "  --dev                 development defaults: create the data folder, a self-signed\n"
    "                        certificate (DATA/cert.pem, DATA/key.pem) and, on first start,\n"
    "                        a consultant \"dev\" whose enrolment link is printed;\n"
    "                        listen on 127.0.0.1:8443\n"
    "  --listen ADDR:PORT    address to listen on (default 127.0.0.1:8443 with --dev,\n"
    "                        *:8443 otherwise); IPv6 in brackets; port 0 picks a free port\n"
    "  --data DIR            data folder (default ./bilan-data), created with mode 0700\n"
    "  --cert FILE           TLS certificate chain (PEM); required without --dev\n"
    "  --key FILE            TLS private key (PEM); required without --dev\n"
    "  --public HOST[:PORT]  the name (and port) clients use, printed in links\n"
    "                        (default: the listen address when it is a specific one;\n"
    "                        with 0.0.0.0, [::] or * no link is printed without it)\n"
    "  --auth-failures N     failed authentications allowed per address per 60 s (default 10)\n"
    "  --sheet-push-quota N  worksheet operations a device may push per minute (default\n"
    "                        6000: people type far fewer; raise it for a benchmark)\n"
    "  --auth-failures-global N\n"
    "                        failed authentications answered per 60 s across all addresses\n"
    "                        (default 100, at most 10000); past it, enrolment waits\n"
    "  --unauth-total N      connections not yet signed in, all addresses together\n"
    "                        (default: half of what the open-file limit allows, at most 4096)\n"
    "  --unauth-per-address N\n"
    "                        connections not yet signed in per address (default 8)\n"
    "  --queue-kib N         per-receiver queue budget in KiB (default 4096; hard cap 4x)\n"
    "  --video-delay-ms N    video is dropped for a receiver whose oldest audio or video\n"
    "                        has waited longer than this at the server (default 500;\n"
    "                        100 to 10000)\n"
    "  --invite-ttl SECONDS  default lifetime of invite and enrolment tokens\n"
    "                        (default 604800 = 7 days; 60 to 2592000)\n"
    "  --session-grace SECONDS  how long a session whose room emptied without a\n"
    "                        leave (lost links, a crash) waits for its members to\n"
    "                        come back (default 120)\n"
    "  --test-clock-offset SECONDS\n"
    "                        FOR TESTS ONLY: move the clock of the bilans' close, the\n"
    "                        purge and the consent's dating by SECONDS (said loudly at\n"
    "                        start); never on a real server\n"
    "  -v, --verbose         more detail in the log (stderr)\n"
    "  -h, --help            this help\n";

_Static_assert(RL_GLOBAL_MAX == 10000 && ADMIT_CONNS_MAX == 65536 && ADMIT_PER_ADDR_MAX == 1000 &&
                   QUEUE_VIDEO_DELAY_MS_DEFAULT == 500 && QUEUE_VIDEO_DELAY_MS_MIN == 100 &&
                   QUEUE_VIDEO_DELAY_MS_MAX == 10000,
               "the option ranges in the messages below");

struct serve_ctx {
    const struct serve_config *cfg;
    struct server *srv;
    char pin_b64[BP_B64_32 + 1];
};

/* Raises the open-file limit to its hard limit; returns the limit in force. */
static uint64_t raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl))
            log_warn("cannot raise the open-file limit: %s", strerror(errno));
    }
    if (getrlimit(RLIMIT_NOFILE, &rl))
        return ADMIT_FD_MIN;
    return rl.rlim_cur == RLIM_INFINITY ? UINT64_MAX : (uint64_t)rl.rlim_cur;
}

static int make_data_dir(const char *dir)
{
    struct stat sb;
    if (mkdir(dir, 0700) == 0) {
        log_info("created data folder %s", dir);
        return 0;
    }
    if (errno != EEXIST) {
        fprintf(stderr, "bilan-server serve: cannot create data folder %s: %s\n", dir, strerror(errno));
        return -1;
    }
    if (stat(dir, &sb) || !S_ISDIR(sb.st_mode)) {
        fprintf(stderr, "bilan-server serve: %s exists and is not a folder\n", dir);
        return -1;
    }
    if (sb.st_mode & 077)
        log_warn("data folder %s is accessible to other users (mode %03o); chmod 700 it",
                 dir, (unsigned)(sb.st_mode & 0777));
    return 0;
}

/* ws_serve calls it once, listening on port: stores what links say, makes
 * the dev consultant on first start, prints the ready line. */
static int on_ready(void *arg, int port)
{
    struct serve_ctx *sc = arg;
    const struct serve_config *cfg = sc->cfg;
    const struct store_ops *ops = sc->srv->ops;
    struct store *st = sc->srv->st;
    char host[256] = "", url_host[300], portbuf[16], why[200];
    int link_port = port, trusted = 0;

    /* What links say (the admin commands read it from the settings): the
     * public name, never a wildcard; and a pin only when this machine's CA
     * store does not vouch for the certificate under that name, as the
     * clients' stores will (PROTOCOL.md §1.1): a CA certificate is renewed
     * with a new key, and a pin would lock every device out. */
    int have_host = config_link_host(cfg, port, host, sizeof host, &link_port) == 0;
    if (!have_host) {
        host[0] = '\0';
        log_warn("no links will be printed: " CMD_NO_HOST_HINT);
        printf("bilan-server: no links: " CMD_NO_HOST_HINT "\n");
    } else if (devcert_ca_trusted(cfg->cert, host, &trusted, why, sizeof why)) {
        log_warn("cannot check the certificate against the CA store (%s): links carry its pin",
                 why);
    } else if (trusted) {
        log_info("links name %s without a pin: the system CA store vouches for the certificate",
                 host);
    } else {
        log_info("links carry the certificate's pin: the system CA store does not vouch for it "
                 "under the name %s (%s)", host, why);
    }
    snprintf(portbuf, sizeof portbuf, "%d", link_port);
    if (ops->setting_set(st, "public_host", host) || ops->setting_set(st, "public_port", portbuf) ||
        ops->setting_set(st, "cert_pin", have_host && trusted ? "" : sc->pin_b64))
        log_warn("cannot store host and pin in the settings: admin commands will print bare tokens");

    if (cfg->dev) {
        int64_t n = 0, id = 0, now = (int64_t)time(NULL);
        if (ops->identity->consultant_count(st, &n)) {
            log_err("cannot read the consultants");
            return -1;
        }
        if (n == 0) {
            struct auth_token tok;
            char link[512];
            if (ops->begin(st))
                return -1;
            if (ops->identity->consultant_add(st, DEV_CONSULTANT, now, &id) ||
                auth_issue_enrol_token(ops, st, id, now, cfg->invite_ttl_s, &tok)) {
                ops->rollback(st);
                log_err("cannot create the dev consultant");
                return -1;
            }
            if (ops->commit(st)) {
                auth_token_wipe(&tok);
                return -1;
            }
            if (cmd_enrol_link(ops, st, tok.raw, link, sizeof link) == 0)
                printf("bilan-server: created consultant \"%s\"; enrolment link (single use): %s\n",
                       DEV_CONSULTANT, link);
            else
                printf("bilan-server: created consultant \"%s\"; enrolment token (single use): %s "
                       "(no link: set --public HOST[:PORT])\n",
                       DEV_CONSULTANT, tok.b64);
            auth_token_wipe(&tok);
            memset(link, 0, sizeof link);
        }
    }
    config_url_host(cfg->listen.host[0] ? cfg->listen.host : (cfg->listen.v6 ? "::" : "0.0.0.0"),
                    url_host, sizeof url_host);
    printf("bilan-server: listening on wss://%s:%d/ws (pin %s)\n", url_host, port, sc->pin_b64);
    fflush(stdout);
    log_info("listening on %s:%d, queue budget %u KiB, video delay %u ms, %u auth failures per address and "
             "%u in all per %d s", url_host, port, cfg->queue_kib, cfg->video_delay_ms, cfg->auth_failures, cfg->auth_failures_global,
             CONFIG_AUTH_WINDOW_S);
    return 0;
}

#define SERVE_GO_ON (-1) /* serve_options: start the server */

/* Fills cfg from the command line: SERVE_GO_ON, or the exit status (0 after
 * --help, 2 for a usage error, said on stderr). */
static int serve_options(const struct cmd *self, int argc, char **argv, struct serve_config *cfg)
{
    static const struct option opts[] = {
        {"dev", no_argument, NULL, 'D'},
        {"listen", required_argument, NULL, 'l'},
        {"data", required_argument, NULL, 'd'},
        {"cert", required_argument, NULL, 'c'},
        {"key", required_argument, NULL, 'k'},
        {"public", required_argument, NULL, 'p'},
        {"auth-failures", required_argument, NULL, 'a'},
        {"auth-failures-global", required_argument, NULL, 'g'},
        {"unauth-total", required_argument, NULL, 'u'},
        {"unauth-per-address", required_argument, NULL, 'U'},
        {"queue-kib", required_argument, NULL, 'q'},
        {"video-delay-ms", required_argument, NULL, 'V'},
        {"invite-ttl", required_argument, NULL, 'i'},
        {"session-grace", required_argument, NULL, 'G'},
        {"test-clock-offset", required_argument, NULL, 'T'},
        {"sheet-push-quota", required_argument, NULL, 'W'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    char why[256];
    long long v;
    int o;
    config_defaults(cfg);
    optind = 0;
    opterr = 0;
    while ((o = getopt_long(argc, argv, ":vh", opts, NULL)) != -1) {
        switch (o) {
        case 'D':
            cfg->dev = 1;
            break;
        case 'l':
            if (config_parse_listen(optarg, &cfg->listen, why, sizeof why))
                return cmd_usage_error(self, "%s", why);
            cfg->listen_given = 1;
            break;
        case 'd':
            if (snprintf(cfg->data_dir, sizeof cfg->data_dir, "%s", optarg) >= (int)sizeof cfg->data_dir - 32)
                return cmd_usage_error(self, "--data '%s': path too long", optarg);
            break;
        case 'c':
            snprintf(cfg->cert, sizeof cfg->cert, "%s", optarg);
            break;
        case 'k':
            snprintf(cfg->key, sizeof cfg->key, "%s", optarg);
            break;
        case 'p':
            if (config_parse_public(optarg, cfg->public_host, &cfg->public_port, why, sizeof why))
                return cmd_usage_error(self, "%s", why);
            break;
        case 'a':
            if (config_parse_int(optarg, 1, 1000000, &v))
                return cmd_usage_error(self, "--auth-failures '%s': expected a number from 1 to 1000000", optarg);
            cfg->auth_failures = (unsigned)v;
            break;
        case 'W':
            if (config_parse_int(optarg, 1, 1000000, &v))
                return cmd_usage_error(self, "--sheet-push-quota '%s': expected a number from 1 to 1000000",
                                       optarg);
            cfg->sheet_push_quota = (unsigned)v;
            break;
        case 'g':
            if (config_parse_int(optarg, 1, RL_GLOBAL_MAX, &v))
                return cmd_usage_error(self, "--auth-failures-global '%s': expected a number from 1 to 10000",
                                       optarg);
            cfg->auth_failures_global = (unsigned)v;
            break;
        case 'u':
            if (config_parse_int(optarg, 1, ADMIT_CONNS_MAX, &v))
                return cmd_usage_error(self, "--unauth-total '%s': expected a number from 1 to 65536", optarg);
            cfg->unauth_total = (unsigned)v;
            break;
        case 'U':
            if (config_parse_int(optarg, 1, ADMIT_PER_ADDR_MAX, &v))
                return cmd_usage_error(self, "--unauth-per-address '%s': expected a number from 1 to 1000",
                                       optarg);
            cfg->unauth_per_addr = (unsigned)v;
            break;
        case 'q':
            if (config_parse_int(optarg, 64, 1024 * 1024, &v))
                return cmd_usage_error(self, "--queue-kib '%s': expected KiB from 64 to 1048576", optarg);
            cfg->queue_kib = (unsigned)v;
            break;
        case 'V':
            if (config_parse_int(optarg, QUEUE_VIDEO_DELAY_MS_MIN, QUEUE_VIDEO_DELAY_MS_MAX, &v))
                return cmd_usage_error(self, "--video-delay-ms '%s': expected milliseconds from 100 to 10000",
                                       optarg);
            cfg->video_delay_ms = (unsigned)v;
            break;
        case 'i':
            if (config_parse_int(optarg, CONFIG_TTL_MIN, CONFIG_TTL_MAX, &v))
                return cmd_usage_error(self, "--invite-ttl '%s': expected seconds from 60 to 2592000", optarg);
            cfg->invite_ttl_s = v;
            break;
        case 'G':
            if (config_parse_int(optarg, 1, 86400, &v))
                return cmd_usage_error(self, "--session-grace '%s': expected seconds from 1 to 86400", optarg);
            cfg->session_grace_s = v;
            break;
        case 'T':
            if (config_parse_int(optarg, -PURGE_TEST_CLOCK_MAX_S, PURGE_TEST_CLOCK_MAX_S, &v))
                return cmd_usage_error(self, "--test-clock-offset '%s': expected seconds from -315360000 to "
                                       "315360000 (10 years)", optarg);
            cfg->test_clock_offset_s = v;
            break;
        case 'v':
            cfg->verbose = 1;
            break;
        case 'h':
            cmd_help(self, stdout);
            return 0;
        case ':':
            return cmd_usage_error(self, "option %s needs a value", argv[optind - 1]);
        default:
            return cmd_usage_error(self, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return cmd_usage_error(self, "unexpected argument '%s'", argv[optind]);
    if (!cfg->listen_given) {
        if (cfg->dev) {
            snprintf(cfg->listen.host, sizeof cfg->listen.host, "127.0.0.1");
            cfg->listen.v6 = 0;
        } else {
            cfg->listen.host[0] = '\0';
            cfg->listen.v6 = 1;
        }
        cfg->listen.port = CONFIG_DEFAULT_PORT;
    }
    if (!cfg->cert[0] != !cfg->key[0])
        return cmd_usage_error(self, "%s", "--cert and --key go together: give both");
    if (!cfg->dev && !cfg->cert[0])
        return cmd_usage_error(self, "%s", "--cert FILE and --key FILE are required "
                               "(or use --dev for a self-signed development certificate)");
    return SERVE_GO_ON;
}

int cmd_serve_run(const struct cmd *self, int argc, char **argv)
{
    const struct store_ops *ops = cmd_store_ops();
    struct serve_config cfg;
    char why[256];
    int rc = serve_options(self, argc, argv, &cfg);
    if (rc != SERVE_GO_ON)
        return rc;
    log_init(cfg.verbose);
    if (cfg.dev && cfg.listen.host[0] && strcmp(cfg.listen.host, "127.0.0.1") && strcmp(cfg.listen.host, "::1"))
        log_warn("--dev with a non-loopback --listen: others can reach this development server");

    uint64_t nofile = raise_nofile();
    uint32_t max_conns, unauth_total, per_addr;
    if (admit_limits(nofile, cfg.unauth_total, cfg.unauth_per_addr, &max_conns, &unauth_total, &per_addr, why,
                     sizeof why)) {
        fprintf(stderr, "bilan-server serve: %s\n", why);
        return 1;
    }
    if (make_data_dir(cfg.data_dir))
        return 1;
    if (!cfg.cert[0]) {
        int created;
        if (snprintf(cfg.cert, sizeof cfg.cert, "%s/cert.pem", cfg.data_dir) >= (int)sizeof cfg.cert ||
            snprintf(cfg.key, sizeof cfg.key, "%s/key.pem", cfg.data_dir) >= (int)sizeof cfg.key) {
            fprintf(stderr, "bilan-server serve: data folder path too long\n");
            return 1;
        }
        if (devcert_ensure(cfg.cert, cfg.key, &created, why, sizeof why)) {
            fprintf(stderr, "bilan-server serve: %s\n", why);
            return 1;
        }
        if (created)
            log_info("created a self-signed development certificate in %s", cfg.data_dir);
    }
    if (access(cfg.key, R_OK)) {
        fprintf(stderr, "bilan-server serve: cannot read key %s: %s\n", cfg.key, strerror(errno));
        return 1;
    }
    struct serve_ctx sc;
    uint8_t pin[32];
    memset(&sc, 0, sizeof sc);
    if (devcert_pin(cfg.cert, pin, why, sizeof why)) {
        fprintf(stderr, "bilan-server serve: %s\n", why);
        return 1;
    }
    bp_b64_encode(pin, sizeof pin, sc.pin_b64);

    static struct server srv; /* large (rate-limit table): not on the stack */
    char path[PATH_MAX];
    memset(&srv, 0, sizeof srv);
    srv.ops = ops;
    srv.soft_budget = (size_t)cfg.queue_kib * 1024;
    srv.video_delay_ms = cfg.video_delay_ms;
    srv.invite_ttl_s = cfg.invite_ttl_s;
    ratelimit_init(&srv.rl, cfg.auth_failures, CONFIG_AUTH_WINDOW_S);
    ratelimit_set_global(&srv.rl, cfg.auth_failures_global);
    srv.quota.max[QUOTA_SHEET_PUSH] = cfg.sheet_push_quota;
    uint64_t seed = 0;
    if (bp_random((uint8_t *)&seed, sizeof seed) ||
        admit_init(&srv.admit, max_conns, unauth_total, per_addr, seed)) {
        fprintf(stderr, "bilan-server serve: out of memory for the connection table\n");
        return 1;
    }
    log_info("connections: at most %u, of which %u not yet signed in (%u per address); "
             "open-file limit %llu", max_conns, unauth_total, per_addr, (unsigned long long)nofile);
    if (cmd_db_path(cfg.data_dir, path, sizeof path) || store_open(ops, path, 1, &srv.st, why, sizeof why)) {
        fprintf(stderr, "bilan-server serve: %s\n", why);
        admit_free(&srv.admit);
        return 1;
    }
    /* Sessions left open by a crash wait for their members (resume.c). */
    int64_t resumed = 0;
    srv.session_grace_ms = cfg.session_grace_s * 1000;
    struct now started = {(int64_t)time(NULL), 0, 0};
    if (attendance_resume_all(&srv, started, &resumed))
        log_warn("cannot resume or end the sessions left open by the last run");
    else if (resumed)
        log_info("%lld session(s) left open by the last run wait %lld s for their members; their presence "
                 "ended at each member's last alive checkpoint", (long long)resumed,
                 (long long)(attendance_grace_ms(&srv) / 1000));
    /* Ended sessions without frozen figures (the run before crashed, or an
     * older server made them): counted once now, from their own lines. */
    int frozen = 0;
    if (ledger_backfill(ops, srv.st, INT32_MAX, &frozen))
        log_warn("cannot count the sessions that have no figures yet");
    else if (frozen)
        log_info("%d ended session(s) counted and their records frozen", frozen);
    /* The purge (PROTOCOL.md §10.4): now, then every 24 h (lifecycle's sweep). */
    srv.test_clock_offset_s = cfg.test_clock_offset_s;
    if (srv.test_clock_offset_s)
        log_warn("TEST CLOCK: the clock of the close, the purge and the consent is moved by %lld s (%lld days): "
                 "for tests only, never on a real server", (long long)srv.test_clock_offset_s,
                 (long long)(srv.test_clock_offset_s / 86400));
    purge_tick(&srv, started);
    sc.cfg = &cfg;
    sc.srv = &srv;
    rc = ws_serve(&cfg, &srv, on_ready, &sc);
    attendance_free_all(&srv);
    admit_free(&srv.admit);
    rooms_clear(&srv.rooms);
    ops->close(srv.st);
    srv.st = NULL;
    if (rc) {
        fprintf(stderr, "bilan-server serve: could not start (see the log above)\n");
        return 1;
    }
    log_info("stopped: %llu frames relayed, %llu video frames dropped, %llu keyframe requests forwarded "
             "(%llu paced, %llu about no one), %llu authentications (%llu failed)",
             (unsigned long long)srv.frames_relayed, (unsigned long long)srv.video_dropped,
             (unsigned long long)srv.kf_forwarded, (unsigned long long)srv.kf_paced,
             (unsigned long long)srv.kf_ignored, (unsigned long long)srv.auth_ok,
             (unsigned long long)srv.auth_failed);
    return 0;
}
