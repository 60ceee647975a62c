/* dialog.h: the client side of the protocol (PROTOCOL.md §2-4) as a state
 * machine driven by plain calls: connection up, text message, binary
 * message, writable, tick, interrupt, closed. It never touches a socket or
 * the key store: it sends through hooks and hands the replies a command
 * cares about (welcome, bilan_created, invite_created, bilans) to
 * hooks->on_reply. That is what lets tests/unit/client/test_dialog.c drive
 * it with fake server messages.
 *
 * States: CONNECTING -> HELLO (hello sent) -> AUTH (enrol/auth sent) ->
 * then per goal: DONE (enrol), REQUEST (create/invite/list) -> DONE, or
 * JOINING -> IN_ROOM -> LEAVING (leave sent) -> DONE.
 *
 * In a room it prints the "[room]", "[chat]", "[file]" and "[error]" lines
 * of `bilan join` on out, one flushed line per event (a flow hold from the
 * server stops its data frames until go), and the "[hours]" and
 * "[receipt]" lines of sessions (PROTOCOL.md §9): it opens a session when
 * asked (--open-session), closes it before leaving (--close-session), and
 * keeps its own account of each session it takes part in (attend.h: its
 * presence, the roster, the durations by its own clock), handed to
 * hooks->on_attend for the store. The record the server sends at a session's
 * close is signed with the identity key only if it agrees with that account
 * (a copy goes to hooks->on_receipt); otherwise the device sends a signed
 * refusal saying why. A record sent on a later join (we were gone at the
 * close) is checked against the account hooks->attend_load gives back.
 * Leaving waits (at most DIALOG_HOURS_WAIT_MS) for our close, the record
 * and receipt_ok; a scripted leave also waits while a session is open and
 * another consultant, who may close it, is in the room, so that this device
 * is there to sign. */
#ifndef CLIENT_DIALOG_H
#define CLIENT_DIALOG_H

#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "bp/bp.h"
#include "datarx.h"
#include "datatx.h"
#include "attend.h"
#include "e2e_room.h"
#include "bp/record.h"

struct dialog;

#define DIALOG_SEEN_MAX 8
#define DIALOG_RECEIPTS_MAX 32 /* receipts sent on one connection */
#define DIALOG_HOURS_WAIT_MS 10000 /* for the close, the record and receipt_ok */

