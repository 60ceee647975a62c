/* sheet_input.h: a value a person typed on the command line
 * (`bilan sheet set ID FIELD VALUE`, `resolve --value V`) turned into the
 * JSON value of the field's kind (docs/WORKSHEETS.md, "Templates").
 *
 * Owns: the typed forms: text as it is; choice an option's id, its label,
 * or the start of one label (when no other starts so);
 * multi ids or labels separated by commas; scale a whole number; list items
 * separated by new lines or " | "; date jj/mm/aaaa (or j/m/aaaa) or
 * aaaa-mm-jj. An empty VALUE empties the field (JSON null).
 * Must never: judge what the template's check judges (range, length,
 * calendar): bp_ws_value_check does, through sheets_set. Pure. */
#ifndef CLIENT_SHEET_INPUT_H
#define CLIENT_SHEET_INPUT_H

#include <stddef.h>

#include <jansson.h>

#include "bp/ws_template.h"

/* 0 and *out (a new reference), or -1 with a French sentence in why naming
 * the field and saying what it takes. */
int sheet_input_parse(const struct bp_ws_field *f, const char *text, json_t **out, char *why,
                      size_t cap);

#endif
