/* test_admit.c: server/admit.c — the caps of connections per address and in
 * total, eviction of the oldest stranger of the heaviest address, exactly-once
 * release, the address keys (IPv4, IPv4-mapped, IPv6 /64) and the limits
 * derived from the open-file limit. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/un.h>

#include "../check.h"
#include "admit.h"

static struct admit_key key(int i)
{
    struct admit_key k;
    memset(&k, 0, sizeof k);
    k.b[10] = k.b[11] = 0xff;
    k.b[12] = 198;
    k.b[13] = 51;
    k.b[14] = (uint8_t)(i >> 8);
    k.b[15] = (uint8_t)i;
    return k;
}

static void test_limits(void)
{
    uint32_t m, t, p;
    char why[256];
    CHECK(admit_limits(63, 0, 0, &m, &t, &p, why, sizeof why) < 0);
    CHECK(strstr(why, "at least 64") != NULL);
    CHECK_EQ_INT(admit_limits(64, 0, 0, &m, &t, &p, why, sizeof why), 0);
    CHECK(m == 32 && t == 16 && p == 8);
    CHECK_EQ_INT(admit_limits(1024, 0, 0, &m, &t, &p, why, sizeof why), 0);
    CHECK(m == 992 && t == 496 && p == 8);
    CHECK_EQ_INT(admit_limits(20000, 0, 0, &m, &t, &p, why, sizeof why), 0);
    CHECK(m == 19968 && t == ADMIT_UNAUTH_DEFAULT_MAX && p == 8);   /* not 9984: memory */
    CHECK_EQ_INT(admit_limits(8224, 0, 0, &m, &t, &p, why, sizeof why), 0);
    CHECK(m == 8192 && t == 4096);
    CHECK_EQ_INT(admit_limits(UINT64_MAX, 0, 0, &m, &t, &p, why, sizeof why), 0);
    CHECK(m == ADMIT_CONNS_MAX && t == ADMIT_UNAUTH_DEFAULT_MAX);
    CHECK_EQ_INT(admit_limits(65536, 20000, 0, &m, &t, &p, why, sizeof why), 0);   /* the option may go higher */
    CHECK(m == 65504 && t == 20000);
    /* At least a quarter stays for welcomed connections. */
    CHECK_EQ_INT(admit_limits(1024, 744, 0, &m, &t, &p, why, sizeof why), 0);
    CHECK_EQ_INT(t, 744);
    CHECK(admit_limits(1024, 745, 0, &m, &t, &p, why, sizeof why) < 0);
    CHECK(strstr(why, "--unauth-total 745") != NULL && strstr(why, "at most 744") != NULL);
    /* The per-address cap never passes the total. */
    CHECK_EQ_INT(admit_limits(1024, 4, 0, &m, &t, &p, why, sizeof why), 0);
    CHECK(t == 4 && p == 4);
    CHECK(admit_limits(1024, 4, 5, &m, &t, &p, why, sizeof why) < 0);
    CHECK(strstr(why, "--unauth-per-address 5") != NULL);
    CHECK_EQ_INT(admit_limits(1024, 0, 20, &m, &t, &p, why, sizeof why), 0);
    CHECK_EQ_INT(p, 20);
}

