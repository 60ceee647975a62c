/* e2e_room.c: end-to-end encryption of a room visit (see e2e_room.h, PROTOCOL.md §8).
 *
 * Must never: print or hand out a key, a secret or payload bytes (the lines
 * carry slots, codes, generations and reasons only); read a clock; keep a
 * key past e2e_leave/e2e_free or past the erasure of its generation. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "e2e_room.h"

static void line(struct e2e *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void line(struct e2e *e, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (e->io.line)
        e->io.line(e->io.ctx, buf);
}

static int send_msg(struct e2e *e, int to, const struct bp_e2e_msg *m)
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

/* ------------------------------------------------------------ keys */

static void gen_wipe(struct e2e_gen *g)
{
    for (int i = 0; i < 4; i++)
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

static void peer_wipe(struct e2e_peer *p)
{
    held_clear(p);
    for (int i = 0; i < E2E_GENS; i++)
        gen_wipe(&p->gens[i]);
    OPENSSL_cleanse(p, sizeof *p);
}

static void own_keys_wipe(struct e2e *e)
{
    for (int i = 0; i < 4; i++)
        if (e->kset[i])
            bp_sframe_key_wipe(&e->k[i]);
    memset(e->kset, 0, sizeof e->kset);
    memset(e->ctr, 0, sizeof e->ctr);
    OPENSSL_cleanse(e->base, sizeof e->base);
}

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

static int is_known(const struct e2e *e, const uint8_t fp[BP_FP_LEN])
{
    for (int i = 0; i < e->nknown; i++)
        if (!memcmp(e->known[i].fp, fp, BP_FP_LEN))
            return 1;
    return 0;
}

/* Another device was remembered as verified for this role. */
static int role_had_other(const struct e2e *e, int role, const uint8_t fp[BP_FP_LEN])
{
    for (int i = 0; i < e->nknown; i++)
        if (e->known[i].role == role && memcmp(e->known[i].fp, fp, BP_FP_LEN))
            return 1;
    return 0;
}

static void send_key(struct e2e *e, int slot)
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
    if (send_msg(e, slot, &m) == 0)
        p->sent_gen = e->gen;
}

/* New base key, next generation; sent to the authenticated peers present. */
static int rekey(struct e2e *e)
{
    own_keys_wipe(e);
    if (bp_random(e->base, sizeof e->base)) {
        e->failed = 1;
        return BP_E_CRYPTO;
    }
    e->gen++;
    for (int i = 0; i < BP_MAX_MEMBERS; i++)
        if (e->peers[i].present)
            send_key(e, i);
    return 0;
}

/* ------------------------------------------------------------ room */

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
    return rekey(e); /* generation 1 */
}

/* Ends the pair with slot. notify: tell the peer with an `abort` body so that
 * it stops waiting for us (not when the peer is the one who ended it). */
/* Every device paired with during this visit, for the attendance receipt's
 * sas_verified (PROTOCOL.md §9.4): its latest outcome wins. */
static void note_met(struct e2e *e, const uint8_t fp[BP_FP_LEN], int verified)
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

size_t e2e_met(const struct e2e *e, struct hours_met *out, size_t cap)
{
    size_t n = 0;
    for (int i = 0; i < e->nmet && n < cap; i++)
        out[n++] = e->met[i];
    return n;
}

static void refuse_ex(struct e2e *e, int slot, const char *why, int notify)
{
    struct e2e_peer *p = &e->peers[slot];
    if (p->st == PAIR_REFUSED)
        return;
    if (p->present)
        note_met(e, p->fp, 0);
    int had_key = p->sent_gen != 0;
    p->st = PAIR_REFUSED;
    line(e, "[e2e] slot=%d refused: %s", slot, why);
    if (notify) {
        struct bp_e2e_msg m;
        memset(&m, 0, sizeof m);
        m.kind = BP_E2E_ABORT;
        snprintf(m.reason, sizeof m.reason, "%s", why);
        send_msg(e, slot, &m);
    }
    e->stats.dropped_unknown_kid += (uint64_t)p->nheld;
    held_clear(p);
    for (int i = 0; i < E2E_GENS; i++)
        gen_wipe(&p->gens[i]);
    OPENSSL_cleanse(p->pair_key, sizeof p->pair_key);
    p->have_pair_key = 0;
    if (had_key)
        rekey(e); /* it must not read what follows */
}

