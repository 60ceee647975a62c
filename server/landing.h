/* landing.h: what the server answers to plain HTTPS requests: the French
 * landing page for invite and enrolment links (/j/..., /e/...) and its script
 * (/landing.js), the browser client (webapp.h: /w/..., /web/...), the client package when the administrator put one in
 * DATA/downloads (/downloads/bilan.deb), /healthz, and 404 for everything
 * else.
 *
 * Owns the routing decision and the embedded page bytes. The response never
 * depends on whether a token is valid and never contains any part of the
 * request, so it cannot leak or reflect a token. Everything is pure except
 * /downloads/bilan.deb, which looks in DATA/downloads (landing_init) and
 * opens the newest bilan_*.deb there. ws.c writes the response out with the
 * security headers below. */
#ifndef SERVER_LANDING_H
#define SERVER_LANDING_H

#include <stddef.h>

struct landing_resp {
    unsigned status;
    const char *content_type;
    const unsigned char *body;   /* static bytes, or NULL when fd >= 0 */
    size_t len;                  /* of body, or of the file behind fd */
    /* A file to send instead of body: an open descriptor the caller owns
     * from here on (reads len bytes from offset 0, then closes it); -1: none. */
    int fd;
    char disposition[160];       /* content-disposition value, or "" */
    /* The security headers to send (name, value pairs, NULL-terminated):
     * landing_headers, or the browser client's (webapp.h). */
    const char *const *headers;
};

/* The server's data folder: /downloads/bilan.deb serves the newest
 * DIR/downloads/bilan_*.deb. Without a call (or with NULL) it is a 404.
 * dir is copied. */
void landing_init(const char *data_dir);

/* Response for a GET/HEAD of path (no query string). Sets every field of r. */
void landing_route(const char *path, struct landing_resp *r);

/* Headers of every HTTP response but the browser client's (name, value
 * pairs, NULL-terminated). */
extern const char *const landing_headers[];

#endif
