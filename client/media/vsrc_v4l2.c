/* vsrc_v4l2.c: the camera source: a V4L2 capture device ("/dev/videoN")
 * streamed through 4 mmap buffers, each picture converted to I420 (libyuv
 * for YUYV, libjpeg-turbo then libyuv for MJPEG) and scaled to the size
 * asked for. A live source: next waits (poll, bounded) for the device.
 *
 * Format choice: YUYV when the camera offers exactly the size asked for at
 * the rate asked for or faster (no decode cost, no JPEG artefacts), else
 * MJPEG (USB 2 cameras only reach 720p or 30 fps in MJPEG), else YUYV at
 * its nearest size. The nearest size is the one with the smallest
 * |dw| + |dh|, the larger on a tie (downscaling loses less than upscaling).
 *
 * Errors name the device and say what a person can do, French first and
 * English in parentheses: the camera is absent, busy, not a camera, has no
 * format we read, is forbidden (group video) or was unplugged mid-call.
 *
 * next hands out the newest picture the camera has (older ones waiting
 * since the last call are given back unread): a caller slower than the
 * camera gets fewer pictures, never late ones. Its capture_us is the
 * nominal time (index / fps) like every source's; the capture thread
 * stamps its own clock when next returns.
 *
 * Owns: the file descriptor, the mapped buffers, one picture at the
 * camera's size. Must never: block in next longer than V4L2_WAIT_MS, keep a
 * buffer dequeued between calls, or write pixels by hand. */
#include <errno.h>
#include <fcntl.h>
#include <linux/videodev2.h>
#include <poll.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jpeglib.h>
#include <libyuv.h>

#include "vsrc_base.h"
#include "vsrc_v4l2.h"
#include "i18n.h"

#define V4L2_BUFFERS 4
#define V4L2_WAIT_MS 2000 /* a camera at 5 fps or more answers well within this */
#define JPEG_BAND_ROWS 16 /* rows decoded at a time (an MCU row at 4:2:0) */

/* ---- conversion (pure, tested without a device) ---- */

const char *v4l2_fourcc_str(uint32_t fourcc, char buf[5])
{
    for (int i = 0; i < 4; i++) {
        char c = (char)((fourcc >> (8 * i)) & 0xff);
        buf[i] = c >= 32 && c < 127 ? c : '?';
    }
    buf[4] = '\0';
    return buf;
}

struct jpeg_fail {
    struct jpeg_error_mgr mgr;
    jmp_buf jump;
    char msg[JMSG_LENGTH_MAX];
};

static void jpeg_fail_exit(j_common_ptr c)
{
    struct jpeg_fail *f = (struct jpeg_fail *)c->err;
    c->err->format_message(c, f->msg);
    longjmp(f->jump, 1);
}

/* A warning (level -1) means damaged data (libjpeg then invents grey
 * pixels): we stop there. Trace messages (level >= 0) are ignored. */
static void jpeg_fail_message(j_common_ptr c, int level)
{
    if (level < 0)
        jpeg_fail_exit(c);
}

