/* test_record.c: proto/record.c, the co-signed session record of
 * PROTOCOL.md §9.3-9.4, with real generated identities.
 *
 * The canonical text is checked byte for byte against text written here
 * from PROTOCOL.md; the signed message is re-built here and signed with the
 * bare Ed25519 wrapper, so a byte out of place in the label, the 0x00 or a
 * line shows up as a mismatch (Ed25519 is deterministic). Then: every
 * changed field breaks a signature, the parser refuses each rule with a
 * detail naming the field, and JSON forms round-trip through text.
 * argv[1] (the vectors directory) is not needed. */
#include <string.h>

#include "bp/bp.h"
#include "bp/record.h"
#include "../check.h"

/* ---- A fixed record and its text, from PROTOCOL.md §9.4 ---- */

static void fixed_record(struct bp_record *r)
{
    memset(r, 0, sizeof *r);
    strcpy(r->bilan, "bDupont_2024");
    strcpy(r->session, "s-0001");
    strcpy(r->phase, "investigation");
    r->start_ms = 1718000000000;
    r->end_ms = 1718003600000;
    r->face_to_face_ms = 3540000;
    r->n_participants = 2;
    memset(r->participants[0], 0x11, BP_FP_LEN);
    for (int i = 0; i < BP_FP_LEN; i++)
        r->participants[1][i] = (uint8_t)(0xa0 + i);
    CHECK(bp_sha256((const uint8_t *)"", 0, r->journal_sha256) == 0);
}

static const char FIXED_TEXT[] =
    "bilan-session-record-v1\n"
    "bilan=bDupont_2024\n"
    "session=s-0001\n"
    "phase=investigation\n"
    "start_ms=1718000000000\n"
    "end_ms=1718003600000\n"
    "face_to_face_ms=3540000\n"
    "participant=ERERERERERERERERERERERERERERERERERERERERERE\n"
    "participant=oKGio6SlpqeoqaqrrK2ur7CxsrO0tba3uLm6u7y9vr8\n"
    "journal_sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU\n";

static void test_text(void)
{
    struct bp_record r;
    char out[BP_RECORD_TEXT_MAX];
    fixed_record(&r);
    int n = bp_record_text(&r, out, sizeof out);
    CHECK_EQ_INT(n, (int)strlen(FIXED_TEXT));
    CHECK_STR(out, FIXED_TEXT);
    /* Exactly enough room (text + NUL), and one byte less. */
    CHECK_EQ_INT(bp_record_text(&r, out, strlen(FIXED_TEXT) + 1), (int)strlen(FIXED_TEXT));
    CHECK_EQ_INT(bp_record_text(&r, out, strlen(FIXED_TEXT)), BP_E_TOO_LARGE);
    CHECK_EQ_INT(bp_record_text(&r, NULL, 0), BP_E_TOO_LARGE);
    /* Zero durations and a zero start are valid. */
    r.start_ms = r.end_ms = r.face_to_face_ms = 0;
    CHECK(bp_record_text(&r, out, sizeof out) > 0);
    CHECK(strstr(out, "\nstart_ms=0\nend_ms=0\nface_to_face_ms=0\n") != NULL);

    /* Refusals: anything the parser would refuse. */
    fixed_record(&r);
    struct bp_record b;
    b = r; b.bilan[0] = '\0';
    CHECK_EQ_INT(bp_record_text(&b, out, sizeof out), BP_E_INVALID_FIELD);
    b = r; strcpy(b.bilan, "a b");
    CHECK_EQ_INT(bp_record_text(&b, out, sizeof out), BP_E_INVALID_FIELD);
    b = r; memset(b.bilan, 'a', sizeof b.bilan);   /* no NUL inside 65 bytes */
    CHECK_EQ_INT(bp_record_text(&b, out, sizeof out), BP_E_INVALID_FIELD);
    b = r; strcpy(b.session, "s\n1");
    CHECK_EQ_INT(bp_record_text(&b, out, sizeof out), BP_E_INVALID_FIELD);
    b = r; strcpy(b.phase, "suivi2");
    CHECK_EQ_INT(bp_record_text(&b, out, sizeof out), BP_E_INVALID_FIELD);
    b = r; b.start_ms = -1;
    CHECK_EQ_INT(bp_record_text(&b, out, sizeof out), BP_E_INVALID_FIELD);
    b = r; b.end_ms = b.start_ms - 1;
    CHECK_EQ_INT(bp_record_text(&b, out, sizeof out), BP_E_INVALID_FIELD);
    b = r; b.face_to_face_ms = b.end_ms - b.start_ms + 1;
    CHECK_EQ_INT(bp_record_text(&b, out, sizeof out), BP_E_INVALID_FIELD);
    b = r; b.face_to_face_ms = -1;
    CHECK_EQ_INT(bp_record_text(&b, out, sizeof out), BP_E_INVALID_FIELD);
    b = r; b.n_participants = 0;
    CHECK_EQ_INT(bp_record_text(&b, out, sizeof out), BP_E_INVALID_FIELD);
    b = r; b.n_participants = BP_RECORD_MAX_PARTICIPANTS + 1;
    CHECK_EQ_INT(bp_record_text(&b, out, sizeof out), BP_E_INVALID_FIELD);
    b = r; memcpy(b.participants[0], r.participants[1], BP_FP_LEN);
    memcpy(b.participants[1], r.participants[0], BP_FP_LEN);   /* unsorted */
    CHECK_EQ_INT(bp_record_text(&b, out, sizeof out), BP_E_INVALID_FIELD);
    CHECK_STR(out, "");
    b = r; memcpy(b.participants[1], r.participants[0], BP_FP_LEN);   /* duplicated */
    CHECK_EQ_INT(bp_record_text(&b, out, sizeof out), BP_E_INVALID_FIELD);
    CHECK(bp_record_to_json(&b) == NULL);
}

