"""axe.py: accessibility checks of a page with axe-core (WCAG 2.1 A and AA
rules), a test tool only: nothing of it ships.

axe-core is not a Debian package. It is fetched at test time from the npm
registry as one pinned version, and used only if its SHA-512 matches the
integrity the registry published for that version (written below), so the
code run is exactly the code reviewed. It is kept in $BILAN_TEST_CACHE
(default ~/.cache/bilan-tests) and never committed. Without network and
without a cached copy, the accessibility scenarios report SKIP (77), never
pass.

    violations = axe_run(page)   # [{id, impact, help, nodes: [...]}, ...]
"""
import base64
import hashlib
import io
import os
import tarfile
import urllib.request

from harness import TestSkipped

AXE_VERSION = "4.14.1"
AXE_URL = f"https://registry.npmjs.org/axe-core/-/axe-core-{AXE_VERSION}.tgz"
AXE_SHA512 = "FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ=="

CACHE = os.environ.get("BILAN_TEST_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "bilan-tests")


def _verified(tgz):
    return base64.b64encode(hashlib.sha512(tgz).digest()).decode() == AXE_SHA512


def axe_source():
    """axe.min.js of the pinned version, checked against its integrity."""
    path = os.path.join(CACHE, f"axe-core-{AXE_VERSION}.tgz")
    tgz = None
    if os.path.exists(path):
        with open(path, "rb") as f:
            tgz = f.read()
        if not _verified(tgz):
            tgz = None
    if tgz is None:
        try:
            with urllib.request.urlopen(AXE_URL, timeout=60) as r:
                tgz = r.read()
        except OSError as e:
            raise TestSkipped(f"axe-core {AXE_VERSION} is not cached and the npm registry cannot be reached ({e})")
        if not _verified(tgz):
            raise TestSkipped(f"axe-core {AXE_VERSION} from the registry does not match its pinned SHA-512: not used")
        os.makedirs(CACHE, exist_ok=True)
        with open(path + ".tmp", "wb") as f:
            f.write(tgz)
        os.replace(path + ".tmp", path)
    with tarfile.open(fileobj=io.BytesIO(tgz)) as t:
        return t.extractfile("package/axe.min.js").read().decode()


def axe_run(page, context="document"):
    """Runs axe-core's WCAG 2.0/2.1 A and AA rules on the page as it is now;
    the list of violations (empty when none). The page's own content
    security policy would refuse the injected script (rightly): this is
    a test's view, injected through the DevTools protocol."""
    src = axe_source()
    page.send("Page.setBypassCSP", {"enabled": True})
    page.eval(src + "\n;true")
    return page.eval(
        "axe.run(" + context + ", {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']},"
        " resultTypes: ['violations']}).then(r => r.violations.map(v => ({id: v.id, impact: v.impact,"
        " help: v.help, nodes: v.nodes.map(n => n.target.join(' ') + ': ' + n.failureSummary)})))", timeout=120)


def describe(violations):
    return "\n".join(f"  {v['id']} ({v['impact']}): {v['help']}\n    " + "\n    ".join(v["nodes"][:4])
                     for v in violations)
