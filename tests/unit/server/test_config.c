/* test_config.c: server/config.c (listen/public parsing, strict integers)
 * and server/landing.c (routing, no echo of the request). */
#include <string.h>

#include "../check.h"
#include "config.h"
#include "landing.h"

/* memmem is a GNU extension; this is the portable few lines. */
static const void *find(const void *hay, size_t n, const char *needle)
{
    size_t k = strlen(needle);
    for (size_t i = 0; k <= n && i <= n - k; i++)
        if (!memcmp((const char *)hay + i, needle, k))
            return (const char *)hay + i;
    return NULL;
}

int main(void)
{
    struct listen_addr l;
    char why[256], host[256];
    int port;
    long long v;
    CHECK_EQ_INT(config_parse_listen("127.0.0.1:8443", &l, why, sizeof why), 0);
    CHECK_STR(l.host, "127.0.0.1");
    CHECK_EQ_INT(l.port, 8443);
    CHECK_EQ_INT(l.v6, 0);
    CHECK_EQ_INT(config_parse_listen("127.0.0.1:0", &l, why, sizeof why), 0);
    CHECK_EQ_INT(l.port, 0);
    CHECK_EQ_INT(config_parse_listen("[::1]:9000", &l, why, sizeof why), 0);
    CHECK_STR(l.host, "::1");
    CHECK_EQ_INT(l.v6, 1);
    CHECK_EQ_INT(config_parse_listen("*:443", &l, why, sizeof why), 0);
    CHECK_STR(l.host, "");
    CHECK_EQ_INT(config_parse_listen("localhost:1", &l, why, sizeof why), 0);
    CHECK_STR(l.host, "127.0.0.1");
    CHECK(config_parse_listen("::1:9000", &l, why, sizeof why) < 0);
    CHECK(strstr(why, "brackets") != NULL);
    CHECK(config_parse_listen("127.0.0.1", &l, why, sizeof why) < 0);
    CHECK(config_parse_listen("127.0.0.1:65536", &l, why, sizeof why) < 0);
    CHECK(config_parse_listen("127.0.0.1:80x", &l, why, sizeof why) < 0);
    CHECK(config_parse_listen("example.org:80", &l, why, sizeof why) < 0);
    CHECK(config_parse_listen("[::1:80", &l, why, sizeof why) < 0);

    CHECK_EQ_INT(config_parse_public("bilan.example.org", host, &port, why, sizeof why), 0);
    CHECK_STR(host, "bilan.example.org");
    CHECK_EQ_INT(port, 0);
    CHECK_EQ_INT(config_parse_public("[2001:db8::1]:443", host, &port, why, sizeof why), 0);
    CHECK_STR(host, "2001:db8::1");
    CHECK_EQ_INT(port, 443);
    CHECK(config_parse_public("a b", host, &port, why, sizeof why) < 0);
    CHECK(config_parse_public("h:0", host, &port, why, sizeof why) < 0);
    /* --public names the server for clients: never a wildcard. */
    const char *wild[] = {"0.0.0.0", "0.0.0.0:443", "[::]", "[::]:8443", "[0:0:0:0:0:0:0:0]:1"};
    for (size_t i = 0; i < sizeof wild / sizeof wild[0]; i++) {
        CHECK(config_parse_public(wild[i], host, &port, why, sizeof why) < 0);
        CHECK(strstr(why, "wildcard") != NULL);
    }

    /* The host links name: --public, else a specific listen address, else
     * none (never 0.0.0.0, ::, or a guess). */
    struct serve_config sc;
    char lh[256];
    int lp = 0;
    config_defaults(&sc);
    CHECK_EQ_INT(config_parse_listen("0.0.0.0:443", &sc.listen, why, sizeof why), 0);
    CHECK(config_link_host(&sc, 443, lh, sizeof lh, &lp) < 0);
    CHECK_EQ_INT(config_parse_listen("*:443", &sc.listen, why, sizeof why), 0);
    CHECK(config_link_host(&sc, 443, lh, sizeof lh, &lp) < 0);
    CHECK_EQ_INT(config_parse_listen("[::]:443", &sc.listen, why, sizeof why), 0);
    CHECK(config_link_host(&sc, 443, lh, sizeof lh, &lp) < 0);
    CHECK_EQ_INT(config_parse_public("bilan.example.fr", sc.public_host, &sc.public_port, why, sizeof why), 0);
    CHECK_EQ_INT(config_link_host(&sc, 443, lh, sizeof lh, &lp), 0);
    CHECK_STR(lh, "bilan.example.fr");
    CHECK_EQ_INT(lp, 443);
    CHECK_EQ_INT(config_parse_public("bilan.example.fr:8443", sc.public_host, &sc.public_port, why, sizeof why), 0);
    CHECK_EQ_INT(config_link_host(&sc, 443, lh, sizeof lh, &lp), 0);
    CHECK_EQ_INT(lp, 8443);
    config_defaults(&sc);
    CHECK_EQ_INT(config_parse_listen("127.0.0.1:0", &sc.listen, why, sizeof why), 0);
    CHECK_EQ_INT(config_link_host(&sc, 40123, lh, sizeof lh, &lp), 0);
    CHECK_STR(lh, "127.0.0.1");
    CHECK_EQ_INT(lp, 40123);

    CHECK_EQ_INT(config_parse_int("10", 1, 100, &v), 0);
    CHECK_EQ_INT(v, 10);
    CHECK(config_parse_int("10k", 1, 100, &v) < 0);
    CHECK(config_parse_int("", 1, 100, &v) < 0);
    CHECK(config_parse_int(" 5", 1, 100, &v) < 0);
    CHECK(config_parse_int("101", 1, 100, &v) < 0);
    CHECK(config_parse_int("99999999999999999999", 1, 100, &v) < 0);

    char u[64];
    config_url_host("::1", u, sizeof u);
    CHECK_STR(u, "[::1]");
    config_url_host("127.0.0.1", u, sizeof u);
    CHECK_STR(u, "127.0.0.1");

    /* Landing: same page for any token, never containing it. */
    struct landing_resp r1, r2;
    const char *tok = "/j/SECRETTOKENxyz0123456789abcdefghijklmnopqr";
    landing_route(tok, &r1);
    CHECK_EQ_INT(r1.status, 200);
    CHECK(strstr(r1.content_type, "text/html") != NULL);
    CHECK(r1.len > 500);
    CHECK(find(r1.body, r1.len, "SECRETTOKEN") == NULL);
    CHECK(find(r1.body, r1.len, "bilan open") != NULL);
    CHECK(find(r1.body, r1.len, "lang=\"fr\"") != NULL);
    landing_route("/e/anything", &r2);
    CHECK_EQ_INT(r2.status, 200);
    CHECK(r2.body == r1.body && r2.len == r1.len);
    landing_route("/healthz", &r2);
    CHECK_EQ_INT(r2.status, 200);
    CHECK(r2.len == 3 && !memcmp(r2.body, "ok\n", 3));
    landing_route("/", &r2);
    CHECK_EQ_INT(r2.status, 404);
    landing_route("/j/", &r2);
    CHECK_EQ_INT(r2.status, 404);
    landing_route("/j/a/b", &r2);
    CHECK_EQ_INT(r2.status, 404);
    landing_route("/etc/passwd", &r2);
    CHECK_EQ_INT(r2.status, 404);
    int csp = 0;
    for (int i = 0; landing_headers[i]; i += 2)
        if (!strcmp(landing_headers[i], "content-security-policy:") &&
            strstr(landing_headers[i + 1], "default-src 'none'"))
            csp = 1;
    CHECK(csp);
    return check_report();
}
