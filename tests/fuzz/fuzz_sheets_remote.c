/* fuzz_sheets_remote.c: libFuzzer target for a bilan's worksheets on the
 * device (client/sheets.c, ks_sheets.c) fed what a hostile device or server
 * can hand the sync: one operation's plaintext per line, each applied with
 * sheets_apply_remote as seq 1, 2, 3..., its listed op, sheet and author
 * taken from its own text when it parses (else made up, so that it is
 * refused), its role from its device's first letter ('C' consultant, 'B'
 * beneficiary, else the line's parity). Then each line again (repeats).
 *
 * Invariants: nothing crashes; a refusal says why; the replica held in
 * memory and the one loaded again from client.db have the same digest and
 * the same number of operations (what is stored is what is shown); the
 * bilan's shred leaves no row. A real client.db in a temporary folder,
 * one bilan per input. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bp/b64.h"
#include "bp/vocab.h"
#include "keystore.h"
#include "sheets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_LINES 64

static struct keystore *ks;
static unsigned runs;
static const uint8_t self_fp[BP_FP_LEN] = {0x5e};
static char dir[] = "/tmp/bilan-fuzz-sheets-XXXXXX";

static void cleanup(void)
{
    char cmd[64];
    ks_close(ks);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
}

static void setup(void)
{
    char why[512];
    if (!mkdtemp(dir) || ks_open(dir, &ks, why, sizeof why))
        abort();
    atexit(cleanup);
}

static void apply_line(struct sheets *s, long long seq, const char *line, size_t len)
{
    struct bp_ws_op op;
    uint8_t id[16], author[BP_FP_LEN];
    char sheet[SHEETS_ID_LEN + 1] = "AAAAAAAAAAAAAAAAAAAAAA", why[512];
    memset(id, (int)seq, sizeof id);
    memset(author, 0x11, sizeof author);
    int role = (len & 1) ? BP_ROLE_CONSULTANT : BP_ROLE_BENEFICIARY;
    if (bp_ws_op_parse(line, len, &op, NULL) == 0) {
        bp_b64_decode_exact(op.id, id, 16);
        bp_b64_decode_exact(op.device, author, BP_FP_LEN);
        snprintf(sheet, sizeof sheet, "%s", op.sheet);
        role = op.device[0] == 'C' ? BP_ROLE_CONSULTANT
               : op.device[0] == 'B' ? BP_ROLE_BENEFICIARY
                                     : role;
    }
    bp_ws_op_clear(&op);
    why[0] = '\0';
    int rc = sheets_apply_remote(s, seq, id, sheet, author, role, line, len, why, sizeof why);
    if (rc != 0 && !why[0])
        abort();
    sheets_set_after(s, seq);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!ks)
        setup();
    char bilan[32], why[512];
    snprintf(bilan, sizeof bilan, "f%u", runs++);
    struct sheets *s;
    if (sheets_open(ks, 1, bilan, self_fp, BP_ROLE_CONSULTANT, &s, why, sizeof why))
        abort();
    const char *p = (const char *)data, *end = p + size;
    const char *lines[MAX_LINES];
    size_t lens[MAX_LINES], n = 0;
    while (p < end && n < MAX_LINES) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
        lines[n] = p;
        lens[n++] = len;
        p += len + (nl != NULL);
    }
    long long seq = 0;
    for (int round = 0; round < 2; round++)
        for (size_t i = 0; i < n; i++)
            apply_line(s, ++seq, lines[i], lens[i]);
    uint8_t d1[32], d2[32];
    size_t count = bp_ws_replica_count(sheets_replica(s));
    if (bp_ws_replica_digest(sheets_replica(s), d1))
        abort();
    sheets_close(s);
    if (sheets_open(ks, 1, bilan, self_fp, BP_ROLE_CONSULTANT, &s, why, sizeof why) ||
        bp_ws_replica_digest(sheets_replica(s), d2) || memcmp(d1, d2, 32) ||
        bp_ws_replica_count(sheets_replica(s)) != count || sheets_after(s) != seq)
        abort();
    sheets_close(s);
    if (sheets_shred(ks, 1, bilan, NULL, 0) ||
        sheets_open(ks, 1, bilan, self_fp, BP_ROLE_CONSULTANT, &s, why, sizeof why) ||
        bp_ws_replica_count(sheets_replica(s)) != 0 || sheets_after(s) != 0)
        abort();
    sheets_close(s);
    return 0;
}
