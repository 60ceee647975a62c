/* record.c: the co-signed session record (attendance receipt) of
 * PROTOCOL.md §9.3-9.4.
 *
 * Owns: the canonical record text, a signer's attestation text, the
 * Ed25519 signature over "bilan-receipt-v1" 0x00 || record text ||
 * attestation text, a signed refusal ("bilan-refusal-v1"), and the JSON
 * forms of a record, an attestation, a refusal and a receipt file.
 *
 * Invariant: one record has exactly one canonical text and one JSON form.
 * That is why participants must be sorted ascending by bytes and unique:
 * the parser refuses any other order, and bp_record_text refuses to render
 * (so nobody signs) a record the parser would refuse. The same validation
 * function (record_check) guards the text, the builder and the parser's
 * result, so the three cannot drift apart. Each JSON field is checked by
 * the shared validator (bp/fields.h) from the tables above the parsers; the
 * rules between fields (times, participants' order) are written here.
 *
 * Must never: implement a primitive (Ed25519 and SHA-256 are the EVP
 * wrappers of ident.c), do I/O, read a clock, or log. Parsers read only the
 * object they are given, allocate nothing, and zero their output on failure.
 */
#include <stdio.h>
#include <string.h>

#include "bp/b64.h"
#include "bp/data.h"
#include "bp/fields.h"
#include "bp/ident.h"
#include "bp/record.h"
#include "bp/vocab.h"


/* Signed-message prefixes: the label and its 0x00 (sizeof counts the NUL). */
static const char receipt_ctx[] = "bilan-receipt-v1";
static const char refusal_ctx[] = "bilan-refusal-v1";

/* The longest attestation text: three labels, a fingerprint, an int64 in
 * decimal, one digit, three newlines. */
#define ATTEST_TEXT_MAX (sizeof "signer=" + BP_B64_32 + sizeof "received_audio_ms=" + 20 + \
                         sizeof "sas_verified=" + 2)

/* ---- Validation shared by text, builders and parsers ---- */

/* Bounded read of a fixed char array that must hold a NUL-terminated id. */
static int id_field_ok(const char *s)
{
    return bp_id_ok_len(s, strnlen(s, BP_ID_MAX + 1));
}

static int phase_ok(const char *s, size_t n) { return bp_phase_parse(s, n) != BP_PHASE_NONE; }

/* 0 if r is a record the parser would accept, else a static reason. */
static const char *record_check(const struct bp_record *r)
{
    if (!id_field_ok(r->bilan))
        return "bilan";
    if (!id_field_ok(r->session))
        return "session";
    if (!phase_ok(r->phase, strnlen(r->phase, BP_PHASE_MAX + 1)))
        return "phase";
    if (r->start_ms < 0)
        return "start_ms";
    if (r->end_ms < r->start_ms)
        return "end_ms";
    /* Both are non-negative here, so the difference cannot overflow. */
    if (r->face_to_face_ms < 0 || r->face_to_face_ms > r->end_ms - r->start_ms)
        return "face_to_face_ms";
    if (r->n_participants < 1 || r->n_participants > BP_RECORD_MAX_PARTICIPANTS)
        return "participants";
    for (size_t i = 1; i < r->n_participants; i++)
        if (memcmp(r->participants[i - 1], r->participants[i], BP_FP_LEN) >= 0)
            return "participants";
    return NULL;
}

static int attest_fields_ok(const struct bp_attestation *a)
{
    return a->received_audio_ms >= 0 && (a->sas_verified == 0 || a->sas_verified == 1);
}

static int is_participant(const struct bp_record *r, const uint8_t fp[BP_FP_LEN])
{
    for (size_t i = 0; i < r->n_participants && i < BP_RECORD_MAX_PARTICIPANTS; i++)
        if (!memcmp(r->participants[i], fp, BP_FP_LEN))
            return 1;
    return 0;
}

/* ---- Canonical texts ---- */

/* An append-only writer into a caller's buffer; over is sticky. */
struct w {
    char *out;
    size_t cap, len;
    int over;
};

static void w_mem(struct w *w, const char *p, size_t n)
{
    if (w->over || n >= w->cap - w->len) {   /* keep room for the NUL */
        w->over = 1;
        return;
    }
    memcpy(w->out + w->len, p, n);
    w->len += n;
    w->out[w->len] = '\0';
}

