/* log.h: the server's one logging path, to stderr with a UTC timestamp.
 *
 * Owns the verbosity level. Must never be handed tokens, keys, signatures or
 * payload bytes: callers log fingerprints as their first 8 hex characters at
 * most (log_fp8). */
#ifndef SERVER_LOG_H
#define SERVER_LOG_H

#include <stdint.h>

enum log_level { LOG_ERR = 0, LOG_WARN = 1, LOG_INFO = 2, LOG_DEBUG = 3 };

/* verbose: 0 errors, warnings and notable events; 1 adds per-connection detail. */
void log_init(int verbose);
int log_verbose(void);
void log_msg(enum log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* First 4 bytes of a fingerprint as 8 hex characters (out holds 9 bytes). */
void log_fp8(const uint8_t *fp, char out[9]);
/* Emitter given to lws_set_log_level(): routes libwebsockets' own lines here. */
void log_lws_emit(int level, const char *line);

#define log_err(...) log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
