/* bench_load.c: how many two-party rooms of live audio and video one
 * bilan-server carries, on loopback, without codecs.
 *
 * For each level N (--rooms, default 10,50,100,200): N rooms, each with a
 * consultant device and a beneficiary device; each member sends what a call
 * sends (bench_load_net.c: 50 audio frames/s of 100 B, 30 video frames/s of
 * 6 KB in 1200-byte chunks, one binary message per chunk) for a warm-up and
 * then --duration seconds, and receives the other's. Per level it reports:
 *   - the server's CPU over the measured window (utime + stime from
 *     /proc/PID/stat; 100 % = one core);
 *   - relay latency p50 / p99, audio and video (send time to receive time,
 *     same process, CLOCK_MONOTONIC);
 *   - messages sent in the window, received, and missing (not received 3 s
 *     after the window: dropped by the server, which may drop video for a
 *     slow receiver but never audio, or still queued somewhere);
 *   - the generator's own CPU (process and busiest worker thread) and its
 *     send lag p99 (due time to write): when a worker is near a full core or
 *     the lag grows, the generator, not the server, may be the limit, and
 *     the output says so.
 * Then the N at which the server reaches 70 % of one core, interpolated
 * between measured levels (or "not reached").
 *
 * Enrolment: --tokens names a file of consultant enrolment tokens (one per
 * line, at least the largest N; tests/bench/media.sh makes them with
 * `bilan-server consultant token`). Device i enrols with token i; device 0
 * first creates the N bilans, whose invite tokens enrol the beneficiaries.
 * One device per member, because a device may join at most 30 rooms a
 * minute (server/quota.c); a device joins once per level.
 *
 * Output: tables, then "BENCH_JSON {...}". Exit 0 when every level ran.
 * Never prints tokens or keys. Waits are bounded (condition variables with
 * deadlines, lws_service in the workers); no sleeps.
 */
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "bench_common.h"
#include "bench_load.h"
#include "bp/media.h"

struct level_fig {
    unsigned n;
    double srv_cpu, gen_cpu, busiest_thread;
    double others_cpu;                    /* the rest of the machine: other processes */
    double p50[LK_N], p99[LK_N], lag_p99; /* ms */
    unsigned long long sent[LK_N], rcvd[LK_N], other_text;
    long long dropped_video;              /* the server's count (stats), -1 unknown */
    int gen_saturated, machine_saturated;
};


/* ---- coordination ---- */

static void post(struct ctl *c, enum cmd cmd)
{
    pthread_mutex_lock(&c->mu);
    c->cmd = cmd;
    c->gen++;
    pthread_mutex_unlock(&c->mu);
    for (unsigned i = 0; i < c->nworkers; i++)
        lws_cancel_service(c->workers[i].ctx);
}

static struct timespec abs_ts(uint64_t ns)
{
    struct timespec ts = {(time_t)(ns / 1000000000u), (long)(ns % 1000000000u)};
    return ts;
}

/* Waits until every worker finished the current command, or failure, or
 * the deadline: 0 or -1. */
static int wait_done(struct ctl *c, unsigned secs, const char *what)
{
    struct timespec ts = abs_ts(bench_now_ns() + (uint64_t)secs * 1000000000u);
    int rc = 0;
    pthread_mutex_lock(&c->mu);
    for (;;) {
        unsigned done = 0;
        for (unsigned i = 0; i < c->nworkers; i++)
            done += c->workers[i].done_gen == c->gen;
        if (done == c->nworkers || atomic_load(&c->failed))
            break;
        if (pthread_cond_timedwait(&c->cv, &c->mu, &ts)) {
            rc = -1;
            break;
        }
    }
    pthread_mutex_unlock(&c->mu);
    if (rc)
        load_fail(c, "timed out waiting for %s", what);
    return atomic_load(&c->failed) ? -1 : 0;
}

/* Waits until time t (or failure): the measured window's edges. */
static void wait_until(struct ctl *c, uint64_t t)
{
    struct timespec ts = abs_ts(t);
    pthread_mutex_lock(&c->mu);
    while (!atomic_load(&c->failed) && bench_now_ns() < t)
        pthread_cond_timedwait(&c->cv, &c->mu, &ts);
    pthread_mutex_unlock(&c->mu);
}

