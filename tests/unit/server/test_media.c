/* test_media.c: the media control of PROTOCOL.md §4.3 on the server, driven
 * by plain calls with a fake transport: keyframe_request forwarded to the
 * sender it names with the requester's slot and reason "decode", at most
 * once per (requester, sender) per 250 ms, and ignored without an error
 * for an empty slot or one's own; media_report built from the counters
 * (media_report_build) and sent by the lifecycle's sweep only to members
 * that sent audio or video, with each receiver's drops, wait and bytes; the
 * delay rule in the relay (video dropped for a receiver whose media waited
 * over the limit, a keyframe_request for congestion, audio never dropped,
 * data not counted in the wait). */
#include <stdlib.h>
#include <string.h>

#include "../check.h"
#include "auth.h"
#include "bp/kinds.h"
#include "conn.h"
#include "log.h"
#include "media_report.h"

static struct now T = {1700000000, 100000, 1700000000000LL};
#include "fake_conn.h"

static void frame(struct conn *c, uint8_t kind, size_t len)
{
    uint8_t *b = calloc(1, len);
    struct bp_hdr h = {1, kind, 0, 0, 7, 1000, 2000};
    bp_hdr_encode(&h, b);
    conn_rx(c, b, len, 1, 1, 0, T);
    free(b);
}

static void open_conn(int i)
{
    memset(&conns[i], 0, sizeof conns[i]);
    memset(&fakes[i], 0, sizeof fakes[i]);
    conn_open(&conns[i], &srv, &fakes[i], "192.0.2.1", T);
}

static void want(struct conn *c, int slot)
{
    char buf[80];
    snprintf(buf, sizeof buf, "{\"type\":\"keyframe_request\",\"slot\":%d}", slot);
    text(c, buf);
}

/* Expects keyframe_request {slot, reason} on c. */
static int expect_kf(struct conn *c, int slot, const char *reason)
{
    json_t *j = NULL;
    if (!expect_type(c, "keyframe_request", &j))
        return 0;
    int ok = json_integer_value(json_object_get(j, "slot")) == slot &&
             !strcmp(json_string_value(json_object_get(j, "reason")), reason) && !json_object_get(j, "ref");
    if (!ok)
        fprintf(stderr, "keyframe_request: slot %lld reason %s\n", json_integer_value(json_object_get(j, "slot")),
                json_string_value(json_object_get(j, "reason")));
    json_decref(j);
    return ok;
}

static void test_build(void)
{
    struct media_rx rx[BP_MAX_MEMBERS];
    memset(rx, 0, sizeof rx);
    CHECK(media_report_build(rx) == NULL);   /* nobody to report on */
    rx[3] = (struct media_rx){1, 7, 420, 123456, 480};
    rx[1] = (struct media_rx){1, 0, -5, 0, 0};  /* a clock that went back: no negative wait */
    json_t *o = media_report_build(rx);
    CHECK(o != NULL);
    if (!o)
        return;
    struct bp_verr e;
    CHECK(bp_msg_validate(o, BP_TO_CLIENT, NULL, &e) == 0);
    CHECK_STR(json_string_value(json_object_get(o, "type")), "media_report");
    json_t *a = json_object_get(o, "receivers");
    CHECK_EQ_INT(json_array_size(a), 2);
    json_t *r1 = json_array_get(a, 0), *r3 = json_array_get(a, 1);
    CHECK(json_integer_value(json_object_get(r1, "slot")) == 1);
    CHECK(json_integer_value(json_object_get(r1, "queue_ms")) == 0);
    CHECK(json_integer_value(json_object_get(r3, "slot")) == 3);
    CHECK(json_integer_value(json_object_get(r3, "dropped_video")) == 7);
    CHECK(json_integer_value(json_object_get(r3, "queue_ms")) == 420);
    CHECK(json_integer_value(json_object_get(r3, "queued_bytes")) == 123456);
    CHECK(json_integer_value(json_object_get(r3, "rate_kbps")) == 480);
    CHECK_EQ_INT(json_object_size(r3), 5);
    CHECK(json_object_get(r1, "rate_kbps") == NULL); /* unknown: not said */
    json_decref(o);
}

