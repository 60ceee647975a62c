/* report.c: formats a time-accounting report (account.h) as table, CSV or
 * JSON (the formats are described in report.h and docs/JOURNAL.md). Pure:
 * builds a string in a growing buffer bounded by REPORT_MAX; never prints.
 * Numbers go through journal_fmt_seconds so JSON and CSV keep exact ms. */
#include "report.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "journal_jsonl.h"

#define REPORT_MAX (64u << 20) /* 64 MiB: far above ACC_MAX_SESSIONS rows */

struct sb {
    char *p;
    size_t len, cap;
    int oom;
};

static void sb_printf(struct sb *b, const char *fmt, ...)
{
    va_list ap;
    if (b->oom)
        return;
    for (;;) {
        size_t room = b->cap - b->len;
        va_start(ap, fmt);
        int n = b->p ? vsnprintf(b->p + b->len, room, fmt, ap) : -2;
        va_end(ap);
        if (n >= 0 && (size_t)n < room) {
            b->len += (size_t)n;
            return;
        }
        if (n == -1) {
            b->oom = 1;
            return;
        }
        size_t ncap = b->cap ? b->cap * 2 : 4096;
        while (n > 0 && ncap - b->len <= (size_t)n)
            ncap *= 2;
        char *np = ncap <= REPORT_MAX ? realloc(b->p, ncap) : NULL;
        if (!np) {
            b->oom = 1;
            return;
        }
        b->p = np;
        b->cap = ncap;
    }
}

int report_format_parse(const char *s)
{
    return !strcmp(s, "table") ? REPORT_TABLE : !strcmp(s, "csv") ? REPORT_CSV : !strcmp(s, "json") ? REPORT_JSON : -1;
}

int report_fmt_hmm(int64_t ms, char *out, size_t cap)
{
    const char *sign = ms < 0 ? "-" : "";
    uint64_t a = ms < 0 ? (uint64_t)0 - (uint64_t)ms : (uint64_t)ms;
    uint64_t min = (a + 30000) / 60000;
    int n = snprintf(out, cap, "%s%" PRIu64 ":%02" PRIu64, sign, min / 60, min % 60);
    return n < 0 || (size_t)n >= cap ? -1 : n;
}

/* ISO 8601 UTC, with milliseconds only when not whole: 2024-03-04T09:00:00Z. */
static void fmt_iso(int64_t ms, char *out, size_t cap)
{
    struct acc_utc u;
    account_utc_from_ms(ms, &u);
    if (u.ms)
        snprintf(out, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", u.year, u.month, u.day, u.hour, u.min,
                 u.sec, u.ms);
    else
        snprintf(out, cap, "%04d-%02d-%02dT%02d:%02d:%02dZ", u.year, u.month, u.day, u.hour, u.min, u.sec);
}

static void fmt_human(int64_t ms, char *out, size_t cap)
{
    struct acc_utc u;
    account_utc_from_ms(ms, &u);
    snprintf(out, cap, "%04d-%02d-%02d %02d:%02d", u.year, u.month, u.day, u.hour, u.min);
}

/* Scratch strings: a number of seconds, an escaped id. */
struct tmp {
    char s[32], id[6 * ACC_ID_MAX + 3];
};

static const char *secs(struct tmp *t, int64_t ms)
{
    if (journal_fmt_seconds(ms, t->s, sizeof t->s) < 0)
        snprintf(t->s, sizeof t->s, "0");
    return t->s;
}