static unsigned long long sum(struct ctl *c, int sent, int k)
{
    unsigned long long s = 0;
    for (unsigned i = 0; i < c->nworkers; i++)
        s += atomic_load(sent ? &c->workers[i].sent[k] : &c->workers[i].rcvd[k]);
    return s;
}

static double thread_cpu_s(pthread_t th)
{
    clockid_t cid;
    struct timespec ts;
    if (pthread_getcpuclockid(th, &cid) || clock_gettime(cid, &ts))
        return NAN;
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double pct_ms(uint32_t *v, size_t n, double p)
{
    uint64_t *u = malloc((n ? n : 1) * sizeof *u);
    double r;
    if (!u)
        return NAN;
    for (size_t i = 0; i < n; i++)
        u[i] = v[i];
    r = bench_pct_u64(u, n, p) / 1000.0;
    free(u);
    return r;
}

/* Merges the workers' samples of kind k (LK_N: send lag) and takes p. */
static double merged_pct(struct ctl *c, int k, double p)
{
    size_t n = 0, at = 0;
    for (unsigned i = 0; i < c->nworkers; i++)
        n += c->workers[i].s.n[k];
    uint32_t *all = malloc((n ? n : 1) * sizeof *all);
    if (!all)
        return NAN;
    for (unsigned i = 0; i < c->nworkers; i++) {
        memcpy(all + at, c->workers[i].s.v[k], c->workers[i].s.n[k] * sizeof *all);
        at += c->workers[i].s.n[k];
    }
    double r = pct_ms(all, n, p);
    free(all);
    return r;
}

static int run_level(struct ctl *c, unsigned n, struct level_fig *f)
{
    const struct opts *o = c->o;
    double srv0, self0, th0[LOAD_MAX_WORKERS], mbusy0 = 0, mtot0, mbusy1 = 0, mtot1;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    memset(f, 0, sizeof *f);
    f->n = n;
    for (unsigned i = 0; i < c->nworkers; i++) {
        for (int k = 0; k < LK_N; k++) {
            atomic_store(&c->workers[i].sent[k], 0);
            atomic_store(&c->workers[i].rcvd[k], 0);
        }
        atomic_store(&c->workers[i].other_text, 0);
        atomic_store(&c->workers[i].dropped_video, 0);
    }
    c->nrooms = n;
    c->w0 = c->w1 = 0;
    post(c, CMD_CONNECT);
    if (wait_done(c, o->timeout_s, "every member to be in its room"))
        return -1;
    c->t_start = bench_now_ns() + 50000000u;
    c->w0 = c->t_start + (uint64_t)o->warmup_ms * 1000000u;
    c->w1 = c->w0 + (uint64_t)o->duration_s * 1000000000u;
    post(c, CMD_RUN);
    wait_until(c, c->w0);
    bench_machine_cpu_s(&mbusy0, &mtot0);
    srv0 = bench_proc_cpu_s(o->pid);
    self0 = bench_self_cpu_s();
    for (unsigned i = 0; i < c->nworkers; i++)
        th0[i] = thread_cpu_s(c->workers[i].th);
    wait_until(c, c->w1);
    double wall = (double)(bench_now_ns() - c->w0) / 1e9;
    f->srv_cpu = (bench_proc_cpu_s(o->pid) - srv0) / wall;
    f->gen_cpu = (bench_self_cpu_s() - self0) / wall;
    bench_machine_cpu_s(&mbusy1, &mtot1);
    f->others_cpu = (mbusy1 - mbusy0) / wall - f->srv_cpu - f->gen_cpu;
    if (f->others_cpu < 0)
        f->others_cpu = 0; /* clock-tick rounding */
    for (unsigned i = 0; i < c->nworkers; i++) {
        double t = (thread_cpu_s(c->workers[i].th) - th0[i]) / wall;
        if (t > f->busiest_thread)
            f->busiest_thread = t;
    }
    /* Drain: what was sent in the window arrives, or is lost, within 3 s. */
    uint64_t drain_end = bench_now_ns() + 3000000000ull;
    while (bench_now_ns() < drain_end && !atomic_load(&c->failed) &&
           (sum(c, 0, LK_AUDIO) < sum(c, 1, LK_AUDIO) || sum(c, 0, LK_VIDEO) < sum(c, 1, LK_VIDEO)))
        wait_until(c, bench_now_ns() + 20000000u);
    for (int k = 0; k < LK_N; k++) {
        f->sent[k] = sum(c, 1, k);
        f->rcvd[k] = sum(c, 0, k);
    }
    for (unsigned i = 0; i < c->nworkers; i++)
        f->other_text += atomic_load(&c->workers[i].other_text);
    /* The server's own count of video it dropped for each receiver (during
     * the whole level, warm-up and drain included). */
    post(c, CMD_STATS);
    if (wait_done(c, o->timeout_s, "the answers to stats"))
        return -1;
    for (unsigned i = 0; i < c->nworkers; i++)
        f->dropped_video += (long long)atomic_load(&c->workers[i].dropped_video);
    post(c, CMD_CLOSE);
    if (wait_done(c, o->timeout_s, "connections to close"))
        return -1;
    /* Every worker is done with this level: its samples are stable. */
    for (int k = 0; k < LK_N; k++) {
        f->p50[k] = merged_pct(c, k, 50);
        f->p99[k] = merged_pct(c, k, 99);
    }
    f->lag_p99 = merged_pct(c, LK_N, 99);
    f->gen_saturated = f->busiest_thread > 0.9 || f->lag_p99 > 50;
    f->machine_saturated = f->srv_cpu + f->gen_cpu + f->others_cpu > 0.9 * (double)ncpu;
    return 0;
}

/* ---- options ---- */

static void usage(FILE *f)
{
    fprintf(f,
            "usage: bench_load --server HOST:PORT --pid PID --tokens FILE [options]\n"
            "  --server HOST:PORT  bilan-server (wss://HOST:PORT/ws)\n"
            "  --pid PID           its process id (CPU from /proc/PID/stat)\n"
            "  --tokens FILE       consultant enrolment tokens, one per line (>= largest N)\n"
            "  --rooms N[,N...]    room counts, one level each (default 10,50,100,200)\n"
            "  --duration S        measured seconds per level (default 10)\n"
            "  --warmup MS         traffic before the measured window (default 1000)\n"
            "  --workers K         generator threads, one lws context each (default 2)\n"
            "  --timeout S         bound on connecting or closing a level (default 60)\n"
            "Prints tables on stdout, then 'BENCH_JSON {...}'.\n");
}

static int parse_args(int argc, char **argv, struct opts *o)
{
    static const struct option lo[] = {
        {"server", required_argument, NULL, 's'}, {"pid", required_argument, NULL, 'p'},
        {"tokens", required_argument, NULL, 'k'}, {"rooms", required_argument, NULL, 'r'},
        {"duration", required_argument, NULL, 'd'}, {"warmup", required_argument, NULL, 'u'},
        {"workers", required_argument, NULL, 'w'}, {"timeout", required_argument, NULL, 't'},
        {"verbose", no_argument, NULL, 'v'}, {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *server = NULL, *rooms = "10,50,100,200";
    unsigned pid = 0, port;
    int c;
    memset(o, 0, sizeof *o);
    o->duration_s = 10;
    o->warmup_ms = 1000;
    o->workers = 2;
    o->timeout_s = 60;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (c) {
        case 's': server = optarg; break;
        case 'p': if (bench_parse_uint(optarg, 1, 0x7fffffff, &pid)) goto bad; break;
        case 'k': o->tokens_file = optarg; break;
        case 'r': rooms = optarg; break;
        case 'd': if (bench_parse_uint(optarg, 1, 3600, &o->duration_s)) goto bad; break;
        case 'u': if (bench_parse_uint(optarg, 0, 60000, &o->warmup_ms)) goto bad; break;
        case 'w': if (bench_parse_uint(optarg, 1, LOAD_MAX_WORKERS, &o->workers)) goto bad; break;
        case 't': if (bench_parse_uint(optarg, 5, 3600, &o->timeout_s)) goto bad; break;
        case 'v': o->verbose = 1; break;
        case 'h': usage(stdout); exit(0);
        default: usage(stderr); return -1;
        }
    }
    o->pid = (long)pid;
    if (optind != argc || !server || !pid || !o->tokens_file) {
        fprintf(stderr, "bench_load: --server, --pid and --tokens are required\n");
        return -1;
    }
    for (char *s = (char *)rooms, *end; *s; s = *end ? end + 1 : end) {
        unsigned long v = strtoul(s, &end, 10);
        if (end == s || v < 1 || v > LOAD_MAX_ROOMS || (*end && *end != ',') ||
            o->nlevels == sizeof o->levels / sizeof o->levels[0]) {
            fprintf(stderr, "bench_load: --rooms wants counts 1..%d separated by commas\n",
                    LOAD_MAX_ROOMS);
            return -1;
        }
        o->levels[o->nlevels++] = (unsigned)v;
        if (v > o->max_rooms)
            o->max_rooms = (unsigned)v;
    }
    const char *colon = strrchr(server, ':');
    size_t hl = colon ? (size_t)(colon - server) : 0;
    if (!colon || bench_parse_uint(colon + 1, 1, 65535, &port) || !hl || hl > BP_HOST_MAX) {
        fprintf(stderr, "bench_load: --server wants HOST:PORT\n");
        return -1;
    }
    memcpy(o->host, server, hl);
    o->port = (int)port;
    return o->nlevels ? 0 : -1;
bad:
    fprintf(stderr, "bench_load: bad value '%s'\n", optarg);
    return -1;
}

/* Reads n consultant tokens into the rooms' consultants. */
static int read_tokens(const char *path, struct room *rooms, unsigned n)
{
    FILE *f = fopen(path, "r");
    char line[256];
    unsigned got = 0;
    if (!f) {
        fprintf(stderr, "bench_load: cannot read %s\n", path);
        return -1;
    }
    while (got < n && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = 0;
        if (!line[0])
            continue;
        if (bp_b64_decode_exact(line, rooms[got].p[0].token, BP_TOKEN_LEN) < 0) {
            fprintf(stderr, "bench_load: line %u of %s is not a token\n", got + 1, path);
            fclose(f);
            return -1;
        }
        got++;
    }
    OPENSSL_cleanse(line, sizeof line);
    fclose(f);
    if (got < n)
        fprintf(stderr, "bench_load: %s holds %u tokens, %u needed\n", path, got, n);
    return got < n ? -1 : 0;
}

/* One table: CPU and latency, then one of counts, a row per level each. */
static void print_and_json(const struct level_fig *f, unsigned nf, json_t *jl)
{
    printf("\n%6s %8s %10s %7s %9s %15s %15s\n", "rooms", "server", "generator", "others",
           "send lag", "audio ms", "video ms");
    printf("%6s %8s %10s %7s %9s %15s %15s\n", "", "CPU", "CPU (thr)", "CPU", "p99 ms",
           "p50 / p99", "p50 / p99");
    for (unsigned i = 0; i < nf; i++) {
        char gc[24];
        snprintf(gc, sizeof gc, "%.0f%% (%.0f%%)", f[i].gen_cpu * 100, f[i].busiest_thread * 100);
        printf("%6u %7.0f%% %10s %6.0f%% %9.1f %6.1f / %6.1f %6.1f / %6.1f%s%s\n", f[i].n,
               f[i].srv_cpu * 100, gc, f[i].others_cpu * 100, f[i].lag_p99, f[i].p50[0],
               f[i].p99[0], f[i].p50[1], f[i].p99[1],
               f[i].gen_saturated ? "  GENERATOR SATURATED" : "",
               f[i].machine_saturated ? "  CORES SATURATED" : "");
    }
    printf("\n%6s %27s %27s %10s\n", "rooms", "audio frames", "video chunks", "video");
    printf("%6s %27s %27s %10s\n", "", "sent / received / missing", "sent / received / missing",
           "dropped *");
    for (unsigned i = 0; i < nf; i++) {
        char a[48], v[48];
        snprintf(a, sizeof a, "%llu / %llu / %llu", f[i].sent[0], f[i].rcvd[0],
                 f[i].sent[0] - f[i].rcvd[0]);
        snprintf(v, sizeof v, "%llu / %llu / %llu", f[i].sent[1], f[i].rcvd[1],
                 f[i].sent[1] - f[i].rcvd[1]);
        printf("%6u %27s %27s %10lld\n", f[i].n, a, v, f[i].dropped_video);
        json_t *j = json_pack("{s:i,s:f,s:f,s:f,s:f,s:f,s:f,s:f,s:f,s:f}", "rooms", f[i].n,
                              "server_cpu", f[i].srv_cpu, "generator_cpu", f[i].gen_cpu,
                              "generator_busiest_thread", f[i].busiest_thread, "others_cpu",
                              f[i].others_cpu, "audio_p50_ms", f[i].p50[0], "audio_p99_ms",
                              f[i].p99[0], "video_p50_ms", f[i].p50[1], "video_p99_ms",
                              f[i].p99[1], "send_lag_p99_ms", f[i].lag_p99);
        json_t *counts = json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:b,s:b}", "audio_sent",
                                        (json_int_t)f[i].sent[0], "audio_received",
                                        (json_int_t)f[i].rcvd[0], "video_sent",
                                        (json_int_t)f[i].sent[1], "video_received",
                                        (json_int_t)f[i].rcvd[1], "server_dropped_video",
                                        (json_int_t)f[i].dropped_video, "other_messages",
                                        (json_int_t)f[i].other_text, "generator_saturated",
                                        f[i].gen_saturated, "cores_saturated",
                                        f[i].machine_saturated);
        json_object_update(j, counts);
        json_decref(counts);
        json_array_append_new(jl, j);
    }
    printf("  * video chunks the server dropped for a slow receiver, by its own count "
           "(`stats`),\n    over the whole level (warm-up and drain included)\n");
}

