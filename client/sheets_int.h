/* sheets_int.h: what sheets.c (open, rules, edits, sync) shares with
 * sheets_read.c (lists, values, conflicts): the sheets object itself.
 * Private to those two files. */
#ifndef CLIENT_SHEETS_INT_H
#define CLIENT_SHEETS_INT_H

#include <stddef.h>
#include <stdint.h>

#include "bp/bp.h"
#include "bp/ws_hlc.h"
#include "bp/ws_merge.h"
#include "keystore.h"
#include "ws_templates.h"

/* One sheet the replica holds an operation of. */
struct sheets_ent {
    char id[BP_WS_OPID_LEN + 1];
    int has_create;
    struct bp_ws_hlc created; /* the earliest create's stamp */
    size_t pending;
};

/* An author other than this device, with the role its first stored
 * operation came with: the rules answer that role for it from then on. */
struct sheets_dev {
    char fp[BP_WS_DEVICE_LEN + 1];
    int role; /* enum bp_role */
};

struct sheets {
    struct keystore *ks; /* borrowed */
    long long server_id;
    char bilan[BP_ID_MAX + 1];
    uint8_t self_fp[BP_FP_LEN];
    char self_b64[BP_WS_DEVICE_LEN + 1];
    int self_role;
    struct ws_templates tpl;
    struct bp_ws_replica *r;
    struct bp_ws_hlc hlc;
    long long after;
    struct sheets_dev dev[SHEETS_DEVICES_MAX];
    size_t n_dev;
    /* The sheets, in the order first seen, with an open-addressing index
     * (slot: position + 1, 0 empty; hcap a power of two, at most half full). */
    struct sheets_ent *sh;
    size_t n_sh, cap_sh;
    uint32_t *hidx;
    size_t hcap;
    size_t pending;
};

/* The sheet's entry, or NULL. */
struct sheets_ent *sheets__ent(const struct sheets *s, const char *id);
/* The role (enum bp_role) the rules give device (base64url), 0 when unknown. */
int sheets__device_role(const struct sheets *s, const char *device);

#endif
