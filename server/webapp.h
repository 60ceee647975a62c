/* webapp.h: the browser client (assets/web/, embedded by web_embed.c at
 * build time) as the server hands it out:
 *   GET /w/<token>   the room page (the invite link's fragment, with its
 *                    secret, stays in the browser: the page reads it);
 *   GET /web/<name>  one of the page's files, byte for byte as built.
 * Owns those routes and their security headers: a content security policy
 * with scripts and connections from this server only and no inline script,
 * camera and microphone for this origin only, no framing, no referrer.
 * Pure: answers never depend on anything but the path. */
#ifndef SERVER_WEBAPP_H
#define SERVER_WEBAPP_H

#include <stddef.h>

struct web_asset {
    const char *name;          /* served as /web/<name> */
    const char *content_type;
    const unsigned char *data;
    size_t len;
    const char *sri;           /* "sha384-<base64>", as the page names it */
};

/* Generated (web_embed.c): the files, ended by a {NULL} entry, and the page. */
extern const struct web_asset web_assets[];
extern const unsigned char *const web_page;
extern const size_t web_page_len;

/* One answer of these routes (landing.c copies it into its response). */
struct web_answer {
    const char *content_type;
    const unsigned char *body;
    size_t len;
    const char *const *headers;   /* webapp_headers */
};

/* Fills a and returns 1 when path is one of these routes (status 200),
 * else 0. */
int webapp_route(const char *path, struct web_answer *a);

/* The headers of those answers (name, value pairs, NULL-terminated). */
extern const char *const webapp_headers[];

#endif
