/* test_msg.c: control-message validation of proto/msg.c and the error table
 * of proto/err.c. Every wire error code is exercised or checked here. */
#include "bp/bp.h"
#include "../check.h"

#define K43 "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
#define S86 K43 K43   /* 86 characters = 64 bytes */

static int parse(const char *s, enum bp_dir dir, enum bp_type *t, struct bp_verr *e, char *ref)
{
    json_t *root = NULL;
    int rc = bp_msg_parse(s, strlen(s), dir, t, &root, e, ref);
    CHECK((rc == 0) == (root != NULL));
    json_decref(root);
    return rc;
}

static void test_valid_messages(void)
{
    static const struct {
        const char *json;
        enum bp_dir dir;
        enum bp_type type;
    } ok[] = {
        {"{\"type\":\"hello\",\"v\":1,\"client\":\"bilan/0.1\"}", BP_TO_SERVER, BP_T_HELLO},
        {"{\"type\":\"enrol\",\"token\":\"" K43 "\",\"sign_pub\":\"" K43 "\",\"dh_pub\":\"" K43
         "\",\"sig\":\"" S86 "\"}", BP_TO_SERVER, BP_T_ENROL},
        {"{\"type\":\"auth\",\"device\":\"" K43 "\",\"sig\":\"" S86 "\",\"extra\":[1,2]}",
         BP_TO_SERVER, BP_T_AUTH},
        {"{\"type\":\"bilan_create\",\"label\":\"Bilan A. — 2026\",\"budget_s\":57600}", BP_TO_SERVER,
         BP_T_BILAN_CREATE},
        {"{\"type\":\"invite_create\",\"bilan\":\"b_x-1\"}", BP_TO_SERVER, BP_T_INVITE_CREATE},
        {"{\"type\":\"bilan_list\",\"ref\":\"r1\"}", BP_TO_SERVER, BP_T_BILAN_LIST},
        {"{\"type\":\"join\",\"bilan\":\"babc\"}", BP_TO_SERVER, BP_T_JOIN},
        {"{\"type\":\"leave\"}", BP_TO_SERVER, BP_T_LEAVE},
        {"{\"type\":\"stats\"}", BP_TO_SERVER, BP_T_STATS},
        {"{\"type\":\"challenge\",\"v\":1,\"nonce\":\"" K43 "\",\"server\":\"s\"}", BP_TO_CLIENT,
         BP_T_CHALLENGE},
        {"{\"type\":\"welcome\",\"role\":\"consultant\",\"device\":\"" K43 "\",\"bilans\":[]}",
         BP_TO_CLIENT, BP_T_WELCOME},
        {"{\"type\":\"joined\",\"bilan\":\"b\",\"slot\":3,\"role\":\"beneficiary\",\"members\":[]}",
         BP_TO_CLIENT, BP_T_JOINED},
        {"{\"type\":\"member_left\",\"slot\":0,\"device\":\"" K43
         "\",\"role\":\"consultant\",\"reason\":\"lost\"}", BP_TO_CLIENT, BP_T_MEMBER_LEFT},
        {"{\"type\":\"stats\",\"queued_bytes\":0,\"dropped_video\":5,\"frames_in\":1,\"frames_out\":2}",
         BP_TO_CLIENT, BP_T_STATS_REPLY},
        {"{\"type\":\"error\",\"code\":\"bad_json\",\"message\":\"m\",\"fatal\":false}", BP_TO_CLIENT,
         BP_T_ERROR},
        {"{\"type\":\"e2e\",\"body\":{\"t\":\"commit\"}}", BP_TO_SERVER, BP_T_E2E},
        {"{\"type\":\"e2e\",\"to\":3,\"body\":{}}", BP_TO_SERVER, BP_T_E2E},
        {"{\"type\":\"e2e\",\"from\":2,\"device\":\"" K43 "\",\"body\":{\"x\":[1]}}", BP_TO_CLIENT,
         BP_T_E2E_RELAY},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        enum bp_type t = BP_T_NONE;
        struct bp_verr e = {0};
        int rc = parse(ok[i].json, ok[i].dir, &t, &e, NULL);
        if (rc)
            fprintf(stderr, "unexpected refusal of %s: %s\n", ok[i].json, e.detail);
        CHECK_EQ_INT(rc, 0);
        CHECK_EQ_INT(t, ok[i].type);
    }
    CHECK_STR(bp_type_name(BP_T_BILAN_CREATE), "bilan_create");
    CHECK_STR(bp_type_name(BP_T_E2E), "e2e");
    CHECK_STR(bp_type_name(BP_T_E2E_RELAY), "e2e");
    CHECK(bp_type_name(BP_T__COUNT) == NULL);
}

