/* test_ws_consent.c: proto/ws_consent.c, the beneficiary's consent
 * statement (bp/ws_consent.h, PROTOCOL.md §10.3).
 *
 * The canonical text written out by hand (so that a change of key order,
 * spacing or escaping in the encoder shows up), encode and parse round
 * trips, every refusal named by its field, and the signature over the
 * domain-separated message: checked here with OpenSSL called directly on
 * "bilan-consent-v1" 0x00 || statement, then refused when tampered. */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "bp/bp.h"
#include "bp/ident.h"
#include "bp/ws_consent.h"
#include "../check.h"

#define DEV "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
#define S1 "AQEBAQEBAQEBAQEBAQEBAQ"
#define S2 "AgICAgICAgICAgICAgICAg"
#define GOOD "{\"at\":1796000000,\"bilan\":\"b1\",\"device\":\"" DEV "\",\"sheets\":[\"" S1 "\",\"" S2 \
             "\"],\"type\":\"consent\",\"v\":1}"

static int parse(const char *s, struct bp_verr *e)
{
    struct bp_ws_consent k;
    memset(e, 0, sizeof *e);
    return bp_ws_consent_parse(s, strlen(s), &k, e);
}

/* s is refused, its detail naming what. */
static void refused(const char *s, const char *names)
{
    struct bp_verr e;
    int rc = parse(s, &e);
    CHECK(rc == BP_E_INVALID_FIELD || rc == BP_E_MISSING_FIELD);
    if (!strstr(e.detail, names))
        fprintf(stderr, "  %s\n  -> %s (want %s)\n", s, e.detail, names);
    CHECK(strstr(e.detail, names) != NULL);
}

static void test_parse_encode(void)
{
    struct bp_ws_consent k;
    struct bp_verr e;
    CHECK_EQ_INT(bp_ws_consent_parse(GOOD, strlen(GOOD), &k, &e), 0);
    CHECK(k.at == 1796000000 && k.n_sheets == 2);
    CHECK_STR(k.bilan, "b1");
    CHECK_STR(k.device, DEV);
    CHECK_STR(k.sheets[1], S2);
    size_t n = 0;
    char *back = bp_ws_consent_encode(&k, &n);
    CHECK(back && n == strlen(GOOD));
    if (back)
        CHECK_STR(back, GOOD);
    free(back);
    k.n_sheets = 0; /* a withdrawal: no sheet */
    back = bp_ws_consent_encode(&k, NULL);
    CHECK(back && strstr(back, "\"sheets\":[]") && parse(back, &e) == 0);
    free(back);
    snprintf(k.sheets[0], sizeof k.sheets[0], "%s", S2);
    snprintf(k.sheets[1], sizeof k.sheets[1], "%s", S1);
    k.n_sheets = 2; /* unsorted: not a statement */
    CHECK(bp_ws_consent_encode(&k, NULL) == NULL);

    refused("{\"at\":1796000000, \"bilan\":\"b1\",\"device\":\"" DEV "\",\"sheets\":[],\"type\":\"consent\",\"v\":1}",
            "canonical");
    refused("{\"bilan\":\"b1\",\"at\":1796000000,\"device\":\"" DEV "\",\"sheets\":[],\"type\":\"consent\",\"v\":1}",
            "canonical");
    refused("{\"at\":1796000000,\"bilan\":\"b1\",\"device\":\"" DEV "\",\"sheets\":[\"" S2 "\",\"" S1
            "\"],\"type\":\"consent\",\"v\":1}", "'sheets'");
    refused("{\"at\":1796000000,\"bilan\":\"b1\",\"device\":\"" DEV "\",\"sheets\":[\"" S1 "\",\"" S1
            "\"],\"type\":\"consent\",\"v\":1}", "'sheets'");
    refused("{\"at\":1796000000,\"bilan\":\"b1\",\"device\":\"" DEV "\",\"sheets\":[\"AAAA\"],\"type\":\"consent\","
            "\"v\":1}", "'sheets[]'");
    refused("{\"at\":1796000000,\"bilan\":\"b1\",\"device\":\"AAAA\",\"sheets\":[],\"type\":\"consent\",\"v\":1}",
            "'device'");
    refused("{\"at\":-1,\"bilan\":\"b1\",\"device\":\"" DEV "\",\"sheets\":[],\"type\":\"consent\",\"v\":1}", "'at'");
    refused("{\"at\":1796000000,\"bilan\":\"b 1\",\"device\":\"" DEV "\",\"sheets\":[],\"type\":\"consent\",\"v\":1}",
            "'bilan'");
    refused("{\"at\":1796000000,\"bilan\":\"b1\",\"device\":\"" DEV "\",\"sheets\":[],\"type\":\"refusal\",\"v\":1}",
            "'type'");
    refused("{\"at\":1796000000,\"bilan\":\"b1\",\"device\":\"" DEV "\",\"sheets\":[],\"type\":\"consent\",\"v\":2}",
            "'v'");
    refused("{\"at\":1796000000,\"bilan\":\"b1\",\"device\":\"" DEV "\",\"type\":\"consent\",\"v\":1}", "'sheets'");
    refused("{\"at\":1796000000,\"bilan\":\"b1\",\"device\":\"" DEV "\",\"sheets\":[],\"type\":\"consent\",\"v\":1,"
            "\"x\":0}", "'statement'");
    refused("[1]", "'statement'");
    refused("{\"at\":1", "'statement'");
    char big[BP_WS_CONSENT_MAX + 2];
    memset(big, ' ', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    refused(big, "4096");
}

static void test_signature(void)
{
    struct bp_identity id;
    CHECK_EQ_INT(bp_identity_generate(&id), 0);
    uint8_t sig[BP_SIG_LEN];
    CHECK_EQ_INT(bp_ws_consent_sign(id.sign_priv, GOOD, strlen(GOOD), sig), 0);
    CHECK_EQ_INT(bp_ws_consent_verify(id.sign_pub, GOOD, strlen(GOOD), sig), 0);
    /* The message re-made here: the domain, one zero byte, the statement. */
    uint8_t msg[sizeof "bilan-consent-v1" + sizeof GOOD];
    memcpy(msg, "bilan-consent-v1", 17); /* with its NUL */
    memcpy(msg + 17, GOOD, strlen(GOOD));
    EVP_PKEY *pk = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, id.sign_pub, BP_KEY_LEN);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    CHECK(pk && md && EVP_DigestVerifyInit(md, NULL, NULL, NULL, pk) == 1 &&
          EVP_DigestVerify(md, sig, BP_SIG_LEN, msg, 17 + strlen(GOOD)) == 1);
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(pk);
    /* Tampered: a bit of the signature, a byte of the statement, another key. */
    sig[10] ^= 1;
    CHECK_EQ_INT(bp_ws_consent_verify(id.sign_pub, GOOD, strlen(GOOD), sig), BP_E_BAD_SIGNATURE);
    sig[10] ^= 1;
    char other[] = GOOD;
    other[7] = '1';
    CHECK_EQ_INT(bp_ws_consent_verify(id.sign_pub, other, strlen(other), sig), BP_E_BAD_SIGNATURE);
    struct bp_identity id2;
    CHECK_EQ_INT(bp_identity_generate(&id2), 0);
    CHECK_EQ_INT(bp_ws_consent_verify(id2.sign_pub, GOOD, strlen(GOOD), sig), BP_E_BAD_SIGNATURE);
}

int main(void)
{
    test_parse_encode();
    test_signature();
    return check_report();
}
