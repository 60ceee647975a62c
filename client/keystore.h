/* keystore.h: the client's local state in <data folder>/client.db (SQLite,
 * WAL, mode 0600 in a 0700 folder): this device's identity keys, the servers
 * it is enrolled with (and their certificate pins), and the bilans it knows
 * (with the invite secret, which never leaves this device except inside an
 * invite link the consultant asks for).
 *
 * Must never: print or log a key, token or secret. Callers get them in
 * structs and are responsible for wiping what they copy.
 *
 * Implemented by keystore.c (the database: open, schema and migrations,
 * close) and one file per domain: ks_identity.c, ks_servers.c, ks_bilans.c
 * (with the invite secrets), ks_peers.c, ks_receipts.c, ks_attend.c.
 *
 * Return convention: 0 on success, KS_NOT_FOUND when a lookup has no row,
 * a negative BP_E_* on failure (with a message on ks_error()). */
#ifndef CLIENT_KEYSTORE_H
#define CLIENT_KEYSTORE_H

#include <stdint.h>

#include "bp/bp.h"

#define KS_NOT_FOUND 1
#define KS_ROLE_MAX 16

/* Bounds on what a server can make this device store (see migration 6). */
#define KS_BILANS_MAX 2000   /* bilans per server */
#define KS_PEERS_MAX 64      /* devices met per bilan */
#define KS_ATTEND_MAX 200    /* observed sessions per bilan */
#define KS_RECEIPTS_MAX 500  /* receipts per bilan */
#define KS_STR_(x) #x
#define KS_STR(x) KS_STR_(x)

struct keystore;

struct ks_server {
    long long id; /* row id, set by ks_server_put */
    char host[BP_HOST_MAX + 1];
    uint16_t port;
    int has_pin; /* 0: trust the system CA store */
    uint8_t pin[BP_FP_LEN];
    char role[KS_ROLE_MAX];     /* device's role on that server, "" if unknown */
    char name[BP_NAME_MAX + 1]; /* consultant name from welcome, or "" */
    char device_name[BP_NAME_MAX + 1];
    long long enrolled_at; /* Unix seconds */
};

struct ks_bilan {
    long long server_id;
    char bilan[BP_ID_MAX + 1];
    char label[BP_LABEL_MAX + 1];
    char role[KS_ROLE_MAX];
    long long budget_s;
    int has_secret; /* invite secret (fragment of the invite link): the newest;
                     * ks_bilan_put also adds it to the bilan's list of secrets */
    uint8_t secret[BP_SECRET_LEN];
    int has_token; /* latest invite token, consultant side, to reprint */
    uint8_t token[BP_TOKEN_LEN];
    long long invite_expires;
    int has_token_hash; /* SHA-256 of the invite token this device redeemed/created */
    uint8_t token_hash[32];
    int redeemed; /* this device redeemed that invite */
};

/* Opens (creating with parents, 0700) the folder dir and client.db in it,
 * applying migrations. On failure returns a negative code and *out is NULL;
 * why (cap bytes) says what failed. */
int ks_open(const char *dir, struct keystore **out, char *why, size_t cap);
void ks_close(struct keystore *ks);
const char *ks_error(const struct keystore *ks);
const char *ks_dir(const struct keystore *ks);

/* Loads this device's identity, generating and storing it on first use when
 * create is set (else KS_NOT_FOUND). *created gets its creation time. The
 * caller wipes id with bp_identity_wipe. */
int ks_identity(struct keystore *ks, int create, struct bp_identity *id, long long *created);

/* Inserts or updates the server with (host, port); sets s->id. */
int ks_server_put(struct keystore *ks, struct ks_server *s);
int ks_server_get(struct keystore *ks, const char *host, uint16_t port, struct ks_server *s);
int ks_server_by_id(struct keystore *ks, long long id, struct ks_server *s);
/* Calls cb for each server in enrolment order; stops early if cb returns non-zero. */
int ks_server_each(struct keystore *ks, int (*cb)(void *arg, const struct ks_server *s), void *arg);

/* Inserts or updates (server_id, bilan). Fields not set (has_* = 0, empty
 * label/role) keep their stored value, so refreshing the list from a
 * welcome never erases a secret. */
int ks_bilan_put(struct keystore *ks, const struct ks_bilan *b);
int ks_bilan_get(struct keystore *ks, long long server_id, const char *bilan, struct ks_bilan *b);
/* The bilan's invite secrets this device knows (every secret ks_bilan_put
 * was given for it), newest first, at most max into out; *n = how many.
 * The caller wipes out. */
int ks_bilan_secrets(struct keystore *ks, long long server_id, const char *bilan,
                     uint8_t (*out)[BP_SECRET_LEN], int max, int *n);
