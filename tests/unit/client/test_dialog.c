/* test_dialog.c: drives client/dialog.c with fake server messages and
 * checks what it sends, prints and decides: the handshake (signatures that
 * verify), requests, the room roster, chat and file transfer between two
 * dialogs wired back to back (datatx -> frames -> datarx), expectations,
 * leave, errors, timeouts and interrupts, and the server's flow hold/go
 * (no data frame while held, everything sent after go); reconnection: a
 * join lost in the room waits and joins again (a fatal refusal, a
 * replacing window, a leave, no join yet or no window end it at once), and
 * gives up at its window's end. */
#define _GNU_SOURCE /* memmem */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../check.h"
#include "bp/data.h"
#include "bp/kinds.h"
#include "dialog.h"
#include "e2e_room.h"
#include "util.h"

/* ---- a fake transport ---- */
struct fake {
    char sent[16][4096];
    int nsent;
    int want_write, closed;
    int reply_calls;
    enum bp_type last_reply;
};

static int f_send(void *ctx, const char *buf, size_t len)
{
    struct fake *f = ctx;
    if (f->nsent < 16 && len < sizeof f->sent[0]) {
        memcpy(f->sent[f->nsent], buf, len);
        f->sent[f->nsent][len] = '\0';
    }
    f->nsent++;
    return 0;
}

static void f_want(void *ctx)
{
    ((struct fake *)ctx)->want_write++;
}

static void f_close(void *ctx)
{
    ((struct fake *)ctx)->closed++;
}

static int f_reply(void *ctx, struct dialog *s, enum bp_type t, const json_t *m)
{
    struct fake *f = ctx;
    (void)s;
    (void)m;
    f->reply_calls++;
    f->last_reply = t;
    if (t == BP_T_WELCOME && s->req.goal == GOAL_JOIN && !s->bilan[0])
        snprintf(s->bilan, sizeof s->bilan, "B1");
    return 0;
}

static const char *last_type(struct fake *f)
{
    static char type[64];
    json_t *o = json_loads(f->sent[f->nsent - 1], 0, NULL);
    snprintf(type, sizeof type, "%s", o ? bp_str(o, "type", "?") : "?");
    json_decref(o);
    return type;
}

static void feed(struct dialog *s, const char *json, uint64_t now)
{
    dialog_on_text(s, json, strlen(json), now);
}

static const struct dialog_transport fake_tp = {f_send, f_want, f_close, NULL};
static const struct dialog_app fake_app = {.on_reply = f_reply};

struct peer {
    struct fake f;
    struct dialog s;
    struct bp_identity id;
    FILE *out;
    char *outbuf;
    size_t outlen;
    struct datatx tx;
    struct datarx rx;
};

static void peer_init(struct peer *p, enum dialog_goal goal, const char *recv_dir)
{
    memset(p, 0, sizeof *p);
    bp_identity_generate(&p->id);
    p->out = open_memstream(&p->outbuf, &p->outlen);
    dialog_init(&p->s);
    p->s.tp = &fake_tp;
    p->s.tp_ctx = &p->f;
    p->s.app = &fake_app;
    p->s.app_ctx = &p->f;
    p->s.id = &p->id;
    p->s.out = p->out;
    p->s.err = stderr;
    p->s.req.goal = goal;
    datatx_init(&p->tx);
    p->tx.out = p->out; /* "[file] sent" lines with the others */
    datarx_init(&p->rx, recv_dir, p->out);
    if (goal == GOAL_JOIN) {
        p->s.tx = &p->tx;
        p->s.rx = &p->rx;
    }
}

static void peer_free(struct peer *p)
{
    datarx_free(&p->rx, "test over");
    datatx_free(&p->tx);
    dialog_free(&p->s);
    fclose(p->out);
    free(p->outbuf);
    bp_identity_wipe(&p->id);
}

static const char *output(struct peer *p)
{
    fflush(p->out);
    return p->outbuf ? p->outbuf : "";
}

static char nonce64[BP_B64_32 + 1];
static uint8_t nonce[32];

static void challenge(struct dialog *s, uint64_t now)
{
    char msg[256];
    memset(nonce, 0x42, sizeof nonce);
    bp_b64_encode(nonce, sizeof nonce, nonce64);
    snprintf(msg, sizeof msg, "{\"type\":\"challenge\",\"v\":1,\"nonce\":\"%s\",\"server\":\"t\"}",
             nonce64);
    feed(s, msg, now);
}

static const char *fp64_of(const struct bp_identity *id)
{
    static char out[BP_B64_32 + 1];
    uint8_t fp[32];
    bp_fingerprint(id->sign_pub, id->dh_pub, fp);
    bp_b64_encode(fp, sizeof fp, out);
    return out;
}

/* ---- handshake ---- */
static void test_auth_handshake(void)
{
    struct peer p;
    peer_init(&p, GOAL_LIST, NULL);
    dialog_start(&p.s, 1000);
    CHECK_EQ_INT(p.f.nsent, 1);
    json_t *o = json_loads(p.f.sent[0], 0, NULL);
    CHECK_STR(bp_str(o, "type", ""), "hello");
    CHECK_EQ_INT(bp_int(o, "v", 0), 1);
    json_decref(o);
    CHECK_EQ_INT(p.s.st, ST_HELLO);

    challenge(&p.s, 1001);
    CHECK_EQ_INT(p.f.nsent, 2);
    o = json_loads(p.f.sent[1], 0, NULL);
    CHECK_STR(bp_str(o, "type", ""), "auth");
    CHECK_STR(bp_str(o, "device", ""), fp64_of(&p.id));
    uint8_t sig[64], msg[BP_AUTH_MSG_MAX];
    CHECK_EQ_INT(bp_b64_decode_exact(bp_str(o, "sig", ""), sig, 64), 0);
    int n = bp_auth_message(nonce, p.id.sign_pub, p.id.dh_pub, NULL, 0, msg);
    CHECK_EQ_INT(bp_ed25519_verify(p.id.sign_pub, msg, (size_t)n, sig), 0);
    json_decref(o);

    /* welcome -> the command sees it, then bilan_list goes out. */
    char w[256];
    snprintf(w, sizeof w, "{\"type\":\"welcome\",\"role\":\"consultant\",\"device\":\"%s\",\"bilans\":[]}",
             fp64_of(&p.id));
    feed(&p.s, w, 1002);
    CHECK_EQ_INT(p.f.reply_calls, 1);
    CHECK_STR(last_type(&p.f), "bilan_list");
    CHECK_EQ_INT(p.s.st, ST_REQUEST);
    feed(&p.s, "{\"type\":\"bilans\",\"bilans\":[]}", 1003);
    CHECK_EQ_INT(p.f.last_reply, BP_T_BILANS);
    CHECK(p.s.finished);
    CHECK_EQ_INT(p.s.exit_code, 0);
    CHECK_EQ_INT(p.f.closed, 1);
    peer_free(&p);
}

