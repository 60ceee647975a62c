/* test_tcpstat.c: server/tcpstat.c on one real loopback TCP connection, since
 * what it reads is the kernel's own count. The writer fills both socket
 * buffers of a reader that does not read: everything written is either
 * acknowledged or owed (acked + unacked == written, exactly); while nothing
 * is read the acknowledged count hardly moves, though the writer's buffer
 * holds megabytes; reading moves it, and once all is read nothing is owed.
 * Waits poll the sockets against a deadline. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../check.h"
#include "tcpstat.h"

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Reads what is there (up to max bytes) without blocking for long. */
static size_t read_some(int fd, size_t max)
{
    static char buf[65536];
    size_t got = 0;
    struct pollfd p = {fd, POLLIN, 0};
    while (got < max && poll(&p, 1, 20) == 1) {
        ssize_t r = read(fd, buf, max - got < sizeof buf ? max - got : sizeof buf);
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    return got;
}

int main(void)
{
    uint64_t acked = 7, unacked = 7;
    CHECK_EQ_INT(tcpstat_tx(-1, &acked, &unacked), -1);
    CHECK(acked == 7 && unacked == 7);             /* untouched on failure */
    int pipefd[2];
    CHECK_EQ_INT(pipe(pipefd), 0);
    CHECK_EQ_INT(tcpstat_tx(pipefd[1], &acked, &unacked), -1);   /* not TCP */
    close(pipefd[0]);
    close(pipefd[1]);

    int ls = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t sl = sizeof sa;
    CHECK(ls >= 0 && bind(ls, (struct sockaddr *)&sa, sizeof sa) == 0 && listen(ls, 1) == 0 &&
          getsockname(ls, (struct sockaddr *)&sa, &sl) == 0);
    int rd = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(rd >= 0 && connect(rd, (struct sockaddr *)&sa, sizeof sa) == 0);
    int wr = accept(ls, NULL, NULL);
    CHECK(wr >= 0);
    close(ls);
    if (wr < 0 || rd < 0)
        return check_report();
#ifndef __linux__
    CHECK_EQ_INT(tcpstat_tx(wr, &acked, &unacked), -1);
    return check_report();
#else
    CHECK_EQ_INT(tcpstat_tx(wr, &acked, &unacked), 0);
    CHECK(acked == 0 && unacked == 0);
    fcntl(wr, F_SETFL, fcntl(wr, F_GETFL) | O_NONBLOCK);

    /* Fill everything: the reader does not read. */
    static char chunk[65536];
    memset(chunk, 'x', sizeof chunk);
    uint64_t written = 0;
    int64_t end = now_ms() + 10000;
    for (;;) {
        ssize_t w = write(wr, chunk, sizeof chunk);
        if (w > 0) {
            written += (uint64_t)w;
            continue;
        }
        CHECK(w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK));
        /* Full for good once a short wait frees no room. */
        struct pollfd p = {wr, POLLOUT, 0};
        if (poll(&p, 1, 100) == 0 || now_ms() > end)
            break;
    }
    CHECK(written > 0);
    CHECK_EQ_INT(tcpstat_tx(wr, &acked, &unacked), 0);
    CHECK_EQ_INT(acked + unacked, written);
    CHECK(unacked > 0);                            /* owed: the reader is full */
    /* While nothing is read, the count hardly moves (a zero-window probe
     * may still squeeze a few kB in): less than the 64 KiB of progress the
     * drain deadline asks for (server/queue.h), over a second. */
    uint64_t stuck = acked;
    struct pollfd pw = {wr, POLLOUT, 0};
    poll(&pw, 1, 1000);
    CHECK_EQ_INT(tcpstat_tx(wr, &acked, &unacked), 0);
    CHECK_EQ_INT(acked + unacked, written);
    CHECK(acked - stuck < 65536);
    CHECK(acked < written / 4);
    stuck = acked;

    /* Reading moves the count; reading all leaves nothing owed. */
    uint64_t got = read_some(rd, 256 * 1024);
    CHECK(got > 0);
    end = now_ms() + 10000;
    while (now_ms() < end && tcpstat_tx(wr, &acked, &unacked) == 0 && acked == stuck)
        read_some(rd, 4096);
    CHECK(acked > stuck);
    end = now_ms() + 10000;
    while (got < written && now_ms() < end)
        got += read_some(rd, written - got);
    CHECK_EQ_INT(got, written);
    end = now_ms() + 10000;
    while (now_ms() < end && tcpstat_tx(wr, &acked, &unacked) == 0 && unacked) {
        struct pollfd p = {rd, POLLIN, 0};
        poll(&p, 1, 10);
    }
    CHECK_EQ_INT(unacked, 0);
    CHECK_EQ_INT(acked, written);
    close(wr);
    close(rd);
    return check_report();
#endif
}
