/* sheet_text.h: a sheet as a readable French text that a person edits in
 * $EDITOR (`bilan sheet edit ID`), and that text read back as the changes
 * the person made, or as an error the editor reopens on.
 *
 * The text form (written by sheet_text_write, read by sheet_text_read):
 *
 *   # Fiche « Grille d'analyse de la demande » (n° AbC...)
 *   # Comment faire : ...                        <- lines starting with # do not count
 *   # ===== Nature des préoccupations =====      <- a section title (a comment)
 *
 *   ## Ce qui préoccupe la personne [preoccupations]   <- a field: "## label [id]"
 *   # Plusieurs choix possibles : ...            <- the kind's help, the options
 *   - orientation                                <- the value, in the kind's form
 *
 * - A line whose first character is '#' is a comment, but for a field marker:
 *   "##" then a space, the label (free: only the [id] at the end counts).
 * - Values: text as it is, several lines (its leading and trailing blank
 *   lines dropped); choice: one option's id or its label; multi: one option
 *   per line ("- " in front allowed); scale: a whole number; list: one item
 *   per line, "- " in front; date: jj/mm/aaaa (also j/m/aaaa, aaaa-mm-jj).
 *   A value line that starts with '#' is written "\#..." (one '\' more
 *   before any run of '\' then '#'); the reader drops that one '\'.
 * - Fields the role may not edit are shown as comments only ("# --- label :
 *   seul ... peut le modifier" and the value), no marker.
 * - Accepted: UTF-8 with or without a BOM, CRLF, trailing spaces and tabs,
 *   no final newline. A field whose marker was removed is left as it was
 *   (nothing is cleared by accident); an empty text is "change nothing".
 *
 * Owns: the text form and its French help and errors (through _()).
 * Must never: read or write a file by name, run the editor, touch the
 * replica: the caller (`bilan sheet edit`) does that. Pure but for FILE
 * writes and malloc. */
#ifndef CLIENT_DOC_SHEET_TEXT_H
#define CLIENT_DOC_SHEET_TEXT_H

#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

#include "bp/ws_template.h"

/* Biggest text sheet_text_read takes (a sheet is at most some 100 fields of
 * 20,000 bytes; a bigger file is not one we wrote). */
#define SHEET_TEXT_MAX (1u << 20)

/* Writes the text form of a sheet of template t to f.
 * values: object field id -> current value (absent or null: empty), may be NULL.
 * conflicts: object field id -> array of the competing values, may be NULL:
 *   each field with some shows them all as comment lines above its value
 *   (nothing hidden); the person resolves by writing the value to keep.
 * sheet_id: shown in the first line, may be NULL.
 * role: enum bp_role (bp/vocab.h) of the person: fields whose editors do not
 *   include it are shown as read-only comments.
 * error_banner: French text shown at the top as "# !! " comment lines, may be
 *   NULL (sheet_text_reopen is usually what a caller wants after an error).
 * Everything is borrowed for the call. 0, or -1 when writing failed (f's
 * error flag) or memory ran out. */
int sheet_text_write(FILE *f, const struct bp_ws_template *t, const json_t *values,
                     const json_t *conflicts, const char *sheet_id, int role,
                     const char *error_banner);

/* Reads the text the person saved (buf, len bytes, not NUL-terminated).
 * values_before: what sheet_text_write was given (may be NULL: all empty).
 * On success 0 and *changes = a new object (the caller owns it: json_decref)
 * holding ONLY the fields whose value differs from values_before: field id ->
 * the new value, checked by bp_ws_value_check, or JSON null when the person
 * emptied the field ("cleared"). A field written the way it was shown, or
 * written differently with the same value (a label for an id, another date
 * form), is not a change; a field that was shown with a conflict and comes
 * back the same is not one either (the caller decides whether that resolves).
 * On error: -1, *changes NULL, why = a French sentence for the person naming
 * the field and saying what to write instead, without the line number, which
 * is in *line (1-based, counted in buf; 0 when none). why and line may be
 * NULL. Never fails on bytes without saying why. */
int sheet_text_read(const char *buf, size_t len, const struct bp_ws_template *t, int role,
                    const json_t *values_before, json_t **changes, char *why, size_t cap,
                    int *line);

/* Writes to f the text the person saved (buf, len) again, for the editor to
 * reopen on: the "# !! " lines of an earlier error removed, a banner saying
 * the error (why, at its line as counted in the new text) at the top, and a
 * "# !! " pointer line just above the faulty line (line as sheet_text_read
 * gave it, 0: none). Nothing the person wrote is lost. 0, or -1 when writing
 * failed. */
int sheet_text_reopen(FILE *f, const char *buf, size_t len, const char *why, int line);

/* The value lines of field f for value v, in the form sheet_text_read takes
 * back (no comment; each line ends with '\n'), to out. A value
 * of the wrong shape writes nothing. Shared by the writer and the reader
 * (which compares what it shows with what comes back). 0 or -1. */
int sheet_text_value_lines(FILE *out, const struct bp_ws_field *f, const json_t *v);

/* Whether role (enum bp_role) may edit field f. */
int sheet_text_may_edit(const struct bp_ws_field *f, int role);
/* Who may edit f, in French words for a sentence ("seul le consultant ou la
 * consultante peut le modifier"). Static text. */
const char *sheet_text_editors(const struct bp_ws_field *f);

#endif
