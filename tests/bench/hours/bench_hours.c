/* bench_hours.c: the server-side cost of the hours, before and after the
 * ledger (server/ledger.c), measured in the same run on the same database.
 *
 * A bilan's journal is built in a temporary SQLite file: a full bilan (eight
 * 2 h sessions, two members, an alive checkpoint every 10 s each: about
 * 12,000 events), then, for the second size, a flood of declarations up to
 * one million events. A session is open at the end, with both members in.
 *
 * "before" is what the previous server did for every join or leave and every
 * `hours` request: read the bilan's whole journal and count it
 * (account_compute), then format the report for `hours`. "after" is what
 * this server does: one journal line and the open session counted in memory
 * (ledger_live_add + ledger_live_figures) for a join or leave; the frozen
 * session rows, the personal total and the live session for `hours`
 * (ledger_report). Both append the same journal line for a join or leave.
 *
 * Prints medians and the ratio before/after. Figures, not pass/fail. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "account.h"
#include "ledger.h"
#include "log.h"
#include "report.h"
#include "store.h"

static const struct store_ops *ops = &store_sqlite;

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int cmp64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static int64_t median(int64_t *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp64);
    return v[n / 2];
}

#define T0 1700000000000LL
#define BILAN "bBench"
static const char *DEV_C = "consultant-device-fingerprint-0000000000000";
static const char *DEV_B = "beneficiary-device-fingerprint-000000000000";
static int64_t seq_t = T0;

static void line(struct store *st, const char *session, int kind, const char *dev, int role, int phase, int64_t t,
                 struct ledger_live *live)
{
    struct store_jev e;
    memset(&e, 0, sizeof e);
    snprintf(e.bilan, sizeof e.bilan, "%s", BILAN);
    if (session)
        snprintf(e.ev.session, sizeof e.ev.session, "%s", session);
    if (dev)
        snprintf(e.ev.device, sizeof e.ev.device, "%s", dev);
    e.ev.kind = kind;
    e.ev.role = role;
    e.ev.phase = phase;
    e.ev.t_ms = t;
    if (kind == ACC_PERSONAL)
        e.ev.personal_ms = 60000;
    if (ops->journal->journal_append(st, &e)) {
        fprintf(stderr, "bench: journal_append failed\n");
        exit(1);
    }
    if (live && ledger_live_add(live, &e.ev))
        exit(1);
}

static void session(struct store *st, const char *id, int64_t start, int64_t len_ms, int close)
{
    struct store_session ss;
    memset(&ss, 0, sizeof ss);
    snprintf(ss.id, sizeof ss.id, "%s", id);
    snprintf(ss.bilan, sizeof ss.bilan, "%s", BILAN);
    ss.phase = BP_PHASE_INVESTIGATION;
    ss.opened_ms = start;
    ss.rules = LEDGER_RULES;
    ops->journal->session_add(st, &ss);
    line(st, id, ACC_SESSION_OPEN, NULL, BP_ROLE_NONE, BP_PHASE_INVESTIGATION, start, NULL);
    line(st, id, ACC_JOIN, DEV_C, BP_ROLE_CONSULTANT, BP_PHASE_NONE, start, NULL);
    line(st, id, ACC_JOIN, DEV_B, BP_ROLE_BENEFICIARY, BP_PHASE_NONE, start, NULL);
    for (int64_t t = start + 10000; t < start + len_ms; t += 10000) {
        line(st, id, ACC_ALIVE, DEV_C, BP_ROLE_NONE, BP_PHASE_NONE, t, NULL);
        line(st, id, ACC_ALIVE, DEV_B, BP_ROLE_NONE, BP_PHASE_NONE, t, NULL);
    }
    if (!close)
        return;
    line(st, id, ACC_LEAVE, DEV_B, BP_ROLE_NONE, BP_PHASE_NONE, start + len_ms, NULL);
    line(st, id, ACC_LEAVE, DEV_C, BP_ROLE_NONE, BP_PHASE_NONE, start + len_ms, NULL);
    line(st, id, ACC_SESSION_CLOSE, NULL, BP_ROLE_NONE, BP_PHASE_NONE, start + len_ms, NULL);
    ops->journal->session_end(st, id, start + len_ms, "closed");
}

/* ---- the previous server's way: the whole journal, every time ---- */

struct evbuf {
    struct acc_event *ev;
    size_t n, cap;
};

static int push(void *arg, const struct store_jev *e)
{
    struct evbuf *b = arg;
    if (b->n == b->cap) {
        b->cap = b->cap ? 2 * b->cap : 1024;
        b->ev = realloc(b->ev, b->cap * sizeof *b->ev);
        if (!b->ev)
            return BP_E_NOMEM;
    }
    b->ev[b->n++] = e->ev;
    return 0;
}

