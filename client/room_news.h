/* room_news.h: what the room tells the person, in plain words.
 *
 * The dialog's jobs (dialog_room.c, dialog_hours.c, dialog_e2e.c), the
 * data kind (datarx.c, datatx.c) and the console report each event here
 * once, as a fact (who arrived, which code to read, what the hours are).
 * This file turns it into:
 *  - a French sentence on the console (English when the locale asks),
 *    unless the machine lines were asked (`bilan join --machine`: the
 *    "[room] key=value" lines of dialog_print, for scripts and tests);
 *  - the room model a window draws (room_model.h), when there is one.
 *
 * People are named as a person names them: "Vous", "Votre consultante /
 * votre consultant, Marie Dupont", "Bénéficiaire"; never a slot number or a
 * fingerprint. The hours are said when they change (to the minute), not on
 * every update.
 *
 * Owns: who is who in words, the last hours said, the console's sentences.
 * Runs on the loop thread. Must never: decide anything for the dialog, or
 * print a secret (a code is not one: it is read aloud by design). */
#ifndef CLIENT_ROOM_NEWS_H
#define CLIENT_ROOM_NEWS_H

#include <stdint.h>
#include <stdio.h>

#include "bp/limits.h"
#include "room_model.h"

/* How a peer's link was made sure of. */
enum room_trust {
    ROOM_TRUST_INVITE = 1, /* its invite proved it (no code needed) */
    ROOM_TRUST_KNOWN,      /* a device met and confirmed before */
    ROOM_TRUST_VERIFIED,   /* the code was confirmed aloud */
};

/* Why a peer's link was stopped. */
enum room_refusal {
    ROOM_REFUSED_BY_US = 1, /* this person said the code was not the same */
    ROOM_REFUSED_BY_PEER,   /* the other person said so */
    ROOM_REFUSED_OTHER,     /* a protocol or key problem */
};

struct room_news_person {
    int present;
    int role; /* enum bp_role */
    char name[ROOM_NAME_MAX + 1];
};

struct room_news {
    FILE *out;                /* the person's console; NULL: no sentences */
    struct room_model *model; /* the window's model; NULL: none */
    /* Called around each sentence so a line being typed is redrawn below
     * it (term.c); NULL when the console is not a terminal. */
    void (*before)(void *ctx);
    void (*after)(void *ctx);
    void *term_ctx;
    int my_slot, my_role;
    struct room_news_person who[BP_MAX_MEMBERS];
    int session_open;
    char hours_said[160]; /* the last hours sentence: said again only when it changes */
    int notice_said;      /* the "not counted" notice was said for this meeting */
    int auto_session;     /* a session opens by itself (--open-session): no notice */
    /* Reconnection: the room is joined again; who was there before is not
     * announced again, nor the links made again with known devices. */
    int reconnecting, rejoined;
    struct room_news_person prev[BP_MAX_MEMBERS];
};

/* Starts empty (no sentences, no model until set). */
void room_news_init(struct room_news *n, FILE *out, struct room_model *model);

/* How a person is named, by where the words go in a sentence. A
 * consultant with a known name is named by it; otherwise by role. */
enum room_who {
    WHO_SUBJECT = 1, /* starts a sentence: "Marie Dupont", "Le ou la bénéficiaire", "Vous" */
    WHO_OBJECT,      /* inside one, after "avec": "Marie Dupont", "le ou la bénéficiaire" */
    WHO_INTRO,       /* presented, after a colon: "Marie Dupont, votre consultante / votre
                      * consultant", "le ou la bénéficiaire" */
    WHO_LABEL,       /* a name tag (chat lines, the window): "Marie Dupont", "Bénéficiaire" */
};
void room_news_who(const struct room_news *n, int slot, enum room_who form, char *out, size_t cap);

/* A plain sentence (already French source, through _()): to the console and
 * the window's lines. kind: ROOM_LINE_NOTICE or ROOM_LINE_WARNING. */
void room_news_say(struct room_news *n, int kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- the room ---- */
void room_news_joined(struct room_news *n, int my_slot, int my_role);
/* A member present when we came (arrived 0) or arriving now (arrived 1). */
void room_news_member(struct room_news *n, int slot, int role, const char *name, int arrived);
/* reason: the wire word (left, disconnected, lost, replaced). */
void room_news_member_left(struct room_news *n, int slot, const char *reason);
/* Our data waits for a slow receiver (paused 1) or goes again (0). */
void room_news_flow(struct room_news *n, int paused);
/* Where this device stands with the room (reconnection). */
void room_news_link(struct room_news *n, enum room_conn conn, int retry_left_s);

/* ---- end-to-end encryption ---- */
/* A code to read aloud with the person in slot; ask: the person answers. */
void room_news_code(struct room_news *n, int slot, const char *code, int ask);
void room_news_trust(struct room_news *n, int slot, enum room_trust how);
void room_news_refused(struct room_news *n, int slot, enum room_refusal why);

/* ---- sessions and hours (now: the loop clock, for the window's timer) ---- */
void room_news_session_opened(struct room_news *n, const char *phase, int64_t elapsed_ms,
                              uint64_t now);
void room_news_session_closed(struct room_news *n, int64_t face_to_face_ms);
void room_news_hours(struct room_news *n, int64_t used_ms, int64_t budget_ms, int64_t left_ms);
void room_news_budget(struct room_news *n, int pct, int64_t used_ms, int64_t budget_ms);

/* ---- chat and files ---- */
void room_news_chat(struct room_news *n, int slot, const char *text);
void room_news_chat_mine(struct room_news *n, const char *text);
void room_news_file_received(struct room_news *n, int slot, const char *name,
                             unsigned long long bytes, const char *path);
void room_news_file_sent(struct room_news *n, const char *name, unsigned long long bytes);
void room_news_file_refused(struct room_news *n, int slot, const char *name, const char *why);
/* A file the person in slot sends, waiting for this person's yes (dir: where
 * it will go). */
void room_news_file_offer(struct room_news *n, int slot, const char *name, unsigned long long bytes,
                          const char *dir);
/* The files waiting were answered (none wait any more). */
void room_news_files_decided(struct room_news *n, int waiting);
/* What the receiver in slot did with our file (name NULL: unknown);
 * answer: enum bp_file_answer. */
void room_news_file_answer(struct room_news *n, int slot, const char *name, int answer);
/* We started sending a file from the room (/envoyer). */
void room_news_file_sending(struct room_news *n, const char *name, unsigned long long bytes);

#endif
