/* cmd_join.c: `bilan join LINK-OR-BILAN-ID`: enters a bilan's room.
 *
 * With an invite link this device redeems the invite (enrol with the invite
 * token) unless it already did, which the local store tells (by the token's
 * hash); then it joins. The link's secret is stored and never sent. In the
 * room it sends its --say lines and --send-file files once someone else is
 * there, receives chat and files, and leaves when its expectations are met,
 * --duration elapsed, --timeout elapsed (exit 4), on SIGINT/SIGTERM or /quit.
 *
 * This file is the flow: options (join_opts.c) -> which server and bilan
 * (the store, or the link) -> the dialog set up with end-to-end encryption,
 * the data kind and the command's hooks -> one connection -> --stats. What
 * is typed in the room is join_console.c's; what is kept in the store
 * around the visit (receipts, attendance, peers, secrets) is
 * join_store.c's. Sessions and receipts (PROTOCOL.md §9): --open-session
 * and --close-session drive the dialog (dialog_hours.c). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "call.h"
#include "cli.h"
#include "enrol.h"
#include "i18n.h"
#include "join_console.h"
#include "join_opts.h"
#include "join_store.h"
#include "join_window.h"
#include "proto_words.h"
#include "sheet_sync.h"
#include "words.h"

struct join_ctx {
    struct app *a;
    struct net_cfg *cfg;
    int by_link;
    struct bp_link link;
    char device_name[BP_NAME_MAX + 1];
    struct join_store store;
    struct join_console console;
    char downloads[4096]; /* where accepted files go without --recv-dir */
    struct ks_server srv; /* the server, when known from the store (join by id) */
    enum net_trust trust; /* how this connection trusted it */
    int welcomed;         /* welcomes so far (more than one: reconnections) */
    struct sheet_sync *sync; /* the worksheets in the room (PROTOCOL.md §10.5) */
};

/* The welcome: join by id, or redeem the invite of the link. */
static int join_reply(void *ctx, struct dialog *s, enum bp_type t, const json_t *m)
{
    struct join_ctx *j = ctx;
    if (t != BP_T_WELCOME)
        return 0;
    if (j->store.server_id)
        cli_shred_closed(j->a, j->store.server_id, json_object_get(m, "bilans"));
    if (!j->sync && j->store.server_id) {
        /* The worksheets follow the room: caught up at each join, live
         * while in it; a failure to start them is said and the room goes on. */
        struct sheet_sync_cfg sc = {.ks = j->a->ks, .server_id = j->store.server_id, .id = &j->a->id,
                                    .err = stderr};
        if (sheet_sync_new(&sc, &j->sync) == 0) {
            s->sheets = &sheet_sync_hooks;
            s->sheets_ctx = j->sync;
            j->store.sync = j->sync;
            j->store.dlg = s;
        }
    }
    if (j->welcomed++) {
        /* A reconnection (dialog.h): the device is known now; keys again. */
        join_store_load_e2e(&j->store, s->bilan);
        join_store_send_pending(&j->store, s);
        return 0;
    }
    if (!j->by_link) {
        cli_trust_seen(j->a, &j->srv, j->trust);
        join_store_load_e2e(&j->store, s->bilan);
        join_store_send_pending(&j->store, s);
        return 0;
    }
    long long sid;
    join_store_known_before(&j->store);
    int rc = cli_store_welcome(j->a, j->cfg, j->device_name, m, &sid);
    if (rc)
        return rc;
    const char *id = join_store_invite_bilan(&j->store, m);
    if (!id)
        return cli_fail(EXIT_REFUSED,
                        _("le serveur a accepté l'invitation sans dire quel bilan elle ouvre : "
                          "tapez `bilan bilan list`, puis `bilan join IDENTIFIANT`"));
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
        return cli_fail(EXIT_USAGE, _("impossible d'enregistrer le bilan : %s"),
                        ks_error(j->a->ks));
    snprintf(s->bilan, sizeof s->bilan, "%s", id);
    /* The invite is spent: a reconnection authenticates with the key. */
    s->req.mode = DIALOG_AUTH;
    OPENSSL_cleanse(s->req.token, sizeof s->req.token);
    j->store.server_id = sid;
    if (!j->sync) {
        struct sheet_sync_cfg sc = {.ks = j->a->ks, .server_id = sid, .id = &j->a->id, .err = stderr};
        if (sheet_sync_new(&sc, &j->sync) == 0) {
            s->sheets = &sheet_sync_hooks;
            s->sheets_ctx = j->sync;
            j->store.sync = j->sync;
            j->store.dlg = s;
        }
    }
    join_store_load_e2e(&j->store, id);
    join_store_send_pending(&j->store, s);
    return 0;
}

