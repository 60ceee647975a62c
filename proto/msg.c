/* msg.c: control-message schemas and validation (PROTOCOL.md §3).
 *
 * Owns the one table of message types, their wire names and their fields.
 * A message is valid when it is a JSON object whose "type" names a message of
 * the expected direction and whose fields meet the schema; unknown fields are
 * ignored so that minor additions stay compatible. Validation never allocates
 * beyond jansson's parse and never keeps a pointer after returning.
 *
 * A schema row is a struct bp_field (bp/fields.h): the field kinds, their
 * checks and the wording of a refusal live there, shared with pair.c and
 * record.c. This file only says which fields each message has. */
#include <stdio.h>
#include <string.h>

#include "bp/fields.h"
#include "bp/msg.h"
#include "bp/ws_consent.h"
#include "bp/ws_seal.h"

#define REQ BP_FIELD_REQ
#define OPT BP_FIELD_OPT
#define FIELDS_MAX 8

struct schema {
    enum bp_type type;
    const char *name;
    enum bp_dir dir;
    struct bp_field fields[FIELDS_MAX];
};

static const struct schema schemas[] = {
    /* client -> server */
    {BP_T_HELLO, "hello", BP_TO_SERVER,
     {BP_FIELD("v", BP_F_INT, REQ, 0, 65535), BP_FIELD("client", BP_F_STR, OPT, 0, BP_NAME_MAX)}},
    {BP_T_ENROL, "enrol", BP_TO_SERVER,
     {BP_FIELD("token", BP_F_B64, REQ, 0, BP_KEY_LEN), BP_FIELD("sign_pub", BP_F_B64, REQ, 0, BP_KEY_LEN), BP_FIELD("dh_pub", BP_F_B64, REQ, 0, BP_KEY_LEN),
      BP_FIELD("sig", BP_F_B64, REQ, 0, BP_SIG_LEN), BP_FIELD("device_name", BP_F_STR, OPT, 0, BP_NAME_MAX)}},
    {BP_T_AUTH, "auth", BP_TO_SERVER,
     {BP_FIELD("device", BP_F_B64, REQ, 0, BP_KEY_LEN), BP_FIELD("sig", BP_F_B64, REQ, 0, BP_SIG_LEN)}},
    {BP_T_BILAN_CREATE, "bilan_create", BP_TO_SERVER,
     {BP_FIELD("label", BP_F_STR, REQ, 1, BP_LABEL_MAX), BP_FIELD("budget_s", BP_F_INT, OPT, 3600, BP_CAP_S),
      BP_FIELD("invite_ttl_s", BP_F_INT, OPT, 60, 30 * 86400)}},
    {BP_T_INVITE_CREATE, "invite_create", BP_TO_SERVER,
     {BP_FIELD("bilan", BP_F_ID, REQ, 0, 0), BP_FIELD("invite_ttl_s", BP_F_INT, OPT, 60, 30 * 86400)}},
    {BP_T_BILAN_LIST, "bilan_list", BP_TO_SERVER, {{0}}},
    {BP_T_JOIN, "join", BP_TO_SERVER, {BP_FIELD("bilan", BP_F_ID, REQ, 0, 0)}},
    {BP_T_LEAVE, "leave", BP_TO_SERVER, {{0}}},
    {BP_T_STATS, "stats", BP_TO_SERVER, {{0}}},
    /* media (PROTOCOL.md §4.3): a receiver asks a sender for a keyframe; the clock */
    {BP_T_KEYFRAME_WANT, "keyframe_request", BP_TO_SERVER, {BP_FIELD("slot", BP_F_INT, REQ, 0, BP_MAX_MEMBERS - 1)}},
    {BP_T_CLOCK, "clock", BP_TO_SERVER, {{0}}},
    {BP_T_E2E, "e2e", BP_TO_SERVER,
     {BP_FIELD("to", BP_F_INT, OPT, 0, BP_MAX_MEMBERS - 1), BP_FIELD("body", BP_F_OBJECT, REQ, 0, 0)}},
    /* sessions, hours, receipts (PROTOCOL.md §9) */
    {BP_T_SESSION_OPEN, "session_open", BP_TO_SERVER, {BP_FIELD("phase", BP_F_PHASE, REQ, 0, 0)}},
    {BP_T_SESSION_CLOSE, "session_close", BP_TO_SERVER, {{0}}},
    {BP_T_HOURS, "hours", BP_TO_SERVER, {BP_FIELD("bilan", BP_F_ID, REQ, 0, 0)}},
    {BP_T_PERSONAL_DECLARE, "personal_declare", BP_TO_SERVER,
     {BP_FIELD("bilan", BP_F_ID, REQ, 0, 0), BP_FIELD("seconds", BP_F_INT, REQ, 60, 86400),
      BP_FIELD("note", BP_F_STR, OPT, 0, 200)}},
    {BP_T_RECEIPT, "receipt", BP_TO_SERVER,
     {BP_FIELD("session", BP_F_ID, REQ, 0, 0), BP_FIELD("received_audio_ms", BP_F_INT, REQ, 0, 1LL << 40),
      BP_FIELD("sas_verified", BP_F_BOOL, REQ, 0, 0), BP_FIELD("sig", BP_F_B64, REQ, 0, BP_SIG_LEN)}},
    {BP_T_RECEIPT_REFUSAL, "receipt_refusal", BP_TO_SERVER,
     {BP_FIELD("session", BP_F_ID, REQ, 0, 0), BP_FIELD("reason", BP_F_STR, REQ, 1, 200), BP_FIELD("sig", BP_F_B64, REQ, 0, BP_SIG_LEN)}},
    /* worksheets (PROTOCOL.md §10): the sealed bytes are base64url, checked by the server's handler */
    {BP_T_SHEET_PUSH, "sheet_push", BP_TO_SERVER,
     {BP_FIELD("bilan", BP_F_ID, REQ, 0, 0), BP_FIELD("op", BP_F_B64, REQ, 0, BP_WS_OPID_RAW),
      BP_FIELD("sheet", BP_F_B64, REQ, 0, BP_WS_OPID_RAW),
      BP_FIELD("sealed", BP_F_STR, REQ, BP_WS_SEALED_B64_MIN, BP_WS_SEALED_B64_MAX)}},
    {BP_T_SHEET_PULL, "sheet_pull", BP_TO_SERVER,
     {BP_FIELD("bilan", BP_F_ID, REQ, 0, 0), BP_FIELD("after", BP_F_INT, REQ, 0, 1LL << 50)}},
    /* the document key (§10.2): kid is 16 bytes, to a fingerprint, wrap 60 bytes */
    {BP_T_SHEET_KEY_PUT, "sheet_key_put", BP_TO_SERVER,
     {BP_FIELD("bilan", BP_F_ID, REQ, 0, 0), BP_FIELD("kid", BP_F_B64, REQ, 0, BP_WS_KID_RAW),
      BP_FIELD("to", BP_F_B64, REQ, 0, BP_KEY_LEN), BP_FIELD("wrap", BP_F_B64, REQ, 0, BP_WS_WRAP_LEN)}},
    {BP_T_SHEET_KEY_GET, "sheet_key_get", BP_TO_SERVER, {BP_FIELD("bilan", BP_F_ID, REQ, 0, 0)}},
    /* the consent (§10.3): the statement's own fields are checked by ws_consent.c */
    {BP_T_SHEET_CONSENT, "sheet_consent", BP_TO_SERVER,
     {BP_FIELD("bilan", BP_F_ID, REQ, 0, 0), BP_FIELD("statement", BP_F_STR, REQ, 2, BP_WS_CONSENT_MAX),
      BP_FIELD("sig", BP_F_B64, REQ, 0, BP_SIG_LEN)}},
    {BP_T_BILAN_CLOSE, "bilan_close", BP_TO_SERVER, {BP_FIELD("bilan", BP_F_ID, REQ, 0, 0)}},
    /* server -> client */
    {BP_T_CHALLENGE, "challenge", BP_TO_CLIENT,
     {BP_FIELD("v", BP_F_INT, REQ, 0, 65535), BP_FIELD("nonce", BP_F_B64, REQ, 0, BP_KEY_LEN), BP_FIELD("server", BP_F_STR, OPT, 0, BP_NAME_MAX)}},
    {BP_T_WELCOME, "welcome", BP_TO_CLIENT,
     {BP_FIELD("role", BP_F_ROLE, REQ, 0, 0), BP_FIELD("device", BP_F_B64, REQ, 0, BP_KEY_LEN), BP_FIELD("name", BP_F_STR, OPT, 0, BP_NAME_MAX),
      BP_FIELD("bilans", BP_F_ARRAY, OPT, 0, 100000), BP_FIELD("bilan", BP_F_ID, OPT, 0, 0)}},
    {BP_T_BILAN_CREATED, "bilan_created", BP_TO_CLIENT,
     {BP_FIELD("bilan", BP_F_ID, REQ, 0, 0), BP_FIELD("label", BP_F_STR, REQ, 1, BP_LABEL_MAX),
      BP_FIELD("budget_s", BP_F_INT, REQ, 0, BP_CAP_S), BP_FIELD("invite_token", BP_F_B64, REQ, 0, BP_KEY_LEN),
      BP_FIELD("invite_expires", BP_F_INT, REQ, 0, 1LL << 40)}},
    {BP_T_INVITE_CREATED, "invite_created", BP_TO_CLIENT,
     {BP_FIELD("bilan", BP_F_ID, REQ, 0, 0), BP_FIELD("invite_token", BP_F_B64, REQ, 0, BP_KEY_LEN),
      BP_FIELD("invite_expires", BP_F_INT, REQ, 0, 1LL << 40)}},
    {BP_T_BILANS, "bilans", BP_TO_CLIENT, {BP_FIELD("bilans", BP_F_ARRAY, REQ, 0, 100000)}},
    {BP_T_JOINED, "joined", BP_TO_CLIENT,
     {BP_FIELD("bilan", BP_F_ID, REQ, 0, 0), BP_FIELD("slot", BP_F_INT, REQ, 0, BP_MAX_MEMBERS - 1),
      BP_FIELD("role", BP_F_ROLE, REQ, 0, 0), BP_FIELD("members", BP_F_ARRAY, REQ, 0, BP_MAX_MEMBERS)}},
    {BP_T_MEMBER_JOINED, "member_joined", BP_TO_CLIENT,
     {BP_FIELD("slot", BP_F_INT, REQ, 0, BP_MAX_MEMBERS - 1), BP_FIELD("device", BP_F_B64, REQ, 0, BP_KEY_LEN),
      BP_FIELD("role", BP_F_ROLE, REQ, 0, 0), BP_FIELD("beneficiary_devices", BP_F_INT, OPT, 1, 1000000),
      BP_FIELD("name", BP_F_STR, OPT, 1, BP_NAME_MAX)}},
    {BP_T_MEMBER_LEFT, "member_left", BP_TO_CLIENT,
     {BP_FIELD("slot", BP_F_INT, REQ, 0, BP_MAX_MEMBERS - 1), BP_FIELD("device", BP_F_B64, REQ, 0, BP_KEY_LEN),
      BP_FIELD("role", BP_F_ROLE, REQ, 0, 0), BP_FIELD("reason", BP_F_STR, REQ, 1, 32),
      BP_FIELD("name", BP_F_STR, OPT, 1, BP_NAME_MAX)}},
    {BP_T_LEFT, "left", BP_TO_CLIENT, {BP_FIELD("bilan", BP_F_ID, REQ, 0, 0)}},
    {BP_T_STATS_REPLY, "stats", BP_TO_CLIENT,
     {BP_FIELD("queued_bytes", BP_F_INT, REQ, 0, 1LL << 40), BP_FIELD("dropped_video", BP_F_INT, REQ, 0, 1LL << 50),
      BP_FIELD("frames_in", BP_F_INT, REQ, 0, 1LL << 50), BP_FIELD("frames_out", BP_F_INT, REQ, 0, 1LL << 50)}},
    {BP_T_KEYFRAME_REQUEST, "keyframe_request", BP_TO_CLIENT,
     {BP_FIELD("slot", BP_F_INT, OPT, 0, BP_MAX_MEMBERS - 1), BP_FIELD("reason", BP_F_STR, OPT, 0, 32)}},
    {BP_T_CLOCK_REPLY, "clock", BP_TO_CLIENT, {BP_FIELD("server_ms", BP_F_INT, REQ, 0, 1LL << 50)}},
    /* each receiver object is checked by the reader (PROTOCOL.md §4.3) */
    {BP_T_MEDIA_REPORT, "media_report", BP_TO_CLIENT, {BP_FIELD("receivers", BP_F_ARRAY, REQ, 0, BP_MAX_MEMBERS)}},
    {BP_T_ERROR, "error", BP_TO_CLIENT,
     {BP_FIELD("code", BP_F_STR, REQ, 1, 32), BP_FIELD("message", BP_F_STR, REQ, 0, 512), BP_FIELD("fatal", BP_F_BOOL, OPT, 0, 0)}},
    {BP_T_E2E_RELAY, "e2e", BP_TO_CLIENT,
     {BP_FIELD("from", BP_F_INT, REQ, 0, BP_MAX_MEMBERS - 1), BP_FIELD("device", BP_F_B64, REQ, 0, BP_KEY_LEN),
      BP_FIELD("body", BP_F_OBJECT, REQ, 0, 0)}},
    {BP_T_SESSION_OPENED, "session_opened", BP_TO_CLIENT,
     {BP_FIELD("bilan", BP_F_ID, REQ, 0, 0), BP_FIELD("session", BP_F_ID, REQ, 0, 0), BP_FIELD("phase", BP_F_PHASE, REQ, 0, 0),
      BP_FIELD("start_ms", BP_F_INT, REQ, 0, 1LL << 50)}},
    {BP_T_SESSION_CLOSED, "session_closed", BP_TO_CLIENT,
     {BP_FIELD("bilan", BP_F_ID, REQ, 0, 0), BP_FIELD("session", BP_F_ID, REQ, 0, 0), BP_FIELD("end_ms", BP_F_INT, REQ, 0, 1LL << 50),
      BP_FIELD("face_to_face_ms", BP_F_INT, REQ, 0, 1LL << 50), BP_FIELD("reason", BP_F_STR, REQ, 1, 32)}},
    {BP_T_HOURS_REPORT, "hours_report", BP_TO_CLIENT,
     {BP_FIELD("bilan", BP_F_ID, REQ, 0, 0), BP_FIELD("report", BP_F_OBJECT, REQ, 0, 0)}},
    {BP_T_PERSONAL_DECLARED, "personal_declared", BP_TO_CLIENT,
     {BP_FIELD("bilan", BP_F_ID, REQ, 0, 0), BP_FIELD("seconds", BP_F_INT, REQ, 60, 86400)}},
    {BP_T_HOURS_UPDATE, "hours_update", BP_TO_CLIENT,
     {BP_FIELD("bilan", BP_F_ID, REQ, 0, 0), BP_FIELD("face_to_face_ms", BP_F_INT, REQ, 0, 1LL << 50),
      BP_FIELD("budget_s", BP_F_INT, REQ, 0, 1000000), BP_FIELD("remaining_ms", BP_F_INT, REQ, 0, 1LL << 50),
      BP_FIELD("session", BP_F_ID, OPT, 0, 0), BP_FIELD("phase", BP_F_PHASE, OPT, 0, 0),
      BP_FIELD("session_elapsed_ms", BP_F_INT, OPT, 0, 1LL << 50),
      BP_FIELD("session_face_to_face_ms", BP_F_INT, OPT, 0, 1LL << 50)}},
    {BP_T_BUDGET_WARNING, "budget_warning", BP_TO_CLIENT,
     {BP_FIELD("bilan", BP_F_ID, REQ, 0, 0), BP_FIELD("level", BP_F_INT, REQ, 80, 100),
      BP_FIELD("face_to_face_ms", BP_F_INT, REQ, 0, 1LL << 50), BP_FIELD("budget_s", BP_F_INT, REQ, 0, 1000000)}},
    {BP_T_SESSION_RECORD, "session_record", BP_TO_CLIENT, {BP_FIELD("record", BP_F_OBJECT, REQ, 0, 0)}},
    {BP_T_RECEIPT_OK, "receipt_ok", BP_TO_CLIENT, {BP_FIELD("session", BP_F_ID, REQ, 0, 0)}},
    {BP_T_RECEIPT_REFUSED, "receipt_refused", BP_TO_CLIENT, {BP_FIELD("session", BP_F_ID, REQ, 0, 0)}},
    /* flow control (PROTOCOL.md §4 "Queues"); kind and state are checked by the reader, which
     * ignores values it does not know */
    {BP_T_SHEET_PUSHED, "sheet_pushed", BP_TO_CLIENT,
     {BP_FIELD("bilan", BP_F_ID, REQ, 0, 0), BP_FIELD("op", BP_F_B64, REQ, 0, BP_WS_OPID_RAW),
      BP_FIELD("seq", BP_F_INT, REQ, 1, 1LL << 50)}},
    /* each operation object is checked by the reader (PROTOCOL.md §10.2) */
    {BP_T_SHEET_OPS, "sheet_ops", BP_TO_CLIENT,
     {BP_FIELD("bilan", BP_F_ID, REQ, 0, 0), BP_FIELD("ops", BP_F_ARRAY, REQ, 0, BP_WS_OPS_PER_MSG),
      BP_FIELD("more", BP_F_BOOL, REQ, 0, 0)}},
    {BP_T_SHEET_KEY_STORED, "sheet_key_stored", BP_TO_CLIENT,
     {BP_FIELD("bilan", BP_F_ID, REQ, 0, 0), BP_FIELD("to", BP_F_B64, REQ, 0, BP_KEY_LEN)}},
    /* each wrap object is checked by the reader (PROTOCOL.md §10.2) */
    {BP_T_SHEET_KEYS, "sheet_keys", BP_TO_CLIENT,
     {BP_FIELD("bilan", BP_F_ID, REQ, 0, 0), BP_FIELD("kid", BP_F_B64, OPT, 0, BP_WS_KID_RAW),
      BP_FIELD("keys", BP_F_ARRAY, REQ, 0, BP_WS_WRAPS_MAX)}},
    {BP_T_SHEET_CONSENTED, "sheet_consented", BP_TO_CLIENT,
     {BP_FIELD("bilan", BP_F_ID, REQ, 0, 0), BP_FIELD("sheets", BP_F_ARRAY, REQ, 0, BP_WS_CONSENT_SHEETS),
      BP_FIELD("at", BP_F_INT, REQ, 0, 1LL << 40)}},
    {BP_T_BILAN_CLOSED, "bilan_closed", BP_TO_CLIENT,
     {BP_FIELD("bilan", BP_F_ID, REQ, 0, 0), BP_FIELD("closed", BP_F_INT, REQ, 0, 1LL << 40),
      BP_FIELD("deleted_ops", BP_F_INT, REQ, 0, 1LL << 50), BP_FIELD("deleted_bytes", BP_F_INT, REQ, 0, 1LL << 50),
      BP_FIELD("kept_sheets", BP_F_ARRAY, REQ, 0, BP_WS_CONSENT_SHEETS),
      BP_FIELD("kept_ops", BP_F_INT, REQ, 0, 1LL << 50)}},
    {BP_T_FLOW, "flow", BP_TO_CLIENT,
     {BP_FIELD("kind", BP_F_STR, REQ, 1, 16), BP_FIELD("state", BP_F_STR, REQ, 1, 16),
      BP_FIELD("slot", BP_F_INT, OPT, 0, BP_MAX_MEMBERS - 1), BP_FIELD("allowance", BP_F_INT, OPT, 0, 1LL << 40)}},
};

