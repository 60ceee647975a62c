/* call.c: a call wired to one dialog (see call.h). */
#include <stdlib.h>
#include <string.h>

#include "asink_sdl.h"
#include "call.h"
#include "call_recv.h"
#include "call_send.h"
#include "clocksync.h"
#include "dialog.h"
#include "e2e_room.h"
#include "i18n.h"
#include "tcpinfo.h"

#define OBSERVE_MS 100        /* rate control's observation period */
#define CLOCK_FIRST_SAMPLES 5 /* samples taken quickly after joining (PROTOCOL.md §4.3)... */
#define CLOCK_FIRST_MS 200    /* ...this far apart... */
#define CLOCK_EVERY_MS 10000  /* ...then this often (the estimate keeps the best of 8) */
#define CLOCK_GIVE_UP_MS 5000 /* an unanswered request is forgotten after this */

struct call {
    struct call_config cfg;
    struct call_send *snd;
    struct call_recv *rcv;
    struct dialog *d;
    struct clocksync cs;
    int clock_valid;
    int64_t offset_ms;
    uint64_t clock_sent_ms, next_clock_ms;
    unsigned clock_ref;
    int clock_out;
    uint64_t last_obs_ms;
    uint64_t our_gen;
    int sending;
    int link_seen;  /* d->link.connects when the clock was last measured */
    int kf_on_join; /* a reconnection: ask the others for a keyframe once back in */
    /* counters */
    uint64_t reports, key_requests_in, key_requests_out, bad_reports;
    int64_t worst_queue_ms;
    /* The link's figures for a window (call_link_figures). */
    int srtt_ms;
    uint64_t fig_ms, fig_played, fig_missed;
    int fig_loss;
};

int call_new(struct call **out, const struct call_config *cfg, char *why, size_t why_cap)
{
    *out = NULL;
    struct call *c = calloc(1, sizeof *c);
    if (!c) {
        snprintf(why, why_cap, "%s", _("mémoire insuffisante"));
        return BP_E_NOMEM;
    }
    c->cfg = *cfg;
    c->srtt_ms = c->fig_loss = -1;
    clocksync_init(&c->cs);
    struct call_send_config sc = {.video = cfg->video, .audio = cfg->audio, .width = cfg->width,
                                  .height = cfg->height, .fps = cfg->fps, .err = cfg->err,
                                  .echo_cancel = !cfg->no_echo_cancel,
                                  .speaker = asink_sdl_spec(cfg->audio_out, &(const char *){NULL})};
    int rc = call_send_new(&c->snd, &sc, why, why_cap);
    if (!rc) {
        struct call_recv_config rc_cfg = {.video_out = cfg->video_out,
                                          .audio_out = cfg->audio_out,
                                          .width = cfg->width ? cfg->width : 640,
                                          .height = cfg->height ? cfg->height : 480,
                                          .fps = cfg->fps ? cfg->fps : 30,
                                          .aec = call_send_aec(c->snd)};
        rc = call_recv_new(&c->rcv, &rc_cfg, why, why_cap);
    }
    if (rc) {
        call_free(c);
        return rc;
    }
    *out = c;
    return 0;
}

/* ---- media control messages ---- */

static void on_clock(struct call *c, const json_t *m, const char *ref, uint64_t now)
{
    char want[32];
    snprintf(want, sizeof want, "clock:%u", c->clock_ref);
    if (!c->clock_out || !ref || strcmp(ref, want) != 0)
        return; /* an answer we gave up on */
    c->clock_out = 0;
    json_int_t server_ms = json_integer_value(json_object_get(m, "server_ms"));
    if (!clocksync_sample(&c->cs, c->clock_sent_ms, now, (int64_t)server_ms))
        return;
    uint32_t rtt;
    clocksync_offset(&c->cs, &c->offset_ms, &rtt);
    c->clock_valid = 1;
    call_send_set_clock_offset(c->snd, c->offset_ms);
    call_recv_set_clock_offset(c->rcv, c->offset_ms);
}

/* media_report: the worst receiver's drops and queue delay go to rate
 * control. Each receiver object is checked here (PROTOCOL.md §4.3); one
 * that is not right spoils the report, which is then ignored. */
static void on_report(struct call *c, const json_t *m)
{
    const json_t *rs = json_object_get(m, "receivers");
    int64_t dropped = 0, queue = 0, rate_kbps = 0, worst = -1;
    size_t i;
    const json_t *r;
    json_array_foreach(rs, i, r)
    {
        const json_t *s = json_object_get(r, "slot"), *dv = json_object_get(r, "dropped_video"),
                     *q = json_object_get(r, "queue_ms");
        if (!json_is_object(r) || !json_is_integer(s) || !json_is_integer(dv) ||
            !json_is_integer(q) || json_integer_value(s) < 0 ||
            json_integer_value(s) >= BP_MAX_MEMBERS || json_integer_value(dv) < 0 ||
            json_integer_value(q) < 0 || json_integer_value(q) > 3600000) {
            c->bad_reports++;
            return;
        }
        const json_t *rk = json_object_get(r, "rate_kbps"); /* optional */
        if (rk && (!json_is_integer(rk) || json_integer_value(rk) < 0)) {
            c->bad_reports++;
            return;
        }
        if (json_integer_value(dv) > dropped)
            dropped = json_integer_value(dv);
        if (json_integer_value(q) > queue)
            queue = json_integer_value(q);
        /* The worst receiver's link: the one media waits longest for (its
         * drops come from that wait). */
        int64_t badness = json_integer_value(q) + 1000 * (json_integer_value(dv) > 0);
        if (badness > worst) {
            worst = badness;
            rate_kbps = rk ? json_integer_value(rk) : 0;
        }
    }
    c->reports++;
    if (queue > c->worst_queue_ms)
        c->worst_queue_ms = queue;
    call_send_receiver_report(c->snd, dropped, queue, rate_kbps);
}

