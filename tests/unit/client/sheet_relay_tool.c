/* sheet_relay_tool.c: stands in for the server between data folders in
 * tests/integration/test_sheet_cli.py, so that two devices' `bilan sheet`
 * edits meet without a network (the real sync, sealed, is `bilan sheet
 * sync`). A log file of JSON lines is the server's ordered store:
 *
 *   sheet_relay_tool push DATA BILAN LOG   appends DATA's pending operations
 *                                          (seq = line number), marks them pushed
 *   sheet_relay_tool pull DATA BILAN LOG   applies the lines after DATA's last seq
 *
 * Prints one machine line per operation; exits 0, or 1 on a failure. A
 * test tool: never installed, never linked into bilan. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "bp/b64.h"
#include "bp/ident.h"
#include "bp/vocab.h"
#include "keystore.h"
#include "sheets.h"

struct found {
    const char *want;
    struct ks_bilan b;
    int n;
};

static int bilan_cb(void *arg, const struct ks_bilan *b)
{
    struct found *f = arg;
    if (!strcmp(b->bilan, f->want) && !f->n++)
        f->b = *b;
    return 0;
}

struct push_ctx {
    FILE *log;
    long long seq;
    const char *author;
    const char *role;
    uint8_t ops[4096][16];
    long long seqs[4096];
    size_t n;
};

static int push_cb(void *arg, const uint8_t op[16], const char sheet[SHEETS_ID_LEN + 1],
                   const char *json, size_t len)
{
    struct push_ctx *p = arg;
    if (p->n == 4096)
        return 1;
    char id[23];
    bp_b64_encode(op, 16, id);
    json_t *line =
        json_pack("{s:I, s:s, s:s, s:s, s:s, s:s%}", "seq", (json_int_t)++p->seq, "op", id, "sheet",
                  sheet, "author", p->author, "role", p->role, "json", json, len);
    if (!line || json_dumpf(line, p->log, JSON_COMPACT) || fputc('\n', p->log) == EOF)
        return 1;
    json_decref(line);
    memcpy(p->ops[p->n], op, 16);
    p->seqs[p->n++] = p->seq;
    printf("[relay] push seq=%lld op=%s\n", p->seq, id);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 5 || (strcmp(argv[1], "push") && strcmp(argv[1], "pull"))) {
        fprintf(stderr, "usage: sheet_relay_tool push|pull DATA BILAN LOG\n");
        return 1;
    }
    char why[1024];
    struct keystore *ks;
    struct bp_identity id;
    long long created;
    uint8_t fp[BP_FP_LEN];
    if (ks_open(argv[2], &ks, why, sizeof why)) {
        fprintf(stderr, "%s\n", why);
        return 1;
    }
    struct found f = {.want = argv[3]};
    if (ks_identity(ks, 0, &id, &created) || ks_bilan_each(ks, 0, bilan_cb, &f) || f.n != 1 ||
        bp_fingerprint(id.sign_pub, id.dh_pub, fp)) {
        fprintf(stderr, "no identity or no single bilan %s in %s\n", argv[3], argv[2]);
        return 1;
    }
    bp_identity_wipe(&id);
    int role = bp_role_parse(f.b.role, strlen(f.b.role));
    struct sheets *s;
    if (sheets_open(ks, f.b.server_id, f.b.bilan, fp, role, &s, why, sizeof why)) {
        fprintf(stderr, "%s\n", why);
        return 1;
    }
    int rc = 0;
    /* The log's lines so far: the next seq, and what to pull. */
    FILE *log = fopen(argv[4], "a+");
    if (!log)
        return 1;
    rewind(log);
    json_t *lines[4096];
    size_t nl = 0;
    json_error_t e;
    json_t *l;
    while (nl < 4096 && (l = json_loadf(log, JSON_DISABLE_EOF_CHECK, &e)) != NULL)
        lines[nl++] = l;
    if (!strcmp(argv[1], "push")) {
        static struct push_ctx p;
        char author[44];
        bp_b64_encode(fp, BP_FP_LEN, author);
        p.log = log;
        p.seq = (long long)nl;
        p.author = author;
        p.role = bp_role_name(role);
        fseek(log, 0, SEEK_END);
        if (sheets_pending_each(s, push_cb, &p))
            rc = 1;
        fflush(log);
        for (size_t i = 0; i < p.n; i++)
            if (sheets_mark_pushed(s, p.ops[i], p.seqs[i]))
                rc = 1;
    } else {
        for (size_t i = 0; i < nl; i++) {
            long long seq = json_integer_value(json_object_get(lines[i], "seq"));
            if (seq <= sheets_after(s))
                continue;
            uint8_t op[16], author[BP_FP_LEN];
            const char *js = json_string_value(json_object_get(lines[i], "json"));
            const char *r = json_string_value(json_object_get(lines[i], "role"));
            if (!js || !r ||
                bp_b64_decode_exact(json_string_value(json_object_get(lines[i], "op")), op, 16) ||
                bp_b64_decode_exact(json_string_value(json_object_get(lines[i], "author")), author,
                                    BP_FP_LEN)) {
                rc = 1;
                continue;
            }
            int a = sheets_apply_remote(
                s, seq, op, json_string_value(json_object_get(lines[i], "sheet")), author,
                bp_role_parse(r, strlen(r)), js, strlen(js), why, sizeof why);
            printf("[relay] pull seq=%lld rc=%d%s%s\n", seq, a, a ? " " : "", a ? why : "");
            if (a < 0)
                rc = 1;
            sheets_set_after(s, seq);
        }
    }
    for (size_t i = 0; i < nl; i++)
        json_decref(lines[i]);
    fclose(log);
    sheets_close(s);
    ks_close(ks);
    return rc;
}
