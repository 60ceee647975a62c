#!/usr/bin/env python3
"""test_sheet_pdf.py: a sheet exported as PDF and Markdown (client/doc/).

Drives tests/unit/client/sheet_pdf_tool (BILAN_SHEET_TOOL) with templates and
values written here (the real templates of assets/worksheets/ come with the
`templates` part of issue 11), and reads the PDF back with poppler-utils:

content     every kind of field with a value (accents, « », œ, ’): pdftotext
            shows the section title, every value, choices by their labels (not
            their ids), bullets, a scale as « 3 sur 5 » with its labels, a date
            as dd/mm/yyyy, « (non renseigné) » for the empty field; the title
            block; pdffonts: DejaVu Sans embedded; pdfinfo: the title, and the
            structure tags (title H1, sections H2, labels H3, values P); no
            ligature (a search for "fi" finds the letters).
synthese    the synthèse's legal sections, in French, in the template's order.
flow        a long text flows over 3 pages or more: every line of it is there
            in order, each page says « Page N sur M », and no body line goes
            below the bottom margin into the page's foot (a line is never cut).
orphans     many short fields over several pages: a label is always on the page
            of its value's first line, a section's title on the page of its
            first field.
large_print the same value measured with pdftotext -bbox: ~11 pt normally,
            ~18 pt in large print.
markdown    the Markdown: title "#", sections "##", labels bold, `*_#` escaped.
odd_values  values of the wrong shape (a newer client's, a misbehaving device's)
            show « (valeur illisible) », an unknown option its id, an empty list
            « (non renseigné) », values that are not an object leave every field
            empty; a 1,500-letter word stays inside the right margin; a 400-letter
            name is shown whole; Markdown escapes what opens a code block, a list,
            a quote, an entity or a link at the start of a line or anywhere.
shipped     every template of assets/worksheets/ (BILAN_WORKSHEETS; SKIP while
            there is none), a value in each field: the PDF (normal and large
            print) shows its title, every section title in order, every label
            and every chosen option's label; the Markdown has every section.
bad_path    a folder that does not exist: exit 1, a French sentence saying so,
            no file; a successful export leaves no temporary file behind.
Run: test_sheet_pdf.py [SCENARIO...]; exit 77 when poppler-utils is missing.
"""
import json
import os
import re
import shutil
import subprocess
import sys

TOOL = os.environ.get("BILAN_SHEET_TOOL", "")
A4_H = 841.89
MARGIN = 56.69
DEJAVU_RATIO = 1.163  # pdftotext's word box height / font size, for DejaVu Sans


from tmp_tests import Fail, Skip, check, run_in_tmp  # noqa: F401 (Fail, Skip raised by scenarios)


def valid(t, phase="investigation"):
    """t with what docs/WORKSHEETS.md requires besides (format, phase, editors),
    so that the real parser takes it once it is in the tree."""
    t = dict(t, format=1, phase=phase)
    for sec in t["sections"]:
        for f in sec["fields"]:
            f.setdefault("editors", "both")
    return t


KINDS = {
    "id": "essai", "title": "Fiche d'essai « complète »", "intro": "Une fiche pour l’essai.",
    "sections": [{"id": "s1", "title": "Circonstances et motivations", "fields": [
        {"id": "contexte", "label": "Ce qui a amené le bilan", "kind": "text"},
        {"id": "nature", "label": "Nature de la demande", "kind": "choice",
         "options": [{"id": "opt_reo", "label": "Réorientation choisie"}, {"id": "opt_autre", "label": "Autre"}]},
        {"id": "atouts", "label": "Atouts reconnus", "kind": "multi",
         "options": [{"id": "opt_ecoute", "label": "Écoute"}, {"id": "opt_rigueur", "label": "Rigueur"},
                     {"id": "opt_non", "label": "Pas choisie"}]},
        {"id": "urgence", "label": "Urgence", "kind": "scale", "min": 1, "max": 5,
         "min_label": "Pas du tout", "max_label": "Très urgente"},
        {"id": "etapes", "label": "Étapes prévues", "kind": "list"},
        {"id": "debut", "label": "Début", "kind": "date"},
        {"id": "vide", "label": "Champ laissé vide", "kind": "text"}]}]}
