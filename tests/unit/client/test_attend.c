/* test_attend.c: client/attend.c, what a device signs. A record is signed
 * only if it agrees with what the device saw itself, within the stated
 * tolerance (5 s plus (changes + 2) round trips); every way a server can
 * state more (or other) than happened is refused with a reason. The review's
 * case first: a session just opened and a record claiming 8 h. */
#include <string.h>

#include "../check.h"
#include "attend.h"

#define T0 1800000000000LL /* our clock */
#define S0 1700000000000LL /* the server's clock: another origin on purpose */

static uint8_t me[BP_FP_LEN], cons[BP_FP_LEN], ben2[BP_FP_LEN], stranger[BP_FP_LEN];

static void fp(uint8_t out[BP_FP_LEN], int seed)
{
    for (int i = 0; i < BP_FP_LEN; i++)
        out[i] = (uint8_t)(seed * 37 + i);
}

/* The record a server would send: participants sorted. */
static void record(struct bp_record *r, int64_t start, int64_t end, int64_t ftf, const uint8_t (*p)[BP_FP_LEN],
                   size_t n)
{
    memset(r, 0, sizeof *r);
    snprintf(r->bilan, sizeof r->bilan, "B1");
    snprintf(r->session, sizeof r->session, "S1");
    snprintf(r->phase, sizeof r->phase, "investigation");
    r->start_ms = start;
    r->end_ms = end;
    r->face_to_face_ms = ftf;
    for (size_t i = 0; i < n; i++)
        memcpy(r->participants[i], p[i], BP_FP_LEN);
    r->n_participants = n;
    bp_record_normalize(r);
}

static void roster2(struct attend_member *m, int with_cons)
{
    memcpy(m[0].device, me, BP_FP_LEN);
    m[0].consultant = 0;
    memcpy(m[1].device, cons, BP_FP_LEN);
    m[1].consultant = 1;
    (void)with_cons;
}

/* We (beneficiary) and the consultant, 1 h together, the session opened and
 * closed in front of us; round trip 40 ms. */
static void one_hour(struct attend_obs *o)
{
    struct attend_member m[2];
    roster2(m, 1);
    attend_begin(o, "S1", 1, S0, 0, T0);
    attend_roster(o, m, 2, 1, 0, T0);
    attend_rtt(o, 40);
    attend_closed(o, S0 + 3600000, 3600000, T0 + 3600000);
}

static int check(const struct attend_obs *o, const struct bp_record *r, int64_t now, char *why)
{
    return attend_check(o, r, "B1", me, now, why);
}

static void test_agreeing_record(void)
{
    struct attend_obs o;
    struct bp_record r;
    char why[BP_REASON_MAX + 1];
    const uint8_t both[2][BP_FP_LEN] = {{0}, {0}};
    uint8_t p[2][BP_FP_LEN];
    (void)both;
    memcpy(p[0], me, BP_FP_LEN);
    memcpy(p[1], cons, BP_FP_LEN);
    one_hour(&o);
    CHECK_EQ_INT(o.present_ms, 3600000);
    CHECK_EQ_INT(o.ftf_ms, 3600000);
    CHECK_EQ_INT(attend_tolerance(&o), 5000 + 2 * 40);
    record(&r, S0, S0 + 3600000, 3600000, (const uint8_t(*)[BP_FP_LEN])p, 2);
    CHECK_EQ_INT(check(&o, &r, T0 + 3601000, why), 0);
    CHECK_STR(why, "");
    /* Whatever the server's clock origin: only its own times are compared. */
    CHECK_EQ_INT(o.start_ms, S0);
}

