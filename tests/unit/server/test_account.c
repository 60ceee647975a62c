/* test_account.c: server/account.c (hours as a pure function of the journal),
 * server/journal_jsonl.c (parse and write the export) and server/report.c
 * (table, csv, json). Every scenario of the hours issue with exact expected
 * milliseconds. T0 = 2024-03-04 09:00:00 UTC. */
#include <jansson.h>
#include <string.h>

#include "../check.h"
#include "account.h"
#include "journal_jsonl.h"
#include "report.h"

#define T0 1709542800000LL
#define S(x) ((int64_t)((x) * 1000.0 + 0.5)) /* seconds -> ms, for literals */
#define H(x) ((int64_t)(x) * 3600000LL)

enum { OPEN = ACC_SESSION_OPEN, CLOSE = ACC_SESSION_CLOSE, JOIN = ACC_JOIN, LEAVE = ACC_LEAVE,
       LOST = ACC_LOST, ALIVE = ACC_ALIVE, PERSONAL = ACC_PERSONAL };
enum { C = BP_ROLE_CONSULTANT, B = BP_ROLE_BENEFICIARY };

static struct acc_event evs[256];
static size_t nev;

static void add(int64_t t_rel_ms, int kind, const char *sess, const char *dev, int role_or_phase)
{
    struct acc_event *e = &evs[nev++];
    memset(e, 0, sizeof *e);
    e->seq = (int64_t)nev; /* the server's append order */
    e->t_ms = T0 + t_rel_ms;
    e->kind = kind;
    e->phase = BP_PHASE_NONE;
    snprintf(e->session, sizeof e->session, "%s", sess ? sess : "");
    snprintf(e->device, sizeof e->device, "%s", dev ? dev : "");
    if (kind == JOIN)
        e->role = role_or_phase;
    if (kind == OPEN)
        e->phase = role_or_phase;
}

static void add_personal(int64_t t_rel_ms, int64_t ms)
{
    add(t_rel_ms, PERSONAL, NULL, NULL, 0);
    evs[nev - 1].personal_ms = ms;
}

static struct acc_bilan meta(int64_t budget_ms)
{
    struct acc_bilan m;
    memset(&m, 0, sizeof m);
    snprintf(m.bilan, sizeof m.bilan, "B-TEST");
    m.budget_ms = budget_ms;
    m.cap_ms = 24 * 3600000LL;
    return m;
}

static int compute(int64_t budget_ms, struct acc_report *r, struct acc_err *err)
{
    struct acc_bilan m = meta(budget_ms);
    return account_compute(evs, nev, &m, r, err);
}

/* A 2 h investigation session where the beneficiary is lost (last sign of life
 * 1800.5 s, detected 15 s later) and rejoins at 1900 s. FtF = [5, 1800.5) + [1900, 7200)
 * = 1795.5 + 5300 = 7095.5 s, one interruption. */
static void build_drop_rejoin(void)
{
    nev = 0;
    add(0, OPEN, "S2", NULL, BP_PHASE_INVESTIGATION);
    add(0, JOIN, "S2", "cons", C);
    add(S(5), JOIN, "S2", "ben", B);
    add(S(1800.5), ALIVE, "S2", "ben", 0);
    add(S(1810), ALIVE, "S2", "cons", 0);
    add(S(1800.5), LOST, "S2", "ben", 0); /* written at detection, t = last sign of life */
    add(S(1900), JOIN, "S2", "ben", B);
    add(S(7200), LEAVE, "S2", "ben", 0);
    add(S(7210), LEAVE, "S2", "cons", 0);
    add(S(7215), CLOSE, "S2", NULL, 0);
}

static void test_simple(void)
{
    struct acc_report r;
    struct acc_err err;
    nev = 0;
    add(0, OPEN, "S1", NULL, BP_PHASE_PRELIMINAIRE);
    add(0, JOIN, "S1", "cons", C);
    add(S(60), JOIN, "S1", "ben", B);
    add(S(7260), LEAVE, "S1", "ben", 0);
    add(S(7300), LEAVE, "S1", "cons", 0);
    add(S(7320), CLOSE, "S1", NULL, 0);
    CHECK_EQ_INT(compute(H(16), &r, &err), 0);
    CHECK_EQ_INT(r.n_sessions, 1);
    CHECK_STR(r.sessions[0].id, "S1");
    CHECK_EQ_INT(r.sessions[0].phase, BP_PHASE_PRELIMINAIRE);
    CHECK_EQ_INT(r.sessions[0].start_ms, T0);
    CHECK_EQ_INT(r.sessions[0].end_ms, T0 + 7320000);
    CHECK_EQ_INT(r.sessions[0].closed, 1);
    CHECK_EQ_INT(r.sessions[0].face_to_face_ms, 7200000);
    CHECK_EQ_INT(r.sessions[0].interruptions, 0);
    CHECK_EQ_INT(r.by_phase_ms[BP_PHASE_PRELIMINAIRE], 7200000);
    CHECK_EQ_INT(r.by_phase_ms[BP_PHASE_INVESTIGATION], 0);
    CHECK_EQ_INT(r.face_to_face_ms, 7200000);
    CHECK_EQ_INT(r.budget_ms, H(16));
    CHECK_EQ_INT(r.remaining_ms, H(14));
    CHECK_EQ_INT(r.total_ms, 7200000);
    CHECK_EQ_INT(r.over_budget, 0);
    CHECK_EQ_INT(r.over_cap, 0);
    CHECK_EQ_INT(r.budget_reached_ms, -1);
    CHECK_EQ_INT(r.duplicates_ignored, 0);
    account_report_free(&r);
}