/* The command's side of the dialog. */
static void app_input(void *ctx, struct dialog *d, const char *buf, size_t len, uint64_t now)
{
    struct join_ctx *j = ctx;
    join_console_input(&j->console, d, buf, len, now);
}

static void app_tick(void *ctx, struct dialog *d, uint64_t now)
{
    struct join_ctx *j = ctx;
    join_console_tick(&j->console, d, now);
}

/* The link to the server (reconnection): the person's words and the window. */
static void app_link(void *ctx, struct dialog *d, int reconnecting, int retry_left_s)
{
    (void)ctx;
    room_news_link(&d->news, reconnecting ? ROOM_RECONNECTING : ROOM_IN, retry_left_s);
}

static void app_receipt(void *ctx, struct dialog *d, const char *bilan, const char *session,
                        const json_t *record, const json_t *attestation)
{
    struct join_ctx *j = ctx;
    (void)d;
    join_store_receipt(&j->store, bilan, session, record, attestation);
}

static void app_receipt_ok(void *ctx, struct dialog *d, const char *session)
{
    struct join_ctx *j = ctx;
    (void)d;
    join_store_receipt_sent(&j->store, session);
}

static void app_attend(void *ctx, struct dialog *d, const char *bilan, const struct attend_obs *o)
{
    struct join_ctx *j = ctx;
    (void)d;
    join_store_attend_put(&j->store, bilan, o);
}

static int app_attend_load(void *ctx, struct dialog *d, const char *bilan, const char *session,
                           struct attend_obs *o)
{
    struct join_ctx *j = ctx;
    (void)d;
    return join_store_attend_get(&j->store, bilan, session, o);
}

static const struct dialog_app join_app = {
    .on_reply = join_reply,
    .on_input = app_input,
    .on_receipt = app_receipt,
    .on_receipt_ok = app_receipt_ok,
    .on_attend = app_attend,
    .attend_load = app_attend_load,
    .tick = app_tick,
    .on_link = app_link,
};

/* Where accepted files go without --recv-dir: the desktop's downloads
 * folder (XDG_DOWNLOAD_DIR, then ~/Téléchargements or ~/Downloads), else a
 * folder in the data folder. 1 when out names an existing folder. */
static int download_dir(const struct app *a, char *out, size_t cap)
{
    struct stat sb;
    const char *x = getenv("XDG_DOWNLOAD_DIR"), *home = getenv("HOME");
    if (x && *x && !stat(x, &sb) && S_ISDIR(sb.st_mode)) {
        snprintf(out, cap, "%s", x);
        return 1;
    }
    static const char *const tries[] = {"Téléchargements", "Downloads"};
    for (size_t i = 0; home && i < sizeof tries / sizeof tries[0]; i++) {
        snprintf(out, cap, "%s/%s", home, tries[i]);
        if (!stat(out, &sb) && S_ISDIR(sb.st_mode))
            return 1;
    }
    if (snprintf(out, cap, "%.4000s/fichiers-recus", a->data_dir) >= (int)cap)
        return 0;
    if (mkdir(out, 0700) && errno != EEXIST)
        return 0;
    return !stat(out, &sb) && S_ISDIR(sb.st_mode);
}

struct find_ctx {
    const char *bilan;
    int count;
    long long server_id;
    /* Nothing matched exactly: the known id the person probably meant. */
    char folded[BP_ID_MAX + 1];
    char same[BP_ID_MAX + 1]; /* equal but for capitals */
    char near[BP_ID_MAX + 1]; /* a typo away (distance 1 or 2) */
    int near_dist, near_ties;
};

