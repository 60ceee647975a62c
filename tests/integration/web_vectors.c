/* web_vectors.c: the C side of the browser client's crypto interop test
 * (test_web_crypto.py): computes and checks, with libbilanproto's own
 * functions, the values of PROTOCOL.md §2.1 and §8.2-8.4 that the browser
 * computes with WebCrypto, so both sides can be compared byte for byte.
 *
 * Input (stdin): {"ops": [{"op": NAME, ...}, ...]}; output (stdout):
 * {"results": [...]}, one result per op, in order. Every byte string is
 * base64url without padding. Ops:
 *   keys                                  -> fresh {sign_priv, sign_pub, dh_priv, dh_pub, eph_priv, eph_pub, fp}
 *   fp {sign_pub, dh_pub}                 -> {fp}
 *   bundle_make {sign_priv, dh_priv, eph_priv, bilan} -> {bundle}
 *   bundle_verify {bundle, bilan}         -> {ok}
 *   commit {bundle, r}                    -> {c}
 *   transcript {bilan, a, ra, b, rb}      -> {t}       (bundles as objects)
 *   sid {secret, bilan}                   -> {sid}
 *   mac {secret, bilan, t, fp}            -> {mac}
 *   sas {t}                               -> {code}    ("482 913")
 *   pair_key {eph_priv, peer_eph, t}      -> {key}
 *   sk_seal {key, bilan, from, to, gen, base}   -> {sealed}
 *   sk_open {key, bilan, from, to, gen, sealed} -> {base} or {base: null}
 *   sframe_seal {base, gen, ctr, header, pt}    -> {frame} (header || SFrame, stream of header[1])
 *   sframe_open {base, frames: [...]}     -> {pts: [pt or null per frame]} with one replay window
 *                                            per KID over the list, and the KID-stream check
 *   parse {body}                          -> {ok, t}   (bp_e2e_parse of a body built elsewhere)
 *   record_text {record}                  -> {text} (§9.4 canonical text) or {text: null}
 *   record_sign {record, sign_priv, dh_priv, received_audio_ms, sas_verified} -> {attestation}
 *   record_verify {record, attestation}   -> {ok, why}
 *   refusal_sign {record, sign_priv, dh_priv, reason} -> {refusal}
 *   refusal_verify {record, refusal}      -> {ok, why}
 *
 * A test tool: it prints private keys it was given or made (test keys only),
 * which no product code may do. Exits 2 on malformed input. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "bp/b64.h"
#include "bp/e2e.h"
#include "bp/kinds.h"
#include "bp/record.h"

static void die(const char *why)
{
    fprintf(stderr, "web_vectors: %s\n", why);
    exit(2);
}

static void get(const json_t *o, const char *name, uint8_t *out, size_t n)
{
    const char *s = json_string_value(json_object_get(o, name));
    if (!s || bp_b64_decode_exact(s, out, n))
        die(name);
}

/* Variable length: returns the length. */
static size_t getv(const json_t *o, const char *name, uint8_t *out, size_t cap)
{
    const char *s = json_string_value(json_object_get(o, name));
    int n = s ? bp_b64_decode(s, strlen(s), out, cap) : -1;
    if (n < 0)
        die(name);
    return (size_t)n;
}

static json_t *b64(const uint8_t *p, size_t n)
{
    char *s = malloc(bp_b64_len(n) + 1);
    if (!s)
        die("memory");
    bp_b64_encode(p, n, s);
    json_t *j = json_string(s);
    free(s);
    return j;
}

static const char *str(const json_t *o, const char *name)
{
    const char *s = json_string_value(json_object_get(o, name));
    if (!s)
        die(name);
    return s;
}

static void get_bundle(const json_t *o, const char *name, struct bp_bundle *b)
{
    const json_t *j = json_object_get(o, name);
    if (!json_is_object(j))
        die(name);
    get(j, "sign_pub", b->sign_pub, BP_KEY_LEN);
    get(j, "dh_pub", b->dh_pub, BP_KEY_LEN);
    get(j, "eph", b->eph, BP_KEY_LEN);
    get(j, "sig", b->sig, BP_SIG_LEN);
}

static json_t *bundle_json(const struct bp_bundle *b)
{
    return json_pack("{s:o,s:o,s:o,s:o}", "sign_pub", b64(b->sign_pub, BP_KEY_LEN), "dh_pub",
                     b64(b->dh_pub, BP_KEY_LEN), "eph", b64(b->eph, BP_KEY_LEN), "sig",
                     b64(b->sig, BP_SIG_LEN));
}

