/* main.c: the bilan-server command line.
 *
 *   bilan-server serve [options]                 the relay (ws.c)
 *   bilan-server consultant add NAME [--ttl S]   admin, on the same database
 *   bilan-server consultant token NAME [--ttl S]
 *   bilan-server consultant list
 *   bilan-server hours --replay FILE [--format table|csv|json]
 *   bilan-server hours BILAN | --consultant NAME --month YYYY-MM [--format F]
 *   bilan-server journal export BILAN [--out FILE]
 *   bilan-server receipts BILAN [--out DIR]
 *
 * Owns option parsing, the data folder, first-start setup (--dev certificate
 * and the "dev" consultant) and the lines printed on stdout. stdout carries
 * only what a person or a test reads (the ready line, tokens and links);
 * logs go to stderr. Admin subcommands work while the server runs: the store
 * is in WAL mode with a busy timeout. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "config.h"
#include "devcert.h"
#include "journal_jsonl.h"
#include "ledger.h"
#include "log.h"
#include "queue.h"
#include "report.h"
#include "server.h"
#include "attendance.h"
#include "store.h"
#include "ws.h"

#define DEV_CONSULTANT "dev"

static const struct store_ops *const OPS = &store_sqlite;

static int usage_error(const char *cmd, const char *fmt, const char *arg)
{
    fprintf(stderr, "bilan-server %s: ", cmd);
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nRun `bilan-server %s --help` for the options.\n", cmd);
    return 2;
}

static void help_main(FILE *f)
{
    fputs("Usage: bilan-server COMMAND [OPTIONS]\n"
          "\n"
          "The signalling and relay server of Bilan Remote.\n"
          "\n"
          "Commands:\n"
          "  serve                  run the server (wss://HOST:PORT/ws)\n"
          "  consultant add NAME    create a consultant and print a one-time enrolment link\n"
          "  consultant token NAME  print another enrolment link, for a new device\n"
          "  consultant list        list consultants and their number of devices\n"
          "  hours BILAN            face-to-face hours of a bilan (from the database)\n"
          "  hours --consultant NAME --month YYYY-MM   a consultant's sessions of one month\n"
          "  hours --replay FILE    face-to-face hours of a bilan from its exported journal\n"
          "  journal export BILAN   a bilan's presence journal as JSON Lines\n"
          "  receipts BILAN         a bilan's attendance receipts (co-signed session records)\n"
          "\n"
          "Run `bilan-server COMMAND --help` for the options of a command.\n"
          "Quick start on a fresh machine: bilan-server serve --dev\n", f);
}

static void help_serve(FILE *f)
{
    fputs("Usage: bilan-server serve [OPTIONS]\n"
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
          "  --auth-failures-global N\n"
          "                        failed authentications answered per 60 s across all addresses\n"
          "                        (default 100, at most 10000); past it, enrolment waits\n"
          "  --unauth-total N      connections not yet signed in, all addresses together\n"
          "                        (default: half of what the open-file limit allows, at most 4096)\n"
          "  --unauth-per-address N\n"
          "                        connections not yet signed in per address (default 8)\n"
          "  --queue-kib N         per-receiver queue budget in KiB (default 4096; hard cap 4x)\n"
          "  --invite-ttl SECONDS  default lifetime of invite and enrolment tokens\n"
          "                        (default 604800 = 7 days; 60 to 2592000)\n"
          "  -v, --verbose         more detail in the log (stderr)\n"
          "  -h, --help            this help\n", f);
}

static void help_consultant(FILE *f)
{
    fputs("Usage: bilan-server consultant add NAME [--ttl SECONDS] [--data DIR]\n"
          "       bilan-server consultant token NAME [--ttl SECONDS] [--data DIR]\n"
          "       bilan-server consultant list [--data DIR]\n"
          "\n"
          "Manages consultant accounts in the server's database (DATA/server.db); works while\n"
          "the server runs.\n"
          "  add NAME      create consultant NAME (1 to 64 bytes) and print a one-time enrolment\n"
          "                token and, once the server has run, the full enrolment link\n"
          "  token NAME    issue another one-time enrolment token, to enrol a new device\n"
          "  list          name, creation date and number of enrolled devices\n"
          "\n"
          "Options:\n"
          "  --ttl SECONDS   token lifetime (default 604800 = 7 days; 60 to 2592000)\n"
          "  --data DIR      data folder (default ./bilan-data)\n"
          "  -h, --help      this help\n", f);
}

/* ---- Shared helpers ---- */

static int db_path(const char *data, char *out, size_t cap)
{
    int n = snprintf(out, cap, "%s/server.db", data);
    return n < 0 || (size_t)n >= cap ? -1 : 0;
}

static void fmt_time(int64_t t, char *out, size_t cap)
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, cap, "%Y-%m-%d %H:%M UTC", &tm);
}

#define LINK_NOT_YET (-1)  /* the server has not run with this data folder */
#define LINK_NO_HOST (-2)  /* it runs on every interface without --public */

/* The enrolment link for token, from what the server last stored in the
 * settings when it started (serve's on_ready): the host and port links name
 * (empty when it has none), and the pin (empty when the system CA store
 * vouches for the certificate). 0, LINK_NOT_YET or LINK_NO_HOST. */
