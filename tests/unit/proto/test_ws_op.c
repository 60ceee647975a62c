/* test_ws_op.c: proto/ws_op.c (a worksheet operation parsed, checked and
 * encoded) and proto/ws_hlc.c (its hybrid logical clock).
 *
 * Operations: each type round trips through its canonical bytes (sorted
 * keys, compact); every field refused when missing or wrong, with the
 * detail naming it; fields a type may not carry; parents repeated or
 * naming the op itself; values of a shape no kind takes (a real number).
 * Clock: a local edit with the wall clock ahead, behind and at the same
 * millisecond; a receive from ahead, behind and equal; the counter's
 * overflow. */
#include "bp/ws_hlc.h"
#include "bp/ws_op.h"
#include "../check.h"

#define ID1 "VQAAAAAAAAAAAAAAAQAAAA"
#define ID2 "VQAAAAAAAAAAAAAAAgAAAA"
#define SH "VQAAAAAAAAAAAAAAAwAAAA"
#define DEV "CAEAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"

static const char *SET = "{\"device\":\"" DEV "\",\"field\":\"texte\",\"hlc\":[1733040000000,3],"
                         "\"op\":\"" ID2 "\",\"parents\":[\"" ID1 "\"],\"sheet\":\"" SH "\","
                         "\"type\":\"set\",\"v\":1,\"value\":\"Été\\nligne 2\"}";
static const char *CREATE =
    "{\"device\":\"" DEV "\",\"hlc\":[5,0],\"op\":\"" ID1 "\",\"sheet\":\"" SH
    "\",\"template\":\"synthese\",\"type\":\"create\",\"v\":1}";
static const char *DELETE = "{\"device\":\"" DEV "\",\"hlc\":[9,65535],\"op\":\"" ID1
                            "\",\"sheet\":\"" SH "\",\"type\":\"delete\",\"v\":1}";

/* Parses s and expects its canonical bytes to be exactly s. */
static void round_trip(const char *s)
{
    struct bp_ws_op op;
    struct bp_verr e = {0};
    int rc = bp_ws_op_parse(s, strlen(s), &op, &e);
    if (rc)
        fprintf(stderr, "refused: %s\n", e.detail);
    CHECK_EQ_INT(rc, 0);
    size_t len = 0;
    char *enc = bp_ws_op_encode(&op, &len);
    CHECK(enc && len == strlen(s) && !strcmp(enc, s));
    if (enc && strcmp(enc, s))
        fprintf(stderr, "encoded %s\n", enc);
    free(enc);
    bp_ws_op_clear(&op);
}

/* Expects s refused with code and a detail containing want. */
static void refused(const char *s, int code, const char *want)
{
    struct bp_ws_op op;
    struct bp_verr e = {0};
    int rc = bp_ws_op_parse(s, strlen(s), &op, &e);
    CHECK_EQ_INT(rc, code);
    if (!strstr(e.detail, want))
        fprintf(stderr, "detail \"%s\" lacks \"%s\"\n", e.detail, want);
    CHECK(strstr(e.detail, want) != NULL);
    bp_ws_op_clear(&op);
}

/* SET with one piece replaced. */
static void refused_set(const char *from, const char *to, int code, const char *want)
{
    char buf[1024];
    const char *at = strstr(SET, from);
    CHECK(at != NULL);
    if (!at)
        return;
    snprintf(buf, sizeof buf, "%.*s%s%s", (int)(at - SET), SET, to, at + strlen(from));
    refused(buf, code, want);
}