static void w_str(struct w *w, const char *s)
{
    w_mem(w, s, strlen(s));
}

/* Non-negative decimal, no sign, no leading zeros (callers checked >= 0). */
static void w_dec(struct w *w, int64_t v)
{
    char buf[24];
    size_t i = sizeof buf;
    uint64_t u = (uint64_t)v;
    do {
        buf[--i] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    w_mem(w, buf + i, sizeof buf - i);
}

static void w_b64(struct w *w, const uint8_t *p, size_t n)
{
    char s[BP_B64_64 + 1];
    w_mem(w, s, bp_b64_encode(p, n, s));
}

static void w_line_dec(struct w *w, const char *label, int64_t v)
{
    w_str(w, label);
    w_dec(w, v);
    w_mem(w, "\n", 1);
}

static void w_line_b64(struct w *w, const char *label, const uint8_t *p, size_t n)
{
    w_str(w, label);
    w_b64(w, p, n);
    w_mem(w, "\n", 1);
}

/* Record text appended to w; r already checked. */
static void record_text(struct w *w, const struct bp_record *r)
{
    w_str(w, "bilan-session-record-v1\n");
    w_str(w, "bilan=");
    w_str(w, r->bilan);
    w_str(w, "\nsession=");
    w_str(w, r->session);
    w_str(w, "\nphase=");
    w_str(w, r->phase);
    w_mem(w, "\n", 1);
    w_line_dec(w, "start_ms=", r->start_ms);
    w_line_dec(w, "end_ms=", r->end_ms);
    w_line_dec(w, "face_to_face_ms=", r->face_to_face_ms);
    for (size_t i = 0; i < r->n_participants; i++)
        w_line_b64(w, "participant=", r->participants[i], BP_FP_LEN);
    w_line_b64(w, "journal_sha256=", r->journal_sha256, 32);
}

/* Attestation text appended to w; a already checked. */
static void attest_text(struct w *w, const struct bp_attestation *a)
{
    w_line_b64(w, "signer=", a->signer, BP_FP_LEN);
    w_line_dec(w, "received_audio_ms=", a->received_audio_ms);
    w_line_dec(w, "sas_verified=", a->sas_verified);
}

int bp_record_text(const struct bp_record *r, char *out, size_t cap)
{
    if (cap)
        out[0] = '\0';
    if (record_check(r))
        return BP_E_INVALID_FIELD;
    struct w w = {out, cap, 0, cap == 0};
    record_text(&w, r);
    if (w.over) {
        if (cap)
            out[0] = '\0';
        return BP_E_TOO_LARGE;
    }
    return (int)w.len;
}

void bp_record_normalize(struct bp_record *r)
{
    /* Out of range is the caller's bug; left as is, bp_record_text refuses it. */
    if (r->n_participants > BP_RECORD_MAX_PARTICIPANTS)
        return;
    size_t n = r->n_participants;
    for (size_t i = 1; i < n; i++) {   /* insertion sort: at most 16 entries */
        uint8_t cur[BP_FP_LEN];
        memcpy(cur, r->participants[i], BP_FP_LEN);
        size_t j = i;
        while (j > 0 && memcmp(r->participants[j - 1], cur, BP_FP_LEN) > 0) {
            memcpy(r->participants[j], r->participants[j - 1], BP_FP_LEN);
            j--;
        }
        memcpy(r->participants[j], cur, BP_FP_LEN);
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (k && !memcmp(r->participants[k - 1], r->participants[i], BP_FP_LEN))
            continue;
        if (k != i)
            memcpy(r->participants[k], r->participants[i], BP_FP_LEN);
        k++;
    }
    if (k < n)
        memset(r->participants[k], 0, (n - k) * BP_FP_LEN);
    r->n_participants = k;
}

/* ---- Signature ---- */

#define SIGNED_MAX (sizeof receipt_ctx + BP_RECORD_TEXT_MAX + ATTEST_TEXT_MAX)

/* "bilan-receipt-v1" 0x00 || record text || attestation text into buf;
 * returns its length, or 0 if r or a would not parse. */
static size_t signed_message(const struct bp_record *r, const struct bp_attestation *a,
                             uint8_t buf[SIGNED_MAX])
{
    if (record_check(r) || !attest_fields_ok(a))
        return 0;
    memcpy(buf, receipt_ctx, sizeof receipt_ctx);
    struct w w = {(char *)buf + sizeof receipt_ctx, SIGNED_MAX - sizeof receipt_ctx, 0, 0};
    record_text(&w, r);
    attest_text(&w, a);
    return w.over ? 0 : sizeof receipt_ctx + w.len;
}

/* The common part of signing a statement about r (an attestation, a
 * refusal): msg (n bytes, 0 when the statement would not parse) signed by the
 * device whose keys are sign_pub/dh_pub and fingerprint signer. */
static int statement_sign(const struct bp_record *r, const uint8_t signer[BP_FP_LEN],
                          const uint8_t sign_pub[BP_KEY_LEN], const uint8_t dh_pub[BP_KEY_LEN], const uint8_t *msg,
                          size_t n, const uint8_t priv[BP_KEY_LEN], uint8_t sig[BP_SIG_LEN])
{
    uint8_t fp[BP_FP_LEN];
    memset(sig, 0, BP_SIG_LEN);
    if (!n)
        return BP_E_INVALID_FIELD;
    if (bp_fingerprint(sign_pub, dh_pub, fp))
        return BP_E_CRYPTO;
    /* A device signs only what it could itself verify: its own fingerprint,
     * in a record that names it. */
    if (memcmp(fp, signer, BP_FP_LEN) || !is_participant(r, signer))
        return BP_E_INVALID_FIELD;
    int rc = bp_ed25519_sign(priv, msg, n, sig);
    /* priv must be the key behind sign_pub, or the signature is useless. */
    if (!rc && bp_ed25519_verify(sign_pub, msg, n, sig))
        rc = BP_E_BAD_SIGNATURE;
    if (rc)
        memset(sig, 0, BP_SIG_LEN);
    return rc;
}

/* The common checks of a statement's signature, after its own fields were
 * checked: a static reason, or NULL when it verifies. */
static const char *statement_check(const struct bp_record *r, const uint8_t signer[BP_FP_LEN],
                                   const uint8_t sign_pub[BP_KEY_LEN], const uint8_t dh_pub[BP_KEY_LEN],
                                   const uint8_t *msg, size_t n, const uint8_t sig[BP_SIG_LEN])
{
    uint8_t fp[BP_FP_LEN];
    if (bp_fingerprint(sign_pub, dh_pub, fp) || memcmp(fp, signer, BP_FP_LEN))
        return "the signer is not the fingerprint of sign_pub and dh_pub";
    if (!is_participant(r, signer))
        return "the signer is not a participant of the record";
    if (!n)
        return "the record is not valid (it would not parse)"; /* not reached: checked before */
    if (bp_ed25519_verify(sign_pub, msg, n, sig))
        return "the signature does not verify";
    return NULL;
}

int bp_attest_sign(const struct bp_record *r, struct bp_attestation *a,
                   const uint8_t priv[BP_KEY_LEN])
{
    uint8_t msg[SIGNED_MAX];
    size_t n = signed_message(r, a, msg);
    return statement_sign(r, a->signer, a->sign_pub, a->dh_pub, msg, n, priv, a->sig);
}

int bp_attest_verify(const struct bp_record *r, const struct bp_attestation *a, const char **why)
{
    uint8_t msg[SIGNED_MAX];
    const char *reason = NULL;
    if (record_check(r))
        reason = "the record is not valid (it would not parse)";
    else if (!attest_fields_ok(a))
        reason = "the attestation is not valid (it would not parse)";
    else
        reason = statement_check(r, a->signer, a->sign_pub, a->dh_pub, msg, signed_message(r, a, msg), a->sig);
    if (why)
        *why = reason;
    return reason ? BP_E_BAD_SIGNATURE : 0;
}

/* ---- Refusals ---- */

int bp_reason_ok(const char *s)
{
    size_t n = strnlen(s, BP_REASON_MAX + 1);
    if (n < 1 || n > BP_REASON_MAX || !bp_utf8_valid((const uint8_t *)s, n))
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return 0;
    return 1;
}

#define REFUSAL_SIGNED_MAX (sizeof refusal_ctx + BP_RECORD_TEXT_MAX + sizeof "signer=" + BP_B64_32 + \
                            sizeof "reason=" + BP_REASON_MAX + 2)

