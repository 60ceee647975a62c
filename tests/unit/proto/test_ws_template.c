/* test_ws_template.c: proto/ws_template.c, the worksheet templates and the
 * check of a field's value (docs/WORKSHEETS.md, "Templates"), and the
 * templates the client ships (client/ws_templates.c over the table that
 * cmake/ws_templates.cmake compiles in).
 *
 * Every shipped template parses under its file's name; each rule of the
 * document refuses a template that breaks it, with the place and the words
 * a person needs (asserted as substrings of the French sentence); every
 * kind of value at its bounds. Test templates are written with ' for " to
 * stay readable (no test text holds an apostrophe). */
#include <stdint.h>

#include "bp/bp.h"
#include "bp/data.h"
#include "bp/vocab.h"
#include "bp/ws_template.h"
#include "ws_templates.h"
#include "../check.h"

/* s with every ' turned into ", in a static buffer large enough for the
 * longest test template. */
static char *q(const char *s)
{
    static char buf[1 << 16];
    size_t n = strlen(s);
    if (n >= sizeof buf)
        abort();
    for (size_t i = 0; i <= n; i++)
        buf[i] = s[i] == '\'' ? '"' : s[i];
    return buf;
}

/* A template whose one section holds the given fields (JSON, ' for "). */
static char *with_fields(const char *fields)
{
    static char buf[1 << 16];
    snprintf(buf, sizeof buf,
             "{'format':1,'id':'t','title':'Titre','phase':'conclusion','sections':[{'id':'s','"
             "title':'S',"
             "'fields':[%s]}]}",
             fields);
    return q(buf);
}

#define TEXT_FIELD "{'id':'f','label':'L','kind':'text','editors':'both'}"

static int parse(const char *json, const char *expect, struct bp_ws_template **t, char *why,
                 size_t cap)
{
    return bp_ws_template_parse(json, strlen(json), expect, t, why, cap);
}

/* Expects json refused with code and a sentence holding each of the words. */
static void refused_n(int line, const char *json, const char *expect, int code,
                      const char *const *words)
{
    struct bp_ws_template *t = (void *)1;
    char why[512];
    int rc = parse(json, expect, &t, why, sizeof why);
    int ok = rc == code && t == NULL && why[0];
    for (size_t i = 0; words[i]; i++)
        if (!strstr(why, words[i])) {
            ok = 0;
            fprintf(stderr, "line %d: \"%s\" lacks \"%s\"\n", line, why, words[i]);
        }
    if (rc != code)
        fprintf(stderr, "line %d: code %d, not %d (%s)\n", line, rc, code, why);
    CHECK(ok);
    CHECK(bp_utf8_valid((const uint8_t *)why, strlen(why)));
    /* The same answer without a place for the sentence. */
    CHECK_EQ_INT(parse(json, expect, &t, NULL, 0), code);
}
#define REFUSED(json, code, ...)                                                                   \
    refused_n(__LINE__, (json), NULL, (code), (const char *const[]){__VA_ARGS__, NULL})
#define REFUSED_ID(json, expect, code, ...)                                                        \
    refused_n(__LINE__, (json), (expect), (code), (const char *const[]){__VA_ARGS__, NULL})
#define BAD_FIELD(fields, ...) REFUSED(with_fields(fields), BP_E_INVALID_FIELD, __VA_ARGS__)
#define MISSING_FIELD(fields, ...) REFUSED(with_fields(fields), BP_E_MISSING_FIELD, __VA_ARGS__)

static void accepted_n(int line, const char *json)
{
    struct bp_ws_template *t = NULL;
    char why[512];
    int rc = parse(json, NULL, &t, why, sizeof why);
    if (rc)
        fprintf(stderr, "line %d: refused: %s\n", line, why);
    CHECK_EQ_INT(rc, 0);
    CHECK(t != NULL);
    bp_ws_template_free(t);
}
#define ACCEPTED(json) accepted_n(__LINE__, (json))

/* A string of n copies of c, as JSON text (no quotes). */
static const char *rep(size_t n, char c)
{
    static char buf[4][2100];
    static int k;
    char *b = buf[k++ % 4];
    memset(b, c, n);
    b[n] = '\0';
    return b;
}

