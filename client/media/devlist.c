/* devlist.c: the listing of devlist.h. Cameras: each video* node of the
 * folder is opened (non-blocking), asked what it is (QUERYCAP), which of
 * our formats it offers (ENUM_FMT) at which sizes (ENUM_FRAMESIZES), and
 * whether it is free: asking for one buffer and giving it back at once
 * (REQBUFS 1 then 0) is refused with EBUSY while another program streams.
 * Audio: SDL's lists of capture and playback devices, and its default
 * (SDL_GetDefaultAudioInfo, SDL 2.24 and later).
 *
 * Owns nothing past a call. Must never stream, or open an audio device. */
#include "devlist.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/videodev2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <SDL.h>

#include "vsrc_v4l2.h"

static int xioctl(int fd, unsigned long req, void *arg)
{
    int r;
    do
        r = ioctl(fd, req, arg);
    while (r < 0 && errno == EINTR);
    return r;
}

/* "video12" -> 12; -1 for any other name. */
static long video_number(const char *name)
{
    if (strncmp(name, "video", 5) != 0 || !name[5])
        return -1;
    char *end;
    long n = strtol(name + 5, &end, 10);
    return *end || n < 0 ? -1 : n;
}

static int is_ours(uint32_t fourcc)
{
    return fourcc == VSRC_V4L2_YUYV || fourcc == VSRC_V4L2_MJPG || fourcc == VSRC_V4L2_JPEG;
}

static void list_sizes(int fd, struct devlist_format *f)
{
    struct v4l2_frmsizeenum e = {.pixel_format = f->fourcc};
    for (e.index = 0; f->n_sizes < DEVLIST_MAX_SIZES && xioctl(fd, VIDIOC_ENUM_FRAMESIZES, &e) == 0;
         e.index++) {
        if (e.type != V4L2_FRMSIZE_TYPE_DISCRETE)
            return; /* a range: any size, said as "0 sizes" */
        f->sizes[f->n_sizes].width = (int)e.discrete.width;
        f->sizes[f->n_sizes].height = (int)e.discrete.height;
        f->n_sizes++;
    }
}

/* Fills c from the open node fd. */
static void probe(int fd, struct devlist_camera *c)
{
    struct stat st;
    struct v4l2_capability cap;
    memset(&cap, 0, sizeof cap);
    if (fstat(fd, &st) < 0 || !S_ISCHR(st.st_mode) || xioctl(fd, VIDIOC_QUERYCAP, &cap) < 0) {
        c->state = DEVLIST_CAM_NOT_CAMERA;
        return;
    }
    snprintf(c->card, sizeof c->card, "%.32s", (const char *)cap.card);
    uint32_t caps = cap.capabilities & V4L2_CAP_DEVICE_CAPS ? cap.device_caps : cap.capabilities;
    if (!(caps & V4L2_CAP_VIDEO_CAPTURE) || !(caps & V4L2_CAP_STREAMING)) {
        c->state = DEVLIST_CAM_NOT_CAMERA;
        return;
    }
    struct v4l2_fmtdesc d = {.type = V4L2_BUF_TYPE_VIDEO_CAPTURE};
    for (d.index = 0; c->n_formats < DEVLIST_MAX_FORMATS && xioctl(fd, VIDIOC_ENUM_FMT, &d) == 0;
         d.index++) {
        if (!is_ours(d.pixelformat))
            continue;
        struct devlist_format *f = &c->formats[c->n_formats++];
        memset(f, 0, sizeof *f);
        f->fourcc = d.pixelformat;
        list_sizes(fd, f);
    }
    if (c->n_formats == 0) {
        c->state = DEVLIST_CAM_NO_FORMAT;
        return;
    }
    struct v4l2_requestbuffers rb = {
        .count = 1, .type = V4L2_BUF_TYPE_VIDEO_CAPTURE, .memory = V4L2_MEMORY_MMAP};
    if (xioctl(fd, VIDIOC_REQBUFS, &rb) < 0) {
        c->state = errno == EBUSY ? DEVLIST_CAM_BUSY : DEVLIST_CAM_OK;
        return;
    }
    rb.count = 0;
    xioctl(fd, VIDIOC_REQBUFS, &rb);
    c->state = DEVLIST_CAM_OK;
}

static int by_number(const void *a, const void *b)
{
    const struct devlist_camera *x = a, *y = b;
    long nx = video_number(strrchr(x->path, '/') + 1), ny = video_number(strrchr(y->path, '/') + 1);
    return nx < ny ? -1 : nx > ny;
}

void devlist_cameras(struct devlist *d)
{
    const char *dir = getenv("BILAN_V4L2_DIR");
    if (!dir || !*dir)
        dir = "/dev";
    snprintf(d->cam_dir, sizeof d->cam_dir, "%s", dir);
    d->n_cams = 0;
    DIR *dh = opendir(dir);
    if (!dh)
        return;
    struct dirent *e;
    while ((e = readdir(dh)) && d->n_cams < DEVLIST_MAX_CAMERAS) {
        if (video_number(e->d_name) < 0)
            continue;
        struct devlist_camera *c = &d->cams[d->n_cams];
        memset(c, 0, sizeof *c);
        if ((size_t)snprintf(c->path, sizeof c->path, "%s/%s", dir, e->d_name) >= sizeof c->path)
            continue;
        d->n_cams++;
        int fd = open(c->path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0) {
            c->err = errno;
            c->state = errno == EACCES || errno == EPERM ? DEVLIST_CAM_FORBIDDEN
                       : errno == EBUSY                  ? DEVLIST_CAM_BUSY
                                                         : DEVLIST_CAM_ERROR;
            continue;
        }
        probe(fd, c);
        close(fd);
    }
    closedir(dh);
    qsort(d->cams, (size_t)d->n_cams, sizeof d->cams[0], by_number);
}

int devlist_camera_count(const struct devlist *d)
{
    int n = 0;
    for (int i = 0; i < d->n_cams; i++)
        n += d->cams[i].state == DEVLIST_CAM_OK || d->cams[i].state == DEVLIST_CAM_BUSY;
    return n;
}

static int list_kind(int capture, struct devlist_audio *out)
{
    char *def = NULL;
    SDL_AudioSpec spec;
    if (SDL_GetDefaultAudioInfo(&def, &spec, capture) != 0)
        def = NULL;
    int n = SDL_GetNumAudioDevices(capture), k = 0;
    for (int i = 0; i < n && k < DEVLIST_MAX_AUDIO; i++) {
        const char *name = SDL_GetAudioDeviceName(i, capture);
        if (!name)
            continue;
        snprintf(out[k].name, sizeof out[k].name, "%s", name);
        out[k].is_default = def && strcmp(def, name) == 0;
        k++;
    }
    SDL_free(def);
    return k;
}

void devlist_audio(struct devlist *d)
{
    d->n_mics = d->n_speakers = 0;
    d->audio_ok = 0;
    d->audio_driver[0] = d->audio_why[0] = '\0';
    if (SDL_InitSubSystem(SDL_INIT_AUDIO) < 0) {
        snprintf(d->audio_why, sizeof d->audio_why, "%s", SDL_GetError());
        return;
    }
    const char *drv = SDL_GetCurrentAudioDriver();
    snprintf(d->audio_driver, sizeof d->audio_driver, "%s", drv ? drv : "");
    d->audio_ok = 1;
    d->n_mics = list_kind(1, d->mics);
    d->n_speakers = list_kind(0, d->speakers);
    SDL_QuitSubSystem(SDL_INIT_AUDIO);
}
