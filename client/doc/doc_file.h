/* doc_file.h: an exported document written whole or not at all: a
 * temporary file next to the target (same folder, so rename() is atomic),
 * flushed to the disk, then renamed over the target.
 *
 * Owns: the temporary file's life. Must never: leave a half-written file
 * under the target's name, or the temporary file behind on failure.
 * The file is made 0600: a worksheet belongs to the beneficiary. */
#ifndef CLIENT_DOC_DOC_FILE_H
#define CLIENT_DOC_DOC_FILE_H

#include <stddef.h>
#include <stdio.h>

struct doc_file {
    FILE *f;          /* write here */
    char tmp[4200];   /* the temporary file's path */
    const char *path; /* borrowed: the target */
};

/* 0 and d->f open, or -1 with a French sentence in why naming path. */
int doc_file_open(struct doc_file *d, const char *path, char *why, size_t cap);
/* Flushes, syncs, closes and renames. 0, or -1 with why (the temporary file
 * is removed, the target untouched). */
int doc_file_commit(struct doc_file *d, char *why, size_t cap);
/* Closes and removes the temporary file (after an error of the caller's). */
void doc_file_abort(struct doc_file *d);

#endif
