/* test_vtmp.h: a temporary folder for one media test program, removed with
 * its files at the end (the tests write only flat files into it). */
#ifndef TEST_MEDIA_TMPDIR_H
#define TEST_MEDIA_TMPDIR_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char tmp_root[256];

static inline const char *tmp_make(void)
{
    const char *base = getenv("TMPDIR");
    snprintf(tmp_root, sizeof tmp_root, "%s/bilan-media-XXXXXX", base && *base ? base : "/tmp");
    return mkdtemp(tmp_root);
}

/* path of name inside the folder, in buf. */
static inline const char *tmp_path(char *buf, size_t cap, const char *name)
{
    snprintf(buf, cap, "%s/%s", tmp_root, name);
    return buf;
}

static inline void tmp_remove(void)
{
    DIR *d = opendir(tmp_root);
    if (!d)
        return;
    struct dirent *e;
    char p[512];
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            unlink(tmp_path(p, sizeof p, e->d_name));
    closedir(d);
    rmdir(tmp_root);
}

/* Writes len bytes to path; 0 or -1. */
static inline int tmp_write(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t n = fwrite(data, 1, len, f);
    return fclose(f) == 0 && n == len ? 0 : -1;
}

#endif
