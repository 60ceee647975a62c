/* call_recv.h: the receive half of a call (issue 9, item 4): opened audio
 * and video frames of the other members -> jitter buffers -> decoders ->
 * sinks, on a playout thread of its own. Codec work never runs on the
 * network thread: the loop only copies opened frames into a bounded queue.
 *
 * Per remote slot (0..BP_MAX_MEMBERS-1): an audio jitter buffer (jitter.h,
 * audio defaults) and Opus decoder with loss concealment (FEC when the next
 * packet is there, else PLC); video chunks (bp/media.h) reassembled into
 * frames, a video jitter buffer keyed by the frame number, a VP8 decoder,
 * and lip sync on that member's audio (avsync.h). A frame that cannot be
 * decoded (a gap in frame numbers that is not followed by a keyframe, a
 * frame the decoder refuses, a first frame that is not a keyframe) marks
 * the sender as wanting a keyframe: the loop is woken and takes the wants
 * (call_recv_take_keyframe_wants) to send keyframe_request {slot}.
 *
 * Outputs: --video-out FILE.y4m gets the video of ONE sender (the first
 * remote whose frame is rendered; its picture N at position N, vsink_y4m.h);
 * --audio-out FILE.wav gets the audio of that same sender when it is known
 * at the first block played, else the first heard, for the whole call (its
 * block seq at position seq, asink_wav.h; a concealed block is written at
 * its seq, a stall is not: the file keeps silence there), and "default"
 * plays the mix of all remotes on the speaker (asink_sdl.h, SDL2). Stats:
 * per remote and stream.
 *
 * Clocks: local times are CLOCK_MONOTONIC. The header's capture_ms is the
 * sender's estimate of the server clock (ms mod 2^32, PROTOCOL.md §4.3);
 * call_recv_set_clock_offset gives ours (server ms = local ms + offset), so
 * capture-to-render latency = (local ms + offset) - capture_ms (as a signed
 * 32-bit difference). No latency sample is taken before an offset is set.
 *
 * Threads: the mux sinks and every call_recv_* below run on the loop
 * thread, except where stated; the playout thread is started by
 * call_recv_start and joined by call_recv_stop. */
#ifndef CLIENT_CALL_RECV_H
#define CLIENT_CALL_RECV_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "mux.h"

struct call_recv;
struct aec;

struct call_recv_config {
    const char *video_out; /* .y4m path, or NULL */
    const char *audio_out; /* .wav path, "default" (speaker), or NULL */
    int width, height;     /* of the .y4m file (pictures of another size are scaled) */
    int fps;               /* of the .y4m header */
    int self_slot_hint;    /* unused: our slot is learnt from slot events */
    struct aec *aec;       /* the echo canceller (media/aec.h) the speaker's blocks
                              feed as its reference, or NULL; not owned, and
                              must outlive call_recv_stop */
};

/* 0 and *out, or a negative BP_E_* / VM_E_* with a sentence in why (naming
 * the file that cannot be created). Nothing runs until call_recv_start. */
int call_recv_new(struct call_recv **out, const struct call_recv_config *cfg, char *why,
                  size_t why_cap);
/* Starts the playout thread. wake(wake_ctx) is called from that thread
 * when keyframe wants appear (give it mux_wake and the mux). 0 or an error. */
int call_recv_start(struct call_recv *r, void (*wake)(void *ctx), void *wake_ctx);
/* Stops and joins the playout thread, flushes and closes the sinks. 0, or
 * an error with why when a file could not be completed. Idempotent. */
int call_recv_stop(struct call_recv *r, char *why, size_t why_cap);
void call_recv_free(struct call_recv *r); /* stops first if needed; NULL is fine */

/* The mux sinks of kinds audio and video (ctx: the call_recv). frame()
 * copies the opened frame into the playout queue and returns 1; 0 when the
 * queue is full (counted as dropped "queue_full") or the payload is
 * malformed for its kind (counted "malformed"). slot_gone resets that
 * sender's state (a rejoin starts again at frame 0). */
extern const struct mux_sink call_recv_audio_sink;
extern const struct mux_sink call_recv_video_sink;

/* Server ms = local ms + offset (any thread). */
void call_recv_set_clock_offset(struct call_recv *r, int64_t offset_ms);
/* Slots (bit i = slot i) whose video needs a keyframe, cleared by the call.
 * A want is repeated at most every 500 ms while the sender's video stays
 * undecodable. */
unsigned call_recv_take_keyframe_wants(struct call_recv *r);
/* Milliseconds of audio from slot decoded normally (not concealed) since
 * the last call for that slot (20 per packet): evidence of two-way exchange
 * (PROTOCOL.md §9 received_audio_ms). */
uint64_t call_recv_take_audio_ms(struct call_recv *r, unsigned slot);

/* Statistics as a new JSON object (caller decrefs):
 * {"slots":[...], "video_slot":n|-1, "audio_slot":n|-1 (whose streams the
 * files get), "queue":{queued, queue_full, malformed_audio, malformed_video,
 * nomem, peak_items, peak_bytes}}; "slots" has, per remote slot that
 * sent anything since it (re)appeared,
 * {"slot":n, "audio":{...}, "video":{...}} with, for audio:
 * "frames" received, played, concealed_fec, concealed_plc, stalls, late,
 * decode_errors, dropped (by reason), gaps_over_60ms (runs of concealment or
 * stalls longer than 60 ms), delay_ms and target_delay_ms (jitter buffer),
 * latency_ms {p50, p95, samples}, kbps (array of per-second received
 * bitrates, the last 600 seconds); for video: chunks received, complete
 * (frames reassembled), incomplete (given up), lost (frames the jitter
 * buffer gave up), decoded, rendered, dropped (by reason: late,
 * undecodable, decode_errors, avsync_late, ..., and chunks_* refused by
 * reassembly), keyframes, keyframe_requests, write_errors, latency_ms
 * {p50, p95, samples}, lipsync_ms {p50, abs_p95, samples}, kbps,
 * first_decode_ms (from the sender's first chunk here to its first decoded
 * frame: how long a newcomer waits for a keyframe), max_render_gap_ms (the
 * longest freeze once pictures came). Each slot also has "timeline": per
 * second of the server's clock (Unix s, the last 300), {t, audio {played,
 * fec, plc, stalls}, video {rendered, latency_ms [each frame's]}}. A sender
 * that left keeps its entry, with "left": true, after the present ones. Counts of
 * video frames: rendered + avsync_late + undecodable + decode_errors + lost
 * = frames the jitter buffer took. A percentile with no sample is null.
 * Safe to call while running (takes the lock). */
json_t *call_recv_stats_json(struct call_recv *r);

#endif
