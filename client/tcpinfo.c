/* tcpinfo.c: see tcpinfo.h. <linux/tcp.h> is included alone here: its
 * struct tcp_info has the fields rate control needs (delivery rate,
 * notsent bytes), glibc's <netinet/tcp.h> does not, and the two clash. */
#include <stddef.h>
#include <string.h>

#include "tcpinfo.h"

#ifdef __linux__
#include <linux/tcp.h>
#include <netinet/in.h>
#include <sys/socket.h>

/* Whether the kernel filled ti up to and including field f. */
#define HAS(len, f) ((len) >= offsetof(struct tcp_info, f) + sizeof(((struct tcp_info *)0)->f))

void tcpinfo_read(int fd, struct tcpinfo *t)
{
    struct tcp_info ti;
    socklen_t len = sizeof ti;
    memset(t, 0, sizeof *t);
    memset(&ti, 0, sizeof ti);
    if (fd < 0 || getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) != 0)
        return;
    t->ok = 1;
    t->srtt_us = ti.tcpi_rtt;
    t->snd_cwnd = ti.tcpi_snd_cwnd;
    if (HAS(len, tcpi_bytes_acked))
        t->bytes_acked = ti.tcpi_bytes_acked;
    if (HAS(len, tcpi_notsent_bytes))
        t->notsent_bytes = ti.tcpi_notsent_bytes;
    if (HAS(len, tcpi_delivery_rate)) {
        t->delivery_Bps = ti.tcpi_delivery_rate;
        t->app_limited = ti.tcpi_delivery_rate_app_limited;
    }
}

int tcpinfo_set_lowat(int fd, int bytes)
{
    if (fd < 0)
        return -1;
    return setsockopt(fd, IPPROTO_TCP, TCP_NOTSENT_LOWAT, &bytes, sizeof bytes);
}
#else
void tcpinfo_read(int fd, struct tcpinfo *t)
{
    (void)fd;
    memset(t, 0, sizeof *t);
}

int tcpinfo_set_lowat(int fd, int bytes)
{
    (void)fd, (void)bytes;
    return -1;
}
#endif
