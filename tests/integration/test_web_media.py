"""test_web_media.py: the browser's media (assets/web/media*.js, issue 12)
against the native client's media code, in headless Chromium with its fake
camera and microphone. No E2E layer here: these are the payloads of
PROTOCOL.md §4.2 with their §4 headers, as they are before sealing (the
crypto tests cover the sealing).

- to_native: the page captures ~3 s of camera and microphone through Media;
  every (kind, flags, ts, captureMs, payload) it hands to send() is taken
  out and web_media_ref (proto/media.c, client/media/vp8.c, opus_codec.c)
  parses, reassembles and decodes all of it: every frame decodes, 640x480,
  frame numbers without gaps, the first a keyframe and no other unasked;
  every audio packet decodes as 20 ms, all the same size (CBR 32 kbit/s =
  80 bytes), media_ts = seq x 960.
- from_native: web_media_ref encodes the native test pattern and tone as the
  native sender does; the page decodes them through Media.onFrame: every
  frame decoded, 640x480, and the canvas shows the pattern's colours
  (compared, point by point, with media_ref's reference pictures); every
  audio packet decoded, nothing refused.
- keyframe: a keyframe_request makes the next encoded picture a keyframe,
  two requests close together give one; a receiver that starts in the
  middle of a stream asks the sender for a keyframe (requestKeyframe) and
  decodes from the keyframe on.
- hostile: malformed payloads (cut, oversize, bad counts and indexes,
  random bytes, lying keyframe flags, bad headers) are refused and counted
  one by one, the page keeps working and decodes a good stream after them;
  media_wire.js's bounds at their edges.
- loopback: one Media's payloads into another's onFrame in the same page
  (browser to browser): all decoded, 640x480, audio played by the worklet;
  the capture-to-render latency is measured in one clock and printed.
- ratectl: the rate controller (media_ratectl.js) on a simulated 400 kbit/s
  link lowers the target under it and skips pictures while the backlog is
  long, climbs back when the link frees, and goes under a receiver's
  reported rate.

Run one scenario: test_web_media.py NAME; all: test_web_media.py.
"""
import base64
import json
import os
import struct
import subprocess
import time

from harness import TestFailure, check, run_tests
from web_scene import WebScene

REF = os.environ.get("BILAN_WEB_MEDIA_REF", "web_media_ref")
MEDIA_REF = os.environ.get("BILAN_MEDIA_REF", "media_ref")

# Page helpers: records as on the wire (u32 length, 16-byte header, payload).
HELPERS = r"""
window.T = window.T || {};
T.b64 = (u8) => { let s = ''; for (let i = 0; i < u8.length; i += 0x8000)
  s += String.fromCharCode.apply(null, u8.subarray(i, i + 0x8000)); return btoa(s); };
T.unb64 = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
T.records = (sent) => {
  const seq = {1: 0, 2: 0}; let n = 0;
  for (const r of sent) n += 20 + r[4].length;
  const out = new Uint8Array(n); const v = new DataView(out.buffer); let o = 0;
  for (const [kind, flags, ts, cap, p] of sent) {
    v.setUint32(o, 16 + p.length); out[o + 4] = 1; out[o + 5] = kind; out[o + 6] = flags; out[o + 7] = 0;
    v.setUint32(o + 8, seq[kind]++); v.setUint32(o + 12, ts); v.setUint32(o + 16, cap);
    out.set(p, o + 20); o += 20 + p.length;
  }
  return out;
};
T.parse = (buf) => {
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength); const out = []; let o = 0;
  while (o + 4 <= buf.length) { const n = v.getUint32(o);
    out.push({ kind: buf[o + 5], header: buf.subarray(o + 4, o + 20), payload: buf.subarray(o + 20, o + 4 + n),
               frame: buf[o + 5] === 2 ? v.getUint32(o + 20) : -1 });
    o += 4 + n; }
  return out;
};
T.sleep = (ms) => new Promise((r) => setTimeout(r, ms));
1
"""


def open_page(name):
    s = WebScene(name)
    page = s.open_room()
    page.wait("document.documentElement.dataset.ready === '1'", what="the page's script ran")
    page.eval(HELPERS)
    page.eval("import('/web/media.js').then((m) => { window.MediaMod = m; return 1; })")
    return s, page


def wait_media(page, cond, what):
    """page.wait, and on a timeout the media's figures in the failure."""
    try:
        return page.wait(cond, what=what)
    except TestFailure as e:
        raise TestFailure(f"{e}\nmedia.stats(): {json.dumps(page.eval('media.stats()'))[:3000]}")


