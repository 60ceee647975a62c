/* pair.c: the pairwise end-to-end handshake of PROTOCOL.md §8.2-8.3 and the
 * e2e message bodies that carry it.
 *
 * Owns: signed bundles, commitments, the transcript T, the invite-secret MAC
 * and the secret's id, the short authentication string, the pair key, and the sealing of a
 * sender's base key to one peer; parsing and building of e2e bodies.
 *
 * Every byte string hashed, signed, MACed or used as AAD is laid out exactly
 * as PROTOCOL.md writes it: ASCII labels without terminator unless 0x00 is
 * written, len(bilan) one byte. A bilan is an id of 1..BP_ID_MAX bytes
 * (PROTOCOL.md §3); anything else is refused before any buffer is filled.
 *
 * Must never: implement a primitive (HKDF, HMAC, AES-GCM, SHA-256, X25519,
 * Ed25519 are OpenSSL EVP calls here or in ident.c), leave a secret on the
 * stack (pair keys, shared secrets, MAC keys and base keys are cleansed on
 * every path), compare a MAC or commitment with memcmp, or do I/O. The body
 * parser reads nothing outside the object it is given and allocates nothing. */
#include <stdio.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "bp/b64.h"
#include "bp/e2e.h"
#include "bp/fields.h"

#define GEN_MAX (UINT64_C(1) << 40)

/* Length of a valid bilan id, or -1: bounded read (never past BP_ID_MAX+1). */
static int bilan_len(const char *bilan)
{
    if (!bilan)
        return -1;
    size_t n = strnlen(bilan, BP_ID_MAX + 1);
    return n >= 1 && n <= BP_ID_MAX ? (int)n : -1;
}

/* Appends n bytes at *o (callers size buf for the longest layout). */
static void put(uint8_t *buf, size_t *o, const void *p, size_t n)
{
    memcpy(buf + *o, p, n);
    *o += n;
}

/* u8 len(bilan) || bilan */
static void put_bilan(uint8_t *buf, size_t *o, const char *bilan, int blen)
{
    buf[(*o)++] = (uint8_t)blen;
    put(buf, o, bilan, (size_t)blen);
}

/* ---- Bundles ---- */

static const char bundle_ctx[] = "bilan-bundle-v1";   /* sizeof includes the 0x00 */
#define BUNDLE_MSG_MAX (sizeof bundle_ctx + 1 + BP_ID_MAX + 3 * BP_KEY_LEN)

static size_t bundle_message(const struct bp_bundle *b, const char *bilan, int blen,
                             uint8_t out[BUNDLE_MSG_MAX])
{
    size_t o = 0;
    put(out, &o, bundle_ctx, sizeof bundle_ctx);
    put_bilan(out, &o, bilan, blen);
    put(out, &o, b->sign_pub, BP_KEY_LEN);
    put(out, &o, b->dh_pub, BP_KEY_LEN);
    put(out, &o, b->eph, BP_KEY_LEN);
    return o;
}

int bp_bundle_make(const struct bp_identity *id, const char *bilan,
                   const uint8_t eph_pub[BP_KEY_LEN], struct bp_bundle *b)
{
    int blen = bilan_len(bilan);
    memset(b, 0, sizeof *b);
    if (blen < 0)
        return BP_E_INVALID_FIELD;
    uint8_t msg[BUNDLE_MSG_MAX];
    memcpy(b->sign_pub, id->sign_pub, BP_KEY_LEN);
    memcpy(b->dh_pub, id->dh_pub, BP_KEY_LEN);
    memcpy(b->eph, eph_pub, BP_KEY_LEN);
    size_t n = bundle_message(b, bilan, blen, msg);
    int rc = bp_ed25519_sign(id->sign_priv, msg, n, b->sig);
    if (rc)
        memset(b, 0, sizeof *b);
    return rc;
}

