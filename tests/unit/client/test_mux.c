/* test_mux.c: the frame mux (client/mux.c): sources pulled in the serving
 * order (audio, then video, then data) with a sequence number per kind; a
 * held kind skipped while the others go on; received frames dispatched to
 * their kind's sink; a kind without a sink counted and dropped; a source
 * without pending() asked only after a wake; the keyframe flag kept only
 * for kinds that may carry it; and room events reaching every sink. */
#include <string.h>

#include "../check.h"
#include "bp/kinds.h"
#include "mux.h"

/* A source that hands out n frames "K<i>" and says so through pending(). */
struct fake_src {
    char tag;
    int left, pulled;
    uint8_t flags;
};

static int src_next(void *ctx, uint8_t *out, size_t cap, struct mux_meta *meta, uint64_t now)
{
    struct fake_src *s = ctx;
    (void)now;
    if (!s->left || cap < 3)
        return 0;
    s->left--;
    out[0] = (uint8_t)s->tag;
    out[1] = (uint8_t)('0' + s->pulled % 10);
    out[2] = '!';
    s->pulled++;
    meta->flags = s->flags;
    return 3;
}

static int src_pending(void *ctx)
{
    return ((struct fake_src *)ctx)->left > 0;
}

static const struct mux_source counted_source = {src_next, src_pending};
/* The same frames, from "another thread": no pending(), a wake instead. */
static const struct mux_source woken_source = {src_next, NULL};

struct fake_sink {
    int frames, taken_slot, gone_slot, ticks, stops;
    uint8_t last_kind, last_slot;
    char last[8];
};

static int sink_frame(void *ctx, const struct bp_hdr *h, const uint8_t *p, size_t len, uint64_t now)
{
    struct fake_sink *k = ctx;
    (void)now;
    k->frames++;
    k->last_kind = h->kind;
    k->last_slot = h->slot;
    memset(k->last, 0, sizeof k->last);
    memcpy(k->last, p, len < sizeof k->last - 1 ? len : sizeof k->last - 1);
    return 1;
}

static void sink_taken(void *ctx, uint8_t slot)
{
    ((struct fake_sink *)ctx)->taken_slot = slot;
}

static void sink_gone(void *ctx, uint8_t slot, uint64_t now)
{
    (void)now;
    ((struct fake_sink *)ctx)->gone_slot = slot;
}

static void sink_tick(void *ctx, uint64_t now)
{
    (void)now;
    ((struct fake_sink *)ctx)->ticks++;
}

static void sink_stop(void *ctx, const char *why)
{
    (void)why;
    ((struct fake_sink *)ctx)->stops++;
}

static const struct mux_sink fake_sink_ops = {sink_frame, sink_taken, sink_gone, sink_tick,
                                              sink_stop};

static int pull(struct mux *m, struct bp_hdr *h, char *tag)
{
    static uint8_t buf[256];
    int n = mux_next(m, buf, sizeof buf, 1000);
    if (n > 0) {
        CHECK_EQ_INT(bp_hdr_decode(buf, (size_t)n, h, NULL), 0);
        *tag = (char)buf[BP_HDR_LEN];
    }
    return n;
}

