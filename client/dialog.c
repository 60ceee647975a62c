/* dialog.c: the events of a dialog and the one place where what happens
 * next is decided (see dialog.h).
 *
 * Every event goes the same way: the job it concerns updates the state
 * (dialog_auth, dialog_room, dialog_e2e, dialog_hours, the mux), then
 * settle() looks at the whole state and acts: end, leave, close the session
 * before leaving, open one, ask the relay's stats, ask for a write, and let
 * go of the visit once the dialog is over. Jobs never call each other or
 * this file; they report through the state (d->script.progress: something
 * a scripted leave waits for happened). Ending is marked at once
 * (dialog_end) but torn down here, after the event, never inside a job that
 * may still hold pointers into what teardown erases (e2e keys, transfers).
 *
 * Every message from the server is validated by bp_msg_parse before a job
 * looks at it; a message of a type we do not know is ignored (the protocol
 * lets servers add types), an invalid one ends the dialog as a protocol
 * failure. */
#include <string.h>

#include "bp/kinds.h"
#include "dialog.h"
#include "dialog_auth.h"
#include "e2e_room.h"
#include "i18n.h"
#include "proto_words.h"
#include "util.h"

#define STATS_RETRY_MS 200 /* between two stats asked before a scripted leave */

void dialog_init(struct dialog *d)
{
    memset(d, 0, sizeof *d);
    d->out = stdout;
    d->err = stderr;
    d->req.mode = DIALOG_AUTH;
    d->req.goal = GOAL_WELCOME;
    d->st = ST_CONNECTING;
    d->room.slot = -1;
    d->flow.held_slot = -1;
    d->script.setup_timeout_ms = 30000;
    d->machine = 1;
    room_news_init(&d->news, NULL, NULL);
    mux_init(&d->mux);
}

void dialog_free(struct dialog *d)
{
    mux_free(&d->mux);
}

/* ---- what happens next ---- */

static int expectations_met(const struct dialog *d)
{
    const struct dialog_script *sc = &d->script;
    int files = d->rx ? d->rx->files : 0, chats = d->rx ? d->rx->chats : 0;
    return files >= sc->expect_files && chats >= sc->expect_chat &&
           d->room.max_members >= sc->expect_members;
}

static int sends_done(const struct dialog *d)
{
    return !d->tx || datatx_done(d->tx);
}

/* The server has not confirmed every frame we sent yet (or --stats wants
 * its counters once). */
static int stats_missing(const struct dialog *d)
{
    return (uint64_t)d->relay.frames_accepted < d->mux.sent ||
           (d->script.want_relay_stats && !d->relay.got);
}

/* Leaving right after the last lws_write could leave our last frames in
 * transit when the server sees the leave; so before leaving we ask for
 * stats until the server has accepted every frame we sent (frames_in). */
static void ask_stats(struct dialog *d, uint64_t now)
{
    if (d->relay.pending)
        return;
    d->relay.pending = 1;
    d->relay.asked_ms = now;
    dialog_send(d, json_pack("{s:s}", "type", "stats"));
}

/* The leave policy. With --close-session and a session open, close it
 * first and leave once its record is signed and acknowledged (or after
 * DIALOG_HOURS_WAIT_MS); while an hours wait runs, leave after it. */
static void leave_start(struct dialog *d, int code, uint64_t now)
{
    if (d->st != ST_IN_ROOM)
        return;
    if (dialog_hours_waiting(d)) {
        if (!d->hours.leave_after)
            d->script.pending_exit = code;
        d->hours.leave_after = 1;
        return;
    }
    if (d->hours.close_on_leave && d->hours.session[0] && d->room.role == BP_ROLE_CONSULTANT) {
        d->hours.leave_after = 1;
        d->script.pending_exit = code;
        dialog_hours_send_close(d, now);
        return;
    }
    dialog_room_leave(d, code, now);
}

/* A scripted `bilan join` leaves once it received what it expects and sent
 * everything; it stays to sign the receipt of the open session, which the
 * consultant present will close (bounded by --timeout). */
