/* reconnect.c: delays between reconnection attempts and when to give up
 * (see reconnect.h). */
#include "reconnect.h"

void reconnect_lost(struct reconnect *r, uint64_t now)
{
    if (!r->lost_ms) {
        r->lost_ms = now ? now : 1;
        r->attempts = 0;
    }
}

int64_t reconnect_next(struct reconnect *r, uint64_t now, uint32_t rnd, uint64_t *left_ms)
{
    uint64_t spent = now > r->lost_ms ? now - r->lost_ms : 0;
    uint64_t left = r->window_ms > spent ? r->window_ms - spent : 0;
    if (left_ms)
        *left_ms = left;
    if (!r->window_ms || !r->lost_ms || !left)
        return -1;
    uint64_t d = RECONNECT_FIRST_MS;
    for (int i = 0; i < r->attempts && d < RECONNECT_CAP_MS; i++)
        d *= 2;
    if (d > RECONNECT_CAP_MS)
        d = RECONNECT_CAP_MS;
    d -= d / 5 * (rnd % 1000) / 1000; /* up to a fifth sooner */
    if (d > left)
        d = left; /* one last attempt as the window ends */
    r->attempts++;
    return (int64_t)d;
}

void reconnect_ok(struct reconnect *r)
{
    r->lost_ms = 0;
    r->attempts = 0;
}

int reconnect_active(const struct reconnect *r)
{
    return r->lost_ms != 0;
}