static void test_shipped(void)
{
    size_t n = 0;
    const struct ws_template_src *src = ws_templates_builtin(&n);
    static const char *const want[] = {"analyse_demande", "enquete_metier",   "motivation",
                                       "plan_action",     "portefeuille",     "programme",
                                       "recit",           "satisfaction_fin", "satisfaction_suivi",
                                       "synthese"};
    CHECK_EQ_INT(n, sizeof want / sizeof want[0]);
    for (size_t i = 0; i < n && i < sizeof want / sizeof want[0]; i++) {
        CHECK_STR(src[i].id, want[i]);
        CHECK_EQ_INT(strlen(src[i].json), src[i].len);
        struct bp_ws_template *t = NULL;
        char why[512];
        int rc = bp_ws_template_parse(src[i].json, src[i].len, src[i].id, &t, why, sizeof why);
        if (rc)
            fprintf(stderr, "%s.json: %s\n", src[i].id, why);
        CHECK_EQ_INT(rc, 0);
        if (!t)
            continue;
        /* Every field is found by its id, and its empty value fits. */
        for (size_t s = 0; s < t->n_sections; s++)
            for (size_t f = 0; f < t->sections[s].n_fields; f++) {
                const struct bp_ws_field *fl = &t->sections[s].fields[f];
                CHECK(bp_ws_template_field(t, fl->id) == fl);
                CHECK_EQ_INT(bp_ws_value_check(fl, NULL, why, sizeof why), 0);
            }
        bp_ws_template_free(t);
    }
    /* The loader: all of them, found by id. */
    struct ws_templates ts;
    char why[600];
    CHECK_EQ_INT(ws_templates_load_all(&ts, why, sizeof why), 0);
    CHECK_EQ_INT(ts.n, n);
    const struct bp_ws_template *syn = ws_templates_find(&ts, "synthese");
    CHECK(syn && syn->phase == BP_PHASE_CONCLUSION);
    CHECK(ws_templates_find(&ts, "nothing") == NULL);
    /* The synthèse holds the legal sections (R.6322-38), in this order. */
    static const char *const legal[] = {"Circonstances du bilan", "Compétences et aptitudes",
                                        "Projet professionnel",
                                        "conseil en évolution professionnelle"};
    size_t at = 0;
    for (size_t s = 0; syn && s < syn->n_sections && at < 4; s++)
        if (strstr(syn->sections[s].title, legal[at]))
            at++;
    CHECK_EQ_INT(at, 4);
    /* The beneficiary has their own words in it. */
    const struct bp_ws_field *obs =
        syn ? bp_ws_template_field(syn, "observations_beneficiaire") : NULL;
    CHECK(obs && obs->editors == BP_WS_BENEFICIARY && obs->kind == BP_WS_TEXT);
    /* The analysis grid's three-way rapport au projet. */
    const struct bp_ws_template *grid = ws_templates_find(&ts, "analyse_demande");
    const struct bp_ws_field *rp = grid ? bp_ws_template_field(grid, "rapport_projet") : NULL;
    CHECK(rp && rp->kind == BP_WS_CHOICE && rp->n_options == 3);
    CHECK(ws_templates_find(&ts, "satisfaction_suivi")->phase == BP_PHASE_SUIVI);
    ws_templates_free(&ts);
    CHECK(ts.t == NULL && ts.n == 0);
    /* One bad template fails the whole load, naming its file first. */
    const char *good = src[0].json;
    const char *bad = with_fields("{'id':'f','label':'L','kind':'texte','editors':'both'}");
    const struct ws_template_src two[] = {{src[0].id, good, src[0].len}, {"t", bad, strlen(bad)}};
    CHECK_EQ_INT(ws_templates_load(two, 2, &ts, why, sizeof why), BP_E_INVALID_FIELD);
    CHECK(strstr(why, "modèle « assets/worksheets/t.json » : section « s », champ « f » : le type "
                      "« texte »") != NULL);
    CHECK(ts.t == NULL && ts.n == 0);
    /* and one whose id is not its file's name */
    const struct ws_template_src renamed[] = {{"u", bad, strlen(bad)}};
    CHECK_EQ_INT(ws_templates_load(renamed, 1, &ts, why, sizeof why), BP_E_INVALID_FIELD);
    CHECK(strstr(why, "« u.json »") != NULL);
    CHECK_EQ_INT(ws_templates_load(two, 1, &ts, why, sizeof why), 0);
    CHECK_EQ_INT(ts.n, 1);
    ws_templates_free(&ts);
}

