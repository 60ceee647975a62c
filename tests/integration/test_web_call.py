#!/usr/bin/env python3
"""test_web_call.py: the call and the hours in the browser room, end to end
(issue 12, "call"): the real bilan-server, a native consultant (`bilan join
--headless --video pattern --audio tone --video-out --stats`) and the
browser beneficiary in headless Chromium with its fake camera and
microphone, through the room page (app.js, call_room.js, hours_room.js).

- meet: both sides show the same code (Oui on the page, --confirm-sas on the
  native side); media flows both ways, sealed: the page decodes the native
  pattern and its canvas shows the pattern's colours at the picture number
  it drew (compared point by point with media_ref's reference pictures),
  the worklet plays the tone; the native side decodes the browser's video
  (its --stats) and its .y4m holds 640x480 pictures of Chromium's fake
  camera (a green disc on a dark ground: compared with the page's own
  camera picture); the microphone button (and the M key) stops the audio
  and says so, the camera button (and the C key) the pictures, which come
  back from a keyframe; the page's binary frames are all sealed (SFrame, no
  plaintext Opus/VP8 payload sizes).
- session: the consultant opens a session (--open-session investigation)
  and closes it (--close-session); the page shows the hours in h:mm and the
  session's phase and timer, keeps the observation in IndexedDB, signs the
  record (received_audio_ms from decoded audio); `bilan-server receipts`
  exports it and `bilan receipt verify` finds both signatures valid
  (exit 0), the page's with the code verified.
- words: the call and hours panels in French (a French browser); hours_room.js
  alone in the page, fed the server's §9 messages: the
  hours in h:mm, the phase in French, both budget warnings, a session ended,
  a malformed record refused in plain words (nothing signed), messages
  of another bilan ignored, hostile fields never thrown.
- private: a chat marker sent from the page reaches the native consultant
  but appears in none of the WebSocket messages the page sent or received
  (what the server received from it and sent to it: Chromium's own record)
  nor in any file of the server's data directory; the invite secret is in
  no HTTP request and no WebSocket message.

- reconnect: the server killed in the middle of the call and restarted on
  the same port and data: the page and the native consultant come back by
  themselves and the call resumes both ways.
- other_browser: the page in a Chromium without MediaStreamTrackProcessor
  (as Firefox and Safari): the call panel says from the start that this
  browser cannot send picture and sound and which browsers can; no device
  is asked for, the buttons are disabled, the native side's picture and
  sound are decoded all the same. Then without the decoders too: the panel
  says the call is not possible here, the call never starts, and a chat
  message still reaches the native side.

Run one scenario: test_web_call.py NAME; all: test_web_call.py.
"""
import base64
import json
import os
import re
import signal
import subprocess
import time

from harness import TestFailure, check, run_tests
from test_web_media import expected_rgb, flat_at, page_errors, y4m_frames
from web_scene import WebScene

MEDIA_REF = os.environ.get("BILAN_MEDIA_REF", "media_ref")
JOINED = r"^\[room\] joined bilan=\S+ slot=(\d) role=consultant"
CODE = r"^\[e2e\] slot=(\d) code=(\d{3} \d{3})"
SID = r"([A-Za-z0-9_-]{1,64})"
PATTERN_PERIOD = 320      # vsrc_pattern.c: 2 px a frame over 640 px, the counter aside


def scene(name):
    return WebScene(name, browser_args=("--lang=fr-FR", "--accept-lang=fr-FR,fr"))


def native_args(s, tag, *extra):
    return ["join", s.bilan, "--headless", "--confirm-sas", "--video", "pattern", "--audio", "tone",
            "--video-out", os.path.join(s.tmp, f"{tag}.y4m"), "--stats", os.path.join(s.tmp, f"{tag}.json"),
            "--timeout", "150", *extra]


def meet(s, pa, click_yes=True):
    """Opens the page, checks the code on both sides, answers Oui; the page."""
    pa.wait_line(JOINED)
    page = s.open_room()
    page.wait("globalThis.bilanRoom && bilanRoom.state() === 'in_room'", what="the page is in the room")
    shown = page.wait("!document.getElementById('code').hidden && "
                      "document.getElementById('code-chiffres').textContent", what="the page shows a code")
    native = pa.wait_line(CODE).group(2)
    check(re.fullmatch(r"\d{3} \d{3}", shown) is not None and shown == native,
          f"the page and the native client show the same code ({shown} / {native})")
    if click_yes:
        page.eval("document.getElementById('code-oui').click()")
        pa.wait_line(r"^\[e2e\] slot=\d verified$")
        page.wait("bilanRoom.peers().length === 1 && bilanRoom.peers()[0].verified", what="the page verified")
    return page


