/* account.c: the hours of a bilan from its presence journal. Pure: reads an
 * event array, allocates its work arrays and the report, never does I/O or
 * reads a clock. The definitions are in account.h; this file says how.
 *
 * Four passes, each O(n log n):
 *  0. with sequence numbers, a sort by seq finds the copies of one event
 *     (same seq), which are adjacent in that order;
 *  1. identity sort by (session, device, t, kind): numbers the sessions and
 *     the members (session, device) with small integers;
 *  2. time sort by (t, rank, seq or input index) and a state machine per session and
 *     member that yields presence intervals, or the first contradiction;
 *  3. per session, a sweep over the interval end points counting present
 *     consultants and beneficiaries, yielding the face-to-face segments.
 * Crash ends (last alive) are known only at the end of pass 2, which is why
 * face-to-face is computed from finished intervals and not during pass 2. */
#include "account.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const KIND_NAMES[ACC_KIND_COUNT] = {
    "session_open", "session_close", "join", "leave", "lost", "alive", "personal",
};

const char *account_kind_name(int k) { return k >= 0 && k < ACC_KIND_COUNT ? KIND_NAMES[k] : "?"; }

static int lookup(const char *const *names, int count, int first, const char *s, size_t len)
{
    for (int i = first; i < count; i++)
        if (strlen(names[i]) == len && !memcmp(names[i], s, len))
            return i;
    return -1;
}
int account_kind_parse(const char *s, size_t len) { return lookup(KIND_NAMES, ACC_KIND_COUNT, 0, s, len); }

/* ---- UTC calendar (Howard Hinnant's days_from_civil / civil_from_days) ---- */

static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void account_utc_from_ms(int64_t t_ms, struct acc_utc *u)
{
    int64_t days = t_ms / 86400000, rem = t_ms % 86400000;
    if (rem < 0) {
        rem += 86400000;
        days--;
    }
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int d = (int)(doy - (153 * mp + 2) / 5 + 1);
    int m = (int)(mp < 10 ? mp + 3 : mp - 9);
    u->year = (int)(yoe + era * 400 + (m <= 2));
    u->month = m;
    u->day = d;
    u->hour = (int)(rem / 3600000);
    u->min = (int)(rem / 60000 % 60);
    u->sec = (int)(rem / 1000 % 60);
    u->ms = (int)(rem % 1000);
}

int account_month_range(int year, int month, int64_t *from_ms, int64_t *to_ms)
{
    if (year < 1970 || year > 9999 || month < 1 || month > 12)
        return -1;
    *from_ms = days_from_civil(year, month, 1) * 86400000;
    *to_ms = (month == 12 ? days_from_civil(year + 1, 1, 1) : days_from_civil(year, month + 1, 1)) * 86400000;
    return 0;
}

long account_sessions_in_month(const struct acc_report *r, int year, int month, size_t *idx, size_t cap)
{
    int64_t from, to;
    long k = 0;
    if (account_month_range(year, month, &from, &to))
        return -1;
    for (size_t i = 0; i < r->n_sessions; i++) {
        if (r->sessions[i].start_ms < from || r->sessions[i].start_ms >= to)
            continue;
        if ((size_t)k < cap)
            idx[k] = i;
        k++;
    }
    return k;
}

/* ---- Errors ---- */

