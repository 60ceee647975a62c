/* attendance.c: sessions, the presence journal and live hours (PROTOCOL.md
 * §9; docs/JOURNAL.md). See attendance.h. The requests about hours and
 * records (hours, personal_declare, receipt, receipt_refusal) are answered by
 * handle_hours.c.
 *
 * Layering: the roster calls down into attendance when a member joins or
 * leaves (attendance_member_joined/left), the dispatch table calls its two
 * handlers, the lifecycle its sweep. Attendance never calls back up: it
 * reaches connections only through conn.h (sending), never leaves a room or
 * closes a connection.
 *
 * Journal times. Within a session every t is kept >= the largest t already
 * journaled in it (the wall clock may step back), except `lost`, dated at
 * the member's last sign of life (never before its join). join, leave,
 * session_open, personal: the wall clock now; alive: the sweep's now for
 * every member present; session_close: now when a consultant closes it,
 * else (room emptied) the largest t journaled in the session, i.e. the last
 * departure (or a lost member's last sign of life).
 *
 * Reconnection (PROTOCOL.md §9.1). A room emptied by a `leave` closes its
 * session at once; emptied any other way (lost, reset, closed, replaced) it
 * keeps it open for the grace (attendance_grace_ms): a member back in time
 * continues it, and the gap is one interruption. A replaced connection
 * (the same device on a new one) is journaled `lost` at its last sign of
 * life, like a silent one. Sessions a crash left open are resumed the same
 * way at startup (resume.c), and so are those open when the server stops:
 * a restart is a break like any other. Every line gets its
 * sequence number from the store: its identity (account.h).
 *
 * Figures. The open session is counted in memory (ledger.h): a journal
 * event is one append, a figure one count over the session's joins and
 * leaves, whatever the size of the bilan's journal. At its end a session is
 * counted once from its own lines and frozen with its record (what
 * participants sign); reports, receipts and later joins read that. */
#include <stdlib.h>
#include <string.h>

#include "attendance.h"
#include "auth.h"
#include "conn.h"
#include "ledger.h"
#include "log.h"
#include "room.h"

static int64_t max64(int64_t a, int64_t b)
{
    return a > b ? a : b;
}

/* ---- Journal writes ---- */

/* Appends one line of session h (m: the member, NULL for open/close) at t
 * and counts it live. Returns the store's code; on failure *failed (when
 * not NULL) gets the line, to be written again. */
static int sappend_ex(struct server *srv, struct hsession *h, int kind, const struct room_member *m, int64_t t,
                      struct store_jev *failed)
{
    struct store_jev e;
    memset(&e, 0, sizeof e);
    if (kind != ACC_LOST)
        t = max64(t, h->last_t_ms);
    snprintf(e.bilan, sizeof e.bilan, "%s", h->bilan);
    snprintf(e.ev.session, sizeof e.ev.session, "%s", h->id);
    e.ev.t_ms = t;
    e.ev.kind = kind;
    e.ev.role = BP_ROLE_NONE;
    e.ev.phase = kind == ACC_SESSION_OPEN ? h->phase : BP_PHASE_NONE;
    if (m) {
        bp_b64_encode(m->device, BP_FP_LEN, e.ev.device);
        if (kind == ACC_JOIN)
            e.ev.role = m->role == BP_ROLE_CONSULTANT ? BP_ROLE_CONSULTANT : BP_ROLE_BENEFICIARY;
    }
    int rc = srv->ops->journal->journal_append(srv->st, &e);
    if (rc) {
        log_err("session: cannot journal %s of session %s in bilan %s", account_kind_name(kind), h->id, h->bilan);
        if (failed)
            *failed = e;
        return rc;
    }
    h->last_t_ms = max64(h->last_t_ms, t);
    if (ledger_live_add(&h->live, &e.ev))
        log_err("session %s: out of memory counting it live", h->id);
    return 0;
}

static int sappend(struct server *srv, struct hsession *h, int kind, const struct room_member *m, int64_t t)
{
    return sappend_ex(srv, h, kind, m, t, NULL);
}

/* Writes the departures a store failure held back, in the caller's
 * transaction. They count live only once committed (retries_done). */
static int retries_write(struct server *srv, struct hsession *h)
{
    for (int i = 0; i < h->nretry; i++) {
        int rc = srv->ops->journal->journal_append(srv->st, &h->retry[i]);
        if (rc)
            return rc;
    }
    return 0;
}