def call_stats(page):
    return page.eval("bilanRoom.call()")


def wait_call(page, cond, what, timeout=60):
    try:
        return page.wait(f"(() => {{ const c = bilanRoom.call(); const m = c && c.media; "
                         f"const r = m && Object.values(m.recv.slots)[0]; return {cond}; }})()",
                         timeout=timeout, what=what)
    except TestFailure as e:
        raise TestFailure(f"{e}\ncall: {json.dumps(call_stats(page))[:3000]}")


# Canvas samples taken in one task: the pixels and the picture number they show.
SAMPLE = r"""
(() => {
  const c = document.getElementById('video-autre');
  const g = c.getContext('2d', { willReadFrequently: true });
  const d = bilanRoom.call().media.lastDrawn;
  const px = [];
  for (const y of [150, 250, 330]) for (let x = 8; x < 640; x += 16)
    px.push([x, y, ...Array.from(g.getImageData(x, y, 1, 1).data.slice(0, 3))]);
  return { picture: d.picture, w: c.width, h: c.height, px };
})()
"""

# The page's own camera (Chromium's fake device), as a coarse luma/chroma map.
SELF_MAP = r"""
(() => {
  const v = document.getElementById('video-moi');
  const c = document.createElement('canvas'); c.width = 640; c.height = 480;
  const g = c.getContext('2d', { willReadFrequently: true });
  g.drawImage(v, 0, 0, 640, 480);
  const d = g.getImageData(0, 0, 640, 480).data;
  const cells = [];
  for (let gy = 0; gy < 6; gy++) for (let gx = 0; gx < 8; gx++) {
    let r = 0, gg = 0, b = 0, n = 0;
    for (let y = gy * 80 + 10; y < gy * 80 + 70; y += 4) for (let x = gx * 80 + 10; x < gx * 80 + 70; x += 4) {
      const i = (y * 640 + x) * 4; r += d[i]; gg += d[i + 1]; b += d[i + 2]; n++; }
    cells.push([r / n, gg / n, b / n]);
  }
  return { w: v.videoWidth, h: v.videoHeight, cells };
})()
"""


def yuv_cells(frame, w, h):
    """The same 8x6 map of a 4:2:0 picture, in RGB (BT.601 video range)."""
    cells = []
    for gy in range(6):
        for gx in range(8):
            acc = [0, 0, 0]
            n = 0
            for y in range(gy * 80 + 10, gy * 80 + 70, 4):
                for x in range(gx * 80 + 10, gx * 80 + 70, 4):
                    rgb = expected_rgb(frame, w, h, x, y)
                    for k in range(3):
                        acc[k] += rgb[k]
                    n += 1
            cells.append([a / n for a in acc])
    return cells


def compare_canvas(s, samples):
    ref = os.path.join(s.tmp, "ref.y4m")
    subprocess.run([MEDIA_REF, "video", "pattern", "640", "480", str(PATTERN_PERIOD), ref], check=True, timeout=120)
    rw, rh, ref_frames = y4m_frames(ref)
    matched = compared = worst = 0
    for smp in samples:
        ref_f = ref_frames[smp["picture"] % PATTERN_PERIOD]
        for x, y, r, g, b in smp["px"]:
            if not flat_at(ref_f, rw, rh, x, y):
                continue
            exp = expected_rgb(ref_f, rw, rh, x, y)
            d = max(abs(r - exp[0]), abs(g - exp[1]), abs(b - exp[2]))
            worst = max(worst, d)
            compared += 1
            matched += d <= 24
    os.unlink(ref)
    return matched, compared, worst


