#!/usr/bin/env python3
"""test_sheet_cli.py: `bilan sheet ...` offline, on real data folders (a real
client.db; no server: everything here works without a network).

A data folder gets its identity from `bilan identity show`, then a server and
a bilan row as `bilan join` would leave them (written with sqlite3: the
enrolment itself is tested elsewhere). Two devices exchange their operations
through tests/unit/client/sheet_relay_tool (BILAN_RELAY), a stand-in for the
server's ordered store (the sealed sync is `bilan sheet sync`).

edit      new prints the id; set for every kind (text on two lines, a choice by
          the start of its label, several choices, a scale, a list with " | ",
          a date jj/mm/aaaa), then show: sections, field ids, values as people
          read them (the choice's label, « 4 sur 5 », 09/03/2026, bullets);
          list: the id, the label, what is waiting to be sent; a unique prefix
          names the sheet; the edits are pending operations in client.db.
errors    exit 1 with a French sentence: an unknown sheet, an unknown field
          (named, with the valid ones listed), a value of the wrong kind (named
          field, what it takes), out of range, a bad date, a field of the
          other role, an unknown template (the templates listed), --keep
          without a conflict, a data folder that knows no bilan; nothing is
          stored by a refused edit; --help for each subcommand.
edit_text `bilan sheet edit` with a scripted $EDITOR (sheet_editor.py): a bad
          value reopens the editor on the person's text with the error at the top,
          the fix is saved, no temporary file is left; closing without a change
          saves nothing; a missing editor is said; a conflict is shown with both
          versions and resolved by the text written; the other role's fields
          are not editable.
conflicts two devices edit the same field and different ones offline; after the
          relay both list the same two versions (`conflicts`, `show`
          [CONFLIT]); `resolve --keep 2` on one, relayed: no conflict left on
          either, the kept value shown, the other version still in client.db.
export    Markdown on the standard output and to a file; PDF read back with
          pdftotext (title, section, values, the choice's label, « 4 sur 5 »),
          0600, large print; an unknown format and a missing folder say so.
Run: test_sheet_cli.py [SCENARIO...]; exit 77 for export when pdftotext is missing.
"""
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time

BILAN = os.environ.get("BILAN_CLIENT", "")
RELAY = os.environ.get("BILAN_RELAY", "")


from tmp_tests import Fail, Skip, check, run_in_tmp  # noqa: F401 (Fail, Skip raised by scenarios)


def sanitizer_env():
    """Under AddressSanitizer (-DBILAN_SANITIZE=ON) the PDF export meets
    fontconfig's leak of its configuration: suppressed as test_sheet_pdf.py
    does (lsan_fontconfig.supp, full stacks)."""
    env = dict(os.environ, LANG="fr_FR.UTF-8", LANGUAGE="", LC_ALL="")
    supp = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lsan_fontconfig.supp")
    env["ASAN_OPTIONS"] = ":".join(filter(None, [env.get("ASAN_OPTIONS"), "fast_unwind_on_malloc=0"]))
    env["LSAN_OPTIONS"] = ":".join(filter(None, [env.get("LSAN_OPTIONS"), f"suppressions={supp}"]))
    return env


def run(data, *args, cwd=None, env=None):
    """bilan on data; an edit is made --offline (these devices have no server:
    the sending is integration.worksheets' part)."""
    if len(args) >= 2 and args[0] == "sheet" and args[1] in ("new", "set", "resolve", "delete", "edit") \
            and "--help" not in args:
        args = args + ("--offline",)
    e = sanitizer_env()
    e.update(env or {})
    return subprocess.run([BILAN, "--data", data, *args], capture_output=True, text=True,
                          timeout=60, env=e, cwd=cwd)


def device(tmp, name, role, bilan="b1"):
    """A data folder with an identity, a server and a bilan, as join leaves them."""
    data = os.path.join(tmp, name)
    r = run(data, "identity", "show")
    if r.returncode != 0:
        raise Fail(f"identity show: {r.stderr}")
    db = sqlite3.connect(os.path.join(data, "client.db"))
    db.execute("INSERT INTO servers (host, port, role, enrolled_at) VALUES ('localhost', 8443, ?, ?)",
               (role, int(time.time())))
    if bilan:
        db.execute("INSERT INTO bilans (server_id, bilan, label, role) VALUES (1, ?, 'Dossier 12', ?)",
                   (bilan, role))
    db.commit()
    db.close()
    return data


