/* test_hours.c: tests of client/hours.c: phase names, durations, the report
 * printed as a table and as CSV from its JSON, the sas_verified decision,
 * the checks before signing, and `bilan receipt verify` on a valid, a
 * tampered and an incomplete receipt built with proto/record.h. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "../check.h"
#include "hours.h"

static void test_phases_and_durations(void)
{
    CHECK(hours_phase_ok("preliminaire") && hours_phase_ok("investigation") &&
          hours_phase_ok("conclusion") && hours_phase_ok("suivi"));
    CHECK(!hours_phase_ok("") && !hours_phase_ok("Investigation") && !hours_phase_ok("suivi ") &&
          !hours_phase_ok(NULL) && !hours_phase_ok("préliminaire"));
    char b[32];
    hours_fmt_hm(7000250, b, sizeof b); /* 1:56:40.25 -> nearest minute */
    CHECK_STR(b, "1:57");
    hours_fmt_hm(0, b, sizeof b);
    CHECK_STR(b, "0:00");
    hours_fmt_hm(-5, b, sizeof b);
    CHECK_STR(b, "0:00");
    hours_fmt_hm(57600000, b, sizeof b);
    CHECK_STR(b, "16:00");
    hours_fmt_hm(29999, b, sizeof b);
    CHECK_STR(b, "0:00");
    hours_fmt_hm(30000, b, sizeof b);
    CHECK_STR(b, "0:01");
    hours_fmt_hms(7000250, b, sizeof b);
    CHECK_STR(b, "1:56:40");
    hours_fmt_hms(90061999, b, sizeof b);
    CHECK_STR(b, "25:01:01");
    hours_fmt_time(1710752400000, 0, b, sizeof b);
    CHECK_STR(b, "2024-03-18 09:00:00");
    CHECK_EQ_INT(hours_format_parse("table"), HOURS_TABLE);
    CHECK_EQ_INT(hours_format_parse("csv"), HOURS_CSV);
    CHECK_EQ_INT(hours_format_parse("json"), HOURS_JSON);
    CHECK_EQ_INT(hours_format_parse("tableur"), HOURS_TABLEUR);
    CHECK_EQ_INT(hours_format_parse("csv-fr"), HOURS_TABLEUR);
    CHECK_EQ_INT(hours_format_parse("xml"), 0);
    /* For people (French: this test runs without i18n_init): dd/mm/yyyy. */
    hours_fmt_when(1710752400000, 0, b, sizeof b);
    CHECK_STR(b, "18/03/2024 09:00");
}

/* docs/JOURNAL.md's example as the server reports it. */
static const char report_json[] =
    "{\"bilan\":\"B-2024-017\",\"sessions\":[{\"id\":\"S03\",\"phase\":\"investigation\","
    "\"start\":1710752400,\"end\":1710759600,\"start_utc\":\"2024-03-18T09:00:00Z\","
    "\"end_utc\":\"2024-03-18T11:00:00Z\",\"closed\":true,\"face_to_face_s\":7000.25,"
    "\"interruptions\":1}],\"by_phase\":{\"preliminaire\":0,\"investigation\":7000.25,"
    "\"conclusion\":0,\"suivi\":0},\"face_to_face_s\":7000.25,\"budget_s\":57600,"
    "\"remaining_s\":50599.75,\"personal_s\":25200,\"total_s\":32200.25,\"cap_s\":86400,"
    "\"over_budget\":false,\"over_cap\":false,\"budget_reached\":null,\"duplicates_ignored\":0}";

static char *print_report(const json_t *r, enum hours_format fmt, int *rc)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    const char *why = NULL;
    *rc = hours_report_print(f, r, fmt, 0, &why);
    fclose(f);
    return buf;
}

