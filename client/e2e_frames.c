/* e2e_frames.c: SFrame in a room (PROTOCOL.md §8.4): our frames sealed
 * with our sender key per stream (KID = gen * BP_STREAMS + stream), theirs
 * opened with the generation their KID names, replay windows, frames held
 * (E2E_HOLD_MS, E2E_HOLD_MAX per sender) until their key arrives, and
 * whether sending is allowed at all (e2e_can_send).
 *
 * Must never: hand out a frame that did not authenticate, or a plaintext
 * past the io.frame call (it is wiped after). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "e2e_core.h"
#include "e2e_room.h"
#include "bp/kinds.h"

int e2e_seal(struct e2e *e, const uint8_t hdr[BP_HDR_LEN], const uint8_t *pt, size_t n,
             uint8_t *out, size_t cap)
{
    if (!e->in_room || e->failed || !e->gen)
        return BP_E_WRONG_STATE;
    const struct bp_kind_info *kind = bp_kind_info(hdr[1]);
    if (!kind || cap < BP_HDR_LEN)
        return BP_E_INVALID_FIELD;
    unsigned stream = kind->stream;
    if (!e->kset[stream]) {
        if (bp_sframe_key_derive(e->base, sizeof e->base, bp_kid(e->gen, stream), &e->k[stream]))
            return BP_E_CRYPTO;
        e->kset[stream] = 1;
    }
    if (e->ctr[stream] > BP_SFRAME_CTR_MAX)
        return BP_E_INVALID_FIELD;
    uint8_t meta[BP_SFRAME_META_LEN];
    bp_sframe_meta(hdr, meta);
    memcpy(out, hdr, BP_HDR_LEN);
    int w = bp_sframe_seal(&e->k[stream], e->ctr[stream], meta, sizeof meta, pt, n,
                           out + BP_HDR_LEN, cap - BP_HDR_LEN);
    if (w < 0)
        return w;
    e->ctr[stream]++;
    e->stats.frames_sealed++;
    /* Rekey long before the counter could run out (never in practice). */
    if (e->ctr[stream] > BP_SFRAME_CTR_MAX - 1024)
        e2e__rekey(e);
    return BP_HDR_LEN + w;
}

/* 1 delivered or dropped, 0 no key for its KID (hold it). */
static int try_open(struct e2e *e, int slot, const uint8_t *buf, size_t len, uint64_t now_ms)
{
    struct e2e_peer *p = &e->peers[slot];
    uint64_t kid, ctr;
    if (len < BP_HDR_LEN ||
        bp_sframe_hdr_decode(buf + BP_HDR_LEN, len - BP_HDR_LEN, &kid, &ctr) < 0) {
        e->stats.dropped_auth++;
        return 1;
    }
    unsigned stream = bp_kid_stream(kid);
    const struct bp_kind_info *kind = bp_kind_info(buf[1]);
    if (!kind || stream != kind->stream) {
        e->stats.dropped_auth++; /* the KID's stream must be the frame's kind */
        return 1;
    }
    if (p->st != PAIR_AUTH)
        return 0;
    int gi = e2e__gen_slot(p, bp_kid_gen(kid));
    if (gi < 0)
        return 0;
    struct e2e_gen *g = &p->gens[gi];
    if (!g->kset[stream]) {
        if (bp_sframe_key_derive(g->base, sizeof g->base, kid, &g->k[stream])) {
            e->stats.dropped_auth++;
            return 1;
        }
        g->kset[stream] = 1;
    }
    if (bp_replay_check(&g->rw[stream], ctr)) {
        e->stats.dropped_replay++;
        return 1;
    }
    uint8_t meta[BP_SFRAME_META_LEN];
    bp_sframe_meta(buf, meta);
    uint8_t *out = malloc(len);
    if (!out)
        return 1;
    memcpy(out, buf, BP_HDR_LEN);
    uint64_t got;
    int n = bp_sframe_open(&g->k[stream], meta, sizeof meta, buf + BP_HDR_LEN, len - BP_HDR_LEN,
                           out + BP_HDR_LEN, len - BP_HDR_LEN, &got);
    if (n < 0 || got != ctr) {
        e->stats.dropped_auth++;
        free(out);
        return 1;
    }
    bp_replay_update(&g->rw[stream], ctr);
    e->stats.frames_opened++;
    /* A newer generation in use: older ones go in E2E_ERASE_MS. */
    for (int i = 0; i < E2E_GENS; i++)
        if (p->gens[i].used && p->gens[i].gen < g->gen && !p->gens[i].erase_at)
            p->gens[i].erase_at = now_ms + E2E_ERASE_MS;
    if (e->io.frame)
        e->io.frame(e->io.ctx, out, BP_HDR_LEN + (size_t)n, now_ms);
    OPENSSL_cleanse(out, BP_HDR_LEN + (size_t)n);
    free(out);
    return 1;
}

