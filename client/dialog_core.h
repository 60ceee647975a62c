/* dialog_core.h: the state of one dialog (the client's side of the
 * protocol over one connection, dialog.h) grouped by job, the two tables
 * that connect it (transport below, application above), and the services
 * every job file uses: send a message, print a room line, fail, end.
 *
 * The jobs: the handshake and one-shot requests (dialog_auth.c), the room
 * roster and its lines (dialog_room.c), end-to-end encryption's glue
 * (dialog_e2e.c), sessions, hours and receipts (dialog_hours.c); frames go
 * through the mux (mux.h); dialog.c takes every event, hands it to the job
 * it concerns, then decides in one place what happens next (settle).
 *
 * The job files include this header and never dialog.h, and call only
 * this file's functions: none of them calls another job or dialog.c.
 *
 * Must never: touch a socket, a file or the key store, read a clock. */
#ifndef CLIENT_DIALOG_CORE_H
#define CLIENT_DIALOG_CORE_H

#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "attend.h"
#include "bp/bp.h"
#include "bp/vocab.h"
#include "datarx.h"
#include "datatx.h"
#include "mux.h"
#include "room_news.h"
#include "reconnect.h"

struct dialog;
struct e2e;
struct tcpinfo;

#define DIALOG_SEEN_MAX 8          /* sessions observed in one visit (a ring) */
#define DIALOG_RECEIPTS_MAX 32     /* receipts sent on one connection */
#define DIALOG_HOURS_WAIT_MS 10000 /* for the close, the record and receipt_ok */
#define DIALOG_LEAVE_WAIT_MS 5000  /* for "left" after our leave */

/* What the connection provides (cli.c wires net.c). Every slot is called
 * on the loop thread. */
struct dialog_transport {
    /* Queues one text message; 0 or a negative code. buf is only borrowed. */
    int (*send_text)(void *ctx, const char *buf, size_t len);
    /* Frames may be waiting: call dialog_writable() on the next WRITEABLE. */
    void (*want_write)(void *ctx);
    /* The dialog is over: close the connection (after what is queued). */
    void (*close)(void *ctx);
    /* May be NULL. What the kernel says of the connection (rate control). */
    void (*tcp_info)(void *ctx, struct tcpinfo *t);
};

/* The call's side of the dialog (call.c): media control messages and time.
 * May be absent (no media). Both run on the loop thread, inside an event. */
struct dialog_media {
    /* keyframe_request, media_report or clock (validated), for the call. */
    void (*on_msg)(void *ctx, struct dialog *d, enum bp_type type, const json_t *m,
                   const char *ref, uint64_t now_ms);
    /* Every tick (100 ms) and after each wake from another thread. */
    void (*tick)(void *ctx, struct dialog *d, uint64_t now_ms);
};

/* What the command provides. Every slot but on_reply may be NULL; all get
 * the dialog's app_ctx. JSON arguments are borrowed for the call. */
