/* sheet_sync.h: the worksheets over one connection (PROTOCOL.md §10.2,
 * §10.5): the document key (found, claimed by a consultant's device, or
 * opened from a wrap of a device this one authenticated), the catch-up (push
 * the pending operations sealed, pull what the server has, open and apply
 * each), live operations in the room, and the key wrapped for each peer
 * whose pair is authenticated. It plugs into a dialog as its worksheet
 * side (struct dialog_sheets: sheet_sync_hooks); the replica is sheets.h's.
 *
 * Owns: the order of that exchange, the trust rule for wraps (from itself,
 * or from a device this one authenticated in the bilan's room: the ks_peers
 * rows), the "[sheets] ..." machine lines, and the count of what it did.
 * Must never: open a wrap from a device it did not authenticate, seal under
 * a key the server did not accept as the bilan's, push while the bilan is
 * closed, print a key, a wrap or a value.
 *
 * In `bilan sheet sync` (end_when_done) the dialog ends when the catch-up
 * is over (exit 0), or on a refusal (2) or a local failure (1). In a room it
 * stays live until the dialog ends. */
#ifndef CLIENT_SHEET_SYNC_H
#define CLIENT_SHEET_SYNC_H

#include <stdio.h>

#include "dialog_core.h"
#include "keystore.h"
#include "sheet_shred.h"

struct sheet_sync;
struct e2e_remember;

struct sheet_sync_cfg {
    struct keystore *ks;          /* borrowed */
    long long server_id;
    const struct bp_identity *id; /* borrowed */
    int role;                     /* this device's role in the bilan (enum bp_role) */
    int end_when_done;            /* `bilan sheet sync`: end the dialog after the catch-up */
    FILE *err;                    /* French sentences for people (stderr) */
};

/* What one sync did, for the command's summary. */
struct sheet_sync_counts {
    int have_key;      /* the document key is on this device */
    int made_key;      /* this device made it (a consultant's first) */
    long pushed;       /* pending operations the server stored */
    long received;     /* operations pulled or live, applied or already held */
    long held;         /* stored but held by the rules (SHEETS_HELD) */
    long refused;      /* did not open or were refused (said on err) */
    long wraps_given;  /* wraps made for peers */
    long pending_left; /* still pending at the end (no key, refused, rate limited) */
    int closed;        /* the bilan was closed: the replica was shredded */
    int done;          /* the catch-up finished */
};

int sheet_sync_new(const struct sheet_sync_cfg *cfg, struct sheet_sync **out);
void sheet_sync_free(struct sheet_sync *s);
const struct sheet_sync_counts *sheet_sync_counts(const struct sheet_sync *s);

/* The dialog's worksheet side (ctx: the sheet_sync). */
extern const struct dialog_sheets sheet_sync_hooks;

/* A peer became authenticated in the room (e2e's remember hook, after the
 * store kept it): it gets the key now, or as soon as this device has it. */
void sheet_sync_peer(struct sheet_sync *s, struct dialog *d, const struct e2e_remember *r);

#endif