static void test_report(void)
{
    json_error_t je;
    json_t *r = json_loads(report_json, 0, &je);
    CHECK(r != NULL);
    int rc;
    char *t = print_report(r, HOURS_TABLE, &rc);
    CHECK_EQ_INT(rc, 0);
    /* The table is for people: French, dates dd/mm/yyyy, durations h:mm. */
    CHECK(strstr(t, "S03") && strstr(t, "investigation") && strstr(t, "18/03/2024 09:00") &&
          strstr(t, "18/03/2024 11:00"));
    CHECK(strstr(t, "face-à-face : 1:57 utilisées sur un budget de 16:00, il reste 14:03") != NULL);
    CHECK(strstr(t, "travail personnel déclaré : 7:00") != NULL);
    CHECK(strstr(t, "total : 8:57 sur le maximum légal de 24:00") != NULL);
    CHECK(strstr(t, "investigation=1:57") && strstr(t, "alertes : aucune"));
    free(t);
    char *c = print_report(r, HOURS_CSV, &rc);
    CHECK_EQ_INT(rc, 0);
    CHECK(!strncmp(c, "row,id,phase,start,end,h_mm,seconds,interruptions\r\n", 51));
    CHECK(strstr(c, "\r\nsession,S03,investigation,2024-03-18 09:00:00,2024-03-18 11:00:00,1:57,"
                    "7000.250,1\r\n") != NULL);
    CHECK(strstr(c, "\r\nphase,,investigation,,,1:57,7000.250,\r\n") != NULL);
    CHECK(strstr(c, "\r\nremaining,,,,,14:03,50599.750,\r\n") != NULL);
    CHECK(strstr(c, "\r\npersonal,,,,,7:00,25200.000,\r\n") != NULL);
    CHECK(strstr(c, "\r\nover_cap,,,,,,0,\r\n") != NULL);
    free(c);
    /* The funders' spreadsheet: BOM, ';', French header, dd/mm/yyyy, h:mm,
     * decimal comma. */
    c = print_report(r, HOURS_TABLEUR, &rc);
    CHECK_EQ_INT(rc, 0);
    CHECK(!strncmp(c, "\xef\xbb\xbfligne;séance;phase;début;fin;durée (h:mm);secondes;"
                      "interruptions\r\n", 72));
    CHECK(strstr(c, "\r\nséance;S03;investigation;18/03/2024 09:00;18/03/2024 11:00;1:57;"
                    "7000,250;1\r\n") != NULL);
    CHECK(strstr(c, "\r\ntotal de la phase;;investigation;;;1:57;7000,250;\r\n") != NULL);
    CHECK(strstr(c, "\r\nreste;;;;;14:03;50599,750;\r\n") != NULL);
    CHECK(strstr(c, "\r\nbudget dépassé;non\r\n") != NULL);
    CHECK(!strstr(c, ",,")); /* no comma-separated row slipped in */
    free(c);
    /* Over budget and cap, a session never closed: the flags say so. */
    json_object_set_new(r, "over_budget", json_true());
    json_object_set_new(r, "over_cap", json_true());
    json_object_set_new(json_array_get(json_object_get(r, "sessions"), 0), "closed", json_false());
    t = print_report(r, HOURS_TABLE, &rc);
    CHECK(strstr(t, "BUDGET DÉPASSÉ") && strstr(t, "MAXIMUM LÉGAL DÉPASSÉ") &&
          strstr(t, "1 séance(s) non close(s)"));
    free(t);
    c = print_report(r, HOURS_CSV, &rc);
    CHECK(strstr(c, "\r\nsession_not_closed,S03,") && strstr(c, "\r\nover_budget,,,,,,1,\r\n"));
    free(c);
    /* JSON: the object as received. */
    char *j = print_report(r, HOURS_JSON, &rc);
    json_t *back = json_loads(j, 0, &je);
    CHECK(back && json_equal(back, r));
    json_decref(back);
    free(j);
    /* A report without its totals is refused, not half printed. */
    json_object_del(r, "budget_s");
    t = print_report(r, HOURS_TABLE, &rc);
    CHECK_EQ_INT(rc, BP_E_INVALID_FIELD);
    free(t);
    /* The room's one-line summary. */
    json_object_set_new(r, "budget_s", json_integer(57600));
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    const char *why;
    CHECK_EQ_INT(hours_report_summary(f, r, &why), 0);
    fclose(f);
    CHECK(strstr(buf, "[hours] report bilan=B-2024-017 sessions=1 used=1:57 budget=16:00 "
                      "left=14:03 personal=7:00 total=8:57 cap=24:00") == buf);
    free(buf);
    json_decref(r);
}