static void test_drop_rejoin(void)
{
    struct acc_report r;
    struct acc_err err;
    build_drop_rejoin();
    CHECK_EQ_INT(compute(H(16), &r, &err), 0);
    CHECK_EQ_INT(r.sessions[0].face_to_face_ms, 1795500 + 5300000); /* [5, 1800.5) + [1900, 7200) */
    CHECK_EQ_INT(r.sessions[0].interruptions, 1);
    CHECK_EQ_INT(r.sessions[0].end_ms, T0 + 7215000);
    CHECK_EQ_INT(r.by_phase_ms[BP_PHASE_INVESTIGATION], 7095500);
    account_report_free(&r);
    /* A checkpoint written after the last sign of life, before the detection: ignored. */
    add(S(1810), ALIVE, "S2", "ben", 0);
    CHECK_EQ_INT(compute(H(16), &r, &err), 0);
    CHECK_EQ_INT(r.sessions[0].face_to_face_ms, 7095500);
    account_report_free(&r);

    /* Leave and rejoin in the same millisecond: no gap, no interruption. */
    nev = 0;
    add(0, OPEN, "S", NULL, BP_PHASE_SUIVI);
    add(0, JOIN, "S", "cons", C);
    add(0, JOIN, "S", "ben", B);
    add(S(100), LEAVE, "S", "ben", 0);
    add(S(100), JOIN, "S", "ben", B);
    add(S(200), CLOSE, "S", NULL, 0);
    CHECK_EQ_INT(compute(H(16), &r, &err), 0);
    CHECK_EQ_INT(r.sessions[0].face_to_face_ms, 200000);
    CHECK_EQ_INT(r.sessions[0].interruptions, 0);
    account_report_free(&r);

    /* Three drops: 3 interruptions; a zero-length presence counts nothing. */
    nev = 0;
    add(0, OPEN, "S", NULL, BP_PHASE_SUIVI);
    add(0, JOIN, "S", "cons", C);
    for (int k = 0; k < 4; k++) {
        add(S(1000 * k), JOIN, "S", "ben", B);
        add(S(1000 * k + 500), LEAVE, "S", "ben", 0);
    }
    add(S(3700), JOIN, "S", "ben", B);
    add(S(3700), LEAVE, "S", "ben", 0);
    add(S(4000), CLOSE, "S", NULL, 0);
    CHECK_EQ_INT(compute(H(16), &r, &err), 0);
    CHECK_EQ_INT(r.sessions[0].face_to_face_ms, 2000000);
    CHECK_EQ_INT(r.sessions[0].interruptions, 3);
    account_report_free(&r);
}

static void test_consultant_alone(void)
{
    struct acc_report r;
    struct acc_err err;
    nev = 0;
    add(0, OPEN, "S", NULL, BP_PHASE_CONCLUSION);
    add(0, JOIN, "S", "cons", C);
    add(S(3600), LEAVE, "S", "cons", 0);
    add(S(3600), CLOSE, "S", NULL, 0);
    CHECK_EQ_INT(compute(H(16), &r, &err), 0);
    CHECK_EQ_INT(r.sessions[0].face_to_face_ms, 0);
    CHECK_EQ_INT(r.sessions[0].interruptions, 0);
    CHECK_EQ_INT(r.face_to_face_ms, 0);
    CHECK_EQ_INT(r.remaining_ms, H(16));
    account_report_free(&r);

    /* Beneficiary alone, and two beneficiary devices without a consultant: nothing. */
    nev = 0;
    add(0, OPEN, "S", NULL, BP_PHASE_CONCLUSION);
    add(0, JOIN, "S", "ben1", B);
    add(0, JOIN, "S", "ben2", B);
    add(S(600), CLOSE, "S", NULL, 0);
    CHECK_EQ_INT(compute(H(16), &r, &err), 0);
    CHECK_EQ_INT(r.face_to_face_ms, 0);
    account_report_free(&r);
}

static void test_double_regard(void)
{
    struct acc_report r;
    struct acc_err err;
    /* C1 [0,3600), C2 [1800,5400), B [600,4000): FtF = [600,4000) = 3400 s, counted once. */
    nev = 0;
    add(0, OPEN, "S", NULL, BP_PHASE_INVESTIGATION);
    add(0, JOIN, "S", "c1", C);
    add(S(600), JOIN, "S", "ben", B);
    add(S(1800), JOIN, "S", "c2", C);
    add(S(3600), LEAVE, "S", "c1", 0);
    add(S(4000), LEAVE, "S", "ben", 0);
    add(S(5400), LEAVE, "S", "c2", 0);
    add(S(5400), CLOSE, "S", NULL, 0);
    CHECK_EQ_INT(compute(H(16), &r, &err), 0);
    CHECK_EQ_INT(r.sessions[0].face_to_face_ms, 3400000);
    CHECK_EQ_INT(r.sessions[0].interruptions, 0);
    account_report_free(&r);

    /* Hand-over: C1 [0,1000) then C2 [1000,2000), B [0,2000): 2000 s, no interruption;
     * then a gap with no consultant [2000,2500), C1 back [2500,3000): 2500 s, 1. */
    nev = 0;
    add(0, OPEN, "S", NULL, BP_PHASE_INVESTIGATION);
    add(0, JOIN, "S", "c1", C);
    add(0, JOIN, "S", "ben", B);
    add(S(1000), LEAVE, "S", "c1", 0);
    add(S(1000), JOIN, "S", "c2", C);
    add(S(2000), LEAVE, "S", "c2", 0);
    add(S(2500), JOIN, "S", "c1", C);
    add(S(3000), CLOSE, "S", NULL, 0);
    CHECK_EQ_INT(compute(H(16), &r, &err), 0);
    CHECK_EQ_INT(r.sessions[0].face_to_face_ms, 2500000);
    CHECK_EQ_INT(r.sessions[0].interruptions, 1);
    account_report_free(&r);
}