static json_t *op_keys(void)
{
    struct bp_identity id;
    uint8_t eph[BP_KEY_LEN], eph_pub[BP_KEY_LEN], fp[BP_FP_LEN];
    if (bp_identity_generate(&id) || bp_random(eph, sizeof eph) || bp_x25519_public(eph, eph_pub) ||
        bp_fingerprint(id.sign_pub, id.dh_pub, fp))
        die("keys");
    return json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "sign_priv", b64(id.sign_priv, BP_KEY_LEN),
                     "sign_pub", b64(id.sign_pub, BP_KEY_LEN), "dh_priv", b64(id.dh_priv, BP_KEY_LEN),
                     "dh_pub", b64(id.dh_pub, BP_KEY_LEN), "eph_priv", b64(eph, BP_KEY_LEN),
                     "eph_pub", b64(eph_pub, BP_KEY_LEN), "fp", b64(fp, BP_FP_LEN));
}

/* One replay window per KID seen in one sframe_open op. */
struct win {
    uint64_t kid;
    struct bp_replay rw;
    struct bp_sframe_key k;
};

static json_t *op_sframe_open(const json_t *o)
{
    uint8_t base[BP_BASE_KEY_LEN];
    get(o, "base", base, sizeof base);
    const json_t *frames = json_object_get(o, "frames"), *f;
    if (!json_is_array(frames))
        die("frames");
    struct win wins[16];
    int nwins = 0;
    json_t *pts = json_array();
    size_t i;
    json_array_foreach(frames, i, f)
    {
        static uint8_t buf[1 << 16], pt[1 << 16];
        const char *s = json_string_value(f);
        int n = s ? bp_b64_decode(s, strlen(s), buf, sizeof buf) : -1;
        uint64_t kid, ctr, got;
        const struct bp_kind_info *kind = n >= BP_HDR_LEN ? bp_kind_info(buf[1]) : NULL;
        if (!kind || bp_sframe_hdr_decode(buf + BP_HDR_LEN, (size_t)n - BP_HDR_LEN, &kid, &ctr) < 0 ||
            bp_kid_stream(kid) != kind->stream) {
            json_array_append_new(pts, json_null());
            continue;
        }
        struct win *w = NULL;
        for (int k = 0; k < nwins; k++)
            if (wins[k].kid == kid)
                w = &wins[k];
        if (!w) {
            if (nwins == 16)
                die("too many KIDs");
            w = &wins[nwins++];
            memset(w, 0, sizeof *w);
            w->kid = kid;
            if (bp_sframe_key_derive(base, sizeof base, kid, &w->k))
                die("derive");
        }
        uint8_t meta[BP_SFRAME_META_LEN];
        bp_sframe_meta(buf, meta);
        int m = bp_replay_check(&w->rw, ctr) ? -1
                : bp_sframe_open(&w->k, meta, sizeof meta, buf + BP_HDR_LEN, (size_t)n - BP_HDR_LEN,
                                 pt, sizeof pt, &got);
        if (m < 0) {
            json_array_append_new(pts, json_null());
            continue;
        }
        bp_replay_update(&w->rw, got);
        json_array_append_new(pts, b64(pt, (size_t)m));
    }
    for (int k = 0; k < nwins; k++)
        bp_sframe_key_wipe(&wins[k].k);
    return json_pack("{s:o}", "pts", pts);
}

static json_t *op_sframe_seal(const json_t *o)
{
    uint8_t base[BP_BASE_KEY_LEN], hdr[BP_HDR_LEN], meta[BP_SFRAME_META_LEN];
    static uint8_t pt[1 << 16], out[(1 << 16) + BP_HDR_LEN + BP_SFRAME_OVERHEAD];
    get(o, "base", base, sizeof base);
    get(o, "header", hdr, sizeof hdr);
    size_t n = getv(o, "pt", pt, sizeof pt);
    const struct bp_kind_info *kind = bp_kind_info(hdr[1]);
    json_int_t gen = json_integer_value(json_object_get(o, "gen"));
    json_int_t ctr = json_integer_value(json_object_get(o, "ctr"));
    struct bp_sframe_key k;
    if (!kind || gen < 1 || bp_sframe_key_derive(base, sizeof base, bp_kid((uint64_t)gen, kind->stream), &k))
        die("sframe_seal");
    bp_sframe_meta(hdr, meta);
    memcpy(out, hdr, BP_HDR_LEN);
    int w = bp_sframe_seal(&k, (uint64_t)ctr, meta, sizeof meta, pt, n, out + BP_HDR_LEN,
                           sizeof out - BP_HDR_LEN);
    bp_sframe_key_wipe(&k);
    if (w < 0)
        return json_pack("{s:n}", "frame");
    return json_pack("{s:o}", "frame", b64(out, BP_HDR_LEN + (size_t)w));
}

