/* session.c: sessions, the presence journal, live hours and receipts
 * (PROTOCOL.md §9; docs/JOURNAL.md). See session.h.
 *
 * Journal times. join/leave/session_open/personal: the wall clock now;
 * lost: the member's last sign of life (never before its join); alive: the
 * sweep's now for every member present; session_close: now when a consultant
 * closes it, else (room emptied) the largest t journaled in the session, i.e.
 * the last departure (or a lost member's last sign of life). Every t of a
 * session is kept >= its join so that the journal always replays.
 *
 * Live figures add, in memory only, an alive at now for each present member
 * of the open session (the journal itself would stop at the last checkpoint).
 * Work per event is one read of the bilan's journal (bounded by ACC_MAX_EVENTS). */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "auth.h"
#include "conn.h"
#include "journal_jsonl.h"
#include "log.h"
#include "report.h"
#include "room.h"
#include "session.h"

int64_t session_wall_ms(struct now now)
{
    return now.wall_ms ? now.wall_ms : now.s * 1000;
}

static int64_t max64(int64_t a, int64_t b)
{
    return a > b ? a : b;
}

/* ---- Journal loading (shared with the CLI) ---- */

static int jl_push(void *arg, const struct store_jev *e)
{
    struct hjournal *j = arg;
    if (j->n == j->cap) {
        if (j->cap >= ACC_MAX_EVENTS)
            return BP_E_TOO_LARGE;
        size_t ncap = j->cap ? j->cap * 2 : 256;
        struct acc_event *nv = realloc(j->ev, ncap * sizeof *nv);
        if (!nv)
            return BP_E_NOMEM;
        j->ev = nv;
        j->cap = ncap;
    }
    j->ev[j->n] = e->ev;
    j->ev[j->n].line = (uint32_t)(j->n + 2); /* its line in the export (line 1 is the header) */
    j->n++;
    return 0;
}

int hours_journal_load(const struct store_ops *ops, struct store *st, const char *bilan, struct hjournal *j,
                       char *why, size_t why_cap)
{
    struct store_bilan b;
    memset(j, 0, sizeof *j);
    int rc = ops->bilan_get(st, bilan, &b);
    if (rc) {
        snprintf(why, why_cap, rc == BP_E_UNKNOWN_BILAN ? "no bilan '%s' in this database"
                                                        : "cannot read bilan '%s' (see the log)", bilan);
        return rc;
    }
    snprintf(j->meta.bilan, sizeof j->meta.bilan, "%s", b.id);
    j->meta.budget_ms = b.budget_s * 1000;
    j->meta.cap_ms = (int64_t)BP_CAP_S * 1000;
    rc = ops->journal_of_bilan(st, bilan, NULL, jl_push, j);
    if (rc) {
        snprintf(why, why_cap, "cannot read the journal of bilan '%s'%s", bilan,
                 rc == BP_E_TOO_LARGE ? ": more than 1000000 events" : " (see the log)");
        hours_journal_free(j);
        return rc;
    }
    return 0;
}

void hours_journal_free(struct hjournal *j)
{
    free(j->ev);
    j->ev = NULL;
    j->n = j->cap = 0;
}

int hours_report(const struct store_ops *ops, struct store *st, const char *bilan, struct acc_report *out,
                 char *why, size_t why_cap)
{
    struct hjournal j;
    struct acc_err err;
    if (hours_journal_load(ops, st, bilan, &j, why, why_cap))
        return -1;
    int rc = account_compute(j.ev, j.n, &j.meta, out, &err);
    hours_journal_free(&j);
    if (rc) {
        /* A cut message still says what is wrong; the length is checked
         * only so that the compiler knows truncation was considered. */
        if (snprintf(why, why_cap, "the journal of bilan '%s' does not add up: %s", bilan, err.msg) < 0)
            why[0] = '\0';
        return -1;
    }
    return 0;
}