def t_meet():
    s = scene("web-call-meet")
    ok = False
    pa = None
    try:
        pa = s.consultant.spawn(*native_args(s, "native", "--duration", "30"))
        page = meet(s, pa)
        wait_call(page, "c.started && c.got && c.got.camera && c.got.microphone",
                  "the page opened the fake camera and microphone once the keys were there")
        wait_call(page, "r && r.video.decoded >= 60 && r.audio.decoded >= 100 && m.lastDrawn && m.lastDrawn.width === 640",
                  "the page decodes the native pattern and tone (2 s at least)")
        samples = []
        for _ in range(8):
            samples.append(page.eval(SAMPLE))
            page.wait(f"bilanRoom.call().media.lastDrawn.picture !== {samples[-1]['picture']}", what="a new picture")
        check(all((x["w"], x["h"]) == (640, 480) for x in samples), "the canvas shows 640x480 pictures")
        matched, compared, worst = compare_canvas(s, samples)
        print(f"measure: {compared} canvas points against media_ref's pattern, worst channel difference {worst}")
        check(compared >= 100 and matched == compared,
              f"the page's canvas shows the native pattern's colours at the picture it drew ({matched}/{compared})")
        page.wait("(() => { const p = Object.values(bilanRoom.call().media.recv.slots)[0].audio.playout; "
                  "return p && p.played > 0; })()", what="the worklet plays the native tone")
        self_map = page.wait(f"(() => {{ const m = {SELF_MAP}; return m.w === 640 && m; }})()",
                             what="the page's own camera picture (the small mirrored video)")
        check(page.eval("getComputedStyle(document.getElementById('video-moi')).transform") ==
              "matrix(-1, 0, 0, 1, 0, 0)", "the page's own picture is mirrored")
        # The microphone button: state written out, audio stops, and comes back.
        st0 = call_stats(page)
        check(page.eval("document.getElementById('micro-etat').textContent") == "Micro ouvert" and
              page.eval("document.getElementById('camera-etat').textContent") == "Caméra allumée",
              "the microphone and camera states are written out")
        page.eval("document.getElementById('micro').click()")
        check(page.eval("[document.getElementById('micro-etat').textContent, "
                        "document.getElementById('micro').getAttribute('aria-pressed')]") == ["Micro coupé", "true"],
              "Couper le micro: « Micro coupé », the button pressed")
        a0 = page.eval("bilanRoom.call().media.send.audioPackets")
        v0 = page.eval("bilanRoom.call().media.send.framesEncoded")
        page.wait(f"bilanRoom.call().media.send.framesEncoded >= {v0} + 20", what="a second of video while muted")
        a1 = page.eval("bilanRoom.call().media.send.audioPackets")
        check(a1 - a0 <= 2, f"no audio is encoded while the microphone is muted ({a1 - a0} packets)")
        page.eval("document.body.dispatchEvent(new KeyboardEvent('keydown', {key: 'm', bubbles: true}))")
        check(page.eval("document.getElementById('micro-etat').textContent") == "Micro ouvert",
              "the M key opens the microphone again")
        page.wait(f"bilanRoom.call().media.send.audioPackets >= {a1} + 25", what="audio flows again after M")
        # The camera button: the same, and the picture comes back with a keyframe.
        page.eval("document.getElementById('camera').click()")
        check(page.eval("[document.getElementById('camera-etat').textContent, "
                        "document.getElementById('camera').getAttribute('aria-pressed')]") == ["Caméra coupée", "true"],
              "Couper la caméra: « Caméra coupée », the button pressed")
        snd = page.eval("bilanRoom.call().media.send")
        page.wait(f"bilanRoom.call().media.send.audioPackets >= {snd['audioPackets']} + 50",
                  what="a second of audio while the camera is off")
        snd2 = page.eval("bilanRoom.call().media.send")
        check(snd2["framesEncoded"] - snd["framesEncoded"] <= 2,
              f"no picture is encoded while the camera is off ({snd2['framesEncoded'] - snd['framesEncoded']})")
        n_sent = len(s.browser.events("Network.webSocketFrameSent", page.session))
        page.eval("document.body.dispatchEvent(new KeyboardEvent('keydown', {key: 'c', bubbles: true}))")
        check(page.eval("document.getElementById('camera-etat').textContent") == "Caméra allumée",
              "the C key turns the camera on again")
        page.wait(f"bilanRoom.call().media.send.framesEncoded >= {snd2['framesEncoded']} + 10",
                  what="pictures again")
        # The routing header is in clear (§4): byte 1 the kind (2: video), byte 2 the flags (1: keyframe).
        after = [base64.b64decode(e["params"]["response"]["payloadData"])
                 for e in s.browser.events("Network.webSocketFrameSent", page.session)[n_sent:]
                 if e["params"]["response"].get("opcode") == 2]
        video = [f for f in after if f[1] == 2]
        check(video and video[0][2] & 1, "the first picture after the camera comes back is a keyframe")
        check(st0["counts"]["sealFailed"] == 0 and st0["counts"]["sent"] > 100,
              f"every media payload was sealed and sent ({st0['counts']})")
        # The page's binary frames are SFrame-sealed: header, then KID/CTR, then ciphertext + tag.
        frames = [base64.b64decode(e["params"]["response"]["payloadData"])
                  for e in s.browser.events("Network.webSocketFrameSent", page.session)
                  if e["params"]["response"].get("opcode") == 2]
        audio = [f for f in frames if f[1] == 1]
        check(len(audio) > 20, f"the page sent {len(audio)} audio frames")
        # Opus CBR at 32 kbit/s is 80 bytes: sealed, each is header 16 + 80 + SFrame overhead.
        check(all(len(f) > 16 + 80 for f in audio), "every audio frame is longer than header + Opus (sealed)")
        rc = pa.wait_exit(120)
        check(rc == 0, f"the native consultant left after its 30 s ({rc})")
        pa = None
        with open(os.path.join(s.tmp, "native.json")) as f:
            st = json.load(f)
        slots = st["media"]["receive"].get("slots", [])
        check(len(slots) == 1, f"the native side received from one member ({len(slots)})")
        rv = slots[0]["video"]
        print(f"measure: native receive from the browser: {json.dumps(slots[0])[:800]}")
        # Counts, not rates: this machine may be loaded (Chromium's capture then slows down).
        check(rv["decoded"] >= 50 and rv.get("width", 640) == 640,
              f"the native side decoded the browser's video ({rv['decoded']} frames)")
        check(slots[0]["audio"]["frames"] >= 100, f"the native side got the browser's audio ({slots[0]['audio']['frames']})")
        w, h, frames = y4m_frames(os.path.join(s.tmp, "native.y4m"))
        check((w, h) == (640, 480), f"the native .y4m holds 640x480 pictures ({w}x{h})")
        last = frames[-1]
        # Chromium's fake camera against what the native side recorded: the
        # same coarse map (the animation moves little at this scale): a green
        # ground (about RGB 0,135,0), a brighter disc in the middle.
        cells = yuv_cells(last, w, h)
        green = sum(c[1] for c in cells) / len(cells)
        check(green > 100 and all(c[0] < 100 and c[2] < 100 for c in cells),
              f"the last picture the native side recorded is the fake camera's green, not black (mean G {green:.0f})")
        # The disc's mouth turns: the best of the last pictures against the page's one.
        best = None
        for fr in frames[-45:]:
            diffs = [max(abs(a - b) for a, b in zip(c1, c2)) for c1, c2 in zip(yuv_cells(fr, w, h), self_map["cells"])]
            if best is None or sum(d > 40 for d in diffs) < sum(d > 40 for d in best):
                best = diffs
        far = sum(d > 40 for d in best)
        print(f"measure: 8x6 map, native .y4m against the page's camera: median channel difference "
              f"{sorted(best)[len(best) // 2]:.0f}, cells over 40: {far}")
        check(far <= 4, f"the native side's pictures are the browser's fake camera ({far} of 48 cells differ)")
        # Quitter la salle: the camera and microphone close (their lights go off).
        page.eval("document.getElementById('quitter').click()")
        page.wait("bilanRoom.call().started === false", what="the call stops when the person leaves")
        check(page.eval("[document.getElementById('appel-etat').textContent, "
                        "document.getElementById('micro-etat').textContent, "
                        "document.getElementById('camera-etat').textContent]") ==
              ["Appel terminé : la caméra et le micro sont fermés.", "Micro coupé", "Caméra coupée"],
              "leaving closes the camera and the microphone, and says so")
        check(not page_errors(page), f"no console error ({page_errors(page)[:3]})")
        ok = True
    finally:
        if pa:
            pa.kill()
        s.close(ok)


