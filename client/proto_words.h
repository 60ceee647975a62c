/* proto_words.h: a static reason from proto/ (bp_link_parse's *why...) in
 * the reader's words: French, or English through the catalogue. Owns a
 * const table; never allocates. */
#ifndef CLIENT_PROTO_WORDS_H
#define CLIENT_PROTO_WORDS_H

/* The sentence to show for why; why itself when the table lacks it; "" for
 * NULL. The result is static. */
const char *proto_words(const char *why);

#endif
