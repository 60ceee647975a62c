/* b64.h: base64url without padding (RFC 4648 §5), strict: the one text
 * form of keys, signatures, tokens and fingerprints on the wire (b64.c).
 *
 * Must never: accept two spellings of the same bytes (padding, whitespace,
 * non-canonical trailing bits). */
#ifndef BP_B64_H
#define BP_B64_H

#include <stddef.h>
#include <stdint.h>

#include "bp/err.h"

/* Writes 4*ceil(n/3) minus padding chars plus NUL; out must hold
 * bp_b64_len(n)+1 bytes. Returns the length written (without NUL). */
size_t bp_b64_len(size_t n);
size_t bp_b64_encode(const uint8_t *in, size_t n, char *out);
/* Strict decoder: rejects padding, whitespace, non-alphabet characters and
 * non-canonical trailing bits. Returns bytes written or BP_E_INVALID_FIELD. */
int bp_b64_decode(const char *in, size_t n, uint8_t *out, size_t cap);
/* Decodes exactly want bytes or fails. */
int bp_b64_decode_exact(const char *in, uint8_t *out, size_t want);

#endif
