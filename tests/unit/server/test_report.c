/* test_report.c: server/report.c's monthly report of a consultant
 * (report_month_*), from numbers: exact table, CSV and JSON text; the JSON
 * byte for byte as jansson wrote it when the report was built with jansson
 * (strings escaped its way, fractions printed with 15 significant digits).
 * The bilan report's formats are tested in test_account.c. */
#include <jansson.h>
#include <string.h>

#include "../check.h"
#include "journal_jsonl.h"
#include "report.h"

#define T0 1709542800000LL /* 2024-03-04 09:00:00 UTC */

static struct acc_session sess(const char *id, int phase, int64_t start_ms, int64_t len_ms, int closed,
                               int64_t ftf_ms, uint32_t interruptions)
{
    struct acc_session s;
    memset(&s, 0, sizeof s);
    snprintf(s.id, sizeof s.id, "%s", id);
    s.phase = phase;
    s.start_ms = start_ms;
    s.end_ms = start_ms + len_ms;
    s.closed = closed;
    s.face_to_face_ms = ftf_ms;
    s.interruptions = interruptions;
    return s;
}

/* A bilan's report as ledger_report gives it: only what the month reads. */
static void report_of(struct acc_report *r, const char *bilan, struct acc_session *s, size_t n, int64_t budget_ms)
{
    memset(r, 0, sizeof *r);
    snprintf(r->bilan, sizeof r->bilan, "%s", bilan);
    r->sessions = s;
    r->n_sessions = n;
    for (size_t i = 0; i < n; i++)
        r->face_to_face_ms += s[i].face_to_face_ms;
    r->budget_ms = budget_ms;
    r->remaining_ms = budget_ms > r->face_to_face_ms ? budget_ms - r->face_to_face_ms : 0;
}

/* Two bilans, a session of another month left out, an open session. */
static void build(struct report_month *m, char *label)
{
    static struct acc_session a[3], b[1];
    struct acc_report ra, rb;
    a[0] = sess("S1", BP_PHASE_PRELIMINAIRE, T0, 7350000, 1, 7200000, 0);
    a[1] = sess("S-feb", BP_PHASE_INVESTIGATION, T0 - 40LL * 86400000, 3600000, 1, 3600000, 0);
    a[2] = sess("S2", BP_PHASE_INVESTIGATION, T0 + 86400123, 3600000, 1, 2999455, 2);
    b[0] = sess("Z1", BP_PHASE_SUIVI, T0 + 2 * 86400000LL, 62734, 0, 0, 0);
    report_of(&ra, "B-1", a, 3, 57600000);
    report_of(&rb, "B-2", b, 1, 3600000);
    report_month_init(m, "Zoé \"Z\", Martin", "2024-03");
    const size_t ia[] = {0, 2}, ib[] = {0};
    CHECK_EQ_INT(report_month_add(m, "B-1", label, &ra, ia, 2), 0);
    CHECK_EQ_INT(report_month_add(m, "B-empty", "none", &rb, ib, 0), 0); /* no section */
    CHECK_EQ_INT(report_month_add(m, "B-2", "Deux", &rb, ib, 1), 0);
}

static char *fmt(const struct report_month *m, enum report_format f)
{
    char *out = NULL;
    size_t len = 0;
    CHECK_EQ_INT(report_month_format(m, f, &out, &len), 0);
    CHECK(out && strlen(out) == len);
    return out;
}

static void test_sums_and_ownership(void)
{
    struct report_month m;
    char label[] = "tab\there \"q\"";
    build(&m, label);
    label[0] = 'X'; /* the month keeps its own copy */
    CHECK_EQ_INT(m.n_bilans, 2);
    CHECK_STR(m.bilans[0].label, "tab\there \"q\"");
    CHECK_EQ_INT(m.bilans[0].n_sessions, 2);
    CHECK_STR(m.bilans[0].sessions[1].id, "S2");
    CHECK_EQ_INT(m.bilans[0].face_to_face_ms, 10199455);
    CHECK_EQ_INT(m.bilans[0].by_phase_ms[BP_PHASE_INVESTIGATION], 2999455);
    CHECK_EQ_INT(m.bilans[0].remaining_ms, 57600000 - 13799455);
    CHECK_EQ_INT(m.face_to_face_ms, 10199455);
    CHECK_EQ_INT(m.n_sessions, 3);
    report_month_free(&m);
    CHECK_EQ_INT(m.n_bilans, 0);
}

