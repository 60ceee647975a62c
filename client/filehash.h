/* filehash.h: a file to send from inside the room, checked and hashed on
 * its own thread.
 *
 * A file sent with /envoyer must be hashed (SHA-256, for file_begin) before
 * it goes; a large one takes seconds, which the network loop must never
 * spend (the call's sound and pictures would stall). The loop starts a job
 * and polls it on its ticks; the job's thread only reads the file.
 *
 * Owns: the jobs and their threads (joined when taken or freed). */
#ifndef CLIENT_FILEHASH_H
#define CLIENT_FILEHASH_H

#include <stddef.h>
#include <stdint.h>

#define FILEHASH_JOBS 4

struct filehash_job; /* opaque */

struct filehash {
    struct filehash_job *jobs[FILEHASH_JOBS];
};

/* Starts hashing path: 0, or -1 with why (too many at once, out of memory,
 * no thread). */
int filehash_start(struct filehash *h, const char *path, char *why, size_t cap);
/* A finished job, 1 (path, size and sha256, or ok 0 and why), or 0 when none
 * finished. The strings are copied into the caller's buffers. */
int filehash_take(struct filehash *h, char *path, size_t path_cap, uint64_t *size,
                  uint8_t sha256[32], int *ok, char *why, size_t why_cap);
/* Jobs not taken yet. */
int filehash_busy(const struct filehash *h);
/* Waits for every job and forgets them. */
void filehash_free(struct filehash *h);

#endif
