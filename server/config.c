/* config.c: option values. Strict: a number with trailing junk, a port out of
 * range or an unbracketed IPv6 address is an error, not a guess. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bp/bp.h"
#include "config.h"
#include "queue.h"
#include "ratelimit.h"

void config_defaults(struct serve_config *c)
{
    memset(c, 0, sizeof *c);
    snprintf(c->data_dir, sizeof c->data_dir, "%s", CONFIG_DEFAULT_DATA);
    c->listen.port = CONFIG_DEFAULT_PORT;
    c->auth_failures = CONFIG_DEFAULT_AUTH_FAILURES;
    c->auth_failures_global = RL_GLOBAL_DEFAULT;
    c->queue_kib = CONFIG_DEFAULT_QUEUE_KIB;
    c->video_delay_ms = QUEUE_VIDEO_DELAY_MS_DEFAULT;
    c->invite_ttl_s = CONFIG_DEFAULT_INVITE_TTL;
}

int config_parse_int(const char *s, long long min, long long max, long long *out)
{
    if (!s || !*s || (*s != '-' && (*s < '0' || *s > '9')))
        return -1;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

static int split_host_port(const char *s, char *host, size_t host_cap, const char **port, int *bracketed,
                           char *why, size_t why_len)
{
    const char *colon;
    *bracketed = 0;
    if (s[0] == '[') {
        const char *close = strchr(s, ']');
        if (!close || (close[1] != ':' && close[1] != '\0')) {
            snprintf(why, why_len, "'%s': write IPv6 addresses in brackets, like [::1]:8443", s);
            return -1;
        }
        if ((size_t)(close - s - 1) >= host_cap) {
            snprintf(why, why_len, "'%s': address too long", s);
            return -1;
        }
        memcpy(host, s + 1, (size_t)(close - s - 1));
        host[close - s - 1] = '\0';
        *bracketed = 1;
        *port = close[1] == ':' ? close + 2 : NULL;
        return 0;
    }
    colon = strrchr(s, ':');
    if (colon && memchr(s, ':', (size_t)(colon - s))) {
        snprintf(why, why_len, "'%s': write IPv6 addresses in brackets, like [::1]:8443", s);
        return -1;
    }
    size_t n = colon ? (size_t)(colon - s) : strlen(s);
    if (n >= host_cap) {
        snprintf(why, why_len, "'%s': host too long", s);
        return -1;
    }
    memcpy(host, s, n);
    host[n] = '\0';
    *port = colon ? colon + 1 : NULL;
    return 0;
}

int config_parse_listen(const char *s, struct listen_addr *out, char *why, size_t why_len)
{
    char host[64];
    const char *port;
    int br;
    long long p;
    memset(out, 0, sizeof *out);
    if (!s || split_host_port(s, host, sizeof host, &port, &br, why, why_len))
        return -1;
    if (!port || config_parse_int(port, 0, 65535, &p)) {
        snprintf(why, why_len, "--listen '%s': expected ADDR:PORT with a port from 0 to 65535 "
                 "(0 picks a free port), like 127.0.0.1:8443", s);
        return -1;
    }
    out->port = (int)p;
    struct in6_addr a6;
    struct in_addr a4;
    if (!strcmp(host, "*") || !host[0]) {
        out->host[0] = '\0';
        out->v6 = 1;
    } else if (!strcmp(host, "localhost")) {
        snprintf(out->host, sizeof out->host, "127.0.0.1");
    } else if (!br && inet_pton(AF_INET, host, &a4) == 1) {
        snprintf(out->host, sizeof out->host, "%s", host);
    } else if (br && inet_pton(AF_INET6, host, &a6) == 1) {
        snprintf(out->host, sizeof out->host, "%s", host);
        out->v6 = 1;
    } else {
        snprintf(why, why_len, "--listen '%s': the address must be an IP address (like 127.0.0.1, "
                 "0.0.0.0 or [::1]), '*' for every interface, or localhost", s);
        return -1;
    }
    return 0;
}

int config_parse_public(const char *s, char host[256], int *port, char *why, size_t why_len)
{
    const char *ps;
    int br;
    long long p = 0;
    if (!s || split_host_port(s, host, 256, &ps, &br, why, why_len))
        return -1;
    if (!host[0]) {
        snprintf(why, why_len, "--public '%s': the host is empty", s);
        return -1;
    }
    if (!bp_host_usable(host)) {
        snprintf(why, why_len,
                 "--public '%s': give the name (or address) clients use to reach this server, "
                 "not a wildcard like 0.0.0.0 or ::",
                 s);
        return -1;
    }
    for (const char *h = host; *h; h++) {
        char c = *h;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
              c == '.' || (br && c == ':'))) {
            snprintf(why, why_len, "--public '%s': the host may only contain letters, digits, '-' and '.'", s);
            return -1;
        }
    }
    if (ps && config_parse_int(ps, 1, 65535, &p)) {
        snprintf(why, why_len, "--public '%s': the port must be a number from 1 to 65535", s);
        return -1;
    }
    *port = (int)p;
    return 0;
}

int config_link_host(const struct serve_config *c, int port, char *host, size_t cap, int *port_out)
{
    /* Never a guess: a wildcard listen address (every interface) says
     * nothing about the name clients use, and gethostname() is often a name
     * only the LAN, or nobody, can resolve. */
    const char *h = c->public_host[0] ? c->public_host : c->listen.host;
    if (!bp_host_usable(h) || strlen(h) >= cap)
        return -1;
    snprintf(host, cap, "%s", h);
    *port_out = c->public_host[0] && c->public_port ? c->public_port : port;
    return 0;
}

void config_url_host(const char *host, char *out, size_t cap)
{
    if (strchr(host, ':'))
        snprintf(out, cap, "[%s]", host);
    else
        snprintf(out, cap, "%s", host);
}
