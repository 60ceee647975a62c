/* ks_sheets.c: the worksheet replica's rows in client.db (see ks_sheets.h;
 * schema: migration 7 of keystore.c). Operations are kept as the plaintext
 * they are (the folder is 0700 and the file 0600, as for the keys); a shred
 * deletes them with secure_delete on (keystore.c) and checkpoints the WAL,
 * so that no copy of a deleted text stays in the file.
 *
 * The counts in ws_state (operations, bytes, the next local order) are
 * kept by the same transaction as the rows they count: the bounds are
 * checked without scanning 200,000 rows per insert. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "keystore.h"
#include "ks_sheets.h"
#include "bp/vocab.h"
#include "i18n.h"
#include "keystore_db.h"

int ks_ws_state(struct keystore *ks, long long server_id, const char *bilan,
                struct ks_ws_state *out)
{
    sqlite3_stmt *st;
    memset(out, 0, sizeof *out);
    int rc = ks__prepare(ks,
                         "SELECT after, hlc_ms, hlc_counter, n_ops, bytes FROM ws_state"
                         " WHERE server_id = ?1 AND bilan = ?2",
                         &st);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, server_id);
    sqlite3_bind_text(st, 2, bilan, -1, SQLITE_TRANSIENT);
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        out->after = sqlite3_column_int64(st, 0);
        out->hlc_ms = (uint64_t)sqlite3_column_int64(st, 1);
        out->hlc_counter = (uint32_t)sqlite3_column_int64(st, 2);
        out->n_ops = sqlite3_column_int64(st, 3);
        out->bytes = sqlite3_column_int64(st, 4);
    }
    sqlite3_finalize(st);
    return step == SQLITE_ROW || step == SQLITE_DONE
               ? 0
               : ks__fail(ks, _("lecture de l'état des fiches d'un bilan"));
}

static int exec2(struct keystore *ks, const char *sql, long long server_id, const char *bilan)
{
    return ks__exec_bilan(ks, sql, server_id, bilan, _("écriture des fiches"));
}

static int ensure_state(struct keystore *ks, long long server_id, const char *bilan)
{
    return exec2(ks, "INSERT OR IGNORE INTO ws_state (server_id, bilan) VALUES (?1, ?2)", server_id,
                 bilan);
}

static int begin(struct keystore *ks)
{
    if (sqlite3_exec(ks->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return ks__fail(ks, _("début d'une écriture des fiches"));
    return 0;
}

static int end(struct keystore *ks, int rc)
{
    if (rc == 0 || rc == KS_WS_EXISTS) {
        if (sqlite3_exec(ks->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK)
            return rc;
        rc = ks__fail(ks, _("fin d'une écriture des fiches"));
    }
    sqlite3_exec(ks->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

static int put_in(struct keystore *ks, long long server_id, const char *bilan, const uint8_t op[16],
                  const uint8_t sheet[16], long long seq, const uint8_t author[32], int role,
                  const char *json, size_t len, uint64_t hlc_ms, uint32_t hlc_counter)
{
    long long seq_had;
    int rc = ks_ws_get(ks, server_id, bilan, op, &seq_had, NULL);
    if (rc == 0)
        return KS_WS_EXISTS;
    if (rc != KS_NOT_FOUND)
        return rc;
    if ((rc = ensure_state(ks, server_id, bilan)))
        return rc;
    struct ks_ws_state cur;
    if ((rc = ks_ws_state(ks, server_id, bilan, &cur)))
        return rc;
    if (cur.n_ops >= KS_WS_OPS_MAX || cur.bytes + (long long)len > KS_WS_BYTES_MAX) {
        snprintf(ks->err, sizeof ks->err, "%s",
                 _("les fiches de ce bilan sont pleines (200 000 opérations ou 512 Mio au plus)"));
        return BP_E_TOO_LARGE;
    }
    sqlite3_stmt *st;
    rc =
        ks__prepare(ks,
                    "INSERT INTO ws_ops (server_id, bilan, op, sheet, seq, author, role, json, ord)"
                    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8,"
                    "  (SELECT next_ord FROM ws_state WHERE server_id = ?1 AND bilan = ?2))",
                    &st);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, server_id);
    sqlite3_bind_text(st, 2, bilan, -1, SQLITE_TRANSIENT);
    sqlite3_bind_blob(st, 3, op, 16, SQLITE_TRANSIENT);
    sqlite3_bind_blob(st, 4, sheet, 16, SQLITE_TRANSIENT);
    if (seq > 0)
        sqlite3_bind_int64(st, 5, seq);
    else
        sqlite3_bind_null(st, 5);
    sqlite3_bind_blob(st, 6, author, 32, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 7, bp_role_name(role), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 8, json, (int)len, SQLITE_TRANSIENT);
    int step = sqlite3_step(st);
    sqlite3_finalize(st);
    if (step != SQLITE_DONE)
        return ks__fail(ks, _("enregistrement d'une opération d'une fiche"));
    /* The clock only moves forward: (ms, counter) compared in that order. */
    rc = ks__prepare(ks,
                     "UPDATE ws_state SET n_ops = n_ops + 1, bytes = bytes + ?3,"
                     " next_ord = next_ord + 1,"
                     " hlc_counter = CASE WHEN ?4 > hlc_ms OR (?4 = hlc_ms AND ?5 > hlc_counter)"
                     "  THEN ?5 ELSE hlc_counter END,"
                     " hlc_ms = max(hlc_ms, ?4)"
                     " WHERE server_id = ?1 AND bilan = ?2",
                     &st);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, server_id);
    sqlite3_bind_text(st, 2, bilan, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, (long long)len);
    sqlite3_bind_int64(st, 4, (long long)hlc_ms);
    sqlite3_bind_int64(st, 5, (long long)hlc_counter);
    step = sqlite3_step(st);
    sqlite3_finalize(st);
    if (step != SQLITE_DONE)
        return ks__fail(ks, _("enregistrement de l'état des fiches"));
    if (seq > 0) {
        if ((rc = ks_ws_set_after(ks, server_id, bilan, seq)))
            return rc;
    }
    return 0;
}

