"""web_french.py: finds French sentences written outside i18n.js in the
browser client's modules (assets/web/*.js), for test_web.py's i18n scenario.

Everything the page shows a person lives in i18n.js's two catalogues (French
and English); a module that writes a French sentence of its own speaks
French to an English browser. This reads each module as a JavaScript lexer
would (comments, strings, template literals, regular expressions) and lists
every string or template literal holding a French letter, except those
inside a console.*(...) call (developers' words) and those of ALLOWED.
(A rough lexer, enough for this code: regular expressions are told from
divisions by the token before them; ${...} in template literals stays in
the literal.)

Run alone (no build needed): python3 web_french.py [DIR] prints what it finds.
"""
import os
import re
import sys

WEB_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "assets", "web")

# Letters that only French text uses here (ASCII-only English never has them).
FRENCH = re.compile("[éèêëàâùûüçôîïœÉÈÊÀÂÇÔÎ’«»]")

# What may stay in French outside i18n.js: (module, where, why). `where` is
# the top-level functions or classes holding the literals (their names,
# "|"-separated) or, starting with "text:", a piece of the literal. Each
# entry must still match something: a stale entry fails the test too.
TEMPLATE_AUTHOR = (
    "a worksheet template's refusals are proto/ws_template.c's, word for word: the native validator has "
    "no English (its sentences are not in po/en.po), integration.web_sheets compares the browser's with "
    "the C tool's, and they are for template authors (the page ships its templates: never shown in the room)")
ALLOWED = [
    ("sheets_template.js", "where|refuse|getLine|getId|keysKnown|getInt|parseOptions|parseField|parseSection|parseTemplate",
     TEMPLATE_AUTHOR),
    ("sheets_template.js", "text:modèle « ${id}.json » : ", TEMPLATE_AUTHOR + " (Templates.load names the file)"),
]

# After one of these, a '/' starts a regular expression, not a division.
REGEX_AFTER = set("(,=:[!&|?{};+-*%<>~^") | {""}
REGEX_AFTER_WORDS = {"return", "typeof", "case", "of", "in", "void", "delete", "throw", "else", "do"}


def tokens(src):
    """(kind, text, line) for kind in 'str' (quoted or template, raw
    source text), 'word', 'punct'; comments and spaces dropped."""
    out = []
    i, n, line = 0, len(src), 1
    prev = ""                       # the previous significant token's text
    while i < n:
        c = src[i]
        if c == "\n":
            line += 1
            i += 1
        elif c in " \t\r":
            i += 1
        elif src.startswith("//", i):
            j = src.find("\n", i)
            i = n if j < 0 else j
        elif src.startswith("/*", i):
            j = src.find("*/", i + 2)
            j = n if j < 0 else j + 2
            line += src.count("\n", i, j)
            i = j
        elif c in "'\"":
            j = i + 1
            while j < n and src[j] != c:
                j += 2 if src[j] == "\\" else 1
            out.append(("str", src[i:j + 1], line))
            i = j + 1
        elif c == "`":
            j, depth = i + 1, 0     # ${...} may hold braces and strings: a rough nesting is enough here
            while j < n:
                if src[j] == "\\":
                    j += 2
                    continue
                if depth == 0 and src[j] == "`":
                    break
                if src.startswith("${", j):
                    depth += 1
                    j += 2
                    continue
                if depth and src[j] == "}":
                    depth -= 1
                j += 1
            out.append(("str", src[i:j + 1], line))
            line += src.count("\n", i, j + 1)
            i = j + 1
        elif c == "/" and (prev in REGEX_AFTER or prev in REGEX_AFTER_WORDS):
            j, cls = i + 1, False
            while j < n and src[j] != "\n" and (cls or src[j] != "/"):
                if src[j] == "\\":
                    j += 1
                elif src[j] == "[":
                    cls = True
                elif src[j] == "]":
                    cls = False
                j += 1
            out.append(("regex", src[i:j + 1], line))
            i = j + 1
            while i < n and src[i].isalpha():
                i += 1
        elif c.isalnum() or c in "_$":
            m = re.compile(r"[\w$]+").match(src, i)
            out.append(("word", m.group(0), line))
            i = m.end()
        else:
            out.append(("punct", c, line))
            i += 1
        if out:
            prev = out[-1][1] if out[-1][0] in ("word", "punct") else "x"
    return out


def french_literals(path):
    """[(line, literal, top)] of the French literals of one module,
    console.*(...) calls left out; top: the top-level function, class or
    const holding it (None outside any)."""
    toks = tokens(open(path, encoding="utf-8").read())
    found, k = [], 0
    depth, named, top = 0, None, None
    while k < len(toks):
        kind, text, line = toks[k]
        if kind == "punct" and text == "{":
            if depth == 0:
                top = named
            depth += 1
        elif kind == "punct" and text == "}":
            depth = max(0, depth - 1)
            if depth == 0:
                top = None
        elif (depth == 0 and kind == "word" and text in ("function", "class", "const", "let")
                and k + 1 < len(toks) and toks[k + 1][0] == "word"):
            named = toks[k + 1][1]
        if (kind == "word" and text == "console" and k + 3 < len(toks) and toks[k + 1][1] == "."
                and toks[k + 3][1] == "("):
            depth, k = 0, k + 3
            while k < len(toks):
                if toks[k][1] == "(":
                    depth += 1
                elif toks[k][1] == ")":
                    depth -= 1
                    if depth == 0:
                        break
                k += 1
        elif kind == "str" and FRENCH.search(text):
            found.append((line, text, top))
        k += 1
    return found


def allowed(entry, name, text, top):
    module, where, _ = entry
    if module != name:
        return False
    if where.startswith("text:"):
        return where[5:] in text
    return top is not None and top in where.split("|")


def scan(web_dir=WEB_DIR):
    """(found, stale): found = [(module, line, literal)] not allowed;
    stale = ALLOWED entries that match nothing any more."""
    found, used = [], set()
    for name in sorted(os.listdir(web_dir)):
        if not name.endswith(".js") or name == "i18n.js":
            continue
        for line, text, top in french_literals(os.path.join(web_dir, name)):
            hit = [i for i, a in enumerate(ALLOWED) if allowed(a, name, text, top)]
            if hit:
                used.update(hit)
            else:
                found.append((name, line, text))
    stale = [a for i, a in enumerate(ALLOWED) if i not in used]
    return found, stale


if __name__ == "__main__":
    got, old = scan(sys.argv[1] if len(sys.argv) > 1 else WEB_DIR)
    for m, l, t in got:
        print(f"{m}:{l}: {t[:100]}")
    for a in old:
        print(f"stale allowance: {a[0]} {a[1]!r}")
    print(f"{len(got)} French literal(s) outside i18n.js, {len(old)} stale allowance(s)")
    sys.exit(1 if got or old else 0)
