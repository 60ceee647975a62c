#!/usr/bin/env python3
"""sheet_editor.py: a scripted $EDITOR for test_sheet_cli.py (`bilan sheet edit`):
sets the value of field ED_FIELD to ED_VALUE in the text form; with ED_FIRST,
the first call writes that instead (to see the error reopen the editor);
ED_COUNT names a file counting the calls; ED_LOG a file getting each text seen.
"""
import os
import sys

path = sys.argv[1]
text = open(path, encoding="utf-8").read()
if os.environ.get("ED_LOG"):
    with open(os.environ["ED_LOG"], "a", encoding="utf-8") as log:
        log.write(text + "\n\f\n")
lines = text.split("\n")
calls = os.environ.get("ED_COUNT")
n = 0
if calls:
    n = int(open(calls).read() or 0) if os.path.exists(calls) else 0
    open(calls, "w").write(str(n + 1))
value = os.environ["ED_VALUE"]
if n == 0 and os.environ.get("ED_FIRST"):
    value = os.environ["ED_FIRST"]
field = os.environ["ED_FIELD"]
out, i = [], 0
while i < len(lines):
    l = lines[i]
    out.append(l)
    i += 1
    if l.startswith("## ") and l.rstrip().endswith(f"[{field}]"):
        while i < len(lines) and lines[i].startswith("#") and not lines[i].startswith("## "):
            out.append(lines[i]); i += 1
        while i < len(lines) and not lines[i].startswith("#"):
            i += 1
        out.extend(value.split("\n") + [""])
open(path, "w", encoding="utf-8").write("\n".join(out))