static void test_enrol_handshake(void)
{
    struct peer p;
    peer_init(&p, GOAL_WELCOME, NULL);
    p.s.req.mode = DIALOG_ENROL;
    memset(p.s.req.token, 0x33, sizeof p.s.req.token);
    snprintf(p.s.req.device_name, sizeof p.s.req.device_name, "laptop");
    dialog_start(&p.s, 0);
    challenge(&p.s, 1);
    json_t *o = json_loads(p.f.sent[1], 0, NULL);
    CHECK_STR(bp_str(o, "type", ""), "enrol");
    CHECK_STR(bp_str(o, "device_name", ""), "laptop");
    uint8_t tok[32], sig[64], msg[BP_AUTH_MSG_MAX], pub[32];
    CHECK_EQ_INT(bp_b64_decode_exact(bp_str(o, "token", ""), tok, 32), 0);
    CHECK_MEM(tok, p.s.req.token, 32);
    CHECK_EQ_INT(bp_b64_decode_exact(bp_str(o, "sign_pub", ""), pub, 32), 0);
    CHECK_MEM(pub, p.id.sign_pub, 32);
    CHECK_EQ_INT(bp_b64_decode_exact(bp_str(o, "sig", ""), sig, 64), 0);
    int n = bp_auth_message(nonce, p.id.sign_pub, p.id.dh_pub, tok, 32, msg);
    CHECK_EQ_INT(bp_ed25519_verify(p.id.sign_pub, msg, (size_t)n, sig), 0);
    /* A signature over another nonce must not verify (we signed this challenge). */
    msg[20] ^= 1;
    CHECK(bp_ed25519_verify(p.id.sign_pub, msg, (size_t)n, sig) != 0);
    json_decref(o);
    /* A refused enrolment is exit code 2. */
    feed(&p.s, "{\"type\":\"error\",\"code\":\"token_used\",\"message\":\"used\"}", 2);
    CHECK(p.s.finished);
    CHECK_EQ_INT(p.s.exit_code, EXIT_REFUSED);
    CHECK_STR(p.s.err_code, "token_used");
    peer_free(&p);
}

static void test_bad_server(void)
{
    struct peer p;
    peer_init(&p, GOAL_WELCOME, NULL);
    dialog_start(&p.s, 0);
    /* Unknown types are ignored (additive protocol changes). */
    feed(&p.s, "{\"type\":\"future_thing\",\"x\":1}", 1);
    CHECK(!p.s.finished);
    /* An invalid message is a protocol failure: exit 3. */
    feed(&p.s, "{\"type\":\"challenge\",\"v\":1,\"nonce\":\"short\"}", 2);
    CHECK(p.s.finished);
    CHECK_EQ_INT(p.s.exit_code, EXIT_NETWORK);
    peer_free(&p);

    peer_init(&p, GOAL_WELCOME, NULL);
    dialog_start(&p.s, 0);
    feed(&p.s, "{\"type\":\"challenge\",\"v\":2,\"nonce\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}", 1);
    CHECK_EQ_INT(p.s.exit_code, EXIT_REFUSED); /* version mismatch */
    peer_free(&p);

    /* A welcome before any challenge is out of turn. */
    peer_init(&p, GOAL_WELCOME, NULL);
    dialog_start(&p.s, 0);
    feed(&p.s, "{\"type\":\"welcome\",\"role\":\"consultant\",\"device\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}", 1);
    CHECK_EQ_INT(p.s.exit_code, EXIT_NETWORK);
    peer_free(&p);

    /* Silence during setup times out (exit 4). */
    peer_init(&p, GOAL_WELCOME, NULL);
    dialog_start(&p.s, 0);
    dialog_tick(&p.s, 29999);
    CHECK(!p.s.finished);
    dialog_tick(&p.s, 30000);
    CHECK_EQ_INT(p.s.exit_code, EXIT_TIMEOUT);
    peer_free(&p);

    /* Connection lost before the end. */
    peer_init(&p, GOAL_WELCOME, NULL);
    dialog_start(&p.s, 0);
    dialog_closed(&p.s);
    CHECK(p.s.lost);
    CHECK_EQ_INT(p.s.exit_code, EXIT_NETWORK);
    peer_free(&p);
}

/* Brings p into room B1 at slot with the given roster JSON. */
static void enter_room(struct peer *p, int slot, const char *members, uint64_t now)
{
    dialog_start(&p->s, now);
    challenge(&p->s, now);
    char w[256];
    snprintf(w, sizeof w, "{\"type\":\"welcome\",\"role\":\"beneficiary\",\"device\":\"%s\",\"bilans\":[]}",
             fp64_of(&p->id));
    feed(&p->s, w, now);
    CHECK_STR(last_type(&p->f), "join");
    char j[1024];
    snprintf(j, sizeof j, "{\"type\":\"joined\",\"bilan\":\"B1\",\"slot\":%d,\"role\":\"beneficiary\",\"members\":%s}",
             slot, members);
    feed(&p->s, j, now);
}

#define DEV_A "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"
#define DEV_B "EBESExQVFhcYGRobHB0eHyAhIiMkJSYnKCkqKywtLi8"

static void test_room_roster(void)
{
    struct peer p;
    peer_init(&p, GOAL_JOIN, NULL);
    p.s.script.scripted = 1;
    p.s.script.expect_members = 3;
    enter_room(&p, 1,
               "[{\"slot\":0,\"device\":\"" DEV_A "\",\"role\":\"consultant\"},"
               "{\"slot\":1,\"device\":\"" DEV_B "\",\"role\":\"beneficiary\"}]",
               10);
    CHECK_EQ_INT(p.s.st, ST_IN_ROOM);
    CHECK(strstr(output(&p), "[room] joined bilan=B1 slot=1 role=beneficiary members=2\n") != NULL);
    CHECK(strstr(output(&p), "[room] member slot=0 role=consultant device=0001020304050607\n") != NULL);
    CHECK(strstr(output(&p), "member slot=1") == NULL); /* not ourselves */
    feed(&p.s, "{\"type\":\"member_joined\",\"slot\":2,\"device\":\"" DEV_A "\",\"role\":\"consultant\"}", 11);
    CHECK(strstr(output(&p), "[room] + slot=2 role=consultant device=0001020304050607\n") != NULL);
    /* Three members seen: expectation met, nothing to send -> leave. */
    CHECK_EQ_INT(p.s.st, ST_LEAVING);
    CHECK_STR(last_type(&p.f), "leave");
    feed(&p.s, "{\"type\":\"member_left\",\"slot\":0,\"device\":\"" DEV_A "\",\"role\":\"consultant\",\"reason\":\"lost\"}", 12);
    CHECK(strstr(output(&p), "[room] - slot=0 role=consultant reason=lost\n") != NULL);
    feed(&p.s, "{\"type\":\"left\",\"bilan\":\"B1\"}", 13);
    CHECK(p.s.finished);
    CHECK_EQ_INT(p.s.exit_code, 0);
    peer_free(&p);

    /* join refused: [error] line and exit 2. */
    peer_init(&p, GOAL_JOIN, NULL);
    dialog_start(&p.s, 0);
    challenge(&p.s, 0);
    char w[256];
    snprintf(w, sizeof w, "{\"type\":\"welcome\",\"role\":\"beneficiary\",\"device\":\"%s\"}", fp64_of(&p.id));
    feed(&p.s, w, 0);
    feed(&p.s, "{\"type\":\"error\",\"code\":\"room_full\",\"message\":\"full\\u001b[2J\"}", 1);
    CHECK(strstr(output(&p), "[error] code=room_full: full?[2J\n") != NULL);
    CHECK_EQ_INT(p.s.exit_code, EXIT_REFUSED);
    peer_free(&p);

    /* In the room, a non-fatal error is printed and the room goes on; a fatal one ends it. */
    peer_init(&p, GOAL_JOIN, NULL);
    enter_room(&p, 0, "[]", 0);
    feed(&p.s, "{\"type\":\"error\",\"code\":\"bad_frame\",\"message\":\"x\"}", 1);
    CHECK(!p.s.finished);
    feed(&p.s, "{\"type\":\"error\",\"code\":\"too_slow\",\"message\":\"x\",\"fatal\":true}", 2);
    CHECK_EQ_INT(p.s.exit_code, EXIT_REFUSED);
    peer_free(&p);
}