static void test_eight_hours_claimed(void)
{
    struct attend_obs o;
    struct bp_record r;
    char why[BP_REASON_MAX + 1];
    uint8_t p[2][BP_FP_LEN];
    struct attend_member m[2];
    memcpy(p[0], me, BP_FP_LEN);
    memcpy(p[1], cons, BP_FP_LEN);
    roster2(m, 1);
    /* The server announced the session, then, 3 s later, a record of 8 h. */
    attend_begin(&o, "S1", 1, S0, 0, T0);
    attend_roster(&o, m, 2, 1, 0, T0);
    record(&r, S0, S0 + 8 * 3600000LL, 8 * 3600000LL, (const uint8_t(*)[BP_FP_LEN])p, 2);
    CHECK_EQ_INT(check(&o, &r, T0 + 3000, why), -1);
    CHECK(strstr(why, "8:00:00") && strstr(why, "durée"));
    /* Even when the server also claims the close it never announced. */
    attend_closed(&o, S0 + 8 * 3600000LL, 8 * 3600000LL, T0 + 3000);
    CHECK_EQ_INT(check(&o, &r, T0 + 3000, why), -1);
    CHECK(strstr(why, "durée") != NULL);
}

static void test_tolerance_edges(void)
{
    struct attend_obs o;
    struct bp_record r;
    char why[BP_REASON_MAX + 1];
    uint8_t p[2][BP_FP_LEN];
    memcpy(p[0], me, BP_FP_LEN);
    memcpy(p[1], cons, BP_FP_LEN);
    /* The close as announced must be the record's: face to face 5 s more
     * than announced is refused even though within the tolerance. */
    one_hour(&o);
    record(&r, S0, S0 + 3600000, 3595000, (const uint8_t(*)[BP_FP_LEN])p, 2);
    CHECK_EQ_INT(check(&o, &r, T0 + 3600000, why), -1);
    CHECK(strstr(why, "fin de séance") != NULL);
    /* A session whose close we did not see (we were gone): duration and
     * face to face within 5 s + 2 round trips pass, beyond do not. */
    struct attend_member m[2];
    roster2(m, 1);
    attend_begin(&o, "S1", 1, S0, 0, T0);
    attend_roster(&o, m, 2, 1, 0, T0);
    attend_rtt(&o, 40);
    attend_roster(&o, NULL, 0, 0, 1, T0 + 600000); /* we left after 10 min: 1 change */
    int64_t tol = attend_tolerance(&o);
    CHECK_EQ_INT(tol, 5000 + 3 * 40);
    /* The session went on 20 min after we left: what we saw, plus at most
     * our absence (another device of the same person may have been there). */
    record(&r, S0, S0 + 1800000, 600000 + tol, (const uint8_t(*)[BP_FP_LEN])p, 2);
    CHECK_EQ_INT(check(&o, &r, T0 + 3600000, why), 0);
    record(&r, S0, S0 + 1800000, 1800000, (const uint8_t(*)[BP_FP_LEN])p, 2);
    CHECK_EQ_INT(check(&o, &r, T0 + 3600000, why), 0);
    /* Shorter than we saw it open: refused. */
    record(&r, S0, S0 + 600000 - tol - 1, 0, (const uint8_t(*)[BP_FP_LEN])p, 2);
    CHECK_EQ_INT(check(&o, &r, T0 + 3600000, why), -1);
    CHECK(strstr(why, "ouverte pendant") != NULL);
    record(&r, S0, S0 + 600000 - tol, 600000 - tol, (const uint8_t(*)[BP_FP_LEN])p, 2);
    CHECK_EQ_INT(check(&o, &r, T0 + 3600000, why), 0);
    /* Longer than possible since we first saw it: refused at 1 ms over. */
    record(&r, S0, S0 + 3600000 + tol + 1, 0, (const uint8_t(*)[BP_FP_LEN])p, 2);
    CHECK_EQ_INT(check(&o, &r, T0 + 3600000, why), -1);
    record(&r, S0, S0 + 3600000 + tol, 0, (const uint8_t(*)[BP_FP_LEN])p, 2);
    CHECK_EQ_INT(check(&o, &r, T0 + 3600000, why), 0);

    /* Closed in front of us: duration within the tolerance either way. */
    attend_begin(&o, "S1", 1, S0, 0, T0);
    attend_roster(&o, m, 2, 1, 0, T0);
    attend_closed(&o, S0 + 3600000 + 5000, 3600000, T0 + 3600000);
    record(&r, S0, S0 + 3600000 + 5000, 3600000, (const uint8_t(*)[BP_FP_LEN])p, 2);
    CHECK_EQ_INT(check(&o, &r, T0 + 3600000, why), 0); /* 5 s: the tolerance, no round trip measured */
    attend_begin(&o, "S1", 1, S0, 0, T0);
    attend_roster(&o, m, 2, 1, 0, T0);
    attend_closed(&o, S0 + 3600000 + 5001, 3600000, T0 + 3600000);
    record(&r, S0, S0 + 3600000 + 5001, 3600000, (const uint8_t(*)[BP_FP_LEN])p, 2);
    CHECK_EQ_INT(check(&o, &r, T0 + 3600000, why), -1);
}

