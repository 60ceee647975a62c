/* vmailbox.c: the latest picture of one stream (see vmailbox.h). */
#include <string.h>

#include "vmailbox.h"

void vmailbox_init(struct vmailbox *b)
{
    memset(b, 0, sizeof *b);
    pthread_mutex_init(&b->mu, NULL);
}

void vmailbox_destroy(struct vmailbox *b)
{
    vframe_free(&b->pic);
    pthread_mutex_destroy(&b->mu);
}

int vmailbox_put(struct vmailbox *b, const struct vframe *src)
{
    int rc = 0;
    pthread_mutex_lock(&b->mu);
    if (!b->pic.mem || b->pic.width != src->width || b->pic.height != src->height) {
        vframe_free(&b->pic);
        rc = vframe_alloc(&b->pic, src->width, src->height);
    }
    if (!rc)
        rc = vframe_copy(&b->pic, src);
    b->valid = rc == 0;
    b->count++;
    pthread_mutex_unlock(&b->mu);
    return rc;
}

void vmailbox_clear(struct vmailbox *b)
{
    pthread_mutex_lock(&b->mu);
    if (b->valid) {
        b->valid = 0;
        b->count++;
    }
    pthread_mutex_unlock(&b->mu);
}

uint64_t vmailbox_count(struct vmailbox *b)
{
    pthread_mutex_lock(&b->mu);
    uint64_t n = b->count;
    pthread_mutex_unlock(&b->mu);
    return n;
}

int vmailbox_take(struct vmailbox *b, struct vframe *dst, uint64_t *seen)
{
    int got = 0;
    pthread_mutex_lock(&b->mu);
    if (b->count != *seen) {
        *seen = b->count;
        got = -1;
        if (b->valid) {
            int rc = 0;
            if (!dst->mem || dst->width != b->pic.width || dst->height != b->pic.height) {
                vframe_free(dst);
                rc = vframe_alloc(dst, b->pic.width, b->pic.height);
            }
            if (!rc && vframe_copy(dst, &b->pic) == 0)
                got = 1;
        }
    }
    pthread_mutex_unlock(&b->mu);
    return got;
}