/* The entry of slot in a media_report's receivers (borrowed), or NULL. */
static json_t *report_entry(json_t *rep, int slot)
{
    json_t *a = json_object_get(rep, "receivers");
    for (size_t i = 0; i < json_array_size(a); i++)
        if (json_integer_value(json_object_get(json_array_get(a, i), "slot")) == slot)
            return json_array_get(a, i);
    return NULL;
}

static void test_keyframes(struct conn *a, struct conn *b, struct conn *c)
{
    /* b cannot decode a's video: a is asked, with b's slot. */
    want(b, a->slot);
    CHECK(expect_kf(a, b->slot, "decode"));
    CHECK(next_json(b, NULL, NULL) == NULL);
    /* Again within 250 ms: dropped, counted, nothing to anyone. */
    uint64_t paced = srv.kf_paced;
    want(b, a->slot);
    T.ms += 249;
    want(b, a->slot);
    CHECK(next_json(a, NULL, NULL) == NULL);
    CHECK(next_json(b, NULL, NULL) == NULL);
    CHECK(srv.kf_paced == paced + 2);
    /* Another pair is paced on its own. */
    want(c, a->slot);
    CHECK(expect_kf(a, c->slot, "decode"));
    want(b, c->slot);
    CHECK(expect_kf(c, b->slot, "decode"));
    T.ms += 1;
    want(b, a->slot);
    CHECK(expect_kf(a, b->slot, "decode"));
    /* An empty slot, one's own: nothing, no error. */
    want(b, 3);
    want(b, b->slot);
    CHECK(next_json(b, NULL, NULL) == NULL);
    CHECK(next_json(a, NULL, NULL) == NULL);
    CHECK(!b->closing);
}

static void test_reports(struct conn *a, struct conn *b, struct conn *c)
{
    /* Nobody sent media: no report. Data is not media. */
    frame(a, BP_KIND_DATA, 100);
    drain(b);
    drain(c);
    conn_sweep(&srv, T);
    CHECK(next_json(a, NULL, NULL) == NULL);
    CHECK(next_json(b, NULL, NULL) == NULL);

    /* a sends audio; b reads nothing, c reads everything. 600 ms later, a's
     * video is dropped for b (its audio waited 600 ms > 500) and queued for
     * c; a is asked for a keyframe on b's behalf (congestion). */
    frame(a, BP_KIND_AUDIO, 200);
    drain(c);
    T.ms += 600;
    uint64_t dropped = srv.video_dropped;
    frame(a, BP_KIND_VIDEO, 6000);
    CHECK(srv.video_dropped == dropped + 1);
    CHECK(b->dropped_video == 1 && c->dropped_video == 0);
    CHECK(expect_kf(a, b->slot, "congestion"));
    /* ...and a's report comes at once, not at the next sweep: its video
     * was dropped for b (PROTOCOL.md §4.3, "sooner"). */
    json_t *urg = NULL;
    CHECK(expect_type(a, "media_report", &urg));
    if (urg) {
        json_t *ub = report_entry(urg, b->slot);
        CHECK(ub && json_integer_value(json_object_get(ub, "dropped_video")) == 1);
        CHECK(ub && json_integer_value(json_object_get(ub, "queue_ms")) == 600);
    }
    json_decref(urg);
    CHECK(a->dropped_for[b->slot] == 0 && a->last_report_ms == (uint64_t)T.ms);
    CHECK_EQ_INT(b->q.count, 1);          /* the audio alone */
    CHECK_EQ_INT(c->q.count, 1);          /* the video */
    /* Audio is never dropped by the delay. */
    frame(a, BP_KIND_AUDIO, 200);
    CHECK_EQ_INT(b->q.count, 2);
    size_t b_bytes = b->q.bytes;

    T.ms += 100;
    conn_sweep(&srv, T);
    json_t *rep = NULL;
    CHECK(expect_type(a, "media_report", &rep));
    CHECK_EQ_INT(b->q.count, 2);          /* b and c sent nothing: no report for them */
    CHECK_EQ_INT(c->q.count, 2);          /* the video and the second audio */
    if (rep) {
        CHECK_EQ_INT(json_array_size(json_object_get(rep, "receivers")), 2);
        json_t *rb = report_entry(rep, b->slot), *rc = report_entry(rep, c->slot);
        CHECK(rb && rc && !report_entry(rep, a->slot));
        CHECK(json_integer_value(json_object_get(rb, "dropped_video")) == 0); /* said already */
        CHECK(json_integer_value(json_object_get(rb, "queue_ms")) == 700);
        CHECK(json_integer_value(json_object_get(rb, "queued_bytes")) == (json_int_t)b_bytes);
        CHECK(json_integer_value(json_object_get(rc, "dropped_video")) == 0);
        CHECK(json_integer_value(json_object_get(rc, "queue_ms")) == 100);
        CHECK(json_integer_value(json_object_get(rc, "queued_bytes")) == (json_int_t)c->q.bytes);
    }
    json_decref(rep);
    /* Counters start over; a sent nothing since: no report. */
    CHECK(a->dropped_for[b->slot] == 0 && !a->media_sent);
    T.ms += 1000;
    conn_sweep(&srv, T);
    CHECK(next_json(a, NULL, NULL) == NULL);

    /* A queue of data does not look like congestion: b drained, then data
     * waits 2 s in b's queue, and video still passes. */
    drain(b);
    drain(c);
    frame(a, BP_KIND_DATA, 1000);
    T.ms += 2000;
    frame(a, BP_KIND_VIDEO, 1000);
    CHECK_EQ_INT(b->q.count, 2);
    CHECK(next_json(a, NULL, NULL) == NULL);
    conn_sweep(&srv, T);
    rep = NULL;
    CHECK(expect_type(a, "media_report", &rep));
    json_t *rb = rep ? report_entry(rep, b->slot) : NULL;
    CHECK(rb && json_integer_value(json_object_get(rb, "queue_ms")) == 0 &&
          json_integer_value(json_object_get(rb, "dropped_video")) == 0);
    json_decref(rep);
    drain(b);
    drain(c);
}

