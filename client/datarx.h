/* datarx.h: the receiving side of chat and file transfer in a room: the
 * mux's sink of the data kind (datarx_sink, mux.h).
 *
 * Owns the transfers in progress (per sender slot and transfer id), their
 * temporary files ".NAME.part" (created O_EXCL, 0600, in the receive
 * folder) and the SHA-256 being computed. A file gets its final name only
 * after its size and SHA-256 have been checked, and never replaces an
 * existing file ("name (1).ext" instead). Whatever fails, the temporary file
 * is deleted. Without a receive folder every file is refused.
 *
 * With ask set, a file is received into a temporary file but named in the
 * folder only once the person said yes (datarx_decide: /accepter, or the
 * window's button); no deletes it. Every file gets a file_answer back to
 * its sender (received, declined, damaged...: PROTOCOL.md §4.1) through
 * reply, and the answers about our own files are told to the person.
 *
 * Prints the "[chat]" and "[file] received|rejected|answer" lines on out,
 * and counts chat lines, files and data messages received (the dialog's
 * expectations). */
#ifndef CLIENT_DATARX_H
#define CLIENT_DATARX_H

#include <stdint.h>
#include <stdio.h>

#include "bp/data.h"
#include "mux.h"
#include "util.h"

struct room_news;
struct datatx;

#define DATARX_MAX 8                 /* transfers in progress at once */
#define DATARX_SIZE_MAX (4ULL << 30) /* largest file accepted */

struct datarx_transfer {
    int used;
    int refused; /* not accepted: swallow its chunks */
    int waiting; /* ask: the person has not said yes or no yet */
    int complete; /* checked and closed, waiting for the person's yes */
    uint8_t slot;
    uint32_t id;
    int fd;
    char name[CLI_SAFE_NAME_MAX + 1]; /* safe name, printed and used on disk */
    char tmp[4352];
    uint64_t size, got;
    uint8_t sha256[32];
    void *md;                 /* EVP_MD_CTX */
    uint64_t orphan_deadline; /* the sender left: give up at this time (0: present) */
};

struct datarx {
    const char *dir; /* NULL: refuse files (borrowed) */
    FILE *out; /* machine lines ("[chat] ...", "[file] ..."); NULL: none */
    FILE *err; /* malformed messages; stderr by default */
    struct room_news *news; /* the person's sentences; NULL: none (borrowed) */
    int ask;                /* files wait for the person's yes (dir must be set) */
    struct datatx *reply;   /* where file_answers go; NULL: none (borrowed) */
    int self_slot;          /* our slot: answers about our files (-1: none) */
    struct datarx_transfer t[DATARX_MAX];
    int chats, files; /* chat lines shown, files stored */
    uint64_t messages; /* well-formed data messages handled */
};

/* err = stderr. */
void datarx_init(struct datarx *rx, const char *dir, FILE *out);
/* Handles one file_begin/file_chunk/file_end from slot. Returns 1 when a
 * file was received and stored, 0 otherwise. */
int datarx_on_data(struct datarx *rx, uint8_t slot, const struct bp_data *d);
/* The member in slot left. Its unfinished transfers get DATARX_GRACE_MS to
 * complete, because a server may deliver the member_left notice ahead of
 * the data frames it had already queued for us; after that (datarx_tick) or
 * when someone else takes the slot (datarx_slot_taken), they are deleted. */
#define DATARX_GRACE_MS 10000
void datarx_slot_gone(struct datarx *rx, uint8_t slot, uint64_t now_ms);
void datarx_slot_taken(struct datarx *rx, uint8_t slot);
void datarx_tick(struct datarx *rx, uint64_t now_ms);
/* The person's answer to the files waiting for it (ask): yes names them
 * in the folder (at once, or when they finish), no deletes them. Returns
 * how many files were decided; *stored counts those stored now. */
int datarx_decide(struct datarx *rx, int yes, int *stored);
/* Files waiting for the person's answer. */
int datarx_waiting(const struct datarx *rx);
/* Deletes every unfinished transfer (we are leaving). */
void datarx_free(struct datarx *rx, const char *why);

/* The sink of the data kind (ctx: the datarx): a chat line is shown, a
 * file message goes to datarx_on_data; a malformed message is reported on
 * err and dropped. Room events and the end of the visit reach the
 * transfers (slot_gone, slot_taken, tick, stop = datarx_free). */
extern const struct mux_sink datarx_sink;

#endif