def t_session():
    s = scene("web-call-session")
    ok = False
    pa = None
    try:
        pa = s.consultant.spawn(*native_args(s, "native", "--duration", "20", "--open-session", "investigation",
                                             "--close-session"))
        page = meet(s, pa)
        sid = pa.wait_line(rf"^\[hours\] session={SID} opened phase=investigation$").group(1)
        page.wait("bilanRoom.hours() && bilanRoom.hours().open", what="the page sees the session open")
        text = page.wait("(() => { const t = document.getElementById('heures-seance').textContent; "
                         "return /^Séance en cours \\(phase d'investigation\\) depuis 0:00:0[2-9]\\.$/.test(t) && t; })()",
                         what="the session's phase and a running timer")
        check(True, f"the page shows « {text} »")
        total = page.wait("(() => { const t = document.getElementById('heures-total').textContent; "
                          "return /^Heures utilisées : 0:0\\d sur 16:00\\. Il reste 1[56]:\\d\\d\\.$/.test(t) && t; })()",
                          what="the hours used and left in h:mm")
        check(True, f"the page shows « {total} »")
        kept = page.wait(f"import('/web/store.js').then((st) => st.get('observations', bilanRoom.bilan() + '/{sid}'))"
                         f".then((o) => o && o.session === '{sid}' && o)", what="the observation kept in IndexedDB")
        check(kept["session"] == sid, "the session's observation is kept in IndexedDB (store 'observations')")
        pa.wait_line(rf"^\[hours\] session={sid} closed face_to_face=\d+:\d\d:\d\d reason=closed$", timeout=90)
        rec = page.wait("(() => { const r = bilanRoom.hours().receipts; return r.length && r; })()",
                        what="the page answered the session record")
        check(rec == [{"session": sid, "signed": True, "reason": None}], f"the page signed the record ({rec})")
        check(page.eval("document.getElementById('heures-releve').textContent") ==
              "Relevé de la séance vérifié et signé par cet appareil.", "and says so")
        check(page.eval("document.getElementById('heures-seance').textContent").startswith("Séance terminée : "),
              "the page says the session ended")
        audio_ms = page.eval("bilanRoom.hours().audioMs")
        check(audio_ms is not None and audio_ms >= 5000, f"received_audio_ms counted from decoded audio ({audio_ms} ms)")
        pa.wait_line(rf"^\[receipt\] session={sid} signed$")
        rc = pa.wait_exit(120)
        check(rc == 0, f"the native consultant closed the session, signed and left ({rc})")
        pa = None
        out = os.path.join(s.tmp, "receipts")
        os.makedirs(out, exist_ok=True)
        s.server.admin("receipts", s.bilan, "--out", out)
        path = os.path.join(out, f"{sid}.json")
        check(os.path.exists(path), f"bilan-server receipts wrote {sid}.json")
        r = s.consultant.run("receipt", "verify", path)
        signers = re.findall(r"^  signé par ([0-9a-f]{16}) \(audio reçu (\d+:\d\d:\d\d), code vérifié : (\w+)\) : VALIDE$",
                             r.stdout, re.M)
        if r.returncode != 0 or len({x[0] for x in signers}) != 2:
            raise TestFailure(f"receipt verify: rc={r.returncode}\n{r.stdout}\n{r.stderr}")
        check(True, f"bilan receipt verify: exit 0, both devices signed ({signers})")
        check(all(x[2] == "oui" for x in signers), "both say the code was verified")
        check(all(x[1] != "0:00:00" for x in signers), "both attest audio received from the other")
        check(not page_errors(page), f"no console error ({page_errors(page)[:3]})")
        ok = True
    finally:
        if pa:
            pa.kill()
        s.close(ok)


