/* media.c: the layout of audio and video payloads (see bp/media.h). */
#include "bp/media.h"

#include "bp/err.h"

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

void bp_vchunk_encode_hdr(const struct bp_vchunk *c, uint8_t out[BP_VCHUNK_HDR])
{
    put32(out, c->frame);
    put32(out + 4, c->picture);
    out[8] = (uint8_t)(c->index >> 8), out[9] = (uint8_t)c->index;
    out[10] = (uint8_t)(c->count >> 8), out[11] = (uint8_t)c->count;
}

int bp_vchunk_decode(const uint8_t *payload, size_t len, struct bp_vchunk *c, const char **why)
{
    const char *w = NULL;
    if (len < BP_VCHUNK_HDR)
        w = "video payload shorter than its 12-byte chunk header";
    else if (len == BP_VCHUNK_HDR)
        w = "video chunk without data";
    else if (len - BP_VCHUNK_HDR > BP_VCHUNK_DATA_MAX)
        w = "video chunk data over 1200 bytes";
    if (!w) {
        c->frame = get32(payload);
        c->picture = get32(payload + 4);
        c->index = (uint16_t)(payload[8] << 8 | payload[9]);
        c->count = (uint16_t)(payload[10] << 8 | payload[11]);
        c->data = payload + BP_VCHUNK_HDR;
        c->len = len - BP_VCHUNK_HDR;
        if (c->count == 0 || c->count > BP_VCHUNK_COUNT_MAX)
            w = "video chunk count out of 1..1024";
        else if (c->index >= c->count)
            w = "video chunk index not below its count";
    }
    if (w) {
        if (why)
            *why = w;
        return BP_E_BAD_FRAME;
    }
    return 0;
}

unsigned bp_vchunk_count(size_t len)
{
    if (len == 0 || len > (size_t)BP_VCHUNK_DATA_MAX * BP_VCHUNK_COUNT_MAX)
        return 0;
    return (unsigned)((len + BP_VCHUNK_DATA_MAX - 1) / BP_VCHUNK_DATA_MAX);
}

int bp_audio_check(size_t len, const char **why)
{
    const char *w = len == 0                       ? "audio payload empty"
                    : len > BP_AUDIO_PACKET_MAX ? "audio payload over 1275 bytes (one Opus packet)"
                                                   : NULL;
    if (w) {
        if (why)
            *why = w;
        return BP_E_BAD_FRAME;
    }
    return 0;
}
