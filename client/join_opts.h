/* join_opts.h: the command line of `bilan join` (its usage text and
 * options), read into struct join_opts before anything is opened.
 *
 * Owns the send list (--say, --send-file: files are checked and hashed
 * here, so that a missing file is a usage error before any connection).
 * Never opens the store or the network. */
#ifndef CLIENT_JOIN_OPTS_H
#define CLIENT_JOIN_OPTS_H

#include <stdint.h>

#include "bp/bp.h"
#include "datatx.h"
#include "e2e_room.h"
#include "reconnect.h"

struct dialog;

struct join_opts {
    const char *arg;        /* LINK-OR-BILAN-ID (argv) */
    struct datatx tx;       /* --say, --send-file */
    const char *recv_dir;   /* --recv-dir, or NULL: files refused */
    const char *opt_server; /* --server */
    const char *stats_file; /* --stats */
    enum e2e_sas_policy policy;
    int expect_files, expect_chat, expect_members;
    uint64_t duration_ms, timeout_ms;
    char open_phase[BP_PHASE_MAX + 1]; /* --open-session */
    int close_on_leave;                /* --close-session */
    int machine;                       /* --machine: "[room] ..." lines, not sentences */
    int headless;                      /* --headless: no window */
    /* The window (client/ui/window.h): --window (1; 0: when a display is
     * there), --text-size PT (0: default), --high-contrast. */
    int window, text_pt, high_contrast;
    /* The call (call.h): --video, --audio, --video-out, --audio-out,
     * --size, --fps. All NULL/0: no media. */
    const char *video, *audio, *video_out, *audio_out;
    int width, height, fps;
    int reconnect_s; /* --reconnect-for: seconds of reconnection attempts (0: none) */
    /* May be NULL. Called once the dialog is set up, before it connects:
     * the place to add media sources and sinks to d->mux (mux.h). */
    void (*on_ready)(void *ctx, struct dialog *d);
    void *on_ready_ctx;
    int no_echo_cancel; /* --no-echo-cancel (call_send.h: echo cancellation) */
};

/* Reads argv into o (o->tx initialised here). Returns 0, an exit code with
 * a message printed, or -1 when --help was printed (exit 0). On anything
 * but 0, o holds nothing to free. */
int join_opts_parse(struct join_opts *o, int argc, char **argv);
/* Frees the send list. */
void join_opts_free(struct join_opts *o);

#endif
