/* net_words.h: the connection's failures and trust decisions in the reader's
 * words (see net_words.c). Every result is static. */
#ifndef CLIENT_NET_WORDS_H
#define CLIENT_NET_WORDS_H

/* The server's certificate is neither the pinned one nor vouched for by a
 * certificate authority of this system: what happened, that nothing was
 * sent, what to do. */
const char *net_words_pin_mismatch(void);
/* Why the system's certificate authorities refused the server's
 * certificate, from OpenSSL's verify result (X509_V_ERR_*). */
const char *net_words_untrusted(long verify_result);
/* What a failed connection means, from libwebsockets' reason for it ("HS:
 * ..." when the HTTP upgrade failed, an SSL error, else nobody answered). */
const char *net_words_connect_failed(const char *lws_reason);
/* The connection broke while sending. */
const char *net_words_write_failed(void);

#endif
