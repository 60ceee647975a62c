/* cmd_hours.c: `bilan hours` (the bilan's face-to-face report, from the
 * server), `bilan hours declare` (a beneficiary's personal work) and
 * `bilan receipt verify` (an attendance receipt, offline). PROTOCOL.md §9.
 *
 * The formatting and the verification are in hours.c (pure, unit-tested);
 * this file parses the command line, finds the bilan and its server in the
 * key store and runs one request over one connection. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "cli.h"
#include "enrol.h"
#include "hours.h"

static const char usage_hours[] =
    "Usage: bilan hours [BILAN] [--format table|csv|json] [--server HOST:PORT]\n"
    "       bilan hours declare DURATION [--bilan BILAN] [--note TEXT] [--server HOST:PORT]\n"
    "\n"
    "hours            asks the server for the bilan's face-to-face hours and prints them:\n"
    "                 each session (phase, start and end in local time, face-to-face time,\n"
    "                 interruptions), totals per phase, the time used, the budget and what\n"
    "                 is left, the personal work declared, the total against the legal\n"
    "                 maximum of 24 h, and warnings. Without BILAN: the only bilan this\n"
    "                 device knows.\n"
    "  --format F     table (default, for people), csv (RFC 4180) or json (the server's\n"
    "                 report object, as received)\n"
    "declare          (beneficiary) declares personal work done outside the sessions:\n"
    "                 DURATION from 1m to 24h, like 1h30, 45m, 2h\n"
    "  --bilan BILAN  which bilan, if this device knows several\n"
    "  --note TEXT    a short note (at most 200 bytes) kept with the declaration\n"
    "  --server H:P   which server, when the bilan id is known on several\n"
    "\n"
    "Exit codes: 0 ok, 1 usage or bad input, 2 refused by the server, 3 network, 4 timeout.\n";

static const char usage_receipt[] =
    "Usage: bilan receipt verify FILE\n"
    "\n"
    "Checks an attendance receipt offline (no network, no data folder): FILE is one\n"
    "receipt ({\"receipt\":1, \"record\":..., \"signatures\":[...]}) or a JSON array of them\n"
    "(what `bilan-server receipts BILAN` prints). For each receipt it prints the\n"
    "session (bilan, session, phase, start and end in UTC, face-to-face time), each\n"
    "signature (VALID or INVALID, and why), each participant who refused to sign and\n"
    "why (a device refuses a record that does not agree with what it saw itself),\n"
    "and each participant who did not answer.\n"
    "\n"
    "Exit codes: 0 every signature valid and every participant signed, 5 some\n"
    "signature invalid, 7 a participant refused to sign, 6 all valid but some\n"
    "missing, 1 unreadable file.\n";

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

/* The bilan (bilan, or the only one known) and its server; out_bilan holds
 * BP_ID_MAX + 1 bytes. 0 or an exit code with a message printed. */
static int pick_bilan(struct app *a, const char *bilan, const char *opt_server,
                      struct ks_server *srv, char *out_bilan)
{
    int rc;
    struct bilans l;
    memset(&l, 0, sizeof l);
    if (bilan && !bp_id_ok(bilan))
        return cli_fail(EXIT_USAGE, "'%s' is not a bilan id (1 to 64 of A-Z a-z 0-9 _ -)", bilan);
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
                        "this device knows no bilan%s: join one with its invite link first "
                        "(`bilan join LINK`), or name it",
                        opt_server ? " on that server" : "");
    if (l.count > 1)
        return cli_fail(EXIT_USAGE,
                        bilan ? "bilan %s is known on several servers: add --server HOST:PORT"
                              : "this device knows several bilans (%s): say which",
                        bilan ? bilan : l.list);
    snprintf(out_bilan, BP_ID_MAX + 1, "%s", l.first.bilan);
    if (!opt_server && ks_server_by_id(a->ks, l.first.server_id, srv))
        return cli_fail(EXIT_USAGE, "bilan %s has no server in client.db", l.first.bilan);
    OPENSSL_cleanse(&l.first, sizeof l.first); /* holds the invite secret */
    return 0;
}

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
            return cli_fail(EXIT_NETWORK, "the server's report is unreadable: %s", why);
        fflush(stdout);
        return 0;
    }
    if (t == BP_T_PERSONAL_DECLARED) {
        char hm[24];
        hours_fmt_hm(bp_int(m, "seconds", 0) * 1000, hm, sizeof hm);
        printf("declared %s of personal work for bilan=%s\n", hm, bp_str(m, "bilan", s->bilan));
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
            fputs(usage_hours, stdout);
            return 0;
        default:
            fputs(usage_hours, stderr);
            return EXIT_USAGE;
        }
    }
    if (argc - optind != 1)
        return cli_fail(EXIT_USAGE,
                        "`bilan hours declare` needs one DURATION, like 1h30 or 45m (see --help)");
    const char *why;
    long long secs;
    if (cli_parse_duration(argv[optind], &secs, &why))
        return cli_fail(EXIT_USAGE, "%s: %s", argv[optind], why);
    if (secs < 60 || secs > 86400)
        return cli_fail(EXIT_USAGE, "%s: personal work is declared from 1m to 24h at a time",
                        argv[optind]);
    if (note && (strlen(note) > 200 || !bp_utf8_valid((const uint8_t *)note, strlen(note))))
        return cli_fail(EXIT_USAGE, "--note: at most 200 bytes of UTF-8 text");
    if ((rc = app_open(a)))
        return rc;
    struct ks_server srv;
    char id[BP_ID_MAX + 1];
    if ((rc = pick_bilan(a, bilan, opt_server, &srv, id)))
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
    while ((c = getopt_long(argc, argv, "f:s:h", opts, NULL)) != -1) {
        switch (c) {
        case 'f':
            fmt = hours_format_parse(optarg);
            if (!fmt)
                return cli_fail(EXIT_USAGE, "--format %s: expected table, csv or json", optarg);
            break;
        case 's':
            opt_server = optarg;
            break;
        case 'h':
            fputs(usage_hours, stdout);
            return 0;
        default:
            fputs(usage_hours, stderr);
            return EXIT_USAGE;
        }
    }
    if (argc - optind > 1)
        return cli_fail(EXIT_USAGE, "unexpected argument '%s' (see --help)", argv[optind + 1]);
    if ((rc = app_open(a)))
        return rc;
    struct ks_server srv;
    char id[BP_ID_MAX + 1];
    if ((rc = pick_bilan(a, argc - optind == 1 ? argv[optind] : NULL, opt_server, &srv, id)))
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
        fputs(usage_receipt, argc < 2 ? stderr : stdout);
        return argc < 2 ? EXIT_USAGE : 0;
    }
    if (strcmp(argv[1], "verify"))
        return cli_fail(EXIT_USAGE, "unknown `bilan receipt` command '%s' (verify; see --help)",
                        argv[1]);
    if (argc == 3 && (!strcmp(argv[2], "--help") || !strcmp(argv[2], "-h"))) {
        fputs(usage_receipt, stdout);
        return 0;
    }
    if (argc != 3)
        return cli_fail(EXIT_USAGE, "`bilan receipt verify` needs one FILE (see --help)");
    json_error_t je;
    json_t *doc = json_load_file(argv[2], JSON_REJECT_DUPLICATES, &je);
    if (!doc)
        return cli_fail(EXIT_USAGE, "%s: not readable JSON: %s (line %d, column %d, byte %d)",
                        argv[2], je.text, je.line, je.column, je.position);
    int rc = hours_receipt_verify(stdout, stderr, doc);
    json_decref(doc);
    return rc;
}
