/* attendance.h: sessions, the presence journal and live hours on the server
 * (PROTOCOL.md §9, docs/JOURNAL.md).
 *
 * Owns the open session of each room (struct hsession, hung on room->session)
 * and every journal write of a session (the personal_declare line is written
 * by handle_hours.c). Decisions take the time from `struct now` (wall
 * milliseconds, now.wall_ms) so that tests drive them with a fake clock.
 *
 * Durability: each journal event is committed (SQLite WAL, synchronous=NORMAL)
 * before the message it causes is queued; a crash loses at most the alive
 * checkpoints not yet due (one every SESSION_ALIVE_MS per present member).
 * Figures come from ledger.h: the open session in memory, ended sessions
 * frozen in the store; nothing here reads a bilan's whole journal.
 *
 * Must never: log notes, signatures or keys; UPDATE or DELETE a journal line;
 * call up into the roster, the lifecycle or the dispatch (it only sends,
 * through conn.h). */
#ifndef SERVER_ATTENDANCE_H
#define SERVER_ATTENDANCE_H

#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "account.h"
#include "ledger.h"
#include "bp/bp.h"
#include "bp/record.h"
#include "server.h"
#include "store.h"

#define SESSION_ALIVE_MS 10000      /* alive checkpoint spacing per present member */
#define SESSION_ALIVE_SLACK_MS 500  /* the 1 s sweep writes once >= 9.5 s passed: every ~10 s */
#define SESSION_UPDATE_MS 30000     /* hours_update while a session is open */
#define SESSION_UNSIGNED_MAX 20     /* records of missed closes sent on one join */
#define SESSION_RETRY_MAX 16        /* departures waiting to be journaled after a store failure */
/* A session whose room emptied without a `leave` (connections lost, reset,
 * closed, replaced), or that a crash left open, stays open this long for
 * its members to come back (PROTOCOL.md §9.1): the client's own reconnection
 * gives up after 2 minutes too. struct server's session_grace_ms overrides it. */
#define SESSION_GRACE_MS 120000

struct conn;
struct room;
struct room_member;

struct hsession {
    char id[BP_ID_MAX + 1];
    char bilan[BP_ID_MAX + 1];
    int phase;                       /* enum bp_phase */
    int64_t start_ms;                /* session_open t */
    int64_t last_t_ms;               /* largest t journaled in this session */
    int64_t last_alive_ms;           /* last alive sweep (or the open) */
    int64_t last_update_ms;          /* last periodic hours_update */
    int64_t join_ms[BP_MAX_MEMBERS]; /* t of the join of the member in each slot */
    uint8_t in_journal;              /* slots whose join is journaled (a failed join is not) */
    /* Departures (leave, lost) the store refused: written again at the next
     * sweep or close, with their own t, so that the journal never keeps a
     * member present who has left. */
    struct store_jev *retry;
    int nretry;
    struct ledger_live live;         /* the session counted in memory, and the bilan's totals */
    /* The room emptied without a `leave` (or the server restarted): the
     * wall time it happened, 0 while someone is present. The sweep closes
     * the session at its last t once the grace has passed. */
    int64_t empty_since_ms;
    int resumed;                     /* left open by the last run; nobody came back yet */
};

/* Called by the roster (roster.c), down: a member joined slot of room. */
void attendance_member_joined(struct server *srv, struct room *room, int slot, struct now now);
/* Called by the roster, down. gone: the member that just left slot
 * (already removed from room); reason as in member_left ("lost": journaled
 * at last_rx_wall_ms, the last sign of life). */
void attendance_member_left(struct server *srv, struct room *room, const struct room_member *gone, int slot,
                            const char *reason, int64_t last_rx_wall_ms, struct now now);
/* Right after c joined its room (joined, then the journal's join): sends c
 * the session_record of each closed session of that bilan in which c's device
 * has a join line and no receipt, the SESSION_UNSIGNED_MAX most recent,
 * oldest first (PROTOCOL.md §9.3). */
void attendance_send_unsigned(struct conn *c, struct now now);
/* Closes the room's session if the room is empty (after a failed rejoin). */
void attendance_room_check_empty(struct server *srv, struct room *room, struct now now);
/* At startup, instead of ending them: every session the last run left open
 * (a crash) is held open in its (empty) room for the grace, its members'
 * presence ended by a `lost` line at their last alive checkpoint, so that
 * their return continues it (one interruption). A session that cannot be
 * resumed is ended as before (server_restart). *n = sessions resumed. */
int attendance_resume_all(struct server *srv, struct now now, int64_t *n);
/* Once a second: alive checkpoints (one transaction), periodic hours_update,
 * and the close of sessions whose room stayed empty past the grace. */
void attendance_sweep(struct server *srv, struct now now);
/* The grace of an emptied session: srv->session_grace_ms or SESSION_GRACE_MS. */
int64_t attendance_grace_ms(const struct server *srv);
/* At shutdown, before rooms_clear: frees every room's open session. The
 * sessions stay open in the store (their members' departures journaled as
 * they left): the next start resumes them (attendance_resume_all). */
void attendance_free_all(struct server *srv);

/* Handlers of session_open and session_close (PROTOCOL.md §9.1), registered
 * in the dispatch table (dispatch.c), which checks the state first (in a
 * room). msg: the validated request (borrowed); ref: its ref or "". */
void attendance_on_open(struct conn *c, const json_t *msg, const char *ref, struct now now);
void attendance_on_close(struct conn *c, const json_t *msg, const char *ref, struct now now);

#endif
