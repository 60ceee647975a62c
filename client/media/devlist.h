/* devlist.h: what `bilan devices` lists (devlist.c): the cameras of this
 * machine (V4L2 nodes /dev/videoN that can capture, their card name, the
 * formats we read with their sizes, whether another program holds them)
 * and the microphones and speakers SDL2 sees (their names, the default
 * one marked). Data only: the words a person reads are the command's
 * (client/cmd_devices.c), so that they go through the catalogue.
 *
 * BILAN_V4L2_DIR replaces /dev as the folder searched for video* nodes
 * (tests point it at an empty folder or at ordinary files).
 *
 * Must never: start a camera streaming or keep a device open past the
 * call; hold a microphone open (SDL lists without opening). */
#ifndef CLIENT_MEDIA_DEVLIST_H
#define CLIENT_MEDIA_DEVLIST_H

#include <stddef.h>
#include <stdint.h>

#define DEVLIST_MAX_CAMERAS 32
#define DEVLIST_MAX_FORMATS 4
#define DEVLIST_MAX_SIZES 12
#define DEVLIST_MAX_AUDIO 32

/* What a /dev/videoN node turned out to be. */
enum devlist_cam_state {
    DEVLIST_CAM_OK = 0,     /* a camera we can read (formats listed) */
    DEVLIST_CAM_BUSY,       /* a camera another program is using now */
    DEVLIST_CAM_NOT_CAMERA, /* a node that does not film (UVC metadata) or not V4L2 */
    DEVLIST_CAM_NO_FORMAT,  /* films, but in no format we read (YUYV, MJPEG) */
    DEVLIST_CAM_FORBIDDEN,  /* cannot be opened: permission (group video) */
    DEVLIST_CAM_ERROR,      /* cannot be opened for another reason (errno in err) */
};

struct devlist_size {
    int width, height;
};

struct devlist_format {
    uint32_t fourcc; /* VSRC_V4L2_YUYV, _MJPG or _JPEG */
    struct devlist_size sizes[DEVLIST_MAX_SIZES];
    int n_sizes; /* 0: the driver lists no discrete size (any size) */
};

struct devlist_camera {
    char path[256]; /* "/dev/video0": the value of `--video` */
    char card[64];  /* the driver's name for it ("" when unknown) */
    enum devlist_cam_state state;
    int err; /* errno, for DEVLIST_CAM_ERROR */
    struct devlist_format formats[DEVLIST_MAX_FORMATS];
    int n_formats;
};

struct devlist_audio {
    char name[128]; /* the name SDL lists: the value after "mic:" or "speaker:" */
    int is_default; /* the system's default, when SDL can tell */
};

struct devlist {
    struct devlist_camera cams[DEVLIST_MAX_CAMERAS];
    int n_cams;
    char cam_dir[256]; /* the folder searched */
    struct devlist_audio mics[DEVLIST_MAX_AUDIO], speakers[DEVLIST_MAX_AUDIO];
    int n_mics, n_speakers;
    int audio_ok;          /* 0: SDL's audio did not start (audio_why says why) */
    char audio_driver[32]; /* SDL's driver ("pulseaudio", "alsa", "dummy"...) */
    char audio_why[256];   /* SDL's reason, when audio_ok is 0 */
};

/* Fills the camera part of d from the folder (BILAN_V4L2_DIR or "/dev"),
 * nodes in number order; every video* entry is listed with its state. */
void devlist_cameras(struct devlist *d);
/* Fills the audio part of d through SDL (inits and quits SDL's audio
 * subsystem: call from the thread that opens microphones and speakers). */
void devlist_audio(struct devlist *d);
/* Number of cameras in state DEVLIST_CAM_OK or BUSY (real cameras). */
int devlist_camera_count(const struct devlist *d);

#endif
