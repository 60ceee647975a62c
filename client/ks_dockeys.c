/* ks_dockeys.c: the worksheets' document key of each bilan on this device
 * and the devices it was wrapped for (ks_dockeys.h), in the key store.
 * Must never: print or log a key. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <sqlite3.h>

#include "i18n.h"
#include "keystore_db.h"
#include "keystore.h"

int ks_dockey_get(struct keystore *ks, long long server_id, const char *bilan, struct ks_dockey *k)
{
    sqlite3_stmt *st;
    int rc = ks__prepare(ks, "SELECT key, kid, claimed FROM doc_keys WHERE server_id = ? AND bilan = ?", &st);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, server_id);
    sqlite3_bind_text(st, 2, bilan, -1, SQLITE_TRANSIENT);
    memset(k, 0, sizeof *k);
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        rc = ks__column_blob32(st, 0, k->key) ? 0 : KS_NOT_FOUND;
        ks__column_text(st, 1, k->kid, sizeof k->kid);
        k->claimed = sqlite3_column_int(st, 2);
    } else {
        rc = step == SQLITE_DONE ? KS_NOT_FOUND : ks__fail(ks, _("lecture de la clé des fiches"));
    }
    sqlite3_finalize(st);
    if (rc)
        OPENSSL_cleanse(k, sizeof *k);
    return rc;
}

int ks_dockey_put(struct keystore *ks, long long server_id, const char *bilan, const struct ks_dockey *k)
{
    sqlite3_stmt *st;
    int rc = ks__prepare(ks,
                         "INSERT OR REPLACE INTO doc_keys (server_id, bilan, key, kid, claimed, stored_at)"
                         " VALUES (?, ?, ?, ?, ?, ?)",
                         &st);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, server_id);
    sqlite3_bind_text(st, 2, bilan, -1, SQLITE_TRANSIENT);
    sqlite3_bind_blob(st, 3, k->key, 32, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, k->kid, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 5, k->claimed ? 1 : 0);
    sqlite3_bind_int64(st, 6, (long long)time(NULL));
    int step = sqlite3_step(st);
    sqlite3_finalize(st);
    return step == SQLITE_DONE ? 0 : ks__fail(ks, _("enregistrement de la clé des fiches"));
}


int ks_dockey_delete(struct keystore *ks, long long server_id, const char *bilan)
{
    int rc = ks__exec_bilan(ks, "DELETE FROM doc_keys WHERE server_id = ?1 AND bilan = ?2", server_id, bilan,
                            _("effacement de la clé des fiches"));
    if (!rc)
        rc = ks__exec_bilan(ks, "DELETE FROM doc_key_wraps WHERE server_id = ?1 AND bilan = ?2", server_id,
                            bilan, _("effacement de la clé des fiches"));
    /* secure_delete overwrote the freed pages of the database; the
     * write-ahead log may still hold the key's page until a checkpoint. */
    if (!rc)
        sqlite3_exec(ks->db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
    return rc;
}

int ks_dockey_wrapped(struct keystore *ks, long long server_id, const char *bilan, const char *kid,
                      const uint8_t device[BP_FP_LEN])
{
    sqlite3_stmt *st;
    if (ks__prepare(ks,
                    "SELECT 1 FROM doc_key_wraps WHERE server_id = ? AND bilan = ? AND kid = ? AND device = ?",
                    &st))
        return 0;
    sqlite3_bind_int64(st, 1, server_id);
    sqlite3_bind_text(st, 2, bilan, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, kid, -1, SQLITE_TRANSIENT);
    sqlite3_bind_blob(st, 4, device, BP_FP_LEN, SQLITE_TRANSIENT);
    int found = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    return found;
}

int ks_dockey_mark_wrapped(struct keystore *ks, long long server_id, const char *bilan, const char *kid,
                           const uint8_t device[BP_FP_LEN])
{
    sqlite3_stmt *st;
    int rc = ks__prepare(ks,
                         "INSERT OR IGNORE INTO doc_key_wraps (server_id, bilan, kid, device, wrapped_at)"
                         " VALUES (?, ?, ?, ?, ?)",
                         &st);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, server_id);
    sqlite3_bind_text(st, 2, bilan, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, kid, -1, SQLITE_TRANSIENT);
    sqlite3_bind_blob(st, 4, device, BP_FP_LEN, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 5, (long long)time(NULL));
    int step = sqlite3_step(st);
    sqlite3_finalize(st);
    return step == SQLITE_DONE ? 0 : ks__fail(ks, _("enregistrement d'une clé transmise"));
}