static void retries_done(struct hsession *h)
{
    for (int i = 0; i < h->nretry; i++) {
        h->last_t_ms = max64(h->last_t_ms, h->retry[i].ev.t_ms);
        if (ledger_live_add(&h->live, &h->retry[i].ev))
            log_err("session %s: out of memory counting it live", h->id);
    }
    if (h->nretry)
        log_info("session %s: %d departure(s) journaled after a store failure", h->id, h->nretry);
    h->nretry = 0;
}

/* Writes the held-back departures now, in their own transaction. */
static int retries_flush(struct server *srv, struct hsession *h)
{
    if (!h->nretry)
        return 0;
    int rc = srv->ops->begin(srv->st);
    if (!rc)
        rc = retries_write(srv, h);
    if (!rc)
        rc = srv->ops->commit(srv->st);
    else
        srv->ops->rollback(srv->st);
    if (!rc)
        retries_done(h);
    return rc;
}

/* ---- Live figures ---- */

static void room_broadcast(struct room *room, json_t *o, int consultants_only, struct now now)
{
    for (int i = 0; i < BP_MAX_MEMBERS; i++) {
        struct conn *m = room->m[i].conn;
        if (!m || (consultants_only && room->m[i].role != BP_ROLE_CONSULTANT))
            continue;
        conn_send_json(m, json_deep_copy(o), now);
    }
    json_decref(o);
}

/* Budget warnings at 80 and 100 %: the first time only (budget_warnings),
 * to the consultants in the room. */
static void check_budget(struct server *srv, struct room *room, const char *bilan, int64_t ftf_ms,
                         int64_t budget_ms, struct now now)
{
    static const int levels[] = {80, 100};
    if (budget_ms <= 0)
        return;
    for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++) {
        if (ftf_ms * 100 < budget_ms * levels[i])
            continue;
        int rc = srv->ops->journal->budget_warning_add(srv->st, bilan, levels[i], now_wall_ms(now));
        if (rc)
            continue; /* STORE_E_EXISTS: already warned (or logged failure) */
        log_info("bilan %s: face-to-face time reached %d %% of its budget (%lld of %lld s)", bilan, levels[i],
                 (long long)(ftf_ms / 1000), (long long)(budget_ms / 1000));
        json_t *o = json_pack("{s:s, s:s, s:i, s:I, s:I}", "type", "budget_warning", "bilan", bilan, "level",
                              levels[i], "face_to_face_ms", (json_int_t)ftf_ms, "budget_s",
                              (json_int_t)(budget_ms / 1000));
        room_broadcast(room, o, 1, now);
    }
}

/* hours_update to the room, then the budget warnings. row: the open
 * session's figures (NULL after its close). */
static void send_hours(struct server *srv, struct room *room, const struct hsession *h, int64_t bilan_ftf_ms,
                       const struct acc_session *row, struct now now)
{
    int64_t budget = h->live.budget_ms;
    json_t *o = json_pack("{s:s, s:s, s:I, s:I, s:I}", "type", "hours_update", "bilan", h->bilan,
                          "face_to_face_ms", (json_int_t)bilan_ftf_ms, "budget_s", (json_int_t)(budget / 1000),
                          "remaining_ms", (json_int_t)(bilan_ftf_ms >= budget ? 0 : budget - bilan_ftf_ms));
    if (o && row) {
        json_object_set_new(o, "session", json_string(h->id));
        json_object_set_new(o, "phase", json_string(bp_phase_name(h->phase)));
        json_object_set_new(o, "session_elapsed_ms", json_integer(max64(0, now_wall_ms(now) - h->start_ms)));
        json_object_set_new(o, "session_face_to_face_ms", json_integer(row->face_to_face_ms));
    }
    if (o)
        room_broadcast(room, o, 0, now);
    check_budget(srv, room, h->bilan, bilan_ftf_ms, budget, now);
}

/* The figures of the room's open session up to now, sent to the room. */
static void hours_update(struct server *srv, struct room *room, struct now now)
{
    struct hsession *h = room->session;
    struct acc_session row;
    int64_t total;
    if (!h || ledger_live_figures(&h->live, now_wall_ms(now), &row, &total))
        return;
    send_hours(srv, room, h, total, &row, now);
}

/* ---- Records ---- */

/* The stored record of session ss as JSON, or NULL (logged). */
static json_t *record_json(struct server *srv, const struct store_session *ss)
{
    char *text = NULL, why[320];
    if (ledger_record_json(srv->ops, srv->st, ss, &text, why, sizeof why)) {
        log_err("session %s: %s", ss->id, why);
        return NULL;
    }
    json_error_t je;
    json_t *o = json_loads(text, JSON_REJECT_DUPLICATES, &je);
    free(text);
    if (!o)
        log_err("session %s: the stored record is not JSON", ss->id);
    return o;
}