/* The bilan whose invite token hashes to hash, on any server. */
int ks_bilan_by_token_hash(struct keystore *ks, const uint8_t hash[32], struct ks_bilan *b);
/* Calls cb for each bilan (of server_id, or all when server_id is 0). */
int ks_bilan_each(struct keystore *ks, long long server_id,
                  int (*cb)(void *arg, const struct ks_bilan *b), void *arg);

/* A device met in a bilan's room and authenticated there (PROTOCOL.md §8.2).
 * verified: its short code was confirmed on this device (sticky: a later
 * unverified sighting never clears it). Public keys only. */
struct ks_peer {
    long long server_id;
    char bilan[BP_ID_MAX + 1];
    uint8_t device[BP_FP_LEN];
    char role[KS_ROLE_MAX];
    uint8_t sign_pub[BP_KEY_LEN];
    uint8_t dh_pub[BP_KEY_LEN];
    int verified;
    char method[16]; /* "invite", "known", "sas" */
    long long first_seen, verified_at;
};

int ks_peer_put(struct keystore *ks, const struct ks_peer *p);
int ks_peer_each(struct keystore *ks, long long server_id, const char *bilan,
                 int (*cb)(void *arg, const struct ks_peer *p), void *arg);

/* An attendance receipt this device signed (PROTOCOL.md §9.3). record and
 * attestation are JSON texts (bp_record_to_json, bp_attest_to_json); in
 * ks_receipt_each they point into the statement and are valid only during
 * the callback. */
struct ks_receipt {
    long long server_id;
    char bilan[BP_ID_MAX + 1];
    char session[BP_ID_MAX + 1];
    const char *record;
    const char *attestation;
    long long signed_at; /* Unix seconds; 0 in ks_receipt_put: now */
    long long sent_at;   /* 0: the server has not acknowledged it yet */
};

/* Stores (or replaces) the receipt of (server_id, bilan, session). */
int ks_receipt_put(struct keystore *ks, const struct ks_receipt *r);
/* The server acknowledged the receipt of session (receipt_ok). */
int ks_receipt_sent(struct keystore *ks, long long server_id, const char *session);
/* Calls cb for each receipt (of server_id, or all when 0; only the
 * unacknowledged ones when pending_only), oldest first; stops early if cb
 * returns non-zero. */
int ks_receipt_each(struct keystore *ks, long long server_id, int pending_only,
                    int (*cb)(void *arg, const struct ks_receipt *r), void *arg);

/* What this device observed of a session of (server_id, bilan) it took part
 * in (attend.h, as JSON text): kept as it goes, read back when the record
 * of that session arrives on a later visit (PROTOCOL.md §9.3). put replaces;
 * get returns KS_NOT_FOUND when nothing was kept, else a malloc'd copy. */
int ks_attend_put(struct keystore *ks, long long server_id, const char *bilan, const char *session, const char *obs);
int ks_attend_get(struct keystore *ks, long long server_id, const char *bilan, const char *session, char **obs);

/* A bilan's worksheet document key on this device, and the devices this
 * device wrapped it for (PROTOCOL.md §10.2); ks_dockeys.c. The key is
 * secret: callers wipe what they copy (OPENSSL_cleanse). Deleting it is the
 * crypto-shredding of PROTOCOL.md §10.5 (the rows go, freed pages are
 * overwritten: secure_delete, and the write-ahead log is truncated). */
#define KS_KID_LEN 22 /* base64url of 16 bytes */

struct ks_dockey {
    uint8_t key[32];
    char kid[KS_KID_LEN + 1];
    int claimed; /* the server stored it as the bilan's key (our own wrap or one received) */
};

/* 0, KS_NOT_FOUND, or a negative BP_E_* (message on ks_error). */
int ks_dockey_get(struct keystore *ks, long long server_id, const char *bilan, struct ks_dockey *k);
/* Stores (replaces) the bilan's key. */
int ks_dockey_put(struct keystore *ks, long long server_id, const char *bilan, const struct ks_dockey *k);
/* The key and every wrap record of the bilan are deleted (nothing: 0). */
int ks_dockey_delete(struct keystore *ks, long long server_id, const char *bilan);

/* Whether this device already wrapped the bilan's key (kid) for device. */
int ks_dockey_wrapped(struct keystore *ks, long long server_id, const char *bilan, const char *kid,
                      const uint8_t device[BP_FP_LEN]);
int ks_dockey_mark_wrapped(struct keystore *ks, long long server_id, const char *bilan, const char *kid,
                           const uint8_t device[BP_FP_LEN]);

#endif
