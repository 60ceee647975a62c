/* test_v4l2.c: tests client/media/vsrc_v4l2.c without a camera: the YUYV
 * and MJPEG conversions on bytes made here (a YUYV picture of known values;
 * a JPEG encoded with libjpeg from a known picture), damaged JPEGs refused
 * without a crash, and the errors the source gives for a path that does not
 * exist, /dev/null and a regular file. A real camera (format choice,
 * streaming, unplugging) cannot be tested on a machine without one. */
#include <math.h>
#include <stdint.h>
#include <stdio.h> /* before jpeglib.h, which needs FILE and size_t */
#include <stdlib.h>

#include <jpeglib.h>

#include "../check.h"
#include "test_vtmp.h"
#include "vsource.h"
#include "vsrc_v4l2.h"

/* YUYV with Y = 16 + x + 8y, U = 100 + (column pair), V = 200 - (column
 * pair), the same on every row so the 4:2:0 average is exact. */
static void test_yuyv(void)
{
    enum { W = 16, H = 6, STRIDE = 2 * W + 8 }; /* a padded row, as drivers give */
    uint8_t buf[STRIDE * H];
    memset(buf, 0xee, sizeof buf);
    for (int y = 0; y < H; y++)
        for (int pair = 0; pair < W / 2; pair++) {
            uint8_t *p = buf + y * STRIDE + pair * 4;
            p[0] = (uint8_t)(16 + 2 * pair + 8 * y);
            p[1] = (uint8_t)(100 + pair);
            p[2] = (uint8_t)(16 + 2 * pair + 1 + 8 * y);
            p[3] = (uint8_t)(200 - pair);
        }
    struct vframe f;
    char why[VSOURCE_WHY_MAX];
    CHECK_EQ_INT(vframe_alloc(&f, W, H), 0);
    CHECK_EQ_INT(v4l2_convert(VSRC_V4L2_YUYV, buf, sizeof buf, W, H, STRIDE, &f, why, sizeof why),
                 0);
    int bad = 0;
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            bad += f.y[y * f.stride_y + x] != 16 + x + 8 * y;
    for (int y = 0; y < H / 2; y++)
        for (int x = 0; x < W / 2; x++)
            bad += f.u[y * f.stride_uv + x] != 100 + x || f.v[y * f.stride_uv + x] != 200 - x;
    CHECK_EQ_INT(bad, 0);
    /* A short buffer (the last row cut) is refused, not read past. */
    CHECK_EQ_INT(v4l2_convert(VSRC_V4L2_YUYV, buf, STRIDE * (H - 1) + 2 * W - 1, W, H, STRIDE, &f,
                              why, sizeof why),
                 VM_E_FORMAT);
    CHECK(strstr(why, "YUYV") != NULL);
    /* The picture must be the buffer's size; an unknown fourcc is refused. */
    CHECK_EQ_INT(
        v4l2_convert(VSRC_V4L2_YUYV, buf, sizeof buf, W, H + 2, STRIDE, &f, why, sizeof why),
        VM_E_ARG);
    CHECK_EQ_INT(
        v4l2_convert(0x34363248u /* H264 */, buf, sizeof buf, W, H, 0, &f, why, sizeof why),
        VM_E_ARG);
    CHECK(strstr(why, "H264") != NULL);
    vframe_free(&f);
}

/* A smooth RGB picture: red across, green down, blue constant. */
static void rgb_at(int x, int y, int w, int h, uint8_t px[3])
{
    px[0] = (uint8_t)(255 * x / (w - 1));
    px[1] = (uint8_t)(255 * y / (h - 1));
    px[2] = 96;
}