static void test_closed_with_people_inside(void)
{
    struct acc_report r;
    struct acc_err err;
    nev = 0;
    add(0, OPEN, "S", NULL, BP_PHASE_PRELIMINAIRE);
    add(0, JOIN, "S", "cons", C);
    add(S(10), JOIN, "S", "ben", B);
    add(S(3610), CLOSE, "S", NULL, 0);
    /* The server may write the leaves of the close at the same instant, after it. */
    add(S(3610), LEAVE, "S", "ben", 0);
    add(S(3610), LEAVE, "S", "cons", 0);
    CHECK_EQ_INT(compute(H(16), &r, &err), 0);
    CHECK_EQ_INT(r.sessions[0].face_to_face_ms, 3600000);
    CHECK_EQ_INT(r.sessions[0].end_ms, T0 + 3610000);
    account_report_free(&r);
    nev -= 2; /* without the leaves: the close ends both presences */
    CHECK_EQ_INT(compute(H(16), &r, &err), 0);
    CHECK_EQ_INT(r.sessions[0].face_to_face_ms, 3600000);
    CHECK_EQ_INT(r.sessions[0].closed, 1);
    account_report_free(&r);
}

static void test_crash(void)
{
    struct acc_report r;
    struct acc_err err;
    /* The journal ends mid-session: presences end at their last alive. */
    nev = 0;
    add(0, OPEN, "S", NULL, BP_PHASE_INVESTIGATION);
    add(0, JOIN, "S", "cons", C);
    add(S(2), JOIN, "S", "ben", B);
    for (int k = 1; k <= 4; k++)
        add(S(10 * k), ALIVE, "S", "cons", 0);
    for (int k = 1; k <= 3; k++)
        add(S(10 * k + 0.25), ALIVE, "S", "ben", 0);
    CHECK_EQ_INT(compute(H(16), &r, &err), 0);
    CHECK_EQ_INT(r.sessions[0].face_to_face_ms, 28250); /* [2, 30.25) */
    CHECK_EQ_INT(r.sessions[0].closed, 0);
    CHECK_EQ_INT(r.sessions[0].end_ms, T0 + 40000); /* latest event of the session */
    account_report_free(&r);

    /* A member with no alive ends at its join: no invented time. */
    nev = 0;
    add(0, OPEN, "S", NULL, BP_PHASE_INVESTIGATION);
    add(0, JOIN, "S", "cons", C);
    add(S(5), JOIN, "S", "ben", B);
    add(S(50), ALIVE, "S", "cons", 0);
    CHECK_EQ_INT(compute(H(16), &r, &err), 0);
    CHECK_EQ_INT(r.sessions[0].face_to_face_ms, 0);
    account_report_free(&r);
}

/* Appends a session at day `day` (9:00 UTC + day * 24 h) with ftf_ms of face-to-face. */
static void add_session(const char *id, int day, int phase, int64_t ftf_ms)
{
    int64_t base = (int64_t)day * H(24);
    add(base, OPEN, id, NULL, phase);
    add(base, JOIN, id, "cons", C);
    add(base, JOIN, id, "ben", B);
    add(base + ftf_ms, LEAVE, id, "ben", 0);
    add(base + ftf_ms, LEAVE, id, "cons", 0);
    add(base + ftf_ms, CLOSE, id, NULL, 0);
}

static void test_budget_crossed(void)
{
    struct acc_report r;
    struct acc_err err;
    nev = 0;
    add_session("S1", 0, BP_PHASE_PRELIMINAIRE, H(2));
    add_session("S2", 7, BP_PHASE_INVESTIGATION, H(2));
    CHECK_EQ_INT(compute(H(3), &r, &err), 0);
    CHECK_EQ_INT(r.face_to_face_ms, H(4));
    CHECK_EQ_INT(r.over_budget, 1);
    CHECK_EQ_INT(r.remaining_ms, 0);
    CHECK_EQ_INT(r.budget_reached_ms, T0 + 7 * H(24) + H(1)); /* 1 h into S2 */
    account_report_free(&r);
    /* Exactly at the budget: reached, not over. */
    CHECK_EQ_INT(compute(H(4), &r, &err), 0);
    CHECK_EQ_INT(r.over_budget, 0);
    CHECK_EQ_INT(r.remaining_ms, 0);
    CHECK_EQ_INT(r.budget_reached_ms, T0 + 7 * H(24) + H(2));
    account_report_free(&r);
}

