/* test_landing.c: server/landing.c's routes beyond the page itself: the
 * script, and the client package of DATA/downloads (which file is chosen,
 * which names are never served, what a missing package answers). */
#define _GNU_SOURCE /* memmem */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../check.h"
#include "landing.h"

static char g_dir[256];

static void put(const char *name, const char *content)
{
    char p[512];
    snprintf(p, sizeof p, "%s/downloads/%s", g_dir, name);
    FILE *f = fopen(p, "w");
    if (f) {
        fputs(content, f);
        fclose(f);
    }
}

/* What /downloads/bilan.deb serves: the content of the file, or "" (404). */
static void served(char *out, size_t cap, struct landing_resp *r)
{
    landing_route("/downloads/bilan.deb", r);
    out[0] = '\0';
    if (r->fd >= 0) {
        ssize_t n = read(r->fd, out, cap - 1);
        out[n > 0 ? n : 0] = '\0';
        close(r->fd);
    }
}

int main(void)
{
    struct landing_resp r;
    char got[64];

    /* The script: from this server, JavaScript, building the bilan: link. */
    landing_route("/landing.js", &r);
    CHECK_EQ_INT(r.status, 200);
    CHECK(strstr(r.content_type, "javascript") != NULL);
    CHECK(r.fd == -1 && r.len > 200);
    CHECK(memmem(r.body, r.len, "\"bilan:\"", 8) != NULL);
    landing_route("/j/x", &r);
    CHECK(memmem(r.body, r.len, "src=\"/landing.js\"", 17) != NULL);
    int csp = 0;
    for (int i = 0; landing_headers[i]; i += 2)
        if (!strcmp(landing_headers[i], "content-security-policy:") &&
            strstr(landing_headers[i + 1], "script-src 'self'") &&
            !strstr(landing_headers[i + 1], "unsafe-eval"))
            csp = 1;
    CHECK(csp);

    /* No data folder, then no downloads folder: 404 in French, nothing open. */
    landing_init(NULL);
    served(got, sizeof got, &r);
    CHECK_EQ_INT(r.status, 404);
    CHECK(r.fd == -1 && memmem(r.body, r.len, "Aucun paquet", 12) != NULL);
    snprintf(g_dir, sizeof g_dir, "%s/bilan-landing-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    CHECK(mkdtemp(g_dir) != NULL);
    landing_init(g_dir);
    served(got, sizeof got, &r);
    CHECK_EQ_INT(r.status, 404);

    char sub[512];
    snprintf(sub, sizeof sub, "%s/downloads", g_dir);
    CHECK_EQ_INT(mkdir(sub, 0700), 0);
    /* Only names never chosen: the server's package, odd characters, other
     * extensions, a folder. */
    put("bilan-server_9.9.9_amd64.deb", "server");
    put("bilan_9.9.9_amd64.deb.part", "partial");
    put("bilan_9\"x_amd64.deb", "quote");
    put("bilan_9 9_amd64.deb", "space");
    snprintf(sub, sizeof sub, "%s/downloads/bilan_99.0_amd64.deb", g_dir);
    CHECK_EQ_INT(mkdir(sub, 0700), 0);
    served(got, sizeof got, &r);
    CHECK_EQ_INT(r.status, 404);
    CHECK_EQ_INT(r.fd, -1);

    /* Version order, not byte order: 0.10.0 is newer than 0.9.0. */
    put("bilan_0.9.0_amd64.deb", "v0.9");
    put("bilan_0.10.0_amd64.deb", "v0.10");
    served(got, sizeof got, &r);
    CHECK_EQ_INT(r.status, 200);
    CHECK_STR(got, "v0.10");
    CHECK(r.len == 5);
    CHECK_STR(r.content_type, "application/vnd.debian.binary-package");
    CHECK_STR(r.disposition, "attachment; filename=\"bilan_0.10.0_amd64.deb\"");

    /* An empty file (a copy under way) does not hide the working one. */
    put("bilan_0.11.0_amd64.deb", "");
    served(got, sizeof got, &r);
    CHECK_EQ_INT(r.status, 200);
    CHECK_STR(got, "v0.10");

    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    CHECK_EQ_INT(system(cmd), 0);
    return check_report();
}
