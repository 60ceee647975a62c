/* fuzz_frame.c: libFuzzer target for the binary header decoder. Invariant:
 * any input either decodes to a header whose fields re-encode to the same 16
 * bytes, or is refused with a code; never a crash or an out-of-bounds read. */
#include <stdlib.h>
#include <string.h>

#include "bp/bp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct bp_hdr h;
    const char *why = NULL;
    int rc = bp_hdr_decode(data, size, &h, &why);
    if (rc == 0) {
        uint8_t again[BP_HDR_LEN];
        bp_hdr_encode(&h, again);
        if (memcmp(again, data, BP_HDR_LEN) != 0)
            abort();
    } else if (!why) {
        abort();
    }
    return 0;
}
