/* journal_jsonl.c: parser and writer of the exported journal (JSON Lines,
 * docs/JOURNAL.md). Pure: buffers in and out, no files, no clock. Bounded:
 * JL_LINE_MAX bytes a line, ACC_MAX_EVENTS events, ACC_ID_MAX bytes an id.
 *
 * jansson parses each line (it checks UTF-8 and rejects duplicate keys). Its
 * numbers are doubles, so t is turned into milliseconds by rounding t*1000
 * and refusing the value when it is not within 1/100 ms of a whole
 * millisecond: a double holds any t up to year 2223 to better than 1e-3 ms,
 * so values written with at most 3 decimals come back exact, and a 4th
 * decimal is refused rather than silently rounded. */
#include "journal_jsonl.h"

#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JL_HEADER_EXAMPLE "{\"bilan\":\"B-2024-017\",\"budget_s\":57600,\"cap_s\":86400}"

static int jl_fail(char *why, size_t cap, size_t line, const char *fmt, ...)
{
    char what[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    if (why && cap)
        snprintf(why, cap, "line %zu: %s", line, what);
    return -1;
}

/* A JSON number of seconds to exact milliseconds in [0, max_ms]. */
static int seconds_to_ms(const json_t *v, int64_t max_ms, int64_t *ms)
{
    if (json_is_integer(v)) {
        json_int_t s = json_integer_value(v);
        if (s < 0 || s > max_ms / 1000)
            return -1;
        *ms = (int64_t)s * 1000;
        return 0;
    }
    if (!json_is_real(v))
        return -1;
    double d = json_real_value(v);
    if (!(d >= 0) || d > (double)max_ms / 1000.0)
        return -1;
    double x = d * 1000.0, r = floor(x + 0.5);
    if (fabs(x - r) > 0.01)
        return -2; /* more than 3 decimals */
    *ms = (int64_t)r;
    return *ms <= max_ms ? 0 : -1;
}

/* Reads an optional string field into out[ACC_ID_MAX + 1]; returns 0 (absent: ""), -1 bad. */
static int get_id(json_t *o, const char *key, char *out)
{
    json_t *v = json_object_get(o, key);
    out[0] = '\0';
    if (!v)
        return 0;
    if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) > ACC_ID_MAX)
        return -1;
    memcpy(out, json_string_value(v), json_string_length(v) + 1);
    return 0;
}

static int parse_header(json_t *o, size_t line, struct acc_bilan *m, int *format, char *why, size_t cap)
{
    json_t *b = json_object_get(o, "bilan");
    if (json_object_get(o, "event") || !b)
        return jl_fail(why, cap, line, "the first line must be the header, like %s; is this an "
                       "exported journal (bilan-server journal export BILAN)?", JL_HEADER_EXAMPLE);
    if (get_id(o, "bilan", m->bilan))
        return jl_fail(why, cap, line, "\"bilan\" must be a string of 1 to %d bytes", ACC_ID_MAX);
    json_t *f = json_object_get(o, "format");
    *format = 1;
    if (f) {
        if (!json_is_integer(f) || json_integer_value(f) < 1 || json_integer_value(f) > JL_FORMAT)
            return jl_fail(why, cap, line, "\"format\" must be 1 or %d: this file was written by a newer "
                           "bilan-server; use a newer one to read it", JL_FORMAT);
        *format = (int)json_integer_value(f);
    }
    const char *keys[2] = {"budget_s", "cap_s"};
    int64_t *dst[2] = {&m->budget_ms, &m->cap_ms};
    for (int k = 0; k < 2; k++) {
        json_t *v = json_object_get(o, keys[k]);
        if (!v)
            return jl_fail(why, cap, line, "the header has no \"%s\" (seconds); expected a header like %s",
                           keys[k], JL_HEADER_EXAMPLE);
        if (seconds_to_ms(v, ACC_DURATION_MAX_MS, dst[k]))
            return jl_fail(why, cap, line, "\"%s\" must be a number of seconds from 0 to %lld with at "
                           "most 3 decimals", keys[k], ACC_DURATION_MAX_MS / 1000);
    }
    return 0;
}