def rows(data, sql):
    db = sqlite3.connect(os.path.join(data, "client.db"))
    try:
        return db.execute(sql).fetchall()
    finally:
        db.close()


def relay(tmp, verb, data):
    r = subprocess.run([RELAY, verb, data, "b1", os.path.join(tmp, "log")], capture_output=True,
                       text=True, timeout=60)
    if r.returncode != 0:
        raise Fail(f"relay {verb} {data}: {r.stdout} {r.stderr}")


def new_sheet(data, template="analyse_demande"):
    r = run(data, "sheet", "new", template)
    check(r.returncode == 0 and re.fullmatch(r"[A-Za-z0-9_-]{22}\n", r.stdout),
          f"sheet new prints the id alone ({r.stdout!r})")
    check("enregistré sur cet appareil" in r.stderr.lower(), "… and says it is saved here, sent at the next sync")
    return r.stdout.strip()


def fill(data, sid):
    for field, value in [("demande_mots", "Je veux changer de métier.\nEt vite."),
                         ("rapport_projet", "Des idées"),
                         ("preoccupations", "orientation, creation"),
                         ("urgence", "4"),
                         ("pistes", "boulangerie | fleuriste"),
                         ("contraintes", "Mercredis pris")]:
        r = run(data, "sheet", "set", sid[:6], field, value)
        check(r.returncode == 0 and "Enregistré sur cet appareil." in r.stdout and "prochaine synchronisation" in r.stdout,
              f"set {field} (by a prefix of the id) is saved on this device ({r.stderr.strip()})")


def t_edit(tmp):
    data = device(tmp, "a", "consultant")
    r = run(data, "sheet", "list")
    check(r.returncode == 0 and "Aucune fiche" in r.stdout, "an empty bilan says so")
    sid = new_sheet(data)
    fill(data, sid)
    plan = new_sheet(data, "plan_action")
    r = run(data, "sheet", "set", plan, "echeance", "09/03/2026")
    check(r.returncode == 0, f"a date as jj/mm/aaaa ({r.stderr.strip()})")
    r = run(data, "sheet", "show", sid)
    out = r.stdout
    check(r.returncode == 0 and out.startswith("Grille d'analyse de la demande\n"), "show: the title first")
    check("== Situation de la personne ==" in out, "… the sections")
    check("[demande_mots]" in out and "  Je veux changer de métier.\n  Et vite.\n" in out,
          "… a text on its two lines, under its field id")
    check("Des idées, pas encore explorées" in out and "idees_non_explorees" not in out,
          "… a choice by its label (typed as the start of it), never its id")
    check("  - Orientation" in out and "  - Création ou reprise d'activité" in out, "… several choices as bullets")
    check("4 sur 5" in out, "… a scale as « 4 sur 5 »")
    check("  - boulangerie\n  - fleuriste\n" in out, "… a list split on ' | '")
    check("(non renseigné)" in out, "… an empty field")
    check("Modifications pas encore envoyées : 7" in out, "… what waits to be sent")
    r = run(data, "sheet", "show", plan)
    check("09/03/2026" in r.stdout, "a date shown as dd/mm/yyyy")
    r = run(data, "sheet", "list")
    line = [l for l in r.stdout.splitlines() if l.startswith(sid)]
    check(len(line) == 1 and "« Je veux changer de métier. »" in line[0] and "à envoyer : 7" in line[0],
          f"list: the id, the first text's line, the pending count ({r.stdout!r})")
    check(len(r.stdout.splitlines()) == 2, "list: both sheets")
    pend = rows(data, "SELECT count(*) FROM ws_ops WHERE seq IS NULL")[0][0]
    check(pend == 9, f"client.db holds the 9 operations, pending ({pend})")
    r = run(data, "sheet", "set", sid, "demande_mots", "")
    r = run(data, "sheet", "show", sid)
    check(r.stdout.count("(non renseigné)") >= 1 and "Je veux changer" not in r.stdout,
          "an empty VALUE empties the field")
    r = run(data, "sheet", "delete", plan)
    r2 = run(data, "sheet", "list")
    check(r.returncode == 0 and plan not in r2.stdout, "a deleted sheet leaves the list")
    check(plan in run(data, "sheet", "list", "--all").stdout, "… and list --all shows it")