int ks_ws_put(struct keystore *ks, long long server_id, const char *bilan, const uint8_t op[16],
              const uint8_t sheet[16], long long seq, const uint8_t author[32], int role,
              const char *json, size_t len, uint64_t hlc_ms, uint32_t hlc_counter)
{
    if (len > (size_t)KS_WS_BYTES_MAX) {
        snprintf(ks->err, sizeof ks->err, "%s", _("opération trop grande"));
        return BP_E_TOO_LARGE;
    }
    int rc = begin(ks);
    if (rc)
        return rc;
    return end(ks, put_in(ks, server_id, bilan, op, sheet, seq, author, role, json, len, hlc_ms,
                          hlc_counter));
}

int ks_ws_get(struct keystore *ks, long long server_id, const char *bilan, const uint8_t op[16],
              long long *seq, char **json)
{
    sqlite3_stmt *st;
    if (json)
        *json = NULL;
    *seq = 0;
    int rc = ks__prepare(
        ks, "SELECT seq, json FROM ws_ops WHERE server_id = ?1 AND bilan = ?2 AND op = ?3", &st);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, server_id);
    sqlite3_bind_text(st, 2, bilan, -1, SQLITE_TRANSIENT);
    sqlite3_bind_blob(st, 3, op, 16, SQLITE_TRANSIENT);
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        *seq = sqlite3_column_type(st, 0) == SQLITE_NULL ? 0 : sqlite3_column_int64(st, 0);
        if (json) {
            const char *t = (const char *)sqlite3_column_text(st, 1);
            *json = strdup(t ? t : "");
            rc = *json ? 0 : BP_E_NOMEM;
        }
    } else {
        rc = step == SQLITE_DONE ? KS_NOT_FOUND
                                 : ks__fail(ks, _("lecture d'une opération d'une fiche"));
    }
    sqlite3_finalize(st);
    return rc;
}

int ks_ws_pushed(struct keystore *ks, long long server_id, const char *bilan, const uint8_t op[16],
                 long long seq)
{
    sqlite3_stmt *st;
    int rc =
        ks__prepare(ks,
                    "UPDATE ws_ops SET seq = ?4 WHERE server_id = ?1 AND bilan = ?2 AND op = ?3"
                    " AND seq IS NULL",
                    &st);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, server_id);
    sqlite3_bind_text(st, 2, bilan, -1, SQLITE_TRANSIENT);
    sqlite3_bind_blob(st, 3, op, 16, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 4, seq);
    int step = sqlite3_step(st);
    sqlite3_finalize(st);
    return step == SQLITE_DONE ? 0 : ks__fail(ks, _("note de l'envoi d'une opération"));
}

int ks_ws_set_after(struct keystore *ks, long long server_id, const char *bilan, long long seq)
{
    int rc = ensure_state(ks, server_id, bilan);
    if (rc)
        return rc;
    sqlite3_stmt *st;
    rc = ks__prepare(
        ks, "UPDATE ws_state SET after = max(after, ?3) WHERE server_id = ?1 AND bilan = ?2", &st);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, server_id);
    sqlite3_bind_text(st, 2, bilan, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, seq);
    int step = sqlite3_step(st);
    sqlite3_finalize(st);
    return step == SQLITE_DONE ? 0 : ks__fail(ks, _("enregistrement de l'état des fiches"));
}

