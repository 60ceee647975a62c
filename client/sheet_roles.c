/* sheet_roles.c: the roles of the devices authenticated in a bilan's room
 * (sheet_roles.h). A fixed table of KS_PEERS_MAX: a device past it keeps
 * the role the server lists. */
#include "sheet_roles.h"

#include <string.h>

#include "bp/vocab.h"

void sheet_roles_note(struct sheet_roles *r, const uint8_t fp[BP_FP_LEN], int role)
{
    int i = 0;
    while (i < r->n && memcmp(r->v[i].fp, fp, BP_FP_LEN))
        i++;
    if (role == BP_ROLE_NONE || (i == r->n && r->n == KS_PEERS_MAX))
        return;
    memcpy(r->v[i].fp, fp, BP_FP_LEN);
    r->v[i].role = role;
    r->n += i == r->n;
}

static int load_cb(void *arg, const struct ks_peer *p)
{
    sheet_roles_note(arg, p->device, bp_role_parse(p->role, strlen(p->role)));
    return 0;
}

void sheet_roles_load(struct sheet_roles *r, struct keystore *ks, long long server_id, const char *bilan)
{
    ks_peer_each(ks, server_id, bilan, load_cb, r);
}

int sheet_roles_of(const struct sheet_roles *r, const uint8_t fp[BP_FP_LEN], int listed)
{
    for (int i = 0; i < r->n; i++)
        if (!memcmp(r->v[i].fp, fp, BP_FP_LEN))
            return r->v[i].role;
    return listed;
}