def t_errors(tmp):
    data = device(tmp, "a", "consultant")
    sid = new_sheet(data)
    before = rows(data, "SELECT count(*) FROM ws_ops")[0][0]

    def refused(args, words, what):
        r = run(data, "sheet", *args)
        check(r.returncode == 1 and r.stderr.startswith("bilan : ") and all(w in r.stderr for w in words),
              f"{what}: exit 1, said in French ({r.stderr.strip()[:160]})")

    refused(["show", "zzzzzz"], ["aucune fiche « zzzzzz »", "bilan sheet list"], "an unknown sheet")
    refused(["show", "ab"], ["au moins 4 caractères"], "a prefix too short")
    refused(["set", sid, "champ_faux", "x"],
            ["le champ « champ_faux » n'existe pas", "demande_mots", "urgence", "pistes"],
            "an unknown field, the valid ones listed")
    refused(["set", sid, "urgence", "beaucoup"], ["« urgence »", "nombre entier de 1 à 5"], "a scale given words")
    refused(["set", sid, "urgence", "9"], ["« urgence »", "1 à 5"], "a scale out of range")
    refused(["set", sid, "rapport_projet", "peut-être"], ["« rapport_projet »", "aucune_idee"],
            "a choice that is not one, the choices listed")
    plan = new_sheet(data, "plan_action")
    before += 1
    refused(["set", plan, "echeance", "31/02/2026"], ["« echeance »"], "a date that does not exist")
    refused(["set", plan, "echeance", "demain"], ["jj/mm/aaaa"], "a date in words")
    refused(["new", "nope"], ["le modèle « nope » n'existe pas", "synthese", "recit"], "an unknown template")
    refused(["resolve", sid, "demande_mots", "--keep", "1"], ["qu'une version"], "--keep without a conflict")
    refused(["resolve", sid, "demande_mots"], ["--keep N", "--value"], "resolve without --keep or --value")
    refused(["frobnicate"], ["n'est pas une commande de bilan sheet"], "an unknown subcommand")
    refused(["show", sid, "--bilan", "b9"], ["ne connaît pas le bilan « b9 »"], "an unknown bilan")
    after = rows(data, "SELECT count(*) FROM ws_ops")[0][0]
    check(after == before, f"nothing was stored by a refused edit ({before} then {after})")
    benef = device(tmp, "b", "beneficiary")
    sid_b = new_sheet(benef)
    r = run(benef, "sheet", "set", sid_b, "urgence", "2")
    check(r.returncode == 1 and "ne peut être rempli que par le consultant" in r.stderr,
          f"a field of the other role is refused ({r.stderr.strip()})")
    r = run(benef, "sheet", "show", sid_b)
    check("Urgence, criticité [urgence] (rempli par le consultant)" in r.stdout,
          "show says which fields the other role fills")
    empty = device(tmp, "c", "consultant", bilan=None)
    r = run(empty, "sheet", "list")
    check(r.returncode == 1 and "ne connaît aucun bilan" in r.stderr, "a data folder without a bilan says so")
    for sub in ("templates", "list", "new", "show", "set", "edit", "conflicts", "resolve", "export", "delete"):
        r = run(data, "sheet", sub, "--help")
        check(r.returncode == 0 and r.stdout.startswith(f"Utilisation : bilan sheet {sub}"),
              f"bilan sheet {sub} --help")
    r = run(data, "sheet", "--help")
    check(r.returncode == 0 and "resolve ID CHAMP" in r.stdout, "bilan sheet --help lists the subcommands")
    r = run(data, "sheet", "templates")
    check(r.returncode == 0 and re.search(r"^synthese +Document de synthèse", r.stdout, re.M),
          "templates: id and title")


