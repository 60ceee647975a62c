/* room_cmds.c: the window's requests done on the loop thread, and the
 * call's state in the room model (see room_cmds.h). */
#include <stdio.h>
#include <string.h>

#include "call.h"
#include "dialog.h"
#include "i18n.h"
#include "join_console.h"
#include "room_acts.h"
#include "room_cmds.h"

#define FIGURES_MS 500 /* how often the call's state is looked at */

enum room_quality room_quality_of(int rtt_ms, int loss_pct)
{
    if (rtt_ms < 0 && loss_pct < 0)
        return ROOM_Q_UNKNOWN;
    int rtt = rtt_ms < 0 ? 0 : rtt_ms, loss = loss_pct < 0 ? 0 : loss_pct;
    if (rtt <= ROOM_Q_GOOD_RTT_MS && loss <= ROOM_Q_GOOD_LOSS_PCT)
        return ROOM_Q_GOOD;
    if (rtt <= ROOM_Q_FAIR_RTT_MS && loss <= ROOM_Q_FAIR_LOSS_PCT)
        return ROOM_Q_FAIR;
    return ROOM_Q_POOR;
}

static void warn(struct room_cmds *rc, const char *line)
{
    struct room_snapshot *s = room_model_edit(rc->m);
    room_model_add_line(s, ROOM_LINE_WARNING, -1, line);
    room_model_done(rc->m);
}

static void run_one(struct room_cmds *rc, const struct room_cmd *c, uint64_t now)
{
    struct dialog *d = rc->d;
    char said[ROOM_LINE_MAX];
    switch (c->kind) {
    case ROOM_CMD_CODE_YES:
    case ROOM_CMD_CODE_NO:
        if (room_act_code(d, rc->console ? rc->console->e2e : NULL, c->slot, c->kind == ROOM_CMD_CODE_YES, now,
                          said, sizeof said))
            warn(rc, said);
        break;
    case ROOM_CMD_MUTE_MIC:
        if (rc->call)
            call_mute(rc->call, c->on, -1);
        break;
    case ROOM_CMD_MUTE_CAM:
        if (rc->call)
            call_mute(rc->call, -1, c->on);
        break;
    case ROOM_CMD_LEAVE:
        dialog_quit(d, now);
        break;
    case ROOM_CMD_OPEN_SESSION:
        if (room_act_open_session(d, c->text, strlen(c->text), said, sizeof said))
            warn(rc, said);
        break;
    case ROOM_CMD_CLOSE_SESSION:
        if (room_act_close_session(d, said, sizeof said))
            warn(rc, said);
        break;
    case ROOM_CMD_FILES_ACCEPT:
    case ROOM_CMD_FILES_REFUSE:
        if (rc->console)
            join_console_files(rc->console, d, c->kind == ROOM_CMD_FILES_ACCEPT);
        break;
    case ROOM_CMD_SEND_FILE:
        if (rc->console)
            join_console_send_file(rc->console, d, c->text);
        break;
    case ROOM_CMD_CHAT:
        if (room_act_say(d, c->text, strlen(c->text), said, sizeof said))
            warn(rc, said);
        break;
    }
}

/* The call's state into the model, when it changed. */
static void figures(struct room_cmds *rc, uint64_t now)
{
    if (now - rc->last_fig_ms < FIGURES_MS && rc->last_fig_ms)
        return;
    rc->last_fig_ms = now ? now : 1;
    int has_mic = 0, has_cam = 0, mic = 0, cam = 0, rtt = -1, loss = -1;
    if (rc->call) {
        call_media_state(rc->call, &has_mic, &has_cam, &mic, &cam);
        if (dialog_in_room(rc->d))
            call_link_figures(rc->call, &rtt, &loss);
    }
    enum room_quality q = dialog_in_room(rc->d) ? room_quality_of(rtt, loss) : ROOM_Q_UNKNOWN;
    struct room_snapshot cur;
    room_model_snapshot(rc->m, &cur);
    /* The round trip moves a little all the time: only its tens count. */
    if (cur.has_mic == has_mic && cur.has_cam == has_cam && cur.mic_muted == mic &&
        cur.cam_muted == cam && cur.quality == q && cur.rtt_ms / 10 == rtt / 10)
        return;
    struct room_snapshot *s = room_model_edit(rc->m);
    s->has_mic = has_mic;
    s->has_cam = has_cam;
    s->mic_muted = mic;
    s->cam_muted = cam;
    s->quality = q;
    s->rtt_ms = rtt;
    room_model_done(rc->m);
}

static void cmds_tick(void *ctx, struct dialog *d, uint64_t now)
{
    struct room_cmds *rc = ctx;
    if (rc->inner && rc->inner->tick)
        rc->inner->tick(rc->inner_ctx, d, now);
    struct room_cmd c;
    int n = 0;
    /* A bounded drain: the queue holds 32 at most, and a leave ends it. */
    while (n++ < 32 && !d->finished && room_model_take(rc->m, &c))
        run_one(rc, &c, now);
    figures(rc, now);
    if (rc->on_bilan && d->bilan[0] && strcmp(d->bilan, rc->bilan_seen)) {
        snprintf(rc->bilan_seen, sizeof rc->bilan_seen, "%s", d->bilan);
        rc->on_bilan(rc->on_bilan_ctx, d->bilan);
    }
}

static void cmds_msg(void *ctx, struct dialog *d, enum bp_type t, const json_t *m,
                     const char *ref, uint64_t now)
{
    struct room_cmds *rc = ctx;
    if (rc->inner && rc->inner->on_msg)
        rc->inner->on_msg(rc->inner_ctx, d, t, m, ref, now);
}

static const struct dialog_media cmds_media = {.on_msg = cmds_msg, .tick = cmds_tick};

void room_cmds_attach(struct room_cmds *rc, struct room_model *m, struct dialog *d,
                      struct call *call, struct join_console *console)
{
    memset(rc, 0, sizeof *rc);
    rc->console = console;
    rc->m = m;
    rc->d = d;
    rc->call = call;
    rc->inner = d->media;
    rc->inner_ctx = d->media_ctx;
    d->media = &cmds_media;
    d->media_ctx = rc;
    room_model_set_wake(m, mux_wake, &d->mux);
}
