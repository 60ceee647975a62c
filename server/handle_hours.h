/* handle_hours.h: handlers of hours, personal_declare, receipt and
 * receipt_refusal (PROTOCOL.md §9.2, §9.3), registered in the dispatch
 * table (dispatch.c), which checks the state first (authenticated). msg is
 * the validated request (borrowed), ref its ref ("" when none). */
#ifndef SERVER_HANDLE_HOURS_H
#define SERVER_HANDLE_HOURS_H

#include "conn.h"

void handle_hours(struct conn *c, const json_t *msg, const char *ref, struct now now);
void handle_personal_declare(struct conn *c, const json_t *msg, const char *ref, struct now now);
void handle_receipt(struct conn *c, const json_t *msg, const char *ref, struct now now);
void handle_receipt_refusal(struct conn *c, const json_t *msg, const char *ref, struct now now);

#endif
