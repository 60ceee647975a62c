/* web_e2e_peer.c: the native client's end-to-end state machine
 * (client/e2e_room.h, the code `bilan join` runs) as one room member driven
 * line by line, so test_web_crypto.py can pair it with the browser's
 * RoomE2E (assets/web/e2e.js) through a relay of its own: the same code on
 * both sides, keys and frames both ways.
 *
 * Input: one JSON command per line on stdin; output: JSON event lines on
 * stdout, each command's events ended by {"ev":"done"}. Byte strings are
 * base64url. Commands:
 *   {"cmd":"init","secret":S?,"policy":"ask"|"confirm"}  -> {"ev":"identity","device":fp}
 *   {"cmd":"joined","bilan":B,"slot":n,"members":[{slot,device,role}]}
 *   {"cmd":"member_joined","member":{slot,device,role}}
 *   {"cmd":"member_left","slot":n}
 *   {"cmd":"body","from":n,"device":fp,"body":{...}}
 *   {"cmd":"sas","slot":n,"confirmed":bool}
 *   {"cmd":"seal","header":h16,"pt":P}                -> {"ev":"sealed","frame":F|null}
 *   {"cmd":"open","frame":F}                          -> {"ev":"frame","frame":hdr||pt}...
 *   {"cmd":"tick","ms":n}                             (advances the clock)
 *   {"cmd":"state"}  -> {"ev":"state","can_send":b,"refused":[slots],"stats":{...}}
 * Events the state machine emits: {"ev":"send","to":n,"body":{}},
 * {"ev":"line","text":s}, {"ev":"news","what":n,"slot":n,"code":s|null},
 * {"ev":"frame","frame":F}. A test tool: exits 2 on malformed input. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "bp/b64.h"
#include "e2e_room.h"

static struct e2e E;
static struct bp_identity ID;
static uint64_t now_ms = 1000000;

static void die(const char *why)
{
    fprintf(stderr, "web_e2e_peer: %s\n", why);
    exit(2);
}

static void emit(json_t *ev)
{
    if (!ev)
        die("memory");
    json_dumpf(ev, stdout, JSON_COMPACT);
    putchar('\n');
    fflush(stdout);
    json_decref(ev);
}

static json_t *b64(const uint8_t *p, size_t n)
{
    char *s = malloc(bp_b64_len(n) + 1);
    if (!s)
        die("memory");
    bp_b64_encode(p, n, s);
    json_t *j = json_string(s);
    free(s);
    return j;
}

static void get(const json_t *o, const char *name, uint8_t *out, size_t n)
{
    const char *s = json_string_value(json_object_get(o, name));
    if (!s || bp_b64_decode_exact(s, out, n))
        die(name);
}

static size_t getv(const json_t *o, const char *name, uint8_t *out, size_t cap)
{
    const char *s = json_string_value(json_object_get(o, name));
    int n = s ? bp_b64_decode(s, strlen(s), out, cap) : -1;
    if (n < 0)
        die(name);
    return (size_t)n;
}

static int io_send(void *ctx, int to, json_t *body)
{
    (void)ctx;
    emit(json_pack("{s:s,s:i,s:o}", "ev", "send", "to", to, "body", body));
    return 0;
}

static void io_line(void *ctx, const char *text)
{
    (void)ctx;
    emit(json_pack("{s:s,s:s}", "ev", "line", "text", text));
}

static void io_news(void *ctx, enum e2e_news what, int slot, const char *code)
{
    (void)ctx;
    emit(json_pack("{s:s,s:i,s:i,s:s?}", "ev", "news", "what", (int)what, "slot", slot, "code", code));
}

static void io_frame(void *ctx, const uint8_t *frame, size_t len, uint64_t t)
{
    (void)ctx;
    (void)t;
    emit(json_pack("{s:s,s:o}", "ev", "frame", "frame", b64(frame, len)));
}

static void member(const json_t *m, int rekey)
{
    uint8_t fp[BP_FP_LEN];
    const char *role = json_string_value(json_object_get(m, "role"));
    get(m, "device", fp, sizeof fp);
    if (!role)
        die("role");
    e2e_member(&E, (int)json_integer_value(json_object_get(m, "slot")), fp,
               bp_role_parse(role, strlen(role)), rekey, now_ms);
}

static void command(const json_t *c)
{
    const char *cmd = json_string_value(json_object_get(c, "cmd"));
    static uint8_t buf[1 << 16], out[(1 << 16) + 64];
    if (!cmd)
        die("cmd");
    if (!strcmp(cmd, "init")) {
        uint8_t secret[BP_SECRET_LEN], fp[BP_FP_LEN];
        const char *pol = json_string_value(json_object_get(c, "policy"));
        int has_secret = json_object_get(c, "secret") != NULL;
        if (has_secret)
            get(c, "secret", secret, sizeof secret);
        if (bp_identity_generate(&ID) ||
            e2e_init(&E, &ID, has_secret ? secret : NULL,
                     pol && !strcmp(pol, "confirm") ? E2E_SAS_CONFIRM : E2E_SAS_ASK) ||
            bp_fingerprint(ID.sign_pub, ID.dh_pub, fp))
            die("init");
        E.io.send = io_send;
        E.io.line = io_line;
        E.io.news = io_news;
        E.io.frame = io_frame;
        emit(json_pack("{s:s,s:o}", "ev", "identity", "device", b64(fp, sizeof fp)));
    } else if (!strcmp(cmd, "joined")) {
        const char *bilan = json_string_value(json_object_get(c, "bilan"));
        const json_t *members = json_object_get(c, "members"), *m;
        size_t i;
        if (!bilan || e2e_joined(&E, bilan, (int)json_integer_value(json_object_get(c, "slot")), now_ms))
            die("joined");
        json_array_foreach(members, i, m) member(m, 0);
    } else if (!strcmp(cmd, "member_joined")) {
        member(json_object_get(c, "member"), 1);
    } else if (!strcmp(cmd, "member_left")) {
        e2e_member_left(&E, (int)json_integer_value(json_object_get(c, "slot")), now_ms);
    } else if (!strcmp(cmd, "body")) {
        uint8_t fp[BP_FP_LEN];
        get(c, "device", fp, sizeof fp);
        e2e_on_body(&E, (int)json_integer_value(json_object_get(c, "from")), fp,
                    json_object_get(c, "body"), now_ms);
    } else if (!strcmp(cmd, "sas")) {
        e2e_sas_decide(&E, (int)json_integer_value(json_object_get(c, "slot")),
                       json_is_true(json_object_get(c, "confirmed")), now_ms);
    } else if (!strcmp(cmd, "seal")) {
        uint8_t hdr[BP_HDR_LEN];
        get(c, "header", hdr, sizeof hdr);
        size_t n = getv(c, "pt", buf, sizeof buf);
        int w = e2e_seal(&E, hdr, buf, n, out, sizeof out);
        emit(w < 0 ? json_pack("{s:s,s:n}", "ev", "sealed", "frame")
                   : json_pack("{s:s,s:o}", "ev", "sealed", "frame", b64(out, (size_t)w)));
    } else if (!strcmp(cmd, "open")) {
        size_t n = getv(c, "frame", buf, sizeof buf);
        e2e_open(&E, buf, n, now_ms);
    } else if (!strcmp(cmd, "tick")) {
        now_ms += (uint64_t)json_integer_value(json_object_get(c, "ms"));
        e2e_tick(&E, now_ms);
    } else if (!strcmp(cmd, "state")) {
        json_t *refused = json_array();
        for (int s = 0; s < BP_MAX_MEMBERS; s++)
            if (e2e_pair_ended(&E, s))
                json_array_append_new(refused, json_integer(s));
        emit(json_pack("{s:s,s:b,s:o,s:{s:I,s:I,s:I,s:I,s:I}}", "ev", "state", "can_send",
                       e2e_can_send(&E), "refused", refused, "stats", "opened",
                       (json_int_t)E.stats.frames_opened, "replay", (json_int_t)E.stats.dropped_replay,
                       "auth", (json_int_t)E.stats.dropped_auth, "unknown_kid",
                       (json_int_t)E.stats.dropped_unknown_kid, "held", (json_int_t)E.stats.held));
    } else {
        die(cmd);
    }
}

int main(void)
{
    static char line[1 << 18];
    while (fgets(line, sizeof line, stdin)) {
        json_error_t err;
        json_t *c = json_loads(line, 0, &err);
        if (!c)
            die("not JSON");
        command(c);
        json_decref(c);
        emit(json_pack("{s:s}", "ev", "done"));
    }
    e2e_free(&E);
    bp_identity_wipe(&ID);
    return 0;
}