int hours_journal_export(const struct store_ops *ops, struct store *st, const char *bilan, FILE *f,
                         char *why, size_t why_cap)
{
    struct hjournal j;
    char line[JL_LINE_MAX + 2];
    if (hours_journal_load(ops, st, bilan, &j, why, why_cap))
        return -1;
    int n = journal_jsonl_write_header(&j.meta, line, sizeof line);
    int ok = n > 0 && fwrite(line, 1, (size_t)n, f) == (size_t)n;
    for (size_t i = 0; ok && i < j.n; i++) {
        n = journal_jsonl_write_event(&j.ev[i], line, sizeof line);
        ok = n > 0 && fwrite(line, 1, (size_t)n, f) == (size_t)n;
        if (n <= 0)
            snprintf(why, why_cap, "journal event %zu of bilan '%s' cannot be written", i + 1, bilan);
    }
    hours_journal_free(&j);
    if (!ok && !why[0])
        snprintf(why, why_cap, "write error");
    return ok ? 0 : -1;
}

static const struct acc_session *find_session(const struct acc_report *r, const char *id)
{
    for (size_t i = 0; i < r->n_sessions; i++)
        if (!strcmp(r->sessions[i].id, id))
            return &r->sessions[i];
    return NULL;
}

int hours_record_build(const struct store_ops *ops, struct store *st, const char *session,
                       struct bp_record *r, char *bilan_out, char *why, size_t why_cap)
{
    struct store_session ss;
    struct hjournal j;
    struct acc_report rep;
    struct acc_err err;
    memset(r, 0, sizeof *r);
    int rc = ops->session_get(st, session, &ss);
    if (rc) {
        snprintf(why, why_cap, rc == STORE_E_NOTFOUND ? "unknown session" : "cannot read the session");
        return rc == STORE_E_NOTFOUND ? BP_E_INVALID_FIELD : BP_E_INTERNAL;
    }
    if (bilan_out)
        snprintf(bilan_out, BP_ID_MAX + 1, "%s", ss.bilan);
    if (hours_journal_load(ops, st, ss.bilan, &j, why, why_cap))
        return BP_E_INTERNAL;
    if (account_compute(j.ev, j.n, &j.meta, &rep, &err)) {
        snprintf(why, why_cap, "the journal of bilan '%s' does not add up: %s", ss.bilan, err.msg);
        hours_journal_free(&j);
        return BP_E_INTERNAL;
    }
    const struct acc_session *as = find_session(&rep, session);
    if (!as) {
        snprintf(why, why_cap, "session '%s' has no journal", session);
        account_report_free(&rep);
        hours_journal_free(&j);
        return BP_E_INTERNAL;
    }
    snprintf(r->bilan, sizeof r->bilan, "%s", ss.bilan);
    snprintf(r->session, sizeof r->session, "%s", session);
    snprintf(r->phase, sizeof r->phase, "%s", account_phase_name(as->phase));
    r->start_ms = as->start_ms;
    r->end_ms = as->end_ms;
    r->face_to_face_ms = as->face_to_face_ms;
    account_report_free(&rep);

    /* journal_sha256: the session's lines exactly as the export writes them. */
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    int ok = md && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1;
    char line[JL_LINE_MAX + 2];
    for (size_t i = 0; ok && i < j.n; i++) {
        const struct acc_event *e = &j.ev[i];
        if (e->kind == ACC_PERSONAL || strcmp(e->session, session))
            continue;
        int n = journal_jsonl_write_event(e, line, sizeof line);
        ok = n > 0 && EVP_DigestUpdate(md, line, (size_t)n) == 1;
        if (ok && e->kind == ACC_JOIN) {
            uint8_t fp[BP_FP_LEN];
            if (bp_b64_decode_exact(e->device, fp, BP_FP_LEN))
                continue; /* not a device fingerprint: cannot sign anyway */
            size_t k;
            for (k = 0; k < r->n_participants; k++)
                if (!memcmp(r->participants[k], fp, BP_FP_LEN))
                    break;
            if (k == r->n_participants) {
                if (k == BP_RECORD_MAX_PARTICIPANTS) {
                    ok = 0;
                    break;
                }
                memcpy(r->participants[r->n_participants++], fp, BP_FP_LEN);
            }
        }
    }
    unsigned int dlen = 0;
    ok = ok && EVP_DigestFinal_ex(md, r->journal_sha256, &dlen) == 1 && dlen == 32;
    EVP_MD_CTX_free(md);
    hours_journal_free(&j);
    if (!ok) {
        snprintf(why, why_cap, "cannot build the record of session '%s'", session);
        return BP_E_INTERNAL;
    }
    bp_record_normalize(r);
    return 0;
}