static void refuse(struct e2e *e, int slot, const char *why)
{
    refuse_ex(e, slot, why, 1);
}

void e2e_member(struct e2e *e, int slot, const uint8_t fp[BP_FP_LEN], int role, int rekey_,
                uint64_t now_ms)
{
    (void)now_ms;
    if (!e->in_room || slot < 0 || slot >= BP_MAX_MEMBERS || slot == e->slot)
        return;
    struct e2e_peer *p = &e->peers[slot];
    if (p->present)
        peer_wipe(p); /* replaced: a new device or a new connection, a new pair */
    p->present = 1;
    memcpy(p->fp, fp, BP_FP_LEN);
    p->role = role;
    if (rekey_)
        rekey(e);
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
    send_msg(e, slot, &m);
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
    peer_wipe(p);
    rekey(e); /* who left must not read what follows */
}

/* ------------------------------------------------------------ handshake */

static void trust(struct e2e *e, int slot, uint64_t now_ms);

static void on_commit(struct e2e *e, int slot, const struct bp_e2e_msg *m)
{
    struct e2e_peer *p = &e->peers[slot];
    if (p->have_c || p->st != PAIR_COMMITTED) {
        refuse(e, slot, "protocol violation (a second commitment)");
        return;
    }
    memcpy(p->their_c, m->c, 32);
    p->have_c = 1;
    /* Both commitments exchanged: now, and only now, we reveal. */
    struct bp_e2e_msg r;
    memset(&r, 0, sizeof r);
    r.kind = BP_E2E_REVEAL;
    r.bundle = e->bundle;
    memcpy(r.r, p->r, 32);
    p->st = PAIR_REVEALED;
    send_msg(e, slot, &r);
}

static void on_reveal(struct e2e *e, int slot, const struct bp_e2e_msg *m, uint64_t now_ms)
{
    struct e2e_peer *p = &e->peers[slot];
    if (p->st != PAIR_REVEALED) {
        refuse(e, slot, "protocol violation (a reveal before the commitments)");
        return;
    }
    uint8_t c[32], fp[BP_FP_LEN];
    if (bp_commit(&m->bundle, m->r, c) || bp_ct_cmp(c, p->their_c, 32)) {
        refuse(e, slot, "its keys do not match its commitment (possible interception)");
        return;
    }
    if (bp_bundle_verify(&m->bundle, e->bilan)) {
        refuse(e, slot, "its key bundle has a bad signature (possible interception)");
        return;
    }
    if (bp_bundle_fp(&m->bundle, fp) || bp_ct_cmp(fp, p->fp, BP_FP_LEN)) {
        refuse(e, slot,
               "its keys are not those of the device the server announced (possible interception)");
        return;
    }
    p->their_b = m->bundle;
    memcpy(p->their_r, m->r, 32);
    /* Transcript: the side with the smaller identity fingerprint first. */
    int mine_first = memcmp(e->fp, p->fp, BP_FP_LEN) < 0;
    int rc = mine_first ? bp_transcript(e->bilan, &e->bundle, p->r, &p->their_b, p->their_r, p->t)
                        : bp_transcript(e->bilan, &p->their_b, p->their_r, &e->bundle, p->r, p->t);
    if (rc || bp_sas(p->t, p->sas) || bp_pair_key(e->eph_priv, p->their_b.eph, p->t, p->pair_key)) {
        e->failed = 1;
        refuse(e, slot, "a cryptographic operation failed (OpenSSL)");
        return;
    }
    p->have_pair_key = 1;
    struct bp_e2e_msg cf;
    memset(&cf, 0, sizeof cf);
    cf.kind = BP_E2E_CONFIRM;
    /* One proof per secret we know: the peer checks the one whose id it
     * knows (it cannot tell us which before this message). */
    for (int i = 0; i < e->nsecrets; i++) {
        struct bp_invite_proof *pr = &cf.proofs[cf.nproofs];
        if (bp_invite_secret_id(e->secrets[i], e->bilan, pr->sid) ||
            bp_invite_mac(e->secrets[i], e->bilan, p->t, e->fp, pr->mac)) {
            OPENSSL_cleanse(&cf, sizeof cf);
            e->failed = 1;
            refuse(e, slot, "a cryptographic operation failed (OpenSSL)");
            return;
        }
        cf.nproofs++;
    }
    p->st = PAIR_CONFIRMING;
    send_msg(e, slot, &cf);
    OPENSSL_cleanse(&cf, sizeof cf);
    line(e, "[e2e] slot=%d code=%s (Lisez ce code \xc3\xa0 voix haute : %s)", slot, p->sas, p->sas);
    if (e->policy != E2E_SAS_ASK)
        e2e_sas_decide(e, slot, e->policy == E2E_SAS_CONFIRM, now_ms);
    else if (e->interactive)
        line(e,
             "[e2e] slot=%d: if the other person reads the same code, type /oui (or /oui %d); "
             "otherwise /non",
             slot, slot);
    if (p->got_confirm)
        trust(e, slot, now_ms);
}