static void json_report(struct sb *b, const struct acc_report *r)
{
    struct tmp a, c;
    char is[40], ie[40];
    journal_fmt_string(r->bilan, a.id, sizeof a.id);
    sb_printf(b, "{\n  \"bilan\": %s,\n  \"sessions\": [", a.id);
    for (size_t i = 0; i < r->n_sessions; i++) {
        const struct acc_session *s = &r->sessions[i];
        journal_fmt_string(s->id, a.id, sizeof a.id);
        fmt_iso(s->start_ms, is, sizeof is);
        fmt_iso(s->end_ms, ie, sizeof ie);
        sb_printf(b, "%s\n    {\"id\": %s, \"phase\": \"%s\", \"start\": %s, ", i ? "," : "", a.id,
                  bp_phase_name(s->phase), secs(&a, s->start_ms));
        sb_printf(b, "\"end\": %s, \"start_utc\": \"%s\", \"end_utc\": \"%s\", \"closed\": %s, ",
                  secs(&c, s->end_ms), is, ie, s->closed ? "true" : "false");
        sb_printf(b, "\"face_to_face_s\": %s, \"interruptions\": %" PRIu32 "}", secs(&a, s->face_to_face_ms),
                  s->interruptions);
    }
    sb_printf(b, "%s],\n  \"by_phase\": {", r->n_sessions ? "\n  " : "");
    for (int p = 0; p < BP_PHASE_COUNT; p++)
        sb_printf(b, "%s\"%s\": %s", p ? ", " : "", bp_phase_name(p), secs(&a, r->by_phase_ms[p]));
    sb_printf(b, "},\n  \"face_to_face_s\": %s,\n", secs(&a, r->face_to_face_ms));
    sb_printf(b, "  \"budget_s\": %s,\n", secs(&a, r->budget_ms));
    sb_printf(b, "  \"remaining_s\": %s,\n", secs(&a, r->remaining_ms));
    sb_printf(b, "  \"personal_s\": %s,\n", secs(&a, r->personal_ms));
    sb_printf(b, "  \"total_s\": %s,\n", secs(&a, r->total_ms));
    sb_printf(b, "  \"cap_s\": %s,\n", secs(&a, r->cap_ms));
    sb_printf(b, "  \"over_budget\": %s,\n  \"over_cap\": %s,\n", r->over_budget ? "true" : "false",
              r->over_cap ? "true" : "false");
    sb_printf(b, "  \"budget_reached\": %s,\n", r->budget_reached_ms < 0 ? "null" : secs(&a, r->budget_reached_ms));
    sb_printf(b, "  \"duplicates_ignored\": %zu\n}\n", r->duplicates_ignored);
}

/* RFC 4180 field: quoted when it holds a comma, quote or line break. */
static void csv_field(struct sb *b, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        sb_printf(b, "%s", s);
        return;
    }
    sb_printf(b, "\"");
    for (; *s; s++)
        sb_printf(b, *s == '"' ? "\"\"" : "%c", *s);
    sb_printf(b, "\"");
}

