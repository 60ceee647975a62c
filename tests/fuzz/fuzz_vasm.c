/* fuzz_vasm.c: libFuzzer target for the video frame reassembly of
 * client/media (vasm.h). The input is a run of records: u8 sender, u8 flags
 * (bit 0 keyframe, bits 1-7 the time step in 10 ms), u16 length (big-endian)
 * and that many bytes of video payload (parsed by bp_vchunk_decode as the
 * receiver does). Invariants: a completed frame is no longer than its
 * chunks can hold and is handed out once per frame number run; the bytes
 * reserved never pass the bound; nothing crashes or leaks. */
#include <stdlib.h>
#include <string.h>

#include "bp/media.h"
#include "vasm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct vasm_config cfg;
    vasm_config_default(&cfg, 3);
    cfg.frames = 3;
    struct vasm *v = NULL;
    const char *why = NULL;
    if (vasm_new(&cfg, &v, &why) != 0)
        abort();
    uint64_t now = 0;
    size_t at = 0;
    while (size - at >= 4) {
        unsigned sender = data[at] % 4; /* 3 is out of range on purpose */
        int keyframe = data[at + 1] & 1;
        now += (uint64_t)(data[at + 1] >> 1) * 10000;
        size_t len = (size_t)data[at + 2] << 8 | data[at + 3];
        at += 4;
        if (len > size - at)
            len = size - at;
        struct bp_vchunk c;
        const char *cwhy = NULL;
        if (bp_vchunk_decode(data + at, len, &c, &cwhy) == 0) {
            struct vasm_meta m = {
                .media_ts = c.frame * 3000u, .capture_ms = c.frame, .keyframe = keyframe};
            struct vasm_frame out;
            int rc = vasm_push(v, sender, &c, &m, now, &out);
            if (sender >= cfg.senders ? rc >= 0 : rc < 0)
                abort();
            if (rc == VASM_COMPLETE && (out.frame != c.frame || out.len == 0 ||
                                        out.len > (size_t)c.count * BP_VCHUNK_DATA_MAX))
                abort();
            if (rc == VASM_COMPLETE && out.len)
                (void)((volatile const uint8_t *)out.data)[out.len - 1];
        } else if (!cwhy) {
            abort();
        }
        at += len;
        struct vasm_stats st;
        for (unsigned s = 0; s < cfg.senders; s++) {
            vasm_stats_get(v, s, &st);
            if (st.bytes_held > cfg.bytes_max || st.in_progress > cfg.frames)
                abort();
        }
        if (data[at - 1] == 0xee) /* now and then a rejoin */
            vasm_reset(v, sender % cfg.senders);
    }
    vasm_expire(v, now + 10000000);
    struct vasm_stats st;
    vasm_stats_get(v, 99, &st);
    if (st.in_progress != 0 || st.bytes_held != 0)
        abort();
    vasm_free(v);
    return 0;
}
