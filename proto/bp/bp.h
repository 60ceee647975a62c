/* bp.h: libbilanproto, the wire format and crypto shared by bilan-server and bilan.
 *
 * Owns: protocol constants and limits, the stable error codes and their wire
 * names, the 16-byte binary frame header, control-message validation, device
 * identity keys and the signatures that authenticate a connection, invite and
 * enrolment links, base64url.
 *
 * Must never: open a socket or a file, read a clock, or log. Time is passed in
 * by the caller. proto/PROTOCOL.md is the normative text; this header follows it.
 *
 * Conventions: functions return 0 (or a length) on success and a negative
 * BP_E_* on failure. Buffers are (pointer, length); caps are checked before
 * anything is read. Nothing here keeps a pointer to a caller's buffer unless a
 * comment says so.
 */
#ifndef BP_H
#define BP_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "bp/kinds.h"
#include "bp/vocab.h"

/* ---- Versions and limits (PROTOCOL.md §1, §6) ---- */
#define BP_PROTOCOL_VERSION 1
#define BP_SUBPROTOCOL "bilan.v1"
#define BP_WS_PATH "/ws"
#define BP_MAX_CTRL (64 * 1024)     /* largest text (JSON) message, bytes */
#define BP_MAX_FRAME (1024 * 1024)  /* largest binary message incl. header */
#define BP_MAX_CTRL_PREAUTH 4096    /* largest text message before welcome; no binary before it */
#define BP_AUTH_TIMEOUT_S 10        /* welcome due this long after the WebSocket opens */
#define BP_HDR_LEN 16
#define BP_MAX_MEMBERS 4            /* members of one bilan room */
#define BP_PING_S 5                 /* server pings an idle peer after this */
#define BP_HANGUP_S 15              /* ... and drops a peer silent this long */
#define BP_REF_MAX 64
#define BP_LABEL_MAX 64
#define BP_NAME_MAX 64
#define BP_ID_MAX 64
#define BP_KEY_LEN 32               /* Ed25519 / X25519 public and private */
#define BP_SIG_LEN 64
#define BP_NONCE_LEN 32
#define BP_TOKEN_LEN 32             /* random bytes in an enrolment/invite token */
#define BP_SECRET_LEN 32            /* invite secret carried in a link fragment */
#define BP_FP_LEN 32                /* SHA-256 fingerprint */
#define BP_B64_32 43                /* base64url (no padding) of 32 bytes */
#define BP_B64_64 86                /* base64url (no padding) of 64 bytes */
#define BP_BUDGET_DEFAULT_S (16 * 3600)
#define BP_CAP_S (24 * 3600)        /* legal cap, L.6313-4 */

/* ---- Error codes (PROTOCOL.md §5). Stable: append only, never renumber. ---- */
enum bp_err {
    BP_OK = 0,
    BP_E_BAD_JSON = -1,        /* "bad_json" */
    BP_E_UNKNOWN_TYPE = -2,    /* "unknown_type" */
    BP_E_MISSING_FIELD = -3,   /* "missing_field" */
    BP_E_INVALID_FIELD = -4,   /* "invalid_field" */
    BP_E_TOO_LARGE = -5,       /* "too_large" */
    BP_E_WRONG_STATE = -6,     /* "wrong_state" */
    BP_E_BAD_SIGNATURE = -7,   /* "bad_signature" */
    BP_E_UNKNOWN_TOKEN = -8,   /* "unknown_token" */
    BP_E_TOKEN_USED = -9,      /* "token_used" */
    BP_E_TOKEN_EXPIRED = -10,  /* "token_expired" */
    BP_E_NOT_MEMBER = -11,     /* "not_member" */
    BP_E_ROOM_FULL = -12,      /* "room_full" */
    BP_E_RATE_LIMITED = -13,   /* "rate_limited" */
    BP_E_VERSION = -14,        /* "version_mismatch" */
    BP_E_UNKNOWN_DEVICE = -15, /* "unknown_device" */
    BP_E_FORBIDDEN = -16,      /* "forbidden" */
    BP_E_BAD_FRAME = -17,      /* "bad_frame" */
    BP_E_TOO_SLOW = -18,       /* "too_slow" */
    BP_E_UNKNOWN_BILAN = -19,  /* "unknown_bilan" */
    BP_E_INTERNAL = -20,       /* "internal" */
    BP_E_SHUTDOWN = -21,       /* "shutting_down" */
    BP_E_CRYPTO = -22,         /* local only: an OpenSSL call failed */
    BP_E_NOMEM = -23,          /* local only */
    BP_E_BAD_LINK = -24,       /* local only: a link or token did not parse */
    BP_E_AUTH_TIMEOUT = -25,   /* "auth_timeout" */
    BP_E_TOO_MANY_CONNECTIONS = -26, /* "too_many_connections" */
    BP_E_TOKEN_REVOKED = -27, /* "token_revoked": an invite replaced by a newer one */
    /* -28: reserved (invites and certificates) */
    BP_E_FLOW = -29,           /* "flow_violation": data past the allowance of a flow hold */
};
#define BP_E_COUNT 28              /* rows in err.c's table, not the lowest code */