static void test_ops(void)
{
    round_trip(SET);
    round_trip(CREATE);
    round_trip(DELETE);

    /* Fields parsed. */
    struct bp_ws_op op;
    CHECK_EQ_INT(bp_ws_op_parse(SET, strlen(SET), &op, NULL), 0);
    CHECK_EQ_INT(op.type, BP_WS_OP_SET);
    CHECK_EQ_INT(op.hlc.ms, 1733040000000ull);
    CHECK_EQ_INT(op.hlc.counter, 3);
    CHECK_EQ_INT(op.n_parents, 1);
    CHECK_STR(op.parents[0], ID1);
    CHECK_STR(op.field, "texte");
    CHECK_STR(json_string_value(op.value), "Été\nligne 2");
    struct bp_ws_op copy;
    CHECK_EQ_INT(bp_ws_op_copy(&copy, &op), 0);
    char *a = bp_ws_op_encode(&op, NULL), *b = bp_ws_op_encode(&copy, NULL);
    CHECK(a && b && !strcmp(a, b));
    free(a);
    free(b);
    bp_ws_op_clear(&copy);
    bp_ws_op_clear(&op);

    /* Keys in any order, spaces: the same canonical bytes. */
    const char *loose =
        "{ \"v\": 1, \"type\": \"create\", \"template\": \"synthese\", \"sheet\": \"" SH
        "\", \"op\": \"" ID1 "\", \"hlc\": [5, 0], \"device\": \"" DEV "\" }";
    CHECK_EQ_INT(bp_ws_op_parse(loose, strlen(loose), &op, NULL), 0);
    a = bp_ws_op_encode(&op, NULL);
    CHECK(a && !strcmp(a, CREATE));
    free(a);
    bp_ws_op_clear(&op);

    /* Values of every kind's shape, and empty. */
    refused_set("\"Été\\nligne 2\"", "null", 0, "");
    refused_set("\"Été\\nligne 2\"", "3", 0, "");
    refused_set("\"Été\\nligne 2\"", "[\"a\",\"b\"]", 0, "");
    refused_set("\"Été\\nligne 2\"", "1.5", BP_E_INVALID_FIELD,
                "field 'value' in operation must be null, a string");
    refused_set("\"Été\\nligne 2\"", "{\"a\":1}", BP_E_INVALID_FIELD, "field 'value'");
    refused_set("\"Été\\nligne 2\"", "[1]", BP_E_INVALID_FIELD, "field 'value'");
    refused_set("\"Été\\nligne 2\"", "true", BP_E_INVALID_FIELD, "field 'value'");
    refused_set(",\"value\":\"Été\\nligne 2\"", "", BP_E_MISSING_FIELD,
                "missing field 'value' in operation");

    /* Every common field. */
    refused_set("\"v\":1", "\"v\":2", BP_E_INVALID_FIELD, "field 'v' in operation must be 1");
    refused_set("\"op\":\"" ID2 "\",", "", BP_E_MISSING_FIELD, "missing field 'op'");
    refused_set(ID2, "VQAAAAAAAAAAAAAAAgAAA", BP_E_INVALID_FIELD, "field 'op'");
    refused_set(SH, "VQAAAAAAAAAAAAAAAwAAA=", BP_E_INVALID_FIELD, "field 'sheet'");
    refused_set("\"set\"", "\"put\"", BP_E_INVALID_FIELD, "field 'type'");
    refused_set("[1733040000000,3]", "[1733040000000]", BP_E_INVALID_FIELD, "field 'hlc'");
    refused_set("[1733040000000,3]", "[1733040000000,65536]", BP_E_INVALID_FIELD, "field 'hlc[1]'");
    refused_set("[1733040000000,3]", "[-1,3]", BP_E_INVALID_FIELD, "field 'hlc[0]'");
    refused_set("[1733040000000,3]", "[9007199254740992,3]", BP_E_INVALID_FIELD, "field 'hlc[0]'");
    refused_set("[1733040000000,3]", "[\"1\",3]", BP_E_INVALID_FIELD, "field 'hlc[0]'");
    refused_set(DEV, ID1, BP_E_INVALID_FIELD, "field 'device'");
    refused_set("\"texte\"", "\"Texte\"", BP_E_INVALID_FIELD, "field 'field'");
    refused_set("\"texte\"", "\"\"", BP_E_INVALID_FIELD, "field 'field'");
    refused_set("\"parents\":[\"" ID1 "\"]", "\"parents\":[\"" ID1 "\",\"" ID1 "\"]",
                BP_E_INVALID_FIELD, "field 'parents' in operation must not repeat an id");
    refused_set("\"parents\":[\"" ID1 "\"]", "\"parents\":[\"" ID2 "\"]", BP_E_INVALID_FIELD,
                "must not list the operation itself");
    refused_set("\"parents\":[\"" ID1 "\"]", "\"parents\":[3]", BP_E_INVALID_FIELD,
                "field 'parents[]'");
    refused_set("\"parents\":[\"" ID1 "\"],", "", BP_E_MISSING_FIELD, "missing field 'parents'");
    refused_set("\"v\":1", "\"v\":1,\"template\":\"t\"", BP_E_INVALID_FIELD,
                "field 'template' in operation is not allowed");
    refused_set("\"v\":1", "\"v\":1,\"x\":0", BP_E_INVALID_FIELD, "field 'x'");
    refused_set("\"v\":1", "\"v\":1,\"v\":1", BP_E_BAD_JSON, "not JSON");
    refused("[1]", BP_E_INVALID_FIELD, "operation");
    refused("{\"v\":1", BP_E_BAD_JSON, "not JSON");
    /* A create carries no field, a delete no template. */
    char buf[1024];
    snprintf(buf, sizeof buf, "%.*s,\"field\":\"x\"}", (int)strlen(CREATE) - 1, CREATE);
    refused(buf, BP_E_INVALID_FIELD, "field 'field'");
    snprintf(buf, sizeof buf, "%.*s,\"template\":\"x\"}", (int)strlen(DELETE) - 1, DELETE);
    refused(buf, BP_E_INVALID_FIELD, "field 'template'");
    snprintf(buf, sizeof buf, "%s", CREATE);
    memcpy(strstr(buf, "synthese"), "Synthese", 8);
    refused(buf, BP_E_INVALID_FIELD, "field 'template'");
    /* Too large before any parse. */
    size_t big = BP_WS_OP_MAX + 1;
    char *huge = malloc(big);
    memset(huge, ' ', big);
    CHECK_EQ_INT(bp_ws_op_parse(huge, big, &op, NULL), BP_E_TOO_LARGE);
    free(huge);
    /* An op in memory that would not parse is not encoded. */
    CHECK_EQ_INT(bp_ws_op_parse(SET, strlen(SET), &op, NULL), 0);
    op.hlc.counter = 70000;
    CHECK(bp_ws_op_encode(&op, NULL) == NULL);
    bp_ws_op_clear(&op);
}

