/* test_devlist.c: tests client/media/devlist.c (what `bilan devices`
 * lists) and its words (client/cmd_devices.c: devices_print_text and
 * _json). There is no camera and no sound card here: the camera folder is
 * moved (BILAN_V4L2_DIR) to an empty folder, then to one holding ordinary
 * files and a character device that is not V4L2 (/dev/null), all of which
 * must be listed as "not a camera", in number order; audio goes through
 * SDL's dummy driver (one microphone, one speaker). The words are checked
 * on a hand-made listing: a camera with its formats and option, a busy
 * one, names with spaces and quotes quoted for the shell, the default
 * marked, and the advice when a kind is missing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "../check.h"
#include "cli.h"
#include "devlist.h"
#include "test_vtmp.h"
#include "vsrc_v4l2.h"

static struct devlist d;

static void test_scan(void)
{
    char p[512];
    setenv("BILAN_V4L2_DIR", tmp_root, 1);
    devlist_cameras(&d);
    CHECK_EQ_INT(d.n_cams, 0);
    CHECK_STR(d.cam_dir, tmp_root);

    CHECK_EQ_INT(tmp_write(tmp_path(p, sizeof p, "video10"), "x", 1), 0);
    CHECK_EQ_INT(tmp_write(tmp_path(p, sizeof p, "video2"), "x", 1), 0);
    CHECK_EQ_INT(tmp_write(tmp_path(p, sizeof p, "videoX"), "x", 1), 0);    /* not a node name */
    CHECK_EQ_INT(tmp_write(tmp_path(p, sizeof p, "media0"), "x", 1), 0);    /* not video */
    CHECK_EQ_INT(symlink("/dev/null", tmp_path(p, sizeof p, "video0")), 0); /* char, not V4L2 */
    devlist_cameras(&d);
    CHECK_EQ_INT(d.n_cams, 3);
    CHECK(strstr(d.cams[0].path, "/video0") != NULL);
    CHECK(strstr(d.cams[1].path, "/video2") != NULL);
    CHECK(strstr(d.cams[2].path, "/video10") != NULL);
    for (int i = 0; i < d.n_cams; i++)
        CHECK_EQ_INT(d.cams[i].state, DEVLIST_CAM_NOT_CAMERA);
    CHECK_EQ_INT(devlist_camera_count(&d), 0);

    setenv("BILAN_V4L2_DIR", "/nonexistent-bilan-dir", 1);
    devlist_cameras(&d);
    CHECK_EQ_INT(d.n_cams, 0);
}

static void test_audio_dummy(void)
{
    setenv("SDL_AUDIODRIVER", "dummy", 1);
    devlist_audio(&d);
    CHECK(d.audio_ok);
    CHECK_STR(d.audio_driver, "dummy");
    CHECK_EQ_INT(d.n_mics, 1);
    CHECK_EQ_INT(d.n_speakers, 1);
    CHECK(d.n_mics == 1 && *d.mics[0].name);
    setenv("SDL_AUDIODRIVER", "no-such-driver", 1);
    devlist_audio(&d);
    CHECK(!d.audio_ok && *d.audio_why);
    CHECK_EQ_INT(d.n_mics + d.n_speakers, 0);
}

static char *render(int json, const struct devlist *l)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    int rc = json ? devices_print_json(f, l) : devices_print_text(f, l);
    fclose(f);
    CHECK_EQ_INT(rc, 0);
    return buf;
}

