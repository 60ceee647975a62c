/* ks_sheets.h: the worksheet replica's storage in client.db (a key store
 * domain, ks_sheets.c; the schema is migration 7 of keystore.c): every
 * operation this device holds for a bilan, as its canonical JSON plaintext,
 * with its seq (none while pending), author and author's role, and the
 * order it came in; and per bilan the sync state (the last seq applied, the
 * hybrid clock).
 *
 * Owns: the rows and the bounds on them (KS_WS_OPS_MAX operations and
 * KS_WS_BYTES_MAX bytes per bilan, as the server). Must never: parse or
 * judge an operation (sheets.c does), or keep a shredded text on the disk
 * (secure_delete, and a WAL checkpoint after a shred).
 *
 * Return convention as keystore.h: 0, KS_NOT_FOUND, or a negative BP_E_*
 * with ks_error(). */
#ifndef CLIENT_KS_SHEETS_H
#define CLIENT_KS_SHEETS_H

#include <stddef.h>
#include <stdint.h>

#include "keystore.h"

#define KS_WS_OPS_MAX 200000                  /* operations per bilan (the server's bound) */
#define KS_WS_BYTES_MAX (512LL * 1024 * 1024) /* bytes of JSON per bilan (the server's bound) */
#define KS_WS_EXISTS 2                        /* ks_ws_put: that op id is already stored */

/* One stored operation; pointers valid during the callback only. */
struct ks_ws_row {
    uint8_t op[16];
    uint8_t sheet[16];
    long long seq; /* 0: pending */
    uint8_t author[32];
    int role; /* enum bp_role */
    const char *json;
    size_t len;
    long long ord; /* local order: 1, 2, 3... per bilan */
};

/* The bilan's sync state: after (highest seq applied), the hybrid clock,
 * and what is stored (operations, bytes). All 0 when nothing is stored. */
struct ks_ws_state {
    long long after;
    uint64_t hlc_ms;
    uint32_t hlc_counter;
    long long n_ops, bytes;
};

int ks_ws_state(struct keystore *ks, long long server_id, const char *bilan,
                struct ks_ws_state *out);
/* Stores one operation (seq 0: pending) at the end of the bilan's order and
 * moves the clock to (hlc_ms, hlc_counter) when that is later, in one
 * transaction. 0, KS_WS_EXISTS (nothing changed), BP_E_TOO_LARGE past the
 * bounds, or a negative BP_E_*. */
int ks_ws_put(struct keystore *ks, long long server_id, const char *bilan, const uint8_t op[16],
              const uint8_t sheet[16], long long seq, const uint8_t author[32], int role,
              const char *json, size_t len, uint64_t hlc_ms, uint32_t hlc_counter);
/* The stored copy of op: its seq (0 pending) and a malloc'd JSON (the caller
 * frees it; may be NULL when not wanted). 0 or KS_NOT_FOUND. */
int ks_ws_get(struct keystore *ks, long long server_id, const char *bilan, const uint8_t op[16],
              long long *seq, char **json);
/* op was stored by the server as seq: no longer pending (a pending op only). */
int ks_ws_pushed(struct keystore *ks, long long server_id, const char *bilan, const uint8_t op[16],
                 long long seq);
/* after = max(after, seq). */
int ks_ws_set_after(struct keystore *ks, long long server_id, const char *bilan, long long seq);
/* Calls cb for each stored operation of the bilan (only the pending ones
 * when pending_only) in local order; stops when cb returns non-zero and
 * returns that value. */
int ks_ws_each(struct keystore *ks, long long server_id, const char *bilan, int pending_only,
               int (*cb)(void *arg, const struct ks_ws_row *r), void *arg);
/* Deletes the operations of the sheets not in keep (16 raw bytes each) and
 * every pending operation; nkeep 0: every row of the bilan, state included.
 * Then checkpoints the WAL so the freed (zeroed) pages reach the file. */
int ks_ws_shred(struct keystore *ks, long long server_id, const char *bilan,
                const uint8_t (*keep)[16], size_t nkeep);

#endif
