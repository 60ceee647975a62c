/* attend.h: what this device itself observed of each session it took part
 * in, and the check of the server's session record against it before the
 * device signs (PROTOCOL.md §9.3, "What a device signs").
 *
 * A device signs a record only if the record agrees with its own
 * observation: it was there, the roster it showed had the record's
 * participants, the session lasted what its own clock measured, and the
 * face-to-face time is what it saw while it was in the room, all within a
 * tolerance of ATTEND_TOL_MS plus the round trips it measured. Otherwise it
 * refuses, with a reason in plain words that goes to the server (signed,
 * stored with the receipts) and to the screen.
 *
 * Times: `now` is this device's clock in Unix milliseconds (wall clock);
 * durations are differences of it, never compared with the server's clock
 * directly. Server times (start_ms, end_ms) are compared only with server
 * times it sent before.
 *
 * Pure: no I/O, no clock, no allocation; the JSON form is for the key store
 * (a record may come on a later visit). */
#ifndef CLIENT_ATTEND_H
#define CLIENT_ATTEND_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "bp/bp.h"
#include "bp/record.h"

#define ATTEND_SEEN_MAX 16        /* devices remembered per session (a room holds 4) */
#define ATTEND_TOL_MS 5000        /* base tolerance of every comparison */
#define ATTEND_RTT_CAP_MS 5000    /* a measured round trip counts for at most this */
#define ATTEND_LOST_MS (BP_HANGUP_S * 1000) /* a `lost` member is dated up to this before we learn it */

/* One member of the room as this device's roster shows it. */
struct attend_member {
    uint8_t device[BP_FP_LEN];
    int consultant; /* role: 1 consultant, 0 beneficiary */
};

struct attend_obs {
    char session[BP_ID_MAX + 1];
    int have_start;        /* start_ms came in session_opened (we saw it open) */
    int64_t start_ms;      /* server clock */
    int64_t elapsed0_ms;   /* how long it had been open when we first saw it (0: we saw it open) */
    int64_t first_ms;      /* our clock: first sight */
    int64_t last_ms;       /* our clock: last time we accounted for it */
    int closed;            /* we got its session_closed */
    int64_t end_ms;        /* server clock, from session_closed */
    int64_t closed_ftf_ms; /* face_to_face_ms of session_closed */
    int64_t present_ms;    /* we were in the room while it was open */
    int64_t ftf_ms;        /* ... and our roster had >= 1 consultant and >= 1 beneficiary */
    int transitions;       /* roster changes while open (each may shift a boundary by a round trip) */
    int lost_seen;         /* members we saw `lost` while it was open */
    int64_t rtt_ms;        /* largest round trip measured (capped) */
    int64_t audio_ms;      /* audio of the others decoded (not concealed) while it was open:
                              the attestation's received_audio_ms (PROTOCOL.md §9.3) */
    size_t n_seen;
    uint8_t seen[ATTEND_SEEN_MAX][BP_FP_LEN]; /* devices in our roster while it was open, us included */
    int seen_overflow;     /* more than ATTEND_SEEN_MAX: the "names a device never seen" check is off */
    /* State while we are in the room (not kept across visits). */
    int here;              /* we are in the room */
    int both;              /* our roster has both roles */
};

/* First sight of session: in session_opened (have_start, start_ms; elapsed
 * 0) or in an hours_update of a session already open (elapsed_ms). The
 * roster at that moment follows with attend_roster(). */
void attend_begin(struct attend_obs *o, const char *session, int have_start, int64_t start_ms, int64_t elapsed_ms,
                  int64_t now);
/* The roster changed (or was first given): roster[n] are the members
 * present, us included when here. Time since the last call is counted with
 * the previous roster. change = 0 for the first roster, 1 afterwards. */
void attend_roster(struct attend_obs *o, const struct attend_member *roster, size_t n, int here, int change,
                   int64_t now);
/* A member was `lost` (its time ended up to ATTEND_LOST_MS before we knew). */
void attend_lost(struct attend_obs *o);
/* Counts time up to now (before persisting, or when leaving). */
void attend_tick(struct attend_obs *o, int64_t now);
/* The session closed: session_closed's end_ms and face_to_face_ms. */
void attend_closed(struct attend_obs *o, int64_t end_ms, int64_t ftf_ms, int64_t now);
/* A round trip measured (request to reply). */
void attend_rtt(struct attend_obs *o, int64_t rtt_ms);

/* The tolerance of o's comparisons: ATTEND_TOL_MS plus (transitions + 2)
 * measured round trips. */
int64_t attend_tolerance(const struct attend_obs *o);

/* Whether this device may sign r: 0, or -1 with a reason in why (plain
 * words, at most BP_REASON_MAX bytes, one line: it goes into the signed
 * refusal). self: our fingerprint; now: our clock when the record came. */
int attend_check(const struct attend_obs *o, const struct bp_record *r, const char *bilan,
                 const uint8_t self[BP_FP_LEN], int64_t now, char why[BP_REASON_MAX + 1]);

/* JSON for the key store; from_json is strict (0 or -1) and leaves the
 * in-room state off. */
json_t *attend_to_json(const struct attend_obs *o);
int attend_from_json(const json_t *j, struct attend_obs *o);

#endif