static void test_good(void)
{
    const char *json = q(
        "{'format':1,'id':'ok_1','title':'Modèle été','phase':'suivi','intro':'Intro',"
        "'sections':[{'id':'a','title':'A','fields':["
        "{'id':'t','label':'Texte','help':'Aide','kind':'text','editors':'consultant'},"
        "{'id':'c','label':'C','kind':'choice','editors':'beneficiary',"
        "'options':[{'id':'x','label':'X'},{'id':'y','label':'Y'}]}]},"
        "{'id':'b','title':'B','fields':["
        "{'id':'sc','label':'S','kind':'scale','min':0,'max':100,'min_label':'peu',"
        "'editors':'both'},"
        "{'id':'m','label':'M','kind':'multi','editors':'both','options':[{'id':'x','label':'X'}]},"
        "{'id':'l','label':'L','kind':'list','editors':'both'},"
        "{'id':'d','label':'D','kind':'date','editors':'both'}]}]}");
    struct bp_ws_template *t = NULL;
    char why[512];
    CHECK_EQ_INT(parse(json, "ok_1", &t, why, sizeof why), 0);
    if (!t)
        return;
    CHECK_STR(t->id, "ok_1");
    CHECK_STR(t->title, "Modèle été");
    CHECK_STR(t->intro, "Intro");
    CHECK_EQ_INT(t->phase, BP_PHASE_SUIVI);
    CHECK_EQ_INT(t->n_sections, 2);
    const struct bp_ws_field *f = bp_ws_template_field(t, "t");
    CHECK(f && f->kind == BP_WS_TEXT && f->editors == BP_WS_CONSULTANT && !strcmp(f->help, "Aide"));
    f = bp_ws_template_field(t, "c");
    CHECK(f && f->kind == BP_WS_CHOICE && f->editors == BP_WS_BENEFICIARY && f->n_options == 2 &&
          !f->help);
    CHECK(f && !strcmp(f->options[1].id, "y") && !strcmp(f->options[1].label, "Y"));
    f = bp_ws_template_field(t, "sc");
    CHECK(f && f->kind == BP_WS_SCALE && f->min == 0 && f->max == 100 && f->editors == BP_WS_BOTH);
    CHECK(f && !strcmp(f->min_label, "peu") && f->max_label == NULL && f->n_options == 0);
    CHECK(bp_ws_template_field(t, "m")->kind == BP_WS_MULTI);
    CHECK(bp_ws_template_field(t, "l")->kind == BP_WS_LIST);
    CHECK(bp_ws_template_field(t, "d")->kind == BP_WS_DATE);
    CHECK(bp_ws_template_field(t, "x") == NULL); /* an option id is not a field */
    CHECK(bp_ws_template_field(t, "a") == NULL); /* nor a section id */
    CHECK(bp_ws_template_field(NULL, "t") == NULL);
    bp_ws_template_free(t);
    bp_ws_template_free(NULL);
}

