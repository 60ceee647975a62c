"""test_packages.py: the Debian packages as an administrator and a
beneficiary meet them (issue 10, part 7).

- deb: `cpack -G DEB` in the build folder makes bilan_VERSION_ARCH.deb and
  bilan-server_VERSION_ARCH.deb, with dependencies found by dpkg-shlibdeps;
  `dpkg -i` installs both; /usr/bin/bilan --version says the project's
  version; the server package created the system user bilan-server and its
  data folder (0700, its own), and the installed server runs as that user
  with its unit's command line; the desktop entry registers bilan: links,
  and its Exec command, read from the installed file with %u replaced by a
  bilan: link, takes a beneficiary into the bilan's room (the consultant,
  waiting there, sees the second member); the link's secret appears in
  nothing it prints. `dpkg --purge` then leaves the machine as it was (the
  user and data folder the test caused are removed by the test, since
  Debian packages keep them).

Needs root (dpkg -i), dpkg-deb and cpack: otherwise it reports SKIP (77).
Also skipped when a bilan package is already installed here: the test never
replaces an administrator's installation.

Environment: BILAN_BUILD_DIR (the CMake build folder), BILAN_VERSION,
BILAN_CPACK (set by ctest).
"""
import glob
import os
import pwd
import re
import shlex
import shutil
import signal
import stat
import subprocess

from harness import DEADLINE, Proc, Server, TestFailure, TestSkipped, check, run_tests, tmpdir

BUILD = os.environ.get("BILAN_BUILD_DIR", "")
VERSION = os.environ.get("BILAN_VERSION", "")
CPACK = os.environ.get("BILAN_CPACK") or shutil.which("cpack") or "cpack"
PACKAGES = ("bilan", "bilan-server")
USER = "bilan-server"
VARLIB = "/var/lib/bilan-server"


def run(argv, **kw):
    return subprocess.run(argv, capture_output=True, text=True, timeout=kw.pop("timeout", DEADLINE * 5),
                          stdin=subprocess.DEVNULL, **kw)


def installed(pkg):
    r = run(["dpkg-query", "-W", "-f=${Status}", pkg])
    return r.returncode == 0 and "installed" in r.stdout.split()


def user_exists(name):
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def preconditions():
    if os.geteuid() != 0:
        raise TestSkipped("installing packages needs root (CI runs as root)")
    for tool in ("dpkg", "dpkg-deb", "dpkg-query", "dpkg-shlibdeps"):
        if not shutil.which(tool):
            raise TestSkipped(f"{tool} is missing (apt-get install dpkg-dev)")
    if not shutil.which(CPACK) and not os.access(CPACK, os.X_OK):
        raise TestSkipped("cpack is missing")
    if not BUILD or not os.path.exists(os.path.join(BUILD, "CPackConfig.cmake")):
        raise TestFailure("BILAN_BUILD_DIR does not name a configured build folder")
    for p in PACKAGES:
        if installed(p):
            raise TestSkipped(f"package {p} is already installed on this machine: not touching it")
    if os.path.exists("/usr/bin/bilan") or os.path.exists("/usr/bin/bilan-server"):
        raise TestSkipped("/usr/bin/bilan or /usr/bin/bilan-server exists outside a package: not touching it")


def build_packages(out):
    r = run([CPACK, "-G", "DEB", "-B", out, "--config", os.path.join(BUILD, "CPackConfig.cmake")], cwd=BUILD)
    check(r.returncode == 0, "cpack -G DEB builds the packages" + ("" if r.returncode == 0 else
                                                                     "\n" + r.stdout[-3000:] + r.stderr[-3000:]))
    debs = {}
    for p in PACKAGES:
        found = glob.glob(os.path.join(out, f"{p}_{VERSION}_*.deb"))
        check(len(found) == 1, f"{p}_{VERSION}_<arch>.deb is built (version from the project)")
        debs[p] = found[0]
    return debs


def deb_field(deb, field):
    return run(["dpkg-deb", "-f", deb, field]).stdout.strip()


def deb_files(deb):
    return set(re.findall(r"\s\./(\S+)$", run(["dpkg-deb", "-c", deb]).stdout, re.M))


def desktop_entry(path):
    """The [Desktop Entry] group as a dict."""
    d, group = {}, None
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("["):
                group = line
            elif group == "[Desktop Entry]" and "=" in line and not line.startswith("#"):
                k, v = line.split("=", 1)
                d[k.strip()] = v.strip()
    return d


