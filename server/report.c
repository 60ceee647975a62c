/* report.c: formats a time-accounting report (account.h), a bilan's or a
 * consultant's month, as table, CSV or JSON (the formats are described in
 * report.h and docs/JOURNAL.md). Pure: builds a string in a growing buffer
 * bounded by REPORT_MAX from the numbers it is given; never prints, never
 * reads the store. Numbers go through journal_fmt_seconds so JSON and CSV
 * keep exact ms. */
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
    return !strcmp(s, "table")                               ? REPORT_TABLE
           : !strcmp(s, "csv")                               ? REPORT_CSV
           : !strcmp(s, "json")                              ? REPORT_JSON
           : !strcmp(s, "tableur") || !strcmp(s, "csv-fr") ? REPORT_TABLEUR
                                                             : -1;
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

/* RFC 4180 field with separator sep (',' for csv, ';' for the tableur):
 * quoted when it holds the separator, a quote or a line break. */
static void sep_field(struct sb *b, const char *s, char sep)
{
    const char special[] = {sep, '"', '\r', '\n', '\0'};
    if (!strpbrk(s, special)) {
        sb_printf(b, "%s", s);
        return;
    }
    sb_printf(b, "\"");
    for (; *s; s++)
        sb_printf(b, *s == '"' ? "\"\"" : "%c", *s);
    sb_printf(b, "\"");
}

