/* test_sheet_value.c: tests of client/doc/sheet_value.c (what a field shows
 * once exported) and of sheet_md.c's escaping, with plain calls. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../check.h"
#include "sheet_md.h"
#include "sheet_value.h"

static struct bp_ws_option opts[] = {{"opt_a", "Écoute"}, {"opt_b", "Rigueur « fine »"}};

static struct bp_ws_field mkfield(enum bp_ws_kind k)
{
    struct bp_ws_field f;
    memset(&f, 0, sizeof f);
    snprintf(f.id, sizeof f.id, "champ");
    f.label = "Champ";
    f.kind = k;
    f.editors = BP_WS_BOTH;
    if (k == BP_WS_CHOICE || k == BP_WS_MULTI) {
        f.options = opts;
        f.n_options = 2;
    }
    if (k == BP_WS_SCALE) {
        f.min = 0;
        f.max = 10;
    }
    return f;
}

/* The pieces of value (JSON text, or NULL) as "K:text|K:text", K one of P, B, N. */
static const char *show(const struct bp_ws_field *f, const char *json)
{
    static char out[4096];
    json_t *v = json ? json_loads(json, JSON_DECODE_ANY, NULL) : NULL;
    struct sheet_pieces p;
    out[0] = 0;
    if (sheet_value_pieces(f, v, &p) == 0) {
        size_t n = 0;
        for (size_t i = 0; i < p.n; i++)
            n += (size_t)snprintf(out + n, sizeof out - n, "%s%c:%s", i ? "|" : "",
                                  "PBN"[p.v[i].kind], p.v[i].text);
        sheet_pieces_free(&p);
    }
    json_decref(v);
    return out;
}

static void test_kinds(void)
{
    struct bp_ws_field f = mkfield(BP_WS_TEXT);
    CHECK_STR(show(&f, "\"Un cœur\\n\\nd’œuvre\""), "P:Un cœur\n\nd’œuvre");
    CHECK_STR(show(&f, NULL), "N:(non renseigné)");
    CHECK_STR(show(&f, "null"), "N:(non renseigné)");
    CHECK_STR(show(&f, "\"\""), "N:(non renseigné)");
    CHECK_STR(show(&f, "\" \\n\\t \""), "N:(non renseigné)");
    CHECK_STR(show(&f, "42"), "N:(valeur illisible)");
    f = mkfield(BP_WS_CHOICE);
    CHECK_STR(show(&f, "\"opt_b\""), "P:Rigueur « fine »");
    CHECK_STR(show(&f, "\"opt_z\""), "P:opt_z");
    CHECK_STR(show(&f, "[\"opt_a\"]"), "N:(valeur illisible)");
    f = mkfield(BP_WS_MULTI);
    CHECK_STR(show(&f, "[\"opt_a\", \"opt_b\"]"), "B:Écoute|B:Rigueur « fine »");
    CHECK_STR(show(&f, "[]"), "N:(non renseigné)");
    CHECK_STR(show(&f, "[\"opt_a\", 3]"), "B:Écoute|N:(valeur illisible)");
    f = mkfield(BP_WS_LIST);
    CHECK_STR(show(&f, "[\"Un\", \"Deux\"]"), "B:Un|B:Deux");
    CHECK_STR(show(&f, "\"Un\""), "N:(valeur illisible)");
    f = mkfield(BP_WS_SCALE);
    CHECK_STR(show(&f, "7"), "P:7 sur 10");
    CHECK_STR(show(&f, "0"), "P:0 sur 10");
    CHECK_STR(show(&f, "7.5"), "N:(valeur illisible)");
    f.min_label = "Jamais";
    CHECK_STR(show(&f, "3"), "P:3 sur 10 (0 : Jamais ; 10 : …)");
    f.max_label = "Toujours";
    CHECK_STR(show(&f, "3"), "P:3 sur 10 (0 : Jamais ; 10 : Toujours)");
    f = mkfield(BP_WS_DATE);
    CHECK_STR(show(&f, "\"2026-03-09\""), "P:09/03/2026");
    CHECK_STR(show(&f, "\"9 mars\""), "N:(valeur illisible)");
    CHECK_STR(show(&f, "\"2026-3-09\""), "N:(valeur illisible)");
}

static void test_dates(void)
{
    char d[11];
    CHECK_EQ_INT(sheet_date_fr("1900-01-31", d), 0);
    CHECK_STR(d, "31/01/1900");
    CHECK_EQ_INT(sheet_date_fr("2026-12-01T00", d), -1);
    CHECK_EQ_INT(sheet_date_fr("2026/12/01", d), -1);
    CHECK_EQ_INT(sheet_date_fr("", d), -1);
    sheet_today_fr(d);
    CHECK(strlen(d) == 10 && d[2] == '/' && d[5] == '/');
    struct sheet_doc_opts o = {.date = "24/12/2026"};
    CHECK_STR(sheet_doc_date(&o, d), "24/12/2026");
}

static const char *md(const char *s)
{
    static char buf[1024];
    FILE *f = fmemopen(buf, sizeof buf, "w");
    sheet_md_escape(f, s);
    fclose(f);
    return buf;
}

static void test_md_escape(void)
{
    CHECK_STR(md("*gras* _it_ #tag"), "\\*gras\\* \\_it\\_ \\#tag");
    CHECK_STR(md("[lien](x) <b> `c` a|b ~s~ !i &amp; \\"),
              "\\[lien\\](x) \\<b\\> \\`c\\` a\\|b \\~s\\~ \\!i \\&amp; \\\\");
    CHECK_STR(md("- tiret"), "\\- tiret");
    CHECK_STR(md("+ plus"), "\\+ plus");
    CHECK_STR(md("12. douze"), "12\\. douze");
    CHECK_STR(md("3) trois"), "3\\) trois");
    CHECK_STR(md("2026 était"), "2026 était");
    CHECK_STR(md("    code"), "&#32;   code");
    CHECK_STR(md("a\nb"), "a b");
    CHECK_STR(md("Œuvre « à » l’été"), "Œuvre « à » l’été");
}

int main(void)
{
    test_kinds();
    test_dates();
    test_md_escape();
    return check_report();
}
