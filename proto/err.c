/* err.c: the one table of protocol error codes: wire name, default message,
 * and whether the server closes the connection after sending it.
 * Codes are stable (PROTOCOL.md §5): append rows, never reorder or rename. */
#include <string.h>

#include "bp/err.h"

struct err_row {
    int err;
    const char *code;
    const char *message;
    int fatal;
};

static const struct err_row err_table[] = {
    {BP_E_BAD_JSON, "bad_json", "The message is not a valid JSON object. Send one UTF-8 JSON object per text frame.", 0},
    {BP_E_UNKNOWN_TYPE, "unknown_type", "The message type is not known to this server. Check the protocol version of your client.", 0},
    {BP_E_MISSING_FIELD, "missing_field", "A required field is missing. See proto/PROTOCOL.md for this message's fields.", 0},
    {BP_E_INVALID_FIELD, "invalid_field", "A field has the wrong type, length or format. See proto/PROTOCOL.md for this message's fields.", 0},
    {BP_E_TOO_LARGE, "too_large", "The message is larger than the protocol allows (64 KiB text, 1 MiB binary). The connection is closed.", 1},
    {BP_E_WRONG_STATE, "wrong_state", "This message is not allowed at this point of the connection (hello, then enrol or auth, then join).", 0},
    {BP_E_BAD_SIGNATURE, "bad_signature", "The signature does not verify for this device key and challenge. Reconnect and sign the new challenge.", 0},
    {BP_E_UNKNOWN_TOKEN, "unknown_token", "This enrolment or invite token is not known. Ask the consultant or the administrator for a new link.", 0},
    {BP_E_TOKEN_USED, "token_used", "This token has already been used by another device. Ask for a new link.", 0},
    {BP_E_TOKEN_EXPIRED, "token_expired", "This token has expired. Ask the consultant or the administrator for a new link.", 0},
    {BP_E_NOT_MEMBER, "not_member", "This device is not a member of that bilan. Join with the invite link you were given.", 0},
    {BP_E_ROOM_FULL, "room_full", "The room already has the maximum number of members (4). Try again when someone leaves.", 0},
    {BP_E_RATE_LIMITED, "rate_limited", "Too many failed attempts from your address. Wait a minute before trying again.", 1},
    {BP_E_VERSION, "version_mismatch", "Client and server protocol versions differ. Update the bilan client.", 1},
    {BP_E_UNKNOWN_DEVICE, "unknown_device", "This device is not enrolled on this server. Enrol it first with a token or an invite link.", 0},
    {BP_E_FORBIDDEN, "forbidden", "Your role does not allow this action.", 0},
    {BP_E_BAD_FRAME, "bad_frame", "The binary frame header is invalid (version, kind, flags or length). The frame was dropped.", 0},
    {BP_E_TOO_SLOW, "too_slow", "This connection could not keep up with the room and was closed. Check your network and rejoin.", 1},
    {BP_E_UNKNOWN_BILAN, "unknown_bilan", "No bilan has this identifier.", 0},
    {BP_E_INTERNAL, "internal", "The server hit an internal error. Try again; if it persists, tell the administrator.", 0},
    {BP_E_SHUTDOWN, "shutting_down", "The server is shutting down. Reconnect in a moment.", 1},
    {BP_E_CRYPTO, "crypto", "A cryptographic operation failed.", 1},
    {BP_E_NOMEM, "no_memory", "Out of memory.", 1},
    {BP_E_BAD_LINK, "bad_link", "The link or token could not be read. Copy the whole link you were given.", 0},
    {BP_E_AUTH_TIMEOUT, "auth_timeout", "The connection did not authenticate within 10 seconds and was closed. Check your network and connect again.", 1},
    {BP_E_TOO_MANY_CONNECTIONS, "too_many_connections", "The server has too many connections waiting to sign in and closed this one. Connect again in a moment.", 1},
    {BP_E_TOKEN_REVOKED, "token_revoked", "This invite link was replaced by a newer one. Ask the consultant for the latest link.", 0},
    {BP_E_FLOW, "flow_violation", "You kept sending data after the server asked you to hold (flow hold) and went past the allowance: this frame was not relayed to anyone. Send data again only after flow go.", 0},
    {BP_E_BILAN_CLOSED, "bilan_closed", "This bilan was closed by its consultant: it takes no new session, member, worksheet change, key, consent or declared personal work. Its kept worksheets and its hours can still be read.", 0},
};

_Static_assert(sizeof err_table / sizeof err_table[0] == BP_E_COUNT, "one row per error code");

static const struct err_row *err_find(int err)
{
    for (size_t i = 0; i < sizeof err_table / sizeof err_table[0]; i++)
        if (err_table[i].err == err)
            return &err_table[i];
    return NULL;
}

const char *bp_err_code(int err)
{
    const struct err_row *r = err_find(err);
    return r ? r->code : "internal";
}

const char *bp_err_message(int err)
{
    const struct err_row *r = err_find(err);
    return r ? r->message : "Unknown error.";
}

int bp_err_from_code(const char *code)
{
    for (size_t i = 0; code && i < sizeof err_table / sizeof err_table[0]; i++)
        if (!strcmp(err_table[i].code, code))
            return err_table[i].err;
    return BP_E_INTERNAL;
}

int bp_err_is_fatal(int err)
{
    const struct err_row *r = err_find(err);
    return r ? r->fatal : 0;
}
