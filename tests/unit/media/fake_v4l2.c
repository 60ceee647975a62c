/* fake_v4l2.c: a pretend camera for tests, loaded with LD_PRELOAD (there is
 * no camera and no v4l2loopback on a build machine). It answers the V4L2
 * ioctls that `bilan devices` asks (QUERYCAP, ENUM_FMT, ENUM_FRAMESIZES,
 * REQBUFS) for any character device whose number is /dev/zero's (1,5):
 * a test points a video* symlink at /dev/zero to make a camera, at
 * /dev/null for a node that is not one. The camera is "Fake Cam", offers
 * YUYV (640x480, 1280x720), MJPG (1920x1080) and H264 (which we do not
 * read); FAKE_V4L2_BUSY=1 makes REQBUFS answer EBUSY, as a camera another
 * program streams from does. Everything else goes to the real ioctl.
 *
 * Never streams: a test of the listing only. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <linux/videodev2.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

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
        const char *busy = getenv("FAKE_V4L2_BUSY");
        if (busy && *busy == '1') {
            errno = EBUSY;
            return -1;
        }
        return 0;
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
