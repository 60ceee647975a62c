/* cmd_export.c: the commands that export a bilan's evidence as files:
 * `bilan-server journal export` (the presence journal as JSON Lines, what
 * the session records' journal_sha256 covers) and `bilan-server receipts`
 * (each ended session's stored record with the signatures and refusals the
 * devices sent). Owns their options and output files. Never recomputes a
 * stored record (PROTOCOL.md §9.4): a session that has none yet (an older
 * server's) gets it computed and frozen once, by ledger_record. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "bp/bp.h"
#include "bp/record.h"
#include "cmd.h"
#include "config.h"
#include "ledger.h"

/* ---- journal export ---- */

const char cmd_journal_help[] =
    "Usage: bilan-server journal export BILAN [--out FILE] [--data DIR]\n"
    "\n"
    "Writes the presence journal of BILAN as JSON Lines (docs/JOURNAL.md): a header, then\n"
    "every event in journal order, exactly the lines whose SHA-256 the session records\n"
    "carry. Replay it with `bilan-server hours --replay FILE`.\n"
    "\n"
    "Options:\n"
    "  --out FILE    write to FILE (default: stdout)\n"
    "  --data DIR    data folder (default ./bilan-data)\n"
    "  -h, --help    this help\n";

/* --out and --data, shared by both commands: -1 to go on (optind at the
 * first operand), else the exit code (--help printed, or a usage error). */
