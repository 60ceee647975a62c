/* e2e_pair.c: the pairwise handshake of end-to-end encryption (PROTOCOL.md
 * §8.2): commit -> reveal -> checks -> transcript -> confirm (invite
 * proofs) -> the short code (SAS) -> the trust decision; then the peer's
 * sender keys, opened only from an authenticated pair. See e2e_room.h for
 * the trust rules.
 *
 * Must never: print or hand out a key, a secret or payload bytes; trust a
 * peer another way than those e2e_room.h lists. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "e2e_core.h"
#include "e2e_room.h"
#include "i18n.h"

static void trust(struct e2e *e, int slot, uint64_t now_ms);

/* The reasons this client gives in an abort (the N_() sentences below), to
 * recognise them in a peer's: only those are shown to the person. */
static const char *const reasons[] = {
    N_("échange non conforme au protocole (un second engagement)"),
    N_("échange non conforme au protocole (clés révélées avant l'engagement)"),
    N_("ses clés ne correspondent pas à son engagement (interception possible)"),
    N_("la signature de ses clés est fausse (interception possible)"),
    N_("ses clés ne sont pas celles de l'appareil annoncé par le serveur (interception possible)"),
    N_("une opération de chiffrement a échoué (OpenSSL)"),
    N_("le code a été refusé sur cet appareil"),
    N_("échange non conforme au protocole (confirmation inattendue)"),
    N_("échange non conforme au protocole (confirmation avant les clés)"),
    N_("sa preuve d'invitation est fausse : interception possible (les codes diffèrent ; "
       "n'allez pas plus loin, demandez une nouvelle invitation)"),
    N_("échange non conforme au protocole (message de liaison illisible)"),
};

static const char *known_reason(const char *r)
{
    for (size_t i = 0; i < sizeof reasons / sizeof reasons[0]; i++)
        if (!strcmp(r, reasons[i]))
            return reasons[i];
    return NULL;
}
static void on_key(struct e2e *e, int slot, const struct bp_e2e_msg *m, uint64_t now_ms);

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

static void on_commit(struct e2e *e, int slot, const struct bp_e2e_msg *m)
{
    struct e2e_peer *p = &e->peers[slot];
    if (p->have_c || p->st != PAIR_COMMITTED) {
        e2e__refuse(e, slot, N_("échange non conforme au protocole (un second engagement)"));
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
    e2e__send(e, slot, &r);
}

static void on_reveal(struct e2e *e, int slot, const struct bp_e2e_msg *m, uint64_t now_ms)
{
    struct e2e_peer *p = &e->peers[slot];
    if (p->st != PAIR_REVEALED) {
        e2e__refuse(e, slot,
                    N_("échange non conforme au protocole (clés révélées avant l'engagement)"));
        return;
    }
    uint8_t c[32], fp[BP_FP_LEN];
    if (bp_commit(&m->bundle, m->r, c) || bp_ct_cmp(c, p->their_c, 32)) {
        e2e__refuse(e, slot,
                    N_("ses clés ne correspondent pas à son engagement (interception possible)"));
        return;
    }
    if (bp_bundle_verify(&m->bundle, e->bilan)) {
        e2e__refuse(e, slot, N_("la signature de ses clés est fausse (interception possible)"));
        return;
    }
    if (bp_bundle_fp(&m->bundle, fp) || bp_ct_cmp(fp, p->fp, BP_FP_LEN)) {
        e2e__refuse(e, slot,
                    N_("ses clés ne sont pas celles de l'appareil annoncé par le serveur "
                       "(interception possible)"));
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
        e2e__refuse(e, slot, N_("une opération de chiffrement a échoué (OpenSSL)"));
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
            e2e__refuse(e, slot, N_("une opération de chiffrement a échoué (OpenSSL)"));
            return;
        }
        cf.nproofs++;
    }
    p->st = PAIR_CONFIRMING;
    e2e__send(e, slot, &cf);
    OPENSSL_cleanse(&cf, sizeof cf);
    e2e__line(e, "[e2e] slot=%d code=%s (Lisez ce code \xc3\xa0 voix haute : %s)", slot, p->sas,
              p->sas);
    e2e__news(e, e->policy == E2E_SAS_ASK ? E2E_NEWS_CODE_ASK : E2E_NEWS_CODE, slot, p->sas);
    if (e->policy != E2E_SAS_ASK)
        e2e_sas_decide(e, slot, e->policy == E2E_SAS_CONFIRM, now_ms);
    else if (e->interactive)
        e2e__line(e,
                  "[e2e] slot=%d: if the other person reads the same code, type /oui (or /oui %d); "
                  "otherwise /non",
                  slot, slot);
    if (p->got_confirm)
        trust(e, slot, now_ms);
}