const char *bp_type_name(enum bp_type t)
{
    for (size_t i = 0; i < sizeof schemas / sizeof schemas[0]; i++)
        if (schemas[i].type == t)
            return schemas[i].name;
    return NULL;
}

static const struct schema *schema_find(const char *name, enum bp_dir dir)
{
    for (size_t i = 0; i < sizeof schemas / sizeof schemas[0]; i++)
        if (schemas[i].dir == dir && !strcmp(schemas[i].name, name))
            return &schemas[i];
    return NULL;
}

static int verr(struct bp_verr *e, int code, const char *fmt, const char *a, const char *b)
{
    if (e) {
        e->code = code;
        snprintf(e->detail, sizeof e->detail, fmt, a, b);
    }
    return code;
}

/* Fields every message may carry, checked before its type is looked up. */
static const struct bp_field envelope[] = {
    BP_FIELD_WHY("type", BP_F_STR, REQ, 0, 32, "must be a short string"),
    BP_FIELD_WHY("ref", BP_F_STR, OPT, 0, BP_REF_MAX, "must be a string of at most 64 bytes"),
};

int bp_msg_validate(const json_t *obj, enum bp_dir dir, enum bp_type *type, struct bp_verr *e)
{
    if (!json_is_object(obj))
        return verr(e, BP_E_BAD_JSON, "message is not a JSON object%s%s", "", "");
    int rc = bp_fields_check(obj, envelope, sizeof envelope / sizeof envelope[0], NULL, e);
    if (rc)
        return rc;
    const json_t *t = json_object_get(obj, "type");
    const struct schema *s = schema_find(json_string_value(t), dir);
    if (!s)
        return verr(e, BP_E_UNKNOWN_TYPE, "unknown message type '%.32s'%s", json_string_value(t), "");
    /* The detail reads "missing field 'v' in 'hello'". */
    char where[40];
    snprintf(where, sizeof where, "'%s'", s->name);
    rc = bp_fields_check(obj, s->fields, FIELDS_MAX, where, e);
    if (rc)
        return rc;
    if (type)
        *type = s->type;
    return 0;
}

