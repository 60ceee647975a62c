/* dispatch.c: the table of control messages (see dispatch.h).
 *
 * A row says which states a message is allowed in and what a client is told
 * in the others (wrong_state, not fatal: PROTOCOL.md §5); the messages are
 * part of the protocol's behaviour (tests read them), so a row carries its
 * own. Handlers start after the check: none of them tests the state again.
 *
 * Must never: grow a switch on the type; call a handler for a state its row
 * does not allow. */
#include <string.h>

#include "attendance.h"
#include "dispatch.h"
#include "handle_auth.h"
#include "handle_bilan.h"
#include "handle_close.h"
#include "handle_e2e.h"
#include "handle_hours.h"
#include "handle_sheet_keys.h"
#include "handle_sheets.h"
#include "handle_media.h"
#include "handle_room.h"

#define PREAUTH (CSM(CS_NEW) | CSM(CS_CHALLENGED))
#define AUTHED (CSM(CS_AUTHED) | CSM(CS_IN_ROOM))
#define IN_ROOM CSM(CS_IN_ROOM)
#define AUTH_FIRST "authenticate first (hello, then enrol or auth)"
#define NOT_IN_ROOM "not in a room"

static const struct dispatch_row ROWS[BP_T__COUNT] = {
    /* Handshake (PROTOCOL.md §2.2). */
    [BP_T_HELLO] = {handle_hello, PREAUTH, "hello is only allowed before authentication", 0, NULL},
    [BP_T_ENROL] = {handle_enrol, CSM(CS_CHALLENGED), "this connection is already authenticated", CSM(CS_NEW),
                    "send hello first, then sign the challenge"},
    [BP_T_AUTH] = {handle_auth, CSM(CS_CHALLENGED), "this connection is already authenticated", CSM(CS_NEW),
                   "send hello first, then sign the challenge"},
    /* Bilans (§3.1) and this connection's figures (§4). */
    [BP_T_BILAN_CREATE] = {handle_bilan_create, AUTHED, AUTH_FIRST, 0, NULL},
    [BP_T_INVITE_CREATE] = {handle_invite_create, AUTHED, AUTH_FIRST, 0, NULL},
    [BP_T_BILAN_LIST] = {handle_bilan_list, AUTHED, AUTH_FIRST, 0, NULL},
    [BP_T_STATS] = {handle_stats, IN_ROOM, NOT_IN_ROOM, 0, NULL},
    /* Rooms (§3.3). */
    [BP_T_JOIN] = {handle_join, CSM(CS_AUTHED), AUTH_FIRST, CSM(CS_IN_ROOM), "already in a room: send leave first"},
    [BP_T_LEAVE] = {handle_leave, IN_ROOM, NOT_IN_ROOM, 0, NULL},
    /* Media control (§4.3). */
    [BP_T_KEYFRAME_WANT] = {handle_keyframe_want, IN_ROOM, NOT_IN_ROOM, 0, NULL},
    [BP_T_CLOCK] = {handle_clock, AUTHED, AUTH_FIRST, 0, NULL},
    /* End to end (§8.1). */
    [BP_T_E2E] = {handle_e2e, IN_ROOM, "e2e messages are only relayed after join", 0, NULL},
    /* Sessions, hours and receipts (§9). */
    [BP_T_SESSION_OPEN] = {attendance_on_open, IN_ROOM, "join the bilan's room before opening a session", 0, NULL},
    [BP_T_SESSION_CLOSE] = {attendance_on_close, IN_ROOM, NOT_IN_ROOM, 0, NULL},
    [BP_T_HOURS] = {handle_hours, AUTHED, AUTH_FIRST, 0, NULL},
    [BP_T_PERSONAL_DECLARE] = {handle_personal_declare, AUTHED, AUTH_FIRST, 0, NULL},
    [BP_T_RECEIPT] = {handle_receipt, AUTHED, AUTH_FIRST, 0, NULL},
    [BP_T_RECEIPT_REFUSAL] = {handle_receipt_refusal, AUTHED, AUTH_FIRST, 0, NULL},
    /* Worksheets (§10): in the room or not (a device catches up on connect). */
    [BP_T_SHEET_PUSH] = {handle_sheet_push, AUTHED, AUTH_FIRST, 0, NULL},
    [BP_T_SHEET_PULL] = {handle_sheet_pull, AUTHED, AUTH_FIRST, 0, NULL},
    [BP_T_SHEET_KEY_PUT] = {handle_sheet_key_put, AUTHED, AUTH_FIRST, 0, NULL},
    [BP_T_SHEET_KEY_GET] = {handle_sheet_key_get, AUTHED, AUTH_FIRST, 0, NULL},
    [BP_T_SHEET_CONSENT] = {handle_sheet_consent, AUTHED, AUTH_FIRST, 0, NULL},
    [BP_T_BILAN_CLOSE] = {handle_bilan_close, AUTHED, AUTH_FIRST, 0, NULL},
};

const struct dispatch_row *dispatch_row_of(enum bp_type t)
{
    static const struct dispatch_row none;
    return (unsigned)t < BP_T__COUNT ? &ROWS[t] : &none;
}

void dispatch_text(struct conn *c, const uint8_t *buf, size_t len, struct now now)
{
    enum bp_type type = BP_T_NONE;
    json_t *msg = NULL;
    struct bp_verr e;
    char ref[BP_REF_MAX + 1];
    memset(&e, 0, sizeof e);
    int rc = bp_msg_parse((const char *)buf, len, BP_TO_SERVER, &type, &msg, &e, ref);
    if (rc) {
        conn_send_error(c, rc, e.detail, ref, now);
        return;
    }
    const struct dispatch_row *row = dispatch_row_of(type);
    if (!row->fn)
        conn_send_error(c, BP_E_UNKNOWN_TYPE, NULL, ref, now);
    else if (!(row->states & CSM(c->state)))
        conn_send_error(c, BP_E_WRONG_STATE,
                        row->refused_alt_states & CSM(c->state) ? row->refused_alt : row->refused, ref, now);
    else
        row->fn(c, msg, ref, now);
    json_decref(msg);
}
