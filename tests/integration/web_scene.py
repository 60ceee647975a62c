"""web_scene.py: a real bilan-server, an enrolled native consultant with a
bilan and its invite link, and headless Chromium trusting exactly that
server's certificate: what every browser-client test starts from.

    w = WebScene("name")
    page = w.open_room()            # /w/<token>#<secret>[.<pin>] in Chromium
    ...
    w.close()

Skipped (77) without Chromium, through cdp.need_chromium().
"""
import os
import re

from cdp import Browser, need_chromium, spki_hash
from harness import TestFailure
from test_rooms import Scene


def room_url(invite_link):
    """The browser room's address for an invite link: /j/ becomes /w/, the
    fragment kept (the page reads it; the browser never sends it)."""
    m = re.match(r"^(https://[^/]+)/j/([A-Za-z0-9_-]{43})(#.*)$", invite_link)
    if not m:
        raise TestFailure(f"not an invite link: {invite_link[:30]}...")
    return f"{m.group(1)}/w/{m.group(2)}{m.group(3)}"


# The page speaks French first; headless Chromium would say en-US (and
# the worksheets' refusals, its form and its hours are in the page's
# language): a test that wants English says so (test_web.py's i18n).
FRENCH = ("--lang=fr-FR", "--accept-lang=fr-FR,fr")


class WebScene(Scene):
    def __init__(self, name, server_args=(), browser_args=FRENCH):
        need_chromium()
        # Chromium opens several connections at once from one address.
        super().__init__(name, ("--unauth-per-address", "64") + tuple(server_args))
        self.spki = spki_hash(os.path.join(self.server.data, "cert.pem"))
        self.browser = Browser(self.tmp, ignore_spki=self.spki, extra=browser_args)

    def base(self):
        return f"https://{self.server.host}:{self.server.port}"

    def open_room(self, link=None, init_script=None):
        return self.browser.open(room_url(link or self.link), init_script)

    def close(self, ok=True):
        self.browser.close()
        return super().close(ok)
