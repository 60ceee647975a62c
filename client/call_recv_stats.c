/* call_recv_stats.c: the figures of the receive half of a call
 * (call_recv.h, call_recv_stats_json): capture-to-render latency rings,
 * per-second received bitrates, and the JSON of one remote slot.
 *
 * Must never: call back into the other call_recv files (they call this
 * one), allocate per sample (rings and series are fixed arrays). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "call_recv_int.h"

uint64_t cr_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

int32_t cr_latency_sample(struct call_recv *r, struct cr_series *s, uint32_t capture_ms,
                          uint64_t now_us)
{
    if (!atomic_load(&r->offset_set))
        return CR_NO_LATENCY;
    /* The server's clock now, in ms mod 2^32, against the sender's stamp on
     * that clock: a signed 32-bit difference survives the wrap. */
    uint32_t server_now = (uint32_t)((int64_t)(now_us / 1000) + (int64_t)atomic_load(&r->offset_ms));
    int32_t l = (int32_t)(server_now - capture_ms);
    s->lat[s->lat_at] = l;
    s->lat_at = (s->lat_at + 1) % CR_LAT_RING;
    if (s->lat_n < CR_LAT_RING)
        s->lat_n++;
    return l;
}

struct cr_tl_pt *cr_tl_now(struct call_recv *r, unsigned slot, uint64_t now_us)
{
    if (!atomic_load(&r->offset_set))
        return NULL;
    struct cr_slot *s = &r->slot[slot];
    int64_t t = ((int64_t)(now_us / 1000) + (int64_t)atomic_load(&r->offset_ms)) / 1000;
    if (s->tl_n) {
        struct cr_tl_pt *last = &s->tl[(s->tl_at + CR_TL_MAX - 1) % CR_TL_MAX];
        if (last->t_s >= t)
            return last; /* this second (or an offset that stepped back a little) */
    }
    struct cr_tl_pt *p = &s->tl[s->tl_at];
    memset(p, 0, sizeof *p);
    p->t_s = t;
    s->tl_at = (s->tl_at + 1) % CR_TL_MAX;
    if (s->tl_n < CR_TL_MAX)
        s->tl_n++;
    return p;
}

static json_t *timeline_json(const struct cr_slot *s)
{
    json_t *a = json_array();
    for (unsigned i = 0; a && i < s->tl_n; i++) {
        const struct cr_tl_pt *p = &s->tl[(s->tl_at + CR_TL_MAX - s->tl_n + i) % CR_TL_MAX];
        json_t *lat = json_array();
        for (unsigned k = 0; lat && k < p->v_lat_n; k++)
            json_array_append_new(lat, json_integer(p->v_lat[k]));
        json_array_append_new(
            a, json_pack("{sI s{sI sI sI sI} s{sI so}}", "t", (json_int_t)p->t_s, "audio", "played",
                         (json_int_t)p->a_played, "fec", (json_int_t)p->a_fec, "plc",
                         (json_int_t)p->a_plc, "stalls", (json_int_t)p->a_stalls, "video",
                         "rendered", (json_int_t)p->v_rendered, "latency_ms",
                         lat ? lat : json_array()));
    }
    return a ? a : json_array();
}

static void kbps_push(struct cr_series *s, uint32_t kbps)
{
    s->kbps[s->kbps_at] = kbps;
    s->kbps_at = (s->kbps_at + 1) % CR_KBPS_MAX;
    if (s->kbps_n < CR_KBPS_MAX)
        s->kbps_n++;
}

void cr_series_bytes(struct call_recv *r, struct cr_series *s, size_t len, uint64_t arrival_us)
{
    uint64_t sec = arrival_us > r->t0_us ? (arrival_us - r->t0_us) / 1000000u : 0;
    if (!s->have_sec) {
        s->have_sec = 1;
        s->sec = sec;
    }
    if (sec > s->sec) {
        kbps_push(s, (uint32_t)(s->sec_bytes * 8 / 1000));
        /* Silent seconds in between count as 0 (at most a whole series). */
        uint64_t quiet = sec - s->sec - 1;
        for (uint64_t i = 0; i < quiet && i < CR_KBPS_MAX; i++)
            kbps_push(s, 0);
        s->sec = sec;
        s->sec_bytes = 0;
    }
    s->sec_bytes += len;
}

static int cmp_i32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

/* Nearest-rank percentile p (0..100) of sorted v[0..n), n > 0. */
static int32_t pct(const int32_t *v, unsigned n, unsigned p)
{
    unsigned k = (n * p + 99) / 100;
    return v[k ? k - 1 : 0];
}

static json_t *latency_json(const struct cr_series *s)
{
    if (!s->lat_n)
        return json_pack("{sn sn si}", "p50", "p95", "samples", 0);
    int32_t v[CR_LAT_RING];
    memcpy(v, s->lat, sizeof(int32_t) * s->lat_n);
    qsort(v, s->lat_n, sizeof v[0], cmp_i32);
    return json_pack("{si si si}", "p50", (int)pct(v, s->lat_n, 50), "p95",
                     (int)pct(v, s->lat_n, 95), "samples", (int)s->lat_n);
}

