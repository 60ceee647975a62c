/* clocksync.c: see clocksync.h. */
#include <string.h>

#include "clocksync.h"

void clocksync_init(struct clocksync *c)
{
    memset(c, 0, sizeof *c);
}

int clocksync_sample(struct clocksync *c, uint64_t t_send, uint64_t t_recv, int64_t server_ms)
{
    if (t_recv < t_send || t_recv - t_send > CLOCKSYNC_MAX_RTT_MS) {
        c->ignored++;
        return 0;
    }
    uint64_t mid = t_send + (t_recv - t_send) / 2;
    c->s[c->next].offset_ms = server_ms - (int64_t)mid;
    c->s[c->next].rtt_ms = (uint32_t)(t_recv - t_send);
    c->next = (c->next + 1) % CLOCKSYNC_SAMPLES;
    if (c->n < CLOCKSYNC_SAMPLES)
        c->n++;
    c->samples++;
    return 1;
}

int clocksync_offset(const struct clocksync *c, int64_t *offset_ms, uint32_t *rtt_ms)
{
    if (!c->n)
        return 0;
    unsigned best = 0;
    for (unsigned i = 1; i < c->n; i++)
        if (c->s[i].rtt_ms < c->s[best].rtt_ms)
            best = i;
    if (offset_ms)
        *offset_ms = c->s[best].offset_ms;
    if (rtt_ms)
        *rtt_ms = c->s[best].rtt_ms;
    return 1;
}
