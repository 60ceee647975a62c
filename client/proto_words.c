/* proto_words.c: proto/'s reasons in the reader's words (see proto_words.h).
 *
 * proto/ is pure and below every language: it returns static English
 * reasons ("token is not 43 base64url characters") that also serve its unit
 * tests and the server's logs. The client shows them to people, so this
 * table gives each one its French sentence, and the catalogue gives it back
 * in English. A reason missing from the table is shown as proto/ wrote it:
 * add it here when proto/ gains one (tests/integration/test_i18n.py checks
 * the bad-link reasons a person is likely to meet). */
#include <stdio.h>
#include <string.h>

#include "bp/err.h"
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
    /* proto/record.c: a receipt's signatures and refusals (bilan receipt verify) */
    {"the signer is not the fingerprint of sign_pub and dh_pub",
     N_("le signataire ne correspond pas aux clés jointes")},
    {"the signer is not a participant of the record",
     N_("le signataire n'est pas un participant de la séance")},
    {"the record is not valid (it would not parse)", N_("le relevé lui-même n'est pas valide")},
    {"the attestation is not valid (it would not parse)", N_("l'attestation n'est pas valide")},
    {"the reason is not valid (1 to 200 bytes of text on one line)",
     N_("la raison du refus n'est pas valide (1 à 200 octets de texte sur une ligne)")},
    {"the signature does not verify", N_("la signature ne se vérifie pas")},
    /* proto/data.c: a data message from another device (chat, files) */
    {"empty data message", N_("message vide")},
    {"chat text must be 1 to 4096 bytes", N_("un message de discussion fait de 1 à 4096 octets")},
    {"chat text is not UTF-8", N_("le message de discussion n'est pas en UTF-8")},
    {"file_begin is shorter than its fixed fields", N_("annonce de fichier tronquée")},
    {"file_begin name length does not match the message length",
     N_("annonce de fichier incohérente (longueur du nom)")},
    {"file_chunk content must be 1 to 262144 bytes", N_("morceau de fichier de taille invalide")},
    {"file_chunk offset overflows", N_("morceau de fichier à une position impossible")},
    {"file_end must be exactly 5 bytes", N_("fin de fichier mal formée")},
    {"file_answer must be exactly 7 bytes", N_("réponse à un fichier mal formée")},
    {"file_answer slot must be 0 to 3", N_("réponse à un fichier pour un appareil inconnu")},
    {"file_answer answer must be 1 to 7", N_("réponse à un fichier inconnue")},
    {"unknown data message type", N_("type de message inconnu (une version plus récente ?)")},
    {"file name must be 1 to 255 bytes", N_("le nom du fichier doit faire de 1 à 255 octets")},
    {"file name contains '/', '\\' or NUL",
     N_("le nom du fichier contient « / », « \\ » ou un caractère nul")},
    {"file name is '.' or '..'", N_("le nom du fichier est « . » ou « .. »")},
    {"file name is not UTF-8", N_("le nom du fichier n'est pas en UTF-8")},
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

/* proto/err.c's codes (the server's errors, and ours from proto/): the
 * server's message is English and for developers; a person reads this. */
