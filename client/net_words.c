/* net_words.c: what the connection's failures and trust decisions mean, in
 * the reader's words (French first, English through the catalogue: i18n.h),
 * for net.c. The reasons of libwebsockets and OpenSSL are English and
 * technical; a person reads these.
 *
 * Owns: static sentences only. Must never: name a key, a pin or a token. */
#include <string.h>

#include <openssl/x509_vfy.h>

#include "i18n.h"
#include "net_words.h"

/* Said to a person who may not be technical: what happened, that nothing
 * left, what to do. */
static const char *const pin_mismatch =
    N_("le certificat du serveur a changé depuis que ce lien ou cet appareil l'a "
       "enregistré, et aucune autorité de certification de ce "
       "système ne le garantit. Rien n'a été envoyé. "
       "Si le serveur a changé de certificat, demandez un nouveau lien à "
       "votre consultant (ou un nouveau lien d'inscription à l'administrateur) ; "
       "sinon, n'allez pas plus loin.");

/* Why the system's certificate authorities do not vouch for the server, in
 * words (OpenSSL's own are English and technical). */
const char *net_words_untrusted(long vr)
{
    switch (vr) {
    case X509_V_ERR_HOSTNAME_MISMATCH:
        return _("le certificat est fait pour un autre nom de serveur");
    case X509_V_ERR_CERT_HAS_EXPIRED:
        return _("le certificat a expiré");
    case X509_V_ERR_CERT_NOT_YET_VALID:
        return _("le certificat n'est pas encore valable (vérifiez la date de cet ordinateur)");
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
        return _("le certificat est auto-signé");
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
        return _("le certificat vient d'une autorité inconnue de ce système");
    default:
        return _("le certificat est refusé");
    }
}

const char *net_words_pin_mismatch(void)
{
    return _(pin_mismatch);
}

const char *net_words_connect_failed(const char *lws_reason)
{
    const char *r = lws_reason ? lws_reason : "";
    if (!strncmp(r, "HS:", 3)) /* lws: the HTTP upgrade to WebSocket failed */
        return _("un serveur répond sur ce port, mais ce n'est pas un serveur Bilan : vérifiez "
                 "l'adresse et le port du lien.");
    if (strstr(r, "SSL") || strstr(r, "tls") || strstr(r, "TLS"))
        return _("la connexion sécurisée avec le serveur a échoué : ce n'est peut-être pas un "
                 "serveur Bilan, ou il n'accepte pas TLS 1.3. Vérifiez l'adresse et le port du "
                 "lien.");
    return _("le serveur ne répond pas sur ce port : vérifiez l'adresse du lien et votre "
             "connexion à Internet, ou demandez à votre consultante ou votre consultant si le "
             "service est ouvert.");
}

const char *net_words_write_failed(void)
{
    return _("la connexion au serveur a été coupée pendant un envoi : vérifiez votre connexion "
             "à Internet.");
}
