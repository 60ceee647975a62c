/* sheet_roles.h: who wrote an operation, as this device knows it: the role
 * a field's editors are checked against (PROTOCOL.md §10.1). A device
 * authenticated in the bilan's room (the ks_peers rows, or a pair
 * authenticated during this visit) has the role it had there, which wins
 * over the role the server lists with the operation; any other device has
 * the listed one (client/sheets.c then keeps the first role it stored). */
#ifndef CLIENT_SHEET_ROLES_H
#define CLIENT_SHEET_ROLES_H

#include <stdint.h>

#include "keystore.h"

struct sheet_roles {
    struct {
        uint8_t fp[BP_FP_LEN];
        int role; /* enum bp_role */
    } v[KS_PEERS_MAX];
    int n;
};

/* A device's role seen in the room (BP_ROLE_NONE: nothing noted). */
void sheet_roles_note(struct sheet_roles *r, const uint8_t fp[BP_FP_LEN], int role);
/* The bilan's authenticated peers from client.db. */
void sheet_roles_load(struct sheet_roles *r, struct keystore *ks, long long server_id, const char *bilan);
/* fp's role seen in the room, else listed. */
int sheet_roles_of(const struct sheet_roles *r, const uint8_t fp[BP_FP_LEN], int listed);

#endif