#define DEV_C "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8"

static void enter_as(struct peer *p, const char *role, int slot, const char *members)
{
    dialog_start(&p->s, 0);
    challenge(&p->s, 0);
    char w[256], j[1024];
    snprintf(w, sizeof w, "{\"type\":\"welcome\",\"role\":\"%s\",\"device\":\"%s\",\"bilans\":[]}",
             role, fp64_of(&p->id));
    feed(&p->s, w, 0);
    snprintf(j, sizeof j, "{\"type\":\"joined\",\"bilan\":\"B1\",\"slot\":%d,\"role\":\"%s\",\"members\":%s}",
             slot, role, members);
    feed(&p->s, j, 0);
}

/* beneficiary_devices (PROTOCOL.md §3.2): a bilan with more than one
 * beneficiary device is a loud warning, in the consultant's words for the
 * consultant and in the beneficiary's for a beneficiary; one device is not. */
static void test_second_device(void)
{
    struct peer p;
    peer_init(&p, GOAL_JOIN, NULL);
    p.s.news.out = p.out; /* the sentences too */
    enter_as(&p, "consultant", 0,
             "[{\"slot\":1,\"device\":\"" DEV_B "\",\"role\":\"beneficiary\",\"beneficiary_devices\":1}]");
    CHECK_EQ_INT(p.s.st, ST_IN_ROOM);
    CHECK(strstr(output(&p), "ATTENTION") == NULL);
    feed(&p.s, "{\"type\":\"member_joined\",\"slot\":2,\"device\":\"" DEV_C "\",\"role\":\"beneficiary\","
               "\"beneficiary_devices\":2}", 1);
    CHECK(strstr(output(&p), "[room] ATTENTION slot=2 beneficiary_devices=2 device=2021222324252627: "
                             "second beneficiary device") != NULL);
    CHECK(strstr(output(&p), "ATTENTION : un deuxi\xc3\xa8me appareil utilise l'invitation du "
                             "b\xc3\xa9n\xc3\xa9""ficiaire (2 appareils") != NULL);
    CHECK(strstr(output(&p), "Demandez au b\xc3\xa9n\xc3\xa9""ficiaire si l'appareil 2021222324252627 est bien "
                             "le sien") != NULL);
    CHECK(strstr(output(&p), "ATTENTION slot=1") == NULL);
    peer_free(&p);

    /* The roster of a consultant who joins after both: both flagged. */
    peer_init(&p, GOAL_JOIN, NULL);
    p.s.news.out = p.out; /* the sentences too */
    enter_as(&p, "consultant", 0,
             "[{\"slot\":1,\"device\":\"" DEV_B "\",\"role\":\"beneficiary\",\"beneficiary_devices\":2},"
             "{\"slot\":2,\"device\":\"" DEV_C "\",\"role\":\"beneficiary\",\"beneficiary_devices\":2},"
             "{\"slot\":3,\"device\":\"" DEV_A "\",\"role\":\"consultant\"}]");
    CHECK(strstr(output(&p), "[room] ATTENTION slot=1 ") != NULL);
    CHECK(strstr(output(&p), "[room] ATTENTION slot=2 ") != NULL);
    CHECK(strstr(output(&p), "ATTENTION slot=3") == NULL);
    peer_free(&p);

    /* A beneficiary device is told in its own words. */
    peer_init(&p, GOAL_JOIN, NULL);
    p.s.news.out = p.out; /* the sentences too */
    enter_as(&p, "beneficiary", 1, "[]");
    feed(&p.s, "{\"type\":\"member_joined\",\"slot\":2,\"device\":\"" DEV_C "\",\"role\":\"beneficiary\","
               "\"beneficiary_devices\":3}", 1);
    CHECK(strstr(output(&p), "[room] ATTENTION slot=2 beneficiary_devices=3: another device") != NULL);
    CHECK(strstr(output(&p), "ATTENTION : un autre appareil est entr\xc3\xa9 avec une invitation "
                             "de ce bilan (3 appareils)") != NULL);
    peer_free(&p);

    /* A malformed count in the roster is a protocol failure. */
    peer_init(&p, GOAL_JOIN, NULL);
    enter_as(&p, "consultant", 0,
             "[{\"slot\":1,\"device\":\"" DEV_B "\",\"role\":\"beneficiary\",\"beneficiary_devices\":0}]");
    CHECK(p.s.finished && p.s.st != ST_IN_ROOM);
    peer_free(&p);
}

static void test_deadlines(void)
{
    struct peer p;
    /* --duration: leave, exit 0. */
    peer_init(&p, GOAL_JOIN, NULL);
    p.s.script.duration_ms = 5000;
    enter_room(&p, 0, "[]", 100);
    dialog_tick(&p.s, 5099);
    CHECK_EQ_INT(p.s.st, ST_IN_ROOM);
    dialog_tick(&p.s, 5100);
    CHECK_EQ_INT(p.s.st, ST_LEAVING);
    feed(&p.s, "{\"type\":\"left\",\"bilan\":\"B1\"}", 5101);
    CHECK_EQ_INT(p.s.exit_code, 0);
    peer_free(&p);

    /* --timeout with expectations unmet: leave, exit 4, even if left never comes. */
    peer_init(&p, GOAL_JOIN, NULL);
    p.s.script.scripted = 1;
    p.s.script.expect_chat = 1;
    p.s.script.timeout_ms = 2000;
    enter_room(&p, 0, "[]", 0);
    dialog_tick(&p.s, 2000);
    CHECK_EQ_INT(p.s.st, ST_LEAVING);
    dialog_tick(&p.s, 6999);
    CHECK(!p.s.finished);
    dialog_tick(&p.s, 7000);
    CHECK(p.s.finished);
    CHECK_EQ_INT(p.s.exit_code, EXIT_TIMEOUT);
    peer_free(&p);

    /* SIGINT in the room: leave cleanly, exit 0. */
    peer_init(&p, GOAL_JOIN, NULL);
    enter_room(&p, 0, "[]", 0);
    dialog_interrupt(&p.s, 1);
    CHECK_STR(last_type(&p.f), "leave");
    feed(&p.s, "{\"type\":\"left\",\"bilan\":\"B1\"}", 2);
    CHECK_EQ_INT(p.s.exit_code, 0);
    peer_free(&p);
}

/* Pumps every frame a's dialog produces into b's, as the server would
 * (overwriting the sender slot). Returns the number of frames. */
static int pump(struct peer *a, struct peer *b, uint8_t slot, uint32_t *last_seq)
{
    static uint8_t frame[BP_MAX_FRAME];
    int frames = 0, n;
    while ((n = dialog_writable(&a->s, frame, sizeof frame, 50)) > 0) {
        struct bp_hdr h;
        CHECK_EQ_INT(bp_hdr_decode(frame, (size_t)n, &h, NULL), 0);
        CHECK_EQ_INT(h.kind, BP_KIND_DATA);
        CHECK(n <= BP_HDR_LEN + BP_DATA_MAX);
        if (frames || *last_seq != UINT32_MAX)
            CHECK_EQ_INT(h.seq, *last_seq + 1);
        *last_seq = h.seq;
        bp_hdr_set_slot(frame, slot);
        dialog_on_binary(&b->s, frame, (size_t)n, 50);
        frames++;
    }
    return frames;
}