static void test_table_and_csv(void)
{
    struct report_month m;
    char label[] = "Sample, \"quoted\"";
    build(&m, label);
    char *t = fmt(&m, REPORT_TABLE);
    CHECK_STR(t, "Heures de Zoé \"Z\", Martin, 2024-03 (UTC)\n"
                 "\n"
                 "Bilan B-1 (Sample, \"quoted\")\n"
                 "  04/03/2024 09:00  preliminaire   S1    2:00  0 interruption(s)\n"
                 "  05/03/2024 09:00  investigation  S2    0:50  2 interruption(s)\n"
                 "  Face-à-face du mois : 2:50\n"
                 "\n"
                 "Bilan B-2 (Deux)\n"
                 "  06/03/2024 09:00  suivi          Z1    0:00  0 interruption(s) (non close)\n"
                 "  Face-à-face du mois : 0:00\n"
                 "\n"
                 "Total : 3 séance(s), face-à-face 2:50\n");
    free(t);
    t = fmt(&m, REPORT_CSV);
    CHECK_STR(t, "bilan,session,phase,start_utc,end_utc,seconds,interruptions\r\n"
                 "B-1,S1,preliminaire,2024-03-04T09:00:00Z,2024-03-04T11:02:30Z,7200,0\r\n"
                 "B-1,S2,investigation,2024-03-05T09:00:00.123Z,2024-03-05T10:00:00.123Z,2999.455,2\r\n"
                 "B-1,total,,,,10199.455,\r\n"
                 "B-2,Z1,suivi,2024-03-06T09:00:00Z,2024-03-06T09:01:02.734Z,0,0\r\n"
                 "B-2,total,,,,0,\r\n"
                 "total,total,,,,10199.455,\r\n");
    free(t);
    /* The spreadsheet: the label with its comma and quotes needs no quoting
     * for ',' but does for '"'; decimal commas; BOM. */
    t = fmt(&m, REPORT_TABLEUR);
    CHECK_STR(t, "\xef\xbb\xbf" "bilan;libellé;séance;phase;début (UTC);fin (UTC);durée (h:mm);secondes;"
                 "interruptions\r\n"
                 "B-1;\"Sample, \"\"quoted\"\"\";S1;preliminaire;04/03/2024 09:00;04/03/2024 11:02;2:00;7200;0\r\n"
                 "B-1;\"Sample, \"\"quoted\"\"\";S2;investigation;05/03/2024 09:00;05/03/2024 10:00;0:50;"
                 "2999,455;2\r\n"
                 "B-1;\"Sample, \"\"quoted\"\"\";total du bilan;;;;2:50;10199,455;\r\n"
                 "B-2;Deux;Z1;suivi;06/03/2024 09:00;06/03/2024 09:01;0:00;0;0\r\n"
                 "B-2;Deux;total du bilan;;;;0:00;0;\r\n"
                 "total;;;;;;2:50;10199,455;\r\n");
    free(t);
    report_month_free(&m);

    /* The tableur quotes what holds its own separator, ';', and nothing
     * else: a ';' would split the label over two columns, a ',' would not. */
    char semi[] = "Lyon; site 2";
    build(&m, semi);
    t = fmt(&m, REPORT_TABLEUR);
    CHECK(strstr(t, "\r\nB-1;\"Lyon; site 2\";S1;preliminaire;") != NULL);
    free(t);
    report_month_free(&m);
    char comma[] = "Lyon, site 2";
    build(&m, comma);
    t = fmt(&m, REPORT_TABLEUR);
    CHECK(strstr(t, "\r\nB-1;Lyon, site 2;S1;preliminaire;") != NULL);
    free(t);
    report_month_free(&m);

    /* A consultant without a session that month. */
    report_month_init(&m, "dev", "2025-01");
    t = fmt(&m, REPORT_TABLE);
    CHECK_STR(t, "Heures de dev, 2025-01 (UTC)\n\nTotal : 0 séance(s), face-à-face 0:00\n");
    free(t);
    t = fmt(&m, REPORT_CSV);
    CHECK_STR(t, "bilan,session,phase,start_utc,end_utc,seconds,interruptions\r\ntotal,total,,,,0,\r\n");
    free(t);
    t = fmt(&m, REPORT_JSON);
    CHECK_STR(t, "{\n  \"consultant\": \"dev\",\n  \"month\": \"2025-01\",\n  \"bilans\": [],\n"
                 "  \"by_phase\": {\n    \"preliminaire\": 0,\n    \"investigation\": 0,\n"
                 "    \"conclusion\": 0,\n    \"suivi\": 0\n  },\n  \"face_to_face_s\": 0,\n"
                 "  \"sessions\": 0\n}\n");
    free(t);
    report_month_free(&m);
}