def t_private():
    s = scene("web-call-private")
    ok = False
    pa = None
    marker = "marqueur-" + base64.b32encode(os.urandom(10)).decode().lower()
    try:
        secret = s.link.split("#", 1)[1].split(".")[0]
        pa = s.consultant.spawn(*native_args(s, "native", "--expect-chat", "1", "--duration", "12"))
        page = meet(s, pa)
        wait_call(page, "r && r.video.decoded >= 30", "the call runs")
        page.wait("!document.getElementById('message').disabled", what="the chat opens")
        page.eval(f"(() => {{ const i = document.getElementById('message'); i.value = '{marker}';"
                  " document.getElementById('envoi').requestSubmit(); return 1; })()")
        pa.wait_line(rf"^\[chat\] slot=\d: {marker}$")
        check(True, "the native consultant got the page's marker (the positive control)")
        rc = pa.wait_exit(120)
        check(rc == 0, f"the native consultant left ({rc})")
        pa = None
        needle, needle_b = marker, marker.encode()
        sent = s.browser.events("Network.webSocketFrameSent", page.session)
        got = s.browser.events("Network.webSocketFrameReceived", page.session)
        n_bin = 0
        for e in sent + got:
            r = e["params"]["response"]
            data = r.get("payloadData", "")
            if r.get("opcode") == 2:
                n_bin += 1
                raw = base64.b64decode(data)
                if needle_b in raw:
                    raise TestFailure("the marker is in a binary WebSocket frame")
            elif needle in data:
                raise TestFailure("the marker is in a WebSocket text message")
            if secret in data:
                raise TestFailure("the invite secret is in a WebSocket message")
        check(n_bin > 50, f"none of {len(sent) + len(got)} WebSocket messages ({n_bin} binary) holds the "
                           "marker or the secret")
        s.server.stop()
        files = 0
        for root, _, names in os.walk(s.server.data):
            for n in names:
                with open(os.path.join(root, n), "rb") as f:
                    blob = f.read()
                files += 1
                if needle_b in blob or secret.encode() in blob:
                    raise TestFailure(f"the marker or the secret is in the server's {n}")
        check(files >= 1, f"none of the server's {files} data files holds the marker or the secret")
        reqs = page.requests()
        check(reqs and all(secret not in u and secret not in json.dumps(h) for _, u, h in reqs),
              f"none of the page's {len(reqs)} HTTP requests carries the invite secret")
        check(all(marker not in l and secret not in l for l in page.console()), "nor any console line")
        ok = True
    finally:
        if pa:
            pa.kill()
        s.close(ok)