static size_t refusal_message(const struct bp_record *r, const struct bp_refusal *f,
                              uint8_t buf[REFUSAL_SIGNED_MAX])
{
    if (record_check(r) || !bp_reason_ok(f->reason))
        return 0;
    memcpy(buf, refusal_ctx, sizeof refusal_ctx);
    struct w w = {(char *)buf + sizeof refusal_ctx, REFUSAL_SIGNED_MAX - sizeof refusal_ctx, 0, 0};
    record_text(&w, r);
    w_line_b64(&w, "signer=", f->signer, BP_FP_LEN);
    w_str(&w, "reason=");
    w_str(&w, f->reason);
    w_mem(&w, "\n", 1);
    return w.over ? 0 : sizeof refusal_ctx + w.len;
}

int bp_refusal_sign(const struct bp_record *r, struct bp_refusal *f, const uint8_t priv[BP_KEY_LEN])
{
    uint8_t msg[REFUSAL_SIGNED_MAX];
    size_t n = refusal_message(r, f, msg);
    return statement_sign(r, f->signer, f->sign_pub, f->dh_pub, msg, n, priv, f->sig);
}

int bp_refusal_verify(const struct bp_record *r, const struct bp_refusal *f, const char **why)
{
    uint8_t msg[REFUSAL_SIGNED_MAX];
    const char *reason = NULL;
    if (record_check(r))
        reason = "the record is not valid (it would not parse)";
    else if (!bp_reason_ok(f->reason))
        reason = "the reason is not valid (1 to 200 bytes of text on one line)";
    else
        reason = statement_check(r, f->signer, f->sign_pub, f->dh_pub, msg, refusal_message(r, f, msg), f->sig);
    if (why)
        *why = reason;
    return reason ? BP_E_BAD_SIGNATURE : 0;
}