/* Queues a copy of a frame whose key we do not have (yet); returns the copy. */
static const uint8_t *hold(struct e2e *e, int slot, const uint8_t *buf, size_t len, uint64_t now_ms)
{
    struct e2e_peer *p = &e->peers[slot];
    if (p->nheld == E2E_HOLD_MAX) { /* full: the oldest goes */
        free(p->held[0].buf);
        memmove(&p->held[0], &p->held[1], sizeof p->held[0] * (E2E_HOLD_MAX - 1));
        p->nheld--;
        e->stats.dropped_unknown_kid++;
    }
    uint8_t *c = malloc(len);
    if (!c) {
        e->stats.dropped_unknown_kid++;
        return NULL;
    }
    memcpy(c, buf, len);
    p->held[p->nheld].buf = c;
    p->held[p->nheld].len = len;
    p->held[p->nheld].at = now_ms;
    p->nheld++;
    return c;
}

void e2e__release_held(struct e2e *e, int slot, uint64_t now_ms)
{
    struct e2e_peer *p = &e->peers[slot];
    int k = 0;
    for (int i = 0; i < p->nheld; i++) {
        struct e2e_held h = p->held[i];
        if (try_open(e, slot, h.buf, h.len, now_ms)) {
            free(h.buf);
        } else {
            p->held[k++] = h;
        }
    }
    p->nheld = k;
}

void e2e_open(struct e2e *e, const uint8_t *buf, size_t len, uint64_t now_ms)
{
    if (!e->in_room || len < BP_HDR_LEN)
        return;
    int slot = buf[3];
    if (slot >= BP_MAX_MEMBERS || slot == e->slot || !e->peers[slot].present ||
        e->peers[slot].st == PAIR_REFUSED) {
        e->stats.dropped_unknown_kid++;
        return;
    }
    struct e2e_peer *p = &e->peers[slot];
    if (p->nheld) {
        /* Keep order: behind the frames already waiting; counted as held
         * only if it has to wait itself. */
        const uint8_t *c = hold(e, slot, buf, len, now_ms);
        e2e__release_held(e, slot, now_ms);
        if (c && p->nheld && p->held[p->nheld - 1].buf == c)
            e->stats.held++;
        return;
    }
    if (!try_open(e, slot, buf, len, now_ms) && hold(e, slot, buf, len, now_ms))
        e->stats.held++;
}

void e2e_tick(struct e2e *e, uint64_t now_ms)
{
    for (int s = 0; s < BP_MAX_MEMBERS; s++) {
        struct e2e_peer *p = &e->peers[s];
        if (!p->present)
            continue;
        int k = 0;
        for (int i = 0; i < p->nheld; i++) {
            if (now_ms - p->held[i].at >= E2E_HOLD_MS) {
                e->stats.dropped_unknown_kid++;
                free(p->held[i].buf);
            } else {
                p->held[k++] = p->held[i];
            }
        }
        p->nheld = k;
        for (int i = 0; i < E2E_GENS; i++)
            if (p->gens[i].used && p->gens[i].erase_at && now_ms >= p->gens[i].erase_at)
                e2e__gen_wipe(&p->gens[i]);
    }
}

int e2e_peer_has_key(const struct e2e *e, int slot)
{
    const struct e2e_peer *p = &e->peers[slot];
    return p->present && p->st == PAIR_AUTH && e->gen && p->sent_gen == e->gen;
}

int e2e_can_send(const struct e2e *e)
{
    if (!e->in_room || e->failed)
        return 0;
    int any = 0;
    for (int i = 0; i < BP_MAX_MEMBERS; i++) {
        const struct e2e_peer *p = &e->peers[i];
        if (!p->present || i == e->slot)
            continue;
        if (p->st == PAIR_AUTH && p->await_peer) {
            continue; /* like a blocked pair: waits for the other person */
        } else if (p->st == PAIR_AUTH) {
            if (p->sent_gen != e->gen)
                return 0;
            any = 1;
        } else if (p->st != PAIR_REFUSED && p->st != PAIR_BLOCKED) {
            return 0; /* handshake in progress */
        } else if (p->st == PAIR_BLOCKED && e->policy != E2E_SAS_ASK) {
            return 0;
        }
    }
    return any;
}
