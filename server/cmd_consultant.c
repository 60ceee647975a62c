/* cmd_consultant.c: `bilan-server consultant add|token|list`, the
 * administration of consultant accounts on the server's database (works
 * while the server runs: the store is in WAL mode with a busy timeout).
 * Owns the option parsing of these subcommands, the check of a consultant's
 * name and the lines they print: the one-time enrolment token and link on
 * stdout, for the person who runs the command. Must never log a token. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "auth.h"
#include "cmd.h"
#include "config.h"

const char cmd_consultant_help[] =
    "Usage: bilan-server consultant add NAME [--ttl SECONDS] [--data DIR]\n"
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
    "  -h, --help      this help\n";

static void fmt_time(int64_t t, char *out, size_t cap)
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, cap, "%Y-%m-%d %H:%M UTC", &tm);
}

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

static int print_consultant(void *arg, const struct store_consultant *c)
{
    char when[32];
    (void)arg;
    fmt_time(c->created, when, sizeof when);
    printf("%-32s  %s  %lld device%s\n", c->name, when, (long long)c->devices, c->devices == 1 ? "" : "s");
    return 0;
}

static int print_token(const struct store_ops *ops, struct store *st, const char *name,
                       const struct auth_token *tok, int64_t expires)
{
    char when[32], link[512];
    fmt_time(expires, when, sizeof when);
    printf("Enrolment token for \"%s\" (single use, valid until %s):\n  %s\n", name, when, tok->b64);
    int rc = cmd_enrol_link(ops, st, tok->raw, link, sizeof link);
    if (!rc)
        printf("Enrolment link:\n  %s\n", link);
    else if (rc == CMD_LINK_NO_HOST)
        printf("(No link: " CMD_NO_HOST_HINT ". Meanwhile, give the token to the client together with "
               "the server address: bilan enrol TOKEN --server HOST:PORT.)\n");
    else
        printf("(No link yet: the server has not run with this data folder. Give the token to "
               "the client together with the server address.)\n");
    memset(link, 0, sizeof link);
    return 0;
}

int cmd_consultant_run(const struct cmd *self, int argc, char **argv)
{
    const struct store_ops *ops = cmd_store_ops();
    const char *data = CONFIG_DEFAULT_DATA;
    long long ttl = CONFIG_DEFAULT_INVITE_TTL;
    /* Options may come before or after the positionals (add NAME --ttl 60). */
    const char *pos[3] = {NULL, NULL, NULL};
    int npos = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--")) {
            for (i++; i < argc && npos < 2; i++)
                pos[npos++] = argv[i];
            if (i < argc)
                return cmd_usage_error(self, "unexpected argument '%s'", argv[i]);
            break;
        }
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            cmd_help(self, stdout);
            return 0;
        }
        if (!strcmp(argv[i], "--ttl") || !strcmp(argv[i], "--data")) {
            if (i + 1 >= argc)
                return cmd_usage_error(self, "option %s needs a value", argv[i]);
            if (!strcmp(argv[i], "--data")) {
                data = argv[++i];
            } else if (config_parse_int(argv[++i], CONFIG_TTL_MIN, CONFIG_TTL_MAX, &ttl)) {
                return cmd_usage_error(self, "--ttl '%s': expected seconds from 60 to 2592000", argv[i]);
            }
            continue;
        }
        if (!strncmp(argv[i], "--ttl=", 6) || !strncmp(argv[i], "--data=", 7)) {
            const char *v = strchr(argv[i], '=') + 1;
            if (argv[i][2] == 'd')
                data = v;
            else if (config_parse_int(v, CONFIG_TTL_MIN, CONFIG_TTL_MAX, &ttl))
                return cmd_usage_error(self, "--ttl '%s': expected seconds from 60 to 2592000", v);
            continue;
        }
        if (argv[i][0] == '-' && argv[i][1])
            return cmd_usage_error(self, "unknown option '%s'", argv[i]);
        if (npos == 2)
            return cmd_usage_error(self, "unexpected argument '%s'", argv[i]);
        pos[npos++] = argv[i];
    }
    if (!pos[0]) {
        cmd_help(self, stderr);
        return 2;
    }
    const char *sub = pos[0], *name = pos[1];
    int is_add = !strcmp(sub, "add"), is_token = !strcmp(sub, "token"), is_list = !strcmp(sub, "list");
    if (!is_add && !is_token && !is_list)
        return cmd_usage_error(self, "unknown subcommand '%s' (add, token or list)", sub);
    if (is_list && name)
        return cmd_usage_error(self, "'list' takes no name (got '%s')", name);
    if ((is_add || is_token) && !name)
        return cmd_usage_error(self, "'%s' needs the consultant's NAME", sub);
    if (name && !name_ok(name))
        return cmd_usage_error(self, "invalid name '%s': 1 to 64 bytes of text, no control "
                               "characters, no leading or trailing space", name);

    char path[PATH_MAX], why[256];
    struct store *st;
    if (cmd_db_path(data, path, sizeof path)) {
        fprintf(stderr, "bilan-server consultant: data folder path too long\n");
        return 1;
    }
    int rc = store_open(ops, path, 0, &st, why, sizeof why);
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
        if (ops->identity->consultant_count(st, &n) == 0 && n == 0) {
            printf("No consultant yet. Create one with `bilan-server consultant add NAME`.\n");
            ret = 0;
        } else if (ops->identity->consultant_list(st, print_consultant, NULL) == 0) {
            ret = 0;
        } else {
            fprintf(stderr, "bilan-server consultant: cannot read the database\n");
        }
    } else if (is_add) {
        if (ops->begin(st)) {
            fprintf(stderr, "bilan-server consultant: the database is busy; try again\n");
        } else if ((rc = ops->identity->consultant_add(st, name, now, &id)) == STORE_E_EXISTS) {
            ops->rollback(st);
            fprintf(stderr, "bilan-server consultant: a consultant named \"%s\" already exists; "
                    "use `bilan-server consultant token %s` for a new device\n", name, name);
        } else if (rc || auth_issue_enrol_token(ops, st, id, now, ttl, &tok)) {
            ops->rollback(st);
            fprintf(stderr, "bilan-server consultant: cannot write to the database\n");
        } else if (ops->commit(st)) {
            auth_token_wipe(&tok);
            fprintf(stderr, "bilan-server consultant: cannot write to the database\n");
        } else {
            printf("Consultant \"%s\" created.\n", name);
            print_token(ops, st, name, &tok, now + ttl);
            auth_token_wipe(&tok);
            ret = 0;
        }
    } else {
        if ((rc = ops->identity->consultant_find(st, name, &id)) == STORE_E_NOTFOUND) {
            fprintf(stderr, "bilan-server consultant: no consultant named \"%s\" (see "
                    "`bilan-server consultant list`)\n", name);
        } else if (rc || auth_issue_enrol_token(ops, st, id, now, ttl, &tok)) {
            fprintf(stderr, "bilan-server consultant: cannot write to the database\n");
        } else {
            print_token(ops, st, name, &tok, now + ttl);
            auth_token_wipe(&tok);
            ret = 0;
        }
    }
    fflush(stdout);
    ops->close(st);
    return ret;
}