int main(void)
{
    char dir[] = "/tmp/bilan-test-media-XXXXXX", path[256], why[256];
    log_init(0);
    if (!mkdtemp(dir))
        return 1;
    snprintf(path, sizeof path, "%s/server.db", dir);
    srv.ops = &store_sqlite;
    srv.soft_budget = 1024 * 1024;
    srv.invite_ttl_s = 3600;
    srv.video_delay_ms = 500;
    ratelimit_init(&srv.rl, 3, 60);
    if (store_open(srv.ops, path, 1, &srv.st, why, sizeof why)) {
        fprintf(stderr, "%s\n", why);
        return 1;
    }
    test_build();

    /* Three devices of one consultant in one room: slots 0, 1, 2. */
    int64_t alice;
    srv.ops->identity->consultant_add(srv.st, "alice", T.s, &alice);
    struct conn *m[3];
    char join[160] = "";
    for (int i = 0; i < 3; i++) {
        struct auth_token tok;
        struct bp_identity id;
        m[i] = &conns[i];
        open_conn(i);
        bp_identity_generate(&id);
        CHECK(auth_issue_enrol_token(srv.ops, srv.st, alice, T.s, 3600, &tok) == 0);
        CHECK(enrol(m[i], &id, tok.b64));
        auth_token_wipe(&tok);
        if (i == 0) {
            text(m[0], "{\"type\":\"bilan_create\",\"label\":\"M\"}");
            json_t *bc = NULL;
            CHECK(expect_type(m[0], "bilan_created", &bc));
            if (bc)
                snprintf(join, sizeof join, "{\"type\":\"join\",\"bilan\":\"%s\"}",
                         json_string_value(json_object_get(bc, "bilan")));
            json_decref(bc);
        }
        text(m[i], join);
        CHECK(expect_type(m[i], "joined", NULL));
    }
    for (int i = 0; i < 3; i++) {
        drain(m[i]);
        CHECK_EQ_INT(m[i]->slot, i);
    }
    test_keyframes(m[0], m[1], m[2]);
    test_reports(m[0], m[1], m[2]);

    for (int i = 0; i < 3; i++)
        conn_closed(m[i], T);
    CHECK_EQ_INT(srv.nconns, 0);
    srv.ops->close(srv.st);
    snprintf(path, sizeof path, "rm -rf '%s'", dir);
    if (system(path) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return check_report();
}
