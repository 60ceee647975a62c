/* e2e_state.h: the types of a room visit's end-to-end encryption state
 * (e2e_room.h is its API): limits, pair states, peers with their key
 * generations and held frames, the io table, the counters.
 *
 * Below every e2e_*.c file: the shared core (e2e_core.c) reads these types
 * without depending on the public API, so the API file can call the core
 * without a circle. Holds no function.
 *
 * Must never: be included outside the e2e files and their tests but through
 * e2e_room.h. */
#ifndef CLIENT_E2E_STATE_H
#define CLIENT_E2E_STATE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "bp/bp.h"
#include "bp/e2e.h"
#include "bp/vocab.h"
#include "hours.h"

#define E2E_HOLD_MS 2000  /* unknown KID: hold this long */
#define E2E_HOLD_MAX 256  /* ... at most this many frames per sender */
#define E2E_ERASE_MS 5000 /* older generations erased this long after a newer one is used */
#define E2E_GENS 4        /* generations kept per sender */
#define E2E_KNOWN_MAX 32
#define E2E_MET_MAX 16 /* devices paired with in one visit, remembered for receipts */
#define E2E_SECRETS_MAX BP_E2E_PROOFS_MAX /* invite secrets of the bilan this device knows */

enum e2e_sas_policy {
    E2E_SAS_ASK = 0, /* show the code; unauthenticated pairs stay blocked */
    E2E_SAS_CONFIRM, /* --confirm-sas: confirm every code when shown */
    E2E_SAS_REJECT,  /* --reject-sas */
};

enum e2e_pair_state {
    PAIR_NONE = 0,
    PAIR_COMMITTED,  /* our commit sent, waiting for theirs */
    PAIR_REVEALED,   /* both commits; our reveal sent */
    PAIR_CONFIRMING, /* their reveal checked; our confirm sent, waiting for theirs */
    PAIR_BLOCKED,    /* handshake done, not authenticated: waits for the SAS */
    PAIR_AUTH,       /* authenticated: keys flow */
    PAIR_REFUSED,    /* ended */
};

struct e2e_remember {
    uint8_t fp[BP_FP_LEN];
    int role; /* enum bp_role */
    uint8_t sign_pub[BP_KEY_LEN];
    uint8_t dh_pub[BP_KEY_LEN];
    int verified;       /* SAS confirmed */
    const char *method; /* "invite", "known", "sas" */
};

/* What the person should be told of a pair, as a fact (the dialog's glue
 * turns it into words: room_news.h). */
enum e2e_news {
    E2E_NEWS_CODE = 1,       /* a code to read aloud (code set); nothing to answer */
    E2E_NEWS_CODE_ASK,       /* the same, and the person answers yes or no */
    E2E_NEWS_INVITE,         /* authenticated by its invite */
    E2E_NEWS_KNOWN,          /* a device confirmed before */
    E2E_NEWS_VERIFIED,       /* the code was confirmed */
    E2E_NEWS_BLOCKED,        /* nothing is sent to it until the code is confirmed */
    E2E_NEWS_OTHER_INVITE,   /* it came with another invite of the bilan: compare the code */
    E2E_NEWS_CHANGED_KEY,    /* not the device remembered for its role */
    E2E_NEWS_REJECTED_BY_US, /* this person said the codes differ */
    E2E_NEWS_REJECTED_BY_PEER,
    E2E_NEWS_FAILED,        /* the pair ended for another reason (code: that reason, a French
                             * source sentence: _() gives it in the reader's words) */
    E2E_NEWS_ENDED_BY_PEER, /* the other device ended the pair (code: its reason when it is
                             * one this client gives, else NULL) */
};

struct e2e_io {
    void *ctx;
    /* Sends body (taken: the callee decrefs) to the member in slot to. */
    int (*send)(void *ctx, int to, json_t *body);
    /* One machine line, without newline ("[e2e] slot=1 ..."). */
    void (*line)(void *ctx, const char *text);
    /* A fact for the person (code: the spoken code, the reason of a failure,
     * else NULL). May be NULL. */
    void (*news)(void *ctx, enum e2e_news what, int slot, const char *code);
    /* A decrypted frame: the 16-byte routing header then the plaintext. */
    void (*frame)(void *ctx, const uint8_t *frame, size_t len, uint64_t now_ms);
    /* A peer became authenticated (or verified): store it. May be NULL. */
    void *store_ctx;
    void (*remember)(void *store_ctx, const struct e2e_remember *r);
};

