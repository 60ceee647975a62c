/* ws_template.h: worksheet templates (docs/WORKSHEETS.md, "Templates"):
 * parsed and checked from a JSON text, and the check of one field's value.
 * Pure: no file is read here (the client hands the text it compiled in).
 *
 * Owns: the template rules and their refusals, in French (the person who
 * wrote a bad template reads them): "section « s », champ « f » : <why>".
 * Must never: keep a pointer into the JSON it parsed (everything is
 * copied into the template, freed by bp_ws_template_free). */
#ifndef BP_WS_TEMPLATE_H
#define BP_WS_TEMPLATE_H

#include <stddef.h>

#include <jansson.h>

#define BP_WS_ID_MAX 40         /* template, section, field and option ids: [a-z0-9_]{1,40} */
#define BP_WS_LABEL_MAX 200     /* title, label, option label: one line */
#define BP_WS_HELP_MAX 1000     /* intro, help */
#define BP_WS_TEXT_MAX 20000    /* a text value, bytes */
#define BP_WS_LIST_ITEMS 100    /* a list value, items */
#define BP_WS_ITEM_MAX 2000     /* one list item, bytes */
#define BP_WS_OPTIONS_MAX 50    /* options of a choice or multi field */

enum bp_ws_kind { BP_WS_TEXT, BP_WS_CHOICE, BP_WS_MULTI, BP_WS_SCALE, BP_WS_LIST, BP_WS_DATE };
enum bp_ws_editors { BP_WS_CONSULTANT = 1, BP_WS_BENEFICIARY = 2, BP_WS_BOTH = 3 }; /* a bit per role */

struct bp_ws_option {
    char id[BP_WS_ID_MAX + 1];
    char *label;
};

struct bp_ws_field {
    char id[BP_WS_ID_MAX + 1];
    char *label;
    char *help; /* NULL when none */
    enum bp_ws_kind kind;
    enum bp_ws_editors editors;
    int min, max;                       /* scale only */
    char *min_label, *max_label;        /* scale only, NULL when none */
    struct bp_ws_option *options;       /* choice and multi */
    size_t n_options;
};

struct bp_ws_section {
    char id[BP_WS_ID_MAX + 1];
    char *title;
    struct bp_ws_field *fields;
    size_t n_fields;
};

struct bp_ws_template {
    char id[BP_WS_ID_MAX + 1];
    char *title;
    char *intro; /* NULL when none */
    int phase;   /* enum bp_phase (bp/vocab.h) */
    struct bp_ws_section *sections;
    size_t n_sections;
};

/* Parses and checks a template (docs/WORKSHEETS.md). 0 and *out (free it
 * with bp_ws_template_free), or a negative BP_E_* with a French sentence in
 * why naming the place ("section « s », champ « f » : ...").
 * expect_id, when not NULL, is the id the file's name says it has. */
int bp_ws_template_parse(const char *json, size_t len, const char *expect_id, struct bp_ws_template **out,
                         char *why, size_t why_cap);
void bp_ws_template_free(struct bp_ws_template *t);
/* The field named id, or NULL. */
const struct bp_ws_field *bp_ws_template_field(const struct bp_ws_template *t, const char *id);
/* Whether v (JSON; NULL or json null: empty) fits field f. 0, or a negative
 * BP_E_* with a French sentence in why ("la valeur doit être un nombre
 * entier de 1 à 5"). */
int bp_ws_value_check(const struct bp_ws_field *f, const json_t *v, char *why, size_t why_cap);

#endif
