/* dialog.c: the client protocol state machine (see dialog.h).
 *
 * Every message from the server is validated by bp_msg_parse before this
 * file looks at it; a message of a type we do not know is ignored (the
 * protocol lets servers add types), an invalid one ends the session as a
 * protocol failure. Messages we send are validated too, so a bug here shows
 * as a clear local error rather than as a server rejection. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "bp/data.h"
#include "hours.h"
#include "dialog.h"
#include "util.h"

#define LEAVE_WAIT_MS 5000

void dialog_init(struct dialog *s)
{
    memset(s, 0, sizeof *s);
    s->out = stdout;
    s->err = stderr;
    s->mode = DIALOG_AUTH;
    s->goal = GOAL_WELCOME;
    s->st = ST_CONNECTING;
    s->slot = -1;
    s->held_slot = -1;
    s->setup_timeout_ms = 30000;
}

int dialog_member_count(const struct dialog *s)
{
    int c = 0;
    for (int i = 0; i < BP_MAX_MEMBERS; i++)
        c += s->members[i].present;
    return c;
}

static int others(const struct dialog *s)
{
    int c = 0;
    for (int i = 0; i < BP_MAX_MEMBERS; i++)
        c += s->members[i].present && i != s->slot;
    return c;
}

static void attend_out(struct dialog *s, uint64_t now);
static void attend_update(struct dialog *s, int lost, uint64_t now);
static struct attend_obs *obs_find(struct dialog *s, const char *id);
static void attend_save(struct dialog *s, struct attend_obs *o, uint64_t now);

void dialog_finish(struct dialog *s, int code)
{
    if (s->finished)
        return;
    attend_out(s, s->now_seen);
    s->finished = 1;
    s->exit_code = code;
    s->st = ST_DONE;
    if (s->rx)
        datarx_free(s->rx, "transfer interrupted: we left the room");
    if (s->e2e)
        e2e_leave(s->e2e); /* forward secrecy: the ephemeral and media keys go now */
    free(s->scratch);
    s->scratch = NULL;
    if (s->hooks && s->hooks->close)
        s->hooks->close(s->hooks->ctx);
}