static void csv_field(struct sb *b, const char *s)
{
    sep_field(b, s, ',');
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

/* dd/mm/yyyy HH:MM in UTC: French dates for people and spreadsheets. */
static void fmt_fr(int64_t ms, char *out, size_t cap)
{
    struct acc_utc u;
    account_utc_from_ms(ms, &u);
    snprintf(out, cap, "%02d/%02d/%04d %02d:%02d", u.day, u.month, u.year, u.hour, u.min);
}

/* s padded with spaces to width characters (UTF-8 aware: labels hold é). */
static void sb_pad(struct sb *b, const char *s, int width)
{
    int chars = 0;
    for (const unsigned char *q = (const unsigned char *)s; *q; q++)
        chars += (*q & 0xc0) != 0x80;
    sb_printf(b, "%s%*s", s, chars < width ? width - chars : 0, "");
}

static void table_report(struct sb *b, const struct acc_report *r)
{
    char h1[32], h2[32], h3[32], is[40], ie[40];
    sb_printf(b, "Bilan %s : heures de face-à-face (heures UTC)\n\n", r->bilan);
    if (!r->n_sessions)
        sb_printf(b, "Aucune séance dans le journal.\n");
    else
        sb_printf(b, "Séance                Phase          Début (UTC)       Fin (UTC)         "
                     "Face-à-face  Interruptions\n");
    for (size_t i = 0; i < r->n_sessions; i++) {
        const struct acc_session *s = &r->sessions[i];
        fmt_fr(s->start_ms, is, sizeof is);
        fmt_fr(s->end_ms, ie, sizeof ie);
        report_fmt_hmm(s->face_to_face_ms, h1, sizeof h1);
        sb_printf(b, "%-20s  %-13s  %-16s  %-16s  %11s  %13" PRIu32 "%s\n", s->id, bp_phase_name(s->phase),
                  is, ie, h1, s->interruptions,
                  s->closed ? "" : "  (non close : arrêtée au dernier signe de vie)");
    }
    sb_printf(b, "\nPar phase\n");
    for (int p = 0; p < BP_PHASE_COUNT; p++) {
        char label[64];
        snprintf(label, sizeof label, "%s (%s)", bp_phase_label(p, 0), bp_phase_name(p));
        report_fmt_hmm(r->by_phase_ms[p], h1, sizeof h1);
        sb_printf(b, "  ");
        sb_pad(b, label, 40);
        sb_printf(b, "  %8s\n", h1);
    }
    report_fmt_hmm(r->face_to_face_ms, h1, sizeof h1);
    report_fmt_hmm(r->budget_ms, h2, sizeof h2);
    report_fmt_hmm(r->remaining_ms, h3, sizeof h3);
    sb_printf(b, "\nFace-à-face        %8s  sur un budget de %s, reste %s\n", h1, h2, h3);
    report_fmt_hmm(r->personal_ms, h1, sizeof h1);
    sb_printf(b, "Travail personnel  %8s  (déclaré par le bénéficiaire)\n", h1);
    report_fmt_hmm(r->total_ms, h1, sizeof h1);
    report_fmt_hmm(r->cap_ms, h2, sizeof h2);
    sb_printf(b, "Total              %8s  sur le maximum légal de %s\n", h1, h2);
    if (r->over_budget) {
        report_fmt_hmm(r->face_to_face_ms - r->budget_ms, h1, sizeof h1);
        fmt_fr(r->budget_reached_ms, is, sizeof is);
        sb_printf(b, "BUDGET DÉPASSÉ de %s (budget atteint le %s UTC)\n", h1, is);
    }
    if (r->over_cap) {
        report_fmt_hmm(r->total_ms - r->cap_ms, h1, sizeof h1);
        sb_printf(b, "MAXIMUM LÉGAL DÉPASSÉ de %s\n", h1);
    }
    if (r->duplicates_ignored)
        sb_printf(b, "(%zu ligne%s du journal en double ignorée%s)\n", r->duplicates_ignored,
                  r->duplicates_ignored == 1 ? "" : "s", r->duplicates_ignored == 1 ? "" : "s");
    sb_printf(b, "Les durées sont arrondies à la minute ; --format json ou csv donne les secondes "
                 "exactes.\n");
}

/* ---- tableur: the funders' spreadsheet, French conventions ----
 * ';' between fields (French Excel's list separator: ',' is its decimal
 * comma), a UTF-8 byte order mark (without it Excel reads Windows-1252 and
 * shows "sÃ©ance"), dates dd/mm/yyyy HH:MM (UTC), durations h:mm, seconds
 * with a decimal comma, CRLF. For people and spreadsheets; scripts use csv. */
#define TABLEUR_BOM "\xef\xbb\xbf"

static void fr_field(struct sb *b, const char *s)
{
    sep_field(b, s, ';');
}

/* "h:mm;seconds" with a decimal comma. */
static void fr_duration(struct sb *b, int64_t ms)
{
    struct tmp a;
    char h[32];
    report_fmt_hmm(ms, h, sizeof h);
    secs(&a, ms);
    char *dot = strchr(a.s, '.');
    if (dot)
        *dot = ',';
    sb_printf(b, "%s;%s", h, a.s);
}

static void tableur_report(struct sb *b, const struct acc_report *r)
{
    char is[40], ie[40];
    sb_printf(b, TABLEUR_BOM "ligne;séance;phase;début (UTC);fin (UTC);durée (h:mm);secondes;"
                 "interruptions\r\n");
    for (size_t i = 0; i < r->n_sessions; i++) {
        const struct acc_session *s = &r->sessions[i];
        fmt_fr(s->start_ms, is, sizeof is);
        fmt_fr(s->end_ms, ie, sizeof ie);
        sb_printf(b, "%s;", s->closed ? "séance" : "séance non close");
        fr_field(b, s->id);
        sb_printf(b, ";%s;%s;%s;", bp_phase_name(s->phase), is, ie);
        fr_duration(b, s->face_to_face_ms);
        sb_printf(b, ";%" PRIu32 "\r\n", s->interruptions);
    }
    for (int p = 0; p < BP_PHASE_COUNT; p++) {
        sb_printf(b, "total de la phase;;%s;;;", bp_phase_name(p));
        fr_duration(b, r->by_phase_ms[p]);
        sb_printf(b, ";\r\n");
    }
    const struct { const char *name; int64_t ms; } rows[] = {
        {"face-à-face", r->face_to_face_ms}, {"budget", r->budget_ms},   {"reste", r->remaining_ms},
        {"travail personnel", r->personal_ms}, {"total", r->total_ms}, {"maximum légal", r->cap_ms},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        sb_printf(b, "%s;;;;;", rows[i].name);
        fr_duration(b, rows[i].ms);
        sb_printf(b, ";\r\n");
    }
    /* Yes/no answers in the second column, after the figures. */
    sb_printf(b, "budget dépassé;%s\r\nmaximum légal dépassé;%s\r\nlignes en double ignorées;%zu\r\n",
              r->over_budget ? "oui" : "non", r->over_cap ? "oui" : "non", r->duplicates_ignored);
}

/* Hands the buffer over: 0, or -1 (freed) when it ran out of memory. */
static int sb_finish(struct sb *b, char **out, size_t *len)
{
    if (b->oom || !b->p) {
        free(b->p);
        return -1;
    }
    *out = b->p;
    *len = b->len;
    return 0;
}

int report_format(const struct acc_report *r, enum report_format f, char **out, size_t *len)
{
    struct sb b = {NULL, 0, 0, 0};
    if (f == REPORT_JSON)
        json_report(&b, r);
    else if (f == REPORT_CSV)
        csv_report(&b, r);
    else if (f == REPORT_TABLEUR)
        tableur_report(&b, r);
    else
        table_report(&b, r);
    return sb_finish(&b, out, len);
}

/* ---- A consultant's month ---- */

void report_month_init(struct report_month *m, const char *consultant, const char *month)
{
    memset(m, 0, sizeof *m);
    m->consultant = consultant;
    m->month = month;
}

void report_month_free(struct report_month *m)
{
    for (size_t i = 0; i < m->n_bilans; i++) {
        free(m->bilans[i].bilan);
        free(m->bilans[i].label);
        free(m->bilans[i].sessions);
    }
    free(m->bilans);
    memset(m, 0, sizeof *m);
}

int report_month_add(struct report_month *m, const char *bilan, const char *label, const struct acc_report *r,
                     const size_t *idx, size_t n)
{
    if (!n)
        return 0;
    if (m->n_bilans == m->cap) {
        size_t ncap = m->cap ? m->cap * 2 : 8;
        struct report_month_bilan *nb = realloc(m->bilans, ncap * sizeof *nb);
        if (!nb)
            return -1;
        m->bilans = nb;
        m->cap = ncap;
    }
    struct report_month_bilan *mb = &m->bilans[m->n_bilans];
    memset(mb, 0, sizeof *mb);
    mb->bilan = strdup(bilan);
    mb->label = strdup(label);
    mb->sessions = calloc(n, sizeof *mb->sessions);
    if (!mb->bilan || !mb->label || !mb->sessions) {
        free(mb->bilan);
        free(mb->label);
        free(mb->sessions);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        const struct acc_session *s = &r->sessions[idx[i]];
        mb->sessions[i] = *s;
        if (s->phase >= 0 && s->phase < BP_PHASE_COUNT)
            mb->by_phase_ms[s->phase] += s->face_to_face_ms;
        mb->face_to_face_ms += s->face_to_face_ms;
    }
    mb->n_sessions = n;
    mb->budget_ms = r->budget_ms;
    mb->remaining_ms = r->remaining_ms;
    for (int p = 0; p < BP_PHASE_COUNT; p++)
        m->by_phase_ms[p] += mb->by_phase_ms[p];
    m->face_to_face_ms += mb->face_to_face_ms;
    m->n_sessions += n;
    m->n_bilans++;
    return 0;
}

/* A JSON string escaped as jansson escapes it (this report was once built
 * with jansson; its bytes are kept): \" \\ \b \f \n \r \t, other control
 * characters as \u00XX, everything else (DEL, UTF-8) as it is. */
static void json_str(struct sb *b, const char *s)
{
    sb_printf(b, "\"");
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        static const char short_esc[] = {['\b'] = 'b', ['\f'] = 'f', ['\n'] = 'n', ['\r'] = 'r', ['\t'] = 't'};
        if (*p == '"' || *p == '\\')
            sb_printf(b, "\\%c", *p);
        else if (*p < sizeof short_esc && short_esc[*p])
            sb_printf(b, "\\%c", short_esc[*p]);
        else if (*p < 0x20)
            sb_printf(b, "\\u%04X", *p);
        else
            sb_printf(b, "%c", *p);
    }
    sb_printf(b, "\"");
}