static void test_top(void)
{
    REFUSED("{", BP_E_BAD_JSON, "JSON lisible", "ligne 1");
    REFUSED("[]", BP_E_INVALID_FIELD, "un modèle est un objet");
    REFUSED(q("{'format':1,'format':1}"), BP_E_BAD_JSON, "deux fois");
    /* Invalid UTF-8 (a lone Latin-1 é) in the title: jansson refuses it. */
    REFUSED("{\"format\":1,\"id\":\"t\",\"title\":\"\xe9t\xe9\"}", BP_E_BAD_JSON, "UTF-8",
            "ligne 1");
    REFUSED(q("{'id':'t'}"), BP_E_MISSING_FIELD, "« format » manque");
    REFUSED(q("{'format':2,'id':'t'}"), BP_E_INVALID_FIELD, "« format » doit valoir 1");
    REFUSED(q("{'format':'1','id':'t'}"), BP_E_INVALID_FIELD, "« format » doit valoir 1");
    REFUSED(q("{'format':1}"), BP_E_MISSING_FIELD, "« id » manque");
    REFUSED(q("{'format':1,'id':'Recit'}"), BP_E_INVALID_FIELD, "l'identifiant « Recit » ne va pas",
            "a-z");
    REFUSED(q("{'format':1,'id':'a-b'}"), BP_E_INVALID_FIELD, "l'identifiant « a-b »");
    REFUSED(q("{'format':1,'id':''}"), BP_E_INVALID_FIELD, "l'identifiant «  »");
    REFUSED(q("{'format':1,'id':3}"), BP_E_INVALID_FIELD, "« id » doit être un texte");
    char buf[512];
    snprintf(buf, sizeof buf, "{'format':1,'id':'%s'}", rep(41, 'a'));
    REFUSED(q(buf), BP_E_INVALID_FIELD, "l'identifiant");
    REFUSED_ID(with_fields(TEXT_FIELD), "recit", BP_E_INVALID_FIELD, "« t »", "« recit.json »",
               "nom du fichier");
    REFUSED(q("{'format':1,'id':'t','phase':'conclusion'}"), BP_E_MISSING_FIELD,
            "« title » manque");
    REFUSED(q("{'format':1,'id':'t','title':''}"), BP_E_INVALID_FIELD, "« title » est vide");
    REFUSED(q("{'format':1,'id':'t','title':7}"), BP_E_INVALID_FIELD,
            "« title » doit être un texte");
    snprintf(buf, sizeof buf, "{'format':1,'id':'t','title':'%s'}", rep(201, 'a'));
    REFUSED(q(buf), BP_E_INVALID_FIELD, "« title » fait 201 octets : 200 au plus");
    REFUSED(q("{'format':1,'id':'t','title':'a\\nb'}"), BP_E_INVALID_FIELD,
            "« title » contient un caractère de contrôle", "une ligne");
    REFUSED(q("{'format':1,'id':'t','title':'a\\tb'}"), BP_E_INVALID_FIELD,
            "caractère de contrôle");
    REFUSED(q("{'format':1,'id':'t','title':'a\\u007fb'}"), BP_E_INVALID_FIELD,
            "caractère de contrôle");
    REFUSED(q("{'format':1,'id':'t','title':'a\\u0085b'}"), BP_E_INVALID_FIELD,
            "caractère de contrôle");
    REFUSED(q("{'format':1,'id':'t','title':'a\\u0000b'}"), BP_E_BAD_JSON, "JSON");
    REFUSED(q("{'format':1,'id':'t','title':'T','intro':'a\\nb'}"), BP_E_INVALID_FIELD,
            "« intro » contient");
    static char big[4096];
    snprintf(big, sizeof big, "{'format':1,'id':'t','title':'T','intro':'%s%s'}", rep(1000, 'a'),
             rep(1, 'a'));
    REFUSED(q(big), BP_E_INVALID_FIELD, "« intro » fait 1001 octets : 1000 au plus");
    REFUSED(q("{'format':1,'id':'t','title':'T','titel':'x'}"), BP_E_INVALID_FIELD,
            "la clé « titel » n'est pas connue");
    REFUSED(q("{'format':1,'id':'t','title':'T'}"), BP_E_MISSING_FIELD, "« phase » manque",
            "preliminaire");
    REFUSED(q("{'format':1,'id':'t','title':'T','phase':'fin'}"), BP_E_INVALID_FIELD,
            "la phase « fin » n'existe pas (preliminaire, investigation, conclusion, suivi)");
    REFUSED(q("{'format':1,'id':'t','title':'T','phase':1}"), BP_E_INVALID_FIELD,
            "« phase » doit être");
    REFUSED(q("{'format':1,'id':'t','title':'T','phase':'suivi'}"), BP_E_MISSING_FIELD,
            "« sections » manque");
    REFUSED(q("{'format':1,'id':'t','title':'T','phase':'suivi','sections':[]}"),
            BP_E_INVALID_FIELD, "au moins une section");
    REFUSED(q("{'format':1,'id':'t','title':'T','phase':'suivi','sections':{}}"),
            BP_E_INVALID_FIELD, "au moins une section");
    /* At the bounds, accepted. */
    snprintf(big, sizeof big,
             "{'format':1,'id':'%s','title':'%s','intro':'%s','phase':'suivi','sections':[{'id':'s'"
             ",'title':'S',"
             "'fields':[" TEXT_FIELD "]}]}",
             rep(40, 'z'), rep(200, 'a'), rep(1000, 'b'));
    ACCEPTED(q(big));
}

