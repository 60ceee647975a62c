/* devcert.c: self-signed development certificate and certificate pins.
 *
 * Why ECDSA P-256: small, fast, accepted by every TLS 1.3 stack. The key file
 * is created with O_EXCL and mode 0600 before any byte is written, so there is
 * no window where it is readable by others; an existing key is never
 * overwritten (a restart keeps the pin that enrolled clients remember). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "bp/bp.h"
#include "devcert.h"

#define VALID_DAYS 730

static int ssl_fail(char *why, size_t why_len, const char *what)
{
    char e[256];
    ERR_error_string_n(ERR_get_error(), e, sizeof e);
    snprintf(why, why_len, "%s: %s", what, e);
    ERR_clear_error();
    return -1;
}

static int add_ext(X509 *x, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
    X509_EXTENSION *ex = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    if (!ex)
        return -1;
    int ok = X509_add_ext(x, ex, -1);
    X509_EXTENSION_free(ex);
    return ok ? 0 : -1;
}

/* Opens path for writing with mode, refusing to follow or reuse a file. */
static FILE *create_file(const char *path, mode_t mode, char *why, size_t why_len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
    if (fd < 0) {
        snprintf(why, why_len, "cannot create %s: %s", path, strerror(errno));
        return NULL;
    }
    FILE *f = fdopen(fd, "w");
    if (!f) {
        snprintf(why, why_len, "cannot write %s: %s", path, strerror(errno));
        close(fd);
    }
    return f;
}

int devcert_ensure(const char *cert_path, const char *key_path, int *created, char *why, size_t why_len)
{
    struct stat sc, sk;
    int have_cert = stat(cert_path, &sc) == 0, have_key = stat(key_path, &sk) == 0;
    *created = 0;
    if (have_cert && have_key)
        return 0;
    if (have_cert != have_key) {
        snprintf(why, why_len, "%s exists but %s does not: remove the other one or supply both",
                 have_cert ? cert_path : key_path, have_cert ? key_path : cert_path);
        return -1;
    }
    int rc = -1;
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    FILE *fk = NULL, *fc = NULL;
    uint8_t serial[16];
    BIGNUM *bn = NULL;
    if (!key || !x) {
        ssl_fail(why, why_len, "cannot generate the key");
        goto out;
    }
    if (bp_random(serial, sizeof serial))
        goto out;
    serial[0] &= 0x7f; /* positive */
    bn = BN_bin2bn(serial, sizeof serial, NULL);
    X509_NAME *name = X509_get_subject_name(x);
    if (!bn || !BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) || !X509_set_version(x, 2) ||
        !X509_gmtime_adj(X509_getm_notBefore(x), -3600) ||
        !X509_gmtime_adj(X509_getm_notAfter(x), (long)VALID_DAYS * 86400) ||
        !X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"Bilan Remote (dev)", -1, -1, 0) ||
        !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"localhost", -1, -1, 0) ||
        !X509_set_issuer_name(x, name) || !X509_set_pubkey(x, key) ||
        add_ext(x, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1,IP:::1") ||
        add_ext(x, NID_basic_constraints, "critical,CA:FALSE") ||
        add_ext(x, NID_key_usage, "critical,digitalSignature") ||
        add_ext(x, NID_ext_key_usage, "serverAuth") ||
        add_ext(x, NID_subject_key_identifier, "hash") ||
        !X509_sign(x, key, EVP_sha256())) {
        ssl_fail(why, why_len, "cannot build the certificate");
        goto out;
    }
    if (!(fk = create_file(key_path, 0600, why, why_len)))
        goto out;
    if (!PEM_write_PrivateKey(fk, key, NULL, NULL, 0, NULL, NULL) || fflush(fk) || fsync(fileno(fk))) {
        ssl_fail(why, why_len, "cannot write the key");
        goto out;
    }
    if (!(fc = create_file(cert_path, 0644, why, why_len)))
        goto out;
    if (!PEM_write_X509(fc, x) || fflush(fc) || fsync(fileno(fc))) {
        ssl_fail(why, why_len, "cannot write the certificate");
        goto out;
    }
    *created = 1;
    rc = 0;
out:
    if (fk && fclose(fk))
        rc = -1;
    if (fc && fclose(fc))
        rc = -1;
    if (rc) {
        /* Leave no half pair behind (only files we created). */
        if (fk)
            unlink(key_path);
        if (fc)
            unlink(cert_path);
    }
    BN_free(bn);
    X509_free(x);
    EVP_PKEY_free(key);
    return rc;
}

int devcert_pin(const char *cert_path, uint8_t pin[32], char *why, size_t why_len)
{
    FILE *f = fopen(cert_path, "r");
    if (!f) {
        snprintf(why, why_len, "cannot read %s: %s", cert_path, strerror(errno));
        return -1;
    }
    X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    if (!x)
        return ssl_fail(why, why_len, "no PEM certificate in the certificate file");
    unsigned char *der = NULL;
    int n = i2d_X509(x, &der);
    X509_free(x);
    if (n <= 0)
        return ssl_fail(why, why_len, "cannot encode the certificate");
    int rc = bp_sha256(der, (size_t)n, pin) ? -1 : 0;
    OPENSSL_free(der);
    if (rc)
        snprintf(why, why_len, "cannot hash the certificate");
    return rc;
}

int devcert_ca_trusted(const char *cert_path, const char *host, int *trusted, char *why,
                       size_t why_len)
{
    *trusted = 0;
    FILE *f = fopen(cert_path, "r");
    if (!f) {
        snprintf(why, why_len, "cannot read %s: %s", cert_path, strerror(errno));
        return -1;
    }
    X509 *leaf = PEM_read_X509(f, NULL, NULL, NULL), *x;
    STACK_OF(X509) *chain = sk_X509_new_null();
    while (leaf && chain && (x = PEM_read_X509(f, NULL, NULL, NULL)))
        if (!sk_X509_push(chain, x))
            X509_free(x);
    fclose(f);
    ERR_clear_error(); /* the end of the file reads as an error */
    X509_STORE *store = X509_STORE_new();
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    int rc = -1;
    if (!leaf) {
        snprintf(why, why_len, "no PEM certificate in the certificate file");
    } else if (!chain || !store || !ctx || X509_STORE_set_default_paths(store) != 1 ||
               X509_STORE_CTX_init(ctx, store, leaf, chain) != 1) {
        ssl_fail(why, why_len, "cannot set up a certificate check");
    } else {
        X509_VERIFY_PARAM *vp = X509_STORE_CTX_get0_param(ctx);
        X509_VERIFY_PARAM_set_hostflags(vp, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        if (X509_VERIFY_PARAM_set1_ip_asc(vp, host) != 1 &&
            X509_VERIFY_PARAM_set1_host(vp, host, 0) != 1) {
            ssl_fail(why, why_len, "cannot set the host name to check");
        } else {
            X509_VERIFY_PARAM_set_purpose(vp, X509_PURPOSE_SSL_SERVER);
            *trusted = X509_verify_cert(ctx) == 1;
            if (!*trusted)
                snprintf(why, why_len, "%s",
                         X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
            ERR_clear_error();
            rc = 0;
        }
    }
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(store);
    sk_X509_pop_free(chain, X509_free);
    X509_free(leaf);
    return rc;
}
