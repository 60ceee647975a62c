/* test_ledger.c: the property of the hours (issue "an unbreakable journal"):
 * whatever members send, in whatever interleaving, with many events in the
 * same millisecond and a wall clock that may step back, the bilan always has
 * a report, and the report from the store (frozen session rows, ledger.c) is
 * the one a replay of the export gives, and a replay of the export shuffled
 * and partly duplicated. Driven through server/conn.c and server/attendance.c
 * with the fake transport and a fake clock, seeded: a failure names its seed.
 * Each run ends either cleanly (everyone leaves) or with a crash (the server
 * state is dropped, then restart marks and freezes what was open). */
#include <stdlib.h>
#include <string.h>

#include "../check.h"
#include "auth.h"
#include "conn.h"
#include "journal_jsonl.h"
#include "ledger.h"
#include "log.h"
#include "attendance.h"

static struct now T = {1700000000, 100000, 1700000000000LL};
#include "fake_conn.h"

#define NDEV 4    /* consultant A, consultant A's second device, beneficiary, its second device */
#define STEPS 400
#define SEEDS 40

static uint64_t rng;
static uint32_t rnd(uint32_t n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng % n);
}

static struct bp_identity ids[NDEV];
static char tokens[NDEV][BP_B64_32 + 1];
static char bilan[BP_ID_MAX + 1];
static int seed_failed;

static void tick(int64_t ms, int64_t wall_ms)
{
    T.ms += ms;
    T.wall_ms += wall_ms;
    T.s = T.wall_ms / 1000;
}

/* conns[d] and conns[d + NDEV] are the two possible connections of device d. */
static int live_conn[2 * NDEV];

static void open_auth(int k)
{
    memset(&conns[k], 0, sizeof conns[k]);
    memset(&fakes[k], 0, sizeof fakes[k]);
    conn_open(&conns[k], &srv, &fakes[k], "192.0.2.7", T);
    live_conn[k] = 1;
    /* The same device redeeming its token again is an authentication. */
    if (!enrol(&conns[k], &ids[k % NDEV], tokens[k % NDEV])) {
        fprintf(stderr, "seed: enrol of device %d failed\n", k % NDEV);
        seed_failed = 1;
    }
}

static void close_conn(int k)
{
    if (!live_conn[k])
        return;
    drain(&conns[k]);
    conn_closed(&conns[k], T);
    live_conn[k] = 0;
}

static void say(int k, const char *fmt, const char *arg)
{
    char buf[256];
    snprintf(buf, sizeof buf, fmt, arg);
    text(&conns[k], buf);
}

/* One random thing a member, the network or the clock does. */
static void step(void)
{
    int k = (int)rnd(2 * NDEV), d = k % NDEV;
    struct conn *c = &conns[k];
    static const char *const phases[] = {"preliminaire", "investigation", "conclusion", "suivi"};
    switch (rnd(14)) {
    case 0:
    case 1:
    case 8: /* join (a second connection of a device in the room replaces it) */
        if (!live_conn[k])
            open_auth(k);
        if (c->state == CS_AUTHED)
            say(k, "{\"type\":\"join\",\"bilan\":\"%s\"}", bilan);
        break;
    case 2: /* leave */
        if (live_conn[k] && c->state == CS_IN_ROOM)
            text(c, "{\"type\":\"leave\"}");
        break;
    case 3: /* the connection drops */
        close_conn(k);
        break;
    case 4: { /* silent since some time ago, then detected: lost */
        if (!live_conn[k] || c->state != CS_IN_ROOM)
            break;
        int64_t back = (int64_t)rnd(20000);
        c->last_rx_ms = T.ms - 15000;
        c->last_rx_wall_ms = T.wall_ms - back;
        close_conn(k);
        break;
    }
    case 5: { /* personal work (beneficiary devices; consultants get forbidden) */
        if (!live_conn[k])
            open_auth(k);
        char buf[256];
        snprintf(buf, sizeof buf, "{\"type\":\"personal_declare\",\"bilan\":\"%s\",\"seconds\":%u}", bilan,
                 60 + rnd(7200));
        text(c, buf);
        break;
    }
    case 6: /* a consultant opens a session */
        if (live_conn[k] && c->state == CS_IN_ROOM)
            say(k, "{\"type\":\"session_open\",\"phase\":\"%s\"}", phases[rnd(4)]);
        break;
    case 7: /* ... or closes it */
        if (live_conn[k] && c->state == CS_IN_ROOM && d < 2 && rnd(3) == 0)
            text(c, "{\"type\":\"session_close\"}");
        break;
    default: { /* the clock: often the same millisecond, sometimes far, rarely back */
        uint32_t r = rnd(100);
        int64_t ms = r < 50 ? 0 : r < 75 ? 1 + rnd(999) : r < 93 ? 1000 + rnd(20000) : 60000 + rnd(900000);
        int64_t wall = ms;
        if (rnd(40) == 0)
            wall = -(int64_t)rnd(5000); /* NTP steps the wall clock back */
        tick(ms, wall);
        for (int i = 0; i < 2 * NDEV; i++)
            if (live_conn[i] && rnd(8))
                conn_pong(&conns[i], T);
        conn_sweep(&srv, T);
        for (int i = 0; i < 2 * NDEV; i++)
            if (live_conn[i] && conns[i].closing) { /* the sweep cut a silent one */
                conn_closed(&conns[i], T);
                live_conn[i] = 0;
            }
        break;
    }
    }
    for (int i = 0; i < 2 * NDEV; i++)
        if (live_conn[i])
            drain(&conns[i]);
}

