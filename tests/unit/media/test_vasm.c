/* test_vasm.c: video frame reassembly (client/media/vasm.h): chunks in
 * order, out of order, duplicated, missing (the frame is given up when a
 * newer one completes or times out), chunks that disagree with their
 * frame, the memory bound, and senders kept apart. */
#include <stdlib.h>
#include <string.h>

#include "bp/err.h"
#include "../check.h"
#include "vasm.h"

/* A frame of len bytes whose byte i is (seed + i * 7) & 0xff. */
static void fill(uint8_t *b, size_t len, unsigned seed)
{
    for (size_t i = 0; i < len; i++)
        b[i] = (uint8_t)(seed + i * 7);
}

/* Pushes chunk idx of a frame of len bytes cut in BP_VCHUNK_DATA_MAX pieces. */
static int push_chunk(struct vasm *v, unsigned sender, uint32_t frame, const uint8_t *b, size_t len,
                      unsigned idx, uint64_t now, struct vasm_frame *out)
{
    struct bp_vchunk c = {.frame = frame,
                          .picture = frame * 2,
                          .index = (uint16_t)idx,
                          .count = (uint16_t)bp_vchunk_count(len)};
    c.data = b + (size_t)idx * BP_VCHUNK_DATA_MAX;
    size_t rest = len - (size_t)idx * BP_VCHUNK_DATA_MAX;
    c.len = rest < BP_VCHUNK_DATA_MAX ? rest : BP_VCHUNK_DATA_MAX;
    struct vasm_meta m = {
        .media_ts = frame * 3000, .capture_ms = frame * 33, .keyframe = frame == 0};
    return vasm_push(v, sender, &c, &m, now, out);
}

static struct vasm *make(unsigned senders)
{
    struct vasm_config cfg;
    vasm_config_default(&cfg, senders);
    struct vasm *v = NULL;
    const char *why = NULL;
    CHECK_EQ_INT(vasm_new(&cfg, &v, &why), 0);
    return v;
}

static void test_config(void)
{
    struct vasm_config cfg;
    struct vasm *v = NULL;
    const char *why = NULL;
    vasm_config_default(&cfg, 0);
    CHECK_EQ_INT(vasm_new(&cfg, &v, &why), BP_E_INVALID_FIELD);
    CHECK(v == NULL && why != NULL);
    vasm_config_default(&cfg, 4);
    cfg.bytes_max = 1000;
    CHECK_EQ_INT(vasm_new(&cfg, &v, &why), BP_E_INVALID_FIELD);
    vasm_config_default(&cfg, 4);
    cfg.frames = 0;
    CHECK_EQ_INT(vasm_new(&cfg, &v, &why), BP_E_INVALID_FIELD);
}

static void test_in_order(void)
{
    struct vasm *v = make(4);
    static uint8_t b[5000];
    fill(b, sizeof b, 1);
    struct vasm_frame out;
    unsigned n = bp_vchunk_count(sizeof b);
    CHECK_EQ_INT(n, 5);
    for (unsigned i = 0; i + 1 < n; i++)
        CHECK_EQ_INT(push_chunk(v, 0, 0, b, sizeof b, i, 1000, &out), VASM_STORED);
    CHECK_EQ_INT(push_chunk(v, 0, 0, b, sizeof b, n - 1, 1000, &out), VASM_COMPLETE);
    CHECK_EQ_INT(out.len, sizeof b);
    CHECK_MEM(out.data, b, sizeof b);
    CHECK_EQ_INT(out.frame, 0);
    CHECK_EQ_INT(out.picture, 0);
    CHECK_EQ_INT(out.keyframe, 1);
    /* A one-chunk frame completes at once. */
    CHECK_EQ_INT(push_chunk(v, 0, 1, b, 100, 0, 2000, &out), VASM_COMPLETE);
    CHECK_EQ_INT(out.len, 100);
    CHECK_EQ_INT(out.picture, 2);
    CHECK_EQ_INT(out.media_ts, 3000);
    CHECK_EQ_INT(out.capture_ms, 33);
    CHECK_EQ_INT(out.keyframe, 0);
    struct vasm_stats st;
    vasm_stats_get(v, 0, &st);
    CHECK_EQ_INT(st.complete, 2);
    CHECK_EQ_INT(st.chunks, 6);
    CHECK_EQ_INT(st.bytes_held, 0);
    CHECK_EQ_INT(st.in_progress, 0);
    vasm_free(v);
}

