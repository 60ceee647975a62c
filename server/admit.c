/* admit.c: connection caps per address and in total (see admit.h).
 *
 * Two tables, both allocated once: the connections (max_conns entries, a free
 * list) and the addresses that hold at least one connection (open addressing
 * with linear probing and backward-shift deletion, at most half full, hashed
 * with a per-process random seed so that chosen IPv6 prefixes cannot pile up
 * on one probe chain). Eviction scans the connections: it happens only when
 * the strangers' total is reached, and costs far less than the TLS handshake
 * that brought the newcomer. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admit.h"

#define NONE UINT32_MAX

int admit_limits(uint64_t nofile, uint32_t unauth_total_opt, uint32_t per_addr_opt, uint32_t *max_conns,
                 uint32_t *unauth_total, uint32_t *per_addr, char *why, size_t why_len)
{
    if (nofile < ADMIT_FD_MIN) {
        snprintf(why, why_len, "the open-file limit is %llu; bilan-server needs at least %d "
                 "(raise it with ulimit -n or LimitNOFILE=)", (unsigned long long)nofile, ADMIT_FD_MIN);
        return -1;
    }
    uint64_t m = nofile - ADMIT_FD_SPARE;
    if (m > ADMIT_CONNS_MAX)
        m = ADMIT_CONNS_MAX;
    uint32_t most = (uint32_t)(m - m / 4);
    *max_conns = (uint32_t)m;
    /* By default half the descriptors, but no more than memory should pay
     * for: a stranger costs about 32 KiB (measured: 1000 cost 31 MiB). */
    *unauth_total = unauth_total_opt ? unauth_total_opt
                    : m / 2 < ADMIT_UNAUTH_DEFAULT_MAX ? (uint32_t)(m / 2) : ADMIT_UNAUTH_DEFAULT_MAX;
    if (*unauth_total > most) {
        snprintf(why, why_len, "--unauth-total %u: with %llu open files the server takes %u connections, "
                 "and at least a quarter of them stay for signed-in members; give at most %u, "
                 "or raise the open-file limit", unauth_total_opt, (unsigned long long)nofile, *max_conns, most);
        return -1;
    }
    *per_addr = per_addr_opt ? per_addr_opt : ADMIT_PER_ADDR_DEFAULT;
    if (*per_addr > *unauth_total) {
        if (per_addr_opt) {
            snprintf(why, why_len, "--unauth-per-address %u is more than the %u connections all "
                     "addresses together may hold before signing in (--unauth-total)", per_addr_opt,
                     *unauth_total);
            return -1;
        }
        *per_addr = *unauth_total;
    }
    return 0;
}

/* ---- Addresses ---- */

static uint32_t key_hash(const struct admit *ad, const struct admit_key *k)
{
    uint64_t a, b;
    memcpy(&a, k->b, 8);
    memcpy(&b, k->b + 8, 8);
    uint64_t h = ad->seed ^ a;
    h *= 0x9e3779b97f4a7c15ull;
    h ^= h >> 29;
    h ^= b;
    h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 32;
    return (uint32_t)h & ad->a_mask;
}

/* The slot of k, or (create) a free slot made k's, or NULL. */
static struct admit_addr *addr_find(struct admit *ad, const struct admit_key *k, int create)
{
    for (uint32_t i = key_hash(ad, k);; i = (i + 1) & ad->a_mask) {
        struct admit_addr *a = &ad->a[i];
        if (!a->all) {
            if (!create)
                return NULL;
            a->key = *k;
            a->strangers = 0;
            return a;
        }
        if (!memcmp(a->key.b, k->b, sizeof k->b))
            return a;
    }
}

/* Frees slot a (its count reached zero) and closes the probe gap behind it. */
static void addr_delete(struct admit *ad, struct admit_addr *a)
{
    uint32_t i = (uint32_t)(a - ad->a), j = i;
    for (;;) {
        j = (j + 1) & ad->a_mask;
        if (!ad->a[j].all)
            break;
        uint32_t home = key_hash(ad, &ad->a[j].key);
        /* Stays when its home lies cyclically in (i, j]. */
        if (i <= j ? (i < home && home <= j) : (i < home || home <= j))
            continue;
        ad->a[i] = ad->a[j];
        i = j;
    }
    memset(&ad->a[i], 0, sizeof ad->a[i]);
}

uint32_t admit_strangers(const struct admit *ad, const struct admit_key *k)
{
    struct admit_addr *a = addr_find((struct admit *)ad, k, 0);
    return a ? a->strangers : 0;
}

/* ---- Connections ---- */

int admit_init(struct admit *ad, uint32_t max_conns, uint32_t unauth_total, uint32_t per_addr, uint64_t seed)
{
    memset(ad, 0, sizeof *ad);
    ad->seed = seed;
    uint32_t cap = 16;
    while (cap < 2 * (uint64_t)max_conns)
        cap *= 2;
    ad->c = calloc(max_conns ? max_conns : 1, sizeof *ad->c);
    ad->a = calloc(cap, sizeof *ad->a);
    if (!ad->c || !ad->a) {
        admit_free(ad);
        return -1;
    }
    ad->a_mask = cap - 1;
    ad->max_conns = max_conns;
    ad->unauth_total = unauth_total;
    ad->per_addr = per_addr;
    for (uint32_t i = 0; i < max_conns; i++)
        ad->c[i].next_free = i + 1 < max_conns ? i + 1 : NONE;
    ad->free_head = max_conns ? 0 : NONE;
    return 0;
}

