/* awav.h: the RIFF/WAVE container as we read and write it: a pure, bounded
 * parser of a file's head and the 44-byte header of the files we write.
 *
 * Layout (little-endian throughout):
 *   0  "RIFF"  4  u32 riff_size (file size - 8)  8  "WAVE"
 *   12 chunks: 4-byte id, u32 size, size bytes, one pad byte if size is odd.
 *   "fmt " (>= 16 bytes): u16 format (1 PCM, 3 float, 0xFFFE extensible:
 *          the real format is the first u16 of the sub-format GUID at
 *          offset 24), u16 channels, u32 rate, u32 byte_rate,
 *          u16 block_align, u16 bits_per_sample
 *   "data": the interleaved samples. Any other chunk (LIST, fact...) is
 *          skipped.
 *
 * Must never: read outside (buf, len), allocate, or touch a file. */
#ifndef BILAN_AWAV_H
#define BILAN_AWAV_H

#include <stddef.h>
#include <stdint.h>

#define AWAV_HEAD_MAX 65536 /* the parser looks for "data" within this much */
#define AWAV_HEADER_LEN 44  /* the header awav_header_put writes */
#define AWAV_RATE_MIN 8000
#define AWAV_RATE_MAX 192000

struct awav_info {
    unsigned channels;  /* 1 or 2 */
    unsigned rate;      /* AWAV_RATE_MIN..AWAV_RATE_MAX */
    uint64_t data_off;  /* offset of the first sample in the file */
    uint64_t data_len;  /* bytes the data chunk declares (may exceed the file) */
};

/* Parse the head of a file: buf holds its first min(file size,
 * AWAV_HEAD_MAX) bytes (so len < AWAV_HEAD_MAX means the whole file). Accepts 16-bit PCM, mono or stereo, at 8..192 kHz.
 * Returns 0 and *info, or BP_E_INVALID_FIELD with a static *why saying what
 * is wrong (8-bit, float, truncated header, no data chunk...). */
int awav_parse(const uint8_t *buf, size_t len, struct awav_info *info, const char **why);

/* Write the 44-byte header of a 48 kHz mono 16-bit PCM file holding
 * data_len bytes of samples into out. */
void awav_header_put(uint8_t out[AWAV_HEADER_LEN], uint32_t data_len);

#endif