static void test_json(void)
{
    struct report_month m;
    char label[] = "tab\there\x7f, ctl\x01 \"q\" \\ é/x";
    build(&m, label);
    char *t = fmt(&m, REPORT_JSON);
    CHECK_STR(t, "{\n"
                 "  \"consultant\": \"Zoé \\\"Z\\\", Martin\",\n"
                 "  \"month\": \"2024-03\",\n"
                 "  \"bilans\": [\n"
                 "    {\n"
                 "      \"bilan\": \"B-1\",\n"
                 "      \"label\": \"tab\\there\x7f, ctl\\u0001 \\\"q\\\" \\\\ é/x\",\n"
                 "      \"sessions\": [\n"
                 "        {\n"
                 "          \"id\": \"S1\",\n"
                 "          \"phase\": \"preliminaire\",\n"
                 "          \"start\": 1709542800,\n"
                 "          \"end\": 1709550150,\n"
                 "          \"start_utc\": \"2024-03-04T09:00:00Z\",\n"
                 "          \"end_utc\": \"2024-03-04T11:02:30Z\",\n"
                 "          \"closed\": true,\n"
                 "          \"face_to_face_s\": 7200,\n"
                 "          \"interruptions\": 0\n"
                 "        },\n"
                 "        {\n"
                 "          \"id\": \"S2\",\n"
                 "          \"phase\": \"investigation\",\n"
                 "          \"start\": 1709629200.123,\n"
                 "          \"end\": 1709632800.123,\n"
                 "          \"start_utc\": \"2024-03-05T09:00:00.123Z\",\n"
                 "          \"end_utc\": \"2024-03-05T10:00:00.123Z\",\n"
                 "          \"closed\": true,\n"
                 "          \"face_to_face_s\": 2999.455,\n"
                 "          \"interruptions\": 2\n"
                 "        }\n"
                 "      ],\n"
                 "      \"by_phase\": {\n"
                 "        \"preliminaire\": 7200,\n"
                 "        \"investigation\": 2999.455,\n"
                 "        \"conclusion\": 0,\n"
                 "        \"suivi\": 0\n"
                 "      },\n"
                 "      \"face_to_face_s\": 10199.455,\n"
                 "      \"budget_s\": 57600,\n"
                 "      \"remaining_s\": 43800.545\n"
                 "    },\n"
                 "    {\n"
                 "      \"bilan\": \"B-2\",\n"
                 "      \"label\": \"Deux\",\n"
                 "      \"sessions\": [\n"
                 "        {\n"
                 "          \"id\": \"Z1\",\n"
                 "          \"phase\": \"suivi\",\n"
                 "          \"start\": 1709715600,\n"
                 "          \"end\": 1709715662.734,\n"
                 "          \"start_utc\": \"2024-03-06T09:00:00Z\",\n"
                 "          \"end_utc\": \"2024-03-06T09:01:02.734Z\",\n"
                 "          \"closed\": false,\n"
                 "          \"face_to_face_s\": 0,\n"
                 "          \"interruptions\": 0\n"
                 "        }\n"
                 "      ],\n"
                 "      \"by_phase\": {\n"
                 "        \"preliminaire\": 0,\n"
                 "        \"investigation\": 0,\n"
                 "        \"conclusion\": 0,\n"
                 "        \"suivi\": 0\n"
                 "      },\n"
                 "      \"face_to_face_s\": 0,\n"
                 "      \"budget_s\": 3600,\n"
                 "      \"remaining_s\": 3600\n"
                 "    }\n"
                 "  ],\n"
                 "  \"by_phase\": {\n"
                 "    \"preliminaire\": 7200,\n"
                 "    \"investigation\": 2999.455,\n"
                 "    \"conclusion\": 0,\n"
                 "    \"suivi\": 0\n"
                 "  },\n"
                 "  \"face_to_face_s\": 10199.455,\n"
                 "  \"sessions\": 3\n"
                 "}\n");
    free(t);
    report_month_free(&m);
}

/* What the command printed when it built the month with jansson: the number
 * journal_fmt_seconds wrote, read back and dumped; the same for strings. */
