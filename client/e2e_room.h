/* e2e_room.h: the end-to-end encryption state of one room visit (PROTOCOL.md §8),
 * as pure logic driven by plain calls: own join, roster changes, relayed e2e
 * bodies, binary frames in and out, ticks. It never reads a clock (time is
 * passed in, in ms), opens a socket or the key store; randomness comes from
 * the OpenSSL RNG through libbilanproto.
 *
 * Owns: this device's ephemeral X25519 key and bundle for this join (erased
 * by e2e_leave/e2e_free), its sender generation and base key (rekeyed on its
 * own join and whenever a member joins or leaves; a new key goes only to
 * authenticated peers present), one pairwise handshake per peer
 * (commit -> reveal -> checks -> transcript -> confirm/MAC -> SAS -> trust),
 * each peer's received sender keys per generation with SFrame keys and a
 * replay window per KID, frames held for an unknown KID (2 s, 256 per
 * sender), and the counters.
 *
 * Implemented by e2e_room.c (the state's life: join, members, leave),
 * e2e_pair.c (the handshake and the trust decision), e2e_frames.c (SFrame
 * seal and open, held frames, whether sending is allowed) and e2e_core.c
 * (what they share, private: e2e_core.h).
 *
 * Emits through struct e2e_io: bodies to send to a slot, human "[e2e] ..."
 * lines (never a key, secret or payload byte), decrypted frames (routing
 * header || plaintext), and peers to remember as authenticated/verified.
 *
 * Trust (§8.2 step 8): a pair is authenticated when one of the peer's
 * invite proofs verified, when its fingerprint is remembered as verified for
 * this bilan, or when the user confirmed the SAS; verified when the SAS was
 * confirmed (now or earlier). A proof under a secret we know (its id
 * matches) that does not verify refuses the pair (possible interception)
 * whatever the SAS; proofs under secrets we do not know (another invite of
 * the bilan) leave the pair to the spoken code, with no alarm. A device for
 * a role whose remembered device was another one, not authenticated by an
 * invite proof, is a changed key: loud warning, no keys until its SAS is
 * confirmed. */
#ifndef CLIENT_E2E_ROOM_H
#define CLIENT_E2E_ROOM_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "bp/bp.h"
#include "bp/e2e.h"
#include "bp/vocab.h"
#include "hours.h"

/* Limits, states and the state itself: e2e_state.h. */
#include "e2e_state.h"

/* id is borrowed for the life of e; secret may be NULL. 0 or BP_E_CRYPTO. */
int e2e_init(struct e2e *e, const struct bp_identity *id, const uint8_t *secret,
             enum e2e_sas_policy policy);
/* One of the bilan's invite secrets, once the store says which bilan (after
 * e2e_init, before e2e_joined). A secret already known is not added twice;
 * past E2E_SECRETS_MAX the rest are ignored (give the newest first). */
void e2e_add_secret(struct e2e *e, const uint8_t secret[BP_SECRET_LEN]);
/* 1 when the pair with slot was ended (refused, aborted or its code
 * rejected): its code can no longer be answered. */
int e2e_pair_ended(const struct e2e *e, int slot);
/* A device remembered as verified for this bilan (from the store). */
void e2e_add_known(struct e2e *e, const uint8_t fp[BP_FP_LEN], int role);
/* We joined: fresh ephemeral key and bundle, generation 1. */
int e2e_joined(struct e2e *e, const char *bilan, int slot, uint64_t now_ms);
/* A member is in the room (roster: rekey 0; member_joined: rekey 1). A
 * member already present in that slot with another device is replaced. */
void e2e_member(struct e2e *e, int slot, const uint8_t fp[BP_FP_LEN], int role, int rekey,
                uint64_t now_ms);
void e2e_member_left(struct e2e *e, int slot, uint64_t now_ms);
/* A relayed e2e body from slot from whose device the server said is fp. */
void e2e_on_body(struct e2e *e, int from, const uint8_t fp[BP_FP_LEN], const json_t *body,
                 uint64_t now_ms);
/* The user's SAS decision for slot (interactive use). Confirming the code of
 * a pair already authenticated (by the invite) makes it verified. */
void e2e_sas_decide(struct e2e *e, int slot, int confirmed, uint64_t now_ms);
/* 1 when slot's code has been shown and this device has not decided yet. */
int e2e_sas_pending(const struct e2e *e, int slot);
/* Seals one frame: hdr (16 bytes, encoded) and plaintext pt into
 * out = hdr || SFrame. Returns the length or a negative code. */
int e2e_seal(struct e2e *e, const uint8_t hdr[BP_HDR_LEN], const uint8_t *pt, size_t n,
             uint8_t *out, size_t cap);
/* Opens (or holds) one received frame whose routing header is valid. */
void e2e_open(struct e2e *e, const uint8_t *buf, size_t len, uint64_t now_ms);
void e2e_tick(struct e2e *e, uint64_t now_ms);
/* At least one peer authenticated and holding our current key, and every
 * present peer settled (authenticated, refused, or waiting for the user). */
int e2e_can_send(const struct e2e *e);
/* A peer that holds our current key. */
int e2e_peer_has_key(const struct e2e *e, int slot);
/* The devices paired with since e2e_init and whether each is verified
 * (the input of hours_sas_verified). Returns how many were copied. */
size_t e2e_met(const struct e2e *e, struct hours_met *out, size_t cap);
/* We left the room: erase the ephemeral key, pair and sender keys. */
void e2e_leave(struct e2e *e);
void e2e_free(struct e2e *e);

#endif
