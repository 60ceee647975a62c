/* fuzz_data.c: libFuzzer target for the data messages peers send inside
 * data frames (bp_data_parse, PROTOCOL.md §4.1): chat, files and file
 * answers. Invariants: a refusal always says why; a parsed message encodes
 * back to the same bytes (chat, file_begin, file_end, file_answer) and its
 * views stay inside the input. */
#include <stdlib.h>
#include <string.h>

#include "bp/bp.h"
#include "bp/data.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct bp_data d;
    const char *why = NULL;
    if (bp_data_parse(data, size, &d, &why)) {
        if (!why)
            abort();
        return 0;
    }
    if (d.bytes && (d.bytes < data || d.bytes + d.len > data + size))
        abort();
    static uint8_t out[BP_DATA_MAX];
    int n = -1;
    switch (d.type) {
    case BP_DATA_CHAT:
        n = bp_data_encode_chat((const char *)d.bytes, d.len, out, sizeof out);
        break;
    case BP_DATA_FILE_BEGIN:
        n = bp_data_encode_file_begin(d.transfer, d.size, d.sha256, (const char *)d.bytes, d.len,
                                      out, sizeof out);
        break;
    case BP_DATA_FILE_END:
        n = bp_data_encode_file_end(d.transfer, out, sizeof out);
        break;
    case BP_DATA_FILE_ANSWER:
        n = bp_data_encode_file_answer(d.to_slot, d.transfer, d.answer, out, sizeof out);
        break;
    case BP_DATA_FILE_CHUNK:
        n = bp_data_encode_chunk_hdr(d.transfer, d.offset, out, sizeof out);
        if (n != BP_DATA_CHUNK_HDR || memcmp(out, data, (size_t)n))
            abort();
        return 0;
    }
    if (n < 0 || (size_t)n != size || memcmp(out, data, size))
        abort();
    return 0;
}
