/* test_ratelimit.c: server/ratelimit.c — failures per address in 60 s
 * windows, time passed in; a bounded table that never forgets a live window
 * (new addresses share one overflow entry when it is full); a sliding global
 * ceiling that address rotation cannot multiply. */
#include <stdio.h>

#include "../check.h"
#include "ratelimit.h"

static struct ratelimit rl; /* large: not on the stack */

static void addr_of(int i, char *out, size_t cap)
{
    snprintf(out, cap, "10.%d.%d.%d", (i >> 16) & 255, (i >> 8) & 255, i & 255);
}

static void test_per_address(void)
{
    ratelimit_init(&rl, 10, 60);
    ratelimit_set_global(&rl, RL_GLOBAL_MAX);
    const char *a = "192.0.2.1", *b = "2001:db8::/64";
    int64_t t = 1000;
    CHECK(!ratelimit_blocked(&rl, a, t));
    for (int i = 0; i < 9; i++)
        ratelimit_fail(&rl, a, t + i, 1);
    CHECK(!ratelimit_blocked(&rl, a, t + 9));   /* 9 failures: still allowed */
    ratelimit_fail(&rl, a, t + 9, 1);
    CHECK(ratelimit_blocked(&rl, a, t + 10));   /* 10 in the window: refused */
    CHECK(ratelimit_blocked(&rl, a, t + 59));
    CHECK(!ratelimit_blocked(&rl, b, t + 10));  /* other addresses unaffected */
    CHECK(!ratelimit_blocked(&rl, a, t + 60));  /* window passed */
    /* A failure after the window starts a new one from 1. */
    ratelimit_fail(&rl, a, t + 61, 1);
    CHECK(!ratelimit_blocked(&rl, a, t + 62));
    for (int i = 0; i < 9; i++)
        ratelimit_fail(&rl, a, t + 62, 0);      /* counted for the address even when not globally */
    CHECK(ratelimit_blocked(&rl, a, t + 62));
    /* A clock going backwards does not extend a block forever. */
    CHECK(!ratelimit_blocked(&rl, a, t));
}

/* The table never evicts a live window: an address that used up its
 * failures stays limited however many addresses come after it. */
static void test_no_eviction_and_overflow(void)
{
    char addr[32];
    ratelimit_init(&rl, 3, 60);
    ratelimit_set_global(&rl, RL_GLOBAL_MAX);
    for (int i = 0; i < 3; i++)
        ratelimit_fail(&rl, "198.51.100.7", 2000, 0);   /* the oldest entry of all */
    CHECK(ratelimit_blocked(&rl, "198.51.100.7", 2000));
    for (int i = 0; i < RL_SLOTS - 1; i++) {
        addr_of(i, addr, sizeof addr);
        ratelimit_fail(&rl, addr, 2001, 0);
    }
    CHECK_EQ_INT(rl.used, RL_SLOTS);
    CHECK_EQ_INT(rl.overflow_failures, 0);
    /* Full of live windows: 5000 more addresses go to the overflow entry. */
    for (int i = RL_SLOTS; i < RL_SLOTS + 5000; i++) {
        addr_of(i, addr, sizeof addr);
        ratelimit_fail(&rl, addr, 2002, 0);
    }
    CHECK_EQ_INT(rl.used, RL_SLOTS);
    CHECK_EQ_INT(rl.overflow_failures, 5000);
    CHECK(ratelimit_blocked(&rl, "198.51.100.7", 2003));   /* not forgotten */
    addr_of(5, addr, sizeof addr);
    CHECK(!ratelimit_blocked(&rl, addr, 2003));             /* in the table, 1 failure */
    /* The overflow entry is limited like one address: a new address is
     * limited, since it would share it. */
    CHECK(ratelimit_blocked(&rl, "203.0.113.99", 2003));

    /* Overflow entry alone: exactly `limit` failures from three addresses
     * the table cannot hold, then the fourth is limited. */
    ratelimit_init(&rl, 3, 60);
    for (int i = 0; i < RL_SLOTS; i++) {
        addr_of(i, addr, sizeof addr);
        ratelimit_fail(&rl, addr, 3000, 0);
    }
    CHECK(!ratelimit_blocked(&rl, "203.0.113.1", 3001));
    ratelimit_fail(&rl, "203.0.113.1", 3001, 0);
    ratelimit_fail(&rl, "203.0.113.2", 3001, 0);
    CHECK(!ratelimit_blocked(&rl, "203.0.113.3", 3001));
    ratelimit_fail(&rl, "203.0.113.3", 3001, 0);
    CHECK(ratelimit_blocked(&rl, "203.0.113.4", 3001));
    CHECK(ratelimit_blocked(&rl, "203.0.113.1", 3059));
    /* Once windows pass, entries are reused (the table stays bounded) and
     * a new address starts afresh. */
    CHECK(!ratelimit_blocked(&rl, "203.0.113.4", 3060));
    ratelimit_fail(&rl, "203.0.113.4", 3060, 0);
    CHECK_EQ_INT(rl.used, RL_SLOTS);
    CHECK_EQ_INT(rl.overflow_failures, 3);          /* it got a table entry of its own */
    CHECK(!ratelimit_blocked(&rl, "203.0.113.4", 3060));
}

