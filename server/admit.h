/* admit.h: admission of connections by client address, from TCP accept to
 * close (README "Limits", PROTOCOL.md §1).
 *
 * Owns the table of accepted connections and the count of each address's
 * connections. A connection is a *stranger* from accept until it is welcomed
 * (admit_authenticated). Three caps, checked at accept:
 *   - at most max_conns connections in all: the descriptors the process can
 *     spare, so that accept() never meets EMFILE;
 *   - at most per_addr strangers per address;
 *   - at most unauth_total strangers in all. A new stranger that would pass
 *     it evicts the oldest stranger of the address holding the most, so a
 *     crowd of addresses holding the total cannot shut out a new address;
 *     what is left (max_conns - unauth_total) only welcomed connections use.
 * Every admitted connection is released exactly once; a second release of
 * the same id is refused and counted (admit_stats.errors), never a crash.
 *
 * Pure: no sockets (addresses arrive as struct sockaddr and become keys),
 * time is passed in, memory is allocated once by admit_init(). */
#ifndef SERVER_ADMIT_H
#define SERVER_ADMIT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define ADMIT_FD_SPARE 32            /* descriptors kept for files, the listener and accept() */
#define ADMIT_FD_MIN 64              /* smallest open-file limit the server runs with */
#define ADMIT_PER_ADDR_DEFAULT 8     /* --unauth-per-address */
#define ADMIT_PER_ADDR_MAX 1000
#define ADMIT_CONNS_MAX 65536        /* connections in all, whatever the open-file limit */
#define ADMIT_UNAUTH_DEFAULT_MAX 4096 /* default strangers in all: about 32 KiB each (TLS, lws buffers) */

/* IPv4 addresses as ::ffff:a.b.c.d; IPv6 addresses keep their /64 prefix
 * only, since one subscriber commonly holds a whole /64. */
struct admit_key {
    uint8_t b[16];
};

/* Refusals of admit_accept(). */
#define ADMIT_REFUSED_ADDR (-1)      /* the address already holds per_addr strangers */
#define ADMIT_REFUSED_FULL (-2)      /* max_conns connections are open */

enum admit_state { ADMIT_FREE = 0, ADMIT_STRANGER, ADMIT_WELCOMED, ADMIT_EVICTED };

struct admit_conn {
    struct admit_key key;
    int64_t since_ms;                /* accepted at */
    void *transport;                 /* the caller's handles (struct lws *, struct conn *) */
    void *conn;
    uint32_t next_free;
    uint8_t state;                   /* enum admit_state */
};

struct admit_addr {
    struct admit_key key;
    uint32_t strangers, all;         /* all == 0: free slot */
};

struct admit_stats {
    uint64_t accepted, released, refused_addr, refused_full, evicted, errors;
};

struct admit {
    uint32_t max_conns, unauth_total, per_addr;
    uint32_t n_all, n_strangers;
    struct admit_conn *c;            /* max_conns entries */
    uint32_t free_head;              /* UINT32_MAX: none */
    struct admit_addr *a;            /* open addressing, a_mask + 1 slots (a power of two) */
    uint32_t a_mask;
    uint64_t seed;                   /* of the address hash: random per process */
    struct admit_stats st;
};

/* The caps for an open-file limit of nofile descriptors:
 *   max_conns    = nofile - ADMIT_FD_SPARE, at most ADMIT_CONNS_MAX
 *   unauth_total = the option when non-zero, else min(max_conns / 2, ADMIT_UNAUTH_DEFAULT_MAX);
 *                  at most max_conns - max_conns / 4
 *   per_addr     = the option when non-zero, else ADMIT_PER_ADDR_DEFAULT; at most unauth_total
 * Returns 0, or -1 with a sentence in why (a limit below ADMIT_FD_MIN, an
 * option out of range). */
int admit_limits(uint64_t nofile, uint32_t unauth_total_opt, uint32_t per_addr_opt, uint32_t *max_conns,
                 uint32_t *unauth_total, uint32_t *per_addr, char *why, size_t why_len);

/* seed: random bytes, so that a peer cannot choose addresses that collide in
 * the address table. 0, or -1 when out of memory. */
int admit_init(struct admit *ad, uint32_t max_conns, uint32_t unauth_total, uint32_t per_addr, uint64_t seed);
void admit_free(struct admit *ad);

/* A TCP connection from k was accepted at now_ms. Returns its id (>= 0), or
 * ADMIT_REFUSED_ADDR / ADMIT_REFUSED_FULL: the caller closes the socket.
 * *victim is -1, or the id of a stranger evicted to make room: it no longer
 * counts as a stranger, and the caller must close it (it is released when it
 * is gone, like any other). */
int admit_accept(struct admit *ad, const struct admit_key *k, int64_t now_ms, int *victim);
/* id was welcomed: it no longer counts as a stranger. No effect on an
 * evicted connection. */
void admit_authenticated(struct admit *ad, int id);
/* id is closed. 0, or -1 (counted in errors) when id is not admitted. */
int admit_release(struct admit *ad, int id);

void admit_set_handles(struct admit *ad, int id, void *transport, void *conn);
/* NULL when id is not admitted. */
const struct admit_conn *admit_get(const struct admit *ad, int id);
/* Strangers currently counted for k. */
uint32_t admit_strangers(const struct admit *ad, const struct admit_key *k);

/* The key of a peer address (AF_INET or AF_INET6); -1 for another family. */
int admit_key_from_sockaddr(const struct sockaddr *sa, socklen_t len, struct admit_key *k);
/* "192.0.2.7", or "2001:db8:1:2::/64". cap >= 64. */
void admit_key_text(const struct admit_key *k, char *out, size_t cap);

#endif
