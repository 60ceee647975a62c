/* ratelimit.h: failed-authentication counting per client address and across
 * all addresses (PROTOCOL.md §2.2, README "Limits").
 *
 * Owns a fixed table of RL_SLOTS per-address entries, one shared overflow
 * entry and a ring of the times of the last `global_limit` counted failures:
 * memory never grows with the number of addresses an attacker can use, and
 * rotating addresses never buys more failures than the global ceiling.
 * An entry still inside its window is never evicted: when the table is full of
 * live entries, new addresses share the overflow entry, limited like a single
 * address. Pure: time is passed in (seconds, monotonic). */
#ifndef SERVER_RATELIMIT_H
#define SERVER_RATELIMIT_H

#include <stdint.h>

#ifndef RL_SLOTS
#define RL_SLOTS 1024      /* addresses tracked one by one */
#endif
#define RL_ADDR_MAX 64     /* textual IPv6 with scope fits */
#define RL_GLOBAL_DEFAULT 100 /* global ceiling per window (--auth-failures-global) */
#define RL_GLOBAL_MAX 10000   /* the largest one allowed */

struct rl_entry {
    char addr[RL_ADDR_MAX];
    int64_t window_start;  /* time of the first failure of the current window */
    uint32_t failures;
};

struct ratelimit {
    uint32_t limit;        /* failures allowed per address (or the overflow) per window */
    uint32_t global_limit; /* counted failures allowed across all addresses per window */
    int64_t window_s;
    uint32_t used;
    struct rl_entry e[RL_SLOTS];
    struct rl_entry overflow;          /* shared by addresses the full table cannot hold */
    uint64_t overflow_failures;        /* total counted in the overflow entry (for logs/tests) */
    /* The last global_limit counted failures, oldest at g_head once full. */
    int64_t g_times[RL_GLOBAL_MAX];
    uint32_t g_count, g_head;
};

/* limit failures per address per window_s; the global ceiling starts at
 * RL_GLOBAL_DEFAULT. */
void ratelimit_init(struct ratelimit *rl, uint32_t limit, int64_t window_s);
/* Sets the global ceiling, clamped to 1..RL_GLOBAL_MAX, and forgets the
 * global failures counted so far. */
void ratelimit_set_global(struct ratelimit *rl, uint32_t global_limit);
/* 1 when addr (or the overflow entry it would share) has used up its
 * failures in the current window, else 0. */
int ratelimit_blocked(struct ratelimit *rl, const char *addr, int64_t now);
/* 1 when global_limit failures were counted globally in the last window_s
 * seconds (a sliding window: each failure counts for window_s seconds). */
int ratelimit_global_blocked(const struct ratelimit *rl, int64_t now);
/* Counts one failure for addr and, when global is non-zero, for the global
 * ceiling. The caller counts globally only the failures it answered with
 * their own code (PROTOCOL.md §2.2). */
void ratelimit_fail(struct ratelimit *rl, const char *addr, int64_t now, int global);

#endif
