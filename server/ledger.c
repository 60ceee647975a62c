/* ledger.c: per-session figures frozen at the end of a session, reports
 * assembled from them, the open session counted in memory, and the
 * streaming export (see ledger.h).
 *
 * The one counting function is account_compute(): a session's figures are
 * account_compute() over that session's journal lines, a live figure is
 * account_compute() over the open session's events plus a close at "now".
 * So the live view, the frozen row, the report and the replay of an export
 * cannot disagree by construction; tests/unit/server/test_ledger.c checks
 * that they do not. */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "journal_jsonl.h"
#include "ledger.h"
#include "log.h"

/* ---- Event buffers ---- */

struct evbuf {
    struct acc_event *ev;
    size_t n, cap;
};

static int evbuf_add(struct evbuf *b, const struct acc_event *e)
{
    if (b->n == b->cap) {
        if (b->cap >= ACC_MAX_EVENTS)
            return BP_E_TOO_LARGE;
        size_t ncap = b->cap ? b->cap * 2 : 64;
        struct acc_event *nv = realloc(b->ev, ncap * sizeof *nv);
        if (!nv)
            return BP_E_NOMEM;
        b->ev = nv;
        b->cap = ncap;
    }
    b->ev[b->n++] = *e;
    return 0;
}

static int evbuf_push_jev(void *arg, const struct store_jev *e)
{
    return evbuf_add(arg, &e->ev);
}

static int bilan_meta(const struct store_ops *ops, struct store *st, const char *bilan, struct acc_bilan *meta,
                      char *why, size_t why_cap)
{
    struct store_bilan b;
    memset(meta, 0, sizeof *meta);
    int rc = ops->bilans->bilan_get(st, bilan, &b);
    if (rc) {
        snprintf(why, why_cap, rc == BP_E_UNKNOWN_BILAN ? "no bilan '%s' in this database"
                                                        : "cannot read bilan '%s' (see the log)", bilan);
        return rc;
    }
    snprintf(meta->bilan, sizeof meta->bilan, "%s", b.id);
    meta->budget_ms = b.budget_s * 1000;
    meta->cap_ms = (int64_t)BP_CAP_S * 1000;
    return 0;
}

/* account_compute over the events of one session; row gets its line. A
 * budget_ms in meta makes row's crossing instant come back in *reached. */
static int count_session(const struct acc_event *ev, size_t n, const struct acc_bilan *meta, const char *session,
                         struct acc_session *row, int64_t *reached, char *why, size_t why_cap)
{
    struct acc_report r;
    struct acc_err err;
    if (account_compute(ev, n, meta, &r, &err)) {
        snprintf(why, why_cap, "session '%s' does not add up: %s", session, err.msg);
        return BP_E_INTERNAL;
    }
    int ok = r.n_sessions == 1 && !strcmp(r.sessions[0].id, session);
    if (ok)
        *row = r.sessions[0];
    if (reached)
        *reached = r.budget_reached_ms;
    account_report_free(&r);
    if (!ok) {
        snprintf(why, why_cap, "session '%s' has no journal of its own", session);
        return BP_E_INTERNAL;
    }
    return 0;
}

/* ---- Ended sessions: figures and record ---- */

