/* ratelimit.h: failed-authentication counting per client address
 * (PROTOCOL.md §2.2).
 *
 * Owns a fixed table of RL_SLOTS entries: memory never grows with the number
 * of addresses an attacker can use; when the table is full the entry seen
 * least recently is evicted. Pure: time is passed in (seconds). */
#ifndef SERVER_RATELIMIT_H
#define SERVER_RATELIMIT_H

#include <stdint.h>

#define RL_SLOTS 1024
#define RL_ADDR_MAX 64     /* textual IPv6 with scope fits */

struct rl_entry {
    char addr[RL_ADDR_MAX];
    int64_t window_start;  /* time of the first failure of the current window */
    int64_t last_seen;
    uint32_t failures;
};

struct ratelimit {
    uint32_t limit;        /* failures allowed per window */
    int64_t window_s;
    uint32_t used;
    struct rl_entry e[RL_SLOTS];
};

void ratelimit_init(struct ratelimit *rl, uint32_t limit, int64_t window_s);
/* 1 when addr has used up its failures in the current window, else 0. */
int ratelimit_blocked(struct ratelimit *rl, const char *addr, int64_t now);
/* Counts one failure for addr. */
void ratelimit_fail(struct ratelimit *rl, const char *addr, int64_t now);

#endif
