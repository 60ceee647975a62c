/* webapp.c: routes of the browser client (see webapp.h). */
#include <string.h>

#include "webapp.h"

/* What the page may do: scripts, styles and fonts from this server only
 * (each module under subresource integrity, none inline), connections to
 * this server only (its WebSocket), pictures and sound from what it makes
 * itself (blob:, the camera's stream), no plugin, no form, no frame, and
 * DOM sinks behind Trusted Types, which the client never needs (it writes
 * text, never HTML). */
const char *const webapp_headers[] = {
    "content-security-policy:",
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
    "media-src 'self' blob: mediastream:; connect-src 'self'; worker-src 'self'; font-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'; require-trusted-types-for 'script'",
    "permissions-policy:", "camera=(self), microphone=(self), display-capture=(), geolocation=()",
    "cross-origin-opener-policy:", "same-origin",
    "referrer-policy:", "no-referrer",
    "x-content-type-options:", "nosniff",
    "cache-control:", "no-store",
    "x-frame-options:", "DENY",
    NULL, NULL,
};

/* <token>: one or more characters and no '/'. */
static int token_path(const char *path)
{
    return !strncmp(path, "/w/", 3) && path[3] && !strchr(path + 3, '/');
}

int webapp_route(const char *path, struct web_answer *a)
{
    if (!path)
        return 0;
    if (token_path(path)) {
        a->content_type = "text/html; charset=utf-8";
        a->body = web_page;
        a->len = web_page_len;
        a->headers = webapp_headers;
        return 1;
    }
    if (strncmp(path, "/web/", 5))
        return 0;
    for (const struct web_asset *w = web_assets; w->name; w++)
        if (!strcmp(path + 5, w->name)) {
            a->content_type = w->content_type;
            a->body = w->data;
            a->len = w->len;
            a->headers = webapp_headers;
            return 1;
        }
    return 0;
}
