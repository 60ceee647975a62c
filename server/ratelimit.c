/* ratelimit.c: fixed windows of failed attempts per address, one shared
 * overflow window, and a sliding global ceiling.
 *
 * Per address: a window opens at the address's first failure and lasts
 * window_s; past `limit` failures inside it the address is limited until the
 * window has passed (PROTOCOL.md §2.2).
 * The table never forgets a live window: an entry is reused only once its
 * window has passed. When all RL_SLOTS entries are live, an address that is
 * not in the table is counted in the one overflow entry, which is limited like
 * a single address: rotating through more addresses than the table holds buys
 * nothing.
 * Globally: the times of the last global_limit counted failures are kept in a
 * ring; when the oldest of them is less than window_s old, the ceiling is
 * reached. So at most global_limit counted failures fall in any window_s
 * seconds, whatever the number of addresses.
 * Linear scans of 1024 entries happen only on authentication attempts, which
 * are rare next to media, so a hash table would buy nothing measurable. */
#include <string.h>

#include "ratelimit.h"

void ratelimit_init(struct ratelimit *rl, uint32_t limit, int64_t window_s)
{
    memset(rl, 0, sizeof *rl);
    rl->limit = limit;
    rl->window_s = window_s;
    ratelimit_set_global(rl, RL_GLOBAL_DEFAULT);
}

void ratelimit_set_global(struct ratelimit *rl, uint32_t global_limit)
{
    rl->global_limit = global_limit < 1 ? 1 : global_limit > RL_GLOBAL_MAX ? RL_GLOBAL_MAX : global_limit;
    rl->g_count = rl->g_head = 0;
}

static int expired(const struct ratelimit *rl, const struct rl_entry *e, int64_t now)
{
    /* A clock going backwards ends a window rather than extending it. */
    return now - e->window_start >= rl->window_s || now < e->window_start;
}

static struct rl_entry *find(struct ratelimit *rl, const char *addr)
{
    for (uint32_t i = 0; i < rl->used; i++)
        if (!strncmp(rl->e[i].addr, addr, RL_ADDR_MAX))
            return &rl->e[i];
    return NULL;
}

/* A free or expired entry, or NULL when every entry holds a live window. */
static struct rl_entry *room_for(struct ratelimit *rl, int64_t now)
{
    if (rl->used < RL_SLOTS)
        return &rl->e[rl->used];
    for (uint32_t i = 0; i < rl->used; i++)
        if (expired(rl, &rl->e[i], now))
            return &rl->e[i];
    return NULL;
}

int ratelimit_blocked(struct ratelimit *rl, const char *addr, int64_t now)
{
    struct rl_entry *e = find(rl, addr);
    if (!e && room_for(rl, now))
        return 0;    /* its first failure would open a fresh window */
    if (!e)
        e = &rl->overflow;
    if (expired(rl, e, now))
        return 0;
    return e->failures >= rl->limit;
}

int ratelimit_global_blocked(const struct ratelimit *rl, int64_t now)
{
    if (rl->g_count < rl->global_limit)
        return 0;
    int64_t oldest = rl->g_times[rl->g_head];
    return now >= oldest && now - oldest < rl->window_s;
}

void ratelimit_fail(struct ratelimit *rl, const char *addr, int64_t now, int global)
{
    struct rl_entry *e = find(rl, addr);
    if (!e) {
        e = room_for(rl, now);
        if (e) {
            if (e == &rl->e[rl->used])
                rl->used++;
            memset(e, 0, sizeof *e);
            strncpy(e->addr, addr, RL_ADDR_MAX - 1);
            e->window_start = now;
        } else {
            e = &rl->overflow;
            rl->overflow_failures++;
        }
    }
    if (expired(rl, e, now)) {
        e->window_start = now;
        e->failures = 0;
    }
    if (e->failures < UINT32_MAX)
        e->failures++;
    if (global) {
        rl->g_times[rl->g_head] = now;
        rl->g_head = (rl->g_head + 1) % rl->global_limit;
        if (rl->g_count < rl->global_limit)
            rl->g_count++;
    }
}
