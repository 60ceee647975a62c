/* cmd_join.c: `bilan join LINK-OR-BILAN-ID`: enters a bilan's room.
 *
 * With an invite link this device redeems the invite (enrol with the invite
 * token) unless it already did, which the local store tells (by the token's
 * hash); then it joins. The link's secret is stored and never sent. In the
 * room it sends its --say lines and --send-file files once someone else is
 * there, receives chat and files, and leaves when its expectations are met,
 * --duration elapsed, --timeout elapsed (exit 4), on SIGINT/SIGTERM or /quit.
 *
 * The console: what is typed on standard input (read inside the event loop
 * by net.c, cut and parsed by console.c) is sent as chat lines or runs a
 * command (/oui, /non, /qui, /quitter, /aide, /seance, /fin, /heures).
 * Sessions and receipts (PROTOCOL.md §9): --open-session/--close-session
 * drive dialog.c; signed receipts are kept in the store (receipts table)
 * and those never acknowledged are sent again after the next welcome from
 * that server; the sessions it took part in are noted (sessions_taken) so
 * that a record missed at close and sent on a later join is signed. The end
 * of standard input
 * (/dev/null, a closed pipe, Ctrl-D) only stops the reading. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "cli.h"
#include "console.h"
#include "enrol.h"
#include "hours.h"

static const char usage[] =
    "Usage: bilan join LINK-OR-BILAN-ID [options]\n"
    "\n"
    "Joins the room of a bilan: with the invite link you were given (quote it),\n"
    "or with the id of a bilan this device already knows (`bilan bilan list`).\n"
    "\n"
    "  --send-file FILE     send FILE to the others once someone is in the room (repeatable)\n"
    "  --say TEXT           send a chat line once someone is in the room (repeatable)\n"
    "  --recv-dir DIR       accept files from the others into DIR (otherwise refused)\n"
    "  --expect-files N     leave after receiving N files\n"
    "  --expect-chat N      leave after receiving N chat lines\n"
    "  --expect-members N   leave after the room had N members at once (you included;\n"
    "                       more than 4 never happens: stay until --duration/--timeout)\n"
    "  --duration SECONDS   leave after this long in the room (exit 0)\n"
    "  --timeout SECONDS    give up (exit 4) if expectations are not met by then\n"
    "  --server HOST:PORT   which server, if the bilan id is known on several\n"
    "  --headless           no window (this version has no window yet)\n"
    "  --confirm-sas        confirm every security code as soon as it is shown: only\n"
    "                       after you compared the codes with the other person (or tests)\n"
    "  --reject-sas         reject every security code (ends those pairs)\n"
    "  --stats FILE.json    write end-to-end and relay counters to FILE.json at exit\n"
    "  --open-session PHASE (consultant) open a session as soon as someone else is in\n"
    "                       the room; PHASE: preliminaire, investigation, conclusion, suivi\n"
    "  --close-session      (consultant) close the open session before leaving (when\n"
    "                       expectations are met, at --duration's end, on Ctrl-C or /quit)\n"
    "\n"
    "In the room, type a line and Enter to send it to the others, or a command:\n"
    "  /oui, /yes [SLOT]    the other person reads the same code: confirm it\n"
    "  /non, /no [SLOT]     the codes differ: reject it (ends that pair)\n"
    "  /qui, /who           who is in the room\n"
    "  /seance, /session PHASE  (consultant) open a session of that phase\n"
    "  /fin, /close         (consultant) close the session\n"
    "  /heures, /hours      face-to-face hours used and left in this bilan\n"
    "  /quitter, /quit      leave the room (like Ctrl-C)\n"
    "  /aide, /help         the list of commands\n"
    "Lines typed before the encryption allows sending wait (64 at most).\n"
    "\n"
    "Everything sent in the room is encrypted end to end: the server relays it\n"
    "without being able to read it. For each other device a 6-digit code is shown\n"
    "(\"[e2e] slot=N code=482 913\"): read it aloud to each other, then type /oui\n"
    "if the codes are the same, /non if they differ (without a SLOT, the answer\n"
    "goes to every code shown and not answered yet). Devices that joined with the\n"
    "invite link are authenticated by it and exchange at once (confirming the code\n"
    "makes them verified); a device authenticated neither by the invite nor by an\n"
    "earlier confirmed code gets nothing until its code is confirmed. Without a\n"
    "person at the keyboard, --confirm-sas accepts every code as soon as it is\n"
    "shown (compare them aloud at once and leave if they differ) and --reject-sas\n"
    "rejects them. Each join draws new keys, so the code changes every time. A\n"
    "confirmed code is remembered for the bilan.\n"
    "\n"
    "With --say, --send-file or --expect-*, join leaves once everything is sent\n"
    "and every expectation is met; otherwise it stays until --duration, /quit or\n"
    "Ctrl-C. The end of standard input (Ctrl-D, /dev/null) does not leave.\n"
    "Durations also accept 90s, 5m, 1h30.\n"
    "\n"
    "Sessions: the server counts face-to-face time only inside a session, which a\n"
    "consultant opens and closes. Lines \"[hours] ...\" show the time used and left;\n"
    "at the close every device present signs the server's record of the session (an\n"
    "attendance receipt, \"[receipt] session=... signed\"; see `bilan receipt verify`).\n"
    "A receipt that could not be sent goes out at the next `bilan join` to that server.\n";

struct join_ctx {
    struct app *a;
    struct net_cfg *cfg;
    int by_link;
    struct bp_link link;
    char device_name[BP_NAME_MAX + 1];
    char known[64][BP_ID_MAX + 1]; /* bilans already redeemed here before this enrol */
    int nknown;
    long long server_id; /* of the server we join on (set once known) */
    struct e2e *e2e;
    struct console_lines con; /* what is typed, until a newline */
    struct ks_server srv;     /* the server, when known from the store (join by id) */
    enum net_trust trust;     /* how this connection trusted it */
};

