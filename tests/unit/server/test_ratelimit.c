/* test_ratelimit.c: server/ratelimit.c — failures per address in 60 s
 * windows, time passed in; bounded table with eviction. */
#include <stdio.h>

#include "../check.h"
#include "ratelimit.h"

static struct ratelimit rl; /* large: not on the stack */

int main(void)
{
    ratelimit_init(&rl, 10, 60);
    const char *a = "192.0.2.1", *b = "2001:db8::1";
    int64_t t = 1000;
    CHECK(!ratelimit_blocked(&rl, a, t));
    for (int i = 0; i < 9; i++)
        ratelimit_fail(&rl, a, t + i);
    CHECK(!ratelimit_blocked(&rl, a, t + 9));   /* 9 failures: still allowed */
    ratelimit_fail(&rl, a, t + 9);
    CHECK(ratelimit_blocked(&rl, a, t + 10));   /* 10 in the window: refused */
    CHECK(ratelimit_blocked(&rl, a, t + 59));
    CHECK(!ratelimit_blocked(&rl, b, t + 10));  /* other addresses unaffected */
    CHECK(!ratelimit_blocked(&rl, a, t + 60));  /* window passed */
    /* A failure after the window starts a new one from 1. */
    ratelimit_fail(&rl, a, t + 61);
    CHECK(!ratelimit_blocked(&rl, a, t + 62));
    for (int i = 0; i < 9; i++)
        ratelimit_fail(&rl, a, t + 62);
    CHECK(ratelimit_blocked(&rl, a, t + 62));
    /* A clock going backwards does not extend a block forever. */
    CHECK(!ratelimit_blocked(&rl, a, t));

    /* The table stays bounded: 5000 addresses fit in RL_SLOTS entries, and a
     * fresh blocked address is not the one evicted. */
    ratelimit_init(&rl, 3, 60);
    char addr[32];
    for (int i = 0; i < 5000; i++) {
        snprintf(addr, sizeof addr, "10.0.%d.%d", i / 256, i % 256);
        ratelimit_fail(&rl, addr, 2000 + i / 100);
    }
    CHECK(rl.used <= RL_SLOTS);
    for (int i = 0; i < 3; i++)
        ratelimit_fail(&rl, "198.51.100.7", 2050);
    CHECK(ratelimit_blocked(&rl, "198.51.100.7", 2051));
    for (int i = 0; i < 100; i++) {
        snprintf(addr, sizeof addr, "172.16.0.%d", i);
        ratelimit_fail(&rl, addr, 2052);
    }
    CHECK(ratelimit_blocked(&rl, "198.51.100.7", 2053));
    return check_report();
}