int bp_bundle_verify(const struct bp_bundle *b, const char *bilan)
{
    int blen = bilan_len(bilan);
    if (blen < 0)
        return BP_E_BAD_SIGNATURE;
    uint8_t msg[BUNDLE_MSG_MAX];
    size_t n = bundle_message(b, bilan, blen, msg);
    return bp_ed25519_verify(b->sign_pub, msg, n, b->sig) ? BP_E_BAD_SIGNATURE : 0;
}

void bp_bundle_bytes(const struct bp_bundle *b, uint8_t out[BP_BUNDLE_LEN])
{
    size_t o = 0;
    put(out, &o, b->sign_pub, BP_KEY_LEN);
    put(out, &o, b->dh_pub, BP_KEY_LEN);
    put(out, &o, b->eph, BP_KEY_LEN);
    put(out, &o, b->sig, BP_SIG_LEN);
}

int bp_bundle_fp(const struct bp_bundle *b, uint8_t fp[BP_FP_LEN])
{
    return bp_fingerprint(b->sign_pub, b->dh_pub, fp);
}

/* ---- Commitment and transcript ---- */

int bp_commit(const struct bp_bundle *b, const uint8_t r[32], uint8_t c[32])
{
    static const char ctx[] = "bilan-commit-v1";
    uint8_t buf[sizeof ctx + BP_BUNDLE_LEN + 32];
    size_t o = 0;
    put(buf, &o, ctx, sizeof ctx);
    bp_bundle_bytes(b, buf + o);
    o += BP_BUNDLE_LEN;
    put(buf, &o, r, 32);
    int rc = bp_sha256(buf, o, c);
    /* r stays secret until the reveal. */
    OPENSSL_cleanse(buf, sizeof buf);
    return rc;
}

int bp_transcript(const char *bilan, const struct bp_bundle *a, const uint8_t ra[32],
                  const struct bp_bundle *b, const uint8_t rb[32], uint8_t t[32])
{
    static const char ctx[] = "bilan-pair-v1";
    uint8_t buf[sizeof ctx + 1 + BP_ID_MAX + 2 * (BP_BUNDLE_LEN + 32)];
    uint8_t fa[BP_FP_LEN], fb[BP_FP_LEN];
    int blen = bilan_len(bilan);
    if (blen < 0)
        return BP_E_INVALID_FIELD;
    if (bp_bundle_fp(a, fa) || bp_bundle_fp(b, fb))
        return BP_E_CRYPTO;
    int cmp = memcmp(fa, fb, BP_FP_LEN);
    /* One identity on both sides has no order, and is what a relay that
     * reflects a device's own messages back to it would produce: refused. */
    if (cmp == 0)
        return BP_E_INVALID_FIELD;
    const struct bp_bundle *first = cmp < 0 ? a : b, *second = cmp < 0 ? b : a;
    const uint8_t *r1 = cmp < 0 ? ra : rb, *r2 = cmp < 0 ? rb : ra;
    size_t o = 0;
    put(buf, &o, ctx, sizeof ctx);
    put_bilan(buf, &o, bilan, blen);
    bp_bundle_bytes(first, buf + o);
    o += BP_BUNDLE_LEN;
    put(buf, &o, r1, 32);
    bp_bundle_bytes(second, buf + o);
    o += BP_BUNDLE_LEN;
    put(buf, &o, r2, 32);
    return bp_sha256(buf, o, t);
}

/* ---- Invite MAC, SAS, pair key ---- */

static int hmac_sha256(const uint8_t *key, size_t key_len, const uint8_t *msg, size_t n,
                       uint8_t out[32])
{
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
    static char digest[] = "SHA256";
    OSSL_PARAM params[2];
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0);
    params[1] = OSSL_PARAM_construct_end();
    size_t len = 0;
    int ok = ctx && EVP_MAC_init(ctx, key, key_len, params) == 1 &&
             EVP_MAC_update(ctx, msg, n) == 1 && EVP_MAC_final(ctx, out, &len, 32) == 1 &&
             len == 32;
    EVP_MAC_CTX_free(ctx);   /* cleanses its copy of the key */
    EVP_MAC_free(mac);
    if (!ok)
        OPENSSL_cleanse(out, 32);
    return ok ? 0 : BP_E_CRYPTO;
}