static int old_report(struct store *st, struct acc_report *r)
{
    struct evbuf b = {0};
    struct acc_bilan meta = {.budget_ms = 57600000, .cap_ms = 86400000};
    struct acc_err err;
    snprintf(meta.bilan, sizeof meta.bilan, "%s", BILAN);
    int rc = ops->journal->journal_of_bilan(st, BILAN, NULL, push, &b);
    if (!rc)
        rc = account_compute(b.ev, b.n, &meta, r, &err);
    free(b.ev);
    return rc;
}

struct figures {
    int64_t old_event, new_event, old_hours, new_hours, open, close;
};

static int64_t flip_t;
static int flip;

/* One join or leave of the beneficiary in the open session "s-live". */
static void flip_member(struct store *st, struct ledger_live *live)
{
    flip_t += 1000;
    line(st, "s-live", flip ? ACC_JOIN : ACC_LEAVE, DEV_B, flip ? BP_ROLE_BENEFICIARY : BP_ROLE_NONE,
         BP_PHASE_NONE, flip_t, live);
    flip = !flip;
}

static void measure(struct store *st, struct ledger_live *live, int reps_old, int reps_new, struct figures *f)
{
    int64_t v[512];
    char *text;
    size_t len;
    for (int i = 0; i < reps_old; i++) {
        struct acc_report r;
        int64_t t = now_ns();
        flip_member(st, live); /* kept in step; costs an append */
        if (old_report(st, &r))
            exit(1);
        v[i] = now_ns() - t;
        account_report_free(&r);
    }
    f->old_event = median(v, reps_old);
    for (int i = 0; i < reps_old; i++) {
        struct acc_report r;
        int64_t t = now_ns();
        if (old_report(st, &r) || report_format(&r, REPORT_JSON, &text, &len))
            exit(1);
        v[i] = now_ns() - t;
        free(text);
        account_report_free(&r);
    }
    f->old_hours = median(v, reps_old);
    for (int i = 0; i < reps_new; i++) {
        struct acc_session row;
        int64_t total;
        int64_t t = now_ns();
        flip_member(st, live);
        if (ledger_live_figures(live, flip_t, &row, &total))
            exit(1);
        v[i] = now_ns() - t;
    }
    f->new_event = median(v, reps_new);
    for (int i = 0; i < reps_new; i++) {
        struct acc_report r;
        char why[320];
        int64_t t = now_ns();
        if (ledger_report(ops, st, BILAN, live, flip_t, &r, why, sizeof why) ||
            report_format(&r, REPORT_JSON, &text, &len)) {
            fprintf(stderr, "bench: %s\n", why);
            exit(1);
        }
        v[i] = now_ns() - t;
        free(text);
        account_report_free(&r);
    }
    f->new_hours = median(v, reps_new);
    for (int i = 0; i < reps_new; i++) {
        struct ledger_live l;
        char why[320];
        int64_t t = now_ns();
        if (ledger_live_begin(&l, ops, st, BILAN, "s-live", BP_PHASE_INVESTIGATION, T0, why, sizeof why))
            exit(1);
        v[i] = now_ns() - t;
        ledger_live_free(&l);
    }
    f->open = median(v, reps_new);
    /* At a close: the session counted once from its own lines (a 2 h
     * session, ~1,450 lines) and its record built. */
    struct store_session ss;
    if (ops->journal->session_get(st, "s-0", &ss))
        exit(1);
    for (int i = 0; i < reps_new; i++) {
        struct store_session_figures fig;
        char why[320];
        int64_t t = now_ns();
        if (ledger_session_compute(ops, st, &ss, LEDGER_RULES, &fig, NULL, why, sizeof why))
            exit(1);
        v[i] = now_ns() - t;
        ledger_figures_free(&fig);
    }
    f->close = median(v, reps_new);
}

static void print_row(const char *what, int64_t before, int64_t after)
{
    printf("  %-28s before %10.3f ms   after %8.1f us   ratio %8.0fx\n", what, before / 1e6, after / 1e3,
           (double)before / (double)(after ? after : 1));
}