/* ---- the three reports ---- */

static char *export_text(size_t *len)
{
    char *buf = NULL, why[320];
    FILE *f = open_memstream(&buf, len);
    if (!f)
        return NULL;
    int rc = ledger_export(srv.ops, srv.st, bilan, f, why, sizeof why);
    fclose(f);
    if (rc) {
        fprintf(stderr, "export: %s\n", why);
        free(buf);
        return NULL;
    }
    return buf;
}

static int replay(const char *text, size_t len, struct acc_report *r, size_t *ndup)
{
    struct jl_journal j;
    struct acc_err err;
    char why[320];
    if (journal_jsonl_parse(text, len, &j, why, sizeof why)) {
        fprintf(stderr, "replay: parse: %s\n", why);
        return -1;
    }
    int rc = account_compute(j.ev, j.n, &j.meta, r, &err);
    if (rc)
        fprintf(stderr, "replay: %s\n", err.msg);
    else if (ndup)
        *ndup = r->duplicates_ignored;
    journal_jsonl_free(&j);
    return rc;
}

/* The export's lines but the header, shuffled, plus copies of some. */
static char *shuffle(const char *text, size_t len, size_t *out_len, size_t *copies)
{
    size_t n = 0, cap = 64;
    const char **line = malloc(cap * sizeof *line);
    size_t *ll = malloc(cap * sizeof *ll);
    const char *p = text, *end = text + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t l = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
        if (n == cap) {
            cap *= 2;
            line = realloc(line, cap * sizeof *line);
            ll = realloc(ll, cap * sizeof *ll);
        }
        line[n] = p;
        ll[n++] = l;
        p += l;
    }
    for (size_t i = n - 1; i > 1; i--) {
        size_t j = 1 + rnd((uint32_t)i);
        const char *t = line[i];
        line[i] = line[j];
        line[j] = t;
        size_t tl = ll[i];
        ll[i] = ll[j];
        ll[j] = tl;
    }
    char *out = malloc(2 * len + 1);
    size_t o = 0;
    *copies = 0;
    for (size_t i = 0; i < n; i++) {
        memcpy(out + o, line[i], ll[i]);
        o += ll[i];
        if (i > 0 && rnd(10) == 0) {
            memcpy(out + o, line[i], ll[i]);
            o += ll[i];
            (*copies)++;
        }
    }
    free(line);
    free(ll);
    *out_len = o;
    return out;
}