/* §9.3-9.4: receipts and refusals of a session record. */
static json_t *op_record(const char *op, const json_t *o)
{
    struct bp_record r;
    struct bp_verr e;
    if (bp_record_from_json(json_object_get(o, "record"), &r, &e))
        return json_pack("{s:n,s:b,s:s}", "text", "ok", 0, "why", "record does not parse");
    if (!strcmp(op, "record_text")) {
        static char text[BP_RECORD_TEXT_MAX];
        if (bp_record_text(&r, text, sizeof text) < 0)
            die("record_text");
        return json_pack("{s:s}", "text", text);
    }
    struct bp_identity id;
    if (!strcmp(op, "record_sign") || !strcmp(op, "refusal_sign")) {
        get(o, "sign_priv", id.sign_priv, 32);
        get(o, "dh_priv", id.dh_priv, 32);
        if (bp_identity_derive_public(&id))
            die("keys");
    }
    if (!strcmp(op, "record_sign")) {
        struct bp_attestation a;
        memset(&a, 0, sizeof a);
        memcpy(a.sign_pub, id.sign_pub, 32);
        memcpy(a.dh_pub, id.dh_pub, 32);
        if (bp_fingerprint(id.sign_pub, id.dh_pub, a.signer))
            die("fp");
        a.received_audio_ms = json_integer_value(json_object_get(o, "received_audio_ms"));
        a.sas_verified = json_is_true(json_object_get(o, "sas_verified"));
        if (bp_attest_sign(&r, &a, id.sign_priv))
            return json_pack("{s:n}", "attestation");
        return json_pack("{s:o}", "attestation", bp_attest_to_json(&a));
    }
    if (!strcmp(op, "refusal_sign")) {
        struct bp_refusal f;
        memset(&f, 0, sizeof f);
        memcpy(f.sign_pub, id.sign_pub, 32);
        memcpy(f.dh_pub, id.dh_pub, 32);
        if (bp_fingerprint(id.sign_pub, id.dh_pub, f.signer))
            die("fp");
        snprintf(f.reason, sizeof f.reason, "%s", str(o, "reason"));
        if (bp_refusal_sign(&r, &f, id.sign_priv))
            return json_pack("{s:n}", "refusal");
        return json_pack("{s:o}", "refusal", bp_refusal_to_json(&f));
    }
    const char *why = NULL;
    if (!strcmp(op, "record_verify")) {
        struct bp_attestation a;
        if (bp_attest_from_json(json_object_get(o, "attestation"), &a, &e))
            return json_pack("{s:b,s:s}", "ok", 0, "why", "attestation does not parse");
        int rc = bp_attest_verify(&r, &a, &why);
        return json_pack("{s:b,s:s?}", "ok", rc == 0, "why", why);
    }
    struct bp_refusal f;
    if (bp_refusal_from_json(json_object_get(o, "refusal"), &f, &e))
        return json_pack("{s:b,s:s}", "ok", 0, "why", "refusal does not parse");
    int rc = bp_refusal_verify(&r, &f, &why);
    return json_pack("{s:b,s:s?}", "ok", rc == 0, "why", why);
}

