/* test_window_parts.c: the pure parts under the window: the latest-picture
 * box (client/media/vmailbox.c) and the connection quality's thresholds
 * (client/room_cmds.c, room_quality_of). */
#include <stdio.h>
#include <string.h>

#include "room_cmds.h"
#include "vmailbox.h"

static int passed, failed;

static void check(int ok, const char *what)
{
    if (ok) {
        passed++;
    } else {
        failed++;
        printf("FAIL %s\n", what);
    }
}

static void paint(struct vframe *f, uint8_t y)
{
    for (int r = 0; r < f->height; r++)
        memset(f->y + (size_t)r * f->stride_y, y, (size_t)f->width);
}

static void test_mailbox(void)
{
    struct vmailbox b;
    vmailbox_init(&b);
    struct vframe a, out;
    memset(&out, 0, sizeof out);
    check(vframe_alloc(&a, 64, 48) == 0, "a picture");
    uint64_t seen = 0;
    check(vmailbox_take(&b, &out, &seen) == 0, "an empty box gives nothing");
    paint(&a, 100);
    check(vmailbox_put(&b, &a) == 0, "put");
    paint(&a, 50); /* the box holds a copy, not the caller's planes */
    check(vmailbox_take(&b, &out, &seen) == 1, "a new picture is taken");
    check(out.width == 64 && out.height == 48 && out.y[0] == 100 && out.y[64 * 47 + 63] == 100,
          "the copy has the picture put, at its size");
    check(vmailbox_take(&b, &out, &seen) == 0, "the same picture is not taken twice");
    vmailbox_put(&b, &a);
    vmailbox_put(&b, &a);
    check(vmailbox_take(&b, &out, &seen) == 1 && out.y[0] == 50, "only the latest is taken");
    struct vframe big;
    check(vframe_alloc(&big, 128, 96) == 0, "a larger picture");
    paint(&big, 7);
    vmailbox_put(&b, &big);
    check(vmailbox_take(&b, &out, &seen) == 1 && out.width == 128 && out.y[128 * 95] == 7,
          "a new size follows");
    vmailbox_clear(&b);
    check(vmailbox_take(&b, &out, &seen) == -1, "a cleared box says so once");
    check(vmailbox_take(&b, &out, &seen) == 0, "then nothing");
    uint64_t n = vmailbox_count(&b);
    vmailbox_clear(&b);
    check(vmailbox_count(&b) == n, "clearing an empty box changes nothing");
    vframe_free(&a);
    vframe_free(&big);
    vframe_free(&out);
    vmailbox_destroy(&b);
}

static void test_quality(void)
{
    check(room_quality_of(-1, -1) == ROOM_Q_UNKNOWN, "nothing measured: unknown");
    check(room_quality_of(20, 0) == ROOM_Q_GOOD, "20 ms, no loss: good");
    check(room_quality_of(ROOM_Q_GOOD_RTT_MS, ROOM_Q_GOOD_LOSS_PCT) == ROOM_Q_GOOD,
          "at the good limits: good");
    check(room_quality_of(ROOM_Q_GOOD_RTT_MS + 1, 0) == ROOM_Q_FAIR, "past the good round trip: fair");
    check(room_quality_of(20, ROOM_Q_GOOD_LOSS_PCT + 1) == ROOM_Q_FAIR, "past the good loss: fair");
    check(room_quality_of(ROOM_Q_FAIR_RTT_MS + 1, 0) == ROOM_Q_POOR, "past the fair round trip: poor");
    check(room_quality_of(-1, ROOM_Q_FAIR_LOSS_PCT + 1) == ROOM_Q_POOR, "loss alone can make it poor");
    check(room_quality_of(500, -1) == ROOM_Q_POOR, "a round trip alone can make it poor");
}

int main(void)
{
    test_mailbox();
    test_quality();
    printf("%d passed, %d failed\n", passed, failed);
    return failed != 0;
}