int ledger_session_compute(const struct store_ops *ops, struct store *st, const struct store_session *ss,
                           int rules, struct store_session_figures *f, struct bp_record *rec_out, char *why,
                           size_t why_cap)
{
    struct acc_bilan meta;
    struct evbuf b = {0};
    struct acc_session row;
    struct bp_record rec;
    memset(f, 0, sizeof *f);
    memset(&rec, 0, sizeof rec);
    if (rules != 1 && rules != 2) {
        snprintf(why, why_cap, "session '%s': unknown counting rules %d", ss->id, rules);
        return BP_E_INTERNAL;
    }
    int rc = bilan_meta(ops, st, ss->bilan, &meta, why, why_cap);
    if (rc)
        return rc;
    rc = ops->journal->journal_of_bilan(st, ss->bilan, ss->id, evbuf_push_jev, &b);
    if (rc) {
        snprintf(why, why_cap, "cannot read the journal of session '%s'%s", ss->id,
                 rc == BP_E_TOO_LARGE ? ": more than 1000000 events" : " (see the log)");
        free(b.ev);
        return rc;
    }
    if ((rc = count_session(b.ev, b.n, &meta, ss->id, &row, NULL, why, why_cap))) {
        free(b.ev);
        return rc;
    }
    snprintf(rec.bilan, sizeof rec.bilan, "%s", ss->bilan);
    snprintf(rec.session, sizeof rec.session, "%s", ss->id);
    snprintf(rec.phase, sizeof rec.phase, "%s", bp_phase_name(row.phase));
    rec.start_ms = row.start_ms;
    rec.end_ms = row.end_ms;
    rec.face_to_face_ms = row.face_to_face_ms;

    /* journal_sha256: the session's lines exactly as the export of its
     * rules' format writes them, in journal order (PROTOCOL.md §9.4). */
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    int ok = md && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1;
    char line[JL_LINE_MAX + 2];
    for (size_t i = 0; ok && i < b.n; i++) {
        struct acc_event e = b.ev[i];
        if (rules < 2)
            e.seq = 0;
        int n = journal_jsonl_write_event(&e, line, sizeof line);
        ok = n > 0 && EVP_DigestUpdate(md, line, (size_t)n) == 1;
        if (!ok || e.kind != ACC_JOIN)
            continue;
        uint8_t fp[BP_FP_LEN];
        if (bp_b64_decode_exact(e.device, fp, BP_FP_LEN))
            continue; /* not a device fingerprint: cannot sign anyway */
        size_t k;
        for (k = 0; k < rec.n_participants; k++)
            if (!memcmp(rec.participants[k], fp, BP_FP_LEN))
                break;
        if (k == rec.n_participants) {
            if (k == BP_RECORD_MAX_PARTICIPANTS) {
                ok = 0;
                break;
            }
            memcpy(rec.participants[rec.n_participants++], fp, BP_FP_LEN);
        }
    }
    unsigned int dlen = 0;
    ok = ok && EVP_DigestFinal_ex(md, rec.journal_sha256, &dlen) == 1 && dlen == 32;
    EVP_MD_CTX_free(md);
    free(b.ev);
    if (!ok) {
        snprintf(why, why_cap, "cannot build the record of session '%s'", ss->id);
        return BP_E_INTERNAL;
    }
    bp_record_normalize(&rec);
    json_t *rj = bp_record_to_json(&rec);
    char *text = rj ? json_dumps(rj, JSON_COMPACT) : NULL;
    json_decref(rj);
    if (!text) {
        snprintf(why, why_cap, "out of memory for the record of session '%s'", ss->id);
        return BP_E_NOMEM;
    }
    snprintf(f->id, sizeof f->id, "%s", ss->id);
    f->rules = rules;
    f->end_ms = row.end_ms;
    f->closed_in_journal = row.closed;
    f->face_to_face_ms = row.face_to_face_ms;
    f->interruptions = row.interruptions;
    f->record = text;
    if (rec_out)
        *rec_out = rec;
    return 0;
}

void ledger_figures_free(struct store_session_figures *f)
{
    free((char *)f->record);
    f->record = NULL;
}

static int freeze(const struct store_ops *ops, struct store *st, const struct store_session *ss, char *why,
                  size_t why_cap)
{
    struct store_session_figures f;
    int rc = ledger_session_compute(ops, st, ss, ss->rules ? ss->rules : LEDGER_RULES, &f, NULL, why, why_cap);
    if (rc)
        return rc;
    rc = ops->journal->session_figures_put(st, &f);
    ledger_figures_free(&f);
    if (rc == STORE_E_EXISTS)
        return 0; /* another process froze it first: keep theirs */
    if (rc)
        snprintf(why, why_cap, "cannot store the figures of session '%s' (see the log)", ss->id);
    return rc;
}

int ledger_record_json(const struct store_ops *ops, struct store *st, const struct store_session *ss, char **json,
                       char *why, size_t why_cap)
{
    int rc = ops->journal->session_record_get(st, ss->id, json);
    if (rc != STORE_E_NOTFOUND) {
        if (rc)
            snprintf(why, why_cap, "cannot read the record of session '%s' (see the log)", ss->id);
        return rc;
    }
    if (ss->closed_ms < 0) {
        snprintf(why, why_cap, "session '%s' is still open: it has no record yet", ss->id);
        return BP_E_WRONG_STATE;
    }
    if ((rc = freeze(ops, st, ss, why, why_cap)))
        return rc;
    rc = ops->journal->session_record_get(st, ss->id, json);
    if (rc)
        snprintf(why, why_cap, "cannot read the record of session '%s' (see the log)", ss->id);
    return rc;
}

