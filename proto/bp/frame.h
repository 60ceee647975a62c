/* frame.h: the 16-byte header of a binary frame (PROTOCOL.md §4), encoded
 * and decoded by frame.c; the kinds a header may carry are bp/kinds.h.
 *
 * Must never: read a payload: the header is all the server looks at. */
#ifndef BP_FRAME_H
#define BP_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "bp/kinds.h"
#include "bp/limits.h"

/* Kinds: bp/kinds.h. */
#define BP_FLAG_KEYFRAME 0x01
#define BP_FLAGS_KNOWN BP_FLAG_KEYFRAME

struct bp_hdr {
    uint8_t version;
    uint8_t kind;
    uint8_t flags;
    uint8_t slot;
    uint32_t seq;
    uint32_t media_ts;
    uint32_t capture_ms;
};

/* Encodes h into out[0..15]. */
void bp_hdr_encode(const struct bp_hdr *h, uint8_t out[BP_HDR_LEN]);
/* Decodes and validates a whole binary message (header + payload, len bytes).
 * Returns 0 or BP_E_BAD_FRAME / BP_E_TOO_LARGE / BP_E_VERSION; *why gets a
 * static reason. Reads nothing past len. */
int bp_hdr_decode(const uint8_t *buf, size_t len, struct bp_hdr *h, const char **why);
/* Overwrites the sender slot in an encoded header in place. */
static inline void bp_hdr_set_slot(uint8_t *buf, uint8_t slot) { buf[3] = slot; }

#endif
