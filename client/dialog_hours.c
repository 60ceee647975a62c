/* dialog_hours.c: sessions, hours and receipts (see dialog_hours.h).
 *
 * Waits: after a session we were in closes, its record is due; after our
 * receipt (or refusal) goes out, its acknowledgement is due; after our own
 * close before leaving, the close is due. Each wait ends when its answer
 * comes, or after DIALOG_HOURS_WAIT_MS; the end of a wait is progress for
 * dialog.c (a leave may have been waiting for it). */
#include <stdlib.h>
#include <string.h>

#include "dialog_hours.h"
#include "e2e_room.h"
#include "hours.h"
#include "i18n.h"
#include "proto_words.h"
#include "util.h"

/* ---- this device's account of its sessions (attend.h) ---- */

static struct attend_obs *obs_find(struct dialog *d, const char *id)
{
    struct dialog_hours *h = &d->hours;
    for (int i = 0; i < h->nobs && i < DIALOG_SEEN_MAX; i++)
        if (!strcmp(h->obs[i].session, id))
            return &h->obs[i];
    return NULL;
}

static struct attend_obs *obs_open(struct dialog *d)
{
    return d->hours.session[0] ? obs_find(d, d->hours.session) : NULL;
}

static void attend_save(struct dialog *d, struct attend_obs *o, uint64_t now)
{
    attend_tick(o, dialog_wall(d, now));
    attend_rtt(o, d->hours.rtt_ms);
    d->hours.attend_saved_ms = now;
    if (d->app && d->app->on_attend && d->bilan[0])
        d->app->on_attend(d->app_ctx, d, d->bilan, o);
}

/* A session we take part in, first seen now (opened in front of us, or
 * already open when we came): its account starts with the roster we see. */
static struct attend_obs *note_seen(struct dialog *d, const char *id, int have_start,
                                    int64_t start_ms, int64_t elapsed_ms, uint64_t now)
{
    if (!id[0])
        return NULL;
    struct attend_obs *o = obs_find(d, id);
    if (o)
        return o;
    o = &d->hours.obs[d->hours.nobs % DIALOG_SEEN_MAX];
    d->hours.nobs++;
    struct attend_member r[BP_MAX_MEMBERS];
    attend_begin(o, id, have_start, start_ms, elapsed_ms, dialog_wall(d, now));
    attend_roster(o, r, dialog_roster_attend(d, r), d->st == ST_IN_ROOM, 0, dialog_wall(d, now));
    attend_save(d, o, now);
    return o;
}

void dialog_hours_roster(struct dialog *d, int lost, uint64_t now)
{
    struct attend_obs *o = obs_open(d);
    if (!o)
        return;
    struct attend_member r[BP_MAX_MEMBERS];
    int here = dialog_in_room(d);
    attend_roster(o, r, here ? dialog_roster_attend(d, r) : 0, here, 1, dialog_wall(d, now));
    if (lost)
        attend_lost(o);
    attend_save(d, o, now);
}

void dialog_hours_out(struct dialog *d, uint64_t now)
{
    struct attend_obs *o = obs_open(d);
    if (!o || !o->here)
        return;
    attend_roster(o, NULL, 0, 0, 1, dialog_wall(d, now));
    attend_save(d, o, now);
}

void dialog_hours_tick(struct dialog *d, uint64_t now)
{
    /* The open session's account, kept now and then: a crash loses little. */
    struct attend_obs *o = obs_open(d);
    if (o && now - d->hours.attend_saved_ms >= 30000)
        attend_save(d, o, now);
}

void dialog_hours_audio(struct dialog *d, int64_t ms)
{
    struct attend_obs *o = obs_open(d);
    if (o && !o->closed && ms > 0 && dialog_in_room(d))
        o->audio_ms += ms;
}

int dialog_hours_waiting(const struct dialog *d)
{
    return d->hours.closing || d->hours.await_record || d->hours.await_ok;
}

