/* test_link.c: invite/enrolment link parsing and formatting of proto/link.c. */
#include <stdio.h>
#include <string.h>

#include "bp/bp.h"
#include "../check.h"

#define T43 "dG9rZW4tdG9rZW4tdG9rZW4tdG9rZW4tdG9rZW4tdG8"
#define S43 "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3I"
#define P43 "cGluLXBpbi1waW4tcGluLXBpbi1waW4tcGluLXBpbi0"

static void test_parse_forms(void)
{
    struct bp_link l;
    const char *why = NULL;
    CHECK_EQ_INT(bp_link_parse("https://bilan.example.fr:8443/j/" T43 "#" S43 "." P43, &l, &why), 0);
    CHECK_EQ_INT(l.kind, BP_LINK_INVITE);
    CHECK_STR(l.host, "bilan.example.fr");
    CHECK_EQ_INT(l.port, 8443);
    CHECK(l.has_secret && l.has_pin);
    CHECK_MEM(l.token, "token-token-token-token-token-to", 32);
    CHECK_MEM(l.secret, "secret-secret-secret-secret-secr", 32);
    CHECK_MEM(l.pin, "pin-pin-pin-pin-pin-pin-pin-pin-", 32);

    CHECK_EQ_INT(bp_link_parse("  https://h/j/" T43 "#" S43 "\n", &l, &why), 0);
    CHECK_EQ_INT(l.port, 443);
    CHECK(l.has_secret && !l.has_pin);

    CHECK_EQ_INT(bp_link_parse("https://[::1]:9/e/" T43 "#" P43, &l, &why), 0);
    CHECK_EQ_INT(l.kind, BP_LINK_ENROL);
    CHECK_STR(l.host, "::1");
    CHECK(l.has_pin && !l.has_secret);

    CHECK_EQ_INT(bp_link_parse("https://127.0.0.1:1/e/" T43, &l, &why), 0);
    CHECK(!l.has_pin);

    CHECK_EQ_INT(bp_link_parse(T43, &l, &why), 0);
    CHECK_EQ_INT(l.kind, BP_LINK_TOKEN);
}

static void test_parse_refusals(void)
{
    static const char *bad[] = {
        NULL,
        "",
        "http://h/j/" T43 "#" S43,                 /* not https */
        "https://h/j/" T43,                        /* invite without secret */
        "https://h/x/" T43 "#" S43,                /* unknown path */
        "https://h:0/j/" T43 "#" S43,              /* port 0 */
        "https://h:65536/j/" T43 "#" S43,          /* port too big */
        "https://h:/j/" T43 "#" S43,               /* empty port */
        "https:///j/" T43 "#" S43,                 /* empty host */
        "https://[::1/j/" T43 "#" S43,             /* unclosed bracket */
        "https://h/j/" T43 "x#" S43,               /* long token */
        "https://h/j/" T43 "#" S43 "." P43 "x",    /* long pin */
        "https://h/j/" T43 "#" S43 "x" P43,        /* wrong separator */
        "https://h/j/" T43 "#+" S43,               /* alphabet */
        "https://h/e/" T43 "#short",               /* short pin */
        "https://us er@h/j/" T43 "#" S43,          /* junk in host */
        T43 "A",                                   /* 44-char token */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct bp_link l;
        const char *why = NULL;
        int rc = bp_link_parse(bad[i], &l, &why);
        if (rc != BP_E_BAD_LINK)
            fprintf(stderr, "accepted bad link %zu: %s\n", i, bad[i] ? bad[i] : "(null)");
        CHECK_EQ_INT(rc, BP_E_BAD_LINK);
        CHECK(why != NULL && strlen(why) > 5);
    }
    char huge[2000];
    memset(huge, 'a', sizeof huge - 1);
    huge[sizeof huge - 1] = '\0';
    struct bp_link l;
    const char *why;
    CHECK_EQ_INT(bp_link_parse(huge, &l, &why), BP_E_BAD_LINK);
}