/* ---- Journal writes ---- */

static int jappend(struct server *srv, const char *bilan, const char *session, int kind, const char *device,
                   int role, int phase, int64_t t)
{
    struct store_jev e;
    memset(&e, 0, sizeof e);
    snprintf(e.bilan, sizeof e.bilan, "%s", bilan);
    e.ev.t_ms = t;
    e.ev.kind = kind;
    e.ev.role = role;
    e.ev.phase = phase;
    if (session)
        snprintf(e.ev.session, sizeof e.ev.session, "%s", session);
    if (device)
        snprintf(e.ev.device, sizeof e.ev.device, "%s", device);
    int rc = srv->ops->journal_append(srv->st, &e);
    if (rc)
        log_err("session: cannot journal %s of session %s in bilan %s", account_kind_name(kind),
                session ? session : "-", bilan);
    return rc;
}

static int sappend(struct server *srv, struct hsession *h, int kind, const struct room_member *m, int64_t t)
{
    char dev[BP_B64_32 + 1];
    int role = ACC_ROLE_NONE;
    if (m) {
        bp_b64_encode(m->device, BP_FP_LEN, dev);
        role = m->role == ROLE_CONSULTANT ? ACC_ROLE_CONSULTANT : ACC_ROLE_BENEFICIARY;
    }
    h->last_t_ms = max64(h->last_t_ms, t);
    return jappend(srv, h->bilan, h->id, kind, m ? dev : NULL, kind == ACC_JOIN ? role : ACC_ROLE_NONE,
                   kind == ACC_SESSION_OPEN ? h->phase : ACC_PHASE_NONE, t);
}

/* ---- Live figures ---- */

static void room_broadcast(struct room *room, json_t *o, int consultants_only, struct now now)
{
    for (int i = 0; i < BP_MAX_MEMBERS; i++) {
        struct conn *m = room->m[i].conn;
        if (!m || (consultants_only && room->m[i].role != ROLE_CONSULTANT))
            continue;
        conn_send_json(m, json_deep_copy(o), now);
    }
    json_decref(o);
}

/* Budget warnings at 80 and 100 %: the first time only (budget_warnings). */
static void check_budget(struct server *srv, struct room *room, const char *bilan, const struct acc_report *r,
                         struct now now)
{
    static const int levels[] = {80, 100};
    if (r->budget_ms <= 0)
        return;
    for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++) {
        if (r->face_to_face_ms * 100 < r->budget_ms * levels[i])
            continue;
        int rc = srv->ops->budget_warning_add(srv->st, bilan, levels[i], session_wall_ms(now));
        if (rc)
            continue; /* STORE_E_EXISTS: already warned (or logged failure) */
        log_info("bilan %s: face-to-face time reached %d %% of its budget (%lld of %lld s)", bilan, levels[i],
                 (long long)(r->face_to_face_ms / 1000), (long long)(r->budget_ms / 1000));
        if (room) {
            json_t *o = json_pack("{s:s, s:s, s:i, s:I, s:I}", "type", "budget_warning", "bilan", bilan, "level",
                                  levels[i], "face_to_face_ms", (json_int_t)r->face_to_face_ms, "budget_s",
                                  (json_int_t)(r->budget_ms / 1000));
            room_broadcast(room, o, 1, now);
        }
    }
}

/* Computes the bilan's figures (with the open session up to now) and sends
 * hours_update to the room; then the budget warnings. */
