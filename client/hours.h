/* hours.h: the client's side of face-to-face hours and attendance receipts
 * (PROTOCOL.md §9) as pure logic: phase names, how durations are written,
 * the report (docs/JOURNAL.md) formatted as a table or CSV from its JSON,
 * the sas_verified decision for a receipt, and the offline verification of
 * a receipt file (the checks before signing are attend.h's).
 *
 * Owns nothing long-lived. Never opens a socket, reads a clock or touches
 * the key store: callers pass JSON in and a FILE * to print on, so that
 * tests/unit/client/test_hours.c drives it with plain calls. Signatures go
 * through proto/record.h. */
#ifndef CLIENT_HOURS_H
#define CLIENT_HOURS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "bp/bp.h"
#include "bp/record.h"

/* 1 if s is one of preliminaire, investigation, conclusion, suivi. */
int hours_phase_ok(const char *s);
/* "preliminaire|investigation|conclusion|suivi", for messages. */
extern const char hours_phases[];

/* Durations for people. ms < 0 counts as 0.
 * H:MM rounds to the nearest minute (as the server's table does);
 * H:MM:SS truncates to the second. out holds at least 24 bytes. */
void hours_fmt_hm(int64_t ms, char *out, size_t cap);
void hours_fmt_hms(int64_t ms, char *out, size_t cap);
/* Unix milliseconds as "YYYY-MM-DD HH:MM:SS" in UTC (local = 0) or in the
 * process's local time zone (local = 1). */
void hours_fmt_time(int64_t unix_ms, int local, char *out, size_t cap);

/* Unix milliseconds for people: "dd/mm/yyyy HH:MM" in French, the English
 * order in English (the catalogue holds the strftime format). */
void hours_fmt_when(int64_t unix_ms, int local, char *out, size_t cap);

/* table: for people, in the reader's language; csv: RFC 4180 for scripts,
 * never changes; json: as received; tableur: the funders' spreadsheet in
 * French conventions (';', dd/mm/yyyy, h:mm, UTF-8 with a BOM). */
enum hours_format { HOURS_TABLE = 1, HOURS_CSV, HOURS_JSON, HOURS_TABLEUR };
/* "table", "csv", "json", "tableur" (or "csv-fr") -> the format, or 0. */
int hours_format_parse(const char *s);
/* Prints report (the hours_report's object) in fmt on f. Table times are in
 * local time (local = 1) or UTC. Returns 0, or BP_E_INVALID_FIELD with *why
 * (static) when the report lacks a field the format needs. */
int hours_report_print(FILE *f, const json_t *report, enum hours_format fmt, int local,
                       const char **why);
/* One line for the room's /heures: "[hours] report bilan=... ...\n". */
int hours_report_summary(FILE *f, const json_t *report, const char **why);

/* ---- receipts ---- */

/* A device this device met in the room during one visit, and whether it
 * confirmed its code (now or on an earlier visit: remembered as verified). */
struct hours_met {
    uint8_t fp[BP_FP_LEN];
    int verified;
};

/* sas_verified of this device's attestation for r: 1 iff at least one other
 * participant of r is a device this device paired with (met), and every
 * other participant it paired with had its code confirmed. Participants it
 * never paired with (never in the room at the same time) are not counted:
 * there was no code to compare with them. */
int hours_sas_verified(const uint8_t self[BP_FP_LEN], const struct bp_record *r,
                       const struct hours_met *met, size_t nmet);

/* Exit codes of `bilan receipt verify`. */
enum { RECEIPT_OK = 0, RECEIPT_UNREADABLE = 1, RECEIPT_INVALID = 5, RECEIPT_INCOMPLETE = 6, RECEIPT_REFUSED = 7 };

/* Verifies doc, one receipt file object or an array of them, printing for
 * each its record, one line per signature and one per missing signature on
 * out; problems reading a receipt go to err. Returns RECEIPT_OK when every
 * signature is valid and every participant signed, RECEIPT_INVALID when
 * some signature does not verify or a receipt contradicts itself (shaped
 * like a receipt, refused by bp_receipt_from_json), RECEIPT_UNREADABLE
 * when an object is not a receipt at all, RECEIPT_REFUSED when a
 * participant signed a refusal (PROTOCOL.md §9.3: what it observed does not
 * agree with the record), RECEIPT_INCOMPLETE when all are valid but some
 * are missing. */
int hours_receipt_verify(FILE *out, FILE *err, const json_t *doc);

/* First 16 hex characters of a fingerprint. out holds 17 bytes. */
void hours_fp_short(const uint8_t fp[BP_FP_LEN], char out[17]);

#endif