int ledger_record(const struct store_ops *ops, struct store *st, const struct store_session *ss,
                  struct bp_record *rec, char *why, size_t why_cap)
{
    char *text = NULL;
    int rc = ledger_record_json(ops, st, ss, &text, why, why_cap);
    if (rc)
        return rc;
    json_error_t je;
    struct bp_verr e;
    json_t *o = json_loads(text, JSON_REJECT_DUPLICATES, &je);
    free(text);
    rc = o ? bp_record_from_json(o, rec, &e) : BP_E_BAD_JSON;
    json_decref(o);
    if (rc)
        snprintf(why, why_cap, "the stored record of session '%s' is unreadable", ss->id);
    return rc;
}

struct backfill {
    struct store_session ss[64];
    int n;
};

static int collect_session(void *arg, const struct store_session *ss)
{
    struct backfill *b = arg;
    if (b->n < (int)(sizeof b->ss / sizeof b->ss[0]))
        b->ss[b->n++] = *ss;
    return 0;
}

int ledger_backfill(const struct store_ops *ops, struct store *st, int max, int *n)
{
    *n = 0;
    int failed = 0;
    while (*n + failed < max) {
        struct backfill *b = calloc(1, sizeof *b);
        if (!b)
            return BP_E_NOMEM;
        int want = max - *n - failed;
        /* Skipped failures come first in the list again: ask past them. */
        if (want > (int)(sizeof b->ss / sizeof b->ss[0]) - failed)
            want = (int)(sizeof b->ss / sizeof b->ss[0]) - failed;
        int rc = ops->journal->sessions_without_figures(st, failed + (want > 0 ? want : 1), collect_session, b);
        if (rc || b->n <= failed) {
            free(b);
            return rc;
        }
        for (int i = failed; i < b->n; i++) {
            char why[320];
            if (freeze(ops, st, &b->ss[i], why, sizeof why)) {
                log_err("ledger: %s", why);
                failed++;
            } else {
                (*n)++;
            }
        }
        free(b);
    }
    return 0;
}

/* ---- The open session, live ---- */

struct rows {
    struct store_session *v;
    size_t n, cap;
};

static int rows_push(void *arg, const struct store_session *ss)
{
    struct rows *r = arg;
    if (r->n == r->cap) {
        if (r->cap >= ACC_MAX_SESSIONS)
            return BP_E_TOO_LARGE;
        size_t ncap = r->cap ? r->cap * 2 : 16;
        struct store_session *nv = realloc(r->v, ncap * sizeof *nv);
        if (!nv)
            return BP_E_NOMEM;
        r->v = nv;
        r->cap = ncap;
    }
    r->v[r->n++] = *ss;
    return 0;
}

/* A session's report row: frozen, or counted from its own lines. */
static int row_of(const struct store_ops *ops, struct store *st, const struct acc_bilan *meta,
                  const struct store_session *ss, struct acc_session *row, char *why, size_t why_cap)
{
    memset(row, 0, sizeof *row);
    if (ss->has_figures) {
        snprintf(row->id, sizeof row->id, "%s", ss->id);
        row->phase = ss->phase;
        row->start_ms = ss->opened_ms;
        row->end_ms = ss->end_ms;
        row->closed = ss->closed_in_journal;
        row->face_to_face_ms = ss->face_to_face_ms;
        row->interruptions = (uint32_t)ss->interruptions;
        return 0;
    }
    struct evbuf b = {0};
    int rc = ops->journal->journal_of_bilan(st, ss->bilan, ss->id, evbuf_push_jev, &b);
    if (rc)
        snprintf(why, why_cap, "cannot read the journal of session '%s' (see the log)", ss->id);
    else
        rc = count_session(b.ev, b.n, meta, ss->id, row, NULL, why, why_cap);
    free(b.ev);
    return rc;
}

int ledger_live_begin(struct ledger_live *l, const struct store_ops *ops, struct store *st, const char *bilan,
                      const char *session, int phase, int64_t start_ms, char *why, size_t why_cap)
{
    struct acc_bilan meta;
    struct rows rows = {0};
    memset(l, 0, sizeof *l);
    snprintf(l->bilan, sizeof l->bilan, "%s", bilan);
    snprintf(l->session, sizeof l->session, "%s", session);
    l->phase = phase;
    l->start_ms = start_ms;
    int rc = bilan_meta(ops, st, bilan, &meta, why, why_cap);
    if (!rc && (rc = ops->journal->bilan_personal_ms(st, bilan, &l->personal_ms)))
        snprintf(why, why_cap, "cannot read the personal total of bilan '%s'", bilan);
    if (!rc && (rc = ops->journal->sessions_of_bilan(st, bilan, rows_push, &rows)))
        snprintf(why, why_cap, "cannot read the sessions of bilan '%s'", bilan);
    for (size_t i = 0; !rc && i < rows.n; i++) {
        struct acc_session row;
        if (!strcmp(rows.v[i].id, session))
            continue;
        rc = row_of(ops, st, &meta, &rows.v[i], &row, why, why_cap);
        l->ended_ftf_ms += row.face_to_face_ms;
    }
    free(rows.v);
    l->budget_ms = meta.budget_ms;
    l->cap_ms = meta.cap_ms;
    return rc;
}

