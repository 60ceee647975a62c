/* ks_identity.c: this device's identity keys in the key store (see
 * keystore.h): loaded, or generated and stored on first use.
 *
 * Must never: print or log a private key. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <sqlite3.h>

#include "keystore.h"
#include "i18n.h"
#include "keystore_db.h"

int ks_identity(struct keystore *ks, int create, struct bp_identity *id, long long *created)
{
    sqlite3_stmt *st;
    int rc = ks__prepare(ks, "SELECT sign_priv, dh_priv, created FROM identity WHERE id = 1", &st);
    if (rc)
        return rc;
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        int ok = ks__column_blob32(st, 0, id->sign_priv) && ks__column_blob32(st, 1, id->dh_priv);
        if (created)
            *created = sqlite3_column_int64(st, 2);
        sqlite3_finalize(st);
        if (!ok || bp_identity_derive_public(id)) {
            bp_identity_wipe(id);
            snprintf(ks->err, sizeof ks->err, "%s",
                     _("les clés d'identité de client.db sont abîmées : gardez une copie du "
                       "dossier et demandez de l'aide"));
            return BP_E_CRYPTO;
        }
        return 0;
    }
    sqlite3_finalize(st);
    if (step != SQLITE_DONE)
        return ks__fail(ks, _("lecture de l'identité"));
    if (!create)
        return KS_NOT_FOUND;
    if (bp_identity_generate(id)) {
        snprintf(ks->err, sizeof ks->err, "%s",
                 _("la création des clés d'identité a échoué (OpenSSL)"));
        return BP_E_CRYPTO;
    }
    long long now = (long long)time(NULL);
    rc = ks__prepare(
        ks, "INSERT INTO identity (id, sign_priv, dh_priv, created) VALUES (1, ?, ?, ?)", &st);
    if (rc) {
        bp_identity_wipe(id);
        return rc;
    }
    sqlite3_bind_blob(st, 1, id->sign_priv, BP_KEY_LEN, SQLITE_TRANSIENT);
    sqlite3_bind_blob(st, 2, id->dh_priv, BP_KEY_LEN, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, now);
    step = sqlite3_step(st);
    sqlite3_finalize(st);
    if (step != SQLITE_DONE) {
        bp_identity_wipe(id);
        return ks__fail(ks, _("enregistrement de l'identité"));
    }
    if (created)
        *created = now;
    return 0;
}