static int find_cb(void *arg, const struct ks_bilan *b)
{
    struct find_ctx *f = arg;
    if (!strcmp(b->bilan, f->bilan)) {
        f->count++;
        f->server_id = b->server_id;
        return 0;
    }
    char k[BP_ID_MAX + 1];
    words_fold(b->bilan, strlen(b->bilan), k, sizeof k);
    if (!strcmp(k, f->folded)) {
        snprintf(f->same, sizeof f->same, "%s", b->bilan);
        return 0;
    }
    int d = words_distance(k, f->folded);
    if (d <= 2 && (!f->near[0] || d < f->near_dist)) {
        snprintf(f->near, sizeof f->near, "%s", b->bilan);
        f->near_dist = d;
        f->near_ties = 0;
    } else if (d <= 2 && d == f->near_dist && strcmp(f->near, b->bilan)) {
        f->near_ties = 1;
    }
    return 0;
}

/* One window per room on a device: a second `bilan join` of the same bilan
 * from the same data folder would replace the first one's connection (the
 * server keeps one per device) and both would fight over the room. The
 * lock is the kernel's (flock): it goes with the process, even on a crash. */
static int lock_room(const struct app *a, const char *bilan)
{
    static int fd = -1;
    char path[4200];
    if (fd >= 0 || !bilan[0])
        return 0;
    if (snprintf(path, sizeof path, "%s/join-%s.lock", a->data_dir, bilan) >= (int)sizeof path)
        return 0;
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return 0; /* no lock rather than no meeting */
    if (flock(fd, LOCK_EX | LOCK_NB)) {
        close(fd);
        fd = -1;
        return cli_fail(EXIT_USAGE,
                        _("cette salle est déjà ouverte dans une autre fenêtre de cet appareil : "
                          "continuez dans cette fenêtre-là, ou fermez-la avant de rejoindre ici."));
    }
    return 0;
}

/* Files are offered to a person (at a terminal or in a window) and go to
 * the downloads folder once accepted; a script without --recv-dir refuses
 * them. */
static void offer_files(struct app *a, struct join_ctx *j, struct dialog *s,
                        const struct join_opts *o, int window)
{
    if (o->recv_dir || o->machine || !s->rx || (!j->console.tty && !window))
        return;
    if (download_dir(a, j->downloads, sizeof j->downloads)) {
        s->rx->dir = j->downloads;
        s->rx->ask = 1;
    }
}