static void remember(struct e2e *e, int slot, int verified, const char *method)
{
    struct e2e_peer *p = &e->peers[slot];
    e2e__note_met(e, p->fp, verified);
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
static void trust(struct e2e *e, int slot, uint64_t now_ms)
{
    struct e2e_peer *p = &e->peers[slot];
    if (p->st != PAIR_CONFIRMING && p->st != PAIR_BLOCKED)
        return;
    if (p->sas_local < 0) {
        e2e__refuse(e, slot, N_("le code a été refusé sur cet appareil"));
        return;
    }
    int by_mac = p->mac_ok && !p->changed_key;
    int known = is_known(e, p->fp);
    if (!by_mac && !known && p->sas_local <= 0) {
        if (p->st != PAIR_BLOCKED) {
            p->st = PAIR_BLOCKED;
            if (e->policy == E2E_SAS_ASK)
                e2e__line(
                    e,
                    "[e2e] slot=%d not authenticated: nothing is sent to it until its code is "
                    "confirmed: type /oui %d once you compared it aloud (or join with "
                    "--confirm-sas)",
                    slot, slot);
            e2e__news(e, E2E_NEWS_BLOCKED, slot, NULL);
        }
        return;
    }
    p->st = PAIR_AUTH;
    p->await_peer = !by_mac && !known && !p->peer_confirmed && !p->has_stash;
    if (by_mac || known)
        e2e__line(e, "[e2e] slot=%d authenticated by=%s", slot, by_mac ? "invite" : "known");
    int verified = p->sas_local > 0 || known;
    if (verified)
        e2e__line(e, "[e2e] slot=%d verified", slot);
    /* One fact for the person: the strongest. */
    e2e__news(e, p->sas_local > 0 ? E2E_NEWS_VERIFIED
                 : known          ? E2E_NEWS_KNOWN
                                  : E2E_NEWS_INVITE,
              slot, NULL);
    remember(e, slot, verified, p->sas_local > 0 ? "sas" : by_mac ? "invite" : "known");
    e2e__send_key(e, slot);
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
        e2e__refuse(e, slot, N_("échange non conforme au protocole (confirmation inattendue)"));
        return;
    }
    if (p->st == PAIR_REVEALED) {
        /* Their reveal has not come: a confirm cannot precede it on one relay. */
        e2e__refuse(e, slot, N_("échange non conforme au protocole (confirmation avant les clés)"));
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
            e2e__refuse(e, slot, N_("une opération de chiffrement a échoué (OpenSSL)"));
            return;
        }
        for (int k = 0; k < m->nproofs; k++) {
            if (bp_ct_cmp(sid, m->proofs[k].sid, BP_SECRET_ID_LEN))
                continue; /* the sid is public: only the MAC needs constant time */
            if (bp_invite_mac(e->secrets[i], e->bilan, p->t, p->fp, want)) {
                e->failed = 1;
                e2e__refuse(e, slot, N_("une opération de chiffrement a échoué (OpenSSL)"));
                return;
            }
            int ok = bp_ct_cmp(want, m->proofs[k].mac, BP_MAC_LEN) == 0;
            OPENSSL_cleanse(want, sizeof want);
            if (!ok) {
                e2e__refuse(e, slot,
                            N_("sa preuve d'invitation est fausse : interception possible (les "
                               "codes diffèrent ; "
                               "n'allez pas plus loin, demandez une nouvelle invitation)"));
                return;
            }
            checked = 1;
        }
    }
    p->mac_ok = checked;
    p->known = is_known(e, p->fp);
    if (!checked && m->nproofs && !p->known)
        e2e__line(
            e,
            "[e2e] slot=%d: cet appareil est venu avec une autre invitation de ce bilan que "
            "celles que conna\xc3\xaet le v\xc3\xb4tre ; ce n'est pas une alerte : comparez le "
            "code \xc3\xa0 voix haute",
            slot);
    if (!checked && m->nproofs && !p->known)
        e2e__news(e, E2E_NEWS_OTHER_INVITE, slot, NULL);
    if (!p->mac_ok && !p->known && role_had_other(e, p->role, p->fp)) {
        p->changed_key = 1;
        e2e__line(
            e,
            "[e2e] WARNING slot=%d role=%s: changed key: this is not the device remembered for "
            "this role; nothing is exchanged with it until its code is confirmed",
            slot, bp_role_name(p->role));
        e2e__news(e, E2E_NEWS_CHANGED_KEY, slot, NULL);
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
            e2e__send_key(e, slot);
        }
        return;
    }
    if (p->st == PAIR_REFUSED)
        return;
    e2e__line(e, "[e2e] slot=%d sas rejected by=peer", slot);
    e2e__news(e, E2E_NEWS_REJECTED_BY_PEER, slot, NULL);
    e2e__refuse_ex(e, slot, N_("l'autre personne a refusé le code"), 0);
}

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
        return;          /* keys only from authenticated pairs */
    if (p->await_peer) { /* only a peer that trusts us sends keys */
        p->await_peer = 0;
        e2e__send_key(e, slot);
    }
    if (e2e__gen_slot(p, m->gen) >= 0)
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
        e2e__gen_wipe(&p->gens[idx]);
    }
    struct e2e_gen *g = &p->gens[idx];
    if (bp_senderkey_open(p->pair_key, e->bilan, p->fp, e->fp, m->gen, m->sealed, g->base)) {
        OPENSSL_cleanse(g, sizeof *g);
        e2e__line(e, "[e2e] slot=%d sent a key that does not authenticate (ignored)", slot);
        return;
    }
    g->used = 1;
    g->gen = m->gen;
    e2e__line(e, "[e2e] slot=%d keys gen=%llu", slot, (unsigned long long)m->gen);
    e2e__release_held(e, slot, now_ms);
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
    e2e__send(e, slot, &m);
    if (!confirmed) {
        e2e__line(e, "[e2e] slot=%d sas rejected by=us", slot);
        e2e__news(e, E2E_NEWS_REJECTED_BY_US, slot, NULL);
        e2e__refuse_ex(e, slot, N_("le code a été refusé sur cet appareil"),
                       0); /* the sas body said so */
        return;
    }
    if (p->st == PAIR_AUTH) { /* already authenticated (invite, known): now verified too */
        e2e__line(e, "[e2e] slot=%d verified", slot);
        e2e__news(e, E2E_NEWS_VERIFIED, slot, NULL);
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
        e2e__refuse(e, from,
                    N_("échange non conforme au protocole (message de liaison illisible)"));
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
        /* The machine line keeps the French source (as the wire does): the
         * same for every reader's locale. */
        snprintf(why, sizeof why, N_("l'autre appareil a mis fin à la liaison (%s)"), m.reason);
        e2e__refuse_ex(e, from, why, 0);
        /* The person is told too; the reason only when it is one of ours:
         * whoever relays the body must not put its own words on screen. */
        e2e__news(e, E2E_NEWS_ENDED_BY_PEER, from, known_reason(m.reason));
        break;
    }
    }
    OPENSSL_cleanse(&m, sizeof m);
}
