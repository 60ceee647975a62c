/* proto_words.c: proto/'s reasons in the reader's words (see proto_words.h).
 *
 * proto/ is pure and below every language: it returns static English
 * reasons ("token is not 43 base64url characters") that also serve its unit
 * tests and the server's logs. The client shows them to people, so this
 * table gives each one its French sentence, and the catalogue gives it back
 * in English. A reason missing from the table is shown as proto/ wrote it:
 * add it here when proto/ gains one (tests/integration/test_i18n.py checks
 * the bad-link reasons a person is likely to meet). */
#include <string.h>

#include "i18n.h"
#include "proto_words.h"

static const struct {
    const char *proto, *french;
} words[] = {
    /* proto/link.c: bp_link_parse() */
    {"no link given", N_("aucun lien donné")},
    {"link is longer than 1024 characters", N_("le lien dépasse 1024 caractères")},
    {"token is not 43 base64url characters", N_("le jeton ne fait pas 43 caractères base64url")},
    {"link must start with https:// (or be a bare 43-character token)",
     N_("le lien doit commencer par https:// (ou être un jeton seul de 43 caractères)")},
    {"bracketed IPv6 host is malformed", N_("l'adresse IPv6 entre crochets est mal formée")},
    {"host is empty or too long", N_("le nom du serveur est vide ou trop long")},
    {"the link names no server (0.0.0.0 or :: is 'every interface' on the server's side): ask "
     "for a new link",
     N_("le lien ne nomme pas de serveur (0.0.0.0 ou :: veut dire « toutes les interfaces » "
        "côté serveur) : demandez un nouveau lien")},
    {"port must be a number from 1 to 65535", N_("le port doit être un nombre de 1 à 65535")},
    {"path must be /j/<token> (invite) or /e/<token> (enrolment)",
     N_("le chemin doit être /j/<jeton> (invitation) ou /e/<jeton> (inscription)")},
    {"token in the link is not 43 base64url characters",
     N_("le jeton du lien ne fait pas 43 caractères base64url")},
    {"invite link has no #secret part: copy the whole link",
     N_("il manque au lien d'invitation sa partie #secret : copiez le lien en entier")},
    {"certificate fingerprint after # is not 43 base64url characters",
     N_("l'empreinte du certificat après # ne fait pas 43 caractères base64url")},
    {"invite secret after # must be 43 characters, optionally .<fingerprint>",
     N_("le secret d'invitation après # doit faire 43 caractères, suivis ou non de "
        ".<empreinte>")},
    {"invite secret is not base64url", N_("le secret d'invitation n'est pas en base64url")},
    {"certificate fingerprint after '.' is not 43 base64url characters",
     N_("l'empreinte du certificat après « . » ne fait pas 43 caractères base64url")},
};

const char *proto_words(const char *why)
{
    if (!why)
        return "";
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (!strcmp(why, words[i].proto))
            return _(words[i].french);
    return why;
}
