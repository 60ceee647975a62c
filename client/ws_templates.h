/* ws_templates.h: the worksheet templates this client ships with
 * (the .json files of assets/worksheets, compiled in by cmake/ws_templates.cmake), and
 * their loading: each one parsed and checked by bp_ws_template_parse.
 *
 * Owns: the list of built-in templates. A device never reads a template it
 * did not ship with (docs/WORKSHEETS.md): two devices must agree on what a
 * field is. Must never: read a template from a file at run time. */
#ifndef CLIENT_WS_TEMPLATES_H
#define CLIENT_WS_TEMPLATES_H

#include <stddef.h>

#include "bp/ws_template.h"

/* One compiled-in template: its id (the file's name without .json) and its
 * JSON text (static, NUL-terminated, len bytes before the NUL). */
struct ws_template_src {
    const char *id;
    const char *json;
    size_t len;
};

/* The built-in table, in file-name order; *n its length. Static: never freed. */
const struct ws_template_src *ws_templates_builtin(size_t *n);

/* The loaded templates, in the table's order. */
struct ws_templates {
    struct bp_ws_template **t;
    size_t n;
};

/* Parses every built-in template. 0, or a negative BP_E_* with why naming
 * the file, the place and what is wrong ("modèle « recit.json » : section
 * « parcours », champ « etapes » : ..."); nothing is kept on failure (a
 * client with one bad template must not run with the others: the build's
 * test unit.proto.ws_template keeps this from shipping). Free with
 * ws_templates_free. */
int ws_templates_load_all(struct ws_templates *out, char *why, size_t why_cap);
/* The same over any table src[0..n-1] (tests hand it bad templates). */
int ws_templates_load(const struct ws_template_src *src, size_t n, struct ws_templates *out,
                      char *why, size_t why_cap);
/* The template named id in ts, or NULL. */
const struct bp_ws_template *ws_templates_find(const struct ws_templates *ts, const char *id);
void ws_templates_free(struct ws_templates *ts);

#endif
