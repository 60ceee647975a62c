/* test_util.c: tests of client/util.c: durations, HOST:PORT, file-name
 * sanitising, printable text. */
#include <string.h>

#include "../check.h"
#include "bp/data.h"
#include "util.h"

static long long dur(const char *s)
{
    long long v = -1;
    const char *why;
    return cli_parse_duration(s, &v, &why) ? -1 : v;
}

static void test_duration(void)
{
    CHECK_EQ_INT(dur("16h"), 57600);
    CHECK_EQ_INT(dur("90m"), 5400);
    CHECK_EQ_INT(dur("1h30"), 5400);
    CHECK_EQ_INT(dur("1h30m"), 5400);
    CHECK_EQ_INT(dur("3600s"), 3600);
    CHECK_EQ_INT(dur("7d"), 604800);
    CHECK_EQ_INT(dur("3600"), 3600);
    CHECK_EQ_INT(dur("2d12h"), 216000);
    CHECK_EQ_INT(dur("1m30"), 90);
    CHECK_EQ_INT(dur("0"), 0);
    CHECK_EQ_INT(dur(""), -1);
    CHECK_EQ_INT(dur("h"), -1);
    CHECK_EQ_INT(dur("16x"), -1);
    CHECK_EQ_INT(dur("30m1h"), -1);
    CHECK_EQ_INT(dur("1h1h"), -1);
    CHECK_EQ_INT(dur("10s5"), -1);
    CHECK_EQ_INT(dur("-5"), -1);
    CHECK_EQ_INT(dur("1.5h"), -1);
    CHECK_EQ_INT(dur("99999999999999999999"), -1);
    CHECK_EQ_INT(dur("4000d"), -1);
    CHECK_EQ_INT(dur("16h "), -1);
}

static void test_hostport(void)
{
    char host[BP_HOST_MAX + 1];
    uint16_t port = 0;
    const char *why;
    CHECK_EQ_INT(cli_parse_hostport("example.org:8443", host, &port, &why), 0);
    CHECK_STR(host, "example.org");
    CHECK_EQ_INT(port, 8443);
    CHECK_EQ_INT(cli_parse_hostport("example.org", host, &port, &why), 0);
    CHECK_EQ_INT(port, 443);
    CHECK_EQ_INT(cli_parse_hostport("[::1]:9000", host, &port, &why), 0);
    CHECK_STR(host, "::1");
    CHECK_EQ_INT(port, 9000);
    CHECK_EQ_INT(cli_parse_hostport("127.0.0.1:0", host, &port, &why), BP_E_INVALID_FIELD);
    CHECK_EQ_INT(cli_parse_hostport("127.0.0.1:65536", host, &port, &why), BP_E_INVALID_FIELD);
    CHECK_EQ_INT(cli_parse_hostport("::1", host, &port, &why), BP_E_INVALID_FIELD);
    CHECK_EQ_INT(cli_parse_hostport("a b:1", host, &port, &why), BP_E_INVALID_FIELD);
    CHECK_EQ_INT(cli_parse_hostport(":443", host, &port, &why), BP_E_INVALID_FIELD);
    CHECK_EQ_INT(cli_parse_hostport("h:12x", host, &port, &why), BP_E_INVALID_FIELD);
    CHECK_EQ_INT(cli_parse_hostport("", host, &port, &why), BP_E_INVALID_FIELD);
}

static const char *safe(const char *in)
{
    static char out[CLI_SAFE_NAME_MAX + 1];
    cli_safe_name((const uint8_t *)in, strlen(in), out, CLI_SAFE_NAME_MAX);
    return out;
}

static void test_safe_name(void)
{
    CHECK_STR(safe("cv.pdf"), "cv.pdf");
    CHECK_STR(safe(".bashrc"), "bashrc");
    CHECK_STR(safe("..hidden"), "hidden");
    CHECK_STR(safe("..."), "file");
    CHECK_STR(safe(" . x"), "x");
    CHECK_STR(safe("a\x1b[31mb"), "a_[31mb");
    CHECK_STR(safe("tab\there"), "tab_here");
    CHECK_STR(safe("d\xc3\xa9j\xc3\xa0.txt"), "d\xc3\xa9j\xc3\xa0.txt");
    CHECK_STR(safe("bad\xff.txt"), "bad_.txt");
    CHECK_STR(safe("c1\xc2\x85x"), "c1_x");
    /* Cut to 200 bytes, keeping the extension and whole characters. */
    char big[256];
    memset(big, 'a', 250);
    memcpy(big + 250, ".pdf", 5);
    const char *s = safe(big);
    CHECK_EQ_INT(strlen(s), CLI_SAFE_NAME_MAX);
    CHECK(!strcmp(s + strlen(s) - 4, ".pdf"));
    for (int i = 0; i < 125; i++)
        memcpy(big + 2 * i, "\xc3\xa9", 2);
    big[250] = '\0';
    s = safe(big);
    CHECK(strlen(s) <= CLI_SAFE_NAME_MAX);
    CHECK(bp_utf8_valid((const uint8_t *)s, strlen(s)));
}

static void test_printable(void)
{
    char out[64];
    cli_printable((const uint8_t *)"hi\x1b]0;pwn\x07!", 11, out, sizeof out);
    CHECK_STR(out, "hi?]0;pwn?!");
    cli_printable((const uint8_t *)"caf\xc3\xa9\n", 6, out, sizeof out);
    CHECK_STR(out, "caf\xc3\xa9?");
    cli_printable((const uint8_t *)"\xff\xfe", 2, out, sizeof out);
    CHECK_STR(out, "??");
    cli_printable((const uint8_t *)"abcdef", 6, out, 4);
    CHECK_STR(out, "abc");
    char dev[17];
    cli_device_short("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8", dev);
    CHECK_STR(dev, "0001020304050607");
    cli_device_short("nope", dev);
    CHECK_STR(dev, "?");
}

int main(void)
{
    test_duration();
    test_hostport();
    test_safe_name();
    test_printable();
    return check_report();
}
