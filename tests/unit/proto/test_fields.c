/* test_fields.c: proto/fields.c, the one JSON field validator.
 *
 * Every kind at its bounds (one below, at, one above), every wrong JSON type,
 * missing against invalid, optional fields left out, the exact wording of a
 * detail, strings with an embedded NUL (built with json_stringn: the parsers
 * refuse \u0000, objects built in memory can hold one), and the accessors
 * that read a field once it passed. The callers (msg.c, pair.c, record.c)
 * keep their own tests; the end of this file checks that a NUL hidden in a
 * message built in memory is refused by all three. */
#include <limits.h>

#include "bp/bp.h"
#include "bp/e2e.h"
#include "bp/fields.h"
#include "bp/record.h"
#include "../check.h"

#define K43 "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
#define S86 K43 K43

/* Checks {name: v} (v NULL: {}) against one row; takes v. Returns the code
 * and leaves the detail in e. */
static int one(const struct bp_field *f, json_t *v, struct bp_verr *e)
{
    json_t *o = json_object();
    if (v)
        json_object_set_new(o, f->name, v);
    memset(e, 0, sizeof *e);
    int rc = bp_fields_check(o, f, 1, "'t'", e);
    CHECK(rc == 0 || e->code == rc);
    CHECK(memchr(e->detail, '\0', sizeof e->detail) != NULL);
    /* The same answer without a place for the detail. */
    CHECK_EQ_INT(bp_fields_check(o, f, 1, "'t'", NULL), rc);
    json_decref(o);
    return rc;
}

/* Expects v refused as invalid with exactly this detail. */
static void refused(const struct bp_field *f, json_t *v, const char *detail)
{
    struct bp_verr e;
    CHECK_EQ_INT(one(f, v, &e), BP_E_INVALID_FIELD);
    if (strcmp(e.detail, detail))
        fprintf(stderr, "detail \"%s\" is not \"%s\"\n", e.detail, detail);
    CHECK_STR(e.detail, detail);
}

static void accepted(const struct bp_field *f, json_t *v)
{
    struct bp_verr e;
    int rc = one(f, v, &e);
    if (rc)
        fprintf(stderr, "'%s' refused: %s\n", f->name, e.detail);
    CHECK_EQ_INT(rc, 0);
}

/* A string of n copies of c. */
static json_t *str_of(size_t n, char c)
{
    char buf[512];
    memset(buf, c, n);
    return json_stringn(buf, n);
}

