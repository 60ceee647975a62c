/* dispatch.h: the one table of control messages a client may send
 * (PROTOCOL.md §2-§9): for each type its handler and the connection states
 * it is allowed in, checked in one place before any handler runs.
 *
 * Owns the routing of a complete text message: parse and validate it
 * against the schema (bp_msg_parse), refuse it (bad_json, unknown_type,
 * missing_field, invalid_field, wrong_state with the row's own message), or
 * hand it to its handler. To add a control message: a type and schema in
 * proto (bp.h, msg.c), a handler in the handle_*.c of its family, a row in
 * dispatch.c.
 *
 * Must never: decide anything a handler decides (roles, quotas, the store);
 * keep the message after the handler returns. */
#ifndef SERVER_DISPATCH_H
#define SERVER_DISPATCH_H

#include <stddef.h>
#include <stdint.h>

#include "conn.h"

/* A handler: c is in an allowed state, msg the validated request (borrowed,
 * valid until the handler returns), ref its ref ("" when none). Answers
 * through conn.h; may mark c (or another connection) closing, never tears
 * anything down. */
typedef void (*dispatch_fn)(struct conn *c, const json_t *msg, const char *ref, struct now now);

/* Bit of enum conn_state in a row's states. */
#define CSM(s) (1u << (s))

struct dispatch_row {
    dispatch_fn fn;              /* NULL: not a message a client may send */
    uint8_t states;              /* CSM() of the states it is allowed in */
    const char *refused;         /* wrong_state message in any other state */
    uint8_t refused_alt_states;  /* ... except in these states, where */
    const char *refused_alt;     /*     this message says what to do instead */
};

/* The row of type t (BP_T_NONE .. BP_T__COUNT-1); a row with fn NULL for a
 * type a client may not send. For tests. */
const struct dispatch_row *dispatch_row_of(enum bp_type t);
/* One complete text message of len bytes from c. Never reads past len. */
void dispatch_text(struct conn *c, const uint8_t *buf, size_t len, struct now now);

#endif