static int export_options(const struct cmd *self, int argc, char **argv, const char **out, const char **data)
{
    static const struct option opts[] = {
        {"out", required_argument, NULL, 'o'},
        {"data", required_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int o;
    optind = 0;
    opterr = 0;
    while ((o = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (o) {
        case 'o': *out = optarg; break;
        case 'd': *data = optarg; break;
        case 'h': cmd_help(self, stdout); return 0;
        case ':': return cmd_usage_error(self, "option %s needs a value", argv[optind - 1]);
        default: return cmd_usage_error(self, "unknown option '%s'", argv[optind - 1]);
        }
    }
    return -1;
}

int cmd_journal_run(const struct cmd *self, int argc, char **argv)
{
    const struct store_ops *ops = cmd_store_ops();
    const char *out = NULL, *data = CONFIG_DEFAULT_DATA;
    int rc0 = export_options(self, argc, argv, &out, &data);
    if (rc0 >= 0)
        return rc0;
    if (optind >= argc || strcmp(argv[optind], "export"))
        return cmd_usage_error(self, "%s", "expected: journal export BILAN");
    if (optind + 2 != argc)
        return cmd_usage_error(self, "%s", "expected exactly one BILAN after export");
    const char *bilan = argv[optind + 1];
    struct store *st;
    char why[512] = "";
    if (cmd_open_db(self, ops, data, &st))
        return 1;
    FILE *f = out ? fopen(out, "wb") : stdout;
    if (!f) {
        ops->close(st);
        fprintf(stderr, "bilan-server journal: cannot create %s: %s\n", out, strerror(errno));
        return 1;
    }
    int rc = ledger_export(ops, st, bilan, f, why, sizeof why);
    ops->close(st);
    if (fflush(f) != 0)
        rc = -1;
    if (out && fclose(f) != 0)
        rc = -1;
    if (rc) {
        fprintf(stderr, "bilan-server journal: %s\n", why[0] ? why : strerror(errno));
        return 1;
    }
    return 0;
}

/* ---- receipts ---- */

const char cmd_receipts_help[] =
    "Usage: bilan-server receipts BILAN [--out DIR] [--data DIR]\n"
    "\n"
    "Exports the attendance receipts of BILAN (PROTOCOL.md section 9.4): for each session,\n"
    "the record the server stated and the signatures the devices sent. A record that lacks\n"
    "a participant's signature is exported too: `bilan receipt verify FILE` names who is\n"
    "missing.\n"
    "\n"
    "Options:\n"
    "  --out DIR     write DIR/<session>.json, one receipt file per session (DIR is created)\n"
    "                (default: a JSON array of the receipt files on stdout)\n"
    "  --data DIR    data folder (default ./bilan-data)\n"
    "  -h, --help    this help\n";

struct rc_ctx {
    const struct store_ops *ops;
    struct store *st;
    struct bp_receipt *rc;
    json_t *all;
    const char *out;
    int failed;
};

static int receipt_sig(void *arg, const struct store_receipt *r)
{
    struct rc_ctx *x = arg;
    struct store_device d;
    if (x->rc->n_sigs >= BP_RECORD_MAX_PARTICIPANTS || x->ops->identity->device_get(x->st, r->device, &d))
        return 0;
    struct bp_attestation *a = &x->rc->sigs[x->rc->n_sigs];
    memset(a, 0, sizeof *a);
    if (bp_b64_decode_exact(r->device, a->signer, BP_FP_LEN))
        return 0;
    memcpy(a->sign_pub, d.sign_pub, BP_KEY_LEN);
    memcpy(a->dh_pub, d.dh_pub, BP_KEY_LEN);
    a->received_audio_ms = r->received_audio_ms;
    a->sas_verified = r->sas_verified;
    memcpy(a->sig, r->sig, BP_SIG_LEN);
    x->rc->n_sigs++;
    return 0;
}

static int receipt_refusal(void *arg, const struct store_refusal *r)
{
    struct rc_ctx *x = arg;
    struct store_device d;
    if (x->rc->n_refusals >= BP_RECORD_MAX_PARTICIPANTS || x->ops->identity->device_get(x->st, r->device, &d))
        return 0;
    struct bp_refusal *f = &x->rc->refusals[x->rc->n_refusals];
    memset(f, 0, sizeof *f);
    if (bp_b64_decode_exact(r->device, f->signer, BP_FP_LEN))
        return 0;
    memcpy(f->sign_pub, d.sign_pub, BP_KEY_LEN);
    memcpy(f->dh_pub, d.dh_pub, BP_KEY_LEN);
    snprintf(f->reason, sizeof f->reason, "%s", r->reason);
    memcpy(f->sig, r->sig, BP_SIG_LEN);
    x->rc->n_refusals++;
    return 0;
}

static int receipt_session(void *arg, const struct store_session *ss)
{
    struct rc_ctx *x = arg;
    char why[512];
    memset(x->rc, 0, sizeof *x->rc);
    if (ss->closed_ms < 0)
        return 0; /* still open: no record yet */
    /* The record as stored at close, never recomputed (PROTOCOL.md §9.4). */
    if (ledger_record(x->ops, x->st, ss, &x->rc->record, why, sizeof why)) {
        fprintf(stderr, "bilan-server receipts: session %s skipped: %s\n", ss->id, why);
        return 0;
    }
    if (x->ops->receipts->receipts_of_session(x->st, ss->id, receipt_sig, x) ||
        x->ops->receipts->refusals_of_session(x->st, ss->id, receipt_refusal, x)) {
        x->failed = 1;
        return 1;
    }
    json_t *j = bp_receipt_to_json(x->rc);
    if (!j) {
        x->failed = 1;
        return 1;
    }
    if (!x->out) {
        json_array_append_new(x->all, j);
        return 0;
    }
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s.json", x->out, ss->id);
    if (json_dump_file(j, path, JSON_INDENT(2) | JSON_PRESERVE_ORDER)) {
        fprintf(stderr, "bilan-server receipts: cannot write %s\n", path);
        x->failed = 1;
    } else {
        printf("%s\n", path);
    }
    json_decref(j);
    return x->failed;
}

int cmd_receipts_run(const struct cmd *self, int argc, char **argv)
{
    const struct store_ops *ops = cmd_store_ops();
    const char *out = NULL, *data = CONFIG_DEFAULT_DATA;
    int rc0 = export_options(self, argc, argv, &out, &data);
    if (rc0 >= 0)
        return rc0;
    if (optind + 1 != argc)
        return cmd_usage_error(self, "%s", "expected exactly one BILAN");
    const char *bilan = argv[optind];
    struct rc_ctx x;
    struct store_bilan b;
    memset(&x, 0, sizeof x);
    x.ops = ops;
    x.out = out;
    if (out && mkdir(out, 0700) && errno != EEXIST) {
        fprintf(stderr, "bilan-server receipts: cannot create %s: %s\n", out, strerror(errno));
        return 1;
    }
    if (cmd_open_db(self, ops, data, &x.st))
        return 1;
    if (ops->bilans->bilan_get(x.st, bilan, &b)) {
        ops->close(x.st);
        fprintf(stderr, "bilan-server receipts: no bilan '%s' in this database\n", bilan);
        return 1;
    }
    x.rc = malloc(sizeof *x.rc);
    x.all = json_array();
    int rc = x.rc && x.all ? ops->journal->sessions_of_bilan(x.st, bilan, receipt_session, &x) : BP_E_NOMEM;
    ops->close(x.st);
    free(x.rc);
    if (rc || x.failed) {
        json_decref(x.all);
        fprintf(stderr, "bilan-server receipts: export incomplete (see above)\n");
        return 1;
    }
    if (!out) {
        char *text = json_dumps(x.all, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        rc = text ? cmd_put_out(self, text, strlen(text)) || cmd_put_out(self, "\n", 1) : 1;
        free(text);
    }
    json_decref(x.all);
    return rc ? 1 : 0;
}
