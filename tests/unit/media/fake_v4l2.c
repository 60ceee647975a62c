/* fake_v4l2.c: a pretend camera for tests, loaded with LD_PRELOAD (there is
 * no camera and no v4l2loopback on a build machine). It answers the V4L2
 * ioctls for any character device whose number is /dev/zero's (1,5): a
 * test points a video* symlink at /dev/zero to make a camera, at /dev/null
 * for a node that is not one. The camera is "Fake Cam", offers YUYV
 * (640x480, 1280x720), MJPG (1920x1080, listed only) and H264 (which we do
 * not read); FAKE_V4L2_BUSY=1 makes REQBUFS answer EBUSY, as a camera
 * another program streams from does.
 *
 * It also streams YUYV like a driver: S_FMT (YUYV at a size it offers),
 * REQBUFS/QUERYBUF/mmap (the buffers are /dev/zero's shared memory),
 * QBUF/DQBUF (a buffer every 33 ms, filled with a moving gradient, or left
 * black with FAKE_V4L2_BLACK=1: a covered lens), and poll waits for the
 * next one. One camera open at a time. FAKE_V4L2_PATH=/dev/videoN makes
 * open() of that path open /dev/zero (the client opens cameras only under
 * /dev/video). Everything else goes to libc. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/videodev2.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>

#define NBUF 8
#define FRAME_NS 33333333LL

static struct {
    unsigned w, h, n;         /* format, buffers granted */
    size_t len, stride_pages; /* bytes per buffer, offset step */
    uint8_t *mem[NBUF];
    int queued[NBUF];
    unsigned order;    /* frames handed out */
    long long next_ns; /* when the next frame is due */
} cam;

static long long now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static void fill(uint8_t *p, unsigned frame)
{
    if (getenv("FAKE_V4L2_BLACK"))
        return; /* /dev/zero's memory: Y = 0 */
    for (unsigned y = 0; y < cam.h; y++)
        for (unsigned x = 0; x < cam.w; x++) {
            uint8_t *px = p + (size_t)y * cam.w * 2 + x * 2;
            px[0] = (uint8_t)(64 + ((x + y + frame * 4) & 127));
            px[1] = 128;
        }
}

static int is_fake(int fd)
{
    struct stat st;
    return fstat(fd, &st) == 0 && S_ISCHR(st.st_mode) && major(st.st_rdev) == 1 &&
           minor(st.st_rdev) == 5;
}

static int fake(unsigned long req, void *arg)
{
    static const unsigned fmts[] = {V4L2_PIX_FMT_YUYV, V4L2_PIX_FMT_MJPEG, V4L2_PIX_FMT_H264};
    switch (req) {
    case VIDIOC_QUERYCAP: {
        struct v4l2_capability *c = arg;
        memset(c, 0, sizeof *c);
        strcpy((char *)c->driver, "fake");
        strcpy((char *)c->card, "Fake Cam");
        c->capabilities = V4L2_CAP_VIDEO_CAPTURE | V4L2_CAP_STREAMING | V4L2_CAP_DEVICE_CAPS;
        c->device_caps = V4L2_CAP_VIDEO_CAPTURE | V4L2_CAP_STREAMING;
        return 0;
    }
    case VIDIOC_ENUM_FMT: {
        struct v4l2_fmtdesc *d = arg;
        if (d->index >= sizeof fmts / sizeof fmts[0]) {
            errno = EINVAL;
            return -1;
        }
        d->pixelformat = fmts[d->index];
        return 0;
    }
    case VIDIOC_ENUM_FRAMESIZES: {
        struct v4l2_frmsizeenum *e = arg;
        static const unsigned yuyv[][2] = {{640, 480}, {1280, 720}}, mjpg[][2] = {{1920, 1080}};
        const unsigned(*t)[2] = e->pixel_format == V4L2_PIX_FMT_YUYV    ? yuyv
                                : e->pixel_format == V4L2_PIX_FMT_MJPEG ? mjpg
                                                                        : NULL;
        unsigned n = t == yuyv ? 2 : t == mjpg ? 1 : 0;
        if (e->index >= n) {
            errno = EINVAL;
            return -1;
        }
        e->type = V4L2_FRMSIZE_TYPE_DISCRETE;
        e->discrete.width = t[e->index][0];
        e->discrete.height = t[e->index][1];
        return 0;
    }
    case VIDIOC_REQBUFS: {
        struct v4l2_requestbuffers *rb = arg;
        const char *busy = getenv("FAKE_V4L2_BUSY");
        if (busy && *busy == '1') {
            errno = EBUSY;
            return -1;
        }
        if (rb->count > NBUF)
            rb->count = NBUF;
        cam.n = rb->count;
        memset(cam.queued, 0, sizeof cam.queued);
        return 0;
    }
    case VIDIOC_S_FMT: {
        struct v4l2_format *f = arg;
        int big = f->fmt.pix.width >= 1280;
        f->fmt.pix.pixelformat = V4L2_PIX_FMT_YUYV;
        cam.w = f->fmt.pix.width = big ? 1280 : 640;
        cam.h = f->fmt.pix.height = big ? 720 : 480;
        f->fmt.pix.bytesperline = cam.w * 2;
        f->fmt.pix.sizeimage = cam.w * cam.h * 2;
        cam.len = f->fmt.pix.sizeimage;
        cam.stride_pages = (cam.len + 4095) / 4096 * 4096;
        return 0;
    }
    case VIDIOC_S_PARM:
    case VIDIOC_STREAMOFF:
        return 0;
    case VIDIOC_STREAMON:
        cam.next_ns = now_ns() + FRAME_NS;
        return 0;
    case VIDIOC_QUERYBUF: {
        struct v4l2_buffer *b = arg;
        if (b->index >= cam.n) {
            errno = EINVAL;
            return -1;
        }
        b->length = (unsigned)cam.len;
        b->m.offset = (unsigned)(b->index * cam.stride_pages);
        return 0;
    }
    case VIDIOC_QBUF: {
        struct v4l2_buffer *b = arg;
        if (b->index >= cam.n) {
            errno = EINVAL;
            return -1;
        }
        cam.queued[b->index] = 1;
        return 0;
    }
    case VIDIOC_DQBUF: {
        struct v4l2_buffer *b = arg;
        if (now_ns() < cam.next_ns) {
            errno = EAGAIN;
            return -1;
        }
        for (unsigned i = 0; i < cam.n; i++)
            if (cam.queued[(cam.order + i) % cam.n]) {
                unsigned k = (cam.order + i) % cam.n;
                cam.queued[k] = 0;
                if (cam.mem[k])
                    fill(cam.mem[k], cam.order);
                memset(b, 0, sizeof *b);
                b->type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
                b->memory = V4L2_MEMORY_MMAP;
                b->index = k;
                b->bytesused = (unsigned)cam.len;
                b->sequence = cam.order++;
                cam.next_ns += FRAME_NS;
                return 0;
            }
        errno = EAGAIN;
        return -1;
    }
    default:
        errno = ENOTTY;
        return -1;
    }
}

