/* proto_words.h: a static reason from proto/ (bp_link_parse's *why...) in
 * the reader's words: French, or English through the catalogue. Owns a
 * const table; never allocates. */
#ifndef CLIENT_PROTO_WORDS_H
#define CLIENT_PROTO_WORDS_H
#include <stddef.h>

#include "bp/err.h"

/* The sentence to show for why; why itself when the table lacks it; "" for
 * NULL. The result is static. */
const char *proto_words(const char *why);
/* A proto/ error (BP_E_*, as bp_err_message() knows it) in the reader's
 * words; "unknown error" in those words for a code it does not know. */
const char *proto_err_words(int err);
/* The same for a wire code ("token_used"); an unknown code reads as
 * "internal" does. */
const char *proto_code_words(const char *code);
/* What a validation failure of proto/ (a receipt, a record) means, written
 * into buf (cap bytes); returns buf. */
const char *proto_verr_words(const struct bp_verr *e, char *buf, size_t cap);

#endif
