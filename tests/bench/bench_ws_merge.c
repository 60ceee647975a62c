/* bench_ws_merge.c: what the worksheet merge (proto/ws_merge.c) costs per
 * operation, for 1,000 and 10,000 operations, against parsing the same
 * operations without merging them (bp_ws_op_parse), in the same run so the
 * ratio holds on any machine.
 *
 * The operations are an editing history made up here: a consultant and a
 * beneficiary device, 20 sheets of 25 text fields, each edit listing the
 * field's heads as its author saw them; the beneficiary sees the
 * consultant's edits late (1 edit in 4 concurrent with another: conflicts,
 * then resolved). Each is its canonical JSON, as it comes off the wire.
 *   parse      bp_ws_op_parse + clear of each (the baseline)
 *   merge      bp_ws_replica_add_json of each into a new replica, in the
 *              history's order (parse included)
 *   shuffled   the same in a random order (children before parents)
 *   digest     one bp_ws_replica_digest of the whole replica
 * Each is repeated --rounds times interleaved and the fastest round counts.
 * Output: a table, then one line "BENCH_JSON {...}" for scripts.
 * Usage: bench_ws_merge [--rounds N]   (5 by default, 1..100)
 * Exit status 1 if the replicas do not agree (the bench checks itself). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bp/b64.h"
#include "bp/ws_merge.h"

#define NFIELDS 25
#define NSHEETS 20

static uint64_t rng = 88172645463325252ull;
static unsigned pick(unsigned n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (unsigned)(rng % n);
}

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int role(void *ctx, const char *device)
{
    (void)ctx;
    return device[0] == 'C' ? 1 : 2;
}

/* Every field a text both may edit: what costs most (versions kept). */
static int text_fields(void *ctx, const char *tmpl, const char *field, const json_t *v, int r,
                       int *keeps, char *why, size_t cap)
{
    (void)ctx, (void)tmpl, (void)r, (void)why, (void)cap;
    if (field)
        *keeps = 1;
    return !field || json_is_string(v) ? 0 : BP_WS_BAD_VALUE;
}

static const struct bp_ws_rules rules = {NULL, role, text_fields};
static char sheets[NSHEETS][BP_WS_OPID_LEN + 1];

static void make_id(unsigned n, unsigned salt, char *out, size_t len)
{
    uint8_t b[32] = {0};
    memcpy(b, &n, sizeof n);
    b[8] = (uint8_t)salt;
    bp_b64_encode(b, len, out);
}

/* The history: n ops as JSON. Two replicas write; B receives A's ops late. */
static char **history(size_t n, size_t **lens)
{
    char **js = calloc(n, sizeof *js);
    *lens = calloc(n, sizeof **lens);
    struct bp_ws_replica *rep[2] = {bp_ws_replica_new(&rules), bp_ws_replica_new(&rules)};
    char dev[2][BP_WS_DEVICE_LEN + 1];
    uint8_t d[32] = {0};
    d[0] = 2 << 2;
    bp_b64_encode(d, 32, dev[0]);
    d[0] = 1 << 2;
    bp_b64_encode(d, 32, dev[1]);
    struct bp_ws_hlc clock[2] = {{0, 0}, {0, 0}};
    uint64_t t = 1733040000000ull;
    size_t sent[2] = {0, 0}; /* ops of the history each replica has been given */
    for (size_t k = 0; k < n; k++) {
        int w = k < NSHEETS ? 0 : (int)pick(2);
        /* Catch up with the other's ops, but B often not quite. */
        size_t upto = w == 1 && pick(4) == 0 ? (k > 3 ? k - 3 : 0) : k;
        for (; sent[w] < upto; sent[w]++) {
            struct bp_ws_op op;
            if (bp_ws_op_parse(js[sent[w]], (*lens)[sent[w]], &op, NULL) == 0) {
                bp_ws_hlc_receive(&clock[w], &op.hlc, t);
                bp_ws_replica_add(rep[w], &op);
            }
            bp_ws_op_clear(&op);
        }
        struct bp_ws_op op;
        memset(&op, 0, sizeof op);
        make_id((unsigned)k, 7, op.id, 16);
        strcpy(op.device, dev[w]);
        t += pick(3);
        bp_ws_hlc_local(&clock[w], t, &op.hlc);
        if (k < NSHEETS) {
            op.type = BP_WS_OP_CREATE;
            make_id((unsigned)k, 9, sheets[k], 16);
            strcpy(op.sheet, sheets[k]);
            strcpy(op.tmpl, "t");
        } else {
            op.type = BP_WS_OP_SET;
            strcpy(op.sheet, sheets[pick(NSHEETS)]);
            snprintf(op.field, sizeof op.field, "champ_%u", pick(NFIELDS));
            char text[200];
            snprintf(text, sizeof text,
                     "Réponse %zu : un paragraphe de texte tapé par la personne, "
                     "avec des accents et une deuxième ligne.\nFin.",
                     k);
            op.value = json_string(text);
            const struct bp_ws_op *h[BP_WS_PARENTS_MAX];
            size_t nh = bp_ws_replica_heads(rep[w], op.sheet, op.field, h, BP_WS_PARENTS_MAX, NULL);
            if (nh > BP_WS_PARENTS_MAX)
                nh = BP_WS_PARENTS_MAX;
            op.parents = calloc(nh ? nh : 1, sizeof *op.parents);
            for (size_t i = 0; i < nh; i++)
                strcpy(op.parents[i], h[i]->id);
            op.n_parents = nh;
        }
        js[k] = bp_ws_op_encode(&op, &(*lens)[k]);
        bp_ws_replica_add(rep[w], &op);
        sent[w] = k + 1;
        bp_ws_op_clear(&op);
        if (!js[k]) {
            fprintf(stderr, "bench_ws_merge: op %zu did not encode\n", k);
            exit(1);
        }
    }
    bp_ws_replica_free(rep[0]);
    bp_ws_replica_free(rep[1]);
    return js;
}