static void test_face_to_face(void)
{
    struct attend_obs o;
    struct bp_record r;
    char why[BP_REASON_MAX + 1];
    uint8_t p[2][BP_FP_LEN];
    struct attend_member m[2];
    memcpy(p[0], me, BP_FP_LEN);
    memcpy(p[1], cons, BP_FP_LEN);
    roster2(m, 1);
    /* The consultant was there only 20 of the 60 minutes we were. */
    attend_begin(&o, "S1", 1, S0, 0, T0);
    attend_roster(&o, m, 1, 1, 0, T0);            /* only us */
    attend_roster(&o, m, 2, 1, 1, T0 + 1200000);  /* consultant in */
    attend_roster(&o, m, 1, 1, 1, T0 + 2400000);  /* consultant out */
    attend_roster(&o, NULL, 0, 0, 1, T0 + 3600000); /* we leave */
    CHECK_EQ_INT(o.present_ms, 3600000);
    CHECK_EQ_INT(o.ftf_ms, 1200000);
    CHECK_EQ_INT(o.transitions, 3);
    int64_t tol = attend_tolerance(&o);
    /* 1 h of face to face claimed: refused. */
    record(&r, S0, S0 + 3600000, 3600000, (const uint8_t(*)[BP_FP_LEN])p, 2);
    CHECK_EQ_INT(check(&o, &r, T0 + 3600500, why), -1);
    CHECK(strstr(why, "face-à-face") && strstr(why, "0:20:00"));
    CHECK_EQ_INT(check(&o, &r, T0 + 3600500, why), -1);
    record(&r, S0, S0 + 3600000, 1200000 + tol, (const uint8_t(*)[BP_FP_LEN])p, 2);
    CHECK_EQ_INT(check(&o, &r, T0 + 3600500, why), 0);
    record(&r, S0, S0 + 3600000, 1200000 + tol + 1, (const uint8_t(*)[BP_FP_LEN])p, 2);
    CHECK_EQ_INT(check(&o, &r, T0 + 3600500, why), -1);
    /* Less than we saw while we were there the whole time: refused too... */
    record(&r, S0, S0 + 3600000, 1200000 - tol - 1, (const uint8_t(*)[BP_FP_LEN])p, 2);
    CHECK_EQ_INT(check(&o, &r, T0 + 3600500, why), -1);
    CHECK(strstr(why, "ne compte que") != NULL);
    /* ... unless a member was lost: its end is dated up to 15 s earlier. */
    attend_lost(&o);
    record(&r, S0, S0 + 3600000, 1200000 - 15000, (const uint8_t(*)[BP_FP_LEN])p, 2);
    CHECK_EQ_INT(check(&o, &r, T0 + 3600500, why), 0);
}