static unsigned char *encode_jpeg(int w, int h, unsigned long *len)
{
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr err;
    unsigned char *out = NULL;
    c.err = jpeg_std_error(&err);
    jpeg_create_compress(&c);
    jpeg_mem_dest(&c, &out, len);
    c.image_width = (JDIMENSION)w;
    c.image_height = (JDIMENSION)h;
    c.input_components = 3;
    c.in_color_space = JCS_RGB;
    jpeg_set_defaults(&c);
    jpeg_set_quality(&c, 95, TRUE);
    jpeg_start_compress(&c, TRUE);
    uint8_t *row = malloc((size_t)w * 3);
    while ((int)c.next_scanline < h) {
        for (int x = 0; x < w; x++)
            rgb_at(x, (int)c.next_scanline, w, h, row + 3 * x);
        JSAMPROW r = row;
        jpeg_write_scanlines(&c, &r, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    free(row);
    return out;
}

static void test_mjpeg(void)
{
    enum { W = 64, H = 48 };
    unsigned long len = 0;
    unsigned char *jpg = encode_jpeg(W, H, &len);
    CHECK(jpg != NULL && len > 100);
    struct vframe f;
    char why[VSOURCE_WHY_MAX];
    CHECK_EQ_INT(vframe_alloc(&f, W, H), 0);
    CHECK_EQ_INT(v4l2_convert(VSRC_V4L2_MJPG, jpg, len, W, H, 0, &f, why, sizeof why), 0);
    /* Expected luma: BT.601 limited range of the RGB we encoded. */
    double err = 0, worst = 0;
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            uint8_t px[3];
            rgb_at(x, y, W, H, px);
            double want = 16 + (65.481 * px[0] + 128.553 * px[1] + 24.966 * px[2]) / 255;
            double d = fabs(f.y[y * f.stride_y + x] - want);
            err += d;
            worst = d > worst ? d : worst;
        }
    err /= W * H;
    printf("MJPEG %dx%d (%lu bytes): mean luma error %.2f, worst %.1f\n", W, H, len, err, worst);
    CHECK(err < 2.0);
    CHECK(worst < 12.0);
    /* Chroma of the middle: U below 128 (red + green over blue), V above. */
    int cu = f.u[(H / 4) * f.stride_uv + W / 4], cv = f.v[(H / 4) * f.stride_uv + W / 4];
    printf("MJPEG middle chroma U %d V %d\n", cu, cv);
    CHECK(cu < 128 && cv > 128);
    /* The same bytes as "JPEG" (older drivers' fourcc) decode too. */
    CHECK_EQ_INT(v4l2_convert(VSRC_V4L2_JPEG, jpg, len, W, H, 0, &f, why, sizeof why), 0);

    /* A JPEG of another size than announced is refused. */
    struct vframe g;
    CHECK_EQ_INT(vframe_alloc(&g, W / 2, H / 2), 0);
    CHECK_EQ_INT(v4l2_convert(VSRC_V4L2_MJPG, jpg, len, W / 2, H / 2, 0, &g, why, sizeof why),
                 VM_E_FORMAT);
    vframe_free(&g);

    /* Damaged JPEGs: each cut, the empty buffer, garbage, a corrupted body. */
    int refused = 0, cuts = 0;
    for (unsigned long cut = 0; cut < len; cut += len / 23 + 1, cuts++)
        refused +=
            v4l2_convert(VSRC_V4L2_MJPG, jpg, cut, W, H, 0, &f, why, sizeof why) == VM_E_FORMAT;
    CHECK_EQ_INT(refused, cuts);
    CHECK(strstr(why, "JPEG") != NULL);
    uint8_t junk[512];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = (uint8_t)(i * 37 + 11);
    CHECK_EQ_INT(v4l2_convert(VSRC_V4L2_MJPG, junk, sizeof junk, W, H, 0, &f, why, sizeof why),
                 VM_E_FORMAT);
    unsigned char *bad = malloc(len);
    memcpy(bad, jpg, len);
    /* Overwrite the middle of the entropy-coded data with markers. */
    for (unsigned long i = len / 2; i < len / 2 + 16; i++)
        bad[i] = (i & 1) ? 0xd0 : 0xff;
    int rc = v4l2_convert(VSRC_V4L2_MJPG, bad, len, W, H, 0, &f, why, sizeof why);
    printf("corrupted body: %d (%s)\n", rc, rc ? why : "decoded");
    CHECK_EQ_INT(rc, VM_E_FORMAT);
    free(bad);
    free(jpg);
    vframe_free(&f);
}

/* The format choice of a typical USB 2 webcam: YUYV up to 640x480 at 30
 * fps (720p at 10 fps), MJPEG at every size at 30 fps. */
static void test_choose(void)
{
    struct v4l2_offer cam[] = {
        {VSRC_V4L2_YUYV, 640, 480, 30},
        {VSRC_V4L2_MJPG, 640, 480, 30},
    };
    CHECK_EQ_INT(v4l2_choose(cam, 2, 640, 480, 30), 0); /* YUYV: size and rate met */
    CHECK_EQ_INT(v4l2_choose(cam, 2, 640, 480, 60), 1); /* YUYV too slow: MJPEG */
    cam[0].width = 1280, cam[0].height = 720, cam[0].max_fps = 10;
    cam[1].width = 1280, cam[1].height = 720;
    CHECK_EQ_INT(v4l2_choose(cam, 2, 1280, 720, 30), 1); /* 720p YUYV at 10 fps: MJPEG */
    CHECK_EQ_INT(v4l2_choose(cam, 2, 1280, 720, 10), 0);
    cam[0].width = 800, cam[0].height = 600, cam[0].max_fps = 30;
    CHECK_EQ_INT(v4l2_choose(cam, 2, 1280, 720, 30), 1); /* YUYV lacks the size */
    CHECK_EQ_INT(v4l2_choose(cam, 1, 1280, 720, 30), 0); /* YUYV only: its nearest size */
    cam[1].fourcc = VSRC_V4L2_JPEG;
    CHECK_EQ_INT(v4l2_choose(cam + 1, 1, 640, 480, 30), 0);
    struct v4l2_offer other[] = {{0x34363248u /* H264 */, 640, 480, 30},
                                 {0x59455247u /* GREY */, 640, 480, 30}};
    CHECK_EQ_INT(v4l2_choose(other, 2, 640, 480, 30), -1);
    CHECK_EQ_INT(v4l2_choose(other, 0, 640, 480, 30), -1);

    /* Nearest size: smallest |dw| + |dh|, the larger on a tie. */
    CHECK(v4l2_size_nearer(640, 480, 320, 240, 640, 480));
    CHECK(!v4l2_size_nearer(320, 240, 640, 480, 640, 480));
    CHECK(v4l2_size_nearer(1280, 720, 640, 480, 1024, 576));
    CHECK(v4l2_size_nearer(660, 500, 620, 460, 640, 480)); /* tie: the larger */
    CHECK(!v4l2_size_nearer(620, 460, 660, 500, 640, 480));
    CHECK(!v4l2_size_nearer(640, 480, 640, 480, 640, 480)); /* not nearer than itself */
}

/* Opens path as a camera (through the table, so that paths outside
 * /dev/video can be tried) and checks the code and words of the error. */
static void expect_open_error(const char *path, int code, const char *fr, const char *en)
{
    struct vsource *s = (struct vsource *)1;
    char why[VSOURCE_WHY_MAX] = "";
    int rc = vsrc_v4l2_ops.open(&s, path, NULL, why, sizeof why);
    printf("%s: %d %s\n", path, rc, why);
    CHECK_EQ_INT(rc, code);
    CHECK(strstr(why, path) != NULL);
    /* French only (no i18n_init here: the source language); the English
     * is po/en.po's, checked by i18n.catalogue. */
    CHECK(strstr(why, fr) != NULL);
    CHECK(strstr(why, en) == NULL);
}

static void test_errors(void)
{
    expect_open_error("/dev/video99", VM_E_IO, "introuvable", "no such camera");
    expect_open_error("/dev/null", VM_E_FORMAT, "pas une caméra", "not a video capture device");
    char path[512];
    tmp_path(path, sizeof path, "video0");
    CHECK_EQ_INT(tmp_write(path, "not a camera", 12), 0);
    expect_open_error(path, VM_E_FORMAT, "pas une caméra", "not a video capture device");
    /* Through vsource_open: the spec picks the camera and its error comes back. */
    struct vsource *s;
    char why[VSOURCE_WHY_MAX];
    CHECK_EQ_INT(vsource_open(&s, "/dev/video99", NULL, why, sizeof why), VM_E_IO);
    CHECK(s == NULL);
    CHECK(strstr(why, "/dev/video99") != NULL);
    /* Bad sizes are refused before the device is touched. */
    struct vsource_params odd = {.width = 641, .height = 480};
    CHECK_EQ_INT(vsource_open(&s, "/dev/video99", &odd, why, sizeof why), VM_E_ARG);
    CHECK(vsrc_v4l2_ops.live == 1);
    CHECK(vsrc_v4l2_ops.matches("/dev/video0") && vsrc_v4l2_ops.matches("/dev/video12"));
    CHECK(!vsrc_v4l2_ops.matches("/dev/null") && !vsrc_v4l2_ops.matches("video0"));
    /* The file sources stay paced by their caller. */
    CHECK_EQ_INT(vsource_open(&s, "pattern", NULL, why, sizeof why), 0);
    CHECK_EQ_INT(vsource_is_live(s), 0);
    vsource_close(s);
}

int main(void)
{
    if (!tmp_make()) {
        perror("mkdtemp");
        return 1;
    }
    test_yuyv();
    test_mjpeg();
    test_choose();
    test_errors();
    tmp_remove();
    return check_report();
}