static int parse_event(json_t *o, size_t line, int format, struct acc_event *e, char *why, size_t cap)
{
    memset(e, 0, sizeof *e);
    e->line = line > UINT32_MAX ? 0 : (uint32_t)line;
    e->phase = BP_PHASE_NONE;
    json_t *seq = json_object_get(o, "seq");
    if (seq) {
        if (!json_is_integer(seq) || json_integer_value(seq) < 1)
            return jl_fail(why, cap, line, "\"seq\" must be a whole number from 1 (the server's "
                           "sequence number of the event)");
        e->seq = (int64_t)json_integer_value(seq);
    } else if (format >= 2) {
        return jl_fail(why, cap, line, "no \"seq\": every event of a format 2 journal carries the "
                       "server's sequence number; export the journal again");
    }
    json_t *ev = json_object_get(o, "event");
    if (!json_is_string(ev))
        return jl_fail(why, cap, line, "no \"event\" string: each line after the header is one event, "
                       "like {\"t\":1709542800,\"event\":\"join\",\"session\":\"S1\",\"device\":\"D\","
                       "\"role\":\"consultant\"}");
    e->kind = account_kind_parse(json_string_value(ev), json_string_length(ev));
    if (e->kind < 0)
        return jl_fail(why, cap, line, "unknown event \"%.40s\" (expected session_open, session_close, "
                       "join, leave, lost, alive or personal)", json_string_value(ev));
    json_t *t = json_object_get(o, "t");
    if (!t)
        return jl_fail(why, cap, line, "no \"t\" (Unix time in seconds)");
    int rc = seconds_to_ms(t, ACC_T_MAX_MS, &e->t_ms);
    if (rc == -2)
        return jl_fail(why, cap, line, "\"t\" has more than 3 decimals: times are kept to the millisecond");
    if (rc)
        return jl_fail(why, cap, line, "\"t\" must be a number of seconds since 1970 (0 to %lld)",
                       ACC_T_MAX_MS / 1000);
    if (get_id(o, "session", e->session))
        return jl_fail(why, cap, line, "\"session\" must be a string of 1 to %d bytes", ACC_ID_MAX);
    if (get_id(o, "device", e->device))
        return jl_fail(why, cap, line, "\"device\" must be a string of 1 to %d bytes", ACC_ID_MAX);
    json_t *role = json_object_get(o, "role");
    if (role) {
        if (!json_is_string(role) ||
            (e->role = bp_role_parse(json_string_value(role), json_string_length(role))) == BP_ROLE_NONE)
            return jl_fail(why, cap, line, "\"role\" must be \"consultant\" or \"beneficiary\"");
    } else {
        e->role = BP_ROLE_NONE;
    }
    json_t *phase = json_object_get(o, "phase");
    if (phase) {
        if (!json_is_string(phase) ||
            (e->phase = bp_phase_parse(json_string_value(phase), json_string_length(phase))) < 0)
            return jl_fail(why, cap, line, "\"phase\" must be one of " BP_PHASE_LIST);
    }
    json_t *secs = json_object_get(o, "seconds");
    if (e->kind == ACC_PERSONAL) {
        if (!secs)
            return jl_fail(why, cap, line, "personal without \"seconds\" (the declared personal work)");
        rc = seconds_to_ms(secs, ACC_PERSONAL_MAX_MS, &e->personal_ms);
        if (rc)
            return jl_fail(why, cap, line, "\"seconds\" must be from 0 to %lld with at most 3 decimals "
                           "(declare longer work as several entries)", ACC_PERSONAL_MAX_MS / 1000);
        return 0;
    }
    /* What each kind needs; account_compute checks again, but here we can name the line. */
    if (!e->session[0])
        return jl_fail(why, cap, line, "%s without \"session\"", account_kind_name(e->kind));
    if (e->kind == ACC_SESSION_OPEN && e->phase < 0)
        return jl_fail(why, cap, line, "session_open without \"phase\" (" BP_PHASE_LIST ")");
    if (e->kind >= ACC_JOIN && e->kind <= ACC_ALIVE && !e->device[0])
        return jl_fail(why, cap, line, "%s without \"device\"", account_kind_name(e->kind));
    if (e->kind == ACC_JOIN && e->role == BP_ROLE_NONE)
        return jl_fail(why, cap, line, "join without \"role\" (consultant or beneficiary)");
    return 0;
}