static void test_participants(void)
{
    struct attend_obs o;
    struct bp_record r;
    char why[BP_REASON_MAX + 1];
    uint8_t p[3][BP_FP_LEN];
    struct attend_member m[3];
    memcpy(p[0], me, BP_FP_LEN);
    memcpy(p[1], cons, BP_FP_LEN);
    memcpy(p[2], stranger, BP_FP_LEN);
    roster2(m, 1);
    memcpy(m[2].device, ben2, BP_FP_LEN);
    m[2].consultant = 0;
    one_hour(&o);
    /* A device that was never in our room while we were there the whole time. */
    record(&r, S0, S0 + 3600000, 3600000, (const uint8_t(*)[BP_FP_LEN])p, 3);
    CHECK_EQ_INT(check(&o, &r, T0 + 3600000, why), -1);
    CHECK(strstr(why, "jamais vu") != NULL);
    /* A device that was in the room, left out. */
    attend_begin(&o, "S1", 1, S0, 0, T0);
    attend_roster(&o, m, 3, 1, 0, T0);
    attend_closed(&o, S0 + 3600000, 3600000, T0 + 3600000);
    record(&r, S0, S0 + 3600000, 3600000, (const uint8_t(*)[BP_FP_LEN])p, 2);
    CHECK_EQ_INT(check(&o, &r, T0 + 3600000, why), -1);
    CHECK(strstr(why, "oublie") != NULL);
    /* A record that does not name us, another bilan, another session, another start. */
    record(&r, S0, S0 + 3600000, 3600000, (const uint8_t(*)[BP_FP_LEN])(p + 1), 1);
    CHECK_EQ_INT(check(&o, &r, T0 + 3600000, why), -1);
    CHECK(strstr(why, "participants") != NULL);
    one_hour(&o);
    record(&r, S0, S0 + 3600000, 3600000, (const uint8_t(*)[BP_FP_LEN])p, 2);
    CHECK_EQ_INT(attend_check(&o, &r, "B2", me, T0 + 3600000, why), -1);
    snprintf(r.session, sizeof r.session, "S2");
    CHECK_EQ_INT(check(&o, &r, T0 + 3600000, why), -1);
    record(&r, S0 + 1000, S0 + 3600000, 3599000, (const uint8_t(*)[BP_FP_LEN])p, 2);
    CHECK_EQ_INT(check(&o, &r, T0 + 3600000, why), -1);
    CHECK(strstr(why, "commencer") != NULL);
}