WORDS_JS = r"""
(async () => {
  const { HoursRoom } = await import('/web/hours_room.js');
  const { loadIdentity } = await import('/web/identity.js');
  const B = await import('/web/bytes.js');
  const id = await loadIdentity();
  const sent = [];
  const box = document.createElement('div'); document.body.appendChild(box);
  const anchor = document.createElement('p'); box.appendChild(anchor);
  const h = new HoursRoom({ identity: id, conn: () => ({ sendJson: (m) => sent.push(m), clockRoundTrip: () => 12 }),
                            e2e: () => null });
  h.mount(anchor);
  const me = B.b64u(id.fp);
  await h.joined('b1', 1, [{ slot: 1, device: me, role: 'beneficiary' }]);
  const out = {};
  const snap = (k) => { out[k] = h.stats().text; };
  await h.onControl({ type: 'hours_update', bilan: 'b1', face_to_face_ms: 3 * 3600000 + 5 * 60000 + 31000,
    budget_s: 16 * 3600, remaining_ms: 12 * 3600000 + 54 * 60000 + 29000, session: 's1', phase: 'conclusion',
    session_elapsed_ms: 65000, session_face_to_face_ms: 60000 });
  snap('hours');
  await h.onControl({ type: 'budget_warning', bilan: 'b1', level: 80, face_to_face_ms: 46080000, budget_s: 57600 });
  snap('w80');
  await h.onControl({ type: 'budget_warning', bilan: 'b1', level: 100, face_to_face_ms: 57600000, budget_s: 57600 });
  snap('w100');
  out.other = await h.onControl({ type: 'hours_update', bilan: 'b2', face_to_face_ms: 1, budget_s: 1, remaining_ms: 0 });
  snap('afterOther');
  await h.onControl({ type: 'session_closed', bilan: 'b1', session: 's1', end_ms: Date.now(), face_to_face_ms: 3723000 });
  snap('closed');
  const rec = { v: 1, bilan: 'b1', session: 's9', phase: 'conclusion', start_ms: 1, end_ms: 2, face_to_face_ms: 1,
                participants: ['AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'], journal_sha256: 'x' };
  await h.onControl({ type: 'session_record', bilan: 'b1', record: rec });
  snap('record');
  let threw = null;
  for (const bad of [{ type: 'hours_update', bilan: 'b1', face_to_face_ms: 'x', budget_s: null, session: 7 },
                     { type: 'session_record', bilan: 'b1', record: 'nope' },
                     { type: 'budget_warning', bilan: 'b1', level: {}, face_to_face_ms: -5 }]) {
    try { await h.onControl(bad); } catch (e) { threw = String(e && e.name); }
  }
  out.threw = threw;
  out.sent = sent.map((m) => m.type);
  return out;
})()
"""