static void test_personal_over_cap(void)
{
    struct acc_report r;
    struct acc_err err;
    nev = 0;
    for (int k = 0; k < 8; k++)
        add_session(k == 0 ? "P" : k < 5 ? (k == 1 ? "I1" : k == 2 ? "I2" : k == 3 ? "I3" : "I4")
                    : (k == 5 ? "C1" : k == 6 ? "C2" : "C3"),
                    7 * k, k == 0 ? BP_PHASE_PRELIMINAIRE : k < 5 ? BP_PHASE_INVESTIGATION : BP_PHASE_CONCLUSION,
                    H(2));
    add_personal(H(24) * 10, H(7));
    add_personal(H(24) * 40, H(1));
    CHECK_EQ_INT(compute(H(16), &r, &err), 0);
    CHECK_EQ_INT(r.face_to_face_ms, H(16));
    CHECK_EQ_INT(r.by_phase_ms[BP_PHASE_INVESTIGATION], H(8));
    CHECK_EQ_INT(r.by_phase_ms[BP_PHASE_CONCLUSION], H(6));
    CHECK_EQ_INT(r.personal_ms, H(8));
    CHECK_EQ_INT(r.total_ms, H(24));
    CHECK_EQ_INT(r.over_cap, 0); /* exactly 24 h is allowed */
    CHECK_EQ_INT(r.over_budget, 0);
    account_report_free(&r);
    add_personal(H(24) * 41, 500); /* half a second more */
    CHECK_EQ_INT(compute(H(16), &r, &err), 0);
    CHECK_EQ_INT(r.personal_ms, H(8) + 500);
    CHECK_EQ_INT(r.total_ms, H(24) + 500);
    CHECK_EQ_INT(r.over_cap, 1);
    CHECK_EQ_INT(r.n_sessions, 8);
    CHECK_STR(r.sessions[0].id, "P");
    CHECK_STR(r.sessions[7].id, "C3");
    /* Month filter: S at day 0 (2024-03-04) to day 49 (2024-04-22). */
    size_t idx[8];
    CHECK_EQ_INT(account_sessions_in_month(&r, 2024, 3, idx, 8), 4); /* days 0,7,14,21 */
    CHECK_EQ_INT(account_sessions_in_month(&r, 2024, 4, idx, 8), 4);
    CHECK_EQ_INT(idx[0], 4);
    CHECK_EQ_INT(account_sessions_in_month(&r, 2024, 5, idx, 8), 0);
    CHECK_EQ_INT(account_sessions_in_month(&r, 2024, 13, idx, 8), -1);
    account_report_free(&r);
}

static void test_order_and_duplicates(void)
{
    struct acc_report ref, r;
    struct acc_err err;
    build_drop_rejoin();
    CHECK_EQ_INT(compute(H(16), &ref, &err), 0);
    /* Reversed input: same report. */
    for (size_t i = 0; i < nev / 2; i++) {
        struct acc_event t = evs[i];
        evs[i] = evs[nev - 1 - i];
        evs[nev - 1 - i] = t;
    }
    CHECK_EQ_INT(compute(H(16), &r, &err), 0);
    CHECK_EQ_INT(r.sessions[0].face_to_face_ms, ref.sessions[0].face_to_face_ms);
    CHECK_EQ_INT(r.sessions[0].interruptions, 1);
    CHECK_EQ_INT(r.duplicates_ignored, 0);
    account_report_free(&r);
    /* Every event twice (a file concatenated with itself): the same seq is
     * the same event: same totals, n duplicates. */
    size_t n = nev;
    memcpy(evs + n, evs, n * sizeof evs[0]);
    nev = 2 * n;
    CHECK_EQ_INT(compute(H(16), &r, &err), 0);
    CHECK_EQ_INT(r.face_to_face_ms, ref.face_to_face_ms);
    CHECK_EQ_INT(r.sessions[0].interruptions, 1);
    CHECK_EQ_INT(r.duplicates_ignored, n);
    account_report_free(&r);
    /* Same seq, different role: contradiction, an error naming the event. */
    nev = n;
    for (size_t i = 0; i < n; i++)
        if (evs[i].kind == JOIN && !strcmp(evs[i].device, "cons")) {
            evs[nev] = evs[i];
            evs[nev].role = B;
            evs[nev].line = 42;
            nev++;
            break;
        }
    CHECK_EQ_INT(compute(H(16), &r, &err), -1);
    CHECK(strstr(err.msg, "line 42") && strstr(err.msg, "sequence number") && strstr(err.msg, "different event"));
    account_report_free(&ref);
}

/* The review's cases: two events of one member in the same millisecond are
 * two events, never one (identity is the seq, not the content). */
static void test_same_millisecond(void)
{
    struct acc_report r;
    struct acc_err err;
    /* Two declarations in one TCP write, different seconds: both count. */
    nev = 0;
    add_personal(S(10), 3600000);
    add_personal(S(10), 5400000);
    add_personal(S(10), 3600000); /* equal content, third event: counts too */
    CHECK_EQ_INT(compute(H(16), &r, &err), 0);
    CHECK_EQ_INT(r.personal_ms, 3600000 + 5400000 + 3600000);
    CHECK_EQ_INT(r.duplicates_ignored, 0);
    account_report_free(&r);
    /* join, leave, join in one write during an open session, then a leave
     * later: present from the second join to the final leave. */
    nev = 0;
    add(0, OPEN, "S", NULL, BP_PHASE_SUIVI);
    add(0, JOIN, "S", "cons", C);
    add(S(100), JOIN, "S", "ben", B);
    add(S(100), LEAVE, "S", "ben", 0);
    add(S(100), JOIN, "S", "ben", B);
    add(S(700), LEAVE, "S", "ben", 0);
    add(S(800), CLOSE, "S", NULL, 0);
    CHECK_EQ_INT(compute(H(16), &r, &err), 0);
    CHECK_EQ_INT(r.face_to_face_ms, S(600));
    CHECK_EQ_INT(r.sessions[0].interruptions, 0);
    account_report_free(&r);
    /* ... in any input order: the seq puts them back (the leave first here). */
    struct acc_event t = evs[2];
    evs[2] = evs[3];
    evs[3] = t;
    t = evs[0];
    evs[0] = evs[6];
    evs[6] = t;
    CHECK_EQ_INT(compute(H(16), &r, &err), 0);
    CHECK_EQ_INT(r.face_to_face_ms, S(600));
    account_report_free(&r);
    /* 3000 declarations, many in the same millisecond: 3000 counted. */
    static struct acc_event many[3000];
    for (int i = 0; i < 3000; i++) {
        memset(&many[i], 0, sizeof many[i]);
        many[i].seq = i + 1;
        many[i].t_ms = T0 + i / 7; /* seven per millisecond */
        many[i].kind = PERSONAL;
        many[i].phase = BP_PHASE_NONE;
        many[i].personal_ms = 60000;
    }
    struct acc_bilan m = meta(H(16));
    CHECK_EQ_INT(account_compute(many, 3000, &m, &r, &err), 0);
    CHECK_EQ_INT(r.personal_ms, 3000LL * 60000);
    account_report_free(&r);
    /* A format 1 file (no seq at all): every line is an event. */
    for (int i = 0; i < 3000; i++)
        many[i].seq = 0;
    CHECK_EQ_INT(account_compute(many, 3000, &m, &r, &err), 0);
    CHECK_EQ_INT(r.personal_ms, 3000LL * 60000);
    account_report_free(&r);
    /* A mix of events with and without seq is refused, naming one. */
    many[5].seq = 6;
    CHECK_EQ_INT(account_compute(many, 3000, &m, &r, &err), -1);
    CHECK(strstr(err.msg, "without a sequence number") != NULL);
}

