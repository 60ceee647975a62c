/* session.h: the client side of the protocol (PROTOCOL.md §2-4) as a state
 * machine driven by plain calls: connection up, text message, binary
 * message, writable, tick, interrupt, closed. It never touches a socket or
 * the key store: it sends through hooks and hands the replies a command
 * cares about (welcome, bilan_created, invite_created, bilans) to
 * hooks->on_reply. That is what lets tests/unit/client/test_session.c drive
 * it with fake server messages.
 *
 * States: CONNECTING -> HELLO (hello sent) -> AUTH (enrol/auth sent) ->
 * then per goal: DONE (enrol), REQUEST (create/invite/list) -> DONE, or
 * JOINING -> IN_ROOM -> LEAVING (leave sent) -> DONE.
 *
 * In a room it prints the "[room]", "[chat]", "[file]" and "[error]" lines
 * of `bilan join` on out, one flushed line per event. */
#ifndef CLIENT_SESSION_H
#define CLIENT_SESSION_H

#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "bp.h"
#include "datarx.h"
#include "datatx.h"
#include "e2e.h"

struct session;

struct session_hooks {
    void *ctx;       /* for send_text, want_write, close */
    void *reply_ctx; /* for on_reply */
    /* Queues one text message; 0 or a negative code. buf is only borrowed. */
    int (*send_text)(void *ctx, const char *buf, size_t len);
    /* Data frames are waiting: call session_next_frame() on WRITEABLE. */
    void (*want_write)(void *ctx);
    /* The session is finished: close the connection. */
    void (*close)(void *ctx);
    /* A reply for the command: BP_T_WELCOME, BP_T_BILAN_CREATED,
     * BP_T_INVITE_CREATED, BP_T_BILANS. Returns 0 to go on, or an exit code
     * (> 0) to finish with; the hook prints its own message then. It may
     * change s->bilan (the bilan to join) on BP_T_WELCOME. */
    int (*on_reply)(void *reply_ctx, struct session *s, enum bp_type type, const json_t *msg);
    /* May be NULL. Bytes typed on standard input (not cut at line ends);
     * buf NULL and len 0 at the end of input (the session goes on). */
    void *input_ctx;
    void (*on_input)(void *input_ctx, struct session *s, const char *buf, size_t len,
                     uint64_t now_ms);
};

enum session_mode { SESSION_AUTH = 1, SESSION_ENROL = 2 };
enum session_goal { GOAL_WELCOME = 1, GOAL_CREATE, GOAL_INVITE, GOAL_LIST, GOAL_JOIN };
enum session_state {
    ST_CONNECTING,
    ST_HELLO,
    ST_AUTH,
    ST_REQUEST,
    ST_JOINING,
    ST_IN_ROOM,
    ST_LEAVING,
    ST_DONE
};

struct session_member {
    int present;
    char role[16];
    char device[17]; /* first 16 hex characters of the fingerprint */
};

struct session {
    /* Set by the caller before session_start (session_init gives defaults). */
    const struct session_hooks *hooks;
    const struct bp_identity *id; /* borrowed */
    FILE *out;                    /* room lines */
    FILE *err;                    /* diagnostics */
    enum session_mode mode;
    uint8_t token[BP_TOKEN_LEN]; /* SESSION_ENROL */
    char device_name[BP_NAME_MAX + 1];
    enum session_goal goal;
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

    /* State, readable by the caller and tests. */
    enum session_state st;
    int finished;
    int exit_code;
    char err_code[33]; /* last error from the server */
    char err_msg[513];
    int slot;
    char role[16];
    struct session_member members[BP_MAX_MEMBERS];
    int max_members;
    int got_files, got_chat;
    uint32_t seq; /* next data frame sequence number */
    uint64_t deadline, setup_deadline, duration_end, leave_deadline;
    int pending_exit;
    uint32_t frames_accepted; /* frames_in from the server's last stats */
    long long relay_frames_out, relay_dropped_video, relay_queued_bytes; /* last stats */
    uint8_t *scratch;         /* one plaintext data message before sealing */
    int stats_pending;
    int got_stats;
    uint64_t stats_asked_ms;
    int lost; /* the connection ended before the session did */
};

/* Defaults: out=stdout, err=stderr, GOAL_WELCOME, SESSION_AUTH. */
void session_init(struct session *s);

void session_start(struct session *s, uint64_t now_ms); /* connection up: sends hello */
void session_on_text(struct session *s, const char *buf, size_t len, uint64_t now_ms);
void session_on_binary(struct session *s, const uint8_t *buf, size_t len, uint64_t now_ms);
/* Next binary frame to send (header + data message) into buf; 0 if none. */
int session_next_frame(struct session *s, uint8_t *buf, size_t cap, uint64_t now_ms);
void session_tick(struct session *s, uint64_t now_ms);
void session_interrupt(struct session *s, uint64_t now_ms);
/* The connection is gone. Unfinished receives are deleted. */
void session_closed(struct session *s);
/* Ends the session with code (the hook's close is called). */
void session_finish(struct session *s, int code);
/* Number of room members present, this device included. */
int session_member_count(const struct session *s);

/* ---- what the person in the room asks for (bilan join's console) ---- */

#define SESSION_SAY_QUEUE 64 /* typed lines waiting to go out, at most */

enum session_say_result {
    SAY_SENDING = 0, /* goes out now */
    SAY_WAIT_E2E,    /* queued until end-to-end encryption allows sending */
    SAY_WAIT_PEER,   /* queued until someone else is in the room */
};
/* Queues a typed chat line (text, len bytes, not NUL-terminated: copied).
 * Returns a session_say_result, or a negative code with *why (static): not
 * UTF-8 or over 4096 bytes, SESSION_SAY_QUEUE lines already waiting, or the
 * session is leaving. */
int session_say(struct session *s, const char *text, size_t len, const char **why);
/* The user's answer to the codes shown: slot, or -1 for every code shown and
 * not decided yet. Returns how many codes it decided (0: none pending). */
int session_sas_answer(struct session *s, int slot, int confirmed, uint64_t now_ms);
/* Prints the room's members as "[room] ..." lines on out. */
void session_print_members(struct session *s);
/* The person asked to leave: like SIGINT. */
void session_quit(struct session *s, uint64_t now_ms);

#endif