/* session_record {record} to every connected participant of the record rj
 * (borrowed). */
static void send_records(struct server *srv, json_t *rj, struct now now)
{
    struct bp_record rec;
    struct bp_verr e;
    if (bp_record_from_json(rj, &rec, &e)) {
        log_err("session: a stored record does not parse: %s", e.detail);
        return;
    }
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
}

/* A device that was gone when a session it took part in closed never got
 * its record (send_records reaches only the connected): each time it joins
 * the bilan's room, it gets the record of every closed session of that bilan
 * with a join line of its own and neither a receipt nor a refusal from it
 * (PROTOCOL.md §9.3). The record is the one stored at close: the same bytes. */
struct unsigned_ids {
    struct store_session ss[SESSION_UNSIGNED_MAX];
    int n;
};

static int collect_unsigned(void *arg, const struct store_session *ss)
{
    struct unsigned_ids *u = arg;
    if (u->n < SESSION_UNSIGNED_MAX)
        u->ss[u->n++] = *ss;
    return 0;
}

void attendance_send_unsigned(struct conn *c, struct now now)
{
    struct server *srv = c->srv;
    if (c->closing || c->state != CS_IN_ROOM || srv->stopping)
        return;
    struct unsigned_ids *u = calloc(1, sizeof *u);
    if (!u)
        return;
    /* Rows first: a record frozen now writes to the store. */
    if (srv->ops->receipts->sessions_unsigned(srv->st, c->room->bilan, c->dev.fp, SESSION_UNSIGNED_MAX, collect_unsigned, u)) {
        log_err("session: cannot list the unsigned sessions of a device in bilan %s", c->room->bilan);
        free(u);
        return;
    }
    int sent = 0;
    for (int i = 0; i < u->n; i++) {
        json_t *rj = record_json(srv, &u->ss[i]);
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
    free(u);
}

/* ---- Opening and closing ---- */

static void hsession_free(struct hsession *h)
{
    if (!h)
        return;
    ledger_live_free(&h->live);
    free(h->retry);
    free(h);
}

/* Ends room's session at t: journal, sessions row, frozen figures and
 * record, session_closed, figures, records. reason: "closed" or "empty"
 * (stored "shutdown" while stopping). */
static void close_session(struct server *srv, struct room *room, int64_t t, const char *reason, const char *ref,
                          struct conn *closer, struct now now)
{
    struct hsession *h = room->session;
    t = max64(t, h->last_t_ms);
    const char *stored = srv->stopping ? "shutdown" : reason;
    int rc = srv->ops->begin(srv->st);
    if (!rc)
        rc = retries_write(srv, h);
    if (!rc)
        rc = sappend(srv, h, ACC_SESSION_CLOSE, NULL, t);
    if (!rc)
        rc = srv->ops->journal->session_end(srv->st, h->id, t, stored);
    if (!rc)
        rc = srv->ops->commit(srv->st);
    else
        srv->ops->rollback(srv->st);
    if (!rc)
        retries_done(h);
    room->session = NULL;
    if (rc) {
        /* The journal keeps the session open: the report ends it at the last
         * checkpoint, as after a crash, and the next start ends it. */
        log_err("session %s: cannot journal its close", h->id);
    }
    log_info("session %s of bilan %s ended (%s)", h->id, h->bilan, stored);

    /* Frozen once, from the session's own lines: what everyone gets. */
    struct store_session ss;
    json_t *rj = NULL;
    if (!rc && !srv->ops->journal->session_get(srv->st, h->id, &ss) && (rj = record_json(srv, &ss)) &&
        (srv->ops->journal->session_get(srv->st, h->id, &ss) || !ss.has_figures)) {
        json_decref(rj);
        rj = NULL;
    }
    struct acc_session live_row;
    int64_t live_total = 0;
    int64_t ftf = rj ? ss.face_to_face_ms
                : !ledger_live_figures(&h->live, t, &live_row, &live_total) ? live_row.face_to_face_ms : 0;
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
        send_hours(srv, room, h, h->live.ended_ftf_ms + ftf, NULL, now);
    if (rj && !srv->stopping)
        send_records(srv, rj, now);
    json_decref(rj);
    hsession_free(h);
}

void attendance_on_open(struct conn *c, const json_t *msg, const char *ref, struct now now)
{
    struct server *srv = c->srv;
    struct room *room = c->room;
    if (room->m[c->slot].role != BP_ROLE_CONSULTANT) {
        conn_send_error(c, BP_E_FORBIDDEN, "only a consultant opens a session", ref, now);
        return;
    }
    if (room->session) {
        conn_send_error(c, BP_E_WRONG_STATE, "a session is already open in this room: close it first", ref,
                        now);
        return;
    }
    int closed = auth_bilan_open(srv->ops, srv->st, room->bilan);
    if (closed) { /* closed while its members sat in the room (§10.4) */
        conn_send_error(c, closed, NULL, ref, now);
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
    int64_t t = now_wall_ms(now);
    char why[320];
    h->id[0] = 's';
    h->id[1] = '-';
    bp_b64_encode(rnd, sizeof rnd, h->id + 2);
    snprintf(h->bilan, sizeof h->bilan, "%s", room->bilan);
    h->phase = bp_phase_parse(ph, strlen(ph));
    h->start_ms = h->last_t_ms = h->last_alive_ms = h->last_update_ms = t;
    /* The bilan's totals, read once for the whole session. */
    if (ledger_live_begin(&h->live, srv->ops, srv->st, h->bilan, h->id, h->phase, t, why, sizeof why)) {
        log_err("session: %s", why);
        hsession_free(h);
        conn_send_error(c, BP_E_INTERNAL, "the server could not read this bilan's hours: try again", ref, now);
        return;
    }
    struct store_session ss;
    memset(&ss, 0, sizeof ss);
    snprintf(ss.id, sizeof ss.id, "%s", h->id);
    snprintf(ss.bilan, sizeof ss.bilan, "%s", h->bilan);
    ss.phase = h->phase;
    ss.opened_ms = t;
    ss.rules = LEDGER_RULES;
    int rc = srv->ops->begin(srv->st);
    if (!rc)
        rc = srv->ops->journal->session_add(srv->st, &ss);
    if (!rc)
        rc = sappend(srv, h, ACC_SESSION_OPEN, NULL, t);
    for (int i = 0; !rc && i < BP_MAX_MEMBERS; i++) {
        if (!room->m[i].conn)
            continue;
        h->join_ms[i] = t;
        rc = sappend(srv, h, ACC_JOIN, &room->m[i], t);
        h->in_journal |= (uint8_t)(1u << i);
    }
    if (!rc)
        rc = srv->ops->commit(srv->st);
    else
        srv->ops->rollback(srv->st);
    if (rc) {
        hsession_free(h);
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
    hours_update(srv, room, now);
}

void attendance_on_close(struct conn *c, const json_t *msg, const char *ref, struct now now)
{
    (void)msg;
    struct room *room = c->room;
    if (room->m[c->slot].role != BP_ROLE_CONSULTANT) {
        conn_send_error(c, BP_E_FORBIDDEN, "only a consultant closes a session", ref, now);
        return;
    }
    if (!room->session) {
        conn_send_error(c, BP_E_WRONG_STATE, "no session is open in this room", ref, now);
        return;
    }
    close_session(c->srv, room, now_wall_ms(now), "closed", ref, c, now);
}

void attendance_member_joined(struct server *srv, struct room *room, int slot, struct now now)
{
    struct hsession *h = room->session;
    if (!h)
        return;
    int64_t t = max64(now_wall_ms(now), h->last_t_ms);
    h->join_ms[slot] = t;
    if (h->empty_since_ms) {
        /* A return within the grace: the session goes on, and the break
         * between the last departure and this join is one interruption. */
        log_info("session %s of bilan %s continues: a member came back after %lld s", h->id, h->bilan,
                 (long long)((now_wall_ms(now) - h->empty_since_ms) / 1000));
        h->empty_since_ms = 0;
        h->resumed = 0;
    }
    /* A departure of this device still held back must come first, or its
     * join would find it present; without both, this presence is not counted
     * (the store failed: better uncounted than a journal that contradicts itself). */
    uint8_t bit = (uint8_t)(1u << slot);
    if (!retries_flush(srv, h) && !sappend(srv, h, ACC_JOIN, &room->m[slot], t))
        h->in_journal |= bit;
    else
        h->in_journal &= (uint8_t)~bit;
    if (!srv->stopping)
        hours_update(srv, room, now);
}

void attendance_member_left(struct server *srv, struct room *room, const struct room_member *gone, int slot,
                         const char *reason, int64_t last_rx_wall_ms, struct now now)
{
    struct hsession *h = room->session;
    if (!h)
        return;
    /* lost: silent for 15 s; replaced: the same device came back on a new
     * connection, perhaps after a silent break (a link that dropped). Both
     * end the presence at the old connection's last sign of life, so the
     * break counts as an interruption. */
    int lost = !strcmp(reason, "lost") || !strcmp(reason, "replaced");
    int64_t t = lost ? max64(last_rx_wall_ms, h->join_ms[slot]) : now_wall_ms(now);
    uint8_t bit = (uint8_t)(1u << slot);
    if (h->in_journal & bit) {
        struct store_jev failed;
        if (sappend_ex(srv, h, lost ? ACC_LOST : ACC_LEAVE, gone, t, &failed)) {
            if (!h->retry)
                h->retry = calloc(SESSION_RETRY_MAX, sizeof *h->retry);
            if (h->retry && h->nretry < SESSION_RETRY_MAX)
                h->retry[h->nretry++] = failed;
            else
                log_err("session %s: a departure could not be journaled nor kept for later: the member stays "
                        "present in the journal until the session ends", h->id);
        }
    }
    h->in_journal &= (uint8_t)~bit;
    h->join_ms[slot] = 0;
    if (room->count == 0) {
        if (!strcmp(reason, "replaced"))
            return; /* the same device is joining again right now */
        if (srv->stopping)
            return; /* left open: the next start resumes it (resume.c) */
        if (!strcmp(reason, "left")) {
            close_session(srv, room, h->last_t_ms, "empty", NULL, NULL, now);
            return;
        }
        /* Nobody said goodbye: a link dropped. The session waits for a
         * return (the sweep closes it at this departure after the grace). */
        h->empty_since_ms = now_wall_ms(now);
        log_info("session %s of bilan %s: the room emptied without a leave (%s); kept open %lld s for a "
                 "return", h->id, h->bilan, reason, (long long)(attendance_grace_ms(srv) / 1000));
        return;
    }
    if (!srv->stopping)
        hours_update(srv, room, now);
}

void attendance_room_check_empty(struct server *srv, struct room *room, struct now now)
{
    if (room->session && room->count == 0)
        close_session(srv, room, room->session->last_t_ms, "empty", NULL, NULL, now);
}

void attendance_sweep(struct server *srv, struct now now)
{
    int64_t t = now_wall_ms(now);
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
            failed = retries_write(srv, h) != 0;
            for (int i = 0; i < BP_MAX_MEMBERS && !failed; i++)
                if (room->m[i].conn && (h->in_journal & (1u << i)))
                    failed = sappend(srv, h, ACC_ALIVE, &room->m[i], max64(t, h->join_ms[i])) != 0;
        }
    }
    if (began) {
        if (failed) {
            srv->ops->rollback(srv->st);
        } else if (srv->ops->commit(srv->st)) {
            log_err("session: cannot commit alive checkpoints");
        } else {
            for (unsigned b = 0; b < ROOMS_BUCKETS; b++)
                for (struct room *room = srv->rooms.b[b]; room; room = room->next)
                    if (room->session && room->session->last_alive_ms == t)
                        retries_done(room->session);
        }
    }
    /* Emptied rooms whose grace is over: nobody came back. The close is at
     * the last departure (or, after a restart, the last checkpoint). */
    for (unsigned b = 0; b < ROOMS_BUCKETS; b++) {
        struct room *next;
        for (struct room *room = srv->rooms.b[b]; room; room = next) {
            next = room->next;
            struct hsession *h = room->session;
            if (!h || room->count || !h->empty_since_ms || t - h->empty_since_ms < attendance_grace_ms(srv))
                continue;
            log_info("session %s of bilan %s: nobody came back within %lld s", h->id, h->bilan,
                     (long long)(attendance_grace_ms(srv) / 1000));
            close_session(srv, room, h->last_t_ms, h->resumed ? "server_restart" : "empty", NULL, NULL, now);
            rooms_discard_if_empty(&srv->rooms, room);
        }
    }
    for (unsigned b = 0; b < ROOMS_BUCKETS; b++) {
        for (struct room *room = srv->rooms.b[b]; room; room = room->next) {
            struct hsession *h = room->session;
            if (!h || !room->count || t - h->last_update_ms < SESSION_UPDATE_MS)
                continue;
            h->last_update_ms = t;
            hours_update(srv, room, now);
        }
    }
}

void attendance_free_all(struct server *srv)
{
    for (unsigned b = 0; b < ROOMS_BUCKETS; b++) {
        for (struct room *room = srv->rooms.b[b]; room; room = room->next) {
            /* A session still open (its members' departures journaled)
             * stays open in the store: the next start resumes it, and
             * closes it at its last t if nobody comes back (resume.c). */
            hsession_free(room->session);
            room->session = NULL;
        }
    }
}

int64_t attendance_grace_ms(const struct server *srv)
{
    return srv->session_grace_ms > 0 ? srv->session_grace_ms : SESSION_GRACE_MS;
}
