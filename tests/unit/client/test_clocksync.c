/* test_clocksync.c: the server clock estimate (client/clocksync.c): the
 * offset of the smallest round trip wins, slow samples do not move it, old
 * samples age out, nonsense is ignored. */
#include "../check.h"
#include "clocksync.h"

int main(void)
{
    struct clocksync c;
    int64_t off = 0;
    uint32_t rtt = 0;
    clocksync_init(&c);
    CHECK_EQ_INT(clocksync_offset(&c, &off, &rtt), 0);
    /* Server 1000 ms ahead; 20 ms round trip, symmetric. */
    CHECK_EQ_INT(clocksync_sample(&c, 5000, 5020, 6010), 1);
    CHECK_EQ_INT(clocksync_offset(&c, &off, &rtt), 1);
    CHECK_EQ_INT(off, 1000);
    CHECK_EQ_INT(rtt, 20);
    /* A slow, skewed sample (the reply waited 300 ms in a queue) does not move it. */
    CHECK_EQ_INT(clocksync_sample(&c, 6000, 6400, 7050), 1);
    CHECK_EQ_INT(clocksync_offset(&c, &off, &rtt), 1);
    CHECK_EQ_INT(off, 1000);
    /* A faster one does. */
    CHECK_EQ_INT(clocksync_sample(&c, 7000, 7004, 8003), 1);
    clocksync_offset(&c, &off, &rtt);
    CHECK_EQ_INT(off, 1001);
    CHECK_EQ_INT(rtt, 4);
    /* Nonsense is ignored. */
    CHECK_EQ_INT(clocksync_sample(&c, 9000, 8999, 1), 0);
    CHECK_EQ_INT(clocksync_sample(&c, 9000, 9000 + CLOCKSYNC_MAX_RTT_MS + 1, 1), 0);
    CHECK_EQ_INT(c.ignored, 2);
    clocksync_offset(&c, &off, &rtt);
    CHECK_EQ_INT(off, 1001);
    /* The best sample ages out after CLOCKSYNC_SAMPLES newer ones. */
    for (int i = 0; i < CLOCKSYNC_SAMPLES; i++)
        clocksync_sample(&c, 10000 + 100 * (uint64_t)i, 10010 + 100 * (uint64_t)i, 10005 + 100 * i - 500);
    clocksync_offset(&c, &off, &rtt);
    CHECK_EQ_INT(off, -500);
    CHECK_EQ_INT(rtt, 10);
    return check_report();
}
