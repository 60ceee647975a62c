/* test_room.c: server/room.c — lowest free slot, room_full at 4, finding a
 * device for replacement, and the registry discarding empty rooms. */
#include <string.h>

#include "../check.h"
#include "room.h"

int main(void)
{
    struct rooms rs;
    memset(&rs, 0, sizeof rs);
    int conns[6];
    uint8_t dev[6][BP_FP_LEN];
    for (int i = 0; i < 6; i++)
        memset(dev[i], i + 1, BP_FP_LEN);

    CHECK(rooms_get(&rs, "bA", 0) == NULL);
    struct room *r = rooms_get(&rs, "bA", 1);
    CHECK(r != NULL);
    if (!r)
        return check_report();
    CHECK(rooms_get(&rs, "bA", 1) == r);
    CHECK_EQ_INT(rs.count, 1);

    CHECK_EQ_INT(room_add(r, &conns[0], dev[0], BP_ROLE_CONSULTANT), 0);
    CHECK_EQ_INT(room_add(r, &conns[1], dev[1], BP_ROLE_BENEFICIARY), 1);
    CHECK_EQ_INT(room_add(r, &conns[2], dev[2], BP_ROLE_BENEFICIARY), 2);
    CHECK_EQ_INT(room_add(r, &conns[3], dev[3], BP_ROLE_CONSULTANT), 3);
    CHECK_EQ_INT(room_add(r, &conns[4], dev[4], BP_ROLE_BENEFICIARY), BP_E_ROOM_FULL);
    CHECK_EQ_INT(r->count, 4);

    /* Lowest free slot after a departure. */
    CHECK(room_remove(r, 1) == &conns[1]);
    CHECK(room_remove(r, 1) == NULL);
    CHECK_EQ_INT(r->count, 3);
    CHECK_EQ_INT(room_find_device(r, dev[1]), -1);
    CHECK_EQ_INT(room_find_device(r, dev[2]), 2);
    CHECK_EQ_INT(room_add(r, &conns[4], dev[4], BP_ROLE_BENEFICIARY), 1);

    /* Replacement: the same device is found, removed, re-added (slot reused). */
    int old = room_find_device(r, dev[2]);
    CHECK_EQ_INT(old, 2);
    CHECK(room_remove(r, old) == &conns[2]);
    CHECK_EQ_INT(room_add(r, &conns[5], dev[2], BP_ROLE_BENEFICIARY), 2);
    CHECK(r->m[2].conn == &conns[5]);
    CHECK_EQ_INT(r->m[2].role, BP_ROLE_BENEFICIARY);

    /* A non-empty room is kept; an empty one discarded. */
    CHECK_EQ_INT(rooms_discard_if_empty(&rs, r), 0);
    for (int i = 0; i < BP_MAX_MEMBERS; i++)
        room_remove(r, i);
    CHECK_EQ_INT(r->count, 0);
    CHECK_EQ_INT(rooms_discard_if_empty(&rs, r), 1);
    CHECK_EQ_INT(rs.count, 0);
    CHECK(rooms_get(&rs, "bA", 0) == NULL);

    /* Many rooms, bucket chains, and clear. */
    char id[16];
    for (int i = 0; i < 1000; i++) {
        snprintf(id, sizeof id, "b%d", i);
        CHECK(rooms_get(&rs, id, 1) != NULL);
    }
    CHECK_EQ_INT(rs.count, 1000);
    CHECK(rooms_get(&rs, "b517", 0) != NULL && !strcmp(rooms_get(&rs, "b517", 0)->bilan, "b517"));
    rooms_clear(&rs);
    CHECK_EQ_INT(rs.count, 0);

    CHECK_EQ_INT(bp_role_parse("consultant", strlen("consultant")), BP_ROLE_CONSULTANT);
    CHECK_EQ_INT(bp_role_parse("beneficiary", strlen("beneficiary")), BP_ROLE_BENEFICIARY);
    CHECK_EQ_INT(bp_role_parse("admin", strlen("admin")), BP_ROLE_NONE);
    CHECK_STR(bp_role_name(BP_ROLE_BENEFICIARY), "beneficiary");
    return check_report();
}