/* ---- the console: lines typed in the room ---- */

static void info(struct dialog *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void info(struct dialog *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("[info] ", s->out);
    vfprintf(s->out, fmt, ap);
    fputc('\n', s->out);
    va_end(ap);
    fflush(s->out);
}

static void console_command(struct join_ctx *j, struct dialog *s, const char *line, size_t len,
                            uint64_t now)
{
    struct console_cmd c;
    console_parse(line, len, BP_MAX_MEMBERS - 1, &c);
    char word[40];
    cli_printable((const uint8_t *)c.arg, c.arg_len, word, sizeof word);
    switch (c.kind) {
    case CMD_EMPTY:
        return;
    case CMD_CHAT: {
        const char *why = NULL;
        int rc = dialog_say(s, c.arg, c.arg_len, &why);
        if (rc < 0)
            info(s, "%s", why);
        else if (rc == SAY_WAIT_E2E)
            info(s, "(en attente du chiffrement)");
        else if (rc == SAY_WAIT_PEER)
            info(s, "(en attente d'un autre participant)");
        else if (rc == SAY_WAIT_FLOW)
            info(s, "(en attente : un participant reçoit lentement ; votre message partira dès "
                    "que possible)");
        return;
    }
    case CMD_YES:
    case CMD_NO:
        if (!dialog_sas_answer(s, c.slot, c.kind == CMD_YES, now)) {
            if (c.slot >= 0)
                info(s, "no code waiting for an answer from slot %d", c.slot);
            else
                info(s, "no code waiting for an answer");
            /* Say why when it is because a pair was ended: the person saw a
             * code and expects to answer it. */
            for (int k = 0; k < BP_MAX_MEMBERS; k++)
                if ((c.slot < 0 || c.slot == k) && e2e_pair_ended(j->e2e, k))
                    info(s,
                         "slot=%d: la liaison chiffr\xc3\xa9""e avec cet appareil a "
                         "\xc3\xa9t\xc3\xa9 arr\xc3\xaat\xc3\xa9""e (voir la ligne [e2e] slot=%d "
                         "refused), son code ne peut plus \xc3\xaatre confirm\xc3\xa9 ; pour "
                         "recommencer, quittez (/quitter) et rejoignez la salle. (The pair with "
                         "this device was ended; its code can no longer be confirmed: leave and "
                         "join again to start over.)",
                         k, k);
        }
        return;
    case CMD_WHO:
        dialog_print_members(s);
        return;
    case CMD_QUIT:
        info(s, "leaving the room");
        dialog_quit(s, now);
        return;
    case CMD_HELP:
        fputs(console_help, s->out);
        fflush(s->out);
        return;
    case CMD_SESSION: {
        char phase[BP_PHASE_MAX + 2];
        const char *why = NULL;
        cli_printable((const uint8_t *)c.arg, c.arg_len < sizeof phase - 1 ? c.arg_len : sizeof phase - 1,
                      phase, sizeof phase);
        if (c.arg_len > BP_PHASE_MAX || !hours_phase_ok(phase))
            info(s, "/seance takes a phase: %s", hours_phases);
        else if (dialog_hours_open(s, phase, &why))
            info(s, "cannot open a session: %s", why);
        return;
    }
    case CMD_CLOSE: {
        const char *why = NULL;
        if (dialog_hours_close(s, &why))
            info(s, "cannot close the session: %s", why);
        return;
    }
    case CMD_HOURS: {
        const char *why = NULL;
        if (dialog_hours_report(s, &why))
            info(s, "cannot ask for the hours: %s", why);
        return;
    }
    case CMD_UNKNOWN:
        info(s, "unknown command %s: type /aide (or /help) for the list", word);
        return;
    case CMD_BAD_ARG:
        if (!strcmp(word, "/oui") || !strcmp(word, "/yes") || !strcmp(word, "/non") ||
            !strcmp(word, "/no"))
            info(s, "%s takes nothing or a slot number from 0 to %d", word, BP_MAX_MEMBERS - 1);
        else if (!strcmp(word, "/seance") || !strcmp(word, "/session"))
            info(s, "%s takes a phase: %s", word, hours_phases);
        else
            info(s, "%s takes no argument", word);
        return;
    }
    (void)j;
}

static void console_event(struct join_ctx *j, struct dialog *s, enum console_ev ev,
                          const char *line, size_t len, uint64_t now)
{
    if (ev == CONSOLE_TOO_LONG)
        info(s, "line too long (over %d bytes): discarded", CONSOLE_LINE_MAX);
    else if (ev == CONSOLE_BAD_UTF8)
        info(s, "this line is not UTF-8 text: discarded");
    else if (ev == CONSOLE_LINE)
        console_command(j, s, line, len, now);
}

static void console_input(void *ctx, struct dialog *s, const char *buf, size_t len,
                          uint64_t now)
{
    struct join_ctx *j = ctx;
    const char *line = NULL;
    size_t ll = 0;
    enum console_ev ev;
    if (!buf) { /* end of input: no more prompts, the room goes on */
        j->e2e->interactive = 0;
        ev = console_lines_end(&j->con, &line, &ll);
        console_event(j, s, ev, line, ll, now);
        return;
    }
    while (!s->finished && (ev = console_lines_feed(&j->con, &buf, &len, &line, &ll)) != CONSOLE_NONE)
        console_event(j, s, ev, line, ll, now);
}

/* ---- attendance receipts: a copy in the store, pending ones resent ---- */

static void store_receipt(void *ctx, struct dialog *s, const char *bilan, const char *session,
                          const json_t *record, const json_t *attestation)
{
    struct join_ctx *j = ctx;
    (void)s;
    char *rt = json_dumps(record, JSON_COMPACT | JSON_SORT_KEYS);
    char *at = attestation ? json_dumps(attestation, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    struct ks_receipt r;
    memset(&r, 0, sizeof r);
    r.server_id = j->server_id;
    snprintf(r.bilan, sizeof r.bilan, "%s", bilan);
    snprintf(r.session, sizeof r.session, "%s", session);
    r.record = rt;
    r.attestation = at;
    if (!rt || !at || ks_receipt_put(j->a->ks, &r))
        fprintf(stderr, "bilan: warning: cannot keep a copy of the receipt of session %s: %s\n",
                session, rt && at ? ks_error(j->a->ks) : "out of memory");
    free(rt);
    free(at);
}

static void receipt_acked(void *ctx, struct dialog *s, const char *session)
{
    struct join_ctx *j = ctx;
    (void)s;
    if (ks_receipt_sent(j->a->ks, j->server_id, session))
        fprintf(stderr, "bilan: warning: cannot note that the receipt of %s was sent: %s\n",
                session, ks_error(j->a->ks));
}

/* What this device saw of the sessions it took part in, kept for a record
 * that reaches it on a later visit (it was gone when the session closed). */
static void attend_keep(void *ctx, struct dialog *s, const char *bilan, const struct attend_obs *o)
{
    struct join_ctx *j = ctx;
    (void)s;
    json_t *js = attend_to_json(o);
    char *text = js ? json_dumps(js, JSON_COMPACT) : NULL;
    json_decref(js);
    if (!text || ks_attend_put(j->a->ks, j->server_id, bilan, o->session, text))
        fprintf(stderr, "bilan: warning: cannot keep what this device saw of session %s: %s\n", o->session,
                text ? ks_error(j->a->ks) : "out of memory");
    free(text);
}

static int attend_load(void *ctx, struct dialog *s, const char *bilan, const char *session, struct attend_obs *o)
{
    struct join_ctx *j = ctx;
    (void)s;
    char *text = NULL;
    int rc = ks_attend_get(j->a->ks, j->server_id, bilan, session, &text);
    if (rc < 0)
        fprintf(stderr, "bilan: warning: cannot read what this device saw of session %s: %s\n", session,
                ks_error(j->a->ks));
    json_error_t je;
    json_t *js = rc == 0 && text ? json_loads(text, JSON_REJECT_DUPLICATES, &je) : NULL;
    free(text);
    int ok = js && !attend_from_json(js, o);
    json_decref(js);
    return ok;
}

/* A receipt signed on an earlier visit whose acknowledgement never came
 * (the connection ended first): send it again now. */
static int pending_cb(void *arg, const struct ks_receipt *r)
{
    struct dialog *s = arg;
    json_error_t je;
    json_t *o = json_loads(r->attestation, JSON_REJECT_DUPLICATES, &je);
    struct bp_attestation at;
    struct bp_verr e;
    if (!o || bp_attest_from_json(o, &at, &e)) {
        fprintf(stderr, "bilan: warning: the stored receipt of session %s is unreadable\n",
                r->session);
    } else {
        fprintf(s->out, "[receipt] session=%s sending (signed earlier)\n", r->session);
        fflush(s->out);
        dialog_send_receipt(s, r->session, at.received_audio_ms, at.sas_verified, at.sig);
    }
    json_decref(o);
    return s->finished;
}

static void send_pending(struct join_ctx *j, struct dialog *s)
{
    if (ks_receipt_each(j->a->ks, j->server_id, 1, pending_cb, s))
        fprintf(stderr, "bilan: warning: cannot read the pending receipts: %s\n",
                ks_error(j->a->ks));
}

/* ---- end-to-end: what the store knows about this bilan ---- */

static int peer_cb(void *arg, const struct ks_peer *p)
{
    struct join_ctx *j = arg;
    if (p->verified)
        e2e_add_known(j->e2e, p->device, p->role);
    return 0;
}

static void remember_peer(void *ctx, const struct e2e_remember *r)
{
    struct join_ctx *j = ctx;
    struct ks_peer p;
    memset(&p, 0, sizeof p);
    p.server_id = j->server_id;
    snprintf(p.bilan, sizeof p.bilan, "%s", j->e2e->bilan);
    memcpy(p.device, r->fp, BP_FP_LEN);
    snprintf(p.role, sizeof p.role, "%s", r->role);
    memcpy(p.sign_pub, r->sign_pub, BP_KEY_LEN);
    memcpy(p.dh_pub, r->dh_pub, BP_KEY_LEN);
    p.verified = r->verified;
    snprintf(p.method, sizeof p.method, "%s", r->method);
    if (ks_peer_put(j->a->ks, &p))
        fprintf(stderr, "bilan: warning: cannot remember a peer: %s\n", ks_error(j->a->ks));
}

/* The invite secrets and the verified peers of the bilan we are about to join. */
static void load_e2e(struct join_ctx *j, const char *bilan)
{
    uint8_t secrets[E2E_SECRETS_MAX][BP_SECRET_LEN];
    int n = 0;
    if (ks_bilan_secrets(j->a->ks, j->server_id, bilan, secrets, E2E_SECRETS_MAX, &n))
        fprintf(stderr, "bilan: warning: cannot read the invite secrets: %s\n", ks_error(j->a->ks));
    for (int i = 0; i < n; i++)
        e2e_add_secret(j->e2e, secrets[i]);
    OPENSSL_cleanse(secrets, sizeof secrets);
    ks_peer_each(j->a->ks, j->server_id, bilan, peer_cb, j);
}

static int known_cb(void *arg, const struct ks_bilan *b)
{
    struct join_ctx *j = arg;
    if (b->redeemed && j->nknown < 64)
        snprintf(j->known[j->nknown++], BP_ID_MAX + 1, "%s", b->bilan);
    return 0;
}

static int is_known(const struct join_ctx *j, const char *id)
{
    for (int i = 0; i < j->nknown; i++)
        if (!strcmp(j->known[i], id))
            return 1;
    return 0;
}

/* Which bilan did the invite open? The welcome lists every bilan of this
 * device; the invite's is the beneficiary one we had not redeemed before
 * (a server may also say so in an optional "bilan" field). */
static const char *invite_bilan(struct join_ctx *j, const json_t *m)
{
    const char *hint = bp_str(m, "bilan", NULL);
    if (hint && bp_id_ok(hint))
        return hint;
    const json_t *arr = json_object_get(m, "bilans");
    const char *fresh = NULL, *any = NULL;
    int nfresh = 0, nany = 0;
    size_t i;
    json_t *b;
    json_array_foreach(arr, i, b)
    {
        const char *id = bp_str(b, "bilan", NULL);
        if (!id || !bp_id_ok(id) || strcmp(bp_str(b, "role", ""), "beneficiary"))
            continue;
        any = id, nany++;
        if (!is_known(j, id))
            fresh = id, nfresh++;
    }
    if (nfresh == 1)
        return fresh;
    if (nfresh == 0 && nany == 1)
        return any; /* the same invite redeemed again after a crash */
    return NULL;
}

static int join_reply(void *ctx, struct dialog *s, enum bp_type t, const json_t *m)
{
    struct join_ctx *j = ctx;
    if (t != BP_T_WELCOME)
        return 0;
    if (!j->by_link) {
        cli_trust_seen(j->a, &j->srv, j->trust);
        load_e2e(j, s->bilan);
        send_pending(j, s);
        return 0;
    }
    long long sid;
    ks_bilan_each(j->a->ks, 0, known_cb, j);
    int rc = cli_store_welcome(j->a, j->cfg, j->device_name, m, &sid);
    if (rc)
        return rc;
    const char *id = invite_bilan(j, m);
    if (!id)
        return cli_fail(EXIT_REFUSED,
                        "the server accepted the invite but did not say which bilan it "
                        "opens; run `bilan bilan list` and `bilan join BILAN-ID`");
    struct ks_bilan kb;
    memset(&kb, 0, sizeof kb);
    kb.server_id = sid;
    snprintf(kb.bilan, sizeof kb.bilan, "%s", id);
    memcpy(kb.secret, j->link.secret, BP_SECRET_LEN);
    kb.has_secret = 1;
    bp_sha256(j->link.token, BP_TOKEN_LEN, kb.token_hash);
    kb.has_token_hash = 1;
    kb.redeemed = 1;
    rc = ks_bilan_put(j->a->ks, &kb);
    OPENSSL_cleanse(&kb, sizeof kb);
    if (rc)
        return cli_fail(EXIT_USAGE, "cannot save the bilan: %s", ks_error(j->a->ks));
    snprintf(s->bilan, sizeof s->bilan, "%s", id);
    j->server_id = sid;
    load_e2e(j, id);
    send_pending(j, s);
    return 0;
}

static int parse_count(const char *opt, const char *v, int max, int *out)
{
    char *end;
    long n = strtol(v, &end, 10);
    if (!*v || *end || n < 0 || n > max)
        return cli_fail(EXIT_USAGE, "%s %s: expected a whole number from 0 to %d", opt, v, max);
    *out = (int)n;
    return 0;
}

static int parse_seconds(const char *opt, const char *v, uint64_t *out_ms)
{
    long long s;
    if (!cli_parse_duration(v, &s, NULL) && s > 0) {
        *out_ms = (uint64_t)s * 1000;
        return 0;
    }
    char *end;
    double d = strtod(v, &end);
    if (*v && !*end && d > 0 && d < 10.0 * 365 * 86400) {
        *out_ms = (uint64_t)(d * 1000.0);
        return 0;
    }
    return cli_fail(EXIT_USAGE, "%s %s: expected a positive number of seconds (or 90s, 5m, 1h30)",
                    opt, v);
}

struct find_ctx {
    const char *bilan;
    int count;
    long long server_id;
};

static int find_cb(void *arg, const struct ks_bilan *b)
{
    struct find_ctx *f = arg;
    if (!strcmp(b->bilan, f->bilan)) {
        f->count++;
        f->server_id = b->server_id;
    }
    return 0;
}

static int run_join(struct app *a, struct join_ctx *j, struct dialog *s, struct ks_server *srv,
                    const char *arg, const char *opt_server)
{
    int rc;
    if (j->by_link) {
        uint8_t h[32];
        struct ks_bilan kb;
        bp_sha256(j->link.token, BP_TOKEN_LEN, h);
        rc = ks_bilan_by_token_hash(a->ks, h, &kb);
        if (rc < 0)
            return cli_fail(EXIT_USAGE, "%s", ks_error(a->ks));
        if (rc == 0 && (kb.redeemed || !strcmp(kb.role, "consultant"))) {
            /* Already ours: authenticate and join, no need to redeem again. */
            snprintf(s->bilan, sizeof s->bilan, "%s", kb.bilan);
            rc = ks_server_by_id(a->ks, kb.server_id, srv);
            OPENSSL_cleanse(&kb, sizeof kb);
            if (rc)
                return cli_fail(EXIT_USAGE, "the bilan of this link has no server in client.db");
            j->by_link = 0;
            s->mode = DIALOG_AUTH;
        } else {
            OPENSSL_cleanse(&kb, sizeof kb);
            s->mode = DIALOG_ENROL;
            memcpy(s->token, j->link.token, BP_TOKEN_LEN);
            snprintf(s->device_name, sizeof s->device_name, "%s", j->device_name);
            memset(srv, 0, sizeof *srv);
            snprintf(srv->host, sizeof srv->host, "%s", j->link.host);
            srv->port = j->link.port;
            srv->has_pin = j->link.has_pin;
            memcpy(srv->pin, j->link.pin, BP_FP_LEN);
        }
    } else {
        if (!bp_id_ok(arg))
            return cli_fail(EXIT_USAGE,
                            "'%s' is neither an invite link (https://...) nor a bilan id", arg);
        snprintf(s->bilan, sizeof s->bilan, "%s", arg);
        s->mode = DIALOG_AUTH;
        if (opt_server) {
            if ((rc = app_pick_server(a, opt_server, NULL, srv)))
                return rc;
        } else {
            struct find_ctx f = {.bilan = arg};
            ks_bilan_each(a->ks, 0, find_cb, &f);
            if (f.count == 1) {
                if (ks_server_by_id(a->ks, f.server_id, srv))
                    return cli_fail(EXIT_USAGE, "bilan %s has no server in client.db", arg);
            } else if (f.count > 1) {
                return cli_fail(EXIT_USAGE,
                                "bilan %s is known on several servers: add --server HOST:PORT",
                                arg);
            } else if ((rc = app_pick_server(a, NULL, NULL, srv))) {
                return rc;
            }
        }
    }
    j->server_id = srv->id;
    j->srv = *srv;
    j->cfg->host = srv->host;
    j->cfg->port = srv->port;
    j->cfg->has_pin = srv->has_pin;
    memcpy(j->cfg->pin, srv->pin, BP_FP_LEN);
    j->cfg->trusted_by = &j->trust;
    return app_run_dialog(s, j->cfg);
}

/* What a refused invite means, in the words of the person holding the link
 * (French first: beneficiaries are French speakers, often not technical).
 * The server's own message (English) was printed as an [error] line. */
static void explain_refusal(const struct dialog *s)
{
    static const struct {
        const char *code, *text;
    } why[] = {
        {"token_revoked",
         "ce lien d'invitation a \xc3\xa9t\xc3\xa9 remplac\xc3\xa9 par un lien plus "
         "r\xc3\xa9""cent : demandez le dernier lien \xc3\xa0 votre consultant. (This invite "
         "link was replaced by a newer one: ask your consultant for the latest link.)"},
        {"token_expired",
         "ce lien d'invitation a expir\xc3\xa9 : demandez un nouveau lien \xc3\xa0 votre "
         "consultant. (This invite link has expired: ask your consultant for a new one.)"},
        {"token_used",
         "ce lien d'invitation a d\xc3\xa9j\xc3\xa0 servi sur un autre appareil : demandez un "
         "nouveau lien \xc3\xa0 votre consultant, et dites-lui si ce n'\xc3\xa9tait pas vous. "
         "(This invite link was already used on another device: ask your consultant for a new "
         "one, and tell them if it was not you.)"},
        {"unknown_token",
         "ce lien d'invitation n'est pas reconnu : v\xc3\xa9rifiez que vous l'avez copi\xc3\xa9 en "
         "entier, ou demandez un nouveau lien \xc3\xa0 votre consultant. (This invite link is not "
         "known: check that you copied all of it, or ask your consultant for a new one.)"},
    };
    for (size_t i = 0; i < sizeof why / sizeof why[0]; i++)
        if (!strcmp(s->err_code, why[i].code))
            fprintf(stderr, "bilan: %s\n", why[i].text);
}

/* --stats: counters only (no key, no content), written to a temporary file
 * and renamed so that a reader never sees half of it. */
static int write_stats(const char *path, const struct dialog *s, const struct e2e *e)
{
    const struct e2e_stats *st = &e->stats;
    json_t *o = json_pack(
        "{s:{s:I, s:I, s:I, s:I, s:I, s:I}, s:{s:I, s:I, s:I, s:I, s:I, s:I}}", "e2e",
        "frames_sealed",
        (json_int_t)st->frames_sealed, "frames_opened", (json_int_t)st->frames_opened,
        "dropped_replay", (json_int_t)st->dropped_replay, "dropped_auth",
        (json_int_t)st->dropped_auth, "dropped_unknown_kid", (json_int_t)st->dropped_unknown_kid,
        "held", (json_int_t)st->held, "relay", "frames_sent", (json_int_t)s->seq, "frames_in",
        (json_int_t)s->frames_accepted, "frames_out", (json_int_t)s->relay_frames_out,
        "dropped_video", (json_int_t)s->relay_dropped_video, "queued_bytes",
        (json_int_t)s->relay_queued_bytes, "flow_holds", (json_int_t)s->flow_holds);
    if (!o) {
        errno = ENOMEM;
        return -1;
    }
    char *txt = json_dumps(o, JSON_INDENT(2) | JSON_SORT_KEYS);
    json_decref(o);
    if (!txt) {
        errno = ENOMEM;
        return -1;
    }
    char tmp[4200];
    if (snprintf(tmp, sizeof tmp, "%s.%ld.tmp", path, (long)getpid()) >= (int)sizeof tmp) {
        free(txt);
        errno = ENAMETOOLONG;
        return -1;
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    int rc = -1;
    if (fd >= 0) {
        size_t n = strlen(txt);
        rc = write(fd, txt, n) == (ssize_t)n && write(fd, "\n", 1) == 1 && fsync(fd) == 0 ? 0 : -1;
        int saved = errno;
        close(fd);
        if (rc == 0 && rename(tmp, path))
            rc = -1, saved = errno;
        if (rc)
            unlink(tmp);
        errno = saved;
    }
    free(txt);
    return rc;
}

int cmd_join(struct app *a, int argc, char **argv)
{
    static const struct option opts[] = {
        {"send-file", required_argument, NULL, 'f'},
        {"say", required_argument, NULL, 'S'},
        {"recv-dir", required_argument, NULL, 'r'},
        {"expect-files", required_argument, NULL, 'F'},
        {"expect-chat", required_argument, NULL, 'C'},
        {"expect-members", required_argument, NULL, 'M'},
        {"duration", required_argument, NULL, 'd'},
        {"timeout", required_argument, NULL, 't'},
        {"server", required_argument, NULL, 's'},
        {"headless", no_argument, NULL, 'H'},
        {"confirm-sas", no_argument, NULL, 1001},
        {"reject-sas", no_argument, NULL, 1002},
        {"stats", required_argument, NULL, 1003},
        {"open-session", required_argument, NULL, 1004},
        {"close-session", no_argument, NULL, 1005},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    static struct datatx tx;
    static struct datarx rx;
    struct dialog s;
    dialog_init(&s);
    datatx_init(&tx);
    const char *recv_dir = NULL, *opt_server = NULL, *stats_file = NULL;
    enum e2e_sas_policy policy = E2E_SAS_ASK;
    int c, rc = 0;
    optind = 0; /* 0, not 1: glibc then resets its state and permutes (options after operands) */
    while ((c = getopt_long(argc, argv, "f:S:r:F:C:M:d:t:s:Hh", opts, NULL)) != -1) {
        char why[600];
        const char *w;
        switch (c) {
        case 'f':
            if (datatx_add_file(&tx, optarg, why, sizeof why))
                rc = cli_fail(EXIT_USAGE, "--send-file: %s", why);
            break;
        case 'S':
            if (datatx_add_chat(&tx, optarg, &w))
                rc = cli_fail(EXIT_USAGE, "--say: %s", w);
            break;
        case 'r':
            recv_dir = optarg;
            break;
        case 'F':
            rc = parse_count("--expect-files", optarg, 1000000, &s.expect_files);
            break;
        case 'C':
            rc = parse_count("--expect-chat", optarg, 1000000, &s.expect_chat);
            break;
        case 'M':
            rc = parse_count("--expect-members", optarg, 1000000, &s.expect_members);
            break;
        case 'd':
            rc = parse_seconds("--duration", optarg, &s.duration_ms);
            break;
        case 't':
            rc = parse_seconds("--timeout", optarg, &s.timeout_ms);
            break;
        case 's':
            opt_server = optarg;
            break;
        case 'H':
            break; /* no window in this version: headless is the only mode */
        case 1001:
        case 1002:
            if (policy != E2E_SAS_ASK)
                rc = cli_fail(EXIT_USAGE, "--confirm-sas and --reject-sas exclude each other");
            policy = c == 1001 ? E2E_SAS_CONFIRM : E2E_SAS_REJECT;
            break;
        case 1003:
            stats_file = optarg;
            break;
        case 1004:
            if (!hours_phase_ok(optarg))
                rc = cli_fail(EXIT_USAGE, "--open-session %s: the phase is one of %s", optarg,
                              hours_phases);
            else
                snprintf(s.open_phase, sizeof s.open_phase, "%s", optarg);
            break;
        case 1005:
            s.close_on_leave = 1;
            break;
        case 'h':
            fputs(usage, stdout);
            datatx_free(&tx);
            return 0;
        default:
            fputs(usage, stderr);
            rc = EXIT_USAGE;
            break;
        }
        if (rc)
            break;
    }
    if (!rc && argc - optind != 1) {
        fputs(usage, stderr);
        rc = EXIT_USAGE;
    }
    struct stat sb;
    if (!rc && recv_dir && (stat(recv_dir, &sb) || !S_ISDIR(sb.st_mode)))
        rc = cli_fail(EXIT_USAGE, "--recv-dir %s: not an existing folder", recv_dir);
    if (rc) {
        datatx_free(&tx);
        return rc;
    }
    const char *arg = argv[optind];
    static struct join_ctx j;
    static struct net_cfg cfg;
    memset(&j, 0, sizeof j);
    j.a = a;
    j.cfg = &cfg;
    if (!strncmp(arg, "https://", 8) || strchr(arg, '#')) {
        const char *why;
        if (bp_link_parse(arg, &j.link, &why)) {
            datatx_free(&tx);
            return cli_fail(EXIT_USAGE, "cannot read the invite link: %s", why);
        }
        if (j.link.kind != BP_LINK_INVITE) {
            datatx_free(&tx);
            return cli_fail(EXIT_USAGE,
                            "this is an enrolment link, not an invite: use `bilan enrol LINK`");
        }
        j.by_link = 1;
        cli_default_device_name(j.device_name, sizeof j.device_name);
    }
    if ((rc = app_open(a))) {
        datatx_free(&tx);
        return rc;
    }
    datarx_init(&rx, recv_dir, stdout);
    static struct e2e e2e;
    if (e2e_init(&e2e, &a->id, NULL, policy)) {
        datatx_free(&tx);
        return cli_fail(EXIT_USAGE, "cannot set up end-to-end encryption (OpenSSL)");
    }
    e2e.io.store_ctx = &j;
    e2e.io.remember = remember_peer;
    j.e2e = &e2e;
    s.e2e = &e2e;
    struct dialog_hooks hooks = {
        .reply_ctx = &j,
        .on_reply = join_reply,
        .input_ctx = &j,
        .on_input = console_input,
        .on_receipt = store_receipt,
        .on_receipt_ok = receipt_acked,
        .on_attend = attend_keep,
        .attend_load = attend_load,
    };
    console_lines_init(&j.con);
    /* Prompts for codes while standard input may be read (until its end). */
    e2e.interactive = policy == E2E_SAS_ASK;
    s.hooks = &hooks;
    s.id = &a->id;
    s.goal = GOAL_JOIN;
    s.wall_offset_ms = cli_wall_ms() - (int64_t)cli_now_ms();
    s.tx = &tx;
    s.rx = &rx;
    s.scripted = tx.n > 0 || s.expect_files || s.expect_chat || s.expect_members;
    s.want_relay_stats = stats_file != NULL;
    if (!recv_dir && s.expect_files)
        fprintf(stderr,
                "bilan: warning: --expect-files without --recv-dir: files will be refused\n");
    struct ks_server srv;
    rc = run_join(a, &j, &s, &srv, arg, opt_server);
    if (rc == EXIT_REFUSED && j.by_link)
        explain_refusal(&s);
    if (stats_file && write_stats(stats_file, &s, &e2e))
        fprintf(stderr, "bilan: cannot write %s: %s\n", stats_file, strerror(errno));
    e2e_free(&e2e);
    OPENSSL_cleanse(s.token, sizeof s.token);
    OPENSSL_cleanse(&j.link, sizeof j.link);
    datarx_free(&rx, "transfer interrupted: we left the room");
    datatx_free(&tx);
    return rc;
}
