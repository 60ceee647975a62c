/* cmd_hours.c: `bilan-server hours`, the hours report of a bilan (from the
 * database, or replayed from an exported journal) or of a consultant's
 * month. Owns the options of the command, reading a journal file and
 * gathering the numbers (ledger.c, account.c); report.c turns them into
 * text, this file prints it on stdout. Only reads the store. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "journal_jsonl.h"
#include "ledger.h"
#include "report.h"

#define HOURS_FILE_MAX (256u << 20) /* 256 MiB: far above a bilan's journal */

const char cmd_hours_help[] =
    "Usage: bilan-server hours BILAN [--format table|tableur|csv|json] [--data DIR]\n"
    "       bilan-server hours --consultant NAME --month YYYY-MM [--format ...] [--data DIR]\n"
    "       bilan-server hours --replay FILE [--format table|tableur|csv|json]\n"
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
    "  --format FMT           table (default; for people, in French: dd/mm/yyyy, h:mm\n"
    "                         rounded for display), tableur (for a funder's spreadsheet:\n"
    "                         French header, ';', dd/mm/yyyy, h:mm, decimal comma, UTF-8\n"
    "                         with a BOM; also csv-fr), csv or json (for scripts: exact\n"
    "                         seconds, millisecond precision, never change)\n"
    "  --data DIR             data folder (default ./bilan-data)\n"
    "  -h, --help             this help\n"
    "\n"
    "Exit status: 0 report printed, 1 unreadable or inconsistent journal (or unknown bilan or\n"
    "consultant), 2 usage error.\n";

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

static int hours_db(const struct cmd *self, const struct store_ops *ops, const char *data, const char *bilan,
                    int fmt)
{
    struct store *st;
    struct acc_report r;
    char why[512], *text;
    size_t tlen;
    if (cmd_open_db(self, ops, data, &st))
        return 1;
    int rc = ledger_report(ops, st, bilan, NULL, 0, &r, why, sizeof why);
    ops->close(st);
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
    rc = cmd_put_out(self, text, tlen);
    free(text);
    return rc;
}

/* ---- Monthly report of a consultant ----
 * Each bilan's report is assembled by the ledger; report.c keeps the
 * month's sessions and formats the whole (report.h). */
struct month_ctx {
    int year, month;
    const struct store_ops *ops;
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
    if (ledger_report(m->ops, m->st, b->id, NULL, 0, &r, why, sizeof why)) {
        fprintf(stderr, "bilan-server hours: %s\n", why);
        m->failed = 1;
        return 0;
    }
    long n = account_sessions_in_month(&r, m->year, m->month, idx, ACC_MAX_SESSIONS);
    int rc = n > 0 && report_month_add(&m->rm, b->id, b->label, &r, idx, (size_t)n) ? BP_E_NOMEM : 0;
    account_report_free(&r);
    return rc;
}

static int hours_month(const struct cmd *self, const struct store_ops *ops, const char *data, const char *name,
                       const char *month, int fmt)
{
    struct month_ctx m;
    memset(&m, 0, sizeof m);
    m.ops = ops;
    char tail;
    int64_t from, to, cid;
    if (sscanf(month, "%4d-%2d%c", &m.year, &m.month, &tail) != 2 || strlen(month) != 7 ||
        account_month_range(m.year, m.month, &from, &to))
        return cmd_usage_error(self, "--month '%s': expected YYYY-MM, e.g. 2026-03", month);
    if (cmd_open_db(self, ops, data, &m.st))
        return 1;
    if (ops->identity->consultant_find(m.st, name, &cid)) {
        ops->close(m.st);
        fprintf(stderr, "bilan-server hours: no consultant named \"%s\" (see bilan-server consultant list)\n", name);
        return 1;
    }
    report_month_init(&m.rm, name, month);
    int rc = ops->bilans->bilans_of_consultant(m.st, cid, month_bilan, &m);
    ops->close(m.st);
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
    rc = cmd_put_out(self, text, len);
    free(text);
    return rc;
}

/* The report of an exported journal ("-" for stdin): reads only that file. */
static int hours_replay(const char *replay, int fmt)
{
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

int cmd_hours_run(const struct cmd *self, int argc, char **argv)
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
                return cmd_usage_error(self, "--format '%s': expected table, tableur, csv or json", optarg);
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
    const char *bilan = optind < argc ? argv[optind++] : NULL;
    if (optind < argc)
        return cmd_usage_error(self, "unexpected argument '%s'", argv[optind]);
    if (!!replay + !!bilan + !!consultant != 1)
        return cmd_usage_error(self, "%s", "give exactly one of BILAN, --consultant NAME --month YYYY-MM, "
                               "or --replay FILE");
    if (!!consultant != !!month)
        return cmd_usage_error(self, "%s", "--consultant and --month go together");
    if (consultant)
        return hours_month(self, cmd_store_ops(), data, consultant, month, fmt);
    if (bilan)
        return hours_db(self, cmd_store_ops(), data, bilan, fmt);
    return hours_replay(replay, fmt);
}