static void test_normalize(void)
{
    struct bp_record r;
    memset(&r, 0, sizeof r);
    const uint8_t order[] = {5, 3, 9, 3, 1, 5, 5, 0xff, 0};
    r.n_participants = sizeof order;
    for (size_t i = 0; i < sizeof order; i++) {
        memset(r.participants[i], 0x40, BP_FP_LEN);
        r.participants[i][BP_FP_LEN - 1] = order[i];   /* differ in the last byte only */
    }
    bp_record_normalize(&r);
    const uint8_t want[] = {0, 1, 3, 5, 9, 0xff};
    CHECK_EQ_INT(r.n_participants, sizeof want);
    for (size_t i = 0; i < sizeof want; i++)
        CHECK_EQ_INT(r.participants[i][BP_FP_LEN - 1], want[i]);
    uint8_t zero[BP_FP_LEN] = {0};
    for (size_t i = sizeof want; i < BP_RECORD_MAX_PARTICIPANTS; i++)
        CHECK_MEM(r.participants[i], zero, BP_FP_LEN);
    /* The first byte decides before the last. */
    memset(&r, 0, sizeof r);
    r.n_participants = 2;
    r.participants[0][0] = 2;
    r.participants[1][0] = 1;
    r.participants[1][31] = 0xff;
    bp_record_normalize(&r);
    CHECK_EQ_INT(r.participants[0][0], 1);
    CHECK_EQ_INT(r.participants[1][0], 2);
    /* Already normal, empty, and all equal. */
    bp_record_normalize(&r);
    CHECK_EQ_INT(r.n_participants, 2);
    r.n_participants = 0;
    bp_record_normalize(&r);
    CHECK_EQ_INT(r.n_participants, 0);
    memset(&r, 0, sizeof r);
    r.n_participants = BP_RECORD_MAX_PARTICIPANTS;
    bp_record_normalize(&r);
    CHECK_EQ_INT(r.n_participants, 1);
}

/* ---- Signatures ---- */

struct dev {
    struct bp_identity id;
    uint8_t fp[BP_FP_LEN];
};

static void dev_new(struct dev *d)
{
    CHECK(bp_identity_generate(&d->id) == 0);
    CHECK(bp_fingerprint(d->id.sign_pub, d->id.dh_pub, d->fp) == 0);
}

static void attest_for(const struct dev *d, struct bp_attestation *a)
{
    memset(a, 0, sizeof *a);
    memcpy(a->signer, d->fp, BP_FP_LEN);
    memcpy(a->sign_pub, d->id.sign_pub, BP_KEY_LEN);
    memcpy(a->dh_pub, d->id.dh_pub, BP_KEY_LEN);
}

/* The message of §9.4, built here from the texts. */
static void ref_sign(const struct bp_record *r, const struct bp_attestation *a,
                     const uint8_t priv[BP_KEY_LEN], uint8_t sig[BP_SIG_LEN])
{
    static uint8_t msg[8192];
    char text[BP_RECORD_TEXT_MAX], fp[BP_B64_32 + 1];
    size_t o = 0;
    memcpy(msg, "bilan-receipt-v1", 16);
    o = 16;
    msg[o++] = 0;
    int n = bp_record_text(r, text, sizeof text);
    CHECK(n > 0);
    memcpy(msg + o, text, (size_t)n);
    o += (size_t)n;
    bp_b64_encode(a->signer, BP_FP_LEN, fp);
    o += (size_t)snprintf((char *)msg + o, sizeof msg - o, "signer=%s\nreceived_audio_ms=%lld\nsas_verified=%d\n",
                          fp, (long long)a->received_audio_ms, a->sas_verified);
    CHECK(bp_ed25519_sign(priv, msg, o, sig) == 0);
}

static int verifies(const struct bp_record *r, const struct bp_attestation *a, const char **why)
{
    const char *w = NULL;
    int rc = bp_attest_verify(r, a, &w);
    if (why)
        *why = w;
    CHECK(rc == 0 ? w == NULL : (rc == BP_E_BAD_SIGNATURE && w != NULL));
    return rc == 0;
}

