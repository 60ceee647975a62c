/* data.c: data messages inside kind-3 binary frames (PROTOCOL.md §4.1).
 * Layout in data.h. The parser reads nothing past len, copies nothing, and
 * rejects every message a well-behaved client cannot produce, so that the
 * receiver's file code only ever sees bounded, well-formed input. */
#include <string.h>

#include "bp/data.h"
#include "bp/err.h"
#include "bp/limits.h"

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static void put64(uint8_t *p, uint64_t v)
{
    put32(p, (uint32_t)(v >> 32));
    put32(p + 4, (uint32_t)v);
}

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t get64(const uint8_t *p)
{
    return (uint64_t)get32(p) << 32 | get32(p + 4);
}

int bp_utf8_valid(const uint8_t *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t need;
        uint32_t cp, min;
        if (c >= 0xc2 && c <= 0xdf) {
            need = 1, cp = c & 0x1f, min = 0x80;
        } else if (c >= 0xe0 && c <= 0xef) {
            need = 2, cp = c & 0x0f, min = 0x800;
        } else if (c >= 0xf0 && c <= 0xf4) {
            need = 3, cp = c & 0x07, min = 0x10000;
        } else {
            return 0; /* continuation byte first, C0/C1 overlong lead, or > U+10FFFF */
        }
        if (n - i <= need)
            return 0;
        for (size_t k = 1; k <= need; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return 0;
            cp = cp << 6 | (s[i + k] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
        i += need + 1;
    }
    return 1;
}

int bp_data_name_check(const uint8_t *name, size_t n, const char **why)
{
    const char *dummy;
    if (!why)
        why = &dummy;
    if (n < 1 || n > BP_FILE_NAME_MAX) {
        *why = "file name must be 1 to 255 bytes";
        return BP_E_INVALID_FIELD;
    }
    if (memchr(name, '/', n) || memchr(name, '\\', n) || memchr(name, '\0', n)) {
        *why = "file name contains '/', '\\' or NUL";
        return BP_E_INVALID_FIELD;
    }
    if ((n == 1 && name[0] == '.') || (n == 2 && name[0] == '.' && name[1] == '.')) {
        *why = "file name is '.' or '..'";
        return BP_E_INVALID_FIELD;
    }
    if (!bp_utf8_valid(name, n)) {
        *why = "file name is not UTF-8";
        return BP_E_INVALID_FIELD;
    }
    return 0;
}

static int bad(const char **why, const char *reason)
{
    *why = reason;
    return BP_E_BAD_FRAME;
}

int bp_data_parse(const uint8_t *buf, size_t len, struct bp_data *d, const char **why)
{
    const char *dummy;
    if (!why)
        why = &dummy;
    memset(d, 0, sizeof *d);
    if (len < 1)
        return bad(why, "empty data message");
    d->type = (enum bp_data_type)buf[0];
    switch (buf[0]) {
    case BP_DATA_CHAT:
        if (len < 2 || len - 1 > BP_CHAT_MAX)
            return bad(why, "chat text must be 1 to 4096 bytes");
        if (!bp_utf8_valid(buf + 1, len - 1))
            return bad(why, "chat text is not UTF-8");
        d->bytes = buf + 1;
        d->len = len - 1;
        break;
    case BP_DATA_FILE_BEGIN: {
        if (len < BP_DATA_BEGIN_FIXED)
            return bad(why, "file_begin is shorter than its fixed fields");
        d->transfer = get32(buf + 1);
        d->size = get64(buf + 5);
        memcpy(d->sha256, buf + 13, 32);
        size_t nl = get16(buf + 45);
        if (len - BP_DATA_BEGIN_FIXED != nl)
            return bad(why, "file_begin name length does not match the message length");
        const char *nwhy;
        if (bp_data_name_check(buf + BP_DATA_BEGIN_FIXED, nl, &nwhy))
            return bad(why, nwhy);
        d->bytes = buf + BP_DATA_BEGIN_FIXED;
        d->len = nl;
        break;
    }
    case BP_DATA_FILE_CHUNK:
        if (len < BP_DATA_CHUNK_HDR + 1 || len - BP_DATA_CHUNK_HDR > BP_CHUNK_MAX)
            return bad(why, "file_chunk content must be 1 to 262144 bytes");
        d->transfer = get32(buf + 1);
        d->offset = get64(buf + 5);
        d->bytes = buf + BP_DATA_CHUNK_HDR;
        d->len = len - BP_DATA_CHUNK_HDR;
        if (d->offset > UINT64_MAX - d->len)
            return bad(why, "file_chunk offset overflows");
        break;
    case BP_DATA_FILE_END:
        if (len != BP_DATA_END_LEN)
            return bad(why, "file_end must be exactly 5 bytes");
        d->transfer = get32(buf + 1);
        break;
    case BP_DATA_FILE_ANSWER:
        if (len != BP_DATA_ANSWER_LEN)
            return bad(why, "file_answer must be exactly 7 bytes");
        d->to_slot = buf[1];
        d->transfer = get32(buf + 2);
        d->answer = buf[6];
        if (d->to_slot >= BP_MAX_MEMBERS)
            return bad(why, "file_answer slot must be 0 to 3");
        if (d->answer < 1 || d->answer > BP_FILE_ANSWER_MAX)
            return bad(why, "file_answer answer must be 1 to 7");
        break;
    default:
        return bad(why, "unknown data message type");
    }
    *why = NULL;
    return 0;
}

int bp_data_encode_chat(const char *text, size_t n, uint8_t *out, size_t cap)
{
    if (n < 1 || n > BP_CHAT_MAX || !bp_utf8_valid((const uint8_t *)text, n))
        return BP_E_INVALID_FIELD;
    if (cap < n + 1)
        return BP_E_TOO_LARGE;
    out[0] = BP_DATA_CHAT;
    memcpy(out + 1, text, n);
    return (int)(n + 1);
}

int bp_data_encode_file_begin(uint32_t transfer, uint64_t size, const uint8_t sha256[32],
                              const char *name, size_t name_len, uint8_t *out, size_t cap)
{
    if (bp_data_name_check((const uint8_t *)name, name_len, NULL))
        return BP_E_INVALID_FIELD;
    if (cap < BP_DATA_BEGIN_FIXED + name_len)
        return BP_E_TOO_LARGE;
    out[0] = BP_DATA_FILE_BEGIN;
    put32(out + 1, transfer);
    put64(out + 5, size);
    memcpy(out + 13, sha256, 32);
    put16(out + 45, (uint16_t)name_len);
    memcpy(out + BP_DATA_BEGIN_FIXED, name, name_len);
    return (int)(BP_DATA_BEGIN_FIXED + name_len);
}

int bp_data_encode_chunk_hdr(uint32_t transfer, uint64_t offset, uint8_t *out, size_t cap)
{
    if (cap < BP_DATA_CHUNK_HDR)
        return BP_E_TOO_LARGE;
    out[0] = BP_DATA_FILE_CHUNK;
    put32(out + 1, transfer);
    put64(out + 5, offset);
    return BP_DATA_CHUNK_HDR;
}

int bp_data_encode_file_end(uint32_t transfer, uint8_t *out, size_t cap)
{
    if (cap < BP_DATA_END_LEN)
        return BP_E_TOO_LARGE;
    out[0] = BP_DATA_FILE_END;
    put32(out + 1, transfer);
    return BP_DATA_END_LEN;
}

int bp_data_encode_file_answer(uint8_t to_slot, uint32_t transfer, uint8_t answer, uint8_t *out,
                               size_t cap)
{
    if (to_slot >= BP_MAX_MEMBERS || answer < 1 || answer > BP_FILE_ANSWER_MAX)
        return BP_E_INVALID_FIELD;
    if (cap < BP_DATA_ANSWER_LEN)
        return BP_E_TOO_LARGE;
    out[0] = BP_DATA_FILE_ANSWER;
    out[1] = to_slot;
    put32(out + 2, transfer);
    out[6] = answer;
    return BP_DATA_ANSWER_LEN;
}