static void hours_update(struct server *srv, struct room *room, const char *bilan, struct now now)
{
    struct hjournal j;
    struct acc_report r;
    struct acc_err err;
    char why[320];
    struct hsession *h = room->session;
    int64_t t = session_wall_ms(now);
    if (hours_journal_load(srv->ops, srv->st, bilan, &j, why, sizeof why)) {
        log_err("session: %s", why);
        return;
    }
    if (h) {
        /* In memory only: the present members are present now. */
        for (int i = 0; i < BP_MAX_MEMBERS; i++) {
            if (!room->m[i].conn)
                continue;
            struct store_jev e;
            memset(&e, 0, sizeof e);
            e.ev.kind = ACC_ALIVE;
            e.ev.t_ms = max64(max64(t, h->join_ms[i]), h->last_t_ms);
            snprintf(e.ev.session, sizeof e.ev.session, "%s", h->id);
            bp_b64_encode(room->m[i].device, BP_FP_LEN, e.ev.device);
            if (jl_push(&j, &e))
                break;
        }
    }
    int rc = account_compute(j.ev, j.n, &j.meta, &r, &err);
    hours_journal_free(&j);
    if (rc) {
        log_err("session: the journal of bilan %s does not add up: %s", bilan, err.msg);
        return;
    }
    json_t *o = json_pack("{s:s, s:s, s:I, s:I, s:I}", "type", "hours_update", "bilan", bilan, "face_to_face_ms",
                          (json_int_t)r.face_to_face_ms, "budget_s", (json_int_t)(r.budget_ms / 1000),
                          "remaining_ms", (json_int_t)r.remaining_ms);
    const struct acc_session *as = h ? find_session(&r, h->id) : NULL;
    if (o && h && as) {
        json_object_set_new(o, "session", json_string(h->id));
        json_object_set_new(o, "phase", json_string(account_phase_name(h->phase)));
        json_object_set_new(o, "session_elapsed_ms", json_integer(max64(0, t - h->start_ms)));
        json_object_set_new(o, "session_face_to_face_ms", json_integer(as->face_to_face_ms));
    }
    if (o)
        room_broadcast(room, o, 0, now);
    check_budget(srv, room, bilan, &r, now);
    account_report_free(&r);
}

/* ---- Opening and closing ---- */

static void send_records(struct server *srv, const char *session, struct now now)
{
    struct bp_record rec;
    char why[320];
    if (hours_record_build(srv->ops, srv->st, session, &rec, NULL, why, sizeof why)) {
        log_err("session %s: %s", session, why);
        return;
    }
    json_t *rj = bp_record_to_json(&rec);
    if (!rj)
        return;
    for (struct conn *c = srv->conns; c; c = c->next) {
        if (c->closing || c->state < CS_AUTHED)
            continue;
        for (size_t k = 0; k < rec.n_participants; k++) {
            if (!memcmp(rec.participants[k], c->fp, BP_FP_LEN)) {
                conn_send_json(c, json_pack("{s:s, s:O}", "type", "session_record", "record", rj), now);
                break;
            }
        }
    }
    json_decref(rj);
}

/* A device that was gone when a session it took part in closed never got
 * its record (send_records reaches only the connected): each time it joins
 * the bilan's room, it gets the record of every closed session of that bilan
 * with a join line of its own and no receipt from it (PROTOCOL.md §9.3).
 * The record is rebuilt from the database, so its bytes are those sent at
 * close time. */
struct unsigned_ids {
    char id[SESSION_UNSIGNED_MAX][BP_ID_MAX + 1];
    int n;
};

static int collect_unsigned(void *arg, const struct store_session *ss)
{
    struct unsigned_ids *u = arg;
    if (u->n < SESSION_UNSIGNED_MAX)
        snprintf(u->id[u->n++], BP_ID_MAX + 1, "%s", ss->id);
    return 0;
}

void session_send_unsigned(struct conn *c, struct now now)
{
    struct server *srv = c->srv;
    if (c->closing || c->state != CS_IN_ROOM || srv->stopping)
        return;
    struct unsigned_ids u;
    u.n = 0;
    /* Ids first: hours_record_build reads the store again. */
    if (srv->ops->sessions_unsigned(srv->st, c->room->bilan, c->dev.fp, SESSION_UNSIGNED_MAX,
                                    collect_unsigned, &u)) {
        log_err("session: cannot list the unsigned sessions of a device in bilan %s", c->room->bilan);
        return;
    }
    int sent = 0;
    for (int i = 0; i < u.n; i++) {
        struct bp_record rec;
        char why[320];
        if (hours_record_build(srv->ops, srv->st, u.id[i], &rec, NULL, why, sizeof why)) {
            log_err("session %s: %s", u.id[i], why);
            continue;
        }
        json_t *rj = bp_record_to_json(&rec);
        if (!rj)
            continue;
        conn_send_json(c, json_pack("{s:s, s:o}", "type", "session_record", "record", rj), now);
        sent++;
    }
    if (sent) {
        char f[9];
        log_fp8(c->fp, f);
        log_info("bilan %s: device %s has %d session record(s) to sign from its absences", c->room->bilan, f,
                 sent);
    }
}

