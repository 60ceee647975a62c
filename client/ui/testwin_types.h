/* testwin_types.h: what `bilan test-media` and its window (testwin.h)
 * exchange: the verdict's lines (testmedia_report.c writes them), the
 * person's requests and the test sound's state. Types only, so that the
 * window's private header (testwin_int.h) needs no more of testwin.h. */
#ifndef CLIENT_UI_TESTWIN_TYPES_H
#define CLIENT_UI_TESTWIN_TYPES_H

#define TESTWIN_LINES 16
#define TESTWIN_LINE_MAX 400

/* One line of the verdict: a device's line, then its advice or notes; the
 * conclusion last. The window shows the devices that do not work first,
 * then the conclusion (large text leaves room for few lines). */
enum testwin_kind {
    TW_DEVICE = 0, /* a device and what it did ("Caméra pattern : 640x480, ...") */
    TW_PROBLEM,    /* the same for a device that does not work */
    TW_ADVICE,     /* a problem and what to do */
    TW_NOTE,       /* a remark that is good news ("L'image est bonne.") */
    TW_READY,      /* the conclusion: everything works */
    TW_FIX,        /* the conclusion: something to fix */
};

struct testwin_verdict {
    int n;
    struct {
        enum testwin_kind kind;
        char text[TESTWIN_LINE_MAX];
    } line[TESTWIN_LINES];
};

/* What the person asked for, oldest first. */
enum testwin_req {
    TW_REQ_NONE = 0,
    TW_REQ_PLAY,      /* "Jouer un son d'essai" (J) */
    TW_REQ_HEARD_YES, /* "Oui, je l'entends" (O), after a sound */
    TW_REQ_HEARD_NO,  /* "Non" (N) */
    TW_REQ_CLOSE,     /* "Fermer", Échap, the window's close box */
};

/* Where the test sound is, said by the command. */
enum testwin_sound {
    TW_SOUND_IDLE = 0, /* not played yet */
    TW_SOUND_PLAYING,
    TW_SOUND_ASK,       /* played: "L'avez-vous entendu ?" */
    TW_SOUND_HEARD,     /* the person said yes */
    TW_SOUND_NOT_HEARD, /* the person said no */
    TW_SOUND_FAILED,    /* could not be played (detail says why) */
    TW_SOUND_NONE,      /* no speaker chosen (--audio-out none) */
};

#endif
