/* fuzz_link.c: libFuzzer target for link parsing. Invariant: a parsed link
 * formats and parses back to the same fields. */
#include <stdlib.h>
#include <string.h>

#include "bp/bp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char s[2048];
    if (size >= sizeof s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    struct bp_link l, m;
    const char *why = NULL;
    if (bp_link_parse(s, &l, &why) != 0) {
        if (!why)
            abort();
        return 0;
    }
    char out[1024];
    if (bp_link_format(&l, out, sizeof out) < 0 || bp_link_parse(out, &m, &why) != 0)
        abort();
    if (m.kind != l.kind || memcmp(m.token, l.token, sizeof l.token) ||
        (l.kind != BP_LINK_TOKEN &&
         (strcmp(m.host, l.host) || m.port != l.port || m.has_pin != l.has_pin ||
          m.has_secret != l.has_secret || memcmp(m.pin, l.pin, sizeof l.pin) ||
          memcmp(m.secret, l.secret, sizeof l.secret))))
        abort();
    return 0;
}