/* Sliding global ceiling: each counted failure holds one of global_limit
 * places for exactly window_s seconds. */
static void test_global(void)
{
    char addr[32];
    ratelimit_init(&rl, 10, 60);
    CHECK_EQ_INT(rl.global_limit, RL_GLOBAL_DEFAULT);
    ratelimit_set_global(&rl, 0);
    CHECK_EQ_INT(rl.global_limit, 1);
    ratelimit_set_global(&rl, RL_GLOBAL_MAX + 1);
    CHECK_EQ_INT(rl.global_limit, RL_GLOBAL_MAX);
    ratelimit_set_global(&rl, 5);
    for (int i = 0; i < 4; i++) {
        addr_of(i, addr, sizeof addr);
        ratelimit_fail(&rl, addr, 100 + i, 1);
        CHECK(!ratelimit_global_blocked(&rl, 100 + i));
    }
    ratelimit_fail(&rl, "192.0.2.50", 130, 0);   /* not answered: not counted globally */
    CHECK(!ratelimit_global_blocked(&rl, 130));
    ratelimit_fail(&rl, "192.0.2.51", 130, 1);   /* fifth */
    CHECK(ratelimit_global_blocked(&rl, 130));
    CHECK(ratelimit_global_blocked(&rl, 159));    /* the first is 59 s old */
    CHECK(!ratelimit_global_blocked(&rl, 160));   /* the first has aged out: one place */
    ratelimit_fail(&rl, "192.0.2.52", 160, 1);
    CHECK(ratelimit_global_blocked(&rl, 160));
    CHECK(!ratelimit_global_blocked(&rl, 161));   /* the second (t=101) aged out */
    CHECK(!ratelimit_blocked(&rl, "192.0.2.52", 161));  /* per address: 1 of 10 */
}

/* An attacker rotating through 20000 addresses, 50 attempts a second for
 * 10 minutes, against the server's policy (conn.c): an attempt is answered
 * (and counted globally) only when neither its address nor the global
 * ceiling is limited. In every 60 s, at most global_limit are answered. */
static void test_rotation(void)
{
    enum { G = 100, SECONDS = 600, RATE = 50 };
    static int64_t answered_at[SECONDS * RATE];
    char addr[32];
    int answered = 0;
    ratelimit_init(&rl, 10, 60);
    ratelimit_set_global(&rl, G);
    for (int t = 0; t < SECONDS; t++) {
        for (int j = 0; j < RATE; j++) {
            addr_of((t * RATE + j) % 20000, addr, sizeof addr);
            int64_t now = 5000 + t;
            if (ratelimit_blocked(&rl, addr, now) || ratelimit_global_blocked(&rl, now))
                continue;
            ratelimit_fail(&rl, addr, now, 1);
            answered_at[answered++] = now;
        }
    }
    int worst = 0;
    for (int i = 0, j = 0; i < answered; i++) {
        while (answered_at[i] - answered_at[j] >= 60)
            j++;
        if (i - j + 1 > worst)
            worst = i - j + 1;
    }
    printf("rotation: %d of %d attempts answered in %d s; at most %d in any 60 s\n", answered,
           SECONDS * RATE, SECONDS, worst);
    CHECK(worst <= G);
    CHECK_EQ_INT(worst, G);                        /* the ceiling is reached, not lower */
    CHECK(answered <= G * (SECONDS / 60));
}

int main(void)
{
    test_per_address();
    test_no_eviction_and_overflow();
    test_global();
    test_rotation();
    return check_report();
}
