/* room.h: bilan rooms, their four slots and the registry of open rooms
 * (PROTOCOL.md §3.3).
 *
 * Owns struct room and the registry's buckets. A member is an opaque pointer
 * to a connection that the room never dereferences or frees: connections own
 * themselves, rooms only point at them, and whoever removes a member tells its
 * connection. Pure: no I/O, no clock, no lws. */
#ifndef SERVER_ROOM_H
#define SERVER_ROOM_H

#include <stddef.h>
#include <stdint.h>

#include "bp/bp.h"

/* Roles: enum bp_role of bp/vocab.h. */

struct room_member {
    void *conn;                   /* NULL: slot free */
    uint8_t device[BP_FP_LEN];
    enum bp_role role;
    int role_devices;             /* beneficiaries: the bilan's beneficiary devices, as
                                   * counted at the room's last join (0: not known) */
};

struct hsession;                  /* attendance.c: the open session of a room */

struct room {
    struct room *next;            /* registry bucket chain */
    struct hsession *session;     /* open session (PROTOCOL.md §9.1) or NULL; owned (malloc) */
    char bilan[BP_ID_MAX + 1];
    struct room_member m[BP_MAX_MEMBERS];
    int count;
};

#define ROOMS_BUCKETS 256
struct rooms {
    struct room *b[ROOMS_BUCKETS];
    size_t count;
};

/* The room of bilan, or NULL. With create, makes an empty one (NULL only when
 * out of memory). */
struct room *rooms_get(struct rooms *rs, const char *bilan, int create);
/* Frees room if it has no member and no open session; returns 1 when it did. */
int rooms_discard_if_empty(struct rooms *rs, struct room *r);
/* Frees every room (at shutdown, after connections have let go). */
void rooms_clear(struct rooms *rs);

/* Slot of device in r, or -1. */
int room_find_device(const struct room *r, const uint8_t device[BP_FP_LEN]);
/* Puts conn in the lowest free slot and returns it, or BP_E_ROOM_FULL. */
int room_add(struct room *r, void *conn, const uint8_t device[BP_FP_LEN], enum bp_role role);
/* Frees slot; returns the connection that held it (NULL if it was free). */
void *room_remove(struct room *r, int slot);

#endif
