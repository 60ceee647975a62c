/* testwin.h: the window of `bilan test-media` (issue 10, part 4): what a
 * person looks at before a session. "Votre image" (the camera, mirrored as
 * in the room, live), a microphone level meter that moves with the voice
 * ("On vous entend" / "Le micro ne capte rien : ..."), a button and a key
 * that ask for the test sound, the verdict and advice for each device, and
 * "Fermer". Text size, high contrast and keyboard-only use as in the room's
 * window (window.h), whose drawing it borrows (window_int.h).
 *
 * It runs on a thread of its own (SDL's video there, as the room's window
 * does). It reads the picture and the level from the test (mtest_picture,
 * mtest_level: a copy under a mutex, never a device call) and only posts
 * what the person asks for (testwin_take); the command does the device
 * work (the sound is played on the command's thread) and sends back words
 * (testwin_set_sound, testwin_set_verdict).
 *
 * Owns: its thread, SDL's video while it runs, the fonts and textures.
 * Must never: open, read or close a device, block on the test, or decide
 * the verdict (the command does: the same words as in the terminal). */
#ifndef CLIENT_UI_TESTWIN_H
#define CLIENT_UI_TESTWIN_H

#include <stddef.h>

#include "testwin_types.h"

struct mtest;
struct testwin;

struct testwin_config {
    struct mtest *mtest; /* borrowed; outlives the window */
    int video, audio;    /* 1: that source is being read */
    const char *video_error, *audio_error; /* why it is not ("" or NULL: not asked for) */
    int text_pt;         /* 0: UI_TEXT_DEFAULT_PT (layout.h) */
    int high_contrast;
    int width, height;   /* 0: 1280 x 720 */
};

/* Starts the window's thread and waits until its window is up. 0, or -1
 * with a sentence in why (no display, no font): nothing then runs. */
int testwin_open(struct testwin **out, const struct testwin_config *cfg, char *why,
                 size_t why_cap);
/* Any thread: the oldest request not yet taken, TW_REQ_NONE when none. */
enum testwin_req testwin_take(struct testwin *t);
/* Any thread: where the sound is; detail (copied) for TW_SOUND_FAILED. */
void testwin_set_sound(struct testwin *t, enum testwin_sound s, const char *detail);
/* Any thread: the verdict shown from now on (copied). */
void testwin_set_verdict(struct testwin *t, const struct testwin_verdict *v);
/* Stops the thread, closes the window and frees. NULL is fine. */
void testwin_close(struct testwin *t);

#endif