void dialog_hours_give_up(struct dialog *d)
{
    struct dialog_hours *h = &d->hours;
    dialog_print(d, "[hours] gave up waiting for the %s\n",
                 h->closing        ? "session's close"
                 : h->await_record ? "session's record"
                                   : "server's receipt_ok");
    h->closing = h->await_record = h->await_ok = 0;
    d->script.progress = 1;
}

/* ---- the server's messages ---- */

void dialog_hours_opened(struct dialog *d, const json_t *m, uint64_t now)
{
    if (!dialog_in_room(d))
        return;
    const char *id = bp_str(m, "session", "");
    snprintf(d->hours.session, sizeof d->hours.session, "%s", id);
    note_seen(d, id, 1, bp_int(m, "start_ms", 0), 0, now);
    dialog_print(d, "[hours] session=%s opened phase=%s\n", id, bp_str(m, "phase", ""));
    room_news_session_opened(&d->news, bp_str(m, "phase", ""), 0, now);
}

void dialog_hours_closed(struct dialog *d, const json_t *m, uint64_t now)
{
    if (!dialog_in_room(d))
        return;
    struct dialog_hours *h = &d->hours;
    const char *id = bp_str(m, "session", "");
    char hms[24], reason[40];
    const char *r = bp_str(m, "reason", "");
    cli_printable((const uint8_t *)r, strlen(r), reason, sizeof reason);
    hours_fmt_hms(bp_int(m, "face_to_face_ms", 0), hms, sizeof hms);
    struct attend_obs *o = obs_find(d, id);
    if (o) {
        attend_closed(o, bp_int(m, "end_ms", 0), bp_int(m, "face_to_face_ms", 0),
                      dialog_wall(d, now));
        attend_save(d, o, now);
    }
    dialog_print(d, "[hours] session=%s closed face_to_face=%s reason=%s\n", id, hms, reason);
    room_news_session_closed(&d->news, bp_int(m, "face_to_face_ms", 0));
    if (!strcmp(h->session, id))
        h->session[0] = '\0';
    h->closing = 0;
    if (d->st == ST_IN_ROOM) {
        /* We were in it: the server sends us its record to sign. */
        h->await_record = 1;
        h->deadline = now + DIALOG_HOURS_WAIT_MS;
    }
}

void dialog_hours_update(struct dialog *d, const json_t *m, uint64_t now)
{
    if (!dialog_in_room(d))
        return;
    char used[24], budget[24], left[24];
    hours_fmt_hm(bp_int(m, "face_to_face_ms", 0), used, sizeof used);
    hours_fmt_hm(bp_int(m, "budget_s", 0) * 1000, budget, sizeof budget);
    hours_fmt_hm(bp_int(m, "remaining_ms", 0), left, sizeof left);
    const char *sid = bp_str(m, "session", NULL);
    if (sid) {
        char el[24], f2f[24];
        hours_fmt_hms(bp_int(m, "session_elapsed_ms", 0), el, sizeof el);
        hours_fmt_hms(bp_int(m, "session_face_to_face_ms", 0), f2f, sizeof f2f);
        /* We may have joined a session already open: it is ours to sign too. */
        note_seen(d, sid, 0, 0, bp_int(m, "session_elapsed_ms", 0), now);
        if (!d->hours.session[0])
            snprintf(d->hours.session, sizeof d->hours.session, "%s", sid);
        dialog_print(d, "[hours] used=%s budget=%s left=%s session=%s elapsed=%s face_to_face=%s\n",
                     used, budget, left, sid, el, f2f);
        room_news_session_opened(&d->news, bp_str(m, "phase", ""),
                                 bp_int(m, "session_elapsed_ms", 0), now);
    } else {
        dialog_print(d, "[hours] used=%s budget=%s left=%s\n", used, budget, left);
    }
    room_news_hours(&d->news, bp_int(m, "face_to_face_ms", 0), bp_int(m, "budget_s", 0) * 1000,
                    bp_int(m, "remaining_ms", 0));
}

