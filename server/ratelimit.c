/* ratelimit.c: fixed windows of failed attempts per address.
 *
 * A window opens at an address's first failure and lasts window_s; past
 * `limit` failures inside it the address is refused until the window has
 * passed (PROTOCOL.md §2.2: "on every attempt until the window has passed").
 * Linear scans of 1024 entries happen only on authentication attempts, which
 * are rare next to media, so a hash table would buy nothing measurable. */
#include <string.h>

#include "ratelimit.h"

void ratelimit_init(struct ratelimit *rl, uint32_t limit, int64_t window_s)
{
    memset(rl, 0, sizeof *rl);
    rl->limit = limit;
    rl->window_s = window_s;
}

static struct rl_entry *find(struct ratelimit *rl, const char *addr)
{
    for (uint32_t i = 0; i < rl->used; i++)
        if (!strncmp(rl->e[i].addr, addr, RL_ADDR_MAX))
            return &rl->e[i];
    return NULL;
}

static int expired(const struct ratelimit *rl, const struct rl_entry *e, int64_t now)
{
    return now - e->window_start >= rl->window_s || now < e->window_start;
}

int ratelimit_blocked(struct ratelimit *rl, const char *addr, int64_t now)
{
    struct rl_entry *e = find(rl, addr);
    if (!e || expired(rl, e, now))
        return 0;
    return e->failures >= rl->limit;
}

void ratelimit_fail(struct ratelimit *rl, const char *addr, int64_t now)
{
    struct rl_entry *e = find(rl, addr);
    if (!e) {
        if (rl->used < RL_SLOTS) {
            e = &rl->e[rl->used++];
        } else {
            /* Evict an expired window if there is one, else the stalest. */
            e = &rl->e[0];
            for (uint32_t i = 0; i < rl->used; i++) {
                if (expired(rl, &rl->e[i], now)) {
                    e = &rl->e[i];
                    break;
                }
                if (rl->e[i].last_seen < e->last_seen)
                    e = &rl->e[i];
            }
        }
        memset(e, 0, sizeof *e);
        strncpy(e->addr, addr, RL_ADDR_MAX - 1);
        e->window_start = now;
    } else if (expired(rl, e, now)) {
        e->window_start = now;
        e->failures = 0;
    }
    if (e->failures < UINT32_MAX)
        e->failures++;
    e->last_seen = now;
}
