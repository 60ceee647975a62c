/* net.c: libwebsockets glue for the client's one connection (see net.h).
 *
 * Trust (PROTOCOL.md §1.1): a certificate that the system CA store verifies
 * for the host we connect to is trusted that way, pin or no pin: a CA
 * certificate renewed with a new key (certbot's default) must not lock out a
 * device that saw a pin for it. Only when that fails is the pin consulted:
 * the SHA-256 of the leaf (DER) must equal it; chain, dates and host name are
 * then irrelevant. With a pin, the decision is made in the OpenSSL verify
 * callback (so a refusal aborts the TLS handshake itself) and checked again
 * at CLIENT_ESTABLISHED before the first message is sent (so no lws code
 * path that skips the verify callback can let an untrusted peer through).
 * Without a pin, lws and OpenSSL verify chain and host name against the
 * system store. SSL_CERT_FILE and SSL_CERT_DIR are honoured either way.
 *
 * Must never: log what travels on the connection. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libwebsockets.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "i18n.h"
#include "net.h"
#include "net_words.h"
#include "tcpinfo.h"
#include "util.h"

#define QUEUE_MAX 256
#define TICK_MS 100
#define INPUT_READ 4096 /* bytes per read of standard input */
#define INPUT_PROTOCOL "bilan-stdin"

struct qmsg {
    struct qmsg *next;
    size_t len;
    unsigned char buf[]; /* LWS_PRE headroom, then the message */
};

struct net {
    struct lws_context *ctx;
    struct lws *wsi;
    struct net_cfg cfg;
    struct net_handlers h;
    char host_hdr[BP_HOST_MAX + 8];
    struct qmsg *head, *tail;
    int qcount;
    uint8_t *rx; /* reassembly of one incoming message */
    size_t rx_len;
    int rx_binary;
    int rx_overflow; /* message over its limit: drop until its last fragment */
    uint8_t *tx;     /* LWS_PRE + one binary frame */
    lws_sorted_usec_list_t tick;
    struct lws *in_wsi; /* standard input, while it is read */
    int in_fd;          /* our duplicate of fd 0, -1 when none */
    int established, closing, done, pin_failed;
    int dead; /* silent too long: being reset (check_silence) */
    enum net_trust trust; /* decided once per connection */
    uint64_t last_rx_ms;
    int close_status; /* close code from the server, 0 if none */
    atomic_int woken; /* net_wake() was called since the loop last looked */
    char err[1024];
};

static volatile sig_atomic_t signals_seen;
static struct lws_context *volatile signal_ctx;

static void on_signal(int sig)
{
    (void)sig;
    signals_seen++;
    /* Wakes the poll() inside lws_service() (it writes to a pipe). */
    if (signal_ctx)
        lws_cancel_service(signal_ctx);
}

/* The first error of a connection is the one the person reads (i18n.h). */
__attribute__((format(printf, 2, 3))) static void set_err(struct net *n, const char *fmt, ...)
{
    if (n->err[0])
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(n->err, sizeof n->err, fmt, ap);
    va_end(ap);
}

static int leaf_matches_pin(struct net *n, X509 *leaf)
{
    uint8_t md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (!leaf || X509_digest(leaf, EVP_sha256(), md, &len) != 1 || len != BP_FP_LEN)
        return 0;
    return bp_ct_cmp(md, n->cfg.pin, BP_FP_LEN) == 0;
}

/* Whether leaf (with the untrusted chain the server sent) verifies against
 * the system CA store for the host we connect to, as lws checks it without
 * a pin: chain, dates, purpose, and the name or IP address. */