int ks_ws_each(struct keystore *ks, long long server_id, const char *bilan, int pending_only,
               int (*cb)(void *arg, const struct ks_ws_row *r), void *arg)
{
    sqlite3_stmt *st;
    int rc = ks__prepare(ks,
                         "SELECT op, sheet, seq, author, role, json, ord FROM ws_ops"
                         " WHERE server_id = ?1 AND bilan = ?2 AND (?3 = 0 OR seq IS NULL)"
                         " ORDER BY ord",
                         &st);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, server_id);
    sqlite3_bind_text(st, 2, bilan, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 3, pending_only ? 1 : 0);
    int step, stop = 0;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        struct ks_ws_row r;
        memset(&r, 0, sizeof r);
        if (sqlite3_column_bytes(st, 0) != 16 || sqlite3_column_bytes(st, 1) != 16 ||
            !ks__column_blob32(st, 3, r.author))
            continue; /* the schema's checks make this impossible */
        memcpy(r.op, sqlite3_column_blob(st, 0), 16);
        memcpy(r.sheet, sqlite3_column_blob(st, 1), 16);
        r.seq = sqlite3_column_type(st, 2) == SQLITE_NULL ? 0 : sqlite3_column_int64(st, 2);
        const char *role = (const char *)sqlite3_column_text(st, 4);
        r.role = bp_role_parse(role, role ? strlen(role) : 0);
        r.json = (const char *)sqlite3_column_text(st, 5);
        r.len = (size_t)sqlite3_column_bytes(st, 5);
        r.ord = sqlite3_column_int64(st, 6);
        if (!r.json)
            continue;
        if ((stop = cb(arg, &r)))
            break;
    }
    sqlite3_finalize(st);
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        return ks__fail(ks, _("lecture des opérations des fiches"));
    return stop;
}

static int shred_in(struct keystore *ks, long long server_id, const char *bilan,
                    const uint8_t (*keep)[16], size_t nkeep)
{
    int rc;
    if (nkeep == 0) {
        if ((rc = exec2(ks, "DELETE FROM ws_ops WHERE server_id = ?1 AND bilan = ?2", server_id,
                        bilan)) ||
            (rc = exec2(ks, "DELETE FROM ws_state WHERE server_id = ?1 AND bilan = ?2", server_id,
                        bilan)))
            return rc;
        return 0;
    }
    /* The kept ids in a temporary table: a statement with one parameter
     * per kept sheet would depend on how many there are. */
    if (sqlite3_exec(ks->db,
                     "CREATE TEMP TABLE IF NOT EXISTS ws_keep (sheet BLOB PRIMARY KEY);"
                     "DELETE FROM ws_keep;",
                     NULL, NULL, NULL) != SQLITE_OK)
        return ks__fail(ks, _("préparation de l'effacement des fiches"));
    sqlite3_stmt *st;
    if ((rc = ks__prepare(ks, "INSERT OR IGNORE INTO ws_keep (sheet) VALUES (?1)", &st)))
        return rc;
    for (size_t i = 0; i < nkeep; i++) {
        sqlite3_reset(st);
        sqlite3_bind_blob(st, 1, keep[i], 16, SQLITE_TRANSIENT);
        if (sqlite3_step(st) != SQLITE_DONE) {
            sqlite3_finalize(st);
            return ks__fail(ks, _("préparation de l'effacement des fiches"));
        }
    }
    sqlite3_finalize(st);
    if ((rc = exec2(ks,
                    "DELETE FROM ws_ops WHERE server_id = ?1 AND bilan = ?2"
                    " AND (seq IS NULL OR sheet NOT IN (SELECT sheet FROM ws_keep))",
                    server_id, bilan)) ||
        (rc = exec2(ks,
                    "UPDATE ws_state SET"
                    " n_ops = (SELECT count(*) FROM ws_ops WHERE server_id = ?1 AND bilan = ?2),"
                    " bytes = (SELECT coalesce(sum(length(CAST(json AS BLOB))), 0) FROM ws_ops"
                    "  WHERE server_id = ?1 AND bilan = ?2)"
                    " WHERE server_id = ?1 AND bilan = ?2",
                    server_id, bilan)))
        return rc;
    if (sqlite3_exec(ks->db, "DELETE FROM ws_keep", NULL, NULL, NULL) != SQLITE_OK)
        return ks__fail(ks, _("effacement des fiches"));
    return 0;
}

int ks_ws_shred(struct keystore *ks, long long server_id, const char *bilan,
                const uint8_t (*keep)[16], size_t nkeep)
{
    int rc = begin(ks);
    if (rc)
        return rc;
    if ((rc = end(ks, shred_in(ks, server_id, bilan, keep, nkeep))))
        return rc;
    /* secure_delete zeroed the freed pages in the WAL; the checkpoint
     * writes them over the old ones in client.db and empties the WAL. A
     * reader elsewhere (the room) may hold the checkpoint back: then the
     * next checkpoint finishes it, and the text is in no table anyway. */
    sqlite3_wal_checkpoint_v2(ks->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
    return 0;
}