static int convert_jpeg(const uint8_t *bytes, size_t len, int w, int h, struct vframe *out,
                        char *why, size_t why_cap)
{
    struct jpeg_decompress_struct d;
    struct jpeg_fail fail;
    uint8_t *volatile band = NULL; /* volatile: survives the longjmp */
    memset(&fail, 0, sizeof fail);
    d.err = jpeg_std_error(&fail.mgr);
    fail.mgr.error_exit = jpeg_fail_exit;
    fail.mgr.emit_message = jpeg_fail_message;
    jpeg_create_decompress(&d);
    if (setjmp(fail.jump)) {
        snprintf(why, why_cap, _("image JPEG abîmée : %s"), fail.msg);
        jpeg_destroy_decompress(&d);
        free(band);
        return VM_E_FORMAT;
    }
    if (len == 0 || len > 0xffffffffu) {
        snprintf(why, why_cap, _("image JPEG vide"));
        jpeg_destroy_decompress(&d);
        return VM_E_FORMAT;
    }
    jpeg_mem_src(&d, bytes, (unsigned long)len);
    jpeg_read_header(&d, TRUE);
    if ((int)d.image_width != w || (int)d.image_height != h) {
        snprintf(why, why_cap,
                 _("image JPEG de %ux%u au lieu de %dx%d"),
                 d.image_width, d.image_height, w, h);
        jpeg_destroy_decompress(&d);
        return VM_E_FORMAT;
    }
    /* BGRX in memory is libyuv's "ARGB" (little-endian words). */
    d.out_color_space = JCS_EXT_BGRX;
    jpeg_start_decompress(&d);
    size_t row = (size_t)w * 4;
    band = malloc(row * JPEG_BAND_ROWS);
    if (!band) {
        jpeg_destroy_decompress(&d);
        snprintf(why, why_cap, "%s", _("mémoire insuffisante"));
        return VM_E_NOMEM;
    }
    /* Bands of an even number of rows keep the chroma rows aligned. */
    for (int top = 0; top < h; top += JPEG_BAND_ROWS) {
        int rows = h - top < JPEG_BAND_ROWS ? h - top : JPEG_BAND_ROWS;
        while ((int)d.output_scanline < top + rows) {
            JSAMPROW r = band + row * (d.output_scanline - (JDIMENSION)top);
            jpeg_read_scanlines(&d, &r, 1);
        }
        ARGBToI420(band, (int)row, out->y + (size_t)top * out->stride_y, out->stride_y,
                   out->u + (size_t)top / 2 * out->stride_uv, out->stride_uv,
                   out->v + (size_t)top / 2 * out->stride_uv, out->stride_uv, w, rows);
    }
    jpeg_finish_decompress(&d);
    jpeg_destroy_decompress(&d);
    free(band);
    return VM_OK;
}

int v4l2_convert(uint32_t fourcc, const uint8_t *bytes, size_t len, int src_w, int src_h,
                 int src_stride, struct vframe *out, char *why, size_t why_cap)
{
    if (src_w < 2 || src_h < 2 || (src_w & 1) || (src_h & 1) || !out->mem || out->width != src_w ||
        out->height != src_h) {
        snprintf(why, why_cap, _("conversion d'une image %dx%d en %dx%d impossible"), src_w, src_h, out->width,
                 out->height);
        return VM_E_ARG;
    }
    char fc[5];
    switch (fourcc) {
    case VSRC_V4L2_YUYV: {
        int stride = src_stride ? src_stride : 2 * src_w;
        if (stride < 2 * src_w || len < (size_t)stride * (size_t)(src_h - 1) + 2u * src_w) {
            snprintf(why, why_cap,
                     _("image YUYV trop courte : %zu octets pour %dx%d"), len,
                     src_w, src_h);
            return VM_E_FORMAT;
        }
        YUY2ToI420(bytes, stride, out->y, out->stride_y, out->u, out->stride_uv, out->v,
                   out->stride_uv, src_w, src_h);
        return VM_OK;
    }
    case VSRC_V4L2_MJPG:
    case VSRC_V4L2_JPEG:
        return convert_jpeg(bytes, len, src_w, src_h, out, why, why_cap);
    default:
        snprintf(why, why_cap, _("format d'image %s non pris en charge"),
                 v4l2_fourcc_str(fourcc, fc));
        return VM_E_ARG;
    }
}

int v4l2_size_nearer(int cw, int ch, int bw, int bh, int w, int h)
{
    long dc = labs((long)cw - w) + labs((long)ch - h), db = labs((long)bw - w) + labs((long)bh - h);
    return dc < db || (dc == db && (long)cw * ch > (long)bw * bh);
}

