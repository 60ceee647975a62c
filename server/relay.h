/* relay.h: binary frames from a member to the others, and the flow control
 * of data (PROTOCOL.md §4 "Kinds", "Queues").
 *
 * Owns the per-sender and per-receiver flow state of struct conn (hold_mask,
 * blocking, refusing, held_bytes, allowance) and the congestion decisions
 * taken for each receiver. Reads only the 16-byte header of a frame.
 *
 * Must never: read, log or keep a payload; take a member out of its room (a
 * receiver that cannot keep up is told to close, conn_kill, and leaves at
 * the end of the event); call up into the lifecycle, the dispatch, the
 * handlers or the roster. */
#ifndef SERVER_RELAY_H
#define SERVER_RELAY_H

#include <stddef.h>
#include <stdint.h>

#include "conn.h"

/* One complete binary message from s (reassembled by the lifecycle): checked
 * (in a room, a valid header, a kind with a queue class) and copied to every
 * other member with only the sender-slot byte rewritten, each receiver's
 * queue deciding (queue_decide) whether to queue, drop video, hold s's data
 * or cut the receiver (too_slow). Refusals go to s. Never reads past len. */
void relay_frame(struct conn *s, const uint8_t *buf, size_t len, struct now now);
/* c, a receiver holding back senders (c->blocking), just had a message
 * taken from its queue: once it is under half the budget, the senders it
 * held and nobody else holds get flow go. */
void relay_drained(struct conn *c, struct now now);
/* c (in slot of room, or just removed from it) takes no more part in the
 * room's flow control: the senders it held and nobody else holds get go, and
 * its own hold ends with its membership. Idempotent. */
void relay_forget(struct conn *c, struct room *room, int slot, struct now now);

#endif