static const struct {
    int err;
    const char *french;
} codes[] = {
    {BP_E_BAD_JSON,
     N_("le serveur n'a pas compris un message de ce programme : mettez Bilan à jour")},
    {BP_E_UNKNOWN_TYPE,
     N_("le serveur ne connaît pas une demande de ce programme : mettez Bilan ou le "
        "serveur à jour")},
    {BP_E_MISSING_FIELD,
     N_("le serveur n'a pas compris un message de ce programme : mettez Bilan à jour")},
    {BP_E_INVALID_FIELD,
     N_("une valeur envoyée au serveur n'est pas acceptée (nom trop long, caractère "
        "interdit...) : vérifiez ce que vous avez tapé")},
    {BP_E_TOO_LARGE, N_("un message était trop long pour le serveur")},
    {BP_E_WRONG_STATE, N_("cette demande n'est pas possible à ce moment-là : réessayez")},
    {BP_E_BAD_SIGNATURE, N_("le serveur n'a pas reconnu la signature de cet appareil : réessayez")},
    {BP_E_UNKNOWN_TOKEN,
     N_("ce lien n'est pas reconnu par le serveur : vérifiez que vous l'avez copié en "
        "entier, ou demandez un nouveau lien à votre consultante ou votre consultant")},
    {BP_E_TOKEN_USED,
     N_("ce lien a déjà servi sur un autre appareil : demandez un nouveau lien à votre "
        "consultante ou votre consultant")},
    {BP_E_TOKEN_EXPIRED,
     N_("ce lien a expiré : demandez un nouveau lien à votre consultante ou votre "
        "consultant (ou à l'administrateur pour une inscription)")},
    {BP_E_NOT_MEMBER, N_("cet appareil ne fait pas partie de ce bilan : rejoignez-le avec le lien "
                         "d'invitation reçu")},
    {BP_E_ROOM_FULL,
     N_("la salle est pleine (4 appareils au plus) : réessayez quand quelqu'un sera parti")},
    {BP_E_RATE_LIMITED,
     N_("trop d'essais manqués depuis votre adresse : attendez une minute avant de "
        "réessayer")},
    {BP_E_VERSION,
     N_("ce programme et le serveur ne parlent pas la même version : mettez Bilan à jour")},
    {BP_E_UNKNOWN_DEVICE,
     N_("cet appareil n'est pas inscrit sur ce serveur : inscrivez-le d'abord avec "
        "le lien reçu")},
    {BP_E_FORBIDDEN, N_("votre rôle ne permet pas cette action")},
    {BP_E_BAD_FRAME, N_("un bloc de son, d'image ou de fichier a été refusé par le serveur")},
    {BP_E_TOO_SLOW,
     N_("votre connexion était trop lente pour suivre la salle : vérifiez votre réseau "
        "et rejoignez la salle")},
    {BP_E_UNKNOWN_BILAN, N_("aucun bilan ne porte cet identifiant")},
    {BP_E_INTERNAL, N_("le serveur a eu un problème : réessayez ; si cela recommence, prévenez "
                       "l'administrateur")},
    {BP_E_SHUTDOWN, N_("le serveur s'arrête : réessayez dans un moment")},
    {BP_E_CRYPTO, N_("une opération de chiffrement a échoué")},
    {BP_E_NOMEM, N_("mémoire insuffisante")},
    {BP_E_BAD_LINK, N_("le lien n'a pas pu être lu : copiez le lien reçu en entier")},
    {BP_E_AUTH_TIMEOUT,
     N_("la connexion a été trop lente à s'identifier : vérifiez votre réseau et "
        "réessayez")},
    {BP_E_TOO_MANY_CONNECTIONS, N_("le serveur a trop de connexions en attente : réessayez dans un "
                                   "moment")},
    {BP_E_TOKEN_REVOKED,
     N_("ce lien a été remplacé par un plus récent : demandez le dernier lien à "
        "votre consultante ou votre consultant")},
    {BP_E_FLOW, N_("des données ont été envoyées alors que le serveur demandait d'attendre : elles "
                   "n'ont pas été transmises")},
    {BP_E_BILAN_CLOSED,
     N_("ce bilan a été clos par votre consultante ou votre consultant : il n'accepte plus "
        "de séance, de modification ni d'accord ; ses fiches gardées et ses heures restent "
        "consultables")},
};

const char *proto_err_words(int err)
{
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
        if (codes[i].err == err)
            return _(codes[i].french);
    return _("erreur inconnue");
}

const char *proto_code_words(const char *code)
{
    return proto_err_words(bp_err_from_code(code));
}

const char *proto_verr_words(const struct bp_verr *e, char *buf, size_t cap)
{
    /* proto/fields.c and record.c word their details in three shapes; the
     * field's name is a wire name, the same in every language. */
    char name[64];
    if (sscanf(e->detail, "missing field '%63[^']'", name) == 1)
        snprintf(buf, cap, _("il manque le champ « %s »"), name);
    else if (sscanf(e->detail, "field '%63[^']'", name) == 1)
        snprintf(buf, cap, _("le champ « %s » a une valeur invalide"), name);
    else if (strstr(e->detail, "must be a JSON object"))
        snprintf(buf, cap, "%s", _("une partie n'a pas la forme attendue (un objet JSON)"));
    else
        snprintf(buf, cap, "%s", proto_err_words(e->code));
    return buf;
}