def t_reconnect():
    """The server killed (kill -9) in the middle of the call and restarted on
    the same port and data: the page and the native consultant both come
    back by themselves, and the call resumes both ways (the page decodes and
    plays the consultant again; the native side's timeline after the return
    holds the page's sound and pictures)."""
    s = scene("web-call-reconnect")
    ok = False
    pa = None
    try:
        pa = s.consultant.spawn(*native_args(s, "native"))
        page = meet(s, pa)
        wait_call(page, "r && r.video.decoded >= 30 && r.audio.decoded >= 50 && c.media.send.audioPackets >= 50",
                  "the call runs both ways")
        port = s.server.port
        s.server.stop(signal.SIGKILL)
        page.wait("document.getElementById('etat').textContent === 'Reconnexion…'", timeout=15,
                  what="the page says it reconnects")
        s.server.start(port=port)
        pa.wait_line(r"^\[room\] reconnected$", timeout=60)
        page.wait("globalThis.bilanRoom && bilanRoom.state() === 'in_room' && bilanRoom.welcomes().length === 2",
                  timeout=60, what="the page is back in the room")
        t_back = time.time()
        media = call_stats(page)["media"]
        check(media is not None, "the call's media survived the lost link (kept for a quick return)")
        sent0 = media["send"]["audioPackets"]
        # After the return the others' streams start again from nothing (media.joined()).
        wait_call(page, "r && r.video.decoded >= 40 && r.audio.decoded >= 100 && r.audio.playout && "
                  f"r.audio.playout.played > 0 && c.media.send.audioPackets >= {sent0} + 300",
                  "the page decodes and plays the consultant again, and sends 6 s of sound", timeout=90)
        pa.signal(signal.SIGINT)
        check(pa.wait_exit() == 0, "the native consultant leaves cleanly")
        pa = None
        with open(os.path.join(s.tmp, "native.json")) as f:
            st = json.load(f)
        played = frames = 0
        for r in st["media"]["receive"].get("slots", []):
            pts = [x for x in r.get("timeline", []) if x["t"] >= t_back + 1]
            played = max(played, sum(x["audio"]["played"] for x in pts))
            frames = max(frames, sum(len(x["video"]["latency_ms"]) for x in pts))
        print(f"measure: after the return the native side played {played} audio packets and showed {frames} pictures")
        check(played >= 50 and frames >= 10, "the native consultant hears and sees the page again after the return")
        check(page.eval("bilanRoom.refused()") == 0, "no message was refused on the way")
        ok = True
    finally:
        if pa and pa.p.poll() is None:
            pa.kill()
        s.close(ok)


# Another browser, as the page sees it: Chromium without what Firefox and
# Safari lack (MediaStreamTrackProcessor), and without the decoders either.
# getUserMedia is counted: a page that cannot send must not ask for devices.
COUNT_GUM = ("globalThis.gumCalls = 0; { const md = navigator.mediaDevices; const g = md.getUserMedia.bind(md); "
             "md.getUserMedia = (c) => { globalThis.gumCalls++; return g(c); }; }")
NO_MSTP = "delete globalThis.MediaStreamTrackProcessor;"
NO_DECODERS = "delete globalThis.VideoDecoder; delete globalThis.AudioDecoder;"
RECEIVE_ONLY = "Ce navigateur ne peut pas envoyer votre image ni votre son"
UNSUPPORTED = "Ce navigateur ne permet pas l’appel vidéo"