static void outline(struct dialog *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void outline(struct dialog *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfprintf(s->out, fmt, ap);
    va_end(ap);
    fflush(s->out);
}

static void protocol_failure(struct dialog *s, const char *what, const char *detail)
{
    fprintf(s->err, "bilan: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    dialog_finish(s, EXIT_NETWORK);
}

/* Validates obj as a client message, serialises and queues it; takes obj. */
static int send_msg(struct dialog *s, json_t *obj)
{
    struct bp_verr e;
    if (!obj) {
        protocol_failure(s, "out of memory", NULL);
        return BP_E_NOMEM;
    }
    if (bp_msg_validate(obj, BP_TO_SERVER, NULL, &e)) {
        json_decref(obj);
        protocol_failure(s, "internal error: built an invalid message", e.detail);
        return e.code;
    }
    char *txt = json_dumps(obj, JSON_COMPACT);
    json_decref(obj);
    if (!txt) {
        protocol_failure(s, "out of memory", NULL);
        return BP_E_NOMEM;
    }
    size_t len = strlen(txt);
    int rc = s->hooks->send_text(s->hooks->ctx, txt, len);
    OPENSSL_cleanse(txt, len); /* may carry a token or a signature */
    free(txt);
    if (rc)
        protocol_failure(s, "cannot queue a message to the server", bp_err_message(rc));
    return rc;
}

static void do_leave(struct dialog *s, int code, uint64_t now)
{
    if (s->st != ST_IN_ROOM)
        return;
    s->pending_exit = code;
    s->st = ST_LEAVING;
    s->leave_deadline = now + LEAVE_WAIT_MS;
    send_msg(s, json_pack("{s:s}", "type", "leave"));
}

/* Our close, the record of a closed session or our receipt's ack is due. */
static int hours_waiting(const struct dialog *s)
{
    return s->closing || s->await_record || s->await_ok;
}

/* Leaving: with --close-session and a session open, close it first and
 * leave once its record is signed and acknowledged (or after
 * DIALOG_HOURS_WAIT_MS). */
static void start_leave(struct dialog *s, int code, uint64_t now)
{
    if (s->st != ST_IN_ROOM)
        return;
    if (hours_waiting(s)) {
        if (!s->leave_after)
            s->pending_exit = code;
        s->leave_after = 1;
        return;
    }
    if (s->close_on_leave && s->hs_session[0] && !strcmp(s->role, "consultant")) {
        s->closing = 1;
        s->leave_after = 1;
        s->pending_exit = code;
        s->hours_deadline = now + DIALOG_HOURS_WAIT_MS;
        send_msg(s, json_pack("{s:s, s:s}", "type", "session_close", "ref", "session_close"));
        return;
    }
    do_leave(s, code, now);
}

static int expectations_met(const struct dialog *s)
{
    return s->got_files >= s->expect_files && s->got_chat >= s->expect_chat &&
           s->max_members >= s->expect_members;
}

static int sends_done(const struct dialog *s)
{
    return !s->tx || datatx_done(s->tx);
}

/* Leaving right after the last lws_write could leave our last frames in
 * transit when the server sees the leave; so before leaving we ask for
 * stats until the server has accepted every frame we sent (frames_in). */
static void ask_stats(struct dialog *s, uint64_t now)
{
    if (s->stats_pending)
        return;
    s->stats_pending = 1;
    s->stats_asked_ms = now;
    send_msg(s, json_pack("{s:s}", "type", "stats"));
}

/* A consultant other than this device is in the room (it may close the
 * session). */
static int other_consultant(const struct dialog *s)
{
    for (int i = 0; i < BP_MAX_MEMBERS; i++)
        if (i != s->slot && s->members[i].present && !strcmp(s->members[i].role, "consultant"))
            return 1;
    return 0;
}

static void check_progress(struct dialog *s, uint64_t now)
{
    if (s->st != ST_IN_ROOM || !s->scripted || !expectations_met(s) || !sends_done(s))
        return;
    /* Stay to sign the receipt of the open session, which the consultant
     * present will close (bounded by --timeout). */
    if (s->hs_session[0] && !s->close_on_leave && other_consultant(s))
        return;
    if (hours_waiting(s))
        return;
    if (s->frames_accepted < s->seq || (s->want_relay_stats && !s->got_stats)) {
        ask_stats(s, now);
        return;
    }
    start_leave(s, EXIT_OK_, now);
}

static void on_stats(struct dialog *s, const json_t *m, uint64_t now)
{
    s->stats_pending = 0;
    s->got_stats = 1;
    s->relay_frames_out = bp_int(m, "frames_out", 0);
    s->relay_dropped_video = bp_int(m, "dropped_video", 0);
    s->relay_queued_bytes = bp_int(m, "queued_bytes", 0);
    long long in = bp_int(m, "frames_in", 0);
    if (in > (long long)s->frames_accepted)
        s->frames_accepted = in > (long long)UINT32_MAX ? UINT32_MAX : (uint32_t)in;
    if (s->frames_accepted >= s->seq)
        check_progress(s, now);
    /* else session_tick asks again shortly */
}

/* ---- end-to-end encryption glue (client/e2e.c does the work) ---- */

static int e2e_io_send(void *ctx, int to, json_t *body)
{
    struct dialog *s = ctx;
    if (s->st != ST_IN_ROOM && s->st != ST_LEAVING) {
        json_decref(body);
        return BP_E_WRONG_STATE;
    }
    return send_msg(s, json_pack("{s:s, s:i, s:o}", "type", "e2e", "to", to, "body", body));
}

static void e2e_io_line(void *ctx, const char *text)
{
    outline((struct dialog *)ctx, "%s\n", text);
}

static void deliver_plain(struct dialog *s, const uint8_t *buf, size_t len, uint64_t now_ms);

static void e2e_io_frame(void *ctx, const uint8_t *frame, size_t len, uint64_t now_ms)
{
    deliver_plain((struct dialog *)ctx, frame, len, now_ms);
}

/* Sending may have become possible (a pair settled, a key went out). */
static void e2e_kick(struct dialog *s)
{
    if (s->e2e && s->st == ST_IN_ROOM && !sends_done(s) && e2e_can_send(s->e2e))
        s->hooks->want_write(s->hooks->ctx);
}

static int device_fp(const char *b64, uint8_t fp[BP_FP_LEN])
{
    return bp_b64_decode_exact(b64, fp, BP_FP_LEN);
}

static void on_e2e(struct dialog *s, const json_t *m, uint64_t now)
{
    uint8_t fp[BP_FP_LEN];
    if (!s->e2e || (s->st != ST_IN_ROOM && s->st != ST_LEAVING) ||
        device_fp(bp_str(m, "device", ""), fp))
        return;
    e2e_on_body(s->e2e, (int)bp_int(m, "from", 0), fp, json_object_get(m, "body"), now);
    e2e_kick(s);
}

void dialog_start(struct dialog *s, uint64_t now_ms)
{
    s->now_seen = now_ms;
    if (s->e2e) {
        s->e2e->io.ctx = s;
        s->e2e->io.send = e2e_io_send;
        s->e2e->io.line = e2e_io_line;
        s->e2e->io.frame = e2e_io_frame;
    }
    if (s->timeout_ms)
        s->deadline = now_ms + s->timeout_ms;
    if (s->setup_timeout_ms)
        s->setup_deadline = now_ms + s->setup_timeout_ms;
    s->st = ST_HELLO;
    s->hello_sent_ms = now_ms;
    send_msg(s, json_pack("{s:s, s:i, s:s}", "type", "hello", "v", BP_PROTOCOL_VERSION, "client",
                          "bilan/" CLI_VERSION));
}

static void note_rtt(struct dialog *s, uint64_t sent, uint64_t now)
{
    if (sent && now >= sent && (int64_t)(now - sent) > s->rtt_ms)
        s->rtt_ms = (int64_t)(now - sent);
}

static void on_challenge(struct dialog *s, const json_t *m, uint64_t now)
{
    if (s->st != ST_HELLO) {
        protocol_failure(s, "the server sent a challenge out of turn", NULL);
        return;
    }
    note_rtt(s, s->hello_sent_ms, now);
    long long v = bp_int(m, "v", 0);
    if (v != BP_PROTOCOL_VERSION) {
        fprintf(s->err,
                "bilan: the server speaks protocol version %lld, this client %d: "
                "update the older one\n",
                v, BP_PROTOCOL_VERSION);
        {
            dialog_finish(s, EXIT_REFUSED);
            return;
        }
    }
    uint8_t nonce[BP_NONCE_LEN], msg[BP_AUTH_MSG_MAX], sig[BP_SIG_LEN];
    if (bp_b64_decode_exact(bp_str(m, "nonce", ""), nonce, sizeof nonce)) {
        protocol_failure(s, "the server sent an invalid challenge", NULL);
        return;
    }
    int enrol = s->mode == DIALOG_ENROL;
    int n = bp_auth_message(nonce, s->id->sign_pub, s->id->dh_pub, enrol ? s->token : NULL,
                            enrol ? BP_TOKEN_LEN : 0, msg);
    if (n < 0 || bp_ed25519_sign(s->id->sign_priv, msg, (size_t)n, sig)) {
        protocol_failure(s, "signing the challenge failed (OpenSSL)", NULL);
        return;
    }
    char sig64[BP_B64_64 + 1], a[BP_B64_32 + 1], b[BP_B64_32 + 1], c[BP_B64_32 + 1];
    bp_b64_encode(sig, sizeof sig, sig64);
    json_t *o;
    if (enrol) {
        bp_b64_encode(s->token, BP_TOKEN_LEN, a);
        bp_b64_encode(s->id->sign_pub, BP_KEY_LEN, b);
        bp_b64_encode(s->id->dh_pub, BP_KEY_LEN, c);
        o = json_pack("{s:s, s:s, s:s, s:s, s:s}", "type", "enrol", "token", a, "sign_pub", b,
                      "dh_pub", c, "sig", sig64);
        if (o && s->device_name[0])
            json_object_set_new(o, "device_name", json_string(s->device_name));
        OPENSSL_cleanse(a, sizeof a);
    } else {
        uint8_t fp[BP_FP_LEN];
        if (bp_fingerprint(s->id->sign_pub, s->id->dh_pub, fp)) {
            protocol_failure(s, "computing the fingerprint failed (OpenSSL)", NULL);
            return;
        }
        bp_b64_encode(fp, sizeof fp, a);
        o = json_pack("{s:s, s:s, s:s}", "type", "auth", "device", a, "sig", sig64);
    }
    s->st = ST_AUTH;
    send_msg(s, o);
}

static void on_welcome(struct dialog *s, const json_t *m, uint64_t now)
{
    if (s->st != ST_AUTH) {
        protocol_failure(s, "the server sent a welcome out of turn", NULL);
        return;
    }
    /* A server that welcomes another device is not talking to us: nothing it
     * says next (bilans, records to sign) may be taken as ours. */
    uint8_t me[BP_FP_LEN], said[BP_FP_LEN];
    if (bp_fingerprint(s->id->sign_pub, s->id->dh_pub, me) ||
        bp_b64_decode_exact(bp_str(m, "device", ""), said, BP_FP_LEN) || memcmp(me, said, BP_FP_LEN)) {
        protocol_failure(s, "the server welcomed another device than this one", NULL);
        return;
    }
    int rc = s->hooks->on_reply ? s->hooks->on_reply(s->hooks->reply_ctx, s, BP_T_WELCOME, m) : 0;
    if (rc) {
        dialog_finish(s, rc);
        return;
    }
    json_t *o = NULL;
    switch (s->goal) {
    case GOAL_WELCOME: {
        dialog_finish(s, EXIT_OK_);
        return;
    }
    case GOAL_CREATE:
        o = json_pack("{s:s, s:s}", "type", "bilan_create", "label", s->label);
        if (o && s->budget_s)
            json_object_set_new(o, "budget_s", json_integer(s->budget_s));
        if (o && s->invite_ttl_s)
            json_object_set_new(o, "invite_ttl_s", json_integer(s->invite_ttl_s));
        break;
    case GOAL_INVITE:
        o = json_pack("{s:s, s:s}", "type", "invite_create", "bilan", s->bilan);
        if (o && s->invite_ttl_s)
            json_object_set_new(o, "invite_ttl_s", json_integer(s->invite_ttl_s));
        break;
    case GOAL_LIST:
        o = json_pack("{s:s}", "type", "bilan_list");
        break;
    case GOAL_HOURS:
        o = json_pack("{s:s, s:s}", "type", "hours", "bilan", s->bilan);
        break;
    case GOAL_DECLARE:
        o = json_pack("{s:s, s:s, s:I}", "type", "personal_declare", "bilan", s->bilan, "seconds",
                      (json_int_t)s->declare_s);
        if (o && s->note[0])
            json_object_set_new(o, "note", json_string(s->note));
        break;
    case GOAL_JOIN:
        o = json_pack("{s:s, s:s}", "type", "join", "bilan", s->bilan);
        s->st = ST_JOINING;
        s->join_sent_ms = now;
        send_msg(s, o);
        return;
    }
    s->st = ST_REQUEST;
    send_msg(s, o);
}

static void on_reply(struct dialog *s, enum bp_type t, const json_t *m)
{
    if (s->st != ST_REQUEST) {
        protocol_failure(s, "the server sent an unexpected reply", bp_type_name(t));
        return;
    }
    int rc = s->hooks->on_reply ? s->hooks->on_reply(s->hooks->reply_ctx, s, t, m) : 0;
    dialog_finish(s, rc);
}

/* --open-session: once, as soon as someone else is in the room. */
static void maybe_open(struct dialog *s)
{
    if (!s->open_phase[0] || s->open_sent || s->st != ST_IN_ROOM || !others(s) || s->hs_session[0])
        return;
    s->open_sent = 1;
    send_msg(s, json_pack("{s:s, s:s, s:s}", "type", "session_open", "phase", s->open_phase, "ref",
                          "session_open"));
}

static int member_ok(const json_t *mb, int *slot, const char **device, const char **role)
{
    const json_t *js = json_object_get(mb, "slot"), *jd = json_object_get(mb, "device"),
                 *jr = json_object_get(mb, "role");
    uint8_t tmp[BP_FP_LEN];
    if (!json_is_integer(js) || json_integer_value(js) < 0 ||
        json_integer_value(js) >= BP_MAX_MEMBERS || !json_is_string(jd) ||
        bp_b64_decode_exact(json_string_value(jd), tmp, sizeof tmp) || !json_is_string(jr) ||
        (strcmp(json_string_value(jr), "consultant") &&
         strcmp(json_string_value(jr), "beneficiary")))
        return 0;
    const json_t *jn = json_object_get(mb, "beneficiary_devices");
    if (jn &&
        (!json_is_integer(jn) || json_integer_value(jn) < 1 || json_integer_value(jn) > 1000000))
        return 0;
    *slot = (int)json_integer_value(js);
    *device = json_string_value(jd);
    *role = json_string_value(jr);
    return 1;
}

static void set_member(struct dialog *s, int slot, const char *device, const char *role)
{
    struct dialog_member *mb = &s->members[slot];
    mb->present = 1;
    snprintf(mb->role, sizeof mb->role, "%s", role);
    cli_device_short(device, mb->device);
    if (bp_b64_decode_exact(device, mb->fp, BP_FP_LEN))
        memset(mb->fp, 0, BP_FP_LEN);
    int c = dialog_member_count(s);
    if (c > s->max_members)
        s->max_members = c;
}

/* A beneficiary member of a bilan that has more than one beneficiary device
 * (PROTOCOL.md §3.2, beneficiary_devices): one of them may be someone who
 * got hold of an invite, and only the people can tell. Loud for the
 * consultant, who asks; the beneficiary is told too, since it knows its own
 * devices. */
static void warn_devices(struct dialog *s, int slot, const json_t *mb)
{
    const json_t *jn = json_object_get(mb, "beneficiary_devices");
    long long n = json_is_integer(jn) ? (long long)json_integer_value(jn) : 0;
    if (n < 2 || slot == s->slot || strcmp(s->members[slot].role, "beneficiary"))
        return;
    const char *dev = s->members[slot].device;
    if (!strcmp(s->role, "consultant"))
        outline(s,
                "[room] ATTENTION slot=%d: un deuxi\xc3\xa8me appareil utilise l'invitation du "
                "b\xc3\xa9n\xc3\xa9""ficiaire (%lld appareils b\xc3\xa9n\xc3\xa9""ficiaires "
                "pour ce bilan). Demandez au b\xc3\xa9n\xc3\xa9""ficiaire si l'appareil %s est "
                "bien le sien ; sinon, quittez la salle (/quitter) et pr\xc3\xa9venez "
                "l'administrateur. (WARNING: a second device is using the beneficiary's invite: "
                "ask the beneficiary whether device %s is really theirs.)\n",
                slot, n, dev, dev);
    else
        outline(s,
                "[room] ATTENTION slot=%d: un autre appareil est entr\xc3\xa9 avec une invitation "
                "de ce bilan (%lld appareils). S'il n'est pas \xc3\xa0 vous, dites-le tout de "
                "suite au consultant. (WARNING: another device joined with an invite of this "
                "bilan; if it is not yours, tell the consultant now.)\n",
                slot, n);
}

static void on_joined(struct dialog *s, const json_t *m, uint64_t now)
{
    if (s->st != ST_JOINING) {
        protocol_failure(s, "the server sent 'joined' out of turn", NULL);
        return;
    }
    const json_t *arr = json_object_get(m, "members");
    note_rtt(s, s->join_sent_ms, now);
    s->slot = (int)bp_int(m, "slot", 0);
    snprintf(s->role, sizeof s->role, "%s", bp_str(m, "role", ""));
    snprintf(s->bilan, sizeof s->bilan, "%s", bp_str(m, "bilan", ""));
    memset(s->members, 0, sizeof s->members);
    size_t i;
    json_t *mb;
    json_array_foreach(arr, i, mb)
    {
        int slot;
        const char *dev, *role;
        if (!member_ok(mb, &slot, &dev, &role)) {
            protocol_failure(s, "the server sent an invalid member in 'joined'", NULL);
            return;
        }
        set_member(s, slot, dev, role);
    }
    if (!s->members[s->slot].present) { /* the roster includes us; be lenient if not */
        uint8_t fp[BP_FP_LEN];
        char fp64[BP_B64_32 + 1];
        bp_fingerprint(s->id->sign_pub, s->id->dh_pub, fp);
        bp_b64_encode(fp, sizeof fp, fp64);
        set_member(s, s->slot, fp64, s->role);
    }
    s->st = ST_IN_ROOM;
    s->data_held = 0; /* a hold never outlives a visit (PROTOCOL.md §4) */
    s->held_slot = -1;
    if (s->duration_ms)
        s->duration_end = now + s->duration_ms;
    outline(s, "[room] joined bilan=%s slot=%d role=%s members=%d\n", s->bilan, s->slot, s->role,
            dialog_member_count(s));
    for (int k = 0; k < BP_MAX_MEMBERS; k++)
        if (s->members[k].present && k != s->slot)
            outline(s, "[room] member slot=%d role=%s device=%s\n", k, s->members[k].role,
                    s->members[k].device);
    json_array_foreach(arr, i, mb)
    {
        int slot;
        const char *dev, *role;
        if (member_ok(mb, &slot, &dev, &role))
            warn_devices(s, slot, mb);
    }
    if (s->e2e) {
        if (e2e_joined(s->e2e, s->bilan, s->slot, now)) {
            protocol_failure(s, "cannot set up end-to-end encryption (OpenSSL)", NULL);
            return;
        }
        json_array_foreach(arr, i, mb)
        {
            int slot;
            const char *dev, *role;
            uint8_t fp[BP_FP_LEN];
            if (member_ok(mb, &slot, &dev, &role) && slot != s->slot && !device_fp(dev, fp))
                e2e_member(s->e2e, slot, fp, role, 0, now);
        }
    }
    if (others(s) && !sends_done(s))
        s->hooks->want_write(s->hooks->ctx);
    maybe_open(s);
    check_progress(s, now);
}

static void on_member_joined(struct dialog *s, const json_t *m, uint64_t now)
{
    if (s->st != ST_IN_ROOM && s->st != ST_LEAVING)
        return;
    int slot = (int)bp_int(m, "slot", 0);
    if (slot == s->slot)
        return;
    if (s->rx)
        datarx_slot_taken(s->rx, (uint8_t)slot);
    set_member(s, slot, bp_str(m, "device", ""), bp_str(m, "role", ""));
    outline(s, "[room] + slot=%d role=%s device=%s\n", slot, s->members[slot].role,
            s->members[slot].device);
    attend_update(s, 0, now);
    warn_devices(s, slot, m);
    uint8_t fp[BP_FP_LEN];
    if (s->e2e && !device_fp(bp_str(m, "device", ""), fp))
        e2e_member(s->e2e, slot, fp, bp_str(m, "role", ""), 1, now);
    if (!sends_done(s))
        s->hooks->want_write(s->hooks->ctx);
    maybe_open(s);
    check_progress(s, now);
}

static void on_member_left(struct dialog *s, const json_t *m, uint64_t now)
{
    if (s->st != ST_IN_ROOM && s->st != ST_LEAVING)
        return;
    int slot = (int)bp_int(m, "slot", 0);
    if (slot == s->slot)
        return;
    char reason[40];
    const char *r = bp_str(m, "reason", "");
    cli_printable((const uint8_t *)r, strlen(r), reason, sizeof reason);
    s->members[slot].present = 0;
    outline(s, "[room] - slot=%d role=%s reason=%s\n", slot, bp_str(m, "role", ""), reason);
    attend_update(s, !strcmp(r, "lost"), now);
    if (s->rx)
        datarx_slot_gone(s->rx, (uint8_t)slot, now);
    if (s->e2e) {
        e2e_member_left(s->e2e, slot, now);
        e2e_kick(s);
    }
}

/* flow {kind, state, slot?} (PROTOCOL.md §4 "Queues"): the server holds our
 * data while a member's queue is past its budget. Kinds and states this
 * version does not know are ignored, as the protocol asks. */
static void on_flow(struct dialog *s, const json_t *m)
{
    if ((s->st != ST_IN_ROOM && s->st != ST_LEAVING) || strcmp(bp_str(m, "kind", ""), "data"))
        return;
    const char *state = bp_str(m, "state", "");
    if (!strcmp(state, "hold")) {
        if (s->data_held)
            return;
        s->data_held = 1;
        s->held_slot = (int)bp_int(m, "slot", -1);
        s->flow_holds++;
        if (s->held_slot >= 0)
            outline(s,
                    "[room] sending paused: slot=%d receives slowly; chat lines and files wait, "
                    "nothing is lost\n",
                    s->held_slot);
        else
            outline(s, "[room] sending paused: a member receives slowly; chat lines and files "
                       "wait, nothing is lost\n");
    } else if (!strcmp(state, "go")) {
        if (!s->data_held)
            return;
        s->data_held = 0;
        s->held_slot = -1;
        outline(s, "[room] sending resumed\n");
        if (s->st == ST_IN_ROOM && !sends_done(s))
            s->hooks->want_write(s->hooks->ctx);
    }
}

static void hours_settle(struct dialog *s, uint64_t now);

static void on_error(struct dialog *s, const json_t *m, const char *ref, uint64_t now)
{
    const char *code = bp_str(m, "code", "internal");
    const char *msg = bp_str(m, "message", "");
    cli_printable((const uint8_t *)code, strlen(code), s->err_code, sizeof s->err_code);
    cli_printable((const uint8_t *)msg, strlen(msg), s->err_msg, sizeof s->err_msg);
    int fatal = json_is_true(json_object_get(m, "fatal"));
    /* A refused receipt (sent in any state) does not end the session. */
    if (!fatal && (!strncmp(ref, "receipt:", 8) || !strncmp(ref, "refusal:", 8))) {
        int k = atoi(ref + 8);
        const char *sid = k >= 0 && k < s->nreceipts ? s->receipt_refs[k] : "?";
        outline(s, "[receipt] session=%s refused: %s\n", sid, s->err_code);
        if (s->await_ok && k == s->nreceipts - 1)
            s->await_ok = 0;
        hours_settle(s, now);
        return;
    }
    if (!fatal && s->closing && !strcmp(ref, "session_close")) {
        /* e.g. wrong_state: the room emptied and closed it meanwhile */
        outline(s, "[error] code=%s: %s\n", s->err_code, s->err_msg);
        s->closing = 0;
        hours_settle(s, now);
        return;
    }
    if (s->goal == GOAL_JOIN)
        outline(s, "[error] code=%s: %s\n", s->err_code, s->err_msg);
    else
        fprintf(s->err, "bilan: the server refused (code=%s): %s\n", s->err_code, s->err_msg);
    if (s->st == ST_IN_ROOM && !fatal)
        return; /* e.g. bad_frame for one frame: the room goes on */
    if (s->st == ST_LEAVING && !fatal) {
        /* Our leave was refused (we were no longer in the room): we are out anyway. */
        (void)now;
        {
            dialog_finish(s, s->pending_exit);
            return;
        }
    }
    dialog_finish(s, EXIT_REFUSED);
}

static void on_session_opened(struct dialog *s, const json_t *m, uint64_t now);
static void on_session_closed(struct dialog *s, const json_t *m, uint64_t now);
static void on_hours_update(struct dialog *s, const json_t *m, uint64_t now);
static void on_receipt_refused(struct dialog *s, const json_t *m, uint64_t now);
static void on_budget_warning(struct dialog *s, const json_t *m);
static void on_session_record(struct dialog *s, const json_t *m, uint64_t now);
static void on_receipt_ok(struct dialog *s, const json_t *m, uint64_t now);

void dialog_on_text(struct dialog *s, const char *buf, size_t len, uint64_t now_ms)
{
    if (s->finished)
        return;
    s->now_seen = now_ms;
    enum bp_type t;
    json_t *m;
    struct bp_verr e;
    char ref[BP_REF_MAX + 1];
    int rc = bp_msg_parse(buf, len, BP_TO_CLIENT, &t, &m, &e, ref);
    if (rc == BP_E_UNKNOWN_TYPE)
        return; /* a newer server's additive message */
    if (rc) {
        protocol_failure(s, "the server sent an invalid message", e.detail);
        return;
    }
    switch (t) {
    case BP_T_CHALLENGE:
        on_challenge(s, m, now_ms);
        break;
    case BP_T_WELCOME:
        on_welcome(s, m, now_ms);
        break;
    case BP_T_BILAN_CREATED:
    case BP_T_INVITE_CREATED:
    case BP_T_BILANS:
        on_reply(s, t, m);
        break;
    case BP_T_JOINED:
        on_joined(s, m, now_ms);
        break;
    case BP_T_MEMBER_JOINED:
        on_member_joined(s, m, now_ms);
        break;
    case BP_T_MEMBER_LEFT:
        on_member_left(s, m, now_ms);
        break;
    case BP_T_LEFT:
        if (s->st == ST_LEAVING)
            dialog_finish(s, s->pending_exit);
        break;
    case BP_T_ERROR:
        on_error(s, m, ref, now_ms);
        break;
    case BP_T_SESSION_OPENED:
        on_session_opened(s, m, now_ms);
        break;
    case BP_T_SESSION_CLOSED:
        on_session_closed(s, m, now_ms);
        break;
    case BP_T_HOURS_UPDATE:
        on_hours_update(s, m, now_ms);
        break;
    case BP_T_BUDGET_WARNING:
        on_budget_warning(s, m);
        break;
    case BP_T_SESSION_RECORD:
        on_session_record(s, m, now_ms);
        break;
    case BP_T_RECEIPT_OK:
        on_receipt_ok(s, m, now_ms);
        break;
    case BP_T_RECEIPT_REFUSED:
        on_receipt_refused(s, m, now_ms);
        break;
    case BP_T_HOURS_REPORT:
    case BP_T_PERSONAL_DECLARED:
        if (s->st == ST_REQUEST) {
            on_reply(s, t, m);
        } else if (t == BP_T_HOURS_REPORT && (s->st == ST_IN_ROOM || s->st == ST_LEAVING)) {
            const char *why;
            if (hours_report_summary(s->out, json_object_get(m, "report"), &why))
                outline(s, "[hours] unreadable report: %s\n", why);
            fflush(s->out);
        }
        break;
    case BP_T_STATS_REPLY:
        on_stats(s, m, now_ms);
        break;
    case BP_T_E2E_RELAY:
        on_e2e(s, m, now_ms);
        break;
    case BP_T_FLOW:
        on_flow(s, m);
        break;
    default:
        break; /* keyframe_request: nothing to do without media */
    }
    json_decref(m);
}

void dialog_on_binary(struct dialog *s, const uint8_t *buf, size_t len, uint64_t now_ms)
{
    if (s->st != ST_IN_ROOM && s->st != ST_LEAVING)
        return;
    struct bp_hdr h;
    const char *why;
    if (bp_hdr_decode(buf, len, &h, &why)) {
        fprintf(s->err, "bilan: ignored an invalid frame from the server: %s\n", why);
        return;
    }
    if (s->e2e) {
        e2e_open(s->e2e, buf, len, now_ms); /* deliver_plain() gets it once opened */
        return;
    }
    deliver_plain(s, buf, len, now_ms);
}

/* One frame in clear (opened by e2e, or a unit test's plain frame). */
static void deliver_plain(struct dialog *s, const uint8_t *buf, size_t len, uint64_t now_ms)
{
    if ((s->st != ST_IN_ROOM && s->st != ST_LEAVING) || len < BP_HDR_LEN)
        return;
    struct bp_hdr h;
    const char *why;
    if (bp_hdr_decode(buf, len, &h, &why))
        return;
    if (h.kind != BP_KIND_DATA)
        return; /* no media in this version of the client */
    struct bp_data d;
    if (bp_data_parse(buf + BP_HDR_LEN, len - BP_HDR_LEN, &d, &why)) {
        fprintf(s->err, "bilan: ignored a malformed data message from slot %u: %s\n", h.slot, why);
        return;
    }
    if (d.type == BP_DATA_CHAT) {
        char text[BP_CHAT_MAX + 1];
        cli_printable(d.bytes, d.len, text, sizeof text);
        outline(s, "[chat] slot=%u: %s\n", h.slot, text);
        s->got_chat++;
    } else if (s->rx) {
        s->got_files += datarx_on_data(s->rx, h.slot, &d);
    }
    check_progress(s, now_ms);
}

int dialog_next_frame(struct dialog *s, uint8_t *buf, size_t cap, uint64_t now_ms)
{
    /* Sends wait for someone to receive them (the server relays, it does not store). */
    if (s->st != ST_IN_ROOM || !s->tx || datatx_done(s->tx) || !others(s) || cap < BP_HDR_LEN)
        return 0;
    /* Held by the server: data waits for go. Only data: audio and video
     * frames (a later version) must keep going out while held. */
    if (s->data_held)
        return 0;
    /* End to end: only once a peer is authenticated and holds our key. */
    if (s->e2e && !e2e_can_send(s->e2e))
        return 0;
    if (s->e2e && !s->scratch && !(s->scratch = malloc(BP_DATA_MAX)))
        return 0;
    enum datatx_event ev;
    const struct datatx_item *it;
    uint8_t *pt = s->e2e ? s->scratch : buf + BP_HDR_LEN;
    size_t ptcap = s->e2e ? BP_DATA_MAX : cap - BP_HDR_LEN;
    if (s->e2e && cap < BP_HDR_LEN + BP_DATA_MAX + BP_SFRAME_OVERHEAD)
        return 0;
    int n = datatx_next(s->tx, pt, ptcap, &ev, &it);
    if (n <= 0)
        return 0;
    struct bp_hdr h = {
        .version = 1,
        .kind = BP_KIND_DATA,
        .flags = 0,
        .slot = (uint8_t)s->slot,
        .seq = s->seq++,
        .media_ts = (uint32_t)now_ms,
        .capture_ms = (uint32_t)now_ms,
    };
    bp_hdr_encode(&h, buf);
    int total = BP_HDR_LEN + n;
    if (s->e2e) {
        total = e2e_seal(s->e2e, buf, pt, (size_t)n, buf, cap);
        OPENSSL_cleanse(pt, (size_t)n);
        if (total < 0) {
            protocol_failure(s, "cannot encrypt a frame", bp_err_message(total));
            return 0;
        }
    }
    if (ev == DATATX_FILE_SENT)
        outline(s, "[file] sent name=%s bytes=%llu\n", it->name, (unsigned long long)it->size);
    else if (ev == DATATX_FILE_FAILED)
        fprintf(s->err,
                "bilan: %s changed or became unreadable while it was sent; "
                "the receiver will reject it\n",
                it->path);
    if (datatx_done(s->tx))
        check_progress(s, now_ms);
    return total;
}

void dialog_tick(struct dialog *s, uint64_t now_ms)
{
    if (s->finished)
        return;
    s->now_seen = now_ms;
    /* The open session's account, kept now and then: a crash loses little. */
    struct attend_obs *open = s->hs_session[0] ? obs_find(s, s->hs_session) : NULL;
    if (open && now_ms - s->attend_saved_ms >= 30000)
        attend_save(s, open, now_ms);
    if (s->st == ST_LEAVING && now_ms >= s->leave_deadline) {
        dialog_finish(s, s->pending_exit);
        return;
    }
    if (hours_waiting(s) && s->hours_deadline && now_ms >= s->hours_deadline) {
        outline(s, "[hours] gave up waiting for the %s\n",
                s->closing ? "session's close" : s->await_record ? "session's record"
                                                                 : "server's receipt_ok");
        s->closing = s->await_record = s->await_ok = 0;
        hours_settle(s, now_ms);
        if (s->finished)
            return;
    }
    if (s->rx)
        datarx_tick(s->rx, now_ms);
    if (s->e2e) {
        e2e_tick(s->e2e, now_ms);
        e2e_kick(s);
    }
    if (s->st == ST_IN_ROOM && !s->stats_pending &&
        (s->frames_accepted < s->seq || (s->want_relay_stats && !s->got_stats)) && s->scripted &&
        expectations_met(s) && sends_done(s) && now_ms - s->stats_asked_ms >= 200)
        check_progress(s, now_ms);
    if (s->st == ST_IN_ROOM && s->duration_end && now_ms >= s->duration_end) {
        start_leave(s, EXIT_OK_, now_ms);
        return;
    }
    int setup_late = s->setup_deadline && now_ms >= s->setup_deadline && s->st < ST_IN_ROOM;
    if ((setup_late || (s->deadline && now_ms >= s->deadline)) && s->st != ST_LEAVING) {
        if (s->st == ST_IN_ROOM) {
            fprintf(s->err,
                    "bilan: timed out: received %d/%d files, %d/%d chat messages, "
                    "saw %d/%d members, sends %s\n",
                    s->got_files, s->expect_files, s->got_chat, s->expect_chat, s->max_members,
                    s->expect_members, sends_done(s) ? "complete" : "incomplete");
            {
                start_leave(s, EXIT_TIMEOUT, now_ms);
                return;
            }
        }
        fprintf(s->err, "bilan: timed out waiting for the server\n");
        {
            dialog_finish(s, EXIT_TIMEOUT);
            return;
        }
    }
}

void dialog_interrupt(struct dialog *s, uint64_t now_ms)
{
    if (s->finished)
        return;
    if (s->st == ST_IN_ROOM) {
        start_leave(s, EXIT_OK_, now_ms);
        return;
    }
    if (s->st == ST_LEAVING)
        return;
    fprintf(s->err, "bilan: interrupted\n");
    dialog_finish(s, s->goal == GOAL_JOIN ? EXIT_OK_ : EXIT_USAGE);
}

void dialog_closed(struct dialog *s)
{
    if (!s->finished)
        attend_out(s, s->now_seen);
    if (!s->finished) {
        s->finished = 1;
        s->lost = 1;
        s->exit_code = EXIT_NETWORK;
        s->st = ST_DONE;
    }
    if (s->rx)
        datarx_free(s->rx, "transfer interrupted: the connection closed");
    if (s->e2e)
        e2e_leave(s->e2e);
    free(s->scratch);
    s->scratch = NULL;
}

/* ---- what the person in the room asks for ---- */

int dialog_say(struct dialog *s, const char *text, size_t len, const char **why)
{
    if (!s->tx || s->finished || s->st == ST_LEAVING) {
        *why = "we are leaving the room: the line was not sent";
        return BP_E_WRONG_STATE;
    }
    if (len < 1 || len > BP_CHAT_MAX || memchr(text, '\0', len) ||
        !bp_utf8_valid((const uint8_t *)text, len)) {
        *why = "a chat line must be 1 to 4096 bytes of UTF-8: the line was not sent";
        return BP_E_INVALID_FIELD;
    }
    if (datatx_pending(s->tx) >= DIALOG_SAY_QUEUE) {
        *why = "64 lines are already waiting to go out: the line was not sent";
        return BP_E_NOMEM;
    }
    char copy[BP_CHAT_MAX + 1];
    memcpy(copy, text, len);
    copy[len] = '\0';
    int rc = datatx_add_chat(s->tx, copy, why);
    OPENSSL_cleanse(copy, len);
    if (rc)
        return rc;
    if (s->st != ST_IN_ROOM || !others(s))
        return SAY_WAIT_PEER;
    if (s->e2e && !e2e_can_send(s->e2e))
        return SAY_WAIT_E2E;
    if (s->data_held)
        return SAY_WAIT_FLOW;
    s->hooks->want_write(s->hooks->ctx);
    return SAY_SENDING;
}

int dialog_sas_answer(struct dialog *s, int slot, int confirmed, uint64_t now_ms)
{
    if (!s->e2e || (s->st != ST_IN_ROOM && s->st != ST_LEAVING))
        return 0;
    int n = 0;
    for (int i = 0; i < BP_MAX_MEMBERS; i++) {
        if ((slot >= 0 && i != slot) || !e2e_sas_pending(s->e2e, i))
            continue;
        e2e_sas_decide(s->e2e, i, confirmed, now_ms);
        n++;
    }
    if (n)
        e2e_kick(s);
    return n;
}

void dialog_print_members(struct dialog *s)
{
    if (s->st != ST_IN_ROOM && s->st != ST_LEAVING) {
        outline(s, "[room] not in the room yet\n");
        return;
    }
    outline(s, "[room] members=%d slot=%d role=%s (you)\n", dialog_member_count(s), s->slot,
            s->role);
    for (int k = 0; k < BP_MAX_MEMBERS; k++)
        if (s->members[k].present && k != s->slot)
            outline(s, "[room] member slot=%d role=%s device=%s\n", k, s->members[k].role,
                    s->members[k].device);
}

void dialog_quit(struct dialog *s, uint64_t now_ms)
{
    dialog_interrupt(s, now_ms);
}

/* ---- sessions, hours, receipts (PROTOCOL.md §9) ---- */

/* ---- this device's account of its sessions (attend.h) ---- */

static int64_t wall(const struct dialog *s, uint64_t now)
{
    return (int64_t)now + s->wall_offset_ms;
}

static struct attend_obs *obs_find(struct dialog *s, const char *id)
{
    for (int i = 0; i < s->nobs && i < DIALOG_SEEN_MAX; i++)
        if (!strcmp(s->obs[i].session, id))
            return &s->obs[i];
    return NULL;
}

/* The roster as attend.c wants it, us included. */
static size_t roster(const struct dialog *s, struct attend_member *out)
{
    size_t n = 0;
    for (int i = 0; i < BP_MAX_MEMBERS; i++) {
        if (!s->members[i].present)
            continue;
        memcpy(out[n].device, s->members[i].fp, BP_FP_LEN);
        out[n].consultant = !strcmp(s->members[i].role, "consultant");
        n++;
    }
    return n;
}

static void attend_save(struct dialog *s, struct attend_obs *o, uint64_t now)
{
    attend_tick(o, wall(s, now));
    attend_rtt(o, s->rtt_ms);
    s->attend_saved_ms = now;
    if (s->hooks && s->hooks->on_attend && s->bilan[0])
        s->hooks->on_attend(s->hooks->reply_ctx, s, s->bilan, o);
}

/* A session we take part in, first seen now (opened in front of us, or
 * already open when we came): its account starts with the roster we see. */
static struct attend_obs *note_seen(struct dialog *s, const char *id, int have_start, int64_t start_ms,
                                    int64_t elapsed_ms, uint64_t now)
{
    if (!id[0])
        return NULL;
    struct attend_obs *o = obs_find(s, id);
    if (o)
        return o;
    o = &s->obs[s->nobs % DIALOG_SEEN_MAX];
    s->nobs++;
    struct attend_member r[BP_MAX_MEMBERS];
    attend_begin(o, id, have_start, start_ms, elapsed_ms, wall(s, now));
    attend_roster(o, r, roster(s, r), s->st == ST_IN_ROOM, 0, wall(s, now));
    attend_save(s, o, now);
    return o;
}

/* The roster changed while the session hs_session is open. */
static void attend_update(struct dialog *s, int lost, uint64_t now)
{
    struct attend_obs *o = s->hs_session[0] ? obs_find(s, s->hs_session) : NULL;
    if (!o)
        return;
    struct attend_member r[BP_MAX_MEMBERS];
    int here = s->st == ST_IN_ROOM || s->st == ST_LEAVING;
    attend_roster(o, r, here ? roster(s, r) : 0, here, 1, wall(s, now));
    if (lost)
        attend_lost(o);
    attend_save(s, o, now);
}

/* We are out of the room (left, connection gone): the open session's
 * account stops counting our presence. */
static void attend_out(struct dialog *s, uint64_t now)
{
    struct attend_obs *o = s->hs_session[0] ? obs_find(s, s->hs_session) : NULL;
    if (!o || !o->here)
        return;
    attend_roster(o, NULL, 0, 0, 1, wall(s, now));
    attend_save(s, o, now);
}

/* The waits are over (or one ended): leave if a leave was waiting, else see
 * whether a scripted leave can go now. */
static void hours_settle(struct dialog *s, uint64_t now)
{
    if (hours_waiting(s) || s->st != ST_IN_ROOM)
        return;
    if (s->leave_after) {
        s->leave_after = 0;
        do_leave(s, s->pending_exit, now);
        return;
    }
    check_progress(s, now);
}

static void on_session_opened(struct dialog *s, const json_t *m, uint64_t now)
{
    if (s->st != ST_IN_ROOM && s->st != ST_LEAVING)
        return;
    const char *id = bp_str(m, "session", "");
    snprintf(s->hs_session, sizeof s->hs_session, "%s", id);
    note_seen(s, id, 1, bp_int(m, "start_ms", 0), 0, now);
    outline(s, "[hours] session=%s opened phase=%s\n", id, bp_str(m, "phase", ""));
}

static void on_session_closed(struct dialog *s, const json_t *m, uint64_t now)
{
    if (s->st != ST_IN_ROOM && s->st != ST_LEAVING)
        return;
    const char *id = bp_str(m, "session", "");
    char hms[24], reason[40];
    const char *r = bp_str(m, "reason", "");
    cli_printable((const uint8_t *)r, strlen(r), reason, sizeof reason);
    hours_fmt_hms(bp_int(m, "face_to_face_ms", 0), hms, sizeof hms);
    struct attend_obs *o = obs_find(s, id);
    if (o) {
        attend_closed(o, bp_int(m, "end_ms", 0), bp_int(m, "face_to_face_ms", 0), wall(s, now));
        attend_save(s, o, now);
    }
    outline(s, "[hours] session=%s closed face_to_face=%s reason=%s\n", id, hms, reason);
    if (!strcmp(s->hs_session, id))
        s->hs_session[0] = '\0';
    s->closing = 0;
    if (s->st == ST_IN_ROOM) {
        /* We were in it: the server sends us its record to sign. */
        s->await_record = 1;
        s->hours_deadline = now + DIALOG_HOURS_WAIT_MS;
    }
}

static void on_hours_update(struct dialog *s, const json_t *m, uint64_t now)
{
    if (s->st != ST_IN_ROOM && s->st != ST_LEAVING)
        return;
    char used[24], budget[24], left[24];
    hours_fmt_hm(bp_int(m, "face_to_face_ms", 0), used, sizeof used);
    hours_fmt_hm(bp_int(m, "budget_s", 0) * 1000, budget, sizeof budget);
    hours_fmt_hm(bp_int(m, "remaining_ms", 0), left, sizeof left);
    const char *sid = bp_str(m, "session", NULL);
    if (sid) {
        char el[24], f2f[24];
        hours_fmt_hms(bp_int(m, "session_elapsed_ms", 0), el, sizeof el);
        hours_fmt_hms(bp_int(m, "session_face_to_face_ms", 0), f2f, sizeof f2f);
        /* We may have joined a session already open: it is ours to sign too. */
        note_seen(s, sid, 0, 0, bp_int(m, "session_elapsed_ms", 0), now);
        if (!s->hs_session[0])
            snprintf(s->hs_session, sizeof s->hs_session, "%s", sid);
        outline(s, "[hours] used=%s budget=%s left=%s session=%s elapsed=%s face_to_face=%s\n",
                used, budget, left, sid, el, f2f);
    } else {
        outline(s, "[hours] used=%s budget=%s left=%s\n", used, budget, left);
    }
}

static void on_budget_warning(struct dialog *s, const json_t *m)
{
    char used[24], budget[24];
    hours_fmt_hm(bp_int(m, "face_to_face_ms", 0), used, sizeof used);
    hours_fmt_hm(bp_int(m, "budget_s", 0) * 1000, budget, sizeof budget);
    outline(s, "[hours] WARNING: %lld %% of the face-to-face budget used (%s of %s)\n",
            bp_int(m, "level", 0), used, budget);
}

int dialog_send_receipt(struct dialog *s, const char *session, long long received_audio_ms,
                         int sas_verified, const uint8_t sig[BP_SIG_LEN])
{
    if (s->finished || !s->hooks || !s->hooks->send_text)
        return BP_E_WRONG_STATE;
    if (s->nreceipts >= DIALOG_RECEIPTS_MAX)
        return BP_E_NOMEM;
    char sig64[BP_B64_64 + 1], ref[32];
    bp_b64_encode(sig, BP_SIG_LEN, sig64);
    int k = s->nreceipts++;
    snprintf(s->receipt_refs[k], BP_ID_MAX + 1, "%s", session);
    snprintf(ref, sizeof ref, "receipt:%d", k);
    return send_msg(s, json_pack("{s:s, s:s, s:I, s:b, s:s, s:s}", "type", "receipt", "session",
                                 session, "received_audio_ms", (json_int_t)received_audio_ms,
                                 "sas_verified", sas_verified ? 1 : 0, "sig", sig64, "ref", ref));
}

/* Says no to the record r, with reason, signed so that the refusal is ours
 * and not the server's word (PROTOCOL.md §9.3). */
static void refuse_record(struct dialog *s, const struct bp_record *r, const char *sidp, const char *reason,
                          uint64_t now)
{
    struct bp_refusal f;
    memset(&f, 0, sizeof f);
    memcpy(f.sign_pub, s->id->sign_pub, BP_KEY_LEN);
    memcpy(f.dh_pub, s->id->dh_pub, BP_KEY_LEN);
    snprintf(f.reason, sizeof f.reason, "%s", reason);
    if (bp_fingerprint(f.sign_pub, f.dh_pub, f.signer) || bp_refusal_sign(r, &f, s->id->sign_priv) ||
        s->nreceipts >= DIALOG_RECEIPTS_MAX) {
        /* Not a participant of it (or OpenSSL failed): nothing to sign at all. */
        outline(s, "[receipt] session=%s not signed: %s\n", sidp, reason);
        return;
    }
    char sig64[BP_B64_64 + 1], ref[32];
    bp_b64_encode(f.sig, BP_SIG_LEN, sig64);
    int k = s->nreceipts++;
    snprintf(s->receipt_refs[k], BP_ID_MAX + 1, "%s", r->session);
    snprintf(ref, sizeof ref, "refusal:%d", k);
    outline(s, "[receipt] session=%s not signed: %s (refusal sent to the server)\n", sidp, reason);
    if (send_msg(s, json_pack("{s:s, s:s, s:s, s:s, s:s}", "type", "receipt_refusal", "session", r->session,
                              "reason", f.reason, "sig", sig64, "ref", ref)) == 0) {
        s->await_ok = 1;
        s->hours_deadline = now + DIALOG_HOURS_WAIT_MS;
    }
}

static void on_session_record(struct dialog *s, const json_t *m, uint64_t now)
{
    if (s->st != ST_IN_ROOM && s->st != ST_LEAVING)
        return;
    const json_t *rj = json_object_get(m, "record");
    struct bp_record r;
    struct bp_verr e;
    memset(&e, 0, sizeof e);
    s->await_record = 0;
    const char *sid = bp_str(rj, "session", "?");
    char sidp[BP_ID_MAX + 1];
    cli_printable((const uint8_t *)sid, strlen(sid), sidp, sizeof sidp);
    if (bp_record_from_json(rj, &r, &e)) {
        outline(s, "[receipt] session=%s not signed: the server's record is invalid (%s)\n", sidp,
                e.detail);
        hours_settle(s, now);
        return;
    }
    struct bp_attestation a;
    memset(&a, 0, sizeof a);
    memcpy(a.sign_pub, s->id->sign_pub, BP_KEY_LEN);
    memcpy(a.dh_pub, s->id->dh_pub, BP_KEY_LEN);
    if (bp_fingerprint(a.sign_pub, a.dh_pub, a.signer)) {
        outline(s, "[receipt] session=%s not signed: OpenSSL failed\n", sidp);
        hours_settle(s, now);
        return;
    }
    /* What we saw of it: in this visit, or kept by an earlier one (we were
     * gone at the close: the server sends such records when we join). */
    struct attend_obs kept, *o = obs_find(s, r.session);
    if (!o && s->hooks->attend_load &&
        s->hooks->attend_load(s->hooks->reply_ctx, s, s->bilan, r.session, &kept) == 1 &&
        !strcmp(kept.session, r.session))
        o = &kept;
    char why[BP_REASON_MAX + 1];
    if (!o) {
        refuse_record(s, &r, sidp, "cet appareil n'a aucune trace de sa présence à cette séance", now);
        hours_settle(s, now);
        return;
    }
    attend_tick(o, wall(s, now));
    attend_rtt(o, s->rtt_ms);
    if (attend_check(o, &r, s->bilan, a.signer, wall(s, now), why)) {
        refuse_record(s, &r, sidp, why, now);
        hours_settle(s, now);
        return;
    }
    /* No audio in this version of the client: nothing was received or
     * decrypted, so the attestation says 0 ms. */
    a.received_audio_ms = 0;
    struct hours_met met[E2E_MET_MAX];
    size_t nmet = s->e2e ? e2e_met(s->e2e, met, E2E_MET_MAX) : 0;
    a.sas_verified = hours_sas_verified(a.signer, &r, met, nmet);
    if (bp_attest_sign(&r, &a, s->id->sign_priv)) {
        outline(s, "[receipt] session=%s not signed: signing failed\n", sidp);
        hours_settle(s, now);
        return;
    }
    if (s->hooks->on_receipt) {
        json_t *aj = bp_attest_to_json(&a);
        s->hooks->on_receipt(s->hooks->reply_ctx, s, r.bilan, r.session, rj, aj);
        json_decref(aj);
    }
    if (dialog_send_receipt(s, r.session, a.received_audio_ms, a.sas_verified, a.sig) == 0) {
        s->await_ok = 1;
        s->hours_deadline = now + DIALOG_HOURS_WAIT_MS;
    }
    hours_settle(s, now);
}

static void on_receipt_refused(struct dialog *s, const json_t *m, uint64_t now)
{
    const char *sid = bp_str(m, "session", "");
    outline(s, "[receipt] session=%s refusal stored by the server\n", sid);
    if (s->await_ok && s->nreceipts && !strcmp(s->receipt_refs[s->nreceipts - 1], sid))
        s->await_ok = 0;
    hours_settle(s, now);
}

static void on_receipt_ok(struct dialog *s, const json_t *m, uint64_t now)
{
    const char *sid = bp_str(m, "session", "");
    outline(s, "[receipt] session=%s signed\n", sid);
    if (s->hooks->on_receipt_ok)
        s->hooks->on_receipt_ok(s->hooks->reply_ctx, s, sid);
    if (s->await_ok && s->nreceipts && !strcmp(s->receipt_refs[s->nreceipts - 1], sid))
        s->await_ok = 0;
    hours_settle(s, now);
}

int dialog_hours_open(struct dialog *s, const char *phase, const char **why)
{
    if (s->st != ST_IN_ROOM) {
        *why = "not in the room";
        return BP_E_WRONG_STATE;
    }
    if (!hours_phase_ok(phase)) {
        *why = "the phase is one of preliminaire, investigation, conclusion, suivi";
        return BP_E_INVALID_FIELD;
    }
    return send_msg(s, json_pack("{s:s, s:s, s:s}", "type", "session_open", "phase", phase, "ref",
                                 "session_open"));
}

int dialog_hours_close(struct dialog *s, const char **why)
{
    if (s->st != ST_IN_ROOM) {
        *why = "not in the room";
        return BP_E_WRONG_STATE;
    }
    return send_msg(s, json_pack("{s:s, s:s}", "type", "session_close", "ref", "session_end"));
}

int dialog_hours_report(struct dialog *s, const char **why)
{
    if (s->st != ST_IN_ROOM || !s->bilan[0]) {
        *why = "not in the room";
        return BP_E_WRONG_STATE;
    }
    return send_msg(s, json_pack("{s:s, s:s, s:s}", "type", "hours", "bilan", s->bilan, "ref",
                                 "hours"));
}
