/* bench_ws_sync.c: the device side of the worksheet sync benchmark
 * (tests/bench/ws_sync.py drives it between real `bilan sheet sync` runs).
 *
 *   bench_ws_sync gen  --data DIR --bilan B --ops N   N edits in one new sheet,
 *                                                     stored pending (offline)
 *   bench_ws_sync load --data DIR --bilan B [--rounds R]
 *                                                     the replica loaded and merged
 *                                                     from client.db, R times
 *
 * gen prints `plain_bytes=P ops=N sheet=ID` (P: the canonical plaintext of the
 * operations made, what is sealed); load prints `ops=N load_us=U digest=H`
 * (U: the fastest of R loads; the merge cost per operation is U / N). Both
 * use the client's own code (sheets.h), on the client's own database. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "bp/ident.h"
#include "bp/vocab.h"
#include "keystore.h"
#include "sheets.h"

static long long now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

struct find {
    const char *bilan;
    long long server_id;
    char role[KS_ROLE_MAX];
};

static int find_cb(void *arg, const struct ks_bilan *b)
{
    struct find *f = arg;
    if (strcmp(b->bilan, f->bilan))
        return 0;
    f->server_id = b->server_id;
    snprintf(f->role, sizeof f->role, "%s", b->role);
    return 1;
}

/* Sums the pending operations' plaintext: p[0] bytes, p[1] count. */
static int pcb(void *arg, const uint8_t op[16], const char sh[SHEETS_ID_LEN + 1], const char *json, size_t len)
{
    size_t *p = arg;
    (void)op;
    (void)sh;
    (void)json;
    p[0] += len;
    p[1]++;
    return 0;
}

static int usage(void)
{
    fprintf(stderr, "usage: bench_ws_sync gen|load --data DIR --bilan B [--ops N] [--rounds R]\n");
    return 2;
}

int main(int argc, char **argv)
{
    const char *data = NULL, *bilan = NULL;
    long ops = 1000, rounds = 3;
    if (argc < 2)
        return usage();
    const char *mode = argv[1];
    for (int i = 2; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--data"))
            data = argv[i + 1];
        else if (!strcmp(argv[i], "--bilan"))
            bilan = argv[i + 1];
        else if (!strcmp(argv[i], "--ops"))
            ops = atol(argv[i + 1]);
        else if (!strcmp(argv[i], "--rounds"))
            rounds = atol(argv[i + 1]);
        else
            return usage();
    }
    if (!data || !bilan || ops < 1 || rounds < 1 || (strcmp(mode, "gen") && strcmp(mode, "load")))
        return usage();
    struct keystore *ks;
    char why[512];
    struct bp_identity id;
    uint8_t fp[BP_FP_LEN];
    if (ks_open(data, &ks, why, sizeof why)) {
        fprintf(stderr, "bench_ws_sync: %s\n", why);
        return 1;
    }
    struct find f = {.bilan = bilan};
    if (ks_identity(ks, 0, &id, NULL) || bp_fingerprint(id.sign_pub, id.dh_pub, fp) ||
        ks_bilan_each(ks, 0, find_cb, &f) < 0 || !f.server_id) {
        fprintf(stderr, "bench_ws_sync: no identity or no bilan %s in %s\n", bilan, data);
        return 1;
    }
    int role = bp_role_parse(f.role, strlen(f.role));
    struct sheets *s;
    if (!strcmp(mode, "load")) {
        long long best = -1;
        size_t n = 0;
        for (long r = 0; r < rounds; r++) {
            long long t0 = now_us();
            if (sheets_open(ks, f.server_id, bilan, fp, role, &s, why, sizeof why)) {
                fprintf(stderr, "bench_ws_sync: %s\n", why);
                return 1;
            }
            long long dt = now_us() - t0;
            if (best < 0 || dt < best)
                best = dt;
            n = bp_ws_replica_count(sheets_replica(s));
            sheets_close(s);
        }
        printf("ops=%zu load_us=%lld\n", n, best);
        ks_close(ks);
        return 0;
    }
    if (sheets_open(ks, f.server_id, bilan, fp, role, &s, why, sizeof why)) {
        fprintf(stderr, "bench_ws_sync: %s\n", why);
        return 1;
    }
    char sheet[SHEETS_ID_LEN + 1];
    if (sheets_new(s, "recit", sheet, why, sizeof why)) {
        fprintf(stderr, "bench_ws_sync: %s\n", why);
        return 1;
    }
    /* Fields this role may edit in `recit`, in turn: a consultant writes its
     * observations and the shared thread, as one would over a bilan. */
    static const char *const fields[] = {"fil_rouge", "observations_recit"};
    for (long i = 0; i < ops - 1; i++) {
        char text[200];
        snprintf(text, sizeof text,
                 "Entretien %ld : le parcours se précise, les compétences transférables sont nommées, "
                 "l'enquête métier est prévue (%ld).",
                 i / 2, i);
        json_t *v = json_string(text);
        if (sheets_set(s, sheet, fields[i % 2], v, why, sizeof why)) {
            fprintf(stderr, "bench_ws_sync: %s\n", why);
            return 1;
        }
        json_decref(v);
    }
    size_t p[2] = {0, 0};
    sheets_pending_each(s, pcb, p);
    printf("plain_bytes=%zu ops=%zu sheet=%s\n", p[0], p[1], sheet);
    sheets_close(s);
    ks_close(ks);
    return 0;
}