def t_conflicts(tmp):
    a = device(tmp, "a", "consultant")
    b = device(tmp, "b", "beneficiary")
    sid = new_sheet(a)
    run(a, "sheet", "set", sid, "demande_mots", "premier jet")
    relay(tmp, "push", a)
    relay(tmp, "pull", b)
    check("premier jet" in run(b, "sheet", "show", sid).stdout, "the other device has the sheet")
    # Offline on both: the same field, and different ones.
    check(run(a, "sheet", "set", sid, "demande_mots", "version A").returncode == 0, "A edits the words")
    check(run(a, "sheet", "set", sid, "urgence", "4").returncode == 0, "A sets the urgency")
    check(run(b, "sheet", "set", sid, "demande_mots", "version B").returncode == 0, "B edits the same words")
    check(run(b, "sheet", "set", sid, "pistes", "menuiserie").returncode == 0, "B sets the leads")
    relay(tmp, "push", a)
    relay(tmp, "push", b)
    relay(tmp, "pull", a)
    relay(tmp, "pull", b)
    outs = []
    for d in (a, b):
        r = run(d, "sheet", "conflicts")
        check(r.returncode == 0 and "[demande_mots] : 2 versions" in r.stdout and "version A" in r.stdout
              and "version B" in r.stdout, f"conflicts lists both versions ({r.stdout!r})")
        outs.append(re.sub(r", cet appareil", "", r.stdout))
        s = run(d, "sheet", "show", sid).stdout
        check("[CONFLIT : 2 versions]" in s, "show marks the field")
        check("4 sur 5" in s and "  - menuiserie" in s, "the different fields are both kept")
    check(outs[0] == outs[1], "both devices show the same versions in the same order")
    order = re.findall(r"^ +version (\d) \((\w+)", outs[0], re.M)
    keep = [n for n, who in order if who == "bénéficiaire"][0]
    r = run(a, "sheet", "resolve", sid[:8], "demande_mots", "--keep", keep)
    check(r.returncode == 0 and "résolu" in r.stdout, f"resolve --keep {keep} (B's version) on A")
    relay(tmp, "push", a)
    relay(tmp, "pull", b)
    for d in (a, b):
        r = run(d, "sheet", "conflicts", sid)
        check(r.returncode == 0 and "Aucun conflit" in r.stdout, "no conflict left")
        s = run(d, "sheet", "show", sid).stdout
        check("  version B\n" in s and "version A" not in s, "the kept version is the value")
        kept = [j for (j,) in rows(d, "SELECT json FROM ws_ops") if "version A" in j]
        check(len(kept) == 1, "the other version is still in client.db (nothing lost)")


def t_export(tmp):
    data = device(tmp, "a", "consultant")
    sid = new_sheet(data)
    fill(data, sid)
    r = run(data, "sheet", "export", sid, "--format", "md")
    check(r.returncode == 0 and r.stdout.startswith("# Grille d'analyse de la demande")
          and "## Situation de la personne" in r.stdout and "4 sur 5" in r.stdout,
          "Markdown on the standard output")
    md = os.path.join(tmp, "fiche.md")
    r = run(data, "sheet", "export", sid, "--format", "md", "-o", md)
    check(r.returncode == 0 and os.path.exists(md) and os.stat(md).st_mode & 0o077 == 0,
          "Markdown to a file, readable by its owner only")
    r = run(data, "sheet", "export", sid, "--format", "odt")
    check(r.returncode == 1 and "format « odt » inconnu" in r.stderr, "an unknown format is refused")
    bad = os.path.join(tmp, "nowhere", "x.pdf")
    r = run(data, "sheet", "export", sid, "--format", "pdf", "-o", bad)
    check(r.returncode == 1 and r.stderr.startswith("bilan : ") and not os.path.exists(bad),
          f"a missing folder is said, no file ({r.stderr.strip()})")
    if not shutil.which("pdftotext"):
        raise Skip("pdftotext missing (Debian: poppler-utils)")
    for large in (False, True):
        pdf = os.path.join(tmp, f"fiche{int(large)}.pdf")
        r = run(data, "sheet", "export", sid, "--format", "pdf", "-o", pdf, *(["--large-print"] if large else []))
        check(r.returncode == 0 and os.stat(pdf).st_mode & 0o077 == 0, f"PDF written, 0600 (large print: {large})")
        text = subprocess.run(["pdftotext", "-layout", pdf, "-"], capture_output=True, text=True).stdout
        flat = re.sub(r"\s+", " ", text)
        for want in ("Grille d'analyse de la demande", "Situation de la personne", "Je veux changer de métier.",
                     "Des idées, pas encore explorées", "4 sur 5", "boulangerie", "Dossier 12", "Exporté le"):
            check(want in flat, f"the PDF shows « {want} »")
    cwd = os.path.join(tmp, "here")
    os.mkdir(cwd)
    r = run(data, "sheet", "export", sid, "--format", "pdf", cwd=cwd)
    check(r.returncode == 0 and os.listdir(cwd) == [f"analyse_demande-{sid[:8]}.pdf"],
          f"without -o the PDF lands in the current folder ({os.listdir(cwd)})")