static json_t *run(const json_t *o)
{
    const char *op = str(o, "op");
    uint8_t a[64], b[64], c[64], out[64];
    struct bp_bundle ba, bb;
    if (!strcmp(op, "keys"))
        return op_keys();
    if (!strcmp(op, "fp")) {
        get(o, "sign_pub", a, 32);
        get(o, "dh_pub", b, 32);
        if (bp_fingerprint(a, b, out))
            die("fp");
        return json_pack("{s:o}", "fp", b64(out, 32));
    }
    if (!strcmp(op, "bundle_make")) {
        struct bp_identity id;
        get(o, "sign_priv", id.sign_priv, 32);
        get(o, "dh_priv", id.dh_priv, 32);
        get(o, "eph_priv", a, 32);
        if (bp_identity_derive_public(&id) || bp_x25519_public(a, b) ||
            bp_bundle_make(&id, str(o, "bilan"), b, &ba))
            die("bundle_make");
        return json_pack("{s:o}", "bundle", bundle_json(&ba));
    }
    if (!strcmp(op, "bundle_verify")) {
        get_bundle(o, "bundle", &ba);
        return json_pack("{s:b}", "ok", bp_bundle_verify(&ba, str(o, "bilan")) == 0);
    }
    if (!strcmp(op, "commit")) {
        get_bundle(o, "bundle", &ba);
        get(o, "r", a, 32);
        if (bp_commit(&ba, a, out))
            die("commit");
        return json_pack("{s:o}", "c", b64(out, 32));
    }
    if (!strcmp(op, "transcript")) {
        get_bundle(o, "a", &ba);
        get_bundle(o, "b", &bb);
        get(o, "ra", a, 32);
        get(o, "rb", b, 32);
        if (bp_transcript(str(o, "bilan"), &ba, a, &bb, b, out))
            die("transcript");
        return json_pack("{s:o}", "t", b64(out, 32));
    }
    if (!strcmp(op, "sid")) {
        get(o, "secret", a, BP_SECRET_LEN);
        if (bp_invite_secret_id(a, str(o, "bilan"), out))
            die("sid");
        return json_pack("{s:o}", "sid", b64(out, BP_SECRET_ID_LEN));
    }
    if (!strcmp(op, "mac")) {
        get(o, "secret", a, BP_SECRET_LEN);
        get(o, "t", b, 32);
        get(o, "fp", c, 32);
        if (bp_invite_mac(a, str(o, "bilan"), b, c, out))
            die("mac");
        return json_pack("{s:o}", "mac", b64(out, BP_MAC_LEN));
    }
    if (!strcmp(op, "sas")) {
        char code[BP_SAS_LEN];
        get(o, "t", a, 32);
        if (bp_sas(a, code))
            die("sas");
        return json_pack("{s:s}", "code", code);
    }
    if (!strcmp(op, "pair_key")) {
        get(o, "eph_priv", a, 32);
        get(o, "peer_eph", b, 32);
        get(o, "t", c, 32);
        if (bp_pair_key(a, b, c, out))
            return json_pack("{s:n}", "key");
        return json_pack("{s:o}", "key", b64(out, 32));
    }
    if (!strcmp(op, "sk_seal") || !strcmp(op, "sk_open")) {
        uint8_t sealed[BP_SEALED_KEY_LEN], base[BP_BASE_KEY_LEN];
        get(o, "key", a, 32);
        get(o, "from", b, 32);
        get(o, "to", c, 32);
        json_int_t gen = json_integer_value(json_object_get(o, "gen"));
        if (!strcmp(op, "sk_seal")) {
            get(o, "base", base, sizeof base);
            if (bp_senderkey_seal(a, str(o, "bilan"), b, c, (uint64_t)gen, base, sealed))
                die("sk_seal");
            return json_pack("{s:o}", "sealed", b64(sealed, sizeof sealed));
        }
        get(o, "sealed", sealed, sizeof sealed);
        if (bp_senderkey_open(a, str(o, "bilan"), b, c, (uint64_t)gen, sealed, base))
            return json_pack("{s:n}", "base");
        return json_pack("{s:o}", "base", b64(base, sizeof base));
    }
    if (!strcmp(op, "sframe_seal"))
        return op_sframe_seal(o);
    if (!strcmp(op, "sframe_open"))
        return op_sframe_open(o);
    if (!strncmp(op, "record_", 7) || !strncmp(op, "refusal_", 8))
        return op_record(op, o);
    if (!strcmp(op, "parse")) {
        struct bp_e2e_msg m;
        int rc = bp_e2e_parse(json_object_get(o, "body"), &m, NULL);
        static const char *const names[] = {"", "commit", "reveal", "confirm", "sas", "key", "abort"};
        return json_pack("{s:b,s:s}", "ok", rc == 0, "t", rc ? "" : names[m.kind]);
    }
    die(op);
    return NULL;
}

int main(void)
{
    json_error_t err;
    json_t *in = json_loadf(stdin, 0, &err);
    const json_t *ops = in ? json_object_get(in, "ops") : NULL;
    if (!json_is_array(ops))
        die("input: {\"ops\": [...]}");
    json_t *results = json_array(), *op;
    size_t i;
    json_array_foreach(ops, i, op) json_array_append_new(results, run(op));
    json_t *out = json_pack("{s:o}", "results", results);
    json_dumpf(out, stdout, JSON_COMPACT);
    putchar('\n');
    json_decref(out);
    json_decref(in);
    return 0;
}