static int run_join(struct app *a, struct join_ctx *j, struct dialog *s, struct ks_server *srv,
                    const char *arg, const struct join_opts *o, struct join_window *jw,
                    struct call *call)
{
    const char *opt_server = o->opt_server;
    int rc;
    if (j->by_link) {
        uint8_t h[32];
        struct ks_bilan kb;
        bp_sha256(j->link.token, BP_TOKEN_LEN, h);
        rc = ks_bilan_by_token_hash(a->ks, h, &kb);
        if (rc < 0)
            return cli_fail(EXIT_USAGE, "%s", ks_error(a->ks));
        if (rc == 0 &&
            (kb.redeemed || bp_role_parse(kb.role, strlen(kb.role)) == BP_ROLE_CONSULTANT)) {
            /* Already ours: authenticate and join, no need to redeem again. */
            snprintf(s->bilan, sizeof s->bilan, "%s", kb.bilan);
            rc = ks_server_by_id(a->ks, kb.server_id, srv);
            OPENSSL_cleanse(&kb, sizeof kb);
            if (rc)
                return cli_fail(EXIT_USAGE, "%s",
                                _("cet appareil ne sait plus sur quel serveur est le bilan de ce "
                                  "lien : inscrivez-le de nouveau avec le lien reçu"));
            j->by_link = 0;
            s->req.mode = DIALOG_AUTH;
        } else {
            OPENSSL_cleanse(&kb, sizeof kb);
            s->req.mode = DIALOG_ENROL;
            memcpy(s->req.token, j->link.token, BP_TOKEN_LEN);
            snprintf(s->req.device_name, sizeof s->req.device_name, "%s", j->device_name);
            memset(srv, 0, sizeof *srv);
            snprintf(srv->host, sizeof srv->host, "%s", j->link.host);
            srv->port = j->link.port;
            srv->has_pin = j->link.has_pin;
            memcpy(srv->pin, j->link.pin, BP_FP_LEN);
        }
    } else {
        if (!bp_id_ok(arg))
            return cli_fail(
                EXIT_USAGE,
                _("« %s » n'est ni un lien d'invitation (https://...) ni un identifiant "
                  "de bilan"),
                arg);
        snprintf(s->bilan, sizeof s->bilan, "%s", arg);
        s->req.mode = DIALOG_AUTH;
        if (opt_server) {
            if ((rc = app_pick_server(a, opt_server, BP_ROLE_NONE, srv)))
                return rc;
        } else {
            struct find_ctx f = {.bilan = arg};
            words_fold(arg, strlen(arg), f.folded, sizeof f.folded);
            ks_bilan_each(a->ks, 0, find_cb, &f);
            if (!f.count && f.same[0]) { /* capitals typed otherwise: the person means it */
                f.bilan = arg = f.same;
                snprintf(s->bilan, sizeof s->bilan, "%s", arg);
                ks_bilan_each(a->ks, 0, find_cb, &f);
            } else if (!f.count && f.near[0] && !f.near_ties) {
                return cli_fail(EXIT_USAGE,
                                _("le bilan « %s » n'est pas connu de cet appareil. Vouliez-vous "
                                  "dire « %s » ? (la liste : bilan bilan list)"),
                                arg, f.near);
            }
            if (f.count == 1) {
                if (ks_server_by_id(a->ks, f.server_id, srv))
                    return cli_fail(
                        EXIT_USAGE,
                        _("cet appareil ne sait plus sur quel serveur est le bilan %s : "
                          "rejoignez-le avec le lien d'invitation reçu"),
                        arg);
            } else if (f.count > 1) {
                return cli_fail(EXIT_USAGE,
                                _("le bilan %s existe sur plusieurs serveurs : ajoutez --server "
                                  "HÔTE:PORT"),
                                arg);
            } else if ((rc = app_pick_server(a, NULL, BP_ROLE_NONE, srv))) {
                return rc;
            }
        }
    }
    if ((rc = lock_room(a, s->bilan)))
        return rc;
    j->store.server_id = srv->id;
    j->srv = *srv;
    j->cfg->host = srv->host;
    j->cfg->port = srv->port;
    j->cfg->has_pin = srv->has_pin;
    memcpy(j->cfg->pin, srv->pin, BP_FP_LEN);
    j->cfg->trusted_by = &j->trust;
    /* The window opens once the room is ours to open (the lock above): a
     * second join of the same room never flashes a window before its error. */
    join_window_open(jw, a, o, s, call, &j->console, j->by_link ? NULL : arg);
    offer_files(a, j, s, o, jw->win != NULL);
    return app_run_dialog(s, j->cfg);
}

/* What a refused join means, in the words of the person holding the link
 * (French first: beneficiaries are French speakers, often not technical):
 * an invite's own words, else the code's (proto_words.h: a full room, a
 * device that is not a member...). The server's own message (English) went
 * to the [error] machine line only. */
static void explain_refusal(const struct dialog *s, int by_link)
{
    static const struct {
        const char *code, *text;
    } why[] = {
        {"token_revoked", N_("ce lien d'invitation a été remplacé par un lien plus récent : "
                             "demandez le dernier lien à votre consultante ou votre consultant.")},
        {"token_expired", N_("ce lien d'invitation a expiré : demandez un nouveau lien à votre "
                             "consultante ou votre consultant.")},
        {"token_used", N_("ce lien d'invitation a déjà servi sur un autre appareil : demandez un "
                          "nouveau lien à votre consultante ou votre consultant, et dites-lui si "
                          "ce n'était pas vous.")},
        {"unknown_token", N_("ce lien d'invitation n'est pas reconnu : vérifiez que vous l'avez "
                             "copié en entier, ou demandez un nouveau lien à votre consultante ou "
                             "votre consultant.")},
    };
    for (size_t i = 0; by_link && i < sizeof why / sizeof why[0]; i++)
        if (!strcmp(s->err_code, why[i].code)) {
            fprintf(stderr, _("bilan : %s\n"), _(why[i].text));
            return;
        }
    fprintf(stderr, _("bilan : le serveur a refusé : %s (code=%s)\n"),
            proto_code_words(s->err_code), s->err_code);
}

