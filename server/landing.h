/* landing.h: what the server answers to plain HTTPS requests: the French
 * landing page for invite and enrolment links (/j/..., /e/...), /healthz, and
 * 404 for everything else.
 *
 * Owns the routing decision and the embedded page bytes. Pure: the response
 * never depends on whether a token is valid and never contains any part of
 * the request, so it cannot leak or reflect a token. ws.c writes it out with
 * the security headers below. */
#ifndef SERVER_LANDING_H
#define SERVER_LANDING_H

#include <stddef.h>

struct landing_resp {
    unsigned status;
    const char *content_type;
    const unsigned char *body;
    size_t len;
};

/* Response for a GET/HEAD of path (no query string). */
void landing_route(const char *path, struct landing_resp *r);

/* Headers sent with every HTTP response (name, value pairs, NULL-terminated). */
extern const char *const landing_headers[];

#endif