static int verifies_by_ca(const struct net *n, X509 *leaf, STACK_OF(X509) *chain)
{
    X509_STORE *store = X509_STORE_new();
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    int ok = 0;
    if (leaf && store && ctx && X509_STORE_set_default_paths(store) == 1 &&
        X509_STORE_CTX_init(ctx, store, leaf, chain) == 1) {
        X509_VERIFY_PARAM *vp = X509_STORE_CTX_get0_param(ctx);
        X509_VERIFY_PARAM_set_hostflags(vp, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        X509_VERIFY_PARAM_set_purpose(vp, X509_PURPOSE_SSL_SERVER);
        if (X509_VERIFY_PARAM_set1_ip_asc(vp, n->cfg.host) == 1 ||
            X509_VERIFY_PARAM_set1_host(vp, n->cfg.host, 0) == 1)
            ok = X509_verify_cert(ctx) == 1;
    }
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(store);
    ERR_clear_error();
    return ok;
}

static enum net_trust trust_decide(const struct net *n, X509 *leaf, STACK_OF(X509) *chain)
{
    if (verifies_by_ca(n, leaf, chain))
        return NET_TRUST_CA;
    if (leaf_matches_pin((struct net *)n, leaf))
        return NET_TRUST_PIN;
    return NET_TRUST_NONE;
}

static void queue_free(struct net *n)
{
    while (n->head) {
        struct qmsg *m = n->head;
        n->head = m->next;
        OPENSSL_cleanse(m->buf, LWS_PRE + m->len); /* may hold a signature or token */
        free(m);
    }
    n->tail = NULL;
    n->qcount = 0;
}

static int on_writeable(struct net *n, struct lws *wsi)
{
    if (n->head) {
        struct qmsg *m = n->head;
        int w = lws_write(wsi, m->buf + LWS_PRE, m->len, LWS_WRITE_TEXT);
        n->head = m->next;
        if (!n->head)
            n->tail = NULL;
        n->qcount--;
        OPENSSL_cleanse(m->buf, LWS_PRE + m->len);
        free(m);
        if (w < 0) {
            set_err(n, "%s", net_words_write_failed());
            return -1;
        }
        lws_callback_on_writable(wsi);
        return 0;
    }
    if (n->closing) {
        lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL, NULL, 0);
        return -1;
    }
    if (!n->h.next_frame)
        return 0;
    int len = n->h.next_frame(n->h.ctx, n->tx + LWS_PRE, BP_MAX_FRAME, cli_now_ms());
    if (len <= 0)
        return 0; /* nothing to send until net_want_write() */
    if (lws_write(wsi, n->tx + LWS_PRE, (size_t)len, LWS_WRITE_BINARY) < len) {
        set_err(n, "%s", net_words_write_failed());
        return -1;
    }
    /* One frame per WRITEABLE: lws calls us again only once this one is out
     * of its own buffer, which bounds what we queue to about one frame. */
    lws_callback_on_writable(wsi);
    return 0;
}

