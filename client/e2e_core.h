/* e2e_core.h: what the files of end-to-end encryption share (e2e_room.c,
 * e2e_pair.c, e2e_frames.c, e2e_core.c); private to them: the public API
 * is e2e_room.h. Deliberately includes none of ours: e2e_room.c includes
 * it, and nothing here may point back at it.
 *
 * Must never: print or hand out a key, a secret or payload bytes. */
#ifndef CLIENT_E2E_CORE_H
#define CLIENT_E2E_CORE_H

#include <stdint.h>

struct e2e;
struct e2e_gen;
struct e2e_peer;
struct bp_e2e_msg;

/* One human line through io.line ("[e2e] slot=1 ..."): slots, codes,
 * generations and reasons only. */
void e2e__line(struct e2e *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A fact for the person (io.news), when there is a listener. */
void e2e__news(struct e2e *e, int what, int slot, const char *code);
/* Sends body m to the member in slot to (through io.send). 0 or a code. */
int e2e__send(struct e2e *e, int to, const struct bp_e2e_msg *m);

/* Wiping: one generation of a peer's keys; a peer (its held frames too);
 * our sender keys of the current generation. */
void e2e__gen_wipe(struct e2e_gen *g);
void e2e__peer_wipe(struct e2e_peer *p);
void e2e__own_keys_wipe(struct e2e *e);

/* Our current sender key to slot, if its pair is authenticated, it trusts
 * us, and it does not have it yet. */
void e2e__send_key(struct e2e *e, int slot);
/* New base key, next generation; sent to the authenticated peers present.
 * 0 or BP_E_CRYPTO (then nothing is sealed any more). */
int e2e__rekey(struct e2e *e);

/* Every device paired with during this visit, for the attendance receipt's
 * sas_verified (PROTOCOL.md §9.4): its latest outcome wins. */
void e2e__note_met(struct e2e *e, const uint8_t fp[32], int verified);

/* Ends the pair with slot ("[e2e] slot=N refused: why"). notify: tell the
 * peer with an `abort` body so that it stops waiting for us (not when the
 * peer is the one who ended it). A peer that held our key makes us rekey.
 * e2e__refuse notifies. */
void e2e__refuse_ex(struct e2e *e, int slot, const char *why, int notify);
void e2e__refuse(struct e2e *e, int slot, const char *why);

/* The index in p->gens of generation gen, or -1. */
int e2e__gen_slot(struct e2e_peer *p, uint64_t gen);
/* Frames of slot held for a key: those it can open now are delivered
 * (e2e_frames.c). */
void e2e__release_held(struct e2e *e, int slot, uint64_t now_ms);

#endif
