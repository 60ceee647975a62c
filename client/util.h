/* util.h: small pure helpers of the bilan client: exit codes, durations,
 * HOST:PORT, file-name sanitising, printable text, the monotonic clock.
 * Nothing here touches the network, the key store or global state. */
#ifndef CLIENT_UTIL_H
#define CLIENT_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "bp/bp.h"

/* Process exit codes, stable: scripts and the test harness rely on them. */
enum cli_exit {
    EXIT_OK_ = 0,
    EXIT_USAGE = 1,   /* bad command line or input, local failure */
    EXIT_REFUSED = 2, /* the server answered with an error */
    EXIT_NETWORK = 3, /* connection, TLS, pin mismatch, connection lost */
    EXIT_TIMEOUT = 4, /* --timeout (or the command's deadline) elapsed */
};

#define CLI_VERSION "0.1.0"

/* Parses a duration: "16h", "90m", "1h30" (= 1 h 30 min), "1h30m", "3600s",
 * "7d", "2d12h", or plain seconds "3600". Units must decrease; a trailing
 * bare number takes the unit below the previous one. Result in seconds, at
 * most ten years. Returns 0 or BP_E_INVALID_FIELD with *why (static). */
int cli_parse_duration(const char *s, long long *out_s, const char **why);

/* Parses "HOST:PORT", "[V6]:PORT" or "HOST" (port 443). host must hold
 * BP_HOST_MAX+1 bytes. Returns 0 or BP_E_INVALID_FIELD with *why. */
int cli_parse_hostport(const char *s, char *host, uint16_t *port, const char **why);

/* Turns a file name received from a peer (already checked by
 * bp_data_name_check) into one safe to create in a local folder: control
 * characters become '_', leading dots and spaces are stripped, the result
 * is cut (on a UTF-8 boundary, keeping a short extension) to max bytes so
 * that ".NAME.part" fits NAME_MAX, and "file" stands in for an empty result.
 * out must hold max+1 bytes. Returns the length. */
#define CLI_SAFE_NAME_MAX 200
size_t cli_safe_name(const uint8_t *in, size_t n, char *out, size_t max);

/* Copies text for a terminal: control characters (C0, DEL, C1) and invalid
 * UTF-8 bytes become '?'. out holds cap bytes; always NUL-terminated. */
void cli_printable(const uint8_t *in, size_t n, char *out, size_t cap);

/* Milliseconds of CLOCK_MONOTONIC. */
uint64_t cli_now_ms(void);
/* Wall clock, Unix milliseconds (for what must compare across runs). */
int64_t cli_wall_ms(void);

/* First 16 hex characters of a device key given in base64url, for the
 * "device=" field of room lines. out holds 17 bytes; "?" if undecodable. */
void cli_device_short(const char *device_b64, char out[17]);

#endif