static void remember(struct e2e *e, int slot, int verified, const char *method)
{
    struct e2e_peer *p = &e->peers[slot];
    note_met(e, p->fp, verified);
    if (!e->io.remember)
        return;
    struct e2e_remember r;
    memset(&r, 0, sizeof r);
    memcpy(r.fp, p->fp, BP_FP_LEN);
    r.role = p->role;
    memcpy(r.sign_pub, p->their_b.sign_pub, BP_KEY_LEN);
    memcpy(r.dh_pub, p->their_b.dh_pub, BP_KEY_LEN);
    r.verified = verified;
    r.method = method;
    e->io.remember(e->io.store_ctx, &r);
}

/* The trust decision, once their confirm arrived and the SAS may be known. */
static void on_key(struct e2e *e, int slot, const struct bp_e2e_msg *m, uint64_t now_ms);

static void trust(struct e2e *e, int slot, uint64_t now_ms)
{
    struct e2e_peer *p = &e->peers[slot];
    if (p->st != PAIR_CONFIRMING && p->st != PAIR_BLOCKED)
        return;
    if (p->sas_local < 0) {
        refuse(e, slot, "the code was rejected on this device");
        return;
    }
    int by_mac = p->mac_ok && !p->changed_key;
    int known = is_known(e, p->fp);
    if (!by_mac && !known && p->sas_local <= 0) {
        if (p->st != PAIR_BLOCKED) {
            p->st = PAIR_BLOCKED;
            if (e->policy == E2E_SAS_ASK)
                line(e,
                     "[e2e] slot=%d not authenticated: nothing is sent to it until its code is "
                     "confirmed: type /oui %d once you compared it aloud (or join with "
                     "--confirm-sas)",
                     slot, slot);
        }
        return;
    }
    p->st = PAIR_AUTH;
    p->await_peer = !by_mac && !known && !p->peer_confirmed && !p->has_stash;
    if (by_mac || known)
        line(e, "[e2e] slot=%d authenticated by=%s", slot, by_mac ? "invite" : "known");
    int verified = p->sas_local > 0 || known;
    if (verified)
        line(e, "[e2e] slot=%d verified", slot);
    remember(e, slot, verified, p->sas_local > 0 ? "sas" : by_mac ? "invite" : "known");
    send_key(e, slot);
    if (p->has_stash) {
        struct bp_e2e_msg k = p->stash;
        OPENSSL_cleanse(&p->stash, sizeof p->stash);
        p->has_stash = 0;
        on_key(e, slot, &k, now_ms);
        OPENSSL_cleanse(&k, sizeof k);
    }
}