static void script_check(struct dialog *d, uint64_t now)
{
    if (d->st != ST_IN_ROOM || !d->script.scripted || !expectations_met(d) || !sends_done(d))
        return;
    if (d->hours.session[0] && !d->hours.close_on_leave && dialog_other_consultant(d))
        return;
    if (dialog_hours_waiting(d))
        return;
    if (stats_missing(d)) {
        ask_stats(d, now);
        return;
    }
    leave_start(d, EXIT_OK_, now);
}

/* Time: "left" that never came, hours waits, --duration, --timeout. */
static void deadlines_leave(struct dialog *d, uint64_t now)
{
    if (d->st == ST_LEAVING && now >= d->script.leave_deadline)
        dialog_end(d, d->script.pending_exit);
    else if (dialog_hours_waiting(d) && d->hours.deadline && now >= d->hours.deadline)
        dialog_hours_give_up(d);
}

static void deadlines_script(struct dialog *d, uint64_t now)
{
    struct dialog_script *sc = &d->script;
    if (d->st == ST_IN_ROOM && sc->duration_end && now >= sc->duration_end) {
        leave_start(d, EXIT_OK_, now);
        return;
    }
    int setup_late = sc->setup_deadline && now >= sc->setup_deadline && d->st < ST_IN_ROOM;
    if ((!setup_late && !(sc->deadline && now >= sc->deadline)) || d->st == ST_LEAVING)
        return;
    if (d->st != ST_IN_ROOM) {
        fprintf(
            d->err, "%s",
            _("bilan : le serveur n'a pas répondu à temps : vérifiez votre connexion à Internet, "
              "puis réessayez.\n"));
        dialog_end(d, EXIT_TIMEOUT);
        return;
    }
    if (sc->timed_out)
        return; /* the leave waits for the hours: said once */
    sc->timed_out = 1;
    int files = d->rx ? d->rx->files : 0, chats = d->rx ? d->rx->chats : 0;
    fprintf(d->err,
            _("bilan : temps écoulé : %d fichier(s) reçu(s) sur %d, %d message(s) sur %d, "
              "%d membre(s) vu(s) sur %d, envois %s\n"),
            files, sc->expect_files, chats, sc->expect_chat, d->room.max_members,
            sc->expect_members, sends_done(d) ? _("terminés") : _("inachevés"));
    leave_start(d, EXIT_TIMEOUT, now);
}

/* What the visit holds goes: our presence in the open session's account,
 * unfinished receives, the end-to-end keys; then the connection. */
static void teardown(struct dialog *d, const char *why, int close)
{
    if (d->torn_down)
        return;
    d->torn_down = 1;
    dialog_hours_out(d, d->now_seen);
    mux_stop(&d->mux, why);
    dialog_e2e_leave(d);
    if (close && d->tp && d->tp->close)
        d->tp->close(d->tp_ctx);
}

/* A lost connection is worth another: a join that got in once, with a
 * reconnection window, and that was not leaving. */
static int link_may_retry(const struct dialog *d)
{
    return d->req.goal == GOAL_JOIN && d->link.rc.window_ms && d->link.joined_once && !d->finished &&
           d->st != ST_LEAVING;
}

/* The visit on that connection is over, the dialog is not: back to the
 * state of a dialog about to connect, with what outlives a visit kept
 * (the script, the sends, the sessions seen, the hours' clock). */
static void link_reset(struct dialog *d)
{
    /* The others are gone from this connection's point of view: their
     * streams end (the call stops concealing them; a new join may give
     * them other slots). */
    for (int i = 0; i < BP_MAX_MEMBERS; i++)
        if (i != d->room.slot && d->room.members[i].present)
            mux_slot_gone(&d->mux, (uint8_t)i, d->now_seen);
    memset(&d->room, 0, sizeof d->room);
    d->room.slot = -1;
    memset(&d->flow, 0, sizeof d->flow);
    d->flow.held_slot = -1;
    d->relay.pending = 0;
    d->relay.frames_accepted = 0;
    d->mux.sent = 0; /* frames_in of the next connection's stats count from there */
    d->hours.session[0] = '\0'; /* the next hours_update says if it still runs */
    d->hours.closing = 0;
    d->script.setup_deadline = 0; /* the reconnection window bounds the setup now */
    d->st = ST_CONNECTING;
}