int v4l2_choose(const struct v4l2_offer *offers, size_t n, int want_w, int want_h, int want_fps)
{
    int yuyv = -1, mjpg = -1;
    for (size_t i = 0; i < n; i++) {
        if (offers[i].fourcc == VSRC_V4L2_YUYV && yuyv < 0)
            yuyv = (int)i;
        if ((offers[i].fourcc == VSRC_V4L2_MJPG || offers[i].fourcc == VSRC_V4L2_JPEG) && mjpg < 0)
            mjpg = (int)i;
    }
    if (yuyv >= 0 && offers[yuyv].width == want_w && offers[yuyv].height == want_h &&
        offers[yuyv].max_fps >= want_fps)
        return yuyv;
    return mjpg >= 0 ? mjpg : yuyv;
}

/* ---- the device ---- */

struct v4l2_map {
    void *start;
    size_t len;
};

struct vsrc_v4l2 {
    struct vsource head;
    int fd;
    char *path;
    uint32_t fourcc;
    int cam_w, cam_h, stride;
    struct v4l2_map buf[V4L2_BUFFERS];
    unsigned n_buf;
    int streaming;
    struct vframe cam; /* the camera's size, when it differs from the asked one */
};

static int v4l2_matches(const char *spec)
{
    return strncmp(spec, "/dev/video", 10) == 0;
}

static int xioctl(int fd, unsigned long req, void *arg)
{
    int r;
    do
        r = ioctl(fd, req, arg);
    while (r < 0 && errno == EINTR);
    return r;
}

static void v4l2_close(struct vsource *s)
{
    struct vsrc_v4l2 *c = (struct vsrc_v4l2 *)s;
    if (!c)
        return;
    if (c->streaming) {
        enum v4l2_buf_type t = V4L2_BUF_TYPE_VIDEO_CAPTURE;
        xioctl(c->fd, VIDIOC_STREAMOFF, &t);
    }
    for (unsigned i = 0; i < c->n_buf; i++)
        if (c->buf[i].start != MAP_FAILED && c->buf[i].start)
            munmap(c->buf[i].start, c->buf[i].len);
    if (c->fd >= 0)
        close(c->fd);
    vframe_free(&c->cam);
    free(c->path);
    free(c);
}

/* The sentence for errno err of a step (open, an ioctl, mmap): what a
 * person can do about it when we know, else the step and strerror. */
static int device_error(const char *path, const char *step, int err, char *why, size_t cap)
{
    switch (err) {
    case ENOENT:
        snprintf(why, cap,
                 _("%s : caméra introuvable, ce périphérique n'existe pas"),
                 path);
        return VM_E_IO;
    case EACCES:
    case EPERM:
        snprintf(why, cap,
                 _("%s : accès refusé ; ajoutez l'utilisateur au groupe video (sudo usermod -aG video $USER) puis reconnectez-vous"),
                 path);
        return VM_E_IO;
    case EBUSY:
        snprintf(why, cap,
                 _("%s : la caméra est déjà utilisée par un autre programme ; fermez-le puis réessayez"),
                 path);
        return VM_E_IO;
    case ENOSPC:
        snprintf(why, cap,
                 _("%s : bande passante USB insuffisante ; branchez la caméra sur un autre port ou choisissez une taille plus petite"),
                 path);
        return VM_E_IO;
    case ENODEV:
    case ENXIO:
        snprintf(why, cap, _("%s : la caméra a été débranchée"), path);
        return VM_E_IO;
    default:
        /* ENOTTY (or EINVAL) to QUERYCAP: the node does not speak V4L2; to
         * a later call it is a driver's refusal, said as such below. */
        if ((err == ENOTTY || err == EINVAL) && strcmp(step, "VIDIOC_QUERYCAP") == 0) {
            snprintf(why, cap, _("%s : ce n'est pas une caméra"), path);
            return VM_E_FORMAT;
        }
        snprintf(why, cap, _("%s : %s impossible : %s"), path, step, i18n_strerror(err));
        return VM_E_IO;
    }
}

/* Nearest size fourcc offers to w x h: discrete sizes compared, step-wise
 * ranges clamped; the asked size when the driver does not enumerate (S_FMT
 * adjusts it then). */