int bp_invite_mac(const uint8_t secret[BP_SECRET_LEN], const char *bilan, const uint8_t t[32],
                  const uint8_t fp[BP_FP_LEN], uint8_t mac[BP_MAC_LEN])
{
    static const char salt[] = "bilan-invite-v1";   /* no terminator */
    static const char ctx[] = "bilan-confirm-v1";   /* with its 0x00 */
    uint8_t k[32], msg[sizeof ctx + 32 + BP_FP_LEN];
    int blen = bilan_len(bilan);
    if (blen < 0) {
        OPENSSL_cleanse(mac, BP_MAC_LEN);
        return BP_E_INVALID_FIELD;
    }
    size_t o = 0;
    put(msg, &o, ctx, sizeof ctx);
    put(msg, &o, t, 32);
    put(msg, &o, fp, BP_FP_LEN);
    int rc = bp_hkdf_sha256((const uint8_t *)salt, sizeof salt - 1, secret, BP_SECRET_LEN,
                            (const uint8_t *)bilan, (size_t)blen, k, sizeof k);
    if (!rc)
        rc = hmac_sha256(k, sizeof k, msg, o, mac);
    else
        OPENSSL_cleanse(mac, BP_MAC_LEN);
    OPENSSL_cleanse(k, sizeof k);
    return rc;
}

int bp_invite_secret_id(const uint8_t secret[BP_SECRET_LEN], const char *bilan,
                        uint8_t sid[BP_SECRET_ID_LEN])
{
    static const char salt[] = "bilan-invite-id-v1"; /* no terminator; not the MAC key's label */
    int blen = bilan_len(bilan);
    memset(sid, 0, BP_SECRET_ID_LEN);
    if (blen < 0)
        return BP_E_INVALID_FIELD;
    return bp_hkdf_sha256((const uint8_t *)salt, sizeof salt - 1, secret, BP_SECRET_LEN,
                          (const uint8_t *)bilan, (size_t)blen, sid, BP_SECRET_ID_LEN)
               ? BP_E_CRYPTO
               : 0;
}

int bp_sas(const uint8_t t[32], char out[BP_SAS_LEN])
{
    static const char info[] = "bilan-sas-v1";
    uint8_t d[4];
    out[0] = '\0';
    if (bp_hkdf_sha256(NULL, 0, t, 32, (const uint8_t *)info, sizeof info - 1, d, sizeof d))
        return BP_E_CRYPTO;
    uint32_t v = ((uint32_t)d[0] << 24 | (uint32_t)d[1] << 16 | (uint32_t)d[2] << 8 | d[3]) % 1000000u;
    snprintf(out, BP_SAS_LEN, "%03u %03u", (unsigned)(v / 1000), (unsigned)(v % 1000));
    OPENSSL_cleanse(d, sizeof d);
    return 0;
}

int bp_pair_key(const uint8_t eph_priv[BP_KEY_LEN], const uint8_t peer_eph[BP_KEY_LEN],
                const uint8_t t[32], uint8_t key[32])
{
    static const char info[] = "bilan-pair-key-v1";
    uint8_t shared[BP_KEY_LEN];
    int rc = bp_x25519(eph_priv, peer_eph, shared);
    if (!rc)
        rc = bp_hkdf_sha256(t, 32, shared, sizeof shared, (const uint8_t *)info, sizeof info - 1,
                            key, 32);
    OPENSSL_cleanse(shared, sizeof shared);
    if (rc)
        OPENSSL_cleanse(key, 32);
    return rc ? BP_E_CRYPTO : 0;
}

/* ---- Sender keys ---- */

static const char sk_ctx[] = "bilan-senderkey-v1";
#define SK_AAD_MAX (sizeof sk_ctx + 1 + BP_ID_MAX + 2 * BP_FP_LEN + 8)
#define SK_NONCE 12
#define SK_TAG 16

