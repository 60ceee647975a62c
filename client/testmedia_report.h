/* testmedia_report.h: the verdict of `bilan test-media` in words
 * (testmedia_report.c): for each device what it did and, when something is
 * wrong, what to do, then the conclusion. The terminal prints these lines
 * and the window (ui/testwin.h) shows them: one set of sentences for both.
 *
 * Owns: nothing (pure: results in, French lines out). Must never: call a
 * passed test on a silent or black device, or touch a device. */
#ifndef CLIENT_TESTMEDIA_REPORT_H
#define CLIENT_TESTMEDIA_REPORT_H

#include "mtest.h"
#include "ui/testwin.h"

/* What happened to the speaker. */
struct tm_speaker {
    int tried, played, asked, heard;
    char error[384];
};

struct tm_results {
    const char *video;    /* the camera tried; NULL when none was asked or found */
    int video_wanted;     /* a camera was asked for, or looked for */
    const char *verr;     /* why it did not open ("" when it did) */
    const struct mtest_video_result *v;
    const char *audio;    /* the microphone; NULL: none asked */
    const char *aerr;
    const struct mtest_audio_result *a;
    const char *out;      /* the speaker */
    const struct tm_speaker *sp;
};

/* Fills out with the verdict's lines (French, _()); returns 1 when
 * everything tried works. */
int tm_verdict(const struct tm_results *r, struct testwin_verdict *out);

#endif