/* Wire name of a code ("bad_json"...), or "internal" for an unknown value. */
const char *bp_err_code(int err);
/* Default English explanation, saying what was wrong and what to do. Static. */
const char *bp_err_message(int err);
/* Code from a wire name; BP_E_INTERNAL if unknown (never 0). */
int bp_err_from_code(const char *code);
/* Whether the server closes the connection after sending this error. */
int bp_err_is_fatal(int err);

/* ---- Binary frame header (PROTOCOL.md §4) ---- */
/* Kinds: bp/kinds.h. */
#define BP_FLAG_KEYFRAME 0x01
#define BP_FLAGS_KNOWN BP_FLAG_KEYFRAME

struct bp_hdr {
    uint8_t version;
    uint8_t kind;
    uint8_t flags;
    uint8_t slot;
    uint32_t seq;
    uint32_t media_ts;
    uint32_t capture_ms;
};

/* Encodes h into out[0..15]. */
void bp_hdr_encode(const struct bp_hdr *h, uint8_t out[BP_HDR_LEN]);
/* Decodes and validates a whole binary message (header + payload, len bytes).
 * Returns 0 or BP_E_BAD_FRAME / BP_E_TOO_LARGE / BP_E_VERSION; *why gets a
 * static reason. Reads nothing past len. */
int bp_hdr_decode(const uint8_t *buf, size_t len, struct bp_hdr *h, const char **why);
/* Overwrites the sender slot in an encoded header in place. */
static inline void bp_hdr_set_slot(uint8_t *buf, uint8_t slot) { buf[3] = slot; }

/* ---- Control messages (PROTOCOL.md §3) ---- */
enum bp_dir { BP_TO_SERVER = 1, BP_TO_CLIENT = 2 };

/* Types in each direction. Values are stable only inside one build. */
enum bp_type {
    BP_T_NONE = 0,
    /* client -> server */
    BP_T_HELLO, BP_T_ENROL, BP_T_AUTH, BP_T_BILAN_CREATE, BP_T_INVITE_CREATE,
    BP_T_BILAN_LIST, BP_T_JOIN, BP_T_LEAVE, BP_T_STATS,
    /* server -> client */
    BP_T_CHALLENGE, BP_T_WELCOME, BP_T_BILAN_CREATED, BP_T_INVITE_CREATED,
    BP_T_BILANS, BP_T_JOINED, BP_T_MEMBER_JOINED, BP_T_MEMBER_LEFT, BP_T_LEFT,
    BP_T_STATS_REPLY, BP_T_KEYFRAME_REQUEST, BP_T_ERROR,
    /* end-to-end relay (PROTOCOL.md §8.1): e2e {to?, body} client -> server,
     * e2e {from, device, body} server -> client */
    BP_T_E2E, BP_T_E2E_RELAY,
    /* sessions, hours and receipts (PROTOCOL.md §9) */
    BP_T_SESSION_OPEN, BP_T_SESSION_CLOSE, BP_T_HOURS, BP_T_PERSONAL_DECLARE, BP_T_RECEIPT,
    BP_T_SESSION_OPENED, BP_T_SESSION_CLOSED, BP_T_HOURS_REPORT, BP_T_PERSONAL_DECLARED,
    BP_T_HOURS_UPDATE, BP_T_BUDGET_WARNING, BP_T_SESSION_RECORD, BP_T_RECEIPT_OK,
    /* a signed refusal to sign a record (PROTOCOL.md §9.3) and its ack */
    BP_T_RECEIPT_REFUSAL, BP_T_RECEIPT_REFUSED,
    /* flow control of a sender's data (PROTOCOL.md §4 "Queues"): server -> client */
    BP_T_FLOW,
    BP_T__COUNT
};

