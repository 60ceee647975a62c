/* media.h: what bilan clients put in the payload of audio (kind 1) and
 * video (kind 2) frames, once opened (PROTOCOL.md §4.2). The server never
 * sees it: it is end-to-end protected like every payload.
 *
 * Owns the byte layout (integers big-endian):
 *   audio  one Opus packet holding exactly 20 ms (1..1275 bytes); the
 *          header's seq counts 20-ms blocks, its media_ts is the first
 *          sample's index at 48 kHz.
 *   video  one chunk of one VP8 frame:
 *            0 u32 frame    encoded frames of this sender, consecutive from
 *                           0 at each join: a gap is a lost frame
 *            4 u32 picture  the source's picture number (frames skipped at
 *                           the source leave gaps here, not in `frame`)
 *            8 u16 index    this chunk's place, 0 .. count-1
 *           10 u16 count    chunks of the frame, 1 .. BP_VCHUNK_COUNT_MAX
 *           12 ...          VP8 bytes, 1 .. BP_VCHUNK_DATA_MAX
 *          Every chunk of a frame carries the same frame, picture and count,
 *          the same media_ts (90 kHz) and capture time, and the keyframe
 *          flag when the frame is a keyframe.
 *
 * Why chunks: over one TCP connection a sender's writer takes audio first,
 * but only between messages. A 60 KB keyframe in one message would hold the
 * voice back for a second on a 500 kbit/s link; cut in chunks of at most
 * BP_VCHUNK_DATA_MAX bytes, audio waits at most one chunk (20 ms at
 * 500 kbit/s).
 *
 * Pure and bounded like the rest of proto/: no allocation, no I/O. */
#ifndef BP_MEDIA_H
#define BP_MEDIA_H

#include <stddef.h>
#include <stdint.h>

#define BP_AUDIO_HZ 48000           /* media_ts clock of audio */
#define BP_AUDIO_BLOCK 960          /* samples per 20-ms block */
#define BP_AUDIO_PACKET_MAX 1275    /* largest Opus packet (RFC 6716 §3.4) */
#define BP_VIDEO_HZ 90000           /* media_ts clock of video */
#define BP_VCHUNK_HDR 12            /* frame + picture + index + count */
#define BP_VCHUNK_DATA_MAX 1200     /* VP8 bytes in one chunk, at most */
#define BP_VCHUNK_COUNT_MAX 1024    /* chunks of one frame: frames up to 1.2 MB */

struct bp_vchunk {
    uint32_t frame;
    uint32_t picture;
    uint16_t index;
    uint16_t count;
    const uint8_t *data; /* views the caller's buffer */
    size_t len;
};

/* Writes the 12-byte chunk header of c (not its data) into out. */
void bp_vchunk_encode_hdr(const struct bp_vchunk *c, uint8_t out[BP_VCHUNK_HDR]);
/* Parses one video payload of len bytes. Returns 0, or BP_E_BAD_FRAME with
 * *why (static): shorter than a header, no data, data over the maximum,
 * count 0 or over the maximum, index not below count. */
int bp_vchunk_decode(const uint8_t *payload, size_t len, struct bp_vchunk *c, const char **why);
/* Chunks needed for a frame of len VP8 bytes (0 for 0 or a frame too large). */
unsigned bp_vchunk_count(size_t len);

/* An audio payload: 0, or BP_E_BAD_FRAME with *why (empty, over the Opus
 * maximum). Whether it holds 20 ms is the decoder's to say. */
int bp_audio_check(size_t len, const char **why);

#endif