/* ---- JSON builders ---- */

static int set_b64(json_t *o, const char *name, const uint8_t *p, size_t n)
{
    char s[BP_B64_64 + 1];
    bp_b64_encode(p, n, s);
    return json_object_set_new(o, name, json_string(s));
}

static int set_int(json_t *o, const char *name, int64_t v)
{
    return json_object_set_new(o, name, json_integer((json_int_t)v));
}

json_t *bp_record_to_json(const struct bp_record *r)
{
    if (record_check(r))
        return NULL;   /* would not parse on the other side */
    json_t *o = json_object(), *ps = json_array();
    if (!o || !ps)
        goto fail;
    for (size_t i = 0; i < r->n_participants; i++) {
        char s[BP_B64_32 + 1];
        bp_b64_encode(r->participants[i], BP_FP_LEN, s);
        if (json_array_append_new(ps, json_string(s)))
            goto fail;
    }
    int bad = set_int(o, "v", 1) || json_object_set_new(o, "bilan", json_string(r->bilan)) ||
              json_object_set_new(o, "session", json_string(r->session)) ||
              json_object_set_new(o, "phase", json_string(r->phase)) ||
              set_int(o, "start_ms", r->start_ms) || set_int(o, "end_ms", r->end_ms) ||
              set_int(o, "face_to_face_ms", r->face_to_face_ms);
    if (bad)
        goto fail;
    bad = json_object_set_new(o, "participants", ps);
    ps = NULL;   /* owned by o now, even when the set failed */
    if (bad || set_b64(o, "journal_sha256", r->journal_sha256, 32))
        goto fail;
    return o;
fail:
    json_decref(ps);
    json_decref(o);
    return NULL;
}

json_t *bp_attest_to_json(const struct bp_attestation *a)
{
    if (!attest_fields_ok(a))
        return NULL;
    json_t *o = json_object();
    if (!o || set_b64(o, "signer", a->signer, BP_FP_LEN) ||
        set_b64(o, "sign_pub", a->sign_pub, BP_KEY_LEN) ||
        set_b64(o, "dh_pub", a->dh_pub, BP_KEY_LEN) ||
        set_int(o, "received_audio_ms", a->received_audio_ms) ||
        json_object_set_new(o, "sas_verified", json_boolean(a->sas_verified)) ||
        set_b64(o, "sig", a->sig, BP_SIG_LEN)) {
        json_decref(o);
        return NULL;
    }
    return o;
}

