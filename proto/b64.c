/* b64.c: base64url without padding (RFC 4648 §5), the only text form of keys,
 * tokens, nonces and signatures on the wire. The decoder is strict so that one
 * value has exactly one spelling (tokens are compared by hash). */
#include <string.h>

#include "bp/b64.h"

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

size_t bp_b64_len(size_t n)
{
    return n / 3 * 4 + (n % 3 ? n % 3 + 1 : 0);
}

size_t bp_b64_encode(const uint8_t *in, size_t n, char *out)
{
    size_t o = 0, i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        out[o++] = b64_alphabet[v >> 18 & 63];
        out[o++] = b64_alphabet[v >> 12 & 63];
        out[o++] = b64_alphabet[v >> 6 & 63];
        out[o++] = b64_alphabet[v & 63];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)in[i] << 16;
        out[o++] = b64_alphabet[v >> 18 & 63];
        out[o++] = b64_alphabet[v >> 12 & 63];
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
        out[o++] = b64_alphabet[v >> 18 & 63];
        out[o++] = b64_alphabet[v >> 12 & 63];
        out[o++] = b64_alphabet[v >> 6 & 63];
    }
    out[o] = '\0';
    return o;
}

static int b64_value(char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '-') return 62;
    if (c == '_') return 63;
    return -1;
}

int bp_b64_decode(const char *in, size_t n, uint8_t *out, size_t cap)
{
    if (n % 4 == 1)
        return BP_E_INVALID_FIELD;
    size_t want = n / 4 * 3 + (n % 4 ? n % 4 - 1 : 0);
    if (want > cap)
        return BP_E_INVALID_FIELD;
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        int v = b64_value(in[i]);
        if (v < 0)
            return BP_E_INVALID_FIELD;
        acc = acc << 6 | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (uint8_t)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    if (acc != 0) /* non-canonical: leftover bits must be zero */
        return BP_E_INVALID_FIELD;
    return (int)o;
}

int bp_b64_decode_exact(const char *in, uint8_t *out, size_t want)
{
    if (!in || strlen(in) != bp_b64_len(want))
        return BP_E_INVALID_FIELD;
    int n = bp_b64_decode(in, strlen(in), out, want);
    return n == (int)want ? 0 : BP_E_INVALID_FIELD;
}
