/* resume.c: at startup, the sessions the last run left open (a crash, a
 * power cut) are resumed rather than ended (attendance.h,
 * attendance_resume_all; PROTOCOL.md §9.1; docs/JOURNAL.md).
 *
 * For each open session: its own journal lines are read once (the cost of
 * one session, never of the bilan's journal) to count it live again
 * (ledger_live) and to find the devices still present in it. Their
 * presence ended when the server stopped hearing them: the last `alive`
 * checkpoint of that presence (its `join` if none), so each gets a `lost`
 * line at that t, all in one transaction. The session then waits in its
 * empty room for the grace, like a room emptied by lost links
 * (attendance.c): a member back in time continues it (one interruption);
 * otherwise the sweep closes it at its last t (stored "server_restart").
 * A session that cannot be resumed (store failure, out of memory) is ended
 * as before: server_restart at its last journal t, no line written.
 *
 * Must never: invent presence after the last checkpoint; write a line that
 * would make the journal contradict itself (a join of a present device). */
#include <stdlib.h>
#include <string.h>

#include "attendance.h"
#include "log.h"
#include "room.h"

#define RESUME_SESSIONS_MAX 100000 /* open sessions looked at (one per room at most) */
#define RESUME_DEVICES_MAX 64      /* distinct devices of one session followed */

struct open_list {
    struct store_session *ss;
    size_t n, cap;
    int overflow;
};

static int collect_open(void *arg, const struct store_session *ss)
{
    struct open_list *l = arg;
    if (l->n == l->cap) {
        size_t ncap = l->cap ? l->cap * 2 : 16;
        struct store_session *p;
        if (ncap > RESUME_SESSIONS_MAX || !(p = realloc(l->ss, ncap * sizeof *p))) {
            l->overflow = 1;
            return 0;
        }
        l->ss = p;
        l->cap = ncap;
    }
    l->ss[l->n++] = *ss;
    return 0;
}

/* One device of the session as its lines leave it. */
struct rdev {
    char device[ACC_ID_MAX + 1];
    int present;
    int64_t seen_ms; /* its join, then its latest alive, of this presence */
};

struct scan {
    struct hsession *h;
    struct rdev dev[RESUME_DEVICES_MAX];
    int ndev;
    int failed;
};

static struct rdev *dev_of(struct scan *sc, const char *device)
{
    for (int i = 0; i < sc->ndev; i++)
        if (!strcmp(sc->dev[i].device, device))
            return &sc->dev[i];
    if (sc->ndev == RESUME_DEVICES_MAX)
        return NULL;
    struct rdev *d = &sc->dev[sc->ndev++];
    memset(d, 0, sizeof *d);
    snprintf(d->device, sizeof d->device, "%s", device);
    return d;
}

static int scan_line(void *arg, const struct store_jev *e)
{
    struct scan *sc = arg;
    const struct acc_event *v = &e->ev;
    if (v->t_ms > sc->h->last_t_ms)
        sc->h->last_t_ms = v->t_ms;
    if (ledger_live_add(&sc->h->live, v)) {
        sc->failed = 1;
        return 0;
    }
    if (!v->device[0] || v->kind == ACC_SESSION_OPEN || v->kind == ACC_SESSION_CLOSE)
        return 0;
    struct rdev *d = dev_of(sc, v->device);
    if (!d) {
        sc->failed = 1;
        return 0;
    }
    if (v->kind == ACC_JOIN) {
        d->present = 1;
        d->seen_ms = v->t_ms;
    } else if (v->kind == ACC_LEAVE || v->kind == ACC_LOST) {
        d->present = 0;
    } else if (v->kind == ACC_ALIVE && d->present && v->t_ms > d->seen_ms) {
        d->seen_ms = v->t_ms;
    }
    return 0;
}

static void hfree(struct hsession *h)
{
    if (!h)
        return;
    ledger_live_free(&h->live);
    free(h->retry);
    free(h);
}

/* The present devices get their `lost` at their last checkpoint, in one
 * transaction, each counted live once committed. */