static void expect_error(const char *what, const char *needle)
{
    struct acc_report r;
    struct acc_err err;
    int rc = compute(H(16), &r, &err);
    CHECK_EQ_INT(rc, -1);
    if (rc == 0) {
        account_report_free(&r);
        fprintf(stderr, "  (%s: no error)\n", what);
        return;
    }
    if (!strstr(err.msg, needle)) {
        fprintf(stderr, "  (%s: message '%s' lacks '%s')\n", what, err.msg, needle);
        CHECK(0);
    }
}

static void test_errors(void)
{
    nev = 0;
    add(0, OPEN, "S", NULL, BP_PHASE_SUIVI);
    add(0, JOIN, "S", "d", C);
    add(S(5), JOIN, "S", "d", C);
    expect_error("join twice", "already present");
    CHECK_EQ_INT(evs[2].line, 0);
    nev = 0;
    add(0, OPEN, "S", NULL, BP_PHASE_SUIVI);
    add(S(5), LEAVE, "S", "d", 0);
    expect_error("leave absent", "not present");
    nev = 0;
    add(0, OPEN, "S", NULL, BP_PHASE_SUIVI);
    add(0, JOIN, "S", "d", C);
    add(S(5), LEAVE, "S", "d", 0);
    add(S(6), LOST, "S", "d", 0);
    expect_error("lost after leave", "event #3");
    evs[3].kind = ALIVE;
    expect_error("alive after leave", "alive of device 'd'");
    nev = 0;
    add(S(10), OPEN, "S", NULL, BP_PHASE_SUIVI);
    add(S(5), JOIN, "S", "d", C);
    expect_error("before open", "before its session_open");
    nev = 0;
    add(0, JOIN, "S", "d", C);
    expect_error("never opened", "never opened");
    nev = 0;
    add(0, OPEN, "S", NULL, BP_PHASE_SUIVI);
    add(S(10), CLOSE, "S", NULL, 0);
    add(S(11), JOIN, "S", "d", C);
    expect_error("after close", "after its session_close");
    nev = 0;
    add(0, OPEN, "S", NULL, BP_PHASE_SUIVI);
    add(S(1), OPEN, "S", NULL, BP_PHASE_SUIVI);
    expect_error("open twice", "opened a second time");
    nev = 0;
    add(0, OPEN, "S", NULL, BP_PHASE_SUIVI);
    evs[0].kind = 99;
    expect_error("bad kind", "unknown event kind");
    nev = 0;
    add(0, OPEN, "S", NULL, 7);
    expect_error("bad phase", "known phase");
    nev = 0;
    add(0, OPEN, "S", NULL, BP_PHASE_SUIVI);
    add(0, JOIN, "S", "d", 5);
    expect_error("bad role", "known role");
    nev = 0;
    add_personal(0, -1);
    expect_error("negative personal", "personal seconds");
}

/* ---- journal_jsonl ---- */

static const char HEADER[] = "{\"bilan\":\"B-1\",\"budget_s\":57600,\"cap_s\":86400}\n";

static void expect_parse_error(const char *text, const char *needle)
{
    struct jl_journal j;
    char why[512];
    int rc = journal_jsonl_parse(text, strlen(text), &j, why, sizeof why);
    CHECK_EQ_INT(rc, -1);
    if (rc == 0) {
        journal_jsonl_free(&j);
        return;
    }
    if (!strstr(why, needle)) {
        fprintf(stderr, "  parse error '%s' lacks '%s'\n", why, needle);
        CHECK(0);
    }
}