void ledger_live_free(struct ledger_live *l)
{
    free(l->ev);
    l->ev = NULL;
    l->n = l->cap = 0;
}

int ledger_live_add(struct ledger_live *l, const struct acc_event *e)
{
    if (e->kind == ACC_ALIVE || e->kind == ACC_PERSONAL)
        return 0;
    struct evbuf b = {l->ev, l->n, l->cap};
    int rc = evbuf_add(&b, e);
    l->ev = b.ev;
    l->n = b.n;
    l->cap = b.cap;
    return rc;
}

/* The live events plus a session_close at now (after every event). */
static int live_events(const struct ledger_live *l, int64_t now_ms, struct acc_event **out, size_t *n)
{
    struct acc_event *ev = malloc((l->n + 1) * sizeof *ev);
    if (!ev)
        return BP_E_NOMEM;
    int64_t t = now_ms;
    for (size_t i = 0; i < l->n; i++) {
        ev[i] = l->ev[i];
        if (ev[i].t_ms > t)
            t = ev[i].t_ms;
    }
    struct acc_event *c = &ev[l->n];
    memset(c, 0, sizeof *c);
    c->seq = INT64_MAX;
    c->t_ms = t;
    c->kind = ACC_SESSION_CLOSE;
    c->phase = BP_PHASE_NONE;
    snprintf(c->session, sizeof c->session, "%s", l->session);
    *out = ev;
    *n = l->n + 1;
    return 0;
}

int ledger_live_figures(const struct ledger_live *l, int64_t now_ms, struct acc_session *row,
                        int64_t *bilan_ftf_ms)
{
    struct acc_event *ev;
    size_t n;
    char why[320];
    struct acc_bilan meta = {.budget_ms = 0, .cap_ms = l->cap_ms};
    snprintf(meta.bilan, sizeof meta.bilan, "%s", l->bilan);
    int rc = live_events(l, now_ms, &ev, &n);
    if (rc)
        return rc;
    rc = count_session(ev, n, &meta, l->session, row, NULL, why, sizeof why);
    free(ev);
    if (rc) {
        log_err("ledger: live figures of %s", why);
        return rc;
    }
    row->closed = 0; /* counted as if it ended now, but it goes on */
    *bilan_ftf_ms = l->ended_ftf_ms + row->face_to_face_ms;
    return 0;
}

/* ---- Reports ---- */

/* The instant the bilan's face-to-face total reached its budget, within the
 * session ss whose start found cum_ms already counted. */
static int crossing(const struct store_ops *ops, struct store *st, const struct acc_bilan *meta,
                    const struct store_session *ss, const struct ledger_live *live, int64_t now_ms, int64_t cum_ms,
                    int64_t *reached, char *why, size_t why_cap)
{
    struct acc_bilan m = *meta;
    struct acc_session row;
    struct evbuf b = {0};
    m.budget_ms = meta->budget_ms - cum_ms;
    int rc;
    if (live) {
        rc = live_events(live, now_ms, &b.ev, &b.n);
    } else {
        rc = ops->journal->journal_of_bilan(st, ss->bilan, ss->id, evbuf_push_jev, &b);
        if (rc)
            snprintf(why, why_cap, "cannot read the journal of session '%s' (see the log)", ss->id);
    }
    if (!rc)
        rc = count_session(b.ev, b.n, &m, ss->id, &row, reached, why, why_cap);
    free(b.ev);
    return rc;
}