/* Seconds as jansson wrote journal_fmt_seconds' text after reading it back:
 * a whole number as it is; a fraction as a double printed with 15
 * significant digits ("%.15g", ".0" added when that leaves no point, the
 * exponent without '+' or leading zeros). Up to 10^12 s the text is the
 * same as journal_fmt_seconds'. */
static const char *month_secs(struct tmp *t, int64_t ms)
{
    secs(t, ms);
    if (!strchr(t->s, '.'))
        return t->s;
    size_t n = (size_t)snprintf(t->s, sizeof t->s, "%.15g", strtod(t->s, NULL));
    if (n >= sizeof t->s - 2)
        return t->s;
    if (!strchr(t->s, '.') && !strchr(t->s, 'e'))
        memcpy(t->s + n, ".0", 3);
    char *e = strchr(t->s, 'e');
    if (e) {
        char *start = e + 1, *end = e + 2;
        if (*start == '-')
            start++;
        while (*end == '0')
            end++;
        memmove(start, end, strlen(end) + 1);
    }
    return t->s;
}

/* {"preliminaire": s, ...} with members at indent + 2 spaces. */
static void month_json_phases(struct sb *b, const int64_t *ms, int indent)
{
    struct tmp a;
    sb_printf(b, "{");
    for (int p = 0; p < BP_PHASE_COUNT; p++)
        sb_printf(b, "%s\n%*s\"%s\": %s", p ? "," : "", indent + 2, "", bp_phase_name(p), month_secs(&a, ms[p]));
    sb_printf(b, "\n%*s}", indent, "");
}

