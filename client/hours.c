/* hours.c: hours and receipts, the pure part of the client (see hours.h).
 * No allocation beyond what jansson hands back, no I/O but the FILE *
 * given, no clock (times are in the report or the record). */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "hours.h"
#include "i18n.h"
#include "proto_words.h"
#include "util.h"

const char hours_phases[] = BP_PHASE_LIST;

int hours_phase_ok(const char *s)
{
    return s && bp_phase_parse(s, strlen(s)) != BP_PHASE_NONE;
}

void hours_fmt_hm(int64_t ms, char *out, size_t cap)
{
    if (ms < 0)
        ms = 0;
    int64_t min = (ms + 30000) / 60000; /* nearest minute */
    snprintf(out, cap, "%lld:%02lld", (long long)(min / 60), (long long)(min % 60));
}

void hours_fmt_hms(int64_t ms, char *out, size_t cap)
{
    if (ms < 0)
        ms = 0;
    int64_t s = ms / 1000;
    snprintf(out, cap, "%lld:%02lld:%02lld", (long long)(s / 3600), (long long)(s % 3600 / 60),
             (long long)(s % 60));
}

void hours_fmt_time(int64_t unix_ms, int local, char *out, size_t cap)
{
    time_t t = (time_t)(unix_ms / 1000);
    struct tm tm;
    if (!(local ? localtime_r(&t, &tm) : gmtime_r(&t, &tm)) ||
        !strftime(out, cap, "%Y-%m-%d %H:%M:%S", &tm))
        snprintf(out, cap, "?");
}

void hours_fmt_when(int64_t unix_ms, int local, char *out, size_t cap)
{
    time_t t = (time_t)(unix_ms / 1000);
    struct tm tm;
    /* French dates are day/month/year; the catalogue gives the English
     * order. A strftime() format, not printf(): */
    /* xgettext:no-c-format */
    const char *fmt = _("%d/%m/%Y %H:%M");
    if (!(local ? localtime_r(&t, &tm) : gmtime_r(&t, &tm)) || !strftime(out, cap, fmt, &tm))
        snprintf(out, cap, "?");
}

int hours_format_parse(const char *s)
{
    if (!s)
        return 0;
    if (!strcmp(s, "tableur") || !strcmp(s, "csv-fr"))
        return HOURS_TABLEUR;
    if (!strcmp(s, "table"))
        return HOURS_TABLE;
    if (!strcmp(s, "csv"))
        return HOURS_CSV;
    if (!strcmp(s, "json"))
        return HOURS_JSON;
    return 0;
}

/* ---- the report (docs/JOURNAL.md "Report formats") ---- */

/* A seconds field (millisecond precision, integer or real) in ms; -1 if
 * absent or not a number. */
static int64_t sec_ms(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    if (!json_is_number(v))
        return -1;
    double d = json_number_value(v);
    if (!(d >= 0) || d > 1e12)
        return -1;
    return (int64_t)llround(d * 1000.0);
}

struct totals {
    int64_t f2f, budget, remaining, personal, total, cap;
    int over_budget, over_cap;
    long long duplicates;
};

static int read_totals(const json_t *r, struct totals *t, const char **why)
{
    t->f2f = sec_ms(r, "face_to_face_s");
    t->budget = sec_ms(r, "budget_s");
    t->remaining = sec_ms(r, "remaining_s");
    t->personal = sec_ms(r, "personal_s");
    t->total = sec_ms(r, "total_s");
    t->cap = sec_ms(r, "cap_s");
    if (t->f2f < 0 || t->budget < 0 || t->remaining < 0 || t->personal < 0 || t->total < 0 ||
        t->cap < 0) {
        *why = _("il manque au relevé l'un des champs face_to_face_s, budget_s, remaining_s, "
                 "personal_s, total_s, cap_s");
        return BP_E_INVALID_FIELD;
    }
    t->over_budget = json_is_true(json_object_get(r, "over_budget"));
    t->over_cap = json_is_true(json_object_get(r, "over_cap"));
    t->duplicates = bp_int(r, "duplicates_ignored", 0);
    if (!json_is_array(json_object_get(r, "sessions"))) {
        *why = _("le relevé n'a pas de liste de séances (sessions)");
        return BP_E_INVALID_FIELD;
    }
    return 0;
}