/* The one re-evaluation after every event. */
static void settle(struct dialog *d, uint64_t now)
{
    if (!d->finished)
        deadlines_leave(d, now);
    if (!d->finished && d->st == ST_IN_ROOM) {
        if (d->hours.leave_after && !dialog_hours_waiting(d)) {
            d->hours.leave_after = 0;
            dialog_room_leave(d, d->script.pending_exit, now);
        }
        /* --open-session: once, as soon as someone else is in the room
         * (looked at when a roster arrives or grows). */
        if (d->hours.try_open && d->hours.open_phase[0] && !d->hours.open_sent &&
            dialog_others(d) && !d->hours.session[0])
            dialog_hours_send_open(d);
        if (d->rx && d->rx->messages != d->script.rx_seen) {
            d->script.rx_seen = d->rx->messages;
            d->script.progress = 1;
        }
        int retry =
            !d->relay.pending && stats_missing(d) && now - d->relay.asked_ms >= STATS_RETRY_MS;
        if (d->script.progress || retry)
            script_check(d, now);
    }
    d->hours.try_open = 0;
    d->script.progress = 0;
    if (!d->finished)
        deadlines_script(d, now);
    if (!d->finished && d->st == ST_IN_ROOM && dialog_others(d) && mux_ready(&d->mux) &&
        mux_pending(&d->mux) && d->tp && d->tp->want_write)
        d->tp->want_write(d->tp_ctx);
    if (d->finished)
        teardown(d, _("envoi interrompu : vous avez quitté la salle"), 1);
}

/* ---- text messages: one handler per type ---- */

struct msg_in {
    enum bp_type type;
    const json_t *m;
    const char *ref;
    uint64_t now;
};

static void on_challenge(struct dialog *d, const struct msg_in *in)
{
    dialog_auth_challenge(d, in->m, in->now);
}

static void on_welcome(struct dialog *d, const struct msg_in *in)
{
    dialog_auth_welcome(d, in->m, in->now);
}

static void on_reply(struct dialog *d, const struct msg_in *in)
{
    dialog_auth_reply(d, in->type, in->m);
}

static void on_joined(struct dialog *d, const struct msg_in *in)
{
    if (dialog_room_joined(d, in->m, in->now) || dialog_e2e_joined(d, in->m, in->now))
        return;
    d->link.joined_once = 1;
    if (d->link.reconnecting) {
        d->link.reconnecting = 0;
        d->link.reconnects++;
        reconnect_ok(&d->link.rc);
        dialog_print(d, "[room] reconnected\n");
        if (d->app && d->app->on_link)
            d->app->on_link(d->app_ctx, d, 0, 0);
        else
            fprintf(d->err, "%s%s\n", _("bilan : "), _("Reconnecté : la réunion continue."));
    }
    if (d->script.duration_ms && !d->script.duration_end) /* --duration counts from the first join */
        d->script.duration_end = in->now + d->script.duration_ms;
    d->hours.try_open = 1;
    d->script.progress = 1;
    if (d->sheets && d->sheets->on_ready)
        d->sheets->on_ready(d->sheets_ctx, d, in->now);
}

static void on_member_joined(struct dialog *d, const struct msg_in *in)
{
    int slot = dialog_room_member_joined(d, in->m);
    if (slot < 0)
        return;
    dialog_hours_roster(d, 0, in->now);
    dialog_e2e_member_joined(d, slot, in->m, in->now);
    d->hours.try_open = 1;
    d->script.progress = 1;
}