static void test_parse(void)
{
    struct jl_journal j;
    char why[512];
    const char *ok = "{\"bilan\":\"B-1\",\"budget_s\":43200.5,\"cap_s\":86400}\r\n"
                     "\n"
                     "{\"t\":1709542800,\"event\":\"session_open\",\"session\":\"S1\",\"phase\":\"investigation\"}\n"
                     "{\"t\":1709542800.001,\"event\":\"join\",\"session\":\"S1\",\"device\":\"d1\",\"role\":\"consultant\",\"x\":[1]}\n"
                     "  \n"
                     "{\"t\":1709542801.5,\"event\":\"personal\",\"seconds\":3600.25}"; /* no final newline */
    CHECK_EQ_INT(journal_jsonl_parse(ok, strlen(ok), &j, why, sizeof why), 0);
    CHECK_STR(j.meta.bilan, "B-1");
    CHECK_EQ_INT(j.meta.budget_ms, 43200500);
    CHECK_EQ_INT(j.meta.cap_ms, 86400000);
    CHECK_EQ_INT(j.n, 3);
    CHECK_EQ_INT(j.ev[0].t_ms, 1709542800000LL);
    CHECK_EQ_INT(j.ev[0].phase, BP_PHASE_INVESTIGATION);
    CHECK_EQ_INT(j.ev[0].line, 3);
    CHECK_EQ_INT(j.ev[1].t_ms, 1709542800001LL);
    CHECK_EQ_INT(j.ev[1].role, BP_ROLE_CONSULTANT);
    CHECK_STR(j.ev[1].device, "d1");
    CHECK_EQ_INT(j.ev[1].line, 4);
    CHECK_EQ_INT(j.ev[2].kind, ACC_PERSONAL);
    CHECK_EQ_INT(j.ev[2].personal_ms, 3600250);
    CHECK_EQ_INT(j.ev[2].line, 6);
    journal_jsonl_free(&j);

    expect_parse_error("", "line 1: empty journal");
    expect_parse_error("{\"t\":1,\"event\":\"join\"}\n", "line 1: the first line must be the header");
    expect_parse_error("{\"bilan\":\"B\",\"cap_s\":1}\n", "line 1: the header has no \"budget_s\"");
    char buf[8192];
    snprintf(buf, sizeof buf, "%s{\"t\":1,\"event\":\"session_open\",\"session\":\"S\",\"phase\":\"suivi\"}\n{oops\n",
             HEADER);
    expect_parse_error(buf, "line 3: invalid JSON");
    snprintf(buf, sizeof buf, "%s\n{\"t\":1,\"event\":\"dance\",\"session\":\"S\"}\n", HEADER);
    expect_parse_error(buf, "line 3: unknown event \"dance\"");
    snprintf(buf, sizeof buf, "%s{\"t\":1.0005,\"event\":\"leave\",\"session\":\"S\",\"device\":\"d\"}\n", HEADER);
    expect_parse_error(buf, "line 2: \"t\" has more than 3 decimals");
    snprintf(buf, sizeof buf, "%s{\"t\":-1,\"event\":\"leave\",\"session\":\"S\",\"device\":\"d\"}\n", HEADER);
    expect_parse_error(buf, "line 2: \"t\" must be");
    snprintf(buf, sizeof buf, "%s{\"t\":\"1\",\"event\":\"leave\",\"session\":\"S\",\"device\":\"d\"}\n", HEADER);
    expect_parse_error(buf, "line 2: \"t\" must be");
    snprintf(buf, sizeof buf, "%s{\"t\":1,\"event\":\"join\",\"session\":\"S\",\"device\":\"d\"}\n", HEADER);
    expect_parse_error(buf, "line 2: join without \"role\"");
    snprintf(buf, sizeof buf, "%s{\"t\":1,\"event\":\"join\",\"session\":\"S\",\"device\":\"d\",\"role\":\"boss\"}\n",
             HEADER);
    expect_parse_error(buf, "line 2: \"role\" must be");
    snprintf(buf, sizeof buf, "%s{\"t\":1,\"event\":\"session_open\",\"session\":\"S\"}\n", HEADER);
    expect_parse_error(buf, "line 2: session_open without \"phase\"");
    snprintf(buf, sizeof buf, "%s{\"t\":1,\"event\":\"session_open\",\"session\":\"S\",\"phase\":\"lunch\"}\n", HEADER);
    expect_parse_error(buf, "line 2: \"phase\" must be");
    snprintf(buf, sizeof buf, "%s{\"t\":1,\"t\":2,\"event\":\"alive\",\"session\":\"S\",\"device\":\"d\"}\n", HEADER);
    expect_parse_error(buf, "line 2: invalid JSON");
    snprintf(buf, sizeof buf, "%s[1]\n", HEADER);
    expect_parse_error(buf, "line 2: not a JSON object");
    snprintf(buf, sizeof buf, "%s{\"t\":1,\"event\":\"personal\"}\n", HEADER);
    expect_parse_error(buf, "line 2: personal without \"seconds\"");
    snprintf(buf, sizeof buf, "%s{\"t\":1,\"event\":\"personal\",\"seconds\":90000}\n", HEADER);
    expect_parse_error(buf, "line 2: \"seconds\" must be");
    size_t k = (size_t)snprintf(buf, sizeof buf, "%s{\"t\":1,\"event\":\"alive\",\"session\":\"", HEADER);
    memset(buf + k, 'x', 4200);
    snprintf(buf + k + 4200, sizeof buf - k - 4200, "\"}\n");
    expect_parse_error(buf, "line 2: longer than 4096 bytes");
    k = (size_t)snprintf(buf, sizeof buf, "%s{\"t\":1,\"event\":\"alive\",\"device\":\"d\",\"session\":\"", HEADER);
    memset(buf + k, 'x', 65);
    snprintf(buf + k + 65, sizeof buf - k - 65, "\"}\n");
    expect_parse_error(buf, "line 2: \"session\" must be a string of 1 to 64 bytes");

    /* A parsed journal with a corrupt order names the line in the accounting error. */
    snprintf(buf, sizeof buf, "%s{\"t\":1,\"event\":\"session_open\",\"session\":\"S\",\"phase\":\"suivi\"}\n"
             "{\"t\":2,\"event\":\"leave\",\"session\":\"S\",\"device\":\"d\"}\n", HEADER);
    CHECK_EQ_INT(journal_jsonl_parse(buf, strlen(buf), &j, why, sizeof why), 0);
    struct acc_report r;
    struct acc_err err;
    CHECK_EQ_INT(account_compute(j.ev, j.n, &j.meta, &r, &err), -1);
    CHECK(strstr(err.msg, "line 3: leave of device 'd'") != NULL);
    CHECK_EQ_INT(err.index, 1);
    journal_jsonl_free(&j);
}