struct sess {
    const char *id, *phase;
    int64_t start, end, f2f;
    long long interruptions;
    int closed;
};

static int read_session(const json_t *o, struct sess *s)
{
    s->id = bp_str(o, "id", NULL);
    s->phase = bp_str(o, "phase", NULL);
    s->start = sec_ms(o, "start");
    s->end = sec_ms(o, "end");
    s->f2f = sec_ms(o, "face_to_face_s");
    s->interruptions = bp_int(o, "interruptions", 0);
    s->closed = !json_is_false(json_object_get(o, "closed"));
    return s->id && s->phase && s->start >= 0 && s->end >= 0 && s->f2f >= 0;
}

/* RFC 4180 field with separator sep (',' for csv, ';' for the tableur):
 * quoted only when it must be. */
static void sep_field(FILE *f, const char *s, char sep)
{
    const char special[] = {sep, '"', '\r', '\n', '\0'};
    if (!strpbrk(s, special)) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static void csv_field(FILE *f, const char *s)
{
    sep_field(f, s, ',');
}

static void fr_field(FILE *f, const char *s)
{
    sep_field(f, s, ';');
}

static void csv_row(FILE *f, const char *row, const char *id, const char *phase, const char *start,
                    const char *end, const char *hm, long long ms, long long interruptions)
{
    csv_field(f, row);
    fputc(',', f);
    csv_field(f, id);
    fputc(',', f);
    csv_field(f, phase);
    fprintf(f, ",%s,%s,%s,", start, end, hm);
    if (ms >= 0)
        fprintf(f, "%lld.%03lld", ms / 1000, ms % 1000);
    fputc(',', f);
    if (interruptions >= 0)
        fprintf(f, "%lld", interruptions);
    fputs("\r\n", f);
}

static void print_csv(FILE *f, const json_t *r, const struct totals *t, int local)
{
    char a[32], b[32], hm[24];
    fputs("row,id,phase,start,end,h_mm,seconds,interruptions\r\n", f);
    size_t i;
    const json_t *o;
    json_array_foreach(json_object_get(r, "sessions"), i, o)
    {
        struct sess s;
        if (!read_session(o, &s))
            continue;
        hours_fmt_time(s.start, local, a, sizeof a);
        hours_fmt_time(s.end, local, b, sizeof b);
        hours_fmt_hm(s.f2f, hm, sizeof hm);
        csv_row(f, s.closed ? "session" : "session_not_closed", s.id, s.phase, a, b, hm, s.f2f,
                s.interruptions);
    }
    const json_t *bp = json_object_get(r, "by_phase");
    for (int k = 0; k < BP_PHASE_COUNT; k++) {
        int64_t ms = sec_ms(bp, bp_phase_name(k));
        hours_fmt_hm(ms, hm, sizeof hm);
        csv_row(f, "phase", "", bp_phase_name(k), "", "", hm, ms < 0 ? 0 : ms, -1);
    }
    struct {
        const char *name;
        int64_t ms;
    } rows[] = {{"face_to_face", t->f2f}, {"budget", t->budget}, {"remaining", t->remaining},
                {"personal", t->personal}, {"total", t->total},   {"cap", t->cap}};
    for (size_t k = 0; k < sizeof rows / sizeof rows[0]; k++) {
        hours_fmt_hm(rows[k].ms, hm, sizeof hm);
        csv_row(f, rows[k].name, "", "", "", "", hm, rows[k].ms, -1);
    }
    fprintf(f, "over_budget,,,,,,%d,\r\nover_cap,,,,,,%d,\r\nduplicates_ignored,,,,,,%lld,\r\n",
            t->over_budget, t->over_cap, t->duplicates);
}

/* ---- the funders' spreadsheet (tableur), French conventions ----
 * What a French spreadsheet opens by a double click: ';' between fields
 * (French Excel's list separator: ',' is its decimal comma), a UTF-8 byte
 * order mark (without it Excel reads the file as Windows-1252 and "séance"
 * shows as "sÃ©ance"; LibreOffice ignores it), dates dd/mm/yyyy, durations
 * h:mm, seconds with a decimal comma, CRLF. Always French, whatever the
 * locale: it is the file a French funder reads. Scripts use csv or json. */

static void fr_date(int64_t ms, int local, char *out, size_t cap)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    if (!(local ? localtime_r(&t, &tm) : gmtime_r(&t, &tm)) ||
        !strftime(out, cap, "%d/%m/%Y %H:%M", &tm))
        snprintf(out, cap, "?");
}

