/* words.h: matching what a person typed against the words we know, the
 * way a person types them: capitals and French accents do not matter
 * ("Préliminaire" is preliminaire), and a small typo gets a suggestion
 * ("prelimnaire": did you mean preliminaire?).
 *
 * Pure: no I/O, no state. */
#ifndef CLIENT_WORDS_H
#define CLIENT_WORDS_H

#include <stddef.h>

/* in (UTF-8, len bytes) in lower case, French accented letters reduced to
 * their base letter (é -> e, ç -> c, œ -> oe), into out (always ended). */
void words_fold(const char *in, size_t len, char *out, size_t cap);
/* Edit distance (insertions, deletions, substitutions, swaps of two
 * neighbours) between two folded words of at most 64 bytes; 99 beyond. */
int words_distance(const char *a, const char *b);

/* Looks up typed among n candidates (wire names, already folded).
 * Returns the index of the one it is (folded equal), or -1; *suggest is
 * then the index of the one it is close to (distance at most 2, and
 * nearer than any other), or -1. */
int words_lookup(const char *typed, size_t len, const char *const *cand, int n, int *suggest);

/* A phase as typed by a person: its wire name (bp_phase_name) in *wire,
 * and 0; or -1 with *suggest the wire name it is close to (NULL when none). */
int words_phase(const char *typed, size_t len, const char **wire, const char **suggest);

#endif
