/* desk_errors.c: see desk_errors.h. The stand-in for stderr is an unlinked
 * temporary file rather than a pipe: nothing has to read it while the
 * command runs (a pipe would fill and block a writer), and a session of an
 * hour writes a few lines at most. */
#include "desk_errors.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "i18n.h"
#include "ui/msgbox.h"
#include "ui/window.h"

/* What the box shows at most: the end of what was said, from a line start. */
#define DESK_BOX_MAX 1500

void desk_errors_begin(struct desk_errors *d, int argc, char **argv)
{
    memset(d, 0, sizeof *d);
    d->saved_fd = d->kept_fd = -1;
    if (isatty(STDERR_FILENO) || !window_display_announced())
        return;
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--headless"))
            return;
    char path[] = "/tmp/bilan-errors-XXXXXX";
    const char *tmpdir = getenv("TMPDIR");
    char dyn[4096];
    char *tmpl = path;
    if (tmpdir && *tmpdir && snprintf(dyn, sizeof dyn, "%s/bilan-errors-XXXXXX", tmpdir) < (int)sizeof dyn)
        tmpl = dyn;
    int fd = mkstemp(tmpl);
    if (fd < 0)
        return; /* stderr stays as it is: nothing is lost, only the box */
    unlink(tmpl);
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    if (saved < 0 || dup2(fd, STDERR_FILENO) < 0) {
        if (saved >= 0)
            close(saved);
        close(fd);
        return;
    }
    d->active = 1;
    d->saved_fd = saved;
    d->kept_fd = fd;
}

/* Copies the kept file to the real stderr; fills tail with its end. */
static void give_back(struct desk_errors *d, char *tail, size_t cap)
{
    char buf[4096];
    size_t have = 0;
    ssize_t n;
    tail[0] = '\0';
    if (lseek(d->kept_fd, 0, SEEK_SET) < 0)
        return;
    while ((n = read(d->kept_fd, buf, sizeof buf)) > 0) {
        for (ssize_t off = 0; off < n;) {
            ssize_t w = write(STDERR_FILENO, buf + off, (size_t)(n - off));
            if (w <= 0)
                break;
            off += w;
        }
        /* Keep the last cap-1 bytes seen. */
        if ((size_t)n >= cap - 1) {
            memcpy(tail, buf + n - (ssize_t)(cap - 1), cap - 1);
            have = cap - 1;
        } else {
            size_t keep = have + (size_t)n > cap - 1 ? cap - 1 - (size_t)n : have;
            memmove(tail, tail + have - keep, keep);
            memcpy(tail + keep, buf, (size_t)n);
            have = keep + (size_t)n;
        }
    }
    tail[have] = '\0';
}

/* The box's text: whole lines only (not cut inside a UTF-8 letter), the
 * sentences for people only (no "[...]" machine line), without the
 * "bilan: " (or "bilan : ") each begins with: the box's title says it. */
static void box_text(const char *tail, int cut, char *out, size_t cap)
{
    const char *s = tail;
    if (cut) {
        const char *nl = strchr(s, '\n');
        s = nl ? nl + 1 : s;
    }
    size_t o = 0;
    while (*s && o + 1 < cap) {
        if (!strncmp(s, "bilan: ", 7))
            s += 7;
        else if (!strncmp(s, "bilan : ", 8)) /* French puts a space before ':' */
            s += 8;
        const char *e = strchr(s, '\n');
        size_t len = e ? (size_t)(e - s + 1) : strlen(s);
        if (*s == '[') { /* a machine line ("[window] ...", --machine): for scripts */
            s += len;
            continue;
        }
        if (o + len >= cap)
            len = cap - 1 - o;
        memcpy(out + o, s, len);
        /* A sentence on its own line starts with a capital (after
         * "bilan : " our messages start in lower case). */
        if (out[o] >= 'a' && out[o] <= 'z')
            out[o] = (char)(out[o] - 'a' + 'A');
        o += len;
        s += len;
    }
    while (o && (out[o - 1] == '\n' || out[o - 1] == ' '))
        o--;
    out[o] = '\0';

}

int desk_errors_end(struct desk_errors *d, int rc)
{
    if (!d->active)
        return rc;
    fflush(stderr);
    dup2(d->saved_fd, STDERR_FILENO);
    close(d->saved_fd);
    char tail[DESK_BOX_MAX + 1];
    give_back(d, tail, sizeof tail);
    close(d->kept_fd);
    d->active = 0;
    if (rc == 0)
        return rc;
    char text[DESK_BOX_MAX + 1];
    box_text(tail, strlen(tail) >= DESK_BOX_MAX, text, sizeof text);
    if (!text[0])
        snprintf(text, sizeof text, "%s",
                 _("Bilan n'a pas pu ouvrir ce lien. Ouvrez un terminal et tapez la commande "
                   "de la page web pour voir ce qui se passe."));
    msgbox_show("Bilan", text);
    return rc;
}