/* One row: kind, session, phase, start, end, h:mm, seconds, interruptions.
 * ms < 0: no seconds; interruptions < 0: empty. */
static void fr_row(FILE *f, const char *kind, const char *id, const char *phase, const char *start,
                   const char *end, int64_t ms, long long interruptions)
{
    char hm[24] = "";
    if (ms >= 0)
        hours_fmt_hm(ms, hm, sizeof hm);
    fr_field(f, kind);
    fputc(';', f);
    fr_field(f, id);
    fprintf(f, ";%s;%s;%s;%s;", phase, start, end, hm);
    if (ms >= 0)
        fprintf(f, "%lld,%03lld", (long long)(ms / 1000), (long long)(ms % 1000));
    fputc(';', f);
    if (interruptions >= 0)
        fprintf(f, "%lld", interruptions);
    fputs("\r\n", f);
}

static void print_tableur(FILE *f, const json_t *r, const struct totals *t, int local)
{
    char a[32], b[32];
    fputs("\xef\xbb\xbf", f); /* the byte order mark: see above */
    fputs("ligne;séance;phase;début;fin;durée (h:mm);secondes;interruptions\r\n", f);
    size_t i;
    const json_t *o;
    json_array_foreach(json_object_get(r, "sessions"), i, o)
    {
        struct sess s;
        if (!read_session(o, &s))
            continue;
        fr_date(s.start, local, a, sizeof a);
        fr_date(s.end, local, b, sizeof b);
        fr_row(f, s.closed ? "séance" : "séance non close", s.id, s.phase, a, b, s.f2f,
               s.interruptions);
    }
    const json_t *bp = json_object_get(r, "by_phase");
    for (int k = 0; k < BP_PHASE_COUNT; k++) {
        int64_t ms = sec_ms(bp, bp_phase_name(k));
        fr_row(f, "total de la phase", "", bp_phase_name(k), "", "", ms < 0 ? 0 : ms, -1);
    }
    struct {
        const char *name;
        int64_t ms;
    } rows[] = {{"face-à-face", t->f2f},          {"budget", t->budget},
                {"reste", t->remaining},          {"travail personnel", t->personal},
                {"total", t->total},              {"maximum légal", t->cap}};
    for (size_t k = 0; k < sizeof rows / sizeof rows[0]; k++)
        fr_row(f, rows[k].name, "", "", "", "", rows[k].ms, -1);
    /* Yes/no answers in the second column, after the figures. */
    fprintf(f, "budget dépassé;%s\r\nmaximum légal dépassé;%s\r\n"
               "lignes en double ignorées;%lld\r\n",
            t->over_budget ? "oui" : "non", t->over_cap ? "oui" : "non", t->duplicates);
}

/* s, then spaces up to width characters (UTF-8 aware: "début" is five). */
static void pad(FILE *f, const char *s, int width)
{
    int n = 0;
    for (const char *p = s; *p; p++)
        n += ((unsigned char)*p & 0xc0) != 0x80;
    fputs(s, f);
    for (; n < width; n++)
        fputc(' ', f);
}