static int fail(struct acc_err *err, const struct acc_event *ev, size_t i, const char *fmt, ...)
{
    char what[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    if (!err)
        return -1;
    err->index = ev ? i : (size_t)-1;
    err->line = ev ? ev[i].line : 0;
    if (!ev)
        snprintf(err->msg, sizeof err->msg, "%s", what);
    else if (ev[i].line)
        snprintf(err->msg, sizeof err->msg, "line %u: %s", (unsigned)ev[i].line, what);
    else
        snprintf(err->msg, sizeof err->msg, "event #%zu: %s", i, what);
    return -1;
}

static int str_ok(const char *s) { return memchr(s, '\0', ACC_ID_MAX + 1) != NULL; }

/* Checks one event on its own: the fields its kind needs, the ranges. */
static int validate(const struct acc_event *ev, size_t i, struct acc_err *err)
{
    const struct acc_event *e = &ev[i];
    if (e->kind < 0 || e->kind >= ACC_KIND_COUNT)
        return fail(err, ev, i, "unknown event kind %d", e->kind);
    if (e->seq < 0)
        return fail(err, ev, i, "negative sequence number");
    if (e->t_ms < 0 || e->t_ms > ACC_T_MAX_MS)
        return fail(err, ev, i, "time t out of range (0 to %lld s since 1970)", ACC_T_MAX_MS / 1000);
    if (!str_ok(e->session) || !str_ok(e->device))
        return fail(err, ev, i, "session or device longer than %d bytes", ACC_ID_MAX);
    if (e->kind == ACC_PERSONAL) {
        if (e->personal_ms < 0 || e->personal_ms > ACC_PERSONAL_MAX_MS)
            return fail(err, ev, i, "personal seconds out of range (0 to %lld per declaration)",
                        ACC_PERSONAL_MAX_MS / 1000);
        return 0;
    }
    if (!e->session[0])
        return fail(err, ev, i, "%s without a session id", KIND_NAMES[e->kind]);
    if (e->kind == ACC_SESSION_OPEN && (e->phase < 0 || e->phase >= BP_PHASE_COUNT))
        return fail(err, ev, i, "session_open of '%s' without a known phase "
                    "(preliminaire, investigation, conclusion or suivi)", e->session);
    if (e->kind >= ACC_JOIN && e->kind <= ACC_ALIVE && !e->device[0])
        return fail(err, ev, i, "%s in session '%s' without a device", KIND_NAMES[e->kind], e->session);
    if (e->kind == ACC_JOIN && (e->role <= BP_ROLE_NONE || e->role >= BP_ROLE_COUNT))
        return fail(err, ev, i, "join of device '%s' without a known role (consultant or beneficiary)",
                    e->device);
    return 0;
}

/* ---- Sorting (qsort over index arrays; ties broken by index: stable) ---- */

static const struct acc_event *g_sort_ev; /* qsort has no context argument in C11 */
static int g_by_seq;                      /* every event has a seq: ties by seq, else by index */

static int cmp_i64(int64_t a, int64_t b) { return a < b ? -1 : a > b; }

static int cmp_identity(const void *pa, const void *pb)
{
    size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
    const struct acc_event *x = &g_sort_ev[a], *y = &g_sort_ev[b];
    int c;
    /* Personal events first: they belong to no session. */
    if ((c = (x->kind != ACC_PERSONAL) - (y->kind != ACC_PERSONAL)))
        return c;
    if ((c = strcmp(x->session, y->session)) || (c = strcmp(x->device, y->device)) ||
        (c = cmp_i64(x->t_ms, y->t_ms)) || (c = x->kind - y->kind))
        return c;
    return cmp_i64((int64_t)a, (int64_t)b);
}

static int time_rank(int kind) { return kind == ACC_SESSION_OPEN ? 0 : kind == ACC_SESSION_CLOSE ? 2 : 1; }

static int cmp_time(const void *pa, const void *pb)
{
    size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
    const struct acc_event *x = &g_sort_ev[a], *y = &g_sort_ev[b];
    int c;
    if ((c = cmp_i64(x->t_ms, y->t_ms)) || (c = time_rank(x->kind) - time_rank(y->kind)))
        return c;
    if (g_by_seq && (c = cmp_i64(x->seq, y->seq)))
        return c;
    return cmp_i64((int64_t)a, (int64_t)b);
}

static int cmp_seq(const void *pa, const void *pb)
{
    size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
    int c = cmp_i64(g_sort_ev[a].seq, g_sort_ev[b].seq);
    return c ? c : cmp_i64((int64_t)a, (int64_t)b);
}

/* ---- Work state ---- */

enum { S_NEW, S_OPEN, S_CLOSED };

struct sess {
    size_t first_member, n_members;
    int state, phase;
    int64_t open_ms, close_ms, last_ms;
    size_t open_ev; /* index of its session_open, for messages */
    size_t first_seg, n_segs;
    int64_t ftf_ms;
    uint32_t intervals;
};

struct member {
    int present, role;
    int64_t start_ms, last_alive_ms;
    int64_t last_end_ms; /* end of its previous presence, -1 if none */
    int last_end_lost;   /* ... and that presence ended with `lost` */
    size_t sess;
};

struct interval {
    size_t sess;
    int role;
    int64_t start_ms, end_ms;
};

struct endpoint {
    size_t sess;
    int64_t t_ms;
    int dc, db; /* change of present consultants / beneficiaries */
};

struct seg {
    int64_t start_ms, end_ms;
};

struct work {
    size_t *by_id, *by_time, *ev_sess, *ev_member;
    unsigned char *dup;
    struct sess *sess;
    size_t n_sess;
    struct member *mem;
    size_t n_mem;
    struct interval *iv;
    size_t n_iv;
    struct endpoint *ep;
    struct seg *seg;
    size_t n_seg;
};

static void work_free(struct work *w)
{
    free(w->by_id);
    free(w->by_time);
    free(w->ev_sess);
    free(w->ev_member);
    free(w->dup);
    free(w->sess);
    free(w->mem);
    free(w->iv);
    free(w->ep);
    free(w->seg);
    memset(w, 0, sizeof *w);
}

static int cmp_endpoint(const void *pa, const void *pb)
{
    const struct endpoint *x = pa, *y = pb;
    int c;
    if ((c = (x->sess > y->sess) - (x->sess < y->sess)) || (c = cmp_i64(x->t_ms, y->t_ms)))
        return c;
    return 0; /* order within one instant does not matter: counts are applied per instant */
}

static void end_presence(struct work *w, size_t m, int64_t end_ms)
{
    struct member *mb = &w->mem[m];
    assert(mb->present && end_ms >= mb->start_ms);
    struct interval *iv = &w->iv[w->n_iv++];
    iv->sess = mb->sess;
    iv->role = mb->role;
    iv->start_ms = mb->start_ms;
    iv->end_ms = end_ms;
    mb->present = 0;
    mb->last_end_ms = end_ms;
    mb->last_end_lost = 0;
}

/* The fields that make an event what it is (seq aside). */
static int same_event(const struct acc_event *x, const struct acc_event *y)
{
    return x->t_ms == y->t_ms && x->kind == y->kind && !strcmp(x->session, y->session) &&
           !strcmp(x->device, y->device) && (x->kind != ACC_JOIN || x->role == y->role) &&
           (x->kind != ACC_SESSION_OPEN || x->phase == y->phase) &&
           (x->kind != ACC_PERSONAL || x->personal_ms == y->personal_ms);
}

/* Pass 0: copies of one event (same seq). Only with sequence numbers: a
 * format 1 file has no identity but its lines, so every line counts. */
static int pass_duplicates(const struct acc_event *ev, size_t n, struct work *w, size_t *dups,
                           struct acc_err *err)
{
    if (!g_by_seq)
        return 0;
    g_sort_ev = ev;
    qsort(w->by_id, n, sizeof *w->by_id, cmp_seq);
    for (size_t k = 1; k < n; k++) {
        size_t i = w->by_id[k], p = w->by_id[k - 1];
        if (ev[i].seq != ev[p].seq)
            continue;
        if (!same_event(&ev[i], &ev[p])) {
            char other[48];
            if (ev[p].line)
                snprintf(other, sizeof other, "line %u", (unsigned)ev[p].line);
            else
                snprintf(other, sizeof other, "event #%zu", p);
            return fail(err, ev, i, "sequence number %lld is also %s, a different event: the journal "
                        "contradicts itself; export it again from the server", (long long)ev[i].seq, other);
        }
        w->dup[i] = 1;
        (*dups)++;
    }
    return 0;
}

/* Pass 1: identities (sessions and members numbered). */
static int pass_identity(const struct acc_event *ev, size_t n, struct work *w, struct acc_err *err)
{
    g_sort_ev = ev;
    for (size_t i = 0; i < n; i++)
        w->by_id[i] = i;
    qsort(w->by_id, n, sizeof *w->by_id, cmp_identity);
    const struct acc_event *prev_sess = NULL, *prev_mem = NULL;
    for (size_t k = 0; k < n; k++) {
        size_t i = w->by_id[k];
        const struct acc_event *e = &ev[i];
        if (w->dup[i] || e->kind == ACC_PERSONAL)
            continue;
        if (!prev_sess || strcmp(prev_sess->session, e->session)) {
            if (w->n_sess == ACC_MAX_SESSIONS)
                return fail(err, ev, i, "more than %d sessions in one bilan: is this file several "
                            "journals concatenated?", ACC_MAX_SESSIONS);
            struct sess *s = &w->sess[w->n_sess++];
            memset(s, 0, sizeof *s);
            s->first_member = w->n_mem;
            s->phase = BP_PHASE_NONE;
            s->open_ev = (size_t)-1;
            prev_sess = e;
            prev_mem = NULL;
        }
        w->ev_sess[i] = w->n_sess - 1;
        if (e->kind < ACC_JOIN || e->kind > ACC_ALIVE)
            continue;
        if (!prev_mem || strcmp(prev_mem->device, e->device)) {
            struct member *m = &w->mem[w->n_mem++];
            memset(m, 0, sizeof *m);
            m->sess = w->n_sess - 1;
            m->last_end_ms = -1;
            w->sess[w->n_sess - 1].n_members++;
            prev_mem = e;
        }
        w->ev_member[i] = w->n_mem - 1;
    }
    return 0;
}

/* Pass 2: the state machine over time, producing presence intervals. */
static int pass_presence(const struct acc_event *ev, size_t n, struct work *w, int64_t *personal_ms,
                         struct acc_err *err)
{
    g_sort_ev = ev;
    qsort(w->by_time, n, sizeof *w->by_time, cmp_time);
    for (size_t k = 0; k < n; k++) {
        size_t i = w->by_time[k];
        const struct acc_event *e = &ev[i];
        if (w->dup[i])
            continue;
        if (e->kind == ACC_PERSONAL) {
            *personal_ms += e->personal_ms;
            continue;
        }
        struct sess *s = &w->sess[w->ev_sess[i]];
        if (s->state == S_NEW && e->kind != ACC_SESSION_OPEN)
            return fail(err, ev, i, "%s in session '%s' before its session_open (or the session was "
                        "never opened): the journal is incomplete or corrupt; export it again",
                        KIND_NAMES[e->kind], e->session);
        if (s->state == S_CLOSED)
            return fail(err, ev, i, "%s in session '%s' after its session_close at t=%lld ms: "
                        "the journal is corrupt; export it again", KIND_NAMES[e->kind], e->session,
                        (long long)s->close_ms);
        if (e->t_ms > s->last_ms)
            s->last_ms = e->t_ms;
        if (e->kind == ACC_SESSION_OPEN) {
            if (s->state != S_NEW)
                return fail(err, ev, i, "session '%s' opened a second time", e->session);
            s->state = S_OPEN;
            s->phase = e->phase;
            s->open_ms = s->last_ms = e->t_ms;
            s->open_ev = i;
            continue;
        }
        if (e->kind == ACC_SESSION_CLOSE) {
            s->state = S_CLOSED;
            s->close_ms = e->t_ms;
            for (size_t m = s->first_member; m < s->first_member + s->n_members; m++)
                if (w->mem[m].present)
                    end_presence(w, m, e->t_ms);
            continue;
        }
        size_t m = w->ev_member[i];
        struct member *mb = &w->mem[m];
        if (e->kind == ACC_JOIN) {
            if (mb->present)
                return fail(err, ev, i, "join of device '%s' in session '%s', which is already present "
                            "(joined at t=%lld ms, no leave or lost since): the journal is corrupt",
                            e->device, e->session, (long long)mb->start_ms);
            mb->present = 1;
            mb->role = e->role;
            mb->start_ms = mb->last_alive_ms = e->t_ms;
            continue;
        }
        /* An alive at the very instant the presence ended (the lost t is the last
         * sign of life, often that alive) says nothing new, whatever their order. */
        if (!mb->present && e->kind == ACC_ALIVE && e->t_ms == mb->last_end_ms)
            continue;
        /* A checkpoint written after the last sign of life but before the
         * server noticed the silence (lost comes 15 s later, dated back): the
         * lost already says when presence ended. */
        if (!mb->present && e->kind == ACC_ALIVE && mb->last_end_lost && e->t_ms > mb->last_end_ms)
            continue;
        if (!mb->present)
            return fail(err, ev, i, "%s of device '%s' in session '%s', which is not present (no join "
                        "before, or already left or lost): the journal is corrupt", KIND_NAMES[e->kind],
                        e->device, e->session);
        if (e->kind == ACC_ALIVE)
            mb->last_alive_ms = e->t_ms;
        else {
            end_presence(w, m, e->t_ms); /* leave, or lost at the last sign of life */
            mb->last_end_lost = e->kind == ACC_LOST;
        }
    }
    /* Crash: the journal ends with members in. Never invent time: their last alive. */
    for (size_t m = 0; m < w->n_mem; m++)
        if (w->mem[m].present)
            end_presence(w, m, w->mem[m].last_alive_ms);
    return 0;
}

/* Pass 3: face-to-face segments per session. */
static void pass_ftf(struct work *w)
{
    size_t ne = 0;
    for (size_t k = 0; k < w->n_iv; k++) {
        const struct interval *iv = &w->iv[k];
        if (iv->end_ms == iv->start_ms)
            continue;
        int c = iv->role == BP_ROLE_CONSULTANT, b = iv->role == BP_ROLE_BENEFICIARY;
        w->ep[ne++] = (struct endpoint){iv->sess, iv->start_ms, c, b};
        w->ep[ne++] = (struct endpoint){iv->sess, iv->end_ms, -c, -b};
    }
    qsort(w->ep, ne, sizeof *w->ep, cmp_endpoint);
    for (size_t k = 0; k < ne;) {
        size_t si = w->ep[k].sess;
        struct sess *s = &w->sess[si];
        long nc = 0, nb = 0;
        int on = 0;
        int64_t seg_start = 0;
        s->first_seg = w->n_seg;
        while (k < ne && w->ep[k].sess == si) {
            int64_t t = w->ep[k].t_ms;
            while (k < ne && w->ep[k].sess == si && w->ep[k].t_ms == t) {
                nc += w->ep[k].dc;
                nb += w->ep[k].db;
                k++;
            }
            assert(nc >= 0 && nb >= 0);
            int now = nc > 0 && nb > 0;
            if (now && !on) {
                seg_start = t;
            } else if (!now && on) {
                /* Touching segments are one maximal interval (cannot happen after
                 * per-instant counting, kept for safety). */
                if (s->n_segs && w->seg[w->n_seg - 1].end_ms == seg_start) {
                    w->seg[w->n_seg - 1].end_ms = t;
                } else {
                    w->seg[w->n_seg++] = (struct seg){seg_start, t};
                    s->n_segs++;
                }
                s->ftf_ms += t - seg_start;
            }
            on = now;
        }
        assert(!on && nc == 0 && nb == 0);
        s->intervals = (uint32_t)s->n_segs;
    }
}

struct row_ix {
    struct acc_session row;
    size_t si;
};

static int cmp_row_ix(const void *pa, const void *pb)
{
    const struct row_ix *x = pa, *y = pb;
    int c = cmp_i64(x->row.start_ms, y->row.start_ms);
    return c ? c : strcmp(x->row.id, y->row.id);
}

int account_compute(const struct acc_event *ev, size_t n, const struct acc_bilan *meta,
                    struct acc_report *out, struct acc_err *err)
{
    struct work w;
    memset(&w, 0, sizeof w);
    memset(out, 0, sizeof *out);
    if (err) {
        err->index = (size_t)-1;
        err->line = 0;
        err->msg[0] = '\0';
    }
    if (n > ACC_MAX_EVENTS)
        return fail(err, NULL, 0, "more than %d events: split the journal", ACC_MAX_EVENTS);
    if (!str_ok(meta->bilan) || meta->budget_ms < 0 || meta->budget_ms > ACC_DURATION_MAX_MS ||
        meta->cap_ms < 0 || meta->cap_ms > ACC_DURATION_MAX_MS)
        return fail(err, NULL, 0, "bilan id, budget or cap out of range");
    size_t with_seq = 0;
    for (size_t i = 0; i < n; i++) {
        if (validate(ev, i, err))
            return -1;
        with_seq += ev[i].seq > 0;
    }
    if (with_seq && with_seq != n) {
        for (size_t i = 0; i < n; i++)
            if (ev[i].seq == 0)
                return fail(err, ev, i, "event without a sequence number in a journal whose other events "
                            "have one: export the whole journal again from the server");
    }
    g_by_seq = n > 0 && with_seq == n;

    size_t cap = n ? n : 1;
    w.by_id = malloc(cap * sizeof *w.by_id);
    w.by_time = malloc(cap * sizeof *w.by_time);
    w.ev_sess = calloc(cap, sizeof *w.ev_sess);
    w.ev_member = calloc(cap, sizeof *w.ev_member);
    w.dup = calloc(cap, 1);
    w.sess = malloc((cap < ACC_MAX_SESSIONS ? cap : ACC_MAX_SESSIONS) * sizeof *w.sess);
    w.mem = malloc(cap * sizeof *w.mem);
    w.iv = malloc(cap * sizeof *w.iv);           /* at most one interval per join */
    w.ep = malloc(2 * cap * sizeof *w.ep);
    w.seg = malloc(cap * sizeof *w.seg);         /* a segment starts at a join */
    if (!w.by_id || !w.by_time || !w.ev_sess || !w.ev_member || !w.dup || !w.sess || !w.mem || !w.iv ||
        !w.ep || !w.seg) {
        work_free(&w);
        return fail(err, NULL, 0, "out of memory for %zu events", n);
    }
    for (size_t i = 0; i < n; i++)
        w.by_id[i] = w.by_time[i] = i;

    size_t dups = 0;
    int64_t personal = 0;
    if (pass_duplicates(ev, n, &w, &dups, err) || pass_identity(ev, n, &w, err) ||
        pass_presence(ev, n, &w, &personal, err)) {
        work_free(&w);
        return -1;
    }
    pass_ftf(&w);

    out->sessions = calloc(w.n_sess ? w.n_sess : 1, sizeof *out->sessions);
    if (!out->sessions) {
        work_free(&w);
        return fail(err, NULL, 0, "out of memory for %zu sessions", w.n_sess);
    }
    for (size_t si = 0; si < w.n_sess; si++) {
        const struct sess *s = &w.sess[si];
        struct acc_session *r = &out->sessions[si];
        const struct acc_event *oe = &ev[s->open_ev];
        snprintf(r->id, sizeof r->id, "%s", oe->session);
        r->phase = s->phase;
        r->start_ms = s->open_ms;
        r->closed = s->state == S_CLOSED;
        r->end_ms = r->closed ? s->close_ms : s->last_ms;
        r->face_to_face_ms = s->ftf_ms;
        r->interruptions = s->intervals ? s->intervals - 1 : 0;
        out->by_phase_ms[s->phase] += s->ftf_ms;
        out->face_to_face_ms += s->ftf_ms;
    }
    out->n_sessions = w.n_sess;

    out->budget_ms = meta->budget_ms;
    out->cap_ms = meta->cap_ms;
    out->personal_ms = personal;
    out->over_budget = out->face_to_face_ms > meta->budget_ms;
    out->remaining_ms = out->over_budget ? 0 : meta->budget_ms - out->face_to_face_ms;
    out->total_ms = out->face_to_face_ms + personal;
    out->over_cap = out->total_ms > meta->cap_ms;
    out->duplicates_ignored = dups;
    snprintf(out->bilan, sizeof out->bilan, "%s", meta->bilan);

    /* Sort the rows, remembering which work session each row came from: the
     * budget instant walks that session's segments in report order. */
    struct row_ix *tmp = malloc((w.n_sess ? w.n_sess : 1) * sizeof *tmp);
    if (!tmp) {
        account_report_free(out);
        work_free(&w);
        return fail(err, NULL, 0, "out of memory for %zu sessions", w.n_sess);
    }
    for (size_t i = 0; i < w.n_sess; i++) {
        tmp[i].row = out->sessions[i];
        tmp[i].si = i;
    }
    qsort(tmp, w.n_sess, sizeof *tmp, cmp_row_ix);
    for (size_t i = 0; i < w.n_sess; i++)
        out->sessions[i] = tmp[i].row;
    out->budget_reached_ms = -1;
    if (meta->budget_ms > 0 && out->face_to_face_ms >= meta->budget_ms) {
        int64_t cum = 0;
        for (size_t i = 0; i < w.n_sess && out->budget_reached_ms < 0; i++) {
            const struct sess *s = &w.sess[tmp[i].si];
            for (size_t g = s->first_seg; g < s->first_seg + s->n_segs; g++) {
                int64_t len = w.seg[g].end_ms - w.seg[g].start_ms;
                if (cum + len >= meta->budget_ms) {
                    out->budget_reached_ms = w.seg[g].start_ms + (meta->budget_ms - cum);
                    break;
                }
                cum += len;
            }
        }
    }
    free(tmp);
    work_free(&w);
    return 0;
}

void account_report_free(struct acc_report *r)
{
    free(r->sessions);
    r->sessions = NULL;
    r->n_sessions = 0;
}
