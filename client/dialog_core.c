/* dialog_core.c: the services every job of the dialog uses (see
 * dialog_core.h): sending a validated message, printing a room line,
 * failing and ending, and questions about the roster.
 *
 * Messages we send are validated too, so that a bug shows as a clear
 * local error rather than as a server rejection. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "dialog_core.h"
#include "i18n.h"
#include "proto_words.h"
#include "util.h"

void dialog_print(struct dialog *d, const char *fmt, ...)
{
    if (!d->machine)
        return;
    va_list ap;
    va_start(ap, fmt);
    vfprintf(d->out, fmt, ap);
    va_end(ap);
    fflush(d->out);
}

void dialog_end(struct dialog *d, int code)
{
    if (d->finished)
        return;
    d->finished = 1;
    d->exit_code = code;
    d->st = ST_DONE;
}

void dialog_fail(struct dialog *d, const char *what, const char *detail)
{
    fprintf(d->err, "%s%s%s%s\n", _("bilan : "), what, detail ? " : " : "", detail ? detail : "");
    dialog_end(d, EXIT_NETWORK);
}

int dialog_send(struct dialog *d, json_t *obj)
{
    struct bp_verr e;
    if (!obj) {
        dialog_fail(d, _("mémoire insuffisante"), NULL);
        return BP_E_NOMEM;
    }
    if (bp_msg_validate(obj, BP_TO_SERVER, NULL, &e)) {
        json_decref(obj);
        dialog_fail(
            d,
            _("erreur interne de Bilan (un message mal formé) : réessayez, et si cela recommence, "
              "signalez-le"),
            e.detail);
        return e.code;
    }
    char *txt = json_dumps(obj, JSON_COMPACT);
    json_decref(obj);
    if (!txt) {
        dialog_fail(d, _("mémoire insuffisante"), NULL);
        return BP_E_NOMEM;
    }
    size_t len = strlen(txt);
    int rc = d->tp && d->tp->send_text ? d->tp->send_text(d->tp_ctx, txt, len) : BP_E_WRONG_STATE;
    if (rc == 0)
        d->text_out += len;
    OPENSSL_cleanse(txt, len); /* may carry a token or a signature */
    free(txt);
    if (rc)
        dialog_fail(d, _("impossible d'envoyer un message au serveur"), proto_err_words(rc));
    return rc;
}

int dialog_in_room(const struct dialog *d)
{
    return d->st == ST_IN_ROOM || d->st == ST_LEAVING;
}

int dialog_member_count(const struct dialog *d)
{
    int c = 0;
    for (int i = 0; i < BP_MAX_MEMBERS; i++)
        c += d->room.members[i].present;
    return c;
}

int dialog_others(const struct dialog *d)
{
    int c = 0;
    for (int i = 0; i < BP_MAX_MEMBERS; i++)
        c += d->room.members[i].present && i != d->room.slot;
    return c;
}

int dialog_other_consultant(const struct dialog *d)
{
    for (int i = 0; i < BP_MAX_MEMBERS; i++)
        if (i != d->room.slot && d->room.members[i].present &&
            d->room.members[i].role == BP_ROLE_CONSULTANT)
            return 1;
    return 0;
}

size_t dialog_roster_attend(const struct dialog *d, struct attend_member *out)
{
    size_t n = 0;
    for (int i = 0; i < BP_MAX_MEMBERS; i++) {
        if (!d->room.members[i].present)
            continue;
        memcpy(out[n].device, d->room.members[i].fp, BP_FP_LEN);
        out[n].consultant = d->room.members[i].role == BP_ROLE_CONSULTANT;
        n++;
    }
    return n;
}

int dialog_device_fp(const char *b64, uint8_t fp[BP_FP_LEN])
{
    return bp_b64_decode_exact(b64, fp, BP_FP_LEN);
}

int64_t dialog_wall(const struct dialog *d, uint64_t now)
{
    return (int64_t)now + d->hours.wall_offset_ms;
}

void dialog_note_rtt(struct dialog *d, uint64_t sent, uint64_t now)
{
    if (sent && now >= sent && (int64_t)(now - sent) > d->hours.rtt_ms)
        d->hours.rtt_ms = (int64_t)(now - sent);
}
