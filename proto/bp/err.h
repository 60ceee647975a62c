/* err.h: the stable error codes of the protocol (PROTOCOL.md §5), their
 * wire names, default messages and fatality (the table is err.c), and the
 * report a validation fills.
 *
 * Must never: renumber or rename a code: append only. */
#ifndef BP_ERR_H
#define BP_ERR_H

enum bp_err {
    BP_OK = 0,
    BP_E_BAD_JSON = -1,        /* "bad_json" */
    BP_E_UNKNOWN_TYPE = -2,    /* "unknown_type" */
    BP_E_MISSING_FIELD = -3,   /* "missing_field" */
    BP_E_INVALID_FIELD = -4,   /* "invalid_field" */
    BP_E_TOO_LARGE = -5,       /* "too_large" */
    BP_E_WRONG_STATE = -6,     /* "wrong_state" */
    BP_E_BAD_SIGNATURE = -7,   /* "bad_signature" */
    BP_E_UNKNOWN_TOKEN = -8,   /* "unknown_token" */
    BP_E_TOKEN_USED = -9,      /* "token_used" */
    BP_E_TOKEN_EXPIRED = -10,  /* "token_expired" */
    BP_E_NOT_MEMBER = -11,     /* "not_member" */
    BP_E_ROOM_FULL = -12,      /* "room_full" */
    BP_E_RATE_LIMITED = -13,   /* "rate_limited" */
    BP_E_VERSION = -14,        /* "version_mismatch" */
    BP_E_UNKNOWN_DEVICE = -15, /* "unknown_device" */
    BP_E_FORBIDDEN = -16,      /* "forbidden" */
    BP_E_BAD_FRAME = -17,      /* "bad_frame" */
    BP_E_TOO_SLOW = -18,       /* "too_slow" */
    BP_E_UNKNOWN_BILAN = -19,  /* "unknown_bilan" */
    BP_E_INTERNAL = -20,       /* "internal" */
    BP_E_SHUTDOWN = -21,       /* "shutting_down" */
    BP_E_CRYPTO = -22,         /* local only: an OpenSSL call failed */
    BP_E_NOMEM = -23,          /* local only */
    BP_E_BAD_LINK = -24,       /* local only: a link or token did not parse */
    BP_E_AUTH_TIMEOUT = -25,   /* "auth_timeout" */
    BP_E_TOO_MANY_CONNECTIONS = -26, /* "too_many_connections" */
    BP_E_TOKEN_REVOKED = -27, /* "token_revoked": an invite replaced by a newer one */
    /* -28: reserved (invites and certificates) */
    BP_E_FLOW = -29,           /* "flow_violation": data past the allowance of a flow hold */
    BP_E_BILAN_CLOSED = -30,   /* "bilan_closed": the bilan was closed (PROTOCOL.md §10.4) */
};
#define BP_E_COUNT 29              /* rows in err.c's table, not the lowest code */

/* Wire name of a code ("bad_json"...), or "internal" for an unknown value. */
const char *bp_err_code(int err);
/* Default English explanation, saying what was wrong and what to do. Static. */
const char *bp_err_message(int err);
/* Code from a wire name; BP_E_INTERNAL if unknown (never 0). */
int bp_err_from_code(const char *code);
/* Whether the server closes the connection after sending this error. */
int bp_err_is_fatal(int err);

/* Result of a failed validation: the code, and a human detail naming the
 * offending field ("missing field 'token' in 'enrol'"). */
struct bp_verr {
    int code;
    char detail[160];
};

#endif