static int file_equal(const char *a, const char *b)
{
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "cmp -s '%s' '%s'", a, b);
    return system(cmd) == 0;
}

static int count_parts(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
        n += strstr(e->d_name, ".part") != NULL;
    if (d)
        closedir(d);
    return n;
}

static void test_transfer(void)
{
    char tmpl[] = "/tmp/bilan-sess-XXXXXX";
    CHECK(mkdtemp(tmpl) != NULL);
    char src[300], recv[300], path[400];
    snprintf(src, sizeof src, "%s/src", tmpl);
    snprintf(recv, sizeof recv, "%s/recv", tmpl);
    mkdir(src, 0700);
    mkdir(recv, 0700);
    /* A 600 KiB file: three chunks, the last one partial. */
    char big[400];
    snprintf(big, sizeof big, "%s/rapport final.pdf", src);
    FILE *f = fopen(big, "wb");
    for (int i = 0; i < 600 * 1024; i++)
        fputc((i * 7 + i / 1000) & 0xff, f);
    fclose(f);
    char empty[400];
    snprintf(empty, sizeof empty, "%s/.empty", src);
    fclose(fopen(empty, "wb"));

    struct peer a, b;
    peer_init(&a, GOAL_JOIN, NULL);
    peer_init(&b, GOAL_JOIN, recv);
    const char *why;
    char whyb[300];
    CHECK_EQ_INT(datatx_add_chat(&a.tx, "Bonjour, voici le rapport.", &why), 0);
    CHECK_EQ_INT(datatx_add_file(&a.tx, big, whyb, sizeof whyb), 0);
    CHECK_EQ_INT(datatx_add_file(&a.tx, empty, whyb, sizeof whyb), 0);
    CHECK(datatx_add_file(&a.tx, "/nonexistent/x", whyb, sizeof whyb) < 0);
    CHECK(datatx_add_file(&a.tx, tmpl, whyb, sizeof whyb) < 0); /* a folder */
    CHECK(datatx_add_chat(&a.tx, "", &why) < 0);
    a.s.script.scripted = 1;
    b.s.script.scripted = 1;
    b.s.script.expect_files = 2;
    b.s.script.expect_chat = 1;

    enter_room(&a, 0, "[{\"slot\":0,\"device\":\"" DEV_A "\",\"role\":\"consultant\"}]", 0);
    /* Alone: nothing is sent yet. */
    uint8_t frame[64];
    CHECK_EQ_INT(dialog_writable(&a.s, frame, sizeof frame, 1), 0);
    CHECK_EQ_INT(a.s.st, ST_IN_ROOM);
    enter_room(&b, 1,
               "[{\"slot\":0,\"device\":\"" DEV_A "\",\"role\":\"consultant\"},"
               "{\"slot\":1,\"device\":\"" DEV_B "\",\"role\":\"beneficiary\"}]",
               0);
    int ww = a.f.want_write;
    feed(&a.s, "{\"type\":\"member_joined\",\"slot\":1,\"device\":\"" DEV_B "\",\"role\":\"beneficiary\"}", 1);
    CHECK(a.f.want_write > ww);
    uint32_t seq = UINT32_MAX;
    int frames = pump(&a, &b, 0, &seq);
    /* chat + (begin + 3 chunks + end) + (begin + end) */
    CHECK_EQ_INT(frames, 1 + 5 + 2);
    CHECK(strstr(output(&a), "[file] sent name=rapport final.pdf bytes=614400\n") != NULL);
    CHECK(strstr(output(&a), "[file] sent name=.empty bytes=0\n") != NULL);
    /* Sends done: first make sure the server accepted all 8 frames. */
    CHECK_EQ_INT(a.s.st, ST_IN_ROOM);
    CHECK_STR(last_type(&a.f), "stats");
    feed(&a.s, "{\"type\":\"stats\",\"queued_bytes\":0,\"dropped_video\":0,\"frames_in\":7,\"frames_out\":0}", 60);
    CHECK_EQ_INT(a.s.st, ST_IN_ROOM);
    dialog_tick(&a.s, 100);
    CHECK_STR(last_type(&a.f), "stats"); /* asked again */
    feed(&a.s, "{\"type\":\"stats\",\"queued_bytes\":0,\"dropped_video\":0,\"frames_in\":8,\"frames_out\":0}", 300);
    CHECK_EQ_INT(a.s.st, ST_LEAVING);
    CHECK_STR(last_type(&a.f), "leave");
    CHECK(strstr(output(&b), "[chat] slot=0: Bonjour, voici le rapport.\n") != NULL);
    snprintf(path, sizeof path, "[file] received name=rapport final.pdf bytes=614400 sha256=ok path=%s/rapport final.pdf\n", recv);
    CHECK(strstr(output(&b), path) != NULL);
    snprintf(path, sizeof path, "[file] received name=empty bytes=0 sha256=ok path=%s/empty\n", recv);
    CHECK(strstr(output(&b), path) != NULL);
    snprintf(path, sizeof path, "%s/rapport final.pdf", recv);
    CHECK(file_equal(big, path));
    struct stat sb;
    CHECK_EQ_INT(stat(path, &sb), 0);
    CHECK_EQ_INT(sb.st_mode & 0777, 0600);
    CHECK_EQ_INT(b.rx.files, 2);
    CHECK_EQ_INT(b.rx.chats, 1);
    CHECK_EQ_INT(b.s.st, ST_LEAVING); /* expectations met */
    CHECK_EQ_INT(count_parts(recv), 0);
    peer_free(&a);
    peer_free(&b);

    /* Same name again: never overwritten, "(1)" before the extension. */
    peer_init(&a, GOAL_JOIN, NULL);
    peer_init(&b, GOAL_JOIN, recv);
    CHECK_EQ_INT(datatx_add_file(&a.tx, big, whyb, sizeof whyb), 0);
    enter_room(&a, 0, "[{\"slot\":1,\"device\":\"" DEV_B "\",\"role\":\"beneficiary\"}]", 0);
    enter_room(&b, 1, "[{\"slot\":0,\"device\":\"" DEV_A "\",\"role\":\"consultant\"}]", 0);
    seq = UINT32_MAX;
    pump(&a, &b, 0, &seq);
    snprintf(path, sizeof path, "%s/rapport final (1).pdf", recv);
    CHECK(strstr(output(&b), path) != NULL);
    CHECK(file_equal(big, path));
    peer_free(&a);
    peer_free(&b);

    /* Without --recv-dir: refused, nothing written. */
    peer_init(&a, GOAL_JOIN, NULL);
    peer_init(&b, GOAL_JOIN, NULL);
    CHECK_EQ_INT(datatx_add_file(&a.tx, big, whyb, sizeof whyb), 0);
    enter_room(&a, 0, "[{\"slot\":1,\"device\":\"" DEV_B "\",\"role\":\"beneficiary\"}]", 0);
    enter_room(&b, 1, "[{\"slot\":0,\"device\":\"" DEV_A "\",\"role\":\"consultant\"}]", 0);
    seq = UINT32_MAX;
    pump(&a, &b, 0, &seq);
    CHECK(strstr(output(&b), "[file] rejected name=rapport final.pdf: cet appareil n'accepte pas de fichiers") != NULL);
    CHECK_EQ_INT(b.rx.files, 0);
    peer_free(&a);
    peer_free(&b);

    /* Corrupted content: SHA-256 mismatch, temp file deleted, no final file. */
    peer_init(&b, GOAL_JOIN, recv);
    enter_room(&b, 1, "[{\"slot\":0,\"device\":\"" DEV_A "\",\"role\":\"consultant\"}]", 0);
    uint8_t fr[256], sha[32] = {0};
    struct bp_hdr h = {1, BP_KIND_DATA, 0, 0, 0, 0, 0};
    bp_hdr_encode(&h, fr);
    int n = bp_data_encode_file_begin(9, 3, sha, "x.txt", 5, fr + 16, sizeof fr - 16);
    dialog_on_binary(&b.s, fr, 16 + (size_t)n, 1);
    CHECK_EQ_INT(count_parts(recv), 1);
    n = bp_data_encode_chunk_hdr(9, 0, fr + 16, sizeof fr - 16);
    memcpy(fr + 16 + n, "abc", 3);
    dialog_on_binary(&b.s, fr, 16 + (size_t)n + 3, 2);
    n = bp_data_encode_file_end(9, fr + 16, sizeof fr - 16);
    dialog_on_binary(&b.s, fr, 16 + (size_t)n, 3);
    CHECK(strstr(output(&b), "[file] rejected name=x.txt: l'empreinte SHA-256 ne correspond pas") != NULL);
    CHECK_EQ_INT(count_parts(recv), 0);
    snprintf(path, sizeof path, "%s/x.txt", recv);
    CHECK(access(path, F_OK) != 0);

    /* Oversize announcement refused; a sender leaving mid-transfer deletes its temp file. */
    n = bp_data_encode_file_begin(10, (4ULL << 30) + 1, sha, "huge.bin", 8, fr + 16, sizeof fr - 16);
    dialog_on_binary(&b.s, fr, 16 + (size_t)n, 4);
    CHECK(strstr(output(&b), "[file] rejected name=huge.bin: plus de 4 Gio") != NULL);
    n = bp_data_encode_file_begin(11, 100, sha, "half.txt", 8, fr + 16, sizeof fr - 16);
    dialog_on_binary(&b.s, fr, 16 + (size_t)n, 5);
    n = bp_data_encode_chunk_hdr(11, 0, fr + 16, sizeof fr - 16);
    memcpy(fr + 16 + n, "abc", 3);
    dialog_on_binary(&b.s, fr, 16 + (size_t)n + 3, 6);
    /* Out-of-order chunk on another transfer is rejected. */
    n = bp_data_encode_file_begin(12, 100, sha, "ooo.txt", 7, fr + 16, sizeof fr - 16);
    dialog_on_binary(&b.s, fr, 16 + (size_t)n, 7);
    n = bp_data_encode_chunk_hdr(12, 50, fr + 16, sizeof fr - 16);
    memcpy(fr + 16 + n, "abc", 3);
    dialog_on_binary(&b.s, fr, 16 + (size_t)n + 3, 8);
    CHECK(strstr(output(&b), "[file] rejected name=ooo.txt: morceaux reçus dans le désordre") != NULL);
    CHECK_EQ_INT(count_parts(recv), 1);
    feed(&b.s, "{\"type\":\"member_left\",\"slot\":0,\"device\":\"" DEV_A "\",\"role\":\"consultant\",\"reason\":\"disconnected\"}", 9);
    /* The server may deliver member_left ahead of queued data: a grace period. */
    CHECK(strstr(output(&b), "[file] rejected name=half.txt") == NULL);
    CHECK_EQ_INT(count_parts(recv), 1);
    n = bp_data_encode_chunk_hdr(11, 3, fr + 16, sizeof fr - 16);
    memcpy(fr + 16 + n, "def", 3);
    dialog_on_binary(&b.s, fr, 16 + (size_t)n + 3, 9); /* still accepted */
    dialog_tick(&b.s, 9 + DATARX_GRACE_MS - 1);
    CHECK_EQ_INT(count_parts(recv), 1);
    dialog_tick(&b.s, 9 + DATARX_GRACE_MS);
    CHECK(strstr(output(&b), "[file] rejected name=half.txt: envoi interrompu : l'expéditeur est parti") != NULL);
    CHECK_EQ_INT(count_parts(recv), 0);

    /* A hostile name is made safe; chat control characters are neutralised. */
    feed(&b.s, "{\"type\":\"member_joined\",\"slot\":0,\"device\":\"" DEV_A "\",\"role\":\"consultant\"}", 10);
    uint8_t zero_sha[32];
    bp_sha256((const uint8_t *)"", 0, zero_sha);
    n = bp_data_encode_file_begin(13, 0, zero_sha, "..\x1b[1mevil", 10, fr + 16, sizeof fr - 16);
    dialog_on_binary(&b.s, fr, 16 + (size_t)n, 11);
    n = bp_data_encode_file_end(13, fr + 16, sizeof fr - 16);
    dialog_on_binary(&b.s, fr, 16 + (size_t)n, 12);
    snprintf(path, sizeof path, "[file] received name=_[1mevil bytes=0 sha256=ok path=%s/_[1mevil\n", recv);
    CHECK(strstr(output(&b), path) != NULL);
    n = bp_data_encode_chat("a\x07" "b\nc", 5, fr + 16, sizeof fr - 16);
    dialog_on_binary(&b.s, fr, 16 + (size_t)n, 13);
    CHECK(strstr(output(&b), "[chat] slot=0: a?b?c\n") != NULL);
    /* Malformed data messages and bad headers are ignored, not fatal. */
    fr[16] = 0x09;
    dialog_on_binary(&b.s, fr, 20, 14);
    fr[0] = 2;
    dialog_on_binary(&b.s, fr, 20, 15);
    CHECK(!b.s.finished);
    peer_free(&b);
    CHECK_EQ_INT(count_parts(recv), 0);

    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpl);
    CHECK_EQ_INT(system(cmd), 0);
}