static void test_write_and_round_trip(void)
{
    char line[JL_LINE_MAX + 2];
    struct acc_bilan m = meta(H(12) + 500);
    CHECK(journal_jsonl_write_header(&m, 1, line, sizeof line) > 0);
    CHECK_STR(line, "{\"bilan\":\"B-TEST\",\"budget_s\":43200.5,\"cap_s\":86400}\n");
    build_drop_rejoin();
    CHECK(journal_jsonl_write_event(&evs[5], line, sizeof line) > 0);
    CHECK_STR(line, "{\"seq\":6,\"t\":1709544600.5,\"event\":\"lost\",\"session\":\"S2\",\"device\":\"ben\"}\n");
    CHECK(journal_jsonl_write_event(&evs[0], line, sizeof line) > 0);
    CHECK_STR(line, "{\"seq\":1,\"t\":1709542800,\"event\":\"session_open\",\"session\":\"S2\",\"phase\":\"investigation\"}\n");
    /* Without a seq: the line as format 1 wrote it (journal_sha256 of older records). */
    struct acc_event old = evs[0];
    old.seq = 0;
    CHECK(journal_jsonl_write_event(&old, line, sizeof line) > 0);
    CHECK_STR(line, "{\"t\":1709542800,\"event\":\"session_open\",\"session\":\"S2\",\"phase\":\"investigation\"}\n");
    CHECK(journal_jsonl_write_header(&m, JL_FORMAT, line, sizeof line) > 0);
    CHECK_STR(line, "{\"bilan\":\"B-TEST\",\"budget_s\":43200.5,\"cap_s\":86400,\"format\":2}\n");
    add_personal(S(9000.125), 1800001);
    snprintf(evs[nev - 1].device, sizeof evs[0].device, "we\"ird\n");
    CHECK(journal_jsonl_write_event(&evs[nev - 1], line, sizeof line) > 0);
    CHECK_STR(line, "{\"seq\":11,\"t\":1709551800.125,\"event\":\"personal\",\"device\":\"we\\\"ird\\u000a\",\"seconds\":1800.001}\n");
    CHECK_EQ_INT(journal_jsonl_write_event(&evs[0], line, 20), -1);

    /* Writer -> parser -> same report. */
    static char text[64 * 1024];
    size_t len = 0;
    int n = journal_jsonl_write_header(&m, JL_FORMAT, text, sizeof text);
    CHECK(n > 0);
    len += (size_t)n;
    for (size_t i = 0; i < nev; i++) {
        n = journal_jsonl_write_event(&evs[i], text + len, sizeof text - len);
        CHECK(n > 0);
        len += (size_t)n;
    }
    struct jl_journal j;
    char why[512];
    struct acc_report a, b;
    struct acc_err err;
    CHECK_EQ_INT(journal_jsonl_parse(text, len, &j, why, sizeof why), 0);
    CHECK_EQ_INT(j.n, nev);
    CHECK_EQ_INT(account_compute(evs, nev, &m, &a, &err), 0);
    CHECK_EQ_INT(account_compute(j.ev, j.n, &j.meta, &b, &err), 0);
    CHECK_EQ_INT(a.face_to_face_ms, b.face_to_face_ms);
    CHECK_EQ_INT(b.face_to_face_ms, 7095500);
    CHECK_EQ_INT(b.personal_ms, 1800001);
    CHECK_EQ_INT(b.budget_ms, H(12) + 500);
    CHECK_EQ_INT(b.sessions[0].interruptions, 1);
    CHECK_EQ_INT(b.sessions[0].end_ms, a.sessions[0].end_ms);
    for (size_t i = 0; i < nev; i++) {
        CHECK_EQ_INT(j.ev[i].t_ms, evs[i].t_ms);
        CHECK_EQ_INT(j.ev[i].kind, evs[i].kind);
    }
    account_report_free(&a);
    account_report_free(&b);
    journal_jsonl_free(&j);
}

/* ---- report ---- */