static void test_missing_and_optional(void)
{
    static const struct bp_field req = BP_FIELD("x", BP_F_INT, BP_FIELD_REQ, 0, 9);
    static const struct bp_field opt = BP_FIELD("x", BP_F_INT, BP_FIELD_OPT, 0, 9);
    struct bp_verr e;
    CHECK_EQ_INT(one(&req, NULL, &e), BP_E_MISSING_FIELD);
    CHECK_STR(e.detail, "missing field 'x' in 't'");
    CHECK_EQ_INT(one(&opt, NULL, &e), 0);
    /* Present is checked the same whether required or not; null is present. */
    refused(&opt, json_integer(10), "field 'x' in 't' is out of range");
    refused(&opt, json_null(), "field 'x' in 't' must be an integer");
    refused(&req, json_null(), "field 'x' in 't' must be an integer");

    /* where NULL: the detail names the field alone. */
    json_t *o = json_object();
    CHECK_EQ_INT(bp_fields_check(o, &req, 1, NULL, &e), BP_E_MISSING_FIELD);
    CHECK_STR(e.detail, "missing field 'x'");
    json_object_set_new(o, "x", json_string("9"));
    CHECK_EQ_INT(bp_fields_check(o, &req, 1, NULL, &e), BP_E_INVALID_FIELD);
    CHECK_STR(e.detail, "field 'x' must be an integer");
    json_decref(o);

    /* Not an object at all. */
    json_t *arr = json_array();
    CHECK_EQ_INT(bp_fields_check(arr, &req, 1, "record", &e), BP_E_INVALID_FIELD);
    CHECK_STR(e.detail, "record must be a JSON object");
    CHECK_EQ_INT(bp_fields_check(NULL, &req, 1, NULL, &e), BP_E_INVALID_FIELD);
    json_decref(arr);

    /* Rows in order, the first refusal wins; a NULL name ends the spec;
     * unknown fields are not looked at. */
    static const struct bp_field spec[4] = {
        BP_FIELD("a", BP_F_INT, BP_FIELD_REQ, 0, 9),
        BP_FIELD("b", BP_F_BOOL, BP_FIELD_REQ, 0, 0),
        {0},
        BP_FIELD("never", BP_F_INT, BP_FIELD_REQ, 0, 0),
    };
    o = json_pack("{s:i, s:b, s:s}", "a", 1, "b", 1, "extra", "x");
    CHECK_EQ_INT(bp_fields_check(o, spec, 4, "'m'", &e), 0);
    CHECK_EQ_INT(bp_fields_check(o, spec, 1, "'m'", &e), 0);
    CHECK_EQ_INT(bp_fields_check(o, spec, 0, "'m'", &e), 0);
    json_object_set_new(o, "a", json_integer(10));
    json_object_del(o, "b");
    CHECK_EQ_INT(bp_fields_check(o, spec, 4, "'m'", &e), BP_E_INVALID_FIELD);
    CHECK_STR(e.detail, "field 'a' in 'm' is out of range");
    json_object_set_new(o, "a", json_integer(9));
    CHECK_EQ_INT(bp_fields_check(o, spec, 4, "'m'", &e), BP_E_MISSING_FIELD);
    CHECK_STR(e.detail, "missing field 'b' in 'm'");
    json_decref(o);
}

static void test_str(void)
{
    static const struct bp_field f = BP_FIELD("s", BP_F_STR, BP_FIELD_REQ, 2, 4);
    refused(&f, str_of(1, 'x'), "field 's' in 't' has a length out of range");
    accepted(&f, str_of(2, 'x'));
    accepted(&f, str_of(4, 'x'));
    refused(&f, str_of(5, 'x'), "field 's' in 't' has a length out of range");
    /* Bytes, not characters: "é" is 2 bytes, "éé" is 4, "ééé" is 6. */
    accepted(&f, json_string("\xc3\xa9"));
    refused(&f, json_string("\xc3\xa9\xc3\xa9\xc3\xa9"), "field 's' in 't' has a length out of range");
    /* An embedded NUL: strlen would see 1 byte, the JSON length is 3. */
    refused(&f, json_stringn("a\0b", 3), "field 's' in 't' must not contain NUL");
    refused(&f, json_stringn("ab\0", 3), "field 's' in 't' must not contain NUL");
    /* Control characters are allowed in a plain string (labels, notes). */
    accepted(&f, json_string("a\tb"));
    refused(&f, json_integer(12), "field 's' in 't' must be a string");
    refused(&f, json_true(), "field 's' in 't' must be a string");
    refused(&f, json_pack("[s]", "ab"), "field 's' in 't' must be a string");
    refused(&f, json_object(), "field 's' in 't' must be a string");
    /* An empty string, when allowed. */
    static const struct bp_field g = BP_FIELD("s", BP_F_STR, BP_FIELD_REQ, 0, 1);
    accepted(&g, json_string(""));
}