/* Result of a failed validation: the code, and a human detail naming the
 * offending field ("missing field 'token' in 'enrol'"). */
struct bp_verr {
    int code;
    char detail[160];
};

/* Parses a text message of len bytes and validates it against the schema of
 * its type for direction dir. On success returns 0, sets *type and *root (the
 * caller owns *root and json_decref()s it). On failure returns a negative
 * code, fills *e, sets *root = NULL; *ref_out (if not NULL, BP_REF_MAX+1
 * bytes) receives the message's "ref" when one could be read, else "".
 * Unknown fields are ignored. Duplicate keys are bad_json. */
int bp_msg_parse(const char *buf, size_t len, enum bp_dir dir, enum bp_type *type,
                 json_t **root, struct bp_verr *e, char *ref_out);
/* Wire name of a type ("hello"), or NULL. */
const char *bp_type_name(enum bp_type t);
/* Validates an already-built object (used before sending, and by tests). */
int bp_msg_validate(const json_t *obj, enum bp_dir dir, enum bp_type *type, struct bp_verr *e);

/* Whether s is a protocol identifier (bilan, session): [A-Za-z0-9_-]{1,64}. */
int bp_id_ok(const char *s);

/* Field accessors for validated messages: the schema guarantees presence and
 * type of required fields, so these never fail for them. Optional fields
 * return the default given. Strings point into root; valid while it lives. */
const char *bp_str(const json_t *root, const char *key, const char *dflt);
long long bp_int(const json_t *root, const char *key, long long dflt);

/* ---- base64url without padding (RFC 4648 §5) ---- */
/* Writes 4*ceil(n/3) minus padding chars plus NUL; out must hold
 * bp_b64_len(n)+1 bytes. Returns the length written (without NUL). */
size_t bp_b64_len(size_t n);
size_t bp_b64_encode(const uint8_t *in, size_t n, char *out);
/* Strict decoder: rejects padding, whitespace, non-alphabet characters and
 * non-canonical trailing bits. Returns bytes written or BP_E_INVALID_FIELD. */
int bp_b64_decode(const char *in, size_t n, uint8_t *out, size_t cap);
/* Decodes exactly want bytes or fails. */
int bp_b64_decode_exact(const char *in, uint8_t *out, size_t want);

/* ---- Device identity and connection authentication (PROTOCOL.md §2) ---- */
struct bp_identity {
    uint8_t sign_pub[BP_KEY_LEN];  /* Ed25519 */
    uint8_t sign_priv[BP_KEY_LEN];
    uint8_t dh_pub[BP_KEY_LEN];    /* X25519 */
    uint8_t dh_priv[BP_KEY_LEN];
};

/* Fresh keys from the OpenSSL RNG. */
int bp_identity_generate(struct bp_identity *id);
/* Recomputes the public halves from the private ones (for loading). */
int bp_identity_derive_public(struct bp_identity *id);
/* Erases private key material. */
void bp_identity_wipe(struct bp_identity *id);
/* fp = SHA-256("bilan-device-v1" || sign_pub || dh_pub). */
int bp_fingerprint(const uint8_t sign_pub[BP_KEY_LEN], const uint8_t dh_pub[BP_KEY_LEN],
                   uint8_t fp[BP_FP_LEN]);
