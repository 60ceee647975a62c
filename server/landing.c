/* landing.c: routes plain HTTPS requests. The page itself is
 * assets/landing/index.html, embedded at build time (embed.cmake). */
#include <string.h>

#include "landing.h"

extern const unsigned char landing_html[];
extern const size_t landing_html_len;

static const char health[] = "ok\n";
static const char not_found[] = "404 not found\n";
static const char ws_only[] = "This endpoint speaks WebSocket (subprotocol bilan.v1) only.\n";

const char *const landing_headers[] = {
    "content-security-policy:", "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    "referrer-policy:", "no-referrer",
    "x-content-type-options:", "nosniff",
    "cache-control:", "no-store",
    "x-frame-options:", "DENY",
    NULL, NULL,
};

/* A link path: prefix then at least one character and no further '/'. */
static int link_path(const char *path, const char *prefix)
{
    size_t n = strlen(prefix);
    return !strncmp(path, prefix, n) && path[n] && !strchr(path + n, '/');
}

void landing_route(const char *path, struct landing_resp *r)
{
    if (!path)
        path = "";
    if (link_path(path, "/j/") || link_path(path, "/e/")) {
        r->status = 200;
        r->content_type = "text/html; charset=utf-8";
        r->body = landing_html;
        r->len = landing_html_len;
    } else if (!strcmp(path, "/healthz")) {
        r->status = 200;
        r->content_type = "text/plain; charset=utf-8";
        r->body = (const unsigned char *)health;
        r->len = sizeof health - 1;
    } else if (!strcmp(path, "/ws")) {
        r->status = 426;
        r->content_type = "text/plain; charset=utf-8";
        r->body = (const unsigned char *)ws_only;
        r->len = sizeof ws_only - 1;
    } else {
        r->status = 404;
        r->content_type = "text/plain; charset=utf-8";
        r->body = (const unsigned char *)not_found;
        r->len = sizeof not_found - 1;
    }
}
