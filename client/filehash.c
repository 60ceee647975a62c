/* filehash.c: hashing a file to send on its own thread (see filehash.h). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "filehash.h"
#include "i18n.h"

struct filehash_job {
    pthread_t thread;
    atomic_int done;
    char path[4096];
    uint64_t size;
    uint8_t sha256[32];
    int ok;
    char why[512];
};

static void *run(void *arg)
{
    struct filehash_job *j = arg;
    int fd = open(j->path, O_RDONLY | O_CLOEXEC);
    struct stat sb;
    if (fd < 0 || fstat(fd, &sb)) {
        snprintf(j->why, sizeof j->why, _("impossible d'ouvrir %s : %s"), j->path,
                 i18n_strerror(errno));
    } else if (!S_ISREG(sb.st_mode)) {
        snprintf(j->why, sizeof j->why, _("%s n'est pas un fichier ordinaire (un dossier ?)"),
                 j->path);
    } else {
        EVP_MD_CTX *md = EVP_MD_CTX_new();
        /* On the heap: a thread-local buffer would be static TLS, which
         * glibc carves from every thread's stack (SDL's audio thread asks
         * for a small one and then fails to start). */
        enum { BUF = 1 << 16 };
        uint8_t *buf = malloc(BUF);
        ssize_t r = 0;
        int ok = md && buf && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1;
        while (ok && (r = read(fd, buf, BUF)) != 0) {
            if (r < 0 && errno == EINTR)
                continue;
            if (r < 0)
                break;
            j->size += (uint64_t)r;
            ok = EVP_DigestUpdate(md, buf, (size_t)r) == 1;
        }
        unsigned int n = 0;
        int rerr = errno;
        j->ok = ok && r == 0 && EVP_DigestFinal_ex(md, j->sha256, &n) == 1 && n == 32;
        EVP_MD_CTX_free(md);
        free(buf);
        if (!j->ok)
            snprintf(j->why, sizeof j->why, _("impossible de lire %s : %s"), j->path,
                     r < 0 ? i18n_strerror(rerr) : _("calcul de l'empreinte impossible"));
        else if (j->size > (4ULL << 30)) {
            j->ok = 0;
            snprintf(j->why, sizeof j->why,
                     _("%s fait plus de 4 Gio, le plus qu'un autre appareil accepte"), j->path);
        }
    }
    if (fd >= 0)
        close(fd);
    atomic_store(&j->done, 1);
    return NULL;
}

int filehash_start(struct filehash *h, const char *path, char *why, size_t cap)
{
    int slot = -1;
    for (int i = 0; i < FILEHASH_JOBS; i++)
        if (!h->jobs[i]) {
            slot = i;
            break;
        }
    if (slot < 0) {
        snprintf(why, cap, "%s", _("déjà 4 fichiers en préparation : attendez qu'ils partent"));
        return -1;
    }
    struct filehash_job *j = calloc(1, sizeof *j);
    if (!j || strlen(path) >= sizeof j->path) {
        free(j);
        snprintf(why, cap, "%s", _("chemin trop long, ou mémoire insuffisante"));
        return -1;
    }
    memcpy(j->path, path, strlen(path) + 1);
    if (pthread_create(&j->thread, NULL, run, j)) {
        free(j);
        snprintf(why, cap, "%s", _("impossible de lancer la préparation du fichier"));
        return -1;
    }
    h->jobs[slot] = j;
    return 0;
}

int filehash_take(struct filehash *h, char *path, size_t path_cap, uint64_t *size,
                  uint8_t sha256[32], int *ok, char *why, size_t why_cap)
{
    for (int i = 0; i < FILEHASH_JOBS; i++) {
        struct filehash_job *j = h->jobs[i];
        if (!j || !atomic_load(&j->done))
            continue;
        pthread_join(j->thread, NULL);
        snprintf(path, path_cap, "%s", j->path);
        *size = j->size;
        memcpy(sha256, j->sha256, 32);
        *ok = j->ok;
        snprintf(why, why_cap, "%s", j->why);
        free(j);
        h->jobs[i] = NULL;
        return 1;
    }
    return 0;
}

int filehash_busy(const struct filehash *h)
{
    int n = 0;
    for (int i = 0; i < FILEHASH_JOBS; i++)
        n += h->jobs[i] != NULL;
    return n;
}

void filehash_free(struct filehash *h)
{
    for (int i = 0; i < FILEHASH_JOBS; i++)
        if (h->jobs[i]) {
            pthread_join(h->jobs[i]->thread, NULL);
            free(h->jobs[i]);
            h->jobs[i] = NULL;
        }
}
