/* tcpstat.c: see tcpstat.h. Only the kernel's own counters: tcpi_bytes_acked
 * (RFC 4898 tcpEStatsAppHCThruOctetsAcked, Linux 4.1+), SIOCOUTQ (bytes
 * in the send queue not yet acknowledged, sent or not) and SIOCINQ (bytes
 * received and not read). <linux/tcp.h> is
 * included alone here because it clashes with <netinet/tcp.h>, which glibc's
 * struct tcp_info lacks the field in. */
#include <stddef.h>

#include "tcpstat.h"

#ifdef __linux__
#include <linux/sockios.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

int tcpstat_tx(int fd, uint64_t *acked, uint64_t *unacked)
{
    struct tcp_info ti;
    socklen_t len = sizeof ti;
    int outq = 0;
    if (fd < 0 || getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) ||
        len < offsetof(struct tcp_info, tcpi_bytes_acked) + sizeof ti.tcpi_bytes_acked ||
        ioctl(fd, SIOCOUTQ, &outq) || outq < 0)
        return -1;
    *acked = ti.tcpi_bytes_acked;
    *unacked = (uint64_t)outq;
    return 0;
}

int tcpstat_rate(int fd, uint64_t *delivery_Bps, int *app_limited)
{
    struct tcp_info ti;
    socklen_t len = sizeof ti;
    if (fd < 0 || getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) ||
        len < offsetof(struct tcp_info, tcpi_delivery_rate) + sizeof ti.tcpi_delivery_rate)
        return -1;
    *delivery_Bps = ti.tcpi_delivery_rate;
    *app_limited = ti.tcpi_delivery_rate_app_limited;
    return 0;
}

size_t tcpstat_rx_pending(int fd)
{
    int inq = 0;
    if (fd < 0 || ioctl(fd, SIOCINQ, &inq) || inq < 0)
        return 0;
    return (size_t)inq;
}
#else
int tcpstat_tx(int fd, uint64_t *acked, uint64_t *unacked)
{
    (void)fd, (void)acked, (void)unacked;
    return -1;
}

int tcpstat_rate(int fd, uint64_t *delivery_Bps, int *app_limited)
{
    (void)fd, (void)delivery_Bps, (void)app_limited;
    return -1;
}

size_t tcpstat_rx_pending(int fd)
{
    (void)fd;
    return 0;
}
#endif