/* --stats: counters only (no key, no content), written to a temporary file
 * and renamed so that a reader never sees half of it. */
static int write_stats(const char *path, const struct dialog *s, const struct e2e *e,
                       struct call *call)
{
    const struct e2e_stats *st = &e->stats;
    json_t *o = json_pack(
        "{s:{s:I, s:I, s:I, s:I, s:I, s:I}, s:{s:I, s:I, s:I, s:I, s:I, s:I}}", "e2e",
        "frames_sealed",
        (json_int_t)st->frames_sealed, "frames_opened", (json_int_t)st->frames_opened,
        "dropped_replay", (json_int_t)st->dropped_replay, "dropped_auth",
        (json_int_t)st->dropped_auth, "dropped_unknown_kid", (json_int_t)st->dropped_unknown_kid,
        "held", (json_int_t)st->held, "relay", "frames_sent", (json_int_t)s->mux.sent, "frames_in",
        (json_int_t)s->relay.frames_accepted, "frames_out", (json_int_t)s->relay.frames_out,
        "dropped_video", (json_int_t)s->relay.dropped_video, "queued_bytes",
        (json_int_t)s->relay.queued_bytes, "flow_holds", (json_int_t)s->flow.holds);
    if (o && call)
        json_object_set_new(o, "media", call_stats_json(call));
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

int join_run(struct app *a, struct join_opts *o)
{
    static struct join_ctx j;
    static struct net_cfg cfg;
    static struct datarx rx;
    static struct e2e e2e;
    int rc;
    memset(&j, 0, sizeof j);
    memset(&cfg, 0, sizeof cfg);
    j.a = a;
    j.cfg = &cfg;
    j.store.a = a;
    const char *arg = o->arg;
    if (!strncmp(arg, "https://", 8) || strchr(arg, '#')) {
        const char *why;
        if (bp_link_parse(arg, &j.link, &why))
            /* Some reasons already say what to do (proto/link.c: "copy the whole link"). */
            return cli_fail(EXIT_USAGE,
                            strstr(why, "copy")
                                ? _("lien d'invitation illisible : %s")
                                : _("lien d'invitation illisible : %s ; copiez le lien entier"),
                            proto_words(why));
        if (j.link.kind != BP_LINK_INVITE)
            return cli_fail(
                EXIT_USAGE,
                _("c'est un lien d'inscription, pas une invitation : tapez `bilan enrol "
                  "LIEN`"));
        j.by_link = 1;
        cli_default_device_name(j.device_name, sizeof j.device_name);
    }
    if ((rc = app_open(a)))
        return rc;
    datarx_init(&rx, o->recv_dir, stdout);
    if (e2e_init(&e2e, &a->id, NULL, o->policy))
        return cli_fail(EXIT_USAGE, "%s",
                        _("impossible de préparer le chiffrement de bout en bout (OpenSSL) : "
                          "réessayez"));
    e2e.io.store_ctx = &j.store;
    e2e.io.remember = join_store_remember_peer;
    j.store.e2e = &e2e;
    join_console_init(&j.console, &e2e);
    j.console.tty = isatty(STDIN_FILENO);
    /* Prompts for codes while standard input may be read (until its end). */
    e2e.interactive = o->policy == E2E_SAS_ASK;
    static struct dialog s;
    dialog_init(&s);
    s.app = &join_app;
    s.app_ctx = &j;
    s.id = &a->id;
    s.e2e = &e2e;
    s.req.goal = GOAL_JOIN;
    s.hours.wall_offset_ms = cli_wall_ms() - (int64_t)cli_now_ms();
    s.tx = &o->tx;
    s.rx = &rx;
    /* What the person reads: sentences (room_news.h), or the machine lines
     * for scripts and tests (--machine). */
    s.machine = o->machine;
    if (!o->machine) {
        s.news.out = stdout;
        rx.out = NULL;
        o->tx.out = NULL;
    }
    rx.news = &s.news;
    o->tx.news = &s.news;
    s.news.auto_session = o->open_phase[0] != 0;
    rx.reply = &o->tx; /* file answers go back to their senders */
    if (!o->machine && j.console.tty) {
        /* A person at a terminal: the room's sentences never split the line
         * being typed (term.h). */
        term_open(&j.console.term);
        s.news.before = term_before_print;
        s.news.after = term_after_print;
        s.news.term_ctx = &j.console.term;
    }
    s.script.expect_files = o->expect_files;
    s.script.expect_chat = o->expect_chat;
    s.script.expect_members = o->expect_members;
    s.script.duration_ms = o->duration_ms;
    s.link.rc.window_ms = (uint64_t)o->reconnect_s * 1000; /* 0: --reconnect-for 0, never */
    s.script.timeout_ms = o->timeout_ms;
    s.script.scripted = o->tx.n > 0 || o->expect_files || o->expect_chat || o->expect_members;
    s.script.want_relay_stats = o->stats_file != NULL;
    snprintf(s.hours.open_phase, sizeof s.hours.open_phase, "%s", o->open_phase);
    s.hours.close_on_leave = o->close_on_leave;
    if (!o->recv_dir && o->expect_files)
        fprintf(stderr, "%s",
                _("bilan : attention : --expect-files sans --recv-dir : les fichiers seront "
                  "refusés\n"));
    if (o->on_ready)
        o->on_ready(o->on_ready_ctx, &s);
    /* The call: sources and files are opened before any connection, so a
     * wrong --video or --audio is said at once. Its receive half is always
     * there: what the others send is decoded (and counted as heard for the
     * receipts) even when nothing is recorded or played. */
    struct call_config cc = {.video = o->video, .audio = o->audio, .video_out = o->video_out,
                             .audio_out = o->audio_out, .width = o->width, .height = o->height,
                             .fps = o->fps, .err = stderr,
                             .no_echo_cancel = o->no_echo_cancel};
    struct call *call = NULL;
    char why[600];
    why[0] = 0;
    if (call_new(&call, &cc, why, sizeof why) || call_attach(call, &s, why, sizeof why)) {
        call_free(call);
        e2e_free(&e2e);
        datarx_free(&rx, "no visit");
        dialog_free(&s);
        return cli_fail(EXIT_USAGE, "%s", why);
    }
    struct ks_server srv;
    /* The window (join_window.h): the room as a person sees it, or text. */
    static struct join_window jw;
    memset(&jw, 0, sizeof jw);
    rc = run_join(a, &j, &s, &srv, arg, o, &jw, call);
    join_window_close(&jw, &s);
    if (rc == EXIT_REFUSED && s.err_code[0])
        explain_refusal(&s, j.by_link);
    if (call && call_stop(call, why, sizeof why)) {
        fprintf(stderr, "%s%s\n", _("bilan : "), why);
        if (!rc)
            rc = EXIT_USAGE;
    }
    if (o->stats_file && write_stats(o->stats_file, &s, &e2e, call))
        fprintf(stderr, _("bilan : impossible d'écrire %s : %s\n"), o->stats_file,
                i18n_strerror(errno));
    term_close(&j.console.term);
    join_console_free(&j.console);
    call_free(call);
    e2e_free(&e2e);
    sheet_sync_free(j.sync);
    OPENSSL_cleanse(s.req.token, sizeof s.req.token);
    OPENSSL_cleanse(&j.link, sizeof j.link);
    datarx_free(&rx, _("envoi interrompu : vous avez quitté la salle"));
    dialog_free(&s);
    return rc;
}

int cmd_join(struct app *a, int argc, char **argv)
{
    static struct join_opts o;
    int rc = join_opts_parse(&o, argc, argv);
    if (rc)
        return rc < 0 ? 0 : rc;
    rc = join_run(a, &o);
    join_opts_free(&o);
    return rc;
}
