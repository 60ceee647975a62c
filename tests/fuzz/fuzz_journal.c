/* fuzz_journal.c: libFuzzer target for the exported-journal parser and the
 * accounting behind `bilan-server hours --replay` (server/journal_jsonl.c,
 * server/account.c): any bytes either parse into events or are refused with
 * a "line N: ..." reason; parsed events always account without crashing;
 * each parsed event writes back to a line that parses to the same event. */
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "journal_jsonl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct jl_journal j;
    char why[256] = "";
    if (journal_jsonl_parse((const char *)data, size, &j, why, sizeof why) != 0) {
        if (why[0] == '\0')
            abort(); /* a refusal always says why */
        return 0;
    }
    struct acc_report r;
    struct acc_err err;
    memset(&r, 0, sizeof r);
    if (account_compute(j.ev, j.n, &j.meta, &r, &err) == 0) {
        if (r.face_to_face_ms < 0 || r.remaining_ms < 0)
            abort();
        account_report_free(&r);
    }
    /* Header and every event written back must parse again, event for event. */
    size_t cap = (j.n + 1) * (JL_LINE_MAX + 2) + 1;
    char *text = malloc(cap);
    size_t len = 0;
    int n = text ? journal_jsonl_write_header(&j.meta, j.format, text, cap) : -1;
    if (n < 0) {
        free(text);
        journal_jsonl_free(&j);
        return 0;
    }
    len = (size_t)n;
    for (size_t i = 0; i < j.n; i++) {
        n = journal_jsonl_write_event(&j.ev[i], text + len, cap - len);
        if (n < 0)
            abort(); /* what we parsed, we can write */
        len += (size_t)n;
    }
    struct jl_journal k;
    if (journal_jsonl_parse(text, len, &k, why, sizeof why) != 0 || k.n != j.n)
        abort();
    for (size_t i = 0; i < j.n; i++)
        if (k.ev[i].t_ms != j.ev[i].t_ms || k.ev[i].kind != j.ev[i].kind)
            abort();
    journal_jsonl_free(&k);
    free(text);
    journal_jsonl_free(&j);
    return 0;
}