static void media_msg(void *ctx, struct dialog *d, enum bp_type t, const json_t *m, const char *ref,
                      uint64_t now)
{
    struct call *c = ctx;
    (void)d;
    if (t == BP_T_CLOCK_REPLY) {
        on_clock(c, m, ref, now);
    } else if (t == BP_T_KEYFRAME_REQUEST) {
        c->key_requests_in++;
        call_send_keyframe(c->snd, now);
    } else if (t == BP_T_MEDIA_REPORT) {
        on_report(c, m);
    }
}

/* ---- time ---- */

static void ask_clock(struct call *c, struct dialog *d, uint64_t now)
{
    if (c->clock_out && now - c->clock_sent_ms < CLOCK_GIVE_UP_MS)
        return;
    if (now < c->next_clock_ms)
        return;
    char ref[32];
    snprintf(ref, sizeof ref, "clock:%u", ++c->clock_ref);
    if (dialog_send(d, json_pack("{s:s, s:s}", "type", "clock", "ref", ref)))
        return;
    c->clock_out = 1;
    c->clock_sent_ms = now;
    c->next_clock_ms = now + (c->cs.samples < CLOCK_FIRST_SAMPLES ? CLOCK_FIRST_MS : CLOCK_EVERY_MS);
}

static void send_keyframe_wants(struct call *c, struct dialog *d)
{
    unsigned wants = call_recv_take_keyframe_wants(c->rcv);
    for (unsigned s = 0; s < BP_MAX_MEMBERS; s++)
        if (wants & (1u << s) && dialog_in_room(d)) {
            c->key_requests_out++;
            dialog_send(d, json_pack("{s:s, s:i}", "type", "keyframe_request", "slot", (int)s));
        }
}

static void media_tick(void *ctx, struct dialog *d, uint64_t now)
{
    struct call *c = ctx;
    if (d->link.connects != c->link_seen) {
        /* A new connection (reconnection, dialog.h): the server may have
         * restarted, so its clock is measured again before media goes; our
         * keys start over at generation 1 (a keyframe follows them), and
         * the others' pictures are asked afresh. */
        c->kf_on_join = c->link_seen != 0;
        c->link_seen = d->link.connects;
        clocksync_init(&c->cs);
        c->clock_valid = 0;
        c->clock_out = 0;
        c->next_clock_ms = 0;
        c->our_gen = 0;
    }
    int in_room = d->st == ST_IN_ROOM;
    if (in_room)
        ask_clock(c, d, now);
    if (in_room && c->kf_on_join) {
        c->kf_on_join = 0;
        for (int s = 0; s < BP_MAX_MEMBERS; s++)
            if (s != d->room.slot && d->room.members[s].present) {
                c->key_requests_out++;
                dialog_send(d, json_pack("{s:s, s:i}", "type", "keyframe_request", "slot", s));
            }
    }
    int can = in_room && dialog_others(d) && c->clock_valid && (!d->e2e || e2e_can_send(d->e2e));
    if (can != c->sending) {
        c->sending = can;
        call_send_set_sending(c->snd, can);
        if (can)
            mux_wake(&d->mux);
    }
    /* A new key epoch of ours: receivers start over from a keyframe. */
    if (d->e2e && d->e2e->gen != c->our_gen) {
        c->our_gen = d->e2e->gen;
        if (c->sending)
            call_send_keyframe(c->snd, now);
    }
    send_keyframe_wants(c, d);
    if (now - c->last_obs_ms < OBSERVE_MS)
        return;
    c->last_obs_ms = now;
    struct tcpinfo t;
    memset(&t, 0, sizeof t);
    if (d->tp && d->tp->tcp_info)
        d->tp->tcp_info(d->tp_ctx, &t);
    call_send_observe(c->snd, &t, now);
    c->srtt_ms = t.ok && t.srtt_us ? (int)(t.srtt_us / 1000u) : -1;
    /* The others' audio decoded since the last look: wall time with some
     * audio from anyone (several speakers at once count once). */
    uint64_t heard = 0;
    for (unsigned s = 0; s < BP_MAX_MEMBERS; s++) {
        uint64_t ms = call_recv_take_audio_ms(c->rcv, s);
        if (ms > heard)
            heard = ms;
    }
    dialog_hours_audio(d, (int64_t)heard);
}