void dialog_hours_budget_warning(struct dialog *d, const json_t *m)
{
    char used[24], budget[24];
    hours_fmt_hm(bp_int(m, "face_to_face_ms", 0), used, sizeof used);
    hours_fmt_hm(bp_int(m, "budget_s", 0) * 1000, budget, sizeof budget);
    dialog_print(d, "[hours] WARNING: %lld %% of the face-to-face budget used (%s of %s)\n",
                 bp_int(m, "level", 0), used, budget);
    room_news_budget(&d->news, (int)bp_int(m, "level", 0), bp_int(m, "face_to_face_ms", 0),
                     bp_int(m, "budget_s", 0) * 1000);
}

void dialog_hours_report_line(struct dialog *d, const json_t *m)
{
    const char *why;
    if (hours_report_summary(d->out, json_object_get(m, "report"), &why))
        dialog_print(d, "[hours] unreadable report: %s\n", why);
    fflush(d->out);
}

int dialog_send_receipt(struct dialog *d, const char *session, long long received_audio_ms,
                        int sas_verified, const uint8_t sig[BP_SIG_LEN])
{
    struct dialog_hours *h = &d->hours;
    if (d->finished || !d->tp || !d->tp->send_text)
        return BP_E_WRONG_STATE;
    if (h->nreceipts >= DIALOG_RECEIPTS_MAX)
        return BP_E_NOMEM;
    char sig64[BP_B64_64 + 1], ref[32];
    bp_b64_encode(sig, BP_SIG_LEN, sig64);
    int k = h->nreceipts++;
    snprintf(h->receipt_refs[k], BP_ID_MAX + 1, "%s", session);
    snprintf(ref, sizeof ref, "receipt:%d", k);
    return dialog_send(d,
                       json_pack("{s:s, s:s, s:I, s:b, s:s, s:s}", "type", "receipt", "session",
                                 session, "received_audio_ms", (json_int_t)received_audio_ms,
                                 "sas_verified", sas_verified ? 1 : 0, "sig", sig64, "ref", ref));
}

/* Says no to the record r, with reason, signed so that the refusal is ours
 * and not the server's word (PROTOCOL.md §9.3). */
static void refuse_record(struct dialog *d, const struct bp_record *r, const char *sidp,
                          const char *reason, uint64_t now)
{
    struct dialog_hours *h = &d->hours;
    struct bp_refusal f;
    memset(&f, 0, sizeof f);
    memcpy(f.sign_pub, d->id->sign_pub, BP_KEY_LEN);
    memcpy(f.dh_pub, d->id->dh_pub, BP_KEY_LEN);
    snprintf(f.reason, sizeof f.reason, "%s", reason);
    if (bp_fingerprint(f.sign_pub, f.dh_pub, f.signer) ||
        bp_refusal_sign(r, &f, d->id->sign_priv) || h->nreceipts >= DIALOG_RECEIPTS_MAX) {
        /* Not a participant of it (or OpenSSL failed): nothing to sign at all. */
        dialog_print(d, "[receipt] session=%s not signed: %s\n", sidp, reason);
        return;
    }
    char sig64[BP_B64_64 + 1], ref[32];
    bp_b64_encode(f.sig, BP_SIG_LEN, sig64);
    int k = h->nreceipts++;
    snprintf(h->receipt_refs[k], BP_ID_MAX + 1, "%s", r->session);
    snprintf(ref, sizeof ref, "refusal:%d", k);
    dialog_print(d, "[receipt] session=%s not signed: %s (refusal sent to the server)\n", sidp,
                 reason);
    if (dialog_send(d, json_pack("{s:s, s:s, s:s, s:s, s:s}", "type", "receipt_refusal", "session",
                                 r->session, "reason", f.reason, "sig", sig64, "ref", ref)) == 0) {
        h->await_ok = 1;
        h->deadline = now + DIALOG_HOURS_WAIT_MS;
    }
}

