/* testwin_int.h: the private state of the window of `bilan test-media`,
 * shared by its two files only: testwin.c (the thread, events, keys, the
 * requests) and testwin_draw.c (words, layout, drawing). Everything here
 * belongs to the window's thread, except the fields under w.mu. */
#ifndef CLIENT_UI_TESTWIN_INT_H
#define CLIENT_UI_TESTWIN_INT_H

#include <stdint.h>

#include "mtest.h"
#include "testwin_types.h"
#include "window_int.h"

#define TW_FRAME_MS 50       /* at most 20 redraws a second: a meter, not a film */
#define TW_HEARD_HOLD_MS 1500 /* "On vous entend" stays this long after a loud block */
#define TW_REQS 8
#define TW_WRAP 8 /* lines one text may wrap to */

enum tw_act {
    TA_NONE = 0,
    TA_PLAY,
    TA_YES,
    TA_NO,
    TA_CLOSE,
    TA_SMALLER,
    TA_BIGGER,
    TA_CONTRAST,
};

struct testwin {
    struct window w; /* the drawing: renderer, fonts, strings, buttons, w.mine */
    struct mtest *m;
    int video, audio;
    char video_error[TESTWIN_LINE_MAX], audio_error[TESTWIN_LINE_MAX];
    enum tw_act acts[2 * UI_BUTTONS_MAX]; /* what w.btn[i] does */
    /* Under w.mu: what the command says, what the person asks. */
    enum testwin_sound sound;
    char sound_detail[TESTWIN_LINE_MAX];
    struct testwin_verdict verdict;
    uint64_t version; /* bumped by the command's setters */
    enum testwin_req reqs[TW_REQS];
    int nreq;
    /* The window's thread. */
    enum testwin_sound sound_seen;
    struct testwin_verdict verdict_seen;
    uint64_t version_seen;
    struct mtest_level level;
    uint64_t heard_until;
    int lit_pct; /* of the meter, as drawn */
    struct ui_rect title, pic, pic_cap, meter_cap, meter, meter_words, sound_cap, sound_words,
        verdict_r;
    char trace[400];
};

/* testwin_draw.c */
/* 1 while the window asks whether the sound was heard. */
int tw_asking(const struct testwin *t);
/* This frame's buttons (w.btn, w.btn_rect) and regions. */
void tw_layout(struct testwin *t);
/* Draws everything and presents. */
void tw_draw(struct testwin *t, uint64_t now);
/* BILAN_WINDOW_TRACE=1: a machine line on stderr when the regions or the
 * state changed; tw_trace_verdict: the verdict's lines as shown. */
void tw_trace(struct testwin *t, uint64_t now);
void tw_trace_verdict(const struct testwin *t);

#endif
