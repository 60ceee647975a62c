/* test_vsink.c: tests client/media/vsink_y4m.c: a file written by the sink
 * and read back by the y4m source gives the same pixels; gaps repeat the
 * last frame (indices 0, 1, 4 give 5 frames, 2 and 3 equal to 1); indices
 * already written are ignored; a wild index is refused. */
#include <stdint.h>

#include "../check.h"
#include "test_vtmp.h"
#include "vsink_y4m.h"
#include "vsource.h"

static int same_pixels(const struct vframe *a, const struct vframe *b)
{
    size_t n = (size_t)a->width * a->height + 2 * (size_t)vframe_half(a->width) *
               vframe_half(a->height);
    return a->width == b->width && a->height == b->height && memcmp(a->mem, b->mem, n) == 0;
}

static void test_roundtrip(void)
{
    char why[VSOURCE_WHY_MAX], path[512];
    struct vsource *pat, *rd;
    struct vsink_y4m *k;
    struct vsource_params p = {.width = 320, .height = 240};
    struct vframe sent[5], back;
    CHECK_EQ_INT(vsource_open(&pat, "pattern", &p, why, sizeof why), 0);
    CHECK_EQ_INT(vsink_y4m_open(&k, tmp_path(path, sizeof path, "rt.y4m"), 320, 240, 30, 1,
                                why, sizeof why), 0);
    for (int i = 0; i < 5; i++) {
        vframe_alloc(&sent[i], 320, 240);
        CHECK_EQ_INT(vsource_next(pat, &sent[i], why, sizeof why), 0);
        CHECK_EQ_INT(vsink_y4m_write(k, &sent[i], why, sizeof why), 0);
    }
    CHECK_EQ_INT(vsink_y4m_close(k, why, sizeof why), 0);
    CHECK_EQ_INT(vsource_open(&rd, path, &p, why, sizeof why), 0);
    vframe_alloc(&back, 320, 240);
    for (int i = 0; i < 5; i++) {
        CHECK_EQ_INT(vsource_next(rd, &back, why, sizeof why), 0);
        CHECK(same_pixels(&sent[i], &back));
    }
    vsource_close(rd);
    vsource_close(pat);
    for (int i = 0; i < 5; i++)
        vframe_free(&sent[i]);
    vframe_free(&back);
}

static void test_gaps(void)
{
    char why[VSOURCE_WHY_MAX], path[512];
    struct vsink_y4m *k;
    struct vsource *rd;
    struct vsource_params p = {.width = 16, .height = 8};
    struct vframe f, back;
    vframe_alloc(&f, 16, 8);
    vframe_alloc(&back, 16, 8);
    CHECK_EQ_INT(vsink_y4m_open(&k, tmp_path(path, sizeof path, "gap.y4m"), 16, 8, 30, 1, why,
                                sizeof why), 0);
    const uint32_t idx[] = {0, 1, 4, 4, 2};
    for (size_t i = 0; i < sizeof idx / sizeof idx[0]; i++) {
        memset(f.y, (int)(50 + idx[i]), 16 * 8);
        f.index = idx[i];
        CHECK_EQ_INT(vsink_y4m_write(k, &f, why, sizeof why), 0);
    }
    struct vsink_y4m_stats st;
    vsink_y4m_stats(k, &st);
    CHECK_EQ_INT(st.written, 5);
    CHECK_EQ_INT(st.repeated, 2);
    CHECK_EQ_INT(st.ignored, 2);
    f.index = 5 + VSINK_Y4M_MAX_GAP + 1;
    CHECK_EQ_INT(vsink_y4m_write(k, &f, why, sizeof why), VM_E_ARG);
    CHECK(strstr(why, "gap") != NULL);
    CHECK_EQ_INT(vsink_y4m_close(k, why, sizeof why), 0);
    CHECK_EQ_INT(vsource_open(&rd, path, &p, why, sizeof why), 0);
    const int want[] = {50, 51, 51, 51, 54, 50}; /* then it loops */
    for (int i = 0; i < 6; i++) {
        CHECK_EQ_INT(vsource_next(rd, &back, why, sizeof why), 0);
        CHECK_EQ_INT(back.y[0], want[i]);
        CHECK_EQ_INT(back.y[16 * 8 - 1], want[i]);
    }
    vsource_close(rd);
    /* A late start: the first picture (index 2) fills positions 0 and 1. */
    CHECK_EQ_INT(vsink_y4m_open(&k, tmp_path(path, sizeof path, "late.y4m"), 16, 8, 30, 1, why,
                                sizeof why), 0);
    memset(f.y, 77, 16 * 8);
    f.index = 2;
    CHECK_EQ_INT(vsink_y4m_write(k, &f, why, sizeof why), 0);
    vsink_y4m_stats(k, &st);
    CHECK_EQ_INT(st.written, 3);
    CHECK_EQ_INT(vsink_y4m_close(k, why, sizeof why), 0);
    /* A picture of another size is scaled to the sink's. */
    CHECK_EQ_INT(vsink_y4m_open(&k, tmp_path(path, sizeof path, "sc.y4m"), 16, 8, 30, 1, why,
                                sizeof why), 0);
    struct vframe big;
    vframe_alloc(&big, 32, 16);
    memset(big.y, 90, 32 * 16);
    CHECK_EQ_INT(vsink_y4m_write(k, &big, why, sizeof why), 0);
    CHECK_EQ_INT(vsink_y4m_close(k, why, sizeof why), 0);
    CHECK_EQ_INT(vsource_open(&rd, path, &p, why, sizeof why), 0);
    CHECK_EQ_INT(vsource_next(rd, &back, why, sizeof why), 0);
    CHECK_EQ_INT(back.y[5], 90);
    vsource_close(rd);
    vframe_free(&big);
    /* Unwritable path and bad size. */
    CHECK_EQ_INT(vsink_y4m_open(&k, tmp_path(path, sizeof path, "no/such/dir.y4m"), 16, 8, 30,
                                1, why, sizeof why), VM_E_IO);
    CHECK(strstr(why, "dir.y4m") != NULL);
    CHECK_EQ_INT(vsink_y4m_open(&k, tmp_path(path, sizeof path, "odd.y4m"), 15, 8, 30, 1, why,
                                sizeof why), VM_E_ARG);
    vframe_free(&f);
    vframe_free(&back);
}

int main(void)
{
    if (!tmp_make()) {
        perror("mkdtemp");
        return 1;
    }
    test_roundtrip();
    test_gaps();
    tmp_remove();
    return check_report();
}
