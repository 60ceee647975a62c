"""test_open.py: `bilan open URL`, what a click on a link runs (issue 10,
part 7; the desktop entry's Exec=bilan open %u), with the real server.

- forms: every accepted form of an invite link takes a new device into the
  bilan's room: bilan:https://..., bilan://..., a bilan: link whose '#' a
  mail program percent-encoded, and the plain https link; a second click on
  the same link joins again (the invite is already redeemed on this device).
- enrol: bilan: + an enrolment link enrols the device.
- errors: a link without its # part, a damaged secret, a bare token,
  another scheme, an encoded control byte: exit 1 with a French sentence
  saying what to do, and never the link, its token or its secret.

Run one scenario: test_open.py NAME; all: test_open.py.
"""
import os
import re
import subprocess

from harness import CLIENT_BIN, DEADLINE, Client, check, run_tests
from test_rooms import Scene

FRENCH = dict(os.environ, LANGUAGE="fr", LC_ALL="fr_FR.UTF-8", LC_MESSAGES="fr_FR.UTF-8", LANG="fr_FR.UTF-8")


def bopen(client, url, *extra):
    return subprocess.run([CLIENT_BIN, "--data", client.data, "open", url] + list(extra), capture_output=True,
                          text=True, timeout=DEADLINE, stdin=subprocess.DEVNULL, env=FRENCH)


STAY = ("--headless", "--duration", "1")


def t_forms():
    s = Scene("open-forms")
    try:
        forms = {
            "bilan:https": lambda l: "bilan:" + l,
            "bilan://": lambda l: "bilan://" + l[len("https://"):],
            "bilan: with %23": lambda l: "bilan:" + l.replace("#", "%23"),
            "https": lambda l: l,
        }
        for i, (name, make) in enumerate(forms.items()):
            link = s.link if i == 0 else s.consultant.create_bilan(f"Bilan {i}")
            ben = Client(s.tmp, f"ben{i}")
            r = bopen(ben, make(link), *STAY)
            check(r.returncode == 0, f"{name}: bilan open joins the room" +
                  ("" if r.returncode == 0 else f"\n{r.stdout}\n{r.stderr}"))
            listed = ben.ok("bilan", "list").stdout
            check(re.search(r"\bbilan=[A-Za-z0-9_-]+", listed) is not None,
                  f"{name}: the device redeemed the invite and knows the bilan")
            secret = link.split("#", 1)[1].split(".")[0]
            check(secret not in r.stdout + r.stderr, f"{name}: the secret is never printed")
            if i == 0:
                r = bopen(ben, make(link), *STAY)
                check(r.returncode == 0, "a second click on the same link joins again")
        s.close()
    except Exception:
        s.close(ok=False)
        raise


def t_enrol():
    s = Scene("open-enrol")
    try:
        r = s.server.admin("consultant", "token", "dev")
        link = re.search(r"(https://\S+/e/\S+)", r.stdout).group(1)
        dev = Client(s.tmp, "consultant2")
        r = bopen(dev, "bilan:" + link)
        check(r.returncode == 0 and re.search(r"server=\S+ role=consultant", r.stdout, re.M),
              "bilan: + an enrolment link enrols this device")
        token = link.split("/e/")[1].split("#")[0]
        check(token not in r.stdout + r.stderr, "the enrolment token is never printed")
        s.close()
    except Exception:
        s.close(ok=False)
        raise


def t_errors():
    s = Scene("open-errors")
    try:
        link = s.link
        path, frag = link.split("#", 1)
        token = path.rsplit("/", 1)[1]
        secret = frag.split(".")[0]
        ben = Client(s.tmp, "ben")
        cases = [
            ("bilan:" + path, "incomplet", "a link without its # part"),
            ("bilan:" + path + "#" + secret[:-1], "abîmé", "a damaged secret"),
            ("bilan:" + token, "n'est pas un lien Bilan", "a bare token"),
            ("bilan:javascript:alert(1)#" + secret, "n'est pas un lien Bilan", "another scheme inside bilan:"),
            ("bilan:https://127.0.0.1%00/j/" + token + "#" + secret, "n'est pas un lien Bilan",
             "an encoded control byte"),
            ("ftp://x/j/" + token + "#" + secret, "n'est pas un lien Bilan", "another scheme"),
        ]
        for url, words, what in cases:
            r = bopen(ben, url, *STAY)
            out = r.stdout + r.stderr
            check(r.returncode == 1 and words in out and ("demandez" in out or "Ouvrez" in out),
                  f"{what}: exit 1 and a French sentence saying what to do ({out.strip()[:90]}...)")
            check(token not in out and secret[:20] not in out, f"{what}: neither token nor secret printed")
        r = bopen(ben, "bilan:" + link, *STAY)
        check(r.returncode == 0, "after the mistakes, the whole link still works")
        s.close()
    except Exception:
        s.close(ok=False)
        raise


if __name__ == "__main__":
    run_tests({"forms": t_forms, "enrol": t_enrol, "errors": t_errors})