static void test_priority(void)
{
    struct mux m;
    mux_init(&m);
    m.slot = 2;
    struct fake_src a = {'a', 2, 0, 0}, v = {'v', 2, 0, BP_FLAG_KEYFRAME}, d = {'d', 3, 0, 0};
    /* Registered in another order than they are served. */
    CHECK_EQ_INT(mux_set_source(&m, BP_KIND_DATA, &counted_source, &d), 0);
    CHECK_EQ_INT(mux_set_source(&m, BP_KIND_VIDEO, &counted_source, &v), 0);
    CHECK_EQ_INT(mux_set_source(&m, BP_KIND_AUDIO, &counted_source, &a), 0);
    CHECK(mux_set_source(&m, 0, &counted_source, &a) < 0);
    CHECK(mux_set_source(&m, BP_KIND_MAX + 1, &counted_source, &a) < 0);
    CHECK(mux_pending(&m));
    static const char want[] = "aavvddd";
    struct bp_hdr h;
    char tag;
    for (int i = 0; want[i]; i++) {
        CHECK(pull(&m, &h, &tag) == BP_HDR_LEN + 3);
        CHECK_EQ_INT(tag, want[i]);
        unsigned kind = tag == 'a' ? BP_KIND_AUDIO : tag == 'v' ? BP_KIND_VIDEO : BP_KIND_DATA;
        CHECK_EQ_INT(h.kind, kind);
        CHECK_EQ_INT(h.slot, 2);
        /* Sequence numbers count per kind (PROTOCOL.md §4). */
        CHECK_EQ_INT(h.seq, (uint32_t)(tag == 'd' ? i - 4 : i % 2));
        /* The keyframe flag only on a kind whose row allows it. */
        CHECK_EQ_INT(h.flags, bp_kind_info(kind)->keyframes ? BP_FLAG_KEYFRAME : 0);
        CHECK_EQ_INT(h.capture_ms, 1000);
    }
    CHECK_EQ_INT(pull(&m, &h, &tag), 0);
    CHECK(!mux_pending(&m));
    CHECK_EQ_INT((int)m.sent, 7);
    CHECK_EQ_INT((int)mux_seq(&m, BP_KIND_DATA), 3);
    CHECK_EQ_INT((int)mux_seq(&m, BP_KIND_AUDIO), 2);

    /* Audio that arrives while data is being sent goes first. */
    d.left = 2;
    CHECK(pull(&m, &h, &tag) > 0 && tag == 'd');
    a.left = 1;
    CHECK(pull(&m, &h, &tag) > 0 && tag == 'a');
    CHECK(pull(&m, &h, &tag) > 0 && tag == 'd');
    mux_free(&m);
}

static void test_hold(void)
{
    struct mux m;
    mux_init(&m);
    struct fake_src a = {'a', 0, 0, 0}, d = {'d', 2, 0, 0};
    mux_set_source(&m, BP_KIND_AUDIO, &counted_source, &a);
    mux_set_source(&m, BP_KIND_DATA, &counted_source, &d);
    mux_hold(&m, BP_KIND_DATA, 1);
    CHECK(mux_held(&m, BP_KIND_DATA));
    CHECK(!mux_held(&m, BP_KIND_AUDIO));
    CHECK(!mux_pending(&m)); /* only held data is waiting */
    struct bp_hdr h;
    char tag;
    CHECK_EQ_INT(pull(&m, &h, &tag), 0);
    CHECK_EQ_INT(d.pulled, 0);
    /* Audio still goes out while data is held. */
    a.left = 1;
    CHECK(mux_pending(&m));
    CHECK(pull(&m, &h, &tag) > 0 && tag == 'a');
    CHECK_EQ_INT(pull(&m, &h, &tag), 0);
    mux_hold(&m, BP_KIND_DATA, 0);
    CHECK(mux_pending(&m));
    CHECK(pull(&m, &h, &tag) > 0 && tag == 'd');
    CHECK_EQ_INT(h.seq, 0);
    mux_free(&m);
}

/* A frame in clear as the server relays it. */
static size_t frame_of(uint8_t *buf, unsigned kind, uint8_t slot, const char *payload)
{
    struct bp_hdr h = {.version = 1, .kind = (uint8_t)kind, .slot = slot};
    bp_hdr_encode(&h, buf);
    memcpy(buf + BP_HDR_LEN, payload, strlen(payload));
    return BP_HDR_LEN + strlen(payload);
}