static void test_refusals(void)
{
    static const struct {
        const char *json;
        int code;
        const char *detail; /* substring the human detail must contain */
    } bad[] = {
        {"", BP_E_BAD_JSON, "invalid JSON"},
        {"not json", BP_E_BAD_JSON, "invalid JSON"},
        {"[1,2]", BP_E_BAD_JSON, "not a JSON object"},
        {"\"hello\"", BP_E_BAD_JSON, ""},
        {"{\"type\":\"hello\",\"v\":1,\"v\":2}", BP_E_BAD_JSON, "duplicate"},
        {"{\"type\":\"hello\",\"v\":1} trailing", BP_E_BAD_JSON, ""},
        {"{\"v\":1}", BP_E_MISSING_FIELD, "'type'"},
        {"{\"type\":7}", BP_E_INVALID_FIELD, "'type'"},
        {"{\"type\":\"teleport\"}", BP_E_UNKNOWN_TYPE, "teleport"},
        {"{\"type\":\"challenge\",\"v\":1,\"nonce\":\"" K43 "\"}", BP_E_UNKNOWN_TYPE, "challenge"},
        {"{\"type\":\"hello\"}", BP_E_MISSING_FIELD, "'v' in 'hello'"},
        {"{\"type\":\"hello\",\"v\":\"1\"}", BP_E_INVALID_FIELD, "integer"},
        {"{\"type\":\"hello\",\"v\":1.5}", BP_E_INVALID_FIELD, "integer"},
        {"{\"type\":\"hello\",\"v\":-1}", BP_E_INVALID_FIELD, "range"},
        {"{\"type\":\"hello\",\"v\":1,\"ref\":5}", BP_E_INVALID_FIELD, "'ref'"},
        {"{\"type\":\"hello\",\"v\":1,\"ref\":\"" K43 K43 "\"}", BP_E_INVALID_FIELD, "'ref'"},
        {"{\"type\":\"auth\",\"device\":\"" K43 "\"}", BP_E_MISSING_FIELD, "'sig'"},
        {"{\"type\":\"auth\",\"device\":\"" K43 "=\",\"sig\":\"" S86 "\"}", BP_E_INVALID_FIELD,
         "'device'"},
        {"{\"type\":\"auth\",\"device\":\"" K43 "\",\"sig\":\"" K43 "\"}", BP_E_INVALID_FIELD,
         "86 characters"},
        {"{\"type\":\"auth\",\"device\":\"+AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\",\"sig\":\"" S86
         "\"}", BP_E_INVALID_FIELD, "base64url"},
        {"{\"type\":\"bilan_create\",\"label\":\"\"}", BP_E_INVALID_FIELD, "length"},
        {"{\"type\":\"bilan_create\",\"label\":\"x\",\"budget_s\":100000}", BP_E_INVALID_FIELD,
         "range"},
        {"{\"type\":\"join\",\"bilan\":\"a b\"}", BP_E_INVALID_FIELD, "identifier"},
        {"{\"type\":\"join\",\"bilan\":\"../x\"}", BP_E_INVALID_FIELD, "identifier"},
        {"{\"type\":\"join\",\"bilan\":\"\\u0000\"}", BP_E_BAD_JSON, ""},
        {"{\"type\":\"join\",\"bilan\":null}", BP_E_INVALID_FIELD, "'bilan'"},
        {"{\"type\":\"e2e\"}", BP_E_MISSING_FIELD, "'body' in 'e2e'"},
        {"{\"type\":\"e2e\",\"to\":1}", BP_E_MISSING_FIELD, "'body' in 'e2e'"},
        {"{\"type\":\"e2e\",\"body\":[]}", BP_E_INVALID_FIELD, "'body' in 'e2e' must be a JSON object"},
        {"{\"type\":\"e2e\",\"body\":\"x\"}", BP_E_INVALID_FIELD, "JSON object"},
        {"{\"type\":\"e2e\",\"body\":null}", BP_E_INVALID_FIELD, "JSON object"},
        {"{\"type\":\"e2e\",\"to\":4,\"body\":{}}", BP_E_INVALID_FIELD, "'to' in 'e2e' is out of range"},
        {"{\"type\":\"e2e\",\"to\":-1,\"body\":{}}", BP_E_INVALID_FIELD, "range"},
        {"{\"type\":\"e2e\",\"to\":\"1\",\"body\":{}}", BP_E_INVALID_FIELD, "integer"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct bp_verr e = {0};
        int rc = parse(bad[i].json, BP_TO_SERVER, NULL, &e, NULL);
        if (rc != bad[i].code || !strstr(e.detail, bad[i].detail))
            fprintf(stderr, "case %zu %s: rc %d detail '%s'\n", i, bad[i].json, rc, e.detail);
        CHECK_EQ_INT(rc, bad[i].code);
        CHECK_EQ_INT(e.code, bad[i].code);
        CHECK(strstr(e.detail, bad[i].detail) != NULL);
    }
}

/* The relayed direction: from, device and body are all required. */
static void test_e2e_relay(void)
{
    static const struct {
        const char *json;
        int code;
    } bad[] = {
        {"{\"type\":\"e2e\",\"device\":\"" K43 "\",\"body\":{}}", BP_E_MISSING_FIELD},
        {"{\"type\":\"e2e\",\"from\":0,\"body\":{}}", BP_E_MISSING_FIELD},
        {"{\"type\":\"e2e\",\"from\":0,\"device\":\"" K43 "\"}", BP_E_MISSING_FIELD},
        {"{\"type\":\"e2e\",\"from\":4,\"device\":\"" K43 "\",\"body\":{}}", BP_E_INVALID_FIELD},
        {"{\"type\":\"e2e\",\"from\":0,\"device\":\"abc\",\"body\":{}}", BP_E_INVALID_FIELD},
        {"{\"type\":\"e2e\",\"from\":0,\"device\":\"" K43 "\",\"body\":[1]}", BP_E_INVALID_FIELD},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct bp_verr e = {0};
        int rc = parse(bad[i].json, BP_TO_CLIENT, NULL, &e, NULL);
        if (rc != bad[i].code)
            fprintf(stderr, "relay case %zu %s: rc %d detail '%s'\n", i, bad[i].json, rc, e.detail);
        CHECK_EQ_INT(rc, bad[i].code);
    }
}

static void test_ref_and_size(void)
{
    char ref[BP_REF_MAX + 1] = "junk";
    struct bp_verr e;
    CHECK_EQ_INT(parse("{\"type\":\"nope\",\"ref\":\"abc\"}", BP_TO_SERVER, NULL, &e, ref),
                 BP_E_UNKNOWN_TYPE);
    CHECK_STR(ref, "abc"); /* the ref of a refused message is still echoed */
    CHECK_EQ_INT(parse("{\"type\":\"join\",\"ref\":\"r9\"}", BP_TO_SERVER, NULL, &e, ref),
                 BP_E_MISSING_FIELD);
    CHECK_STR(ref, "r9");
    CHECK_EQ_INT(parse("{]", BP_TO_SERVER, NULL, &e, ref), BP_E_BAD_JSON);
    CHECK_STR(ref, "");

    size_t n = BP_MAX_CTRL + 1;
    char *big = malloc(n + 1);
    memset(big, ' ', n);
    memcpy(big, "{\"type\":\"hello\",\"v\":1}", 22);
    big[n] = '\0';
    json_t *root = (json_t *)1;
    CHECK_EQ_INT(bp_msg_parse(big, n, BP_TO_SERVER, NULL, &root, &e, NULL), BP_E_TOO_LARGE);
    CHECK(root == NULL);
    CHECK_EQ_INT(bp_msg_parse(big, n - 1, BP_TO_SERVER, NULL, &root, &e, NULL), 0);
    json_decref(root);
    free(big);
}

static void test_error_table(void)
{
    static const int all[] = {
        BP_E_BAD_JSON, BP_E_UNKNOWN_TYPE, BP_E_MISSING_FIELD, BP_E_INVALID_FIELD, BP_E_TOO_LARGE,
        BP_E_WRONG_STATE, BP_E_BAD_SIGNATURE, BP_E_UNKNOWN_TOKEN, BP_E_TOKEN_USED,
        BP_E_TOKEN_EXPIRED, BP_E_NOT_MEMBER, BP_E_ROOM_FULL, BP_E_RATE_LIMITED, BP_E_VERSION,
        BP_E_UNKNOWN_DEVICE, BP_E_FORBIDDEN, BP_E_BAD_FRAME, BP_E_TOO_SLOW, BP_E_UNKNOWN_BILAN,
        BP_E_INTERNAL, BP_E_SHUTDOWN, BP_E_CRYPTO, BP_E_NOMEM, BP_E_BAD_LINK,
        BP_E_AUTH_TIMEOUT, BP_E_TOO_MANY_CONNECTIONS, BP_E_TOKEN_REVOKED, BP_E_FLOW, BP_E_BILAN_CLOSED};
    CHECK_EQ_INT(sizeof all / sizeof all[0], BP_E_COUNT);
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        const char *code = bp_err_code(all[i]);
        CHECK(strlen(code) > 2);
        CHECK(strlen(bp_err_message(all[i])) > 10);
        CHECK_EQ_INT(bp_err_from_code(code), all[i]); /* names are unique and round-trip */
    }
    /* The stable names the issue lists, spelled as on the wire. */
    CHECK_STR(bp_err_code(BP_E_BAD_JSON), "bad_json");
    CHECK_STR(bp_err_code(BP_E_VERSION), "version_mismatch");
    CHECK_STR(bp_err_code(BP_E_RATE_LIMITED), "rate_limited");
    CHECK_STR(bp_err_code(BP_E_ROOM_FULL), "room_full");
    CHECK_STR(bp_err_code(BP_E_TOKEN_EXPIRED), "token_expired");
    CHECK_STR(bp_err_code(BP_E_TOKEN_REVOKED), "token_revoked");
    CHECK_EQ_INT(BP_E_TOKEN_REVOKED, -27); /* fixed: parallel branches number around it */
    CHECK(!bp_err_is_fatal(BP_E_TOKEN_REVOKED));
    CHECK_STR(bp_err_code(12345), "internal");
    CHECK_EQ_INT(bp_err_from_code("no_such_code"), BP_E_INTERNAL);
    CHECK_EQ_INT(bp_err_from_code(NULL), BP_E_INTERNAL);
    CHECK(bp_err_is_fatal(BP_E_TOO_LARGE));
    CHECK(bp_err_is_fatal(BP_E_RATE_LIMITED));
    CHECK_STR(bp_err_code(BP_E_AUTH_TIMEOUT), "auth_timeout");
    CHECK_STR(bp_err_code(BP_E_TOO_MANY_CONNECTIONS), "too_many_connections");
    CHECK(bp_err_is_fatal(BP_E_AUTH_TIMEOUT));
    CHECK(bp_err_is_fatal(BP_E_TOO_MANY_CONNECTIONS));
    CHECK(bp_err_is_fatal(BP_E_VERSION));
    CHECK(bp_err_is_fatal(BP_E_TOO_SLOW));
    CHECK(!bp_err_is_fatal(BP_E_BAD_JSON));
    CHECK(!bp_err_is_fatal(BP_E_BAD_FRAME));
    /* Flow control (PROTOCOL.md §4): a fixed number, and the sender stays. */
    CHECK_EQ_INT(BP_E_FLOW, -29);
    CHECK_STR(bp_err_code(BP_E_FLOW), "flow_violation");
    CHECK(!bp_err_is_fatal(BP_E_FLOW));
    /* Closing a bilan (PROTOCOL.md §10.4): a fixed number, not fatal. */
    CHECK_EQ_INT(BP_E_BILAN_CLOSED, -30);
    CHECK_STR(bp_err_code(BP_E_BILAN_CLOSED), "bilan_closed");
    CHECK(!bp_err_is_fatal(BP_E_BILAN_CLOSED));
}