static size_t senderkey_aad(const char *bilan, int blen, const uint8_t from_fp[BP_FP_LEN],
                            const uint8_t to_fp[BP_FP_LEN], uint64_t gen, uint8_t out[SK_AAD_MAX])
{
    size_t o = 0;
    put(out, &o, sk_ctx, sizeof sk_ctx);
    put_bilan(out, &o, bilan, blen);
    put(out, &o, from_fp, BP_FP_LEN);
    put(out, &o, to_fp, BP_FP_LEN);
    for (int i = 7; i >= 0; i--)
        out[o++] = (uint8_t)(gen >> (8 * i));
    return o;
}

int bp_senderkey_seal(const uint8_t pair_key[32], const char *bilan,
                      const uint8_t from_fp[BP_FP_LEN], const uint8_t to_fp[BP_FP_LEN],
                      uint64_t gen, const uint8_t base_key[BP_BASE_KEY_LEN],
                      uint8_t out[BP_SEALED_KEY_LEN])
{
    uint8_t aad[SK_AAD_MAX];
    int blen = bilan_len(bilan), len = 0, ok = 0;
    memset(out, 0, BP_SEALED_KEY_LEN);
    if (blen < 0)
        return BP_E_INVALID_FIELD;
    size_t alen = senderkey_aad(bilan, blen, from_fp, to_fp, gen, aad);
    /* A fresh random nonce per seal: 2^-96 collision odds per pair key, which
     * only ever seals a handful of base keys. */
    if (bp_random(out, SK_NONCE))
        return BP_E_CRYPTO;
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    ok = ctx && EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) == 1 &&
         EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, SK_NONCE, NULL) == 1 &&
         EVP_EncryptInit_ex(ctx, NULL, NULL, pair_key, out) == 1 &&
         EVP_EncryptUpdate(ctx, NULL, &len, aad, (int)alen) == 1 &&
         EVP_EncryptUpdate(ctx, out + SK_NONCE, &len, base_key, BP_BASE_KEY_LEN) == 1 &&
         len == BP_BASE_KEY_LEN &&
         EVP_EncryptFinal_ex(ctx, out + SK_NONCE + len, &len) == 1 && len == 0 &&
         EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, SK_TAG, out + SK_NONCE + BP_BASE_KEY_LEN) == 1;
    EVP_CIPHER_CTX_free(ctx);   /* cleanses the key schedule */
    if (!ok) {
        OPENSSL_cleanse(out, BP_SEALED_KEY_LEN);
        return BP_E_CRYPTO;
    }
    return 0;
}

int bp_senderkey_open(const uint8_t pair_key[32], const char *bilan,
                      const uint8_t from_fp[BP_FP_LEN], const uint8_t to_fp[BP_FP_LEN],
                      uint64_t gen, const uint8_t in[BP_SEALED_KEY_LEN],
                      uint8_t base_key[BP_BASE_KEY_LEN])
{
    uint8_t aad[SK_AAD_MAX], pt[BP_BASE_KEY_LEN], tag[SK_TAG];
    int blen = bilan_len(bilan), len = 0, ok = 0;
    memset(base_key, 0, BP_BASE_KEY_LEN);
    if (blen < 0)
        return BP_E_CRYPTO;
    size_t alen = senderkey_aad(bilan, blen, from_fp, to_fp, gen, aad);
    memcpy(tag, in + SK_NONCE + BP_BASE_KEY_LEN, SK_TAG);  /* SET_TAG wants a non-const buffer */
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    ok = ctx && EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) == 1 &&
         EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, SK_NONCE, NULL) == 1 &&
         EVP_DecryptInit_ex(ctx, NULL, NULL, pair_key, in) == 1 &&
         EVP_DecryptUpdate(ctx, NULL, &len, aad, (int)alen) == 1 &&
         EVP_DecryptUpdate(ctx, pt, &len, in + SK_NONCE, BP_BASE_KEY_LEN) == 1 &&
         len == BP_BASE_KEY_LEN &&
         EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, SK_TAG, tag) == 1 &&
         EVP_DecryptFinal_ex(ctx, pt + len, &len) == 1 && len == 0;
    EVP_CIPHER_CTX_free(ctx);
    /* Nothing of an unauthenticated plaintext leaves this function. */
    if (ok)
        memcpy(base_key, pt, BP_BASE_KEY_LEN);
    OPENSSL_cleanse(pt, sizeof pt);
    return ok ? 0 : BP_E_CRYPTO;
}