static void month_json_session(struct sb *b, const struct acc_session *s)
{
    struct tmp a;
    char is[40], ie[40];
    fmt_iso(s->start_ms, is, sizeof is);
    fmt_iso(s->end_ms, ie, sizeof ie);
    sb_printf(b, "{\n          \"id\": ");
    json_str(b, s->id);
    sb_printf(b, ",\n          \"phase\": ");
    json_str(b, bp_phase_name(s->phase));
    sb_printf(b, ",\n          \"start\": %s", month_secs(&a, s->start_ms));
    sb_printf(b, ",\n          \"end\": %s", month_secs(&a, s->end_ms));
    sb_printf(b, ",\n          \"start_utc\": \"%s\",\n          \"end_utc\": \"%s\"", is, ie);
    sb_printf(b, ",\n          \"closed\": %s", s->closed ? "true" : "false");
    sb_printf(b, ",\n          \"face_to_face_s\": %s", month_secs(&a, s->face_to_face_ms));
    sb_printf(b, ",\n          \"interruptions\": %" PRIu32 "\n        }", s->interruptions);
}

static void month_json_bilan(struct sb *b, const struct report_month_bilan *mb)
{
    struct tmp a;
    sb_printf(b, "{\n      \"bilan\": ");
    json_str(b, mb->bilan);
    sb_printf(b, ",\n      \"label\": ");
    json_str(b, mb->label);
    sb_printf(b, ",\n      \"sessions\": [");
    for (size_t i = 0; i < mb->n_sessions; i++) {
        sb_printf(b, "%s\n        ", i ? "," : "");
        month_json_session(b, &mb->sessions[i]);
    }
    sb_printf(b, mb->n_sessions ? "\n      ],\n      \"by_phase\": " : "],\n      \"by_phase\": ");
    month_json_phases(b, mb->by_phase_ms, 6);
    sb_printf(b, ",\n      \"face_to_face_s\": %s", month_secs(&a, mb->face_to_face_ms));
    sb_printf(b, ",\n      \"budget_s\": %s", month_secs(&a, mb->budget_ms));
    sb_printf(b, ",\n      \"remaining_s\": %s\n    }", month_secs(&a, mb->remaining_ms));
}

static void month_json(struct sb *b, const struct report_month *m)
{
    struct tmp a;
    sb_printf(b, "{\n  \"consultant\": ");
    json_str(b, m->consultant);
    sb_printf(b, ",\n  \"month\": ");
    json_str(b, m->month);
    sb_printf(b, ",\n  \"bilans\": [");
    for (size_t i = 0; i < m->n_bilans; i++) {
        sb_printf(b, "%s\n    ", i ? "," : "");
        month_json_bilan(b, &m->bilans[i]);
    }
    sb_printf(b, m->n_bilans ? "\n  ],\n  \"by_phase\": " : "],\n  \"by_phase\": ");
    month_json_phases(b, m->by_phase_ms, 2);
    sb_printf(b, ",\n  \"face_to_face_s\": %s", month_secs(&a, m->face_to_face_ms));
    sb_printf(b, ",\n  \"sessions\": %zu\n}\n", m->n_sessions);
}