def t_other_browser():
    """A browser that cannot capture (no MediaStreamTrackProcessor) says so
    in words from the start, never asks for the camera, and still shows and
    plays the native side; one that can neither capture nor decode says the
    call is not possible here and where it is, and the room goes on."""
    s = scene("web-call-other")
    ok = False
    pa = None
    try:
        pa = s.consultant.spawn(*native_args(s, "native", "--duration", "60"))
        pa.wait_line(JOINED)
        page = s.open_room(init_script=COUNT_GUM + NO_MSTP)
        page.wait("globalThis.bilanRoom && bilanRoom.state() === 'in_room'", what="the page is in the room")
        status = "document.getElementById('appel-etat').textContent"
        check(page.eval(status).startswith(RECEIVE_ONLY),
              f"before the code, the call panel says this browser cannot send ({page.eval(status)[:80]})")
        page.wait("!document.getElementById('code').hidden", what="the page shows the code")
        page.eval("document.getElementById('code-oui').click()")
        pa.wait_line(r"^\[e2e\] slot=\d verified$")
        wait_call(page, "c.started && r && r.video.decoded >= 30 && r.audio.decoded >= 50",
                  "the page decodes the native side's picture and sound all the same")
        check(page.eval(status).startswith(RECEIVE_ONLY) and "Chrome, Edge ou Chromium" in page.eval(status),
              "once the call runs, the panel still says what is missing and which browser to use")
        st = call_stats(page)
        check(page.eval("globalThis.gumCalls") == 0 and st["got"] == {"camera": False, "microphone": False},
              f"the page never asked for the camera or the microphone ({page.eval('globalThis.gumCalls')} calls)")
        check(page.eval("[document.getElementById('micro').disabled, document.getElementById('camera').disabled]")
              == [True, True], "the microphone and camera buttons are disabled")
        check(st["counts"]["sent"] == 0 and st["media"]["send"]["framesEncoded"] == 0,
              f"nothing was encoded or sent ({st['counts']})")
        check(not page_errors(page), f"no console error ({page_errors(page)[:3]})")
        # Next visit, in a browser without the decoders either.
        page.send("Page.addScriptToEvaluateOnNewDocument", {"source": NO_DECODERS})
        page.navigate(page.eval("location.href"))
        page.wait("globalThis.bilanRoom && bilanRoom.state() === 'in_room'", what="the page is in the room again")
        check(page.eval(status).startswith(UNSUPPORTED) and "Les messages, les heures et les fiches" in page.eval(status),
              f"without decoders the panel says the call is not possible here ({page.eval(status)[:80]})")
        page.wait("bilanRoom.peers().length === 1 && bilanRoom.peers()[0].authenticated",
                  what="the page and the native side are paired again")
        page.wait("!document.getElementById('message').disabled", what="the chat opens")
        page.eval("(() => { const i = document.getElementById('message'); i.value = 'sans appel'; "
                  "document.getElementById('envoi').requestSubmit(); return 1; })()")
        pa.wait_line(r"^\[chat\] slot=\d: sans appel$")
        check(True, "the room goes on: a message reaches the native side")
        st = call_stats(page)
        check(not st["started"] and page.eval(status).startswith(UNSUPPORTED) and page.eval("globalThis.gumCalls") == 0,
              f"the call never starts, the words stay, no device asked ({st['started']})")
        check(not page_errors(page), f"no console error ({page_errors(page)[:3]})")
        ok = True
    finally:
        if pa and pa.p.poll() is None:
            pa.kill()
        s.close(ok)


def t_words():
    s = scene("web-call-words")
    ok = False
    try:
        page = s.open_room()
        page.wait("document.documentElement.dataset.ready === '1'", what="the page's script ran")
        fr = page.wait("(() => { const ids = ['appel-titre', 'micro', 'camera', 'heures-titre'];"
                       " return ids.every((id) => document.getElementById(id)) &&"
                       " Object.fromEntries(ids.map((id) => [id, document.getElementById(id).textContent])); })()",
                       what="the call and hours panels")
        check(fr == {"appel-titre": "Appel vidéo", "micro": "Couper le micro (touche M)",
                     "camera": "Couper la caméra (touche C)",
                     "heures-titre": "Heures du bilan"},
              f"a French browser gets the call and hours panels in French ({fr})")
        out = page.eval(WORDS_JS)
        check(out["hours"]["total"] == "Heures utilisées : 3:06 sur 16:00. Il reste 12:54.",
              f"the hours in h:mm, rounded to the minute ({out['hours']['total']})")
        check(re.fullmatch(r"Séance en cours \(phase de conclusion\) depuis 0:01:0[5-9]\.", out["hours"]["session"])
              is not None, f"the phase in French and the session's timer ({out['hours']['session']})")
        check(out["w80"]["warning"] == "Attention : 80 % des heures du bilan sont utilisées (12:48 sur 16:00).",
              f"the 80 % warning ({out['w80']['warning']})")
        check(out["w100"]["warning"].startswith("Toutes les heures du bilan sont utilisées (16:00 sur 16:00)."),
              f"the 100 % warning ({out['w100']['warning']})")
        check(out["other"] is False and out["afterOther"]["total"] == out["hours"]["total"],
              "a message of another bilan is ignored")
        check(out["closed"]["session"] == "Séance terminée : 1:02:03 en face à face.",
              f"the session ended ({out['closed']['session']})")
        check(out["record"]["receipt"] == "Relevé de la séance refusé par cet appareil : "
              "le serveur a envoyé un relevé illisible.", f"a malformed record, in plain words ({out['record']['receipt']})")
        check(out["threw"] is None, "hostile fields are never thrown")
        check(out["sent"] == [], f"nothing is signed for it ({out['sent']})")
        ok = True
    finally:
        s.close(ok)


if __name__ == "__main__":
    run_tests({"meet": t_meet, "session": t_session, "words": t_words, "private": t_private,
               "other_browser": t_other_browser, "reconnect": t_reconnect})
