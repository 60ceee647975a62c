/* msg.c: control-message schemas and validation (PROTOCOL.md §3).
 *
 * Owns the one table of message types, their wire names and their fields.
 * A message is valid when it is a JSON object whose "type" names a message of
 * the expected direction and whose fields meet the schema; unknown fields are
 * ignored so that minor additions stay compatible. Validation never allocates
 * beyond jansson's parse and never keeps a pointer after returning. */
#include <stdio.h>
#include <string.h>

#include "bp/bp.h"

enum field_kind {
    F_STR,   /* UTF-8 string, length in bytes within [min, max] */
    F_INT,   /* integer within [min, max] */
    F_BOOL,
    F_KEY,   /* base64url of exactly 32 bytes (keys, tokens, nonces, fingerprints) */
    F_SIG,   /* base64url of exactly 64 bytes */
    F_ID,    /* [A-Za-z0-9_-]{1,64} */
    F_ROLE,  /* "consultant" | "beneficiary" */
    F_ARRAY, /* array of at most max objects (contents checked by the reader) */
    F_OBJECT, /* JSON object (contents checked by its reader; size capped by the server) */
    F_PHASE, /* "preliminaire" | "investigation" | "conclusion" | "suivi" (PROTOCOL.md §9) */
};

struct field {
    const char *name;
    enum field_kind kind;
    int required;
    long long min, max;
};

#define REQ 1
#define OPT 0
#define FIELDS_MAX 8

struct schema {
    enum bp_type type;
    const char *name;
    enum bp_dir dir;
    struct field fields[FIELDS_MAX];
};

