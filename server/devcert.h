/* devcert.h: the self-signed certificate of --dev, and the certificate pin.
 *
 * Owns writing cert.pem/key.pem in the data folder (key mode 0600, never
 * overwritten), computing the pin that links carry: SHA-256 of the leaf
 * certificate in DER (PROTOCOL.md §1.1), and deciding whether links need one
 * (not when the system CA store vouches for the certificate and the link's
 * host). OpenSSL API only, no shelling out. */
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
/* Whether the certificate chain in cert_path (leaf first, then its
 * intermediates) verifies against this machine's CA store (OpenSSL's default
 * paths: SSL_CERT_FILE / SSL_CERT_DIR are honoured) for host (a name or an
 * IP address), as a client would check it. Then links carry no pin
 * (PROTOCOL.md §1.1). Sets *trusted; when 0, why says what failed (e.g.
 * "self-signed certificate", "hostname mismatch"). -1 if the file cannot be
 * read. */
int devcert_ca_trusted(const char *cert_path, const char *host, int *trusted, char *why,
                       size_t why_len);

#endif
