/* log.c: timestamped lines on stderr. Nothing here knows what a token is; the
 * rule that secrets are never logged is kept by the callers, which only ever
 * pass fingerprints truncated by log_fp8(). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "log.h"

static int g_verbose;

void log_init(int verbose)
{
    g_verbose = verbose;
}

int log_verbose(void)
{
    return g_verbose;
}

static void stamp(char out[32])
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + n, 32 - n, ".%03ldZ", ts.tv_nsec / 1000000);
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
    static const char *const names[] = {"error", "warn", "info", "debug"};
    if (lvl == LOG_DEBUG && !g_verbose)
        return;
    char ts[32], line[1024];
    stamp(ts);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    /* One fprintf per line so concurrent writers (admin commands) do not interleave. */
    fprintf(stderr, "%s bilan-server %s: %s\n", ts, names[lvl], line);
}

void log_fp8(const uint8_t *fp, char out[9])
{
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < 4; i++) {
        out[2 * i] = hex[fp[i] >> 4];
        out[2 * i + 1] = hex[fp[i] & 15];
    }
    out[8] = '\0';
}

void log_lws_emit(int level, const char *line)
{
    /* lws levels: 1 error, 2 warn, 4 notice, 8 info... */
    char buf[512];
    size_t n = strnlen(line, sizeof buf - 1);
    memcpy(buf, line, n);
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        n--;
    buf[n] = '\0';
    log_msg(level & 1 ? LOG_ERR : level & 2 ? LOG_WARN : LOG_DEBUG, "lws: %s", buf);
}
