/* awav.c: parse and write RIFF/WAVE headers (layout in awav.h). Pure: bytes
 * in, a struct out; every read is bounds-checked against len first. */
#include "awav.h"

#include <string.h>

#include "aframe.h"
#include "bp/err.h"

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static unsigned rd16(const uint8_t *p)
{
    return (unsigned)p[0] | (unsigned)p[1] << 8;
}

static void wr32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static void wr16(uint8_t *p, unsigned v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static int bad(const char **why, const char *msg)
{
    if (why)
        *why = msg;
    return BP_E_INVALID_FIELD;
}

/* Checks the fmt chunk's body (p, n). */
static int parse_fmt(const uint8_t *p, uint32_t n, struct awav_info *info, const char **why)
{
    if (n < 16)
        return bad(why, "fmt chunk shorter than 16 bytes");
    unsigned format = rd16(p), channels = rd16(p + 2), align = rd16(p + 12),
             bits = rd16(p + 14);
    uint32_t rate = rd32(p + 4);
    if (format == 0xFFFE) { /* WAVE_FORMAT_EXTENSIBLE: the sub-format says */
        if (n < 40)
            return bad(why, "extensible fmt chunk shorter than 40 bytes");
        format = rd16(p + 24);
    }
    if (format == 3)
        return bad(why, "samples are floating point; only 16-bit integer PCM is read");
    if (format != 1)
        return bad(why, "sample format is not PCM (compressed audio is not read)");
    if (bits == 8)
        return bad(why, "samples are 8-bit; only 16-bit PCM is read");
    if (bits != 16)
        return bad(why, "samples are not 16-bit; only 16-bit PCM is read");
    if (channels != 1 && channels != 2)
        return bad(why, "only mono or stereo files are read");
    if (align != channels * 2)
        return bad(why, "fmt block_align does not match channels * 2 bytes");
    if (rate < AWAV_RATE_MIN || rate > AWAV_RATE_MAX)
        return bad(why, "sample rate outside 8000..192000 Hz");
    info->channels = channels;
    info->rate = rate;
    return 0;
}

int awav_parse(const uint8_t *buf, size_t len, struct awav_info *info, const char **why)
{
    memset(info, 0, sizeof *info);
    if (len < 12)
        return bad(why, "truncated header (shorter than the 12-byte RIFF header)");
    if (memcmp(buf, "RIFF", 4) != 0 || memcmp(buf + 8, "WAVE", 4) != 0)
        return bad(why, "not a RIFF/WAVE file");
    if (len > AWAV_HEAD_MAX)
        len = AWAV_HEAD_MAX;
    size_t off = 12;
    int have_fmt = 0;
    while (off < len) {
        if (len - off < 8)
            return bad(why, "truncated header (a chunk header is cut)");
        const uint8_t *id = buf + off;
        uint32_t n = rd32(buf + off + 4);
        off += 8;
        if (memcmp(id, "fmt ", 4) == 0) {
            if (have_fmt)
                return bad(why, "two fmt chunks");
            if (n > len - off)
                return bad(why, "truncated header (the fmt chunk is cut)");
            int r = parse_fmt(buf + off, n, info, why);
            if (r)
                return r;
            have_fmt = 1;
        } else if (memcmp(id, "data", 4) == 0) {
            if (!have_fmt)
                return bad(why, "data chunk before the fmt chunk");
            info->data_off = off;
            info->data_len = n;
            return 0;
        }
        /* skip the body and its pad byte, without overflowing size_t */
        uint64_t next = (uint64_t)off + n + (n & 1);
        if (next > len) {
            if (len < AWAV_HEAD_MAX) /* we hold the whole file: it is cut */
                return bad(why, "truncated header (a chunk runs past the end of the file)");
            return bad(why, "no data chunk within the first 64 KiB");
        }
        off = (size_t)next;
    }
    if (!have_fmt)
        return bad(why, "no fmt chunk");
    return bad(why, "no data chunk");
}

void awav_header_put(uint8_t out[AWAV_HEADER_LEN], uint32_t data_len)
{
    memcpy(out, "RIFF", 4);
    wr32(out + 4, 36 + data_len);
    memcpy(out + 8, "WAVEfmt ", 8);
    wr32(out + 16, 16);
    wr16(out + 20, 1); /* PCM */
    wr16(out + 22, 1); /* mono */
    wr32(out + 24, AFRAME_RATE);
    wr32(out + 28, AFRAME_RATE * 2);
    wr16(out + 32, 2);
    wr16(out + 34, 16);
    memcpy(out + 36, "data", 4);
    wr32(out + 40, data_len);
}
