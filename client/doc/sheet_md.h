/* sheet_md.h: a sheet as a Markdown file (`bilan sheet export ID --format md`).
 *
 * Owns: the Markdown form: the template's title as "#", each section as
 * "##", each field's label in bold and its value as paragraphs or bullets
 * (sheet_value.h); every character Markdown would interpret in a person's
 * text is escaped, so what was typed is what is read.
 * Must never: include cairo or pango; leave a half file (doc_file.h). */
#ifndef CLIENT_DOC_SHEET_MD_H
#define CLIENT_DOC_SHEET_MD_H

#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

#include "bp/ws_template.h"
#include "sheet_value.h"

/* Writes the sheet to path (values: object field id -> value). 0, or -1
 * with a French sentence in why and no file at path. */
int sheet_md_write(const char *path, const struct bp_ws_template *t, const json_t *values,
                   const struct sheet_doc_opts *o, char *why, size_t cap);
/* The same to an open stream (tests, standard output). 0 or -1 (write error). */
int sheet_md_print(FILE *f, const struct bp_ws_template *t, const json_t *values,
                   const struct sheet_doc_opts *o);
/* s with Markdown's meaningful characters escaped, on one line ('\n' becomes a space). */
void sheet_md_escape(FILE *f, const char *s);

#endif
