/* call.h: a call in the room: the send half (call_send.h) and the receive
 * half (call_recv.h) wired to one dialog (its mux, its media control
 * messages, its ticks), and what connects them to the rest of the visit:
 * the server clock estimate (clocksync.h), keyframe requests both ways,
 * the server's media_report to rate control, the socket's TCP_INFO every
 * 100 ms, and the others' decoded audio counted for the open session's
 * receipt (dialog_hours_audio).
 *
 * Sending starts when we are in the room with someone, the end-to-end
 * layer may seal, and the server clock is known; a new sender generation
 * of our own (a new key epoch: someone joined or left) asks for a
 * keyframe, as does every keyframe_request from the server.
 *
 * Owns: both halves, the clock estimate and the media counters. Runs on
 * the loop thread, except the halves' own threads. */
#ifndef CLIENT_CALL_H
#define CLIENT_CALL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

struct call;
struct dialog;

struct call_config {
    const char *video, *audio;        /* sources (call_send.h); NULL/"none": off */
    const char *video_out, *audio_out; /* sinks (call_recv.h); NULL: nothing written */
    int width, height, fps;           /* 0: 640 x 480 at 30 */
    FILE *err;
    int no_echo_cancel; /* 1: echo cancellation off; 0 (a zeroed config): on,
                           when a microphone and the speaker are both in use
                           (call_send.h) */
};

/* Opens sources, encoders and output files. 0 and *out, or a negative
 * code with a sentence in why. */
int call_new(struct call **out, const struct call_config *cfg, char *why, size_t why_cap);
/* Installs the call in d (before dialog_start): its mux sources and sinks,
 * its media hooks; starts the threads (they send nothing yet). 0 or an
 * error with why. */
int call_attach(struct call *c, struct dialog *d, char *why, size_t why_cap);
/* Stops the threads and closes the files (after the dialog's end): 0, or
 * an error with why (an output file could not be completed). */
int call_stop(struct call *c, char *why, size_t why_cap);
/* {"send": ..., "receive": ..., "clock": {...}} (caller decrefs). */
json_t *call_stats_json(struct call *c);
void call_free(struct call *c); /* stops first; NULL is fine */

#endif
