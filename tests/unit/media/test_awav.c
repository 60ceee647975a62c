/* test_awav.c: the pure RIFF/WAVE parser and header writer
 * (client/media/awav.c): the header we write parses back; unknown chunks
 * (odd-sized, padded) are skipped; each refusal says why: 8-bit, float,
 * compressed, 3 channels, rates out of 8..192 kHz, truncated headers, no fmt,
 * no data chunk, not RIFF; every prefix of a valid header is refused
 * without reading past it (ASan watches). */
#include <stdint.h>
#include <stdlib.h>

#include "../check.h"
#include "awav.h"
#include "bp/err.h"

static size_t put_chunk(uint8_t *p, const char *id, const void *body, uint32_t n)
{
    memcpy(p, id, 4);
    p[4] = (uint8_t)n;
    p[5] = (uint8_t)(n >> 8);
    p[6] = (uint8_t)(n >> 16);
    p[7] = (uint8_t)(n >> 24);
    if (body)
        memcpy(p + 8, body, n);
    else
        memset(p + 8, 0, n);
    size_t len = 8 + n;
    if (n & 1)
        p[len++] = 0;
    return len;
}

/* A header: RIFF, optional odd-sized "LIST", fmt, data with data_n bytes. */
static size_t build(uint8_t *p, unsigned format, unsigned channels, uint32_t rate,
                    unsigned bits, int with_list, int with_fmt, int with_data)
{
    memcpy(p, "RIFF\0\0\0\0WAVE", 12);
    size_t off = 12;
    if (with_list)
        off += put_chunk(p + off, "LIST", "INFOabc", 7);
    uint8_t fmt[16] = {0};
    fmt[0] = (uint8_t)format;
    fmt[1] = (uint8_t)(format >> 8);
    fmt[2] = (uint8_t)channels;
    fmt[4] = (uint8_t)rate;
    fmt[5] = (uint8_t)(rate >> 8);
    fmt[6] = (uint8_t)(rate >> 16);
    unsigned align = channels * bits / 8;
    fmt[12] = (uint8_t)align;
    fmt[14] = (uint8_t)bits;
    if (with_fmt)
        off += put_chunk(p + off, "fmt ", fmt, 16);
    if (with_data) {
        memcpy(p + off, "data\x10\0\0\0", 8);
        off += 8 + 16;
    }
    return off;
}

static void expect_refused(const uint8_t *p, size_t len, const char *needle)
{
    struct awav_info info;
    const char *why = NULL;
    CHECK_EQ_INT(awav_parse(p, len, &info, &why), BP_E_INVALID_FIELD);
    CHECK(why != NULL && strstr(why, needle) != NULL);
    if (why && !strstr(why, needle))
        fprintf(stderr, "  why was \"%s\", wanted \"%s\"\n", why, needle);
}

static void test_ours_round_trip(void)
{
    uint8_t h[AWAV_HEADER_LEN];
    awav_header_put(h, 1920);
    struct awav_info info;
    const char *why = NULL;
    CHECK_EQ_INT(awav_parse(h, sizeof h, &info, &why), 0);
    CHECK_EQ_INT(info.channels, 1);
    CHECK_EQ_INT(info.rate, 48000);
    CHECK_EQ_INT(info.data_off, 44);
    CHECK_EQ_INT(info.data_len, 1920);
    CHECK_MEM(h + 4, "\xa4\x07\0\0", 4); /* RIFF size 36 + 1920 */
}

static void test_skips_chunks(void)
{
    uint8_t p[256];
    size_t n = build(p, 1, 2, 44100, 16, 1, 1, 1);
    struct awav_info info;
    const char *why = NULL;
    CHECK_EQ_INT(awav_parse(p, n, &info, &why), 0);
    CHECK_EQ_INT(info.channels, 2);
    CHECK_EQ_INT(info.rate, 44100);
    CHECK_EQ_INT(info.data_off, n - 16);
    CHECK_EQ_INT(info.data_len, 16);
    /* every prefix is refused, never read past (ASan), always with a reason */
    for (size_t k = 0; k < n - 16; k++) {
        uint8_t *copy = malloc(k ? k : 1);
        memcpy(copy, p, k);
        why = NULL;
        CHECK_EQ_INT(awav_parse(copy, k, &info, &why), BP_E_INVALID_FIELD);
        CHECK(why != NULL);
        free(copy);
    }
}

static void test_refusals(void)
{
    uint8_t p[256];
    size_t n;
    n = build(p, 1, 1, 48000, 8, 0, 1, 1);
    expect_refused(p, n, "8-bit");
    n = build(p, 3, 1, 48000, 32, 0, 1, 1);
    expect_refused(p, n, "virgule flottante");
    n = build(p, 0x55, 1, 48000, 16, 0, 1, 1); /* MP3 in a WAV */
    expect_refused(p, n, "pas PCM");
    n = build(p, 1, 1, 48000, 24, 0, 1, 1);
    expect_refused(p, n, "pas sur 16 bits");
    n = build(p, 1, 3, 48000, 16, 0, 1, 1);
    expect_refused(p, n, "mono ou stéréo");
    n = build(p, 1, 1, 7999, 16, 0, 1, 1);
    expect_refused(p, n, "8000 à 192000");
    n = build(p, 1, 1, 192001, 16, 0, 1, 1);
    expect_refused(p, n, "8000 à 192000");
    n = build(p, 1, 1, 48000, 16, 1, 1, 0);
    expect_refused(p, n, "aucun bloc data");
    n = build(p, 1, 1, 48000, 16, 1, 0, 1);
    expect_refused(p, n, "avant le bloc fmt");
    n = build(p, 1, 1, 48000, 16, 1, 0, 0);
    expect_refused(p, n, "aucun bloc fmt");
    n = build(p, 1, 1, 48000, 16, 1, 1, 1);
    expect_refused(p, 22, "en-tête tronqué"); /* inside the LIST chunk */
    n = build(p, 1, 1, 48000, 16, 0, 1, 1);
    expect_refused(p, 20, "en-tête tronqué");
    expect_refused(p, 30, "en-tête tronqué"); /* inside the fmt chunk */
    expect_refused(p, 8, "en-tête tronqué");
    memcpy(p, "RIFX", 4);
    expect_refused(p, n, "pas un fichier RIFF/WAVE");
    /* extensible with a PCM sub-format is read; with float it is refused */
    uint8_t ext[40] = {0xFE, 0xFF, 1, 0, 0x80, 0xBB, 0, 0, 0, 0, 0, 0, 2, 0, 16, 0, 22, 0};
    ext[24] = 1;
    memcpy(p, "RIFF\0\0\0\0WAVE", 12);
    size_t off = 12 + put_chunk(p + 12, "fmt ", ext, 40);
    memcpy(p + off, "data\0\0\0\0", 8);
    struct awav_info info;
    const char *why = NULL;
    CHECK_EQ_INT(awav_parse(p, off + 8, &info, &why), 0);
    p[12 + 8 + 24] = 3;
    expect_refused(p, off + 8, "virgule flottante");
}

int main(void)
{
    test_ours_round_trip();
    test_skips_chunks();
    test_refusals();
    return check_report();
}
