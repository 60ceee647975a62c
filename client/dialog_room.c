/* dialog_room.c: the roster, the room lines, the flow hold, our leave and
 * the person's chat lines (see dialog_room.h). */
#include <string.h>

#include <openssl/crypto.h>

#include "bp/kinds.h"
#include "dialog_room.h"
#include "e2e_room.h"
#include "i18n.h"
#include "util.h"

/* A member of joined's roster, checked: slot, device, role and the
 * optional count of beneficiary devices. */
static int member_ok(const json_t *mb, int *slot, const char **device, int *role)
{
    const json_t *js = json_object_get(mb, "slot"), *jd = json_object_get(mb, "device"),
                 *jr = json_object_get(mb, "role");
    uint8_t tmp[BP_FP_LEN];
    if (!json_is_integer(js) || json_integer_value(js) < 0 ||
        json_integer_value(js) >= BP_MAX_MEMBERS || !json_is_string(jd) ||
        bp_b64_decode_exact(json_string_value(jd), tmp, sizeof tmp) || !json_is_string(jr))
        return 0;
    int r = bp_role_parse(json_string_value(jr), json_string_length(jr));
    if (r == BP_ROLE_NONE)
        return 0;
    const json_t *jn = json_object_get(mb, "beneficiary_devices");
    if (jn &&
        (!json_is_integer(jn) || json_integer_value(jn) < 1 || json_integer_value(jn) > 1000000))
        return 0;
    const json_t *jname = json_object_get(mb, "name");
    if (jname && (!json_is_string(jname) || json_string_length(jname) < 1 ||
                  json_string_length(jname) > BP_NAME_MAX))
        return 0;
    *slot = (int)json_integer_value(js);
    *device = json_string_value(jd);
    *role = r;
    return 1;
}

/* A consultant's name (PROTOCOL.md §3.2, member object) as text to show:
 * control characters and bad UTF-8 dropped; "" when absent. */
static void member_name(const json_t *mb, char out[ROOM_NAME_MAX + 1])
{
    const json_t *jn = json_object_get(mb, "name");
    out[0] = '\0';
    if (json_is_string(jn))
        cli_printable((const uint8_t *)json_string_value(jn), json_string_length(jn), out,
                      ROOM_NAME_MAX + 1);
}

static void set_member(struct dialog *d, int slot, const char *device, int role)
{
    struct dialog_member *mb = &d->room.members[slot];
    mb->present = 1;
    mb->role = role;
    cli_device_short(device, mb->device);
    if (bp_b64_decode_exact(device, mb->fp, BP_FP_LEN))
        memset(mb->fp, 0, BP_FP_LEN);
    int c = dialog_member_count(d);
    if (c > d->room.max_members)
        d->room.max_members = c;
}

/* A beneficiary member of a bilan that has more than one beneficiary device
 * (PROTOCOL.md §3.2, beneficiary_devices): one of them may be someone who
 * got hold of an invite, and only the people can tell. Loud for the
 * consultant, who asks; the beneficiary is told too, since it knows its own
 * devices. */
static void warn_devices(struct dialog *d, int slot, const json_t *mb)
{
    const json_t *jn = json_object_get(mb, "beneficiary_devices");
    long long n = json_is_integer(jn) ? (long long)json_integer_value(jn) : 0;
    if (n < 2 || slot == d->room.slot || d->room.members[slot].role != BP_ROLE_BENEFICIARY)
        return;
    const char *dev = d->room.members[slot].device;
    if (d->room.role == BP_ROLE_CONSULTANT) {
        dialog_print(d,
                     "[room] ATTENTION slot=%d beneficiary_devices=%lld device=%s: "
                     "second beneficiary device\n",
                     slot, n, dev);
        room_news_say(&d->news, ROOM_LINE_WARNING,
                      _("ATTENTION : un deuxième appareil utilise l'invitation du bénéficiaire "
                        "(%lld appareils pour ce bilan). Demandez au bénéficiaire si l'appareil "
                        "%s est bien le sien ; sinon, quittez la salle (/quitter) et prévenez "
                        "l'administrateur."),
                      n, dev);
    } else {
        dialog_print(d,
                     "[room] ATTENTION slot=%d beneficiary_devices=%lld: another device with an "
                     "invite of this bilan\n",
                     slot, n);
        room_news_say(&d->news, ROOM_LINE_WARNING,
                      _("ATTENTION : un autre appareil est entré avec une invitation de ce bilan "
                        "(%lld appareils). S'il n'est pas à vous, dites-le tout de suite à votre "
                        "consultante ou votre consultant."),
                      n);
    }
}

/* A member whose device said it is the browser client (PROTOCOL.md §3.2,
 * member object's browser): the same encryption, but the page's code comes
 * from the server each time, so a server run by someone else could change
 * it. Said to the person, once per arrival; the machine line for scripts. */