static void test_hlc(void)
{
    struct bp_ws_hlc c = {0, 0}, s;
    /* Wall clock ahead: ms moves, counter 0. */
    bp_ws_hlc_local(&c, 1000, &s);
    CHECK(s.ms == 1000 && s.counter == 0 && c.ms == 1000);
    /* Same ms, then wall clock behind: the counter goes on. */
    bp_ws_hlc_local(&c, 1000, &s);
    CHECK(s.ms == 1000 && s.counter == 1);
    bp_ws_hlc_local(&c, 400, &s);
    CHECK(s.ms == 1000 && s.counter == 2);
    /* Receive from ahead: its ms, its counter + 1. */
    struct bp_ws_hlc r = {5000, 7};
    bp_ws_hlc_receive(&c, &r, 1200);
    CHECK(c.ms == 5000 && c.counter == 8);
    /* Receive from behind with the wall clock behind: own counter + 1. */
    r = (struct bp_ws_hlc){3000, 40};
    bp_ws_hlc_receive(&c, &r, 1300);
    CHECK(c.ms == 5000 && c.counter == 9);
    /* Equal ms: 1 + the larger counter. */
    r = (struct bp_ws_hlc){5000, 30};
    bp_ws_hlc_receive(&c, &r, 1300);
    CHECK(c.ms == 5000 && c.counter == 31);
    r = (struct bp_ws_hlc){5000, 2};
    bp_ws_hlc_receive(&c, &r, 5000);
    CHECK(c.ms == 5000 && c.counter == 32);
    /* The wall clock ahead of both: its ms, counter 0. */
    bp_ws_hlc_receive(&c, &r, 9000);
    CHECK(c.ms == 9000 && c.counter == 0);
    /* Every stamp after what was received: a local edit after a receive. */
    r = (struct bp_ws_hlc){9000, 500};
    bp_ws_hlc_receive(&c, &r, 100);
    bp_ws_hlc_local(&c, 100, &s);
    CHECK(bp_ws_hlc_cmp(&s, &r) > 0);
    CHECK(s.ms == 9000 && s.counter == 502);
    /* Overflow: the next millisecond, counter 0. */
    c = (struct bp_ws_hlc){7, BP_WS_HLC_COUNTER_MAX};
    bp_ws_hlc_local(&c, 7, &s);
    CHECK(s.ms == 8 && s.counter == 0);
    c = (struct bp_ws_hlc){7, 3};
    r = (struct bp_ws_hlc){7, BP_WS_HLC_COUNTER_MAX};
    bp_ws_hlc_receive(&c, &r, 0);
    CHECK(c.ms == 8 && c.counter == 0);
    /* The order: ms, then counter. */
    struct bp_ws_hlc x = {1, 9}, y = {2, 0}, z = {2, 1};
    CHECK(bp_ws_hlc_cmp(&x, &y) < 0 && bp_ws_hlc_cmp(&z, &y) > 0 && bp_ws_hlc_cmp(&y, &y) == 0);
}

int main(void)
{
    test_ops();
    test_hlc();
    return check_report();
}