static void test_words(void)
{
    static struct devlist l;
    memset(&l, 0, sizeof l);
    struct devlist_camera *c = &l.cams[0];
    snprintf(c->path, sizeof c->path, "/dev/video0");
    snprintf(c->card, sizeof c->card, "Integrated Camera");
    c->state = DEVLIST_CAM_OK;
    c->n_formats = 2;
    c->formats[0].fourcc = VSRC_V4L2_YUYV;
    c->formats[0].n_sizes = 2;
    c->formats[0].sizes[0] = (struct devlist_size){640, 480};
    c->formats[0].sizes[1] = (struct devlist_size){1280, 720};
    c->formats[1].fourcc = VSRC_V4L2_MJPG;
    c->formats[1].n_sizes = 1;
    c->formats[1].sizes[0] = (struct devlist_size){1920, 1080};
    snprintf(l.cams[1].path, sizeof l.cams[1].path, "/dev/video1");
    l.cams[1].state = DEVLIST_CAM_NOT_CAMERA;
    snprintf(l.cams[2].path, sizeof l.cams[2].path, "/dev/video2");
    snprintf(l.cams[2].card, sizeof l.cams[2].card, "USB Cam");
    l.cams[2].state = DEVLIST_CAM_BUSY;
    l.cams[2].n_formats = 1;
    l.cams[2].formats[0].fourcc = VSRC_V4L2_MJPG;
    l.n_cams = 3;
    l.audio_ok = 1;
    snprintf(l.audio_driver, sizeof l.audio_driver, "pulseaudio");
    snprintf(l.mics[0].name, sizeof l.mics[0].name, "Built-in Audio Analog Stereo");
    l.mics[0].is_default = 1;
    snprintf(l.mics[1].name, sizeof l.mics[1].name, "Jo's headset");
    l.n_mics = 2;
    snprintf(l.speakers[0].name, sizeof l.speakers[0].name, "HDMI");
    l.n_speakers = 1;

    char *t = render(0, &l);
    CHECK(strstr(t, "Caméras\n") && strstr(t, "Micros\n") && strstr(t, "Haut-parleurs\n"));
    CHECK(strstr(t, "/dev/video0 : Integrated Camera\n") != NULL);
    CHECK(strstr(t, "YUYV : 640x480 1280x720\n") != NULL);
    CHECK(strstr(t, "MJPEG : 1920x1080\n") != NULL);
    CHECK(strstr(t, "--video /dev/video0\n") != NULL);
    CHECK(strstr(t, "--video /dev/video2\n") != NULL); /* busy: still usable once freed */
    CHECK(strstr(t, "occupée") != NULL);
    CHECK(strstr(t, "--video /dev/video1") == NULL); /* not a camera: no option */
    CHECK(strstr(t, "/dev/video1 : pas une caméra") != NULL);
    CHECK(strstr(t, "« Built-in Audio Analog Stereo » (par défaut)") != NULL);
    CHECK(strstr(t, "--audio 'mic:Built-in Audio Analog Stereo' (ou --audio default)") != NULL);
    CHECK(strstr(t, "--audio 'mic:Jo'\\''s headset'\n") != NULL);
    CHECK(strstr(t, "--audio-out speaker:HDMI\n") != NULL);
    CHECK(strstr(t, "Aucune") == NULL);
    free(t);

    char *j = render(1, &l);
    json_error_t e;
    json_t *doc = json_loads(j, 0, &e);
    CHECK(doc != NULL);
    json_t *cams = json_object_get(doc, "cameras");
    CHECK_EQ_INT(json_array_size(cams), 3);
    CHECK_STR(json_string_value(json_object_get(json_array_get(cams, 0), "value")), "/dev/video0");
    CHECK_STR(json_string_value(json_object_get(json_array_get(cams, 1), "state")), "not_camera");
    CHECK(json_is_null(json_object_get(json_array_get(cams, 1), "value")));
    CHECK_STR(json_string_value(json_object_get(json_array_get(cams, 2), "state")), "busy");
    json_t *f0 = json_array_get(json_object_get(json_array_get(cams, 0), "formats"), 0);
    CHECK_STR(json_string_value(json_object_get(f0, "fourcc")), "YUYV");
    CHECK_EQ_INT(
        json_integer_value(json_array_get(json_array_get(json_object_get(f0, "sizes"), 1), 0)),
        1280);
    json_t *m0 = json_array_get(json_object_get(doc, "microphones"), 0);
    CHECK_STR(json_string_value(json_object_get(m0, "value")), "mic:Built-in Audio Analog Stereo");
    CHECK(json_is_true(json_object_get(m0, "default")));
    json_t *s0 = json_array_get(json_object_get(doc, "speakers"), 0);
    CHECK_STR(json_string_value(json_object_get(s0, "value")), "speaker:HDMI");
    CHECK_STR(json_string_value(json_object_get(s0, "option")), "--audio-out");
    json_decref(doc);
    free(j);

    /* Nothing at all: each kind says so, with what to do. */
    static struct devlist none;
    memset(&none, 0, sizeof none);
    none.audio_ok = 1;
    t = render(0, &none);
    CHECK(strstr(t, "Aucune caméra trouvée : branchez-la") != NULL);
    CHECK(strstr(t, "groupe video") != NULL);
    CHECK(strstr(t, "Aucun micro trouvé") != NULL);
    CHECK(strstr(t, "Aucun haut-parleur trouvé") != NULL);
    free(t);
    /* Only a camera's metadata node: still "no camera". */
    none.cams[0] = l.cams[1];
    none.n_cams = 1;
    none.audio_ok = 0;
    snprintf(none.audio_why, sizeof none.audio_why, "no such driver");
    t = render(0, &none);
    CHECK(strstr(t, "Aucune caméra trouvée") != NULL);
    CHECK(strstr(t, "Le son ne démarre pas (no such driver)") != NULL);
    free(t);
}

