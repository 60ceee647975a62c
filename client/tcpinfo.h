/* tcpinfo.h: what the kernel says of a TCP socket we send on (Linux
 * TCP_INFO), and the unsent-backlog bound (TCP_NOTSENT_LOWAT): the inputs
 * of rate control (media/ratectl.h, PROTOCOL.md §4.3). OS glue only: no
 * lws, no protocol. */
#ifndef CLIENT_TCPINFO_H
#define CLIENT_TCPINFO_H

#include <stdint.h>

struct tcpinfo {
    int ok;                 /* 0: the system could not tell; the rest is 0 */
    uint32_t notsent_bytes; /* written to the socket, not sent yet */
    uint64_t delivery_Bps;  /* the kernel's delivery rate estimate, bytes/s (0: unknown) */
    int app_limited;        /* that estimate was made while we had too little to send */
    uint32_t srtt_us;       /* smoothed round trip */
    uint32_t snd_cwnd;      /* congestion window, segments */
    uint64_t bytes_acked;   /* since the connection began */
};

/* Fills t from fd (t->ok = 0 on failure: not TCP, not Linux, an old
 * kernel without the fields). */
void tcpinfo_read(int fd, struct tcpinfo *t);
/* Sets TCP_NOTSENT_LOWAT: 0, or -1 (errno) when the system refuses. */
int tcpinfo_set_lowat(int fd, int bytes);

#endif
