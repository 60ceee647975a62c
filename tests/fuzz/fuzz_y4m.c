/* fuzz_y4m.c: libFuzzer target for the .y4m header parsers of client/media
 * (vy4m.h). Invariants: a parsed stream header has sizes within the limits,
 * a header length inside the input and the I420 frame length of its size,
 * and the header we would write for it parses back to the same fields; a
 * frame header's length is inside the input. */
#include <stdlib.h>
#include <string.h>

#include "vframe.h"
#include "vy4m.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *buf = (const char *)data, *why = NULL;
    struct vy4m_header h, back;
    if (vy4m_header_parse(buf, size, &h, &why) != 0) {
        if (!why)
            abort();
    } else {
        size_t cw = (size_t)(h.width + 1) / 2, ch = (size_t)(h.height + 1) / 2;
        if (h.width < 1 || h.height < 1 || h.width > VFRAME_MAX_SIDE || h.height > VFRAME_MAX_SIDE ||
            (long)h.width * h.height > VFRAME_MAX_PIXELS || h.fps_num <= 0 || h.fps_den <= 0 ||
            h.header_len == 0 || h.header_len > size ||
            h.frame_len != (size_t)h.width * (size_t)h.height + 2 * cw * ch)
            abort();
        char out[VY4M_HEADER_MAX];
        int n = vy4m_header_write(out, sizeof out, h.width, h.height, h.fps_num, h.fps_den);
        if (n <= 0 || vy4m_header_parse(out, (size_t)n, &back, &why) != 0 || back.width != h.width ||
            back.height != h.height || back.fps_num != h.fps_num || back.fps_den != h.fps_den ||
            back.frame_len != h.frame_len)
            abort();
    }
    size_t fl = 0;
    why = NULL;
    if (vy4m_frame_header_len(buf, size, &fl, &why) == 0) {
        if (fl == 0 || fl > size)
            abort();
    } else if (!why) {
        abort();
    }
    return 0;
}