def page_errors(page):
    """Console errors, but for the missing /favicon.ico (the server has
    none; every module of the page is checked to have loaded)."""
    bad = page.eval("[...performance.getEntriesByType('resource')].filter((e) => e.responseStatus !== 200 "
                    "&& !e.name.endsWith('/favicon.ico')).map((e) => e.name)")
    errs = [l for l in page.console() if l.startswith(("error", "exception"))]
    if not bad:
        errs = [l for l in errs if "status of 404" not in l]
    return errs + bad


def proc_cpu_s(pid):
    """CPU seconds (user + system) of pid and all its descendants."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    kids = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as f:
                    st = f.read().rsplit(")", 1)[1].split()
                kids.setdefault(int(st[1]), []).append((int(d), (int(st[11]) + int(st[12])) / tick))
            except (OSError, IndexError, ValueError):
                pass
    todo = [pid]
    while todo:
        p = todo.pop()
        for child, cpu in kids.get(p, []):
            total += cpu
            todo.append(child)
    try:
        with open(f"/proc/{pid}/stat") as f:
            st = f.read().rsplit(")", 1)[1].split()
        total += (int(st[11]) + int(st[12])) / tick
    except OSError:
        pass
    return total


def ref_check(s, blob):
    path = os.path.join(s.tmp, "browser.rec")
    with open(path, "wb") as f:
        f.write(blob)
    r = subprocess.run([REF, "check", path], capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        raise TestFailure(f"web_media_ref check failed: {r.stderr[-500:]}")
    if r.stderr.strip():
        print(r.stderr.strip()[-2000:])
    return json.loads(r.stdout)


def native_records(s, n):
    path = os.path.join(s.tmp, "native.rec")
    r = subprocess.run([REF, "make", str(n), path], capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        raise TestFailure(f"web_media_ref make failed: {r.stderr[-500:]}")
    with open(path, "rb") as f:
        return f.read()


START_SENDER = r"""
(async () => {
  window.sent = [];
  window.t0 = performance.now();
  window.media = new MediaMod.Media({
    send: (kind, flags, ts, cap, p) => { sent.push([kind, flags, ts, cap, p.slice()]);
                                         if (window.onSent) onSent(kind, flags, p); },
    serverNowMs: () => Date.now() + 5000,
  });
  return await media.start({ camera: true, microphone: true });
})()
"""


def t_to_native():
    s, page = open_page("web-media-to-native")
    ok = False
    try:
        cpu0, t0 = proc_cpu_s(s.browser.proc.pid), time.monotonic()
        got = page.eval(START_SENDER)
        check(got == {"camera": True, "microphone": True}, f"the fake camera and microphone open ({got})")
        aset = page.eval("media.stream.getAudioTracks()[0].getSettings()")
        vset = page.eval("media.stream.getVideoTracks()[0].getSettings()")
        check(aset.get("echoCancellation") is True and aset.get("noiseSuppression") is True
              and aset.get("autoGainControl") is True,
              "the microphone is opened with echo cancellation, noise suppression and gain control")
        check((vset.get("width"), vset.get("height")) == (640, 480), f"the camera at 640x480 ({vset.get('frameRate')}/s)")
        wait_media(page, "media.stats().send.framesEncoded >= 60 && media.stats().send.audioPackets >= 150",
                   "3 s of video and audio encoded (the fake camera gives 20 pictures a second)")
        cpu1, t1 = proc_cpu_s(s.browser.proc.pid), time.monotonic()
        page.eval("media.flush().then(() => { media.stop(); return 1; })")
        st = page.eval("media.stats().send")
        print(f"measure: Chromium CPU while capturing and encoding 640x480 + Opus: "
              f"{100 * (cpu1 - cpu0) / (t1 - t0):.0f} % of one core over {t1 - t0:.1f} s "
              f"(the whole browser, page and fake devices included); encode latency "
              f"{st['encodeLatencyMs']} ms; {st['framesEncoded']} frames of {st['pictures']} pictures "
              f"(skipped: encoder busy {st['skippedBusy']}, rate {st['skippedRate']}); "
              f"audio config {st['audioConfig']}")
        blob = base64.b64decode(page.eval("T.b64(T.records(sent))"))
        r = ref_check(s, blob)
        v, a = r["video"], r["audio"]
        print(f"native decoder: {json.dumps(r)}")
        check(r["bad_headers"] == 0, "every header is a valid §4 header for the native parser")
        check(v["frames"] >= 60 and v["frames"] == st["framesEncoded"],
              f"every encoded frame reached the native side whole ({v['frames']} of {st['framesEncoded']})")
        check(v["mismatched"] == 0 and v["broken"] == 0,
              "chunks: same frame, picture, count, ts, capture and flag in every chunk, indexes in order")
        check(v["chunks"] == st["chunksSent"] and v["chunks"] >= v["frames"],
              f"{v['chunks']} chunks of at most 1200 bytes (proto/media.c accepted each)")
        check(v["decoded"] == v["frames"] and v["undecodable"] == 0,
              f"libvpx decodes all {v['frames']} frames")
        check(v["gaps"] == 0, "frame numbers consecutive from 0")
        check((v["width"], v["height"]) == (640, 480) and v["size_changes"] == 0, "pictures are 640x480")
        check(v["keyframe_frames"][:1] == [0] and v["keyframes"] == 1,
              f"the first frame is a keyframe and no other came unasked ({v['keyframe_frames']})")
        check(a["packets"] >= 150 and a["decoded"] == a["packets"] and a["errors"] == 0,
              f"libopus decodes all {a['packets']} audio packets as 20 ms each")
        check(a["min_size"] == a["max_size"] == 80,
              f"constant bitrate: every packet 80 bytes (32 kbit/s x 20 ms), seen {a['min_size']}..{a['max_size']}")
        check(a["ts_wrong"] == 0 and a["seq_gaps"] == 0, "audio media_ts = seq x 960")
        caps = page.eval("(() => { const v = sent.filter((r) => r[0] === 2); "
                         "const d = v.map((r) => ((Date.now() + 5000 - r[3]) >>> 0) | 0); "
                         "return [Math.min(...d), Math.max(...d)]; })()")
        check(0 <= caps[0] and caps[1] < 60000, f"capture times are in the server's clock (ages {caps} ms)")
        check(not page_errors(page), f"no console error ({page_errors(page)[:3]})")
        ok = True
    finally:
        s.close(ok)


def feed_js(start_frame=0, limit=None):
    """Feeds the native records (window.native) into media.onFrame as slot
    0, paced: a video frame's chunks together, then a short wait."""
    return r"""
(async () => {
  const recs = T.parse(native);
  let lastFrame = -1, fed = 0;
  for (const r of recs) {
    if (r.kind === 2 && (r.frame < %d || r.frame >= %d)) continue;
    if (r.kind === 2 && r.frame !== lastFrame) {
      // Real time (30 pictures a second), as a sender's pictures arrive.
      lastFrame = r.frame; await T.sleep(33);
    }
    media.onFrame(0, r.kind, r.header, r.payload.slice());
    fed++;
  }
  return fed;
})()
""" % (start_frame, limit if limit is not None else 1 << 30)


