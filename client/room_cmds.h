/* room_cmds.h: what the person asks for in the window, done on the loop
 * thread, and what the call knows, written into the room model.
 *
 * The window thread posts room_cmd (room_model.h) and wakes the loop; this
 * file sits between the dialog and the call's media hooks (it wraps them:
 * every media tick and every wake passes here first), drains the posted
 * commands and calls what the console calls for the same request:
 * dialog_sas_answer, dialog_quit, dialog_hours_open / _close, dialog_say,
 * the console's file answers and sends (join_console.h), and the call's
 * mute. It also keeps the model's mic_muted, cam_muted,
 * has_mic, has_cam, quality and rtt_ms up to date from the call.
 *
 * Owns: nothing but its wiring. Runs on the loop thread only. Must never:
 * block, print (failures become model lines), or write what the dialog's
 * events own in the model (people, code, session, hours: the lead's
 * dialog_room / dialog_hours wiring). */
#ifndef CLIENT_ROOM_CMDS_H
#define CLIENT_ROOM_CMDS_H

#include <stdint.h>

#include "bp/limits.h"
#include "room_model.h"

struct call;
struct dialog;
struct join_console;
struct dialog_media;

/* Connection quality in one place: a round trip up to ROOM_Q_GOOD_RTT_MS
 * with at most ROOM_Q_GOOD_LOSS_PCT of the others' audio concealed is good;
 * up to the FAIR figures, fair; worse is poor. */
#define ROOM_Q_GOOD_RTT_MS 150
#define ROOM_Q_GOOD_LOSS_PCT 2
#define ROOM_Q_FAIR_RTT_MS 400
#define ROOM_Q_FAIR_LOSS_PCT 10

struct room_cmds {
    struct room_model *m;
    struct dialog *d;
    struct call *call;                /* may be NULL: no media */
    struct join_console *console;     /* files are taken and sent as the console does; may be NULL */
    const struct dialog_media *inner; /* the call's hooks, called first */
    void *inner_ctx;
    uint64_t last_fig_ms;
    /* May be NULL: called when the dialog learns which bilan the room is
     * (an invite link says it only in the welcome), for the window's title. */
    void (*on_bilan)(void *ctx, const char *bilan);
    void *on_bilan_ctx;
    char bilan_seen[BP_ID_MAX + 1];
};

/* After call_attach (whose hooks it wraps) and before the dialog starts:
 * the model's posts wake the dialog's loop (mux_wake). call and console
 * may be NULL. */
void room_cmds_attach(struct room_cmds *rc, struct room_model *m, struct dialog *d,
                      struct call *call, struct join_console *console);
/* The quality for a round trip (ms, -1 unknown) and a concealed share
 * (percent, -1 unknown): pure, for tests. */
enum room_quality room_quality_of(int rtt_ms, int loss_pct);

#endif