static void test_sign_verify(void)
{
    struct dev A, B, C;
    dev_new(&A);
    dev_new(&B);
    dev_new(&C);
    struct bp_record r;
    fixed_record(&r);
    memcpy(r.participants[0], B.fp, BP_FP_LEN);
    memcpy(r.participants[1], A.fp, BP_FP_LEN);
    bp_record_normalize(&r);
    CHECK_EQ_INT(r.n_participants, 2);

    struct bp_attestation a, b;
    attest_for(&A, &a);
    a.received_audio_ms = 3500000;
    a.sas_verified = 1;
    attest_for(&B, &b);
    CHECK(bp_attest_sign(&r, &a, A.id.sign_priv) == 0);
    CHECK(bp_attest_sign(&r, &b, B.id.sign_priv) == 0);
    uint8_t ref[BP_SIG_LEN];
    ref_sign(&r, &a, A.id.sign_priv, ref);
    CHECK_MEM(a.sig, ref, BP_SIG_LEN);
    ref_sign(&r, &b, B.id.sign_priv, ref);
    CHECK_MEM(b.sig, ref, BP_SIG_LEN);
    CHECK(verifies(&r, &a, NULL));
    CHECK(verifies(&r, &b, NULL));
    CHECK_EQ_INT(bp_attest_verify(&r, &a, NULL), 0);   /* why may be NULL */

    /* Each record field changed (and still valid) breaks both signatures. */
    const char *why;
    for (int f = 0; f < 8; f++) {
        struct bp_record m = r;
        switch (f) {
        case 0: strcpy(m.bilan, "bDupont_2025"); break;
        case 1: strcpy(m.session, "s-0002"); break;
        case 2: strcpy(m.phase, "conclusion"); break;
        case 3: m.start_ms--; break;
        case 4: m.end_ms++; break;
        case 5: m.face_to_face_ms--; break;
        case 6: m.journal_sha256[31] ^= 1; break;
        case 7:   /* one more participant */
            memcpy(m.participants[2], C.fp, BP_FP_LEN);
            m.n_participants = 3;
            bp_record_normalize(&m);
            break;
        }
        CHECK(!verifies(&m, &a, &why));
        CHECK_STR(why, "the signature does not verify");
        CHECK(!verifies(&m, &b, NULL));
    }
    /* A participant removed: B's signature no longer has its signer in it. */
    {
        struct bp_record m = r;
        m.n_participants = 1;
        memcpy(m.participants[0], A.fp, BP_FP_LEN);
        CHECK(!verifies(&m, &a, &why));
        CHECK_STR(why, "the signature does not verify");
        CHECK(!verifies(&m, &b, &why));
        CHECK_STR(why, "the signer is not a participant of the record");
    }
    /* Each attestation field changed. */
    for (int f = 0; f < 6; f++) {
        struct bp_attestation m = a;
        const char *want = "the signature does not verify";
        switch (f) {
        case 0: memcpy(m.signer, B.fp, BP_FP_LEN);
            want = "the signer is not the fingerprint of sign_pub and dh_pub"; break;
        case 1: memcpy(m.sign_pub, B.id.sign_pub, BP_KEY_LEN);
            want = "the signer is not the fingerprint of sign_pub and dh_pub"; break;
        case 2: memcpy(m.dh_pub, B.id.dh_pub, BP_KEY_LEN);
            want = "the signer is not the fingerprint of sign_pub and dh_pub"; break;
        case 3: m.received_audio_ms++; break;
        case 4: m.sas_verified = 0; break;
        case 5: m.sig[10] ^= 0x20; break;
        }
        CHECK(!verifies(&r, &m, &why));
        CHECK_STR(why, want);
    }
    {   /* out-of-range fields are refused before anything else */
        struct bp_attestation m = a;
        m.sas_verified = 2;
        CHECK(!verifies(&r, &m, &why));
        CHECK_STR(why, "the attestation is not valid (it would not parse)");
        CHECK_EQ_INT(bp_attest_sign(&r, &m, A.id.sign_priv), BP_E_INVALID_FIELD);
        CHECK(bp_attest_to_json(&m) == NULL);
        m = a;
        m.received_audio_ms = -1;
        CHECK(!verifies(&r, &m, &why));
        CHECK(bp_attest_to_json(&m) == NULL);
        struct bp_record u = r;   /* unsorted */
        memcpy(u.participants[0], r.participants[1], BP_FP_LEN);
        memcpy(u.participants[1], r.participants[0], BP_FP_LEN);
        CHECK(!verifies(&u, &a, &why));
        CHECK_STR(why, "the record is not valid (it would not parse)");
        m = a;
        CHECK_EQ_INT(bp_attest_sign(&u, &m, A.id.sign_priv), BP_E_INVALID_FIELD);
    }
    /* Signer not a participant, with a signature otherwise perfect. */
    {
        struct bp_attestation c;
        attest_for(&C, &c);
        ref_sign(&r, &c, C.id.sign_priv, c.sig);
        CHECK(!verifies(&r, &c, &why));
        CHECK_STR(why, "the signer is not a participant of the record");
        struct bp_attestation c2;
        attest_for(&C, &c2);
        CHECK_EQ_INT(bp_attest_sign(&r, &c2, C.id.sign_priv), BP_E_INVALID_FIELD);
    }
    /* Signer fp not matching the keys: B's fingerprint with A's keys,
     * signed by A. */
    {
        struct bp_attestation m = a;
        memcpy(m.signer, B.fp, BP_FP_LEN);
        ref_sign(&r, &m, A.id.sign_priv, m.sig);
        CHECK(!verifies(&r, &m, &why));
        CHECK_STR(why, "the signer is not the fingerprint of sign_pub and dh_pub");
        CHECK_EQ_INT(bp_attest_sign(&r, &m, A.id.sign_priv), BP_E_INVALID_FIELD);
    }
    /* Wrong key: A's attestation signed with B's private key. */
    {
        struct bp_attestation m = a;
        ref_sign(&r, &m, B.id.sign_priv, m.sig);
        CHECK(!verifies(&r, &m, &why));
        CHECK_STR(why, "the signature does not verify");
        uint8_t zero[BP_SIG_LEN] = {0};
        CHECK_EQ_INT(bp_attest_sign(&r, &m, B.id.sign_priv), BP_E_BAD_SIGNATURE);
        CHECK_MEM(m.sig, zero, BP_SIG_LEN);
        /* and one signature does not carry over to another signer */
        m = b;
        memcpy(m.sig, a.sig, BP_SIG_LEN);
        CHECK(!verifies(&r, &m, NULL));
    }
    bp_identity_wipe(&A.id);
    bp_identity_wipe(&B.id);
    bp_identity_wipe(&C.id);
}

