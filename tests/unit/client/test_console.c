/* test_console.c: tests of client/console.c: cutting typed bytes into lines
 * (pieces, CR LF, the 4096-byte cap, invalid UTF-8, the end of input) and
 * reading a line as a chat line or a command. */
#include <string.h>

#include "../check.h"
#include "console.h"

/* Feeds s in pieces of step bytes; collects the events and the lines. */
struct got {
    int n;
    enum console_ev ev[16];
    char line[16][CONSOLE_LINE_MAX + 1];
};

static void feed(struct console_lines *c, const char *s, size_t len, size_t step, struct got *g)
{
    size_t off = 0;
    while (off < len) {
        size_t k = len - off < step ? len - off : step;
        const char *p = s + off;
        size_t n = k;
        const char *line;
        size_t ll;
        enum console_ev ev;
        while ((ev = console_lines_feed(c, &p, &n, &line, &ll)) != CONSOLE_NONE) {
            if (g->n < 16) {
                g->ev[g->n] = ev;
                g->line[g->n][0] = '\0';
                if (ev == CONSOLE_LINE) {
                    memcpy(g->line[g->n], line, ll);
                    g->line[g->n][ll] = '\0';
                }
            }
            g->n++;
        }
        CHECK_EQ_INT(n, 0);
        off += k;
    }
}

static void test_lines(void)
{
    static struct console_lines c;
    static struct got g;
    const char *in = "bonjour\n/oui 1\r\n\nÉté à Noël\n";
    for (size_t step = 1; step <= strlen(in); step++) {
        console_lines_init(&c);
        memset(&g, 0, sizeof g);
        feed(&c, in, strlen(in), step, &g);
        CHECK_EQ_INT(g.n, 4);
        CHECK(g.ev[0] == CONSOLE_LINE && !strcmp(g.line[0], "bonjour"));
        CHECK(g.ev[1] == CONSOLE_LINE && !strcmp(g.line[1], "/oui 1")); /* CR dropped */
        CHECK(g.ev[2] == CONSOLE_LINE && !strcmp(g.line[2], ""));
        CHECK(g.ev[3] == CONSOLE_LINE && !strcmp(g.line[3], "Été à Noël"));
        const char *line;
        size_t ll;
        CHECK(console_lines_end(&c, &line, &ll) == CONSOLE_NONE);
    }
    /* A last line without a newline comes out at the end of input. */
    console_lines_init(&c);
    memset(&g, 0, sizeof g);
    feed(&c, "a\n/quit", 7, 3, &g);
    CHECK_EQ_INT(g.n, 1);
    const char *line = NULL;
    size_t ll = 0;
    CHECK(console_lines_end(&c, &line, &ll) == CONSOLE_LINE && ll == 5 && !memcmp(line, "/quit", 5));
    CHECK(console_lines_end(&c, &line, &ll) == CONSOLE_NONE);
}

static void test_caps(void)
{
    static struct console_lines c;
    static struct got g;
    static char big[3 * CONSOLE_LINE_MAX];
    /* Exactly 4096 bytes (with or without CR): accepted. */
    for (int cr = 0; cr <= 1; cr++) {
        memset(big, 'x', CONSOLE_LINE_MAX);
        size_t n = CONSOLE_LINE_MAX;
        if (cr)
            big[n++] = '\r';
        big[n++] = '\n';
        console_lines_init(&c);
        memset(&g, 0, sizeof g);
        feed(&c, big, n, 1000, &g);
        CHECK_EQ_INT(g.n, 1);
        CHECK(g.ev[0] == CONSOLE_LINE && strlen(g.line[0]) == CONSOLE_LINE_MAX);
    }
    /* 4097 bytes, then 4096 bytes + "y\r": discarded whole, the next line is intact. */
    size_t n = 0;
    memset(big, 'x', CONSOLE_LINE_MAX + 1);
    n = CONSOLE_LINE_MAX + 1;
    big[n++] = '\n';
    memset(big + n, 'x', CONSOLE_LINE_MAX);
    n += CONSOLE_LINE_MAX;
    memcpy(big + n, "y\r\nsuite\n", 9);
    n += 9;
    for (size_t step = 1; step <= 8192; step *= 4) {
        console_lines_init(&c);
        memset(&g, 0, sizeof g);
        feed(&c, big, n, step, &g);
        CHECK_EQ_INT(g.n, 3);
        CHECK(g.ev[0] == CONSOLE_TOO_LONG);
        CHECK(g.ev[1] == CONSOLE_TOO_LONG);
        CHECK(g.ev[2] == CONSOLE_LINE && !strcmp(g.line[2], "suite"));
    }
    /* A line that never ends: dropped at the end of input as too long. */
    console_lines_init(&c);
    memset(&g, 0, sizeof g);
    memset(big, 'z', CONSOLE_LINE_MAX + 10);
    feed(&c, big, CONSOLE_LINE_MAX + 10, 512, &g);
    CHECK_EQ_INT(g.n, 0);
    const char *line;
    size_t ll;
    CHECK(console_lines_end(&c, &line, &ll) == CONSOLE_TOO_LONG);
    CHECK(console_lines_end(&c, &line, &ll) == CONSOLE_NONE);
}