int bp_msg_parse(const char *buf, size_t len, enum bp_dir dir, enum bp_type *type,
                 json_t **root, struct bp_verr *e, char *ref_out)
{
    *root = NULL;
    if (ref_out)
        ref_out[0] = '\0';
    if (len > BP_MAX_CTRL)
        return verr(e, BP_E_TOO_LARGE, "text message larger than 64 KiB%s%s", "", "");
    json_error_t jerr;
    /* Duplicate keys would let two readers see two different messages. */
    json_t *obj = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!obj)
        return verr(e, BP_E_BAD_JSON, "invalid JSON: %.100s%s", jerr.text, "");
    const json_t *ref = json_object_get(obj, "ref");
    if (ref_out && json_is_string(ref) && json_string_length(ref) <= BP_REF_MAX &&
        !memchr(json_string_value(ref), '\0', json_string_length(ref)))
        memcpy(ref_out, json_string_value(ref), json_string_length(ref) + 1);
    int rc = bp_msg_validate(obj, dir, type, e);
    if (rc) {
        json_decref(obj);
        return rc;
    }
    *root = obj;
    return 0;
}

const char *bp_str(const json_t *root, const char *key, const char *dflt)
{
    const json_t *v = json_object_get(root, key);
    return json_is_string(v) ? json_string_value(v) : dflt;
}

long long bp_int(const json_t *root, const char *key, long long dflt)
{
    const json_t *v = json_object_get(root, key);
    return json_is_integer(v) ? (long long)json_integer_value(v) : dflt;
}