json_t *bp_refusal_to_json(const struct bp_refusal *f)
{
    if (!bp_reason_ok(f->reason))
        return NULL;
    json_t *o = json_object();
    if (!o || set_b64(o, "signer", f->signer, BP_FP_LEN) || set_b64(o, "sign_pub", f->sign_pub, BP_KEY_LEN) ||
        set_b64(o, "dh_pub", f->dh_pub, BP_KEY_LEN) || json_object_set_new(o, "reason", json_string(f->reason)) ||
        set_b64(o, "sig", f->sig, BP_SIG_LEN)) {
        json_decref(o);
        return NULL;
    }
    return o;
}

json_t *bp_receipt_to_json(const struct bp_receipt *rc)
{
    if (rc->n_sigs > BP_RECORD_MAX_PARTICIPANTS || rc->n_refusals > BP_RECORD_MAX_PARTICIPANTS)
        return NULL;
    json_t *o = json_object(), *sigs = json_array(), *refs = rc->n_refusals ? json_array() : NULL;
    if (!o || !sigs || (rc->n_refusals && !refs) || set_int(o, "receipt", 1) ||
        json_object_set_new(o, "record", bp_record_to_json(&rc->record)))
        goto fail;
    for (size_t i = 0; i < rc->n_sigs; i++)
        if (json_array_append_new(sigs, bp_attest_to_json(&rc->sigs[i])))
            goto fail;
    for (size_t i = 0; i < rc->n_refusals; i++)
        if (json_array_append_new(refs, bp_refusal_to_json(&rc->refusals[i])))
            goto fail;
    int bad = json_object_set_new(o, "signatures", sigs);
    sigs = NULL;
    if (bad)
        goto fail;
    if (refs) {
        bad = json_object_set_new(o, "refusals", refs);
        refs = NULL;
        if (bad)
            goto fail;
    }
    return o;
fail:
    json_decref(refs);
    json_decref(sigs);
    json_decref(o);
    return NULL;
}

/* ---- JSON parsers ---- */

#define REQ BP_FIELD_REQ
#define OPT BP_FIELD_OPT
#define NFIELDS(a) (sizeof(a) / sizeof(a)[0])
#define MS(name) BP_FIELD_WHY(name, BP_F_INT, REQ, 0, INT64_MAX, "must be a non-negative integer")
#define FP(name) BP_FIELD(name, BP_F_B64, REQ, 0, BP_FP_LEN)

/* The fields of each object (PROTOCOL.md §9.4), checked by bp/fields.h in
 * the order written; the rules between fields are checked here. A receipt
 * file is shown to people who verify it: the reasons are theirs to read. */
static const struct bp_field record_fields[] = {
    BP_FIELD_WHY("v", BP_F_INT, REQ, 1, 1, "must be 1"),
    BP_FIELD("bilan", BP_F_ID, REQ, 0, 0),
    BP_FIELD("session", BP_F_ID, REQ, 0, 0),
    BP_FIELD("phase", BP_F_PHASE, REQ, 0, 0),
    MS("start_ms"),
    MS("end_ms"),
    MS("face_to_face_ms"),
};
/* After the times agree with each other. */
static const struct bp_field record_tail[] = {
    BP_FIELD_WHY("participants", BP_F_ARRAY, REQ, 1, BP_RECORD_MAX_PARTICIPANTS,
                 "must be an array of 1 to 16 fingerprints"),
    BP_FIELD("journal_sha256", BP_F_B64, REQ, 0, 32),
};
static const struct bp_field attest_fields[] = {
    FP("signer"),
    BP_FIELD("sign_pub", BP_F_B64, REQ, 0, BP_KEY_LEN),
    BP_FIELD("dh_pub", BP_F_B64, REQ, 0, BP_KEY_LEN),
    MS("received_audio_ms"),
    BP_FIELD("sas_verified", BP_F_BOOL, REQ, 0, 0),
    BP_FIELD("sig", BP_F_B64, REQ, 0, BP_SIG_LEN),
};
static const struct bp_field refusal_fields[] = {
    FP("signer"),
    BP_FIELD("sign_pub", BP_F_B64, REQ, 0, BP_KEY_LEN),
    BP_FIELD("dh_pub", BP_F_B64, REQ, 0, BP_KEY_LEN),
    BP_FIELD_WHY("reason", BP_F_LINE, REQ, 1, BP_REASON_MAX,
                 "must be 1 to 200 bytes of text on one line"),
    BP_FIELD("sig", BP_F_B64, REQ, 0, BP_SIG_LEN),
};
/* Checked one at a time: each array's elements are parsed before the next field. */
static const struct bp_field receipt_fields[] = {
    BP_FIELD_WHY("receipt", BP_F_INT, REQ, 1, 1, "must be 1"),
    BP_FIELD("record", BP_F_OBJECT, REQ, 0, 0),
    BP_FIELD_WHY("signatures", BP_F_ARRAY, REQ, 0, BP_RECORD_MAX_PARTICIPANTS,
                 "must be an array of at most 16 signatures"),
    BP_FIELD_WHY("refusals", BP_F_ARRAY, OPT, 0, BP_RECORD_MAX_PARTICIPANTS,
                 "must be an array of at most 16 refusals"),
};

