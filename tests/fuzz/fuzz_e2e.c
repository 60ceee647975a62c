/* fuzz_e2e.c: libFuzzer target for the e2e message bodies and sealed sender
 * keys of proto/pair.c (PROTOCOL.md §8.2-8.3).
 *
 * The input is read as JSON (any value, as a malicious relay could send it)
 * and given to bp_e2e_parse. Invariants: a refusal has a known code, a
 * NUL-terminated detail and leaves the struct zeroed; an accepted body
 * builds, and the built body parses back to the same message. A "key" body
 * is then opened under fixed keys: it either authenticates to the one base
 * key sealed under them (the seed corpus holds such a body) or fails with
 * BP_E_CRYPTO and a zeroed output. The raw input is also tried as a sealed
 * key (44 bytes) with a generation taken from the next 8 bytes: it must never
 * authenticate. */
#include <stdlib.h>
#include <string.h>

#include "bp/bp.h"
#include "bp/e2e.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Fixed keys; the seed corpus's "key" body was sealed with them (gen 1). */
static const char fz_bilan[] = "bFuzz";
static void fixed(uint8_t pk[32], uint8_t from[32], uint8_t to[32], uint8_t base[16])
{
    for (int i = 0; i < 32; i++) {
        pk[i] = (uint8_t)(i + 1);
        from[i] = 0x11;
        to[i] = 0x22;
    }
    memset(base, 0x42, 16);
}

static int msg_eq(const struct bp_e2e_msg *a, const struct bp_e2e_msg *b)
{
    if (a->kind != b->kind)
        return 0;
    switch (a->kind) {
    case BP_E2E_COMMIT: return !memcmp(a->c, b->c, sizeof a->c);
    case BP_E2E_REVEAL:
        return !memcmp(&a->bundle, &b->bundle, sizeof a->bundle) && !memcmp(a->r, b->r, sizeof a->r);
    case BP_E2E_CONFIRM:
        return a->nproofs == b->nproofs &&
               !memcmp(a->proofs, b->proofs, sizeof a->proofs[0] * (size_t)a->nproofs);
    case BP_E2E_SAS: return a->sas_confirmed == b->sas_confirmed;
    case BP_E2E_KEY: return a->gen == b->gen && !memcmp(a->sealed, b->sealed, sizeof a->sealed);
    case BP_E2E_ABORT: return !strcmp(a->reason, b->reason);
    }
    return 0;
}

static void try_open(uint64_t gen, const uint8_t sealed[BP_SEALED_KEY_LEN], int may_succeed)
{
    uint8_t pk[32], from[32], to[32], base[16], out[16], zero[16] = {0};
    fixed(pk, from, to, base);
    memset(out, 0xee, sizeof out);
    int rc = bp_senderkey_open(pk, fz_bilan, from, to, gen, sealed, out);
    if (rc == 0) {
        if (!may_succeed || memcmp(out, base, 16))
            abort();   /* a forgery, or a key nobody sealed */
    } else if (rc != BP_E_CRYPTO || memcmp(out, zero, 16)) {
        abort();
    }
}

static int all_zero(const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        if (b[i])
            return 0;
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size >= BP_SEALED_KEY_LEN) {
        uint64_t gen = 0;
        for (size_t i = BP_SEALED_KEY_LEN; i < size && i < BP_SEALED_KEY_LEN + 8; i++)
            gen = gen << 8 | data[i];
        try_open(gen, data, 0);
    }
    if (size > BP_MAX_CTRL)
        return 0;
    json_t *j = json_loadb((const char *)data, size, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, NULL);
    if (!j)
        return 0;
    struct bp_e2e_msg m, back;
    struct bp_verr e;
    memset(&e, 0, sizeof e);
    int rc = bp_e2e_parse(j, &m, &e);
    if (rc) {
        if ((rc != BP_E_MISSING_FIELD && rc != BP_E_INVALID_FIELD) || e.code != rc ||
            !memchr(e.detail, '\0', sizeof e.detail) || !e.detail[0] || !all_zero(&m, sizeof m))
            abort();
        json_decref(j);
        return 0;
    }
    json_t *o = bp_e2e_build(&m);
    if (!o)
        abort();   /* jansson allocation aside, whatever parses builds */
    char *s = json_dumps(o, JSON_COMPACT);
    json_t *p = s ? json_loads(s, JSON_REJECT_DUPLICATES, NULL) : NULL;
    if (!p || bp_e2e_parse(p, &back, NULL) != 0 || !msg_eq(&m, &back))
        abort();
    if (m.kind == BP_E2E_KEY)
        try_open(m.gen, m.sealed, 1);
    json_decref(p);
    free(s);
    json_decref(o);
    json_decref(j);
    return 0;
}
