#!/usr/bin/env python3
"""check_cycles.py: no include or call circles between the modules of proto/,
server/ and client/ (docs/ARCHITECTURE.md "Rules the lint checks").

A module is one .c file with the header of the same name in the same folder
(proto/bp/x.h goes with proto/x.c); a header without a .c is a module of its
own. Module A depends on module B when one of A's files includes one of B's,
or when A's object file uses a symbol that B's object file defines (read with
`nm` from the build tree, so a call through a link-time name counts even
without an include). A cycle of dependencies is a circle: printed with the
names that tie each step, and the test fails.

usage: check_cycles.py REPO_ROOT BUILD_DIR
Prints each circle and "N passed, N failed"; exits 1 on any circle, 2 when it
cannot read the tree (no object files: build first)."""
import os
import re
import subprocess
import sys

DIRS = ("proto", "server", "client")
ROOT = "."
INCLUDE = re.compile(r'^\s*#\s*include\s*"([^"]+)"', re.M)


def module_of(path):
    """proto/bp/e2e.h -> proto/e2e; server/conn.h -> server/conn."""
    d, f = os.path.split(path)
    base = os.path.splitext(f)[0]
    if d == "proto/bp":
        return "proto/" + base
    return d + "/" + base


def source_files(root):
    out = []
    for d in DIRS:
        for dp, _, fs in os.walk(os.path.join(root, d)):
            for f in fs:
                if f.endswith((".c", ".h")):
                    out.append(os.path.relpath(os.path.join(dp, f), root))
    return sorted(out)


def resolve(root, src, inc):
    """The repository file an #include "inc" in src names, or None."""
    for cand in (os.path.join(os.path.dirname(src), inc), os.path.join("proto", inc)):
        cand = os.path.normpath(cand)
        if os.path.isfile(os.path.join(root, cand)):
            return cand
    return None


def objects(build):
    """{module: object path} for our library and program objects, in any
    folder under proto/, server/ and client/ (build/X/CMakeFiles/T.dir/f.c.o
    is the object of source X/f.c)."""
    out = {}
    for d in DIRS:
        for dp, _, fs in os.walk(os.path.join(build, d)):
            for f in fs:
                if not f.endswith(".c.o"):
                    continue
                path = os.path.join(dp, f)
                rel = os.path.relpath(path, build)
                if "/CMakeFiles/" not in "/" + rel:
                    continue
                top, inner = ("/" + rel).split("/CMakeFiles/", 1)
                inner = inner.split(".dir/", 1)[1] if ".dir/" in inner else None
                if inner is None:
                    continue
                src = os.path.normpath(os.path.join(top.lstrip("/"), inner[:-2]))  # x.c.o -> x.c
                # A stale object of a renamed source ties nothing.
                if os.path.isfile(os.path.join(ROOT, src)):
                    out[src[:-2]] = path
    return out


def nm(path):
    r = subprocess.run(["nm", "-P", path], capture_output=True, text=True, check=True)
    defined, used = set(), set()
    for line in r.stdout.splitlines():
        parts = line.split()
        if len(parts) < 2:
            continue
        name, kind = parts[0], parts[1]
        if kind == "U":
            used.add(name)
        elif kind in "TDBRVWCGSi":  # global definitions only: static ones tie nothing
            defined.add(name)
    return defined, used


def main():
    if len(sys.argv) != 3:
        print("usage: check_cycles.py REPO_ROOT BUILD_DIR", file=sys.stderr)
        return 2
    global ROOT
    root, build = sys.argv[1], sys.argv[2]
    ROOT = root
    edges = {}  # (a, b) -> set of reasons

    def add(a, b, why):
        if a != b:
            edges.setdefault((a, b), set()).add(why)

    for src in source_files(root):
        with open(os.path.join(root, src), encoding="utf-8", errors="replace") as f:
            text = f.read()
        for inc in INCLUDE.findall(text):
            tgt = resolve(root, src, inc)
            if tgt:
                add(module_of(src), module_of(tgt), "#include \"%s\"" % inc)

    objs = objects(build)
    if not objs:
        print("no object files under %s: build first" % build)
        return 2
    owner = {}
    uses = {}
    for mod, path in objs.items():
        d, u = nm(path)
        uses[mod] = u
        for s in d:
            owner.setdefault(s, set()).add(mod)
    for mod, u in uses.items():
        for s in u:
            for o in owner.get(s, ()):
                add(mod, o, s + "()")

    # Tarjan's strongly connected components.
    graph = {}
    for (a, b) in edges:
        graph.setdefault(a, set()).add(b)
        graph.setdefault(b, set())
    index, low, stack, on, sccs = {}, {}, [], set(), []
    counter = [0]
    sys.setrecursionlimit(10000)

    def strong(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            sccs.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            strong(v)

    circles = [c for c in sccs if len(c) > 1]
    for c in circles:
        print("circle: " + ", ".join(c))
        members = set(c)
        for (a, b), why in sorted(edges.items()):
            if a in members and b in members:
                names = sorted(why)
                more = " and %d more" % (len(names) - 6) if len(names) > 6 else ""
                print("  %s -> %s: %s%s" % (a, b, ", ".join(names[:6]), more))
    print("%d modules, %d dependencies read" % (len(graph), len(edges)))
    print("%d passed, %d failed" % (0 if circles else 1, len(circles)))
    return 1 if circles else 0


if __name__ == "__main__":
    sys.exit(main())
