/* datatx.h: what `bilan join` sends into the room: chat lines and files, as
 * data messages (proto/bp/data.h) in data frames: the mux's source of the
 * data kind (datatx_source, mux.h).
 *
 * Owns the send list, the open file being sent and the per-transfer ids.
 * Files are hashed when added (so a missing or unreadable file is a usage
 * error before any connection) and read again chunk by chunk while sending:
 * memory stays one chunk whatever the file size. Items go out in the order
 * they were added, one file at a time. As a source it prints the "[file]
 * sent" line of each file on out (and on err a file that changed while it
 * was sent). */
#ifndef CLIENT_DATATX_H
#define CLIENT_DATATX_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "bp/data.h"
#include "mux.h"

struct room_news;

#define DATATX_MAX_ITEMS 256

struct datatx_item {
    int is_file;
    char *text;                      /* chat: owned copy */
    char *path;                      /* file: owned copy */
    char name[BP_FILE_NAME_MAX + 1]; /* file: name sent to peers */
    uint64_t size;
    uint8_t sha256[32];
    uint32_t transfer; /* file: its id once file_begin went out (0 before) */
};

/* A file_answer waiting to go out (datarx queues them): small, ahead of
 * everything else. */
#define DATATX_ANSWERS 32
struct datatx_answer {
    uint8_t to_slot, answer;
    uint32_t transfer;
};

struct datatx {
    struct datatx_item items[DATATX_MAX_ITEMS];
    int n, cur;
    int fd;    /* current file, -1 when none */
    int phase; /* 0 begin, 1 chunks, 2 end */
    uint64_t offset;
    uint32_t next_transfer;
    struct datatx_answer answers[DATATX_ANSWERS];
    int nanswers;
    FILE *out, *err; /* "[file] sent" lines (NULL: none), problems; stdout and stderr by default */
    struct room_news *news; /* the person's sentences; NULL: none (borrowed) */
};

/* Empty list; out = stdout, err = stderr. */
void datatx_init(struct datatx *tx);
void datatx_free(struct datatx *tx);
/* Adds a chat line: 1..4096 bytes of UTF-8. 0 or BP_E_INVALID_FIELD + *why.
 * Sent items are dropped to make room when the list is full. */
int datatx_add_chat(struct datatx *tx, const char *text, const char **why);
/* Adds a regular file: checks it, computes its SHA-256 and the name to send
 * (its base name, made legal for the wire). On failure returns a negative
 * code and writes the reason into why (cap bytes). */
int datatx_add_file(struct datatx *tx, const char *path, char *why, size_t cap);
/* Adds a file already checked and hashed elsewhere (filehash.h): size and
 * SHA-256 as computed there. 0 or a negative code with why. */
int datatx_add_hashed(struct datatx *tx, const char *path, uint64_t size, const uint8_t sha256[32],
                      char *why, size_t cap);
/* Queues a file_answer to the sender in to_slot (0, or BP_E_NOMEM when 32
 * already wait: the answer is then lost, the file is not). */
int datatx_add_answer(struct datatx *tx, int to_slot, uint32_t transfer, int answer);
/* The file this device sent as transfer, or NULL (long gone, or not ours). */
const struct datatx_item *datatx_find_transfer(const struct datatx *tx, uint32_t transfer);
/* 1 when everything has been handed to the network. */
int datatx_done(const struct datatx *tx);
/* Items not yet handed to the network (the one being sent included). */
int datatx_pending(const struct datatx *tx);

enum datatx_event { DATATX_NONE = 0, DATATX_CHAT, DATATX_FILE_SENT, DATATX_FILE_FAILED };
/* Writes the next data message into out (cap >= BP_DATA_MAX). Returns its
 * length (0: nothing left). *ev says whether this message completes a chat
 * or a file (for the "[file] sent" line); *item gets that item. A file that
 * can no longer be read is cut short: file_end is still sent (the receiver
 * then rejects it on size) and *ev = DATATX_FILE_FAILED. */
int datatx_next(struct datatx *tx, uint8_t *out, size_t cap, enum datatx_event *ev,
                const struct datatx_item **item);

/* The source of the data kind (ctx: the datatx). It hands out a message
 * only into room for the largest one (BP_DATA_MAX), so that nothing taken
 * from the list is lost to a small buffer. */
extern const struct mux_source datatx_source;

#endif