static void fp_of(uint8_t fp[BP_FP_LEN], int v)
{
    memset(fp, v, BP_FP_LEN);
}

static void test_sas_verified(void)
{
    struct bp_record r;
    memset(&r, 0, sizeof r);
    uint8_t self[BP_FP_LEN], a[BP_FP_LEN], b[BP_FP_LEN];
    fp_of(self, 1), fp_of(a, 2), fp_of(b, 3);
    r.n_participants = 3;
    memcpy(r.participants[0], self, BP_FP_LEN);
    memcpy(r.participants[1], a, BP_FP_LEN);
    memcpy(r.participants[2], b, BP_FP_LEN);
    struct hours_met met[3];
    memcpy(met[0].fp, a, BP_FP_LEN), met[0].verified = 1;
    memcpy(met[1].fp, b, BP_FP_LEN), met[1].verified = 1;
    CHECK_EQ_INT(hours_sas_verified(self, &r, met, 2), 1);
    met[1].verified = 0;
    CHECK_EQ_INT(hours_sas_verified(self, &r, met, 2), 0); /* one code not confirmed */
    /* b never in the room with us: there was no code to compare. */
    CHECK_EQ_INT(hours_sas_verified(self, &r, met, 1), 1);
    CHECK_EQ_INT(hours_sas_verified(self, &r, met, 0), 0); /* paired with nobody */
    /* A device met but not in the record does not count. */
    fp_of(met[2].fp, 9), met[2].verified = 0;
    memcpy(met[1].fp, met[2].fp, BP_FP_LEN);
    CHECK_EQ_INT(hours_sas_verified(self, &r, met, 2), 1);

}

/* ---- receipt verify ---- */

struct dev {
    struct bp_identity id;
    uint8_t fp[BP_FP_LEN];
};

static void dev_new(struct dev *d)
{
    CHECK_EQ_INT(bp_identity_generate(&d->id), 0);
    CHECK_EQ_INT(bp_fingerprint(d->id.sign_pub, d->id.dh_pub, d->fp), 0);
}

static void attest(const struct bp_record *r, const struct dev *d, int sas,
                   struct bp_attestation *a)
{
    memset(a, 0, sizeof *a);
    memcpy(a->signer, d->fp, BP_FP_LEN);
    memcpy(a->sign_pub, d->id.sign_pub, BP_KEY_LEN);
    memcpy(a->dh_pub, d->id.dh_pub, BP_KEY_LEN);
    a->received_audio_ms = 0;
    a->sas_verified = sas;
    CHECK_EQ_INT(bp_attest_sign(r, a, d->id.sign_priv), 0);
}

static int verify(const json_t *doc, char **out)
{
    size_t len = 0, elen = 0;
    char *ebuf = NULL;
    FILE *f = open_memstream(out, &len), *e = open_memstream(&ebuf, &elen);
    int rc = hours_receipt_verify(f, e, doc);
    fclose(f);
    fclose(e);
    free(ebuf);
    return rc;
}