static void on_member_left(struct dialog *d, const struct msg_in *in)
{
    int slot = dialog_room_member_left(d, in->m);
    if (slot < 0)
        return;
    dialog_hours_roster(d, !strcmp(bp_str(in->m, "reason", ""), "lost"), in->now);
    /* A sender's frames may still be on their way: its transfers get a
     * grace period (datarx.h). */
    mux_slot_gone(&d->mux, (uint8_t)slot, in->now);
    dialog_e2e_member_left(d, slot, in->now);
}

static void on_left(struct dialog *d, const struct msg_in *in)
{
    (void)in;
    if (d->st == ST_LEAVING)
        dialog_end(d, d->script.pending_exit);
}

static void on_error(struct dialog *d, const struct msg_in *in)
{
    const char *code = bp_str(in->m, "code", "internal");
    const char *msg = bp_str(in->m, "message", "");
    cli_printable((const uint8_t *)code, strlen(code), d->err_code, sizeof d->err_code);
    cli_printable((const uint8_t *)msg, strlen(msg), d->err_msg, sizeof d->err_msg);
    int fatal = json_is_true(json_object_get(in->m, "fatal"));
    if (dialog_hours_error(d, in->ref, fatal))
        return;
    if (in->ref && !strncmp(in->ref, "sheet:", 6) && d->sheets && d->sheets->on_error &&
        d->sheets->on_error(d->sheets_ctx, d, in->ref, d->err_code, fatal))
        return;
    if (fatal && link_may_retry(d) && (!strcmp(d->err_code, "shutting_down") || !strcmp(d->err_code, "too_slow"))) {
        /* The server stops or cut a slow link: the close follows, and the
         * join is tried again (dialog_link_closed). */
        dialog_print(d, "[error] code=%s: %s\n", d->err_code, d->err_msg);
        return;
    }
    if (d->req.goal == GOAL_JOIN)
        dialog_print(d, "[error] code=%s: %s\n", d->err_code, d->err_msg);
    else
        fprintf(d->err, _("bilan : le serveur a refusé : %s (code=%s)\n"),
                proto_code_words(d->err_code), d->err_code);
    if (d->st == ST_IN_ROOM && !fatal) {
        /* The room goes on. A refused request (a session a beneficiary may
         * not open...) is said in words; a refused frame is only counted. */
        if (d->req.goal == GOAL_JOIN && strcmp(d->err_code, "bad_frame") &&
            strcmp(d->err_code, "flow_violation"))
            room_news_say(&d->news, ROOM_LINE_WARNING, _("Le serveur a refusé : %s."),
                          proto_code_words(d->err_code));
        return;
    }
    /* Our leave refused (we were no longer in the room): we are out anyway. */
    dialog_end(d, d->st == ST_LEAVING && !fatal ? d->script.pending_exit : EXIT_REFUSED);
}

static void on_stats(struct dialog *d, const struct msg_in *in)
{
    struct dialog_relay *r = &d->relay;
    r->pending = 0;
    r->got = 1;
    r->frames_out = bp_int(in->m, "frames_out", 0);
    r->dropped_video = bp_int(in->m, "dropped_video", 0);
    r->queued_bytes = bp_int(in->m, "queued_bytes", 0);
    long long fin = bp_int(in->m, "frames_in", 0);
    if (fin > (long long)r->frames_accepted)
        r->frames_accepted = fin > (long long)UINT32_MAX ? UINT32_MAX : (uint32_t)fin;
    if ((uint64_t)r->frames_accepted >= d->mux.sent)
        d->script.progress = 1;
    /* else settle asks again STATS_RETRY_MS after the last ask */
}

static void on_e2e(struct dialog *d, const struct msg_in *in)
{
    dialog_e2e_body(d, in->m, in->now);
}

static void on_flow(struct dialog *d, const struct msg_in *in)
{
    dialog_room_flow(d, in->m);
}

static void on_session_opened(struct dialog *d, const struct msg_in *in)
{
    dialog_hours_opened(d, in->m, in->now);
}

static void on_session_closed(struct dialog *d, const struct msg_in *in)
{
    dialog_hours_closed(d, in->m, in->now);
}

