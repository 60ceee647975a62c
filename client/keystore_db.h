/* keystore_db.h: what the key store's domain files (ks_*.c) share with its
 * core (keystore.c): the handle and the statement helpers. Private to the
 * key store: no other file includes it.
 *
 * keystore.c owns the database (open, schema and migrations, close); each
 * ks_*.c owns the queries of one domain (identity, servers, bilans, peers,
 * receipts, attendance) and declares nothing of its own: the public API is
 * keystore.h. A new domain (the worksheet replica) is a migration in
 * keystore.c and a ks_*.c file here.
 *
 * Deliberately does not include keystore.h: the core includes this header,
 * the domain files include both, so nothing points back at the core. */
#ifndef CLIENT_KEYSTORE_DB_H
#define CLIENT_KEYSTORE_DB_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

struct keystore {
    sqlite3 *db;
    char dir[4096];
    char err[512];
};

/* Records "what: SQLite's message" as the store's error; returns BP_E_INTERNAL. */
int ks__fail(struct keystore *ks, const char *what);
/* Prepares sql into *st: 0, or ks__fail's code. */
int ks__prepare(struct keystore *ks, const char *sql, sqlite3_stmt **st);
/* Binds n bytes of p (copied) when has, else NULL. */
void ks__bind_blob_or_null(sqlite3_stmt *st, int i, int has, const uint8_t *p, int n);
/* Copies a 32-byte BLOB column into out: 1, or 0 when it is NULL or another size. */
int ks__column_blob32(sqlite3_stmt *st, int i, uint8_t out[32]);
/* Copies a TEXT column into out (cap bytes, "" when NULL). */
void ks__column_text(sqlite3_stmt *st, int i, char *out, size_t cap);
/* Runs one statement with (server_id, bilan) bound as ?1 and ?2 (a row it
 * returns is ignored): 0, or ks__fail's code with what. */
int ks__exec_bilan(struct keystore *ks, const char *sql, long long server_id, const char *bilan,
                   const char *what);

#endif
