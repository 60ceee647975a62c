/* link.h: invite and enrolment links (PROTOCOL.md §2.3), parsed and
 * formatted by link.c. Pure and bounded.
 *
 * Must never: put the fragment (after '#') anywhere but the link itself:
 * the caller decides what goes on the wire. */
#ifndef BP_LINK_H
#define BP_LINK_H

#include <stddef.h>
#include <stdint.h>

#include "bp/err.h"
#include "bp/limits.h"

/* Invite:   https://HOST:PORT/j/<token>#<secret>[.<cert-sha256>]
 * Enrolment https://HOST:PORT/e/<token>[#<cert-sha256>]
 * Bare token: the 43-character base64url token alone (host then comes from
 * the caller's --server). Parsing is pure and bounded. */
enum bp_link_kind { BP_LINK_INVITE = 1, BP_LINK_ENROL = 2, BP_LINK_TOKEN = 3 };
#define BP_HOST_MAX 253
struct bp_link {
    enum bp_link_kind kind;
    char host[BP_HOST_MAX + 1];   /* IPv6 literals without brackets */
    uint16_t port;
    uint8_t token[BP_TOKEN_LEN];
    int has_secret;
    uint8_t secret[BP_SECRET_LEN];
    int has_pin;
    uint8_t pin[BP_FP_LEN];       /* SHA-256 of the server certificate (DER) */
};
/* Returns 0 or BP_E_BAD_LINK with *why saying what part is wrong. A link
 * whose host is not usable (bp_host_usable) is refused. */
int bp_link_parse(const char *s, struct bp_link *l, const char **why);
/* Formats l into out (cap bytes). Returns length, BP_E_TOO_LARGE, or
 * BP_E_BAD_LINK when l->host is not usable: no link names 0.0.0.0. */
int bp_link_format(const struct bp_link *l, char *out, size_t cap);
/* 1 when host (without IPv6 brackets) can be written into a link: not empty,
 * not "*", not an unspecified address (0.0.0.0, ::, 0:0:0:0:0:0:0:0...),
 * which name "every interface" to a server and no server to a client. */
int bp_host_usable(const char *host);

#endif