struct e2e_gen {
    int used;
    uint64_t gen;
    uint8_t base[BP_BASE_KEY_LEN];
    struct bp_sframe_key k[BP_STREAMS]; /* per stream, derived when first needed */
    int kset[BP_STREAMS];
    struct bp_replay rw[BP_STREAMS];
    uint64_t erase_at; /* 0: none scheduled */
};

struct e2e_held {
    uint8_t *buf;
    size_t len;
    uint64_t at;
};

struct e2e_peer {
    int present;
    uint8_t fp[BP_FP_LEN]; /* device announced by the server for the slot */
    int role;              /* enum bp_role */
    enum e2e_pair_state st;
    uint8_t r[32]; /* our commitment randomness for this pair */
    uint8_t their_c[32];
    int have_c;
    struct bp_bundle their_b;
    uint8_t their_r[32];
    uint8_t t[32]; /* transcript */
    uint8_t pair_key[32];
    int have_pair_key;
    char sas[BP_SAS_LEN];
    int mac_ok; /* their MAC verified */
    int got_confirm;
    int sas_local; /* 1 confirmed, -1 rejected, 0 not yet */
    int changed_key;
    int known;         /* remembered verified for this bilan */
    /* Authenticated here by the code alone: our key is withheld until the
     * peer shows it trusts us too (its sas confirmation or its key), since a
     * peer still waiting for its user drops keys (frames sealed with one
     * would be lost). */
    int await_peer;
    int peer_confirmed; /* its sas body said confirmed */
    /* Its key, received while the pair waited for our user's decision: kept
     * sealed, opened only if the pair becomes authenticated. */
    int has_stash;
    struct bp_e2e_msg stash;
    uint64_t sent_gen; /* our generation last sent to them (0: none) */
    struct e2e_gen gens[E2E_GENS];
    struct e2e_held held[E2E_HOLD_MAX];
    int nheld;
};

struct e2e_known {
    uint8_t fp[BP_FP_LEN];
    int role; /* enum bp_role */
};

struct e2e_stats {
    uint64_t frames_sealed, frames_opened, dropped_replay, dropped_auth, dropped_unknown_kid, held;
};

struct e2e {
    struct e2e_io io;
    const struct bp_identity *id; /* borrowed */
    uint8_t fp[BP_FP_LEN];
    char bilan[BP_ID_MAX + 1];
    /* The bilan's invite secrets this device knows: a beneficiary device the
     * one of the link it joined with, a consultant device one per invite it
     * printed (newest first). Each gives one proof in our confirm; a peer's
     * proof is checked against the secret with its id. */
    int nsecrets;
    uint8_t secrets[E2E_SECRETS_MAX][BP_SECRET_LEN];
    enum e2e_sas_policy policy;
    struct e2e_known known[E2E_KNOWN_MAX];
    int nknown;

    int in_room;
    int slot;
    uint8_t eph_priv[BP_KEY_LEN], eph_pub[BP_KEY_LEN];
    struct bp_bundle bundle;
    uint64_t gen;
    uint8_t base[BP_BASE_KEY_LEN];
    struct bp_sframe_key k[BP_STREAMS];
    int kset[BP_STREAMS];
    uint64_t ctr[BP_STREAMS];
    struct e2e_peer peers[BP_MAX_MEMBERS];
    struct e2e_stats stats;
    int failed; /* an OpenSSL failure: nothing is sealed any more */
    /* Devices paired with since e2e_init (kept across e2e_leave: a receipt
     * is signed after the pairs are gone): verified = code confirmed, now
     * or earlier (known). */
    struct hours_met met[E2E_MET_MAX];
    int nmet;
    /* The user can answer codes in the room (`bilan join` reads standard
     * input): a code line is followed by how to answer it. */
    int interactive;
};

#endif
