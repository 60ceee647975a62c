/* test_vsource.c: tests client/media/vsource.c, vsrc_pattern.c,
 * vsrc_y4m.c and the header parser vy4m.c: the pattern is deterministic and
 * moves, the y4m reader refuses bad headers with their reason, reports a
 * truncated frame with the file and frame number, loops, and scales. */
#include <stdint.h>
#include <stdlib.h>

#include "../check.h"
#include "test_vtmp.h"
#include "vsource.h"
#include "vy4m.h"

static int frames_equal(const struct vframe *a, const struct vframe *b)
{
    if (a->width != b->width || a->height != b->height)
        return 0;
    for (int r = 0; r < a->height; r++)
        if (memcmp(a->y + (size_t)r * a->stride_y, b->y + (size_t)r * b->stride_y,
                   (size_t)a->width))
            return 0;
    for (int r = 0; r < vframe_half(a->height); r++)
        if (memcmp(a->u + (size_t)r * a->stride_uv, b->u + (size_t)r * b->stride_uv,
                   (size_t)vframe_half(a->width)) ||
            memcmp(a->v + (size_t)r * a->stride_uv, b->v + (size_t)r * b->stride_uv,
                   (size_t)vframe_half(a->width)))
            return 0;
    return 1;
}

static void test_pattern(void)
{
    char why[VSOURCE_WHY_MAX];
    struct vsource *a, *b;
    struct vframe f0, f1, g0;
    CHECK_EQ_INT(vsource_open(&a, "pattern", NULL, why, sizeof why), 0);
    CHECK_EQ_INT(vsource_open(&b, "pattern", NULL, why, sizeof why), 0);
    CHECK_EQ_INT(vsource_width(a), 640);
    CHECK_EQ_INT(vsource_height(a), 480);
    vframe_alloc(&f0, 640, 480);
    vframe_alloc(&f1, 640, 480);
    vframe_alloc(&g0, 640, 480);
    CHECK_EQ_INT(vsource_next(a, &f0, why, sizeof why), 0);
    CHECK_EQ_INT(vsource_next(a, &f1, why, sizeof why), 0);
    CHECK_EQ_INT(vsource_next(b, &g0, why, sizeof why), 0);
    CHECK_EQ_INT(f0.index, 0);
    CHECK_EQ_INT(f1.index, 1);
    CHECK_EQ_INT(f1.capture_us, 33333);
    CHECK(frames_equal(&f0, &g0)); /* same index, same pixels */
    CHECK(!frames_equal(&f0, &f1)); /* it moves */
    /* The counter box differs between frames 0 and 1 (the last digit). */
    int h = 480 / 6 & ~1, diff = 0;
    for (int r = 0; r < h + 20; r++)
        diff += memcmp(f0.y + (size_t)r * 640, f1.y + (size_t)r * 640, 300) != 0;
    CHECK(diff > 0);
    /* Wrong picture size and bad specs. */
    struct vframe small;
    vframe_alloc(&small, 320, 240);
    CHECK_EQ_INT(vsource_next(a, &small, why, sizeof why), VM_E_ARG);
    struct vsource *c = NULL;
    CHECK_EQ_INT(vsource_open(&c, "bars", NULL, why, sizeof why), VM_E_ARG);
    CHECK(strstr(why, "« bars »") != NULL);
    struct vsource_params odd = {.width = 641, .height = 480};
    CHECK_EQ_INT(vsource_open(&c, "pattern", &odd, why, sizeof why), VM_E_ARG);
    CHECK(c == NULL);
    /* A small size still works (digits shrink). */
    struct vsource_params sp = {.width = 320, .height = 240};
    CHECK_EQ_INT(vsource_open(&c, "pattern", &sp, why, sizeof why), 0);
    CHECK_EQ_INT(vsource_next(c, &small, why, sizeof why), 0);
    vsource_close(c);
    vframe_free(&small);
    vframe_free(&f0);
    vframe_free(&f1);
    vframe_free(&g0);
    vsource_close(a);
    vsource_close(b);
}

/* One header refused, and its reason contains want. */
static void refused(const char *hdr, const char *want)
{
    struct vy4m_header h;
    const char *why = "";
    int rc = vy4m_header_parse(hdr, strlen(hdr), &h, &why);
    CHECK_EQ_INT(rc, VM_E_FORMAT);
    if (!strstr(why, want))
        fprintf(stderr, "header %s: reason '%s' lacks '%s'\n", hdr, why, want);
    CHECK(strstr(why, want) != NULL);
}

