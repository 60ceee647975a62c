/* fuzz_msg.c: libFuzzer target for control-message parsing and validation in
 * both directions. Invariant: success gives a validated object, failure gives
 * a known code and a NUL-terminated detail; no leak, no crash. */
#include <stdlib.h>
#include <string.h>

#include "bp/bp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    for (int dir = BP_TO_SERVER; dir <= BP_TO_CLIENT; dir++) {
        json_t *root = NULL;
        enum bp_type t = BP_T_NONE;
        struct bp_verr e;
        char ref[BP_REF_MAX + 1];
        memset(&e, 0, sizeof e);
        int rc = bp_msg_parse((const char *)data, size, (enum bp_dir)dir, &t, &root, &e, ref);
        if (rc == 0) {
            if (!root || t == BP_T_NONE || bp_msg_validate(root, (enum bp_dir)dir, NULL, NULL) != 0)
                abort();
            json_decref(root);
        } else {
            if (root || strlen(e.detail) >= sizeof e.detail || strlen(ref) > BP_REF_MAX)
                abort();
            if (strcmp(bp_err_code(rc), "internal") == 0)
                abort(); /* every refusal maps to a specific wire code */
        }
    }
    return 0;
}
