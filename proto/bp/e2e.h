/* e2e.h: end-to-end encryption of libbilanproto (PROTOCOL.md §8).
 *
 * Owns: SFrame (RFC 9605, cipher suite AES_128_GCM_SHA256_128 = 0x0004) for
 * every binary frame, its replay window; the pairwise handshake between two
 * devices of a room (signed bundles, commit-then-reveal, transcript, the
 * invite-secret MAC, the 6-digit short authentication string) and the sealing
 * of per-sender media keys to each verified peer; the e2e message bodies that
 * the server relays without reading.
 *
 * Must never: implement a primitive (everything is OpenSSL EVP: HKDF,
 * AES-GCM, HMAC, SHA-256, X25519, Ed25519), keep a key after its owner's
 * *_wipe/free, or do I/O. Pure functions except for drawing randomness from
 * the OpenSSL RNG where a comment says so.
 */
#ifndef BP_E2E_H
#define BP_E2E_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "bp/err.h"
#include "bp/frame.h"
#include "bp/ident.h"
#include "bp/limits.h"

/* ======================= SFrame (sframe.c) ======================= */

#define BP_SFRAME_SUITE 0x0004       /* AES_128_GCM_SHA256_128 */
#define BP_SFRAME_NK 16              /* AES-128 key */
#define BP_SFRAME_NN 12              /* nonce */
#define BP_SFRAME_NT 16              /* tag */
#define BP_SFRAME_HDR_MAX 17         /* config byte + 8 KID bytes + 8 CTR bytes */
#define BP_SFRAME_OVERHEAD (BP_SFRAME_HDR_MAX + BP_SFRAME_NT)
#define BP_BASE_KEY_LEN 16           /* a sender's per-epoch base key */
/* Largest counter we use under one key: far below 2^64 so that "never wrap"
 * is checked with margin (a sender rekeys long before). */
#define BP_SFRAME_CTR_MAX ((UINT64_C(1) << 48) - 1)

/* Keys derived for one KID (RFC 9605 §4.4.2). Holds an EVP context keyed once
 * so that sealing a frame costs one AES-GCM pass, not a key schedule. */
struct bp_sframe_key {
    uint64_t kid;
    uint8_t key[BP_SFRAME_NK];
    uint8_t salt[BP_SFRAME_NN];
    void *enc;   /* EVP_CIPHER_CTX*, owned */
    void *dec;   /* EVP_CIPHER_CTX*, owned */
};

/* sframe_secret = HKDF-Extract("", base_key); key/salt = HKDF-Expand with the
 * labels "SFrame 1.0 Secret key " / "SFrame 1.0 Secret salt " + KID (u64 BE)
 * + cipher suite (u16 BE). 0, BP_E_INVALID_FIELD (empty base key) or
 * BP_E_CRYPTO; k is zeroed on failure. Call bp_sframe_key_wipe after. */
int bp_sframe_key_derive(const uint8_t *base_key, size_t base_len, uint64_t kid,
                         struct bp_sframe_key *k);
void bp_sframe_key_wipe(struct bp_sframe_key *k);

/* Header (RFC 9605 §4.3): returns its length (1..17). */
size_t bp_sframe_hdr_encode(uint64_t kid, uint64_t ctr, uint8_t out[BP_SFRAME_HDR_MAX]);
/* Returns the header length, or BP_E_BAD_FRAME if len is too short for it. */
int bp_sframe_hdr_decode(const uint8_t *in, size_t len, uint64_t *kid, uint64_t *ctr);

/* Seals pt into out = SFrame header || AES-GCM ciphertext || tag, with
 * AAD = SFrame header || meta. Returns the length written, BP_E_TOO_LARGE if
 * cap is short, BP_E_INVALID_FIELD if ctr > BP_SFRAME_CTR_MAX. */
int bp_sframe_seal(struct bp_sframe_key *k, uint64_t ctr, const uint8_t *meta, size_t meta_len,
                   const uint8_t *pt, size_t pt_len, uint8_t *out, size_t cap);
/* Opens in (a whole SFrame ciphertext) whose KID the caller already looked up
 * with bp_sframe_hdr_decode. Returns the plaintext length, or BP_E_BAD_FRAME
 * (malformed, wrong KID for k, CTR above BP_SFRAME_CTR_MAX), BP_E_TOO_LARGE
 * (cap too small) or BP_E_CRYPTO (authentication failed; pt is zeroed).
 * pt must not overlap in.
 * *ctr_out gets the counter, to feed the replay window after success. */
int bp_sframe_open(struct bp_sframe_key *k, const uint8_t *meta, size_t meta_len,
                   const uint8_t *in, size_t in_len, uint8_t *pt, size_t cap, uint64_t *ctr_out);