static int on_receive(struct net *n, struct lws *wsi, const void *in, size_t len)
{
    if (lws_is_first_fragment(wsi)) {
        n->rx_len = 0;
        n->rx_overflow = 0;
        n->rx_binary = lws_frame_is_binary(wsi);
    }
    size_t cap = n->rx_binary ? BP_MAX_FRAME : BP_MAX_CTRL;
    if (!n->rx_overflow && len > cap - n->rx_len)
        n->rx_overflow = 1;
    if (!n->rx_overflow) {
        memcpy(n->rx + n->rx_len, in, len);
        n->rx_len += len;
    }
    if (!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi))
        return 0;
    if (n->rx_overflow) {
        set_err(n, "%s",
                _("le serveur a envoyé un message trop long pour Bilan : ce n'est peut-être "
                  "pas un serveur Bilan, ou il n'est pas à jour. Prévenez votre consultante "
                  "ou votre consultant."));
        return -1;
    }
    uint64_t now = cli_now_ms();
    if (n->rx_binary)
        n->h.binary(n->h.ctx, n->rx, n->rx_len, now);
    else
        n->h.text(n->h.ctx, (const char *)n->rx, n->rx_len, now);
    return 0;
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                    size_t len)
{
    struct net *n = lws_context_user(lws_get_context(wsi));
    if (!n)
        return 0;
    switch (reason) {
    case LWS_CALLBACK_OPENSSL_LOAD_EXTRA_CLIENT_VERIFY_CERTS:
        /* user is the client SSL_CTX (a fake wsi carries the call). */
        if (user && !SSL_CTX_set_min_proto_version((SSL_CTX *)user, TLS1_3_VERSION))
            return 1;
        return 0;

    case LWS_CALLBACK_OPENSSL_PERFORM_SERVER_CERT_VERIFICATION: {
        /* user: X509_STORE_CTX*, len: preverify_ok. Returning 0 keeps
         * OpenSSL's verdict (or our override), 1 fails the handshake. */
        if (!n->cfg.has_pin)
            return 0;
        X509_STORE_CTX *xs = user;
        /* Called for each certificate of the chain: decide once, on the
         * leaf and what the server sent with it. */
        if (n->trust == NET_TRUST_NONE)
            n->trust =
                trust_decide(n, X509_STORE_CTX_get0_cert(xs), X509_STORE_CTX_get0_untrusted(xs));
        if (n->trust == NET_TRUST_NONE) {
            n->pin_failed = 1;
            return 1;
        }
        /* Trusted by CA (verified above, host name included) or by the pin,
         * the trust anchor then: chain, dates and name do not matter. */
        X509_STORE_CTX_set_error(xs, X509_V_OK);
        return 0;
    }

    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR: {
        SSL *ssl = wsi ? lws_get_ssl(wsi) : NULL;
        long vr = ssl ? SSL_get_verify_result(ssl) : X509_V_OK;
        const char *what = in ? (const char *)in : "unknown error";
        if (n->pin_failed)
            set_err(n, "%s", net_words_pin_mismatch());
        else if (vr != X509_V_OK)
            set_err(n,
                    _("aucune autorité de certification de ce système ne garantit le "
                      "certificat du serveur pour ce nom (%s). Rien n'a été envoyé. "
                      "Vérifiez l'adresse, ou utilisez le lien complet reçu (avec son #pin)."),
                    net_words_untrusted(vr));
        else
            set_err(n, "%s", net_words_connect_failed(what));
        n->wsi = NULL;
        n->done = 1;
        return 0;
    }

    case LWS_CALLBACK_CLIENT_ESTABLISHED: {
        if (n->cfg.has_pin) {
            /* Again, from the certificates of the session itself. */
            SSL *ssl = lws_get_ssl(wsi);
            X509 *leaf = ssl ? SSL_get1_peer_certificate(ssl) : NULL;
            n->trust = trust_decide(n, leaf, ssl ? SSL_get_peer_cert_chain(ssl) : NULL);
            X509_free(leaf);
            if (n->trust == NET_TRUST_NONE) {
                n->pin_failed = 1;
                set_err(n, "%s", net_words_pin_mismatch());
                return -1;
            }
        } else {
            n->trust = NET_TRUST_CA; /* lws verified chain and host name */
        }
        if (n->cfg.trusted_by)
            *n->cfg.trusted_by = n->trust;
        n->established = 1;
        /* Keeps the kernel's unsent bytes small (net.h). A refusal only
         * costs priority on a slow link: go on without it. */
        (void)tcpinfo_set_lowat((int)lws_get_socket_fd(wsi), NET_NOTSENT_LOWAT);
        n->last_rx_ms = cli_now_ms();
        n->h.established(n->h.ctx, n->last_rx_ms);
        if (n->head || n->closing)
            lws_callback_on_writable(wsi);
        return 0;
    }

    case LWS_CALLBACK_CLIENT_RECEIVE:
        n->last_rx_ms = cli_now_ms();
        /* Anything from the server proves the connection alive (PROTOCOL.md
         * §1), not only a pong: on a slow link the pong to our ping waits
         * behind everything the server had queued for us, which can take
         * longer than lws's 15 s, and lws alone only counts pongs. */
        lws_validity_confirmed(wsi);
        return on_receive(n, wsi, in, len);

    case LWS_CALLBACK_CLIENT_RECEIVE_PONG:
        n->last_rx_ms = cli_now_ms();
        return 0;

    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
        if (len >= 2)
            n->close_status = ((const uint8_t *)in)[0] << 8 | ((const uint8_t *)in)[1];
        return 0;

    case LWS_CALLBACK_CLIENT_WRITEABLE:
        return on_writeable(n, wsi);

    case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
        /* lws_cancel_service() from net_wake() or a signal. It reaches the
         * protocol callback of every vhost and connection: the exchange
         * makes the first one act for all. */
        if (atomic_exchange(&n->woken, 0) && n->h.wake)
            n->h.wake(n->h.ctx, cli_now_ms());
        return 0;

    case LWS_CALLBACK_CLIENT_CLOSED:
    case LWS_CALLBACK_WSI_DESTROY:
        if (wsi != n->wsi)
            return 0;
        if (!n->closing) {
            if (cli_now_ms() - n->last_rx_ms >= (NET_SILENT_S - 1) * 1000u)
                set_err(n,
                        _("connexion perdue : le serveur ne répond plus depuis %s. Vérifiez "
                          "votre connexion à Internet."),
                        n->dead ? "4 s" : "15 s");
            else
                set_err(n, "%s", _("le serveur a fermé la connexion : réessayez dans un moment."));
        }
        n->wsi = NULL;
        n->done = 1;
        return 0;

    default:
        return 0;
    }
}