static void test_out_of_order_and_duplicate(void)
{
    struct vasm *v = make(4);
    static uint8_t b[3 * BP_VCHUNK_DATA_MAX + 17];
    fill(b, sizeof b, 9);
    struct vasm_frame out;
    CHECK_EQ_INT(push_chunk(v, 1, 5, b, sizeof b, 3, 10, &out), VASM_STORED);
    CHECK_EQ_INT(push_chunk(v, 1, 5, b, sizeof b, 1, 11, &out), VASM_STORED);
    CHECK_EQ_INT(push_chunk(v, 1, 5, b, sizeof b, 1, 12, &out), VASM_DUPLICATE);
    CHECK_EQ_INT(push_chunk(v, 1, 5, b, sizeof b, 0, 13, &out), VASM_STORED);
    CHECK_EQ_INT(push_chunk(v, 1, 5, b, sizeof b, 2, 14, &out), VASM_COMPLETE);
    CHECK_EQ_INT(out.len, sizeof b);
    CHECK_MEM(out.data, b, sizeof b);
    /* Once handed out, a repeat of any of its chunks is late. */
    CHECK_EQ_INT(push_chunk(v, 1, 5, b, sizeof b, 2, 15, &out), VASM_LATE);
    /* So is an older frame. */
    CHECK_EQ_INT(push_chunk(v, 1, 4, b, 10, 0, 16, &out), VASM_LATE);
    struct vasm_stats st;
    vasm_stats_get(v, 1, &st);
    CHECK_EQ_INT(st.duplicate, 1);
    CHECK_EQ_INT(st.late, 2);
    CHECK_EQ_INT(st.complete, 1);
    vasm_free(v);
}

static void test_missing_given_up(void)
{
    struct vasm *v = make(2);
    static uint8_t b[4000];
    fill(b, sizeof b, 3);
    struct vasm_frame out;
    /* Frame 10 misses chunk 2; frame 11 completes: 10 is given up. */
    CHECK_EQ_INT(push_chunk(v, 0, 10, b, sizeof b, 0, 0, &out), VASM_STORED);
    CHECK_EQ_INT(push_chunk(v, 0, 10, b, sizeof b, 1, 0, &out), VASM_STORED);
    CHECK_EQ_INT(push_chunk(v, 0, 11, b, 500, 0, 0, &out), VASM_COMPLETE);
    CHECK_EQ_INT(out.frame, 11);
    struct vasm_stats st;
    vasm_stats_get(v, 0, &st);
    CHECK_EQ_INT(st.given_up, 1);
    CHECK_EQ_INT(st.in_progress, 0);
    CHECK_EQ_INT(st.bytes_held, 0);
    /* Its missing chunk arriving now is late, not a new frame. */
    CHECK_EQ_INT(push_chunk(v, 0, 10, b, sizeof b, 3, 0, &out), VASM_LATE);
    /* Timeout: frame 12 unfinished for a second is given up. */
    CHECK_EQ_INT(push_chunk(v, 0, 12, b, sizeof b, 0, 100, &out), VASM_STORED);
    CHECK_EQ_INT(vasm_expire(v, 500000), 0);
    CHECK_EQ_INT(vasm_expire(v, 1000100), 1);
    vasm_stats_get(v, 0, &st);
    CHECK_EQ_INT(st.given_up, 2);
    CHECK_EQ_INT(push_chunk(v, 0, 12, b, sizeof b, 1, 1000200, &out), VASM_LATE);
    /* A reset sender starts again at frame 0. */
    vasm_reset(v, 0);
    CHECK_EQ_INT(push_chunk(v, 0, 0, b, 10, 0, 1000300, &out), VASM_COMPLETE);
    vasm_free(v);
}

static void test_mismatch_and_bad_chunks(void)
{
    struct vasm *v = make(2);
    static uint8_t b[3000];
    fill(b, sizeof b, 5);
    struct vasm_frame out;
    CHECK_EQ_INT(push_chunk(v, 0, 1, b, sizeof b, 0, 0, &out), VASM_STORED);
    /* Same frame, another count. */
    struct bp_vchunk c = {.frame = 1, .picture = 2, .index = 1, .count = 4, .data = b, .len = 1200};
    struct vasm_meta m = {.media_ts = 3000, .capture_ms = 33};
    CHECK_EQ_INT(vasm_push(v, 0, &c, &m, 0, &out), VASM_MISMATCH);
    /* Another picture, another media_ts, a keyframe flag. */
    c.count = 3;
    c.picture = 7;
    CHECK_EQ_INT(vasm_push(v, 0, &c, &m, 0, &out), VASM_MISMATCH);
    c.picture = 2;
    m.media_ts = 1;
    CHECK_EQ_INT(vasm_push(v, 0, &c, &m, 0, &out), VASM_MISMATCH);
    m.media_ts = 3000;
    m.keyframe = 1;
    CHECK_EQ_INT(vasm_push(v, 0, &c, &m, 0, &out), VASM_MISMATCH);
    m.keyframe = 0;
    CHECK_EQ_INT(vasm_push(v, 0, &c, &m, 0, &out), VASM_STORED);
    /* Out of bounds: index past count, empty, oversize, unknown sender. */
    struct bp_vchunk bad = c;
    bad.index = 3;
    CHECK_EQ_INT(vasm_push(v, 0, &bad, &m, 0, &out), BP_E_INVALID_FIELD);
    bad = c;
    bad.len = 0;
    CHECK_EQ_INT(vasm_push(v, 0, &bad, &m, 0, &out), BP_E_INVALID_FIELD);
    bad = c;
    bad.len = BP_VCHUNK_DATA_MAX + 1;
    CHECK_EQ_INT(vasm_push(v, 0, &bad, &m, 0, &out), BP_E_INVALID_FIELD);
    CHECK_EQ_INT(vasm_push(v, 2, &c, &m, 0, &out), BP_E_INVALID_FIELD);
    struct vasm_stats st;
    vasm_stats_get(v, 0, &st);
    CHECK_EQ_INT(st.mismatch, 4);
    CHECK_EQ_INT(st.in_progress, 1);
    vasm_free(v);
}