struct dialog_app {
    /* A reply for the command: BP_T_WELCOME, BP_T_BILAN_CREATED,
     * BP_T_INVITE_CREATED, BP_T_BILANS, BP_T_HOURS_REPORT,
     * BP_T_PERSONAL_DECLARED. Returns 0 to go on, or an exit code (> 0) to
     * finish with; the hook prints its own message then. It may change
     * d->bilan (the bilan to join) on BP_T_WELCOME. May be NULL. */
    int (*on_reply)(void *ctx, struct dialog *d, enum bp_type type, const json_t *msg);
    /* Bytes typed on standard input (not cut at line ends); buf NULL and
     * len 0 at the end of input (the dialog goes on). */
    void (*on_input)(void *ctx, struct dialog *d, const char *buf, size_t len, uint64_t now_ms);
    /* This device signed the record of a session (PROTOCOL.md §9.3) and is
     * sending the receipt: keep a copy. */
    void (*on_receipt)(void *ctx, struct dialog *d, const char *bilan, const char *session,
                       const json_t *record, const json_t *attestation);
    /* The server stored our receipt for session. */
    void (*on_receipt_ok)(void *ctx, struct dialog *d, const char *session);
    /* What this device observed of a session of bilan changed: keep it
     * beyond this visit. */
    void (*on_attend)(void *ctx, struct dialog *d, const char *bilan, const struct attend_obs *o);
    /* Fills o with what an earlier visit kept of session of bilan: 1, or 0
     * when it has nothing. */
    int (*attend_load)(void *ctx, struct dialog *d, const char *bilan, const char *session,
                       struct attend_obs *o);
    /* Every tick (100 ms) and after each wake from another thread: what
     * other threads handed over (a file hashed, a window's command). */
    void (*tick)(void *ctx, struct dialog *d, uint64_t now_ms);
    /* The link to the server (GOAL_JOIN, reconnection): reconnecting 1
     * when the connection dropped and the next attempt starts in in_ms
     * (retry_left_s: seconds before giving up); reconnecting 0 once back in
     * the room. The machine line ([room] reconnecting / reconnected) is
     * printed by the dialog either way; without this hook the dialog also
     * says it in French on err. */
    void (*on_link)(void *ctx, struct dialog *d, int reconnecting, int retry_left_s);
};

/* The worksheets' side of the dialog (sheet_sync.c, PROTOCOL.md §10). */
struct dialog_sheets {
    /* Welcomed (GOAL_SHEETS) or in the room (GOAL_JOIN, each join): the
     * catch-up starts. */
    void (*on_ready)(void *ctx, struct dialog *d, uint64_t now_ms);
    /* sheet_pushed, sheet_ops, sheet_keys, sheet_key_stored or
     * bilan_closed (validated); ref "" when unsolicited. */
    void (*on_msg)(void *ctx, struct dialog *d, enum bp_type type, const json_t *m,
                   const char *ref, uint64_t now_ms);
    /* An error whose ref starts with "sheet:": 1 when handled. */
    int (*on_error)(void *ctx, struct dialog *d, const char *ref, const char *code, int fatal);
};

enum dialog_mode { DIALOG_AUTH = 1, DIALOG_ENROL = 2 };
enum dialog_goal {
    GOAL_WELCOME = 1,
    GOAL_CREATE,
    GOAL_INVITE,
    GOAL_LIST,
    GOAL_JOIN,
    GOAL_HOURS,   /* hours {bilan} -> hours_report (on_reply) */
    GOAL_DECLARE, /* personal_declare -> personal_declared (on_reply) */
    GOAL_SHEETS,  /* the worksheets' catch-up (d->sheets), which ends the dialog */
    GOAL_CLOSE,   /* bilan_close -> bilan_closed (on_reply) */
    GOAL_CONSENT, /* sheet_consent -> sheet_consented (on_reply) */
};
enum dialog_state {
    ST_CONNECTING,
    ST_HELLO,
    ST_AUTH,
    ST_REQUEST,
    ST_JOINING,
    ST_IN_ROOM,
    ST_LEAVING,
    ST_DONE
};

/* What the command asks for: set before dialog_start (dialog_init gives
 * defaults). */
struct dialog_request {
    enum dialog_mode mode;
    uint8_t token[BP_TOKEN_LEN]; /* DIALOG_ENROL */
    char device_name[BP_NAME_MAX + 1];
    enum dialog_goal goal;
    char label[BP_LABEL_MAX + 1];         /* GOAL_CREATE */
    long long budget_s;                   /* GOAL_CREATE, 0 = server default */
    long long invite_ttl_s;               /* GOAL_CREATE/INVITE, 0 = server default */
    long long declare_s;                  /* GOAL_DECLARE: seconds of personal work */
    char note[201];                       /* GOAL_DECLARE: optional note */
    char statement[4097];                 /* GOAL_CONSENT: the signed statement (§10.3) */
    char statement_sig[BP_B64_64 + 1];    /* GOAL_CONSENT: its signature */
    uint64_t hello_sent_ms, join_sent_ms; /* for the round trips measured */
};