/* "a record must be a JSON object", "signatures[3] must be a JSON object". */
static int not_object(struct bp_verr *e, const char *article, const char *where)
{
    if (e) {
        e->code = BP_E_INVALID_FIELD;
        snprintf(e->detail, sizeof e->detail, "%s%s must be a JSON object", article, where);
    }
    return BP_E_INVALID_FIELD;
}

static int64_t get_int(const json_t *o, const char *name)
{
    return (int64_t)json_integer_value(json_object_get(o, name));
}

static int parse_record(const json_t *o, struct bp_record *r, struct bp_verr *e)
{
    static const char where[] = "record";
    int rc;
    if (!json_is_object(o))
        return not_object(e, "a ", where);
    if ((rc = bp_fields_check(o, record_fields, NFIELDS(record_fields), where, e)))
        return rc;
    r->start_ms = get_int(o, "start_ms");
    r->end_ms = get_int(o, "end_ms");
    r->face_to_face_ms = get_int(o, "face_to_face_ms");
    if (r->end_ms < r->start_ms)
        return bp_field_refuse("end_ms", where, "must not be before start_ms", e);
    if (r->face_to_face_ms > r->end_ms - r->start_ms)
        return bp_field_refuse("face_to_face_ms", where, "must not exceed end_ms - start_ms", e);
    if ((rc = bp_fields_check(o, record_tail, 1, where, e)))
        return rc;
    const json_t *v = json_object_get(o, "participants");
    size_t n = json_array_size(v);
    for (size_t i = 0; i < n; i++) {
        char name[40];
        snprintf(name, sizeof name, "participants[%zu]", i);
        const struct bp_field one = FP(name);
        const json_t *p = json_array_get(v, i);
        if ((rc = bp_field_check_value(p, &one, where, e)))
            return rc;
        bp_b64_decode(json_string_value(p), json_string_length(p), r->participants[i], BP_FP_LEN);
        if (i > 0) {
            int c = memcmp(r->participants[i - 1], r->participants[i], BP_FP_LEN);
            if (c == 0)
                return bp_field_refuse("participants", where, "must not contain a fingerprint twice", e);
            if (c > 0)
                return bp_field_refuse("participants", where, "must be sorted ascending by their bytes", e);
        }
    }
    r->n_participants = n;
    if ((rc = bp_fields_check(o, record_tail + 1, 1, where, e)) ||
        (rc = bp_fields_str(o, "bilan", r->bilan, sizeof r->bilan)) < 0 ||
        (rc = bp_fields_str(o, "session", r->session, sizeof r->session)) < 0 ||
        (rc = bp_fields_str(o, "phase", r->phase, sizeof r->phase)) < 0)
        return rc;
    return bp_fields_bytes(o, "journal_sha256", r->journal_sha256, 32);
}