static int same_report(const struct acc_report *a, const struct acc_report *b, const char *what)
{
    int ok = a->n_sessions == b->n_sessions && a->face_to_face_ms == b->face_to_face_ms &&
             a->personal_ms == b->personal_ms && a->total_ms == b->total_ms && a->remaining_ms == b->remaining_ms &&
             a->over_budget == b->over_budget && a->over_cap == b->over_cap &&
             a->budget_reached_ms == b->budget_reached_ms &&
             !memcmp(a->by_phase_ms, b->by_phase_ms, sizeof a->by_phase_ms);
    for (size_t i = 0; ok && i < a->n_sessions; i++) {
        const struct acc_session *x = &a->sessions[i], *y = &b->sessions[i];
        ok = !strcmp(x->id, y->id) && x->phase == y->phase && x->start_ms == y->start_ms && x->end_ms == y->end_ms &&
             x->closed == y->closed && x->face_to_face_ms == y->face_to_face_ms &&
             x->interruptions == y->interruptions;
        if (!ok)
            fprintf(stderr, "%s: session %s differs: ftf %lld/%lld end %lld/%lld closed %d/%d irq %u/%u\n", what,
                    x->id, (long long)x->face_to_face_ms, (long long)y->face_to_face_ms, (long long)x->end_ms,
                    (long long)y->end_ms, x->closed, y->closed, x->interruptions, y->interruptions);
    }
    if (!ok)
        fprintf(stderr, "%s: reports differ (ftf %lld/%lld, personal %lld/%lld, sessions %zu/%zu, reached %lld/%lld)\n",
                what, (long long)a->face_to_face_ms, (long long)b->face_to_face_ms, (long long)a->personal_ms,
                (long long)b->personal_ms, a->n_sessions, b->n_sessions, (long long)a->budget_reached_ms,
                (long long)b->budget_reached_ms);
    return ok;
}

/* Store, export, shuffled export: one report. live: also the server's
 * report with the open session counted live (must exist). */
static void check_reports(int with_live, uint64_t seed)
{
    struct acc_report st, ex, sh, lv;
    char why[320];
    size_t len = 0, slen = 0, copies = 0, dups = 0;
    int ok = ledger_report(srv.ops, srv.st, bilan, NULL, T.wall_ms, &st, why, sizeof why) == 0;
    if (!ok)
        fprintf(stderr, "seed %llu: no report from the store: %s\n", (unsigned long long)seed, why);
    CHECK(ok);
    if (with_live) {
        struct room *room = rooms_get(&srv.rooms, bilan, 0);
        const struct ledger_live *l = room && room->session ? &room->session->live : NULL;
        int lok = ledger_report(srv.ops, srv.st, bilan, l, T.wall_ms, &lv, why, sizeof why) == 0;
        if (!lok)
            fprintf(stderr, "seed %llu: no live report: %s\n", (unsigned long long)seed, why);
        CHECK(lok);
        if (lok)
            account_report_free(&lv);
    }
    char *text = export_text(&len);
    CHECK(text != NULL);
    int eok = text && replay(text, len, &ex, NULL) == 0;
    CHECK(eok);
    char *shuf = text ? shuffle(text, len, &slen, &copies) : NULL;
    int sok = shuf && replay(shuf, slen, &sh, &dups) == 0;
    CHECK(sok);
    if (ok && eok) {
        int same = same_report(&st, &ex, "store vs export");
        if (!same)
            fprintf(stderr, "  (seed %llu)\n", (unsigned long long)seed);
        CHECK(same);
    }
    if (eok && sok) {
        CHECK(same_report(&ex, &sh, "export vs shuffled export"));
        CHECK_EQ_INT(dups, copies);
    }
    if (ok)
        account_report_free(&st);
    if (eok)
        account_report_free(&ex);
    if (sok)
        account_report_free(&sh);
    free(text);
    free(shuf);
}

/* The server dies: its memory goes without a word to the journal. */
static void crash(void)
{
    attendance_free_all(&srv);
    rooms_clear(&srv.rooms);
    for (int i = 0; i < 2 * NDEV; i++) {
        if (!live_conn[i])
            continue;
        outq_clear(&conns[i].q);
        free(conns[i].rx);
        live_conn[i] = 0;
    }
    srv.conns = NULL;
    srv.nconns = 0;
    int64_t n = 0;
    int frozen = 0;
    CHECK_EQ_INT(srv.ops->journal->sessions_end_open(srv.st, &n), 0);
    CHECK_EQ_INT(ledger_backfill(srv.ops, srv.st, 1000, &frozen), 0);
    CHECK_EQ_INT(frozen, n);
}

