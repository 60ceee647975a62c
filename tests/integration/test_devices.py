"""test_devices.py: `bilan devices` and `bilan test-media` (issue 10, part 4),
the real client on a machine with no camera and no sound card: the camera
folder is moved (BILAN_V4L2_DIR) to an empty one or one of non-camera files,
sound goes through SDL's dummy driver (devices, no sound) or its disk driver
(a raw file is the microphone, another receives what the speaker plays), and
the test sources (pattern, tone, .y4m and .wav files made here) stand for
the devices.

- listing: French headings, the advice when no camera is found, the option
  for each device exactly as `bilan join` takes it, `--format json`, --help
  and a bad option in French.
- sources: test-media with pattern, tone and a .wav out: exit 0, the report
  and its JSON say so, the .wav holds the test chime.
- problems: a black still picture is reported dark and frozen, a silent
  microphone unheard, a missing camera said with advice: exit 1 each.
- disk: through SDL's disk driver the microphone is heard from its file, and
  the test sound really reaches the speaker (`speaker:NAME` names the file
  the disk driver writes): the file holds the two notes of the chime.
- fake_camera: the pretend camera (LD_PRELOAD, tests/unit/media/fake_v4l2.c)
  through the real V4L2 code: a moving picture passes at about 30 pictures per
  second, a black one is dark and frozen, a busy one is said busy.
- interactive: at a terminal the meter is drawn in place ("parlez pour
  tester votre micro"), "Entendez-vous le son ? (o/n)" is asked; "o" passes,
  "n" three times fails with advice.

Run one scenario: test_devices.py NAME; all: test_devices.py.
"""
import json
import math
import signal
import os
import struct
import subprocess
import time
import wave

from harness import CLIENT_BIN, DEADLINE, PtyProc, TestFailure, TestSkipped, check, run_tests, tmpdir

FRENCH = dict(os.environ, LANGUAGE="fr", LC_ALL="C.UTF-8", LANG="fr_FR.UTF-8")


def env(**kw):
    e = dict(FRENCH)
    e.update(kw)
    return e


def run(args, e, stdin=subprocess.DEVNULL):
    return subprocess.run([CLIENT_BIN] + args, capture_output=True, text=True, timeout=DEADLINE,
                          stdin=stdin, env=e)


def write_wav(path, samples):
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(48000)
        w.writeframes(struct.pack(f"<{len(samples)}h", *samples))


def tone(seconds, hz, dbfs):
    amp = 32767 * 10 ** (dbfs / 20) * math.sqrt(2)
    return [int(amp * math.sin(2 * math.pi * hz * i / 48000)) for i in range(int(48000 * seconds))]