/* ---- two dialogs with end-to-end encryption, through a fake relay ---- */
struct epeer {
    struct peer p; /* first: the fake hooks cast ctx to struct fake */
    struct e2e e;
    int slot;
};

struct relayed {
    int to;
    char *json;
};
static struct relayed rq[256];
static int rqn;

static int r_send(void *ctx, const char *buf, size_t len)
{
    struct epeer *ep = ctx;
    json_t *o = json_loadb(buf, len, 0, NULL);
    if (o && !strcmp(bp_str(o, "type", ""), "e2e") && rqn < 256) {
        json_t *m = json_pack("{s:s, s:i, s:s, s:O}", "type", "e2e", "from", ep->slot, "device",
                              fp64_of(&ep->p.id), "body", json_object_get(o, "body"));
        rq[rqn].to = (int)bp_int(o, "to", -1);
        rq[rqn].json = json_dumps(m, JSON_COMPACT);
        rqn++;
        json_decref(m);
    }
    json_decref(o);
    return f_send(&ep->p.f, buf, len);
}

static const struct dialog_transport relay_tp = {r_send, f_want, f_close, NULL};

static void relay_all(struct epeer **eps, int n, uint64_t now)
{
    for (int i = 0; i < rqn; i++) {
        for (int k = 0; k < n; k++)
            if (eps[k]->slot == rq[i].to)
                feed(&eps[k]->p.s, rq[i].json, now);
        free(rq[i].json);
    }
    rqn = 0;
}

static void epeer_init(struct epeer *ep, int slot, const uint8_t *secret)
{
    peer_init(&ep->p, GOAL_JOIN, NULL);
    ep->slot = slot;
    ep->p.s.tp = &relay_tp;
    ep->p.s.tp_ctx = ep;
    CHECK_EQ_INT(e2e_init(&ep->e, &ep->p.id, secret, E2E_SAS_ASK), 0);
    ep->p.s.e2e = &ep->e;
}