static void test_sections(void)
{
#define SEC(x) q("{'format':1,'id':'t','title':'T','phase':'suivi','sections':[" x "]}")
    REFUSED(SEC("3"), BP_E_INVALID_FIELD, "section n° 1 : une section est un objet");
    REFUSED(SEC("{'title':'S'}"), BP_E_MISSING_FIELD, "section n° 1 : « id » manque");
    REFUSED(SEC("{'id':'s','title':'S','fields':[" TEXT_FIELD "]},{'id':'B','title':'S'}"),
            BP_E_INVALID_FIELD, "section n° 2 : l'identifiant « B »");
    REFUSED(SEC("{'id':'s','title':'S','fields':[" TEXT_FIELD "]},{'id':'s','title':'S'}"),
            BP_E_INVALID_FIELD, "section « s » : une autre section porte déjà l'identifiant « s »");
    REFUSED(SEC("{'id':'s'}"), BP_E_MISSING_FIELD, "section « s » : « title » manque");
    REFUSED(SEC("{'id':'s','title':'S'}"), BP_E_MISSING_FIELD, "section « s » : « fields » manque");
    REFUSED(SEC("{'id':'s','title':'S','fields':[]}"), BP_E_INVALID_FIELD,
            "section « s » : « fields » doit");
    REFUSED(SEC("{'id':'s','title':'S','champs':[]}"), BP_E_INVALID_FIELD,
            "section « s » : la clé « champs »");
    REFUSED(SEC("{'id':'s','title':'S','fields':[3]}"), BP_E_INVALID_FIELD,
            "section « s », champ n° 1 : un champ est un objet");
#undef SEC
}