int main(void)
{
    char dir[] = "/tmp/bilan-test-ledger-XXXXXX", why[256], path[256];
    log_init(0);
    if (!mkdtemp(dir))
        return 1;
    for (uint64_t seed = 1; seed <= SEEDS; seed++) {
        rng = 0x9e3779b97f4a7c15ULL * seed;
        memset(&srv, 0, sizeof srv);
        srv.transport = &fake_transport;
        memset(live_conn, 0, sizeof live_conn);
        seed_failed = 0;
        snprintf(path, sizeof path, "%s/server-%llu.db", dir, (unsigned long long)seed);
        srv.ops = &store_sqlite;
        srv.soft_budget = 1 << 20;
        srv.invite_ttl_s = 3600;
        ratelimit_init(&srv.rl, 100, 60);
        if (store_open(srv.ops, path, 1, &srv.st, why, sizeof why))
            return 1;
        int64_t alice;
        struct auth_token tok;
        srv.ops->identity->consultant_add(srv.st, "alice", T.s, &alice);
        auth_issue_enrol_token(srv.ops, srv.st, alice, T.s, 3600, &tok);
        for (int d = 0; d < NDEV; d++)
            bp_identity_generate(&ids[d]);
        snprintf(tokens[0], sizeof tokens[0], "%s", tok.b64);
        open_auth(0);
        text(&conns[0], "{\"type\":\"bilan_create\",\"label\":\"P\",\"budget_s\":3600}");
        json_t *bc = NULL;
        CHECK(expect_type(&conns[0], "bilan_created", &bc));
        if (!bc)
            return check_report();
        snprintf(bilan, sizeof bilan, "%s", json_string_value(json_object_get(bc, "bilan")));
        snprintf(tokens[2], sizeof tokens[2], "%s", json_string_value(json_object_get(bc, "invite_token")));
        json_decref(bc);
        /* A's second device: another enrolment token; the beneficiary's
         * second device: a second invite. */
        auth_issue_enrol_token(srv.ops, srv.st, alice, T.s, 3600, &tok);
        snprintf(tokens[1], sizeof tokens[1], "%s", tok.b64);
        open_auth(2);
        say(0, "{\"type\":\"invite_create\",\"bilan\":\"%s\"}", bilan);
        json_t *ic = NULL;
        CHECK(expect_type(&conns[0], "invite_created", &ic));
        if (ic)
            snprintf(tokens[3], sizeof tokens[3], "%s", json_string_value(json_object_get(ic, "invite_token")));
        json_decref(ic);
        open_auth(1);
        open_auth(3);
        if (seed_failed)
            return check_report();

        for (int i = 0; i < STEPS; i++) {
            step();
            if (i % 100 == 99)
                check_reports(1, seed);
        }
        if (seed % 3 == 0) {
            crash();
        } else {
            for (int k = 0; k < 2 * NDEV; k++)
                close_conn(k);
        }
        check_reports(0, seed);
        if (getenv("LEDGER_STATS")) {
            struct acc_report r;
            if (!ledger_report(srv.ops, srv.st, bilan, NULL, T.wall_ms, &r, why, sizeof why)) {
                size_t irq = 0, open = 0;
                for (size_t i = 0; i < r.n_sessions; i++) {
                    irq += r.sessions[i].interruptions;
                    open += !r.sessions[i].closed;
                }
                fprintf(stderr, "seed %llu: %zu sessions (%zu not closed), %zu interruptions, ftf %lld s, personal %lld s, reached %lld\n",
                        (unsigned long long)seed, r.n_sessions, open, irq, (long long)r.face_to_face_ms / 1000,
                        (long long)r.personal_ms / 1000, (long long)r.budget_reached_ms);
                account_report_free(&r);
            }
        }
        /* As the server at exit: a room whose members were lost keeps its
         * session through the grace (PROTOCOL §9.1); it goes with the rest. */
        attendance_free_all(&srv);
        rooms_clear(&srv.rooms);
        srv.ops->close(srv.st);
        srv.st = NULL;
    }
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return check_report();
}