static void test_e2e_dialogs(void)
{
    static struct epeer a, b;
    static const uint8_t secret[BP_SECRET_LEN] = {7};
    epeer_init(&a, 0, secret);
    epeer_init(&b, 1, secret);
    const char *why;
    CHECK_EQ_INT(datatx_add_chat(&a.p.tx, "mots confidentiels", &why), 0);
    a.p.s.script.scripted = 1;
    char fa[BP_B64_32 + 1], fb[BP_B64_32 + 1], roster[512], mj[256];
    snprintf(fa, sizeof fa, "%s", fp64_of(&a.p.id));
    snprintf(fb, sizeof fb, "%s", fp64_of(&b.p.id));
    snprintf(roster, sizeof roster, "[{\"slot\":0,\"device\":\"%s\",\"role\":\"consultant\"}]", fa);
    enter_room(&a.p, 0, roster, 0);
    snprintf(roster, sizeof roster,
             "[{\"slot\":0,\"device\":\"%s\",\"role\":\"consultant\"},"
             "{\"slot\":1,\"device\":\"%s\",\"role\":\"beneficiary\"}]",
             fa, fb);
    enter_room(&b.p, 1, roster, 0);
    snprintf(mj, sizeof mj,
             "{\"type\":\"member_joined\",\"slot\":1,\"device\":\"%s\",\"role\":\"beneficiary\"}", fb);
    feed(&a.p.s, mj, 0);
    static uint8_t frame[BP_MAX_FRAME];
    /* Handshake not done: nothing goes out, in clear or otherwise. */
    CHECK_EQ_INT(dialog_writable(&a.p.s, frame, sizeof frame, 1), 0);
    struct epeer *eps[] = {&a, &b};
    for (int i = 0; i < 8 && rqn; i++)
        relay_all(eps, 2, 2);
    CHECK(strstr(output(&a.p), "[e2e] slot=1 authenticated by=invite\n") != NULL);
    CHECK(strstr(output(&b.p), "[e2e] slot=0 authenticated by=invite\n") != NULL);
    CHECK(strstr(output(&b.p), "[e2e] slot=0 keys gen=") != NULL);
    int n = dialog_writable(&a.p.s, frame, sizeof frame, 3);
    CHECK(n > BP_HDR_LEN);
    CHECK(n > 0 && memmem(frame, (size_t)n, "confidentiels", 13) == NULL);
    CHECK_EQ_INT(frame[1], BP_KIND_DATA);
    CHECK_EQ_INT(a.e.stats.frames_sealed, 1);
    if (n > 0)
        dialog_on_binary(&b.p.s, frame, (size_t)n, 4);
    CHECK(strstr(output(&b.p), "[chat] slot=0: mots confidentiels\n") != NULL);
    CHECK_EQ_INT(b.e.stats.frames_opened, 1);
    /* A plain (unsealed) frame is not shown. */
    static const char plain[] = "\x01texte en clair";
    struct bp_hdr h = {.version = 1, .kind = BP_KIND_DATA, .slot = 0, .seq = 9};
    bp_hdr_encode(&h, frame);
    memcpy(frame + BP_HDR_LEN, plain, sizeof plain - 1);
    dialog_on_binary(&b.p.s, frame, BP_HDR_LEN + sizeof plain - 1, 5);
    CHECK(strstr(output(&b.p), "texte en clair") == NULL);
    CHECK_EQ_INT(b.e.stats.frames_opened, 1);
    dialog_closed(&a.p.s);
    dialog_closed(&b.p.s);
    static const uint8_t zero[BP_KEY_LEN];
    CHECK_MEM(a.e.eph_priv, zero, BP_KEY_LEN); /* erased on leave */
    e2e_free(&a.e);
    e2e_free(&b.e);
    peer_free(&a.p);
    peer_free(&b.p);
}

/* ---- a hostile server and the records it asks us to sign ---- */

/* The last message sent of type, parsed (caller decrefs), or NULL. */
static json_t *last_sent(struct fake *f, const char *type)
{
    for (int i = (f->nsent < 16 ? f->nsent : 16) - 1; i >= 0; i--) {
        json_t *o = json_loads(f->sent[i], 0, NULL);
        if (o && !strcmp(bp_str(o, "type", ""), type))
            return o;
        json_decref(o);
    }
    return NULL;
}

/* A record of session S1 of B1 naming us and DEV_A, as JSON text. */
static void record_json(const struct bp_identity *id, int64_t start, int64_t end, int64_t ftf, char *out,
                        size_t cap, struct bp_record *r)
{
    memset(r, 0, sizeof *r);
    snprintf(r->bilan, sizeof r->bilan, "B1");
    snprintf(r->session, sizeof r->session, "S1");
    snprintf(r->phase, sizeof r->phase, "suivi");
    r->start_ms = start;
    r->end_ms = end;
    r->face_to_face_ms = ftf;
    bp_fingerprint(id->sign_pub, id->dh_pub, r->participants[0]);
    bp_b64_decode_exact(DEV_A, r->participants[1], BP_FP_LEN);
    r->n_participants = 2;
    bp_record_normalize(r);
    json_t *rj = bp_record_to_json(r);
    char *t = json_dumps(rj, JSON_COMPACT);
    snprintf(out, cap, "{\"type\":\"session_record\",\"record\":%s}", t);
    free(t);
    json_decref(rj);
}