/* ---- e2e message bodies ---- */

/* Wire names of the kinds, in enum order from BP_E2E_COMMIT, and how a
 * refusal names each body ("missing field 'c' in e2e 'commit'"). */
static const char *const kind_words[] = {"commit", "reveal", "confirm", "sas", "key", "abort", NULL};
static const char *const kind_where[] = {"e2e 'commit'", "e2e 'reveal'", "e2e 'confirm'",
                                         "e2e 'sas'",    "e2e 'key'",    "e2e 'abort'"};
#define KIND_INDEX(k) ((int)(k) - BP_E2E_COMMIT)
_Static_assert(sizeof kind_where / sizeof kind_where[0] == BP_E2E_ABORT - BP_E2E_COMMIT + 1 &&
                   sizeof kind_words / sizeof kind_words[0] == BP_E2E_ABORT - BP_E2E_COMMIT + 2,
               "one word and one place per e2e kind");
static const char *const sas_words[] = {"confirmed", "rejected", NULL};

#define REQ BP_FIELD_REQ
#define OPT BP_FIELD_OPT
#define NFIELDS(a) (sizeof(a) / sizeof(a)[0])
#define PROOFS_SHAPE "must be an array of at most 8 objects"

/* The fields of each body (PROTOCOL.md §8.2-8.3), checked by bp/fields.h in
 * the order written; what they mean together is checked here. */
static const struct bp_field body_type = BP_FIELD_WORDS("t", REQ, kind_words);
static const struct bp_field commit_fields[] = {BP_FIELD("c", BP_F_B64, REQ, 0, 32)};
/* The bundle is checked between these two, so its keys are named before r. */
static const struct bp_field reveal_fields[] = {
    BP_FIELD("bundle", BP_F_OBJECT, REQ, 0, 0),
    BP_FIELD("r", BP_F_B64, REQ, 0, 32),
};
static const struct bp_field bundle_fields[] = {
    BP_FIELD("sign_pub", BP_F_B64, REQ, 0, BP_KEY_LEN),
    BP_FIELD("dh_pub", BP_F_B64, REQ, 0, BP_KEY_LEN),
    BP_FIELD("eph", BP_F_B64, REQ, 0, BP_KEY_LEN),
    BP_FIELD("sig", BP_F_B64, REQ, 0, BP_SIG_LEN),
};
/* A "mac" without an id (clients before invite-secret ids) is an unknown
 * field: ignored, so such a peer is simply not authenticated by the invite. */
static const struct bp_field confirm_fields[] = {
    BP_FIELD_WHY("proofs", BP_F_ARRAY, OPT, 0, BP_E2E_PROOFS_MAX, PROOFS_SHAPE),
};
static const struct bp_field proof_item = BP_FIELD_WHY("proofs", BP_F_OBJECT, REQ, 0, 0, PROOFS_SHAPE);
static const struct bp_field proof_fields[] = {
    BP_FIELD("sid", BP_F_B64, REQ, 0, BP_SECRET_ID_LEN),
    BP_FIELD("mac", BP_F_B64, REQ, 0, BP_MAC_LEN),
};
static const struct bp_field sas_fields[] = {BP_FIELD_WORDS("result", REQ, sas_words)};
static const struct bp_field key_fields[] = {
    BP_FIELD_WHY("gen", BP_F_INT, REQ, 1, (long long)GEN_MAX, "must be an integer from 1 to 2^40"),
    BP_FIELD("sealed", BP_F_B64, REQ, 0, BP_SEALED_KEY_LEN),
};
/* The reason is shown on a terminal: one line of text. */
static const struct bp_field abort_fields[] = {BP_FIELD("reason", BP_F_LINE, REQ, 1, BP_E2E_REASON_MAX)};