static void test_fields(void)
{
    /* The brief's own example, word for word. */
    REFUSED(q("{'format':1,'id':'t','title':'T','phase':'suivi','sections':[{'id':'recit','title':'"
              "R','fields':["
              "{'id':'etapes','label':'E','kind':'liste','editors':'both'}]}]}"),
            BP_E_INVALID_FIELD,
            "section « recit », champ « etapes » : le type « liste » n'existe pas (text, choice, "
            "multi, scale, list, "
            "date)");
    BAD_FIELD("{'id':'Etapes','label':'E','kind':'text','editors':'both'}",
              "section « s », champ n° 1 : l'identifiant");
    MISSING_FIELD("{'label':'E','kind':'text','editors':'both'}", "champ n° 1 : « id » manque");
    MISSING_FIELD("{'id':'f','label':'E','editors':'both'}", "champ « f » : « kind » manque");
    BAD_FIELD("{'id':'f','label':'E','kind':2,'editors':'both'}",
              "champ « f » : « kind » doit être");
    MISSING_FIELD("{'id':'f','label':'E','kind':'text'}", "champ « f » : « editors » manque");
    BAD_FIELD("{'id':'f','label':'E','kind':'text','editors':'tous'}",
              "champ « f » : « editors » doit être consultant");
    MISSING_FIELD("{'id':'f','kind':'text','editors':'both'}", "champ « f » : « label » manque");
    BAD_FIELD("{'id':'f','label':'a\\nb','kind':'text','editors':'both'}",
              "champ « f » : « label » contient");
    char buf[4096];
    snprintf(buf, sizeof buf, "{'id':'f','label':'L','help':'%s','kind':'text','editors':'both'}",
             rep(1001, 'h'));
    BAD_FIELD(buf, "champ « f » : « help » fait 1001 octets");
    BAD_FIELD("{'id':'f','label':'L','hepl':'x','kind':'text','editors':'both'}",
              "champ « f » : la clé « hepl »");
    /* options only for choice and multi */
    BAD_FIELD(
        "{'id':'f','label':'L','kind':'text','editors':'both','options':[{'id':'a','label':'A'}]}",
        "champ « f » : « options » ne va qu'avec les types choice et multi");
    BAD_FIELD("{'id':'f','label':'L','kind':'scale','min':1,'max':2,'editors':'both','options':[]}",
              "« options » ne va qu'avec");
    MISSING_FIELD("{'id':'f','label':'L','kind':'choice','editors':'both'}",
                  "champ « f » : « options » manque");
    MISSING_FIELD("{'id':'f','label':'L','kind':'multi','editors':'both'}", "« options » manque");
    BAD_FIELD("{'id':'f','label':'L','kind':'choice','editors':'both','options':[]}",
              "1 à 50 options");
    BAD_FIELD("{'id':'f','label':'L','kind':'choice','editors':'both','options':{}}",
              "1 à 50 options");
    BAD_FIELD(
        "{'id':'f','label':'L','kind':'choice','editors':'both','options':[{'id':'a','label':'A'},"
        "{'id':'a','label':'B'}]}",
        "champ « f », option « a » : l'option « a » est déjà dans ce champ");
    BAD_FIELD("{'id':'f','label':'L','kind':'choice','editors':'both','options':[{'id':'A','label':"
              "'A'}]}",
              "champ « f », option n° 1 : l'identifiant « A »");
    MISSING_FIELD("{'id':'f','label':'L','kind':'choice','editors':'both','options':[{'id':'a'}]}",
                  "option « a » : « label » manque");
    BAD_FIELD("{'id':'f','label':'L','kind':'choice','editors':'both','options':[{'id':'a','label':"
              "'A','x':1}]}",
              "option « a » : la clé « x »");
    BAD_FIELD("{'id':'f','label':'L','kind':'choice','editors':'both','options':['a']}",
              "option n° 1 : une option est un objet");
    /* 50 options accepted, 51 refused. */
    char opts[4096] = "";
    size_t w = 0;
    for (int i = 0; i < 51; i++)
        w += (size_t)snprintf(opts + w, sizeof opts - w, "%s{'id':'o%d','label':'O'}", i ? "," : "",
                              i);
    snprintf(buf, sizeof buf,
             "{'id':'f','label':'L','kind':'multi','editors':'both','options':[%s]}", opts);
    BAD_FIELD(buf, "1 à 50 options");
    *strstr(opts, ",{'id':'o50'") = '\0';
    snprintf(buf, sizeof buf,
             "{'id':'f','label':'L','kind':'multi','editors':'both','options':[%s]}", opts);
    ACCEPTED(with_fields(buf));
    /* scale bounds */
    BAD_FIELD("{'id':'f','label':'L','kind':'scale','min':5,'max':1,'editors':'both'}",
              "champ « f » : « min » (5) doit être plus petit que « max » (1)");
    BAD_FIELD("{'id':'f','label':'L','kind':'scale','min':3,'max':3,'editors':'both'}",
              "plus petit");
    MISSING_FIELD("{'id':'f','label':'L','kind':'scale','min':1,'editors':'both'}",
                  "« max » manque");
    MISSING_FIELD("{'id':'f','label':'L','kind':'scale','max':1,'editors':'both'}",
                  "« min » manque");
    BAD_FIELD("{'id':'f','label':'L','kind':'scale','min':1,'max':101,'editors':'both'}",
              "« max » doit être un nombre entier de 0 à 100");
    BAD_FIELD("{'id':'f','label':'L','kind':'scale','min':-1,'max':5,'editors':'both'}",
              "« min » doit être un nombre entier de 0 à 100");
    BAD_FIELD("{'id':'f','label':'L','kind':'scale','min':1.5,'max':5,'editors':'both'}",
              "« min » doit être");
    BAD_FIELD("{'id':'f','label':'L','kind':'scale','min':1,'max':5,'max_label':'a\\nb','editors':'"
              "both'}",
              "« max_label » contient");
    BAD_FIELD("{'id':'f','label':'L','kind':'text','min':1,'editors':'both'}",
              "« min » ne va qu'avec le type scale");
    BAD_FIELD("{'id':'f','label':'L','kind':'list','max_label':'x','editors':'both'}",
              "« max_label » ne va qu'avec le type scale");
    /* field ids unique in the whole template */
    BAD_FIELD(TEXT_FIELD "," TEXT_FIELD,
              "section « s », champ « f » : un autre champ du modèle porte déjà");
    REFUSED(q("{'format':1,'id':'t','title':'T','phase':'suivi','sections':[{'id':'a','title':'A','"
              "fields':[" TEXT_FIELD "]},{'id':'b','title':'B','fields':[" TEXT_FIELD "]}]}"),
            BP_E_INVALID_FIELD, "section « b », champ « f » : un autre champ");
    /* the same option id in two fields is fine, so is a field named as its section */
    ACCEPTED(with_fields("{'id':'s','label':'L','kind':'choice','editors':'both','options':[{'id':'"
                         "a','label':'A'}]},"
                         "{'id':'g','label':'L','kind':'multi','editors':'both','options':[{'id':'"
                         "a','label':'A'}]}"));
}

/* A sentence cut by a small why_cap stays NUL-terminated UTF-8. */
static void test_small_why(void)
{
    const char *json = q("{'format':1,'id':'t','title':'T','phase':'fin'}");
    for (size_t cap = 1; cap < 80; cap++) {
        char why[80];
        memset(why, 'x', sizeof why);
        struct bp_ws_template *t = NULL;
        CHECK_EQ_INT(parse(json, NULL, &t, why, cap), BP_E_INVALID_FIELD);
        CHECK(memchr(why, '\0', cap) != NULL);
        CHECK(bp_utf8_valid((const uint8_t *)why, strlen(why)));
        CHECK(why[cap] == 'x');
    }
}

/* ---- Values ---- */

static struct bp_ws_template *vt;