static void test_hostile_records(void)
{
    struct peer p;
    char members[512], msg[2048];
    struct bp_record r;

    /* A welcome for another device: not ours to go on with. */
    peer_init(&p, GOAL_JOIN, NULL);
    dialog_start(&p.s, 0);
    challenge(&p.s, 0);
    feed(&p.s, "{\"type\":\"welcome\",\"role\":\"beneficiary\",\"device\":\"" DEV_A "\"}", 1);
    CHECK(p.s.finished);
    CHECK_EQ_INT(p.s.exit_code, EXIT_NETWORK);
    CHECK(last_sent(&p.f, "join") == NULL);
    peer_free(&p);

    /* The review's attack: a session announced, then 3 s later a record of
     * 8 h. The client refuses, signs its refusal, and sends no receipt. */
    peer_init(&p, GOAL_JOIN, NULL);
    snprintf(members, sizeof members,
             "[{\"slot\":0,\"device\":\"" DEV_A "\",\"role\":\"consultant\"},"
             "{\"slot\":1,\"device\":\"%s\",\"role\":\"beneficiary\"}]", fp64_of(&p.id));
    enter_room(&p, 1, members, 1000);
    const int64_t S = 1700000000000LL;
    snprintf(msg, sizeof msg, "{\"type\":\"session_opened\",\"bilan\":\"B1\",\"session\":\"S1\","
             "\"phase\":\"suivi\",\"start_ms\":%lld}", (long long)S);
    feed(&p.s, msg, 1000);
    record_json(&p.id, S, S + 8 * 3600000LL, 8 * 3600000LL, msg, sizeof msg, &r);
    feed(&p.s, msg, 4000);
    CHECK(last_sent(&p.f, "receipt") == NULL);
    json_t *rf = last_sent(&p.f, "receipt_refusal");
    CHECK(rf != NULL);
    if (rf) {
        struct bp_refusal f;
        memset(&f, 0, sizeof f);
        memcpy(f.sign_pub, p.id.sign_pub, BP_KEY_LEN);
        memcpy(f.dh_pub, p.id.dh_pub, BP_KEY_LEN);
        bp_fingerprint(f.sign_pub, f.dh_pub, f.signer);
        snprintf(f.reason, sizeof f.reason, "%s", bp_str(rf, "reason", ""));
        CHECK_EQ_INT(bp_b64_decode_exact(bp_str(rf, "sig", ""), f.sig, BP_SIG_LEN), 0);
        CHECK_EQ_INT(bp_refusal_verify(&r, &f, NULL), 0);
        CHECK(strstr(f.reason, "8:00:00") != NULL);
        CHECK_STR(bp_str(rf, "session", ""), "S1");
        json_decref(rf);
    }
    CHECK(strstr(output(&p), "[receipt] session=S1 not signed: ") != NULL);
    CHECK(strstr(output(&p), "(refusal sent to the server)") != NULL);
    feed(&p.s, "{\"type\":\"receipt_refused\",\"session\":\"S1\"}", 4100);
    CHECK(strstr(output(&p), "[receipt] session=S1 refusal stored by the server") != NULL);
    CHECK(!p.s.finished);
    peer_free(&p);

    /* The same room, a session that really lasted 1 h face to face: signed. */
    peer_init(&p, GOAL_JOIN, NULL);
    snprintf(members, sizeof members,
             "[{\"slot\":0,\"device\":\"" DEV_A "\",\"role\":\"consultant\"},"
             "{\"slot\":1,\"device\":\"%s\",\"role\":\"beneficiary\"}]", fp64_of(&p.id));
    enter_room(&p, 1, members, 1000);
    snprintf(msg, sizeof msg, "{\"type\":\"session_opened\",\"bilan\":\"B1\",\"session\":\"S1\","
             "\"phase\":\"suivi\",\"start_ms\":%lld}", (long long)S);
    feed(&p.s, msg, 1000);
    snprintf(msg, sizeof msg, "{\"type\":\"session_closed\",\"bilan\":\"B1\",\"session\":\"S1\","
             "\"end_ms\":%lld,\"face_to_face_ms\":3600000,\"reason\":\"closed\"}", (long long)(S + 3600000));
    feed(&p.s, msg, 3601000);
    record_json(&p.id, S, S + 3600000, 3600000, msg, sizeof msg, &r);
    feed(&p.s, msg, 3601100);
    CHECK(last_sent(&p.f, "receipt_refusal") == NULL);
    json_t *rc = last_sent(&p.f, "receipt");
    CHECK(rc != NULL);
    json_decref(rc);
    peer_free(&p);
}

/* PROTOCOL.md §4 "Queues": a held dialog produces no data frame; control
 * messages still go; go resumes and nothing is lost. */
static void test_flow_hold(void)
{
    char tmpl[] = "/tmp/bilan-flow-XXXXXX";
    CHECK(mkdtemp(tmpl) != NULL);
    char src[300], recv[300], path[400];
    snprintf(src, sizeof src, "%s/src.bin", tmpl);
    snprintf(recv, sizeof recv, "%s/recv", tmpl);
    mkdir(recv, 0700);
    FILE *f = fopen(src, "wb");
    for (int i = 0; i < 700 * 1024; i++)
        fputc((i * 13 + i / 777) & 0xff, f);
    fclose(f);

    struct peer a, b;
    peer_init(&a, GOAL_JOIN, NULL);
    peer_init(&b, GOAL_JOIN, recv);
    const char *why;
    char whyb[300];
    CHECK_EQ_INT(datatx_add_chat(&a.tx, "premier", &why), 0);
    CHECK_EQ_INT(datatx_add_file(&a.tx, src, whyb, sizeof whyb), 0);
    enter_room(&a, 0, "[{\"slot\":1,\"device\":\"" DEV_B "\",\"role\":\"beneficiary\"}]", 0);
    enter_room(&b, 1, "[{\"slot\":0,\"device\":\"" DEV_A "\",\"role\":\"consultant\"}]", 0);

    static uint8_t frame[BP_MAX_FRAME];
    struct bp_hdr h;
    int n = dialog_writable(&a.s, frame, sizeof frame, 1); /* the chat line */
    CHECK(n > 0);
    CHECK_EQ_INT(bp_hdr_decode(frame, (size_t)n, &h, NULL), 0);
    bp_hdr_set_slot(frame, 0);
    dialog_on_binary(&b.s, frame, (size_t)n, 1);
    n = dialog_writable(&a.s, frame, sizeof frame, 1); /* file_begin */
    CHECK(n > 0);
    bp_hdr_set_slot(frame, 0);
    dialog_on_binary(&b.s, frame, (size_t)n, 1);
    uint32_t seq_before = mux_seq(&a.s.mux, BP_KIND_DATA);

    /* Hold: no data frame, however often the transport asks. */
    feed(&a.s, "{\"type\":\"flow\",\"kind\":\"data\",\"state\":\"hold\",\"slot\":1,\"allowance\":4194304}", 2);
    CHECK(mux_held(&a.s.mux, BP_KIND_DATA));
    CHECK(strstr(output(&a), "[room] sending paused: slot=1 receives slowly") != NULL);
    for (int i = 0; i < 5; i++)
        CHECK_EQ_INT(dialog_writable(&a.s, frame, sizeof frame, 3), 0);
    CHECK_EQ_INT(mux_seq(&a.s.mux, BP_KIND_DATA), seq_before);
    /* A second hold changes nothing; a kind this version does not know is ignored. */
    feed(&a.s, "{\"type\":\"flow\",\"kind\":\"data\",\"state\":\"hold\",\"slot\":2}", 3);
    feed(&a.s, "{\"type\":\"flow\",\"kind\":\"video\",\"state\":\"go\"}", 3);
    feed(&a.s, "{\"type\":\"flow\",\"kind\":\"data\",\"state\":\"later\"}", 3);
    CHECK(mux_held(&a.s.mux, BP_KIND_DATA));
    CHECK_EQ_INT(a.s.flow.holds, 1);
    CHECK_EQ_INT(dialog_writable(&a.s, frame, sizeof frame, 3), 0);
    CHECK(!a.s.finished);
    /* Control messages do not wait: a request goes out at once. */
    int sent = a.f.nsent;
    CHECK_EQ_INT(dialog_hours_report(&a.s, &why), 0);
    CHECK_EQ_INT(a.f.nsent, sent + 1);
    CHECK_STR(last_type(&a.f), "hours");
    /* A line typed while held waits, and says so. */
    CHECK_EQ_INT(dialog_say(&a.s, "pendant la pause", 16, &why), SAY_WAIT_FLOW);
    CHECK_EQ_INT(dialog_writable(&a.s, frame, sizeof frame, 4), 0);

    /* Go: the transport is asked to write, and everything follows in order. */
    int ww = a.f.want_write;
    feed(&a.s, "{\"type\":\"flow\",\"kind\":\"data\",\"state\":\"go\"}", 5);
    CHECK(!mux_held(&a.s.mux, BP_KIND_DATA));
    CHECK(a.f.want_write > ww);
    CHECK(strstr(output(&a), "[room] sending resumed\n") != NULL);
    uint32_t seq = seq_before - 1;
    int frames = pump(&a, &b, 0, &seq);
    CHECK_EQ_INT(frames, 3 + 1 + 1); /* 3 chunks, file_end, the line typed while held */
    snprintf(path, sizeof path, "%s/src.bin", recv);
    CHECK(file_equal(src, path));
    CHECK(strstr(output(&b), "[chat] slot=0: premier\n") != NULL);
    CHECK(strstr(output(&b), "[chat] slot=0: pendant la pause\n") != NULL);
    /* A go with no hold is harmless. */
    feed(&a.s, "{\"type\":\"flow\",\"kind\":\"data\",\"state\":\"go\"}", 6);
    CHECK(!mux_held(&a.s.mux, BP_KIND_DATA));

    /* A hold never outlives the visit: a new joined starts free. */
    feed(&a.s, "{\"type\":\"flow\",\"kind\":\"data\",\"state\":\"hold\"}", 7);
    CHECK(mux_held(&a.s.mux, BP_KIND_DATA));
    CHECK(strstr(output(&a), "[room] sending paused: a member receives slowly") != NULL);
    CHECK_EQ_INT(datatx_add_chat(&a.tx, "apres", &why), 0);
    CHECK_EQ_INT(dialog_writable(&a.s, frame, sizeof frame, 8), 0);
    a.s.st = ST_JOINING; /* as after leave and join again */
    feed(&a.s, "{\"type\":\"joined\",\"bilan\":\"B1\",\"slot\":0,\"role\":\"consultant\",\"members\":"
               "[{\"slot\":1,\"device\":\"" DEV_B "\",\"role\":\"beneficiary\"}]}", 9);
    CHECK(!mux_held(&a.s.mux, BP_KIND_DATA));
    CHECK(dialog_writable(&a.s, frame, sizeof frame, 9) > 0);
    peer_free(&a);
    peer_free(&b);
    snprintf(path, sizeof path, "rm -rf '%s'", tmpl);
    CHECK_EQ_INT(system(path), 0);
}