static json_t *jansson_seconds(int64_t ms)
{
    char buf[40];
    journal_fmt_seconds(ms, buf, sizeof buf);
    return json_loads(buf, JSON_DECODE_ANY, NULL);
}

static void test_json_as_jansson(void)
{
    /* Numbers far from today's (up to ACC_T_MAX_MS) and every control byte. */
    static const int64_t ms[] = {0, 1, 10, 999, 1000, 1001, 1709542800123LL, 999999999999999LL,
                                 1000000000000001LL, 7999999999999999LL, ACC_T_MAX_MS, 123456789012345LL};
    char odd[40];
    for (int i = 1; i < 0x20; i++)
        odd[i - 1] = (char)i;
    snprintf(odd + 31, sizeof odd - 31, "\"\\/\x7f\xc3\xa9");
    for (size_t i = 0; i < sizeof ms / sizeof ms[0]; i++) {
        struct acc_session s = sess(odd + (i % 8), BP_PHASE_CONCLUSION, ms[i], 0, 1, ms[i], 0);
        struct acc_report r;
        struct report_month m;
        size_t idx = 0;
        report_of(&r, "B", &s, 1, ms[i]);
        report_month_init(&m, odd, "2024-03");
        CHECK_EQ_INT(report_month_add(&m, odd + 3, odd + 5, &r, &idx, 1), 0);
        char *mine = fmt(&m, REPORT_JSON);

        json_t *js = json_object(), *jb = json_object(), *top = json_object(), *bp = json_object();
        json_object_set_new(js, "id", json_string(s.id));
        json_object_set_new(js, "phase", json_string("conclusion"));
        json_object_set_new(js, "start", jansson_seconds(ms[i]));
        json_object_set_new(js, "end", jansson_seconds(ms[i]));
        char is[40];
        struct acc_utc u;
        account_utc_from_ms(ms[i], &u);
        if (u.ms)
            snprintf(is, sizeof is, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", u.year, u.month, u.day, u.hour, u.min,
                     u.sec, u.ms);
        else
            snprintf(is, sizeof is, "%04d-%02d-%02dT%02d:%02d:%02dZ", u.year, u.month, u.day, u.hour, u.min, u.sec);
        json_object_set_new(js, "start_utc", json_string(is));
        json_object_set_new(js, "end_utc", json_string(is));
        json_object_set_new(js, "closed", json_true());
        json_object_set_new(js, "face_to_face_s", jansson_seconds(ms[i]));
        json_object_set_new(js, "interruptions", json_integer(0));
        for (int p = 0; p < BP_PHASE_COUNT; p++)
            json_object_set_new(bp, bp_phase_name(p), jansson_seconds(p == BP_PHASE_CONCLUSION ? ms[i] : 0));
        json_object_set_new(jb, "bilan", json_string(odd + 3));
        json_object_set_new(jb, "label", json_string(odd + 5));
        json_object_set_new(jb, "sessions", json_pack("[O]", js));
        json_object_set(jb, "by_phase", bp);
        json_object_set_new(jb, "face_to_face_s", jansson_seconds(ms[i]));
        json_object_set_new(jb, "budget_s", jansson_seconds(ms[i]));
        json_object_set_new(jb, "remaining_s", jansson_seconds(0));
        json_object_set_new(top, "consultant", json_string(odd));
        json_object_set_new(top, "month", json_string("2024-03"));
        json_object_set_new(top, "bilans", json_pack("[O]", jb));
        json_object_set(top, "by_phase", bp);
        json_object_set_new(top, "face_to_face_s", jansson_seconds(ms[i]));
        json_object_set_new(top, "sessions", json_integer(1));
        char *theirs = json_dumps(top, JSON_INDENT(2) | JSON_REAL_PRECISION(15) | JSON_PRESERVE_ORDER);
        CHECK(theirs != NULL);
        if (theirs && mine) {
            size_t n = strlen(theirs);
            CHECK(strlen(mine) == n + 1 && !strncmp(mine, theirs, n) && mine[n] == '\n');
            if (strncmp(mine, theirs, n))
                fprintf(stderr, "ms=%lld\nmine:\n%s\njansson:\n%s\n", (long long)ms[i], mine, theirs);
        }
        free(theirs);
        json_decref(js);
        json_decref(jb);
        json_decref(bp);
        json_decref(top);
        free(mine);
        report_month_free(&m);
    }
}

int main(void)
{
    test_sums_and_ownership();
    test_table_and_csv();
    test_json();
    test_json_as_jansson();
    return check_report();
}
