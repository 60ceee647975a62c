/* test_sheet_text.c: client/doc/sheet_text.c and sheet_text_read.c, the
 * text form of a sheet a person edits in $EDITOR, with plain calls.
 *
 * Every built-in template, filled with a value of every kind (the awkward
 * ones: lines starting with #, a list item starting with "- "), written then
 * read back gives no change, for both roles, with and without conflicts;
 * each kind's edit gives exactly the expected change; each refusal names the
 * field and the line; a read-only field is refused with who may edit it;
 * conflicts are all shown; an error reopens on the person's text. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../check.h"
#include "bp/vocab.h"
#include "sheet_text.h"
#include "ws_templates.h"

#define CONS BP_ROLE_CONSULTANT
#define BENE BP_ROLE_BENEFICIARY

/* A value of f's kind, none of them easy to write back. */
static json_t *filled(const struct bp_ws_field *f)
{
    switch (f->kind) {
    case BP_WS_TEXT:
        return json_string("Première ligne, « é »  \n\n  # pas un commentaire\n\\# déjà "
                           "échappé\n## pas un titre [x]\n\tfin");
    case BP_WS_CHOICE:
        return json_string(f->options[f->n_options - 1].id);
    case BP_WS_MULTI:
        return f->n_options > 1
                   ? json_pack("[ss]", f->options[f->n_options - 1].id, f->options[0].id)
                   : json_pack("[s]", f->options[0].id);
    case BP_WS_SCALE:
        return json_integer(f->max);
    case BP_WS_LIST:
        return json_pack("[sss]", "Un", "- deux", "#trois");
    case BP_WS_DATE:
        return json_string("2026-03-09");
    }
    return NULL;
}

/* The text form, in a static buffer. */
static char *write_form(const struct bp_ws_template *t, const json_t *values,
                        const json_t *conflicts, int role, const char *banner)
{
    static char *buf;
    size_t len;
    free(buf);
    buf = NULL;
    FILE *m = open_memstream(&buf, &len);
    int rc = sheet_text_write(m, t, values, conflicts, "AbCdEfGhIjKlMnOpQrStUv", role, banner);
    fclose(m);
    CHECK_EQ_INT(rc, 0);
    return buf;
}

static char why[600];
static int line;