static void note_browser(struct dialog *d, int slot, const json_t *mb)
{
    if (!json_is_true(json_object_get(mb, "browser")) || slot == d->room.slot)
        return;
    dialog_print(d, "[room] browser slot=%d\n", slot);
    if (d->room.members[slot].role == BP_ROLE_BENEFICIARY)
        room_news_say(&d->news, ROOM_LINE_NOTICE,
                      _("Le bénéficiaire est connecté depuis un navigateur web, sans l'application. "
                        "Le chiffrement de bout en bout est le même, mais le code de la page vient du "
                        "serveur à chaque visite : si l'application Bilan peut être installée, elle "
                        "reste la plus sûre."));
    else
        room_news_say(&d->news, ROOM_LINE_NOTICE,
                      _("Cet appareil est connecté depuis un navigateur web, sans l'application."));
}

int dialog_room_joined(struct dialog *d, const json_t *m, uint64_t now)
{
    if (d->st != ST_JOINING) {
        dialog_fail(d, _("le serveur a envoyé « joined » à contretemps"), NULL);
        return -1;
    }
    const json_t *arr = json_object_get(m, "members");
    dialog_note_rtt(d, d->req.join_sent_ms, now);
    d->room.slot = (int)bp_int(m, "slot", 0);
    const char *role = bp_str(m, "role", "");
    d->room.role = bp_role_parse(role, strlen(role));
    snprintf(d->bilan, sizeof d->bilan, "%s", bp_str(m, "bilan", ""));
    memset(d->room.members, 0, sizeof d->room.members);
    size_t i;
    json_t *mb;
    json_array_foreach(arr, i, mb)
    {
        int slot, r;
        const char *dev;
        if (!member_ok(mb, &slot, &dev, &r)) {
            dialog_fail(d, _("le serveur a envoyé un participant invalide dans « joined »"), NULL);
            return -1;
        }
        set_member(d, slot, dev, r);
    }
    if (!d->room.members[d->room.slot].present) { /* the roster includes us; be lenient if not */
        uint8_t fp[BP_FP_LEN];
        char fp64[BP_B64_32 + 1];
        bp_fingerprint(d->id->sign_pub, d->id->dh_pub, fp);
        bp_b64_encode(fp, sizeof fp, fp64);
        set_member(d, d->room.slot, fp64, d->room.role);
    }
    d->st = ST_IN_ROOM;
    /* A hold never outlives a visit (PROTOCOL.md §4). */
    unsigned nk;
    const struct bp_kind_info *k = bp_kinds(&nk);
    for (unsigned x = 0; x < nk; x++)
        mux_hold(&d->mux, k[x].kind, 0);
    d->flow.held_slot = -1;
    d->mux.slot = (uint8_t)d->room.slot;
    if (d->rx)
        d->rx->self_slot = d->room.slot;
    dialog_print(d, "[room] joined bilan=%s slot=%d role=%s members=%d\n", d->bilan, d->room.slot,
                 bp_role_name(d->room.role), dialog_member_count(d));
    room_news_joined(&d->news, d->room.slot, d->room.role);
    for (int s = 0; s < BP_MAX_MEMBERS; s++)
        if (d->room.members[s].present && s != d->room.slot)
            dialog_print(d, "[room] member slot=%d role=%s device=%s\n", s,
                         bp_role_name(d->room.members[s].role), d->room.members[s].device);
    json_array_foreach(arr, i, mb)
    {
        int slot, r;
        const char *dev;
        char name[ROOM_NAME_MAX + 1];
        if (!member_ok(mb, &slot, &dev, &r) || slot == d->room.slot)
            continue;
        member_name(mb, name);
        room_news_member(&d->news, slot, r, name, 0);
        warn_devices(d, slot, mb);
        note_browser(d, slot, mb);
    }
    return 0;
}

int dialog_room_member_joined(struct dialog *d, const json_t *m)
{
    if (!dialog_in_room(d))
        return -1;
    int slot = (int)bp_int(m, "slot", 0);
    if (slot == d->room.slot)
        return -1;
    mux_slot_taken(&d->mux, (uint8_t)slot); /* a transfer of the slot's last sender ends first */
    const char *role = bp_str(m, "role", "");
    set_member(d, slot, bp_str(m, "device", ""), bp_role_parse(role, strlen(role)));
    dialog_print(d, "[room] + slot=%d role=%s device=%s\n", slot,
                 bp_role_name(d->room.members[slot].role), d->room.members[slot].device);
    char name[ROOM_NAME_MAX + 1];
    member_name(m, name);
    room_news_member(&d->news, slot, d->room.members[slot].role, name, 1);
    warn_devices(d, slot, m);
    note_browser(d, slot, m);
    return slot;
}

int dialog_room_member_left(struct dialog *d, const json_t *m)
{
    if (!dialog_in_room(d))
        return -1;
    int slot = (int)bp_int(m, "slot", 0);
    if (slot == d->room.slot)
        return -1;
    char reason[40];
    const char *r = bp_str(m, "reason", "");
    cli_printable((const uint8_t *)r, strlen(r), reason, sizeof reason);
    d->room.members[slot].present = 0;
    dialog_print(d, "[room] - slot=%d role=%s reason=%s\n", slot, bp_str(m, "role", ""), reason);
    room_news_member_left(&d->news, slot, reason);
    return slot;
}

