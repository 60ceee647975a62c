/* test_call.c: the call's glue to the dialog (client/call.c), driven through
 * the dialog's media hooks with hand-made server messages: the clock answer
 * is taken only for the request it answers; media_report receivers are
 * checked (a malformed one spoils the report); keyframe requests reach the
 * sender; sending starts only in the room, with someone, with the clock. */
#include <string.h>

#include "../check.h"
#include "call.h"
#include "dialog.h"

static json_t *sent[64];
static int nsent;

static int f_send(void *ctx, const char *buf, size_t len)
{
    (void)ctx;
    if (nsent < 64)
        sent[nsent++] = json_loadb(buf, len, 0, NULL);
    return 0;
}

static void f_want(void *ctx)
{
    (void)ctx;
}

static void f_close(void *ctx)
{
    (void)ctx;
}

static const struct dialog_transport tp = {f_send, f_want, f_close, NULL};

/* The last message of type t the dialog sent, or NULL. */
static json_t *last_sent(const char *t)
{
    for (int i = nsent - 1; i >= 0; i--)
        if (sent[i] && !strcmp(json_string_value(json_object_get(sent[i], "type")), t))
            return sent[i];
    return NULL;
}

static long long stat_ll(struct call *c, const char *group, const char *key)
{
    json_t *st = call_stats_json(c);
    long long v = json_integer_value(json_object_get(json_object_get(st, group), key));
    json_decref(st);
    return v;
}

static int clock_valid(struct call *c)
{
    json_t *st = call_stats_json(c);
    int v = json_is_true(json_object_get(json_object_get(st, "clock"), "valid"));
    json_decref(st);
    return v;
}

static void msg(struct dialog *d, const char *json, const char *ref, uint64_t now)
{
    json_t *m = json_loads(json, 0, NULL);
    CHECK(m != NULL);
    enum bp_type t = BP_T_NONE;
    const char *type = json_string_value(json_object_get(m, "type"));
    if (!strcmp(type, "clock"))
        t = BP_T_CLOCK_REPLY;
    else if (!strcmp(type, "media_report"))
        t = BP_T_MEDIA_REPORT;
    else if (!strcmp(type, "keyframe_request"))
        t = BP_T_KEYFRAME_REQUEST;
    d->media->on_msg(d->media_ctx, d, t, m, ref, now);
    json_decref(m);
}

int main(void)
{
    static struct dialog d;
    dialog_init(&d);
    d.tp = &tp;
    struct call_config cfg = {.width = 64, .height = 48, .fps = 30};
    struct call *c = NULL;
    char why[300] = "";
    CHECK_EQ_INT(call_new(&c, &cfg, why, sizeof why), 0);
    CHECK_EQ_INT(call_attach(c, &d, why, sizeof why), 0);
    CHECK(d.media != NULL && d.media->on_msg && d.media->tick);

    /* Not in the room: no clock request. */
    d.media->tick(d.media_ctx, &d, 1000);
    CHECK(last_sent("clock") == NULL);
    /* In the room (alone): the clock is asked, with a ref. */
    d.st = ST_IN_ROOM;
    d.media->tick(d.media_ctx, &d, 2000);
    json_t *q = last_sent("clock");
    CHECK(q != NULL);
    const char *ref = q ? json_string_value(json_object_get(q, "ref")) : NULL;
    CHECK(ref != NULL);
    /* An answer to another request is not taken. */
    msg(&d, "{\"type\":\"clock\",\"server_ms\":1000000}", "clock:999", 2010);
    CHECK(!clock_valid(c));
    msg(&d, "{\"type\":\"clock\",\"server_ms\":1000000}", NULL, 2010);
    CHECK(!clock_valid(c));
    /* Its own answer is: offset = server - midpoint. */
    char r[64];
    snprintf(r, sizeof r, "%s", ref ? ref : "");
    msg(&d, "{\"type\":\"clock\",\"server_ms\":1000000}", r, 2020);
    CHECK(clock_valid(c));
    json_t *st = call_stats_json(c);
    CHECK_EQ_INT(json_integer_value(json_object_get(json_object_get(st, "clock"), "offset_ms")),
                 1000000 - 2010);
    CHECK_EQ_INT(json_integer_value(json_object_get(json_object_get(st, "clock"), "rtt_ms")), 20);
    json_decref(st);
    /* The same answer twice is not a second sample. */
    msg(&d, "{\"type\":\"clock\",\"server_ms\":5}", r, 2030);
    st = call_stats_json(c);
    CHECK_EQ_INT(json_integer_value(json_object_get(json_object_get(st, "clock"), "samples")), 1);
    json_decref(st);

    /* media_report: counted when every receiver is right; one wrong
     * receiver spoils it (ignored, counted as bad). */
    msg(&d, "{\"type\":\"media_report\",\"receivers\":[{\"slot\":1,\"dropped_video\":2,"
            "\"queue_ms\":300,\"queued_bytes\":9000,\"rate_kbps\":480}]}", NULL, 2100);
    CHECK_EQ_INT(stat_ll(c, "control", "media_reports"), 1);
    CHECK_EQ_INT(stat_ll(c, "control", "worst_receiver_queue_ms"), 300);
    const char *bad[] = {
        "{\"type\":\"media_report\",\"receivers\":[{\"slot\":7,\"dropped_video\":0,\"queue_ms\":1}]}",
        "{\"type\":\"media_report\",\"receivers\":[{\"slot\":1,\"dropped_video\":-1,\"queue_ms\":1}]}",
        "{\"type\":\"media_report\",\"receivers\":[{\"slot\":1,\"dropped_video\":0,\"queue_ms\":\"x\"}]}",
        "{\"type\":\"media_report\",\"receivers\":[{\"slot\":1,\"dropped_video\":0,\"queue_ms\":1,"
        "\"rate_kbps\":-5}]}",
        "{\"type\":\"media_report\",\"receivers\":[{\"slot\":1,\"dropped_video\":0,\"queue_ms\":9000000}]}",
        "{\"type\":\"media_report\",\"receivers\":[3]}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        msg(&d, bad[i], NULL, 2200);
    CHECK_EQ_INT(stat_ll(c, "control", "bad_reports"), 6);
    CHECK_EQ_INT(stat_ll(c, "control", "media_reports"), 1);
    CHECK_EQ_INT(stat_ll(c, "control", "worst_receiver_queue_ms"), 300);

    /* Keyframe requests are counted toward the sender. */
    msg(&d, "{\"type\":\"keyframe_request\",\"slot\":1,\"reason\":\"decode\"}", NULL, 2300);
    CHECK_EQ_INT(stat_ll(c, "control", "keyframe_requests_in"), 1);

    char w2[300];
    CHECK_EQ_INT(call_stop(c, w2, sizeof w2), 0);
    call_free(c);
    for (int i = 0; i < nsent; i++)
        json_decref(sent[i]);
    dialog_free(&d);
    return check_report();
}
