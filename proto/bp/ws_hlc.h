/* ws_hlc.h: the hybrid logical clock of worksheet operations
 * (docs/WORKSHEETS.md, "Sheets and operations"): [milliseconds, counter].
 *
 * Owns: the clock's two rules (a local edit, a received operation), the
 * order of two stamps, and what happens when the counter would overflow.
 * Must never: read a clock itself (the caller passes now_ms: proto/ has no
 * clock) or go backwards: every stamp it gives is larger than the last one
 * it gave or received. */
#ifndef BP_WS_HLC_H
#define BP_WS_HLC_H

#include <stdint.h>

#define BP_WS_HLC_COUNTER_MAX 65535u         /* counter < 2^16 */
#define BP_WS_HLC_MS_MAX 9007199254740991ull /* 2^53 - 1: exact in every JSON reader */

struct bp_ws_hlc {
    uint64_t ms;
    uint32_t counter;
};

/* -1, 0 or 1 as a is before, equal to or after b: ms first, then counter. */
int bp_ws_hlc_cmp(const struct bp_ws_hlc *a, const struct bp_ws_hlc *b);

/* A local edit: ms = max(ms, now_ms); counter 0 when ms grew, else + 1.
 * When the counter would pass BP_WS_HLC_COUNTER_MAX, ms moves on by one and
 * the counter is 0 (65,536 edits in one millisecond: the clock runs a
 * little ahead rather than break the order). *stamp (may be c) gets the
 * stamp of the edit. */
void bp_ws_hlc_local(struct bp_ws_hlc *c, uint64_t now_ms, struct bp_ws_hlc *stamp);

/* A received operation stamped r: ms = max(ms, r.ms, now_ms); counter =
 * 1 + the largest counter at that ms among the clock and r, or 0 when
 * neither is at that ms (now_ms alone is the largest). Same overflow rule. */
void bp_ws_hlc_receive(struct bp_ws_hlc *c, const struct bp_ws_hlc *r, uint64_t now_ms);

#endif