/* Reads text; *changes as compact JSON (static) or NULL on error. */
static const char *read_form(const struct bp_ws_template *t, const char *text, size_t len, int role,
                             const json_t *before)
{
    static char *dump;
    json_t *ch = (void *)1;
    free(dump);
    dump = NULL;
    why[0] = 'x';
    line = -1;
    int rc = sheet_text_read(text, len, t, role, before, &ch, why, sizeof why, &line);
    if (rc) {
        CHECK(ch == NULL && why[0] && line >= 0);
        return NULL;
    }
    CHECK(ch != NULL && why[0] == '\0' && line == 0);
    dump = json_dumps(ch, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(ch);
    return dump;
}

static const char *rd(const struct bp_ws_template *t, const char *text, int role,
                      const json_t *before)
{
    return read_form(t, text, strlen(text), role, before);
}

static void test_builtin_round_trip(void)
{
    struct ws_templates ts;
    char w[256];
    CHECK_EQ_INT(ws_templates_load_all(&ts, w, sizeof w), 0);
    for (size_t i = 0; i < ts.n; i++) {
        const struct bp_ws_template *t = ts.t[i];
        json_t *values = json_object(), *conflicts = json_object();
        for (size_t s = 0; s < t->n_sections; s++)
            for (size_t k = 0; k < t->sections[s].n_fields; k++) {
                const struct bp_ws_field *f = &t->sections[s].fields[k];
                json_t *v = filled(f);
                CHECK_EQ_INT(bp_ws_value_check(f, v, w, sizeof w), 0);
                json_object_set_new(conflicts, f->id, json_pack("[On]", v));
                json_object_set_new(values, f->id, v);
            }
        for (int role = CONS; role <= BENE; role++) {
            const char *r;
            char *text = write_form(t, values, NULL, role, NULL);
            r = rd(t, text, role, values);
            CHECK(r && !strcmp(r, "{}"));
            if (!r || strcmp(r, "{}"))
                fprintf(stderr, "  %s role %d: %s (line %d)\n", t->id, role, r ? r : why, line);
            text = write_form(t, values, conflicts, role, "Une erreur\nsur deux lignes");
            r = rd(t, text, role, values);
            CHECK(r && !strcmp(r, "{}"));
            text = write_form(t, NULL, NULL, role, NULL);
            r = rd(t, text, role, NULL);
            CHECK(r && !strcmp(r, "{}"));
        }
        json_decref(values);
        json_decref(conflicts);
    }
    ws_templates_free(&ts);
}

static struct bp_ws_template *tpl;

static void load_test_template(void)
{
    const char *json =
        "{\"format\":1,\"id\":\"essai\",\"title\":\"Fiche d'essai\",\"phase\":\"investigation\","
        "\"sections\":[{\"id\":\"s1\",\"title\":\"Première partie\",\"fields\":["
        "{\"id\":\"texte\",\"label\":\"Vos motivations\",\"kind\":\"text\",\"editors\":\"both\"},"
        "{\"id\":\"choix\",\"label\":\"Votre situation\",\"kind\":\"choice\",\"editors\":\"both\","
        "\"options\":[{\"id\":\"salarie\",\"label\":\"Salarié\"},{\"id\":\"sans_emploi\","
        "\"label\":\"Sans emploi\"}]},"
        "{\"id\":\"multi\",\"label\":\"Vos centres "
        "d'intérêt\",\"kind\":\"multi\",\"editors\":\"both\","
        "\"options\":[{\"id\":\"nature\",\"label\":\"La nature\"},{\"id\":\"chiffres\",\"label\":"
        "\"Les chiffres\"},{\"id\":\"gens\",\"label\":\"Les gens\"}]}]},"
        "{\"id\":\"s2\",\"title\":\"Seconde partie\",\"fields\":["
        "{\"id\":\"echelle\",\"label\":\"Votre énergie\",\"kind\":\"scale\",\"editors\":\"both\","
        "\"min\":1,\"max\":5,\"min_label\":\"Faible\",\"max_label\":\"Forte\"},"
        "{\"id\":\"liste\",\"label\":\"Pistes\",\"kind\":\"list\",\"editors\":\"both\"},"
        "{\"id\":\"quand\",\"label\":\"Date du "
        "rendez-vous\",\"kind\":\"date\",\"editors\":\"both\"},"
        "{\"id\":\"avis\",\"label\":\"Avis du "
        "consultant\",\"kind\":\"text\",\"editors\":\"consultant\"}"
        "]}]}";
    char w[256];
    CHECK_EQ_INT(bp_ws_template_parse(json, strlen(json), "essai", &tpl, w, sizeof w), 0);
}

static json_t *before(void)
{
    return json_pack("{s:s, s:s, s:[s], s:i, s:[ss], s:s, s:s}", "texte", "Ancien texte", "choix",
                     "salarie", "multi", "nature", "echelle", 2, "liste", "Un", "Deux", "quand",
                     "2026-01-05", "avis", "Très bien");
}

/* The written form with the first "from" replaced by "to" (static, two
 * buffers in turn so that edits can nest). */
static const char *edit(const char *text, const char *from, const char *to)
{
    static char bufs[2][16384];
    static int turn;
    char *out = bufs[turn ^= 1];
    const char *p = strstr(text, from);
    CHECK(p != NULL);
    if (!p)
        return text;
    snprintf(out, sizeof bufs[0], "%.*s%s%s", (int)(p - text), text, to, p + strlen(from));
    return out;
}

static void test_edits(void)
{
    json_t *b = before();
    char *text = write_form(tpl, b, NULL, CONS, NULL);
    CHECK(strstr(text, "## Vos motivations [texte]\n"));
    CHECK(strstr(text,
                 "Écrivez sous chaque titre. Les lignes qui commencent par # ne comptent pas."));
    CHECK(strstr(text, "Enregistrez et fermez l'éditeur pour appliquer."));
    CHECK(strstr(text, "Première partie"));
    CHECK(strstr(text, "#     - sans_emploi : Sans emploi\n"));
    CHECK(strstr(text, "Un nombre entier de 1 à 5. 1 : Faible. 5 : Forte."));
    CHECK(strstr(text, "\n05/01/2026\n"));
    CHECK(strstr(text, "\n- Un\n- Deux\n"));
    CHECK(strstr(text, "\n- nature\n"));
    const char *r;
    r = rd(tpl, edit(text, "Ancien texte\n", "\n\nNouveau  \n\n  texte\n\n\n"), CONS, b);
    CHECK_STR(r ? r : why, "{\"texte\":\"Nouveau\\n\\n  texte\"}");
    r = rd(tpl, edit(text, "\nsalarie\n", "\nSans emploi\n"), CONS, b);
    CHECK_STR(r ? r : why, "{\"choix\":\"sans_emploi\"}");
    r = rd(tpl, edit(text, "\nsalarie\n", "\n- sans_emploi : Sans emploi\n"), CONS, b);
    CHECK_STR(r ? r : why, "{\"choix\":\"sans_emploi\"}");
    r = rd(tpl, edit(text, "\n- nature\n", "\ngens\n- chiffres\n"), CONS, b);
    CHECK_STR(r ? r : why, "{\"multi\":[\"gens\",\"chiffres\"]}");
    r = rd(tpl, edit(text, "\n- nature\n", "\n- La nature\n"), CONS, b); /* the label: same */
    CHECK_STR(r ? r : why, "{}");
    r = rd(tpl, edit(text, "\n2\n", "\n5\n"), CONS, b);
    CHECK_STR(r ? r : why, "{\"echelle\":5}");
    r = rd(tpl, edit(text, "\n- Deux\n", "\n- Deux\nTrois\n-   Quatre\n-\n"), CONS, b);
    CHECK_STR(r ? r : why, "{\"liste\":[\"Un\",\"Deux\",\"Trois\",\"Quatre\"]}");
    r = rd(tpl, edit(text, "\n05/01/2026\n", "\n7/2/2026\n"), CONS, b);
    CHECK_STR(r ? r : why, "{\"quand\":\"2026-02-07\"}");
    r = rd(tpl, edit(text, "\n05/01/2026\n", "\n2026-01-05\n"), CONS, b); /* same date */
    CHECK_STR(r ? r : why, "{}");
    /* Emptied fields: null, "cleared". */
    r = rd(tpl, edit(edit(text, "\n- nature\n", "\n"), "Ancien texte\n", ""), CONS, b);
    CHECK_STR(r ? r : why, "{\"multi\":null,\"texte\":null}");
    r = rd(tpl, edit(text, "\n- Un\n- Deux\n", "\n"), CONS, b);
    CHECK_STR(r ? r : why, "{\"liste\":null}");
    /* Into an empty sheet; a field without its marker is left alone. */
    r = rd(tpl, "## Vos motivations [texte]\nBonjour\n## [echelle]\n3\n", BENE, NULL);
    CHECK_STR(r ? r : why, "{\"echelle\":3,\"texte\":\"Bonjour\"}");
    /* Empty before, empty after, written another way: no change. */
    json_t *e = json_pack("{s:[], s:s}", "liste", "texte", "  ");
    r = rd(tpl, "## [liste]\n-\n- \n## [texte]\n\n", CONS, e);
    CHECK_STR(r ? r : why, "{}");
    json_decref(e);
    r = rd(tpl, "# rien\n\n", BENE, b);
    CHECK_STR(r ? r : why, "{}");
    r = rd(tpl, "", BENE, b);
    CHECK_STR(r ? r : why, "{}");
    /* BOM, CRLF, trailing spaces, no final newline. */
    r = rd(tpl,
           "\xef\xbb\xbf# é\r\n## Vos motivations [texte]  \r\nLigne 1 \t\r\nLigne 2\r\n\r\n## X "
           "[echelle]\r\n4 ",
           CONS, b);
    CHECK_STR(r ? r : why, "{\"echelle\":4,\"texte\":\"Ligne 1\\nLigne 2\"}");
    /* A text line that starts with # is written escaped and comes back. */
    r = rd(tpl, "## [texte]\n\\# titre\n\\\\# deux\n# un commentaire\n\\o/\n", CONS, NULL);
    CHECK_STR(r ? r : why, "{\"texte\":\"# titre\\n\\\\# deux\\n\\\\o/\"}");
    json_decref(b);
}

/* Expects text refused at line no with a sentence holding w1 and w2. */
static void refused(int at, const char *text, int role, const char *w1, const char *w2)
{
    json_t *b = before();
    const char *r = rd(tpl, text, role, b);
    CHECK(r == NULL);
    CHECK_EQ_INT(line, at);
    CHECK(strstr(why, w1) != NULL);
    CHECK(!w2 || strstr(why, w2) != NULL);
    if (r || line != at || !strstr(why, w1) || (w2 && !strstr(why, w2)))
        fprintf(stderr, "  at %d (want %d): %s\n", line, at, r ? r : why);
    json_decref(b);
}

static void test_errors(void)
{
    refused(3, "# a\n\n## Titre [inconnu]\n", CONS, "[inconnu]", "aucun champ");
    refused(3, "## [texte]\nA\n## Encore [texte]\nB\n", CONS, "« Vos motivations »",
            "deux fois (ligne 1");
    refused(2, "# a\nBonjour\n## [texte]\n", CONS, "aucun titre de champ", "mettez # devant");
    refused(2, "## [texte]\n## Titre sans code\n", CONS, "entre crochets", "\\##");
    refused(1, "## Vos motivations [texte] à revoir\nA\n", CONS, "entre crochets", "[texte]");
    refused(3, "## [choix]\n\ncadre\n", CONS, "« Votre situation »", "salarie, sans_emploi");
    refused(3, "## [choix]\nsalarie\nsans_emploi\n", CONS, "un seul choix", "ligne 2");
    refused(3, "## [multi]\ngens\nfoot\n", CONS, "« foot »", "nature, chiffres, gens");
    refused(3, "## [multi]\ngens\n- Les gens\n", CONS, "« Vos centres d'intérêt »", "deux fois");
    refused(2, "## [echelle]\n6\n", CONS, "« Votre énergie »", "de 1 à 5");
    refused(2, "## [echelle]\n0\n", CONS, "hors de l'échelle", "de 1 à 5");
    refused(2, "## [echelle]\ntrois\n", CONS, "« trois »", "nombre entier de 1 à 5");
    refused(2, "## [echelle]\n3,5\n", CONS, "« 3,5 »", "nombre entier de 1 à 5");
    refused(3, "## [echelle]\n3\n4\n", CONS, "un seul nombre", NULL);
    refused(2, "## [quand]\n31/02/2026\n", CONS, "« Date du rendez-vous »", "jj/mm/aaaa");
    refused(2, "## [quand]\ndemain\n", CONS, "« demain »", "09/03/2026");
    refused(2, "## [quand]\n01/01/1850\n", CONS, "pas une date", NULL);
    refused(3, "## [liste]\n- a\n- b\x01\n", CONS, "« Pistes »", "contrôle");
    refused(2, "## [texte]\nLatin-1 : \xe9t\xe9\n", CONS, "UTF-8", NULL);
    refused(3, "## [texte]\n\nA\x01B\n", CONS, "« Vos motivations »", "contrôle");
    static char big[BP_WS_TEXT_MAX + 100];
    memset(big, 'a', sizeof big - 1);
    memcpy(big, "## [texte]\n", 11);
    refused(2, big, CONS, "« Vos motivations »", "Raccourcissez");
    static char many[2000];
    size_t n = (size_t)sprintf(many, "## [liste]\n");
    for (int i = 0; i <= BP_WS_LIST_ITEMS; i++)
        n += (size_t)sprintf(many + n, "- %d\n", i);
    refused(BP_WS_LIST_ITEMS + 2, many, CONS, "« Pistes »", "100 éléments au plus");
    refused(4, "# x\n## [liste]\n- ok\n-\t\x1b[31m\n", CONS, "« Pistes »",
            "Corrigez-le ou effacez-le");
    /* Read-only: the beneficiary may not change the consultant's field. */
    refused(2, "## [avis]\nMoins bien\n", BENE, "« Avis du consultant »", "consultant");
    refused(1, "## [avis]\n\n\n", BENE, "vous ne pouvez pas le modifier", NULL);
    refused(4, "## [avis]\nTrès bien\n## [echelle]\n9\n", CONS, "9 est hors", NULL);
}

static void test_read_only(void)
{
    json_t *b = before();
    char *text = write_form(tpl, b, NULL, BENE, NULL);
    CHECK(!strstr(text, "[avis]"));
    CHECK(strstr(
        text, "# --- Avis du consultant (seul le consultant ou la consultante peut le modifier)\n"
              "#     Très bien\n"));
    CHECK(strstr(text, "## Vos motivations [texte]"));
    /* Written back the same way: no change, no error. */
    const char *r = rd(tpl, "## [avis]\nTrès bien\n", BENE, b);
    CHECK_STR(r ? r : why, "{}");
    /* The consultant may. */
    r = rd(tpl, "## [avis]\nMoins bien\n", CONS, b);
    CHECK_STR(r ? r : why, "{\"avis\":\"Moins bien\"}");
    /* Nobody's role: all read-only. */
    text = write_form(tpl, b, NULL, BP_ROLE_NONE, NULL);
    CHECK(!strstr(text, "\n## "));
    json_decref(b);
}

static void test_conflicts(void)
{
    json_t *b = before();
    json_t *c = json_pack("{s:[ss], s:[[s][ss]]}", "texte", "Version de Léa\nsur deux lignes",
                          "Version de Marc", "multi", "nature", "gens", "chiffres");
    char *text = write_form(tpl, b, c, CONS, NULL);
    CHECK(strstr(text, "plusieurs versions de ce champ"));
    CHECK(strstr(text, "# Version 1 :\n#     Version de Léa\n#     sur deux lignes\n# Version 2 "
                       ":\n#     Version de Marc\n"));
    CHECK(strstr(text, "# Version 2 :\n#     - Les gens\n#     - Les chiffres\n"));
    /* A read-only field's conflict is shown too. */
    json_t *c2 = json_pack("{s:[ss]}", "avis", "Bien", "Pas mal");
    text = write_form(tpl, b, c2, BENE, NULL);
    CHECK(strstr(text, "# Version 2 :\n#     Pas mal\n# Version retenue pour l'instant :\n#     "
                       "Très bien\n"));
    json_decref(c2);
    text = write_form(tpl, b, c, CONS, NULL);
    /* Resolved by writing the wanted value. */
    const char *r = rd(tpl, edit(text, "Ancien texte\n", "Version de Marc\n"), CONS, b);
    CHECK_STR(r ? r : why, "{\"texte\":\"Version de Marc\"}");
    json_decref(c);
    json_decref(b);
}

/* A value the field cannot take: said, kept while left as it is. */
static void test_odd_value(void)
{
    json_t *b = json_pack("{s:i, s:i}", "echelle", 9, "texte", 3);
    char *text = write_form(tpl, b, NULL, CONS, NULL);
    CHECK(strstr(text,
                 "# La valeur enregistrée ne convient pas à ce champ : la valeur doit être un "
                 "nombre entier de 1 à 5.\n#     9 sur 5"));
    CHECK(strstr(text, "\n9\n"));
    const char *r = rd(tpl, text, CONS, b);
    CHECK_STR(r ? r : why, "{}");
    r = rd(tpl, edit(text, "\n9\n", "\n4\n"), CONS, b);
    CHECK_STR(r ? r : why, "{\"echelle\":4}");
    json_decref(b);
}

static void test_reopen(void)
{
    const char *bad = "# un\n## [echelle]\n9\n";
    json_t *b = before();
    CHECK(rd(tpl, bad, CONS, b) == NULL);
    CHECK_EQ_INT(line, 3);
    char *out = NULL, first[600];
    size_t len = 0;
    FILE *m = open_memstream(&out, &len);
    CHECK_EQ_INT(sheet_text_reopen(m, bad, strlen(bad), why, line), 0);
    fclose(m);
    snprintf(first, sizeof first, "%s", why);
    CHECK(strncmp(out, "# !! ERREUR", 11) == 0);
    CHECK(strstr(out, "# !! Ligne 7 : champ « Votre énergie »"));
    CHECK(strstr(out, "# !! ↓ l'erreur est sur la ligne qui suit ↓\n9\n"));
    /* Read again, the same error at its new line; reopened again, one banner. */
    CHECK(rd(tpl, out, CONS, b) == NULL);
    CHECK_EQ_INT(line, 7);
    CHECK_STR(why, first);
    char *again = NULL;
    m = open_memstream(&again, &len);
    sheet_text_reopen(m, out, strlen(out), why, line);
    fclose(m);
    CHECK_STR(again, out);
    /* A BOM stays first, never under the banner. */
    free(again);
    again = NULL;
    m = open_memstream(&again, &len);
    sheet_text_reopen(m, "\xef\xbb\xbf## [echelle]\n9", 17, "x", 2);
    fclose(m);
    CHECK(!strstr(again, "\xef\xbb\xbf"));
    CHECK(strstr(again, "# !! Ligne 6 : x\n"));
    CHECK(rd(tpl, again, CONS, b) == NULL);
    CHECK_EQ_INT(line, 6);
    /* Fixed: read as the person wrote it. */
    char *fixed = strdup(again);
    char *nine = strstr(fixed, "\n9\n");
    CHECK(nine != NULL);
    if (nine)
        nine[1] = '4';
    const char *r = rd(tpl, fixed, CONS, b);
    CHECK_STR(r ? r : why, "{\"echelle\":4}");
    free(fixed);
    free(again);
    free(out);
    json_decref(b);
}

int main(void)
{
    test_builtin_round_trip();
    load_test_template();
    if (tpl) {
        test_edits();
        test_errors();
        test_read_only();
        test_conflicts();
        test_odd_value();
        test_reopen();
        bp_ws_template_free(tpl);
    }
    return check_report();
}
