/* doc_file.c: write a document atomically (doc_file.h). */
#include "doc_file.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "i18n.h"

static void say(char *why, size_t cap, const char *path, int err)
{
    snprintf(why, cap,
             _("impossible d'écrire « %s » : %s. Choisissez un dossier qui existe et où vous "
               "pouvez écrire."),
             path, i18n_strerror(err));
}

int doc_file_open(struct doc_file *d, const char *path, char *why, size_t cap)
{
    d->f = NULL;
    d->path = path;
    if (!*path || (size_t)snprintf(d->tmp, sizeof d->tmp, "%s.XXXXXX", path) >= sizeof d->tmp) {
        say(why, cap, path, ENAMETOOLONG);
        return -1;
    }
    int fd = mkstemp(d->tmp); /* 0600, in the target's folder */
    if (fd < 0) {
        say(why, cap, path, errno);
        return -1;
    }
    d->f = fdopen(fd, "wb");
    if (!d->f) {
        int e = errno;
        close(fd);
        unlink(d->tmp);
        say(why, cap, path, e);
        return -1;
    }
    return 0;
}

void doc_file_abort(struct doc_file *d)
{
    if (d->f) {
        fclose(d->f);
        d->f = NULL;
    }
    unlink(d->tmp);
}

int doc_file_commit(struct doc_file *d, char *why, size_t cap)
{
    int err = 0;
    if (fflush(d->f) || fsync(fileno(d->f)))
        err = errno;
    if (fclose(d->f) && !err)
        err = errno;
    d->f = NULL;
    if (!err && rename(d->tmp, d->path))
        err = errno;
    if (err) {
        unlink(d->tmp);
        say(why, cap, d->path, err);
        return -1;
    }
    return 0;
}