static void on_hours_update(struct dialog *d, const struct msg_in *in)
{
    dialog_hours_update(d, in->m, in->now);
}

static void on_budget_warning(struct dialog *d, const struct msg_in *in)
{
    dialog_hours_budget_warning(d, in->m);
}

static void on_session_record(struct dialog *d, const struct msg_in *in)
{
    dialog_hours_record(d, in->m, in->now);
}

static void on_receipt_ok(struct dialog *d, const struct msg_in *in)
{
    dialog_hours_receipt_ok(d, in->m);
}

static void on_receipt_refused(struct dialog *d, const struct msg_in *in)
{
    dialog_hours_receipt_refused(d, in->m);
}

/* hours_report and personal_declared: the command's reply, or, in the
 * room, the answer to /heures. */
static void on_hours_reply(struct dialog *d, const struct msg_in *in)
{
    if (d->st == ST_REQUEST)
        dialog_auth_reply(d, in->type, in->m);
    else if (in->type == BP_T_HOURS_REPORT && dialog_in_room(d))
        dialog_hours_report_line(d, in->m);
}

/* Media control (PROTOCOL.md §4.3): for the call, when there is one. */
static void on_media(struct dialog *d, const struct msg_in *in)
{
    if (d->media && d->media->on_msg)
        d->media->on_msg(d->media_ctx, d, in->type, in->m, in->ref, in->now);
}

/* The worksheets (PROTOCOL.md §10): for the sync, when there is one. A
 * bilan_closed is the reply of `bilan bilan close` (GOAL_CLOSE), and
 * sheet_consented that of a consent. */
static void on_sheets(struct dialog *d, const struct msg_in *in)
{
    if (d->st == ST_REQUEST &&
        ((d->req.goal == GOAL_CLOSE && in->type == BP_T_BILAN_CLOSED) ||
         (d->req.goal == GOAL_CONSENT && in->type == BP_T_SHEET_CONSENTED))) {
        dialog_auth_reply(d, in->type, in->m);
        return;
    }
    if (d->sheets && d->sheets->on_msg)
        d->sheets->on_msg(d->sheets_ctx, d, in->type, in->m, in->ref ? in->ref : "", in->now);
}

/* Every type this client reads has a row; others are ignored. */
static void (*const on_type[BP_T__COUNT])(struct dialog *, const struct msg_in *) = {
    [BP_T_CHALLENGE] = on_challenge,
    [BP_T_WELCOME] = on_welcome,
    [BP_T_BILAN_CREATED] = on_reply,
    [BP_T_INVITE_CREATED] = on_reply,
    [BP_T_BILANS] = on_reply,
    [BP_T_JOINED] = on_joined,
    [BP_T_MEMBER_JOINED] = on_member_joined,
    [BP_T_MEMBER_LEFT] = on_member_left,
    [BP_T_LEFT] = on_left,
    [BP_T_ERROR] = on_error,
    [BP_T_STATS_REPLY] = on_stats,
    [BP_T_E2E_RELAY] = on_e2e,
    [BP_T_FLOW] = on_flow,
    [BP_T_SESSION_OPENED] = on_session_opened,
    [BP_T_SESSION_CLOSED] = on_session_closed,
    [BP_T_HOURS_UPDATE] = on_hours_update,
    [BP_T_BUDGET_WARNING] = on_budget_warning,
    [BP_T_SESSION_RECORD] = on_session_record,
    [BP_T_RECEIPT_OK] = on_receipt_ok,
    [BP_T_RECEIPT_REFUSED] = on_receipt_refused,
    [BP_T_HOURS_REPORT] = on_hours_reply,
    [BP_T_PERSONAL_DECLARED] = on_hours_reply,
    [BP_T_KEYFRAME_REQUEST] = on_media,
    [BP_T_MEDIA_REPORT] = on_media,
    [BP_T_CLOCK_REPLY] = on_media,
    [BP_T_SHEET_PUSHED] = on_sheets,
    [BP_T_SHEET_OPS] = on_sheets,
    [BP_T_SHEET_KEYS] = on_sheets,
    [BP_T_SHEET_KEY_STORED] = on_sheets,
    [BP_T_SHEET_CONSENTED] = on_sheets,
    [BP_T_BILAN_CLOSED] = on_sheets,
};

