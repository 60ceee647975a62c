/* room.c: slots and the registry of open rooms. A room exists while it has a
 * member: it is made by the first join and discarded by the last leave, so
 * the registry's size follows the number of live connections, never the
 * number of bilans in the store. */
#include <stdlib.h>
#include <string.h>

#include "room.h"

static unsigned bucket(const char *s)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 16777619u;
    return h % ROOMS_BUCKETS;
}

struct room *rooms_get(struct rooms *rs, const char *bilan, int create)
{
    unsigned b = bucket(bilan);
    for (struct room *r = rs->b[b]; r; r = r->next)
        if (!strcmp(r->bilan, bilan))
            return r;
    if (!create || strlen(bilan) > BP_ID_MAX)
        return NULL;
    struct room *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    strcpy(r->bilan, bilan);
    r->next = rs->b[b];
    rs->b[b] = r;
    rs->count++;
    return r;
}

int rooms_discard_if_empty(struct rooms *rs, struct room *r)
{
    if (r->count || r->session)
        return 0;
    struct room **pp = &rs->b[bucket(r->bilan)];
    while (*pp && *pp != r)
        pp = &(*pp)->next;
    if (*pp) {
        *pp = r->next;
        rs->count--;
    }
    free(r);
    return 1;
}

void rooms_clear(struct rooms *rs)
{
    for (unsigned i = 0; i < ROOMS_BUCKETS; i++) {
        struct room *r = rs->b[i];
        while (r) {
            struct room *next = r->next;
            free(r->session);
            free(r);
            r = next;
        }
        rs->b[i] = NULL;
    }
    rs->count = 0;
}

int room_find_device(const struct room *r, const uint8_t device[BP_FP_LEN])
{
    for (int i = 0; i < BP_MAX_MEMBERS; i++)
        if (r->m[i].conn && !memcmp(r->m[i].device, device, BP_FP_LEN))
            return i;
    return -1;
}

int room_add(struct room *r, void *conn, const uint8_t device[BP_FP_LEN], enum bp_role role)
{
    for (int i = 0; i < BP_MAX_MEMBERS; i++) {
        if (!r->m[i].conn) {
            r->m[i].conn = conn;
            memcpy(r->m[i].device, device, BP_FP_LEN);
            r->m[i].role = role;
            r->m[i].role_devices = 0;
            r->count++;
            return i;
        }
    }
    return BP_E_ROOM_FULL;
}

void *room_remove(struct room *r, int slot)
{
    if (slot < 0 || slot >= BP_MAX_MEMBERS || !r->m[slot].conn)
        return NULL;
    void *c = r->m[slot].conn;
    memset(&r->m[slot], 0, sizeof r->m[slot]);
    r->count--;
    return c;
}
