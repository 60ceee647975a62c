/* config.h: command-line options of `bilan-server serve` and the parsers of
 * their values.
 *
 * Owns struct serve_config and its defaults. Pure: parsing reads only its
 * arguments; the checks that touch the file system happen in cmd_serve.c. Every
 * refusal fills `why` with a sentence naming the option and the fix. */
#ifndef SERVER_CONFIG_H
#define SERVER_CONFIG_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#define CONFIG_DEFAULT_DATA "./bilan-data"
#define CONFIG_DEFAULT_PORT 8443
#define CONFIG_DEFAULT_AUTH_FAILURES 10
#define CONFIG_AUTH_WINDOW_S 60
#define CONFIG_DEFAULT_QUEUE_KIB 4096
#define CONFIG_DEFAULT_INVITE_TTL 604800
#define CONFIG_TTL_MIN 60
#define CONFIG_TTL_MAX (30 * 86400)

struct listen_addr {
    char host[64];      /* IP literal, "" for every interface */
    int v6;             /* host is IPv6 (or any-address on both families) */
    int port;           /* 0: ephemeral */
};

struct serve_config {
    int dev;
    struct listen_addr listen;
    int listen_given;
    char data_dir[PATH_MAX];
    char cert[PATH_MAX];
    char key[PATH_MAX];
    char public_host[256];   /* host put in printed links; "" = from --listen, when
                              * that is a specific address (config_link_host) */
    int public_port;         /* 0 = the listening port */
    unsigned auth_failures;
    unsigned auth_failures_global;
    unsigned unauth_total;      /* 0: derived from the open-file limit (admit_limits) */
    unsigned unauth_per_addr;   /* 0: ADMIT_PER_ADDR_DEFAULT */
    unsigned queue_kib;
    unsigned video_delay_ms;    /* video dropped for a receiver whose media waited longer */
    int64_t invite_ttl_s;
    int64_t session_grace_s;    /* --session-grace; 0: SESSION_GRACE_MS */
    int64_t test_clock_offset_s; /* --test-clock-offset: tests only (PROTOCOL.md §10.4) */
    unsigned sheet_push_quota;   /* --sheet-push-quota: per device per minute; 0: the default */
    int verbose;
};

void config_defaults(struct serve_config *c);
/* "ADDR:PORT", "[V6]:PORT", "*:PORT", "localhost:PORT". */
int config_parse_listen(const char *s, struct listen_addr *out, char *why, size_t why_len);
/* "HOST" or "HOST:PORT" or "[V6]:PORT" for --public. */
int config_parse_public(const char *s, char host[256], int *port, char *why, size_t why_len);
/* Decimal integer in [min, max], nothing else. */
int config_parse_int(const char *s, long long min, long long max, long long *out);
/* The host and port that printed links name: --public (with its port, else
 * the listening port), else the listen address when it is a specific one.
 * -1 when there is none (a wildcard listen address, no --public): then no
 * link may be printed. port is the port the server listens on. */
int config_link_host(const struct serve_config *c, int port, char *host, size_t cap, int *port_out);
/* Formats host for a URL: brackets around IPv6. */
void config_url_host(const char *host, char *out, size_t cap);

#endif
