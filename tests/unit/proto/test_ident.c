/* test_ident.c: proto/ident.c against published vectors (RFC 7748 X25519,
 * RFC 8032 Ed25519, RFC 5869 HKDF; files in tests/vectors/ name their source)
 * and the identity/authentication helpers built on them.
 * Usage: test_ident VECTORS_DIR */
#include "bp/bp.h"
#include "../check.h"

static const char *vdir;

static json_t *load(const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", vdir, name);
    json_error_t e;
    json_t *j = json_load_file(path, 0, &e);
    if (!j) {
        fprintf(stderr, "cannot load %s: %s\n", path, e.text);
        exit(2);
    }
    return j;
}

static void hex32(const json_t *o, const char *k, uint8_t out[32])
{
    const char *s = json_string_value(json_object_get(o, k));
    CHECK(s && check_unhex(s, out, 32) == 32);
}

static void test_x25519(void)
{
    json_t *v = load("x25519.json");
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(v, "section_5_2_function"), i, t) {
        uint8_t k[32], u[32], want[32], got[32];
        hex32(t, "scalar", k);
        hex32(t, "u", u);
        hex32(t, "output", want);
        CHECK_EQ_INT(bp_x25519(k, u, got), 0);
        CHECK_MEM(got, want, 32);
    }
    /* Iterated vectors for 1 and 1000 rounds; 1 000 000 is too slow for every run. */
    json_t *it = json_object_get(v, "section_5_2_iterated");
    uint8_t k[32], u[32], next[32];
    hex32(it, "initial_k_and_u", k);
    memcpy(u, k, 32);
    int done = 0;
    json_array_foreach(json_object_get(it, "results"), i, t) {
        int iters = (int)json_integer_value(json_object_get(t, "iterations"));
        if (iters > 1000)
            continue;
        for (; done < iters; done++) {
            CHECK(bp_x25519(k, u, next) == 0 || done == 0);
            memcpy(u, k, 32);
            memcpy(k, next, 32);
        }
        uint8_t want[32];
        hex32(t, "k", want);
        CHECK_MEM(k, want, 32);
    }
    json_t *dh = json_object_get(v, "section_6_1_diffie_hellman");
    uint8_t a[32], ap[32], b[32], bpub[32], s[32], got[32];
    hex32(dh, "alice_private", a);
    hex32(dh, "alice_public", ap);
    hex32(dh, "bob_private", b);
    hex32(dh, "bob_public", bpub);
    hex32(dh, "shared_secret", s);
    CHECK_EQ_INT(bp_x25519_public(a, got), 0);
    CHECK_MEM(got, ap, 32);
    CHECK_EQ_INT(bp_x25519_public(b, got), 0);
    CHECK_MEM(got, bpub, 32);
    CHECK_EQ_INT(bp_x25519(a, bpub, got), 0);
    CHECK_MEM(got, s, 32);
    CHECK_EQ_INT(bp_x25519(b, ap, got), 0);
    CHECK_MEM(got, s, 32);
    /* A small-order peer key (all zero) gives an all-zero secret: refused. */
    uint8_t zero[32] = {0};
    CHECK_EQ_INT(bp_x25519(a, zero, got), BP_E_CRYPTO);
    json_decref(v);
}

static void test_ed25519(void)
{
    json_t *v = load("ed25519.json");
    size_t i;
    json_t *t;
    int n = 0;
    json_array_foreach(json_object_get(v, "tests"), i, t) {
        uint8_t sk[32], pk[32], sig[64], got[64], msg[64], pub[32];
        hex32(t, "secret_key", sk);
        hex32(t, "public_key", pk);
        CHECK_EQ_INT(check_unhex(json_string_value(json_object_get(t, "signature")), sig, 64), 64);
        int mlen = check_unhex(json_string_value(json_object_get(t, "message")), msg, sizeof msg);
        CHECK(mlen >= 0);
        struct bp_identity id = {0};
        memcpy(id.sign_priv, sk, 32);
        memset(id.dh_priv, 7, 32);
        CHECK_EQ_INT(bp_identity_derive_public(&id), 0);
        CHECK_MEM(id.sign_pub, pk, 32);
        CHECK_EQ_INT(bp_ed25519_sign(sk, msg, (size_t)mlen, got), 0);
        CHECK_MEM(got, sig, 64);
        CHECK_EQ_INT(bp_ed25519_verify(pk, msg, (size_t)mlen, sig), 0);
        sig[10] ^= 1;
        CHECK_EQ_INT(bp_ed25519_verify(pk, msg, (size_t)mlen, sig), BP_E_BAD_SIGNATURE);
        sig[10] ^= 1;
        memcpy(pub, pk, 32);
        pub[0] ^= 0x80;
        CHECK_EQ_INT(bp_ed25519_verify(pub, msg, (size_t)mlen, sig), BP_E_BAD_SIGNATURE);
        n++;
    }
    CHECK_EQ_INT(n, 3);
    json_decref(v);
}