KINDS = valid(KINDS)
VALUES = {
    "contexte": "Première ligne : un cœur d’œuvre « entre guillemets ».\nDeuxième ligne gardée.\n\n"
                "Nouveau paragraphe *gras* _penché_ #dièse",
    "nature": "opt_reo", "atouts": ["opt_ecoute", "opt_rigueur"], "urgence": 3,
    "etapes": ["Enquête métier à Besançon", "Stage d’été en Bourgogne"], "debut": "2026-03-09", "vide": None}

LEGAL = ["Circonstances du bilan", "Compétences et aptitudes", "Projet professionnel et étapes de mise en œuvre"]
SYNTHESE = {"id": "synthese", "title": "Document de synthèse", "sections": [
    {"id": f"s{i}", "title": t, "fields": [{"id": f"f{i}", "label": f"Rédaction {i}", "kind": "text"}]}
    for i, t in enumerate(LEGAL)]}
SYNTHESE = valid(SYNTHESE, "conclusion")


def sanitizer_env():
    """Under AddressSanitizer (-DBILAN_SANITIZE=ON): fontconfig's leak of its
    configuration is suppressed by its function name (lsan_fontconfig.supp),
    which needs full stacks: fontconfig and pango have no frame pointers."""
    env = dict(os.environ)
    supp = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lsan_fontconfig.supp")
    env["ASAN_OPTIONS"] = ":".join(filter(None, [env.get("ASAN_OPTIONS"), "fast_unwind_on_malloc=0"]))
    env["LSAN_OPTIONS"] = ":".join(filter(None, [env.get("LSAN_OPTIONS"), f"suppressions={supp}"]))
    return env


def export(tmp, template, values, out, *args):
    tp, vp = os.path.join(tmp, "template.json"), os.path.join(tmp, "values.json")
    with open(tp, "w", encoding="utf-8") as f:
        json.dump(template, f, ensure_ascii=False)
    with open(vp, "w", encoding="utf-8") as f:
        json.dump(values, f, ensure_ascii=False)
    r = subprocess.run([TOOL, tp, vp, out, *args], capture_output=True, text=True, timeout=60, env=sanitizer_env())
    os.unlink(tp)
    os.unlink(vp)
    return r


def text_of(pdf, *args):
    r = subprocess.run(["pdftotext", "-enc", "UTF-8", *args, pdf, "-"], capture_output=True, text=True, timeout=60)
    if r.returncode:
        raise Fail(f"pdftotext cannot read {pdf}: {r.stderr}")
    return r.stdout


def words(pdf):
    """[(page, word, yMin, yMax)] from pdftotext -bbox."""
    out, page = [], 0
    for line in text_of(pdf, "-bbox").splitlines():
        if "<page " in line:
            page += 1
        m = re.search(r'yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">(.*)</word>', line)
        if m:
            out.append((page, m.group(3), float(m.group(1)), float(m.group(2))))
    return out


def pages(pdf):
    r = subprocess.run(["pdfinfo", pdf], capture_output=True, text=True, timeout=60)
    return int(re.search(r"^Pages:\s+(\d+)", r.stdout, re.M).group(1)), r.stdout


def squash(s):
    return re.sub(r"\s+", " ", s)


