/* call_recv_int.h: the private state of the receive half of a call, shared
 * by its files only: call_recv.c (life cycle, the loop's sinks, the queue,
 * the playout thread), call_recv_audio.c (the 20-ms audio clock),
 * call_recv_video.c (reassembly to rendering) and call_recv_stats.c
 * (latency rings, bitrate series, the JSON). Calls go one way: call_recv.c
 * calls the three others; audio and video call stats; stats calls nobody.
 *
 * Locks: the queue (q.mu) is shared by the loop thread and the playout
 * thread; everything under "playout state" belongs to the playout thread
 * and is read by call_recv_stats_json, both under state_mu. The atomics are
 * read and written by any thread. */
#ifndef CLIENT_CALL_RECV_INT_H
#define CLIENT_CALL_RECV_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "aframe.h"
#include "asink_wav.h"
#include "avsync.h"
#include "bp/frame.h"
#include "bp/limits.h"
#include "jitter.h"
#include "opus_codec.h"
#include "vasm.h"
#include "vframe.h"
#include "vmailbox.h"
#include "vp8.h"
#include "vsink_y4m.h"

#define CR_QUEUE_ITEMS 1024        /* frames waiting for the playout thread, at most */
#define CR_QUEUE_BYTES (16u << 20) /* and their payload bytes */
#define CR_TICK_US 20000           /* the audio clock */
#define CR_BEHIND_US 200000        /* a thread this late starts its clock afresh */
#define CR_WANT_REPEAT_US 500000   /* a keyframe want is repeated at most this often */
#define CR_LAT_RING 512            /* latency samples kept per stream */
#define CR_KBPS_MAX 600            /* seconds of bitrate kept per stream (the last ones) */
#define CR_TL_MAX 300              /* seconds of timeline kept per sender (the last ones) */
#define CR_TL_LAT 64               /* video latency samples kept per second of timeline */
#define CR_GONE_MAX 16             /* figures of senders that left, kept for the stats */
#define CR_LATE_SHOW_US 500000     /* video late for the voice this long is shown late */
#define CR_GAP_TICKS 4             /* concealed ticks in a row that make a gap over 60 ms */
/* What the playout thread stores in a jitter buffer before the codec bytes:
 * audio u32 capture_ms; video u32 capture_ms, u8 keyframe, u32 picture. */
#define CR_AUDIO_PREFIX 4
#define CR_VIDEO_PREFIX 9
#define CR_VIDEO_SLOT_BYTES (512u * 1024u + CR_VIDEO_PREFIX)
#define CR_VIDEO_SLOTS 16
#define CR_VIDEO_MIN_DELAY_US 40000 /* the video jitter buffer: 40..100 ms (call_recv_video.c) */
#define CR_VIDEO_MAX_DELAY_US 100000

/* One opened frame on its way to the playout thread (or, with reset set, a
 * sender that left: its state is reset in order with its frames). */
struct cr_item {
    struct cr_item *next;
    struct bp_hdr h;
    uint64_t arrival_us;
    int reset;
    size_t len;
    uint8_t data[];
};

struct cr_queue {
    pthread_mutex_t mu;
    pthread_cond_t cv; /* on CLOCK_MONOTONIC: frames arrived, or stop */
    struct cr_item *head, *tail;
    unsigned items, peak_items;
    size_t bytes, peak_bytes;
    int stop;
    uint64_t queued, queue_full, malformed_audio, malformed_video, nomem;
};

/* Capture-to-render latency samples and the per-second received bitrate of
 * one stream. */
struct cr_series {
    int32_t lat[CR_LAT_RING];
    unsigned lat_n, lat_at;
    uint32_t kbps[CR_KBPS_MAX];
    unsigned kbps_n, kbps_at;
    int have_sec;
    uint64_t sec, sec_bytes;
};

struct cr_audio {
    struct jitter *jb;
    struct opc_dec *dec;
    unsigned conceal_run;
    uint64_t received, played, fec, plc, stalls, decode_errors, gaps_over_60ms, refused;
    struct cr_series ser;
};

struct cr_video {
    struct jitter *jb;
    struct vp8_decoder *dec;
    int started;  /* a frame was decoded since the sender (re)appeared */
    int need_key; /* frames were lost or refused since: only a keyframe helps */
    int have_last, wanted;
    int completed; /* a frame was reassembled since the sender (re)appeared */
    uint32_t last_frame;
    uint64_t last_want_us;
    uint64_t first_chunk_us, first_decode_us; /* how long a newcomer waits for a picture */
    uint64_t last_render_us, max_render_gap_us; /* the longest freeze once started */
    uint64_t late_since_us;   /* video has been too late for lip sync since (0: it is not) */
    uint64_t rendered_late;   /* shown out of lip sync, rather than not at all */
    struct vframe held; /* a decoded picture waiting for lip sync */
    int held_valid;
    uint64_t held_at_us;
    uint32_t held_capture_ms;
    uint64_t chunks, complete, decoded, rendered, undecodable, decode_errors, avsync_late,
        keyframes, keyframe_requests, refused, write_errors;
    struct cr_series ser;
};

