/* ks_receipts.c: the attendance receipts this device signed (PROTOCOL.md
 * §9.3), in the key store (see keystore.h), and which of them the server
 * has acknowledged. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <sqlite3.h>

#include "keystore.h"
#include "i18n.h"
#include "keystore_db.h"

int ks_receipt_put(struct keystore *ks, const struct ks_receipt *r)
{
    sqlite3_stmt *st;
    /* A record signed again (the server sent it twice) keeps its first
     * signature time and its acknowledgement. */
    int rc = ks__prepare(ks,
                         "INSERT INTO receipts (server_id, bilan, session, record, attestation,"
                         " signed_at, sent_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0)"
                         " ON CONFLICT (server_id, bilan, session) DO UPDATE SET"
                         " record = excluded.record, attestation = excluded.attestation",
                         &st);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, r->server_id);
    sqlite3_bind_text(st, 2, r->bilan, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, r->session, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, r->record, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 5, r->attestation, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 6, r->signed_at ? r->signed_at : (long long)time(NULL));
    int step = sqlite3_step(st);
    sqlite3_finalize(st);
    return step == SQLITE_DONE ? 0 : ks__fail(ks, _("enregistrement d'un relevé"));
}

int ks_receipt_sent(struct keystore *ks, long long server_id, const char *session)
{
    sqlite3_stmt *st;
    int rc = ks__prepare(ks,
                         "UPDATE receipts SET sent_at = ?3 WHERE server_id = ?1 AND session = ?2"
                         " AND sent_at = 0",
                         &st);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, server_id);
    sqlite3_bind_text(st, 2, session, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, (long long)time(NULL));
    int step = sqlite3_step(st);
    sqlite3_finalize(st);
    return step == SQLITE_DONE ? 0 : ks__fail(ks, _("note de l'envoi d'un relevé"));
}

int ks_receipt_each(struct keystore *ks, long long server_id, int pending_only,
                    int (*cb)(void *arg, const struct ks_receipt *r), void *arg)
{
    sqlite3_stmt *st;
    int rc =
        ks__prepare(ks,
                    "SELECT server_id, bilan, session, record, attestation, signed_at, sent_at"
                    " FROM receipts WHERE (?1 = 0 OR server_id = ?1) AND (?2 = 0 OR sent_at = 0)"
                    " ORDER BY signed_at, rowid",
                    &st);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, server_id);
    sqlite3_bind_int(st, 2, pending_only ? 1 : 0);
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        struct ks_receipt r;
        memset(&r, 0, sizeof r);
        r.server_id = sqlite3_column_int64(st, 0);
        ks__column_text(st, 1, r.bilan, sizeof r.bilan);
        ks__column_text(st, 2, r.session, sizeof r.session);
        r.record = (const char *)sqlite3_column_text(st, 3);
        r.attestation = (const char *)sqlite3_column_text(st, 4);
        r.signed_at = sqlite3_column_int64(st, 5);
        r.sent_at = sqlite3_column_int64(st, 6);
        if (!r.record || !r.attestation)
            continue;
        if (cb(arg, &r))
            break;
    }
    sqlite3_finalize(st);
    return step == SQLITE_ROW || step == SQLITE_DONE ? 0 : ks__fail(ks, _("lecture des relevés"));
}
