/* sheet_pdf.h: a sheet as a PDF made on this device (`bilan sheet export ID
 * --format pdf [--large-print]`), with cairo and pango.
 *
 * Owns: the page: A4, 2-cm margins, a title block (the template's title,
 * the bilan, the beneficiary when given, « Exporté le dd/mm/yyyy »), the
 * sections in the template's order, each field's label in bold and its
 * value (sheet_value.h), « Page 2 sur 5 » at the foot of each page; text in
 * DejaVu Sans, 11 pt (18 pt in large print), wrapped by pango and broken
 * between pages only between lines. The PDF's title is set in its metadata.
 * Must never: cut a line across two pages; leave a half file (doc_file.h).
 * client/doc/ is the only code that includes cairo or pango (lint). */
#ifndef CLIENT_DOC_SHEET_PDF_H
#define CLIENT_DOC_SHEET_PDF_H

#include <stddef.h>

#include <jansson.h>

#include "bp/ws_template.h"
#include "sheet_value.h"

/* Writes the sheet to path (values: object field id -> value). 0, or -1
 * with a French sentence in why and no file at path. */
int sheet_pdf_write(const char *path, const struct bp_ws_template *t, const json_t *values,
                    const struct sheet_doc_opts *o, char *why, size_t cap);

#endif