static void test_caps(void)
{
    static struct admit ad;
    struct admit_key a = key(1), b = key(2), c = key(3), d = key(4);
    int v, id[16];
    CHECK_EQ_INT(admit_init(&ad, 10, 6, 3, 42), 0);

    /* Per address: the fourth stranger of a is refused, b is not affected. */
    id[0] = admit_accept(&ad, &a, 1000, &v);
    id[1] = admit_accept(&ad, &a, 1001, &v);
    id[2] = admit_accept(&ad, &a, 1002, &v);
    CHECK(id[0] >= 0 && id[1] >= 0 && id[2] >= 0 && v == -1);
    CHECK_EQ_INT(admit_accept(&ad, &a, 1003, &v), ADMIT_REFUSED_ADDR);
    CHECK_EQ_INT(admit_strangers(&ad, &a), 3);
    CHECK_EQ_INT(ad.st.refused_addr, 1);
    /* A welcomed connection no longer counts against its address. */
    admit_authenticated(&ad, id[0]);
    admit_authenticated(&ad, id[0]);            /* twice: no effect */
    CHECK_EQ_INT(admit_strangers(&ad, &a), 2);
    CHECK_EQ_INT(ad.n_strangers, 2);
    id[3] = admit_accept(&ad, &a, 1004, &v);    /* a: 3 strangers again */
    CHECK(id[3] >= 0 && v == -1);

    /* Total of strangers (6): c brings it to 5, b to 6; then d evicts the
     * oldest stranger of the heaviest address (a: 3), which is id[1]. */
    id[4] = admit_accept(&ad, &c, 1005, &v);
    id[5] = admit_accept(&ad, &c, 1006, &v);
    id[6] = admit_accept(&ad, &b, 1007, &v);
    CHECK_EQ_INT(ad.n_strangers, 6);
    id[7] = admit_accept(&ad, &d, 1008, &v);
    CHECK(id[7] >= 0);
    CHECK_EQ_INT(v, id[1]);
    CHECK_EQ_INT(ad.n_strangers, 6);
    CHECK_EQ_INT(ad.n_all, 8);                  /* the evicted one holds its socket until released */
    CHECK_EQ_INT(admit_strangers(&ad, &a), 2);
    CHECK(admit_get(&ad, id[1]) && admit_get(&ad, id[1])->state == ADMIT_EVICTED);
    admit_authenticated(&ad, id[1]);            /* too late: stays evicted */
    CHECK(admit_get(&ad, id[1]) && admit_get(&ad, id[1])->state == ADMIT_EVICTED);
    CHECK_EQ_INT(ad.st.evicted, 1);
    /* Now a and c hold 2 each: the oldest of the two goes (a's id[2], 1002). */
    id[8] = admit_accept(&ad, &d, 1009, &v);
    CHECK_EQ_INT(v, id[2]);
    /* The whole table (10): refused, whatever the address. */
    id[9] = admit_accept(&ad, &b, 1010, &v);
    CHECK_EQ_INT(ad.n_all, 10);
    struct admit_key z = key(99);
    CHECK_EQ_INT(admit_accept(&ad, &z, 1011, &v), ADMIT_REFUSED_FULL);
    CHECK_EQ_INT(v, -1);
    CHECK_EQ_INT(ad.st.refused_full, 1);

    /* Handles ride along; exactly-once release. */
    int x = 7;
    admit_set_handles(&ad, id[9], &x, &ad);
    const struct admit_conn *g = admit_get(&ad, id[9]);
    CHECK(g && g->transport == &x && g->conn == &ad);
    CHECK(admit_get(&ad, -1) == NULL && admit_get(&ad, 10) == NULL);
    for (int i = 0; i < 10; i++)
        CHECK_EQ_INT(admit_release(&ad, id[i]), 0);
    CHECK_EQ_INT(admit_release(&ad, id[3]), -1);
    CHECK_EQ_INT(admit_release(&ad, 12345), -1);
    CHECK_EQ_INT(ad.st.errors, 2);
    CHECK(admit_get(&ad, id[3]) == NULL);
    CHECK(ad.n_all == 0 && ad.n_strangers == 0);
    CHECK(ad.st.accepted == 10 && ad.st.released == 10);
    int empty = 1;
    for (uint32_t i = 0; i <= ad.a_mask; i++)
        empty &= ad.a[i].all == 0;
    CHECK(empty);
    admit_free(&ad);
}

/* The address table against a plain model, through thousands of accepts and
 * releases over 300 addresses (probe chains, backward-shift deletion). */
