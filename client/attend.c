/* attend.c: a device's own account of a session, and the check of a
 * session record against it (see attend.h). The reasons are in French: they
 * are signed and kept with the receipts, for the people who read them. */
#include <stdio.h>
#include <string.h>

#include "attend.h"

static int64_t max64(int64_t a, int64_t b)
{
    return a > b ? a : b;
}

static int64_t abs64(int64_t a)
{
    return a < 0 ? -a : a;
}

static void accrue(struct attend_obs *o, int64_t now)
{
    if (o->closed || now <= o->last_ms) {
        o->last_ms = max64(o->last_ms, o->closed ? o->last_ms : now);
        return;
    }
    int64_t d = now - o->last_ms;
    if (o->here)
        o->present_ms += d;
    if (o->here && o->both)
        o->ftf_ms += d;
    o->last_ms = now;
}

void attend_begin(struct attend_obs *o, const char *session, int have_start, int64_t start_ms, int64_t elapsed_ms,
                  int64_t now)
{
    memset(o, 0, sizeof *o);
    snprintf(o->session, sizeof o->session, "%s", session);
    o->have_start = have_start ? 1 : 0;
    o->start_ms = have_start ? start_ms : 0;
    o->elapsed0_ms = have_start ? 0 : max64(0, elapsed_ms);
    o->first_ms = o->last_ms = now;
}

static int seen_has(const struct attend_obs *o, const uint8_t fp[BP_FP_LEN])
{
    for (size_t i = 0; i < o->n_seen && i < ATTEND_SEEN_MAX; i++)
        if (!memcmp(o->seen[i], fp, BP_FP_LEN))
            return 1;
    return 0;
}

void attend_roster(struct attend_obs *o, const struct attend_member *roster, size_t n, int here, int change,
                   int64_t now)
{
    accrue(o, now);
    if (o->closed)
        return;
    if (change)
        o->transitions++;
    int c = 0, b = 0;
    for (size_t i = 0; i < n; i++) {
        c |= roster[i].consultant;
        b |= !roster[i].consultant;
        if (!here || seen_has(o, roster[i].device))
            continue;
        if (o->n_seen < ATTEND_SEEN_MAX)
            memcpy(o->seen[o->n_seen++], roster[i].device, BP_FP_LEN);
        else
            o->seen_overflow = 1;
    }
    o->here = here ? 1 : 0;
    o->both = here && c && b;
}

void attend_lost(struct attend_obs *o)
{
    if (!o->closed)
        o->lost_seen++;
}

void attend_tick(struct attend_obs *o, int64_t now)
{
    accrue(o, now);
}

void attend_closed(struct attend_obs *o, int64_t end_ms, int64_t ftf_ms, int64_t now)
{
    accrue(o, now);
    if (o->closed)
        return;
    o->closed = 1;
    o->end_ms = end_ms;
    o->closed_ftf_ms = ftf_ms;
    o->here = o->both = 0;
}

void attend_rtt(struct attend_obs *o, int64_t rtt_ms)
{
    if (rtt_ms > ATTEND_RTT_CAP_MS)
        rtt_ms = ATTEND_RTT_CAP_MS;
    o->rtt_ms = max64(o->rtt_ms, rtt_ms);
}

int64_t attend_tolerance(const struct attend_obs *o)
{
    return ATTEND_TOL_MS + (int64_t)(o->transitions + 2) * o->rtt_ms;
}

/* h:mm:ss of a duration, for the reasons. */
static void hms(int64_t ms, char out[24])
{
    if (ms < 0)
        ms = 0;
    int64_t s = ms / 1000;
    snprintf(out, 24, "%lld:%02lld:%02lld", (long long)(s / 3600), (long long)(s % 3600 / 60),
             (long long)(s % 60));
}

static void short_fp(const uint8_t fp[BP_FP_LEN], char out[17])
{
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < 8; i++) {
        out[2 * i] = hex[fp[i] >> 4];
        out[2 * i + 1] = hex[fp[i] & 15];
    }
    out[16] = '\0';
}

