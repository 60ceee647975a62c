/* test_b64.c: base64url of proto/b64.c against RFC 4648 §10 vectors (with the
 * url alphabet and padding removed) and its strictness. */
#include "bp/bp.h"
#include "../check.h"

static void test_rfc4648(void)
{
    static const char *plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    static const char *enc[] = {"", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy"};
    for (int i = 0; i < 7; i++) {
        char out[16];
        uint8_t back[16];
        size_t n = strlen(plain[i]);
        CHECK_EQ_INT(bp_b64_encode((const uint8_t *)plain[i], n, out), strlen(enc[i]));
        CHECK_STR(out, enc[i]);
        CHECK_EQ_INT(bp_b64_len(n), strlen(enc[i]));
        CHECK_EQ_INT(bp_b64_decode(enc[i], strlen(enc[i]), back, sizeof back), n);
        CHECK_MEM(back, plain[i], n);
    }
}

static void test_url_alphabet_and_strictness(void)
{
    const uint8_t in[3] = {0xfb, 0xff, 0xbf};
    char out[8];
    bp_b64_encode(in, 3, out);
    CHECK_STR(out, "-_-_");
    uint8_t b[8];
    CHECK_EQ_INT(bp_b64_decode("-_-_", 4, b, sizeof b), 3);
    CHECK_MEM(b, in, 3);
    CHECK(bp_b64_decode("+/+/", 4, b, sizeof b) < 0);   /* standard alphabet refused */
    CHECK(bp_b64_decode("Zg==", 4, b, sizeof b) < 0);   /* padding refused */
    CHECK(bp_b64_decode("Zh", 2, b, sizeof b) < 0);     /* non-zero trailing bits */
    CHECK(bp_b64_decode("Z", 1, b, sizeof b) < 0);      /* impossible length */
    CHECK(bp_b64_decode("Zm 9", 4, b, sizeof b) < 0);   /* whitespace */
    CHECK(bp_b64_decode("Zm9vYmFy", 8, b, 5) < 0);      /* over capacity */
    uint8_t key[32];
    memset(key, 0x5a, sizeof key);
    char k[BP_B64_32 + 1];
    CHECK_EQ_INT(bp_b64_encode(key, 32, k), BP_B64_32);
    uint8_t back[32];
    CHECK_EQ_INT(bp_b64_decode_exact(k, back, 32), 0);
    CHECK_MEM(back, key, 32);
    CHECK(bp_b64_decode_exact(k, back, 31) < 0);
    CHECK(bp_b64_decode_exact(NULL, back, 32) < 0);
}

int main(void)
{
    test_rfc4648();
    test_url_alphabet_and_strictness();
    return check_report();
}