/* ---- JSON ---- */

/* o through text and back (the caller owns the result). */
static json_t *through_text(const json_t *o)
{
    char *s = json_dumps(o, JSON_COMPACT);
    CHECK(s != NULL);
    json_t *p = s ? json_loads(s, JSON_REJECT_DUPLICATES, NULL) : NULL;
    CHECK(p != NULL);
    free(s);
    return p;
}

static void test_json_roundtrip(void)
{
    struct bp_record r, r2;
    struct bp_verr e;
    fixed_record(&r);
    json_t *o = bp_record_to_json(&r);
    CHECK(o != NULL);
    char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    CHECK_STR(s, "{\"v\":1,\"bilan\":\"bDupont_2024\",\"session\":\"s-0001\",\"phase\":\"investigation\","
                 "\"start_ms\":1718000000000,\"end_ms\":1718003600000,\"face_to_face_ms\":3540000,"
                 "\"participants\":[\"ERERERERERERERERERERERERERERERERERERERERERE\","
                 "\"oKGio6SlpqeoqaqrrK2ur7CxsrO0tba3uLm6u7y9vr8\"],"
                 "\"journal_sha256\":\"47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU\"}");
    free(s);
    json_t *p = through_text(o);
    CHECK_EQ_INT(bp_record_from_json(p, &r2, &e), 0);
    CHECK_MEM(&r, &r2, sizeof r);   /* fixed_record zeroes padding too */
    json_decref(p);
    json_decref(o);

    struct dev A;
    dev_new(&A);
    memcpy(r.participants[0], A.fp, BP_FP_LEN);
    bp_record_normalize(&r);
    struct bp_attestation a, a2;
    for (int sas = 0; sas <= 1; sas++) {
        attest_for(&A, &a);
        a.received_audio_ms = sas ? 0 : 123456;
        a.sas_verified = sas;
        CHECK(bp_attest_sign(&r, &a, A.id.sign_priv) == 0);
        o = bp_attest_to_json(&a);
        CHECK(o != NULL);
        CHECK(json_is_boolean(json_object_get(o, "sas_verified")));
        CHECK(json_is_true(json_object_get(o, "sas_verified")) == sas);
        p = through_text(o);
        CHECK_EQ_INT(bp_attest_from_json(p, &a2, &e), 0);
        CHECK_MEM(&a, &a2, sizeof a);
        CHECK(verifies(&r, &a2, NULL));
        json_decref(p);
        json_decref(o);
    }
    bp_identity_wipe(&A.id);
}

