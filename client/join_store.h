/* join_store.h: what `bilan join` keeps in and reads from the key store
 * (keystore.h) around a room visit: the receipts this device signed (a
 * copy of each; those never acknowledged are sent again after the next
 * welcome from that server), what it observed of each session it took part
 * in (so that a record missed at the close and sent on a later join is
 * checked and signed), the bilan's invite secrets and the peers it
 * authenticated (end-to-end encryption), and the bilans it had redeemed
 * before (to tell which one an invite opened).
 *
 * Owns nothing but that list of bilans. A store that fails is a warning on
 * stderr: the room goes on. Must never print a key or a secret. */
#ifndef CLIENT_JOIN_STORE_H
#define CLIENT_JOIN_STORE_H

#include <jansson.h>

#include "attend.h"
#include "cli.h"
#include "e2e_room.h"
#include "sheet_sync.h"

#define JOIN_KNOWN_MAX 64

struct join_store {
    struct app *a;
    long long server_id;                       /* of the server we join on (set once known) */
    struct e2e *e2e;                           /* borrowed */
    struct sheet_sync *sync;                   /* borrowed, may be NULL: gets each peer authenticated */
    struct dialog *dlg;                        /* the dialog the sync sends on */
    char known[JOIN_KNOWN_MAX][BP_ID_MAX + 1]; /* bilans redeemed here before this enrol */
    int nknown;
};

/* Receipts: a copy of one we signed; the server acknowledged one; those
 * never acknowledged, sent again on d (after the welcome). */
void join_store_receipt(struct join_store *st, const char *bilan, const char *session,
                        const json_t *record, const json_t *attestation);
void join_store_receipt_sent(struct join_store *st, const char *session);
void join_store_send_pending(struct join_store *st, struct dialog *d);

/* What this device observed of a session: kept; read back (1, or 0 when
 * nothing was kept). */
void join_store_attend_put(struct join_store *st, const char *bilan, const struct attend_obs *o);
int join_store_attend_get(struct join_store *st, const char *bilan, const char *session,
                          struct attend_obs *o);

/* The invite secrets and the verified peers of the bilan we are about to
 * join, into st->e2e. */
void join_store_load_e2e(struct join_store *st, const char *bilan);
/* e2e_io.remember (store_ctx: the join_store): a peer authenticated. */
void join_store_remember_peer(void *store_ctx, const struct e2e_remember *r);

/* Before redeeming an invite: the bilans already redeemed here. Then,
 * from the welcome: which bilan the invite opened (NULL: cannot tell). */
void join_store_known_before(struct join_store *st);
const char *join_store_invite_bilan(const struct join_store *st, const json_t *welcome);

#endif
