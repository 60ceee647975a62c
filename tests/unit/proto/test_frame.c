/* test_frame.c: the 16-byte binary header of proto/frame.c. */
#include "bp/bp.h"
#include "../check.h"

static void test_roundtrip_and_byte_order(void)
{
    struct bp_hdr h = {.version = 1, .kind = BP_KIND_VIDEO, .flags = BP_FLAG_KEYFRAME, .slot = 2,
                       .seq = 0x01020304, .media_ts = 0xA0B0C0D0, .capture_ms = 0xFFFFFFFE};
    uint8_t b[BP_HDR_LEN + 4] = {0};
    bp_hdr_encode(&h, b);
    static const uint8_t want[16] = {1, 2, 1, 2, 1, 2, 3, 4, 0xA0, 0xB0, 0xC0, 0xD0, 0xFF, 0xFF, 0xFF, 0xFE};
    CHECK_MEM(b, want, 16);
    struct bp_hdr d;
    const char *why = "unset";
    CHECK_EQ_INT(bp_hdr_decode(b, sizeof b, &d, &why), 0);
    CHECK(why == NULL);
    CHECK_EQ_INT(d.kind, BP_KIND_VIDEO);
    CHECK_EQ_INT(d.flags, BP_FLAG_KEYFRAME);
    CHECK_EQ_INT(d.slot, 2);
    CHECK_EQ_INT(d.seq, 0x01020304);
    CHECK_EQ_INT(d.media_ts, 0xA0B0C0D0u);
    CHECK_EQ_INT(d.capture_ms, 0xFFFFFFFEu);
    bp_hdr_set_slot(b, 3);
    CHECK_EQ_INT(b[3], 3);
    CHECK_MEM(b + 4, want + 4, 12); /* only the slot byte changed */
}

static void test_rejects(void)
{
    uint8_t b[BP_HDR_LEN] = {1, BP_KIND_DATA, 0, 0};
    struct bp_hdr d;
    const char *why = NULL;
    CHECK_EQ_INT(bp_hdr_decode(b, 15, &d, &why), BP_E_BAD_FRAME);
    CHECK(why && strstr(why, "shorter"));
    CHECK_EQ_INT(bp_hdr_decode(b, 0, &d, &why), BP_E_BAD_FRAME);
    CHECK_EQ_INT(bp_hdr_decode(b, BP_MAX_FRAME + 1, &d, &why), BP_E_TOO_LARGE);
    CHECK_EQ_INT(bp_hdr_decode(b, 16, &d, &why), 0);
    b[0] = 2;
    CHECK_EQ_INT(bp_hdr_decode(b, 16, &d, &why), BP_E_BAD_FRAME);
    b[0] = 0;
    CHECK_EQ_INT(bp_hdr_decode(b, 16, &d, &why), BP_E_BAD_FRAME);
    b[0] = 1;
    b[1] = 0;
    CHECK_EQ_INT(bp_hdr_decode(b, 16, &d, &why), BP_E_BAD_FRAME);
    b[1] = 4;
    CHECK_EQ_INT(bp_hdr_decode(b, 16, &d, &why), BP_E_BAD_FRAME);
    CHECK(why && strstr(why, "kind"));
    b[1] = BP_KIND_AUDIO;
    b[2] = 0x02; /* reserved flag */
    CHECK_EQ_INT(bp_hdr_decode(b, 16, &d, &why), BP_E_BAD_FRAME);
    CHECK(why && strstr(why, "reserved"));
    b[2] = BP_FLAG_KEYFRAME; /* keyframe on audio */
    CHECK_EQ_INT(bp_hdr_decode(b, 16, &d, &why), BP_E_BAD_FRAME);
    b[1] = BP_KIND_VIDEO;
    CHECK_EQ_INT(bp_hdr_decode(b, 16, &d, &why), 0);
    CHECK_EQ_INT(bp_hdr_decode(b, BP_MAX_FRAME, &d, &why), 0);
    /* NULL why is allowed */
    CHECK_EQ_INT(bp_hdr_decode(b, 3, &d, NULL), BP_E_BAD_FRAME);
}

int main(void)
{
    test_roundtrip_and_byte_order();
    test_rejects();
    return check_report();
}