def write_y4m(path, w, h, luma, frames=1):
    with open(path, "wb") as f:
        f.write(f"YUV4MPEG2 W{w} H{h} F30:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            f.write(b"FRAME\n" + bytes([luma]) * (w * h) + bytes([128]) * (w * h // 2))


def rms_dbfs(samples):
    if not samples:
        return -200
    r = math.sqrt(sum(s * s for s in samples) / len(samples)) / 32768
    return 20 * math.log10(r) if r > 0 else -200


def crossings_hz(samples):
    """Frequency of a clean sine from its upward zero crossings."""
    n = sum(1 for a, b in zip(samples, samples[1:]) if a < 0 <= b)
    return n * 48000 / max(1, len(samples))


def wait_count(p, pattern, n):
    """Polls until pattern is on n lines of p's terminal; the deadline only bounds a failure."""
    end = time.monotonic() + DEADLINE
    while p.count(pattern) < n:
        if time.monotonic() > end or p.p.poll() is not None and p.count(pattern) < n:
            raise TestFailure(f"{pattern!r} not shown {n} time(s)\n" + p.dump())
        time.sleep(0.05)


def t_listing():
    tmp = tmpdir("devices")
    empty = os.path.join(tmp, "dev-empty")
    os.mkdir(empty)
    r = run(["devices"], env(BILAN_V4L2_DIR=empty, SDL_AUDIODRIVER="dummy"))
    check(r.returncode == 0, "bilan devices exits 0 with nothing to list" +
          ("" if r.returncode == 0 else "\n" + r.stdout + r.stderr))
    for head in ("Caméras\n", "Micros\n", "Haut-parleurs\n"):
        check(head in r.stdout, f"heading {head.strip()!r} in French")
    check("Aucune caméra trouvée : branchez-la, ou vérifiez qu'une autre application ne l'utilise pas ; "
          "sous Linux, votre compte doit être dans le groupe video." in r.stdout,
          "no camera: said with what to do")
    check("« System audio capture device »" in r.stdout, "the dummy driver's microphone is listed by name")
    check("--audio 'mic:System audio capture device'" in r.stdout,
          "the microphone's option, quoted for the shell")
    check("--audio-out 'speaker:System audio output device'" in r.stdout, "the speaker's option")
    check("Système de son : dummy" in r.stdout, "the sound system is named")

    fake = os.path.join(tmp, "dev-fake")
    os.mkdir(fake)
    for n in ("video0", "video1"):
        with open(os.path.join(fake, n), "w") as f:
            f.write("not a camera")
    os.symlink("/dev/null", os.path.join(fake, "video2"))
    r = run(["devices"], env(BILAN_V4L2_DIR=fake, SDL_AUDIODRIVER="dummy"))
    check(r.returncode == 0, "bilan devices exits 0 with non-camera nodes")
    check(r.stdout.count("pas une caméra qui filme") == 3, "each non-camera node is said to be one")
    check("--video" not in r.stdout, "no --video option offered for a node that is not a camera")
    check("Aucune caméra trouvée" in r.stdout, "still: no camera found")

    shim = os.environ.get("BILAN_FAKE_V4L2")
    if shim and os.path.exists(shim):
        # A pretend camera (tests/unit/media/fake_v4l2.c): /dev/zero answers V4L2.
        cam = os.path.join(tmp, "dev-cam")
        os.mkdir(cam)
        os.symlink("/dev/zero", os.path.join(cam, "video0"))
        os.symlink("/dev/null", os.path.join(cam, "video1"))
        pre = dict(LD_PRELOAD=shim, ASAN_OPTIONS="verify_asan_link_order=0", BILAN_V4L2_DIR=cam,
                   SDL_AUDIODRIVER="dummy")
        r = run(["devices"], env(**pre))
        check(r.returncode == 0 and f"{cam}/video0 : Fake Cam" in r.stdout, "a camera is listed with its name")
        check("YUYV : 640x480 1280x720" in r.stdout and "MJPEG : 1920x1080" in r.stdout,
              "its formats and sizes")
        check(f"à utiliser avec : --video {cam}/video0" in r.stdout, "with the option for bilan join")
        check("Aucune caméra" not in r.stdout and "occupée" not in r.stdout, "no advice when a camera is there")
        r = run(["devices"], env(FAKE_V4L2_BUSY="1", **pre))
        check("Fake Cam (occupée : une autre application l'utilise" in r.stdout, "a busy camera is said busy")
        r = run(["devices", "--format", "json"], env(**pre))
        c0 = json.loads(r.stdout)["cameras"][0]
        check(c0["state"] == "ok" and c0["value"] == f"{cam}/video0" and c0["formats"][0]["sizes"] == [[640, 480], [1280, 720]],
              "json: the camera, its value and sizes")
    else:
        print("  (no fake_v4l2 shim: the camera listing is checked by unit.media.devlist_fake_camera only)")

    r = run(["devices", "--format", "json"], env(BILAN_V4L2_DIR=fake, SDL_AUDIODRIVER="dummy"))
    check(r.returncode == 0, "--format json exits 0")
    doc = json.loads(r.stdout)
    check([c["state"] for c in doc["cameras"]] == ["not_camera"] * 3, "json: three not_camera nodes, in order")
    check([os.path.basename(c["path"]) for c in doc["cameras"]] == ["video0", "video1", "video2"],
          "json: nodes in number order")
    check(doc["microphones"][0]["value"] == "mic:System audio capture device"
          and doc["microphones"][0]["option"] == "--audio", "json: the microphone's option and value")
    check(doc["speakers"][0]["value"] == "speaker:System audio output device", "json: the speaker's value")

    r = run(["devices"], env(BILAN_V4L2_DIR=empty, SDL_AUDIODRIVER="no-such-driver"))
    check(r.returncode == 0 and "Le son ne démarre pas" in r.stdout and "pactl info" in r.stdout,
          "no sound system: said with what to do")

    en = dict(os.environ, LANG="en_US.UTF-8", BILAN_V4L2_DIR=empty, SDL_AUDIODRIVER="dummy")
    for k in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        en.pop(k, None)
    r = run(["devices"], en)
    check(r.returncode == 0 and "Cameras\n" in r.stdout and "No camera found: plug it in" in r.stdout
          and "use it with: --audio 'mic:System audio capture device'" in r.stdout and "é" not in r.stdout,
          "English when the locale asks")
    r = run(["devices", "--help"], env())
    check(r.returncode == 0 and r.stdout.startswith("Utilisation : bilan devices") and "Liste les caméras" in r.stdout,
          "--help in French")
    r = run(["devices", "--format", "xml"], env())
    check(r.returncode == 1 and "choisissez texte ou json" in r.stderr, "a bad --format: exit 1, in French")
    r = run(["--help"], env())
    check("devices" in r.stdout and "test-media" in r.stdout, "bilan --help lists both commands")


def t_sources():
    tmp = tmpdir("testmedia")
    out = os.path.join(tmp, "chime.wav")
    r = run(["test-media", "--video", "pattern", "--audio", "tone", "--audio-out", out, "--duration", "1"], env())
    check(r.returncode == 0, "pattern + tone + a .wav out: exit 0" +
          ("" if r.returncode == 0 else "\n" + r.stdout + r.stderr))
    check("Caméra pattern : 640x480" in r.stdout and "images par seconde" in r.stdout, "size and rate reported")
    check("L'image est bonne." in r.stdout, "the picture is judged good")
    check("Micro tone : son entendu" in r.stdout, "the tone is heard")
    check("Tout est prêt pour la séance." in r.stdout, "the summary says ready")
    check("Entendez-vous" not in r.stdout, "no question without a terminal")
    with wave.open(out) as w:
        check(w.getframerate() == 48000 and w.getnchannels() == 1, "the chime is 48 kHz mono")
        data = w.readframes(w.getnframes())
    s = list(struct.unpack(f"<{len(data) // 2}h", data))
    check(abs(len(s) - 72000) <= 960, "1.5 s of test sound written")
    check(-20 < rms_dbfs(s) < -12, f"the chime is at a sane level ({rms_dbfs(s):.1f} dBFS)")

    en = dict(os.environ, LANG="en_US.UTF-8")
    en.pop("LANGUAGE", None), en.pop("LC_ALL", None), en.pop("LC_MESSAGES", None)
    r = run(["test-media", "--video", "pattern", "--audio", "tone", "--audio-out", "none", "--duration", "1"], en)
    check(r.returncode == 0 and "Camera pattern: 640x480" in r.stdout
          and "Everything is ready for the session." in r.stdout and "é" not in r.stdout,
          "English when the locale asks" + ("" if r.returncode == 0 else "\n" + r.stdout))
    r = run(["test-media", "--video", "pattern", "--size", "320x240", "--audio", "tone:1000",
             "--audio-out", out, "--duration", "1", "--format", "json"], env())
    check(r.returncode == 0, "json run exits 0" + ("" if r.returncode == 0 else "\n" + r.stdout + r.stderr))
    doc = json.loads(r.stdout)
    check(doc["ok"] is True and doc["video"]["ok"] and doc["audio"]["ok"] and doc["speaker"]["ok"],
          "json: all ok")
    check(doc["video"]["width"] == 320 and doc["video"]["height"] == 240, "json: the size asked for")
    check(20 < doc["video"]["fps"] < 40, f"json: about 30 pictures per second ({doc['video']['fps']:.1f})")
    check(doc["video"]["frames"] >= 20, "json: pictures counted")
    check(doc["audio"]["max_dbfs"] > -20, "json: the tone's level")
    check(doc["speaker"]["heard"] is None, "json: nobody was asked")


def t_problems():
    tmp = tmpdir("testmedia-bad")
    black, quiet = os.path.join(tmp, "black.y4m"), os.path.join(tmp, "quiet.wav")
    write_y4m(black, 64, 48, 16)
    write_wav(quiet, [0] * 48000)
    r = run(["test-media", "--video", black, "--size", "64x48", "--audio", quiet, "--audio-out", "none",
             "--duration", "1"], env())
    check(r.returncode == 1, "black still picture and silent microphone: exit 1" +
          ("" if r.returncode == 1 else "\n" + r.stdout + r.stderr))
    check("Image noire ou trop sombre" in r.stdout, "the black picture is reported, with advice")
    check("L'image ne bouge pas" in r.stdout, "the still picture is reported frozen")
    check("aucun son entendu : vérifiez que le micro n'est pas coupé" in r.stdout, "the silent microphone, with advice")
    check("À corriger avant la séance" in r.stdout, "the summary says what to do")
    r = run(["test-media", "--video", black, "--size", "64x48", "--audio", quiet, "--audio-out", "none",
             "--duration", "1", "--format", "json"], env())
    doc = json.loads(r.stdout)
    check(r.returncode == 1 and doc["ok"] is False, "json: not ok, exit 1")
    check(doc["video"]["dark"] and doc["video"]["frozen"] and doc["video"]["mean_luma"] < 20, "json: dark and frozen")
    check(doc["audio"]["heard"] is False and doc["speaker"] is None, "json: not heard; speaker not tried")

    # A dim but visible picture that moves is fine; a quiet voice is heard.
    dim, voice = os.path.join(tmp, "dim.y4m"), os.path.join(tmp, "voice.wav")
    with open(dim, "wb") as f:
        f.write(b"YUV4MPEG2 W64 H48 F30:1 Ip A1:1 C420jpeg\n")
        for i in range(6):
            f.write(b"FRAME\n" + bytes([60 + i * 4]) * (64 * 48) + bytes([128]) * (64 * 48 // 2))
    write_wav(voice, tone(1, 300, -45))
    r = run(["test-media", "--video", dim, "--size", "64x48", "--audio", voice, "--audio-out", "none",
             "--duration", "1", "--format", "json"], env())
    doc = json.loads(r.stdout)
    check(r.returncode == 0 and doc["video"]["ok"] and doc["audio"]["heard"],
          "a dim moving picture and a quiet voice pass" + ("" if r.returncode == 0 else "\n" + r.stdout))

    empty = os.path.join(tmp, "dev-empty")
    os.mkdir(empty)
    r = run(["test-media", "--audio", "tone", "--audio-out", "none", "--duration", "1"],
            env(BILAN_V4L2_DIR=empty))
    check(r.returncode == 1 and "Aucune caméra trouvée" in r.stdout, "no camera: exit 1, with advice")
    r = run(["test-media", "--video", "/dev/video7", "--audio", "none", "--audio-out", "none", "--duration", "1"],
            env())
    check(r.returncode == 1 and "/dev/video7" in r.stdout and "introuvable" in r.stdout,
          "a camera that is not there is named")
    r = run(["test-media", "--video", "none", "--audio", "none", "--audio-out", os.path.join(tmp, "no", "x.wav")],
            env())
    check(r.returncode == 1 and "Haut-parleur" in r.stdout, "a sound that cannot be played: exit 1")
    r = run(["test-media", "--duration", "0"], env())
    check(r.returncode == 1 and "de 1 à 60" in r.stderr, "--duration 0 refused in French")
    r = run(["test-media", "--help"], env())
    check(r.returncode == 0 and r.stdout.startswith("Utilisation : bilan test-media")
          and "Essaie la caméra, le micro et le haut-parleur" in r.stdout, "--help in French")


def read_raw(path):
    with open(path, "rb") as f:
        data = f.read()
    return list(struct.unpack(f"<{len(data) // 2}h", data[: len(data) // 2 * 2]))


def t_disk():
    tmp = tmpdir("testmedia-disk")
    mic, spk = os.path.join(tmp, "mic.raw"), os.path.join(tmp, "speaker.raw")
    with open(mic, "wb") as f:
        f.write(struct.pack(f"<{48000 * 4}h", *tone(4, 300, -30)))
    e = env(SDL_AUDIODRIVER="disk", SDL_DISKAUDIOFILEIN=mic, SDL_DISKAUDIOFILE=os.path.join(tmp, "unused.raw"))
    r = run(["test-media", "--video", "none", "--audio", "default", "--audio-out", "speaker:" + spk,
             "--duration", "1", "--format", "json"], e)
    check(r.returncode == 0, "disk driver: microphone heard and sound played: exit 0" +
          ("" if r.returncode == 0 else "\n" + r.stdout + r.stderr))
    doc = json.loads(r.stdout)
    check(doc["audio"]["heard"] and -33 < doc["audio"]["max_dbfs"] < -27,
          f"the microphone's file is heard at its level ({doc['audio']['max_dbfs']:.1f} dBFS)")
    check(os.path.exists(spk), "speaker:NAME opened the named device (the disk driver's file)")
    s = read_raw(spk)
    loud = [i for i, v in enumerate(s) if abs(v) > 1000]
    check(len(loud) > 0, "the speaker received sound")
    played = s[loud[0]: loud[-1] + 1]
    check(abs(len(played) - 72000) < 4800, f"about 1.5 s played ({len(played) / 48000:.2f} s)")
    half = len(played) // 2
    f1, f2 = crossings_hz(played[1000: half - 1000]), crossings_hz(played[half + 1000: -1000])
    check(abs(f1 - 660) < 20 and abs(f2 - 880) < 20, f"the two notes of the chime were played ({f1:.0f}, {f2:.0f} Hz)")

    # Silence on the microphone: not heard, exit 1.
    with open(mic, "wb") as f:
        f.write(bytes(48000 * 2 * 3))
    r = run(["test-media", "--video", "none", "--audio", "default", "--audio-out", "none", "--duration", "1"], e)
    check(r.returncode == 1 and "aucun son entendu" in r.stdout, "a silent microphone file: not heard, exit 1")


def t_interactive():
    tmp = tmpdir("testmedia-tty")
    quiet = os.path.join(tmp, "quiet.wav")
    write_wav(quiet, [0] * 48000)
    out = os.path.join(tmp, "chime.wav")
    p = PtyProc([CLIENT_BIN, "test-media", "--video", "pattern", "--audio", "tone", "--audio-out", out,
                 "--duration", "1"], env=env())
    p.wait_line(r"Entendez-vous le son \? \(o/n\)")
    raw = p.raw().decode("utf-8", "replace")
    check("\r\x1b[K  Micro [" in raw and "je vous entends" in raw, "the meter is drawn in place at a terminal")
    p.type("o\n")
    check(p.wait_exit() == 0, "answer o: exit 0")
    p.wait_line(r"Haut-parleur .* : son entendu\.")
    p.wait_line(r"Tout est prêt pour la séance\.")

    p = PtyProc([CLIENT_BIN, "test-media", "--video", "none", "--audio", quiet, "--audio-out", out,
                 "--duration", "1"], env=env())
    p.wait_line(r"Entendez-vous le son \? \(o/n\)")
    check("parlez pour tester votre micro" in p.raw().decode("utf-8", "replace"),
          "a silent microphone: the meter asks to speak")
    for i in range(3):
        wait_count(p, r"Entendez-vous le son", i + 1)
        p.type("n\n")
        if i < 2:
            wait_count(p, r"Montez le volume", i + 1)
    check(p.wait_exit() == 1, "answer n three times: exit 1")
    p.wait_line(r"son joué mais pas entendu : vérifiez le volume")

    # Ctrl-C during the test: stops at once, clears the meter, reports, exit 1.
    p = PtyProc([CLIENT_BIN, "test-media", "--video", "pattern", "--audio", "tone", "--audio-out", out,
                 "--duration", "60"], env=env())
    wait_count(p, r"Essai pendant 60 secondes", 1)
    end = time.monotonic() + DEADLINE
    while "je vous entends" not in p.raw().decode("utf-8", "replace"):
        if time.monotonic() > end or p.p.poll() is not None:
            raise TestFailure("the meter never heard the tone\n" + p.dump())
        time.sleep(0.05)
    t0 = time.monotonic()
    p.signal(signal.SIGINT)
    check(p.wait_exit() == 1, "Ctrl-C: exit 1")
    check(time.monotonic() - t0 < 10, "Ctrl-C stops the test at once, not after 60 s")
    p.wait_line(r"^Essai interrompu\.$")
    p.wait_line(r"Caméra pattern : 640x480")


def t_fake_camera():
    """test-media through the client's real V4L2 code, on the pretend camera
    (tests/unit/media/fake_v4l2.c: /dev/video42 opens /dev/zero, which then
    streams YUYV like a driver)."""
    shim = os.environ.get("BILAN_FAKE_V4L2")
    if not shim or not os.path.exists(shim):
        raise TestSkipped("no fake_v4l2 shim (BILAN_FAKE_V4L2)")
    pre = dict(LD_PRELOAD=shim, ASAN_OPTIONS="verify_asan_link_order=0", FAKE_V4L2_PATH="/dev/video42")
    args = ["test-media", "--video", "/dev/video42", "--audio", "none", "--audio-out", "none", "--duration", "2"]
    r = run(args + ["--format", "json"], env(**pre))
    doc = json.loads(r.stdout) if r.stdout.startswith("{") else {}
    check(r.returncode == 0 and doc.get("ok") is True, "a working camera passes" +
          ("" if r.returncode == 0 else "\n" + r.stdout + r.stderr))
    v = doc["video"]
    check((v["width"], v["height"]) == (640, 480), "at the size asked for")
    check(25 < v["fps"] < 35, f"at the camera's pace, about 30 pictures per second ({v['fps']:.1f})")
    check(v["frames"] >= 40 and not v["dark"] and not v["frozen"] and v["mean_luma"] > 60,
          f"a moving, lit picture ({v['frames']} pictures, mean luma {v['mean_luma']:.0f})")
    r = run(args, env(FAKE_V4L2_BLACK="1", **pre))
    check(r.returncode == 1 and "Image noire ou trop sombre" in r.stdout and "L'image ne bouge pas" in r.stdout,
          "a camera giving black pictures: dark and frozen, exit 1")
    r = run(args, env(FAKE_V4L2_BUSY="1", **pre))
    check(r.returncode == 1 and "la caméra est déjà utilisée par un autre programme" in r.stdout,
          "a busy camera: said, with what to do, exit 1")


if __name__ == "__main__":
    run_tests({"listing": t_listing, "sources": t_sources, "problems": t_problems, "disk": t_disk,
               "interactive": t_interactive, "fake_camera": t_fake_camera})
