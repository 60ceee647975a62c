/* vocab.h: the words of a bilan, defined once: roles and phases, their wire
 * names and their labels for people (French first, English when asked).
 *
 * Owns the enums, the wire names ("consultant", "preliminaire"...) used in
 * messages (PROTOCOL.md §3, §9), journals (docs/JOURNAL.md), records and the
 * store, and the plain-words labels shown in reports and rooms. Every other
 * file names a role or a phase through this header.
 *
 * Must never: hold state. Pure constants and lookups. */
#ifndef BP_VOCAB_H
#define BP_VOCAB_H

#include <stddef.h>

/* Stable values: the journal's role and phase are stored by name, never by
 * value, but tests and arrays index by them. */
enum bp_role { BP_ROLE_NONE = 0, BP_ROLE_CONSULTANT = 1, BP_ROLE_BENEFICIARY = 2, BP_ROLE_COUNT };

enum bp_phase {
    BP_PHASE_NONE = -1,
    BP_PHASE_PRELIMINAIRE = 0,
    BP_PHASE_INVESTIGATION,
    BP_PHASE_CONCLUSION,
    BP_PHASE_SUIVI,
    BP_PHASE_COUNT
};

/* The phases' wire names, for messages that list them. */
#define BP_PHASE_LIST "preliminaire, investigation, conclusion, suivi"

/* Wire name of a role: "consultant", "beneficiary"; "none" for anything else. */
const char *bp_role_name(int role);
/* Role of a wire name of len bytes (s may be NULL): BP_ROLE_NONE if unknown. */
int bp_role_parse(const char *s, size_t len);
/* Label for people: "Consultante / consultant", "Bénéficiaire" (fr), or
 * "Consultant", "Beneficiary" (en); "?" for an unknown role. */
const char *bp_role_label(int role, int english);

/* Wire name of a phase: "preliminaire"...; "?" for anything else. */
const char *bp_phase_name(int phase);
/* Phase of a wire name of len bytes (s may be NULL): BP_PHASE_NONE if unknown. */
int bp_phase_parse(const char *s, size_t len);
/* Label for people: "Phase préliminaire"... (fr) or "Preliminary phase"...
 * (en); "?" for an unknown phase. */
const char *bp_phase_label(int phase, int english);

#endif
