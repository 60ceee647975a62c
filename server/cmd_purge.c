/* cmd_purge.c: `bilan-server purge`, the purge of closed bilans by hand
 * (PROTOCOL.md §10.4; serve runs the same at start and every 24 h): a
 * bilan closed a year ago or more loses its kept worksheets, key wraps and
 * consent. Owns its options (with the test clock, for tests only) and what
 * it prints: one line per bilan purged and the totals, counts only.
 *
 * Must never: print or log content, a sheet's bytes or a key. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "config.h"
#include "log.h"
#include "purge.h"

const char cmd_purge_help[] =
    "Usage: bilan-server purge [OPTIONS]\n"
    "\n"
    "Deletes the worksheets kept after the close of every bilan closed one year\n"
    "(365 days) ago or more: its kept sealed operations, its document key wraps and\n"
    "the beneficiary's consent. The hours journal and the receipts stay. The server\n"
    "also does this when it starts and every 24 hours; this command does it now,\n"
    "and works while the server runs.\n"
    "Prints one line per bilan purged, then the totals (counts only, never content):\n"
    "  purged BILAN closed=SECONDS ops=N bytes=N wraps=N consents=N\n"
    "  purge: bilans=N ops=N bytes=N wraps=N consents=N\n"
    "\n"
    "Options:\n"
    "  --data DIR            data folder (default ./bilan-data)\n"
    "  --test-clock-offset SECONDS\n"
    "                        FOR TESTS ONLY: move this command's clock by SECONDS\n"
    "                        (e.g. 31622400 = 366 days later); never on a real server\n"
    "  -h, --help            this help\n";

static void print_one(void *arg, const char *bilan, int64_t closed, const struct store_sheet_counts *n)
{
    (void)arg;
    printf("purged %s closed=%lld ops=%lld bytes=%lld wraps=%lld consents=%lld\n", bilan, (long long)closed,
           (long long)n->deleted_ops, (long long)n->deleted_bytes, (long long)n->deleted_wraps,
           (long long)n->deleted_consents);
}

int cmd_purge_run(const struct cmd *self, int argc, char **argv)
{
    static const struct option opts[] = {
        {"data", required_argument, NULL, 'd'},
        {"test-clock-offset", required_argument, NULL, 'T'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *data = CONFIG_DEFAULT_DATA;
    long long offset = 0;
    int o;
    optind = 0;
    opterr = 0;
    while ((o = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (o) {
        case 'd': data = optarg; break;
        case 'T':
            if (config_parse_int(optarg, -PURGE_TEST_CLOCK_MAX_S, PURGE_TEST_CLOCK_MAX_S, &offset))
                return cmd_usage_error(self, "--test-clock-offset '%s': expected seconds from -315360000 to "
                                       "315360000 (10 years)", optarg);
            break;
        case 'h': cmd_help(self, stdout); return 0;
        case ':': return cmd_usage_error(self, "option %s needs a value", argv[optind - 1]);
        default: return cmd_usage_error(self, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return cmd_usage_error(self, "unexpected argument '%s'", argv[optind]);
    if (offset)
        log_warn("TEST CLOCK: this purge runs with its clock moved by %lld s (%lld days): for tests only, never "
                 "on a real server", offset, offset / 86400);
    const struct store_ops *ops = cmd_store_ops();
    struct store *st;
    if (cmd_open_db(self, ops, data, &st))
        return 1;
    struct purge_totals t;
    int rc = purge_run(ops, st, (int64_t)time(NULL) + offset, print_one, NULL, &t);
    ops->close(st);
    if (rc) {
        fprintf(stderr, "bilan-server purge: the database failed (see the log above); the bilans listed were "
                        "purged, run it again for the rest\n");
        return 1;
    }
    printf("purge: bilans=%lld ops=%lld bytes=%lld wraps=%lld consents=%lld\n", (long long)t.bilans,
           (long long)t.ops, (long long)t.bytes, (long long)t.wraps, (long long)t.consents);
    fflush(stdout);
    return 0;
}