static void test_dispatch(void)
{
    struct mux m;
    mux_init(&m);
    struct fake_sink audio, data;
    memset(&audio, 0, sizeof audio);
    memset(&data, 0, sizeof data);
    CHECK_EQ_INT(mux_set_sink(&m, BP_KIND_AUDIO, &fake_sink_ops, &audio), 0);
    CHECK_EQ_INT(mux_set_sink(&m, BP_KIND_DATA, &fake_sink_ops, &data), 0);
    CHECK(mux_set_sink(&m, 0, &fake_sink_ops, &data) < 0);
    uint8_t buf[64];
    size_t n = frame_of(buf, BP_KIND_DATA, 1, "dd");
    mux_receive(&m, buf, n, 5); /* no e2e: delivered at once */
    CHECK_EQ_INT(data.frames, 1);
    CHECK_STR(data.last, "dd");
    CHECK_EQ_INT(data.last_slot, 1);
    n = frame_of(buf, BP_KIND_AUDIO, 3, "aa");
    CHECK_EQ_INT(mux_deliver(&m, buf, n, 6), 1);
    CHECK_EQ_INT(audio.frames, 1);
    CHECK_EQ_INT(audio.last_kind, BP_KIND_AUDIO);
    CHECK_EQ_INT(data.frames, 1);
    /* Video has no sink: counted and dropped, nobody sees it. */
    n = frame_of(buf, BP_KIND_VIDEO, 3, "vv");
    CHECK_EQ_INT(mux_deliver(&m, buf, n, 7), 0);
    CHECK_EQ_INT(audio.frames + data.frames, 2);
    CHECK_EQ_INT((int)m.lane[bp_kind_info(BP_KIND_VIDEO)->stream].unsunk, 1);
    /* Too short or not a frame: nothing. */
    CHECK_EQ_INT(mux_deliver(&m, buf, BP_HDR_LEN - 1, 8), 0);
    buf[0] = 9;
    CHECK_EQ_INT(mux_deliver(&m, buf, n, 8), 0);
    /* Room events reach every sink. */
    mux_slot_taken(&m, 2);
    mux_slot_gone(&m, 3, 9);
    mux_tick(&m, 10);
    mux_stop(&m, "over");
    CHECK_EQ_INT(audio.taken_slot, 2);
    CHECK_EQ_INT(data.gone_slot, 3);
    CHECK_EQ_INT(audio.ticks + data.ticks, 2);
    CHECK_EQ_INT(audio.stops + data.stops, 2);
    mux_free(&m);
}

static int woken_calls;
static void count_wake(void *ctx)
{
    (void)ctx;
    woken_calls++;
}

static void test_wake(void)
{
    struct mux m;
    mux_init(&m);
    struct fake_src q = {'q', 0, 0, 0};
    mux_set_source(&m, BP_KIND_AUDIO, &woken_source, &q);
    struct bp_hdr h;
    char tag;
    /* Registered: asked once, finds nothing, then waits for a wake. */
    CHECK(mux_pending(&m));
    CHECK_EQ_INT(pull(&m, &h, &tag), 0);
    CHECK(!mux_pending(&m));
    /* Frames pushed without a wake stay unseen: the loop does not poll. */
    q.left = 2;
    CHECK(!mux_pending(&m));
    /* Nobody to wake yet: mux_wake is harmless. */
    mux_wake(&m);
    CHECK_EQ_INT(woken_calls, 0);
    /* Installing the waker counts as a wake (pushes made before it). */
    mux_set_waker(&m, count_wake, NULL);
    CHECK(mux_pending(&m));
    CHECK(pull(&m, &h, &tag) > 0 && tag == 'q');
    CHECK(pull(&m, &h, &tag) > 0 && tag == 'q');
    CHECK_EQ_INT(pull(&m, &h, &tag), 0);
    CHECK(!mux_pending(&m));
    /* Another thread: mux_wake reaches the waker; the loop then pokes. */
    q.left = 1;
    mux_wake(&m);
    CHECK_EQ_INT(woken_calls, 1);
    mux_poke(&m);
    CHECK(mux_pending(&m));
    CHECK(pull(&m, &h, &tag) > 0 && tag == 'q');
    mux_set_waker(&m, NULL, NULL);
    mux_wake(&m);
    CHECK_EQ_INT(woken_calls, 1);
    mux_free(&m);
}

int main(void)
{
    test_priority();
    test_hold();
    test_dispatch();
    test_wake();
    return check_report();
}