/* Receipts with 0..16 signatures over a 16-participant record. */
static void test_receipts(void)
{
    static struct dev devs[BP_RECORD_MAX_PARTICIPANTS];
    static struct bp_receipt rc, back;
    struct bp_verr e;
    memset(&rc, 0, sizeof rc);
    fixed_record(&rc.record);
    rc.record.n_participants = BP_RECORD_MAX_PARTICIPANTS;
    for (int i = 0; i < BP_RECORD_MAX_PARTICIPANTS; i++) {
        dev_new(&devs[i]);
        memcpy(rc.record.participants[i], devs[i].fp, BP_FP_LEN);
    }
    bp_record_normalize(&rc.record);
    CHECK_EQ_INT(rc.record.n_participants, BP_RECORD_MAX_PARTICIPANTS);
    for (int i = 0; i < BP_RECORD_MAX_PARTICIPANTS; i++) {
        attest_for(&devs[i], &rc.sigs[i]);
        rc.sigs[i].received_audio_ms = i * 1000;
        rc.sigs[i].sas_verified = i & 1;
        CHECK(bp_attest_sign(&rc.record, &rc.sigs[i], devs[i].id.sign_priv) == 0);
    }
    char text[BP_RECORD_TEXT_MAX];
    CHECK(bp_record_text(&rc.record, text, sizeof text) > 0);

    struct bp_receipt full = rc;
    for (size_t n = 0; n <= BP_RECORD_MAX_PARTICIPANTS; n++) {
        rc = full;
        rc.n_sigs = n;
        memset(rc.sigs + n, 0, (BP_RECORD_MAX_PARTICIPANTS - n) * sizeof rc.sigs[0]);
        json_t *o = bp_receipt_to_json(&rc);
        CHECK(o != NULL);
        /* the file form: a dump and a load, as the exporter and verifier do */
        char *s = json_dumps(o, JSON_INDENT(2));
        json_t *p = s ? json_loads(s, JSON_REJECT_DUPLICATES, NULL) : NULL;
        CHECK(p != NULL);
        CHECK_EQ_INT(bp_receipt_from_json(p, &back, &e), 0);
        CHECK_EQ_INT(back.n_sigs, n);
        CHECK_MEM(&rc, &back, sizeof rc);
        int ok = 0;
        for (size_t i = 0; i < back.n_sigs; i++)
            ok += verifies(&back.record, &back.sigs[i], NULL);
        CHECK_EQ_INT(ok, n);
        if (n == BP_RECORD_MAX_PARTICIPANTS) {   /* a 17th is refused */
            json_t *sigs = json_object_get(p, "signatures");
            json_array_append(sigs, json_array_get(sigs, 0));
            CHECK_EQ_INT(bp_receipt_from_json(p, &back, &e), BP_E_INVALID_FIELD);
            CHECK(strstr(e.detail, "'signatures'") != NULL);
        }
        json_decref(p);
        free(s);
        json_decref(o);
    }
    rc.n_sigs = BP_RECORD_MAX_PARTICIPANTS + 1;
    CHECK(bp_receipt_to_json(&rc) == NULL);
    for (int i = 0; i < BP_RECORD_MAX_PARTICIPANTS; i++)
        bp_identity_wipe(&devs[i].id);
}

/* ---- Parser refusals ---- */

static const char VALID_RECORD[] =
    "{\"v\":1,\"bilan\":\"b1\",\"session\":\"s1\",\"phase\":\"suivi\",\"start_ms\":10,"
    "\"end_ms\":20,\"face_to_face_ms\":10,\"participants\":["
    "\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\","
    "\"ERERERERERERERERERERERERERERERERERERERERERE\"],"
    "\"journal_sha256\":\"47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU\",\"extra\":[1,2]}";

static const char VALID_ATTEST[] =
    "{\"signer\":\"ERERERERERERERERERERERERERERERERERERERERERE\","
    "\"sign_pub\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\","
    "\"dh_pub\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\","
    "\"received_audio_ms\":0,\"sas_verified\":false,"
    "\"sig\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\","
    "\"other\":null}";