static void test_format_roundtrip(void)
{
    struct bp_link l = {.kind = BP_LINK_INVITE, .port = 8443, .has_secret = 1, .has_pin = 1};
    strcpy(l.host, "::1");
    for (int i = 0; i < 32; i++) {
        l.token[i] = (uint8_t)i;
        l.secret[i] = (uint8_t)(255 - i);
        l.pin[i] = (uint8_t)(i * 7);
    }
    char s[512];
    int n = bp_link_format(&l, s, sizeof s);
    CHECK(n > 0 && (size_t)n == strlen(s));
    CHECK(strncmp(s, "https://[::1]:8443/j/", 21) == 0);
    struct bp_link m;
    CHECK_EQ_INT(bp_link_parse(s, &m, NULL), 0);
    CHECK_EQ_INT(m.kind, BP_LINK_INVITE);
    CHECK_STR(m.host, "::1");
    CHECK_EQ_INT(m.port, 8443);
    CHECK_MEM(m.token, l.token, 32);
    CHECK_MEM(m.secret, l.secret, 32);
    CHECK_MEM(m.pin, l.pin, 32);
    CHECK_EQ_INT(bp_link_format(&l, s, 20), BP_E_TOO_LARGE);

    l.kind = BP_LINK_ENROL;
    l.has_secret = 0;
    strcpy(l.host, "localhost");
    CHECK(bp_link_format(&l, s, sizeof s) > 0);
    CHECK_EQ_INT(bp_link_parse(s, &m, NULL), 0);
    CHECK_EQ_INT(m.kind, BP_LINK_ENROL);
    CHECK(m.has_pin && !m.has_secret);
    CHECK_MEM(m.pin, l.pin, 32);
}

/* No link ever names "every interface": parse and format both refuse. */
static void test_unusable_hosts(void)
{
    static const char *no[] = {"", "*", "0.0.0.0", "0", "::", "::0", "0:0:0:0:0:0:0:0", "0::0.0.0.0",
                               "...", ":"};
    static const char *yes[] = {"127.0.0.1", "::1", "bilan.example.fr", "10.0.0.1", "0.0.0.1",
                                "fe80::1", "a", "localhost"};
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
        CHECK(!bp_host_usable(no[i]));
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
        CHECK(bp_host_usable(yes[i]));
    CHECK(!bp_host_usable(NULL));
    struct bp_link l;
    const char *why = NULL;
    CHECK_EQ_INT(bp_link_parse("https://0.0.0.0:443/e/" T43, &l, &why), BP_E_BAD_LINK);
    CHECK(why && strstr(why, "no server"));
    CHECK_EQ_INT(bp_link_parse("https://[::]:443/j/" T43 "#" S43, &l, &why), BP_E_BAD_LINK);
    CHECK_EQ_INT(bp_link_parse("https://[0:0:0:0:0:0:0:0]/j/" T43 "#" S43, &l, &why), BP_E_BAD_LINK);
    CHECK_EQ_INT(bp_link_parse("https://0.0.0.0/j/" T43 "#" S43 "." P43, &l, &why), BP_E_BAD_LINK);
    CHECK_EQ_INT(bp_link_parse("https://127.0.0.1/j/" T43 "#" S43, &l, &why), 0);
    char out[512];
    snprintf(l.host, sizeof l.host, "0.0.0.0");
    CHECK_EQ_INT(bp_link_format(&l, out, sizeof out), BP_E_BAD_LINK);
    snprintf(l.host, sizeof l.host, "::");
    CHECK_EQ_INT(bp_link_format(&l, out, sizeof out), BP_E_BAD_LINK);
    l.host[0] = '\0';
    CHECK_EQ_INT(bp_link_format(&l, out, sizeof out), BP_E_BAD_LINK);
    l.kind = BP_LINK_TOKEN; /* a bare token names no host: fine */
    CHECK(bp_link_format(&l, out, sizeof out) == BP_B64_32);
}

int main(void)
{
    test_unusable_hosts();
    test_parse_forms();
    test_parse_refusals();
    test_format_roundtrip();
    return check_report();
}