static int enrol_link(struct store *st, const uint8_t token[BP_TOKEN_LEN], char *out, size_t cap)
{
    char host[256], port[16], pin[64];
    long long p;
    struct bp_link l;
    if (OPS->setting_get(st, "public_host", host, sizeof host) ||
        OPS->setting_get(st, "public_port", port, sizeof port) ||
        OPS->setting_get(st, "cert_pin", pin, sizeof pin))
        return LINK_NOT_YET;
    if (!bp_host_usable(host))
        return LINK_NO_HOST;
    if (config_parse_int(port, 1, 65535, &p) || strlen(host) > BP_HOST_MAX)
        return LINK_NOT_YET;
    memset(&l, 0, sizeof l);
    l.kind = BP_LINK_ENROL;
    if (snprintf(l.host, sizeof l.host, "%s", host) >= (int)sizeof l.host)
        return -1;
    l.port = (uint16_t)p;
    memcpy(l.token, token, BP_TOKEN_LEN);
    if (bp_b64_decode_exact(pin, l.pin, BP_FP_LEN) == 0)
        l.has_pin = 1;
    int rc = bp_link_format(&l, out, cap) < 0 ? LINK_NOT_YET : 0;
    memset(&l, 0, sizeof l);
    return rc;
}

#define NO_HOST_HINT                                                                               \
    "this server listens on every interface and was not told the name clients use: restart it "   \
    "with --public HOST[:PORT] (the name in its certificate) to print links"

/* Names of people: 1 to 64 bytes of UTF-8 without control characters. */
static int name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n > BP_NAME_MAX || s[0] == ' ' || s[n - 1] == ' ')
        return 0;
    json_t *j = json_string(s); /* jansson checks UTF-8 */
    if (!j)
        return 0;
    json_decref(j);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return 0;
    return 1;
}

/* ---- consultant ---- */

static int print_consultant(void *arg, const struct store_consultant *c)
{
    char when[32];
    (void)arg;
    fmt_time(c->created, when, sizeof when);
    printf("%-32s  %s  %lld device%s\n", c->name, when, (long long)c->devices, c->devices == 1 ? "" : "s");
    return 0;
}

static int print_token(struct store *st, const char *name, const struct auth_token *tok, int64_t expires)
{
    char when[32], link[512];
    fmt_time(expires, when, sizeof when);
    printf("Enrolment token for \"%s\" (single use, valid until %s):\n  %s\n", name, when, tok->b64);
    int rc = enrol_link(st, tok->raw, link, sizeof link);
    if (!rc)
        printf("Enrolment link:\n  %s\n", link);
    else if (rc == LINK_NO_HOST)
        printf("(No link: " NO_HOST_HINT ". Meanwhile, give the token to the client together with "
               "the server address: bilan enrol TOKEN --server HOST:PORT.)\n");
    else
        printf("(No link yet: the server has not run with this data folder. Give the token to "
               "the client together with the server address.)\n");
    memset(link, 0, sizeof link);
    return 0;
}