static const struct schema schemas[] = {
    /* client -> server */
    {BP_T_HELLO, "hello", BP_TO_SERVER,
     {{"v", F_INT, REQ, 0, 65535}, {"client", F_STR, OPT, 0, BP_NAME_MAX}}},
    {BP_T_ENROL, "enrol", BP_TO_SERVER,
     {{"token", F_KEY, REQ, 0, 0}, {"sign_pub", F_KEY, REQ, 0, 0}, {"dh_pub", F_KEY, REQ, 0, 0},
      {"sig", F_SIG, REQ, 0, 0}, {"device_name", F_STR, OPT, 0, BP_NAME_MAX}}},
    {BP_T_AUTH, "auth", BP_TO_SERVER,
     {{"device", F_KEY, REQ, 0, 0}, {"sig", F_SIG, REQ, 0, 0}}},
    {BP_T_BILAN_CREATE, "bilan_create", BP_TO_SERVER,
     {{"label", F_STR, REQ, 1, BP_LABEL_MAX}, {"budget_s", F_INT, OPT, 3600, BP_CAP_S},
      {"invite_ttl_s", F_INT, OPT, 60, 30 * 86400}}},
    {BP_T_INVITE_CREATE, "invite_create", BP_TO_SERVER,
     {{"bilan", F_ID, REQ, 0, 0}, {"invite_ttl_s", F_INT, OPT, 60, 30 * 86400}}},
    {BP_T_BILAN_LIST, "bilan_list", BP_TO_SERVER, {{0}}},
    {BP_T_JOIN, "join", BP_TO_SERVER, {{"bilan", F_ID, REQ, 0, 0}}},
    {BP_T_LEAVE, "leave", BP_TO_SERVER, {{0}}},
    {BP_T_STATS, "stats", BP_TO_SERVER, {{0}}},
    {BP_T_E2E, "e2e", BP_TO_SERVER,
     {{"to", F_INT, OPT, 0, BP_MAX_MEMBERS - 1}, {"body", F_OBJECT, REQ, 0, 0}}},
    /* sessions, hours, receipts (PROTOCOL.md §9) */
    {BP_T_SESSION_OPEN, "session_open", BP_TO_SERVER, {{"phase", F_PHASE, REQ, 0, 0}}},
    {BP_T_SESSION_CLOSE, "session_close", BP_TO_SERVER, {{0}}},
    {BP_T_HOURS, "hours", BP_TO_SERVER, {{"bilan", F_ID, REQ, 0, 0}}},
    {BP_T_PERSONAL_DECLARE, "personal_declare", BP_TO_SERVER,
     {{"bilan", F_ID, REQ, 0, 0}, {"seconds", F_INT, REQ, 60, 86400},
      {"note", F_STR, OPT, 0, 200}}},
    {BP_T_RECEIPT, "receipt", BP_TO_SERVER,
     {{"session", F_ID, REQ, 0, 0}, {"received_audio_ms", F_INT, REQ, 0, 1LL << 40},
      {"sas_verified", F_BOOL, REQ, 0, 0}, {"sig", F_SIG, REQ, 0, 0}}},
    {BP_T_RECEIPT_REFUSAL, "receipt_refusal", BP_TO_SERVER,
     {{"session", F_ID, REQ, 0, 0}, {"reason", F_STR, REQ, 1, 200}, {"sig", F_SIG, REQ, 0, 0}}},
    /* server -> client */
    {BP_T_CHALLENGE, "challenge", BP_TO_CLIENT,
     {{"v", F_INT, REQ, 0, 65535}, {"nonce", F_KEY, REQ, 0, 0}, {"server", F_STR, OPT, 0, BP_NAME_MAX}}},
    {BP_T_WELCOME, "welcome", BP_TO_CLIENT,
     {{"role", F_ROLE, REQ, 0, 0}, {"device", F_KEY, REQ, 0, 0}, {"name", F_STR, OPT, 0, BP_NAME_MAX},
      {"bilans", F_ARRAY, OPT, 0, 100000}, {"bilan", F_ID, OPT, 0, 0}}},
    {BP_T_BILAN_CREATED, "bilan_created", BP_TO_CLIENT,
     {{"bilan", F_ID, REQ, 0, 0}, {"label", F_STR, REQ, 1, BP_LABEL_MAX},
      {"budget_s", F_INT, REQ, 0, BP_CAP_S}, {"invite_token", F_KEY, REQ, 0, 0},
      {"invite_expires", F_INT, REQ, 0, 1LL << 40}}},
    {BP_T_INVITE_CREATED, "invite_created", BP_TO_CLIENT,
     {{"bilan", F_ID, REQ, 0, 0}, {"invite_token", F_KEY, REQ, 0, 0},
      {"invite_expires", F_INT, REQ, 0, 1LL << 40}}},
    {BP_T_BILANS, "bilans", BP_TO_CLIENT, {{"bilans", F_ARRAY, REQ, 0, 100000}}},
    {BP_T_JOINED, "joined", BP_TO_CLIENT,
     {{"bilan", F_ID, REQ, 0, 0}, {"slot", F_INT, REQ, 0, BP_MAX_MEMBERS - 1},
      {"role", F_ROLE, REQ, 0, 0}, {"members", F_ARRAY, REQ, 0, BP_MAX_MEMBERS}}},
    {BP_T_MEMBER_JOINED, "member_joined", BP_TO_CLIENT,
     {{"slot", F_INT, REQ, 0, BP_MAX_MEMBERS - 1}, {"device", F_KEY, REQ, 0, 0},
      {"role", F_ROLE, REQ, 0, 0}, {"beneficiary_devices", F_INT, OPT, 1, 1000000}}},
    {BP_T_MEMBER_LEFT, "member_left", BP_TO_CLIENT,
     {{"slot", F_INT, REQ, 0, BP_MAX_MEMBERS - 1}, {"device", F_KEY, REQ, 0, 0},
      {"role", F_ROLE, REQ, 0, 0}, {"reason", F_STR, REQ, 1, 32}}},
    {BP_T_LEFT, "left", BP_TO_CLIENT, {{"bilan", F_ID, REQ, 0, 0}}},
    {BP_T_STATS_REPLY, "stats", BP_TO_CLIENT,
     {{"queued_bytes", F_INT, REQ, 0, 1LL << 40}, {"dropped_video", F_INT, REQ, 0, 1LL << 50},
      {"frames_in", F_INT, REQ, 0, 1LL << 50}, {"frames_out", F_INT, REQ, 0, 1LL << 50}}},
    {BP_T_KEYFRAME_REQUEST, "keyframe_request", BP_TO_CLIENT,
     {{"slot", F_INT, OPT, 0, BP_MAX_MEMBERS - 1}, {"reason", F_STR, OPT, 0, 32}}},
    {BP_T_ERROR, "error", BP_TO_CLIENT,
     {{"code", F_STR, REQ, 1, 32}, {"message", F_STR, REQ, 0, 512}, {"fatal", F_BOOL, OPT, 0, 0}}},
    {BP_T_E2E_RELAY, "e2e", BP_TO_CLIENT,
     {{"from", F_INT, REQ, 0, BP_MAX_MEMBERS - 1}, {"device", F_KEY, REQ, 0, 0},
      {"body", F_OBJECT, REQ, 0, 0}}},
    {BP_T_SESSION_OPENED, "session_opened", BP_TO_CLIENT,
     {{"bilan", F_ID, REQ, 0, 0}, {"session", F_ID, REQ, 0, 0}, {"phase", F_PHASE, REQ, 0, 0},
      {"start_ms", F_INT, REQ, 0, 1LL << 50}}},
    {BP_T_SESSION_CLOSED, "session_closed", BP_TO_CLIENT,
     {{"bilan", F_ID, REQ, 0, 0}, {"session", F_ID, REQ, 0, 0}, {"end_ms", F_INT, REQ, 0, 1LL << 50},
      {"face_to_face_ms", F_INT, REQ, 0, 1LL << 50}, {"reason", F_STR, REQ, 1, 32}}},
    {BP_T_HOURS_REPORT, "hours_report", BP_TO_CLIENT,
     {{"bilan", F_ID, REQ, 0, 0}, {"report", F_OBJECT, REQ, 0, 0}}},
    {BP_T_PERSONAL_DECLARED, "personal_declared", BP_TO_CLIENT,
     {{"bilan", F_ID, REQ, 0, 0}, {"seconds", F_INT, REQ, 60, 86400}}},
    {BP_T_HOURS_UPDATE, "hours_update", BP_TO_CLIENT,
     {{"bilan", F_ID, REQ, 0, 0}, {"face_to_face_ms", F_INT, REQ, 0, 1LL << 50},
      {"budget_s", F_INT, REQ, 0, 1000000}, {"remaining_ms", F_INT, REQ, 0, 1LL << 50},
      {"session", F_ID, OPT, 0, 0}, {"phase", F_PHASE, OPT, 0, 0},
      {"session_elapsed_ms", F_INT, OPT, 0, 1LL << 50},
      {"session_face_to_face_ms", F_INT, OPT, 0, 1LL << 50}}},
    {BP_T_BUDGET_WARNING, "budget_warning", BP_TO_CLIENT,
     {{"bilan", F_ID, REQ, 0, 0}, {"level", F_INT, REQ, 80, 100},
      {"face_to_face_ms", F_INT, REQ, 0, 1LL << 50}, {"budget_s", F_INT, REQ, 0, 1000000}}},
    {BP_T_SESSION_RECORD, "session_record", BP_TO_CLIENT, {{"record", F_OBJECT, REQ, 0, 0}}},
    {BP_T_RECEIPT_OK, "receipt_ok", BP_TO_CLIENT, {{"session", F_ID, REQ, 0, 0}}},
    {BP_T_RECEIPT_REFUSED, "receipt_refused", BP_TO_CLIENT, {{"session", F_ID, REQ, 0, 0}}},
    /* flow control (PROTOCOL.md §4 "Queues"); kind and state are checked by the reader, which
     * ignores values it does not know */
    {BP_T_FLOW, "flow", BP_TO_CLIENT,
     {{"kind", F_STR, REQ, 1, 16}, {"state", F_STR, REQ, 1, 16},
      {"slot", F_INT, OPT, 0, BP_MAX_MEMBERS - 1}, {"allowance", F_INT, OPT, 0, 1LL << 40}}},
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

int bp_id_ok(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n > BP_ID_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

static int field_ok(const struct field *f, const json_t *v, const char **why)
{
    uint8_t tmp[BP_SIG_LEN];
    switch (f->kind) {
    case F_STR: {
        if (!json_is_string(v)) {
            *why = "must be a string";
            return 0;
        }
        size_t n = json_string_length(v);
        if ((long long)n < f->min || (long long)n > f->max) {
            *why = "has a length out of range";
            return 0;
        }
        if (memchr(json_string_value(v), '\0', n)) {
            *why = "must not contain NUL";
            return 0;
        }
        return 1;
    }
    case F_INT: {
        if (!json_is_integer(v)) {
            *why = "must be an integer";
            return 0;
        }
        json_int_t x = json_integer_value(v);
        if (x < f->min || x > f->max) {
            *why = "is out of range";
            return 0;
        }
        return 1;
    }
    case F_BOOL:
        if (!json_is_boolean(v)) {
            *why = "must be true or false";
            return 0;
        }
        return 1;
    case F_KEY:
    case F_SIG:
        if (!json_is_string(v) ||
            bp_b64_decode_exact(json_string_value(v), tmp, f->kind == F_KEY ? 32 : 64) != 0) {
            *why = f->kind == F_KEY ? "must be 32 bytes in base64url without padding (43 characters)"
                                    : "must be 64 bytes in base64url without padding (86 characters)";
            return 0;
        }
        return 1;
    case F_ID:
        if (!json_is_string(v) || !bp_id_ok(json_string_value(v))) {
            *why = "must be an identifier of 1 to 64 characters A-Z a-z 0-9 _ -";
            return 0;
        }
        return 1;
    case F_ROLE:
        if (!json_is_string(v) ||
            bp_role_parse(json_string_value(v), json_string_length(v)) == BP_ROLE_NONE) {
            *why = "must be \"consultant\" or \"beneficiary\"";
            return 0;
        }
        return 1;
    case F_ARRAY:
        if (!json_is_array(v) || (long long)json_array_size(v) > f->max) {
            *why = "must be an array of bounded size";
            return 0;
        }
        return 1;
    case F_OBJECT:
        if (!json_is_object(v)) {
            *why = "must be a JSON object";
            return 0;
        }
        return 1;
    case F_PHASE:
        if (json_is_string(v) &&
            bp_phase_parse(json_string_value(v), json_string_length(v)) != BP_PHASE_NONE)
            return 1;
        *why = "must be one of " BP_PHASE_LIST;
        return 0;
    }
    *why = "has an unknown kind";
    return 0;
}

int bp_msg_validate(const json_t *obj, enum bp_dir dir, enum bp_type *type, struct bp_verr *e)
{
    if (!json_is_object(obj))
        return verr(e, BP_E_BAD_JSON, "message is not a JSON object%s%s", "", "");
    const json_t *t = json_object_get(obj, "type");
    if (!t)
        return verr(e, BP_E_MISSING_FIELD, "missing field 'type'%s%s", "", "");
    if (!json_is_string(t) || json_string_length(t) > 32)
        return verr(e, BP_E_INVALID_FIELD, "field 'type' must be a short string%s%s", "", "");
    const json_t *ref = json_object_get(obj, "ref");
    if (ref && (!json_is_string(ref) || json_string_length(ref) > BP_REF_MAX))
        return verr(e, BP_E_INVALID_FIELD, "field 'ref' must be a string of at most 64 bytes%s%s",
                    "", "");
    const struct schema *s = schema_find(json_string_value(t), dir);
    if (!s)
        return verr(e, BP_E_UNKNOWN_TYPE, "unknown message type '%.32s'%s", json_string_value(t), "");
    for (int i = 0; i < FIELDS_MAX && s->fields[i].name; i++) {
        const struct field *f = &s->fields[i];
        const json_t *v = json_object_get(obj, f->name);
        if (!v) {
            if (f->required)
                return verr(e, BP_E_MISSING_FIELD, "missing field '%s' in '%s'", f->name, s->name);
            continue;
        }
        const char *why = "";
        if (!field_ok(f, v, &why)) {
            char what[64];
            snprintf(what, sizeof what, "%s' in '%s", f->name, s->name);
            return verr(e, BP_E_INVALID_FIELD, "field '%s' %s", what, why);
        }
    }
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
