/* vasm.h: video frame reassembly on the receive side (issue 9, item 4): the
 * chunks of a VP8 frame (proto/bp/media.h) back into the frame, for a few
 * senders at once. Pure logic: times are passed in (local µs, monotonic);
 * no clock, no I/O, no thread, no codec.
 *
 * Per sender, at most cfg.frames frames are in progress and at most
 * cfg.bytes_max bytes are reserved for them (a frame of count chunks
 * reserves count * BP_VCHUNK_DATA_MAX bytes when its first chunk arrives,
 * so a lying count cannot grow a frame later). A frame is given up when a
 * newer frame of the same sender completes (over one ordered connection its
 * missing chunks are not coming), when it is older than cfg.timeout_us, or
 * when room is needed for a newer one (the oldest goes first). Frame
 * numbers wrap (u32, compared by serial arithmetic); a chunk of a frame
 * already completed or given up is refused as late, so a frame is handed
 * out at most once.
 *
 * Owns: the buffers of the frames in progress (allocated at a frame's first
 * chunk, freed when it completes or is given up) and the one completed
 * frame handed out last per sender.
 * Must never: trust a count, an index or a length it has not checked, keep
 * a pointer to a caller's buffer, or hold more than cfg.bytes_max bytes per
 * sender (plus the frame handed out last). */
#ifndef CLIENT_MEDIA_VASM_H
#define CLIENT_MEDIA_VASM_H

#include <stddef.h>
#include <stdint.h>

#include "bp/media.h"

struct vasm;

struct vasm_config {
    unsigned senders;    /* senders (slots) 0 .. senders-1, 1..64 */
    unsigned frames;     /* frames in progress per sender, 1..16 (default 4) */
    size_t bytes_max;    /* bytes reserved per sender, at least one largest
                            frame (default 4 MiB) */
    uint32_t timeout_us; /* a frame unfinished for this long is given up (default 1 s) */
};

/* Defaults for senders senders. */
void vasm_config_default(struct vasm_config *cfg, unsigned senders);
/* 0 with *out, BP_E_INVALID_FIELD (*why names the setting) or BP_E_NOMEM. */
int vasm_new(const struct vasm_config *cfg, struct vasm **out, const char **why);
void vasm_free(struct vasm *v); /* NULL is fine */

/* What one chunk carries besides its bytes (from the frame header). */
struct vasm_meta {
    uint32_t media_ts;
    uint32_t capture_ms;
    int keyframe;
};

enum vasm_result {
    VASM_STORED = 0,    /* kept; its frame is not complete yet */
    VASM_COMPLETE = 1,  /* this chunk completed its frame: *out is filled */
    VASM_DUPLICATE = 2, /* this index of this frame was already here */
    VASM_LATE = 3,      /* its frame was completed or given up already */
    VASM_MISMATCH = 4,  /* picture, count, media_ts or keyframe flag differ from
                           the frame's first chunk: refused */
    VASM_TOO_LARGE = 5, /* the frame would not fit cfg.bytes_max even alone */
};

/* A completed frame. data belongs to vasm: valid until the next vasm_push,
 * vasm_expire or vasm_reset on that sender, or vasm_free. */
struct vasm_frame {
    uint32_t frame, picture;
    uint32_t media_ts, capture_ms;
    int keyframe;
    const uint8_t *data;
    size_t len;
};

/* Adds chunk c (parsed by bp_vchunk_decode) of sender at now_us. Returns
 * a vasm_result, or BP_E_INVALID_FIELD for a sender out of range or a chunk
 * that breaks media.h's bounds, BP_E_NOMEM. */
int vasm_push(struct vasm *v, unsigned sender, const struct bp_vchunk *c, const struct vasm_meta *m,
              uint64_t now_us, struct vasm_frame *out);
/* Gives up the frames of every sender older than the timeout at now_us.
 * Returns how many were given up. */
unsigned vasm_expire(struct vasm *v, uint64_t now_us);
/* Forgets sender: frames in progress are dropped (not counted as given
 * up), and the next frame number starts afresh (a rejoin restarts at 0). */
void vasm_reset(struct vasm *v, unsigned sender);

struct vasm_stats {
    uint64_t chunks;   /* chunks kept (STORED or COMPLETE) */
    uint64_t complete; /* frames handed out */
    uint64_t given_up; /* frames dropped unfinished (newer complete, timeout, room) */
    uint64_t duplicate, late, mismatch, too_large;
    size_t bytes_held; /* reserved now by frames in progress */
    size_t bytes_peak; /* the most ever reserved at once for one sender */
    unsigned in_progress;
};

/* Counters of one sender, or of all of them when sender >= cfg.senders. */
void vasm_stats_get(const struct vasm *v, unsigned sender, struct vasm_stats *st);

#endif
