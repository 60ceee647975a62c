/* vmailbox.h: the latest picture of one stream, for a reader that only
 * wants the newest (the window): a writer (the decoder's playout thread,
 * or the capture thread for one's own preview) puts a copy; a reader takes
 * a copy when the counter moved. Older pictures are overwritten, never
 * queued: a slow window skips pictures, it never slows the call.
 *
 * Owns: one I420 picture (struct vframe) under a mutex, and a counter that
 * grows with every put or clear. Must never: know SDL, codecs or threads
 * beyond its mutex; hold a pointer into a caller's picture. */
#ifndef CLIENT_MEDIA_VMAILBOX_H
#define CLIENT_MEDIA_VMAILBOX_H

#include <pthread.h>
#include <stdint.h>

#include "vframe.h"

struct vmailbox {
    pthread_mutex_t mu;
    struct vframe pic; /* the latest picture, when valid */
    int valid;
    uint64_t count; /* grows with each put and each clear */
};

void vmailbox_init(struct vmailbox *b);
void vmailbox_destroy(struct vmailbox *b);
/* Any thread: copies src in (the box follows src's size). 0, or VM_E_NOMEM
 * (the box is then empty). */
int vmailbox_put(struct vmailbox *b, const struct vframe *src);
/* Any thread: no picture any more (a sender left, a camera switched off). */
void vmailbox_clear(struct vmailbox *b);
/* The box's counter now (no copy). */
uint64_t vmailbox_count(struct vmailbox *b);
/* Reader: when the counter differs from *seen, copies the picture into dst
 * (reallocated to its size; dst is owned by the caller, freed with
 * vframe_free) and sets *seen. Returns 1 with a new picture, 0 when nothing
 * changed, -1 when the box changed to empty (or no memory for the copy). */
int vmailbox_take(struct vmailbox *b, struct vframe *dst, uint64_t *seen);

#endif