static void test_utf8(void)
{
    static struct console_lines c;
    static struct got g;
    const char in[] = "ok\n\xff\xfe bad\n\xc3\n\xe2\x82\xac\ncaf\xc3\xa9\n";
    console_lines_init(&c);
    memset(&g, 0, sizeof g);
    feed(&c, in, sizeof in - 1, 2, &g);
    CHECK_EQ_INT(g.n, 5);
    CHECK(g.ev[0] == CONSOLE_LINE);
    CHECK(g.ev[1] == CONSOLE_BAD_UTF8);
    CHECK(g.ev[2] == CONSOLE_BAD_UTF8); /* a character cut by the newline */
    CHECK(g.ev[3] == CONSOLE_LINE && !strcmp(g.line[3], "\xe2\x82\xac"));
    CHECK(g.ev[4] == CONSOLE_LINE && !strcmp(g.line[4], "caf\xc3\xa9"));
}

static struct console_cmd parse(const char *s)
{
    struct console_cmd c;
    console_parse(s, strlen(s), 3, &c);
    return c;
}

static int arg_is(const struct console_cmd *c, const char *s)
{
    return c->arg_len == strlen(s) && !memcmp(c->arg, s, c->arg_len);
}

static void test_parse(void)
{
    struct console_cmd c;
    c = parse("");
    CHECK(c.kind == CMD_EMPTY);
    c = parse("  \t ");
    CHECK(c.kind == CMD_EMPTY);
    c = parse("bonjour à tous");
    CHECK(c.kind == CMD_CHAT && arg_is(&c, "bonjour à tous"));
    c = parse("  indented / slash ");
    CHECK(c.kind == CMD_CHAT && arg_is(&c, "  indented / slash ")); /* sent as typed */
    c = parse("//oui");
    CHECK(c.kind == CMD_CHAT && arg_is(&c, "/oui"));
    c = parse("/oui");
    CHECK(c.kind == CMD_YES && c.slot == -1);
    c = parse("/yes");
    CHECK(c.kind == CMD_YES && c.slot == -1);
    c = parse(" /oui  2 ");
    CHECK(c.kind == CMD_YES && c.slot == 2);
    c = parse("/non");
    CHECK(c.kind == CMD_NO && c.slot == -1);
    c = parse("/no 0");
    CHECK(c.kind == CMD_NO && c.slot == 0);
    c = parse("/oui 4");
    CHECK(c.kind == CMD_BAD_ARG && arg_is(&c, "/oui"));
    c = parse("/oui -1");
    CHECK(c.kind == CMD_BAD_ARG);
    c = parse("/oui 1 2");
    CHECK(c.kind == CMD_BAD_ARG);
    c = parse("/oui 99999999999");
    CHECK(c.kind == CMD_BAD_ARG);
    c = parse("/qui");
    CHECK(c.kind == CMD_WHO);
    c = parse("/who");
    CHECK(c.kind == CMD_WHO);
    c = parse("/quitter");
    CHECK(c.kind == CMD_QUIT);
    c = parse("/quit");
    CHECK(c.kind == CMD_QUIT);
    c = parse("/quit now");
    CHECK(c.kind == CMD_BAD_ARG && arg_is(&c, "/quit"));
    c = parse("/aide");
    CHECK(c.kind == CMD_HELP);
    c = parse("/help");
    CHECK(c.kind == CMD_HELP);
    c = parse("/seance investigation");
    CHECK(c.kind == CMD_SESSION && arg_is(&c, "investigation"));
    c = parse(" /session  suivi ");
    CHECK(c.kind == CMD_SESSION && arg_is(&c, "suivi"));
    c = parse("/seance");
    CHECK(c.kind == CMD_BAD_ARG && arg_is(&c, "/seance"));
    c = parse("/seance a b");
    CHECK(c.kind == CMD_BAD_ARG);
    c = parse("/fin");
    CHECK(c.kind == CMD_CLOSE);
    c = parse("/close");
    CHECK(c.kind == CMD_CLOSE);
    c = parse("/fin maintenant");
    CHECK(c.kind == CMD_BAD_ARG);
    c = parse("/heures");
    CHECK(c.kind == CMD_HOURS);
    c = parse("/hours");
    CHECK(c.kind == CMD_HOURS);
    c = parse("/ouii");
    CHECK(c.kind == CMD_UNKNOWN && arg_is(&c, "/ouii"));
    c = parse("/OUI"); /* capitals and accents as a phone's keyboard types them */
    CHECK(c.kind == CMD_YES);
    c = parse("/Séance Préliminaire");
    CHECK(c.kind == CMD_SESSION && arg_is(&c, "Préliminaire"));
    c = parse("/QUITTER");
    CHECK(c.kind == CMD_QUIT);
    c = parse("/");
    CHECK(c.kind == CMD_UNKNOWN && arg_is(&c, "/"));
    c = parse("/foo bar");
    CHECK(c.kind == CMD_UNKNOWN && arg_is(&c, "/foo"));
}

int main(void)
{
    test_lines();
    test_caps();
    test_utf8();
    test_parse();
    return check_report();
}
