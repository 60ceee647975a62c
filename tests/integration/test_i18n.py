#!/usr/bin/env python3
"""test_i18n.py: French first, English when the locale asks (client/i18n.h).

catalogue: every sentence wrapped in _() or N_() in the client's sources
  (client/*.c, client/media/*.c, client/ui/*.c, client/doc/*.c, extracted by xgettext as
  scripts/po-update.sh does) has a translation in po/en.po, not empty, not
  fuzzy, and msgfmt --check (printf formats of msgid and msgstr agree) passes.
french: `bilan --help`, every `bilan COMMAND --help` and a set of typical
  mistakes (unknown command or option, missing argument, unreadable file, bad
  link, bad duration, no bilan, nothing enrolled...) run with LANG=fr_FR.UTF-8
  and with LANG unset: no English sentence in what they print (a list of
  English function words, matched as whole words); and with LANG=en_US.UTF-8
  the same outputs are English (no French accented letter, no French function
  word, and English function words present where there are sentences).

network: the errors of a connection, against a real server (bilan-server --dev)
  and a fake one: no server on the port, a link whose pin is not the server's
  certificate, a TLS handshake with something that is not TLS, an HTTPS server
  that is not Bilan, an enrolment
  link and an invite link the server does not know, a join of a bilan the
  server does not have: the same three languages,
  and each output must say what happened (a phrase of the expected sentence,
  in French and in English), so that another error cannot pass for it.

A few outputs may come from files another engineer converts (PENDING below):
they are run and reported, and do not fail the test while listed there. When
one speaks French, the test says so: remove it from PENDING.

Run: test_i18n.py catalogue|french|network (BILAN_CLIENT = the bilan binary,
BILAN_SERVER = bilan-server for network).
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import CLIENT_BIN, Server, TestFailure, TestSkipped, check, run_tests  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PO = os.environ.get("BILAN_EN_PO", os.path.join(ROOT, "po", "en.po"))

# English words that carry a sentence and are not French words too (so not
# "a", "on", "an", "as", "son", "plus", "date", "message", "format"...). Whole
# words only; option names, key=value words and quoted input are removed first.
ENGLISH = ("the and of to is are was were with for not this that these your you cannot can't "
           "from has have had be been which will must should could would into than then there "
           "their its it in at by or no yes please does did what when where how only also any "
           "all use used run see give needs unknown missing".split())
# French words that are not English words.
FRENCH = ("le la les des du une est pour avec vous votre dans pas sur cet cette qui que aux au "
          "ou et ne un de voir n'est d'un d'une l'".split())
ACCENTS = re.compile(r"[àâäçéèêëîïôöùûüÿœÀÂÇÉÈÊËÎÏÔÙÛÜŒ«»]")

# Outputs owned by another engineer, not converted yet: none left.
PENDING = {}


def po_entries(path):
    """[(msgid, msgstr, fuzzy)] of a PO file, header excluded; obsolete (#~) skipped."""
    out, cur, field, fuzzy = [], None, None, False

    def unq(s):
        return bytes(s[1:-1], "utf-8").decode("unicode_escape").encode("latin-1").decode("utf-8")

    def flush():
        if cur is not None and cur["msgid"] != "":
            out.append((cur["msgid"], cur["msgstr"], cur["fuzzy"]))

    for line in open(path, encoding="utf-8"):
        line = line.rstrip("\n")
        if line.startswith("#~"):
            continue
        if not line.strip():
            flush()
            cur, field, fuzzy = None, None, False
            continue
        if line.startswith("#,"):
            fuzzy = fuzzy or "fuzzy" in line
            continue
        if line.startswith("#"):
            continue
        m = re.match(r'^(msgid|msgstr|msgctxt|msgid_plural|msgstr\[\d+\])\s+(".*")$', line)
        if m:
            if cur is None:
                cur = {"msgid": "", "msgstr": "", "fuzzy": fuzzy}
            field = m.group(1)
            cur[field] = unq(m.group(2))
        elif line.startswith('"') and cur is not None:
            cur[field] += unq(line)
    flush()
    return out


def t_catalogue():
    for tool in ("xgettext", "msgfmt"):
        if not shutil.which(tool):
            raise TestSkipped(f"{tool} is not installed (gettext)")
    tmp = tempfile.mkdtemp(prefix="bilan-i18n-")
    try:
        files = []
        for d in ("client", "client/media", "client/ui", "client/doc"):
            full = os.path.join(ROOT, d)
            if os.path.isdir(full):
                files += sorted(os.path.join(d, f) for f in os.listdir(full) if f.endswith(".c"))
        pot = os.path.join(tmp, "now.pot")
        r = subprocess.run(["xgettext", "--language=C", "--from-code=UTF-8", "--keyword=_",
                            "--keyword=N_", "--no-wrap", "-o", pot] + files,
                           cwd=ROOT, capture_output=True, text=True)
        check(r.returncode == 0 and os.path.exists(pot), f"xgettext extracts the sentences ({r.stderr.strip()})")
        wanted = [m for m, _s, _f in po_entries(pot)]
        check(len(wanted) >= 100, f"the client's sources wrap {len(wanted)} sentences (at least 100)")
        have = {m: (s, f) for m, s, f in po_entries(PO)}
        missing = [m for m in wanted if m not in have]
        empty = [m for m in wanted if m in have and not have[m][0].strip()]
        fuzzy = [m for m in wanted if m in have and have[m][1]]
        for name, bad in (("missing from", missing), ("untranslated in", empty), ("fuzzy in", fuzzy)):
            if bad:
                raise TestFailure(f"{len(bad)} sentence(s) {name} po/en.po (run scripts/po-update.sh "
                                  f"and translate):\n" + "\n".join(repr(m) for m in bad[:20]))
        check(True, f"all {len(wanted)} sentences have a checked English translation")
        # A translation that is the French itself is not one, unless the word is the same in
        # both languages (phase, interruptions, h:mm...): no accented letter left over.
        same = [m for m in wanted if have[m][0] == m and ACCENTS.search(m)]
        check(not same, f"no French sentence copied as its own translation: {same[:5]}")
        # proto_words.c matches proto/'s reasons word for word: a reason reworded in proto/
        # would silently fall back to English.
        def literals(path):
            text = open(os.path.join(ROOT, path), encoding="utf-8").read()
            return re.sub(r'"\s*"', "", text)
        pw = literals("client/proto_words.c")
        protos = "".join(literals(os.path.join("proto", f)) for f in sorted(os.listdir(os.path.join(ROOT, "proto")))
                         if f.endswith(".c"))
        reasons = re.findall(r'\{"((?:[^"\\]|\\.)*)",\s*N_', pw)
        stale = [r for r in reasons if f'"{r}"' not in protos]
        check(len(reasons) >= 30 and not stale,
              f"client/proto_words.c names {len(reasons)} reasons of proto/*.c, all current ({stale})")
        # Every error code of proto/err.c (what the server refuses with) has its sentence:
        # a code added there without one would reach people as "unknown error".
        errs = re.findall(r"\{(BP_E_\w+),\s*\"", literals("proto/err.c"))
        worded = set(re.findall(r"\{(BP_E_\w+),\s*N_\(", pw))
        check(len(errs) >= 20 and not [e for e in errs if e not in worded],
              f"client/proto_words.c words all {len(errs)} error codes of proto/err.c "
              f"({[e for e in errs if e not in worded]})")
        r = subprocess.run(["msgfmt", "--check", "--check-format", "-o", os.devnull, PO],
                           capture_output=True, text=True)
        check(r.returncode == 0, f"msgfmt --check-format po/en.po: printf formats agree ({r.stderr.strip()[:800]})")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def words(text):
    """The words of text that are sentence words: options (--x), key=value words,
    `commands`, quoted input and paths are removed."""
    text = re.sub(r"`[^`]*`", " ", text)
    text = re.sub(r"«[^»]*»|'[^' ]*'|\"[^\"]*\"", " ", text)
    text = re.sub(r"(?<!\w)--?[\w-]+", " ", text)
    text = re.sub(r"\S+=\S*", " ", text)
    text = re.sub(r"\S*/\S*", " ", text)
    return re.findall(r"[\w'’]+", text.lower())


def english_words(text):
    return sorted({w for w in words(text) if w in ENGLISH})


def french_words(text):
    return sorted({w for w in words(text) if w in FRENCH or w.split("'")[0] + "'" in FRENCH})


def cases(tmp):
    """(name, argv, is_help) of what a person reads."""
    data = ["--data", os.path.join(tmp, "data")]
    bad_json = os.path.join(tmp, "broken.json")
    with open(bad_json, "w") as f:
        f.write('{"receipt": 1, ')
    not_receipt = os.path.join(tmp, "not-receipt.json")
    with open(not_receipt, "w") as f:
        f.write('{"a": 1}')
    half_receipt = os.path.join(tmp, "half-receipt.json")
    with open(half_receipt, "w") as f:
        f.write('{"receipt": 1, "record": {"session": "S"}, "signatures": []}')
    token = "A" * 43
    # A port nothing listens on: bind, read the port, close.
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    helps = [
        ("--help", ["--help"]), ("help", ["help"]), ("identity --help", ["identity", "--help"]),
        ("enrol --help", ["enrol", "--help"]), ("bilan --help", ["bilan", "--help"]),
        ("join --help", ["join", "--help"]), ("hours --help", ["hours", "--help"]),
        ("hours declare --help", ["hours", "declare", "--help"]),
        ("receipt --help", ["receipt", "--help"]), ("receipt verify --help", ["receipt", "verify", "--help"]),
    ]
    errors = [
        ("unknown command", ["bidule"]),
        ("unknown option", ["--bidule"]),
        ("option missing its value", ["hours", "--format"]),
        ("enrol without its link", ["enrol"]),
        ("bilan without a command", ["bilan"]),
        ("unknown bilan command", ["bilan", "bidule"]),
        ("bilan invite without its id", ["bilan", "invite"]),
        ("bilan create without a label", ["bilan", "create"]),
        ("bad bilan id", data + ["hours", "x!y"]),
        ("budget out of range", ["bilan", "create", "--label", "L", "--budget", "30m"]),
        ("bad duration unit", ["hours", "declare", "3x"]),
        ("declare out of range", ["hours", "declare", "30s"]),
        ("declare without a duration", ["hours", "declare"]),
        ("bad report format", ["hours", "--format", "xml"]),
        ("receipt without verify", ["receipt"]),
        ("receipt verify without a file", ["receipt", "verify"]),
        ("unreadable file", ["receipt", "verify", os.path.join(tmp, "absent", "x.json")]),
        ("not JSON", ["receipt", "verify", bad_json]),
        ("JSON, not a receipt", ["receipt", "verify", not_receipt]),
        ("a receipt missing a field", ["receipt", "verify", half_receipt]),
        ("bad link", data + ["enrol", "http://exemple"]),
        ("invite link given to enrol", data + ["enrol", f"https://127.0.0.1:{port}/j/{token}#{token}"]),
        ("bad port", data + ["enrol", "--server", "127.0.0.1:99999", token]),
        ("nothing enrolled", data + ["bilan", "list"]),
        ("no bilan known", data + ["hours"]),
        ("identity show takes nothing more", data + ["identity", "show", "x"]),
        ("identity show", data + ["identity", "show"]),
        ("enrol: no server on the port", data + ["enrol", f"https://127.0.0.1:{port}/e/{token}#{token}"]),
        ("join: no server on the port", data + ["join", f"https://127.0.0.1:{port}/j/{token}#{token}"]),
        ("join: an enrolment link", data + ["join", f"https://127.0.0.1:{port}/e/{token}#{token}"]),
        ("join: a broken invite link", data + ["join", f"https://127.0.0.1:{port}/j/{token}"]),
        ("join: neither a link nor a bilan id", data + ["join", "x!y"]),
    ]
    return [(n, a, True) for n, a in helps] + [(n, a, False) for n, a in errors]


def run(argv, lang):
    env = {k: v for k, v in os.environ.items()
           if k not in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG", "BILAN_HOME")}
    if lang is not None:
        env["LANG"] = lang
    env["HOME"] = env.get("HOME") or "/nonexistent"
    r = subprocess.run([CLIENT_BIN] + argv, env=env, capture_output=True, text=True, timeout=60)
    return r.returncode, r.stdout + r.stderr


def judge(cases_, n_label="outputs"):
    """Runs each (name, argv, is_help[, fr_phrase, en_phrase]) in French (LANG=fr_FR.UTF-8
    and unset) and in English; fails with every output that speaks the wrong language
    (or lacks its phrase)."""
    failures, pending_seen = [], []
    n = 0
    for case in cases_:
        name, argv, is_help = case[:3]
        fr_phrase, en_phrase = (case[3], case[4]) if len(case) > 3 else (None, None)
        outs = {}
        for lang in ("fr_FR.UTF-8", None, "en_US.UTF-8"):
            rc, out = run(argv, lang)
            outs[lang] = out
            if not out.strip():
                failures.append(f"{name} [{lang}]: printed nothing (exit {rc})")
        problems = []
        for lang in ("fr_FR.UTF-8", None):
            en = english_words(outs[lang])
            if en:
                problems.append(f"LANG={lang or '(unset)'}: English words {en} in:\n{outs[lang]}")
            if not french_words(outs[lang]) and not ACCENTS.search(outs[lang]):
                problems.append(f"LANG={lang or '(unset)'}: no French sentence in:\n{outs[lang]}")
            if fr_phrase and fr_phrase not in outs[lang]:
                problems.append(f"LANG={lang or '(unset)'}: not the expected error ({fr_phrase!r}):\n{outs[lang]}")
        en_out = outs["en_US.UTF-8"]
        if ACCENTS.search(en_out) or french_words(en_out):
            problems.append(f"LANG=en_US.UTF-8: French ({french_words(en_out)}) in:\n{en_out}")
        if is_help and len(english_words(en_out)) < 3:
            problems.append(f"LANG=en_US.UTF-8: the help is not English:\n{en_out}")
        if en_phrase and en_phrase not in en_out:
            problems.append(f"LANG=en_US.UTF-8: not the expected error ({en_phrase!r}):\n{en_out}")
        n += 1
        if name in PENDING:
            pending_seen.append(name)
            print(f"  pending ({PENDING[name]}): {name}: "
                  + ("still has English" if problems else "now French: remove it from PENDING"))
            continue
        if problems:
            failures.append(f"{name} ({' '.join(argv)}):\n  " + "\n  ".join(problems))
        else:
            check(True, f"{name}: French, and English with LANG=en_US.UTF-8")
    if failures:
        raise TestFailure(f"{len(failures)} of {n} {n_label}:\n" + "\n".join(failures))
    return n, pending_seen


def t_french():
    tmp = tempfile.mkdtemp(prefix="bilan-i18n-")
    try:
        n, pending_seen = judge(cases(tmp))
        check(sorted(pending_seen) == sorted(k for k in PENDING if not k.startswith("network:")),
              "every PENDING case is still run")
        check(True, f"{n - len(pending_seen)} outputs French by default and English on demand")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def fake_server(tls=None):
    """A port that is not a Bilan server: (port, stop). Without tls it answers TLS
    with plain HTTP; with tls (an ssl.SSLContext) it speaks HTTPS and answers 404."""
    import socket
    import threading
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(8)
    ls.settimeout(0.2)
    done = threading.Event()

    def serve():
        while not done.is_set():
            try:
                c, _a = ls.accept()
            except OSError:
                continue
            try:
                c.settimeout(5)
                if tls:
                    c = tls.wrap_socket(c, server_side=True)
                c.recv(4096)
                status = b"404 Not Found" if tls else b"400 Bad Request"
                c.sendall(b"HTTP/1.1 " + status + b"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            except OSError:
                pass
            c.close()
        ls.close()

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    return ls.getsockname()[1], lambda: (done.set(), t.join(5))


def t_network():
    if not shutil.which(os.environ.get("BILAN_SERVER", "bilan-server")) and \
            not os.path.exists(os.environ.get("BILAN_SERVER", "")):
        raise TestSkipped("no bilan-server (BILAN_SERVER)")
    tmp = tempfile.mkdtemp(prefix="bilan-i18n-net-")
    server, stop_fake, stop_https = None, None, None
    try:
        server = Server(tmp)
        port, pin = server.port, server.pin
        data = ["--data", os.path.join(tmp, "client")]
        other = "A" * 43 if pin != "A" * 43 else "B" * 43  # a pin that is not the server's
        token = "Q" * 43                                      # a token the server never made
        import ssl
        fake_port, stop_fake = fake_server()
        # An HTTPS server with the dev server's own certificate (so the pin matches).
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(os.path.join(server.data, "cert.pem"), os.path.join(server.data, "key.pem"))
        https_port, stop_https = fake_server(tls)
        real = server.enrol_link
        check(real and real.endswith("#" + pin), f"the server printed its enrolment link ({real})")
        base = f"https://127.0.0.1:{port}"
        n, _p = judge([
            ("network: a pin that is not the server's certificate",
             data + ["enrol", real.rsplit("#", 1)[0] + "#" + other], False,
             "le certificat du serveur a changé", "the server certificate has changed"),
            ("network: not a TLS server on the port",
             data + ["enrol", f"https://127.0.0.1:{fake_port}/e/{token}#{pin}"], False,
             "la connexion sécurisée avec le serveur a échoué", "the secure connection to the server failed"),
            ("network: an HTTPS server that is not Bilan",
             data + ["enrol", f"https://127.0.0.1:{https_port}/e/{token}#{pin}"], False,
             "ce n'est pas un serveur Bilan", "it is not a Bilan server"),
            ("network: an enrolment link the server does not know",
             data + ["enrol", f"{base}/e/{token}#{pin}"], False,
             "ce lien n'est pas reconnu par le serveur", "the server does not recognise this link"),
            ("network: an invite link the server does not know",
             data + ["join", "--headless", f"{base}/j/{token}#{token}.{pin}"], False,
             "n'est pas reconnu", "not recognised"),
        ], "connection errors")
        # The real link, once: this device is a consultant of that server now. A join of
        # a bilan the server does not have is refused by the server (not by the link).
        r = subprocess.run([CLIENT_BIN] + data + ["enrol", real], capture_output=True, text=True,
                           timeout=60)
        check(r.returncode == 0, f"the real enrolment link works after all that ({r.stderr.strip()})")
        m, _p = judge([
            ("network: a bilan the server does not have",
             data + ["join", "--headless", "inconnu-42"], False,
             "le serveur a refusé", "the server refused"),
        ], "refusals")
        check(True, f"{n + m} connection errors French by default and English on demand")
        check(server.alive(), "the server is still up")
    finally:
        for stop in (stop_fake, stop_https):
            if stop:
                stop()
        if server:
            server.stop()
        shutil.rmtree(tmp, ignore_errors=True)


TESTS = {"catalogue": t_catalogue, "french": t_french, "network": t_network}

if __name__ == "__main__":
    run_tests(TESTS)