/* Ends room's session at t: journal, sessions row, session_closed, figures,
 * records. reason: "closed" or "empty" (stored "shutdown" while stopping). */
static void close_session(struct server *srv, struct room *room, int64_t t, const char *reason, const char *ref,
                          struct conn *closer, struct now now)
{
    struct hsession *h = room->session;
    t = max64(t, h->last_t_ms);
    const char *stored = srv->stopping ? "shutdown" : reason;
    int rc = srv->ops->begin(srv->st);
    if (!rc)
        rc = sappend(srv, h, ACC_SESSION_CLOSE, NULL, t);
    if (!rc)
        rc = srv->ops->session_end(srv->st, h->id, t, stored);
    if (!rc)
        rc = srv->ops->commit(srv->st);
    else
        srv->ops->rollback(srv->st);
    if (rc) {
        /* The journal keeps the session open: the report ends it at the last
         * checkpoint, as after a crash. */
        log_err("session %s: cannot journal its close", h->id);
    }
    room->session = NULL;
    log_info("session %s of bilan %s ended (%s)", h->id, h->bilan, stored);

    struct acc_report r;
    char why[320];
    int64_t ftf = 0;
    if (!hours_report(srv->ops, srv->st, h->bilan, &r, why, sizeof why)) {
        const struct acc_session *as = find_session(&r, h->id);
        ftf = as ? as->face_to_face_ms : 0;
        account_report_free(&r);
    } else {
        log_err("session %s: %s", h->id, why);
    }
    for (int i = 0; i < BP_MAX_MEMBERS; i++) {
        struct conn *m = room->m[i].conn;
        if (!m)
            continue;
        json_t *o = conn_reply("session_closed", m == closer ? ref : NULL);
        if (o) {
            json_object_set_new(o, "bilan", json_string(h->bilan));
            json_object_set_new(o, "session", json_string(h->id));
            json_object_set_new(o, "end_ms", json_integer(t));
            json_object_set_new(o, "face_to_face_ms", json_integer(ftf));
            json_object_set_new(o, "reason", json_string(reason));
        }
        conn_send_json(m, o, now);
    }
    if (room->count && !srv->stopping)
        hours_update(srv, room, h->bilan, now);
    if (!rc && !srv->stopping)
        send_records(srv, h->id, now);
    free(h);
}