static void on_confirm(struct e2e *e, int slot, const struct bp_e2e_msg *m, uint64_t now_ms)
{
    struct e2e_peer *p = &e->peers[slot];
    if (p->got_confirm || (p->st != PAIR_CONFIRMING && p->st != PAIR_REVEALED)) {
        refuse(e, slot, "protocol violation (an unexpected confirmation)");
        return;
    }
    if (p->st == PAIR_REVEALED) {
        /* Their reveal has not come: a confirm cannot precede it on one relay. */
        refuse(e, slot, "protocol violation (a confirmation before the keys)");
        return;
    }
    p->got_confirm = 1;
    /* Every proof under a secret we know must verify: one that does not is
     * a relay that changed the keys (or the proof). Proofs under secrets we
     * do not know (the peer joined with, or printed, another invite of this
     * bilan) prove nothing to us and accuse no one. */
    int checked = 0;
    for (int i = 0; i < e->nsecrets; i++) {
        uint8_t sid[BP_SECRET_ID_LEN], want[BP_MAC_LEN];
        if (bp_invite_secret_id(e->secrets[i], e->bilan, sid)) {
            e->failed = 1;
            refuse(e, slot, "a cryptographic operation failed (OpenSSL)");
            return;
        }
        for (int k = 0; k < m->nproofs; k++) {
            if (bp_ct_cmp(sid, m->proofs[k].sid, BP_SECRET_ID_LEN))
                continue; /* the sid is public: only the MAC needs constant time */
            if (bp_invite_mac(e->secrets[i], e->bilan, p->t, p->fp, want)) {
                e->failed = 1;
                refuse(e, slot, "a cryptographic operation failed (OpenSSL)");
                return;
            }
            int ok = bp_ct_cmp(want, m->proofs[k].mac, BP_MAC_LEN) == 0;
            OPENSSL_cleanse(want, sizeof want);
            if (!ok) {
                refuse(e, slot,
                       "its invite proof does not verify: possible interception (the codes differ; "
                       "do not go on, ask for a new invite)");
                return;
            }
            checked = 1;
        }
    }
    p->mac_ok = checked;
    p->known = is_known(e, p->fp);
    if (!checked && m->nproofs && !p->known)
        line(e,
             "[e2e] slot=%d: cet appareil est venu avec une autre invitation de ce bilan que "
             "celles que conna\xc3\xaet le v\xc3\xb4tre ; ce n'est pas une alerte : comparez le "
             "code \xc3\xa0 voix haute (it used another invite of this bilan: not an alarm; "
             "compare the code aloud)",
             slot);
    if (!p->mac_ok && !p->known && role_had_other(e, p->role, p->fp)) {
        p->changed_key = 1;
        line(e,
             "[e2e] WARNING slot=%d role=%s: changed key: this is not the device remembered for "
             "this role; nothing is exchanged with it until its code is confirmed",
             slot, bp_role_name(p->role));
    }
    trust(e, slot, now_ms);
}

static void on_sas(struct e2e *e, int slot, const struct bp_e2e_msg *m)
{
    struct e2e_peer *p = &e->peers[slot];
    if (m->sas_confirmed) {
        /* It trusts us now: a key withheld for that can go. */
        p->peer_confirmed = 1;
        if (p->st == PAIR_AUTH && p->await_peer) {
            p->await_peer = 0;
            send_key(e, slot);
        }
        return;
    }
    if (p->st == PAIR_REFUSED)
        return;
    line(e, "[e2e] slot=%d sas rejected by=peer", slot);
    refuse_ex(e, slot, "the other person rejected the code", 0);
}

static int gen_slot(struct e2e_peer *p, uint64_t gen)
{
    for (int i = 0; i < E2E_GENS; i++)
        if (p->gens[i].used && p->gens[i].gen == gen)
            return i;
    return -1;
}

static void release_held(struct e2e *e, int slot, uint64_t now_ms);

static void on_key(struct e2e *e, int slot, const struct bp_e2e_msg *m, uint64_t now_ms)
{
    struct e2e_peer *p = &e->peers[slot];
    if (p->st == PAIR_BLOCKED && p->have_pair_key) {
        /* Our user has not decided yet: keep the newest one sealed. */
        if (!p->has_stash || m->gen > p->stash.gen) {
            p->stash = *m;
            p->has_stash = 1;
        }
        return;
    }
    if (p->st != PAIR_AUTH || !p->have_pair_key)
        return; /* keys only from authenticated pairs */
    if (p->await_peer) { /* only a peer that trusts us sends keys */
        p->await_peer = 0;
        send_key(e, slot);
    }
    if (gen_slot(p, m->gen) >= 0)
        return;
    int idx = -1;
    for (int i = 0; i < E2E_GENS; i++)
        if (!p->gens[i].used) {
            idx = i;
            break;
        }
    if (idx < 0) { /* evict the oldest */
        idx = 0;
        for (int i = 1; i < E2E_GENS; i++)
            if (p->gens[i].gen < p->gens[idx].gen)
                idx = i;
        gen_wipe(&p->gens[idx]);
    }
    struct e2e_gen *g = &p->gens[idx];
    if (bp_senderkey_open(p->pair_key, e->bilan, p->fp, e->fp, m->gen, m->sealed, g->base)) {
        OPENSSL_cleanse(g, sizeof *g);
        line(e, "[e2e] slot=%d sent a key that does not authenticate (ignored)", slot);
        return;
    }
    g->used = 1;
    g->gen = m->gen;
    line(e, "[e2e] slot=%d keys gen=%llu", slot, (unsigned long long)m->gen);
    release_held(e, slot, now_ms);
}