/* ---- reconnection (dialog.h: dialog_link_closed, dialog_reconnect_delay) ---- */
static void rejoin(struct peer *p, uint64_t now)
{
    dialog_start(&p->s, now);
    CHECK_STR(last_type(&p->f), "hello");
    challenge(&p->s, now);
    CHECK_STR(last_type(&p->f), "auth"); /* the key, never the spent invite */
    char w[256];
    snprintf(w, sizeof w, "{\"type\":\"welcome\",\"role\":\"beneficiary\",\"device\":\"%s\"}",
             fp64_of(&p->id));
    feed(&p->s, w, now);
    CHECK_STR(last_type(&p->f), "join");
    feed(&p->s, "{\"type\":\"joined\",\"bilan\":\"B1\",\"slot\":2,\"role\":\"beneficiary\",\"members\":[]}",
         now);
}

static void test_reconnect(void)
{
    struct peer p;
    /* Lost in the room: not over; back after the delay, said both ways. */
    peer_init(&p, GOAL_JOIN, NULL);
    p.s.link.rc.window_ms = 10000;
    enter_room(&p, 0, "[]", 0);
    dialog_link_closed(&p.s, 0, 100);
    CHECK(!p.s.finished);
    CHECK(p.s.link.reconnecting);
    CHECK_EQ_INT(p.s.st, ST_CONNECTING);
    CHECK_EQ_INT(dialog_reconnect_delay(&p.s, 100, 0), 500);
    CHECK(strstr(output(&p), "[room] reconnecting in_s=0.5 left_s=10\n") != NULL);
    dialog_link_closed(&p.s, 0, 600); /* an attempt that never connected */
    CHECK(!p.s.finished);
    CHECK_EQ_INT(dialog_reconnect_delay(&p.s, 600, 0), 1000);
    rejoin(&p, 1700);
    CHECK_EQ_INT(p.s.st, ST_IN_ROOM);
    CHECK(!p.s.link.reconnecting);
    CHECK_EQ_INT(p.s.link.reconnects, 1);
    CHECK_EQ_INT(p.s.room.slot, 2);
    CHECK(strstr(output(&p), "[room] reconnected\n") != NULL);

    /* Lost again, and the server never comes back: the window's end. */
    dialog_link_closed(&p.s, 1006, 5000);
    uint64_t now = 5000;
    int64_t d;
    int tries = 0;
    while ((d = dialog_reconnect_delay(&p.s, now, 0)) >= 0) {
        now += (uint64_t)d;
        tries++;
        dialog_link_closed(&p.s, 0, now);
    }
    CHECK_EQ_INT(now, 15000);
    CHECK_EQ_INT(tries, 5); /* 0.5 1 2 4 and the rest (2.5) */
    CHECK(p.s.finished);
    CHECK(p.s.lost);
    CHECK_EQ_INT(p.s.exit_code, EXIT_NETWORK);
    CHECK(strstr(output(&p), "[room] reconnect gave_up after_s=10\n") != NULL);
    peer_free(&p);

    /* The server shuts down: its fatal shutting_down is not the end. */
    peer_init(&p, GOAL_JOIN, NULL);
    p.s.link.rc.window_ms = 10000;
    enter_room(&p, 0, "[]", 0);
    feed(&p.s, "{\"type\":\"error\",\"code\":\"shutting_down\",\"message\":\"x\",\"fatal\":true}", 1);
    CHECK(!p.s.finished);
    dialog_link_closed(&p.s, 1001, 2);
    CHECK(p.s.link.reconnecting);
    peer_free(&p);

    /* Fatal refusals, replaced by another window, leaving, never joined,
     * no window: over at once. */
    peer_init(&p, GOAL_JOIN, NULL);
    p.s.link.rc.window_ms = 10000;
    enter_room(&p, 0, "[]", 0);
    feed(&p.s, "{\"type\":\"error\",\"code\":\"not_member\",\"message\":\"x\",\"fatal\":true}", 1);
    CHECK(p.s.finished);
    CHECK_EQ_INT(p.s.exit_code, EXIT_REFUSED);
    dialog_link_closed(&p.s, 1008, 2);
    CHECK(!p.s.link.reconnecting);
    peer_free(&p);

    peer_init(&p, GOAL_JOIN, NULL);
    p.s.link.rc.window_ms = 10000;
    enter_room(&p, 0, "[]", 0);
    dialog_link_closed(&p.s, 1000, 2);
    CHECK(p.s.finished);
    CHECK_EQ_INT(p.s.exit_code, EXIT_NETWORK);
    peer_free(&p);

    peer_init(&p, GOAL_JOIN, NULL);
    p.s.link.rc.window_ms = 10000;
    enter_room(&p, 0, "[]", 0);
    dialog_interrupt(&p.s, 1);
    CHECK_EQ_INT(p.s.st, ST_LEAVING);
    dialog_link_closed(&p.s, 0, 2);
    CHECK(p.s.finished);
    peer_free(&p);

    peer_init(&p, GOAL_JOIN, NULL);
    p.s.link.rc.window_ms = 10000;
    dialog_start(&p.s, 0);
    dialog_link_closed(&p.s, 0, 1);
    CHECK(p.s.finished);
    CHECK_EQ_INT(p.s.exit_code, EXIT_NETWORK);
    peer_free(&p);

    peer_init(&p, GOAL_JOIN, NULL);
    enter_room(&p, 0, "[]", 0);
    dialog_link_closed(&p.s, 0, 1);
    CHECK(p.s.finished);
    peer_free(&p);
}

int main(void)
{
    test_auth_handshake();
    test_enrol_handshake();
    test_bad_server();
    test_room_roster();
    test_second_device();
    test_deadlines();
    test_transfer();
    test_flow_hold();
    test_e2e_dialogs();
    test_hostile_records();
    test_reconnect();
    return check_report();
}