static void month_csv(struct sb *b, const struct report_month *m)
{
    struct tmp a;
    char is[40], ie[40];
    sb_printf(b, "bilan,session,phase,start_utc,end_utc,seconds,interruptions\r\n");
    for (size_t i = 0; i < m->n_bilans; i++) {
        const struct report_month_bilan *mb = &m->bilans[i];
        for (size_t k = 0; k < mb->n_sessions; k++) {
            const struct acc_session *s = &mb->sessions[k];
            fmt_iso(s->start_ms, is, sizeof is);
            fmt_iso(s->end_ms, ie, sizeof ie);
            sb_printf(b, "%s,%s,%s,%s,%s,%s,%" PRIu32 "\r\n", mb->bilan, s->id, bp_phase_name(s->phase), is, ie,
                      secs(&a, s->face_to_face_ms), s->interruptions);
        }
        sb_printf(b, "%s,total,,,,%s,\r\n", mb->bilan, secs(&a, mb->face_to_face_ms));
    }
    sb_printf(b, "total,total,,,,%s,\r\n", secs(&a, m->face_to_face_ms));
}

static void month_table(struct sb *b, const struct report_month *m)
{
    char h[32], is[40];
    sb_printf(b, "Heures de %s, %s (UTC)\n", m->consultant, m->month);
    for (size_t i = 0; i < m->n_bilans; i++) {
        const struct report_month_bilan *mb = &m->bilans[i];
        sb_printf(b, "\nBilan %s (%s)\n", mb->bilan, mb->label);
        for (size_t k = 0; k < mb->n_sessions; k++) {
            const struct acc_session *s = &mb->sessions[k];
            fmt_fr(s->start_ms, is, sizeof is);
            if (report_fmt_hmm(s->face_to_face_ms, h, sizeof h) < 0)
                snprintf(h, sizeof h, "?");
            sb_printf(b, "  %-16s  %-14s %s  %6s  %" PRIu32 " interruption(s)%s\n", is, bp_phase_name(s->phase),
                      s->id, h, s->interruptions, s->closed ? "" : " (non close)");
        }
        if (report_fmt_hmm(mb->face_to_face_ms, h, sizeof h) < 0)
            snprintf(h, sizeof h, "?");
        sb_printf(b, "  Face-à-face du mois : %s\n", h);
    }
    if (report_fmt_hmm(m->face_to_face_ms, h, sizeof h) < 0)
        snprintf(h, sizeof h, "?");
    sb_printf(b, "\nTotal : %zu séance(s), face-à-face %s\n", m->n_sessions, h);
}

/* The month for a spreadsheet (see tableur_report). */
static void month_tableur(struct sb *b, const struct report_month *m)
{
    char is[40], ie[40];
    sb_printf(b, TABLEUR_BOM "bilan;libellé;séance;phase;début (UTC);fin (UTC);durée (h:mm);secondes;"
                 "interruptions\r\n");
    for (size_t i = 0; i < m->n_bilans; i++) {
        const struct report_month_bilan *mb = &m->bilans[i];
        for (size_t k = 0; k < mb->n_sessions; k++) {
            const struct acc_session *s = &mb->sessions[k];
            fmt_fr(s->start_ms, is, sizeof is);
            fmt_fr(s->end_ms, ie, sizeof ie);
            fr_field(b, mb->bilan);
            sb_printf(b, ";");
            fr_field(b, mb->label);
            sb_printf(b, ";");
            fr_field(b, s->id);
            sb_printf(b, ";%s;%s;%s;", bp_phase_name(s->phase), is, ie);
            fr_duration(b, s->face_to_face_ms);
            sb_printf(b, ";%" PRIu32 "\r\n", s->interruptions);
        }
        fr_field(b, mb->bilan);
        sb_printf(b, ";");
        fr_field(b, mb->label);
        sb_printf(b, ";total du bilan;;;;");
        fr_duration(b, mb->face_to_face_ms);
        sb_printf(b, ";\r\n");
    }
    sb_printf(b, "total;;;;;;");
    fr_duration(b, m->face_to_face_ms);
    sb_printf(b, ";\r\n");
}

int report_month_format(const struct report_month *m, enum report_format f, char **out, size_t *len)
{
    struct sb b = {NULL, 0, 0, 0};
    if (f == REPORT_JSON)
        month_json(&b, m);
    else if (f == REPORT_CSV)
        month_csv(&b, m);
    else if (f == REPORT_TABLEUR)
        month_tableur(&b, m);
    else
        month_table(&b, m);
    return sb_finish(&b, out, len);
}
