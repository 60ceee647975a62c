/* fuzz_wav.c: libFuzzer target for the RIFF/WAVE head parser of
 * client/media (awav.h). Invariants: a refusal has a reason; an accepted
 * head is 16-bit PCM we can read (1 or 2 channels, a rate in bounds) whose
 * samples start inside what was given; the header we write parses back. */
#include <stdlib.h>
#include <string.h>

#include "awav.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct awav_info info;
    const char *why = NULL;
    if (size > AWAV_HEAD_MAX)
        size = AWAV_HEAD_MAX;
    if (awav_parse(data, size, &info, &why) != 0) {
        if (!why)
            abort();
    } else if (info.channels < 1 || info.channels > 2 || info.rate < AWAV_RATE_MIN ||
               info.rate > AWAV_RATE_MAX || info.data_off > size) {
        abort();
    }
    uint8_t head[AWAV_HEADER_LEN];
    uint32_t n = size >= 4 ? (uint32_t)data[0] << 24 | (uint32_t)data[1] << 16 | data[2] << 8 | data[3] : 0;
    n &= ~(uint32_t)1; /* whole 16-bit samples */
    awav_header_put(head, n);
    if (awav_parse(head, sizeof head, &info, &why) != 0 || info.channels != 1 || info.rate != 48000 ||
        info.data_off != AWAV_HEADER_LEN || info.data_len != n)
        abort();
    return 0;
}