int ioctl(int fd, unsigned long req, ...)
{
    va_list ap;
    va_start(ap, req);
    void *arg = va_arg(ap, void *);
    va_end(ap);
    if (is_fake(fd))
        return fake(req, arg);
    static int (*real)(int, unsigned long, ...);
    if (!real)
        real = (int (*)(int, unsigned long, ...))dlsym(RTLD_NEXT, "ioctl");
    return real(fd, req, arg);
}

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    static void *(*real)(void *, size_t, int, int, int, off_t);
    if (!real)
        real = (void *(*)(void *, size_t, int, int, int, off_t))dlsym(RTLD_NEXT, "mmap");
    if (fd < 0 || !is_fake(fd) || !cam.stride_pages)
        return real(addr, len, prot, flags, fd, off);
    /* /dev/zero's shared memory past offset 0 faults: anonymous memory instead. */
    void *p = real(addr, len, prot, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p != MAP_FAILED) {
        size_t k = (size_t)off / cam.stride_pages;
        if (k < NBUF)
            cam.mem[k] = p;
    }
    return p;
}

/* A camera's fd is readable when a frame is due: sleep until then. */
int poll(struct pollfd *fds, nfds_t n, int timeout)
{
    static int (*real)(struct pollfd *, nfds_t, int);
    if (!real)
        real = (int (*)(struct pollfd *, nfds_t, int))dlsym(RTLD_NEXT, "poll");
    if (n == 1 && fds[0].fd >= 0 && is_fake(fds[0].fd)) {
        long long wait = cam.next_ns - now_ns();
        if (wait > 0) {
            if (timeout >= 0 && wait > (long long)timeout * 1000000LL)
                wait = (long long)timeout * 1000000LL;
            struct timespec t = {.tv_sec = wait / 1000000000LL, .tv_nsec = wait % 1000000000LL};
            nanosleep(&t, NULL);
        }
        fds[0].revents = now_ns() >= cam.next_ns ? POLLIN : 0;
        return fds[0].revents ? 1 : 0;
    }
    return real(fds, n, timeout);
}

static const char *redirect(const char *path)
{
    const char *fake = getenv("FAKE_V4L2_PATH");
    return fake && path && strcmp(path, fake) == 0 ? "/dev/zero" : path;
}

int open(const char *path, int flags, ...)
{
    static int (*real)(const char *, int, ...);
    if (!real)
        real = (int (*)(const char *, int, ...))dlsym(RTLD_NEXT, "open");
    va_list ap;
    va_start(ap, flags);
    mode_t mode = (flags & (O_CREAT | O_TMPFILE)) ? (mode_t)va_arg(ap, int) : 0;
    va_end(ap);
    return real(redirect(path), flags, mode);
}

int open64(const char *path, int flags, ...)
{
    static int (*real)(const char *, int, ...);
    if (!real)
        real = (int (*)(const char *, int, ...))dlsym(RTLD_NEXT, "open64");
    va_list ap;
    va_start(ap, flags);
    mode_t mode = (flags & (O_CREAT | O_TMPFILE)) ? (mode_t)va_arg(ap, int) : 0;
    va_end(ap);
    return real(redirect(path), flags, mode);
}
