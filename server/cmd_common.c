/* cmd_common.c: what bilan-server's command files share (cmd.h): the store
 * backend every command uses (chosen here, in one place), the usage error,
 * the database of a data folder, writing a report to stdout, enrolment
 * links. Prints only error messages, on stderr; never a token. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "config.h"

/* The default backend (store_backend.c); a deployment option choosing
 * another one would be read here and nowhere else. */
const struct store_ops *cmd_store_ops(void)
{
    return store_backend(NULL, NULL, 0);
}

int cmd_usage_error(const struct cmd *c, const char *fmt, const char *arg)
{
    fprintf(stderr, "bilan-server %s: ", c->name);
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nRun `bilan-server %s --help` for the options.\n", c->name);
    return 2;
}

void cmd_help(const struct cmd *c, FILE *f)
{
    fputs(c->help, f);
}

int cmd_db_path(const char *data, char *out, size_t cap)
{
    int n = snprintf(out, cap, "%s/server.db", data);
    return n < 0 || (size_t)n >= cap ? -1 : 0;
}

int cmd_open_db(const struct cmd *c, const struct store_ops *ops, const char *data, struct store **st)
{
    char path[PATH_MAX], why[512];
    if (cmd_db_path(data, path, sizeof path)) {
        fprintf(stderr, "bilan-server %s: --data path too long\n", c->name);
        return 1;
    }
    if (store_open(ops, path, 0, st, why, sizeof why)) {
        fprintf(stderr, "bilan-server %s: %s (use --data DIR to name the server's data folder)\n", c->name, why);
        return 1;
    }
    return 0;
}

int cmd_put_out(const struct cmd *c, const char *text, size_t len)
{
    if (fwrite(text, 1, len, stdout) != len || fflush(stdout) != 0) {
        fprintf(stderr, "bilan-server %s: cannot write the output: %s\n", c->name, strerror(errno));
        return 1;
    }
    return 0;
}

int cmd_enrol_link(const struct store_ops *ops, struct store *st, const uint8_t token[BP_TOKEN_LEN], char *out,
                   size_t cap)
{
    char host[256], port[16], pin[64];
    long long p;
    struct bp_link l;
    if (ops->setting_get(st, "public_host", host, sizeof host) ||
        ops->setting_get(st, "public_port", port, sizeof port) ||
        ops->setting_get(st, "cert_pin", pin, sizeof pin))
        return CMD_LINK_NOT_YET;
    if (!bp_host_usable(host))
        return CMD_LINK_NO_HOST;
    if (config_parse_int(port, 1, 65535, &p) || strlen(host) > BP_HOST_MAX)
        return CMD_LINK_NOT_YET;
    memset(&l, 0, sizeof l);
    l.kind = BP_LINK_ENROL;
    if (snprintf(l.host, sizeof l.host, "%s", host) >= (int)sizeof l.host)
        return -1;
    l.port = (uint16_t)p;
    memcpy(l.token, token, BP_TOKEN_LEN);
    if (bp_b64_decode_exact(pin, l.pin, BP_FP_LEN) == 0)
        l.has_pin = 1;
    int rc = bp_link_format(&l, out, cap) < 0 ? CMD_LINK_NOT_YET : 0;
    memset(&l, 0, sizeof l);
    return rc;
}
