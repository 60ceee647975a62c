/* room_model.h: what a person sees of the room, shared between the loop
 * thread (which writes it as the dialog's events arrive) and a window
 * thread (which copies it to draw, and posts what the person asks for).
 *
 * The loop is the only writer: room_model_* setters are called on the loop
 * thread. The window thread calls only room_model_snapshot() and
 * room_model_post(); the loop drains the posts with room_model_take() when
 * woken. Everything is copied under one mutex: no pointer into the model
 * ever leaves it, so a reader never sees half of a change.
 *
 * Owns: the snapshot and the command queue. Never prints, never talks to
 * the network, never includes SDL. */
#ifndef CLIENT_ROOM_MODEL_H
#define CLIENT_ROOM_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "bp/limits.h"

#define ROOM_NAME_MAX 64
#define ROOM_LINE_MAX 512 /* one chat line or notice, UTF-8 */
#define ROOM_LINES 16     /* the last lines kept for the window */

/* Where this device stands with the room. */
enum room_conn {
    ROOM_CONNECTING = 0, /* first connection, not yet in the room */
    ROOM_IN,             /* in the room */
    ROOM_RECONNECTING,   /* the connection dropped; trying again */
    ROOM_LEFT,           /* we left (or were refused): the window may close */
};

/* Connection quality in words (room_quality_words) and an icon. */
enum room_quality { ROOM_Q_UNKNOWN = 0, ROOM_Q_GOOD, ROOM_Q_FAIR, ROOM_Q_POOR };

struct room_person {
    int present;
    int me;
    int role;                     /* enum bp_role */
    char name[ROOM_NAME_MAX + 1]; /* a consultant's enrolment name, "" if unknown */
    int verified;                 /* its code confirmed, or a device already known */
    int hearing;                  /* its voice arrived in the last 2 s */
    int seeing;                   /* its pictures arrived in the last 2 s */
};

/* One line for the window's notice area: a chat line or an event. */
enum room_line_kind { ROOM_LINE_CHAT = 1, ROOM_LINE_MINE, ROOM_LINE_NOTICE, ROOM_LINE_WARNING };
struct room_line {
    int kind;
    int slot; /* the author of a chat line, -1 otherwise */
    char text[ROOM_LINE_MAX];
};

struct room_snapshot {
    uint64_t version; /* grows with every change: redraw when it moved */
    enum room_conn conn;
    int retry_left_s;     /* ROOM_RECONNECTING: seconds before giving up */
    int my_slot, my_role; /* -1 / BP_ROLE_NONE before joining */
    struct room_person people[BP_MAX_MEMBERS];

    /* The spoken code waiting for this person's answer (the first one). */
    int code_pending;
    int code_slot;
    char code[16]; /* "482 913" */

    /* The session (a counted meeting) and the hours. */
    int session_open;
    char phase[24];             /* wire name, "" when none */
    uint64_t session_start_ms;  /* loop clock (now_ms) at which its elapsed was elapsed_ms */
    int64_t session_elapsed_ms; /* at session_start_ms; the window adds its own clock */
    int hours_known;
    int64_t used_ms, budget_ms, left_ms;
    int budget_warn_pct; /* 0, or the budget share reached (75, 90, 100) */
    /* A consultant, everyone here and no session: the time is not counted. */
    int not_counted_notice;

    enum room_quality quality;
    int rtt_ms; /* -1 if unknown */

    int mic_muted, cam_muted;
    int has_mic, has_cam; /* this visit sends sound / pictures at all */

    /* Files sent to this person, waiting for a yes or no (the last one named). */
    int files_waiting;
    char file_name[256];
    int file_slot;
    unsigned long long file_bytes;

    struct room_line lines[ROOM_LINES]; /* oldest first */
    int nlines;
};

/* What the person asks for from the window. */
enum room_cmd_kind {
    ROOM_CMD_CODE_YES = 1, /* slot: the code's slot */
    ROOM_CMD_CODE_NO,
    ROOM_CMD_MUTE_MIC, /* on: 1 mute, 0 unmute */
    ROOM_CMD_MUTE_CAM,
    ROOM_CMD_LEAVE,
    ROOM_CMD_OPEN_SESSION, /* text: the phase's wire name */
    ROOM_CMD_CLOSE_SESSION,
    ROOM_CMD_CHAT, /* text: one line */
    ROOM_CMD_FILES_ACCEPT, /* the files waiting: yes */
    ROOM_CMD_FILES_REFUSE, /* no */
    ROOM_CMD_SEND_FILE,    /* text: a file's path */
};
struct room_cmd {
    enum room_cmd_kind kind;
    int slot;
    int on;
    char text[ROOM_LINE_MAX];
};

struct room_model;

/* wake(ctx) is called (from the posting thread) after each post, so the
 * loop drains the queue: the call's net_wake. May be NULL. */
struct room_model *room_model_new(void (*wake)(void *ctx), void *wake_ctx);
void room_model_free(struct room_model *m);
void room_model_set_wake(struct room_model *m, void (*wake)(void *ctx), void *wake_ctx);

/* Any thread: a consistent copy. */
void room_model_snapshot(struct room_model *m, struct room_snapshot *out);
/* Window thread: queue a command (at most 32 wait; 0, or -1 when full). */
int room_model_post(struct room_model *m, const struct room_cmd *c);
/* Loop thread: the next command, 1; 0 when none. */
int room_model_take(struct room_model *m, struct room_cmd *out);

/* Loop thread: change the model. room_model_edit() returns the live
 * snapshot, locked; change it, then room_model_done() (which bumps the
 * version and unlocks). Keep the section short: no I/O inside. */
struct room_snapshot *room_model_edit(struct room_model *m);
void room_model_done(struct room_model *m);
/* Appends a line (drops the oldest beyond ROOM_LINES); inside edit/done. */
void room_model_add_line(struct room_snapshot *s, int kind, int slot, const char *text);

#endif
