/* limits.h: versions, sizes and limits of the protocol (PROTOCOL.md §1, §6),
 * the numbers every other proto header is written in.
 *
 * Must never: hold a type or a function; a limit lives here once, and the
 * text of PROTOCOL.md is its reference. */
#ifndef BP_LIMITS_H
#define BP_LIMITS_H

#define BP_PROTOCOL_VERSION 1
#define BP_SUBPROTOCOL "bilan.v1"
#define BP_WS_PATH "/ws"
/* hello.client of the browser client starts with this (PROTOCOL.md §3.2,
 * member object's browser). */
#define BP_BROWSER_CLIENT "bilan-web/"
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

#endif
