/* wake_probe.c: `bilan join` with one more frame source, fed by a thread:
 * the proof that another thread can wake the client's network loop
 * (net_wake -> LWS_CALLBACK_EVENT_WAIT_CANCELLED -> dialog_on_wake) while
 * it is connected to a real bilan-server (test_wake.py).
 *
 * Usage: wake_probe DATA_DIR FRAMES join-options... (those of `bilan join`)
 *
 * A producer thread pushes FRAMES audio frames into a bounded frameq (4
 * frames), each push waking the loop, which pulls (the loop never polls a
 * thread's queue). First half: as fast as the queue takes them, waiting
 * for room when it is full (the bounded queue's back pressure). Second
 * half, paced: each frame is pushed only once the loop has pulled the one
 * before and then found the queue empty (so its chain of writes has
 * stopped): each of these frames goes out only if its wake works. Once
 * every frame was pulled, the thread raises SIGINT: the probe leaves the
 * room as on Ctrl-C. It then prints
 * "wake_probe: pushed=N pulled=N sent=N wakes=W paced=P" and exits 0 when
 * all N frames went out and the loop saw a wake for each paced frame. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bp/kinds.h"
#include "cli.h"
#include "frameq.h"
#include "join_opts.h"

#define QUEUE_FRAMES 4
#define WAIT_MS 60000 /* failure bound only */

static struct frameq q;
static struct dialog *dlg;
static pthread_t producer;
static int started, frames, paced, gave_up;

/* The loop asking the queue and finding it empty ends its chain of writes;
 * noted with how many frames it had pulled then, so that the paced half
 * pushes a frame only once the loop went idle after the one before. */
static pthread_mutex_t miss_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t miss_cv = PTHREAD_COND_INITIALIZER;
static long long idle_after = -1; /* frames pulled when the loop last found none */

static int probe_next(void *ctx, uint8_t *out, size_t cap, struct mux_meta *meta, uint64_t now)
{
    int n = frameq_source.next(ctx, out, cap, meta, now);
    if (n == 0) {
        /* q.pulled is written by this (the loop's) thread only. */
        pthread_mutex_lock(&miss_mu);
        idle_after = (long long)q.pulled;
        pthread_cond_broadcast(&miss_cv);
        pthread_mutex_unlock(&miss_mu);
    }
    return n;
}

/* Like frameq_source: no pending(), the queue wakes the loop. */
static const struct mux_source probe_source = {.next = probe_next, .pending = NULL};

static int push(int i)
{
    char payload[64];
    int n = snprintf(payload, sizeof payload, "wake probe frame %d", i);
    while (frameq_push(&q, (const uint8_t *)payload, (size_t)n, 0, (uint32_t)(i * 960)) ==
           BP_E_NOMEM)
        if (!frameq_wait_room(&q, WAIT_MS))
            return -1;
    return 0;
}

/* Waits until the loop, having pulled n frames, found the queue empty. */
static int wait_idle_after(long long n)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += WAIT_MS / 1000;
    pthread_mutex_lock(&miss_mu);
    int rc = 0;
    while (idle_after < n && rc == 0)
        rc = pthread_cond_timedwait(&miss_cv, &miss_mu, &ts);
    int ok = idle_after >= n;
    pthread_mutex_unlock(&miss_mu);
    return ok;
}

static void *produce(void *arg)
{
    (void)arg;
    int burst = frames - paced, i = 0;
    for (; i < burst; i++)
        if (push(i))
            goto fail;
    for (; i < frames; i++) {
        /* Every frame so far was pulled and the loop then found nothing:
         * it writes no more until something wakes it. */
        if (!wait_idle_after(i) || push(i))
            goto fail;
    }
    if (!frameq_wait_empty(&q, WAIT_MS))
        goto fail;
    /* Every frame was pulled (written by the loop): leave, as on Ctrl-C. */
    kill(getpid(), SIGINT);
    return NULL;
fail:
    gave_up = 1;
    return NULL;
}

/* join_opts.on_ready: the dialog is set up, not yet connected. */
static void on_ready(void *ctx, struct dialog *d)
{
    (void)ctx;
    dlg = d;
    if (frameq_init(&q, QUEUE_FRAMES, 1000, mux_wake, &d->mux) ||
        mux_set_source(&d->mux, BP_KIND_AUDIO, &probe_source, &q)) {
        fprintf(stderr, "wake_probe: cannot set up the frame queue\n");
        exit(1);
    }
    started = pthread_create(&producer, NULL, produce, NULL) == 0;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: wake_probe DATA_DIR FRAMES join-options...\n");
        return 1;
    }
    frames = atoi(argv[2]);
    paced = frames / 2;
    static struct app a;
    if (app_resolve_dir(&a, argv[1]))
        return 1;
    static struct join_opts o;
    /* argv[2] stands in for the command name, as `bilan join` sees it. */
    int rc = join_opts_parse(&o, argc - 2, argv + 2);
    if (rc)
        return rc < 0 ? 0 : rc;
    o.on_ready = on_ready;
    rc = join_run(&a, &o);
    if (started)
        pthread_join(producer, NULL);
    unsigned long long pushed = q.pushed, pulled = q.pulled;
    unsigned long long sent =
        dlg ? (unsigned long long)dlg->mux.lane[bp_kind_info(BP_KIND_AUDIO)->stream].sent : 0;
    unsigned long long wakes = dlg ? (unsigned long long)dlg->mux.wakes : 0;
    printf("wake_probe: pushed=%llu pulled=%llu sent=%llu wakes=%llu paced=%d\n", pushed, pulled,
           sent, wakes, paced);
    fflush(stdout);
    frameq_free(&q);
    join_opts_free(&o);
    app_close(&a);
    if (rc)
        return rc;
    int ok = !gave_up && pushed == (unsigned long long)frames && sent == pushed &&
             wakes >= (unsigned long long)paced;
    return ok ? 0 : 1;
}