static int end_presences(struct server *srv, struct scan *sc)
{
    struct hsession *h = sc->h;
    struct store_jev e[RESUME_DEVICES_MAX];
    int n = 0;
    for (int i = 0; i < sc->ndev; i++) {
        if (!sc->dev[i].present)
            continue;
        memset(&e[n], 0, sizeof e[n]);
        snprintf(e[n].bilan, sizeof e[n].bilan, "%s", h->bilan);
        snprintf(e[n].ev.session, sizeof e[n].ev.session, "%s", h->id);
        snprintf(e[n].ev.device, sizeof e[n].ev.device, "%s", sc->dev[i].device);
        e[n].ev.t_ms = sc->dev[i].seen_ms;
        e[n].ev.kind = ACC_LOST;
        e[n].ev.role = BP_ROLE_NONE;
        e[n].ev.phase = BP_PHASE_NONE;
        n++;
    }
    if (!n)
        return 0;
    int rc = srv->ops->begin(srv->st);
    for (int i = 0; !rc && i < n; i++)
        rc = srv->ops->journal->journal_append(srv->st, &e[i]);
    if (!rc)
        rc = srv->ops->commit(srv->st);
    else
        srv->ops->rollback(srv->st);
    for (int i = 0; !rc && i < n; i++)
        rc = ledger_live_add(&h->live, &e[i].ev);
    return rc;
}

/* 0 when ss waits in its room, else a code (the caller ends it). */
static int resume_one(struct server *srv, const struct store_session *ss, int64_t now_ms, int64_t *last_t)
{
    char why[320];
    struct scan *sc = calloc(1, sizeof *sc);
    struct hsession *h = calloc(1, sizeof *h);
    if (!sc || !h) {
        free(sc);
        free(h);
        return BP_E_NOMEM;
    }
    sc->h = h;
    snprintf(h->id, sizeof h->id, "%s", ss->id);
    snprintf(h->bilan, sizeof h->bilan, "%s", ss->bilan);
    h->phase = ss->phase;
    h->start_ms = h->last_t_ms = ss->opened_ms;
    int rc = ledger_live_begin(&h->live, srv->ops, srv->st, h->bilan, h->id, h->phase, h->start_ms, why, sizeof why);
    if (rc)
        log_err("session %s: %s", ss->id, why);
    /* The count starts empty: the lines say the rest, session_open included. */
    if (!rc)
        rc = srv->ops->journal->journal_of_bilan(srv->st, ss->bilan, ss->id, scan_line, sc);
    *last_t = h->last_t_ms;
    if (!rc && sc->failed)
        rc = BP_E_NOMEM;
    struct room *room = NULL;
    if (!rc) {
        room = rooms_get(&srv->rooms, ss->bilan, 1);
        if (!room || room->session)
            rc = BP_E_INTERNAL; /* out of memory, or two sessions open in one bilan */
    }
    if (!rc)
        rc = end_presences(srv, sc);
    if (rc) {
        if (room)
            rooms_discard_if_empty(&srv->rooms, room);
        hfree(h);
        free(sc);
        return rc;
    }
    h->last_alive_ms = h->last_update_ms = now_ms;
    h->empty_since_ms = now_ms;
    h->resumed = 1;
    room->session = h;
    log_info("session %s of bilan %s was left open by the last run: kept open %lld s for its members to come "
             "back (their presence ended at their last checkpoint)", h->id, h->bilan,
             (long long)(attendance_grace_ms(srv) / 1000));
    free(sc);
    return 0;
}

int attendance_resume_all(struct server *srv, struct now now, int64_t *n)
{
    struct open_list l;
    memset(&l, 0, sizeof l);
    *n = 0;
    int rc = srv->ops->journal->sessions_open(srv->st, collect_open, &l);
    if (rc || l.overflow) {
        free(l.ss);
        /* Cannot list them all: end them all, as before resuming existed. */
        int64_t ended = 0;
        return srv->ops->journal->sessions_end_open(srv->st, &ended);
    }
    for (size_t i = 0; i < l.n; i++) {
        int64_t last_t = l.ss[i].opened_ms;
        if (!resume_one(srv, &l.ss[i], now_wall_ms(now), &last_t)) {
            (*n)++;
            continue;
        }
        log_warn("session %s of bilan %s cannot be resumed: marked ended (server_restart) at its last "
                 "checkpoint", l.ss[i].id, l.ss[i].bilan);
        if (srv->ops->journal->session_end(srv->st, l.ss[i].id, last_t, "server_restart"))
            log_err("session %s: cannot mark it ended", l.ss[i].id);
    }
    free(l.ss);
    return 0;
}
