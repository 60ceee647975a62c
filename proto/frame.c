/* frame.c: the 16-byte binary frame header (PROTOCOL.md §4), network byte
 * order; kinds and their flags are checked against bp/kinds.h. Pure and bounded: reads at most BP_HDR_LEN bytes of the buffer and
 * never the payload. */
#include "bp/err.h"
#include "bp/frame.h"

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

void bp_hdr_encode(const struct bp_hdr *h, uint8_t out[BP_HDR_LEN])
{
    out[0] = h->version;
    out[1] = h->kind;
    out[2] = h->flags;
    out[3] = h->slot;
    put32(out + 4, h->seq);
    put32(out + 8, h->media_ts);
    put32(out + 12, h->capture_ms);
}

int bp_hdr_decode(const uint8_t *buf, size_t len, struct bp_hdr *h, const char **why)
{
    const char *dummy;
    if (!why)
        why = &dummy;
    if (len > BP_MAX_FRAME) {
        *why = "binary frame larger than 1 MiB";
        return BP_E_TOO_LARGE;
    }
    if (len < BP_HDR_LEN) {
        *why = "binary frame shorter than its 16-byte header";
        return BP_E_BAD_FRAME;
    }
    if (buf[0] != 1) {
        *why = "binary frame header version is not 1";
        return BP_E_BAD_FRAME;
    }
    const struct bp_kind_info *k = bp_kind_info(buf[1]);
    if (!k) {
        *why = "binary frame kind is not in the table of kinds (1 audio, 2 video, 3 data)";
        return BP_E_BAD_FRAME;
    }
    if (buf[2] & ~BP_FLAGS_KNOWN) {
        *why = "binary frame sets reserved flag bits";
        return BP_E_BAD_FRAME;
    }
    if ((buf[2] & BP_FLAG_KEYFRAME) && !k->keyframes) {
        *why = "keyframe flag set on a kind that has no keyframes";
        return BP_E_BAD_FRAME;
    }
    h->version = buf[0];
    h->kind = buf[1];
    h->flags = buf[2];
    h->slot = buf[3];
    h->seq = get32(buf + 4);
    h->media_ts = get32(buf + 8);
    h->capture_ms = get32(buf + 12);
    *why = NULL;
    return 0;
}