/* The AAD metadata of a bilan binary frame: its 16-byte routing header
 * without the sender-slot byte (which the server rewrites): bytes 0-2, 4-15. */
#define BP_SFRAME_META_LEN 15
void bp_sframe_meta(const uint8_t routing_hdr[BP_HDR_LEN], uint8_t meta[BP_SFRAME_META_LEN]);

/* Replay window: accepts each counter once, and none BP_REPLAY_WINDOW or
 * more below the highest seen (it tracks the highest and the 127 below). */
#define BP_REPLAY_WINDOW 128
struct bp_replay {
    uint64_t top;          /* highest counter accepted */
    uint64_t bits[BP_REPLAY_WINDOW / 64]; /* bit i: top - i seen */
    int any;
};
/* 0 if ctr would be fresh, BP_E_BAD_FRAME if replayed or too old. Pure. */
int bp_replay_check(const struct bp_replay *w, uint64_t ctr);
/* Records ctr (call only after the frame authenticated). */
void bp_replay_update(struct bp_replay *w, uint64_t ctr);

/* KID layout (PROTOCOL.md §8.4): gen * BP_STREAMS + stream, with the stream
 * number of the frame's kind (bp/kinds.h: 1 audio, 2 video, 3 data; room for
 * 15 streams per sender); gen is the sender's key generation in this room
 * (1, 2, ...). A stream >= BP_STREAMS is a caller's bug. */
static inline uint64_t bp_kid(uint64_t gen, unsigned stream) { return gen * BP_STREAMS + stream; }
static inline uint64_t bp_kid_gen(uint64_t kid) { return kid / BP_STREAMS; }
static inline unsigned bp_kid_stream(uint64_t kid) { return (unsigned)(kid % BP_STREAMS); }

/* ================= Pairwise handshake (pair.c) ================== */

#define BP_BUNDLE_LEN 160   /* sign_pub 32 || dh_pub 32 || eph 32 || sig 64 */
#define BP_MAC_LEN 32
#define BP_SEALED_KEY_LEN (12 + BP_BASE_KEY_LEN + 16) /* nonce || ct || tag */
#define BP_SAS_LEN 8        /* "482 913" + NUL */

/* What a device publishes to its peers on each room join: its identity public
 * keys, a fresh ephemeral X25519 public key, and its identity signature over
 * "bilan-bundle-v1" 0x00 || u8 len(bilan) || bilan || sign_pub || dh_pub || eph. */
struct bp_bundle {
    uint8_t sign_pub[BP_KEY_LEN];
    uint8_t dh_pub[BP_KEY_LEN];
    uint8_t eph[BP_KEY_LEN];
    uint8_t sig[BP_SIG_LEN];
};

int bp_bundle_make(const struct bp_identity *id, const char *bilan,
                   const uint8_t eph_pub[BP_KEY_LEN], struct bp_bundle *b);
/* 0 or BP_E_BAD_SIGNATURE. */
int bp_bundle_verify(const struct bp_bundle *b, const char *bilan);
void bp_bundle_bytes(const struct bp_bundle *b, uint8_t out[BP_BUNDLE_LEN]);
/* Fingerprint of the bundle's identity (bp_fingerprint of its keys). */
int bp_bundle_fp(const struct bp_bundle *b, uint8_t fp[BP_FP_LEN]);

/* c = SHA-256("bilan-commit-v1" 0x00 || bundle bytes || r), r being 32 fresh
 * random bytes of this pair. */
int bp_commit(const struct bp_bundle *b, const uint8_t r[32], uint8_t c[32]);

/* T = SHA-256("bilan-pair-v1" 0x00 || u8 len(bilan) || bilan || first || second)
 * where first/second are (bundle bytes || r) of the two sides ordered by
 * their identity fingerprints (smaller first): both sides compute the same T. */
int bp_transcript(const char *bilan, const struct bp_bundle *a, const uint8_t ra[32],
                  const struct bp_bundle *b, const uint8_t rb[32], uint8_t t[32]);

/* Invite-secret MAC of first contact: K = HKDF-SHA256(salt "bilan-invite-v1",
 * ikm secret, info bilan), mac = HMAC-SHA256(K, "bilan-confirm-v1" 0x00 || T
 * || fp of the side that sends it). */
int bp_invite_mac(const uint8_t secret[BP_SECRET_LEN], const char *bilan, const uint8_t t[32],
                  const uint8_t fp[BP_FP_LEN], uint8_t mac[BP_MAC_LEN]);