struct result {
    size_t n;
    double parse, merge, shuffled, digest; /* ns per op, digest: ns in all */
    size_t conflicts, bytes;
};

static int measure(size_t n, int rounds, struct result *res)
{
    size_t *lens;
    char **js = history(n, &lens);
    size_t *perm = malloc(n * sizeof *perm);
    for (size_t i = 0; i < n; i++)
        perm[i] = i;
    for (size_t i = n - 1; i > 0; i--) {
        size_t j = pick((unsigned)i + 1), x = perm[i];
        perm[i] = perm[j];
        perm[j] = x;
    }
    double best[4] = {1e300, 1e300, 1e300, 1e300};
    uint8_t d1[32], d2[32];
    int bad = 0;
    memset(res, 0, sizeof *res);
    res->n = n;
    for (size_t i = 0; i < n; i++)
        res->bytes += lens[i];
    for (int r = 0; r < rounds; r++) {
        double t0 = now_ns();
        for (size_t i = 0; i < n; i++) {
            struct bp_ws_op op;
            bad |= bp_ws_op_parse(js[i], lens[i], &op, NULL) != 0;
            bp_ws_op_clear(&op);
        }
        double t1 = now_ns();
        struct bp_ws_replica *a = bp_ws_replica_new(&rules);
        for (size_t i = 0; i < n; i++)
            bad |= bp_ws_replica_add_json(a, js[i], lens[i], NULL) != 1;
        double t2 = now_ns();
        struct bp_ws_replica *b = bp_ws_replica_new(&rules);
        for (size_t i = 0; i < n; i++)
            bad |= bp_ws_replica_add_json(b, js[perm[i]], lens[perm[i]], NULL) != 1;
        double t3 = now_ns();
        bad |= bp_ws_replica_digest(a, d1) != 0;
        double t4 = now_ns();
        bad |= bp_ws_replica_digest(b, d2) != 0 || memcmp(d1, d2, 32) != 0;
        double t[4] = {t1 - t0, t2 - t1, t3 - t2, t4 - t3};
        for (int k = 0; k < 4; k++)
            if (t[k] < best[k])
                best[k] = t[k];
        if (r == 0) /* fields in conflict at the end */
            for (int sh = 0; sh < NSHEETS; sh++)
                for (int f = 0; f < NFIELDS; f++) {
                    char name[16];
                    int c = 0;
                    snprintf(name, sizeof name, "champ_%d", f);
                    bp_ws_replica_heads(a, sheets[sh], name, NULL, 0, &c);
                    res->conflicts += (size_t)c;
                }
        bp_ws_replica_free(a);
        bp_ws_replica_free(b);
    }
    res->parse = best[0] / (double)n;
    res->merge = best[1] / (double)n;
    res->shuffled = best[2] / (double)n;
    res->digest = best[3];
    for (size_t i = 0; i < n; i++)
        free(js[i]);
    free(js);
    free(lens);
    free(perm);
    return bad;
}

int main(int argc, char **argv)
{
    long rounds = 5;
    if (argc == 3 && !strcmp(argv[1], "--rounds"))
        rounds = atol(argv[2]);
    else if (argc != 1)
        rounds = 0;
    if (rounds < 1 || rounds > 100) {
        fprintf(stderr, "usage: bench_ws_merge [--rounds N] (1..100)\n");
        return 2;
    }
    size_t sizes[] = {1000, 10000};
    struct result res[2];
    int bad = 0;
    for (int s = 0; s < 2; s++)
        bad |= measure(sizes[s], (int)rounds, &res[s]);
    printf("%7s %10s | %9s %9s %11s | %10s %12s | %10s %10s\n", "ops", "bytes/op", "parse ns",
           "merge ns", "shuffled ns", "merge only", "merge/parse", "digest ms", "conflicts");
    for (int s = 0; s < 2; s++)
        printf("%7zu %10.0f | %9.0f %9.0f %11.0f | %10.0f %12.2f | %10.2f %10zu\n", res[s].n,
               (double)res[s].bytes / (double)res[s].n, res[s].parse, res[s].merge, res[s].shuffled,
               res[s].merge - res[s].parse, res[s].merge / res[s].parse, res[s].digest / 1e6,
               res[s].conflicts);
    printf("BENCH_JSON {\"bench\":\"ws_merge\",\"rounds\":%ld,\"results\":[", rounds);
    for (int s = 0; s < 2; s++)
        printf("%s{\"ops\":%zu,\"bytes_per_op\":%.0f,\"parse_ns\":%.0f,\"merge_ns\":%.0f,"
               "\"shuffled_ns\":%.0f,"
               "\"merge_over_parse\":%.3f,\"shuffled_over_parse\":%.3f,\"digest_ms\":%.3f,"
               "\"conflicts\":%zu}",
               s ? "," : "", res[s].n, (double)res[s].bytes / (double)res[s].n, res[s].parse,
               res[s].merge, res[s].shuffled, res[s].merge / res[s].parse,
               res[s].shuffled / res[s].parse, res[s].digest / 1e6, res[s].conflicts);
    printf("],\"ok\":%s}\n", bad ? "false" : "true");
    if (bad)
        fprintf(stderr, "bench_ws_merge: an operation was refused or the replicas differ\n");
    return bad;
}
