/* tcpstat.h: how much of what we wrote to a TCP socket its peer has
 * acknowledged, asked of the kernel (Linux: TCP_INFO and SIOCOUTQ).
 *
 * This is the measure of a receiver's progress for the drain deadline
 * (queue.h, txwatch): unlike our own queue or the WebSocket library's write
 * buffer, it moves exactly when the peer's TCP takes bytes, whatever sits in
 * the buffers in between. And the other way, what a peer has sent that we
 * have not read yet (part of a held sender's allowance). OS glue: no lws, no
 * protocol. */
#ifndef SERVER_TCPSTAT_H
#define SERVER_TCPSTAT_H

#include <stddef.h>
#include <stdint.h>

/* *acked: bytes of the connection's stream the peer has acknowledged so far
 * (cumulative); *unacked: bytes written to the socket and not acknowledged
 * yet (sent or not). Returns 0, or -1 when the system cannot tell (not
 * Linux, not TCP, an old kernel): outputs are then untouched. */
int tcpstat_tx(int fd, uint64_t *acked, uint64_t *unacked);
/* The kernel's delivery rate of fd (bytes/s) and whether it was measured
 * while the application had too little to send. 0, or -1 when the system
 * cannot tell (outputs untouched). */
int tcpstat_rate(int fd, uint64_t *delivery_Bps, int *app_limited);
/* Bytes received on fd that the application has not read yet (its receive
 * queue); 0 when the system cannot tell. */
size_t tcpstat_rx_pending(int fd);

#endif