/* The keys an attestation and a refusal share. */
static int get_signer(const json_t *o, uint8_t signer[BP_FP_LEN], uint8_t sign_pub[BP_KEY_LEN],
                      uint8_t dh_pub[BP_KEY_LEN], uint8_t sig[BP_SIG_LEN])
{
    int rc;
    if ((rc = bp_fields_bytes(o, "signer", signer, BP_FP_LEN)) ||
        (rc = bp_fields_bytes(o, "sign_pub", sign_pub, BP_KEY_LEN)) ||
        (rc = bp_fields_bytes(o, "dh_pub", dh_pub, BP_KEY_LEN)))
        return rc;
    return bp_fields_bytes(o, "sig", sig, BP_SIG_LEN);
}

static int parse_attest(const json_t *o, struct bp_attestation *a, const char *where,
                        struct bp_verr *e)
{
    int rc;
    if (!json_is_object(o))
        return not_object(e, "", where);
    if ((rc = bp_fields_check(o, attest_fields, NFIELDS(attest_fields), where, e)))
        return rc;
    a->received_audio_ms = get_int(o, "received_audio_ms");
    a->sas_verified = json_is_true(json_object_get(o, "sas_verified")) ? 1 : 0;
    return get_signer(o, a->signer, a->sign_pub, a->dh_pub, a->sig);
}

static int parse_refusal(const json_t *o, struct bp_refusal *f, const char *where, struct bp_verr *e)
{
    int rc;
    if (!json_is_object(o))
        return not_object(e, "", where);
    if ((rc = bp_fields_check(o, refusal_fields, NFIELDS(refusal_fields), where, e)) ||
        (rc = bp_fields_str(o, "reason", f->reason, sizeof f->reason)) < 0)
        return rc;
    return get_signer(o, f->signer, f->sign_pub, f->dh_pub, f->sig);
}

int bp_refusal_from_json(const json_t *o, struct bp_refusal *f, struct bp_verr *e)
{
    memset(f, 0, sizeof *f);
    int rc = parse_refusal(o, f, "refusal", e);
    if (rc)
        memset(f, 0, sizeof *f);
    return rc;
}

int bp_record_from_json(const json_t *o, struct bp_record *r, struct bp_verr *e)
{
    memset(r, 0, sizeof *r);
    int rc = parse_record(o, r, e);
    if (rc)
        memset(r, 0, sizeof *r);
    return rc;
}

int bp_attest_from_json(const json_t *o, struct bp_attestation *a, struct bp_verr *e)
{
    memset(a, 0, sizeof *a);
    int rc = parse_attest(o, a, "attestation", e);
    if (rc)
        memset(a, 0, sizeof *a);
    return rc;
}

static int parse_receipt(const json_t *o, struct bp_receipt *rc, struct bp_verr *e)
{
    static const char where[] = "receipt";
    int err;
    if (!json_is_object(o))
        return not_object(e, "a ", where);
    if ((err = bp_fields_check(o, receipt_fields, 2, where, e)) ||
        (err = parse_record(json_object_get(o, "record"), &rc->record, e)) ||
        (err = bp_fields_check(o, receipt_fields + 2, 1, where, e)))
        return err;
    const json_t *v = json_object_get(o, "signatures");
    for (size_t i = 0; i < json_array_size(v); i++) {
        char sw[40];
        snprintf(sw, sizeof sw, "signatures[%zu]", i);
        if ((err = parse_attest(json_array_get(v, i), &rc->sigs[i], sw, e)))
            return err;
    }
    rc->n_sigs = json_array_size(v);
    if ((err = bp_fields_check(o, receipt_fields + 3, 1, where, e)))
        return err;
    v = json_object_get(o, "refusals");
    for (size_t i = 0; i < json_array_size(v); i++) {
        char sw[40];
        snprintf(sw, sizeof sw, "refusals[%zu]", i);
        if ((err = parse_refusal(json_array_get(v, i), &rc->refusals[i], sw, e)))
            return err;
    }
    rc->n_refusals = json_array_size(v);
    return 0;
}

int bp_receipt_from_json(const json_t *o, struct bp_receipt *rc, struct bp_verr *e)
{
    memset(rc, 0, sizeof *rc);
    int err = parse_receipt(o, rc, e);
    if (err)
        memset(rc, 0, sizeof *rc);
    return err;
}
