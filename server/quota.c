/* quota.c: per-device request quotas (see quota.h). A fixed window per
 * (device, kind): the first request opens a window of window_ms in which at
 * most max requests are counted. Open addressing on the fingerprint's first
 * bytes (fingerprints are SHA-256 outputs: uniform). */
#include <string.h>

#include "quota.h"

const struct quota_limit quota_limits[QUOTA_KINDS] = {
    [QUOTA_JOIN] = {30, 60 * 1000, "room joins"},
    [QUOTA_HOURS] = {20, 60 * 1000, "hours requests"},
    [QUOTA_DECLARE] = {20, 10 * 60 * 1000, "declarations of personal work"},
    /* Worksheets: a person types a few operations a second at most; a device
     * catching up after days offline pushes its backlog in a few minutes. */
    [QUOTA_SHEET_PUSH] = {6000, 60 * 1000, "worksheet operations"},
    [QUOTA_SHEET_PULL] = {600, 60 * 1000, "worksheet pulls"},
    /* A device asks for the key at each connection and wraps it once per
     * peer; a person consents a few times at most. Each writes the store. */
    [QUOTA_SHEET_KEY] = {600, 60 * 1000, "worksheet key requests"},
    [QUOTA_CONSENT] = {20, 10 * 60 * 1000, "consents"},
};

static int expired(const struct quota_entry *e, int64_t now_ms)
{
    for (int k = 0; k < QUOTA_KINDS; k++)
        if (e->count[k] && now_ms - e->window_start[k] < quota_limits[k].window_ms)
            return 0;
    return 1;
}

static struct quota_entry *find(struct quota *q, const uint8_t device[BP_FP_LEN], int64_t now_ms)
{
    uint32_t h = (uint32_t)device[0] | (uint32_t)device[1] << 8 | (uint32_t)device[2] << 16;
    struct quota_entry *reuse = NULL, *oldest = NULL;
    for (uint32_t i = 0; i < QUOTA_SLOTS; i++) {
        struct quota_entry *e = &q->e[(h + i) % QUOTA_SLOTS];
        if (e->used && !memcmp(e->device, device, BP_FP_LEN))
            return e;
        if (!e->used) {
            if (!reuse)
                reuse = e;
            break; /* never used: the device is not further along the probe */
        }
        if (!reuse && expired(e, now_ms))
            reuse = e;
        if (!oldest || e->last_ms < oldest->last_ms)
            oldest = e;
    }
    struct quota_entry *e = reuse ? reuse : oldest;
    memset(e, 0, sizeof *e);
    e->used = 1;
    memcpy(e->device, device, BP_FP_LEN);
    return e;
}

int quota_take(struct quota *q, const uint8_t device[BP_FP_LEN], enum quota_kind kind, int64_t now_ms,
               int *retry_s)
{
    struct quota_entry *e = find(q, device, now_ms);
    const struct quota_limit *l = &quota_limits[kind];
    e->last_ms = now_ms;
    if (!e->count[kind] || now_ms - e->window_start[kind] >= l->window_ms || now_ms < e->window_start[kind]) {
        e->window_start[kind] = now_ms;
        e->count[kind] = 0;
    }
    if (e->count[kind] >= (q->max[kind] ? q->max[kind] : l->max)) {
        if (retry_s)
            *retry_s = (int)((e->window_start[kind] + l->window_ms - now_ms + 999) / 1000);
        return 1;
    }
    e->count[kind]++;
    return 0;
}
