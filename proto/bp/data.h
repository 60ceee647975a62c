/* data.h: the data messages bilan clients carry in the payload of kind-3
 * binary frames (PROTOCOL.md §4.1): chat lines and file transfers.
 *
 * Owns the byte layout of those payloads (all integers big-endian):
 *   0x01 chat        text (UTF-8, 1..4096 bytes)
 *   0x02 file_begin  u32 transfer, u64 size, u8[32] sha256, u16 name_len, name
 *   0x03 file_chunk  u32 transfer, u64 offset, content (1..262144 bytes)
 *   0x04 file_end    u32 transfer
 *   0x05 file_answer u8 slot (the sender's), u32 transfer, u8 answer
 *
 * Pure and bounded like the rest of proto/: (pointer, length) in, views into
 * the caller's buffer out; no allocation, no I/O, no clock. What a receiver
 * does with a valid message (size caps, where files go) is its policy, not
 * this parser's. */
#ifndef BP_DATA_H
#define BP_DATA_H

#include <stddef.h>
#include <stdint.h>

enum bp_data_type {
    BP_DATA_CHAT = 0x01,
    BP_DATA_FILE_BEGIN = 0x02,
    BP_DATA_FILE_CHUNK = 0x03,
    BP_DATA_FILE_END = 0x04,
    BP_DATA_FILE_ANSWER = 0x05,
};

/* What a receiver did with a file (file_answer, PROTOCOL.md §4.1): the
 * sender tells its person. Codes, never free text: the sender words them. */
enum bp_file_answer {
    BP_FILE_RECEIVED = 1,    /* stored, size and SHA-256 checked */
    BP_FILE_DECLINED = 2,    /* the person said no, or this device takes no files */
    BP_FILE_TOO_LARGE = 3,   /* over what the receiver accepts */
    BP_FILE_DAMAGED = 4,     /* size or SHA-256 did not match, or chunks out of order */
    BP_FILE_NOT_STORED = 5,  /* the receiver could not write it (disk, folder) */
    BP_FILE_INTERRUPTED = 6, /* the transfer stopped before its end */
    BP_FILE_BUSY = 7,        /* too many transfers at once */
    BP_FILE_ANSWER_MAX = 7,
};

#define BP_CHAT_MAX 4096          /* bytes of UTF-8 in one chat message */
#define BP_FILE_NAME_MAX 255      /* bytes of UTF-8 in a file name */
#define BP_CHUNK_MAX (256 * 1024) /* content bytes in one file_chunk */
#define BP_DATA_BEGIN_FIXED 47    /* type + id + size + sha256 + name_len */
#define BP_DATA_CHUNK_HDR 13      /* type + id + offset, content follows */
#define BP_DATA_END_LEN 5
#define BP_DATA_ANSWER_LEN 7
/* Largest data message: a full chunk. Fits a binary frame with its header. */
#define BP_DATA_MAX (BP_DATA_CHUNK_HDR + BP_CHUNK_MAX)

/* A parsed data message. bytes/len view the caller's buffer (valid while it
 * lives): the chat text, the file name, or the chunk content. */
struct bp_data {
    enum bp_data_type type;
    uint32_t transfer;  /* file_* */
    uint64_t size;      /* file_begin */
    uint64_t offset;    /* file_chunk */
    uint8_t sha256[32]; /* file_begin */
    uint8_t to_slot;    /* file_answer: the slot of the file's sender */
    uint8_t answer;     /* file_answer: enum bp_file_answer */
    const uint8_t *bytes;
    size_t len;
};

/* Parses one payload of len bytes (the frame minus its 16-byte header).
 * Returns 0, or BP_E_BAD_FRAME with *why (static) saying what is wrong:
 * unknown type, wrong length, text or name not UTF-8, forbidden name. */
int bp_data_parse(const uint8_t *buf, size_t len, struct bp_data *d, const char **why);

/* Encoders write into out (cap bytes) and return the length written, or
 * BP_E_TOO_LARGE when cap is short, or BP_E_INVALID_FIELD when the input
 * breaks the rules the parser enforces (so we never send what a peer must
 * reject). */
int bp_data_encode_chat(const char *text, size_t n, uint8_t *out, size_t cap);
int bp_data_encode_file_begin(uint32_t transfer, uint64_t size, const uint8_t sha256[32],
                              const char *name, size_t name_len, uint8_t *out, size_t cap);
/* Writes the 13-byte chunk prefix only: the caller puts 1..BP_CHUNK_MAX content
 * bytes right after it (read straight from the file, no copy). */
int bp_data_encode_chunk_hdr(uint32_t transfer, uint64_t offset, uint8_t *out, size_t cap);
int bp_data_encode_file_end(uint32_t transfer, uint8_t *out, size_t cap);
int bp_data_encode_file_answer(uint8_t to_slot, uint32_t transfer, uint8_t answer, uint8_t *out,
                               size_t cap);

/* 1 if s[0..n) is well-formed UTF-8 (no overlongs, surrogates, or code
 * points past U+10FFFF), else 0. */
int bp_utf8_valid(const uint8_t *s, size_t n);
/* 0 if name is a legal file name on the wire: 1..255 bytes of UTF-8 without
 * '/', '\\' or NUL, and not "." or "..". Else BP_E_INVALID_FIELD and *why. */
int bp_data_name_check(const uint8_t *name, size_t n, const char **why);

#endif