void session_on_open(struct conn *c, const json_t *msg, const char *ref, struct now now)
{
    struct server *srv = c->srv;
    if (c->state != CS_IN_ROOM) {
        conn_send_error(c, BP_E_WRONG_STATE, "join the bilan's room before opening a session", ref, now);
        return;
    }
    struct room *room = c->room;
    if (room->m[c->slot].role != ROLE_CONSULTANT) {
        conn_send_error(c, BP_E_FORBIDDEN, "only a consultant opens a session", ref, now);
        return;
    }
    if (room->session) {
        conn_send_error(c, BP_E_WRONG_STATE, "a session is already open in this room: close it first", ref,
                        now);
        return;
    }
    const char *ph = bp_str(msg, "phase", "");
    struct hsession *h = calloc(1, sizeof *h);
    uint8_t rnd[12];
    if (!h || bp_random(rnd, sizeof rnd)) {
        free(h);
        conn_send_error(c, BP_E_INTERNAL, NULL, ref, now);
        return;
    }
    int64_t t = session_wall_ms(now);
    h->id[0] = 's';
    h->id[1] = '-';
    bp_b64_encode(rnd, sizeof rnd, h->id + 2);
    snprintf(h->bilan, sizeof h->bilan, "%s", room->bilan);
    h->phase = account_phase_parse(ph, strlen(ph));
    h->start_ms = h->last_t_ms = h->last_alive_ms = h->last_update_ms = t;
    struct store_session ss;
    memset(&ss, 0, sizeof ss);
    snprintf(ss.id, sizeof ss.id, "%s", h->id);
    snprintf(ss.bilan, sizeof ss.bilan, "%s", h->bilan);
    ss.phase = h->phase;
    ss.opened_ms = t;
    int rc = srv->ops->begin(srv->st);
    if (!rc)
        rc = srv->ops->session_add(srv->st, &ss);
    if (!rc)
        rc = sappend(srv, h, ACC_SESSION_OPEN, NULL, t);
    for (int i = 0; !rc && i < BP_MAX_MEMBERS; i++) {
        if (!room->m[i].conn)
            continue;
        h->join_ms[i] = t;
        rc = sappend(srv, h, ACC_JOIN, &room->m[i], t);
    }
    if (!rc)
        rc = srv->ops->commit(srv->st);
    else
        srv->ops->rollback(srv->st);
    if (rc) {
        free(h);
        conn_send_error(c, BP_E_INTERNAL, "the server could not record the session: try again", ref, now);
        return;
    }
    room->session = h;
    log_info("session %s opened in bilan %s (%s, %d present)", h->id, h->bilan, ph, room->count);
    for (int i = 0; i < BP_MAX_MEMBERS; i++) {
        struct conn *m = room->m[i].conn;
        if (!m)
            continue;
        json_t *o = conn_reply("session_opened", m == c ? ref : NULL);
        if (o) {
            json_object_set_new(o, "bilan", json_string(h->bilan));
            json_object_set_new(o, "session", json_string(h->id));
            json_object_set_new(o, "phase", json_string(ph));
            json_object_set_new(o, "start_ms", json_integer(t));
        }
        conn_send_json(m, o, now);
    }
    hours_update(srv, room, h->bilan, now);
}

void session_on_close(struct conn *c, const char *ref, struct now now)
{
    if (c->state != CS_IN_ROOM) {
        conn_send_error(c, BP_E_WRONG_STATE, "not in a room", ref, now);
        return;
    }
    struct room *room = c->room;
    if (room->m[c->slot].role != ROLE_CONSULTANT) {
        conn_send_error(c, BP_E_FORBIDDEN, "only a consultant closes a session", ref, now);
        return;
    }
    if (!room->session) {
        conn_send_error(c, BP_E_WRONG_STATE, "no session is open in this room", ref, now);
        return;
    }
    close_session(c->srv, room, session_wall_ms(now), "closed", ref, c, now);
}

void session_member_joined(struct server *srv, struct room *room, int slot, struct now now)
{
    struct hsession *h = room->session;
    if (!h)
        return;
    int64_t t = max64(session_wall_ms(now), h->start_ms);
    h->join_ms[slot] = t;
    sappend(srv, h, ACC_JOIN, &room->m[slot], t);
    if (!srv->stopping)
        hours_update(srv, room, h->bilan, now);
}

void session_member_left(struct server *srv, struct room *room, const struct room_member *gone, int slot,
                         const char *reason, int64_t last_rx_wall_ms, struct now now)
{
    struct hsession *h = room->session;
    if (!h)
        return;
    int lost = !strcmp(reason, "lost");
    int64_t t = lost ? max64(last_rx_wall_ms, h->join_ms[slot]) : max64(session_wall_ms(now), h->join_ms[slot]);
    sappend(srv, h, lost ? ACC_LOST : ACC_LEAVE, gone, t);
    h->join_ms[slot] = 0;
    if (room->count == 0) {
        if (strcmp(reason, "replaced")) /* the same device is joining again right now */
            close_session(srv, room, h->last_t_ms, "empty", NULL, NULL, now);
        return;
    }
    if (!srv->stopping)
        hours_update(srv, room, h->bilan, now);
}

void session_room_check_empty(struct server *srv, struct room *room, struct now now)
{
    if (room->session && room->count == 0)
        close_session(srv, room, room->session->last_t_ms, "empty", NULL, NULL, now);
}