static void test_report(void)
{
    char s[32];
    CHECK(report_fmt_hmm(7199500, s, sizeof s) > 0);
    CHECK_STR(s, "2:00");
    report_fmt_hmm(5400000, s, sizeof s);
    CHECK_STR(s, "1:30");
    report_fmt_hmm(89999, s, sizeof s);
    CHECK_STR(s, "0:01");
    report_fmt_hmm(90000, s, sizeof s);
    CHECK_STR(s, "0:02");
    report_fmt_hmm(H(24) + 500, s, sizeof s);
    CHECK_STR(s, "24:00");
    journal_fmt_seconds(7095500, s, sizeof s);
    CHECK_STR(s, "7095.5");
    journal_fmt_seconds(1, s, sizeof s);
    CHECK_STR(s, "0.001");
    journal_fmt_seconds(10, s, sizeof s);
    CHECK_STR(s, "0.01");
    journal_fmt_seconds(0, s, sizeof s);
    CHECK_STR(s, "0");

    build_drop_rejoin();
    add_personal(S(9000), H(1));
    struct acc_report r;
    struct acc_err err;
    CHECK_EQ_INT(compute(H(16), &r, &err), 0);
    char *out;
    size_t len;
    CHECK_EQ_INT(report_format(&r, REPORT_JSON, &out, &len), 0);
    json_error_t je;
    json_t *o = json_loads(out, 0, &je);
    CHECK(o != NULL);
    if (o) {
        CHECK_STR(json_string_value(json_object_get(o, "bilan")), "B-TEST");
        json_t *ss = json_object_get(o, "sessions");
        CHECK_EQ_INT(json_array_size(ss), 1);
        json_t *s0 = json_array_get(ss, 0);
        CHECK_STR(json_string_value(json_object_get(s0, "id")), "S2");
        CHECK_STR(json_string_value(json_object_get(s0, "phase")), "investigation");
        CHECK_EQ_INT(json_integer_value(json_object_get(s0, "start")), 1709542800);
        CHECK_EQ_INT(json_integer_value(json_object_get(s0, "end")), 1709542800 + 7215);
        CHECK_STR(json_string_value(json_object_get(s0, "start_utc")), "2024-03-04T09:00:00Z");
        CHECK(json_real_value(json_object_get(s0, "face_to_face_s")) == 7095.5);
        CHECK_EQ_INT(json_integer_value(json_object_get(s0, "interruptions")), 1);
        json_t *bp = json_object_get(o, "by_phase");
        CHECK_EQ_INT(json_object_size(bp), 4);
        CHECK(json_real_value(json_object_get(bp, "investigation")) == 7095.5);
        CHECK(json_is_integer(json_object_get(bp, "preliminaire")));
        CHECK(json_real_value(json_object_get(o, "face_to_face_s")) == 7095.5);
        CHECK_EQ_INT(json_integer_value(json_object_get(o, "budget_s")), 57600);
        CHECK(json_real_value(json_object_get(o, "remaining_s")) == 57600 - 7095.5);
        CHECK_EQ_INT(json_integer_value(json_object_get(o, "personal_s")), 3600);
        CHECK(json_real_value(json_object_get(o, "total_s")) == 10695.5);
        CHECK_EQ_INT(json_integer_value(json_object_get(o, "cap_s")), 86400);
        CHECK(json_is_false(json_object_get(o, "over_budget")));
        CHECK(json_is_false(json_object_get(o, "over_cap")));
        CHECK(json_is_null(json_object_get(o, "budget_reached")));
        CHECK_EQ_INT(json_integer_value(json_object_get(o, "duplicates_ignored")), 0);
        json_decref(o);
    }
    free(out);

    CHECK_EQ_INT(report_format(&r, REPORT_CSV, &out, &len), 0);
    CHECK(!strncmp(out, "row,id,phase,start_utc,end_utc,seconds,interruptions\r\n"
                   "session,S2,investigation,2024-03-04T09:00:00Z,2024-03-04T11:00:15Z,7095.5,1\r\n"
                   "phase,,preliminaire,,,0,\r\n", strlen("row,id,phase,start_utc,end_utc,seconds,"
                   "interruptions\r\nsession,S2,investigation,2024-03-04T09:00:00Z,2024-03-04T11:00:15Z,"
                   "7095.5,1\r\nphase,,preliminaire,,,0,\r\n")));
    CHECK(strstr(out, "\r\nface_to_face,,,,,7095.5,\r\n") != NULL);
    CHECK(strstr(out, "\r\ntotal,,,,,10695.5,\r\n") != NULL);
    CHECK(strstr(out, "\r\nover_cap,,,,,0,\r\n") != NULL);
    free(out);

    CHECK_EQ_INT(report_format(&r, REPORT_TABLE, &out, &len), 0);
    CHECK(strstr(out, "04/03/2024 09:00") != NULL); /* French dates for people */
    CHECK(strstr(out, "1:58") != NULL);                  /* 7095.5 s = 1 h 58 min 15.5 s */
    CHECK(strstr(out, "Phase d'investigation (investigation)") != NULL);
    CHECK(strstr(out, "sur un budget de 16:00, reste 14:02") != NULL);
    CHECK(strstr(out, "DÉPASSÉ") == NULL);
    free(out);

    /* The funders' spreadsheet: BOM, ';', French header, dd/mm/yyyy, h:mm and
     * seconds with a decimal comma. */
    CHECK_EQ_INT(report_format(&r, REPORT_TABLEUR, &out, &len), 0);
    CHECK(!strncmp(out, "\xef\xbb\xbfligne;séance;phase;début (UTC);fin (UTC);durée (h:mm);secondes;"
                        "interruptions\r\n", strlen("\xef\xbb\xbfligne;séance;phase;début (UTC);fin (UTC);"
                        "durée (h:mm);secondes;interruptions\r\n")));
    CHECK(strstr(out, "\r\nséance;S2;investigation;04/03/2024 09:00;04/03/2024 11:00;1:58;7095,5;1\r\n") != NULL);
    CHECK(strstr(out, "\r\nface-à-face;;;;;1:58;7095,5;\r\n") != NULL);
    CHECK(strstr(out, "\r\nbudget dépassé;non\r\n") != NULL);
    CHECK(strstr(out, ",,") == NULL);
    free(out);
    account_report_free(&r);

    CHECK_EQ_INT(report_format_parse("json"), REPORT_JSON);
    CHECK_EQ_INT(report_format_parse("tableur"), REPORT_TABLEUR);
    CHECK_EQ_INT(report_format_parse("csv-fr"), REPORT_TABLEUR);
    CHECK_EQ_INT(report_format_parse("xml"), -1);

    struct acc_utc u;
    account_utc_from_ms(951782400000LL + 86399999, &u); /* 2000-02-29 23:59:59.999 */
    CHECK_EQ_INT(u.year, 2000);
    CHECK_EQ_INT(u.month, 2);
    CHECK_EQ_INT(u.day, 29);
    CHECK_EQ_INT(u.hour, 23);
    CHECK_EQ_INT(u.ms, 999);
}

int main(void)
{
    test_simple();
    test_drop_rejoin();
    test_consultant_alone();
    test_double_regard();
    test_closed_with_people_inside();
    test_crash();
    test_budget_crossed();
    test_personal_over_cap();
    test_order_and_duplicates();
    test_same_millisecond();
    test_errors();
    test_parse();
    test_write_and_round_trip();
    test_report();
    return check_report();
}
