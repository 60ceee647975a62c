/* devcert.h: the self-signed certificate of --dev, and the certificate pin.
 *
 * Owns writing cert.pem/key.pem in the data folder (key mode 0600, never
 * overwritten) and computing the pin that links carry: SHA-256 of the leaf
 * certificate in DER (PROTOCOL.md §1.1). OpenSSL API only, no shelling out. */
#ifndef SERVER_DEVCERT_H
#define SERVER_DEVCERT_H

#include <stddef.h>
#include <stdint.h>

/* Creates an ECDSA P-256 key and a self-signed certificate valid about two
 * years for localhost, 127.0.0.1 and ::1, unless both files exist. Returns 0,
 * or -1 with why filled. *created is set to 1 when files were written. */
int devcert_ensure(const char *cert_path, const char *key_path, int *created, char *why, size_t why_len);
/* Pin of the first certificate in a PEM file. 0 or -1 with why filled. */
int devcert_pin(const char *cert_path, uint8_t pin[32], char *why, size_t why_len);

#endif