RECEIVER = r"""
(async () => {
  window.canvas = document.createElement('canvas');
  document.body.appendChild(canvas);
  window.wants = [];
  window.samples = [];
  const pts = [];
  for (const y of [150, 250, 330]) for (let x = 8; x < 640; x += 16) pts.push([x, y]);
  window.media = new MediaMod.Media({
    send: () => {}, serverNowMs: () => Date.now(),
    events: {
      requestKeyframe: (slot) => wants.push(slot),
      onVideo: (slot, d) => {
        if (d.picture % 10 !== 5) return;
        const g = canvas.getContext('2d', { willReadFrequently: true });
        const px = pts.map(([x, y]) => [x, y, ...Array.from(g.getImageData(x, y, 1, 1).data.slice(0, 3))]);
        samples.push({ picture: d.picture, w: d.width, h: d.height, px });
      },
    },
  });
  media.attach(null, canvas);
  return await media.receiver.prepareAudio();
})()
"""


def y4m_frames(path):
    with open(path, "rb") as f:
        data = f.read()
    head_end = data.index(b"\n")
    head = data[:head_end].split()
    w = int([h for h in head if h.startswith(b"W")][0][1:])
    h = int([x for x in head if x.startswith(b"H")][0][1:])
    frames, o, size = [], head_end + 1, w * h * 3 // 2
    while o < len(data):
        o = data.index(b"\n", o) + 1
        frames.append(data[o:o + size])
        o += size
    return w, h, frames