int main(int argc, char **argv)
{
    long big = argc > 1 ? atol(argv[1]) : 999000;
    int reps_old = argc > 2 ? atoi(argv[2]) : 7, reps_new = 201;
    if (reps_old < 1 || reps_old > 512)
        reps_old = 7;
    char dir[] = "/tmp/bilan-bench-hours-XXXXXX", path[256], why[256];
    log_init(0);
    if (!mkdtemp(dir))
        return 1;
    snprintf(path, sizeof path, "%s/server.db", dir);
    struct store *st;
    if (store_open(ops, path, 1, &st, why, sizeof why)) {
        fprintf(stderr, "bench: %s\n", why);
        return 1;
    }
    int64_t cid;
    ops->identity->consultant_add(st, "bench", 1, &cid);
    struct store_bilan b;
    memset(&b, 0, sizeof b);
    snprintf(b.id, sizeof b.id, BILAN);
    snprintf(b.label, sizeof b.label, "bench");
    b.owner_id = cid;
    b.budget_s = 57600;
    ops->bilans->bilan_add(st, &b, 1);

    /* A full bilan: 8 sessions of 2 h, then the open one. */
    ops->begin(st);
    for (int i = 0; i < 8; i++) {
        char id[32];
        snprintf(id, sizeof id, "s-%d", i);
        session(st, id, T0 + (int64_t)i * 86400000, 2 * 3600000, 1);
    }
    ops->commit(st);
    int frozen = 0;
    ledger_backfill(ops, st, 1000, &frozen); /* what the server does at each close */
    int64_t open_t = T0 + 9LL * 86400000;
    struct ledger_live live;
    if (ledger_live_begin(&live, ops, st, BILAN, "s-live", BP_PHASE_INVESTIGATION, open_t, why, sizeof why)) {
        fprintf(stderr, "bench: %s\n", why);
        return 1;
    }
    ops->begin(st);
    struct store_session ss;
    memset(&ss, 0, sizeof ss);
    snprintf(ss.id, sizeof ss.id, "s-live");
    snprintf(ss.bilan, sizeof ss.bilan, BILAN);
    ss.phase = BP_PHASE_INVESTIGATION;
    ss.opened_ms = open_t;
    ss.rules = LEDGER_RULES;
    ops->journal->session_add(st, &ss);
    line(st, "s-live", ACC_SESSION_OPEN, NULL, BP_ROLE_NONE, BP_PHASE_INVESTIGATION, open_t, &live);
    line(st, "s-live", ACC_JOIN, DEV_C, BP_ROLE_CONSULTANT, BP_PHASE_NONE, open_t, &live);
    line(st, "s-live", ACC_JOIN, DEV_B, BP_ROLE_BENEFICIARY, BP_PHASE_NONE, open_t, &live);
    ops->commit(st);
    flip_t = open_t;
    (void)seq_t;

    struct evbuf all = {0};
    ops->journal->journal_of_bilan(st, BILAN, NULL, push, &all);
    size_t n_full = all.n;
    free(all.ev);
    struct figures f1, f2;
    measure(st, &live, reps_old * 3 > 512 ? 512 : reps_old * 3, reps_new, &f1);

    /* The flood: declarations up to `big` events. */
    if (big > (long)n_full) {
        ops->begin(st);
        for (long i = (long)n_full; i < big; i++)
            line(st, NULL, ACC_PERSONAL, DEV_B, BP_ROLE_NONE, BP_PHASE_NONE, T0 + 10LL * 86400000 + i, NULL);
        ops->commit(st);
    }
    measure(st, &live, reps_old, reps_new, &f2);

    printf("bench_hours: server-side cost per operation (median; before = the whole journal read and "
           "counted, after = the ledger)\n");
    printf("full bilan, %zu journal events:\n", n_full);
    print_row("join or leave (+hours_update)", f1.old_event, f1.new_event);
    print_row("hours request (+JSON report)", f1.old_hours, f1.new_hours);
    printf("  %-28s %8.1f us (once per session open: the frozen rows and the personal total)\n",
           "session open (live begin)", f1.open / 1e3);
    printf("  %-28s %8.1f us (once per session close: a 2 h session's own lines, its record)\n",
           "session close (freeze)", f1.close / 1e3);
    printf("%ld journal events (the same bilan and a flood of declarations):\n", big > (long)n_full ? big : (long)n_full);
    print_row("join or leave (+hours_update)", f2.old_event, f2.new_event);
    print_row("hours request (+JSON report)", f2.old_hours, f2.new_hours);
    printf("  %-28s %8.1f us\n", "session open (live begin)", f2.open / 1e3);
    printf("  %-28s %8.1f us\n", "session close (freeze)", f2.close / 1e3);

    /* Past one million events the previous way had no report at all. */
    ops->begin(st);
    for (long i = 0; i < 5000; i++)
        line(st, NULL, ACC_PERSONAL, DEV_B, BP_ROLE_NONE, BP_PHASE_NONE, T0 + 11LL * 86400000 + i, NULL);
    ops->commit(st);
    struct acc_report r;
    int old_ok = old_report(st, &r) == 0;
    if (old_ok)
        account_report_free(&r);
    struct figures f3;
    memset(&f3, 0, sizeof f3);
    int64_t v[256];
    for (int i = 0; i < 101; i++) {
        char *text;
        size_t len;
        int64_t t = now_ns();
        if (ledger_report(ops, st, BILAN, &live, flip_t, &r, why, sizeof why) ||
            report_format(&r, REPORT_JSON, &text, &len))
            return 1;
        v[i] = now_ns() - t;
        free(text);
        account_report_free(&r);
    }
    f3.new_hours = median(v, 101);
    printf("%ld journal events:\n", (big > (long)n_full ? big : (long)n_full) + 5000);
    printf("  %-28s before: %s   after %8.1f us\n", "hours request (+JSON report)",
           old_ok ? "a report" : "no report at all (more than 1,000,000 events)", f3.new_hours / 1e3);
    ledger_live_free(&live);
    ops->close(st);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "bench: could not remove %s\n", dir);
    return 0;
}
