/* sheet_entry.c: one sheet_ops entry checked and opened (sheet_entry.h).
 * Must never: keep plaintext that did not authenticate, or read past a
 * field's bound. */
#include "sheet_entry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "bp/b64.h"
#include "bp/msg.h"
#include "bp/vocab.h"

int sheet_entry_open(const json_t *j, const uint8_t key[BP_WS_KEY_LEN], const char *bilan,
                     struct sheet_entry *e, char *why, size_t cap)
{
    memset(e, 0, sizeof *e);
    if (!json_is_object(j)) {
        snprintf(why, cap, "malformed entry");
        return -1;
    }
    long long seq = bp_int(j, "seq", 0);
    if (seq > 0 && seq <= SHEET_SEQ_MAX)
        e->seq = seq;
    const char *sealed64 = bp_str(j, "sealed", ""), *sheet = bp_str(j, "sheet", ""),
               *role = bp_str(j, "role", "");
    size_t n64 = strlen(sealed64);
    if (!e->seq || bp_b64_decode_exact(bp_str(j, "op", ""), e->op, sizeof e->op) ||
        bp_b64_decode_exact(bp_str(j, "author", ""), e->author, sizeof e->author) ||
        strlen(sheet) != BP_WS_OPID_LEN || n64 > BP_WS_SEALED_B64_MAX) {
        snprintf(why, cap, "malformed entry");
        return -1;
    }
    memcpy(e->sheet, sheet, BP_WS_OPID_LEN + 1);
    e->role = bp_role_parse(role, strlen(role));
    uint8_t *sealed = malloc(BP_WS_SEALED_MAX);
    e->plain = malloc(BP_WS_SEALED_MAX);
    int sl = sealed ? bp_b64_decode(sealed64, n64, sealed, BP_WS_SEALED_MAX) : -1;
    long plen = -1;
    if (sl < BP_WS_SEALED_MIN || !e->plain)
        snprintf(why, cap, "sealed bytes malformed");
    else if ((plen = bp_ws_op_open(key, bilan, e->op, e->author, sealed, (size_t)sl, e->plain,
                                   BP_WS_SEALED_MAX)) < 0)
        snprintf(why, cap, "does not open under the bilan's document key");
    free(sealed);
    if (plen < 0) {
        long long keep = e->seq;
        sheet_entry_clear(e);
        e->seq = keep;
        return -1;
    }
    e->len = (size_t)plen;
    return 0;
}

void sheet_entry_clear(struct sheet_entry *e)
{
    if (e->plain) {
        OPENSSL_cleanse(e->plain, BP_WS_SEALED_MAX);
        free(e->plain);
    }
    memset(e, 0, sizeof *e);
}
