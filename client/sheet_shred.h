/* sheet_shred.h: a closed bilan's worksheets deleted from this device
 * (sheet_shred.c, PROTOCOL.md §10.5). */
#ifndef CLIENT_SHEET_SHRED_H
#define CLIENT_SHEET_SHRED_H

#include <stdio.h>

#include <jansson.h>

#include "keystore.h"

/* A bilan closed (PROTOCOL.md §10.5): the replica of every sheet not in
 * kept (a JSON array of sheet ids, may be NULL) is deleted, and the document
 * key too when nothing is kept or purged is set. 0, or -1 with a message on
 * err. Used by the sync and by the commands that see bilan objects. */
int sheet_sync_shred(struct keystore *ks, long long server_id, const char *bilan,
                     const json_t *kept, int purged, FILE *err);

#endif