static void csv_report(struct sb *b, const struct acc_report *r)
{
    struct tmp a;
    char is[40], ie[40];
    sb_printf(b, "row,id,phase,start_utc,end_utc,seconds,interruptions\r\n");
    for (size_t i = 0; i < r->n_sessions; i++) {
        const struct acc_session *s = &r->sessions[i];
        fmt_iso(s->start_ms, is, sizeof is);
        fmt_iso(s->end_ms, ie, sizeof ie);
        sb_printf(b, "session,");
        csv_field(b, s->id);
        sb_printf(b, ",%s,%s,%s,%s,%" PRIu32 "\r\n", bp_phase_name(s->phase), is, ie,
                  secs(&a, s->face_to_face_ms), s->interruptions);
    }
    for (int p = 0; p < BP_PHASE_COUNT; p++)
        sb_printf(b, "phase,,%s,,,%s,\r\n", bp_phase_name(p), secs(&a, r->by_phase_ms[p]));
    const struct { const char *name; int64_t ms; } rows[] = {
        {"face_to_face", r->face_to_face_ms}, {"budget", r->budget_ms}, {"remaining", r->remaining_ms},
        {"personal", r->personal_ms},         {"total", r->total_ms},   {"cap", r->cap_ms},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        sb_printf(b, "%s,,,,,%s,\r\n", rows[i].name, secs(&a, rows[i].ms));
    sb_printf(b, "over_budget,,,,,%d,\r\nover_cap,,,,,%d,\r\nduplicates_ignored,,,,,%zu,\r\n", r->over_budget,
              r->over_cap, r->duplicates_ignored);
}

static void table_report(struct sb *b, const struct acc_report *r)
{
    char h1[32], h2[32], h3[32], is[40], ie[40];
    sb_printf(b, "Bilan %s: face-to-face hours\n\n", r->bilan);
    if (!r->n_sessions)
        sb_printf(b, "No session in the journal.\n");
    else
        sb_printf(b, "%-20s  %-13s  %-16s  %-16s  %12s  %13s\n", "Session", "Phase", "Start (UTC)", "End (UTC)",
                  "Face-to-face", "Interruptions");
    for (size_t i = 0; i < r->n_sessions; i++) {
        const struct acc_session *s = &r->sessions[i];
        fmt_human(s->start_ms, is, sizeof is);
        fmt_human(s->end_ms, ie, sizeof ie);
        report_fmt_hmm(s->face_to_face_ms, h1, sizeof h1);
        sb_printf(b, "%-20s  %-13s  %-16s  %-16s  %12s  %13" PRIu32 "%s\n", s->id, bp_phase_name(s->phase),
                  is, ie, h1, s->interruptions, s->closed ? "" : "  (not closed: ended at the last sign of life)");
    }
    sb_printf(b, "\nBy phase\n");
    for (int p = 0; p < BP_PHASE_COUNT; p++) {
        char label[64];
        snprintf(label, sizeof label, "%s (%s)", bp_phase_label(p, 0), bp_phase_name(p));
        report_fmt_hmm(r->by_phase_ms[p], h1, sizeof h1);
        /* Pad by characters, not bytes: the labels hold é. */
        size_t chars = 0;
        for (const unsigned char *q = (const unsigned char *)label; *q; q++)
            chars += (*q & 0xc0) != 0x80;
        sb_printf(b, "  %s%*s  %8s\n", label, chars < 40 ? (int)(40 - chars) : 0, "", h1);
    }
    report_fmt_hmm(r->face_to_face_ms, h1, sizeof h1);
    report_fmt_hmm(r->budget_ms, h2, sizeof h2);
    report_fmt_hmm(r->remaining_ms, h3, sizeof h3);
    sb_printf(b, "\nFace-to-face   %8s  of a budget of %s, remaining %s\n", h1, h2, h3);
    report_fmt_hmm(r->personal_ms, h1, sizeof h1);
    sb_printf(b, "Personal work  %8s  (declared by the beneficiary)\n", h1);
    report_fmt_hmm(r->total_ms, h1, sizeof h1);
    report_fmt_hmm(r->cap_ms, h2, sizeof h2);
    sb_printf(b, "Total          %8s  of the legal cap of %s\n", h1, h2);
    if (r->over_budget) {
        report_fmt_hmm(r->face_to_face_ms - r->budget_ms, h1, sizeof h1);
        fmt_human(r->budget_reached_ms, is, sizeof is);
        sb_printf(b, "OVER BUDGET by %s (budget reached %s UTC)\n", h1, is);
    }
    if (r->over_cap) {
        report_fmt_hmm(r->total_ms - r->cap_ms, h1, sizeof h1);
        sb_printf(b, "OVER THE LEGAL CAP by %s\n", h1);
    }
    if (r->duplicates_ignored)
        sb_printf(b, "(%zu duplicate journal line%s ignored)\n", r->duplicates_ignored,
                  r->duplicates_ignored == 1 ? "" : "s");
    sb_printf(b, "Durations are rounded to the minute for display; use --format json or csv for exact seconds.\n");
}

int report_format(const struct acc_report *r, enum report_format f, char **out, size_t *len)
{
    struct sb b = {NULL, 0, 0, 0};
    if (f == REPORT_JSON)
        json_report(&b, r);
    else if (f == REPORT_CSV)
        csv_report(&b, r);
    else
        table_report(&b, r);
    if (b.oom || !b.p) {
        free(b.p);
        return -1;
    }
    *out = b.p;
    *len = b.len;
    return 0;
}