static void test_joined_late_and_json(void)
{
    struct attend_obs o, back;
    struct bp_record r;
    char why[BP_REASON_MAX + 1];
    uint8_t p[2][BP_FP_LEN];
    struct attend_member m[2];
    memcpy(p[0], me, BP_FP_LEN);
    memcpy(p[1], cons, BP_FP_LEN);
    roster2(m, 1);
    /* We came 10 min after it opened (hours_update: elapsed 600 s). */
    attend_begin(&o, "S1", 0, 0, 600000, T0);
    attend_roster(&o, m, 2, 1, 0, T0);
    attend_rtt(&o, 9999); /* capped */
    CHECK_EQ_INT(o.rtt_ms, ATTEND_RTT_CAP_MS);
    attend_tick(&o, T0 + 1800000);
    o.audio_ms = 1234560;
    json_t *j = attend_to_json(&o);
    CHECK(j != NULL);
    CHECK_EQ_INT(attend_from_json(j, &back), 0);
    json_decref(j);
    CHECK_STR(back.session, "S1");
    CHECK_EQ_INT(back.elapsed0_ms, 600000);
    CHECK_EQ_INT(back.present_ms, 1800000);
    CHECK_EQ_INT(back.audio_ms, 1234560);
    CHECK_EQ_INT(back.n_seen, 2);
    CHECK(!memcmp(back.seen[1], cons, BP_FP_LEN));
    CHECK_EQ_INT(back.here, 0); /* the in-room state does not survive a visit */
    /* The record, on a later visit: 40 min long, 40 min face to face. */
    record(&r, S0, S0 + 2400000, 2400000, (const uint8_t(*)[BP_FP_LEN])p, 2);
    CHECK_EQ_INT(check(&back, &r, T0 + 7200000, why), 0);
    /* Strict: a key missing, a wrong type, a negative number. */
    const char *bad[] = {
        "{}",
        "{\"session\":\"S1\"}",
        "{\"session\":\"S 1\",\"have_start\":true,\"start_ms\":0,\"elapsed0_ms\":0,\"first_ms\":0,\"last_ms\":0,"
        "\"closed\":false,\"end_ms\":0,\"closed_ftf_ms\":0,\"present_ms\":0,\"ftf_ms\":0,\"transitions\":0,"
        "\"lost_seen\":0,\"rtt_ms\":0,\"seen\":[],\"seen_overflow\":false}",
        "{\"session\":\"S1\",\"have_start\":true,\"start_ms\":0,\"elapsed0_ms\":0,\"first_ms\":5,\"last_ms\":0,"
        "\"closed\":false,\"end_ms\":0,\"closed_ftf_ms\":0,\"present_ms\":0,\"ftf_ms\":0,\"transitions\":0,"
        "\"lost_seen\":0,\"rtt_ms\":0,\"seen\":[],\"seen_overflow\":false}",
        "{\"session\":\"S1\",\"have_start\":true,\"start_ms\":0,\"elapsed0_ms\":0,\"first_ms\":0,\"last_ms\":0,"
        "\"closed\":false,\"end_ms\":0,\"closed_ftf_ms\":0,\"present_ms\":-1,\"ftf_ms\":0,\"transitions\":0,"
        "\"lost_seen\":0,\"rtt_ms\":0,\"seen\":[],\"seen_overflow\":false}",
        "{\"session\":\"S1\",\"have_start\":true,\"start_ms\":0,\"elapsed0_ms\":0,\"first_ms\":0,\"last_ms\":0,"
        "\"closed\":false,\"end_ms\":0,\"closed_ftf_ms\":0,\"present_ms\":0,\"ftf_ms\":0,\"transitions\":0,"
        "\"lost_seen\":0,\"rtt_ms\":0,\"seen\":[\"x\"],\"seen_overflow\":false}",
        "{\"session\":\"S1\",\"have_start\":true,\"start_ms\":0,\"elapsed0_ms\":0,\"first_ms\":0,\"last_ms\":0,"
        "\"closed\":false,\"end_ms\":0,\"closed_ftf_ms\":0,\"present_ms\":0,\"ftf_ms\":0,\"transitions\":0,"
        "\"lost_seen\":0,\"rtt_ms\":0,\"seen\":[],\"seen_overflow\":false,\"audio_ms\":-20}",
    };
    /* What an earlier version kept has no audio_ms: read as no audio. */
    json_t *old = json_loads("{\"session\":\"S1\",\"have_start\":true,\"start_ms\":0,\"elapsed0_ms\":0,"
                             "\"first_ms\":0,\"last_ms\":0,\"closed\":false,\"end_ms\":0,\"closed_ftf_ms\":0,"
                             "\"present_ms\":0,\"ftf_ms\":0,\"transitions\":0,\"lost_seen\":0,\"rtt_ms\":0,"
                             "\"seen\":[],\"seen_overflow\":false}", 0, NULL);
    CHECK(old != NULL);
    CHECK_EQ_INT(attend_from_json(old, &back), 0);
    CHECK_EQ_INT(back.audio_ms, 0);
    json_decref(old);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_t *b = json_loads(bad[i], 0, NULL);
        CHECK(b != NULL);
        CHECK_EQ_INT(attend_from_json(b, &back), -1);
        json_decref(b);
    }
}

int main(void)
{
    fp(me, 1);
    fp(cons, 2);
    fp(ben2, 3);
    fp(stranger, 4);
    test_agreeing_record();
    test_eight_hours_claimed();
    test_tolerance_edges();
    test_face_to_face();
    test_participants();
    test_joined_late_and_json();
    return check_report();
}
