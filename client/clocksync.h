/* clocksync.h: this device's estimate of the server's clock (PROTOCOL.md
 * §4.3), from `clock` round trips: offset = server_ms - (t_send + t_recv) / 2,
 * taken from the sample with the smallest round trip among the last
 * CLOCKSYNC_SAMPLES (the one least skewed by queueing on either way). Media
 * frame headers carry capture times in the server's clock, so two devices
 * with unrelated clocks can measure capture-to-render latency.
 *
 * Pure: times are passed in (local ms, monotonic). Must never: let one slow
 * round trip move the estimate (only a smaller one, or the sample it came
 * from ageing out, changes it). */
#ifndef CLIENT_CLOCKSYNC_H
#define CLIENT_CLOCKSYNC_H

#include <stdint.h>

#define CLOCKSYNC_SAMPLES 8
#define CLOCKSYNC_MAX_RTT_MS 5000 /* a longer round trip says nothing useful: ignored */

struct clocksync {
    struct {
        int64_t offset_ms;
        uint32_t rtt_ms;
    } s[CLOCKSYNC_SAMPLES];
    unsigned n, next;
    uint64_t samples, ignored;
};

void clocksync_init(struct clocksync *c);
/* One round trip: request sent at t_send, reply with server_ms read at
 * t_recv (local ms). Returns 1 when kept, 0 when ignored (t_recv before
 * t_send, or a round trip over CLOCKSYNC_MAX_RTT_MS). */
int clocksync_sample(struct clocksync *c, uint64_t t_send, uint64_t t_recv, int64_t server_ms);
/* 1 with *offset_ms (server ms = local ms + offset) and *rtt_ms of the
 * sample used, 0 before any sample. */
int clocksync_offset(const struct clocksync *c, int64_t *offset_ms, uint32_t *rtt_ms);

#endif