/* Standard input, adopted as a raw file: lws polls it with the connection,
 * we read it when it is readable (one read() then never blocks). */
static int input_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                          size_t len)
{
    (void)user, (void)in, (void)len;
    struct net *n = lws_context_user(lws_get_context(wsi));
    if (!n)
        return 0;
    switch (reason) {
    case LWS_CALLBACK_RAW_RX_FILE: {
        char buf[INPUT_READ];
        ssize_t r = read(n->in_fd, buf, sizeof buf);
        if (r < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
            return 0;
        if (r <= 0) {
            /* End of input (or /dev/null, a closed pipe, an error): stop
             * reading, the room goes on. lws then closes the descriptor. */
            n->in_wsi = NULL;
            if (n->h.input)
                n->h.input(n->h.ctx, NULL, 0, cli_now_ms());
            return -1;
        }
        if (n->h.input)
            n->h.input(n->h.ctx, buf, (size_t)r, cli_now_ms());
        /* Drain what is already there: lws closes on POLLHUP right after
         * this callback, which would lose the end of a pipe written and
         * closed at once. FIONREAD says how much a read gets without
         * blocking. */
        int avail;
        while (n->in_wsi && ioctl(n->in_fd, FIONREAD, &avail) == 0 && avail > 0 &&
               (r = read(n->in_fd, buf, sizeof buf)) > 0)
            if (n->h.input)
                n->h.input(n->h.ctx, buf, (size_t)r, cli_now_ms());
        return 0;
    }
    case LWS_CALLBACK_RAW_CLOSE_FILE:
        if (wsi == n->in_wsi) {
            n->in_wsi = NULL;
            if (n->h.input)
                n->h.input(n->h.ctx, NULL, 0, cli_now_ms());
        }
        n->in_fd = -1; /* closed by lws with the wsi */
        return 0;
    default:
        return 0;
    }
}

static const struct lws_protocols protocols[] = {
    {BP_SUBPROTOCOL, callback, 0, BP_MAX_CTRL, 0, NULL, 0},
    {INPUT_PROTOCOL, input_callback, 0, 0, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

/* Ping an idle server after 1 s (net.h). lws's own hang-up stays at the
 * protocol's 15 s as a backstop: the 4 s one is on_tick's, which resets
 * the connection rather than close it. */
static const lws_retry_bo_t liveness = {
    .secs_since_valid_ping = NET_PING_S,
    .secs_since_valid_hangup = BP_HANGUP_S,
};

/* Nothing from the server for NET_SILENT_S: the path is broken. The socket
 * is reset, not closed: a close frame and a FIN would be sent again and again
 * and reach the server when the path comes back, just before our new
 * connection, and the server would date our departure then; a reset is
 * sent once, lost on a dead path, and the new connection then replaces the
 * old one, whose presence the server ends at its last sign of life. */
static void check_silence(struct net *n)
{
    if (!n->wsi || !n->established || n->closing || n->dead ||
        cli_now_ms() - n->last_rx_ms < NET_SILENT_S * 1000u)
        return;
    n->dead = 1;
    set_err(n,
            _("connexion perdue : le serveur ne répond plus depuis %s. Vérifiez "
              "votre connexion à Internet."),
            "4 s");
    /* connect(AF_UNSPEC) drops a TCP connection at once with a reset
     * (Linux, BSD): whatever lws then tries to say (a close frame, a FIN)
     * fails locally instead of waiting for the path to come back. */
    struct sockaddr sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_family = AF_UNSPEC;
    (void)connect((int)lws_get_socket_fd(n->wsi), &sa, sizeof sa);
    lws_set_timeout(n->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
}

static void on_tick(lws_sorted_usec_list_t *sul)
{
    struct net *n = lws_container_of(sul, struct net, tick);
    check_silence(n);
    if (n->h.tick)
        n->h.tick(n->h.ctx, cli_now_ms());
    lws_sul_schedule(n->ctx, 0, &n->tick, on_tick, TICK_MS * LWS_US_PER_MS);
}

static void lws_log_emit(int level, const char *line)
{
    (void)level;
    fprintf(stderr, "bilan: lws: %s", line);
}

/* Adopts a duplicate of fd 0, not fd 0 itself: lws closes what it adopted,
 * and a closed fd 0 would be handed to the next open() (a received file,
 * the key store). Without it (no stdin, adoption refused) input simply ends. */
static void watch_input(struct net *n)
{
    n->in_fd = fcntl(0, F_DUPFD_CLOEXEC, 3);
    if (n->in_fd >= 0) {
        lws_sock_file_fd_type u;
        u.filefd = n->in_fd;
        n->in_wsi = lws_adopt_descriptor_vhost(lws_get_vhost_by_name(n->ctx, "default"),
                                               LWS_ADOPT_RAW_FILE_DESC, u, INPUT_PROTOCOL, NULL);
        if (n->in_wsi)
            return;
        close(n->in_fd);
        n->in_fd = -1;
    }
    n->h.input(n->h.ctx, NULL, 0, cli_now_ms());
}

struct net *net_new(const struct net_cfg *cfg, const struct net_handlers *h, char *why, size_t cap)
{
    struct net *n = calloc(1, sizeof *n);
    if (!n || !(n->rx = malloc(BP_MAX_FRAME)) || !(n->tx = malloc(LWS_PRE + BP_MAX_FRAME))) {
        snprintf(why, cap, "%s", _("mémoire insuffisante"));
        net_free(n);
        return NULL;
    }
    atomic_init(&n->woken, 0);
    n->cfg = *cfg;
    n->h = *h;
    n->in_fd = -1;
    /* lws logs are for debugging the library, not for users; they never
     * include payloads at these levels. */
    const char *dbg = getenv("BILAN_LWS_DEBUG");
    lws_set_log_level(dbg && *dbg ? LLL_ERR | LLL_WARN | LLL_NOTICE : 0, lws_log_emit);

    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = protocols;
    info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    info.user = n;
    info.timeout_secs = 15;
    info.connect_timeout_secs = 15;
    n->ctx = lws_create_context(&info);
    if (!n->ctx) {
        snprintf(why, cap, "%s",
                 _("impossible de préparer la connexion réseau : réessayez ; "
                   "si cela recommence, redémarrez l'ordinateur."));
        net_free(n);
        return NULL;
    }

    int v6 = strchr(cfg->host, ':') != NULL;
    snprintf(n->host_hdr, sizeof n->host_hdr, v6 ? "[%s]" : "%s", cfg->host);
    struct lws_client_connect_info ci;
    memset(&ci, 0, sizeof ci);
    ci.context = n->ctx;
    ci.address = cfg->host;
    ci.port = cfg->port;
    ci.path = BP_WS_PATH;
    ci.host = n->host_hdr;
    ci.origin = n->host_hdr;
    ci.protocol = BP_SUBPROTOCOL;
    ci.alpn = "http/1.1";
    ci.ssl_connection = LCCSCF_USE_SSL;
    if (cfg->has_pin)
        ci.ssl_connection |=
            LCCSCF_ALLOW_SELFSIGNED | LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK | LCCSCF_ALLOW_EXPIRED;
    ci.retry_and_idle_policy = &liveness;
    ci.pwsi = &n->wsi;
    lws_sul_schedule(n->ctx, 0, &n->tick, on_tick, TICK_MS * LWS_US_PER_MS);
    if (h->input)
        watch_input(n);
    if (!lws_client_connect_via_info(&ci) && !n->done) {
        snprintf(why, cap, "%s",
                 _("impossible de joindre ce serveur : vérifiez son nom dans le lien et votre "
                   "connexion à Internet."));
        net_free(n);
        return NULL;
    }
    return n;
}

int net_run(struct net *n)
{
    struct sigaction sa, old_int, old_term;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    /* No SA_RESTART: the signal must interrupt poll() so we act at once. */
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    signal_ctx = n->ctx;
    sig_atomic_t seen = signals_seen;
    uint64_t first_signal_ms = 0;
    while (!n->done) {
        if (lws_service(n->ctx, 0) < 0)
            break;
        if (signals_seen != seen) {
            seen = signals_seen;
            /* A second Ctrl-C a moment later means "do not wait for the
             * server"; one signal delivered twice at once (a process group
             * and its parent) does not. */
            if (!first_signal_ms)
                first_signal_ms = cli_now_ms();
            if (seen >= 2 && cli_now_ms() - first_signal_ms >= 1000 && !n->err[0]) {
                /* A second Ctrl-C: the user does not want to wait for the server. */
                set_err(n, "%s", _("interrompu : vous avez appuyé deux fois sur Ctrl-C."));
                break;
            }
            if (n->h.interrupt)
                n->h.interrupt(n->h.ctx, cli_now_ms());
        }
    }
    signal_ctx = NULL;
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    lws_sul_cancel(&n->tick);
    if (n->h.closed)
        n->h.closed(n->h.ctx);
    if (n->closing && !n->err[0])
        return 0;
    set_err(n, "%s", _("la connexion au serveur s'est arrêtée sans raison connue : réessayez."));
    return BP_E_INTERNAL;
}

void net_free(struct net *n)
{
    if (!n)
        return;
    n->h.input = NULL; /* the console may be gone: no end-of-input call from here */
    if (n->ctx) {
        lws_sul_cancel(&n->tick);
        lws_context_destroy(n->ctx);
    }
    queue_free(n);
    free(n->rx);
    free(n->tx);
    free(n);
}

int net_close_status(const struct net *n)
{
    return n->close_status;
}

int net_pause(uint64_t ms)
{
    struct sigaction sa, old_int, old_term;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    sig_atomic_t seen = signals_seen;
    uint64_t end = cli_now_ms() + ms;
    int hit = 0;
    for (;;) {
        uint64_t now = cli_now_ms();
        if ((hit = signals_seen != seen) || now >= end)
            break;
        /* A signal interrupts poll() (no SA_RESTART): we act at once. */
        (void)poll(NULL, 0, (int)(end - now > 100 ? 100 : end - now));
    }
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    return hit;
}

const char *net_error(const struct net *n)
{
    return n->err[0] ? n->err : _("aucune erreur");
}

int net_send_text(struct net *n, const char *buf, size_t len)
{
    if (len > BP_MAX_CTRL)
        return BP_E_TOO_LARGE;
    if (n->qcount >= QUEUE_MAX)
        return BP_E_NOMEM;
    struct qmsg *m = malloc(sizeof *m + LWS_PRE + len);
    if (!m)
        return BP_E_NOMEM;
    m->next = NULL;
    m->len = len;
    memcpy(m->buf + LWS_PRE, buf, len);
    if (n->tail)
        n->tail->next = m;
    else
        n->head = m;
    n->tail = m;
    n->qcount++;
    if (n->wsi && n->established)
        lws_callback_on_writable(n->wsi);
    return 0;
}

void net_want_write(struct net *n)
{
    if (n->wsi && n->established)
        lws_callback_on_writable(n->wsi);
}

void net_tcp_info(struct net *n, struct tcpinfo *t)
{
    memset(t, 0, sizeof *t);
    if (!n->wsi || !n->established)
        return;
    tcpinfo_read((int)lws_get_socket_fd(n->wsi), t);
    if (t->ok && lws_partial_buffered(n->wsi))
        t->notsent_bytes += BP_MAX_FRAME / 64; /* lws holds part of a frame: a guess */
}

void net_wake(struct net *n)
{
    atomic_store(&n->woken, 1);
    lws_cancel_service(n->ctx);
}

void net_close(struct net *n)
{
    n->closing = 1;
    if (n->wsi && n->established)
        lws_callback_on_writable(n->wsi);
    else
        n->done = 1; /* still connecting: destroying the context drops the attempt */
}