static void nearest_size(int fd, uint32_t fourcc, int w, int h, int *bw, int *bh)
{
    struct v4l2_frmsizeenum e = {.pixel_format = fourcc};
    int any = 0;
    *bw = w;
    *bh = h;
    for (e.index = 0; xioctl(fd, VIDIOC_ENUM_FRAMESIZES, &e) == 0; e.index++) {
        int cw, ch;
        if (e.type == V4L2_FRMSIZE_TYPE_DISCRETE) {
            cw = (int)e.discrete.width;
            ch = (int)e.discrete.height;
        } else {
            const struct v4l2_frmsize_stepwise *r = &e.stepwise;
            unsigned sw = r->step_width ? r->step_width : 1,
                     sh = r->step_height ? r->step_height : 1;
            unsigned tw = (unsigned)w < r->min_width   ? r->min_width
                          : (unsigned)w > r->max_width ? r->max_width
                                                       : (unsigned)w;
            unsigned th = (unsigned)h < r->min_height   ? r->min_height
                          : (unsigned)h > r->max_height ? r->max_height
                                                        : (unsigned)h;
            cw = (int)(r->min_width + (tw - r->min_width) / sw * sw);
            ch = (int)(r->min_height + (th - r->min_height) / sh * sh);
        }
        if (!any || v4l2_size_nearer(cw, ch, *bw, *bh, w, h)) {
            *bw = cw;
            *bh = ch;
        }
        any = 1;
        if (e.type != V4L2_FRMSIZE_TYPE_DISCRETE)
            break;
    }
}

/* Highest frame rate fourcc offers at w x h; a large number when the
 * driver does not say (then S_PARM decides). */
static double max_fps(int fd, uint32_t fourcc, int w, int h)
{
    struct v4l2_frmivalenum e = {
        .pixel_format = fourcc, .width = (unsigned)w, .height = (unsigned)h};
    double best = -1;
    for (e.index = 0; xioctl(fd, VIDIOC_ENUM_FRAMEINTERVALS, &e) == 0; e.index++) {
        /* Step-wise ranges: the minimum interval is the fastest rate. */
        const struct v4l2_fract *f =
            e.type == V4L2_FRMIVAL_TYPE_DISCRETE ? &e.discrete : &e.stepwise.min;
        if (f->numerator && (double)f->denominator / f->numerator > best)
            best = (double)f->denominator / f->numerator;
        if (e.type != V4L2_FRMIVAL_TYPE_DISCRETE)
            break;
    }
    return best < 0 ? 1e9 : best;
}

/* Picks the format and size (v4l2_choose on what the device enumerates);
 * 0 or VM_E_FORMAT listing what the camera offers. */
static int choose_format(struct vsrc_v4l2 *c, char *why, size_t cap)
{
    struct v4l2_offer offers[2];
    size_t n = 0;
    int has_yuyv = 0, has_mjpg = 0;
    uint32_t mjpg = VSRC_V4L2_MJPG;
    char offered[160] = "", fc[5];
    struct v4l2_fmtdesc d = {.type = V4L2_BUF_TYPE_VIDEO_CAPTURE};
    for (d.index = 0; xioctl(c->fd, VIDIOC_ENUM_FMT, &d) == 0; d.index++) {
        if (d.pixelformat == VSRC_V4L2_YUYV)
            has_yuyv = 1;
        if (d.pixelformat == VSRC_V4L2_MJPG || d.pixelformat == VSRC_V4L2_JPEG) {
            has_mjpg = 1;
            mjpg = d.pixelformat;
        }
        size_t used = strlen(offered);
        if (used + 6 < sizeof offered)
            snprintf(offered + used, sizeof offered - used, "%s%s", used ? " " : "",
                     v4l2_fourcc_str(d.pixelformat, fc));
    }
    const struct vsource_params *p = &c->head.p;
    if (has_yuyv)
        offers[n++].fourcc = VSRC_V4L2_YUYV;
    if (has_mjpg)
        offers[n++].fourcc = mjpg;
    for (size_t i = 0; i < n; i++) {
        nearest_size(c->fd, offers[i].fourcc, p->width, p->height, &offers[i].width,
                     &offers[i].height);
        offers[i].max_fps = max_fps(c->fd, offers[i].fourcc, offers[i].width, offers[i].height);
    }
    int pick = v4l2_choose(offers, n, p->width, p->height, p->fps);
    if (pick < 0) {
        snprintf(why, cap,
                 _("%s : aucun format d'image pris en charge (nous lisons YUYV ou MJPEG) ; la caméra propose : %s"),
                 c->path, *offered ? offered : _("rien"));
        return VM_E_FORMAT;
    }
    c->fourcc = offers[pick].fourcc;
    c->cam_w = offers[pick].width;
    c->cam_h = offers[pick].height;
    return VM_OK;
}