/* Signs r (or refuses it) against what we observed of it (o, may be NULL). */
static void sign_record(struct dialog *d, const json_t *rj, const struct bp_record *r,
                        const char *sidp, struct attend_obs *o, uint64_t now)
{
    struct bp_attestation a;
    memset(&a, 0, sizeof a);
    memcpy(a.sign_pub, d->id->sign_pub, BP_KEY_LEN);
    memcpy(a.dh_pub, d->id->dh_pub, BP_KEY_LEN);
    if (bp_fingerprint(a.sign_pub, a.dh_pub, a.signer)) {
        dialog_print(d, "[receipt] session=%s not signed: OpenSSL failed\n", sidp);
        return;
    }
    char why[BP_REASON_MAX + 1];
    if (!o) {
        refuse_record(d, r, sidp, "cet appareil n'a aucune trace de sa présence à cette séance",
                      now);
        return;
    }
    attend_tick(o, dialog_wall(d, now));
    attend_rtt(o, d->hours.rtt_ms);
    if (attend_check(o, r, d->bilan, a.signer, dialog_wall(d, now), why)) {
        refuse_record(d, r, sidp, why, now);
        return;
    }
    /* The others' audio this device decoded while the session was open
     * (dialog_hours_audio): evidence of a real exchange. */
    a.received_audio_ms = o->audio_ms;
    struct hours_met met[E2E_MET_MAX];
    size_t nmet = d->e2e ? e2e_met(d->e2e, met, E2E_MET_MAX) : 0;
    a.sas_verified = hours_sas_verified(a.signer, r, met, nmet);
    if (bp_attest_sign(r, &a, d->id->sign_priv)) {
        dialog_print(d, "[receipt] session=%s not signed: signing failed\n", sidp);
        return;
    }
    if (d->app && d->app->on_receipt) {
        json_t *aj = bp_attest_to_json(&a);
        d->app->on_receipt(d->app_ctx, d, r->bilan, r->session, rj, aj);
        json_decref(aj);
    }
    if (dialog_send_receipt(d, r->session, a.received_audio_ms, a.sas_verified, a.sig) == 0) {
        d->hours.await_ok = 1;
        d->hours.deadline = now + DIALOG_HOURS_WAIT_MS;
    }
}

void dialog_hours_record(struct dialog *d, const json_t *m, uint64_t now)
{
    if (!dialog_in_room(d))
        return;
    const json_t *rj = json_object_get(m, "record");
    struct bp_record r;
    struct bp_verr e;
    memset(&e, 0, sizeof e);
    d->hours.await_record = 0;
    d->script.progress = 1;
    const char *sid = bp_str(rj, "session", "?");
    char sidp[BP_ID_MAX + 1];
    cli_printable((const uint8_t *)sid, strlen(sid), sidp, sizeof sidp);
    if (bp_record_from_json(rj, &r, &e)) {
        dialog_print(d, "[receipt] session=%s not signed: the server's record is invalid (%s)\n",
                     sidp, e.detail);
        return;
    }
    /* What we saw of it: in this visit, or kept by an earlier one (we were
     * gone at the close: the server sends such records when we join). */
    struct attend_obs kept, *o = obs_find(d, r.session);
    if (!o && d->app && d->app->attend_load &&
        d->app->attend_load(d->app_ctx, d, d->bilan, r.session, &kept) == 1 &&
        !strcmp(kept.session, r.session))
        o = &kept;
    sign_record(d, rj, &r, sidp, o, now);
}

/* The acknowledgement of our last receipt or refusal, for session. */
static void acked(struct dialog *d, const char *sid)
{
    struct dialog_hours *h = &d->hours;
    if (h->await_ok && h->nreceipts && !strcmp(h->receipt_refs[h->nreceipts - 1], sid))
        h->await_ok = 0;
    d->script.progress = 1;
}

void dialog_hours_receipt_refused(struct dialog *d, const json_t *m)
{
    const char *sid = bp_str(m, "session", "");
    dialog_print(d, "[receipt] session=%s refusal stored by the server\n", sid);
    acked(d, sid);
}