static int participant(const struct bp_record *r, const uint8_t fp[BP_FP_LEN])
{
    for (size_t i = 0; i < r->n_participants && i < BP_RECORD_MAX_PARTICIPANTS; i++)
        if (!memcmp(r->participants[i], fp, BP_FP_LEN))
            return 1;
    return 0;
}

#define REFUSE(...)                                           \
    do {                                                      \
        snprintf(why, BP_REASON_MAX + 1, __VA_ARGS__);        \
        return -1;                                            \
    } while (0)

int attend_check(const struct attend_obs *o, const struct bp_record *r, const char *bilan,
                 const uint8_t self[BP_FP_LEN], int64_t now, char why[BP_REASON_MAX + 1])
{
    char a[24], b[24], c[24], fp[17];
    int64_t tol = attend_tolerance(o);
    int64_t dur = r->end_ms - r->start_ms, f = r->face_to_face_ms;
    why[0] = '\0';
    if (strcmp(r->bilan, bilan))
        REFUSE("le relevé concerne un autre bilan que celui où se trouve cet appareil");
    if (strcmp(r->session, o->session))
        REFUSE("le relevé concerne une autre séance que celle observée par cet appareil");
    if (!participant(r, self))
        REFUSE("le relevé ne compte pas cet appareil parmi les participants");
    if (o->have_start && r->start_ms != o->start_ms)
        REFUSE("le relevé fait commencer la séance à un autre moment que celui annoncé à son ouverture");
    if (o->closed && (r->end_ms != o->end_ms || f != o->closed_ftf_ms))
        REFUSE("le relevé ne correspond pas à la fin de séance annoncée à cet appareil");
    /* How long it was open by our clock (plus what it had lasted before we saw it). */
    int64_t span = o->last_ms - o->first_ms + o->elapsed0_ms;
    if (o->closed && abs64(dur - span) > tol) {
        hms(dur, a);
        hms(span, b);
        REFUSE("le relevé donne une durée de séance de %s, cet appareil a mesuré %s", a, b);
    }
    if (!o->closed && dur + tol < span) {
        hms(dur, a);
        hms(span, b);
        REFUSE("le relevé donne une durée de séance de %s, mais cet appareil l'a vue ouverte pendant %s", a, b);
    }
    int64_t since = now - o->first_ms + o->elapsed0_ms;
    if (!o->closed && dur > since + tol) {
        hms(dur, a);
        hms(since, b);
        REFUSE("le relevé donne une durée de séance de %s, mais elle n'était ouverte que depuis %s quand cet "
               "appareil l'a vue", a, b);
    }
    /* Face to face: what we saw while we were there, plus at most the time we were not. */
    int64_t away = max64(0, dur - o->present_ms);
    if (f > o->ftf_ms + away + tol) {
        hms(f, a);
        hms(o->ftf_ms, b);
        hms(away, c);
        REFUSE("le relevé compte %s de face-à-face, cet appareil en a vu %s (et était absent %s)", a, b, c);
    }
    if (away <= tol && f + tol + o->lost_seen * (int64_t)ATTEND_LOST_MS < o->ftf_ms) {
        hms(f, a);
        hms(o->ftf_ms, b);
        REFUSE("le relevé ne compte que %s de face-à-face, cet appareil en a vu %s", a, b);
    }
    for (size_t i = 0; i < o->n_seen && i < ATTEND_SEEN_MAX; i++) {
        if (participant(r, o->seen[i]))
            continue;
        short_fp(o->seen[i], fp);
        REFUSE("le relevé oublie un appareil présent dans la salle (%s)", fp);
    }
    if (away <= tol && !o->seen_overflow) {
        for (size_t i = 0; i < r->n_participants && i < BP_RECORD_MAX_PARTICIPANTS; i++) {
            if (seen_has(o, r->participants[i]))
                continue;
            short_fp(r->participants[i], fp);
            REFUSE("le relevé nomme un appareil que cet appareil n'a jamais vu dans la salle (%s)", fp);
        }
    }
    return 0;
}

/* ---- JSON for the key store ---- */