static int val(const char *field, json_t *v, const char *words)
{
    char why[512] = "";
    const struct bp_ws_field *f = bp_ws_template_field(vt, field);
    int rc = bp_ws_value_check(f, v, why, sizeof why);
    if (words && !strstr(why, words)) {
        fprintf(stderr, "%s: \"%s\" lacks \"%s\"\n", field, why, words);
        rc = 1;
    }
    if (!words && rc)
        fprintf(stderr, "%s: refused: %s\n", field, why);
    CHECK(bp_utf8_valid((const uint8_t *)why, strlen(why)));
    json_decref(v);
    return rc;
}
#define OK(field, v) CHECK_EQ_INT(val((field), (v), NULL), 0)
#define NO(field, v, code, words) CHECK_EQ_INT(val((field), (v), (words)), (code))

static json_t *j(const char *text)
{
    json_t *v = json_loads(q(text), JSON_DECODE_ANY, NULL);
    if (!v)
        abort();
    return v;
}

static json_t *strn(size_t n, char c)
{
    char *b = malloc(n + 1);
    memset(b, c, n);
    json_t *v = json_stringn(b, n);
    free(b);
    return v;
}

static void test_values(void)
{
    char why[200];
    CHECK_EQ_INT(
        parse(
            with_fields("{'id':'tx','label':'L','kind':'text','editors':'both'},"
                        "{'id':'ch','label':'L','kind':'choice','editors':'both','options':["
                        "{'id':'a','label':'A'},{'id':'b','label':'B'}]},"
                        "{'id':'mu','label':'L','kind':'multi','editors':'both','options':["
                        "{'id':'a','label':'A'},{'id':'b','label':'B'}]},"
                        "{'id':'sc','label':'L','kind':'scale','min':1,'max':5,'editors':'both'},"
                        "{'id':'sz','label':'L','kind':'scale','min':0,'max':10,'editors':'both'},"
                        "{'id':'li','label':'L','kind':'list','editors':'both'},"
                        "{'id':'da','label':'L','kind':'date','editors':'both'}"),
            NULL, &vt, why, sizeof why),
        0);
    if (!vt)
        return;
    static const char *const all[] = {"tx", "ch", "mu", "sc", "li", "da"};
    for (size_t i = 0; i < 6; i++) {
        OK(all[i], NULL);
        OK(all[i], json_null());
        NO(all[i], json_true(), BP_E_INVALID_FIELD, "la valeur doit être");
        NO(all[i], json_object(), BP_E_INVALID_FIELD, "la valeur doit être");
    }
    /* text */
    OK("tx", json_string("Bonjour,\n\tà tous : « été » ✓"));
    OK("tx", json_string(""));
    OK("tx", strn(BP_WS_TEXT_MAX, 'a'));
    NO("tx", strn(BP_WS_TEXT_MAX + 1, 'a'), BP_E_TOO_LARGE,
       "le texte fait 20001 octets : 20000 au plus");
    NO("tx", json_integer(3), BP_E_INVALID_FIELD, "la valeur doit être un texte");
    NO("tx", json_string("a\rb"), BP_E_INVALID_FIELD, "caractère de contrôle");
    NO("tx", json_string("a\x01"), BP_E_INVALID_FIELD, "caractère de contrôle");
    NO("tx", json_string("a\x7f"), BP_E_INVALID_FIELD, "caractère de contrôle");
    NO("tx", json_string("a\xc2\x85"), BP_E_INVALID_FIELD, "caractère de contrôle");
    NO("tx", json_stringn("a\0b", 3), BP_E_INVALID_FIELD, "caractère de contrôle");
    NO("tx", json_stringn_nocheck("\xe9t\xe9", 3), BP_E_INVALID_FIELD, "UTF-8");
    /* choice */
    OK("ch", json_string("a"));
    OK("ch", json_string("b"));
    NO("ch", json_string("c"), BP_E_INVALID_FIELD, "une des options : a, b");
    NO("ch", json_stringn("a\0", 2), BP_E_INVALID_FIELD, "une des options");
    NO("ch", j("['a']"), BP_E_INVALID_FIELD, "une des options");
    NO("ch", json_integer(1), BP_E_INVALID_FIELD, "une des options");
    /* multi */
    OK("mu", j("['a','b']"));
    OK("mu", j("['b']"));
    OK("mu", j("[]"));
    NO("mu", j("['a','a']"), BP_E_INVALID_FIELD, "l'option « a » est choisie deux fois");
    NO("mu", j("['b','a','b']"), BP_E_INVALID_FIELD, "l'option « b » est choisie deux fois");
    NO("mu", j("['a','z']"), BP_E_INVALID_FIELD, "l'élément n° 2 n'est pas une des options : a, b");
    NO("mu", j("[1]"), BP_E_INVALID_FIELD, "l'élément n° 1");
    NO("mu", json_string("a"), BP_E_INVALID_FIELD, "une liste d'options");
    /* scale */
    OK("sc", json_integer(1));
    OK("sc", json_integer(5));
    NO("sc", json_integer(0), BP_E_INVALID_FIELD, "la valeur doit être un nombre entier de 1 à 5");
    NO("sc", json_integer(6), BP_E_INVALID_FIELD, "de 1 à 5");
    NO("sc", json_integer(-4294967295LL), BP_E_INVALID_FIELD, "de 1 à 5");
    NO("sc", json_real(3.0), BP_E_INVALID_FIELD, "nombre entier");
    NO("sc", json_string("3"), BP_E_INVALID_FIELD, "nombre entier");
    OK("sz", json_integer(0));
    NO("sz", json_real(0.0), BP_E_INVALID_FIELD, "la valeur doit être un nombre entier de 0 à 10");
    NO("sz", json_real(2.0), BP_E_INVALID_FIELD, "nombre entier");
    /* list */
    OK("li", j("['une chose','une autre, « accentuée »']"));
    OK("li", j("[]"));
    json_t *l = json_array();
    for (int i = 0; i < BP_WS_LIST_ITEMS; i++)
        json_array_append_new(l, json_string("x"));
    OK("li", json_incref(l));
    json_array_append_new(l, json_string("x"));
    NO("li", l, BP_E_TOO_LARGE, "la liste a 101 éléments : 100 au plus");
    l = json_array();
    json_array_append_new(l, strn(BP_WS_ITEM_MAX, 'i'));
    OK("li", json_incref(l));
    json_array_append_new(l, strn(BP_WS_ITEM_MAX + 1, 'i'));
    NO("li", l, BP_E_TOO_LARGE, "l'élément n° 2 fait 2001 octets : 2000 au plus");
    NO("li", j("['a','b\\nc']"), BP_E_INVALID_FIELD,
       "l'élément n° 2 contient un caractère de contrôle");
    NO("li", j("['a\\tb']"), BP_E_INVALID_FIELD,
       "l'élément n° 1 contient un caractère de contrôle");
    NO("li", j("['a','']"), BP_E_INVALID_FIELD, "l'élément n° 2 est vide");
    NO("li", j("['a','b',3]"), BP_E_INVALID_FIELD, "l'élément n° 3 doit être un texte");
    NO("li", json_string("a"), BP_E_INVALID_FIELD, "une liste de textes");
    l = json_array();
    json_array_append_new(l, json_stringn_nocheck("\xff", 1));
    NO("li", l, BP_E_INVALID_FIELD, "l'élément n° 1 n'est pas de l'UTF-8 valide");
    /* date */
    static const char *const good[] = {"2024-02-29", "2000-02-29", "1900-01-01", "2199-12-31",
                                       "2024-04-30", "2026-12-01", "2025-01-31"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        OK("da", json_string(good[i]));
    static const char *const bad[] = {
        "2023-02-29", "2100-02-29",  "1900-02-29", "1899-12-31", "2200-01-01", "2024-13-01",
        "2024-00-10", "2024-04-31",  "2024-01-00", "2024-01-32", "2024-2-01",  "2024/02/01",
        "24-02-01",   "2024-02-011", "",           "2024-0a-01", "+024-02-01", "2024-02-2 "};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        NO("da", json_string(bad[i]), BP_E_INVALID_FIELD,
           "une date réelle écrite AAAA-MM-JJ, de 1900 à 2199");
    NO("da", json_integer(20240101), BP_E_INVALID_FIELD, "AAAA-MM-JJ");
    NO("da", json_stringn("2024-02-01\0", 11), BP_E_INVALID_FIELD, "AAAA-MM-JJ");
    /* no place for the sentence: same answers */
    json_t *v = json_integer(9);
    CHECK_EQ_INT(bp_ws_value_check(bp_ws_template_field(vt, "sc"), v, NULL, 0), BP_E_INVALID_FIELD);
    json_decref(v);
    bp_ws_template_free(vt);
}

int main(void)
{
    test_shipped();
    test_good();
    test_top();
    test_sections();
    test_fields();
    test_small_why();
    test_values();
    return check_report();
}