int main(int argc, char **argv)
{
    struct opts o;
    struct ctl c;
    struct worker w[LOAD_MAX_WORKERS];
    struct level_fig figs[16];
    unsigned nfig = 0, started = 0;
    int rc = 1;
    pthread_condattr_t ca;

    signal(SIGPIPE, SIG_IGN);
    if (parse_args(argc, argv, &o)) {
        usage(stderr);
        return 2;
    }
    memset(&c, 0, sizeof c);
    memset(w, 0, sizeof w);
    pthread_mutex_init(&c.mu, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&c.cv, &ca);
    c.o = &o;
    c.workers = w;
    c.nworkers = o.workers;
    c.rooms = calloc(o.max_rooms, sizeof *c.rooms);
    if (!c.rooms || read_tokens(o.tokens_file, c.rooms, o.max_rooms))
        return 2;
    for (unsigned r = 0; r < o.max_rooms; r++)
        for (int s = 0; s < 2; s++) {
            struct peer *p = &c.rooms[r].p[s];
            p->room = &c.rooms[r];
            p->side = s;
            p->rx = malloc(BP_MAX_CTRL);
            if (!p->rx || bp_identity_generate(&p->id)) {
                fprintf(stderr, "bench_load: cannot make a device identity\n");
                return 1;
            }
        }
    {
        struct rlimit rl;
        if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
            rl.rlim_cur = rl.rlim_max;
            setrlimit(RLIMIT_NOFILE, &rl);
        }
    }
    lws_set_log_level(o.verbose ? LLL_ERR | LLL_WARN : LLL_ERR, NULL);
    /* Every context exists before any connection starts (lws 4.1 takes a new
     * OpenSSL ex_data index per context, which breaks handshakes under way:
     * see bench_relay.c). */
    for (unsigned i = 0; i < o.workers; i++)
        if (load_worker_init(&w[i], &c, i, 2 * o.max_rooms / o.workers + 64)) {
            fprintf(stderr, "bench_load: cannot create an lws context\n");
            goto out;
        }
    for (; started < o.workers; started++)
        if (pthread_create(&w[started].th, NULL, load_worker_main, &w[started])) {
            fprintf(stderr, "bench_load: cannot start a worker thread\n");
            goto out;
        }

    c.nrooms = o.max_rooms;
    post(&c, CMD_SETUP);
    if (wait_done(&c, o.timeout_s, "the bilans to be created"))
        goto out;
    for (unsigned i = 0; i < o.nlevels; i++) {
        if (run_level(&c, o.levels[i], &figs[nfig]))
            goto out;
        nfig++;
        fprintf(stderr, "bench_load: %u rooms done\n", o.levels[i]);
    }
    rc = 0;