struct dialog_hooks {
    void *ctx;       /* for send_text, want_write, close */
    void *reply_ctx; /* for on_reply */
    /* Queues one text message; 0 or a negative code. buf is only borrowed. */
    int (*send_text)(void *ctx, const char *buf, size_t len);
    /* Data frames are waiting: call dialog_next_frame() on WRITEABLE. */
    void (*want_write)(void *ctx);
    /* The session is finished: close the connection. */
    void (*close)(void *ctx);
    /* A reply for the command: BP_T_WELCOME, BP_T_BILAN_CREATED,
     * BP_T_INVITE_CREATED, BP_T_BILANS. Returns 0 to go on, or an exit code
     * (> 0) to finish with; the hook prints its own message then. It may
     * change s->bilan (the bilan to join) on BP_T_WELCOME. */
    int (*on_reply)(void *reply_ctx, struct dialog *s, enum bp_type type, const json_t *msg);
    /* May be NULL. Bytes typed on standard input (not cut at line ends);
     * buf NULL and len 0 at the end of input (the session goes on). */
    void *input_ctx;
    void (*on_input)(void *input_ctx, struct dialog *s, const char *buf, size_t len,
                     uint64_t now_ms);
    /* May be NULL (reply_ctx). This device signed the record of a session
     * (PROTOCOL.md §9.3) and is sending the receipt: keep a copy (record
     * and attestation are borrowed JSON). */
    void (*on_receipt)(void *reply_ctx, struct dialog *s, const char *bilan,
                       const char *session, const json_t *record, const json_t *attestation);
    /* May be NULL (reply_ctx). The server stored our receipt for session. */
    void (*on_receipt_ok)(void *reply_ctx, struct dialog *s, const char *session);
    /* May be NULL (reply_ctx). What this device observed of a session of
     * bilan changed: keep it beyond this visit (o is borrowed). */
    void (*on_attend)(void *reply_ctx, struct dialog *s, const char *bilan, const struct attend_obs *o);
    /* May be NULL (reply_ctx). Fills o with what an earlier visit kept of
     * session of bilan: 1, or 0 when it has nothing (the record of a session
     * we were gone at the close of is checked against it). */
    int (*attend_load)(void *reply_ctx, struct dialog *s, const char *bilan, const char *session,
                       struct attend_obs *o);
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

struct dialog_member {
    int present;
    char role[16];
    char device[17]; /* first 16 hex characters of the fingerprint */
    uint8_t fp[BP_FP_LEN];
};

struct dialog {
    /* Set by the caller before session_start (session_init gives defaults). */
    const struct dialog_hooks *hooks;
    const struct bp_identity *id; /* borrowed */
    FILE *out;                    /* room lines */
    FILE *err;                    /* diagnostics */
    enum dialog_mode mode;
    uint8_t token[BP_TOKEN_LEN]; /* DIALOG_ENROL */
    char device_name[BP_NAME_MAX + 1];
    enum dialog_goal goal;
    char label[BP_LABEL_MAX + 1]; /* GOAL_CREATE */
    long long budget_s;           /* GOAL_CREATE, 0 = server default */
    long long invite_ttl_s;       /* GOAL_CREATE/INVITE, 0 = server default */
    char bilan[BP_ID_MAX + 1];    /* GOAL_INVITE/JOIN */
    struct datatx *tx;            /* GOAL_JOIN, may be NULL; borrowed */
    struct datarx *rx;            /* GOAL_JOIN; borrowed */
    /* GOAL_JOIN: end-to-end encryption (borrowed; session_start sets its io).
     * Every frame sent is then an SFrame and every frame received is opened
     * before it is parsed. NULL only in unit tests of the plain data path. */
    struct e2e *e2e;
    int scripted;                 /* leave once expectations are met and sends done */
    int want_relay_stats;         /* ask the server's stats once before a scripted leave */
    int expect_files, expect_chat, expect_members; /* 0 = no expectation */
    uint64_t timeout_ms;                           /* 0 = none; from session_start */
    uint64_t duration_ms;                          /* 0 = none; from joined */
    uint64_t setup_timeout_ms;                     /* until joined or answered (default 30 s) */
    int64_t wall_offset_ms; /* this device's wall clock minus now_ms (attendance, across visits) */
    /* Sessions (PROTOCOL.md §9), GOAL_JOIN, consultants. */
    char open_phase[BP_PHASE_MAX + 1]; /* --open-session: open once another member is here */
    int close_on_leave;                /* --close-session: close it before leaving */
    long long declare_s;               /* GOAL_DECLARE: seconds of personal work */
    char note[201];                    /* GOAL_DECLARE: optional note */