def t_content(tmp):
    out = os.path.join(tmp, "essai.pdf")
    r = export(tmp, KINDS, VALUES, out, "--bilan", "Bilan de Zoé", "--beneficiary", "Zoé Lefèvre",
               "--date", "01/12/2026")
    check(r.returncode == 0, f"the export succeeds ({r.stderr.strip()})")
    txt = squash(text_of(out))
    for s in ["Fiche d'essai « complète »", "Bilan : Bilan de Zoé", "Bénéficiaire : Zoé Lefèvre",
              "Exporté le 01/12/2026", "Circonstances et motivations", "Ce qui a amené le bilan",
              "Première ligne : un cœur d’œuvre « entre guillemets ».", "Deuxième ligne gardée.",
              "Nouveau paragraphe *gras* _penché_ #dièse"]:
        check(s in txt, f"the PDF shows « {s} »")
    check("Réorientation choisie" in txt and "opt_" not in txt, "choices by their labels, never their ids")
    check("• Écoute" in txt and "• Rigueur" in txt and "Pas choisie" not in txt, "multi: the chosen labels, bulleted")
    check("3 sur 5 (1 : Pas du tout ; 5 : Très urgente)" in txt, "scale: « 3 sur 5 » with its labels")
    check("• Enquête métier à Besançon" in txt and "• Stage d’été en Bourgogne" in txt, "list: bulleted items")
    check("09/03/2026" in txt and "2026-03-09" not in txt, "date as dd/mm/yyyy")
    check(re.search(r"Champ laissé vide \(non renseigné\)", txt), "the empty field says « (non renseigné) »")
    check("Page 1 sur 1" in txt, "the page number « Page 1 sur 1 »")
    fonts = subprocess.run(["pdffonts", out], capture_output=True, text=True, timeout=60).stdout
    emb = [ln for ln in fonts.splitlines() if "DejaVuSans" in ln and re.search(r"\byes\s+yes\b", ln)]
    check(emb and all("DejaVu" in ln for ln in fonts.splitlines()[2:] if ln.strip()),
          "pdffonts: DejaVu Sans embedded, no other font")
    check(re.search(r"^Title:\s+Fiche d'essai « complète »$", pages(out)[1], re.M), "pdfinfo: the PDF's title")
    st = subprocess.run(["pdfinfo", "-struct-text", out], capture_output=True, text=True, timeout=60).stdout
    tags = re.findall(r'^\s*(H1|H2|H3|P) \(block\)\n\s*"(.*)"$', st, re.M)
    # pdftotext spells a ligature out; the structure's text does not.
    check(("P", "Une fiche pour l’essai.") in tags, "no ligature: « fi » stays two letters")
    check(("H1", "Fiche d'essai « complète »") in tags and ("H2", "Circonstances et motivations") in tags
          and ("H3", "Champ laissé vide") in tags and ("P", "Réorientation choisie") in tags,
          "structure tags: the title H1, sections H2, labels H3, values P (pdfinfo -struct-text)")


def t_synthese(tmp):
    out = os.path.join(tmp, "synthese.pdf")
    r = export(tmp, SYNTHESE, {"f0": "Texte un.", "f1": "Texte deux.", "f2": "Texte trois."}, out)
    check(r.returncode == 0, f"the export succeeds ({r.stderr.strip()})")
    txt = squash(text_of(out))
    at = [txt.find(t) for t in LEGAL]
    check(all(a >= 0 for a in at) and at == sorted(at), "the synthèse's legal sections, in French, in order")
    check("Document de synthèse" in txt, "its title")


def long_text():
    return "\n".join(f"ligne{i:03d} " + "phrase accentuée où l’on écrit « beaucoup » " * 3 for i in range(150))


def t_flow(tmp):
    out = os.path.join(tmp, "long.pdf")
    r = export(tmp, SYNTHESE, {"f0": "Court.", "f1": long_text(), "f2": "Fin du texte."}, out)
    check(r.returncode == 0, f"the export succeeds ({r.stderr.strip()})")
    n, _ = pages(out)
    check(n >= 3, f"the long text takes 3 pages or more ({n})")
    for p in range(1, n + 1):
        check(f"Page {p} sur {n}" in text_of(out, "-f", str(p), "-l", str(p)), f"page {p} says « Page {p} sur {n} »")
    txt = text_of(out)
    marks = re.findall(r"ligne(\d{3})", txt)
    check(marks == [f"{i:03d}" for i in range(150)], "every line of the long text is there, in order")
    ws = words(out)
    body = [w for w in ws if not re.match(r"^(Page|sur|\d+)$", w[1])]
    low = max(w[3] for w in body)
    check(low <= A4_H - MARGIN, f"no body line goes into the bottom margin (lowest at {low:.1f} pt)")
    check(any(w[0] == 2 and w[1].startswith("ligne") for w in ws), "the text continues on page 2")


def t_orphans(tmp):
    secs, values = [], {}
    for s in range(12):
        fields = []
        for f in range(5):
            n = s * 5 + f
            fields.append({"id": f"f{n}", "label": f"Étiquette{n:02d}", "kind": "text"})
            values[f"f{n}"] = "\n".join(f"valeur{n:02d}x{k}" for k in range(n % 4 + 1))
        secs.append({"id": f"s{s}", "title": f"Partie{s:02d}", "fields": fields})
    out = os.path.join(tmp, "orphans.pdf")
    r = export(tmp, valid({"id": "orph", "title": "Beaucoup de champs", "sections": secs}), values, out)
    check(r.returncode == 0, f"the export succeeds ({r.stderr.strip()})")
    check(pages(out)[0] >= 3, "the sheet takes 3 pages or more")
    at = {w[1]: w[0] for w in words(out)}
    lone = [n for n in range(60) if at[f"Étiquette{n:02d}"] != at[f"valeur{n:02d}x0"]]
    check(not lone, f"every label is on the page of its value's first line ({lone})")
    lone = [s for s in range(12) if at[f"Partie{s:02d}"] != at[f"Étiquette{s * 5:02d}"]]
    check(not lone, f"every section's title is on the page of its first field ({lone})")