static int cmd_consultant(int argc, char **argv)
{
    const char *data = CONFIG_DEFAULT_DATA;
    long long ttl = CONFIG_DEFAULT_INVITE_TTL;
    int optind_ = 1;
    /* Options may come before or after the positionals (add NAME --ttl 60). */
    const char *pos[3] = {NULL, NULL, NULL};
    int npos = 0;
    for (int i = optind_; i < argc; i++) {
        if (!strcmp(argv[i], "--")) {
            for (i++; i < argc && npos < 2; i++)
                pos[npos++] = argv[i];
            if (i < argc)
                return usage_error("consultant", "unexpected argument '%s'", argv[i]);
            break;
        }
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            help_consultant(stdout);
            return 0;
        }
        if (!strcmp(argv[i], "--ttl") || !strcmp(argv[i], "--data")) {
            if (i + 1 >= argc)
                return usage_error("consultant", "option %s needs a value", argv[i]);
            if (!strcmp(argv[i], "--data")) {
                data = argv[++i];
            } else if (config_parse_int(argv[++i], CONFIG_TTL_MIN, CONFIG_TTL_MAX, &ttl)) {
                return usage_error("consultant", "--ttl '%s': expected seconds from 60 to 2592000", argv[i]);
            }
            continue;
        }
        if (!strncmp(argv[i], "--ttl=", 6) || !strncmp(argv[i], "--data=", 7)) {
            const char *v = strchr(argv[i], '=') + 1;
            if (argv[i][2] == 'd')
                data = v;
            else if (config_parse_int(v, CONFIG_TTL_MIN, CONFIG_TTL_MAX, &ttl))
                return usage_error("consultant", "--ttl '%s': expected seconds from 60 to 2592000", v);
            continue;
        }
        if (argv[i][0] == '-' && argv[i][1])
            return usage_error("consultant", "unknown option '%s'", argv[i]);
        if (npos == 2)
            return usage_error("consultant", "unexpected argument '%s'", argv[i]);
        pos[npos++] = argv[i];
    }
    if (!pos[0]) {
        help_consultant(stderr);
        return 2;
    }
    const char *sub = pos[0], *name = pos[1];
    int is_add = !strcmp(sub, "add"), is_token = !strcmp(sub, "token"), is_list = !strcmp(sub, "list");
    if (!is_add && !is_token && !is_list)
        return usage_error("consultant", "unknown subcommand '%s' (add, token or list)", sub);
    if (is_list && name)
        return usage_error("consultant", "'list' takes no name (got '%s')", name);
    if ((is_add || is_token) && !name)
        return usage_error("consultant", "'%s' needs the consultant's NAME", sub);
    if (name && !name_ok(name))
        return usage_error("consultant", "invalid name '%s': 1 to 64 bytes of text, no control "
                           "characters, no leading or trailing space", name);

    char path[PATH_MAX], why[256];
    struct store *st;
    if (db_path(data, path, sizeof path)) {
        fprintf(stderr, "bilan-server consultant: data folder path too long\n");
        return 1;
    }
    int rc = OPS->open(path, 0, &st, why, sizeof why);
    if (rc == STORE_E_NODB) {
        fprintf(stderr, "bilan-server consultant: no database in %s (%s): run `bilan-server serve` "
                "first or pass --data\n", data, path);
        return 1;
    }
    if (rc) {
        fprintf(stderr, "bilan-server consultant: %s\n", why);
        return 1;
    }
    int64_t now = (int64_t)time(NULL), id = 0;
    struct auth_token tok;
    int ret = 1;
    if (is_list) {
        int64_t n = 0;
        if (OPS->consultant_count(st, &n) == 0 && n == 0) {
            printf("No consultant yet. Create one with `bilan-server consultant add NAME`.\n");
            ret = 0;
        } else if (OPS->consultant_list(st, print_consultant, NULL) == 0) {
            ret = 0;
        } else {
            fprintf(stderr, "bilan-server consultant: cannot read the database\n");
        }
    } else if (is_add) {
        if (OPS->begin(st)) {
            fprintf(stderr, "bilan-server consultant: the database is busy; try again\n");
        } else if ((rc = OPS->consultant_add(st, name, now, &id)) == STORE_E_EXISTS) {
            OPS->rollback(st);
            fprintf(stderr, "bilan-server consultant: a consultant named \"%s\" already exists; "
                    "use `bilan-server consultant token %s` for a new device\n", name, name);
        } else if (rc || auth_issue_enrol_token(OPS, st, id, now, ttl, &tok)) {
            OPS->rollback(st);
            fprintf(stderr, "bilan-server consultant: cannot write to the database\n");
        } else if (OPS->commit(st)) {
            auth_token_wipe(&tok);
            fprintf(stderr, "bilan-server consultant: cannot write to the database\n");
        } else {
            printf("Consultant \"%s\" created.\n", name);
            print_token(st, name, &tok, now + ttl);
            auth_token_wipe(&tok);
            ret = 0;
        }
    } else {
        if ((rc = OPS->consultant_find(st, name, &id)) == STORE_E_NOTFOUND) {
            fprintf(stderr, "bilan-server consultant: no consultant named \"%s\" (see "
                    "`bilan-server consultant list`)\n", name);
        } else if (rc || auth_issue_enrol_token(OPS, st, id, now, ttl, &tok)) {
            fprintf(stderr, "bilan-server consultant: cannot write to the database\n");
        } else {
            print_token(st, name, &tok, now + ttl);
            auth_token_wipe(&tok);
            ret = 0;
        }
    }
    fflush(stdout);
    OPS->close(st);
    return ret;
}

/* ---- hours ---- */

#define HOURS_FILE_MAX (256u << 20) /* 256 MiB: far above a bilan's journal */

static void help_hours(FILE *f)
{
    fputs("Usage: bilan-server hours BILAN [--format table|csv|json] [--data DIR]\n"
          "       bilan-server hours --consultant NAME --month YYYY-MM [--format ...] [--data DIR]\n"
          "       bilan-server hours --replay FILE [--format table|csv|json]\n"
          "\n"
          "Computes the hours report of a bilan (see docs/JOURNAL.md): per session phase, start,\n"
          "end, face-to-face time and interruptions; totals per phase; face-to-face used, budget\n"
          "and remaining; declared personal work; total against the 24 h legal cap.\n"
          "  BILAN                  from the server's database (works while the server runs)\n"
          "  --consultant NAME --month YYYY-MM\n"
          "                         every bilan of that consultant, sessions that started in that\n"
          "                         UTC month: one section per bilan, then the totals\n"
          "  --replay FILE          from an exported journal (\"-\" for stdin); reads only FILE\n"
          "\n"
          "Options:\n"
          "  --format FMT           table (default; h:mm, rounded for display), csv or json\n"
          "                         (exact seconds, millisecond precision)\n"
          "  --data DIR             data folder (default ./bilan-data)\n"
          "  -h, --help             this help\n"
          "\n"
          "Exit status: 0 report printed, 1 unreadable or inconsistent journal (or unknown bilan or\n"
          "consultant), 2 usage error.\n", f);
}

