/* test_quota.c: server/quota.c — per-device request quotas in fixed
 * windows, time passed in: the default limits hold, a window's end resets
 * the count and says when, devices are counted apart, and a server option
 * (quota.max, --sheet-push-quota) raises one kind's limit and no other. */
#include <string.h>

#include "../check.h"
#include "quota.h"

static struct quota q; /* large: not on the stack */

static void test_default_and_window(void)
{
    uint8_t dev[BP_FP_LEN], other[BP_FP_LEN];
    memset(&q, 0, sizeof q);
    memset(dev, 7, sizeof dev);
    memset(other, 9, sizeof other);
    uint32_t max = quota_limits[QUOTA_SHEET_PULL].max;
    int retry = -1;
    for (uint32_t i = 0; i < max; i++)
        CHECK_EQ_INT(quota_take(&q, dev, QUOTA_SHEET_PULL, 1000 + i, NULL), 0);
    CHECK_EQ_INT(quota_take(&q, dev, QUOTA_SHEET_PULL, 2000, &retry), 1);
    CHECK(retry > 0 && retry <= 60);
    CHECK_EQ_INT(quota_take(&q, other, QUOTA_SHEET_PULL, 2000, NULL), 0); /* another device */
    CHECK_EQ_INT(quota_take(&q, dev, QUOTA_SHEET_PUSH, 2000, NULL), 0);   /* another kind */
    CHECK_EQ_INT(quota_take(&q, dev, QUOTA_SHEET_PULL, 1000 + 60 * 1000, NULL), 0); /* a new window */
}

static void test_override(void)
{
    uint8_t dev[BP_FP_LEN];
    memset(&q, 0, sizeof q);
    memset(dev, 3, sizeof dev);
    uint32_t dflt = quota_limits[QUOTA_SHEET_PUSH].max;
    q.max[QUOTA_SHEET_PUSH] = dflt + 5;
    for (uint32_t i = 0; i < dflt + 5; i++)
        if (quota_take(&q, dev, QUOTA_SHEET_PUSH, 500, NULL))
            CHECK(!"refused under the raised limit");
    CHECK_EQ_INT(quota_take(&q, dev, QUOTA_SHEET_PUSH, 500, NULL), 1);
    /* Other kinds keep their own limits. */
    uint32_t jmax = quota_limits[QUOTA_JOIN].max;
    for (uint32_t i = 0; i < jmax; i++)
        CHECK_EQ_INT(quota_take(&q, dev, QUOTA_JOIN, 500, NULL), 0);
    CHECK_EQ_INT(quota_take(&q, dev, QUOTA_JOIN, 500, NULL), 1);
}

int main(void)
{
    test_default_and_window();
    test_override();
    return check_report();
}
