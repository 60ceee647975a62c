/* ks_bilans.c: the bilans this device knows and their invite secrets, in
 * the key store (see keystore.h). A refresh from a welcome never erases a
 * secret: unset fields keep their stored value.
 *
 * Must never: print or log a secret or a token. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <sqlite3.h>

#include "keystore.h"
#include "i18n.h"
#include "keystore_db.h"

#define BILAN_COLS                                                                                 \
    "server_id, bilan, label, role, budget_s, secret, invite_token, invite_expires,"               \
    " token_hash, redeemed"

static void bilan_row(sqlite3_stmt *st, struct ks_bilan *b)
{
    memset(b, 0, sizeof *b);
    b->server_id = sqlite3_column_int64(st, 0);
    ks__column_text(st, 1, b->bilan, sizeof b->bilan);
    ks__column_text(st, 2, b->label, sizeof b->label);
    ks__column_text(st, 3, b->role, sizeof b->role);
    b->budget_s = sqlite3_column_int64(st, 4);
    b->has_secret = ks__column_blob32(st, 5, b->secret);
    b->has_token = ks__column_blob32(st, 6, b->token);
    b->invite_expires = sqlite3_column_int64(st, 7);
    b->has_token_hash = ks__column_blob32(st, 8, b->token_hash);
    b->redeemed = sqlite3_column_int(st, 9);
}

int ks_bilan_put(struct keystore *ks, const struct ks_bilan *b)
{
    sqlite3_stmt *st;
    int rc = ks__prepare(
        ks,
        "INSERT INTO bilans (" BILAN_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
        " ON CONFLICT (server_id, bilan) DO UPDATE SET"
        " label = CASE WHEN excluded.label = '' THEN label ELSE excluded.label END,"
        " role = CASE WHEN excluded.role = '' THEN role ELSE excluded.role END,"
        " budget_s = CASE WHEN excluded.budget_s = 0 THEN budget_s ELSE excluded.budget_s END,"
        " secret = coalesce(excluded.secret, secret),"
        " invite_token = coalesce(excluded.invite_token, invite_token),"
        " invite_expires = CASE WHEN excluded.invite_token IS NULL THEN invite_expires"
        " ELSE excluded.invite_expires END,"
        " token_hash = coalesce(excluded.token_hash, token_hash),"
        " redeemed = max(redeemed, excluded.redeemed)",
        &st);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, b->server_id);
    sqlite3_bind_text(st, 2, b->bilan, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, b->label, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, b->role, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 5, b->budget_s);
    ks__bind_blob_or_null(st, 6, b->has_secret, b->secret, BP_SECRET_LEN);
    ks__bind_blob_or_null(st, 7, b->has_token, b->token, BP_TOKEN_LEN);
    sqlite3_bind_int64(st, 8, b->invite_expires);
    ks__bind_blob_or_null(st, 9, b->has_token_hash, b->token_hash, 32);
    sqlite3_bind_int(st, 10, b->redeemed ? 1 : 0);
    int step = sqlite3_step(st);
    sqlite3_finalize(st);
    if (step != SQLITE_DONE)
        return ks__fail(ks, _("enregistrement d'un bilan"));
    if (!b->has_secret)
        return 0;
    /* The secret joins the bilan's list (a known one keeps its place). */
    if ((rc = ks__prepare(ks,
                          "INSERT INTO bilan_secrets (server_id, bilan, secret, added)"
                          " VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
                          &st)))
        return rc;
    sqlite3_bind_int64(st, 1, b->server_id);
    sqlite3_bind_text(st, 2, b->bilan, -1, SQLITE_TRANSIENT);
    sqlite3_bind_blob(st, 3, b->secret, BP_SECRET_LEN, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 4, (long long)time(NULL));
    step = sqlite3_step(st);
    sqlite3_finalize(st);
    return step == SQLITE_DONE ? 0 : ks__fail(ks, _("enregistrement d'un secret d'invitation"));
}

int ks_bilan_secrets(struct keystore *ks, long long server_id, const char *bilan,
                     uint8_t (*out)[BP_SECRET_LEN], int max, int *n)
{
    sqlite3_stmt *st;
    *n = 0;
    int rc = ks__prepare(ks,
                         "SELECT secret FROM bilan_secrets WHERE server_id = ?1 AND bilan = ?2"
                         " ORDER BY added DESC, rowid DESC LIMIT ?3",
                         &st);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, server_id);
    sqlite3_bind_text(st, 2, bilan, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 3, max);
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW && *n < max)
        if (ks__column_blob32(st, 0, out[*n]))
            (*n)++;
    sqlite3_finalize(st);
    return step == SQLITE_ROW || step == SQLITE_DONE ? 0 : ks__fail(ks, _("lecture des secrets d'invitation"));
}

static int bilan_query(struct keystore *ks, sqlite3_stmt *st, struct ks_bilan *b)
{
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW)
        bilan_row(st, b);
    sqlite3_finalize(st);
    if (step == SQLITE_ROW)
        return 0;
    if (step == SQLITE_DONE)
        return KS_NOT_FOUND;
    return ks__fail(ks, _("lecture d'un bilan"));
}

int ks_bilan_get(struct keystore *ks, long long server_id, const char *bilan, struct ks_bilan *b)
{
    sqlite3_stmt *st;
    int rc =
        ks__prepare(ks, "SELECT " BILAN_COLS " FROM bilans WHERE server_id = ? AND bilan = ?", &st);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, server_id);
    sqlite3_bind_text(st, 2, bilan, -1, SQLITE_TRANSIENT);
    return bilan_query(ks, st, b);
}

int ks_bilan_by_token_hash(struct keystore *ks, const uint8_t hash[32], struct ks_bilan *b)
{
    sqlite3_stmt *st;
    int rc = ks__prepare(ks, "SELECT " BILAN_COLS " FROM bilans WHERE token_hash = ? LIMIT 1", &st);
    if (rc)
        return rc;
    sqlite3_bind_blob(st, 1, hash, 32, SQLITE_TRANSIENT);
    return bilan_query(ks, st, b);
}

int ks_bilan_each(struct keystore *ks, long long server_id,
                  int (*cb)(void *arg, const struct ks_bilan *b), void *arg)
{
    sqlite3_stmt *st;
    int rc = ks__prepare(ks,
                         "SELECT " BILAN_COLS " FROM bilans WHERE ?1 = 0 OR server_id = ?1"
                         " ORDER BY server_id, rowid",
                         &st);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, server_id);
    int step;
    struct ks_bilan b;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        bilan_row(st, &b);
        int stop = cb(arg, &b);
        OPENSSL_cleanse(&b, sizeof b);
        if (stop)
            break;
    }
    sqlite3_finalize(st);
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        return ks__fail(ks, _("liste des bilans"));
    return 0;
}
