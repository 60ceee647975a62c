// web_room_policy.js: evaluated by test_web_room.py (scenario policy) in a
// page of the server's origin. Drives conn.js against a fake WebSocket
// (the server's side played here) and frame.js with hostile bytes; returns
// what happened, and the Python side asserts it.
(async () => {
  const { RoomConnection, BACKOFF_MS, GIVE_UP_MS } = await import('/web/conn.js');
  const F = await import('/web/frame.js');
  const out = {};
  const made = [];
  let failAtOnce = false;
  class FakeWS {
    constructor(url, proto) {
      this.url = url; this.protocol = proto; this.readyState = 0; this.sent = [];
      made.push(this);
      if (failAtOnce) setTimeout(() => this.onclose && this.onclose({ code: 1006 }), 0);
    }
    send(d) { this.sent.push(d); }
    close() { this.readyState = 3; }
  }
  FakeWS.OPEN = 1;
  globalThis.WebSocket = FakeWS;
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const until = async (cond, ms = 5000) => {
    const end = performance.now() + ms;
    while (!cond()) { if (performance.now() > end) return false; await sleep(20); }
    return true;
  };
  const FP = 'A'.repeat(43);
  const identity = { signPub: new Uint8Array(32), dhPub: new Uint8Array(32), fpB64: FP,
    sign: async () => new Uint8Array(64) };
  const mk = (states) => new RoomConnection({ url: 'wss://x/ws', identity, token: 'B'.repeat(43),
    tokenBytes: new Uint8Array(32), enrol: true, events: { onState: (s, i) => states.push([s, i]) } });
  const msg = (ws, o) => ws.onmessage({ data: typeof o === 'string' ? o : JSON.stringify(o) });
  const open = (ws) => { ws.readyState = 1; ws.onopen(); };
  const sentTypes = (ws) => ws.sent.filter((d) => typeof d === 'string').map((d) => JSON.parse(d).type);

  // 1. Close 1000: another window took over; never retried.
  {
    const states = [];
    const c = mk(states);
    c.start();
    const ws = made.at(-1);
    open(ws);
    const n = made.length;
    ws.onclose({ code: 1000 });
    await sleep(800);
    out.replaced = { state: c.state, retried: made.length !== n, hello: sentTypes(ws)[0] };
  }
  // 2. A refusal of the handshake (token_used, not fatal): never retried.
  {
    const states = [];
    const c = mk(states);
    c.start();
    const ws = made.at(-1);
    open(ws);
    msg(ws, { type: 'challenge', v: 1, nonce: 'E'.repeat(43), server: 'x' });
    await until(() => sentTypes(ws).includes('enrol'));
    const n = made.length;
    msg(ws, { type: 'error', code: 'token_used', message: 'x', fatal: false });
    await sleep(800);
    out.refused = { state: c.state, code: (states.at(-1)[1] || {}).code, retried: made.length !== n,
      sent: sentTypes(ws) };
  }
  // 2b. A welcome for another device (a server answering someone else's
  // handshake): not believed, no join, the link reset.
  {
    const states = [];
    const c = mk(states);
    c.start();
    const ws = made.at(-1);
    open(ws);
    msg(ws, { type: 'challenge', v: 1, nonce: 'E'.repeat(43), server: 'x' });
    await until(() => sentTypes(ws).includes('enrol'));
    const n = made.length;
    msg(ws, { type: 'welcome', role: 'beneficiary', device: 'Q'.repeat(43), bilans: [], bilan: 'b1' });
    await until(() => made.length > n, 3000);
    out.wrongWelcome = { joinSent: sentTypes(ws).includes('join'), reset: made.length > n, welcomes: c.welcomes.length };
    c.finish('left');
  }
  // 3. Live room, then silence: clocks are asked for, and 4 s of silence is a lost link.
  {
    const states = [];
    const c = mk(states);
    c.start();
    const ws = made.at(-1);
    open(ws);
    msg(ws, { type: 'challenge', v: 1, nonce: 'E'.repeat(43), server: 'x' });
    await until(() => sentTypes(ws).includes('enrol'));
    // Hostile or early messages: refused and counted, nothing breaks.
    msg(ws, '{');
    msg(ws, '[]');
    msg(ws, { type: 'joined', bilan: 'b1', slot: 1, role: 'beneficiary', members: [] });   // before welcome
    ws.onmessage({ data: new ArrayBuffer(20) });                                             // binary before the room
    msg(ws, { type: 'welcome', role: 'beneficiary', device: FP, bilans: [], bilan: 'b1' });
    msg(ws, { type: 'joined', bilan: 'b1', slot: 7, role: 'beneficiary', members: [] });     // bad slot
    msg(ws, { type: 'joined', bilan: 'b1', slot: 1, role: 'beneficiary',
      members: [{ slot: 1, device: FP, role: 'beneficiary' }] });
    msg(ws, { type: 'member_joined', slot: 9, device: FP, role: 'consultant' });              // bad slot
    msg(ws, { type: 'e2e', from: 0, device: 'short', body: {} });                            // bad device
    out.hostile = { state: c.state, refused: c.refused, joinSent: sentTypes(ws).includes('join') };
    // Answered clocks keep it alive for 5 s.
    const t0 = performance.now();
    let answered = 0, lastAnswer = 0;
    while (performance.now() - t0 < 5000) {
      for (const d of ws.sent.splice(0)) {
        const m = typeof d === 'string' ? JSON.parse(d) : null;
        if (m && m.type === 'clock') { answered++; lastAnswer = performance.now(); msg(ws, { type: 'clock', ref: m.ref, server_ms: Date.now() + 60000 }); }
      }
      await sleep(50);
    }
    out.alive = { state: c.state, connections: made.length, answered,
      offset: Math.round(c.serverNowMs() - Date.now()) };
    // Then silence: clocks go unanswered; the link is reset about 4 s after the last word.
    ws.sent.length = 0;
    const n = made.length;
    const t1 = lastAnswer;   // the last word the page heard
    await until(() => made.length > n, 8000);
    out.silence = { lostAfterMs: Math.round(performance.now() - t1), clocksAsked: sentTypes(ws).filter((x) => x === 'clock').length,
      states: states.slice(-3).map((s) => s[0]) };
    c.finish('left');
  }
  // 4. Backoff: connections that fail at once are retried after 0.5, 1, 2, 4 s
  // (up to a fifth shorter), and after 2 minutes the connection gives up.
  {
    failAtOnce = true;
    const states = [];
    const c = mk(states);
    c.start();
    const delays = () => states.filter((s) => s[0] === 'reconnecting' && s[1].inMs !== undefined).map((s) => s[1].inMs);
    await until(() => delays().length >= 4, 6000);
    // Two minutes later (the page's clock moved on), the next failure gives up.
    const realNow = performance.now.bind(performance);
    performance.now = () => realNow() + GIVE_UP_MS + 1000;
    await until(() => c.state === 'gave_up', 10000);
    const n = made.length;
    await sleep(1200);
    performance.now = realNow;
    out.backoff = { delays: delays(), table: BACKOFF_MS, state: c.state, retriedAfter: made.length !== n };
    failAtOnce = false;
  }
  // 5. frame.js: the header and the data messages, and what they refuse.
  {
    const h = F.packHeader({ kind: 3, seq: 0xfffffffe, ts: 7, captureMs: 2 ** 40 + 5 });
    const p = F.parseHeader(h);
    const bad = (b) => F.parseHeader(Uint8Array.from(b)) === null;
    const base = Array.from(h);
    const chat = F.encodeChat('bonjour é');
    const fb = F.encodeFileBegin(9, 1000, new Uint8Array(32), 'cv.pdf');
    out.frames = {
      header: [h.length, p.kind, p.seq, p.ts, p.captureMs, p.slot],
      refusedHeaders: [bad(base.slice(0, 15)), bad([2, ...base.slice(1)]), bad([1, 0, ...base.slice(2)]),
        bad([1, 4, ...base.slice(2)]), bad([1, 3, 2, ...base.slice(3)]), bad([1, 3, 1, ...base.slice(3)]),
        bad([1, 1, 1, ...base.slice(3)]), !bad([1, 2, 1, ...base.slice(3)])],
      chat: F.decodeData(chat),
      refusedChat: [F.encodeChat(''), F.encodeChat('x'.repeat(4097)), F.decodeData(Uint8Array.of(1)),
        F.decodeData(Uint8Array.of(1, 0xff, 0xfe)), F.decodeData(Uint8Array.of(9, 1))],
      fileBegin: (() => { const d = F.decodeData(fb); return [d.type, d.id, d.size, d.name]; })(),
      refusedFiles: [F.encodeFileBegin(1, 1, new Uint8Array(32), '../x'), F.encodeFileBegin(1, 1, new Uint8Array(32), '..'),
        F.decodeData(fb.subarray(0, fb.length - 1)), F.decodeData(Uint8Array.of(5, 4, 0, 0, 0, 1, 1)),
        F.decodeData(Uint8Array.of(5, 1, 0, 0, 0, 1, 8)), F.decodeData(Uint8Array.of(4, 0, 0, 0))],
      answer: F.decodeData(F.encodeFileAnswer(2, 77, 1)),
    };
  }
  return out;
})()