/* Sets the format and rate; the driver's answer (size, stride) wins. */
static int set_format(struct vsrc_v4l2 *c, char *why, size_t cap)
{
    struct v4l2_format f = {.type = V4L2_BUF_TYPE_VIDEO_CAPTURE};
    f.fmt.pix.width = (unsigned)c->cam_w;
    f.fmt.pix.height = (unsigned)c->cam_h;
    f.fmt.pix.pixelformat = c->fourcc;
    f.fmt.pix.field = V4L2_FIELD_NONE;
    if (xioctl(c->fd, VIDIOC_S_FMT, &f) < 0)
        return device_error(c->path, "VIDIOC_S_FMT", errno, why, cap);
    char fc[5];
    if (f.fmt.pix.pixelformat != c->fourcc) {
        snprintf(why, cap, _("%s : la caméra refuse le format %s"),
                 c->path, v4l2_fourcc_str(c->fourcc, fc));
        return VM_E_FORMAT;
    }
    c->cam_w = (int)f.fmt.pix.width;
    c->cam_h = (int)f.fmt.pix.height;
    c->stride = (int)f.fmt.pix.bytesperline;
    if (c->cam_w < 2 || c->cam_h < 2 || c->cam_w > VFRAME_MAX_SIDE || c->cam_h > VFRAME_MAX_SIDE ||
        (c->cam_w & 1) || (c->cam_h & 1)) {
        snprintf(why, cap, _("%s : taille d'image %dx%d inutilisable"),
                 c->path, c->cam_w, c->cam_h);
        return VM_E_FORMAT;
    }
    /* The rate is a wish: many drivers ignore it or round it; we pace by
     * the device anyway. */
    struct v4l2_streamparm sp = {.type = V4L2_BUF_TYPE_VIDEO_CAPTURE};
    sp.parm.capture.timeperframe.numerator = 1;
    sp.parm.capture.timeperframe.denominator = (unsigned)c->head.p.fps;
    xioctl(c->fd, VIDIOC_S_PARM, &sp);
    return VM_OK;
}

static int start_streaming(struct vsrc_v4l2 *c, char *why, size_t cap)
{
    struct v4l2_requestbuffers rb = {
        .count = V4L2_BUFFERS, .type = V4L2_BUF_TYPE_VIDEO_CAPTURE, .memory = V4L2_MEMORY_MMAP};
    if (xioctl(c->fd, VIDIOC_REQBUFS, &rb) < 0)
        return device_error(c->path, "VIDIOC_REQBUFS", errno, why, cap);
    if (rb.count < 2) {
        snprintf(why, cap, _("%s : la caméra n'accorde que %u tampon"),
                 c->path, rb.count);
        return VM_E_IO;
    }
    for (unsigned i = 0; i < rb.count && i < V4L2_BUFFERS; i++) {
        struct v4l2_buffer b = {
            .type = V4L2_BUF_TYPE_VIDEO_CAPTURE, .memory = V4L2_MEMORY_MMAP, .index = i};
        if (xioctl(c->fd, VIDIOC_QUERYBUF, &b) < 0)
            return device_error(c->path, "VIDIOC_QUERYBUF", errno, why, cap);
        c->buf[i].len = b.length;
        c->buf[i].start =
            mmap(NULL, b.length, PROT_READ | PROT_WRITE, MAP_SHARED, c->fd, b.m.offset);
        c->n_buf = i + 1;
        if (c->buf[i].start == MAP_FAILED)
            return device_error(c->path, "mmap", errno, why, cap);
        if (xioctl(c->fd, VIDIOC_QBUF, &b) < 0)
            return device_error(c->path, "VIDIOC_QBUF", errno, why, cap);
    }
    enum v4l2_buf_type t = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    if (xioctl(c->fd, VIDIOC_STREAMON, &t) < 0)
        return device_error(c->path, "VIDIOC_STREAMON", errno, why, cap);
    c->streaming = 1;
    return VM_OK;
}