/* Under fake_v4l2.c (LD_PRELOAD): video0 -> /dev/zero is a camera, video1
 * -> /dev/null is not one; FAKE_V4L2_BUSY makes the camera busy. */
static void test_fake_camera(void)
{
    char p[512];
    CHECK_EQ_INT(symlink("/dev/zero", tmp_path(p, sizeof p, "video0")), 0);
    CHECK_EQ_INT(symlink("/dev/null", tmp_path(p, sizeof p, "video1")), 0);
    setenv("BILAN_V4L2_DIR", tmp_root, 1);
    unsetenv("FAKE_V4L2_BUSY");
    devlist_cameras(&d);
    CHECK_EQ_INT(d.n_cams, 2);
    CHECK_EQ_INT(d.cams[0].state, DEVLIST_CAM_OK);
    CHECK_STR(d.cams[0].card, "Fake Cam");
    CHECK_EQ_INT(d.cams[0].n_formats, 2); /* H264 is not listed: we do not read it */
    CHECK_EQ_INT(d.cams[0].formats[0].fourcc, VSRC_V4L2_YUYV);
    CHECK_EQ_INT(d.cams[0].formats[0].n_sizes, 2);
    CHECK_EQ_INT(d.cams[0].formats[0].sizes[1].width, 1280);
    CHECK_EQ_INT(d.cams[0].formats[1].fourcc, VSRC_V4L2_MJPG);
    CHECK_EQ_INT(d.cams[0].formats[1].sizes[0].height, 1080);
    CHECK_EQ_INT(d.cams[1].state, DEVLIST_CAM_NOT_CAMERA);
    CHECK_EQ_INT(devlist_camera_count(&d), 1);
    char *t = render(0, &d);
    CHECK(strstr(t, "/video0 : Fake Cam\n") != NULL);
    CHECK(strstr(t, "YUYV : 640x480 1280x720\n") != NULL);
    CHECK(strstr(t, "Aucune caméra") == NULL);
    free(t);
    setenv("FAKE_V4L2_BUSY", "1", 1);
    devlist_cameras(&d);
    CHECK_EQ_INT(d.cams[0].state, DEVLIST_CAM_BUSY);
    CHECK_EQ_INT(devlist_camera_count(&d), 1);
    unsetenv("FAKE_V4L2_BUSY");
}

int main(int argc, char **argv)
{
    if (!tmp_make())
        return 1;
    if (argc > 1 && !strcmp(argv[1], "fake-camera")) {
        /* Only meaningful under the shim: without it there is no camera. */
        if (!getenv("LD_PRELOAD") || !strstr(getenv("LD_PRELOAD"), "fake_v4l2")) {
            printf("needs LD_PRELOAD=libfake_v4l2.so: skipped\n");
            tmp_remove();
            return 77;
        }
        test_fake_camera();
        tmp_remove();
        return check_report();
    }
    test_scan();
    tmp_remove();
    test_audio_dummy();
    test_words();
    return check_report();
}
