/* landing.c: routes plain HTTPS requests. The page and its script are
 * assets/landing/index.html and landing.js, embedded at build time
 * (embed.cmake). The script builds the page's `bilan:` link and command from
 * the address bar, fragment included, inside the browser: the server never
 * sees the fragment and never needs to.
 *
 * The one route that touches the disk is the client package: the newest
 * DATA/downloads/bilan_*.deb (by version order), opened here and handed to
 * ws.c as a descriptor. Its name comes from the folder, never from the
 * request, and only names made of safe characters are considered, so the
 * content-disposition header cannot be bent by a file name. */
#define _GNU_SOURCE /* strverscmp */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "landing.h"
#include "webapp.h"

extern const unsigned char landing_html[];
extern const size_t landing_html_len;
extern const unsigned char landing_js[];
extern const size_t landing_js_len;

#define DOWNLOAD_NAME_MAX 100              /* bilan_0.1.0-1_amd64.deb is 23 */
#define DOWNLOAD_SIZE_MAX (512LL << 20)    /* a client package is a few MiB */

static const char health[] = "ok\n";
static const char not_found[] = "404 not found\n";
static const char ws_only[] = "This endpoint speaks WebSocket (subprotocol bilan.v1) only.\n";
static const char no_package[] =
    "Aucun paquet de l'application n'est disponible sur ce serveur : demandez-le \xc3\xa0 "
    "votre consultante ou \xc3\xa0 votre consultant.\n";

/* The script may ask the server one thing, HEAD /downloads/bilan.deb (is a
 * package there?): connect-src 'self'. It comes from this server only. */
const char *const landing_headers[] = {
    "content-security-policy:", "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    "referrer-policy:", "no-referrer",
    "x-content-type-options:", "nosniff",
    "cache-control:", "no-store",
    "x-frame-options:", "DENY",
    NULL, NULL,
};

static char g_downloads[PATH_MAX];   /* DATA/downloads, or "" */

void landing_init(const char *data_dir)
{
    g_downloads[0] = '\0';
    if (data_dir && *data_dir &&
        snprintf(g_downloads, sizeof g_downloads, "%s/downloads", data_dir) >= (int)sizeof g_downloads)
        g_downloads[0] = '\0';
}

/* A link path: prefix then at least one character and no further '/'. */
static int link_path(const char *path, const char *prefix)
{
    size_t n = strlen(prefix);
    return !strncmp(path, prefix, n) && path[n] && !strchr(path + n, '/');
}

/* bilan_<version>_<arch>.deb with [A-Za-z0-9.+~-] in between: what CPack
 * and dpkg-deb name the client package, and nothing a header could choke on.
 * "bilan-server_..." does not match. */
static int package_name_ok(const char *n)
{
    size_t len = strlen(n);
    if (len > DOWNLOAD_NAME_MAX || len < 11 || strncmp(n, "bilan_", 6) || strcmp(n + len - 4, ".deb"))
        return 0;
    for (size_t i = 6; i < len - 4; i++) {
        char c = n[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
              c == '+' || c == '~' || c == '-' || c == '_'))
            return 0;
    }
    return 1;
}

/* Opens the newest package of DATA/downloads into r; 0, or -1 (none usable). */
static int open_package(struct landing_resp *r)
{
    if (!g_downloads[0])
        return -1;
    DIR *d = opendir(g_downloads);
    if (!d)
        return -1;
    char best[DOWNLOAD_NAME_MAX + 1] = "";
    struct dirent *e;
    struct stat st;
    /* Only regular, non-empty files count: a folder or a copy under way
     * named like a newer version must not hide the one that works. */
    while ((e = readdir(d)))
        if (package_name_ok(e->d_name) && (!best[0] || strverscmp(e->d_name, best) > 0) &&
            !fstatat(dirfd(d), e->d_name, &st, 0) && S_ISREG(st.st_mode) && st.st_size > 0)
            snprintf(best, sizeof best, "%s", e->d_name);
    closedir(d);
    if (!best[0])
        return -1;
    char path[PATH_MAX + DOWNLOAD_NAME_MAX + 2];
    snprintf(path, sizeof path, "%s/%s", g_downloads, best);
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return -1;
    if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size <= 0 || st.st_size > DOWNLOAD_SIZE_MAX) {
        close(fd);
        return -1;
    }
    r->status = 200;
    r->content_type = "application/vnd.debian.binary-package";
    r->fd = fd;
    r->len = (size_t)st.st_size;
    snprintf(r->disposition, sizeof r->disposition, "attachment; filename=\"%s\"", best);
    return 0;
}

static void text(struct landing_resp *r, unsigned status, const char *s, size_t len)
{
    r->status = status;
    r->content_type = "text/plain; charset=utf-8";
    r->body = (const unsigned char *)s;
    r->len = len;
}

void landing_route(const char *path, struct landing_resp *r)
{
    memset(r, 0, sizeof *r);
    r->fd = -1;
    r->headers = landing_headers;
    if (!path)
        path = "";
    struct web_answer web;
    if (webapp_route(path, &web)) {
        r->status = 200;
        r->content_type = web.content_type;
        r->body = web.body;
        r->len = web.len;
        r->headers = web.headers;
        return;
    }
    if (link_path(path, "/j/") || link_path(path, "/e/")) {
        r->status = 200;
        r->content_type = "text/html; charset=utf-8";
        r->body = landing_html;
        r->len = landing_html_len;
    } else if (!strcmp(path, "/landing.js")) {
        r->status = 200;
        r->content_type = "text/javascript; charset=utf-8";
        r->body = landing_js;
        r->len = landing_js_len;
    } else if (!strcmp(path, "/downloads/bilan.deb")) {
        if (open_package(r))
            text(r, 404, no_package, sizeof no_package - 1);
    } else if (!strcmp(path, "/healthz")) {
        text(r, 200, health, sizeof health - 1);
    } else if (!strcmp(path, "/ws")) {
        text(r, 426, ws_only, sizeof ws_only - 1);
    } else {
        text(r, 404, not_found, sizeof not_found - 1);
    }
}