static void test_line(void)
{
    static const struct bp_field f = BP_FIELD("r", BP_F_LINE, BP_FIELD_REQ, 1, 200);
    refused(&f, json_string(""), "field 'r' in 't' must be a string of 1 to 200 bytes");
    accepted(&f, str_of(1, 'x'));
    accepted(&f, str_of(200, 'x'));
    refused(&f, str_of(201, 'x'), "field 'r' in 't' must be a string of 1 to 200 bytes");
    refused(&f, json_integer(7), "field 'r' in 't' must be a string of 1 to 200 bytes");
    refused(&f, json_null(), "field 'r' in 't' must be a string of 1 to 200 bytes");
    accepted(&f, json_string("Mauvais r\xc3\xa9seau, d\xc3\xa9sol\xc3\xa9" "e ~"));
    static const char *const ctl[] = {"a\nb", "a\rb", "a\tb", "bell\a", "esc\x1b[2J", "del\x7f"};
    for (size_t i = 0; i < sizeof ctl / sizeof ctl[0]; i++)
        refused(&f, json_string(ctl[i]), "field 'r' in 't' must not contain control characters");
    refused(&f, json_stringn("a\0b", 3), "field 'r' in 't' must not contain control characters");
    /* Only jansson's _nocheck calls build a string that is not UTF-8. */
    refused(&f, json_stringn_nocheck("a\xff", 2), "field 'r' in 't' must be UTF-8");
    refused(&f, json_stringn_nocheck("\xc0\xaf", 2), "field 'r' in 't' must be UTF-8");
}

static void test_id(void)
{
    static const struct bp_field f = BP_FIELD("bilan", BP_F_ID, BP_FIELD_REQ, 0, 0);
    static const char why[] = "field 'bilan' in 't' must be an identifier of 1 to 64 characters A-Z a-z 0-9 _ -";
    refused(&f, json_string(""), why);
    accepted(&f, json_string("b"));
    accepted(&f, json_string("Az09_-"));
    accepted(&f, str_of(64, 'a'));
    refused(&f, str_of(65, 'a'), why);
    refused(&f, json_string("a b"), why);
    refused(&f, json_string("../x"), why);
    refused(&f, json_string("b\xc3\xa9"), why);
    refused(&f, json_stringn("ab\0cd", 5), why);
    refused(&f, json_stringn("ab\0", 3), why);
    refused(&f, json_integer(1), why);
    refused(&f, json_null(), why);

    CHECK(bp_id_ok("b1"));
    CHECK(!bp_id_ok(""));
    CHECK(!bp_id_ok(NULL));
    CHECK(!bp_id_ok("b/1"));
    char long_id[70];
    memset(long_id, 'a', sizeof long_id - 1);
    long_id[sizeof long_id - 1] = '\0';
    CHECK(!bp_id_ok(long_id));
    long_id[64] = '\0';
    CHECK(bp_id_ok(long_id));
    CHECK(bp_id_ok_len("ab\0", 2));
    CHECK(!bp_id_ok_len("ab\0", 3));
    CHECK(!bp_id_ok_len("ab", 0));
}

static void test_int(void)
{
    static const struct bp_field f = BP_FIELD("n", BP_F_INT, BP_FIELD_REQ, 60, 86400);
    refused(&f, json_integer(59), "field 'n' in 't' is out of range");
    accepted(&f, json_integer(60));
    accepted(&f, json_integer(86400));
    refused(&f, json_integer(86401), "field 'n' in 't' is out of range");
    refused(&f, json_integer(LLONG_MIN), "field 'n' in 't' is out of range");
    refused(&f, json_integer(LLONG_MAX), "field 'n' in 't' is out of range");
    refused(&f, json_real(60.0), "field 'n' in 't' must be an integer");
    refused(&f, json_real(60.5), "field 'n' in 't' must be an integer");
    refused(&f, json_string("60"), "field 'n' in 't' must be an integer");
    refused(&f, json_true(), "field 'n' in 't' must be an integer");
    refused(&f, json_null(), "field 'n' in 't' must be an integer");
    /* The whole range of a JSON integer. */
    static const struct bp_field all = BP_FIELD("n", BP_F_INT, BP_FIELD_REQ, LLONG_MIN, LLONG_MAX);
    accepted(&all, json_integer(LLONG_MIN));
    accepted(&all, json_integer(LLONG_MAX));
    /* A row's own wording replaces every reason of the kind. */
    static const struct bp_field v1 = BP_FIELD_WHY("v", BP_F_INT, BP_FIELD_REQ, 1, 1, "must be 1");
    refused(&v1, json_integer(0), "field 'v' in 't' must be 1");
    accepted(&v1, json_integer(1));
    refused(&v1, json_integer(2), "field 'v' in 't' must be 1");
    refused(&v1, json_string("1"), "field 'v' in 't' must be 1");
    struct bp_verr e;
    CHECK_EQ_INT(one(&v1, NULL, &e), BP_E_MISSING_FIELD);   /* not for a missing field */
    CHECK_STR(e.detail, "missing field 'v' in 't'");
}