EDITOR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sheet_editor.py")


def t_edit_text(tmp):
    a = device(tmp, "a", "consultant")
    b = device(tmp, "b", "beneficiary")
    sid = new_sheet(a)
    tmpdir = os.path.join(tmp, "t")
    os.mkdir(tmpdir)
    log, count = os.path.join(tmp, "seen"), os.path.join(tmp, "count")
    ed = {"EDITOR": f"{sys.executable} {EDITOR}", "VISUAL": "", "TMPDIR": tmpdir, "ED_LOG": log,
          "ED_COUNT": count, "ED_FIELD": "urgence", "ED_FIRST": "beaucoup", "ED_VALUE": "3"}
    r = run(a, "sheet", "edit", sid[:5], env=ed)
    seen = open(log, encoding="utf-8").read().split("\n\f\n")
    check(r.returncode == 0 and open(count).read() == "2", f"a bad value reopens the editor once ({r.stderr.strip()})")
    check("ligne" in r.stderr and "« beaucoup »" in r.stderr and "nombre entier" in r.stderr,
          "… saying the line and what to write")
    check("# !! " in seen[1] and "beaucoup" in seen[1], "… on the person's own text, the error at the top")
    check("3 sur 5" in run(a, "sheet", "show", sid).stdout, "the corrected value is saved")
    check(os.listdir(tmpdir) == [], "the temporary file is gone")
    check(seen[0].startswith("# Fiche « Grille d'analyse de la demande »") and "## Urgence, criticité [urgence]" in seen[0],
          "the editor got the sheet's text form")
    # The editor is left without a change: nothing is saved.
    before = rows(a, "SELECT count(*) FROM ws_ops")[0][0]
    r = run(a, "sheet", "edit", sid, env={"EDITOR": "true", "VISUAL": "", "TMPDIR": tmpdir})
    check(r.returncode == 0 and "Rien n'a changé" in r.stdout and rows(a, "SELECT count(*) FROM ws_ops")[0][0] == before,
          "an editor closed without a change saves nothing")
    r = run(a, "sheet", "edit", sid, env={"EDITOR": "/nonexistent/editor", "VISUAL": "", "TMPDIR": tmpdir})
    check(r.returncode == 1 and "introuvable" in r.stderr and "rien n'est enregistré" in r.stderr,
          f"a missing editor is said ({r.stderr.strip()})")
    for f in os.listdir(tmpdir):
        os.unlink(os.path.join(tmpdir, f))
    # A conflict resolved by writing the field again in the editor.
    run(a, "sheet", "set", sid, "demande_mots", "socle")
    relay(tmp, "push", a)
    relay(tmp, "pull", b)
    run(a, "sheet", "set", sid, "demande_mots", "version A")
    run(b, "sheet", "set", sid, "demande_mots", "version B")
    relay(tmp, "push", a)
    relay(tmp, "push", b)
    relay(tmp, "pull", b)
    open(log, "w").close()
    r = run(b, "sheet", "edit", sid, env=dict(ed, ED_FIELD="demande_mots", ED_FIRST="", ED_VALUE="A et B"))
    seen = open(log, encoding="utf-8").read()
    check(r.returncode == 0 and "version A" in seen and "version B" in seen,
          "the editor shows both versions of a field in conflict")
    check("## Urgence, criticité [urgence]" not in seen and "urgence" in seen,
          "a field of the other role is shown, not editable")
    relay(tmp, "push", b)
    relay(tmp, "pull", a)
    for d in (a, b):
        check("Aucun conflit" in run(d, "sheet", "conflicts").stdout and "  A et B\n" in run(d, "sheet", "show", sid).stdout,
              "the conflict is resolved by the text written in the editor")


TESTS = {"edit": t_edit, "edit_text": t_edit_text, "errors": t_errors, "conflicts": t_conflicts, "export": t_export}


def main():
    for tool, name in ((BILAN, "BILAN_CLIENT"), (RELAY, "BILAN_RELAY")):
        if not tool or not os.access(tool, os.X_OK):
            print(f"{name} is not set", file=sys.stderr)
            return 2
    return run_in_tmp(TESTS, "bilan-sheet-cli-")


if __name__ == "__main__":
    sys.exit(main())
