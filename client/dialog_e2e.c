/* dialog_e2e.c: end-to-end encryption's glue (see dialog_e2e.h); e2e_room.c
 * does the work. */
#include <string.h>

#include "dialog_e2e.h"
#include "e2e_room.h"
#include "i18n.h"

static int io_send(void *ctx, int to, json_t *body)
{
    struct dialog *d = ctx;
    if (!dialog_in_room(d)) {
        json_decref(body);
        return BP_E_WRONG_STATE;
    }
    return dialog_send(d, json_pack("{s:s, s:i, s:o}", "type", "e2e", "to", to, "body", body));
}

static void io_line(void *ctx, const char *text)
{
    dialog_print(ctx, "%s\n", text);
}

/* A fact about a pair, in words for the person (room_news.h). */
static void io_news(void *ctx, enum e2e_news what, int slot, const char *code)
{
    struct dialog *d = ctx;
    struct room_news *n = &d->news;
    char who[160], subject[160];
    room_news_who(n, slot, WHO_OBJECT, who, sizeof who);
    room_news_who(n, slot, WHO_SUBJECT, subject, sizeof subject);
    switch (what) {
    case E2E_NEWS_CODE:
    case E2E_NEWS_CODE_ASK:
        room_news_code(n, slot, code ? code : "", what == E2E_NEWS_CODE_ASK);
        return;
    case E2E_NEWS_INVITE:
        room_news_trust(n, slot, ROOM_TRUST_INVITE);
        return;
    case E2E_NEWS_KNOWN:
        room_news_trust(n, slot, ROOM_TRUST_KNOWN);
        return;
    case E2E_NEWS_VERIFIED:
        room_news_trust(n, slot, ROOM_TRUST_VERIFIED);
        return;
    case E2E_NEWS_BLOCKED:
        room_news_say(n, ROOM_LINE_WARNING,
                      _("Tant que le code n'est pas confirmé, rien n'est envoyé : comparez-le à voix "
                        "haute avec %s, puis tapez /oui."),
                      who);
        return;
    case E2E_NEWS_OTHER_INVITE:
        room_news_say(n, ROOM_LINE_NOTICE,
                      _("%s a utilisé une autre invitation de ce bilan. Ce n'est pas une alerte : "
                        "comparez le code à voix haute."),
                      subject);
        return;
    case E2E_NEWS_CHANGED_KEY:
        room_news_say(n, ROOM_LINE_WARNING,
                      _("ATTENTION : %s n'utilise pas l'appareil connu jusqu'ici. Rien n'est "
                        "échangé tant que le code n'est pas confirmé à voix haute."),
                      subject);
        return;
    case E2E_NEWS_REJECTED_BY_US:
        room_news_refused(n, slot, ROOM_REFUSED_BY_US);
        return;
    case E2E_NEWS_REJECTED_BY_PEER:
        room_news_refused(n, slot, ROOM_REFUSED_BY_PEER);
        return;
    case E2E_NEWS_FAILED:
    case E2E_NEWS_ENDED_BY_PEER:
        room_news_refused(n, slot, ROOM_REFUSED_OTHER);
        /* The reason is a French source sentence of e2e_pair.c (N_()), said
         * from the side of the device that gave it. */
        if (code && *code)
            room_news_say(n, ROOM_LINE_NOTICE,
                          what == E2E_NEWS_FAILED ? _("Raison : %s.")
                                                  : _("Raison donnée par l'autre appareil : %s."),
                          _(code));
        if (code && strstr(code, "interception"))
            room_news_say(n, ROOM_LINE_WARNING, "%s",
                          _("Quelqu'un s'est peut-être placé entre vous : ne continuez pas, et "
                            "prévenez votre consultante ou votre consultant par téléphone."));
        return;
    }
}

/* An opened frame (possibly held until its key came): to its kind's sink. */
static void io_frame(void *ctx, const uint8_t *frame, size_t len, uint64_t now_ms)
{
    struct dialog *d = ctx;
    if (dialog_in_room(d))
        mux_deliver(&d->mux, frame, len, now_ms);
}

void dialog_e2e_attach(struct dialog *d)
{
    if (!d->e2e)
        return;
    d->e2e->io.ctx = d;
    d->e2e->io.send = io_send;
    d->e2e->io.line = io_line;
    d->e2e->io.news = io_news;
    d->e2e->io.frame = io_frame;
    d->mux.e2e = d->e2e;
}

int dialog_e2e_joined(struct dialog *d, const json_t *m, uint64_t now)
{
    if (!d->e2e)
        return 0;
    if (e2e_joined(d->e2e, d->bilan, d->room.slot, now)) {
        dialog_fail(
            d,
            _("impossible de préparer le chiffrement de bout en bout (OpenSSL) : quittez puis "
              "rejoignez la salle"),
            NULL);
        return -1;
    }
    size_t i;
    json_t *mb;
    json_array_foreach(json_object_get(m, "members"), i, mb)
    {
        int slot = (int)bp_int(mb, "slot", -1);
        const char *role = bp_str(mb, "role", "");
        uint8_t fp[BP_FP_LEN];
        /* The roster was checked member by member (dialog_room_joined). */
        if (slot >= 0 && slot < BP_MAX_MEMBERS && slot != d->room.slot &&
            !dialog_device_fp(bp_str(mb, "device", ""), fp))
            e2e_member(d->e2e, slot, fp, bp_role_parse(role, strlen(role)), 0, now);
    }
    return 0;
}

void dialog_e2e_member_joined(struct dialog *d, int slot, const json_t *m, uint64_t now)
{
    uint8_t fp[BP_FP_LEN];
    const char *role = bp_str(m, "role", "");
    if (d->e2e && !dialog_device_fp(bp_str(m, "device", ""), fp))
        e2e_member(d->e2e, slot, fp, bp_role_parse(role, strlen(role)), 1, now);
}

void dialog_e2e_member_left(struct dialog *d, int slot, uint64_t now)
{
    if (d->e2e)
        e2e_member_left(d->e2e, slot, now);
}

void dialog_e2e_body(struct dialog *d, const json_t *m, uint64_t now)
{
    uint8_t fp[BP_FP_LEN];
    if (!d->e2e || !dialog_in_room(d) || dialog_device_fp(bp_str(m, "device", ""), fp))
        return;
    e2e_on_body(d->e2e, (int)bp_int(m, "from", 0), fp, json_object_get(m, "body"), now);
}

void dialog_e2e_tick(struct dialog *d, uint64_t now)
{
    if (d->e2e)
        e2e_tick(d->e2e, now);
}

void dialog_e2e_leave(struct dialog *d)
{
    if (d->e2e)
        e2e_leave(d->e2e); /* forward secrecy: the ephemeral and media keys go now */
}

int dialog_sas_answer(struct dialog *d, int slot, int confirmed, uint64_t now_ms)
{
    if (!d->e2e || !dialog_in_room(d))
        return 0;
    int n = 0;
    for (int i = 0; i < BP_MAX_MEMBERS; i++) {
        if ((slot >= 0 && i != slot) || !e2e_sas_pending(d->e2e, i))
            continue;
        e2e_sas_decide(d->e2e, i, confirmed, now_ms);
        n++;
    }
    return n;
}