void admit_free(struct admit *ad)
{
    free(ad->c);
    free(ad->a);
    ad->c = NULL;
    ad->a = NULL;
    ad->max_conns = 0;
    ad->free_head = NONE;
}

/* The oldest stranger of the address that holds the most strangers. */
static int pick_victim(struct admit *ad)
{
    int best = -1;
    uint32_t best_n = 0;
    for (uint32_t i = 0; i < ad->max_conns; i++) {
        struct admit_conn *c = &ad->c[i];
        if (c->state != ADMIT_STRANGER)
            continue;
        uint32_t n = admit_strangers(ad, &c->key);
        if (best < 0 || n > best_n || (n == best_n && c->since_ms < ad->c[best].since_ms)) {
            best = (int)i;
            best_n = n;
        }
    }
    return best;
}

int admit_accept(struct admit *ad, const struct admit_key *k, int64_t now_ms, int *victim)
{
    *victim = -1;
    if (ad->n_all >= ad->max_conns || ad->free_head == NONE) {
        ad->st.refused_full++;
        return ADMIT_REFUSED_FULL;
    }
    if (admit_strangers(ad, k) >= ad->per_addr) {
        ad->st.refused_addr++;
        return ADMIT_REFUSED_ADDR;
    }
    if (ad->n_strangers >= ad->unauth_total) {
        int v = pick_victim(ad);
        if (v < 0) {
            ad->st.refused_full++;
            return ADMIT_REFUSED_FULL;
        }
        struct admit_conn *vc = &ad->c[v];
        addr_find(ad, &vc->key, 0)->strangers--;
        ad->n_strangers--;
        vc->state = ADMIT_EVICTED;
        ad->st.evicted++;
        *victim = v;
    }
    uint32_t id = ad->free_head;
    struct admit_conn *c = &ad->c[id];
    ad->free_head = c->next_free;
    memset(c, 0, sizeof *c);
    c->key = *k;
    c->since_ms = now_ms;
    c->state = ADMIT_STRANGER;
    c->next_free = NONE;
    struct admit_addr *a = addr_find(ad, k, 1);
    a->strangers++;
    a->all++;
    ad->n_all++;
    ad->n_strangers++;
    ad->st.accepted++;
    return (int)id;
}

static struct admit_conn *live(const struct admit *ad, int id)
{
    if (id < 0 || (uint32_t)id >= ad->max_conns || ad->c[id].state == ADMIT_FREE)
        return NULL;
    return &ad->c[id];
}

void admit_authenticated(struct admit *ad, int id)
{
    struct admit_conn *c = live(ad, id);
    if (!c || c->state != ADMIT_STRANGER)
        return;
    addr_find(ad, &c->key, 0)->strangers--;
    ad->n_strangers--;
    c->state = ADMIT_WELCOMED;
}

int admit_release(struct admit *ad, int id)
{
    struct admit_conn *c = live(ad, id);
    if (!c) {
        ad->st.errors++;
        return -1;
    }
    struct admit_addr *a = addr_find(ad, &c->key, 0);
    if (c->state == ADMIT_STRANGER) {
        a->strangers--;
        ad->n_strangers--;
    }
    if (--a->all == 0)
        addr_delete(ad, a);
    ad->n_all--;
    ad->st.released++;
    memset(c, 0, sizeof *c);
    c->next_free = ad->free_head;
    ad->free_head = (uint32_t)id;
    return 0;
}

void admit_set_handles(struct admit *ad, int id, void *transport, void *conn)
{
    struct admit_conn *c = live(ad, id);
    if (c) {
        c->transport = transport;
        c->conn = conn;
    }
}

const struct admit_conn *admit_get(const struct admit *ad, int id)
{
    return live(ad, id);
}

/* ---- Keys ---- */

int admit_key_from_sockaddr(const struct sockaddr *sa, socklen_t len, struct admit_key *k)
{
    memset(k, 0, sizeof *k);
    if (sa->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)(const void *)sa;
        k->b[10] = k->b[11] = 0xff;
        memcpy(k->b + 12, &s4->sin_addr, 4);
        return 0;
    }
    if (sa->sa_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6)) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)(const void *)sa;
        if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
            memcpy(k->b, &s6->sin6_addr, 16);   /* a whole IPv4 address */
        } else {
            memcpy(k->b, &s6->sin6_addr, 8);    /* its /64 */
        }
        return 0;
    }
    return -1;
}

void admit_key_text(const struct admit_key *k, char *out, size_t cap)
{
    static const uint8_t v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    char buf[INET6_ADDRSTRLEN];
    if (!memcmp(k->b, v4mapped, sizeof v4mapped)) {
        if (inet_ntop(AF_INET, k->b + 12, buf, sizeof buf))
            snprintf(out, cap, "%s", buf);
        else
            snprintf(out, cap, "?");
        return;
    }
    if (inet_ntop(AF_INET6, k->b, buf, sizeof buf))
        snprintf(out, cap, "%s/64", buf);
    else
        snprintf(out, cap, "?");
}