static int parse_proofs(const json_t *body, struct bp_e2e_msg *m, const char *where,
                        struct bp_verr *e)
{
    int rc = bp_fields_check(body, confirm_fields, NFIELDS(confirm_fields), where, e);
    if (rc)
        return rc;
    const json_t *arr = json_object_get(body, "proofs"), *pr;
    size_t i;
    json_array_foreach(arr, i, pr)
    {
        struct bp_invite_proof *p = &m->proofs[i];
        if ((rc = bp_field_check_value(pr, &proof_item, where, e)) ||
            (rc = bp_fields_check(pr, proof_fields, NFIELDS(proof_fields), where, e)) ||
            (rc = bp_fields_bytes(pr, "sid", p->sid, BP_SECRET_ID_LEN)) ||
            (rc = bp_fields_bytes(pr, "mac", p->mac, BP_MAC_LEN)))
            return rc;
        for (size_t k = 0; k < i; k++)
            if (!memcmp(m->proofs[k].sid, p->sid, BP_SECRET_ID_LEN))
                return bp_field_refuse("proofs", where, "must not repeat a sid", e);
        m->nproofs = (int)i + 1;
    }
    return 0;
}

static int parse_body(const json_t *body, struct bp_e2e_msg *m, struct bp_verr *e)
{
    if (!json_is_object(body)) {
        if (e) {
            e->code = BP_E_INVALID_FIELD;
            snprintf(e->detail, sizeof e->detail, "field 'body' in 'e2e' must be a JSON object");
        }
        return BP_E_INVALID_FIELD;
    }
    const json_t *t = json_object_get(body, "t");
    int rc = bp_field_check_value(t, &body_type, "e2e body", e);
    if (rc)
        return rc;
    m->kind = (enum bp_e2e_kind)(BP_E2E_COMMIT + bp_field_word(t, kind_words));
    const char *where = kind_where[KIND_INDEX(m->kind)];
    switch (m->kind) {
    case BP_E2E_COMMIT:
        if ((rc = bp_fields_check(body, commit_fields, NFIELDS(commit_fields), where, e)))
            return rc;
        return bp_fields_bytes(body, "c", m->c, sizeof m->c);
    case BP_E2E_REVEAL: {
        const json_t *b = json_object_get(body, "bundle");
        if ((rc = bp_fields_check(body, reveal_fields, 1, where, e)) ||
            (rc = bp_fields_check(b, bundle_fields, NFIELDS(bundle_fields), where, e)) ||
            (rc = bp_fields_check(body, reveal_fields + 1, 1, where, e)) ||
            (rc = bp_fields_bytes(b, "sign_pub", m->bundle.sign_pub, BP_KEY_LEN)) ||
            (rc = bp_fields_bytes(b, "dh_pub", m->bundle.dh_pub, BP_KEY_LEN)) ||
            (rc = bp_fields_bytes(b, "eph", m->bundle.eph, BP_KEY_LEN)) ||
            (rc = bp_fields_bytes(b, "sig", m->bundle.sig, BP_SIG_LEN)))
            return rc;
        return bp_fields_bytes(body, "r", m->r, sizeof m->r);
    }
    case BP_E2E_CONFIRM:
        return parse_proofs(body, m, where, e);
    case BP_E2E_SAS:
        if ((rc = bp_fields_check(body, sas_fields, NFIELDS(sas_fields), where, e)))
            return rc;
        m->sas_confirmed = bp_field_word(json_object_get(body, "result"), sas_words) == 0;
        return 0;
    case BP_E2E_KEY:
        if ((rc = bp_fields_check(body, key_fields, NFIELDS(key_fields), where, e)))
            return rc;
        m->gen = (uint64_t)json_integer_value(json_object_get(body, "gen"));
        return bp_fields_bytes(body, "sealed", m->sealed, BP_SEALED_KEY_LEN);
    case BP_E2E_ABORT:
        if ((rc = bp_fields_check(body, abort_fields, NFIELDS(abort_fields), where, e)))
            return rc;
        rc = bp_fields_str(body, "reason", m->reason, sizeof m->reason);
        return rc < 0 ? rc : 0;
    }
    return BP_E_INVALID_FIELD;   /* not reached */
}

