/* handle_bilan.h: handlers of bilan_create, invite_create, bilan_list and
 * stats (PROTOCOL.md §3.1, §4), registered in the dispatch table
 * (dispatch.c), which checks the state first. msg is the validated request
 * (borrowed), ref its ref ("" when none). */
#ifndef SERVER_HANDLE_BILAN_H
#define SERVER_HANDLE_BILAN_H

#include "conn.h"

void handle_bilan_create(struct conn *c, const json_t *msg, const char *ref, struct now now);
void handle_invite_create(struct conn *c, const json_t *msg, const char *ref, struct now now);
void handle_bilan_list(struct conn *c, const json_t *msg, const char *ref, struct now now);
void handle_stats(struct conn *c, const json_t *msg, const char *ref, struct now now);

/* Adds "bilans": [...] (c's device's bilans, newest first, at most
 * BILANS_LIST_MAX and under 56 KiB of JSON) to o
 * (welcome, bilans). On a store failure the list is empty and the failure
 * logged: a welcome is still worth more than an error. o NULL: nothing. */
void handle_bilan_list_fill(struct conn *c, json_t *o);

#endif
