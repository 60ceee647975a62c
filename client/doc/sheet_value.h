/* sheet_value.h: what a sheet's field shows once printed, shared by the
 * PDF (sheet_pdf.c) and the Markdown (sheet_md.c) exports, so that both say
 * the same thing: a choice by its option's label (never its id), a date as
 * dd/mm/yyyy, a scale as « 3 sur 5 », an empty field as « (non renseigné) ».
 *
 * Owns: the turning of one field's JSON value into pieces of plain text
 * (paragraphs, bullets, a grey note), and the export options.
 * Must never: draw, write a file or include cairo/pango (pure but for the
 * date of today, read from the clock only by sheet_today_fr). */
#ifndef CLIENT_DOC_SHEET_VALUE_H
#define CLIENT_DOC_SHEET_VALUE_H

#include <stddef.h>

#include <jansson.h>

#include "bp/ws_template.h"

/* What the exports take besides the template and the values. Strings are
 * borrowed for the call; NULL means "not shown". */
struct sheet_doc_opts {
    int large_print;         /* PDF: 18-pt body instead of 11 (Markdown ignores it) */
    const char *bilan_label; /* the bilan's name, as the person knows it */
    const char *beneficiary; /* the beneficiary's name, optional */
    const char *date;        /* "dd/mm/yyyy" of the export; NULL: today */
};

enum sheet_piece_kind {
    SHEET_PARA,   /* a paragraph (text values keep their line breaks) */
    SHEET_BULLET, /* one item of a bulleted list */
    SHEET_NOTE,   /* a note in grey: « (non renseigné) », a value we cannot read */
};

struct sheet_piece {
    enum sheet_piece_kind kind;
    char *text; /* UTF-8, owned */
};

struct sheet_pieces {
    struct sheet_piece *v;
    size_t n;
};

/* The pieces field f shows for value v (NULL or JSON null: empty). A value
 * of the wrong shape is shown as a note, never refused: an export must not
 * fail on a sheet a newer client wrote. 0, or -1 when memory ran out (out is
 * then empty). Free with sheet_pieces_free. */
int sheet_value_pieces(const struct bp_ws_field *f, const json_t *v, struct sheet_pieces *out);
void sheet_pieces_free(struct sheet_pieces *p);

/* "YYYY-MM-DD" to "dd/mm/yyyy" in out (11 bytes). 0, or -1 when iso is not
 * of that shape (out is then a copy of what fits). */
int sheet_date_fr(const char *iso, char out[11]);
/* Today's date, local time, "dd/mm/yyyy". */
void sheet_today_fr(char out[11]);

/* The date the export shows: o->date, or today in buf. */
const char *sheet_doc_date(const struct sheet_doc_opts *o, char buf[11]);

#endif