static void test_memory_bound(void)
{
    struct vasm_config cfg;
    vasm_config_default(&cfg, 1);
    cfg.frames = 8;
    struct vasm *v = NULL;
    const char *why = NULL;
    CHECK_EQ_INT(vasm_new(&cfg, &v, &why), 0);
    struct vasm_frame out;
    static uint8_t d[BP_VCHUNK_DATA_MAX];
    fill(d, sizeof d, 1);
    /* Frames claiming the largest count, each with one chunk: each reserves
     * 1.2 MB, so only 3 fit in 4 MiB; older ones are given up for newer. */
    for (uint32_t f = 0; f < 20; f++) {
        struct bp_vchunk c = {.frame = f,
                              .picture = f,
                              .index = 0,
                              .count = BP_VCHUNK_COUNT_MAX,
                              .data = d,
                              .len = sizeof d};
        struct vasm_meta m = {.media_ts = f};
        CHECK_EQ_INT(vasm_push(v, 0, &c, &m, f, &out), VASM_STORED);
        struct vasm_stats st;
        vasm_stats_get(v, 0, &st);
        CHECK(st.bytes_held <= cfg.bytes_max);
        CHECK(st.in_progress <= 3);
    }
    struct vasm_stats st;
    vasm_stats_get(v, 0, &st);
    CHECK_EQ_INT(st.given_up, 17);
    CHECK(st.bytes_peak <= cfg.bytes_max);
    /* An older frame than those in progress does not push them out. */
    struct bp_vchunk c = {.frame = 16,
                          .picture = 16,
                          .index = 0,
                          .count = BP_VCHUNK_COUNT_MAX,
                          .data = d,
                          .len = sizeof d};
    struct vasm_meta m = {.media_ts = 16};
    CHECK_EQ_INT(vasm_push(v, 0, &c, &m, 30, &out), VASM_LATE);
    vasm_free(v);
}

static void test_many_senders(void)
{
    struct vasm *v = make(4);
    static uint8_t b[4][2500];
    for (unsigned s = 0; s < 4; s++)
        fill(b[s], sizeof b[s], 40 + s);
    struct vasm_frame out;
    /* Interleave the chunks of frame 0 of each sender. */
    for (unsigned i = 0; i < 2; i++)
        for (unsigned s = 0; s < 4; s++)
            CHECK_EQ_INT(push_chunk(v, s, 0, b[s], sizeof b[s], i, 0, &out), VASM_STORED);
    for (unsigned s = 0; s < 4; s++) {
        CHECK_EQ_INT(push_chunk(v, s, 0, b[s], sizeof b[s], 2, 0, &out), VASM_COMPLETE);
        CHECK_EQ_INT(out.len, sizeof b[s]);
        CHECK_MEM(out.data, b[s], sizeof b[s]);
    }
    /* A completed frame of sender 1 gives up nothing of sender 2. */
    CHECK_EQ_INT(push_chunk(v, 2, 1, b[2], sizeof b[2], 0, 0, &out), VASM_STORED);
    CHECK_EQ_INT(push_chunk(v, 1, 5, b[1], 10, 0, 0, &out), VASM_COMPLETE);
    struct vasm_stats st;
    vasm_stats_get(v, 99, &st);
    CHECK_EQ_INT(st.complete, 5);
    CHECK_EQ_INT(st.given_up, 0);
    CHECK_EQ_INT(st.in_progress, 1);
    vasm_free(v);
}

static void test_wrap(void)
{
    struct vasm *v = make(1);
    static uint8_t b[100];
    fill(b, sizeof b, 2);
    struct vasm_frame out;
    CHECK_EQ_INT(push_chunk(v, 0, 0xfffffffeu, b, sizeof b, 0, 0, &out), VASM_COMPLETE);
    CHECK_EQ_INT(push_chunk(v, 0, 0xffffffffu, b, sizeof b, 0, 0, &out), VASM_COMPLETE);
    CHECK_EQ_INT(push_chunk(v, 0, 0, b, sizeof b, 0, 0, &out), VASM_COMPLETE);
    CHECK_EQ_INT(push_chunk(v, 0, 0xffffffffu, b, sizeof b, 0, 0, &out), VASM_LATE);
    vasm_free(v);
}

int main(void)
{
    test_config();
    test_in_order();
    test_out_of_order_and_duplicate();
    test_missing_given_up();
    test_mismatch_and_bad_chunks();
    test_memory_bound();
    test_many_senders();
    test_wrap();
    return check_report();
}