int ledger_report(const struct store_ops *ops, struct store *st, const char *bilan, const struct ledger_live *live,
                  int64_t now_ms, struct acc_report *out, char *why, size_t why_cap)
{
    struct acc_bilan meta;
    struct rows rows = {0};
    memset(out, 0, sizeof *out);
    int rc = bilan_meta(ops, st, bilan, &meta, why, why_cap);
    if (rc)
        return -1;
    if (live && strcmp(live->bilan, bilan))
        live = NULL;
    if ((rc = ops->journal->bilan_personal_ms(st, bilan, &out->personal_ms)) ||
        (rc = ops->journal->sessions_of_bilan(st, bilan, rows_push, &rows))) {
        snprintf(why, why_cap, "cannot read the sessions of bilan '%s'%s", bilan,
                 rc == BP_E_TOO_LARGE ? ": more than 10000 sessions" : " (see the log)");
        free(rows.v);
        return -1;
    }
    out->sessions = calloc(rows.n ? rows.n : 1, sizeof *out->sessions);
    if (!out->sessions) {
        snprintf(why, why_cap, "out of memory");
        free(rows.v);
        return -1;
    }
    for (size_t i = 0; i < rows.n && !rc; i++) {
        struct acc_session *row = &out->sessions[i];
        int64_t bilan_ftf;
        if (live && !strcmp(live->session, rows.v[i].id) && !rows.v[i].has_figures) {
            rc = ledger_live_figures(live, now_ms, row, &bilan_ftf);
            if (rc)
                snprintf(why, why_cap, "cannot count the open session '%s'", live->session);
        } else {
            rc = row_of(ops, st, &meta, &rows.v[i], row, why, why_cap);
        }
        if (rc)
            break;
        out->n_sessions++;
        if (row->phase >= 0 && row->phase < BP_PHASE_COUNT)
            out->by_phase_ms[row->phase] += row->face_to_face_ms;
        out->face_to_face_ms += row->face_to_face_ms;
    }
    snprintf(out->bilan, sizeof out->bilan, "%s", meta.bilan);
    out->budget_ms = meta.budget_ms;
    out->cap_ms = meta.cap_ms;
    out->over_budget = out->face_to_face_ms > meta.budget_ms;
    out->remaining_ms = out->over_budget ? 0 : meta.budget_ms - out->face_to_face_ms;
    out->total_ms = out->face_to_face_ms + out->personal_ms;
    out->over_cap = out->total_ms > meta.cap_ms;
    out->budget_reached_ms = -1;
    /* Rows come by (start, id): the order in which account.c accumulates. */
    int64_t cum = 0;
    for (size_t i = 0; !rc && meta.budget_ms > 0 && i < out->n_sessions; i++) {
        int64_t f = out->sessions[i].face_to_face_ms;
        if (cum < meta.budget_ms && cum + f >= meta.budget_ms) {
            int is_live = live && !strcmp(live->session, rows.v[i].id) && !rows.v[i].has_figures;
            rc = crossing(ops, st, &meta, &rows.v[i], is_live ? live : NULL, now_ms, cum, &out->budget_reached_ms,
                          why, why_cap);
            break;
        }
        cum += f;
    }
    free(rows.v);
    if (rc) {
        account_report_free(out);
        return -1;
    }
    return 0;
}

/* ---- Export ---- */

struct exporter {
    FILE *f;
    int ok;
    int64_t n;
};

static int export_line(void *arg, const struct store_jev *e)
{
    struct exporter *x = arg;
    char line[JL_LINE_MAX + 2];
    int n = journal_jsonl_write_event(&e->ev, line, sizeof line);
    if (n <= 0 || fwrite(line, 1, (size_t)n, x->f) != (size_t)n) {
        x->ok = 0;
        return BP_E_INTERNAL;
    }
    x->n++;
    return 0;
}

int ledger_export(const struct store_ops *ops, struct store *st, const char *bilan, FILE *f, char *why,
                  size_t why_cap)
{
    struct acc_bilan meta;
    char line[JL_LINE_MAX + 2];
    if (bilan_meta(ops, st, bilan, &meta, why, why_cap))
        return -1;
    int n = journal_jsonl_write_header(&meta, JL_FORMAT, line, sizeof line);
    if (n <= 0 || fwrite(line, 1, (size_t)n, f) != (size_t)n) {
        snprintf(why, why_cap, "write error");
        return -1;
    }
    struct exporter x = {f, 1, 0};
    int rc = ops->journal->journal_of_bilan(st, bilan, NULL, export_line, &x);
    if (!x.ok) {
        snprintf(why, why_cap, "write error after %lld events of bilan '%s'", (long long)x.n, bilan);
        return -1;
    }
    if (rc) {
        snprintf(why, why_cap, "cannot read the journal of bilan '%s' (see the log)", bilan);
        return -1;
    }
    return 0;
}