/* Human form of a fingerprint: 8 groups of 4 lowercase hex digits over its
 * first 16 bytes, space separated (39 chars + NUL). */
void bp_fingerprint_human(const uint8_t fp[BP_FP_LEN], char out[40]);

int bp_ed25519_sign(const uint8_t priv[BP_KEY_LEN], const uint8_t *msg, size_t n,
                    uint8_t sig[BP_SIG_LEN]);
/* 0 if valid, BP_E_BAD_SIGNATURE otherwise. */
int bp_ed25519_verify(const uint8_t pub[BP_KEY_LEN], const uint8_t *msg, size_t n,
                      const uint8_t sig[BP_SIG_LEN]);
int bp_x25519_public(const uint8_t priv[BP_KEY_LEN], uint8_t pub[BP_KEY_LEN]);
int bp_x25519(const uint8_t priv[BP_KEY_LEN], const uint8_t peer_pub[BP_KEY_LEN],
              uint8_t shared[BP_KEY_LEN]);
int bp_sha256(const uint8_t *in, size_t n, uint8_t out[32]);
/* HKDF-SHA256 (RFC 5869) extract-and-expand. */
int bp_hkdf_sha256(const uint8_t *salt, size_t salt_len, const uint8_t *ikm, size_t ikm_len,
                   const uint8_t *info, size_t info_len, uint8_t *out, size_t out_len);
int bp_random(uint8_t *out, size_t n);
/* Constant-time comparison: 0 when equal. */
int bp_ct_cmp(const void *a, const void *b, size_t n);

/* What a device signs to prove it holds its key for this connection.
 * msg = "bilan-auth-v1" 0x00 || nonce || sign_pub || dh_pub, and for an
 * enrolment "bilan-enrol-v1" 0x00 || nonce || sign_pub || dh_pub || SHA-256(token).
 * out must hold BP_AUTH_MSG_MAX bytes; returns the length. token may be NULL
 * (auth) or the token's raw bytes (enrol). */
#define BP_AUTH_MSG_MAX 160
int bp_auth_message(const uint8_t nonce[BP_NONCE_LEN], const uint8_t sign_pub[BP_KEY_LEN],
                    const uint8_t dh_pub[BP_KEY_LEN], const uint8_t *token, size_t token_len,
                    uint8_t out[BP_AUTH_MSG_MAX]);

/* ---- Links (PROTOCOL.md §2.3) ----
 * Invite:   https://HOST:PORT/j/<token>#<secret>[.<cert-sha256>]
 * Enrolment https://HOST:PORT/e/<token>[#<cert-sha256>]
 * Bare token: the 43-character base64url token alone (host then comes from
 * the caller's --server). Parsing is pure and bounded. */
enum bp_link_kind { BP_LINK_INVITE = 1, BP_LINK_ENROL = 2, BP_LINK_TOKEN = 3 };
#define BP_HOST_MAX 253
struct bp_link {
    enum bp_link_kind kind;
    char host[BP_HOST_MAX + 1];   /* IPv6 literals without brackets */
    uint16_t port;
    uint8_t token[BP_TOKEN_LEN];
    int has_secret;
    uint8_t secret[BP_SECRET_LEN];
    int has_pin;
    uint8_t pin[BP_FP_LEN];       /* SHA-256 of the server certificate (DER) */
};
/* Returns 0 or BP_E_BAD_LINK with *why saying what part is wrong. A link
 * whose host is not usable (bp_host_usable) is refused. */
int bp_link_parse(const char *s, struct bp_link *l, const char **why);
/* Formats l into out (cap bytes). Returns length, BP_E_TOO_LARGE, or
 * BP_E_BAD_LINK when l->host is not usable: no link names 0.0.0.0. */
int bp_link_format(const struct bp_link *l, char *out, size_t cap);
/* 1 when host (without IPv6 brackets) can be written into a link: not empty,
 * not "*", not an unspecified address (0.0.0.0, ::, 0:0:0:0:0:0:0:0...),
 * which name "every interface" to a server and no server to a client. */
int bp_host_usable(const char *host);

#endif
