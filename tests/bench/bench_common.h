/* bench_common.h: small helpers the issue-9 benchmarks (bench_media,
 * bench_load) share: a monotonic clock, percentiles, CPU time of a process
 * or of this one, number parsing.
 *
 * Owns nothing. Must never print, allocate behind the caller's back, or
 * sleep. */
#ifndef TESTS_BENCH_COMMON_H
#define TESTS_BENCH_COMMON_H

#include <stddef.h>
#include <stdint.h>

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t bench_now_ns(void);

/* Nearest-rank percentile p (0..100) of v[0..n-1], sorted in place; NAN if
 * n is 0. */
double bench_pct_double(double *v, size_t n, double p);
double bench_pct_u64(uint64_t *v, size_t n, double p);

/* CPU seconds (user + system) used so far by process pid (from
 * /proc/PID/stat), or -1. */
double bench_proc_cpu_s(long pid);
/* CPU seconds of this process (getrusage). */
double bench_self_cpu_s(void);

/* Busy and total CPU seconds of the whole machine so far, all cores (from
 * /proc/stat; busy = all but idle and iowait): 0, or -1. */
int bench_machine_cpu_s(double *busy, double *total);

/* Parses a decimal in lo..hi: 0 and *out, or -1. */
int bench_parse_uint(const char *s, unsigned lo, unsigned hi, unsigned *out);

#endif