def height_of(pdf, word):
    hs = [w[3] - w[2] for w in words(pdf) if w[1] == word]
    if not hs:
        raise Fail(f"{word} not found in {pdf}")
    return hs[0] / DEJAVU_RATIO


def t_large_print(tmp):
    a, b = os.path.join(tmp, "normal.pdf"), os.path.join(tmp, "large.pdf")
    check(export(tmp, KINDS, VALUES, a).returncode == 0, "the normal export succeeds")
    check(export(tmp, KINDS, VALUES, b, "--large-print").returncode == 0, "the large-print export succeeds")
    n, g = height_of(a, "Besançon"), height_of(b, "Besançon")
    check(abs(n - 11) < 0.8, f"normal body text is ~11 pt ({n:.2f})")
    check(abs(g - 18) < 1.2, f"large-print body text is ~18 pt ({g:.2f})")
    check(height_of(b, "Circonstances") > g * 1.1, "large-print section titles are larger than its body")


def t_markdown(tmp):
    out = os.path.join(tmp, "essai.md")
    r = export(tmp, KINDS, VALUES, out, "--md", "--date", "01/12/2026")
    check(r.returncode == 0, f"the export succeeds ({r.stderr.strip()})")
    md = open(out, encoding="utf-8").read()
    check(md.startswith("# Fiche d'essai « complète »\n"), "the title as a heading")
    check("\n## Circonstances et motivations\n" in md, "the section as a heading")
    check("\n**Nature de la demande**\n" in md and "\nRéorientation choisie\n" in md, "label bold, choice's label")
    check("\\*gras\\* \\_penché\\_ \\#dièse" in md, "*, _ and # of a value are escaped")
    check("- Écoute\n- Rigueur\n" in md, "multi as a bulleted list")
    check("*(non renseigné)*" in md, "the empty field says « (non renseigné) »")
    check("un cœur d’œuvre « entre guillemets ».  \nDeuxième ligne gardée.\n\nNouveau" in md,
          "a text's lines and paragraphs are kept")


def t_odd_values(tmp):
    out = os.path.join(tmp, "odd.pdf")
    odd = {"contexte": 42, "nature": "opt_inconnue", "atouts": "opt_ecoute", "urgence": "trois",
           "etapes": [], "debut": "9 mars", "vide": "Mot" + "z" * 1500}
    r = export(tmp, KINDS, odd, out, "--beneficiary", "é" * 400)
    check(r.returncode == 0, f"the export succeeds ({r.stderr.strip()})")
    txt = text_of(out)
    check(txt.count("(valeur illisible)") == 4, "four values of the wrong shape say « (valeur illisible) »")
    check("opt_inconnue" in txt, "an unknown option is shown by its id")
    check(re.search(r"Étapes prévues\s+\(non renseigné\)", txt), "an empty list says « (non renseigné) »")
    check(txt.count("é") >= 400, "a 400-letter name is shown whole")
    right = max(float(m) for m in re.findall(r'xMax="([\d.]+)"', text_of(out, "-bbox")))
    check(right <= 595.28 - MARGIN + 0.5, f"a 1,500-letter word stays inside the right margin ({right:.1f})")
    r = export(tmp, KINDS, [], out)
    check(r.returncode == 0 and text_of(out).count("(non renseigné)") == 7,
          "values that are not an object: every field « (non renseigné) »")
    md_out = os.path.join(tmp, "odd.md")
    r = export(tmp, KINDS, {"contexte": "    code ?\n1. liste\n- tiret\n> cite\n&eacute; [lien](x) `c`",
                            "etapes": ["deux\nlignes"]}, md_out, "--md")
    check(r.returncode == 0, "the Markdown export succeeds")
    md = open(md_out, encoding="utf-8").read()
    check("\n&#32;   code ?  \n1\\. liste  \n\\- tiret  \n\\> cite  \n\\&eacute; \\[lien\\](x) \\`c\\`\n" in md,
          "code block, numbered list, list, quote, entity, link and code escaped")
    check("\n- deux lignes\n" in md, "an item with a line break stays one item")