void session_sweep(struct server *srv, struct now now)
{
    int64_t t = session_wall_ms(now);
    int began = 0, failed = 0;
    for (unsigned b = 0; b < ROOMS_BUCKETS; b++) {
        for (struct room *room = srv->rooms.b[b]; room; room = room->next) {
            struct hsession *h = room->session;
            if (!h || t - h->last_alive_ms < SESSION_ALIVE_MS - SESSION_ALIVE_SLACK_MS)
                continue;
            if (!began) {
                if (srv->ops->begin(srv->st)) {
                    log_err("session: cannot write alive checkpoints");
                    return;
                }
                began = 1;
            }
            h->last_alive_ms = t;
            for (int i = 0; i < BP_MAX_MEMBERS && !failed; i++)
                if (room->m[i].conn)
                    failed = sappend(srv, h, ACC_ALIVE, &room->m[i], max64(t, h->join_ms[i])) != 0;
        }
    }
    if (began) {
        if (failed)
            srv->ops->rollback(srv->st);
        else if (srv->ops->commit(srv->st))
            log_err("session: cannot commit alive checkpoints");
    }
    for (unsigned b = 0; b < ROOMS_BUCKETS; b++) {
        for (struct room *room = srv->rooms.b[b]; room; room = room->next) {
            struct hsession *h = room->session;
            if (!h || t - h->last_update_ms < SESSION_UPDATE_MS)
                continue;
            h->last_update_ms = t;
            hours_update(srv, room, h->bilan, now);
        }
    }
}

/* ---- hours, personal_declare, receipt ---- */

static int need_authed(struct conn *c, const char *ref, struct now now)
{
    if (c->state < CS_AUTHED) {
        conn_send_error(c, BP_E_WRONG_STATE, "authenticate first (hello, then enrol or auth)", ref, now);
        return -1;
    }
    return 0;
}

void session_on_hours(struct conn *c, const json_t *msg, const char *ref, struct now now)
{
    struct server *srv = c->srv;
    if (need_authed(c, ref, now))
        return;
    const char *bilan = bp_str(msg, "bilan", "");
    enum role role;
    int rc = auth_join_role(srv->ops, srv->st, bilan, &c->dev, &role);
    if (rc) {
        conn_send_error(c, rc, NULL, ref, now);
        return;
    }
    struct acc_report r;
    char why[320], *text = NULL;
    size_t len = 0;
    if (hours_report(srv->ops, srv->st, bilan, &r, why, sizeof why)) {
        log_err("session: %s", why);
        conn_send_error(c, BP_E_INTERNAL, "the server cannot compute this bilan's hours (see its log)", ref, now);
        return;
    }
    rc = report_format(&r, REPORT_JSON, &text, &len);
    account_report_free(&r);
    json_t *rep = rc ? NULL : json_loadb(text, len, 0, NULL);
    free(text);
    json_t *o = rep ? conn_reply("hours_report", ref) : NULL;
    if (!o) {
        json_decref(rep);
        conn_send_error(c, BP_E_INTERNAL, NULL, ref, now);
        return;
    }
    json_object_set_new(o, "bilan", json_string(bilan));
    json_object_set_new(o, "report", rep);
    if (json_dumpb(o, NULL, 0, JSON_COMPACT) > BP_MAX_CTRL) {
        json_decref(o);
        conn_send_error(c, BP_E_INTERNAL, "this bilan's report exceeds 64 KiB: ask for `bilan-server hours`",
                        ref, now);
        return;
    }
    conn_send_json(c, o, now);
}

void session_on_personal(struct conn *c, const json_t *msg, const char *ref, struct now now)
{
    struct server *srv = c->srv;
    if (need_authed(c, ref, now))
        return;
    const char *bilan = bp_str(msg, "bilan", "");
    long long secs = bp_int(msg, "seconds", 0);
    enum role role;
    int rc = auth_join_role(srv->ops, srv->st, bilan, &c->dev, &role);
    if (rc == BP_E_UNKNOWN_BILAN || rc == BP_E_INTERNAL) {
        conn_send_error(c, rc, NULL, ref, now);
        return;
    }
    if (rc || role != ROLE_BENEFICIARY) {
        conn_send_error(c, BP_E_FORBIDDEN, "only the beneficiary of this bilan declares personal work", ref, now);
        return;
    }
    struct store_jev e;
    memset(&e, 0, sizeof e);
    snprintf(e.bilan, sizeof e.bilan, "%s", bilan);
    e.ev.kind = ACC_PERSONAL;
    e.ev.t_ms = session_wall_ms(now);
    e.ev.role = ACC_ROLE_NONE;
    e.ev.phase = ACC_PHASE_NONE;
    e.ev.personal_ms = secs * 1000;
    snprintf(e.note, sizeof e.note, "%s", bp_str(msg, "note", ""));
    if (srv->ops->journal_append(srv->st, &e)) {
        conn_send_error(c, BP_E_INTERNAL, "the server could not record the declaration: try again", ref, now);
        return;
    }
    char f[9];
    log_fp8(c->fp, f);
    log_info("bilan %s: device %s declared %lld s of personal work", bilan, f, secs);
    json_t *o = conn_reply("personal_declared", ref);
    if (o) {
        json_object_set_new(o, "bilan", json_string(bilan));
        json_object_set_new(o, "seconds", json_integer(secs));
    }
    conn_send_json(c, o, now);
}

