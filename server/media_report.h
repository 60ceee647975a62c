/* media_report.h: the once-a-second media_report to each member sending
 * audio or video (PROTOCOL.md §4.3): for every other member of its room,
 * how many of its video frames the server dropped for that receiver since
 * the last report, how long the oldest audio or video frame waiting in the
 * receiver's queue has waited, and the receiver's queued bytes. What the
 * sender's rate control needs to tell a receiver's slow link from its own.
 *
 * Owns the building of the message (a pure function of the counters) and
 * the reset of the per-sender counters it reports (struct conn media_sent,
 * dropped_for: counted by the relay). Called by the lifecycle's sweep.
 *
 * Must never: change a room or a queue; call up into the lifecycle, the
 * dispatch, the handlers or the roster. */
#ifndef SERVER_MEDIA_REPORT_H
#define SERVER_MEDIA_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "conn.h"

/* What a sender is told about one receiver slot. */
struct media_rx {
    int present;                 /* another member, not closing, is in this slot */
    uint32_t dropped_video;      /* the sender's video dropped for it since the last report */
    int64_t queue_ms;            /* outq_media_wait_ms() of its queue now */
    size_t queued_bytes;         /* its queue's bytes now, all kinds */
    uint32_t rate_kbps;          /* its link's rate while busy (0: unknown, not said) */
};

/* {"type": "media_report", "receivers": [{slot, dropped_video, queue_ms,
 * queued_bytes, rate_kbps (only when known)}, ...]} with one object per present slot, in slot order; NULL
 * when no slot is present (nothing to report) or out of memory. Pure. */
json_t *media_report_build(const struct media_rx rx[BP_MAX_MEMBERS]);
/* Once a second: a media_report to each member in a room that sent audio or
 * video since its last one and has other members; its counters start over
 * (also when it is alone: there was nobody to drop anything for). */
void media_report_sweep(struct server *srv, struct now now);
/* Sooner than the sweep: sender s's video waits long for a receiver (over
 * MEDIA_REPORT_URGENT_MS) or was dropped for one; s gets its report now,
 * at most every MEDIA_REPORT_URGENT_GAP_MS. A sender probing into a
 * receiver's full link learns it within a quarter second, not a second. */
#define MEDIA_REPORT_URGENT_MS 150
#define MEDIA_REPORT_URGENT_GAP_MS 250
void media_report_urgent(struct conn *s, struct now now);

#endif
