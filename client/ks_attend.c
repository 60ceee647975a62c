/* ks_attend.c: what this device observed of each session it took part in
 * (attend.h, as JSON text), in the key store (see keystore.h), read back
 * when a record arrives on a later visit (PROTOCOL.md §9.3). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <sqlite3.h>

#include "keystore.h"
#include "i18n.h"
#include "keystore_db.h"

int ks_attend_put(struct keystore *ks, long long server_id, const char *bilan, const char *session,
                  const char *obs)
{
    sqlite3_stmt *st;
    int rc =
        ks__prepare(ks,
                    "INSERT INTO sessions_taken (server_id, bilan, session, seen_at, obs)"
                    " VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO UPDATE SET obs = excluded.obs",
                    &st);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, server_id);
    sqlite3_bind_text(st, 2, bilan, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, session, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 4, (long long)time(NULL));
    sqlite3_bind_text(st, 5, obs, -1, SQLITE_TRANSIENT);
    int step = sqlite3_step(st);
    sqlite3_finalize(st);
    return step == SQLITE_DONE ? 0 : ks__fail(ks, _("enregistrement de ce que cet appareil a vu d'une séance"));
}

int ks_attend_get(struct keystore *ks, long long server_id, const char *bilan, const char *session,
                  char **obs)
{
    sqlite3_stmt *st;
    *obs = NULL;
    int rc = ks__prepare(
        ks,
        "SELECT obs FROM sessions_taken WHERE server_id = ?1 AND bilan = ?2 AND session = ?3"
        " AND obs IS NOT NULL",
        &st);
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, server_id);
    sqlite3_bind_text(st, 2, bilan, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, session, -1, SQLITE_TRANSIENT);
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text(st, 0);
        *obs = t ? strdup(t) : NULL;
        rc = *obs ? 0 : BP_E_NOMEM;
    } else {
        rc = step == SQLITE_DONE ? KS_NOT_FOUND
                                 : ks__fail(ks, _("lecture de ce que cet appareil a vu d'une séance"));
    }
    sqlite3_finalize(st);
    return rc;
}