/* ---- events ---- */

void dialog_start(struct dialog *d, uint64_t now_ms)
{
    d->now_seen = now_ms;
    if (d->link.connects++) {
        /* Another connection of the same dialog: hello, auth and join
         * again; the script's deadlines and sources are already set. */
        d->torn_down = 0;
        dialog_auth_hello(d, now_ms);
        settle(d, now_ms);
        return;
    }
    dialog_e2e_attach(d);
    if (d->tx)
        mux_set_source(&d->mux, BP_KIND_DATA, &datatx_source, d->tx);
    if (d->rx)
        mux_set_sink(&d->mux, BP_KIND_DATA, &datarx_sink, d->rx);
    if (d->script.timeout_ms)
        d->script.deadline = now_ms + d->script.timeout_ms;
    if (d->script.setup_timeout_ms)
        d->script.setup_deadline = now_ms + d->script.setup_timeout_ms;
    dialog_auth_hello(d, now_ms);
    settle(d, now_ms);
}

void dialog_on_text(struct dialog *d, const char *buf, size_t len, uint64_t now_ms)
{
    if (d->finished)
        return;
    d->now_seen = now_ms;
    d->text_in += len;
    enum bp_type t;
    json_t *m;
    struct bp_verr e;
    char ref[BP_REF_MAX + 1];
    int rc = bp_msg_parse(buf, len, BP_TO_CLIENT, &t, &m, &e, ref);
    if (rc == BP_E_UNKNOWN_TYPE)
        return; /* a newer server's additive message */
    if (rc) {
        dialog_fail(d,
                    _("le serveur a envoyé un message illisible : ce n'est peut-être pas un "
                      "serveur Bilan, ou "
                      "il n'est pas à jour"),
                    NULL);
    } else {
        struct msg_in in = {t, m, ref, now_ms};
        if (t > BP_T_NONE && t < BP_T__COUNT && on_type[t])
            on_type[t](d, &in);
        json_decref(m);
    }
    settle(d, now_ms);
}

void dialog_on_binary(struct dialog *d, const uint8_t *buf, size_t len, uint64_t now_ms)
{
    if (!dialog_in_room(d))
        return;
    struct bp_hdr h;
    const char *why;
    if (bp_hdr_decode(buf, len, &h, &why)) {
        (void)why; /* proto/'s reason is for developers */
        fprintf(d->err, "%s", _("bilan : un bloc illisible venu du serveur a été ignoré.\n"));
        return;
    }
    mux_receive(&d->mux, buf, len, now_ms);
    settle(d, now_ms);
}

int dialog_writable(struct dialog *d, uint8_t *buf, size_t cap, uint64_t now_ms)
{
    /* Frames wait for someone to receive them (the server relays, it does
     * not store). */
    if (d->st != ST_IN_ROOM || !dialog_others(d))
        return 0;
    int n = mux_next(&d->mux, buf, cap, now_ms);
    if (n < 0) {
        dialog_fail(d, _("impossible de chiffrer ce qui part : quittez puis rejoignez la salle"),
                    NULL);
        n = 0;
    } else if (n > 0 && d->tx && datatx_done(d->tx)) {
        d->script.progress = 1; /* the last data frame went: the script may end */
    }
    settle(d, now_ms);
    return n;
}

void dialog_tick(struct dialog *d, uint64_t now_ms)
{
    if (d->finished)
        return;
    d->now_seen = now_ms;
    dialog_hours_tick(d, now_ms);
    mux_tick(&d->mux, now_ms);
    dialog_e2e_tick(d, now_ms);
    if (d->media && d->media->tick)
        d->media->tick(d->media_ctx, d, now_ms);
    if (d->app && d->app->tick)
        d->app->tick(d->app_ctx, d, now_ms);
    settle(d, now_ms);
}