struct dialog_member {
    int present;
    int role;        /* enum bp_role */
    char device[17]; /* first 16 hex characters of the fingerprint */
    uint8_t fp[BP_FP_LEN];
};

/* The room (PROTOCOL.md §3): where we sit, who is there. */
struct dialog_roster {
    int slot;
    int role; /* enum bp_role */
    struct dialog_member members[BP_MAX_MEMBERS];
    int max_members; /* most members present at once, us included */
};

/* The server's flow hold of our data (PROTOCOL.md §4 "Queues"; the hold
 * itself is the mux's): for the lines and --stats. Ends with the visit. */
struct dialog_flow {
    int held_slot; /* the slow receiver the hold named, -1 if none */
    int holds;     /* holds this visit */
};

/* `bilan join`'s script: expectations, deadlines, the leave. */
struct dialog_script {
    int scripted;         /* leave once expectations are met and sends done */
    int want_relay_stats; /* ask the server's stats once before a scripted leave */
    int expect_files, expect_chat, expect_members; /* 0 = no expectation */
    uint64_t timeout_ms;                           /* 0 = none; from dialog_start */
    uint64_t duration_ms;                          /* 0 = none; from joined */
    uint64_t setup_timeout_ms;                     /* until joined or answered (default 30 s) */
    uint64_t deadline, setup_deadline, duration_end;
    int timed_out, duration_over; /* each acted on once */
    /* Something that may end the script happened (a frame received, a
     * member came, sends finished, stats answered, an hours wait ended):
     * settle checks the script then (and only then, as it always did). */
    int progress;
    uint64_t rx_seen; /* datarx messages already counted as progress */
    /* Leaving: the exit code once left, when our leave gives up waiting. */
    int pending_exit;
    uint64_t leave_deadline;
};

/* The server's relay counters (stats), asked before a scripted leave:
 * leaving right after the last write could leave frames in transit. */
struct dialog_relay {
    int pending, got;
    uint64_t asked_ms;
    uint32_t frames_accepted; /* frames_in of the last stats */
    long long frames_out, dropped_video, queued_bytes;
};

/* Sessions, hours and receipts (PROTOCOL.md §9). */
struct dialog_hours {
    char open_phase[BP_PHASE_MAX + 1]; /* --open-session: open once another member is here */
    int close_on_leave;                /* --close-session: close it before leaving */
    int open_sent;
    int try_open;                /* a roster arrived or grew: settle looks at --open-session */
    char session[BP_ID_MAX + 1]; /* the session open in the room, "" if none */
    struct attend_obs obs[DIALOG_SEEN_MAX]; /* sessions observed in this visit (a ring) */
    int nobs;
    int64_t wall_offset_ms;   /* this device's wall clock minus now_ms (across visits) */
    int64_t rtt_ms;           /* largest measured round trip */
    uint64_t attend_saved_ms; /* last time the open session's account was kept */
    int closing;              /* our session_close before leaving is out: waiting for the close */
    int await_record;         /* a session we were in closed: its record is expected */
    int await_ok;             /* our receipt is out: waiting for receipt_ok */
    int leave_after;          /* leave (pending_exit) once the waits above are over */
    uint64_t deadline;        /* bound of those waits */
    char receipt_refs[DIALOG_RECEIPTS_MAX]
                     [BP_ID_MAX + 1]; /* "receipt:N" / "refusal:N" -> session */
    int nreceipts;
};

/* The connection under a GOAL_JOIN dialog: one dialog may live over several
 * (PROTOCOL.md §1 "Reconnection"). A connection lost after a join, without
 * our leave, is retried (reconnect.h) until link.rc.window_ms have passed;
 * the new connection says hello, authenticates and joins again, and the
 * visit's state (roster, keys, transfers) starts over. */
