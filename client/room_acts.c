/* room_acts.c: see room_acts.h. */
#include "room_acts.h"

#include <stdio.h>

#include "bp/vocab.h"
#include "dialog.h"
#include "e2e_room.h"
#include "i18n.h"
#include "util.h"
#include "words.h"

int room_act_code(struct dialog *d, const struct e2e *e2e, int slot, int yes, uint64_t now_ms, char *out,
                  size_t cap)
{
    out[0] = '\0';
    if (dialog_sas_answer(d, slot, yes, now_ms))
        return 0;
    int n = snprintf(out, cap, "%s", _("Aucun code n'attend de réponse."));
    /* Say why when it is because a pair was ended: the person saw a code
     * and expects to answer it. */
    for (int k = 0; e2e && k < BP_MAX_MEMBERS && n >= 0 && (size_t)n < cap; k++)
        if ((slot < 0 || slot == k) && e2e_pair_ended(e2e, k)) {
            char who[160];
            room_news_who(&d->news, k, WHO_OBJECT, who, sizeof who);
            n += snprintf(out + n, cap - (size_t)n, " ");
            n += snprintf(out + n, cap - (size_t)n,
                          _("La liaison chiffrée avec %s a été arrêtée : son code ne peut plus être "
                            "confirmé. Pour recommencer, quittez (/quitter) puis rejoignez la salle : "
                            "un nouveau code sera affiché."),
                          who);
        }
    return 1;
}

int room_act_open_session(struct dialog *d, const char *typed, size_t len, char *out, size_t cap)
{
    const char *wire, *near, *why = NULL;
    char shown[BP_PHASE_MAX * 2 + 2];
    out[0] = '\0';
    cli_printable((const uint8_t *)typed, len < sizeof shown - 1 ? len : sizeof shown - 1, shown, sizeof shown);
    if (words_phase(typed, len, &wire, &near)) {
        if (near)
            snprintf(out, cap, _("« %s » n'est pas une phase. Vouliez-vous dire « %s » ? Tapez /seance %s"),
                     shown, near, near);
        else
            snprintf(out, cap, _("/seance demande une phase : %s"), BP_PHASE_LIST);
        return 1;
    }
    if (dialog_hours_open(d, wire, &why)) {
        snprintf(out, cap, _("Impossible d'ouvrir une séance : %s"), why);
        return 1;
    }
    return 0;
}

int room_act_close_session(struct dialog *d, char *out, size_t cap)
{
    const char *why = NULL;
    out[0] = '\0';
    if (!dialog_hours_close(d, &why))
        return 0;
    snprintf(out, cap, _("Impossible de clore la séance : %s"), why);
    return 1;
}

int room_act_say(struct dialog *d, const char *text, size_t len, char *out, size_t cap)
{
    const char *why = NULL;
    out[0] = '\0';
    int rc = dialog_say(d, text, len, &why);
    if (rc < 0) {
        snprintf(out, cap, "%s", why);
        return -1;
    }
    if (rc == SAY_WAIT_E2E)
        snprintf(out, cap, "%s", _("(en attente du chiffrement)"));
    else if (rc == SAY_WAIT_PEER)
        snprintf(out, cap, "%s", _("(en attente d'un autre participant)"));
    else if (rc == SAY_WAIT_FLOW)
        snprintf(out, cap, "%s",
                 _("(en attente : un participant reçoit lentement ; votre message partira dès que "
                   "possible)"));
    return out[0] ? 1 : 0;
}