/* Which invite secret a MAC is under, without revealing it: the first 8
 * bytes of HKDF-SHA256(salt "bilan-invite-id-v1", ikm secret, info bilan).
 * A device that knows no secret with a proof's id cannot check that proof:
 * the pair is then not authenticated by the invite (PROTOCOL.md §8.2). */
#define BP_SECRET_ID_LEN 8
int bp_invite_secret_id(const uint8_t secret[BP_SECRET_LEN], const char *bilan,
                        uint8_t sid[BP_SECRET_ID_LEN]);

/* Six decimal digits from HKDF-SHA256(salt "", ikm T, info "bilan-sas-v1"):
 * first 4 bytes big-endian mod 10^6, written "482 913". */
int bp_sas(const uint8_t t[32], char out[BP_SAS_LEN]);

/* Pair key: HKDF-SHA256(salt T, ikm X25519(eph_priv, peer_eph), info
 * "bilan-pair-key-v1"), 32 bytes. */
int bp_pair_key(const uint8_t eph_priv[BP_KEY_LEN], const uint8_t peer_eph[BP_KEY_LEN],
                const uint8_t t[32], uint8_t key[32]);

/* Seals a sender's base key to one peer with AES-256-GCM under the pair key;
 * AAD = "bilan-senderkey-v1" 0x00 || u8 len(bilan) || bilan || from fp || to fp
 * || gen (u64 BE). Draws the 12-byte nonce from the OpenSSL RNG. */
int bp_senderkey_seal(const uint8_t pair_key[32], const char *bilan,
                      const uint8_t from_fp[BP_FP_LEN], const uint8_t to_fp[BP_FP_LEN],
                      uint64_t gen, const uint8_t base_key[BP_BASE_KEY_LEN],
                      uint8_t out[BP_SEALED_KEY_LEN]);
/* 0, or BP_E_CRYPTO when it does not authenticate (wrong pair, sender,
 * recipient, bilan or gen). */
int bp_senderkey_open(const uint8_t pair_key[32], const char *bilan,
                      const uint8_t from_fp[BP_FP_LEN], const uint8_t to_fp[BP_FP_LEN],
                      uint64_t gen, const uint8_t in[BP_SEALED_KEY_LEN],
                      uint8_t base_key[BP_BASE_KEY_LEN]);

/* ============ e2e message bodies (pair.c; PROTOCOL.md §8.2) ============ */

enum bp_e2e_kind {
    BP_E2E_COMMIT = 1,  /* {"t":"commit","c":key} */
    BP_E2E_REVEAL,      /* {"t":"reveal","bundle":{sign_pub,dh_pub,eph,sig},"r":key} */
    BP_E2E_CONFIRM,     /* {"t":"confirm","proofs":[{sid,mac}...]?} (none: no secret) */
    BP_E2E_SAS,         /* {"t":"sas","result":"confirmed"|"rejected"} */
    BP_E2E_KEY,         /* {"t":"key","gen":int,"sealed":base64url of 44 bytes} */
    BP_E2E_ABORT,       /* {"t":"abort","reason":string 1..200}: the sender ended the pair */
};
#define BP_E2E_REASON_MAX 200
#define BP_E2E_PROOFS_MAX 8 /* invite proofs in one confirm: one per secret the sender knows */

/* One invite proof: the MAC of the confirm under one invite secret, and
 * that secret's id. */
struct bp_invite_proof {
    uint8_t sid[BP_SECRET_ID_LEN];
    uint8_t mac[BP_MAC_LEN];
};

struct bp_e2e_msg {
    enum bp_e2e_kind kind;
    uint8_t c[32];                 /* commit */
    struct bp_bundle bundle;       /* reveal */
    uint8_t r[32];                 /* reveal */
    int nproofs;                   /* confirm: 0..BP_E2E_PROOFS_MAX, sids distinct */
    struct bp_invite_proof proofs[BP_E2E_PROOFS_MAX];
    int sas_confirmed;             /* sas: 1 confirmed, 0 rejected */
    uint64_t gen;                  /* key: 1 .. 2^40 */
    uint8_t sealed[BP_SEALED_KEY_LEN];
    char reason[BP_E2E_REASON_MAX + 1]; /* abort: UTF-8, no control characters */
};

/* Parses and validates a body (an object as relayed). 0 or a BP_E_* with *e
 * naming the field. Reads nothing outside body. */
int bp_e2e_parse(const json_t *body, struct bp_e2e_msg *m, struct bp_verr *e);
/* Builds the body object for m; the caller owns the result (NULL on ENOMEM). */
json_t *bp_e2e_build(const struct bp_e2e_msg *m);

#endif