def exec_argv(exec_line, url):
    """The desktop entry's Exec with %u replaced by one argument (Desktop
    Entry Specification: field codes are whole arguments)."""
    argv = shlex.split(exec_line)
    check(argv.count("%u") == 1, "Exec takes the link as %u")
    return [url if a == "%u" else a for a in argv]


def t_deb():
    preconditions()
    tmp = tmpdir("packages")
    user_before = user_exists(USER)
    varlib_before = os.path.exists(VARLIB)
    if varlib_before:
        raise TestSkipped(f"{VARLIB} exists: not touching an installed server's data")
    server = opener = None
    touched = False
    try:
        debs = build_packages(os.path.join(tmp, "out"))
        for p, deb in debs.items():
            check(deb_field(deb, "Version") == VERSION, f"{p}: Version {VERSION}")
            check(re.search(r"\blibc6 \(>= ", deb_field(deb, "Depends")) is not None,
                  f"{p}: dependencies from dpkg-shlibdeps ({deb_field(deb, 'Depends')[:80]}...)")
        cf = deb_files(debs["bilan"])
        check({"usr/bin/bilan", "usr/share/applications/bilan.desktop"} <= cf,
              "bilan holds /usr/bin/bilan and the desktop entry")
        check(re.search(r"\blibwebsockets\d+\b", deb_field(debs["bilan-server"], "Depends")) is not None,
              "bilan-server depends on the libwebsockets it links")
        sf = deb_files(debs["bilan-server"])
        check({"usr/bin/bilan-server", "usr/lib/systemd/system/bilan-server.service",
               "etc/default/bilan-server"} <= sf, "bilan-server holds the binary, the unit and /etc/default")

        touched = True
        r = run(["dpkg", "-i", debs["bilan"], debs["bilan-server"]])
        check(r.returncode == 0, "dpkg -i installs both packages" +
              ("" if r.returncode == 0 else "\n" + r.stdout[-3000:] + r.stderr[-3000:]))

        r = run(["/usr/bin/bilan", "--version"])
        check(r.returncode == 0 and r.stdout.startswith(f"bilan {VERSION} "),
              f"/usr/bin/bilan --version says {VERSION}: {r.stdout.strip()}")

        # The server package: user, data folder, unit, defaults.
        check(user_exists(USER), "the system user bilan-server exists")
        pw = pwd.getpwnam(USER)
        check(pw.pw_uid < 1000, "bilan-server is a system user")
        st = os.stat(VARLIB)
        check(st.st_uid == pw.pw_uid and stat.S_IMODE(st.st_mode) == 0o700,
              f"{VARLIB} belongs to bilan-server, mode 0700")
        unit = "/usr/lib/systemd/system/bilan-server.service"
        with open(unit) as f:
            unit_text = f.read()
        check(re.search(r"^User=bilan-server$", unit_text, re.M) is not None, "the unit runs as bilan-server")
        check(re.search(r"^EnvironmentFile=-?/etc/default/bilan-server$", unit_text, re.M) is not None,
              "the unit reads /etc/default/bilan-server")
        if shutil.which("systemd-analyze"):
            r = run(["systemd-analyze", "verify", unit])
            check(r.returncode == 0, "systemd-analyze verify accepts the unit" +
                  ("" if r.returncode == 0 else ": " + r.stderr[-1500:]))
        r = run(["dpkg-query", "-W", "-f=${Conffiles}", "bilan-server"])
        check("/etc/default/bilan-server " in r.stdout,
              "/etc/default/bilan-server is a conffile (an upgrade keeps the administrator's options)")
        opts = re.search(r'^BILAN_SERVER_OPTS="(.*)"$', open("/etc/default/bilan-server").read(), re.M)
        check(opts is not None, "/etc/default/bilan-server sets BILAN_SERVER_OPTS")

        # The unit's command line, as its user, with development options in
        # place of the administrator's (no certificate here): the installed
        # server runs under its user in its data folder.
        execstart = re.search(r"^ExecStart=(.*)$", unit_text, re.M).group(1)
        argv = [a for a in shlex.split(execstart) if a != "$BILAN_SERVER_OPTS"]
        check(argv[0] == "/usr/bin/bilan-server", "the unit starts /usr/bin/bilan-server")
        argv += ["--dev", "--listen", "127.0.0.1:0"]
        server = Proc(["setpriv", f"--reuid={pw.pw_uid}", f"--regid={pw.pw_gid}", "--init-groups", "--"] + argv,
                      name="installed bilan-server")
        m = server.wait_line(Server.READY)
        check(os.stat(os.path.join(VARLIB, "server.db")).st_uid == pw.pw_uid,
              "the installed server runs as bilan-server and keeps its database in its data folder")
        enrol = next(re.search(r"(https://\S+/e/\S+)", l).group(1) for l in server.lines
                     if re.search(r"https://\S+/e/\S+", l))

        # The desktop entry: registered for bilan:, in French with English.
        entry = desktop_entry("/usr/share/applications/bilan.desktop")
        check("x-scheme-handler/bilan" in entry.get("MimeType", "").split(";"),
              "the desktop entry registers the bilan: scheme")
        check(entry.get("Name") and entry.get("Name[en]") and "séance" in entry.get("Comment", "")
              and entry.get("Comment[en]"), "French Name and Comment with English [en] variants")
        if shutil.which("desktop-file-validate"):
            r = run(["desktop-file-validate", "/usr/share/applications/bilan.desktop"])
            check(r.returncode == 0, "desktop-file-validate accepts it " + r.stdout + r.stderr)
        cache = "/usr/share/applications/mimeinfo.cache"
        if shutil.which("update-desktop-database") and os.path.exists(cache):
            check(re.search(r"^x-scheme-handler/bilan=.*\bbilan\.desktop;", open(cache).read(), re.M),
                  "the desktop database maps bilan: to bilan.desktop (dpkg trigger)")

        # A consultant (installed client too) creates a bilan and waits in its room.
        env = dict(os.environ, PATH="/usr/bin:/bin", HOME=tmp)
        cons = os.path.join(tmp, "consultant")

        def client(*args):
            r = run(["/usr/bin/bilan", "--data", cons] + list(args), env=env, timeout=DEADLINE)
            if r.returncode != 0:
                raise TestFailure(f"bilan {args[0]} failed:\n{r.stdout}{r.stderr}")
            return r.stdout
        client("enrol", enrol)
        link = re.search(r"^(https://\S+/j/\S+)$", client("bilan", "create", "--label", "Paquet"), re.M).group(1)
        bilan = re.findall(r"\bbilan=([A-Za-z0-9_-]{1,64})", client("bilan", "list"))[-1]
        secret = link.split("#", 1)[1].split(".")[0]
        waiting = Proc(["/usr/bin/bilan", "--data", cons, "join", bilan, "--headless", "--confirm-sas",
                        "--expect-members", "2", "--timeout", str(int(DEADLINE))], env=env, name="consultant")

        # The click: the browser hands bilan:<link> to the desktop entry's Exec.
        argv = exec_argv(entry["Exec"], "bilan:" + link)
        check(shutil.which(argv[0], path=env["PATH"]) == "/usr/bin/bilan", "Exec runs the installed /usr/bin/bilan")
        benv = dict(env, BILAN_HOME=os.path.join(tmp, "beneficiary"))
        opener = Proc(argv, env=benv, name="bilan open")
        rc = waiting.wait_exit(DEADLINE + 30)
        check(rc == 0, "the consultant saw the beneficiary arrive: the bilan: link reached the room"
              + ("" if rc == 0 else "\n" + waiting.dump() + opener.dump()))
        opener.signal(signal.SIGTERM)
        opener.wait_exit()
        r = run(["/usr/bin/bilan", "bilan", "list"], env=benv)
        check(bilan in r.stdout, "the beneficiary's device now knows the bilan (the invite was redeemed)")
        said = "\n".join(opener.lines + opener.err_lines)
        check(secret not in said and link not in said, "bilan open never printed the link or its secret")
        server.signal(signal.SIGTERM)
        server.wait_exit()
        server = None
    finally:
        for p in (opener, server):
            if p:
                p.kill()
        if touched:
            r = run(["dpkg", "--purge"] + list(PACKAGES))
            if r.returncode != 0:
                print("dpkg --purge failed:", r.stdout, r.stderr)
            # Debian packages keep their system user and data; the test made
            # them, so the test removes them.
            if not user_before and user_exists(USER):
                run(["userdel", USER])
                if run(["getent", "group", USER]).returncode == 0:
                    run(["groupdel", USER])
            if not varlib_before:
                shutil.rmtree(VARLIB, ignore_errors=True)
    check(not any(installed(p) for p in PACKAGES) and not os.path.exists("/usr/bin/bilan")
          and not os.path.exists("/usr/bin/bilan-server") and not os.path.exists("/etc/default/bilan-server"),
          "dpkg --purge removed both packages")
    check(user_exists(USER) == user_before and not os.path.exists(VARLIB), "the machine is left as it was")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    run_tests({"deb": t_deb})