int journal_jsonl_parse(const char *buf, size_t len, struct jl_journal *out, char *why, size_t why_cap)
{
    size_t cap = 0, line = 0, pos = 0;
    int have_header = 0, format = 1;
    memset(out, 0, sizeof *out);
    while (pos < len) {
        const char *nl = memchr(buf + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - buf) : len, n = end - pos;
        const char *s = buf + pos;
        line++;
        pos = nl ? end + 1 : len;
        if (n && s[n - 1] == '\r')
            n--;
        if (n > JL_LINE_MAX) {
            jl_fail(why, why_cap, line, "longer than %d bytes: not a journal line (is this the right file?)",
                    JL_LINE_MAX);
            goto fail;
        }
        size_t k = 0;
        while (k < n && (s[k] == ' ' || s[k] == '\t'))
            k++;
        if (k == n)
            continue; /* blank line */
        json_error_t je;
        json_t *o = json_loadb(s, n, JSON_REJECT_DUPLICATES, &je);
        if (!o || !json_is_object(o)) {
            jl_fail(why, why_cap, line, "%s%s; each line must be one JSON object",
                    o ? "not a JSON object" : "invalid JSON: ", o ? "" : je.text);
            json_decref(o);
            goto fail;
        }
        int rc;
        if (!have_header) {
            rc = parse_header(o, line, &out->meta, &format, why, why_cap);
            out->format = format;
            have_header = 1;
        } else {
            if (out->n == ACC_MAX_EVENTS) {
                json_decref(o);
                jl_fail(why, why_cap, line, "more than %d events: one file holds one bilan's journal",
                        ACC_MAX_EVENTS);
                goto fail;
            }
            if (out->n == cap) {
                size_t ncap = cap ? cap * 2 : 256;
                if (ncap > ACC_MAX_EVENTS)
                    ncap = ACC_MAX_EVENTS;
                struct acc_event *ne = realloc(out->ev, ncap * sizeof *ne);
                if (!ne) {
                    json_decref(o);
                    jl_fail(why, why_cap, line, "out of memory");
                    goto fail;
                }
                out->ev = ne;
                cap = ncap;
            }
            rc = parse_event(o, line, format, &out->ev[out->n], why, why_cap);
            if (!rc)
                out->n++;
        }
        json_decref(o);
        if (rc)
            goto fail;
    }
    if (!have_header) {
        jl_fail(why, why_cap, line ? line : 1, "empty journal: expected a header line like %s, then one "
                "event a line", JL_HEADER_EXAMPLE);
        goto fail;
    }
    return 0;
fail:
    journal_jsonl_free(out);
    return -1;
}

void journal_jsonl_free(struct jl_journal *j)
{
    free(j->ev);
    memset(j, 0, sizeof *j);
}

/* ---- Writers ---- */

int journal_fmt_seconds(int64_t ms, char *out, size_t cap)
{
    const char *sign = ms < 0 ? "-" : "";
    uint64_t a = ms < 0 ? (uint64_t)0 - (uint64_t)ms : (uint64_t)ms;
    uint64_t s = a / 1000, f = a % 1000;
    int n;
    if (!f)
        n = snprintf(out, cap, "%s%" PRIu64, sign, s);
    else if (f % 100 == 0)
        n = snprintf(out, cap, "%s%" PRIu64 ".%" PRIu64, sign, s, f / 100);
    else if (f % 10 == 0)
        n = snprintf(out, cap, "%s%" PRIu64 ".%02" PRIu64, sign, s, f / 10);
    else
        n = snprintf(out, cap, "%s%" PRIu64 ".%03" PRIu64, sign, s, f);
    return n < 0 || (size_t)n >= cap ? -1 : n;
}