    /* State, readable by the caller and tests. */
    enum dialog_state st;
    int finished;
    int exit_code;
    char err_code[33]; /* last error from the server */
    char err_msg[513];
    int slot;
    char role[16];
    struct dialog_member members[BP_MAX_MEMBERS];
    int max_members;
    int got_files, got_chat;
    uint32_t seq; /* next data frame sequence number */
    /* flow hold from the server (PROTOCOL.md §4 "Queues"): no data frame
     * (chat line, file) goes out until flow go; control messages (and, later,
     * audio and video) never wait. Ends with the room visit. */
    int data_held;
    int held_slot;       /* the slow receiver the hold named, -1 if none */
    int flow_holds;      /* holds this visit (tests, --stats) */
    uint64_t deadline, setup_deadline, duration_end, leave_deadline;
    int pending_exit;
    uint32_t frames_accepted; /* frames_in from the server's last stats */
    long long relay_frames_out, relay_dropped_video, relay_queued_bytes; /* last stats */
    uint8_t *scratch;         /* one plaintext data message before sealing */
    int stats_pending;
    int got_stats;
    uint64_t stats_asked_ms;
    int lost; /* the connection ended before the session did */
    /* Sessions and receipts (PROTOCOL.md §9). */
    int open_sent;
    char hs_session[BP_ID_MAX + 1];        /* the session open in the room, "" if none */
    struct attend_obs obs[DIALOG_SEEN_MAX]; /* sessions observed in this visit (ring) */
    int nobs;
    uint64_t hello_sent_ms, join_sent_ms;  /* for the round trips measured */
    int64_t rtt_ms;                        /* largest measured round trip */
    uint64_t attend_saved_ms;              /* last time the open session's account was kept */
    uint64_t now_seen;                     /* the latest now_ms given to us */
    int closing;       /* our session_close before leaving is out: waiting for the close */
    int await_record;  /* a session we were in closed: its record is expected */
    int await_ok;      /* our receipt is out: waiting for receipt_ok */
    int leave_after;   /* leave (pending_exit) once the waits above are over */
    uint64_t hours_deadline;                  /* bound of those waits */
    char receipt_refs[DIALOG_RECEIPTS_MAX][BP_ID_MAX + 1]; /* ref "receipt:N" / "refusal:N" -> session */
    int nreceipts;
};

/* Defaults: out=stdout, err=stderr, GOAL_WELCOME, DIALOG_AUTH. */
void dialog_init(struct dialog *s);

void dialog_start(struct dialog *s, uint64_t now_ms); /* connection up: sends hello */
void dialog_on_text(struct dialog *s, const char *buf, size_t len, uint64_t now_ms);
void dialog_on_binary(struct dialog *s, const uint8_t *buf, size_t len, uint64_t now_ms);
/* Next binary frame to send (header + data message) into buf; 0 if none. */
int dialog_next_frame(struct dialog *s, uint8_t *buf, size_t cap, uint64_t now_ms);
void dialog_tick(struct dialog *s, uint64_t now_ms);
void dialog_interrupt(struct dialog *s, uint64_t now_ms);
/* The connection is gone. Unfinished receives are deleted. */
void dialog_closed(struct dialog *s);
/* Ends the session with code (the hook's close is called). */
void dialog_finish(struct dialog *s, int code);
/* Number of room members present, this device included. */
int dialog_member_count(const struct dialog *s);

/* ---- what the person in the room asks for (bilan join's console) ---- */

#define DIALOG_SAY_QUEUE 64 /* typed lines waiting to go out, at most */

enum dialog_say_result {
    SAY_SENDING = 0, /* goes out now */
    SAY_WAIT_E2E,    /* queued until end-to-end encryption allows sending */
    SAY_WAIT_PEER,   /* queued until someone else is in the room */
    SAY_WAIT_FLOW,   /* queued until the server says go (a member receives slowly) */
};
/* Queues a typed chat line (text, len bytes, not NUL-terminated: copied).
 * Returns a session_say_result, or a negative code with *why (static): not
 * UTF-8 or over 4096 bytes, DIALOG_SAY_QUEUE lines already waiting, or the
 * session is leaving. */
int dialog_say(struct dialog *s, const char *text, size_t len, const char **why);
/* The user's answer to the codes shown: slot, or -1 for every code shown and
 * not decided yet. Returns how many codes it decided (0: none pending). */
int dialog_sas_answer(struct dialog *s, int slot, int confirmed, uint64_t now_ms);
/* Prints the room's members as "[room] ..." lines on out. */
void dialog_print_members(struct dialog *s);
/* The person asked to leave: like SIGINT. */
void dialog_quit(struct dialog *s, uint64_t now_ms);

/* ---- sessions, hours, receipts (PROTOCOL.md §9) ---- */

/* Asks the server to open a session of phase (consultants; the answer is a
 * "[hours] ..." line or an "[error] ..." line). 0 or a negative code with
 * *why (static). */
int dialog_hours_open(struct dialog *s, const char *phase, const char **why);
/* Asks the server to close the open session. */
int dialog_hours_close(struct dialog *s, const char **why);
/* Asks for the bilan's report: "[hours] report ..." when it comes. */
int dialog_hours_report(struct dialog *s, const char **why);
/* Sends a receipt already signed (a pending one, from the key store) on
 * this connection; "[receipt] session=... signed" when acknowledged. */
int dialog_send_receipt(struct dialog *s, const char *session, long long received_audio_ms,
                         int sas_verified, const uint8_t sig[BP_SIG_LEN]);

#endif
