/* bench_load.h: what the two halves of bench_load share: the coordinator
 * (bench_load.c: options, levels, CPU sampling, figures) and the worker
 * threads (bench_load_net.c: lws connections, enrolment, joins, the paced
 * audio and video traffic, the receivers' latency samples).
 *
 * Threading: each worker owns one lws context and the rooms given to it
 * (room i goes to worker i % K, both members: a frame's send and receive
 * times are read on the same CLOCK_MONOTONIC). The coordinator posts
 * commands (struct ctl, generation counter under mu) and waits on cv for
 * the workers' answers; it reads a worker's samples only after that worker
 * said it is done with the command (under mu). Counters the coordinator
 * reads while traffic runs are atomics. */
#ifndef TESTS_BENCH_LOAD_H
#define TESTS_BENCH_LOAD_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <libwebsockets.h>

#include "bp/bp.h"

#define LOAD_MAX_WORKERS 8
#define LOAD_MAX_ROOMS 1000
#define LOAD_AUDIO_BYTES 100         /* an Opus packet of 20 ms at ~32 kbit/s */
#define LOAD_VIDEO_FRAME_BYTES 6000  /* a VP8 delta frame at ~1.4 Mbit/s */
#define LOAD_AUDIO_NS 20000000ull    /* 50 audio frames a second */
#define LOAD_VIDEO_NS 33333333ull    /* 30 video frames a second */
#define LOAD_TXQ 4

enum load_kind { LK_AUDIO, LK_VIDEO, LK_N };

struct opts {
    char host[BP_HOST_MAX + 1];
    int port;
    long pid;
    unsigned levels[16];
    unsigned nlevels, max_rooms;
    unsigned duration_s, warmup_ms, workers, timeout_s;
    const char *tokens_file;
    int verbose;
};

enum pstate { P_IDLE, P_CONNECTING, P_HELLO, P_PROVING, P_WELCOMED, P_JOINING, P_IN_ROOM, P_CLOSED };

struct txmsg {
    uint8_t *buf; /* LWS_PRE headroom, then the text */
    size_t len;
};

struct worker;
struct room;

struct peer {
    struct worker *w;
    struct room *room;
    struct lws *wsi;
    int side;                   /* 0 consultant, 1 beneficiary */
    int creator;                /* room 0's consultant during setup: creates the bilans */
    struct bp_identity id;
    uint8_t token[BP_TOKEN_LEN];
    int enrolled;               /* else enrol with token */
    enum pstate st;
    int closing, others;        /* others: the other member is in the room */
    struct txmsg q[LOAD_TXQ];
    int qh, qn;
    uint8_t *rx;                /* text whole, binary its first bytes */
    size_t rx_len, rx_total;
    int rx_binary;
    /* Traffic: frames due (scheduled, not yet written) and the next times. */
    uint64_t next_a, next_v;
    unsigned a_due, v_due;      /* v_due in chunks */
    uint32_t seq[LK_N], vframe;
};

struct room {
    char bilan[BP_ID_MAX + 1];
    struct peer p[2];
};

/* Samples one worker gathers over a level (message send times inside the
 * measured window only). Latencies and send lags in µs. */
struct samples {
    uint32_t *v[LK_N + 1];      /* LK_AUDIO, LK_VIDEO latency; [LK_N]: send lag */
    size_t n[LK_N + 1], cap[LK_N + 1];
};

enum cmd { CMD_NONE, CMD_SETUP, CMD_CONNECT, CMD_RUN, CMD_STATS, CMD_CLOSE, CMD_QUIT };

struct ctl {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    unsigned gen;               /* bumped with each command */
    enum cmd cmd;
    unsigned nrooms;            /* rooms in this level */
    uint64_t t_start, w0, w1;   /* traffic start, measured window [w0, w1) */
    atomic_int failed;
    struct room *rooms;
    const struct opts *o;
    struct worker *workers;
    unsigned nworkers;
};

struct worker {
    struct ctl *c;
    unsigned idx;
    struct lws_context *ctx;
    lws_sorted_usec_list_t tick;
    uint64_t next_tick;         /* ns: see pace() in bench_load_net.c */
    pthread_t th;
    unsigned seen;              /* last command generation taken */
    enum cmd cmd;
    unsigned done_gen;          /* the generation it has finished (under c->mu) */
    struct peer **peers;        /* this level's peers */
    unsigned npeers, launched, created;
    uint8_t *txbuf;
    atomic_ullong sent[LK_N], rcvd[LK_N];  /* in the window */
    atomic_ullong other_text;   /* server messages the bench does not use */
    unsigned stats_replies;     /* CMD_STATS: `stats` answers received */
    atomic_ullong dropped_video; /* sum of their dropped_video */
    struct samples s;
};

/* bench_load_net.c */
int load_worker_init(struct worker *w, struct ctl *c, unsigned idx, unsigned fds);
void *load_worker_main(void *arg);
void load_worker_free(struct worker *w);
void load_fail(struct ctl *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