static void print_table(FILE *f, const json_t *r, const struct totals *t, int local)
{
    char a[32], b[32], hm[24], hm2[24], hm3[24];
    char bilan[BP_ID_MAX + 1];
    const char *bid = bp_str(r, "bilan", "?");
    snprintf(bilan, sizeof bilan, "%s", bid);
    fprintf(f, _("Bilan %s : heures de face-à-face (%s)\n\n"), bilan,
            local ? _("heure locale") : _("heure UTC"));
    pad(f, _("séance"), 21);
    pad(f, _("phase"), 15);
    pad(f, _("début"), 18);
    pad(f, _("fin"), 18);
    pad(f, _("h:mm"), 7);
    fprintf(f, "%s\n", _("interruptions"));
    size_t i, n = 0;
    int open = 0;
    const json_t *o;
    json_array_foreach(json_object_get(r, "sessions"), i, o)
    {
        struct sess s;
        if (!read_session(o, &s))
            continue;
        hours_fmt_when(s.start, local, a, sizeof a);
        hours_fmt_when(s.end, local, b, sizeof b);
        hours_fmt_hm(s.f2f, hm, sizeof hm);
        fprintf(f, "%-20.64s %-14.16s %-16s  %-16s  %5s  %lld%s\n", s.id, s.phase, a, b, hm,
                s.interruptions, s.closed ? "" : _("  (non close : le serveur s'est arrêté)"));
        open += !s.closed;
        n++;
    }
    if (!n)
        fputs(_("(aucune séance)\n"), f);
    fputs(_("\npar phase :"), f);
    const json_t *bp = json_object_get(r, "by_phase");
    for (int k = 0; k < BP_PHASE_COUNT; k++) {
        hours_fmt_hm(sec_ms(bp, bp_phase_name(k)), hm, sizeof hm);
        fprintf(f, "%s %s=%s", k ? "," : "", bp_phase_name(k), hm);
    }
    hours_fmt_hm(t->f2f, hm, sizeof hm);
    hours_fmt_hm(t->budget, hm2, sizeof hm2);
    hours_fmt_hm(t->remaining, hm3, sizeof hm3);
    fprintf(f, _("\nface-à-face : %s utilisées sur un budget de %s, il reste %s\n"), hm, hm2, hm3);
    hours_fmt_hm(t->personal, hm, sizeof hm);
    fprintf(f, _("travail personnel déclaré : %s\n"), hm);
    hours_fmt_hm(t->total, hm, sizeof hm);
    hours_fmt_hm(t->cap, hm2, sizeof hm2);
    fprintf(f, _("total : %s sur le maximum légal de %s\n"), hm, hm2);
    fputs(_("alertes :"), f);
    if (t->over_budget)
        fputs(_(" BUDGET DÉPASSÉ"), f);
    if (t->over_cap)
        fputs(_(" MAXIMUM LÉGAL DÉPASSÉ"), f);
    if (open)
        fprintf(f, _(" %d séance(s) non close(s)"), open);
    if (t->duplicates)
        fprintf(f, _(" %lld événement(s) en double ignoré(s)"), t->duplicates);
    if (!t->over_budget && !t->over_cap && !open && !t->duplicates)
        fputs(_(" aucune"), f);
    fputc('\n', f);
}

int hours_report_print(FILE *f, const json_t *report, enum hours_format fmt, int local,
                       const char **why)
{
    if (!json_is_object(report)) {
        *why = _("le relevé n'est pas un objet JSON");
        return BP_E_INVALID_FIELD;
    }
    if (fmt == HOURS_JSON) {
        if (json_dumpf(report, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER)) {
            *why = _("impossible d'écrire le relevé");
            return BP_E_INTERNAL;
        }
        fputc('\n', f);
        return 0;
    }
    struct totals t;
    int rc = read_totals(report, &t, why);
    if (rc)
        return rc;
    if (fmt == HOURS_CSV)
        print_csv(f, report, &t, local);
    else if (fmt == HOURS_TABLEUR)
        print_tableur(f, report, &t, local);
    else
        print_table(f, report, &t, local);
    return 0;
}