static void test_receipt_verify(void)
{
    struct dev c, b;
    dev_new(&c);
    dev_new(&b);
    struct bp_receipt rc;
    memset(&rc, 0, sizeof rc);
    struct bp_record *r = &rc.record;
    snprintf(r->bilan, sizeof r->bilan, "B-1");
    snprintf(r->session, sizeof r->session, "S-1");
    snprintf(r->phase, sizeof r->phase, "investigation");
    r->start_ms = 1710752400000;
    r->end_ms = 1710759600000;
    r->face_to_face_ms = 7000250;
    r->n_participants = 2;
    memcpy(r->participants[0], c.fp, BP_FP_LEN);
    memcpy(r->participants[1], b.fp, BP_FP_LEN);
    bp_record_normalize(r);
    memset(r->journal_sha256, 0xab, 32);
    rc.n_sigs = 2;
    attest(r, &c, 1, &rc.sigs[0]);
    attest(r, &b, 0, &rc.sigs[1]);
    char fc[17], fb[17], line[200];
    hours_fp_short(c.fp, fc);
    hours_fp_short(b.fp, fb);

    json_t *doc = bp_receipt_to_json(&rc);
    CHECK(doc != NULL);
    char *out = NULL;
    CHECK_EQ_INT(verify(doc, &out), RECEIPT_OK);
    CHECK(strstr(out, "receipt bilan=B-1 session=S-1 phase=investigation "
                      "start=2024-03-18 09:00:00 UTC end=2024-03-18 11:00:00 UTC "
                      "face_to_face=1:56:40\n") == out);
    snprintf(line, sizeof line, "  signé par %s (audio reçu 0:00:00, code vérifié : oui) : VALIDE\n", fc);
    CHECK(strstr(out, line) != NULL);
    snprintf(line, sizeof line, "  signé par %s (audio reçu 0:00:00, code vérifié : non) : VALIDE\n", fb);
    CHECK(strstr(out, line) != NULL);
    CHECK(!strstr(out, "manquante"));
    free(out);

    /* An array of receipts (bilan-server receipts BILAN). */
    json_t *arr = json_array();
    json_array_append(arr, doc);
    json_array_append(arr, doc);
    CHECK_EQ_INT(verify(arr, &out), RECEIPT_OK);
    free(out);

    /* Tampered: one more millisecond of face-to-face time. */
    json_t *rec = json_object_get(doc, "record");
    json_object_set_new(rec, "face_to_face_ms", json_integer(7000251));
    CHECK_EQ_INT(verify(doc, &out), RECEIPT_INVALID);
    CHECK(strstr(out, "INVALIDE (") != NULL && !strstr(out, ": VALIDE"));
    free(out);
    CHECK_EQ_INT(verify(arr, &out), RECEIPT_INVALID); /* the array shares the object */
    free(out);
    /* More face-to-face time than the session lasted: a record that
     * contradicts itself is invalid too. */
    json_object_set_new(rec, "face_to_face_ms", json_integer(7200001));
    CHECK_EQ_INT(verify(doc, &out), RECEIPT_INVALID);
    CHECK(strstr(out, "INVALIDE (") != NULL);
    free(out);
    json_object_set_new(rec, "face_to_face_ms", json_integer(7000250));
    CHECK_EQ_INT(verify(doc, &out), RECEIPT_OK);
    free(out);

    /* Incomplete: the beneficiary's signature removed. */
    json_array_remove(json_object_get(doc, "signatures"), 1);
    CHECK_EQ_INT(verify(doc, &out), RECEIPT_INCOMPLETE);
    snprintf(line, sizeof line, "  signature manquante : %s\n", fb);
    CHECK(strstr(out, line) != NULL);
    free(out);

    /* A signature moved to another device's keys does not verify. */
    json_t *s0 = json_array_get(json_object_get(doc, "signatures"), 0);
    char pub[BP_B64_32 + 1];
    bp_b64_encode(b.id.sign_pub, BP_KEY_LEN, pub);
    json_object_set_new(s0, "sign_pub", json_string(pub));
    CHECK_EQ_INT(verify(doc, &out), RECEIPT_INVALID);
    free(out);

    /* Not a receipt at all. */
    json_t *junk = json_pack("{s:i}", "receipt", 2);
    CHECK_EQ_INT(verify(junk, &out), RECEIPT_UNREADABLE);
    free(out);
    json_decref(junk);
    json_t *empty = json_array();
    CHECK_EQ_INT(verify(empty, &out), RECEIPT_UNREADABLE);
    free(out);
    json_decref(empty);
    json_decref(arr);
    json_decref(doc);
    bp_identity_wipe(&c.id);
    bp_identity_wipe(&b.id);
}

int main(void)
{
    test_phases_and_durations();
    test_report();
    test_sas_verified();
    test_receipt_verify();
    return check_report();
}
