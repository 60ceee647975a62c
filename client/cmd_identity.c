/* cmd_identity.c: `bilan identity show`: who this device is (fingerprint and
 * public keys; private keys are never printed) and where it is enrolled. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"

static const char usage[] =
    "Usage: bilan identity show\n"
    "\n"
    "Shows this device's identity: its fingerprint (read it to the other person\n"
    "to compare), its public keys, when it was created, the data folder, and the\n"
    "servers it is enrolled with. Private keys are never shown.\n";

static void fmt_time(long long t, char *out, size_t cap)
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (!gmtime_r(&tt, &tm) || !strftime(out, cap, "%Y-%m-%d %H:%M:%S UTC", &tm))
        snprintf(out, cap, "%lld", t);
}

static int print_server(void *arg, const struct ks_server *s)
{
    (void)arg;
    char when[64], name[BP_NAME_MAX + 1];
    fmt_time(s->enrolled_at, when, sizeof when);
    cli_printable((const uint8_t *)s->name, strlen(s->name), name, sizeof name);
    int v6 = strchr(s->host, ':') != NULL;
    printf("  %s%s%s:%u  role=%s%s%s  trust=%s  enrolled %s\n", v6 ? "[" : "", s->host,
           v6 ? "]" : "", s->port, s->role[0] ? s->role : "?", name[0] ? "  name=" : "", name,
           s->has_pin ? "pinned certificate" : "system CA store", when);
    (*(int *)arg)++;
    return 0;
}

int cmd_identity(struct app *a, int argc, char **argv)
{
    static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    int c;
    optind = 0; /* 0, not 1: glibc then resets its state and permutes (options after operands) */
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'h') {
            fputs(usage, stdout);
            return 0;
        }
        fputs(usage, stderr);
        return EXIT_USAGE;
    }
    if (optind >= argc || strcmp(argv[optind], "show") || optind + 1 != argc) {
        if (optind < argc && !strcmp(argv[optind], "show"))
            return cli_fail(EXIT_USAGE, "`identity show` takes no arguments");
        fputs(usage, stderr);
        return EXIT_USAGE;
    }
    int rc = app_open(a);
    if (rc)
        return rc;
    uint8_t fp[BP_FP_LEN];
    char human[40], fp64[BP_B64_32 + 1], sp[BP_B64_32 + 1], dp[BP_B64_32 + 1], when[64];
    bp_fingerprint(a->id.sign_pub, a->id.dh_pub, fp);
    bp_fingerprint_human(fp, human);
    bp_b64_encode(fp, sizeof fp, fp64);
    bp_b64_encode(a->id.sign_pub, BP_KEY_LEN, sp);
    bp_b64_encode(a->id.dh_pub, BP_KEY_LEN, dp);
    fmt_time(a->id_created, when, sizeof when);
    printf("Fingerprint:       %s\n", human);
    printf("Device id:         %s\n", fp64);
    printf("Signing key:       %s (Ed25519, public)\n", sp);
    printf("Key agreement key: %s (X25519, public)\n", dp);
    printf("Created:           %s\n", when);
    printf("Data folder:       %s\n", ks_dir(a->ks));
    printf("Servers:\n");
    int count = 0;
    if (ks_server_each(a->ks, print_server, &count))
        return cli_fail(EXIT_USAGE, "%s", ks_error(a->ks));
    if (!count)
        printf("  (none yet: enrol with `bilan enrol LINK` or join with an invite link)\n");
    return 0;
}
