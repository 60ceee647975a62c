/* call_send.h: the send half of a call (issue 9, items 2 and 3): capture
 * -> encoder -> bounded queue -> the mux, on threads of its own, and the
 * rate control that keeps video inside what the link carries.
 *
 * Two threads: video (source -> VP8 -> chunks, bp/media.h) and audio
 * (source -> Opus). Each paces itself: a file or a test pattern at its
 * nominal rate on absolute monotonic deadlines; a live device (camera,
 * microphone) by the device. Each hands its frames to a frameq (frameq.h)
 * that wakes the network loop; the loop pulls audio before video (the
 * mux's serving order), one message at a time, so audio passes between the
 * chunks of a large video frame.
 *
 * Rate control (media/ratectl.h) lives under one mutex: the loop feeds it
 * an observation every ~100 ms (call_send_observe: our queues, the
 * socket's unsent bytes, the kernel's delivery rate and RTT, the server's
 * media_report on our worst receiver); the video thread asks it, before
 * each picture, whether to encode, skip, or make a keyframe, and follows
 * its target bitrate. Audio is never refused or delayed by it.
 *
 * Nothing is encoded while call_send_set_sending(0) (not in the room, no one
 * to receive, no key to seal with, or no estimate of the server clock yet:
 * headers carry capture times in the server clock, PROTOCOL.md §4.3); the
 * sources keep their pace. Turning sending on asks for a keyframe.
 *
 * Echo cancellation (media/aec.h): when on (call_send_config), each
 * microphone block goes through the canceller on the audio thread, before
 * Opus and whether or not we are sending (it keeps adapting); the playout
 * thread feeds it what the speaker plays (call_send_aec -> call_recv).
 *
 * Owns: the sources, encoders, both frameqs, the rate controller, the
 * echo canceller, the threads, the counters. Must never: encode or capture on the loop thread,
 * push part of a video frame (all its chunks or none), or drop audio for
 * rate (only a full queue, a loop that stopped pulling, loses audio). */
#ifndef CLIENT_CALL_SEND_H
#define CLIENT_CALL_SEND_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "mux.h"

struct aec;
struct call_send;
struct tcpinfo;

struct call_send_config {
    const char *video;      /* "pattern", FILE.y4m, /dev/videoN; NULL or "none": no video */
    const char *audio;      /* "tone[:HZ]", FILE.wav, "default"; NULL or "none": no audio */
    int width, height, fps; /* 0: 640 x 480 at 30 */
    FILE *err;              /* where a device lost mid-call is reported (stderr) */
    /* Echo cancellation and noise suppression of the microphone
     * (media/aec.h): asked (on by default in `bilan join`), and whether the
     * others are played on a speaker. It runs only when both hold and the
     * audio source is a microphone (a live source): there is no acoustic
     * path from a .wav sink to a .wav or tone source. */
    int echo_cancel, speaker;
};

/* Opens the sources and encoders (so that a bad --video or --audio is an
 * error before any connection). 0 and *out, or a negative code with a
 * sentence in why naming the source. */
int call_send_new(struct call_send **out, const struct call_send_config *cfg, char *why,
                  size_t why_cap);
/* Starts the threads; their queues wake the loop with wake(wake_ctx)
 * (mux_wake and the mux). 0 or a negative code. */
int call_send_start(struct call_send *c, void (*wake)(void *ctx), void *wake_ctx);
/* Stops and joins the threads. Idempotent. */
void call_send_stop(struct call_send *c);
void call_send_free(struct call_send *c); /* stops first; NULL is fine */

/* The mux sources (loop thread; ctx: the call_send): frames pulled are
 * counted as sent. NULL when that kind is off. */
const struct mux_source *call_send_audio_source(struct call_send *c);
const struct mux_source *call_send_video_source(struct call_send *c);

/* Loop thread. */
void call_send_set_sending(struct call_send *c, int on);
/* Server ms = local ms + offset (any thread). */
void call_send_set_clock_offset(struct call_send *c, int64_t offset_ms);
/* A keyframe is wanted (a receiver, a new key epoch): paced by ratectl. */
void call_send_keyframe(struct call_send *c, uint64_t now_ms);
/* The server's report on our receivers (media_report): the worst of them
 * (its drops, its queue delay, its busy link's rate or 0) goes into the
 * next observation. */
void call_send_receiver_report(struct call_send *c, int64_t dropped_video, int64_t queue_ms,
                               int64_t rate_kbps);
/* One observation (every ~100 ms): t may be NULL or !t->ok (unknown). */
void call_send_observe(struct call_send *c, const struct tcpinfo *t, uint64_t now_ms);
/* The echo canceller, or NULL when off: for the receive half's speaker
 * (it must stop using it before call_send_free). */
struct aec *call_send_aec(struct call_send *c);
/* Whether a kind is on. */
int call_send_has_video(const struct call_send *c);
int call_send_has_audio(const struct call_send *c);

/* Statistics as a new JSON object (caller decrefs): audio {frames_sent,
 * bytes_sent, dropped {queue_full}, encoded, echo_cancel {on, off_reason
 * ("option", "no speaker", "not a microphone") or blocks, far_blocks,
 * far_active, realign_far, realign_near, ref_lost, erle_db (aec.h; null
 * before any far-end sound)}}, video {frames_encoded,
 * chunks_sent, bytes_sent, keyframes, skipped_rate, dropped {queue_full,
 * source}, keyframe_requests}, rate {target_kbps now, min/max seen,
 * decreases, increases, last_reason, series: per second {t, target_kbps,
 * sent_kbps}}. Safe while running. */
json_t *call_send_stats_json(struct call_send *c);

#endif