void dialog_interrupt(struct dialog *d, uint64_t now_ms)
{
    if (d->finished)
        return;
    if (d->st == ST_IN_ROOM) {
        /* At once, not at settle: a line typed after /quit in the same read
         * must find us leaving. */
        leave_start(d, EXIT_OK_, now_ms);
    } else if (d->st != ST_LEAVING) {
        fprintf(d->err, "%s", _("bilan : interrompu.\n"));
        dialog_end(d, d->req.goal == GOAL_JOIN ? EXIT_OK_ : EXIT_USAGE);
    }
    settle(d, now_ms);
}

void dialog_quit(struct dialog *d, uint64_t now_ms)
{
    dialog_interrupt(d, now_ms);
}

void dialog_on_input(struct dialog *d, const char *buf, size_t len, uint64_t now_ms)
{
    if (d->app && d->app->on_input)
        d->app->on_input(d->app_ctx, d, buf, len, now_ms);
    settle(d, now_ms);
}

void dialog_on_wake(struct dialog *d, uint64_t now_ms)
{
    mux_poke(&d->mux);
    if (!d->finished && d->media && d->media->tick)
        d->media->tick(d->media_ctx, d, now_ms);
    if (!d->finished && d->app && d->app->tick)
        d->app->tick(d->app_ctx, d, now_ms);
    settle(d, now_ms);
}

void dialog_finish(struct dialog *d, int code)
{
    dialog_end(d, code);
    settle(d, d->now_seen);
}

void dialog_link_closed(struct dialog *d, int close_status, uint64_t now_ms)
{
    if (d->finished)
        return;
    if (d->link.reconnecting && d->st == ST_CONNECTING)
        return; /* an attempt that never connected: nothing to let go */
    /* 1000: a newer connection of this device replaced this one (another
     * window): coming back would push it out in turn. */
    if (!link_may_retry(d) || close_status == 1000) {
        dialog_closed(d);
        return;
    }
    teardown(d, _("envoi interrompu : la connexion a été coupée"), 0);
    link_reset(d);
    d->link.reconnecting = 1;
    reconnect_lost(&d->link.rc, now_ms);
}

int64_t dialog_reconnect_delay(struct dialog *d, uint64_t now_ms, uint32_t rnd)
{
    if (d->finished || !d->link.reconnecting)
        return -1;
    uint64_t left = 0;
    int first = d->link.rc.attempts == 0;
    int64_t ms = reconnect_next(&d->link.rc, now_ms, rnd, &left);
    if (ms < 0) {
        dialog_print(d, "[room] reconnect gave_up after_s=%llu\n",
                     (unsigned long long)(d->link.rc.window_ms / 1000));
        fputs(_("bilan : "), d->err);
        fprintf(d->err, _("impossible de joindre le serveur depuis %llu s : la réunion est interrompue. "
                          "Vérifiez votre connexion à Internet, puis relancez la même commande pour "
                          "revenir dans la salle."),
                (unsigned long long)(d->link.rc.window_ms / 1000));
        fputc('\n', d->err);
        d->lost = 1;
        dialog_end(d, EXIT_NETWORK);
        return -1;
    }
    int left_s = (int)((left + 999) / 1000);
    dialog_print(d, "[room] reconnecting in_s=%.1f left_s=%d\n", (double)ms / 1000.0, left_s);
    if (d->app && d->app->on_link)
        d->app->on_link(d->app_ctx, d, 1, left_s);
    else if (first)
        fprintf(d->err, "%s%s\n", _("bilan : "),
                _("La connexion au serveur est coupée. Reconnexion en cours…"));
    return ms;
}

void dialog_closed(struct dialog *d)
{
    if (!d->finished) {
        d->lost = 1;
        dialog_end(d, EXIT_NETWORK);
        teardown(d, _("envoi interrompu : la connexion a été fermée"), 0);
    }
    /* Already over: what the visit held went at its end. */
}