/* flow {kind, state, slot?} (PROTOCOL.md §4 "Queues"): the server holds our
 * data while a member's queue is past its budget. Kinds and states this
 * version does not know are ignored, as the protocol asks. */
void dialog_room_flow(struct dialog *d, const json_t *m)
{
    const struct bp_kind_info *data = bp_kind_info(BP_KIND_DATA);
    if (!dialog_in_room(d) || strcmp(bp_str(m, "kind", ""), data->name))
        return;
    const char *state = bp_str(m, "state", "");
    if (!strcmp(state, "hold")) {
        if (mux_held(&d->mux, data->kind))
            return;
        mux_hold(&d->mux, data->kind, 1);
        d->flow.held_slot = (int)bp_int(m, "slot", -1);
        d->flow.holds++;
        if (d->flow.held_slot >= 0)
            dialog_print(d,
                         "[room] sending paused: slot=%d receives slowly; chat lines and files "
                         "wait, nothing is lost\n",
                         d->flow.held_slot);
        else
            dialog_print(d, "[room] sending paused: a member receives slowly; chat lines and "
                            "files wait, nothing is lost\n");
        room_news_flow(&d->news, 1);
    } else if (!strcmp(state, "go")) {
        if (!mux_held(&d->mux, data->kind))
            return;
        mux_hold(&d->mux, data->kind, 0);
        d->flow.held_slot = -1;
        dialog_print(d, "[room] sending resumed\n");
        room_news_flow(&d->news, 0);
    }
}

void dialog_room_leave(struct dialog *d, int code, uint64_t now)
{
    if (d->st != ST_IN_ROOM)
        return;
    d->script.pending_exit = code;
    d->st = ST_LEAVING;
    d->script.leave_deadline = now + DIALOG_LEAVE_WAIT_MS;
    dialog_send(d, json_pack("{s:s}", "type", "leave"));
}

int dialog_say(struct dialog *d, const char *text, size_t len, const char **why)
{
    if (!d->tx || d->finished || d->st == ST_LEAVING) {
        *why = _("vous quittez la salle : la ligne n'a pas été envoyée");
        return BP_E_WRONG_STATE;
    }
    if (len < 1 || len > BP_CHAT_MAX || memchr(text, '\0', len) ||
        !bp_utf8_valid((const uint8_t *)text, len)) {
        *why = _("une ligne doit faire de 1 à 4096 octets de texte UTF-8 : elle n'a pas été envoyée");
        return BP_E_INVALID_FIELD;
    }
    if (datatx_pending(d->tx) >= DIALOG_SAY_QUEUE) {
        *why = _("64 lignes attendent déjà de partir : celle-ci n'a pas été envoyée");
        return BP_E_NOMEM;
    }
    char copy[BP_CHAT_MAX + 1];
    memcpy(copy, text, len);
    copy[len] = '\0';
    int rc = datatx_add_chat(d->tx, copy, why);
    OPENSSL_cleanse(copy, len);
    if (rc)
        return rc;
    if (d->st != ST_IN_ROOM || !dialog_others(d))
        return SAY_WAIT_PEER;
    if (d->e2e && !e2e_can_send(d->e2e))
        return SAY_WAIT_E2E;
    if (mux_held(&d->mux, BP_KIND_DATA))
        return SAY_WAIT_FLOW;
    return SAY_SENDING;
}

/* /qui in words: everyone present, by name. */
static void say_members(struct dialog *d)
{
    char line[ROOM_LINE_MAX], who[200];
    size_t n = 0;
    line[0] = '\0';
    for (int k = 0; k < BP_MAX_MEMBERS; k++) {
        if (!d->room.members[k].present)
            continue;
        room_news_who(&d->news, k, WHO_INTRO, who, sizeof who);
        int w = snprintf(line + n, sizeof line - n, "%s%s", n ? _(" ; ") : "", who);
        if (w < 0 || (size_t)w >= sizeof line - n)
            break;
        n += (size_t)w;
    }
    room_news_say(&d->news, ROOM_LINE_NOTICE, _("Dans la salle (%d) : %s."),
                  dialog_member_count(d), line);
}

void dialog_print_members(struct dialog *d)
{
    if (!dialog_in_room(d)) {
        dialog_print(d, "[room] not in the room yet\n");
        room_news_say(&d->news, ROOM_LINE_NOTICE, "%s", _("Vous n'êtes pas encore dans la salle."));
        return;
    }
    say_members(d);
    dialog_print(d, "[room] members=%d slot=%d role=%s (you)\n", dialog_member_count(d),
                 d->room.slot, bp_role_name(d->room.role));
    for (int k = 0; k < BP_MAX_MEMBERS; k++)
        if (d->room.members[k].present && k != d->room.slot)
            dialog_print(d, "[room] member slot=%d role=%s device=%s\n", k,
                         bp_role_name(d->room.members[k].role), d->room.members[k].device);
}
