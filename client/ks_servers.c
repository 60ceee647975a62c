/* ks_servers.c: the servers this device is enrolled with, and their
 * certificate pins, in the key store (see keystore.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <sqlite3.h>

#include "keystore.h"
#include "i18n.h"
#include "keystore_db.h"

#define SERVER_COLS "id, host, port, pin, role, name, device_name, enrolled_at"

static void server_row(sqlite3_stmt *st, struct ks_server *s)
{
    memset(s, 0, sizeof *s);
    s->id = sqlite3_column_int64(st, 0);
    ks__column_text(st, 1, s->host, sizeof s->host);
    s->port = (uint16_t)sqlite3_column_int(st, 2);
    s->has_pin = ks__column_blob32(st, 3, s->pin);
    ks__column_text(st, 4, s->role, sizeof s->role);
    ks__column_text(st, 5, s->name, sizeof s->name);
    ks__column_text(st, 6, s->device_name, sizeof s->device_name);
    s->enrolled_at = sqlite3_column_int64(st, 7);
}

int ks_server_put(struct keystore *ks, struct ks_server *s)
{
    sqlite3_stmt *st;
    int rc =
        ks__prepare(ks,
                    "INSERT INTO servers (host, port, pin, role, name, device_name, enrolled_at)"
                    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
                    " ON CONFLICT (host, port) DO UPDATE SET pin = excluded.pin,"
                    " role = CASE WHEN excluded.role = '' THEN role ELSE excluded.role END,"
                    " name = CASE WHEN excluded.name = '' THEN name ELSE excluded.name END,"
                    " device_name = CASE WHEN excluded.device_name = '' THEN device_name"
                    " ELSE excluded.device_name END"
                    " RETURNING id",
                    &st);
    if (rc)
        return rc;
    if (!s->enrolled_at)
        s->enrolled_at = (long long)time(NULL);
    sqlite3_bind_text(st, 1, s->host, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 2, s->port);
    ks__bind_blob_or_null(st, 3, s->has_pin, s->pin, BP_FP_LEN);
    sqlite3_bind_text(st, 4, s->role, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 5, s->name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 6, s->device_name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 7, s->enrolled_at);
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW)
        s->id = sqlite3_column_int64(st, 0);
    /* RETURNING rows are final only once the statement has run to completion. */
    while (step == SQLITE_ROW)
        step = sqlite3_step(st);
    sqlite3_finalize(st);
    if (step != SQLITE_DONE)
        return ks__fail(ks, _("enregistrement du serveur"));
    return 0;
}

static int server_query(struct keystore *ks, sqlite3_stmt *st, struct ks_server *s)
{
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW)
        server_row(st, s);
    sqlite3_finalize(st);
    if (step == SQLITE_ROW)
        return 0;
    if (step == SQLITE_DONE)
        return KS_NOT_FOUND;
    return ks__fail(ks, _("lecture d'un serveur"));
}

int ks_server_get(struct keystore *ks, const char *host, uint16_t port, struct ks_server *s)
{
    sqlite3_stmt *st;
    int rc =
        ks__prepare(ks, "SELECT " SERVER_COLS " FROM servers WHERE host = ? AND port = ?", &st);
    if (rc)
        return rc;
    sqlite3_bind_text(st, 1, host, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 2, port);
    return server_query(ks, st, s);
}

int ks_server_by_id(struct keystore *ks, long long id, struct ks_server *s)
{
    sqlite3_stmt *st;
    int rc = ks__prepare(ks, "SELECT " SERVER_COLS " FROM servers WHERE id = ?", &st);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, id);
    return server_query(ks, st, s);
}

int ks_server_each(struct keystore *ks, int (*cb)(void *arg, const struct ks_server *s), void *arg)
{
    sqlite3_stmt *st;
    int rc = ks__prepare(ks, "SELECT " SERVER_COLS " FROM servers ORDER BY id", &st);
    if (rc)
        return rc;
    int step;
    struct ks_server s;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        server_row(st, &s);
        if (cb(arg, &s))
            break;
    }
    sqlite3_finalize(st);
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        return ks__fail(ks, _("liste des serveurs"));
    return 0;
}