static void test_accessors(void)
{
    json_t *root = NULL;
    struct bp_verr e;
    const char *s = "{\"type\":\"bilan_create\",\"label\":\"L\",\"budget_s\":7200}";
    CHECK_EQ_INT(bp_msg_parse(s, strlen(s), BP_TO_SERVER, NULL, &root, &e, NULL), 0);
    CHECK_STR(bp_str(root, "label", "x"), "L");
    CHECK_STR(bp_str(root, "absent", "dflt"), "dflt");
    CHECK_EQ_INT(bp_int(root, "budget_s", 0), 7200);
    CHECK_EQ_INT(bp_int(root, "invite_ttl_s", 604800), 604800);
    CHECK_EQ_INT(bp_int(root, "label", -1), -1);
    json_decref(root);
}

/* PROTOCOL.md §9: sessions, hours, receipts, in both directions. */
static void test_hours_messages(void)
{
    static const struct {
        const char *json;
        enum bp_dir dir;
        int code;            /* 0 = accepted */
        enum bp_type type;   /* when accepted */
        const char *detail;  /* when refused: substring of the detail */
    } cases[] = {
        {"{\"type\":\"session_open\",\"phase\":\"investigation\"}", BP_TO_SERVER, 0,
         BP_T_SESSION_OPEN, ""},
        {"{\"type\":\"session_open\",\"phase\":\"suivi\"}", BP_TO_SERVER, 0, BP_T_SESSION_OPEN, ""},
        {"{\"type\":\"session_open\",\"phase\":\"Suivi\"}", BP_TO_SERVER, BP_E_INVALID_FIELD, 0,
         "'phase' in 'session_open'"},
        {"{\"type\":\"session_open\",\"phase\":\"suivi\\u0000\"}", BP_TO_SERVER, BP_E_BAD_JSON, 0, ""},
        {"{\"type\":\"session_open\",\"phase\":3}", BP_TO_SERVER, BP_E_INVALID_FIELD, 0, "conclusion"},
        {"{\"type\":\"session_open\"}", BP_TO_SERVER, BP_E_MISSING_FIELD, 0, "'phase'"},
        {"{\"type\":\"session_close\"}", BP_TO_SERVER, 0, BP_T_SESSION_CLOSE, ""},
        {"{\"type\":\"hours\",\"bilan\":\"b1\"}", BP_TO_SERVER, 0, BP_T_HOURS, ""},
        {"{\"type\":\"hours\"}", BP_TO_SERVER, BP_E_MISSING_FIELD, 0, "'bilan' in 'hours'"},
        {"{\"type\":\"personal_declare\",\"bilan\":\"b1\",\"seconds\":60}", BP_TO_SERVER, 0,
         BP_T_PERSONAL_DECLARE, ""},
        {"{\"type\":\"personal_declare\",\"bilan\":\"b1\",\"seconds\":86400,\"note\":\"lecture\"}",
         BP_TO_SERVER, 0, BP_T_PERSONAL_DECLARE, ""},
        {"{\"type\":\"personal_declare\",\"bilan\":\"b1\",\"seconds\":59}", BP_TO_SERVER,
         BP_E_INVALID_FIELD, 0, "range"},
        {"{\"type\":\"personal_declare\",\"bilan\":\"b1\",\"seconds\":86401}", BP_TO_SERVER,
         BP_E_INVALID_FIELD, 0, "range"},
        {"{\"type\":\"personal_declare\",\"bilan\":\"b1\",\"seconds\":600,\"note\":\""
         "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
         "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
         "xxxxxxxxxxxxxxxxx\"}", BP_TO_SERVER, BP_E_INVALID_FIELD, 0, "'note'"},
        {"{\"type\":\"receipt\",\"session\":\"s1\",\"received_audio_ms\":0,\"sas_verified\":true,"
         "\"sig\":\"" S86 "\"}", BP_TO_SERVER, 0, BP_T_RECEIPT, ""},
        {"{\"type\":\"receipt\",\"session\":\"s1\",\"received_audio_ms\":-1,\"sas_verified\":true,"
         "\"sig\":\"" S86 "\"}", BP_TO_SERVER, BP_E_INVALID_FIELD, 0, "received_audio_ms"},
        {"{\"type\":\"receipt\",\"session\":\"s1\",\"received_audio_ms\":1099511627777,"
         "\"sas_verified\":true,\"sig\":\"" S86 "\"}", BP_TO_SERVER, BP_E_INVALID_FIELD, 0, "range"},
        {"{\"type\":\"receipt\",\"session\":\"s1\",\"received_audio_ms\":0,\"sas_verified\":1,"
         "\"sig\":\"" S86 "\"}", BP_TO_SERVER, BP_E_INVALID_FIELD, 0, "true or false"},
        {"{\"type\":\"receipt\",\"session\":\"s1\",\"received_audio_ms\":0,\"sas_verified\":false,"
         "\"sig\":\"" K43 "\"}", BP_TO_SERVER, BP_E_INVALID_FIELD, 0, "86 characters"},
        /* server -> client */
        {"{\"type\":\"session_opened\",\"bilan\":\"b\",\"session\":\"s\",\"phase\":\"conclusion\","
         "\"start_ms\":1710752400000}", BP_TO_CLIENT, 0, BP_T_SESSION_OPENED, ""},
        {"{\"type\":\"session_closed\",\"bilan\":\"b\",\"session\":\"s\",\"end_ms\":1,"
         "\"face_to_face_ms\":0,\"reason\":\"empty\"}", BP_TO_CLIENT, 0, BP_T_SESSION_CLOSED, ""},
        {"{\"type\":\"session_closed\",\"bilan\":\"b\",\"session\":\"s\",\"end_ms\":1,"
         "\"reason\":\"empty\"}", BP_TO_CLIENT, BP_E_MISSING_FIELD, 0, "face_to_face_ms"},
        {"{\"type\":\"hours_report\",\"bilan\":\"b\",\"report\":{\"sessions\":[]}}", BP_TO_CLIENT, 0,
         BP_T_HOURS_REPORT, ""},
        {"{\"type\":\"hours_report\",\"bilan\":\"b\",\"report\":[]}", BP_TO_CLIENT,
         BP_E_INVALID_FIELD, 0, "JSON object"},
        {"{\"type\":\"personal_declared\",\"bilan\":\"b\",\"seconds\":3600}", BP_TO_CLIENT, 0,
         BP_T_PERSONAL_DECLARED, ""},
        {"{\"type\":\"hours_update\",\"bilan\":\"b\",\"face_to_face_ms\":5,\"budget_s\":57600,"
         "\"remaining_ms\":0}", BP_TO_CLIENT, 0, BP_T_HOURS_UPDATE, ""},
        {"{\"type\":\"hours_update\",\"bilan\":\"b\",\"face_to_face_ms\":5,\"budget_s\":57600,"
         "\"remaining_ms\":7,\"session\":\"s\",\"phase\":\"preliminaire\",\"session_elapsed_ms\":9,"
         "\"session_face_to_face_ms\":5}", BP_TO_CLIENT, 0, BP_T_HOURS_UPDATE, ""},
        {"{\"type\":\"hours_update\",\"bilan\":\"b\",\"face_to_face_ms\":5,\"budget_s\":57600,"
         "\"remaining_ms\":-1}", BP_TO_CLIENT, BP_E_INVALID_FIELD, 0, "remaining_ms"},
        {"{\"type\":\"budget_warning\",\"bilan\":\"b\",\"level\":80,\"face_to_face_ms\":1,"
         "\"budget_s\":2}", BP_TO_CLIENT, 0, BP_T_BUDGET_WARNING, ""},
        {"{\"type\":\"budget_warning\",\"bilan\":\"b\",\"level\":79,\"face_to_face_ms\":1,"
         "\"budget_s\":2}", BP_TO_CLIENT, BP_E_INVALID_FIELD, 0, "'level'"},
        {"{\"type\":\"session_record\",\"record\":{\"v\":1}}", BP_TO_CLIENT, 0, BP_T_SESSION_RECORD, ""},
        {"{\"type\":\"receipt_ok\",\"session\":\"s-1\"}", BP_TO_CLIENT, 0, BP_T_RECEIPT_OK, ""},
        /* directions do not mix */
        {"{\"type\":\"receipt_ok\",\"session\":\"s\"}", BP_TO_SERVER, BP_E_UNKNOWN_TYPE, 0, "receipt_ok"},
        {"{\"type\":\"session_open\",\"phase\":\"suivi\"}", BP_TO_CLIENT, BP_E_UNKNOWN_TYPE, 0, ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        enum bp_type t = BP_T_NONE;
        struct bp_verr e = {0};
        int rc = parse(cases[i].json, cases[i].dir, &t, &e, NULL);
        if (rc != cases[i].code || (rc && !strstr(e.detail, cases[i].detail)))
            fprintf(stderr, "hours case %zu %s: rc %d detail '%s'\n", i, cases[i].json, rc, e.detail);
        CHECK_EQ_INT(rc, cases[i].code);
        if (rc == 0)
            CHECK_EQ_INT(t, cases[i].type);
        else
            CHECK(strstr(e.detail, cases[i].detail) != NULL);
    }
    CHECK_STR(bp_type_name(BP_T_SESSION_OPEN), "session_open");
    CHECK_STR(bp_type_name(BP_T_HOURS_UPDATE), "hours_update");
    CHECK_STR(bp_type_name(BP_T_RECEIPT_OK), "receipt_ok");
}

/* PROTOCOL.md §4 "Queues": flow {kind, state, slot?, allowance?}, server -> client only. */
static void test_flow_message(void)
{
    static const struct {
        const char *json;
        enum bp_dir dir;
        int code;
        const char *detail;
    } cases[] = {
        {"{\"type\":\"flow\",\"kind\":\"data\",\"state\":\"hold\",\"slot\":2,\"allowance\":4194304}",
         BP_TO_CLIENT, 0, ""},
        {"{\"type\":\"flow\",\"kind\":\"data\",\"state\":\"go\"}", BP_TO_CLIENT, 0, ""},
        /* Values a reader does not know still validate: it ignores them. */
        {"{\"type\":\"flow\",\"kind\":\"video\",\"state\":\"slow_down\"}", BP_TO_CLIENT, 0, ""},
        {"{\"type\":\"flow\",\"state\":\"go\"}", BP_TO_CLIENT, BP_E_MISSING_FIELD, "'kind' in 'flow'"},
        {"{\"type\":\"flow\",\"kind\":\"data\"}", BP_TO_CLIENT, BP_E_MISSING_FIELD, "'state'"},
        {"{\"type\":\"flow\",\"kind\":\"\",\"state\":\"go\"}", BP_TO_CLIENT, BP_E_INVALID_FIELD, "'kind'"},
        {"{\"type\":\"flow\",\"kind\":\"data\",\"state\":\"hold\",\"slot\":4}", BP_TO_CLIENT,
         BP_E_INVALID_FIELD, "'slot'"},
        {"{\"type\":\"flow\",\"kind\":\"data\",\"state\":\"hold\",\"allowance\":-1}", BP_TO_CLIENT,
         BP_E_INVALID_FIELD, "'allowance'"},
        {"{\"type\":\"flow\",\"kind\":\"data\",\"state\":\"go\"}", BP_TO_SERVER, BP_E_UNKNOWN_TYPE,
         "flow"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        enum bp_type t = BP_T_NONE;
        struct bp_verr e = {0};
        int rc = parse(cases[i].json, cases[i].dir, &t, &e, NULL);
        if (rc != cases[i].code || (rc && !strstr(e.detail, cases[i].detail)))
            fprintf(stderr, "flow case %zu %s: rc %d detail '%s'\n", i, cases[i].json, rc, e.detail);
        CHECK_EQ_INT(rc, cases[i].code);
        if (rc == 0)
            CHECK_EQ_INT(t, BP_T_FLOW);
        else
            CHECK(strstr(e.detail, cases[i].detail) != NULL);
    }
    CHECK_STR(bp_type_name(BP_T_FLOW), "flow");
}

int main(void)
{
    test_valid_messages();
    test_hours_messages();
    test_flow_message();
    test_refusals();
    test_e2e_relay();
    test_ref_and_size();
    test_error_table();
    test_accessors();
    return check_report();
}