void e2e_sas_decide(struct e2e *e, int slot, int confirmed, uint64_t now_ms)
{
    if (slot < 0 || slot >= BP_MAX_MEMBERS)
        return;
    struct e2e_peer *p = &e->peers[slot];
    if (!p->present || p->st == PAIR_REFUSED || p->st < PAIR_CONFIRMING || p->sas_local)
        return;
    p->sas_local = confirmed ? 1 : -1;
    struct bp_e2e_msg m;
    memset(&m, 0, sizeof m);
    m.kind = BP_E2E_SAS;
    m.sas_confirmed = confirmed;
    send_msg(e, slot, &m);
    if (!confirmed) {
        line(e, "[e2e] slot=%d sas rejected by=us", slot);
        refuse_ex(e, slot, "the code was rejected on this device", 0); /* the sas body said so */
        return;
    }
    if (p->st == PAIR_AUTH) { /* already authenticated (invite, known): now verified too */
        line(e, "[e2e] slot=%d verified", slot);
        remember(e, slot, 1, "sas");
        return;
    }
    if (p->got_confirm)
        trust(e, slot, now_ms);
}

int e2e_sas_pending(const struct e2e *e, int slot)
{
    if (slot < 0 || slot >= BP_MAX_MEMBERS || slot == e->slot || !e->in_room)
        return 0;
    const struct e2e_peer *p = &e->peers[slot];
    return p->present && p->st >= PAIR_CONFIRMING && p->st != PAIR_REFUSED && !p->sas_local;
}

void e2e_on_body(struct e2e *e, int from, const uint8_t fp[BP_FP_LEN], const json_t *body,
                 uint64_t now_ms)
{
    if (!e->in_room || e->failed || from < 0 || from >= BP_MAX_MEMBERS || from == e->slot)
        return;
    struct e2e_peer *p = &e->peers[from];
    /* Only from the device the server announced for that slot. */
    if (!p->present || bp_ct_cmp(p->fp, fp, BP_FP_LEN) || p->st == PAIR_REFUSED)
        return;
    struct bp_e2e_msg m;
    struct bp_verr ve;
    if (bp_e2e_parse(body, &m, &ve)) {
        refuse(e, from, "protocol violation (an invalid handshake message)");
        return;
    }
    switch (m.kind) {
    case BP_E2E_COMMIT:
        on_commit(e, from, &m);
        break;
    case BP_E2E_REVEAL:
        on_reveal(e, from, &m, now_ms);
        break;
    case BP_E2E_CONFIRM:
        on_confirm(e, from, &m, now_ms);
        break;
    case BP_E2E_SAS:
        on_sas(e, from, &m);
        break;
    case BP_E2E_KEY:
        on_key(e, from, &m, now_ms);
        break;
    case BP_E2E_ABORT: {
        char why[BP_E2E_REASON_MAX + 48];
        snprintf(why, sizeof why, "the other device ended the pair (%s)", m.reason);
        refuse_ex(e, from, why, 0);
        break;
    }
    }
    OPENSSL_cleanse(&m, sizeof m);
}

/* ------------------------------------------------------------ frames */

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
        rekey(e);
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
    int gi = gen_slot(p, bp_kid_gen(kid));
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

static void release_held(struct e2e *e, int slot, uint64_t now_ms)
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
        release_held(e, slot, now_ms);
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
                gen_wipe(&p->gens[i]);
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

void e2e_leave(struct e2e *e)
{
    for (int i = 0; i < BP_MAX_MEMBERS; i++) {
        e->stats.dropped_unknown_kid += (uint64_t)e->peers[i].nheld; /* never opened */
        peer_wipe(&e->peers[i]);
    }
    own_keys_wipe(e);
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
