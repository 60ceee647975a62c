/* kinds.h: the table of binary frame kinds (PROTOCOL.md §4 "Kinds").
 *
 * Owns the one place where a media kind is described: its wire value, its
 * name, whether a congested server may drop it, whether it may carry the
 * keyframe flag, and the stream number it takes in an SFrame key id
 * (PROTOCOL.md §8.4). Header validation (frame.c), the server's queue
 * classes and the client's frame mux all read this table; none of them
 * tests a kind by its literal value. Adding a kind is a row here, a queue
 * class on the server and a source/sink in the client.
 *
 * The rows are in the order a sender serves its sources (audio, then video,
 * then data: PROTOCOL.md §4 "Order"); the client's mux relies on it, and a
 * new row goes where its priority puts it (its wire value need not follow).
 *
 * Must never: hold state. Pure constants and lookups. */
#ifndef BP_KINDS_H
#define BP_KINDS_H

#include <stdint.h>

/* Wire values of the kind byte of the frame header. Stable: append only. */
enum bp_kind { BP_KIND_AUDIO = 1, BP_KIND_VIDEO = 2, BP_KIND_DATA = 3 };
#define BP_KIND_MAX 3           /* highest wire value in use */

/* Streams per sender in an SFrame key id: KID = gen * BP_STREAMS + stream
 * (PROTOCOL.md §8.4). Stream 0 is never used. */
#define BP_STREAMS 16

struct bp_kind_info {
    uint8_t kind;               /* enum bp_kind */
    const char *name;           /* "audio", "video", "data" (logs, stats) */
    uint8_t droppable;          /* a server may drop it for a slow receiver */
    uint8_t keyframes;          /* may carry BP_FLAG_KEYFRAME */
    uint8_t stream;             /* 1 .. BP_STREAMS-1, unique per kind */
};

/* The row of a wire kind, or NULL for a kind not in the table. */
const struct bp_kind_info *bp_kind_info(unsigned kind);
/* The row whose stream is stream, or NULL. */
const struct bp_kind_info *bp_kind_of_stream(unsigned stream);
/* Every row, in wire order: *n gets the count. */
const struct bp_kind_info *bp_kinds(unsigned *n);

#endif
