/* test_media.c: tests of proto/media.c, the audio and video payloads of
 * PROTOCOL.md §4.2: the chunk header's bytes, round trips, every limit. */
#include <stdint.h>
#include <string.h>

#include "../check.h"
#include "bp/bp.h"
#include "bp/media.h"

static void test_layout(void)
{
    struct bp_vchunk c = {.frame = 0x01020304, .picture = 0xa0b0c0d0, .index = 0x0102, .count = 0x0403};
    uint8_t p[BP_VCHUNK_HDR + 3];
    bp_vchunk_encode_hdr(&c, p);
    static const uint8_t want[12] = {1, 2, 3, 4, 0xa0, 0xb0, 0xc0, 0xd0, 1, 2, 4, 3};
    CHECK_MEM(p, want, 12);
    memcpy(p + 12, "vp8", 3);
    struct bp_vchunk d;
    const char *why = NULL;
    CHECK_EQ_INT(bp_vchunk_decode(p, sizeof p, &d, &why), BP_E_BAD_FRAME); /* count > 1024 */
    c.count = 1024, c.index = 1023;
    bp_vchunk_encode_hdr(&c, p);
    CHECK_EQ_INT(bp_vchunk_decode(p, sizeof p, &d, &why), 0);
    CHECK_EQ_INT(d.frame, 0x01020304);
    CHECK_EQ_INT(d.picture, 0xa0b0c0d0);
    CHECK_EQ_INT(d.index, 1023);
    CHECK_EQ_INT(d.count, 1024);
    CHECK_EQ_INT(d.len, 3);
    CHECK(d.data == p + 12);
}

static void test_limits(void)
{
    static uint8_t p[BP_VCHUNK_HDR + BP_VCHUNK_DATA_MAX + 1];
    struct bp_vchunk c = {.frame = 7, .picture = 9, .index = 0, .count = 1}, d;
    const char *why = NULL;
    bp_vchunk_encode_hdr(&c, p);
    CHECK_EQ_INT(bp_vchunk_decode(p, BP_VCHUNK_HDR + BP_VCHUNK_DATA_MAX, &d, &why), 0);
    why = NULL;
    CHECK_EQ_INT(bp_vchunk_decode(p, BP_VCHUNK_HDR + BP_VCHUNK_DATA_MAX + 1, &d, &why), BP_E_BAD_FRAME);
    CHECK(why != NULL);
    CHECK_EQ_INT(bp_vchunk_decode(p, BP_VCHUNK_HDR, &d, &why), BP_E_BAD_FRAME);
    CHECK_EQ_INT(bp_vchunk_decode(p, BP_VCHUNK_HDR - 1, &d, &why), BP_E_BAD_FRAME);
    CHECK_EQ_INT(bp_vchunk_decode(p, 0, &d, &why), BP_E_BAD_FRAME);
    c.count = 0;
    bp_vchunk_encode_hdr(&c, p);
    CHECK_EQ_INT(bp_vchunk_decode(p, BP_VCHUNK_HDR + 1, &d, &why), BP_E_BAD_FRAME);
    c.count = 2, c.index = 2;
    bp_vchunk_encode_hdr(&c, p);
    CHECK_EQ_INT(bp_vchunk_decode(p, BP_VCHUNK_HDR + 1, &d, &why), BP_E_BAD_FRAME);
    c.index = 1;
    bp_vchunk_encode_hdr(&c, p);
    CHECK_EQ_INT(bp_vchunk_decode(p, BP_VCHUNK_HDR + 1, &d, &why), 0);
    /* Chunks per frame. */
    CHECK_EQ_INT(bp_vchunk_count(0), 0);
    CHECK_EQ_INT(bp_vchunk_count(1), 1);
    CHECK_EQ_INT(bp_vchunk_count(BP_VCHUNK_DATA_MAX), 1);
    CHECK_EQ_INT(bp_vchunk_count(BP_VCHUNK_DATA_MAX + 1), 2);
    CHECK_EQ_INT(bp_vchunk_count((size_t)BP_VCHUNK_DATA_MAX * BP_VCHUNK_COUNT_MAX), BP_VCHUNK_COUNT_MAX);
    CHECK_EQ_INT(bp_vchunk_count((size_t)BP_VCHUNK_DATA_MAX * BP_VCHUNK_COUNT_MAX + 1), 0);
    /* Audio: one Opus packet. */
    CHECK_EQ_INT(bp_audio_check(0, &why), BP_E_BAD_FRAME);
    CHECK_EQ_INT(bp_audio_check(1, &why), 0);
    CHECK_EQ_INT(bp_audio_check(BP_AUDIO_PACKET_MAX, &why), 0);
    CHECK_EQ_INT(bp_audio_check(BP_AUDIO_PACKET_MAX + 1, &why), BP_E_BAD_FRAME);
}

int main(void)
{
    test_layout();
    test_limits();
    return check_report();
}
