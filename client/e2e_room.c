/* e2e_room.c: end-to-end encryption of a room visit (see e2e_room.h,
 * PROTOCOL.md §8): the state's life (init, the bilan's secrets and known
 * devices, our join, members coming and going, leave, free). The pairwise
 * handshake is e2e_pair.c's, frames are e2e_frames.c's, what they share is
 * e2e_core.c's.
 *
 * Must never: print or hand out a key, a secret or payload bytes; read a
 * clock; keep a key past e2e_leave/e2e_free. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "e2e_core.h"
#include "e2e_room.h"

int e2e_init(struct e2e *e, const struct bp_identity *id, const uint8_t *secret,
             enum e2e_sas_policy policy)
{
    memset(e, 0, sizeof *e);
    e->id = id;
    e->slot = -1;
    e->policy = policy;
    if (secret)
        e2e_add_secret(e, secret);
    return bp_fingerprint(id->sign_pub, id->dh_pub, e->fp) ? BP_E_CRYPTO : 0;
}

void e2e_add_secret(struct e2e *e, const uint8_t secret[BP_SECRET_LEN])
{
    for (int i = 0; i < e->nsecrets; i++)
        if (!bp_ct_cmp(e->secrets[i], secret, BP_SECRET_LEN))
            return;
    if (e->nsecrets == E2E_SECRETS_MAX)
        return;
    memcpy(e->secrets[e->nsecrets++], secret, BP_SECRET_LEN);
}

int e2e_pair_ended(const struct e2e *e, int slot)
{
    if (slot < 0 || slot >= BP_MAX_MEMBERS || slot == e->slot || !e->in_room)
        return 0;
    return e->peers[slot].present && e->peers[slot].st == PAIR_REFUSED;
}

void e2e_add_known(struct e2e *e, const uint8_t fp[BP_FP_LEN], int role)
{
    if (e->nknown >= E2E_KNOWN_MAX)
        return;
    memcpy(e->known[e->nknown].fp, fp, BP_FP_LEN);
    e->known[e->nknown].role = role;
    e->nknown++;
}

int e2e_joined(struct e2e *e, const char *bilan, int slot, uint64_t now_ms)
{
    (void)now_ms;
    e2e_leave(e);
    snprintf(e->bilan, sizeof e->bilan, "%s", bilan);
    e->slot = slot;
    e->in_room = 1;
    e->gen = 0;
    if (bp_random(e->eph_priv, sizeof e->eph_priv) || bp_x25519_public(e->eph_priv, e->eph_pub) ||
        bp_bundle_make(e->id, e->bilan, e->eph_pub, &e->bundle)) {
        e->failed = 1;
        return BP_E_CRYPTO;
    }
    return e2e__rekey(e); /* generation 1 */
}

size_t e2e_met(const struct e2e *e, struct hours_met *out, size_t cap)
{
    size_t n = 0;
    for (int i = 0; i < e->nmet && n < cap; i++)
        out[n++] = e->met[i];
    return n;
}

void e2e_member(struct e2e *e, int slot, const uint8_t fp[BP_FP_LEN], int role, int rekey_,
                uint64_t now_ms)
{
    (void)now_ms;
    if (!e->in_room || slot < 0 || slot >= BP_MAX_MEMBERS || slot == e->slot)
        return;
    struct e2e_peer *p = &e->peers[slot];
    if (p->present)
        e2e__peer_wipe(p); /* replaced: a new device or a new connection, a new pair */
    p->present = 1;
    memcpy(p->fp, fp, BP_FP_LEN);
    p->role = role;
    if (rekey_)
        e2e__rekey(e);
    if (e->failed)
        return;
    struct bp_e2e_msg m;
    memset(&m, 0, sizeof m);
    m.kind = BP_E2E_COMMIT;
    if (bp_random(p->r, sizeof p->r) || bp_commit(&e->bundle, p->r, m.c)) {
        e->failed = 1;
        return;
    }
    p->st = PAIR_COMMITTED;
    e2e__send(e, slot, &m);
}

void e2e_member_left(struct e2e *e, int slot, uint64_t now_ms)
{
    (void)now_ms;
    if (!e->in_room || slot < 0 || slot >= BP_MAX_MEMBERS || slot == e->slot)
        return;
    struct e2e_peer *p = &e->peers[slot];
    if (!p->present)
        return;
    e->stats.dropped_unknown_kid += (uint64_t)p->nheld;
    e2e__peer_wipe(p);
    e2e__rekey(e); /* who left must not read what follows */
}

void e2e_leave(struct e2e *e)
{
    for (int i = 0; i < BP_MAX_MEMBERS; i++) {
        e->stats.dropped_unknown_kid += (uint64_t)e->peers[i].nheld; /* never opened */
        e2e__peer_wipe(&e->peers[i]);
    }
    e2e__own_keys_wipe(e);
    OPENSSL_cleanse(e->eph_priv, sizeof e->eph_priv);
    e->in_room = 0;
    e->gen = 0;
}

void e2e_free(struct e2e *e)
{
    e2e_leave(e);
    OPENSSL_cleanse(e->secrets, sizeof e->secrets);
    OPENSSL_cleanse(e, sizeof *e);
}