static void test_table_model(void)
{
    static struct admit ad;
    static int owner[2000], model[300];
    uint32_t rnd = 12345;
    int bad = 0, live = 0;
    CHECK_EQ_INT(admit_init(&ad, 2000, 2000, 1000, 7), 0);
    for (int i = 0; i < 2000; i++)
        owner[i] = -1;
    for (int step = 0; step < 200000; step++) {
        rnd = rnd * 1103515245u + 12345u;
        int k = (int)((rnd >> 8) % 300);
        rnd = rnd * 1103515245u + 12345u;
        if ((rnd >> 9) % 2 && live < 1500) {
            struct admit_key kk = key(k);
            int v, id = admit_accept(&ad, &kk, step, &v);
            if (id < 0 || v != -1 || owner[id] != -1) {
                bad++;
                continue;
            }
            owner[id] = k;
            model[k]++;
            live++;
        } else {
            int id = (int)((rnd >> 4) % 2000);
            if (owner[id] < 0)
                continue;
            bad += admit_release(&ad, id) != 0;
            model[owner[id]]--;
            owner[id] = -1;
            live--;
        }
        if (step % 997 == 0)
            for (int j = 0; j < 300; j++) {
                struct admit_key kk = key(j);
                bad += admit_strangers(&ad, &kk) != (uint32_t)model[j];
            }
    }
    CHECK_EQ_INT(bad, 0);
    CHECK_EQ_INT(ad.n_all, (uint32_t)live);
    admit_free(&ad);
}

static void test_keys(void)
{
    struct sockaddr_in s4;
    struct sockaddr_in6 s6;
    struct sockaddr_un su;
    struct admit_key k1, k2;
    char t[64];
    memset(&s4, 0, sizeof s4);
    s4.sin_family = AF_INET;
    inet_pton(AF_INET, "192.0.2.7", &s4.sin_addr);
    CHECK_EQ_INT(admit_key_from_sockaddr((struct sockaddr *)&s4, sizeof s4, &k1), 0);
    admit_key_text(&k1, t, sizeof t);
    CHECK_STR(t, "192.0.2.7");
    /* The same IPv4 peer seen on a dual-stack socket. */
    memset(&s6, 0, sizeof s6);
    s6.sin6_family = AF_INET6;
    inet_pton(AF_INET6, "::ffff:192.0.2.7", &s6.sin6_addr);
    CHECK_EQ_INT(admit_key_from_sockaddr((struct sockaddr *)&s6, sizeof s6, &k2), 0);
    CHECK_MEM(k1.b, k2.b, 16);
    /* IPv6: one /64 is one address. */
    inet_pton(AF_INET6, "2001:db8:1:2:aaaa::1", &s6.sin6_addr);
    admit_key_from_sockaddr((struct sockaddr *)&s6, sizeof s6, &k1);
    inet_pton(AF_INET6, "2001:db8:1:2:bbbb:cccc:dddd:2", &s6.sin6_addr);
    admit_key_from_sockaddr((struct sockaddr *)&s6, sizeof s6, &k2);
    CHECK_MEM(k1.b, k2.b, 16);
    admit_key_text(&k1, t, sizeof t);
    CHECK_STR(t, "2001:db8:1:2::/64");
    inet_pton(AF_INET6, "2001:db8:1:3::1", &s6.sin6_addr);
    admit_key_from_sockaddr((struct sockaddr *)&s6, sizeof s6, &k2);
    CHECK(memcmp(k1.b, k2.b, 16) != 0);
    /* Another family, or a short address: refused. */
    memset(&su, 0, sizeof su);
    su.sun_family = AF_UNIX;
    CHECK_EQ_INT(admit_key_from_sockaddr((struct sockaddr *)&su, sizeof su, &k1), -1);
    CHECK_EQ_INT(admit_key_from_sockaddr((struct sockaddr *)&s6, 8, &k1), -1);
}

int main(void)
{
    test_limits();
    test_caps();
    test_table_model();
    test_keys();
    return check_report();
}
