/* room_model.c: the room as a person sees it, shared between the loop and
 * a window thread (see room_model.h). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bp/vocab.h"
#include "room_model.h"

#define ROOM_CMDS 32

struct room_model {
    pthread_mutex_t mu;
    struct room_snapshot snap;
    struct room_cmd cmds[ROOM_CMDS];
    unsigned head, count;
    void (*wake)(void *ctx);
    void *wake_ctx;
};

struct room_model *room_model_new(void (*wake)(void *ctx), void *wake_ctx)
{
    struct room_model *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    pthread_mutex_init(&m->mu, NULL);
    m->snap.my_slot = -1;
    m->snap.my_role = BP_ROLE_NONE;
    m->snap.code_slot = -1;
    m->snap.rtt_ms = -1;
    m->wake = wake;
    m->wake_ctx = wake_ctx;
    return m;
}

void room_model_free(struct room_model *m)
{
    if (!m)
        return;
    pthread_mutex_destroy(&m->mu);
    free(m);
}

void room_model_set_wake(struct room_model *m, void (*wake)(void *ctx), void *wake_ctx)
{
    pthread_mutex_lock(&m->mu);
    m->wake = wake;
    m->wake_ctx = wake_ctx;
    pthread_mutex_unlock(&m->mu);
}

void room_model_snapshot(struct room_model *m, struct room_snapshot *out)
{
    pthread_mutex_lock(&m->mu);
    *out = m->snap;
    pthread_mutex_unlock(&m->mu);
}

int room_model_post(struct room_model *m, const struct room_cmd *c)
{
    pthread_mutex_lock(&m->mu);
    if (m->count == ROOM_CMDS) {
        pthread_mutex_unlock(&m->mu);
        return -1;
    }
    m->cmds[(m->head + m->count) % ROOM_CMDS] = *c;
    m->cmds[(m->head + m->count) % ROOM_CMDS].text[ROOM_LINE_MAX - 1] = 0;
    m->count++;
    void (*wake)(void *) = m->wake;
    void *ctx = m->wake_ctx;
    pthread_mutex_unlock(&m->mu);
    if (wake)
        wake(ctx);
    return 0;
}

int room_model_take(struct room_model *m, struct room_cmd *out)
{
    pthread_mutex_lock(&m->mu);
    int got = m->count > 0;
    if (got) {
        *out = m->cmds[m->head];
        m->head = (m->head + 1) % ROOM_CMDS;
        m->count--;
    }
    pthread_mutex_unlock(&m->mu);
    return got;
}

struct room_snapshot *room_model_edit(struct room_model *m)
{
    pthread_mutex_lock(&m->mu);
    return &m->snap;
}

void room_model_done(struct room_model *m)
{
    m->snap.version++;
    pthread_mutex_unlock(&m->mu);
}

void room_model_add_line(struct room_snapshot *s, int kind, int slot, const char *text)
{
    if (s->nlines == ROOM_LINES) {
        memmove(&s->lines[0], &s->lines[1], (ROOM_LINES - 1) * sizeof s->lines[0]);
        s->nlines--;
    }
    struct room_line *l = &s->lines[s->nlines++];
    l->kind = kind;
    l->slot = slot;
    snprintf(l->text, sizeof l->text, "%s", text);
}
