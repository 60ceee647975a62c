/* sheet_entry.h: one entry of a sheet_ops message (PROTOCOL.md §10.1,
 * §10.5) checked and opened under the bilan's document key: its seq, op
 * id, sheet, author, listed role and plaintext. What a hostile server may
 * put in an entry stops here: every field is bounded and decoded strictly,
 * the seal is opened with the op id and author as associated data, and
 * nothing unchecked is kept. Pure but for the seal (OpenSSL, ws_seal.c).
 *
 * Whether the plaintext is an operation with that op id, sheet and author
 * is the replica's check (sheets_apply_remote). */
#ifndef CLIENT_SHEET_ENTRY_H
#define CLIENT_SHEET_ENTRY_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "bp/bp.h"
#include "bp/ws_op.h"
#include "bp/ws_seal.h"

/* The largest seq a sheet_pull may carry back (PROTOCOL.md §10.1): an entry
 * listed past it is malformed (moving `after` there would make every later
 * pull an invalid message). */
#define SHEET_SEQ_MAX (1LL << 50)

struct sheet_entry {
    long long seq; /* 0 when the seq itself is malformed: the caller cannot move past it */
    uint8_t op[BP_WS_OPID_RAW];
    char sheet[BP_WS_OPID_LEN + 1];
    uint8_t author[BP_FP_LEN];
    int role;       /* as listed (enum bp_role), BP_ROLE_NONE when absent or unknown */
    uint8_t *plain; /* the opened operation (malloc'd; sheet_entry_clear wipes it) */
    size_t len;
};

/* 0 with *e filled, or -1 with why (English, for the "[sheets]" line) and
 * e->seq still set when it was well formed. key: the document key. */
int sheet_entry_open(const json_t *j, const uint8_t key[BP_WS_KEY_LEN], const char *bilan,
                     struct sheet_entry *e, char *why, size_t cap);
void sheet_entry_clear(struct sheet_entry *e);

#endif