static int v4l2_open(struct vsource **out, const char *spec, const struct vsource_params *p,
                     char *why, size_t why_cap)
{
    struct vsource_params r;
    int rc = vsrc_params_resolve(&r, p, why, why_cap);
    if (rc)
        return rc;
    struct vsrc_v4l2 *c = calloc(1, sizeof *c);
    if (!c || !(c->path = strdup(spec))) {
        free(c);
        snprintf(why, why_cap, _("%s : mémoire insuffisante"), spec);
        return VM_E_NOMEM;
    }
    c->head.ops = &vsrc_v4l2_ops;
    c->head.p = r;
    c->fd = open(spec, O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (c->fd < 0) {
        rc = device_error(spec, "open", errno, why, why_cap);
        goto fail;
    }
    struct stat st;
    if (fstat(c->fd, &st) < 0 || !S_ISCHR(st.st_mode)) {
        rc = device_error(spec, "VIDIOC_QUERYCAP", ENOTTY, why, why_cap); /* a file */
        goto fail;
    }
    struct v4l2_capability cap;
    memset(&cap, 0, sizeof cap);
    if (xioctl(c->fd, VIDIOC_QUERYCAP, &cap) < 0) {
        rc = device_error(spec, "VIDIOC_QUERYCAP", errno, why, why_cap);
        goto fail;
    }
    uint32_t caps = cap.capabilities & V4L2_CAP_DEVICE_CAPS ? cap.device_caps : cap.capabilities;
    if (!(caps & V4L2_CAP_VIDEO_CAPTURE) || !(caps & V4L2_CAP_STREAMING)) {
        /* A UVC camera also has a metadata node (often the odd /dev/videoN). */
        snprintf(why, why_cap,
                 _("%s (%.32s) : ce n'est pas une caméra qui filme ; essayez un autre /dev/videoN"),
                 spec, (const char *)cap.card);
        rc = VM_E_FORMAT;
        goto fail;
    }
    if ((rc = choose_format(c, why, why_cap)) != VM_OK ||
        (rc = set_format(c, why, why_cap)) != VM_OK)
        goto fail;
    if ((c->cam_w != r.width || c->cam_h != r.height) &&
        vframe_alloc(&c->cam, c->cam_w, c->cam_h) != VM_OK) {
        snprintf(why, why_cap, _("%s : mémoire insuffisante pour une image %dx%d"), spec, c->cam_w, c->cam_h);
        rc = VM_E_NOMEM;
        goto fail;
    }
    if ((rc = start_streaming(c, why, why_cap)) != VM_OK)
        goto fail;
    *out = &c->head;
    return VM_OK;
fail:
    v4l2_close(&c->head);
    return rc;
}

static long long now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static int disconnected(struct vsrc_v4l2 *c, char *why, size_t cap)
{
    snprintf(why, cap, _("%s : la caméra a été débranchée"), c->path);
    return VM_E_IO;
}

/* Replaces *b by the newest buffer the driver has filled, giving the older
 * ones back (a caller slower than the camera would otherwise see pictures
 * up to V4L2_BUFFERS frames late). 0, or -1 when the device is gone. */
static int newest_buffer(struct vsrc_v4l2 *c, struct v4l2_buffer *b)
{
    for (;;) {
        struct v4l2_buffer n = {.type = V4L2_BUF_TYPE_VIDEO_CAPTURE, .memory = V4L2_MEMORY_MMAP};
        if (xioctl(c->fd, VIDIOC_DQBUF, &n) < 0)
            return errno == ENODEV || errno == EIO ? -1 : 0; /* EAGAIN: b is the newest */
        if (xioctl(c->fd, VIDIOC_QBUF, b) < 0)
            return -1;
        *b = n;
    }
}

/* Waits for the next good buffer and converts it into pic. A damaged
 * buffer (the driver's error flag, a broken JPEG) is given back and the
 * next one awaited; only silence for V4L2_WAIT_MS is an error. */
static int v4l2_next(struct vsource *s, struct vframe *pic, char *why, size_t why_cap)
{
    struct vsrc_v4l2 *c = (struct vsrc_v4l2 *)s;
    long long deadline = now_ms() + V4L2_WAIT_MS;
    char last[VSOURCE_WHY_MAX] = "";
    for (;;) {
        long long left = deadline - now_ms();
        if (left <= 0) {
            snprintf(why, why_cap,
                     _("%s : la caméra ne donne plus d'image depuis %d ms%s%s"),
                     c->path, V4L2_WAIT_MS, *last ? _(" ; dernière erreur : ") : "", last);
            return VM_E_IO;
        }
        struct pollfd pf = {.fd = c->fd, .events = POLLIN};
        int n = poll(&pf, 1, (int)left);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return device_error(c->path, "poll", errno, why, why_cap);
        if (n == 0)
            continue; /* the deadline check above reports it */
        if (pf.revents & (POLLERR | POLLHUP | POLLNVAL))
            return disconnected(c, why, why_cap);
        struct v4l2_buffer b = {.type = V4L2_BUF_TYPE_VIDEO_CAPTURE, .memory = V4L2_MEMORY_MMAP};
        if (xioctl(c->fd, VIDIOC_DQBUF, &b) < 0) {
            if (errno == EAGAIN)
                continue;
            if (errno == ENODEV || errno == EIO)
                return disconnected(c, why, why_cap);
            return device_error(c->path, "VIDIOC_DQBUF", errno, why, why_cap);
        }
        /* Pictures waiting since our last call are old: keep the newest. */
        if (newest_buffer(c, &b) < 0)
            return disconnected(c, why, why_cap);
        int rc = VM_E_FORMAT;
        if (b.index >= c->n_buf || (b.flags & V4L2_BUF_FLAG_ERROR) || b.bytesused == 0) {
            snprintf(last, sizeof last, _("tampon marqué en erreur"));
        } else {
            struct vframe *dst = c->cam.mem ? &c->cam : pic;
            size_t used = b.bytesused < c->buf[b.index].len ? b.bytesused : c->buf[b.index].len;
            rc = v4l2_convert(c->fourcc, c->buf[b.index].start, used, c->cam_w, c->cam_h, c->stride,
                              dst, last, sizeof last);
        }
        if (xioctl(c->fd, VIDIOC_QBUF, &b) < 0)
            return errno == ENODEV || errno == EIO
                       ? disconnected(c, why, why_cap)
                       : device_error(c->path, "VIDIOC_QBUF", errno, why, why_cap);
        if (rc == VM_E_FORMAT)
            continue; /* a damaged picture: the next one is 1/fps away */
        if (rc != VM_OK) {
            snprintf(why, why_cap, "%s : %s", c->path, last);
            return rc;
        }
        if (c->cam.mem && vframe_scale(pic, &c->cam) != VM_OK) {
            snprintf(why, why_cap, _("%s : impossible de mettre une image %dx%d à la taille %dx%d"), c->path, c->cam_w, c->cam_h,
                     pic->width, pic->height);
            return VM_E_ARG;
        }
        vsrc_stamp(s, pic);
        return VM_OK;
    }
}

const struct vsource_ops vsrc_v4l2_ops = {
    .name = "v4l2",
    .matches = v4l2_matches,
    .open = v4l2_open,
    .next = v4l2_next,
    .close = v4l2_close,
    .live = 1,
};
