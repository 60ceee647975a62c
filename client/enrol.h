/* enrol.h: helpers shared by the commands that talk to a server for the
 * first time (enrol, join with a link) or refresh what it knows. */
#ifndef CLIENT_ENROL_H
#define CLIENT_ENROL_H

#include <jansson.h>

#include "cli.h"

/* Parses a link or bare token plus --server/--pin into l and cfg (cfg points
 * into l). Returns 0 or an exit code with a message printed. */
int cli_server_from_link(const char *arg, const char *opt_server, const char *opt_pin,
                         struct bp_link *l, struct net_cfg *cfg);
/* This machine's host name, printable, at most 64 bytes. */
void cli_default_device_name(char *out, size_t cap);
/* Saves the server of cfg with the role and name of welcome m, and the
 * bilans it lists; *server_id gets the server's row. The pin of cfg is kept
 * only if the connection trusted the server by it (cfg->trusted_by): a
 * CA-trusted server is never pinned. 0 or an exit code. */
int cli_store_welcome(struct app *a, const struct net_cfg *cfg, const char *device_name,
                      const json_t *m, long long *server_id);
/* The connection to srv (a server of the store) was trusted by CA: forget
 * a pin it may have (an older link's), so that nothing prints or relies on
 * it again (PROTOCOL.md §1.1). Failures are warnings. */
void cli_trust_seen(struct app *a, const struct ks_server *srv, enum net_trust t);
/* Saves an array of bilan objects (from welcome or bilans). */
int cli_store_bilans(struct app *a, long long server_id, const json_t *arr);
/* The worksheets of every bilan of arr that is closed are shredded on this
 * device (PROTOCOL.md §10.5: all but the kept sheets; all and the key when
 * none is kept or it was purged). A failure is said on stderr. */
void cli_shred_closed(struct app *a, long long server_id, const json_t *arr);

#endif