static void test_bool(void)
{
    static const struct bp_field f = BP_FIELD("b", BP_F_BOOL, BP_FIELD_REQ, 0, 0);
    accepted(&f, json_true());
    accepted(&f, json_false());
    refused(&f, json_integer(1), "field 'b' in 't' must be true or false");
    refused(&f, json_integer(0), "field 'b' in 't' must be true or false");
    refused(&f, json_string("true"), "field 'b' in 't' must be true or false");
    refused(&f, json_null(), "field 'b' in 't' must be true or false");
}

/* base64url of n bytes of value c. */
static json_t *b64_of(size_t n, uint8_t c)
{
    uint8_t raw[128];
    char s[180];
    memset(raw, c, n);
    bp_b64_encode(raw, n, s);
    return json_string(s);
}

static void test_b64(void)
{
    static const struct bp_field key = BP_FIELD("k", BP_F_B64, BP_FIELD_REQ, 0, 32);
    static const char kwhy[] = "field 'k' in 't' must be 32 bytes in base64url without padding (43 characters)";
    accepted(&key, json_string(K43));
    accepted(&key, b64_of(32, 0xff));
    refused(&key, b64_of(31, 0), kwhy);
    refused(&key, b64_of(33, 0), kwhy);
    refused(&key, json_string(K43 "A"), kwhy);
    refused(&key, json_string(K43 "="), kwhy);                              /* padding */
    refused(&key, json_string("+AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), kwhy);   /* base64, not url */
    refused(&key, json_string("/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), kwhy);
    refused(&key, json_string(" AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), kwhy);
    refused(&key, json_string("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB"), kwhy);   /* trailing bits */
    /* 43 characters up to a NUL: strlen would see a valid key. */
    refused(&key, json_stringn(K43 "\0AAA", 47), kwhy);
    refused(&key, json_stringn("AAAAAAAAAA\0AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 43), kwhy);
    refused(&key, json_integer(0), kwhy);
    refused(&key, json_null(), kwhy);
    refused(&key, json_pack("[s]", K43), kwhy);

    static const struct bp_field sig = BP_FIELD("sig", BP_F_B64, BP_FIELD_REQ, 0, 64);
    accepted(&sig, json_string(S86));
    refused(&sig, json_string(K43),
            "field 'sig' in 't' must be 64 bytes in base64url without padding (86 characters)");
    /* Sizes that end in a partial block: 8 bytes (11 chars), 44 bytes (59 chars). */
    static const struct bp_field sid = BP_FIELD("sid", BP_F_B64, BP_FIELD_REQ, 0, 8);
    accepted(&sid, json_string("AAAAAAAAAAA"));
    accepted(&sid, b64_of(8, 0xa5));
    refused(&sid, json_string("AAAAAAAAAAB"),
            "field 'sid' in 't' must be 8 bytes in base64url without padding (11 characters)");
    refused(&sid, json_string("AAAAAAAAAA"),
            "field 'sid' in 't' must be 8 bytes in base64url without padding (11 characters)");
    static const struct bp_field sealed = BP_FIELD("x", BP_F_B64, BP_FIELD_REQ, 0, 44);
    accepted(&sealed, b64_of(44, 0x5a));
    refused(&sealed, b64_of(45, 0x5a),
            "field 'x' in 't' must be 44 bytes in base64url without padding (59 characters)");
    /* Larger than any scratch buffer: checked block by block. */
    static const struct bp_field big = BP_FIELD("x", BP_F_B64, BP_FIELD_REQ, 0, 100);
    accepted(&big, b64_of(100, 0x33));
    refused(&big, b64_of(99, 0x33),
            "field 'x' in 't' must be 100 bytes in base64url without padding (134 characters)");
}

static void test_array_object(void)
{
    static const struct bp_field f = BP_FIELD("a", BP_F_ARRAY, BP_FIELD_REQ, 1, 3);
    refused(&f, json_array(), "field 'a' in 't' must be an array of bounded size");
    accepted(&f, json_pack("[i]", 1));
    accepted(&f, json_pack("[i,s,n]", 1, "x"));   /* elements are the reader's */
    refused(&f, json_pack("[i,i,i,i]", 1, 2, 3, 4), "field 'a' in 't' must be an array of bounded size");
    refused(&f, json_object(), "field 'a' in 't' must be an array of bounded size");
    refused(&f, json_string("[1]"), "field 'a' in 't' must be an array of bounded size");
    static const struct bp_field w = BP_FIELD_WHY("a", BP_F_ARRAY, BP_FIELD_OPT, 0, 2, "must be an array of at most 2 things");
    accepted(&w, json_array());
    refused(&w, json_pack("[i,i,i]", 1, 2, 3), "field 'a' in 't' must be an array of at most 2 things");

    static const struct bp_field o = BP_FIELD("o", BP_F_OBJECT, BP_FIELD_REQ, 0, 0);
    accepted(&o, json_object());
    accepted(&o, json_pack("{s:i}", "x", 1));
    refused(&o, json_array(), "field 'o' in 't' must be a JSON object");
    refused(&o, json_string("{}"), "field 'o' in 't' must be a JSON object");
    refused(&o, json_null(), "field 'o' in 't' must be a JSON object");
}

static void test_words(void)
{
    static const char *const words[] = {"commit", "reveal", "abort", NULL};
    static const struct bp_field f = BP_FIELD_WORDS("t", BP_FIELD_REQ, words);
    static const char why[] = "field 't' in 't' must be \"commit\", \"reveal\" or \"abort\"";
    accepted(&f, json_string("commit"));
    accepted(&f, json_string("abort"));
    refused(&f, json_string("Commit"), why);
    refused(&f, json_string("commit "), why);
    refused(&f, json_string("commi"), why);
    refused(&f, json_string(""), why);
    refused(&f, json_stringn("commit\0", 7), why);
    refused(&f, json_integer(0), why);
    refused(&f, json_pack("[s]", "commit"), why);
    static const char *const two[] = {"confirmed", "rejected", NULL};
    static const struct bp_field g = BP_FIELD_WORDS("result", BP_FIELD_REQ, two);
    refused(&g, json_true(), "field 'result' in 't' must be \"confirmed\" or \"rejected\"");
    static const char *const single[] = {"only", NULL};
    static const struct bp_field h = BP_FIELD_WORDS("x", BP_FIELD_REQ, single);
    refused(&h, json_string("other"), "field 'x' in 't' must be \"only\"");

    json_t *v = json_string("reveal");
    CHECK_EQ_INT(bp_field_word(v, words), 1);
    CHECK_EQ_INT(bp_field_word(v, two), -1);
    CHECK_EQ_INT(bp_field_word(v, NULL), -1);
    CHECK_EQ_INT(bp_field_word(NULL, words), -1);
    json_decref(v);
}

static void test_vocab(void)
{
    static const struct bp_field r = BP_FIELD("role", BP_F_ROLE, BP_FIELD_REQ, 0, 0);
    static const char rwhy[] = "field 'role' in 't' must be \"consultant\" or \"beneficiary\"";
    accepted(&r, json_string("consultant"));
    accepted(&r, json_string("beneficiary"));
    refused(&r, json_string("none"), rwhy);
    refused(&r, json_string("Consultant"), rwhy);
    refused(&r, json_stringn("consultant\0", 11), rwhy);
    refused(&r, json_integer(BP_ROLE_CONSULTANT), rwhy);

    static const struct bp_field p = BP_FIELD("phase", BP_F_PHASE, BP_FIELD_REQ, 0, 0);
    static const char pwhy[] = "field 'phase' in 't' must be one of preliminaire, investigation, conclusion, suivi";
    for (int i = 0; i < BP_PHASE_COUNT; i++)
        accepted(&p, json_string(bp_phase_name(i)));
    refused(&p, json_string("Suivi"), pwhy);
    refused(&p, json_string("?"), pwhy);
    refused(&p, json_stringn("suivi\0", 6), pwhy);
    refused(&p, json_integer(3), pwhy);
}

static void test_refuse_and_element(void)
{
    struct bp_verr e;
    CHECK_EQ_INT(bp_field_refuse("end_ms", "record", "must not be before start_ms", &e), BP_E_INVALID_FIELD);
    CHECK_EQ_INT(e.code, BP_E_INVALID_FIELD);
    CHECK_STR(e.detail, "field 'end_ms' in record must not be before start_ms");
    CHECK_EQ_INT(bp_field_refuse("x", NULL, "is wrong", NULL), BP_E_INVALID_FIELD);
    /* One element of an array, named by a copy of the row. */
    static const struct bp_field fp = BP_FIELD("participants", BP_F_B64, BP_FIELD_REQ, 0, 32);
    struct bp_field el = fp;
    el.name = "participants[1]";
    json_t *v = json_string("x");
    CHECK_EQ_INT(bp_field_check_value(v, &el, "record", &e), BP_E_INVALID_FIELD);
    CHECK_STR(e.detail, "field 'participants[1]' in record must be 32 bytes in base64url without padding (43 characters)");
    CHECK_EQ_INT(bp_field_check_value(NULL, &el, "record", &e), BP_E_MISSING_FIELD);
    el.required = BP_FIELD_OPT;
    CHECK_EQ_INT(bp_field_check_value(NULL, &el, "record", &e), 0);
    json_decref(v);
    /* A long name and place are cut, never overrun. */
    char name[300];
    memset(name, 'n', sizeof name - 1);
    name[sizeof name - 1] = '\0';
    el.name = name;
    v = json_integer(1);
    CHECK_EQ_INT(bp_field_check_value(v, &el, name, &e), BP_E_INVALID_FIELD);
    CHECK_EQ_INT(strlen(e.detail), sizeof e.detail - 1);
    json_decref(v);
}

static void test_accessors(void)
{
    uint8_t out[32], want[32];
    memset(want, 0xff, sizeof want);
    json_t *o = json_pack("{s:o, s:s, s:i}", "k", b64_of(32, 0xff), "s", "hello", "n", 5);
    CHECK_EQ_INT(bp_fields_bytes(o, "k", out, 32), 0);
    CHECK_MEM(out, want, 32);
    CHECK_EQ_INT(bp_fields_bytes(o, "k", out, 31), BP_E_INVALID_FIELD);
    CHECK_EQ_INT(bp_fields_bytes(o, "s", out, 32), BP_E_INVALID_FIELD);
    CHECK_EQ_INT(bp_fields_bytes(o, "n", out, 32), BP_E_INVALID_FIELD);
    CHECK_EQ_INT(bp_fields_bytes(o, "absent", out, 32), BP_E_INVALID_FIELD);

    char s[6];
    CHECK_EQ_INT(bp_fields_str(o, "s", s, sizeof s), 5);
    CHECK_STR(s, "hello");
    CHECK_EQ_INT(bp_fields_str(o, "s", s, 5), BP_E_INVALID_FIELD);   /* no room for the NUL */
    CHECK_STR(s, "");
    CHECK_EQ_INT(bp_fields_str(o, "n", s, sizeof s), BP_E_INVALID_FIELD);
    CHECK_EQ_INT(bp_fields_str(o, "absent", s, sizeof s), BP_E_INVALID_FIELD);
    json_object_set_new(o, "s", json_stringn("he\0lo", 5));
    CHECK_EQ_INT(bp_fields_str(o, "s", s, sizeof s), BP_E_INVALID_FIELD);
    CHECK_STR(s, "");
    json_decref(o);
}

/* The three callers refuse a NUL hidden in an object built in memory (the
 * parsers never let \u0000 through, so only here can one be tried). */
static void test_callers_and_nul(void)
{
    struct bp_verr e;
    enum bp_type t;
    json_t *m = json_pack("{s:s, s:o}", "type", "join", "bilan", json_stringn("b1\0../x", 7));
    CHECK_EQ_INT(bp_msg_validate(m, BP_TO_SERVER, &t, &e), BP_E_INVALID_FIELD);
    CHECK(strstr(e.detail, "field 'bilan' in 'join' must be an identifier") != NULL);
    json_decref(m);
    m = json_pack("{s:s, s:o, s:s}", "type", "auth", "device", json_stringn(K43 "\0x", 45), "sig", S86);
    CHECK_EQ_INT(bp_msg_validate(m, BP_TO_SERVER, &t, &e), BP_E_INVALID_FIELD);
    CHECK(strstr(e.detail, "field 'device' in 'auth' must be 32 bytes") != NULL);
    json_decref(m);
    m = json_pack("{s:o}", "type", json_stringn("leave\0x", 7));
    CHECK_EQ_INT(bp_msg_validate(m, BP_TO_SERVER, &t, &e), BP_E_INVALID_FIELD);
    CHECK_STR(e.detail, "field 'type' must be a short string");
    json_decref(m);
    m = json_pack("{s:s, s:o}", "type", "leave", "ref", json_stringn("r\0", 2));
    CHECK_EQ_INT(bp_msg_validate(m, BP_TO_SERVER, &t, &e), BP_E_INVALID_FIELD);
    CHECK_STR(e.detail, "field 'ref' must be a string of at most 64 bytes");
    json_decref(m);
    m = json_pack("{s:s}", "type", "leave");
    CHECK_EQ_INT(bp_msg_validate(m, BP_TO_SERVER, &t, &e), 0);
    CHECK_EQ_INT(t, BP_T_LEAVE);
    json_decref(m);

    struct bp_e2e_msg em;
    json_t *b = json_pack("{s:s, s:o}", "t", "abort", "reason", json_stringn("ok\0no", 5));
    CHECK_EQ_INT(bp_e2e_parse(b, &em, &e), BP_E_INVALID_FIELD);
    CHECK(strstr(e.detail, "field 'reason' in e2e 'abort' must not contain control characters") != NULL);
    json_decref(b);
    b = json_pack("{s:o}", "t", json_stringn("sas\0", 4));
    CHECK_EQ_INT(bp_e2e_parse(b, &em, &e), BP_E_INVALID_FIELD);
    CHECK_STR(e.detail,
              "field 't' in e2e body must be \"commit\", \"reveal\", \"confirm\", \"sas\", \"key\" or \"abort\"");
    json_decref(b);

    struct bp_refusal f;
    json_t *r = json_pack("{s:s, s:s, s:s, s:o, s:s}", "signer", K43, "sign_pub", K43, "dh_pub", K43,
                          "reason", json_stringn("late\0", 5), "sig", S86);
    CHECK_EQ_INT(bp_refusal_from_json(r, &f, &e), BP_E_INVALID_FIELD);
    CHECK_STR(e.detail, "field 'reason' in refusal must be 1 to 200 bytes of text on one line");
    json_object_set_new(r, "reason", json_string("late"));
    CHECK_EQ_INT(bp_refusal_from_json(r, &f, &e), 0);
    CHECK_STR(f.reason, "late");
    json_decref(r);
}

int main(void)
{
    test_missing_and_optional();
    test_str();
    test_line();
    test_id();
    test_int();
    test_bool();
    test_b64();
    test_array_object();
    test_words();
    test_vocab();
    test_refuse_and_element();
    test_accessors();
    test_callers_and_nul();
    return check_report();
}