/* Reads all of path (or stdin for "-") into a malloc'd buffer, at most max bytes. */
static char *read_all(const char *path, size_t max, size_t *len, char *why, size_t why_cap)
{
    FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
    char *buf = NULL;
    size_t n = 0, cap = 0;
    if (!f) {
        snprintf(why, why_cap, "cannot open %s: %s", path, strerror(errno));
        return NULL;
    }
    for (;;) {
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 65536;
            if (cap >= max + 1) {
                snprintf(why, why_cap, "%s is larger than %zu MiB: not one bilan's journal", path, max >> 20);
                goto fail;
            }
            if (ncap > max + 1)
                ncap = max + 1;
            char *nb = realloc(buf, ncap);
            if (!nb) {
                snprintf(why, why_cap, "out of memory reading %s", path);
                goto fail;
            }
            buf = nb;
            cap = ncap;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) {
            if (ferror(f)) {
                snprintf(why, why_cap, "cannot read %s: %s", path, strerror(errno));
                goto fail;
            }
            break;
        }
        if (n > max) {
            snprintf(why, why_cap, "%s is larger than %zu MiB: not one bilan's journal", path, max >> 20);
            goto fail;
        }
    }
    if (f != stdin)
        fclose(f);
    *len = n;
    return buf ? buf : calloc(1, 1);
fail:
    if (f != stdin)
        fclose(f);
    free(buf);
    return NULL;
}

/* Prints text to stdout; 0 or 1 with a message. */
static int put_out(const char *cmd, const char *text, size_t len)
{
    if (fwrite(text, 1, len, stdout) != len || fflush(stdout) != 0) {
        fprintf(stderr, "bilan-server %s: cannot write the output: %s\n", cmd, strerror(errno));
        return 1;
    }
    return 0;
}

static int open_db(const char *cmd, const char *data, struct store **st)
{
    char path[PATH_MAX], why[512];
    if (db_path(data, path, sizeof path)) {
        fprintf(stderr, "bilan-server %s: --data path too long\n", cmd);
        return 1;
    }
    if (OPS->open(path, 0, st, why, sizeof why)) {
        fprintf(stderr, "bilan-server %s: %s (use --data DIR to name the server's data folder)\n", cmd, why);
        return 1;
    }
    return 0;
}

static int hours_db(const char *data, const char *bilan, int fmt)
{
    struct store *st;
    struct acc_report r;
    char why[512], *text;
    size_t tlen;
    if (open_db("hours", data, &st))
        return 1;
    int rc = ledger_report(OPS, st, bilan, NULL, 0, &r, why, sizeof why);
    OPS->close(st);
    if (rc) {
        fprintf(stderr, "bilan-server hours: %s\n", why);
        return 1;
    }
    rc = report_format(&r, (enum report_format)fmt, &text, &tlen);
    account_report_free(&r);
    if (rc) {
        fprintf(stderr, "bilan-server hours: out of memory formatting the report\n");
        return 1;
    }
    rc = put_out("hours", text, tlen);
    free(text);
    return rc;
}

/* ---- Monthly report of a consultant ----
 * Each bilan's report is assembled by the ledger; report.c keeps the
 * month's sessions and formats the whole (report.h). */
struct month_ctx {
    int year, month;
    struct store *st;
    struct report_month rm;
    int failed;
};

static int month_bilan(void *arg, const struct store_bilan *b)
{
    struct month_ctx *m = arg;
    struct acc_report r;
    char why[512];
    size_t idx[ACC_MAX_SESSIONS];
    if (ledger_report(OPS, m->st, b->id, NULL, 0, &r, why, sizeof why)) {
        fprintf(stderr, "bilan-server hours: %s\n", why);
        m->failed = 1;
        return 0;
    }
    long n = account_sessions_in_month(&r, m->year, m->month, idx, ACC_MAX_SESSIONS);
    int rc = n > 0 && report_month_add(&m->rm, b->id, b->label, &r, idx, (size_t)n) ? BP_E_NOMEM : 0;
    account_report_free(&r);
    return rc;
}

static int hours_month(const char *data, const char *name, const char *month, int fmt)
{
    struct month_ctx m;
    memset(&m, 0, sizeof m);
    char tail;
    int64_t from, to, cid;
    if (sscanf(month, "%4d-%2d%c", &m.year, &m.month, &tail) != 2 || strlen(month) != 7 ||
        account_month_range(m.year, m.month, &from, &to))
        return usage_error("hours", "--month '%s': expected YYYY-MM, e.g. 2026-03", month);
    if (open_db("hours", data, &m.st))
        return 1;
    if (OPS->consultant_find(m.st, name, &cid)) {
        OPS->close(m.st);
        fprintf(stderr, "bilan-server hours: no consultant named \"%s\" (see bilan-server consultant list)\n", name);
        return 1;
    }
    report_month_init(&m.rm, name, month);
    int rc = OPS->bilans_of_consultant(m.st, cid, month_bilan, &m);
    OPS->close(m.st);
    if (rc || m.failed) {
        report_month_free(&m.rm);
        if (rc)
            fprintf(stderr, "bilan-server hours: cannot read the bilans of \"%s\"\n", name);
        return 1;
    }
    char *text;
    size_t len;
    rc = report_month_format(&m.rm, (enum report_format)fmt, &text, &len);
    report_month_free(&m.rm);
    if (rc) {
        fprintf(stderr, "bilan-server hours: out of memory\n");
        return 1;
    }
    rc = put_out("hours", text, len);
    free(text);
    return rc;
}