static void test_headers(void)
{
    struct vy4m_header h;
    const char *why;
    const char *ok = "YUV4MPEG2 W6 H4 F30000:1001 Ip A1:1 C420mpeg2 XYSCSS=420MPEG2\nFRAME\n";
    CHECK_EQ_INT(vy4m_header_parse(ok, strlen(ok), &h, &why), 0);
    CHECK_EQ_INT(h.width, 6);
    CHECK_EQ_INT(h.height, 4);
    CHECK_EQ_INT(h.fps_num, 30000);
    CHECK_EQ_INT(h.fps_den, 1001);
    CHECK_EQ_INT(h.frame_len, 6 * 4 + 2 * 3 * 2);
    CHECK_EQ_INT(h.header_len, strlen(ok) - 6);
    const char *noc = "YUV4MPEG2 W5 H3 F25:1\n"; /* C defaults to 420jpeg; odd sizes round up */
    CHECK_EQ_INT(vy4m_header_parse(noc, strlen(noc), &h, &why), 0);
    CHECK_EQ_INT(h.frame_len, 15 + 2 * 3 * 2);
    const char *accepted[] = {"YUV4MPEG2 W8 H8 F30:1 C420\n", "YUV4MPEG2 W8 H8 F30:1 C420jpeg\n",
                              "YUV4MPEG2 W8 H8 F30:1 C420paldv\n", "YUV4MPEG2 F1:1 H8 W8 It \n"};
    for (size_t i = 0; i < sizeof accepted / sizeof accepted[0]; i++)
        CHECK_EQ_INT(vy4m_header_parse(accepted[i], strlen(accepted[i]), &h, &why), 0);
    /* Random and mutated bytes: refused or accepted, always within bounds
     * (the ASan build reads past nothing). */
    srand(11);
    for (int k = 0; k < 2000; k++) {
        char junk[64];
        size_t n = (size_t)(rand() % (int)sizeof junk);
        memcpy(junk, ok, n);
        for (int j = 0; j < 3 && n; j++)
            junk[rand() % (int)n] = (char)rand();
        int rc = vy4m_header_parse(junk, n, &h, &why);
        CHECK(rc == 0 || rc == VM_E_FORMAT);
        if (rc == 0)
            CHECK(h.header_len <= n && h.width >= 1 && h.fps_den >= 1);
    }
    refused("RIFF W640 H480 F30:1\n", "pas un fichier YUV4MPEG2");
    refused("YUV4MPEG2 W640 H480 F30:1 C444\n", "4:2:0");
    refused("YUV4MPEG2 W640 H480 F30:1 C420p10\n", "4:2:0");
    refused("YUV4MPEG2 W0 H480 F30:1\n", "taille");
    refused("YUV4MPEG2 W100000 H100000 F30:1\n", "taille");
    refused("YUV4MPEG2 W4096 H4097 F30:1\n", "taille");
    refused("YUV4MPEG2 W9999999999 H4 F30:1\n", "W (largeur)");
    refused("YUV4MPEG2 W640 H480\n", "il manque F (la cadence)");
    refused("YUV4MPEG2 W640 H480 F30:0\n", "zéro");
    refused("YUV4MPEG2 W640 H480 F30\n", "num:den");
    refused("YUV4MPEG2 H480 F30:1\n", "il manque");
    refused("YUV4MPEG2 W640 H480 F30:1 Q1\n", "champ inconnu");
    refused("YUV4MPEG2 W640 H480 F30:1", "fin de ligne");
    size_t n;
    CHECK_EQ_INT(vy4m_frame_header_len("FRAME Ixx\n", 10, &n, &why), 0);
    CHECK_EQ_INT(n, 10);
    CHECK_EQ_INT(vy4m_frame_header_len("FRAMEX\n", 7, &n, &why), VM_E_FORMAT);
    char buf[128];
    int len = vy4m_header_write(buf, sizeof buf, 640, 480, 30, 1);
    CHECK(len > 0);
    CHECK_EQ_INT(vy4m_header_parse(buf, (size_t)len, &h, &why), 0);
    CHECK_EQ_INT(h.width, 640);
    CHECK_EQ_INT(vy4m_header_write(buf, 10, 640, 480, 30, 1), VM_E_ARG);
}

/* A 4x2 y4m file with nframes frames, frame k filled with value 10+k; the
 * last one cut to keep bytes if keep >= 0. */
