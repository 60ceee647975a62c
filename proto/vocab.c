/* vocab.c: roles and phases, their wire names and labels (see bp/vocab.h).
 * The phases are the three of article R.6313-4 of the Code du travail and
 * the follow-up interview. */
#include "bp/vocab.h"

#include <string.h>

static const char *const ROLE_NAMES[BP_ROLE_COUNT] = {"none", "consultant", "beneficiary"};
static const char *const ROLE_FR[BP_ROLE_COUNT] = {"?", "Consultante / consultant", "Bénéficiaire"};
static const char *const ROLE_EN[BP_ROLE_COUNT] = {"?", "Consultant", "Beneficiary"};

static const char *const PHASE_NAMES[BP_PHASE_COUNT] = {
    "preliminaire", "investigation", "conclusion", "suivi",
};
static const char *const PHASE_FR[BP_PHASE_COUNT] = {
    "Phase préliminaire", "Phase d'investigation", "Phase de conclusion", "Entretien de suivi",
};
static const char *const PHASE_EN[BP_PHASE_COUNT] = {
    "Preliminary phase", "Investigation phase", "Conclusion phase", "Follow-up interview",
};

static int lookup(const char *const *names, int count, int first, const char *s, size_t len)
{
    if (!s)
        return -1;
    for (int i = first; i < count; i++)
        if (strlen(names[i]) == len && !memcmp(names[i], s, len))
            return i;
    return -1;
}

const char *bp_role_name(int r) { return r > 0 && r < BP_ROLE_COUNT ? ROLE_NAMES[r] : "none"; }

int bp_role_parse(const char *s, size_t len)
{
    int r = lookup(ROLE_NAMES, BP_ROLE_COUNT, 1, s, len);
    return r < 0 ? BP_ROLE_NONE : r;
}

const char *bp_role_label(int r, int english)
{
    if (r <= 0 || r >= BP_ROLE_COUNT)
        return "?";
    return english ? ROLE_EN[r] : ROLE_FR[r];
}

const char *bp_phase_name(int p) { return p >= 0 && p < BP_PHASE_COUNT ? PHASE_NAMES[p] : "?"; }

int bp_phase_parse(const char *s, size_t len) { return lookup(PHASE_NAMES, BP_PHASE_COUNT, 0, s, len); }

const char *bp_phase_label(int p, int english)
{
    if (p < 0 || p >= BP_PHASE_COUNT)
        return "?";
    return english ? PHASE_EN[p] : PHASE_FR[p];
}
