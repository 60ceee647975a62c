/* ks_peers.c: the devices met and authenticated in a bilan's room
 * (PROTOCOL.md §8.2), in the key store (see keystore.h). Public keys only;
 * "verified" is sticky. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <sqlite3.h>

#include "keystore.h"
#include "i18n.h"
#include "keystore_db.h"

int ks_peer_put(struct keystore *ks, const struct ks_peer *p)
{
    sqlite3_stmt *st;
    int rc =
        ks__prepare(ks,
                    "INSERT INTO peers (server_id, bilan, device, role, sign_pub, dh_pub, verified,"
                    " method, first_seen, verified_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9,"
                    " CASE WHEN ?7 THEN ?9 ELSE 0 END)"
                    " ON CONFLICT (server_id, bilan, device) DO UPDATE SET"
                    " role = excluded.role,"
                    " verified_at = CASE WHEN verified = 0 AND excluded.verified THEN ?9"
                    " ELSE verified_at END,"
                    " verified = max(verified, excluded.verified)",
                    &st);
    if (rc)
        return rc;
    long long now = (long long)time(NULL);
    sqlite3_bind_int64(st, 1, p->server_id);
    sqlite3_bind_text(st, 2, p->bilan, -1, SQLITE_TRANSIENT);
    sqlite3_bind_blob(st, 3, p->device, BP_FP_LEN, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, p->role, -1, SQLITE_TRANSIENT);
    sqlite3_bind_blob(st, 5, p->sign_pub, BP_KEY_LEN, SQLITE_TRANSIENT);
    sqlite3_bind_blob(st, 6, p->dh_pub, BP_KEY_LEN, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 7, p->verified ? 1 : 0);
    sqlite3_bind_text(st, 8, p->method, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 9, now);
    int step = sqlite3_step(st);
    sqlite3_finalize(st);
    return step == SQLITE_DONE ? 0 : ks__fail(ks, _("enregistrement d'un correspondant"));
}

int ks_peer_each(struct keystore *ks, long long server_id, const char *bilan,
                 int (*cb)(void *arg, const struct ks_peer *p), void *arg)
{
    sqlite3_stmt *st;
    int rc = ks__prepare(ks,
                         "SELECT device, role, sign_pub, dh_pub, verified, method, first_seen,"
                         " verified_at FROM peers WHERE server_id = ? AND bilan = ? ORDER BY rowid",
                         &st);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, server_id);
    sqlite3_bind_text(st, 2, bilan, -1, SQLITE_TRANSIENT);
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        struct ks_peer p;
        memset(&p, 0, sizeof p);
        p.server_id = server_id;
        snprintf(p.bilan, sizeof p.bilan, "%s", bilan);
        if (!ks__column_blob32(st, 0, p.device) || !ks__column_blob32(st, 2, p.sign_pub) ||
            !ks__column_blob32(st, 3, p.dh_pub))
            continue;
        ks__column_text(st, 1, p.role, sizeof p.role);
        p.verified = sqlite3_column_int(st, 4);
        ks__column_text(st, 5, p.method, sizeof p.method);
        p.first_seen = sqlite3_column_int64(st, 6);
        p.verified_at = sqlite3_column_int64(st, 7);
        if (cb(arg, &p))
            break;
    }
    sqlite3_finalize(st);
    return step == SQLITE_ROW || step == SQLITE_DONE ? 0 : ks__fail(ks, _("lecture des correspondants"));
}