def sample(f):
    """A value that fits field f (docs/WORKSHEETS.md, the table of kinds)."""
    k = f["kind"]
    if k == "text":
        return f"Réponse « {f['id']} » : l’été où tout a changé."
    if k == "choice":
        return f["options"][-1]["id"]
    if k == "multi":
        return [o["id"] for o in f["options"]]
    if k == "scale":
        return f["max"]
    if k == "list":
        return ["Premier élément", "Second élément"]
    return "2026-12-01"


def t_shipped(tmp):
    folder = os.environ.get("BILAN_WORKSHEETS", "")
    files = sorted(f for f in os.listdir(folder) if f.endswith(".json")) if os.path.isdir(folder) else []
    if not files:
        raise Skip("no template in assets/worksheets yet")
    for name in files:
        t = json.load(open(os.path.join(folder, name), encoding="utf-8"))
        fields = [f for sec in t["sections"] for f in sec["fields"]]
        values = {f["id"]: sample(f) for f in fields}
        for large in ([], ["--large-print"]):
            out = os.path.join(tmp, "shipped.pdf")
            r = export(tmp, t, values, out, *large)
            check(r.returncode == 0, f"{name} {large}: the export succeeds ({r.stderr.strip()})")
            txt = squash(text_of(out))
            at, pos = [], 0  # each title after the one before (an intro may name a section)
            for sec in t["sections"]:
                pos = txt.find(squash(sec["title"]), pos)
                at.append(pos)
                pos = max(pos, 0) + 1
            check(txt.startswith(squash(t["title"])) and all(a >= 0 for a in at),
                  f"{name}: its title and its {len(at)} section titles, in order")
            lost = [f["label"] for f in fields if squash(f["label"]) not in txt]
            lost += [o["label"] for f in fields if f["kind"] in ("choice", "multi") for o in f["options"][-1:]
                     if squash(o["label"]) not in txt]
            check(not lost, f"{name}: every label and chosen option shown ({lost[:3]})")
            os.unlink(out)
        md = os.path.join(tmp, "shipped.md")
        check(export(tmp, t, values, md, "--md").returncode == 0, f"{name}: the Markdown export succeeds")
        text = open(md, encoding="utf-8").read()
        check(text.count("\n## ") == len(t["sections"]), f"{name}: one ## heading per section")
        os.unlink(md)


def t_bad_path(tmp):
    for fmt in ([], ["--md"]):
        out = os.path.join(tmp, "absent", "fiche.pdf")
        r = export(tmp, KINDS, VALUES, out, *fmt)
        check(r.returncode == 1, f"{fmt or 'pdf'}: a folder that does not exist is an error")
        check("impossible d'écrire" in r.stderr and "n'existe pas" in r.stderr and "absent/fiche.pdf" in r.stderr,
              f"… said in French, naming the file ({r.stderr.strip()})")
        check(not os.path.exists(os.path.dirname(out)), "… and nothing is made")
    good = os.path.join(tmp, "ok.pdf")
    check(export(tmp, KINDS, VALUES, good).returncode == 0, "an export into an existing folder succeeds")
    check(sorted(os.listdir(tmp)) == ["ok.pdf"], f"no temporary file is left ({os.listdir(tmp)})")
    check(os.stat(good).st_mode & 0o077 == 0, "the PDF is readable by its owner only")


TESTS = {"content": t_content, "synthese": t_synthese, "flow": t_flow, "orphans": t_orphans, "large_print": t_large_print,
         "markdown": t_markdown, "odd_values": t_odd_values, "shipped": t_shipped, "bad_path": t_bad_path}


def main():
    if not TOOL or not os.access(TOOL, os.X_OK):
        print("BILAN_SHEET_TOOL is not set to sheet_pdf_tool", file=sys.stderr)
        return 2
    missing = [t for t in ("pdftotext", "pdffonts", "pdfinfo") if not shutil.which(t)]
    if missing:
        print(f"SKIP: {', '.join(missing)} missing (Debian: poppler-utils)")
        return 77
    return run_in_tmp(TESTS, "bilan-sheet-")


if __name__ == "__main__":
    sys.exit(main())