static const struct dialog_media call_media = {.on_msg = media_msg, .tick = media_tick};

int call_attach(struct call *c, struct dialog *d, char *why, size_t why_cap)
{
    c->d = d;
    d->media = &call_media;
    d->media_ctx = c;
    const struct mux_source *as = call_send_audio_source(c->snd),
                            *vs = call_send_video_source(c->snd);
    if (as)
        mux_set_source(&d->mux, BP_KIND_AUDIO, as, c->snd);
    if (vs)
        mux_set_source(&d->mux, BP_KIND_VIDEO, vs, c->snd);
    mux_set_sink(&d->mux, BP_KIND_AUDIO, &call_recv_audio_sink, c->rcv);
    mux_set_sink(&d->mux, BP_KIND_VIDEO, &call_recv_video_sink, c->rcv);
    int rc = call_recv_start(c->rcv, mux_wake, &d->mux);
    if (!rc)
        rc = call_send_start(c->snd, mux_wake, &d->mux);
    if (rc)
        snprintf(
            why, why_cap, "%s",
            _("impossible de lancer le son et l'image (mémoire ou système saturé) : réessayez"));
    return rc;
}

int call_stop(struct call *c, char *why, size_t why_cap)
{
    call_send_stop(c->snd);
    return call_recv_stop(c->rcv, why, why_cap);
}

json_t *call_stats_json(struct call *c)
{
    uint32_t rtt = 0;
    int64_t off = 0;
    int valid = clocksync_offset(&c->cs, &off, &rtt);
    json_t *clock = json_pack("{s:b, s:I, s:i, s:I}", "valid", valid, "offset_ms", (json_int_t)off,
                              "rtt_ms", (int)rtt, "samples", (json_int_t)c->cs.samples);
    json_t *ctl = json_pack("{s:I, s:I, s:I, s:I, s:I}", "media_reports", (json_int_t)c->reports,
                            "bad_reports", (json_int_t)c->bad_reports, "keyframe_requests_in",
                            (json_int_t)c->key_requests_in, "keyframe_requests_out",
                            (json_int_t)c->key_requests_out, "worst_receiver_queue_ms",
                            (json_int_t)c->worst_queue_ms);
    json_t *snd = call_send_stats_json(c->snd), *rcv = call_recv_stats_json(c->rcv);
    return json_pack("{s:o, s:o, s:o, s:o}", "send", snd ? snd : json_object(), "receive",
                     rcv ? rcv : json_object(), "clock", clock ? clock : json_object(), "control",
                     ctl ? ctl : json_object());
}

void call_free(struct call *c)
{
    if (!c)
        return;
    call_recv_free(c->rcv); /* first: its playout thread feeds the send half's aec */
    call_send_free(c->snd);
    free(c);
}

void call_picture_boxes(struct call *c, struct call_pictures *out)
{
    out->mine = call_send_preview(c->snd);
    for (unsigned i = 0; i < BP_MAX_MEMBERS; i++)
        out->slot[i] = call_recv_picture_box(c->rcv, i);
}

void call_mute(struct call *c, int mic, int cam)
{
    call_send_mute(c->snd, mic, cam);
}

void call_media_state(struct call *c, int *has_mic, int *has_cam, int *mic_muted, int *cam_muted)
{
    *has_mic = call_send_has_audio(c->snd);
    *has_cam = call_send_has_video(c->snd);
    call_send_muted(c->snd, mic_muted, cam_muted);
}

/* Sums, over the remote slots of the receive figures, the audio blocks
 * played and those concealed (lost on the way). Stalls are left out: a
 * sender that muted its microphone sends nothing, which is no fault of
 * the link. */
static void audio_totals(json_t *st, uint64_t *played, uint64_t *missed)
{
    size_t i;
    json_t *slot;
    *played = *missed = 0;
    json_array_foreach(json_object_get(st, "slots"), i, slot)
    {
        json_t *a = json_object_get(slot, "audio");
        *played += (uint64_t)json_integer_value(json_object_get(a, "played"));
        *missed += (uint64_t)(json_integer_value(json_object_get(a, "concealed_fec")) +
                              json_integer_value(json_object_get(a, "concealed_plc")));
    }
}

void call_link_figures(struct call *c, int *rtt_ms, int *loss_pct)
{
    *rtt_ms = c->srtt_ms;
    uint64_t now = c->d ? c->d->now_seen : 0;
    /* The receive figures cost a lock and some JSON: once a second. */
    if (now - c->fig_ms >= 1000 || !c->fig_ms) {
        json_t *st = call_recv_stats_json(c->rcv);
        uint64_t played, missed;
        audio_totals(st, &played, &missed);
        json_decref(st);
        if (played < c->fig_played || missed < c->fig_missed) /* a sender left: start again */
            c->fig_played = c->fig_missed = 0;
        uint64_t dp = played - c->fig_played, dm = missed - c->fig_missed;
        c->fig_loss = dp + dm ? (int)(dm * 100 / (dp + dm)) : -1;
        c->fig_played = played;
        c->fig_missed = missed;
        c->fig_ms = now ? now : 1;
    }
    *loss_pct = c->fig_loss;
}