int hours_report_summary(FILE *f, const json_t *report, const char **why)
{
    struct totals t;
    int rc = read_totals(report, &t, why);
    if (rc)
        return rc;
    char a[24], b[24], c[24], d[24], e[24], g[24], bilan[BP_ID_MAX + 1];
    hours_fmt_hm(t.f2f, a, sizeof a);
    hours_fmt_hm(t.budget, b, sizeof b);
    hours_fmt_hm(t.remaining, c, sizeof c);
    hours_fmt_hm(t.personal, d, sizeof d);
    hours_fmt_hm(t.total, e, sizeof e);
    hours_fmt_hm(t.cap, g, sizeof g);
    snprintf(bilan, sizeof bilan, "%s", bp_str(report, "bilan", "?"));
    fprintf(f,
            "[hours] report bilan=%s sessions=%zu used=%s budget=%s left=%s personal=%s "
            "total=%s cap=%s%s%s\n",
            bilan, json_array_size(json_object_get(report, "sessions")), a, b, c, d, e, g,
            t.over_budget ? " OVER-BUDGET" : "", t.over_cap ? " OVER-CAP" : "");
    return 0;
}

/* ---- receipts ---- */

void hours_fp_short(const uint8_t fp[BP_FP_LEN], char out[17])
{
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < 8; i++) {
        out[2 * i] = hex[fp[i] >> 4];
        out[2 * i + 1] = hex[fp[i] & 15];
    }
    out[16] = '\0';
}

int hours_sas_verified(const uint8_t self[BP_FP_LEN], const struct bp_record *r,
                       const struct hours_met *met, size_t nmet)
{
    int paired = 0;
    for (size_t i = 0; i < r->n_participants; i++) {
        const uint8_t *p = r->participants[i];
        if (!memcmp(p, self, BP_FP_LEN))
            continue;
        for (size_t k = 0; k < nmet; k++) {
            if (memcmp(met[k].fp, p, BP_FP_LEN))
                continue;
            if (!met[k].verified)
                return 0;
            paired = 1;
        }
    }
    return paired;
}

