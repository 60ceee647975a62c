/* quota.h: per-device quotas on the requests that write the journal or read
 * the hours (PROTOCOL.md §9.2): `join` (each join and leave of an open
 * session is journaled), `personal_declare` and `hours`. A request over its
 * quota gets the non-fatal `rate_limited` error, saying when to try again.
 *
 * Owns a fixed table of QUOTA_SLOTS devices: memory never grows. A device is
 * an enrolled key (an attacker cannot make new ones without invites), so a
 * full table of devices still inside their windows is not expected; if it
 * happens, the entry seen least recently is reused (its counts restart), and
 * the journal still cannot grow faster than QUOTA_SLOTS times the limits.
 * Pure: time is passed in (milliseconds). */
#ifndef SERVER_QUOTA_H
#define SERVER_QUOTA_H

#include <stdint.h>

#include "bp/bp.h"

#define QUOTA_SLOTS 1024

enum quota_kind {
    QUOTA_JOIN, QUOTA_HOURS, QUOTA_DECLARE, QUOTA_SHEET_PUSH, QUOTA_SHEET_PULL, QUOTA_SHEET_KEY, QUOTA_CONSENT,
    QUOTA_KINDS
};

struct quota_limit {
    uint32_t max;       /* requests allowed per window */
    int64_t window_ms;
    const char *what;   /* for messages: "room joins", ... */
};

/* The limits (PROTOCOL.md §9.2 states them). */
extern const struct quota_limit quota_limits[QUOTA_KINDS];

struct quota_entry {
    uint8_t device[BP_FP_LEN];
    int used;
    int64_t last_ms;
    int64_t window_start[QUOTA_KINDS];
    uint32_t count[QUOTA_KINDS];
};

struct quota {
    struct quota_entry e[QUOTA_SLOTS];
    uint32_t max[QUOTA_KINDS]; /* 0: quota_limits[kind].max (a server option may raise one) */
};

/* Counts one request of kind by device and returns 0, or returns 1 without
 * counting when the device has used its quota; *retry_s (when not NULL)
 * gets the seconds until its window ends. */
int quota_take(struct quota *q, const uint8_t device[BP_FP_LEN], enum quota_kind kind, int64_t now_ms,
               int *retry_s);

#endif
