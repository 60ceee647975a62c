/* e2e_core.c: what the files of end-to-end encryption share (see
 * e2e_core.h): lines and bodies out through e2e_io, wiping keys and held
 * frames, our sender key (a new generation, sent to the authenticated
 * peers), the end of a pair, the devices met.
 *
 * Must never: print or hand out a key, a secret or payload bytes (the lines
 * carry slots, codes, generations and reasons only); read a clock; keep a
 * key past e2e_leave/e2e_free or past the erasure of its generation. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "e2e_core.h"
#include "e2e_state.h"

void e2e__line(struct e2e *e, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (e->io.line)
        e->io.line(e->io.ctx, buf);
}

int e2e__send(struct e2e *e, int to, const struct bp_e2e_msg *m)
{
    json_t *body = bp_e2e_build(m);
    if (!body)
        return BP_E_NOMEM;
    if (!e->io.send) {
        json_decref(body);
        return 0;
    }
    return e->io.send(e->io.ctx, to, body);
}

void e2e__gen_wipe(struct e2e_gen *g)
{
    for (int i = 0; i < BP_STREAMS; i++)
        if (g->kset[i])
            bp_sframe_key_wipe(&g->k[i]);
    OPENSSL_cleanse(g, sizeof *g);
}

static void held_clear(struct e2e_peer *p)
{
    for (int i = 0; i < p->nheld; i++) {
        OPENSSL_cleanse(p->held[i].buf, p->held[i].len);
        free(p->held[i].buf);
    }
    p->nheld = 0;
}

void e2e__peer_wipe(struct e2e_peer *p)
{
    held_clear(p);
    for (int i = 0; i < E2E_GENS; i++)
        e2e__gen_wipe(&p->gens[i]);
    OPENSSL_cleanse(p, sizeof *p);
}

void e2e__own_keys_wipe(struct e2e *e)
{
    for (int i = 0; i < BP_STREAMS; i++)
        if (e->kset[i])
            bp_sframe_key_wipe(&e->k[i]);
    memset(e->kset, 0, sizeof e->kset);
    memset(e->ctr, 0, sizeof e->ctr);
    OPENSSL_cleanse(e->base, sizeof e->base);
}

void e2e__send_key(struct e2e *e, int slot)
{
    struct e2e_peer *p = &e->peers[slot];
    if (!e->gen || p->st != PAIR_AUTH || p->await_peer || !p->have_pair_key ||
        p->sent_gen == e->gen)
        return;
    struct bp_e2e_msg m;
    memset(&m, 0, sizeof m);
    m.kind = BP_E2E_KEY;
    m.gen = e->gen;
    if (bp_senderkey_seal(p->pair_key, e->bilan, e->fp, p->fp, e->gen, e->base, m.sealed)) {
        e->failed = 1;
        return;
    }
    if (e2e__send(e, slot, &m) == 0)
        p->sent_gen = e->gen;
}

int e2e__rekey(struct e2e *e)
{
    e2e__own_keys_wipe(e);
    if (bp_random(e->base, sizeof e->base)) {
        e->failed = 1;
        return BP_E_CRYPTO;
    }
    e->gen++;
    for (int i = 0; i < BP_MAX_MEMBERS; i++)
        if (e->peers[i].present)
            e2e__send_key(e, i);
    return 0;
}

void e2e__note_met(struct e2e *e, const uint8_t fp[32], int verified)
{
    for (int i = 0; i < e->nmet; i++)
        if (!memcmp(e->met[i].fp, fp, BP_FP_LEN)) {
            e->met[i].verified = verified;
            return;
        }
    if (e->nmet == E2E_MET_MAX)
        return;
    memcpy(e->met[e->nmet].fp, fp, BP_FP_LEN);
    e->met[e->nmet++].verified = verified;
}

void e2e__news(struct e2e *e, int what, int slot, const char *code)
{
    if (e->io.news)
        e->io.news(e->io.ctx, (enum e2e_news)what, slot, code);
}

void e2e__refuse_ex(struct e2e *e, int slot, const char *why, int notify)
{
    struct e2e_peer *p = &e->peers[slot];
    if (p->st == PAIR_REFUSED)
        return;
    if (p->present)
        e2e__note_met(e, p->fp, 0);
    int had_key = p->sent_gen != 0;
    p->st = PAIR_REFUSED;
    e2e__line(e, "[e2e] slot=%d refused: %s", slot, why);
    if (notify && p->sas_local >= 0) /* a rejected code was said already */
        e2e__news(e, E2E_NEWS_FAILED, slot, why);
    if (notify) {
        struct bp_e2e_msg m;
        memset(&m, 0, sizeof m);
        m.kind = BP_E2E_ABORT;
        snprintf(m.reason, sizeof m.reason, "%s", why);
        e2e__send(e, slot, &m);
    }
    e->stats.dropped_unknown_kid += (uint64_t)p->nheld;
    held_clear(p);
    for (int i = 0; i < E2E_GENS; i++)
        e2e__gen_wipe(&p->gens[i]);
    OPENSSL_cleanse(p->pair_key, sizeof p->pair_key);
    p->have_pair_key = 0;
    if (had_key)
        e2e__rekey(e); /* it must not read what follows */
}

void e2e__refuse(struct e2e *e, int slot, const char *why)
{
    e2e__refuse_ex(e, slot, why, 1);
}

int e2e__gen_slot(struct e2e_peer *p, uint64_t gen)
{
    for (int i = 0; i < E2E_GENS; i++)
        if (p->gens[i].used && p->gens[i].gen == gen)
            return i;
    return -1;
}