void session_on_receipt(struct conn *c, const json_t *msg, const char *ref, struct now now)
{
    struct server *srv = c->srv;
    if (need_authed(c, ref, now))
        return;
    const char *session = bp_str(msg, "session", "");
    struct bp_record rec;
    struct bp_attestation a;
    char bilan[BP_ID_MAX + 1] = "", why[320];
    struct store_session ss;
    int rc = srv->ops->session_get(srv->st, session, &ss);
    if (rc) {
        conn_send_error(c, rc == STORE_E_NOTFOUND ? BP_E_INVALID_FIELD : BP_E_INTERNAL,
                        rc == STORE_E_NOTFOUND ? "field 'session' in 'receipt' names no known session" : NULL,
                        ref, now);
        return;
    }
    enum role role;
    rc = auth_join_role(srv->ops, srv->st, ss.bilan, &c->dev, &role);
    if (rc) {
        conn_send_error(c, rc, NULL, ref, now);
        return;
    }
    rc = hours_record_build(srv->ops, srv->st, session, &rec, bilan, why, sizeof why);
    if (rc) {
        log_err("session %s: %s", session, why);
        conn_send_error(c, BP_E_INTERNAL, NULL, ref, now);
        return;
    }
    memset(&a, 0, sizeof a);
    memcpy(a.signer, c->fp, BP_FP_LEN);
    memcpy(a.sign_pub, c->dev.sign_pub, BP_KEY_LEN);
    memcpy(a.dh_pub, c->dev.dh_pub, BP_KEY_LEN);
    a.received_audio_ms = bp_int(msg, "received_audio_ms", 0);
    a.sas_verified = json_is_true(json_object_get(msg, "sas_verified"));
    const char *vwhy = NULL;
    if (bp_b64_decode_exact(bp_str(msg, "sig", ""), a.sig, BP_SIG_LEN) ||
        bp_attest_verify(&rec, &a, &vwhy)) {
        char f[9], m[200];
        log_fp8(c->fp, f);
        log_info("session %s: receipt from device %s refused (%s)", session, f, vwhy ? vwhy : "bad signature");
        snprintf(m, sizeof m, "the receipt's signature does not verify for this session's record and your "
                 "device key (%s): sign the record of session_record again", vwhy ? vwhy : "bad signature");
        conn_send_error(c, BP_E_BAD_SIGNATURE, m, ref, now);
        return;
    }
    struct store_receipt sr;
    memset(&sr, 0, sizeof sr);
    snprintf(sr.session, sizeof sr.session, "%s", session);
    snprintf(sr.device, sizeof sr.device, "%s", c->dev.fp);
    sr.received_audio_ms = a.received_audio_ms;
    sr.sas_verified = a.sas_verified;
    memcpy(sr.sig, a.sig, BP_SIG_LEN);
    sr.stored_ms = session_wall_ms(now);
    if (srv->ops->receipt_put(srv->st, &sr)) {
        conn_send_error(c, BP_E_INTERNAL, "the server could not store the receipt: send it again", ref, now);
        return;
    }
    char f[9];
    log_fp8(c->fp, f);
    log_info("session %s: receipt from device %s stored", session, f);
    json_t *o = conn_reply("receipt_ok", ref);
    if (o)
        json_object_set_new(o, "session", json_string(session));
    conn_send_json(c, o, now);
}
