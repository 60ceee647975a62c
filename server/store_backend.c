/* store_backend.c: the one place that chooses the store's backend.
 *
 * Owns the list of backends compiled into this build, the first being the
 * default. A second backend (PostgreSQL) is one more row here, behind its own
 * build option; nothing else in the server names a backend.
 *
 * Must never: open a store (store_open does, after checking the table). */
#include <stdio.h>
#include <string.h>

#include "store.h"

static const struct store_ops *const backends[] = {
    &store_sqlite, /* the default */
};
#define NBACKENDS (sizeof backends / sizeof backends[0])

const struct store_ops *store_backend(const char *name, char *why, size_t why_len)
{
    if (!name || !name[0])
        return backends[0];
    for (size_t i = 0; i < NBACKENDS; i++)
        if (!strcmp(backends[i]->name, name))
            return backends[i];
    if (why && why_len) {
        /* The names this build has, so that the message says what to write. */
        size_t n = (size_t)snprintf(why, why_len, "unknown store backend '%s' (this build has:", name);
        for (size_t i = 0; i < NBACKENDS && n < why_len; i++)
            n += (size_t)snprintf(why + n, why_len - n, " %s", backends[i]->name);
        if (n < why_len)
            snprintf(why + n, why_len - n, ")");
    }
    return NULL;
}