int bp_e2e_parse(const json_t *body, struct bp_e2e_msg *m, struct bp_verr *e)
{
    memset(m, 0, sizeof *m);
    int rc = parse_body(body, m, e);
    if (rc)
        memset(m, 0, sizeof *m);
    return rc;
}

/* Sets obj[name] = base64url(p, n); 0 or -1. */
static int set_b64(json_t *obj, const char *name, const uint8_t *p, size_t n)
{
    char s[BP_B64_64 + 1];
    if (bp_b64_len(n) >= sizeof s)
        return -1;
    bp_b64_encode(p, n, s);
    return json_object_set_new(obj, name, json_string(s));
}

json_t *bp_e2e_build(const struct bp_e2e_msg *m)
{
    if (m->kind < BP_E2E_COMMIT || m->kind > BP_E2E_ABORT)
        return NULL;
    if (m->kind == BP_E2E_KEY && (m->gen < 1 || m->gen > GEN_MAX))
        return NULL;   /* would not parse on the other side */
    int bad = 0;
    json_t *o = json_object();
    if (!o || json_object_set_new(o, "t", json_string(kind_words[KIND_INDEX(m->kind)])))
        goto fail;
    switch (m->kind) {
    case BP_E2E_COMMIT:
        bad = set_b64(o, "c", m->c, 32);
        break;
    case BP_E2E_REVEAL: {
        json_t *b = json_object();
        if (!b || json_object_set_new(o, "bundle", b))
            goto fail;
        bad = set_b64(b, "sign_pub", m->bundle.sign_pub, BP_KEY_LEN) ||
              set_b64(b, "dh_pub", m->bundle.dh_pub, BP_KEY_LEN) ||
              set_b64(b, "eph", m->bundle.eph, BP_KEY_LEN) ||
              set_b64(b, "sig", m->bundle.sig, BP_SIG_LEN) || set_b64(o, "r", m->r, 32);
        break;
    }
    case BP_E2E_CONFIRM: {
        if (m->nproofs < 0 || m->nproofs > BP_E2E_PROOFS_MAX)
            goto fail;
        if (!m->nproofs)
            break;
        json_t *arr = json_array();
        if (!arr || json_object_set_new(o, "proofs", arr))
            goto fail;
        for (int i = 0; i < m->nproofs && !bad; i++) {
            for (int k = 0; k < i; k++)
                if (!memcmp(m->proofs[k].sid, m->proofs[i].sid, BP_SECRET_ID_LEN))
                    goto fail; /* would not parse on the other side */
            json_t *pr = json_object();
            bad = !pr || json_array_append_new(arr, pr) ||
                  set_b64(pr, "sid", m->proofs[i].sid, BP_SECRET_ID_LEN) ||
                  set_b64(pr, "mac", m->proofs[i].mac, BP_MAC_LEN);
        }
        break;
    }
    case BP_E2E_SAS:
        bad = json_object_set_new(o, "result", json_string(m->sas_confirmed ? "confirmed" : "rejected"));
        break;
    case BP_E2E_KEY:
        bad = json_object_set_new(o, "gen", json_integer((json_int_t)m->gen)) ||
              set_b64(o, "sealed", m->sealed, BP_SEALED_KEY_LEN);
        break;
    case BP_E2E_ABORT: {
        size_t rl = strnlen(m->reason, sizeof m->reason);
        if (rl < 1 || rl > BP_E2E_REASON_MAX)
            goto fail;
        for (size_t i = 0; i < rl; i++)
            if ((unsigned char)m->reason[i] < 0x20 || m->reason[i] == 0x7f)
                goto fail;
        json_t *r = json_stringn(m->reason, rl);
        bad = !r || json_object_set_new(o, "reason", r); /* NULL: not valid UTF-8 */
        break;
    }
    }
    if (bad)
        goto fail;
    return o;
fail:
    json_decref(o);
    return NULL;
}