/* ---- journal export ---- */

static void help_journal(FILE *f)
{
    fputs("Usage: bilan-server journal export BILAN [--out FILE] [--data DIR]\n"
          "\n"
          "Writes the presence journal of BILAN as JSON Lines (docs/JOURNAL.md): a header, then\n"
          "every event in journal order, exactly the lines whose SHA-256 the session records\n"
          "carry. Replay it with `bilan-server hours --replay FILE`.\n"
          "\n"
          "Options:\n"
          "  --out FILE    write to FILE (default: stdout)\n"
          "  --data DIR    data folder (default ./bilan-data)\n"
          "  -h, --help    this help\n", f);
}

static int cmd_journal(int argc, char **argv)
{
    static const struct option opts[] = {
        {"out", required_argument, NULL, 'o'},
        {"data", required_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *out = NULL, *data = "./bilan-data";
    int o;
    optind = 0;
    opterr = 0;
    while ((o = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (o) {
        case 'o': out = optarg; break;
        case 'd': data = optarg; break;
        case 'h': help_journal(stdout); return 0;
        case ':': return usage_error("journal", "option %s needs a value", argv[optind - 1]);
        default: return usage_error("journal", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind >= argc || strcmp(argv[optind], "export"))
        return usage_error("journal", "%s", "expected: journal export BILAN");
    if (optind + 2 != argc)
        return usage_error("journal", "%s", "expected exactly one BILAN after export");
    const char *bilan = argv[optind + 1];
    struct store *st;
    char why[512] = "";
    if (open_db("journal", data, &st))
        return 1;
    FILE *f = out ? fopen(out, "wb") : stdout;
    if (!f) {
        OPS->close(st);
        fprintf(stderr, "bilan-server journal: cannot create %s: %s\n", out, strerror(errno));
        return 1;
    }
    int rc = ledger_export(OPS, st, bilan, f, why, sizeof why);
    OPS->close(st);
    if (fflush(f) != 0)
        rc = -1;
    if (out && fclose(f) != 0)
        rc = -1;
    if (rc) {
        fprintf(stderr, "bilan-server journal: %s\n", why[0] ? why : strerror(errno));
        return 1;
    }
    return 0;
}

/* ---- receipts ---- */

static void help_receipts(FILE *f)
{
    fputs("Usage: bilan-server receipts BILAN [--out DIR] [--data DIR]\n"
          "\n"
          "Exports the attendance receipts of BILAN (PROTOCOL.md section 9.4): for each session,\n"
          "the record the server stated and the signatures the devices sent. A record that lacks\n"
          "a participant's signature is exported too: `bilan receipt verify FILE` names who is\n"
          "missing.\n"
          "\n"
          "Options:\n"
          "  --out DIR     write DIR/<session>.json, one receipt file per session (DIR is created)\n"
          "                (default: a JSON array of the receipt files on stdout)\n"
          "  --data DIR    data folder (default ./bilan-data)\n"
          "  -h, --help    this help\n", f);
}

struct rc_ctx {
    struct store *st;
    struct bp_receipt *rc;
    json_t *all;
    const char *out;
    int failed;
};

static int receipt_sig(void *arg, const struct store_receipt *r)
{
    struct rc_ctx *x = arg;
    struct store_device d;
    if (x->rc->n_sigs >= BP_RECORD_MAX_PARTICIPANTS || OPS->device_get(x->st, r->device, &d))
        return 0;
    struct bp_attestation *a = &x->rc->sigs[x->rc->n_sigs];
    memset(a, 0, sizeof *a);
    if (bp_b64_decode_exact(r->device, a->signer, BP_FP_LEN))
        return 0;
    memcpy(a->sign_pub, d.sign_pub, BP_KEY_LEN);
    memcpy(a->dh_pub, d.dh_pub, BP_KEY_LEN);
    a->received_audio_ms = r->received_audio_ms;
    a->sas_verified = r->sas_verified;
    memcpy(a->sig, r->sig, BP_SIG_LEN);
    x->rc->n_sigs++;
    return 0;
}

static int receipt_refusal(void *arg, const struct store_refusal *r)
{
    struct rc_ctx *x = arg;
    struct store_device d;
    if (x->rc->n_refusals >= BP_RECORD_MAX_PARTICIPANTS || OPS->device_get(x->st, r->device, &d))
        return 0;
    struct bp_refusal *f = &x->rc->refusals[x->rc->n_refusals];
    memset(f, 0, sizeof *f);
    if (bp_b64_decode_exact(r->device, f->signer, BP_FP_LEN))
        return 0;
    memcpy(f->sign_pub, d.sign_pub, BP_KEY_LEN);
    memcpy(f->dh_pub, d.dh_pub, BP_KEY_LEN);
    snprintf(f->reason, sizeof f->reason, "%s", r->reason);
    memcpy(f->sig, r->sig, BP_SIG_LEN);
    x->rc->n_refusals++;
    return 0;
}

static int receipt_session(void *arg, const struct store_session *ss)
{
    struct rc_ctx *x = arg;
    char why[512];
    memset(x->rc, 0, sizeof *x->rc);
    if (ss->closed_ms < 0)
        return 0; /* still open: no record yet */
    /* The record as stored at close, never recomputed (PROTOCOL.md §9.4). */
    if (ledger_record(OPS, x->st, ss, &x->rc->record, why, sizeof why)) {
        fprintf(stderr, "bilan-server receipts: session %s skipped: %s\n", ss->id, why);
        return 0;
    }
    if (OPS->receipts_of_session(x->st, ss->id, receipt_sig, x) ||
        OPS->refusals_of_session(x->st, ss->id, receipt_refusal, x)) {
        x->failed = 1;
        return 1;
    }
    json_t *j = bp_receipt_to_json(x->rc);
    if (!j) {
        x->failed = 1;
        return 1;
    }
    if (!x->out) {
        json_array_append_new(x->all, j);
        return 0;
    }
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s.json", x->out, ss->id);
    if (json_dump_file(j, path, JSON_INDENT(2) | JSON_PRESERVE_ORDER)) {
        fprintf(stderr, "bilan-server receipts: cannot write %s\n", path);
        x->failed = 1;
    } else {
        printf("%s\n", path);
    }
    json_decref(j);
    return x->failed;
}

static int cmd_receipts(int argc, char **argv)
{
    static const struct option opts[] = {
        {"out", required_argument, NULL, 'o'},
        {"data", required_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *out = NULL, *data = "./bilan-data";
    int o;
    optind = 0;
    opterr = 0;
    while ((o = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (o) {
        case 'o': out = optarg; break;
        case 'd': data = optarg; break;
        case 'h': help_receipts(stdout); return 0;
        case ':': return usage_error("receipts", "option %s needs a value", argv[optind - 1]);
        default: return usage_error("receipts", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind + 1 != argc)
        return usage_error("receipts", "%s", "expected exactly one BILAN");
    const char *bilan = argv[optind];
    struct rc_ctx x;
    struct store_bilan b;
    memset(&x, 0, sizeof x);
    x.out = out;
    if (out && mkdir(out, 0700) && errno != EEXIST) {
        fprintf(stderr, "bilan-server receipts: cannot create %s: %s\n", out, strerror(errno));
        return 1;
    }
    if (open_db("receipts", data, &x.st))
        return 1;
    if (OPS->bilan_get(x.st, bilan, &b)) {
        OPS->close(x.st);
        fprintf(stderr, "bilan-server receipts: no bilan '%s' in this database\n", bilan);
        return 1;
    }
    x.rc = malloc(sizeof *x.rc);
    x.all = json_array();
    int rc = x.rc && x.all ? OPS->sessions_of_bilan(x.st, bilan, receipt_session, &x) : BP_E_NOMEM;
    OPS->close(x.st);
    free(x.rc);
    if (rc || x.failed) {
        json_decref(x.all);
        fprintf(stderr, "bilan-server receipts: export incomplete (see above)\n");
        return 1;
    }
    if (!out) {
        char *text = json_dumps(x.all, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        rc = text ? put_out("receipts", text, strlen(text)) || put_out("receipts", "\n", 1) : 1;
        free(text);
    }
    json_decref(x.all);
    return rc ? 1 : 0;
}

static int cmd_hours(int argc, char **argv)
{
    static const struct option opts[] = {
        {"replay", required_argument, NULL, 'r'},
        {"format", required_argument, NULL, 'f'},
        {"data", required_argument, NULL, 'd'},
        {"consultant", required_argument, NULL, 'c'},
        {"month", required_argument, NULL, 'm'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *replay = NULL, *data = "./bilan-data", *consultant = NULL, *month = NULL;
    int fmt = REPORT_TABLE, o;
    optind = 0;
    opterr = 0;
    while ((o = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (o) {
        case 'r':
            replay = optarg;
            break;
        case 'd':
            data = optarg;
            break;
        case 'c':
            consultant = optarg;
            break;
        case 'm':
            month = optarg;
            break;
        case 'f':
            if ((fmt = report_format_parse(optarg)) < 0)
                return usage_error("hours", "--format '%s': expected table, csv or json", optarg);
            break;
        case 'h':
            help_hours(stdout);
            return 0;
        case ':':
            return usage_error("hours", "option %s needs a value", argv[optind - 1]);
        default:
            return usage_error("hours", "unknown option '%s'", argv[optind - 1]);
        }
    }
    const char *bilan = optind < argc ? argv[optind++] : NULL;
    if (optind < argc)
        return usage_error("hours", "unexpected argument '%s'", argv[optind]);
    if (!!replay + !!bilan + !!consultant != 1)
        return usage_error("hours", "%s", "give exactly one of BILAN, --consultant NAME --month YYYY-MM, "
                           "or --replay FILE");
    if (!!consultant != !!month)
        return usage_error("hours", "%s", "--consultant and --month go together");
    if (consultant)
        return hours_month(data, consultant, month, fmt);
    if (bilan)
        return hours_db(data, bilan, fmt);

    char why[512];
    size_t len;
    char *buf = read_all(replay, HOURS_FILE_MAX, &len, why, sizeof why);
    if (!buf) {
        fprintf(stderr, "bilan-server hours: %s\n", why);
        return 1;
    }
    struct jl_journal j;
    int rc = journal_jsonl_parse(buf, len, &j, why, sizeof why);
    free(buf);
    if (rc) {
        fprintf(stderr, "bilan-server hours: %s: %s\n", replay, why);
        return 1;
    }
    struct acc_report r;
    struct acc_err err;
    rc = account_compute(j.ev, j.n, &j.meta, &r, &err);
    journal_jsonl_free(&j);
    if (rc) {
        fprintf(stderr, "bilan-server hours: %s: %s\n", replay, err.msg);
        return 1;
    }
    char *text;
    size_t tlen;
    rc = report_format(&r, (enum report_format)fmt, &text, &tlen);
    account_report_free(&r);
    if (rc) {
        fprintf(stderr, "bilan-server hours: out of memory formatting the report\n");
        return 1;
    }
    int ok = fwrite(text, 1, tlen, stdout) == tlen && fflush(stdout) == 0;
    free(text);
    if (!ok) {
        fprintf(stderr, "bilan-server hours: cannot write the report: %s\n", strerror(errno));
        return 1;
    }
    return 0;
}

/* ---- serve ---- */

_Static_assert(RL_GLOBAL_MAX == 10000 && ADMIT_CONNS_MAX == 65536 && ADMIT_PER_ADDR_MAX == 1000,
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

static int on_ready(void *arg, int port)
{
    struct serve_ctx *sc = arg;
    const struct serve_config *cfg = sc->cfg;
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
        log_warn("no links will be printed: " NO_HOST_HINT);
        printf("bilan-server: no links: " NO_HOST_HINT "\n");
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
    if (OPS->setting_set(st, "public_host", host) || OPS->setting_set(st, "public_port", portbuf) ||
        OPS->setting_set(st, "cert_pin", have_host && trusted ? "" : sc->pin_b64))
        log_warn("cannot store host and pin in the settings: admin commands will print bare tokens");

    if (cfg->dev) {
        int64_t n = 0, id = 0, now = (int64_t)time(NULL);
        if (OPS->consultant_count(st, &n)) {
            log_err("cannot read the consultants");
            return -1;
        }
        if (n == 0) {
            struct auth_token tok;
            char link[512];
            if (OPS->begin(st))
                return -1;
            if (OPS->consultant_add(st, DEV_CONSULTANT, now, &id) ||
                auth_issue_enrol_token(OPS, st, id, now, cfg->invite_ttl_s, &tok)) {
                OPS->rollback(st);
                log_err("cannot create the dev consultant");
                return -1;
            }
            if (OPS->commit(st)) {
                auth_token_wipe(&tok);
                return -1;
            }
            if (enrol_link(st, tok.raw, link, sizeof link) == 0)
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
    log_info("listening on %s:%d, queue budget %u KiB, %u auth failures per address and %u in all per %d s",
             url_host, port, cfg->queue_kib, cfg->auth_failures, cfg->auth_failures_global,
             CONFIG_AUTH_WINDOW_S);
    return 0;
}

static int cmd_serve(int argc, char **argv)
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
        {"invite-ttl", required_argument, NULL, 'i'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct serve_config cfg;
    char why[256];
    long long v;
    int o;
    config_defaults(&cfg);
    optind = 0;
    opterr = 0;
    while ((o = getopt_long(argc, argv, ":vh", opts, NULL)) != -1) {
        switch (o) {
        case 'D':
            cfg.dev = 1;
            break;
        case 'l':
            if (config_parse_listen(optarg, &cfg.listen, why, sizeof why))
                return usage_error("serve", "%s", why);
            cfg.listen_given = 1;
            break;
        case 'd':
            if (snprintf(cfg.data_dir, sizeof cfg.data_dir, "%s", optarg) >= (int)sizeof cfg.data_dir - 32)
                return usage_error("serve", "--data '%s': path too long", optarg);
            break;
        case 'c':
            snprintf(cfg.cert, sizeof cfg.cert, "%s", optarg);
            break;
        case 'k':
            snprintf(cfg.key, sizeof cfg.key, "%s", optarg);
            break;
        case 'p':
            if (config_parse_public(optarg, cfg.public_host, &cfg.public_port, why, sizeof why))
                return usage_error("serve", "%s", why);
            break;
        case 'a':
            if (config_parse_int(optarg, 1, 1000000, &v))
                return usage_error("serve", "--auth-failures '%s': expected a number from 1 to 1000000", optarg);
            cfg.auth_failures = (unsigned)v;
            break;
        case 'g':
            if (config_parse_int(optarg, 1, RL_GLOBAL_MAX, &v))
                return usage_error("serve", "--auth-failures-global '%s': expected a number from 1 to 10000",
                                   optarg);
            cfg.auth_failures_global = (unsigned)v;
            break;
        case 'u':
            if (config_parse_int(optarg, 1, ADMIT_CONNS_MAX, &v))
                return usage_error("serve", "--unauth-total '%s': expected a number from 1 to 65536", optarg);
            cfg.unauth_total = (unsigned)v;
            break;
        case 'U':
            if (config_parse_int(optarg, 1, ADMIT_PER_ADDR_MAX, &v))
                return usage_error("serve", "--unauth-per-address '%s': expected a number from 1 to 1000",
                                   optarg);
            cfg.unauth_per_addr = (unsigned)v;
            break;
        case 'q':
            if (config_parse_int(optarg, 64, 1024 * 1024, &v))
                return usage_error("serve", "--queue-kib '%s': expected KiB from 64 to 1048576", optarg);
            cfg.queue_kib = (unsigned)v;
            break;
        case 'i':
            if (config_parse_int(optarg, CONFIG_TTL_MIN, CONFIG_TTL_MAX, &v))
                return usage_error("serve", "--invite-ttl '%s': expected seconds from 60 to 2592000", optarg);
            cfg.invite_ttl_s = v;
            break;
        case 'v':
            cfg.verbose = 1;
            break;
        case 'h':
            help_serve(stdout);
            return 0;
        case ':':
            return usage_error("serve", "option %s needs a value", argv[optind - 1]);
        default:
            return usage_error("serve", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return usage_error("serve", "unexpected argument '%s'", argv[optind]);
    if (!cfg.listen_given) {
        if (cfg.dev) {
            snprintf(cfg.listen.host, sizeof cfg.listen.host, "127.0.0.1");
            cfg.listen.v6 = 0;
        } else {
            cfg.listen.host[0] = '\0';
            cfg.listen.v6 = 1;
        }
        cfg.listen.port = CONFIG_DEFAULT_PORT;
    }
    if (!cfg.cert[0] != !cfg.key[0])
        return usage_error("serve", "%s", "--cert and --key go together: give both");
    if (!cfg.dev && !cfg.cert[0])
        return usage_error("serve", "%s", "--cert FILE and --key FILE are required "
                           "(or use --dev for a self-signed development certificate)");
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
    srv.ops = OPS;
    srv.soft_budget = (size_t)cfg.queue_kib * 1024;
    srv.invite_ttl_s = cfg.invite_ttl_s;
    ratelimit_init(&srv.rl, cfg.auth_failures, CONFIG_AUTH_WINDOW_S);
    ratelimit_set_global(&srv.rl, cfg.auth_failures_global);
    uint64_t seed = 0;
    if (bp_random((uint8_t *)&seed, sizeof seed) ||
        admit_init(&srv.admit, max_conns, unauth_total, per_addr, seed)) {
        fprintf(stderr, "bilan-server serve: out of memory for the connection table\n");
        return 1;
    }
    log_info("connections: at most %u, of which %u not yet signed in (%u per address); "
             "open-file limit %llu", max_conns, unauth_total, per_addr, (unsigned long long)nofile);
    if (db_path(cfg.data_dir, path, sizeof path) || OPS->open(path, 1, &srv.st, why, sizeof why)) {
        fprintf(stderr, "bilan-server serve: %s\n", why);
        admit_free(&srv.admit);
        return 1;
    }
    int64_t ended = 0;
    if (OPS->sessions_end_open(srv.st, &ended))
        log_warn("cannot mark the sessions left open by the last run");
    else if (ended)
        log_info("%lld session(s) left open by the last run marked ended (server_restart); "
                 "their presence ends at each member's last alive checkpoint", (long long)ended);
    /* Ended sessions without frozen figures (the run before crashed, or an
     * older server made them): counted once now, from their own lines. */
    int frozen = 0;
    if (ledger_backfill(OPS, srv.st, INT32_MAX, &frozen))
        log_warn("cannot count the sessions that have no figures yet");
    else if (frozen)
        log_info("%d ended session(s) counted and their records frozen", frozen);
    sc.cfg = &cfg;
    sc.srv = &srv;
    int rc = ws_serve(&cfg, &srv, on_ready, &sc);
    attendance_free_all(&srv);
    admit_free(&srv.admit);
    rooms_clear(&srv.rooms);
    OPS->close(srv.st);
    srv.st = NULL;
    if (rc) {
        fprintf(stderr, "bilan-server serve: could not start (see the log above)\n");
        return 1;
    }
    log_info("stopped: %llu frames relayed, %llu video frames dropped, %llu authentications "
             "(%llu failed)", (unsigned long long)srv.frames_relayed, (unsigned long long)srv.video_dropped,
             (unsigned long long)srv.auth_ok, (unsigned long long)srv.auth_failed);
    return 0;
}

int main(int argc, char **argv)
{
    log_init(0);
    if (argc < 2) {
        help_main(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        help_main(stdout);
        return 0;
    }
    if (!strcmp(cmd, "--version")) {
        printf("%s\n", SERVER_NAME);
        return 0;
    }
    if (!strcmp(cmd, "serve"))
        return cmd_serve(argc - 1, argv + 1);
    if (!strcmp(cmd, "consultant"))
        return cmd_consultant(argc - 1, argv + 1);
    if (!strcmp(cmd, "hours"))
        return cmd_hours(argc - 1, argv + 1);
    if (!strcmp(cmd, "journal"))
        return cmd_journal(argc - 1, argv + 1);
    if (!strcmp(cmd, "receipts"))
        return cmd_receipts(argc - 1, argv + 1);
    fprintf(stderr, "bilan-server: unknown command '%s'\n", cmd);
    help_main(stderr);
    return 2;
}
