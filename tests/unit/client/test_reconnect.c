/* test_reconnect.c: client/reconnect.c, the delays between reconnection
 * attempts with a fake clock: 0.5, 1, 2, 4, 8, 8... s, each shortened by at
 * most a fifth by the random spread; the last attempt at the window's end
 * and none after; a rejoin starts a new series; window 0 never retries. */
#include <string.h>

#include "../check.h"
#include "reconnect.h"

int main(void)
{
    struct reconnect r;
    memset(&r, 0, sizeof r);
    r.window_ms = 120000;
    CHECK(!reconnect_active(&r));
    CHECK_EQ_INT(reconnect_next(&r, 5, 0, NULL), -1); /* not lost: nothing to do */
    reconnect_lost(&r, 1000);
    CHECK(reconnect_active(&r));
    reconnect_lost(&r, 3000); /* the same series: its start stays */
    uint64_t now = 1000, left = 0;
    const int64_t want[] = {500, 1000, 2000, 4000, 8000, 8000, 8000};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        int64_t d = reconnect_next(&r, now, 0, &left);
        CHECK_EQ_INT(d, want[i]);
        CHECK_EQ_INT(left, 120000 - (now - 1000));
        now += (uint64_t)d;
    }
    /* The spread: never more, at most a fifth less. */
    struct reconnect s = {.window_ms = 120000};
    reconnect_lost(&s, 1);
    for (uint32_t rnd = 0; rnd < 5000; rnd += 7) {
        s.attempts = 4;
        int64_t d = reconnect_next(&s, 1, rnd, NULL);
        CHECK(d <= 8000 && d >= 6400);
    }
    /* The end of the window: one last attempt right at its end, then none. */
    int64_t d;
    while ((d = reconnect_next(&r, now, 0, &left)) >= 0)
        now += (uint64_t)d;
    CHECK_EQ_INT(now, 121000);
    CHECK_EQ_INT(left, 0);
    /* Back in: a new loss starts again at 0.5 s. */
    reconnect_ok(&r);
    CHECK(!reconnect_active(&r));
    reconnect_lost(&r, 200000);
    CHECK_EQ_INT(reconnect_next(&r, 200000, 0, NULL), 500);
    /* Window 0: never. */
    struct reconnect z = {.window_ms = 0};
    reconnect_lost(&z, 10);
    CHECK_EQ_INT(reconnect_next(&z, 10, 0, NULL), -1);
    return check_report();
}