/* One second of one sender, on the server's clock (Unix seconds): what
 * was played and concealed, and each video frame's latency, so that a
 * test or a person can look at one stretch of a call (a link limited for
 * 20 s) rather than at the whole. */
struct cr_tl_pt {
    int64_t t_s;
    uint32_t a_played, a_fec, a_plc, a_stalls, v_rendered;
    uint16_t v_lat_n;
    int16_t v_lat[CR_TL_LAT]; /* ms, clamped to +-32767 */
};

struct cr_slot {
    int seen; /* sent anything since the start or its last reset */
    struct cr_tl_pt tl[CR_TL_MAX]; /* a ring */
    unsigned tl_n, tl_at;
    struct cr_audio a;
    struct cr_video v;
    struct avsync *av;
};

struct call_recv {
    char *video_out, *audio_out;
    int width, height, fps;
    int speaker; /* audio_out is a speaker: "default" or "speaker:NAME" */

    struct cr_queue q;

    /* Playout state (playout thread; stats under state_mu). */
    pthread_mutex_t state_mu;
    struct cr_slot slot[BP_MAX_MEMBERS];
    struct vasm *vasm;
    struct vsink_y4m *y4m;
    struct asink_wav *wav;
    void *spk;                  /* the speaker (struct asink_sdl), when there is one */
    struct aec *aec;            /* fed what the speaker plays (not owned), or NULL */
    json_t *gone;               /* figures of senders that left (at most CR_GONE_MAX) */
    uint64_t spk_seq;           /* blocks given to it */
    int video_slot, audio_slot; /* whose stream the files get; -1: not chosen yet */
    uint8_t *scratch;           /* one frame with its prefix, before jitter_push */
    int wake_pending;           /* new keyframe wants to announce */
    char sink_err[256];         /* the first sink failure, for call_recv_stop */
    int sink_rc;
    uint64_t t0_us;

    /* Any thread: each sender's latest picture, for a window (vmailbox.h). */
    struct vmailbox boxes[BP_MAX_MEMBERS];

    /* Any thread. */
    atomic_uint wants;
    atomic_llong offset_ms;
    atomic_int offset_set;
    _Atomic uint64_t audio_ms[BP_MAX_MEMBERS];

    void (*wake)(void *ctx);
    void *wake_ctx;
    pthread_t thread;
    int running;
};

/* call_recv_audio.c */
/* The 20-ms tick of every remote slot with audio at now_us. */
void cr_audio_tick(struct call_recv *r, uint64_t now_us);
/* One audio frame (payload checked) into its slot's jitter buffer. */
void cr_audio_arrive(struct call_recv *r, const struct cr_item *it);
void cr_audio_reset(struct cr_audio *a);
/* The speaker ("default"): 0, or an error with why (see the .c). */
int cr_speaker_open(struct call_recv *r, char *why, size_t why_cap);
void cr_speaker_close(struct call_recv *r);

/* call_recv_video.c */
/* One video chunk (payload checked) into reassembly and, when it completes
 * a frame, into its slot's jitter buffer. */
void cr_video_arrive(struct call_recv *r, const struct cr_item *it);
/* Renders what is due at now_us, decodes what its jitter buffer releases;
 * *next_us gets the earliest time something is due (unchanged if none). */
void cr_video_poll(struct call_recv *r, uint64_t now_us, uint64_t *next_us);
/* Renders the pictures still held (at stop). */
void cr_video_flush(struct call_recv *r, uint64_t now_us);
void cr_video_reset(struct cr_video *v);

/* call_recv_stats.c */
uint64_t cr_now_us(void);
/* Latency of a frame captured at capture_ms played at now_us (ms), kept in
 * s's ring and returned, when the clock offset is known; else CR_NO_LATENCY. */
#define CR_NO_LATENCY INT32_MIN /* no clock offset yet: no sample */
int32_t cr_latency_sample(struct call_recv *r, struct cr_series *s, uint32_t capture_ms,
                          uint64_t now_us);
/* len payload bytes arrived at arrival_us for the stream. */
void cr_series_bytes(struct call_recv *r, struct cr_series *s, size_t len, uint64_t arrival_us);
/* The JSON object of one slot (state_mu held). */
json_t *cr_slot_json(struct call_recv *r, unsigned slot);
/* The timeline point of the current second (server clock) for slot, or
 * NULL before the clock offset is known. */
struct cr_tl_pt *cr_tl_now(struct call_recv *r, unsigned slot, uint64_t now_us);
/* The first sink failure is kept for call_recv_stop. */
void cr_sink_error(struct call_recv *r, int rc, const char *what, const char *why);

#endif