json_t *attend_to_json(const struct attend_obs *o)
{
    json_t *seen = json_array();
    for (size_t i = 0; seen && i < o->n_seen && i < ATTEND_SEEN_MAX; i++) {
        char s[BP_B64_32 + 1];
        bp_b64_encode(o->seen[i], BP_FP_LEN, s);
        json_array_append_new(seen, json_string(s));
    }
    if (!seen)
        return NULL;
    return json_pack("{s:s, s:b, s:I, s:I, s:I, s:I, s:b, s:I, s:I, s:I, s:I, s:i, s:i, s:I, s:o, s:b, s:I}", "session",
                     o->session, "have_start", o->have_start, "start_ms", (json_int_t)o->start_ms, "elapsed0_ms",
                     (json_int_t)o->elapsed0_ms, "first_ms", (json_int_t)o->first_ms, "last_ms",
                     (json_int_t)o->last_ms, "closed", o->closed, "end_ms", (json_int_t)o->end_ms, "closed_ftf_ms",
                     (json_int_t)o->closed_ftf_ms, "present_ms", (json_int_t)o->present_ms, "ftf_ms",
                     (json_int_t)o->ftf_ms, "transitions", o->transitions, "lost_seen", o->lost_seen, "rtt_ms",
                     (json_int_t)o->rtt_ms, "seen", seen, "seen_overflow", o->seen_overflow,
                     "audio_ms", (json_int_t)o->audio_ms);
}

static int get_i64(const json_t *j, const char *k, int64_t *v)
{
    const json_t *x = json_object_get(j, k);
    if (!json_is_integer(x) || json_integer_value(x) < 0)
        return -1;
    *v = (int64_t)json_integer_value(x);
    return 0;
}

static int get_bool(const json_t *j, const char *k, int *v)
{
    const json_t *x = json_object_get(j, k);
    if (!json_is_boolean(x))
        return -1;
    *v = json_is_true(x);
    return 0;
}

int attend_from_json(const json_t *j, struct attend_obs *o)
{
    int64_t tr, lost;
    memset(o, 0, sizeof *o);
    const json_t *sid = json_object_get(j, "session"), *seen = json_object_get(j, "seen");
    if (!json_is_object(j) || !json_is_string(sid) || !bp_id_ok(json_string_value(sid)) || !json_is_array(seen) ||
        json_array_size(seen) > ATTEND_SEEN_MAX || get_bool(j, "have_start", &o->have_start) ||
        get_i64(j, "start_ms", &o->start_ms) || get_i64(j, "elapsed0_ms", &o->elapsed0_ms) ||
        get_i64(j, "first_ms", &o->first_ms) || get_i64(j, "last_ms", &o->last_ms) ||
        get_bool(j, "closed", &o->closed) || get_i64(j, "end_ms", &o->end_ms) ||
        get_i64(j, "closed_ftf_ms", &o->closed_ftf_ms) || get_i64(j, "present_ms", &o->present_ms) ||
        get_i64(j, "ftf_ms", &o->ftf_ms) || get_i64(j, "transitions", &tr) || get_i64(j, "lost_seen", &lost) ||
        get_i64(j, "rtt_ms", &o->rtt_ms) || get_bool(j, "seen_overflow", &o->seen_overflow) ||
        tr > 1000000 || lost > 1000000 || o->last_ms < o->first_ms)
        goto bad;
    /* Absent in what an earlier version kept: no audio then. */
    if (json_object_get(j, "audio_ms") && get_i64(j, "audio_ms", &o->audio_ms))
        goto bad;
    o->transitions = (int)tr;
    o->lost_seen = (int)lost;
    snprintf(o->session, sizeof o->session, "%s", json_string_value(sid));
    for (size_t i = 0; i < json_array_size(seen); i++) {
        const json_t *s = json_array_get(seen, i);
        if (!json_is_string(s) || bp_b64_decode_exact(json_string_value(s), o->seen[i], BP_FP_LEN))
            goto bad;
    }
    o->n_seen = json_array_size(seen);
    return 0;
bad:
    memset(o, 0, sizeof *o);
    return -1;
}