void dialog_hours_receipt_ok(struct dialog *d, const json_t *m)
{
    const char *sid = bp_str(m, "session", "");
    dialog_print(d, "[receipt] session=%s signed\n", sid);
    if (d->app && d->app->on_receipt_ok)
        d->app->on_receipt_ok(d->app_ctx, d, sid);
    acked(d, sid);
}

int dialog_hours_error(struct dialog *d, const char *ref, int fatal)
{
    struct dialog_hours *h = &d->hours;
    if (fatal)
        return 0;
    /* A refused receipt (sent in any state) does not end the dialog. */
    if (!strncmp(ref, "receipt:", 8) || !strncmp(ref, "refusal:", 8)) {
        int k = atoi(ref + 8);
        const char *sid = k >= 0 && k < h->nreceipts ? h->receipt_refs[k] : "?";
        dialog_print(d, "[receipt] session=%s refused: %s\n", sid, d->err_code);
        if (h->await_ok && k == h->nreceipts - 1)
            h->await_ok = 0;
        d->script.progress = 1;
        return 1;
    }
    if (h->closing && !strcmp(ref, "session_close")) {
        /* e.g. wrong_state: the room emptied and closed it meanwhile */
        dialog_print(d, "[error] code=%s: %s\n", d->err_code, d->err_msg);
        h->closing = 0;
        d->script.progress = 1;
        return 1;
    }
    return 0;
}

/* ---- requests ---- */

void dialog_hours_send_open(struct dialog *d)
{
    d->hours.open_sent = 1;
    dialog_send(d, json_pack("{s:s, s:s, s:s}", "type", "session_open", "phase",
                             d->hours.open_phase, "ref", "session_open"));
}

void dialog_hours_send_close(struct dialog *d, uint64_t now)
{
    d->hours.closing = 1;
    d->hours.deadline = now + DIALOG_HOURS_WAIT_MS;
    dialog_send(d, json_pack("{s:s, s:s}", "type", "session_close", "ref", "session_close"));
}

int dialog_hours_open(struct dialog *d, const char *phase, const char **why)
{
    if (d->st != ST_IN_ROOM) {
        *why = _("vous n'êtes pas (encore) dans la salle");
        return BP_E_WRONG_STATE;
    }
    if (!hours_phase_ok(phase)) {
        *why = _("la phase est l'une de : preliminaire, investigation, conclusion, suivi");
        return BP_E_INVALID_FIELD;
    }
    if (d->hours.session[0]) { /* the server would refuse it, in less helpful words */
        *why = _("une séance est déjà ouverte ; pour changer de phase, terminez-la d'abord (/fin)");
        return BP_E_WRONG_STATE;
    }
    int rc = dialog_send(d, json_pack("{s:s, s:s, s:s}", "type", "session_open", "phase", phase,
                                      "ref", "session_open"));
    if (rc)
        *why = proto_err_words(rc);
    return rc;
}

int dialog_hours_close(struct dialog *d, const char **why)
{
    if (d->st != ST_IN_ROOM) {
        *why = _("vous n'êtes pas (encore) dans la salle");
        return BP_E_WRONG_STATE;
    }
    if (!d->hours.session[0]) { /* the server would refuse it, in less helpful words */
        *why = _("aucune séance n'est ouverte");
        return BP_E_WRONG_STATE;
    }
    int rc = dialog_send(d, json_pack("{s:s, s:s}", "type", "session_close", "ref", "session_end"));
    if (rc)
        *why = proto_err_words(rc);
    return rc;
}

int dialog_hours_report(struct dialog *d, const char **why)
{
    if (d->st != ST_IN_ROOM || !d->bilan[0]) {
        *why = _("vous n'êtes pas (encore) dans la salle");
        return BP_E_WRONG_STATE;
    }
    int rc = dialog_send(
        d, json_pack("{s:s, s:s, s:s}", "type", "hours", "bilan", d->bilan, "ref", "hours"));
    if (rc)
        *why = proto_err_words(rc);
    return rc;
}