static json_t *kbps_json(const struct cr_series *s)
{
    json_t *a = json_array();
    unsigned first = s->kbps_n < CR_KBPS_MAX ? 0 : s->kbps_at;
    for (unsigned i = 0; i < s->kbps_n; i++)
        json_array_append_new(a, json_integer(s->kbps[(first + i) % CR_KBPS_MAX]));
    return a;
}

static json_t *audio_json(const struct cr_audio *a)
{
    struct jitter_stats js;
    memset(&js, 0, sizeof js);
    if (a->jb)
        jitter_stats_get(a->jb, &js);
    json_t *dropped = json_pack("{sI sI sI sI sI sI}", "late", (json_int_t)js.late, "duplicate",
                                (json_int_t)js.duplicate, "overflow", (json_int_t)js.overflow,
                                "oversize", (json_int_t)js.oversize, "skipped",
                                (json_int_t)js.skipped, "refused", (json_int_t)a->refused);
    json_t *o = json_pack(
        "{sI sI sI sI sI sI sI sI so si si}", "frames", (json_int_t)a->received, "played",
        (json_int_t)a->played, "concealed_fec", (json_int_t)a->fec, "concealed_plc",
        (json_int_t)a->plc, "stalls", (json_int_t)a->stalls, "late", (json_int_t)js.late,
        "decode_errors", (json_int_t)a->decode_errors, "gaps_over_60ms",
        (json_int_t)a->gaps_over_60ms, "dropped", dropped, "delay_ms",
        (int)(js.current_delay_us / 1000), "target_delay_ms", (int)(js.target_delay_us / 1000));
    json_object_set_new(o, "latency_ms", latency_json(&a->ser));
    json_object_set_new(o, "kbps", kbps_json(&a->ser));
    return o;
}

static json_t *video_json(const struct cr_video *v, struct avsync *av, const struct vasm_stats *vs)
{
    struct jitter_stats js;
    memset(&js, 0, sizeof js);
    if (v->jb)
        jitter_stats_get(v->jb, &js);
    /* Frames, then chunks (refused by reassembly: vasm.h). */
    json_t *dropped = json_pack(
        "{sI sI sI sI sI sI sI sI sI sI sI sI}", "late", (json_int_t)js.late, "undecodable",
        (json_int_t)v->undecodable, "decode_errors", (json_int_t)v->decode_errors, "avsync_late",
        (json_int_t)v->avsync_late, "duplicate", (json_int_t)js.duplicate, "overflow",
        (json_int_t)js.overflow, "oversize", (json_int_t)(js.oversize + v->refused), "chunks_late",
        (json_int_t)vs->late, "chunks_duplicate", (json_int_t)vs->duplicate, "chunks_mismatch",
        (json_int_t)vs->mismatch, "chunks_too_large", (json_int_t)vs->too_large,
        "skipped_by_jitter", (json_int_t)js.skipped);
    json_t *o =
        json_pack("{sI sI sI sI sI sI sI sI sI so}", "chunks", (json_int_t)v->chunks, "complete",
                  (json_int_t)vs->complete, "incomplete", (json_int_t)vs->given_up, "lost",
                  (json_int_t)js.lost_plc, "decoded", (json_int_t)v->decoded, "rendered",
                  (json_int_t)v->rendered, "keyframes", (json_int_t)v->keyframes,
                  "keyframe_requests", (json_int_t)v->keyframe_requests, "write_errors",
                  (json_int_t)v->write_errors, "dropped", dropped);
    json_object_set_new(o, "latency_ms", latency_json(&v->ser));
    struct avsync_stats as;
    memset(&as, 0, sizeof as);
    if (av)
        avsync_stats_get(av, &as);
    json_object_set_new(o, "lipsync_ms",
                        as.samples ? json_pack("{si si si}", "p50", (int)(as.offset_p50_us / 1000),
                                               "abs_p95", (int)(as.abs_offset_p95_us / 1000),
                                               "samples", (int)as.samples)
                                   : json_pack("{sn sn si}", "p50", "abs_p95", "samples", 0));
    json_object_set_new(o, "kbps", kbps_json(&v->ser));
    json_object_set_new(o, "rendered_late", json_integer((json_int_t)v->rendered_late));
    json_object_set_new(o, "first_decode_ms",
                        v->first_decode_us && v->first_chunk_us
                            ? json_integer((json_int_t)((v->first_decode_us - v->first_chunk_us) / 1000))
                            : json_null());
    json_object_set_new(o, "max_render_gap_ms",
                        v->rendered > 1 ? json_integer((json_int_t)(v->max_render_gap_us / 1000))
                                        : json_null());
    return o;
}

json_t *cr_slot_json(struct call_recv *r, unsigned slot)
{
    struct cr_slot *s = &r->slot[slot];
    struct vasm_stats vs;
    vasm_stats_get(r->vasm, slot, &vs);
    return json_pack("{si so so so}", "slot", (int)slot, "audio", audio_json(&s->a), "video",
                     video_json(&s->v, s->av, &vs), "timeline", timeline_json(s));
}

void cr_sink_error(struct call_recv *r, int rc, const char *what, const char *why)
{
    if (r->sink_rc)
        return;
    r->sink_rc = rc;
    snprintf(r->sink_err, sizeof r->sink_err, "%s : %s", what, why ? why : "?");
}
