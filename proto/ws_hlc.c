/* ws_hlc.c: the hybrid logical clock (bp/ws_hlc.h). Owns nothing but the
 * arithmetic. Must never read a clock: now_ms comes from the caller. */
#include "bp/ws_hlc.h"

int bp_ws_hlc_cmp(const struct bp_ws_hlc *a, const struct bp_ws_hlc *b)
{
    if (a->ms != b->ms)
        return a->ms < b->ms ? -1 : 1;
    if (a->counter != b->counter)
        return a->counter < b->counter ? -1 : 1;
    return 0;
}

/* Sets the counter to n, or moves ms on by one when n does not fit: the
 * stamp stays larger than every stamp at the old ms. */
static void hlc_set_counter(struct bp_ws_hlc *c, uint64_t n)
{
    if (n > BP_WS_HLC_COUNTER_MAX) {
        c->ms++;
        c->counter = 0;
    } else {
        c->counter = (uint32_t)n;
    }
}

void bp_ws_hlc_local(struct bp_ws_hlc *c, uint64_t now_ms, struct bp_ws_hlc *stamp)
{
    if (now_ms > c->ms) {
        c->ms = now_ms;
        c->counter = 0;
    } else {
        hlc_set_counter(c, (uint64_t)c->counter + 1);
    }
    *stamp = *c;
}

void bp_ws_hlc_receive(struct bp_ws_hlc *c, const struct bp_ws_hlc *r, uint64_t now_ms)
{
    uint64_t ms = c->ms;
    if (r->ms > ms)
        ms = r->ms;
    if (now_ms > ms)
        ms = now_ms;
    int mine = ms == c->ms, theirs = ms == r->ms;
    uint64_t top;
    if (mine && theirs)
        top = c->counter > r->counter ? c->counter : r->counter;
    else if (mine)
        top = c->counter;
    else if (theirs)
        top = r->counter;
    else {
        c->ms = ms;
        c->counter = 0;
        return;
    }
    c->ms = ms;
    hlc_set_counter(c, top + 1);
}