def expected_rgb(frame, w, h, x, y):
    """BT.601 video range, what a browser shows for a VP8 picture."""
    yy = frame[y * w + x]
    u = frame[w * h + (y // 2) * (w // 2) + x // 2]
    v = frame[w * h + (w // 2) * (h // 2) + (y // 2) * (w // 2) + x // 2]
    c = 1.164 * (yy - 16)
    rgb = (c + 1.596 * (v - 128), c - 0.392 * (u - 128) - 0.813 * (v - 128), c + 2.017 * (u - 128))
    return [max(0, min(255, round(k))) for k in rgb]


def flat_at(frame, w, h, x, y, r=6):
    """The reference is uniform around (x, y) (not on a bar's edge or a stripe)."""
    base = frame[y * w + x]
    return all(frame[yy * w + xx] == base for yy in range(y - r, y + r + 1, 2)
               for xx in range(max(0, x - r), min(w, x + r + 1)))


def t_from_native():
    s, page = open_page("web-media-from-native")
    ok = False
    try:
        n = 90
        blob = native_records(s, n)
        ref = os.path.join(s.tmp, "ref.y4m")
        subprocess.run([MEDIA_REF, "video", "pattern", "640", "480", str(n), ref], check=True, timeout=120)
        rw, rh, ref_frames = y4m_frames(ref)
        check(page.eval(RECEIVER), "the playout worklet (media_worklet.js) loads under the page's CSP")
        page.eval(f"window.native = T.unb64('{base64.b64encode(blob).decode()}'); 1")
        fed = page.eval(feed_js())
        wait_media(page, f"(() => {{ const s = media.stats().recv.slots[0]; return s && s.video.decoded >= {n} "
                   f"&& s.audio.decoded >= s.audio.packets; }})()", "every native frame decoded")
        st = page.eval("media.stats()")
        v, a = st["recv"]["slots"]["0"]["video"], st["recv"]["slots"]["0"]["audio"]
        print(f"browser receiver: {json.dumps(st['recv'])[:1500]}")
        check(fed > n, f"{fed} native payloads fed")
        check(v["frames"] == n and v["decoded"] == n and v["undecodable"] == 0 and v["decodeErrors"] == 0,
              f"WebCodecs decodes all {n} native VP8 frames ({v['decoded']})")
        check((v["width"], v["height"]) == (640, 480), "at 640x480")
        check(a["packets"] == n * 50 // 30 and a["decoded"] == a["packets"] and a["decodeErrors"] == 0
              and a["lost"] == 0, f"WebCodecs decodes all {a['packets']} native Opus packets")
        check(st["recv"]["refused"]["total"] == 0, "nothing the native sender made is refused")
        wait_media(page, "(() => { const p = media.stats().recv.slots[0].audio.playout; return p && p.played > 0; })()",
                   "the worklet plays the decoded audio")
        samples = page.eval("samples")
        check(len(samples) >= 6, f"{len(samples)} pictures sampled on the canvas")
        matched = compared = 0
        worst = 0
        for smp in samples:
            ref_f = ref_frames[smp["picture"]]
            for x, y, r, g, b in smp["px"]:
                if not flat_at(ref_f, rw, rh, x, y):
                    continue
                exp = expected_rgb(ref_f, rw, rh, x, y)
                d = max(abs(r - exp[0]), abs(g - exp[1]), abs(b - exp[2]))
                worst = max(worst, d)
                if d > 24 and os.environ.get("BILAN_WEB_MEDIA_DEBUG"):
                    print(f"  picture {smp['picture']} ({x},{y}): canvas {(r, g, b)} reference {exp} "
                          f"yuv {ref_f[y * rw + x]}")
                compared += 1
                matched += d <= 24
        print(f"measure: {compared} canvas points against the reference, worst channel difference {worst}")
        check(compared >= 100 and matched == compared,
              f"the canvas shows the pattern's colours at every compared point ({matched}/{compared}, "
              f"within 24 levels)")
        check(not page_errors(page), f"no console error ({page_errors(page)[:3]})")
        ok = True
    finally:
        s.close(ok)


def t_keyframe():
    s, page = open_page("web-media-keyframe")
    ok = False
    try:
        page.eval(START_SENDER)
        # Past the first keyframe's 2-s gap, whatever the requests' reason.
        wait_media(page, "media.stats().send.framesEncoded >= 25 && performance.now() - media.sender.lastKeyMs > 2200",
                   "25 frames encoded, 2.2 s after the first keyframe")
        # Two requests together (two receivers lost their way at once): one
        # keyframe. One more the moment that keyframe is sent: answered, but
        # not sooner than 2 s after it (a congestion request came: one
        # keyframe per 2 s, §4.4 item 8).
        p_req = page.eval("(() => { window.onSent = (kind, flags, p) => { if (kind === 2 && (flags & 1) "
                          "&& !window.asked && new DataView(p.buffer).getUint32(0) > 0) { window.asked = true; "
                          "media.onKeyframeRequest({ slot: 1, reason: 'decode' }); } }; "
                          "media.onKeyframeRequest({ slot: 1, reason: 'decode' }); "
                          "media.onKeyframeRequest({ slot: 2, reason: 'congestion' }); "
                          "return media.sender.picture; })()")
        wait_media(page, "media.stats().send.keyframes >= 3 && media.stats().send.framesEncoded >= 60",
                   "the third request's keyframe")
        page.eval("media.flush().then(() => { media.stop(); return 1; })")
        frames = page.eval("sent.filter((r) => r[0] === 2).map((r) => [new DataView(r[4].buffer).getUint32(0), "
                           "new DataView(r[4].buffer).getUint32(4), r[1], r[2]])")
        first = {}
        for f, pic, flags, ts in frames:
            first.setdefault(f, (pic, flags, ts))
        keys = sorted(f for f, (pic, fl, ts) in first.items() if fl & 1)
        after = sorted((pic, f) for f, (pic, fl, ts) in first.items() if pic >= p_req)
        check(after and first[after[0][1]][1] & 1,
              f"the first picture encoded after the request (picture {after[0][0]}) is a keyframe")
        check(len(keys) == 3 and keys[:2] == [0, after[0][1]],
              f"two requests together give one keyframe, the third request another (keyframes {keys})")
        gap_ms = ((first[keys[2]][2] - first[keys[1]][2]) & 0xffffffff) / 90
        check(gap_ms >= 1900, f"while congested, keyframes 2 s apart ({gap_ms:.0f} ms, by their 90 kHz media_ts)")
        r = ref_check(s, base64.b64decode(page.eval("T.b64(T.records(sent))")))
        check(r["video"]["decoded"] == r["video"]["frames"] and r["video"]["keyframe_frames"] == keys,
              "the native decoder agrees: all decode, the same frames are keyframes")
        # The receiving side: starting in the middle of a stream, it asks.
        blob = native_records(s, 30)
        page.eval(RECEIVER)
        page.eval(f"window.native = T.unb64('{base64.b64encode(blob).decode()}'); 1")
        page.eval(feed_js(start_frame=10))
        st = page.eval("media.stats().recv.slots[0].video")
        check(st["decoded"] == 0 and st["undecodable"] == 20, "inter frames without their keyframe are not decoded")
        check(page.eval("wants.length") >= 1 and page.eval("wants.every((s) => s === 0)"),
              f"the receiver asked slot 0 for a keyframe ({page.eval('wants.length')} requests, 500 ms apart)")
        page.eval(feed_js(start_frame=0, limit=10))
        wait_media(page, "media.stats().recv.slots[0].video.decoded >= 10", "decoding from the keyframe on")
        check(not page_errors(page), f"no console error ({page_errors(page)[:3]})")
        ok = True
    finally:
        s.close(ok)


HOSTILE = r"""
(async () => {
  const W = await import('/web/media_wire.js');
  const out = {};
  // media_wire.js at its edges.
  const chunk = (count, index, dlen, frame = 7) => { const p = new Uint8Array(12 + dlen);
    const v = new DataView(p.buffer); v.setUint32(0, frame); v.setUint32(4, 9); v.setUint16(8, index);
    v.setUint16(10, count); return p; };
  out.edges = [
    W.parseVideo(chunk(1, 0, 1)) !== null, W.parseVideo(chunk(1, 0, 1200)) !== null,
    W.parseVideo(chunk(1, 0, 1201)) === null, W.parseVideo(chunk(1, 0, 0)) === null,
    W.parseVideo(new Uint8Array(11)) === null, W.parseVideo(chunk(0, 0, 5)) === null,
    W.parseVideo(chunk(1024, 1023, 5)) !== null, W.parseVideo(chunk(1025, 0, 5)) === null,
    W.parseVideo(chunk(3, 3, 5)) === null, W.parseVideo(null) === null, W.parseVideo('abc') === null,
    W.packVideo(0, 0, new Uint8Array(2401)).length === 3, W.packVideo(0, 0, new Uint8Array(0)) === null,
    W.packVideo(0, 0, new Uint8Array(1200 * 1024 + 1)) === null,
    W.audioRefusal(Uint8Array.of(0x00, 1, 2)) !== null /* SILK NB 10 ms */,
    W.audioRefusal(Uint8Array.of(0x08, 1, 2)) === null /* SILK NB 20 ms */,
    W.audioRefusal(Uint8Array.of(0x79, 1, 2)) !== null /* 2 frames of 20 ms: 40 ms */,
    W.audioRefusal(Uint8Array.of(0x78, 1, 2)) === null /* CELT FB 20 ms */,
    W.audioRefusal(new Uint8Array(1276).fill(0x78)) !== null, W.audioRefusal(new Uint8Array(0)) !== null,
    W.audioRefusal(Uint8Array.of(0x7b)) !== null /* code 3 without its count byte */,
    W.headerFields(new Uint8Array(15)) === null, W.headerFields({ flags: 0, seq: -1, ts: 0, captureMs: 0 }) === null,
  ];
  const rt = W.packVideo(5, 6, Uint8Array.from({ length: 2500 }, (_, i) => i & 255)).map(W.parseVideo);
  out.roundtrip = rt.length === 3 && rt.every((c, i) => c.frame === 5 && c.picture === 6 && c.index === i && c.count === 3)
    && rt[2].data.length === 100 && rt[1].data[0] === (1200 & 255);
  // Hostile payloads through Media.onFrame.
  const hdr = (kind, flags = 0, seq = 0) => { const h = new Uint8Array(16); h[0] = 1; h[1] = kind; h[2] = flags;
    new DataView(h.buffer).setUint32(4, seq); return h; };
  const bad = [
    [2, hdr(2), new Uint8Array(5)], [2, hdr(2), chunk(1, 0, 0)], [2, hdr(2), chunk(1, 0, 1201)],
    [2, hdr(2), chunk(0, 0, 9)], [2, hdr(2), chunk(1025, 0, 9)], [2, hdr(2), chunk(2, 2, 9)],
    [1, hdr(1), new Uint8Array(0)], [1, hdr(1), new Uint8Array(1276).fill(0x78)],
    [1, hdr(1), Uint8Array.of(0x00, 1, 2, 3)], [1, hdr(1, 1), Uint8Array.of(0x78, 1, 2)],
    [2, new Uint8Array(3), chunk(1, 0, 9)], [2, { flags: 0, seq: 1.5, ts: 0, captureMs: 0 }, chunk(1, 0, 9)],
    [3, hdr(3), chunk(1, 0, 9)], [2, null, chunk(1, 0, 9)], [2, hdr(2), 'text'],
  ];
  // A keyframe flag on an inter frame, and an inter frame that is a keyframe.
  const inter = chunk(1, 0, 40, 100); inter[12] = 0x01;
  const keyNoFlag = chunk(1, 0, 40, 101); keyNoFlag.set([0x10, 0, 0, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01], 12);
  bad.push([2, hdr(2, 1), inter], [2, hdr(2, 0), keyNoFlag]);
  // Chunks that do not make one frame (another frame's chunk in the middle,
  // a count that changes): what was built is dropped, nothing decoded.
  const k0 = chunk(2, 0, 40, 500); k0.set([0x10, 0, 0, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01], 12);
  const k1 = chunk(3, 0, 40, 600); k1.set(k0.subarray(12, 22), 12);
  const mixed = [[k0, 1], [chunk(2, 1, 40, 501), 1], [chunk(3, 0, 40, 502), 0], [chunk(2, 1, 40, 502), 0],
                 [k1, 1], [chunk(3, 2, 40, 600), 1], [chunk(3, 2, 40, 600), 1]];  // index 1 missing
  for (const [c, f] of mixed) media.onFrame(2, 2, hdr(2, f), c);
  out.mixed = media.stats().recv.slots[2].video;
  let thrown = 0;
  for (const [k, h, p] of bad) { try { media.onFrame(0, k, h, p); } catch { thrown++; } }
  try { media.onFrame(9, 1, hdr(1), Uint8Array.of(0x78, 1)); } catch { thrown++; }
  out.bad = bad.length + 1;
  out.thrown = thrown;
  out.refusedAfterBad = media.stats().recv.refused;
  // Well-formed chunks of random bytes: the decoder's to refuse.
  let seed = 12345; const rnd = () => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24;
  for (let i = 0; i < 200; i++) {
    const len = 1 + (rnd() * 5);
    const c = chunk(1, 0, len, 1000 + i); for (let j = 12; j < c.length; j++) c[j] = rnd();
    const isKey = (c[12] & 1) === 0;
    if (isKey && i % 2) c.set([0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01], 15);  // a plausible keyframe start
    try { media.onFrame(1, 2, hdr(2, isKey && i % 2 ? 1 : 0, i), c); } catch { thrown++; }
    const a = new Uint8Array(1 + rnd()); for (let j = 0; j < a.length; j++) a[j] = rnd();
    try { media.onFrame(1, 1, hdr(1, 0, i), a); } catch { thrown++; }
  }
  out.thrownRandom = thrown;
  await T.sleep(500);
  return out;
})()
"""


def t_hostile():
    s, page = open_page("web-media-hostile")
    ok = False
    try:
        page.eval(RECEIVER)
        r = page.eval(HOSTILE)
        check(all(r["edges"]), f"media_wire.js bounds at their edges ({r['edges']})")
        check(r["roundtrip"], "packVideo/parseVideo round trip: 1200-byte chunks, same frame/picture/count")
        check(r["thrown"] == 0 and r["thrownRandom"] == 0, "no payload makes Media.onFrame throw")
        ref = r["refusedAfterBad"]
        print(f"refused: {json.dumps(ref)}")
        check(ref["total"] == r["bad"], f"each of the {r['bad']} malformed payloads is refused and counted ({ref['total']})")
        check(all(k in ref["reasons"] for k in (
            "video shorter than the chunk header", "video chunk without data", "video chunk data over 1200 bytes",
            "video count out of 1..1024", "video index not below count", "audio empty", "audio over 1275 bytes",
            "audio not 20 ms of Opus", "audio with flags", "bad header", "not a media kind",
            "video keyframe flag on a VP8 inter frame", "video VP8 keyframe without the flag", "bad slot")),
            "each with its reason")
        mixed = r["mixed"]
        check(mixed["frames"] == 0 and mixed["assemblyBroken"] == 3 and mixed["decoded"] == 0,
              f"chunks of different frames, counts, or a missing index never make a frame ({mixed['assemblyBroken']} dropped)")
        check(page.eval("1 + 1") == 2, "the page survives")
        st = page.eval("media.stats().recv")
        print(f"after random bytes: {json.dumps(st['slots'].get('1'))}")
        # A good stream still decodes afterwards, on the slot that was fed garbage too.
        blob = native_records(s, 30)
        page.eval(f"window.native = T.unb64('{base64.b64encode(blob).decode()}'); 1")
        page.eval(feed_js().replace("media.onFrame(0,", "media.onFrame(1,"))
        wait_media(page, "media.stats().recv.slots[1].video.decoded >= 30", "a good stream decodes after the garbage")
        check(not [l for l in page_errors(page) if "exception" in l], "no uncaught exception")
        ok = True
    finally:
        s.close(ok)


RATECTL = r"""
(async () => {
  const { RateControl } = await import('/web/media_ratectl.js');
  const rc = new RateControl(30);
  let now = 0, buffered = 0, skipped = 0, admitted = 0;
  // One picture every 33 ms, audio with it; the link drains between pictures;
  // the controller observes every 100 ms (3 pictures), as media_send.js does.
  const link = (kbps, ms) => {
    let handed = 0;
    for (let t = 1; t <= ms / 33.333; t++) {
      const a = 40 * 1000 / 8 / 30;               // audio, never skipped
      buffered += a; handed += a;
      if (rc.admit(buffered)) {
        admitted++;
        const b = rc.kbps * 1000 / 8 / 30;        // the encoder follows its target
        buffered += b; handed += b; rc.sentVideo(b);
      } else skipped++;
      buffered = Math.max(0, buffered - kbps * 1000 / 8 / 30);
      if (t % 3 === 0) { now += 100; rc.observe(now, buffered, handed); handed = 0; }
    }
  };
  link(400, 6000);
  const slow = { target: rc.kbps, skipped, delivery: Math.round(rc.deliveryKbps), buffered };
  skipped = 0;
  link(5000, 20000);
  const free = { target: rc.kbps, skipped };
  rc.report(now, [{ slot: 1, dropped_video: 3, queue_ms: 400, queued_bytes: 90000, rate_kbps: 300 }, { slot: 2, bogus: 'x' }]);
  link(5000, 1100);
  const rx = { target: rc.kbps };
  link(5000, 5000);
  const capped = { target: rc.kbps };
  return { slow, free, rx, capped, stats: rc.stats };
})()
"""


def t_ratectl():
    s, page = open_page("web-media-ratectl")
    ok = False
    try:
        r = page.eval(RATECTL)
        print(f"ratectl: {json.dumps(r)}")
        check(150 <= r["slow"]["target"] <= 400 - 40, f"a 400 kbit/s link: the target goes under it ({r['slow']})")
        check(abs(r["slow"]["delivery"] - 400) < 60, "the link rate is estimated from bufferedAmount")
        check(r["slow"]["skipped"] > 0, "pictures are skipped while the backlog is long")
        check(r["free"]["target"] >= 1000 and r["free"]["skipped"] == 0, f"a free link: the target climbs back ({r['free']})")
        check(r["rx"]["target"] <= 0.8 * (300 - 40) + 1, f"a receiver's reported rate: under it at once ({r['rx']})")
        check(r["capped"]["target"] <= 0.8 * (300 - 40) + 1, f"and no probe past it 5 s later (a reported rate holds 10 s) ({r['capped']})")
        ok = True
    finally:
        s.close(ok)


MIC_GAPS = r"""
(async () => {
  const { MediaSender } = await import('/web/media_send.js');
  const ts = [];
  const snd = new MediaSender({ send: (kind, flags, t, cap, p) => { if (kind === 1) ts.push(t); },
                                serverNowMs: () => Date.now() });
  const block = (us) => new AudioData({ format: 'f32-planar', sampleRate: 48000, numberOfFrames: 480,
    numberOfChannels: 1, timestamp: us, data: new Float32Array(480).fill(0.1) });
  snd.audioIn(block(0));                 // the encoder opens on the first block
  await snd.aencPending;
  let t = 10000;
  const feed = (ms) => { for (let i = 0; i < ms / 10; i++) { snd.audioIn(block(t)); t += 10000; } };
  feed(1000);
  t += 200000;                           // 200 ms the capture lost
  feed(1000);
  snd.setMuted('audio', true); feed(500); snd.setMuted('audio', false);
  feed(1000);
  t += 60000000;                         // a minute with the page frozen
  feed(200);
  await snd.flush();
  const st = snd.stats();
  snd.stop();
  return { packets: ts.length, contiguous: ts.every((x, i) => x === i * 960), gaps: st.audioGaps,
           filledMs: Math.round(st.audioFilledMs) };
})()
"""


def t_mic_gaps():
    """Microphone blocks lost before the page read them come back as silence
    of the same length, so the packets keep real time: 1 s, 200 ms lost, 1 s
    (110 packets of 20 ms), 0.5 s muted (none, nothing filled), 1 s (50),
    then a minute frozen (5 s filled at most: 250) and 0.2 s (10)."""
    s, page = open_page("web-media-mic-gaps")
    ok = False
    try:
        r = page.eval(MIC_GAPS)
        print(f"mic gaps: {json.dumps(r)}")
        check(r["contiguous"], "audio timestamps are one packet apart, from 0")
        check(r["gaps"] == 2 and abs(r["filledMs"] - 5200) <= 20,
              f"two gaps filled: 200 ms and 5 s of the minute ({r['gaps']}, {r['filledMs']} ms)")
        check(abs(r["packets"] - 420) <= 4,
              f"420 packets of 20 ms: lost time filled, muted time not ({r['packets']})")
        ok = True
    finally:
        s.close(ok)


LOOPBACK = r"""
(async () => {
  // Two Media objects in one page, the first's payloads handed to the
  // second with the 16-byte header a caller would build: the browser
  // meets itself, capture to render measured in one clock.
  window.canvas = document.createElement('canvas');
  document.body.appendChild(canvas);
  const seq = { 1: 0, 2: 0 };
  window.rx = new MediaMod.Media({ send: () => {}, serverNowMs: () => Date.now() });
  rx.attach(null, canvas);
  await rx.receiver.prepareAudio();
  window.media = new MediaMod.Media({
    serverNowMs: () => Date.now(),
    bufferedAmount: () => 0,
    send: (kind, flags, ts, cap, p) => {
      const h = new Uint8Array(16); const v = new DataView(h.buffer);
      h[0] = 1; h[1] = kind; h[2] = flags; h[3] = 0;
      v.setUint32(4, seq[kind]++); v.setUint32(8, ts); v.setUint32(12, cap);
      if (window.afterJoin && !afterJoin[kind])
        afterJoin[kind] = { flags, ts, frame: kind === 2 ? new DataView(p.buffer, p.byteOffset).getUint32(0) : null };
      rx.onFrame(0, kind, h, p);
    },
  });
  return await media.start({ camera: true, microphone: true });
})()
"""


def t_loopback():
    s, page = open_page("web-media-loopback")
    ok = False
    try:
        check(page.eval(LOOPBACK) == {"camera": True, "microphone": True}, "camera and microphone open")
        wait_media(page, "(() => { const s = rx.stats().recv.slots[0]; return s && s.video.decoded >= 60 "
                   "&& s.audio.decoded >= 150 && s.audio.playout && s.audio.playout.played > 0; })()",
                   "the second Media decodes the first's video and audio")
        st = page.eval("({ send: media.stats().send, recv: rx.stats().recv })")
        page.eval("window.afterJoin = {}; media.joined(); 1")
        wait_media(page, "afterJoin[1] && afterJoin[2]", "media after joining again")
        aj = page.eval("afterJoin")
        check(aj["2"]["frame"] == 0 and aj["2"]["flags"] == 1 and aj["1"]["ts"] == 0,
              f"joining again: frame numbers and audio ts start from 0, with a keyframe ({aj})")
        page.eval("media.stop(); rx.stop(); 1")
        v, a = st["recv"]["slots"]["0"]["video"], st["recv"]["slots"]["0"]["audio"]
        print(f"measure: browser -> browser capture-to-render {v['latencyAvgMs']} ms on average "
              f"(last {v['latencyMs']} ms; encode {st['send']['encodeLatencyMs']} ms); audio capture to "
              f"playout {a['latencyMs']} ms with a jitter target of {a['targetDelayMs']} ms; "
              f"playout {json.dumps(a['playout'])}")
        check(v["undecodable"] == 0 and v["decodeErrors"] == 0 and v["decoded"] >= 60,
              f"every frame the browser sent is decoded by the browser ({v['decoded']})")
        check((v["width"], v["height"]) == (640, 480), "at 640x480")
        check(a["decodeErrors"] == 0 and a["lost"] == 0, f"every audio packet decoded ({a['decoded']})")
        check(0 <= v["latencyAvgMs"] < 2000, f"capture-to-render latency is measured ({v['latencyAvgMs']} ms)")
        check(st["recv"]["refused"]["total"] == 0, "nothing refused")
        check(not page_errors(page), f"no console error ({page_errors(page)[:3]})")
        ok = True
    finally:
        s.close(ok)


if __name__ == "__main__":
    run_tests({"to_native": t_to_native, "from_native": t_from_native, "keyframe": t_keyframe,
               "hostile": t_hostile, "ratectl": t_ratectl, "loopback": t_loopback, "mic_gaps": t_mic_gaps})