int journal_fmt_string(const char *s, char *out, size_t cap)
{
    size_t k = 0;
#define PUT(c)                 \
    do {                       \
        if (k + 1 >= cap)      \
            return -1;         \
        out[k++] = (char)(c);  \
    } while (0)
    PUT('"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') {
            PUT('\\');
            PUT(*p);
        } else if (*p < 0x20 || *p == 0x7f) {
            static const char hex[] = "0123456789abcdef";
            PUT('\\');
            PUT('u');
            PUT('0');
            PUT('0');
            PUT(hex[*p >> 4]);
            PUT(hex[*p & 15]);
        } else {
            PUT(*p);
        }
    }
    PUT('"');
#undef PUT
    out[k] = '\0';
    return (int)k;
}

/* Appends printf output at *k; -1 once it does not fit. */
static int app(char *out, size_t cap, size_t *k, const char *fmt, ...)
{
    va_list ap;
    if (*k >= cap)
        return -1;
    va_start(ap, fmt);
    int n = vsnprintf(out + *k, cap - *k, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= cap - *k)
        return -1;
    *k += (size_t)n;
    return 0;
}

int journal_jsonl_write_header(const struct acc_bilan *m, int format, char *out, size_t cap)
{
    char id[2 * 6 * ACC_ID_MAX], b[32], c[32];
    size_t k = 0;
    if (!memchr(m->bilan, '\0', sizeof m->bilan) || m->budget_ms < 0 || m->cap_ms < 0 || format < 1 ||
        format > JL_FORMAT || journal_fmt_string(m->bilan, id, sizeof id) < 0 ||
        journal_fmt_seconds(m->budget_ms, b, sizeof b) < 0 || journal_fmt_seconds(m->cap_ms, c, sizeof c) < 0 ||
        app(out, cap, &k, "{\"bilan\":%s,\"budget_s\":%s,\"cap_s\":%s", id, b, c) ||
        (format > 1 && app(out, cap, &k, ",\"format\":%d", format)) || app(out, cap, &k, "}\n"))
        return -1;
    return (int)k;
}

int journal_jsonl_write_event(const struct acc_event *e, char *out, size_t cap)
{
    char t[32], sess[6 * ACC_ID_MAX + 3], dev[6 * ACC_ID_MAX + 3], num[32];
    size_t k = 0;
    if (e->kind < 0 || e->kind >= ACC_KIND_COUNT || e->t_ms < 0 || e->t_ms > ACC_T_MAX_MS ||
        !memchr(e->session, '\0', sizeof e->session) || !memchr(e->device, '\0', sizeof e->device) ||
        journal_fmt_seconds(e->t_ms, t, sizeof t) < 0 ||
        journal_fmt_string(e->session, sess, sizeof sess) < 0 ||
        journal_fmt_string(e->device, dev, sizeof dev) < 0)
        return -1;
    if (e->seq < 0 || (e->seq > 0 && app(out, cap, &k, "{\"seq\":%lld,", (long long)e->seq)) ||
        app(out, cap, &k, "%s\"t\":%s,\"event\":\"%s\"", e->seq > 0 ? "" : "{", t, account_kind_name(e->kind)))
        return -1;
    if (e->session[0] && app(out, cap, &k, ",\"session\":%s", sess))
        return -1;
    if (e->device[0] && app(out, cap, &k, ",\"device\":%s", dev))
        return -1;
    if (e->role > BP_ROLE_NONE && e->role < BP_ROLE_COUNT &&
        app(out, cap, &k, ",\"role\":\"%s\"", bp_role_name(e->role)))
        return -1;
    if (e->kind == ACC_SESSION_OPEN) {
        if (e->phase < 0 || e->phase >= BP_PHASE_COUNT ||
            app(out, cap, &k, ",\"phase\":\"%s\"", bp_phase_name(e->phase)))
            return -1;
    }
    if (e->kind == ACC_PERSONAL) {
        if (e->personal_ms < 0 || journal_fmt_seconds(e->personal_ms, num, sizeof num) < 0 ||
            app(out, cap, &k, ",\"seconds\":%s", num))
            return -1;
    }
    if (app(out, cap, &k, "}\n"))
        return -1;
    return (int)k;
}