static void test_hkdf(void)
{
    json_t *v = load("hkdf.json");
    json_t *t = json_object_get(v, "test_case_1");
    uint8_t ikm[64], salt[64], info[64], okm[64], got[64];
    int ni = check_unhex(json_string_value(json_object_get(t, "ikm")), ikm, sizeof ikm);
    int ns = check_unhex(json_string_value(json_object_get(t, "salt")), salt, sizeof salt);
    int nf = check_unhex(json_string_value(json_object_get(t, "info")), info, sizeof info);
    int no = check_unhex(json_string_value(json_object_get(t, "okm")), okm, sizeof okm);
    CHECK_EQ_INT(no, json_integer_value(json_object_get(t, "L")));
    CHECK_EQ_INT(bp_hkdf_sha256(salt, (size_t)ns, ikm, (size_t)ni, info, (size_t)nf, got, (size_t)no), 0);
    CHECK_MEM(got, okm, (size_t)no);
    json_decref(v);
}

static void test_identity_and_auth_message(void)
{
    struct bp_identity a, b;
    CHECK_EQ_INT(bp_identity_generate(&a), 0);
    CHECK_EQ_INT(bp_identity_generate(&b), 0);
    CHECK(memcmp(a.sign_pub, b.sign_pub, 32) != 0);
    struct bp_identity c = a;
    memset(c.sign_pub, 0, 32);
    memset(c.dh_pub, 0, 32);
    CHECK_EQ_INT(bp_identity_derive_public(&c), 0);
    CHECK_MEM(c.sign_pub, a.sign_pub, 32);
    CHECK_MEM(c.dh_pub, a.dh_pub, 32);

    uint8_t fa[32], fa2[32], fb[32];
    CHECK_EQ_INT(bp_fingerprint(a.sign_pub, a.dh_pub, fa), 0);
    CHECK_EQ_INT(bp_fingerprint(a.sign_pub, a.dh_pub, fa2), 0);
    CHECK_EQ_INT(bp_fingerprint(b.sign_pub, b.dh_pub, fb), 0);
    CHECK_MEM(fa, fa2, 32);
    CHECK(memcmp(fa, fb, 32) != 0);
    /* fingerprint = SHA-256("bilan-device-v1" || sign_pub || dh_pub) */
    uint8_t buf[15 + 64], want[32];
    memcpy(buf, "bilan-device-v1", 15);
    memcpy(buf + 15, a.sign_pub, 32);
    memcpy(buf + 47, a.dh_pub, 32);
    CHECK_EQ_INT(bp_sha256(buf, sizeof buf, want), 0);
    CHECK_MEM(fa, want, 32);
    char human[40];
    bp_fingerprint_human(fa, human);
    CHECK_EQ_INT(strlen(human), 39);
    CHECK(human[4] == ' ' && human[9] == ' ');

    uint8_t nonce[32], m1[BP_AUTH_MSG_MAX], m2[BP_AUTH_MSG_MAX], sig[64];
    CHECK_EQ_INT(bp_random(nonce, sizeof nonce), 0);
    int n1 = bp_auth_message(nonce, a.sign_pub, a.dh_pub, NULL, 0, m1);
    CHECK_EQ_INT(n1, 14 + 32 * 3);
    CHECK_MEM(m1, "bilan-auth-v1\0", 14);
    CHECK_MEM(m1 + 14, nonce, 32);
    const uint8_t token[32] = {1, 2, 3};
    int n2 = bp_auth_message(nonce, a.sign_pub, a.dh_pub, token, 32, m2);
    CHECK_EQ_INT(n2, 15 + 32 * 4);
    CHECK_MEM(m2, "bilan-enrol-v1\0", 15);
    CHECK_EQ_INT(bp_ed25519_sign(a.sign_priv, m1, (size_t)n1, sig), 0);
    CHECK_EQ_INT(bp_ed25519_verify(a.sign_pub, m1, (size_t)n1, sig), 0);
    /* An auth signature is not an enrolment signature (domain separation). */
    CHECK_EQ_INT(bp_ed25519_verify(a.sign_pub, m2, (size_t)n2, sig), BP_E_BAD_SIGNATURE);
    CHECK_EQ_INT(bp_ed25519_verify(b.sign_pub, m1, (size_t)n1, sig), BP_E_BAD_SIGNATURE);
    CHECK_EQ_INT(bp_ct_cmp(fa, fa2, 32), 0);
    CHECK(bp_ct_cmp(fa, fb, 32) != 0);
    bp_identity_wipe(&a);
    static const uint8_t zeros[sizeof a] = {0};
    CHECK_MEM(&a, zeros, sizeof a);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s VECTORS_DIR\n", argv[0]);
        return 2;
    }
    vdir = argv[1];
    test_x25519();
    test_ed25519();
    test_hkdf();
    test_identity_and_auth_message();
    return check_report();
}