static void write_tiny(const char *path, int nframes, int keep)
{
    char data[1024];
    size_t n = (size_t)snprintf(data, sizeof data, "YUV4MPEG2 W4 H2 F30:1 C420jpeg\n");
    for (int k = 0; k < nframes; k++) {
        memcpy(data + n, "FRAME\n", 6);
        n += 6;
        size_t fl = 8 + 2 + 2;
        if (k == nframes - 1 && keep >= 0)
            fl = (size_t)keep;
        memset(data + n, 10 + k, fl);
        n += fl;
    }
    CHECK_EQ_INT(tmp_write(path, data, n), 0);
}

static void test_y4m_source(void)
{
    char why[VSOURCE_WHY_MAX], path[512];
    struct vsource *s;
    struct vsource_params p = {.width = 4, .height = 2};
    struct vframe f;
    vframe_alloc(&f, 4, 2);
    /* Looping: frames 10, 11, 12, 10, 11... with rising indices. */
    write_tiny(tmp_path(path, sizeof path, "loop.y4m"), 3, -1);
    CHECK_EQ_INT(vsource_open(&s, path, &p, why, sizeof why), 0);
    for (int i = 0; i < 7; i++) {
        CHECK_EQ_INT(vsource_next(s, &f, why, sizeof why), 0);
        CHECK_EQ_INT(f.y[0], 10 + i % 3);
        CHECK_EQ_INT(f.u[0], 10 + i % 3);
        CHECK_EQ_INT(f.index, i);
    }
    vsource_close(s);
    /* Truncated last frame: an error naming the file and frame 2. */
    write_tiny(tmp_path(path, sizeof path, "cut.y4m"), 3, 5);
    CHECK_EQ_INT(vsource_open(&s, path, &p, why, sizeof why), 0);
    CHECK_EQ_INT(vsource_next(s, &f, why, sizeof why), 0);
    CHECK_EQ_INT(vsource_next(s, &f, why, sizeof why), 0);
    CHECK_EQ_INT(vsource_next(s, &f, why, sizeof why), VM_E_FORMAT);
    printf("truncated file: %s\n", why);
    CHECK(strstr(why, "cut.y4m") != NULL);
    CHECK(strstr(why, "image 2") != NULL);
    vsource_close(s);
    /* A file with a header and no frame. */
    write_tiny(tmp_path(path, sizeof path, "empty.y4m"), 0, -1);
    CHECK_EQ_INT(vsource_open(&s, path, &p, why, sizeof why), 0);
    CHECK_EQ_INT(vsource_next(s, &f, why, sizeof why), VM_E_FORMAT);
    CHECK(strstr(why, "aucune image") != NULL);
    vsource_close(s);
    /* A bad header names the file and the reason. */
    tmp_write(tmp_path(path, sizeof path, "c444.y4m"), "YUV4MPEG2 W4 H2 F30:1 C444\n", 27);
    s = NULL;
    CHECK_EQ_INT(vsource_open(&s, path, &p, why, sizeof why), VM_E_FORMAT);
    CHECK(s == NULL);
    printf("bad header: %s\n", why);
    CHECK(strstr(why, "c444.y4m") && strstr(why, "4:2:0"));
    CHECK_EQ_INT(vsource_open(&s, tmp_path(path, sizeof path, "absent.y4m"), &p, why,
                             sizeof why), VM_E_IO);
    CHECK(strstr(why, "absent.y4m") != NULL);
    /* Scaling: a 4x2 file asked for at 8x4 gives flat frames of the same value. */
    struct vsource_params big = {.width = 8, .height = 4};
    struct vframe g;
    vframe_alloc(&g, 8, 4);
    write_tiny(tmp_path(path, sizeof path, "scale.y4m"), 1, -1);
    CHECK_EQ_INT(vsource_open(&s, path, &big, why, sizeof why), 0);
    CHECK_EQ_INT(vsource_next(s, &g, why, sizeof why), 0);
    CHECK_EQ_INT(g.y[0], 10);
    CHECK_EQ_INT(g.y[8 * 4 - 1], 10);
    CHECK_EQ_INT(g.v[3], 10);
    vsource_close(s);
    vframe_free(&g);
    vframe_free(&f);
}

int main(void)
{
    if (!tmp_make()) {
        perror("mkdtemp");
        return 1;
    }
    test_pattern();
    test_headers();
    test_y4m_source();
    tmp_remove();
    return check_report();
}