static json_t *load(const char *s)
{
    json_t *j = json_loads(s, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    CHECK(j != NULL);
    return j;
}

struct refusal {
    const char *field;   /* set (or removed when value is NULL) */
    const char *value;   /* JSON text */
    int code;
    const char *detail;  /* substring expected in the detail */
};

static const struct refusal record_refusals[] = {
    {"v", NULL, BP_E_MISSING_FIELD, "missing field 'v' in record"},
    {"v", "2", BP_E_INVALID_FIELD, "field 'v' in record must be 1"},
    {"v", "\"1\"", BP_E_INVALID_FIELD, "'v'"},
    {"v", "1.0", BP_E_INVALID_FIELD, "'v'"},
    {"bilan", NULL, BP_E_MISSING_FIELD, "missing field 'bilan' in record"},
    {"bilan", "\"\"", BP_E_INVALID_FIELD, "field 'bilan' in record"},
    {"bilan", "\"a.b\"", BP_E_INVALID_FIELD, "'bilan'"},
    {"bilan", "\"a\\u0000b\"", BP_E_INVALID_FIELD, "'bilan'"},
    {"bilan", "\"\\u00e9t\\u00e9\"", BP_E_INVALID_FIELD, "'bilan'"},
    {"bilan", "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"", BP_E_INVALID_FIELD, "'bilan'"},
    {"bilan", "7", BP_E_INVALID_FIELD, "'bilan'"},
    {"session", NULL, BP_E_MISSING_FIELD, "'session'"},
    {"session", "\"s 1\"", BP_E_INVALID_FIELD, "field 'session' in record"},
    {"phase", NULL, BP_E_MISSING_FIELD, "'phase'"},
    {"phase", "\"Suivi\"", BP_E_INVALID_FIELD, "field 'phase' in record"},
    {"phase", "\"suivi\\u0000\"", BP_E_INVALID_FIELD, "'phase'"},
    {"phase", "\"\"", BP_E_INVALID_FIELD, "'phase'"},
    {"start_ms", NULL, BP_E_MISSING_FIELD, "'start_ms'"},
    {"start_ms", "-1", BP_E_INVALID_FIELD, "field 'start_ms' in record"},
    {"start_ms", "10.5", BP_E_INVALID_FIELD, "'start_ms'"},
    {"start_ms", "\"10\"", BP_E_INVALID_FIELD, "'start_ms'"},
    {"start_ms", "21", BP_E_INVALID_FIELD, "field 'end_ms' in record must not be before"},
    {"end_ms", NULL, BP_E_MISSING_FIELD, "'end_ms'"},
    {"end_ms", "9", BP_E_INVALID_FIELD, "field 'end_ms' in record"},
    {"end_ms", "19", BP_E_INVALID_FIELD, "field 'face_to_face_ms' in record must not exceed"},
    {"face_to_face_ms", NULL, BP_E_MISSING_FIELD, "'face_to_face_ms'"},
    {"face_to_face_ms", "11", BP_E_INVALID_FIELD, "field 'face_to_face_ms' in record"},
    {"face_to_face_ms", "-1", BP_E_INVALID_FIELD, "'face_to_face_ms'"},
    {"face_to_face_ms", "true", BP_E_INVALID_FIELD, "'face_to_face_ms'"},
    {"participants", NULL, BP_E_MISSING_FIELD, "'participants'"},
    {"participants", "[]", BP_E_INVALID_FIELD, "field 'participants' in record"},
    {"participants", "{}", BP_E_INVALID_FIELD, "'participants'"},
    {"participants", "[\"ERERERERERERERERERERERERERERERERERERERERERE\","
                     "\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"]",
     BP_E_INVALID_FIELD, "field 'participants' in record must be sorted"},
    {"participants", "[\"ERERERERERERERERERERERERERERERERERERERERERE\","
                     "\"ERERERERERERERERERERERERERERERERERERERERERE\"]",
     BP_E_INVALID_FIELD, "field 'participants' in record must not contain a fingerprint twice"},
    {"participants", "[\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\",\"ERERERERERERERERERERERERERERERERERERERERER\"]",
     BP_E_INVALID_FIELD, "field 'participants[1]' in record"},
    {"participants", "[\"ERERERERERERERERERERERERERERERERERERERERERE=\"]", BP_E_INVALID_FIELD, "'participants[0]'"},
    {"participants", "[\"ERERERERERERERERERERERERERERERERERERERERERF\"]", BP_E_INVALID_FIELD, "'participants[0]'"},
    {"participants", "[\"ERERERERERERERERERERERERERERERERERERERERER+\"]", BP_E_INVALID_FIELD, "'participants[0]'"},
    {"participants", "[17]", BP_E_INVALID_FIELD, "'participants[0]'"},
    {"journal_sha256", NULL, BP_E_MISSING_FIELD, "'journal_sha256'"},
    {"journal_sha256", "\"47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuF\"", BP_E_INVALID_FIELD,
     "field 'journal_sha256' in record"},
    {"journal_sha256", "\"47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU\"", BP_E_INVALID_FIELD,
     "'journal_sha256'"},
};

static const struct refusal attest_refusals[] = {
    {"signer", NULL, BP_E_MISSING_FIELD, "missing field 'signer' in attestation"},
    {"signer", "\"AAAA\"", BP_E_INVALID_FIELD, "field 'signer' in attestation"},
    {"sign_pub", NULL, BP_E_MISSING_FIELD, "'sign_pub'"},
    {"sign_pub", "\"ERERERERERERERERERERERERERERERERERERERERERE\\u0000\"", BP_E_INVALID_FIELD, "field 'sign_pub' in attestation"},
    {"dh_pub", NULL, BP_E_MISSING_FIELD, "'dh_pub'"},
    {"dh_pub", "null", BP_E_INVALID_FIELD, "field 'dh_pub' in attestation"},
    {"received_audio_ms", NULL, BP_E_MISSING_FIELD, "'received_audio_ms'"},
    {"received_audio_ms", "-5", BP_E_INVALID_FIELD, "field 'received_audio_ms' in attestation"},
    {"sas_verified", NULL, BP_E_MISSING_FIELD, "'sas_verified'"},
    {"sas_verified", "1", BP_E_INVALID_FIELD, "field 'sas_verified' in attestation"},
    {"sig", NULL, BP_E_MISSING_FIELD, "'sig'"},
    {"sig", "\"ERERERERERERERERERERERERERERERERERERERERERE\"", BP_E_INVALID_FIELD,
     "field 'sig' in attestation must be 64 bytes"},
};

static int all_zero(const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        if (b[i])
            return 0;
    return 1;
}

static void check_refusal(int rc, const struct bp_verr *e, const struct refusal *t)
{
    CHECK_EQ_INT(rc, t->code);
    CHECK_EQ_INT(e->code, t->code);
    if (!strstr(e->detail, t->detail)) {
        check_failed++;
        fprintf(stderr, "refusal of '%s' = %s: detail \"%s\" lacks \"%s\"\n", t->field,
                t->value ? t->value : "(absent)", e->detail, t->detail);
    } else {
        check_passed++;
    }
}

static void test_refusals(void)
{
    struct bp_record r;
    struct bp_attestation a;
    static struct bp_receipt rc;
    struct bp_verr e;
    json_t *o = load(VALID_RECORD);
    CHECK_EQ_INT(bp_record_from_json(o, &r, &e), 0);
    CHECK_EQ_INT(r.n_participants, 2);
    CHECK_STR(r.phase, "suivi");
    char text[BP_RECORD_TEXT_MAX];
    CHECK(bp_record_text(&r, text, sizeof text) > 0);
    json_decref(o);
    o = load(VALID_ATTEST);
    CHECK_EQ_INT(bp_attest_from_json(o, &a, &e), 0);
    json_decref(o);

    for (size_t i = 0; i < sizeof record_refusals / sizeof record_refusals[0]; i++) {
        const struct refusal *t = &record_refusals[i];
        o = load(VALID_RECORD);
        if (t->value)
            json_object_set_new(o, t->field, load(t->value));
        else
            json_object_del(o, t->field);
        memset(&e, 0, sizeof e);
        memset(&r, 0x5a, sizeof r);
        check_refusal(bp_record_from_json(o, &r, &e), &e, t);
        CHECK(all_zero(&r, sizeof r));
        /* the same inside a receipt */
        json_t *rcpt = json_pack("{s:i, s:O, s:[]}", "receipt", 1, "record", o, "signatures");
        memset(&e, 0, sizeof e);
        check_refusal(bp_receipt_from_json(rcpt, &rc, &e), &e, t);
        CHECK(all_zero(&rc, sizeof rc));
        json_decref(rcpt);
        json_decref(o);
    }
    for (size_t i = 0; i < sizeof attest_refusals / sizeof attest_refusals[0]; i++) {
        const struct refusal *t = &attest_refusals[i];
        o = load(VALID_ATTEST);
        if (t->value)
            json_object_set_new(o, t->field, load(t->value));
        else
            json_object_del(o, t->field);
        memset(&e, 0, sizeof e);
        memset(&a, 0x5a, sizeof a);
        check_refusal(bp_attest_from_json(o, &a, &e), &e, t);
        CHECK(all_zero(&a, sizeof a));
        /* inside a receipt, the detail names the signature's index */
        json_t *rec = load(VALID_RECORD), *ok = load(VALID_ATTEST);
        json_t *rcpt = json_pack("{s:i, s:o, s:[o,O]}", "receipt", 1, "record", rec, "signatures", ok, o);
        memset(&e, 0, sizeof e);
        CHECK(bp_receipt_from_json(rcpt, &rc, &e) == t->code);
        char want[64];
        snprintf(want, sizeof want, "'%s' in signatures[1]", t->field);
        CHECK(strstr(e.detail, want) != NULL);
        json_decref(rcpt);
        json_decref(o);
    }

    /* Not objects; receipt-level fields. */
    o = load("[1]");
    CHECK_EQ_INT(bp_record_from_json(o, &r, &e), BP_E_INVALID_FIELD);
    CHECK_EQ_INT(bp_attest_from_json(o, &a, &e), BP_E_INVALID_FIELD);
    CHECK_EQ_INT(bp_receipt_from_json(o, &rc, NULL), BP_E_INVALID_FIELD);   /* e may be NULL */
    json_decref(o);
    static const struct refusal receipt_refusals[] = {
        {"receipt", NULL, BP_E_MISSING_FIELD, "missing field 'receipt' in receipt"},
        {"receipt", "2", BP_E_INVALID_FIELD, "field 'receipt' in receipt must be 1"},
        {"record", NULL, BP_E_MISSING_FIELD, "missing field 'record' in receipt"},
        {"record", "\"x\"", BP_E_INVALID_FIELD, "field 'record' in receipt"},
        {"signatures", NULL, BP_E_MISSING_FIELD, "missing field 'signatures' in receipt"},
        {"signatures", "{}", BP_E_INVALID_FIELD, "field 'signatures' in receipt"},
        {"signatures", "[1]", BP_E_INVALID_FIELD, "signatures[0] must be a JSON object"},
    };
    for (size_t i = 0; i < sizeof receipt_refusals / sizeof receipt_refusals[0]; i++) {
        const struct refusal *t = &receipt_refusals[i];
        o = json_pack("{s:i, s:o, s:[o], s:s}", "receipt", 1, "record", load(VALID_RECORD),
                      "signatures", load(VALID_ATTEST), "comment", "ignored");
        CHECK_EQ_INT(bp_receipt_from_json(o, &rc, &e), 0);
        CHECK_EQ_INT(rc.n_sigs, 1);
        if (t->value)
            json_object_set_new(o, t->field, load(t->value));
        else
            json_object_del(o, t->field);
        memset(&e, 0, sizeof e);
        check_refusal(bp_receipt_from_json(o, &rc, &e), &e, t);
        json_decref(o);
    }
    /* 16 participants are fine, 17 are not. */
    o = load(VALID_RECORD);
    json_t *ps = json_array();
    for (int i = 0; i < 17; i++) {
        uint8_t fp[32] = {0};
        char s[44];
        fp[0] = (uint8_t)i;
        bp_b64_encode(fp, 32, s);
        json_array_append_new(ps, json_string(s));
        json_object_set(o, "participants", ps);
        int rc2 = bp_record_from_json(o, &r, &e);
        CHECK_EQ_INT(rc2, i < 16 ? 0 : BP_E_INVALID_FIELD);
        if (!rc2)
            CHECK_EQ_INT(r.n_participants, (size_t)i + 1);
    }
    CHECK(strstr(e.detail, "field 'participants' in record") != NULL);
    json_decref(ps);
    json_decref(o);
}

/* A signed refusal (PROTOCOL.md §9.3): its own text and context string, the
 * same signer rules as an attestation, its JSON form, and in a receipt. */
static void test_signed_refusal(void)
{
    struct dev A, B, C;
    dev_new(&A);
    dev_new(&B);
    dev_new(&C);
    struct bp_record r;
    fixed_record(&r);
    memcpy(r.participants[0], B.fp, BP_FP_LEN);
    memcpy(r.participants[1], A.fp, BP_FP_LEN);
    bp_record_normalize(&r);
    struct bp_refusal f;
    memset(&f, 0, sizeof f);
    memcpy(f.signer, A.fp, BP_FP_LEN);
    memcpy(f.sign_pub, A.id.sign_pub, BP_KEY_LEN);
    memcpy(f.dh_pub, A.id.dh_pub, BP_KEY_LEN);
    snprintf(f.reason, sizeof f.reason, "le relevé compte 8:00:00 de face-à-face");
    CHECK_EQ_INT(bp_refusal_sign(&r, &f, A.id.sign_priv), 0);
    const char *why = "x";
    CHECK_EQ_INT(bp_refusal_verify(&r, &f, &why), 0);
    CHECK(why == NULL);
    /* The signed bytes, rebuilt here: "bilan-refusal-v1" 0x00 || record text || signer/reason lines. */
    char text[BP_RECORD_TEXT_MAX], fp64[BP_B64_32 + 1];
    static uint8_t msg[8192];
    int tn = bp_record_text(&r, text, sizeof text);
    bp_b64_encode(A.fp, BP_FP_LEN, fp64);
    int n = snprintf((char *)msg + 17, sizeof msg - 17, "%ssigner=%s\nreason=%s\n", text, fp64, f.reason);
    memcpy(msg, "bilan-refusal-v1", 17); /* with its NUL */
    CHECK(tn > 0 && n > 0);
    CHECK_EQ_INT(bp_ed25519_verify(A.id.sign_pub, msg, (size_t)n + 17, f.sig), 0);
    /* Not an attestation: the same signature does not verify as a receipt. */
    struct bp_attestation a;
    attest_for(&A, &a);
    memcpy(a.sig, f.sig, BP_SIG_LEN);
    CHECK(bp_attest_verify(&r, &a, NULL) != 0);
    /* Any change breaks it. */
    struct bp_refusal g = f;
    g.reason[0] = 'L';
    CHECK(bp_refusal_verify(&r, &g, &why) != 0 && strstr(why, "does not verify"));
    struct bp_record r2 = r;
    r2.face_to_face_ms++;
    CHECK(bp_refusal_verify(&r2, &f, NULL) != 0);
    /* Reasons: one line of 1-200 bytes of UTF-8. */
    CHECK(!bp_reason_ok(""));
    CHECK(!bp_reason_ok("deux\nlignes"));
    CHECK(!bp_reason_ok("\xc3\x28"));
    char longr[BP_REASON_MAX + 2];
    memset(longr, 'a', sizeof longr - 1);
    longr[BP_REASON_MAX + 1] = '\0';
    CHECK(!bp_reason_ok(longr));
    longr[BP_REASON_MAX] = '\0';
    CHECK(bp_reason_ok(longr));
    /* A non-participant cannot sign one, nor a device with another key. */
    struct bp_refusal h = f;
    memcpy(h.signer, C.fp, BP_FP_LEN);
    memcpy(h.sign_pub, C.id.sign_pub, BP_KEY_LEN);
    memcpy(h.dh_pub, C.id.dh_pub, BP_KEY_LEN);
    CHECK_EQ_INT(bp_refusal_sign(&r, &h, C.id.sign_priv), BP_E_INVALID_FIELD);
    h = f;
    CHECK(bp_refusal_sign(&r, &h, B.id.sign_priv) != 0);
    /* JSON, alone and in a receipt file. */
    json_t *j = bp_refusal_to_json(&f);
    struct bp_refusal back;
    struct bp_verr e;
    CHECK(j && bp_refusal_from_json(j, &back, &e) == 0 && !memcmp(&back, &f, sizeof f));
    static struct bp_receipt rc, rc2;
    memset(&rc, 0, sizeof rc);
    rc.record = r;
    rc.n_refusals = 1;
    rc.refusals[0] = f;
    json_t *rj = bp_receipt_to_json(&rc);
    CHECK(rj && json_object_get(rj, "refusals") && bp_receipt_from_json(rj, &rc2, &e) == 0);
    CHECK_EQ_INT(rc2.n_refusals, 1);
    CHECK(!memcmp(&rc2.refusals[0], &f, sizeof f));
    json_object_set_new(json_array_get(json_object_get(rj, "refusals"), 0), "reason", json_string("a\tb"));
    CHECK(bp_receipt_from_json(rj, &rc2, &e) != 0);
    json_decref(rj);
    json_decref(j);
}

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    test_text();
    test_normalize();
    test_sign_verify();
    test_json_roundtrip();
    test_receipts();
    test_refusals();
    test_signed_refusal();
    return check_report();
}
