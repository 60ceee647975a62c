/* purge.h: the purge of closed bilans (PROTOCOL.md §10.4): one year
 * (PURGE_AFTER_S) after its close, a bilan's kept operations, key wraps,
 * key id and consent are deleted and it is marked purged. Run by serve at
 * start and every 24 h (purge_tick, from the once-a-second sweep), and by
 * `bilan-server purge` (cmd_purge.c). */
#ifndef SERVER_PURGE_H
#define SERVER_PURGE_H

#include <stdint.h>

#include "server.h"
#include "store.h"

#define PURGE_AFTER_S (365LL * 86400)
#define PURGE_EVERY_S 86400
/* --test-clock-offset (serve, purge; tests only) moves the clock by at most 10 years. */
#define PURGE_TEST_CLOCK_MAX_S 315360000LL

struct purge_totals {
    int64_t bilans, ops, bytes, wraps, consents;
};

/* Called after each bilan purged, with what was deleted. */
typedef void (*purge_cb)(void *arg, const char *bilan, int64_t closed, const struct store_sheet_counts *n);

/* Purges every bilan closed at or before now - PURGE_AFTER_S, each in its
 * own transaction; cb (may be NULL) hears of each, *t sums them. 0, or
 * BP_E_INTERNAL when the store failed (the bilans purged before stay so). */
int purge_run(const struct store_ops *ops, struct store *st, int64_t now, purge_cb cb, void *arg,
              struct purge_totals *t);

/* In serve: runs the purge when srv->purge_next_s has come (on the server's
 * clock, server_clock_s), logs what it deleted, and sets the next. */
void purge_tick(struct server *srv, struct now now);

#endif