out:
    if (started) {
        if (rc && !atomic_load(&c.failed))
            load_fail(&c, "stopping");
        if (rc) { /* close what is open, bounded */
            post(&c, CMD_CLOSE);
            atomic_store(&c.failed, 0);
            wait_done(&c, 10, "connections to close after the failure");
        }
        post(&c, CMD_QUIT);
        for (unsigned i = 0; i < started; i++)
            pthread_join(w[i].th, NULL);
    }

    /* ---- report ---- */
    {
        json_t *jl = json_array(), *root;
        long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
        double at70 = NAN, prev_n = 0, prev_cpu = 0;
        printf("bench_load: bilan-server %s:%d (pid %ld), two-party rooms, each member sending "
               "50 audio frames/s of %d B and 30 video frames/s of %d B in %d-byte chunks;\n"
               "  %u s measured per level after %u ms of warm-up; %u generator thread(s); "
               "%ld core(s) online shared by server and generator.\n"
               "  CPU: 100%% = one core (generator: whole process, busiest thread in "
               "parentheses;\n  others: the rest of the machine, other processes). Latency: send to receive "
               "through the server.\n  miss: sent in the window, not received 3 s after it "
               "(dropped by the server: video only; or still queued).\n",
               o.host, o.port, o.pid, LOAD_AUDIO_BYTES, LOAD_VIDEO_FRAME_BYTES,
               BP_VCHUNK_DATA_MAX, o.duration_s, o.warmup_ms, o.workers, ncpu);
        print_and_json(figs, nfig, jl);
        /* The first level at 70 % or more, unless the setup saturated first:
         * past that point the server's CPU says more about the shortage
         * than about the server. */
        unsigned overloaded_at = 0, overloaded_idx = 0;
        for (unsigned i = 0; i < nfig; i++) {
            if (figs[i].srv_cpu >= 0.7) {
                at70 = prev_n + (0.7 - prev_cpu) / (figs[i].srv_cpu - prev_cpu) *
                                    ((double)figs[i].n - prev_n);
                break;
            }
            if (figs[i].gen_saturated || figs[i].machine_saturated || figs[i].p99[LK_AUDIO] > 100) {
                overloaded_at = figs[i].n;
                overloaded_idx = i;
                break;
            }
            prev_n = figs[i].n;
            prev_cpu = figs[i].srv_cpu;
        }
        if (!isnan(at70))
            printf("\nserver at 70%% of one core: about %.0f rooms (linear between measured "
                   "levels)\n", at70);
        else if (overloaded_at && prev_n > 0)
            printf("\nserver at 70%% of one core: not measured: the setup saturated first, at "
                   "%u rooms (generator or\n  cores saturated, or audio p99 over 100 ms), where "
                   "the server used %.0f%%; at %.0f rooms, the last\n  level before, it used "
                   "%.0f%% (%.2f%% of a core per room)\n",
                   overloaded_at, 100 * figs[overloaded_idx].srv_cpu, prev_n, 100 * prev_cpu,
                   100 * prev_cpu / prev_n);
        else if (overloaded_at)
            printf("\nserver at 70%% of one core: not measured: the setup saturated at %u "
                   "rooms already\n", overloaded_at);
        else if (nfig)
            printf("\nserver at 70%% of one core: not reached up to %u rooms\n",
                   figs[nfig - 1].n);
        root = json_pack("{s:o,s:b,s:i}", "levels", jl, "ok", rc == 0, "cpus_online",
                         (int)ncpu);
        json_object_set_new(root, "setup_saturated_at_rooms",
                            overloaded_at ? json_integer(overloaded_at) : json_null());
        json_object_set_new(root, "rooms_at_70pct_core", isnan(at70) ? json_null()
                                                                        : json_real(at70));
        char *s = json_dumps(root, JSON_COMPACT | JSON_REAL_PRECISION(6));
        printf("BENCH_JSON %s\n", s ? s : "{}");
        free(s);
        json_decref(root);
        fflush(stdout);
    }
    for (unsigned i = 0; i < o.workers; i++)
        load_worker_free(&w[i]);
    for (unsigned r = 0; r < o.max_rooms; r++)
        for (int s = 0; s < 2; s++) {
            bp_identity_wipe(&c.rooms[r].p[s].id);
            OPENSSL_cleanse(c.rooms[r].p[s].token, BP_TOKEN_LEN);
            free(c.rooms[r].p[s].rx);
        }
    free(c.rooms);
    if (rc)
        fprintf(stderr, "bench_load: FAILED\n");
    return rc;
}