struct dialog_link {
    struct reconnect rc; /* rc.window_ms 0: never reconnect */
    int connects;        /* connections established so far */
    int joined_once;     /* a join succeeded on some connection */
    int reconnecting;    /* lost: waiting for, or in, an attempt */
    int reconnects;      /* rejoins after a loss, this run */
};

struct dialog {
    /* Wiring, set by the caller before dialog_start. */
    const struct dialog_transport *tp; /* set by app_run_dialog */
    void *tp_ctx;
    const struct dialog_app *app; /* may be NULL: no hooks */
    void *app_ctx;
    const struct dialog_media *media; /* may be NULL: no call */
    void *media_ctx;
    const struct dialog_sheets *sheets; /* may be NULL: no worksheets */
    void *sheets_ctx;
    const struct bp_identity *id; /* borrowed */
    FILE *out;                    /* machine room lines ("[room] ..."), when machine */
    FILE *err;                    /* diagnostics */
    /* The machine lines (dialog_print) are printed only when machine is set
     * (dialog_init sets it; `bilan join` clears it unless --machine). What
     * the person reads goes through news: sentences and the window's model. */
    int machine;
    struct room_news news;
    struct dialog_request req;
    char bilan[BP_ID_MAX + 1]; /* GOAL_INVITE/JOIN/HOURS/DECLARE; the room's once joined */
    /* GOAL_JOIN: the data kind (borrowed; tx may be NULL), registered with
     * the mux by dialog_start. */
    struct datatx *tx;
    struct datarx *rx;
    /* GOAL_JOIN: end-to-end encryption (borrowed; dialog_start sets its io).
     * Every frame sent is then an SFrame and every frame received is opened
     * before it is parsed. NULL only in unit tests of the plain path. */
    struct e2e *e2e;
    struct mux mux; /* sources and sinks by kind; others may be added before dialog_start */

    /* State, readable by the caller and tests. */
    enum dialog_state st;
    int finished;
    uint64_t text_in, text_out; /* bytes of text messages received and sent (payloads) */
    int exit_code;
    int lost;          /* the connection ended before the dialog did */
    char err_code[33]; /* last error from the server */
    char err_msg[513];
    uint64_t now_seen; /* the latest now_ms given to us */
    struct dialog_roster room;
    struct dialog_flow flow;
    struct dialog_script script;
    struct dialog_relay relay;
    struct dialog_hours hours;
    struct dialog_link link;
    int torn_down; /* what ends with the visit was let go (settle, dialog_closed) */
};

/* Prints one room line on d->out, flushed. */
void dialog_print(struct dialog *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Validates obj as a client message, serialises and queues it; takes obj.
 * On failure the dialog fails (and the code is returned). */
int dialog_send(struct dialog *d, json_t *obj);
/* The server did something we cannot go on with: "bilan: what: detail" on
 * err, and the dialog ends with EXIT_NETWORK. */
void dialog_fail(struct dialog *d, const char *what, const char *detail);
/* The dialog is over with code: state DONE at once; what the visit holds
 * is let go, and the connection closed, when the event is settled. */
void dialog_end(struct dialog *d, int code);

/* In the room (joined, or leaving). */
int dialog_in_room(const struct dialog *d);
/* Members present, us included; others than us; a consultant other than us. */
int dialog_member_count(const struct dialog *d);
int dialog_others(const struct dialog *d);
int dialog_other_consultant(const struct dialog *d);
/* The roster as attend.c wants it, us included; returns how many. */
size_t dialog_roster_attend(const struct dialog *d, struct attend_member *out);
/* A device's fingerprint from its base64url form: 0 or a negative code. */
int dialog_device_fp(const char *b64, uint8_t fp[BP_FP_LEN]);
/* This device's wall clock at now (attendance compares across visits). */
int64_t dialog_wall(const struct dialog *d, uint64_t now);
/* A request answered: the largest round trip so far grows if this one did. */
void dialog_note_rtt(struct dialog *d, uint64_t sent, uint64_t now);

#endif