static int verify_one(FILE *out, FILE *err, const json_t *o, size_t index, int many)
{
    struct bp_receipt rc;
    struct bp_verr e;
    char verr_words[200];
    memset(&e, 0, sizeof e);
    if (bp_receipt_from_json(o, &rc, &e)) {
        /* Shaped like a receipt but inconsistent (a number changed so that
         * the record contradicts itself): invalid, as a bad signature is.
         * Anything else is not a receipt file at all. */
        if (json_is_object(o) && json_object_get(o, "receipt") && json_object_get(o, "record") &&
            json_object_get(o, "signatures")) {
            const char *sid = bp_str(json_object_get(o, "record"), "session", "?");
            char sp[BP_ID_MAX + 1];
            cli_printable((const uint8_t *)sid, strlen(sid), sp, sizeof sp);
            fprintf(out, _("relevé session=%s : INVALIDE (%s)\n"), sp,
                    proto_verr_words(&e, verr_words, sizeof verr_words));
            return RECEIPT_INVALID;
        }
        if (many)
            fprintf(err, _("bilan : l'élément %zu de la liste n'est pas un relevé valide : %s\n"),
                    index + 1, proto_verr_words(&e, verr_words, sizeof verr_words));
        else
            fprintf(err, _("bilan : ce n'est pas un relevé valide : %s\n"),
                    proto_verr_words(&e, verr_words, sizeof verr_words));
        return RECEIPT_UNREADABLE;
    }
    const struct bp_record *r = &rc.record;
    char a[32], b[32], d[24];
    hours_fmt_time(r->start_ms, 0, a, sizeof a);
    hours_fmt_time(r->end_ms, 0, b, sizeof b);
    hours_fmt_hms(r->face_to_face_ms, d, sizeof d);
    fprintf(out, "receipt bilan=%s session=%s phase=%s start=%s UTC end=%s UTC face_to_face=%s\n",
            r->bilan, r->session, r->phase, a, b, d);
    int invalid = 0, missing = 0;
    for (size_t i = 0; i < rc.n_sigs; i++) {
        const struct bp_attestation *at = &rc.sigs[i];
        const char *why = NULL;
        char fp[17], audio[24];
        hours_fp_short(at->signer, fp);
        hours_fmt_hms(at->received_audio_ms, audio, sizeof audio);
        int bad = bp_attest_verify(r, at, &why) != 0;
        /* Two signatures from one signer: the second proves nothing more. */
        for (size_t k = 0; k < i && !bad; k++)
            if (!memcmp(rc.sigs[k].signer, at->signer, BP_FP_LEN)) {
                bad = 1;
                why = _("une deuxième signature du même appareil");
            }
        fprintf(out, _("  signé par %s (audio reçu %s, code vérifié : %s) : %s%s%s%s\n"), fp, audio,
                at->sas_verified ? _("oui") : _("non"), bad ? _("INVALIDE") : _("VALIDE"),
                bad ? " (" : "",
                bad ? (why ? proto_words(why) : _("la signature ne se vérifie pas")) : "",
                bad ? ")" : "");
        invalid |= bad;
    }
    int refused = 0;
    for (size_t i = 0; i < rc.n_refusals; i++) {
        const struct bp_refusal *f = &rc.refusals[i];
        const char *why = NULL;
        char fp[17], reason[BP_REASON_MAX + 1];
        hours_fp_short(f->signer, fp);
        cli_printable((const uint8_t *)f->reason, strlen(f->reason), reason, sizeof reason);
        int bad = bp_refusal_verify(r, f, &why) != 0;
        for (size_t k = 0; k < rc.n_sigs && !bad; k++)
            if (!memcmp(rc.sigs[k].signer, f->signer, BP_FP_LEN)) {
                bad = 1;
                why = _("le même appareil a aussi signé le relevé");
            }
        fprintf(out, _("  REFUSÉ par %s : %s (signature du refus %s%s%s)\n"), fp, reason,
                bad ? _("INVALIDE") : _("valide"), bad ? " : " : "",
                bad ? (why ? proto_words(why) : _("ne se vérifie pas")) : "");
        invalid |= bad;
        refused |= !bad;
    }
    for (size_t p = 0; p < r->n_participants; p++) {
        int signed_ = 0;
        for (size_t i = 0; i < rc.n_sigs && !signed_; i++)
            signed_ = !memcmp(rc.sigs[i].signer, r->participants[p], BP_FP_LEN);
        for (size_t i = 0; i < rc.n_refusals && !signed_; i++)
            signed_ = !memcmp(rc.refusals[i].signer, r->participants[p], BP_FP_LEN);
        if (!signed_) {
            char fp[17];
            hours_fp_short(r->participants[p], fp);
            fprintf(out, _("  signature manquante : %s\n"), fp);
            missing = 1;
        }
    }
    return invalid ? RECEIPT_INVALID : refused ? RECEIPT_REFUSED : missing ? RECEIPT_INCOMPLETE : RECEIPT_OK;
}

int hours_receipt_verify(FILE *out, FILE *err, const json_t *doc)
{
    int unreadable = 0, invalid = 0, incomplete = 0, refused = 0;
    if (json_is_array(doc)) {
        size_t i;
        const json_t *o;
        if (!json_array_size(doc)) {
            fprintf(err, _("bilan : le fichier contient une liste vide : aucun relevé à "
                           "vérifier\n"));
            return RECEIPT_UNREADABLE;
        }
        json_array_foreach(doc, i, o)
        {
            int rc = verify_one(out, err, o, i, 1);
            unreadable |= rc == RECEIPT_UNREADABLE;
            invalid |= rc == RECEIPT_INVALID;
            refused |= rc == RECEIPT_REFUSED;
            incomplete |= rc == RECEIPT_INCOMPLETE;
        }
    } else {
        int rc = verify_one(out, err, doc, 0, 0);
        unreadable |= rc == RECEIPT_UNREADABLE;
        invalid |= rc == RECEIPT_INVALID;
        refused |= rc == RECEIPT_REFUSED;
        incomplete |= rc == RECEIPT_INCOMPLETE;
    }
    fflush(out);
    return unreadable   ? RECEIPT_UNREADABLE
           : invalid    ? RECEIPT_INVALID
           : refused    ? RECEIPT_REFUSED
           : incomplete ? RECEIPT_INCOMPLETE
                        : RECEIPT_OK;
}
